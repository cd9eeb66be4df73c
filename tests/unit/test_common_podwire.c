/*
 * podwire.c: the binary encoding of the pod model and the executor's
 * report.  Round trips with every field set, every bound in pod.h at its
 * limit (accepted) and one past it (rejected), bad enum/bool/tri-state
 * bytes, the version word, truncation at every byte offset, and the
 * tagged layout (unknown tags skipped, missing fields at their defaults,
 * every row of every field table round-tripped).  The
 * encoder is a plain serializer, so an out-of-bounds struct encodes fine
 * and the tests check that the decoder is the one refusing it.
 */
#include <errno.h>
#include <stdint.h>

#include "ipc.h"
#include "msgcat.h"
#include "pod.h"
#include "podschema.h"
#include "tap.h"

/* ---- building pods ---- */

static char *
xs(const char *s)
{
	char *d;

	REQUIRE((d = strdup(s)) != NULL);
	return d;
}

/* a string of n bytes, each ch */
static char *
rep(size_t n, char ch)
{
	char *s;

	REQUIRE((s = malloc(n + 1)) != NULL);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

static void
kv_add(struct kv **kv, uint32_t *n, char *key, char *value)
{
	struct kv *nkv;

	REQUIRE((nkv = reallocarray(*kv, *n + 1, sizeof(**kv))) != NULL);
	nkv[*n].key = key;
	nkv[*n].value = value;
	*kv = nkv;
	(*n)++;
}

/* an env entry with a value (NULL: none, as "" decodes) */
static struct env_var *
env_add(struct container_spec *c, char *name, char *value)
{
	struct env_var *ne;

	REQUIRE((ne = reallocarray(c->env, c->n_env + 1,
	    sizeof(*ne))) != NULL);
	c->env = ne;
	ne = &c->env[c->n_env++];
	podschema_init(&podschema_env_var, ne);
	ne->key = name;
	ne->value = value;
	return ne;
}

static void
port_add(struct container_spec *c, const char *name, uint32_t cport,
    uint32_t hport, uint8_t proto, const char *host_ip)
{
	struct container_port *np, *pt;

	REQUIRE((np = reallocarray(c->ports, c->n_ports + 1,
	    sizeof(*np))) != NULL);
	c->ports = np;
	pt = &c->ports[c->n_ports++];
	pt->name = name ? xs(name) : NULL;
	pt->container_port = cport;
	pt->host_port = hport;
	pt->protocol = proto;
	pt->host_ip = host_ip ? xs(host_ip) : NULL;
}

static struct container_spec *
container_add(struct pod *p, const char *name, const char *image)
{
	struct container_spec *nc, *c;

	REQUIRE((nc = reallocarray(p->containers, p->n_containers + 1,
	    sizeof(*nc))) != NULL);
	p->containers = nc;
	c = &p->containers[p->n_containers++];
	container_spec_init(c);
	c->name = xs(name);
	c->image = xs(image);
	return c;
}

static void
sl_add(struct strlist *l, const char *s)
{
	REQUIRE(strlist_add(l, s, UINT32_MAX) == 0);
}

/* the smallest pod the decoder accepts */
static void
minimal_pod(struct pod *p)
{
	pod_init(p);
	p->namespace = xs("default");
	p->name = xs("web");
	p->uid = xs("0b6c1f0e-6a55-4c43-9d5e-1f2e3d4c5b6a");
	container_add(p, "app", "busybox");
}

static void
volume_add(struct pod *p, const char *name, uint8_t kind, const char *path)
{
	struct volume *nv, *v;

	REQUIRE((nv = reallocarray(p->volumes, p->n_volumes + 1,
	    sizeof(*nv))) != NULL);
	p->volumes = nv;
	v = &p->volumes[p->n_volumes++];
	memset(v, 0, sizeof(*v));
	v->name = xs(name);
	v->kind = kind;
	v->size_limit = -1;
	v->host_path = path ? xs(path) : NULL;
}

static void
mount_add(struct container_spec *c, const char *name, const char *path,
    uint8_t ro, const char *sub)
{
	struct volume_mount *nm, *m;

	REQUIRE((nm = reallocarray(c->mounts, c->n_mounts + 1,
	    sizeof(*nm))) != NULL);
	c->mounts = nm;
	m = &c->mounts[c->n_mounts++];
	m->name = xs(name);
	m->mount_path = xs(path);
	m->read_only = ro;
	m->sub_path = sub ? xs(sub) : NULL;
}

static void
full_pod(struct pod *p)
{
	struct container_spec *c;
	struct env_var *e;

	pod_init(p);
	p->namespace = xs("kube-system");
	p->name = xs("coredns-7d8b9");
	p->uid = xs("9f1d2c3b-aaaa-bbbb-cccc-0123456789ab");
	kv_add(&p->labels, &p->n_labels, xs("app"), xs("coredns"));
	kv_add(&p->labels, &p->n_labels, xs("example.com/tier"), xs(""));
	kv_add(&p->annotations, &p->n_annotations, xs("example.com/note"),
	    xs("hello\nworld"));
	kv_add(&p->annotations, &p->n_annotations, xs("empty"), xs(""));
	p->source = xs("file:/etc/agentd/pods/coredns.yaml");
	p->node_name = xs("node-1");
	p->restart_policy = RESTART_ON_FAILURE;
	p->termination_grace_seconds = 45;
	p->host_network = 1;
	p->priority_class_name = xs("system-node-critical");
	p->host_pid = 1;
	p->host_ipc = 1;
	p->share_pid = 1;
	p->psc.run_as_user = 1000;
	p->psc.run_as_group = 2000;
	p->psc.run_as_non_root = 1;
	kv_add(&p->psc.sysctls, &p->psc.n_sysctls, xs("net.core.somaxconn"),
	    xs("1024"));
	kv_add(&p->psc.sysctls, &p->psc.n_sysctls, xs("kernel.shm_rmid_forced"),
	    xs(""));
	sl_add(&p->psc.supplemental_groups, "4000");
	sl_add(&p->psc.supplemental_groups, "0");

	c = container_add(p, "coredns", "registry.example/coredns:1.11");
	c->pull_policy = PULL_ALWAYS;
	sl_add(&c->command, "/coredns");
	sl_add(&c->command, "-conf");
	sl_add(&c->args, "/etc/coredns/Corefile");
	sl_add(&c->args, "");
	env_add(c, xs("GOMAXPROCS"), xs("2"));
	env_add(c, xs("EMPTY"), NULL);
	e = env_add(c, xs("APP"), NULL);
	e->field_ref.field_path = xs("metadata.labels['app']");
	e->field_ref.field = ENV_FIELD_LABEL;
	e->field_ref.key = xs("app");
	e = env_add(c, xs("MEM_MI"), NULL);
	e->resource_ref.container_name = xs("coredns");
	e->resource_ref.resource = ENV_RES_LIMITS_MEMORY;
	e->resource_ref.divisor = xs("1Mi");
	e->resource_ref.divisor_units = 1048576;
	c->working_dir = xs("/srv");
	port_add(c, "dns", 53, 53, PROTO_UDP, "127.0.0.1");
	port_add(c, NULL, 9153, 0, PROTO_TCP, NULL);
	c->res.cpu_request_milli = 100;
	c->res.cpu_limit_milli = 2000;
	c->res.mem_request_bytes = 70LL << 20;
	c->res.mem_limit_bytes = 170LL << 20;
	c->sc.run_as_user = 0;
	c->sc.run_as_group = 0;
	c->sc.run_as_non_root = 0;
	c->sc.read_only_root_fs = 1;
	c->sc.privileged = 0;
	c->sc.allow_privilege_escalation = 0;
	sl_add(&c->sc.cap_add, "NET_BIND_SERVICE");
	sl_add(&c->sc.cap_drop, "ALL");

	c = container_add(p, "sidecar", "busybox:1.36");
	c->pull_policy = PULL_NEVER;
	sl_add(&c->args, "sleep");
	port_add(c, "sctp", 65535, 65535, PROTO_SCTP, NULL);
	volume_add(p, "cache", VOL_EMPTY_DIR, NULL);
	p->volumes[0].medium = MEDIUM_MEMORY;
	p->volumes[0].size_limit = 64LL << 20;
	volume_add(p, "conf", VOL_HOST_PATH, "/etc/coredns");
	p->volumes[1].host_path_type = HPT_DIRECTORY;
	mount_add(c, "cache", "/cache", 0, NULL);
	mount_add(c, "conf", "/etc/coredns", 1, "zones");
}

/* ---- comparing ---- */

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

#define SAME_STR(f) do { if (!str_eq(a->f, b->f)) { \
	fprintf(stderr, "differs: %s\n", #f); return 0; } } while (0)
#define SAME(f) do { if (a->f != b->f) { \
	fprintf(stderr, "differs: %s\n", #f); return 0; } } while (0)

static int
strlist_eq(const struct strlist *a, const struct strlist *b)
{
	uint32_t i;

	SAME(n);
	for (i = 0; i < a->n; i++)
		SAME_STR(v[i]);
	return 1;
}

static int
kv_eq(const struct kv *a, const struct kv *b, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		SAME_STR(key);
		SAME_STR(value);
		a++;
		b++;
	}
	return 1;
}

static int
env_eq(const struct env_var *a, const struct env_var *b, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++, a++, b++) {
		SAME_STR(key);
		SAME_STR(value);
		SAME_STR(field_ref.field_path);
		SAME(field_ref.field);
		SAME_STR(field_ref.key);
		SAME_STR(resource_ref.container_name);
		SAME(resource_ref.resource);
		SAME_STR(resource_ref.divisor);
		SAME(resource_ref.divisor_units);
	}
	return 1;
}

static int
container_eq(const struct container_spec *a, const struct container_spec *b)
{
	uint32_t i;

	SAME_STR(name);
	SAME_STR(image);
	SAME(pull_policy);
	if (!strlist_eq(&a->command, &b->command) ||
	    !strlist_eq(&a->args, &b->args))
		return 0;
	SAME(n_env);
	if (!env_eq(a->env, b->env, a->n_env))
		return 0;
	SAME_STR(working_dir);
	SAME(n_ports);
	for (i = 0; i < a->n_ports; i++) {
		SAME_STR(ports[i].name);
		SAME(ports[i].container_port);
		SAME(ports[i].host_port);
		SAME(ports[i].protocol);
		SAME_STR(ports[i].host_ip);
	}
	SAME(res.cpu_request_milli);
	SAME(res.cpu_limit_milli);
	SAME(res.mem_request_bytes);
	SAME(res.mem_limit_bytes);
	SAME(sc.run_as_user);
	SAME(sc.run_as_group);
	SAME(sc.run_as_non_root);
	SAME(sc.read_only_root_fs);
	SAME(sc.privileged);
	SAME(sc.allow_privilege_escalation);
	SAME(n_mounts);
	for (i = 0; i < a->n_mounts; i++) {
		SAME_STR(mounts[i].name);
		SAME_STR(mounts[i].mount_path);
		SAME(mounts[i].read_only);
		SAME_STR(mounts[i].sub_path);
	}
	return strlist_eq(&a->sc.cap_add, &b->sc.cap_add) &&
	    strlist_eq(&a->sc.cap_drop, &b->sc.cap_drop);
}

static int
pod_eq(const struct pod *a, const struct pod *b)
{
	uint32_t i;

	SAME_STR(namespace);
	SAME_STR(name);
	SAME_STR(uid);
	SAME(n_labels);
	SAME(n_annotations);
	if (!kv_eq(a->labels, b->labels, a->n_labels) ||
	    !kv_eq(a->annotations, b->annotations, a->n_annotations))
		return 0;
	SAME_STR(source);
	SAME_STR(node_name);
	SAME(restart_policy);
	SAME(termination_grace_seconds);
	SAME(host_network);
	SAME(host_pid);
	SAME(host_ipc);
	SAME(share_pid);
	SAME(psc.run_as_user);
	SAME(psc.run_as_group);
	SAME(psc.run_as_non_root);
	SAME_STR(priority_class_name);
	SAME(n_containers);
	for (i = 0; i < a->n_containers; i++)
		if (!container_eq(&a->containers[i], &b->containers[i]))
			return 0;
	SAME(n_volumes);
	for (i = 0; i < a->n_volumes; i++) {
		SAME_STR(volumes[i].name);
		SAME(volumes[i].kind);
		SAME(volumes[i].medium);
		SAME(volumes[i].size_limit);
		SAME_STR(volumes[i].host_path);
		SAME(volumes[i].host_path_type);
	}
	return 1;
}

static int
term_eq(const struct container_term *a, const struct container_term *b)
{
	SAME(exit_code);
	SAME(signal);
	SAME_STR(reason);
	SAME_STR(message);
	SAME(started_at_ns);
	SAME(finished_at_ns);
	SAME_STR(container_id);
	return 1;
}

static int
creport_eq(const struct container_report *a, const struct container_report *b)
{
	SAME_STR(name);
	SAME_STR(image);
	SAME_STR(image_id);
	SAME_STR(container_id);
	SAME(state);
	SAME_STR(reason);
	SAME_STR(message);
	SAME(started_at_ns);
	SAME(exit_code);
	SAME(signal);
	SAME(finished_at_ns);
	SAME(restart_count);
	SAME(has_last);
	SAME(ready);
	return term_eq(&a->last_term, &b->last_term);
}

static int
report_eq(const struct pod_report *a, const struct pod_report *b)
{
	uint32_t i;

	SAME(denied);
	SAME_STR(reason);
	SAME_STR(message);
	SAME(sandbox_ready);
	SAME(start_time_ns);
	SAME(terminating);
	SAME(deletion_ns);
	SAME_STR(pod_ip);
	SAME_STR(host_ip);
	SAME(n_containers);
	for (i = 0; i < a->n_containers; i++)
		if (!creport_eq(&a->containers[i], &b->containers[i]))
			return 0;
	return 1;
}

/* ---- encode + decode ---- */

/*
 * Encode p, decode into out: 0 if the decoder accepted it and consumed
 * every byte, -1 if it refused.  A refused decode must leave out empty.
 */
static int
pod_trip(const struct pod *p, struct pod *out)
{
	struct ipc_msg m;
	int rv;

	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_pod(&m, p) == 0);
	rv = podwire_get_pod(&m, out);
	if (rv == 0 && ipc_get_end(&m) == -1) {
		pod_free(out);
		rv = -1;
	}
	if (rv == -1)
		CHECK(out->namespace == NULL && out->containers == NULL &&
		    out->n_containers == 0);
	ipc_msg_free(&m);
	return rv;
}

