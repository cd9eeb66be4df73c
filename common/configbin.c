/*
 * The configuration every binary shares: the field table, the defaults,
 * and the binary form in which agentd hands the parsed configuration to
 * its workers (include/config.h).  Nothing here parses YAML, so a worker
 * links no libyaml and runs no YAML parser, not even on bytes agentd
 * wrote.
 *
 * The binary form, all integers big-endian:
 *
 *	header	"AGCF"  u16 version  u16 zero  u32 length of the records
 *	record	u16 tag  u16 length  value
 *
 * A string is its bytes without the NUL; every number (bool, enum, uint)
 * is a u64; allowedCapabilities is one record per name.  The decoder
 * treats the memfd as untrusted input: every length is checked against
 * what is left and against the destination, each value against the same
 * bounds the YAML parser enforces, a field given twice is refused, and an
 * unknown tag (a newer agentd) is skipped, so that a missing field keeps
 * its default.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "config.h"
#include "log.h"
#include "pathname.h"
#include "sysctl.h"

#define OS(f)	offsetof(struct agentd_config, f), \
		sizeof(((struct agentd_config *)0)->f)
#define F(f)	OS(f), 0, 0, 0
#define FB(f, lo, hi)	OS(f), lo, hi, 0
#define FO(f)	OS(f), 0, 0, 1		/* a path that may be "" */
#define P(f)	F(policy.f)

