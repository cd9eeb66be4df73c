/*
 * The pod lifecycle, as the kubelet's pod workers run it: accept a pod,
 * check it against the node policy, create its sandbox, start its
 * containers, restart them by restartPolicy with the crash-loop backoff,
 * and terminate it (stop signal, grace period, SIGKILL, removal) when it
 * leaves the desired set.  Every privileged step is audited before (intent,
 * acknowledged as durable by agentd) and after (outcome); an intent that
 * cannot be recorded means the step does not happen.
 *
 * State is rebuilt after a restart from what the runtime reports (the
 * labels stored with each container), so killing the executor or agentd
 * loses no container and restarts none.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "evring.h"
#include "executor.h"
#include "ipc.h"
#include "log.h"
#include "msgcat.h"
#include "policy.h"

static struct xpod	*xpods[MAX_PODS];
static size_t		 nxpods;
static int		 have_podset;	/* a full set has arrived since start */

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
		if (strcmp(xpods[i]->pod.uid ? xpods[i]->pod.uid : "", uid) == 0)
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
xpod_free_at(size_t i)
{
	pod_free(&xpods[i]->pod);
	free(xpods[i]);
	xpods[i] = xpods[--nxpods];
}

/* ---- adoption of what the runtime already runs ---- */

void
lc_adopt(const char *id, const struct rt_labels *l, void *arg)
{
	struct xpod *x;

	if ((x = find_uid(l->pod_uid)) == NULL) {
		if ((x = xpod_new()) == NULL)
			return;
		x->pod.uid = strdup(l->pod_uid);
		x->pod.namespace = strdup(l->pod_namespace);
		x->pod.name = strdup(l->pod_name);
		snprintf(x->spec_hash, sizeof(x->spec_hash), "%s",
		    l->spec_hash);
		x->start_time_ns = pod_now_ns();
	}
	/* the creation time stored with the sandbox and every container */
	if (l->pod_created_ns > 0 && l->pod_created_ns < x->start_time_ns)
		x->start_time_ns = l->pod_created_ns;
	if (l->container[0] == '\0') {
		struct rt_cstate cs;
		struct rt_err err;

		snprintf(x->sb.id, sizeof(x->sb.id), "%s", id);
		if (rt_sandbox_status(id, &x->sb, &cs, &err) == 0)
			x->has_sandbox = 1;
		return;
	}
	if (x->n_adopted >= POD_MAX_CONTAINERS)
		return;
	x->adopted[x->n_adopted] = *l;
	snprintf(x->adopted_ids[x->n_adopted], RT_ID_MAX, "%s", id);
	x->n_adopted++;
	log_info("adopted container %s of pod %s/%s", l->container,
	    l->pod_namespace, l->pod_name);
}

/* give adopted containers their place in the now known spec */
static void
attach_adopted(struct xpod *x)
{
	struct rt_err err;
	uint32_t i, j;

	for (i = 0; i < x->n_adopted; i++) {
		for (j = 0; j < x->pod.n_containers; j++)
			if (strcmp(x->pod.containers[j].name,
			    x->adopted[i].container) == 0 &&
			    x->ctrs[j].id[0] == '\0')
				break;
		if (j == x->pod.n_containers) {
			/* not in the spec any more: remove it */
			rt_container_kill(x->adopted_ids[i], SIGKILL, &err);
			rt_container_remove(x->adopted_ids[i], &err);
			continue;
		}
		/* same-sized fields of one struct: a plain copy */
		memcpy(x->ctrs[j].id, x->adopted_ids[i], RT_ID_MAX);
		x->ctrs[j].restart_count = x->adopted[i].restart_count;
		x->ctrs[j].backoff_s = x->adopted[i].restart_count ?
		    BACKOFF_INITIAL_S : 0;
	}
	x->n_adopted = 0;
	x->policy_checked = 1;	/* it was allowed when it was started */
}

/* ---- the desired set ---- */

static struct pod	*pending[MAX_PODS];
static char		 pending_hash[MAX_PODS][72];
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

int
lc_podset_add(struct pod *p, const char *hash)
{
	if (npending >= MAX_PODS)
		return -1;
	if ((pending[npending] = malloc(sizeof(*p))) == NULL)
		return -1;
	*pending[npending] = *p;
	snprintf(pending_hash[npending], sizeof(pending_hash[0]), "%s", hash);
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
	x->phase = XPOD_ACTIVE;
	x->dirty = 1;
}

