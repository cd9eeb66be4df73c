/*
 * Spawning and supervising the workers.
 *
 * Each worker is its own executable, started with fork+exec: fd 3 is its
 * channel to agentd, fd 4 the executor's audit channel, fd 5 a sealed memfd
 * with the configuration; every other fd is closed and the environment is
 * rebuilt from scratch.  Workers reach each other only through socketpairs
 * that agentd hands out (MSG_PEER_CONNECT) once both ends said HELLO, so a
 * restarted worker is reconnected the same way it was connected at start.
 *
 * A worker that dies is restarted with exponential backoff; one that
 * breaks the protocol is killed first.  Containers are never touched:
 * they belong to conmon, not to any worker.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentd.h"
#include "audit.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"
#include "pod.h"
#include "proctab.h"
#include "workerfd.h"

#define CHAN_STARTING	0	/* ipc channel states */
#define CHAN_UP		1
#define ST_STARTING	(1u << CHAN_STARTING)
#define ST_UP		(1u << CHAN_UP)


static int	worker_hello(struct ipc_chan *, struct ipc_msg *, void *);
static int	worker_pong(struct ipc_chan *, struct ipc_msg *, void *);
static int	worker_reply(struct ipc_chan *, struct ipc_msg *, void *);
static int	worker_peer_fault(struct ipc_chan *, struct ipc_msg *, void *);
static int	watcher_reject(struct ipc_chan *, struct ipc_msg *, void *);
static int	watcher_done(struct ipc_chan *, struct ipc_msg *, void *);
static int	executor_audit(struct ipc_chan *, struct ipc_msg *, void *);
static int	spawn(struct agentd *, struct worker *);
static void	schedule_restart(struct agentd *, struct worker *);

static const struct ipc_dispatch watcher_tab[] = {
	{ MSG_HELLO, IPC_F_ONCE, ST_STARTING, worker_hello },
	{ MSG_PONG, 0, ST_UP, worker_pong },
	{ MSG_MANIFEST_REJECT, 0, ST_UP, watcher_reject },
	{ MSG_MANIFEST_DONE, 0, ST_UP, watcher_done },
	{ MSG_PEER_FAULT, 0, ST_UP, worker_peer_fault },
	{ MSG_API_CONNECT, 0, ST_UP, apigrant_connect },
	{ MSG_API_AUTH, 0, ST_UP, apigrant_auth },
	{ MSG_API_POD_REFUSED, 0, ST_UP, apigrant_pod_refused },
};

static const struct ipc_dispatch executor_tab[] = {
	{ MSG_HELLO, IPC_F_ONCE, ST_STARTING, worker_hello },
	{ MSG_PONG, 0, ST_UP, worker_pong },
	{ MSG_REPLY_CHUNK, 0, ST_UP, worker_reply },
	{ MSG_REPLY_END, 0, ST_UP, worker_reply },
	{ MSG_PEER_FAULT, 0, ST_UP, worker_peer_fault },
};

static const struct ipc_dispatch reporter_tab[] = {
	{ MSG_HELLO, IPC_F_ONCE, ST_STARTING, worker_hello },
	{ MSG_PONG, 0, ST_UP, worker_pong },
	{ MSG_REPLY_CHUNK, 0, ST_UP, worker_reply },
	{ MSG_REPLY_END, 0, ST_UP, worker_reply },
	{ MSG_PEER_FAULT, 0, ST_UP, worker_peer_fault },
	{ MSG_API_CONNECT, 0, ST_UP, apigrant_connect },
	{ MSG_API_AUTH, 0, ST_UP, apigrant_auth },
};

static const struct ipc_dispatch audit_tab[] = {
	{ MSG_AUDIT_RECORD, 0, IPC_F_ANYSTATE, executor_audit },
};

/* what every worker may send agentd: a role with no messages of its own */
static const struct ipc_dispatch generic_tab[] = {
	{ MSG_HELLO, IPC_F_ONCE, ST_STARTING, worker_hello },
	{ MSG_PONG, 0, ST_UP, worker_pong },
	{ MSG_PEER_FAULT, 0, ST_UP, worker_peer_fault },
};

