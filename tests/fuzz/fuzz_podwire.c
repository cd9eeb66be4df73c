/*
 * fuzz_podwire: arbitrary payload bytes decoded as a pod, as a pod
 * followed by a report (MSG_POD_STATUS), and as a report alone.
 *
 * Whatever the decoder accepts must round-trip: encoding the decoded
 * value gives back exactly the bytes the decoder consumed, and decoding
 * that encoding and encoding again gives identical bytes.  Leaks and
 * memory errors on the reject paths are caught by ASan.
 *
 * Build: clang -g -O1 -std=gnu11 -Iinclude -D_GNU_SOURCE -DAGENTD_FUZZ \
 *   -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_podwire.c \
 *   ipc/ipc.c ipc/podwire.c ipc/pod.c ipc/msgcat.c ipc/log.c -levent \
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
same_bytes(const char *what, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
		return;
	fprintf(stderr, "%s: %zu bytes vs %zu bytes differ\n", what, alen,
	    blen);
	abort();
}

/* p was decoded from in[0..len): re-encode, decode, re-encode */
static void
pod_round_trip(const struct pod *p, const uint8_t *in, size_t len)
{
	struct ipc_msg m1, m2;
	struct pod q;

	ipc_msg_init(&m1, 0, 0);
	ipc_msg_init(&m2, 0, 0);
	if (podwire_put_pod(&m1, p) == -1)
		abort();
	same_bytes("pod encode(decode(x)) != x", m1.data, m1.len, in, len);
	if (podwire_get_pod(&m1, &q) == -1 || ipc_get_end(&m1) == -1)
		abort();
	if (podwire_put_pod(&m2, &q) == -1)
		abort();
	same_bytes("pod re-encoding", m1.data, m1.len, m2.data, m2.len);
	pod_free(&q);
	ipc_msg_free(&m1);
	ipc_msg_free(&m2);
}

static void
report_round_trip(const struct pod_report *r, const uint8_t *in, size_t len)
{
	struct ipc_msg m1, m2;
	struct pod_report q;

	ipc_msg_init(&m1, 0, 0);
	ipc_msg_init(&m2, 0, 0);
	if (podwire_put_report(&m1, r) == -1)
		abort();
	same_bytes("report encode(decode(x)) != x", m1.data, m1.len, in, len);
	if (podwire_get_report(&m1, &q) == -1 || ipc_get_end(&m1) == -1)
		abort();
	if (podwire_put_report(&m2, &q) == -1)
		abort();
	same_bytes("report re-encoding", m1.data, m1.len, m2.data, m2.len);
	pod_report_free(&q);
	ipc_msg_free(&m1);
	ipc_msg_free(&m2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	struct pod p;
	struct pod_report r;
	size_t start;

	ipc_msg_init(&m, 0, 0);
	m.data = (uint8_t *)data;	/* borrowed: cap stays 0 */
	m.len = size;

	/* a pod, then a report after it as in MSG_POD_STATUS */
	if (podwire_get_pod(&m, &p) == 0) {
		if (p.n_containers == 0 || p.n_containers > POD_MAX_CONTAINERS)
			abort();
		pod_round_trip(&p, data, m.off);
		start = m.off;
		if (podwire_get_report(&m, &r) == 0) {
			report_round_trip(&r, data + start, m.off - start);
			pod_report_free(&r);
		}
		pod_free(&p);
	} else if (p.namespace != NULL || p.containers != NULL)
		abort();	/* a refused decode leaves nothing behind */

	/* a report alone */
	m.off = 0;
	if (podwire_get_report(&m, &r) == 0) {
		if (r.n_containers > POD_MAX_CONTAINERS)
			abort();
		report_round_trip(&r, data, m.off);
		pod_report_free(&r);
	} else if (r.containers != NULL || r.reason != NULL)
		abort();
	return 0;
}
