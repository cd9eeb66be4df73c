/*
 * fuzz_configbin: arbitrary bytes as the binary configuration a worker
 * reads from its memfd (common/configbin.c).  Twice: as given, and with
 * the header's length made to agree with the input, so that the fuzzer
 * reaches the records without having to find the length.
 *
 * The decoder must either refuse with a non-empty reason, or accept a
 * configuration that keeps every invariant the workers rely on (strings
 * terminated inside their buffers, paths absolute or, where optional,
 * empty, enums and bounds as the YAML parser enforces, known capability
 * names); and what it accepted must round-trip: encoding it and decoding
 * that gives the same struct and, encoded again, the same bytes.  Never
 * crash, leak or read out of bounds.
 *
 * Build: clang -g -O1 -std=gnu11 -Iinclude -D_GNU_SOURCE -DAGENTD_FUZZ \
 *   -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_configbin.c \
 *   common/configbin.c common/caps.c common/log.c -o /tmp/fuzz_configbin
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "config.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	enc1[CONFIG_BIN_MAX_BYTES], enc2[CONFIG_BIN_MAX_BYTES];
static uint8_t	fixed[CONFIG_BIN_MAX_BYTES];

static void
check_string(const struct agentd_config *c, const struct config_field *f)
{
	const char *s = (const char *)c + f->off;
	size_t n = strnlen(s, f->size);

	if (n == f->size)
		abort();		/* not NUL-terminated */
	if (n == 0 && (f->type == CFG_STR || f->type == CFG_DOMAIN ||
	    !f->optional))
		abort();
	if (n > 0 && f->type == CFG_PATH && s[0] != '/')
		abort();
	/* addresses canonical, a domain a subdomain */
	if (config_check_str(f, s) != NULL)
		abort();
}

static int
is_string(const struct config_field *f)
{
	return f->type == CFG_STR || f->type == CFG_PATH ||
	    f->type == CFG_NODEIP || f->type == CFG_IPLIST ||
	    f->type == CFG_DOMAIN || f->type == CFG_PORTLIST ||
	    f->type == CFG_SYSCTLLIST;
}

static void
check_number(const struct agentd_config *c, const struct config_field *f)
{
	const char *p = (const char *)c + f->off;
	uint64_t u64 = 0;
	uint32_t u32;
	int i;

	if (f->type == CFG_UINT || f->type == CFG_QUANTITY) {
		if (f->type == CFG_UINT && f->size == sizeof(u32)) {
			memcpy(&u32, p, sizeof(u32));
			u64 = u32;
		} else
			memcpy(&u64, p, sizeof(u64));
		if (u64 < f->min || (f->max != 0 && u64 > f->max))
			abort();
		return;
	}
	memcpy(&i, p, sizeof(i));
	if (i < 0 || (f->type == CFG_BOOL && i > 1) ||
	    (f->type == CFG_LOGLEVEL && i > LOG_LVL_DEBUG) ||
	    (f->type == CFG_RUNTIME && i > RUNTIME_CRUN) ||
	    (f->type == CFG_STORAGE && i > STORAGE_NATIVE))
		abort();
}

static void
check_accepted(const struct agentd_config *c)
{
	const struct config_field *f;
	uint32_t i;
	size_t k;

	for (k = 0; k < config_nfields; k++) {
		f = &config_fields[k];
		if (is_string(f))
			check_string(c, f);
		else if (f->type != CFG_CAPLIST && f->type != CFG_HOSTPATHS)
			check_number(c, f);
	}
	if (c->policy.n_allowed_caps > CONFIG_MAX_CAPS)
		abort();
	/* allowedHostPaths: "" ("/") or absolute, no "..", no trailing '/' */
	if (c->policy.n_allowed_host_paths > CONFIG_MAX_HOST_PATHS)
		abort();
	for (i = 0; i < c->policy.n_allowed_host_paths; i++) {
		const char *hp = c->policy.allowed_host_paths[i].prefix;
		size_t hn = strnlen(hp, CONFIG_MAX_PATH);

		if (hn == CONFIG_MAX_PATH || (hn > 0 && (hp[0] != '/' ||
		    hp[hn - 1] == '/')) || strstr(hp, "/../") != NULL ||
		    (hn >= 3 && strcmp(hp + hn - 3, "/..") == 0) ||
		    (c->policy.allowed_host_paths[i].read_only & ~1) != 0)
			abort();
	}
	for (i = 0; i < c->policy.n_allowed_caps; i++)
		if (c->policy.allowed_caps[i] == NULL ||
		    caps_lookup(c->policy.allowed_caps[i]) == -1)
			abort();
}

/* encode, decode, encode: the same bytes both times */
static void
check_round_trip(const struct agentd_config *c)
{
	struct agentd_config d;
	char err[256];
	size_t n1, n2;

	if (config_bin_encode(c, enc1, sizeof(enc1), &n1) == -1)
		abort();		/* whatever decodes, encodes */
	config_defaults(&d);
	if (config_bin_decode(&d, enc1, n1, err, sizeof(err)) == -1)
		abort();
	if (config_bin_encode(&d, enc2, sizeof(enc2), &n2) == -1 ||
	    n1 != n2 || memcmp(enc1, enc2, n1) != 0)
		abort();
	config_free(&d);
}

static void
one(const uint8_t *data, size_t size)
{
	struct agentd_config c;
	char err[256];

	config_defaults(&c);
	err[0] = '\0';
	if (config_bin_decode(&c, data, size, err, sizeof(err)) == 0) {
		check_accepted(&c);
		check_round_trip(&c);
	} else if (err[0] == '\0')
		abort();		/* refused without a reason */
	config_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	int i;

	one(data, size);
	if (size < CONFIG_BIN_HDR || size > sizeof(fixed))
		return 0;
	memcpy(fixed, data, size);
	n = size - CONFIG_BIN_HDR;
	for (i = 0; i < 4; i++)
		fixed[8 + i] = (uint8_t)(n >> (8 * (3 - i)));
	one(fixed, size);
	return 0;
}
