/*
 * configbin.c: the binary configuration agentd hands its workers.  Round
 * trips (defaults, every key, every field at its longest), every
 * truncation, the header checks, CONFIG_BIN_MAX_BYTES at limit and limit
 * + 1, each field's bounds, duplicates, unknown tags, and the worker's
 * path: config_bin_load_fd() from a sealed memfd.
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "tap.h"

#define ERRLEN	256

/* every field of the table equal in a and b */
static int
same_config(const struct agentd_config *a, const struct agentd_config *b)
{
	const struct config_field *f;
	uint32_t i;
	size_t k;

	for (k = 0; k < config_nfields; k++) {
		f = &config_fields[k];
		if (f->type == CFG_CAPLIST)
			continue;
		if (f->type == CFG_STR || f->type == CFG_PATH ||
		    f->type == CFG_NODEIP || f->type == CFG_IPLIST ||
		    f->type == CFG_DOMAIN || f->type == CFG_PORTLIST ||
	    f->type == CFG_SYSCTLLIST) {
			if (strcmp((const char *)a + f->off,
			    (const char *)b + f->off) != 0)
				return 0;
		} else if (memcmp((const char *)a + f->off,
		    (const char *)b + f->off, f->size) != 0)
			return 0;
	}
	if (a->policy.n_allowed_caps != b->policy.n_allowed_caps)
		return 0;
	for (i = 0; i < a->policy.n_allowed_caps; i++)
		if (strcmp(a->policy.allowed_caps[i],
		    b->policy.allowed_caps[i]) != 0)
			return 0;
	return 1;
}

/* encode a, decode into b (over defaults); the decoder's return */
static int
round_trip(const struct agentd_config *a, struct agentd_config *b,
    char *err)
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	size_t len;

	REQUIRE(config_bin_encode(a, buf, sizeof(buf), &len) == 0);
	config_defaults(b);
	err[0] = '\0';
	return config_bin_decode(b, buf, len, err, ERRLEN);
}

/* ---- a hand-made encoding ---- */

struct enc {
	uint8_t	 p[CONFIG_BIN_MAX_BYTES + 16];
	size_t	 len;
};

