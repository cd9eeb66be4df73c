/*
 * The executor's container runtime backend: the local image store, pod
 * sandboxes (the pod's net/ipc/uts namespaces, pinned by bind mounts or,
 * for a shared PID namespace, held by an infra container),
 * OCI bundles, runc/crun driven through conmon, CRI log files, cgroups.
 *
 * Functions return 0 on success, -1 on failure with a human-readable reason
 * in err (never logging themselves: the executor logs and audits once).
 * All state lives on disk under rootDir/runDir so that a restarted executor
 * can list and re-adopt what is running (rt_list_*).
 */
#ifndef AGENTD_RUNTIME_H
#define AGENTD_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "errchain.h"
#include "pod.h"

#define RT_ERR_MAX		ERRCHAIN_MAX
#define RT_ID_MAX		128
#define RT_MAX_IMAGES		256

/*
 * The reason, outermost context first: the function that fails sets the
 * cause (rt_seterr, rt_seterrno), each level above that knows more wraps
 * it (rt_wrap), so the executor's log, audit and pod status read
 * "creating sandbox for default/web: pinning namespaces: ...: cause".
 */
struct rt_err {
	struct errchain	 chain;
	int		 config;	/* the spec, not the runtime, failed */
};

#define rt_errmsg(e)	err_msg(&(e)->chain)

struct rt_info {
	char	runtime_name[16];	/* "runc" or "crun" */
	char	runtime_path[CONFIG_MAX_PATH];
	char	conmon_path[CONFIG_MAX_PATH];
	int	cgroup_v2;		/* unified hierarchy in use */
	char	storage_driver[16];	/* "overlay" or "native" */
	char	storage_warning[RT_ERR_MAX];	/* why auto fell back */
	char	storage_error[RT_ERR_MAX];	/* the configured one cannot work */
};

/* resolved image: the store's view of one reference */
struct rt_image {
	char	 ref[POD_MAX_IMAGE];	/* normalized, docker.io/library/x:tag */
	char	 digest[POD_MAX_ID];	/* "sha256:..." of the manifest */
	char	 rootfs[CONFIG_MAX_PATH];	/* unpacked, read-only lower */
	struct strlist entrypoint;
	struct strlist cmd;
	struct strlist env;		/* "K=V" */
	char	 working_dir[POD_MAX_PATH];
	char	 user[256];		/* "uid[:gid]" or name, "" = root */
	char	 stop_signal[32];	/* "" = SIGTERM */
};

struct rt_sandbox {
	char	 id[RT_ID_MAX];		/* sandbox id */
	pid_t	 pid;			/* infra process; 0 when pinned */
	int	 pinned;		/* namespaces held by runDir/ns mounts */
	char	 netns_path[CONFIG_MAX_PATH];	/* "" with hostNetwork */
	char	 pod_ip[64];		/* "" until CNI gives one */
};

enum rt_cstatus {
	RT_CREATED = 0,
	RT_RUNNING,
	RT_EXITED,
	RT_UNKNOWN
};

struct rt_cstate {
	int	 status;		/* enum rt_cstatus */
	pid_t	 pid;
	int	 exit_code;		/* valid when RT_EXITED */
	int	 signal;		/* killing signal, 0 if exited normally */
	int	 oom_killed;
	int64_t	 started_at_ns;
	int64_t	 finished_at_ns;
};

/* the identity stored with each container, used to re-adopt it */
struct rt_labels {
	char	 pod_namespace[POD_MAX_NAMESPACE + 1];
	char	 pod_name[POD_MAX_NAME + 1];
	char	 pod_uid[POD_MAX_UID + 1];
	char	 container[POD_MAX_LABEL + 1];	/* "" for the sandbox */
	uint32_t restart_count;
	char	 image_digest[POD_MAX_ID];
	char	 spec_hash[72];		/* the executor's hash of the pod */
	int64_t	 pod_created_ns;	/* when the executor accepted the pod:
					   its age survives restarts; 0 unknown */
};

typedef void (*rt_list_cb)(const char *id, const struct rt_labels *,
    void *arg);

int	rt_init(const struct agentd_config *, struct rt_info *, struct rt_err *);
/* the node's allocatable, for a resourceFieldRef without a limit */
void	rt_set_allocatable(uint32_t cpus, uint64_t memory_bytes);

/* images */
void	rt_image_normalize(const char *in, char *out, size_t outlen);
int	rt_image_import(const char *src, const char *name, char *digest,
	    size_t digestlen, struct rt_err *);
int	rt_image_lookup(const char *ref, struct rt_image *, struct rt_err *);
void	rt_image_free(struct rt_image *);
/* one line per image: "REF DIGEST SIZE\n"; returns malloc'd text */
char	*rt_image_list(struct rt_err *);

/* sandboxes; a failed create with sb->id set left that sandbox (its CNI
   DEL refused), which the caller removes */
int	rt_sandbox_create(const struct pod *, const char *spec_hash,
	    int64_t pod_created_ns, struct rt_sandbox *, struct rt_err *);
int	rt_sandbox_status(const char *id, struct rt_sandbox *, struct rt_cstate *,
	    struct rt_err *);
int	rt_sandbox_remove(const char *id, struct rt_err *);
/* the node's resolv.conf a pod's is made from (malloc'd; NULL: no memory) */
char	*rt_pod_resolv_host(void);

