/*
 * The parent process: shared state of main.c, supervise.c, control.c,
 * staticdir.c and notify.c.  Only agentd includes this header.
 */
#ifndef AGENTD_AGENTD_H
#define AGENTD_AGENTD_H

#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "msgcat.h"

struct event_base;
struct ipc_chan;
struct ipc_msg;
struct audit_log;

#define RESTART_BACKOFF_MIN_MS	200
#define RESTART_BACKOFF_MAX_MS	30000
/* a worker that stayed up this long has its backoff reset */
#define RESTART_BACKOFF_RESET_S	60
#define SHUTDOWN_GRACE_MS	5000	/* workers get this long to exit */
#define WORKER_HELLO_TIMEOUT_S	10	/* a silent new worker is wedged */
/*
 * A sandboxed worker that left this many pings in a row unanswered is
 * stopped (SIGSTOP) or wedged: it is killed, audited and restarted.  The
 * executor is exempt: it blocks in runtime calls for up to their own
 * timeouts, and killing it there would leave half-done actions.
 */
#define WORKER_MAX_MISSED_PONGS	3
/* the fd number the child execs from (above the fixed worker fds) */
#define WORKER_EXE_FD		6

enum worker_state {
	WORKER_DOWN = 0,	/* not running; a restart may be scheduled */
	WORKER_STARTING,	/* forked, no HELLO yet */
	WORKER_UP,
	WORKER_STOPPING
};

struct proc_desc;

struct worker {
	const struct proc_desc	*proc;		/* its process table row */
	enum proc_role		 role;
	const char		*exe;		/* "agentd-watcher" ... */
	pid_t			 pid;
	enum worker_state	 state;
	uint32_t		 restarts;
	uint32_t		 backoff_ms;
	time_t			 started_at;
	struct ipc_chan		*chan;
	struct ipc_chan		*audit_chan;	/* PROC_F_AUDIT_CHAN */
	struct event		*restart_ev;
	uint64_t		 ping_seq;	/* last PING sent */
	uint64_t		 pong_seq;	/* last PONG received */
	int			 killed_by_us;	/* protocol violation */
};

struct agentd {
	struct agentd_config	 conf;
	struct event_base	*base;
	struct worker		 workers[ROLE_MAX];	/* by role, the rows
							   of proc_table */
	struct audit_log	*audit;
	int			 audit_failed;	/* fail closed until it works */
	int			 shutting_down;
};

extern struct agentd *agentd_env;

/* supervise.c */
void	 supervise_init(struct agentd *);
void	 supervise_start_all(struct agentd *);
void	 supervise_reap(struct agentd *);
void	 supervise_shutdown(struct agentd *);
int	 supervise_all_up(struct agentd *);
const char *supervise_names(struct agentd *);
void	 supervise_foreach(struct agentd *, void (*)(struct worker *, void *),
	    void *);
int	 supervise_all_answering(struct agentd *);
void	 supervise_ping(struct agentd *);
void	 supervise_chan_error(struct ipc_chan *, const char *, void *);
struct worker *supervise_worker(struct agentd *, enum proc_role);
/* forward a request to a worker; replies come back by id to the caller */
int	 supervise_forward(struct agentd *, enum proc_role, struct ipc_msg *);
/* a protocol violation: the worker is killed, audited and restarted */
void	 supervise_violation(struct agentd *, struct worker *, const char *);

/* control.c */
int	 control_init(struct agentd *);
void	 control_cleanup(struct agentd *);
/* a reply chunk or end from a worker, for the control client with this id */
void	 control_relay(struct agentd *, uint32_t id, int end, struct ipc_msg *);
void	 control_worker_gone(struct agentd *, enum proc_role);

/*
 * workerexec.c: an fd of dir/name for fexecve, after checking every
 * directory of the path and the file itself (root-owned, not writable by
 * group or others, no symlink at the end); -1 (ENOENT if absent) and why
 */
int	 worker_exe_open(const char *dir, const char *name, char *err,
	    size_t errlen);

/* nodeip.c: node_ips from nodeIP or the default routes' interfaces */
void	 nodeip_resolve(struct agentd_config *);

/*
 * dirwatch.c: changed() runs after a burst of inotify events has settled,
 * and every period_s while the directory is not watched (it does not
 * exist yet), or always with DIRWATCH_RESCAN_ALWAYS; NULL: no memory
 */
#define DIRWATCH_RESCAN_ALWAYS	0x1
struct dirwatch;
struct dirwatch *dirwatch_new(struct event_base *, const char *path,
	    int period_s, int flags, void (*changed)(void *), void *arg);
int	 dirwatch_rewatch(struct dirwatch *);	/* 1: watched now */

/* staticdir.c */
int	 staticdir_init(struct agentd *);
void	 staticdir_send_all(struct agentd *);	/* full scan to the watcher */
int	 staticdir_done(struct agentd *, struct ipc_chan *, uint32_t gen);

/*
 * events.c: InvalidManifest events, logged and kept for the reporter;
 * log_it is 0 when the audit log summed the rejection up (a flood), so
 * that the log line follows the audit record
 */
