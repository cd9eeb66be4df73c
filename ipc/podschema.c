/*
 * The pod model's field tables (podschema.h), the executor report's, and
 * the code they drive: defaults, freeing, and the tagged wire encoding of
 * each struct.
 *
 * Wire encoding of one struct (host byte order, as all of IPC):
 *
 *	struct	= u32 length, then length bytes of fields
 *	field	= u32 tag, u32 length, then length bytes of value
 *	value	  by the row's type:
 *		bool, enum, tri		u8
 *		u32, i32		u32
 *		i64			i64
 *		str			u32 n, n bytes (no NUL)
 *		str list		u32 count, count x str
 *		kv list			u32 count, count x (str key, str value)
 *		struct			struct
 *		list of structs		u32 count, count x struct
 *
 * The encoder writes the rows in table order and leaves out every field
 * at its default (a required one is always written).  The decoder takes
 * fields in any order, skips a tag it does not know (a later agentd's
 * field), refuses a tag seen twice, a value that is not consumed exactly
 * by its type, anything over its bound or out of its range, and a
 * required field that is missing; a field that is not there keeps its
 * default.  Every length is checked against what is left of the
 * enclosing one, so a truncated frame is always refused.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "pod.h"
#include "podschema.h"

#define OFF(st, m)	offsetof(st, m)

/* a string: required ones are never "", optional ones "" are NULL */
#define STR(n, t, st, m, mx, fl) { .name = n, .tag = t, .type = PS_STR, \
	.flags = fl, .off = OFF(st, m), .max = mx }
#define STRLIST(n, t, st, m, cnt, emx) { .name = n, .tag = t, \
	.type = PS_STRLIST, .flags = PSF_JSON_OMIT, .off = OFF(st, m), \
	.max = cnt, .elem_max = emx }
#define KVLIST(n, t, st, m, c, cnt, kmx, vmx, fm) { .name = n, .tag = t, \
	.type = PS_KVLIST, .flags = PSF_JSON_OMIT, .fmt = fm, \
	.off = OFF(st, m), .count_off = OFF(st, c), .max = cnt, \
	.key_max = kmx, .elem_max = vmx }
#define BOOL(n, t, st, m) { .name = n, .tag = t, .type = PS_BOOL, \
	.flags = PSF_JSON_OMIT, .off = OFF(st, m), .max = 1 }
#define TRI(n, t, st, m) { .name = n, .tag = t, .type = PS_TRI, \
	.flags = PSF_JSON_OMIT, .off = OFF(st, m), .min = -1, .max = 1, \
	.def = TRI_UNSET }
#define ENUM(n, t, st, m, mx, fn) { .name = n, .tag = t, .type = PS_ENUM, \
	.off = OFF(st, m), .max = mx, .enum_name = fn }
/* an optional non-negative integer: -1 is unset */
#define OPT_I64(n, t, st, m, fm) { .name = n, .tag = t, .type = PS_I64, \
	.flags = PSF_UNSET | PSF_JSON_OMIT, .fmt = fm, .off = OFF(st, m), \
	.min = 0, .max = INT64_MAX, .def = -1 }
#define U32(n, t, st, m, lo, hi, fl) { .name = n, .tag = t, .type = PS_U32, \
	.flags = fl, .off = OFF(st, m), .min = lo, .max = hi }
#define STRUCT(n, t, st, m, s, fl) { .name = n, .tag = t, \
	.type = PS_STRUCT, .flags = fl, .off = OFF(st, m), .sub = &s }
#define LIST(n, t, st, m, c, cnt, s, fl) { .name = n, .tag = t, \
	.type = PS_LIST, .flags = fl, .off = OFF(st, m), \
	.count_off = OFF(st, c), .max = cnt, .sub = &s }
