/*
 * The pod model's field tables (podschema.h), the executor report's, and
 * what follows from a table alone: the defaults, what a struct owns and
 * frees, whether a field is at its default, and the tables' own checks.
 * The wire encoding they drive is in podwire.c, the JSON in the
 * reporter's podjson.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"	/* nitems, IPC_MAX_STR */
#include "pod.h"
#include "podschema.h"

#define OFF(st, m)	offsetof(st, m)

/* a string: required ones are never "", optional ones "" are NULL */
#define STR(n, t, st, m, mx, fl) { .name = n, .tag = t, .type = PS_STR, \
	.flags = fl, .off = OFF(st, m), .max = mx }
#define STRLIST(n, t, st, m, cnt, emx) { .name = n, .tag = t, \
	.type = PS_STRLIST, .flags = PSF_JSON_OMIT, .off = OFF(st, m), \
	.max = cnt, .elem_max = emx }
#define KVLIST(n, t, st, m, c, cnt, kmx, vmx, fm) { .name = n, .tag = t, \
	.type = PS_KVLIST, .flags = PSF_JSON_OMIT, .fmt = fm, \
	.off = OFF(st, m), .count_off = OFF(st, c), .max = cnt, \
	.key_max = kmx, .elem_max = vmx }
#define BOOL(n, t, st, m) { .name = n, .tag = t, .type = PS_BOOL, \
	.flags = PSF_JSON_OMIT, .off = OFF(st, m), .max = 1 }
#define TRI(n, t, st, m) { .name = n, .tag = t, .type = PS_TRI, \
	.flags = PSF_JSON_OMIT, .off = OFF(st, m), .min = -1, .max = 1, \
	.def = TRI_UNSET }
#define ENUM(n, t, st, m, mx, fn) { .name = n, .tag = t, .type = PS_ENUM, \
	.off = OFF(st, m), .max = mx, .enum_name = fn }
/* an optional non-negative integer: -1 is unset */
#define OPT_I64(n, t, st, m, fm) { .name = n, .tag = t, .type = PS_I64, \
	.flags = PSF_UNSET | PSF_JSON_OMIT, .fmt = fm, .off = OFF(st, m), \
	.min = 0, .max = INT64_MAX, .def = -1 }
#define U32(n, t, st, m, lo, hi, fl) { .name = n, .tag = t, .type = PS_U32, \
	.flags = fl, .off = OFF(st, m), .min = lo, .max = hi }
#define STRUCT(n, t, st, m, s, fl) { .name = n, .tag = t, \
	.type = PS_STRUCT, .flags = fl, .off = OFF(st, m), .sub = &s }
#define LIST(n, t, st, m, c, cnt, s, fl) { .name = n, .tag = t, \
	.type = PS_LIST, .flags = fl, .off = OFF(st, m), \
	.count_off = OFF(st, c), .max = cnt, .sub = &s }
