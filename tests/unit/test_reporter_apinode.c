/*
 * The reporter's Node and Lease requests (apinode.c) against a scripted
 * API client (apifake.h): register or adopt the Node, its status PATCH
 * when it changes and every 5 minutes, the Lease created with its owner
 * and renewed every 10 s with the last resourceVersion, conflicts read
 * again, failures retried with backoff and at once when the server
 * answers again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "apifake.h"
#include "nodefacts.h"
#include "nodefacts_sample.h"
#include "tap.h"
#include "../../workers/reporter/apinode.h"

#define NODE		"n1"
#define NODE_UID	"6f1c2d3e-0000-4000-8000-00000000node"
#define LEASES		"/apis/coordination.k8s.io/v1/namespaces/" \
			"kube-node-lease/leases"

static struct node_conf nc = { NODE, "10.0.0.5,fd00::5", 110 };

static struct event_base *base;

static void
start(void)
{
	struct node_facts f;

	fake_init();
	REQUIRE((base = event_base_new()) != NULL);
	apinode_init(base, &nc);
	nodefacts_sample(&f, fake_wall);
	apinode_start();
	apinode_run();
	/* nothing before the facts */
	CHECK_EQ_INT(fake_open(), 0);
	apinode_facts(&f);
	apinode_run();
}

static const char *
uid_body(void)
{
	return "{\"kind\":\"Node\",\"metadata\":{\"name\":\"" NODE "\","
	    "\"uid\":\"" NODE_UID "\"}}";
}

static const char *
lease_body(const char *rv)
{
	static char b[512];

	snprintf(b, sizeof(b), "{\"apiVersion\":\"coordination.k8s.io/v1\","
	    "\"kind\":\"Lease\",\"metadata\":{\"name\":\"" NODE "\","
	    "\"namespace\":\"kube-node-lease\",\"resourceVersion\":\"%s\","
	    "\"labels\":{\"keep\":\"me\"},\"ownerReferences\":[{\"apiVersion\":"
	    "\"v1\",\"kind\":\"Node\",\"name\":\"" NODE "\",\"uid\":\""
	    NODE_UID "\"}]},\"spec\":{\"holderIdentity\":\"" NODE "\","
	    "\"leaseDurationSeconds\":40}}", rv);
	return b;
}

/* the Node registered; the status PATCH and the lease POST answered */
static void
registered(const char *rv)
{
	start();
	fake_answer(fake_find("POST", "/api/v1/nodes"), 201, uid_body());
	apinode_run();
	fake_answer(fake_find("PATCH", "/api/v1/nodes/" NODE "/status"), 200,
	    uid_body());
	fake_answer(fake_find("POST", LEASES), 201, lease_body(rv));
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
}

static const cJSON *
condition(const cJSON *status, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, fake_item(status, "conditions"))
		if (strcmp(fake_str(c, "type"), type) == 0)
			return c;
	return NULL;
}

