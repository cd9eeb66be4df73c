/*
 * The field tables of the Pod object, its metadata and its spec, the
 * per-field conversion into struct pod, and the finishing rules
 * (Kubernetes' defaults and checks that span fields).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"
#include "sysctl.h"

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

/* ValidatePodSpec: 1 to math.MaxUint32 */
#define ACTIVE_DEADLINE_MAX	4294967295LL

static int
spec_active_deadline(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;

	return get_int(w, v, 1, ACTIVE_DEADLINE_MAX,
	    &pod->active_deadline_seconds);
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

/* the executor applies it: ClusterFirst without clusterDNS is Default */
static int
spec_dns_policy(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	const char *s;
	uint8_t i;

	if (get_string(w, v, &s) == -1)
		return -1;
	for (i = DNS_CLUSTER_FIRST; i <= DNS_NONE; i++)
		if (strcmp(s, pod_dns_policy_name(i)) == 0) {
			pod->dns_policy = i;
			return 0;
		}
	return fail(w, "unsupported value: must be ClusterFirst, "
	    "ClusterFirstWithHostNet, Default or None");
}

/* validation.IsValidIP; the length bound keeps "v4,v6" lists in POD_MAX_IP */
static int
ip_ok(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];

	return strlen(s) < INET6_ADDRSTRLEN && (inet_pton(AF_INET, s, a) == 1 ||
	    inet_pton(AF_INET6, s, a) == 1);
}

#define IP_MSG	"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

/* spec.hostname and spec.subdomain: DNS labels */
static int
take_label(struct walk *w, const cJSON *v, char **out)
{
	char qb[QUOTE_BUF];

	if (take_string(w, v, POD_MAX_LABEL, out) == -1)
		return -1;
	if ((*out)[0] == '\0') {
		free(*out);
		*out = NULL;	/* "" is unset */
		return 0;
	}
	if (!dns_label_ok(*out))
		return fail(w, "invalid value %s: " DNS_LABEL_MSG,
		    quote(qb, sizeof(qb), *out));
	return 0;
}

static int
spec_hostname(struct walk *w, const cJSON *v, void *arg)
{
	return take_label(w, v, &((struct pod *)arg)->hostname);
}

static int
spec_subdomain(struct walk *w, const cJSON *v, void *arg)
{
	return take_label(w, v, &((struct pod *)arg)->subdomain);
}

/*
 * ValidatePodSpec: a DNS subdomain.  No class is looked up (a static pod
 * is never admitted by the API server's Priority plugin, and the kubelet
 * only compares the name): it matters for oom_score_adj alone.
 */
static int
spec_priority_class(struct walk *w, const cJSON *v, void *arg)
{
	char **out = &((struct pod *)arg)->priority_class_name;
	char qb[QUOTE_BUF];

	if (take_string(w, v, POD_MAX_NAME, out) == -1)
		return -1;
	if ((*out)[0] == '\0') {
		free(*out);
		*out = NULL;	/* "" is unset */
		return 0;
	}
	if (!dns_subdomain_ok(*out, strlen(*out)))
		return fail(w, "invalid value %s: " DNS_SUBDOMAIN_MSG,
		    quote(qb, sizeof(qb), *out));
	return 0;
}

static int
spec_fqdn(struct walk *w, const cJSON *v, void *arg)
{
	return spec_host_flag(w, v, &((struct pod *)arg)->set_hostname_fqdn);
}

/* a list of strings, each checked by ok (NULL: any), at most max */
static int
walk_names(struct walk *w, const cJSON *v, struct strlist *l, uint32_t max,
    size_t elem_max, int (*ok)(const char *), const char *why)
{
	struct strings_walk sw = { l, max, elem_max, ok, why };

	return walk_strings(w, v, &sw);
}

static int
subdomain_ok(const char *s)
{
	return dns_subdomain_ok(s, strlen(s));
}

/* a search path may end in a dot */
static int
search_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		n--;
	return dns_subdomain_ok(s, n);
}

static int
alias_ip(struct walk *w, const cJSON *v, void *arg)
{
	struct host_alias *a = arg;
	char qb[QUOTE_BUF];

	if (take_string(w, v, POD_MAX_IP, &a->ip) == -1)
		return -1;
	if (!ip_ok(a->ip))
		return fail(w, "invalid value %s: " IP_MSG,
		    quote(qb, sizeof(qb), a->ip));
	return 0;
}

static int
alias_hostnames(struct walk *w, const cJSON *v, void *arg)
{
	struct host_alias *a = arg;

	return walk_names(w, v, &a->hostnames, POD_MAX_ALIAS_NAMES,
	    POD_MAX_NAME, subdomain_ok, DNS_SUBDOMAIN_MSG);
}

static const struct field_rule alias_rules[] = {
	MAP("ip", alias_ip),
	MAP("hostnames", alias_hostnames),
	{ NULL, 0, NULL, NULL }
};

static int
host_alias_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct host_alias *a = &((struct pod *)arg)->host_aliases[i];

	if (walk_object(w, item, alias_rules, a) == -1)
		return -1;
	return require_field(w, a->ip, "ip", NULL);
}

