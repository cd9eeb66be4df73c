/*
 * Pod model helpers: initialisation with the Kubernetes defaults,
 * release of everything a decoded or parsed pod owns, and the identity
 * checks every process applies the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ipc.h"
#include "pathname.h"
#include "pod.h"
#include "podschema.h"

void
strlist_free(struct strlist *l)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
strlist_add(struct strlist *l, const char *s, uint32_t max)
{
	char **nv, *dup;

	if (l->n >= max)
		return -1;
	if ((dup = strdup(s)) == NULL)
		return -1;
	if ((nv = reallocarray(l->v, l->n + 1, sizeof(*nv))) == NULL) {
		free(dup);
		return -1;
	}
	nv[l->n++] = dup;
	l->v = nv;
	return 0;
}

/* the defaults and what a pod owns are in the field tables */
void
container_spec_init(struct container_spec *c)
{
	podschema_init(&podschema_container, c);
}

void
pod_init(struct pod *p)
{
	podschema_init(&podschema_pod, p);
}

void
pod_free(struct pod *p)
{
	podschema_free(&podschema_pod, p);
}

void
pod_report_init(struct pod_report *r)
{
	podschema_init(&podschema_report, r);
}

void
pod_report_free(struct pod_report *r)
{
	podschema_free(&podschema_report, r);
}

const char *
pod_ctr_restart_name(uint8_t p)
{
	return p == CTR_RESTART_ALWAYS ? "Always" : "";
}

int
pod_is_sidecar(const struct container_spec *c)
{
	return c->restart_policy == CTR_RESTART_ALWAYS;
}

/* ---- QoS class (pkg/apis/core/v1/helper/qos ComputePodQOS) ---- */

enum { QOS_CPU, QOS_MEM, QOS_NRES };

struct qos_sum {
	int64_t	v[QOS_NRES];
	int	has[QOS_NRES];
};

int64_t
pod_sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* only quantities above zero count; a sum saturates, never wraps */
static void
qos_add(struct qos_sum *s, int res, int64_t q)
{
	if (q <= 0)
		return;
	s->v[res] = pod_sat_add(s->v[res], q);
	s->has[res] = 1;
}

static void
qos_add_containers(const struct container_spec *c, uint32_t n,
    struct qos_sum *req, struct qos_sum *lim, int *guaranteed)
{
	const struct resources *r;
	uint32_t i;

	for (i = 0; i < n; i++) {
		r = &c[i].res;
		/* the watcher defaulted an unset request to the limit */
		qos_add(req, QOS_CPU, r->cpu_request_milli >= 0 ?
		    r->cpu_request_milli : r->cpu_limit_milli);
		qos_add(req, QOS_MEM, r->mem_request_bytes >= 0 ?
		    r->mem_request_bytes : r->mem_limit_bytes);
		qos_add(lim, QOS_CPU, r->cpu_limit_milli);
		qos_add(lim, QOS_MEM, r->mem_limit_bytes);
		if (r->cpu_limit_milli <= 0 || r->mem_limit_bytes <= 0)
			*guaranteed = 0;
	}
}

/*
 * The containers and the init containers (sidecars among them), cpu and
 * memory only: BestEffort with no request or limit above zero anywhere,
 * Guaranteed when every container has both limits and the sums of the
 * requests equal the sums of the limits, else Burstable.
 */
enum pod_qos
pod_qos_class(const struct pod *p)
{
	struct qos_sum req, lim;
	int guaranteed = 1, k;

	memset(&req, 0, sizeof(req));
	memset(&lim, 0, sizeof(lim));
	qos_add_containers(p->containers, p->n_containers, &req, &lim,
	    &guaranteed);
	qos_add_containers(p->init_containers, p->n_init_containers, &req,
	    &lim, &guaranteed);
	if (!req.has[QOS_CPU] && !req.has[QOS_MEM] && !lim.has[QOS_CPU] &&
	    !lim.has[QOS_MEM])
		return POD_QOS_BESTEFFORT;
	for (k = 0; k < QOS_NRES; k++)
		if (req.has[k] != lim.has[k] || req.v[k] != lim.v[k])
			guaranteed = 0;
	return guaranteed ? POD_QOS_GUARANTEED : POD_QOS_BURSTABLE;
}

