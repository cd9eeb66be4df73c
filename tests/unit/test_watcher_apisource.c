/*
 * The watcher's API source (workers/watcher/apisource.c) and the merged
 * pod set (podsnap.c), driven through a scripted fake of the workers' API
 * client (include/apiclient.h): each request the reflector makes is kept
 * here, and the test answers it (a list body, watch stream bytes, an end,
 * an error) and looks at what the reflector asked for next, how long it
 * chose to wait, and which pods it holds.
 */
#include <stdarg.h>
#include <stdint.h>

#include "tap.h"
#include "apiclient.h"
#include "../../workers/watcher/apisource.h"

#define NODE	"node-1"
#define UID1	"8b6f2a4c-1d3e-4f5a-9b7c-0e1d2c3b4a59"
#define UID2	"0f6f2a4c-1d3e-4f5a-9b7c-0e1d2c3b4a50"
#define UID3	"1f6f2a4c-1d3e-4f5a-9b7c-0e1d2c3b4a51"

/* ------------------------------------------------------------------ */
/* the fake API client: one request at a time, answered by the test    */

static struct {
	int			 open;		/* a request waits for us */
	int			 requests;
	char			 path[APIREQ_MAX_PATH + 1];
	apiclient_stream_fn	 stream;
	apiclient_done_fn	 done;
	void			*arg;
	int			 refuse_next;	/* apiclient_request -> -1 */
} fc;

static int fake_client;

struct apiclient *
apiclient_new(const char *name)
{
	return (struct apiclient *)&fake_client;
}

int
apiclient_request(struct apiclient *c, const struct apiclient_req *r)
{
	REQUIRE(c == (struct apiclient *)&fake_client);
	/* one connection, one request at a time: the reflector's way */
	REQUIRE(!fc.open);
	if (fc.refuse_next) {
		fc.refuse_next = 0;
		return -1;
	}
	REQUIRE(strlen(r->path) <= APIREQ_MAX_PATH);
	snprintf(fc.path, sizeof(fc.path), "%s", r->path);
	fc.stream = r->stream;
	fc.done = r->done;
	fc.arg = r->arg;
	fc.open = 1;
	fc.requests++;
	return 0;
}

static void
finish(int status, const char *body, int retry_after, const char *error)
{
	struct apiresp r;

	REQUIRE(fc.open);
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.error = error;
	r.body = (const uint8_t *)body;
	r.body_len = body ? strlen(body) : 0;
	r.retry_after = retry_after;
	fc.open = 0;
	fc.done(fc.arg, &r);
}

void
apiclient_reset(struct apiclient *c, const char *why)
{
	if (fc.open)
		finish(0, NULL, -1, why);
}

void
apiclient_free(struct apiclient *c)
{
}

const char *
apiclient_server(void)
{
	return "10.0.0.1:6443";
}