/* decode-only verdict on p; frees everything */
static int
pod_accepted(struct pod *p)
{
	struct pod out;
	int rv;

	rv = pod_trip(p, &out);
	if (rv == 0)
		pod_free(&out);
	pod_free(p);
	return rv == 0;
}

static int
report_trip(const struct pod_report *r, struct pod_report *out)
{
	struct ipc_msg m;
	int rv;

	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_report(&m, r) == 0);
	rv = podwire_get_report(&m, out);
	if (rv == 0 && ipc_get_end(&m) == -1) {
		pod_report_free(out);
		rv = -1;
	}
	if (rv == -1)
		CHECK(out->containers == NULL && out->n_containers == 0 &&
		    out->reason == NULL);
	ipc_msg_free(&m);
	return rv;
}

static int
report_accepted(struct pod_report *r)
{
	struct pod_report out;
	int rv;

	rv = report_trip(r, &out);
	if (rv == 0)
		pod_report_free(&out);
	pod_report_free(r);
	return rv == 0;
}

/* ---- round trips ---- */

TEST(test_full_pod_round_trip)
{
	struct pod p, q;

	full_pod(&p);
	REQUIRE(pod_trip(&p, &q) == 0);
	CHECK(pod_eq(&p, &q));
	pod_free(&q);
	pod_free(&p);
}