const char *
pod_qos_name(enum pod_qos q)
{
	switch (q) {
	case POD_QOS_GUARANTEED:
		return "Guaranteed";
	case POD_QOS_BURSTABLE:
		return "Burstable";
	case POD_QOS_BESTEFFORT:
		return "BestEffort";
	}
	return "?";
}

const char *
pod_restart_policy_name(uint8_t p)
{
	switch (p) {
	case RESTART_ALWAYS:
		return "Always";
	case RESTART_ON_FAILURE:
		return "OnFailure";
	case RESTART_NEVER:
		return "Never";
	}
	return "?";
}

const char *
pod_pull_policy_name(uint8_t pp)
{
	switch (pp) {
	case PULL_ALWAYS:
		return "Always";
	case PULL_NEVER:
		return "Never";
	}
	return "IfNotPresent";
}

const char *
pod_protocol_name(uint8_t proto)
{
	switch (proto) {
	case PROTO_UDP:
		return "UDP";
	case PROTO_SCTP:
		return "SCTP";
	}
	return "TCP";
}

const char *
pod_dns_policy_name(uint8_t policy)
{
	switch (policy) {
	case DNS_CLUSTER_FIRST_HOST_NET:
		return "ClusterFirstWithHostNet";
	case DNS_DEFAULT:
		return "Default";
	case DNS_NONE:
		return "None";
	}
	return "ClusterFirst";
}

const char *
pod_term_msg_policy_name(uint8_t policy)
{
	return policy == TERM_MSG_FALLBACK_TO_LOGS ? "FallbackToLogsOnError" :
	    "File";
}

const char *
pod_supp_groups_policy_name(uint8_t policy)
{
	return policy == SUPP_GROUPS_STRICT ? "Strict" : "Merge";
}

/* the model's timestamps are Unix time in nanoseconds */
int64_t
pod_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

const char *
pod_scheme_name(uint8_t scheme)
{
	return scheme == SCHEME_HTTPS ? "HTTPS" : "HTTP";
}

const char *
pod_handler_kind_name(uint8_t kind)
{
	switch (kind) {
	case HANDLER_EXEC:
		return "exec";
	case HANDLER_HTTP_GET:
		return "httpGet";
	case HANDLER_TCP_SOCKET:
		return "tcpSocket";
	case HANDLER_GRPC:
		return "grpc";
	case HANDLER_SLEEP:
		return "sleep";
	}
	return "none";
}

const char *
pod_probe_name(int type)
{
	switch (type) {
	case PROBE_LIVENESS:
		return "livenessProbe";
	case PROBE_READINESS:
		return "readinessProbe";
	case PROBE_STARTUP:
		return "startupProbe";
	}
	return "probe";
}

/* a name table's entry; "" past its end (a value no table row has) */
static const char *
table_name(const char *const *names, size_t n, uint8_t i)
{
	return i < n && names[i] != NULL ? names[i] : "";
}

/* the v1 names: the watcher maps them in, the JSON and audit out */
static const char *const env_field_names[] = {
	[ENV_FIELD_NONE] = "",
	[ENV_FIELD_NAME] = "metadata.name",
	[ENV_FIELD_NAMESPACE] = "metadata.namespace",
	[ENV_FIELD_UID] = "metadata.uid",
	[ENV_FIELD_LABEL] = "metadata.labels",
	[ENV_FIELD_ANNOTATION] = "metadata.annotations",
	[ENV_FIELD_NODE_NAME] = "spec.nodeName",
	[ENV_FIELD_SERVICE_ACCOUNT] = "spec.serviceAccountName",
	[ENV_FIELD_HOST_IP] = "status.hostIP",
	[ENV_FIELD_HOST_IPS] = "status.hostIPs",
	[ENV_FIELD_POD_IP] = "status.podIP",
	[ENV_FIELD_POD_IPS] = "status.podIPs",
};

const char *
pod_env_field_name(uint8_t f)
{
	return table_name(env_field_names, nitems(env_field_names), f);
}

