/*
 * The Pod manifest parser: every field mapping and default, each kind of
 * invalid manifest with the field and reason it must name, the bounds of
 * include/pod.h at limit and limit+1, YAML/JSON input hazards, static pod
 * identity, and Kubernetes' own fixtures (tests/fixtures/k8s).
 */
#include <stdarg.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tap.h"
#include "../../workers/watcher/manifest.h"

#define NODE	"node-1"
#define SRC	"/etc/agentd/manifests/web.yaml"
#define HEAD	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
#define APP	"  containers:\n  - name: app\n    image: nginx:1.25\n"
#define POD	HEAD APP
#define FIXTURES_ENV	"AGENTD_K8S_FIXTURES"

static int
parse_static_as(const char *src, const char *node, const char *text,
    size_t len, struct pod *p, struct manifest_error *e)
{
	return manifest_parse_static(src, (const uint8_t *)text, len, node, p,
	    e);
}

static int
parse(const char *text, struct pod *p, struct manifest_error *e)
{
	return parse_static_as(SRC, NODE, text, strlen(text), p, e);
}

static int
parse_json(const char *text, struct pod *p, struct manifest_error *e)
{
	return manifest_parse_pod_json((const uint8_t *)text, strlen(text), p,
	    e);
}

#define PARSE_OK(text, p) do {						\
	struct manifest_error _e;					\
	if (parse((text), (p), &_e) != 0) {				\
		fprintf(stderr, "%s:%d: rejected: [%s] %s\n", __FILE__,	\
		    __LINE__, _e.field, _e.reason);			\
		exit(1);						\
	}								\
} while (0)

#define JSON_OK(text, p) do {						\
	struct manifest_error _e;					\
	if (parse_json((text), (p), &_e) != 0) {			\
		fprintf(stderr, "%s:%d: rejected: [%s] %s\n", __FILE__,	\
		    __LINE__, _e.field, _e.reason);			\
		exit(1);						\
	}								\
} while (0)

static void
check_rejected(const char *file, int line, int rc, struct pod *p,
    const struct manifest_error *e, const char *field, const char *sub)
{
	if (rc == 0) {
		fprintf(stderr, "%s:%d: accepted, expected [%s] %s\n", file,
		    line, field, sub);
		tap_failed_here = 1;
		pod_free(p);
		return;
	}
	if (strcmp(e->field, field) != 0 || strstr(e->reason, sub) == NULL) {
		fprintf(stderr, "%s:%d: got [%s] %s\n"
		    "  expected [%s] ...%s...\n",
		    file, line, e->field, e->reason, field, sub);
		tap_failed_here = 1;
	}
	/* a failed parse leaves nothing behind */
	if (p->name != NULL || p->containers != NULL || p->labels != NULL ||
	    p->annotations != NULL || p->n_containers != 0) {
		fprintf(stderr, "%s:%d: pod not empty after failure\n", file,
		    line);
		tap_failed_here = 1;
	}
}

#define REJECTED(text, field, sub) do {					\
	struct manifest_error _e;					\
	struct pod _p;							\
	int _rc = parse((text), &_p, &_e);				\
	check_rejected(__FILE__, __LINE__, _rc, &_p, &_e, field, sub);	\
} while (0)

#define JSON_REJECTED(text, field, sub) do {				\
	struct manifest_error _e;					\
	struct pod _p;							\
	int _rc = parse_json((text), &_p, &_e);				\
	check_rejected(__FILE__, __LINE__, _rc, &_p, &_e, field, sub);	\
} while (0)

/*
 * Generated text lives until the test (a forked child) exits, then is
 * freed, so that any leak valgrind reports is the parser's.
 */
#define TEXT_KEEP_MAX	1024
static char	*text_keep[TEXT_KEEP_MAX];
static int	 text_kept;

static void
text_free_all(void)
{
	while (text_kept > 0)
		free(text_keep[--text_kept]);
}

static char *
keep(char *s)
{
	if (s == NULL || text_kept >= TEXT_KEEP_MAX)
		exit(2);
	if (text_kept == 0)
		atexit(text_free_all);
	text_keep[text_kept++] = s;
	return s;
}

static char *__attribute__((format(printf, 1, 2)))
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) == -1)
		exit(2);
	va_end(ap);
	return keep(s);
}

static char *
rep(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		exit(2);
	memset(s, c, n);
	s[n] = '\0';
	return keep(s);
}

/* a string builder for generated manifests */
struct sb {
	char	*s;
	size_t	 len, cap;
};

static void __attribute__((format(printf, 2, 3)))
sb_add(struct sb *b, const char *f, ...)
{
	va_list ap;
	char *piece;
	int n;

	va_start(ap, f);
	n = vasprintf(&piece, f, ap);
	va_end(ap);
	if (n < 0)
		exit(2);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->s = realloc(b->s, b->cap)) == NULL)
			exit(2);
	}
	memcpy(b->s + b->len, piece, n + 1);
	b->len += n;
	free(piece);
}

/* the finished text, kept like fmt()'s */
static char *
sb_done(struct sb *b)
{
	return keep(b->s);
}

static const char *
annotation(const struct pod *p, const char *key)
{
	uint32_t i;

	for (i = 0; i < p->n_annotations; i++)
		if (strcmp(p->annotations[i].key, key) == 0)
			return p->annotations[i].value;
	return NULL;
}

static void
md5_hex(const char *parts[], size_t nparts, const size_t lens[], char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t k;

	REQUIRE(ctx != NULL);
	REQUIRE(EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1);
	for (k = 0; k < nparts; k++)
		REQUIRE(EVP_DigestUpdate(ctx, parts[k], lens[k]) == 1);
	REQUIRE(EVP_DigestFinal_ex(ctx, md, &mdlen) == 1);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ------------------------------------------------------------------ */
/* mapping and defaults                                                */

TEST(test_minimal_pod_gets_kubernetes_defaults)
{
	struct pod p;
	struct container_spec *c;

	PARSE_OK(POD, &p);
	CHECK_STR(p.namespace, "default");
	CHECK_EQ_INT(p.restart_policy, RESTART_ALWAYS);
	CHECK_EQ_INT(p.termination_grace_seconds, 30);
	CHECK_EQ_INT(p.host_network, 0);
	CHECK_EQ_INT(p.host_pid, 0);
	CHECK_EQ_INT(p.host_ipc, 0);
	CHECK_EQ_INT(p.psc.run_as_user, -1);
	CHECK_EQ_INT(p.psc.run_as_group, -1);
	CHECK_EQ_INT(p.psc.run_as_non_root, TRI_UNSET);
	CHECK_EQ_INT(p.n_labels, 0);
	REQUIRE(p.n_containers == 1);
	c = &p.containers[0];
	CHECK_STR(c->name, "app");
	CHECK_STR(c->image, "nginx:1.25");
	CHECK_EQ_INT(c->pull_policy, PULL_IF_NOT_PRESENT);
	CHECK_EQ_INT(c->command.n, 0);
	CHECK_EQ_INT(c->args.n, 0);
	CHECK_EQ_INT(c->n_env, 0);
	CHECK_EQ_INT(c->n_ports, 0);
	CHECK(c->working_dir == NULL);
	CHECK_EQ_INT(c->res.cpu_request_milli, -1);
	CHECK_EQ_INT(c->res.cpu_limit_milli, -1);
	CHECK_EQ_INT(c->res.mem_request_bytes, -1);
	CHECK_EQ_INT(c->res.mem_limit_bytes, -1);
	CHECK_EQ_INT(c->sc.run_as_user, -1);
	CHECK_EQ_INT(c->sc.privileged, TRI_UNSET);
	CHECK_EQ_INT(c->sc.allow_privilege_escalation, TRI_UNSET);
	CHECK_EQ_INT(c->sc.read_only_root_fs, TRI_UNSET);
	CHECK_EQ_INT(c->sc.cap_add.n, 0);
	pod_free(&p);
}

TEST(test_namespace_labels_annotations_mapped)
{
	struct pod p;

	PARSE_OK("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  namespace: kube-system\n  labels:\n    app: web\n"
	    "    example.com/tier: \"\"\n  annotations:\n"
	    "    note: \"free text: anything, even spaces\"\n"
	    "    Example.COM/Owner: ops\n" "spec:\n" APP, &p);
	CHECK_STR(p.namespace, "kube-system");
	REQUIRE(p.n_labels == 2);
	CHECK_STR(p.labels[0].key, "app");
	CHECK_STR(p.labels[0].value, "web");
	CHECK_STR(p.labels[1].key, "example.com/tier");
	CHECK_STR(p.labels[1].value, "");
	CHECK_STR(annotation(&p, "note"), "free text: anything, even spaces");
	CHECK_STR(annotation(&p, "Example.COM/Owner"), "ops");
	pod_free(&p);
}

TEST(test_restart_policy_values_mapped)
{
	struct pod p;

	PARSE_OK(POD "  restartPolicy: OnFailure\n", &p);
	CHECK_EQ_INT(p.restart_policy, RESTART_ON_FAILURE);
	pod_free(&p);
	PARSE_OK(POD "  restartPolicy: Never\n", &p);
	CHECK_EQ_INT(p.restart_policy, RESTART_NEVER);
	pod_free(&p);
	PARSE_OK(POD "  restartPolicy: Always\n", &p);
	CHECK_EQ_INT(p.restart_policy, RESTART_ALWAYS);
	pod_free(&p);
}

TEST(test_unknown_restart_policy_rejected)
{
	REJECTED(POD "  restartPolicy: Sometimes\n", "spec.restartPolicy",
	    "must be Always, OnFailure or Never");
	REJECTED(POD "  restartPolicy: always\n", "spec.restartPolicy",
	    "unsupported value");
}

TEST(test_termination_grace_period_mapped)
{
	struct pod p;

	PARSE_OK(POD "  terminationGracePeriodSeconds: 5\n", &p);
	CHECK_EQ_INT(p.termination_grace_seconds, 5);
	pod_free(&p);
	PARSE_OK(POD "  terminationGracePeriodSeconds: 0\n", &p);
	CHECK_EQ_INT(p.termination_grace_seconds, 0);
	pod_free(&p);
}

TEST(test_negative_grace_period_rejected)
{
	REJECTED(POD "  terminationGracePeriodSeconds: -1\n",
	    "spec.terminationGracePeriodSeconds", "must be between 0 and");
}

TEST(test_host_namespaces_mapped)
{
	struct pod p;

	PARSE_OK(POD "  hostNetwork: true\n  hostPID: true\n"
	    "  hostIPC: true\n", &p);
	CHECK_EQ_INT(p.host_network, 1);
	CHECK_EQ_INT(p.host_pid, 1);
	CHECK_EQ_INT(p.host_ipc, 1);
	CHECK_EQ_INT(p.share_pid, 0);
	pod_free(&p);
}

TEST(test_share_process_namespace_mapped)
{
	struct pod p;

	PARSE_OK(POD "  shareProcessNamespace: true\n", &p);
	CHECK_EQ_INT(p.share_pid, 1);
	pod_free(&p);
	PARSE_OK(POD "  shareProcessNamespace: false\n", &p);
	CHECK_EQ_INT(p.share_pid, 0);
	pod_free(&p);
	REJECTED(POD "  shareProcessNamespace: true\n  hostPID: true\n",
	    "spec.shareProcessNamespace", "cannot both be enabled");
	REJECTED(POD "  shareProcessNamespace: 1\n",
	    "spec.shareProcessNamespace", "");
}

TEST(test_command_and_args_mapped)
{
	struct pod p;
	struct container_spec *c;

	PARSE_OK(POD "    command: [\"/bin/sh\", \"-c\"]\n"
	    "    args:\n    - \"echo $HOME\"\n    - \"\"\n", &p);
	c = &p.containers[0];
	REQUIRE(c->command.n == 2 && c->args.n == 2);
	CHECK_STR(c->command.v[0], "/bin/sh");
	CHECK_STR(c->command.v[1], "-c");
	CHECK_STR(c->args.v[0], "echo $HOME");
	CHECK_STR(c->args.v[1], "");
	pod_free(&p);
}

TEST(test_env_mapped_and_missing_value_is_empty)
{
	struct pod p;
	struct container_spec *c;

	PARSE_OK(POD "    env:\n    - name: A\n      value: one\n"
	    "    - name: B\n    - name: my.var-2\n      value: \"\"\n", &p);
	c = &p.containers[0];
	REQUIRE(c->n_env == 3);
	CHECK_STR(c->env[0].key, "A");
	CHECK_STR(c->env[0].value, "one");
	CHECK_STR(c->env[1].key, "B");
	CHECK_STR(c->env[1].value, "");
	CHECK_STR(c->env[2].key, "my.var-2");
	pod_free(&p);
}

/* one env entry "E" with the given valueFrom body (YAML, 8 spaces in) */
#define ENV_FROM(vf) POD "    env:\n    - name: E\n      valueFrom:\n" vf

TEST(test_env_field_ref_paths_mapped)
{
	static const struct {
		const char	*path;
		uint8_t		 field;
		const char	*key;
	} cases[] = {
		{ "metadata.name", ENV_FIELD_NAME, NULL },
		{ "metadata.namespace", ENV_FIELD_NAMESPACE, NULL },
		{ "metadata.uid", ENV_FIELD_UID, NULL },
		{ "metadata.labels['app']", ENV_FIELD_LABEL, "app" },
		{ "metadata.annotations['example.com/Note']",
		    ENV_FIELD_ANNOTATION, "example.com/Note" },
		{ "spec.nodeName", ENV_FIELD_NODE_NAME, NULL },
		{ "spec.host", ENV_FIELD_NODE_NAME, NULL },
		{ "spec.serviceAccountName", ENV_FIELD_SERVICE_ACCOUNT, NULL },
		{ "status.hostIP", ENV_FIELD_HOST_IP, NULL },
		{ "status.hostIPs", ENV_FIELD_HOST_IPS, NULL },
		{ "status.podIP", ENV_FIELD_POD_IP, NULL },
		{ "status.podIPs", ENV_FIELD_POD_IPS, NULL },
	};
	const struct env_var *e;
	struct pod p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PARSE_OK(fmt(ENV_FROM("        fieldRef:\n"
		    "          apiVersion: v1\n"
		    "          fieldPath: \"%s\"\n"), cases[i].path), &p);
		e = &p.containers[0].env[0];
		CHECK(e->value == NULL);
		CHECK_EQ_INT(e->field_ref.field, cases[i].field);
		CHECK_STR(e->field_ref.field_path, cases[i].path);
		if (cases[i].key != NULL)
			CHECK_STR(e->field_ref.key, cases[i].key);
		else
			CHECK(e->field_ref.key == NULL);
		CHECK_EQ_INT(e->resource_ref.resource, ENV_RES_NONE);
		pod_free(&p);
	}
}

TEST(test_env_field_ref_rejections_name_the_field)
{
	REJECTED(ENV_FROM("        fieldRef:\n          fieldPath: status.phase\n"),
	    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
	    "supported values: \"metadata.name\"");
	REJECTED(ENV_FROM("        fieldRef:\n"
	    "          fieldPath: metadata.labels\n"),
	    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
	    "metadata.labels['<KEY>']");
	REJECTED(ENV_FROM("        fieldRef:\n"
	    "          fieldPath: \"spec.nodeName['x']\"\n"),
	    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
	    "does not support subscript");
	REJECTED(ENV_FROM("        fieldRef:\n"
	    "          fieldPath: \"metadata.labels['-bad-']\"\n"),
	    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
	    "invalid key");
	REJECTED(ENV_FROM("        fieldRef:\n          apiVersion: v2\n"
	    "          fieldPath: metadata.name\n"),
	    "spec.containers[0].env[0].valueFrom.fieldRef.apiVersion",
	    "only \"v1\"");
	REJECTED(ENV_FROM("        fieldRef:\n          apiVersion: v1\n"),
	    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
	    "required");
	REJECTED(ENV_FROM("        fieldRef:\n          fieldPath: metadata.name\n"
	    "          other: 1\n"),
	    "spec.containers[0].env[0].valueFrom.fieldRef.other",
	    "unknown field");
}

