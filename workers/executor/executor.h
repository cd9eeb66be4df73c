/*
 * The executor's private interface between executor.c (process, IPC,
 * audit channel) and lifecycle.c (the pod state machine).
 */
#ifndef AGENTD_EXECUTOR_H
#define AGENTD_EXECUTOR_H

#include <stdint.h>

#include "pod.h"
#include "hook.h"
#include "probe.h"
#include "runtime.h"

/*
 * Nothing polls: container exits arrive from conmon's exit files
 * (exitwatch.c), job results from the jobs (job.c).  A consistency relist,
 * file reads only, catches what an event could miss (a conmon that died
 * without a word, a container removed underneath us).
 */
#define RELIST_INTERVAL_MS	30000
#define KILL_RECHECK_MS		1000	/* SIGKILL sent: look again this soon */
#define MIN_GRACE_S		2	/* kubelet minimumGracePeriodInSeconds */
/*
 * A pod set change is acted on at once, but never more often than once
 * per this period however many sets arrive: a flood of PODSET_END must
 * not become a flood of steps over every pod.
 */
#define PODSET_SYNC_COALESCE_MS	100
#define BACKOFF_INITIAL_S	10	/* kubelet crash-loop backoff */
#define BACKOFF_MAX_S		300
#define BACKOFF_RESET_S		600	/* ran this long: backoff forgotten */
#define IMAGE_RETRY_S		5	/* a missing image: look again */
#define AUDIT_RETRY_S		2	/* an action the audit log refused */
/* a sandbox removal (a CNI DEL) refused: again until it succeeds */
#define SANDBOX_DEL_RETRY_S	10
/* a failed sandbox is retried after the same 10 s doubling to 300 s */
#define AUDIT_ACK_TIMEOUT_MS	10000
#define AUDIT_REFUSED		"the audit log cannot record the action; " \
				"nothing was done (see agentd's log)"
/* containers, init containers, and as many adopted orphans */
#define XPOD_MAX_SLOTS		(3 * POD_MAX_CONTAINERS)
#define XPOD_HASH_MAX		72	/* a scheme tag and hex SHA-256 */

/*
 * A container slot.  REGULAR slots are spec.containers[spec_index];
 * ORPHAN slots hold a container the runtime has that no spec wants (found
 * at adoption): it is stopped and removed.  INIT and SIDECAR slots are
 * spec.initContainers[spec_index]: an INIT one runs to success before the
 * next starts, and its exited container is kept (so that after a restart
 * of the executor it is known to be done); a SIDECAR (restartPolicy
 * Always) starts in its turn and keeps running beside the containers.
 */
enum slot_kind {
	SLOT_REGULAR = 0,
	SLOT_ORPHAN,
	SLOT_INIT,
	SLOT_SIDECAR,
};

enum xc_state {
	XC_EMPTY = 0,		/* no container: created when due */
	XC_STARTING,		/* container.create job in flight */
	XC_RUNNING,		/* created and started, not known to have exited */
	XC_EXITED,		/* its exit is recorded; restarted when due */
	XC_REMOVING,		/* container.remove job in flight */
};

struct xctr {
	enum slot_kind		 kind;
	enum xc_state		 st;
	int			 spec_index;	/* REGULAR; -1 for an orphan */
	char			 name[POD_MAX_CONTAINER_NAME + 1];
	char			 id[RT_ID_MAX];	/* "" = no container now */
	char			 hash[XPOD_HASH_MAX];	/* of the spec it runs */
	int			 replace;	/* spec changed: stop, start anew */
	int			 discard;	/* debris of a failed start */
	int			 stop_sent;	/* replace: stop signal sent */
	int64_t			 stop_deadline_ns;
	uint32_t		 restart_count;
	uint8_t			 state;		/* enum container_state, reported */
	char			 reason[64];
	char			*message;	/* NULL: none */
	struct rt_cstate	 cs;
	int			 has_last;
	struct container_term	 last;
	uint32_t		 backoff_s;
	int64_t			 backoff_until_ns;
	char			*image_id;	/* ref@digest once resolved */
	int			 init_done;	/* INIT: exited 0, never again */
	int			 term_sent;	/* SIDECAR: stopped at the pod's end */
	struct xprobes		 pr;		/* probe.c */
	struct xhook		 hk;		/* hook.c */
};

/*
 * The pod's state; every transition is made in lifecycle.c pod_step(),
 * one switch.  Termination is requested (terminating = 1) at any time and
 * taken up as soon as no job of the pod is in flight.
 */
enum xpod_state {
	XP_ADOPTED = 0,		/* found running at start; no spec yet */
	XP_ADMIT,		/* accepted; node policy not checked yet */
	XP_DENIED,		/* the node policy refused it */
	XP_SANDBOX,		/* no sandbox: create one when due */
	XP_RUNNING,		/* sandbox up; the slots drive the containers */
	XP_STOPPING,		/* stop signals sent, grace period running */
	XP_KILLING,		/* SIGKILL sent, waiting for the exits */
	XP_TEARDOWN,		/* removing the containers, then the sandbox */
	XP_GONE,		/* nothing left: forgotten */
};