static const char *const env_resource_names[] = {
	[ENV_RES_NONE] = "",
	[ENV_RES_LIMITS_CPU] = "limits.cpu",
	[ENV_RES_LIMITS_MEMORY] = "limits.memory",
	[ENV_RES_REQUESTS_CPU] = "requests.cpu",
	[ENV_RES_REQUESTS_MEMORY] = "requests.memory",
};

const char *
pod_env_resource_name(uint8_t r)
{
	return table_name(env_resource_names, nitems(env_resource_names), r);
}

const char *
pod_volume_kind_name(uint8_t kind)
{
	return kind == VOL_HOST_PATH ? "hostPath" : "emptyDir";
}

const char *
pod_medium_name(uint8_t medium)
{
	return medium == MEDIUM_MEMORY ? "Memory" : "";
}

static const char *const host_path_type_names[] = {
	[HPT_UNSET] = "",
	[HPT_DIRECTORY_OR_CREATE] = "DirectoryOrCreate",
	[HPT_DIRECTORY] = "Directory",
	[HPT_FILE_OR_CREATE] = "FileOrCreate",
	[HPT_FILE] = "File",
	[HPT_SOCKET] = "Socket",
	[HPT_CHAR_DEVICE] = "CharDevice",
	[HPT_BLOCK_DEVICE] = "BlockDevice",
};

const char *
pod_host_path_type_name(uint8_t type)
{
	return table_name(host_path_type_names, nitems(host_path_type_names),
	    type);
}

const struct volume *
pod_volume(const struct pod *p, const char *name)
{
	uint32_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < p->n_volumes; i++)
		if (p->volumes[i].name != NULL &&
		    strcmp(p->volumes[i].name, name) == 0)
			return &p->volumes[i];
	return NULL;
}

/* required, bounded, absolute, no ".." component */
static const char *
abs_path_problem(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return "required: must not be empty";
	if (strlen(s) > POD_MAX_PATH - 1)
		return "must be no more than 1023 characters";
	if (s[0] != '/')
		return "must be an absolute path";
	if (path_has_dotdot(s))
		return "must not contain '..'";
	return NULL;
}

/*
 * validateVolumeMounts: mountPath required, no ".." component
 * (validatePathNoBacksteps).  Beyond the API server: absolute (the
 * kubelet makes a relative one absolute against "/", which says less
 * than it does), never "/" itself (it would hide the image), bounded.
 */
const char *
pod_mount_path_problem(const char *s)
{
	const char *why;

	if ((why = abs_path_problem(s)) != NULL)
		return why;
	if (strspn(s, "/") == strlen(s))
		return "must not be \"/\": the container's root";
	return NULL;
}

/* validateLocalDescendingPath: relative, no ".." component */
const char *
pod_sub_path_problem(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return NULL;	/* unset: the volume's root */
	if (strlen(s) > POD_MAX_SUB_PATH - 1)
		return "must be no more than 1023 characters";
	if (s[0] == '/')
		return "must be a relative path";
	if (path_has_dotdot(s))
		return "must not contain '..'";
	return NULL;
}

/* validateHostPathVolumeSource: path required, no ".." component */
const char *
pod_host_path_problem(const char *s)
{
	return abs_path_problem(s);
}

const struct probe *
pod_probe(const struct container_spec *c, int type)
{
	const struct probe *p;

	switch (type) {
	case PROBE_LIVENESS:
		p = &c->liveness;
		break;
	case PROBE_READINESS:
		p = &c->readiness;
		break;
	case PROBE_STARTUP:
		p = &c->startup;
		break;
	default:
		return NULL;
	}
	return p->h.kind == HANDLER_NONE ? NULL : p;
}

/* a number of 1 to 65535 in decimal, or a port name of the container */
int
pod_handler_port(const char *port, const struct container_spec *c)
{
	const char *s;
	long n = 0;
	uint32_t i;

	if (port == NULL || *port == '\0')
		return -1;
	for (s = port; *s >= '0' && *s <= '9' && n <= 65535; s++)
		n = n * 10 + (*s - '0');
	if (*s == '\0')
		return n >= 1 && n <= 65535 ? (int)n : -1;
	for (i = 0; i < c->n_ports; i++)
		if (c->ports[i].name != NULL &&
		    strcmp(c->ports[i].name, port) == 0)
			return (int)c->ports[i].container_port;
	return -1;
}

