/*
 * The descriptors every worker finds at exec (agentd/supervise.c places
 * them; workers/sandbox.c checks them): one header so that the parent and
 * the workers cannot disagree about a number.
 */
#ifndef AGENTD_WORKERFD_H
#define AGENTD_WORKERFD_H

#define WORKER_PARENT_FD	3	/* the channel to agentd */
#define WORKER_AUDIT_FD		4	/* the audit channel (executor only) */
#define WORKER_CONFIG_FD	5	/* a sealed memfd: the parsed config, binary (configbin.c) */

#endif
