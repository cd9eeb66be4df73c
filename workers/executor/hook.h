/*
 * Lifecycle hooks (hook.c): postStart right after a container started,
 * preStop before its stop signal.  exec runs in the container as a job
 * beside the pod's operations (it never takes the pod's busy flag);
 * sleep is a timer of the executor, no job.  The lifecycle asks
 * hook_pre_stop before each stop signal it would send and steps the
 * hooks with hook_pod_step.
 */
#ifndef AGENTD_HOOK_H
#define AGENTD_HOOK_H

#include <stdint.h>

#include "runtime.h"

enum hook_type {
	HOOK_NONE = 0,
	HOOK_POST_START,
	HOOK_PRE_STOP
};

/* a slot's hook: at most one runs, for the container cid only */
struct xhook {
	char		 cid[RT_ID_MAX];
	int		 type;		/* enum hook_type running; NONE: idle */
	uint32_t	 gen;		/* a result of another run is dropped */
	int64_t		 until_ns;	/* a sleep hook ends then */
	int		 post_done;	/* postStart over for cid */
	int		 pre_done;	/* preStop over for cid: signal now */
	int		 killing;	/* postStart failed: stop sent */
	int64_t		 kill_ns;	/* SIGKILL then */
};

struct xpod;
struct xctr;

/* after a container started: its postStart, if it has one */
void	hook_post_start(struct xpod *, struct xctr *);
/* 1 while the container's postStart has not completed */
int	hook_post_start_pending(const struct xctr *);
/*
 * Before the stop signal: 1 when the container's preStop runs now (or
 * was just started) and the signal must wait for it; 0 when it has none
 * or it is over: send the signal.  deadline_ns bounds a sleep.
 */
int	hook_pre_stop(struct xpod *, struct xctr *, int64_t deadline_ns);
void	hook_pod_step(struct xpod *);

#endif