/* the key at POD_MAX_KEY (a 253-byte prefix, a 63-byte name), and past */
TEST(test_env_field_ref_bounds)
{
	const char *prefix = fmt("%s.%s.%s.%s", rep('a', 63), rep('b', 63),
	    rep('c', 63), rep('d', 61));
	const char *key = fmt("%s/%s", prefix, rep('n', 63));
	struct pod p;

	CHECK_EQ_INT(strlen(key), POD_MAX_KEY);
	PARSE_OK(fmt(ENV_FROM("        fieldRef:\n"
	    "          fieldPath: \"metadata.labels['%s']\"\n"), key), &p);
	CHECK_STR(p.containers[0].env[0].field_ref.key, key);
	pod_free(&p);
	REJECTED(fmt(ENV_FROM("        fieldRef:\n"
	    "          fieldPath: \"metadata.labels['%sn']\"\n"), key),
	    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
	    "longer than 317");
	REJECTED(fmt(ENV_FROM("        fieldRef:\n"
	    "          fieldPath: \"%s\"\n"), rep('x', POD_MAX_FIELD_PATH + 1)),
	    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
	    "no more than 349");
	REJECTED(fmt(ENV_FROM("        resourceFieldRef:\n"
	    "          resource: limits.cpu\n"
	    "          divisor: \"%s\"\n"), rep('1', POD_MAX_DIVISOR + 1)),
	    "spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor",
	    "no more than 64");
}

TEST(test_env_resource_ref_mapped_with_divisor_units)
{
	static const struct {
		const char	*resource;
		const char	*divisor;	/* NULL: none */
		uint8_t		 res;
		int64_t		 units;
	} cases[] = {
		{ "limits.cpu", NULL, ENV_RES_LIMITS_CPU, 0 },
		{ "limits.cpu", "1m", ENV_RES_LIMITS_CPU, 1 },
		{ "requests.cpu", "1", ENV_RES_REQUESTS_CPU, 1000 },
		{ "requests.cpu", "1000m", ENV_RES_REQUESTS_CPU, 1000 },
		{ "limits.memory", "1Mi", ENV_RES_LIMITS_MEMORY, 1048576 },
		{ "limits.memory", "1k", ENV_RES_LIMITS_MEMORY, 1000 },
		{ "limits.memory", "1000", ENV_RES_LIMITS_MEMORY, 1000 },
		{ "requests.memory", "1Ei", ENV_RES_REQUESTS_MEMORY,
		    INT64_C(1) << 60 },
		{ "requests.memory", "1E", ENV_RES_REQUESTS_MEMORY,
		    INT64_C(1000000000000000000) },
		{ "requests.memory", "1", ENV_RES_REQUESTS_MEMORY, 1 },
		{ "requests.memory", "0", ENV_RES_REQUESTS_MEMORY, 0 },
	};
	const struct env_resource_ref *rf;
	struct pod p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PARSE_OK(fmt(ENV_FROM("        resourceFieldRef:\n"
		    "          resource: %s\n%s%s%s"), cases[i].resource,
		    cases[i].divisor ? "          divisor: \"" : "",
		    cases[i].divisor ? cases[i].divisor : "",
		    cases[i].divisor ? "\"\n" : ""), &p);
		rf = &p.containers[0].env[0].resource_ref;
		CHECK_EQ_INT(rf->resource, cases[i].res);
		CHECK_EQ_INT(rf->divisor_units, cases[i].units);
		CHECK(rf->container_name == NULL);
		pod_free(&p);
	}
	PARSE_OK(ENV_FROM("        resourceFieldRef:\n"
	    "          containerName: app\n          resource: limits.cpu\n"
	    "          divisor: 1m\n"), &p);
	CHECK_STR(p.containers[0].env[0].resource_ref.container_name, "app");
	CHECK_STR(p.containers[0].env[0].resource_ref.divisor, "1m");
	pod_free(&p);
}

TEST(test_env_resource_ref_rejections_name_the_field)
{
	static const char *const bad_cpu[] = { "2", "10m", "1k", "1e-3",
	    "0.5", "1Ki" };
	static const char *const bad_mem[] = { "2", "1024", "1e3", "1m",
	    "2Mi", "1000Ki", "10k", "x" };
	size_t i;

	for (i = 0; i < sizeof(bad_cpu) / sizeof(bad_cpu[0]); i++)
		REJECTED(fmt(ENV_FROM("        resourceFieldRef:\n"
		    "          resource: limits.cpu\n"
		    "          divisor: \"%s\"\n"), bad_cpu[i]),
		    "spec.containers[0].env[0].valueFrom.resourceFieldRef."
		    "divisor", "1m and 1");
	for (i = 0; i < sizeof(bad_mem) / sizeof(bad_mem[0]); i++)
		REJECTED(fmt(ENV_FROM("        resourceFieldRef:\n"
		    "          resource: requests.memory\n"
		    "          divisor: \"%s\"\n"), bad_mem[i]),
		    "spec.containers[0].env[0].valueFrom.resourceFieldRef."
		    "divisor", strcmp(bad_mem[i], "x") == 0 ?
		    "invalid quantity" : "1Ki, 1Mi");
	REJECTED(ENV_FROM("        resourceFieldRef:\n"
	    "          resource: limits.ephemeral-storage\n"),
	    "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource",
	    "ephemeral-storage is not accounted");
	REJECTED(ENV_FROM("        resourceFieldRef:\n"
	    "          resource: limits.nvidia.com/gpu\n"),
	    "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource",
	    "supported values: \"limits.cpu\"");
	REJECTED(ENV_FROM("        resourceFieldRef:\n          divisor: 1m\n"),
	    "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource",
	    "required");
	REJECTED(ENV_FROM("        resourceFieldRef:\n"
	    "          containerName: nope\n"
	    "          resource: limits.cpu\n"),
	    "spec.containers[0].env[0].valueFrom.resourceFieldRef."
	    "containerName", "container \"nope\" not found");
}

TEST(test_env_value_from_shape_rejected)
{
	/* value and valueFrom */
	REJECTED(POD "    env:\n    - name: E\n      value: x\n"
	    "      valueFrom:\n        fieldRef:\n"
	    "          fieldPath: metadata.name\n",
	    "spec.containers[0].env[0].valueFrom",
	    "may not be specified when `value` is not empty");
	/* no source */
	REJECTED(ENV_FROM("        fileKeyRef: {}\n"),
	    "spec.containers[0].env[0].valueFrom", "must specify one of");
	/* two sources */
	REJECTED(ENV_FROM("        fieldRef:\n          fieldPath: metadata.name\n"
	    "        resourceFieldRef:\n          resource: limits.cpu\n"),
	    "spec.containers[0].env[0].valueFrom",
	    "more than one field specified");
	REJECTED(ENV_FROM("        what: 1\n"),
	    "spec.containers[0].env[0].valueFrom.what", "unknown field");
}

TEST(test_env_api_refs_rejected_with_the_source_reason)
{
	REJECTED(ENV_FROM("        configMapKeyRef:\n          name: c\n"
	    "          key: k\n"),
	    "spec.containers[0].env[0].valueFrom.configMapKeyRef",
	    "static pods cannot reference API objects");
	REJECTED(ENV_FROM("        secretKeyRef:\n          name: s\n"
	    "          key: k\n"),
	    "spec.containers[0].env[0].valueFrom.secretKeyRef",
	    "static pods cannot reference API objects");
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"p\",\"uid\":\"u1\"},\"spec\":"
	    "{\"containers\":[{\"name\":\"a\",\"image\":\"i\",\"env\":"
	    "[{\"name\":\"E\",\"valueFrom\":{\"secretKeyRef\":"
	    "{\"name\":\"s\",\"key\":\"k\"}}}]}]}}",
	    "spec.containers[0].env[0].valueFrom.secretKeyRef",
	    "not supported yet");
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"p\",\"uid\":\"u1\"},\"spec\":"
	    "{\"containers\":[{\"name\":\"a\",\"image\":\"i\","
	    "\"envFrom\":[{\"configMapRef\":{\"name\":\"c\"}}]}]}}",
	    "spec.containers[0].envFrom", "not supported yet");
}

TEST(test_service_account_name_mapped_with_its_alias)
{
	struct pod p;

	PARSE_OK(POD, &p);
	CHECK(p.service_account == NULL);	/* static: none, as the kubelet */
	pod_free(&p);
	PARSE_OK(HEAD "  serviceAccountName: builder\n" APP, &p);
	CHECK_STR(p.service_account, "builder");
	pod_free(&p);
	PARSE_OK(HEAD "  serviceAccount: old\n" APP, &p);
	CHECK_STR(p.service_account, "old");
	pod_free(&p);
	/* both: the name wins, in either order */
	PARSE_OK(HEAD "  serviceAccount: old\n  serviceAccountName: new\n"
	    APP, &p);
	CHECK_STR(p.service_account, "new");
	pod_free(&p);
	PARSE_OK(HEAD "  serviceAccountName: new\n  serviceAccount: old\n"
	    APP, &p);
	CHECK_STR(p.service_account, "new");
	pod_free(&p);
	REJECTED(HEAD "  serviceAccountName: Bad_Name\n" APP,
	    "spec.serviceAccountName", "RFC 1123 subdomain");
}

TEST(test_env_name_required_and_checked)
{
	REJECTED(POD "    env:\n    - value: x\n",
	    "spec.containers[0].env[0].name", "required");
	REJECTED(POD "    env:\n    - name: A=B\n",
	    "spec.containers[0].env[0].name", "other than '='");
}

TEST(test_env_from_rejected)
{
	REJECTED(POD "    envFrom:\n    - configMapRef:\n        name: x\n",
	    "spec.containers[0].envFrom",
	    "static pods cannot reference API objects");
}

TEST(test_working_dir_mapped_and_must_be_absolute)
{
	struct pod p;

	PARSE_OK(POD "    workingDir: /srv/app\n", &p);
	CHECK_STR(p.containers[0].working_dir, "/srv/app");
	pod_free(&p);
	REJECTED(POD "    workingDir: srv\n", "spec.containers[0].workingDir",
	    "absolute path");
}

TEST(test_ports_mapped_with_defaults)
{
	struct pod p;
	struct container_port *pt;

	PARSE_OK(POD "    ports:\n    - containerPort: 80\n      name: http\n"
	    "    - containerPort: 53\n      protocol: UDP\n"
	    "      hostPort: 5353\n"
	    "      hostIP: 127.0.0.1\n    - containerPort: 9\n"
	    "      protocol: SCTP\n      hostIP: \"::1\"\n", &p);
	REQUIRE(p.containers[0].n_ports == 3);
	pt = p.containers[0].ports;
	CHECK_EQ_INT(pt[0].container_port, 80);
	CHECK_EQ_INT(pt[0].host_port, 0);
	CHECK_EQ_INT(pt[0].protocol, PROTO_TCP);
	CHECK_STR(pt[0].name, "http");
	CHECK(pt[0].host_ip == NULL);
	CHECK_EQ_INT(pt[1].container_port, 53);
	CHECK_EQ_INT(pt[1].host_port, 5353);
	CHECK_EQ_INT(pt[1].protocol, PROTO_UDP);
	CHECK(pt[1].name == NULL);
	CHECK_STR(pt[1].host_ip, "127.0.0.1");
	CHECK_EQ_INT(pt[2].protocol, PROTO_SCTP);
	CHECK_STR(pt[2].host_ip, "::1");
	pod_free(&p);
}

TEST(test_port_numbers_bounded)
{
	struct pod p;

	PARSE_OK(POD "    ports:\n    - containerPort: 65535\n"
	    "      hostPort: 65535\n    - containerPort: 1\n", &p);
	pod_free(&p);
	REJECTED(POD "    ports:\n    - containerPort: 65536\n",
	    "spec.containers[0].ports[0].containerPort",
	    "between 1 and 65535");
	REJECTED(POD "    ports:\n    - containerPort: 0\n",
	    "spec.containers[0].ports[0].containerPort",
	    "between 1 and 65535");
	REJECTED(POD "    ports:\n    - containerPort: 80\n"
	    "      hostPort: 65536\n",
	    "spec.containers[0].ports[0].hostPort", "between 0 and 65535");
}

TEST(test_port_container_port_required)
{
	REJECTED(POD "    ports:\n    - name: http\n",
	    "spec.containers[0].ports[0].containerPort", "required");
}

TEST(test_port_protocol_unknown_rejected)
{
	REJECTED(POD "    ports:\n    - containerPort: 80\n"
	    "      protocol: tcp\n",
	    "spec.containers[0].ports[0].protocol",
	    "must be TCP, UDP or SCTP");
}

TEST(test_port_name_is_iana_svc_name)
{
	struct pod p;

	PARSE_OK(POD "    ports:\n    - containerPort: 80\n"
	    "      name: abcdefghijklmno\n", &p);	/* 15 */
	pod_free(&p);
	REJECTED(POD "    ports:\n    - containerPort: 80\n"
	    "      name: abcdefghijklmnop\n",
	    "spec.containers[0].ports[0].name", "no more than 15");
	REJECTED(POD "    ports:\n    - containerPort: 80\n      name: a--b\n",
	    "spec.containers[0].ports[0].name", "IANA_SVC_NAME");
	REJECTED(POD "    ports:\n    - containerPort: 80\n"
	    "      name: \"8080\"\n",
	    "spec.containers[0].ports[0].name", "IANA_SVC_NAME");
	REJECTED(POD "    ports:\n    - containerPort: 80\n      name: Http\n",
	    "spec.containers[0].ports[0].name", "IANA_SVC_NAME");
}

TEST(test_duplicate_port_name_rejected)
{
	REJECTED(POD "    ports:\n    - containerPort: 80\n      name: web\n"
	    "    - containerPort: 81\n      name: web\n",
	    "spec.containers[0].ports[1].name", "duplicate port name \"web\"");
}

TEST(test_duplicate_host_port_rejected)
{
	struct pod p;

	REJECTED(POD "    ports:\n    - containerPort: 80\n"
	    "      hostPort: 8080\n"
	    "  - name: side\n    image: busybox\n    ports:\n"
	    "    - containerPort: 81\n      hostPort: 8080\n",
	    "spec.containers[1].ports[0].hostPort",
	    "duplicate host port 8080/TCP");
	/* another protocol is another port */
	PARSE_OK(POD "    ports:\n    - containerPort: 53\n      hostPort: 53\n"
	    "    - containerPort: 53\n      hostPort: 53\n"
	    "      protocol: UDP\n",
	    &p);
	pod_free(&p);
}

TEST(test_host_network_defaults_host_port_to_container_port)
{
	struct pod p;

	PARSE_OK(POD "    ports:\n    - containerPort: 8080\n"
	    "  hostNetwork: true\n", &p);
	CHECK_EQ_INT(p.containers[0].ports[0].host_port, 8080);
	pod_free(&p);
}

TEST(test_host_network_host_port_must_match)
{
	REJECTED(POD "    ports:\n    - containerPort: 8080\n"
	    "      hostPort: 80\n  hostNetwork: true\n",
	    "spec.containers[0].ports[0].hostPort",
	    "must match containerPort (8080)");
}

TEST(test_host_ip_must_be_an_address)
{
	REJECTED(POD "    ports:\n    - containerPort: 80\n"
	    "      hostIP: localhost\n",
	    "spec.containers[0].ports[0].hostIP", "valid IP address");
}

TEST(test_resources_mapped)
{
	struct pod p;
	struct resources *r;

	PARSE_OK(POD "    resources:\n      requests:\n        cpu: 250m\n"
	    "        memory: 64Mi\n      limits:\n        cpu: \"1.5\"\n"
	    "        memory: 128Mi\n", &p);
	r = &p.containers[0].res;
	CHECK_EQ_INT(r->cpu_request_milli, 250);
	CHECK_EQ_INT(r->cpu_limit_milli, 1500);
	CHECK_EQ_INT(r->mem_request_bytes, 64 << 20);
	CHECK_EQ_INT(r->mem_limit_bytes, 128 << 20);
	pod_free(&p);
}

