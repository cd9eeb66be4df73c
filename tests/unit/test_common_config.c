/*
 * config.c: agentd.yaml.  Defaults, every key, the errors (each naming
 * the line and the key), CONFIG_MAX_BYTES at limit and limit + 1, and the
 * worker's path: config_load_fd() from a sealed memfd.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "caps.h"
#include "config.h"
#include "log.h"
#include "tap.h"

#define ERRLEN	512

/* config_defaults() + config_parse() of a C string */
static int
parse(struct agentd_config *c, const char *yaml, char *err)
{
	config_defaults(c);
	err[0] = '\0';
	return config_parse(c, yaml, strlen(yaml), err, ERRLEN);
}

/* parse must fail with exactly this message */
static void
check_error(const char *yaml, const char *want)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, yaml, err), -1);
	CHECK_STR(err, want);
	config_free(&c);
}

static void
check_ok(const char *yaml)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, yaml, err), 0);
	if (err[0] != '\0')
		fprintf(stderr, "unexpected error: %s\n", err);
	config_free(&c);
}

static void
check_defaults(const struct agentd_config *c)
{
	char host[256];

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	CHECK_STR(c->path, CONFIG_DEFAULT_PATH);
	CHECK_STR(c->node_name, host);
	CHECK_STR(c->static_pod_path, "/etc/agentd/pods");
	CHECK_EQ_INT(c->max_pods, 110);	/* the kubelet's maxPods */
	CHECK_STR(c->kubeconfig, "");	/* standalone */
	CHECK_EQ_INT(c->allow_insecure_api, 0);
	CHECK_STR(c->root_dir, "/var/lib/agentd");
	CHECK_STR(c->run_dir, "/run/agentd");
	CHECK_STR(c->pod_logs_dir, "/var/log/pods");
	CHECK_STR(c->cgroup_root, "/agentd");
	CHECK_STR(c->privsep_user, "_agentd");
	CHECK_STR(c->reporter_user, "_agentd-rep");
	CHECK_STR(c->privsep_chroot, "/var/empty/agentd");
	CHECK_STR(c->libexec_dir, "/usr/local/libexec/agentd");
	CHECK_STR(c->audit_log, "/var/log/agentd/audit.log");
	CHECK_STR(c->audit_key_file, "");
	CHECK(c->audit_max_bytes == 64ULL * 1024 * 1024);
	CHECK_EQ_INT(c->audit_fsync, 1);
	CHECK_EQ_INT(c->log_level, LOG_LVL_INFO);
	CHECK_EQ_INT(c->use_syslog, 0);
	CHECK_EQ_INT(c->runtime, RUNTIME_AUTO);
	CHECK_STR(c->runtime_path, "");
	CHECK_STR(c->conmon_path, "");
	CHECK_STR(c->cni_bin_dir, "/usr/lib/cni");
	CHECK_EQ_INT(c->static_rescan_seconds, 20);
	CHECK_EQ_INT(c->watchdog_ping_seconds, 5);
	CHECK_EQ_INT(c->policy.allow_privileged, 0);
	CHECK_EQ_INT(c->policy.allow_host_network, 0);
	CHECK_EQ_INT(c->policy.allow_host_pid, 0);
	CHECK_EQ_INT(c->policy.allow_host_ipc, 0);
	CHECK_EQ_INT(c->policy.allow_run_as_root, 1);
	CHECK_EQ_INT(c->policy.n_allowed_caps, 0);
	CHECK_STR(c->policy.forbidden_host_ports, "");
}

static const char every_key[] =
	"# every key, none at its default\n"
	"nodeName: node-a\n"
	"staticPodPath: /srv/pods\n"
	"rootDir: /srv/agentd\n"
	"runDir: /run/agentd-test\n"
	"podLogsDir: /srv/logs\n"
	"cgroupRoot: /agentd.slice\n"
	"privsepUser: nobody\n"
	"reporterUser: daemon\n"
	"privsepChroot: /var/empty/x\n"
	"libexecDir: /opt/agentd/libexec\n"
	"auditLog: /srv/audit.log\n"
	"auditKeyFile: /etc/agentd/audit.key\n"
	"auditMaxBytes: 18446744073709551615\n"
	"auditFsync: false\n"
	"logLevel: debug\n"
	"syslog: yes\n"
	"runtime: crun\n"
	"runtimePath: /usr/bin/crun\n"
	"conmonPath: /usr/bin/conmon\n"
	"cniBinDir: /opt/cni/bin\n"
	"staticPodRescanSeconds: 7\n"
	"heartbeatSeconds: 4294967295\n"
	"allowPrivileged: true\n"
	"allowHostNetwork: yes\n"
	"allowHostPID: true\n"
	"allowHostIPC: true\n"
	"allowRunAsRoot: no\n"
	"allowedCapabilities:\n"
	"  - NET_ADMIN\n"
	"  - CAP_SYS_TIME\n"
	"forbiddenHostPorts: [22, \"2379-2380\", \"30000-32767\"]\n"
	"maxPods: 250\n"
	"kubeconfig: /etc/agentd/kubeconfig\n"
	"allowInsecureAPIServer: true\n";

