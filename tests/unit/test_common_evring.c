/*
 * The event ring (aggregation as the API server's correlator does it,
 * bounded at EVRING_MAX), its wire form, and the log rate limiter
 * (LOGRL_INTERVAL_S, LOGRL_MAX_KEYS), each at its limit and one beyond.
 */
#include <stdint.h>

#include "tap.h"
#include "evring.h"
#include "ipc.h"
#include "msgcat.h"

#define SEC	1000000000LL
#define T0	(1700000000LL * SEC)

static struct evring ring;	/* ~1 MiB: not on the stack */
static struct logrl rl;

static struct pod_event *
rec(const char *name, const char *reason, const char *msg, int64_t t)
{
	return evring_record(&ring, "Pod", "default", name, "uid-1",
	    EVENT_WARNING, reason, msg, t);
}

TEST(test_same_event_counts_up)
{
	struct pod_event *e;

	memset(&ring, 0, sizeof(ring));
	rec("web", "BackOff", "Back-off restarting failed container", T0);
	e = rec("web", "BackOff", "Back-off restarting failed container",
	    T0 + 10 * SEC);
	CHECK_EQ_INT(ring.n, 1);
	CHECK_EQ_INT(e->count, 2);
	CHECK_EQ_INT(e->first_ns, T0);
	CHECK_EQ_INT(e->last_ns, T0 + 10 * SEC);
}

TEST(test_other_message_type_or_object_is_another_event)
{
	memset(&ring, 0, sizeof(ring));
	rec("web", "Failed", "Error: a", T0);
	rec("web", "Failed", "Error: b", T0);
	rec("db", "Failed", "Error: a", T0);
	evring_record(&ring, "Pod", "default", "web", "uid-1", EVENT_NORMAL,
	    "Failed", "Error: a", T0);
	evring_record(&ring, "Pod", "default", "web", "uid-2", EVENT_WARNING,
	    "Failed", "Error: a", T0);
	CHECK_EQ_INT(ring.n, 5);
}

static void
fill_distinct(size_t n)
{
	char name[32];
	size_t i;

	memset(&ring, 0, sizeof(ring));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "pod-%zu", i);
		rec(name, "Started", "Started container c", T0 +
		    (int64_t)i * SEC);
	}
}

static int
has(const char *name)
{
	size_t i;

	for (i = 0; i < ring.n; i++)
		if (strcmp(ring.ev[i].name, name) == 0)
			return 1;
	return 0;
}

TEST(test_ring_keeps_evring_max_events)
{
	fill_distinct(EVRING_MAX);
	CHECK_EQ_INT(ring.n, EVRING_MAX);
	CHECK(has("pod-0"));
	CHECK(has("pod-511"));
}

TEST(test_ring_beyond_max_drops_the_oldest)
{
	char last[32];

	fill_distinct(EVRING_MAX + 1);
	snprintf(last, sizeof(last), "pod-%d", EVRING_MAX);
	CHECK_EQ_INT(ring.n, EVRING_MAX);
	CHECK(!has("pod-0"));
	CHECK(has("pod-1"));
	CHECK(has(last));
}

TEST(test_ring_full_keeps_a_recently_updated_event)
{
	struct pod_event *e;

	fill_distinct(EVRING_MAX);
	/* pod-0 happens again: now pod-1 is the one seen longest ago */
	e = rec("pod-0", "Started", "Started container c", T0 + 1000 * SEC);
	CHECK_EQ_INT(e->count, 2);
	rec("new", "Started", "Started container c", T0 + 1001 * SEC);
	CHECK(has("pod-0"));
	CHECK(!has("pod-1"));
	CHECK(has("new"));
}

TEST(test_long_message_is_truncated_to_its_bound)
{
	char big[EVENT_MAX_MESSAGE * 2];
	struct pod_event *e;

	memset(&ring, 0, sizeof(ring));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e = rec("web", "Failed", big, T0);
	CHECK_EQ_INT(strlen(e->message), EVENT_MAX_MESSAGE - 1);
	e = rec("web", "Failed", big, T0 + SEC);
	CHECK_EQ_INT(e->count, 2);	/* the truncated key still matches */
}

TEST(test_merge_replaces_and_says_whether_it_changed)
{
	struct pod_event in;

	memset(&ring, 0, sizeof(ring));
	in = *rec("web", "BackOff", "m", T0);
	memset(&ring, 0, sizeof(ring));
	CHECK_EQ_INT(evring_merge(&ring, &in, T0), 1);
	CHECK_EQ_INT(evring_merge(&ring, &in, T0 + SEC), 0);
	CHECK_EQ_INT(ring.ev[0].seen_ns, T0);
	in.count = 7;
	in.last_ns = T0 + 5 * SEC;
	CHECK_EQ_INT(evring_merge(&ring, &in, T0 + 6 * SEC), 1);
	CHECK_EQ_INT(ring.n, 1);
	CHECK_EQ_INT(ring.ev[0].count, 7);
	CHECK_EQ_INT(ring.ev[0].seen_ns, T0 + 6 * SEC);
}