void	 events_manifest_rejected(struct agentd *, const char *file,
	    const char *field, const char *reason, int log_it);
void	 events_reporter_up(struct agentd *);	/* resend them all */

/*
 * cniwatch.c: the pod network agentd sees in cniConfDir (the executor
 * reads the same directory for every sandbox); a change is one log line
 * and a network.config audit record
 */
int	 cniwatch_init(struct agentd *);
int	 cniwatch_ready(void);	/* a CNI configuration is loaded */
void	 cniwatch_send(struct agentd *);	/* MSG_NODE_NETWORK */
struct cJSON;
void	 cniwatch_status(struct cJSON *);	/* agentctl status "network" */

/*
 * apigrant.c: API mode in agentd.  At start the kubeconfig (root, before
 * any worker runs); then each watcher and reporter that says hello gets
 * the server and the trust material (MSG_API_CREDS) and, with a client
 * key, its signer channel (MSG_API_SIGNER); each MSG_API_CONNECT is a
 * socket agentd connects, to the kubeconfig's server only, and passes
 * back, or a reason why not.  Every grant and failure is audited
 * (api.connect); requests past the bounds are refused, counted and
 * audited at most once a minute.
 */
#define APIGRANT_MAX_INPROGRESS	4	/* connects under way, per worker */
#define APIGRANT_MAX_PER_WINDOW	60	/* requests admitted per window */
#define APIGRANT_WINDOW_S	60	/* ... and for the refusal summary */
#define APIGRANT_TIMEOUT_MS	10000	/* one request, all its addresses */
#define APIGRANT_ADDR_MIN_MS	2000	/* an address gets at least this */
#define APIGRANT_MAX_ADDRS	8	/* addresses of the host tried */
#define APIGRANT_REFUSED_TOO_MANY "too many connection requests"

struct worker;
struct cJSON;
/* 0 (standalone too), or -1 and why, naming the file and the field */
int	 apigrant_init(struct agentd *, char *err, size_t errlen);
int	 apigrant_on(void);
void	 apigrant_worker_up(struct agentd *, struct worker *);
void	 apigrant_worker_gone(struct agentd *, struct worker *);
int	 apigrant_connect(struct ipc_chan *, struct ipc_msg *, void *);
int	 apigrant_auth(struct ipc_chan *, struct ipc_msg *, void *);
int	 apigrant_pod_refused(struct ipc_chan *, struct ipc_msg *, void *);
void	 apigrant_status(struct cJSON *);	/* agentctl status "api" */
void	 apigrant_cleanup(void);

/*
 * apilimit.c, the pure parts of apigrant.c (unit tested).  A sliding
 * window: at most APIGRANT_MAX_PER_WINDOW admissions in any
 * APIGRANT_WINDOW_S seconds.
 */
struct apirate {
	int64_t		 t[APIGRANT_MAX_PER_WINDOW];	/* admissions, a ring */
	size_t		 next;
	size_t		 n;
};
/* 1: admitted at now (and counted), 0: over the bound */
int	 apirate_admit(struct apirate *, int64_t now_s);
/*
 * Refusals: the first is reported at once, later ones are counted and
 * reported together once APIGRANT_WINDOW_S has passed since the last
 * report, so that a worker cannot make agentd write more than one
 * record a window.
 */
struct apirefusals {
	uint64_t	 pending;	/* counted, not reported yet */
	int64_t		 last_report;
	int		 reported;	/* last_report is set */
};
/* one more refusal: 1 and *count to report now, 0: counted for later */
int	 apirefusal_note(struct apirefusals *, int64_t now_s,
	    uint64_t *count);
/* the summary is due: 1 and *count; 0: nothing to report yet */
int	 apirefusal_due(struct apirefusals *, int64_t now_s, uint64_t *count);
/* seconds until the summary of what is pending is due (>= 0); -1 none */
int64_t	 apirefusal_wait(const struct apirefusals *, int64_t now_s);
struct sockaddr;
/* "192.0.2.1:6443", "[2001:db8::1]:6443"; "?" for another family */
void	 apigrant_addrstr(const struct sockaddr *, char *, size_t);
/* https://HOST:PORT with an IPv6 literal in brackets */
void	 apigrant_url(const char *host, uint16_t port, char *, size_t);
/* the time an address of n left gets out of remaining_ms (>= 1) */
int64_t	 apigrant_attempt_ms(int64_t remaining_ms, unsigned left);

/* notify.c: sd_notify(3) without libsystemd */
void	 notify_init(struct agentd *);
void	 notify_send(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* main.c: audit helpers used across the parent */
struct audit_rec;
int	 agentd_audit(struct agentd *, const struct audit_rec *, uint64_t *);
int	 agentd_audit_event(struct agentd *, const char *actor,
	    const char *action, const char *details, const char *outcome,
	    const char *error);
/* the same for what a worker can cause: rate-limited, budgeted; 1: not
   written by design (over the rate), 0 written, -1 failed */
int	 agentd_audit_worker(struct agentd *, const char *actor,
	    const char *action, const char *details, const char *outcome,
	    const char *error);

#endif
