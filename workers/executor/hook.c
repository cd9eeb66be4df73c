/*
 * Lifecycle hooks, as the kubelet runs them (kuberuntime_container.go
 * startContainer and killContainer, lifecycle/handlers.go):
 *
 *  - postStart runs right after the container started.  The container
 *    is Running but not ready until it completes, and the pod's later
 *    containers start only after it (the kubelet starts them one after
 *    the other, the hook inside the start).  A failed hook is a
 *    FailedPostStartHook event and the container is killed (stop signal,
 *    SIGKILL after the grace period); it is then restarted by its
 *    restartPolicy like any exit, with the crash-loop backoff.
 *  - preStop runs before the stop signal, on the pod's termination; it
 *    counts against the grace period.  When it ends, the stop signal goes
 *    and SIGKILL follows no sooner than MIN_GRACE_S later (the kubelet
 *    raises what is left of the grace to its minimum); one still running
 *    at the end of the grace period is left, the stop signal goes then,
 *    and SIGKILL 2 s later: the kubelet's one 2 s extension.  A failed
 *    preStop is a FailedPreStopHook event and the stop signal follows.
 *
 * exec runs in the container through the runtime's exec as a job beside
 * the pod's operations (it never takes the pod's busy flag, so other
 * pods and this pod's own stop proceed); its result is dropped when the
 * container it ran in is gone or restarted.  sleep is a timer of the
 * executor, no job, a preStop one bounded by the grace period.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "evring.h"
#include "executor.h"
#include "job.h"
#include "log.h"
#include "probe.h"

#define NS_PER_S_HOOK	1000000000LL
#define HOOK_TEXT_MAX	400	/* of a command's output, in an event */

struct hook_op {
	char		 cid[RT_ID_MAX];
	uint32_t	 gen;
	int		 type;
	struct strlist	 cmd;
	struct job_exec	 je;
	int		 http;		/* an httpGet hook: np */
	struct rt_netprobe np;
	char		*path;
	struct kv	*headers;
	uint32_t	 n_headers;
};

/* agentd-probe's words when a response came back with a bad status */
#define HTTP_STATUS_FAILURE	"HTTP probe failed with statuscode: "

static int64_t
now_ns(void)
{
	return pod_now_ns();
}

static void
wake(struct xpod *x, int64_t when)
{
	if (x->wake_ns == 0 || when < x->wake_ns)
		x->wake_ns = when;
}

static const char *
hook_name(int type)
{
	return type == HOOK_POST_START ? "PostStartHook" : "PreStopHook";
}

static const struct handler *
hook_of(const struct xpod *x, const struct xctr *c, int type)
{
	const struct container_spec *cs = lc_slot_spec(x, c);
	const struct handler *h;

	if (cs == NULL)
		return NULL;
	h = type == HOOK_POST_START ? &cs->lifecycle.post_start :
	    &cs->lifecycle.pre_stop;
	return h->kind == HANDLER_NONE ? NULL : h;
}

/* the slot's hook state is the running container's; a new one starts clean */
static void
hook_own(struct xctr *c)
{
	uint32_t gen = c->hk.gen + 1;

	if (strcmp(c->hk.cid, c->id) == 0)
		return;
	memset(&c->hk, 0, sizeof(c->hk));
	c->hk.gen = gen;
	snprintf(c->hk.cid, sizeof(c->hk.cid), "%s", c->id);
}

/* a hook given up: its result, when it comes, is dropped */
static void
hook_abandon(struct xctr *c)
{
	c->hk.type = HOOK_NONE;
	c->hk.until_ns = 0;
	c->hk.gen++;
}

static int64_t
grace_ns(const struct xpod *x)
{
	int64_t g = x->pod.termination_grace_seconds;

	return (g < MIN_GRACE_S ? MIN_GRACE_S : g) * NS_PER_S_HOOK;
}

