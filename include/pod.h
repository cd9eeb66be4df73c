/*
 * agentd's normalized pod model.  The watcher builds it from Kubernetes
 * objects; it crosses IPC only in the binary podwire encoding.  Every
 * string and list has a bound here, enforced by the parser (with a
 * field-naming error) and again by the decoder (which ends the peer).
 *
 * Unset optional integers are -1; tri-state booleans are TRI_UNSET/0/1.
 *
 * Every member of struct pod, of struct pod_report and of the structs
 * they hold has a row in the field tables of podschema.h
 * (ipc/podschema.c): its JSON name, wire tag, type, bound and default.
 * A new member needs its row there.
 */
#ifndef AGENTD_POD_H
#define AGENTD_POD_H

#include <stddef.h>
#include <stdint.h>

struct ipc_msg;

#define MAX_PODS		512
#define POD_MAX_CONTAINERS	16
/*
 * The identity bounds: one definition for the parser, the podwire decoder,
 * agentd's audit-record decoder and the reporter, so that what one process
 * accepts every later one accepts too.  Each is a length without the NUL;
 * a decoding buffer is the bound + 1.
 */
#define POD_MAX_NAME		253	/* DNS subdomain: pod name, node name */
#define POD_MAX_LABEL		63	/* DNS label: container, port names */
#define POD_MAX_NAMESPACE	POD_MAX_LABEL	/* a namespace is a DNS label */
#define POD_MAX_CONTAINER_NAME	POD_MAX_LABEL
#define POD_MAX_UID		128	/* [A-Za-z0-9-] (a UUID is 36) */
/* the pod's log directory "<namespace>_<name>_<uid>" is one file name */
#define POD_MAX_LOGDIR_NAME	255	/* NAME_MAX */
#define POD_MAX_KEY		317	/* prefix(253) '/' name(63) */
#define POD_MAX_LABEL_VALUE	63
#define POD_MAX_ANNOT_VALUE	(16 * 1024)
#define POD_MAX_META		64	/* labels, annotations each */
#define POD_MAX_IMAGE		512
#define POD_MAX_ARGS		256	/* command, args each */
#define POD_MAX_ARG		4096
#define POD_MAX_ENV		256
#define POD_MAX_ENV_NAME	256
#define POD_MAX_ENV_VALUE	(32 * 1024)
/* valueFrom: "metadata.annotations['<key>']", a quantity */
#define POD_MAX_FIELD_PATH	(POD_MAX_KEY + 32)
#define POD_MAX_DIVISOR		64	/* QUANTITY_MAX_LEN */
#define POD_MAX_PORTS		64
#define POD_MAX_CAPS		64
/* spec.securityContext.sysctls: the API server's name bound (253) */
#define POD_MAX_SYSCTLS		64
#define POD_MAX_SYSCTL_NAME	253
#define POD_MAX_SYSCTL_VALUE	1024
/* spec.securityContext.supplementalGroups: decimal gids, as the runtime's
   NGROUPS_MAX-bounded list */
#define POD_MAX_SUPP_GROUPS	64
#define POD_MAX_GID_TEXT	10	/* "2147483647" */
#define POD_MAX_CAP_NAME	32
#define POD_MAX_PATH		1024
#define POD_MAX_SOURCE		1024
#define POD_MAX_REASON		1024
/*
 * A container's status message: its termination message (the kubelet's
 * MaxContainerTerminationMessageLength, 4096) or a runtime's error.
 */
#define POD_MAX_MESSAGE		4096
/* terminationMessagePath when the spec has none (the API's default) */
#define POD_TERM_MSG_PATH_DEFAULT	"/dev/termination-log"
#define POD_MAX_ID		128	/* container ids, image digests */
#define POD_MAX_IP		63	/* an address, or a short list "v4,v6" */
/* hostAliases: no bound in Kubernetes; ours keep /etc/hosts small */
#define POD_MAX_HOST_ALIASES	64
#define POD_MAX_ALIAS_NAMES	64	/* hostnames of one alias */
/* dnsConfig, as the API server validates it (ExpandedDNSConfig) */
#define POD_MAX_DNS_SERVERS	3	/* MaxDNSNameservers */
#define POD_MAX_DNS_SEARCHES	32	/* MaxDNSSearchPaths */
#define POD_MAX_DNS_SEARCH_LEN	2048	/* MaxDNSSearchListChars, joined */
#define POD_MAX_DNS_OPTIONS	32
#define POD_MAX_DNS_OPTION	255	/* an option's name or value */

