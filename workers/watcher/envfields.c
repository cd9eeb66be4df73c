/*
 * A container's env (issue 14): name and value, or a valueFrom source
 * the executor resolves when it builds the container (the pod's IP is
 * known only then).  What is checked here is what the API server's
 * ValidateEnv and validateEnvVarValueFrom check (pkg/apis/core/
 * validation), with the field paths of ConvertDownwardAPIFieldLabel
 * (pkg/apis/core/pods/helpers.go) that the kubelet resolves for env.
 *
 * configMapKeyRef, secretKeyRef and envFrom need API objects: a static
 * pod cannot reference any (the kubelet's mirror pods may not either),
 * and agentd does not read them from the API server yet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"
#include "podschema.h"

/* the env paths (validEnvDownwardAPIFieldPathExpressions); spec.host is
   the v1 alias of spec.nodeName that ConvertDownwardAPIFieldLabel keeps */
static const struct {
	const char	*path;
	uint8_t		 field;
} env_paths[] = {
	{ "metadata.name",		ENV_FIELD_NAME },
	{ "metadata.namespace",		ENV_FIELD_NAMESPACE },
	{ "metadata.uid",		ENV_FIELD_UID },
	{ "spec.nodeName",		ENV_FIELD_NODE_NAME },
	{ "spec.host",			ENV_FIELD_NODE_NAME },
	{ "spec.serviceAccountName",	ENV_FIELD_SERVICE_ACCOUNT },
	{ "status.hostIP",		ENV_FIELD_HOST_IP },
	{ "status.hostIPs",		ENV_FIELD_HOST_IPS },
	{ "status.podIP",		ENV_FIELD_POD_IP },
	{ "status.podIPs",		ENV_FIELD_POD_IPS },
};

#define ENV_PATHS_SUPPORTED "\"metadata.name\", \"metadata.namespace\", " \
	"\"metadata.uid\", \"metadata.labels['<KEY>']\", " \
	"\"metadata.annotations['<KEY>']\", \"spec.nodeName\", " \
	"\"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", " \
	"\"status.podIP\", \"status.podIPs\""

struct env_walk {
	struct env_var	*e;
	int		 has_value_from;	/* valueFrom given, not null */
	int		 nsources;
};

/* static pods: the kubelet's rule; API pods: not built yet */
int
reject_api_ref(struct walk *w, const cJSON *v, void *arg)
{
	(void)v;
	(void)arg;
	if (w->is_static)
		return fail(w, "static pods cannot reference API objects "
		    "(ConfigMaps, Secrets)");
	return fail(w, "references to ConfigMaps and Secrets are not "
	    "supported yet");
}

/* ---- fieldRef ---- */

static int
fr_api_version(struct walk *w, const cJSON *v, void *arg)
{
	char qb[QUOTE_BUF];
	const char *s;

	(void)arg;
	if (get_string(w, v, &s) == -1)
		return -1;
	/* "" is defaulted to "v1" (SetDefaults_ObjectFieldSelector) */
	if (s[0] != '\0' && strcmp(s, "v1") != 0)
		return fail(w, "unsupported pod version %s: only \"v1\"",
		    quote(qb, sizeof(qb), s));
	return 0;
}

/*
 * fieldpath.SplitMaybeSubscriptedPath: "path['sub']" with a non-empty
 * path; the subscript is what is between the first "['" and the final
 * "']".  0 and the two parts, or -1 when the path has no subscript.
 */
static int
split_subscript(const char *s, char *path, size_t plen, const char **sub,
    size_t *sublen)
{
	size_t n = strlen(s);
	const char *open;

	if (n < 2 || strcmp(s + n - 2, "']") != 0)
		return -1;
	if ((open = strstr(s, "['")) == NULL || open == s ||
	    open + 2 > s + n - 2)
		return -1;
	if ((size_t)(open - s) >= plen)
		return -1;
	memcpy(path, s, open - s);
	path[open - s] = '\0';
	*sub = open + 2;
	*sublen = (size_t)(s + n - 2 - *sub);
	return 0;
}

