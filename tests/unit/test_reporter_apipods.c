/*
 * The reporter's pod status requests (apipods.c) against a scripted API
 * client (apifake.h): the status PATCH with the uid precondition, one
 * request per pod with bursts coalesced into the latest state, no empty
 * patch, retries that keep the latest state, 404 ends a pod, the final
 * DELETE with its precondition, mirror pods of static pods, the bound on
 * requests out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "apifake.h"
#include "nodefacts.h"
#include "pod.h"
#include "podsample.h"
#include "tap.h"
#include "../../workers/reporter/apinode.h"
#include "../../workers/reporter/apipods.h"

#define NODE		"n1"
#define NODE_UID	"6f1c2d3e-0000-4000-8000-00000000node"
#define UID		"0a1b2c3d-uid"
#define HASH		"5d41402abc4b2a76b9719d911017c592"
#define MIRROR_UID	"9999aaaa-mirror"
#define POD_STATUS	"/api/v1/namespaces/default/pods/web/status"
#define POD_PATH	"/api/v1/namespaces/default/pods/web"

static struct node_conf nc = { NODE, "10.0.0.5", 110 };
static struct event_base *base;

static void
start(void)
{
	fake_init();
	REQUIRE((base = event_base_new()) != NULL);
	apinode_init(base, &nc);
	apipods_init(base, NODE);
	apinode_on_registered(apipods_node_registered);
	apipods_start();
}

/* the Node registered through apinode, its first requests answered */
static void
node_up(void)
{
	struct node_facts f;
	struct fake_req *r;

	memset(&f, 0, sizeof(f));
	snprintf(f.operating_system, sizeof(f.operating_system), "linux");
	snprintf(f.architecture, sizeof(f.architecture), "amd64");
	f.cpus = 1;
	f.memory_bytes = 1ULL << 30;
	f.gathered_ns = fake_wall;
	apinode_facts(&f);
	apinode_start();
	apinode_run();
	fake_answer(fake_find("POST", "/api/v1/nodes"), 201,
	    "{\"metadata\":{\"uid\":\"" NODE_UID "\"}}");
	apinode_run();
	while ((r = fake_first()) != NULL && strcmp(r->client, "node") == 0)
		fake_answer(r, 200, "{\"metadata\":{\"uid\":\"" NODE_UID
		    "\",\"resourceVersion\":\"1\"}}");
	REQUIRE(apinode_uid() != NULL);
}

static void
mkpod(struct pod *p, struct pod_report *r, const char *name,
    const char *uid, const char *source)
{
	podsample(p, r, name, uid, "app", fake_wall);
	p->source = tap_strdup(source);
}

static void
set_running(struct pod_report *r)
{
	r->sandbox_ready = 1;
	free(r->pod_ip);
	free(r->containers[0].container_id);
	r->pod_ip = tap_strdup("10.88.0.7");
	r->containers[0].state = CSTATE_RUNNING;
	r->containers[0].started_at_ns = fake_wall;
	r->containers[0].ready = 1;
	r->containers[0].container_id = tap_strdup("runc://abc");
}

/* restartPolicy Never: an exit ends the pod (Always: still Running) */
static void
set_exited(struct pod *p, struct pod_report *r, int code)
{
	p->restart_policy = RESTART_NEVER;
	r->containers[0].state = CSTATE_TERMINATED;
	r->containers[0].exit_code = code;
	r->containers[0].finished_at_ns = fake_wall;
	r->containers[0].ready = 0;
	free(r->containers[0].reason);
	r->containers[0].reason = tap_strdup(code == 0 ? "Completed" :
	    "Error");
}

static void
mkstatic(struct pod *p, struct pod_report *r)
{
	mkpod(p, r, "web", HASH, "file:/etc/agentd/pods/web.yaml");
	REQUIRE((p->annotations = calloc(2, sizeof(*p->annotations))) !=
	    NULL);
	p->annotations[0].key = tap_strdup("kubernetes.io/config.hash");
	p->annotations[0].value = tap_strdup(HASH);
	p->annotations[1].key = tap_strdup("kubernetes.io/config.source");
	p->annotations[1].value = tap_strdup("file");
	p->n_annotations = 2;
}

