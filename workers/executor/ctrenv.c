/*
 * A container's environment as the kubelet's makeEnvironmentVariables
 * makes it (pkg/kubelet/kubelet_pods.go), in static mode (no service
 * variables, no ConfigMaps or Secrets):
 *
 *  - each env entry in spec order: a non-empty value is $(VAR)-expanded
 *    (expand.h) from the entries before it (the latest definition of a
 *    name wins, as in the kubelet's tmpEnv map); else a valueFrom source
 *    is resolved, and its value is not expanded;
 *  - command and args are expanded from the whole resulting env
 *    (ExpandContainerCommandAndArgs): the spec's, never the image's.
 *
 * The sources: fieldRef from the pod and the sandbox (podIP is known only
 * once the network is up, which is why this is the executor's work);
 * resourceFieldRef from the named container's limits and requests, a
 * missing or zero limit being the node's allocatable
 * (MergeContainerResourceLimits), divided by the divisor and rounded up
 * (ExtractContainerResourceValue).  Every result is bounded: one longer
 * than POD_MAX_ENV_VALUE or POD_MAX_ARG is an error naming the field.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "rt_private.h"

#define CPU_MILLI_PER_CPU	1000

void
ctr_env_free(struct ctr_env *ce)
{
	uint32_t i;

	if (ce->value != NULL)
		for (i = 0; i < ce->n; i++)
			free(ce->value[i]);
	free(ce->value);
	free(ce->name);
	memset(ce, 0, sizeof(*ce));
}

static const char *
kv_find(const struct kv *kv, uint32_t n, const char *key)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (kv[i].key != NULL && strcmp(kv[i].key, key) == 0)
			return kv[i].value != NULL ? kv[i].value : "";
	return "";
}

static int
field_value(const struct pod *p, const struct env_field_ref *fr,
    const struct ctr_env_facts *f, char *buf, size_t len)
{
	const char *v = NULL;

	switch (fr->field) {
	case ENV_FIELD_NAME:
		v = p->name;
		break;
	case ENV_FIELD_NAMESPACE:
		v = p->namespace;
		break;
	case ENV_FIELD_UID:
		v = p->uid;
		break;
	case ENV_FIELD_LABEL:
	case ENV_FIELD_ANNOTATION:
		if (fr->key == NULL)
			return -1;
		v = fr->field == ENV_FIELD_LABEL ?
		    kv_find(p->labels, p->n_labels, fr->key) :
		    kv_find(p->annotations, p->n_annotations, fr->key);
		break;
	case ENV_FIELD_NODE_NAME:
		v = p->node_name;
		break;
	case ENV_FIELD_SERVICE_ACCOUNT:
		v = p->service_account;
		break;
	case ENV_FIELD_HOST_IP:
		rt_copy_span(buf, len, f->host_ips, ",");	/* the first */
		return 0;
	case ENV_FIELD_HOST_IPS:
		v = f->host_ips;
		break;
	case ENV_FIELD_POD_IP:
		rt_copy_span(buf, len, f->pod_ips, ",");
		return 0;
	case ENV_FIELD_POD_IPS:
		v = f->pod_ips;
		break;
	default:
		return -1;
	}
	if (strlen(v != NULL ? v : "") >= len)
		return -1;
	snprintf(buf, len, "%s", v != NULL ? v : "");
	return 0;
}

static const struct container_spec *
container_find(const struct pod *p, const char *name)
{
	uint32_t i;

	for (i = 0; i < p->n_containers; i++)
		if (strcmp(p->containers[i].name, name) == 0)
			return &p->containers[i];
	for (i = 0; i < p->n_init_containers; i++)
		if (strcmp(p->init_containers[i].name, name) == 0)
			return &p->init_containers[i];
	return NULL;
}

/* ceil(v / d) of non-negative v, d >= 1 */
static int64_t
ceil_div(int64_t v, int64_t d)
{
	return v / d + (v % d != 0);
}

static int
resource_value(const struct pod *p, const struct container_spec *c,
    const struct env_resource_ref *rf, const struct ctr_env_facts *f,
    char *buf, size_t len)
{
	const struct resources *r;
	int cpu = rf->resource == ENV_RES_LIMITS_CPU ||
	    rf->resource == ENV_RES_REQUESTS_CPU;
	int64_t v, d = rf->divisor_units > 0 ? rf->divisor_units :
	    cpu ? CPU_MILLI_PER_CPU : 1;

	if (rf->container_name != NULL &&
	    (c = container_find(p, rf->container_name)) == NULL)
		return -1;
	r = &c->res;
	switch (rf->resource) {
	case ENV_RES_LIMITS_CPU:
		v = r->cpu_limit_milli > 0 ? r->cpu_limit_milli :
		    f->alloc_cpu_milli;
		break;
	case ENV_RES_LIMITS_MEMORY:
		v = r->mem_limit_bytes > 0 ? r->mem_limit_bytes :
		    f->alloc_mem_bytes;
		break;
	case ENV_RES_REQUESTS_CPU:
		v = r->cpu_request_milli > 0 ? r->cpu_request_milli : 0;
		break;
	case ENV_RES_REQUESTS_MEMORY:
		v = r->mem_request_bytes > 0 ? r->mem_request_bytes : 0;
		break;
	default:
		return -1;
	}
	snprintf(buf, len, "%" PRId64, ceil_div(v < 0 ? 0 : v, d));
	return 0;
}