/* a decoder tracks the rows it has seen in 64 bits */
#define TABLE(sym, nm, st, rows) \
	_Static_assert(nitems(rows) <= PODSCHEMA_MAX_FIELDS, #rows); \
	const struct podschema sym = { nm, sizeof(st), rows, nitems(rows) }

/* ---- the tables: rows in v1 JSON order, tags as first assigned ---- */

static const struct podfield port_fields[] = {
	STR("name", 1, struct container_port, name, POD_MAX_LABEL,
	    PSF_JSON_OMIT),
	U32("hostPort", 3, struct container_port, host_port, 0, 65535,
	    PSF_JSON_OMIT),
	U32("containerPort", 2, struct container_port, container_port, 1,
	    65535, PSF_REQUIRED),
	ENUM("protocol", 4, struct container_port, protocol, PROTO_SCTP,
	    pod_protocol_name),
	STR("hostIP", 5, struct container_port, host_ip, 63, PSF_JSON_OMIT),
};
TABLE(podschema_port, "port", struct container_port, port_fields);

/* limits before requests, as v1.ResourceRequirements */
static const struct podfield resources_fields[] = {
	OPT_I64("limits.cpu", 2, struct resources, cpu_limit_milli, PSJ_CPU),
	OPT_I64("limits.memory", 4, struct resources, mem_limit_bytes,
	    PSJ_MEM),
	OPT_I64("requests.cpu", 1, struct resources, cpu_request_milli,
	    PSJ_CPU),
	OPT_I64("requests.memory", 3, struct resources, mem_request_bytes,
	    PSJ_MEM),
};
TABLE(podschema_resources, "resources", struct resources, resources_fields);

static const struct podfield sc_fields[] = {
	STRLIST("capabilities.add", 7, struct security_context, cap_add,
	    POD_MAX_CAPS, POD_MAX_CAP_NAME),
	STRLIST("capabilities.drop", 8, struct security_context, cap_drop,
	    POD_MAX_CAPS, POD_MAX_CAP_NAME),
	TRI("privileged", 5, struct security_context, privileged),
	OPT_I64("runAsUser", 1, struct security_context, run_as_user,
	    PSJ_PLAIN),
	OPT_I64("runAsGroup", 2, struct security_context, run_as_group,
	    PSJ_PLAIN),
	TRI("runAsNonRoot", 3, struct security_context, run_as_non_root),
	TRI("readOnlyRootFilesystem", 4, struct security_context,
	    read_only_root_fs),
	TRI("allowPrivilegeEscalation", 6, struct security_context,
	    allow_privilege_escalation),
};
TABLE(podschema_security_context, "securityContext", struct security_context,
    sc_fields);

static const struct podfield container_fields[] = {
	STR("name", 1, struct container_spec, name, POD_MAX_CONTAINER_NAME,
	    PSF_REQUIRED | PSF_KEY),
	STR("image", 2, struct container_spec, image, POD_MAX_IMAGE,
	    PSF_REQUIRED),
	STRLIST("command", 4, struct container_spec, command, POD_MAX_ARGS,
	    POD_MAX_ARG),
	STRLIST("args", 5, struct container_spec, args, POD_MAX_ARGS,
	    POD_MAX_ARG),
	STR("workingDir", 7, struct container_spec, working_dir, POD_MAX_PATH,
	    PSF_JSON_OMIT),
	LIST("ports", 8, struct container_spec, ports, n_ports, POD_MAX_PORTS,
	    podschema_port, PSF_JSON_OMIT),
	KVLIST("env", 6, struct container_spec, env, n_env, POD_MAX_ENV,
	    POD_MAX_ENV_NAME, POD_MAX_ENV_VALUE, PSJ_NAMEVALUE),
	STRUCT("resources", 9, struct container_spec, res,
	    podschema_resources, 0),
	ENUM("imagePullPolicy", 3, struct container_spec, pull_policy,
	    PULL_NEVER, pod_pull_policy_name),
	STRUCT("securityContext", 10, struct container_spec, sc,
	    podschema_security_context, PSF_JSON_OMIT),
};
TABLE(podschema_container, "container", struct container_spec,
    container_fields);

static const struct podfield psc_fields[] = {
	OPT_I64("runAsUser", 1, struct pod_security_context, run_as_user,
	    PSJ_PLAIN),
	OPT_I64("runAsGroup", 2, struct pod_security_context, run_as_group,
	    PSJ_PLAIN),
	TRI("runAsNonRoot", 3, struct pod_security_context, run_as_non_root),
};
TABLE(podschema_pod_security_context, "securityContext",
    struct pod_security_context, psc_fields);

static const struct podfield pod_fields[] = {
	{ .name = "name", .tag = 2, .type = PS_STR, .flags = PSF_REQUIRED,
	  .where = PSW_META_ID, .off = OFF(struct pod, name),
	  .max = POD_MAX_NAME },
	{ .name = "namespace", .tag = 1, .type = PS_STR,
	  .flags = PSF_REQUIRED, .where = PSW_META_ID,
	  .off = OFF(struct pod, namespace), .max = POD_MAX_NAMESPACE },
	{ .name = "uid", .tag = 3, .type = PS_STR,
	  .flags = PSF_REQUIRED | PSF_JSON_OMIT, .where = PSW_META_ID,
	  .off = OFF(struct pod, uid), .max = POD_MAX_UID },
	{ .name = "labels", .tag = 4, .type = PS_KVLIST,
	  .flags = PSF_JSON_OMIT, .where = PSW_META, .fmt = PSJ_MAP,
	  .off = OFF(struct pod, labels), .count_off = OFF(struct pod,
	  n_labels), .max = POD_MAX_META, .key_max = POD_MAX_KEY,
	  .elem_max = POD_MAX_LABEL_VALUE },
	{ .name = "annotations", .tag = 5, .type = PS_KVLIST,
	  .flags = PSF_JSON_OMIT, .where = PSW_META, .fmt = PSJ_MAP,
	  .off = OFF(struct pod, annotations), .count_off = OFF(struct pod,
	  n_annotations), .max = POD_MAX_META, .key_max = POD_MAX_KEY,
	  .elem_max = POD_MAX_ANNOT_VALUE },
	{ .name = "source", .tag = 6, .type = PS_STR, .where = PSW_NONE,
	  .off = OFF(struct pod, source), .max = POD_MAX_SOURCE },
	LIST("containers", 15, struct pod, containers, n_containers,
	    POD_MAX_CONTAINERS, podschema_container, PSF_REQUIRED),
	ENUM("restartPolicy", 8, struct pod, restart_policy, RESTART_NEVER,
	    pod_restart_policy_name),
	{ .name = "terminationGracePeriodSeconds", .tag = 9, .type = PS_I64,
	  .off = OFF(struct pod, termination_grace_seconds), .min = 0,
	  .max = INT64_MAX, .def = 30 },
	STR("nodeName", 7, struct pod, node_name, POD_MAX_NAME,
	    PSF_JSON_OMIT),
	BOOL("hostNetwork", 10, struct pod, host_network),
	BOOL("hostPID", 11, struct pod, host_pid),
	BOOL("hostIPC", 12, struct pod, host_ipc),
	BOOL("shareProcessNamespace", 13, struct pod, share_pid),
	STRUCT("securityContext", 14, struct pod, psc,
	    podschema_pod_security_context, 0),
};
TABLE(podschema_pod, "pod", struct pod, pod_fields);

/* ---- the executor's report ---- */

/* any value: times, exit codes and signals are the runtime's */
#define ANY_I64(n, t, st, m) { .name = n, .tag = t, .type = PS_I64, \
	.off = OFF(st, m), .min = INT64_MIN, .max = INT64_MAX }
