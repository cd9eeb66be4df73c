/*
 * The runtime backend against the real thing: runc (and crun where this
 * host lets it run), conmon, the CNI loopback plugin, overlayfs and
 * cgroups.  Needs root; a test without it says so and passes.
 *
 * Each test gets the fixture of rt_fixture.h: its own temp root and
 * cgroup root, the busybox image, and a teardown that leaves nothing.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "rt_fixture.h"

#define WAIT_MS		20000

/* dirs, runtime, and the busybox image imported and looked up */
static int
fx_setup(int runtime, struct rt_image *img)
{
	struct rt_err err = { { "", 0 }, 0 };
	char digest[POD_MAX_ID];

	if (!fx_setup_dirs(runtime))
		return 0;
	fx_build_image();
	if (rt_image_import(fx.image, "busybox", digest, sizeof(digest),
	    &err) == -1) {
		fprintf(stderr, "import: %s\n", rt_errmsg(&err));
		REQUIRE(0);
	}
	if (rt_image_lookup("busybox", img, &err) == -1) {
		fprintf(stderr, "lookup: %s\n", rt_errmsg(&err));
		REQUIRE(0);
	}
	return 1;
}

/* ---- pods ---- */

static void
mkpod(struct pod *p, const char *name, const char *uid)
{
	pod_init(p);
	p->namespace = strdup("default");
	p->name = strdup(name);
	p->uid = strdup(uid);
}

static struct container_spec *
addc(struct pod *p, const char *name, const char *script)
{
	struct container_spec *c;

	p->containers = reallocarray(p->containers, p->n_containers + 1,
	    sizeof(*c));
	REQUIRE(p->containers != NULL);
	c = &p->containers[p->n_containers++];
	container_spec_init(c);
	c->name = strdup(name);
	c->image = strdup("busybox");
	if (script != NULL) {
		strlist_add(&c->command, "sh", POD_MAX_ARGS);
		strlist_add(&c->command, "-c", POD_MAX_ARGS);
		strlist_add(&c->command, script, POD_MAX_ARGS);
	}
	return c;
}

static void
mklabels(struct rt_labels *l, const struct pod *p, const char *container,
    const struct rt_image *img)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->pod_namespace, sizeof(l->pod_namespace), "%s", p->namespace);
	snprintf(l->pod_name, sizeof(l->pod_name), "%s", p->name);
	snprintf(l->pod_uid, sizeof(l->pod_uid), "%s", p->uid);
	snprintf(l->container, sizeof(l->container), "%s", container);
	snprintf(l->image_digest, sizeof(l->image_digest), "%s", img->digest);
	snprintf(l->spec_hash, sizeof(l->spec_hash), "hash-%s", container);
}

static void
sandbox_up(const struct pod *p, struct rt_sandbox *sb)
{
	struct rt_err err = { { "", 0 }, 0 };

	if (rt_sandbox_create(p, "hash", 0, sb, &err) == -1) {
		fprintf(stderr, "rt_sandbox_create: %s\n", rt_errmsg(&err));
		REQUIRE(0);
	}
}

/* rt_container_start with the labels every test container gets */
static int
container_start(const struct pod *p, const struct container_spec *c,
    const struct rt_image *img, const struct rt_sandbox *sb, char *id,
    struct rt_err *err)
{
	struct rt_labels l;

	mklabels(&l, p, c->name, img);
	return rt_container_start(p, c, img, sb, &l, id, RT_ID_MAX, err);
}

static void
start(const struct pod *p, const struct container_spec *c,
    const struct rt_image *img, const struct rt_sandbox *sb, char *id)
{
	struct rt_err err = { { "", 0 }, 0 };

	if (container_start(p, c, img, sb, id, &err) == -1) {
		fprintf(stderr, "rt_container_start: %s\n", rt_errmsg(&err));
		REQUIRE(0);
	}
}

static void
wait_status(const char *id, int want, struct rt_cstate *st)
{
	struct rt_err err = { { "", 0 }, 0 };
	int i;

	for (i = 0; i < WAIT_MS / 20; i++) {
		REQUIRE(rt_container_state(id, st, &err) == 0);
		if (st->status == want)
			return;
		usleep(20000);
	}
	fprintf(stderr, "container %s: status %d, wanted %d\n", id, st->status,
	    want);
	REQUIRE(0);
}

static char *
read_log(const struct pod *p, const char *container)
{
	struct rt_labels l;
	struct rt_image none = { .digest = "" };
	char path[PATH_MAX], *buf = NULL;

	mklabels(&l, p, container, &none);
	REQUIRE(rt_container_log_path(&l, path, sizeof(path)) == 0);
	REQUIRE(rt_read_file(path, 1 << 20, &buf, NULL) == 0);
	return buf;
}

/*
 * What a container test works on: the imported busybox image, one pod,
 * the pod's sandbox, and the last container started in it with its state.
 */
struct pod_case {
	struct rt_image		 img;
	struct pod		 pod;
	struct rt_sandbox	 sb;
	struct rt_cstate	 st;
	char			 id[RT_ID_MAX];
};

/* 1: the fixture, the image and an empty pod are ready; 0: skip */
static int
case_setup(struct pod_case *t, int runtime, const char *name, const char *uid)
{
	memset(t, 0, sizeof(*t));
	if (!fx_setup(runtime, &t->img))
		return 0;
	mkpod(&t->pod, name, uid);
	return 1;
}

static void
case_free(struct pod_case *t)
{
	rt_image_free(&t->img);
	pod_free(&t->pod);
}

/* start c in the pod's sandbox and wait until it has status want */
static void
case_start(struct pod_case *t, const struct container_spec *c, int want)
{
	start(&t->pod, c, &t->img, &t->sb, t->id);
	wait_status(t->id, want, &t->st);
}

/* c in a fresh sandbox, until it has status want */
static void
case_run(struct pod_case *t, const struct container_spec *c, int want)
{
	sandbox_up(&t->pod, &t->sb);
	case_start(t, c, want);
}

/* c to completion in a fresh sandbox; returns its log text */
static char *
run_to_exit(struct pod_case *t, const struct container_spec *c)
{
	case_run(t, c, RT_EXITED);
	return read_log(&t->pod, c->name);
}

static void
kill_wait(const char *id, int sig, struct rt_cstate *st)
{
	struct rt_err err = { { "", 0 }, 0 };

	REQUIRE(rt_container_signal(id, sig, &err) == 0);
	wait_status(id, RT_EXITED, st);
}

/* a failed check shows what the container printed */
static void
log_done(char *log)
{
	if (tap_failed_here)
		fprintf(stderr, "log:\n%s\n", log);
	free(log);
}

static int
has_line(const char *log, const char *stream, const char *text)
{
	char want[512];
	const char *p;

	/* "<RFC3339Nano> stdout F text" */
	snprintf(want, sizeof(want), " %s F %s\n", stream, text);
	for (p = log; (p = strstr(p, want)) != NULL; p++) {
		const char *bol = p;

		while (bol > log && bol[-1] != '\n')
			bol--;
		if (p - bol >= 20 && bol[4] == '-' && bol[10] == 'T')
			return 1;
	}
	return 0;
}

static int	dir_entries(const char *);

/* ---- pure functions (no runtime needed) ---- */

/*
 * Gone, or a zombie: conmon is daemonized, so reaping it is up to whatever
 * adopts orphans here, which may take its time; the runtime is done with
 * it either way.
 */
static int
proc_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int gone = 1;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ')
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

/* the linux.namespaces entry of type, or NULL; *path its path or NULL */
static const cJSON *
ns_entry(const cJSON *nss, const char *type, const char **path)
{
	const cJSON *n;

	cJSON_ArrayForEach(n, nss) {
		if (strcmp(rt_json_str(n, "type"), type) != 0)
			continue;
		*path = rt_json_str(n, "path");
		return n;
	}
	*path = NULL;
	return NULL;
}

