/*
 * The pod lifecycle, as the kubelet's pod workers run it: accept a pod,
 * check it against the node policy, create its sandbox, start its
 * containers, restart them by restartPolicy with the crash-loop backoff,
 * and terminate it (stop signal, grace period, SIGKILL, removal) when it
 * leaves the desired set.
 *
 * It is a state machine driven by events: a pod set, a job's result
 * (job.c: every runtime call runs in a child), a container's exit
 * (exitwatch.c), a timer.  pod_step() makes every transition of a pod and
 * slot_step() every transition of a container slot; neither waits for
 * anything.  One job per pod is in flight at a time (x->busy), so a pod's
 * operations happen in order while pods proceed in parallel.
 *
 * Every privileged step is audited before (intent, acknowledged as durable
 * by agentd) and after (outcome); an intent that cannot be recorded means
 * the step does not happen.  State is rebuilt after a restart from what
 * the runtime has on disk (the labels stored with each container), so
 * killing the executor or agentd loses no container and restarts none.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditfmt.h"
#include "cninet.h"
#include "config.h"
#include "evring.h"
#include "executor.h"
#include "identity.h"
#include "ipc.h"
#include "job.h"
#include "probe.h"
#include "log.h"
#include "msgcat.h"
#include "podfiles.h"
#include "policy.h"

#define CNI_CHECK_TRIES		3	/* CHECKs before SandboxChanged */
#define CNI_CHECK_RETRY_S	2	/* between them */
#define NS_PER_S	1000000000LL
#define STEP_MAX_PASSES	8	/* transitions per pod per step, a bound */

static struct xpod	*xpods[MAX_PODS];
static size_t		 nxpods;
static int		 have_podset;	/* a full set has arrived since start */
static int		 api_unsynced;	/* the last set's PODSET_F_API_UNSYNCED */

/*
 * The network at executor start: CHECK of every re-adopted sandbox and GC
 * of the current network run once netparse's channel is there (their
 * errors are CNI error objects it decodes), or after NETSTART_WAIT_S
 * without it.  No sandbox is created until GC is over: an attachment made
 * meanwhile would not be in its list of valid ones.
 */
#define NETSTART_WAIT_S		5
enum gc_state { GC_PENDING = 0, GC_RUNNING, GC_DONE };
static enum gc_state	 gc_state;
static int		 net_go;	/* start-up CNI work may begin */
static int64_t		 netstart_ns;
static struct cni_conf	 net_now;	/* cniConfDir's network at start */
static int		 have_net_now;

static void	pod_step(struct xpod *);

size_t
lc_count(void)
{
	return nxpods;
}

static struct xpod *
find_uid(const char *uid)
{
	size_t i;

	for (i = 0; i < nxpods; i++)
		if (!xpods[i]->terminating &&
		    strcmp(xpods[i]->pod.uid ? xpods[i]->pod.uid : "", uid) == 0)
			return xpods[i];
	return NULL;
}