/* a decoder tracks the rows it has seen in 64 bits */
#define TABLE(sym, nm, st, rows) \
	_Static_assert(nitems(rows) <= PODSCHEMA_MAX_FIELDS, #rows); \
	const struct podschema sym = { nm, sizeof(st), rows, nitems(rows) }

/* ---- the tables: rows in v1 JSON order, tags as first assigned ---- */

static const struct podfield port_fields[] = {
	STR("name", 1, struct container_port, name, POD_MAX_LABEL,
	    PSF_JSON_OMIT),
	U32("hostPort", 3, struct container_port, host_port, 0, 65535,
	    PSF_JSON_OMIT),
	U32("containerPort", 2, struct container_port, container_port, 1,
	    65535, PSF_REQUIRED),
	ENUM("protocol", 4, struct container_port, protocol, PROTO_SCTP,
	    pod_protocol_name),
	STR("hostIP", 5, struct container_port, host_ip, 63, PSF_JSON_OMIT),
};
TABLE(podschema_port, "port", struct container_port, port_fields);

/* limits before requests, as v1.ResourceRequirements */
static const struct podfield resources_fields[] = {
	OPT_I64("limits.cpu", 2, struct resources, cpu_limit_milli, PSJ_CPU),
	OPT_I64("limits.memory", 4, struct resources, mem_limit_bytes,
	    PSJ_MEM),
	OPT_I64("requests.cpu", 1, struct resources, cpu_request_milli,
	    PSJ_CPU),
	OPT_I64("requests.memory", 3, struct resources, mem_request_bytes,
	    PSJ_MEM),
};
TABLE(podschema_resources, "resources", struct resources, resources_fields);

static const struct podfield sc_fields[] = {
	STRLIST("capabilities.add", 7, struct security_context, cap_add,
	    POD_MAX_CAPS, POD_MAX_CAP_NAME),
	STRLIST("capabilities.drop", 8, struct security_context, cap_drop,
	    POD_MAX_CAPS, POD_MAX_CAP_NAME),
	TRI("privileged", 5, struct security_context, privileged),
	OPT_I64("runAsUser", 1, struct security_context, run_as_user,
	    PSJ_PLAIN),
	OPT_I64("runAsGroup", 2, struct security_context, run_as_group,
	    PSJ_PLAIN),
	TRI("runAsNonRoot", 3, struct security_context, run_as_non_root),
	TRI("readOnlyRootFilesystem", 4, struct security_context,
	    read_only_root_fs),
	TRI("allowPrivilegeEscalation", 6, struct security_context,
	    allow_privilege_escalation),
};
TABLE(podschema_security_context, "securityContext", struct security_context,
    sc_fields);

/*
 * A handler (probes, lifecycle hooks): the kind is bookkeeping, the
 * JSON shows only the handler it names.  Tags 1-19 the probes' helper's,
 * 20 on the hooks'.
 */
static const struct podfield handler_fields[] = {
	{ .name = "kind", .tag = 1, .type = PS_ENUM, .where = PSW_NONE,
	  .off = OFF(struct handler, kind), .max = HANDLER_SLEEP,
	  .enum_name = pod_handler_kind_name },
	STRLIST("exec.command", 2, struct handler, exec_command, POD_MAX_ARGS,
	    POD_MAX_ARG),
	STR("httpGet.host", 3, struct handler, http_host,
	    POD_MAX_HANDLER_HOST, PSF_JSON_OMIT),
	STR("httpGet.path", 4, struct handler, http_path, POD_MAX_HTTP_PATH,
	    PSF_JSON_OMIT),
	{ .name = "httpGet.port", .tag = 5, .type = PS_STR,
	  .flags = PSF_JSON_OMIT, .fmt = PSJ_INTORSTR,
	  .off = OFF(struct handler, http_port),
	  .max = POD_MAX_HANDLER_PORT },
	{ .name = "httpGet.scheme", .tag = 6, .type = PS_ENUM,
	  .flags = PSF_JSON_OMIT, .off = OFF(struct handler, http_scheme),
	  .max = SCHEME_HTTPS, .enum_name = pod_scheme_name },
	KVLIST("httpGet.httpHeaders", 7, struct handler, http_headers,
	    n_http_headers, POD_MAX_HTTP_HEADERS, POD_MAX_HTTP_HEADER_NAME,
	    POD_MAX_HTTP_HEADER_VALUE, PSJ_NAMEVALUE),
	STR("tcpSocket.host", 8, struct handler, tcp_host,
	    POD_MAX_HANDLER_HOST, PSF_JSON_OMIT),
	{ .name = "tcpSocket.port", .tag = 9, .type = PS_STR,
	  .flags = PSF_JSON_OMIT, .fmt = PSJ_INTORSTR,
	  .off = OFF(struct handler, tcp_port),
	  .max = POD_MAX_HANDLER_PORT },
	U32("grpc.port", 10, struct handler, grpc_port, 0, 65535,
	    PSF_JSON_OMIT),
	STR("grpc.service", 11, struct handler, grpc_service,
	    POD_MAX_GRPC_SERVICE, PSF_JSON_OMIT),
	OPT_I64("sleep.seconds", 20, struct handler, sleep_s, PSJ_PLAIN),
};
TABLE(podschema_handler, "handler", struct handler, handler_fields);

/* v1.Lifecycle (issue 13): the handlers, inlined in their objects */
static const struct podfield lifecycle_fields[] = {
	STRUCT("postStart", 1, struct lifecycle, post_start,
	    podschema_handler, PSF_JSON_OMIT),
	STRUCT("preStop", 2, struct lifecycle, pre_stop, podschema_handler,
	    PSF_JSON_OMIT),
};
TABLE(podschema_lifecycle, "lifecycle", struct lifecycle, lifecycle_fields);

/* v1.Probe: the API server's defaults (SetDefaults_Probe) */
#define PROBE_I32(n, t, m, lo, d) { .name = n, .tag = t, .type = PS_I32, \
	.off = OFF(struct probe, m), .min = lo, .max = POD_MAX_PROBE_SECONDS, \
	.def = d }