static void
accept_pod(struct pod *p, const char hash[72])
{
	struct xpod *x;

	if ((x = find_uid(p->uid)) != NULL && !x->terminating &&
	    strcmp(x->spec_hash, hash) == 0) {
		x->desired = 1;
		if (!x->has_spec) {
			pod_free(&x->pod);
			x->pod = *p;
			x->has_spec = 1;
			attach_adopted(x);
			x->dirty = 1;
		} else
			pod_free(p);
		return;
	}
	if (x != NULL)
		start_terminating(x, "spec changed");
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
	x->start_time_ns = pod_now_ns();
	/* both are hex SHA-256 strings of the same buffer size */
	memcpy(x->spec_hash, hash, sizeof(x->spec_hash));
	x->spec_hash[sizeof(x->spec_hash) - 1] = '\0';
	log_info("pod %s/%s (%s) accepted", p->namespace, p->name, p->uid);
}

void
lc_podset_end(void)
{
	size_t i;

	for (i = 0; i < nxpods; i++)
		if (!xpods[i]->terminating)
			xpods[i]->desired = 0;
	for (i = 0; i < npending; i++) {
		accept_pod(pending[i], pending_hash[i]);
		free(pending[i]);
	}
	npending = 0;
	for (i = 0; i < nxpods; i++)
		if (!xpods[i]->desired)
			start_terminating(xpods[i], "no longer desired");
	have_podset = 1;
	exec_sync_soon();
}

/* ---- helpers for container state ---- */

static struct container_spec *
cspec(struct xpod *x, uint32_t i)
{
	return &x->pod.containers[i];
}

static void
set_waiting(struct xpod *x, struct xctr *c, const char *reason,
    const char *message)
{
	if (c->state != CSTATE_WAITING || strcmp(c->reason, reason) != 0 ||
	    strcmp(c->message, message ? message : "") != 0)
		x->dirty = 1;
	c->state = CSTATE_WAITING;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	snprintf(c->message, sizeof(c->message), "%s", message ? message : "");
}

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

static void
fill_labels(struct xpod *x, uint32_t i, struct rt_labels *l,
    const char *digest)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->pod_namespace, sizeof(l->pod_namespace), "%s",
	    x->pod.namespace);
	snprintf(l->pod_name, sizeof(l->pod_name), "%s", x->pod.name);
	snprintf(l->pod_uid, sizeof(l->pod_uid), "%s", x->pod.uid);
	if (i < x->pod.n_containers)
		snprintf(l->container, sizeof(l->container), "%s",
		    cspec(x, i)->name);
	l->restart_count = i < x->pod.n_containers ?
	    x->ctrs[i].restart_count : 0;
	snprintf(l->image_digest, sizeof(l->image_digest), "%s",
	    digest ? digest : "");
	snprintf(l->spec_hash, sizeof(l->spec_hash), "%s", x->spec_hash);
	l->pod_created_ns = x->start_time_ns;
}

/* ---- the sandbox ---- */

/*
 * A sandbox that cannot be created (a failing CNI plugin, a cgroup that
 * cannot be made) is retried with the crash-loop backoff of containers,
 * not at every relist: each attempt is two fsync'd audit records and a
 * runtime call.
 */
static void
sandbox_backoff(struct xpod *x)
{
	if (x->sb_backoff_s == 0)
		x->sb_backoff_s = BACKOFF_INITIAL_S;
	else
		x->sb_backoff_s = x->sb_backoff_s * 2 > BACKOFF_MAX_S ?
		    BACKOFF_MAX_S : x->sb_backoff_s * 2;
	x->sb_retry_ns = pod_now_ns() + (int64_t)x->sb_backoff_s *
	    1000000000LL;
}

