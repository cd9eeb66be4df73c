/*
 * libFuzzer target for the watcher's Pod manifest parser: every input goes
 * through the static (YAML or JSON) and the API (JSON) entry points and,
 * when short, the quantity parsers.  A pod that parses must respect every
 * bound of include/pod.h (what podwire's decoder will demand of it), and
 * a rejection must come with a terminated, printable reason; anything
 * else aborts so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pod.h"
#include "../../workers/watcher/manifest.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NODE	"fuzz-node"
#define FUZZ_SOURCE	"/etc/agentd/manifests/fuzz.yaml"

static void
check_str(const char *s, size_t max, int required)
{
	if (s == NULL) {
		if (required)
			abort();
		return;
	}
	if (strnlen(s, max + 1) > max || (required && s[0] == '\0'))
		abort();
}

static void
check_kv(const struct kv *kv, uint32_t n, size_t maxval)
{
	uint32_t i;

	if (n > POD_MAX_META)
		abort();
	for (i = 0; i < n; i++) {
		check_str(kv[i].key, POD_MAX_KEY, 1);
		/* a value may be "" but never NULL */
		if (kv[i].value == NULL)
			abort();
		check_str(kv[i].value, maxval, 0);
	}
}

/*
 * An element is never NULL; it may be "" where Kubernetes allows it:
 * command and args (`command: ["/bin/sh", ""]` is valid and podwire
 * carries it), not capability names.
 */
static void
check_strlist(const struct strlist *l, uint32_t maxn, size_t maxlen,
    int nonempty)
{
	uint32_t i;

	if (l->n > maxn)
		abort();
	for (i = 0; i < l->n; i++) {
		if (l->v[i] == NULL)
			abort();
		check_str(l->v[i], maxlen, nonempty);
	}
}

static void
check_container(const struct container_spec *c)
{
	uint32_t i;

	check_str(c->name, POD_MAX_LABEL, 1);
	check_str(c->image, POD_MAX_IMAGE - 1, 1);
	check_strlist(&c->command, POD_MAX_ARGS, POD_MAX_ARG - 1, 0);
	check_strlist(&c->args, POD_MAX_ARGS, POD_MAX_ARG - 1, 0);
	check_strlist(&c->sc.cap_add, POD_MAX_CAPS, POD_MAX_CAP_NAME - 1, 1);
	check_strlist(&c->sc.cap_drop, POD_MAX_CAPS, POD_MAX_CAP_NAME - 1, 1);
	check_str(c->working_dir, POD_MAX_PATH - 1, 0);
	if (c->n_env > POD_MAX_ENV || c->n_ports > POD_MAX_PORTS ||
	    c->pull_policy > PULL_NEVER)
		abort();
	for (i = 0; i < c->n_env; i++) {
		check_str(c->env[i].key, POD_MAX_ENV_NAME - 1, 1);
		check_str(c->env[i].value, POD_MAX_ENV_VALUE - 1, 0);
		/* no value only with a source */
		if (c->env[i].value == NULL && !ENV_HAS_FIELD(&c->env[i]) &&
		    !ENV_HAS_RESOURCE(&c->env[i]))
			abort();
		check_str(c->env[i].field_ref.field_path, POD_MAX_FIELD_PATH,
		    0);
		check_str(c->env[i].field_ref.key, POD_MAX_KEY, 0);
	}
	for (i = 0; i < c->n_ports; i++) {
		if (c->ports[i].container_port < 1 ||
		    c->ports[i].container_port > 65535 ||
		    c->ports[i].host_port > 65535 ||
		    c->ports[i].protocol > PROTO_SCTP)
			abort();
		check_str(c->ports[i].name, POD_MAX_LABEL, 0);
	}
	if (c->res.cpu_request_milli < -1 || c->res.cpu_limit_milli < -1 ||
	    c->res.mem_request_bytes < -1 || c->res.mem_limit_bytes < -1)
		abort();
	if (c->res.cpu_limit_milli != -1 &&
	    c->res.cpu_request_milli > c->res.cpu_limit_milli)
		abort();
	if (c->res.mem_limit_bytes != -1 &&
	    c->res.mem_request_bytes > c->res.mem_limit_bytes)
		abort();
}

static void
check_pod(const struct pod *p)
{
	uint32_t i;

	check_str(p->namespace, POD_MAX_LABEL, 1);
	check_str(p->name, POD_MAX_NAME, 1);
	check_str(p->uid, POD_MAX_UID, 1);
	check_str(p->source, POD_MAX_SOURCE - 1, 1);
	check_str(p->node_name, POD_MAX_NAME, 0);
	check_kv(p->labels, p->n_labels, POD_MAX_LABEL_VALUE);
	check_kv(p->annotations, p->n_annotations, POD_MAX_ANNOT_VALUE - 1);
	if (p->n_containers < 1 || p->n_containers > POD_MAX_CONTAINERS ||
	    p->restart_policy > RESTART_NEVER ||
	    p->termination_grace_seconds < 0)
		abort();
	for (i = 0; i < p->n_containers; i++)
		check_container(&p->containers[i]);
}

static void
check_error(const struct manifest_error *e)
{
	const char *s;

	if (memchr(e->field, '\0', sizeof(e->field)) == NULL ||
	    memchr(e->reason, '\0', sizeof(e->reason)) == NULL ||
	    e->reason[0] == '\0')
		abort();
	for (s = e->reason; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			abort();
}

static void
fuzz_quantity(const uint8_t *data, size_t size)
{
	char s[QUANTITY_MAX_LEN + 8];
	int64_t v;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)quantity_parse_milli(s, &v);
	(void)quantity_parse_bytes(s, &v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_error err;
	struct pod pod;

	if (manifest_parse_static(FUZZ_SOURCE, data, size, FUZZ_NODE, &pod,
	    &err) == 0) {
		check_pod(&pod);
		pod_free(&pod);
	} else
		check_error(&err);
	if (manifest_parse_pod_json(data, size, &pod, &err) == 0) {
		check_pod(&pod);
		pod_free(&pod);
	} else
		check_error(&err);
	fuzz_quantity(data, size);
	return 0;
}