static int
fr_subscript(struct walk *w, struct env_field_ref *fr, const char *path,
    const char *sub, size_t sublen)
{
	char key[POD_MAX_KEY + 1], lower[POD_MAX_KEY + 1], qb[QUOTE_BUF];
	const char *why;
	size_t i;

	if (strcmp(path, "metadata.labels") == 0)
		fr->field = ENV_FIELD_LABEL;
	else if (strcmp(path, "metadata.annotations") == 0)
		fr->field = ENV_FIELD_ANNOTATION;
	else
		return fail(w, "error converting fieldPath: field label does "
		    "not support subscript: %s", quote(qb, sizeof(qb), path));
	if (sublen > POD_MAX_KEY)
		return fail(w, "the key is longer than %d characters",
		    POD_MAX_KEY);
	memcpy(key, sub, sublen);
	key[sublen] = '\0';
	/* validateObjectFieldSelector: an annotation's key lowercased */
	for (i = 0; i <= sublen; i++)
		lower[i] = fr->field == ENV_FIELD_ANNOTATION &&
		    key[i] >= 'A' && key[i] <= 'Z' ? key[i] - 'A' + 'a' : key[i];
	if ((why = qualified_name_problem(lower, 0)) != NULL)
		return fail(w, "invalid key %s: %s", quote(qb, sizeof(qb), key),
		    why);
	if ((fr->key = strdup(key)) == NULL)
		return fail_nomem(w);
	return 0;
}

static int
fr_field_path(struct walk *w, const cJSON *v, void *arg)
{
	struct env_field_ref *fr = arg;
	char path[POD_MAX_FIELD_PATH + 1], qb[QUOTE_BUF];
	const char *sub;
	size_t i, sublen;

	if (take_string(w, v, POD_MAX_FIELD_PATH, &fr->field_path) == -1)
		return -1;
	if (fr->field_path[0] == '\0')
		return fail(w, "required");
	if (split_subscript(fr->field_path, path, sizeof(path), &sub,
	    &sublen) == 0)
		return fr_subscript(w, fr, path, sub, sublen);
	for (i = 0; i < sizeof(env_paths) / sizeof(env_paths[0]); i++)
		if (strcmp(fr->field_path, env_paths[i].path) == 0) {
			fr->field = env_paths[i].field;
			return 0;
		}
	return fail(w, "unsupported value %s: supported values: "
	    ENV_PATHS_SUPPORTED, quote(qb, sizeof(qb), fr->field_path));
}

static const struct field_rule field_ref_rules[] = {
	MAP("apiVersion", fr_api_version),
	MAP("fieldPath", fr_field_path),
	{ NULL, 0, NULL, NULL }
};

static int
vf_field_ref(struct walk *w, const cJSON *v, void *arg)
{
	struct env_walk *ew = arg;

	ew->nsources++;
	if (walk_object(w, v, field_ref_rules, &ew->e->field_ref) == -1)
		return -1;
	return require_field(w, ew->e->field_ref.field_path, "fieldPath",
	    NULL);
}

/* ---- resourceFieldRef ---- */

static const struct {
	const char	*name;
	uint8_t		 resource;
} env_resources[] = {
	{ "limits.cpu",		ENV_RES_LIMITS_CPU },
	{ "limits.memory",	ENV_RES_LIMITS_MEMORY },
	{ "requests.cpu",	ENV_RES_REQUESTS_CPU },
	{ "requests.memory",	ENV_RES_REQUESTS_MEMORY },
};

static int
rf_resource(struct walk *w, const cJSON *v, void *arg)
{
	struct env_resource_ref *rf = arg;
	char qb[QUOTE_BUF];
	const char *s;
	size_t i;

	if (get_string(w, v, &s) == -1)
		return -1;
	for (i = 0; i < sizeof(env_resources) / sizeof(env_resources[0]); i++)
		if (strcmp(s, env_resources[i].name) == 0) {
			rf->resource = env_resources[i].resource;
			return 0;
		}
	if (strcmp(s, "limits.ephemeral-storage") == 0 ||
	    strcmp(s, "requests.ephemeral-storage") == 0)
		return fail(w, "ephemeral-storage is not accounted on this "
		    "node (its requests and limits are checked, then "
		    "ignored): there is no value to give");
	if (strncmp(s, "limits.hugepages-", 17) == 0 ||
	    strncmp(s, "requests.hugepages-", 19) == 0)
		return fail(w, "hugepages are not supported");
	return fail(w, "unsupported value %s: supported values: "
	    "\"limits.cpu\", \"limits.memory\", \"requests.cpu\", "
	    "\"requests.memory\"", quote(qb, sizeof(qb), s));
}

