/*
 * podwire: the binary encoding of the pod model and of the executor's
 * observed state.
 *
 * A pod is u32 PODWIRE_VERSION, then the pod as a tagged struct of the
 * field tables (podschema.c): {u32 length, fields}, each field {u32 tag,
 * u32 length, value}.  A decoder skips a field whose tag it does not
 * know and leaves a field that is not there at its default, so a field
 * added to the model needs no version change: an older peer ignores it
 * and a newer one reads the older peer's pods with the default.  The
 * version changes only when the framing itself does; a decoder refuses
 * any other.
 *
 * A report (executor -> reporter) is still positional: its fields in a
 * fixed order, each bounded by the limits in pod.h.
 *
 * Every string and list is bounded by the limits in pod.h, which the
 * decoder enforces again because its input comes from a less trusted
 * process.  A decoder failure leaves the output freed and returns -1:
 * the caller ends the peer.
 */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "pod.h"
#include "podschema.h"

#define PODWIRE_VERSION		3	/* 2: share_pid, 3: tagged fields */

#ifdef AGENTD_TEST_HOOKS
/*
 * The upgrade tests' hook (podwire_test_layout, from the test-only config
 * keys testPodwireVersionBump and testPodwireExtraField): the version word
 * PODWIRE_VERSION + 1 and/or one more field in the pod and in each of its
 * structs, with a tag no table has, as a later agentd would send.  Every
 * worker applies the same configuration, so encoder and decoder agree on
 * the version; the unknown fields every decoder skips.  A release build
 * has neither.
 */
static uint32_t		wire_version = PODWIRE_VERSION;
#define WIRE_VERSION	wire_version

void
podwire_test_layout(int bump, int extra)
{
	wire_version = PODWIRE_VERSION + (bump ? 1 : 0);
	podschema_test_extra(extra);
}
#else
#define WIRE_VERSION	PODWIRE_VERSION
#endif

/* ---- encoding ---- */

int
podwire_put_pod(struct ipc_msg *m, const struct pod *p)
{
	ipc_put_u32(m, WIRE_VERSION);
	return podschema_put(m, &podschema_pod, p);
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

int
podwire_get_pod(struct ipc_msg *m, struct pod *p)
{
	uint32_t version;

	pod_init(p);
	if (ipc_get_u32(m, &version) == -1 || version != WIRE_VERSION ||
	    podschema_get(m, &podschema_pod, p) == -1) {
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