TEST(node_created_then_status_and_lease)
{
	struct fake_req *r;
	const cJSON *c, *a;
	cJSON *b;

	start();
	REQUIRE((r = fake_first()) != NULL);
	CHECK_STR(r->method, "POST");
	CHECK_STR(r->path, "/api/v1/nodes");
	CHECK_STR(r->client, "node");
	b = fake_body(r);
	CHECK_STR(fake_str(b, "kind"), "Node");
	CHECK_STR(fake_str(b, "metadata.name"), NODE);
	CHECK(fake_item(b, "metadata.creationTimestamp") == NULL);
	CHECK_STR(fake_str(b, "status.capacity.pods"), "110");
	CHECK_STR(fake_str(b, "status.nodeInfo.kernelVersion"), "6.1.0");
	cJSON_Delete(b);
	CHECK(apinode_uid() == NULL);
	/* one Node request at a time */
	apinode_run();
	CHECK_EQ_INT(fake_open(), 1);
	fake_answer(r, 201, uid_body());
	CHECK_STR(apinode_uid(), NODE_UID);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 2);

	REQUIRE((r = fake_find("PATCH", "/api/v1/nodes/" NODE "/status")) !=
	    NULL);
	CHECK_STR(r->ctype, "application/strategic-merge-patch+json");
	b = fake_body(r);
	REQUIRE((c = condition(fake_item(b, "status"), "Ready")) != NULL);
	CHECK_STR(fake_str(c, "status"), "True");
	CHECK_STR(fake_str(c, "reason"), "KubeletReady");
	CHECK_STR(fake_str(c, "message"), "agentd is posting ready status");
	CHECK_STR(fake_str(c, "lastHeartbeatTime"), "2026-11-28T07:33:42Z");
	CHECK_STR(fake_str(c, "lastTransitionTime"), "2026-11-28T07:32:42Z");
	CHECK(condition(fake_item(b, "status"), "MemoryPressure") != NULL);
	CHECK(condition(fake_item(b, "status"), "DiskPressure") != NULL);
	CHECK(condition(fake_item(b, "status"), "PIDPressure") != NULL);
	/* the address list replaces the server's (two InternalIPs) */
	a = fake_item(b, "status.addresses");
	CHECK_EQ_INT(cJSON_GetArraySize(a), 4);
	CHECK_STR(fake_str(cJSON_GetArrayItem(a, 0), "$patch"), "replace");
	CHECK_STR(fake_str(cJSON_GetArrayItem(a, 1), "address"), "10.0.0.5");
	CHECK_STR(fake_str(cJSON_GetArrayItem(a, 2), "address"), "fd00::5");
	CHECK_STR(fake_str(cJSON_GetArrayItem(a, 3), "type"), "Hostname");
	CHECK(fake_item(b, "status.daemonEndpoints.kubeletEndpoint") != NULL);
	CHECK_STR(fake_str(b, "status.allocatable.cpu"), "2");
	cJSON_Delete(b);

	REQUIRE((r = fake_find("POST", LEASES)) != NULL);
	CHECK_STR(r->ctype, "application/json");
	b = fake_body(r);
	CHECK_STR(fake_str(b, "apiVersion"), "coordination.k8s.io/v1");
	CHECK_STR(fake_str(b, "kind"), "Lease");
	CHECK_STR(fake_str(b, "metadata.name"), NODE);
	CHECK_STR(fake_str(b, "metadata.namespace"), "kube-node-lease");
	CHECK_STR(fake_str(b, "spec.holderIdentity"), NODE);
	CHECK_EQ_INT(fake_item(b, "spec.leaseDurationSeconds")->valueint, 40);
	CHECK_STR(fake_str(b, "spec.renewTime"),
	    "2026-11-28T07:33:42.123456Z");
	a = cJSON_GetArrayItem(fake_item(b, "metadata.ownerReferences"), 0);
	CHECK_STR(fake_str(a, "apiVersion"), "v1");
	CHECK_STR(fake_str(a, "kind"), "Node");
	CHECK_STR(fake_str(a, "name"), NODE);
	CHECK_STR(fake_str(a, "uid"), NODE_UID);
	cJSON_Delete(b);
}

TEST(node_exists_is_adopted)
{
	struct fake_req *r;

	start();
	fake_answer(fake_find("POST", "/api/v1/nodes"), 409,
	    "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\"}");
	CHECK(apinode_uid() == NULL);
	apinode_run();
	REQUIRE((r = fake_first()) != NULL);
	CHECK_STR(r->method, "GET");
	CHECK_STR(r->path, "/api/v1/nodes/" NODE);
	CHECK_EQ_INT(r->body_len, 0);
	fake_answer(r, 200, uid_body());
	CHECK_STR(apinode_uid(), NODE_UID);
	apinode_run();
	CHECK(fake_find("PATCH", "/api/v1/nodes/" NODE "/status") != NULL);
	CHECK(fake_find("POST", LEASES) != NULL);
	/* no second create */
	CHECK(fake_find("POST", "/api/v1/nodes") == NULL);
}

TEST(node_create_failure_backs_off)
{
	start();
	fake_answer(fake_find("POST", "/api/v1/nodes"), 0, NULL);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(APINODE_MIN_BACKOFF_MS - 1);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	/* the jitter adds at most 20 % */
	fake_advance_ms(APINODE_MIN_BACKOFF_MS / 5 + 1);
	apinode_run();
	CHECK(fake_find("POST", "/api/v1/nodes") != NULL);
}