static void
hook_finish(struct xpod *x, struct xctr *c, int type, int ok,
    const char *msg)
{
	c->hk.type = HOOK_NONE;
	c->hk.until_ns = 0;
	if (type == HOOK_PRE_STOP) {
		c->hk.pre_done = 1;
		if (!ok) {
			exec_event(x, EVENT_WARNING, "FailedPreStopHook", NULL,
			    "%s", msg);
		}
		exec_step_soon();
		return;
	}
	c->hk.post_done = 1;
	x->dirty = 1;		/* ready may change */
	if (ok || x->terminating) {
		/* a pod being stopped stops this container anyway */
		exec_step_soon();
		return;
	}
	exec_event(x, EVENT_WARNING, "FailedPostStartHook", NULL, "%s", msg);
	exec_event(x, EVENT_NORMAL, "Killing", NULL, "FailedPostStartHook");
	lc_signal_container(x, c, lc_stop_signal(x, c), "FailedPostStartHook");
	c->hk.killing = 1;
	c->hk.kill_ns = now_ns() + grace_ns(x);
	wake(x, c->hk.kill_ns);
	exec_step_soon();
}

static void
clean_text(char *dst, size_t len, const char *src)
{
	size_t i, n = 0;

	for (i = 0; src[i] != '\0' && n + 1 < len; i++)
		dst[n++] = (src[i] >= ' ' && src[i] < 0x7f) ? src[i] : ' ';
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static void
command_text(const struct strlist *cmd, char *buf, size_t len)
{
	size_t off = 0;
	uint32_t i;

	off = (size_t)snprintf(buf, len, "[");
	for (i = 0; i < cmd->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", cmd->v[i]);
	if (off < len)
		snprintf(buf + off, len - off, "]");
}

static void
op_free(struct hook_op *o)
{
	uint32_t i;

	strlist_free(&o->cmd);
	for (i = 0; i < o->n_headers; i++) {
		free(o->headers[i].key);
		free(o->headers[i].value);
	}
	free(o->headers);
	free(o->path);
	free(o);
}

/* the child of an httpGet hook's job: agentd-probe in the pod's netns */
static void
http_run(void *arg, struct job_out *out)
{
	probe_netprobe_job(&((struct hook_op *)arg)->np, out);
}

/*
 * The request of an httpGet hook, as a probe's (the same prober, the
 * same rule: only the pod's own addresses or loopback).  -1 with why:
 * it is not made, a failure of the hook.
 */
static int
http_op(struct hook_op *o, const struct xpod *x, const struct xctr *c,
    const struct handler *h, int timeout_ms, char *why, size_t whylen)
{
	const struct container_spec *cs = lc_slot_spec(x, c);
	struct rt_netprobe *np = &o->np;
	uint32_t i;

	if ((np->port = pod_handler_port(h->http_port, cs)) == -1) {
		snprintf(why, whylen, "port %s names no port of the container",
		    h->http_port ? h->http_port : "");
		return -1;
	}
	if (probe_target(x, h->http_host, np->addr, sizeof(np->addr), why,
	    whylen) == -1)
		return -1;
	if (!x->pod.host_network) {
		if (x->sb.netns_path[0] == '\0') {
			snprintf(why, whylen, "the pod's network namespace is "
			    "not known");
			return -1;
		}
		snprintf(np->netns, sizeof(np->netns), "%s", x->sb.netns_path);
	}
	np->http = 1;
	np->https = h->http_scheme == SCHEME_HTTPS;
	np->timeout_ms = timeout_ms;
	np->user = exec_conf()->privsep_user;
	np->chroot = exec_conf()->privsep_chroot;
	if (h->http_path != NULL && (o->path = strdup(h->http_path)) == NULL)
		goto nomem;
	if (h->n_http_headers > 0) {
		if ((o->headers = calloc(h->n_http_headers,
		    sizeof(*o->headers))) == NULL)
			goto nomem;
		o->n_headers = h->n_http_headers;
		for (i = 0; i < h->n_http_headers; i++)
			if ((o->headers[i].key = strdup(h->http_headers[i].key ?
			    h->http_headers[i].key : "")) == NULL ||
			    (o->headers[i].value = strdup(
			    h->http_headers[i].value ?
			    h->http_headers[i].value : "")) == NULL)
				goto nomem;
	}
	np->path = o->path;
	np->headers = o->headers;
	np->n_headers = o->n_headers;
	o->http = 1;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}

/*
 * An httpGet hook succeeds when a response came back, whatever its
 * status: the kubelet's runHTTPHandler returns only the request's error.
 */
static int
http_verdict(const struct job_out *out, char *err, size_t len)
{
	char text[PROBE_MSG_MAX];
	int ok, warning;

	if (out->rc != 0) {
		clean_text(err, len, out->msg);
		return 0;
	}
	if (probe_parse_line(out->output, &ok, &warning, text,
	    sizeof(text)) == -1) {
		snprintf(err, len, "the prober's answer is malformed");
		return 0;
	}
	if (ok || strncmp(text, HTTP_STATUS_FAILURE,
	    strlen(HTTP_STATUS_FAILURE)) == 0)
		return 1;
	snprintf(err, len, "%s", text);
	return 0;
}

/* the kubelet's handler runner's words for a failed exec hook */
static void
hook_done(void *ctx, struct job_out *out)
{
	struct hook_op *o = ctx;
	struct xpod *x = NULL;
	struct xctr *c;
	char cmd[256], text[HOOK_TEXT_MAX], err[RT_ERR_MAX + 32];
	char msg[2048];
	int ok;

	c = lc_find_container(o->cid, &x);
	if (c == NULL || strcmp(c->hk.cid, o->cid) != 0 ||
	    c->hk.gen != o->gen || c->hk.type != o->type) {
		op_free(o);	/* given up, or another run's */
		return;
	}
	if (o->http) {
		if (!(ok = http_verdict(out, err, sizeof(err)))) {
			snprintf(msg, sizeof(msg), "Http lifecycle hook (%s) for "
			    "Container \"%s\" in Pod \"%s_%s(%s)\" failed - "
			    "error: %s", o->path ? o->path : "/", c->name,
			    x->pod.name, x->pod.namespace, x->pod.uid, err);
			log_info("pod %s/%s container %s: %s failed: %s",
			    x->pod.namespace, x->pod.name, c->name,
			    hook_name(o->type), err);
		}
		hook_finish(x, c, o->type, ok, ok ? NULL : msg);
		op_free(o);
		return;
	}
	ok = out->rc == 0 && out->exit_code == 0;
	if (!ok) {
		command_text(&o->cmd, cmd, sizeof(cmd));
		clean_text(text, sizeof(text), out->rc == 0 ? out->output :
		    "");
		if (out->rc == 0)
			snprintf(err, sizeof(err), "command exited with %d",
			    out->exit_code);
		else if (out->exec_timed_out)
			snprintf(err, sizeof(err), "command timed out");
		else
			clean_text(err, sizeof(err), out->msg);
		snprintf(msg, sizeof(msg), "Exec lifecycle hook (%s) for "
		    "Container \"%s\" in Pod \"%s_%s(%s)\" failed - error: %s, "
		    "message: \"%s\"", cmd, c->name, x->pod.name,
		    x->pod.namespace, x->pod.uid, err, text);
		log_info("pod %s/%s container %s: %s failed: %s",
		    x->pod.namespace, x->pod.name, c->name,
		    hook_name(o->type), err);
	}
	hook_finish(x, c, o->type, ok, ok ? NULL : msg);
	op_free(o);
}

/* 0: started (or over at once, failed); the state says which */
static void
hook_start(struct xpod *x, struct xctr *c, const struct handler *h, int type,
    int64_t deadline_ns)
{
	struct hook_op *o;
	char what[JOB_WHAT_MAX], msg[256];
	int64_t until, left_ms;
	uint32_t i;
	int rc = 0;

	hook_own(c);
	c->hk.type = type;
	if (h->kind == HANDLER_SLEEP) {
		until = now_ns() + h->sleep_s * NS_PER_S_HOOK;
		if (deadline_ns > 0 && until > deadline_ns)
			until = deadline_ns;
		c->hk.until_ns = until;
		wake(x, until);
		return;
	}
	if (h->kind != HANDLER_EXEC && h->kind != HANDLER_HTTP_GET) {
		snprintf(msg, sizeof(msg), "%s handlers are not supported in "
		    "lifecycle hooks", pod_handler_kind_name(h->kind));
		hook_finish(x, c, type, 0, msg);
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		goto nomem;
	snprintf(o->cid, sizeof(o->cid), "%s", c->id);
	o->gen = c->hk.gen;
	o->type = type;
	/* a preStop may run to the grace period's end and the extension;
	   a postStart as long as any runtime operation */
	left_ms = job_timeout_ms();
	if (type == HOOK_PRE_STOP && deadline_ns > 0) {
		left_ms = (deadline_ns - now_ns()) / 1000000 +
		    MIN_GRACE_S * 1000;
		if (left_ms < 1000)
			left_ms = 1000;
	}
	snprintf(what, sizeof(what), "hook.%s.%s", pod_handler_kind_name(
	    h->kind), type == HOOK_POST_START ? "postStart" : "preStop");
	if (h->kind == HANDLER_HTTP_GET) {
		if (http_op(o, x, c, h, (int)left_ms, msg, sizeof(msg)) == -1) {
			op_free(o);
			hook_finish(x, c, type, 0, msg);
			return;
		}
		if (job_submit(what, (int)left_ms + JOB_EXEC_SLACK_MS,
		    http_run, o, hook_done, o) == NULL)
			goto nomem;
		return;
	}
	for (i = 0; i < h->exec_command.n && rc == 0; i++)
		rc = strlist_add(&o->cmd, h->exec_command.v[i],
		    RT_EXEC_MAX_ARGS);
	if (rc == -1)
		goto nomem;
	snprintf(o->je.id, sizeof(o->je.id), "%s", c->id);
	o->je.cmd = &o->cmd;
	o->je.timeout_ms = (int)left_ms;
	if (job_submit(what, (int)left_ms + JOB_EXEC_SLACK_MS, job_run_exec,
	    &o->je, hook_done, o) == NULL)
		goto nomem;
	return;
nomem:
	if (o != NULL)
		op_free(o);
	hook_finish(x, c, type, 0, "out of memory for the hook");
}

void
hook_post_start(struct xpod *x, struct xctr *c)
{
	const struct handler *h = hook_of(x, c, HOOK_POST_START);

	hook_own(c);
	if (h == NULL) {
		c->hk.post_done = 1;
		return;
	}
	hook_start(x, c, h, HOOK_POST_START, 0);
}

int
hook_post_start_pending(const struct xctr *c)
{
	return c->id[0] != '\0' && strcmp(c->hk.cid, c->id) == 0 &&
	    c->hk.type == HOOK_POST_START;
}

int
hook_pre_stop(struct xpod *x, struct xctr *c, int64_t deadline_ns)
{
	const struct handler *h = hook_of(x, c, HOOK_PRE_STOP);

	if (h == NULL)
		return 0;
	hook_own(c);
	if (c->hk.pre_done)
		return 0;
	if (c->hk.type == HOOK_PRE_STOP) {
		if (deadline_ns > 0 && now_ns() >= deadline_ns) {
			/* the grace period is over: the signal goes now */
			log_info("pod %s/%s container %s: preStop still runs "
			    "at the end of the grace period", x->pod.namespace,
			    x->pod.name, c->name);
			hook_abandon(c);
			c->hk.pre_done = 1;
			return 0;
		}
		return 1;
	}
	if (c->hk.type == HOOK_POST_START)
		hook_abandon(c);	/* stopping wins */
	hook_start(x, c, h, HOOK_PRE_STOP, deadline_ns);
	return c->hk.type == HOOK_PRE_STOP;
}

/* sleeps that ended, and containers a failed postStart is killing */
void
hook_pod_step(struct xpod *x)
{
	struct xctr *c;
	uint32_t s;

	for (s = 0; s < x->n_slots; s++) {
		c = &x->ctrs[s];
		if (c->id[0] == '\0' || strcmp(c->hk.cid, c->id) != 0)
			continue;
		if (c->hk.type != HOOK_NONE && c->hk.until_ns > 0) {
			if (now_ns() >= c->hk.until_ns)
				hook_finish(x, c, c->hk.type, 1, NULL);
			else
				wake(x, c->hk.until_ns);
		}
		if (c->hk.killing && c->st == XC_RUNNING && !x->terminating) {
			if (now_ns() >= c->hk.kill_ns) {
				lc_signal_container(x, c, SIGKILL,
				    "FailedPostStartHook");
				c->hk.kill_ns = now_ns() + KILL_RECHECK_MS *
				    1000000LL;
			}
			wake(x, c->hk.kill_ns);
		}
	}
}