static void
be(struct enc *e, uint64_t v, size_t n)
{
	size_t i;

	REQUIRE(e->len + n <= sizeof(e->p));
	for (i = 0; i < n; i++)
		e->p[e->len++] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void
enc_begin(struct enc *e)
{
	memcpy(e->p, CONFIG_BIN_MAGIC, 4);
	e->len = 4;
	be(e, CONFIG_BIN_VERSION, 2);
	be(e, 0, 2);
	be(e, 0, 4);
}

/* the header's length, for what was appended */
static void
enc_end(struct enc *e)
{
	size_t n = e->len - CONFIG_BIN_HDR;
	int i;

	for (i = 0; i < 4; i++)
		e->p[8 + i] = (uint8_t)(n >> (8 * (3 - i)));
}

static void
rec(struct enc *e, uint16_t tag, const void *v, size_t n)
{
	be(e, tag, 2);
	be(e, n, 2);
	REQUIRE(e->len + n <= sizeof(e->p));
	memcpy(e->p + e->len, v, n);
	e->len += n;
}

static void
rec_str(struct enc *e, uint16_t tag, const char *s)
{
	rec(e, tag, s, strlen(s));
}

static void
rec_num(struct enc *e, uint16_t tag, uint64_t v)
{
	be(e, tag, 2);
	be(e, 8, 2);
	be(e, v, 8);
}

static uint16_t
tag_of(const char *name)
{
	const struct config_field *f;

	REQUIRE((f = config_field_byname(name)) != NULL);
	return f->tag;
}

static int
decode(const struct enc *e, struct agentd_config *c, char *err)
{
	config_defaults(c);
	err[0] = '\0';
	return config_bin_decode(c, e->p, e->len, err, ERRLEN);
}

/* one record alone must be refused with exactly this message */
static void
check_refused(struct enc *e, const char *want)
{
	struct agentd_config c;
	char err[ERRLEN];

	enc_end(e);
	CHECK_EQ_INT(decode(e, &c, err), -1);
	CHECK_STR(err, want);
	config_free(&c);
}

static void
check_num_refused(const char *name, uint64_t v, const char *why)
{
	struct enc e;
	char want[ERRLEN];

	enc_begin(&e);
	rec_num(&e, tag_of(name), v);
	snprintf(want, sizeof(want), "tag %u (%s): %s", tag_of(name), name,
	    why);
	check_refused(&e, want);
}

static void
check_str_refused(const char *name, const void *v, size_t n,
    const char *why)
{
	struct enc e;
	char want[ERRLEN];

	enc_begin(&e);
	rec(&e, tag_of(name), v, n);
	snprintf(want, sizeof(want), "tag %u (%s): %s", tag_of(name), name,
	    why);
	check_refused(&e, want);
}

/*
 * CONFIG_MAX_PORT_RANGES ranges of 11 characters that neither overlap
 * nor touch, so canonical as they are: "10000-10001,10003-10004,..."
 */
static void
longest_port_list(char *out, size_t outlen)
{
	size_t len = 0;
	int i, n;

	out[0] = '\0';
	for (i = 0; i < CONFIG_MAX_PORT_RANGES; i++) {
		n = snprintf(out + len, outlen - len, "%s%d-%d", i ? "," : "",
		    10000 + 3 * i, 10001 + 3 * i);
		REQUIRE(n > 0 && (size_t)n < outlen - len);
		len += (size_t)n;
	}
	REQUIRE(len == outlen - 1);	/* the buffer, exactly */
}

/* a config with every string field at its longest and every cap */
static void
longest_config(struct agentd_config *c)
{
	const struct config_field *f;
	size_t k;
	int cap;

	config_defaults(c);
	for (k = 0; k < config_nfields; k++) {
		f = &config_fields[k];
		if (f->type != CFG_STR && f->type != CFG_PATH)
			continue;
		memset((char *)c + f->off, 'a', f->size - 1);
		((char *)c + f->off)[0] = '/';
		((char *)c + f->off)[f->size - 1] = '\0';
	}
	for (cap = 0; cap < CONFIG_MAX_CAPS; cap++)
		REQUIRE(config_add_cap(c, cap % 2 ? "NET_ADMIN" :
		    "CAP_DAC_READ_SEARCH") == NULL);
	longest_port_list(c->policy.forbidden_host_ports,
	    sizeof(c->policy.forbidden_host_ports));
	for (k = 0; k < CONFIG_MAX_HOST_PATHS; k++) {
		char path[CONFIG_MAX_PATH];

		memset(path, 'h', sizeof(path) - 1);
		path[0] = '/';
		path[sizeof(path) - 1] = '\0';
		REQUIRE(config_add_host_path(c, path, (int)(k % 2)) == NULL);
	}
}

/* ---- round trips ---- */

TEST(test_bin_round_trip_defaults)
{
	struct agentd_config a, b;
	char err[ERRLEN];

	config_defaults(&a);
	CHECK_EQ_INT(round_trip(&a, &b, err), 0);
	CHECK_STR(err, "");
	CHECK(same_config(&a, &b));
	config_free(&a);
	config_free(&b);
}

TEST(test_bin_round_trip_every_key)
{
	static const char yaml[] =
		"nodeName: node-a\nstaticPodPath: /srv/pods\n"
		"rootDir: /srv/agentd\nrunDir: /run/x\npodLogsDir: /srv/logs\n"
		"cgroupRoot: /a.slice\nprivsepUser: nobody\n"
		"reporterUser: daemon\nprivsepChroot: /var/empty/x\n"
		"libexecDir: /opt/libexec\nauditLog: /srv/audit.log\n"
		"auditKeyFile: /etc/k\nauditMaxBytes: 18446744073709551615\n"
		"auditFsync: false\nauditAnchorFile: /srv/anchor\n"
		"logLevel: debug\nsyslog: yes\nruntime: crun\n"
		"runtimePath: /usr/bin/crun\nstorageDriver: native\n"
		"conmonPath: /usr/bin/conmon\ncniBinDir: /opt/cni\n"
		"staticPodRescanSeconds: 7\nheartbeatSeconds: 4294967295\n"
		"maxParallelRuntimeOps: 64\nruntimeOpTimeoutSeconds: 3600\n"
		"allowPrivileged: true\nallowHostNetwork: yes\n"
		"allowHostPID: true\nallowHostIPC: true\nallowRunAsRoot: no\n"
		"allowedCapabilities: [NET_ADMIN, CAP_SYS_TIME]\n"
		"forbiddenHostPorts: [22, \"2379-2380\", 30000-32767]\n"
		"maxPods: 250\n"
		"kubeconfig: /etc/agentd/kubeconfig\n"
		"allowInsecureAPIServer: true\n"
		"containerLogMaxSize: 3Gi\ncontainerLogMaxFiles: 7\n"
		"allowedHostPaths:\n  - pathPrefix: /srv/data/\n"
		"  - {pathPrefix: /etc/conf, readOnly: true}\n"
		"  - pathPrefix: /\n";
	struct agentd_config a, b;
	char err[ERRLEN];

	config_defaults(&a);
	REQUIRE(config_parse(&a, yaml, strlen(yaml), err, sizeof(err)) == 0);
	CHECK_EQ_INT(round_trip(&a, &b, err), 0);
	CHECK_STR(err, "");
	CHECK(same_config(&a, &b));
	CHECK_STR(b.node_name, "node-a");
	CHECK(b.audit_max_bytes == UINT64_MAX);
	CHECK_EQ_INT(b.max_pods, 250);
	CHECK_STR(b.kubeconfig, "/etc/agentd/kubeconfig");
	CHECK_EQ_INT(b.allow_insecure_api, 1);
	CHECK(b.container_log_max_size == 3ULL << 30);
	CHECK_EQ_INT(b.container_log_max_files, 7);
	CHECK(b.watchdog_ping_seconds == UINT32_MAX);
	CHECK_EQ_INT(b.storage_driver, STORAGE_NATIVE);
	CHECK_EQ_INT(b.log_level, LOG_LVL_DEBUG);
	CHECK_EQ_INT(b.policy.allow_run_as_root, 0);
	REQUIRE(b.policy.n_allowed_caps == 2);
	CHECK_STR(b.policy.allowed_caps[1], "SYS_TIME");
	CHECK_STR(b.policy.forbidden_host_ports, "22,2379-2380,30000-32767");
	REQUIRE(b.policy.n_allowed_host_paths == 3);
	CHECK_STR(b.policy.allowed_host_paths[0].prefix, "/srv/data");
	CHECK_EQ_INT(b.policy.allowed_host_paths[0].read_only, 0);
	CHECK_STR(b.policy.allowed_host_paths[1].prefix, "/etc/conf");
	CHECK_EQ_INT(b.policy.allowed_host_paths[1].read_only, 1);
	CHECK_STR(b.policy.allowed_host_paths[2].prefix, "");
	config_free(&a);
	config_free(&b);
}

TEST(test_bin_host_path_records_checked)
{
	char long_path[CONFIG_MAX_PATH + 1];

	check_str_refused("allowedHostPaths", "", 0,
	    "is not an allowedHostPaths entry");
	check_str_refused("allowedHostPaths", "x/srv", 5,
	    "is not an allowedHostPaths entry");
	check_str_refused("allowedHostPaths", "wsrv", 4,
	    "has a pathPrefix that is not an absolute path");
	check_str_refused("allowedHostPaths", "w/a/../b", 8,
	    "has a pathPrefix with a '..' component");
	check_str_refused("allowedHostPaths", "w/a\0b", 5,
	    "contains a NUL byte");
	long_path[0] = 'r';
	memset(long_path + 1, 'p', sizeof(long_path) - 1);
	long_path[1] = '/';
	check_str_refused("allowedHostPaths", long_path, sizeof(long_path),
	    "is not an allowedHostPaths entry");
}

TEST(test_bin_too_many_host_paths_refused)
{
	struct enc e;
	char want[ERRLEN];
	int i;

	enc_begin(&e);
	for (i = 0; i <= CONFIG_MAX_HOST_PATHS; i++)
		rec_str(&e, tag_of("allowedHostPaths"), "w/srv");
	snprintf(want, sizeof(want), "tag %u (allowedHostPaths): has too "
	    "many entries", tag_of("allowedHostPaths"));
	check_refused(&e, want);
}

TEST(test_yaml_host_paths_refused)
{
	static const char *const bad[] = {
		"allowedHostPaths: /srv\n",
		"allowedHostPaths: [/srv]\n",
		"allowedHostPaths:\n  - readOnly: true\n",
		"allowedHostPaths:\n  - pathPrefix: srv\n",
		"allowedHostPaths:\n  - pathPrefix: /a/..\n",
		"allowedHostPaths:\n  - pathPrefix: /a\n    readOnly: maybe\n",
		"allowedHostPaths:\n  - pathPrefix: /a\n    other: 1\n",
	};
	struct agentd_config c;
	char err[ERRLEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		CHECK_EQ_INT(config_parse(&c, bad[i], strlen(bad[i]), err,
		    sizeof(err)), -1);
		CHECK(strstr(err, "allowedHostPaths") != NULL);
		config_free(&c);
	}
}

/* the largest configuration fits CONFIG_BIN_MAX_BYTES with room left */
TEST(test_bin_round_trip_longest)
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	struct agentd_config a, b;
	char err[ERRLEN];
	size_t len;

	longest_config(&a);
	REQUIRE(config_bin_encode(&a, buf, sizeof(buf), &len) == 0);
	/* a quarter left: allowedHostPaths at its longest is 16 KiB */
	CHECK(len < CONFIG_BIN_MAX_BYTES / 4 * 3);
	CHECK_EQ_INT(round_trip(&a, &b, err), 0);
	CHECK_STR(err, "");
	CHECK(same_config(&a, &b));
	CHECK_EQ_INT(b.policy.n_allowed_caps, CONFIG_MAX_CAPS);
	CHECK_EQ_INT(strlen(b.policy.forbidden_host_ports),
	    CONFIG_MAX_PORTLIST - 1);
	CHECK_EQ_INT(b.policy.n_allowed_host_paths, CONFIG_MAX_HOST_PATHS);
	config_free(&a);
	config_free(&b);
}