static void
check_every_key(const struct agentd_config *c)
{
	CHECK_STR(c->node_name, "node-a");
	CHECK_STR(c->static_pod_path, "/srv/pods");
	CHECK_STR(c->root_dir, "/srv/agentd");
	CHECK_STR(c->run_dir, "/run/agentd-test");
	CHECK_STR(c->pod_logs_dir, "/srv/logs");
	CHECK_STR(c->cgroup_root, "/agentd.slice");
	CHECK_STR(c->privsep_user, "nobody");
	CHECK_STR(c->reporter_user, "daemon");
	CHECK_STR(c->privsep_chroot, "/var/empty/x");
	CHECK_STR(c->libexec_dir, "/opt/agentd/libexec");
	CHECK_STR(c->audit_log, "/srv/audit.log");
	CHECK_STR(c->audit_key_file, "/etc/agentd/audit.key");
	CHECK(c->audit_max_bytes == UINT64_MAX);
	CHECK_EQ_INT(c->audit_fsync, 0);
	CHECK_EQ_INT(c->log_level, LOG_LVL_DEBUG);
	CHECK_EQ_INT(c->use_syslog, 1);
	CHECK_EQ_INT(c->runtime, RUNTIME_CRUN);
	CHECK_STR(c->runtime_path, "/usr/bin/crun");
	CHECK_STR(c->conmon_path, "/usr/bin/conmon");
	CHECK_STR(c->cni_bin_dir, "/opt/cni/bin");
	CHECK_EQ_INT(c->static_rescan_seconds, 7);
	CHECK(c->watchdog_ping_seconds == UINT32_MAX);
	CHECK_EQ_INT(c->policy.allow_privileged, 1);
	CHECK_EQ_INT(c->policy.allow_host_network, 1);
	CHECK_EQ_INT(c->policy.allow_host_pid, 1);
	CHECK_EQ_INT(c->policy.allow_host_ipc, 1);
	CHECK_EQ_INT(c->policy.allow_run_as_root, 0);
	REQUIRE(c->policy.n_allowed_caps == 2);
	CHECK_STR(c->policy.allowed_caps[0], "NET_ADMIN");
	CHECK_STR(c->policy.allowed_caps[1], "SYS_TIME");
	CHECK_STR(c->policy.forbidden_host_ports, "22,2379-2380,30000-32767");
	CHECK_EQ_INT(c->max_pods, 250);
	CHECK_STR(c->kubeconfig, "/etc/agentd/kubeconfig");
	CHECK_EQ_INT(c->allow_insecure_api, 1);
}

/* a config of exactly n bytes: one key, then a comment to pad it */
static char *
padded_config(size_t n)
{
	static const char head[] = "nodeName: padded\n#";
	char *buf;

	REQUIRE(n > sizeof(head));
	REQUIRE((buf = malloc(n + 1)) != NULL);
	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 'x', n - sizeof(head));
	buf[n - 1] = '\n';
	buf[n] = '\0';
	return buf;
}

static int
memfd_with(const void *p, size_t n)
{
	int fd;

	REQUIRE((fd = memfd_create("agentd.yaml",
	    MFD_CLOEXEC | MFD_ALLOW_SEALING)) != -1);
	REQUIRE(write(fd, p, n) == (ssize_t)n);
	REQUIRE(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == 0);
	return fd;
}

/* ---- defaults and keys ---- */

TEST(test_defaults)
{
	struct agentd_config c;

	config_defaults(&c);
	check_defaults(&c);
	config_free(&c);
}

TEST(test_empty_file_gives_defaults)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "", err), 0);
	check_defaults(&c);
	config_free(&c);
}

TEST(test_comments_only_file_gives_defaults)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "# nothing here\n\n# yet\n", err), 0);
	check_defaults(&c);
	config_free(&c);
}

TEST(test_empty_document_gives_defaults)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "---\n", err), 0);
	check_defaults(&c);
	config_free(&c);
}