static int
ensure_sandbox(struct xpod *x)
{
	char details[1024], ids[RT_ID_MAX + CONFIG_MAX_PATH + 16];
	struct rt_err err;

	if (x->has_sandbox)
		return 0;
	if (x->sb_retry_ns > pod_now_ns())
		return -1;	/* backing off: no runtime call, no record */
	policy_describe(&x->pod, details, sizeof(details));
	if (exec_audit(AUDIT_INTENT, "sandbox.create", x, NULL, NULL, details,
	    NULL, NULL) == -1) {
		if (strcmp(x->sandbox_error, AUDIT_REFUSED) != 0)
			x->dirty = 1;
		snprintf(x->sandbox_error, sizeof(x->sandbox_error), "%s",
		    AUDIT_REFUSED);
		exec_event(x, EVENT_WARNING, "FailedCreatePodSandBox",
		    "audit refused", "Failed to create pod sandbox: %s",
		    AUDIT_REFUSED);
		return -1;
	}
	memset(&err, 0, sizeof(err));
	if (rt_sandbox_create(&x->pod, x->spec_hash, x->start_time_ns, &x->sb,
	    &err) == -1) {
		exec_audit(AUDIT_OUTCOME, "sandbox.create", x, NULL, NULL,
		    details, "error", err.msg);
		snprintf(x->sandbox_error, sizeof(x->sandbox_error), "%s",
		    err.msg);
		sandbox_backoff(x);
		exec_event(x, EVENT_WARNING, "FailedCreatePodSandBox", NULL,
		    "Failed to create pod sandbox: %s", err.msg);
		x->dirty = 1;
		return -1;
	}
	x->sb_backoff_s = 0;
	x->sb_retry_ns = 0;
	snprintf(ids, sizeof(ids), "id=%s;netns=%s", x->sb.id,
	    x->sb.netns_path);
	exec_audit(AUDIT_OUTCOME, "sandbox.create", x, NULL, NULL, ids, "ok",
	    NULL);
	x->sandbox_error[0] = '\0';
	x->has_sandbox = 1;
	x->dirty = 1;
	return 0;
}

/* ---- containers ---- */

static void	observe(struct xpod *, uint32_t);

static void
record_exit(struct xpod *x, struct xctr *c)
{
	const char *reason;

	c->state = CSTATE_TERMINATED;
	reason = c->cs.oom_killed ? "OOMKilled" :
	    (c->cs.exit_code == 0 && c->cs.signal == 0) ? "Completed" :
	    "Error";
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	c->message[0] = '\0';
	c->exit_seen = 1;
	x->dirty = 1;
	log_info("pod %s/%s container %s exited: code %d signal %d (%s)",
	    x->pod.namespace, x->pod.name, c->id, c->cs.exit_code,
	    c->cs.signal, reason);
}

static int
wants_restart(const struct xpod *x, const struct xctr *c)
{
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

static void
remove_container(struct xpod *x, uint32_t i)
{
	struct xctr *c = &x->ctrs[i];
	struct rt_err err;
	const char *name = i < x->pod.n_containers ? cspec(x, i)->name : NULL;
	char details[RT_ID_MAX + 8];

	snprintf(details, sizeof(details), "id=%s", c->id);
	if (exec_audit(AUDIT_INTENT, "container.remove", x, name, NULL,
	    details, NULL, NULL) == -1)
		return;
	memset(&err, 0, sizeof(err));
	if (rt_container_remove(c->id, &err) == -1) {
		exec_audit(AUDIT_OUTCOME, "container.remove", x, name, NULL,
		    details, "error", err.msg);
		log_warnx("remove %s: %s", c->id, err.msg);
		return;
	}
	exec_audit(AUDIT_OUTCOME, "container.remove", x, name, NULL, details,
	    "ok", NULL);
	c->id[0] = '\0';
}

/* keep the finished run as lastState, as the kubelet shows it */
static void
archive_last(struct xpod *x, struct xctr *c)
{
	free(c->last.reason);
	free(c->last.message);
	free(c->last.container_id);
	memset(&c->last, 0, sizeof(c->last));
	c->last.exit_code = c->cs.exit_code;
	c->last.signal = c->cs.signal;
	c->last.reason = strdup(c->reason);
	c->last.started_at_ns = c->cs.started_at_ns;
	c->last.finished_at_ns = c->cs.finished_at_ns;
	c->last.container_id = strdup(c->id);
	c->has_last = 1;
}

static int
resolve_image(struct xpod *x, struct xctr *c, const struct container_spec *cs,
    struct rt_image *img)
{
	char msg[POD_MAX_REASON];
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if (rt_image_lookup(cs->image, img, &err) == 0) {
		snprintf(c->image_id, sizeof(c->image_id), "%s@%s", img->ref,
		    img->digest);
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
		    err.msg);
		set_waiting(x, c, "ErrImagePull", msg);
		exec_event(x, EVENT_WARNING, "Failed", "ErrImagePull",
		    "Failed to pull image \"%s\": %s", cs->image, msg);
		exec_event(x, EVENT_WARNING, "Failed", "",
		    "Error: ErrImagePull");
	}
	return -1;
}

