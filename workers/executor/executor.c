/*
 * agentd-executor: the only process that changes the host.
 *
 * It stays root but never parses JSON or YAML from another process: the
 * watcher sends it pods in the bounded binary podwire encoding, agentd
 * sends it small typed requests.  Every pod is checked against the node
 * policy before anything is created, and every privileged action is
 * recorded in the audit log (through agentd, on the synchronous audit
 * channel at fd 4) before it happens and after.  Its seccomp filter is a
 * denylist of kernel-wide operations; it is inherited by the runtime,
 * conmon and every container.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "auditfmt.h"
#include "evring.h"
#include "executor.h"
#include "exitwatch.h"
#include "hostfacts.h"
#include "ipc.h"
#include "job.h"
#include "log.h"
#include "monoclock.h"
#include "policy.h"
#include "logrotate.h"
#include "sandbox.h"
#include "worker.h"

#define PODSET_IDLE	0	/* watcher channel states */
#define PODSET_RECV	1
#define ST_IDLE		(1u << PODSET_IDLE)
#define ST_RECV		(1u << PODSET_RECV)

/*
 * Statuses go to the reporter while its queue holds less than this; the
 * rest stay dirty and follow as it drains (every STATUS_PACE_MS), so a
 * full resend of MAX_PODS pods of up to IPC_MAX_MSG each never meets
 * IPC_MAX_QUEUED, which would end the channel.
 */
#define STATUS_QUEUE_HIGH	(4 * 1024 * 1024)
#define STATUS_PACE_MS		20
#define IMPORT_TIMEOUT_MS	(30 * 60 * 1000)	/* a large image, a slow disk */

static struct worker_env	 env;
static struct rt_info		 rtinfo;
static struct event		*step_ev;
static struct event		*pace_ev;
static struct event		*relist_ev;
static int64_t			 step_due_ms;	/* CLOCK_MONOTONIC */
static int64_t			 last_step_ms;
static int64_t			 last_podset_ms;	/* a pod set's step */
static int			 resync_pending;	/* PODS_SYNCED owed */
static uint32_t			 podset_gen;
static uint32_t			 podset_flags;	/* of the set coming in */
static uint32_t			 audit_id;
static struct evring		 events;	/* resent to a new reporter */
static struct node_facts	 node_facts;	/* gathered once, at start */
static struct logrl		 loglimit;
/* one per reporter connection, never 0: see xpod.spec_sent */
static uint32_t			 reporter_gen;
#ifdef AGENTD_TEST_HOOKS
static uint32_t			 n_podsets;
#endif