static struct xpod *
xpod_new(void)
{
	struct xpod *x;

	if (nxpods >= MAX_PODS || (x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	pod_init(&x->pod);
	xpods[nxpods++] = x;
	return x;
}

static void
slot_clear_last(struct xctr *c)
{
	free(c->last.reason);
	free(c->last.message);
	free(c->last.container_id);
	memset(&c->last, 0, sizeof(c->last));
	c->has_last = 0;
}

static void
slot_free(struct xctr *c)
{
	slot_clear_last(c);
	free(c->message);
	free(c->image_id);
	memset(c, 0, sizeof(*c));
}

static void
xpod_free_at(size_t i)
{
	struct xpod *x = xpods[i];
	uint32_t s;

	for (s = 0; s < x->n_slots; s++)
		slot_free(&x->ctrs[s]);
	if (x->next_pod != NULL) {
		pod_free(x->next_pod);
		free(x->next_pod);
	}
	pod_free(&x->pod);
	free(x);
	xpods[i] = xpods[--nxpods];
}

static int64_t
now_ns(void)
{
	return pod_now_ns();
}

/* ask for a step of this pod at `when` at the latest */
static void
wake_at(struct xpod *x, int64_t when)
{
	if (x->wake_ns == 0 || when < x->wake_ns)
		x->wake_ns = when;
}

static void
set_message(struct xctr *c, const char *m)
{
	free(c->message);
	c->message = m != NULL && m[0] != '\0' ? strdup(m) : NULL;
}

static int
message_is(const struct xctr *c, const char *m)
{
	return strcmp(c->message ? c->message : "", m ? m : "") == 0;
}

static void
set_waiting(struct xpod *x, struct xctr *c, const char *reason,
    const char *message)
{
	if (c->state != CSTATE_WAITING || strcmp(c->reason, reason) != 0 ||
	    !message_is(c, message))
		x->dirty = 1;
	c->state = CSTATE_WAITING;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	set_message(c, message);
}

static int
is_init_kind(const struct xctr *c)
{
	return c->kind == SLOT_INIT || c->kind == SLOT_SIDECAR;
}

static const struct container_spec *
slot_spec(const struct xpod *x, const struct xctr *c)
{
	if (is_init_kind(c) && c->spec_index >= 0 &&
	    (uint32_t)c->spec_index < x->pod.n_init_containers)
		return &x->pod.init_containers[c->spec_index];
	if (c->kind != SLOT_REGULAR || c->spec_index < 0 ||
	    (uint32_t)c->spec_index >= x->pod.n_containers)
		return NULL;
	return &x->pod.containers[c->spec_index];
}

/*
 * The waiting reason of a container the runtime does not have yet: the
 * kubelet's default is PodInitializing in a pod with init containers
 * (convertToAPIContainerStatuses), ContainerCreating otherwise.
 */
static const char *
creating_reason(const struct xpod *x)
{
	return x->pod.n_init_containers > 0 ? "PodInitializing" :
	    "ContainerCreating";
}

const struct container_spec *
lc_slot_spec(const struct xpod *x, const struct xctr *c)
{
	return slot_spec(x, c);
}

/* the slot running container id now, and its pod */
struct xctr *
lc_find_container(const char *id, struct xpod **xp)
{
	size_t i;
	uint32_t s;

	for (i = 0; id[0] != '\0' && i < nxpods; i++)
		for (s = 0; s < xpods[i]->n_slots; s++)
			if (strcmp(xpods[i]->ctrs[s].id, id) == 0) {
				*xp = xpods[i];
				return &xpods[i]->ctrs[s];
			}
	return NULL;
}

static struct xctr *
slot_add(struct xpod *x, enum slot_kind kind, const char *name)
{
	struct xctr *c;

	if (x->n_slots >= XPOD_MAX_SLOTS)
		return NULL;
	c = &x->ctrs[x->n_slots++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->spec_index = -1;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

static void
slot_remove(struct xpod *x, struct xctr *c)
{
	uint32_t i = (uint32_t)(c - x->ctrs);

	slot_free(c);
	if (i + 1 < x->n_slots)
		memmove(&x->ctrs[i], &x->ctrs[i + 1],
		    (x->n_slots - i - 1) * sizeof(x->ctrs[0]));
	x->n_slots--;
	memset(&x->ctrs[x->n_slots], 0, sizeof(x->ctrs[0]));
}

/* the slot of spec container i (REGULAR slots come first, in order) */
static struct xctr *
spec_slot(struct xpod *x, uint32_t i)
{
	uint32_t s;

	for (s = 0; s < x->n_slots; s++)
		if (x->ctrs[s].kind == SLOT_REGULAR &&
		    x->ctrs[s].spec_index == (int)i)
			return &x->ctrs[s];
	return NULL;
}

/* ---- exits ---- */

static void	fill_labels(struct xpod *, struct xctr *, struct rt_labels *,
		    const char *);

/*
 * The termination message of a run that ended (termmsg.c): the file the
 * container wrote, or its log's end under FallbackToLogsOnError when it
 * failed and wrote none.  Each container's share of the kubelet's 12 KiB
 * per pod (normalizeStatus), at most 4096.  A file that cannot be read
 * is a log line; the message is then empty.
 */
static void
exit_message(struct xpod *x, struct xctr *c)
{
	const struct container_spec *cs = slot_spec(x, c);
	struct rt_labels l;
	char why[512], *msg;
	size_t budget;
	uint32_t n;
	int failed = c->cs.exit_code != 0 || c->cs.signal != 0;

	if (cs == NULL)
		return;
	/* normalizeStatus: shared by the containers and init containers */
	n = x->pod.n_containers + x->pod.n_init_containers;
	budget = RT_TERM_MSG_POD_MAX / (n ? n : 1);
	if (budget > RT_TERM_MSG_MAX)
		budget = RT_TERM_MSG_MAX;
	fill_labels(x, c, &l, NULL);
	msg = rt_term_msg_collect(&l, failed && cs->term_msg_policy ==
	    TERM_MSG_FALLBACK_TO_LOGS, budget, why, sizeof(why));
	if (why[0] != '\0')
		log_warnx("pod %s/%s container %s: termination message: %s",
		    x->pod.namespace, x->pod.name, c->name, why);
	set_message(c, msg);
	free(msg);
}

static void
record_exit(struct xpod *x, struct xctr *c)
{
	const char *reason;

	c->st = XC_EXITED;
	c->state = CSTATE_TERMINATED;
	reason = c->cs.oom_killed ? "OOMKilled" :
	    (c->cs.exit_code == 0 && c->cs.signal == 0) ? "Completed" :
	    "Error";
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	set_message(c, NULL);
	exit_message(x, c);
	x->dirty = 1;
	log_info("pod %s/%s container %s exited: code %d signal %d (%s)",
	    x->pod.namespace, x->pod.name, c->id, c->cs.exit_code,
	    c->cs.signal, reason);
}

/*
 * Look at one container from its files (no runtime process): an exit is
 * recorded, a container removed underneath us starts afresh.
 */
static void
observe(struct xpod *x, struct xctr *c)
{
	struct rt_err err;

	if (c->id[0] == '\0' || c->st != XC_RUNNING)
		return;
	memset(&err, 0, sizeof(err));
	if (rt_container_state(c->id, &c->cs, &err) == -1 ||
	    c->cs.status == RT_UNKNOWN) {
		log_warnx("container %s of pod %s/%s is gone: %s", c->id,
		    x->pod.namespace, x->pod.name, rt_errmsg(&err)[0] ?
		    rt_errmsg(&err) : "the runtime does not know it");
		c->id[0] = '\0';
		c->st = XC_EMPTY;
		set_waiting(x, c, creating_reason(x), NULL);
		return;
	}
	if (c->cs.status == RT_EXITED)
		record_exit(x, c);
	else if (c->state != CSTATE_RUNNING) {
		c->state = CSTATE_RUNNING;
		c->reason[0] = '\0';
		set_message(c, NULL);
		x->dirty = 1;
	}
}

void
lc_exit_event(const char *id)
{
	struct xctr *c;
	size_t i;
	uint32_t s;

	if (id == NULL) {
		lc_relist();
		return;
	}
	for (i = 0; i < nxpods; i++) {
		for (s = 0; s < xpods[i]->n_slots; s++) {
			c = &xpods[i]->ctrs[s];
			if (strcmp(c->id, id) != 0)
				continue;
			observe(xpods[i], c);
			exec_step_soon();
			return;
		}
		if (xpods[i]->has_sandbox && strcmp(xpods[i]->sb.id, id) == 0)
			log_warnx("pod %s/%s: its sandbox's infra process "
			    "exited", xpods[i]->pod.namespace,
			    xpods[i]->pod.name);
	}
	/* a container whose start job has not reported yet: it looks then */
}

/* the consistency check behind the events: file reads per container */
void
lc_relist(void)
{
	size_t i;
	uint32_t s;

	for (i = 0; i < nxpods; i++)
		for (s = 0; s < xpods[i]->n_slots; s++)
			observe(xpods[i], &xpods[i]->ctrs[s]);
	exec_step_soon();
}

/* ---- adoption of what the runtime already runs ---- */

static int
hash_is_legacy(const char *h)
{
	/* labels written before identity hashes: a bare hex digest */
	return strchr(h, ':') == NULL;
}

static void
adopt_sandbox(struct xpod *x, const char *id)
{
	struct rt_cstate cs;
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if (rt_sandbox_status(id, &x->sb, &cs, &err) == 0 &&
	    cs.status == RT_RUNNING) {
		x->has_sandbox = 1;
		x->sb_check = x->sb.netns_path[0] != '\0' &&
		    rt_cni_attached(id);
	} else {
		/* removed with its pod; the pod is made anew (a reboot
		   took the pinned namespaces, the infra died) */
		snprintf(x->sb.id, sizeof(x->sb.id), "%s", id);
		x->has_sandbox = 1;
		x->sb_dead = 1;
		log_warnx("pod %s/%s: sandbox %s is not running", x->pod.namespace,
		    x->pod.name, id);
	}
}

void
lc_adopt(const char *id, const struct rt_labels *l, void *arg)
{
	struct xpod *x;
	struct xctr *c;

	if ((x = find_uid(l->pod_uid)) == NULL) {
		if ((x = xpod_new()) == NULL)
			return;
		x->pod.uid = strdup(l->pod_uid);
		x->pod.namespace = strdup(l->pod_namespace);
		x->pod.name = strdup(l->pod_name);
		x->st = XP_ADOPTED;
		x->start_time_ns = now_ns();
	}
	/* the creation time stored with the sandbox and every container */
	if (l->pod_created_ns > 0 && l->pod_created_ns < x->start_time_ns)
		x->start_time_ns = l->pod_created_ns;
	if (l->container[0] == '\0') {
		snprintf(x->spec_hash, sizeof(x->spec_hash), "%s",
		    l->spec_hash);
		adopt_sandbox(x, id);
		return;
	}
	if ((c = slot_add(x, SLOT_ORPHAN, l->container)) == NULL)
		return;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->hash, sizeof(c->hash), "%s", l->spec_hash);
	c->restart_count = l->restart_count;
	c->st = XC_RUNNING;
	observe(x, c);	/* one that exited while we were away: its code */
	log_info("adopted container %s of pod %s/%s (%s)", l->container,
	    l->pod_namespace, l->pod_name, c->st == XC_RUNNING ? "running" :
	    c->st == XC_EXITED ? c->reason : "gone");
}

/* ---- the desired set ---- */

static struct pod	*pending[MAX_PODS];
static char		 pending_wire[MAX_PODS][XPOD_HASH_MAX];
static size_t		 npending;

void
lc_podset_begin(void)
{
	size_t i;

	for (i = 0; i < npending; i++) {
		pod_free(pending[i]);
		free(pending[i]);
	}
	npending = 0;
}

int
lc_podset_seen(void)
{
	return have_podset;
}

size_t
lc_podset_pending(void)
{
	return npending;
}

int
lc_podset_has_uid(const char *uid)
{
	size_t i;

	for (i = 0; i < npending; i++)
		if (strcmp(pending[i]->uid, uid) == 0)
			return 1;
	return 0;
}

/*
 * wire: a digest of the pod's podwire bytes.  It is not the identity (a
 * new wire format changes it, and restarts nothing): equal bytes only
 * spare the comparison of the canonical hashes at every pod set.
 */
int
lc_podset_add(struct pod *p, const char *wire)
{
	if (npending >= MAX_PODS)
		return -1;
	if ((pending[npending] = malloc(sizeof(*p))) == NULL)
		return -1;
	*pending[npending] = *p;
	snprintf(pending_wire[npending], XPOD_HASH_MAX, "%s", wire);
	npending++;
	return 0;
}

static void
start_terminating(struct xpod *x, const char *why)
{
	if (x->terminating)
		return;
	log_info("pod %s/%s (%s): %s; terminating", x->pod.namespace,
	    x->pod.name, x->pod.uid, why);
	x->terminating = 1;
	/* as the API server sets it: the request plus the grace period,
	   the one of a spec not yet applied (a deletion's shorter grace,
	   sent in the set just before the one that leaves the pod out) */
	x->deletion_ns = now_ns() + (x->next_pod != NULL ?
	    x->next_pod->termination_grace_seconds : x->has_spec ?
	    x->pod.termination_grace_seconds : 0) * NS_PER_S;
	x->dirty = 1;
}

/* the sandbox-level identity and the container names, in order */
static int
same_shape(const struct pod *a, const struct pod *b)
{
	uint32_t i;

	if (a->n_containers != b->n_containers)
		return 0;
	for (i = 0; i < a->n_containers; i++)
		if (strcmp(a->containers[i].name, b->containers[i].name) != 0)
			return 0;
	return 1;
}

/*
 * INIT and SIDECAR slots for spec.initContainers, after the REGULAR
 * ones; an adopted container of the name fills its slot (an init
 * container that exited 0 is done: it does not run again).  The pod is
 * initialized already when one of its containers has a container: the
 * kubelet's rule (HasAnyRegularContainerStarted), which also covers an
 * init container's exited container removed while we were away.  A
 * changed init container is a new pod (the sandbox hash), so an adopted
 * one is not replaced here.
 */
static void
make_init_slots(struct xpod *x)
{
	const struct container_spec *cs;
	struct xctr *c;
	uint32_t i, s;

	for (i = 0; i < x->pod.n_init_containers; i++) {
		cs = &x->pod.init_containers[i];
		for (s = 0, c = NULL; s < x->n_slots && c == NULL; s++)
			if (x->ctrs[s].kind == SLOT_ORPHAN &&
			    strcmp(x->ctrs[s].name, cs->name) == 0)
				c = &x->ctrs[s];
		if (c == NULL) {
			if ((c = slot_add(x, SLOT_INIT, cs->name)) == NULL)
				break;
			set_waiting(x, c, creating_reason(x), NULL);
		} else
			c->backoff_s = c->restart_count ? BACKOFF_INITIAL_S : 0;
		c->kind = pod_is_sidecar(cs) ? SLOT_SIDECAR : SLOT_INIT;
		c->spec_index = (int)i;
		id_container_hash(&x->pod, cs, c->hash);
	}
	for (s = 0; s < x->n_slots; s++)
		if (x->ctrs[s].kind == SLOT_REGULAR && x->ctrs[s].id[0] != '\0')
			x->initialized = 1;
}

/* REGULAR slots for a spec; adopted containers of those names fill them */
static void
make_slots(struct xpod *x)
{
	char h[XPOD_HASH_MAX];
	struct xctr *c, *o;
	uint32_t i, s;

	for (i = 0; i < x->pod.n_containers; i++) {
		id_container_hash(&x->pod, &x->pod.containers[i], h);
		for (s = 0, o = NULL; s < x->n_slots && o == NULL; s++)
			if (x->ctrs[s].kind == SLOT_ORPHAN && strcmp(x->ctrs[s].name,
			    x->pod.containers[i].name) == 0)
				o = &x->ctrs[s];
		if (o != NULL) {
			o->kind = SLOT_REGULAR;
			o->spec_index = (int)i;
			o->backoff_s = o->restart_count ? BACKOFF_INITIAL_S : 0;
			/* a changed spec restarts it; an older agentd's label
			   carries no identity of ours: keep what runs */
			if (hash_is_legacy(o->hash))
				memcpy(o->hash, h, sizeof(o->hash));
			else if (strcmp(o->hash, h) != 0)
				o->replace = 1;
			/* it exited while we were away: now its spec says
			   where its message is */
			if (o->st == XC_EXITED)
				exit_message(x, o);
			continue;
		}
		if ((c = slot_add(x, SLOT_REGULAR, x->pod.containers[i].name)) ==
		    NULL)
			break;
		c->spec_index = (int)i;
		memcpy(c->hash, h, sizeof(c->hash));
		set_waiting(x, c, creating_reason(x), NULL);
	}
	make_init_slots(x);
}

/* the same uid with another spec: restart only what changed */
static void
apply_spec(struct xpod *x, struct pod *p)
{
	char h[XPOD_HASH_MAX];
	struct xctr *c;
	uint32_t i;

	pod_free(&x->pod);
	x->pod = *p;
	x->spec_sent = 0;	/* the reporter gets the new spec first */
	for (i = 0; i < x->pod.n_containers; i++) {
		if ((c = spec_slot(x, i)) == NULL)
			continue;
		id_container_hash(&x->pod, &x->pod.containers[i], h);
		if (strcmp(c->hash, h) == 0)
			continue;
		if (c->st == XC_EMPTY)
			memcpy(c->hash, h, sizeof(c->hash));
		else {
			log_info("pod %s/%s: container %s changed; restarting "
			    "it", x->pod.namespace, x->pod.name, c->name);
			c->replace = 1;
		}
	}
	x->dirty = 1;
}

static void
accept_new(struct pod *p, const char *hash, const char *wire)
{
	struct xpod *x;

	if ((x = xpod_new()) == NULL) {
		log_warnx("too many pods; %s/%s ignored", p->namespace,
		    p->name);
		pod_free(p);
		return;
	}
	x->pod = *p;
	x->has_spec = 1;
	x->desired = 1;
	x->dirty = 1;
	x->st = XP_ADMIT;
	x->start_time_ns = now_ns();
	snprintf(x->spec_hash, sizeof(x->spec_hash), "%s", hash);
	snprintf(x->wire_hash, sizeof(x->wire_hash), "%s", wire);
	make_slots(x);
	log_info("pod %s/%s (%s) accepted", p->namespace, p->name, p->uid);
}

/* policy_check's verdict alone; check_policy audits the pod's own */
static int
spec_denied(const struct pod *p)
{
	struct policy_verdict v;

	return !policy_check(&exec_conf()->policy, p, &v);
}

static void
accept_pod(struct pod *p, const char *wire)
{
	char hash[XPOD_HASH_MAX];
	struct xpod *x;

	if ((x = find_uid(p->uid)) != NULL && x->has_spec &&
	    strcmp(x->wire_hash, wire) == 0) {
		x->desired = 1;		/* the very same bytes */
		pod_free(p);
		return;
	}
	id_sandbox_hash(p, hash);
	if (x == NULL) {
		accept_new(p, hash, wire);
		return;
	}
	if (spec_denied(p)) {
		/*
		 * Every spec the executor applies is admitted, not only a
		 * pod's first: a denied update (or an adopted pod's spec)
		 * ends the running pod, and check_policy denies the new one
		 * with its audit record and event
		 */
		start_terminating(x, "its new spec is denied by the node "
		    "policy");
		accept_new(p, hash, wire);
		return;
	}
	if (!x->has_spec && !x->sb_dead && (hash_is_legacy(x->spec_hash) ||
	    x->spec_hash[0] == '\0' || strcmp(x->spec_hash, hash) == 0)) {
		/* adopted at start: the spec it was started from */
		x->desired = 1;
		pod_free(&x->pod);
		x->pod = *p;
		x->spec_sent = 0;
		x->has_spec = 1;
		snprintf(x->spec_hash, sizeof(x->spec_hash), "%s", hash);
		snprintf(x->wire_hash, sizeof(x->wire_hash), "%s", wire);
		make_slots(x);
		x->st = x->has_sandbox ? XP_RUNNING : XP_SANDBOX;
		x->dirty = 1;
		return;
	}
	if (x->has_spec && strcmp(x->spec_hash, hash) == 0 &&
	    same_shape(&x->pod, p)) {
		x->desired = 1;
		if (x->next_pod != NULL) {
			pod_free(x->next_pod);
			free(x->next_pod);
			x->next_pod = NULL;
		}
		/* applied when no job of the pod is in flight: jobs read it */
		if ((x->next_pod = malloc(sizeof(*p))) == NULL) {
			pod_free(p);
			return;
		}
		*x->next_pod = *p;
		snprintf(x->wire_hash, sizeof(x->wire_hash), "%s", wire);
		return;
	}
	start_terminating(x, x->sb_changed ? "its sandbox changed (CNI CHECK "
	    "failed)" : x->sb_dead ? "its sandbox is gone" :
	    "sandbox spec changed");
	accept_new(p, hash, wire);
}

/*
 * Until the watcher's API source has listed (PODSET_F_API_UNSYNCED), a pod
 * that may be one of its is kept when the set leaves it out: the API
 * server may be down while the watcher restarts, and its silence is not
 * a deletion (kubelet's HandlePodCleanups waits for sourcesReady).  Its
 * own: source "api", or adopted from the runtime and not yet claimed (the
 * labels do not say where a pod came from).
 */
static int
kept_unsynced(const struct xpod *x)
{
	if (!api_unsynced)
		return 0;
	if (!x->has_spec)
		return x->st == XP_ADOPTED;
	return x->pod.source != NULL && strcmp(x->pod.source, "api") == 0;
}

void
lc_podset_end(uint32_t flags)
{
	static size_t last_kept;
	size_t i, kept = 0;

	api_unsynced = (flags & PODSET_F_API_UNSYNCED) != 0;
	for (i = 0; i < nxpods; i++)
		if (!xpods[i]->terminating)
			xpods[i]->desired = 0;
	for (i = 0; i < npending; i++) {
		accept_pod(pending[i], pending_wire[i]);
		free(pending[i]);
	}
	npending = 0;
	for (i = 0; i < nxpods; i++) {
		if (xpods[i]->desired || xpods[i]->terminating)
			continue;
		if (kept_unsynced(xpods[i]))
			kept++;
		else
			start_terminating(xpods[i], "no longer desired");
	}
	if (kept != last_kept)
		log_info("%zu pods not in the pod set kept until the API "
		    "source has listed", kept);
	last_kept = kept;
	have_podset = 1;
}

/* a spec change waits until no job of the pod reads the spec */
static void
take_next_spec(struct xpod *x)
{
	struct pod *p = x->next_pod;

	x->next_pod = NULL;
	apply_spec(x, p);
	free(p);
}

/* ---- jobs: one runtime operation of one pod ---- */

enum op_kind {
	OP_SANDBOX_CREATE = 0,
	OP_SANDBOX_REMOVE,
	OP_CTR_START,
	OP_CTR_REMOVE,
	OP_SANDBOX_CHECK,
};

struct op {
	enum op_kind		 kind;
	struct xpod		*x;
	struct xctr		*c;		/* container ops */
	char			 id[RT_ID_MAX];	/* what it creates or removes */
	char			 details[2560];	/* of the audit intent */
	struct rt_image		 img;		/* OP_CTR_START */
	struct rt_labels	 labels;
	int			 netparse_fd;	/* sandbox ops, or -1 */
};

static void	op_run(void *, struct job_out *);
static void	op_done(void *, struct job_out *);

static const char *const op_action[] = {
	[OP_SANDBOX_CREATE] = "sandbox.create",
	[OP_SANDBOX_REMOVE] = "sandbox.remove",
	[OP_CTR_START] = "container.create",
	[OP_CTR_REMOVE] = "container.remove",
	[OP_SANDBOX_CHECK] = "network.check",
};

static struct op *
op_new(enum op_kind kind, struct xpod *x, struct xctr *c)
{
	struct op *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->kind = kind;
	o->x = x;
	o->c = c;
	o->netparse_fd = -1;
	return o;
}

/* the intent is audited already; the pod is busy until op_done */
static void
op_submit(struct op *o)
{
	o->x->busy = 1;
	/* the CNI results of this job are decoded by netparse (cni.c) */
	if (o->kind == OP_SANDBOX_CREATE || o->kind == OP_SANDBOX_REMOVE ||
	    o->kind == OP_SANDBOX_CHECK)
		o->netparse_fd = exec_netparse_channel();
	if (job_submit(op_action[o->kind], 0, op_run, o, op_done, o) == NULL)
		fatalx("out of memory for a job");
}

static const char *
slot_container_name(const struct xctr *c)
{
	return c != NULL && c->name[0] ? c->name : NULL;
}

static int
op_audit(int phase, const struct op *o, const char *details,
    const char *outcome, const char *error)
{
	const struct container_spec *cs = o->c ? slot_spec(o->x, o->c) : NULL;

	return exec_audit(phase, op_action[o->kind], o->x,
	    slot_container_name(o->c), o->kind == OP_CTR_START && cs ?
	    cs->image : NULL, details, outcome, error);
}

/* in the job process: the synchronous runtime call, nothing else */
static void
op_run(void *arg, struct job_out *out)
{
	struct op *o = arg;
	struct xpod *x = o->x;
	struct rt_err err;
	char id[RT_ID_MAX];

	memset(&err, 0, sizeof(err));
	rt_preset_id(o->id);
	rt_set_netparse_fd(o->netparse_fd);
	switch (o->kind) {
	case OP_SANDBOX_CREATE:
		out->rc = rt_sandbox_create(&x->pod, x->spec_hash,
		    x->start_time_ns, &out->sb, &err);
		break;
	case OP_SANDBOX_REMOVE:
		out->rc = rt_sandbox_remove(o->id, &err);
		break;
	case OP_CTR_START:
		out->rc = rt_container_start(&x->pod, slot_spec(x, o->c),
		    &o->img, &x->sb, &o->labels, id, sizeof(id), &err);
		break;
	case OP_CTR_REMOVE:
		out->rc = rt_container_remove(o->id, &err);
		break;
	case OP_SANDBOX_CHECK:
		out->rc = rt_cni_check(o->id, x->sb.netns_path, &err);
		break;
	}
	out->config = err.config;
	out->start_error = o->kind == OP_CTR_START && out->rc == -1 &&
	    rt_start_failed();
	snprintf(out->msg, sizeof(out->msg), "%s", rt_errmsg(&err));
}

static void	sandbox_done(struct op *, struct job_out *);
static void	start_done(struct op *, struct job_out *);
static void	remove_done(struct op *, struct job_out *);
static void	check_done(struct op *, struct job_out *);

static void
op_done(void *arg, struct job_out *out)
{
	struct op *o = arg;

	o->x->busy = 0;
	if (o->netparse_fd != -1)
		close(o->netparse_fd);
	switch (o->kind) {
	case OP_SANDBOX_CREATE:
		sandbox_done(o, out);
		break;
	case OP_SANDBOX_REMOVE:
	case OP_CTR_REMOVE:
		remove_done(o, out);
		break;
	case OP_CTR_START:
		start_done(o, out);
		break;
	case OP_SANDBOX_CHECK:
		check_done(o, out);
		break;
	}
	rt_image_free(&o->img);
	free(o);
	exec_step_soon();
}

/* ---- the sandbox ---- */

static int	op_remove(enum op_kind, struct xpod *, struct xctr *,
		    const char *);

/*
 * A sandbox a failed creation left behind (its job timed out, or the DEL
 * undoing its ADD was refused) is removed before the pod's next sandbox
 * and before the pod is gone, retried like any sandbox removal: what it
 * holds (an address, a veth) is released only by its DEL.
 */
static void
remove_stray(struct xpod *x)
{
	if (x->sb_del_retry_ns > now_ns()) {
		wake_at(x, x->sb_del_retry_ns);
		return;
	}
	if (op_remove(OP_SANDBOX_REMOVE, x, NULL, x->sb_stray) == -1)
		wake_at(x, now_ns() + BACKOFF_INITIAL_S * NS_PER_S);
}

static void
sandbox_stray(struct xpod *x, const char *id)
{
	log_warnx("pod %s/%s: sandbox %s left by the failed creation; "
	    "removing it", x->pod.namespace, x->pod.name, id);
	snprintf(x->sb_stray, sizeof(x->sb_stray), "%s", id);
	remove_stray(x);
}

/*
 * A sandbox that cannot be created (a failing CNI plugin, a cgroup that
 * cannot be made) is retried with the crash-loop backoff of containers,
 * not at every step: each attempt is two fsync'd audit records and a job.
 */
static void
sandbox_backoff(struct xpod *x)
{
	if (x->sb_backoff_s == 0)
		x->sb_backoff_s = BACKOFF_INITIAL_S;
	else
		x->sb_backoff_s = x->sb_backoff_s * 2 > BACKOFF_MAX_S ?
		    BACKOFF_MAX_S : x->sb_backoff_s * 2;
	x->sb_retry_ns = now_ns() + (int64_t)x->sb_backoff_s * NS_PER_S;
}

static void
sandbox_failed(struct xpod *x, const char *why, const char *logkey)
{
	if (strcmp(x->sandbox_error, why) != 0)
		x->dirty = 1;
	snprintf(x->sandbox_error, sizeof(x->sandbox_error), "%s", why);
	exec_event(x, EVENT_WARNING, "FailedCreatePodSandBox", logkey,
	    "Failed to create pod sandbox: %s", why);
}

/*
 * The events of the kubelet's GetPodDNS, at each sandbox creation as
 * there: a cluster DNS policy without clusterDNS falls back to Default
 * (MissingClusterDNS), and limits that cut the resolver configuration
 * (DNSConfigForming).  The job writes the same text from the same file.
 */
static void
dns_events(const struct xpod *x)
{
	const struct agentd_config *cf = exec_conf();
	char warn[EVENT_MAX_MESSAGE], *host, *text;
	int missing;

	podfiles_dns_type(&x->pod, cf->cluster_dns[0] != '\0', &missing);
	if (missing)
		exec_event(x, EVENT_WARNING, "MissingClusterDNS", NULL,
		    "pod: \"%s_%s(%s)\". agentd does not have ClusterDNS IP "
		    "configured and cannot create Pod using \"ClusterFirst\" "
		    "policy. Falling back to \"Default\" policy.",
		    x->pod.name, x->pod.namespace, x->pod.uid);
	if ((host = rt_pod_resolv_host()) == NULL)
		return;
	text = podfiles_resolv_conf(&x->pod, cf->cluster_dns,
	    cf->cluster_domain, host, warn, sizeof(warn));
	if (text != NULL && warn[0] != '\0')
		exec_event(x, EVENT_WARNING, "DNSConfigForming", NULL, "%s",
		    warn);
	free(text);
	free(host);
}

static void
sandbox_create(struct xpod *x)
{
	struct op *o;

	if (x->sb_stray[0] != '\0') {
		remove_stray(x);
		return;		/* its removal steps us again */
	}
	if (x->sb_retry_ns > now_ns()) {
		wake_at(x, x->sb_retry_ns);
		return;		/* backing off: no job, no record */
	}
	if ((o = op_new(OP_SANDBOX_CREATE, x, NULL)) == NULL ||
	    rt_new_id(o->id, sizeof(o->id)) == -1)
		fatalx("sandbox job");
	policy_describe(&x->pod, o->details, sizeof(o->details));
	dns_events(x);
	if (op_audit(AUDIT_INTENT, o, o->details, NULL, NULL) == -1) {
		free(o);
		/* no backoff: nothing failed but the record, which may heal */
		sandbox_failed(x, AUDIT_REFUSED, "audit refused");
		x->sb_retry_ns = now_ns() + AUDIT_RETRY_S * NS_PER_S;
		wake_at(x, x->sb_retry_ns);
		return;
	}
	op_submit(o);
}

/*
 * A removal job (container or sandbox id): audited intent, then the job.
 * -1 when the audit log refused the intent and nothing was started.
 */
static int
op_remove(enum op_kind kind, struct xpod *x, struct xctr *c, const char *id)
{
	struct op *o;

	if ((o = op_new(kind, x, c)) == NULL)
		fatalx("removal job");
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->details, sizeof(o->details), "id=%s", id);
	if (op_audit(AUDIT_INTENT, o, o->details, NULL, NULL) == -1) {
		free(o);
		return -1;
	}
	if (c != NULL)
		c->st = XC_REMOVING;
	op_submit(o);
	return 0;
}

static void
sandbox_done(struct op *o, struct job_out *out)
{
	struct xpod *x = o->x;
	char ids[RT_ID_MAX + CONFIG_MAX_PATH + 16];

	if (out->rc == -1) {
		op_audit(AUDIT_OUTCOME, o, o->details, "error", out->msg);
		sandbox_failed(x, out->msg, out->timed_out ? "timeout" : NULL);
		sandbox_backoff(x);
		/* a job killed at its timeout may have left a half-made
		   sandbox, and one whose DEL was refused is kept (sb.id) */
		if (out->timed_out || out->sb.id[0] != '\0')
			sandbox_stray(x, o->id);
		return;
	}
	x->sb = out->sb;
	x->sb_backoff_s = 0;
	x->sb_retry_ns = 0;
	snprintf(ids, sizeof(ids), "id=%s;netns=%s", x->sb.id,
	    x->sb.netns_path);
	op_audit(AUDIT_OUTCOME, o, ids, "ok", NULL);
	x->sandbox_error[0] = '\0';
	x->has_sandbox = 1;
	x->dirty = 1;
	if (x->st == XP_SANDBOX)
		x->st = XP_RUNNING;
}

/* ---- the network at executor start ---- */

static int
netstart_ready(int64_t *wake)
{
	if (net_go)
		return 1;
	if (netstart_ns == 0)
		netstart_ns = now_ns();
	if (!exec_netparse_ready() && now_ns() < netstart_ns +
	    NETSTART_WAIT_S * NS_PER_S) {
		*wake = netstart_ns + NETSTART_WAIT_S * NS_PER_S;
		return 0;
	}
	have_net_now = rt_cni_conf_load(&net_now) == 0;
	net_go = 1;
	return 1;
}

/* a copy through the wire encoding, which owns every string anew */
static struct pod *
pod_copy(const struct pod *p)
{
	struct ipc_msg m;
	struct pod *c;

	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	ipc_msg_init(&m, MSG_POD_SPEC, 0);
	if (podwire_put_pod(&m, p) == -1 || m.err) {
		ipc_msg_free(&m);
		free(c);
		return NULL;
	}
	m.off = 0;
	if (podwire_get_pod(&m, c) == -1) {
		free(c);
		c = NULL;
	}
	ipc_msg_free(&m);
	return c;
}

/*
 * The kubelet's answer to a sandbox that changed (computePodActions):
 * the pod is killed and made anew.  Before its spec is known the adopted
 * pod is handled like one whose sandbox is gone (accept_pod); after, the
 * same spec is accepted again as a new pod, which waits for this one to
 * be removed (older_namesake_running).
 */
static void
sandbox_changed(struct xpod *x)
{
	struct pod *p;

	x->sb_changed = 1;
	if (!x->has_spec) {
		x->sb_dead = 1;
		return;
	}
	/* a spec change waiting for the pod to be idle is the newest */
	if ((p = pod_copy(x->next_pod ? x->next_pod : &x->pod)) == NULL) {
		log_warnx("pod %s/%s: no memory to recreate it", x->pod.namespace,
		    x->pod.name);
		return;
	}
	start_terminating(x, "its sandbox changed (CNI CHECK failed)");
	accept_new(p, x->spec_hash, x->wire_hash);
	free(p);
}

/* 1: a CHECK job is on its way (or a retry is set); 0: none is due */
static int
sandbox_check(struct xpod *x)
{
	struct op *o;

	x->sb_check = 0;
	if (x->sb_dead || !rt_cni_check_wanted(x->sb.id, have_net_now ?
	    &net_now : NULL))
		return 0;
	if ((o = op_new(OP_SANDBOX_CHECK, x, NULL)) == NULL)
		fatalx("check job");
	snprintf(o->id, sizeof(o->id), "%s", x->sb.id);
	o->details[0] = '\0';
	auditfmt_details_add(o->details, sizeof(o->details), "id", x->sb.id);
	auditfmt_details_add(o->details, sizeof(o->details), "netns",
	    x->sb.netns_path);
	if (op_audit(AUDIT_INTENT, o, o->details, NULL, NULL) == -1) {
		free(o);
		x->sb_check = 1;
		wake_at(x, now_ns() + AUDIT_RETRY_S * NS_PER_S);
		return 1;
	}
	op_submit(o);
	return 1;
}

static void
check_done(struct op *o, struct job_out *out)
{
	struct xpod *x = o->x;

	if (out->rc == 0) {
		op_audit(AUDIT_OUTCOME, o, o->details, "ok", NULL);
		log_debug("pod %s/%s: sandbox %s passed CNI CHECK",
		    x->pod.namespace, x->pod.name, o->id);
		return;
	}
	op_audit(AUDIT_OUTCOME, o, o->details, "error", out->msg);
	/*
	 * A plugin's CHECK can fail while other commands change the same
	 * tables (Debian's portmap, next to the other sandboxes' CHECKs on
	 * iptables-nft, finds its chain missing for a moment): ask again
	 * before a running pod is killed for it.  A CHECK that hung is not
	 * asked again.
	 */
	if (!out->timed_out && ++x->sb_check_fails < CNI_CHECK_TRIES &&
	    !x->terminating) {
		log_info("pod %s/%s: CNI CHECK failed (try %d of %d), again in "
		    "%d s: %s", x->pod.namespace, x->pod.name,
		    x->sb_check_fails, CNI_CHECK_TRIES, CNI_CHECK_RETRY_S,
		    out->msg);
		x->sb_check = 1;
		x->sb_check_at = now_ns() + CNI_CHECK_RETRY_S * NS_PER_S;
		wake_at(x, x->sb_check_at);
		return;
	}
	exec_event(x, EVENT_WARNING, "SandboxChanged", NULL, "Pod sandbox "
	    "changed, it will be killed and re-created: %s", out->msg);
	if (!x->terminating)
		sandbox_changed(x);
}

/*
 * GC of the current network (1.1.0 or later, no disableGC), once per
 * executor start: the attachments still valid are the sandboxes the
 * executor holds that have a cni.json (containerID, "eth0").
 */
struct gc_job {
	struct cni_attachment	*valid;
	size_t			 n;
	int			 netparse_fd;
	char			 details[512];
};

static void
gc_run(void *arg, struct job_out *out)
{
	struct gc_job *g = arg;
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	rt_set_netparse_fd(g->netparse_fd);
	out->rc = rt_cni_gc(&net_now, g->valid, g->n, &err);
	snprintf(out->msg, sizeof(out->msg), "%s", rt_errmsg(&err));
}

static void
gc_done(void *arg, struct job_out *out)
{
	struct gc_job *g = arg;

	if (g->netparse_fd != -1)
		close(g->netparse_fd);
	exec_audit(AUDIT_OUTCOME, "network.gc", NULL, NULL, NULL, g->details,
	    out->rc == 0 ? "ok" : "error", out->rc == 0 ? NULL : out->msg);
	if (out->rc == 0)
		log_info("network %s: GC done, %zu attachments valid",
		    net_now.name, g->n);
	else
		log_warnx("network %s: %s", net_now.name, out->msg);
	free(g->valid);
	free(g);
	gc_state = GC_DONE;	/* done or failed: sandboxes may be made */
	exec_step_soon();
}

static struct gc_job *
gc_job_new(void)
{
	struct gc_job *g;
	char count[16];
	size_t i;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->valid = calloc(nxpods + 1, sizeof(*g->valid))) == NULL)
		fatalx("GC job");
	for (i = 0; i < nxpods; i++) {
		if (!xpods[i]->has_sandbox || !rt_cni_attached(xpods[i]->sb.id))
			continue;
		snprintf(g->valid[g->n].id, sizeof(g->valid[0].id), "%s",
		    xpods[i]->sb.id);
		snprintf(g->valid[g->n].ifname, sizeof(g->valid[0].ifname),
		    "eth0");
		g->n++;
	}
	snprintf(count, sizeof(count), "%zu", g->n);
	auditfmt_details_add(g->details, sizeof(g->details), "network",
	    net_now.name);
	auditfmt_details_add(g->details, sizeof(g->details), "file",
	    net_now.path);
	auditfmt_details_add(g->details, sizeof(g->details), "valid", count);
	g->netparse_fd = -1;
	return g;
}