TEST(test_minimal_pod_round_trip_keeps_defaults)
{
	struct pod p, q;

	minimal_pod(&p);
	REQUIRE(pod_trip(&p, &q) == 0);
	CHECK(pod_eq(&p, &q));
	CHECK_EQ_INT(q.restart_policy, RESTART_ALWAYS);
	CHECK_EQ_INT(q.termination_grace_seconds, 30);
	CHECK_EQ_INT(q.containers[0].res.mem_limit_bytes, -1);
	CHECK_EQ_INT(q.containers[0].sc.privileged, TRI_UNSET);
	CHECK(q.source == NULL && q.node_name == NULL);
	pod_free(&q);
	pod_free(&p);
}

TEST(test_reencoding_a_decoded_pod_gives_identical_bytes)
{
	struct ipc_msg m1, m2;
	struct pod p, q;

	full_pod(&p);
	ipc_msg_init(&m1, 0, 0);
	ipc_msg_init(&m2, 0, 0);
	REQUIRE(podwire_put_pod(&m1, &p) == 0);
	REQUIRE(podwire_get_pod(&m1, &q) == 0);
	REQUIRE(podwire_put_pod(&m2, &q) == 0);
	CHECK_EQ_INT(m1.len, m2.len);
	CHECK(m1.len == m2.len && memcmp(m1.data, m2.data, m1.len) == 0);
	ipc_msg_free(&m1);
	ipc_msg_free(&m2);
	pod_free(&q);
	pod_free(&p);
}

static void
full_report(struct pod_report *r)
{
	struct container_report *c;

	pod_report_init(r);
	r->denied = 1;
	r->reason = xs("PolicyDenied");
	r->message = xs("hostPath /etc is outside the allowed prefixes");
	r->sandbox_ready = 1;
	r->start_time_ns = 1700000000123456789LL;
	r->terminating = 1;
	r->deletion_ns = 1700000030123456789LL;
	r->pod_ip = xs("10.88.0.5");
	r->host_ip = xs("192.168.1.10");
	REQUIRE((r->containers = calloc(2, sizeof(*r->containers))) != NULL);
	r->n_containers = 2;
	c = &r->containers[0];
	c->name = xs("app");
	c->image = xs("registry.example/app:1.2");
	c->image_id = xs("sha256:0123456789abcdef");
	c->container_id = xs("runc://4f1e2d");
	c->state = CSTATE_RUNNING;
	c->started_at_ns = 1700000001000000000LL;
	c->restart_count = 3;
	c->has_last = 1;
	c->last_term.exit_code = 137;
	c->last_term.signal = 9;
	c->last_term.reason = xs("OOMKilled");
	c->last_term.message = xs("memory limit");
	c->last_term.started_at_ns = 1699999999000000000LL;
	c->last_term.finished_at_ns = 1700000000000000000LL;
	c->last_term.container_id = xs("runc://0a0b0c");
	c->ready = 1;
	c = &r->containers[1];
	c->name = xs("job");
	c->image = xs("busybox");
	c->state = CSTATE_TERMINATED;
	c->reason = xs("Error");
	c->message = xs("exit status -1");
	c->exit_code = -1;
	c->signal = 15;
	c->started_at_ns = 5;
	c->finished_at_ns = 6;
}

TEST(test_full_report_round_trip)
{
	struct pod_report r, q;

	full_report(&r);
	REQUIRE(report_trip(&r, &q) == 0);
	CHECK(report_eq(&r, &q));
	CHECK_EQ_INT(q.containers[1].exit_code, -1);
	pod_report_free(&q);
	pod_report_free(&r);
}

TEST(test_empty_report_round_trip)
{
	struct pod_report r, q;

	pod_report_init(&r);
	REQUIRE(report_trip(&r, &q) == 0);
	CHECK(report_eq(&r, &q));
	pod_report_free(&q);
}

/* MSG_POD_STATUS: the pod's uid, then its report (the spec went before) */
TEST(test_pod_status_message_carries_uid_then_report)
{
	char uid[POD_MAX_UID + 1];
	struct ipc_msg m;
	struct pod_report r, rq;

	full_report(&r);
	ipc_msg_init(&m, MSG_POD_STATUS, 0);
	ipc_put_str(&m, "0b6c1f0e-6a55");
	REQUIRE(podwire_put_report(&m, &r) == 0);
	REQUIRE(ipc_get_str(&m, uid, sizeof(uid)) == 0);
	CHECK_STR(uid, "0b6c1f0e-6a55");
	REQUIRE(podwire_get_report(&m, &rq) == 0);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	CHECK(report_eq(&r, &rq));
	CHECK_EQ_INT(rq.terminating, 1);
	CHECK_EQ_INT(rq.deletion_ns, 1700000030123456789LL);
	ipc_msg_free(&m);
	pod_report_free(&r);
	pod_report_free(&rq);
}

/* terminating is a bool on the wire: 2 is refused */
TEST(test_report_terminating_must_be_0_or_1)
{
	/* the only field off its default: u32 length, u32 tag, u32 length */
	const size_t at = 4 + 4 + 4;
	struct ipc_msg m;
	struct pod_report r, rq;

	pod_report_init(&r);
	r.terminating = 1;
	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_report(&m, &r) == 0);
	REQUIRE(m.len > at && m.data[at] == 1);
	REQUIRE(podwire_get_report(&m, &rq) == 0);
	CHECK_EQ_INT(rq.terminating, 1);
	pod_report_free(&rq);
	m.off = 0;
	m.data[at] = 2;
	CHECK_EQ_INT(podwire_get_report(&m, &rq), -1);
	ipc_msg_free(&m);
}

/* ---- string bounds: limit accepted, limit + 1 rejected ---- */

typedef void (*pod_str_set)(struct pod *, char *);

static void
check_pod_str_bound(pod_str_set set, size_t limit, char ch)
{
	struct pod p;

	minimal_pod(&p);
	set(&p, rep(limit, ch));
	CHECK(pod_accepted(&p));
	minimal_pod(&p);
	set(&p, rep(limit + 1, ch));
	CHECK(!pod_accepted(&p));
}

#define SETTER(fn, field) static void \
fn(struct pod *p, char *s) { free(p->field); p->field = s; }
SETTER(set_namespace, namespace)
SETTER(set_name, name)
SETTER(set_uid, uid)
SETTER(set_source, source)
SETTER(set_node_name, node_name)
SETTER(set_cname, containers[0].name)
SETTER(set_image, containers[0].image)
SETTER(set_working_dir, containers[0].working_dir)

static void
set_label_key(struct pod *p, char *s)
{
	kv_add(&p->labels, &p->n_labels, s, xs("v"));
}

static void
set_label_value(struct pod *p, char *s)
{
	kv_add(&p->labels, &p->n_labels, xs("k"), s);
}

