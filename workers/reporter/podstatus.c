/*
 * PodStatus from the pod spec and the executor's report, following the
 * kubelet (pkg/kubelet/kubelet_pods.go: getPhase, generateAPIPodStatus,
 * convertToAPIContainerStatuses; pkg/kubelet/status/generate.go), and the
 * `kubectl get pods` row following kubectl's printPod
 * (pkg/printers/internalversion/printers.go).
 *
 * Where agentd knows less than the kubelet, documented here once:
 *  - there are no init containers, probes or readiness gates: a running
 *    container is "started", and "ready" is what the executor reports;
 *  - condition lastTransitionTime is the pod's start time: transitions
 *    are not tracked, and the kubelet's value is only as good as its
 *    status cache anyway;
 *  - creationTimestamp is the time the executor accepted the pod (a
 *    static pod's mirror gets its own from the API server);
 *  - the phase is computed with podIsTerminal false: terminal phases
 *    follow from the containers and restartPolicy alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "pod.h"
#include "podstatus.h"

#define NS_PER_SEC		1000000000LL
#define SEC_PER_MIN		60LL
#define SEC_PER_HOUR		3600LL
#define HOURS_PER_DAY		24LL
#define DAYS_PER_YEAR		365LL
#define MILLI_PER_CORE		1000LL
#define TABLE_COLS		6
#define TABLE_PADDING		3	/* kubectl's tabwriter: padding */
#define TABLE_MINWIDTH		6	/* kubectl's tabwriter: minwidth */
#define CELL_NUM_LEN		64	/* "16/16", "12 (3m2s ago)" */
#define REASON_NUM_LEN		32	/* "ExitCode:-2147483648" */
#define QUANTITY_LEN		32
#define NAME_LIST_LEN		(POD_MAX_CONTAINERS * (POD_MAX_LABEL + 1) + 64)
#define REJECT_MSG_LEN		(POD_MAX_REASON + 64)

#define PHASE_PENDING		"Pending"
#define PHASE_RUNNING		"Running"
#define PHASE_SUCCEEDED		"Succeeded"
#define PHASE_FAILED		"Failed"
/* kubelet_pods.go: the waiting reason before the runtime has a container */
#define REASON_CREATING		"ContainerCreating"
/* our pod-level reason when the report gives none */
#define REASON_DENIED		"NodePolicyDenied"
/* kubelet.go rejectPod() */
#define REJECT_PREFIX		"Pod was rejected: "

/* one spec container and what the executor saw of it (NULL: nothing) */
struct cview {
	const struct container_spec	*spec;
	const struct container_report	*rep;
};

struct pview {
	const struct pod	*pod;
	const struct pod_report	*rep;
	struct cview		 c[POD_MAX_CONTAINERS];	/* spec order */
	uint32_t		 byname[POD_MAX_CONTAINERS];
	uint32_t		 n;
	int			 denied;
	const char		*phase;
	int64_t			 now_ns;	/* of this rendering */
};

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/* --- time --- */

