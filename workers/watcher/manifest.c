/*
 * Kubernetes Pod manifests (YAML or JSON) -> struct pod.
 *
 * Untrusted bytes go through three stages, each bounded:
 *  1. load: size, encoding (UTF-8 without NUL), then YAML (libyaml
 *     events: no anchors or aliases, one document) or JSON (cJSON) into a
 *     cJSON tree whose depth, size and key uniqueness are then checked.
 *  2. walk: one table per Kubernetes object type says, for every field,
 *     whether it maps to the model, is accepted and ignored, or is refused
 *     (and why); a field in no table is an "unknown field".  Values are
 *     type checked and validated with Kubernetes' rules as they are copied.
 *  3. finish: Kubernetes' defaults and cross-field rules, then the static
 *     pod identity (name, uid, annotations) or the API pod's.
 * docs/manifest-fields.md is the human-readable form of the tables below.
 *
 * Library-style: nothing is logged; the first problem found is returned
 * in struct manifest_error, with the field path in Kubernetes' style.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "caps.h"
#include "manifest.h"
#include "pod.h"

#define QUOTE_MAX		48	/* user text quoted in a reason */
#define QUOTE_BUF		(QUOTE_MAX + 8)
#define ID_MAX			2147483647LL	/* runAsUser/Group */
#define INT_EXACT_MAX		9007199254740992LL	/* 2^53 */
#define PORT_MAX		65535
#define PORT_NAME_MAX		15	/* IANA_SVC_NAME */
#define HOST_IP_MAX		45	/* INET6_ADDRSTRLEN - 1 */
/* Kubernetes' TotalAnnotationSizeLimitB */
#define ANNOT_TOTAL_MAX		(256 * 1024)
#define CAP_INPUT_MAX		64
#define YAML_NUMBER_MAX		64	/* longer plain scalars: strings */
#define MD5_HEX_LEN		32

#define API_VERSION		"v1"
#define KIND_POD		"Pod"
#define DEFAULT_NAMESPACE	"default"
#define SOURCE_API		"api"
#define ANNOT_CONFIG_HASH	"kubernetes.io/config.hash"
#define ANNOT_CONFIG_SOURCE	"kubernetes.io/config.source"
#define STATIC_ANNOTATIONS	2	/* the two above */

#define DNS_SUBDOMAIN_MSG	"must be a lowercase RFC 1123 subdomain: " \
	"lowercase alphanumeric characters, '-' or '.', starting and " \
	"ending with an alphanumeric character"
#define DNS_LABEL_MSG		"must be a lowercase RFC 1123 label: " \
	"lowercase alphanumeric characters or '-', starting and ending " \
	"with an alphanumeric character"

#define MANIFEST_FIELD_MAX	sizeof(((struct manifest_error *)0)->field)

struct walk {
	struct manifest_error	*err;
	char			 path[MANIFEST_FIELD_MAX];
	size_t			 pathlen;
	int			 is_static;
};

/* ------------------------------------------------------------------ */
/* errors and field paths                                              */