struct lookup_ctx {
	const struct ctr_env	*ce;
	uint32_t		 upto;	/* entries [0, upto) are defined */
};

/* the latest definition before upto, as the kubelet's map holds it */
static const char *
env_lookup(const char *name, size_t len, void *arg)
{
	const struct lookup_ctx *lc = arg;
	uint32_t i;

	for (i = lc->upto; i > 0; i--)
		if (strncmp(lc->ce->name[i - 1], name, len) == 0 &&
		    lc->ce->name[i - 1][len] == '\0')
			return lc->ce->value[i - 1];
	return NULL;
}

static int
env_entry(const struct pod *p, const struct container_spec *c, uint32_t i,
    const struct ctr_env_facts *f, struct ctr_env *ce, char *buf,
    struct rt_err *err)
{
	const struct env_var *e = &c->env[i];
	struct lookup_ctx lc = { ce, i };

	if (ENV_HAS_FIELD(e)) {
		if (field_value(p, &e->field_ref, f, buf,
		    POD_MAX_ENV_VALUE) == -1)
			return rt_seterr(err, "env[%u].valueFrom.fieldRef: "
			    "%s cannot be resolved", i,
			    pod_env_field_name(e->field_ref.field));
	} else if (ENV_HAS_RESOURCE(e)) {
		if (resource_value(p, c, &e->resource_ref, f, buf,
		    POD_MAX_ENV_VALUE) == -1)
			return rt_seterr(err, "env[%u].valueFrom."
			    "resourceFieldRef: container %s not found", i,
			    e->resource_ref.container_name ?
			    e->resource_ref.container_name : "");
	} else if (expand_vars(e->value != NULL ? e->value : "", env_lookup,
	    &lc, buf, POD_MAX_ENV_VALUE) == -1)
		return rt_seterr(err, "env[%u].value: longer than %d bytes "
		    "once its $(VAR) references are expanded", i,
		    POD_MAX_ENV_VALUE - 1);
	if ((ce->value[i] = strdup(buf)) == NULL)
		return rt_seterr(err, "out of memory");
	return 0;
}

int
ctr_env_make(const struct pod *p, const struct container_spec *c,
    const struct ctr_env_facts *f, struct ctr_env *ce, struct rt_err *err)
{
	char *buf;
	uint32_t i;

	memset(ce, 0, sizeof(*ce));
	if (c->n_env == 0)
		return 0;
	if ((ce->name = calloc(c->n_env, sizeof(*ce->name))) == NULL ||
	    (ce->value = calloc(c->n_env, sizeof(*ce->value))) == NULL ||
	    (buf = malloc(POD_MAX_ENV_VALUE)) == NULL) {
		free(ce->name);
		free(ce->value);
		memset(ce, 0, sizeof(*ce));
		return rt_seterr(err, "out of memory");
	}
	for (i = 0; i < c->n_env; i++) {
		if (c->env[i].key == NULL) {
			rt_seterr(err, "env[%u].name: empty", i);
			goto fail;
		}
		ce->name[i] = c->env[i].key;
		ce->n = i + 1;
		if (env_entry(p, c, i, f, ce, buf, err) == -1)
			goto fail;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	ctr_env_free(ce);
	return -1;
}

/* one of command/args expanded into out; NULL env: copied as they are */
int
ctr_env_expand_list(const struct ctr_env *ce, const char *what,
    const struct strlist *in, struct strlist *out, struct rt_err *err)
{
	struct lookup_ctx lc = { ce, ce != NULL ? ce->n : 0 };
	char buf[POD_MAX_ARG];
	uint32_t i;

	for (i = 0; i < in->n; i++) {
		if (ce == NULL) {
			if (snprintf(buf, sizeof(buf), "%s", in->v[i]) >=
			    (int)sizeof(buf))
				return rt_seterr(err, "%s[%u]: too long", what,
				    i);
		} else if (expand_vars(in->v[i], env_lookup, &lc, buf,
		    sizeof(buf)) == -1)
			return rt_seterr(err, "%s[%u]: longer than %d bytes "
			    "once its $(VAR) references are expanded", what, i,
			    POD_MAX_ARG - 1);
		if (strlist_add(out, buf, 2 * POD_MAX_ARGS) == -1)
			return rt_seterr(err, "out of memory");
	}
	return 0;
}