static int
spec_host_aliases(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	int n;

	if ((n = list_size(w, v, "host aliases", POD_MAX_HOST_ALIASES)) <= 0)
		return n;
	if ((pod->host_aliases = calloc(n, sizeof(*pod->host_aliases))) ==
	    NULL)
		return fail_nomem(w);
	pod->n_host_aliases = n;
	return walk_items(w, v, host_alias_item, pod);
}

static int
dns_nameservers(struct walk *w, const cJSON *v, void *arg)
{
	struct pod_dns_config *d = arg;

	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > POD_MAX_DNS_SERVERS)
		return fail(w, "must not have more than %d nameservers",
		    POD_MAX_DNS_SERVERS);
	return walk_names(w, v, &d->nameservers, POD_MAX_DNS_SERVERS,
	    INET6_ADDRSTRLEN - 1, ip_ok, IP_MSG);
}

static int
dns_searches(struct walk *w, const cJSON *v, void *arg)
{
	struct pod_dns_config *d = arg;
	size_t len = 0;
	uint32_t i;

	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > POD_MAX_DNS_SEARCHES)
		return fail(w, "must not have more than %d search paths",
		    POD_MAX_DNS_SEARCHES);
	if (walk_names(w, v, &d->searches, POD_MAX_DNS_SEARCHES,
	    POD_MAX_NAME + 1, search_ok, DNS_SUBDOMAIN_MSG) == -1)
		return -1;
	for (i = 0; i < d->searches.n; i++)
		len += strlen(d->searches.v[i]) + (i > 0);
	if (len > POD_MAX_DNS_SEARCH_LEN)
		return fail(w, "must not have more than %d characters "
		    "(including spaces) in the search list",
		    POD_MAX_DNS_SEARCH_LEN);
	return 0;
}

static int
dns_opt_name(struct walk *w, const cJSON *v, void *arg)
{
	return take_string(w, v, POD_MAX_DNS_OPTION, &((struct kv *)arg)->key);
}

static int
dns_opt_value(struct walk *w, const cJSON *v, void *arg)
{
	return take_string(w, v, POD_MAX_DNS_OPTION,
	    &((struct kv *)arg)->value);
}

static const struct field_rule dns_option_rules[] = {
	MAP("name", dns_opt_name),
	MAP("value", dns_opt_value),
	{ NULL, 0, NULL, NULL }
};

/* resolv.conf is one line per keyword: no blanks inside an option */
static int
option_chars_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static int
dns_option(struct walk *w, const cJSON *item, struct kv *kv)
{
	if (walk_object(w, item, dns_option_rules, kv) == -1)
		return -1;
	if (kv->key == NULL || kv->key[0] == '\0')
		return fail(w, "name: required: must not be empty");
	if (kv->value == NULL && (kv->value = strdup("")) == NULL)
		return fail_nomem(w);
	if (!option_chars_ok(kv->key) || !option_chars_ok(kv->value))
		return fail(w, "must consist of printable ASCII characters "
		    "without spaces");
	return 0;
}

static int
dns_option_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	return dns_option(w, item, &((struct pod_dns_config *)arg)->options[i]);
}

static int
dns_options(struct walk *w, const cJSON *v, void *arg)
{
	struct pod_dns_config *d = arg;
	int n;

	if ((n = list_size(w, v, "options", POD_MAX_DNS_OPTIONS)) <= 0)
		return n;
	if ((d->options = calloc(n, sizeof(*d->options))) == NULL)
		return fail_nomem(w);
	d->n_options = n;
	return walk_items(w, v, dns_option_item, d);
}

static const struct field_rule dns_config_rules[] = {
	MAP("nameservers", dns_nameservers),
	MAP("searches", dns_searches),
	MAP("options", dns_options),
	{ NULL, 0, NULL, NULL }
};

