/*
 * Container probes, the kubelet's prober (pkg/kubelet/prober): for each
 * running container of a running pod, each of its probes runs first
 * initialDelaySeconds after the container started, then every
 * periodSeconds, one run at a time, as a job beside the pod's operations
 * (never taking its busy flag: a pod's start or stop does not wait behind
 * a slow probe, nor a probe behind them).
 *
 * Consecutive successes and failures against the thresholds give each
 * probe's result.  The startup probe gates the other two: until it has
 * passed the container is not started and neither liveness nor readiness
 * runs.  A liveness or startup probe past failureThreshold stops the
 * container (the probe's terminationGracePeriodSeconds, else the pod's),
 * audited with the probe's output; its exit is then recorded and
 * restarted as any other (restartPolicy, crash-loop backoff).  Readiness
 * is the container's ready.
 *
 * exec probes are `RUNTIME exec` in the container (job_run_exec).  TCP and
 * HTTP probes: the job's child enters the pod's network namespace and
 * makes a socket there, and agentd-probe, unprivileged under its own
 * seccomp profile, connects it and speaks HTTP (rt_netprobe); the
 * executor reads one line of its answer and parses nothing else.  Only an
 * address of the pod (or loopback, in the pod's own namespace) is probed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditfmt.h"
#include "config.h"
#include "evring.h"
#include "executor.h"
#include "hook.h"
#include "job.h"
#include "log.h"
#include "probe.h"

#define NS_PER_S_LL		1000000000LL
#define PROBE_KILL_RECHECK_NS	(1000LL * 1000000LL)

/* what a probe job carries; it owns copies of what the spec said */
struct probe_op {
	char			 cid[RT_ID_MAX];
	uint32_t		 gen;
	int			 type;		/* enum probe_type */
	int			 kind;		/* enum handler_kind */
	struct strlist		 cmd;
	struct job_exec		 je;
	struct rt_netprobe	 np;
	struct kv		*headers;
	uint32_t		 n_headers;
	char			*path;
	char			 early[PROBE_MSG_MAX];	/* decided before a job */
};

static uint32_t	 probe_gen;

static const char *
probe_word(int type)
{
	switch (type) {
	case PROBE_LIVENESS:
		return "Liveness";
	case PROBE_READINESS:
		return "Readiness";
	}
	return "Startup";
}

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

static int
has_probes(const struct container_spec *cs)
{
	int t;

	for (t = 0; t < PROBE_NTYPES; t++)
		if (pod_probe(cs, t) != NULL)
			return 1;
	return 0;
}

/* printable ASCII, bounded: what goes into events, audit and logs */
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

/* the state of this container's probes, new for a new container */
static struct xprobes *
probes_of(struct xctr *c, const struct container_spec *cs)
{
	struct xprobes *pr = &c->pr;
	const struct probe *p;
	int64_t start;
	int t;

	if (strcmp(pr->cid, c->id) == 0)
		return pr;
	memset(pr, 0, sizeof(*pr));
	snprintf(pr->cid, sizeof(pr->cid), "%s", c->id);
	pr->gen = ++probe_gen;
	pr->started = pod_probe(cs, PROBE_STARTUP) == NULL;
	/* the kubelet's initial results: live, not ready, not started */
	pr->p[PROBE_LIVENESS].ok = 1;
	start = c->cs.started_at_ns > 0 ? c->cs.started_at_ns : now_ns();
	for (t = 0; t < PROBE_NTYPES; t++)
		if ((p = pod_probe(cs, t)) != NULL)
			pr->p[t].next_ns = start +
			    (int64_t)p->initial_delay_s * NS_PER_S_LL;
	return pr;
}

static int
running(const struct xctr *c)
{
	return c->st == XC_RUNNING && c->id[0] != '\0' &&
	    c->state == CSTATE_RUNNING;
}

int
probe_started(const struct xpod *x, const struct xctr *c)
{
	const struct container_spec *cs = lc_slot_spec(x, c);

	if (cs == NULL || !running(c))
		return 0;
	if (strcmp(c->pr.cid, c->id) != 0)
		return pod_probe(cs, PROBE_STARTUP) == NULL;
	return c->pr.started;
}