static const struct podfield probe_fields[] = {
	{ .name = "handler", .tag = 1, .type = PS_STRUCT,
	  .flags = PSF_JSON_INLINE, .off = OFF(struct probe, h),
	  .sub = &podschema_handler },
	PROBE_I32("initialDelaySeconds", 2, initial_delay_s, 0, 0),
	PROBE_I32("timeoutSeconds", 3, timeout_s, 1, 1),
	PROBE_I32("periodSeconds", 4, period_s, 1, 10),
	PROBE_I32("successThreshold", 5, success_threshold, 1, 1),
	PROBE_I32("failureThreshold", 6, failure_threshold, 1, 3),
	{ .name = "terminationGracePeriodSeconds", .tag = 7, .type = PS_I64,
	  .flags = PSF_UNSET | PSF_JSON_OMIT,
	  .off = OFF(struct probe, termination_grace_s), .min = 1,
	  .max = INT64_MAX, .def = -1 },
};
#undef PROBE_I32
TABLE(podschema_probe, "probe", struct probe, probe_fields);

/*
 * v1.EnvVar (issue 14): a value, or a valueFrom source.  What the
 * executor resolves is the enum, the key and the divisor's units
 * (PSW_NONE: not in the JSON); the fieldPath and divisor are as written.
 */
static const struct podfield env_field_ref_fields[] = {
	STR("fieldPath", 1, struct env_field_ref, field_path,
	    POD_MAX_FIELD_PATH, PSF_JSON_OMIT),
	{ .name = "field", .tag = 2, .type = PS_ENUM, .where = PSW_NONE,
	  .off = OFF(struct env_field_ref, field), .max = ENV_FIELD_POD_IPS,
	  .enum_name = pod_env_field_name },
	{ .name = "key", .tag = 3, .type = PS_STR, .where = PSW_NONE,
	  .off = OFF(struct env_field_ref, key), .max = POD_MAX_KEY },
};
TABLE(podschema_env_field_ref, "fieldRef", struct env_field_ref,
    env_field_ref_fields);

static const struct podfield env_resource_ref_fields[] = {
	STR("containerName", 1, struct env_resource_ref, container_name,
	    POD_MAX_CONTAINER_NAME, PSF_JSON_OMIT),
	ENUM("resource", 2, struct env_resource_ref, resource,
	    ENV_RES_REQUESTS_MEMORY, pod_env_resource_name),
	STR("divisor", 3, struct env_resource_ref, divisor,
	    POD_MAX_DIVISOR, PSF_JSON_OMIT),
	{ .name = "divisorUnits", .tag = 4, .type = PS_I64,
	  .where = PSW_NONE, .off = OFF(struct env_resource_ref,
	  divisor_units), .min = 0, .max = INT64_MAX, .def = 0 },
};
TABLE(podschema_env_resource_ref, "resourceFieldRef",
    struct env_resource_ref, env_resource_ref_fields);

static const struct podfield env_var_fields[] = {
	STR("name", 1, struct env_var, key, POD_MAX_ENV_NAME, PSF_REQUIRED),
	STR("value", 2, struct env_var, value, POD_MAX_ENV_VALUE,
	    PSF_JSON_OMIT),
	STRUCT("valueFrom.fieldRef", 3, struct env_var, field_ref,
	    podschema_env_field_ref, PSF_JSON_OMIT),
	STRUCT("valueFrom.resourceFieldRef", 4, struct env_var, resource_ref,
	    podschema_env_resource_ref, PSF_JSON_OMIT),
};
TABLE(podschema_env_var, "env", struct env_var, env_var_fields);
/* spec.volumes[i] (issue 14): the kind says which source the rows are */
static const struct podfield volume_fields[] = {
	STR("name", 1, struct volume, name, POD_MAX_VOLUME_NAME,
	    PSF_REQUIRED | PSF_KEY),
	{ .name = "kind", .tag = 2, .type = PS_ENUM, .where = PSW_NONE,
	  .off = OFF(struct volume, kind), .max = VOL_HOST_PATH,
	  .enum_name = pod_volume_kind_name },
	{ .name = "emptyDir.medium", .tag = 3, .type = PS_ENUM,
	  .flags = PSF_JSON_OMIT, .off = OFF(struct volume, medium),
	  .max = MEDIUM_MEMORY, .enum_name = pod_medium_name },
	{ .name = "emptyDir.sizeLimit", .tag = 4, .type = PS_I64,
	  .flags = PSF_UNSET | PSF_JSON_OMIT, .fmt = PSJ_MEM,
	  .off = OFF(struct volume, size_limit), .min = 1, .max = INT64_MAX,
	  .def = -1 },
	STR("hostPath.path", 5, struct volume, host_path, POD_MAX_PATH - 1,
	    PSF_JSON_OMIT),
	{ .name = "hostPath.type", .tag = 6, .type = PS_ENUM,
	  .flags = PSF_JSON_OMIT, .off = OFF(struct volume, host_path_type),
	  .max = HPT_BLOCK_DEVICE, .enum_name = pod_host_path_type_name },
};
TABLE(podschema_volume, "volume", struct volume, volume_fields);