TEST(test_every_key_parsed)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, every_key, err), 0);
	CHECK_STR(err, "");
	check_every_key(&c);
	config_free(&c);
	CHECK_EQ_INT(c.policy.n_allowed_caps, 0);
}

TEST(test_unset_keys_keep_defaults)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "rootDir: /srv/agentd\n", err), 0);
	CHECK_STR(c.root_dir, "/srv/agentd");
	CHECK_STR(c.run_dir, "/run/agentd");
	CHECK_EQ_INT(c.policy.allow_run_as_root, 1);
	config_free(&c);
}

TEST(test_document_start_marker_accepted)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "---\nnodeName: n1\n...\n", err), 0);
	CHECK_STR(c.node_name, "n1");
	config_free(&c);
}

TEST(test_log_level_values)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "logLevel: warn", err), 0);
	CHECK_EQ_INT(c.log_level, LOG_LVL_WARN);
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "logLevel: info", err), 0);
	CHECK_EQ_INT(c.log_level, LOG_LVL_INFO);
	config_free(&c);
	check_error("logLevel: verbose\n",
	    "line 1: logLevel must be warn, info or debug");
}

TEST(test_runtime_values)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "runtime: runc", err), 0);
	CHECK_EQ_INT(c.runtime, RUNTIME_RUNC);
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "runtime: auto", err), 0);
	CHECK_EQ_INT(c.runtime, RUNTIME_AUTO);
	config_free(&c);
	check_error("runtime: docker\n",
	    "line 1: runtime must be auto, runc or crun");
}

TEST(test_storage_driver_values)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "nodeName: a", err), 0);
	CHECK_EQ_INT(c.storage_driver, STORAGE_AUTO);
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "storageDriver: native", err), 0);
	CHECK_EQ_INT(c.storage_driver, STORAGE_NATIVE);
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "storageDriver: overlay", err), 0);
	CHECK_EQ_INT(c.storage_driver, STORAGE_OVERLAY);
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "storageDriver: auto", err), 0);
	CHECK_EQ_INT(c.storage_driver, STORAGE_AUTO);
	config_free(&c);
	check_error("storageDriver: vfs\n",
	    "line 1: storageDriver must be auto, overlay or native");
}

/* ---- errors name the key and the line ---- */

TEST(test_unknown_key_error_names_key_and_line)
{
	check_error("nodeName: a\nrootDir: /x\nfooBar: 1\n",
	    "line 3: fooBar is not a known key");
}

TEST(test_key_match_is_case_sensitive)
{
	check_error("nodename: a\n", "line 1: nodename is not a known key");
}

TEST(test_bool_wrong_type_rejected)
{
	check_error("auditFsync: maybe\n",
	    "line 1: auditFsync must be true or false");
	check_error("allowPrivileged: 1\n",
	    "line 1: allowPrivileged must be true or false");
}

TEST(test_uint_wrong_type_rejected)
{
	check_error("auditMaxBytes: -5\n",
	    "line 1: auditMaxBytes must be a non-negative integer");
	check_error("auditMaxBytes: 12MB\n",
	    "line 1: auditMaxBytes must be a non-negative integer");
	check_error("auditMaxBytes: 1.5\n",
	    "line 1: auditMaxBytes must be a non-negative integer");
	check_error("auditMaxBytes: ' 5'\n",
	    "line 1: auditMaxBytes must be a non-negative integer");
	check_error("auditMaxBytes: 18446744073709551616\n",
	    "line 1: auditMaxBytes must be a non-negative integer");
}

TEST(test_uint32_key_bound)
{
	check_ok("heartbeatSeconds: 4294967295\n");
	check_error("heartbeatSeconds: 4294967296\n",
	    "line 1: heartbeatSeconds is too large");
}

/* maxPods: 1 to MAX_PODS, the pods the executor keeps */
TEST(test_max_pods_bounds)
{
	check_ok("maxPods: 1\n");
	check_ok("maxPods: 512\n");
	check_error("maxPods: 0\n", "line 1: maxPods must be between 1 and 512");
	check_error("maxPods: 513\n",
	    "line 1: maxPods must be between 1 and 512");
}