#define TRI_UNSET		((int8_t)-1)

/*
 * Volumes (issue 14).  Kubernetes bounds neither list; ours keep a pod's
 * mounts and its audit record small.  A volume's name is a DNS label, a
 * mountPath and a hostPath path at most POD_MAX_PATH - 1 bytes, a subPath
 * at most POD_MAX_SUB_PATH - 1 (a relative path inside the volume).
 */
#define POD_MAX_VOLUMES		64
#define POD_MAX_MOUNTS		64	/* volumeMounts of one container */
#define POD_MAX_VOLUME_NAME	POD_MAX_LABEL
#define POD_MAX_SUB_PATH	POD_MAX_PATH

/* handlers (probes, lifecycle hooks): what a user may say to reach them */
#define POD_MAX_HANDLER_HOST	45	/* an IP address: INET6_ADDRSTRLEN - 1 */
#define POD_MAX_HANDLER_PORT	15	/* a number or an IANA_SVC_NAME */
#define POD_MAX_HTTP_PATH	2048
#define POD_MAX_HTTP_HEADERS	32
#define POD_MAX_HTTP_HEADER_NAME 128
#define POD_MAX_HTTP_HEADER_VALUE 1024
#define POD_MAX_GRPC_SERVICE	253
/* a probe's seconds are int32 in v1.Probe */
#define POD_MAX_PROBE_SECONDS	INT32_MAX

enum restart_policy {
	RESTART_ALWAYS = 0,	/* Kubernetes default */
	RESTART_ON_FAILURE,
	RESTART_NEVER
};

/*
 * A container's own restartPolicy: the API server allows only "Always",
 * and only on an init container (a restartable init container, a
 * sidecar); unset everywhere else.
 */
enum ctr_restart {
	CTR_RESTART_UNSET = 0,
	CTR_RESTART_ALWAYS
};

enum pull_policy {
	PULL_IF_NOT_PRESENT = 0,
	PULL_ALWAYS,
	PULL_NEVER
};

enum dns_policy {
	DNS_CLUSTER_FIRST = 0,	/* Kubernetes default */
	DNS_CLUSTER_FIRST_HOST_NET,
	DNS_DEFAULT,
	DNS_NONE
};

enum term_msg_policy {
	TERM_MSG_FILE = 0,		/* Kubernetes default */
	TERM_MSG_FALLBACK_TO_LOGS	/* FallbackToLogsOnError */
};

enum port_proto {
	PROTO_TCP = 0,
	PROTO_UDP,
	PROTO_SCTP
};

struct kv {
	char	*key;
	char	*value;
};

struct strlist {
	char		**v;
	uint32_t	  n;
};

struct container_port {
	char		*name;		/* may be NULL */
	uint32_t	 container_port;
	uint32_t	 host_port;	/* 0 = none */
	uint8_t		 protocol;	/* enum port_proto */
	char		*host_ip;	/* may be NULL */
};

struct resources {
	int64_t		 cpu_request_milli;	/* -1 unset */
	int64_t		 cpu_limit_milli;
	int64_t		 mem_request_bytes;
	int64_t		 mem_limit_bytes;
};

struct security_context {
	int64_t		 run_as_user;		/* -1 unset */
	int64_t		 run_as_group;
	int8_t		 run_as_non_root;	/* TRI_UNSET, 0, 1 */
	int8_t		 read_only_root_fs;
	int8_t		 privileged;
	int8_t		 allow_privilege_escalation;
	struct strlist	 cap_add;		/* e.g. "NET_ADMIN" */
	struct strlist	 cap_drop;		/* "ALL" allowed */
};

