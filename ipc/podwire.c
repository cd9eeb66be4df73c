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
 * A report (executor -> reporter) is the report's tagged struct alone,
 * with no version word (it never had one); unknown tags and missing
 * fields are handled the same way.
 *
 * Every string and list is bounded by the limits in pod.h, which the
 * decoder enforces again because its input comes from a less trusted
 * process.  A decoder failure leaves the output freed and returns -1:
 * the caller ends the peer.
 */
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

int
podwire_put_report(struct ipc_msg *m, const struct pod_report *r)
{
	return podschema_put(m, &podschema_report, r);
}

/* ---- decoding ---- */

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

int
podwire_get_report(struct ipc_msg *m, struct pod_report *r)
{
	pod_report_init(r);
	if (podschema_get(m, &podschema_report, r) == -1) {
		pod_report_free(r);
		return -1;
	}
	return 0;
}