/* containerLogMaxSize: a byte quantity as the kubelet's, default 10Mi */
TEST(test_container_log_max_size)
{
	struct agentd_config c;
	char err[ERRLEN];

	config_defaults(&c);
	CHECK(c.container_log_max_size == 10ULL * 1024 * 1024);
	CHECK_EQ_INT(c.container_log_max_files, 5);
	REQUIRE(parse(&c, "containerLogMaxSize: 1Mi\n", err) == 0);
	CHECK(c.container_log_max_size == 1024 * 1024);
	REQUIRE(parse(&c, "containerLogMaxSize: 500k\n", err) == 0);
	CHECK(c.container_log_max_size == 500000);
	REQUIRE(parse(&c, "containerLogMaxSize: 4096\n", err) == 0);
	CHECK(c.container_log_max_size == 4096);
	REQUIRE(parse(&c, "containerLogMaxSize: 1Ti\n", err) == 0);
	CHECK(c.container_log_max_size == 1ULL << 40);
	check_error("containerLogMaxSize: 1023\n", "line 1: "
	    "containerLogMaxSize must be between 1024 and 1099511627776 bytes");
	check_error("containerLogMaxSize: 2Ti\n", "line 1: "
	    "containerLogMaxSize must be between 1024 and 1099511627776 bytes");
	check_error("containerLogMaxSize: 1.5Mi\n", "line 1: "
	    "containerLogMaxSize must be a byte size such as 10Mi (an "
	    "integer, optionally with Ki, Mi, Gi, Ti, k, M, G or T)");
	check_error("containerLogMaxSize: 10MB\n", "line 1: "
	    "containerLogMaxSize must be a byte size such as 10Mi (an "
	    "integer, optionally with Ki, Mi, Gi, Ti, k, M, G or T)");
	check_error("containerLogMaxSize: 99999999999999999999Ei\n", "line 1: "
	    "containerLogMaxSize must be a byte size such as 10Mi (an "
	    "integer, optionally with Ki, Mi, Gi, Ti, k, M, G or T)");
	check_error("containerLogMaxSize: 16Ei\n", "line 1: "
	    "containerLogMaxSize must be a byte size such as 10Mi (an "
	    "integer, optionally with Ki, Mi, Gi, Ti, k, M, G or T)");
	config_free(&c);
}

/* containerLogMaxFiles: the kubelet refuses fewer than 2 */
TEST(test_container_log_max_files)
{
	check_ok("containerLogMaxFiles: 2\n");
	check_ok("containerLogMaxFiles: 100\n");
	check_error("containerLogMaxFiles: 1\n",
	    "line 1: containerLogMaxFiles must be between 2 and 100");
	check_error("containerLogMaxFiles: 101\n",
	    "line 1: containerLogMaxFiles must be between 2 and 100");
}

TEST(test_mapping_value_rejected)
{
	check_error("a: 1\n", "line 1: a is not a known key");
	check_error("nodeName:\n  inner: x\n",
	    "line 2: nodeName must be a scalar value");
	check_error("rootDir: [/a, /b]\n",
	    "line 1: rootDir must be a scalar value");
}

TEST(test_relative_path_rejected)
{
	check_error("rootDir: var/lib/agentd\n",
	    "line 1: rootDir must be an absolute path");
	check_error("staticPodPath: ./pods\n",
	    "line 1: staticPodPath must be an absolute path");
	check_error("auditLog:\n", "line 1: auditLog must be an absolute path");
}

TEST(test_path_length_bound)
{
	char *yaml;
	size_t n = CONFIG_MAX_PATH - 1;	/* longest path that fits */

	REQUIRE((yaml = malloc(n + 32)) != NULL);
	snprintf(yaml, n + 32, "rootDir: /%0*d\n", (int)n - 1, 0);
	check_ok(yaml);
	snprintf(yaml, n + 32, "rootDir: /%0*d\n", (int)n, 0);
	check_error(yaml, "line 1: rootDir is too long");
	free(yaml);
}

TEST(test_string_value_bounds)
{
	char yaml[400];

	snprintf(yaml, sizeof(yaml), "nodeName: %0255d\n", 0);
	check_ok(yaml);
	snprintf(yaml, sizeof(yaml), "nodeName: %0256d\n", 0);
	check_error(yaml, "line 1: nodeName is too long");
	check_error("nodeName: ''\n", "line 1: nodeName must not be empty");
	check_error("privsepUser:\n",
	    "line 1: privsepUser must not be empty");
}

TEST(test_non_mapping_document_rejected)
{
	check_error("- a\n- b\n", "line 1: document must be a mapping of keys");
	check_error("just text\n",
	    "line 1: document must be a mapping of keys");
}

TEST(test_yaml_syntax_error_names_line)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "nodeName: a\nrootDir: /x\n@foo: 1\n", err), -1);
	CHECK_STR(err,
	    "line 3: YAML error: found character that cannot start any token");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "nodeName: a\n\tbad: tab\n", err), -1);
	CHECK(strncmp(err, "line 2: YAML error: ", 20) == 0);
	config_free(&c);
}

