/*
 * The status rules: PodStatus from the pod spec and the executor's
 * report, following the kubelet (pkg/kubelet/kubelet_pods.go: getPhase,
 * generateAPIPodStatus, convertToAPIContainerStatuses;
 * pkg/kubelet/status/generate.go): the phase, the conditions, the
 * container states and the QoS class.  The spec and list JSON are in
 * podjson.c, the `kubectl get pods` table in podprint.c.
 *
 * Where agentd knows less than the kubelet, documented here once:
 *  - there are no readiness gates: "ready" and "started" are what the
 *    executor reports (its probes decide them; a sidecar's started is
 *    sidecar_started());
 *  - a condition's lastTransitionTime is the pod's start time until the
 *    condition changes, then the time the report that changed it arrived
 *    (podstatus_track, kept per pod uid here; the kubelet's value is only
 *    as good as its status cache too);
 *  - creationTimestamp is the time the executor accepted the pod (a
 *    static pod's mirror gets its own from the API server);
 *  - the phase is computed with podIsTerminal false: terminal phases
 *    follow from the containers and restartPolicy alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "pod.h"
#include "podstatus.h"
#include "podview.h"

#define NAME_LIST_LEN		(POD_MAX_CONTAINERS * (POD_MAX_LABEL + 1) + 64)
#define REJECT_MSG_LEN		(POD_MAX_REASON + 64)

/* kubelet_pods.go: the waiting reason before the runtime has a container */
#define REASON_CREATING		"ContainerCreating"
/* ... and in a pod with init containers */
#define REASON_INITIALIZING	"PodInitializing"
/* kubelet.go rejectPod() */
#define REJECT_PREFIX		"Pod was rejected: "

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

int
cv_state(const struct cview *cv)
{
	if (cv->rep == NULL)
		return CSTATE_WAITING;
	if (cv->rep->state == CSTATE_RUNNING ||
	    cv->rep->state == CSTATE_TERMINATED)
		return cv->rep->state;
	return CSTATE_WAITING;
}

int
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
const char *
cv_waiting_reason(const struct cview *cv)
{
	const char *dflt = cv->in_init_pod ? REASON_INITIALIZING :
	    REASON_CREATING;

	if (cv->rep == NULL)
		return dflt;
	if (nonempty(cv->rep->reason))
		return cv->rep->reason;
	if (cv->rep->has_last || cv->rep->restart_count > 0)
		return NULL;
	return dflt;
}

int
cv_is_sidecar(const struct cview *cv)
{
	return cv->spec != NULL && pod_is_sidecar(cv->spec);
}

/* running and past its startup probe (none: running is started); an
   init container's is the executor's (sidecar_started) */
int
cv_started(const struct cview *cv)
{
	return cv_state(cv) == CSTATE_RUNNING && (cv->rep->started ||
	    (!cv->is_init && pod_probe(cv->spec, PROBE_STARTUP) == NULL));
}

/* kubecontainer.HasAnyRegularContainerStarted */
static int
any_container_started(const struct pview *pv)
{
	uint32_t i;

	for (i = 0; i < pv->n; i++)
		if (cv_state(&pv->c[i]) != CSTATE_WAITING ||
		    cv_has_last(&pv->c[i]))
			return 1;
	return 0;
}

struct init_counts {
	uint32_t	pending;	/* pendingInitialization */
	uint32_t	failed;		/* failedInitialization */
	uint32_t	running;	/* sidecars running */
	uint32_t	waiting;	/* sidecars never started */
};

/* getPhase's walks of the init containers: plain ones, then sidecars */
static void
init_counts(const struct pview *pv, struct init_counts *k)
{
	const struct cview *cv;
	uint32_t i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < pv->n_init; i++) {
		cv = &pv->ic[i];
		if (cv_is_sidecar(cv)) {
			switch (cv_state(cv)) {
			case CSTATE_RUNNING:
				if (!cv_started(cv))
					k->pending++;
				k->running++;
				break;
			case CSTATE_TERMINATED:
				break;	/* not counted for the phase */
			default:
				if (!cv_has_last(cv)) {
					k->pending++;
					k->waiting++;
				}
			}
			continue;
		}
		switch (cv_state(cv)) {
		case CSTATE_RUNNING:
			k->pending++;
			break;
		case CSTATE_TERMINATED:
			if (cv->rep->exit_code != 0)
				k->failed++;
			break;
		default:
			if (cv_has_last(cv)) {
				if (cv->rep->last_term.exit_code != 0)
					k->failed++;
			} else
				k->pending++;
		}
	}
}