/* tags are the binary form's: append new fields, never renumber */
const struct config_field config_fields[] = {
	{ NULL,			1,  CFG_STR,	F(path) },
	{ "nodeName",		2,  CFG_STR,	F(node_name) },
	{ "staticPodPath",	3,  CFG_PATH,	F(static_pod_path) },
	{ "rootDir",		4,  CFG_PATH,	F(root_dir) },
	{ "runDir",		5,  CFG_PATH,	F(run_dir) },
	{ "podLogsDir",		6,  CFG_PATH,	F(pod_logs_dir) },
	{ "cgroupRoot",		7,  CFG_PATH,	F(cgroup_root) },
	{ "privsepUser",	8,  CFG_STR,	F(privsep_user) },
	{ "reporterUser",	9,  CFG_STR,	F(reporter_user) },
	{ "privsepChroot",	10, CFG_PATH,	F(privsep_chroot) },
	{ "libexecDir",		11, CFG_PATH,	F(libexec_dir) },
	{ "auditLog",		12, CFG_PATH,	F(audit_log) },
	{ "auditKeyFile",	13, CFG_PATH,	FO(audit_key_file) },
	{ "auditMaxBytes",	14, CFG_UINT,	F(audit_max_bytes) },
	{ "auditFsync",		15, CFG_BOOL,	F(audit_fsync) },
	{ "auditAnchorFile",	16, CFG_PATH,	FO(audit_anchor_file) },
	{ "logLevel",		17, CFG_LOGLEVEL, F(log_level) },
	{ "syslog",		18, CFG_BOOL,	F(use_syslog) },
	{ "runtime",		19, CFG_RUNTIME, F(runtime) },
	{ "runtimePath",	20, CFG_PATH,	FO(runtime_path) },
	{ "storageDriver",	21, CFG_STORAGE, F(storage_driver) },
	{ "conmonPath",		22, CFG_PATH,	FO(conmon_path) },
	{ "cniBinDir",		23, CFG_PATH,	F(cni_bin_dir) },
	{ "staticPodRescanSeconds", 24, CFG_UINT, F(static_rescan_seconds) },
	{ "heartbeatSeconds",	25, CFG_UINT,	F(watchdog_ping_seconds) },
	{ "maxParallelRuntimeOps", 26, CFG_UINT, FB(max_runtime_ops,
	    0, CONFIG_MAX_RUNTIME_OPS) },
	{ "runtimeOpTimeoutSeconds", 27, CFG_UINT, FB(runtime_op_timeout,
	    1, 3600) },
	{ "allowPrivileged",	28, CFG_BOOL,	P(allow_privileged) },
	{ "allowHostNetwork",	29, CFG_BOOL,	P(allow_host_network) },
	{ "allowHostPID",	30, CFG_BOOL,	P(allow_host_pid) },
	{ "allowHostIPC",	31, CFG_BOOL,	P(allow_host_ipc) },
	{ "allowRunAsRoot",	32, CFG_BOOL,	P(allow_run_as_root) },
	{ "allowedCapabilities", 33, CFG_CAPLIST, P(allowed_caps) },
	{ "allowPrivilegedHostPorts", 35, CFG_BOOL,
	    P(allow_privileged_host_ports) },
	{ "cniConfDir",		34, CFG_PATH,	F(cni_conf_dir) },
	/* 36..39 are left for more network keys */
	{ "nodeIP",		40, CFG_NODEIP,	FO(node_ip) },
	{ "clusterDNS",		41, CFG_IPLIST,	OS(cluster_dns), 0,
	    CONFIG_MAX_DNS, 1 },
	{ "clusterDomain",	42, CFG_DOMAIN,	F(cluster_domain) },
	{ NULL,			43, CFG_NODEIP,	FO(node_ips) },
	{ "forbiddenHostPorts",	44, CFG_PORTLIST,
	    OS(policy.forbidden_host_ports), 0, CONFIG_MAX_PORT_RANGES, 1 },
	{ "maxPods",		45, CFG_UINT,	FB(max_pods, 1,
	    CONFIG_MAX_MAX_PODS) },
	{ "kubeconfig",		46, CFG_PATH,	FO(kubeconfig) },
	{ "allowInsecureAPIServer", 47, CFG_BOOL, F(allow_insecure_api) },
	{ "containerLogMaxSize", 48, CFG_QUANTITY, FB(container_log_max_size,
	    CONFIG_MIN_LOG_MAX_SIZE, CONFIG_MAX_LOG_MAX_SIZE) },
	/* the kubelet refuses fewer than 2: the current and one rotated */
	{ "containerLogMaxFiles", 49, CFG_UINT, FB(container_log_max_files,
	    2, CONFIG_MAX_LOG_MAX_FILES) },
	/* 50..54: volumes (issue 14); one record per entry, like caps */
	{ "allowedHostPaths",	50, CFG_HOSTPATHS, P(allowed_host_paths) },
	/* 60-64: sysctls (issue 14) */
	{ "allowedUnsafeSysctls", 60, CFG_SYSCTLLIST,
	    OS(policy.allowed_unsafe_sysctls), 0, CONFIG_MAX_SYSCTL_PATTERNS,
	    1 },
	/* every container with no_new_privs (policy.c, bundle.c) */
	{ "forceNoNewPrivileges", 55, CFG_BOOL, P(force_no_new_privs) },
	/* the pod cgroup's pids.max; 0, the default, for none */
	{ "podPidsLimit",	56, CFG_UINT,	FB(pod_pids_limit, 0,
	    CONFIG_MAX_POD_PIDS) },
#ifdef AGENTD_TEST_HOOKS
	/* test builds only: a release build refuses them as unknown keys */
	{ "testPodwireVersionBump", 100, CFG_BOOL, F(test_podwire_bump) },
	{ "testPodwireExtraField", 101, CFG_BOOL, F(test_podwire_extra) },
	/* 0: the kubelet's 10 s */
	{ "testContainerLogMonitorMs", 148, CFG_UINT, FB(test_log_monitor_ms,
	    0, 60000) },
#endif
};
const size_t config_nfields = sizeof(config_fields) / sizeof(config_fields[0]);

_Static_assert(sizeof(config_fields) / sizeof(config_fields[0]) <=
    CONFIG_MAX_FIELDS, "CONFIG_MAX_FIELDS too small");