static void
gc_start(void)
{
	struct gc_job *g;

	if (!have_net_now || net_now.disable_gc ||
	    !cni_version_ge(net_now.version, "1.1.0")) {
		gc_state = GC_DONE;
		return;
	}
	g = gc_job_new();
	if (exec_audit(AUDIT_INTENT, "network.gc", NULL, NULL, NULL,
	    g->details, NULL, NULL) == -1) {
		/* refused: no GC this start, which loses nothing */
		free(g->valid);
		free(g);
		gc_state = GC_DONE;
		return;
	}
	gc_state = GC_RUNNING;
	g->netparse_fd = exec_netparse_channel();
	if (job_submit("network.gc", 0, gc_run, g, gc_done, g) == NULL)
		fatalx("out of memory for a job");
}

/* ---- containers ---- */

static void
fill_labels(struct xpod *x, struct xctr *c, struct rt_labels *l,
    const char *digest)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->pod_namespace, sizeof(l->pod_namespace), "%s",
	    x->pod.namespace);
	snprintf(l->pod_name, sizeof(l->pod_name), "%s", x->pod.name);
	snprintf(l->pod_uid, sizeof(l->pod_uid), "%s", x->pod.uid);
	snprintf(l->container, sizeof(l->container), "%s", c->name);
	l->restart_count = c->restart_count;
	snprintf(l->image_digest, sizeof(l->image_digest), "%s",
	    digest ? digest : "");
	snprintf(l->spec_hash, sizeof(l->spec_hash), "%s", c->hash);
	l->pod_created_ns = x->start_time_ns;
}