TEST(test_namespaces_join_pins_or_infra_by_path)
{
	struct sandbox_ns ns;
	struct pod p;
	const char *path;
	cJSON *j;

	pod_init(&p);
	memset(&ns, 0, sizeof(ns));
	snprintf(ns.net, sizeof(ns.net), "/run/x/ns/ab/net");
	snprintf(ns.ipc, sizeof(ns.ipc), "/run/x/ns/ab/ipc");
	snprintf(ns.uts, sizeof(ns.uts), "/run/x/ns/ab/uts");
	/* a pinned sandbox: joined by path, a private pid namespace */
	REQUIRE((j = bundle_namespaces(&p, &ns)) != NULL);
	CHECK(ns_entry(j, "network", &path) && path != NULL &&
	    strcmp(path, ns.net) == 0);
	CHECK(ns_entry(j, "ipc", &path) && path != NULL &&
	    strcmp(path, ns.ipc) == 0);
	CHECK(ns_entry(j, "uts", &path) && path != NULL &&
	    strcmp(path, ns.uts) == 0);
	CHECK(ns_entry(j, "pid", &path) && path == NULL);
	CHECK(ns_entry(j, "mount", &path) && path == NULL);
	cJSON_Delete(j);
	/* shareProcessNamespace: the infra's pid namespace */
	snprintf(ns.pid, sizeof(ns.pid), "/proc/42/ns/pid");
	REQUIRE((j = bundle_namespaces(&p, &ns)) != NULL);
	CHECK(ns_entry(j, "pid", &path) && path != NULL &&
	    strcmp(path, "/proc/42/ns/pid") == 0);
	cJSON_Delete(j);
	/* the infra itself creates them all */
	REQUIRE((j = bundle_namespaces(&p, NULL)) != NULL);
	CHECK(ns_entry(j, "network", &path) && path == NULL);
	CHECK(ns_entry(j, "pid", &path) && path == NULL);
	cJSON_Delete(j);
	/* host namespaces: no entry at all */
	ns.pid[0] = '\0';
	p.host_network = p.host_ipc = p.host_pid = 1;
	REQUIRE((j = bundle_namespaces(&p, &ns)) != NULL);
	CHECK(ns_entry(j, "network", &path) == NULL);
	CHECK(ns_entry(j, "uts", &path) == NULL);
	CHECK(ns_entry(j, "ipc", &path) == NULL);
	CHECK(ns_entry(j, "pid", &path) == NULL);
	cJSON_Delete(j);
	/* a sandbox path missing where one is needed: refused, never new */
	p.host_network = 0;
	ns.net[0] = '\0';
	CHECK(bundle_namespaces(&p, &ns) == NULL);
	pod_free(&p);
}

TEST(test_only_a_shared_pid_namespace_needs_an_infra)
{
	struct pod p;

	pod_init(&p);
	CHECK(!sandbox_needs_infra(&p));
	CHECK_EQ_INT(pin_flags(&p), CLONE_NEWNET | CLONE_NEWUTS |
	    CLONE_NEWIPC);
	p.share_pid = 1;
	CHECK(sandbox_needs_infra(&p));
	p.host_pid = 1;		/* the watcher refuses both; no PID 1 then */
	CHECK(!sandbox_needs_infra(&p));
	p.host_network = 1;
	CHECK_EQ_INT(pin_flags(&p), CLONE_NEWIPC);
	p.host_ipc = 1;
	CHECK_EQ_INT(pin_flags(&p), 0);
	p.host_network = 0;
	CHECK_EQ_INT(pin_flags(&p), CLONE_NEWNET | CLONE_NEWUTS);
	pod_free(&p);
}

TEST(test_args_follow_kubernetes_rules)
{
	struct rt_image img;
	struct container_spec c;
	struct strlist out = { 0 };
	struct rt_err err = { { "", 0 }, 0 };

	memset(&img, 0, sizeof(img));
	container_spec_init(&c);
	c.name = "c";
	strlist_add(&img.entrypoint, "/ep", 8);
	strlist_add(&img.cmd, "cmd1", 8);
	strlist_add(&img.cmd, "cmd2", 8);

	REQUIRE(bundle_args(&c, &img, NULL, &out, &err) == 0);	/* neither */
	CHECK_EQ_INT(out.n, 3);
	CHECK_STR(out.v[0], "/ep");
	CHECK_STR(out.v[2], "cmd2");
	strlist_free(&out);

	strlist_add(&c.args, "a1", 8);				/* args only */
	REQUIRE(bundle_args(&c, &img, NULL, &out, &err) == 0);
	CHECK_EQ_INT(out.n, 2);
	CHECK_STR(out.v[0], "/ep");
	CHECK_STR(out.v[1], "a1");
	strlist_free(&out);

	strlist_add(&c.command, "/bin/x", 8);			/* both */
	REQUIRE(bundle_args(&c, &img, NULL, &out, &err) == 0);
	CHECK_EQ_INT(out.n, 2);
	CHECK_STR(out.v[0], "/bin/x");
	CHECK_STR(out.v[1], "a1");
	strlist_free(&out);

	strlist_free(&c.args);					/* command only */
	REQUIRE(bundle_args(&c, &img, NULL, &out, &err) == 0);
	CHECK_EQ_INT(out.n, 1);
	CHECK_STR(out.v[0], "/bin/x");
	strlist_free(&out);

	strlist_free(&c.command);
	strlist_free(&img.entrypoint);
	strlist_free(&img.cmd);
	CHECK(bundle_args(&c, &img, NULL, &out, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "no command") != NULL);
}

TEST(test_env_merges_image_and_container_in_order)
{
	struct rt_image img;
	struct container_spec c;
	struct strlist out = { 0 };
	struct rt_err err = { { "", 0 }, 0 };
	struct env_var env[2] = { { .key = "B", .value = "container" },
	    { .key = "C", .value = "new" } };

	memset(&img, 0, sizeof(img));
	container_spec_init(&c);
	strlist_add(&img.env, "A=1", 8);
	strlist_add(&img.env, "B=image", 8);
	c.env = env;
	c.n_env = 2;
	REQUIRE(bundle_env(&c, &img, "mypod", NULL, &out, &err) == 0);
	REQUIRE(out.n == 5);
	CHECK_STR(out.v[0], "HOSTNAME=mypod");
	CHECK_STR(out.v[1], "A=1");
	CHECK_STR(out.v[2], "B=container");	/* replaced where it stood */
	CHECK_STR(out.v[3], "C=new");
	CHECK_STR(out.v[4], "PATH=" RT_DEFAULT_PATH);	/* defaulted */
	strlist_free(&out);

	env[0].key = "BAD=NAME";
	CHECK(bundle_env(&c, &img, "mypod", NULL, &out, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "env[0].name") != NULL);
	strlist_free(&out);
	strlist_free(&img.env);
}

TEST(test_cpu_shares_and_quota_follow_kubelet)
{
	struct resources r = { -1, -1, -1, -1 };

	CHECK_EQ_INT(bundle_cpu_shares(&r), 2);		/* BestEffort */
	CHECK_EQ_INT(bundle_cpu_quota(&r), -1);
	r.cpu_request_milli = 1;
	CHECK_EQ_INT(bundle_cpu_shares(&r), 2);		/* minimum */
	r.cpu_request_milli = 250;
	CHECK_EQ_INT(bundle_cpu_shares(&r), 256);
	r.cpu_request_milli = -1;
	r.cpu_limit_milli = 500;			/* request defaults to limit */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 512);
	CHECK_EQ_INT(bundle_cpu_quota(&r), 50000);
	r.cpu_limit_milli = 2;
	CHECK_EQ_INT(bundle_cpu_quota(&r), 1000);	/* MinQuotaPeriod */
}