#define ANY_I32(n, t, st, m) { .name = n, .tag = t, .type = PS_I32, \
	.off = OFF(st, m), .min = INT32_MIN, .max = INT32_MAX }
#define POD_MAX_IMAGE_ID	(POD_MAX_IMAGE + POD_MAX_ID - 1)
#define POD_MAX_CONTAINER_ID	(POD_MAX_ID + 15)	/* "runc://<id>" */
#define POD_MAX_IP		63

static const struct podfield term_fields[] = {
	ANY_I32("exitCode", 1, struct container_term, exit_code),
	ANY_I32("signal", 2, struct container_term, signal),
	STR("reason", 3, struct container_term, reason, POD_MAX_REASON, 0),
	STR("message", 4, struct container_term, message, POD_MAX_REASON, 0),
	ANY_I64("startedAt", 5, struct container_term, started_at_ns),
	ANY_I64("finishedAt", 6, struct container_term, finished_at_ns),
	STR("containerID", 7, struct container_term, container_id,
	    POD_MAX_CONTAINER_ID, 0),
};
TABLE(podschema_container_term, "terminated", struct container_term,
    term_fields);

static const struct podfield creport_fields[] = {
	STR("name", 1, struct container_report, name, POD_MAX_CONTAINER_NAME,
	    PSF_REQUIRED),
	STR("image", 2, struct container_report, image, POD_MAX_IMAGE,
	    PSF_REQUIRED),
	STR("imageID", 3, struct container_report, image_id, POD_MAX_IMAGE_ID,
	    0),
	STR("containerID", 4, struct container_report, container_id,
	    POD_MAX_CONTAINER_ID, 0),
	ENUM("state", 5, struct container_report, state, CSTATE_TERMINATED,
	    NULL),
	STR("reason", 6, struct container_report, reason, POD_MAX_REASON, 0),
	STR("message", 7, struct container_report, message, POD_MAX_REASON,
	    0),
	ANY_I64("startedAt", 8, struct container_report, started_at_ns),
	ANY_I32("exitCode", 9, struct container_report, exit_code),
	ANY_I32("signal", 10, struct container_report, signal),
	ANY_I64("finishedAt", 11, struct container_report, finished_at_ns),
	U32("restartCount", 12, struct container_report, restart_count, 0,
	    UINT32_MAX, 0),
	BOOL("hasLastState", 13, struct container_report, has_last),
	STRUCT("lastState.terminated", 14, struct container_report, last_term,
	    podschema_container_term, 0),
	BOOL("ready", 15, struct container_report, ready),
};
TABLE(podschema_container_report, "containerStatus", struct container_report,
    creport_fields);