TEST(test_request_defaults_to_limit)
{
	struct pod p;
	struct resources *r;

	PARSE_OK(POD "    resources:\n      limits:\n        cpu: 500m\n"
	    "        memory: 1Gi\n      requests:\n        cpu: 100m\n", &p);
	r = &p.containers[0].res;
	CHECK_EQ_INT(r->cpu_request_milli, 100);
	CHECK_EQ_INT(r->mem_request_bytes, 1 << 30);
	CHECK_EQ_INT(r->mem_limit_bytes, 1 << 30);
	pod_free(&p);
}

TEST(test_request_above_limit_rejected)
{
	REJECTED(POD "    resources:\n      requests:\n        cpu: \"2\"\n"
	    "      limits:\n        cpu: \"1\"\n",
	    "spec.containers[0].resources.requests.cpu",
	    "must be less than or equal to cpu limit of 1000m");
	REJECTED(POD "    resources:\n      requests:\n        memory: 2Gi\n"
	    "      limits:\n        memory: 1Gi\n",
	    "spec.containers[0].resources.requests.memory",
	    "memory limit of 1073741824");
}

TEST(test_bad_quantity_rejected)
{
	REJECTED(POD "    resources:\n      limits:\n        memory: 12Qi\n",
	    "spec.containers[0].resources.limits.memory",
	    "invalid quantity \"12Qi\"");
	REJECTED(POD "    resources:\n      limits:\n        cpu: 1.2.3\n",
	    "spec.containers[0].resources.limits.cpu", "invalid quantity");
	/* too big for a YAML float, so a string, then too big a quantity */
	REJECTED(POD "    resources:\n      limits:\n        cpu: 1e999\n",
	    "spec.containers[0].resources.limits.cpu", "too large");
	REJECTED(POD "    resources:\n      limits:\n        memory: 9Ei\n",
	    "spec.containers[0].resources.limits.memory", "too large");
	REJECTED(POD "    resources:\n      limits:\n        memory: [1]\n",
	    "spec.containers[0].resources.limits.memory",
	    "expected a quantity");
}

TEST(test_negative_quantity_rejected)
{
	REJECTED(POD "    resources:\n      requests:\n        cpu: -100m\n",
	    "spec.containers[0].resources.requests.cpu",
	    "greater than or equal to 0");
}

TEST(test_unquoted_number_quantities_accepted)
{
	struct pod p;

	PARSE_OK(POD "    resources:\n      limits:\n        cpu: 0.1\n"
	    "        memory: 1e3\n", &p);
	CHECK_EQ_INT(p.containers[0].res.cpu_limit_milli, 100);
	CHECK_EQ_INT(p.containers[0].res.mem_limit_bytes, 1000);
	pod_free(&p);
}

TEST(test_other_resources)
{
	struct pod p;

	PARSE_OK(POD "    resources:\n      limits:\n"
	    "        ephemeral-storage: 1Gi\n", &p);
	CHECK_EQ_INT(p.containers[0].res.mem_limit_bytes, -1);
	pod_free(&p);
	REJECTED(POD "    resources:\n      limits:\n"
	    "        nvidia.com/gpu: 1\n",
	    "spec.containers[0].resources.limits.nvidia.com/gpu",
	    "resource is not supported");
	REJECTED(POD "    resources:\n      limits:\n"
	    "        hugepages-2Mi: 1Gi\n",
	    "spec.containers[0].resources.limits.hugepages-2Mi",
	    "hugepages are not supported");
	REJECTED(POD "    resources:\n      claims:\n      - name: gpu\n",
	    "spec.containers[0].resources.claims", "not supported");
}

TEST(test_pull_policy_explicit)
{
	struct pod p;

	PARSE_OK(POD "    imagePullPolicy: Never\n", &p);
	CHECK_EQ_INT(p.containers[0].pull_policy, PULL_NEVER);
	pod_free(&p);
	PARSE_OK(POD "    imagePullPolicy: Always\n", &p);
	CHECK_EQ_INT(p.containers[0].pull_policy, PULL_ALWAYS);
	pod_free(&p);
	REJECTED(POD "    imagePullPolicy: Sometimes\n",
	    "spec.containers[0].imagePullPolicy", "must be Always");
}

TEST(test_pull_policy_defaults_like_kubernetes)
{
	static const struct {
		const char	*image;
		int		 want;
	} c[] = {
		{ "nginx", PULL_ALWAYS },
		{ "nginx:latest", PULL_ALWAYS },
		{ "nginx:1.25", PULL_IF_NOT_PRESENT },
		{ "nginx@sha256:0123456789abcdef", PULL_IF_NOT_PRESENT },
		{ "nginx:latest@sha256:0123", PULL_ALWAYS },
		{ "registry:5000/team/app", PULL_ALWAYS },
		{ "registry:5000/team/app:v2", PULL_IF_NOT_PRESENT },
		{ "registry:5000/team/app:latest", PULL_ALWAYS },
	};
	struct pod p;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		PARSE_OK(fmt(HEAD "  containers:\n  - name: a\n    image: %s\n",
		    c[i].image), &p);
		if (p.containers[0].pull_policy != c[i].want) {
			fprintf(stderr, "%s: pull policy %d, expected %d\n",
			    c[i].image, p.containers[0].pull_policy,
			    c[i].want);
			tap_failed_here = 1;
		}
		pod_free(&p);
	}
}

TEST(test_container_security_context_mapped)
{
	struct pod p;
	struct security_context *sc;

	PARSE_OK(POD "    securityContext:\n      runAsUser: 1000\n"
	    "      runAsGroup: 2000\n      runAsNonRoot: true\n"
	    "      readOnlyRootFilesystem: true\n      privileged: false\n"
	    "      allowPrivilegeEscalation: false\n      capabilities:\n"
	    "        add: [NET_BIND_SERVICE]\n        drop: [ALL]\n", &p);
	sc = &p.containers[0].sc;
	CHECK_EQ_INT(sc->run_as_user, 1000);
	CHECK_EQ_INT(sc->run_as_group, 2000);
	CHECK_EQ_INT(sc->run_as_non_root, 1);
	CHECK_EQ_INT(sc->read_only_root_fs, 1);
	CHECK_EQ_INT(sc->privileged, 0);
	CHECK_EQ_INT(sc->allow_privilege_escalation, 0);
	REQUIRE(sc->cap_add.n == 1 && sc->cap_drop.n == 1);
	CHECK_STR(sc->cap_add.v[0], "NET_BIND_SERVICE");
	CHECK_STR(sc->cap_drop.v[0], "ALL");
	pod_free(&p);
}

TEST(test_pod_security_context_mapped)
{
	struct pod p;

	PARSE_OK(POD "  securityContext:\n    runAsUser: 65534\n"
	    "    runAsGroup: 65534\n    runAsNonRoot: true\n"
	    "    seccompProfile:\n      type: RuntimeDefault\n", &p);
	CHECK_EQ_INT(p.psc.run_as_user, 65534);
	CHECK_EQ_INT(p.psc.run_as_group, 65534);
	CHECK_EQ_INT(p.psc.run_as_non_root, 1);
	pod_free(&p);
}

TEST(test_capabilities_cap_prefix_normalized)
{
	struct pod p;
	struct security_context *sc;

	PARSE_OK(POD "    securityContext:\n      capabilities:\n"
	    "        add: [CAP_NET_ADMIN, net_raw, Cap_Sys_Time, NET_ADMIN]\n"
	    "        drop: [cap_all, CAP_MKNOD]\n", &p);
	sc = &p.containers[0].sc;
	REQUIRE(sc->cap_add.n == 3);	/* the duplicate NET_ADMIN folds */
	CHECK_STR(sc->cap_add.v[0], "NET_ADMIN");
	CHECK_STR(sc->cap_add.v[1], "NET_RAW");
	CHECK_STR(sc->cap_add.v[2], "SYS_TIME");
	REQUIRE(sc->cap_drop.n == 2);
	CHECK_STR(sc->cap_drop.v[0], "ALL");
	CHECK_STR(sc->cap_drop.v[1], "MKNOD");
	pod_free(&p);
}

TEST(test_unknown_capability_rejected)
{
	REJECTED(POD "    securityContext:\n      capabilities:\n"
	    "        add: [NET_ADMIN, CAP_FLY]\n",
	    "spec.containers[0].securityContext.capabilities.add[1]",
	    "unknown capability \"CAP_FLY\"");
}

TEST(test_capability_all_only_dropped)
{
	REJECTED(POD "    securityContext:\n      capabilities:\n"
	    "        add: [ALL]\n",
	    "spec.containers[0].securityContext.capabilities.add[0]",
	    "\"ALL\" may only be dropped");
}

TEST(test_no_escalation_conflicts_rejected)
{
	REJECTED(POD "    securityContext:\n      privileged: true\n"
	    "      allowPrivilegeEscalation: false\n",
	    "spec.containers[0].securityContext",
	    "cannot set allowPrivilegeEscalation to false and privileged");
	REJECTED(POD "    securityContext:\n"
	    "      allowPrivilegeEscalation: false\n"
	    "      capabilities:\n        add: [CAP_SYS_ADMIN]\n",
	    "spec.containers[0].securityContext", "SYS_ADMIN");
}

TEST(test_run_as_non_root_with_root_uid_rejected)
{
	struct pod p;

	REJECTED(POD "    securityContext:\n      runAsNonRoot: true\n"
	    "      runAsUser: 0\n", "spec.containers[0].securityContext",
	    "runAsNonRoot is true but runAsUser is 0");
	/* the container's runAsUser overrides the pod's */
	REJECTED(POD "    securityContext:\n      runAsUser: 0\n"
	    "  securityContext:\n    runAsNonRoot: true\n",
	    "spec.containers[0].securityContext", "runAsUser is 0");
	PARSE_OK(POD "    securityContext:\n      runAsUser: 10\n"
	    "  securityContext:\n    runAsNonRoot: true\n    runAsUser: 0\n",
	    &p);
	pod_free(&p);
}

TEST(test_run_as_user_bounded)
{
	struct pod p;

	PARSE_OK(POD "    securityContext:\n      runAsUser: 2147483647\n", &p);
	CHECK_EQ_INT(p.containers[0].sc.run_as_user, 2147483647);
	pod_free(&p);
	REJECTED(POD "    securityContext:\n      runAsUser: 2147483648\n",
	    "spec.containers[0].securityContext.runAsUser",
	    "between 0 and 2147483647");
	REJECTED(POD "  securityContext:\n    runAsGroup: -1\n",
	    "spec.securityContext.runAsGroup", "between 0 and 2147483647");
}

TEST(test_pod_security_context_unsupported_fields_rejected)
{
	REJECTED(POD "  securityContext:\n    fsGroup: 2000\n",
	    "spec.securityContext.fsGroup", "fsGroup is not supported");
	REJECTED(POD "  securityContext:\n    supplementalGroupsPolicy: "
	    "Strict\n", "spec.securityContext.supplementalGroupsPolicy",
	    "Strict is not supported");
}

TEST(test_pod_sysctls_parsed_slashes_converted)
{
	struct pod p;

	PARSE_OK(POD "  securityContext:\n    sysctls:\n"
	    "    - name: net.core.somaxconn\n      value: \"1024\"\n"
	    "    - name: net/ipv4/conf/eth0.100/rp_filter\n      value: \"1\"\n"
	    "    - name: kernel.shm_rmid_forced\n", &p);
	REQUIRE(p.psc.n_sysctls == 3);
	CHECK_STR(p.psc.sysctls[0].key, "net.core.somaxconn");
	CHECK_STR(p.psc.sysctls[0].value, "1024");
	CHECK_STR(p.psc.sysctls[1].key, "net.ipv4.conf.eth0/100.rp_filter");
	CHECK_STR(p.psc.sysctls[2].value, "");
	pod_free(&p);
}

TEST(test_pod_sysctls_bad_names_rejected)
{
	REJECTED(POD "  securityContext:\n    sysctls:\n"
	    "    - name: Net.Core\n      value: \"1\"\n",
	    "spec.securityContext.sysctls[0].name", "must have at most 253");
	REJECTED(POD "  securityContext:\n    sysctls:\n"
	    "    - name: net..core\n      value: \"1\"\n",
	    "spec.securityContext.sysctls[0].name", "match the regex");
	REJECTED(POD "  securityContext:\n    sysctls:\n"
	    "    - value: \"1\"\n",
	    "spec.securityContext.sysctls[0]", "name: Required");
	REJECTED(POD "  securityContext:\n    sysctls:\n"
	    "    - name: net.core.somaxconn\n      value: \"1\"\n"
	    "    - name: net/core/somaxconn\n      value: \"2\"\n",
	    "spec.securityContext.sysctls[1]", "Duplicate value");
	REJECTED(POD "  securityContext:\n    sysctls:\n"
	    "    - name: net.core.somaxconn\n      value: \"1\\n2\"\n",
	    "spec.securityContext.sysctls[0].value", "control characters");
}

TEST(test_pod_sysctls_host_namespace_rejected)
{
	REJECTED(POD "  hostNetwork: true\n  securityContext:\n    sysctls:\n"
	    "    - name: net.ipv4.tcp_syncookies\n      value: \"1\"\n",
	    "spec.securityContext.sysctls[0].name",
	    "may not be specified when 'hostNetwork' is true");
	REJECTED(POD "  hostIPC: true\n  securityContext:\n    sysctls:\n"
	    "    - name: kernel.shm_rmid_forced\n      value: \"1\"\n",
	    "spec.securityContext.sysctls[0].name",
	    "may not be specified when 'hostIPC' is true");
}

TEST(test_pod_supplemental_groups_parsed)
{
	struct pod p;

	PARSE_OK(POD "  securityContext:\n"
	    "    supplementalGroups: [0, 2147483647]\n"
	    "    supplementalGroupsPolicy: Merge\n", &p);
	REQUIRE(p.psc.supplemental_groups.n == 2);
	CHECK_STR(p.psc.supplemental_groups.v[0], "0");
	CHECK_STR(p.psc.supplemental_groups.v[1], "2147483647");
	pod_free(&p);
	REJECTED(POD "  securityContext:\n    supplementalGroups: [-1]\n",
	    "spec.securityContext.supplementalGroups[0]", "");
	REJECTED(POD "  securityContext:\n    supplementalGroups: [\"5\"]\n",
	    "spec.securityContext.supplementalGroups[0]", "");
}

TEST(test_seccomp_profile_only_runtime_default)
{
	struct pod p;

	PARSE_OK(POD "    securityContext:\n      seccompProfile:\n"
	    "        type: RuntimeDefault\n", &p);
	pod_free(&p);
	REJECTED(POD "  securityContext:\n    seccompProfile:\n"
	    "      type: Unconfined\n",
	    "spec.securityContext.seccompProfile.type",
	    "Unconfined is not supported");
	REJECTED(POD "    securityContext:\n      seccompProfile:\n"
	    "        type: Localhost\n        localhostProfile: p.json\n",
	    "spec.containers[0].securityContext.seccompProfile.type",
	    "Localhost is not supported");
	REJECTED(POD "  securityContext:\n    seccompProfile: {}\n",
	    "spec.securityContext.seccompProfile.type", "required");
}

TEST(test_host_users_false_and_windows_rejected)
{
	struct pod p;

	REJECTED(POD "  hostUsers: false\n", "spec.hostUsers",
	    "user namespaces");
	REJECTED(POD "  os:\n    name: windows\n", "spec.os.name",
	    "this node runs linux");
	PARSE_OK(POD "  hostUsers: true\n  os:\n    name: linux\n", &p);
	pod_free(&p);
}

