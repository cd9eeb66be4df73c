/*
 * PodStatus and the kubectl table from constructed pods and reports:
 * phases, conditions, container statuses, JSON shape (parsed back with
 * cJSON), time and duration formatting, table layout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pod.h"
#include "podschema.h"
#include "tap.h"
#include "../../workers/reporter/podstatus.h"

#define SEC		1000000000LL
#define T0		(1795851222LL * SEC)	/* 2026-11-28T07:33:42Z */
#define T0_STR		"2026-11-28T07:33:42Z"

/* --- construction --- */

/* names: space-separated container names, in spec order */
static void
mkpod(struct pod *p, const char *ns, const char *name, const char *names)
{
	char buf[256], *tok, *save = NULL;
	struct container_spec *c;

	pod_init(p);
	p->namespace = tap_strdup(ns);
	p->name = tap_strdup(name);
	p->uid = tap_strdup("0a1b2c3d-uid");
	p->containers = calloc(POD_MAX_CONTAINERS, sizeof(*p->containers));
	REQUIRE(p->containers != NULL);
	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		c = &p->containers[p->n_containers++];
		container_spec_init(c);
		c->name = tap_strdup(tok);
		c->image = tap_strdup("busybox:1.36");
	}
}

/* a report with one entry per spec container, all waiting, no sandbox */
static void
mkrep(struct pod_report *r, const struct pod *p)
{
	uint32_t i;

	pod_report_init(r);
	r->start_time_ns = T0;
	r->containers = calloc(p->n_containers, sizeof(*r->containers));
	REQUIRE(r->containers != NULL);
	for (i = 0; i < p->n_containers; i++) {
		r->containers[i].name = tap_strdup(p->containers[i].name);
		r->containers[i].image = tap_strdup(p->containers[i].image);
	}
	r->n_containers = p->n_containers;
}

static void
set_running(struct container_report *c, int ready)
{
	c->state = CSTATE_RUNNING;
	c->started_at_ns = T0 + 2 * SEC;
	c->ready = ready;
	c->container_id = tap_strdup("runc://abc123");
	c->image_id = tap_strdup("docker.io/library/busybox@sha256:0123");
}

static void
set_terminated(struct container_report *c, int exit_code, const char *reason)
{
	c->state = CSTATE_TERMINATED;
	c->exit_code = exit_code;
	c->started_at_ns = T0 + 2 * SEC;
	c->finished_at_ns = T0 + 9 * SEC;
	if (reason != NULL)
		c->reason = tap_strdup(reason);
}

static void
set_waiting(struct container_report *c, const char *reason)
{
	c->state = CSTATE_WAITING;
	if (reason != NULL)
		c->reason = tap_strdup(reason);
}

static void
set_last(struct container_report *c, int exit_code, int64_t finished)
{
	c->has_last = 1;
	c->last_term.exit_code = exit_code;
	c->last_term.reason = tap_strdup(exit_code ? "Error" : "Completed");
	c->last_term.started_at_ns = finished - 5 * SEC;
	c->last_term.finished_at_ns = finished;
	c->last_term.container_id = tap_strdup("runc://old");
}

static void
set_denied(struct pod_report *r, const char *reason, const char *msg)
{
	r->denied = 1;
	r->reason = tap_strdup(reason);
	r->message = tap_strdup(msg);
}

/* --- JSON access --- */

static const char *
jstr(const cJSON *o, const char *path)
{
	char buf[256], *tok, *save = NULL;
	const cJSON *cur = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && cur != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (*tok >= '0' && *tok <= '9')
			cur = cJSON_GetArrayItem(cur, atoi(tok));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	}
	return cur != NULL && cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static const cJSON *
jget(const cJSON *o, const char *path)
{
	char buf[256], *tok, *save = NULL;
	const cJSON *cur = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && cur != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (*tok >= '0' && *tok <= '9')
			cur = cJSON_GetArrayItem(cur, atoi(tok));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	}
	return cur;
}

static double
jnum(const cJSON *o, const char *path)
{
	const cJSON *j = jget(o, path);

	return j != NULL && cJSON_IsNumber(j) ? j->valuedouble : -12345;
}

/* -1 missing, 0 false, 1 true */
static int
jbool(const cJSON *o, const char *path)
{
	const cJSON *j = jget(o, path);

	if (j == NULL || !cJSON_IsBool(j))
		return -1;
	return cJSON_IsTrue(j);
}

/* status JSON printed and parsed back, as a consumer would see it */
static cJSON *
status_roundtrip(const struct pod *p, const struct pod_report *r)
{
	cJSON *s, *back;
	char *txt;

	REQUIRE((s = podstatus_status_json(p, r, T0)) != NULL);
	REQUIRE((txt = cJSON_PrintUnformatted(s)) != NULL);
	back = cJSON_Parse(txt);
	REQUIRE(back != NULL);
	free(txt);
	cJSON_Delete(s);
	return back;
}

static const cJSON *
condition(const cJSON *st, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, jget(st, "conditions"))
		if (jstr(c, "type") != NULL && strcmp(jstr(c, "type"), type) == 0)
			return c;
	return NULL;
}

/* --- phase --- */

TEST(test_phase_pending_without_report)
{
	struct pod p;

	mkpod(&p, "default", "web", "app");
	CHECK_STR(podstatus_phase(&p, NULL), "Pending");
	pod_free(&p);
}

TEST(test_phase_pending_while_a_container_waits_to_start)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app side");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	set_waiting(&r.containers[1], "ContainerCreating");
	CHECK_STR(podstatus_phase(&p, &r), "Pending");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_pending_when_report_lacks_a_container)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app side");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	r.n_containers = 1;	/* "side" never reported */
	CHECK_STR(podstatus_phase(&p, &r), "Pending");
	r.n_containers = 2;
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_running_when_all_started)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app side");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	set_terminated(&r.containers[1], 0, "Completed");
	CHECK_STR(podstatus_phase(&p, &r), "Running");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_succeeded_when_all_exit_0_and_not_always)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "job", "a b");
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	set_terminated(&r.containers[1], 0, "Completed");
	p.restart_policy = RESTART_NEVER;
	CHECK_STR(podstatus_phase(&p, &r), "Succeeded");
	p.restart_policy = RESTART_ON_FAILURE;
	CHECK_STR(podstatus_phase(&p, &r), "Succeeded");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_running_when_all_exited_under_always)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	CHECK_STR(podstatus_phase(&p, &r), "Running");	/* restarting */
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_failed_when_one_fails_under_never)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "job", "a b");
	p.restart_policy = RESTART_NEVER;
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	set_terminated(&r.containers[1], 1, "Error");
	CHECK_STR(podstatus_phase(&p, &r), "Failed");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_running_when_one_fails_under_on_failure)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "job", "a b");
	p.restart_policy = RESTART_ON_FAILURE;
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	set_terminated(&r.containers[1], 1, "Error");
	CHECK_STR(podstatus_phase(&p, &r), "Running");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_running_in_crash_loop)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_waiting(&r.containers[0], "CrashLoopBackOff");
	set_last(&r.containers[0], 1, T0 + 30 * SEC);
	r.containers[0].restart_count = 4;
	CHECK_STR(podstatus_phase(&p, &r), "Running");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_phase_denied_pod_is_failed)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);	/* ignored: never started */
	set_denied(&r, "NodePolicyDenied", "privileged");
	CHECK_STR(podstatus_phase(&p, &r), "Failed");
	pod_report_free(&r);
	pod_free(&p);
}

/* --- conditions --- */