static void
set_annot_key(struct pod *p, char *s)
{
	kv_add(&p->annotations, &p->n_annotations, s, xs("v"));
}

static void
set_annot_value(struct pod *p, char *s)
{
	kv_add(&p->annotations, &p->n_annotations, xs("k"), s);
}

static void
set_arg(struct pod *p, char *s)
{
	sl_add(&p->containers[0].args, s);
	free(s);
}

static void
set_command_arg(struct pod *p, char *s)
{
	sl_add(&p->containers[0].command, s);
	free(s);
}

static void
set_env_name(struct pod *p, char *s)
{
	env_add(&p->containers[0], s, xs("v"));
}

static void
set_env_value(struct pod *p, char *s)
{
	env_add(&p->containers[0], xs("V"), s);
}

static void
set_port_name(struct pod *p, char *s)
{
	port_add(&p->containers[0], s, 80, 0, PROTO_TCP, NULL);
	free(s);
}

static void
set_cap_add(struct pod *p, char *s)
{
	sl_add(&p->containers[0].sc.cap_add, s);
	free(s);
}

static void
set_cap_drop(struct pod *p, char *s)
{
	sl_add(&p->containers[0].sc.cap_drop, s);
	free(s);
}

TEST(test_namespace_bound)
{
	check_pod_str_bound(set_namespace, POD_MAX_NAMESPACE, 'n');
}

TEST(test_pod_name_bound)
{
	check_pod_str_bound(set_name, POD_MAX_NAME, 'p');
}

TEST(test_uid_bound)
{
	check_pod_str_bound(set_uid, POD_MAX_UID, 'u');
}

TEST(test_label_key_bound)
{
	check_pod_str_bound(set_label_key, POD_MAX_KEY, 'k');
}

TEST(test_label_value_bound)
{
	check_pod_str_bound(set_label_value, POD_MAX_LABEL_VALUE, 'v');
}

TEST(test_annotation_key_bound)
{
	check_pod_str_bound(set_annot_key, POD_MAX_KEY, 'k');
}

TEST(test_annotation_value_bound)
{
	check_pod_str_bound(set_annot_value, POD_MAX_ANNOT_VALUE, 'a');
}

TEST(test_source_bound)
{
	check_pod_str_bound(set_source, POD_MAX_SOURCE, 's');
}

TEST(test_node_name_bound)
{
	check_pod_str_bound(set_node_name, POD_MAX_NAME, 'h');
}

TEST(test_container_name_bound)
{
	check_pod_str_bound(set_cname, POD_MAX_LABEL, 'c');
}

TEST(test_image_bound)
{
	check_pod_str_bound(set_image, POD_MAX_IMAGE, 'i');
}

TEST(test_arg_bound)
{
	check_pod_str_bound(set_arg, POD_MAX_ARG, 'a');
}

TEST(test_command_arg_bound)
{
	check_pod_str_bound(set_command_arg, POD_MAX_ARG, 'a');
}

TEST(test_env_name_bound)
{
	check_pod_str_bound(set_env_name, POD_MAX_ENV_NAME, 'E');
}

TEST(test_env_value_bound)
{
	check_pod_str_bound(set_env_value, POD_MAX_ENV_VALUE, 'v');
}

TEST(test_working_dir_bound)
{
	check_pod_str_bound(set_working_dir, POD_MAX_PATH, '/');
}

TEST(test_port_name_bound)
{
	check_pod_str_bound(set_port_name, POD_MAX_LABEL, 'p');
}

TEST(test_cap_add_name_bound)
{
	check_pod_str_bound(set_cap_add, POD_MAX_CAP_NAME, 'C');
}

TEST(test_cap_drop_name_bound)
{
	check_pod_str_bound(set_cap_drop, POD_MAX_CAP_NAME, 'C');
}

/* ---- list bounds ---- */

typedef void (*pod_count_set)(struct pod *, uint32_t);

static void
check_pod_count_bound(pod_count_set set, uint32_t limit)
{
	struct pod p;

	minimal_pod(&p);
	set(&p, limit);
	CHECK(pod_accepted(&p));
	minimal_pod(&p);
	set(&p, limit + 1);
	CHECK(!pod_accepted(&p));
}

static char *
numbered(const char *prefix, uint32_t i)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%u", prefix, i);
	return xs(buf);
}

static void
add_containers(struct pod *p, uint32_t n)
{
	uint32_t i;
	char *name;

	/* minimal_pod has one already */
	for (i = 1; i < n; i++) {
		name = numbered("c", i);
		container_add(p, name, "busybox");
		free(name);
	}
}

static void
add_labels(struct pod *p, uint32_t n)
{
	while (n-- > 0)
		kv_add(&p->labels, &p->n_labels, numbered("l", n), xs("v"));
}

static void
add_annotations(struct pod *p, uint32_t n)
{
	while (n-- > 0)
		kv_add(&p->annotations, &p->n_annotations, numbered("a", n),
		    xs("v"));
}

static void
add_args(struct pod *p, uint32_t n)
{
	while (n-- > 0)
		sl_add(&p->containers[0].args, "x");
}

static void
add_command(struct pod *p, uint32_t n)
{
	while (n-- > 0)
		sl_add(&p->containers[0].command, "x");
}

static void
add_env(struct pod *p, uint32_t n)
{
	struct container_spec *c = &p->containers[0];

	while (n-- > 0)
		env_add(c, numbered("E", n), xs("v"));
}

static void
add_ports(struct pod *p, uint32_t n)
{
	while (n-- > 0)
		port_add(&p->containers[0], NULL, 1000 + n, 0, PROTO_TCP, NULL);
}

static void
add_cap_add(struct pod *p, uint32_t n)
{
	while (n-- > 0)
		sl_add(&p->containers[0].sc.cap_add, "NET_ADMIN");
}

static void
add_cap_drop(struct pod *p, uint32_t n)
{
	while (n-- > 0)
		sl_add(&p->containers[0].sc.cap_drop, "ALL");
}

TEST(test_containers_bound)
{
	check_pod_count_bound(add_containers, POD_MAX_CONTAINERS);
}

TEST(test_labels_bound)
{
	check_pod_count_bound(add_labels, POD_MAX_META);
}

TEST(test_annotations_bound)
{
	check_pod_count_bound(add_annotations, POD_MAX_META);
}

TEST(test_args_count_bound)
{
	check_pod_count_bound(add_args, POD_MAX_ARGS);
}

TEST(test_command_count_bound)
{
	check_pod_count_bound(add_command, POD_MAX_ARGS);
}

TEST(test_env_count_bound)
{
	check_pod_count_bound(add_env, POD_MAX_ENV);
}

TEST(test_ports_bound)
{
	check_pod_count_bound(add_ports, POD_MAX_PORTS);
}

TEST(test_cap_add_count_bound)
{
	check_pod_count_bound(add_cap_add, POD_MAX_CAPS);
}

TEST(test_cap_drop_count_bound)
{
	check_pod_count_bound(add_cap_drop, POD_MAX_CAPS);
}

/* ---- content checks ---- */

TEST(test_zero_containers_rejected)
{
	struct pod p;

	minimal_pod(&p);
	pod_free(&p);
	pod_init(&p);
	p.namespace = xs("default");
	p.name = xs("web");
	p.uid = xs("u");
	CHECK(!pod_accepted(&p));
}

TEST(test_duplicate_container_names_rejected)
{
	struct pod p;

	minimal_pod(&p);
	container_add(&p, "other", "busybox");
	container_add(&p, "app", "busybox");
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	container_add(&p, "app2", "busybox");
	CHECK(pod_accepted(&p));
}