static const struct podfield report_fields[] = {
	BOOL("denied", 1, struct pod_report, denied),
	STR("reason", 2, struct pod_report, reason, POD_MAX_REASON, 0),
	STR("message", 3, struct pod_report, message, POD_MAX_REASON, 0),
	BOOL("sandboxReady", 4, struct pod_report, sandbox_ready),
	ANY_I64("startTime", 5, struct pod_report, start_time_ns),
	BOOL("terminating", 6, struct pod_report, terminating),
	ANY_I64("deletionTimestamp", 7, struct pod_report, deletion_ns),
	STR("podIP", 8, struct pod_report, pod_ip, POD_MAX_IP, 0),
	STR("hostIP", 9, struct pod_report, host_ip, POD_MAX_IP, 0),
	LIST("containerStatuses", 10, struct pod_report, containers,
	    n_containers, POD_MAX_CONTAINERS, podschema_container_report, 0),
};
TABLE(podschema_report, "podStatus", struct pod_report, report_fields);

const struct podschema *const podschema_all[] = {
	&podschema_pod, &podschema_container, &podschema_port,
	&podschema_resources, &podschema_security_context,
	&podschema_pod_security_context, &podschema_report,
	&podschema_container_report, &podschema_container_term,
};
const size_t podschema_nall = nitems(podschema_all);

#ifdef AGENTD_TEST_HOOKS
static int	test_extra;

void
podschema_test_extra(int on)
{
	test_extra = on != 0;
}
#define TEST_EXTRA	test_extra
#define TEST_EXTRA_STR	"a field this agentd does not know"
#else
#define TEST_EXTRA	0
#define TEST_EXTRA_STR	""
#endif

/* ---- members ---- */

