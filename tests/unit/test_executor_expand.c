/*
 * $(VAR) expansion (workers/executor/expand.c) against the kubelet's own
 * table: every case of kubernetes third_party/forked/golang/expansion/
 * expand_test.go (TestMapReference, TestMapping, TestMappingDual), then
 * the bounds, and the env and command/args rules of ctrenv.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pod.h"
#include "podschema.h"
#include "tap.h"
#include "../../workers/executor/expand.h"
#include "../../workers/executor/rt_private.h"

/* a lookup over one or two name=value tables, the first one first */
struct vars {
	const char *const	*a;	/* "NAME", "value", ..., NULL */
	const char *const	*b;
};

static const char *
table_find(const char *const *t, const char *name, size_t len)
{
	for (; t != NULL && t[0] != NULL; t += 2)
		if (strlen(t[0]) == len && strncmp(t[0], name, len) == 0)
			return t[1];
	return NULL;
}

static const char *
vars_lookup(const char *name, size_t len, void *arg)
{
	const struct vars *v = arg;
	const char *s;

	if ((s = table_find(v->a, name, len)) != NULL)
		return s;
	return table_find(v->b, name, len);
}

static char *
expand(const char *in, const struct vars *v)
{
	static char out[POD_MAX_ARG];

	REQUIRE(expand_vars(in, vars_lookup, (void *)v, out,
	    sizeof(out)) == 0);
	return out;
}

/* doExpansionTest's cases: name, input, expected */
static const char *const cases[][3] = {
	{ "whole string", "$(VAR_A)", "A" },
	{ "repeat", "$(VAR_A)-$(VAR_A)", "A-A" },
	{ "beginning", "$(VAR_A)-1", "A-1" },
	{ "middle", "___$(VAR_B)___", "___B___" },
	{ "end", "___$(VAR_C)", "___C" },
	{ "compound", "$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C" },
	{ "escape & expand", "$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A" },
	{ "compound escape", "$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)" },
	{ "mixed in escapes", "f000-$$VAR_A", "f000-$VAR_A" },
	{ "backslash escape ignored", "foo\\$(VAR_C)bar", "foo\\Cbar" },
	{ "backslash escape ignored (2)", "foo\\\\$(VAR_C)bar",
	    "foo\\\\Cbar" },
	{ "lots of backslashes", "foo\\\\\\\\$(VAR_A)bar",
	    "foo\\\\\\\\Abar" },
	{ "nested var references", "$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))" },
	{ "nested var references second type", "$(VAR_A$(VAR_B)",
	    "$(VAR_A$(VAR_B)" },
	{ "value is a reference", "$(VAR_REF)", "$(VAR_A)" },
	{ "value is a reference x 2", "%%$(VAR_REF)--$(VAR_REF)%%",
	    "%%$(VAR_A)--$(VAR_A)%%" },
	{ "empty var", "foo$(VAR_EMPTY)bar", "foobar" },
	{ "unterminated expression", "foo$(VAR_Awhoops!",
	    "foo$(VAR_Awhoops!" },
	{ "expression without operator", "f00__(VAR_A)__",
	    "f00__(VAR_A)__" },
	{ "shell special vars pass through", "$?_boo_$!", "$?_boo_$!" },
	{ "bare operators are ignored", "$VAR_A", "$VAR_A" },
	{ "undefined vars are passed through", "$(VAR_DNE)", "$(VAR_DNE)" },
	{ "multiple (even) operators, var undefined", "$$$$$$(BIG_MONEY)",
	    "$$$(BIG_MONEY)" },
	{ "multiple (even) operators, var defined", "$$$$$$(VAR_A)",
	    "$$$(VAR_A)" },
	{ "multiple (odd) operators, var undefined", "$$$$$$$(GOOD_ODDS)",
	    "$$$$(GOOD_ODDS)" },
	{ "multiple (odd) operators, var defined", "$$$$$$$(VAR_A)",
	    "$$$A" },
	{ "missing open expression", "$VAR_A)", "$VAR_A)" },
	{ "shell syntax ignored", "${VAR_A}", "${VAR_A}" },
	{ "trailing incomplete expression not consumed",
	    "$(VAR_B)_______$(A", "B_______$(A" },
	{ "trailing incomplete expression, no content, is not consumed",
	    "$(VAR_C)_______$(", "C_______$(" },
	{ "operator at end of input string is preserved",
	    "$(VAR_A)foobarzab$", "Afoobarzab$" },
	{ "shell escaped incomplete expr", "foo-\\$(VAR_A", "foo-\\$(VAR_A" },
	{ "lots of $( in middle", "--$($($($($--", "--$($($($($--" },
	{ "lots of $( in beginning", "$($($($($--foo$(",
	    "$($($($($--foo$(" },
	{ "lots of $( at end", "foo0--$($($($(", "foo0--$($($($(" },
	{ "escaped operators in variable names are not escaped",
	    "$(foo$$var)", "$(foo$$var)" },
	{ "newline not expanded", "\n", "\n" },
};