/* running, started, and ready by its readiness probe if it has one */
int
probe_ready(const struct xpod *x, const struct xctr *c)
{
	const struct container_spec *cs = lc_slot_spec(x, c);

	if (cs == NULL || !probe_started(x, c))
		return 0;
	if (pod_probe(cs, PROBE_READINESS) == NULL)
		return 1;
	return strcmp(c->pr.cid, c->id) == 0 &&
	    c->pr.p[PROBE_READINESS].ok && !c->pr.killing;
}

/* ---- the target of a network probe ---- */

static int
is_loopback(const char *a)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, a, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, a, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

/* a in the list "a,b" of addresses, compared as addresses */
static int
in_list(const char *a, const char *list)
{
	unsigned char want[sizeof(struct in6_addr)], got[sizeof(want)];
	char one[64];
	const char *p = list;
	size_t n;
	int fam = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;

	if (inet_pton(fam, a, want) != 1)
		return 0;
	while (*p != '\0') {
		n = strcspn(p, ", ");
		if (n > 0 && n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (inet_pton(fam, one, got) == 1 &&
			    memcmp(want, got, fam == AF_INET6 ? 16 : 4) == 0)
				return 1;
		}
		p += n;
		p += strspn(p, ", ");
	}
	return 0;
}

static void
first_of(const char *list, char *out, size_t len)
{
	size_t n = strcspn(list, ", ");

	if (n >= len)
		n = 0;
	memcpy(out, list, n);
	out[n] = '\0';
}

/*
 * Where a network probe goes: the host given, if it is an address of the
 * pod or loopback; else the pod's address (its first), the node's for a
 * hostNetwork pod, or loopback for a pod with only a loopback.  -1 with
 * the reason in why: the probe is not made.
 */
int
probe_target(const struct xpod *x, const char *host, char *addr,
    size_t len, char *why, size_t whylen)
{
	const char *mine = x->pod.host_network ? exec_conf()->node_ips :
	    x->sb.pod_ip;

	if (host != NULL && host[0] != '\0') {
		if (!is_loopback(host) && !in_list(host, mine)) {
			snprintf(why, whylen, "probe not made: host %s is not "
			    "an address of the pod (%s); a probe against an "
			    "address outside the pod is not made", host,
			    mine[0] ? mine : "loopback only");
			return -1;
		}
		snprintf(addr, len, "%s", host);
		return 0;
	}
	first_of(mine, addr, len);
	if (addr[0] == '\0')
		snprintf(addr, len, "127.0.0.1");
	return 0;
}

/* ---- running a probe ---- */

static void	probe_done(void *, struct job_out *);

static void
op_free(struct probe_op *o)
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

static int
copy_headers(struct probe_op *o, const struct handler *h)
{
	uint32_t i;

	if (h->n_http_headers == 0)
		return 0;
	if ((o->headers = calloc(h->n_http_headers, sizeof(*o->headers))) ==
	    NULL)
		return -1;
	o->n_headers = h->n_http_headers;
	for (i = 0; i < h->n_http_headers; i++) {
		o->headers[i].key = strdup(h->http_headers[i].key ?
		    h->http_headers[i].key : "");
		o->headers[i].value = strdup(h->http_headers[i].value ?
		    h->http_headers[i].value : "");
		if (o->headers[i].key == NULL || o->headers[i].value == NULL)
			return -1;
	}
	return 0;
}

/* in a job's child: agentd-probe's request, its answer line in out */
void
probe_netprobe_job(const struct rt_netprobe *np, struct job_out *out)
{
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if (rt_netprobe(np, out->output, sizeof(out->output), &err) == -1) {
		out->rc = -1;
		snprintf(out->msg, sizeof(out->msg), "%s", rt_errmsg(&err));
	}
}

/* the child of a network probe's job */
static void
netprobe_run(void *arg, struct job_out *out)
{
	probe_netprobe_job(&((struct probe_op *)arg)->np, out);
}