TEST(test_duplicate_key_rejected)
{
	check_error("allowPrivileged: false\nrootDir: /x\n"
	    "allowPrivileged: true\n",
	    "line 3: allowPrivileged is given twice");
	check_error("allowedCapabilities: [NET_ADMIN]\n"
	    "allowedCapabilities: [SYS_ADMIN]\n",
	    "line 2: allowedCapabilities is given twice");
}

/* a double-quoted "\0" puts a NUL inside a scalar; C would truncate it */
TEST(test_nul_inside_scalar_rejected)
{
	check_error("nodeName: \"node\\0evil\"\n",
	    "line 1: nodeName contains a NUL byte");
	check_error("\"rootDir\\0x\": /srv\n",
	    "line 1: key contains a NUL byte");
	check_error("allowedCapabilities: [\"NET_ADMIN\\0X\"]\n",
	    "line 1: allowedCapabilities contains a NUL byte");
}

/* ---- allowedCapabilities ---- */

TEST(test_allowed_capabilities_block_list)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "allowedCapabilities:\n  - CAP_NET_RAW\n"
	    "  - SYS_PTRACE\n", err), 0);
	REQUIRE(c.policy.n_allowed_caps == 2);
	CHECK_STR(c.policy.allowed_caps[0], "NET_RAW");
	CHECK_STR(c.policy.allowed_caps[1], "SYS_PTRACE");
	config_free(&c);
}

TEST(test_allowed_capabilities_flow_list)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "allowedCapabilities: [CHOWN, CAP_KILL]\n",
	    err), 0);
	REQUIRE(c.policy.n_allowed_caps == 2);
	CHECK_STR(c.policy.allowed_caps[0], "CHOWN");
	CHECK_STR(c.policy.allowed_caps[1], "KILL");
	config_free(&c);
}

TEST(test_allowed_capabilities_empty)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "allowedCapabilities: []\n", err), 0);
	CHECK_EQ_INT(c.policy.n_allowed_caps, 0);
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "allowedCapabilities:\nnodeName: n\n", err), 0);
	CHECK_EQ_INT(c.policy.n_allowed_caps, 0);
	CHECK_STR(c.node_name, "n");
	config_free(&c);
}

TEST(test_allowed_capabilities_scalar_rejected)
{
	check_error("allowedCapabilities: NET_ADMIN\n",
	    "line 1: allowedCapabilities must be a list");
}

TEST(test_allowed_capabilities_bad_name_rejected)
{
	check_error("allowedCapabilities:\n  - NET_ADMIN\n  - net_raw\n",
	    "line 3: allowedCapabilities has an invalid capability name");
	check_error("allowedCapabilities: [CAP_]\n",
	    "line 1: allowedCapabilities has an invalid capability name");
	/* one prefix at most: found by fuzz_config's binary round trip */
	check_error("allowedCapabilities: [CAP_CAP_NET_ADMIN]\n",
	    "line 1: allowedCapabilities has an invalid capability name");
	check_error("allowedCapabilities: ['SYS ADMIN']\n",
	    "line 1: allowedCapabilities has an invalid capability name");
	check_error("allowedCapabilities: [[NET_ADMIN]]\n",
	    "line 1: allowedCapabilities must be a list of names");
}

TEST(test_allowed_capabilities_unknown_name_rejected)
{
	check_ok("allowedCapabilities: [NET_ADMIN, CAP_SYS_TIME, ALL]\n");
	check_error("allowedCapabilities: [NET_ADMN]\n",
	    "line 1: allowedCapabilities names an unknown capability");
	check_error("allowedCapabilities:\n  - NET_RAW\n  - CAP_BOGUS\n",
	    "line 3: allowedCapabilities names an unknown capability");
}

static char *
caplist_yaml(int n)
{
	char *yaml;
	size_t len = 0, cap = 64 + (size_t)n * 40;
	int i;

	REQUIRE((yaml = malloc(cap)) != NULL);
	len += snprintf(yaml + len, cap - len, "allowedCapabilities:\n");
	for (i = 0; i < n; i++)
		len += snprintf(yaml + len, cap - len, "  - CAP_%s\n",
		    caps_names[i % CAPS_COUNT]);
	return yaml;
}

TEST(test_allowed_capabilities_count_bound)
{
	struct agentd_config c;
	char err[ERRLEN], *yaml;

	yaml = caplist_yaml(CONFIG_MAX_CAPS);
	CHECK_EQ_INT(parse(&c, yaml, err), 0);
	CHECK_EQ_INT(c.policy.n_allowed_caps, CONFIG_MAX_CAPS);
	config_free(&c);
	free(yaml);
	yaml = caplist_yaml(CONFIG_MAX_CAPS + 1);
	check_error(yaml, "line 66: allowedCapabilities has too many entries");
	free(yaml);
}

