/*
 * common/sysctl.c: the API server's name rules and '/' conversion, the
 * kubelet's namespaces and safe set with its kernel gates, and the node
 * policy's patterns.
 */
#include <string.h>

#include "sysctl.h"
#include "tap.h"

static void
name_ok(const char *in, const char *want)
{
	char out[SYSCTL_MAX_NAME + 1];

	CHECK(sysctl_name_canon(in, out, sizeof(out)) == NULL);
	CHECK_STR(out, want);
}

static void
name_bad(const char *in)
{
	char out[SYSCTL_MAX_NAME + 1];

	CHECK(sysctl_name_canon(in, out, sizeof(out)) != NULL);
}

TEST(test_names_of_the_api_server)
{
	char longest[SYSCTL_MAX_NAME + 2];

	name_ok("kernel.shm_rmid_forced", "kernel.shm_rmid_forced");
	name_ok("net.ipv4.ip_local_port_range", "net.ipv4.ip_local_port_range");
	name_ok("a", "a");
	name_ok("a-b_c.d9", "a-b_c.d9");
	name_bad("");
	name_bad("Kernel.shm");
	name_bad("net..core");
	name_bad(".net");
	name_bad("net.");
	name_bad("net.-core");
	name_bad("net.core-");
	name_bad("net._core");
	name_bad("net.core *");
	name_bad("net.*");
	name_bad("net.c\xc3\xa9");
	memset(longest, 'a', SYSCTL_MAX_NAME);
	longest[SYSCTL_MAX_NAME] = '\0';
	name_ok(longest, longest);
	longest[SYSCTL_MAX_NAME] = 'a';
	longest[SYSCTL_MAX_NAME + 1] = '\0';
	name_bad(longest);
}

/* ConvertSysctlVariableToDotsSeparator: the first separator decides */
TEST(test_slash_separators_converted)
{
	char path[300];

	name_ok("kernel/shm_rmid_forced", "kernel.shm_rmid_forced");
	name_ok("net/ipv4/conf/eno2.100/rp_filter",
	    "net.ipv4.conf.eno2/100.rp_filter");
	name_ok("net.ipv4.conf.eno2/100.rp_filter",
	    "net.ipv4.conf.eno2/100.rp_filter");
	REQUIRE(sysctl_proc_path("net.ipv4.conf.eno2/100.rp_filter", path,
	    sizeof(path)) == 0);
	CHECK_STR(path, "/proc/sys/net/ipv4/conf/eno2.100/rp_filter");
	CHECK_EQ_INT(sysctl_proc_path("kernel.sem", path, 14), -1);
	REQUIRE(sysctl_proc_path("kernel.sem", path, 21) == 0);
	CHECK_STR(path, "/proc/sys/kernel/sem");
}

TEST(test_namespaces_of_the_kubelet)
{
	CHECK_EQ_INT(sysctl_namespace("kernel.sem"), SYSCTL_NS_IPC);
	CHECK_EQ_INT(sysctl_namespace("kernel.shmmax"), SYSCTL_NS_IPC);
	CHECK_EQ_INT(sysctl_namespace("kernel.shm_rmid_forced"), SYSCTL_NS_IPC);
	CHECK_EQ_INT(sysctl_namespace("kernel.msgmax"), SYSCTL_NS_IPC);
	CHECK_EQ_INT(sysctl_namespace("fs.mqueue.msg_max"), SYSCTL_NS_IPC);
	CHECK_EQ_INT(sysctl_namespace("net.core.somaxconn"), SYSCTL_NS_NET);
	CHECK_EQ_INT(sysctl_namespace("kernel.semaphore"), SYSCTL_NS_NONE);
	CHECK_EQ_INT(sysctl_namespace("kernel.pid_max"), SYSCTL_NS_NONE);
	CHECK_EQ_INT(sysctl_namespace("vm.swappiness"), SYSCTL_NS_NONE);
	CHECK_EQ_INT(sysctl_namespace("fs.mqueue"), SYSCTL_NS_NONE);
	CHECK_EQ_INT(sysctl_namespace("netfoo.x"), SYSCTL_NS_NONE);
}

