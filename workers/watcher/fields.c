/*
 * The field tables of the Pod object, its metadata and its spec, the
 * per-field conversion into struct pod, and the finishing rules
 * (Kubernetes' defaults and checks that span fields).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

#define INT_EXACT_MAX		9007199254740992LL	/* 2^53 */
/* Kubernetes' TotalAnnotationSizeLimitB */
#define ANNOT_TOTAL_MAX		(256 * 1024)
#define API_VERSION		"v1"
#define KIND_POD		"Pod"
#define DEFAULT_NAMESPACE	"default"

/* ------------------------------------------------------------------ */
/* pod spec                                                            */

static int
spec_restart_policy(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "Always") == 0)
		pod->restart_policy = RESTART_ALWAYS;
	else if (strcmp(s, "OnFailure") == 0)
		pod->restart_policy = RESTART_ON_FAILURE;
	else if (strcmp(s, "Never") == 0)
		pod->restart_policy = RESTART_NEVER;
	else
		return fail(w, "unsupported value: must be Always, OnFailure "
		    "or Never");
	return 0;
}

static int
spec_grace(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;

	return get_int(w, v, 0, INT_EXACT_MAX,
	    &pod->termination_grace_seconds);
}

static int
spec_host_flag(struct walk *w, const cJSON *v, uint8_t *flag)
{
	int8_t b;

	if (get_bool(w, v, &b) == -1)
		return -1;
	*flag = b;
	return 0;
}

static int
spec_host_network(struct walk *w, const cJSON *v, void *arg)
{
	return spec_host_flag(w, v, &((struct pod *)arg)->host_network);
}

static int
spec_host_pid(struct walk *w, const cJSON *v, void *arg)
{
	return spec_host_flag(w, v, &((struct pod *)arg)->host_pid);
}

static int
spec_host_ipc(struct walk *w, const cJSON *v, void *arg)
{
	return spec_host_flag(w, v, &((struct pod *)arg)->host_ipc);
}

static int
spec_share_pid(struct walk *w, const cJSON *v, void *arg)
{
	return spec_host_flag(w, v, &((struct pod *)arg)->share_pid);
}

static int
spec_security_context(struct walk *w, const cJSON *v, void *arg)
{
	return walk_object(w, v, pod_sc_rules, arg);
}

static int
spec_node_name(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;

	if (take_string(w, v, POD_MAX_NAME, &pod->node_name) == -1)
		return -1;
	if (pod->node_name[0] != '\0' &&
	    !dns_subdomain_ok(pod->node_name, strlen(pod->node_name)))
		return fail(w, DNS_SUBDOMAIN_MSG);
	return 0;
}

/* no cluster DNS here: ClusterFirst falls back to Default, as the kubelet */
static int
spec_dns_policy(struct walk *w, const cJSON *v, void *arg)
{
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "ClusterFirst") == 0 ||
	    strcmp(s, "ClusterFirstWithHostNet") == 0 ||
	    strcmp(s, "Default") == 0)
		return 0;
	if (strcmp(s, "None") == 0)
		return fail(w, "dnsPolicy None needs dnsConfig, which is not "
		    "supported");
	return fail(w, "unsupported value: must be ClusterFirst, "
	    "ClusterFirstWithHostNet, Default or None");
}

static int
os_name(struct walk *w, const cJSON *v, void *arg)
{
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "linux") != 0)
		return fail(w, "this node runs linux");
	return 0;
}

static const struct field_rule os_rules[] = {
	MAP("name", os_name),
	{ NULL, 0, NULL, NULL }
};

static int
spec_os(struct walk *w, const cJSON *v, void *arg)
{
	return walk_object(w, v, os_rules, NULL);
}

static int
spec_host_users(struct walk *w, const cJSON *v, void *arg)
{
	int8_t b;

	if (get_bool(w, v, &b) == -1)
		return -1;
	if (!b)
		return fail(w, "user namespaces (hostUsers: false) are not "
		    "supported");
	return 0;
}