static int
rf_container_name(struct walk *w, const cJSON *v, void *arg)
{
	struct env_resource_ref *rf = arg;

	if (take_string(w, v, POD_MAX_CONTAINER_NAME, &rf->container_name) ==
	    -1)
		return -1;
	/* "" is this container */
	if (rf->container_name[0] == '\0') {
		free(rf->container_name);
		rf->container_name = NULL;
	}
	return 0;
}

/* a number or a string, kept as text: the resource decides its check */
static int
rf_divisor(struct walk *w, const cJSON *v, void *arg)
{
	struct env_resource_ref *rf = arg;
	char num[32];

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble != (double)(int64_t)v->valuedouble ||
		    v->valuedouble < 0)
			return fail(w, "expected a quantity such as \"1Mi\", "
			    "got a number that is not a whole one");
		snprintf(num, sizeof(num), "%lld",
		    (long long)v->valuedouble);
		if ((rf->divisor = strdup(num)) == NULL)
			return fail_nomem(w);
		return 0;
	}
	return take_string(w, v, POD_MAX_DIVISOR, &rf->divisor);
}

static const struct field_rule resource_ref_rules[] = {
	MAP("containerName", rf_container_name),
	MAP("resource", rf_resource),
	MAP("divisor", rf_divisor),
	{ NULL, 0, NULL, NULL }
};

/* validateContainerResourceDivisor: an unset or zero divisor is 1 */
static int
rf_divisor_check(struct walk *w, struct env_resource_ref *rf)
{
	int cpu = rf->resource == ENV_RES_LIMITS_CPU ||
	    rf->resource == ENV_RES_REQUESTS_CPU;
	char qb[QUOTE_BUF];
	int64_t zero;
	size_t mark;

	if (rf->divisor == NULL || rf->divisor[0] == '\0' ||
	    (quantity_parse_milli(rf->divisor, &zero) == 0 && zero == 0))
		return 0;
	if (quantity_divisor(rf->divisor, cpu, &rf->divisor_units) == 0)
		return 0;
	mark = path_key(w, "divisor");
	if (errno == EINVAL)
		fail(w, "invalid quantity %s", quote(qb, sizeof(qb),
		    rf->divisor));
	else if (cpu)
		fail(w, "only divisor's values 1m and 1 are supported with "
		    "the cpu resource");
	else
		fail(w, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, "
		    "1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the "
		    "memory resource");
	path_pop(w, mark);
	return -1;
}

static int
vf_resource_ref(struct walk *w, const cJSON *v, void *arg)
{
	struct env_walk *ew = arg;
	struct env_resource_ref *rf = &ew->e->resource_ref;

	ew->nsources++;
	if (walk_object(w, v, resource_ref_rules, rf) == -1)
		return -1;
	if (rf->resource == ENV_RES_NONE)
		return require_field(w, NULL, "resource", NULL);
	return rf_divisor_check(w, rf);
}

/* ---- valueFrom ---- */

static const struct field_rule value_from_rules[] = {
	MAP("fieldRef", vf_field_ref),
	MAP("resourceFieldRef", vf_resource_ref),
	{ "configMapKeyRef", RULE_REJECT, reject_api_ref, NULL },
	{ "secretKeyRef", RULE_REJECT, reject_api_ref, NULL },
	REJECT("fileKeyRef", "fileKeyRef (env files) is not supported: "
	    "there are no volumes"),
	{ NULL, 0, NULL, NULL }
};

