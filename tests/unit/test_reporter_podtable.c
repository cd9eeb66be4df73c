/*
 * The reporter's pod table (workers/reporter/podtable.c) fed with real
 * MSG_POD_DESIRED / MSG_POD_STATUS / MSG_POD_GONE payloads: pods are keyed
 * by uid, so an old pod terminating and its replacement of the same
 * namespace/name are both kept and both listed; GONE removes exactly one;
 * a status without a spec is dropped; malformed payloads are refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ipc.h"
#include "msgcat.h"
#include "pod.h"
#include "tap.h"
#include "../../workers/reporter/events.h"
#include "../../workers/reporter/podstatus.h"
#include "../../workers/reporter/podtable.h"

#define SEC		1000000000LL
#define T0		(1795851222LL * SEC)	/* 2026-11-28T07:33:42Z */
#define UID_OLD		"11111111-old"
#define UID_NEW		"22222222-new"

static char *
xs(const char *s)
{
	char *d;

	REQUIRE((d = strdup(s)) != NULL);
	return d;
}

static void
mkpod(struct pod *p, const char *name, const char *uid, const char *image)
{
	pod_init(p);
	p->namespace = xs("default");
	p->name = xs(name);
	p->uid = xs(uid);
	p->termination_grace_seconds = 5;
	REQUIRE((p->containers = calloc(1, sizeof(*p->containers))) != NULL);
	p->n_containers = 1;
	container_spec_init(&p->containers[0]);
	p->containers[0].name = xs("c");
	p->containers[0].image = xs(image);
}

/* MSG_POD_DESIRED of a pod named name with that uid */
static int
send_desired(struct podtable *t, const char *name, const char *uid,
    const char *image)
{
	struct ipc_msg m;
	struct pod p;
	int rv;

	mkpod(&p, name, uid, image);
	ipc_msg_init(&m, MSG_POD_DESIRED, 0);
	REQUIRE(podwire_put_pod(&m, &p) == 0);
	pod_free(&p);
	rv = podtable_desired(t, &m);
	ipc_msg_free(&m);
	return rv;
}

/* MSG_POD_STATUS: container c running since start, or terminating */
static int
send_status(struct podtable *t, const char *uid, int64_t start,
    int terminating, char *dropped_uid)
{
	char uidbuf[POD_MAX_UID + 1];
	struct container_report *c;
	struct pod_report r;
	struct ipc_msg m;
	int rv;

	pod_report_init(&r);
	r.start_time_ns = start;
	r.sandbox_ready = !terminating;
	r.terminating = terminating;
	r.deletion_ns = terminating ? start + 60 * SEC : 0;
	REQUIRE((r.containers = calloc(1, sizeof(*r.containers))) != NULL);
	r.n_containers = 1;
	c = &r.containers[0];
	c->name = xs("c");
	c->image = xs("busybox");
	c->state = CSTATE_RUNNING;
	c->started_at_ns = start + SEC;
	c->ready = !terminating;
	ipc_msg_init(&m, MSG_POD_STATUS, 0);
	ipc_put_str(&m, uid);
	REQUIRE(podwire_put_report(&m, &r) == 0);
	pod_report_free(&r);
	rv = podtable_status(t, &m, dropped_uid ? dropped_uid : uidbuf);
	ipc_msg_free(&m);
	return rv;
}

static int
send_gone(struct podtable *t, const char *uid)
{
	struct ipc_msg m;
	int rv;

	ipc_msg_init(&m, MSG_POD_GONE, 0);
	ipc_put_str(&m, uid);
	rv = podtable_gone(t, &m);
	ipc_msg_free(&m);
	return rv;
}

/* the replacement: the old pod terminating, the new one running */
static void
replaced(struct podtable *t)
{
	memset(t, 0, sizeof(*t));
	REQUIRE(send_desired(t, "web", UID_OLD, "busybox:1") == 0);
	REQUIRE(send_status(t, UID_OLD, T0, 0, NULL) == 0);
	REQUIRE(send_desired(t, "web", UID_NEW, "busybox:2") == 0);
	REQUIRE(send_status(t, UID_NEW, T0 + 10 * SEC, 0, NULL) == 0);
	REQUIRE(send_status(t, UID_OLD, T0, 1, NULL) == 0);
}