static const struct field_rule spec_rules[] = {
	MAP("containers", spec_containers),
	MAP("restartPolicy", spec_restart_policy),
	MAP("terminationGracePeriodSeconds", spec_grace),
	MAP("hostNetwork", spec_host_network),
	MAP("hostPID", spec_host_pid),
	MAP("hostIPC", spec_host_ipc),
	MAP("shareProcessNamespace", spec_share_pid),
	MAP("securityContext", spec_security_context),
	MAP("nodeName", spec_node_name),
	MAP("dnsPolicy", spec_dns_policy),
	MAP("os", spec_os),
	MAP("hostUsers", spec_host_users),
	/* scheduling and API-side bookkeeping: the pod is already here */
	IGNORE("schedulerName"),
	IGNORE("nodeSelector"),
	IGNORE("affinity"),
	IGNORE("tolerations"),
	IGNORE("topologySpreadConstraints"),
	IGNORE("schedulingGates"),
	IGNORE("priority"),
	IGNORE("priorityClassName"),
	IGNORE("preemptionPolicy"),
	IGNORE("serviceAccountName"),
	IGNORE("serviceAccount"),
	IGNORE("automountServiceAccountToken"),
	IGNORE("enableServiceLinks"),
	REJECT("initContainers", "init containers are not supported yet"),
	REJECT("ephemeralContainers", "ephemeral containers are not "
	    "supported"),
	REJECT("volumes", "volumes are not supported yet (the pod model has "
	    "no volumes)"),
	REJECT("activeDeadlineSeconds", "activeDeadlineSeconds is not "
	    "supported"),
	REJECT("dnsConfig", "dnsConfig is not supported"),
	REJECT("hostAliases", "hostAliases are not supported"),
	REJECT("hostname", "a custom hostname is not supported"),
	REJECT("subdomain", "subdomain is not supported"),
	REJECT("setHostnameAsFQDN", "setHostnameAsFQDN is not supported"),
	REJECT("imagePullSecrets", "image pull secrets are not supported"),
	REJECT("runtimeClassName", "runtime classes are not supported: the "
	    "node has one runtime"),
	REJECT("overhead", "pod overhead (runtime classes) is not "
	    "supported"),
	REJECT("readinessGates", "readiness gates are not supported"),
	REJECT("resourceClaims", "resource claims (dynamic resource "
	    "allocation) are not supported"),
	REJECT("resources", "pod-level resources are not supported; set "
	    "them per container"),
	{ NULL, 0, NULL, NULL }
};

static int
pod_spec(struct walk *w, const cJSON *v, void *arg)
{
	return walk_object(w, v, spec_rules, arg);
}

/* ------------------------------------------------------------------ */
/* metadata                                                            */

static int
meta_name(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	char qb[QUOTE_BUF];

	if (take_string(w, v, POD_MAX_NAME, &pod->name) == -1)
		return -1;
	if (pod->name[0] == '\0')
		return fail(w, "required: must not be empty");
	if (!dns_subdomain_ok(pod->name, strlen(pod->name)))
		return fail(w, "invalid pod name %s: " DNS_SUBDOMAIN_MSG,
		    quote(qb, sizeof(qb), pod->name));
	return 0;
}

static int
meta_namespace(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	char qb[QUOTE_BUF];

	if (take_string(w, v, POD_MAX_LABEL, &pod->namespace) == -1)
		return -1;
	if (pod->namespace[0] == '\0') {
		free(pod->namespace);
		pod->namespace = NULL;	/* "" is unset: the default */
		return 0;
	}
	if (!dns_label_ok(pod->namespace))
		return fail(w, "invalid namespace %s: " DNS_LABEL_MSG,
		    quote(qb, sizeof(qb), pod->namespace));
	return 0;
}

/* API pods only: static pods get a uid derived from their file */
static int
meta_uid(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	const char *p;

	if (w->is_static)
		return 0;
	if (take_string(w, v, POD_MAX_UID, &pod->uid) == -1)
		return -1;
	if (pod->uid[0] == '\0')
		return fail(w, "required: must not be empty");
	/* it names directories and cgroups on the node */
	for (p = pod->uid; *p != '\0'; p++)
		if (!is_alnum(*p) && *p != '-')
			return fail(w, "must consist of alphanumeric "
			    "characters or '-'");
	return 0;
}

enum kv_kind { KV_LABELS, KV_ANNOTATIONS };

static int
kv_check(struct walk *w, enum kv_kind kind, const char *key, const char *val,
    size_t *total)
{
	const char *what = kind == KV_LABELS ? "label" : "annotation";
	const char *problem;
	char qb[QUOTE_BUF];
	size_t n = strlen(val);

	if (strlen(key) > POD_MAX_KEY)
		return fail(w, "invalid %s key %s: must be no more than %d "
		    "characters", what, quote(qb, sizeof(qb), key),
		    POD_MAX_KEY);
	if ((problem = qualified_name_problem(key,
	    kind == KV_ANNOTATIONS)) != NULL)
		return fail(w, "invalid %s key %s: %s", what,
		    quote(qb, sizeof(qb), key), problem);
	if (kind == KV_LABELS) {
		if (n > POD_MAX_LABEL_VALUE)
			return fail(w, "invalid value for label %s: must be "
			    "no more than %d characters", quote(qb,
			    sizeof(qb), key), POD_MAX_LABEL_VALUE);
		if (!label_value_chars_ok(val, n))
			return fail(w, "invalid value for label %s: must be "
			    "empty or consist of alphanumeric characters, "
			    "'-', '_' or '.', and must start and end with an "
			    "alphanumeric character", quote(qb, sizeof(qb),
			    key));
		return 0;
	}
	if (n > POD_MAX_ANNOT_VALUE - 1)
		return fail(w, "value of annotation %s must be no more than %d "
		    "characters", quote(qb, sizeof(qb), key),
		    POD_MAX_ANNOT_VALUE - 1);
	*total += strlen(key) + n;
	if (*total > ANNOT_TOTAL_MAX)
		return fail(w, "annotations are too long: must have at most "
		    "%d bytes in all", ANNOT_TOTAL_MAX);
	return 0;
}