TEST(test_conditions_in_kubelet_order_when_ready)
{
	static const char *const want[] = { "PodReadyToStartContainers",
	    "Initialized", "Ready", "ContainersReady", "PodScheduled" };
	struct pod p;
	struct pod_report r;
	const cJSON *c;
	cJSON *st;
	int i = 0;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	r.sandbox_ready = 1;
	set_running(&r.containers[0], 1);
	st = status_roundtrip(&p, &r);
	CHECK_EQ_INT(cJSON_GetArraySize(jget(st, "conditions")), 5);
	cJSON_ArrayForEach(c, jget(st, "conditions")) {
		CHECK_STR(jstr(c, "type"), want[i]);
		CHECK_STR(jstr(c, "status"), "True");
		CHECK(cJSON_IsNull(jget(c, "lastProbeTime")));
		CHECK_STR(jstr(c, "lastTransitionTime"), T0_STR);
		CHECK(jget(c, "reason") == NULL);
		i++;
	}
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_condition_ready_to_start_follows_sandbox)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(condition(st, "PodReadyToStartContainers"), "status"),
	    "False");
	cJSON_Delete(st);
	r.sandbox_ready = 1;
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(condition(st, "PodReadyToStartContainers"), "status"),
	    "True");
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_condition_not_ready_lists_containers_in_spec_order)
{
	struct pod p;
	struct pod_report r;
	const cJSON *ready, *cready;
	cJSON *st;

	mkpod(&p, "default", "web", "zeta mid alpha");
	mkrep(&r, &p);
	set_running(&r.containers[0], 0);	/* running, not ready */
	set_running(&r.containers[1], 1);
	set_waiting(&r.containers[2], NULL);
	st = status_roundtrip(&p, &r);
	ready = condition(st, "Ready");
	cready = condition(st, "ContainersReady");
	CHECK_STR(jstr(ready, "status"), "False");
	CHECK_STR(jstr(ready, "reason"), "ContainersNotReady");
	CHECK_STR(jstr(ready, "message"),
	    "containers with unready status: [zeta alpha]");
	CHECK_STR(jstr(cready, "status"), "False");
	CHECK_STR(jstr(cready, "reason"), "ContainersNotReady");
	CHECK_STR(jstr(cready, "message"),
	    "containers with unready status: [zeta alpha]");
	CHECK_STR(jstr(condition(st, "Initialized"), "status"), "True");
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_conditions_of_succeeded_pod)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "job", "a");
	p.restart_policy = RESTART_NEVER;
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "phase"), "Succeeded");
	CHECK_STR(jstr(condition(st, "Initialized"), "status"), "True");
	CHECK_STR(jstr(condition(st, "Initialized"), "reason"),
	    "PodCompleted");
	CHECK_STR(jstr(condition(st, "Ready"), "status"), "False");
	CHECK_STR(jstr(condition(st, "Ready"), "reason"), "PodCompleted");
	CHECK_STR(jstr(condition(st, "ContainersReady"), "reason"),
	    "PodCompleted");
	CHECK(jget(condition(st, "Ready"), "message") == NULL);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_conditions_of_failed_pod)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "job", "a");
	p.restart_policy = RESTART_NEVER;
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 2, "Error");
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "phase"), "Failed");
	CHECK_STR(jstr(condition(st, "Ready"), "status"), "False");
	CHECK_STR(jstr(condition(st, "Ready"), "reason"), "PodFailed");
	CHECK_STR(jstr(condition(st, "ContainersReady"), "reason"),
	    "PodFailed");
	CHECK(jget(condition(st, "Initialized"), "reason") == NULL);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_condition_times_null_without_start_time)
{
	struct pod p;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	st = status_roundtrip(&p, NULL);
	CHECK(cJSON_IsNull(jget(condition(st, "Ready"),
	    "lastTransitionTime")));
	CHECK(cJSON_IsNull(jget(st, "startTime")));
	cJSON_Delete(st);
	pod_free(&p);
}

/* --- container statuses --- */

TEST(test_container_statuses_sorted_by_name)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "web", "web sidecar app");
	mkrep(&r, &p);
	st = status_roundtrip(&p, &r);
	CHECK_EQ_INT(cJSON_GetArraySize(jget(st, "containerStatuses")), 3);
	CHECK_STR(jstr(st, "containerStatuses.0.name"), "app");
	CHECK_STR(jstr(st, "containerStatuses.1.name"), "sidecar");
	CHECK_STR(jstr(st, "containerStatuses.2.name"), "web");
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_running_container_status_fields)
{
	struct pod p;
	struct pod_report r;
	const cJSON *cs;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	r.containers[0].restart_count = 2;
	st = status_roundtrip(&p, &r);
	cs = jget(st, "containerStatuses.0");
	CHECK_STR(jstr(cs, "name"), "app");
	CHECK_STR(jstr(cs, "image"), "busybox:1.36");
	CHECK_STR(jstr(cs, "imageID"),
	    "docker.io/library/busybox@sha256:0123");
	CHECK_STR(jstr(cs, "containerID"), "runc://abc123");
	CHECK_EQ_INT(jbool(cs, "ready"), 1);
	CHECK_EQ_INT(jbool(cs, "started"), 1);
	CHECK_EQ_INT(jnum(cs, "restartCount"), 2);
	CHECK_STR(jstr(cs, "state.running.startedAt"),
	    "2026-11-28T07:33:44Z");
	CHECK_EQ_INT(cJSON_GetArraySize(jget(cs, "state")), 1);
	CHECK(cJSON_IsObject(jget(cs, "lastState")));
	CHECK_EQ_INT(cJSON_GetArraySize(jget(cs, "lastState")), 0);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_unreported_container_waits_creating)
{
	struct pod p;
	const cJSON *cs;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	st = status_roundtrip(&p, NULL);
	cs = jget(st, "containerStatuses.0");
	CHECK_STR(jstr(cs, "state.waiting.reason"), "ContainerCreating");
	CHECK_STR(jstr(cs, "imageID"), "");
	CHECK(jget(cs, "containerID") == NULL);
	CHECK_EQ_INT(jbool(cs, "ready"), 0);
	CHECK_EQ_INT(jbool(cs, "started"), 0);
	CHECK_EQ_INT(jnum(cs, "restartCount"), 0);
	cJSON_Delete(st);
	pod_free(&p);
}