TEST(test_empty_required_strings_rejected)
{
	struct pod p;

	minimal_pod(&p);
	set_namespace(&p, NULL);	/* encodes as "" */
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	set_name(&p, xs(""));
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	set_uid(&p, xs(""));
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	set_cname(&p, xs(""));
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	set_image(&p, xs(""));
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	set_label_key(&p, xs(""));
	CHECK(!pod_accepted(&p));
}

TEST(test_restart_policy_enum_bound)
{
	struct pod p;

	minimal_pod(&p);
	p.restart_policy = RESTART_NEVER;
	CHECK(pod_accepted(&p));
	minimal_pod(&p);
	p.restart_policy = RESTART_NEVER + 1;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.restart_policy = 0xff;
	CHECK(!pod_accepted(&p));
}

TEST(test_pull_policy_enum_bound)
{
	struct pod p;

	minimal_pod(&p);
	p.containers[0].pull_policy = PULL_NEVER;
	CHECK(pod_accepted(&p));
	minimal_pod(&p);
	p.containers[0].pull_policy = PULL_NEVER + 1;
	CHECK(!pod_accepted(&p));
}

TEST(test_port_protocol_enum_bound)
{
	struct pod p;

	minimal_pod(&p);
	port_add(&p.containers[0], NULL, 80, 0, PROTO_SCTP, NULL);
	CHECK(pod_accepted(&p));
	minimal_pod(&p);
	port_add(&p.containers[0], NULL, 80, 0, PROTO_SCTP + 1, NULL);
	CHECK(!pod_accepted(&p));
}

TEST(test_port_numbers_bound)
{
	struct pod p;

	minimal_pod(&p);
	port_add(&p.containers[0], NULL, 1, 65535, PROTO_TCP, NULL);
	CHECK(pod_accepted(&p));
	minimal_pod(&p);
	port_add(&p.containers[0], NULL, 0, 0, PROTO_TCP, NULL);
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	port_add(&p.containers[0], NULL, 65536, 0, PROTO_TCP, NULL);
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	port_add(&p.containers[0], NULL, 80, 65536, PROTO_TCP, NULL);
	CHECK(!pod_accepted(&p));
}

typedef int8_t *(*tri_field)(struct pod *);

static int8_t *tri_psc_non_root(struct pod *p)
{ return &p->psc.run_as_non_root; }
static int8_t *tri_non_root(struct pod *p)
{ return &p->containers[0].sc.run_as_non_root; }
static int8_t *tri_ro_rootfs(struct pod *p)
{ return &p->containers[0].sc.read_only_root_fs; }
static int8_t *tri_privileged(struct pod *p)
{ return &p->containers[0].sc.privileged; }
static int8_t *tri_ape(struct pod *p)
{ return &p->containers[0].sc.allow_privilege_escalation; }

static void
check_tri(tri_field f)
{
	const int8_t good[] = { TRI_UNSET, 0, 1 };
	const int8_t bad[] = { 2, -2, 0x7f, INT8_MIN };
	struct pod p;
	size_t i;

	for (i = 0; i < sizeof(good); i++) {
		minimal_pod(&p);
		*f(&p) = good[i];
		CHECK(pod_accepted(&p));
	}
	for (i = 0; i < sizeof(bad); i++) {
		minimal_pod(&p);
		*f(&p) = bad[i];
		CHECK(!pod_accepted(&p));
	}
}

TEST(test_bad_tri_state_byte_rejected)
{
	check_tri(tri_psc_non_root);
	check_tri(tri_non_root);
	check_tri(tri_ro_rootfs);
	check_tri(tri_privileged);
	check_tri(tri_ape);
}

TEST(test_bad_bool_byte_rejected)
{
	struct pod p;

	minimal_pod(&p);
	p.host_network = 2;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.host_pid = 0xff;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.host_ipc = 2;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.share_pid = 3;
	CHECK(!pod_accepted(&p));
}

TEST(test_negative_grace_seconds_rejected)
{
	struct pod p;

	minimal_pod(&p);
	p.termination_grace_seconds = 0;
	CHECK(pod_accepted(&p));
	minimal_pod(&p);
	p.termination_grace_seconds = -1;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.termination_grace_seconds = INT64_MIN;
	CHECK(!pod_accepted(&p));
}

TEST(test_optional_ints_below_unset_rejected)
{
	struct pod p;

	minimal_pod(&p);
	p.psc.run_as_user = -2;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.psc.run_as_group = -2;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.containers[0].sc.run_as_user = -2;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.containers[0].res.mem_limit_bytes = INT64_MIN;
	CHECK(!pod_accepted(&p));
	minimal_pod(&p);
	p.containers[0].res.cpu_request_milli = -1;
	p.containers[0].res.cpu_limit_milli = INT64_MAX;
	CHECK(pod_accepted(&p));
}

TEST(test_string_with_nul_rejected)
{
	struct ipc_msg m;
	struct pod q;

	/* the encoding of minimal_pod with a NUL inside the namespace */
	ipc_msg_init(&m, 0, 0);
	ipc_put_u32(&m, 1);
	ipc_put_bytes(&m, "def\0ult", 7);
	ipc_put_str(&m, "web");
	CHECK_EQ_INT(podwire_get_pod(&m, &q), -1);
	CHECK(q.namespace == NULL);
	ipc_msg_free(&m);
}

TEST(test_version_mismatch_rejected)
{
	struct ipc_msg m;
	struct pod p, q;
	uint32_t v;

	minimal_pod(&p);
	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_pod(&m, &p) == 0);
	memcpy(&v, m.data, 4);
	CHECK_EQ_INT(v, 3);
	CHECK_EQ_INT(podwire_get_pod(&m, &q), 0);
	pod_free(&q);
	v = 2;		/* the positional layout before tagged fields */
	memcpy(m.data, &v, 4);
	m.off = 0;
	CHECK_EQ_INT(podwire_get_pod(&m, &q), -1);
	v = 4;
	memcpy(m.data, &v, 4);
	m.off = 0;
	CHECK_EQ_INT(podwire_get_pod(&m, &q), -1);
	v = 0;
	memcpy(m.data, &v, 4);
	m.off = 0;
	CHECK_EQ_INT(podwire_get_pod(&m, &q), -1);
	ipc_msg_free(&m);
	pod_free(&p);
}

TEST(test_trailing_byte_after_pod_fails_get_end)
{
	struct ipc_msg m;
	struct pod p, q;

	minimal_pod(&p);
	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_pod(&m, &p) == 0);
	ipc_put_u8(&m, 0);
	CHECK_EQ_INT(podwire_get_pod(&m, &q), 0);
	CHECK_EQ_INT(ipc_get_end(&m), -1);
	pod_free(&q);
	pod_free(&p);
	ipc_msg_free(&m);
}

