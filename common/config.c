/*
 * agentd.yaml: a flat YAML mapping of known keys.  agentd parses the file
 * (written by the node's administrator, never by the network) and refuses
 * to start on any unknown key, wrong type or bad value, naming the key and
 * its line.  The keys, their types and bounds are config_fields[]
 * (configbin.c).  Only agentd and agentctl link this file (libconfig.a):
 * workers get the parsed struct in binary form, never YAML.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "log.h"

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
parse_uint(const char *v, uint64_t *out)
{
	unsigned long long u;
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	u = strtoull(v, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = u;
	return 0;
}

/*
 * A byte size as the kubelet's containerLogMaxSize takes it (a resource
 * quantity): an integer with an optional binary (Ki..Ei) or decimal
 * (k..E) suffix.  Fractions and exponents, which no byte count needs,
 * are refused rather than rounded.
 */
static int
parse_quantity(const char *v, uint64_t *out)
{
	static const struct { const char *sfx; uint64_t mul; } units[] = {
		{ "", 1 },
		{ "Ki", 1ULL << 10 }, { "Mi", 1ULL << 20 },
		{ "Gi", 1ULL << 30 }, { "Ti", 1ULL << 40 },
		{ "Pi", 1ULL << 50 }, { "Ei", 1ULL << 60 },
		{ "k", 1000ULL }, { "M", 1000000ULL },
		{ "G", 1000000000ULL }, { "T", 1000000000000ULL },
		{ "P", 1000000000000000ULL }, { "E", 1000000000000000000ULL },
	};
	unsigned long long u;
	char *end;
	size_t i;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	u = strtoull(v, &end, 10);
	if (errno)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].sfx) != 0)
			continue;
		if (u > UINT64_MAX / units[i].mul)
			return -1;
		*out = u * units[i].mul;
		return 0;
	}
	return -1;
}

