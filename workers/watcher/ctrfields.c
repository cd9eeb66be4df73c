/*
 * The field tables of a container and what it holds (resources, security
 * contexts, env, ports), and the per-field conversion into struct
 * container_spec; the pod-level securityContext table lives here too, as
 * it shares its fields' conversions with the container's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "caps.h"
#include "manifest.h"
#include "manifest_int.h"
#include "pathname.h"
#include "pod.h"
#include "sysctl.h"

#define ID_MAX			2147483647LL	/* runAsUser/Group */
#define PORT_MAX		65535
#define HOST_IP_MAX		45	/* INET6_ADDRSTRLEN - 1 */
#define CAP_INPUT_MAX		64

/* ------------------------------------------------------------------ */
/* resources                                                           */

int
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

struct caps_walk {
	struct strlist	*l;
	int		 is_drop;
};

static int
cap_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct caps_walk *cw = arg;
	char name[POD_MAX_CAP_NAME], qb[QUOTE_BUF];
	const char *s;

	if (get_string(w, item, &s) == -1)
		return -1;
	if (cap_normalize(s, 1, name) == -1)
		return fail(w, "unknown capability %s",
		    quote(qb, sizeof(qb), s));
	if (!cw->is_drop && strcmp(name, "ALL") == 0)
		return fail(w, "\"ALL\" may only be dropped; list the "
		    "capabilities to add");
	if (!strlist_has(cw->l, name) &&
	    strlist_add(cw->l, name, POD_MAX_CAPS) == -1)
		return fail_nomem(w);
	return 0;
}

static int
walk_caps(struct walk *w, const cJSON *v, struct strlist *l, int is_drop)
{
	struct caps_walk cw = { l, is_drop };

	if (list_size(w, v, "capabilities", POD_MAX_CAPS) == -1)
		return -1;
	return walk_items(w, v, cap_item, &cw);
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

static int
sysctl_name(struct walk *w, const cJSON *v, void *arg)
{
	char name[SYSCTL_MAX_NAME + 1];
	const char *s, *why;
	char **dst = arg;

	if (get_string(w, v, &s) == -1)
		return -1;
	if ((why = sysctl_name_canon(s, name, sizeof(name))) != NULL)
		return fail(w, "%s", why);
	free(*dst);
	if ((*dst = strdup(name)) == NULL)
		return fail_nomem(w);
	return 0;
}

static int
sysctl_value(struct walk *w, const cJSON *v, void *arg)
{
	struct kv *kv = arg;
	const char *why;

	if (take_string(w, v, SYSCTL_MAX_VALUE, &kv->value) == -1)
		return -1;
	if ((why = sysctl_value_check(kv->value)) != NULL)
		return fail(w, "%s", why);
	return 0;
}

static int
sysctl_key(struct walk *w, const cJSON *v, void *arg)
{
	return sysctl_name(w, v, &((struct kv *)arg)->key);
}

static const struct field_rule sysctl_rules[] = {
	MAP("name", sysctl_key),
	MAP("value", sysctl_value),
	{ NULL, 0, NULL, NULL }
};

/* ValidateSysctls: a name, given once (after the '/' conversion) */
static int
sysctl_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct pod_security_context *psc = arg;
	struct kv *kv = &psc->sysctls[i];
	int j;

	if (walk_object(w, item, sysctl_rules, kv) == -1)
		return -1;
	if (kv->key == NULL)
		return fail(w, "name: Required value");
	if (kv->value == NULL && (kv->value = strdup("")) == NULL)
		return fail_nomem(w);
	for (j = 0; j < i; j++)
		if (strcmp(psc->sysctls[j].key, kv->key) == 0)
			return fail(w, "name: Duplicate value: \"%s\"",
			    kv->key);
	return 0;
}

static int
psc_sysctls(struct walk *w, const cJSON *v, void *arg)
{
	struct pod_security_context *psc = &((struct pod *)arg)->psc;
	int n;

	if ((n = list_size(w, v, "sysctls", POD_MAX_SYSCTLS)) <= 0)
		return n;
	if ((psc->sysctls = calloc(n, sizeof(*psc->sysctls))) == NULL)
		return fail_nomem(w);
	psc->n_sysctls = n;
	return walk_items(w, v, sysctl_item, psc);
}

static int
supp_group_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct strlist *l = arg;
	char text[POD_MAX_GID_TEXT + 1];
	int64_t gid;

	if (get_int(w, item, 0, ID_MAX, &gid) == -1)
		return -1;
	snprintf(text, sizeof(text), "%lld", (long long)gid);
	if ((l->v[i] = strdup(text)) == NULL)
		return fail_nomem(w);
	l->n = i + 1;
	return 0;
}

