/*
 * Pod sysctls (spec.securityContext.sysctls): the API server's name rules,
 * the kubelet's namespace rules and safe set (pkg/kubelet/sysctl), and
 * the node policy's allowedUnsafeSysctls patterns.  common/sysctl.c, in
 * libcommon.a: the watcher checks names, agentd the policy's patterns,
 * the executor all of it again (it trusts no watcher).
 */
#ifndef AGENTD_SYSCTL_H
#define AGENTD_SYSCTL_H

#include <stddef.h>

#define SYSCTL_MAX_NAME		253	/* SysctlMaxLength */
#define SYSCTL_MAX_VALUE	1024

enum sysctl_ns {
	SYSCTL_NS_NONE = 0,	/* not known to be namespaced: refused */
	SYSCTL_NS_IPC,
	SYSCTL_NS_NET
};

/*
 * in is a name as the API accepts it, segments separated by '.' or '/';
 * out (at least SYSCTL_MAX_NAME + 1 bytes) gets it with '.' separators.
 * NULL, or why the name is refused.
 */
const char	*sysctl_name_canon(const char *in, char *out, size_t outlen);
/* an allowedUnsafeSysctls item: a name, or a name prefix and a final "*" */
const char	*sysctl_pattern_canon(const char *in, char *out,
		    size_t outlen);
/* a value: printable, no newline; NULL or why not */
const char	*sysctl_value_check(const char *value);
/* the namespace a canonical name belongs to (namespace.go) */
enum sysctl_ns	 sysctl_namespace(const char *name);
const char	*sysctl_ns_name(enum sysctl_ns);
/*
 * The kubelet's safe set for a kernel release ("6.1.0-13-amd64"): the
 * gated names only from the version that namespaced them.
 */
int		 sysctl_is_safe(const char *name, const char *release);
/* name matches one item of a canonical comma-separated pattern list */
int		 sysctl_list_match(const char *list, const char *name);
/*
 * /proc/sys/... of a canonical name: separators to '/', a '/' inside a
 * segment (a "eth0.100" written "eth0/100") back to '.'.  -1 if too long.
 */
int		 sysctl_proc_path(const char *name, char *out,
		    size_t outlen);

#endif