TEST(lease_renewed_every_10s_with_resource_version)
{
	struct fake_req *r;
	cJSON *b;

	registered("41");
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000 - 1);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(1);
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	CHECK_EQ_INT(fake_open(), 1);
	b = fake_body(r);
	CHECK_STR(fake_str(b, "metadata.resourceVersion"), "41");
	/* what others set on the object stays */
	CHECK_STR(fake_str(b, "metadata.labels.keep"), "me");
	CHECK_STR(fake_str(b, "spec.holderIdentity"), NODE);
	CHECK_STR(fake_str(b, "spec.renewTime"), "2026-11-28T07:33:52.123456Z");
	cJSON_Delete(b);
	fake_answer(r, 200, lease_body("42"));
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	CHECK_STR(fake_body_str(r, "metadata.resourceVersion"), "42");
}

TEST(lease_conflict_reads_again_and_renews)
{
	struct fake_req *r;

	registered("41");
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
	apinode_run();
	fake_answer(fake_find("PUT", LEASES "/" NODE), 409,
	    "{\"kind\":\"Status\",\"reason\":\"Conflict\"}");
	apinode_run();
	REQUIRE((r = fake_find("GET", LEASES "/" NODE)) != NULL);
	fake_answer(r, 200, lease_body("77"));
	/* the renewal follows the read at once */
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	CHECK_STR(fake_body_str(r, "metadata.resourceVersion"), "77");
}

TEST(lease_create_conflict_reads_it)
{
	struct fake_req *r;

	start();
	fake_answer(fake_find("POST", "/api/v1/nodes"), 201, uid_body());
	apinode_run();
	fake_answer(fake_find("POST", LEASES), 409,
	    "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\"}");
	apinode_run();
	fake_answer(fake_find("GET", LEASES "/" NODE), 200, lease_body("9"));
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	CHECK_STR(fake_body_str(r, "metadata.resourceVersion"), "9");
}

TEST(lease_failure_retried_with_backoff_and_at_once_on_answer)
{
	struct fake_req *r;

	registered("41");
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
	apinode_run();
	fake_answer(fake_find("PUT", LEASES "/" NODE), 0, NULL);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(APINODE_MIN_BACKOFF_MS * 6 / 5 + 1);
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	fake_answer(r, 503, "{\"kind\":\"Status\",\"message\":\"down\"}");
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	/* the second wait doubles: not yet after the first's */
	fake_advance_ms(APINODE_MIN_BACKOFF_MS * 6 / 5 + 1);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(APINODE_MIN_BACKOFF_MS * 2);
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	/* unreachable: the wait grows to its bound ... */
	fake_answer(r, 0, NULL);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	/* ... but ends when the server answers something else */
	apinode_server_answered();
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	fake_answer(r, 200, lease_body("50"));
	/* and the next renewal is 10 s after this one */
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000 - 1);
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
}

TEST(lease_gone_is_created_again)
{
	registered("41");
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
	apinode_run();
	fake_answer(fake_find("PUT", LEASES "/" NODE), 404,
	    "{\"kind\":\"Status\",\"reason\":\"NotFound\"}");
	apinode_run();
	CHECK(fake_find("POST", LEASES) != NULL);
}

