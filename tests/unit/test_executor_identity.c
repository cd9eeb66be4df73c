/*
 * identity.c: the sandbox and container hashes of issue 9, item 4.
 * Equal pods hash equal; each field in a hash changes that hash and no
 * other (a container's field not its sibling's hash, a sandbox field no
 * container's); the fields left out change nothing; a podwire round trip
 * (and, in the test build, the upgrade layout) keeps every hash; a field
 * at its default is not in the canonical text at all, so a pod that sets
 * it to the default hashes like one that does not have it.
 */
#include <stdint.h>

#include "ipc.h"
#include "pod.h"
#include "podschema.h"
#include "tap.h"
#include "../../workers/executor/identity.h"

/*
 * The hashes of rich_pod (test_hashes_are_pinned), checked when written
 * against an independent SHA-256 (Python's hashlib) of the canonical text
 */
#define SANDBOX_PIN	"s1:7dcdc87add08acd5447611e1a29e15af" \
			"55324b558b2ead701b2476f3c34ba45d"
#define CTR0_PIN	"c1:626db68bce1c5c385030fa0a1d4010b0" \
			"62bdf9faf88f68c0db7da403bd1b3269"
#define CTR1_PIN	"c1:77264061bb9217e6a836af831103127e" \
			"af7df088323ae28ded2e790a6bba5216"

/* ---- building pods ---- */

static char *
sdup(const char *s)
{
	char *d;

	REQUIRE((d = strdup(s)) != NULL);
	return d;
}

static void
add_kv(struct kv **v, uint32_t *n, const char *key, const char *value)
{
	REQUIRE((*v = reallocarray(*v, *n + 1, sizeof(**v))) != NULL);
	(*v)[*n].key = sdup(key);
	(*v)[*n].value = sdup(value);
	(*n)++;
}

static struct env_var *
add_env(struct container_spec *c, const char *key, const char *value)
{
	struct env_var *e;

	REQUIRE((c->env = reallocarray(c->env, c->n_env + 1,
	    sizeof(*c->env))) != NULL);
	e = &c->env[c->n_env++];
	podschema_init(&podschema_env_var, e);
	e->key = sdup(key);
	e->value = sdup(value);
	return e;
}

static void
add_str(struct strlist *l, const char *s)
{
	REQUIRE(strlist_add(l, s, UINT32_MAX) == 0);
}

static struct container_port *
add_port(struct container_spec *c, uint32_t port)
{
	struct container_port *pt;

	REQUIRE((c->ports = reallocarray(c->ports, c->n_ports + 1,
	    sizeof(*c->ports))) != NULL);
	pt = &c->ports[c->n_ports++];
	memset(pt, 0, sizeof(*pt));
	pt->container_port = port;
	return pt;
}

static struct container_spec *
add_ctr(struct pod *p, const char *name, const char *image)
{
	struct container_spec *c;

	REQUIRE((p->containers = reallocarray(p->containers,
	    p->n_containers + 1, sizeof(*p->containers))) != NULL);
	c = &p->containers[p->n_containers++];
	container_spec_init(c);
	c->name = sdup(name);
	c->image = sdup(image);
	return c;
}

static void
bare_pod(struct pod *p)
{
	pod_init(p);
	p->namespace = sdup("default");
	p->name = sdup("web-node1");
	p->uid = sdup("5f0c2a9e-1b7d-4e3a-8c6f-2d9b0e4a7c11");
	add_ctr(p, "app", "busybox");
}