static const struct podfield volume_mount_fields[] = {
	STR("name", 1, struct volume_mount, name, POD_MAX_VOLUME_NAME,
	    PSF_REQUIRED),
	BOOL("readOnly", 2, struct volume_mount, read_only),
	STR("mountPath", 3, struct volume_mount, mount_path, POD_MAX_PATH - 1,
	    PSF_REQUIRED),
	STR("subPath", 4, struct volume_mount, sub_path, POD_MAX_SUB_PATH - 1,
	    PSF_JSON_OMIT),
};
TABLE(podschema_volume_mount, "volumeMount", struct volume_mount,
    volume_mount_fields);

static const struct podfield container_fields[] = {
	STR("name", 1, struct container_spec, name, POD_MAX_CONTAINER_NAME,
	    PSF_REQUIRED | PSF_KEY),
	STR("image", 2, struct container_spec, image, POD_MAX_IMAGE,
	    PSF_REQUIRED),
	STRLIST("command", 4, struct container_spec, command, POD_MAX_ARGS,
	    POD_MAX_ARG),
	STRLIST("args", 5, struct container_spec, args, POD_MAX_ARGS,
	    POD_MAX_ARG),
	STR("workingDir", 7, struct container_spec, working_dir, POD_MAX_PATH,
	    PSF_JSON_OMIT),
	LIST("ports", 8, struct container_spec, ports, n_ports, POD_MAX_PORTS,
	    podschema_port, PSF_JSON_OMIT),
	/* tag 6 was env as name/value pairs, before valueFrom (issue 14):
	   not reused, so that a decoder of either age skips the other's */
	LIST("env", 50, struct container_spec, env, n_env, POD_MAX_ENV,
	    podschema_env_var, PSF_JSON_OMIT),
	STRUCT("resources", 9, struct container_spec, res,
	    podschema_resources, 0),
	ENUM("imagePullPolicy", 3, struct container_spec, pull_policy,
	    PULL_NEVER, pod_pull_policy_name),
	STRUCT("securityContext", 10, struct container_spec, sc,
	    podschema_security_context, PSF_JSON_OMIT),
	/* tags 30 on: init containers and sidecars (issue 13) */
	{ .name = "restartPolicy", .tag = 30, .type = PS_ENUM,
	  .flags = PSF_JSON_OMIT, .off = OFF(struct container_spec,
	  restart_policy), .max = CTR_RESTART_ALWAYS,
	  .enum_name = pod_ctr_restart_name },
	/* tags 35 on: termination messages, hooks (issue 13) */
	STR("terminationMessagePath", 35, struct container_spec,
	    term_msg_path, POD_MAX_PATH, PSF_JSON_OMIT),
	ENUM("terminationMessagePolicy", 36, struct container_spec,
	    term_msg_policy, TERM_MSG_FALLBACK_TO_LOGS,
	    pod_term_msg_policy_name),
	/* tags 20-29: probes (issue 13) */
	STRUCT("livenessProbe", 20, struct container_spec, liveness,
	    podschema_probe, PSF_JSON_OMIT),
	STRUCT("readinessProbe", 21, struct container_spec, readiness,
	    podschema_probe, PSF_JSON_OMIT),
	STRUCT("startupProbe", 22, struct container_spec, startup,
	    podschema_probe, PSF_JSON_OMIT),
	STRUCT("lifecycle", 37, struct container_spec, lifecycle,
	    podschema_lifecycle, PSF_JSON_OMIT),
	/* tags 60-64: volumes (issue 14) */
	LIST("volumeMounts", 60, struct container_spec, mounts, n_mounts,
	    POD_MAX_MOUNTS, podschema_volume_mount, PSF_JSON_OMIT),
};
TABLE(podschema_container, "container", struct container_spec,
    container_fields);