TEST(test_bin_encode_refuses_small_buffer)
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	struct agentd_config a;
	size_t len, n;

	config_defaults(&a);
	REQUIRE(config_bin_encode(&a, buf, sizeof(buf), &len) == 0);
	CHECK_EQ_INT(config_bin_encode(&a, buf, len, &n), 0);
	CHECK_EQ_INT(n, len);
	CHECK_EQ_INT(config_bin_encode(&a, buf, len - 1, &n), -1);
	CHECK_EQ_INT(config_bin_encode(&a, buf, CONFIG_BIN_HDR - 1, &n), -1);
	config_free(&a);
}

/* ---- truncation and the header ---- */

/* every strict prefix is refused: the header says how long the rest is */
TEST(test_bin_every_truncation_refused)
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	struct agentd_config a, b;
	char err[ERRLEN];
	size_t len, n;

	longest_config(&a);
	REQUIRE(config_bin_encode(&a, buf, sizeof(buf), &len) == 0);
	for (n = 0; n < len; n++) {
		config_defaults(&b);
		err[0] = '\0';
		CHECK_EQ_INT(config_bin_decode(&b, buf, n, err, sizeof(err)),
		    -1);
		CHECK(err[0] != '\0');
		config_free(&b);
	}
	config_free(&a);
}