static void
start_container(struct xpod *x, uint32_t i)
{
	struct container_spec *cs = cspec(x, i);
	struct xctr *c = &x->ctrs[i];
	struct rt_labels labels;
	struct rt_image img;
	struct rt_err err;
	char details[2560], desc[1024];

	memset(&img, 0, sizeof(img));
	if (resolve_image(x, c, cs, &img) == -1)
		return;
	fill_labels(x, i, &labels, img.digest);
	policy_describe(&x->pod, desc, sizeof(desc));
	snprintf(details, sizeof(details), "%s;restartCount=%u;digest=%s;"
	    "cgroup=%s/pod%s;readOnlyRootfs=%d", desc, c->restart_count,
	    img.digest, exec_conf()->cgroup_root, x->pod.uid,
	    cs->sc.read_only_root_fs == 1);
	if (exec_audit(AUDIT_INTENT, "container.create", x, cs->name,
	    cs->image, details, NULL, NULL) == -1) {
		set_waiting(x, c, "CreateContainerError", AUDIT_REFUSED);
		exec_event(x, EVENT_WARNING, "Failed", "CreateContainerError",
		    "Error: %s", AUDIT_REFUSED);
		rt_image_free(&img);
		return;
	}
	memset(&err, 0, sizeof(err));
	if (rt_container_start(&x->pod, cs, &img, &x->sb, &labels, c->id,
	    sizeof(c->id), &err) == -1) {
		exec_audit(AUDIT_OUTCOME, "container.create", x, cs->name,
		    cs->image, details, "error", err.msg);
		c->id[0] = '\0';
		set_waiting(x, c, err.config ? "CreateContainerConfigError" :
		    "RunContainerError", err.msg);
		exec_event(x, EVENT_WARNING, "Failed", c->reason, "Error: %s",
		    err.msg);
		c->backoff_until_ns = pod_now_ns() +
		    (int64_t)BACKOFF_INITIAL_S * 1000000000LL;
		rt_image_free(&img);
		return;
	}
	snprintf(details, sizeof(details), "id=%s", c->id);
	exec_audit(AUDIT_OUTCOME, "container.create", x, cs->name, cs->image,
	    details, "ok", NULL);
	/* one runtime call creates and starts: both of the kubelet's events */
	exec_event(x, EVENT_NORMAL, "Created", NULL, "Created container %s",
	    cs->name);
	exec_event(x, EVENT_NORMAL, "Started", NULL, "Started container %s",
	    cs->name);
	rt_image_free(&img);
	c->exit_seen = 0;
	c->state = CSTATE_WAITING;
	snprintf(c->reason, sizeof(c->reason), "ContainerCreating");
	c->message[0] = '\0';
	x->dirty = 1;
	observe(x, i);	/* report Running now, not at the next relist */
}

/* the kubelet's crash-loop backoff: 10 s, doubling, capped at 300 s */
static int
in_backoff(struct xpod *x, struct xctr *c)
{
	int64_t now = pod_now_ns();
	int64_t ran = c->cs.finished_at_ns - c->cs.started_at_ns;

	if (ran >= (int64_t)BACKOFF_RESET_S * 1000000000LL)
		c->backoff_s = 0;
	if (c->backoff_s == 0) {
		c->backoff_s = BACKOFF_INITIAL_S;
		return 0;
	}
	if (c->backoff_until_ns == 0)
		c->backoff_until_ns = c->cs.finished_at_ns +
		    (int64_t)c->backoff_s * 1000000000LL;
	if (now < c->backoff_until_ns)
		return 1;
	c->backoff_until_ns = 0;
	c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S :
	    c->backoff_s * 2;
	return 0;
}