static char *
table(const struct podtable *t, int64_t now)
{
	const struct pod *specs[MAX_PODS];
	const struct pod_report *reps[MAX_PODS];
	char *out;
	size_t i;

	for (i = 0; i < t->n; i++) {
		specs[i] = &t->e[i]->spec;
		reps[i] = podtable_report(t->e[i]);
	}
	REQUIRE((out = podstatus_table(specs, reps, t->n, now)) != NULL);
	return out;
}

TEST(test_two_pods_of_one_name_are_both_kept)
{
	struct podtable t;
	struct pod_entry *o, *n;

	replaced(&t);
	CHECK_EQ_INT(t.n, 2);
	REQUIRE((o = podtable_find_uid(&t, UID_OLD)) != NULL);
	REQUIRE((n = podtable_find_uid(&t, UID_NEW)) != NULL);
	/* neither status landed on the other's entry */
	CHECK_STR(o->spec.containers[0].image, "busybox:1");
	CHECK_STR(n->spec.containers[0].image, "busybox:2");
	CHECK(podtable_terminating(o));
	CHECK(!podtable_terminating(n));
	CHECK_EQ_INT(o->report.start_time_ns, T0);
	CHECK_EQ_INT(n->report.start_time_ns, T0 + 10 * SEC);
	podtable_clear(&t);
	CHECK_EQ_INT(t.n, 0);
}

TEST(test_gone_removes_exactly_that_uid)
{
	struct podtable t;

	replaced(&t);
	CHECK_EQ_INT(send_gone(&t, UID_OLD), 0);
	CHECK_EQ_INT(t.n, 1);
	CHECK(podtable_find_uid(&t, UID_OLD) == NULL);
	CHECK(podtable_find_uid(&t, UID_NEW) != NULL);
	/* an unknown uid removes nothing */
	CHECK_EQ_INT(send_gone(&t, "33333333-none"), 0);
	CHECK_EQ_INT(t.n, 1);
	/* and the old one's gone the other way round too */
	podtable_clear(&t);
	replaced(&t);
	CHECK_EQ_INT(send_gone(&t, UID_NEW), 0);
	CHECK_EQ_INT(t.n, 1);
	CHECK(podtable_find_uid(&t, UID_OLD) != NULL);
	podtable_clear(&t);
}

TEST(test_find_name_gives_the_current_pod_first)
{
	struct podtable t;
	struct pod_entry *e[2];

	replaced(&t);
	CHECK_EQ_INT(podtable_find_name(&t, "default", "web", e, 2), 2);
	CHECK_STR(e[0]->spec.uid, UID_NEW);
	CHECK_STR(e[1]->spec.uid, UID_OLD);
	/* with room for one: the current one, and the count of both */
	CHECK_EQ_INT(podtable_find_name(&t, "default", "web", e, 1), 2);
	CHECK_STR(e[0]->spec.uid, UID_NEW);
	CHECK_EQ_INT(podtable_find_name(&t, "default", "nope", e, 2), 0);
	CHECK_EQ_INT(podtable_find_name(&t, "other", "web", e, 2), 0);
	podtable_clear(&t);
}

TEST(test_status_without_spec_is_dropped)
{
	struct podtable t;
	char uid[POD_MAX_UID + 1] = "";

	memset(&t, 0, sizeof(t));
	CHECK_EQ_INT(send_status(&t, UID_NEW, T0, 0, uid), PODTABLE_DROPPED);
	CHECK_STR(uid, UID_NEW);
	CHECK_EQ_INT(t.n, 0);
	/* after GONE the uid has no spec either */
	replaced(&t);
	REQUIRE(send_gone(&t, UID_OLD) == 0);
	CHECK_EQ_INT(send_status(&t, UID_OLD, T0, 1, uid), PODTABLE_DROPPED);
	CHECK_EQ_INT(t.n, 1);
	podtable_clear(&t);
}

