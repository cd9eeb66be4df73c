/*
 * Runtime jobs: every runtime, conmon, CNI, umoci or skopeo invocation the
 * executor needs runs in a forked child (the job), whose result arrives
 * on the event loop as a fixed-size record over a pipe.  The loop never
 * waits for a runtime: heartbeats, audit acks and other pods' events are
 * served while jobs run.
 *
 * At most `maxParallelRuntimeOps` jobs run at once; the rest wait in
 * submission order.  A job that outlives its timeout is killed with its
 * process group and completes with a reason saying so.  The caller keeps
 * one job per pod in flight, so that one pod's operations run in order
 * (as the kubelet's pod workers do) while different pods proceed in
 * parallel.
 */
#ifndef AGENTD_JOB_H
#define AGENTD_JOB_H

#include <stddef.h>

#include "runtime.h"

#define JOB_WHAT_MAX		48	/* "container.create" and the like */
#define JOB_DEFAULT_PER_CPU	2	/* maxParallelRuntimeOps: 0 */

struct event_base;
struct agentd_config;

/*
 * Everything a job reports, read whole by the executor (a few pipe
 * writes: the output of an exec is more than PIPE_BUF).
 */
struct job_out {
	int			 rc;		/* 0 ok, -1 failed: see msg */
	int			 config;	/* the spec is at fault */
	int			 timed_out;	/* the job's own timeout */
	int			 start_error;	/* rt_err.start */
	char			 msg[RT_ERR_MAX];
	char			 digest[POD_MAX_ID];	/* image import */
	struct rt_sandbox	 sb;		/* sandbox create */
	/* exec jobs (probes, hooks): rc 0 when the command ran */
	int			 exit_code;
	int			 exec_timed_out;	/* its timeoutSeconds */
	char			 output[RT_EXEC_OUT_MAX];	/* NUL-ended */
};

/* runs in the child, on its copy of the executor's memory */
typedef void	(*job_run_fn)(void *arg, struct job_out *);
/* runs in the executor once the child is reaped */
typedef void	(*job_done_fn)(void *ctx, struct job_out *);

struct job;

/*
 * A ready-made job_run_fn for `RUNTIME exec` in a running container
 * (probes, lifecycle hooks): arg is a struct job_exec that must live
 * until the job's done callback (a queued job forks later).  Submit it
 * with a job timeout above timeout_ms (JOB_EXEC_SLACK_MS): the command's
 * own timeout is then the one that ends it, reported as exec_timed_out.
 */
#define JOB_EXEC_SLACK_MS	5000
struct job_exec {
	char			 id[RT_ID_MAX];	/* the container */
	const struct strlist	*cmd;
	int			 timeout_ms;
};
void	 job_run_exec(void *arg, struct job_out *);

void	 job_init(struct event_base *, const struct agentd_config *);
/* NULL only when out of memory; done is always called once otherwise */
struct job *job_submit(const char *what, int timeout_ms, job_run_fn,
	    void *arg, job_done_fn, void *ctx);
size_t	 job_running(void);
size_t	 job_queued(void);
int	 job_timeout_ms(void);	/* runtimeOpTimeoutSeconds */
size_t	 job_max_parallel(void);

#endif