static int	parent_peer(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_image(struct ipc_chan *, struct ipc_msg *, void *);
static int	watcher_begin(struct ipc_chan *, struct ipc_msg *, void *);
static int	watcher_pod(struct ipc_chan *, struct ipc_msg *, void *);
static int	watcher_end(struct ipc_chan *, struct ipc_msg *, void *);
static int	watcher_fault(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	podset_step(void);

static const struct ipc_dispatch parent_tab[] = {
	{ MSG_PING, 0, IPC_F_ANYSTATE, worker_ping },
	{ MSG_SHUTDOWN, 0, IPC_F_ANYSTATE, worker_shutdown },
	{ MSG_PEER_CONNECT, IPC_F_FD, IPC_F_ANYSTATE, parent_peer },
	{ MSG_IMAGE_IMPORT, 0, IPC_F_ANYSTATE, parent_image },
	{ MSG_IMAGE_LIST, 0, IPC_F_ANYSTATE, parent_image },
	WORKER_TEST_HOOK_ROW
};

static int	netparse_unexpected(struct ipc_chan *, struct ipc_msg *,
		    void *);

/*
 * netparse answers on each job's own channel (MSG_NET_CHANNEL), never on
 * this one: a result here is a protocol fault.
 */
static const struct ipc_dispatch netparse_tab[] = {
	{ MSG_NET_RESULT, 0, IPC_F_ANYSTATE, netparse_unexpected },
};

static const struct ipc_dispatch watcher_tab[] = {
	{ MSG_PODSET_BEGIN, 0, ST_IDLE, watcher_begin },
	{ MSG_POD_SPEC, 0, ST_RECV, watcher_pod },
	{ MSG_PODSET_END, 0, ST_RECV, watcher_end },
};

const struct rt_info *
exec_rt_info(void)
{
	return &rtinfo;
}

const struct agentd_config *
exec_conf(void)
{
	return &env.conf;
}

/*
 * Record one audit entry and wait until agentd says it is durable.
 * -1 means it is not, and an intent's action must not happen.
 */
int
exec_audit(int phase, const char *action, const struct xpod *x,
    const char *container, const char *image, const char *details,
    const char *outcome, const char *error)
{
	struct ipc_msg m, ack;
	uint64_t seq;
	uint32_t status;
	int rv = -1;

	ipc_msg_init(&m, MSG_AUDIT_RECORD, ++audit_id);
	ipc_put_u32(&m, (uint32_t)phase);
	ipc_put_str(&m, action);
	ipc_put_str(&m, x ? x->pod.namespace : NULL);
	ipc_put_str(&m, x ? x->pod.name : NULL);
	ipc_put_str(&m, x ? x->pod.uid : NULL);
	ipc_put_str(&m, container);
	ipc_put_str(&m, image);
	ipc_put_str(&m, details);
	ipc_put_str(&m, outcome);
	ipc_put_str(&m, error);
	if (ipc_write_msg(WORKER_AUDIT_FD, &m) == -1)
		fatal("audit channel write");
	if (ipc_read_msg(WORKER_AUDIT_FD, &ack, AUDIT_ACK_TIMEOUT_MS) == -1)
		fatal("audit channel read");
	if (ack.type != MSG_AUDIT_ACK || ack.id != audit_id ||
	    ipc_get_u64(&ack, &seq) == -1 || ipc_get_u32(&ack, &status) ==
	    -1 || ipc_get_end(&ack) == -1)
		fatalx("agentd sent a malformed audit ack");
	if (status == 0)
		rv = 0;
	else
		log_warnx("audit log refused %s: not acting", action);
	ipc_msg_free(&ack);
	return rv;
}

static void
pace_arm(void)
{
	struct timeval tv = { 0, STATUS_PACE_MS * 1000 };

	if (!evtimer_pending(pace_ev, NULL))
		evtimer_add(pace_ev, &tv);
}

/*
 * A status that cannot go now stays dirty: without a reporter it is sent
 * when one connects (the whole set is), over the high-water mark when the
 * queue drains.  The channel is looked up at every send: a failed send
 * frees it (peer_error) and leaves NULL behind.
 *
 * The spec goes to the reporter (MSG_POD_DESIRED) only when this
 * connection has not had it (xpod.spec_sent), right before the status;
 * a status (MSG_POD_STATUS) is the uid and the observed state alone.
 */
void
exec_send_status(struct xpod *x)
{
	struct ipc_chan *rep = env.peers[ROLE_REPORTER];
	struct pod_report r;
	struct ipc_msg m;

	if (rep == NULL)
		return;
	if (ipc_chan_queued(rep) >= STATUS_QUEUE_HIGH) {
		pace_arm();
		return;
	}
	if (lc_fill_report(x, &r) == -1)
		return;
	if (x->spec_sent != reporter_gen) {
		ipc_msg_init(&m, MSG_POD_DESIRED, 0);
		podwire_put_pod(&m, &x->pod);
		if (ipc_send(rep, &m) == -1) {
			pod_report_free(&r);
			log_warnx("spec of %s/%s not sent", x->pod.namespace,
			    x->pod.name);
			return;
		}
		x->spec_sent = reporter_gen;
	}
	ipc_msg_init(&m, MSG_POD_STATUS, 0);
	ipc_put_str(&m, x->pod.uid);
	podwire_put_report(&m, &r);
	pod_report_free(&r);
	if (ipc_send(rep, &m) == -1) {
		log_warnx("status of %s/%s not sent", x->pod.namespace,
		    x->pod.name);
		return;
	}
	x->dirty = 0;
}

/*
 * What is dirty goes out as the queue allows; PODS_SYNCED after the last,
 * and not before the first pod set: until then adopted pods have no spec
 * to send, and the reporter would drop pods that are running.
 */
static void
status_pump(void)
{
	struct ipc_msg m;

	if (env.peers[ROLE_REPORTER] == NULL)
		return;
	if (lc_send_dirty() > 0) {
		pace_arm();
		return;
	}
	if (!resync_pending || !lc_podset_seen() ||
	    env.peers[ROLE_REPORTER] == NULL)
		return;
	resync_pending = 0;
	ipc_msg_init(&m, MSG_PODS_SYNCED, 0);
	ipc_put_u32(&m, (uint32_t)lc_count());
	ipc_send(env.peers[ROLE_REPORTER], &m);
}

static void
pace_cb(evutil_socket_t fd, short ev, void *arg)
{
	status_pump();
}

void
exec_send_gone(struct xpod *x)
{
	struct ipc_chan *rep = env.peers[ROLE_REPORTER];
	struct ipc_msg m;

	if (rep == NULL)
		return;		/* the next resend omits it: the same */
	/* the uid alone: a replacement of the same name is another pod */
	ipc_msg_init(&m, MSG_POD_GONE, 0);
	ipc_put_str(&m, x->pod.uid);
	ipc_send(rep, &m);
}

static void
send_event(const struct pod_event *e)
{
	struct ipc_chan *rep = env.peers[ROLE_REPORTER];
	struct ipc_msg m;

	if (rep == NULL)
		return;		/* the ring is resent when it connects */
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	evring_put(&m, e);
	ipc_send(rep, &m);
}

/*
 * Record a kubelet-style event about a pod.  A Warning is a pod-level
 * failure: it is also logged, once per pod and logkey (the failure kind,
 * NULL: the reason; "": not logged, a companion event logs the failure)
 * and then at most once per LOGRL_INTERVAL_S, so a crash loop does not
 * flood agentd's log (the executor's stderr is agentd's).
 */
void
exec_event(const struct xpod *x, int type, const char *reason,
    const char *logkey, const char *fmt, ...)
{
	char msg[EVENT_MAX_MESSAGE], key[LOGRL_MAX_KEY];
	const struct pod_event *e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = evring_record(&events, "Pod", x->pod.namespace, x->pod.name,
	    x->pod.uid, type, reason, msg, pod_now_ns());
	if (type == EVENT_WARNING && (logkey == NULL || logkey[0] != '\0')) {
		snprintf(key, sizeof(key), "%s/%s:%s", x->pod.namespace,
		    x->pod.name, logkey ? logkey : reason);
		logrl_warnx(&loglimit, key, "pod %s/%s: %s: %s",
		    x->pod.namespace, x->pod.name, logkey ? logkey : reason,
		    msg);
	}
	send_event(e);
}

static int
watcher_begin(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	if (ipc_get_u32(m, &podset_gen) == -1 ||
	    ipc_get_u32(m, &podset_flags) == -1 || ipc_get_end(m) == -1)
		return -1;
	if (podset_flags & ~PODSET_F_ALL)
		return watcher_fault("podset %u: unknown flags 0x%x",
		    podset_gen, podset_flags & ~PODSET_F_ALL);
	lc_podset_begin();
	ipc_chan_set_state(c, PODSET_RECV);
	return 0;
}

/*
 * The watcher broke the protocol in a way worth naming: agentd ends it.
 * The channel is gone when this returns; the dispatcher stops reading.
 */
static int __attribute__((format(printf, 1, 2)))
watcher_fault(const char *fmt, ...)
{
	char reason[PEER_FAULT_MAX_REASON + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	worker_peer_fault(&env, ROLE_WATCHER, reason);
	return 0;
}

static int
watcher_pod(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char hash[AUDITFMT_HEX_LEN + 1];
	char field[POD_IDENTITY_FIELD], why[POD_IDENTITY_WHY];
	struct pod p;

	/* equal bytes: nothing to compare (the identity is lifecycle's) */
	auditfmt_sha256_hex((const char *)m->data, m->len, hash);
	if (podwire_get_pod(m, &p) == -1)
		return -1;
	if (ipc_get_end(m) == -1) {
		pod_free(&p);
		return -1;
	}
	/*
	 * The identity names directories, cgroups, labels and log lines:
	 * it is checked before anything else sees the pod.  The watcher
	 * rejects such a manifest itself, so this one is forged.
	 */
	if (pod_identity_check(&p, field, why) == -1) {
		pod_free(&p);
		return watcher_fault("pod %zu of podset %u: %s %s",
		    lc_podset_pending() + 1, podset_gen, field, why);
	}
	/* two pods with one uid would share every name on the node */
	if (lc_podset_has_uid(p.uid)) {
		pod_free(&p);
		return watcher_fault("pod %zu of podset %u: metadata.uid "
		    "repeats an earlier pod's uid", lc_podset_pending() + 1,
		    podset_gen);
	}
	if (lc_podset_add(&p, hash) == -1) {
		pod_free(&p);
		return -1;
	}
	return 0;
}

static int
watcher_end(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	uint32_t gen, n;

	if (ipc_get_u32(m, &gen) == -1 || ipc_get_u32(m, &n) == -1 ||
	    ipc_get_end(m) == -1 || gen != podset_gen)
		return -1;
	ipc_chan_set_state(c, PODSET_IDLE);
#ifdef AGENTD_TEST_HOOKS
	n_podsets++;
#endif
	lc_podset_end(podset_flags);
	podset_step();		/* its statuses go out after that step */
	return 0;
}

/*
 * PODS_SYNCED only once every pod's status has been queued since then.
 * A new generation makes every pod's next status send its spec first:
 * a new reporter has none, and no xpod needs visiting for it.
 */
static void
reporter_connected(void)
{
	struct ipc_msg m;
	size_t i;

	if (++reporter_gen == 0)
		reporter_gen = 1;
	/* the node first: a query for the Node needs nothing else */
	ipc_msg_init(&m, MSG_NODE_INFO, 0);
	nodewire_put(&m, &node_facts);
	ipc_send(env.peers[ROLE_REPORTER], &m);
	lc_resend_all();	/* marks every pod dirty */
	for (i = 0; i < events.n; i++)
		send_event(&events.ev[i]);
	resync_pending = 1;
	status_pump();
}

/* the start-up CHECKs and GC wait for it (lifecycle.c) */
static void
netparse_connected(void)
{
	exec_step_soon();
}

/* the reporter sends the executor nothing */
static const struct worker_peer peers[] = {
	{ ROLE_WATCHER, watcher_tab, nitems(watcher_tab), NULL },
	{ ROLE_REPORTER, NULL, 0, reporter_connected },
	{ ROLE_NETPARSE, netparse_tab, nitems(netparse_tab),
	    netparse_connected },
};

static int
parent_peer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return worker_peer_accept(&env, m, peers, nitems(peers));
}

static int
netparse_unexpected(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return -1;
}

int
exec_netparse_ready(void)
{
	return env.peers[ROLE_NETPARSE] != NULL;
}

/*
 * A channel to netparse for one sandbox job (cni.c): one end goes to
 * netparse, the job inherits the other.  -1 while netparse is not
 * connected; the job then fails its CNI step and is retried.
 */
int
exec_netparse_channel(void)
{
	struct ipc_chan *np = env.peers[ROLE_NETPARSE];
	struct ipc_msg m;
	int sv[2];

	if (np == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv) == -1)
		return -1;
	ipc_msg_init(&m, MSG_NET_CHANNEL, 0);
	ipc_put_fd(&m, sv[1]);
	if (ipc_send(np, &m) == -1) {
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

/*
 * An import copies and unpacks a whole image, which can take minutes: it
 * is a job like every runtime call.  One import at a time; the intent is
 * audited before the job, the outcome after.
 */
struct import_job {
	int		 running;
	uint32_t	 id;
	char		 name[POD_MAX_IMAGE + 1];
	char		 src[CONFIG_MAX_PATH];
};

static struct import_job	 import;

static void
import_run(void *arg, struct job_out *out)
{
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	out->rc = rt_image_import(import.src, import.name, out->digest,
	    sizeof(out->digest), &err);
	snprintf(out->msg, sizeof(out->msg), "%s", rt_errmsg(&err));
}

static void
import_done(void *arg, struct job_out *out)
{
	/* escaped values are cut to fit agentd's details bound (4096) */
	char details[3072];
	char text[sizeof(import.name) + POD_MAX_ID + 16];
	int ok = out->rc == 0;

	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "source", import.src);
	if (ok)
		auditfmt_details_add(details, sizeof(details), "digest",
		    out->digest);
	exec_audit(AUDIT_OUTCOME, "image.import", NULL, NULL, import.name,
	    details, ok ? "ok" : "error", ok ? NULL : out->msg);
	if (ok && snprintf(text, sizeof(text), "imported %s %s\n",
	    import.name, out->digest) < (int)sizeof(text))
		worker_reply_text(&env, import.id, text);
	worker_reply_end(&env, import.id, ok ? 0 : 1, ok ? NULL : out->msg);
	import.running = 0;
	if (ok)
		lc_image_arrived();	/* pods waiting for it start now */
}

static void
image_import(uint32_t id, const char *src, const char *name)
{
	char details[2048];

	if (import.running) {
		worker_reply_end(&env, id, 1, "another image import is "
		    "running; try again when it is done");
		return;
	}
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "source", src);
	if (exec_audit(AUDIT_INTENT, "image.import", NULL, NULL, name,
	    details, NULL, NULL) == -1) {
		worker_reply_end(&env, id, 1, "the audit log cannot record "
		    "the import");
		return;
	}
	import.running = 1;
	import.id = id;
	snprintf(import.src, sizeof(import.src), "%s", src);
	snprintf(import.name, sizeof(import.name), "%s", name);
	/* an import may take long: the timeout is the import's own */
	if (job_submit("image.import", IMPORT_TIMEOUT_MS, import_run, NULL,
	    import_done, NULL) == NULL)
		fatalx("out of memory for the import job");
}

static int
parent_image(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char src[MSGB_IMAGE_SOURCE + 1], name[MSGB_IMAGE_NAME + 1];
	struct rt_err err;
	char *text;

	if (m->type == MSG_IMAGE_LIST) {
		if (ipc_get_end(m) == -1)
			return -1;
		memset(&err, 0, sizeof(err));
		if ((text = rt_image_list(&err)) == NULL)
			return worker_reply_end(&env, m->id, 1,
			    rt_errmsg(&err));
		worker_reply_text(&env, m->id, text);
		free(text);
		return worker_reply_end(&env, m->id, 0, NULL) == -1 ? -1 : 0;
	}
	if (ipc_get_str(m, src, sizeof(src)) == -1 || src[0] != '/' ||
	    ipc_get_str(m, name, sizeof(name)) == -1 || name[0] == '\0' ||
	    ipc_get_end(m) == -1)
		return -1;
	image_import(m->id, src, name);
	return 0;
}

/* run the step at mono time at_ms, unless one is due sooner already */
static void
step_at(int64_t at_ms)
{
	int64_t now = monoclock_ms(), ms = at_ms > now ? at_ms - now : 0;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (evtimer_pending(step_ev, NULL) && step_due_ms <= at_ms)
		return;
	/* libevent measures from the time it cached when this callback
	   began; a long callback would make the timer due already */
	event_base_update_cache_time(env.base);
	step_due_ms = at_ms;
	if (evtimer_add(step_ev, &tv) == -1)
		fatalx("step timer");
}

static void
step_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t wake, now_real;

	last_step_ms = monoclock_ms();
	wake = lc_step_all();
	if (wake != 0) {
		now_real = pod_now_ns();
		step_at(last_step_ms + (wake > now_real ?
		    (wake - now_real) / 1000000 + 1 : 0));
	}
	/* statuses go out after the step that applied a pod set (not at
	   its end, before the policy ran), and PODS_SYNCED after them */
	status_pump();
}