/* a changed spec of one uid replaces it; the report stays until the next */
TEST(test_desired_again_replaces_the_spec_of_that_uid)
{
	struct podtable t;
	struct pod_entry *e;

	memset(&t, 0, sizeof(t));
	REQUIRE(send_desired(&t, "web", UID_NEW, "busybox:1") == 0);
	CHECK(podtable_report(podtable_find_uid(&t, UID_NEW)) == NULL);
	REQUIRE(send_status(&t, UID_NEW, T0, 0, NULL) == 0);
	REQUIRE(send_desired(&t, "web", UID_NEW, "busybox:2") == 0);
	CHECK_EQ_INT(t.n, 1);
	REQUIRE((e = podtable_find_uid(&t, UID_NEW)) != NULL);
	CHECK_STR(e->spec.containers[0].image, "busybox:2");
	CHECK(podtable_report(e) != NULL);
	CHECK_EQ_INT(e->report.start_time_ns, T0);
	podtable_clear(&t);
}

/* reconnect: what the new executor resends stays, the rest goes */
TEST(test_sweep_after_resync_keeps_only_resent_pods)
{
	struct podtable t;

	replaced(&t);
	podtable_mark_stale(&t);
	REQUIRE(send_desired(&t, "web", UID_NEW, "busybox:2") == 0);
	CHECK_EQ_INT(podtable_sweep_stale(&t), 1);
	CHECK_EQ_INT(t.n, 1);
	CHECK(podtable_find_uid(&t, UID_NEW) != NULL);
	podtable_clear(&t);
}

/* a full table makes room from stale entries only */
TEST(test_full_table_evicts_a_stale_entry_only)
{
	struct podtable t;
	char uid[32];
	int i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < MAX_PODS; i++) {
		snprintf(uid, sizeof(uid), "uid-%d", i);
		REQUIRE(send_desired(&t, "p", uid, "busybox") == 0);
	}
	CHECK_EQ_INT(send_desired(&t, "p", "uid-one-more", "busybox"), -1);
	CHECK_EQ_INT(t.n, MAX_PODS);
	podtable_mark_stale(&t);
	CHECK_EQ_INT(send_desired(&t, "p", "uid-one-more", "busybox"), 0);
	CHECK_EQ_INT(t.n, MAX_PODS);
	CHECK(podtable_find_uid(&t, "uid-one-more") != NULL);
	podtable_clear(&t);
}

TEST(test_malformed_payloads_are_refused)
{
	char uid[POD_MAX_UID + 1];
	struct podtable t;
	struct pod_report r;
	struct ipc_msg m;
	char longuid[POD_MAX_UID + 2];

	replaced(&t);
	/* an empty uid */
	CHECK_EQ_INT(send_gone(&t, ""), -1);
	CHECK_EQ_INT(send_status(&t, "", T0, 0, NULL), -1);
	/* a uid past its bound */
	memset(longuid, 'a', sizeof(longuid) - 1);
	longuid[sizeof(longuid) - 1] = '\0';
	CHECK_EQ_INT(send_gone(&t, longuid), -1);
	/* trailing bytes after the report */
	pod_report_init(&r);
	ipc_msg_init(&m, MSG_POD_STATUS, 0);
	ipc_put_str(&m, UID_NEW);
	REQUIRE(podwire_put_report(&m, &r) == 0);
	ipc_put_u32(&m, 7);
	CHECK_EQ_INT(podtable_status(&t, &m, uid), -1);
	ipc_msg_free(&m);
	/* GONE in the old layout (ns, name, uid) */
	ipc_msg_init(&m, MSG_POD_GONE, 0);
	ipc_put_str(&m, "default");
	ipc_put_str(&m, "web");
	ipc_put_str(&m, UID_OLD);
	CHECK_EQ_INT(podtable_gone(&t, &m), -1);
	ipc_msg_free(&m);
	/* a spec truncated */
	ipc_msg_init(&m, MSG_POD_DESIRED, 0);
	ipc_put_str(&m, "default");
	CHECK_EQ_INT(podtable_desired(&t, &m), -1);
	ipc_msg_free(&m);
	/* nothing of that changed the table */
	CHECK_EQ_INT(t.n, 2);
	CHECK(podtable_terminating(podtable_find_uid(&t, UID_OLD)));
	podtable_clear(&t);
}