/* every proper prefix of a valid encoding is refused, leak-free */
TEST(test_pod_truncated_at_every_offset_rejected)
{
	struct ipc_msg m, t;
	struct pod p, q;
	size_t len, bad = 0;

	full_pod(&p);
	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_pod(&m, &p) == 0);
	for (len = 0; len < m.len; len++) {
		ipc_msg_init(&t, 0, 0);
		t.data = m.data;	/* borrowed: cap stays 0 */
		t.len = len;
		if (podwire_get_pod(&t, &q) != -1) {
			bad++;
			pod_free(&q);
		} else if (q.namespace != NULL || q.n_containers != 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	ipc_msg_free(&m);
	pod_free(&p);
}

/* ---- reports ---- */

TEST(test_report_truncated_at_every_offset_rejected)
{
	struct ipc_msg m, t;
	struct pod_report r, q;
	size_t len, bad = 0;

	full_report(&r);
	ipc_msg_init(&m, 0, 0);
	REQUIRE(podwire_put_report(&m, &r) == 0);
	for (len = 0; len < m.len; len++) {
		ipc_msg_init(&t, 0, 0);
		t.data = m.data;
		t.len = len;
		if (podwire_get_report(&t, &q) != -1) {
			bad++;
			pod_report_free(&q);
		} else if (q.reason != NULL || q.n_containers != 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	ipc_msg_free(&m);
	pod_report_free(&r);
}

static void
report_with_containers(struct pod_report *r, uint32_t n)
{
	uint32_t i;

	pod_report_init(r);
	REQUIRE((r->containers = calloc(n, sizeof(*r->containers))) != NULL);
	r->n_containers = n;
	for (i = 0; i < n; i++) {
		r->containers[i].name = numbered("c", i);
		r->containers[i].image = xs("busybox");
	}
}

TEST(test_report_containers_bound)
{
	struct pod_report r;

	report_with_containers(&r, POD_MAX_CONTAINERS);
	CHECK(report_accepted(&r));
	report_with_containers(&r, POD_MAX_CONTAINERS + 1);
	CHECK(!report_accepted(&r));
}

TEST(test_report_reason_bound)
{
	struct pod_report r;

	report_with_containers(&r, 1);
	r.reason = rep(POD_MAX_REASON, 'r');
	r.message = rep(POD_MAX_REASON, 'm');
	/* a container's message holds a termination message (4096) */
	r.containers[0].message = rep(POD_MAX_MESSAGE, 'm');
	r.containers[0].last_term.message = rep(POD_MAX_MESSAGE, 'm');
	CHECK(report_accepted(&r));
	report_with_containers(&r, 1);
	r.reason = rep(POD_MAX_REASON + 1, 'r');
	CHECK(!report_accepted(&r));
	report_with_containers(&r, 1);
	r.containers[0].message = rep(POD_MAX_MESSAGE + 1, 'm');
	CHECK(!report_accepted(&r));
	report_with_containers(&r, 1);
	r.containers[0].last_term.message = rep(POD_MAX_MESSAGE + 1, 'm');
	CHECK(!report_accepted(&r));
}

TEST(test_report_container_name_bound)
{
	struct pod_report r;

	report_with_containers(&r, 1);
	free(r.containers[0].name);
	r.containers[0].name = rep(POD_MAX_LABEL, 'c');
	CHECK(report_accepted(&r));
	report_with_containers(&r, 1);
	free(r.containers[0].name);
	r.containers[0].name = rep(POD_MAX_LABEL + 1, 'c');
	CHECK(!report_accepted(&r));
	report_with_containers(&r, 1);
	free(r.containers[0].name);
	r.containers[0].name = NULL;
	CHECK(!report_accepted(&r));
}

TEST(test_report_state_enum_bound)
{
	struct pod_report r;

	report_with_containers(&r, 1);
	r.containers[0].state = CSTATE_TERMINATED;
	CHECK(report_accepted(&r));
	report_with_containers(&r, 1);
	r.containers[0].state = CSTATE_TERMINATED + 1;
	CHECK(!report_accepted(&r));
}

TEST(test_report_bad_bool_byte_rejected)
{
	struct pod_report r;

	report_with_containers(&r, 1);
	r.denied = 2;
	CHECK(!report_accepted(&r));
	report_with_containers(&r, 1);
	r.sandbox_ready = 2;
	CHECK(!report_accepted(&r));
	report_with_containers(&r, 1);
	r.containers[0].has_last = 2;
	CHECK(!report_accepted(&r));
	report_with_containers(&r, 1);
	r.containers[0].ready = 0xff;
	CHECK(!report_accepted(&r));
}

/* ---- the tagged layout (podschema.c): frames built by hand ---- */

/* tags of the tables, as a later agentd must keep them */
#define T_POD_NAMESPACE		1
#define T_POD_NAME		2
#define T_POD_UID		3
#define T_POD_RESTART		8
#define T_POD_GRACE		9
#define T_POD_HOSTNET		10
#define T_POD_CONTAINERS	15
#define T_C_NAME		1
#define T_C_IMAGE		2
#define T_UNKNOWN		999

static void
f_bytes(struct ipc_msg *m, uint32_t tag, const void *v, size_t n)
{
	ipc_put_u32(m, tag);
	ipc_put_bytes(m, v, n);
}

static void
f_str(struct ipc_msg *m, uint32_t tag, const char *s)
{
	struct ipc_msg v;

	ipc_msg_init(&v, 0, 0);
	ipc_put_str(&v, s);
	f_bytes(m, tag, v.data, v.len);
	ipc_msg_free(&v);
}

static void
f_u8(struct ipc_msg *m, uint32_t tag, uint8_t u)
{
	f_bytes(m, tag, &u, 1);
}

/* one container {name, image}, with an unknown field if asked */
static void
f_containers(struct ipc_msg *m, int unknown)
{
	struct ipc_msg c, v;

	ipc_msg_init(&c, 0, 0);
	f_str(&c, T_C_NAME, "app");
	if (unknown)
		f_str(&c, T_UNKNOWN, "from a later agentd");
	f_str(&c, T_C_IMAGE, "busybox");
	ipc_msg_init(&v, 0, 0);
	ipc_put_u32(&v, 1);
	ipc_put_bytes(&v, c.data, c.len);
	f_bytes(m, T_POD_CONTAINERS, v.data, v.len);
	ipc_msg_free(&c);
	ipc_msg_free(&v);
}

/* the frame: version, then the pod's fields as one struct */
static void
frame(struct ipc_msg *out, const struct ipc_msg *fields)
{
	ipc_msg_init(out, 0, 0);
	ipc_put_u32(out, 3);
	ipc_put_bytes(out, fields->data, fields->len);
}

/* namespace, name, uid, containers: all that is required */
static void
required_fields(struct ipc_msg *m, int unknown)
{
	ipc_msg_init(m, 0, 0);
	f_str(m, T_POD_NAMESPACE, "default");
	if (unknown) {
		f_str(m, T_UNKNOWN, "x");
		f_bytes(m, T_UNKNOWN + 1, "", 0);
	}
	f_str(m, T_POD_NAME, "web");
	f_str(m, T_POD_UID, "0b6c1f0e");
	f_containers(m, unknown);
}

static int
frame_decodes(const struct ipc_msg *fields, struct pod *q)
{
	struct ipc_msg m;
	int rv;

	frame(&m, fields);
	rv = podwire_get_pod(&m, q);
	if (rv == 0 && ipc_get_end(&m) == -1) {
		pod_free(q);
		rv = -1;
	}
	ipc_msg_free(&m);
	return rv;
}

TEST(test_tagged_unknown_tag_is_skipped)
{
	struct ipc_msg f;
	struct pod p, q;

	required_fields(&f, 0);
	REQUIRE(frame_decodes(&f, &p) == 0);
	ipc_msg_free(&f);
	required_fields(&f, 1);
	REQUIRE(frame_decodes(&f, &q) == 0);
	CHECK(pod_eq(&p, &q));
	CHECK_STR(q.containers[0].image, "busybox");
	pod_free(&q);
	pod_free(&p);
	ipc_msg_free(&f);
}

TEST(test_tagged_missing_fields_keep_defaults)
{
	struct ipc_msg f;
	struct pod q;

	required_fields(&f, 0);
	REQUIRE(frame_decodes(&f, &q) == 0);
	CHECK_EQ_INT(q.restart_policy, RESTART_ALWAYS);
	CHECK_EQ_INT(q.termination_grace_seconds, 30);
	CHECK_EQ_INT(q.host_network, 0);
	CHECK_EQ_INT(q.psc.run_as_user, -1);
	CHECK_EQ_INT(q.psc.run_as_non_root, TRI_UNSET);
	CHECK(q.source == NULL && q.node_name == NULL && q.n_labels == 0);
	CHECK_EQ_INT(q.containers[0].pull_policy, PULL_IF_NOT_PRESENT);
	CHECK_EQ_INT(q.containers[0].res.cpu_limit_milli, -1);
	CHECK_EQ_INT(q.containers[0].sc.privileged, TRI_UNSET);
	CHECK_EQ_INT(q.containers[0].sc.run_as_user, -1);
	CHECK(q.containers[0].working_dir == NULL);
	pod_free(&q);
	ipc_msg_free(&f);
}

/* a field set by a frame in any order, each once */
TEST(test_tagged_order_free_duplicates_refused)
{
	struct ipc_msg f;
	struct pod q;

	ipc_msg_init(&f, 0, 0);
	f_containers(&f, 0);
	f_u8(&f, T_POD_RESTART, RESTART_NEVER);
	f_str(&f, T_POD_UID, "u");
	f_str(&f, T_POD_NAME, "web");
	f_str(&f, T_POD_NAMESPACE, "default");
	REQUIRE(frame_decodes(&f, &q) == 0);
	CHECK_EQ_INT(q.restart_policy, RESTART_NEVER);
	pod_free(&q);
	f_str(&f, T_POD_NAME, "again");
	CHECK_EQ_INT(frame_decodes(&f, &q), -1);
	CHECK(q.name == NULL && q.containers == NULL);
	ipc_msg_free(&f);
}

TEST(test_tagged_required_field_missing_refused)
{
	struct ipc_msg f;
	struct pod q;

	ipc_msg_init(&f, 0, 0);
	f_str(&f, T_POD_NAMESPACE, "default");
	f_str(&f, T_POD_NAME, "web");
	f_containers(&f, 0);
	CHECK_EQ_INT(frame_decodes(&f, &q), -1);	/* no uid */
	ipc_msg_free(&f);
	ipc_msg_init(&f, 0, 0);
	f_str(&f, T_POD_NAMESPACE, "default");
	f_str(&f, T_POD_NAME, "web");
	f_str(&f, T_POD_UID, "u");
	CHECK_EQ_INT(frame_decodes(&f, &q), -1);	/* no containers */
	ipc_msg_free(&f);
}

TEST(test_tagged_oversize_field_refused)
{
	struct ipc_msg f;
	struct pod q;
	char *big;
	uint8_t two[2] = { 1, 0 };
	int64_t grace = 5;

	/* a string over its bound */
	big = rep(POD_MAX_NAMESPACE + 1, 'n');
	ipc_msg_init(&f, 0, 0);
	f_str(&f, T_POD_NAMESPACE, big);
	f_str(&f, T_POD_NAME, "web");
	f_str(&f, T_POD_UID, "u");
	f_containers(&f, 0);
	CHECK_EQ_INT(frame_decodes(&f, &q), -1);
	ipc_msg_free(&f);
	free(big);
	/* a bool field of two bytes: the value must be consumed exactly */
	required_fields(&f, 0);
	f_bytes(&f, T_POD_HOSTNET, two, sizeof(two));
	CHECK_EQ_INT(frame_decodes(&f, &q), -1);
	ipc_msg_free(&f);
	/* an i64 field of four bytes */
	required_fields(&f, 0);
	f_bytes(&f, T_POD_GRACE, &grace, 4);
	CHECK_EQ_INT(frame_decodes(&f, &q), -1);
	ipc_msg_free(&f);
	/* an unknown field longer than what is left of the struct */
	required_fields(&f, 0);
	ipc_put_u32(&f, T_UNKNOWN);
	ipc_put_u32(&f, 100);
	ipc_put_u32(&f, 0);
	CHECK_EQ_INT(frame_decodes(&f, &q), -1);
	ipc_msg_free(&f);
}

/* a struct's length past the frame's end */
TEST(test_tagged_struct_length_past_end_refused)
{
	struct ipc_msg f, m;
	struct pod q;
	uint32_t n;

	required_fields(&f, 0);
	frame(&m, &f);
	memcpy(&n, m.data + 4, 4);
	n++;
	memcpy(m.data + 4, &n, 4);
	CHECK_EQ_INT(podwire_get_pod(&m, &q), -1);
	ipc_msg_free(&m);
	ipc_msg_free(&f);
}

/* the test layout's unknown fields in every struct are skipped */
#ifdef AGENTD_TEST_HOOKS
TEST(test_tagged_test_layout_extra_fields_skipped)
{
	struct ipc_msg m1, m2;
	struct pod p, q;

	full_pod(&p);
	ipc_msg_init(&m1, 0, 0);
	REQUIRE(podwire_put_pod(&m1, &p) == 0);
	podwire_test_layout(0, 1);
	ipc_msg_init(&m2, 0, 0);
	REQUIRE(podwire_put_pod(&m2, &p) == 0);
	podwire_test_layout(0, 0);
	CHECK(m2.len > m1.len);
	REQUIRE(podwire_get_pod(&m2, &q) == 0);
	CHECK_EQ_INT(ipc_get_end(&m2), 0);
	CHECK(pod_eq(&p, &q));
	pod_free(&q);
	pod_free(&p);
	ipc_msg_free(&m1);
	ipc_msg_free(&m2);
}
#endif

/* ---- every row of every table: set, encode, decode, compare ---- */

static int	rows_cover(const struct podschema *, void *, int *);
static int	rows_same(const struct podschema *, const void *,
		    const void *);

/* a value other than the default, within the row's bounds */
static int64_t
int_other(const struct podfield *f)
{
	return f->max != f->def ? f->max : f->min;
}

/* every row set to a value at its bound; how many rows, nested ones too */
static int
row_cover(const struct podfield *f, void *obj, int *rows)
{
	struct kv *kv;
	char *a;

	(*rows)++;
	switch (f->type) {
	case PS_STR:
		*PODSCHEMA_MEMBER(char *, obj, f) = rep((size_t)f->max, 'a');
		return 0;
	case PS_STRLIST:
		sl_add(PODSCHEMA_MEMBER(struct strlist, obj, f), "");
		free(PODSCHEMA_MEMBER(struct strlist, obj, f)->v[0]);
		PODSCHEMA_MEMBER(struct strlist, obj, f)->v[0] =
		    rep(f->elem_max, 's');
		return 0;
	case PS_KVLIST:
		REQUIRE((kv = calloc(1, sizeof(*kv))) != NULL);
		kv->key = rep(f->key_max, 'k');
		kv->value = rep(f->elem_max, 'v');
		*PODSCHEMA_MEMBER(struct kv *, obj, f) = kv;
		*(uint32_t *)(void *)((char *)obj + f->count_off) = 1;
		return 0;
	case PS_STRUCT:
		return rows_cover(f->sub, (char *)obj + f->off, rows);
	case PS_LIST:
		REQUIRE((a = calloc(1, f->sub->size)) != NULL);
		podschema_init(f->sub, a);
		*PODSCHEMA_MEMBER(char *, obj, f) = a;
		*(uint32_t *)(void *)((char *)obj + f->count_off) = 1;
		return rows_cover(f->sub, a, rows);
	}
	podschema_set_int(f, obj, int_other(f));
	return 0;
}

static int
rows_cover(const struct podschema *s, void *obj, int *rows)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (row_cover(&s->fields[i], obj, rows) == -1)
			return -1;
	return 0;
}

static int
row_same(const struct podfield *f, const void *a, const void *b)
{
	const struct strlist *la, *lb;
	const struct kv *ka, *kb;
	const char *sa, *sb;

	if (podschema_is_default(f, b))
		return 0;	/* it did not travel */
	switch (f->type) {
	case PS_STR:
		sa = *PODSCHEMA_CMEMBER(char *, a, f);
		sb = *PODSCHEMA_CMEMBER(char *, b, f);
		return strcmp(sa, sb) == 0;
	case PS_STRLIST:
		la = PODSCHEMA_CMEMBER(struct strlist, a, f);
		lb = PODSCHEMA_CMEMBER(struct strlist, b, f);
		return la->n == lb->n && strcmp(la->v[0], lb->v[0]) == 0;
	case PS_KVLIST:
		ka = *PODSCHEMA_CMEMBER(struct kv *, a, f);
		kb = *PODSCHEMA_CMEMBER(struct kv *, b, f);
		return podschema_count(f, b) == 1 &&
		    strcmp(ka->key, kb->key) == 0 &&
		    strcmp(ka->value, kb->value) == 0;
	case PS_STRUCT:
		return rows_same(f->sub, (const char *)a + f->off,
		    (const char *)b + f->off);
	case PS_LIST:
		return podschema_count(f, b) == 1 &&
		    rows_same(f->sub, *PODSCHEMA_CMEMBER(char *, a, f),
		    *PODSCHEMA_CMEMBER(char *, b, f));
	}
	return podschema_int(f, a) == podschema_int(f, b);
}

static int
rows_same(const struct podschema *s, const void *a, const void *b)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (!row_same(&s->fields[i], a, b)) {
			fprintf(stderr, "%s.%s did not round-trip\n",
			    s->name, s->fields[i].name);
			return 0;
		}
	return 1;
}

TEST(test_tagged_every_table_row_round_trips)
{
	struct pod p, q;
	int rows = 0;

	pod_init(&p);
	REQUIRE(rows_cover(&podschema_pod, &p, &rows) == 0);
	/* pod + container + port + resources + securityContext x2 */
	CHECK(rows >= 40);
	REQUIRE(pod_trip(&p, &q) == 0);
	CHECK(rows_same(&podschema_pod, &p, &q));
	CHECK(pod_eq(&p, &q));
	pod_free(&q);
	pod_free(&p);
}

/* at its default every row leaves the wire: the bare pod is small */
TEST(test_tagged_defaults_not_written)
{
	struct ipc_msg m1, m2;
	struct pod p;

	minimal_pod(&p);
	ipc_msg_init(&m1, 0, 0);
	REQUIRE(podwire_put_pod(&m1, &p) == 0);
	p.containers[0].sc.privileged = 1;
	ipc_msg_init(&m2, 0, 0);
	REQUIRE(podwire_put_pod(&m2, &p) == 0);
	/* the securityContext: tag, length, struct length, one u8 field */
	CHECK_EQ_INT(m2.len - m1.len, 4 + 4 + 4 + (4 + 4 + 1));
	ipc_msg_free(&m1);
	ipc_msg_free(&m2);
	pod_free(&p);
}

TEST(test_tables_consistent)
{
	const char *why = NULL;
	size_t i;

	for (i = 0; i < podschema_nall; i++)
		if (podschema_check(podschema_all[i], &why) == -1) {
			fprintf(stderr, "%s: %s\n", podschema_all[i]->name,
			    why);
			CHECK(0);
		}
}

TEST(test_tagged_every_report_row_round_trips)
{
	struct pod_report r, q;
	int rows = 0;

	pod_report_init(&r);
	REQUIRE(rows_cover(&podschema_report, &r, &rows) == 0);
	CHECK(rows >= 30);
	REQUIRE(report_trip(&r, &q) == 0);
	CHECK(rows_same(&podschema_report, &r, &q));
	CHECK(report_eq(&r, &q));
	pod_report_free(&q);
	pod_report_free(&r);
}

/* ---- init containers (issue 13) ---- */

static struct container_spec *
init_add(struct pod *p, const char *name, int sidecar)
{
	struct container_spec *nc, *c;

	REQUIRE((nc = reallocarray(p->init_containers,
	    p->n_init_containers + 1, sizeof(*nc))) != NULL);
	p->init_containers = nc;
	c = &p->init_containers[p->n_init_containers++];
	container_spec_init(c);
	c->name = xs(name);
	c->image = xs("busybox");
	c->restart_policy = sidecar ? CTR_RESTART_ALWAYS : CTR_RESTART_UNSET;
	return c;
}

TEST(test_init_containers_round_trip)
{
	struct pod p, q;

	minimal_pod(&p);
	sl_add(&init_add(&p, "setup", 0)->command, "true");
	init_add(&p, "side", 1);
	REQUIRE(pod_trip(&p, &q) == 0);
	REQUIRE(q.n_init_containers == 2);
	CHECK_STR(q.init_containers[0].name, "setup");
	CHECK_STR(q.init_containers[0].command.v[0], "true");
	CHECK_EQ_INT(q.init_containers[0].restart_policy, CTR_RESTART_UNSET);
	CHECK_STR(q.init_containers[1].name, "side");
	CHECK_EQ_INT(q.init_containers[1].restart_policy, CTR_RESTART_ALWAYS);
	CHECK_EQ_INT(q.n_containers, 1);
	pod_free(&q);
	pod_free(&p);
}

TEST(test_init_container_names_checked_on_decode)
{
	struct pod p;

	/* the same name twice in the list: the decoder's PSF_KEY */
	minimal_pod(&p);
	init_add(&p, "setup", 0);
	init_add(&p, "setup", 0);
	CHECK(!pod_accepted(&p));
	/* restartPolicy beyond Always */
	minimal_pod(&p);
	init_add(&p, "setup", 0)->restart_policy = CTR_RESTART_ALWAYS + 1;
	CHECK(!pod_accepted(&p));
}

static void
add_init_containers(struct pod *p, uint32_t n)
{
	char *name;

	while (n-- > 0) {
		name = numbered("i", n);
		init_add(p, name, n % 2);
		free(name);
	}
}

TEST(test_init_containers_bound)
{
	check_pod_count_bound(add_init_containers, POD_MAX_CONTAINERS);
}

TEST(test_report_init_statuses_round_trip)
{
	struct pod_report r, q;

	pod_report_init(&r);
	REQUIRE((r.init_containers = calloc(2,
	    sizeof(*r.init_containers))) != NULL);
	r.n_init_containers = 2;
	r.init_containers[0].name = xs("setup");
	r.init_containers[0].image = xs("busybox");
	r.init_containers[0].state = CSTATE_TERMINATED;
	r.init_containers[0].reason = xs("Completed");
	r.init_containers[0].ready = 1;
	r.init_containers[1].name = xs("side");
	r.init_containers[1].image = xs("busybox");
	r.init_containers[1].state = CSTATE_RUNNING;
	r.init_containers[1].started = 1;
	REQUIRE(report_trip(&r, &q) == 0);
	REQUIRE(q.n_init_containers == 2);
	CHECK_STR(q.init_containers[0].reason, "Completed");
	CHECK_EQ_INT(q.init_containers[0].ready, 1);
	CHECK_EQ_INT(q.init_containers[1].started, 1);
	CHECK_EQ_INT(q.init_containers[1].state, CSTATE_RUNNING);
	CHECK_EQ_INT(q.n_containers, 0);
	pod_report_free(&q);
	pod_report_free(&r);
}