/* getPhase() with podIsTerminal false */
static const char *
phase_compute(const struct pview *pv)
{
	uint32_t i, running = 0, waiting = 0, stopped = 0, succeeded = 0;
	struct init_counts k;

	if (pv->denied)
		return PHASE_FAILED;
	init_counts(pv, &k);
	running = k.running;
	waiting = k.waiting;
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
	if (k.failed > 0 && pv->pod->restart_policy == RESTART_NEVER)
		return PHASE_FAILED;
	if (k.pending > 0 && !any_container_started(pv))
		return PHASE_PENDING;
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

static const struct container_report *
init_report_find(const struct pod_report *r, const char *name)
{
	uint32_t i;

	if (r == NULL || name == NULL)
		return NULL;
	for (i = 0; i < r->n_init_containers; i++)
		if (r->init_containers[i].name != NULL &&
		    strcmp(r->init_containers[i].name, name) == 0)
			return &r->init_containers[i];
	return NULL;
}

static void
pview_init_containers(struct pview *pv, const struct pod *p,
    const struct pod_report *r)
{
	uint32_t i;

	pv->n_init = p->n_init_containers < POD_MAX_CONTAINERS ?
	    p->n_init_containers : POD_MAX_CONTAINERS;
	for (i = 0; i < pv->n_init; i++) {
		pv->ic[i].spec = &p->init_containers[i];
		pv->ic[i].rep = init_report_find(r, p->init_containers[i].name);
		pv->ic[i].in_init_pod = 1;
		pv->ic[i].is_init = 1;
	}
}

/* Go's fmt %s of a []string: "[a b]", appended at off */
static size_t
names_append(char *buf, size_t len, size_t off, const char *name, int first)
{
	if (off >= len)
		return off;
	return off + snprintf(buf + off, len - off, "%s%s", first ? "" : " ",
	    name);
}

/*
 * GeneratePodInitializedCondition: true without init containers, once a
 * container has started, or when every init container has exited 0 and
 * every sidecar has started; else the incomplete ones are named.  The
 * executor reports every init container, so none is "unknown".
 */
static int
initialized_compute(const struct pview *pv, char *msg, size_t len)
{
	const struct cview *cv;
	size_t off = 0;
	uint32_t i, n = 0;
	int done;

	if (pv->n_init == 0 || any_container_started(pv))
		return 1;
	if (msg != NULL && len > 0)
		off = snprintf(msg, len, "containers with incomplete status: [");
	for (i = 0; i < pv->n_init; i++) {
		cv = &pv->ic[i];
		if (cv_is_sidecar(cv))
			done = cv_started(cv);
		else
			done = cv_state(cv) == CSTATE_TERMINATED &&
			    cv->rep->exit_code == 0;
		if (done)
			continue;
		if (msg != NULL)
			off = names_append(msg, len, off, nz(cv->spec->name),
			    n == 0);
		n++;
	}
	if (msg != NULL && off < len)
		snprintf(msg + off, len - off, "]");
	return n == 0;
}

void
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
		pv->c[i].in_init_pod = p->n_init_containers > 0;
		pv->byname[i] = i;
	}
	pview_sort(pv);
	pview_init_containers(pv, p, r);
	pv->denied = r != NULL && r->denied;
	pv->phase = phase_compute(pv);
	pv->initialized = initialized_compute(pv, NULL, 0);
	/* the kubelet's ShouldEvict (activeDeadlineSeconds): Failed */
	if (r != NULL && r->failed)
		pv->phase = PHASE_FAILED;
}