uint32_t
podschema_count(const struct podfield *f, const void *obj)
{
	switch (f->type) {
	case PS_STRLIST:
		return PODSCHEMA_CMEMBER(struct strlist, obj, f)->n;
	case PS_KVLIST:
	case PS_LIST:
		return *(const uint32_t *)(const void *)
		    ((const char *)obj + f->count_off);
	}
	return 0;
}

static uint32_t *
count_ref(const struct podfield *f, void *obj)
{
	return (uint32_t *)(void *)((char *)obj + f->count_off);
}

/* an integer row's value, widened */
int64_t
podschema_int(const struct podfield *f, const void *obj)
{
	switch (f->type) {
	case PS_BOOL:
	case PS_ENUM:
		return *PODSCHEMA_CMEMBER(uint8_t, obj, f);
	case PS_TRI:
		return *PODSCHEMA_CMEMBER(int8_t, obj, f);
	case PS_U32:
		return *PODSCHEMA_CMEMBER(uint32_t, obj, f);
	case PS_I32:
		return *PODSCHEMA_CMEMBER(int32_t, obj, f);
	case PS_I64:
		return *PODSCHEMA_CMEMBER(int64_t, obj, f);
	}
	return 0;
}

/* v is in the row's range: the narrowing below is exact */
void
podschema_set_int(const struct podfield *f, void *obj, int64_t v)
{
	switch (f->type) {
	case PS_BOOL:
	case PS_ENUM:
		*PODSCHEMA_MEMBER(uint8_t, obj, f) = (uint8_t)v;
		break;
	case PS_TRI:
		*PODSCHEMA_MEMBER(int8_t, obj, f) = (int8_t)v;
		break;
	case PS_U32:
		*PODSCHEMA_MEMBER(uint32_t, obj, f) = (uint32_t)v;
		break;
	case PS_I32:
		*PODSCHEMA_MEMBER(int32_t, obj, f) = (int32_t)v;
		break;
	case PS_I64:
		*PODSCHEMA_MEMBER(int64_t, obj, f) = v;
		break;
	}
}

static int
is_int(const struct podfield *f)
{
	return f->type == PS_BOOL || f->type == PS_ENUM ||
	    f->type == PS_TRI || f->type == PS_U32 || f->type == PS_I32 ||
	    f->type == PS_I64;
}

static int
struct_is_default(const struct podschema *s, const void *obj)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (!podschema_is_default(&s->fields[i], obj))
			return 0;
	return 1;
}

int
podschema_is_default(const struct podfield *f, const void *obj)
{
	const char *str;

	if (is_int(f))
		return podschema_int(f, obj) == f->def;
	switch (f->type) {
	case PS_STR:
		str = *PODSCHEMA_CMEMBER(char *, obj, f);
		return str == NULL || *str == '\0';
	case PS_STRUCT:
		return struct_is_default(f->sub, (const char *)obj + f->off);
	}
	return podschema_count(f, obj) == 0;
}

/* ---- defaults and freeing ---- */

void
podschema_init(const struct podschema *s, void *obj)
{
	const struct podfield *f;
	size_t i;

	memset(obj, 0, s->size);
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (is_int(f))
			podschema_set_int(f, obj, f->def);
		else if (f->type == PS_STRUCT)
			podschema_init(f->sub, (char *)obj + f->off);
	}
}

static void
kvlist_free(const struct podfield *f, void *obj)
{
	struct kv *kv = *PODSCHEMA_MEMBER(struct kv *, obj, f);
	uint32_t i, n = *count_ref(f, obj);

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
list_free(const struct podfield *f, void *obj)
{
	char *a = *PODSCHEMA_MEMBER(char *, obj, f);
	uint32_t i, n = *count_ref(f, obj);

	for (i = 0; i < n; i++)
		podschema_free(f->sub, a + (size_t)i * f->sub->size);
	free(a);
}

static void
fields_free(const struct podschema *s, void *obj)
{
	const struct podfield *f;
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		switch (f->type) {
		case PS_STR:
			free(*PODSCHEMA_MEMBER(char *, obj, f));
			break;
		case PS_STRLIST:
			strlist_free(PODSCHEMA_MEMBER(struct strlist, obj, f));
			break;
		case PS_KVLIST:
			kvlist_free(f, obj);
			break;
		case PS_STRUCT:
			fields_free(f->sub, (char *)obj + f->off);
			break;
		case PS_LIST:
			list_free(f, obj);
			break;
		}
	}
}