TEST(test_safe_set_and_its_kernel_gates)
{
	CHECK(sysctl_is_safe("kernel.shm_rmid_forced", NULL));
	CHECK(sysctl_is_safe("net.ipv4.ip_local_port_range", ""));
	CHECK(sysctl_is_safe("net.ipv4.tcp_syncookies", "2.6.32"));
	CHECK(sysctl_is_safe("net.ipv4.ping_group_range", "3.10.0"));
	CHECK(sysctl_is_safe("net.ipv4.ip_unprivileged_port_start", "4.4"));
	CHECK(!sysctl_is_safe("net.ipv4.ip_local_reserved_ports", "3.15.9"));
	CHECK(sysctl_is_safe("net.ipv4.ip_local_reserved_ports", "3.16.0"));
	CHECK(!sysctl_is_safe("net.ipv4.tcp_keepalive_time", "4.4.302"));
	CHECK(sysctl_is_safe("net.ipv4.tcp_keepalive_time", "4.5"));
	CHECK(sysctl_is_safe("net.ipv4.tcp_keepalive_intvl", "4.5.0"));
	CHECK(sysctl_is_safe("net.ipv4.tcp_keepalive_probes", "5.10.0-amd64"));
	CHECK(!sysctl_is_safe("net.ipv4.tcp_fin_timeout", "4.5.7"));
	CHECK(sysctl_is_safe("net.ipv4.tcp_fin_timeout", "4.6.0"));
	CHECK(!sysctl_is_safe("net.ipv4.tcp_rmem", "4.14.330"));
	CHECK(sysctl_is_safe("net.ipv4.tcp_rmem", "4.15.0"));
	CHECK(sysctl_is_safe("net.ipv4.tcp_wmem", "6.18.44-fc-v1300"));
	CHECK(sysctl_is_safe("net.ipv4.tcp_wmem", "10.0"));
	/* an unknown version keeps the gated ones out, as the kubelet */
	CHECK(!sysctl_is_safe("net.ipv4.tcp_wmem", NULL));
	CHECK(!sysctl_is_safe("net.ipv4.tcp_wmem", "garbage"));
	CHECK(!sysctl_is_safe("net.ipv4.tcp_wmem", "5"));
	CHECK(!sysctl_is_safe("net.core.somaxconn", "6.1"));
	CHECK(!sysctl_is_safe("kernel.shm_rmid_forced_x", "6.1"));
}

static void
pattern_ok(const char *in, const char *want)
{
	char out[SYSCTL_MAX_NAME + 1];

	CHECK(sysctl_pattern_canon(in, out, sizeof(out)) == NULL);
	CHECK_STR(out, want);
}

static void
pattern_bad(const char *in, const char *why)
{
	char out[SYSCTL_MAX_NAME + 1];
	const char *got = sysctl_pattern_canon(in, out, sizeof(out));

	CHECK(got != NULL && strstr(got, why) != NULL);
}

TEST(test_policy_patterns)
{
	pattern_ok("net.core.somaxconn", "net.core.somaxconn");
	pattern_ok("net.*", "net.*");
	pattern_ok("kernel.msg*", "kernel.msg*");
	pattern_ok("kernel/shm*", "kernel.shm*");
	pattern_ok("fs.mqueue.*", "fs.mqueue.*");
	pattern_bad("vm.swappiness", "not known to be namespaced");
	pattern_bad("net*", "not known to be namespaced");
	pattern_bad("*", "not known to be namespaced");
	pattern_bad("kernel.*", "not known to be namespaced");
	pattern_bad("net.*.x", "at most 253");
	pattern_bad("net.a*b", "at most 253");
	pattern_bad("net.**", "at most 253");
	pattern_bad("", "at most 253");
}

TEST(test_pattern_list_match)
{
	const char *l = "net.core.*,kernel.msgmax,kernel.shm*";

	CHECK(sysctl_list_match(l, "net.core.somaxconn"));
	CHECK(sysctl_list_match(l, "kernel.msgmax"));
	CHECK(sysctl_list_match(l, "kernel.shmmax"));
	CHECK(!sysctl_list_match(l, "kernel.msgmnb"));
	CHECK(!sysctl_list_match(l, "kernel.msgma"));
	CHECK(!sysctl_list_match(l, "kernel.msgmaxx"));
	CHECK(!sysctl_list_match(l, "net.ipv4.tcp_rmem"));
	CHECK(!sysctl_list_match("", "net.core.somaxconn"));
	CHECK(!sysctl_list_match(NULL, "net.core.somaxconn"));
	CHECK(sysctl_list_match("net.*", "net.core.somaxconn"));
}

TEST(test_values)
{
	char big[SYSCTL_MAX_VALUE + 2];

	CHECK(sysctl_value_check(NULL) == NULL);
	CHECK(sysctl_value_check("1024 65535") == NULL);
	CHECK(sysctl_value_check("4096\t87380\t6291456") == NULL);
	CHECK(sysctl_value_check("1\n2") != NULL);
	CHECK(sysctl_value_check("1\r") != NULL);
	CHECK(sysctl_value_check("\x7f") != NULL);
	memset(big, '1', SYSCTL_MAX_VALUE);
	big[SYSCTL_MAX_VALUE] = '\0';
	CHECK(sysctl_value_check(big) == NULL);
	big[SYSCTL_MAX_VALUE] = '1';
	big[SYSCTL_MAX_VALUE + 1] = '\0';
	CHECK(sysctl_value_check(big) != NULL);
}