/* a record cut short, with a header that agrees with the cut */
TEST(test_bin_truncated_record_refused)
{
	struct enc e;

	enc_begin(&e);
	be(&e, tag_of("nodeName"), 2);
	check_refused(&e, "truncated record at 12");
	enc_begin(&e);
	rec_str(&e, tag_of("nodeName"), "node-a");
	e.len -= 1;
	check_refused(&e, "tag 2: truncated");
}

TEST(test_bin_header_checks)
{
	struct agentd_config c;
	struct enc e;
	char err[ERRLEN];

	enc_begin(&e);
	enc_end(&e);
	CHECK_EQ_INT(decode(&e, &c, err), 0);	/* no records: defaults */
	config_free(&c);
	e.p[0] = 'X';
	CHECK_EQ_INT(decode(&e, &c, err), -1);
	CHECK_STR(err, "not a binary configuration");
	config_free(&c);
	enc_begin(&e);
	e.p[5] = CONFIG_BIN_VERSION + 1;
	enc_end(&e);
	CHECK_EQ_INT(decode(&e, &c, err), -1);
	CHECK_STR(err, "version 2, not 1");
	config_free(&c);
	enc_begin(&e);
	e.p[7] = 1;
	enc_end(&e);
	CHECK_EQ_INT(decode(&e, &c, err), -1);
	CHECK_STR(err, "bad header (truncated?)");
	config_free(&c);
	/* trailing bytes the header does not count */
	enc_begin(&e);
	enc_end(&e);
	be(&e, 0, 4);
	CHECK_EQ_INT(decode(&e, &c, err), -1);
	CHECK_STR(err, "bad header (truncated?)");
	config_free(&c);
}

/* ---- size bound ---- */

/* an input of n bytes: one field, then an unknown tag to pad it */
static void
padded(struct enc *e, size_t n)
{
	size_t pad;

	enc_begin(e);
	rec_str(e, tag_of("nodeName"), "padded");
	REQUIRE(n >= e->len + 4);
	pad = n - e->len - 4;
	REQUIRE(pad <= UINT16_MAX);
	be(e, 0xfff0, 2);
	be(e, pad, 2);
	memset(e->p + e->len, 0xaa, pad);
	e->len += pad;
	enc_end(e);
}