int
podstatus_rfc3339(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (ns <= 0 || len < PODSTATUS_TIME_LEN)
		return -1;
	t = (time_t)(ns / NS_PER_SEC);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

static void
human_duration_hours(int64_t s, char *buf, size_t len)
{
	int64_t h = s / SEC_PER_HOUR, d = h / HOURS_PER_DAY;
	int64_t y = d / DAYS_PER_YEAR;

	if (h < 8 && (s / SEC_PER_MIN) % 60 != 0)
		snprintf(buf, len, "%lldh%lldm", (long long)h,
		    (long long)((s / SEC_PER_MIN) % 60));
	else if (h < 48)
		snprintf(buf, len, "%lldh", (long long)h);
	else if (h < HOURS_PER_DAY * 8 && h % HOURS_PER_DAY != 0)
		snprintf(buf, len, "%lldd%lldh", (long long)d,
		    (long long)(h % HOURS_PER_DAY));
	else if (h < HOURS_PER_DAY * DAYS_PER_YEAR * 2)
		snprintf(buf, len, "%lldd", (long long)d);
	else if (h < HOURS_PER_DAY * DAYS_PER_YEAR * 8 &&
	    d % DAYS_PER_YEAR != 0)
		snprintf(buf, len, "%lldy%lldd", (long long)y,
		    (long long)(d % DAYS_PER_YEAR));
	else
		snprintf(buf, len, "%lldy", (long long)y);
}

/* apimachinery pkg/util/duration HumanDuration, branch for branch */
void
podstatus_human_duration(int64_t d_ns, char *buf, size_t len)
{
	int64_t s = d_ns / NS_PER_SEC, m = s / SEC_PER_MIN;

	if (len == 0)
		return;
	if (s < -1)
		snprintf(buf, len, "<invalid>");
	else if (s < 0)
		snprintf(buf, len, "0s");
	else if (s < SEC_PER_MIN * 2)
		snprintf(buf, len, "%llds", (long long)s);
	else if (m < 10 && s % SEC_PER_MIN != 0)
		snprintf(buf, len, "%lldm%llds", (long long)m,
		    (long long)(s % SEC_PER_MIN));
	else if (m < 60 * 3)
		snprintf(buf, len, "%lldm", (long long)m);
	else
		human_duration_hours(s, buf, len);
}

/* kubectl's translateTimestampSince on an API (whole-second) timestamp */
static void
since(int64_t ts_ns, int64_t now_ns, char *buf, size_t len)
{
	if (ts_ns <= 0) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	podstatus_human_duration(now_ns - (ts_ns / NS_PER_SEC) * NS_PER_SEC,
	    buf, len);
}

/* --- the view: spec containers matched to reports, phase --- */

static const struct container_report *
report_find(const struct pod_report *r, const char *name)
{
	uint32_t i;

	if (r == NULL || name == NULL)
		return NULL;
	for (i = 0; i < r->n_containers; i++)
		if (r->containers[i].name != NULL &&
		    strcmp(r->containers[i].name, name) == 0)
			return &r->containers[i];
	return NULL;
}

static int
cv_state(const struct cview *cv)
{
	if (cv->rep == NULL)
		return CSTATE_WAITING;
	if (cv->rep->state == CSTATE_RUNNING ||
	    cv->rep->state == CSTATE_TERMINATED)
		return cv->rep->state;
	return CSTATE_WAITING;
}

static int
cv_ready(const struct cview *cv)
{
	return cv_state(cv) == CSTATE_RUNNING && cv->rep->ready;
}

static int
cv_has_last(const struct cview *cv)
{
	return cv->rep != NULL && cv->rep->has_last;
}

/*
 * The kubelet's default waiting reason is ContainerCreating for a
 * container the runtime does not have yet; one that ran before and waits
 * with no reason is "created, not running": Waiting{} with no reason.
 */
static const char *
cv_waiting_reason(const struct cview *cv)
{
	if (cv->rep == NULL)
		return REASON_CREATING;
	if (nonempty(cv->rep->reason))
		return cv->rep->reason;
	if (cv->rep->has_last || cv->rep->restart_count > 0)
		return NULL;
	return REASON_CREATING;
}

/* getPhase() without init containers and with podIsTerminal false */
static const char *
phase_compute(const struct pview *pv)
{
	uint32_t i, running = 0, waiting = 0, stopped = 0, succeeded = 0;

	if (pv->denied)
		return PHASE_FAILED;
	for (i = 0; i < pv->n; i++) {
		switch (cv_state(&pv->c[i])) {
		case CSTATE_RUNNING:
			running++;
			break;
		case CSTATE_TERMINATED:
			stopped++;
			if (pv->c[i].rep->exit_code == 0)
				succeeded++;
			break;
		default:
			/* waiting after a termination is restarting */
			if (cv_has_last(&pv->c[i]))
				stopped++;
			else
				waiting++;
		}
	}
	if (waiting > 0)
		return PHASE_PENDING;
	if (running > 0)
		return PHASE_RUNNING;
	if (stopped == 0)
		return PHASE_PENDING;
	if (pv->pod->restart_policy == RESTART_ALWAYS)
		return PHASE_RUNNING;
	if (stopped == succeeded)
		return PHASE_SUCCEEDED;
	if (pv->pod->restart_policy == RESTART_NEVER)
		return PHASE_FAILED;
	return PHASE_RUNNING;	/* OnFailure: the failed ones restart */
}

/* containerStatuses are sorted by name (kubetypes.SortedContainerStatuses) */
static void
pview_sort(struct pview *pv)
{
	uint32_t i, j, t;

	for (i = 1; i < pv->n; i++) {
		for (j = i; j > 0; j--) {
			if (strcmp(nz(pv->c[pv->byname[j - 1]].spec->name),
			    nz(pv->c[pv->byname[j]].spec->name)) <= 0)
				break;
			t = pv->byname[j];
			pv->byname[j] = pv->byname[j - 1];
			pv->byname[j - 1] = t;
		}
	}
}

static void
pview_init(struct pview *pv, const struct pod *p, const struct pod_report *r,
    int64_t now_ns)
{
	uint32_t i;

	memset(pv, 0, sizeof(*pv));
	pv->pod = p;
	pv->rep = r;
	pv->now_ns = now_ns;
	pv->n = p->n_containers < POD_MAX_CONTAINERS ?
	    p->n_containers : POD_MAX_CONTAINERS;
	for (i = 0; i < pv->n; i++) {
		pv->c[i].spec = &p->containers[i];
		pv->c[i].rep = report_find(r, p->containers[i].name);
		pv->byname[i] = i;
	}
	pview_sort(pv);
	pv->denied = r != NULL && r->denied;
	pv->phase = phase_compute(pv);
}

const char *
podstatus_phase(const struct pod *p, const struct pod_report *r)
{
	struct pview pv;

	pview_init(&pv, p, r, 0);
	return pv.phase;
}

static int64_t
pv_start_time(const struct pview *pv)
{
	return pv->rep != NULL ? pv->rep->start_time_ns : 0;
}

static int
pv_terminating(const struct pview *pv)
{
	return pv->rep != NULL && pv->rep->terminating;
}

/* --- QoS class (GetPodQOS, with requests defaulted from limits) --- */

enum { QOS_CPU, QOS_MEM, QOS_NRES };

struct qos_sum {
	int64_t	v[QOS_NRES];
	int	has[QOS_NRES];
};

static void
qos_add(struct qos_sum *s, int res, int64_t q)
{
	if (q > 0) {
		s->v[res] += q;
		s->has[res] = 1;
	}
}

/* the API server defaults an unset request to the limit */
static int64_t
request_or_limit(int64_t req, int64_t lim)
{
	return req >= 0 ? req : lim;
}

const char *
podstatus_qos_class(const struct pod *p)
{
	struct qos_sum req, lim;
	const struct resources *r;
	uint32_t i;
	int guaranteed = 1, k;

	memset(&req, 0, sizeof(req));
	memset(&lim, 0, sizeof(lim));
	for (i = 0; i < p->n_containers; i++) {
		r = &p->containers[i].res;
		qos_add(&req, QOS_CPU, request_or_limit(r->cpu_request_milli,
		    r->cpu_limit_milli));
		qos_add(&req, QOS_MEM, request_or_limit(r->mem_request_bytes,
		    r->mem_limit_bytes));
		qos_add(&lim, QOS_CPU, r->cpu_limit_milli);
		qos_add(&lim, QOS_MEM, r->mem_limit_bytes);
		if (r->cpu_limit_milli <= 0 || r->mem_limit_bytes <= 0)
			guaranteed = 0;
	}
	if (!req.has[QOS_CPU] && !req.has[QOS_MEM] && !lim.has[QOS_CPU] &&
	    !lim.has[QOS_MEM])
		return "BestEffort";
	for (k = 0; k < QOS_NRES; k++)
		if (req.has[k] != lim.has[k] || req.v[k] != lim.v[k])
			guaranteed = 0;
	return guaranteed ? "Guaranteed" : "Burstable";
}

/* --- cJSON helpers: -1 on allocation failure --- */

static int
add_str(cJSON *o, const char *k, const char *v)
{
	return cJSON_AddStringToObject(o, k, nz(v)) == NULL ? -1 : 0;
}

/* omitempty */
static int
add_str_opt(cJSON *o, const char *k, const char *v)
{
	return nonempty(v) ? add_str(o, k, v) : 0;
}

static int
add_num(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v) == NULL ? -1 : 0;
}