TEST(test_dns_policy_accepted_except_none)
{
	struct pod p;

	PARSE_OK(POD "  dnsPolicy: ClusterFirst\n", &p);
	CHECK(p.dns_policy == DNS_CLUSTER_FIRST);
	pod_free(&p);
	PARSE_OK(POD "  dnsPolicy: ClusterFirstWithHostNet\n", &p);
	CHECK(p.dns_policy == DNS_CLUSTER_FIRST_HOST_NET);
	pod_free(&p);
	PARSE_OK(POD "  dnsPolicy: Default\n", &p);
	CHECK(p.dns_policy == DNS_DEFAULT);
	pod_free(&p);
	/* None takes everything from dnsConfig, which it needs */
	REJECTED(POD "  dnsPolicy: None\n", "spec.dnsConfig", "required");
	REJECTED(POD "  dnsPolicy: None\n  dnsConfig: {}\n",
	    "spec.dnsConfig.nameservers", "at least one DNS nameserver");
	PARSE_OK(POD "  dnsPolicy: None\n  dnsConfig:\n"
	    "    nameservers: [1.1.1.1]\n", &p);
	CHECK(p.dns_policy == DNS_NONE);
	pod_free(&p);
	REJECTED(POD "  dnsPolicy: Custom\n", "spec.dnsPolicy",
	    "unsupported value");
}

TEST(test_dns_config_parsed_and_bounded)
{
	struct pod p;
	char text[8192];
	size_t off;
	int i;

	PARSE_OK(POD "  dnsConfig:\n    nameservers: [10.0.0.10, \"fd00::a\"]\n"
	    "    searches: [a.example, b.example.]\n"
	    "    options:\n    - name: ndots\n      value: \"2\"\n"
	    "    - name: edns0\n", &p);
	REQUIRE(p.dns_config.nameservers.n == 2);
	CHECK_STR(p.dns_config.nameservers.v[1], "fd00::a");
	REQUIRE(p.dns_config.searches.n == 2);
	CHECK_STR(p.dns_config.searches.v[1], "b.example.");
	REQUIRE(p.dns_config.n_options == 2);
	CHECK_STR(p.dns_config.options[0].key, "ndots");
	CHECK_STR(p.dns_config.options[0].value, "2");
	CHECK_STR(p.dns_config.options[1].value, "");
	pod_free(&p);
	REJECTED(POD "  dnsConfig:\n    nameservers: [1.1.1.1, 1.1.1.2, "
	    "1.1.1.3, 1.1.1.4]\n", "spec.dnsConfig.nameservers",
	    "more than 3 nameservers");
	REJECTED(POD "  dnsConfig:\n    nameservers: [dns.example]\n",
	    "spec.dnsConfig.nameservers[0]", "valid IP address");
	REJECTED(POD "  dnsConfig:\n    searches: [Bad_Domain]\n",
	    "spec.dnsConfig.searches[0]", "RFC 1123 subdomain");
	REJECTED(POD "  dnsConfig:\n    options:\n    - value: x\n",
	    "spec.dnsConfig.options[0]", "must not be empty");
	/* 33 search paths; then 32 of 70 characters (over 2048) */
	off = (size_t)snprintf(text, sizeof(text), "%s", POD
	    "  dnsConfig:\n    searches:\n");
	for (i = 0; i < 33; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "    - s%d.example\n", i);
	REJECTED(text, "spec.dnsConfig.searches", "more than 32 search");
	off = (size_t)snprintf(text, sizeof(text), "%s", POD
	    "  dnsConfig:\n    searches:\n");
	for (i = 0; i < 32; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "    - s%02d.%s\n", i, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	REJECTED(text, "spec.dnsConfig.searches", "2048 characters");
}

TEST(test_hostname_subdomain_aliases)
{
	struct pod p;

	PARSE_OK(POD "  hostname: box\n  subdomain: team\n"
	    "  setHostnameAsFQDN: true\n"
	    "  hostAliases:\n  - ip: 10.1.2.3\n    hostnames: [foo.local, bar]\n"
	    "  - ip: \"fd00::1\"\n    hostnames: [six]\n", &p);
	CHECK_STR(p.hostname, "box");
	CHECK_STR(p.subdomain, "team");
	CHECK(p.set_hostname_fqdn == 1);
	REQUIRE(p.n_host_aliases == 2);
	CHECK_STR(p.host_aliases[0].ip, "10.1.2.3");
	REQUIRE(p.host_aliases[0].hostnames.n == 2);
	CHECK_STR(p.host_aliases[0].hostnames.v[1], "bar");
	CHECK_STR(p.host_aliases[1].ip, "fd00::1");
	pod_free(&p);
	PARSE_OK(POD "  hostname: \"\"\n", &p);
	CHECK(p.hostname == NULL);
	pod_free(&p);
	REJECTED(POD "  hostname: Box\n", "spec.hostname", "RFC 1123 label");
	REJECTED(POD "  subdomain: a.b\n", "spec.subdomain", "RFC 1123 label");
	REJECTED(POD "  hostname: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaa\n", "spec.hostname", "");
	REJECTED(POD "  hostAliases:\n  - ip: 300.1.2.3\n    hostnames: [a]\n",
	    "spec.hostAliases[0].ip", "valid IP address");
	REJECTED(POD "  hostAliases:\n  - hostnames: [a]\n",
	    "spec.hostAliases[0].ip", "required");
	REJECTED(POD "  hostAliases:\n  - ip: 1.2.3.4\n    hostnames: [A_B]\n",
	    "spec.hostAliases[0].hostnames[0]", "RFC 1123 subdomain");
	REJECTED(POD "  setHostnameAsFQDN: 1\n", "spec.setHostnameAsFQDN", "");
}

TEST(test_ignored_fields_accepted)
{
	struct pod p;

	PARSE_OK("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  creationTimestamp: null\n  resourceVersion: \"42\"\n"
	    "  generateName: web-\n  managedFields:\n  - manager: kubectl\n"
	    "spec:\n" APP "    terminationMessagePath: /dev/termination-log\n"
	    "    terminationMessagePolicy: File\n"
	    "  schedulerName: default-scheduler\n  priority: 0\n"
	    "  tolerations:\n  - operator: Exists\n"
	    "  nodeSelector:\n    disk: ssd\n  enableServiceLinks: true\n"
	    "  serviceAccountName: default\n"
	    "status:\n  phase: Running\n  podIP: 10.0.0.1\n", &p);
	CHECK_STR(p.name, "web-" NODE);
	pod_free(&p);
}

TEST(test_rejected_fields_accepted_when_unset)
{
	struct pod p;

	PARSE_OK(POD "    stdin: false\n    tty: false\n    volumeMounts: []\n"
	    "  volumes: []\n  initContainers: null\n"
	    "  shareProcessNamespace: false\n  hostAliases: []\n", &p);
	pod_free(&p);
}

TEST(test_behaviour_changing_fields_rejected)
{
	REJECTED(POD "  volumes:\n  - name: data\n    configMap:\n"
	    "      name: x\n", "spec.volumes[0].configMap",
	    "static pods cannot reference API objects");
	REJECTED(POD "    volumeMounts:\n    - name: data\n"
	    "      mountPath: /d\n",
	    "spec.containers[0].volumeMounts[0].name", "names no volume");
	REJECTED(POD "  ephemeralContainers:\n  - name: e\n"
	    "    image: busybox\n",
	    "spec.ephemeralContainers", "not supported");
	REJECTED(POD "  runtimeClassName: gvisor\n", "spec.runtimeClassName",
	    "runtime classes are not supported");
	REJECTED(POD "  imagePullSecrets:\n  - name: regcred\n",
	    "spec.imagePullSecrets", "not supported");
	REJECTED(POD "    tty: true\n", "spec.containers[0].tty",
	    "tty is not supported");
}

TEST(test_active_deadline_seconds_mapped_in_range)
{
	struct pod p;

	PARSE_OK(POD, &p);
	CHECK_EQ_INT(p.active_deadline_seconds, -1);
	pod_free(&p);
	PARSE_OK(POD "  activeDeadlineSeconds: 30\n", &p);
	CHECK_EQ_INT(p.active_deadline_seconds, 30);
	pod_free(&p);
	/* ValidatePodSpec's range: 1 to math.MaxUint32 */
	PARSE_OK(POD "  activeDeadlineSeconds: 4294967295\n", &p);
	CHECK_EQ_INT(p.active_deadline_seconds, 4294967295LL);
	pod_free(&p);
	REJECTED(POD "  activeDeadlineSeconds: 4294967296\n",
	    "spec.activeDeadlineSeconds", "between 1 and 4294967295");
	REJECTED(POD "  activeDeadlineSeconds: 0\n",
	    "spec.activeDeadlineSeconds", "between 1 and 4294967295");
	REJECTED(POD "  activeDeadlineSeconds: -5\n",
	    "spec.activeDeadlineSeconds", "between 1");
	REJECTED(POD "  activeDeadlineSeconds: 1.5\n",
	    "spec.activeDeadlineSeconds", "fractional");
	REJECTED(POD "  activeDeadlineSeconds: \"10\"\n",
	    "spec.activeDeadlineSeconds", "expected an integer");
}

TEST(test_termination_message_fields_mapped)
{
	struct pod p;

	PARSE_OK(POD, &p);
	CHECK(p.containers[0].term_msg_path == NULL);
	CHECK_EQ_INT(p.containers[0].term_msg_policy, TERM_MSG_FILE);
	pod_free(&p);
	/* the default, given: the same as unset */
	PARSE_OK(POD "    terminationMessagePath: /dev/termination-log\n"
	    "    terminationMessagePolicy: File\n", &p);
	CHECK(p.containers[0].term_msg_path == NULL);
	pod_free(&p);
	PARSE_OK(POD "    terminationMessagePath: /tmp/why\n"
	    "    terminationMessagePolicy: FallbackToLogsOnError\n", &p);
	CHECK_STR(p.containers[0].term_msg_path, "/tmp/why");
	CHECK_EQ_INT(p.containers[0].term_msg_policy,
	    TERM_MSG_FALLBACK_TO_LOGS);
	pod_free(&p);
	PARSE_OK(POD "    terminationMessagePath: \"\"\n", &p);
	CHECK(p.containers[0].term_msg_path == NULL);
	pod_free(&p);
	/* a name with dots is not a climb */
	PARSE_OK(POD "    terminationMessagePath: /var/..log/x..y\n", &p);
	CHECK_STR(p.containers[0].term_msg_path, "/var/..log/x..y");
	pod_free(&p);
}

TEST(test_lifecycle_hooks_mapped)
{
	struct pod p;
	const struct lifecycle *l;

	PARSE_OK(POD "    lifecycle:\n      postStart:\n        exec:\n"
	    "          command: [sh, -c, \"touch /x\"]\n"
	    "      preStop:\n        sleep:\n          seconds: 5\n", &p);
	l = &p.containers[0].lifecycle;
	CHECK_EQ_INT(l->post_start.kind, HANDLER_EXEC);
	CHECK_EQ_INT(l->post_start.exec_command.n, 3);
	CHECK_STR(l->post_start.exec_command.v[2], "touch /x");
	CHECK_EQ_INT(l->pre_stop.kind, HANDLER_SLEEP);
	CHECK_EQ_INT(l->pre_stop.sleep_s, 5);
	pod_free(&p);
	PARSE_OK(POD "    ports:\n    - containerPort: 80\n      name: web\n"
	    "    lifecycle:\n      preStop:\n        httpGet:\n"
	    "          port: web\n          path: /bye\n", &p);
	CHECK_EQ_INT(p.containers[0].lifecycle.pre_stop.kind,
	    HANDLER_HTTP_GET);
	CHECK_STR(p.containers[0].lifecycle.pre_stop.http_path, "/bye");
	pod_free(&p);
	PARSE_OK(POD "    lifecycle: {}\n", &p);
	CHECK_EQ_INT(p.containers[0].lifecycle.post_start.kind, HANDLER_NONE);
	CHECK_EQ_INT(p.containers[0].lifecycle.pre_stop.kind, HANDLER_NONE);
	pod_free(&p);
}

TEST(test_lifecycle_hook_rules)
{
	REJECTED(POD "    lifecycle:\n      preStop: {}\n",
	    "spec.containers[0].lifecycle.preStop", "must specify a handler");
	REJECTED(POD "    lifecycle:\n      preStop:\n        exec:\n"
	    "          command: [x]\n        sleep:\n          seconds: 1\n",
	    "spec.containers[0].lifecycle.preStop.sleep",
	    "more than 1 handler");
	REJECTED(POD "    lifecycle:\n      postStart:\n        exec: {}\n",
	    "spec.containers[0].lifecycle.postStart.exec.command",
	    "required");
	REJECTED(POD "    lifecycle:\n      preStop:\n        sleep:\n"
	    "          seconds: 0\n",
	    "spec.containers[0].lifecycle.preStop.sleep.seconds",
	    "greater than 0");
	REJECTED(POD "    lifecycle:\n      preStop:\n        sleep: {}\n",
	    "spec.containers[0].lifecycle.preStop.sleep.seconds", "required");
	REJECTED(POD "    lifecycle:\n      preStop:\n        tcpSocket:\n"
	    "          port: 80\n",
	    "spec.containers[0].lifecycle.preStop.tcpSocket", "deprecated");
	REJECTED(POD "    lifecycle:\n      postStart:\n        httpGet:\n"
	    "          port: web\n",
	    "spec.containers[0].lifecycle.postStart.httpGet.port",
	    "names no port of the container");
	REJECTED(POD "    lifecycle:\n      stopSignal: SIGUSR1\n",
	    "spec.containers[0].lifecycle.stopSignal", "not supported");
	REJECTED(POD "    lifecycle:\n      onExit: {exec: {command: [x]}}\n",
	    "spec.containers[0].lifecycle.onExit", "unknown field");
}

TEST(test_termination_message_path_rules)
{
	struct pod p;

	REJECTED(POD "    terminationMessagePath: dev/log\n",
	    "spec.containers[0].terminationMessagePath", "absolute path");
	REJECTED(POD "    terminationMessagePath: /tmp/../etc/shadow\n",
	    "spec.containers[0].terminationMessagePath", "'..'");
	REJECTED(POD "    terminationMessagePath: /tmp/..\n",
	    "spec.containers[0].terminationMessagePath", "'..'");
	REJECTED(POD "    terminationMessagePath: /tmp/\n",
	    "spec.containers[0].terminationMessagePath", "name a file");
	REJECTED(POD "    terminationMessagePath: /\n",
	    "spec.containers[0].terminationMessagePath", "name a file");
	REJECTED(POD "    terminationMessagePath: /proc/1/environ\n",
	    "spec.containers[0].terminationMessagePath", "/proc or /sys");
	REJECTED(POD "    terminationMessagePath: /sys\n",
	    "spec.containers[0].terminationMessagePath", "/proc or /sys");
	REJECTED(POD "    terminationMessagePath: /etc/hosts\n",
	    "spec.containers[0].terminationMessagePath", "/etc/hosts");
	REJECTED(POD "    terminationMessagePath: 3\n",
	    "spec.containers[0].terminationMessagePath", "string");
	PARSE_OK(fmt(POD "    terminationMessagePath: /%s\n",
	    rep('d', POD_MAX_PATH - 2)), &p);
	pod_free(&p);
	REJECTED(fmt(POD "    terminationMessagePath: /%s\n",
	    rep('d', POD_MAX_PATH - 1)),
	    "spec.containers[0].terminationMessagePath", "no more than 1023");
	REJECTED(POD "    terminationMessagePolicy: Always\n",
	    "spec.containers[0].terminationMessagePolicy",
	    "must be File or FallbackToLogsOnError");
}

TEST(test_probe_grpc_accepted_in_manifest)
{
	struct pod p;

	PARSE_OK(POD "    livenessProbe:\n      grpc:\n        port: 80\n", &p);
	CHECK_EQ_INT(p.containers[0].liveness.h.kind, HANDLER_GRPC);
	pod_free(&p);
}

/* ------------------------------------------------------------------ */
/* invalid manifests                                                   */

TEST(test_not_a_pod_rejected)
{
	REJECTED("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
	    "  name: web\n", "kind", "kind \"Deployment\" is not supported");
	REJECTED("apiVersion: v1\nkind: PodList\nitems: []\n", "kind",
	    "exactly one Pod");
	REJECTED("apiVersion: v1\nmetadata:\n  name: web\n", "kind",
	    "required");
	REJECTED("apiVersion: v1\nkind: [Pod]\n", "kind", "a list");
}

TEST(test_wrong_api_version_rejected)
{
	REJECTED("apiVersion: apps/v1\nkind: Pod\n", "apiVersion",
	    "apiVersion \"apps/v1\" is not supported");
	REJECTED("apiVersion: v2\nkind: Pod\n", "apiVersion", "not supported");
	REJECTED("kind: Pod\nmetadata:\n  name: x\n", "apiVersion",
	    "required");
}

TEST(test_not_a_map_rejected)
{
	REJECTED("just some words\n", "", "must be a map holding one Pod, "
	    "got a string");
	REJECTED("- a\n- b\n", "", "got a list");
}

TEST(test_missing_name_rejected)
{
	REJECTED("apiVersion: v1\nkind: Pod\nspec:\n" APP, "metadata.name",
	    "required");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\n"
	    "spec:\n" APP, "metadata.name", "required");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"\"\n"
	    "spec:\n" APP, "metadata.name", "required");
}