static int
spec_dns_config(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;

	w->has_dns_config = 1;
	return walk_object(w, v, dns_config_rules, &pod->dns_config);
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

/*
 * spec.serviceAccountName (a DNS subdomain); serviceAccount is its
 * deprecated alias, used only when the name is not given (the v1
 * conversion: "If both are specified, ServiceAccountName wins").
 * Nothing defaults it: the API server's ServiceAccount admission sets
 * "default" on API pods and leaves mirror pods alone, so a static pod
 * without it has "" as with the kubelet.
 */
static int
service_account(struct walk *w, const cJSON *v, struct pod *pod, int alias)
{
	char qb[QUOTE_BUF];
	char *name;

	if (alias && pod->service_account != NULL)
		return 0;
	if (take_string(w, v, POD_MAX_NAME, &name) == -1)
		return -1;
	if (name[0] != '\0' && !dns_subdomain_ok(name, strlen(name))) {
		fail(w, "invalid name %s: " DNS_SUBDOMAIN_MSG,
		    quote(qb, sizeof(qb), name));
		free(name);
		return -1;
	}
	if (name[0] == '\0') {		/* unset: the other may set it */
		free(name);
		return 0;
	}
	free(pod->service_account);
	pod->service_account = name;
	return 0;
}

static int
spec_service_account_name(struct walk *w, const cJSON *v, void *arg)
{
	return service_account(w, v, arg, 0);
}

static int
spec_service_account(struct walk *w, const cJSON *v, void *arg)
{
	return service_account(w, v, arg, 1);
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
	MAP("dnsConfig", spec_dns_config),
	MAP("hostAliases", spec_host_aliases),
	MAP("hostname", spec_hostname),
	MAP("subdomain", spec_subdomain),
	MAP("setHostnameAsFQDN", spec_fqdn),
	MAP("os", spec_os),
	MAP("hostUsers", spec_host_users),
	MAP("initContainers", spec_init_containers),
	MAP("activeDeadlineSeconds", spec_active_deadline),
	MAP("volumes", spec_volumes),
	/* scheduling and API-side bookkeeping: the pod is already here */
	IGNORE("schedulerName"),
	IGNORE("nodeSelector"),
	IGNORE("affinity"),
	IGNORE("tolerations"),
	IGNORE("topologySpreadConstraints"),
	IGNORE("schedulingGates"),
	IGNORE("priority"),
	MAP("priorityClassName", spec_priority_class),
	IGNORE("preemptionPolicy"),
	MAP("serviceAccountName", spec_service_account_name),
	MAP("serviceAccount", spec_service_account),
	IGNORE("automountServiceAccountToken"),
	IGNORE("enableServiceLinks"),
	REJECT("ephemeralContainers", "ephemeral containers are not "
	    "supported"),
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

/*
 * Required for API pods; a static pod's is kept when the file has one
 * (the kubelet's applyDefaults), else derived from the pod (staticpod.c)
 */
static int
meta_uid(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	const char *p;

	if (take_string(w, v, POD_MAX_UID, &pod->uid) == -1)
		return -1;
	if (pod->uid[0] == '\0' && w->is_static) {
		/* len(pod.UID) == 0: the kubelet derives one */
		free(pod->uid);
		pod->uid = NULL;
		return 0;
	}
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

/*
 * The kubelet refuses a non-root policy with an explicit uid 0: list is
 * spec.<what> (containers or initContainers), n of them.
 */
int
finish_non_root_list(struct walk *w, const struct pod *pod,
    const struct container_spec *list, uint32_t n, const char *what)
{
	const struct container_spec *c;
	char path[sizeof(w->path)];
	int8_t non_root;
	int64_t uid;
	uint32_t i;

	for (i = 0; i < n; i++) {
		c = &list[i];
		non_root = c->sc.run_as_non_root != TRI_UNSET ?
		    c->sc.run_as_non_root : pod->psc.run_as_non_root;
		uid = c->sc.run_as_user != -1 ? c->sc.run_as_user :
		    pod->psc.run_as_user;
		if (non_root == 1 && uid == 0) {
			snprintf(path, sizeof(path), "spec.%s[%u]."
			    "securityContext", what, i);
			return field_error(w->err, path, "runAsNonRoot is true "
			    "but runAsUser is 0 (root)");
		}
	}
	return 0;
}

static int
finish_non_root(struct walk *w, struct pod *pod)
{
	return finish_non_root_list(w, pod, pod->containers,
	    pod->n_containers, "containers");
}

/*
 * validateSysctls: a namespaced sysctl cannot be set in a namespace the
 * pod shares with the host (that would set it for the node)
 */
static int
finish_sysctls(struct walk *w, struct pod *pod)
{
	char path[sizeof(w->path)];
	enum sysctl_ns ns;
	uint32_t i;

	for (i = 0; i < pod->psc.n_sysctls; i++) {
		ns = sysctl_namespace(pod->psc.sysctls[i].key);
		if ((ns == SYSCTL_NS_NET && pod->host_network) ||
		    (ns == SYSCTL_NS_IPC && pod->host_ipc)) {
			snprintf(path, sizeof(path), "spec.securityContext."
			    "sysctls[%u].name", i);
			return field_error(w->err, path, "\"%s\" may not be "
			    "specified when '%s' is true",
			    pod->psc.sysctls[i].key, ns == SYSCTL_NS_NET ?
			    "hostNetwork" : "hostIPC");
		}
	}
	return 0;
}

/* validatePodDNSConfig: None takes everything from dnsConfig */
static int
finish_dns(struct walk *w, struct pod *pod)
{
	if (pod->dns_policy != DNS_NONE)
		return 0;
	if (!w->has_dns_config)
		return field_error(w->err, "spec.dnsConfig", "required: must "
		    "provide `dnsConfig` when `dnsPolicy` is None");
	if (pod->dns_config.nameservers.n == 0)
		return field_error(w->err, "spec.dnsConfig.nameservers",
		    "required: must provide at least one DNS nameserver when "
		    "`dnsPolicy` is None");
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
	if (finish_ports(w, pod) == -1 || finish_non_root(w, pod) == -1 ||
	    finish_dns(w, pod) == -1 || finish_init_containers(w, pod) == -1 ||
	    finish_env_refs(w, pod) == -1 || finish_volumes(w, pod) == -1 ||
	    finish_sysctls(w, pod) == -1)
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