TEST(test_ready_requires_running)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	r.containers[0].ready = 1;	/* stale flag from the executor */
	st = status_roundtrip(&p, &r);
	CHECK_EQ_INT(jbool(st, "containerStatuses.0.ready"), 0);
	CHECK_EQ_INT(jbool(st, "containerStatuses.0.started"), 0);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_terminated_container_status_fields)
{
	struct pod p;
	struct pod_report r;
	const cJSON *t;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 137, "OOMKilled");
	r.containers[0].message = tap_strdup("out of memory");
	r.containers[0].container_id = tap_strdup("runc://dead");
	st = status_roundtrip(&p, &r);
	t = jget(st, "containerStatuses.0.state.terminated");
	REQUIRE(t != NULL);
	CHECK_EQ_INT(jnum(t, "exitCode"), 137);
	CHECK(jget(t, "signal") == NULL);
	CHECK_STR(jstr(t, "reason"), "OOMKilled");
	CHECK_STR(jstr(t, "message"), "out of memory");
	CHECK_STR(jstr(t, "startedAt"), "2026-11-28T07:33:44Z");
	CHECK_STR(jstr(t, "finishedAt"), "2026-11-28T07:33:51Z");
	CHECK_STR(jstr(t, "containerID"), "runc://dead");
	cJSON_Delete(st);
	r.containers[0].signal = 9;
	st = status_roundtrip(&p, &r);
	CHECK_EQ_INT(jnum(st, "containerStatuses.0.state.terminated.signal"),
	    9);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_last_state_terminated)
{
	struct pod p;
	struct pod_report r;
	const cJSON *l;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	set_last(&r.containers[0], 1, T0 + 60 * SEC);
	r.containers[0].restart_count = 1;
	st = status_roundtrip(&p, &r);
	l = jget(st, "containerStatuses.0.lastState.terminated");
	REQUIRE(l != NULL);
	CHECK_EQ_INT(jnum(l, "exitCode"), 1);
	CHECK_STR(jstr(l, "reason"), "Error");
	CHECK_STR(jstr(l, "finishedAt"), "2026-11-28T07:34:42Z");
	CHECK_STR(jstr(l, "startedAt"), "2026-11-28T07:34:37Z");
	CHECK_STR(jstr(l, "containerID"), "runc://old");
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_waiting_after_restart_without_reason_has_none)
{
	struct pod p;
	struct pod_report r;
	const cJSON *w;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_waiting(&r.containers[0], NULL);
	set_last(&r.containers[0], 0, T0 + 10 * SEC);
	st = status_roundtrip(&p, &r);
	w = jget(st, "containerStatuses.0.state.waiting");
	REQUIRE(w != NULL);
	CHECK(jget(w, "reason") == NULL);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_waiting_reason_and_message_from_report)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_waiting(&r.containers[0], "ErrImageNeverPull");
	r.containers[0].message = tap_strdup("image not present");
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "containerStatuses.0.state.waiting.reason"),
	    "ErrImageNeverPull");
	CHECK_STR(jstr(st, "containerStatuses.0.state.waiting.message"),
	    "image not present");
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

/* --- status object --- */

TEST(test_status_addresses_and_start_time)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	r.host_ip = tap_strdup("192.168.1.10");
	r.pod_ip = tap_strdup("10.88.0.7");
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "hostIP"), "192.168.1.10");
	CHECK_STR(jstr(st, "hostIPs.0.ip"), "192.168.1.10");
	CHECK_STR(jstr(st, "podIP"), "10.88.0.7");
	CHECK_STR(jstr(st, "podIPs.0.ip"), "10.88.0.7");
	CHECK_EQ_INT(cJSON_GetArraySize(jget(st, "podIPs")), 1);
	CHECK_STR(jstr(st, "startTime"), T0_STR);
	CHECK_STR(jstr(st, "qosClass"), "BestEffort");
	CHECK(jget(st, "reason") == NULL);
	CHECK(jget(st, "message") == NULL);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_host_network_pod_uses_host_ip)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "kube-system", "proxy", "app");
	p.host_network = 1;
	mkrep(&r, &p);
	r.host_ip = tap_strdup("192.168.1.10");
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "podIP"), "192.168.1.10");
	CHECK_STR(jstr(st, "podIPs.0.ip"), "192.168.1.10");
	cJSON_Delete(st);
	p.host_network = 0;
	st = status_roundtrip(&p, &r);
	CHECK(jget(st, "podIP") == NULL);
	CHECK(jget(st, "podIPs") == NULL);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_denied_status)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_denied(&r, "NodePolicyDenied",
	    "privileged: container app is privileged");
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "phase"), "Failed");
	CHECK_STR(jstr(st, "reason"), "NodePolicyDenied");
	CHECK_STR(jstr(st, "message"),
	    "Pod was rejected: privileged: container app is privileged");
	CHECK_STR(jstr(st, "startTime"), T0_STR);
	CHECK(jget(st, "conditions") == NULL);
	CHECK(jget(st, "containerStatuses") == NULL);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_qos_classes)
{
	struct pod p;

	mkpod(&p, "default", "web", "a b");
	CHECK_STR(podstatus_qos_class(&p), "BestEffort");
	p.containers[0].res.mem_request_bytes = 64 << 20;
	CHECK_STR(podstatus_qos_class(&p), "Burstable");
	p.containers[0].res.mem_request_bytes = -1;
	p.containers[0].res.cpu_limit_milli = 500;
	p.containers[0].res.mem_limit_bytes = 64 << 20;
	p.containers[1].res.cpu_limit_milli = 250;
	p.containers[1].res.mem_limit_bytes = 32 << 20;
	CHECK_STR(podstatus_qos_class(&p), "Guaranteed");	/* defaulted */
	p.containers[1].res.cpu_request_milli = 250;
	CHECK_STR(podstatus_qos_class(&p), "Guaranteed");
	p.containers[1].res.cpu_request_milli = 100;
	CHECK_STR(podstatus_qos_class(&p), "Burstable");
	p.containers[1].res.cpu_request_milli = -1;
	p.containers[1].res.mem_limit_bytes = -1;
	CHECK_STR(podstatus_qos_class(&p), "Burstable");
	pod_free(&p);
}

/* --- time --- */