/*
 * labels or annotations: a map of strings.  Room for `extra` more entries
 * is allocated so that static pods can add theirs.
 */
static int
walk_kv_map(struct walk *w, const cJSON *v, enum kv_kind kind,
    struct kv **out, uint32_t *nout, int extra)
{
	const char *what = kind == KV_LABELS ? "labels" : "annotations";
	const cJSON *item;
	const char *val;
	char qb[QUOTE_BUF];
	size_t total = 0;
	int n;

	if (!cJSON_IsObject(v))
		return fail(w, "expected a map of strings, got %s",
		    type_name(v));
	if ((n = cJSON_GetArraySize(v)) > POD_MAX_META)
		return fail(w, "too many %s: %d, at most %d", what, n,
		    POD_MAX_META);
	if ((*out = calloc(n + extra + 1, sizeof(**out))) == NULL)
		return fail_nomem(w);
	cJSON_ArrayForEach(item, v) {
		if (cJSON_IsNull(item))
			val = "";
		else if (cJSON_IsString(item))
			val = item->valuestring;
		else
			return fail(w, "value of %s %s must be a string, got "
			    "%s%s", kind == KV_LABELS ? "label" : "annotation",
			    quote(qb, sizeof(qb), item->string),
			    type_name(item), cJSON_IsBool(item) ||
			    cJSON_IsNumber(item) ? " (quote it in YAML)" : "");
		if (kv_check(w, kind, item->string, val, &total) == -1)
			return -1;
		if (((*out)[*nout].key = strdup(item->string)) == NULL ||
		    ((*out)[*nout].value = strdup(val)) == NULL) {
			(*nout)++;
			return fail_nomem(w);
		}
		(*nout)++;
	}
	return 0;
}

static int
meta_labels(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;

	return walk_kv_map(w, v, KV_LABELS, &pod->labels, &pod->n_labels, 0);
}

static int
meta_annotations(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;

	return walk_kv_map(w, v, KV_ANNOTATIONS, &pod->annotations,
	    &pod->n_annotations, w->is_static ? STATIC_ANNOTATIONS : 0);
}

static const struct field_rule metadata_rules[] = {
	MAP("name", meta_name),
	MAP("namespace", meta_namespace),
	MAP("uid", meta_uid),
	MAP("labels", meta_labels),
	MAP("annotations", meta_annotations),
	/* set by the API server, or meaningless to a node agent */
	IGNORE("generateName"),
	IGNORE("resourceVersion"),
	IGNORE("generation"),
	IGNORE("creationTimestamp"),
	IGNORE("deletionTimestamp"),
	IGNORE("deletionGracePeriodSeconds"),
	IGNORE("selfLink"),
	IGNORE("managedFields"),
	IGNORE("ownerReferences"),
	IGNORE("finalizers"),
	{ NULL, 0, NULL, NULL }
};

static int
pod_metadata(struct walk *w, const cJSON *v, void *arg)
{
	return walk_object(w, v, metadata_rules, arg);
}

/* apiVersion and kind are checked before the walk, see check_type() */
static const struct field_rule pod_rules[] = {
	IGNORE("apiVersion"),
	IGNORE("kind"),
	MAP("metadata", pod_metadata),
	MAP("spec", pod_spec),
	IGNORE("status"),
	{ NULL, 0, NULL, NULL }
};

/* ------------------------------------------------------------------ */
/* finishing: defaults and rules that span fields                      */

static const char *
host_port_path(char *buf, size_t size, uint32_t ci, uint32_t pi)
{
	snprintf(buf, size, "spec.containers[%u].ports[%u].hostPort", ci, pi);
	return buf;
}

static const char *
proto_name(uint8_t p)
{
	return p == PROTO_UDP ? "UDP" : p == PROTO_SCTP ? "SCTP" : "TCP";
}

static int
same_host_port(const struct container_port *a, const struct container_port *b)
{
	const char *ia = a->host_ip != NULL ? a->host_ip : "";
	const char *ib = b->host_ip != NULL ? b->host_ip : "";

	return a->host_port == b->host_port && a->protocol == b->protocol &&
	    strcmp(ia, ib) == 0;
}