static int
exited_ok(const struct xctr *c)
{
	return c->cs.exit_code == 0 && c->cs.signal == 0 && !c->cs.oom_killed;
}

static int
wants_restart(const struct xpod *x, const struct xctr *c)
{
	/* a sidecar whatever the pod's policy, until the pod is done; an
	   init container until it succeeds, unless the policy is Never */
	if (c->kind == SLOT_SIDECAR)
		return !x->main_done;
	if (c->kind == SLOT_INIT)
		return !exited_ok(c) && x->pod.restart_policy != RESTART_NEVER;
	switch (x->pod.restart_policy) {
	case RESTART_ALWAYS:
		return 1;
	case RESTART_ON_FAILURE:
		return c->cs.exit_code != 0 || c->cs.signal != 0 ||
		    c->cs.oom_killed;
	default:
		return 0;
	}
}

/* keep the finished run as lastState, as the kubelet shows it */
static void
archive_last(struct xctr *c)
{
	slot_clear_last(c);
	c->last.exit_code = c->cs.exit_code;
	c->last.signal = c->cs.signal;
	c->last.reason = strdup(c->reason);
	c->last.message = c->message != NULL ? strdup(c->message) : NULL;
	c->last.started_at_ns = c->cs.started_at_ns;
	c->last.finished_at_ns = c->cs.finished_at_ns;
	c->last.container_id = c->id[0] != '\0' ? strdup(c->id) : NULL;
	c->has_last = 1;
}

