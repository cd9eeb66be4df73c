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
#include <sys/wait.h>

#include <fcntl.h>
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
#include "ipc.h"
#include "log.h"
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

static struct worker_env	 env;
static struct rt_info		 rtinfo;
static struct event		*sync_ev;
static struct event		*pace_ev;
static int			 resync_pending;	/* PODS_SYNCED owed */
static uint32_t			 podset_gen;
static uint32_t			 audit_id;
static struct evring		 events;	/* resent to a new reporter */
static struct logrl		 loglimit;
static int64_t			 sync_due_ms;	/* CLOCK_MONOTONIC */
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

static const struct ipc_dispatch parent_tab[] = {
	{ MSG_PING, 0, IPC_F_ANYSTATE, worker_ping },
	{ MSG_SHUTDOWN, 0, IPC_F_ANYSTATE, worker_shutdown },
	{ MSG_PEER_CONNECT, IPC_F_FD, IPC_F_ANYSTATE, parent_peer },
	{ MSG_IMAGE_IMPORT, 0, IPC_F_ANYSTATE, parent_image },
	{ MSG_IMAGE_LIST, 0, IPC_F_ANYSTATE, parent_image },
	WORKER_TEST_HOOK_ROW
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
	/* belongs in lc_fill_report once the lifecycle rewrite lands */
	r.terminating = x->terminating != 0;
	if (x->terminating && x->phase != XPOD_ACTIVE)
		r.deletion_ns = x->deadline_ns;
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
	if (ipc_get_u32(m, &podset_gen) == -1 || ipc_get_end(m) == -1)
		return -1;
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

	/* the spec hash covers the exact bytes: any change replaces the pod */
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
	lc_podset_end();	/* the relist it brings forward sends statuses */
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
	size_t i;

	if (++reporter_gen == 0)
		reporter_gen = 1;
	lc_resend_all();	/* marks every pod dirty */
	for (i = 0; i < events.n; i++)
		send_event(&events.ev[i]);
	resync_pending = 1;
	status_pump();
}

static int
parent_peer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	uint32_t role;
	int fd;

	if (ipc_get_u32(m, &role) == -1 || ipc_get_end(m) == -1 ||
	    (role != ROLE_WATCHER && role != ROLE_REPORTER))
		return -1;
	fd = ipc_take_fd(m);
	if (role == ROLE_WATCHER) {
		if (worker_peer_attach(&env, ROLE_WATCHER, fd, watcher_tab,
		    nitems(watcher_tab)) == NULL)
			fatalx("cannot attach the watcher channel");
		return 0;
	}
	/* the reporter sends the executor nothing */
	if (worker_peer_attach(&env, ROLE_REPORTER, fd, NULL, 0) == NULL)
		fatalx("cannot attach the reporter channel");
	reporter_connected();
	return 0;
}

/*
 * An import copies and unpacks a whole image, which can take minutes; it
 * runs in a child so that the executor keeps answering pings (the systemd
 * watchdog depends on them) and keeps syncing pods meanwhile.  One import
 * at a time; the intent is audited before the fork, the outcome after.
 */
struct import_job {
	pid_t		 pid;
	int		 fd;
	uint32_t	 id;
	struct event	*ev;
	char		 name[POD_MAX_IMAGE + 1];
	char		 src[CONFIG_MAX_PATH];
	char		 result[RT_ERR_MAX + POD_MAX_ID + 8];
	size_t		 len;
};

static struct import_job	 import;

static void
import_child(int fd, const char *src, const char *name)
{
	char digest[POD_MAX_ID], out[sizeof(import.result)];
	struct rt_err err;
	int n;

	memset(&err, 0, sizeof(err));
	if (rt_image_import(src, name, digest, sizeof(digest), &err) == -1)
		n = snprintf(out, sizeof(out), "E%s", err.msg);
	else
		n = snprintf(out, sizeof(out), "O%s", digest);
	if (n > 0 && write(fd, out, (size_t)n) == -1)
		_exit(1);
	_exit(0);
}