void
podschema_free(const struct podschema *s, void *obj)
{
	fields_free(s, obj);
	podschema_init(s, obj);
}

/* ---- encoding ---- */

/* a u32 length now, patched by len_end once the bytes are written */
static size_t
len_begin(struct ipc_msg *m)
{
	ipc_put_u32(m, 0);
	return m->len;
}

static void
len_end(struct ipc_msg *m, size_t start)
{
	uint32_t n;

	if (m->err)
		return;
	/* the message is at most IPC_MAX_PAYLOAD: this fits */
	n = (uint32_t)(m->len - start);
	memcpy(m->data + start - sizeof(n), &n, sizeof(n));
}

static void	put_struct(struct ipc_msg *, const struct podschema *,
		    const void *);

static void
put_int(struct ipc_msg *m, const struct podfield *f, int64_t v)
{
	switch (f->type) {
	case PS_U32:
	case PS_I32:
		ipc_put_u32(m, (uint32_t)v);
		break;
	case PS_I64:
		ipc_put_i64(m, v);
		break;
	default:
		ipc_put_u8(m, (uint8_t)v);
		break;
	}
}

static void
put_value(struct ipc_msg *m, const struct podfield *f, const void *obj)
{
	const struct strlist *l;
	const struct kv *kv;
	const char *a;
	uint32_t i, n;

	if (is_int(f)) {
		put_int(m, f, podschema_int(f, obj));
		return;
	}
	n = podschema_count(f, obj);
	switch (f->type) {
	case PS_STR:
		ipc_put_str(m, *PODSCHEMA_CMEMBER(char *, obj, f));
		break;
	case PS_STRLIST:
		l = PODSCHEMA_CMEMBER(struct strlist, obj, f);
		ipc_put_u32(m, n);
		for (i = 0; i < n; i++)
			ipc_put_str(m, l->v[i]);
		break;
	case PS_KVLIST:
		kv = *PODSCHEMA_CMEMBER(struct kv *, obj, f);
		ipc_put_u32(m, n);
		for (i = 0; i < n; i++) {
			ipc_put_str(m, kv[i].key);
			ipc_put_str(m, kv[i].value);
		}
		break;
	case PS_STRUCT:
		put_struct(m, f->sub, (const char *)obj + f->off);
		break;
	case PS_LIST:
		a = *PODSCHEMA_CMEMBER(char *, obj, f);
		ipc_put_u32(m, n);
		for (i = 0; i < n; i++)
			put_struct(m, f->sub, a + (size_t)i * f->sub->size);
		break;
	}
}

static void
put_struct(struct ipc_msg *m, const struct podschema *s, const void *obj)
{
	const struct podfield *f;
	size_t i, body, val;

	body = len_begin(m);
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (!(f->flags & PSF_REQUIRED) && podschema_is_default(f, obj))
			continue;
		ipc_put_u32(m, f->tag);
		val = len_begin(m);
		put_value(m, f, obj);
		len_end(m, val);
	}
	if (TEST_EXTRA) {
		ipc_put_u32(m, PODSCHEMA_TAG_TEST);
		val = len_begin(m);
		ipc_put_str(m, TEST_EXTRA_STR);
		len_end(m, val);
	}
	len_end(m, body);
}

int
podschema_put(struct ipc_msg *m, const struct podschema *s, const void *obj)
{
	put_struct(m, s, obj);
	return m->err ? -1 : 0;
}

/* ---- decoding ---- */