TEST(test_missing_containers_rejected)
{
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n",
	    "spec.containers", "required");
	REJECTED(HEAD "  restartPolicy: Never\n", "spec.containers",
	    "required");
}

TEST(test_empty_containers_rejected)
{
	REJECTED(HEAD "  containers: []\n", "spec.containers",
	    "at least one container");
}

TEST(test_duplicate_container_names_rejected)
{
	REJECTED(HEAD "  containers:\n  - name: web\n    image: a\n"
	    "  - name: web\n    image: b\n", "spec.containers[1].name",
	    "duplicate container name \"web\"");
}

TEST(test_missing_or_empty_image_rejected)
{
	REJECTED(HEAD "  containers:\n  - name: app\n",
	    "spec.containers[0].image", "required");
	REJECTED(HEAD "  containers:\n  - name: app\n    image: \"\"\n",
	    "spec.containers[0].image", "required");
	REJECTED(HEAD "  containers:\n  - name: app\n    image: \"a b\"\n",
	    "spec.containers[0].image", "whitespace");
	REJECTED(HEAD "  containers:\n  - image: nginx\n",
	    "spec.containers[0].name", "required");
}

TEST(test_non_dns_names_rejected)
{
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web\nspec:\n"
	    APP, "metadata.name", "invalid pod name \"Web\"");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web_1\n"
	    "spec:\n" APP, "metadata.name", "RFC 1123 subdomain");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: -web\n"
	    "spec:\n" APP, "metadata.name", "RFC 1123 subdomain");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a..b\n"
	    "spec:\n" APP, "metadata.name", "RFC 1123 subdomain");
	REJECTED(HEAD "  containers:\n  - name: my.app\n    image: a\n",
	    "spec.containers[0].name", "RFC 1123 label");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  namespace: Prod\nspec:\n" APP, "metadata.namespace",
	    "RFC 1123 label");
}

TEST(test_dotted_pod_name_accepted)
{
	struct pod p;

	PARSE_OK("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web.v2-a\n"
	    "spec:\n" APP, &p);
	CHECK_STR(p.name, "web.v2-a-" NODE);
	pod_free(&p);
}

TEST(test_invalid_labels_rejected)
{
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  labels:\n    \"-app\": x\nspec:\n" APP, "metadata.labels",
	    "invalid label key \"-app\": name part");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  labels:\n    Example.com/app: x\nspec:\n" APP,
	    "metadata.labels", "prefix part");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  labels:\n    a/b/c: x\nspec:\n" APP, "metadata.labels",
	    "one '/'");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  labels:\n    app: \"a b\"\nspec:\n" APP, "metadata.labels",
	    "invalid value for label \"app\"");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  annotations:\n    \"bad key\": x\nspec:\n" APP,
	    "metadata.annotations", "invalid annotation key \"bad key\"");
}

/* ------------------------------------------------------------------ */
/* limits of include/pod.h, at the limit and one past it               */

static char *
pod_named(const char *name)
{
	return fmt("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n"
	    APP, name);
}

static char *
api_pod_named(const char *name)
{
	return fmt("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"%s\",\"uid\":\"u-1\"},\"spec\":{\"containers\":"
	    "[{\"name\":\"a\",\"image\":\"b\"}]}}", name);
}

/* "default" + '_' + name + '_' + "u-1" is one file name (NAME_MAX) */
#define API_NAME_FITS	(POD_MAX_LOGDIR_NAME - 7 - 3 - 2)

TEST(test_pod_name_limit)
{
	struct pod p;

	JSON_OK(api_pod_named(rep('a', API_NAME_FITS)), &p);
	CHECK_EQ_INT(strlen(p.name), API_NAME_FITS);
	pod_free(&p);
	JSON_REJECTED(api_pod_named(rep('a', API_NAME_FITS + 1)),
	    "metadata.name", "log directory <namespace>_<name>_<uid> would "
	    "be 256 characters");
	JSON_REJECTED(api_pod_named(rep('a', POD_MAX_NAME + 1)),
	    "metadata.name", "no more than 253 characters");
}

/* a static pod's uid is 32 hex digits: 214 characters for its full name */
TEST(test_static_pod_name_limit_is_the_log_directory)
{
	size_t fits = POD_MAX_LOGDIR_NAME - 7 - 32 - 2 - 1 - strlen(NODE);
	struct pod p;

	PARSE_OK(pod_named(rep('a', fits)), &p);
	CHECK_EQ_INT(strlen(p.name), fits + 1 + strlen(NODE));
	pod_free(&p);
	REJECTED(pod_named(rep('a', fits + 1)), "metadata.name",
	    "the name may have at most 214 here");
}

TEST(test_static_pod_name_limit_includes_node_suffix)
{
	size_t fits = POD_MAX_NAME - 1 - strlen(NODE);

	/* past the DNS limit with its suffix: that reason comes first */
	REJECTED(pod_named(rep('a', fits + 1)), "metadata.name",
	    "static pod name");
}

TEST(test_container_name_limit)
{
	struct pod p;

	PARSE_OK(fmt(HEAD "  containers:\n  - name: %s\n    image: a\n",
	    rep('c', POD_MAX_LABEL)), &p);
	pod_free(&p);
	REJECTED(fmt(HEAD "  containers:\n  - name: %s\n    image: a\n",
	    rep('c', POD_MAX_LABEL + 1)), "spec.containers[0].name",
	    "no more than 63 characters");
}

static char *
pod_with_containers(int n)
{
	struct sb b = { 0 };
	int i;

	sb_add(&b, HEAD "  containers:\n");
	for (i = 0; i < n; i++)
		sb_add(&b, "  - name: c%d\n    image: a\n", i);
	return sb_done(&b);
}

TEST(test_container_count_limit)
{
	struct pod p;

	PARSE_OK(pod_with_containers(POD_MAX_CONTAINERS), &p);
	CHECK_EQ_INT(p.n_containers, POD_MAX_CONTAINERS);
	pod_free(&p);
	REJECTED(pod_with_containers(POD_MAX_CONTAINERS + 1),
	    "spec.containers", "too many containers: 17, at most 16");
}

TEST(test_namespace_limit)
{
	struct pod p;

	PARSE_OK(fmt("apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\n"
	    "  namespace: %s\nspec:\n" APP, rep('n', POD_MAX_LABEL)), &p);
	pod_free(&p);
	REJECTED(fmt("apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\n"
	    "  namespace: %s\nspec:\n" APP, rep('n', POD_MAX_LABEL + 1)),
	    "metadata.namespace", "no more than 63");
}

static char *
pod_with_label(const char *key, const char *value)
{
	return fmt("apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\n"
	    "  labels:\n    \"%s\": \"%s\"\nspec:\n" APP, key, value);
}

TEST(test_label_key_limits)
{
	struct pod p;
	char *prefix = rep('p', POD_MAX_NAME);

	/* the longest key: a 253 prefix, '/', a 63 name = POD_MAX_KEY */
	PARSE_OK(pod_with_label(fmt("%s/%s", prefix, rep('n', 63)), "v"), &p);
	CHECK_EQ_INT(strlen(p.labels[0].key), POD_MAX_KEY);
	pod_free(&p);
	REJECTED(pod_with_label(fmt("%s/%s", prefix, rep('n', 64)), "v"),
	    "metadata.labels", "no more than 317 characters");
	REJECTED(pod_with_label(rep('n', 64), "v"), "metadata.labels",
	    "name part must be no more than 63");
	REJECTED(pod_with_label(fmt("p%s/n", prefix), "v"), "metadata.labels",
	    "prefix part must be no more than 253");
}

TEST(test_label_value_limit)
{
	struct pod p;

	PARSE_OK(pod_with_label("k", rep('v', POD_MAX_LABEL_VALUE)), &p);
	pod_free(&p);
	REJECTED(pod_with_label("k", rep('v', POD_MAX_LABEL_VALUE + 1)),
	    "metadata.labels", "no more than 63 characters");
}

static char *
pod_with_meta(const char *what, int n, size_t value_len)
{
	struct sb b = { 0 };
	char *v = rep('v', value_len);
	int i;

	sb_add(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\n  %s:\n",
	    what);
	for (i = 0; i < n; i++)
		sb_add(&b, "    k%02d: %s\n", i, v);
	sb_add(&b, "spec:\n" APP);
	return sb_done(&b);
}

TEST(test_label_count_limit)
{
	struct pod p;

	PARSE_OK(pod_with_meta("labels", POD_MAX_META, 1), &p);
	CHECK_EQ_INT(p.n_labels, POD_MAX_META);
	pod_free(&p);
	REJECTED(pod_with_meta("labels", POD_MAX_META + 1, 1),
	    "metadata.labels", "too many labels: 65, at most 64");
}

TEST(test_static_annotation_count_limit_leaves_room)
{
	struct pod p;
	int own = POD_MAX_META - 3;

	PARSE_OK(pod_with_meta("annotations", own, 1), &p);
	CHECK_EQ_INT(p.n_annotations, POD_MAX_META - 1);
	/* the watcher's config.seen takes the last place */
	CHECK_EQ_INT(manifest_static_seen(&p, "2026-01-01T00:00:00Z"), 0);
	CHECK_EQ_INT(p.n_annotations, POD_MAX_META);
	pod_free(&p);
	REJECTED(pod_with_meta("annotations", own + 1, 1),
	    "metadata.annotations", "at most 61 of its own");
	REJECTED(pod_with_meta("annotations", POD_MAX_META + 1, 1),
	    "metadata.annotations", "too many annotations: 65, at most 64");
}

static char *
api_pod_with_annotations(int n)
{
	struct sb b = { 0 };
	int i;

	sb_add(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"w\",\"uid\":\"u\",\"annotations\":{");
	for (i = 0; i < n; i++)
		sb_add(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
	sb_add(&b, "}},\"spec\":{\"containers\":[{\"name\":\"a\","
	    "\"image\":\"b\"}]}}");
	return sb_done(&b);
}

TEST(test_api_annotation_count_limit)
{
	struct pod p;

	JSON_OK(api_pod_with_annotations(POD_MAX_META), &p);
	CHECK_EQ_INT(p.n_annotations, POD_MAX_META);
	pod_free(&p);
	JSON_REJECTED(api_pod_with_annotations(POD_MAX_META + 1),
	    "metadata.annotations", "too many annotations");
}

TEST(test_annotation_value_limit)
{
	struct pod p;

	PARSE_OK(pod_with_meta("annotations", 1, POD_MAX_ANNOT_VALUE - 1), &p);
	CHECK_EQ_INT(strlen(annotation(&p, "k00")), POD_MAX_ANNOT_VALUE - 1);
	pod_free(&p);
	REJECTED(pod_with_meta("annotations", 1, POD_MAX_ANNOT_VALUE),
	    "metadata.annotations", "value of annotation \"k00\" must be no "
	    "more than 16383");
}

TEST(test_annotation_total_size_limit)
{
	struct pod p;
	struct sb b = { 0 };
	/* 16 x ("kNN" + 16381) = 262144 bytes, Kubernetes' total limit */
	char *v = rep('v', 16381);
	int i;

	PARSE_OK(pod_with_meta("annotations", 16, 16381), &p);
	pod_free(&p);
	sb_add(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\n"
	    "  annotations:\n");
	for (i = 0; i < 16; i++)
		sb_add(&b, "    k%02d: %s%s\n", i, v, i == 15 ? "v" : "");
	sb_add(&b, "spec:\n" APP);
	REJECTED(sb_done(&b), "metadata.annotations",
	    "annotations are too long");
}

static char *
pod_with_env(int n, size_t name_len, size_t value_len)
{
	struct sb b = { 0 };
	char *name = rep('E', name_len), *v = rep('v', value_len);
	int i;

	sb_add(&b, POD "    env:\n");
	for (i = 0; i < n; i++)
		sb_add(&b, "    - name: %s%d\n      value: \"%s\"\n", name, i,
		    v);
	return sb_done(&b);
}

TEST(test_env_count_limit)
{
	struct pod p;

	PARSE_OK(pod_with_env(POD_MAX_ENV, 1, 1), &p);
	CHECK_EQ_INT(p.containers[0].n_env, POD_MAX_ENV);
	pod_free(&p);
	REJECTED(pod_with_env(POD_MAX_ENV + 1, 1, 1), "spec.containers[0].env",
	    "too many environment variables: 257, at most 256");
}

TEST(test_env_name_and_value_limits)
{
	struct pod p;

	/* the generated name is the letters plus the digit "0" */
	PARSE_OK(pod_with_env(1, POD_MAX_ENV_NAME - 2, POD_MAX_ENV_VALUE - 1),
	    &p);
	CHECK_EQ_INT(strlen(p.containers[0].env[0].key), POD_MAX_ENV_NAME - 1);
	CHECK_EQ_INT(strlen(p.containers[0].env[0].value),
	    POD_MAX_ENV_VALUE - 1);
	pod_free(&p);
	REJECTED(pod_with_env(1, POD_MAX_ENV_NAME - 1, 1),
	    "spec.containers[0].env[0].name", "no more than 255");
	REJECTED(pod_with_env(1, 1, POD_MAX_ENV_VALUE),
	    "spec.containers[0].env[0].value", "no more than 32767");
}

static char *
pod_with_args(int n, size_t len)
{
	struct sb b = { 0 };
	char *a = rep('a', len);
	int i;

	sb_add(&b, POD "    args:\n");
	for (i = 0; i < n; i++)
		sb_add(&b, "    - %s\n", a);
	return sb_done(&b);
}

TEST(test_args_count_and_length_limits)
{
	struct pod p;

	PARSE_OK(pod_with_args(POD_MAX_ARGS, 1), &p);
	CHECK_EQ_INT(p.containers[0].args.n, POD_MAX_ARGS);
	pod_free(&p);
	REJECTED(pod_with_args(POD_MAX_ARGS + 1, 1), "spec.containers[0].args",
	    "too many strings: 257, at most 256");
	PARSE_OK(pod_with_args(1, POD_MAX_ARG - 1), &p);
	pod_free(&p);
	REJECTED(pod_with_args(2, POD_MAX_ARG), "spec.containers[0].args[0]",
	    "no more than 4095");
}

static char *
pod_with_ports(int n)
{
	struct sb b = { 0 };
	int i;

	sb_add(&b, POD "    ports:\n");
	for (i = 0; i < n; i++)
		sb_add(&b, "    - containerPort: %d\n", 1000 + i);
	return sb_done(&b);
}

TEST(test_port_count_limit)
{
	struct pod p;

	PARSE_OK(pod_with_ports(POD_MAX_PORTS), &p);
	CHECK_EQ_INT(p.containers[0].n_ports, POD_MAX_PORTS);
	pod_free(&p);
	REJECTED(pod_with_ports(POD_MAX_PORTS + 1), "spec.containers[0].ports",
	    "too many ports: 65, at most 64");
}

static char *
pod_with_caps(int n)
{
	struct sb b = { 0 };
	int i;

	sb_add(&b, POD "    securityContext:\n      capabilities:\n"
	    "        drop:\n");
	for (i = 0; i < n; i++)
		sb_add(&b, "        - KILL\n");
	return sb_done(&b);
}

TEST(test_capability_count_limit)
{
	struct pod p;

	PARSE_OK(pod_with_caps(POD_MAX_CAPS), &p);
	pod_free(&p);
	REJECTED(pod_with_caps(POD_MAX_CAPS + 1),
	    "spec.containers[0].securityContext.capabilities.drop",
	    "too many capabilities: 65, at most 64");
}

TEST(test_image_length_limit)
{
	struct pod p;

	PARSE_OK(fmt(HEAD "  containers:\n  - name: a\n    image: %s\n",
	    rep('i', POD_MAX_IMAGE - 1)), &p);
	pod_free(&p);
	REJECTED(fmt(HEAD "  containers:\n  - name: a\n    image: %s\n",
	    rep('i', POD_MAX_IMAGE)), "spec.containers[0].image",
	    "no more than 511");
}

TEST(test_working_dir_length_limit)
{
	struct pod p;

	PARSE_OK(fmt(POD "    workingDir: /%s\n", rep('d', POD_MAX_PATH - 2)),
	    &p);
	CHECK_EQ_INT(strlen(p.containers[0].working_dir), POD_MAX_PATH - 1);
	pod_free(&p);
	REJECTED(fmt(POD "    workingDir: /%s\n", rep('d', POD_MAX_PATH - 1)),
	    "spec.containers[0].workingDir", "no more than 1023");
}

TEST(test_api_uid_limit)
{
	struct pod p;
	char *tmpl = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"w\",\"uid\":\"%s\"},\"spec\":{\"containers\":"
	    "[{\"name\":\"a\",\"image\":\"b\"}]}}";

	JSON_OK(fmt(tmpl, rep('u', POD_MAX_UID)), &p);
	pod_free(&p);
	JSON_REJECTED(fmt(tmpl, rep('u', POD_MAX_UID + 1)), "metadata.uid",
	    "no more than 128");
	JSON_REJECTED(fmt(tmpl, "../etc"), "metadata.uid", "alphanumeric");
}

TEST(test_node_name_limit)
{
	struct manifest_error e;
	struct pod p;
	char *node = rep('n', POD_MAX_NAME + 1);

	CHECK_EQ_INT(parse_static_as(SRC, node, POD, strlen(POD), &p, &e), -1);
	CHECK_STR(e.field, "");
	CHECK(strstr(e.reason, "node name is longer than 253") != NULL);
	/* at the limit the node is fine, but "<name>-<node>" cannot fit */
	node[POD_MAX_NAME] = '\0';
	CHECK_EQ_INT(parse_static_as(SRC, node, POD, strlen(POD), &p, &e), -1);
	CHECK_STR(e.field, "metadata.name");
	CHECK_EQ_INT(parse_static_as(SRC, "bad_node", POD, strlen(POD), &p,
	    &e), -1);
	CHECK(strstr(e.reason, "node name must be a lowercase") != NULL);
}

TEST(test_source_path_limit)
{
	struct manifest_error e;
	struct pod p;
	/* "file:" + path must stay below POD_MAX_SOURCE */
	char *path = fmt("/%s", rep('p', POD_MAX_SOURCE - 1 - 5 - 1));

	CHECK_EQ_INT(parse_static_as(path, NODE, POD, strlen(POD), &p, &e), 0);
	CHECK_EQ_INT(strlen(p.source), POD_MAX_SOURCE - 1);
	pod_free(&p);
	path = fmt("/%s", rep('p', POD_MAX_SOURCE - 1 - 5));
	CHECK_EQ_INT(parse_static_as(path, NODE, POD, strlen(POD), &p, &e), -1);
	CHECK(strstr(e.reason, "source path is longer") != NULL);
}

/* ------------------------------------------------------------------ */
/* wrong types                                                         */

TEST(test_string_for_integer_rejected)
{
	REJECTED(POD "    ports:\n    - containerPort: \"80\"\n",
	    "spec.containers[0].ports[0].containerPort",
	    "expected an integer, got a string");
	REJECTED(POD "    ports:\n    - containerPort: 80.5\n",
	    "spec.containers[0].ports[0].containerPort",
	    "expected an integer, got a fractional number");
}

TEST(test_string_for_boolean_rejected)
{
	REJECTED(POD "  hostNetwork: \"true\"\n", "spec.hostNetwork",
	    "expected a boolean (true or false), got a string");
}

TEST(test_number_for_string_rejected_with_hint)
{
	REJECTED(POD "    env:\n    - name: PORT\n      value: 8080\n",
	    "spec.containers[0].env[0].value",
	    "expected a string, got a number (quote it in YAML)");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: 123\nspec:\n"
	    APP, "metadata.name", "expected a string, got a number");
}

