/*
 * Private to the runtime backend (runtime.c, infra.c, bundle.c, image.c,
 * cgroup.c, rtutil.c): the process-wide context set by rt_init, the
 * external-program runner, small file helpers and the on-disk layout.
 *
 * On-disk layout (everything a restarted executor needs to re-adopt):
 *   rootDir/images/oci/              OCI image layout holding every import
 *   rootDir/images/refs.json         normalized ref -> manifest digest, tag
 *   rootDir/images/rootfs/<hex>/     unpacked rootfs per manifest (+.complete)
 *   rootDir/pause/rootfs/            the infra rootfs: only agentd-pause
 *   rootDir/containers/<id>/         bundle: config.json, meta.json,
 *                                    labels.json, rootfs/ (overlay or
 *                                    a copy, storage.c), upper/, work/,
 *                                    shm/ (sandboxes)
 *   rootDir/pods/<uid>/              hostname, hosts, resolv.conf
 *   rootDir/pods/<uid>/termination/<container>  its termination message
 *   runDir/ns/                       an unbindable mount while pins exist
 *   runDir/ns/<sandbox id>/{net,ipc,uts}  pinned pod namespaces (pinns.c)
 *   runDir/runtime/                  the OCI runtime's --root
 *   runDir/exits/<id>                conmon's exit file
 *   runDir/conmon/<id>.pid           conmon's pid file
 *   runDir/socks/                    conmon's attach socket links
 */
#ifndef AGENTD_RT_PRIVATE_H
#define AGENTD_RT_PRIVATE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "runtime.h"

#define RT_HEXID_LEN		64	/* container ids: 32 random bytes */
#define RT_RUN_OUT_MAX		(64 * 1024)	/* captured stdout, stderr */
#define RT_RUN_TIMEOUT_MS	(30 * 1000)
#define RT_RUN_MAX_FDS		4	/* fds passed to a child as 3.. */
#define RT_RUN_MAX_ARGS		64
#define RT_JSON_MAX		(4 * 1024 * 1024)	/* our own state files */
#define RT_RMRF_MAX_DEPTH	512
#define RT_MOUNTINFO_MAX	(4 * 1024 * 1024)
#define RT_OPTS_MAX		4096	/* one page: the kernel's mount data limit */
#define RT_CG_MAX_MOUNTS	32
#define RT_DEFAULT_PATH		"/usr/local/sbin:/usr/local/bin:/usr/sbin:" \
				"/usr/bin:/sbin:/bin"

/* one cgroup hierarchy (v1) or the unified one */
struct cg_mount {
	char	 path[CONFIG_MAX_PATH];	/* mount point */
	char	 controllers[256];	/* v1: "memory", "cpu,cpuacct", "name=systemd" */
	int	 v2;
};

struct cg_layout {
	int		 v2_pure;	/* /sys/fs/cgroup is cgroup2 */
	int		 hybrid;	/* v1 plus cgroup2 at .../unified */
	struct cg_mount	 m[RT_CG_MAX_MOUNTS];
	int		 n;
};

struct rt_ctx {
	int		 initialized;
	char		 root_dir[CONFIG_MAX_PATH];
	char		 run_dir[CONFIG_MAX_PATH];
	char		 pod_logs_dir[CONFIG_MAX_PATH];
	char		 cgroup_root[CONFIG_MAX_PATH];
	char		 libexec_dir[CONFIG_MAX_PATH];
	char		 cni_bin_dir[CONFIG_MAX_PATH];
	/* the pods' /etc files (podfiles.c): the configuration's copies */
	char		 node_ips[CONFIG_MAX_IPLIST];
	char		 cluster_dns[CONFIG_MAX_IPLIST];
	char		 cluster_domain[CONFIG_MAX_DOMAIN];
	char		 cni_conf_dir[CONFIG_MAX_PATH];
	int		 api_mode;	/* a kubeconfig: no CNI is NotReady */
	int		 force_nnp;	/* forceNoNewPrivileges */
	uint64_t	 pod_pids_limit;	/* podPidsLimit; 0 none */
	int		 netparse_fd;	/* a sandbox job's channel, or -1 */
	struct rt_info	 info;
	struct cg_layout cg;
	int		 storage;	/* enum storage_driver in use */
	/* the node's allocatable (its capacity): resourceFieldRef's value
	   for a container without a limit (rt_set_allocatable) */
	int64_t		 alloc_cpu_milli;
	int64_t		 alloc_mem_bytes;
	/* the node policy (allowedHostPaths for hostPath volumes) */
	const struct node_policy *policy;
};