/* the next length-prefixed bytes of m as a message of their own */
static int
get_view(struct ipc_msg *m, struct ipc_msg *v)
{
	const uint8_t *p;
	size_t n;

	if (ipc_get_bytes_ref(m, &p, m->len - m->off, &n) == -1)
		return -1;
	ipc_msg_init(v, 0, 0);
	v->data = (uint8_t *)(uintptr_t)p;	/* borrowed: cap stays 0 */
	v->len = n;
	return 0;
}

static int
get_int(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	uint32_t u32;
	uint8_t u8;
	int64_t v;

	if (f->type == PS_I64) {
		if (ipc_get_i64(m, &v) == -1)
			return -1;
	} else if (f->type == PS_U32 || f->type == PS_I32) {
		if (ipc_get_u32(m, &u32) == -1)
			return -1;
		v = f->type == PS_I32 ? (int64_t)(int32_t)u32 : (int64_t)u32;
	} else {
		if (ipc_get_u8(m, &u8) == -1)
			return -1;
		v = f->type == PS_TRI ? (int8_t)u8 : u8;
	}
	if ((v < f->min || v > f->max) &&
	    !((f->flags & PSF_UNSET) && v == -1))
		return -1;
	podschema_set_int(f, obj, v);
	return 0;
}

static int
get_str(struct ipc_msg *m, const struct podfield *f, char **out)
{
	if ((*out = ipc_get_strdup(m, (size_t)f->max + 1)) == NULL)
		return -1;
	if (**out != '\0')
		return 0;
	free(*out);
	*out = NULL;
	return (f->flags & PSF_REQUIRED) ? -1 : 0;
}

static int
get_strlist(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	struct strlist *l = PODSCHEMA_MEMBER(struct strlist, obj, f);
	uint32_t n, i;

	if (ipc_get_count(m, &n, (uint32_t)f->max) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((l->v[i] = ipc_get_strdup(m, f->elem_max + 1)) == NULL)
			return -1;
		l->n++;
	}
	return 0;
}

static int
get_kvlist(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	struct kv *kv;
	uint32_t n, i, *np = count_ref(f, obj);

	if (ipc_get_count(m, &n, (uint32_t)f->max) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((kv = calloc(n, sizeof(*kv))) == NULL)
		return -1;
	*PODSCHEMA_MEMBER(struct kv *, obj, f) = kv;
	for (i = 0; i < n; i++) {
		*np = i + 1;
		if ((kv[i].key = ipc_get_strdup(m, f->key_max + 1)) == NULL ||
		    kv[i].key[0] == '\0' ||
		    (kv[i].value = ipc_get_strdup(m, f->elem_max + 1)) == NULL)
			return -1;
	}
	return 0;
}

static int	get_struct(struct ipc_msg *, const struct podschema *, void *);

/* the list's key field (PSF_KEY) is unique: element i against the others */
static int
key_unique(const struct podschema *s, const char *a, uint32_t i)
{
	const struct podfield *f;
	const char *ki, *kj;
	size_t k;
	uint32_t j;

	for (k = 0; k < s->nfields; k++) {
		f = &s->fields[k];
		if (!(f->flags & PSF_KEY))
			continue;
		ki = *PODSCHEMA_CMEMBER(char *, a + (size_t)i * s->size, f);
		for (j = 0; j < i; j++) {
			kj = *PODSCHEMA_CMEMBER(char *, a + (size_t)j * s->size,
			    f);
			if (ki != NULL && kj != NULL && strcmp(ki, kj) == 0)
				return 0;
		}
	}
	return 1;
}

static int
get_list(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	const struct podschema *s = f->sub;
	uint32_t n, i, *np = count_ref(f, obj);
	char *a;

	if (ipc_get_count(m, &n, (uint32_t)f->max) == -1)
		return -1;
	if (n == 0)
		return (f->flags & PSF_REQUIRED) ? -1 : 0;
	if ((a = calloc(n, s->size)) == NULL)
		return -1;
	*PODSCHEMA_MEMBER(char *, obj, f) = a;
	for (i = 0; i < n; i++) {
		podschema_init(s, a + (size_t)i * s->size);
		*np = i + 1;
		if (get_struct(m, s, a + (size_t)i * s->size) == -1 ||
		    !key_unique(s, a, i))
			return -1;
	}
	return 0;
}

static int
get_value(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	if (is_int(f))
		return get_int(m, f, obj);
	switch (f->type) {
	case PS_STR:
		return get_str(m, f, PODSCHEMA_MEMBER(char *, obj, f));
	case PS_STRLIST:
		return get_strlist(m, f, obj);
	case PS_KVLIST:
		return get_kvlist(m, f, obj);
	case PS_STRUCT:
		return get_struct(m, f->sub, (char *)obj + f->off);
	case PS_LIST:
		return get_list(m, f, obj);
	}
	return -1;
}

static const struct podfield *
field_by_tag(const struct podschema *s, uint32_t tag, size_t *idx)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].tag == tag) {
			*idx = i;
			return &s->fields[i];
		}
	return NULL;
}

