/*
 * The pod identity checks the watcher and the executor share (pod.c), and
 * the control-byte escaping of log lines and table cells (log.c): each
 * bound at its limit and one past it (issue 8, rows 2 and 7).
 */
#include <limits.h>

#include "log.h"
#include "pod.h"
#include "tap.h"

/* n times c, in one of a few static buffers: nothing to free */
static char *
rep(int c, size_t n)
{
	static char pool[4][POD_MAX_LOGDIR_NAME + 2];
	static int next;
	char *s = pool[next++ % 4];

	REQUIRE(n < sizeof(pool[0]));
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static struct container_spec ctr;

/* ns/name/uid are borrowed; the pod is never freed (the test exits) */
static void
mk(struct pod *p, char *ns, char *name, char *uid)
{
	pod_init(p);
	container_spec_init(&ctr);
	ctr.name = "app";
	p->namespace = ns;
	p->name = name;
	p->uid = uid;
	p->containers = &ctr;
	p->n_containers = 1;
}

static int
check(char *ns, char *name, char *uid, char *field, char *why)
{
	struct pod p;

	mk(&p, ns, name, uid);
	return pod_identity_check(&p, field, why);
}

TEST(test_identity_log_directory_is_name_max)
{
	char f[POD_IDENTITY_FIELD], w[POD_IDENTITY_WHY];
	/* "default" + '_' + name + '_' + 36-character uuid */
	char *uid = "7c1e4a1e-1b7b-4f3e-9d3c-2f6c0a4b5e6d";
	size_t fits = POD_MAX_LOGDIR_NAME - 7 - 36 - 2;

	CHECK_EQ_INT(POD_MAX_LOGDIR_NAME, NAME_MAX);
	CHECK_EQ_INT(check("default", rep('a', fits), uid, f, w), 0);
	CHECK_EQ_INT(check("default", rep('a', fits + 1), uid, f, w), -1);
	CHECK_STR(f, "metadata.name");
	CHECK(strstr(w, "log directory") != NULL);
	/* the report's 244-character name, with a static pod's md5 uid */
	CHECK_EQ_INT(check("default", rep('a', 244), rep('f', 32), f, w), -1);
	CHECK(strstr(w, "at most 214") != NULL);
}

TEST(test_identity_namespace_is_a_dns_label)
{
	char f[POD_IDENTITY_FIELD], w[POD_IDENTITY_WHY];

	CHECK_EQ_INT(check(rep('n', POD_MAX_NAMESPACE), "p", "u", f, w), 0);
	CHECK_EQ_INT(check(rep('n', POD_MAX_NAMESPACE + 1), "p", "u", f, w),
	    -1);
	CHECK_STR(f, "metadata.namespace");
	CHECK_EQ_INT(check("a.b", "p", "u", f, w), -1);
	CHECK_EQ_INT(check("", "p", "u", f, w), -1);
	CHECK_EQ_INT(check("Default", "p", "u", f, w), -1);
}

TEST(test_identity_name_is_a_dns_subdomain)
{
	char f[POD_IDENTITY_FIELD], w[POD_IDENTITY_WHY];

	/* with a one-character namespace and uid the log directory is 255 */
	CHECK_EQ_INT(check("n", rep('p', POD_MAX_LOGDIR_NAME - 4), "u", f, w),
	    0);
	CHECK(pod_dns_subdomain_ok(rep('p', POD_MAX_NAME), POD_MAX_NAME));
	CHECK(!pod_dns_subdomain_ok(rep('p', POD_MAX_NAME + 1),
	    POD_MAX_NAME + 1));
	CHECK_EQ_INT(check("n", "web.example-1", "u", f, w), 0);
	CHECK_EQ_INT(check("n", "evil\x1b[2J", "u", f, w), -1);
	CHECK_STR(f, "metadata.name");
	CHECK(strchr(w, '\x1b') == NULL);	/* never quoted */
	CHECK_EQ_INT(check("n", "a\nb", "u", f, w), -1);
	CHECK_EQ_INT(check("n", "-a", "u", f, w), -1);
	CHECK_EQ_INT(check("n", "a..b", "u", f, w), -1);
}

TEST(test_identity_uid_charset_and_length)
{
	char f[POD_IDENTITY_FIELD], w[POD_IDENTITY_WHY];

	CHECK_EQ_INT(check("n", "p", rep('U', POD_MAX_UID), f, w), 0);
	CHECK_EQ_INT(check("n", "p", rep('U', POD_MAX_UID + 1), f, w), -1);
	CHECK_STR(f, "metadata.uid");
	CHECK_EQ_INT(check("n", "p", "../etc", f, w), -1);
	CHECK_EQ_INT(check("n", "p", "a b", f, w), -1);
	CHECK_EQ_INT(check("n", "p", "a_b", f, w), -1);
	CHECK_EQ_INT(check("n", "p", "", f, w), -1);
}

TEST(test_identity_container_name_is_a_dns_label)
{
	char f[POD_IDENTITY_FIELD], w[POD_IDENTITY_WHY];
	struct pod p;

	mk(&p, "n", "p", "u");
	ctr.name = rep('c', POD_MAX_CONTAINER_NAME);
	CHECK_EQ_INT(pod_identity_check(&p, f, w), 0);
	ctr.name = rep('c', POD_MAX_CONTAINER_NAME + 1);
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.containers[0].name");
	ctr.name = "a\x1b";
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
}

/* what the pod's /etc files are made of: nothing that makes a new line */
TEST(test_identity_pod_file_names)
{
	char f[POD_IDENTITY_FIELD], w[POD_IDENTITY_WHY];
	struct host_alias alias;
	struct kv opt;
	struct pod p;

	mk(&p, "n", "p", "u");
	p.hostname = "box";
	p.subdomain = "grp";
	memset(&alias, 0, sizeof(alias));
	alias.ip = "fd00::1";
	REQUIRE(strlist_add(&alias.hostnames, "foo.local", 4) == 0);
	p.host_aliases = &alias;
	p.n_host_aliases = 1;
	REQUIRE(strlist_add(&p.dns_config.nameservers, "10.0.0.1", 3) == 0);
	REQUIRE(strlist_add(&p.dns_config.searches, "a.example.", 3) == 0);
	opt.key = "ndots";
	opt.value = "";
	p.dns_config.options = &opt;
	p.dns_config.n_options = 1;
	CHECK_EQ_INT(pod_identity_check(&p, f, w), 0);
	alias.hostnames.v[0][3] = '\n';
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.hostAliases[0].hostnames");
	alias.hostnames.v[0][3] = '.';
	alias.ip = "1.2.3.4\nnameserver 6.6.6.6";
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.hostAliases[0].ip");
	alias.ip = "1.2.3.4";
	opt.value = "1 2";
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.dnsConfig.options[0]");
	opt.value = "2";
	p.hostname = "Box";
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.hostname");
	p.hostname = NULL;
	CHECK_EQ_INT(pod_identity_check(&p, f, w), 0);
	/* the lists are the only heap memory here: LeakSanitizer checks */
	strlist_free(&alias.hostnames);
	strlist_free(&p.dns_config.nameservers);
	strlist_free(&p.dns_config.searches);
}

TEST(test_escape_control_bytes)
{
	char buf[64];

	CHECK_EQ_INT(str_escape_ctl(buf, sizeof(buf), "plain ünï"), 11);
	CHECK_STR(buf, "plain ünï");
	str_escape_ctl(buf, sizeof(buf), "a\x1b[2J\nb\x7f\t");
	CHECK_STR(buf, "a\\x1b[2J\\x0ab\\x7f\\x09");
	/* U+009B is CSI to some terminals: both bytes are escaped */
	str_escape_ctl(buf, sizeof(buf), "x\xc2\x9b" "2J");
	CHECK_STR(buf, "x\\xc2\\x9b2J");
	/* like snprintf: the full length, truncated output, always a NUL */
	CHECK_EQ_INT(str_escape_ctl(buf, 4, "\n\n"), 8);
	CHECK_STR(buf, "\\x0");
	CHECK_EQ_INT(str_escape_ctl(NULL, 0, "\x01"), 4);
}

/* init containers: DNS labels, unique across both lists (issue 13) */
TEST(test_identity_init_container_names)
{
	char f[POD_IDENTITY_FIELD], w[POD_IDENTITY_WHY];
	static struct container_spec init[2];
	struct pod p;

	mk(&p, "n", "p", "u");
	container_spec_init(&init[0]);
	container_spec_init(&init[1]);
	init[0].name = "setup";
	init[1].name = "side";
	init[1].restart_policy = CTR_RESTART_ALWAYS;
	p.init_containers = init;
	p.n_init_containers = 2;
	CHECK_EQ_INT(pod_identity_check(&p, f, w), 0);
	init[1].name = "app";
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.initContainers[1].name");
	CHECK(strstr(w, "Duplicate value") != NULL);
	init[1].name = rep('c', POD_MAX_CONTAINER_NAME + 1);
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.initContainers[1].name");
	init[1].name = "side";
	/* a container's restartPolicy is for init containers only */
	ctr.restart_policy = CTR_RESTART_ALWAYS;
	CHECK_EQ_INT(pod_identity_check(&p, f, w), -1);
	CHECK_STR(f, "spec.containers[0].restartPolicy");
	ctr.restart_policy = CTR_RESTART_UNSET;
	CHECK_EQ_INT(pod_identity_check(&p, f, w), 0);
}