static int
psc_supplemental_groups(struct walk *w, const cJSON *v, void *arg)
{
	struct strlist *l = &((struct pod *)arg)->psc.supplemental_groups;
	int n;

	if ((n = list_size(w, v, "supplementalGroups",
	    POD_MAX_SUPP_GROUPS)) <= 0)
		return n;
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		return fail_nomem(w);
	return walk_items(w, v, supp_group_item, l);
}

/* Strict needs the image's groups kept out and reported in the status
   (KEP-3619); the model has neither yet */
static int
psc_supplemental_groups_policy(struct walk *w, const cJSON *v, void *arg)
{
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "Merge") == 0)
		return 0;
	if (strcmp(s, "Strict") == 0)
		return fail(w, "Strict is not supported: the image's groups of "
		    "the user are always added (Merge)");
	return fail(w, "Unsupported value: must be Merge or Strict");
}

const struct field_rule pod_sc_rules[] = {
	MAP("runAsUser", psc_run_as_user),
	MAP("runAsGroup", psc_run_as_group),
	MAP("runAsNonRoot", psc_run_as_non_root),
	MAP("seccompProfile", sc_seccomp),
	REJECT("fsGroup", "fsGroup is not supported: the pod model has no "
	    "volumes and no supplementary groups"),
	REJECT("fsGroupChangePolicy", "fsGroupChangePolicy is not supported "
	    "(no volumes)"),
	MAP("supplementalGroups", psc_supplemental_groups),
	MAP("supplementalGroupsPolicy", psc_supplemental_groups_policy),
	REJECT("seLinuxOptions", "SELinux options are not supported"),
	REJECT("seLinuxChangePolicy", "SELinux options are not supported"),
	REJECT("windowsOptions", "windowsOptions are not supported on a "
	    "Linux node"),
	MAP("sysctls", psc_sysctls),
	REJECT("appArmorProfile", "AppArmor profiles are not supported"),
	{ NULL, 0, NULL, NULL }
};

/* ------------------------------------------------------------------ */
/* containers                                                          */

struct container_walk {
	struct container_spec	*c;
	int			 pull_policy_set;
	int			 is_init;	/* an item of spec.initContainers */
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
	struct strings_walk sw = { l, POD_MAX_ARGS, POD_MAX_ARG - 1, NULL,
	    NULL };