static int
net_op(struct probe_op *o, const struct xpod *x,
    const struct container_spec *cs, const struct probe *p)
{
	const struct handler *h = &p->h;
	const char *host = h->kind == HANDLER_HTTP_GET ? h->http_host :
	    h->kind == HANDLER_TCP_SOCKET ? h->tcp_host : NULL;
	const char *port = h->kind == HANDLER_HTTP_GET ? h->http_port :
	    h->tcp_port;
	struct rt_netprobe *np = &o->np;

	if (h->kind == HANDLER_GRPC) {
		/* v1.GRPCAction: a number, and always the pod's address */
		np->grpc = 1;
		np->port = (int)h->grpc_port;
		if (h->grpc_service != NULL &&
		    (o->path = strdup(h->grpc_service)) == NULL)
			return -1;
		np->service = o->path;
	} else if ((np->port = pod_handler_port(port, cs)) == -1) {
		snprintf(o->early, sizeof(o->early), "probe not made: port %s "
		    "names no port of the container", port ? port : "");
		return 0;
	}
	if (probe_target(x, host, np->addr, sizeof(np->addr), o->early,
	    sizeof(o->early)) == -1)
		return 0;
	if (!x->pod.host_network) {
		/* never the node's namespace for a pod that has its own */
		if (x->sb.netns_path[0] == '\0') {
			snprintf(o->early, sizeof(o->early), "probe not made: "
			    "the pod's network namespace is not known");
			return 0;
		}
		snprintf(np->netns, sizeof(np->netns), "%s",
		    x->sb.netns_path);
	}
	np->http = h->kind == HANDLER_HTTP_GET;
	np->https = h->http_scheme == SCHEME_HTTPS;
	np->timeout_ms = p->timeout_s * 1000;
	np->user = exec_conf()->privsep_user;
	np->chroot = exec_conf()->privsep_chroot;
	if (np->http) {
		if (h->http_path != NULL &&
		    (o->path = strdup(h->http_path)) == NULL)
			return -1;
		if (copy_headers(o, h) == -1)
			return -1;
		np->path = o->path;
		np->headers = o->headers;
		np->n_headers = o->n_headers;
	}
	return 0;
}

static void	kill_step(struct xpod *, struct xctr *);
static void	probe_result(struct xpod *, struct xctr *, int type, int ok,
		    int warning, const char *msg);

static void
probe_submit(struct xpod *x, struct xctr *c, const struct container_spec *cs,
    int type, const struct probe *p)
{
	struct xprobe *pp = &c->pr.p[type];
	struct probe_op *o;
	char what[JOB_WHAT_MAX];
	uint32_t i;
	int tmo = p->timeout_s * 1000, rc = 0;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		goto nomem;
	snprintf(o->cid, sizeof(o->cid), "%s", c->id);
	o->gen = c->pr.gen;
	o->type = type;
	o->kind = p->h.kind;
	if (p->h.kind == HANDLER_EXEC) {
		for (i = 0; i < p->h.exec_command.n && rc == 0; i++)
			rc = strlist_add(&o->cmd, p->h.exec_command.v[i],
			    RT_EXEC_MAX_ARGS);
		snprintf(o->je.id, sizeof(o->je.id), "%s", c->id);
		o->je.cmd = &o->cmd;
		o->je.timeout_ms = tmo;
	} else if (p->h.kind == HANDLER_HTTP_GET ||
	    p->h.kind == HANDLER_TCP_SOCKET || p->h.kind == HANDLER_GRPC)
		rc = net_op(o, x, cs, p);
	else
		snprintf(o->early, sizeof(o->early), "probe not made: %s "
		    "handlers are not supported", pod_handler_kind_name(
		    p->h.kind));
	if (rc == -1)
		goto nomem;
	if (o->early[0] != '\0') {
		/* decided here: a failure without a job */
		pp->next_ns = now_ns();
		probe_result(x, c, type, 0, 0, o->early);
		op_free(o);
		return;
	}
	snprintf(what, sizeof(what), "probe.%s.%s", pod_handler_kind_name(
	    p->h.kind), pod_probe_name(type));
	if (job_submit(what, tmo + JOB_EXEC_SLACK_MS, p->h.kind ==
	    HANDLER_EXEC ? job_run_exec : netprobe_run, p->h.kind ==
	    HANDLER_EXEC ? (void *)&o->je : (void *)o, probe_done, o) == NULL)
		goto nomem;
	pp->in_flight = 1;
	return;
nomem:
	log_warnx("pod %s/%s container %s: %s: out of memory",
	    x->pod.namespace, x->pod.name, c->name, pod_probe_name(type));
	if (o != NULL)
		op_free(o);
	pp->next_ns = now_ns() + (int64_t)p->period_s * NS_PER_S_LL;
}