static void
import_done(void)
{
	/* escaped values are cut to fit agentd's details bound (4096) */
	char details[3072];
	char text[sizeof(import.name) + sizeof(import.result) + 16];
	int status, ok;

	waitpid(import.pid, &status, 0);
	event_free(import.ev);
	close(import.fd);
	import.result[import.len] = '\0';
	ok = import.len > 1 && import.result[0] == 'O';
	if (import.len == 0)
		snprintf(import.result, sizeof(import.result),
		    "Eimport process died (status %d)", status);
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "source", import.src);
	if (ok)
		auditfmt_details_add(details, sizeof(details), "digest",
		    import.result + 1);
	exec_audit(AUDIT_OUTCOME, "image.import", NULL, NULL, import.name,
	    details, ok ? "ok" : "error", ok ? NULL : import.result + 1);
	if (ok) {
		if (snprintf(text, sizeof(text), "imported %s %s\n",
		    import.name, import.result + 1) < (int)sizeof(text))
			worker_reply_text(&env, import.id, text);
	}
	worker_reply_end(&env, import.id, ok ? 0 : 1,
	    ok ? NULL : import.result + 1);
	import.pid = 0;
	if (ok)
		lc_sync_all();	/* pods waiting for this image start now */
}

static void
import_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	ssize_t n;

	n = read(fd, import.result + import.len,
	    sizeof(import.result) - 1 - import.len);
	if (n > 0 && import.len + (size_t)n < sizeof(import.result) - 1) {
		import.len += (size_t)n;
		return;
	}
	if (n > 0)
		import.len += (size_t)n;
	import_done();
}

static void
image_import(uint32_t id, const char *src, const char *name)
{
	char details[2048];
	int p[2];

	if (import.pid != 0) {
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
	if (pipe2(p, O_CLOEXEC) == -1 || (import.pid = fork()) == -1)
		fatal("image import");
	if (import.pid == 0) {
		close(p[0]);
		import_child(p[1], src, name);
	}
	close(p[1]);
	import.fd = p[0];
	import.id = id;
	import.len = 0;
	snprintf(import.src, sizeof(import.src), "%s", src);
	snprintf(import.name, sizeof(import.name), "%s", name);
	import.ev = event_new(env.base, import.fd, EV_READ | EV_PERSIST,
	    import_read_cb, NULL);
	if (import.ev == NULL || event_add(import.ev, NULL) == -1)
		fatalx("import event");
}

static int
parent_image(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char src[CONFIG_MAX_PATH], name[POD_MAX_IMAGE + 1];
	struct rt_err err;
	char *text;

	if (m->type == MSG_IMAGE_LIST) {
		if (ipc_get_end(m) == -1)
			return -1;
		memset(&err, 0, sizeof(err));
		if ((text = rt_image_list(&err)) == NULL)
			return worker_reply_end(&env, m->id, 1, err.msg);
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

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sync_at(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	/*
	 * libevent measures a timeout from the time it cached when this
	 * callback began: after a relist of seconds (81 pods, a runtime
	 * `state` each) a 1 s timer would already be due, and relists would
	 * run back to back with no time for the channels in between.
	 */
	event_base_update_cache_time(env.base);
	sync_due_ms = mono_ms() + ms;
	if (evtimer_add(sync_ev, &tv) == -1)
		fatalx("sync timer");
}

static void
sync_cb(evutil_socket_t fd, short ev, void *arg)
{
	sync_at(lc_sync_all() ? SYNC_BUSY_MS : SYNC_INTERVAL_MS);
	/*
	 * statuses go out after the relist that applied a pod set (not at
	 * its end, before the policy ran), and PODS_SYNCED after them
	 */
	status_pump();
}

/*
 * Bring the next relist forward to PODSET_SYNC_COALESCE_MS from now, unless
 * one is due sooner already: back-to-back pod sets then cost one relist per
 * period, not one each, and a steady stream of them cannot postpone the
 * relist forever either.
 */
void
exec_sync_soon(void)
{
	if (sync_ev == NULL || sync_due_ms - mono_ms() <=
	    PODSET_SYNC_COALESCE_MS)
		return;
	sync_at(PODSET_SYNC_COALESCE_MS);
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
		log_warnx("listing existing containers: %s", err.msg);
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
		fatalx("container runtime: %s", err.msg);
	log_info("runtime %s (%s), conmon %s, cgroup %s, storage %s",
	    rtinfo.runtime_name, rtinfo.runtime_path, rtinfo.conmon_path,
	    rtinfo.cgroup_v2 ? "v2" : "v1", rtinfo.storage_driver);
	/* one line each: the container starts fail with the same reason */
	if (rtinfo.storage_warning[0] != '\0')
		log_warnx("%s", rtinfo.storage_warning);
	if (rtinfo.storage_error[0] != '\0')
		log_warnx("%s", rtinfo.storage_error);
	sandbox_executor();
	adopt_existing();
	sync_ev = evtimer_new(env.base, sync_cb, NULL);
	pace_ev = evtimer_new(env.base, pace_cb, NULL);
	if (sync_ev == NULL || pace_ev == NULL)
		fatalx("sync timer");
	sync_at(SYNC_INTERVAL_MS);
	worker_run(&env);
	return 0;
}