TEST(test_yaml_boolean_label_value_rejected_with_hint)
{
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  labels:\n    enabled: yes\nspec:\n" APP, "metadata.labels",
	    "value of label \"enabled\" must be a string, got a boolean "
	    "(quote it in YAML)");
}

TEST(test_wrong_container_types_rejected)
{
	REJECTED(HEAD "  containers:\n    name: app\n", "spec.containers",
	    "expected a list of containers, got a map");
	REJECTED(POD "    command: \"sleep 1\"\n", "spec.containers[0].command",
	    "expected a list of strings, got a string");
	REJECTED(POD "    command: [sleep, 1]\n",
	    "spec.containers[0].command[1]", "expected a string, got a number");
	REJECTED(HEAD "  containers:\n  - app\n", "spec.containers[0]",
	    "expected a map, got a string");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata: [web]\nspec:\n" APP,
	    "metadata", "expected a map, got a list");
}

/* ------------------------------------------------------------------ */
/* unknown fields                                                      */

TEST(test_unknown_fields_rejected)
{
	REJECTED(POD "  colour: blue\n", "spec.colour", "unknown field");
	REJECTED(POD "    imagePullPolicyy: Always\n",
	    "spec.containers[0].imagePullPolicyy", "unknown field");
	REJECTED(POD "extra: 1\n", "extra", "unknown field");
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  nmae: x\nspec:\n" APP, "metadata.nmae", "unknown field");
	REJECTED(POD "    securityContext:\n      runAsUserr: 1\n",
	    "spec.containers[0].securityContext.runAsUserr", "unknown field");
	REJECTED(POD "    ports:\n    - containerPort: 1\n      hostport: 2\n",
	    "spec.containers[0].ports[0].hostport", "unknown field");
}

TEST(test_unknown_field_name_sanitized_in_error)
{
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"x\\u0001\\n\":1}", "x??", "unknown field");
}

/* ------------------------------------------------------------------ */
/* YAML and JSON hazards                                               */

TEST(test_yaml_alias_bomb_rejected)
{
	static const char bomb[] =
	    "apiVersion: v1\nkind: Pod\n"
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

	REJECTED(bomb, "", "YAML anchors are not supported");
}

TEST(test_yaml_alias_rejected)
{
	REJECTED(POD "    args: [*x]\n", "", "YAML aliases are not supported");
}

TEST(test_yaml_multiple_documents_rejected)
{
	REJECTED(POD "---\n" POD, "", "a second YAML document");
}

TEST(test_yaml_empty_documents_ignored)
{
	struct pod p;

	PARSE_OK("---\n---\n# just a comment\n---\n" POD "---\n", &p);
	CHECK_STR(p.containers[0].name, "app");
	pod_free(&p);
}

TEST(test_empty_input_rejected)
{
	REJECTED("", "", "empty manifest");
	REJECTED("# nothing here\n---\n", "", "empty manifest");
	REJECTED("   \n", "", "empty manifest");
}

TEST(test_yaml_syntax_error_reports_position)
{
	REJECTED(POD "  restartPolicy: [Never\n", "", "YAML syntax error at "
	    "line");
	REJECTED("apiVersion: v1\nkind: Pod\n\tbad: tab\n", "",
	    "YAML syntax error at line 3");
}

TEST(test_duplicate_keys_rejected)
{
	REJECTED(POD "  restartPolicy: Never\n  restartPolicy: Always\n",
	    "spec",
	    "duplicate key \"restartPolicy\"");
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"kind\":\"Pod\"}",
	    "", "duplicate key \"kind\"");
}

TEST(test_yaml_complex_key_rejected)
{
	REJECTED(POD "  ? [a, b]\n  : c\n", "", "a map or list as a key");
}

TEST(test_yaml_1_1_scalars_resolved_like_kubernetes)
{
	struct pod p;

	/* yes/on are booleans; quoted or !!str text stays a string */
	PARSE_OK(POD "    env:\n    - name: A\n      value: \"8080\"\n"
	    "    - name: B\n      value: !!str 0x1F\n"
	    "    - name: C\n      value: 'yes'\n"
	    "  hostNetwork: yes\n  hostPID: on\n  hostIPC: off\n"
	    "  terminationGracePeriodSeconds: 0x1F\n", &p);
	CHECK_STR(p.containers[0].env[0].value, "8080");
	CHECK_STR(p.containers[0].env[1].value, "0x1F");
	CHECK_STR(p.containers[0].env[2].value, "yes");
	CHECK_EQ_INT(p.host_network, 1);
	CHECK_EQ_INT(p.host_pid, 1);
	CHECK_EQ_INT(p.host_ipc, 0);
	CHECK_EQ_INT(p.termination_grace_seconds, 31);
	pod_free(&p);
	PARSE_OK(POD "  terminationGracePeriodSeconds: 1_000\n", &p);
	CHECK_EQ_INT(p.termination_grace_seconds, 1000);
	pod_free(&p);
	PARSE_OK(POD "  terminationGracePeriodSeconds: 010\n", &p);
	/* YAML 1.1 octal */
	CHECK_EQ_INT(p.termination_grace_seconds, 8);
	pod_free(&p);
	REJECTED(POD "  terminationGracePeriodSeconds: .inf\n",
	    "spec.terminationGracePeriodSeconds", "between 0 and");
}

TEST(test_yaml_unsupported_tag_rejected)
{
	REJECTED(POD "    args: [!!binary aGVsbG8=]\n", "",
	    "YAML tag \"tag:yaml.org,2002:binary\" is not supported");
	REJECTED(POD "  hostNetwork: !!bool maybe\n", "",
	    "value does not match its tag");
}

static char *
nested(int json, int depth)
{
	struct sb b = { 0 };
	int i;

	/* the root map is level 1; status adds depth - 1 nested maps */
	sb_add(&b, json ? "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"w\",\"uid\":\"u\"},\"spec\":"
	    "{\"containers\":[{\"name\":\"a\",\"image\":\"b\"}]},"
	    "\"status\":" : POD "status: ");
	for (i = 0; i < depth - 1; i++)
		sb_add(&b, json ? "{\"a\":" : "{a: ");
	sb_add(&b, "1");
	for (i = 0; i < depth - 1; i++)
		sb_add(&b, "}");
	sb_add(&b, json ? "}" : "\n");
	return sb_done(&b);
}

TEST(test_depth_limit)
{
	struct pod p;

	PARSE_OK(nested(0, MANIFEST_MAX_DEPTH), &p);
	pod_free(&p);
	REJECTED(nested(0, MANIFEST_MAX_DEPTH + 1), "",
	    "deeper than 64 levels");
	JSON_OK(nested(1, MANIFEST_MAX_DEPTH), &p);
	pod_free(&p);
	JSON_REJECTED(nested(1, MANIFEST_MAX_DEPTH + 1), "",
	    "deeper than 64 levels");
}

static char *
pod_with_values(int total)
{
	struct sb b = { 0 };
	int i, items = total - 11;

	/* POD has 10 values (the root map included), status 1, then items */
	sb_add(&b, POD "status: [");
	for (i = 0; i < items; i++)
		sb_add(&b, i ? ",1" : "1");
	sb_add(&b, "]\n");
	return sb_done(&b);
}

TEST(test_node_count_limit)
{
	struct pod p;

	PARSE_OK(pod_with_values(MANIFEST_MAX_NODES), &p);
	pod_free(&p);
	REJECTED(pod_with_values(MANIFEST_MAX_NODES + 1), "",
	    "more than 16384 values");
}

TEST(test_invalid_utf8_rejected)
{
	REJECTED(POD "    args: [\"caf\xe9\"]\n", "", "not valid UTF-8");
	REJECTED(POD "    args: [\"\xc0\xaf\"]\n", "", "not valid UTF-8");
	REJECTED(POD "    args: [\"\xed\xa0\x80\"]\n", "", "not valid UTF-8");
	REJECTED("\xff\xfe" "a\0p\0", "", "bad byte 0xff at line 1 column 1");
}

/* the eight-byte ASCII scan: a bad byte or a NUL at every offset mod 8 */
TEST(test_bad_byte_found_at_any_offset)
{
	struct manifest_error e;
	struct pod p;
	char buf[64], want[64];
	int off, nul;

	for (nul = 0; nul < 2; nul++)
		for (off = 0; off < 24; off++) {
			memset(buf, 'a', sizeof(buf));
			buf[off] = nul ? '\0' : (char)0xe9;
			CHECK_EQ_INT(manifest_parse_static(SRC, (uint8_t *)buf,
			    sizeof(buf), NODE, &p, &e), -1);
			snprintf(want, sizeof(want), "bad byte 0x%s at line 1 "
			    "column %d", nul ? "00" : "e9", off + 1);
			CHECK(strstr(e.reason, want) != NULL);
		}
}

TEST(test_valid_utf8_kept)
{
	struct pod p;

	PARSE_OK(POD "    args: [\"caf\xc3\xa9 \xf0\x9f\x9a\x80\"]\n", &p);
	CHECK_STR(p.containers[0].args.v[0], "caf\xc3\xa9 \xf0\x9f\x9a\x80");
	pod_free(&p);
}

