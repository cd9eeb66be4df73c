/*
 * agentd.yaml: one flat YAML mapping.  agentd parses it once (common/
 * config.c, libconfig.a: only agentd and agentctl link libyaml); each
 * worker gets the parsed struct in a binary form (common/configbin.c) on
 * fd WORKER_CONFIG_FD (workerfd.h), a sealed memfd, so that a restarted worker sees
 * the configuration agentd validated, not whatever is on disk now, and
 * no worker runs a YAML parser.
 */
#ifndef AGENTD_CONFIG_H
#define AGENTD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH	"/etc/agentd/agentd.yaml"
#define CONFIG_MAX_BYTES	(256 * 1024)
#define CONFIG_MAX_RUNTIME_OPS	64	/* maxParallelRuntimeOps bound */
#define CONFIG_MAX_PATH		1024
#define CONFIG_MAX_CAPS		64
#define CONFIG_MAX_FIELDS	64	/* rows of config_fields[] */
#define CONFIG_MAX_DNS		3	/* clusterDNS: resolv.conf's MAXNS */
/* a list of addresses "a,b,c" (INET6_ADDRSTRLEN 46 each) */
#define CONFIG_MAX_IPLIST	(CONFIG_MAX_DNS * 46)
#define CONFIG_MAX_DOMAIN	254	/* a DNS subdomain and the NUL */
#define CONFIG_MAX_PORT_RANGES	32	/* forbiddenHostPorts items */
/*
 * maxPods: the kubelet's default, and at most the pods the executor keeps
 * (pod.h MAX_PODS): a node must not advertise room it cannot honour
 */
#define CONFIG_DEFAULT_MAX_PODS	110
#define CONFIG_MAX_MAX_PODS	512
/* containerLogMaxSize and containerLogMaxFiles: defaults and bounds */
#define CONFIG_DEFAULT_LOG_MAX_SIZE	(10ULL * 1024 * 1024)	/* 10Mi */
#define CONFIG_DEFAULT_LOG_MAX_FILES	5
#define CONFIG_MIN_LOG_MAX_SIZE		1024ULL
#define CONFIG_MAX_LOG_MAX_SIZE		(1ULL << 40)	/* 1Ti */
#define CONFIG_MAX_POD_PIDS	4194304		/* the kernel's PID_MAX_LIMIT */
#define CONFIG_MAX_LOG_MAX_FILES	100
#define CONFIG_PORT_RANGE_TEXT	12	/* "65535-65535" and the NUL */
/* a list of port ranges "lo-hi,...": each range and a comma (or NUL) */
#define CONFIG_MAX_PORTLIST	\
	(CONFIG_MAX_PORT_RANGES * CONFIG_PORT_RANGE_TEXT)
/* allowedUnsafeSysctls: items of at most 253 bytes (sysctl.h), in all */
#define CONFIG_MAX_SYSCTL_PATTERNS	32
#define CONFIG_MAX_SYSCTLLIST	2048
/* the longest comma-separated list text of any key */
#define CONFIG_MAX_LISTTEXT	CONFIG_MAX_SYSCTLLIST
_Static_assert(CONFIG_MAX_LISTTEXT >= CONFIG_MAX_PORTLIST &&
    CONFIG_MAX_LISTTEXT >= 3 * 46, "CONFIG_MAX_LISTTEXT too small");

enum runtime_kind {
	RUNTIME_AUTO = 0,
	RUNTIME_RUNC,
	RUNTIME_CRUN
};

/* how a container's root filesystem is made from its image */
enum storage_driver {
	STORAGE_AUTO = 0,	/* overlay if rootDir can hold an upperdir */
	STORAGE_OVERLAY,
	STORAGE_NATIVE		/* a copy per container */
};

/*
 * allowedHostPaths (PodSecurityPolicy's): a hostPath volume must lie
 * under one of these prefixes, matched by whole path components; a
 * readOnly prefix admits only read-only mounts.  Kept without a trailing
 * '/' ("/" itself is "").
 */
#define CONFIG_MAX_HOST_PATHS	16
struct host_path_rule {
	char		 prefix[CONFIG_MAX_PATH];
	int		 read_only;
};