static int
memfd_with(const void *p, size_t n)
{
	int fd;

	REQUIRE((fd = memfd_create("agentd.conf",
	    MFD_CLOEXEC | MFD_ALLOW_SEALING)) != -1);
	REQUIRE(write(fd, p, n) == (ssize_t)n);
	REQUIRE(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == 0);
	return fd;
}

TEST(test_bin_max_bytes_bound)
{
	static struct enc e;
	struct agentd_config c;
	char err[ERRLEN];
	int fd;

	padded(&e, CONFIG_BIN_MAX_BYTES);
	CHECK_EQ_INT(decode(&e, &c, err), 0);
	CHECK_STR(c.node_name, "padded");
	config_free(&c);
	fd = memfd_with(e.p, e.len);
	config_defaults(&c);
	CHECK_EQ_INT(config_bin_load_fd(&c, fd, err, sizeof(err)), 0);
	CHECK_STR(c.node_name, "padded");
	config_free(&c);
	close(fd);
	/* one byte more, counted by the header: refused by its size */
	padded(&e, CONFIG_BIN_MAX_BYTES + 1);
	CHECK_EQ_INT(decode(&e, &c, err), -1);
	CHECK_STR(err, "larger than 65536 bytes");
	config_free(&c);
	fd = memfd_with(e.p, e.len);
	config_defaults(&c);
	CHECK_EQ_INT(config_bin_load_fd(&c, fd, err, sizeof(err)), -1);
	CHECK_STR(err, "larger than 65536 bytes");
	config_free(&c);
	close(fd);
}

TEST(test_bin_padded_input_accepted)
{
	static struct enc e;
	struct agentd_config c;
	char err[ERRLEN];

	padded(&e, 1000);
	CHECK_EQ_INT(e.len, 1000);
	CHECK_EQ_INT(decode(&e, &c, err), 0);
	CHECK_STR(c.node_name, "padded");
	config_free(&c);
}

/* ---- each field's bounds ---- */

TEST(test_bin_number_bounds)
{
	check_num_refused("auditFsync", 2, "is not a boolean");
	check_num_refused("allowPrivileged", UINT64_MAX, "is not a boolean");
	check_num_refused("logLevel", LOG_LVL_DEBUG + 1, "is not a log level");
	check_num_refused("runtime", RUNTIME_CRUN + 1, "is not a runtime");
	check_num_refused("storageDriver", STORAGE_NATIVE + 1,
	    "is not a storage driver");
	check_num_refused("runtimeOpTimeoutSeconds", 0, "is out of range");
	check_num_refused("runtimeOpTimeoutSeconds", 3601, "is out of range");
	check_num_refused("maxParallelRuntimeOps", CONFIG_MAX_RUNTIME_OPS + 1,
	    "is out of range");
	check_num_refused("maxPods", 0, "is out of range");
	check_num_refused("maxPods", CONFIG_MAX_MAX_PODS + 1,
	    "is out of range");
	check_num_refused("heartbeatSeconds", (uint64_t)UINT32_MAX + 1,
	    "is too large");
	check_num_refused("containerLogMaxSize", CONFIG_MIN_LOG_MAX_SIZE - 1,
	    "is out of range");
	check_num_refused("containerLogMaxSize", CONFIG_MAX_LOG_MAX_SIZE + 1,
	    "is out of range");
	check_num_refused("containerLogMaxFiles", 1, "is out of range");
	check_num_refused("containerLogMaxFiles", CONFIG_MAX_LOG_MAX_FILES + 1,
	    "is out of range");
	check_num_refused("nodeName", 1, "contains a NUL byte");
}

TEST(test_bin_number_needs_eight_bytes)
{
	struct enc e;
	char want[ERRLEN];

	enc_begin(&e);
	rec(&e, tag_of("auditFsync"), "\0\0\0\1", 4);
	snprintf(want, sizeof(want), "tag %u (auditFsync): has the wrong "
	    "length", tag_of("auditFsync"));
	check_refused(&e, want);
}