/* `get pods`: two rows, the current one first, the old one Terminating */
TEST(test_table_lists_both_the_old_one_terminating)
{
	struct podtable t;
	char *out, *l1, *l2;

	replaced(&t);
	out = table(&t, T0 + 20 * SEC);
	REQUIRE((l1 = strchr(out, '\n')) != NULL);
	l1++;
	REQUIRE((l2 = strchr(l1, '\n')) != NULL);
	l2++;
	CHECK(strncmp(l1, "default     web    1/1     Running", 34) == 0);
	CHECK(strncmp(l2, "default     web    0/1     Terminating", 38) == 0);
	CHECK(strchr(l2, '\n') != NULL && strchr(l2, '\n')[1] == '\0');
	free(out);
	podtable_clear(&t);
}

/* -o json: both, told apart by uid; only the old one has a deletion */
TEST(test_podlist_json_has_both_uids_and_the_deletion)
{
	const struct pod *specs[2];
	const struct pod_report *reps[2];
	const cJSON *items, *m0, *m1;
	struct podtable t;
	cJSON *doc;
	size_t i;

	replaced(&t);
	for (i = 0; i < 2; i++) {
		specs[i] = &t.e[i]->spec;
		reps[i] = podtable_report(t.e[i]);
	}
	REQUIRE((doc = podstatus_podlist_json(specs, reps, 2, T0)) != NULL);
	items = cJSON_GetObjectItem(doc, "items");
	CHECK_EQ_INT(cJSON_GetArraySize(items), 2);
	m0 = cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "metadata");
	m1 = cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "metadata");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m0, "uid")),
	    UID_NEW);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m1, "uid")),
	    UID_OLD);
	CHECK(cJSON_GetObjectItem(m0, "deletionTimestamp") == NULL);
	/* the old pod: start T0, its deadline 60 s later */
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m1,
	    "deletionTimestamp")), "2026-11-28T07:34:42Z");
	CHECK_EQ_INT((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(m1,
	    "deletionGracePeriodSeconds")), 5);
	cJSON_Delete(doc);
	podtable_clear(&t);
}

/* describe: the old pod is "Terminating (lasts D)" with its grace period */
TEST(test_describe_shows_the_old_pod_terminating)
{
	struct podtable t;
	struct pod_entry *e;
	cJSON *doc;
	char *out;

	replaced(&t);
	REQUIRE((e = podtable_find_uid(&t, UID_OLD)) != NULL);
	REQUIRE((doc = podstatus_pod_json(&e->spec, podtable_report(e),
	    T0)) != NULL);
	/* 20 s after the start, 40 s before the deadline */
	REQUIRE((out = events_describe_pod(doc, NULL, 0, T0 + 20 * SEC)) !=
	    NULL);
	CHECK(strstr(out, "\nStatus:           Terminating (lasts 40s)\n") !=
	    NULL);
	CHECK(strstr(out, "\nTermination Grace Period:  5s\n") != NULL);
	free(out);
	cJSON_Delete(doc);
	REQUIRE((e = podtable_find_uid(&t, UID_NEW)) != NULL);
	REQUIRE((doc = podstatus_pod_json(&e->spec, podtable_report(e),
	    T0)) != NULL);
	REQUIRE((out = events_describe_pod(doc, NULL, 0, T0 + 20 * SEC)) !=
	    NULL);
	CHECK(strstr(out, "\nStatus:           Running\n") != NULL);
	CHECK(strstr(out, "Termination Grace Period") == NULL);
	free(out);
	cJSON_Delete(doc);
	podtable_clear(&t);
}