TEST(test_binary_garbage_rejected)
{
	static const uint8_t garbage[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n', 0x00, 0x00, 0x00, 0x0d, 'I', 'H', 'D', 'R' };
	static const uint8_t nul[] = { 'k', 'i', 'n', 'd', ':', ' ', 0x00 };
	struct manifest_error e;
	struct pod p;

	CHECK_EQ_INT(manifest_parse_static(SRC, garbage, sizeof(garbage),
	    NODE, &p, &e), -1);
	CHECK_STR(e.field, "");
	CHECK(strstr(e.reason, "not valid UTF-8") != NULL);
	CHECK_EQ_INT(manifest_parse_static(SRC, nul, sizeof(nul), NODE, &p,
	    &e), -1);
	CHECK(strstr(e.reason, "bad byte 0x00") != NULL);
	CHECK_EQ_INT(manifest_parse_pod_json(garbage, sizeof(garbage), &p,
	    &e), -1);
	CHECK(strstr(e.reason, "not valid UTF-8") != NULL);
}

TEST(test_yaml_nul_escape_rejected)
{
	REJECTED(POD "    args: [\"a\\0b\"]\n", "", "NUL characters");
}

TEST(test_oversize_input_rejected)
{
	struct manifest_error e;
	struct pod p;
	char *buf = malloc(MANIFEST_MAX_BYTES + 1);
	size_t head = strlen(POD);

	REQUIRE(buf != NULL);
	/* exactly MANIFEST_MAX_BYTES: the pod, then one long comment line */
	memcpy(buf, POD, head);
	buf[head] = '#';
	memset(buf + head + 1, 'x', MANIFEST_MAX_BYTES - head - 2);
	buf[MANIFEST_MAX_BYTES - 1] = '\n';
	CHECK_EQ_INT(parse_static_as(SRC, NODE, buf, MANIFEST_MAX_BYTES, &p,
	    &e), 0);
	pod_free(&p);
	buf[MANIFEST_MAX_BYTES - 1] = 'x';
	buf[MANIFEST_MAX_BYTES] = '\n';
	CHECK_EQ_INT(parse_static_as(SRC, NODE, buf, MANIFEST_MAX_BYTES + 1,
	    &p, &e), -1);
	CHECK_STR(e.field, "");
	CHECK(strstr(e.reason, "524289 bytes, more than the 524288") != NULL);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

#define JSON_POD "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":" \
	"{\"name\":\"web\",\"namespace\":\"prod\",\"uid\":" \
	"\"6b0c3e5e-1f3a-4f4b-9d55-2f0d6b1c9a10\",\"labels\":{\"app\":" \
	"\"web\"}},\"spec\":{\"nodeName\":\"node-7\",\"containers\":" \
	"[{\"name\":\"app\",\"image\":\"nginx\",\"resources\":{\"limits\":" \
	"{\"memory\":134217728,\"cpu\":\"1\"}}}]},\"status\":" \
	"{\"phase\":\"Running\"}}"

TEST(test_api_pod_json_parsed_without_static_renaming)
{
	struct pod p;

	JSON_OK(JSON_POD, &p);
	CHECK_STR(p.name, "web");
	CHECK_STR(p.namespace, "prod");
	CHECK_STR(p.uid, "6b0c3e5e-1f3a-4f4b-9d55-2f0d6b1c9a10");
	CHECK_STR(p.source, "api");
	CHECK_STR(p.node_name, "node-7");
	CHECK_EQ_INT(p.n_annotations, 0);
	CHECK_EQ_INT(p.containers[0].pull_policy, PULL_ALWAYS);
	CHECK_EQ_INT(p.containers[0].res.mem_limit_bytes, 134217728);
	CHECK_EQ_INT(p.containers[0].res.cpu_request_milli, 1000);
	pod_free(&p);
}

TEST(test_api_pod_json_requires_uid)
{
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"w\"},\"spec\":{\"containers\":[{\"name\":\"a\","
	    "\"image\":\"b\"}]}}", "metadata.uid", "required");
}

TEST(test_api_pod_json_unscheduled_has_empty_node)
{
	struct pod p;

	JSON_OK(api_pod_named("w"), &p);
	CHECK_STR(p.node_name, "");
	pod_free(&p);
}

TEST(test_parse_pod_json_refuses_yaml)
{
	JSON_REJECTED(POD, "", "JSON syntax error at line 1 column 1");
}

TEST(test_static_json_manifest_parsed)
{
	struct pod p;

	PARSE_OK(fmt("  \n%s", api_pod_named("web")), &p);
	CHECK_STR(p.name, "web-" NODE);
	CHECK_STR(p.containers[0].image, "b");
	CHECK_STR(p.uid, "u-1");	/* the file's, the kubelet keeps it */
	pod_free(&p);
}

TEST(test_json_trailing_data_rejected)
{
	REJECTED(JSON_POD "\n" JSON_POD, "", "unexpected data after the JSON "
	    "object at line 2 column 1");
	JSON_REJECTED(JSON_POD " x", "", "unexpected data");
}

TEST(test_json_trailing_whitespace_accepted)
{
	struct pod p;

	JSON_OK(JSON_POD " \r\n\t\n", &p);
	pod_free(&p);
}

TEST(test_json_syntax_error_reports_position)
{
	JSON_REJECTED("{\"apiVersion\":\"v1\",\n\"kind\":Pod}", "",
	    "JSON syntax error at line 2");
}

TEST(test_json_nul_escape_rejected)
{
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"web\\u0000evil\"}}", "", "\\u0000");
	/* an escaped backslash followed by text is not an escape */
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"web\\\\u0000\"}}", "metadata.name",
	    "invalid pod name");
	/* an escaped backslash, then an escape: \\ and \u0000 */
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"web\\\\\\u0000\"}}", "", "\\u0000");
	/* one at the very start of a string */
	JSON_REJECTED("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"\\u0000\"}}", "", "\\u0000");
}

/* ------------------------------------------------------------------ */
/* static pod identity                                                 */

TEST(test_static_pod_identity)
{
	struct pod p;

	PARSE_OK(POD, &p);
	CHECK_STR(p.name, "web-node-1");
	CHECK_STR(p.node_name, NODE);
	CHECK_STR(p.source, "file:" SRC);
	CHECK_STR(annotation(&p, "kubernetes.io/config.hash"), p.uid);
	CHECK_STR(annotation(&p, "kubernetes.io/config.source"), "file");
	pod_free(&p);
}

TEST(test_static_uid_is_a_hex_md5)
{
	const char *parts[] = { POD, "host:", NODE, "file:", SRC };
	size_t lens[5];
	char bytes_md5[33];
	struct pod p;
	int i;

	for (i = 0; i < 5; i++)
		lens[i] = strlen(parts[i]);
	md5_hex(parts, 5, lens, bytes_md5);
	PARSE_OK(POD, &p);
	CHECK_EQ_INT(strlen(p.uid), 32);
	CHECK(strspn(p.uid, "0123456789abcdef") == 32);
	/* of the decoded pod, no longer of the file's bytes */
	CHECK(strcmp(p.uid, bytes_md5) != 0);
	pod_free(&p);
}

TEST(test_static_uid_stable_for_same_bytes)
{
	struct pod a, b;

	PARSE_OK(POD, &a);
	PARSE_OK(POD, &b);
	CHECK_STR(a.uid, b.uid);
	pod_free(&a);
	pod_free(&b);
}

TEST(test_static_uid_changes_with_content_node_or_path)
{
	struct manifest_error e;
	struct pod a, b, c, d;

	PARSE_OK(POD, &a);
	PARSE_OK(HEAD "  restartPolicy: Never\n" APP, &b);
	CHECK(strcmp(a.uid, b.uid) != 0);
	REQUIRE(parse_static_as(SRC, "node-2", POD, strlen(POD), &c, &e) == 0);
	CHECK(strcmp(a.uid, c.uid) != 0);
	REQUIRE(parse_static_as("/etc/other.yaml", NODE, POD, strlen(POD), &d,
	    &e) == 0);
	CHECK(strcmp(a.uid, d.uid) != 0);
	pod_free(&a);
	pod_free(&b);
	pod_free(&c);
	pod_free(&d);
}

/* the kubelet hashes the decoded object: the bytes' form is no change */
TEST(test_static_uid_same_for_comment_format_and_map_order)
{
	const char *base = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  labels:\n    a: \"1\"\n    b: \"2\"\nspec:\n" APP;
	const char *edited = "# managed by hand\napiVersion: v1\nkind: Pod\n"
	    "metadata:\n  labels: {b: '2', a: '1'}   # reordered\n"
	    "  name: web\nspec:\n  containers:\n  - image: nginx:1.25\n"
	    "    name: app\n";
	const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"web\",\"labels\":{\"a\":\"1\","
	    "\"b\":\"2\"}},\"spec\":{\"containers\":[{\"name\":\"app\","
	    "\"image\":\"nginx:1.25\"}]}}";
	struct pod a, b, c, d;

	PARSE_OK(base, &a);
	PARSE_OK(edited, &b);
	PARSE_OK(json, &c);
	CHECK_STR(a.uid, b.uid);
	CHECK_STR(a.uid, c.uid);
	/* a label's value is part of the pod */
	PARSE_OK("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  labels:\n    a: \"1\"\n    b: \"3\"\nspec:\n" APP, &d);
	CHECK(strcmp(a.uid, d.uid) != 0);
	pod_free(&a);
	pod_free(&b);
	pod_free(&c);
	pod_free(&d);
}

TEST(test_priority_class_name_mapped_and_checked)
{
	struct pod p;

	PARSE_OK(POD "  priorityClassName: system-node-critical\n", &p);
	CHECK_STR(p.priority_class_name, "system-node-critical");
	pod_free(&p);
	PARSE_OK(POD "  priorityClassName: \"\"\n", &p);
	CHECK(p.priority_class_name == NULL);
	pod_free(&p);
	REJECTED(POD "  priorityClassName: Not_Valid\n",
	    "spec.priorityClassName", "RFC 1123 subdomain");
}

/* the list order of env is the pod's: it changes the uid */
TEST(test_static_uid_changes_with_env_order)
{
	struct pod a, b;

	PARSE_OK(HEAD "  containers:\n  - name: app\n    image: nginx:1.25\n"
	    "    env:\n    - {name: A, value: ax}\n"
	    "    - {name: B, value: by}\n", &a);
	PARSE_OK(HEAD "  containers:\n  - name: app\n    image: nginx:1.25\n"
	    "    env:\n    - {name: B, value: by}\n"
	    "    - {name: A, value: ax}\n", &b);
	CHECK(strcmp(a.uid, b.uid) != 0);
	pod_free(&a);
	pod_free(&b);
}

TEST(test_static_seen_timestamp_is_rfc3339_utc)
{
	char buf[MANIFEST_SEEN_MAX];
	size_t n;

	CHECK_EQ_INT(manifest_seen_now(buf, sizeof(buf)), 0);
	n = strlen(buf);
	CHECK(n >= 20 && n <= 30);
	CHECK(buf[4] == '-' && buf[10] == 'T' && buf[n - 1] == 'Z');
	/* the fraction has no trailing zero, as Go's .999999999 */
	CHECK(buf[n - 2] != '0' || buf[n - 3] == ':');
	CHECK_EQ_INT(manifest_seen_now(buf, 20), -1);
}

TEST(test_static_name_lowercases_node_name)
{
	struct manifest_error e;
	struct pod p;

	REQUIRE(parse_static_as(SRC, "Node-A.Example", POD, strlen(POD), &p,
	    &e) == 0);
	CHECK_STR(p.name, "web-node-a.example");
	CHECK_STR(p.node_name, "Node-A.Example");
	pod_free(&p);
}

/* applyDefaults: len(pod.UID) == 0 only derives one */
TEST(test_static_file_uid_kept_and_hash_annotation_overridden)
{
	struct pod p, q;

	PARSE_OK("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  uid: my-own-uid\n  annotations:\n"
	    "    kubernetes.io/config.hash: forged\nspec:\n" APP, &p);
	CHECK_STR(p.uid, "my-own-uid");
	CHECK_STR(annotation(&p, "kubernetes.io/config.hash"), p.uid);
	CHECK_EQ_INT(p.n_annotations, 2);
	pod_free(&p);
	/* an empty one is no uid */
	PARSE_OK("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  uid: \"\"\nspec:\n" APP, &p);
	PARSE_OK(POD, &q);
	CHECK_STR(p.uid, q.uid);
	pod_free(&p);
	pod_free(&q);
	REJECTED("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  uid: ../etc\nspec:\n" APP, "metadata.uid", "alphanumeric");
}

/* applyDefaults sets spec.nodeName to this node, whatever it said */
TEST(test_static_spec_node_name_is_set_to_this_node)
{
	struct pod p, q;

	PARSE_OK(POD "  nodeName: " NODE "\n", &p);
	CHECK_STR(p.node_name, NODE);
	pod_free(&p);
	PARSE_OK(POD "  nodeName: node-2\n", &p);
	CHECK_STR(p.node_name, NODE);
	/* as decoded, it is part of the pod's hash */
	PARSE_OK(POD, &q);
	CHECK(strcmp(p.uid, q.uid) != 0);
	pod_free(&p);
	pod_free(&q);
}

/* ------------------------------------------------------------------ */
/* Kubernetes' own test data (hack/testdata), kept in the repository  */

/* relative to the top of the repository, where make and pytest run us */
#define FIXTURES_DIR	"tests/fixtures/k8s/hack-testdata"

static char *
fixture_path(const char *name)
{
	const char *env = getenv(FIXTURES_ENV);
	char *path;

	path = fmt("%s/%s", env != NULL ? env : FIXTURES_DIR, name);
	if (access(path, R_OK) == 0)
		return path;
	fprintf(stderr, "fixture %s not found (run from the top of the "
	    "repository, or set %s)\n", path, FIXTURES_ENV);
	exit(1);
}

static int
parse_fixture(const char *name, struct pod *p, struct manifest_error *e)
{
	char *path = fixture_path(name), *buf;
	FILE *f;
	size_t n;
	int rc;

	REQUIRE((f = fopen(path, "rb")) != NULL);
	REQUIRE((buf = malloc(MANIFEST_MAX_BYTES)) != NULL);
	n = fread(buf, 1, MANIFEST_MAX_BYTES, f);
	fclose(f);
	rc = parse_static_as(path, NODE, buf, n, p, e);
	free(buf);
	return rc;
}

#define FIXTURE_OK(name, p) do {					\
	struct manifest_error _e;					\
	if (parse_fixture((name), (p), &_e) != 0) {			\
		fprintf(stderr, "%s: rejected: [%s] %s\n", name,	\
		    _e.field, _e.reason);				\
		exit(1);						\
	}								\
} while (0)

#define FIXTURE_REJECTED(name, field, sub) do {				\
	struct manifest_error _e;					\
	struct pod _p;							\
	int _rc = parse_fixture((name), &_p, &_e);			\
	check_rejected(__FILE__, __LINE__, _rc, &_p, &_e, field, sub);	\
} while (0)

TEST(test_fixture_pod_yaml)
{
	struct pod p;

	FIXTURE_OK("pod.yaml", &p);
	CHECK_STR(p.name, "test-pod-" NODE);
	CHECK_STR(p.namespace, "default");
	REQUIRE(p.n_labels == 1);
	CHECK_STR(p.labels[0].key, "name");
	CHECK_STR(p.labels[0].value, "test-pod-label");
	REQUIRE(p.n_containers == 1);
	CHECK_STR(p.containers[0].name, "kubernetes-pause");
	CHECK_STR(p.containers[0].image, "registry.k8s.io/pause:3.9");
	CHECK_EQ_INT(p.containers[0].pull_policy, PULL_IF_NOT_PRESENT);
	CHECK_EQ_INT(p.restart_policy, RESTART_ALWAYS);
	CHECK(strncmp(p.source, "file:", 5) == 0);
	CHECK_EQ_INT(strlen(p.uid), 32);
	pod_free(&p);
}

TEST(test_fixture_pod_apply_and_changed_differ)
{
	struct pod a, c;

	FIXTURE_OK("pod-apply.yaml", &a);
	FIXTURE_OK("pod-changed.yaml", &c);
	CHECK_STR(a.name, "test-pod-" NODE);
	CHECK_STR(c.name, a.name);
	CHECK_STR(a.labels[0].value, "test-pod-applied");
	CHECK_STR(c.labels[0].value, "test-pod-label");
	CHECK_STR(a.containers[0].image, "k8s.gcr.io/pause:3.4.1");
	CHECK_STR(c.containers[0].image, "k8s.gcr.io/pause:3.4");
	CHECK(strcmp(a.uid, c.uid) != 0);
	pod_free(&a);
	pod_free(&c);
}

TEST(test_fixture_pod_with_large_name)
{
	struct pod p;

	FIXTURE_OK("pod-with-large-name.yaml", &p);
	CHECK_STR(p.name, "kubernetes-serve-hostname-testing-sixty-three-"
	    "characters-in-length-" NODE);
	CHECK_STR(p.containers[0].image,
	    "k8s.gcr.io/e2e-test-images/serve-hostname-amd64:1.1");
	pod_free(&p);
}

TEST(test_fixture_pod_restricted_runtime_default)
{
	struct pod p;
	struct container_spec *c;

	FIXTURE_OK("pod-restricted-runtime-default.yaml", &p);
	CHECK_STR(p.name, "target-" NODE);
	CHECK_STR(p.labels[0].key, "run");
	c = &p.containers[0];
	CHECK_STR(c->image, "busybox");
	CHECK_EQ_INT(c->pull_policy, PULL_ALWAYS);
	REQUIRE(c->command.n == 3);
	CHECK_STR(c->command.v[2], "while :; do sleep 10; done");
	CHECK_EQ_INT(c->sc.run_as_user, 1000);
	CHECK_EQ_INT(c->sc.run_as_group, 1000);
	CHECK_EQ_INT(c->sc.run_as_non_root, 1);
	CHECK_EQ_INT(c->sc.allow_privilege_escalation, 0);
	REQUIRE(c->sc.cap_drop.n == 1 && c->sc.cap_add.n == 1);
	CHECK_STR(c->sc.cap_drop.v[0], "ALL");
	CHECK_STR(c->sc.cap_add.v[0], "NET_BIND_SERVICE");
	pod_free(&p);
}