/* stream bytes of the watch; a -1 from the reflector ends it as status 0 */
static int
feed(const char *text)
{
	REQUIRE(fc.open && fc.stream != NULL);
	if (fc.stream(fc.arg, (const uint8_t *)text, strlen(text)) == -1) {
		finish(0, NULL, -1, "response: body refused");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the hooks                                                           */

static struct {
	int		changed;
	int		rejects;
	char		reject_file[300], reject_field[300], reject_reason[600];
	int		refused;
	char		refused_id[400];	/* ns/name/uid */
	uint64_t	now;
	uint32_t	rnd;
	int		armed;
	uint64_t	armed_ms;
} hk;

static void
h_changed(void)
{
	hk.changed++;
}

static void
h_reject(const char *file, const char *field, const char *reason)
{
	hk.rejects++;
	snprintf(hk.reject_file, sizeof(hk.reject_file), "%s", file);
	snprintf(hk.reject_field, sizeof(hk.reject_field), "%s", field);
	snprintf(hk.reject_reason, sizeof(hk.reject_reason), "%s", reason);
}

static uint64_t
h_now(void)
{
	return hk.now;
}

static uint32_t
h_rnd(void)
{
	return hk.rnd;
}

static void
h_arm(uint64_t ms)
{
	hk.armed++;
	hk.armed_ms = ms;
}

static void
h_refused(const char *ns, const char *name, const char *uid,
    const char *field, const char *reason)
{
	hk.refused++;
	snprintf(hk.refused_id, sizeof(hk.refused_id), "%s/%s/%s", ns, name,
	    uid);
	/* the same refusal as the log's */
	CHECK_STR(field, hk.reject_field);
	CHECK_STR(reason, hk.reject_reason);
}

static const struct apisource_hooks hooks = {
	h_changed, h_reject, h_refused, h_now, h_rnd, h_arm
};

/* the timer the reflector asked for fires */
static void
fire(void)
{
	REQUIRE(hk.armed);
	hk.armed = 0;
	hk.now += hk.armed_ms;
	apisource_timer();
}

/* ------------------------------------------------------------------ */
/* objects                                                             */

/* a Pod; extra_md goes into metadata, extra_spec into spec (",..." ) */
static char *
pod(const char *name, const char *uid, const char *rv, const char *node,
    const char *image, const char *extra_md, const char *extra_spec)
{
	return tap_fmt("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
	    "\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"%s\","
	    "\"resourceVersion\":\"%s\"%s},\"spec\":{\"nodeName\":\"%s\","
	    "\"containers\":[{\"name\":\"app\",\"image\":\"%s\"}]%s}}", name,
	    uid, rv, extra_md, node, image, extra_spec);
}

static char *
simple(const char *name, const char *uid, const char *rv)
{
	return pod(name, uid, rv, NODE, "nginx:1.25", "", "");
}

static char *
event(const char *type, char *obj)
{
	char *s = tap_fmt("{\"type\":\"%s\",\"object\":%s}\n", type, obj);

	free(obj);
	return s;
}

static int
feed_event(const char *type, char *obj)
{
	char *e = event(type, obj);
	int rc = feed(e);

	free(e);
	return rc;
}

static char *
bookmark(const char *rv)
{
	return tap_fmt("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
	    "\"resourceVersion\":\"%s\"}}", rv);
}

#define STATUS_410 "{\"kind\":\"Status\",\"apiVersion\":\"v1\"," \
	"\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old " \
	"resource version: 5 (900)\",\"reason\":\"Expired\",\"code\":410}"

/* a PodList page of n items (taken), with a continue token or none */
static char *
podlist(const char *rv, const char *cont, char **items, size_t n)
{
	char *s = tap_fmt("{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
	    "\"metadata\":{\"resourceVersion\":\"%s\"%s%s%s},\"items\":[", rv,
	    cont ? ",\"continue\":\"" : "", cont ? cont : "", cont ? "\"" : "");
	char *t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = tap_fmt("%s%s%s", s, i ? "," : "", items[i]);
		free(s);
		free(items[i]);
		s = t;
	}
	t = tap_fmt("%s]}", s);
	free(s);
	return t;
}

static void
answer_list(const char *rv, const char *cont, char **items, size_t n)
{
	char *body = podlist(rv, cont, items, n);

	REQUIRE(strncmp(fc.path, "/api/v1/pods?", 13) == 0);
	REQUIRE(strstr(fc.path, "watch=true") == NULL);
	finish(200, body, -1, NULL);
	free(body);
}

static int
watching_from(const char *rv)
{
	char *want = tap_fmt("resourceVersion=%s&", rv);
	int ok = fc.open && strstr(fc.path, "watch=true") != NULL &&
	    strstr(fc.path, want) != NULL;

	free(want);
	return ok;
}

static int
listing(void)
{
	return fc.open && strstr(fc.path, "watch=true") == NULL &&
	    strstr(fc.path, "limit=500") != NULL;
}

static const struct pod *
pod_of(const char *uid)
{
	struct apisource_pod *e = apisource_find(uid);

	return e ? &e->ref->pod : NULL;
}

/* started, listed with the given pods, watching from rv */
static void
start_listed(const char *rv, char **items, size_t n)
{
	REQUIRE(apisource_start(NODE, &hooks) == 0);
	REQUIRE(listing());
	answer_list(rv, NULL, items, n);
	REQUIRE(watching_from(rv));
}

/* ------------------------------------------------------------------ */
/* the reflector                                                       */

TEST(test_list_then_watch)
{
	char *items[2];

	hk.rnd = 0;
	REQUIRE(apisource_start(NODE, &hooks) == 0);
	CHECK(apisource_active());
	CHECK(!apisource_synced());
	CHECK_EQ_INT(apisource_state(), APISRC_LISTING);
	CHECK_STR(fc.path, "/api/v1/pods?fieldSelector=spec.nodeName%3D"
	    NODE "&limit=500");
	items[0] = simple("a", UID1, "7");
	items[1] = simple("b", UID2, "9");
	answer_list("10", NULL, items, 2);
	CHECK(apisource_synced());
	CHECK_EQ_INT(hk.changed, 1);
	CHECK_EQ_INT(apisource_count(), 2);
	CHECK_STR(pod_of(UID1)->name, "a");
	CHECK_STR(pod_of(UID1)->source, "api");
	CHECK_EQ_INT(apisource_state(), APISRC_WATCHING);
	/* rnd 0: client-go's shortest timeout, 5 minutes */
	CHECK_STR(fc.path, "/api/v1/pods?allowWatchBookmarks=true&"
	    "fieldSelector=spec.nodeName%3D" NODE "&resourceVersion=10&"
	    "timeoutSeconds=300&watch=true");
	CHECK_EQ_INT(hk.armed, 0);
}

TEST(test_watch_timeout_is_random_in_300_600)
{
	hk.rnd = UINT32_MAX;
	start_listed("10", NULL, 0);
	CHECK(strstr(fc.path, "timeoutSeconds=599&") != NULL);
}

TEST(test_list_pages_follow_continue)
{
	char *items[1];

	REQUIRE(apisource_start(NODE, &hooks) == 0);
	items[0] = simple("a", UID1, "7");
	answer_list("10", "tok=1", items, 1);
	/* not replaced, not synced until the last page */
	CHECK(!apisource_synced());
	CHECK_EQ_INT(apisource_count(), 0);
	CHECK_EQ_INT(hk.changed, 0);
	CHECK(listing());
	CHECK(strstr(fc.path, "?continue=tok%3D1&fieldSelector=") != NULL);
	items[0] = simple("b", UID2, "8");
	answer_list("10", NULL, items, 1);
	CHECK(apisource_synced());
	CHECK_EQ_INT(apisource_count(), 2);
	CHECK(watching_from("10"));
}

TEST(test_watch_events_upsert_and_delete)
{
	start_listed("10", NULL, 0);
	feed_event("ADDED", simple("a", UID1, "11"));
	CHECK_EQ_INT(apisource_count(), 1);
	CHECK_EQ_INT(hk.changed, 2);
	CHECK_STR(apisource_rv(), "11");
	/* a new spec: the same uid, replaced */
	feed_event("MODIFIED", pod("a", UID1, "12", NODE, "nginx:1.26", "",
	    ""));
	CHECK_EQ_INT(apisource_count(), 1);
	CHECK_EQ_INT(hk.changed, 3);
	CHECK_STR(pod_of(UID1)->containers[0].image, "nginx:1.26");
	/* the same spec at a new version (a status update): no new set */
	feed_event("MODIFIED", pod("a", UID1, "13", NODE, "nginx:1.26", "",
	    ""));
	CHECK_EQ_INT(hk.changed, 3);
	CHECK_STR(apisource_find(UID1)->rv, "13");
	CHECK_STR(apisource_rv(), "13");
	feed_event("ADDED", simple("b", UID2, "14"));
	feed_event("DELETED", simple("a", UID1, "15"));
	CHECK_EQ_INT(apisource_count(), 1);
	CHECK(pod_of(UID1) == NULL);
	CHECK(pod_of(UID2) != NULL);
	CHECK_EQ_INT(hk.changed, 5);
	CHECK_STR(apisource_rv(), "15");
	CHECK_EQ_INT(apisource_state(), APISRC_WATCHING);
}

static void
feed_error_410(void)
{
	char *e = tap_fmt("{\"type\":\"ERROR\",\"object\":%s}\n", STATUS_410);

	/* the reflector stops the stream at it */
	CHECK_EQ_INT(feed(e), -1);
	free(e);
}

TEST(test_410_event_relists_and_replaces_the_table)
{
	char *items[2];

	items[0] = simple("a", UID1, "7");
	start_listed("10", items, 1);
	feed_event("ADDED", simple("b", UID2, "11"));
	feed_error_410();
	/* at once: no wait for a version that is merely too old */
	CHECK_EQ_INT(hk.armed, 0);
	CHECK(listing());
	CHECK(strstr(fc.path, "continue=") == NULL);
	/* b was deleted meanwhile, c created: the list is the truth */
	items[0] = simple("a", UID1, "7");
	items[1] = simple("c", UID3, "20");
	answer_list("30", NULL, items, 2);
	CHECK_EQ_INT(apisource_count(), 2);
	CHECK(pod_of(UID2) == NULL);
	CHECK(pod_of(UID3) != NULL);
	CHECK(watching_from("30"));
}

TEST(test_410_again_with_nothing_between_waits)
{
	start_listed("10", NULL, 0);
	feed_error_410();
	CHECK(listing());
	answer_list("10", NULL, NULL, 0);
	/* the very next watch is too old again: now a backoff */
	feed_error_410();
	CHECK(!fc.open);
	CHECK_EQ_INT(hk.armed, 1);
	CHECK_EQ_INT(apisource_state(), APISRC_WAITING);
	fire();
	CHECK(listing());
}

TEST(test_http_410_relists)
{
	start_listed("10", NULL, 0);
	finish(410, STATUS_410, -1, NULL);
	CHECK(listing());
	CHECK_EQ_INT(hk.armed, 0);
}

TEST(test_normal_end_watches_again_from_the_last_rv)
{
	char *b;

	start_listed("10", NULL, 0);
	feed_event("ADDED", simple("a", UID1, "11"));
	b = bookmark("150");
	feed_event("BOOKMARK", b);
	CHECK_STR(apisource_rv(), "150");
	CHECK_EQ_INT(apisource_count(), 1);
	/* the server's timeoutSeconds: the stream ends whole */
	finish(200, NULL, -1, NULL);
	CHECK_EQ_INT(hk.armed, 0);
	CHECK(watching_from("150"));
	CHECK_EQ_INT(apisource_count(), 1);
}

TEST(test_backoff_grows_to_30s_and_resets)
{
	static const uint64_t want[] = { 800, 1600, 3200, 6400, 12800, 25600,
		30000, 30000 };
	size_t i;

	hk.rnd = 0;	/* no jitter: the bases themselves */
	start_listed("10", NULL, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		finish(0, NULL, -1, "connect: Connection refused");
		CHECK_EQ_INT(hk.armed, 1);
		CHECK_EQ_INT(hk.armed_ms, want[i]);
		CHECK_EQ_INT(apisource_last_wait_ms(), want[i]);
		CHECK(!fc.open);
		fire();
		/* an error is no reason to list again: the watch goes on */
		CHECK(watching_from("10"));
	}
	/* a watch that ran to its end resets the backoff */
	finish(200, NULL, -1, NULL);
	CHECK(watching_from("10"));
	finish(0, NULL, -1, "connect: Connection refused");
	CHECK_EQ_INT(hk.armed_ms, 800);
	fire();
	/* the jitter: up to one base more */
	hk.rnd = UINT32_MAX;
	finish(0, NULL, -1, "connect: Connection refused");
	CHECK(hk.armed_ms >= 1600 && hk.armed_ms < 3200);
}

TEST(test_retry_after_and_list_errors)
{
	hk.rnd = 0;
	REQUIRE(apisource_start(NODE, &hooks) == 0);
	/* a list that fails waits, then lists from the first page */
	finish(500, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
	    "\"Failure\",\"reason\":\"InternalError\",\"code\":500}", -1, NULL);
	CHECK_EQ_INT(hk.armed_ms, 800);
	CHECK(!apisource_synced());
	fire();
	CHECK(listing());
	/* Retry-After longer than the backoff wins */
	finish(429, NULL, 40, NULL);
	CHECK_EQ_INT(hk.armed_ms, 40000);
	fire();
	CHECK(listing());
	/* a body that is no PodList */
	finish(200, "[]", -1, NULL);
	CHECK_EQ_INT(hk.armed, 1);
	fire();
	CHECK(listing());
	answer_list("5", NULL, NULL, 0);
	CHECK(watching_from("5"));
	/* a request the client cannot queue is an error too */
	finish(0, NULL, -1, "TLS: certificate verify failed");
	fc.refuse_next = 1;
	fire();
	CHECK(!fc.open);
	CHECK_EQ_INT(hk.armed, 1);
	fire();
	CHECK(watching_from("5"));
}

TEST(test_unreadable_stream_lists_again)
{
	start_listed("10", NULL, 0);
	CHECK_EQ_INT(feed("{\"type\":\"ADDED\",\"object\":[}\n"), -1);
	CHECK_EQ_INT(hk.armed, 1);
	fire();
	CHECK(listing());
	/* and a stream cut inside an event */
	answer_list("10", NULL, NULL, 0);
	CHECK_EQ_INT(feed("{\"type\":\"ADDED\""), 0);
	finish(200, NULL, -1, NULL);
	CHECK_EQ_INT(hk.armed, 1);
	fire();
	CHECK(watching_from("10"));
}

TEST(test_other_nodes_pods_ignored)
{
	char *items[2];

	REQUIRE(apisource_start(NODE, &hooks) == 0);
	items[0] = simple("a", UID1, "7");
	items[1] = pod("b", UID2, "8", "node-2", "x", "", "");
	answer_list("10", NULL, items, 2);
	CHECK_EQ_INT(apisource_count(), 1);
	CHECK(pod_of(UID2) == NULL);
	feed_event("ADDED", pod("c", UID3, "11", "node-2", "x", "", ""));
	CHECK_EQ_INT(apisource_count(), 1);
	CHECK_EQ_INT(hk.changed, 1);
	/* one of ours that moved (it cannot, but): no longer ours */
	feed_event("MODIFIED", pod("a", UID1, "12", "node-2", "x", "", ""));
	CHECK_EQ_INT(apisource_count(), 0);
	CHECK_EQ_INT(hk.changed, 2);
	CHECK_EQ_INT(hk.rejects, 0);
}

#define PULL_SECRETS	",\"imagePullSecrets\":[{\"name\":\"s\"}]"

TEST(test_refused_pod_rejected_once_per_version)
{
	start_listed("10", NULL, 0);
	feed_event("ADDED", pod("bad", UID1, "11", NODE, "x", "",
	    PULL_SECRETS));
	CHECK_EQ_INT(apisource_count(), 0);
	CHECK_EQ_INT(hk.rejects, 1);
	CHECK_STR(hk.reject_file, "api:default/bad");
	CHECK_STR(hk.reject_field, "spec.imagePullSecrets");
	CHECK(hk.reject_reason[0] != '\0');
	/* the reporter is told too, with the pod's identity */
	CHECK_EQ_INT(hk.refused, 1);
	CHECK_STR(hk.refused_id, "default/bad/" UID1);
	CHECK_EQ_INT(hk.changed, 1);
	/* the same version again (a relist, a resumed watch): said once */
	feed_event("MODIFIED", pod("bad", UID1, "11", NODE, "x", "",
	    PULL_SECRETS));
	CHECK_EQ_INT(hk.rejects, 1);
	CHECK_EQ_INT(hk.refused, 1);
	feed_event("MODIFIED", pod("bad", UID1, "12", NODE, "x", "",
	    PULL_SECRETS));
	CHECK_EQ_INT(hk.rejects, 2);
	CHECK_EQ_INT(hk.refused, 2);
	/* the stream goes on */
	CHECK_EQ_INT(apisource_state(), APISRC_WATCHING);
	CHECK_STR(apisource_rv(), "12");
}

TEST(test_deletion_grace_is_the_smaller)
{
	start_listed("10", NULL, 0);
	feed_event("ADDED", pod("a", UID1, "11", NODE, "x", "",
	    ",\"terminationGracePeriodSeconds\":30"));
	CHECK_EQ_INT(pod_of(UID1)->termination_grace_seconds, 30);
	CHECK(!apisource_find(UID1)->deleting);
	feed_event("MODIFIED", pod("a", UID1, "12", NODE, "x",
	    ",\"deletionTimestamp\":\"2026-12-04T18:00:00Z\","
	    "\"deletionGracePeriodSeconds\":5",
	    ",\"terminationGracePeriodSeconds\":30"));
	CHECK(apisource_find(UID1)->deleting);
	CHECK_EQ_INT(pod_of(UID1)->termination_grace_seconds, 5);
	CHECK_EQ_INT(hk.changed, 3);
	/* a deletion's grace longer than the pod's: the pod's */
	feed_event("ADDED", pod("b", UID2, "13", NODE, "x",
	    ",\"deletionTimestamp\":\"2026-12-04T18:00:00Z\","
	    "\"deletionGracePeriodSeconds\":60",
	    ",\"terminationGracePeriodSeconds\":10"));
	CHECK_EQ_INT(pod_of(UID2)->termination_grace_seconds, 10);
}

TEST(test_at_most_512_api_pods)
{
	char *items[APISOURCE_MAX_PODS + 1], name[32], uid[64];
	size_t i;

	REQUIRE(apisource_start(NODE, &hooks) == 0);
	for (i = 0; i < APISOURCE_MAX_PODS + 1; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		snprintf(uid, sizeof(uid), "uid-%zu", i);
		items[i] = simple(name, uid, "5");
	}
	answer_list("10", NULL, items, APISOURCE_MAX_PODS + 1);
	CHECK_EQ_INT(apisource_count(), APISOURCE_MAX_PODS);
	CHECK_EQ_INT(hk.rejects, 1);
	CHECK_STR(hk.reject_file, "api:default/p512");
	CHECK(strstr(hk.reject_reason, "more than 512 pods") != NULL);
	feed_event("ADDED", simple("late", "uid-late", "11"));
	CHECK_EQ_INT(apisource_count(), APISOURCE_MAX_PODS);
	CHECK_EQ_INT(hk.rejects, 2);
}

TEST(test_stop_ends_the_watch)
{
	start_listed("10", NULL, 0);
	apisource_stop();
	CHECK(!fc.open);
	CHECK(!apisource_active());
	CHECK_EQ_INT(apisource_count(), 0);
	CHECK_EQ_INT(hk.armed, 0);
}

/* ------------------------------------------------------------------ */
/* the merged set                                                      */

static struct podref *
static_pod(const char *name, const char *uid)
{
	char *j = pod(name, uid, "1", NODE, "busybox", "", "");
	struct manifest_error err;
	struct podref *r;
	struct pod p;

	REQUIRE(manifest_parse_pod_json((const uint8_t *)j, strlen(j), &p,
	    &err) == 0);
	free(p.source);
	p.source = tap_strdup("file:/etc/agentd/pods/x.yaml");
	REQUIRE((r = podref_new(&p)) != NULL);
	free(j);
	return r;
}

static int
snap_has(const struct podsnap *s, const char *uid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->items[i].ref->pod.uid, uid) == 0)
			return 1;
	return 0;
}

