/*
 * The executor's private interface between executor.c (process, IPC,
 * audit channel) and lifecycle.c (the pod state machine).
 */
#ifndef AGENTD_EXECUTOR_H
#define AGENTD_EXECUTOR_H

#include <stdint.h>

#include "pod.h"
#include "runtime.h"

#define SYNC_INTERVAL_MS	1000	/* like the kubelet's PLEG relist */
#define SYNC_BUSY_MS		200	/* while pods are terminating */
/*
 * A pod set change is acted on this soon, but never sooner than one relist
 * per this period however many sets arrive (a flood of PODSET_END must not
 * become a flood of full relists, each a runtime `state` per container).
 */
#define PODSET_SYNC_COALESCE_MS	100
#define BACKOFF_INITIAL_S	10	/* kubelet crash-loop backoff */
#define BACKOFF_MAX_S		300
#define BACKOFF_RESET_S		600	/* ran this long: backoff forgotten */
/* a failed sandbox is retried after the same 10 s doubling to 300 s */
#define AUDIT_ACK_TIMEOUT_MS	10000
#define AUDIT_REFUSED		"the audit log cannot record the action; " \
				"nothing was done (see agentd's log)"

struct xctr {
	char			 id[RT_ID_MAX];	/* "" = no container now */
	uint32_t		 restart_count;
	uint8_t			 state;		/* enum container_state */
	char			 reason[64];
	char			 message[POD_MAX_REASON];
	struct rt_cstate	 cs;
	int			 exit_seen;	/* this exit already handled */
	int			 has_last;
	struct container_term	 last;
	uint32_t		 backoff_s;
	int64_t			 backoff_until_ns;
	char			 image_id[POD_MAX_IMAGE + POD_MAX_ID];
};

enum xpod_phase {
	XPOD_ACTIVE = 0,
	XPOD_STOPPING,		/* stop signal sent, waiting for grace */
	XPOD_KILLED,		/* SIGKILL sent, waiting for exit */
};

struct xpod {
	struct pod		 pod;
	int			 has_spec;	/* adopted pods lack one */
	char			 spec_hash[72];
	int			 desired;	/* in the latest pod set */
	int			 policy_checked;
	int			 denied;
	char			 deny_reason[POD_MAX_REASON];
	int			 has_sandbox;
	struct rt_sandbox	 sb;
	int64_t			 start_time_ns;
	int			 terminating;
	enum xpod_phase		 phase;
	int64_t			 deadline_ns;
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
	struct xctr		 ctrs[POD_MAX_CONTAINERS];
	/* adopted containers before the spec is known: name -> id */
	struct rt_labels	 adopted[POD_MAX_CONTAINERS];
	char			 adopted_ids[POD_MAX_CONTAINERS][RT_ID_MAX];
	uint32_t		 n_adopted;
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
void	 exec_sync_soon(void);	/* after a pod set change */
const struct rt_info *exec_rt_info(void);
const struct agentd_config *exec_conf(void);

/* lifecycle.c */
void	 lc_adopt(const char *id, const struct rt_labels *, void *);
void	 lc_podset_begin(void);
int	 lc_podset_add(struct pod *, const char *spec_hash);
int	 lc_podset_has_uid(const char *);
size_t	 lc_podset_pending(void);
int	 lc_podset_seen(void);
void	 lc_podset_end(void);
int	 lc_sync_all(void);
void	 lc_resend_all(void);
size_t	 lc_send_dirty(void);
#ifdef AGENTD_TEST_HOOKS
extern uint32_t	 lc_relists;
#endif
size_t	 lc_count(void);
int	 lc_fill_report(struct xpod *, struct pod_report *);

#endif