TEST(test_rfc3339_utc_seconds)
{
	char buf[PODSTATUS_TIME_LEN];

	CHECK_EQ_INT(podstatus_rfc3339(T0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, T0_STR);
	CHECK_EQ_INT(podstatus_rfc3339(T0 + 999999999LL, buf, sizeof(buf)),
	    0);
	CHECK_STR(buf, T0_STR);	/* truncated, not rounded */
	CHECK_EQ_INT(podstatus_rfc3339(1 * SEC, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1970-01-01T00:00:01Z");
	CHECK_EQ_INT(podstatus_rfc3339(0, buf, sizeof(buf)), -1);
	CHECK_EQ_INT(podstatus_rfc3339(-5, buf, sizeof(buf)), -1);
	CHECK_EQ_INT(podstatus_rfc3339(T0, buf, sizeof(buf) - 1), -1);
}

static void
check_duration(int64_t ns, const char *want)
{
	char buf[PODSTATUS_DURATION_LEN];

	podstatus_human_duration(ns, buf, sizeof(buf));
	CHECK_STR(buf, want);
}

TEST(test_human_duration_like_apimachinery)
{
	const int64_t M = 60 * SEC, H = 60 * M, D = 24 * H;

	check_duration(-3 * SEC, "<invalid>");
	check_duration(-1500000000LL, "0s");
	check_duration(0, "0s");
	check_duration(5 * SEC, "5s");
	check_duration(119 * SEC + 999999999LL, "119s");
	check_duration(2 * M, "2m");
	check_duration(3 * M + 2 * SEC, "3m2s");
	check_duration(9 * M + 59 * SEC, "9m59s");
	check_duration(10 * M + 30 * SEC, "10m");
	check_duration(179 * M, "179m");
	check_duration(3 * H, "3h");
	check_duration(3 * H + 5 * M, "3h5m");
	check_duration(7 * H + 59 * M + 59 * SEC, "7h59m");
	check_duration(8 * H + 5 * M, "8h");
	check_duration(47 * H, "47h");
	check_duration(2 * D, "2d");
	check_duration(2 * D + 3 * H, "2d3h");
	check_duration(8 * D + 3 * H, "8d");
	check_duration(400 * D, "400d");
	check_duration(730 * D, "2y");
	check_duration(735 * D, "2y5d");
	check_duration(2920 * D, "8y");
	check_duration(3000 * D, "8y");
}

/* --- pod, list --- */

static void
mkspec_rich(struct pod *p)
{
	struct container_spec *c = &p->containers[0];

	p->labels = calloc(1, sizeof(*p->labels));
	p->annotations = calloc(1, sizeof(*p->annotations));
	REQUIRE(p->labels && p->annotations);
	p->labels[0] = (struct kv){ tap_strdup("app"), tap_strdup("web") };
	p->n_labels = 1;
	p->annotations[0] = (struct kv){ tap_strdup("example.com/note"),
	    tap_strdup("hi") };
	p->n_annotations = 1;
	p->node_name = tap_strdup("node-1");
	p->restart_policy = RESTART_ON_FAILURE;
	p->psc.run_as_user = 1000;
	REQUIRE(strlist_add(&c->command, "/bin/sh", POD_MAX_ARGS) == 0);
	REQUIRE(strlist_add(&c->args, "-c", POD_MAX_ARGS) == 0);
	REQUIRE(strlist_add(&c->args, "sleep 1", POD_MAX_ARGS) == 0);
	REQUIRE(strlist_add(&c->sc.cap_add, "NET_ADMIN", POD_MAX_CAPS) == 0);
	REQUIRE(strlist_add(&c->sc.cap_drop, "ALL", POD_MAX_CAPS) == 0);
	c->sc.read_only_root_fs = 1;
	c->env = calloc(2, sizeof(*c->env));
	c->ports = calloc(1, sizeof(*c->ports));
	REQUIRE(c->env && c->ports);
	podschema_init(&podschema_env_var, &c->env[0]);
	podschema_init(&podschema_env_var, &c->env[1]);
	c->env[0].key = tap_strdup("MODE");
	c->env[0].value = tap_strdup("prod");
	/* valueFrom as the API shows it; the executor's fields are not */
	c->env[1].key = tap_strdup("MEM");
	c->env[1].resource_ref.resource = ENV_RES_LIMITS_MEMORY;
	c->env[1].resource_ref.divisor = tap_strdup("1Mi");
	c->env[1].resource_ref.divisor_units = 1048576;
	c->n_env = 2;
	c->ports[0].name = tap_strdup("http");
	c->ports[0].container_port = 8080;
	c->ports[0].protocol = PROTO_UDP;
	c->n_ports = 1;
	c->pull_policy = PULL_NEVER;
	c->res.cpu_limit_milli = 1500;
	c->res.cpu_request_milli = 2000;
	c->res.mem_limit_bytes = 128LL << 20;
	c->res.mem_request_bytes = 1000000000LL;
}

TEST(test_dual_stack_node_ips)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	r.host_ip = tap_strdup("192.168.1.10,fd00::10");
	st = status_roundtrip(&p, &r);
	/* hostIP is the primary family's, hostIPs both, in order */
	CHECK_STR(jstr(st, "hostIP"), "192.168.1.10");
	CHECK_EQ_INT(cJSON_GetArraySize(jget(st, "hostIPs")), 2);
	CHECK_STR(jstr(st, "hostIPs.0.ip"), "192.168.1.10");
	CHECK_STR(jstr(st, "hostIPs.1.ip"), "fd00::10");
	CHECK(jget(st, "podIP") == NULL);
	cJSON_Delete(st);
	p.host_network = 1;
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "podIP"), "192.168.1.10");
	CHECK_EQ_INT(cJSON_GetArraySize(jget(st, "podIPs")), 2);
	CHECK_STR(jstr(st, "podIPs.1.ip"), "fd00::10");
	cJSON_Delete(st);
	/* a node without an address: neither, and no empty lists */
	free(r.host_ip);
	r.host_ip = NULL;
	st = status_roundtrip(&p, &r);
	CHECK(jget(st, "hostIP") == NULL);
	CHECK(jget(st, "hostIPs") == NULL);
	CHECK(jget(st, "podIPs") == NULL);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_dns_and_hostname_spec_json)
{
	struct pod p;
	cJSON *j;

	mkpod(&p, "default", "web", "app");
	REQUIRE((j = podstatus_pod_json(&p, NULL, T0)) != NULL);
	/* the API server's default, always shown */
	CHECK_STR(jstr(j, "spec.dnsPolicy"), "ClusterFirst");
	CHECK(jget(j, "spec.hostname") == NULL);
	CHECK(jget(j, "spec.dnsConfig") == NULL);
	CHECK(jget(j, "spec.hostAliases") == NULL);
	CHECK(jget(j, "spec.setHostnameAsFQDN") == NULL);
	cJSON_Delete(j);
	p.dns_policy = DNS_NONE;
	p.hostname = tap_strdup("box");
	p.subdomain = tap_strdup("grp");
	p.set_hostname_fqdn = 1;
	REQUIRE(strlist_add(&p.dns_config.nameservers, "1.1.1.1", 3) == 0);
	REQUIRE(strlist_add(&p.dns_config.searches, "a.example", 32) == 0);
	REQUIRE((p.dns_config.options = calloc(1, sizeof(struct kv))) != NULL);
	p.dns_config.n_options = 1;
	p.dns_config.options[0].key = tap_strdup("edns0");
	p.dns_config.options[0].value = tap_strdup("");
	REQUIRE((p.host_aliases = calloc(1, sizeof(*p.host_aliases))) != NULL);
	p.n_host_aliases = 1;
	p.host_aliases[0].ip = tap_strdup("10.1.2.3");
	REQUIRE(strlist_add(&p.host_aliases[0].hostnames, "foo", 4) == 0);
	REQUIRE((j = podstatus_pod_json(&p, NULL, T0)) != NULL);
	CHECK_STR(jstr(j, "spec.dnsPolicy"), "None");
	CHECK_STR(jstr(j, "spec.hostname"), "box");
	CHECK_STR(jstr(j, "spec.subdomain"), "grp");
	CHECK_EQ_INT(jbool(j, "spec.setHostnameAsFQDN"), 1);
	CHECK_STR(jstr(j, "spec.dnsConfig.nameservers.0"), "1.1.1.1");
	CHECK_STR(jstr(j, "spec.dnsConfig.searches.0"), "a.example");
	CHECK_STR(jstr(j, "spec.dnsConfig.options.0.name"), "edns0");
	CHECK(jget(j, "spec.dnsConfig.options.0.value") == NULL);
	CHECK_STR(jstr(j, "spec.hostAliases.0.ip"), "10.1.2.3");
	CHECK_STR(jstr(j, "spec.hostAliases.0.hostnames.0"), "foo");
	cJSON_Delete(j);
	pod_free(&p);
}