static int
env_value_from(struct walk *w, const cJSON *v, void *arg)
{
	struct env_walk *ew = arg;

	ew->has_value_from = 1;
	if (walk_object(w, v, value_from_rules, ew) == -1)
		return -1;
	if (ew->nsources == 0)
		return fail(w, "must specify one of: `fieldRef`, "
		    "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
	if (ew->nsources > 1)
		return fail(w, "may not have more than one field specified at "
		    "a time");
	return 0;
}

/* ---- name, value ---- */

static int
env_name(struct walk *w, const cJSON *v, void *arg)
{
	struct env_var *e = ((struct env_walk *)arg)->e;
	const char *p;

	if (take_string(w, v, POD_MAX_ENV_NAME - 1, &e->key) == -1)
		return -1;
	if (e->key[0] == '\0')
		return fail(w, "required: must not be empty");
	/* the relaxed rule of current Kubernetes: printable ASCII but '=' */
	for (p = e->key; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '=')
			return fail(w, "must consist of printable ASCII "
			    "characters other than '='");
	return 0;
}

static int
env_value(struct walk *w, const cJSON *v, void *arg)
{
	struct env_var *e = ((struct env_walk *)arg)->e;

	return take_string(w, v, POD_MAX_ENV_VALUE - 1, &e->value);
}

static const struct field_rule env_rules[] = {
	MAP("name", env_name),
	MAP("value", env_value),
	MAP("valueFrom", env_value_from),
	{ NULL, 0, NULL, NULL }
};

static int
env_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct env_walk ew = { &((struct container_spec *)arg)->env[i], 0, 0 };
	struct env_var *e = ew.e;
	size_t mark;

	podschema_init(&podschema_env_var, e);
	if (walk_object(w, item, env_rules, &ew) == -1 ||
	    require_field(w, e->key, "name", NULL) == -1)
		return -1;
	if (ew.has_value_from && e->value != NULL && e->value[0] != '\0') {
		mark = path_key(w, "valueFrom");
		fail(w, "may not be specified when `value` is not empty");
		path_pop(w, mark);
		return -1;
	}
	/* a value, or "" for a source the executor resolves */
	if (e->value == NULL && !ew.has_value_from &&
	    (e->value = strdup("")) == NULL)
		return fail_nomem(w);
	return 0;
}

int
container_env(struct walk *w, const cJSON *v, struct container_spec *c)
{
	int n;

	if ((n = list_size(w, v, "environment variables", POD_MAX_ENV)) <= 0)
		return n;
	if ((c->env = calloc(n, sizeof(*c->env))) == NULL)
		return fail_nomem(w);
	c->n_env = n;
	return walk_items(w, v, env_item, c);
}

/* ---- the pod as a whole ---- */

static int
container_named(const struct pod *pod, const char *name)
{
	uint32_t i;

	for (i = 0; i < pod->n_containers; i++)
		if (strcmp(pod->containers[i].name, name) == 0)
			return 1;
	for (i = 0; i < pod->n_init_containers; i++)
		if (strcmp(pod->init_containers[i].name, name) == 0)
			return 1;
	return 0;
}

static int
env_refs_check(struct walk *w, const struct pod *pod,
    const struct container_spec *cs, uint32_t n, const char *list)
{
	const struct env_resource_ref *rf;
	char path[MANIFEST_FIELD_MAX], qb[QUOTE_BUF];
	uint32_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cs[i].n_env; j++) {
			rf = &cs[i].env[j].resource_ref;
			if (rf->container_name == NULL ||
			    container_named(pod, rf->container_name))
				continue;
			/* the kubelet's findContainerInPod, at parse time */
			snprintf(path, sizeof(path), "spec.%s[%u].env[%u]."
			    "valueFrom.resourceFieldRef.containerName", list,
			    i, j);
			return field_error(w->err, path, "container %s not "
			    "found in the pod", quote(qb, sizeof(qb),
			    rf->container_name));
		}
	return 0;
}

int
finish_env_refs(struct walk *w, const struct pod *pod)
{
	if (env_refs_check(w, pod, pod->containers, pod->n_containers,
	    "containers") == -1)
		return -1;
	return env_refs_check(w, pod, pod->init_containers,
	    pod->n_init_containers, "initContainers");
}