/*
 * agentd's side of the process table (include/proctab.h): the dispatch
 * table for what a role sends agentd, and what agentd does when it is up.
 * A role without a row here gets generic_tab and nothing on start.
 */
/* a (re)started reporter: the events so far, the network's state */
static void
reporter_up(struct agentd *env)
{
	events_reporter_up(env);
	cniwatch_send(env);
}

static const struct parent_side {
	enum proc_role		 role;
	const struct ipc_dispatch *tab;
	size_t			 ntab;
	void			(*up)(struct agentd *);
} parent_sides[] = {
	{ ROLE_WATCHER, watcher_tab, nitems(watcher_tab), staticdir_send_all },
	{ ROLE_EXECUTOR, executor_tab, nitems(executor_tab), NULL },
	{ ROLE_REPORTER, reporter_tab, nitems(reporter_tab), reporter_up },
};

static const struct parent_side *
parent_side(enum proc_role role)
{
	static const struct parent_side generic = {
		ROLE_PARENT, generic_tab, nitems(generic_tab), NULL
	};
	size_t i;

	for (i = 0; i < nitems(parent_sides); i++)
		if (parent_sides[i].role == role)
			return &parent_sides[i];
	return &generic;
}

/*
 * Test builds start a PROC_F_TEST_ONLY row only when AGENTD_TEST_ROLES
 * names it (comma-separated), so that the suite's other tests see the
 * production set of workers.
 */
static int
proc_enabled(const struct proc_desc *p)
{
#ifdef AGENTD_TEST_HOOKS
	const char *want = getenv("AGENTD_TEST_ROLES");
	size_t n = strlen(p->name);
	const char *s;

	if ((p->flags & PROC_F_TEST_ONLY) == 0)
		return 1;
	for (s = want; s != NULL && *s != '\0'; s += strcspn(s, ",")) {
		s += *s == ',';
		if (strncmp(s, p->name, n) == 0 && (s[n] == ',' || s[n] == '\0'))
			return 1;
	}
	return 0;
#else
	return (p->flags & PROC_F_TEST_ONLY) == 0;
#endif
}

/* the running set: enabled rows of the process table, in table order */
#define WORKER_FOREACH(env, p, w)					\
	PROC_FOREACH(p)							\
		if (!proc_enabled(p) ||					\
		    ((w) = &(env)->workers[(p)->role]) == NULL)		\
			continue;					\
		else

struct worker *
supervise_worker(struct agentd *env, enum proc_role role)
{
	const struct proc_desc *p = proc_get(role);

	return p != NULL && proc_enabled(p) ? &env->workers[role] : NULL;
}

static void
restart_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct worker *w = arg;

	if (!agentd_env->shutting_down && w->state == WORKER_DOWN &&
	    spawn(agentd_env, w) == -1)
		schedule_restart(agentd_env, w);
}

void
supervise_init(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;

	WORKER_FOREACH(env, p, w) {
		w->proc = p;
		w->role = p->role;
		w->exe = p->exe;
		w->backoff_ms = RESTART_BACKOFF_MIN_MS;
		w->restart_ev = evtimer_new(env->base, restart_cb, w);
		if (w->restart_ev == NULL)
			fatalx("evtimer_new");
	}
}

/*
 * The worker binary, opened and checked (workerexec.c): libexecDir, or,
 * only if it is not there at all, next to agentd itself so that a build
 * tree runs without installing.  A worker that is there but fails the
 * checks is refused, never replaced by the fallback.  The lstat only picks
 * the directory; whichever it is, it is checked in full.
 */
static int
worker_exe(struct agentd *env, struct worker *w, char *err, size_t errlen)
{
	char self[PATH_MAX], *slash;
	struct stat st;
	ssize_t n;

	if (snprintf(self, sizeof(self), "%s/%s", env->conf.libexec_dir,
	    w->exe) < (int)sizeof(self) && (lstat(self, &st) == 0 ||
	    errno != ENOENT))
		return worker_exe_open(env->conf.libexec_dir, w->exe, err,
		    errlen);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1) {
		snprintf(err, errlen, "readlink /proc/self/exe: %s",
		    strerror(errno));
		return -1;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	return worker_exe_open(self, w->exe, err, errlen);
}