TEST(test_pod_json_shape)
{
	struct pod p;
	struct pod_report r;
	const cJSON *c;
	cJSON *j, *back;
	char *txt;

	mkpod(&p, "prod", "web", "app");
	mkspec_rich(&p);
	mkrep(&r, &p);
	REQUIRE((j = podstatus_pod_json(&p, &r, T0)) != NULL);
	REQUIRE((txt = cJSON_Print(j)) != NULL);
	REQUIRE((back = cJSON_Parse(txt)) != NULL);
	CHECK_STR(jstr(back, "apiVersion"), "v1");
	CHECK_STR(jstr(back, "kind"), "Pod");
	CHECK_STR(jstr(back, "metadata.name"), "web");
	CHECK_STR(jstr(back, "metadata.namespace"), "prod");
	CHECK_STR(jstr(back, "metadata.uid"), "0a1b2c3d-uid");
	CHECK_STR(jstr(back, "metadata.creationTimestamp"), T0_STR);
	CHECK_STR(jstr(back, "metadata.labels.app"), "web");
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(jget(back,
	    "metadata.annotations"), "example.com/note")->valuestring, "hi");
	CHECK_STR(jstr(back, "spec.restartPolicy"), "OnFailure");
	CHECK_EQ_INT(jnum(back, "spec.terminationGracePeriodSeconds"), 30);
	CHECK_STR(jstr(back, "spec.nodeName"), "node-1");
	CHECK(jget(back, "spec.hostNetwork") == NULL);
	CHECK_EQ_INT(jnum(back, "spec.securityContext.runAsUser"), 1000);
	c = jget(back, "spec.containers.0");
	CHECK_STR(jstr(c, "name"), "app");
	CHECK_STR(jstr(c, "image"), "busybox:1.36");
	CHECK_STR(jstr(c, "command.0"), "/bin/sh");
	CHECK_STR(jstr(c, "args.1"), "sleep 1");
	CHECK_STR(jstr(c, "env.0.name"), "MODE");
	CHECK_STR(jstr(c, "env.1.name"), "MEM");
	CHECK(jget(c, "env.1.value") == NULL);
	CHECK_STR(jstr(c, "env.1.valueFrom.resourceFieldRef.resource"),
	    "limits.memory");
	CHECK_STR(jstr(c, "env.1.valueFrom.resourceFieldRef.divisor"), "1Mi");
	CHECK(jget(c, "env.1.valueFrom.resourceFieldRef.divisorUnits") == NULL);
	CHECK(jget(c, "env.1.valueFrom.fieldRef") == NULL);
	CHECK_STR(jstr(c, "env.0.value"), "prod");
	CHECK_STR(jstr(c, "ports.0.name"), "http");
	CHECK_EQ_INT(jnum(c, "ports.0.containerPort"), 8080);
	CHECK_STR(jstr(c, "ports.0.protocol"), "UDP");
	CHECK(jget(c, "ports.0.hostPort") == NULL);
	CHECK_STR(jstr(c, "resources.limits.cpu"), "1500m");
	CHECK_STR(jstr(c, "resources.requests.cpu"), "2");
	CHECK_STR(jstr(c, "resources.limits.memory"), "128Mi");
	CHECK_STR(jstr(c, "resources.requests.memory"), "1G");
	CHECK_STR(jstr(c, "imagePullPolicy"), "Never");
	CHECK_STR(jstr(c, "securityContext.capabilities.add.0"), "NET_ADMIN");
	CHECK_STR(jstr(c, "securityContext.capabilities.drop.0"), "ALL");
	CHECK_EQ_INT(jbool(c, "securityContext.readOnlyRootFilesystem"), 1);
	CHECK(jget(c, "securityContext.privileged") == NULL);
	CHECK_STR(jstr(back, "status.phase"), "Pending");
	CHECK_STR(jstr(back, "status.qosClass"), "Burstable");
	free(txt);
	cJSON_Delete(back);
	cJSON_Delete(j);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_minimal_spec_defaults)
{
	struct pod p;
	const cJSON *c;
	cJSON *j;

	mkpod(&p, "default", "web", "app");
	p.host_network = p.host_pid = p.host_ipc = 1;
	REQUIRE((j = podstatus_pod_json(&p, NULL, T0)) != NULL);
	c = jget(j, "spec.containers.0");
	CHECK(cJSON_IsObject(jget(c, "resources")));
	CHECK_EQ_INT(cJSON_GetArraySize(jget(c, "resources")), 0);
	CHECK(jget(c, "securityContext") == NULL);
	CHECK(jget(c, "command") == NULL);
	CHECK(jget(c, "env") == NULL);
	CHECK_STR(jstr(c, "imagePullPolicy"), "IfNotPresent");
	CHECK_STR(jstr(j, "spec.restartPolicy"), "Always");
	CHECK_EQ_INT(jbool(j, "spec.hostNetwork"), 1);
	CHECK_EQ_INT(jbool(j, "spec.hostPID"), 1);
	CHECK_EQ_INT(jbool(j, "spec.hostIPC"), 1);
	CHECK(jget(j, "spec.shareProcessNamespace") == NULL);
	CHECK(cJSON_IsObject(jget(j, "spec.securityContext")));
	CHECK_EQ_INT(cJSON_GetArraySize(jget(j, "spec.securityContext")), 0);
	CHECK(cJSON_IsNull(jget(j, "metadata.creationTimestamp")));
	CHECK(jget(j, "metadata.labels") == NULL);
	cJSON_Delete(j);
	pod_free(&p);
}

TEST(test_quantities_canonical)
{
	static const struct { int64_t bytes; const char *want; } mem[] = {
		{ 0, "0" }, { 2048, "2Ki" }, { 1536, "1536" },
		{ 1LL << 30, "1Gi" }, { 3000, "3k" }, { 2000000, "2M" },
		{ 1024000, "1000Ki" },
	};
	struct pod p;
	cJSON *j;
	size_t i;

	mkpod(&p, "default", "web", "app");
	for (i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		p.containers[0].res.mem_limit_bytes = mem[i].bytes;
		p.containers[0].res.cpu_limit_milli = (int64_t)i * 1000 + 1;
		REQUIRE((j = podstatus_pod_json(&p, NULL, T0)) != NULL);
		CHECK_STR(jstr(j, "spec.containers.0.resources.limits.memory"),
		    mem[i].want);
		CHECK(strchr(jstr(j, "spec.containers.0.resources.limits.cpu"),
		    'm') != NULL);
		cJSON_Delete(j);
	}
	pod_free(&p);
}

TEST(test_podlist_shape_and_order)
{
	struct pod p[3];
	const struct pod *pods[3];
	const struct pod_report *reps[3] = { NULL, NULL, NULL };
	cJSON *l;
	int i;

	mkpod(&p[0], "prod", "b", "app");
	mkpod(&p[1], "default", "z", "app");
	mkpod(&p[2], "prod", "a", "app");
	for (i = 0; i < 3; i++)
		pods[i] = &p[i];
	REQUIRE((l = podstatus_podlist_json(pods, reps, 3, T0)) != NULL);
	CHECK_STR(jstr(l, "apiVersion"), "v1");
	CHECK_STR(jstr(l, "kind"), "PodList");
	CHECK_STR(jstr(l, "metadata.resourceVersion"), "");
	CHECK_EQ_INT(cJSON_GetArraySize(jget(l, "items")), 3);
	CHECK_STR(jstr(l, "items.0.metadata.name"), "z");
	CHECK_STR(jstr(l, "items.1.metadata.name"), "a");
	CHECK_STR(jstr(l, "items.2.metadata.name"), "b");
	CHECK_STR(jstr(l, "items.2.kind"), "Pod");
	CHECK_STR(jstr(l, "items.2.status.phase"), "Pending");
	cJSON_Delete(l);
	REQUIRE((l = podstatus_podlist_json(NULL, NULL, 0, T0)) != NULL);
	CHECK_EQ_INT(cJSON_GetArraySize(jget(l, "items")), 0);
	cJSON_Delete(l);
	for (i = 0; i < 3; i++)
		pod_free(&p[i]);
}