TEST(test_fixture_pod_with_api_env_rejected)
{
	FIXTURE_REJECTED("pod-with-api-env.yaml",
	    "spec.containers[0].env[0].valueFrom.secretKeyRef",
	    "static pods cannot reference API objects");
}

TEST(test_fixture_pod_with_metadata_and_probes_parsed)
{
	const struct container_spec *c;
	struct pod p;

	/* three exec probes with the API server's defaults; an init
	   container without a command (the image's) */
	FIXTURE_OK("pod-with-metadata-and-probes.yaml", &p);
	REQUIRE(p.n_containers == 1 && p.n_init_containers == 1);
	c = &p.containers[0];
	CHECK_EQ_INT(c->readiness.h.kind, HANDLER_EXEC);
	CHECK_EQ_INT(c->liveness.h.kind, HANDLER_EXEC);
	CHECK_EQ_INT(c->startup.h.kind, HANDLER_EXEC);
	REQUIRE(c->startup.h.exec_command.n == 3);
	CHECK_STR(c->startup.h.exec_command.v[2], "cat probe");
	CHECK_EQ_INT(c->liveness.period_s, 10);
	CHECK_EQ_INT(c->liveness.timeout_s, 1);
	CHECK_EQ_INT(c->liveness.failure_threshold, 3);
	CHECK_STR(p.init_containers[0].name, "init");
	CHECK_EQ_INT(p.init_containers[0].liveness.h.kind, HANDLER_NONE);
	pod_free(&p);
}

TEST(test_fixture_pod_with_precision_parsed)
{
	struct pod p;

	/* activeDeadlineSeconds and supplementalGroups are taken now */
	FIXTURE_OK("pod-with-precision.json", &p);
	REQUIRE(p.psc.supplemental_groups.n == 3);
	CHECK_STR(p.psc.supplemental_groups.v[1], "1000030003");
	pod_free(&p);
}

/* ---- init containers and sidecars (issue 13) ---- */

#define INIT(extra)	"  initContainers:\n  - name: setup\n" \
	"    image: busybox\n" extra

TEST(test_init_containers_parsed_in_order)
{
	struct pod p;

	PARSE_OK(POD "  initContainers:\n  - name: one\n    image: busybox\n"
	    "    command: [sh, -c, 'exit 0']\n  - name: side\n"
	    "    image: busybox\n    restartPolicy: Always\n", &p);
	REQUIRE(p.n_init_containers == 2);
	CHECK_STR(p.init_containers[0].name, "one");
	CHECK_EQ_INT(p.init_containers[0].restart_policy, CTR_RESTART_UNSET);
	CHECK_EQ_INT(pod_is_sidecar(&p.init_containers[0]), 0);
	REQUIRE(p.init_containers[0].command.n == 3);
	CHECK_STR(p.init_containers[1].name, "side");
	CHECK_EQ_INT(p.init_containers[1].restart_policy, CTR_RESTART_ALWAYS);
	CHECK_EQ_INT(pod_is_sidecar(&p.init_containers[1]), 1);
	/* the pull policy defaults as a container's (busybox: latest) */
	CHECK_EQ_INT(p.init_containers[0].pull_policy, PULL_ALWAYS);
	REQUIRE(p.n_containers == 1);
	pod_free(&p);
}

TEST(test_init_containers_empty_list_accepted)
{
	struct pod p;

	PARSE_OK(POD "  initContainers: []\n", &p);
	CHECK_EQ_INT(p.n_init_containers, 0);
	pod_free(&p);
}

TEST(test_init_container_names_unique_across_lists)
{
	REJECTED(POD "  initContainers:\n  - name: app\n    image: busybox\n",
	    "spec.initContainers[0].name", "duplicate value \"app\"");
	REJECTED(POD INIT("  - name: setup\n    image: busybox\n"),
	    "spec.initContainers[1].name", "duplicate container name");
	REJECTED(POD "  initContainers:\n  - name: Bad_Name\n"
	    "    image: busybox\n", "spec.initContainers[0].name",
	    "invalid container name");
	REJECTED(POD "  initContainers:\n  - name: x\n",
	    "spec.initContainers[0].image", "required");
}

TEST(test_container_restart_policy_only_on_init)
{
	REJECTED(POD "    restartPolicy: Always\n",
	    "spec.containers[0].restartPolicy",
	    "forbidden: may not be set for non-init containers");
	REJECTED(POD INIT("    restartPolicy: Never\n"),
	    "spec.initContainers[0].restartPolicy",
	    "unsupported value \"Never\": supported values: \"Always\"");
	REJECTED(POD INIT("    restartPolicy: OnFailure\n"),
	    "spec.initContainers[0].restartPolicy", "supported values");
}

TEST(test_init_container_forbidden_fields)
{
	REJECTED(POD INIT("    livenessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n"),
	    "spec.initContainers[0].livenessProbe",
	    "forbidden: may not be set for init containers without "
	    "restartPolicy=Always");
	REJECTED(POD INIT("    readinessProbe:\n      exec:\n"
	    "        command: [\"true\"]\n"),
	    "spec.initContainers[0].readinessProbe", "without "
	    "restartPolicy=Always");
	REJECTED(POD INIT("    startupProbe:\n      exec:\n"
	    "        command: [\"true\"]\n"),
	    "spec.initContainers[0].startupProbe", "without "
	    "restartPolicy=Always");
	REJECTED(POD INIT("    lifecycle:\n      postStart:\n        exec:\n"
	    "          command: [\"true\"]\n"),
	    "spec.initContainers[0].lifecycle", "without "
	    "restartPolicy=Always");
	/* a sidecar may have probes; agentd runs no hooks for one yet */
	REJECTED(POD INIT("    restartPolicy: Always\n    lifecycle:\n"
	    "      postStart:\n        exec:\n          command: [\"true\"]\n"),
	    "spec.initContainers[0].lifecycle",
	    "on a restartable init container (a sidecar) are not supported");
	{
		struct pod p;

		PARSE_OK(POD INIT("    restartPolicy: Always\n"
		    "    startupProbe:\n      exec:\n        command: [\"true\"]\n"
		    "    readinessProbe:\n      exec:\n"
		    "        command: [\"true\"]\n      periodSeconds: 2\n"
		    "    livenessProbe:\n      tcpSocket:\n        port: 80\n"),
		    &p);
		REQUIRE(p.n_init_containers == 1);
		CHECK(pod_probe(&p.init_containers[0], PROBE_STARTUP) != NULL);
		CHECK(pod_probe(&p.init_containers[0], PROBE_READINESS) !=
		    NULL);
		CHECK(pod_probe(&p.init_containers[0], PROBE_LIVENESS) != NULL);
		pod_free(&p);
	}
	/* unset values are not set */
	{
		struct pod p;

		PARSE_OK(POD INIT("    livenessProbe: null\n"
		    "    lifecycle: {}\n"), &p);
		pod_free(&p);
	}
}

TEST(test_init_container_checks_of_containers)
{
	REJECTED(POD INIT("    ports:\n    - containerPort: 80\n"
	    "      hostPort: 8080\n"),
	    "spec.initContainers[0].ports[0].hostPort", "not supported");
	REJECTED(POD "  securityContext:\n    runAsNonRoot: true\n"
	    INIT("    securityContext:\n      runAsUser: 0\n"),
	    "spec.initContainers[0].securityContext", "runAsNonRoot");
	REJECTED(POD INIT("    volumeMounts:\n    - name: d\n"
	    "      mountPath: /d\n"),
	    "spec.initContainers[0].volumeMounts[0].name", "names no volume");
	{
		struct pod p;

		PARSE_OK(POD INIT("    ports:\n    - containerPort: 80\n"),
		    &p);
		CHECK_EQ_INT(p.init_containers[0].n_ports, 1);
		pod_free(&p);
	}
}

TEST(test_init_containers_at_limit)
{
	char buf[8192], *o = buf;
	struct pod p;
	int i;

	o += sprintf(o, POD "  initContainers:\n");
	for (i = 0; i < POD_MAX_CONTAINERS; i++)
		o += sprintf(o, "  - name: i%d\n    image: busybox\n", i);
	PARSE_OK(buf, &p);
	CHECK_EQ_INT(p.n_init_containers, POD_MAX_CONTAINERS);
	pod_free(&p);
	sprintf(o, "  - name: i%d\n    image: busybox\n", i);
	REJECTED(buf, "spec.initContainers", "too many init containers");
}

TEST(test_volumes_mapped)
{
	struct pod p;

	PARSE_OK(POD "    volumeMounts:\n    - name: cache\n"
	    "      mountPath: /cache\n    - name: host\n"
	    "      mountPath: /h\n      readOnly: true\n"
	    "      subPath: a/b\n      mountPropagation: None\n"
	    "  volumes:\n  - name: cache\n    emptyDir:\n"
	    "      medium: Memory\n      sizeLimit: 64Mi\n"
	    "  - name: host\n    hostPath:\n      path: /srv/data\n"
	    "      type: DirectoryOrCreate\n", &p);
	REQUIRE(p.n_volumes == 2);
	CHECK_STR(p.volumes[0].name, "cache");
	CHECK_EQ_INT(p.volumes[0].kind, VOL_EMPTY_DIR);
	CHECK_EQ_INT(p.volumes[0].medium, MEDIUM_MEMORY);
	CHECK(p.volumes[0].size_limit == 64LL << 20);
	CHECK_EQ_INT(p.volumes[1].kind, VOL_HOST_PATH);
	CHECK_STR(p.volumes[1].host_path, "/srv/data");
	CHECK_EQ_INT(p.volumes[1].host_path_type, HPT_DIRECTORY_OR_CREATE);
	REQUIRE(p.containers[0].n_mounts == 2);
	CHECK_STR(p.containers[0].mounts[1].mount_path, "/h");
	CHECK_EQ_INT(p.containers[0].mounts[1].read_only, 1);
	CHECK_STR(p.containers[0].mounts[1].sub_path, "a/b");
	CHECK(p.containers[0].mounts[0].sub_path == NULL);
	pod_free(&p);
}

TEST(test_volume_rules)
{
	REJECTED(POD "  volumes:\n  - name: v\n", "spec.volumes[0]",
	    "must specify a volume type");
	REJECTED(POD "  volumes:\n  - name: v\n    emptyDir: {}\n"
	    "    hostPath:\n      path: /srv\n", "spec.volumes[0]",
	    "more than 1 volume type");
	REJECTED(POD "  volumes:\n  - emptyDir: {}\n", "spec.volumes[0].name",
	    "required");
	REJECTED(POD "  volumes:\n  - name: v\n    emptyDir: {}\n"
	    "  - name: v\n    emptyDir: {}\n", "spec.volumes[1].name",
	    "duplicate volume name");
	REJECTED(POD "  volumes:\n  - name: v\n    hostPath: {}\n",
	    "spec.volumes[0].hostPath.path", "required");
	REJECTED(POD "  volumes:\n  - name: v\n    hostPath:\n"
	    "      path: /a/../b\n", "spec.volumes[0].hostPath.path", "'..'");
	REJECTED(POD "  volumes:\n  - name: v\n    emptyDir:\n"
	    "      sizeLimit: -1\n", "spec.volumes[0].emptyDir.sizeLimit", "");
	REJECTED(POD "  volumes:\n  - name: v\n    secret:\n"
	    "      secretName: s\n", "spec.volumes[0].secret",
	    "static pods cannot reference API objects");
	REJECTED(POD "    volumeMounts:\n    - name: v\n"
	    "      mountPath: /m\n      subPathExpr: $(X)\n"
	    "  volumes:\n  - name: v\n    emptyDir: {}\n",
	    "spec.containers[0].volumeMounts[0].subPathExpr", "not supported");
	REJECTED(POD "    volumeMounts:\n    - name: v\n"
	    "      mountPath: /m\n    - name: v\n      mountPath: /m\n"
	    "  volumes:\n  - name: v\n    emptyDir: {}\n",
	    "spec.containers[0].volumeMounts[1].mountPath", "unique");
	REJECTED(POD "    volumeMounts:\n    - name: v\n"
	    "      mountPath: /m\n      subPath: /abs\n"
	    "  volumes:\n  - name: v\n    emptyDir: {}\n",
	    "spec.containers[0].volumeMounts[0].subPath", "relative");
}

/* n volumes v0.. and, when mounts, one mount of each at /m<i> */
static char *
pod_with_volumes(int n, int mounts)
{
	struct sb b = { 0 };
	int i;

	sb_add(&b, POD);
	if (mounts) {
		sb_add(&b, "    volumeMounts:\n");
		for (i = 0; i < n; i++)
			sb_add(&b, "    - name: v%d\n      mountPath: /m%d\n",
			    i % POD_MAX_VOLUMES, i);
	}
	sb_add(&b, "  volumes:\n");
	for (i = 0; i < (mounts ? POD_MAX_VOLUMES : n); i++)
		sb_add(&b, "  - name: v%d\n    emptyDir: {}\n", i);
	return sb_done(&b);
}

TEST(test_volume_count_limits)
{
	struct pod p;

	PARSE_OK(pod_with_volumes(POD_MAX_VOLUMES, 0), &p);
	CHECK_EQ_INT(p.n_volumes, POD_MAX_VOLUMES);
	pod_free(&p);
	REJECTED(pod_with_volumes(POD_MAX_VOLUMES + 1, 0), "spec.volumes",
	    "too many volumes: 65, at most 64");
	PARSE_OK(pod_with_volumes(POD_MAX_MOUNTS, 1), &p);
	CHECK_EQ_INT(p.containers[0].n_mounts, POD_MAX_MOUNTS);
	pod_free(&p);
	REJECTED(pod_with_volumes(POD_MAX_MOUNTS + 1, 1),
	    "spec.containers[0].volumeMounts", "at most 64");
}

/* ---- sysctls and supplementalGroups at their bounds (issue 14) ---- */

/* POD with n sysctls (kernel.msg<i>) or n groups, in buf */
static const char *
psc_list_pod(char *buf, size_t len, uint32_t n, int sysctls)
{
	size_t off;
	uint32_t i;

	off = (size_t)snprintf(buf, len, "%s  securityContext:\n    %s:\n",
	    POD, sysctls ? "sysctls" : "supplementalGroups");
	for (i = 0; i < n && off < len; i++)
		off += sysctls ? (size_t)snprintf(buf + off, len - off,
		    "    - name: kernel.msg%u\n      value: \"1\"\n", i) :
		    (size_t)snprintf(buf + off, len - off, "    - %u\n", i);
	REQUIRE(off < len);
	return buf;
}

TEST(test_pod_sysctls_and_groups_at_their_limits)
{
	static char buf[64 * 1024];
	struct pod p;

	PARSE_OK(psc_list_pod(buf, sizeof(buf), POD_MAX_SYSCTLS, 1), &p);
	CHECK_EQ_INT(p.psc.n_sysctls, POD_MAX_SYSCTLS);
	pod_free(&p);
	REJECTED(psc_list_pod(buf, sizeof(buf), POD_MAX_SYSCTLS + 1, 1),
	    "spec.securityContext.sysctls", "too many sysctls");
	PARSE_OK(psc_list_pod(buf, sizeof(buf), POD_MAX_SUPP_GROUPS, 0), &p);
	CHECK_EQ_INT(p.psc.supplemental_groups.n, POD_MAX_SUPP_GROUPS);
	pod_free(&p);
	REJECTED(psc_list_pod(buf, sizeof(buf), POD_MAX_SUPP_GROUPS + 1, 0),
	    "spec.securityContext.supplementalGroups",
	    "too many supplementalGroups");
}