static int
resolve_image(struct xpod *x, struct xctr *c, const struct container_spec *cs,
    struct rt_image *img)
{
	char msg[POD_MAX_REASON], ref[POD_MAX_IMAGE + POD_MAX_ID + 2];
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if (rt_image_lookup(cs->image, img, &err) == 0) {
		snprintf(ref, sizeof(ref), "%s@%s", img->ref, img->digest);
		free(c->image_id);
		c->image_id = strdup(ref);
		exec_event(x, EVENT_NORMAL, "Pulled", NULL, "Container image "
		    "\"%s\" already present on machine", cs->image);
		return 0;
	}
	/* the kubelet's wording: pkg/kubelet/images/image_manager.go and
	   kuberuntime_container.go startContainer ("Error: %v") */
	if (cs->pull_policy == PULL_NEVER) {
		snprintf(msg, sizeof(msg), "Container image \"%s\" is not "
		    "present with pull policy of Never", cs->image);
		set_waiting(x, c, "ErrImageNeverPull", msg);
		exec_event(x, EVENT_WARNING, "ErrImageNeverPull", NULL, "%s",
		    msg);
		/* "" : the same failure, logged once above already */
		exec_event(x, EVENT_WARNING, "Failed", "",
		    "Error: ErrImageNeverPull");
	} else {
		snprintf(msg, sizeof(msg), "%s (registry pulls are not "
		    "supported yet: import it with agentctl image import)",
		    rt_errmsg(&err));
		set_waiting(x, c, "ErrImagePull", msg);
		exec_event(x, EVENT_WARNING, "Failed", "ErrImagePull",
		    "Failed to pull image \"%s\": %s", cs->image, msg);
		exec_event(x, EVENT_WARNING, "Failed", "",
		    "Error: ErrImagePull");
	}
	/* looked at again when an image is imported, or after a while */
	c->backoff_until_ns = now_ns() + IMAGE_RETRY_S * NS_PER_S;
	wake_at(x, c->backoff_until_ns);
	return -1;
}

static void
start_container(struct xpod *x, struct xctr *c)
{
	const struct container_spec *cs = slot_spec(x, c);
	char desc[1024];
	struct op *o;

	if ((o = op_new(OP_CTR_START, x, c)) == NULL ||
	    rt_new_id(o->id, sizeof(o->id)) == -1)
		fatalx("container job");
	if (resolve_image(x, c, cs, &o->img) == -1) {
		free(o);
		return;
	}
	fill_labels(x, c, &o->labels, o->img.digest);
	policy_describe(&x->pod, desc, sizeof(desc));
	snprintf(o->details, sizeof(o->details), "%s;restartCount=%u;"
	    "digest=%s;cgroup=%s/pod%s;readOnlyRootfs=%d", desc,
	    c->restart_count, o->img.digest, exec_conf()->cgroup_root,
	    x->pod.uid, cs->sc.read_only_root_fs == 1);
	if (op_audit(AUDIT_INTENT, o, o->details, NULL, NULL) == -1) {
		set_waiting(x, c, "CreateContainerError", AUDIT_REFUSED);
		exec_event(x, EVENT_WARNING, "Failed", "CreateContainerError",
		    "Error: %s", AUDIT_REFUSED);
		c->backoff_until_ns = now_ns() + AUDIT_RETRY_S * NS_PER_S;
		wake_at(x, c->backoff_until_ns);
		rt_image_free(&o->img);
		free(o);
		return;
	}
	c->st = XC_STARTING;
	op_submit(o);
}

/*
 * The runtime could not start the process (a missing binary, a working
 * directory that is a file): the CRI's StartContainer failing, which the
 * kubelet shows as a container Terminated with reason StartError, exit
 * code 128 and the runtime's error as its message.  It is an exit like
 * any other, so restartPolicy decides: Never ends it there (the pod is
 * Failed), Always and OnFailure restart it with the crash-loop backoff,
 * lastState showing the StartError.  The runtime removed what it made.
 */
#define START_ERROR_EXIT	128

static void
start_error(struct xpod *x, struct xctr *c, const char *msg)
{
	c->id[0] = '\0';
	memset(&c->cs, 0, sizeof(c->cs));
	c->cs.status = RT_EXITED;
	c->cs.exit_code = START_ERROR_EXIT;
	c->cs.finished_at_ns = now_ns();	/* never started: no startedAt */
	c->st = XC_EXITED;
	c->state = CSTATE_TERMINATED;
	snprintf(c->reason, sizeof(c->reason), "StartError");
	set_message(c, msg);
	x->dirty = 1;
	exec_event(x, EVENT_WARNING, "Failed", "StartError", "Error: %s",
	    msg);
}

static void
start_done(struct op *o, struct job_out *out)
{
	struct xpod *x = o->x;
	struct xctr *c = o->c;
	const struct container_spec *cs = slot_spec(x, c);
	char details[RT_ID_MAX + 8];

	if (out->rc == -1) {
		op_audit(AUDIT_OUTCOME, o, o->details, "error", out->msg);
		if (out->start_error && !out->timed_out) {
			start_error(x, c, out->msg);
			return;
		}
		c->st = XC_EMPTY;
		set_waiting(x, c, out->config ? "CreateContainerConfigError" :
		    "RunContainerError", out->msg);
		exec_event(x, EVENT_WARNING, "Failed", c->reason, "Error: %s",
		    out->msg);
		c->backoff_until_ns = now_ns() + BACKOFF_INITIAL_S * NS_PER_S;
		if (out->timed_out) {
			/* what the killed job made goes before a new try */
			snprintf(c->id, sizeof(c->id), "%s", o->id);
			c->st = XC_EXITED;
			c->discard = 1;
		}
		return;
	}
	snprintf(c->id, sizeof(c->id), "%s", o->id);
	snprintf(details, sizeof(details), "id=%s", c->id);
	op_audit(AUDIT_OUTCOME, o, details, "ok", NULL);
	/* one runtime call creates and starts: both of the kubelet's events */
	exec_event(x, EVENT_NORMAL, "Created", NULL, "Created container %s",
	    cs ? cs->name : c->name);
	exec_event(x, EVENT_NORMAL, "Started", NULL, "Started container %s",
	    cs ? cs->name : c->name);
	c->st = XC_RUNNING;
	c->state = CSTATE_WAITING;
	snprintf(c->reason, sizeof(c->reason), "ContainerCreating");
	set_message(c, NULL);
	x->dirty = 1;
	observe(x, c);	/* Running now, or an exit that came first */
	if (c->st == XC_RUNNING)
		hook_post_start(x, c);
}

static void	container_removed(struct xpod *, struct xctr *);

/* nothing happens without a record: refused, try again later */
static void
remove_container(struct xpod *x, struct xctr *c)
{
	if (c->id[0] == '\0') {
		/* a StartError: nothing to remove, and no job's end to
		   step the pod again for the next start */
		container_removed(x, c);
		wake_at(x, now_ns());
		return;
	}
	if (op_remove(OP_CTR_REMOVE, x, c, c->id) == -1)
		wake_at(x, now_ns() + BACKOFF_INITIAL_S * NS_PER_S);
}

static void
remove_sandbox(struct xpod *x)
{
	if (x->sb_del_retry_ns > now_ns()) {
		wake_at(x, x->sb_del_retry_ns);
		return;		/* a refused DEL: not at every step */
	}
	if (op_remove(OP_SANDBOX_REMOVE, x, NULL, x->sb.id) == -1)
		wake_at(x, now_ns() + BACKOFF_INITIAL_S * NS_PER_S);
}

/*
 * A sandbox removal that failed (a plugin refusing DEL, a busy mount) is
 * tried again every SANDBOX_DEL_RETRY_S for as long as it fails: the
 * state it needs stays with the sandbox, and the address it holds must
 * come back to IPAM.  Each try is two audit records and a job, so not
 * at every step.
 */
static void
sandbox_remove_failed(struct xpod *x, const char *id)
{
	if (strcmp(id, x->sb.id) != 0 && strcmp(id, x->sb_stray) != 0)
		return;
	x->sb_del_retry_ns = now_ns() + SANDBOX_DEL_RETRY_S * NS_PER_S;
	wake_at(x, x->sb_del_retry_ns);
}

/* a removed container: its slot starts afresh, or goes (orphans) */
static void
container_removed(struct xpod *x, struct xctr *c)
{
	char h[XPOD_HASH_MAX];
	const struct container_spec *cs;

	c->id[0] = '\0';
	c->st = XC_EMPTY;
	if (c->kind == SLOT_ORPHAN) {
		slot_remove(x, c);
		return;
	}
	if (c->discard) {
		c->discard = 0;
		return;		/* the failed start's backoff stands */
	}
	if (c->replace && (cs = slot_spec(x, c)) != NULL) {
		id_container_hash(&x->pod, cs, h);
		memcpy(c->hash, h, sizeof(c->hash));
		c->replace = 0;
		c->stop_sent = 0;
		c->stop_deadline_ns = 0;
		c->backoff_s = 0;
		c->backoff_until_ns = 0;
	}
	c->restart_count++;
}

static void
remove_done(struct op *o, struct job_out *out)
{
	struct xpod *x = o->x;

	if (out->rc == -1) {
		op_audit(AUDIT_OUTCOME, o, o->details, "error", out->msg);
		log_warnx("remove %s: %s", o->id, out->msg);
		if (o->c != NULL)
			o->c->st = XC_EXITED;	/* removed again later */
		else
			sandbox_remove_failed(x, o->id);
		wake_at(x, now_ns() + BACKOFF_INITIAL_S * NS_PER_S);
		return;
	}
	op_audit(AUDIT_OUTCOME, o, o->details, "ok", NULL);
	if (o->kind == OP_SANDBOX_REMOVE) {
		if (strcmp(o->id, x->sb_stray) == 0) {
			x->sb_stray[0] = '\0';
			x->sb_del_retry_ns = 0;
		}
		if (strcmp(o->id, x->sb.id) == 0) {
			x->sb_del_retry_ns = 0;
			x->has_sandbox = 0;
			memset(&x->sb, 0, sizeof(x->sb));
		}
		return;
	}
	container_removed(x, o->c);
}

/* the kubelet's crash-loop backoff: 10 s, doubling, capped at 300 s */
static int
in_backoff(struct xctr *c)
{
	/* a StartError never started: it did not run long */
	int64_t ran = c->cs.started_at_ns > 0 ?
	    c->cs.finished_at_ns - c->cs.started_at_ns : 0;

	if (ran >= (int64_t)BACKOFF_RESET_S * NS_PER_S)
		c->backoff_s = 0;
	if (c->backoff_s == 0) {
		c->backoff_s = BACKOFF_INITIAL_S;
		return 0;
	}
	if (c->backoff_until_ns == 0)
		c->backoff_until_ns = c->cs.finished_at_ns +
		    (int64_t)c->backoff_s * NS_PER_S;
	if (now_ns() < c->backoff_until_ns)
		return 1;
	c->backoff_until_ns = 0;
	c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S :
	    c->backoff_s * 2;
	return 0;
}

static void
crash_loop(struct xpod *x, struct xctr *c)
{
	char msg[POD_MAX_REASON];

	snprintf(msg, sizeof(msg), "back-off %us restarting failed "
	    "container=%s pod=%s_%s(%s)", c->backoff_s, c->name, x->pod.name,
	    x->pod.namespace, x->pod.uid);
	if (!c->has_last || c->state == CSTATE_TERMINATED)
		archive_last(c);
	/* once per back-off period */
	if (c->state != CSTATE_WAITING ||
	    strcmp(c->reason, "CrashLoopBackOff") != 0)
		exec_event(x, EVENT_WARNING, "BackOff", NULL, "Back-off "
		    "restarting failed container %s in pod %s_%s(%s)", c->name,
		    x->pod.name, x->pod.namespace, x->pod.uid);
	set_waiting(x, c, "CrashLoopBackOff", msg);
	wake_at(x, c->backoff_until_ns);
}

/* ---- signals ---- */

