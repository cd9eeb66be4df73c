/*
 * The pod status PATCH body (podpatch.c) against what the kubelet's
 * PatchPodStatus sends: from statuses the reporter builds
 * (podstatus_status_json) and from hand-written ones where the exact
 * bytes of CreateTwoWayMergePatch are known.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pod.h"
#include "podsample.h"
#include "tap.h"
#include "../../workers/reporter/podpatch.h"
#include "../../workers/reporter/podstatus.h"

#define SEC		1000000000LL
#define T0		(1795851222LL * SEC)	/* 2026-11-28T07:33:42Z */
#define UID		"0a1b2c3d-uid"

/* one container "app", waiting, no sandbox yet */
static void
mkpod(struct pod *p, struct pod_report *r)
{
	podsample(p, r, "web", UID, "app", T0);
}

static void
set_running(struct pod_report *r)
{
	struct container_report *c = &r->containers[0];

	r->sandbox_ready = 1;
	c->state = CSTATE_RUNNING;
	c->started_at_ns = T0 + 2 * SEC;
	c->ready = 1;
	c->container_id = tap_strdup("runc://abc123");
	c->image_id = tap_strdup("docker.io/library/busybox@sha256:0123");
}

static cJSON *
status_of(const struct pod *p, const struct pod_report *r, int64_t now)
{
	cJSON *s;

	REQUIRE((s = podstatus_status_json(p, r, now)) != NULL);
	return s;
}

static cJSON *
parse(const char *txt)
{
	cJSON *j;

	REQUIRE((j = cJSON_Parse(txt)) != NULL);
	return j;
}

/* the patch of old -> new (texts; old NULL: none), printed */
static char *
patch_text(const char *old, const char *new)
{
	cJSON *o = old != NULL ? parse(old) : NULL, *n = parse(new), *p;
	char *t;

	REQUIRE((p = podpatch_status(o, n, UID)) != NULL);
	REQUIRE((t = cJSON_PrintUnformatted(p)) != NULL);
	cJSON_Delete(p);
	cJSON_Delete(o);
	cJSON_Delete(n);
	return t;
}

static const cJSON *
cond_patch(const cJSON *patch, const char *type)
{
	const cJSON *c, *t;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(patch, "status"), "conditions")) {
		t = cJSON_GetObjectItemCaseSensitive(c, "type");
		if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
			return c;
	}
	return NULL;
}

TEST(test_unchanged_status_is_uid_only)
{
	struct pod p;
	struct pod_report r;
	cJSON *a, *b, *patch;
	char *t;

	mkpod(&p, &r);
	set_running(&r);
	a = status_of(&p, &r, T0 + 5 * SEC);
	b = status_of(&p, &r, T0 + 9 * SEC);
	REQUIRE((patch = podpatch_status(a, b, UID)) != NULL);
	CHECK(podpatch_is_empty(patch));
	REQUIRE((t = cJSON_PrintUnformatted(patch)) != NULL);
	CHECK_STR(t, "{\"metadata\":{\"uid\":\"" UID "\"}}");
	free(t);
	cJSON_Delete(patch);
	cJSON_Delete(a);
	cJSON_Delete(b);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_first_status_is_whole_status_without_set_order)
{
	struct pod p;
	struct pod_report r;
	cJSON *s, *patch;
	char *t;

	mkpod(&p, &r);
	s = status_of(&p, &r, T0);
	REQUIRE((patch = podpatch_status(NULL, s, UID)) != NULL);
	CHECK(!podpatch_is_empty(patch));
	/* diffMaps adds a key missing from the original as it is */
	REQUIRE((t = cJSON_PrintUnformatted(patch)) != NULL);
	CHECK(strstr(t, "$setElementOrder") == NULL);
	CHECK(strstr(t, "\"metadata\":{\"uid\":\"" UID "\"}") != NULL);
	free(t);
	/* the same as the status, key order aside (the patch's are sorted) */
	CHECK(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(patch, "status"),
	    s, 1));
	cJSON_Delete(patch);
	cJSON_Delete(s);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_container_start_patches_conditions_and_replaces_statuses)
{
	struct pod p;
	struct pod_report r;
	cJSON *a, *b, *patch;
	const cJSON *st, *c, *order;
	char *t;

	mkpod(&p, &r);
	a = status_of(&p, &r, T0);
	set_running(&r);
	b = status_of(&p, &r, T0 + 3 * SEC);
	REQUIRE((patch = podpatch_status(a, b, UID)) != NULL);
	st = cJSON_GetObjectItemCaseSensitive(patch, "status");
	REQUIRE(st != NULL);
	/* Ready and ContainersReady became True: type plus what changed */
	REQUIRE((c = cond_patch(patch, "Ready")) != NULL);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(c, "status")->valuestring,
	    "True");
	CHECK(cond_patch(patch, "ContainersReady") != NULL);
	/* PodScheduled did not change: not in the list */
	CHECK(cond_patch(patch, "PodScheduled") == NULL);
	/* the order of the new list, every type */
	order = cJSON_GetObjectItemCaseSensitive(st,
	    "$setElementOrder/conditions");
	CHECK_EQ_INT(cJSON_GetArraySize(order), cJSON_GetArraySize(
	    cJSON_GetObjectItemCaseSensitive(b, "conditions")));
	REQUIRE((t = cJSON_PrintUnformatted(order)) != NULL);
	CHECK(strstr(t, "{\"type\":\"Ready\"}") != NULL);
	free(t);
	/* containerStatuses has no patch strategy: the whole new list */
	CHECK(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(st,
	    "containerStatuses"), cJSON_GetObjectItemCaseSensitive(b,
	    "containerStatuses"), 1));
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(st, "phase")->valuestring,
	    "Running");
	cJSON_Delete(patch);
	cJSON_Delete(a);
	cJSON_Delete(b);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_pod_ip_appearing_is_added_whole)
{
	struct pod p;
	struct pod_report r;
	cJSON *a, *b, *patch;
	const cJSON *st;

	mkpod(&p, &r);
	set_running(&r);
	a = status_of(&p, &r, T0);
	r.pod_ip = tap_strdup("10.88.0.7");
	b = status_of(&p, &r, T0);
	REQUIRE((patch = podpatch_status(a, b, UID)) != NULL);
	st = cJSON_GetObjectItemCaseSensitive(patch, "status");
	REQUIRE(st != NULL);
	CHECK_EQ_INT(cJSON_GetArraySize(st), 2);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(st, "podIP")->valuestring,
	    "10.88.0.7");
	CHECK(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(st, "podIPs"),
	    cJSON_GetObjectItemCaseSensitive(b, "podIPs"), 1));
	cJSON_Delete(patch);
	cJSON_Delete(a);
	cJSON_Delete(b);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_exact_bytes_condition_transition)
{
	char *t;

	t = patch_text(
	    "{\"phase\":\"Pending\",\"conditions\":["
	    "{\"type\":\"Initialized\",\"status\":\"True\"},"
	    "{\"type\":\"Ready\",\"status\":\"False\","
	    "\"reason\":\"ContainersNotReady\"}]}",
	    "{\"phase\":\"Running\",\"conditions\":["
	    "{\"type\":\"Initialized\",\"status\":\"True\"},"
	    "{\"type\":\"Ready\",\"status\":\"True\"}]}");
	CHECK_STR(t, "{\"metadata\":{\"uid\":\"" UID "\"},\"status\":{"
	    "\"$setElementOrder/conditions\":[{\"type\":\"Initialized\"},"
	    "{\"type\":\"Ready\"}],"
	    "\"conditions\":[{\"reason\":null,\"status\":\"True\","
	    "\"type\":\"Ready\"}],"
	    "\"phase\":\"Running\"}}");
	free(t);
}