static const struct podfield psc_fields[] = {
	OPT_I64("runAsUser", 1, struct pod_security_context, run_as_user,
	    PSJ_PLAIN),
	OPT_I64("runAsGroup", 2, struct pod_security_context, run_as_group,
	    PSJ_PLAIN),
	TRI("runAsNonRoot", 3, struct pod_security_context, run_as_non_root),
	/* tags 30-39: sysctls and groups (issue 14) */
	/* not in the JSON: Kubernetes has numbers, the model strings */
	{ .name = "supplementalGroups", .tag = 30, .type = PS_STRLIST,
	  .flags = PSF_JSON_OMIT, .where = PSW_NONE,
	  .off = OFF(struct pod_security_context, supplemental_groups),
	  .max = POD_MAX_SUPP_GROUPS, .elem_max = POD_MAX_GID_TEXT },
	{ .name = "supplementalGroupsPolicy", .tag = 31, .type = PS_ENUM,
	  .flags = PSF_JSON_OMIT, .off = OFF(struct pod_security_context,
	  supplemental_groups_policy), .max = SUPP_GROUPS_STRICT,
	  .enum_name = pod_supp_groups_policy_name },
	KVLIST("sysctls", 32, struct pod_security_context, sysctls,
	    n_sysctls, POD_MAX_SYSCTLS, POD_MAX_SYSCTL_NAME,
	    POD_MAX_SYSCTL_VALUE, PSJ_NAMEVALUE),
};
TABLE(podschema_pod_security_context, "securityContext",
    struct pod_security_context, psc_fields);

static const struct podfield alias_fields[] = {
	STR("ip", 1, struct host_alias, ip, POD_MAX_IP, PSF_REQUIRED),
	STRLIST("hostnames", 2, struct host_alias, hostnames,
	    POD_MAX_ALIAS_NAMES, POD_MAX_NAME),
};
TABLE(podschema_host_alias, "hostAlias", struct host_alias, alias_fields);

static const struct podfield dns_config_fields[] = {
	STRLIST("nameservers", 1, struct pod_dns_config, nameservers,
	    POD_MAX_DNS_SERVERS, POD_MAX_IP),
	STRLIST("searches", 2, struct pod_dns_config, searches,
	    POD_MAX_DNS_SEARCHES, POD_MAX_NAME + 1),
	KVLIST("options", 3, struct pod_dns_config, options, n_options,
	    POD_MAX_DNS_OPTIONS, POD_MAX_DNS_OPTION, POD_MAX_DNS_OPTION,
	    PSJ_NAMEVALUE),
};
TABLE(podschema_dns_config, "dnsConfig", struct pod_dns_config,
    dns_config_fields);