void
config_defaults(struct agentd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", CONFIG_DEFAULT_PATH);
	if (gethostname(c->node_name, sizeof(c->node_name)) == -1)
		snprintf(c->node_name, sizeof(c->node_name), "localhost");
	snprintf(c->static_pod_path, sizeof(c->static_pod_path),
	    "/etc/agentd/pods");
	snprintf(c->root_dir, sizeof(c->root_dir), "/var/lib/agentd");
	snprintf(c->run_dir, sizeof(c->run_dir), "/run/agentd");
	snprintf(c->pod_logs_dir, sizeof(c->pod_logs_dir), "/var/log/pods");
	snprintf(c->cgroup_root, sizeof(c->cgroup_root), "/agentd");
	snprintf(c->privsep_user, sizeof(c->privsep_user), "_agentd");
	snprintf(c->reporter_user, sizeof(c->reporter_user), "_agentd-rep");
	snprintf(c->privsep_chroot, sizeof(c->privsep_chroot),
	    "/var/empty/agentd");
	snprintf(c->libexec_dir, sizeof(c->libexec_dir),
	    "/usr/local/libexec/agentd");
	snprintf(c->audit_log, sizeof(c->audit_log),
	    "/var/log/agentd/audit.log");
	snprintf(c->cni_bin_dir, sizeof(c->cni_bin_dir), "/usr/lib/cni");
	snprintf(c->cluster_domain, sizeof(c->cluster_domain),
	    "cluster.local");
	snprintf(c->cni_conf_dir, sizeof(c->cni_conf_dir), "/etc/cni/net.d");
	c->audit_max_bytes = 64ULL * 1024 * 1024;
	c->audit_fsync = 1;
	c->log_level = LOG_LVL_INFO;
	c->runtime = RUNTIME_AUTO;
	c->static_rescan_seconds = 20;
	c->watchdog_ping_seconds = 5;
	c->runtime_op_timeout = 120;
	c->max_pods = CONFIG_DEFAULT_MAX_PODS;
	c->container_log_max_size = CONFIG_DEFAULT_LOG_MAX_SIZE;
	c->container_log_max_files = CONFIG_DEFAULT_LOG_MAX_FILES;
	c->policy.allow_run_as_root = 1;
	c->policy.allow_privileged_host_ports = 1;
}

void
config_free(struct agentd_config *c)
{
	uint32_t i;

	for (i = 0; i < c->policy.n_allowed_caps; i++)
		free(c->policy.allowed_caps[i]);
	c->policy.n_allowed_caps = 0;
}

const struct config_field *
config_field_byname(const char *name)
{
	size_t i;

	for (i = 0; i < config_nfields; i++)
		if (config_fields[i].name != NULL &&
		    strcmp(config_fields[i].name, name) == 0)
			return &config_fields[i];
	return NULL;
}

static const struct config_field *
field_bytag(uint16_t tag)
{
	size_t i;

	for (i = 0; i < config_nfields; i++)
		if (config_fields[i].tag == tag)
			return &config_fields[i];
	return NULL;
}

const char *
config_add_cap(struct agentd_config *c, const char *v)
{
	size_t i;

	if (c->policy.n_allowed_caps >= CONFIG_MAX_CAPS)
		return "has too many entries";
	if (strncmp(v, "CAP_", 4) == 0)
		v += 4;
	/* the name is kept without the prefix: CAP_CAP_X would lose one
	   more on its way through the binary form, and is no capability */
	if (*v == '\0' || strlen(v) > 32 || strncmp(v, "CAP_", 4) == 0)
		return "has an invalid capability name";
	for (i = 0; v[i]; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || v[i] == '_'))
			return "has an invalid capability name";
	/* a typo must not silently allow nothing */
	if (caps_lookup(v) == -1)
		return "names an unknown capability";
	if ((c->policy.allowed_caps[c->policy.n_allowed_caps] =
	    strdup(v)) == NULL)
		return "out of memory";
	c->policy.n_allowed_caps++;
	return NULL;
}

const char *
config_add_host_path(struct agentd_config *c, const char *prefix,
    int read_only)
{
	struct host_path_rule *r;
	size_t n = strlen(prefix);

	if (c->policy.n_allowed_host_paths >= CONFIG_MAX_HOST_PATHS)
		return "has too many entries";
	if (prefix[0] != '/')
		return "has a pathPrefix that is not an absolute path";
	if (path_has_dotdot(prefix))
		return "has a pathPrefix with a '..' component";
	/* "/x/" is "/x": the match is by whole components anyway */
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	if (n >= CONFIG_MAX_PATH)
		return "has a pathPrefix that is too long";
	r = &c->policy.allowed_host_paths[c->policy.n_allowed_host_paths++];
	memcpy(r->prefix, prefix, n);
	r->prefix[n] = '\0';
	r->read_only = read_only != 0;
	return NULL;
}