/* a job's result, an exit: step now (within this loop iteration) */
void
exec_step_soon(void)
{
	if (step_ev != NULL)
		step_at(monoclock_ms());
}

/*
 * A pod set is stepped at once, but at most once per
 * PODSET_SYNC_COALESCE_MS: back-to-back pod sets cost one step per period,
 * and a steady stream of them cannot postpone it forever either.
 */
static void
podset_step(void)
{
	int64_t now = monoclock_ms(), at = last_podset_ms + PODSET_SYNC_COALESCE_MS;

	last_podset_ms = at > now ? at : now;
	step_at(last_podset_ms);
}

static void
relist_arm(void)
{
	struct timeval tv = { RELIST_INTERVAL_MS / 1000,
	    (RELIST_INTERVAL_MS % 1000) * 1000 };

	if (evtimer_add(relist_ev, &tv) == -1)
		fatalx("relist timer");
}

static void
relist_cb(evutil_socket_t fd, short ev, void *arg)
{
	lc_relist();
	relist_arm();
}

#ifdef AGENTD_TEST_HOOKS
static void
executor_test_hook(struct worker_env *we, uint32_t hook)
{
	if (hook == TEST_HOOK_SYNC_COUNTS)
		log_warnx("test hook: podsets=%u relists=%u", n_podsets,
		    lc_relists);
}
#endif