/* tags 20 on: the DNS and hostname fields (issue 11) */
static const struct podfield pod_fields[] = {
	{ .name = "name", .tag = 2, .type = PS_STR, .flags = PSF_REQUIRED,
	  .where = PSW_META_ID, .off = OFF(struct pod, name),
	  .max = POD_MAX_NAME },
	{ .name = "namespace", .tag = 1, .type = PS_STR,
	  .flags = PSF_REQUIRED, .where = PSW_META_ID,
	  .off = OFF(struct pod, namespace), .max = POD_MAX_NAMESPACE },
	{ .name = "uid", .tag = 3, .type = PS_STR,
	  .flags = PSF_REQUIRED | PSF_JSON_OMIT, .where = PSW_META_ID,
	  .off = OFF(struct pod, uid), .max = POD_MAX_UID },
	{ .name = "labels", .tag = 4, .type = PS_KVLIST,
	  .flags = PSF_JSON_OMIT, .where = PSW_META, .fmt = PSJ_MAP,
	  .off = OFF(struct pod, labels), .count_off = OFF(struct pod,
	  n_labels), .max = POD_MAX_META, .key_max = POD_MAX_KEY,
	  .elem_max = POD_MAX_LABEL_VALUE },
	{ .name = "annotations", .tag = 5, .type = PS_KVLIST,
	  .flags = PSF_JSON_OMIT, .where = PSW_META, .fmt = PSJ_MAP,
	  .off = OFF(struct pod, annotations), .count_off = OFF(struct pod,
	  n_annotations), .max = POD_MAX_META, .key_max = POD_MAX_KEY,
	  .elem_max = POD_MAX_ANNOT_VALUE },
	{ .name = "source", .tag = 6, .type = PS_STR, .where = PSW_NONE,
	  .off = OFF(struct pod, source), .max = POD_MAX_SOURCE },
	LIST("containers", 15, struct pod, containers, n_containers,
	    POD_MAX_CONTAINERS, podschema_container, PSF_REQUIRED),
	ENUM("restartPolicy", 8, struct pod, restart_policy, RESTART_NEVER,
	    pod_restart_policy_name),
	{ .name = "terminationGracePeriodSeconds", .tag = 9, .type = PS_I64,
	  .off = OFF(struct pod, termination_grace_seconds), .min = 0,
	  .max = INT64_MAX, .def = 30 },
	ENUM("dnsPolicy", 20, struct pod, dns_policy, DNS_NONE,
	    pod_dns_policy_name),
	STR("nodeName", 7, struct pod, node_name, POD_MAX_NAME,
	    PSF_JSON_OMIT),
	/* tags 50 on: the pod's view of itself (issue 14) */
	STR("serviceAccountName", 50, struct pod, service_account,
	    POD_MAX_NAME, PSF_JSON_OMIT),
	BOOL("hostNetwork", 10, struct pod, host_network),
	BOOL("hostPID", 11, struct pod, host_pid),
	BOOL("hostIPC", 12, struct pod, host_ipc),
	BOOL("shareProcessNamespace", 13, struct pod, share_pid),
	STRUCT("securityContext", 14, struct pod, psc,
	    podschema_pod_security_context, 0),
	STR("hostname", 21, struct pod, hostname, POD_MAX_LABEL,
	    PSF_JSON_OMIT),
	STR("subdomain", 22, struct pod, subdomain, POD_MAX_LABEL,
	    PSF_JSON_OMIT),
	LIST("hostAliases", 23, struct pod, host_aliases, n_host_aliases,
	    POD_MAX_HOST_ALIASES, podschema_host_alias, PSF_JSON_OMIT),
	STRUCT("dnsConfig", 24, struct pod, dns_config, podschema_dns_config,
	    PSF_JSON_OMIT),
	BOOL("setHostnameAsFQDN", 25, struct pod, set_hostname_fqdn),
	/* tags 40 on: init containers (issue 13) */
	LIST("initContainers", 40, struct pod, init_containers,
	    n_init_containers, POD_MAX_CONTAINERS, podschema_container,
	    PSF_JSON_OMIT),
	/* tags 45 on: termination (issue 13) */
	OPT_I64("activeDeadlineSeconds", 45, struct pod,
	    active_deadline_seconds, PSJ_PLAIN),
	/* tags 60-64: volumes (issue 14) */
	LIST("volumes", 60, struct pod, volumes, n_volumes, POD_MAX_VOLUMES,
	    podschema_volume, PSF_JSON_OMIT),
	/* tags 70 on: node accounting (issue 14) */
	STR("priorityClassName", 70, struct pod, priority_class_name,
	    POD_MAX_NAME, PSF_JSON_OMIT),
};
TABLE(podschema_pod, "pod", struct pod, pod_fields);

/* ---- the executor's report ---- */

/* any value: times, exit codes and signals are the runtime's */
#define ANY_I64(n, t, st, m) { .name = n, .tag = t, .type = PS_I64, \
	.off = OFF(st, m), .min = INT64_MIN, .max = INT64_MAX }
#define ANY_I32(n, t, st, m) { .name = n, .tag = t, .type = PS_I32, \
	.off = OFF(st, m), .min = INT32_MIN, .max = INT32_MAX }
#define POD_MAX_IMAGE_ID	(POD_MAX_IMAGE + POD_MAX_ID - 1)
#define POD_MAX_CONTAINER_ID	(POD_MAX_ID + 15)	/* "runc://<id>" */

static const struct podfield term_fields[] = {
	ANY_I32("exitCode", 1, struct container_term, exit_code),
	ANY_I32("signal", 2, struct container_term, signal),
	STR("reason", 3, struct container_term, reason, POD_MAX_REASON, 0),
	STR("message", 4, struct container_term, message, POD_MAX_MESSAGE,
	    0),
	ANY_I64("startedAt", 5, struct container_term, started_at_ns),
	ANY_I64("finishedAt", 6, struct container_term, finished_at_ns),
	STR("containerID", 7, struct container_term, container_id,
	    POD_MAX_CONTAINER_ID, 0),
};
TABLE(podschema_container_term, "terminated", struct container_term,
    term_fields);