TEST(test_removed_field_is_null)
{
	char *t;

	t = patch_text("{\"phase\":\"Failed\",\"reason\":\"NodeAffinity\","
	    "\"message\":\"m\"}", "{\"phase\":\"Failed\"}");
	CHECK_STR(t, "{\"metadata\":{\"uid\":\"" UID "\"},\"status\":{"
	    "\"message\":null,\"reason\":null}}");
	free(t);
}

TEST(test_merge_list_element_gone_is_delete_directive)
{
	char *t;

	/* in key order, as diffListsOfMaps walks the sorted lists */
	t = patch_text("{\"podIPs\":[{\"ip\":\"10.0.0.9\"},{\"ip\":\"fd00::9\"}]}",
	    "{\"podIPs\":[{\"ip\":\"10.0.0.7\"},{\"ip\":\"fd00::9\"}]}");
	CHECK_STR(t, "{\"metadata\":{\"uid\":\"" UID "\"},\"status\":{"
	    "\"$setElementOrder/podIPs\":[{\"ip\":\"10.0.0.7\"},"
	    "{\"ip\":\"fd00::9\"}],"
	    "\"podIPs\":[{\"ip\":\"10.0.0.7\"},"
	    "{\"$patch\":\"delete\",\"ip\":\"10.0.0.9\"}]}}");
	free(t);
}

TEST(test_merge_list_order_change_is_set_order_only)
{
	char *t;

	t = patch_text("{\"hostIPs\":[{\"ip\":\"a\"},{\"ip\":\"b\"}]}",
	    "{\"hostIPs\":[{\"ip\":\"b\"},{\"ip\":\"a\"}]}");
	CHECK_STR(t, "{\"metadata\":{\"uid\":\"" UID "\"},\"status\":{"
	    "\"$setElementOrder/hostIPs\":[{\"ip\":\"b\"},{\"ip\":\"a\"}]}}");
	free(t);
}

TEST(test_atomic_list_replaced_whole)
{
	char *t;

	t = patch_text("{\"containerStatuses\":[{\"name\":\"a\",\"ready\":false,"
	    "\"restartCount\":0}]}",
	    "{\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,"
	    "\"restartCount\":0}]}");
	CHECK_STR(t, "{\"metadata\":{\"uid\":\"" UID "\"},\"status\":{"
	    "\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,"
	    "\"restartCount\":0}]}}");
	free(t);
}

TEST(test_nested_object_merged_and_type_change_replaced)
{
	char *t;

	t = patch_text("{\"x\":{\"a\":1,\"b\":2},\"y\":\"s\"}",
	    "{\"x\":{\"a\":1,\"b\":3},\"y\":{\"k\":true}}");
	CHECK_STR(t, "{\"metadata\":{\"uid\":\"" UID "\"},\"status\":{"
	    "\"x\":{\"b\":3},\"y\":{\"k\":true}}}");
	free(t);
}

TEST(test_merge_list_element_without_key_refused)
{
	cJSON *o = parse("{\"conditions\":[{\"status\":\"True\"}]}");
	cJSON *n = parse("{\"conditions\":[]}");

	CHECK(podpatch_status(o, n, UID) == NULL);
	cJSON_Delete(o);
	cJSON_Delete(n);
}