TEST(test_merge_static_first_and_static_wins)
{
	struct podsnap_static st[1];
	static struct podsnap s;

	st[0].ref = static_pod("web", "static-uid-1");
	st[0].file = "web.yaml";
	start_listed("10", NULL, 0);
	feed_event("ADDED", simple("web", UID1, "11"));	/* its name */
	feed_event("ADDED", simple("other", UID2, "12"));
	feed_event("ADDED", simple("thief", "static-uid-1", "13"));
	podsnap_build(&s, st, 1);
	CHECK_EQ_INT(s.n, 2);
	CHECK_STR(s.items[0].ref->pod.uid, "static-uid-1");
	CHECK(!s.items[0].api);
	CHECK_STR(s.items[0].file, "web.yaml");
	CHECK_STR(s.items[1].ref->pod.uid, UID2);
	CHECK(s.items[1].api);
	CHECK_STR(s.items[1].file, "api:default/other");
	CHECK(!s.unsynced);
	/* logged once, not at every set */
	CHECK(apisource_find(UID1)->shadow_logged);
	podsnap_clear(&s);
	/* the static pod goes: the API pod of that name comes in */
	podsnap_build(&s, st, 0);
	CHECK(snap_has(&s, UID1));
	CHECK(snap_has(&s, "static-uid-1"));	/* the API one, now alone */
	CHECK_EQ_INT(s.n, 3);
	podsnap_clear(&s);
	podref_drop(st[0].ref);
}