/* MaxShares 262144 is reached at 256000m (256000 * 1024 / 1000) */
TEST(test_cpu_shares_clamped_at_max_shares)
{
	struct resources r = { -1, -1, -1, -1 };

	r.cpu_request_milli = 255999;
	CHECK_EQ_INT(bundle_cpu_shares(&r), 262142);
	r.cpu_request_milli = 256000;			/* limit */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 262144);
	r.cpu_request_milli = 256001;			/* limit + 1 */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 262144);
	r.cpu_request_milli = 100000000000LL;		/* cpu: 100000000 */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 262144);
	r.cpu_request_milli = INT64_MAX;		/* would wrap in Go */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 262144);
	r.cpu_request_milli = 3;			/* 3.072: floor */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 3);
	r.cpu_request_milli = 1999;			/* 2046.976 */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 2046);
}

/* the kernel's max_cfs_runtime is 2^44 - 1 us: 175921860444.15 CPUs */
TEST(test_cpu_quota_overflow_safe_and_clamped)
{
	struct resources r = { -1, -1, -1, -1 };
	const int64_t max = (INT64_C(1) << 44) - 1;

	r.cpu_limit_milli = 175921860444LL;
	CHECK_EQ_INT(bundle_cpu_quota(&r), 17592186044400LL);
	r.cpu_limit_milli = 175921860445LL;		/* first above */
	CHECK_EQ_INT(bundle_cpu_quota(&r), max);
	r.cpu_limit_milli = INT64_MAX / 100;
	CHECK_EQ_INT(bundle_cpu_quota(&r), max);
	r.cpu_limit_milli = INT64_MAX / 100 + 1;	/* milli * 100 wraps */
	CHECK_EQ_INT(bundle_cpu_quota(&r), max);
	r.cpu_limit_milli = INT64_MAX;
	CHECK_EQ_INT(bundle_cpu_quota(&r), max);
	r.cpu_limit_milli = 10;				/* MinQuotaPeriod */
	CHECK_EQ_INT(bundle_cpu_quota(&r), 1000);
	r.cpu_limit_milli = 9;
	CHECK_EQ_INT(bundle_cpu_quota(&r), 1000);
	r.cpu_limit_milli = 1001;
	CHECK_EQ_INT(bundle_cpu_quota(&r), 100100);
}

static int
persona_denied(const struct sc_cond *c, int n, uint64_t v)
{
	int i;

	for (i = 0; i < n; i++)
		if (c[i].op == SC_OP_GT ? v > c[i].value :
		    (v & c[i].mask) == c[i].value)
			return 1;
	return 0;
}

/* the union of single comparisons is exactly "not in Docker's set" */
TEST(test_personality_denials_are_the_complement_of_docker_set)
{
	static const uint64_t allowed[] = { 0x0, 0x8, 0x20000, 0x20008,
		0xffffffff };
	struct sc_cond c[SC_PERSONA_CONDS];
	uint64_t v, bad = 0;
	int n, b, k;

	CHECK_EQ_INT(sc_persona_conds(c, SC_PERSONA_CONDS - 1), -1);
	n = sc_persona_conds(c, SC_PERSONA_CONDS);
	CHECK_EQ_INT(n, SC_PERSONA_CONDS);
	for (k = 0; k < 5; k++)
		CHECK(!persona_denied(c, n, allowed[k]));
	for (v = 0; v <= 0x100000; v++) {
		int ok = v == 0 || v == 0x8 || v == 0x20000 || v == 0x20008;
		if (persona_denied(c, n, v) == ok)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* each single bit and each value one bit short of all ones */
	for (b = 0; b < 64; b++) {
		v = 1ULL << b;
		CHECK(persona_denied(c, n, v) == (v != 0x8 && v != 0x20000));
		v = 0xffffffffULL & ~(1ULL << (b % 32));
		CHECK(persona_denied(c, n, v));
		CHECK(persona_denied(c, n, 0xffffffffULL | (1ULL << (32 +
		    b % 32))));
	}
	CHECK(persona_denied(c, n, 0x0400000));		/* READ_IMPLIES_EXEC */
	CHECK(persona_denied(c, n, 0x0040000));		/* ADDR_NO_RANDOMIZE */
	CHECK(persona_denied(c, n, 0x100000000ULL));
	CHECK(persona_denied(c, n, UINT64_MAX));
}

static char *
resources_json(const struct resources *r)
{
	cJSON *j = bundle_resources(r, 0);
	char *s;

	REQUIRE(j != NULL);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	REQUIRE(s != NULL);
	return s;
}

/* integers as integers: runc reads 9.2233720368547758e+18 as an error */
TEST(test_resources_are_exact_integers_up_to_int64)
{
	struct resources r = { -1, -1, -1, -1 };
	char *s;

	r.mem_limit_bytes = INT64_MAX;		/* "9223372036854775807" */
	r.cpu_limit_milli = INT64_MAX;		/* "9223372036854775807m" */
	s = resources_json(&r);
	CHECK(strstr(s, "\"memory\":{\"limit\":9223372036854775807}") != NULL);
	CHECK(strstr(s, "\"shares\":262144,\"quota\":17592186044415,"
	    "\"period\":100000") != NULL);
	CHECK(strstr(s, "e+") == NULL);
	free(s);
	r.mem_limit_bytes = INT64_C(7) << 60;	/* "7Ei" */
	s = resources_json(&r);
	CHECK(strstr(s, "\"limit\":8070450532247928832") != NULL);
	free(s);
	r.mem_limit_bytes = INT64_C(1000000000000000000);	/* "1e18" */
	s = resources_json(&r);
	CHECK(strstr(s, "\"limit\":1000000000000000000}") != NULL);
	CHECK(strstr(s, "e+") == NULL);
	free(s);
}

TEST(test_caps_default_drop_add)
{
	struct security_context sc;
	struct container_spec c;
	struct strlist caps = { 0 };
	struct rt_err err = { { "", 0 }, 0 };
	uint32_t i;
	int has_net_admin = 0;

	container_spec_init(&c);
	sc = c.sc;
	REQUIRE(bundle_caps(&sc, &caps, &err) == 0);
	CHECK_EQ_INT(caps.n, 14);
	strlist_free(&caps);

	strlist_add(&sc.cap_drop, "ALL", 4);
	strlist_add(&sc.cap_add, "net_admin", 4);
	REQUIRE(bundle_caps(&sc, &caps, &err) == 0);
	for (i = 0; i < caps.n; i++)
		has_net_admin |= strcmp(caps.v[i], "CAP_NET_ADMIN") == 0;
	CHECK_EQ_INT(caps.n, 1);
	CHECK(has_net_admin);
	strlist_free(&caps);

	strlist_add(&sc.cap_add, "CAP_FLY", 4);
	CHECK(bundle_caps(&sc, &caps, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "capabilities.add") != NULL &&
	    strstr(rt_errmsg(&err), "CAP_FLY") != NULL);
	strlist_free(&caps);
	strlist_free(&sc.cap_add);
	strlist_free(&sc.cap_drop);
}

static void
write_etc(const char *root, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/etc/%s", root, name);
	REQUIRE(rt_write_file(path, text, strlen(text), 0644) == 0);
}

TEST(test_user_resolution_from_image_files)
{
	char root[] = "/tmp/agentd-user-XXXXXX", etc[PATH_MAX];
	struct rt_image img;
	struct container_spec c;
	struct pod p;
	struct rt_user u;
	struct rt_err err = { { "", 0 }, 0 };

	REQUIRE(mkdtemp(root) != NULL);
	snprintf(etc, sizeof(etc), "%s/etc", root);
	REQUIRE(mkdir(etc, 0755) == 0);
	write_etc(root, "passwd", "root:x:0:0::/root:/bin/sh\n"
	    "app:x:1234:4321::/app:/bin/sh\n");
	write_etc(root, "group", "root:x:0:\napp:x:4321:\nextra:x:77:app,bob\n"
	    "web:x:88:app\n");
	memset(&img, 0, sizeof(img));
	snprintf(img.rootfs, sizeof(img.rootfs), "%s", root);
	mkpod(&p, "p", "u1");
	container_spec_init(&c);
	c.name = "c";

	snprintf(img.user, sizeof(img.user), "app");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == 0);
	CHECK_EQ_INT(u.uid, 1234);
	CHECK_EQ_INT(u.gid, 4321);
	CHECK_EQ_INT(u.n_additional_gids, 2);
	CHECK_EQ_INT(u.additional_gids[0], 77);

	snprintf(img.user, sizeof(img.user), "1234:web");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == 0);
	CHECK_EQ_INT(u.uid, 1234);
	CHECK_EQ_INT(u.gid, 88);

	snprintf(img.user, sizeof(img.user), "ghost");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "ghost") != NULL);

	/* runAsUser wins; the pod's runAsGroup applies */
	p.psc.run_as_group = 5;
	c.sc.run_as_user = 1234;
	CHECK(bundle_user(&p, &c, &img, &u, &err) == 0);
	CHECK_EQ_INT(u.uid, 1234);
	CHECK_EQ_INT(u.gid, 5);

	/* runAsNonRoot cannot be verified for a named image user */
	c.sc.run_as_user = -1;
	c.sc.run_as_non_root = 1;
	snprintf(img.user, sizeof(img.user), "app");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "non-numeric user") != NULL);
	img.user[0] = '\0';
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "will run as root") != NULL);

	/* a symlinked /etc/passwd is not followed out of the image */
	c.sc.run_as_non_root = TRI_UNSET;
	snprintf(etc, sizeof(etc), "%s/etc/passwd", root);
	unlink(etc);
	REQUIRE(symlink("/etc/passwd", etc) == 0);
	snprintf(img.user, sizeof(img.user), "root");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);

	pod_free(&p);
	rt_rm_rf(root);
}

