/*
 * The node policy check: the executor runs every pod it is asked to start
 * through policy_check() before it touches the host, and writes
 * policy_describe() into the audit record either way.  Pure functions:
 * no I/O, no allocation, deterministic.
 */
#ifndef AGENTD_EXECUTOR_POLICY_H
#define AGENTD_EXECUTOR_POLICY_H

#include <stddef.h>

struct node_policy;
struct pod;

#define POLICY_MAX_RULE		64
#define POLICY_MAX_FIELD	256
#define POLICY_MAX_REASON	512

/*
 * rule names: "hostNetwork", "hostPID", "hostIPC", "privileged",
 * "allowPrivilegeEscalation", "capabilities", "runAsUser",
 * "runAsNonRoot", "runAsRoot", "hostPort", "allowedHostPaths",
 * "sysctls".  All fields are "" when
 * allowed.
 */
struct policy_verdict {
	int	allowed;
	char	rule[POLICY_MAX_RULE];
	char	field[POLICY_MAX_FIELD];	/* spec.containers[0]... */
	char	reason[POLICY_MAX_REASON];
};

/*
 * The running kernel's release ("6.1.0"): which of the kubelet's safe
 * sysctls it namespaces.  Unset, the version-gated ones are unsafe.
 */
void	policy_set_kernel_release(const char *);

/* 1 when the pod is allowed, 0 with the first violation in *v */
int	policy_check(const struct node_policy *, const struct pod *,
	    struct policy_verdict *);

/*
 * "privileged=0;hostNetwork=0;hostPID=0;hostIPC=0;caps_add=NET_ADMIN;
 * runAsUser=1000" for the audit log: privileged if any container is,
 * caps_add the union over containers, runAsUser the effective uid of each
 * container in order ("unset": the image decides).  Always NUL-terminated;
 * a truncated result ends in "...".
 */
void	policy_describe(const struct pod *, char *buf, size_t len);

/*
 * The allowedHostPaths entry that admits path (a writable one before a
 * read-only one), NULL when none does
 */
struct host_path_rule;
const struct host_path_rule *policy_host_path_match(const struct node_policy *,
	    const char *path);

/* 1 if the capability (with or without "CAP_", any case) is in the
 * runtime's default container set */
int	policy_cap_is_default(const char *);

#endif