const char *
podstatus_phase(const struct pod *p, const struct pod_report *r)
{
	struct pview pv;

	pview_init(&pv, p, r, 0);
	return pv.phase;
}

int64_t
pv_start_time(const struct pview *pv)
{
	return pv->rep != NULL ? pv->rep->start_time_ns : 0;
}

int
pv_terminating(const struct pview *pv)
{
	return pv->rep != NULL && pv->rep->terminating;
}

/* --- QoS class: GetPodQOS, shared with the executor (ipc/pod.c) --- */

const char *
podstatus_qos_class(const struct pod *p)
{
	return pod_qos_name(pod_qos_class(p));
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
	if (pj_add_str(o, "type", c->type) == -1 ||
	    pj_add_str(o, "status", c->is_true ? "True" : "False") == -1 ||
	    cJSON_AddNullToObject(o, "lastProbeTime") == NULL ||
	    pj_add_time(o, "lastTransitionTime", t_ns) == -1 ||
	    pj_add_str_opt(o, "reason", c->reason) == -1 ||
	    pj_add_str_opt(o, "message", c->message) == -1) {
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
	/* the sidecars first, as GenerateContainersReadyCondition walks */
	for (i = 0; i < pv->n_init && off < len; i++) {
		if (!cv_is_sidecar(&pv->ic[i]) || cv_ready(&pv->ic[i]))
			continue;
		off += snprintf(buf + off, len - off, "%s%s", first ? "" : " ",
		    nz(pv->ic[i].spec->name));
		first = 0;
	}
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

	for (i = 0; i < pv->n_init; i++)
		if (cv_is_sidecar(&pv->ic[i]) && !cv_ready(&pv->ic[i]))
			return 0;
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

int
pv_is_ready(const struct pview *pv)
{
	return strcmp(pv->phase, PHASE_SUCCEEDED) != 0 &&
	    strcmp(pv->phase, PHASE_FAILED) != 0 && all_ready(pv);
}

/* in the kubelet's order: generateAPIPodStatus */
#define POD_NCONDS	5
static void
conditions(const struct pview *pv, struct cond c[POD_NCONDS], char *msg,
    size_t len)
{
	/* the messages live in the caller's msg: ContainersReady's in its
	   first half, Initialized's in the second */
	char *imsg = msg + len / 2;
	struct cond cr;
	int succeeded = strcmp(pv->phase, PHASE_SUCCEEDED) == 0;

	containers_ready(pv, &cr, msg, len / 2);
	c[0] = (struct cond){ "PodReadyToStartContainers",
	    pv->rep != NULL && pv->rep->sandbox_ready, NULL, NULL };
	c[1] = (struct cond){ "Initialized", 1,
	    succeeded ? "PodCompleted" : NULL, NULL };
	if (!succeeded && !initialized_compute(pv, imsg, len / 2))
		c[1] = (struct cond){ "Initialized", 0,
		    "ContainersNotInitialized", imsg };
	c[2] = cr;
	c[2].type = "Ready";
	c[3] = cr;
	c[4] = (struct cond){ "PodScheduled", 1, NULL, NULL };
}

/*
 * When each condition of a pod last changed: what the reports said, per
 * pod uid, for lastTransitionTime.  A pod not seen yet starts at its
 * start time; a full table gives up the entry updated longest ago.
 */
#define COND_TRACK_MAX	(2 * MAX_PODS)
struct cond_track {
	char		 uid[POD_MAX_UID + 1];
	int64_t		 touched_ns;
	uint8_t		 is_true[POD_NCONDS];
	int64_t		 at_ns[POD_NCONDS];
};
static struct cond_track	cond_tracks[COND_TRACK_MAX];

static struct cond_track *
track_find(const char *uid)
{
	size_t i;

	if (uid == NULL || uid[0] == '\0')
		return NULL;
	for (i = 0; i < COND_TRACK_MAX; i++)
		if (strcmp(cond_tracks[i].uid, uid) == 0)
			return &cond_tracks[i];
	return NULL;
}

static struct cond_track *
track_new(const char *uid)
{
	struct cond_track *t = &cond_tracks[0];
	size_t i;

	for (i = 0; i < COND_TRACK_MAX; i++) {
		if (cond_tracks[i].uid[0] == '\0') {
			t = &cond_tracks[i];
			break;
		}
		if (cond_tracks[i].touched_ns < t->touched_ns)
			t = &cond_tracks[i];
	}
	memset(t, 0, sizeof(*t));
	snprintf(t->uid, sizeof(t->uid), "%s", uid);
	return t;
}

void
podstatus_track(const struct pod *p, const struct pod_report *r,
    int64_t now_ns)
{
	char msg[2 * NAME_LIST_LEN];
	struct cond c[POD_NCONDS];
	struct cond_track *t;
	struct pview pv;
	int i, fresh = 0;

	if (p->uid == NULL || p->uid[0] == '\0' || r == NULL)
		return;
	pview_init(&pv, p, r, now_ns);
	if (pv.denied)
		return;
	conditions(&pv, c, msg, sizeof(msg));
	if ((t = track_find(p->uid)) == NULL) {
		t = track_new(p->uid);
		fresh = 1;
	}
	t->touched_ns = now_ns;
	for (i = 0; i < POD_NCONDS; i++) {
		if (!fresh && t->is_true[i] == (c[i].is_true != 0))
			continue;
		t->is_true[i] = c[i].is_true != 0;
		t->at_ns[i] = fresh ? pv_start_time(&pv) : now_ns;
	}
}

void
podstatus_forget(const char *uid)
{
	struct cond_track *t = track_find(uid);

	if (t != NULL)
		memset(t, 0, sizeof(*t));
}

static int64_t
transition_time(const struct pview *pv, int i, const struct cond *c)
{
	const struct cond_track *t = track_find(pv->pod->uid);

	if (t == NULL || t->is_true[i] != (c->is_true != 0) ||
	    t->at_ns[i] == 0)
		return pv_start_time(pv);
	return t->at_ns[i];
}

static cJSON *
conditions_json(const struct pview *pv)
{
	char msg[2 * NAME_LIST_LEN];
	struct cond c[POD_NCONDS];
	cJSON *a;
	int i;

	conditions(pv, c, msg, sizeof(msg));
	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < POD_NCONDS; i++) {
		if (pj_append_item(a, condition_json(&c[i],
		    transition_time(pv, i, &c[i]))) == -1) {
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
	if (pj_add_num(o, "exitCode", t->exit_code) == -1 ||
	    (t->signal != 0 && pj_add_num(o, "signal", t->signal) == -1) ||
	    pj_add_str_opt(o, "reason", t->reason) == -1 ||
	    pj_add_str_opt(o, "message", t->message) == -1 ||
	    pj_add_time(o, "startedAt", t->started_at_ns) == -1 ||
	    pj_add_time(o, "finishedAt", t->finished_at_ns) == -1 ||
	    pj_add_str_opt(o, "containerID", t->container_id) == -1) {
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
	if (pj_add_str_opt(w, "reason", cv_waiting_reason(cv)) == -1)
		return -1;
	return cv->rep != NULL ? pj_add_str_opt(w, "message", cv->rep->message) :
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
		    pj_add_time(run, "startedAt", cv->rep->started_at_ns);
		break;
	case CSTATE_TERMINATED:
		rc = pj_add_item(o, "terminated",
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
	if (cv_has_last(cv) && pj_add_item(o, "terminated",
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
	if (pj_add_str(o, "name", cv->spec->name) == -1 ||
	    pj_add_item(o, "state", state_json(cv)) == -1 ||
	    pj_add_item(o, "lastState", last_state_json(cv)) == -1 ||
	    pj_add_bool(o, "ready", cv->is_init && !cv_is_sidecar(cv) ?
	    r != NULL && r->ready : cv_ready(cv)) == -1 ||
	    pj_add_num(o, "restartCount", r ? r->restart_count : 0) == -1 ||
	    pj_add_str(o, "image", r && nonempty(r->image) ? r->image :
	    cv->spec->image) == -1 ||
	    pj_add_str(o, "imageID", r ? r->image_id : NULL) == -1 ||
	    pj_add_str_opt(o, "containerID", r ? r->container_id : NULL) == -1 ||
	    pj_add_bool(o, "started", cv_started(cv)) == -1) {
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
		if (pj_append_item(a, container_status_json(
		    &pv->c[pv->byname[i]])) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* in spec order (the kubelet keeps the init containers' order) */
static cJSON *
init_statuses_json(const struct pview *pv)
{
	cJSON *a;
	uint32_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < pv->n_init; i++) {
		if (pj_append_item(a, container_status_json(&pv->ic[i])) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* --- the status object --- */

/* "a,b" (the primary family first): [{ip: a}, {ip: b}] */
static int
add_ip_list(cJSON *o, const char *k, const char *ips)
{
	char ip[POD_MAX_IP + 1];
	const char *c, *e;
	cJSON *a, *item;
	size_t n;

	if ((a = cJSON_AddArrayToObject(o, k)) == NULL)
		return -1;
	for (c = ips; *c != '\0'; c = *e ? e + 1 : e) {
		if ((e = strchr(c, ',')) == NULL)
			e = c + strlen(c);
		if ((n = (size_t)(e - c)) == 0 || n >= sizeof(ip))
			continue;
		memcpy(ip, c, n);
		ip[n] = '\0';
		if ((item = cJSON_CreateObject()) == NULL ||
		    pj_append_item(a, item) == -1 ||
		    pj_add_str(item, "ip", ip) == -1)
			return -1;
	}
	return 0;
}

/* hostIP, podIP: the first of the list */
static int
add_ip(cJSON *o, const char *k, const char *ips)
{
	char ip[POD_MAX_IP + 1];
	size_t n = strcspn(ips, ",");

	if (n >= sizeof(ip))
		n = sizeof(ip) - 1;
	memcpy(ip, ips, n);
	ip[n] = '\0';
	return pj_add_str(o, k, ip);
}

/*
 * hostIP/hostIPs: the node's addresses (nodeIP, or the default routes'),
 * as the executor reports them; hostNetwork pods get them as their own
 * (kubelet generateAPIPodStatus).
 */
static int
add_ips(cJSON *o, const struct pview *pv)
{
	const char *host = pv->rep ? pv->rep->host_ip : NULL;
	const char *pod = pv->rep ? pv->rep->pod_ip : NULL;

	if (!nonempty(pod) && pv->pod->host_network)
		pod = host;
	if (nonempty(host) && (add_ip(o, "hostIP", host) == -1 ||
	    add_ip_list(o, "hostIPs", host) == -1))
		return -1;
	if (nonempty(pod) && (add_ip(o, "podIP", pod) == -1 ||
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
	if (pj_add_str(o, "phase", PHASE_FAILED) == -1 ||
	    pj_add_str(o, "message", msg) == -1 ||
	    pj_add_str(o, "reason", nonempty(r->reason) ? r->reason :
	    REASON_DENIED) == -1 ||
	    pj_add_time(o, "startTime", r->start_time_ns) == -1 ||
	    pj_add_str(o, "qosClass", podstatus_qos_class(pv->pod)) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
status_json(const struct pview *pv)
{
	cJSON *o;

	if (pv->denied)
		return denied_status_json(pv);
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (pj_add_str(o, "phase", pv->phase) == -1 ||
	    pj_add_item(o, "conditions", conditions_json(pv)) == -1 ||
	    pj_add_str_opt(o, "message", pv->rep ? pv->rep->message : NULL) ==
	    -1 ||
	    pj_add_str_opt(o, "reason", pv->rep ? pv->rep->reason : NULL) == -1 ||
	    add_ips(o, pv) == -1 ||
	    pj_add_time(o, "startTime", pv_start_time(pv)) == -1 ||
	    (pv->n_init > 0 && pj_add_item(o, "initContainerStatuses",
	    init_statuses_json(pv)) == -1) ||
	    pj_add_item(o, "containerStatuses", container_statuses_json(pv)) ==
	    -1 ||
	    pj_add_str(o, "qosClass", podstatus_qos_class(pv->pod)) == -1) {
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