	return walk_strings(w, v, &sw);
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

/*
 * terminationMessagePath: the file the executor bind-mounts over an
 * empty file of its own and reads after the container exits.  "" is the
 * API's default; the default itself is stored as unset (NULL), so that
 * giving it explicitly changes nothing.  Beyond the API server's rules:
 * no ".." (the runtime resolves the destination inside the root fs, but
 * a path that climbs says something else than it does), not under /proc
 * or /sys (kernel file systems the runtime refuses to mount into), not
 * one of the files the pod's /etc mounts are (it would hide them).
 */
static const char *const term_msg_path_taken[] = {
	"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", NULL
};

static int
path_under(const char *s, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(s, dir, n) == 0 && (s[n] == '\0' || s[n] == '/');
}

static int
c_term_msg_path(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;
	const char *s;
	size_t i;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0' || strcmp(s, POD_TERM_MSG_PATH_DEFAULT) == 0)
		return 0;
	if (s[0] != '/')
		return fail(w, "must be an absolute path");
	if (strlen(s) > POD_MAX_PATH - 1)
		return fail(w, "must be no more than %d characters",
		    POD_MAX_PATH - 1);
	if (s[strlen(s) - 1] == '/')
		return fail(w, "must name a file, not end in '/'");
	if (path_has_dotdot(s))
		return fail(w, "must not contain '..'");
	if (path_under(s, "/proc") || path_under(s, "/sys"))
		return fail(w, "must not be under /proc or /sys");
	for (i = 0; term_msg_path_taken[i] != NULL; i++)
		if (strcmp(s, term_msg_path_taken[i]) == 0)
			return fail(w, "must not be %s, which the pod's own "
			    "file is mounted on", term_msg_path_taken[i]);
	return take_string(w, v, POD_MAX_PATH - 1, &cw->c->term_msg_path);
}

static int
c_term_msg_policy(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (strcmp(s, "File") == 0)
		cw->c->term_msg_policy = TERM_MSG_FILE;
	else if (strcmp(s, "FallbackToLogsOnError") == 0)
		cw->c->term_msg_policy = TERM_MSG_FALLBACK_TO_LOGS;
	else
		return fail(w, "unsupported value: must be File or "
		    "FallbackToLogsOnError");
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
port_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct container_spec *c = arg;
	struct container_port *p = &c->ports[i];
	char qb[QUOTE_BUF];
	size_t mark;

	if (walk_object(w, item, port_rules, p) == -1)
		return -1;
	if (p->container_port == 0)
		return require_field(w, NULL, "containerPort", NULL);
	if (p->name != NULL && port_name_taken(c, (uint32_t)i, p->name)) {
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
	int n;

	if ((n = list_size(w, v, "ports", POD_MAX_PORTS)) <= 0)
		return n;
	if ((c->ports = calloc(n, sizeof(*c->ports))) == NULL)
		return fail_nomem(w);
	c->n_ports = n;
	return walk_items(w, v, port_item, c);
}

static int
c_env(struct walk *w, const cJSON *v, void *arg)
{
	return container_env(w, v, ((struct container_walk *)arg)->c);
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

/*
 * validateContainers / validateInitContainers: a container's own
 * restartPolicy is for init containers only, and only "Always" (a
 * restartable init container, a sidecar).
 */
static int
c_restart_policy(struct walk *w, const cJSON *v, void *arg)
{
	struct container_walk *cw = arg;
	char qb[QUOTE_BUF];
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (!cw->is_init)
		return fail(w, "forbidden: may not be set for non-init "
		    "containers");
	if (strcmp(s, "Always") != 0)
		return fail(w, "unsupported value %s: supported values: "
		    "\"Always\"", quote(qb, sizeof(qb), s));
	cw->c->restart_policy = CTR_RESTART_ALWAYS;
	return 0;
}

#define PROBE_REASON	"probes are not supported yet"
static int
c_liveness_w(struct walk *w, const cJSON *v, void *arg)
{
	return c_liveness_probe(w, v, ((struct container_walk *)arg)->c);
}

static int
c_readiness_w(struct walk *w, const cJSON *v, void *arg)
{
	return c_readiness_probe(w, v, ((struct container_walk *)arg)->c);
}

static int
c_startup_w(struct walk *w, const cJSON *v, void *arg)
{
	return c_startup_probe(w, v, ((struct container_walk *)arg)->c);
}

static int
c_lifecycle_w(struct walk *w, const cJSON *v, void *arg)
{
	return container_lifecycle(w, v, ((struct container_walk *)arg)->c);
}

static int
c_volume_mounts_w(struct walk *w, const cJSON *v, void *arg)
{
	return container_volume_mounts(w, v, ((struct container_walk *)arg)->c);
}

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
	MAP("terminationMessagePath", c_term_msg_path),
	MAP("terminationMessagePolicy", c_term_msg_policy),
	IGNORE("resizePolicy"),
	{ "envFrom", RULE_REJECT, reject_api_ref, NULL },
	MAP("volumeMounts", c_volume_mounts_w),
	REJECT("volumeDevices", "volumeDevices are not supported (raw block "
	    "volumes need persistentVolumeClaims)"),
	MAP("livenessProbe", c_liveness_w),
	MAP("readinessProbe", c_readiness_w),
	MAP("startupProbe", c_startup_w),
	MAP("lifecycle", c_lifecycle_w),
	REJECT("stdin", "stdin is not supported"),
	REJECT("stdinOnce", "stdinOnce is not supported"),
	REJECT("tty", "tty is not supported"),
	MAP("restartPolicy", c_restart_policy),
	{ NULL, 0, NULL, NULL }
};

static int
walk_container_as(struct walk *w, const cJSON *item, struct container_spec *c,
    int is_init)
{
	struct container_walk cw = { c, 0, is_init };

	if (walk_object(w, item, container_rules, &cw) == -1)
		return -1;
	if (require_field(w, c->name, "name", NULL) == -1 ||
	    require_field(w, c->image, "image", NULL) == -1)
		return -1;
	if (!cw.pull_policy_set)
		c->pull_policy = default_pull_policy(c->image);
	if (container_lifecycle_check(w, c) == -1)
		return -1;
	return container_probes_check(w, c);
}

static int
walk_container(struct walk *w, const cJSON *item, struct container_spec *c)
{
	return walk_container_as(w, item, c, 0);
}

static int
container_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct pod *pod = arg;
	char qb[QUOTE_BUF];
	size_t mark;
	int j;

	if (walk_container(w, item, &pod->containers[i]) == -1)
		return -1;
	for (j = 0; j < i; j++) {
		if (strcmp(pod->containers[j].name,
		    pod->containers[i].name) != 0)
			continue;
		mark = path_key(w, "name");
		fail(w, "duplicate container name %s", quote(qb, sizeof(qb),
		    pod->containers[i].name));
		path_pop(w, mark);
		return -1;
	}
	return 0;
}

int
spec_containers(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	int n, j;

	if ((n = list_size(w, v, "containers", POD_MAX_CONTAINERS)) == -1)
		return -1;
	if (n == 0)
		return fail(w, "required: a pod needs at least one container");
	if ((pod->containers = calloc(n, sizeof(*pod->containers))) == NULL)
		return fail_nomem(w);
	for (j = 0; j < n; j++)
		container_spec_init(&pod->containers[j]);
	pod->n_containers = n;
	return walk_items(w, v, container_item, pod);
}

/* ------------------------------------------------------------------ */
/* init containers                                                     */

/*
 * validateInitContainers: lifecycle and the probes are for containers
 * that keep running.  A plain init container may not have them (the
 * API server's words).  A sidecar may: its probes run as a container's
 * (its startup probe gates the next init container, sidecar_started()),
 * but agentd runs no lifecycle hook for a sidecar yet, so that is
 * refused as not supported.  Checked here, before the container's own
 * field table, so that the reason holds whatever that table says.
 */
static const char *const init_forbidden[] = {
	"lifecycle", "livenessProbe", "readinessProbe", "startupProbe",
};

static int
init_is_sidecar(const cJSON *item)
{
	const cJSON *rp;

	rp = cJSON_GetObjectItemCaseSensitive(item, "restartPolicy");
	return cJSON_IsString(rp) && strcmp(rp->valuestring, "Always") == 0;
}

static int
init_forbidden_fields(struct walk *w, const cJSON *item)
{
	const cJSON *v;
	size_t i, mark;
	int sidecar;

	if (!cJSON_IsObject(item))
		return 0;	/* the walk says what is wrong with it */
	sidecar = init_is_sidecar(item);
	for (i = 0; i < sizeof(init_forbidden) / sizeof(init_forbidden[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(item, init_forbidden[i]);
		if (v == NULL || value_is_unset(v))
			continue;
		if (sidecar && strcmp(init_forbidden[i], "lifecycle") != 0)
			continue;	/* a sidecar's probes */
		mark = path_key(w, init_forbidden[i]);
		if (sidecar)
			fail(w, "lifecycle hooks on a restartable init container "
			    "(a sidecar) are not supported yet");
		else
			fail(w, "forbidden: may not be set for init containers "
			    "without restartPolicy=Always");
		path_pop(w, mark);
		return -1;
	}
	return 0;
}

static int
init_container_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct pod *pod = arg;
	char qb[QUOTE_BUF];
	size_t mark;
	int j;

	if (init_forbidden_fields(w, item) == -1 ||
	    walk_container_as(w, item, &pod->init_containers[i], 1) == -1)
		return -1;
	for (j = 0; j < i; j++) {
		if (strcmp(pod->init_containers[j].name,
		    pod->init_containers[i].name) != 0)
			continue;
		mark = path_key(w, "name");
		fail(w, "duplicate container name %s", quote(qb, sizeof(qb),
		    pod->init_containers[i].name));
		path_pop(w, mark);
		return -1;
	}
	return 0;
}

int
spec_init_containers(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	int n, j;

	if ((n = list_size(w, v, "init containers", POD_MAX_CONTAINERS)) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((pod->init_containers = calloc(n,
	    sizeof(*pod->init_containers))) == NULL)
		return fail_nomem(w);
	for (j = 0; j < n; j++)
		container_spec_init(&pod->init_containers[j]);
	pod->n_init_containers = n;
	return walk_items(w, v, init_container_item, pod);
}

/*
 * What needs both lists: names unique across containers and init
 * containers (validateInitContainers: "Duplicate value"), and the rules
 * applied to containers after the walk, applied to init containers too:
 * runAsNonRoot against an explicit root uid.  A hostPort of an init
 * container is refused: the sandbox's port mappings are made from
 * spec.containers.
 */
int
finish_init_containers(struct walk *w, struct pod *pod)
{
	const struct container_spec *c;
	char path[sizeof(w->path)];
	char qb[QUOTE_BUF];
	uint32_t i, j;

	for (i = 0; i < pod->n_init_containers; i++) {
		c = &pod->init_containers[i];
		for (j = 0; j < pod->n_containers; j++)
			if (strcmp(c->name, pod->containers[j].name) == 0) {
				snprintf(path, sizeof(path),
				    "spec.initContainers[%u].name", i);
				return field_error(w->err, path, "duplicate "
				    "value %s: the name of a container",
				    quote(qb, sizeof(qb), c->name));
			}
		for (j = 0; j < c->n_ports; j++)
			if (c->ports[j].host_port != 0) {
				snprintf(path, sizeof(path), "spec."
				    "initContainers[%u].ports[%u].hostPort",
				    i, j);
				return field_error(w->err, path, "a hostPort "
				    "of an init container is not supported");
			}
	}
	return finish_non_root_list(w, pod, pod->init_containers,
	    pod->n_init_containers, "initContainers");
}
