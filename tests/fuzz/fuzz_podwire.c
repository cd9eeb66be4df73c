/*
 * fuzz_podwire: arbitrary payload bytes decoded as a pod (MSG_POD_SPEC,
 * MSG_POD_DESIRED), as a pod followed by a report, and as a report alone
 * (what MSG_POD_STATUS carries after the pod's uid).
 *
 * Whatever the decoder accepts must round-trip.  Pods and reports are
 * tagged fields, which a decoder takes in any order, skipping unknown
 * tags, with fields at their defaults present or not: encoding the
 * decoded value gives the canonical form, no longer than the input, and
 * decoding that and encoding again gives identical bytes.
 * Leaks and memory errors on the reject paths are caught by ASan.
 *
 * Build: clang -g -O1 -std=gnu11 -Iinclude -D_GNU_SOURCE -DAGENTD_FUZZ \
 *   -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_podwire.c \
 *   ipc/ipc.c ipc/podwire.c ipc/pod.c ipc/podschema.c ipc/msgcat.c \
 *   ipc/msgschema.c ipc/proctab.c common/log.c -levent \
 *   -o /tmp/fuzz_podwire
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "pod.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
same_bytes(const char *kind, const char *what, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
		return;
	fprintf(stderr, "%s %s: %zu bytes vs %zu bytes differ\n", kind, what,
	    alen, blen);
	abort();
}

/* the two top-level values the pod wire encoding carries */
enum wire_kind { WIRE_POD, WIRE_REPORT };

union wire_value {
	struct pod		pod;
	struct pod_report	report;
};

static int
wire_put(enum wire_kind k, struct ipc_msg *m, const union wire_value *v)
{
	if (k == WIRE_POD)
		return podwire_put_pod(m, &v->pod);
	return podwire_put_report(m, &v->report);
}

static int
wire_get(enum wire_kind k, struct ipc_msg *m, union wire_value *v)
{
	if (k == WIRE_POD)
		return podwire_get_pod(m, &v->pod);
	return podwire_get_report(m, &v->report);
}

static void
wire_free(enum wire_kind k, union wire_value *v)
{
	if (k == WIRE_POD)
		pod_free(&v->pod);
	else
		pod_report_free(&v->report);
}

/* v was decoded from len bytes: re-encode, decode, re-encode */
static void
round_trip(enum wire_kind k, const union wire_value *v, size_t len)
{
	static const char *const what[] = {
		[WIRE_POD] = "pod", [WIRE_REPORT] = "report" };
	struct ipc_msg m1, m2;
	union wire_value q;

	ipc_msg_init(&m1, 0, 0);
	ipc_msg_init(&m2, 0, 0);
	if (wire_put(k, &m1, v) == -1)
		abort();
	if (m1.len > len) {
		fprintf(stderr, "%s: canonical form %zu bytes, input %zu\n",
		    what[k], m1.len, len);
		abort();
	}
	if (wire_get(k, &m1, &q) == -1 || ipc_get_end(&m1) == -1)
		abort();
	if (wire_put(k, &m2, &q) == -1)
		abort();
	same_bytes(what[k], "re-encoding", m1.data, m1.len, m2.data, m2.len);
	wire_free(k, &q);
	ipc_msg_free(&m1);
	ipc_msg_free(&m2);
}

/*
 * The executor's identity check runs on every decoded pod: a pod it
 * accepts has names that are safe for paths and log lines.
 */
static void
identity_oracle(const struct pod *p)
{
	char field[POD_IDENTITY_FIELD], why[POD_IDENTITY_WHY];
	const unsigned char *c;

	if (pod_identity_check(p, field, why) == -1)
		return;
	for (c = (const unsigned char *)p->name; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e || *c == '/' || *c == '_')
			abort();
	if (strlen(p->namespace) + strlen(p->name) + strlen(p->uid) + 2 >
	    POD_MAX_LOGDIR_NAME)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	union wire_value p, r;
	size_t start;

	ipc_msg_init(&m, 0, 0);
	m.data = (uint8_t *)data;	/* borrowed: cap stays 0 */
	m.len = size;

	/* a pod, then a report after it */
	if (podwire_get_pod(&m, &p.pod) == 0) {
		if (p.pod.n_containers == 0 ||
		    p.pod.n_containers > POD_MAX_CONTAINERS)
			abort();
		round_trip(WIRE_POD, &p, m.off);
		identity_oracle(&p.pod);
		start = m.off;
		if (podwire_get_report(&m, &r.report) == 0) {
			round_trip(WIRE_REPORT, &r, m.off - start);
			pod_report_free(&r.report);
		}
		pod_free(&p.pod);
	} else if (p.pod.namespace != NULL || p.pod.containers != NULL)
		abort();	/* a refused decode leaves nothing behind */

	/* a report alone */
	m.off = 0;
	if (podwire_get_report(&m, &r.report) == 0) {
		if (r.report.n_containers > POD_MAX_CONTAINERS)
			abort();
		round_trip(WIRE_REPORT, &r, m.off);
		pod_report_free(&r.report);
	} else if (r.report.containers != NULL || r.report.reason != NULL)
		abort();
	return 0;
}