/* ---- identity: what names directories, cgroups, labels and log lines ---- */

static int
is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* one RFC 1123 label's characters, without its length limit */
static int
label_chars_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
pod_dns_label_ok(const char *s, size_t n)
{
	return n <= POD_MAX_LABEL && label_chars_ok(s, n);
}

int
pod_dns_subdomain_ok(const char *s, size_t n)
{
	const char *dot;
	size_t part;

	if (n == 0 || n > POD_MAX_NAME)
		return 0;
	for (;;) {
		dot = memchr(s, '.', n);
		part = dot != NULL ? (size_t)(dot - s) : n;
		if (!label_chars_ok(s, part))
			return 0;
		if (dot == NULL)
			return 1;
		n -= part + 1;
		s = dot + 1;
	}
}

int
pod_uid_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > POD_MAX_UID)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    s[i] != '-')
			return 0;
	return 1;
}

static int
identity_fail(char field[POD_IDENTITY_FIELD], char why[POD_IDENTITY_WHY],
    const char *f, const char *w, size_t len)
{
	snprintf(field, POD_IDENTITY_FIELD, "%s", f);
	snprintf(why, POD_IDENTITY_WHY, "%s (%zu characters)", w, len);
	return -1;
}

/*
 * The reasons never quote the value: it is not yet known to be safe to
 * print.  The limits are the kubelet's (a namespace is a label, a pod name
 * a subdomain; validation.ValidatePodName) plus the one the node adds: the
 * kubelet's log directory <namespace>_<name>_<uid> must be one file name,
 * or the pod would be accepted and then fail forever at its first
 * container ("File name too long").
 */
/* an address as text: what inet_pton could take, nothing to inject */
static int
ip_chars_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n < 46 && strspn(s, "0123456789abcdefABCDEF.:") == n;
}

/* a search path: a subdomain, a trailing dot allowed */
static int
search_ok(const char *s)
{
	size_t n = strlen(s);

	return pod_dns_subdomain_ok(s, n > 0 && s[n - 1] == '.' ? n - 1 : n);
}