/*
 * One handler of a probe or a lifecycle hook (v1.ProbeHandler,
 * v1.LifecycleHandler): exactly one of exec, httpGet, tcpSocket, grpc
 * (and sleep for hooks), named by kind; HANDLER_NONE is no handler at all
 * (no probe, no hook).  A port is the string of its number ("8080") or
 * the name of one of the container's ports ("http"); pod_handler_port()
 * resolves it.  Hosts are IP literals or NULL (the pod's address).
 */
enum handler_kind {
	HANDLER_NONE = 0,
	HANDLER_EXEC,
	HANDLER_HTTP_GET,
	HANDLER_TCP_SOCKET,
	HANDLER_GRPC,
	HANDLER_SLEEP		/* lifecycle hooks only: sleep.seconds */
};

enum uri_scheme {
	SCHEME_HTTP = 0,
	SCHEME_HTTPS
};

struct handler {
	uint8_t		 kind;		/* enum handler_kind */
	struct strlist	 exec_command;
	char		*http_host;	/* may be NULL */
	char		*http_path;	/* may be NULL: "/" */
	char		*http_port;
	uint8_t		 http_scheme;	/* enum uri_scheme */
	struct kv	*http_headers;
	uint32_t	 n_http_headers;
	char		*tcp_host;	/* may be NULL */
	char		*tcp_port;
	uint32_t	 grpc_port;
	char		*grpc_service;	/* may be NULL */
	int64_t		 sleep_s;	/* HANDLER_SLEEP; -1 unset */
};

/* v1.Lifecycle: each hook a handler, kind HANDLER_NONE when not given */
struct lifecycle {
	struct handler	 post_start;
	struct handler	 pre_stop;
};

/* v1.Probe, with the API server's defaults */
struct probe {
	struct handler	 h;		/* kind HANDLER_NONE: no probe */
	int32_t		 initial_delay_s;	/* 0 */
	int32_t		 period_s;		/* 10 */
	int32_t		 timeout_s;		/* 1 */
	int32_t		 success_threshold;	/* 1 */
	int32_t		 failure_threshold;	/* 3 */
	int64_t		 termination_grace_s;	/* -1: the pod's */
};

enum probe_type {
	PROBE_LIVENESS = 0,
	PROBE_READINESS,
	PROBE_STARTUP,
	PROBE_NTYPES
};

/*
 * An env var's valueFrom (issue 14): what the watcher validated, in a
 * form the executor resolves without parsing text.  The fieldPath and the
 * divisor are kept as written for the JSON; the enum, the key and
 * divisor_units are what the executor uses.
 */
enum env_field {
	ENV_FIELD_NONE = 0,		/* no fieldRef */
	ENV_FIELD_NAME,			/* metadata.name */
	ENV_FIELD_NAMESPACE,
	ENV_FIELD_UID,
	ENV_FIELD_LABEL,		/* metadata.labels['key'] */
	ENV_FIELD_ANNOTATION,		/* metadata.annotations['key'] */
	ENV_FIELD_NODE_NAME,		/* spec.nodeName */
	ENV_FIELD_SERVICE_ACCOUNT,	/* spec.serviceAccountName */
	ENV_FIELD_HOST_IP,		/* status.hostIP */
	ENV_FIELD_HOST_IPS,
	ENV_FIELD_POD_IP,
	ENV_FIELD_POD_IPS
};

/* resourceFieldRef.resource; ephemeral-storage is not modeled */
enum env_resource {
	ENV_RES_NONE = 0,		/* no resourceFieldRef */
	ENV_RES_LIMITS_CPU,
	ENV_RES_LIMITS_MEMORY,
	ENV_RES_REQUESTS_CPU,
	ENV_RES_REQUESTS_MEMORY
};

/* v1.ObjectFieldSelector; apiVersion is always "v1" */
struct env_field_ref {
	char		*field_path;	/* as written: the JSON */
	uint8_t		 field;		/* enum env_field */
	char		*key;		/* ENV_FIELD_LABEL/ANNOTATION */
};

/* v1.ResourceFieldSelector */
struct env_resource_ref {
	char		*container_name;	/* NULL: this container */
	uint8_t		 resource;		/* enum env_resource */
	char		*divisor;		/* as written; NULL: "1" */
	/* the divisor in the resource's unit: millicores for cpu (1 or
	   1000), bytes for memory; 0: the default divisor, 1 */
	int64_t		 divisor_units;
};

