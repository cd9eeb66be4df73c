/*
 * `kubectl events` and `kubectl describe pod` as the reporter prints them:
 * LAST SEEN with "(xN over T)", Kind/name objects, tabwriter columns,
 * escaping of control bytes, the EventList JSON.
 */
#include <stdint.h>

#include "tap.h"
#include "../../workers/reporter/events.h"

#define SEC	1000000000LL
#define T0	(1700000000LL * SEC)

static struct pod_event
ev(const char *kind, const char *name, int type, const char *reason,
    const char *msg, uint32_t count, int64_t first, int64_t last)
{
	struct pod_event e;

	memset(&e, 0, sizeof(e));
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	snprintf(e.namespace, sizeof(e.namespace), "%s",
	    strcmp(kind, "Pod") == 0 ? "default" : "");
	snprintf(e.name, sizeof(e.name), "%s", name);
	snprintf(e.uid, sizeof(e.uid), "%s", "u1");
	e.type = (uint8_t)type;
	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	snprintf(e.message, sizeof(e.message), "%s", msg);
	e.count = count;
	e.first_ns = first;
	e.last_ns = last;
	return e;
}

TEST(test_events_table_as_kubectl_prints_it)
{
	struct pod_event a = ev("Pod", "web-n1", EVENT_NORMAL, "Started",
	    "Started container c", 1, T0, T0);
	struct pod_event b = ev("Pod", "web-n1", EVENT_WARNING, "BackOff",
	    "Back-off restarting failed container c", 3, T0 + 10 * SEC,
	    T0 + 90 * SEC);
	const struct pod_event *v[] = { &b, &a };
	char *t;

	events_sort(v, 2);
	CHECK(v[0] == &a);
	t = events_table(v, 2, T0 + 100 * SEC, 1);
	REQUIRE(t != NULL);
	CHECK_STR(t,
	    "LAST SEEN           TYPE      REASON    OBJECT       MESSAGE\n"
	    "100s                Normal    Started   Pod/web-n1   "
	    "Started container c\n"
	    "10s (x3 over 90s)   Warning   BackOff   Pod/web-n1   "
	    "Back-off restarting failed container c\n");
	free(t);
	t = events_table(v, 1, T0 + 100 * SEC, 0);	/* -w: no header */
	CHECK_STR(t, "100s   Normal   Started   Pod/web-n1   "
	    "Started container c\n");
	free(t);
}

TEST(test_events_table_escapes_control_bytes)
{
	struct pod_event a = ev("Manifest", "x\x1b[2J.yaml", EVENT_WARNING,
	    "InvalidManifest", "bad\tfield\n\x07", 1, T0, T0);
	const struct pod_event *v[] = { &a };
	char *t = events_table(v, 1, T0, 0);

	REQUIRE(t != NULL);
	CHECK(strchr(t, '\x1b') == NULL && strchr(t, '\t') == NULL &&
	    strchr(t, '\x07') == NULL);
	CHECK(strstr(t, "Manifest/x\\x1b[2J.yaml") != NULL);
	CHECK(strstr(t, "bad\\x09field\\x0a\\x07\n") != NULL);
	/* one line: the embedded newline did not start a row */
	CHECK(strchr(t, '\n') == t + strlen(t) - 1);
	free(t);
}

TEST(test_events_list_json_is_a_v1_eventlist)
{
	struct pod_event a = ev("Pod", "web-n1", EVENT_WARNING, "Failed",
	    "Error: x", 2, T0, T0 + SEC);
	const struct pod_event *v[] = { &a };
	cJSON *doc = events_list_json(v, 1, "node1"), *e;

	REQUIRE(doc != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "kind")),
	    "EventList");
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "items"), 0);
	REQUIRE(e != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "type")),
	    "Warning");
	CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "count")), 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e,
	    "firstTimestamp")), "2023-11-14T22:13:20Z");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e,
	    "lastTimestamp")), "2023-11-14T22:13:21Z");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "involvedObject"), "name")), "web-n1");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "source"), "component")), "kubelet");
	cJSON_Delete(doc);
}

