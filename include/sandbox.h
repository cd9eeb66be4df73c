/*
 * Privilege drop and seccomp policies.  Every step is checked and fatal on
 * failure: a worker that cannot sandbox itself must not run.
 */
#ifndef AGENTD_SANDBOX_H
#define AGENTD_SANDBOX_H

#include "msgcat.h"

enum sandbox_profile {
	SANDBOX_WATCHER = 1,
	SANDBOX_REPORTER,
	SANDBOX_EXECUTOR,
	SANDBOX_NOOP,		/* test builds: the smallest allowlist */
	SANDBOX_NETPARSE,	/* worker_allow and nothing else */
	SANDBOX_API,		/* the watcher and the reporter in API mode:
				   TLS over a granted socket */
	SANDBOX_PROBE		/* agentd-probe: connect the one socket it
				   was given, speak HTTP(S) on it */
};

struct agentd_config;

/* watcher, reporter: chroot, drop to user, no caps, no_new_privs, seccomp */
void	sandbox_enter(const char *user, const char *chroot_dir,
	    enum sandbox_profile);
/*
 * the sandbox of a worker's row in the process table (include/proctab.h):
 * its user (root: only the executor's denylist) and its seccomp profile
 */
void	worker_sandbox(const struct agentd_config *, enum proc_role);
/* sandboxed workers are killed first when memory runs out */
#define SANDBOX_OOM_SCORE_ADJ	"500"

/* SIGKILL when agentd dies (a stopped worker must not outlive it) */
void	worker_die_with_parent(void);
/* refuse to run unless started by agentd: fds and environment as expected */
void	sandbox_check_started_by_agentd(const char *role);

#endif