static void
table_run(const struct vars *v)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = expand(cases[i][1], v);

		if (strcmp(got, cases[i][2]) != 0) {
			fprintf(stderr, "%s: %s -> \"%s\", expected \"%s\"\n",
			    cases[i][0], cases[i][1], got, cases[i][2]);
			tap_failed_here = 1;
		}
	}
}

TEST(test_kubelet_table_one_context)
{
	static const char *const ctx[] = { "VAR_A", "A", "VAR_B", "B",
	    "VAR_C", "C", "VAR_REF", "$(VAR_A)", "VAR_EMPTY", "", NULL };
	struct vars v = { ctx, NULL };

	table_run(&v);
}

TEST(test_kubelet_table_two_contexts)
{
	static const char *const ctx1[] = { "VAR_A", "A", "VAR_EMPTY", "",
	    NULL };
	static const char *const ctx2[] = { "VAR_B", "B", "VAR_C", "C",
	    "VAR_REF", "$(VAR_A)", NULL };
	struct vars v = { ctx1, ctx2 };

	table_run(&v);
}

/* TestMapReference through ctrenv: each value from the ones before it */
TEST(test_env_values_expand_from_earlier_entries)
{
	static const char *const env[][2] = {
		{ "FOO", "bar" }, { "ZOO", "$(FOO)-1" }, { "BLU", "$(ZOO)-2" },
		/* later entries are not defined yet, nor is itself */
		{ "EARLY", "$(LATE)$(EARLY)" }, { "LATE", "x" },
		/* a redefinition: the latest one before wins */
		{ "FOO", "baz" }, { "USE", "$(FOO)" },
	};
	static const char *const want[] = { "bar", "bar-1", "bar-1-2",
	    "$(LATE)$(EARLY)", "x", "baz", "baz" };
	struct ctr_env_facts f = { "", "", 1000, 1 };
	struct container_spec c;
	struct ctr_env ce;
	struct rt_err err;
	struct pod p;
	size_t i, n = sizeof(env) / sizeof(env[0]);

	pod_init(&p);
	container_spec_init(&c);
	REQUIRE((c.env = calloc(n, sizeof(*c.env))) != NULL);
	for (i = 0; i < n; i++) {
		c.env[i].key = (char *)env[i][0];
		c.env[i].value = (char *)env[i][1];
	}
	c.n_env = n;
	memset(&err, 0, sizeof(err));
	REQUIRE(ctr_env_make(&p, &c, &f, &ce, &err) == 0);
	REQUIRE(ce.n == n);
	for (i = 0; i < n; i++)
		CHECK_STR(ce.value[i], want[i]);
	ctr_env_free(&ce);
	free(c.env);
}

TEST(test_command_and_args_expand_from_the_whole_env)
{
	struct ctr_env_facts f = { "", "", 1000, 1 };
	struct env_var env[2] = { { .key = "A", .value = "1" },
	    { .key = "B", .value = "$(A)2" } };
	struct strlist in = { 0 }, out = { 0 };
	struct container_spec c;
	struct ctr_env ce;
	struct rt_err err;
	struct pod p;

	pod_init(&p);
	container_spec_init(&c);
	c.env = env;
	c.n_env = 2;
	memset(&err, 0, sizeof(err));
	REQUIRE(ctr_env_make(&p, &c, &f, &ce, &err) == 0);
	REQUIRE(strlist_add(&in, "$(A)-$(B)-$(C)-$$(A)", 4) == 0);
	REQUIRE(ctr_env_expand_list(&ce, "args", &in, &out, &err) == 0);
	REQUIRE(out.n == 1);
	CHECK_STR(out.v[0], "1-12-$(C)-$(A)");
	strlist_free(&out);
	/* without an env (NULL): as written */
	REQUIRE(ctr_env_expand_list(NULL, "args", &in, &out, &err) == 0);
	CHECK_STR(out.v[0], "$(A)-$(B)-$(C)-$$(A)");
	strlist_free(&out);
	strlist_free(&in);
	ctr_env_free(&ce);
}