TEST(test_unsynced_until_the_first_list)
{
	static struct podsnap s;

	/* standalone: never */
	podsnap_build(&s, NULL, 0);
	CHECK(!s.unsynced);
	/* configured, the credentials not in yet: already */
	apisource_expect();
	podsnap_build(&s, NULL, 0);
	CHECK(s.unsynced);
	REQUIRE(apisource_start(NODE, &hooks) == 0);
	podsnap_build(&s, NULL, 0);
	CHECK(s.unsynced);
	/* errors do not end it; only a list does */
	finish(0, NULL, -1, "connect: Connection refused");
	podsnap_build(&s, NULL, 0);
	CHECK(s.unsynced);
	fire();
	answer_list("10", NULL, NULL, 0);
	podsnap_build(&s, NULL, 0);
	CHECK(!s.unsynced);
	/* a later relist, or an outage, does not bring it back */
	feed_error_410();
	podsnap_build(&s, NULL, 0);
	CHECK(!s.unsynced);
}

TEST(test_deleting_pod_sent_once_with_its_grace)
{
	static struct podsnap s;

	start_listed("10", NULL, 0);
	feed_event("ADDED", pod("a", UID1, "11", NODE, "x", "",
	    ",\"terminationGracePeriodSeconds\":30"));
	podsnap_build(&s, NULL, 0);
	CHECK(snap_has(&s, UID1));
	CHECK_EQ_INT(podsnap_sent(&s), 0);
	podsnap_clear(&s);
	feed_event("MODIFIED", pod("a", UID1, "12", NODE, "x",
	    ",\"deletionTimestamp\":\"2026-12-04T18:00:00Z\","
	    "\"deletionGracePeriodSeconds\":3",
	    ",\"terminationGracePeriodSeconds\":30"));
	podsnap_build(&s, NULL, 0);
	REQUIRE(s.n == 1);
	CHECK(s.items[0].deleting);
	CHECK(s.deleting);
	CHECK_EQ_INT(s.items[0].ref->pod.termination_grace_seconds, 3);
	/* a set that did not go out whole (a new executor) owes it still */
	podsnap_clear(&s);
	podsnap_build(&s, NULL, 0);
	CHECK(snap_has(&s, UID1));
	/* this one did: another set is owed, without the pod */
	CHECK_EQ_INT(podsnap_sent(&s), 1);
	podsnap_clear(&s);
	podsnap_build(&s, NULL, 0);
	CHECK_EQ_INT(s.n, 0);
	/* later events of the pod (its status) do not bring it back */
	feed_event("MODIFIED", pod("a", UID1, "13", NODE, "x",
	    ",\"deletionTimestamp\":\"2026-12-04T18:00:00Z\","
	    "\"deletionGracePeriodSeconds\":3",
	    ",\"terminationGracePeriodSeconds\":30"));
	podsnap_build(&s, NULL, 0);
	CHECK_EQ_INT(s.n, 0);
	/* nor does a relist */
	feed_error_410();
	{
		char *items[1];

		items[0] = pod("a", UID1, "13", NODE, "x",
		    ",\"deletionTimestamp\":\"2026-12-04T18:00:00Z\","
		    "\"deletionGracePeriodSeconds\":3",
		    ",\"terminationGracePeriodSeconds\":30");
		answer_list("20", NULL, items, 1);
	}
	podsnap_build(&s, NULL, 0);
	CHECK_EQ_INT(s.n, 0);
	/* a pod first seen being deleted was never started: not sent */
	feed_event("ADDED", pod("b", UID2, "21", NODE, "x",
	    ",\"deletionTimestamp\":\"2026-12-04T18:00:00Z\"", ""));
	podsnap_build(&s, NULL, 0);
	CHECK_EQ_INT(s.n, 0);
}

