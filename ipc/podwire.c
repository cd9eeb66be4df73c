/*
 * podwire: the binary encoding of the pod model and of the executor's
 * observed state.  Field order is fixed; every string and list is bounded
 * by the limits in pod.h, which the decoder enforces again because its
 * input comes from a less trusted process.  A decoder failure leaves the
 * output freed and returns -1: the caller ends the peer.
 */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "pod.h"

#define PODWIRE_VERSION		2	/* 2: share_pid */

#ifdef AGENTD_TEST_HOOKS
/*
 * The upgrade tests' hook (podwire_test_layout, from the test-only config
 * keys testPodwireVersionBump and testPodwireExtraField): the version word
 * PODWIRE_VERSION + 1 and/or one more field per pod and per container, as
 * a later agentd would send.  Every worker applies the same configuration,
 * so encoder and decoder agree; a release build has neither.
 */
static uint32_t		wire_version = PODWIRE_VERSION;
static int		wire_extra;
#define WIRE_VERSION	wire_version
#define WIRE_EXTRA	wire_extra
#define WIRE_EXTRA_STR	"a field this agentd does not know"

void
podwire_test_layout(int bump, int extra)
{
	wire_version = PODWIRE_VERSION + (bump ? 1 : 0);
	wire_extra = extra != 0;
}
#else
#define WIRE_VERSION	PODWIRE_VERSION
#define WIRE_EXTRA	0
#define WIRE_EXTRA_STR	""
#endif

/* ---- encoding ---- */

static void
put_strlist(struct ipc_msg *m, const struct strlist *l)
{
	uint32_t i;

	ipc_put_u32(m, l->n);
	for (i = 0; i < l->n; i++)
		ipc_put_str(m, l->v[i]);
}

static void
put_kv(struct ipc_msg *m, const struct kv *kv, uint32_t n)
{
	uint32_t i;

	ipc_put_u32(m, n);
	for (i = 0; i < n; i++) {
		ipc_put_str(m, kv[i].key);
		ipc_put_str(m, kv[i].value);
	}
}

static void
put_tri(struct ipc_msg *m, int8_t v)
{
	ipc_put_u8(m, (uint8_t)v);
}

static void
put_container(struct ipc_msg *m, const struct container_spec *c)
{
	uint32_t i;

	ipc_put_str(m, c->name);
	ipc_put_str(m, c->image);
	ipc_put_u8(m, c->pull_policy);
	put_strlist(m, &c->command);
	put_strlist(m, &c->args);
	put_kv(m, c->env, c->n_env);
	ipc_put_str(m, c->working_dir);
	ipc_put_u32(m, c->n_ports);
	for (i = 0; i < c->n_ports; i++) {
		ipc_put_str(m, c->ports[i].name);
		ipc_put_u32(m, c->ports[i].container_port);
		ipc_put_u32(m, c->ports[i].host_port);
		ipc_put_u8(m, c->ports[i].protocol);
		ipc_put_str(m, c->ports[i].host_ip);
	}
	ipc_put_i64(m, c->res.cpu_request_milli);
	ipc_put_i64(m, c->res.cpu_limit_milli);
	ipc_put_i64(m, c->res.mem_request_bytes);
	ipc_put_i64(m, c->res.mem_limit_bytes);
	ipc_put_i64(m, c->sc.run_as_user);
	ipc_put_i64(m, c->sc.run_as_group);
	put_tri(m, c->sc.run_as_non_root);
	put_tri(m, c->sc.read_only_root_fs);
	put_tri(m, c->sc.privileged);
	put_tri(m, c->sc.allow_privilege_escalation);
	put_strlist(m, &c->sc.cap_add);
	put_strlist(m, &c->sc.cap_drop);
	if (WIRE_EXTRA)
		ipc_put_str(m, WIRE_EXTRA_STR);
}

int
podwire_put_pod(struct ipc_msg *m, const struct pod *p)
{
	uint32_t i;

	ipc_put_u32(m, WIRE_VERSION);
	ipc_put_str(m, p->namespace);
	ipc_put_str(m, p->name);
	ipc_put_str(m, p->uid);
	put_kv(m, p->labels, p->n_labels);
	put_kv(m, p->annotations, p->n_annotations);
	ipc_put_str(m, p->source);
	ipc_put_str(m, p->node_name);
	ipc_put_u8(m, p->restart_policy);
	ipc_put_i64(m, p->termination_grace_seconds);
	ipc_put_u8(m, p->host_network);
	ipc_put_u8(m, p->host_pid);
	ipc_put_u8(m, p->host_ipc);
	ipc_put_u8(m, p->share_pid);
	ipc_put_i64(m, p->psc.run_as_user);
	ipc_put_i64(m, p->psc.run_as_group);
	put_tri(m, p->psc.run_as_non_root);
	if (WIRE_EXTRA)
		ipc_put_u8(m, 0);	/* a later bool, at its default */
	ipc_put_u32(m, p->n_containers);
	for (i = 0; i < p->n_containers; i++)
		put_container(m, &p->containers[i]);
	return m->err ? -1 : 0;
}