/* the bound: a result of POD_MAX_ARG - 1 fits, one byte more fails */
TEST(test_expansion_bound_is_an_error_not_a_truncation)
{
	static const char *const ctx[] = { "X", "xxxxxxxxxx", NULL };
	struct vars v = { ctx, NULL };
	char in[POD_MAX_ARG], out[POD_MAX_ARG];
	size_t pad = POD_MAX_ARG - 1 - 10;

	memset(in, 'a', pad);
	snprintf(in + pad, sizeof(in) - pad, "$(X)");
	CHECK(expand_vars(in, vars_lookup, &v, out, sizeof(out)) == 0);
	CHECK_EQ_INT(strlen(out), POD_MAX_ARG - 1);
	in[0] = '\0';
	memset(in, 'a', pad + 1);
	snprintf(in + pad + 1, sizeof(in) - pad - 1, "$(X)");
	CHECK(expand_vars(in, vars_lookup, &v, out, sizeof(out)) == -1);
	/* a literal input at the bound, no reference */
	memset(in, 'b', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	CHECK(expand_vars(in, vars_lookup, &v, out, sizeof(out)) == 0);
	CHECK(expand_vars(in, vars_lookup, &v, out, sizeof(out) - 1) == -1);
}

TEST(test_over_long_env_value_names_the_field)
{
	struct ctr_env_facts f = { "", "", 1000, 1 };
	struct env_var env[2] = { { .key = "A" }, { .key = "B",
	    .value = "$(A)$(A)" } };
	struct container_spec c;
	struct ctr_env ce;
	struct rt_err err;
	struct pod p;
	char *big;

	REQUIRE((big = malloc(POD_MAX_ENV_VALUE)) != NULL);
	memset(big, 'v', POD_MAX_ENV_VALUE - 1);
	big[POD_MAX_ENV_VALUE - 1] = '\0';
	env[0].value = big;
	pod_init(&p);
	container_spec_init(&c);
	c.env = env;
	c.n_env = 2;
	memset(&err, 0, sizeof(err));
	CHECK(ctr_env_make(&p, &c, &f, &ce, &err) == -1);
	CHECK(strstr(rt_errmsg(&err), "env[1].value") != NULL);
	free(big);
}

static const char *
resolve_one(struct pod *p, struct container_spec *c, struct env_var *e,
    const struct ctr_env_facts *f)
{
	static char buf[64];
	struct ctr_env ce;
	struct rt_err err;

	c->env = e;
	c->n_env = 1;
	memset(&err, 0, sizeof(err));
	if (ctr_env_make(p, c, f, &ce, &err) == -1)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", ce.value[0]);
	ctr_env_free(&ce);
	return buf;
}

TEST(test_field_refs_resolve)
{
	struct ctr_env_facts f = { "10.88.0.5,fd00::5", "192.0.2.1,2001:db8::1",
	    4000, 1 << 30 };
	struct kv labels[1] = { { "app", "web" } };
	struct kv annots[1] = { { "example.com/n", "x y" } };
	struct container_spec c;
	struct env_var e;
	struct pod p;

	pod_init(&p);
	p.name = "web-node1";
	p.namespace = "default";
	p.uid = "0123-uid";
	p.node_name = "node1";
	p.labels = labels;
	p.n_labels = 1;
	p.annotations = annots;
	p.n_annotations = 1;
	container_spec_init(&c);
#define FIELD(fl, k, want) do {						\
	podschema_init(&podschema_env_var, &e);				\
	e.key = "E";							\
	e.field_ref.field = (fl);					\
	e.field_ref.key = (k);						\
	CHECK_STR(resolve_one(&p, &c, &e, &f), (want));			\
} while (0)
	FIELD(ENV_FIELD_NAME, NULL, "web-node1");
	FIELD(ENV_FIELD_NAMESPACE, NULL, "default");
	FIELD(ENV_FIELD_UID, NULL, "0123-uid");
	FIELD(ENV_FIELD_LABEL, "app", "web");
	FIELD(ENV_FIELD_LABEL, "missing", "");
	FIELD(ENV_FIELD_ANNOTATION, "example.com/n", "x y");
	FIELD(ENV_FIELD_NODE_NAME, NULL, "node1");
	FIELD(ENV_FIELD_SERVICE_ACCOUNT, NULL, "");
	FIELD(ENV_FIELD_HOST_IP, NULL, "192.0.2.1");
	FIELD(ENV_FIELD_HOST_IPS, NULL, "192.0.2.1,2001:db8::1");
	FIELD(ENV_FIELD_POD_IP, NULL, "10.88.0.5");
	FIELD(ENV_FIELD_POD_IPS, NULL, "10.88.0.5,fd00::5");
	p.service_account = "builder";
	FIELD(ENV_FIELD_SERVICE_ACCOUNT, NULL, "builder");
#undef FIELD
	/* a source's value is not expanded */
	p.name = "$(A)";
	podschema_init(&podschema_env_var, &e);
	e.key = "E";
	e.field_ref.field = ENV_FIELD_NAME;
	CHECK_STR(resolve_one(&p, &c, &e, &f), "$(A)");
}