/*
 * A sealed memfd with the configuration agentd validated, in the binary
 * form of common/configbin.c: the workers decode it and parse no YAML.
 */
static int
config_memfd(struct agentd *env)
{
	uint8_t *buf;
	size_t len;
	int fd;

	if ((buf = malloc(CONFIG_BIN_MAX_BYTES)) == NULL)
		fatal("config memfd");
	if (config_bin_encode(&env->conf, buf, CONFIG_BIN_MAX_BYTES,
	    &len) == -1)
		fatalx("configuration larger than %d bytes encoded",
		    CONFIG_BIN_MAX_BYTES);
	if ((fd = memfd_create("agentd.conf", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		fatal("memfd_create");
	if (write(fd, buf, len) != (ssize_t)len)
		fatal("write config memfd");
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		fatal("seal config memfd");
	free(buf);
	return fd;
}

/*
 * In the child: the fixed fds, stdin and stdout on /dev/null (a worker
 * has nothing to print; its logs go to stderr, which it shares with
 * agentd), then exec the fd that was checked.  fexecve(3) of an O_CLOEXEC
 * fd works for an ELF binary (glibc uses execveat(AT_EMPTY_PATH)) but not
 * for a script, whose interpreter would find /dev/fd/N already closed:
 * the workers are ELF, and WORKER_EXE_FD is close-on-exec so that no
 * worker inherits it.
 */
static void
child_exec(int exe_fd, const char *exe, const char *role, int chan,
    int audit, int conf)
{
	char magic[64];
	char *argv[] = { (char *)exe, NULL };
	char *envp[] = { magic,
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	    NULL };
	int devnull;

	snprintf(magic, sizeof(magic), "%s=%s", WORKER_ENV_MAGIC, role);
	/* move the sources out of the way before placing them at 3, 4, 5 */
	chan = fcntl(chan, F_DUPFD, 10);
	if (audit != -1)
		audit = fcntl(audit, F_DUPFD, 10);
	conf = fcntl(conf, F_DUPFD, 10);
	exe_fd = fcntl(exe_fd, F_DUPFD, 10);
	if ((devnull = open("/dev/null", O_RDWR)) == -1 ||
	    (devnull = fcntl(devnull, F_DUPFD, 10)) == -1)
		_exit(126);
	if (chan == -1 || conf == -1 || exe_fd == -1 ||
	    dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(devnull, STDOUT_FILENO) == -1 ||
	    dup2(chan, WORKER_PARENT_FD) == -1 ||
	    dup2(audit != -1 ? audit : devnull, WORKER_AUDIT_FD) == -1 ||
	    dup2(conf, WORKER_CONFIG_FD) == -1 ||
	    dup2(exe_fd, WORKER_EXE_FD) == -1 ||
	    fcntl(WORKER_EXE_FD, F_SETFD, FD_CLOEXEC) == -1)
		_exit(126);
	closefrom(WORKER_EXE_FD + 1);
	fexecve(WORKER_EXE_FD, argv, envp);
	_exit(127);
}

/*
 * Start a worker; -1 if its executable fails the checks: that is logged
 * and audited, and the caller decides (refuse to start, or retry later).
 */
static int
spawn(struct agentd *env, struct worker *w)
{
	char err[PATH_MAX + 256], details[PATH_MAX + 300];
	int sv[2], av[2] = { -1, -1 }, conf, exe_fd;
	pid_t pid;

	if ((exe_fd = worker_exe(env, w, err, sizeof(err))) == -1) {
		log_warnx("refusing to run %s: %s", w->exe, err);
		snprintf(details, sizeof(details), "exe=%s", w->exe);
		agentd_audit_event(env, role_name(w->role),
		    "worker.exec_refused", details, "refused", err);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	if ((w->proc->flags & PROC_F_AUDIT_CHAN) && socketpair(AF_UNIX,
	    SOCK_STREAM | SOCK_CLOEXEC, 0, av) == -1)
		fatal("socketpair");
	conf = config_memfd(env);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		child_exec(exe_fd, w->exe, role_name(w->role), sv[1], av[1],
		    conf);
	close(exe_fd);
	close(sv[1]);
	close(conf);
	if (av[1] != -1)
		close(av[1]);
	w->pid = pid;
	w->state = WORKER_STARTING;
	w->started_at = time(NULL);
	w->ping_seq = w->pong_seq = 0;
	w->killed_by_us = 0;
	w->chan = ipc_chan_new(env->base, sv[0], role_name(w->role),
	    parent_side(w->role)->tab, parent_side(w->role)->ntab,
	    supervise_chan_error, w);
	if (w->chan == NULL)
		fatalx("ipc_chan_new");
	ipc_chan_set_roles(w->chan, ROLE_PARENT, w->role);
	if (av[0] != -1 && (w->audit_chan = ipc_chan_new(env->base, av[0],
	    "audit", audit_tab, nitems(audit_tab), supervise_chan_error,
	    w)) == NULL)
		fatalx("ipc_chan_new");
	if (w->audit_chan != NULL)
		ipc_chan_set_roles(w->audit_chan, ROLE_PARENT, w->role);
	log_info("started %s (pid %d)", w->exe, (int)pid);
	return 0;
}

void
supervise_start_all(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;

	/* a worker that fails its checks at start-up: agentd refuses to run */
	WORKER_FOREACH(env, p, w)
		if (spawn(env, w) == -1)
			fatalx("cannot start %s; see above", w->exe);
}

/* a misbehaving worker is ended; supervise_reap restarts it */
static void
end_worker(struct agentd *env, struct worker *w, const char *action,
    const char *why)
{
	char details[2048], pid[16];

	if (w->pid <= 0 || w->killed_by_us)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)w->pid);
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "pid", pid);
	auditfmt_details_add(details, sizeof(details), "reason", why);
	if (!env->shutting_down) {
		log_warnx("%s (pid %d): %s; killing it", w->exe, (int)w->pid,
		    why);
		agentd_audit_worker(env, role_name(w->role), action, details,
		    "killed", why);
	}
	w->killed_by_us = 1;
	kill(w->pid, SIGKILL);
}

static void
kill_worker(struct agentd *env, struct worker *w, const char *why)
{
	end_worker(env, w, "worker.protocol_violation", why);
}

/* for a handler elsewhere that knows better than "malformed X" */
void
supervise_violation(struct agentd *env, struct worker *w, const char *why)
{
	kill_worker(env, w, why);
}

/*
 * A stopped (SIGSTOP) or wedged sandboxed worker answers no ping; SIGKILL
 * ends it even while stopped, and supervise_reap restarts it.
 */
static int
check_unresponsive(struct agentd *env, struct worker *w)
{
	char why[128];

	if ((w->proc->flags & PROC_F_PING_EXEMPT) ||
	    w->ping_seq - w->pong_seq < WORKER_MAX_MISSED_PONGS)
		return 0;
	snprintf(why, sizeof(why), "answered none of the last %d pings "
	    "(stopped or wedged)", WORKER_MAX_MISSED_PONGS);
	end_worker(env, w, "worker.unresponsive", why);
	return 1;
}

void
supervise_chan_error(struct ipc_chan *c, const char *reason, void *arg)
{
	struct worker *w = arg;

	/* EOF is how a dying worker looks; reap does the bookkeeping */
	if (strncmp(reason, "peer closed", 11) == 0) {
		log_debug("%s: %s", w->exe, reason);
		return;
	}
	kill_worker(agentd_env, w, reason);
}

static void
connect_peers(struct agentd *env, struct worker *a, struct worker *b)
{
	struct ipc_msg m;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	ipc_msg_init(&m, MSG_PEER_CONNECT, 0);
	ipc_put_u32(&m, b->role);
	ipc_put_fd(&m, sv[0]);
	ipc_send(a->chan, &m);
	ipc_msg_init(&m, MSG_PEER_CONNECT, 0);
	ipc_put_u32(&m, a->role);
	ipc_put_fd(&m, sv[1]);
	ipc_send(b->chan, &m);
	log_debug("connected %s <-> %s", a->exe, b->exe);
}

static void
worker_up(struct agentd *env, struct worker *w)
{
	const struct parent_side *side = parent_side(w->role);
	const struct proc_desc *p;
	struct worker *o;

	/* an API worker's credentials come before anything else */
	apigrant_worker_up(env, w);
	WORKER_FOREACH(env, p, o)
		if (o != w && o->state == WORKER_UP &&
		    proc_peers(w->role, o->role))
			connect_peers(env, w, o);
	if (side->up != NULL)
		side->up(env);
	if (supervise_all_up(env)) {
		notify_send("READY=1\nSTATUS=running: %s up",
		    supervise_names(env));
		log_info("all workers up");
	}
}

static int
worker_hello(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct worker *w = arg;
	uint32_t role, version;

	if (ipc_get_u32(m, &role) == -1 || ipc_get_u32(m, &version) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	if (role != w->role || version != IPC_PROTO_VERSION)
		return -1;
	w->state = WORKER_UP;
	ipc_chan_set_state(c, CHAN_UP);
	log_debug("%s (pid %d) says hello", w->exe, (int)w->pid);
	worker_up(agentd_env, w);
	return 0;
}

static int
worker_pong(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct worker *w = arg;
	uint64_t seq;

	if (ipc_get_u64(m, &seq) == -1 || ipc_get_end(m) == -1 ||
	    seq > w->ping_seq)
		return -1;
	w->pong_seq = seq;
	return 0;
}

static int
worker_reply(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	control_relay(agentd_env, m->id, m->type == MSG_REPLY_END, m);
	return 0;
}

static int
worker_peer_fault(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct worker *w = arg, *peer;
	char reason[PEER_FAULT_MAX_REASON + 1], why[512];
	uint32_t role;

	if (ipc_get_u32(m, &role) == -1 ||
	    ipc_get_str(m, reason, sizeof(reason)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	/*
	 * A worker can only know about a peer that sends to it; any other
	 * accusation is false by construction and ends the accuser, never
	 * the accused.
	 */
	if (!proc_sends(role, w->role) ||
	    (peer = supervise_worker(agentd_env, role)) == NULL) {
		/* the report is the violation; ending the channel too */
		snprintf(why, sizeof(why), "false MSG_PEER_FAULT: the %s "
		    "accuses the %s, which sends it nothing", w->exe,
		    role_name(role));
		kill_worker(agentd_env, w, why);
		return -1;
	}
	snprintf(why, sizeof(why), "%s reports: %s", w->exe, reason);
	kill_worker(agentd_env, peer, why);
	return 0;
}

static int
watcher_reject(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char file[MSGB_REJECT_FILE + 1], field[MSGB_REJECT_FIELD + 1];
	char reason[MSGB_REJECT_REASON + 1];
	char details[4 * (MSGB_REJECT_FILE + MSGB_REJECT_FIELD + 1) + 32];

	if (ipc_get_str(m, file, sizeof(file)) == -1 ||
	    ipc_get_str(m, field, sizeof(field)) == -1 ||
	    ipc_get_str(m, reason, sizeof(reason)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "file", file);
	auditfmt_details_add(details, sizeof(details), "field", field);
	/* a flood is summed up in the audit log; the log line follows it */
	events_manifest_rejected(agentd_env, file, field, reason,
	    agentd_audit_worker(agentd_env, "watcher", "manifest.reject",
	    details, "rejected", reason) != 1);
	return 0;
}

/* a DONE for a scan that is not waiting for one ends the watcher */
static int
watcher_done(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	uint32_t gen;

	if (ipc_get_u32(m, &gen) == -1 || ipc_get_end(m) == -1)
		return -1;
	return staticdir_done(agentd_env, c, gen);
}

static void
audit_ack(struct ipc_chan *c, uint32_t id, uint64_t seq, uint32_t status)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_AUDIT_ACK, id);
	ipc_put_u64(&m, seq);
	ipc_put_u32(&m, status);
	ipc_send(c, &m);
}

static const char *
phase_name(uint32_t phase)
{
	return phase == AUDIT_INTENT ? "intent" :
	    phase == AUDIT_OUTCOME ? "outcome" : "event";
}

/*
 * The executor waits for this ack before it acts: a record that could not
 * be made durable gets status 1 and the action does not happen.
 */
static int
executor_audit(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char action[MSGB_AUDIT_ACTION + 1], ns[MSGB_AUDIT_NAMESPACE + 1];
	char name[MSGB_AUDIT_NAME + 1], uid[MSGB_AUDIT_UID + 1];
	char ctr[MSGB_AUDIT_CONTAINER + 1], image[MSGB_AUDIT_IMAGE + 1];
	char details[MSGB_AUDIT_DETAILS + 1];
	char outcome[MSGB_AUDIT_OUTCOME + 1], error[MSGB_AUDIT_ERROR + 1];
	struct audit_rec r;
	uint64_t seq = 0;
	uint32_t phase, status = 0;

	if (ipc_get_u32(m, &phase) == -1 || phase < AUDIT_INTENT ||
	    phase > AUDIT_EVENT ||
	    ipc_get_str(m, action, sizeof(action)) == -1 || action[0] == '\0' ||
	    ipc_get_str(m, ns, sizeof(ns)) == -1 ||
	    ipc_get_str(m, name, sizeof(name)) == -1 ||
	    ipc_get_str(m, uid, sizeof(uid)) == -1 ||
	    ipc_get_str(m, ctr, sizeof(ctr)) == -1 ||
	    ipc_get_str(m, image, sizeof(image)) == -1 ||
	    ipc_get_str(m, details, sizeof(details)) == -1 ||
	    ipc_get_str(m, outcome, sizeof(outcome)) == -1 ||
	    ipc_get_str(m, error, sizeof(error)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	memset(&r, 0, sizeof(r));
	r.actor = "executor";
	r.action = action;
	r.phase = phase_name(phase);
	r.pod_ns = ns[0] ? ns : NULL;
	r.pod_name = name[0] ? name : NULL;
	r.pod_uid = uid[0] ? uid : NULL;
	r.container = ctr[0] ? ctr : NULL;
	r.image = image[0] ? image : NULL;
	r.details = details[0] ? details : NULL;
	r.outcome = outcome[0] ? outcome : NULL;
	r.error = error[0] ? error : NULL;
	status = agentd_audit(agentd_env, &r, &seq) == -1 ? 1 : 0;
	audit_ack(c, m->id, seq, status);
	return 0;
}

static void
worker_gone(struct agentd *env, struct worker *w, int status)
{
	char how[64], details[256], pid[16];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
	ipc_chan_free(w->chan);
	ipc_chan_free(w->audit_chan);
	w->chan = w->audit_chan = NULL;
	w->state = WORKER_DOWN;
	control_worker_gone(env, w->role);
	apigrant_worker_gone(env, w);
	snprintf(pid, sizeof(pid), "%d", (int)w->pid);
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "pid", pid);
	auditfmt_details_add(details, sizeof(details), "status", how);
	w->pid = 0;
	if (env->shutting_down) {
		log_info("%s %s", w->exe, how);
		return;
	}
	if (time(NULL) - w->started_at >= RESTART_BACKOFF_RESET_S)
		w->backoff_ms = RESTART_BACKOFF_MIN_MS;
	w->restarts++;
	log_warnx("%s %s; restarting in %u ms (restart %u)", w->exe, how,
	    w->backoff_ms, w->restarts);
	agentd_audit_worker(env, role_name(w->role), "worker.restart", details,
	    "restarting", how);
	notify_send("STATUS=restarting %s: %s", w->exe, how);
	schedule_restart(env, w);
}

/* the next spawn after the current backoff, which then doubles */
static void
schedule_restart(struct agentd *env, struct worker *w)
{
	struct timeval tv;

	tv.tv_sec = w->backoff_ms / 1000;
	tv.tv_usec = (w->backoff_ms % 1000) * 1000;
	evtimer_add(w->restart_ev, &tv);
	w->backoff_ms = w->backoff_ms * 2 > RESTART_BACKOFF_MAX_MS ?
	    RESTART_BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static int
all_down(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;

	WORKER_FOREACH(env, p, w)
		if (w->state != WORKER_DOWN)
			return 0;
	return 1;
}

void
supervise_reap(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		WORKER_FOREACH(env, p, w)
			if (w->pid == pid)
				worker_gone(env, w, status);
	if (env->shutting_down && all_down(env))
		event_base_loopbreak(env->base);
}

void
supervise_shutdown(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;
	struct ipc_msg m;

	WORKER_FOREACH(env, p, w) {
		evtimer_del(w->restart_ev);
		if (w->state == WORKER_DOWN || w->pid <= 0)
			continue;
		if (w->state == WORKER_STOPPING) {
			kill(w->pid, SIGKILL);
			continue;
		}
		w->state = WORKER_STOPPING;
		ipc_msg_init(&m, MSG_SHUTDOWN, 0);
		if (w->chan == NULL || ipc_send(w->chan, &m) == -1)
			kill(w->pid, SIGTERM);
	}
	if (all_down(env))
		event_base_loopbreak(env->base);
}

int
supervise_all_up(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;

	WORKER_FOREACH(env, p, w)
		if (w->state != WORKER_UP)
			return 0;
	return 1;
}

/* "watcher, netparse, executor and reporter": the READY status line */
const char *
supervise_names(struct agentd *env)
{
	static char buf[256];
	const struct proc_desc *p;
	struct worker *w;
	size_t n = 0, i = 0;

	WORKER_FOREACH(env, p, w)
		n++;
	buf[0] = '\0';
	WORKER_FOREACH(env, p, w) {
		i++;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    i == 1 ? "" : i == n ? " and " : ", ", p->name);
	}
	return buf;
}

/* the workers' rows, for agentctl status (control.c) */
void
supervise_foreach(struct agentd *env, void (*cb)(struct worker *, void *),
    void *arg)
{
	const struct proc_desc *p;
	struct worker *w;

	WORKER_FOREACH(env, p, w)
		cb(w, arg);
}

/*
 * Feed the watchdog only while agentd is doing its job: every running
 * worker answered the last ping.  A worker that died and waits for its
 * restart, or has just been started, is being handled, not wedged; one
 * that never says hello within WORKER_HELLO_TIMEOUT_S is.
 */
int
supervise_all_answering(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;

	WORKER_FOREACH(env, p, w) {
		switch (w->state) {
		case WORKER_UP:
			if (w->pong_seq != w->ping_seq)
				return 0;
			break;
		case WORKER_STARTING:
			if (time(NULL) - w->started_at > WORKER_HELLO_TIMEOUT_S)
				return 0;
			break;
		case WORKER_DOWN:
			if (!evtimer_pending(w->restart_ev, NULL))
				return 0;
			break;
		case WORKER_STOPPING:
			return 0;
		}
	}
	return 1;
}

void
supervise_ping(struct agentd *env)
{
	const struct proc_desc *p;
	struct worker *w;
	struct ipc_msg m;

	WORKER_FOREACH(env, p, w) {
		if (w->state != WORKER_UP || w->killed_by_us ||
		    check_unresponsive(env, w))
			continue;
		ipc_msg_init(&m, MSG_PING, 0);
		ipc_put_u64(&m, ++w->ping_seq);
		ipc_send(w->chan, &m);
	}
}

int
supervise_forward(struct agentd *env, enum proc_role role, struct ipc_msg *m)
{
	struct worker *w = supervise_worker(env, role);

	if (w == NULL || w->state != WORKER_UP) {
		ipc_msg_free(m);
		return -1;
	}
	return ipc_send(w->chan, m);
}