static void
adopt_existing(void)
{
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if (rt_list(lc_adopt, NULL, &err) == -1)
		log_warnx("listing existing containers: %s", rt_errmsg(&err));
}

int
main(int argc, char *argv[])
{
	struct rt_err err;

	worker_init(&env, ROLE_EXECUTOR, parent_tab, nitems(parent_tab));
#ifdef AGENTD_TEST_HOOKS
	env.role_test_hook = executor_test_hook;
#endif
	worker_die_with_parent();
	memset(&err, 0, sizeof(err));
	if (rt_init(&env.conf, &rtinfo, &err) == -1)
		fatalx("container runtime: %s", rt_errmsg(&err));
	log_info("runtime %s (%s), conmon %s, cgroup %s, storage %s",
	    rtinfo.runtime_name, rtinfo.runtime_path, rtinfo.conmon_path,
	    rtinfo.cgroup_v2 ? "v2" : "v1", rtinfo.storage_driver);
	/* one line each: the container starts fail with the same reason */
	if (rtinfo.storage_warning[0] != '\0')
		log_warnx("%s", rtinfo.storage_warning);
	if (rtinfo.storage_error[0] != '\0')
		log_warnx("%s", rtinfo.storage_error);
	hostfacts_gather(&node_facts, rtinfo.runtime_name, rtinfo.runtime_path,
	    env.conf.root_dir);
	rt_set_allocatable(node_facts.cpus, node_facts.memory_bytes);
	log_info("node: %u CPUs, %" PRIu64 " KiB, %s, %s, %s",
	    node_facts.cpus, node_facts.memory_bytes / 1024,
	    node_facts.kernel_version, node_facts.os_image,
	    node_facts.runtime_version);
	policy_set_kernel_release(node_facts.kernel_version);
	worker_sandbox(&env.conf, env.role);
	job_init(env.base, &env.conf);
	logrotate_init(env.base, &env.conf);
	if (exitwatch_init(env.base, lc_exit_event) == -1)
		fatal("watching conmon's exit files");
	adopt_existing();
	step_ev = evtimer_new(env.base, step_cb, NULL);
	pace_ev = evtimer_new(env.base, pace_cb, NULL);
	relist_ev = evtimer_new(env.base, relist_cb, NULL);
	if (step_ev == NULL || pace_ev == NULL || relist_ev == NULL)
		fatalx("executor timers");
	relist_arm();	/* adoption has just looked at every container */
	log_info("%zu runtime jobs in parallel, each within %d s",
	    job_max_parallel(), job_timeout_ms() / 1000);
	worker_run(&env);
	return 0;
}