/* ---- forbiddenHostPorts ---- */

TEST(test_forbidden_host_ports_forms)
{
	struct agentd_config c;
	char err[ERRLEN];

	/* a block list of numbers and ranges, in any order, overlapping */
	CHECK_EQ_INT(parse(&c, "forbiddenHostPorts:\n  - 30000-32767\n"
	    "  - 2380\n  - \"2379-2380\"\n  - 22\n  - 31000-33000\n", err),
	    0);
	CHECK_STR(err, "");
	CHECK_STR(c.policy.forbidden_host_ports, "22,2379-2380,30000-33000");
	config_free(&c);
	/* one string, as nodeIP and clusterDNS take it */
	CHECK_EQ_INT(parse(&c, "forbiddenHostPorts: \"23, 22\"\n", err), 0);
	CHECK_STR(c.policy.forbidden_host_ports, "22-23");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "forbiddenHostPorts: 2049\n", err), 0);
	CHECK_STR(c.policy.forbidden_host_ports, "2049");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "forbiddenHostPorts: []\n", err), 0);
	CHECK_STR(c.policy.forbidden_host_ports, "");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "forbiddenHostPorts:\nnodeName: n\n", err), 0);
	CHECK_STR(c.policy.forbidden_host_ports, "");
	config_free(&c);
}

TEST(test_forbidden_host_ports_bad_items_rejected)
{
	check_error("nodeName: n\nforbiddenHostPorts: [22, 0]\n",
	    "line 2: forbiddenHostPorts has a port outside 1..65535");
	check_error("forbiddenHostPorts: [65536]\n",
	    "line 1: forbiddenHostPorts has a port outside 1..65535");
	check_error("forbiddenHostPorts: [\"2380-2379\"]\n",
	    "line 1: forbiddenHostPorts has a range LO-HI with LO above HI");
	check_error("forbiddenHostPorts: [ssh]\n",
	    "line 1: forbiddenHostPorts has an item that is not a port or a "
	    "range LO-HI");
	check_error("forbiddenHostPorts: [\"22,23\"]\n",
	    "line 1: forbiddenHostPorts has an item that is not a port or a "
	    "range LO-HI");
	check_error("forbiddenHostPorts: [\"\"]\n",
	    "line 1: forbiddenHostPorts has an item that is not a port or a "
	    "range LO-HI");
	check_error("forbiddenHostPorts: [-1]\n",
	    "line 1: forbiddenHostPorts has an item that is not a port or a "
	    "range LO-HI");
	check_error("forbiddenHostPorts: [[22]]\n",
	    "line 1: forbiddenHostPorts must be a list of ports");
	check_error("forbiddenHostPorts: {ssh: 22}\n",
	    "line 1: forbiddenHostPorts must be a scalar value");
}

static char *
portlist_yaml(int n)
{
	char *yaml;
	size_t len = 0, cap = 64 + (size_t)n * 16;
	int i;

	REQUIRE((yaml = malloc(cap)) != NULL);
	len += snprintf(yaml + len, cap - len, "forbiddenHostPorts: [");
	for (i = 0; i < n; i++)
		len += snprintf(yaml + len, cap - len, "%s%d-%d", i ? ", " : "",
		    10000 + 3 * i, 10001 + 3 * i);
	snprintf(yaml + len, cap - len, "]\n");
	return yaml;
}

TEST(test_forbidden_host_ports_count_bound)
{
	struct agentd_config c;
	char err[ERRLEN], *yaml;

	yaml = portlist_yaml(CONFIG_MAX_PORT_RANGES);
	CHECK_EQ_INT(parse(&c, yaml, err), 0);
	CHECK_EQ_INT(strlen(c.policy.forbidden_host_ports),
	    CONFIG_MAX_PORTLIST - 1);
	config_free(&c);
	free(yaml);
	yaml = portlist_yaml(CONFIG_MAX_PORT_RANGES + 1);
	check_error(yaml, "line 1: forbiddenHostPorts has too many items");
	free(yaml);
}

/* ---- documents and size ---- */

TEST(test_multi_document_rejected)
{
	check_error("nodeName: a\n---\nnodeName: b\n",
	    "line 2: document must be the only one");
}

TEST(test_multi_document_after_empty_document_rejected)
{
	check_error("---\n---\nallowPrivileged: true\n",
	    "line 2: document must be the only one");
}