static const struct podfield creport_fields[] = {
	STR("name", 1, struct container_report, name, POD_MAX_CONTAINER_NAME,
	    PSF_REQUIRED),
	STR("image", 2, struct container_report, image, POD_MAX_IMAGE,
	    PSF_REQUIRED),
	STR("imageID", 3, struct container_report, image_id, POD_MAX_IMAGE_ID,
	    0),
	STR("containerID", 4, struct container_report, container_id,
	    POD_MAX_CONTAINER_ID, 0),
	ENUM("state", 5, struct container_report, state, CSTATE_TERMINATED,
	    NULL),
	STR("reason", 6, struct container_report, reason, POD_MAX_REASON, 0),
	STR("message", 7, struct container_report, message, POD_MAX_MESSAGE,
	    0),
	ANY_I64("startedAt", 8, struct container_report, started_at_ns),
	ANY_I32("exitCode", 9, struct container_report, exit_code),
	ANY_I32("signal", 10, struct container_report, signal),
	ANY_I64("finishedAt", 11, struct container_report, finished_at_ns),
	U32("restartCount", 12, struct container_report, restart_count, 0,
	    UINT32_MAX, 0),
	BOOL("hasLastState", 13, struct container_report, has_last),
	STRUCT("lastState.terminated", 14, struct container_report, last_term,
	    podschema_container_term, 0),
	BOOL("ready", 15, struct container_report, ready),
	/* tags 20-29: probes (issue 13) */
	BOOL("started", 20, struct container_report, started),
};
TABLE(podschema_container_report, "containerStatus", struct container_report,
    creport_fields);

static const struct podfield report_fields[] = {
	BOOL("denied", 1, struct pod_report, denied),
	STR("reason", 2, struct pod_report, reason, POD_MAX_REASON, 0),
	STR("message", 3, struct pod_report, message, POD_MAX_REASON, 0),
	BOOL("sandboxReady", 4, struct pod_report, sandbox_ready),
	ANY_I64("startTime", 5, struct pod_report, start_time_ns),
	BOOL("terminating", 6, struct pod_report, terminating),
	ANY_I64("deletionTimestamp", 7, struct pod_report, deletion_ns),
	STR("podIP", 8, struct pod_report, pod_ip, POD_MAX_IP, 0),
	STR("hostIP", 9, struct pod_report, host_ip, POD_MAX_IP, 0),
	LIST("containerStatuses", 10, struct pod_report, containers,
	    n_containers, POD_MAX_CONTAINERS, podschema_container_report, 0),
	/* tags 20 on: init containers (issue 13) */
	LIST("initContainerStatuses", 20, struct pod_report, init_containers,
	    n_init_containers, POD_MAX_CONTAINERS, podschema_container_report,
	    0),
	/* tags 25 on: termination (issue 13) */
	BOOL("failed", 25, struct pod_report, failed),
};
TABLE(podschema_report, "podStatus", struct pod_report, report_fields);

const struct podschema *const podschema_all[] = {
	&podschema_pod, &podschema_container, &podschema_port,
	&podschema_resources, &podschema_security_context,
	&podschema_pod_security_context, &podschema_host_alias,
	&podschema_dns_config, &podschema_handler, &podschema_probe,
	&podschema_lifecycle, &podschema_env_var, &podschema_env_field_ref,
	&podschema_env_resource_ref, &podschema_volume, &podschema_volume_mount,
	&podschema_report,
	&podschema_container_report, &podschema_container_term,
};
const size_t podschema_nall = nitems(podschema_all);

/* ---- members ---- */

uint32_t
podschema_count(const struct podfield *f, const void *obj)
{
	switch (f->type) {
	case PS_STRLIST:
		return PODSCHEMA_CMEMBER(struct strlist, obj, f)->n;
	case PS_KVLIST:
	case PS_LIST:
		return *(const uint32_t *)(const void *)
		    ((const char *)obj + f->count_off);
	}
	return 0;
}

uint32_t *
podschema_count_ref(const struct podfield *f, void *obj)
{
	return (uint32_t *)(void *)((char *)obj + f->count_off);
}

/* an integer row's value, widened */
int64_t
podschema_int(const struct podfield *f, const void *obj)
{
	switch (f->type) {
	case PS_BOOL:
	case PS_ENUM:
		return *PODSCHEMA_CMEMBER(uint8_t, obj, f);
	case PS_TRI:
		return *PODSCHEMA_CMEMBER(int8_t, obj, f);
	case PS_U32:
		return *PODSCHEMA_CMEMBER(uint32_t, obj, f);
	case PS_I32:
		return *PODSCHEMA_CMEMBER(int32_t, obj, f);
	case PS_I64:
		return *PODSCHEMA_CMEMBER(int64_t, obj, f);
	}
	return 0;
}