struct node_policy {
	int		 allow_privileged;	/* default 0 */
	int		 allow_host_network;	/* default 0 */
	int		 allow_host_pid;	/* default 0 */
	int		 allow_host_ipc;	/* default 0 */
	int		 allow_run_as_root;	/* default 1 (Kubernetes default) */
	int		 allow_privileged_host_ports;	/* < 1024; default 1 */
	/* canonical "22,2379-2380,30000-32767" (config_portlist); "" none */
	char		 forbidden_host_ports[CONFIG_MAX_PORTLIST];
	char		*allowed_caps[CONFIG_MAX_CAPS];	/* may be added */
	uint32_t	 n_allowed_caps;
	/* default none: no hostPath volume at all */
	struct host_path_rule allowed_host_paths[CONFIG_MAX_HOST_PATHS];
	uint32_t	 n_allowed_host_paths;
	/*
	 * allowedUnsafeSysctls: canonical "net.core.somaxconn,kernel.msg*"
	 * (config_sysctllist); "" none, only the kubelet's safe set
	 */
	char		 allowed_unsafe_sysctls[CONFIG_MAX_SYSCTLLIST];
	/*
	 * forceNoNewPrivileges (default 0): every container gets
	 * no_new_privs; one asking allowPrivilegeEscalation: true (or
	 * privileged, or CAP_SYS_ADMIN, which imply it) is refused
	 */
	int		 force_no_new_privs;
};

struct agentd_config {
	char		 path[CONFIG_MAX_PATH];
	char		 node_name[256];
	char		 static_pod_path[CONFIG_MAX_PATH];
	char		 root_dir[CONFIG_MAX_PATH];
	char		 run_dir[CONFIG_MAX_PATH];
	char		 pod_logs_dir[CONFIG_MAX_PATH];
	char		 cgroup_root[CONFIG_MAX_PATH];	/* e.g. "/agentd" */
	char		 privsep_user[64];	/* the watcher */
	char		 reporter_user[64];	/* the reporter: another uid */
	char		 privsep_chroot[CONFIG_MAX_PATH];
	char		 libexec_dir[CONFIG_MAX_PATH];
	char		 audit_log[CONFIG_MAX_PATH];
	char		 audit_key_file[CONFIG_MAX_PATH];	/* "" = no HMAC */
	uint64_t	 audit_max_bytes;	/* rotate above this size */
	int		 audit_fsync;		/* default 1 */
	char		 audit_anchor_file[CONFIG_MAX_PATH];	/* auditLog.anchor */
	int		 log_level;		/* LOG_LVL_* */
	int		 use_syslog;
	int		 runtime;		/* enum runtime_kind */
	char		 runtime_path[CONFIG_MAX_PATH];	/* "" = from PATH */
	int		 storage_driver;	/* enum storage_driver */
	char		 conmon_path[CONFIG_MAX_PATH];
	char		 cni_bin_dir[CONFIG_MAX_PATH];
	char		 cni_conf_dir[CONFIG_MAX_PATH];	/* CNI network configs */
	uint32_t	 static_rescan_seconds;	/* default 20, as the kubelet */
	uint32_t	 watchdog_ping_seconds;	/* worker heartbeat period */
	uint32_t	 max_runtime_ops;	/* jobs in flight; 0: 2 per CPU */
	uint32_t	 runtime_op_timeout;	/* seconds a job may take */
	uint32_t	 max_pods;	/* the Node's capacity.pods */
	struct node_policy policy;
	/* nodeIP as configured: "" = the default route's interface */
	char		 node_ip[CONFIG_MAX_IPLIST];
	char		 cluster_dns[CONFIG_MAX_IPLIST];	/* "" = none */
	char		 cluster_domain[CONFIG_MAX_DOMAIN];
	/*
	 * The node's addresses as agentd resolved them at start (nodeIP,
	 * else found): at most one IPv4 and one IPv6, "" if none.  Not an
	 * agentd.yaml key: the workers' copy, so that they need no socket.
	 */
	char		 node_ips[CONFIG_MAX_IPLIST];
	/*
	 * API mode: the kubeconfig agentd reads at start ("" = standalone,
	 * static pods only), and whether its insecure-skip-tls-verify may
	 * be honoured (default 0: such a kubeconfig is refused)
	 */
	char		 kubeconfig[CONFIG_MAX_PATH];
	int		 allow_insecure_api;
	/*
	 * CRI log rotation, the kubelet's containerLogMaxSize (bytes) and
	 * containerLogMaxFiles (the current file counted, at least 2)
	 */
	uint64_t	 container_log_max_size;
	uint32_t	 container_log_max_files;
	/* the kubelet's podPidsLimit: the pod cgroup's pids.max; 0 none */
	uint64_t	 pod_pids_limit;
#ifdef AGENTD_TEST_HOOKS
	/* the upgrade tests' podwire layout (podwire_test_layout) */
	int		 test_podwire_bump;	/* testPodwireVersionBump */
	int		 test_podwire_extra;	/* testPodwireExtraField */
	/* the log rotation check period (the kubelet's is 10 s) */
	uint32_t	 test_log_monitor_ms;	/* testContainerLogMonitorMs */
#endif
};

/*
 * Every field of struct agentd_config, once: its agentd.yaml key, its tag
 * in the binary form, its type and bounds.  The YAML parser and the binary
 * encoder and decoder all walk this table.
 */
