/*
 * fuzz_config: arbitrary bytes as agentd.yaml.  The parser must either
 * accept with a configuration that keeps every invariant the rest of
 * agentd relies on, and that reaches the workers unchanged through the
 * binary form of common/configbin.c, or refuse with a non-empty
 * "line N: ..." message (or the size message); never crash, leak or read
 * out of bounds.
 *
 * Build: clang -g -O1 -std=gnu11 -Iinclude -D_GNU_SOURCE -DAGENTD_FUZZ \
 *   -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_config.c \
 *   common/config.c common/configbin.c common/caps.c common/log.c -lyaml \
 *   -o /tmp/fuzz_config
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_path(const char *p, int may_be_empty)
{
	size_t n = strnlen(p, CONFIG_MAX_PATH);

	if (n == CONFIG_MAX_PATH)
		abort();		/* not NUL-terminated */
	if (n == 0 && may_be_empty)
		return;
	if (p[0] != '/')
		abort();		/* every path key is absolute */
}

/* what agentd accepts, its workers must get: the binary form round-trips */
static void
check_bin(const struct agentd_config *c)
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	struct agentd_config d;
	char err[256];
	size_t len;
	uint32_t i;

	if (config_bin_encode(c, buf, sizeof(buf), &len) == -1)
		abort();
	config_defaults(&d);
	if (config_bin_decode(&d, buf, len, err, sizeof(err)) == -1 ||
	    strcmp(d.node_name, c->node_name) != 0 ||
	    strcmp(d.root_dir, c->root_dir) != 0 ||
	    strcmp(d.audit_anchor_file, c->audit_anchor_file) != 0 ||
	    d.log_level != c->log_level ||
	    d.audit_max_bytes != c->audit_max_bytes ||
	    d.policy.n_allowed_caps != c->policy.n_allowed_caps)
		abort();
	for (i = 0; i < d.policy.n_allowed_caps; i++)
		if (strcmp(d.policy.allowed_caps[i],
		    c->policy.allowed_caps[i]) != 0)
			abort();
	config_free(&d);
}

static void
check_accepted(const struct agentd_config *c, const uint8_t *data,
    size_t size)
{
	/* every path key; the optional ones may be "" (unset) */
	const char *const required[] = { c->static_pod_path, c->root_dir,
		c->run_dir, c->pod_logs_dir, c->cgroup_root, c->privsep_chroot,
		c->libexec_dir, c->audit_log, c->cni_bin_dir };
	const char *const optional[] = { c->audit_key_file, c->runtime_path,
		c->conmon_path };
	size_t i, j;

	check_bin(c);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		check_path(required[i], 0);
	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		check_path(optional[i], 1);
	if (c->node_name[0] == '\0' || c->privsep_user[0] == '\0')
		abort();
	if (c->log_level < LOG_LVL_WARN || c->log_level > LOG_LVL_DEBUG)
		abort();
	if (c->runtime < RUNTIME_AUTO || c->runtime > RUNTIME_CRUN)
		abort();
	if (c->policy.n_allowed_caps > CONFIG_MAX_CAPS)
		abort();
	for (i = 0; i < c->policy.n_allowed_caps; i++) {
		const char *cap = c->policy.allowed_caps[i];

		/* one "CAP_" is stripped; "CAP_CAP_X" keeps the second */
		if (cap == NULL || cap[0] == '\0' || strlen(cap) > 32)
			abort();
		for (j = 0; cap[j]; j++)
			if (!((cap[j] >= 'A' && cap[j] <= 'Z') || cap[j] == '_'))
				abort();
	}
}

static void
check_refused(const char *err, size_t size)
{
	if (err[0] == '\0')
		abort();		/* refused without a reason */
	if (size > CONFIG_MAX_BYTES)
		return;
	if (strncmp(err, "line ", 5) != 0)
		abort();		/* every parse error names its line */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agentd_config c;
	char err[256];

	config_defaults(&c);
	err[0] = '\0';
	if (config_parse(&c, (const char *)data, size, err, sizeof(err)) == 0)
		check_accepted(&c, data, size);
	else
		check_refused(err, size);
	config_free(&c);
	return 0;
}