/* containers: create and start under conmon; id is returned */
/*
 * Termination messages (termmsg.c): the kubelet's bounds
 * (MaxContainerTerminationMessageLength, MaxPodTerminationMessageLogLength,
 * MaxContainerTerminationMessageLogLines and ...LogLength).
 */
#define RT_TERM_MSG_MAX		4096
#define RT_TERM_MSG_POD_MAX	(12 * 1024)
#define RT_TERM_LOG_LINES	80
#define RT_TERM_LOG_BYTES	2048
char	*rt_term_msg_collect(const struct rt_labels *, int fallback,
	    size_t budget, char *why, size_t whylen);
size_t	 rt_term_msg_text(const void *, size_t, char *, size_t max);
size_t	 rt_term_log_tail(const char *, size_t, int whole, int lines,
	    size_t keep, char *out);

/*
 * After a failed rt_container_start: 1 when it was the runtime's create
 * or start of the process that failed (a missing binary, a working
 * directory that is a file), the kubelet's StartError (exit code 128);
 * 0 for anything before it (the bundle, the cgroup, conmon itself).
 * Kept out of struct rt_err, whose users initialise it member by member.
 */
int	rt_start_failed(void);
int	rt_container_start(const struct pod *, const struct container_spec *,
	    const struct rt_image *, const struct rt_sandbox *,
	    const struct rt_labels *, char *id, size_t idlen, struct rt_err *);
int	rt_container_state(const char *id, struct rt_cstate *, struct rt_err *);
/* remove a stopped container: runtime state, bundle, cgroup, mounts */
int	rt_container_remove(const char *id, struct rt_err *);
/* CRI log file path of a container (podLogsDir/ns_name_uid/c/N.log) */
int	rt_container_log_path(const struct rt_labels *, char *, size_t);

/* signal a container's init directly (pidfd): no runtime process */
int	rt_container_signal(const char *id, int sig, struct rt_err *);
/*
 * `RUNTIME exec ID COMMAND...` in a running container, as its process
 * (the container's user, env and working directory), waited for at most
 * timeout_ms: probes and lifecycle hooks.  0 when the command ran to an
 * end (its exit code or signal in the result), -1 when it could not be
 * run or ran out of time (res->timed_out; the reason in err).  The output
 * is stdout then stderr, at most RT_EXEC_OUT_MAX - 1 bytes of it kept.
 * The runtime's own failures (no such container) are an exit code too,
 * as the runtime reports them.
 */
#define RT_EXEC_OUT_MAX		4096
#define RT_EXEC_MAX_ARGS	POD_MAX_ARGS
struct rt_exec_result {
	int	 exit_code;		/* 128+N when killed by signal N */
	int	 timed_out;
	char	 out[RT_EXEC_OUT_MAX];	/* NUL-terminated */
	size_t	 out_len;
};
int	rt_container_exec(const char *id, const struct strlist *cmd,
	    int timeout_ms, struct rt_exec_result *, struct rt_err *);
/*
 * A TCP or HTTP(S) probe from inside a pod's network namespace (netns,
 * "" for the node's): the caller, a job's child, enters it and makes the
 * socket there, then runs agentd-probe (libexecDir), which drops to the
 * privsep user under its own seccomp profile, connects that socket to
 * addr:port and answers with one line, copied to line.  -1 when the
 * prober could not be run or gave no answer.
 */
#define RT_NETPROBE_MAX_HEADERS	POD_MAX_HTTP_HEADERS
struct rt_netprobe {
	char		 netns[CONFIG_MAX_PATH];
	int		 http;		/* 0: a TCP connect */
	int		 https;
	int		 grpc;		/* a gRPC health check */
	const char	*service;	/* its service, NULL: "" */
	char		 addr[64];
	int		 port;
	const char	*path;		/* NULL: "/" */
	const struct kv	*headers;
	uint32_t	 n_headers;
	int		 timeout_ms;
	const char	*user;		/* privsepUser, privsepChroot */
	const char	*chroot;
};
int	rt_netprobe(const struct rt_netprobe *, char *line, size_t len,
	    struct rt_err *);
/* the next container or sandbox created in this process gets this id */
void	rt_preset_id(const char *id);
/* in a sandbox job: its channel to netparse for CNI results (cni.c) */
void	rt_set_netparse_fd(int);

/*
 * CNI at executor start (cni.c): the current network of cniConfDir (0,
 * or -1: none); whether a sandbox has a CNI attachment (its cni.json);
 * whether CHECK applies to it (0.4.0+, a cached result, no disableCheck
 * then or in the network of that name now); CHECK itself and GC, in a job
 */
struct cni_conf;
struct cni_attachment;
int	rt_cni_conf_load(struct cni_conf *);
int	rt_cni_attached(const char *id);
int	rt_cni_check_wanted(const char *id, const struct cni_conf *now);
int	rt_cni_check(const char *id, const char *netns, struct rt_err *);
int	rt_cni_gc(const struct cni_conf *, const struct cni_attachment *,
	    size_t, struct rt_err *);
int	rt_new_id(char *, size_t);
/* conmon's exit files, one per container id, for an inotify watch */
int	rt_exit_dir(char *, size_t);

/* everything the runtime knows about, for re-adoption and cleanup */
int	rt_list(rt_list_cb, void *arg, struct rt_err *);

#endif