/* every field of the model set, two containers */
static void
rich_pod(struct pod *p)
{
	struct container_spec *c;
	struct container_port *pt;

	pod_init(p);
	p->namespace = sdup("kube-system");
	p->name = sdup("dns-node1");
	p->uid = sdup("0d3c5e7f-aaaa-bbbb-cccc-001122334455");
	add_kv(&p->labels, &p->n_labels, "app", "dns");
	add_kv(&p->annotations, &p->n_annotations, "example.com/n", "x");
	p->source = sdup("file:/etc/agentd/pods/dns.yaml");
	p->node_name = sdup("node1");
	p->restart_policy = RESTART_ON_FAILURE;
	p->termination_grace_seconds = 45;
	p->psc.run_as_user = 1000;
	p->psc.run_as_group = 1000;
	p->psc.run_as_non_root = 1;

	c = add_ctr(p, "dns", "registry.example/dns:1.2");
	c->pull_policy = PULL_ALWAYS;
	add_str(&c->command, "/dns");
	add_str(&c->command, "-conf");
	add_str(&c->args, "/etc/dns/conf");
	add_env(c, "PROCS", "2");
	add_env(c, "EMPTY", "");
	c->working_dir = sdup("/srv");
	pt = add_port(c, 53);
	pt->name = sdup("dns");
	pt->host_port = 5353;
	pt->protocol = PROTO_UDP;
	pt->host_ip = sdup("127.0.0.1");
	add_port(c, 9153);
	c->res.cpu_request_milli = 100;
	c->res.cpu_limit_milli = 500;
	c->res.mem_request_bytes = 64LL << 20;
	c->res.mem_limit_bytes = 128LL << 20;
	c->sc.run_as_user = 1001;
	c->sc.run_as_group = 1002;
	c->sc.run_as_non_root = 1;
	c->sc.read_only_root_fs = 1;
	c->sc.privileged = 0;
	c->sc.allow_privilege_escalation = 0;
	add_str(&c->sc.cap_add, "NET_BIND_SERVICE");
	add_str(&c->sc.cap_drop, "ALL");

	c = add_ctr(p, "side", "busybox:1.36");
	add_str(&c->args, "sleep");
	add_str(&c->args, "1000");
	c->res.mem_limit_bytes = 32LL << 20;
}

/* ---- hashes ---- */

struct hashes {
	char	sb[ID_HASH_LEN + 1];
	char	c[POD_MAX_CONTAINERS][ID_HASH_LEN + 1];
	uint32_t n;
};

static void
hash_all(const struct pod *p, struct hashes *h)
{
	uint32_t i;

	memset(h, 0, sizeof(*h));
	REQUIRE(id_sandbox_hash(p, h->sb) == 0);
	for (i = 0; i < p->n_containers && i < POD_MAX_CONTAINERS; i++)
		REQUIRE(id_container_hash(p, &p->containers[i], h->c[i]) == 0);
	h->n = p->n_containers;
}

/* which of the hashes differ: bit 0 the sandbox, bit 1+i container i */
static unsigned
changed(const struct hashes *a, const struct hashes *b)
{
	unsigned mask = 0;
	uint32_t i;

	REQUIRE(a->n == b->n);
	if (strcmp(a->sb, b->sb) != 0)
		mask |= 1;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->c[i], b->c[i]) != 0)
			mask |= 2u << i;
	return mask;
}

#define SANDBOX		1u
#define CTR(i)		(2u << (i))

/* ---- mutations of the rich pod, one field each ---- */

static void m_c0_name(struct pod *p) { free(p->containers[0].name);
	p->containers[0].name = sdup("dns2"); }
static void m_c0_image(struct pod *p) { free(p->containers[0].image);
	p->containers[0].image = sdup("registry.example/dns:1.3"); }
static void m_c0_pull(struct pod *p) {
	p->containers[0].pull_policy = PULL_NEVER; }
static void m_c0_pull_default(struct pod *p) {
	p->containers[0].pull_policy = PULL_IF_NOT_PRESENT; }
static void m_c0_cmd(struct pod *p) { free(p->containers[0].command.v[1]);
	p->containers[0].command.v[1] = sdup("-config"); }
static void m_c0_cmd_more(struct pod *p) {
	add_str(&p->containers[0].command, "-v"); }
static void m_c0_cmd_less(struct pod *p) {
	free(p->containers[0].command.v[1]);
	p->containers[0].command.n = 1; }
static void m_c0_args(struct pod *p) { free(p->containers[0].args.v[0]);
	p->containers[0].args.v[0] = sdup("/etc/dns/conf2"); }
static void m_c0_args_to_cmd(struct pod *p) {
	/* the same words, one moved from args to command */
	add_str(&p->containers[0].command, p->containers[0].args.v[0]);
	strlist_free(&p->containers[0].args); }
static void m_c0_env_name(struct pod *p) {
	free(p->containers[0].env[0].key);
	p->containers[0].env[0].key = sdup("PROCS2"); }