static int
add_bool(cJSON *o, const char *k, int v)
{
	return cJSON_AddBoolToObject(o, k, v) == NULL ? -1 : 0;
}

/* TRI_UNSET is left out, as a nil *bool is */
static int
add_tri(cJSON *o, const char *k, int8_t v)
{
	return v == TRI_UNSET ? 0 : add_bool(o, k, v);
}

/* a metav1.Time: RFC 3339, or null when unset */
static int
add_time(cJSON *o, const char *k, int64_t ns)
{
	char buf[PODSTATUS_TIME_LEN];

	if (podstatus_rfc3339(ns, buf, sizeof(buf)) == -1)
		return cJSON_AddNullToObject(o, k) == NULL ? -1 : 0;
	return add_str(o, k, buf);
}

/* takes ownership of item, also on failure */
static int
add_item(cJSON *o, const char *k, cJSON *item)
{
	if (item == NULL)
		return -1;
	if (!cJSON_AddItemToObject(o, k, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

static int
append_item(cJSON *a, cJSON *item)
{
	if (item == NULL)
		return -1;
	if (!cJSON_AddItemToArray(a, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

static int
add_strlist_opt(cJSON *o, const char *k, const struct strlist *l)
{
	cJSON *a;
	uint32_t i;

	if (l->n == 0)
		return 0;
	if ((a = cJSON_AddArrayToObject(o, k)) == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		if (append_item(a, cJSON_CreateString(nz(l->v[i]))) == -1)
			return -1;
	return 0;
}

static int
add_kv_map_opt(cJSON *o, const char *k, const struct kv *kv, uint32_t n)
{
	cJSON *m;
	uint32_t i;

	if (n == 0)
		return 0;
	if ((m = cJSON_AddObjectToObject(o, k)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (add_str(m, nz(kv[i].key), kv[i].value) == -1)
			return -1;
	return 0;
}

/* --- conditions (status/generate.go) --- */

struct cond {
	const char	*type;
	int		 is_true;
	const char	*reason;
	const char	*message;
};

static cJSON *
condition_json(const struct cond *c, int64_t t_ns)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str(o, "type", c->type) == -1 ||
	    add_str(o, "status", c->is_true ? "True" : "False") == -1 ||
	    cJSON_AddNullToObject(o, "lastProbeTime") == NULL ||
	    add_time(o, "lastTransitionTime", t_ns) == -1 ||
	    add_str_opt(o, "reason", c->reason) == -1 ||
	    add_str_opt(o, "message", c->message) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Go's fmt %s of a []string: "[a b]" */
static void
unready_message(const struct pview *pv, char *buf, size_t len)
{
	size_t off;
	uint32_t i;
	int first = 1;

	off = snprintf(buf, len, "containers with unready status: [");
	for (i = 0; i < pv->n && off < len; i++) {
		if (cv_ready(&pv->c[i]))
			continue;
		off += snprintf(buf + off, len - off, "%s%s", first ? "" : " ",
		    nz(pv->c[i].spec->name));
		first = 0;
	}
	if (off < len)
		snprintf(buf + off, len - off, "]");
}

static int
all_ready(const struct pview *pv)
{
	uint32_t i;

	for (i = 0; i < pv->n; i++)
		if (!cv_ready(&pv->c[i]))
			return 0;
	return 1;
}

/* GenerateContainersReadyCondition; Ready copies it (no readiness gates) */
static void
containers_ready(const struct pview *pv, struct cond *c, char *msg,
    size_t len)
{
	memset(c, 0, sizeof(*c));
	c->type = "ContainersReady";
	if (strcmp(pv->phase, PHASE_SUCCEEDED) == 0)
		c->reason = "PodCompleted";
	else if (strcmp(pv->phase, PHASE_FAILED) == 0)
		c->reason = "PodFailed";
	else if (!all_ready(pv)) {
		c->reason = "ContainersNotReady";
		unready_message(pv, msg, len);
		c->message = msg;
	} else
		c->is_true = 1;
}

static int
pv_is_ready(const struct pview *pv)
{
	return strcmp(pv->phase, PHASE_SUCCEEDED) != 0 &&
	    strcmp(pv->phase, PHASE_FAILED) != 0 && all_ready(pv);
}

/* in the kubelet's order: generateAPIPodStatus */
static cJSON *
conditions_json(const struct pview *pv)
{
	char msg[NAME_LIST_LEN];
	struct cond c[5], cr;
	cJSON *a;
	int i, succeeded = strcmp(pv->phase, PHASE_SUCCEEDED) == 0;

	containers_ready(pv, &cr, msg, sizeof(msg));
	c[0] = (struct cond){ "PodReadyToStartContainers",
	    pv->rep != NULL && pv->rep->sandbox_ready, NULL, NULL };
	c[1] = (struct cond){ "Initialized", 1,
	    succeeded ? "PodCompleted" : NULL, NULL };
	c[2] = cr;
	c[2].type = "Ready";
	c[3] = cr;
	c[4] = (struct cond){ "PodScheduled", 1, NULL, NULL };
	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < 5; i++) {
		if (append_item(a, condition_json(&c[i],
		    pv_start_time(pv))) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* --- container statuses --- */

static cJSON *
terminated_json(const struct container_term *t)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_num(o, "exitCode", t->exit_code) == -1 ||
	    (t->signal != 0 && add_num(o, "signal", t->signal) == -1) ||
	    add_str_opt(o, "reason", t->reason) == -1 ||
	    add_str_opt(o, "message", t->message) == -1 ||
	    add_time(o, "startedAt", t->started_at_ns) == -1 ||
	    add_time(o, "finishedAt", t->finished_at_ns) == -1 ||
	    add_str_opt(o, "containerID", t->container_id) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
current_terminated_json(const struct container_report *r)
{
	struct container_term t;

	memset(&t, 0, sizeof(t));
	t.exit_code = r->exit_code;
	t.signal = r->signal;
	t.reason = r->reason;
	t.message = r->message;
	t.started_at_ns = r->started_at_ns;
	t.finished_at_ns = r->finished_at_ns;
	t.container_id = r->container_id;
	return terminated_json(&t);
}

static int
add_waiting(cJSON *o, const struct cview *cv)
{
	cJSON *w;

	if ((w = cJSON_AddObjectToObject(o, "waiting")) == NULL)
		return -1;
	if (add_str_opt(w, "reason", cv_waiting_reason(cv)) == -1)
		return -1;
	return cv->rep != NULL ? add_str_opt(w, "message", cv->rep->message) :
	    0;
}

static cJSON *
state_json(const struct cview *cv)
{
	cJSON *o, *run;
	int rc;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	switch (cv_state(cv)) {
	case CSTATE_RUNNING:
		run = cJSON_AddObjectToObject(o, "running");
		rc = run == NULL ? -1 :
		    add_time(run, "startedAt", cv->rep->started_at_ns);
		break;
	case CSTATE_TERMINATED:
		rc = add_item(o, "terminated",
		    current_terminated_json(cv->rep));
		break;
	default:
		rc = add_waiting(o, cv);
	}
	if (rc == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* lastState is {} until a container has terminated once */
static cJSON *
last_state_json(const struct cview *cv)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cv_has_last(cv) && add_item(o, "terminated",
	    terminated_json(&cv->rep->last_term)) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
container_status_json(const struct cview *cv)
{
	const struct container_report *r = cv->rep;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str(o, "name", cv->spec->name) == -1 ||
	    add_item(o, "state", state_json(cv)) == -1 ||
	    add_item(o, "lastState", last_state_json(cv)) == -1 ||
	    add_bool(o, "ready", cv_ready(cv)) == -1 ||
	    add_num(o, "restartCount", r ? r->restart_count : 0) == -1 ||
	    add_str(o, "image", r && nonempty(r->image) ? r->image :
	    cv->spec->image) == -1 ||
	    add_str(o, "imageID", r ? r->image_id : NULL) == -1 ||
	    add_str_opt(o, "containerID", r ? r->container_id : NULL) == -1 ||
	    add_bool(o, "started", cv_state(cv) == CSTATE_RUNNING) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
container_statuses_json(const struct pview *pv)
{
	cJSON *a;
	uint32_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < pv->n; i++) {
		if (append_item(a, container_status_json(
		    &pv->c[pv->byname[i]])) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* --- the status object --- */

static int
add_ip_list(cJSON *o, const char *k, const char *ip)
{
	cJSON *a, *e;

	if ((a = cJSON_AddArrayToObject(o, k)) == NULL)
		return -1;
	if ((e = cJSON_CreateObject()) == NULL)
		return -1;
	if (append_item(a, e) == -1)
		return -1;
	return add_str(e, "ip", ip);
}

/* hostNetwork pods get the node's address as their own (kubelet) */
static int
add_ips(cJSON *o, const struct pview *pv)
{
	const char *host = pv->rep ? pv->rep->host_ip : NULL;
	const char *pod = pv->rep ? pv->rep->pod_ip : NULL;

	if (!nonempty(pod) && pv->pod->host_network)
		pod = host;
	if (nonempty(host) && (add_str(o, "hostIP", host) == -1 ||
	    add_ip_list(o, "hostIPs", host) == -1))
		return -1;
	if (nonempty(pod) && (add_str(o, "podIP", pod) == -1 ||
	    add_ip_list(o, "podIPs", pod) == -1))
		return -1;
	return 0;
}

/*
 * A pod the node refuses is never started: the kubelet's rejectPod()
 * sets only phase, reason, message and the QoS class (the status manager
 * adds startTime); no conditions, no container statuses.
 */
static cJSON *
denied_status_json(const struct pview *pv)
{
	char msg[REJECT_MSG_LEN];
	const struct pod_report *r = pv->rep;
	cJSON *o;

	snprintf(msg, sizeof(msg), "%s%s", REJECT_PREFIX,
	    nonempty(r->message) ? r->message : "denied by node policy");
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str(o, "phase", PHASE_FAILED) == -1 ||
	    add_str(o, "message", msg) == -1 ||
	    add_str(o, "reason", nonempty(r->reason) ? r->reason :
	    REASON_DENIED) == -1 ||
	    add_time(o, "startTime", r->start_time_ns) == -1 ||
	    add_str(o, "qosClass", podstatus_qos_class(pv->pod)) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
status_json(const struct pview *pv)
{
	cJSON *o;

	if (pv->denied)
		return denied_status_json(pv);
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str(o, "phase", pv->phase) == -1 ||
	    add_item(o, "conditions", conditions_json(pv)) == -1 ||
	    add_str_opt(o, "message", pv->rep ? pv->rep->message : NULL) ==
	    -1 ||
	    add_str_opt(o, "reason", pv->rep ? pv->rep->reason : NULL) == -1 ||
	    add_ips(o, pv) == -1 ||
	    add_time(o, "startTime", pv_start_time(pv)) == -1 ||
	    add_item(o, "containerStatuses", container_statuses_json(pv)) ==
	    -1 ||
	    add_str(o, "qosClass", podstatus_qos_class(pv->pod)) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
podstatus_status_json(const struct pod *p, const struct pod_report *r,
    int64_t now_ns)
{
	struct pview pv;

	pview_init(&pv, p, r, now_ns);
	return status_json(&pv);
}

/* --- the spec --- */

/* cpu as the API canonicalizes it: "2", "500m" */
static void
cpu_quantity(int64_t milli, char *buf, size_t len)
{
	if (milli % MILLI_PER_CORE == 0)
		snprintf(buf, len, "%lld", (long long)(milli / MILLI_PER_CORE));
	else
		snprintf(buf, len, "%lldm", (long long)milli);
}

/*
 * Bytes lose the suffix the manifest used; print the largest exact
 * binary suffix, else the largest exact decimal one, else plain bytes.
 */
static void
mem_quantity(int64_t bytes, char *buf, size_t len)
{
	static const char *const bin[] = { "Ei", "Pi", "Ti", "Gi", "Mi", "Ki" };
	static const char *const dec[] = { "E", "P", "T", "G", "M", "k" };
	int64_t b, d;
	int i;

	for (i = 0; i < 6 && bytes != 0; i++) {
		b = 1LL << (10 * (6 - i));
		if (bytes % b == 0) {
			snprintf(buf, len, "%lld%s", (long long)(bytes / b),
			    bin[i]);
			return;
		}
	}
	for (i = 0, d = 1000000000000000000LL; i < 6 && bytes != 0;
	    i++, d /= 1000) {
		if (bytes % d == 0) {
			snprintf(buf, len, "%lld%s", (long long)(bytes / d),
			    dec[i]);
			return;
		}
	}
	snprintf(buf, len, "%lld", (long long)bytes);
}

static int
add_resource_list(cJSON *o, const char *k, int64_t cpu, int64_t mem)
{
	char q[QUANTITY_LEN];
	cJSON *m;

	if (cpu < 0 && mem < 0)
		return 0;
	if ((m = cJSON_AddObjectToObject(o, k)) == NULL)
		return -1;
	if (cpu >= 0) {
		cpu_quantity(cpu, q, sizeof(q));
		if (add_str(m, "cpu", q) == -1)
			return -1;
	}
	if (mem >= 0) {
		mem_quantity(mem, q, sizeof(q));
		if (add_str(m, "memory", q) == -1)
			return -1;
	}
	return 0;
}

static cJSON *
resources_json(const struct resources *r)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_resource_list(o, "limits", r->cpu_limit_milli,
	    r->mem_limit_bytes) == -1 ||
	    add_resource_list(o, "requests", r->cpu_request_milli,
	    r->mem_request_bytes) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const char *
protocol_name(uint8_t proto)
{
	switch (proto) {
	case PROTO_UDP:
		return "UDP";
	case PROTO_SCTP:
		return "SCTP";
	}
	return "TCP";
}

static cJSON *
port_json(const struct container_port *cp)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str_opt(o, "name", cp->name) == -1 ||
	    (cp->host_port != 0 && add_num(o, "hostPort", cp->host_port) ==
	    -1) ||
	    add_num(o, "containerPort", cp->container_port) == -1 ||
	    add_str(o, "protocol", protocol_name(cp->protocol)) == -1 ||
	    add_str_opt(o, "hostIP", cp->host_ip) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int
add_ports_opt(cJSON *o, const struct container_spec *c)
{
	cJSON *a;
	uint32_t i;

	if (c->n_ports == 0)
		return 0;
	if ((a = cJSON_AddArrayToObject(o, "ports")) == NULL)
		return -1;
	for (i = 0; i < c->n_ports; i++)
		if (append_item(a, port_json(&c->ports[i])) == -1)
			return -1;
	return 0;
}

static int
add_env_opt(cJSON *o, const struct container_spec *c)
{
	cJSON *a, *e;
	uint32_t i;

	if (c->n_env == 0)
		return 0;
	if ((a = cJSON_AddArrayToObject(o, "env")) == NULL)
		return -1;
	for (i = 0; i < c->n_env; i++) {
		if ((e = cJSON_CreateObject()) == NULL ||
		    append_item(a, e) == -1)
			return -1;
		if (add_str(e, "name", c->env[i].key) == -1 ||
		    add_str_opt(e, "value", c->env[i].value) == -1)
			return -1;
	}
	return 0;
}

static int
sc_is_empty(const struct security_context *sc)
{
	return sc->cap_add.n == 0 && sc->cap_drop.n == 0 &&
	    sc->privileged == TRI_UNSET && sc->run_as_user == -1 &&
	    sc->run_as_group == -1 && sc->run_as_non_root == TRI_UNSET &&
	    sc->read_only_root_fs == TRI_UNSET &&
	    sc->allow_privilege_escalation == TRI_UNSET;
}

static int
add_capabilities_opt(cJSON *o, const struct security_context *sc)
{
	cJSON *caps;

	if (sc->cap_add.n == 0 && sc->cap_drop.n == 0)
		return 0;
	if ((caps = cJSON_AddObjectToObject(o, "capabilities")) == NULL)
		return -1;
	if (add_strlist_opt(caps, "add", &sc->cap_add) == -1 ||
	    add_strlist_opt(caps, "drop", &sc->cap_drop) == -1)
		return -1;
	return 0;
}

static int
add_security_context_opt(cJSON *o, const struct security_context *sc)
{
	cJSON *s;

	if (sc_is_empty(sc))
		return 0;
	if ((s = cJSON_AddObjectToObject(o, "securityContext")) == NULL)
		return -1;
	if (add_capabilities_opt(s, sc) == -1 ||
	    add_tri(s, "privileged", sc->privileged) == -1 ||
	    (sc->run_as_user != -1 &&
	    add_num(s, "runAsUser", sc->run_as_user) == -1) ||
	    (sc->run_as_group != -1 &&
	    add_num(s, "runAsGroup", sc->run_as_group) == -1) ||
	    add_tri(s, "runAsNonRoot", sc->run_as_non_root) == -1 ||
	    add_tri(s, "readOnlyRootFilesystem", sc->read_only_root_fs) == -1 ||
	    add_tri(s, "allowPrivilegeEscalation",
	    sc->allow_privilege_escalation) == -1)
		return -1;
	return 0;
}

static const char *
pull_policy_name(uint8_t pp)
{
	switch (pp) {
	case PULL_ALWAYS:
		return "Always";
	case PULL_NEVER:
		return "Never";
	}
	return "IfNotPresent";
}

/* fields in v1.Container order */
static cJSON *
container_json(const struct container_spec *c)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str(o, "name", c->name) == -1 ||
	    add_str(o, "image", c->image) == -1 ||
	    add_strlist_opt(o, "command", &c->command) == -1 ||
	    add_strlist_opt(o, "args", &c->args) == -1 ||
	    add_str_opt(o, "workingDir", c->working_dir) == -1 ||
	    add_ports_opt(o, c) == -1 ||
	    add_env_opt(o, c) == -1 ||
	    add_item(o, "resources", resources_json(&c->res)) == -1 ||
	    add_str(o, "imagePullPolicy", pull_policy_name(c->pull_policy)) ==
	    -1 ||
	    add_security_context_opt(o, &c->sc) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
containers_json(const struct pod *p)
{
	cJSON *a;
	uint32_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < p->n_containers; i++) {
		if (append_item(a, container_json(&p->containers[i])) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* the API server defaults spec.securityContext to {} */
static cJSON *
pod_security_context_json(const struct pod_security_context *psc)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((psc->run_as_user != -1 &&
	    add_num(o, "runAsUser", psc->run_as_user) == -1) ||
	    (psc->run_as_group != -1 &&
	    add_num(o, "runAsGroup", psc->run_as_group) == -1) ||
	    add_tri(o, "runAsNonRoot", psc->run_as_non_root) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* fields in v1.PodSpec order; false booleans are omitempty */
static cJSON *
spec_json(const struct pod *p)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_item(o, "containers", containers_json(p)) == -1 ||
	    add_str(o, "restartPolicy",
	    pod_restart_policy_name(p->restart_policy)) == -1 ||
	    (p->termination_grace_seconds >= 0 &&
	    add_num(o, "terminationGracePeriodSeconds",
	    p->termination_grace_seconds) == -1) ||
	    add_str_opt(o, "nodeName", p->node_name) == -1 ||
	    (p->host_network && add_bool(o, "hostNetwork", 1) == -1) ||
	    (p->host_pid && add_bool(o, "hostPID", 1) == -1) ||
	    (p->host_ipc && add_bool(o, "hostIPC", 1) == -1) ||
	    (p->share_pid && add_bool(o, "shareProcessNamespace", 1) == -1) ||
	    add_item(o, "securityContext",
	    pod_security_context_json(&p->psc)) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/*
 * A terminating pod has a deletionTimestamp, the time it is to be gone
 * by (the API server sets now + grace), and the grace period used; the
 * executor sends the deadline, or 0 before it has started to stop the
 * pod, when the time of this rendering stands in.
 */
static int
add_deletion_opt(cJSON *o, const struct pview *pv)
{
	int64_t grace = pv->pod->termination_grace_seconds;

	if (!pv_terminating(pv))
		return 0;
	if (add_time(o, "deletionTimestamp", pv->rep->deletion_ns > 0 ?
	    pv->rep->deletion_ns : pv->now_ns) == -1)
		return -1;
	return add_num(o, "deletionGracePeriodSeconds", grace >= 0 ? grace :
	    0);
}

static cJSON *
metadata_json(const struct pview *pv)
{
	const struct pod *p = pv->pod;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str(o, "name", p->name) == -1 ||
	    add_str(o, "namespace", p->namespace) == -1 ||
	    add_str_opt(o, "uid", p->uid) == -1 ||
	    add_time(o, "creationTimestamp", pv_start_time(pv)) == -1 ||
	    add_deletion_opt(o, pv) == -1 ||
	    add_kv_map_opt(o, "labels", p->labels, p->n_labels) == -1 ||
	    add_kv_map_opt(o, "annotations", p->annotations,
	    p->n_annotations) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
pod_json(const struct pview *pv)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (add_str(o, "apiVersion", "v1") == -1 ||
	    add_str(o, "kind", "Pod") == -1 ||
	    add_item(o, "metadata", metadata_json(pv)) == -1 ||
	    add_item(o, "spec", spec_json(pv->pod)) == -1 ||
	    add_item(o, "status", status_json(pv)) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
podstatus_pod_json(const struct pod *p, const struct pod_report *r,
    int64_t now_ns)
{
	struct pview pv;

	pview_init(&pv, p, r, now_ns);
	return pod_json(&pv);
}

/* --- lists: sorted by namespace, name as the API server lists them --- */

struct entry {
	const struct pod	*pod;
	const struct pod_report	*rep;
	size_t			 idx;
};

/*
 * Two pods of one namespace/name are an old one terminating and its
 * replacement: the replacement first (what a script taking the first
 * match wants), then the newer first.
 */
int
podstatus_cmp(const struct pod *pa, const struct pod_report *ra,
    const struct pod *pb, const struct pod_report *rb)
{
	int c, ta = ra != NULL && ra->terminating;
	int tb = rb != NULL && rb->terminating;
	int64_t sa = ra != NULL ? ra->start_time_ns : 0;
	int64_t sb = rb != NULL ? rb->start_time_ns : 0;

	if ((c = strcmp(nz(pa->namespace), nz(pb->namespace))) != 0)
		return c;
	if ((c = strcmp(nz(pa->name), nz(pb->name))) != 0)
		return c;
	if (ta != tb)
		return ta - tb;
	return sa > sb ? -1 : sa < sb;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *ea = a, *eb = b;
	int c;

	if ((c = podstatus_cmp(ea->pod, ea->rep, eb->pod, eb->rep)) != 0)
		return c;
	return ea->idx < eb->idx ? -1 : ea->idx > eb->idx;
}

static struct entry *
entries_sorted(const struct pod *const *pods,
    const struct pod_report *const *reps, size_t n)
{
	struct entry *e;
	size_t i;

	if ((e = calloc(n ? n : 1, sizeof(*e))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		e[i].pod = pods[i];
		e[i].rep = reps != NULL ? reps[i] : NULL;
		e[i].idx = i;
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	return e;
}

static cJSON *
podlist_items(const struct entry *e, size_t n, int64_t now_ns)
{
	struct pview pv;
	cJSON *a;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		pview_init(&pv, e[i].pod, e[i].rep, now_ns);
		if (append_item(a, pod_json(&pv)) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

cJSON *
podstatus_podlist_json(const struct pod *const *pods,
    const struct pod_report *const *reps, size_t n, int64_t now_ns)
{
	struct entry *e;
	cJSON *o = NULL, *meta;

	if ((e = entries_sorted(pods, reps, n)) == NULL)
		return NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		goto out;
	if (add_str(o, "apiVersion", "v1") == -1 ||
	    add_str(o, "kind", "PodList") == -1 ||
	    (meta = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    add_str(meta, "resourceVersion", "") == -1 ||
	    add_item(o, "items", podlist_items(e, n, now_ns)) == -1) {
		cJSON_Delete(o);
		o = NULL;
	}
 out:
	free(e);
	return o;
}

/* --- the kubectl table --- */

enum { COL_NAMESPACE, COL_NAME, COL_READY, COL_STATUS, COL_RESTARTS,
    COL_AGE };

static const char *const table_header[TABLE_COLS] = {
	"NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"
};

struct table_row {
	const char	*cell[TABLE_COLS];
	char		 ready[CELL_NUM_LEN];
	char		 status[REASON_NUM_LEN];
	char		 restarts[CELL_NUM_LEN];
	char		 age[PODSTATUS_DURATION_LEN];
};

/* one container's say in printPod's STATUS; NULL: it has none */
static const char *
container_reason(const struct cview *cv, char *buf, size_t len)
{
	const struct container_report *r = cv->rep;

	switch (cv_state(cv)) {
	case CSTATE_WAITING:
		return cv_waiting_reason(cv);
	case CSTATE_TERMINATED:
		if (nonempty(r->reason))
			return r->reason;
		if (r->signal != 0)
			snprintf(buf, len, "Signal:%d", r->signal);
		else
			snprintf(buf, len, "ExitCode:%d", r->exit_code);
		return buf;
	}
	return NULL;
}

/*
 * printPod: the pod reason or phase, overridden by each container's
 * reason walking containerStatuses from the last, so the first (by name)
 * wins; "Completed" with a container still running reads as Running.
 */
static void
row_status(const struct pview *pv, struct table_row *row)
{
	const struct cview *cv;
	const char *reason, *cr;
	uint32_t i, ready = 0;
	int has_running = 0;

	reason = pv->phase;
	if (pv->rep != NULL && nonempty(pv->rep->reason))
		reason = pv->rep->reason;
	else if (pv->denied)
		reason = REASON_DENIED;
	for (i = pv->n; i > 0 && !pv->denied; i--) {
		cv = &pv->c[pv->byname[i - 1]];
		if ((cr = container_reason(cv, row->status,
		    sizeof(row->status))) != NULL)
			reason = cr;
		else if (cv_ready(cv)) {
			has_running = 1;
			ready++;
		}
	}
	if (strcmp(reason, "Completed") == 0 && has_running)
		reason = pv_is_ready(pv) ? "Running" : "NotReady";
	/* printPod: a pod with a deletionTimestamp, unless it is done */
	if (pv_terminating(pv) && strcmp(pv->phase, PHASE_SUCCEEDED) != 0 &&
	    strcmp(pv->phase, PHASE_FAILED) != 0)
		reason = "Terminating";
	row->cell[COL_STATUS] = reason;
	snprintf(row->ready, sizeof(row->ready), "%u/%u", ready,
	    pv->pod->n_containers);
	row->cell[COL_READY] = row->ready;
}

/* "N" or "N (3m2s ago)" from the latest lastState.terminated.finishedAt */
static void
row_restarts(const struct pview *pv, struct table_row *row, int64_t now_ns)
{
	const struct container_report *r;
	char ago[PODSTATUS_DURATION_LEN];
	int64_t last = 0, total = 0;
	uint32_t i;

	for (i = 0; i < pv->n && !pv->denied; i++) {
		if ((r = pv->c[i].rep) == NULL)
			continue;
		total += r->restart_count;
		if (r->has_last && r->last_term.finished_at_ns > last)
			last = r->last_term.finished_at_ns;
	}
	if (total != 0 && last > 0) {
		since(last, now_ns, ago, sizeof(ago));
		snprintf(row->restarts, sizeof(row->restarts),
		    "%lld (%s ago)", (long long)total, ago);
	} else
		snprintf(row->restarts, sizeof(row->restarts), "%lld",
		    (long long)total);
	row->cell[COL_RESTARTS] = row->restarts;
}

static void
row_fill(struct table_row *row, const struct entry *e, int64_t now_ns)
{
	struct pview pv;

	pview_init(&pv, e->pod, e->rep, now_ns);
	row->cell[COL_NAMESPACE] = nz(e->pod->namespace);
	row->cell[COL_NAME] = nz(e->pod->name);
	row_status(&pv, row);
	row_restarts(&pv, row, now_ns);
	since(pv_start_time(&pv), now_ns, row->age, sizeof(row->age));
	row->cell[COL_AGE] = row->age;
}

/* tabwriter counts runes, not bytes */
static size_t
utf8_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Cells are printed escaped (str_escape_ctl): a name or a reason with a
 * newline or an escape sequence would forge a row or drive the terminal
 * of whoever runs agentctl.  The executor only accepts names that are
 * DNS labels and subdomains; this holds even if that were bypassed.
 * Widths are those of the escaped text.
 */
#define CELL_ESC_LEN	STR_ESCAPE_MAX(POD_MAX_REASON + 1)

static size_t
cell_width(const char *cell)
{
	char esc[CELL_ESC_LEN];

	str_escape_ctl(esc, sizeof(esc), cell);
	return utf8_width(esc);
}

/* every column but the last is padded; the last is a trailing cell */
static void
column_widths(const struct table_row *rows, size_t nrows,
    size_t width[TABLE_COLS])
{
	size_t i, w;
	int c;

	for (c = 0; c < TABLE_COLS; c++) {
		width[c] = 0;
		for (i = 0; i < nrows; i++)
			if ((w = cell_width(rows[i].cell[c])) > width[c])
				width[c] = w;
		width[c] += TABLE_PADDING;
		if (width[c] < TABLE_MINWIDTH)
			width[c] = TABLE_MINWIDTH;
	}
}

/* with out NULL, only count the bytes needed (without the NUL) */
static size_t
table_emit(const struct table_row *rows, size_t nrows,
    const size_t width[TABLE_COLS], char *out)
{
	size_t i, off = 0, len, pad;
	int c;

	for (i = 0; i < nrows; i++) {
		for (c = 0; c < TABLE_COLS; c++) {
			len = str_escape_ctl(NULL, 0, rows[i].cell[c]);
			pad = c == TABLE_COLS - 1 ? 0 :
			    width[c] - cell_width(rows[i].cell[c]);
			if (out != NULL) {
				/* its NUL lands where the pad or '\n' goes */
				str_escape_ctl(out + off, len + 1,
				    rows[i].cell[c]);
				memset(out + off + len, ' ', pad);
			}
			off += len + pad;
		}
		if (out != NULL)
			out[off] = '\n';
		off++;
	}
	return off;
}

static char *
table_render(const struct table_row *rows, size_t nrows)
{
	size_t width[TABLE_COLS], len;
	char *out;

	column_widths(rows, nrows, width);
	len = table_emit(rows, nrows, width, NULL);
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	table_emit(rows, nrows, width, out);
	out[len] = '\0';
	return out;
}

char *
podstatus_table(const struct pod *const *pods,
    const struct pod_report *const *reps, size_t n, int64_t now_ns)
{
	struct table_row *rows = NULL;
	struct entry *e;
	char *out = NULL;
	size_t i;
	int c;

	if ((e = entries_sorted(pods, reps, n)) == NULL)
		return NULL;
	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL)
		goto out;
	for (c = 0; c < TABLE_COLS; c++)
		rows[0].cell[c] = table_header[c];
	for (i = 0; i < n; i++)
		row_fill(&rows[i + 1], &e[i], now_ns);
	out = table_render(rows, n + 1);
 out:
	free(rows);
	free(e);
	return out;
}