/* ---- lists: addresses, ports ---- */

/*
 * The lists agentd.yaml spells "a, b,c" (and the YAML parser joins a
 * YAML list into): items between commas, blanks around each ignored.
 * Blanks alone are the empty list; an empty item is an error for the
 * item's parser to name.
 */
struct list_iter {
	const char	*p;
	int		 done;
};

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static void
list_begin(struct list_iter *it, const char *in)
{
	while (is_blank(*in))
		in++;
	it->p = in;
	it->done = *in == '\0';
}

/* 1 with the next item in *item, *n (trimmed); 0 after the last */
static int
list_next(struct list_iter *it, const char **item, size_t *n)
{
	const char *e;

	if (it->done)
		return 0;
	for (e = it->p; *e != '\0' && *e != ','; e++)
		;
	*item = it->p;
	for (*n = (size_t)(e - it->p); *n > 0 && is_blank(it->p[*n - 1]);
	    (*n)--)
		;
	if (*e == '\0')
		it->done = 1;
	else
		for (it->p = e + 1; is_blank(*it->p); it->p++)
			;
	return 1;
}

/* the canonical form's writer: items joined by commas, bounded */
static const char *
list_append(char *out, size_t outlen, size_t *len, const char *item)
{
	size_t k = strlen(item);

	if (*len + k + 2 > outlen)
		return "is too long";
	if (*len > 0)
		out[(*len)++] = ',';
	memcpy(out + *len, item, k + 1);
	*len += k;
	return NULL;
}

/* one address of a list: its family and canonical text */
static const char *
one_ip(const char *s, size_t n, int *family, char out[INET6_ADDRSTRLEN])
{
	unsigned char a[sizeof(struct in6_addr)];
	char in[INET6_ADDRSTRLEN];

	if (n == 0)
		return "has an empty item";
	if (n >= sizeof(in))
		return "has an item that is not an IP address";
	memcpy(in, s, n);
	in[n] = '\0';
	if (inet_pton(AF_INET, in, a) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, in, a) == 1)
		*family = AF_INET6;
	else
		return "has an item that is not an IP address";
	if (inet_ntop(*family, a, out, INET6_ADDRSTRLEN) == NULL)
		return "has an item that is not an IP address";
	return NULL;
}

const char *
config_iplist(const struct config_field *f, const char *in, char *out,
    size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	struct list_iter it;
	const char *item, *why;
	size_t len = 0, n;
	int fam, v4 = 0, v6 = 0;
	uint32_t count = 0;

	out[0] = '\0';
	list_begin(&it, in);
	while (list_next(&it, &item, &n)) {
		if ((why = one_ip(item, n, &fam, ip)) != NULL)
			return why;
		if (f->type == CFG_NODEIP && (fam == AF_INET ? v4++ : v6++))
			return "may have at most one IPv4 and one IPv6 "
			    "address";
		if (f->type == CFG_IPLIST && ++count > f->max)
			return "has too many addresses";
		if ((why = list_append(out, outlen, &len, ip)) != NULL)
			return why;
	}
	return NULL;
}

const char *
config_sysctllist(const struct config_field *f, const char *in, char *out,
    size_t outlen)
{
	char item_buf[SYSCTL_MAX_NAME + 1], name[SYSCTL_MAX_NAME + 1];
	struct list_iter it;
	const char *item, *why;
	size_t len = 0, n;
	uint32_t count = 0;

	out[0] = '\0';
	list_begin(&it, in);
	while (list_next(&it, &item, &n)) {
		if (n == 0 || n > SYSCTL_MAX_NAME)
			return "has an item that is not a sysctl name or "
			    "pattern";
		memcpy(item_buf, item, n);
		item_buf[n] = '\0';
		if ((why = sysctl_pattern_canon(item_buf, name,
		    sizeof(name))) != NULL)
			return why;
		if (++count > f->max)
			return "has too many sysctls";
		if ((why = list_append(out, outlen, &len, name)) != NULL)
			return why;
	}
	return NULL;
}