/* is the host port of containers[ci].ports[pi] used by an earlier port? */
static int
host_port_taken(const struct pod *pod, uint32_t ci, uint32_t pi)
{
	const struct container_port *p = &pod->containers[ci].ports[pi];
	uint32_t cj, pj, n;

	for (cj = 0; cj <= ci; cj++) {
		n = cj < ci ? pod->containers[cj].n_ports : pi;
		for (pj = 0; pj < n; pj++)
			if (same_host_port(p, &pod->containers[cj].ports[pj]))
				return 1;
	}
	return 0;
}

/* SetDefaults_Pod (hostNetwork) and AccumulateUniqueHostPorts */
static int
finish_ports(struct walk *w, struct pod *pod)
{
	struct container_port *p;
	char path[sizeof(w->path)];
	uint32_t ci, pi;

	for (ci = 0; ci < pod->n_containers; ci++) {
		for (pi = 0; pi < pod->containers[ci].n_ports; pi++) {
			p = &pod->containers[ci].ports[pi];
			host_port_path(path, sizeof(path), ci, pi);
			if (pod->host_network && p->host_port == 0)
				p->host_port = p->container_port;
			if (pod->host_network &&
			    p->host_port != p->container_port)
				return field_error(w->err, path, "must match "
				    "containerPort (%u) when hostNetwork is "
				    "true", p->container_port);
			if (p->host_port != 0 && host_port_taken(pod, ci, pi))
				return field_error(w->err, path, "duplicate "
				    "host port %u/%s", p->host_port,
				    proto_name(p->protocol));
		}
	}
	return 0;
}

/* the kubelet refuses a non-root policy with an explicit uid 0 */
static int
finish_non_root(struct walk *w, struct pod *pod)
{
	const struct container_spec *c;
	char path[sizeof(w->path)];
	int8_t non_root;
	int64_t uid;
	uint32_t i;

	for (i = 0; i < pod->n_containers; i++) {
		c = &pod->containers[i];
		non_root = c->sc.run_as_non_root != TRI_UNSET ?
		    c->sc.run_as_non_root : pod->psc.run_as_non_root;
		uid = c->sc.run_as_user != -1 ? c->sc.run_as_user :
		    pod->psc.run_as_user;
		if (non_root == 1 && uid == 0) {
			snprintf(path, sizeof(path),
			    "spec.containers[%u].securityContext", i);
			return field_error(w->err, path, "runAsNonRoot is true "
			    "but runAsUser is 0 (root)");
		}
	}
	return 0;
}

static int
finish_pod(struct walk *w, struct pod *pod)
{
	if (pod->name == NULL)
		return field_error(w->err, "metadata.name", "required");
	if (pod->n_containers == 0)
		return field_error(w->err, "spec.containers", "required: a "
		    "pod needs at least one container");
	if (pod->namespace == NULL &&
	    (pod->namespace = strdup(DEFAULT_NAMESPACE)) == NULL)
		return input_error(w->err, "out of memory");
	/* the API server's validation: one or the other */
	if (pod->share_pid && pod->host_pid)
		return field_error(w->err, "spec.shareProcessNamespace",
		    "ShareProcessNamespace and HostPID cannot both be enabled");
	if (finish_ports(w, pod) == -1 || finish_non_root(w, pod) == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the Pod object                                                      */

static int
check_type(const cJSON *root, struct manifest_error *err)
{
	const cJSON *kind, *api;
	char qb[QUOTE_BUF];

	kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	api = cJSON_GetObjectItemCaseSensitive(root, "apiVersion");
	if (kind == NULL || cJSON_IsNull(kind))
		return field_error(err, "kind", "required: must be \"Pod\"");
	if (!cJSON_IsString(kind) || strcmp(kind->valuestring, KIND_POD) != 0)
		return field_error(err, "kind", "kind %s is not supported: a "
		    "manifest must hold exactly one Pod", cJSON_IsString(kind) ?
		    quote(qb, sizeof(qb), kind->valuestring) : type_name(kind));
	if (api == NULL || cJSON_IsNull(api))
		return field_error(err, "apiVersion", "required: must be "
		    "\"v1\"");
	if (!cJSON_IsString(api) || strcmp(api->valuestring, API_VERSION) != 0)
		return field_error(err, "apiVersion", "apiVersion %s is not "
		    "supported: a Pod is \"v1\"", cJSON_IsString(api) ?
		    quote(qb, sizeof(qb), api->valuestring) : type_name(api));
	return 0;
}

int
walk_pod(const cJSON *root, int is_static, struct pod *pod,
    struct manifest_error *err)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.err = err;
	w.is_static = is_static;
	if (!cJSON_IsObject(root))
		return input_error(err, "a manifest must be a map holding one "
		    "Pod, got %s", type_name(root));
	if (check_type(root, err) == -1)
		return -1;
	if (walk_object(&w, root, pod_rules, pod) == -1)
		return -1;
	return finish_pod(&w, pod);
}