static void m_c0_env_value(struct pod *p) {
	free(p->containers[0].env[0].value);
	p->containers[0].env[0].value = sdup("3"); }
static void m_c0_env_empty_set(struct pod *p) {
	free(p->containers[0].env[1].value);
	p->containers[0].env[1].value = sdup("now set"); }
static void m_c0_env_add(struct pod *p) {
	add_env(&p->containers[0], "X", "1"); }
static void m_c0_env_field_ref(struct pod *p) {
	struct env_var *e = &p->containers[0].env[1];
	e->field_ref.field_path = sdup("metadata.name");
	e->field_ref.field = ENV_FIELD_NAME; }
static void m_c0_env_resource_ref(struct pod *p) {
	struct env_var *e = &p->containers[0].env[1];
	e->resource_ref.resource = ENV_RES_LIMITS_CPU; }
static void m_c0_env_resource_divisor(struct pod *p) {
	struct env_var *e = &p->containers[0].env[1];
	e->resource_ref.resource = ENV_RES_LIMITS_CPU;
	e->resource_ref.divisor_units = 1; }
static void m_c0_env_order(struct pod *p) {
	struct env_var t = p->containers[0].env[0];
	p->containers[0].env[0] = p->containers[0].env[1];
	p->containers[0].env[1] = t; }
static void m_c0_wd(struct pod *p) { free(p->containers[0].working_dir);
	p->containers[0].working_dir = sdup("/"); }
static void m_c0_wd_unset(struct pod *p) {
	free(p->containers[0].working_dir);
	p->containers[0].working_dir = NULL; }
static void m_c0_port_name(struct pod *p) {
	free(p->containers[0].ports[0].name);
	p->containers[0].ports[0].name = sdup("dns2"); }
static void m_c0_port(struct pod *p) {
	p->containers[0].ports[1].container_port = 9154; }
static void m_c0_hostport(struct pod *p) {
	p->containers[0].ports[0].host_port = 0; }
static void m_c0_proto(struct pod *p) {
	p->containers[0].ports[0].protocol = PROTO_SCTP; }
static void m_c0_proto_tcp(struct pod *p) {
	p->containers[0].ports[0].protocol = PROTO_TCP; }
static void m_c0_hostip(struct pod *p) {
	free(p->containers[0].ports[0].host_ip);
	p->containers[0].ports[0].host_ip = sdup("0.0.0.0"); }
static void m_c0_port_add(struct pod *p) {
	add_port(&p->containers[0], 8080); }
static void m_c0_cpu_req(struct pod *p) {
	p->containers[0].res.cpu_request_milli = 200; }
static void m_c0_cpu_lim(struct pod *p) {
	p->containers[0].res.cpu_limit_milli = -1; }
static void m_c0_mem_req(struct pod *p) {
	p->containers[0].res.mem_request_bytes = 65LL << 20; }
static void m_c0_mem_lim(struct pod *p) {
	p->containers[0].res.mem_limit_bytes = 256LL << 20; }
static void m_c0_uid(struct pod *p) { p->containers[0].sc.run_as_user = 0; }
static void m_c0_gid(struct pod *p) {
	p->containers[0].sc.run_as_group = -1; }
static void m_c0_nonroot(struct pod *p) {
	p->containers[0].sc.run_as_non_root = 0; }
static void m_c0_rofs(struct pod *p) {
	p->containers[0].sc.read_only_root_fs = TRI_UNSET; }
static void m_c0_priv(struct pod *p) { p->containers[0].sc.privileged = 1; }
static void m_c0_priv_unset(struct pod *p) {
	p->containers[0].sc.privileged = TRI_UNSET; }
static void m_c0_ape(struct pod *p) {
	p->containers[0].sc.allow_privilege_escalation = 1; }
static void m_c0_capadd(struct pod *p) {
	add_str(&p->containers[0].sc.cap_add, "NET_RAW"); }
static void m_c0_capdrop(struct pod *p) {
	strlist_free(&p->containers[0].sc.cap_drop); }
static void m_c0_cap_swap(struct pod *p) {
	/* the same name, dropped instead of added */
	struct strlist t = p->containers[0].sc.cap_add;
	p->containers[0].sc.cap_add = p->containers[0].sc.cap_drop;
	p->containers[0].sc.cap_drop = t; }