static void
put_term(struct ipc_msg *m, const struct container_term *t)
{
	ipc_put_u32(m, (uint32_t)t->exit_code);
	ipc_put_u32(m, (uint32_t)t->signal);
	ipc_put_str(m, t->reason);
	ipc_put_str(m, t->message);
	ipc_put_i64(m, t->started_at_ns);
	ipc_put_i64(m, t->finished_at_ns);
	ipc_put_str(m, t->container_id);
}

int
podwire_put_report(struct ipc_msg *m, const struct pod_report *r)
{
	const struct container_report *c;
	uint32_t i;

	ipc_put_u8(m, r->denied);
	ipc_put_str(m, r->reason);
	ipc_put_str(m, r->message);
	ipc_put_u8(m, r->sandbox_ready);
	ipc_put_i64(m, r->start_time_ns);
	ipc_put_u8(m, r->terminating);
	ipc_put_i64(m, r->deletion_ns);
	ipc_put_str(m, r->pod_ip);
	ipc_put_str(m, r->host_ip);
	ipc_put_u32(m, r->n_containers);
	for (i = 0; i < r->n_containers; i++) {
		c = &r->containers[i];
		ipc_put_str(m, c->name);
		ipc_put_str(m, c->image);
		ipc_put_str(m, c->image_id);
		ipc_put_str(m, c->container_id);
		ipc_put_u8(m, c->state);
		ipc_put_str(m, c->reason);
		ipc_put_str(m, c->message);
		ipc_put_i64(m, c->started_at_ns);
		ipc_put_u32(m, (uint32_t)c->exit_code);
		ipc_put_u32(m, (uint32_t)c->signal);
		ipc_put_i64(m, c->finished_at_ns);
		ipc_put_u32(m, c->restart_count);
		ipc_put_u8(m, c->has_last);
		put_term(m, &c->last_term);
		ipc_put_u8(m, c->ready);
	}
	return m->err ? -1 : 0;
}

/* ---- decoding ---- */