TEST(test_output_is_deterministic)
{
	struct pod p;
	struct pod_report r;
	cJSON *a, *b;
	char *ta, *tb;

	mkpod(&p, "prod", "web", "b a");
	mkspec_rich(&p);
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	set_last(&r.containers[1], 1, T0 + 3 * SEC);
	REQUIRE((a = podstatus_pod_json(&p, &r, T0)) != NULL);
	REQUIRE((b = podstatus_pod_json(&p, &r, T0 + 99 * SEC)) != NULL);
	REQUIRE((ta = cJSON_PrintUnformatted(a)) != NULL);
	REQUIRE((tb = cJSON_PrintUnformatted(b)) != NULL);
	CHECK_STR(ta, tb);
	free(ta);
	free(tb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	pod_report_free(&r);
	pod_free(&p);
}

/* --- table --- */

static char *
table1(const struct pod *p, const struct pod_report *r, int64_t now)
{
	const struct pod *pods[1] = { p };
	const struct pod_report *reps[1] = { r };
	char *t;

	REQUIRE((t = podstatus_table(pods, reps, 1, now)) != NULL);
	return t;
}

TEST(test_table_layout_like_kubectl)
{
	struct pod p[2];
	struct pod_report r[2];
	const struct pod *pods[2] = { &p[0], &p[1] };
	const struct pod_report *reps[2] = { &r[0], &r[1] };
	char *t;

	mkpod(&p[0], "kube-system", "coredns-5d78c9869d-abcde", "coredns");
	mkpod(&p[1], "default", "web", "app side");
	mkrep(&r[0], &p[0]);
	mkrep(&r[1], &p[1]);
	set_running(&r[0].containers[0], 1);
	set_running(&r[1].containers[0], 1);
	set_running(&r[1].containers[1], 1);
	t = podstatus_table(pods, reps, 2, T0 + 5 * SEC);
	REQUIRE(t != NULL);
	CHECK_STR(t,
	    "NAMESPACE     NAME                       READY   STATUS    "
	    "RESTARTS   AGE\n"
	    "default       web                        2/2     Running   "
	    "0          5s\n"
	    "kube-system   coredns-5d78c9869d-abcde   1/1     Running   "
	    "0          5s\n");
	free(t);
	pod_report_free(&r[0]);
	pod_report_free(&r[1]);
	pod_free(&p[0]);
	pod_free(&p[1]);
}

TEST(test_table_empty_has_header_only)
{
	char *t;

	REQUIRE((t = podstatus_table(NULL, NULL, 0, T0)) != NULL);
	CHECK_STR(t, "NAMESPACE   NAME   READY   STATUS   RESTARTS   AGE\n");
	free(t);
}

TEST(test_table_crash_loop_row)
{
	struct pod p;
	struct pod_report r;
	char *t;

	mkpod(&p, "default", "crashy", "app");
	mkrep(&r, &p);
	set_waiting(&r.containers[0], "CrashLoopBackOff");
	set_last(&r.containers[0], 1, T0 + 100 * SEC);
	r.containers[0].restart_count = 5;
	t = table1(&p, &r, T0 + 142 * SEC + 400000000LL);
	CHECK(strstr(t, "\ndefault     crashy   0/1     CrashLoopBackOff   "
	    "5 (42s ago)   2m22s\n") != NULL);
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_restarts_use_latest_finish)
{
	struct pod p;
	struct pod_report r;
	char *t;

	mkpod(&p, "default", "web", "a b");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	set_running(&r.containers[1], 1);
	set_last(&r.containers[0], 1, T0 + 10 * SEC);
	set_last(&r.containers[1], 1, T0 + 200 * SEC);
	r.containers[0].restart_count = 2;
	r.containers[1].restart_count = 1;
	t = table1(&p, &r, T0 + 3 * 3600 * SEC);
	/* 10600s: under 180 minutes HumanDuration counts minutes */
	CHECK(strstr(t, "   3 (176m ago)   3h\n") != NULL);
	free(t);
	r.containers[0].has_last = r.containers[1].has_last = 0;
	t = table1(&p, &r, T0 + 3 * 3600 * SEC);
	CHECK(strstr(t, "   3          3h\n") != NULL);
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_denied_row)
{
	struct pod p;
	struct pod_report r;
	char *t;

	mkpod(&p, "default", "evil", "app");
	mkrep(&r, &p);
	set_denied(&r, "NodePolicyDenied", "hostNetwork");
	t = table1(&p, &r, T0 + 61 * SEC);
	CHECK(strstr(t, "\ndefault     evil   0/1     NodePolicyDenied   0"
	    "          61s\n") != NULL);
	free(t);
	free(r.reason);
	r.reason = NULL;	/* the executor gave no reason */
	t = table1(&p, &r, T0 + 61 * SEC);
	CHECK(strstr(t, " NodePolicyDenied ") != NULL);
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

static void
check_status_cell(const struct pod *p, const struct pod_report *r,
    const char *want)
{
	char *t, cell[64];

	t = table1(p, r, T0);
	snprintf(cell, sizeof(cell), "   %s   ", want);
	if (strstr(t, cell) == NULL) {
		fprintf(stderr, "want STATUS %s in:\n%s", want, t);
		CHECK(0);
	}
	free(t);
}

TEST(test_table_terminated_reasons)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "job", "app");
	p.restart_policy = RESTART_NEVER;
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	check_status_cell(&p, &r, "Completed");
	free(r.containers[0].reason);
	r.containers[0].reason = tap_strdup("Error");
	r.containers[0].exit_code = 1;
	check_status_cell(&p, &r, "Error");
	free(r.containers[0].reason);
	r.containers[0].reason = NULL;
	r.containers[0].exit_code = 3;
	check_status_cell(&p, &r, "ExitCode:3");
	r.containers[0].signal = 9;
	check_status_cell(&p, &r, "Signal:9");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_waiting_reasons)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app");
	check_status_cell(&p, NULL, "ContainerCreating");
	mkrep(&r, &p);
	set_waiting(&r.containers[0], "ErrImageNeverPull");
	check_status_cell(&p, &r, "ErrImageNeverPull");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_first_container_by_name_wins)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "zz aa");
	mkrep(&r, &p);
	set_waiting(&r.containers[0], "ImagePullBackOff");
	set_waiting(&r.containers[1], "CrashLoopBackOff");
	set_last(&r.containers[1], 1, T0);
	check_status_cell(&p, &r, "CrashLoopBackOff");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_completed_with_running_container)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "a b");
	p.restart_policy = RESTART_ON_FAILURE;
	mkrep(&r, &p);
	set_terminated(&r.containers[0], 0, "Completed");
	set_running(&r.containers[1], 1);
	/* "a" done, "b" running and ready: pod not Ready, so NotReady */
	check_status_cell(&p, &r, "NotReady");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_pod_reason_without_containers_saying_more)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	r.reason = tap_strdup("Evicted");
	check_status_cell(&p, &r, "Evicted");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_ready_counts_only_ready_running)
{
	struct pod p;
	struct pod_report r;
	char *t;

	mkpod(&p, "default", "web", "a b c");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	set_running(&r.containers[1], 0);
	set_running(&r.containers[2], 1);
	t = table1(&p, &r, T0);
	CHECK(strstr(t, "   2/3     Running   ") != NULL);
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_age_unknown_without_start_time)
{
	struct pod p;
	char *t;

	mkpod(&p, "default", "web", "app");
	t = table1(&p, NULL, T0);
	CHECK(strstr(t, "   0          <unknown>\n") != NULL);
	free(t);
	pod_free(&p);
}