static void
restart_container(struct xpod *x, uint32_t i)
{
	struct xctr *c = &x->ctrs[i];
	char msg[POD_MAX_REASON];

	if (in_backoff(x, c)) {
		snprintf(msg, sizeof(msg), "back-off %us restarting failed "
		    "container=%s pod=%s_%s(%s)", c->backoff_s,
		    cspec(x, i)->name, x->pod.name, x->pod.namespace,
		    x->pod.uid);
		if (!c->has_last || c->state == CSTATE_TERMINATED)
			archive_last(x, c);
		/* once per back-off period, not at every relist within it */
		if (c->state != CSTATE_WAITING ||
		    strcmp(c->reason, "CrashLoopBackOff") != 0)
			exec_event(x, EVENT_WARNING, "BackOff", NULL, "Back-off "
			    "restarting failed container %s in pod %s_%s(%s)",
			    cspec(x, i)->name, x->pod.name, x->pod.namespace,
			    x->pod.uid);
		set_waiting(x, c, "CrashLoopBackOff", msg);
		return;
	}
	if (c->state == CSTATE_TERMINATED)
		archive_last(x, c);
	remove_container(x, i);
	if (c->id[0] != '\0')
		return;		/* removal failed; try again next sync */
	c->restart_count++;
	start_container(x, i);
}

static void
observe(struct xpod *x, uint32_t i)
{
	struct xctr *c = &x->ctrs[i];
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if (rt_container_state(c->id, &c->cs, &err) == -1) {
		log_warnx("state of %s: %s", c->id, err.msg);
		c->id[0] = '\0';	/* gone under us: start afresh */
		set_waiting(x, c, "ContainerCreating", NULL);
		return;
	}
	if (c->cs.status == RT_RUNNING && c->state != CSTATE_RUNNING) {
		c->state = CSTATE_RUNNING;
		c->reason[0] = c->message[0] = '\0';
		x->dirty = 1;
	} else if (c->cs.status == RT_EXITED && !c->exit_seen)
		record_exit(x, c);
}

static void
sync_container(struct xpod *x, uint32_t i)
{
	struct xctr *c = &x->ctrs[i];

	if (c->id[0] != '\0') {
		observe(x, i);
		if (c->id[0] != '\0' && c->cs.status == RT_EXITED &&
		    wants_restart(x, c))
			restart_container(x, i);
		return;
	}
	if (c->backoff_until_ns > pod_now_ns())
		return;
	start_container(x, i);
}

static int
older_namesake_running(const struct xpod *x)
{
	size_t i;

	for (i = 0; i < nxpods; i++)
		if (xpods[i] != x && xpods[i]->terminating &&
		    strcmp(xpods[i]->pod.namespace, x->pod.namespace) == 0 &&
		    strcmp(xpods[i]->pod.name, x->pod.name) == 0)
			return 1;
	return 0;
}

static void
check_policy(struct xpod *x)
{
	const struct agentd_config *conf = exec_conf();
	struct policy_verdict v;
	char details[1024];

	x->policy_checked = 1;
	policy_describe(&x->pod, details, sizeof(details));
	if (policy_check(&conf->policy, &x->pod, &v)) {
		exec_audit(AUDIT_EVENT, "policy.allow", x, NULL, NULL, details,
		    "allowed", NULL);
		return;
	}
	x->denied = 1;
	snprintf(x->deny_reason, sizeof(x->deny_reason),
	    "node policy rule %s: %s: %s", v.rule, v.field, v.reason);
	exec_audit(AUDIT_EVENT, "policy.deny", x, NULL, NULL, details,
	    "denied", x->deny_reason);
	exec_event(x, EVENT_WARNING, "NodePolicyDenied", NULL, "%s",
	    x->deny_reason);
	x->dirty = 1;
}

static void
sync_active(struct xpod *x)
{
	uint32_t i;

	if (!x->policy_checked)
		check_policy(x);
	if (x->denied || older_namesake_running(x))
		return;
	if (ensure_sandbox(x) == -1)
		return;
	for (i = 0; i < x->pod.n_containers; i++)
		sync_container(x, i);
}

/* ---- termination ---- */

static int
signal_container(struct xpod *x, uint32_t i, int sig, const char *action)
{
	struct xctr *c = &x->ctrs[i];
	struct rt_err err;
	char details[64];
	const char *name = i < x->pod.n_containers ? cspec(x, i)->name :
	    x->adopted[i].container;

	snprintf(details, sizeof(details), "signal=%d", sig);
	if (exec_audit(AUDIT_INTENT, action, x, name, NULL, details, NULL,
	    NULL) == -1)
		return -1;
	memset(&err, 0, sizeof(err));
	if (rt_container_kill(c->id, sig, &err) == -1) {
		exec_audit(AUDIT_OUTCOME, action, x, name, NULL, details,
		    "error", err.msg);
		return -1;
	}
	return exec_audit(AUDIT_OUTCOME, action, x, name, NULL, details, "ok",
	    NULL);
}