TEST(test_bin_string_bounds)
{
	char long_name[256], long_path[CONFIG_MAX_PATH];

	memset(long_name, 'n', sizeof(long_name));
	check_str_refused("nodeName", long_name, sizeof(long_name),
	    "is too long");
	long_path[0] = '/';
	memset(long_path + 1, 'p', sizeof(long_path) - 1);
	check_str_refused("rootDir", long_path, sizeof(long_path),
	    "is too long");
	check_str_refused("nodeName", "a\0b", 3, "contains a NUL byte");
	check_str_refused("nodeName", "", 0, "must not be empty");
	check_str_refused("rootDir", "", 0, "must not be empty");
	check_str_refused("rootDir", "srv", 3, "must be an absolute path");
	check_str_refused("allowedCapabilities", "NET\0ADMIN", 9,
	    "contains a NUL byte");
	check_str_refused("allowedCapabilities", "NET_FLY", 7,
	    "names an unknown capability");
	check_str_refused("allowedCapabilities", "net_admin", 9,
	    "has an invalid capability name");
	check_str_refused("allowedCapabilities", long_name, 64,
	    "has an invalid capability name");
}

TEST(test_bin_addresses_and_domain)
{
	static const char yaml[] =
		"nodeIP: \" 192.0.2.1 , 2001:db8:0:0::1\"\n"
		"clusterDNS: [10.96.0.10, \"fd00::a\"]\n"
		"clusterDomain: example.internal\n";
	struct agentd_config a, b;
	char err[ERRLEN];

	config_defaults(&a);
	CHECK_STR(a.cluster_domain, "cluster.local");
	CHECK_STR(a.node_ip, "");
	REQUIRE(config_parse(&a, yaml, strlen(yaml), err, sizeof(err)) == 0);
	/* canonical: no blanks, inet_ntop's spelling */
	CHECK_STR(a.node_ip, "192.0.2.1,2001:db8::1");
	CHECK_STR(a.cluster_dns, "10.96.0.10,fd00::a");
	snprintf(a.node_ips, sizeof(a.node_ips), "%s", a.node_ip);
	CHECK_EQ_INT(round_trip(&a, &b, err), 0);
	CHECK_STR(err, "");
	CHECK(same_config(&a, &b));
	CHECK_STR(b.node_ips, "192.0.2.1,2001:db8::1");
	CHECK_STR(b.cluster_domain, "example.internal");
	config_free(&a);
	config_free(&b);
	check_str_refused("nodeIP", "192.0.2.1,192.0.2.2", 19,
	    "may have at most one IPv4 and one IPv6 address");
	check_str_refused("nodeIP", "192.0.2.1, fd00::1", 18,
	    "is not a canonical address list");
	check_str_refused("clusterDNS", "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4", 31,
	    "has too many addresses");
	check_str_refused("clusterDNS", "dns.example", 11,
	    "has an item that is not an IP address");
	check_str_refused("clusterDomain", "Cluster.Local", 13,
	    "must be a lowercase RFC 1123 subdomain");
	check_str_refused("clusterDomain", "", 0, "must not be empty");
}

/* forbiddenHostPorts: canonical on both sides of the memfd */
TEST(test_bin_forbidden_host_ports_canonical)
{
	struct agentd_config a, b;
	char err[ERRLEN];

	config_defaults(&a);
	CHECK_STR(a.policy.forbidden_host_ports, "");
	snprintf(a.policy.forbidden_host_ports,
	    sizeof(a.policy.forbidden_host_ports), "1,22-23,65535");
	CHECK_EQ_INT(round_trip(&a, &b, err), 0);
	CHECK_STR(err, "");
	CHECK_STR(b.policy.forbidden_host_ports, "1,22-23,65535");
	config_free(&a);
	config_free(&b);
	/* the decoder refuses what agentd would never have written */
	check_str_refused("forbiddenHostPorts", "23,22", 5,
	    "is not a canonical port list");
	check_str_refused("forbiddenHostPorts", "22,23", 5,
	    "is not a canonical port list");
	check_str_refused("forbiddenHostPorts", "22-22", 5,
	    "is not a canonical port list");
	check_str_refused("forbiddenHostPorts", "22, 80", 6,
	    "is not a canonical port list");
	check_str_refused("forbiddenHostPorts", "0", 1,
	    "has a port outside 1..65535");
	check_str_refused("forbiddenHostPorts", "1-65536", 7,
	    "has a port outside 1..65535");
	check_str_refused("forbiddenHostPorts", "9-8", 3,
	    "has a range LO-HI with LO above HI");
	check_str_refused("forbiddenHostPorts", "ssh", 3,
	    "has an item that is not a port or a range LO-HI");
	check_str_refused("forbiddenHostPorts", "22,", 3,
	    "has an empty item");
}