TEST(test_config_max_bytes_accepted)
{
	struct agentd_config c;
	char err[ERRLEN], *buf;

	buf = padded_config(CONFIG_MAX_BYTES);
	config_defaults(&c);
	CHECK_EQ_INT(config_parse(&c, buf, CONFIG_MAX_BYTES, err, sizeof(err)),
	    0);
	CHECK_STR(c.node_name, "padded");
	config_free(&c);
	free(buf);
}

TEST(test_config_max_bytes_plus_one_rejected)
{
	struct agentd_config c;
	char err[ERRLEN], *buf;

	buf = padded_config(CONFIG_MAX_BYTES + 1);
	config_defaults(&c);
	CHECK_EQ_INT(config_parse(&c, buf, CONFIG_MAX_BYTES + 1, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "larger than 262144 bytes");
	config_free(&c);
	free(buf);
}

TEST(test_error_buffer_is_bounded)
{
	struct agentd_config c;
	char err[16];

	memset(err, 'z', sizeof(err));
	config_defaults(&c);
	CHECK_EQ_INT(config_parse(&c, "fooBarBazQuux: 1\n", 17, err, 12), -1);
	CHECK_STR(err, "line 1: foo");
	CHECK_EQ_INT(err[12], 'z');
	config_free(&c);
}

/* ---- files and memfds ---- */

TEST(test_config_load_fd_from_memfd)
{
	struct agentd_config c;
	char err[ERRLEN];
	int fd;

	fd = memfd_with(every_key, strlen(every_key));
	config_defaults(&c);
	CHECK_EQ_INT(config_load_fd(&c, fd, err, sizeof(err)), 0);
	check_every_key(&c);
	config_free(&c);
	/* a restarted worker reads the same bytes again: offset is reset */
	config_defaults(&c);
	CHECK_EQ_INT(config_load_fd(&c, fd, err, sizeof(err)), 0);
	check_every_key(&c);
	config_free(&c);
	close(fd);
}

TEST(test_config_load_fd_max_bytes_bound)
{
	struct agentd_config c;
	char err[ERRLEN], *buf;
	int fd;

	buf = padded_config(CONFIG_MAX_BYTES);
	fd = memfd_with(buf, CONFIG_MAX_BYTES);
	config_defaults(&c);
	CHECK_EQ_INT(config_load_fd(&c, fd, err, sizeof(err)), 0);
	config_free(&c);
	close(fd);
	free(buf);
	buf = padded_config(CONFIG_MAX_BYTES + 1);
	fd = memfd_with(buf, CONFIG_MAX_BYTES + 1);
	config_defaults(&c);
	CHECK_EQ_INT(config_load_fd(&c, fd, err, sizeof(err)), -1);
	CHECK_STR(err, "larger than 262144 bytes");
	config_free(&c);
	close(fd);
	free(buf);
}

TEST(test_config_load_fd_error_names_line)
{
	struct agentd_config c;
	char err[ERRLEN];
	const char yaml[] = "nodeName: a\nbogus: 1\n";
	int fd;

	fd = memfd_with(yaml, strlen(yaml));
	config_defaults(&c);
	CHECK_EQ_INT(config_load_fd(&c, fd, err, sizeof(err)), -1);
	CHECK_STR(err, "line 2: bogus is not a known key");
	config_free(&c);
	close(fd);
}

TEST(test_config_load_reads_file_and_records_path)
{
	struct agentd_config c;
	char path[] = "/tmp/agentd-test-config-XXXXXX", err[ERRLEN];
	int fd;

	REQUIRE((fd = mkstemp(path)) != -1);
	REQUIRE(write(fd, every_key, strlen(every_key)) ==
	    (ssize_t)strlen(every_key));
	close(fd);
	CHECK_EQ_INT(config_load(&c, path, err, sizeof(err)), 0);
	CHECK_STR(c.path, path);
	check_every_key(&c);
	config_free(&c);
	unlink(path);
}

TEST(test_config_load_error_names_path_and_line)
{
	struct agentd_config c;
	char path[] = "/tmp/agentd-test-config-XXXXXX", err[ERRLEN];
	char want[ERRLEN];
	const char yaml[] = "# agentd\nnodeName: a\nfooBar: 1\n";
	int fd;

	REQUIRE((fd = mkstemp(path)) != -1);
	REQUIRE(write(fd, yaml, strlen(yaml)) == (ssize_t)strlen(yaml));
	close(fd);
	CHECK_EQ_INT(config_load(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: line 3: fooBar is not a known key",
	    path);
	CHECK_STR(err, want);
	config_free(&c);
	unlink(path);
}

TEST(test_config_load_missing_file_names_path)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(config_load(&c, "/nonexistent/agentd.yaml", err,
	    sizeof(err)), -1);
	CHECK_STR(err, "/nonexistent/agentd.yaml: No such file or directory");
	config_free(&c);
}

/* the tail anchor sits next to the log unless it is named */
TEST(test_audit_anchor_file_default_and_bound)
{
	struct agentd_config c;
	char err[ERRLEN], *yaml;
	size_t n = CONFIG_MAX_PATH - 1 - strlen(".anchor");

	CHECK_EQ_INT(parse(&c, "auditLog: /srv/audit.log\n", err), 0);
	CHECK_STR(c.audit_anchor_file, "/srv/audit.log.anchor");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "auditLog: /srv/audit.log\n"
	    "auditAnchorFile: /elsewhere/anchor\n", err), 0);
	CHECK_STR(c.audit_anchor_file, "/elsewhere/anchor");
	config_free(&c);
	/* the longest auditLog whose default anchor still fits, and one more */
	REQUIRE((yaml = malloc(n + 32)) != NULL);
	snprintf(yaml, n + 32, "auditLog: /%0*d\n", (int)n - 1, 0);
	check_ok(yaml);
	snprintf(yaml, n + 32, "auditLog: /%0*d\n", (int)n, 0);
	check_error(yaml, "auditAnchorFile: auditLog too long for the "
	    "default");
	free(yaml);
}