/* v1.EnvVar: value, or one source (field_ref or resource_ref) */
struct env_var {
	char			*key;		/* the variable's name */
	char			*value;		/* NULL with a source */
	struct env_field_ref	 field_ref;
	struct env_resource_ref	 resource_ref;
};

/* the source an env var has: 0 none (a value), else the enum's */
#define ENV_HAS_FIELD(e)	((e)->field_ref.field != ENV_FIELD_NONE)
#define ENV_HAS_RESOURCE(e)	((e)->resource_ref.resource != ENV_RES_NONE)

enum volume_kind {
	VOL_EMPTY_DIR = 0,
	VOL_HOST_PATH
};

enum volume_medium {
	MEDIUM_DEFAULT = 0,	/* the node's disk, under rootDir */
	MEDIUM_MEMORY		/* a tmpfs */
};

/* v1.HostPathType: HPT_UNSET ("") checks nothing */
enum host_path_type {
	HPT_UNSET = 0,
	HPT_DIRECTORY_OR_CREATE,
	HPT_DIRECTORY,
	HPT_FILE_OR_CREATE,
	HPT_FILE,
	HPT_SOCKET,
	HPT_CHAR_DEVICE,
	HPT_BLOCK_DEVICE
};

/* spec.volumes[i]: one source, named by kind */
struct volume {
	char		*name;
	uint8_t		 kind;		/* enum volume_kind */
	uint8_t		 medium;	/* emptyDir: enum volume_medium */
	int64_t		 size_limit;	/* emptyDir: bytes, -1 unset */
	char		*host_path;	/* hostPath: absolute */
	uint8_t		 host_path_type; /* enum host_path_type */
};

/* containers[i].volumeMounts[j] */
struct volume_mount {
	char		*name;		/* a volume of the pod */
	char		*mount_path;	/* absolute, no ".." */
	uint8_t		 read_only;
	char		*sub_path;	/* may be NULL: relative, no ".." */
};

struct container_spec {
	char			*name;
	char			*image;
	uint8_t			 pull_policy;	/* enum pull_policy */
	struct strlist		 command;
	struct strlist		 args;
	struct env_var		*env;
	uint32_t		 n_env;
	char			*working_dir;	/* may be NULL */
	struct container_port	*ports;
	uint32_t		 n_ports;
	struct resources	 res;
	struct security_context	 sc;
	/* init containers only: CTR_RESTART_ALWAYS makes it a sidecar */
	uint8_t			 restart_policy;	/* enum ctr_restart */
	char			*term_msg_path;	/* NULL: the default */
	uint8_t			 term_msg_policy; /* enum term_msg_policy */
	struct probe		 liveness;
	struct probe		 readiness;
	struct probe		 startup;
	struct lifecycle	 lifecycle;
	struct volume_mount	*mounts;	/* volumeMounts */
	uint32_t		 n_mounts;
};

/* spec.securityContext.supplementalGroupsPolicy */
enum supp_groups_policy {
	SUPP_GROUPS_MERGE = 0,	/* the image's groups added (default) */
	SUPP_GROUPS_STRICT	/* refused by the watcher: not implemented */
};

struct pod_security_context {
	int64_t		 run_as_user;		/* -1 unset */
	int64_t		 run_as_group;
	int8_t		 run_as_non_root;	/* TRI_UNSET, 0, 1 */
	/* names with dots ("/" converted by the watcher), values as given */
	struct kv	*sysctls;
	uint32_t	 n_sysctls;
	/* gids in canonical decimal (the schema has no integer lists) */
	struct strlist	 supplemental_groups;
	uint8_t		 supplemental_groups_policy; /* supp_groups_policy */
};

struct host_alias {
	char		*ip;
	struct strlist	 hostnames;
};

/* spec.dnsConfig; options are name and value ("" for none) */
struct pod_dns_config {
	struct strlist	 nameservers;
	struct strlist	 searches;
	struct kv	*options;
	uint32_t	 n_options;
};