/* the set, not the spelling: sorted, overlaps and neighbours merged */
TEST(test_portlist_merges_and_sorts)
{
	const struct config_field *f;
	char out[CONFIG_MAX_PORTLIST];

	REQUIRE((f = config_field_byname("forbiddenHostPorts")) != NULL);
	CHECK(config_portlist(f, "30000-32767, 22,23,2380, 2379-2380,"
	    "31000-33000", out, sizeof(out)) == NULL);
	CHECK_STR(out, "22-23,2379-2380,30000-33000");
	CHECK(config_portlist(f, "100-200,150,1-65535", out,
	    sizeof(out)) == NULL);
	CHECK_STR(out, "1-65535");
	CHECK(config_portlist(f, "  ", out, sizeof(out)) == NULL);
	CHECK_STR(out, "");
	CHECK(config_portlist(f, "080", out, sizeof(out)) == NULL);
	CHECK_STR(out, "80");
	CHECK_STR(config_portlist(f, "22-", out, sizeof(out)),
	    "has an item that is not a port or a range LO-HI");
	CHECK_STR(config_portlist(f, "22 - 23", out, sizeof(out)),
	    "has an item that is not a port or a range LO-HI");
	CHECK_STR(config_portlist(f, "-22", out, sizeof(out)),
	    "has an item that is not a port or a range LO-HI");
	CHECK_STR(config_portlist(f, "100000", out, sizeof(out)),
	    "has a port outside 1..65535");
	CHECK_STR(out, "");
}

/* CONFIG_MAX_PORT_RANGES items, even ones that merge, and one more */
TEST(test_portlist_count_bound)
{
	const struct config_field *f;
	char in[CONFIG_MAX_PORT_RANGES * 8], out[CONFIG_MAX_PORTLIST];
	size_t len = 0;
	int i;

	REQUIRE((f = config_field_byname("forbiddenHostPorts")) != NULL);
	for (i = 0; i < CONFIG_MAX_PORT_RANGES; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len, "%s%d",
		    i ? "," : "", 100 + i);
	CHECK(config_portlist(f, in, out, sizeof(out)) == NULL);
	CHECK_STR(out, "100-131");
	snprintf(in + len, sizeof(in) - len, ",132");
	CHECK_STR(config_portlist(f, in, out, sizeof(out)),
	    "has too many items");
	CHECK_STR(out, "");
}

TEST(test_portlist_find)
{
	uint32_t lo = 0, hi = 0;

	CHECK_EQ_INT(config_portlist_find("22,2379-2380,30000-32767", 22,
	    &lo, &hi), 1);
	CHECK_EQ_INT(lo, 22);
	CHECK_EQ_INT(hi, 22);
	CHECK_EQ_INT(config_portlist_find("22,2379-2380,30000-32767", 32767,
	    &lo, &hi), 1);
	CHECK_EQ_INT(lo, 30000);
	CHECK_EQ_INT(hi, 32767);
	CHECK_EQ_INT(config_portlist_find("22,2379-2380,30000-32767", 2381,
	    &lo, &hi), 0);
	CHECK_EQ_INT(config_portlist_find("22,2379-2380,30000-32767", 29999,
	    &lo, &hi), 0);
	CHECK_EQ_INT(config_portlist_find("22,2379-2380,30000-32767", 21,
	    &lo, &hi), 0);
	CHECK_EQ_INT(config_portlist_find("", 22, &lo, &hi), 0);
}

#define PARSE(c, y, e)	config_parse((c), (y), strlen(y), (e), ERRLEN)

TEST(test_yaml_addresses_refused)
{
	struct agentd_config c;
	char err[ERRLEN];

	config_defaults(&c);
	CHECK_EQ_INT(PARSE(&c, "nodeIP: [fd00::1, \"fd00::2\"]\n", err), -1);
	CHECK(strstr(err, "nodeIP may have at most one IPv4") != NULL);
	config_defaults(&c);
	CHECK_EQ_INT(PARSE(&c, "clusterDNS: 10.0.0.300\n", err), -1);
	CHECK(strstr(err, "clusterDNS has an item that is not an IP") != NULL);
	config_defaults(&c);
	CHECK_EQ_INT(PARSE(&c, "clusterDomain: -bad\n", err), -1);
	CHECK(strstr(err, "clusterDomain must be a lowercase") != NULL);
}