TEST(test_describe_pod_layout)
{
	const char *pod =
	    "{\"metadata\":{\"name\":\"web-n1\",\"namespace\":\"default\","
	    "\"labels\":{\"app\":\"web\"}},"
	    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\","
	    "\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"exit 1\"]}]},"
	    "\"status\":{\"phase\":\"Running\",\"startTime\":"
	    "\"2023-11-14T22:13:20Z\",\"qosClass\":\"BestEffort\","
	    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},"
	    "{\"type\":\"PodScheduled\",\"status\":\"True\"}],"
	    "\"containerStatuses\":[{\"name\":\"c\",\"ready\":false,"
	    "\"restartCount\":2,\"image\":\"busybox\",\"imageID\":\"i@sha\","
	    "\"containerID\":\"runc://abc\",\"state\":{\"waiting\":{\"reason\":"
	    "\"CrashLoopBackOff\"}},\"lastState\":{\"terminated\":{\"exitCode\":"
	    "1,\"reason\":\"Error\",\"startedAt\":\"2023-11-14T22:13:20Z\","
	    "\"finishedAt\":\"2023-11-14T22:13:21Z\"}}}]}}";
	struct pod_event a = ev("Pod", "web-n1", EVENT_WARNING, "BackOff",
	    "Back-off", 2, T0, T0 + SEC);
	const struct pod_event *v[] = { &a };
	cJSON *doc = cJSON_Parse(pod);
	char *t;

	REQUIRE(doc != NULL);
	t = events_describe_pod(doc, v, 1, T0 + 61 * SEC);
	REQUIRE(t != NULL);
	CHECK(strncmp(t, "Name:             web-n1\n"
	    "Namespace:        default\n"
	    "Node:             n1\n"
	    "Start Time:       Tue, 14 Nov 2023 22:13:20 +0000\n"
	    "Labels:           app=web\n"
	    "Annotations:      <none>\n"
	    "Status:           Running\n", strlen("Name:             web-n1\n"
	    "Namespace:        default\n"
	    "Node:             n1\n"
	    "Start Time:       Tue, 14 Nov 2023 22:13:20 +0000\n"
	    "Labels:           app=web\n"
	    "Annotations:      <none>\n"
	    "Status:           Running\n")) == 0);
	CHECK(strstr(t, "Containers:\n  c:\n"
	    "    Container ID:   runc://abc\n"
	    "    Image:          busybox\n") != NULL);
	CHECK(strstr(t, "    Command:\n      sh\n      -c\n      exit 1\n")
	    != NULL);
	CHECK(strstr(t, "    State:          Waiting\n"
	    "      Reason:       CrashLoopBackOff\n"
	    "    Last State:     Terminated\n"
	    "      Reason:       Error\n"
	    "      Exit Code:    1\n") != NULL);
	CHECK(strstr(t, "    Ready:          False\n"
	    "    Restart Count:  2\n") != NULL);
	CHECK(strstr(t, "Conditions:\n  Type           Status\n"
	    "  Ready          False\n  PodScheduled   True\n") != NULL);
	CHECK(strstr(t, "Events:\n"
	    "  Type      Reason    Age                 From      Message\n"
	    "  ----      ------    ----                ----      -------\n"
	    "  Warning   BackOff   60s (x2 over 61s)   kubelet   Back-off\n")
	    != NULL);
	if (tap_failed_here)
		fprintf(stderr, "%s", t);
	free(t);
	cJSON_Delete(doc);
}

TEST(test_describe_pod_without_events_says_none)
{
	cJSON *doc = cJSON_Parse("{\"metadata\":{\"name\":\"a\"}}");
	char *t = events_describe_pod(doc, NULL, 0, T0);

	REQUIRE(t != NULL);
	CHECK(strstr(t, "Events:            <none>\n") != NULL);
	free(t);
	cJSON_Delete(doc);
}