enum config_type {
	CFG_STR,	/* non-empty, fits the destination buffer */
	CFG_PATH,	/* absolute path */
	CFG_BOOL,
	CFG_UINT,
	CFG_LOGLEVEL,
	CFG_RUNTIME,
	CFG_STORAGE,
	CFG_CAPLIST,
	CFG_NODEIP,	/* "v4", "v6" or "v4,v6" (either order); "" unset */
	CFG_IPLIST,	/* at most max addresses "a,b,c"; "" none */
	CFG_DOMAIN,	/* a DNS subdomain */
	CFG_PORTLIST,	/* at most max ports or ranges "22,30000-32767" */
	CFG_QUANTITY,	/* bytes: "10Mi", "500k", "1048576"; a u64 */
	CFG_HOSTPATHS,	/* allowedHostPaths: [{pathPrefix, readOnly}] */
	CFG_SYSCTLLIST	/* at most max sysctl names or "prefix*" */
};

struct config_field {
	const char	*name;		/* YAML key; NULL: not in agentd.yaml */
	uint16_t	 tag;		/* binary form; never reused */
	enum config_type type;
	size_t		 off;
	size_t		 size;		/* destination size */
	uint64_t	 min;		/* CFG_UINT bounds; max 0: none */
	uint64_t	 max;
	int		 optional;	/* CFG_PATH: "" (unset) is valid */
};

extern const struct config_field config_fields[];
extern const size_t config_nfields;

/* common/configbin.c (libcommon.a): every binary */
void	config_defaults(struct agentd_config *);
void	config_free(struct agentd_config *);
const struct config_field *config_field_byname(const char *);
/* NULL: added; else why the name is refused */
const char *config_add_cap(struct agentd_config *, const char *);
/* one allowedHostPaths entry: an absolute path without ".." */
const char *config_add_host_path(struct agentd_config *, const char *prefix,
	    int read_only);
/*
 * CFG_NODEIP, CFG_IPLIST: in is a comma-separated list (blanks around
 * items allowed); out gets its canonical form "a,b" (each address as
 * inet_ntop writes it).  NULL, or why in is refused.
 */
const char *config_iplist(const struct config_field *, const char *in,
	    char *out, size_t outlen);
/*
 * CFG_PORTLIST: in is a comma-separated list of ports "N" and ranges
 * "LO-HI" (1..65535, LO <= HI, at most max items); out gets the set they
 * cover in canonical form: ascending, overlapping and adjacent ranges
 * merged, a range of one port written "N".  NULL, or why in is refused.
 */
const char *config_portlist(const struct config_field *, const char *in,
	    char *out, size_t outlen);
/*
 * In a canonical port list: 1 with the range that holds port in *lo and
 * *hi, else 0.
 */
int	config_portlist_find(const char *list, uint32_t port, uint32_t *lo,
	    uint32_t *hi);
/*
 * CFG_SYSCTLLIST: in is a comma-separated list of sysctl names and
 * patterns ending in '*' (the kubelet's --allowed-unsafe-sysctls), each
 * namespaced; out gets them with '.' separators, in order.  NULL, or why
 * in is refused.
 */
const char *config_sysctllist(const struct config_field *, const char *in,
	    char *out, size_t outlen);
/* any CFG_* string value: NULL or why it is refused (canonical form) */
const char *config_check_str(const struct config_field *, const char *);

/*
 * The binary form agentd writes into the workers' memfd: a header (magic
 * CONFIG_BIN_MAGIC, version, length) and one record {tag, length, value}
 * per field.  The decoder overlays a config_defaults() struct, refuses
 * anything out of bounds and skips tags it does not know.
 */
#define CONFIG_BIN_MAGIC	"AGCF"
#define CONFIG_BIN_VERSION	1
#define CONFIG_BIN_HDR		12
#define CONFIG_BIN_MAX_BYTES	(64 * 1024)
/* 0 and the length in *lenp, -1 if cap is too small */
int	config_bin_encode(const struct agentd_config *, uint8_t *buf,
	    size_t cap, size_t *lenp);
/* 0 ok; -1 with the reason in err (call config_free either way) */
int	config_bin_decode(struct agentd_config *, const uint8_t *buf,
	    size_t len, char *err, size_t errlen);
/* worker side: read and decode the memfd handed over at WORKER_CONFIG_FD */
int	config_bin_load_fd(struct agentd_config *, int fd, char *err,
	    size_t errlen);

/* common/config.c (libconfig.a, libyaml): agentd and agentctl */
/* 0 ok; -1 with a message naming the key and line in err */
int	config_parse(struct agentd_config *, const char *buf, size_t len,
	    char *err, size_t errlen);
int	config_load(struct agentd_config *, const char *path, char *err,
	    size_t errlen);
/* read and parse YAML from fd (from its start) */
int	config_load_fd(struct agentd_config *, int fd, char *err, size_t);

#endif