TEST(test_bin_string_at_its_longest_accepted)
{
	struct agentd_config c;
	struct enc e;
	char err[ERRLEN], name[255];

	memset(name, 'n', sizeof(name));
	enc_begin(&e);
	rec(&e, tag_of("nodeName"), name, sizeof(name));
	enc_end(&e);
	CHECK_EQ_INT(decode(&e, &c, err), 0);
	CHECK_EQ_INT(strlen(c.node_name), sizeof(name));
	config_free(&c);
}

TEST(test_bin_optional_path_may_be_empty)
{
	struct agentd_config c;
	struct enc e;
	char err[ERRLEN];

	enc_begin(&e);
	rec_str(&e, tag_of("runtimePath"), "");
	rec_str(&e, tag_of("auditKeyFile"), "");
	enc_end(&e);
	CHECK_EQ_INT(decode(&e, &c, err), 0);
	CHECK_STR(c.runtime_path, "");
	config_free(&c);
}

TEST(test_bin_too_many_caps_refused)
{
	struct enc e;
	char want[ERRLEN];
	int i;

	enc_begin(&e);
	for (i = 0; i <= CONFIG_MAX_CAPS; i++)
		rec_str(&e, tag_of("allowedCapabilities"), "CHOWN");
	snprintf(want, sizeof(want), "tag %u (allowedCapabilities): has too "
	    "many entries", tag_of("allowedCapabilities"));
	check_refused(&e, want);
}

TEST(test_bin_duplicate_field_refused)
{
	struct enc e;
	char want[ERRLEN];

	enc_begin(&e);
	rec_str(&e, tag_of("rootDir"), "/a");
	rec_str(&e, tag_of("rootDir"), "/b");
	snprintf(want, sizeof(want), "tag %u: given twice", tag_of("rootDir"));
	check_refused(&e, want);
}

/* a newer agentd's field is skipped; a missing field keeps its default */
TEST(test_bin_unknown_tag_skipped_missing_defaulted)
{
	struct agentd_config c, d;
	struct enc e;
	char err[ERRLEN];

	enc_begin(&e);
	rec_str(&e, 0, "zero");
	rec_str(&e, 0xffff, "/from/the/future");
	rec_str(&e, tag_of("rootDir"), "/srv");
	enc_end(&e);
	CHECK_EQ_INT(decode(&e, &c, err), 0);
	CHECK_STR(c.root_dir, "/srv");
	config_defaults(&d);
	snprintf(d.root_dir, sizeof(d.root_dir), "/srv");
	CHECK(same_config(&c, &d));
	config_free(&c);
	config_free(&d);
}

/* ---- the worker's memfd ---- */

TEST(test_bin_load_fd_from_memfd)
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	struct agentd_config a, b;
	char err[ERRLEN];
	size_t len;
	int fd;

	longest_config(&a);
	REQUIRE(config_bin_encode(&a, buf, sizeof(buf), &len) == 0);
	fd = memfd_with(buf, len);
	config_defaults(&b);
	CHECK_EQ_INT(config_bin_load_fd(&b, fd, err, sizeof(err)), 0);
	CHECK(same_config(&a, &b));
	config_free(&b);
	/* a restarted worker reads the same bytes again: offset is reset */
	config_defaults(&b);
	CHECK_EQ_INT(config_bin_load_fd(&b, fd, err, sizeof(err)), 0);
	CHECK(same_config(&a, &b));
	config_free(&b);
	config_free(&a);
	close(fd);
}

TEST(test_bin_load_fd_refuses_yaml)
{
	static const char yaml[] = "nodeName: a\n";
	struct agentd_config c;
	char err[ERRLEN];
	int fd;

	fd = memfd_with(yaml, strlen(yaml));
	config_defaults(&c);
	CHECK_EQ_INT(config_bin_load_fd(&c, fd, err, sizeof(err)), -1);
	CHECK_STR(err, "not a binary configuration");
	config_free(&c);
	close(fd);
}

/* every table row: a YAML key is unique and so is every tag */
TEST(test_bin_table_keys_and_tags_unique)
{
	size_t i, j;

	CHECK(config_nfields <= CONFIG_MAX_FIELDS);
	for (i = 0; i < config_nfields; i++)
		for (j = i + 1; j < config_nfields; j++) {
			CHECK(config_fields[i].tag != config_fields[j].tag);
			CHECK(config_fields[i].name == NULL ||
			    config_fields[j].name == NULL ||
			    strcmp(config_fields[i].name,
			    config_fields[j].name) != 0);
		}
}