static const char *
phase_of(const struct fake_req *r)
{
	return fake_body_str(r, "status.phase");
}

/* started, the API pod default/web reported Pending: its PATCH out */
static void
web_reported(struct pod *p, struct pod_report *r)
{
	start();
	mkpod(p, r, "web", UID, "api");
	apipods_status(p, r);
	apipods_run();
}

/* the Node up, the static pod's mirror POST answered 409 with body */
static void
mirror_exists(struct pod *p, struct pod_report *r, const char *body)
{
	start();
	node_up();
	mkstatic(p, r);
	apipods_status(p, r);
	apipods_run();
	fake_answer(fake_find("POST", "/api/v1/namespaces/default/pods"), 409,
	    body);
	apipods_run();
}

TEST(status_patch_with_uid_precondition)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;
	cJSON *b;

	web_reported(&p, &r);
	REQUIRE((q = fake_first()) != NULL);
	CHECK_STR(q->client, "status");
	CHECK_STR(q->method, "PATCH");
	CHECK_STR(q->path, POD_STATUS);
	CHECK_STR(q->ctype, "application/strategic-merge-patch+json");
	b = fake_body(q);
	CHECK_STR(fake_str(b, "metadata.uid"), UID);
	CHECK_STR(fake_str(b, "status.phase"), "Pending");
	/* a status patch and nothing else */
	CHECK_EQ_INT(cJSON_GetArraySize(b), 2);
	CHECK_EQ_INT(cJSON_GetArraySize(fake_item(b, "metadata")), 1);
	cJSON_Delete(b);
	fake_answer(q, 200, "{}");
	/* the next is the patch from the acknowledged status */
	set_running(&r);
	apipods_status(&p, &r);
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	b = fake_body(q);
	CHECK_STR(fake_str(b, "status.phase"), "Running");
	CHECK_STR(fake_str(b, "status.podIP"), "10.88.0.7");
	/* unchanged fields are not in it */
	CHECK(fake_item(b, "status.qosClass") == NULL);
	cJSON_Delete(b);
	fake_answer(q, 200, "{}");
	CHECK_EQ_INT(apipods_inflight(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(static_and_unknown_sources_are_told_apart)
{
	struct pod p;
	struct pod_report r;

	start();
	mkpod(&p, &r, "web", UID, "http:nowhere");
	apipods_status(&p, &r);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	CHECK_EQ_INT(apipods_tracked(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(no_empty_patch)
{
	struct pod p;
	struct pod_report r;

	web_reported(&p, &r);
	fake_answer(fake_first(), 200, "{}");
	/* the same state again: nothing to say */
	apipods_status(&p, &r);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	/* a change and back while one is out: the patch would be empty */
	set_running(&r);
	apipods_status(&p, &r);
	apipods_run();
	REQUIRE(fake_first() != NULL);
	CHECK_STR(phase_of(fake_first()), "Running");
	pod_report_free(&r);
	pod_free(&p);
	mkpod(&p, &r, "web", UID, "api");
	apipods_status(&p, &r);		/* Pending: the acknowledged one */
	set_running(&r);
	apipods_status(&p, &r);		/* Running: the one out */
	apipods_run();
	CHECK_EQ_INT(fake_open(), 1);
	fake_answer(fake_first(), 200, "{}");
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	CHECK_EQ_INT(fake_n, 2);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(burst_is_coalesced_into_the_latest)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;
	cJSON *b;
	int i;

	web_reported(&p, &r);
	CHECK_EQ_INT(fake_open(), 1);
	/* while it is out: running, restarted, exited; one request out */
	set_running(&r);
	for (i = 1; i <= 3; i++) {
		r.containers[0].restart_count = i;
		apipods_status(&p, &r);
		apipods_run();
		CHECK_EQ_INT(fake_open(), 1);
	}
	set_exited(&p, &r, 1);
	apipods_status(&p, &r);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 1);
	fake_answer(fake_first(), 200, "{}");
	apipods_run();
	/* then one PATCH of the latest */
	CHECK_EQ_INT(fake_open(), 1);
	CHECK_EQ_INT(fake_n, 2);
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	b = fake_body(q);
	CHECK_EQ_INT(fake_item(cJSON_GetArrayItem(fake_item(b,
	    "status.containerStatuses"), 0), "restartCount")->valueint, 3);
	CHECK(fake_item(cJSON_GetArrayItem(fake_item(b,
	    "status.containerStatuses"), 0), "state.terminated") != NULL);
	cJSON_Delete(b);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(retry_keeps_the_latest_state)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;

	web_reported(&p, &r);
	fake_answer(fake_first(), 200, "{}");
	set_running(&r);
	apipods_status(&p, &r);
	apipods_run();
	fake_answer_ra(fake_first(), 503, "{\"kind\":\"Status\",\"message\":"
	    "\"etcd leader changed\"}", 2);
	/* meanwhile it exits; nothing goes out before the Retry-After */
	set_exited(&p, &r, 0);
	apipods_status(&p, &r);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(1999);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(1);
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	/* the latest, from the status the server acknowledged (Pending) */
	CHECK_STR(phase_of(q), "Succeeded");
	CHECK_STR(fake_body_str(q, "status.podIP"), "10.88.0.7");
	/* a conflict and a transport error are retried too */
	fake_answer(q, 409, "{\"kind\":\"Status\",\"reason\":\"Conflict\"}");
	fake_advance_ms(APIPODS_MAX_BACKOFF_MS * 2);
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	CHECK_STR(phase_of(q), "Succeeded");
	fake_answer(q, 0, NULL);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	/* the server answers something else: the retry goes at once */
	apipods_server_answered();
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	CHECK_STR(phase_of(q), "Succeeded");
	fake_answer(q, 200, "{}");
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(not_found_stops_the_pod)
{
	struct pod p;
	struct pod_report r;

	web_reported(&p, &r);
	fake_answer(fake_first(), 404, "{\"kind\":\"Status\",\"reason\":"
	    "\"NotFound\"}");
	apipods_run();
	CHECK_EQ_INT(apipods_tracked(), 0);
	set_running(&r);
	apipods_status(&p, &r);
	apipods_run();
	/* tracked anew: one more try, which finds it gone again */
	fake_answer(fake_first(), 404, NULL);
	fake_advance_ms(APIPODS_MAX_BACKOFF_MS * 2);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(gone_sends_final_status_then_delete_with_precondition)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;
	cJSON *b;

	start();
	mkpod(&p, &r, "web", UID, "api");
	set_running(&r);
	apipods_status(&p, &r);
	apipods_run();
	/* it ends and goes while its status is out */
	set_exited(&p, &r, 0);
	apipods_status(&p, &r);
	apipods_gone(&p);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 1);
	fake_answer(fake_first(), 200, "{}");
	apipods_run();
	REQUIRE((q = fake_first()) != NULL);
	CHECK_STR(q->method, "PATCH");
	CHECK_STR(phase_of(q), "Succeeded");
	fake_answer(q, 200, "{}");
	apipods_run();
	REQUIRE((q = fake_first()) != NULL);
	CHECK_STR(q->method, "DELETE");
	CHECK_STR(q->path, POD_PATH);
	CHECK_STR(q->ctype, "application/json");
	CHECK_STR(q->body, "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
	    "\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"" UID
	    "\"}}");
	/* a failure is retried */
	fake_answer(q, 500, NULL);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(APIPODS_MIN_BACKOFF_MS * 2);
	apipods_run();
	REQUIRE((q = fake_find("DELETE", POD_PATH)) != NULL);
	b = fake_body(q);
	CHECK_EQ_INT(fake_item(b, "gracePeriodSeconds")->valueint, 0);
	cJSON_Delete(b);
	fake_answer(q, 200, "{}");
	apipods_run();
	CHECK_EQ_INT(apipods_tracked(), 0);
	CHECK_EQ_INT(fake_open(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(delete_ends_on_not_found_or_conflict)
{
	struct pod p, p2;
	struct pod_report r, r2;

	start();
	mkpod(&p, &r, "web", UID, "api");
	mkpod(&p2, &r2, "db", "1111-uid", "api");
	/* never reported: deleted all the same */
	apipods_gone(&p);
	apipods_gone(&p2);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 2);
	fake_answer(fake_find("DELETE", POD_PATH), 404, NULL);
	fake_answer(fake_find("DELETE", "/api/v1/namespaces/default/pods/db"),
	    409, "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"message\":"
	    "\"Precondition failed\"}");
	apipods_run();
	CHECK_EQ_INT(apipods_tracked(), 0);
	fake_advance_ms(APIPODS_MAX_BACKOFF_MS * 2);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	pod_free(&p);
	pod_report_free(&r);
	pod_free(&p2);
	pod_report_free(&r2);
}

TEST(mirror_pod_created_patched_deleted)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;
	const cJSON *o;
	cJSON *b;

	start();
	mkstatic(&p, &r);
	apipods_status(&p, &r);
	apipods_run();
	/* not before the Node is registered: the owner needs its uid */
	CHECK_EQ_INT(fake_open(), 0);
	node_up();
	apipods_run();
	REQUIRE((q = fake_find("POST", "/api/v1/namespaces/default/pods")) !=
	    NULL);
	b = fake_body(q);
	CHECK_STR(fake_str(b, "metadata.name"), "web");
	o = fake_item(b, "metadata.annotations");
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(o,
	    "kubernetes.io/config.mirror")->valuestring, HASH);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(o,
	    "kubernetes.io/config.hash")->valuestring, HASH);
	CHECK(fake_item(b, "metadata.uid") == NULL);
	CHECK(fake_item(b, "status") == NULL);
	CHECK_STR(fake_str(b, "spec.nodeName"), NODE);
	o = fake_item(b, "metadata.ownerReferences");
	CHECK_EQ_INT(cJSON_GetArraySize(o), 1);
	o = cJSON_GetArrayItem(o, 0);
	CHECK_STR(fake_str(o, "apiVersion"), "v1");
	CHECK_STR(fake_str(o, "kind"), "Node");
	CHECK_STR(fake_str(o, "name"), NODE);
	CHECK_STR(fake_str(o, "uid"), NODE_UID);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "controller")));
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "blockOwnerDeletion") ==
	    NULL);
	cJSON_Delete(b);
	fake_answer(q, 201, "{\"metadata\":{\"uid\":\"" MIRROR_UID "\","
	    "\"annotations\":{\"kubernetes.io/config.mirror\":\"" HASH "\"}}}");
	apipods_run();
	/* its status goes to the mirror, under the mirror's uid */
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	CHECK_STR(fake_body_str(q, "metadata.uid"), MIRROR_UID);
	fake_answer(q, 200, "{}");
	apipods_gone(&p);
	apipods_run();
	REQUIRE((q = fake_find("DELETE", POD_PATH)) != NULL);
	CHECK_STR(fake_body_str(q, "preconditions.uid"), MIRROR_UID);
	fake_answer(q, 200, "{}");
	apipods_run();
	CHECK_EQ_INT(apipods_tracked(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(mirror_pod_of_another_hash_is_replaced)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;

	mirror_exists(&p, &r, "{\"kind\":\"Status\",\"reason\":"
	    "\"AlreadyExists\"}");
	REQUIRE((q = fake_find("GET", POD_PATH)) != NULL);
	fake_answer(q, 200, "{\"metadata\":{\"uid\":\"old-mirror\","
	    "\"annotations\":{\"kubernetes.io/config.mirror\":\"oldhash\"}}}");
	apipods_run();
	REQUIRE((q = fake_find("DELETE", POD_PATH)) != NULL);
	CHECK_STR(fake_body_str(q, "preconditions.uid"), "old-mirror");
	fake_answer(q, 200, "{}");
	apipods_run();
	REQUIRE((q = fake_find("POST", "/api/v1/namespaces/default/pods")) !=
	    NULL);
	fake_answer(q, 201, "{\"metadata\":{\"uid\":\"" MIRROR_UID "\"}}");
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	CHECK_STR(fake_body_str(q, "metadata.uid"), MIRROR_UID);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(api_pod_of_the_static_pods_name_is_left_alone)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;

	mirror_exists(&p, &r, "{\"kind\":\"Status\",\"reason\":"
	    "\"AlreadyExists\"}");
	REQUIRE((q = fake_find("GET", POD_PATH)) != NULL);
	/* no mirror annotation: the API's own pod, not ours to delete */
	fake_answer(q, 200, "{\"metadata\":{\"uid\":\"users-pod\"}}");
	apipods_run();
	CHECK(fake_find("DELETE", POD_PATH) == NULL);
	CHECK(fake_find("PATCH", POD_STATUS) == NULL);
	CHECK(fake_first() == NULL);
	apipods_status(&p, &r);
	apipods_run();
	CHECK(fake_first() == NULL);	/* no status onto someone's pod */
	apipods_gone(&p);
	apipods_run();
	CHECK(fake_first() == NULL);
	CHECK_EQ_INT(apipods_tracked(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(mirror_pod_of_this_hash_is_adopted)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;
	cJSON *b;

	mirror_exists(&p, &r, NULL);
	fake_answer(fake_find("GET", POD_PATH), 200, "{\"metadata\":{\"uid\":"
	    "\"" MIRROR_UID "\",\"annotations\":{\"kubernetes.io/"
	    "config.mirror\":\"" HASH "\"}}}");
	apipods_run();
	REQUIRE((q = fake_first()) != NULL);
	CHECK_STR(q->method, "PATCH");
	b = fake_body(q);
	CHECK_STR(fake_str(b, "metadata.uid"), MIRROR_UID);
	/* the whole status: what the server has is not known */
	CHECK_STR(fake_str(b, "status.phase"), "Pending");
	cJSON_Delete(b);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(requests_out_are_bounded_and_fair)
{
	struct pod p[APIPODS_MAX_INFLIGHT * 2 + 1];
	struct pod_report r[nitems(p)];
	char name[32], uid[32];
	size_t i;

	start();
	for (i = 0; i < nitems(p); i++) {
		snprintf(name, sizeof(name), "web-%zu", i);
		snprintf(uid, sizeof(uid), "uid-%zu", i);
		mkpod(&p[i], &r[i], name, uid, "api");
		apipods_status(&p[i], &r[i]);
	}
	apipods_run();
	CHECK_EQ_INT(fake_open(), APIPODS_MAX_INFLIGHT);
	CHECK_EQ_INT(apipods_inflight(), APIPODS_MAX_INFLIGHT);
	/* pod 0 changes again: it waits for the others first */
	set_running(&r[0]);
	apipods_status(&p[0], &r[0]);
	for (i = 0; i < 200 && fake_open() > 0; i++) {
		fake_answer(fake_first(), 200, "{}");
		apipods_run();
		CHECK(fake_open() <= APIPODS_MAX_INFLIGHT);
	}
	CHECK_EQ_INT(fake_n, (int)nitems(p) + 1);
	CHECK_STR(fake_reqs[fake_n - 1].path,
	    "/api/v1/namespaces/default/pods/web-0/status");
	CHECK_EQ_INT(apipods_tracked(), nitems(p));
	for (i = 0; i < nitems(p); i++) {
		pod_free(&p[i]);
		pod_report_free(&r[i]);
	}
}

TEST(nothing_before_start)
{
	struct pod p;
	struct pod_report r;

	fake_init();
	REQUIRE((base = event_base_new()) != NULL);
	apipods_init(base, NODE);
	mkpod(&p, &r, "web", UID, "api");
	apipods_status(&p, &r);
	apipods_gone(&p);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	CHECK_EQ_INT(apipods_tracked(), 0);
	pod_free(&p);
	pod_report_free(&r);
}

TEST(no_busy_loop_while_waiting)
{
	struct pod p, m;
	struct pod_report r, mr;

	start();
	mkpod(&p, &r, "web", UID, "api");
	mkstatic(&m, &mr);
	apipods_status(&p, &r);
	apipods_status(&m, &mr);	/* waits for the Node */
	fake_loop(base, 1);
	CHECK_EQ_INT(fake_open(), 1);
	CHECK_EQ_INT(fake_loop(base, 20), 0);
	fake_answer(fake_first(), 503, NULL);
	fake_loop(base, 1);
	CHECK_EQ_INT(fake_loop(base, 20), 0);
	CHECK_EQ_INT(fake_open(), 0);
	pod_free(&p);
	pod_report_free(&r);
	pod_free(&m);
	pod_report_free(&mr);
}

TEST(invalid_status_is_not_retried_the_next_change_goes)
{
	struct pod p;
	struct pod_report r;
	struct fake_req *q;

	web_reported(&p, &r);
	fake_answer(fake_first(), 422, "{\"kind\":\"Status\",\"reason\":"
	    "\"Invalid\"}");
	fake_advance_ms(APIPODS_MAX_BACKOFF_MS * 2);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	set_running(&r);
	apipods_status(&p, &r);
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	/* from the same base: the whole status again, now Running */
	CHECK_STR(phase_of(q), "Running");
	pod_free(&p);
	pod_report_free(&r);
}

TEST(answer_inside_the_request_is_taken)
{
	struct pod p;
	struct pod_report r;

	start();
	mkpod(&p, &r, "web", UID, "api");
	apipods_status(&p, &r);
	fake_sync_status = 200;
	fake_sync_body = "{}";
	apipods_run();
	CHECK_EQ_INT(apipods_inflight(), 0);
	CHECK_EQ_INT(fake_open(), 0);
	set_running(&r);
	apipods_status(&p, &r);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 1);
	CHECK_EQ_INT(apipods_inflight(), 1);
	pod_free(&p);
	pod_report_free(&r);
}

/* a pod the watcher refused: Failed once, retried, forgotten when in */
TEST(refused_pod_is_patched_failed_once)
{
	struct fake_req *q;
	cJSON *b;

	start();
	apipods_refused("default", "web", UID, "spec.imagePullSecrets",
	    "not supported");
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	CHECK_STR(q->ctype, "application/strategic-merge-patch+json");
	b = fake_body(q);
	CHECK_STR(fake_str(b, "metadata.uid"), UID);
	CHECK_STR(fake_str(b, "status.phase"), "Failed");
	CHECK_STR(fake_str(b, "status.reason"), "UnsupportedPodSpec");
	CHECK_STR(fake_str(b, "status.message"),
	    "Pod was rejected: spec.imagePullSecrets: not supported");
	cJSON_Delete(b);
	/* a failure is retried */
	fake_answer(q, 500, NULL);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(APIPODS_MAX_BACKOFF_MS * 2);
	apipods_run();
	REQUIRE((q = fake_find("PATCH", POD_STATUS)) != NULL);
	CHECK_STR(phase_of(q), "Failed");
	/* the same uid again while it is tracked: no second patch */
	apipods_refused("default", "web", UID, "spec.imagePullSecrets",
	    "not supported");
	fake_answer(q, 200, "{}");
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	CHECK_EQ_INT(apipods_tracked(), 0);	/* forgotten */
}

TEST(refused_pod_gone_from_the_server_ends)
{
	start();
	apipods_refused("default", "web", UID, "spec.x", "no");
	apipods_run();
	REQUIRE(fake_first() != NULL);
	fake_answer(fake_first(), 404, NULL);
	apipods_run();
	fake_advance_ms(APIPODS_MAX_BACKOFF_MS * 2);
	apipods_run();
	CHECK_EQ_INT(fake_open(), 0);
	CHECK_EQ_INT(apipods_tracked(), 0);
}