TEST(test_table_age_long_durations)
{
	struct pod p;
	struct pod_report r;
	char *t;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	t = table1(&p, &r, T0 + (51LL * 3600 + 59) * SEC);
	CHECK(strstr(t, "   2d3h\n") != NULL);
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

/* issue 8 row 7: a name cannot forge a row or reach the terminal raw */
TEST(test_table_escapes_control_bytes_in_names)
{
	struct pod p;
	struct pod_report r;
	char *t, *nl;
	int lines = 0;

	mkpod(&p, "default", "evil\x1b[2J\ndefault   forged   1/1   Running",
	    "app");
	mkrep(&r, &p);
	t = table1(&p, &r, T0 + SEC);
	CHECK(strchr(t, '\x1b') == NULL);
	CHECK(strstr(t, "evil\\x1b[2J\\x0adefault   forged") != NULL);
	for (nl = t; (nl = strchr(nl, '\n')) != NULL; nl++)
		lines++;
	CHECK_EQ_INT(lines, 2);		/* the header and one row */
	/* the header's READY sits where the row's READY starts */
	CHECK_EQ_INT(strstr(t, "READY") - t,
	    strstr(t, "0/1") - (strchr(t, '\n') + 1));
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

/*
 * -o wide: printPod's IP (status.podIPs[0], "<none>" before the pod has
 * one) and NODE (spec.nodeName, "<none>" when unbound) after AGE.
 */
TEST(test_table_wide_adds_ip_and_node)
{
	struct pod p[2];
	struct pod_report r[2];
	const struct pod *pods[2] = { &p[0], &p[1] };
	const struct pod_report *reps[2] = { &r[0], &r[1] };
	char *t;

	mkpod(&p[0], "default", "web-node1", "httpd");
	mkpod(&p[1], "default", "job", "app");
	p[0].node_name = tap_strdup("node1");
	mkrep(&r[0], &p[0]);
	mkrep(&r[1], &p[1]);
	set_running(&r[0].containers[0], 1);
	r[0].pod_ip = tap_strdup("10.89.1.7,fd00:89::7");
	r[0].host_ip = tap_strdup("192.0.2.2");
	REQUIRE((t = podstatus_table_wide(pods, reps, 2, T0 + 5 * SEC)) !=
	    NULL);
	CHECK_STR(t,
	    "NAMESPACE   NAME        READY   STATUS              RESTARTS   "
	    "AGE   IP          NODE\n"
	    "default     job         0/1     ContainerCreating   0          "
	    "5s    <none>      <none>\n"
	    "default     web-node1   1/1     Running             0          "
	    "5s    10.89.1.7   node1\n");
	free(t);
	pod_report_free(&r[0]);
	pod_report_free(&r[1]);
	pod_free(&p[0]);
	pod_free(&p[1]);
}

/* a hostNetwork pod's IP is the node's, as in its status.podIPs */
TEST(test_table_wide_host_network_pod_shows_node_ip)
{
	struct pod p;
	struct pod_report r;
	const struct pod *pods[1] = { &p };
	const struct pod_report *reps[1] = { &r };
	char *t;

	mkpod(&p, "kube-system", "proxy", "proxy");
	p.host_network = 1;
	p.node_name = tap_strdup("node1");
	mkrep(&r, &p);
	set_running(&r.containers[0], 1);
	r.host_ip = tap_strdup("192.0.2.2,2001:db8::2");
	REQUIRE((t = podstatus_table_wide(pods, reps, 1, T0 + SEC)) != NULL);
	CHECK(strstr(t, "   192.0.2.2   node1\n") != NULL);
	free(t);
	/* the narrow table has neither column */
	REQUIRE((t = podstatus_table(pods, reps, 1, T0 + SEC)) != NULL);
	CHECK(strstr(t, "192.0.2.2") == NULL && strstr(t, "NODE") == NULL);
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_table_wide_empty_has_header_only)
{
	char *t;

	REQUIRE((t = podstatus_table_wide(NULL, NULL, 0, T0)) != NULL);
	CHECK_STR(t, "NAMESPACE   NAME   READY   STATUS   RESTARTS   AGE   "
	    "IP    NODE\n");
	free(t);
}

/* --- probes: started, and the conditions' lastTransitionTime --- */

TEST(test_ready_condition_transition_times_follow_reports)
{
	struct pod p;
	struct pod_report r;
	cJSON *st;

	mkpod(&p, "default", "flap", "app");
	free(p.uid);
	p.uid = tap_strdup("flap-uid");
	mkrep(&r, &p);
	r.sandbox_ready = 1;
	set_running(&r.containers[0], 0);
	podstatus_track(&p, &r, T0 + 5 * SEC);	/* first seen: start time */
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(condition(st, "Ready"), "status"), "False");
	CHECK_STR(jstr(condition(st, "Ready"), "lastTransitionTime"), T0_STR);
	cJSON_Delete(st);
	r.containers[0].ready = 1;
	podstatus_track(&p, &r, T0 + 10 * SEC);
	podstatus_track(&p, &r, T0 + 20 * SEC);	/* no change: kept */
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(condition(st, "Ready"), "status"), "True");
	CHECK_STR(jstr(condition(st, "Ready"), "lastTransitionTime"),
	    "2026-11-28T07:33:52Z");
	CHECK_STR(jstr(condition(st, "ContainersReady"),
	    "lastTransitionTime"), "2026-11-28T07:33:52Z");
	/* a condition that did not change keeps the start time */
	CHECK_STR(jstr(condition(st, "PodScheduled"), "lastTransitionTime"),
	    T0_STR);
	cJSON_Delete(st);
	r.containers[0].ready = 0;
	podstatus_track(&p, &r, T0 + 30 * SEC);
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(condition(st, "Ready"), "lastTransitionTime"),
	    "2026-11-28T07:34:12Z");
	cJSON_Delete(st);
	/* forgotten: the start time again */
	podstatus_forget("flap-uid");
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(condition(st, "Ready"), "lastTransitionTime"), T0_STR);
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_started_follows_the_startup_probe)
{
	struct pod p;
	struct pod_report r;
	const cJSON *cs;
	cJSON *st;

	mkpod(&p, "default", "slow", "app");
	mkrep(&r, &p);
	set_running(&r.containers[0], 0);
	/* no startup probe: running is started */
	st = status_roundtrip(&p, &r);
	cs = cJSON_GetArrayItem(jget(st, "containerStatuses"), 0);
	CHECK_EQ_INT(jbool(cs, "started"), 1);
	cJSON_Delete(st);
	p.containers[0].startup.h.kind = HANDLER_EXEC;
	st = status_roundtrip(&p, &r);
	cs = cJSON_GetArrayItem(jget(st, "containerStatuses"), 0);
	CHECK_EQ_INT(jbool(cs, "started"), 0);
	cJSON_Delete(st);
	r.containers[0].started = 1;
	st = status_roundtrip(&p, &r);
	cs = cJSON_GetArrayItem(jget(st, "containerStatuses"), 0);
	CHECK_EQ_INT(jbool(cs, "started"), 1);
	cJSON_Delete(st);
	p.containers[0].startup.h.kind = HANDLER_NONE;
	pod_report_free(&r);
	pod_free(&p);
}

/* ---- init containers and sidecars (issue 13) ---- */

/* a container report back to waiting with nothing, its name kept */
static struct container_report *
fresh(struct container_report *c)
{
	char *name = c->name, *image = c->image;

	c->name = c->image = NULL;
	podschema_free(&podschema_container_report, c);
	c->name = name;
	c->image = image;
	return c;
}

/* init: space-separated names; a name ending in '+' is a sidecar */
static void
mkinit(struct pod *p, struct pod_report *r, const char *names)
{
	char buf[256], *tok, *save = NULL;
	struct container_spec *c;
	size_t n;

	p->init_containers = calloc(POD_MAX_CONTAINERS,
	    sizeof(*p->init_containers));
	r->init_containers = calloc(POD_MAX_CONTAINERS,
	    sizeof(*r->init_containers));
	REQUIRE(p->init_containers != NULL && r->init_containers != NULL);
	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		c = &p->init_containers[p->n_init_containers++];
		container_spec_init(c);
		n = strlen(tok);
		if (tok[n - 1] == '+') {
			tok[n - 1] = '\0';
			c->restart_policy = CTR_RESTART_ALWAYS;
		}
		c->name = tap_strdup(tok);
		c->image = tap_strdup("busybox:1.36");
		r->init_containers[r->n_init_containers].name = tap_strdup(tok);
		r->init_containers[r->n_init_containers++].image =
		    tap_strdup("busybox:1.36");
	}
}

static void
set_started(struct container_report *c, int ready)
{
	set_running(c, ready);
	c->started = 1;
}