static int
signal_number(const char *name)
{
	static const struct { const char *n; int s; } sigs[] = {
		{ "SIGTERM", SIGTERM }, { "SIGINT", SIGINT },
		{ "SIGQUIT", SIGQUIT }, { "SIGKILL", SIGKILL },
		{ "SIGHUP", SIGHUP }, { "SIGUSR1", SIGUSR1 },
		{ "SIGUSR2", SIGUSR2 }, { "SIGWINCH", SIGWINCH },
	};
	size_t i;
	int n;

	for (i = 0; i < nitems(sigs); i++)
		if (strcmp(name, sigs[i].n) == 0 ||
		    strcmp(name, sigs[i].n + 3) == 0)
			return sigs[i].s;
	n = atoi(name);
	return n > 0 && n < 65 ? n : SIGTERM;
}

/* the image's STOPSIGNAL, SIGTERM without one */
static int
stop_signal(struct xpod *x, struct xctr *c)
{
	const struct container_spec *cs = slot_spec(x, c);
	struct rt_image img;
	struct rt_err err;
	int sig = SIGTERM;

	if (cs == NULL)
		return SIGTERM;
	memset(&img, 0, sizeof(img));
	if (rt_image_lookup(cs->image, &img, &err) == 0) {
		if (img.stop_signal[0] != '\0')
			sig = signal_number(img.stop_signal);
		rt_image_free(&img);
	}
	return sig;
}

/*
 * A signal is one syscall (rt_container_signal): no job.  why, when not
 * NULL, goes into the audit record after the signal (a probe's failure).
 */
void
lc_signal_container(struct xpod *x, struct xctr *c, int sig, const char *why)
{
	const char *action = sig == SIGKILL ? "container.kill" :
	    "container.stop";
	struct rt_err err;
	char details[1536];

	snprintf(details, sizeof(details), "signal=%d%s%s", sig,
	    why != NULL ? ";" : "", why != NULL ? why : "");
	if (exec_audit(AUDIT_INTENT, action, x, c->name, NULL, details, NULL,
	    NULL) == -1)
		return;
	memset(&err, 0, sizeof(err));
	if (rt_container_signal(c->id, sig, &err) == -1) {
		exec_audit(AUDIT_OUTCOME, action, x, c->name, NULL, details,
		    "error", rt_errmsg(&err));
		return;
	}
	exec_audit(AUDIT_OUTCOME, action, x, c->name, NULL, details, "ok",
	    NULL);
}

static void
signal_container(struct xpod *x, struct xctr *c, int sig)
{
	lc_signal_container(x, c, sig, NULL);
}

int
lc_stop_signal(struct xpod *x, struct xctr *c)
{
	return stop_signal(x, c);
}

static int
live(const struct xctr *c)
{
	return c->st == XC_RUNNING && c->id[0] != '\0';
}

static int
any_live(const struct xpod *x)
{
	uint32_t s;

	for (s = 0; s < x->n_slots; s++)
		if (live(&x->ctrs[s]))
			return 1;
	return 0;
}

static void
signal_all(struct xpod *x, int kill_now)
{
	struct xctr *c;
	uint32_t s;

	for (s = 0; s < x->n_slots; s++) {
		c = &x->ctrs[s];
		if (!live(c) || (c->kind == SLOT_SIDECAR && !kill_now))
			continue;	/* sidecars: sidecars_stop_step */
		/* the kubelet says Killing once, not again after the grace */
		if (x->st != XP_STOPPING)
			exec_event(x, EVENT_NORMAL, "Killing", NULL,
			    "Stopping container %s", c->name);
		signal_container(x, c, kill_now ? SIGKILL : stop_signal(x, c));
	}
}

/*
 * The grace period a stop is given: the spec's, raised to the kubelet's
 * minimumGracePeriodInSeconds (kuberuntime_container.go killContainer),
 * so that even a grace of 0 sends the stop signal first and SIGKILL only
 * MIN_GRACE_S later.  A pod adopted without a spec gets the minimum (the
 * kubelet reads the grace from the container's labels; ours carry none).
 */
static int64_t
grace_seconds(const struct xpod *x)
{
	int64_t grace = x->has_spec ? x->pod.termination_grace_seconds : 0;

	return grace < MIN_GRACE_S ? MIN_GRACE_S : grace;
}

/* ---- one container slot of a running pod ---- */

/* a changed spec: stop with the grace period, then removal and start */
static void
replace_step(struct xpod *x, struct xctr *c)
{
	int64_t grace = grace_seconds(x);

	int64_t least;

	if (!c->stop_sent) {
		if (c->stop_deadline_ns == 0) {
			exec_event(x, EVENT_NORMAL, "Killing", NULL, "Container "
			    "%s definition changed, will be restarted",
			    c->name);
			c->stop_deadline_ns = now_ns() + grace * NS_PER_S;
		}
		/* its preStop first, within the grace period (hook.c) */
		if (hook_pre_stop(x, c, c->stop_deadline_ns)) {
			wake_at(x, c->stop_deadline_ns);
			return;
		}
		signal_container(x, c, stop_signal(x, c));
		c->stop_sent = 1;
		least = now_ns() + MIN_GRACE_S * NS_PER_S;
		if (c->stop_deadline_ns < least)
			c->stop_deadline_ns = least;
	} else if (now_ns() >= c->stop_deadline_ns) {
		signal_container(x, c, SIGKILL);
		c->stop_deadline_ns = now_ns() + KILL_RECHECK_MS * 1000000LL;
		observe(x, c);
	}
	wake_at(x, c->stop_deadline_ns);
}

/* 1 when it started a job: the pod's next operation waits for it */
static int
slot_step(struct xpod *x, struct xctr *c)
{
	switch (c->st) {
	case XC_EMPTY:
		if (c->kind == SLOT_ORPHAN)
			return 0;
		if (c->backoff_until_ns > now_ns()) {
			wake_at(x, c->backoff_until_ns);
			return 0;
		}
		start_container(x, c);
		return x->busy;
	case XC_RUNNING:
		if (c->kind == SLOT_ORPHAN) {
			/* not in the spec any more: the stop signal, the
			   grace period, SIGKILL (computePodActions kills it
			   as any container, with the pod's grace) */
			if (!c->stop_sent) {
				signal_container(x, c, SIGTERM);
				c->stop_sent = 1;
				c->stop_deadline_ns = now_ns() +
				    grace_seconds(x) * NS_PER_S;
			} else if (now_ns() >= c->stop_deadline_ns) {
				signal_container(x, c, SIGKILL);
				c->stop_deadline_ns = now_ns() +
				    KILL_RECHECK_MS * 1000000LL;
			}
			observe(x, c);
			if (c->st == XC_RUNNING)
				wake_at(x, c->stop_deadline_ns);
		} else if (c->replace)
			replace_step(x, c);
		return 0;
	case XC_EXITED:
		if (c->kind == SLOT_ORPHAN || c->discard || c->replace) {
			remove_container(x, c);
			return x->busy;
		}
		if (!wants_restart(x, c))
			return 0;	/* Terminated, for good */
		if (in_backoff(c)) {
			crash_loop(x, c);
			return 0;
		}
		/* after a back-off the run is archived already, and the
		   reason is CrashLoopBackOff's, not the run's */
		if (!c->has_last || c->state == CSTATE_TERMINATED)
			archive_last(c);
		remove_container(x, c);
		return x->busy;
	case XC_STARTING:
	case XC_REMOVING:
		return 1;
	}
	return 0;
}

/* ---- the pod ---- */

/*
 * An older pod of the name, or of the uid, still terminating: the new one
 * waits for it.  The uid too, whatever the name: both would share
 * pods/<uid>, and the old one's removal must not run beside the new one's
 * volume setup there.
 */
static int
older_namesake_running(const struct xpod *x)
{
	const struct xpod *o;
	size_t i;

	for (i = 0; i < nxpods; i++) {
		o = xpods[i];
		if (o == x || !o->terminating)
			continue;
		if (strcmp(o->pod.uid, x->pod.uid) == 0 ||
		    (strcmp(o->pod.namespace, x->pod.namespace) == 0 &&
		    strcmp(o->pod.name, x->pod.name) == 0))
			return 1;
	}
	return 0;
}

static void
check_policy(struct xpod *x)
{
	const struct agentd_config *conf = exec_conf();
	struct policy_verdict v;
	char details[1024];

	policy_describe(&x->pod, details, sizeof(details));
	if (policy_check(&conf->policy, &x->pod, &v)) {
		exec_audit(AUDIT_EVENT, "policy.allow", x, NULL, NULL, details,
		    "allowed", NULL);
		x->st = XP_SANDBOX;
		return;
	}
	x->st = XP_DENIED;
	x->deny_code = "NodePolicyDenied";
	snprintf(x->deny_reason, sizeof(x->deny_reason),
	    "node policy rule %s: %s: %s", v.rule, v.field, v.reason);
	exec_audit(AUDIT_EVENT, "policy.deny", x, NULL, NULL, details,
	    "denied", x->deny_reason);
	exec_event(x, EVENT_WARNING, "NodePolicyDenied", NULL, "%s",
	    x->deny_reason);
	x->dirty = 1;
}

/* one hostIP covers another when they are equal or either is "any" */
static int
host_ip_overlaps(const char *a, const char *b)
{
	int any_a = a == NULL || a[0] == '\0' || strcmp(a, "0.0.0.0") == 0 ||
	    strcmp(a, "::") == 0;
	int any_b = b == NULL || b[0] == '\0' || strcmp(b, "0.0.0.0") == 0 ||
	    strcmp(b, "::") == 0;

	return any_a || any_b || strcmp(a, b) == 0;
}

static const struct container_port *
port_overlap(const struct pod *a, const struct container_port *pa)
{
	const struct container_port *pb;
	uint32_t i, j;

	for (i = 0; i < a->n_containers; i++)
		for (j = 0; j < a->containers[i].n_ports; j++) {
			pb = &a->containers[i].ports[j];
			if (pb->host_port == pa->host_port &&
			    pb->protocol == pa->protocol &&
			    host_ip_overlaps(pb->host_ip, pa->host_ip))
				return pb;
		}
	return NULL;
}

/* the other admitted pod that claims one of x's hostPorts, if any */
static const struct xpod *
host_port_holder(const struct xpod *x, const struct container_port **mine)
{
	const struct container_port *cp;
	const struct xpod *o;
	uint32_t i, j;
	size_t k;

	for (k = 0; k < nxpods; k++) {
		o = xpods[k];
		if (o == x || !o->has_spec || o->st == XP_ADMIT ||
		    o->st == XP_DENIED || o->st == XP_GONE)
			continue;
		for (i = 0; i < x->pod.n_containers; i++)
			for (j = 0; j < x->pod.containers[i].n_ports; j++) {
				cp = &x->pod.containers[i].ports[j];
				if (cp->host_port != 0 &&
				    port_overlap(&o->pod, cp) != NULL) {
					*mine = cp;
					return o;
				}
			}
	}
	return NULL;
}

/*
 * Two pods must not bind one hostPort: the kubelet leaves this to the
 * scheduler, which static pods do not pass, and the second pod's port
 * rules would shadow the first's without a word.  The pod admitted first
 * keeps the port; the other fails, as a pod the node cannot run, unless
 * the holder is on its way out: then it waits for it.  1: not now.
 */
static int
host_port_conflict(struct xpod *x)
{
	const struct container_port *cp = NULL;
	const struct xpod *o;
	char details[POD_MAX_NAMESPACE + POD_MAX_NAME + 64];

	if ((o = host_port_holder(x, &cp)) == NULL)
		return 0;
	if (o->terminating) {
		x->wake_ns = now_ns() + NS_PER_S;
		return 1;
	}
	x->st = XP_DENIED;
	x->deny_code = "HostPortConflict";
	snprintf(x->deny_reason, sizeof(x->deny_reason), "hostPort %d/%s is "
	    "already taken by pod %s/%s", (int)cp->host_port,
	    pod_protocol_name(cp->protocol), o->pod.namespace, o->pod.name);
	snprintf(details, sizeof(details), "hostPort=%d/%s;holder=%s/%s",
	    (int)cp->host_port, pod_protocol_name(cp->protocol),
	    o->pod.namespace, o->pod.name);
	exec_audit(AUDIT_EVENT, "policy.deny", x, NULL, NULL, details,
	    "denied", x->deny_reason);
	exec_event(x, EVENT_WARNING, "HostPortConflict", NULL, "%s",
	    x->deny_reason);
	x->dirty = 1;
	return 1;
}