TEST(test_resource_refs_round_up_and_default_to_allocatable)
{
	struct ctr_env_facts f = { "", "", 4000, 8LL << 30 };
	struct container_spec cs[2];
	struct env_var e;
	struct pod p;

	pod_init(&p);
	container_spec_init(&cs[0]);
	container_spec_init(&cs[1]);
	cs[0].name = "app";
	cs[1].name = "side";
	cs[1].res.cpu_limit_milli = 250;
	cs[1].res.cpu_request_milli = 100;
	cs[1].res.mem_limit_bytes = 67108865;	/* 64Mi + 1 */
	cs[1].res.mem_request_bytes = 1000;
	p.containers = cs;
	p.n_containers = 2;
#define RES(ctr, r, units, want) do {					\
	podschema_init(&podschema_env_var, &e);				\
	e.key = "E";							\
	e.resource_ref.container_name = (ctr);				\
	e.resource_ref.resource = (r);					\
	e.resource_ref.divisor_units = (units);				\
	CHECK_STR(resolve_one(&p, &cs[0], &e, &f), (want));		\
} while (0)
	/* no limit: the node's allocatable; no request: 0 */
	RES(NULL, ENV_RES_LIMITS_CPU, 0, "4");
	RES(NULL, ENV_RES_LIMITS_CPU, 1, "4000");
	RES(NULL, ENV_RES_LIMITS_MEMORY, 0, "8589934592");
	RES(NULL, ENV_RES_LIMITS_MEMORY, 1 << 20, "8192");
	RES(NULL, ENV_RES_REQUESTS_CPU, 0, "0");
	RES(NULL, ENV_RES_REQUESTS_MEMORY, 0, "0");
	/* another container's, rounded up */
	RES("side", ENV_RES_LIMITS_CPU, 0, "1");	/* 250m -> 1 */
	RES("side", ENV_RES_LIMITS_CPU, 1, "250");
	RES("side", ENV_RES_REQUESTS_CPU, 1000, "1");
	RES("side", ENV_RES_LIMITS_MEMORY, 1 << 20, "65");	/* up */
	RES("side", ENV_RES_REQUESTS_MEMORY, 1000, "1");
	RES("side", ENV_RES_REQUESTS_MEMORY, 1024, "1");
	/* a limit of 0 is no limit (MergeContainerResourceLimits) */
	cs[1].res.cpu_limit_milli = 0;
	RES("side", ENV_RES_LIMITS_CPU, 0, "4");
#undef RES
	podschema_init(&podschema_env_var, &e);
	e.key = "E";
	e.resource_ref.container_name = "gone";
	e.resource_ref.resource = ENV_RES_LIMITS_CPU;
	CHECK(resolve_one(&p, &cs[0], &e, &f) == NULL);
}