TEST(test_init_table_statuses_like_kubectl)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	mkinit(&p, &r, "one two");
	set_waiting(fresh(&r.containers[0]), "PodInitializing");
	/* none started yet: Init:0/2 (PodInitializing is no reason) */
	set_waiting(fresh(&r.init_containers[0]), "PodInitializing");
	check_status_cell(&p, &r, "Init:0/2");
	set_running(fresh(&r.init_containers[0]), 0);
	check_status_cell(&p, &r, "Init:0/2");
	set_terminated(fresh(&r.init_containers[0]), 0, "Completed");
	check_status_cell(&p, &r, "Init:1/2");
	set_waiting(fresh(&r.init_containers[1]), "CrashLoopBackOff");
	check_status_cell(&p, &r, "Init:CrashLoopBackOff");
	set_terminated(fresh(&r.init_containers[1]), 1, "Error");
	check_status_cell(&p, &r, "Init:Error");
	free(r.init_containers[1].reason);
	r.init_containers[1].reason = NULL;
	r.init_containers[1].exit_code = 7;
	check_status_cell(&p, &r, "Init:ExitCode:7");
	r.init_containers[1].signal = 9;
	check_status_cell(&p, &r, "Init:Signal:9");
	/* all done, the container not created yet */
	r.init_containers[1].signal = 0;
	r.init_containers[1].exit_code = 0;
	free(r.init_containers[1].reason);
	r.init_containers[1].reason = tap_strdup("Completed");
	check_status_cell(&p, &r, "PodInitializing");
	set_running(fresh(&r.containers[0]), 1);
	check_status_cell(&p, &r, "Running");
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_init_table_ready_and_restarts_count_sidecars)
{
	struct pod p;
	struct pod_report r;
	char *t;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	mkinit(&p, &r, "setup side+");
	set_terminated(fresh(&r.init_containers[0]), 0, "Completed");
	r.init_containers[0].restart_count = 4;	/* not counted after */
	set_started(fresh(&r.init_containers[1]), 1);
	r.init_containers[1].restart_count = 2;
	set_last(&r.init_containers[1], 1, T0 - 60 * SEC);
	set_running(fresh(&r.containers[0]), 1);
	r.containers[0].restart_count = 1;
	set_last(&r.containers[0], 1, T0 - 30 * SEC);
	t = table1(&p, &r, T0);
	CHECK(strstr(t, "   2/2     Running   3 (30s ago)   ") != NULL);
	free(t);
	/* a sidecar running but not ready: 1/2 */
	r.init_containers[1].ready = 0;
	t = table1(&p, &r, T0);
	CHECK(strstr(t, "   1/2     ") != NULL);
	free(t);
	/* a sidecar not started blocks: the init restarts count */
	r.init_containers[1].started = 0;
	set_waiting(fresh(&r.containers[0]), "PodInitializing");
	t = table1(&p, &r, T0);
	CHECK(strstr(t, "   0/2     Init:1/2   6 (60s ago)   ") != NULL);
	free(t);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_init_status_json_and_initialized_condition)
{
	struct pod p;
	struct pod_report r;
	const cJSON *c;
	cJSON *st;

	mkpod(&p, "default", "web", "app");
	mkrep(&r, &p);
	mkinit(&p, &r, "one side+ two");
	set_terminated(fresh(&r.init_containers[0]), 0, "Completed");
	r.init_containers[0].ready = 1;
	set_running(fresh(&r.init_containers[1]), 0);	/* running, not started */
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "phase"), "Pending");
	c = condition(st, "Initialized");
	REQUIRE(c != NULL);
	CHECK_STR(jstr(c, "status"), "False");
	CHECK_STR(jstr(c, "reason"), "ContainersNotInitialized");
	CHECK_STR(jstr(c, "message"),
	    "containers with incomplete status: [side two]");
	/* spec order, not by name; the same shape as containerStatuses */
	CHECK_STR(jstr(st, "initContainerStatuses.0.name"), "one");
	CHECK_STR(jstr(st, "initContainerStatuses.1.name"), "side");
	CHECK_STR(jstr(st, "initContainerStatuses.2.name"), "two");
	CHECK_EQ_INT(jbool(st, "initContainerStatuses.0.ready"), 1);
	CHECK_EQ_INT(jbool(st, "initContainerStatuses.0.started"), 0);
	CHECK_EQ_INT(jnum(st, "initContainerStatuses.0.state.terminated."
	    "exitCode"), 0);
	CHECK_EQ_INT(jbool(st, "initContainerStatuses.1.started"), 0);
	CHECK_STR(jstr(st, "initContainerStatuses.2.state.waiting.reason"),
	    "PodInitializing");
	cJSON_Delete(st);
	/* the sidecar started and the last init container done */
	r.init_containers[1].started = 1;
	r.init_containers[1].ready = 1;
	set_terminated(fresh(&r.init_containers[2]), 0, "Completed");
	set_running(fresh(&r.containers[0]), 1);
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(st, "phase"), "Running");
	CHECK_STR(jstr(condition(st, "Initialized"), "status"), "True");
	CHECK_STR(jstr(condition(st, "Ready"), "status"), "True");
	CHECK_EQ_INT(jbool(st, "initContainerStatuses.1.started"), 1);
	cJSON_Delete(st);
	/* a sidecar not ready makes the pod not ready, named first */
	r.init_containers[1].ready = 0;
	st = status_roundtrip(&p, &r);
	CHECK_STR(jstr(condition(st, "ContainersReady"), "message"),
	    "containers with unready status: [side]");
	cJSON_Delete(st);
	pod_report_free(&r);
	pod_free(&p);
}

TEST(test_init_phase_rules)
{
	struct pod p;
	struct pod_report r;

	mkpod(&p, "default", "job", "app");
	mkrep(&r, &p);
	mkinit(&p, &r, "setup side+");
	/* an init container failed: Failed under Never, Pending otherwise */
	set_terminated(fresh(&r.init_containers[0]), 1, "Error");
	p.restart_policy = RESTART_NEVER;
	CHECK_STR(podstatus_phase(&p, &r), "Failed");
	p.restart_policy = RESTART_ON_FAILURE;
	CHECK_STR(podstatus_phase(&p, &r), "Pending");
	/* in a crash loop with its last run failed: Failed under Never */
	set_waiting(fresh(&r.init_containers[0]), "CrashLoopBackOff");
	set_last(&r.init_containers[0], 1, T0);
	p.restart_policy = RESTART_NEVER;
	CHECK_STR(podstatus_phase(&p, &r), "Failed");
	/* done; the container completed, the sidecar stopped: Succeeded */
	pod_report_free(&r);
	mkrep(&r, &p);
	free(p.init_containers[0].name);
	free(p.init_containers[1].name);
	free(p.init_containers[0].image);
	free(p.init_containers[1].image);
	free(p.init_containers);
	p.init_containers = NULL;
	p.n_init_containers = 0;
	mkinit(&p, &r, "setup side+");
	set_terminated(fresh(&r.init_containers[0]), 0, "Completed");
	set_started(fresh(&r.init_containers[1]), 1);
	set_terminated(fresh(&r.containers[0]), 0, "Completed");
	CHECK_STR(podstatus_phase(&p, &r), "Running");	/* sidecar runs */
	set_terminated(fresh(&r.init_containers[1]), 143, "Error");
	CHECK_STR(podstatus_phase(&p, &r), "Succeeded");
	/* a sidecar restarting after the container ran: not Pending */
	p.restart_policy = RESTART_ALWAYS;
	set_running(fresh(&r.containers[0]), 1);
	set_waiting(fresh(&r.init_containers[1]), "CrashLoopBackOff");
	set_last(&r.init_containers[1], 1, T0);
	CHECK_STR(podstatus_phase(&p, &r), "Running");
	pod_report_free(&r);
	pod_free(&p);
}