static void m_c1_image(struct pod *p) { free(p->containers[1].image);
	p->containers[1].image = sdup("busybox:1.37"); }
static void m_c1_args(struct pod *p) { free(p->containers[1].args.v[1]);
	p->containers[1].args.v[1] = sdup("1001"); }
static void m_c1_mem(struct pod *p) {
	p->containers[1].res.mem_limit_bytes = 64LL << 20; }

static void m_psc_uid(struct pod *p) { p->psc.run_as_user = 2000; }
static void m_psc_gid(struct pod *p) { p->psc.run_as_group = -1; }
static void m_psc_nonroot(struct pod *p) { p->psc.run_as_non_root = 0; }
static void m_psc_groups(struct pod *p) {
	REQUIRE(strlist_add(&p->psc.supplemental_groups, "4000",
	    POD_MAX_SUPP_GROUPS) == 0); }
static void m_sysctl(struct pod *p) {
	add_kv(&p->psc.sysctls, &p->psc.n_sysctls, "net.core.somaxconn",
	    "1024"); }

static void m_ns(struct pod *p) { free(p->namespace);
	p->namespace = sdup("kube-public"); }
static void m_name(struct pod *p) { free(p->name);
	p->name = sdup("dns-node2"); }
static void m_uid(struct pod *p) { free(p->uid);
	p->uid = sdup("0d3c5e7f-aaaa-bbbb-cccc-001122334456"); }
static void m_hostnet(struct pod *p) { p->host_network = 1; }
static void m_hostpid(struct pod *p) { p->host_pid = 1; }
static void m_hostipc(struct pod *p) { p->host_ipc = 1; }

static void m_labels(struct pod *p) {
	add_kv(&p->labels, &p->n_labels, "tier", "infra"); }
static void m_annots(struct pod *p) { free(p->annotations[0].value);
	p->annotations[0].value = sdup("y"); }
static void m_restart(struct pod *p) { p->restart_policy = RESTART_NEVER; }
static void m_grace(struct pod *p) { p->termination_grace_seconds = 1; }
static void m_source(struct pod *p) { free(p->source);
	p->source = sdup("api"); }
static void m_node(struct pod *p) { free(p->node_name);
	p->node_name = sdup("node2"); }

struct mutation {
	const char	*what;
	void		(*fn)(struct pod *);
	unsigned	 expect;	/* the hashes it must change */
};