struct pod {
	char			*namespace;
	char			*name;
	char			*uid;
	struct kv		*labels;
	uint32_t		 n_labels;
	struct kv		*annotations;
	uint32_t		 n_annotations;
	char			*source;	/* "file:/etc/..." or "api" */
	char			*node_name;
	/* spec.serviceAccountName: NULL for a static pod (the kubelet's
	   mirror pods may name none); what the API server set otherwise */
	char			*service_account;
	uint8_t			 restart_policy;
	int64_t			 termination_grace_seconds;	/* default 30 */
	uint8_t			 host_network;
	uint8_t			 host_pid;
	uint8_t			 host_ipc;
	uint8_t			 share_pid;	/* shareProcessNamespace */
	struct pod_security_context psc;
	char			*hostname;	/* may be NULL: the pod name */
	char			*subdomain;	/* may be NULL */
	uint8_t			 set_hostname_fqdn;
	uint8_t			 dns_policy;	/* enum dns_policy */
	struct pod_dns_config	 dns_config;
	struct host_alias	*host_aliases;
	uint32_t		 n_host_aliases;
	struct container_spec	*containers;
	uint32_t		 n_containers;
	/* spec.initContainers: run in order before the containers; names
	   unique across both lists (the executor keys slots by name) */
	struct container_spec	*init_containers;
	uint32_t		 n_init_containers;
	int64_t			 active_deadline_seconds;	/* -1 unset */
	struct volume		*volumes;
	uint32_t		 n_volumes;
	/* spec.priorityClassName, may be NULL: "system-node-critical" is
	   the kubelet's IsNodeCriticalPod (oom_score_adj -997) */
	char			*priority_class_name;
};

/* observed state, executor -> reporter */
enum container_state {
	CSTATE_WAITING = 0,
	CSTATE_RUNNING,
	CSTATE_TERMINATED
};

struct container_term {
	int32_t		 exit_code;
	int32_t		 signal;
	char		*reason;		/* Completed, Error, OOMKilled */
	char		*message;
	int64_t		 started_at_ns;		/* unix ns, 0 = unknown */
	int64_t		 finished_at_ns;
	char		*container_id;
};

struct container_report {
	char			*name;
	char			*image;		/* as in the spec */
	char			*image_id;	/* resolved digest, may be NULL */
	char			*container_id;	/* "runc://<id>", may be NULL */
	uint8_t			 state;		/* enum container_state */
	char			*reason;	/* waiting/terminated reason */
	char			*message;
	int64_t			 started_at_ns;	/* running/terminated */
	int32_t			 exit_code;	/* terminated */
	int32_t			 signal;
	int64_t			 finished_at_ns;
	uint32_t		 restart_count;
	uint8_t			 has_last;	/* last_term is valid */
	struct container_term	 last_term;
	uint8_t			 ready;
	/* running and past its startup probe (none: running); a
	   sidecar's gates the next init container (kubelet: Started) */
	uint8_t			 started;
};

struct pod_report {
	uint8_t			 denied;	/* node policy refused the pod */
	char			*reason;	/* pod-level reason, may be NULL */
	char			*message;
	uint8_t			 sandbox_ready;
	int64_t			 start_time_ns;	/* accepted by the executor */
	uint8_t			 terminating;	/* being stopped and removed */
	int64_t			 deletion_ns;	/* terminating: gone by then
						   (start + grace), 0 unknown */
	char			*pod_ip;	/* may be NULL */
	char			*host_ip;
	struct container_report	*containers;
	uint32_t		 n_containers;
	/* spec.initContainers' statuses, in spec order */
	struct container_report	*init_containers;
	uint32_t		 n_init_containers;
	uint8_t			 failed;	/* the pod failed as a whole
						   (DeadlineExceeded): reason,
						   message say why */
};

