/*
 * agentd.yaml: one flat YAML mapping.  agentd parses it once; each worker
 * gets the same bytes on fd WORKER_CONFIG_FD (workerfd.h; a sealed memfd)
 * so that a restarted worker sees the configuration agentd validated, not
 * whatever is on disk now.
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

struct node_policy {
	int		 allow_privileged;	/* default 0 */
	int		 allow_host_network;	/* default 0 */
	int		 allow_host_pid;	/* default 0 */
	int		 allow_host_ipc;	/* default 0 */
	int		 allow_run_as_root;	/* default 1 (Kubernetes default) */
	char		*allowed_caps[CONFIG_MAX_CAPS];	/* may be added */
	uint32_t	 n_allowed_caps;
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
	uint32_t	 static_rescan_seconds;	/* default 20, as the kubelet */
	uint32_t	 watchdog_ping_seconds;	/* worker heartbeat period */
	uint32_t	 max_runtime_ops;	/* jobs in flight; 0: 2 per CPU */
	uint32_t	 runtime_op_timeout;	/* seconds a job may take */
	struct node_policy policy;
#ifdef AGENTD_TEST_HOOKS
	/* the upgrade tests' podwire layout (podwire_test_layout) */
	int		 test_podwire_bump;	/* testPodwireVersionBump */
	int		 test_podwire_extra;	/* testPodwireExtraField */
#endif
	/* the raw bytes, handed to workers */
	char		*raw;
	size_t		 raw_len;
};

void	config_defaults(struct agentd_config *);
/* 0 ok; -1 with a message naming the key and line in err */
int	config_parse(struct agentd_config *, const char *buf, size_t len,
	    char *err, size_t errlen);
int	config_load(struct agentd_config *, const char *path, char *err,
	    size_t errlen);
/* worker side: read and parse the memfd handed over at WORKER_CONFIG_FD */
int	config_load_fd(struct agentd_config *, int fd, char *err, size_t);
void	config_free(struct agentd_config *);

#endif