TEST(test_wire_round_trip_and_refusals)
{
	struct pod_event in, out;
	struct ipc_msg m;

	memset(&ring, 0, sizeof(ring));
	in = *rec("web", "BackOff", "m", T0);
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	evring_put(&m, &in);
	REQUIRE(evring_get(&m, &out) == 0);
	CHECK_STR(out.name, "web");
	CHECK_STR(out.reason, "BackOff");
	CHECK_EQ_INT(out.type, EVENT_WARNING);
	CHECK_EQ_INT(out.count, 1);
	CHECK_EQ_INT(out.first_ns, T0);
	ipc_msg_free(&m);

	in.count = 0;		/* an event that never happened */
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	evring_put(&m, &in);
	CHECK(evring_get(&m, &out) == -1);
	ipc_msg_free(&m);

	in.count = 1;
	in.last_ns = in.first_ns - 1;	/* last seen before first seen */
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	evring_put(&m, &in);
	CHECK(evring_get(&m, &out) == -1);
	ipc_msg_free(&m);

	in.last_ns = in.first_ns;
	in.type = 2;		/* neither Normal nor Warning */
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	evring_put(&m, &in);
	CHECK(evring_get(&m, &out) == -1);
	ipc_msg_free(&m);
}

TEST(test_wire_refuses_an_oversized_message)
{
	char big[EVENT_MAX_MESSAGE + 1];
	struct pod_event out;
	struct ipc_msg m;

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* EVENT_MAX_MESSAGE - 1 bytes fit, EVENT_MAX_MESSAGE do not */
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	ipc_put_str(&m, "Pod");
	ipc_put_str(&m, "default");
	ipc_put_str(&m, "web");
	ipc_put_str(&m, "u");
	ipc_put_u32(&m, EVENT_WARNING);
	ipc_put_str(&m, "Failed");
	ipc_put_str(&m, big + 1);
	ipc_put_u32(&m, 1);
	ipc_put_i64(&m, T0);
	ipc_put_i64(&m, T0);
	CHECK(evring_get(&m, &out) == 0);
	ipc_msg_free(&m);
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	ipc_put_str(&m, "Pod");
	ipc_put_str(&m, "default");
	ipc_put_str(&m, "web");
	ipc_put_str(&m, "u");
	ipc_put_u32(&m, EVENT_WARNING);
	ipc_put_str(&m, "Failed");
	ipc_put_str(&m, big);
	ipc_put_u32(&m, 1);
	ipc_put_i64(&m, T0);
	ipc_put_i64(&m, T0);
	CHECK(evring_get(&m, &out) == -1);
	ipc_msg_free(&m);
}

TEST(test_logrl_first_at_once_then_once_per_interval)
{
	uint32_t rep = 99;
	int i;

	memset(&rl, 0, sizeof(rl));
	CHECK_EQ_INT(logrl_check(&rl, "default/web:Failed", T0, &rep), 1);
	CHECK_EQ_INT(rep, 0);
	for (i = 1; i <= 5; i++)
		CHECK_EQ_INT(logrl_check(&rl, "default/web:Failed",
		    T0 + i * SEC, &rep), 0);
	/* one nanosecond short of the interval: still quiet */
	CHECK_EQ_INT(logrl_check(&rl, "default/web:Failed",
	    T0 + LOGRL_INTERVAL_S * SEC - 1, &rep), 0);
	CHECK_EQ_INT(logrl_check(&rl, "default/web:Failed",
	    T0 + LOGRL_INTERVAL_S * SEC, &rep), 1);
	CHECK_EQ_INT(rep, 6);
	/* another pod or reason is not held back */
	CHECK_EQ_INT(logrl_check(&rl, "default/db:Failed", T0 + SEC, &rep), 1);
	CHECK_EQ_INT(logrl_check(&rl, "default/web:BackOff", T0 + SEC, &rep),
	    1);
}

static void
fill_keys(size_t n)
{
	char key[32];
	uint32_t rep;
	size_t i;

	memset(&rl, 0, sizeof(rl));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		logrl_check(&rl, key, T0 + (int64_t)i, &rep);
	}
}

TEST(test_logrl_tracks_max_keys)
{
	uint32_t rep;

	fill_keys(LOGRL_MAX_KEYS);
	CHECK_EQ_INT(rl.n, LOGRL_MAX_KEYS);
	/* every key is still held back */
	CHECK_EQ_INT(logrl_check(&rl, "k0", T0 + SEC, &rep), 0);
	CHECK_EQ_INT(logrl_check(&rl, "k255", T0 + SEC, &rep), 0);
}

TEST(test_logrl_beyond_max_keys_forgets_the_oldest)
{
	uint32_t rep;

	fill_keys(LOGRL_MAX_KEYS + 1);
	CHECK_EQ_INT(rl.n, LOGRL_MAX_KEYS);
	/* k0 was replaced by k256: it is a first occurrence again */
	CHECK_EQ_INT(logrl_check(&rl, "k256", T0 + SEC, &rep), 0);
	CHECK_EQ_INT(logrl_check(&rl, "k0", T0 + SEC, &rep), 1);
}

/* a pod uid may have POD_MAX_UID bytes: its events keep all of them */
TEST(test_uid_of_pod_max_uid_bytes_survives_record_and_wire)
{
	char uid[POD_MAX_UID + 1];
	struct pod_event *e, out;
	struct ipc_msg m;

	memset(&ring, 0, sizeof(ring));
	memset(uid, 'u', POD_MAX_UID);
	uid[POD_MAX_UID] = '\0';
	e = evring_record(&ring, "Pod", "default", "web", uid, EVENT_NORMAL,
	    "Started", "m", T0);
	REQUIRE(e != NULL);
	CHECK_STR(e->uid, uid);
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	evring_put(&m, e);
	REQUIRE(evring_get(&m, &out) == 0);
	CHECK_STR(out.uid, uid);
	ipc_msg_free(&m);
}