/* pod.c: model helpers */
void	pod_init(struct pod *);
void	pod_free(struct pod *);
void	container_spec_init(struct container_spec *);
void	pod_report_init(struct pod_report *);
void	pod_report_free(struct pod_report *);
void	strlist_free(struct strlist *);
int	strlist_add(struct strlist *, const char *, uint32_t max);
const char *pod_restart_policy_name(uint8_t);
const char *pod_pull_policy_name(uint8_t);	/* "IfNotPresent" */
const char *pod_ctr_restart_name(uint8_t);	/* "Always", "" unset */
/* an init container with restartPolicy Always */
int	pod_is_sidecar(const struct container_spec *);
/* the pod's QoS class, as the kubelet's GetPodQOS (ipc/pod.c) */
enum pod_qos {
	POD_QOS_GUARANTEED = 0,
	POD_QOS_BURSTABLE,
	POD_QOS_BESTEFFORT
};
enum pod_qos	pod_qos_class(const struct pod *);
const char	*pod_qos_name(enum pod_qos);
const char *pod_protocol_name(uint8_t);		/* "TCP" */
const char *pod_dns_policy_name(uint8_t);	/* "ClusterFirst" */
const char *pod_term_msg_policy_name(uint8_t);	/* "File" */
const char *pod_supp_groups_policy_name(uint8_t);	/* "Merge" */
int64_t	pod_now_ns(void);	/* CLOCK_REALTIME in the model's unit */
const char *pod_scheme_name(uint8_t);		/* "HTTP" */
const char *pod_handler_kind_name(uint8_t);	/* "httpGet" */
const char *pod_probe_name(int);		/* "livenessProbe" */
const char *pod_env_resource_name(uint8_t);	/* "limits.cpu" */
const char *pod_env_field_name(uint8_t);	/* "metadata.name" */
/* a + b, saturated at the int64 bounds: sums of a hostile pod's limits */
int64_t	pod_sat_add(int64_t, int64_t);
const char *pod_volume_kind_name(uint8_t);	/* "emptyDir" */
const char *pod_medium_name(uint8_t);		/* "", "Memory" */
const char *pod_host_path_type_name(uint8_t);	/* "", "Directory" */
/* the pod's volume of that name; NULL when it has none */
const struct volume *pod_volume(const struct pod *, const char *name);
/*
 * Path rules of volumeMounts, the same in the watcher and the executor:
 * NULL when the path is acceptable, else the reason.  A mountPath is
 * absolute, at most POD_MAX_PATH - 1 bytes, no ".." component, not "/";
 * a subPath relative, at most POD_MAX_SUB_PATH - 1, no ".." component;
 * a hostPath path absolute, no ".." component.
 */
const char *pod_mount_path_problem(const char *);
const char *pod_sub_path_problem(const char *);
const char *pod_host_path_problem(const char *);
/* a container's probe of a type; NULL when it has none */
const struct probe *pod_probe(const struct container_spec *, int type);
/*
 * A handler's port: its number, or the number of the container's port of
 * that name; -1 when it names no port of the container.
 */
int	pod_handler_port(const char *port, const struct container_spec *);

/*
 * Identity checks (pod.c), the same in the watcher (with the field for the
 * user) and in the executor right after decoding (a failure is a protocol
 * error of the watcher): namespace a DNS label, name a DNS subdomain,
 * uid [A-Za-z0-9-] of at most POD_MAX_UID, the log directory name within
 * POD_MAX_LOGDIR_NAME, container names DNS labels, and what the pod's
 * /etc files are made of (hostname, subdomain, hostAliases, dnsConfig)
 * within the watcher's rules.  0 if all hold; else
 * -1 with the field's path in field and the reason in why.
 */
#define POD_IDENTITY_FIELD	64
#define POD_IDENTITY_WHY	256
int	pod_dns_label_ok(const char *, size_t);
int	pod_dns_subdomain_ok(const char *, size_t);
int	pod_uid_ok(const char *, size_t);
int	pod_identity_check(const struct pod *, char field[POD_IDENTITY_FIELD],
	    char why[POD_IDENTITY_WHY]);

/* podwire.c: the binary encoding; decode returns -1 on any violation */
int	podwire_put_pod(struct ipc_msg *, const struct pod *);
int	podwire_get_pod(struct ipc_msg *, struct pod *);
int	podwire_put_report(struct ipc_msg *, const struct pod_report *);
int	podwire_get_report(struct ipc_msg *, struct pod_report *);
#ifdef AGENTD_TEST_HOOKS
/* upgrade tests: version PODWIRE_VERSION + 1 and/or unknown fields */
void	podwire_test_layout(int bump, int extra);
#endif

#endif