/* v is in the row's range: the narrowing below is exact */
void
podschema_set_int(const struct podfield *f, void *obj, int64_t v)
{
	switch (f->type) {
	case PS_BOOL:
	case PS_ENUM:
		*PODSCHEMA_MEMBER(uint8_t, obj, f) = (uint8_t)v;
		break;
	case PS_TRI:
		*PODSCHEMA_MEMBER(int8_t, obj, f) = (int8_t)v;
		break;
	case PS_U32:
		*PODSCHEMA_MEMBER(uint32_t, obj, f) = (uint32_t)v;
		break;
	case PS_I32:
		*PODSCHEMA_MEMBER(int32_t, obj, f) = (int32_t)v;
		break;
	case PS_I64:
		*PODSCHEMA_MEMBER(int64_t, obj, f) = v;
		break;
	}
}

int
podschema_is_int(const struct podfield *f)
{
	return f->type == PS_BOOL || f->type == PS_ENUM ||
	    f->type == PS_TRI || f->type == PS_U32 || f->type == PS_I32 ||
	    f->type == PS_I64;
}

static int
struct_is_default(const struct podschema *s, const void *obj)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (!podschema_is_default(&s->fields[i], obj))
			return 0;
	return 1;
}

int
podschema_is_default(const struct podfield *f, const void *obj)
{
	const char *str;

	if (podschema_is_int(f))
		return podschema_int(f, obj) == f->def;
	switch (f->type) {
	case PS_STR:
		str = *PODSCHEMA_CMEMBER(char *, obj, f);
		return str == NULL || *str == '\0';
	case PS_STRUCT:
		return struct_is_default(f->sub, (const char *)obj + f->off);
	}
	return podschema_count(f, obj) == 0;
}

/* ---- defaults and freeing ---- */

void
podschema_init(const struct podschema *s, void *obj)
{
	const struct podfield *f;
	size_t i;

	memset(obj, 0, s->size);
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (podschema_is_int(f))
			podschema_set_int(f, obj, f->def);
		else if (f->type == PS_STRUCT)
			podschema_init(f->sub, (char *)obj + f->off);
	}
}

static void
kvlist_free(const struct podfield *f, void *obj)
{
	struct kv *kv = *PODSCHEMA_MEMBER(struct kv *, obj, f);
	uint32_t i, n = *podschema_count_ref(f, obj);

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
list_free(const struct podfield *f, void *obj)
{
	char *a = *PODSCHEMA_MEMBER(char *, obj, f);
	uint32_t i, n = *podschema_count_ref(f, obj);

	for (i = 0; i < n; i++)
		podschema_free(f->sub, a + (size_t)i * f->sub->size);
	free(a);
}

static void
fields_free(const struct podschema *s, void *obj)
{
	const struct podfield *f;
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		switch (f->type) {
		case PS_STR:
			free(*PODSCHEMA_MEMBER(char *, obj, f));
			break;
		case PS_STRLIST:
			strlist_free(PODSCHEMA_MEMBER(struct strlist, obj, f));
			break;
		case PS_KVLIST:
			kvlist_free(f, obj);
			break;
		case PS_STRUCT:
			fields_free(f->sub, (char *)obj + f->off);
			break;
		case PS_LIST:
			list_free(f, obj);
			break;
		}
	}
}

void
podschema_free(const struct podschema *s, void *obj)
{
	fields_free(s, obj);
	podschema_init(s, obj);
}

/* ---- the tables themselves ---- */

static int
bad(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

static int
check_field(const struct podschema *s, size_t i, const char **why)
{
	const struct podfield *f = &s->fields[i];
	size_t j;

	if (f->tag == 0 || f->tag == PODSCHEMA_TAG_TEST)
		return bad(why, "a reserved tag");
	for (j = 0; j < i; j++) {
		if (s->fields[j].tag == f->tag)
			return bad(why, "a tag used twice");
		if (strcmp(s->fields[j].name, f->name) == 0)
			return bad(why, "a name used twice");
	}
	if ((f->type == PS_STRUCT || f->type == PS_LIST) && f->sub == NULL)
		return bad(why, "a nested field without its table");
	if (podschema_is_int(f) && (f->def < f->min || f->def > f->max) &&
	    !((f->flags & PSF_UNSET) && f->def == -1) &&
	    !(f->flags & PSF_REQUIRED))
		return bad(why, "a default outside the range");
	if (f->type == PS_STR && (f->max <= 0 || f->max >= IPC_MAX_STR))
		return bad(why, "a string bound outside IPC_MAX_STR");
	return 0;
}

int
podschema_check(const struct podschema *s, const char **why)
{
	size_t i;

	if (s->nfields > PODSCHEMA_MAX_FIELDS)
		return bad(why, "more fields than a decoder tracks");
	for (i = 0; i < s->nfields; i++)
		if (check_field(s, i, why) == -1)
			return -1;
	return 0;
}