struct xpod {
	struct pod		 pod;
	struct pod		*next_pod;	/* a spec change, applied when idle */
	enum xpod_state		 st;
	int			 has_spec;	/* adopted pods lack one */
	char			 spec_hash[XPOD_HASH_MAX];	/* the sandbox's */
	char			 wire_hash[XPOD_HASH_MAX];	/* its podwire bytes */
	int			 desired;	/* in the latest pod set */
	int			 busy;		/* a job of this pod is in flight */
	char			 deny_reason[POD_MAX_REASON];
	const char		*deny_code;	/* status reason when denied */
	int			 has_sandbox;
	int			 sb_dead;	/* adopted, but not running */
	int			 sb_check;	/* adopted: CNI CHECK due */
	int			 sb_check_fails;	/* CHECKs failed so far */
	int64_t			 sb_check_at;	/* not before this (ns) */
	int			 sb_changed;	/* its CHECK failed */
	struct rt_sandbox	 sb;
	int64_t			 start_time_ns;
	int			 terminating;
	int64_t			 deadline_ns;	/* grace period end */
	int64_t			 deletion_ns;	/* metadata.deletionTimestamp */
	int64_t			 wake_ns;	/* step again then; 0: on events */
	int			 dirty;		/* status to send */
	/*
	 * The reporter connection (exec_send_status's generation, never
	 * 0) on which this pod's spec went out as MSG_POD_DESIRED; 0: not
	 * sent.  Statuses after it carry only the uid and the report.
	 * Contract with the lifecycle: whatever replaces or changes x->pod
	 * of a pod already reported sets spec_sent = 0, so that the next
	 * status sends the new spec first.  A new xpod starts at 0 (calloc).
	 */
	uint32_t		 spec_sent;
	char			 sandbox_error[POD_MAX_REASON];
	uint32_t		 sb_backoff_s;	/* 0: no failure yet */
	int64_t			 sb_retry_ns;	/* not before this */
	int64_t			 sb_del_retry_ns; /* removal, not before */
	/* left by a failed creation (timed out, DEL refused): removed first */
	char			 sb_stray[RT_ID_MAX];
	struct xctr		 ctrs[XPOD_MAX_SLOTS];
	uint32_t		 n_slots;
	/* init containers: all done (or a container ran): never again */
	int			 initialized;
	/* the containers will not run again (restartPolicy, or an init
	   container failed under Never): the sidecars are stopped */
	int			 main_done;
	int64_t			 main_done_deadline_ns;	/* then SIGKILL */
	/*
	 * activeDeadlineSeconds passed (DeadlineExceeded): the pod is
	 * Failed for good, its containers stopped with the grace period
	 * (SIGKILL at failed_kill_ns) and never started again.  Derived
	 * from the start time again after an executor restart.
	 */
	int			 failed;
	int64_t			 failed_kill_ns;	/* 0: stop not sent */
};

/* executor.c */
int	 exec_audit(int phase, const char *action, const struct xpod *,
	    const char *container, const char *image, const char *details,
	    const char *outcome, const char *error);
void	 exec_send_status(struct xpod *);
void	 exec_send_gone(struct xpod *);
void	 exec_event(const struct xpod *, int type, const char *reason,
	    const char *logkey, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void	 exec_step_soon(void);	/* after any event that moves a pod */
const struct rt_info *exec_rt_info(void);
const struct agentd_config *exec_conf(void);
int	 exec_netparse_channel(void);	/* a job's own, or -1 */
int	 exec_netparse_ready(void);	/* its peer channel is connected */

/* lifecycle.c */
void	 lc_adopt(const char *id, const struct rt_labels *, void *);
void	 lc_podset_begin(void);
int	 lc_podset_add(struct pod *, const char *wire_hash);
int	 lc_podset_has_uid(const char *);
size_t	 lc_podset_pending(void);
int	 lc_podset_seen(void);
void	 lc_podset_end(uint32_t flags);	/* PODSET_F_* */
int64_t	 lc_step_all(void);	/* the earliest wake-up asked for; 0: none */
void	 lc_exit_event(const char *id);	/* NULL: events were lost */
void	 lc_relist(void);
void	 lc_image_arrived(void);
void	 lc_resend_all(void);
size_t	 lc_send_dirty(void);
/* for probe.c: a slot's spec, the slot of a container id, signals */
const struct container_spec *lc_slot_spec(const struct xpod *,
	    const struct xctr *);
struct xctr *lc_find_container(const char *id, struct xpod **);
int	 lc_stop_signal(struct xpod *, struct xctr *);
void	 lc_signal_container(struct xpod *, struct xctr *, int sig,
	    const char *why);
#ifdef AGENTD_TEST_HOOKS
extern uint32_t	 lc_relists;
#endif
size_t	 lc_count(void);
int	 lc_fill_report(struct xpod *, struct pod_report *);

#endif