/* adopted-but-unwanted containers are moved into ctrs[] to be stopped */
static uint32_t
term_slots(struct xpod *x)
{
	uint32_t i;

	if (x->has_spec)
		return x->pod.n_containers;
	for (i = 0; i < x->n_adopted && i < POD_MAX_CONTAINERS; i++)
		if (x->ctrs[i].id[0] == '\0' && !x->ctrs[i].exit_seen) {
			memcpy(x->ctrs[i].id, x->adopted_ids[i], RT_ID_MAX);
			x->ctrs[i].exit_seen = 1;	/* moved once */
		}
	return x->n_adopted;
}

static int
all_exited(struct xpod *x, uint32_t n)
{
	struct rt_err err;
	uint32_t i;
	int done = 1;

	for (i = 0; i < n; i++) {
		if (x->ctrs[i].id[0] == '\0')
			continue;
		if (rt_container_state(x->ctrs[i].id, &x->ctrs[i].cs,
		    &err) == -1) {
			x->ctrs[i].id[0] = '\0';
			continue;
		}
		if (x->ctrs[i].cs.status == RT_RUNNING ||
		    x->ctrs[i].cs.status == RT_CREATED)
			done = 0;
	}
	return done;
}

static int
stop_signal(struct xpod *x, uint32_t i)
{
	struct rt_image img;
	struct rt_err err;
	int sig = SIGTERM;

	if (!x->has_spec || i >= x->pod.n_containers)
		return SIGTERM;
	memset(&img, 0, sizeof(img));
	if (rt_image_lookup(cspec(x, i)->image, &img, &err) == 0) {
		if (img.stop_signal[0] != '\0')
			sig = signal_number(img.stop_signal);
		rt_image_free(&img);
	}
	return sig;
}

static void
send_signals(struct xpod *x, uint32_t n, int kill_now)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (x->ctrs[i].id[0] == '\0' ||
		    x->ctrs[i].cs.status == RT_EXITED)
			continue;
		/* the kubelet says Killing once, not again after the grace */
		if (x->phase == XPOD_ACTIVE)
			exec_event(x, EVENT_NORMAL, "Killing", NULL,
			    "Stopping container %s", i < x->pod.n_containers &&
			    x->has_spec ? cspec(x, i)->name :
			    x->adopted[i].container);
		if (kill_now)
			signal_container(x, i, SIGKILL, "container.kill");
		else
			signal_container(x, i, stop_signal(x, i),
			    "container.stop");
	}
}

/* 1 when the pod is fully gone */
static int
teardown(struct xpod *x, uint32_t n)
{
	char details[RT_ID_MAX + 8];
	struct rt_err err;
	uint32_t i;

	for (i = 0; i < n; i++)
		if (x->ctrs[i].id[0] != '\0') {
			remove_container(x, i);
			if (x->ctrs[i].id[0] != '\0')
				return 0;
		}
	if (!x->has_sandbox)
		return 1;
	snprintf(details, sizeof(details), "id=%s", x->sb.id);
	if (exec_audit(AUDIT_INTENT, "sandbox.remove", x, NULL, NULL,
	    details, NULL, NULL) == -1)
		return 0;
	memset(&err, 0, sizeof(err));
	if (rt_sandbox_remove(x->sb.id, &err) == -1) {
		exec_audit(AUDIT_OUTCOME, "sandbox.remove", x, NULL, NULL,
		    details, "error", err.msg);
		log_warnx("remove sandbox %s: %s", x->sb.id, err.msg);
		return 0;
	}
	exec_audit(AUDIT_OUTCOME, "sandbox.remove", x, NULL, NULL, details,
	    "ok", NULL);
	x->has_sandbox = 0;
	return 1;
}