/* what a finished job says: success, and the output for the event */
static void
job_verdict(const struct probe_op *o, const struct job_out *out, int *ok,
    int *warning, char *msg, size_t len)
{
	char raw[RT_EXEC_OUT_MAX];

	*ok = *warning = 0;
	if (o->kind == HANDLER_EXEC) {
		if (out->rc == 0) {
			*ok = out->exit_code == 0;
			clean_text(msg, len, out->output);
			if (!*ok && msg[0] == '\0')
				snprintf(msg, len, "command exited with %d",
				    out->exit_code);
		} else if (out->exec_timed_out)
			snprintf(msg, len, "command timed out");
		else
			clean_text(msg, len, out->msg);
		return;
	}
	if (out->rc != 0) {
		clean_text(msg, len, out->msg);
		return;
	}
	snprintf(raw, sizeof(raw), "%s", out->output);
	if (probe_parse_line(raw, ok, warning, msg, len) == -1) {
		*ok = 0;
		snprintf(msg, len, "the prober's answer is malformed");
	}
}

static void
probe_done(void *ctx, struct job_out *out)
{
	struct probe_op *o = ctx;
	struct xpod *x = NULL;
	struct xctr *c;
	char msg[PROBE_MSG_MAX];
	int ok, warning;

	c = lc_find_container(o->cid, &x);
	if (c == NULL || c->pr.gen != o->gen || strcmp(c->pr.cid, o->cid)) {
		op_free(o);	/* that container is gone or restarted */
		return;
	}
	c->pr.p[o->type].in_flight = 0;
	job_verdict(o, out, &ok, &warning, msg, sizeof(msg));
	if (x->st == XP_RUNNING && !x->terminating && running(c))
		probe_result(x, c, o->type, ok, warning, msg);
	op_free(o);
	exec_step_soon();
}

/* ---- results ---- */

/*
 * A liveness or startup probe failed past its threshold: the kubelet's
 * killContainer, with the probe's grace period if it has one (else the
 * pod's), raised to MIN_GRACE_S as every grace is; the container's
 * preStop runs first and counts against it (kill_step).
 */
static void
probe_kill(struct xpod *x, struct xctr *c, int type, const struct probe *p,
    const char *msg)
{
	int64_t grace = p->termination_grace_s >= 0 ? p->termination_grace_s :
	    x->pod.termination_grace_seconds;
	char num[64];

	if (grace < MIN_GRACE_S)
		grace = MIN_GRACE_S;
	c->pr.killing = 1;
	c->pr.signal_sent = 0;
	exec_event(x, EVENT_NORMAL, "Killing", NULL, "Container %s failed %s "
	    "probe, will be restarted", c->name, type == PROBE_LIVENESS ?
	    "liveness" : "startup");
	log_info("pod %s/%s container %s: %s failed %u times: stopping it "
	    "(grace %lld s)", x->pod.namespace, x->pod.name, c->name,
	    pod_probe_name(type), c->pr.p[type].failures, (long long)grace);
	/* the output is the container's words: escaped, it adds no key */
	snprintf(num, sizeof(num), "%s failed", pod_probe_name(type));
	c->pr.kill_why[0] = '\0';
	auditfmt_details_add(c->pr.kill_why, sizeof(c->pr.kill_why),
	    "reason", num);
	snprintf(num, sizeof(num), "%u", c->pr.p[type].failures);
	auditfmt_details_add(c->pr.kill_why, sizeof(c->pr.kill_why),
	    "failures", num);
	snprintf(num, sizeof(num), "%lld", (long long)grace);
	auditfmt_details_add(c->pr.kill_why, sizeof(c->pr.kill_why),
	    "grace", num);
	auditfmt_details_add(c->pr.kill_why, sizeof(c->pr.kill_why),
	    "output", msg);
	c->pr.kill_deadline_ns = now_ns() + grace * NS_PER_S_LL;
	x->dirty = 1;	/* not ready any more */
	kill_step(x, c);
}

/*
 * The stop of a failed probe: its preStop, then the stop signal, then
 * SIGKILL when the grace period is over, never sooner than MIN_GRACE_S
 * after the signal (a preStop still running at the deadline is the
 * kubelet's one extension).
 */