/* ---- allowedUnsafeSysctls ---- */

TEST(test_allowed_unsafe_sysctls_forms)
{
	struct agentd_config c;
	char err[ERRLEN];

	CHECK_EQ_INT(parse(&c, "nodeName: n\n", err), 0);
	CHECK_STR(c.policy.allowed_unsafe_sysctls, "");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "allowedUnsafeSysctls:\n  - net.core.*\n"
	    "  - kernel/msgmax\n  - kernel.shm*\n", err), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.policy.allowed_unsafe_sysctls,
	    "net.core.*,kernel.msgmax,kernel.shm*");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "allowedUnsafeSysctls: \"net.*, kernel.sem\"\n",
	    err), 0);
	CHECK_STR(c.policy.allowed_unsafe_sysctls, "net.*,kernel.sem");
	config_free(&c);
	CHECK_EQ_INT(parse(&c, "allowedUnsafeSysctls: []\n", err), 0);
	CHECK_STR(c.policy.allowed_unsafe_sysctls, "");
	config_free(&c);
}

TEST(test_allowed_unsafe_sysctls_bad_items_rejected)
{
	struct agentd_config c;
	char *yaml, want[128], err[ERRLEN];
	size_t i, off;

	check_error("allowedUnsafeSysctls: [vm.swappiness]\n",
	    "line 1: allowedUnsafeSysctls names a sysctl not known to be "
	    "namespaced");
	check_error("allowedUnsafeSysctls: [\"kernel.*\"]\n",
	    "line 1: allowedUnsafeSysctls names sysctls not known to be "
	    "namespaced");
	check_error("allowedUnsafeSysctls: [\"Net.core\"]\n",
	    "line 1: allowedUnsafeSysctls must have at most 253 characters, "
	    "be segments of lowercase letters, digits, '-' and '_' joined by "
	    "'.' or '/', and end in '*' only as a prefix");
	check_error("allowedUnsafeSysctls: [\"\"]\n",
	    "line 1: allowedUnsafeSysctls has an item that is not a sysctl "
	    "name or pattern");
	/* CONFIG_MAX_SYSCTL_PATTERNS items, then one more */
	REQUIRE((yaml = malloc(64 * (CONFIG_MAX_SYSCTL_PATTERNS + 2))) != NULL);
	off = (size_t)sprintf(yaml, "allowedUnsafeSysctls:\n");
	for (i = 0; i < CONFIG_MAX_SYSCTL_PATTERNS; i++)
		off += (size_t)sprintf(yaml + off, "  - net.a%zu\n", i);
	CHECK_EQ_INT(parse(&c, yaml, err), 0);
	CHECK_STR(err, "");
	config_free(&c);
	off = (size_t)sprintf(yaml, "allowedUnsafeSysctls:\n");
	for (i = 0; i < CONFIG_MAX_SYSCTL_PATTERNS + 1; i++)
		off += (size_t)sprintf(yaml + off, "  - net.a%zu\n", i);
	/* a block list's error is at its end */
	snprintf(want, sizeof(want), "line %d: allowedUnsafeSysctls has too "
	    "many sysctls", CONFIG_MAX_SYSCTL_PATTERNS + 3);
	check_error(yaml, want);
	free(yaml);
}