/* ---- init containers and sidecars ---- */

/*
 * A sidecar counts as started, and the next init container may begin,
 * when it runs and its startup probe, if any, has passed (the kubelet:
 * Started is true once the startup probe has succeeded).
 */
static int
sidecar_started(const struct xpod *x, const struct xctr *c)
{
	return c->st == XC_RUNNING && c->state == CSTATE_RUNNING &&
	    probe_started(x, c);
}

static struct xctr *
init_slot(struct xpod *x, uint32_t i)
{
	uint32_t s;

	for (s = 0; s < x->n_slots; s++)
		if (is_init_kind(&x->ctrs[s]) && x->ctrs[s].spec_index == (int)i)
			return &x->ctrs[s];
	return NULL;
}

/*
 * spec.initContainers in order (the kubelet's computeInitContainerActions):
 * an init container runs to success before the next starts, restarted by
 * the pod's restartPolicy when it fails; a sidecar starts in its turn and
 * must have started before the next.  A failure under Never is the end
 * of the pod.  1 while the containers must wait (or a job started).
 */
static int
init_step(struct xpod *x)
{
	struct xctr *c;
	uint32_t i;

	for (i = 0; i < x->pod.n_init_containers; i++) {
		if ((c = init_slot(x, i)) == NULL)
			return 1;	/* no slot (a bound): nothing starts */
		if (c->kind == SLOT_SIDECAR) {
			if (slot_step(x, c))
				return 1;
			if (!x->initialized && !sidecar_started(x, c))
				return 1;
			continue;
		}
		if (c->init_done || x->initialized)
			continue;
		if (c->st == XC_EXITED && !c->discard && exited_ok(c)) {
			c->init_done = 1;
			log_info("pod %s/%s: init container %s completed",
			    x->pod.namespace, x->pod.name, c->name);
			continue;
		}
		if (c->st == XC_EXITED && !c->discard && !wants_restart(x, c) &&
		    !x->main_done) {
			x->main_done = 1;
			x->dirty = 1;
			exec_event(x, EVENT_WARNING, "Failed", NULL, "init "
			    "container %s failed and restartPolicy is Never: the "
			    "pod has failed", c->name);
		}
		slot_step(x, c);
		return 1;
	}
	if (!x->initialized && x->pod.n_init_containers > 0)
		log_info("pod %s/%s: initialized", x->pod.namespace, x->pod.name);
	x->initialized = 1;
	return 0;
}

/* every container has exited and none is restarted: the pod is done */
static int
containers_done(const struct xpod *x)
{
	const struct xctr *c;
	uint32_t s, n = 0;

	for (s = 0; s < x->n_slots; s++) {
		c = &x->ctrs[s];
		if (c->kind != SLOT_REGULAR)
			continue;
		if (c->st != XC_EXITED || c->discard || c->replace ||
		    wants_restart(x, c))
			return 0;
		n++;
	}
	return n > 0;
}

/*
 * The kubelet's order at a pod's end (kuberuntime's termination
 * ordering): sidecars are stopped once every other container has exited,
 * in reverse order, each after the sidecars that follow it.  1 while one
 * is still running.
 */
static int
sidecars_stop_step(struct xpod *x)
{
	struct xctr *c;
	uint32_t i, s;

	for (s = 0; s < x->n_slots; s++)
		if (x->ctrs[s].kind != SLOT_SIDECAR && live(&x->ctrs[s]))
			return 1;	/* the others go first */
	for (i = x->pod.n_init_containers; i > 0; i--) {
		if ((c = init_slot(x, i - 1)) == NULL || !live(c))
			continue;
		if (!c->term_sent) {
			exec_event(x, EVENT_NORMAL, "Killing", NULL,
			    "Stopping container %s", c->name);
			signal_container(x, c, stop_signal(x, c));
			c->term_sent = 1;
		}
		return 1;
	}
	return 0;
}

/*
 * A pod whose containers are done (restartPolicy Never or OnFailure, or
 * an init container failed under Never) stops its sidecars with the
 * grace period, as the kubelet kills a pod that reached a terminal phase;
 * they are not restarted (wants_restart).
 */
static void
main_done_step(struct xpod *x)
{
	uint32_t s;

	if (!x->main_done && !containers_done(x))
		return;
	if (!x->main_done) {
		x->main_done = 1;
		x->dirty = 1;
	}
	if (x->main_done_deadline_ns == 0)
		x->main_done_deadline_ns = now_ns() +
		    grace_seconds(x) * NS_PER_S;
	if (!sidecars_stop_step(x))
		return;
	if (now_ns() >= x->main_done_deadline_ns) {
		for (s = 0; s < x->n_slots; s++)
			if (x->ctrs[s].kind == SLOT_SIDECAR &&
			    live(&x->ctrs[s])) {
				signal_container(x, &x->ctrs[s], SIGKILL);
				observe(x, &x->ctrs[s]);
			}
		x->main_done_deadline_ns = now_ns() +
		    KILL_RECHECK_MS * 1000000LL;
	}
	wake_at(x, x->main_done_deadline_ns);
}

static void
running_step(struct xpod *x)
{
	uint32_t s;

	for (s = 0; s < x->n_slots; s++)
		if (x->ctrs[s].kind == SLOT_ORPHAN &&
		    slot_step(x, &x->ctrs[s]))
			return;
	/* an init container failed for good: nothing else starts */
	if (x->main_done && !x->initialized) {
		main_done_step(x);
		return;
	}
	if (!x->main_done && init_step(x)) {
		if (x->main_done)
			main_done_step(x);
		return;
	}
	for (s = 0; s < x->n_slots; s++) {
		if (x->ctrs[s].kind != SLOT_REGULAR)
			continue;
		if (slot_step(x, &x->ctrs[s]))
			return;
		/* the next containers start after its postStart hook */
		if (hook_post_start_pending(&x->ctrs[s]))
			return;
	}
	if (x->pod.n_init_containers > 0)
		main_done_step(x);
}

/*
 * The stop signal to each live container that has not had it, once its
 * preStop hook is over (hook.c; at the grace period's end one still
 * running is left).  A signal sent later than MIN_GRACE_S before the
 * deadline moves the deadline: SIGKILL never follows sooner (the kubelet
 * raises the grace left after a preStop to its minimum, and gives a hook
 * still running at the end its one 2 s extension).
 */
static void
stop_signals(struct xpod *x)
{
	struct xctr *c;
	uint32_t s;
	int64_t least;

	for (s = 0; s < x->n_slots; s++) {
		c = &x->ctrs[s];
		/* sidecars go after the others: sidecars_stop_step */
		if (!live(c) || c->kind == SLOT_SIDECAR || c->stop_sent ||
		    hook_pre_stop(x, c, x->deadline_ns))
			continue;
		exec_event(x, EVENT_NORMAL, "Killing", NULL,
		    "Stopping container %s", c->name);
		signal_container(x, c, stop_signal(x, c));
		c->stop_sent = 1;
		least = now_ns() + MIN_GRACE_S * NS_PER_S;
		if (x->deadline_ns < least)
			x->deadline_ns = least;
	}
}

/* stop signals, after the preStop hooks; SIGKILL when the grace ends */
static void
begin_stop(struct xpod *x)
{
	x->st = XP_STOPPING;
	x->deadline_ns = now_ns() + grace_seconds(x) * NS_PER_S;
	stop_signals(x);
}

/* ---- activeDeadlineSeconds ---- */

/* the kubelet's words (pkg/kubelet/active_deadline.go) */
#define DEADLINE_REASON		"DeadlineExceeded"
#define DEADLINE_MESSAGE	"Pod was active on the node longer than the " \
				"specified deadline"

/* 0: no deadline; else its time, ns (at most 2^32 s: no overflow) */
static int64_t
active_deadline_ns(const struct xpod *x)
{
	if (!x->has_spec || x->pod.active_deadline_seconds <= 0 ||
	    x->start_time_ns <= 0)
		return 0;
	return x->start_time_ns + x->pod.active_deadline_seconds * NS_PER_S;
}

/*
 * The pod has been active longer than its activeDeadlineSeconds since
 * its start time: it is Failed (the kubelet's ShouldEvict: phase,
 * reason, message), and its containers are killed as at a deletion,
 * stop signal first, SIGKILL after the grace period.  It stays listed
 * until it leaves the pod set.
 */
static void
fail_active_deadline(struct xpod *x)
{
	log_info("pod %s/%s (%s): active for more than %lld s; failed",
	    x->pod.namespace, x->pod.name, x->pod.uid,
	    (long long)x->pod.active_deadline_seconds);
	exec_event(x, EVENT_NORMAL, DEADLINE_REASON, NULL, "%s",
	    DEADLINE_MESSAGE);
	x->failed = 1;
	x->dirty = 1;
}

/* as a pod's stop (killPod): preStop hooks, stop signals, SIGKILL */
static void
failed_stop_step(struct xpod *x)
{
	struct xctr *c;
	uint32_t s;

	if (!any_live(x))
		return;
	if (x->failed_kill_ns == 0) {
		x->deadline_ns = now_ns() + grace_seconds(x) * NS_PER_S;
		x->failed_kill_ns = x->deadline_ns;	/* the stop has begun */
	}
	stop_signals(x);	/* sidecars after the others, as at deletion */
	if (now_ns() < x->deadline_ns)
		sidecars_stop_step(x);
	else {
		for (s = 0; s < x->n_slots; s++) {
			c = &x->ctrs[s];
			if (live(c)) {
				signal_container(x, c, SIGKILL);
				observe(x, c);
			}
		}
		x->deadline_ns = now_ns() + KILL_RECHECK_MS * 1000000LL;
	}
	wake_at(x, x->deadline_ns);
}

/* 1: the pod has failed its deadline, and nothing is to be started */
static int
active_deadline_step(struct xpod *x)
{
	int64_t at;

	if (!x->failed) {
		if ((at = active_deadline_ns(x)) == 0 ||
		    (x->st != XP_SANDBOX && x->st != XP_RUNNING))
			return 0;
		if (now_ns() < at) {
			wake_at(x, at);
			return 0;
		}
		fail_active_deadline(x);
	}
	failed_stop_step(x);
	return 1;
}

/*
 * The reporter keys pods by uid: the replacement of a pod whose sandbox
 * changed under the same uid loses its entry with the old pod's GONE, so
 * it sends its spec again.
 */
static void
resend_uid_namesake(const struct xpod *gone)
{
	size_t i;

	for (i = 0; i < nxpods; i++)
		if (xpods[i] != gone && xpods[i]->has_spec &&
		    strcmp(xpods[i]->pod.uid, gone->pod.uid) == 0) {
			xpods[i]->spec_sent = 0;
			xpods[i]->dirty = 1;
		}
}

/* remove the containers one job at a time, then the sandbox */
static void
teardown_step(struct xpod *x)
{
	struct xctr *c;
	uint32_t s;

	for (s = 0; s < x->n_slots; s++) {
		c = &x->ctrs[s];
		if (c->id[0] == '\0')
			continue;
		remove_container(x, c);
		return;
	}
	if (x->has_sandbox) {
		remove_sandbox(x);
		return;
	}
	if (x->sb_stray[0] != '\0') {
		remove_stray(x);
		return;
	}
	log_info("pod %s/%s (%s) terminated and removed", x->pod.namespace,
	    x->pod.name, x->pod.uid);
	if (x->has_spec)
		exec_send_gone(x);
	x->st = XP_GONE;
	resend_uid_namesake(x);
}