static const struct mutation mutations[] = {
	{ "c0 name", m_c0_name, CTR(0) },
	{ "c0 image", m_c0_image, CTR(0) },
	{ "c0 imagePullPolicy", m_c0_pull, CTR(0) },
	{ "c0 imagePullPolicy to the default", m_c0_pull_default, CTR(0) },
	{ "c0 command word", m_c0_cmd, CTR(0) },
	{ "c0 command longer", m_c0_cmd_more, CTR(0) },
	{ "c0 command shorter", m_c0_cmd_less, CTR(0) },
	{ "c0 args", m_c0_args, CTR(0) },
	{ "c0 a word from args to command", m_c0_args_to_cmd, CTR(0) },
	{ "c0 env name", m_c0_env_name, CTR(0) },
	{ "c0 env value", m_c0_env_value, CTR(0) },
	{ "c0 empty env value set", m_c0_env_empty_set, CTR(0) },
	{ "c0 env added", m_c0_env_add, CTR(0) },
	{ "c0 env order", m_c0_env_order, CTR(0) },
	{ "c0 env fieldRef", m_c0_env_field_ref, CTR(0) },
	{ "c0 env resourceFieldRef", m_c0_env_resource_ref, CTR(0) },
	{ "c0 env resourceFieldRef divisor", m_c0_env_resource_divisor,
	    CTR(0) },
	{ "c0 workingDir", m_c0_wd, CTR(0) },
	{ "c0 workingDir unset", m_c0_wd_unset, CTR(0) },
	{ "c0 port name", m_c0_port_name, CTR(0) },
	{ "c0 containerPort", m_c0_port, CTR(0) },
	{ "c0 hostPort", m_c0_hostport, CTR(0) },
	{ "c0 protocol", m_c0_proto, CTR(0) },
	{ "c0 protocol to TCP", m_c0_proto_tcp, CTR(0) },
	{ "c0 hostIP", m_c0_hostip, CTR(0) },
	{ "c0 port added", m_c0_port_add, CTR(0) },
	{ "c0 cpu request", m_c0_cpu_req, CTR(0) },
	{ "c0 cpu limit unset", m_c0_cpu_lim, CTR(0) },
	{ "c0 memory request", m_c0_mem_req, CTR(0) },
	{ "c0 memory limit", m_c0_mem_lim, CTR(0) },
	{ "c0 runAsUser", m_c0_uid, CTR(0) },
	{ "c0 runAsGroup unset", m_c0_gid, CTR(0) },
	{ "c0 runAsNonRoot", m_c0_nonroot, CTR(0) },
	{ "c0 readOnlyRootFilesystem unset", m_c0_rofs, CTR(0) },
	{ "c0 privileged", m_c0_priv, CTR(0) },
	{ "c0 privileged false to unset", m_c0_priv_unset, CTR(0) },
	{ "c0 allowPrivilegeEscalation", m_c0_ape, CTR(0) },
	{ "c0 capability added", m_c0_capadd, CTR(0) },
	{ "c0 capability drop removed", m_c0_capdrop, CTR(0) },
	{ "c0 add and drop swapped", m_c0_cap_swap, CTR(0) },
	{ "c1 image", m_c1_image, CTR(1) },
	{ "c1 args", m_c1_args, CTR(1) },
	{ "c1 memory limit (c0's QoS input)", m_c1_mem, CTR(1) },
	{ "pod runAsUser", m_psc_uid, CTR(0) | CTR(1) },
	{ "pod runAsGroup unset", m_psc_gid, CTR(0) | CTR(1) },
	{ "pod runAsNonRoot", m_psc_nonroot, CTR(0) | CTR(1) },
	{ "pod supplementalGroups", m_psc_groups, CTR(0) | CTR(1) },
	{ "pod sysctl added", m_sysctl, SANDBOX },
	{ "namespace", m_ns, SANDBOX },
	{ "name", m_name, SANDBOX },
	{ "uid", m_uid, SANDBOX },
	{ "hostNetwork", m_hostnet, SANDBOX },
	{ "hostPID", m_hostpid, SANDBOX },
	{ "hostIPC", m_hostipc, SANDBOX },
	{ "labels", m_labels, 0 },
	{ "annotations", m_annots, 0 },
	{ "restartPolicy", m_restart, 0 },
	{ "terminationGracePeriodSeconds", m_grace, 0 },
	{ "source", m_source, 0 },
	{ "nodeName", m_node, 0 },
};

/* ---- tests ---- */

TEST(test_equal_pods_hash_equal)
{
	struct hashes a, b;
	struct pod p, q;

	rich_pod(&p);
	rich_pod(&q);
	hash_all(&p, &a);
	hash_all(&q, &b);
	CHECK_EQ_INT(changed(&a, &b), 0);
	/* and again: nothing depends on addresses or on a previous call */
	hash_all(&p, &b);
	CHECK_EQ_INT(changed(&a, &b), 0);
	/* the two containers of one pod differ */
	CHECK(strcmp(a.c[0], a.c[1]) != 0);
	pod_free(&p);
	pod_free(&q);
}