/* ---- init ---- */

TEST(test_init_rejects_relative_root_dir)
{
	struct rt_err err = { { "", 0 }, 0 };
	struct agentd_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.root_dir, sizeof(cfg.root_dir), "var/lib/agentd");
	snprintf(cfg.run_dir, sizeof(cfg.run_dir), "/run/agentd");
	CHECK(rt_init(&cfg, NULL, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "root_dir") != NULL);
	CHECK(strstr(rt_errmsg(&err), "absolute") != NULL);
}

TEST(test_init_picks_runtime_for_cgroup_layout)
{
	struct rt_err err = { { "", 0 }, 0 };
	char blocker[256];
	int blocked;

	if (!fx_setup_dirs(RUNTIME_RUNC))
		return;
	CHECK_STR(fx.info.runtime_name, "runc");
	CHECK_EQ_INT(fx.info.cgroup_v2, rt.cg.v2_pure);
	blocked = cg_crun_blocker(&rt.cg, blocker, sizeof(blocker)) > 0;

	fx.cfg.runtime = RUNTIME_AUTO;
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
	if (blocked)
		CHECK_STR(fx.info.runtime_name, "runc");
	else if (access("/usr/bin/crun", X_OK) == 0)
		CHECK_STR(fx.info.runtime_name, "crun");

	fx.cfg.runtime = RUNTIME_CRUN;
	if (blocked) {
		CHECK(rt_init(&fx.cfg, &fx.info, &err) == -1);
		CHECK(strstr(rt_errmsg(&err), "mount -t cgroup -o") != NULL);
		CHECK(strstr(rt_errmsg(&err), blocker) != NULL);
		printf("# crun refused as expected: %s\n", rt_errmsg(&err));
	} else if (access("/usr/bin/crun", X_OK) == 0) {
		CHECK(rt_init(&fx.cfg, &fx.info, &err) == 0);
		CHECK_STR(fx.info.runtime_name, "crun");
	}
	/* leave the fixture's own runtime in place for teardown */
	fx.cfg.runtime = RUNTIME_RUNC;
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
}

/* ---- containers ---- */

static void
exit_code_and_log(int runtime)
{
	struct pod_case t;
	struct container_spec *c;
	char *log;

	if (!case_setup(&t, runtime, "exit-pod", "uid-exit"))
		return;
	c = addc(&t.pod, "main", "echo hello; echo oops >&2; exit 3");
	log = run_to_exit(&t, c);
	CHECK_EQ_INT(t.st.exit_code, 3);
	CHECK_EQ_INT(t.st.signal, 0);
	CHECK_EQ_INT(t.st.oom_killed, 0);
	CHECK(t.st.started_at_ns > 0);
	CHECK(t.st.finished_at_ns >= t.st.started_at_ns);
	CHECK(has_line(log, "stdout", "hello"));
	CHECK(has_line(log, "stderr", "oops"));
	log_done(log);
	case_free(&t);
}

TEST(test_container_exit_code_and_cri_log)
{
	exit_code_and_log(RUNTIME_RUNC);
}

TEST(test_container_exit_code_and_cri_log_crun)
{
	exit_code_and_log(RUNTIME_CRUN);	/* skips where crun can't run */
}

static void
read_link(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	REQUIRE(n > 0);
	buf[n] = '\0';
}

/* the namespace link ns of pid; pid 0: this process */
static void
ns_link(pid_t pid, const char *ns, char *buf, size_t len)
{
	char path[64];

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	else
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	read_link(path, buf, len);
}

/* 1 if processes a and b (0: this one) share namespace ns */
static int
same_ns(pid_t a, pid_t b, const char *ns)
{
	char la[64], lb[64];

	ns_link(a, ns, la, sizeof(la));
	ns_link(b, ns, lb, sizeof(lb));
	return strcmp(la, lb) == 0;
}

/* 1 if process pid (0: this one) is in the namespace pinned at path */
static int
in_pinned_ns(pid_t pid, const char *ns, const char *path)
{
	char link[64], want[64];
	struct stat st;

	if (stat(path, &st) == -1)
		return 0;
	ns_link(pid, ns, link, sizeof(link));
	snprintf(want, sizeof(want), "%s:[%llu]", ns,
	    (unsigned long long)st.st_ino);
	return strcmp(link, want) == 0;
}