/* a resolver option's name or value: printable, no blank */
static int
option_ok(const char *s, int empty_ok)
{
	if (s == NULL || *s == '\0')
		return empty_ok;
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static int
files_fail(char field[POD_IDENTITY_FIELD], char why[POD_IDENTITY_WHY],
    const char *f, uint32_t i, const char *reason)
{
	snprintf(field, POD_IDENTITY_FIELD, f, i);
	snprintf(why, POD_IDENTITY_WHY, "%s", reason);
	return -1;
}

/*
 * What the executor writes into the pod's hostname, hosts and
 * resolv.conf: the watcher's rules again, so that no line of those files
 * can be made of anything else (a newline in an alias would be a line).
 */
static int
pod_files_check(const struct pod *p, char field[POD_IDENTITY_FIELD],
    char why[POD_IDENTITY_WHY])
{
	const struct pod_dns_config *d = &p->dns_config;
	const struct host_alias *a;
	uint32_t i, j;

	if (p->hostname && !pod_dns_label_ok(p->hostname, strlen(p->hostname)))
		return files_fail(field, why, "spec.hostname", 0,
		    "must be a lowercase RFC 1123 label");
	if (p->subdomain && !pod_dns_label_ok(p->subdomain,
	    strlen(p->subdomain)))
		return files_fail(field, why, "spec.subdomain", 0,
		    "must be a lowercase RFC 1123 label");
	for (i = 0; i < p->n_host_aliases; i++) {
		a = &p->host_aliases[i];
		if (!ip_chars_ok(a->ip))
			return files_fail(field, why, "spec.hostAliases[%u].ip",
			    i, "must be an IP address");
		for (j = 0; j < a->hostnames.n; j++)
			if (!pod_dns_subdomain_ok(a->hostnames.v[j],
			    strlen(a->hostnames.v[j])))
				return files_fail(field, why,
				    "spec.hostAliases[%u].hostnames", i,
				    "must be lowercase RFC 1123 subdomains");
	}
	for (i = 0; i < d->nameservers.n; i++)
		if (!ip_chars_ok(d->nameservers.v[i]))
			return files_fail(field, why,
			    "spec.dnsConfig.nameservers[%u]", i,
			    "must be an IP address");
	for (i = 0; i < d->searches.n; i++)
		if (!search_ok(d->searches.v[i]))
			return files_fail(field, why,
			    "spec.dnsConfig.searches[%u]", i,
			    "must be a lowercase RFC 1123 subdomain");
	for (i = 0; i < d->n_options; i++)
		if (!option_ok(d->options[i].key, 0) ||
		    !option_ok(d->options[i].value, 1))
			return files_fail(field, why,
			    "spec.dnsConfig.options[%u]", i,
			    "must be printable ASCII without blanks");
	return 0;
}

/*
 * The executor keys its slots by container name: an init container's
 * name is a DNS label unique across both lists (the API server's
 * validateInitContainers), and restartPolicy is an init container's only.
 */
static int
init_names_check(const struct pod *p, char field[POD_IDENTITY_FIELD],
    char why[POD_IDENTITY_WHY])
{
	const char *name;
	uint32_t i, j;

	for (i = 0; i < p->n_containers; i++)
		if (p->containers[i].restart_policy != CTR_RESTART_UNSET) {
			snprintf(field, POD_IDENTITY_FIELD,
			    "spec.containers[%u].restartPolicy", i);
			snprintf(why, POD_IDENTITY_WHY, "may not be set for "
			    "non-init containers");
			return -1;
		}
	for (i = 0; i < p->n_init_containers; i++) {
		name = p->init_containers[i].name ?
		    p->init_containers[i].name : "";
		snprintf(field, POD_IDENTITY_FIELD,
		    "spec.initContainers[%u].name", i);
		if (!pod_dns_label_ok(name, strlen(name))) {
			snprintf(why, POD_IDENTITY_WHY, "must be a lowercase "
			    "RFC 1123 label of at most 63 characters (%zu "
			    "characters)", strlen(name));
			return -1;
		}
		for (j = 0; j < p->n_containers; j++)
			if (strcmp(name, p->containers[j].name ?
			    p->containers[j].name : "") == 0) {
				snprintf(why, POD_IDENTITY_WHY, "Duplicate "
				    "value: \"%s\"", name);
				return -1;
			}
	}
	field[0] = '\0';
	return 0;
}

/* ---- volumes: what the executor mounts must name what the pod has ---- */

static int
vol_fail(char field[POD_IDENTITY_FIELD], char why[POD_IDENTITY_WHY],
    const char *reason, const char *fmt, uint32_t i, uint32_t j)
{
	snprintf(field, POD_IDENTITY_FIELD, fmt, i, j);
	snprintf(why, POD_IDENTITY_WHY, "%s", reason);
	return -1;
}

static int
volume_ok(const struct pod *p, uint32_t i, char field[POD_IDENTITY_FIELD],
    char why[POD_IDENTITY_WHY])
{
	const struct volume *v = &p->volumes[i];
	const char *problem;

	if (v->name == NULL || !pod_dns_label_ok(v->name, strlen(v->name)))
		return vol_fail(field, why, "must be a lowercase RFC 1123 "
		    "label of at most 63 characters", "spec.volumes[%u].name",
		    i, 0);
	if (pod_volume(p, v->name) != v)
		return vol_fail(field, why, "duplicate volume name",
		    "spec.volumes[%u].name", i, 0);
	if (v->kind == VOL_HOST_PATH &&
	    (problem = pod_host_path_problem(v->host_path)) != NULL)
		return vol_fail(field, why, problem,
		    "spec.volumes[%u].hostPath.path", i, 0);
	if (v->kind != VOL_HOST_PATH && (v->host_path != NULL ||
	    v->host_path_type != HPT_UNSET))
		return vol_fail(field, why, "a hostPath field on another "
		    "kind of volume", "spec.volumes[%u]", i, 0);
	return 0;
}

static int
mounts_ok(const struct pod *p, const struct container_spec *c,
    const char *list, uint32_t ci, char field[POD_IDENTITY_FIELD],
    char why[POD_IDENTITY_WHY])
{
	const struct volume_mount *m;
	const char *problem;
	char fmt[96];
	uint32_t j, k;

	for (j = 0; j < c->n_mounts; j++) {
		m = &c->mounts[j];
		snprintf(fmt, sizeof(fmt), "spec.%s[%%u].volumeMounts[%%u]",
		    list);
		if (pod_volume(p, m->name) == NULL)
			return vol_fail(field, why, "not found: names no "
			    "volume of the pod", fmt, ci, j);
		if ((problem = pod_mount_path_problem(m->mount_path)) != NULL)
			return vol_fail(field, why, problem, fmt, ci, j);
		if ((problem = pod_sub_path_problem(m->sub_path)) != NULL)
			return vol_fail(field, why, problem, fmt, ci, j);
		for (k = 0; k < j; k++)
			if (strcmp(c->mounts[k].mount_path,
			    m->mount_path) == 0)
				return vol_fail(field, why, "duplicate "
				    "mountPath", fmt, ci, j);
	}
	return 0;
}

static int
volumes_check(const struct pod *p, char field[POD_IDENTITY_FIELD],
    char why[POD_IDENTITY_WHY])
{
	uint32_t i;

	for (i = 0; i < p->n_volumes; i++)
		if (volume_ok(p, i, field, why) == -1)
			return -1;
	for (i = 0; i < p->n_containers; i++)
		if (mounts_ok(p, &p->containers[i], "containers", i, field,
		    why) == -1)
			return -1;
	for (i = 0; i < p->n_init_containers; i++)
		if (mounts_ok(p, &p->init_containers[i], "initContainers", i,
		    field, why) == -1)
			return -1;
	return 0;
}

int
pod_identity_check(const struct pod *p, char field[POD_IDENTITY_FIELD],
    char why[POD_IDENTITY_WHY])
{
	const char *ns = p->namespace ? p->namespace : "";
	const char *name = p->name ? p->name : "";
	const char *uid = p->uid ? p->uid : "";
	size_t nl = strlen(ns), pl = strlen(name), ul = strlen(uid), dir;
	uint32_t i;

	if (!pod_dns_label_ok(ns, nl))
		return identity_fail(field, why, "metadata.namespace",
		    "must be a lowercase RFC 1123 label of at most 63 "
		    "characters", nl);
	if (!pod_dns_subdomain_ok(name, pl))
		return identity_fail(field, why, "metadata.name",
		    "must be a lowercase RFC 1123 subdomain of at most 253 "
		    "characters", pl);
	if (!pod_uid_ok(uid, ul))
		return identity_fail(field, why, "metadata.uid",
		    "must be 1 to 128 characters of [A-Za-z0-9-]", ul);
	dir = nl + 1 + pl + 1 + ul;
	if (dir > POD_MAX_LOGDIR_NAME) {
		snprintf(field, POD_IDENTITY_FIELD, "metadata.name");
		snprintf(why, POD_IDENTITY_WHY, "the pod's log directory "
		    "<namespace>_<name>_<uid> would be %zu characters, more "
		    "than the %d a file name may have: the name may have at "
		    "most %zu here", dir, POD_MAX_LOGDIR_NAME,
		    /* nl + ul + 2 <= 193: this never wraps */
		    (size_t)POD_MAX_LOGDIR_NAME - nl - ul - 2);
		return -1;
	}
	for (i = 0; i < p->n_containers; i++) {
		name = p->containers[i].name ? p->containers[i].name : "";
		if (!pod_dns_label_ok(name, strlen(name))) {
			snprintf(field, POD_IDENTITY_FIELD,
			    "spec.containers[%u].name", i);
			snprintf(why, POD_IDENTITY_WHY, "must be a lowercase "
			    "RFC 1123 label of at most 63 characters (%zu "
			    "characters)", strlen(name));
			return -1;
		}
	}
	if (init_names_check(p, field, why) == -1 ||
	    volumes_check(p, field, why) == -1)
		return -1;
	return pod_files_check(p, field, why);
}