/* one field: a known tag's value must be consumed exactly */
static int
get_field(struct ipc_msg *body, const struct podschema *s, void *obj,
    uint64_t *seen)
{
	const struct podfield *f;
	struct ipc_msg v;
	uint32_t tag;
	size_t i;

	if (ipc_get_u32(body, &tag) == -1 || get_view(body, &v) == -1)
		return -1;
	if ((f = field_by_tag(s, tag, &i)) == NULL)
		return 0;		/* a later agentd's field: skipped */
	if (*seen & (1ULL << i))
		return -1;
	*seen |= 1ULL << i;
	if (get_value(&v, f, obj) == -1 || ipc_get_end(&v) == -1)
		return -1;
	return 0;
}

static int
get_struct(struct ipc_msg *m, const struct podschema *s, void *obj)
{
	struct ipc_msg body;
	uint64_t seen = 0;
	size_t i;

	if (get_view(m, &body) == -1)
		return -1;
	while (body.off < body.len)
		if (get_field(&body, s, obj, &seen) == -1)
			return -1;
	for (i = 0; i < s->nfields; i++)
		if ((s->fields[i].flags & PSF_REQUIRED) &&
		    !(seen & (1ULL << i)))
			return -1;
	return 0;
}

int
podschema_get(struct ipc_msg *m, const struct podschema *s, void *obj)
{
	return get_struct(m, s, obj);
}

/* ---- the tables themselves ---- */

static int
bad(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

static int
check_field(const struct podschema *s, size_t i, const char **why)
{
	const struct podfield *f = &s->fields[i];
	size_t j;

	if (f->tag == 0 || f->tag == PODSCHEMA_TAG_TEST)
		return bad(why, "a reserved tag");
	for (j = 0; j < i; j++) {
		if (s->fields[j].tag == f->tag)
			return bad(why, "a tag used twice");
		if (strcmp(s->fields[j].name, f->name) == 0)
			return bad(why, "a name used twice");
	}
	if ((f->type == PS_STRUCT || f->type == PS_LIST) && f->sub == NULL)
		return bad(why, "a nested field without its table");
	if (is_int(f) && (f->def < f->min || f->def > f->max) &&
	    !((f->flags & PSF_UNSET) && f->def == -1) &&
	    !(f->flags & PSF_REQUIRED))
		return bad(why, "a default outside the range");
	if (f->type == PS_STR && (f->max <= 0 || f->max >= IPC_MAX_STR))
		return bad(why, "a string bound outside IPC_MAX_STR");
	return 0;
}

int
podschema_check(const struct podschema *s, const char **why)
{
	size_t i;

	if (s->nfields > PODSCHEMA_MAX_FIELDS)
		return bad(why, "more fields than a decoder tracks");
	for (i = 0; i < s->nfields; i++)
		if (check_field(s, i, why) == -1)
			return -1;
	return 0;
}