static void
shares_namespaces(int runtime)
{
	struct pod_case t;
	struct container_spec *c, *c2;
	struct rt_sandbox sb2;
	struct rt_cstate st, st2;
	struct rt_err err = { { "", 0 }, 0 };
	char path[PATH_MAX], id2[RT_ID_MAX], want[RT_ERR_MAX];

	if (!case_setup(&t, runtime, "ns-pod", "uid-ns"))
		return;
	addc(&t.pod, "sleeper", "sleep 1000");
	addc(&t.pod, "second", "sleep 1000");
	/* after both: the second addc may move the array */
	c = &t.pod.containers[0];
	c2 = &t.pod.containers[1];
	sandbox_up(&t.pod, &t.sb);
	/* no process: the namespaces are pinned under runDir/ns/<id> */
	CHECK(t.sb.pinned);
	CHECK_EQ_INT(t.sb.pid, 0);
	snprintf(path, sizeof(path), "%s/run/ns/%s/net", fx.base, t.sb.id);
	CHECK_STR(t.sb.netns_path, path);
	CHECK_EQ_INT(dir_entries("run/runtime"), 0);	/* no runtime state */
	case_start(&t, c, RT_RUNNING);
	REQUIRE(t.st.pid > 0);
	start(&t.pod, c2, &t.img, &t.sb, id2);
	wait_status(id2, RT_RUNNING, &st2);
	CHECK(in_pinned_ns(t.st.pid, "net", t.sb.netns_path));
	CHECK(same_ns(t.st.pid, st2.pid, "net"));
	snprintf(path, sizeof(path), "%s/run/ns/%s/ipc", fx.base, t.sb.id);
	CHECK(in_pinned_ns(t.st.pid, "ipc", path));
	CHECK(same_ns(t.st.pid, st2.pid, "ipc"));
	snprintf(path, sizeof(path), "%s/run/ns/%s/uts", fx.base, t.sb.id);
	CHECK(in_pinned_ns(t.st.pid, "uts", path));
	CHECK(same_ns(t.st.pid, st2.pid, "uts"));
	/* but not the pid namespace, nor the host's network */
	CHECK(!same_ns(t.st.pid, st2.pid, "pid"));
	CHECK(!same_ns(0, t.st.pid, "net"));
	CHECK(!same_ns(0, t.st.pid, "uts"));
	REQUIRE(rt_sandbox_status(t.sb.id, &sb2, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	CHECK(sb2.pinned);
	CHECK_STR(sb2.netns_path, t.sb.netns_path);
	/* a pin gone (as after a reboot): the sandbox is not running */
	snprintf(path, sizeof(path), "%s/run/ns/%s/uts", fx.base, t.sb.id);
	REQUIRE(umount2(path, MNT_DETACH) == 0);
	REQUIRE(rt_sandbox_status(t.sb.id, &sb2, &st, &err) == 0);
	CHECK(st.status != RT_RUNNING);
	CHECK(container_start(&t.pod, c, &t.img, &t.sb, path, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "not running") != NULL);
	/* the chain: what was being done, then the root cause */
	snprintf(want, sizeof(want), "creating container %s of %s/%s: "
	    "sandbox %s is not running", c->name, t.pod.namespace, t.pod.name,
	    t.sb.id);
	CHECK_STR(rt_errmsg(&err), want);
	case_free(&t);
}

/* shareProcessNamespace: an infra process is the pod's PID 1 */
static void
shares_pid_namespace(int runtime)
{
	struct pod_case t;
	struct container_spec *c, *c2;
	struct rt_sandbox sb2;
	struct rt_cstate st, st2;
	struct rt_err err = { { "", 0 }, 0 };
	char id2[RT_ID_MAX];

	if (!case_setup(&t, runtime, "pidns-pod", "uid-pidns"))
		return;
	t.pod.share_pid = 1;
	addc(&t.pod, "one", "sleep 1000");
	addc(&t.pod, "two", "sleep 1000");
	/* after both: the second addc may move the array */
	c = &t.pod.containers[0];
	c2 = &t.pod.containers[1];
	sandbox_up(&t.pod, &t.sb);
	CHECK(!t.sb.pinned);
	CHECK(t.sb.pid > 0);
	case_start(&t, c, RT_RUNNING);
	start(&t.pod, c2, &t.img, &t.sb, id2);
	wait_status(id2, RT_RUNNING, &st2);
	CHECK(same_ns(t.st.pid, t.sb.pid, "pid"));
	CHECK(same_ns(st2.pid, t.sb.pid, "pid"));
	CHECK(same_ns(t.st.pid, t.sb.pid, "net"));
	CHECK(same_ns(st2.pid, t.sb.pid, "ipc"));
	CHECK(same_ns(st2.pid, t.sb.pid, "uts"));
	CHECK(!same_ns(0, t.sb.pid, "pid"));
	REQUIRE(rt_sandbox_status(t.sb.id, &sb2, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	CHECK_EQ_INT(sb2.pid, t.sb.pid);
	CHECK_STR(sb2.netns_path, t.sb.netns_path);
	kill_wait(id2, SIGKILL, &st2);
	kill_wait(t.id, SIGKILL, &st);
	REQUIRE(rt_container_remove(id2, &err) == 0);
	REQUIRE(rt_container_remove(t.id, &err) == 0);
	REQUIRE(rt_sandbox_remove(t.sb.id, &err) == 0);
	CHECK(proc_gone(t.sb.pid));
	CHECK_EQ_INT(dir_entries("run/runtime"), 0);
	CHECK_EQ_INT(dir_entries("root/containers"), 0);
	case_free(&t);
}

/* mount points exactly at path in our mount namespace */
static int
mounts_at(const char *path)
{
	char line[8192], mnt[4096];
	FILE *f;
	int n = 0;

	REQUIRE((f = fopen("/proc/self/mountinfo", "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
		    strcmp(mnt, path) == 0)
			n++;
	fclose(f);
	return n;
}

/* runDir below a symlink (/var/run): one runDir/ns mount, every pin kept */
TEST(test_pins_below_a_symlinked_run_dir)
{
	struct pod p1, p2;
	struct rt_sandbox s1, s2, sb;
	struct rt_cstate st;
	struct rt_err err = { { "", 0 }, 0 };
	char link[PATH_MAX], base[PATH_MAX], path[PATH_MAX];

	if (!fx_setup_dirs(RUNTIME_RUNC))
		return;
	snprintf(path, sizeof(path), "%s/run", fx.base);
	snprintf(link, sizeof(link), "%s/runlink", fx.base);
	REQUIRE(symlink(path, link) == 0);
	REQUIRE(rt_path(fx.cfg.run_dir, sizeof(fx.cfg.run_dir), "%s", link) == 0);
	memset(&rt, 0, sizeof(rt));
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
	mkpod(&p1, "one", "uid-one");
	mkpod(&p2, "two", "uid-two");
	sandbox_up(&p1, &s1);
	sandbox_up(&p2, &s2);
	snprintf(base, sizeof(base), "%s/run/ns", fx.base);
	CHECK_EQ_INT(mounts_at(base), 1);
	CHECK_EQ_INT(rt_mounts_under(base), 7);	/* itself and 3 pins each */
	REQUIRE(rt_sandbox_status(s1.id, &sb, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	REQUIRE(rt_sandbox_status(s2.id, &sb, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	CHECK(rt_sandbox_remove(s1.id, &err) == 0);
	REQUIRE(rt_sandbox_status(s2.id, &sb, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	CHECK(rt_sandbox_remove(s2.id, &err) == 0);
	CHECK_EQ_INT(rt_mounts_under(path), 0);
	CHECK(access(base, F_OK) == -1);
	pod_free(&p1);
	pod_free(&p2);
}

TEST(test_shared_pid_namespace_has_infra_pid1)
{
	shares_pid_namespace(RUNTIME_RUNC);
}

TEST(test_container_joins_sandbox_namespaces)
{
	shares_namespaces(RUNTIME_RUNC);
}

TEST(test_container_joins_sandbox_namespaces_crun)
{
	shares_namespaces(RUNTIME_CRUN);
}

TEST(test_pod_network_has_loopback_up_and_hostname)
{
	struct pod_case t;
	struct container_spec *c;
	char *log;

	if (!case_setup(&t, RUNTIME_RUNC, "net-pod", "uid-net"))
		return;
	c = addc(&t.pod, "probe", "cat /sys/class/net/lo/flags; hostname; "
	    "cat /etc/hostname; grep -c localhost /etc/hosts; "
	    "ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok");
	log = run_to_exit(&t, c);
	CHECK_EQ_INT(t.st.exit_code, 0);
	CHECK(has_line(log, "stdout", "0x9"));	/* IFF_UP | IFF_LOOPBACK */
	CHECK(has_line(log, "stdout", "net-pod"));
	CHECK(has_line(log, "stdout", "2"));
	CHECK(has_line(log, "stdout", "ping-ok"));
	log_done(log);
	case_free(&t);
}

TEST(test_kill_sigterm_reports_signal_15)
{
	struct pod_case t;
	struct container_spec *c;
	struct rt_err err = { { "", 0 }, 0 };
	char *log;

	if (!case_setup(&t, RUNTIME_RUNC, "term-pod", "uid-term"))
		return;
	/* pid 1 of a pid namespace only sees signals it handles */
	c = addc(&t.pod, "term", "trap 'echo got-term; exit 143' TERM; "
	    "echo ready; sleep 1000 & wait");
	case_run(&t, c, RT_RUNNING);
	for (int i = 0; i < 250; i++) {	/* until the trap is set */
		log = read_log(&t.pod, "term");
		if (has_line(log, "stdout", "ready")) {
			free(log);
			break;
		}
		free(log);
		usleep(20000);
	}
	kill_wait(t.id, SIGTERM, &t.st);
	CHECK_EQ_INT(t.st.exit_code, 143);
	CHECK_EQ_INT(t.st.signal, 15);
	log = read_log(&t.pod, "term");
	CHECK(has_line(log, "stdout", "got-term"));
	log_done(log);
	/* killing an exited container is not an error */
	CHECK(rt_container_signal(t.id, SIGKILL, &err) == 0);
	case_free(&t);
}

TEST(test_kill_sigkill_reports_signal_9)
{
	struct pod_case t;

	if (!case_setup(&t, RUNTIME_RUNC, "kill-pod", "uid-kill"))
		return;
	case_run(&t, addc(&t.pod, "victim", "sleep 1000"), RT_RUNNING);
	kill_wait(t.id, SIGKILL, &t.st);
	CHECK_EQ_INT(t.st.exit_code, 137);
	CHECK_EQ_INT(t.st.signal, 9);
	CHECK_EQ_INT(t.st.oom_killed, 0);
	case_free(&t);
}

TEST(test_memory_limit_oom_killed)
{
	struct pod_case t;
	struct container_spec *c;
	char *log, cwd[128];

	if (!case_setup(&t, RUNTIME_RUNC, "oom-pod", "uid-oom"))
		return;
	c = addc(&t.pod, "hog", NULL);
	/* dd's 64 MiB block buffer alone is four times the limit */
	strlist_add(&c->command, "dd", POD_MAX_ARGS);
	strlist_add(&c->command, "if=/dev/zero", POD_MAX_ARGS);
	strlist_add(&c->command, "of=/dev/null", POD_MAX_ARGS);
	strlist_add(&c->command, "bs=64M", POD_MAX_ARGS);
	strlist_add(&c->command, "count=4", POD_MAX_ARGS);
	c->res.mem_limit_bytes = 16 * 1024 * 1024;
	/* conmon must not drop its "oom" note into the executor's cwd */
	snprintf(cwd, sizeof(cwd), "%s/cwd", fx.base);
	REQUIRE(mkdir(cwd, 0755) == 0 && chdir(cwd) == 0);
	log = run_to_exit(&t, c);
	CHECK_EQ_INT(dir_entries("cwd"), 0);
	CHECK_EQ_INT(t.st.oom_killed, 1);
	CHECK_EQ_INT(t.st.exit_code, 137);
	CHECK_EQ_INT(t.st.signal, 9);
	log_done(log);
	case_free(&t);
}

TEST(test_read_only_root_fs_refuses_writes)
{
	struct pod_case t;
	struct container_spec *c;
	char *log;

	if (!case_setup(&t, RUNTIME_RUNC, "ro-pod", "uid-ro"))
		return;
	c = addc(&t.pod, "ro", "touch /probe 2>&1; echo rc=$?; "
	    "echo x >/dev/shm/ok && echo shm-ok");
	c->sc.read_only_root_fs = 1;
	log = run_to_exit(&t, c);
	CHECK_EQ_INT(t.st.exit_code, 0);
	CHECK(strstr(log, "Read-only file system") != NULL);
	CHECK(has_line(log, "stdout", "rc=1"));
	CHECK(has_line(log, "stdout", "shm-ok"));	/* /dev/shm stays writable */
	log_done(log);
	case_free(&t);
}

TEST(test_run_as_user_1000)
{
	struct pod_case t;
	struct container_spec *c;
	char *log;

	if (!case_setup(&t, RUNTIME_RUNC, "user-pod", "uid-user"))
		return;
	c = addc(&t.pod, "u", "id -u; id -G");
	c->sc.run_as_user = 1000;
	log = run_to_exit(&t, c);
	CHECK_EQ_INT(t.st.exit_code, 0);
	CHECK(has_line(log, "stdout", "1000"));
	/* primary group and memberships from the image's /etc/group */
	CHECK(has_line(log, "stdout", "1000 33 100"));
	log_done(log);
	case_free(&t);
}

TEST(test_image_user_name_resolved_in_rootfs)
{
	struct pod_case t;
	char *log;

	if (!case_setup(&t, RUNTIME_RUNC, "nobody-pod", "uid-nobody"))
		return;
	snprintf(t.img.user, sizeof(t.img.user), "nobody");
	log = run_to_exit(&t, addc(&t.pod, "n", "echo $(id -u):$(id -g)"));
	CHECK(has_line(log, "stdout", "65534:65534"));
	log_done(log);
	case_free(&t);
}

TEST(test_capabilities_drop_all_and_confinement)
{
	struct pod_case t;
	struct container_spec *c;
	char *log;

	if (!case_setup(&t, RUNTIME_RUNC, "caps-pod", "uid-caps"))
		return;
	c = addc(&t.pod, "nocaps", "grep -E '^(CapEff|NoNewPrivs|Seccomp):' "
	    "/proc/self/status");
	strlist_add(&c->sc.cap_drop, "ALL", POD_MAX_CAPS);
	c->sc.allow_privilege_escalation = 0;
	/* unset allows escalation, as the kubelet's AddNoNewPrivileges */
	addc(&t.pod, "defcaps", "grep -E '^(CapEff|NoNewPrivs):' "
	    "/proc/self/status; "
	    "unshare -U true 2>/dev/null && echo unshare-ok || echo unshare-denied");
	/* addc may have moved the array */
	case_run(&t, &t.pod.containers[0], RT_EXITED);
	case_start(&t, &t.pod.containers[1], RT_EXITED);
	log = read_log(&t.pod, "nocaps");
	CHECK(has_line(log, "stdout", "CapEff:\t0000000000000000"));
	CHECK(has_line(log, "stdout", "NoNewPrivs:\t1"));
	CHECK(has_line(log, "stdout", "Seccomp:\t2"));
	log_done(log);
	log = read_log(&t.pod, "defcaps");
	/* containerd's default set */
	CHECK(has_line(log, "stdout", "CapEff:\t00000000a80425fb"));
	CHECK(has_line(log, "stdout", "NoNewPrivs:\t0"));
	/* the seccomp profile refuses user namespaces without SYS_ADMIN */
	CHECK(has_line(log, "stdout", "unshare-denied"));
	log_done(log);
	case_free(&t);
}

TEST(test_start_failure_leaves_nothing)
{
	struct pod_case t;
	struct container_spec *c;
	struct rt_err err = { { "", 0 }, 0 };
	char path[PATH_MAX];

	if (!case_setup(&t, RUNTIME_RUNC, "bad-pod", "uid-bad"))
		return;
	c = addc(&t.pod, "bad", NULL);
	strlist_add(&c->command, "/no/such/binary", POD_MAX_ARGS);
	sandbox_up(&t.pod, &t.sb);
	CHECK(container_start(&t.pod, c, &t.img, &t.sb, t.id, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "no/such/binary") != NULL ||
	    strstr(rt_errmsg(&err), "create failed") != NULL);
	printf("# start error: %s\n", rt_errmsg(&err));
	/* only the sandbox is left */
	CHECK_EQ_INT(dir_entries("root/containers"), 1);
	snprintf(path, sizeof(path), "%s/root/containers/%s", fx.base,
	    t.sb.id);
	CHECK_EQ_INT(rt_mounts_under(path) >= 0, 1);
	snprintf(path, sizeof(path), "%s/root", fx.base);
	/* the sandbox's shm is the one mount left */
	CHECK_EQ_INT(rt_mounts_under(path), 1);
	case_free(&t);
}

static int
cgroup_dir_exists(const char *rel)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/fs/cgroup%s", rel);
	if (stat(path, &st) == 0)
		return 1;
	if ((d = opendir("/sys/fs/cgroup")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s", de->d_name,
		    rel);
		if (stat(path, &st) == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

/* the entries of base/sub, each named on stderr; -1: no such directory */
static int
dir_entries(const char *sub)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", fx.base, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			fprintf(stderr, "# %s: %s\n", sub, de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

TEST(test_remove_leaves_nothing_behind)
{
	struct pod_case t;
	struct container_spec *c;
	struct rt_err err = { { "", 0 }, 0 };
	char path[PATH_MAX], cg[PATH_MAX];
	pid_t cpid, conmon = 0;
	FILE *f;

	if (!case_setup(&t, RUNTIME_RUNC, "rm-pod", "uid-rm"))
		return;
	c = addc(&t.pod, "busy", "sleep 1000");
	c->res.mem_limit_bytes = 64 << 20;
	c->res.cpu_limit_milli = 500;
	case_run(&t, c, RT_RUNNING);
	cpid = t.st.pid;
	snprintf(path, sizeof(path), "%s/run/conmon/%s.pid", fx.base, t.id);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%d", &conmon) != 1)
			conmon = 0;
		fclose(f);
	}
	CHECK(conmon > 0 && kill(conmon, 0) == 0);
	/* conmon has left our cgroup for the pod's */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)conmon);
	{
		char *cgtext = NULL, want[128];

		snprintf(want, sizeof(want), "%s/kubepods/poduid-rm/conmon\n",
		    fx.cgroot);
		REQUIRE(rt_read_file(path, 65536, &cgtext, NULL) == 0);
		CHECK(strstr(cgtext, want) != NULL);
		free(cgtext);
	}
	snprintf(cg, sizeof(cg), "%s/kubepods/poduid-rm/%s", fx.cgroot, t.id);
	CHECK(cgroup_dir_exists(cg));
	snprintf(path, sizeof(path), "%s/root", fx.base);
	CHECK_EQ_INT(rt_mounts_under(path), 2);	/* overlay, pod shm */

	/* removing a running container stops it */
	CHECK(rt_container_remove(t.id, &err) == 0);
	CHECK(proc_gone(cpid));
	CHECK(conmon > 0 && proc_gone(conmon));
	CHECK(!cgroup_dir_exists(cg));
	snprintf(path, sizeof(path), "%s/root/containers/%s", fx.base, t.id);
	CHECK(access(path, F_OK) == -1);
	CHECK(rt_container_state(t.id, &t.st, &err) == -1);

	CHECK(rt_sandbox_remove(t.sb.id, &err) == 0);
	if (tap_failed_here)
		fprintf(stderr, "remove: %s\n", rt_errmsg(&err));
	CHECK(t.sb.pinned && t.sb.pid == 0);
	snprintf(path, sizeof(path), "%s/root", fx.base);
	CHECK_EQ_INT(rt_mounts_under(path), 0);
	/* the pins and runDir/ns itself are unmounted and gone */
	snprintf(path, sizeof(path), "%s/run", fx.base);
	CHECK_EQ_INT(rt_mounts_under(path), 0);
	snprintf(path, sizeof(path), "%s/run/ns", fx.base);
	CHECK(access(path, F_OK) == -1);
	snprintf(cg, sizeof(cg), "%s/kubepods/poduid-rm", fx.cgroot);
	CHECK(!cgroup_dir_exists(cg));
	snprintf(path, sizeof(path), "%s/root/containers/%s", fx.base,
	    t.sb.id);
	CHECK(access(path, F_OK) == -1);
	snprintf(path, sizeof(path), "%s/root/pods/uid-rm", fx.base);
	CHECK(access(path, F_OK) == -1);
	/* and nothing in runDir: exit, pid and socket files, runtime state */
	CHECK_EQ_INT(dir_entries("run/exits"), 0);
	CHECK_EQ_INT(dir_entries("run/conmon"), 0);
	CHECK_EQ_INT(dir_entries("run/socks"), 0);
	CHECK_EQ_INT(dir_entries("run/runtime"), 0);
	CHECK_EQ_INT(dir_entries("root/containers"), 0);
	CHECK_EQ_INT(dir_entries("root/pods"), 0);
	/* removing twice is harmless */
	CHECK(rt_container_remove(t.id, &err) == 0);
	CHECK(rt_sandbox_remove(t.sb.id, &err) == 0);
	case_free(&t);
}

struct seen {
	char			id[4][RT_ID_MAX];
	struct rt_labels	l[4];
	int			n;
};

static void
collect(const char *id, const struct rt_labels *l, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4) {
		snprintf(s->id[s->n], RT_ID_MAX, "%s", id);
		s->l[s->n++] = *l;
	}
}

struct created {
	char	sandbox[RT_ID_MAX];
	char	keeper[RT_ID_MAX];
	char	quitter[RT_ID_MAX];
	pid_t	keeper_pid;
	int64_t	keeper_started;
};

/* in a child that then exits, as an executor that dies would */
static void
create_and_exit(const struct pod *p, const struct rt_image *img,
    struct created *out)
{
	struct created c;
	struct rt_sandbox sb;
	struct rt_cstate st;
	int fds[2];
	pid_t pid;

	memset(&c, 0, sizeof(c));
	REQUIRE(pipe(fds) == 0);
	REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(fds[0]);
		sandbox_up(p, &sb);
		snprintf(c.sandbox, sizeof(c.sandbox), "%s", sb.id);
		start(p, &p->containers[0], img, &sb, c.keeper);
		start(p, &p->containers[1], img, &sb, c.quitter);
		wait_status(c.keeper, RT_RUNNING, &st);
		c.keeper_pid = st.pid;
		c.keeper_started = st.started_at_ns;
		if (write(fds[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(1);
		_exit(0);	/* no atexit teardown: the containers stay */
	}
	close(fds[1]);
	REQUIRE(read(fds[0], out, sizeof(*out)) == (ssize_t)sizeof(*out));
	close(fds[0]);
	REQUIRE(waitpid(pid, NULL, 0) == pid);
}

TEST(test_restart_readopts_running_containers)
{
	struct pod_case t;
	struct rt_cstate st;
	struct rt_err err = { { "", 0 }, 0 };
	struct seen seen = { .n = 0 };
	struct created c;
	int i, found = 0;

	if (!case_setup(&t, RUNTIME_RUNC, "keep-pod", "uid-keep"))
		return;
	addc(&t.pod, "keeper", "sleep 1000");
	addc(&t.pod, "quitter", "sleep 1; exit 7");
	create_and_exit(&t.pod, &t.img, &c);
	/* the quitter ends while no executor is around */
	sleep(2);

	/* a new executor: fresh init over the same directories */
	memset(&rt, 0, sizeof(rt));
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
	REQUIRE(rt_list(collect, &seen, &err) == 0);
	CHECK_EQ_INT(seen.n, 3);
	for (i = 0; i < seen.n; i++) {
		if (strcmp(seen.id[i], c.keeper) == 0) {
			found |= 1;
			CHECK_STR(seen.l[i].container, "keeper");
			CHECK_STR(seen.l[i].pod_uid, "uid-keep");
			CHECK_STR(seen.l[i].pod_name, "keep-pod");
			CHECK_STR(seen.l[i].spec_hash, "hash-keeper");
			CHECK_STR(seen.l[i].image_digest, t.img.digest);
		} else if (strcmp(seen.id[i], c.quitter) == 0) {
			found |= 2;
			CHECK_STR(seen.l[i].container, "quitter");
		} else if (strcmp(seen.id[i], c.sandbox) == 0) {
			found |= 4;
			CHECK_STR(seen.l[i].container, "");
		}
	}
	CHECK_EQ_INT(found, 7);
	REQUIRE(rt_container_state(c.keeper, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	CHECK_EQ_INT(st.pid, c.keeper_pid);
	CHECK(st.started_at_ns == c.keeper_started);
	REQUIRE(rt_container_state(c.quitter, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_EXITED);
	CHECK_EQ_INT(st.exit_code, 7);
	/* and it can still be stopped, and its exit code read */
	kill_wait(c.keeper, SIGKILL, &st);
	CHECK_EQ_INT(st.exit_code, 137);
	case_free(&t);
}

TEST(test_container_needs_running_sandbox)
{
	struct pod_case t;
	struct container_spec *c;
	struct rt_err err = { { "", 0 }, 0 };

	if (!case_setup(&t, RUNTIME_RUNC, "gone-pod", "uid-gone"))
		return;
	c = addc(&t.pod, "late", "true");
	sandbox_up(&t.pod, &t.sb);
	REQUIRE(rt_sandbox_remove(t.sb.id, &err) == 0);
	CHECK(container_start(&t.pod, c, &t.img, &t.sb, t.id, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "not found") != NULL ||
	    strstr(rt_errmsg(&err), "not running") != NULL);
	case_free(&t);
}

TEST(test_init_removes_half_created_containers)
{
	struct rt_err err = { { "", 0 }, 0 };
	struct seen seen = { .n = 0 };
	char path[PATH_MAX];

	if (!fx_setup_dirs(RUNTIME_RUNC))
		return;
	/* a crash between mkdir and labels.json leaves only directories */
	snprintf(path, sizeof(path), "%s/root/containers/%064d/upper", fx.base,
	    7);
	REQUIRE(rt_mkdir_p(path, 0755) == 0);
	REQUIRE(rt_list(collect, &seen, &err) == 0);
	CHECK_EQ_INT(seen.n, 0);
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
	snprintf(path, sizeof(path), "%s/root/containers/%064d", fx.base, 7);
	CHECK(access(path, F_OK) == -1);
}

TEST(test_host_namespaces_when_pod_asks)
{
	struct pod_case t;
	struct container_spec *c;
	char host[256], *log;

	if (!case_setup(&t, RUNTIME_RUNC, "host-pod", "uid-host"))
		return;
	t.pod.host_network = t.pod.host_ipc = 1;
	c = addc(&t.pod, "h", "hostname; sleep 1000");
	sandbox_up(&t.pod, &t.sb);
	CHECK_STR(t.sb.netns_path, "");
	case_start(&t, c, RT_RUNNING);
	CHECK(same_ns(t.st.pid, 0, "net"));
	CHECK(same_ns(t.st.pid, 0, "ipc"));
	CHECK(!same_ns(t.st.pid, 0, "pid"));	/* hostPID was not asked for */
	REQUIRE(gethostname(host, sizeof(host)) == 0);
	usleep(200000);
	log = read_log(&t.pod, "h");
	CHECK(has_line(log, "stdout", host));
	log_done(log);
	case_free(&t);
}

TEST(test_privileged_gets_all_caps_and_no_seccomp)
{
	struct pod_case t;
	struct container_spec *c;
	char *log, *status, want[64], *bnd;

	if (!case_setup(&t, RUNTIME_RUNC, "priv-pod", "uid-priv"))
		return;
	c = addc(&t.pod, "priv", "grep -E '^(CapEff|Seccomp|NoNewPrivs):' "
	    "/proc/self/status");
	c->sc.privileged = 1;
	log = run_to_exit(&t, c);
	CHECK_EQ_INT(t.st.exit_code, 0);
	/* everything this node's bounding set has, which is ours */
	REQUIRE(rt_read_file("/proc/self/status", 65536, &status, NULL) == 0);
	REQUIRE((bnd = strstr(status, "CapBnd:\t")) != NULL);
	snprintf(want, sizeof(want), "CapEff:\t%.16s", bnd + 8);
	CHECK(has_line(log, "stdout", want));
	CHECK(has_line(log, "stdout", "Seccomp:\t0"));
	CHECK(has_line(log, "stdout", "NoNewPrivs:\t0"));
	if (tap_failed_here)
		fprintf(stderr, "want %s\n", want);
	log_done(log);
	free(status);
	case_free(&t);
}

/* ---- the program runner's bounds ---- */

TEST(test_run_output_bounded_at_limit)
{
	char n[32];
	const char *argv[] = { "/usr/bin/head", "-c", n, "/dev/zero", NULL };
	struct rt_run r = { .argv = argv };
	struct rt_err err = { { "", 0 }, 0 };

	snprintf(n, sizeof(n), "%d", RT_RUN_OUT_MAX);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_EQ_INT(r.out_len, RT_RUN_OUT_MAX);
	rt_run_free(&r);
	/* one byte more is cut, and the child is still drained to its end */
	snprintf(n, sizeof(n), "%d", RT_RUN_OUT_MAX + 1);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_EQ_INT(r.out_len, RT_RUN_OUT_MAX);
	rt_run_free(&r);
	snprintf(n, sizeof(n), "%d", 8 * RT_RUN_OUT_MAX);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_EQ_INT(WEXITSTATUS(r.status), 0);
	rt_run_free(&r);
}

TEST(test_run_timeout_kills_child)
{
	const char *argv[] = { "/bin/sleep", "30", NULL };
	struct rt_run r = { .argv = argv, .timeout_ms = 300 };
	struct rt_err err = { { "", 0 }, 0 };
	time_t t0 = time(NULL);

	CHECK(rt_run(&r, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "timed out") != NULL);
	CHECK(time(NULL) - t0 < 5);
	CHECK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
	rt_run_free(&r);
}

TEST(test_run_feeds_stdin_and_fixed_env)
{
	const char *cat[] = { "/bin/cat", NULL };
	const char *env[] = { "/usr/bin/env", NULL };
	struct rt_run r = { .argv = cat, .in = "hello\n", .in_len = 6 };
	struct rt_err err = { { "", 0 }, 0 };

	setenv("AGENTD_LEAK", "1", 1);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_STR(r.out, "hello\n");
	rt_run_free(&r);
	memset(&r, 0, sizeof(r));
	r.argv = env;
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK(strstr(r.out, "AGENTD_LEAK") == NULL);
	CHECK(strstr(r.out, "PATH=") != NULL);
	rt_run_free(&r);
	/* no shell: the argument is one argv entry, not a command line */
	{
		const char *echo[] = { "/bin/echo", "a; echo b", NULL };

		memset(&r, 0, sizeof(r));
		r.argv = echo;
		REQUIRE(rt_run_ok(&r, &err) == 0);
		CHECK_STR(r.out, "a; echo b\n");
		rt_run_free(&r);
	}
}

/* no root needed: the entry point wraps the cause with the pod it is for */
TEST(test_sandbox_create_error_names_the_pod_then_the_cause)
{
	struct pod p;
	struct rt_sandbox sb;
	struct rt_err err = { { "", 0 }, 0 };

	pod_init(&p);
	REQUIRE((p.namespace = strdup("default")) != NULL);
	REQUIRE((p.name = strdup("web")) != NULL);
	/* this test process never ran rt_init */
	CHECK(rt_sandbox_create(&p, "hash", 0, &sb, &err) == -1);
	CHECK_STR(rt_errmsg(&err), "creating sandbox for default/web: runtime "
	    "not initialized");
	CHECK_EQ_INT(err_errno(&err.chain), 0);
	pod_free(&p);
}

TEST(test_rt_wrap_keeps_the_cause_and_its_errno)
{
	struct rt_err err = { { "", 0 }, 0 };

	errno = EINVAL;
	CHECK(rt_seterrno(&err, "pin %s on %s", "/proc/9/ns/net",
	    "/run/ns/x/net") == -1);
	CHECK(rt_wrap(&err, "pinning the namespaces") == -1);
	CHECK(rt_wrap(&err, "creating sandbox for %s/%s", "default",
	    "web") == -1);
	CHECK_STR(rt_errmsg(&err), "creating sandbox for default/web: pinning "
	    "the namespaces: pin /proc/9/ns/net on /run/ns/x/net: Invalid "
	    "argument");
	CHECK_EQ_INT(err_errno(&err.chain), EINVAL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(rt_wrap(NULL, "no error to wrap") == -1);
}