TEST(test_hash_format_and_scheme)
{
	char h[ID_HASH_LEN + 1];
	struct pod p;
	size_t i;

	bare_pod(&p);
	REQUIRE(id_sandbox_hash(&p, h) == 0);
	CHECK_EQ_INT(strlen(h), ID_HASH_LEN);
	CHECK(strncmp(h, "s1:", 3) == 0);
	for (i = 3; i < ID_HASH_LEN; i++)
		CHECK((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f'));
	CHECK(id_hash_current(h));
	REQUIRE(id_container_hash(&p, &p.containers[0], h) == 0);
	CHECK_EQ_INT(strlen(h), ID_HASH_LEN);
	CHECK(strncmp(h, "c1:", 3) == 0);
	CHECK(id_hash_current(h));
	/* today's byte hash (64 hex digits, no tag) is another scheme */
	CHECK(!id_hash_current(h + 3));
	CHECK(!id_hash_current("x1:0123"));
	CHECK(!id_hash_current(NULL));
	CHECK_EQ_INT(id_container_hash(&p, NULL, h), -1);
	CHECK_STR(h, "");
	/* the spec_hash fields the lead stores them in are 72 bytes */
	CHECK(ID_HASH_LEN + 1 <= 72);
	pod_free(&p);
}

TEST(test_each_field_changes_only_its_hash)
{
	struct hashes base, h;
	struct pod p;
	size_t i;
	unsigned got;

	rich_pod(&p);
	hash_all(&p, &base);
	pod_free(&p);
	for (i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		rich_pod(&p);
		mutations[i].fn(&p);
		hash_all(&p, &h);
		got = changed(&base, &h);
		if (got != mutations[i].expect) {
			fprintf(stderr, "%s: changed 0x%x, expected 0x%x "
			    "(1 sandbox, 2 c0, 4 c1)\n", mutations[i].what,
			    got, mutations[i].expect);
			tap_failed_here = 1;
		}
		pod_free(&p);
	}
}

/* the other container's hash, alone, with this one changed or removed */
TEST(test_sibling_change_keeps_container_hash)
{
	char a[ID_HASH_LEN + 1], b[ID_HASH_LEN + 1];
	struct pod p, q;

	rich_pod(&p);
	REQUIRE(id_container_hash(&p, &p.containers[1], a) == 0);
	bare_pod(&q);
	free(q.containers[0].name);
	free(q.containers[0].image);
	q.containers[0].name = sdup("side");
	q.containers[0].image = sdup("busybox:1.36");
	add_str(&q.containers[0].args, "sleep");
	add_str(&q.containers[0].args, "1000");
	q.containers[0].res.mem_limit_bytes = 32LL << 20;
	q.psc = p.psc;
	/* another pod, other siblings, same container and pod context */
	REQUIRE(id_container_hash(&q, &q.containers[0], b) == 0);
	CHECK_STR(a, b);
	pod_free(&p);
	pod_free(&q);
}

static void
podwire_trip(const struct pod *p, struct pod *out)
{
	struct ipc_msg m;

	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_pod(&m, p) == 0);
	REQUIRE(podwire_get_pod(&m, out) == 0);
	REQUIRE(ipc_get_end(&m) == 0);
	ipc_msg_free(&m);
}

TEST(test_podwire_round_trip_keeps_hashes)
{
	struct hashes a, b;
	struct pod p, q;

	rich_pod(&p);
	hash_all(&p, &a);
	podwire_trip(&p, &q);
	hash_all(&q, &b);
	CHECK_EQ_INT(changed(&a, &b), 0);
	pod_free(&q);
	pod_free(&p);
	/* "" decodes as NULL: both are the default */
	bare_pod(&p);
	p.containers[0].working_dir = sdup("");
	hash_all(&p, &a);
	podwire_trip(&p, &q);
	CHECK(q.containers[0].working_dir == NULL);
	hash_all(&q, &b);
	CHECK_EQ_INT(changed(&a, &b), 0);
	pod_free(&q);
	pod_free(&p);
}

#ifdef AGENTD_TEST_HOOKS
/* what the upgrade system test runs: another version, unknown fields */
TEST(test_podwire_upgrade_layout_keeps_hashes)
{
	struct ipc_msg m1, m2;
	struct hashes a, b;
	struct pod p, q;

	rich_pod(&p);
	hash_all(&p, &a);
	ipc_msg_init(&m1, 0, 0);
	REQUIRE(podwire_put_pod(&m1, &p) == 0);
	podwire_test_layout(1, 1);
	ipc_msg_init(&m2, 0, 0);
	REQUIRE(podwire_put_pod(&m2, &p) == 0);
	/* the bytes differ: version word and the unknown fields */
	CHECK(m1.len != m2.len || memcmp(m1.data, m2.data, m1.len) != 0);
	/* this decoder refuses the old version, takes the new */
	CHECK_EQ_INT(podwire_get_pod(&m1, &q), -1);
	REQUIRE(podwire_get_pod(&m2, &q) == 0);
	REQUIRE(ipc_get_end(&m2) == 0);
	hash_all(&q, &b);
	CHECK_EQ_INT(changed(&a, &b), 0);
	pod_free(&q);
	podwire_test_layout(0, 0);
	ipc_msg_free(&m1);
	ipc_msg_free(&m2);
	pod_free(&p);
}
#endif

/* nothing at its default is written: the text of the bare pod is fixed */
TEST(test_defaults_are_not_written)
{
	char *t;
	struct pod p;

	bare_pod(&p);
	REQUIRE((t = id_container_canon(&p, &p.containers[0], NULL)) != NULL);
	CHECK_STR(t, "scheme=2:c1\nname=3:app\nimage=7:busybox\n");
	free(t);
	REQUIRE((t = id_sandbox_canon(&p, NULL)) != NULL);
	CHECK_STR(t, "scheme=2:s1\nmetadata.namespace=7:default\n"
	    "metadata.name=9:web-node1\n"
	    "metadata.uid=36:5f0c2a9e-1b7d-4e3a-8c6f-2d9b0e4a7c11\n");
	free(t);
	pod_free(&p);
}

/*
 * A pod whose fields are set, explicitly, to their defaults (as a newer
 * watcher would send a field this agentd did not have) hashes like the
 * pod without them.
 */
TEST(test_field_at_default_hashes_as_absent)
{
	struct hashes a, b;
	struct container_spec *c;
	struct pod p, q;

	bare_pod(&p);
	hash_all(&p, &a);
	bare_pod(&q);
	c = &q.containers[0];
	c->pull_policy = PULL_IF_NOT_PRESENT;
	c->working_dir = sdup("");
	REQUIRE((c->command.v = calloc(1, sizeof(char *))) != NULL);
	c->command.n = 0;	/* an allocated, empty list */
	c->res.cpu_request_milli = -1;
	c->sc.privileged = TRI_UNSET;
	q.host_network = 0;
	q.psc.run_as_non_root = TRI_UNSET;
	/* outside both hashes: no default to meet */
	q.restart_policy = RESTART_NEVER;
	q.termination_grace_seconds = 0;
	hash_all(&q, &b);
	CHECK_EQ_INT(changed(&a, &b), 0);
	pod_free(&p);
	pod_free(&q);
}

/* 1 if the first containers of p and q hash apart; frees both pods */
static int
first_differ(struct pod *p, struct pod *q)
{
	char h1[ID_HASH_LEN + 1], h2[ID_HASH_LEN + 1];

	REQUIRE(id_container_hash(p, &p->containers[0], h1) == 0);
	REQUIRE(id_container_hash(q, &q->containers[0], h2) == 0);
	pod_free(p);
	pod_free(q);
	return strcmp(h1, h2) != 0;
}

/* what a naive concatenation would run together stays apart */
TEST(test_canonical_text_is_unambiguous)
{
	char h1[ID_HASH_LEN + 1], h2[ID_HASH_LEN + 1];
	struct container_spec *c;
	struct pod p, q;

	/* args ["a", "b"] vs ["a\nargs[1]=1:b"]: a value holding a line */
	bare_pod(&p);
	add_str(&p.containers[0].args, "a");
	add_str(&p.containers[0].args, "b");
	bare_pod(&q);
	add_str(&q.containers[0].args, "a\nargs[1]=1:b");
	CHECK(first_differ(&p, &q));

	/* env A=B with no value vs env A with value B */
	bare_pod(&p);
	c = &p.containers[0];
	add_env(c, "A=B", "");
	bare_pod(&q);
	c = &q.containers[0];
	add_env(c, "A", "B");
	CHECK(first_differ(&p, &q));

	/* args ["ab"] vs ["a", "b"] vs command ["a"] + args ["b"] */
	bare_pod(&p);
	add_str(&p.containers[0].args, "ab");
	bare_pod(&q);
	add_str(&q.containers[0].args, "a");
	add_str(&q.containers[0].args, "b");
	CHECK(first_differ(&p, &q));
	bare_pod(&p);
	add_str(&p.containers[0].command, "a");
	add_str(&p.containers[0].args, "b");
	bare_pod(&q);
	add_str(&q.containers[0].args, "a");
	add_str(&q.containers[0].args, "b");
	CHECK(first_differ(&p, &q));

	/* a sandbox's hash is never a container's */
	bare_pod(&p);
	REQUIRE(id_sandbox_hash(&p, h1) == 0);
	REQUIRE(id_container_hash(&p, &p.containers[0], h2) == 0);
	CHECK(strcmp(h1 + 3, h2 + 3) != 0);
	pod_free(&p);
}

/*
 * The hashes of one pod, pinned: a change of the canonical form must come
 * with a new scheme tag (and this value), or every container restarts on
 * the upgrade that brings it.
 */
TEST(test_hashes_are_pinned)
{
	char h[ID_HASH_LEN + 1];
	struct pod p;

	rich_pod(&p);
	REQUIRE(id_sandbox_hash(&p, h) == 0);
	CHECK_STR(h, SANDBOX_PIN);
	REQUIRE(id_container_hash(&p, &p.containers[0], h) == 0);
	CHECK_STR(h, CTR0_PIN);
	REQUIRE(id_container_hash(&p, &p.containers[1], h) == 0);
	CHECK_STR(h, CTR1_PIN);
	pod_free(&p);
}

/* ---- init containers (issue 13) ---- */

static struct container_spec *
add_init(struct pod *p, const char *name, const char *image)
{
	struct container_spec *c;

	REQUIRE((p->init_containers = reallocarray(p->init_containers,
	    p->n_init_containers + 1, sizeof(*p->init_containers))) != NULL);
	c = &p->init_containers[p->n_init_containers++];
	container_spec_init(c);
	c->name = sdup(name);
	c->image = sdup(image);
	return c;
}

TEST(test_init_containers_are_in_the_sandbox_hash)
{
	struct hashes a, b, c, d;
	struct container_spec *ic;
	struct pod p;

	bare_pod(&p);
	hash_all(&p, &a);
	/* none: the hash of before init containers (pinned elsewhere) */
	ic = add_init(&p, "setup", "busybox");
	hash_all(&p, &b);
	CHECK(strcmp(a.sb, b.sb) != 0);
	/* the container's own hash does not move for an init container */
	CHECK_STR(a.c[0], b.c[0]);
	free(ic->image);
	ic->image = sdup("busybox:1.36");
	hash_all(&p, &c);
	CHECK(strcmp(b.sb, c.sb) != 0);
	CHECK_STR(b.c[0], c.c[0]);
	/* a sidecar is another init container */
	p.init_containers[0].restart_policy = CTR_RESTART_ALWAYS;
	hash_all(&p, &d);
	CHECK(strcmp(c.sb, d.sb) != 0);
	CHECK_STR(c.c[0], d.c[0]);
	pod_free(&p);
}

TEST(test_init_container_order_is_in_the_sandbox_hash)
{
	char h1[ID_HASH_LEN + 1], h2[ID_HASH_LEN + 1];
	struct container_spec t;
	struct pod p;

	bare_pod(&p);
	add_init(&p, "one", "busybox");
	add_init(&p, "two", "busybox");
	REQUIRE(id_sandbox_hash(&p, h1) == 0);
	t = p.init_containers[0];
	p.init_containers[0] = p.init_containers[1];
	p.init_containers[1] = t;
	REQUIRE(id_sandbox_hash(&p, h2) == 0);
	CHECK(strcmp(h1, h2) != 0);
	pod_free(&p);
}

TEST(test_restart_policy_in_the_container_hash)
{
	char h1[ID_HASH_LEN + 1], h2[ID_HASH_LEN + 1];
	struct container_spec *ic;
	struct pod p;
	char *text;

	bare_pod(&p);
	ic = add_init(&p, "side", "busybox");
	REQUIRE(id_container_hash(&p, ic, h1) == 0);
	ic->restart_policy = CTR_RESTART_ALWAYS;
	REQUIRE(id_container_hash(&p, ic, h2) == 0);
	CHECK(strcmp(h1, h2) != 0);
	REQUIRE((text = id_container_canon(&p, ic, NULL)) != NULL);
	CHECK(strstr(text, "restartPolicy=6:Always\n") != NULL);
	free(text);
	pod_free(&p);
}