#define PORT_MAX	65535
#define PORT_DIGITS	5

struct port_range {
	uint32_t	 lo;
	uint32_t	 hi;
};

/* "N" (at most 5 digits) at *s; *s moves past it */
static const char *
one_port(const char **s, const char *end, uint32_t *port)
{
	const char *p = *s;
	uint32_t v = 0;

	if (p == end || *p < '0' || *p > '9')
		return "has an item that is not a port or a range LO-HI";
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		if (p - *s >= PORT_DIGITS || (v = v * 10 +
		    (uint32_t)(*p - '0')) > PORT_MAX)
			return "has a port outside 1..65535";
	if (v == 0)
		return "has a port outside 1..65535";
	*port = v;
	*s = p;
	return NULL;
}

/* one item of a port list: "N" or "LO-HI" */
static const char *
one_port_range(const char *s, size_t n, struct port_range *r)
{
	const char *end = s + n, *why;

	if (n == 0)
		return "has an empty item";
	if ((why = one_port(&s, end, &r->lo)) != NULL)
		return why;
	r->hi = r->lo;
	if (s < end && *s == '-') {
		s++;
		if ((why = one_port(&s, end, &r->hi)) != NULL)
			return why;
	}
	if (s != end)
		return "has an item that is not a port or a range LO-HI";
	if (r->lo > r->hi)
		return "has a range LO-HI with LO above HI";
	return NULL;
}

/* sorted by lo; then each range that overlaps or touches the last kept
   one is folded into it */
static size_t
port_ranges_merge(struct port_range *r, size_t n)
{
	struct port_range t;
	size_t i, j, kept;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && r[j - 1].lo > r[j].lo; j--) {
			t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	for (kept = 0, i = 0; i < n; i++) {
		if (kept > 0 && r[i].lo <= r[kept - 1].hi + 1) {
			if (r[i].hi > r[kept - 1].hi)
				r[kept - 1].hi = r[i].hi;
		} else
			r[kept++] = r[i];
	}
	return kept;
}

static void
port_range_str(const struct port_range *r, char out[CONFIG_PORT_RANGE_TEXT])
{
	if (r->lo == r->hi)
		snprintf(out, CONFIG_PORT_RANGE_TEXT, "%u", r->lo);
	else
		snprintf(out, CONFIG_PORT_RANGE_TEXT, "%u-%u", r->lo, r->hi);
}

const char *
config_portlist(const struct config_field *f, const char *in, char *out,
    size_t outlen)
{
	struct port_range r[CONFIG_MAX_PORT_RANGES];
	struct list_iter it;
	const char *item, *why;
	char text[CONFIG_PORT_RANGE_TEXT];
	size_t count = 0, len = 0, n, i;

	out[0] = '\0';
	list_begin(&it, in);
	while (list_next(&it, &item, &n)) {
		if (count >= f->max || count >= CONFIG_MAX_PORT_RANGES)
			return "has too many items";
		if ((why = one_port_range(item, n, &r[count])) != NULL)
			return why;
		count++;
	}
	count = port_ranges_merge(r, count);
	for (i = 0; i < count; i++) {
		port_range_str(&r[i], text);
		if ((why = list_append(out, outlen, &len, text)) != NULL) {
			out[0] = '\0';
			return why;
		}
	}
	return NULL;
}

int
config_portlist_find(const char *list, uint32_t port, uint32_t *lo,
    uint32_t *hi)
{
	struct port_range r;
	struct list_iter it;
	const char *item;
	size_t n;

	list_begin(&it, list);
	while (list_next(&it, &item, &n)) {
		/* a list the decoder accepted has no bad item */
		if (one_port_range(item, n, &r) != NULL)
			continue;
		if (port >= r.lo && port <= r.hi) {
			*lo = r.lo;
			*hi = r.hi;
			return 1;
		}
	}
	return 0;
}

/* RFC 1123 subdomain, as the API server checks names */
static int
subdomain_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= CONFIG_MAX_DOMAIN)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if ((s[i] != '-' && s[i] != '.') || i == 0 || i == n - 1)
			return 0;
		if (s[i] == '.' && (s[i - 1] == '.' || s[i - 1] == '-' ||
		    s[i + 1] == '-'))
			return 0;
	}
	return 1;
}