/* 1 when the pod is gone and may be forgotten */
static int
sync_terminating(struct xpod *x)
{
	uint32_t n = term_slots(x);
	int64_t grace = x->has_spec ? x->pod.termination_grace_seconds : 0;

	switch (x->phase) {
	case XPOD_ACTIVE:
		all_exited(x, n);
		send_signals(x, n, grace == 0);
		x->deadline_ns = pod_now_ns() + grace * 1000000000LL;
		x->phase = grace == 0 ? XPOD_KILLED : XPOD_STOPPING;
		return 0;
	case XPOD_STOPPING:
		if (all_exited(x, n))
			break;
		if (pod_now_ns() < x->deadline_ns)
			return 0;
		log_info("pod %s/%s: grace period over, killing",
		    x->pod.namespace, x->pod.name);
		send_signals(x, n, 1);
		x->phase = XPOD_KILLED;
		return 0;
	case XPOD_KILLED:
		if (!all_exited(x, n))
			return 0;
		break;
	}
	if (!teardown(x, n))
		return 0;
	log_info("pod %s/%s (%s) terminated and removed", x->pod.namespace,
	    x->pod.name, x->pod.uid);
	if (x->has_spec)
		exec_send_gone(x);
	return 1;
}

#ifdef AGENTD_TEST_HOOKS
uint32_t	lc_relists;	/* every relist, whatever asked for it */
#endif

/* 1 while a pod is terminating: the caller then relists sooner */
int
lc_sync_all(void)
{
	size_t i = 0;
	struct xpod *x;
	int busy = 0;

#ifdef AGENTD_TEST_HOOKS
	lc_relists++;
#endif
	while (i < nxpods) {
		x = xpods[i];
		if (x->terminating || (!x->has_spec && have_podset)) {
			x->terminating = 1;
			if (sync_terminating(x)) {
				xpod_free_at(i);
				continue;
			}
			busy = 1;
		} else if (x->has_spec)
			sync_active(x);
		if (x->dirty && x->has_spec)
			exec_send_status(x);
		i++;
	}
	return busy;
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
fill_creport(struct xpod *x, uint32_t i, struct container_report *r)
{
	struct xctr *c = &x->ctrs[i];
	const struct rt_info *info = exec_rt_info();
	char cid[RT_ID_MAX + 16];

	r->name = strdup(cspec(x, i)->name);
	r->image = strdup(cspec(x, i)->image);
	r->image_id = c->image_id[0] ? strdup(c->image_id) : NULL;
	snprintf(cid, sizeof(cid), "%s://%s", info->runtime_name, c->id);
	r->container_id = c->id[0] ? strdup(cid) : NULL;
	r->state = c->state;
	r->reason = c->reason[0] ? strdup(c->reason) : NULL;
	r->message = c->message[0] ? strdup(c->message) : NULL;
	r->started_at_ns = c->cs.started_at_ns;
	r->exit_code = c->cs.exit_code;
	r->signal = c->cs.signal;
	r->finished_at_ns = c->cs.finished_at_ns;
	r->restart_count = c->restart_count;
	r->ready = c->state == CSTATE_RUNNING && !x->terminating;
	if (c->has_last) {
		r->has_last = 1;
		r->last_term.exit_code = c->last.exit_code;
		r->last_term.signal = c->last.signal;
		r->last_term.reason = c->last.reason ?
		    strdup(c->last.reason) : NULL;
		r->last_term.started_at_ns = c->last.started_at_ns;
		r->last_term.finished_at_ns = c->last.finished_at_ns;
		snprintf(cid, sizeof(cid), "%s://%s", info->runtime_name,
		    c->last.container_id ? c->last.container_id : "");
		r->last_term.container_id = strdup(cid);
	}
}

int
lc_fill_report(struct xpod *x, struct pod_report *r)
{
	uint32_t i;

	pod_report_init(r);
	r->denied = x->denied;
	if (x->denied) {
		r->reason = strdup("NodePolicyDenied");
		r->message = strdup(x->deny_reason);
	} else if (x->sandbox_error[0]) {
		r->reason = strdup("CreatePodSandboxError");
		r->message = strdup(x->sandbox_error);
	}
	r->sandbox_ready = x->has_sandbox && !x->terminating;
	r->start_time_ns = x->start_time_ns;
	if (x->has_sandbox && x->sb.pod_ip[0])
		r->pod_ip = strdup(x->sb.pod_ip);
	if ((r->containers = calloc(x->pod.n_containers,
	    sizeof(*r->containers))) == NULL)
		return -1;
	r->n_containers = x->pod.n_containers;
	for (i = 0; i < x->pod.n_containers; i++) {
		fill_creport(x, i, &r->containers[i]);
		if (x->denied)
			r->containers[i].state = CSTATE_WAITING;
	}
	return 0;
}