TEST(test_changes_while_a_set_is_sent_wait_for_the_next)
{
	static struct podsnap s, t;

	start_listed("10", NULL, 0);
	feed_event("ADDED", simple("a", UID1, "11"));
	feed_event("ADDED", simple("b", UID2, "12"));
	podsnap_build(&s, NULL, 0);
	REQUIRE(s.n == 2);
	hk.changed = 0;
	/* while s is on its way: a new spec, a deletion, a new pod */
	feed_event("MODIFIED", pod("a", UID1, "13", NODE, "nginx:1.27", "",
	    ""));
	feed_event("DELETED", simple("b", UID2, "14"));
	feed_event("ADDED", simple("c", UID3, "15"));
	CHECK_EQ_INT(hk.changed, 3);
	/* s is what it was: the pods it holds are its own */
	CHECK_STR(s.items[0].ref->pod.containers[0].image, "nginx:1.25");
	CHECK_STR(s.items[1].ref->pod.name, "b");
	CHECK_STR(s.items[1].ref->pod.uid, UID2);
	CHECK_EQ_INT(s.n, 2);
	/* the next set has the changes */
	podsnap_build(&t, NULL, 0);
	CHECK_EQ_INT(t.n, 2);
	CHECK(snap_has(&t, UID1) && snap_has(&t, UID3) && !snap_has(&t, UID2));
	CHECK_STR(pod_of(UID1)->containers[0].image, "nginx:1.27");
	/* s went out whole after the deletion: nothing is marked for b */
	podsnap_sent(&s);
	podsnap_clear(&s);
	podsnap_clear(&t);
}

TEST(test_merge_bounded_by_the_executors_max)
{
	static struct podsnap_static st[MAX_PODS];
	static struct podsnap s;
	char name[32], uid[64];
	size_t i;

	for (i = 0; i < MAX_PODS - 1; i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		snprintf(uid, sizeof(uid), "static-%zu", i);
		st[i].ref = static_pod(name, uid);
		st[i].file = "f.yaml";
	}
	start_listed("10", NULL, 0);
	feed_event("ADDED", simple("a", UID1, "11"));
	feed_event("ADDED", simple("b", UID2, "12"));
	podsnap_build(&s, st, MAX_PODS - 1);
	CHECK_EQ_INT(s.n, MAX_PODS);
	CHECK(snap_has(&s, UID1));
	CHECK(!snap_has(&s, UID2));
	podsnap_clear(&s);
}