/* printable ASCII is kept, anything else becomes '?': reasons reach logs */
static void
append_clean(char *dst, size_t size, size_t *len, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max && *len + 1 < size; i++) {
		unsigned char c = s[i];
		dst[(*len)++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	dst[*len] = '\0';
}

static const char *
quote(char *buf, size_t size, const char *s)
{
	size_t len = 0;

	append_clean(buf, size, &len, "\"", 1);
	append_clean(buf, size, &len, s, QUOTE_MAX);
	if (strlen(s) > QUOTE_MAX)
		append_clean(buf, size, &len, "...", 3);
	append_clean(buf, size, &len, "\"", 1);
	return buf;
}

static void
set_errorv(struct manifest_error *err, const char *field, const char *fmt,
    va_list ap)
{
	size_t len = 0;

	char *p;

	err->field[0] = '\0';
	append_clean(err->field, sizeof(err->field), &len, field, SIZE_MAX);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	for (p = err->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

static int __attribute__((format(printf, 2, 3)))
input_error(struct manifest_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(err, "", fmt, ap);
	va_end(ap);
	return -1;
}

static int __attribute__((format(printf, 3, 4)))
field_error(struct manifest_error *err, const char *field, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(err, field, fmt, ap);
	va_end(ap);
	return -1;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(w->err, w->path, fmt, ap);
	va_end(ap);
	return -1;
}

static int
fail_nomem(struct walk *w)
{
	return fail(w, "out of memory");
}

static size_t
path_key(struct walk *w, const char *key)
{
	size_t mark = w->pathlen;

	if (w->pathlen > 0)
		append_clean(w->path, sizeof(w->path), &w->pathlen, ".", 1);
	append_clean(w->path, sizeof(w->path), &w->pathlen, key, SIZE_MAX);
	return mark;
}

static size_t
path_index(struct walk *w, int i)
{
	size_t mark = w->pathlen;
	char buf[16];

	snprintf(buf, sizeof(buf), "[%d]", i);
	append_clean(w->path, sizeof(w->path), &w->pathlen, buf, SIZE_MAX);
	return mark;
}

static void
path_pop(struct walk *w, size_t mark)
{
	w->pathlen = mark;
	w->path[mark] = '\0';
}

static const char *
type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "a map";
	return "an unknown type";
}

/* ------------------------------------------------------------------ */
/* typed getters                                                       */

static int
get_string(struct walk *w, const cJSON *v, const char **out)
{
	*out = "";
	if (!cJSON_IsString(v))
		return fail(w, "expected a string, got %s%s", type_name(v),
		    cJSON_IsBool(v) || cJSON_IsNumber(v) ?
		    " (quote it in YAML)" : "");
	*out = v->valuestring;
	return 0;
}

static int
get_bool(struct walk *w, const cJSON *v, int8_t *out)
{
	*out = 0;
	if (!cJSON_IsBool(v))
		return fail(w, "expected a boolean (true or false), got %s",
		    type_name(v));
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return 0;
}

static int
get_int(struct walk *w, const cJSON *v, int64_t min, int64_t max,
    int64_t *out)
{
	double d;

	*out = 0;
	if (!cJSON_IsNumber(v))
		return fail(w, "expected an integer, got %s", type_name(v));
	d = v->valuedouble;
	if (!isfinite(d) || d < (double)min || d > (double)max)
		return fail(w, "must be between %lld and %lld, inclusive",
		    (long long)min, (long long)max);
	/* in range, so the cast is defined; no libm for floor() */
	if (d != (double)(int64_t)d)
		return fail(w, "expected an integer, got a fractional number");
	*out = (int64_t)d;
	return 0;
}

/* a string of at most maxlen bytes, copied */
static int
take_string(struct walk *w, const cJSON *v, size_t maxlen, char **dst)
{
	const char *s;
	size_t n;

	if (get_string(w, v, &s) == -1)
		return -1;
	if ((n = strlen(s)) > maxlen)
		return fail(w, "must be no more than %zu characters, got %zu",
		    maxlen, n);
	if ((*dst = strdup(s)) == NULL)
		return fail_nomem(w);
	return 0;
}

/* null, false, "", [] and {}: how serializers write "not set" */
static int
value_is_unset(const cJSON *v)
{
	if (cJSON_IsNull(v) || cJSON_IsFalse(v))
		return 1;
	if (cJSON_IsString(v))
		return v->valuestring[0] == '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child == NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation)     */

static int
is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_alnum(int c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* the RFC 1123 checks are the ones the executor applies again (pod.c) */
static int
dns_label_ok(const char *s)
{
	return pod_dns_label_ok(s, strlen(s));
}

#define dns_subdomain_ok	pod_dns_subdomain_ok

/* label values and the name part of qualified names */
static int
label_value_chars_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (!is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* IsQualifiedName: [prefix/]name; NULL if fine, else what is wrong */
static const char *
qualified_name_problem(const char *key, int lowercase_prefix)
{
	const char *slash = strchr(key, '/'), *name = key;
	char prefix[POD_MAX_NAME + 1];
	size_t plen, i;

	if (slash != NULL) {
		if (strchr(slash + 1, '/') != NULL)
			return "must be a name with an optional prefix and "
			    "one '/'";
		plen = slash - key;
		if (plen == 0)
			return "prefix part must be non-empty";
		if (plen > POD_MAX_NAME)
			return "prefix part must be no more than 253 "
			    "characters";
		for (i = 0; i < plen; i++) {
			prefix[i] = key[i];
			/* annotation keys are checked lowercased (k8s) */
			if (lowercase_prefix && prefix[i] >= 'A' &&
			    prefix[i] <= 'Z')
				prefix[i] += 'a' - 'A';
		}
		if (!dns_subdomain_ok(prefix, plen))
			return "prefix part " DNS_SUBDOMAIN_MSG;
		name = slash + 1;
	}
	if (name[0] == '\0')
		return "name part must be non-empty";
	if (strlen(name) > POD_MAX_LABEL)
		return "name part must be no more than 63 characters";
	if (!label_value_chars_ok(name, strlen(name)))
		return "name part must consist of alphanumeric characters, "
		    "'-', '_' or '.', and must start and end with an "
		    "alphanumeric character";
	return NULL;
}

/* IANA_SVC_NAME: at most 15 of [a-z0-9-], a letter, no "--", no edge '-' */
static int
port_name_ok(const char *s)
{
	size_t n = strlen(s), i;
	int letter = 0;

	if (n == 0 || n > PORT_NAME_MAX || s[0] == '-' || s[n - 1] == '-' ||
	    strstr(s, "--") != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = 1;
	}
	return letter;
}

/* ------------------------------------------------------------------ */
/* field tables                                                        */

enum rule_kind {
	RULE_MAP,	/* handled by fn */
	RULE_IGNORE,	/* accepted, no behaviour depends on it */
	RULE_REJECT	/* refused with reason unless unset */
};

typedef int (*field_fn)(struct walk *, const cJSON *, void *);

struct field_rule {
	const char	*name;
	enum rule_kind	 kind;
	field_fn	 fn;
	const char	*reason;
};

#define MAP(n, f)	{ n, RULE_MAP, f, NULL }
#define IGNORE(n)	{ n, RULE_IGNORE, NULL, NULL }
#define REJECT(n, r)	{ n, RULE_REJECT, NULL, r }

static const struct field_rule *
rule_find(const struct field_rule *rules, const char *name)
{
	for (; rules->name != NULL; rules++)
		if (strcmp(rules->name, name) == 0)
			return rules;
	return NULL;
}

/*
 * Walk a map with its table, in document order so that the first problem
 * reported is the first in the file.  A null value is "not set", as
 * Kubernetes' JSON decoding has it.
 */
static int
walk_object(struct walk *w, const cJSON *obj, const struct field_rule *rules,
    void *target)
{
	const struct field_rule *rule;
	const cJSON *child;
	size_t mark;
	int rc;

	if (!cJSON_IsObject(obj))
		return fail(w, "expected a map, got %s", type_name(obj));
	cJSON_ArrayForEach(child, obj) {
		if (cJSON_IsNull(child))
			continue;
		mark = path_key(w, child->string);
		rule = rule_find(rules, child->string);
		if (rule == NULL)
			rc = fail(w, "unknown field");
		else if (rule->kind == RULE_MAP)
			rc = rule->fn(w, child, target);
		else if (rule->kind == RULE_REJECT && !value_is_unset(child))
			rc = fail(w, "%s", rule->reason);
		else
			rc = 0;
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
require_field(struct walk *w, const void *present, const char *field,
    const char *what)
{
	size_t mark;

	if (present != NULL)
		return 0;
	mark = path_key(w, field);
	fail(w, "required%s%s", what != NULL ? ": " : "",
	    what != NULL ? what : "");
	path_pop(w, mark);
	return -1;
}

/* ------------------------------------------------------------------ */
/* resources                                                           */

static int
get_quantity(struct walk *w, const cJSON *v, int milli, int64_t *out)
{
	char num[QUANTITY_MAX_LEN + 1], qb[QUOTE_BUF];
	const char *s;
	int prec;

	if (cJSON_IsString(v)) {
		s = v->valuestring;
		if (strlen(s) > QUANTITY_MAX_LEN)
			return fail(w, "quantity is longer than %d characters",
			    QUANTITY_MAX_LEN);
	} else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		/* shortest text that reads back the same, as Go's 'g' -1 */
		for (prec = 1; prec <= 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec,
			    v->valuedouble);
			if (strtod(num, NULL) == v->valuedouble)
				break;
		}
		s = num;
	} else
		return fail(w, "expected a quantity such as \"500m\" or "
		    "\"64Mi\", got %s", type_name(v));
	if ((milli ? quantity_parse_milli(s, out) :
	    quantity_parse_bytes(s, out)) == -1) {
		if (errno == ERANGE)
			return fail(w, "quantity %s is too large",
			    quote(qb, sizeof(qb), s));
		return fail(w, "invalid quantity %s: expected a number with an "
		    "optional suffix (m, k, M, G, T, Ki, Mi, Gi, Ti, ... or "
		    "e<exponent>)", quote(qb, sizeof(qb), s));
	}
	if (*out < 0)
		return fail(w, "must be greater than or equal to 0");
	return 0;
}

/* one of requests/limits: a map resource name -> quantity */
static int
walk_resource_list(struct walk *w, const cJSON *v, int64_t *cpu,
    int64_t *mem)
{
	const cJSON *q;
	size_t mark;
	int64_t ignored;
	int rc;

	if (!cJSON_IsObject(v))
		return fail(w, "expected a map of resource quantities, got %s",
		    type_name(v));
	cJSON_ArrayForEach(q, v) {
		mark = path_key(w, q->string);
		if (strcmp(q->string, "cpu") == 0)
			rc = get_quantity(w, q, 1, cpu);
		else if (strcmp(q->string, "memory") == 0)
			rc = get_quantity(w, q, 0, mem);
		else if (strcmp(q->string, "ephemeral-storage") == 0)
			/* checked, then ignored: there is no disk accounting */
			rc = get_quantity(w, q, 0, &ignored);
		else if (strncmp(q->string, "hugepages-", 10) == 0)
			rc = fail(w, "hugepages are not supported");
		else
			rc = fail(w, "resource is not supported: only cpu, "
			    "memory and ephemeral-storage are");
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
res_requests(struct walk *w, const cJSON *v, void *arg)
{
	struct resources *r = arg;

	return walk_resource_list(w, v, &r->cpu_request_milli,
	    &r->mem_request_bytes);
}

static int
res_limits(struct walk *w, const cJSON *v, void *arg)
{
	struct resources *r = arg;

	return walk_resource_list(w, v, &r->cpu_limit_milli,
	    &r->mem_limit_bytes);
}

static const struct field_rule resources_rules[] = {
	MAP("requests", res_requests),
	MAP("limits", res_limits),
	REJECT("claims", "resource claims (dynamic resource allocation) "
	    "are not supported"),
	{ NULL, 0, NULL, NULL }
};

/* k8s defaulting: a limit without a request makes the request */
static int
resource_finish(struct walk *w, int64_t *req, int64_t lim, const char *name,
    const char *unit)
{
	size_t mark;

	if (*req == -1)
		*req = lim;
	if (lim == -1 || *req <= lim)
		return 0;
	mark = path_key(w, "requests");
	path_key(w, name);
	fail(w, "must be less than or equal to %s limit of %lld%s", name,
	    (long long)lim, unit);
	path_pop(w, mark);
	return -1;
}

static int
c_resources(struct walk *w, const cJSON *v, void *arg)
{
	struct container_spec *c = arg;
	struct resources *r = &c->res;

	if (walk_object(w, v, resources_rules, r) == -1)
		return -1;
	if (resource_finish(w, &r->cpu_request_milli, r->cpu_limit_milli,
	    "cpu", "m") == -1 ||
	    resource_finish(w, &r->mem_request_bytes, r->mem_limit_bytes,
	    "memory", "") == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* security contexts                                                   */

/* "cap_net_admin", "NET_ADMIN" -> "NET_ADMIN"; -1 if not a capability */
static int
cap_normalize(const char *in, int allow_all, char out[POD_MAX_CAP_NAME])
{
	const char *name;
	size_t n = strlen(in);
	int c;

	if (n == 0 || n > CAP_INPUT_MAX)
		return -1;
	if ((c = caps_lookup(in)) == -1 || (c == CAPS_ALL && !allow_all))
		return -1;
	name = c == CAPS_ALL ? "ALL" : caps_names[c];
	if ((n = strlen(name)) >= POD_MAX_CAP_NAME)
		return -1;
	memcpy(out, name, n + 1);
	return 0;
}

static int
strlist_has(const struct strlist *l, const char *s)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static int
walk_caps(struct walk *w, const cJSON *v, struct strlist *l, int is_drop)
{
	char name[POD_MAX_CAP_NAME], qb[QUOTE_BUF];
	const cJSON *item;
	const char *s;
	size_t mark;
	int i = 0, rc;

	if (!cJSON_IsArray(v))
		return fail(w, "expected a list of capability names, got %s",
		    type_name(v));
	if (cJSON_GetArraySize(v) > POD_MAX_CAPS)
		return fail(w, "too many capabilities: %d, at most %d",
		    cJSON_GetArraySize(v), POD_MAX_CAPS);
	cJSON_ArrayForEach(item, v) {
		mark = path_index(w, i++);
		if ((rc = get_string(w, item, &s)) == 0) {
			if (cap_normalize(s, 1, name) == -1)
				rc = fail(w, "unknown capability %s",
				    quote(qb, sizeof(qb), s));
			else if (!is_drop && strcmp(name, "ALL") == 0)
				rc = fail(w, "\"ALL\" may only be dropped; "
				    "list the capabilities to add");
			else if (!strlist_has(l, name) &&
			    strlist_add(l, name, POD_MAX_CAPS) == -1)
				rc = fail_nomem(w);
		}
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
caps_add(struct walk *w, const cJSON *v, void *arg)
{
	struct security_context *sc = arg;

	return walk_caps(w, v, &sc->cap_add, 0);
}

static int
caps_drop(struct walk *w, const cJSON *v, void *arg)
{
	struct security_context *sc = arg;

	return walk_caps(w, v, &sc->cap_drop, 1);
}

static const struct field_rule capabilities_rules[] = {
	MAP("add", caps_add),
	MAP("drop", caps_drop),
	{ NULL, 0, NULL, NULL }
};

static int
seccomp_type(struct walk *w, const cJSON *v, void *arg)
{
	const char *s;
	int *seen = arg;

	if (get_string(w, v, &s) == -1)
		return -1;
	*seen = 1;
	if (strcmp(s, "RuntimeDefault") == 0)
		return 0;
	if (strcmp(s, "Unconfined") == 0 || strcmp(s, "Localhost") == 0)
		return fail(w, "seccomp profile type %s is not supported: "
		    "the node applies its runtime default profile to every "
		    "container", s);
	return fail(w, "unsupported value: must be RuntimeDefault, "
	    "Unconfined or Localhost");
}

static const struct field_rule seccomp_rules[] = {
	MAP("type", seccomp_type),
	REJECT("localhostProfile", "localhost seccomp profiles are not "
	    "supported"),
	{ NULL, 0, NULL, NULL }
};

/* accepted only as RuntimeDefault, which is what the node applies */
static int
sc_seccomp(struct walk *w, const cJSON *v, void *arg)
{
	int seen = 0;

	if (walk_object(w, v, seccomp_rules, &seen) == -1)
		return -1;
	return require_field(w, seen ? "" : NULL, "type", NULL);
}

static int
sc_run_as_user(struct walk *w, const cJSON *v, void *arg)
{
	return get_int(w, v, 0, ID_MAX, arg);
}

static int
sc_bool(struct walk *w, const cJSON *v, void *arg)
{
	return get_bool(w, v, arg);
}

#define SC_FIELD(fn, type, field)					\
static int								\
fn(struct walk *w, const cJSON *v, void *arg)				\
{									\
	return sc_##type(w, v, &((struct security_context *)arg)->field); \
}
SC_FIELD(csc_run_as_user, run_as_user, run_as_user)
SC_FIELD(csc_run_as_group, run_as_user, run_as_group)
SC_FIELD(csc_run_as_non_root, bool, run_as_non_root)
SC_FIELD(csc_read_only_root_fs, bool, read_only_root_fs)
SC_FIELD(csc_privileged, bool, privileged)
SC_FIELD(csc_allow_privilege_escalation, bool, allow_privilege_escalation)
#undef SC_FIELD

static int
csc_capabilities(struct walk *w, const cJSON *v, void *arg)
{
	return walk_object(w, v, capabilities_rules, arg);
}

static int
csc_proc_mount(struct walk *w, const cJSON *v, void *arg)
{
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "Default") != 0)
		return fail(w, "only procMount Default is supported");
	return 0;
}

static const struct field_rule container_sc_rules[] = {
	MAP("runAsUser", csc_run_as_user),
	MAP("runAsGroup", csc_run_as_group),
	MAP("runAsNonRoot", csc_run_as_non_root),
	MAP("readOnlyRootFilesystem", csc_read_only_root_fs),
	MAP("privileged", csc_privileged),
	MAP("allowPrivilegeEscalation", csc_allow_privilege_escalation),
	MAP("capabilities", csc_capabilities),
	MAP("seccompProfile", sc_seccomp),
	MAP("procMount", csc_proc_mount),
	REJECT("seLinuxOptions", "SELinux options are not supported"),
	REJECT("windowsOptions", "windowsOptions are not supported on a "
	    "Linux node"),
	REJECT("appArmorProfile", "AppArmor profiles are not supported"),
	{ NULL, 0, NULL, NULL }
};

static int
c_security_context(struct walk *w, const cJSON *v, void *arg)
{
	struct container_spec *c = arg;
	struct security_context *sc = &c->sc;

	if (walk_object(w, v, container_sc_rules, sc) == -1)
		return -1;
	/* ValidateSecurityContext: no_new_privs cannot coexist with these */
	if (sc->allow_privilege_escalation == 0 && sc->privileged == 1)
		return fail(w, "cannot set allowPrivilegeEscalation to false "
		    "and privileged to true");
	if (sc->allow_privilege_escalation == 0 &&
	    strlist_has(&sc->cap_add, "SYS_ADMIN"))
		return fail(w, "cannot set allowPrivilegeEscalation to false "
		    "and add the SYS_ADMIN capability");
	return 0;
}

#define PSC_FIELD(fn, type, field)					\
static int								\
fn(struct walk *w, const cJSON *v, void *arg)				\
{									\
	return sc_##type(w, v, &((struct pod *)arg)->psc.field);	\
}
PSC_FIELD(psc_run_as_user, run_as_user, run_as_user)
PSC_FIELD(psc_run_as_group, run_as_user, run_as_group)
PSC_FIELD(psc_run_as_non_root, bool, run_as_non_root)
#undef PSC_FIELD

static const struct field_rule pod_sc_rules[] = {
	MAP("runAsUser", psc_run_as_user),
	MAP("runAsGroup", psc_run_as_group),
	MAP("runAsNonRoot", psc_run_as_non_root),
	MAP("seccompProfile", sc_seccomp),
	REJECT("fsGroup", "fsGroup is not supported: the pod model has no "
	    "volumes and no supplementary groups"),
	REJECT("fsGroupChangePolicy", "fsGroupChangePolicy is not supported "
	    "(no volumes)"),
	REJECT("supplementalGroups", "supplementalGroups are not supported "
	    "yet"),
	REJECT("supplementalGroupsPolicy", "supplementalGroupsPolicy is not "
	    "supported"),
	REJECT("seLinuxOptions", "SELinux options are not supported"),
	REJECT("seLinuxChangePolicy", "SELinux options are not supported"),
	REJECT("windowsOptions", "windowsOptions are not supported on a "
	    "Linux node"),
	REJECT("sysctls", "sysctls are not supported"),
	REJECT("appArmorProfile", "AppArmor profiles are not supported"),
	{ NULL, 0, NULL, NULL }
};

/* ------------------------------------------------------------------ */
/* containers                                                          */

struct container_walk {
	struct container_spec	*c;
	int			 pull_policy_set;
};

static int
c_name(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;
	char qb[QUOTE_BUF];

	if (take_string(w, v, POD_MAX_LABEL, &cw->c->name) == -1)
		return -1;
	if (!dns_label_ok(cw->c->name))
		return fail(w, "invalid container name %s: " DNS_LABEL_MSG,
		    quote(qb, sizeof(qb), cw->c->name));
	return 0;
}

static int
c_image(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;
	const char *p;

	if (take_string(w, v, POD_MAX_IMAGE - 1, &cw->c->image) == -1)
		return -1;
	if (cw->c->image[0] == '\0')
		return fail(w, "required: must not be empty");
	for (p = cw->c->image; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return fail(w, "must not contain whitespace or control "
			    "characters");
	return 0;
}

static int
c_pull_policy(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "Always") == 0)
		cw->c->pull_policy = PULL_ALWAYS;
	else if (strcmp(s, "IfNotPresent") == 0)
		cw->c->pull_policy = PULL_IF_NOT_PRESENT;
	else if (strcmp(s, "Never") == 0)
		cw->c->pull_policy = PULL_NEVER;
	else
		return fail(w, "unsupported value: must be Always, "
		    "IfNotPresent or Never");
	cw->pull_policy_set = 1;
	return 0;
}

/* SetDefaults_Container: Always for ":latest" or no tag and no digest */
static uint8_t
default_pull_policy(const char *image)
{
	const char *at = strchr(image, '@'), *end, *slash, *colon;
	size_t len;

	end = at != NULL ? at : image + strlen(image);
	len = end - image;
	slash = memrchr(image, '/', len);
	slash = slash != NULL ? slash + 1 : image;
	colon = memchr(slash, ':', end - slash);
	if (colon == NULL)
		return at == NULL ? PULL_ALWAYS : PULL_IF_NOT_PRESENT;
	if ((size_t)(end - colon - 1) == strlen("latest") &&
	    memcmp(colon + 1, "latest", strlen("latest")) == 0)
		return PULL_ALWAYS;
	return PULL_IF_NOT_PRESENT;
}

static int
walk_strlist(struct walk *w, const cJSON *v, struct strlist *l)
{
	const cJSON *item;
	const char *s;
	size_t mark;
	int i = 0, rc;

	if (!cJSON_IsArray(v))
		return fail(w, "expected a list of strings, got %s",
		    type_name(v));
	if (cJSON_GetArraySize(v) > POD_MAX_ARGS)
		return fail(w, "too many items: %d, at most %d",
		    cJSON_GetArraySize(v), POD_MAX_ARGS);
	cJSON_ArrayForEach(item, v) {
		mark = path_index(w, i++);
		if ((rc = get_string(w, item, &s)) == 0) {
			if (strlen(s) > POD_MAX_ARG - 1)
				rc = fail(w, "must be no more than %d "
				    "characters", POD_MAX_ARG - 1);
			else if (strlist_add(l, s, POD_MAX_ARGS) == -1)
				rc = fail_nomem(w);
		}
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
c_command(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;

	return walk_strlist(w, v, &cw->c->command);
}

static int
c_args(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;

	return walk_strlist(w, v, &cw->c->args);
}

static int
c_working_dir(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0')
		return 0;	/* "" is unset: the image's directory */
	if (s[0] != '/')
		return fail(w, "must be an absolute path");
	return take_string(w, v, POD_MAX_PATH - 1, &cw->c->working_dir);
}

/* env */

static int
env_name(struct walk *w, const cJSON *v, void *arg)
{
	struct kv *kv = arg;
	const char *p;

	if (take_string(w, v, POD_MAX_ENV_NAME - 1, &kv->key) == -1)
		return -1;
	if (kv->key[0] == '\0')
		return fail(w, "required: must not be empty");
	/* the relaxed rule of current Kubernetes: printable ASCII but '=' */
	for (p = kv->key; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '=')
			return fail(w, "must consist of printable ASCII "
			    "characters other than '='");
	return 0;
}

static int
env_value(struct walk *w, const cJSON *v, void *arg)
{
	struct kv *kv = arg;

	return take_string(w, v, POD_MAX_ENV_VALUE - 1, &kv->value);
}

static const struct field_rule env_rules[] = {
	MAP("name", env_name),
	MAP("value", env_value),
	REJECT("valueFrom", "valueFrom is not supported yet"),
	{ NULL, 0, NULL, NULL }
};

static int
c_env(struct walk *w, const cJSON *v, void *arg)
{
	struct container_spec *c = ((struct container_walk *)arg)->c;
	const cJSON *item;
	struct kv *kv;
	size_t mark;
	int n, i = 0, rc;

	if (!cJSON_IsArray(v))
		return fail(w, "expected a list of environment variables, "
		    "got %s", type_name(v));
	if ((n = cJSON_GetArraySize(v)) > POD_MAX_ENV)
		return fail(w, "too many environment variables: %d, at most "
		    "%d", n, POD_MAX_ENV);
	if (n == 0)
		return 0;
	if ((c->env = calloc(n, sizeof(*c->env))) == NULL)
		return fail_nomem(w);
	c->n_env = n;
	cJSON_ArrayForEach(item, v) {
		kv = &c->env[i];
		mark = path_index(w, i++);
		rc = walk_object(w, item, env_rules, kv);
		if (rc == 0)
			rc = require_field(w, kv->key, "name", NULL);
		if (rc == 0 && kv->value == NULL &&
		    (kv->value = strdup("")) == NULL)
			rc = fail_nomem(w);
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* ports */

static int
port_container_port(struct walk *w, const cJSON *v, void *arg)
{
	struct container_port *p = arg;
	int64_t n;

	if (get_int(w, v, 1, PORT_MAX, &n) == -1)
		return -1;
	p->container_port = n;
	return 0;
}

static int
port_host_port(struct walk *w, const cJSON *v, void *arg)
{
	struct container_port *p = arg;
	int64_t n;

	if (get_int(w, v, 0, PORT_MAX, &n) == -1)
		return -1;
	p->host_port = n;
	return 0;
}

static int
port_protocol(struct walk *w, const cJSON *v, void *arg)
{
	struct container_port *p = arg;
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "TCP") == 0)
		p->protocol = PROTO_TCP;
	else if (strcmp(s, "UDP") == 0)
		p->protocol = PROTO_UDP;
	else if (strcmp(s, "SCTP") == 0)
		p->protocol = PROTO_SCTP;
	else
		return fail(w, "unsupported value: must be TCP, UDP or SCTP");
	return 0;
}

static int
port_name(struct walk *w, const cJSON *v, void *arg)
{
	struct container_port *p = arg;
	char qb[QUOTE_BUF];

	if (take_string(w, v, PORT_NAME_MAX, &p->name) == -1)
		return -1;
	if (!port_name_ok(p->name))
		return fail(w, "invalid port name %s: must be an IANA_SVC_NAME "
		    "(at most 15 lowercase alphanumeric characters or '-', "
		    "with at least one letter, no \"--\" and no '-' at either "
		    "end)", quote(qb, sizeof(qb), p->name));
	return 0;
}

static int
port_host_ip(struct walk *w, const cJSON *v, void *arg)
{
	struct container_port *p = arg;
	unsigned char addr[sizeof(struct in6_addr)];
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0')
		return 0;
	if (strlen(s) > HOST_IP_MAX || (inet_pton(AF_INET, s, addr) != 1 &&
	    inet_pton(AF_INET6, s, addr) != 1))
		return fail(w, "must be a valid IP address");
	return take_string(w, v, HOST_IP_MAX, &p->host_ip);
}

static const struct field_rule port_rules[] = {
	MAP("containerPort", port_container_port),
	MAP("hostPort", port_host_port),
	MAP("protocol", port_protocol),
	MAP("name", port_name),
	MAP("hostIP", port_host_ip),
	{ NULL, 0, NULL, NULL }
};

static int
port_name_taken(const struct container_spec *c, uint32_t upto,
    const char *name)
{
	uint32_t i;

	for (i = 0; i < upto; i++)
		if (c->ports[i].name != NULL &&
		    strcmp(c->ports[i].name, name) == 0)
			return 1;
	return 0;
}

static int
walk_port(struct walk *w, const cJSON *item, struct container_spec *c,
    uint32_t i)
{
	struct container_port *p = &c->ports[i];
	char qb[QUOTE_BUF];
	size_t mark;

	if (walk_object(w, item, port_rules, p) == -1)
		return -1;
	if (p->container_port == 0)
		return require_field(w, NULL, "containerPort", NULL);
	if (p->name != NULL && port_name_taken(c, i, p->name)) {
		mark = path_key(w, "name");
		fail(w, "duplicate port name %s", quote(qb, sizeof(qb),
		    p->name));
		path_pop(w, mark);
		return -1;
	}
	return 0;
}

static int
c_ports(struct walk *w, const cJSON *v, void *arg)
{
	struct container_spec *c = ((struct container_walk *)arg)->c;
	const cJSON *item;
	size_t mark;
	int n, i = 0, rc;

	if (!cJSON_IsArray(v))
		return fail(w, "expected a list of ports, got %s",
		    type_name(v));
	if ((n = cJSON_GetArraySize(v)) > POD_MAX_PORTS)
		return fail(w, "too many ports: %d, at most %d", n,
		    POD_MAX_PORTS);
	if (n == 0)
		return 0;
	if ((c->ports = calloc(n, sizeof(*c->ports))) == NULL)
		return fail_nomem(w);
	c->n_ports = n;
	cJSON_ArrayForEach(item, v) {
		mark = path_index(w, i);
		rc = walk_port(w, item, c, i++);
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
c_resources_w(struct walk *w, const cJSON *v, void *arg)
{
	return c_resources(w, v, ((struct container_walk *)arg)->c);
}

static int
c_security_context_w(struct walk *w, const cJSON *v, void *arg)
{
	return c_security_context(w, v, ((struct container_walk *)arg)->c);
}

#define PROBE_REASON	"probes are not supported yet"
static const struct field_rule container_rules[] = {
	MAP("name", c_name),
	MAP("image", c_image),
	MAP("imagePullPolicy", c_pull_policy),
	MAP("command", c_command),
	MAP("args", c_args),
	MAP("workingDir", c_working_dir),
	MAP("env", c_env),
	MAP("ports", c_ports),
	MAP("resources", c_resources_w),
	MAP("securityContext", c_security_context_w),
	IGNORE("terminationMessagePath"),
	IGNORE("terminationMessagePolicy"),
	IGNORE("resizePolicy"),
	REJECT("envFrom", "envFrom is not supported yet"),
	REJECT("volumeMounts", "volumeMounts are not supported yet (the pod "
	    "model has no volumes)"),
	REJECT("volumeDevices", "volumeDevices are not supported (the pod "
	    "model has no volumes)"),
	REJECT("livenessProbe", PROBE_REASON),
	REJECT("readinessProbe", PROBE_REASON),
	REJECT("startupProbe", PROBE_REASON),
	REJECT("lifecycle", "lifecycle hooks (postStart, preStop) are not "
	    "supported yet"),
	REJECT("stdin", "stdin is not supported"),
	REJECT("stdinOnce", "stdinOnce is not supported"),
	REJECT("tty", "tty is not supported"),
	REJECT("restartPolicy", "a container restartPolicy is for sidecar "
	    "init containers, which are not supported"),
	{ NULL, 0, NULL, NULL }
};
#undef PROBE_REASON

static int
walk_container(struct walk *w, const cJSON *item, struct container_spec *c)
{
	struct container_walk cw = { c, 0 };

	if (walk_object(w, item, container_rules, &cw) == -1)
		return -1;
	if (require_field(w, c->name, "name", NULL) == -1 ||
	    require_field(w, c->image, "image", NULL) == -1)
		return -1;
	if (!cw.pull_policy_set)
		c->pull_policy = default_pull_policy(c->image);
	return 0;
}

static int
spec_containers(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	const cJSON *item;
	char qb[QUOTE_BUF];
	size_t mark, mark2;
	int n, i = 0, j, rc;

	if (!cJSON_IsArray(v))
		return fail(w, "expected a list of containers, got %s",
		    type_name(v));
	if ((n = cJSON_GetArraySize(v)) == 0)
		return fail(w, "required: a pod needs at least one container");
	if (n > POD_MAX_CONTAINERS)
		return fail(w, "too many containers: %d, at most %d", n,
		    POD_MAX_CONTAINERS);
	if ((pod->containers = calloc(n, sizeof(*pod->containers))) == NULL)
		return fail_nomem(w);
	for (j = 0; j < n; j++)
		container_spec_init(&pod->containers[j]);
	pod->n_containers = n;
	cJSON_ArrayForEach(item, v) {
		mark = path_index(w, i);
		rc = walk_container(w, item, &pod->containers[i]);
		for (j = 0; rc == 0 && j < i; j++) {
			if (strcmp(pod->containers[j].name,
			    pod->containers[i].name) != 0)
				continue;
			mark2 = path_key(w, "name");
			rc = fail(w, "duplicate container name %s", quote(qb,
			    sizeof(qb), pod->containers[i].name));
			path_pop(w, mark2);
		}
		path_pop(w, mark);
		if (rc == -1)
			return -1;
		i++;
	}
	return 0;
}

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

static int
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

/* ------------------------------------------------------------------ */
/* loading: bytes to a checked cJSON tree                              */

/* position of byte off as "line L column C" for messages */
static void
line_col(const uint8_t *buf, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/* strict UTF-8 (no overlongs, surrogates or NUL); offset of the bad byte */
static int
utf8_check(const uint8_t *s, size_t len, size_t *bad)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] == 0)
			goto invalid;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			goto invalid;
		if (len - i <= n)
			goto invalid;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto invalid;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto invalid;
		i += n + 1;
	}
	return 0;
invalid:
	*bad = i;
	return -1;
}

/* a JSON "\u0000" would silently cut a C string short */
static int
json_has_nul_escape(const char *s, size_t len)
{
	size_t i;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		if (!in_string) {
			in_string = s[i] == '"';
			continue;
		}
		if (s[i] == '"')
			in_string = 0;
		else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len &&
			    memcmp(s + i + 2, "0000", 4) == 0)
				return 1;
			i++;
		}
	}
	return 0;
}

static int
json_load(const uint8_t *buf, size_t len, cJSON **rootp,
    struct manifest_error *err)
{
	const char *end = NULL;
	char *copy;
	cJSON *root = NULL;
	int line, col, rc = -1;

	/* cJSON gets its own NUL-terminated copy: it must never run off */
	if ((copy = malloc(len + 1)) == NULL)
		return input_error(err, "out of memory");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if (json_has_nul_escape(copy, len)) {
		input_error(err, "JSON strings must not contain \\u0000");
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	if (root == NULL) {
		line_col(buf, end != NULL ? (size_t)(end - copy) : 0, &line,
		    &col);
		input_error(err, "JSON syntax error at line %d column %d",
		    line, col);
		goto out;
	}
	if (end == NULL)
		end = copy;	/* cJSON always sets it; be safe anyway */
	while (end < copy + len && (*end == ' ' || *end == '\t' ||
	    *end == '\n' || *end == '\r'))
		end++;
	if (end != copy + len) {
		line_col(buf, end - copy, &line, &col);
		input_error(err, "unexpected data after the JSON object at "
		    "line %d column %d: a manifest holds one Pod", line, col);
		goto out;
	}
	*rootp = root;
	root = NULL;
	rc = 0;
out:
	cJSON_Delete(root);
	free(copy);
	return rc;
}

/* YAML */

struct yaml_build {
	cJSON		*stack[MANIFEST_MAX_DEPTH];
	char		*key[MANIFEST_MAX_DEPTH];	/* awaiting a value */
	int		 depth;
	unsigned	 nodes;
	cJSON		*root;		/* of the current document */
	cJSON		*doc;		/* the non-empty document */
	struct manifest_error *err;
};

#define YAML_TAG(t)	"tag:yaml.org,2002:" t

static int __attribute__((format(printf, 3, 4)))
yaml_error(struct yaml_build *b, const yaml_mark_t *mark, const char *fmt,
    ...)
{
	char msg[sizeof(b->err->reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return input_error(b->err, "YAML line %zu column %zu: %s",
	    mark->line + 1, mark->column + 1, msg);
}

static int
word_in(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* YAML 1.1 words, as go-yaml v2 (under sigs.k8s.io/yaml) resolves them */
static const char *const yaml_nulls[] = { "", "~", "null", "Null", "NULL",
	NULL };
static const char *const yaml_trues[] = { "y", "Y", "yes", "Yes", "YES",
	"true", "True", "TRUE", "on", "On", "ON", NULL };
static const char *const yaml_falses[] = { "n", "N", "no", "No", "NO",
	"false", "False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const yaml_infs[] = { ".inf", ".Inf", ".INF", "+.inf",
	"+.Inf", "+.INF", NULL };
static const char *const yaml_neg_infs[] = { "-.inf", "-.Inf", "-.INF",
	NULL };
static const char *const yaml_nans[] = { ".nan", ".NaN", ".NAN", NULL };

/* Go's strconv.ParseInt(s, 0, 64) / ParseUint syntax, underscores gone */
static int
yaml_int(const char *s, double *out)
{
	uint64_t v = 0;
	unsigned base = 10, d;
	int neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1] != '\0')
		base = 8, s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return 0;
		if (d >= base || __builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return 0;
	}
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return 0;
	*out = neg ? -(double)v : (double)v;
	return 1;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int
yaml_float(const char *s, double *out)
{
	const char *p = s;
	size_t ni = 0, nf = 0, ne = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		ni++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			nf++;
	if (ni == 0 && nf == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		for (; *p >= '0' && *p <= '9'; p++)
			ne++;
		if (ne == 0)
			return 0;
	}
	if (*p != '\0')
		return 0;
	*out = strtod(s, NULL);
	/* go-yaml keeps a float that overflows as a string */
	return isfinite(*out);
}

static int
yaml_number(const char *s, size_t len, double *out)
{
	char buf[YAML_NUMBER_MAX + 1];
	size_t i, n = 0;

	if (len > YAML_NUMBER_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			buf[n++] = s[i];
	buf[n] = '\0';
	if (n == 0)
		return 0;
	return yaml_int(buf, out) || yaml_float(buf, out);
}

static cJSON *
yaml_number_node(double d)
{
	cJSON *n;

	/* cJSON_CreateNumber converts to int: keep NaN/Inf out of that */
	if ((n = cJSON_CreateNumber(isfinite(d) ? d : 0)) != NULL)
		n->valuedouble = d;
	return n;
}

enum yaml_kind { YK_NULL, YK_BOOL, YK_NUMBER, YK_STRING };

/* the type a plain (unquoted, untagged) scalar resolves to */
static cJSON *
yaml_plain(const char *s, size_t len, enum yaml_kind *kind)
{
	double d;

	if (word_in(s, yaml_nulls)) {
		*kind = YK_NULL;
		return cJSON_CreateNull();
	}
	*kind = YK_BOOL;
	if (word_in(s, yaml_trues))
		return cJSON_CreateTrue();
	if (word_in(s, yaml_falses))
		return cJSON_CreateFalse();
	*kind = YK_NUMBER;
	if (word_in(s, yaml_infs))
		return yaml_number_node(INFINITY);
	if (word_in(s, yaml_neg_infs))
		return yaml_number_node(-INFINITY);
	if (word_in(s, yaml_nans))
		return yaml_number_node(NAN);
	if (yaml_number(s, len, &d))
		return yaml_number_node(d);
	*kind = YK_STRING;
	return cJSON_CreateString(s);
}

static cJSON *
yaml_scalar(struct yaml_build *b, const yaml_event_t *ev, const char *s)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	enum yaml_kind kind, want;
	cJSON *node;

	if (tag == NULL)
		return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ?
		    yaml_plain(s, len, &kind) : cJSON_CreateString(s);
	if (strcmp(tag, "!") == 0 || strcmp(tag, YAML_TAG("str")) == 0)
		return cJSON_CreateString(s);
	if (strcmp(tag, YAML_TAG("null")) == 0)
		want = YK_NULL;
	else if (strcmp(tag, YAML_TAG("bool")) == 0)
		want = YK_BOOL;
	else if (strcmp(tag, YAML_TAG("int")) == 0 ||
	    strcmp(tag, YAML_TAG("float")) == 0)
		want = YK_NUMBER;
	else {
		yaml_error(b, &ev->start_mark, "YAML tag \"%.64s\" is not "
		    "supported", tag);
		return NULL;
	}
	if ((node = yaml_plain(s, len, &kind)) != NULL && kind != want) {
		cJSON_Delete(node);
		yaml_error(b, &ev->start_mark, "value does not match its tag "
		    "\"%.64s\"", tag);
		return NULL;
	}
	return node;
}

/* attach a new node under the open map or list, or as document root */
static int
yaml_attach(struct yaml_build *b, cJSON *node, const yaml_mark_t *mark)
{
	cJSON *parent;
	char *key;

	if (++b->nodes > MANIFEST_MAX_NODES) {
		cJSON_Delete(node);
		return input_error(b->err, "document has more than %d values",
		    MANIFEST_MAX_NODES);
	}
	if (b->depth == 0) {
		b->root = node;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (cJSON_IsArray(parent)) {
		cJSON_AddItemToArray(parent, node);
		return 0;
	}
	key = b->key[b->depth - 1];
	b->key[b->depth - 1] = NULL;
	if (!cJSON_AddItemToObject(parent, key, node)) {
		free(key);
		cJSON_Delete(node);
		return input_error(b->err, "out of memory");
	}
	free(key);
	return 0;
}

static int
yaml_on_scalar(struct yaml_build *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	cJSON *parent, *node;
	char *s;

	if (memchr(value, '\0', len) != NULL)
		return yaml_error(b, &ev->start_mark, "NUL characters are not "
		    "allowed");
	if ((s = strndup(value, len)) == NULL)
		return input_error(b->err, "out of memory");
	parent = b->depth > 0 ? b->stack[b->depth - 1] : NULL;
	if (parent != NULL && cJSON_IsObject(parent) &&
	    b->key[b->depth - 1] == NULL) {
		/* keys stay the text they are written as */
		b->key[b->depth - 1] = s;
		return 0;
	}
	node = yaml_scalar(b, ev, s);
	free(s);
	if (node == NULL)
		return b->err->reason[0] != '\0' ? -1 :
		    input_error(b->err, "out of memory");
	return yaml_attach(b, node, &ev->start_mark);
}

static int
yaml_on_collection(struct yaml_build *b, const yaml_event_t *ev, int is_map)
{
	const char *tag = (const char *)(is_map ?
	    ev->data.mapping_start.tag : ev->data.sequence_start.tag);
	cJSON *node;

	if (tag != NULL && strcmp(tag, is_map ? YAML_TAG("map") :
	    YAML_TAG("seq")) != 0)
		return yaml_error(b, &ev->start_mark, "YAML tag \"%.64s\" is "
		    "not supported", tag);
	if (b->depth > 0 && cJSON_IsObject(b->stack[b->depth - 1]) &&
	    b->key[b->depth - 1] == NULL)
		return yaml_error(b, &ev->start_mark, "a map or list as a "
		    "key is not supported");
	if (b->depth >= MANIFEST_MAX_DEPTH)
		return input_error(b->err, "document nests maps and lists "
		    "deeper than %d levels", MANIFEST_MAX_DEPTH);
	if ((node = is_map ? cJSON_CreateObject() : cJSON_CreateArray()) ==
	    NULL)
		return input_error(b->err, "out of memory");
	if (yaml_attach(b, node, &ev->start_mark) == -1)
		return -1;
	b->stack[b->depth++] = node;
	return 0;
}

static int
yaml_on_document_end(struct yaml_build *b, const yaml_event_t *ev)
{
	cJSON *root = b->root;

	b->root = NULL;
	if (root == NULL || cJSON_IsNull(root)) {
		cJSON_Delete(root);	/* an empty document: "---" alone */
		return 0;
	}
	if (b->doc != NULL) {
		cJSON_Delete(root);
		return yaml_error(b, &ev->start_mark, "a second YAML document: "
		    "a manifest holds one Pod");
	}
	b->doc = root;
	return 0;
}

static int
yaml_event(struct yaml_build *b, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return yaml_error(b, &ev->start_mark, "YAML aliases are not "
		    "supported");
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	default:
		break;
	}
	/* without aliases anchors are pointless; refusing both is simpler */
	if (anchor != NULL)
		return yaml_error(b, &ev->start_mark, "YAML anchors are not "
		    "supported");
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yaml_on_scalar(b, ev);
	case YAML_MAPPING_START_EVENT:
		return yaml_on_collection(b, ev, 1);
	case YAML_SEQUENCE_START_EVENT:
		return yaml_on_collection(b, ev, 0);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return yaml_on_document_end(b, ev);
	default:
		return 0;
	}
}

static void
yaml_build_free(struct yaml_build *b)
{
	int i;

	for (i = 0; i < MANIFEST_MAX_DEPTH; i++)
		free(b->key[i]);
	cJSON_Delete(b->root);
	cJSON_Delete(b->doc);
}

static int
yaml_load(const uint8_t *buf, size_t len, cJSON **rootp,
    struct manifest_error *err)
{
	struct yaml_build b;
	yaml_parser_t parser;
	yaml_event_t ev;
	int done = 0, rc = -1;

	memset(&b, 0, sizeof(b));
	b.err = err;
	if (!yaml_parser_initialize(&parser))
		return input_error(err, "out of memory");
	yaml_parser_set_input_string(&parser, buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = input_error(err, "YAML syntax error at line %zu "
			    "column %zu: %s", parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1, parser.problem ?
			    parser.problem : "unknown error");
			goto out;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = yaml_event(&b, &ev);
		yaml_event_delete(&ev);
		if (rc == -1)
			goto out;
	}
	if (b.doc == NULL) {
		rc = input_error(err, "empty manifest: no Pod in it");
		goto out;
	}
	*rootp = b.doc;
	b.doc = NULL;
	rc = 0;
out:
	yaml_build_free(&b);
	yaml_parser_delete(&parser);
	return rc;
}

/* the same bounds for JSON, and unique keys for both */

static int
tree_bounds(const cJSON *node, int depth, unsigned *nodes,
    struct manifest_error *err)
{
	const cJSON *child;

	if (++*nodes > MANIFEST_MAX_NODES)
		return input_error(err, "document has more than %d values",
		    MANIFEST_MAX_NODES);
	if (!cJSON_IsArray(node) && !cJSON_IsObject(node))
		return 0;
	if (depth > MANIFEST_MAX_DEPTH)
		return input_error(err, "document nests maps and lists deeper "
		    "than %d levels", MANIFEST_MAX_DEPTH);
	cJSON_ArrayForEach(child, node)
		if (tree_bounds(child, depth + 1, nodes, err) == -1)
			return -1;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
unique_keys(struct walk *w, const cJSON *node)
{
	const char **keys = NULL;
	const cJSON *child;
	char qb[QUOTE_BUF];
	size_t mark;
	int n = 0, i, rc = 0;

	if (cJSON_IsObject(node) && cJSON_GetArraySize(node) > 1) {
		if ((keys = calloc(cJSON_GetArraySize(node),
		    sizeof(*keys))) == NULL)
			return fail_nomem(w);
		cJSON_ArrayForEach(child, node)
			keys[n++] = child->string;
		qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 1; i < n && rc == 0; i++)
			if (strcmp(keys[i - 1], keys[i]) == 0)
				rc = fail(w, "duplicate key %s",
				    quote(qb, sizeof(qb), keys[i]));
		free(keys);
		if (rc == -1)
			return -1;
	}
	n = 0;
	cJSON_ArrayForEach(child, node) {
		mark = cJSON_IsObject(node) ? path_key(w, child->string) :
		    path_index(w, n);
		n++;
		rc = unique_keys(w, child);
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
load(const uint8_t *buf, size_t len, int json_only, cJSON **rootp,
    struct manifest_error *err)
{
	struct walk w;
	unsigned nodes = 0;
	size_t bad, i;
	int line, col;

	*rootp = NULL;
	if (buf == NULL || len == 0)
		return input_error(err, "empty manifest: no Pod in it");
	if (len > MANIFEST_MAX_BYTES)
		return input_error(err, "manifest is %zu bytes, more than the "
		    "%d allowed", len, MANIFEST_MAX_BYTES);
	if (utf8_check(buf, len, &bad) == -1) {
		line_col(buf, bad, &line, &col);
		return input_error(err, "not valid UTF-8 text: bad byte 0x%02x "
		    "at line %d column %d", buf[bad], line, col);
	}
	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	if (json_only || (i < len && buf[i] == '{')) {
		if (json_load(buf, len, rootp, err) == -1)
			return -1;
	} else if (yaml_load(buf, len, rootp, err) == -1)
		return -1;

	memset(&w, 0, sizeof(w));
	w.err = err;
	if (tree_bounds(*rootp, 1, &nodes, err) == -1 ||
	    unique_keys(&w, *rootp) == -1) {
		cJSON_Delete(*rootp);
		*rootp = NULL;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* static pods (pkg/kubelet/config/common.go applyDefaults)            */

static int
static_uid(const uint8_t *buf, size_t len, const char *node_name,
    const char *source_path, char out[MD5_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, buf, len) == 1 &&
	    EVP_DigestUpdate(ctx, "host:", 5) == 1 &&
	    EVP_DigestUpdate(ctx, node_name, strlen(node_name)) == 1 &&
	    EVP_DigestUpdate(ctx, "file:", 5) == 1 &&
	    EVP_DigestUpdate(ctx, source_path, strlen(source_path)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	    mdlen * 2 == MD5_HEX_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* "<name>-<lowercased node name>" */
static int
static_name(struct pod *pod, const char *node_name,
    struct manifest_error *err)
{
	size_t nlen = strlen(pod->name), len = nlen + 1 + strlen(node_name);
	char qb[QUOTE_BUF];
	char *name, *p;

	if (len > POD_MAX_NAME)
		return field_error(err, "metadata.name", "static pod name %s "
		    "plus \"-\" and the node name is %zu characters, more "
		    "than %d", quote(qb, sizeof(qb), pod->name), len,
		    POD_MAX_NAME);
	if ((name = malloc(len + 1)) == NULL)
		return input_error(err, "out of memory");
	memcpy(name, pod->name, nlen);
	name[nlen] = '-';
	memcpy(name + nlen + 1, node_name, len - nlen);	/* and its NUL */
	for (p = name + nlen + 1; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	if (!dns_subdomain_ok(name, len)) {
		field_error(err, "metadata.name", "static pod name %s "
		    DNS_SUBDOMAIN_MSG, quote(qb, sizeof(qb), name));
		free(name);
		return -1;
	}
	free(pod->name);
	pod->name = name;
	return 0;
}

static int
set_annotation(struct pod *pod, const char *key, const char *value)
{
	uint32_t i;
	char *v;

	if ((v = strdup(value)) == NULL)
		return -1;
	for (i = 0; i < pod->n_annotations; i++) {
		if (strcmp(pod->annotations[i].key, key) == 0) {
			free(pod->annotations[i].value);
			pod->annotations[i].value = v;
			return 0;
		}
	}
	/* walk_kv_map left room for STATIC_ANNOTATIONS more */
	if ((pod->annotations[i].key = strdup(key)) == NULL) {
		free(v);
		return -1;
	}
	pod->annotations[i].value = v;
	pod->n_annotations++;
	return 0;
}

static int
has_annotation(const struct pod *pod, const char *key)
{
	uint32_t i;

	for (i = 0; i < pod->n_annotations; i++)
		if (strcmp(pod->annotations[i].key, key) == 0)
			return 1;
	return 0;
}

static int
static_annotations(struct pod *pod, const char *uid,
    struct manifest_error *err)
{
	uint32_t added;

	added = !has_annotation(pod, ANNOT_CONFIG_HASH) +
	    !has_annotation(pod, ANNOT_CONFIG_SOURCE);
	if (pod->n_annotations + added > POD_MAX_META)
		return field_error(err, "metadata.annotations", "too many "
		    "annotations: a static pod may have at most %d of its own, "
		    "as %s and %s are added", POD_MAX_META - STATIC_ANNOTATIONS,
		    ANNOT_CONFIG_HASH, ANNOT_CONFIG_SOURCE);
	if (pod->annotations == NULL &&
	    (pod->annotations = calloc(STATIC_ANNOTATIONS,
	    sizeof(*pod->annotations))) == NULL)
		return input_error(err, "out of memory");
	if (set_annotation(pod, ANNOT_CONFIG_HASH, uid) == -1 ||
	    set_annotation(pod, ANNOT_CONFIG_SOURCE, "file") == -1)
		return input_error(err, "out of memory");
	return 0;
}

static int
static_args_check(const char *source_path, const char *node_name,
    struct manifest_error *err)
{
	char lower[POD_MAX_NAME + 1];
	size_t i, n;

	if (source_path == NULL || source_path[0] == '\0')
		return input_error(err, "no source path");
	if (strlen("file:") + strlen(source_path) > POD_MAX_SOURCE - 1)
		return input_error(err, "source path is longer than %d "
		    "characters", POD_MAX_SOURCE - 1 - (int)strlen("file:"));
	if (node_name == NULL || (n = strlen(node_name)) == 0)
		return input_error(err, "no node name");
	if (n > POD_MAX_NAME)
		return input_error(err, "node name is longer than %d "
		    "characters", POD_MAX_NAME);
	for (i = 0; i <= n; i++)
		lower[i] = (node_name[i] >= 'A' && node_name[i] <= 'Z') ?
		    node_name[i] + 'a' - 'A' : node_name[i];
	if (!dns_subdomain_ok(lower, n))
		return input_error(err, "node name " DNS_SUBDOMAIN_MSG);
	return 0;
}

static int
static_finish(struct pod *pod, const uint8_t *buf, size_t len,
    const char *source_path, const char *node_name,
    struct manifest_error *err)
{
	char uid[MD5_HEX_LEN + 1], qb[QUOTE_BUF], qb2[QUOTE_BUF];

	if (pod->node_name != NULL && pod->node_name[0] != '\0' &&
	    strcmp(pod->node_name, node_name) != 0)
		return field_error(err, "spec.nodeName", "the pod is bound to "
		    "node %s, this is node %s", quote(qb, sizeof(qb),
		    pod->node_name), quote(qb2, sizeof(qb2), node_name));
	if (static_uid(buf, len, node_name, source_path, uid) == -1)
		return input_error(err, "cannot compute the pod uid (MD5)");
	if (static_name(pod, node_name, err) == -1 ||
	    static_annotations(pod, uid, err) == -1)
		return -1;
	free(pod->node_name);
	free(pod->uid);
	pod->node_name = strdup(node_name);
	pod->uid = strdup(uid);
	if (asprintf(&pod->source, "file:%s", source_path) == -1)
		pod->source = NULL;
	if (pod->node_name == NULL || pod->uid == NULL || pod->source == NULL)
		return input_error(err, "out of memory");
	return 0;
}

/*
 * The executor checks the identity again (pod_identity_check) and ends a
 * watcher that sends one it refuses; checking here too turns what would be
 * a protocol error into a rejection the user sees, with the field.
 */
static int
identity_check(const struct pod *pod, struct manifest_error *err)
{
	char field[POD_IDENTITY_FIELD], why[POD_IDENTITY_WHY];

	if (pod_identity_check(pod, field, why) == -1)
		return field_error(err, field, "%s", why);
	return 0;
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */

static void
error_clear(struct manifest_error *err)
{
	err->field[0] = '\0';
	err->reason[0] = '\0';
}

int
manifest_parse_static(const char *source_path, const uint8_t *buf,
    size_t len, const char *node_name, struct pod *out,
    struct manifest_error *err)
{
	cJSON *root = NULL;
	int rc = -1;

	pod_init(out);
	error_clear(err);
	if (static_args_check(source_path, node_name, err) == -1 ||
	    load(buf, len, 0, &root, err) == -1)
		goto out;
	if (walk_pod(root, 1, out, err) == -1 ||
	    static_finish(out, buf, len, source_path, node_name, err) == -1 ||
	    identity_check(out, err) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		pod_free(out);
	return rc;
}

int
manifest_parse_pod_json(const uint8_t *buf, size_t len, struct pod *out,
    struct manifest_error *err)
{
	cJSON *root = NULL;
	int rc = -1;

	pod_init(out);
	error_clear(err);
	if (load(buf, len, 1, &root, err) == -1 ||
	    walk_pod(root, 0, out, err) == -1)
		goto out;
	if (out->uid == NULL) {
		field_error(err, "metadata.uid", "required for a pod from the "
		    "API server");
		goto out;
	}
	if ((out->node_name == NULL && (out->node_name = strdup("")) == NULL) ||
	    (out->source = strdup(SOURCE_API)) == NULL) {
		input_error(err, "out of memory");
		goto out;
	}
	if (identity_check(out, err) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		pod_free(out);
	return rc;
}