/* a bounded optional string: "" on the wire decodes to NULL */
static int
get_opt_str(struct ipc_msg *m, char **out, size_t max)
{
	if ((*out = ipc_get_strdup(m, max)) == NULL)
		return -1;
	if (**out == '\0') {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* a required string: must be non-empty */
static int
get_req_str(struct ipc_msg *m, char **out, size_t max)
{
	if ((*out = ipc_get_strdup(m, max)) == NULL)
		return -1;
	return **out == '\0' ? -1 : 0;
}

static int
get_strlist(struct ipc_msg *m, struct strlist *l, uint32_t maxn, size_t maxlen)
{
	uint32_t n, i;

	if (ipc_get_count(m, &n, maxn) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((l->v[i] = ipc_get_strdup(m, maxlen)) == NULL)
			return -1;
		l->n++;
	}
	return 0;
}

static int
get_kv(struct ipc_msg *m, struct kv **kvp, uint32_t *np, uint32_t maxn,
    size_t maxkey, size_t maxval)
{
	struct kv *kv;
	uint32_t n, i;

	if (ipc_get_count(m, &n, maxn) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((kv = calloc(n, sizeof(*kv))) == NULL)
		return -1;
	*kvp = kv;
	for (i = 0; i < n; i++) {
		*np = i + 1;
		if (get_req_str(m, &kv[i].key, maxkey + 1) == -1 ||
		    (kv[i].value = ipc_get_strdup(m, maxval + 1)) == NULL)
			return -1;
	}
	return 0;
}

static int
get_tri(struct ipc_msg *m, int8_t *v)
{
	uint8_t u;

	if (ipc_get_u8(m, &u) == -1)
		return -1;
	*v = (int8_t)u;
	return (*v == TRI_UNSET || *v == 0 || *v == 1) ? 0 : -1;
}

static int
get_bool(struct ipc_msg *m, uint8_t *v)
{
	if (ipc_get_u8(m, v) == -1)
		return -1;
	return *v <= 1 ? 0 : -1;
}

static int
get_enum(struct ipc_msg *m, uint8_t *v, uint8_t max)
{
	if (ipc_get_u8(m, v) == -1)
		return -1;
	return *v <= max ? 0 : -1;
}

/* optional ints: -1 (unset) or non-negative */
static int
get_opt_i64(struct ipc_msg *m, int64_t *v)
{
	if (ipc_get_i64(m, v) == -1)
		return -1;
	return *v >= -1 ? 0 : -1;
}

/* the test layout's unknown container field: read and dropped */
static int
get_extra_str(struct ipc_msg *m)
{
	char *s;

	if (get_opt_str(m, &s, POD_MAX_REASON + 1) == -1)
		return -1;
	free(s);
	return 0;
}

static int
get_ports(struct ipc_msg *m, struct container_spec *c)
{
	struct container_port *pt;
	uint32_t n, i;

	if (ipc_get_count(m, &n, POD_MAX_PORTS) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((c->ports = calloc(n, sizeof(*c->ports))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		pt = &c->ports[i];
		c->n_ports = i + 1;
		if (get_opt_str(m, &pt->name, POD_MAX_LABEL + 1) == -1 ||
		    ipc_get_u32(m, &pt->container_port) == -1 ||
		    ipc_get_u32(m, &pt->host_port) == -1 ||
		    get_enum(m, &pt->protocol, PROTO_SCTP) == -1 ||
		    get_opt_str(m, &pt->host_ip, 64) == -1)
			return -1;
		if (pt->container_port == 0 || pt->container_port > 65535 ||
		    pt->host_port > 65535)
			return -1;
	}
	return 0;
}

static int
get_container(struct ipc_msg *m, struct container_spec *c)
{
	if (get_req_str(m, &c->name, POD_MAX_CONTAINER_NAME + 1) == -1 ||
	    get_req_str(m, &c->image, POD_MAX_IMAGE + 1) == -1 ||
	    get_enum(m, &c->pull_policy, PULL_NEVER) == -1 ||
	    get_strlist(m, &c->command, POD_MAX_ARGS, POD_MAX_ARG + 1) == -1 ||
	    get_strlist(m, &c->args, POD_MAX_ARGS, POD_MAX_ARG + 1) == -1 ||
	    get_kv(m, &c->env, &c->n_env, POD_MAX_ENV, POD_MAX_ENV_NAME,
	    POD_MAX_ENV_VALUE) == -1 ||
	    get_opt_str(m, &c->working_dir, POD_MAX_PATH + 1) == -1 ||
	    get_ports(m, c) == -1)
		return -1;
	if (get_opt_i64(m, &c->res.cpu_request_milli) == -1 ||
	    get_opt_i64(m, &c->res.cpu_limit_milli) == -1 ||
	    get_opt_i64(m, &c->res.mem_request_bytes) == -1 ||
	    get_opt_i64(m, &c->res.mem_limit_bytes) == -1 ||
	    get_opt_i64(m, &c->sc.run_as_user) == -1 ||
	    get_opt_i64(m, &c->sc.run_as_group) == -1 ||
	    get_tri(m, &c->sc.run_as_non_root) == -1 ||
	    get_tri(m, &c->sc.read_only_root_fs) == -1 ||
	    get_tri(m, &c->sc.privileged) == -1 ||
	    get_tri(m, &c->sc.allow_privilege_escalation) == -1 ||
	    get_strlist(m, &c->sc.cap_add, POD_MAX_CAPS,
	    POD_MAX_CAP_NAME + 1) == -1 ||
	    get_strlist(m, &c->sc.cap_drop, POD_MAX_CAPS,
	    POD_MAX_CAP_NAME + 1) == -1)
		return -1;
	return WIRE_EXTRA ? get_extra_str(m) : 0;
}

static int
get_containers(struct ipc_msg *m, struct pod *p)
{
	uint32_t n, i, j;

	if (ipc_get_count(m, &n, POD_MAX_CONTAINERS) == -1 || n == 0)
		return -1;
	if ((p->containers = calloc(n, sizeof(*p->containers))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		container_spec_init(&p->containers[i]);
		p->n_containers = i + 1;
		if (get_container(m, &p->containers[i]) == -1)
			return -1;
		/* the executor keys containers by name */
		for (j = 0; j < i; j++)
			if (strcmp(p->containers[j].name,
			    p->containers[i].name) == 0)
				return -1;
	}
	return 0;
}

static int
get_pod(struct ipc_msg *m, struct pod *p)
{
	uint32_t version;
	uint8_t extra;

	if (ipc_get_u32(m, &version) == -1 || version != WIRE_VERSION)
		return -1;
	if (get_req_str(m, &p->namespace, POD_MAX_NAMESPACE + 1) == -1 ||
	    get_req_str(m, &p->name, POD_MAX_NAME + 1) == -1 ||
	    get_req_str(m, &p->uid, POD_MAX_UID + 1) == -1 ||
	    get_kv(m, &p->labels, &p->n_labels, POD_MAX_META, POD_MAX_KEY,
	    POD_MAX_LABEL_VALUE) == -1 ||
	    get_kv(m, &p->annotations, &p->n_annotations, POD_MAX_META,
	    POD_MAX_KEY, POD_MAX_ANNOT_VALUE) == -1 ||
	    get_opt_str(m, &p->source, POD_MAX_SOURCE + 1) == -1 ||
	    get_opt_str(m, &p->node_name, POD_MAX_NAME + 1) == -1 ||
	    get_enum(m, &p->restart_policy, RESTART_NEVER) == -1 ||
	    ipc_get_i64(m, &p->termination_grace_seconds) == -1 ||
	    p->termination_grace_seconds < 0 ||
	    get_bool(m, &p->host_network) == -1 ||
	    get_bool(m, &p->host_pid) == -1 ||
	    get_bool(m, &p->host_ipc) == -1 ||
	    get_bool(m, &p->share_pid) == -1 ||
	    get_opt_i64(m, &p->psc.run_as_user) == -1 ||
	    get_opt_i64(m, &p->psc.run_as_group) == -1 ||
	    get_tri(m, &p->psc.run_as_non_root) == -1)
		return -1;
	if (WIRE_EXTRA && get_bool(m, &extra) == -1)
		return -1;
	return get_containers(m, p);
}

int
podwire_get_pod(struct ipc_msg *m, struct pod *p)
{
	pod_init(p);
	if (get_pod(m, p) == -1) {
		pod_free(p);
		return -1;
	}
	return 0;
}

static int
get_i32(struct ipc_msg *m, int32_t *v)
{
	uint32_t u;

	if (ipc_get_u32(m, &u) == -1)
		return -1;
	*v = (int32_t)u;
	return 0;
}

static int
get_term(struct ipc_msg *m, struct container_term *t)
{
	if (get_i32(m, &t->exit_code) == -1 || get_i32(m, &t->signal) == -1 ||
	    get_opt_str(m, &t->reason, POD_MAX_REASON + 1) == -1 ||
	    get_opt_str(m, &t->message, POD_MAX_REASON + 1) == -1 ||
	    ipc_get_i64(m, &t->started_at_ns) == -1 ||
	    ipc_get_i64(m, &t->finished_at_ns) == -1 ||
	    get_opt_str(m, &t->container_id, POD_MAX_ID + 16) == -1)
		return -1;
	return 0;
}

static int
get_creport(struct ipc_msg *m, struct container_report *c)
{
	if (get_req_str(m, &c->name, POD_MAX_CONTAINER_NAME + 1) == -1 ||
	    get_req_str(m, &c->image, POD_MAX_IMAGE + 1) == -1 ||
	    get_opt_str(m, &c->image_id, POD_MAX_IMAGE + POD_MAX_ID) == -1 ||
	    get_opt_str(m, &c->container_id, POD_MAX_ID + 16) == -1 ||
	    get_enum(m, &c->state, CSTATE_TERMINATED) == -1 ||
	    get_opt_str(m, &c->reason, POD_MAX_REASON + 1) == -1 ||
	    get_opt_str(m, &c->message, POD_MAX_REASON + 1) == -1 ||
	    ipc_get_i64(m, &c->started_at_ns) == -1 ||
	    get_i32(m, &c->exit_code) == -1 ||
	    get_i32(m, &c->signal) == -1 ||
	    ipc_get_i64(m, &c->finished_at_ns) == -1 ||
	    ipc_get_u32(m, &c->restart_count) == -1 ||
	    get_bool(m, &c->has_last) == -1 ||
	    get_term(m, &c->last_term) == -1 ||
	    get_bool(m, &c->ready) == -1)
		return -1;
	return 0;
}

static int
get_report(struct ipc_msg *m, struct pod_report *r)
{
	uint32_t n, i;

	if (get_bool(m, &r->denied) == -1 ||
	    get_opt_str(m, &r->reason, POD_MAX_REASON + 1) == -1 ||
	    get_opt_str(m, &r->message, POD_MAX_REASON + 1) == -1 ||
	    get_bool(m, &r->sandbox_ready) == -1 ||
	    ipc_get_i64(m, &r->start_time_ns) == -1 ||
	    get_bool(m, &r->terminating) == -1 ||
	    ipc_get_i64(m, &r->deletion_ns) == -1 ||
	    get_opt_str(m, &r->pod_ip, 64) == -1 ||
	    get_opt_str(m, &r->host_ip, 64) == -1 ||
	    ipc_get_count(m, &n, POD_MAX_CONTAINERS) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((r->containers = calloc(n, sizeof(*r->containers))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		r->n_containers = i + 1;
		if (get_creport(m, &r->containers[i]) == -1)
			return -1;
	}
	return 0;
}

int
podwire_get_report(struct ipc_msg *m, struct pod_report *r)
{
	pod_report_init(r);
	if (get_report(m, r) == -1) {
		pod_report_free(r);
		return -1;
	}
	return 0;
}
