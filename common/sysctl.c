/*
 * Pod sysctls: names, namespaces, the safe set, the node's patterns
 * (include/sysctl.h).  The rules are Kubernetes': the API server's
 * IsValidSysctlName (pkg/apis/core/validation), the separator conversion
 * of component-helpers' ConvertSysctlVariableToDotsSeparator, the
 * kubelet's NamespacedBy and safe_sysctls.go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysctl.h"

/*
 * The safe set and the kernel each gated name needs (the commit that
 * namespaced it, as safe_sysctls.go cites): 0.0 is always.
 */
static const struct {
	const char	*name;
	unsigned	 major, minor;
} safe_sysctls[] = {
	{ "kernel.shm_rmid_forced",		0, 0 },
	{ "net.ipv4.ip_local_port_range",	0, 0 },
	{ "net.ipv4.tcp_syncookies",		0, 0 },
	{ "net.ipv4.ping_group_range",		0, 0 },
	{ "net.ipv4.ip_unprivileged_port_start", 0, 0 },
	{ "net.ipv4.ip_local_reserved_ports",	3, 16 },
	{ "net.ipv4.tcp_keepalive_time",	4, 5 },
	{ "net.ipv4.tcp_fin_timeout",		4, 6 },
	{ "net.ipv4.tcp_keepalive_intvl",	4, 5 },
	{ "net.ipv4.tcp_keepalive_probes",	4, 5 },
	{ "net.ipv4.tcp_rmem",			4, 15 },
	{ "net.ipv4.tcp_wmem",			4, 15 },
};

static int
seg_char(char c, int edge)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return !edge && (c == '-' || c == '_');
}

/*
 * One segment [s, s + n): [a-z0-9]([-_a-z0-9]*[a-z0-9])?, or as the last
 * of a pattern ([a-z0-9][-_a-z0-9]*)?\* (policyvalidation's pattern).
 */
static int
segment_ok(const char *s, size_t n, int last_of_pattern)
{
	size_t i;

	if (last_of_pattern && n > 0 && s[n - 1] == '*') {
		if (n == 1)
			return 1;
		n--;
		if (!seg_char(s[0], 1))
			return 0;
		for (i = 1; i < n; i++)
			if (!seg_char(s[i], 0))
				return 0;
		return 1;
	}
	if (n == 0 || !seg_char(s[0], 1) || !seg_char(s[n - 1], 1))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!seg_char(s[i], 0))
			return 0;
	return 1;
}

/* segments joined by '.' or '/'; returns the length or -1 */
static int
name_shape(const char *s, int star)
{
	size_t n = strlen(s), seg;
	const char *p = s;

	if (n == 0 || n > SYSCTL_MAX_NAME)
		return -1;
	for (;;) {
		seg = strcspn(p, "./");
		if (!segment_ok(p, seg, star && p[seg] == '\0'))
			return -1;
		if (p[seg] == '\0')
			return (int)n;
		p += seg + 1;
	}
}

/* '/' as the first separator: the two separators swap (eth0.100 in a
   "net/ipv4/conf/eth0.100/rp_filter" name is one segment) */
static void
to_dots(const char *in, char *out, size_t n)
{
	size_t i, first = strcspn(in, "./");
	int swap = in[first] == '/';

	for (i = 0; i < n; i++) {
		out[i] = in[i];
		if (swap && in[i] == '/')
			out[i] = '.';
		else if (swap && in[i] == '.')
			out[i] = '/';
	}
	out[n] = '\0';
}

static const char *
canon(const char *in, char *out, size_t outlen, int star)
{
	int n;

	if (in == NULL || (n = name_shape(in, star)) == -1 ||
	    (size_t)n >= outlen)
		return star ? "must have at most 253 characters, be "
		    "segments of lowercase letters, digits, '-' and '_' "
		    "joined by '.' or '/', and end in '*' only as a prefix" :
		    "must have at most 253 characters and match the regex "
		    "([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*"
		    "[a-z0-9]([-_a-z0-9]*[a-z0-9])?";
	to_dots(in, out, (size_t)n);
	return NULL;
}

const char *
sysctl_name_canon(const char *in, char *out, size_t outlen)
{
	return canon(in, out, outlen, 0);
}

const char *
sysctl_pattern_canon(const char *in, char *out, size_t outlen)
{
	const char *why;
	size_t n;

	if ((why = canon(in, out, outlen, 1)) != NULL)
		return why;
	n = strlen(out);
	/* the kubelet's NewAllowlist: the prefix must be namespaced */
	if (out[n - 1] == '*') {
		out[n - 1] = '\0';
		why = sysctl_namespace(out) == SYSCTL_NS_NONE ?
		    "names sysctls not known to be namespaced" : NULL;
		out[n - 1] = '*';
		return why;
	}
	return sysctl_namespace(out) == SYSCTL_NS_NONE ?
	    "names a sysctl not known to be namespaced" : NULL;
}

const char *
sysctl_value_check(const char *value)
{
	const unsigned char *p;

	if (value == NULL)
		return NULL;		/* "": the model's NULL */
	if (strlen(value) > SYSCTL_MAX_VALUE)
		return "is longer than 1024 bytes";
	/* /proc/sys takes one line; tabs separate tcp_rmem's numbers */
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return "must not contain control characters";
	return NULL;
}

enum sysctl_ns
sysctl_namespace(const char *name)
{
	if (strcmp(name, "kernel.sem") == 0 ||
	    strncmp(name, "kernel.shm", 10) == 0 ||
	    strncmp(name, "kernel.msg", 10) == 0 ||
	    strncmp(name, "fs.mqueue.", 10) == 0)
		return SYSCTL_NS_IPC;
	if (strncmp(name, "net.", 4) == 0)
		return SYSCTL_NS_NET;
	return SYSCTL_NS_NONE;
}

const char *
sysctl_ns_name(enum sysctl_ns ns)
{
	return ns == SYSCTL_NS_IPC ? "IPC" : ns == SYSCTL_NS_NET ?
	    "network" : "no";
}

/* release "M.m..." at least major.minor; an unparsable one is not */
static int
kernel_at_least(const char *release, unsigned major, unsigned minor)
{
	unsigned long ma, mi;
	char *end;

	if (major == 0 && minor == 0)
		return 1;
	if (release == NULL)
		return 0;
	ma = strtoul(release, &end, 10);
	if (end == release || *end != '.')
		return 0;
	release = end + 1;
	mi = strtoul(release, &end, 10);
	if (end == release)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

int
sysctl_is_safe(const char *name, const char *release)
{
	size_t i;

	for (i = 0; i < sizeof(safe_sysctls) / sizeof(safe_sysctls[0]); i++)
		if (strcmp(name, safe_sysctls[i].name) == 0)
			return kernel_at_least(release, safe_sysctls[i].major,
			    safe_sysctls[i].minor);
	return 0;
}

int
sysctl_list_match(const char *list, const char *name)
{
	size_t n, nlen = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n > 0 && p[n - 1] == '*') {
			if (nlen >= n - 1 && strncmp(p, name, n - 1) == 0)
				return 1;
		} else if (n == nlen && strncmp(p, name, n) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int
sysctl_proc_path(const char *name, char *out, size_t outlen)
{
	size_t i, pre = strlen("/proc/sys/"), n = strlen(name);

	if (pre + n + 1 > outlen)
		return -1;
	memcpy(out, "/proc/sys/", pre);
	for (i = 0; i < n; i++)
		out[pre + i] = name[i] == '.' ? '/' : name[i] == '/' ? '.' :
		    name[i];
	out[pre + n] = '\0';
	return 0;
}