/* a pod that has not reached its containers yet goes straight to removal */
static void
terminate_step(struct xpod *x)
{
	uint32_t s;

	switch (x->st) {
	case XP_STOPPING:
		stop_signals(x);	/* preStop hooks that are over */
		if (!any_live(x))
			break;
		if (now_ns() < x->deadline_ns) {
			sidecars_stop_step(x);
			wake_at(x, x->deadline_ns);
			return;
		}
		log_info("pod %s/%s: grace period over, killing",
		    x->pod.namespace, x->pod.name);
		signal_all(x, 1);
		x->st = XP_KILLING;
		x->deadline_ns = now_ns() + KILL_RECHECK_MS * 1000000LL;
		wake_at(x, x->deadline_ns);
		return;
	case XP_KILLING:
		if (!any_live(x))
			break;
		/* an exit is an event; this only covers a conmon gone mute */
		if (now_ns() >= x->deadline_ns) {
			for (s = 0; s < x->n_slots; s++)
				observe(x, &x->ctrs[s]);
			x->deadline_ns = now_ns() + KILL_RECHECK_MS * 1000000LL;
		}
		if (any_live(x)) {
			wake_at(x, x->deadline_ns);
			return;
		}
		break;
	case XP_TEARDOWN:
		teardown_step(x);
		return;
	default:
		begin_stop(x);
		if (any_live(x)) {
			if (x->st == XP_STOPPING)
				sidecars_stop_step(x);
			wake_at(x, x->deadline_ns);
			return;
		}
		break;
	}
	x->st = XP_TEARDOWN;
	teardown_step(x);
}

/*
 * Every transition of a pod, from whatever its last event was.  A pod
 * with a job in flight waits for that job's result (which steps it again).
 */
static void
pod_step(struct xpod *x)
{
	enum xpod_state before;
	int pass;

	for (pass = 0; pass < STEP_MAX_PASSES && !x->busy; pass++) {
		before = x->st;
		if (x->next_pod != NULL)
			take_next_spec(x);
		if (x->st == XP_ADOPTED && have_podset && !kept_unsynced(x))
			x->terminating = 1;	/* no spec claims it */
		/* CHECK first: nothing runs on in a sandbox that changed;
		   netparse's arrival, or NETSTART_WAIT_S, steps us again */
		if (x->sb_check && !x->terminating) {
			if (x->sb_check_at > now_ns()) {
				wake_at(x, x->sb_check_at);
				break;	/* a retry of a failed CHECK */
			}
			if (!net_go || sandbox_check(x))
				break;	/* the job's end steps us again */
		}
		if (x->terminating) {
			if (x->st != XP_GONE)
				terminate_step(x);
		} else if (active_deadline_step(x)) {
			break;	/* Failed: its containers only stop */
		} else {
			switch (x->st) {
			case XP_ADOPTED:	/* until the first pod set */
			case XP_DENIED:
			case XP_GONE:
				break;
			case XP_ADMIT:
				check_policy(x);
				break;
			case XP_SANDBOX:
				if (older_namesake_running(x))
					break;	/* its end steps us again */
				if (!x->has_sandbox && host_port_conflict(x))
					break;
				if (x->has_sandbox)
					x->st = XP_RUNNING;
				else if (gc_state == GC_DONE)
					sandbox_create(x);
				/* else gc_done steps us again */
				break;
			case XP_RUNNING:
				running_step(x);
				break;
			case XP_STOPPING:
			case XP_KILLING:
			case XP_TEARDOWN:
				break;	/* only a terminating pod gets here */
			}
		}
		if (x->st == before)
			break;
	}
}

#ifdef AGENTD_TEST_HOOKS
uint32_t	lc_relists;	/* every step, whatever asked for it */
#endif

int64_t
lc_step_all(void)
{
	int64_t wake = 0;
	size_t i = 0;
	struct xpod *x;

#ifdef AGENTD_TEST_HOOKS
	lc_relists++;
#endif
	if (netstart_ready(&wake) && gc_state == GC_PENDING)
		gc_start();
	while (i < nxpods) {
		x = xpods[i];
		x->wake_ns = 0;
		pod_step(x);
		if (x->st == XP_GONE && !x->busy) {
			xpod_free_at(i);
			continue;
		}
		/* probes run beside the pod's operations, never behind them */
		probe_pod_step(x);
		hook_pod_step(x);
		if (x->dirty && x->has_spec)
			exec_send_status(x);
		if (x->wake_ns != 0 && (wake == 0 || x->wake_ns < wake))
			wake = x->wake_ns;
		i++;
	}
	return wake;
}

/* pods waiting for an image look again at once */
void
lc_image_arrived(void)
{
	size_t i;
	uint32_t s;

	for (i = 0; i < nxpods; i++)
		for (s = 0; s < xpods[i]->n_slots; s++)
			if (xpods[i]->ctrs[s].st == XC_EMPTY &&
			    strncmp(xpods[i]->ctrs[s].reason, "ErrImage", 8) == 0)
				xpods[i]->ctrs[s].backoff_until_ns = 0;
	exec_step_soon();
}

/* a (re)connected reporter gets every pod; exec_send_status paces them */
void
lc_resend_all(void)
{
	size_t i;

	for (i = 0; i < nxpods; i++)
		if (xpods[i]->has_spec)
			xpods[i]->dirty = 1;
}

/* send what is dirty, as far as the reporter queue allows; how many wait */
size_t
lc_send_dirty(void)
{
	size_t i, left = 0;

	for (i = 0; i < nxpods; i++) {
		if (!xpods[i]->dirty || !xpods[i]->has_spec)
			continue;
		exec_send_status(xpods[i]);
		left += xpods[i]->dirty != 0;
	}
	return left;
}

/* ---- the report the reporter turns into PodStatus ---- */

static void
fill_creport_slot(struct xpod *x, const struct container_spec *cs,
    struct xctr *c, struct container_report *r)
{
	const struct rt_info *info = exec_rt_info();
	char cid[RT_ID_MAX + sizeof(info->runtime_name) + 4];

	r->name = strdup(cs->name);
	r->image = strdup(cs->image);
	if (c == NULL)
		return;		/* Waiting, no reason: as created */
	r->image_id = c->image_id ? strdup(c->image_id) : NULL;
	snprintf(cid, sizeof(cid), "%s://%s", info->runtime_name, c->id);
	r->container_id = c->id[0] ? strdup(cid) : NULL;
	r->state = c->state;
	r->reason = c->reason[0] ? strdup(c->reason) : NULL;
	r->message = c->message ? strdup(c->message) : NULL;
	r->started_at_ns = c->cs.started_at_ns;
	r->exit_code = c->cs.exit_code;
	r->signal = c->cs.signal;
	r->finished_at_ns = c->cs.finished_at_ns;
	r->restart_count = c->restart_count;
	r->ready = c->state == CSTATE_RUNNING && !x->terminating &&
	    !x->failed && probe_ready(x, c) && !hook_post_start_pending(c);
	r->started = c->state == CSTATE_RUNNING && probe_started(x, c);
	if (c->has_last) {
		r->has_last = 1;
		r->last_term.exit_code = c->last.exit_code;
		r->last_term.signal = c->last.signal;
		r->last_term.reason = c->last.reason ?
		    strdup(c->last.reason) : NULL;
		r->last_term.message = c->last.message != NULL ?
		    strdup(c->last.message) : NULL;
		r->last_term.started_at_ns = c->last.started_at_ns;
		r->last_term.finished_at_ns = c->last.finished_at_ns;
		snprintf(cid, sizeof(cid), "%s://%s", info->runtime_name,
		    c->last.container_id ? c->last.container_id : "");
		r->last_term.container_id = c->last.container_id != NULL ?
		    strdup(cid) : NULL;
	}
}

static void
fill_creport(struct xpod *x, uint32_t i, struct container_report *r)
{
	struct xctr *c = spec_slot(x, i);

	fill_creport_slot(x, &x->pod.containers[i], c, r);
}

/*
 * The kubelet's prober manager: an init container is ready once it has
 * exited 0, a sidecar while it runs and its readiness probe, if any,
 * passes; started is sidecar_started() for a sidecar, running for the
 * others.
 */
static void
fill_init_creport(struct xpod *x, uint32_t i, struct container_report *r)
{
	const struct container_spec *cs = &x->pod.init_containers[i];
	struct xctr *c = init_slot(x, i);

	fill_creport_slot(x, cs, c, r);
	if (c == NULL)
		return;
	if (c->kind == SLOT_SIDECAR) {
		r->started = sidecar_started(x, c);
		r->ready = r->started && probe_ready(x, c) && !x->terminating &&
		    !x->failed;
	} else {
		r->started = c->state == CSTATE_RUNNING;
		r->ready = c->state == CSTATE_TERMINATED && exited_ok(c);
	}
}

static void	creport_sandbox_error(const struct xpod *,
		    struct container_report *);

static int
fill_init_reports(struct xpod *x, struct pod_report *r)
{
	uint32_t i;

	if (x->pod.n_init_containers == 0)
		return 0;
	if ((r->init_containers = calloc(x->pod.n_init_containers,
	    sizeof(*r->init_containers))) == NULL)
		return -1;
	r->n_init_containers = x->pod.n_init_containers;
	for (i = 0; i < x->pod.n_init_containers; i++) {
		fill_init_creport(x, i, &r->init_containers[i]);
		creport_sandbox_error(x, &r->init_containers[i]);
		if (x->st == XP_DENIED)
			r->init_containers[i].state = CSTATE_WAITING;
	}
	return 0;
}

/*
 * A pod whose sandbox cannot be made: its containers wait in
 * ContainerCreating and say why where `kubectl get pod` shows it, in the
 * words of the kubelet's FailedCreatePodSandBox event.
 */
static void
creport_sandbox_error(const struct xpod *x, struct container_report *r)
{
	char *msg;

	if (x->sandbox_error[0] == '\0' || x->has_sandbox ||
	    x->st == XP_DENIED || r->state != CSTATE_WAITING ||
	    r->container_id != NULL)
		return;
	if (asprintf(&msg, "Failed to create pod sandbox: %s",
	    x->sandbox_error) == -1)
		return;
	free(r->reason);
	free(r->message);
	r->reason = strdup("ContainerCreating");
	r->message = msg;
}

int
lc_fill_report(struct xpod *x, struct pod_report *r)
{
	uint32_t i;
	int denied = x->st == XP_DENIED;

	pod_report_init(r);
	r->denied = denied;
	if (denied) {
		r->reason = strdup(x->deny_code != NULL ? x->deny_code :
		    "NodePolicyDenied");
		r->message = strdup(x->deny_reason);
	} else if (x->failed) {
		r->failed = 1;
		r->reason = strdup(DEADLINE_REASON);
		r->message = strdup(DEADLINE_MESSAGE);
	} else if (x->sandbox_error[0]) {
		r->reason = strdup("CreatePodSandboxError");
		r->message = strdup(x->sandbox_error);
	}
	r->sandbox_ready = x->has_sandbox && !x->terminating;
	r->terminating = x->terminating != 0;
	r->deletion_ns = x->terminating ? x->deletion_ns : 0;
	r->start_time_ns = x->start_time_ns;
	if (x->has_sandbox && x->sb.pod_ip[0])
		r->pod_ip = strdup(x->sb.pod_ip);
	/* the node's addresses; the reporter gives them to hostNetwork pods */
	if (exec_conf()->node_ips[0] != '\0')
		r->host_ip = strdup(exec_conf()->node_ips);
	if ((r->containers = calloc(x->pod.n_containers,
	    sizeof(*r->containers))) == NULL)
		return -1;
	r->n_containers = x->pod.n_containers;
	for (i = 0; i < x->pod.n_containers; i++) {
		fill_creport(x, i, &r->containers[i]);
		creport_sandbox_error(x, &r->containers[i]);
		if (denied)
			r->containers[i].state = CSTATE_WAITING;
	}
	return fill_init_reports(x, r);
}