/* returns NULL or the reason the value is bad */
static const char *
set_scalar(struct agentd_config *c, const struct config_field *k,
    const char *v)
{
	static char range[80];	/* the reason returned for a bound */
	char *dst = (char *)c + k->off;
	uint64_t u;
	int b;

	switch (k->type) {
	case CFG_PATH:
		if (v[0] != '/')
			return "must be an absolute path";
		/* FALLTHROUGH */
	case CFG_STR:
		if (strlen(v) >= k->size)
			return "is too long";
		if (k->type == CFG_STR && v[0] == '\0')
			return "must not be empty";
		memcpy(dst, v, strlen(v) + 1);
		return NULL;
	case CFG_BOOL:
		if (parse_bool(v, &b) == -1)
			return "must be true or false";
		memcpy(dst, &b, sizeof(b));
		return NULL;
	case CFG_UINT:
		if (parse_uint(v, &u) == -1)
			return "must be a non-negative integer";
		if (u < k->min || (k->max != 0 && u > k->max)) {
			snprintf(range, sizeof(range), "must be between %llu "
			    "and %llu", (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return range;
		}
		if (k->size == sizeof(uint32_t)) {
			uint32_t u32 = (uint32_t)u;
			if (u > UINT32_MAX)
				return "is too large";
			memcpy(dst, &u32, sizeof(u32));
		} else
			memcpy(dst, &u, sizeof(u));
		return NULL;
	case CFG_QUANTITY:
		if (parse_quantity(v, &u) == -1)
			return "must be a byte size such as 10Mi (an integer, "
			    "optionally with Ki, Mi, Gi, Ti, k, M, G or T)";
		if (u < k->min || (k->max != 0 && u > k->max)) {
			snprintf(range, sizeof(range), "must be between %llu "
			    "and %llu bytes", (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return range;
		}
		memcpy(dst, &u, sizeof(u));
		return NULL;
	case CFG_LOGLEVEL:
		if (strcmp(v, "warn") == 0)
			c->log_level = LOG_LVL_WARN;
		else if (strcmp(v, "info") == 0)
			c->log_level = LOG_LVL_INFO;
		else if (strcmp(v, "debug") == 0)
			c->log_level = LOG_LVL_DEBUG;
		else
			return "must be warn, info or debug";
		return NULL;
	case CFG_RUNTIME:
		if (strcmp(v, "auto") == 0)
			c->runtime = RUNTIME_AUTO;
		else if (strcmp(v, "runc") == 0)
			c->runtime = RUNTIME_RUNC;
		else if (strcmp(v, "crun") == 0)
			c->runtime = RUNTIME_CRUN;
		else
			return "must be auto, runc or crun";
		return NULL;
	case CFG_STORAGE:
		if (strcmp(v, "auto") == 0)
			c->storage_driver = STORAGE_AUTO;
		else if (strcmp(v, "overlay") == 0)
			c->storage_driver = STORAGE_OVERLAY;
		else if (strcmp(v, "native") == 0)
			c->storage_driver = STORAGE_NATIVE;
		else
			return "must be auto, overlay or native";
		return NULL;
	case CFG_NODEIP:
	case CFG_IPLIST:
		return config_iplist(k, v, dst, k->size);
	case CFG_PORTLIST:
		return config_portlist(k, v, dst, k->size);
	case CFG_SYSCTLLIST:
		return config_sysctllist(k, v, dst, k->size);
	case CFG_DOMAIN:
		if (strlen(v) >= k->size)
			return "is too long";
		memcpy(dst, v, strlen(v) + 1);
		return config_check_str(k, dst);
	case CFG_CAPLIST:
	case CFG_HOSTPATHS:
		return "must be a list";
	}
	return "unsupported";
}

struct cfg_parser {
	yaml_parser_t	 yp;
	yaml_event_t	 ev;
	int		 have_ev;
	/* YAML requires unique keys; libyaml leaves that to us */
	uint8_t		 seen[CONFIG_MAX_FIELDS];
	char		*err;
	size_t		 errlen;
};

static int
next_event(struct cfg_parser *p)
{
	if (p->have_ev)
		yaml_event_delete(&p->ev);
	p->have_ev = 0;
	if (!yaml_parser_parse(&p->yp, &p->ev)) {
		snprintf(p->err, p->errlen, "line %zu: YAML error: %s",
		    p->yp.problem_mark.line + 1,
		    p->yp.problem ? p->yp.problem : "unknown");
		return -1;
	}
	p->have_ev = 1;
	return 0;
}

/* a double-quoted "\0" puts a NUL inside a scalar; C would truncate it */
static int
scalar_has_nul(const yaml_event_t *ev)
{
	return strlen((const char *)ev->data.scalar.value) !=
	    ev->data.scalar.length;
}

static int
cfg_error(struct cfg_parser *p, const char *key, const char *why)
{
	snprintf(p->err, p->errlen, "line %zu: %s %s",
	    p->ev.start_mark.line + 1, key, why);
	return -1;
}

static int
parse_caplist(struct cfg_parser *p, struct agentd_config *c, const char *key)
{
	const char *why;

	if (p->ev.type == YAML_SCALAR_EVENT &&
	    p->ev.data.scalar.length == 0)
		return 0;	/* "allowedCapabilities:" with nothing */
	if (p->ev.type != YAML_SEQUENCE_START_EVENT)
		return cfg_error(p, key, "must be a list");
	for (;;) {
		if (next_event(p) == -1)
			return -1;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (p->ev.type != YAML_SCALAR_EVENT)
			return cfg_error(p, key, "must be a list of names");
		if (scalar_has_nul(&p->ev))
			return cfg_error(p, key, "contains a NUL byte");
		if ((why = config_add_cap(c, (char *)p->ev.data.scalar.value)))
			return cfg_error(p, key, why);
	}
}

/* one {pathPrefix, readOnly} map of allowedHostPaths */
static int
parse_host_path(struct cfg_parser *p, struct agentd_config *c,
    const char *key)
{
	char prefix[CONFIG_MAX_PATH + 1], name[32];
	const char *why;
	int read_only = 0, have = 0;

	for (;;) {
		if (next_event(p) == -1)
			return -1;
		if (p->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (p->ev.type != YAML_SCALAR_EVENT ||
		    scalar_has_nul(&p->ev))
			return cfg_error(p, key, "entries must be maps of "
			    "pathPrefix and readOnly");
		snprintf(name, sizeof(name), "%s",
		    (char *)p->ev.data.scalar.value);
		if (next_event(p) == -1)
			return -1;
		if (p->ev.type != YAML_SCALAR_EVENT || scalar_has_nul(&p->ev))
			return cfg_error(p, key, "entries' values must be "
			    "scalars");
		if (strcmp(name, "pathPrefix") == 0) {
			if (p->ev.data.scalar.length >= sizeof(prefix))
				return cfg_error(p, key, "has a pathPrefix "
				    "that is too long");
			snprintf(prefix, sizeof(prefix), "%s",
			    (char *)p->ev.data.scalar.value);
			have = 1;
		} else if (strcmp(name, "readOnly") == 0) {
			if (parse_bool((char *)p->ev.data.scalar.value,
			    &read_only) == -1)
				return cfg_error(p, key, "readOnly must be "
				    "true or false");
		} else
			return cfg_error(p, key, "entries have only "
			    "pathPrefix and readOnly");
	}
	if (!have)
		return cfg_error(p, key, "has an entry without pathPrefix");
	if ((why = config_add_host_path(c, prefix, read_only)) != NULL)
		return cfg_error(p, key, why);
	return 0;
}

static int
parse_host_paths(struct cfg_parser *p, struct agentd_config *c,
    const char *key)
{
	if (p->ev.type == YAML_SCALAR_EVENT &&
	    p->ev.data.scalar.length == 0)
		return 0;	/* "allowedHostPaths:" with nothing */
	if (p->ev.type != YAML_SEQUENCE_START_EVENT)
		return cfg_error(p, key, "must be a list");
	for (;;) {
		if (next_event(p) == -1)
			return -1;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return cfg_error(p, key, "must be a list of maps "
			    "{pathPrefix, readOnly}");
		if (parse_host_path(p, c, key) == -1)
			return -1;
	}
}

/*
 * nodeIP, clusterDNS, forbiddenHostPorts, allowedUnsafeSysctls: a YAML
 * list is the comma-separated string, which set_scalar() checks and
 * canonicalises.
 */
#define JOINED_MAX	(2 * CONFIG_MAX_LISTTEXT)

static int
parse_list(struct cfg_parser *p, struct agentd_config *c,
    const struct config_field *k, const char *key)
{
	char joined[JOINED_MAX];
	const char *why, *bad_item;
	size_t len = 0, n;

	bad_item = k->type == CFG_PORTLIST ? "has an item that is not a port "
	    "or a range LO-HI" : k->type == CFG_SYSCTLLIST ? "has an item "
	    "that is not a sysctl name or pattern" : "has an item that is not "
	    "an IP address";
	joined[0] = '\0';
	for (;;) {
		if (next_event(p) == -1)
			return -1;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (p->ev.type != YAML_SCALAR_EVENT)
			return cfg_error(p, key, k->type == CFG_PORTLIST ?
			    "must be a list of ports" :
			    k->type == CFG_SYSCTLLIST ?
			    "must be a list of sysctl names" :
			    "must be a list of addresses");
		if (scalar_has_nul(&p->ev))
			return cfg_error(p, key, "contains a NUL byte");
		n = p->ev.data.scalar.length;
		if (n == 0 || strchr((char *)p->ev.data.scalar.value, ','))
			return cfg_error(p, key, bad_item);
		if (len + n + 2 > sizeof(joined))
			return cfg_error(p, key, "is too long");
		if (len > 0)
			joined[len++] = ',';
		memcpy(joined + len, p->ev.data.scalar.value, n + 1);
		len += n;
	}
	if ((why = set_scalar(c, k, joined)) != NULL)
		return cfg_error(p, key, why);
	return 0;
}

static int
parse_pair(struct cfg_parser *p, struct agentd_config *c)
{
	const struct config_field *k;
	const char *why;
	char key[64];

	if (p->ev.type != YAML_SCALAR_EVENT)
		return cfg_error(p, "key", "must be a plain name");
	if (scalar_has_nul(&p->ev))
		return cfg_error(p, "key", "contains a NUL byte");
	snprintf(key, sizeof(key), "%s", (char *)p->ev.data.scalar.value);
	if ((k = config_field_byname(key)) == NULL)
		return cfg_error(p, key, "is not a known key");
	if (p->seen[k - config_fields])
		return cfg_error(p, key, "is given twice");
	p->seen[k - config_fields] = 1;
	if (next_event(p) == -1)
		return -1;
	if (k->type == CFG_CAPLIST)
		return parse_caplist(p, c, key);
	if (k->type == CFG_HOSTPATHS)
		return parse_host_paths(p, c, key);
	if ((k->type == CFG_NODEIP || k->type == CFG_IPLIST ||
	    k->type == CFG_PORTLIST || k->type == CFG_SYSCTLLIST) &&
	    p->ev.type == YAML_SEQUENCE_START_EVENT)
		return parse_list(p, c, k, key);
	if (p->ev.type != YAML_SCALAR_EVENT)
		return cfg_error(p, key, "must be a scalar value");
	if (scalar_has_nul(&p->ev))
		return cfg_error(p, key, "contains a NUL byte");
	if ((why = set_scalar(c, k, (char *)p->ev.data.scalar.value)))
		return cfg_error(p, key, why);
	return 0;
}

static int
parse_doc(struct cfg_parser *p, struct agentd_config *c)
{
	/* stream start, document start, mapping start */
	if (next_event(p) == -1 || next_event(p) == -1)
		return -1;
	if (p->ev.type == YAML_STREAM_END_EVENT)
		return 0;	/* an empty file: all defaults */
	if (next_event(p) == -1)
		return -1;
	if (p->ev.type == YAML_SCALAR_EVENT && p->ev.data.scalar.length == 0)
		goto end;	/* "---" alone: all defaults, if nothing follows */
	if (p->ev.type != YAML_MAPPING_START_EVENT)
		return cfg_error(p, "document", "must be a mapping of keys");
	for (;;) {
		if (next_event(p) == -1)
			return -1;
		if (p->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (parse_pair(p, c) == -1)
			return -1;
	}
 end:
	/* document end, then nothing but the stream end */
	if (next_event(p) == -1 || next_event(p) == -1)
		return -1;
	if (p->ev.type != YAML_STREAM_END_EVENT)
		return cfg_error(p, "document", "must be the only one");
	return 0;
}

int
config_parse(struct agentd_config *c, const char *buf, size_t len,
    char *err, size_t errlen)
{
	struct cfg_parser p;
	int rv;

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (len > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "larger than %d bytes", CONFIG_MAX_BYTES);
		return -1;
	}
	if (!yaml_parser_initialize(&p.yp)) {
		snprintf(err, errlen, "yaml_parser_initialize failed");
		return -1;
	}
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)buf, len);
	rv = parse_doc(&p, c);
	if (p.have_ev)
		yaml_event_delete(&p.ev);
	yaml_parser_delete(&p.yp);
	/* the tail anchor defaults to a file next to the log */
	if (rv == 0 && c->audit_anchor_file[0] == '\0' &&
	    (size_t)snprintf(c->audit_anchor_file, sizeof(c->audit_anchor_file),
	    "%s.anchor", c->audit_log) >= sizeof(c->audit_anchor_file)) {
		snprintf(err, errlen, "auditAnchorFile: auditLog too long for "
		    "the default");
		rv = -1;
	}
	return rv;
}

static int
read_all(int fd, char **bufp, size_t *lenp, char *err, size_t errlen)
{
	char *buf;
	size_t len = 0;
	ssize_t n;

	if ((buf = malloc(CONFIG_MAX_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((n = read(fd, buf + len, CONFIG_MAX_BYTES + 1 - len)) > 0)
		if ((len += (size_t)n) > CONFIG_MAX_BYTES)
			break;
	if (n == -1 || len > CONFIG_MAX_BYTES) {
		if (n == -1)
			snprintf(err, errlen, "read: %s", strerror(errno));
		else
			snprintf(err, errlen, "larger than %d bytes",
			    CONFIG_MAX_BYTES);
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
config_load_fd(struct agentd_config *c, int fd, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rv;

	if (lseek(fd, 0, SEEK_SET) == -1) {
		snprintf(err, errlen, "lseek: %s", strerror(errno));
		return -1;
	}
	if (read_all(fd, &buf, &len, err, errlen) == -1)
		return -1;
	rv = config_parse(c, buf, len, err, errlen);
	free(buf);
	return rv;
}

int
config_load(struct agentd_config *c, const char *path, char *err,
    size_t errlen)
{
	char sub[512];
	int fd, rv;

	config_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rv = config_load_fd(c, fd, sub, sizeof(sub));
	close(fd);
	if (rv == -1)
		snprintf(err, errlen, "%s: %s", path, sub);
	return rv;
}