TEST(node_status_when_changed_and_every_5_minutes)
{
	struct fake_req *r;
	const cJSON *c;
	cJSON *b;

	registered("41");
	/* renewals go on; no status PATCH while nothing changed */
	while (fake_mono < 1000000 + (APINODE_STATUS_REPORT_S - 10) * 1000LL) {
		fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
		apinode_run();
		if ((r = fake_find("PUT", LEASES "/" NODE)) != NULL)
			fake_answer(r, 200, lease_body("43"));
		CHECK(fake_find("PATCH", NULL) == NULL);
	}
	fake_advance_ms(10 * 1000);
	apinode_run();
	REQUIRE((r = fake_find("PATCH", "/api/v1/nodes/" NODE "/status")) !=
	    NULL);
	fake_answer(r, 200, uid_body());

	/* a change goes at once: the network hook makes it NotReady */
	fake_advance_ms(1000);
	apinode_set_network_ready(0, "network plugin not ready: no CNI "
	    "configuration");
	apinode_run();
	REQUIRE((r = fake_find("PATCH", "/api/v1/nodes/" NODE "/status")) !=
	    NULL);
	b = fake_body(r);
	REQUIRE((c = condition(fake_item(b, "status"), "Ready")) != NULL);
	CHECK_STR(fake_str(c, "status"), "False");
	CHECK_STR(fake_str(c, "reason"), "KubeletNotReady");
	CHECK_STR(fake_str(c, "message"), "network plugin not ready: no CNI "
	    "configuration");
	CHECK_STR(fake_str(c, "lastTransitionTime"), fake_str(c,
	    "lastHeartbeatTime"));
	cJSON_Delete(b);
	/* a failed PATCH is retried, still NotReady */
	fake_answer(r, 500, NULL);
	apinode_run();
	CHECK(fake_find("PATCH", NULL) == NULL);
	fake_advance_ms(APINODE_MIN_BACKOFF_MS * 2);
	apinode_run();
	REQUIRE((r = fake_find("PATCH", "/api/v1/nodes/" NODE "/status")) !=
	    NULL);
	b = fake_body(r);
	CHECK_STR(fake_str(condition(fake_item(b, "status"), "Ready"),
	    "status"), "False");
	cJSON_Delete(b);
	fake_answer(r, 200, uid_body());
	apinode_run();
	CHECK(fake_find("PATCH", NULL) == NULL);
	/* the same again is no change */
	apinode_set_network_ready(0, "network plugin not ready: no CNI "
	    "configuration");
	apinode_run();
	CHECK(fake_find("PATCH", NULL) == NULL);
	apinode_set_network_ready(1, NULL);
	apinode_run();
	REQUIRE((r = fake_find("PATCH", "/api/v1/nodes/" NODE "/status")) !=
	    NULL);
	b = fake_body(r);
	CHECK_STR(fake_str(condition(fake_item(b, "status"), "Ready"),
	    "status"), "True");
	cJSON_Delete(b);
}

TEST(node_deleted_is_registered_again)
{
	registered("41");
	apinode_set_network_ready(0, "x");
	apinode_run();
	fake_answer(fake_find("PATCH", "/api/v1/nodes/" NODE "/status"), 404,
	    "{\"kind\":\"Status\",\"reason\":\"NotFound\"}");
	CHECK(apinode_uid() == NULL);
	apinode_run();
	CHECK(fake_find("POST", "/api/v1/nodes") != NULL);
}

TEST(request_not_queued_is_retried)
{
	fake_refuse = 1;
	start();
	CHECK_EQ_INT(fake_open(), 0);
	fake_refuse = 0;
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(APINODE_MIN_BACKOFF_MS * 2);
	apinode_run();
	CHECK(fake_find("POST", "/api/v1/nodes") != NULL);
}

TEST(no_busy_loop_while_waiting_for_answers)
{
	registered("41");
	/* the renewal is due and out, and so is a status PATCH */
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
	apinode_set_network_ready(0, "x");
	apinode_run();
	CHECK_EQ_INT(fake_open(), 2);
	/* the kick fires once; nothing after while both wait */
	fake_loop(base, 1);
	CHECK_EQ_INT(fake_loop(base, 20), 0);
	/* a failure waits out its backoff, not in a loop either */
	fake_answer(fake_find("PUT", LEASES "/" NODE), 0, NULL);
	fake_loop(base, 1);
	CHECK_EQ_INT(fake_loop(base, 20), 0);
	CHECK_EQ_INT(fake_open(), 1);
}

TEST(answer_inside_the_request_is_taken)
{
	struct fake_req *r;

	fake_sync_status = 201;
	fake_sync_body = uid_body();
	start();
	CHECK_STR(apinode_uid(), NODE_UID);
	fake_answer(fake_find("POST", LEASES), 201, lease_body("3"));
	apinode_run();
	fake_answer(fake_find("PATCH", "/api/v1/nodes/" NODE "/status"), 200,
	    uid_body());
	/* a renewal answered inside its PUT */
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
	fake_sync_status = 200;
	fake_sync_body = lease_body("4");
	apinode_run();
	CHECK_EQ_INT(fake_open(), 0);
	fake_advance_ms(APINODE_LEASE_RENEW_S * 1000);
	apinode_run();
	REQUIRE((r = fake_find("PUT", LEASES "/" NODE)) != NULL);
	CHECK_STR(fake_body_str(r, "metadata.resourceVersion"), "4");
}