extern struct rt_ctx rt;

/* rtutil.c: errors */
int	rt_seterr(struct rt_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	rt_seterrno(struct rt_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* prepend "context: " to the error a callee set; -1 */
int	rt_wrap(struct rt_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* rtutil.c: run an external program, never through a shell */
struct rt_run {
	const char *const *argv;	/* argv[0] is an absolute path */
	const char *const *envp;	/* NULL: PATH and LC_ALL=C only */
	const char	*in;		/* stdin bytes; NULL: /dev/null */
	size_t		 in_len;
	int		 pass_fds[RT_RUN_MAX_FDS];	/* fd 3, 4, ... */
	int		 n_pass_fds;
	int		 timeout_ms;	/* 0: RT_RUN_TIMEOUT_MS */
	const char	*cwd;		/* NULL: "/" */
	/* called in the parent right after fork, e.g. to move the child */
	int		(*on_spawn)(pid_t, void *);
	void		*on_spawn_arg;
	/* results, valid after rt_run returned 0 */
	int		 status;	/* wait status */
	char		*out;		/* NUL-terminated, at most RT_RUN_OUT_MAX */
	size_t		 out_len;
	char		*err;
	size_t		 err_len;
	int		 timed_out;	/* killed at timeout_ms */
};
int	rt_run(struct rt_run *, struct rt_err *);
/* rt_run and fail unless it exited 0; the message quotes its stderr */
int	rt_run_ok(struct rt_run *, struct rt_err *);
void	rt_run_free(struct rt_run *);

/* rtutil.c: files */
int	rt_read_file(const char *, size_t max, char **, size_t *);
int	rt_write_file(const char *, const void *, size_t, mode_t);
int	rt_write_volatile(const char *, const void *, size_t, mode_t);
int	rt_mkdir_p(const char *, mode_t);
int	rt_rm_rf(const char *);
cJSON	*rt_json_load(const char *);
int	rt_json_save(const char *, const cJSON *);
int	rt_json_save_volatile(const char *, const cJSON *);
int	rt_path(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	rt_find_exec(const char *name, const char *dirs, char *, size_t);
int	rt_random_id(char *, size_t);
int	rt_valid_id(const char *);
int64_t	rt_now_ns(void);
int	rt_is_mounted(const char *);
int	rt_umount(const char *);
int	rt_mounts_under(const char *);
/* each mount point at or below path (prefix) to fn; the count, -1 */
int	rt_mounts_each(const char *path, int prefix,
	    void (*fn)(const char *, void *), void *);
void	rt_unescape(char *);	/* a mountinfo field, in place */
/* src up to the first byte of stop into dst, bounded (len > 0) */
void	rt_copy_span(char *, size_t, const char *src, const char *stop);
int	rt_pid_alive(pid_t);
uint64_t rt_pid_starttime(pid_t);
size_t	rt_strlcat(char *, const char *, size_t);
const char *rt_json_str(const cJSON *, const char *);
int64_t	rt_json_int(const cJSON *, const char *, int64_t);

/* cgroup.c */
int	cg_detect(struct cg_layout *, struct rt_err *);
/* v1 controllers the unified hierarchy holds with no v1 mount: crun 1.8 refuses */
int	cg_crun_blocker(const struct cg_layout *, char *, size_t);
int	cg_create(const char *rel, struct rt_err *);
int	cg_attach(const char *rel, pid_t, struct rt_err *);
int	cg_remove(const char *rel);
int	cg_exists(const char *rel);
int	cg_oom_kills(const char *rel);
void	cg_pod_path(char *, size_t, const char *pod_uid);	/* existing */
void	cg_pod_path_for(char *, size_t, const struct pod *);
void	cg_container_path(char *, size_t, const struct pod *, const char *id);
void	cg_conmon_path(char *, size_t, const struct pod *);
int	cg_pod_release(const char *pod_uid);
int	cg_pod_setup(const struct pod *, struct rt_err *);

/* storage.c: container root filesystems (overlay or a copy) */
int	st_init(int configured, struct rt_err *);
const char *st_driver_name(int);
int	st_rootfs_create(const char *dir, const char *lower, struct rt_err *);
int	st_rootfs_release(const char *dir, struct rt_err *);

/* image.c */
int	img_tar_kind(const char *path, struct rt_err *);
#define IMG_TAR_OCI	1
#define IMG_TAR_DOCKER	2

/* bundle.c: OCI config.json */
struct rt_user {
	uint32_t uid;
	uint32_t gid;
	/* the image's groups of the user (at most 32), then the pod's */
	uint32_t additional_gids[32 + POD_MAX_SUPP_GROUPS];
	int	 n_additional_gids;
};

/* the namespaces a pod's containers join: pins, or the infra's /proc */
struct sandbox_ns {
	pid_t		 infra_pid;	/* 0: a pinned sandbox, no process */
	int		 host_network;
	int		 host_ipc;
	char		 net[CONFIG_MAX_PATH];	/* "": the host's */
	char		 ipc[CONFIG_MAX_PATH];
	char		 uts[CONFIG_MAX_PATH];
	char		 pid[CONFIG_MAX_PATH];	/* "": a private one */
	char		 shm[CONFIG_MAX_PATH];
};

struct bundle_paths {
	const char	*id;
	const char	*rootfs;	/* absolute or relative to the bundle */
	const char	*cgroups_path;
	const char	*hostname;	/* infra only */
	const char	*pod_dir;	/* hostname, hosts, resolv.conf */
	const char	*shm;		/* pod /dev/shm, NULL: host's */
	const struct sandbox_ns *ns;	/* containers: what to join */
	const char	*sandbox_id;
	const struct rt_labels *labels;
	const char	*term_msg_src;	/* the container's message file */
	const char	*term_msg_dst;	/* its terminationMessagePath */
	const char	*pod_ips;	/* containers: "a,b", "" none yet */
	/* volumeMounts and their bind sources (volumes.c) */
	const struct volume_mount *mounts;
	uint32_t	 n_mounts;
	char *const	*mount_src;
};

/*
 * ctrenv.c: a container's env from its spec, resolved and expanded
 * (the kubelet's makeEnvironmentVariables); the names are the spec's.
 */
struct ctr_env_facts {
	const char	*pod_ips;	/* "a,b" or "" */
	const char	*host_ips;	/* the node's, "a,b" or "" */
	int64_t		 alloc_cpu_milli;	/* the node's allocatable */
	int64_t		 alloc_mem_bytes;
};
struct ctr_env {
	const char	**name;
	char		**value;
	uint32_t	  n;
};
int	ctr_env_make(const struct pod *, const struct container_spec *,
	    const struct ctr_env_facts *, struct ctr_env *, struct rt_err *);
void	ctr_env_free(struct ctr_env *);
/* in's strings $(VAR)-expanded from ce (NULL: as they are) onto out;
   what names the field in an error ("command") */
int	ctr_env_expand_list(const struct ctr_env *, const char *what,
	    const struct strlist *in, struct strlist *out, struct rt_err *);

/* ce: the container's resolved env (NULL: the spec's values as written) */
int	bundle_args(const struct container_spec *, const struct rt_image *,
	    const struct ctr_env *, struct strlist *, struct rt_err *);
int	bundle_env(const struct container_spec *, const struct rt_image *,
	    const char *hostname, const struct ctr_env *, struct strlist *,
	    struct rt_err *);
int	bundle_user(const struct pod *, const struct container_spec *,
	    const struct rt_image *, struct rt_user *, struct rt_err *);
int	bundle_caps(const struct security_context *, struct strlist *,
	    struct rt_err *);
#define BUNDLE_CPU_PERIOD_US	100000	/* the kubelet's CFS period */
uint64_t bundle_cpu_shares(const struct resources *);
int64_t	bundle_cpu_quota(const struct resources *);
/* the default seccomp profile's personality(2) denials, for the tests */
#define SC_OP_GT		1	/* arg > value */
#define SC_OP_MASKED_EQ		2	/* (arg & mask) == value */
#define SC_PERSONA_CONDS	61
struct sc_cond {
	int		 op;
	uint64_t	 value;
	uint64_t	 mask;
};
int	sc_persona_conds(struct sc_cond *, int max);
/* linux.resources; NULL r: devices and pids only */
cJSON	*bundle_resources(const struct resources *, int priv);
/* the kubelet's GetContainerOOMScoreAdjust for a node of this memory */
int	 bundle_qos_oom_adj(const struct pod *, const struct container_spec *,
	    uint64_t capacity);
cJSON	*bundle_container(const struct pod *, const struct container_spec *,
	    const struct rt_image *, const struct bundle_paths *,
	    struct rt_err *);
cJSON	*bundle_infra(const struct pod *, const struct bundle_paths *,
	    struct rt_err *);
int	bundle_pod_hostname(const struct pod *, char *, size_t);
/* linux.namespaces; ns NULL: the infra container's own */
cJSON	*bundle_namespaces(const struct pod *, const struct sandbox_ns *);

/* runtime.c: shared by infra.c */
int	rt_runtime_argv(const char **, int max, const char *cmd);
int	ctr_launch(const char *id, const char *bundle, const char *log_path,
	    const struct pod *, pid_t *, struct rt_err *);
int	ctr_start(const char *id, struct rt_err *);
int	rt_term_msg_path(const char *pod_uid, const char *container, char *,
	    size_t);
int	rt_term_msg_prepare(const char *pod_uid, const char *container,
	    char *path, size_t, struct rt_err *);
int	ctr_remove(const char *id, struct rt_err *);
/* runtime.c: [A-Za-z0-9_.-], not "." or "..": fit for a path component */
int	rt_safe_component(const char *);
/* infra.c: pod directories no sandbox records, and their mounts, go */
void	rt_pod_dirs_sweep(void);
int	rt_check_labels(const struct rt_labels *, struct rt_err *);
int	ctr_write_meta(const char *id, cJSON *meta, struct rt_err *);
cJSON	*ctr_read_meta(const char *id);
int	ctr_write_labels(const char *id, const struct rt_labels *,
	    struct rt_err *);
int	ctr_read_labels(const char *id, struct rt_labels *);
void	ctr_dir(char *, size_t, const char *id);

/* cni.c: the pod network (loopback, then cniConfDir's chain on eth0) */
struct cni_result;
int	cni_add(const struct pod *, const char *id, const char *netns,
	    struct cni_result *, struct rt_err *);
/* netns NULL: gone; the chain's DEL runs with CNI_NETNS empty */
int	cni_del(const char *id, const char *netns, struct rt_err *);

/* infra.c: the sandbox's namespaces, if it is running */
int	infra_running(const char *sandbox_id, struct sandbox_ns *,
	    struct rt_err *);
/* only a shared PID namespace needs a process (a PID 1) in the sandbox */
int	sandbox_needs_infra(const struct pod *);

/* pinns.c: pod namespaces held by bind mounts in runDir/ns/<id>/ */
#define PIN_NET		0
#define PIN_IPC		1
#define PIN_UTS		2
#define PIN_NKINDS	3
int	pin_flags(const struct pod *);	/* CLONE_NEW* the pod needs */
int	pin_wanted(int flags, int kind);
int	pin_path(char *, size_t, const char *id, int kind);	/* -1: dir */
/* sysctls: the pod's (psc.sysctls, policy-checked), set in the new
   namespaces by their holder */
int	pin_create(const char *id, int flags, const char *hostname,
	    const struct kv *sysctls, uint32_t n_sysctls,
	    uint64_t ino[PIN_NKINDS], struct rt_err *);
int	pin_held(const char *id, int kind, uint64_t ino);
int	pin_dir_exists(const char *id);
int	pin_remove(const char *id, struct rt_err *);
void	pin_sweep(void);

#endif