static void
kill_step(struct xpod *x, struct xctr *c)
{
	int64_t least;

	if (!c->pr.signal_sent) {
		if (hook_pre_stop(x, c, c->pr.kill_deadline_ns)) {
			wake(x, c->pr.kill_deadline_ns);
			return;
		}
		c->pr.kill_sig = lc_stop_signal(x, c);
		lc_signal_container(x, c, c->pr.kill_sig, c->pr.kill_why);
		c->pr.signal_sent = 1;
		least = now_ns() + MIN_GRACE_S * NS_PER_S_LL;
		if (c->pr.kill_deadline_ns < least)
			c->pr.kill_deadline_ns = least;
	}
	if (now_ns() < c->pr.kill_deadline_ns) {
		wake(x, c->pr.kill_deadline_ns);
		return;
	}
	lc_signal_container(x, c, SIGKILL, "reason=probe failure grace "
	    "period over");
	c->pr.kill_deadline_ns = now_ns() + PROBE_KILL_RECHECK_NS;
	wake(x, c->pr.kill_deadline_ns);
}

static void
probe_result(struct xpod *x, struct xctr *c, int type, int ok, int warning,
    const char *msg)
{
	const struct container_spec *cs = lc_slot_spec(x, c);
	const struct probe *p = cs != NULL ? pod_probe(cs, type) : NULL;
	struct xprobe *pp = &c->pr.p[type];
	int was = pp->ok;

	if (p == NULL || c->pr.killing)
		return;
	pp->next_ns += (int64_t)p->period_s * NS_PER_S_LL;
	if (pp->next_ns < now_ns())
		pp->next_ns = now_ns() + (int64_t)p->period_s * NS_PER_S_LL;
	if (ok) {
		pp->failures = 0;
		pp->successes++;
		if (warning)
			exec_event(x, EVENT_WARNING, "ProbeWarning", NULL,
			    "%s probe warning: %s", probe_word(type), msg);
		if (pp->successes >= (uint32_t)p->success_threshold)
			pp->ok = 1;
	} else {
		pp->successes = 0;
		pp->failures++;
		exec_event(x, EVENT_WARNING, "Unhealthy", NULL, "%s probe "
		    "failed: %s", probe_word(type), msg);
		if (pp->failures >= (uint32_t)p->failure_threshold)
			pp->ok = 0;
	}
	if (type == PROBE_STARTUP && pp->ok && !c->pr.started) {
		c->pr.started = 1;
		x->dirty = 1;
		log_info("pod %s/%s container %s: started (startupProbe)",
		    x->pod.namespace, x->pod.name, c->name);
		return;
	}
	if (type != PROBE_READINESS && !ok &&
	    pp->failures >= (uint32_t)p->failure_threshold) {
		probe_kill(x, c, type, p, msg);
		return;
	}
	if (pp->ok != was) {
		x->dirty = 1;
		log_info("pod %s/%s container %s: %s: %s", x->pod.namespace,
		    x->pod.name, c->name, pod_probe_name(type), pp->ok ?
		    "success" : "failure");
	}
}

/* ---- scheduling ---- */

static void
slot_probes(struct xpod *x, struct xctr *c, const struct container_spec *cs)
{
	struct xprobes *pr = probes_of(c, cs);
	const struct probe *p;
	int t;

	if (pr->killing) {
		kill_step(x, c);
		return;
	}
	for (t = 0; t < PROBE_NTYPES; t++) {
		if ((p = pod_probe(cs, t)) == NULL || pr->p[t].in_flight)
			continue;
		if ((t == PROBE_STARTUP) == (pr->started != 0))
			continue;	/* startup until it passed, then others */
		if (pr->p[t].next_ns > now_ns()) {
			wake(x, pr->p[t].next_ns);
			continue;
		}
		probe_submit(x, c, cs, t, p);
		if (pr->killing)
			return;
		if (!pr->p[t].in_flight)
			wake(x, pr->p[t].next_ns);
	}
}

void
probe_pod_step(struct xpod *x)
{
	const struct container_spec *cs;
	struct xctr *c;
	uint32_t s;

	if (x->st != XP_RUNNING || x->terminating || !x->has_spec)
		return;
	for (s = 0; s < x->n_slots; s++) {
		c = &x->ctrs[s];
		if ((cs = lc_slot_spec(x, c)) == NULL || !running(c) ||
		    !has_probes(cs))
			continue;
		slot_probes(x, c, cs);
	}
}