const char *
config_check_str(const struct config_field *f, const char *v)
{
	char canon[CONFIG_MAX_LISTTEXT];
	const char *why;

	switch (f->type) {
	case CFG_NODEIP:
	case CFG_IPLIST:
		if ((why = config_iplist(f, v, canon, sizeof(canon))) != NULL)
			return why;
		return strcmp(canon, v) == 0 ? NULL :
		    "is not a canonical address list";
	case CFG_PORTLIST:
		if ((why = config_portlist(f, v, canon, sizeof(canon))) != NULL)
			return why;
		return strcmp(canon, v) == 0 ? NULL :
		    "is not a canonical port list";
	case CFG_SYSCTLLIST:
		if ((why = config_sysctllist(f, v, canon, sizeof(canon))) !=
		    NULL)
			return why;
		return strcmp(canon, v) == 0 ? NULL :
		    "is not a canonical sysctl list";
	case CFG_DOMAIN:
		return subdomain_ok(v) ? NULL : "must be a lowercase RFC 1123 "
		    "subdomain";
	default:
		return NULL;
	}
}

/* ---- encoding ---- */

struct cbuf {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 overflow;
};

static void
put_be(struct cbuf *b, uint64_t v, size_t n)
{
	size_t i;

	if (b->overflow || b->cap - b->len < n) {
		b->overflow = 1;
		return;
	}
	for (i = 0; i < n; i++)
		b->p[b->len + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	b->len += n;
}

static void
put_record(struct cbuf *b, uint16_t tag, const void *v, size_t n)
{
	if (n > UINT16_MAX) {
		b->overflow = 1;
		return;
	}
	put_be(b, tag, 2);
	put_be(b, n, 2);
	if (b->overflow || b->cap - b->len < n) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

/* every number is an int, a uint32_t or a uint64_t: read by its size */
static uint64_t
get_num(const struct agentd_config *c, const struct config_field *f)
{
	const char *src = (const char *)c + f->off;
	uint64_t u64;
	uint32_t u32;
	int i;

	if ((f->type == CFG_UINT && f->size == sizeof(u64)) ||
	    f->type == CFG_QUANTITY) {
		memcpy(&u64, src, sizeof(u64));
		return u64;
	}
	if (f->type == CFG_UINT) {
		memcpy(&u32, src, sizeof(u32));
		return u32;
	}
	memcpy(&i, src, sizeof(i));
	return (uint64_t)(int64_t)i;
}

/* 'r' or 'w', then the prefix: "" ("/") is one byte */
static void
put_host_path(struct cbuf *b, uint16_t tag, const struct host_path_rule *r)
{
	uint8_t rec[1 + CONFIG_MAX_PATH];
	size_t n = strnlen(r->prefix, sizeof(r->prefix));

	rec[0] = r->read_only ? 'r' : 'w';
	memcpy(rec + 1, r->prefix, n);
	put_record(b, tag, rec, 1 + n);
}

static void
put_field(struct cbuf *b, const struct agentd_config *c,
    const struct config_field *f)
{
	const char *s = (const char *)c + f->off;
	uint8_t num[8];
	uint64_t v;
	uint32_t i;
	size_t k;

	switch (f->type) {
	case CFG_STR:
	case CFG_PATH:
	case CFG_NODEIP:
	case CFG_IPLIST:
	case CFG_DOMAIN:
	case CFG_PORTLIST:
	case CFG_SYSCTLLIST:
		put_record(b, f->tag, s, strnlen(s, f->size));
		return;
	case CFG_CAPLIST:
		for (i = 0; i < c->policy.n_allowed_caps; i++)
			put_record(b, f->tag, c->policy.allowed_caps[i],
			    strlen(c->policy.allowed_caps[i]));
		return;
	case CFG_HOSTPATHS:
		for (i = 0; i < c->policy.n_allowed_host_paths; i++)
			put_host_path(b, f->tag,
			    &c->policy.allowed_host_paths[i]);
		return;
	default:
		v = get_num(c, f);
		for (k = 0; k < sizeof(num); k++)
			num[k] = (uint8_t)(v >> (8 * (7 - k)));
		put_record(b, f->tag, num, sizeof(num));
		return;
	}
}

int
config_bin_encode(const struct agentd_config *c, uint8_t *buf, size_t cap,
    size_t *lenp)
{
	struct cbuf b = { buf, cap, 0, 0 };
	size_t i;

	if (cap < CONFIG_BIN_HDR)
		return -1;
	memcpy(buf, CONFIG_BIN_MAGIC, 4);
	b.len = 4;
	put_be(&b, CONFIG_BIN_VERSION, 2);
	put_be(&b, 0, 2);
	put_be(&b, 0, 4);	/* the length, once known */
	for (i = 0; i < config_nfields; i++)
		put_field(&b, c, &config_fields[i]);
	if (b.overflow)
		return -1;
	*lenp = b.len;
	b.len = 8;
	put_be(&b, *lenp - CONFIG_BIN_HDR, 4);
	return 0;
}

/* ---- decoding ---- */

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static const char *
check_num(const struct config_field *f, uint64_t v)
{
	switch (f->type) {
	case CFG_BOOL:
		return v > 1 ? "is not a boolean" : NULL;
	case CFG_LOGLEVEL:
		return v > LOG_LVL_DEBUG ? "is not a log level" : NULL;
	case CFG_RUNTIME:
		return v > RUNTIME_CRUN ? "is not a runtime" : NULL;
	case CFG_STORAGE:
		return v > STORAGE_NATIVE ? "is not a storage driver" : NULL;
	case CFG_UINT:
	case CFG_QUANTITY:
		if (v < f->min || (f->max != 0 && v > f->max))
			return "is out of range";
		if (f->size == sizeof(uint32_t) && v > UINT32_MAX)
			return "is too large";
		return NULL;
	default:
		return "is not a number";
	}
}

static const char *
set_num(struct agentd_config *c, const struct config_field *f,
    const uint8_t *v, size_t n)
{
	char *dst = (char *)c + f->off;
	const char *why;
	uint64_t u;
	uint32_t u32;
	int i;

	if (n != sizeof(u))
		return "has the wrong length";
	u = get_be(v, n);
	if ((why = check_num(f, u)) != NULL)
		return why;
	if ((f->type == CFG_UINT && f->size == sizeof(u)) ||
	    f->type == CFG_QUANTITY)
		memcpy(dst, &u, sizeof(u));
	else if (f->type == CFG_UINT) {
		u32 = (uint32_t)u;
		memcpy(dst, &u32, sizeof(u32));
	} else {
		i = (int)u;
		memcpy(dst, &i, sizeof(i));
	}
	return NULL;
}

static const char *
set_str(struct agentd_config *c, const struct config_field *f,
    const uint8_t *v, size_t n)
{
	char *dst = (char *)c + f->off;

	if (n >= f->size)
		return "is too long";
	if (memchr(v, '\0', n) != NULL)
		return "contains a NUL byte";
	if (n == 0 && (f->type == CFG_STR || f->type == CFG_DOMAIN ||
	    !f->optional))
		return "must not be empty";
	if (n > 0 && f->type == CFG_PATH && v[0] != '/')
		return "must be an absolute path";
	memcpy(dst, v, n);
	dst[n] = '\0';
	return config_check_str(f, dst);
}

static const char *
set_cap(struct agentd_config *c, const uint8_t *v, size_t n)
{
	char name[64];

	if (n >= sizeof(name))
		return "has an invalid capability name";
	if (memchr(v, '\0', n) != NULL)
		return "contains a NUL byte";
	memcpy(name, v, n);
	name[n] = '\0';
	return config_add_cap(c, name);
}

static const char *
set_host_path(struct agentd_config *c, const uint8_t *v, size_t n)
{
	char prefix[CONFIG_MAX_PATH + 1];

	if (n < 1 || n - 1 >= CONFIG_MAX_PATH || (v[0] != 'r' && v[0] != 'w'))
		return "is not an allowedHostPaths entry";
	if (memchr(v + 1, '\0', n - 1) != NULL)
		return "contains a NUL byte";
	/* "/" is kept as "": the record holds "" then */
	prefix[0] = '/';
	memcpy(prefix + (n > 1 ? 0 : 1), v + 1, n - 1);
	prefix[n > 1 ? n - 1 : 1] = '\0';
	return config_add_host_path(c, prefix, v[0] == 'r');
}

static const char *
set_field(struct agentd_config *c, const struct config_field *f,
    const uint8_t *v, size_t n)
{
	switch (f->type) {
	case CFG_STR:
	case CFG_PATH:
	case CFG_NODEIP:
	case CFG_IPLIST:
	case CFG_DOMAIN:
	case CFG_PORTLIST:
	case CFG_SYSCTLLIST:
		return set_str(c, f, v, n);
	case CFG_CAPLIST:
		return set_cap(c, v, n);
	case CFG_HOSTPATHS:
		return set_host_path(c, v, n);
	default:
		return set_num(c, f, v, n);
	}
}

static int
check_header(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	uint64_t v;

	if (len > CONFIG_BIN_MAX_BYTES) {
		snprintf(err, errlen, "larger than %d bytes",
		    CONFIG_BIN_MAX_BYTES);
		return -1;
	}
	if (len < CONFIG_BIN_HDR || memcmp(buf, CONFIG_BIN_MAGIC, 4) != 0) {
		snprintf(err, errlen, "not a binary configuration");
		return -1;
	}
	if ((v = get_be(buf + 4, 2)) != CONFIG_BIN_VERSION) {
		snprintf(err, errlen, "version %llu, not %d",
		    (unsigned long long)v, CONFIG_BIN_VERSION);
		return -1;
	}
	if (get_be(buf + 6, 2) != 0 ||
	    get_be(buf + 8, 4) != len - CONFIG_BIN_HDR) {
		snprintf(err, errlen, "bad header (truncated?)");
		return -1;
	}
	return 0;
}

int
config_bin_decode(struct agentd_config *c, const uint8_t *buf, size_t len,
    char *err, size_t errlen)
{
	uint8_t seen[CONFIG_MAX_FIELDS];
	const struct config_field *f;
	const char *why;
	size_t off, n;
	uint16_t tag;

	if (check_header(buf, len, err, errlen) == -1)
		return -1;
	memset(seen, 0, sizeof(seen));
	for (off = CONFIG_BIN_HDR; off < len; off += n) {
		if (len - off < 4) {
			snprintf(err, errlen, "truncated record at %zu", off);
			return -1;
		}
		tag = (uint16_t)get_be(buf + off, 2);
		n = get_be(buf + off + 2, 2);
		if ((off += 4) > len || len - off < n) {
			snprintf(err, errlen, "tag %u: truncated", tag);
			return -1;
		}
		if ((f = field_bytag(tag)) == NULL)
			continue;	/* a newer agentd's field */
		if (f->type != CFG_CAPLIST && f->type != CFG_HOSTPATHS &&
		    seen[f - config_fields]++) {
			snprintf(err, errlen, "tag %u: given twice", tag);
			return -1;
		}
		if ((why = set_field(c, f, buf + off, n)) != NULL) {
			snprintf(err, errlen, "tag %u (%s): %s", tag,
			    f->name ? f->name : "path", why);
			return -1;
		}
	}
	return 0;
}

int
config_bin_load_fd(struct agentd_config *c, int fd, char *err,
    size_t errlen)
{
	uint8_t *buf;
	size_t len = 0;
	ssize_t n = 0;
	int rv;

	if (lseek(fd, 0, SEEK_SET) == -1) {
		snprintf(err, errlen, "lseek: %s", strerror(errno));
		return -1;
	}
	if ((buf = malloc(CONFIG_BIN_MAX_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* one byte more than the bound tells "too large" from "exactly" */
	while (len <= CONFIG_BIN_MAX_BYTES && (n = read(fd, buf + len,
	    CONFIG_BIN_MAX_BYTES + 1 - len)) > 0)
		len += (size_t)n;
	if (n == -1) {
		snprintf(err, errlen, "read: %s", strerror(errno));
		rv = -1;
	} else
		rv = config_bin_decode(c, buf, len, err, errlen);
	free(buf);
	return rv;
}
