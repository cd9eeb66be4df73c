/*
 * policy_check() and policy_describe(): each rule allowed and denied,
 * the rule name and field path of the first violation, the describe
 * format and its truncation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pod.h"
#include "tap.h"
#include "../../workers/executor/policy.h"

static void
test_policy(struct node_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->allow_run_as_root = 1;	/* the Kubernetes defaults */
	pol->allow_privileged_host_ports = 1;
}

static void
test_pod(struct pod *p, uint32_t n)
{
	uint32_t i;
	char name[16];

	pod_init(p);
	p->namespace = strdup("default");
	p->name = strdup("web");
	p->containers = calloc(n, sizeof(*p->containers));
	REQUIRE(p->namespace && p->name && p->containers);
	for (i = 0; i < n; i++) {
		container_spec_init(&p->containers[i]);
		snprintf(name, sizeof(name), "c%u", i);
		p->containers[i].name = strdup(name);
		p->containers[i].image = strdup("busybox");
	}
	p->n_containers = n;
}

static void
add_cap(struct pod *p, uint32_t i, const char *cap)
{
	REQUIRE(strlist_add(&p->containers[i].sc.cap_add, cap,
	    POD_MAX_CAPS) == 0);
}

static void
expect_denied(const struct node_policy *pol, const struct pod *p,
    const char *rule, const char *field)
{
	struct policy_verdict v;

	CHECK_EQ_INT(policy_check(pol, p, &v), 0);
	CHECK_EQ_INT(v.allowed, 0);
	CHECK_STR(v.rule, rule);
	CHECK_STR(v.field, field);
	CHECK(v.reason[0] != '\0');
}

static void
expect_allowed(const struct node_policy *pol, const struct pod *p)
{
	struct policy_verdict v;

	memset(&v, 'x', sizeof(v));
	CHECK_EQ_INT(policy_check(pol, p, &v), 1);
	CHECK_EQ_INT(v.allowed, 1);
	CHECK_STR(v.rule, "");
	CHECK_STR(v.field, "");
	CHECK_STR(v.reason, "");
}

TEST(test_plain_pod_is_allowed)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 2);
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_privileged_container_denied_by_default)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 2);
	p.containers[1].sc.privileged = 1;
	expect_denied(&pol, &p, "privileged",
	    "spec.containers[1].securityContext.privileged");
	policy_check(&pol, &p, &v);
	CHECK(strstr(v.reason, "c1") != NULL);
	pod_free(&p);
}

TEST(test_privileged_container_allowed_by_policy)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_privileged = 1;
	test_pod(&p, 1);
	p.containers[0].sc.privileged = 1;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_privileged_false_is_allowed)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.containers[0].sc.privileged = 0;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_host_network_denied_by_default)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.host_network = 1;
	expect_denied(&pol, &p, "hostNetwork", "spec.hostNetwork");
	pol.allow_host_network = 1;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_host_pid_denied_by_default)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.host_pid = 1;
	expect_denied(&pol, &p, "hostPID", "spec.hostPID");
	pol.allow_host_pid = 1;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_host_ipc_denied_by_default)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.host_ipc = 1;
	expect_denied(&pol, &p, "hostIPC", "spec.hostIPC");
	pol.allow_host_ipc = 1;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_first_violation_is_reported)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 2);
	p.containers[0].sc.privileged = 1;
	p.host_pid = 1;
	expect_denied(&pol, &p, "hostPID", "spec.hostPID");
	p.host_pid = 0;
	add_cap(&p, 1, "SYS_ADMIN");
	expect_denied(&pol, &p, "privileged",
	    "spec.containers[0].securityContext.privileged");
	pod_free(&p);
}

TEST(test_default_capabilities_may_be_added)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	add_cap(&p, 0, "NET_BIND_SERVICE");
	add_cap(&p, 0, "CAP_CHOWN");
	add_cap(&p, 0, "kill");
	add_cap(&p, 0, "cap_audit_write");
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_extra_capability_denied_with_index)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 2);
	add_cap(&p, 1, "CHOWN");
	add_cap(&p, 1, "NET_ADMIN");
	expect_denied(&pol, &p, "capabilities",
	    "spec.containers[1].securityContext.capabilities.add[1]");
	policy_check(&pol, &p, &v);
	CHECK(strstr(v.reason, "NET_ADMIN") != NULL);
	pod_free(&p);
}

TEST(test_capability_allowed_by_policy_any_spelling)
{
	struct node_policy pol;
	struct pod p;
	char allowed[] = "CAP_NET_ADMIN";

	test_policy(&pol);
	pol.allowed_caps[0] = allowed;
	pol.n_allowed_caps = 1;
	test_pod(&p, 1);
	add_cap(&p, 0, "net_admin");
	expect_allowed(&pol, &p);
	add_cap(&p, 0, "SYS_TIME");
	expect_denied(&pol, &p, "capabilities",
	    "spec.containers[0].securityContext.capabilities.add[1]");
	pod_free(&p);
}

TEST(test_capability_all_needs_all_in_policy)
{
	struct node_policy pol;
	struct pod p;
	char all[] = "ALL", some[] = "NET_ADMIN";

	test_policy(&pol);
	pol.allowed_caps[0] = some;
	pol.n_allowed_caps = 1;
	test_pod(&p, 1);
	add_cap(&p, 0, "ALL");
	expect_denied(&pol, &p, "capabilities",
	    "spec.containers[0].securityContext.capabilities.add[0]");
	pol.allowed_caps[1] = all;
	pol.n_allowed_caps = 2;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_invalid_capability_name_denied)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	add_cap(&p, 0, "NET_ADMIN;x=1");
	expect_denied(&pol, &p, "capabilities",
	    "spec.containers[0].securityContext.capabilities.add[0]");
	policy_check(&pol, &p, &v);
	CHECK(strstr(v.reason, "invalid capability") != NULL);
	pod_free(&p);
}

TEST(test_cap_is_default_set)
{
	CHECK_EQ_INT(policy_cap_is_default("SETPCAP"), 1);
	CHECK_EQ_INT(policy_cap_is_default("CAP_SYS_CHROOT"), 1);
	CHECK_EQ_INT(policy_cap_is_default("net_raw"), 1);
	CHECK_EQ_INT(policy_cap_is_default("SYS_ADMIN"), 0);
	CHECK_EQ_INT(policy_cap_is_default("CAP_"), 0);
	CHECK_EQ_INT(policy_cap_is_default(""), 0);
	CHECK_EQ_INT(policy_cap_is_default(NULL), 0);
}

TEST(test_run_as_non_root_with_uid_0_always_denied)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);	/* root allowed: the Kubernetes rule still holds */
	test_pod(&p, 1);
	p.containers[0].sc.run_as_non_root = 1;
	p.containers[0].sc.run_as_user = 0;
	expect_denied(&pol, &p, "runAsNonRoot",
	    "spec.containers[0].securityContext.runAsUser");
	pod_free(&p);
}

TEST(test_run_as_non_root_with_pod_uid_0_names_pod_field)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.psc.run_as_non_root = 1;
	p.psc.run_as_user = 0;
	expect_denied(&pol, &p, "runAsNonRoot",
	    "spec.securityContext.runAsUser");
	pod_free(&p);
}

TEST(test_uid_0_allowed_when_policy_allows_root)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.containers[0].sc.run_as_user = 0;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_uid_0_denied_when_policy_forbids_root)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_run_as_root = 0;
	test_pod(&p, 1);
	p.containers[0].sc.run_as_user = 0;
	expect_denied(&pol, &p, "runAsRoot",
	    "spec.containers[0].securityContext.runAsUser");
	pod_free(&p);
}

TEST(test_unset_uid_denied_when_policy_forbids_root)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_run_as_root = 0;
	test_pod(&p, 1);
	expect_denied(&pol, &p, "runAsRoot",
	    "spec.containers[0].securityContext.runAsUser");
	p.containers[0].sc.run_as_non_root = 0;
	expect_denied(&pol, &p, "runAsRoot",
	    "spec.containers[0].securityContext.runAsUser");
	pod_free(&p);
}

TEST(test_unset_uid_with_run_as_non_root_allowed)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_run_as_root = 0;
	test_pod(&p, 1);
	p.psc.run_as_non_root = 1;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_container_uid_overrides_pod_uid)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_run_as_root = 0;
	test_pod(&p, 2);
	p.psc.run_as_user = 0;
	p.containers[0].sc.run_as_user = 1000;
	p.containers[1].sc.run_as_user = 1000;
	expect_allowed(&pol, &p);
	p.psc.run_as_user = 1000;
	p.containers[1].sc.run_as_user = 0;
	expect_denied(&pol, &p, "runAsRoot",
	    "spec.containers[1].securityContext.runAsUser");
	p.containers[1].sc.run_as_user = -1;
	expect_allowed(&pol, &p);	/* inherits the pod's 1000 */
	pod_free(&p);
}

TEST(test_pod_uid_0_inherited_names_pod_field)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_run_as_root = 0;
	test_pod(&p, 1);
	p.psc.run_as_user = 0;
	expect_denied(&pol, &p, "runAsRoot", "spec.securityContext.runAsUser");
	pod_free(&p);
}

TEST(test_container_non_root_false_overrides_pod_true)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_run_as_root = 0;
	test_pod(&p, 1);
	p.psc.run_as_non_root = 1;
	p.containers[0].sc.run_as_non_root = 0;
	expect_denied(&pol, &p, "runAsRoot",
	    "spec.containers[0].securityContext.runAsUser");
	pod_free(&p);
}

TEST(test_run_as_user_out_of_range_denied)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.containers[0].sc.run_as_user = -5;
	expect_denied(&pol, &p, "runAsUser",
	    "spec.containers[0].securityContext.runAsUser");
	p.containers[0].sc.run_as_user = 2147483648LL;
	expect_denied(&pol, &p, "runAsUser",
	    "spec.containers[0].securityContext.runAsUser");
	p.containers[0].sc.run_as_user = 2147483647LL;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_escalation_true_unprivileged_allowed)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	p.containers[0].sc.allow_privilege_escalation = 1;
	p.containers[0].sc.privileged = 0;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_escalation_false_with_privileged_denied)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_privileged = 1;
	test_pod(&p, 1);
	p.containers[0].sc.allow_privilege_escalation = 0;
	p.containers[0].sc.privileged = 1;
	expect_denied(&pol, &p, "allowPrivilegeEscalation",
	    "spec.containers[0].securityContext.allowPrivilegeEscalation");
	pod_free(&p);
}

TEST(test_escalation_false_with_sys_admin_denied)
{
	struct node_policy pol;
	struct pod p;
	char all[] = "ALL";

	test_policy(&pol);
	pol.allowed_caps[0] = all;
	pol.n_allowed_caps = 1;
	test_pod(&p, 1);
	add_cap(&p, 0, "CAP_SYS_ADMIN");
	expect_allowed(&pol, &p);
	p.containers[0].sc.allow_privilege_escalation = 0;
	expect_denied(&pol, &p, "allowPrivilegeEscalation",
	    "spec.containers[0].securityContext.allowPrivilegeEscalation");
	pod_free(&p);
}

TEST(test_force_nnp_refuses_escalation_true)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.force_no_new_privs = 1;
	test_pod(&p, 1);
	expect_allowed(&pol, &p);
	p.containers[0].sc.allow_privilege_escalation = 0;
	expect_allowed(&pol, &p);
	p.containers[0].sc.allow_privilege_escalation = 1;
	expect_denied(&pol, &p, "allowPrivilegeEscalation",
	    "spec.containers[0].securityContext.allowPrivilegeEscalation");
	pol.force_no_new_privs = 0;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_force_nnp_refuses_privileged_and_sys_admin)
{
	struct node_policy pol;
	struct pod p;
	char all[] = "ALL";

	test_policy(&pol);
	pol.force_no_new_privs = 1;
	pol.allow_privileged = 1;
	pol.allowed_caps[0] = all;
	pol.n_allowed_caps = 1;
	test_pod(&p, 1);
	p.containers[0].sc.privileged = 1;
	expect_denied(&pol, &p, "allowPrivilegeEscalation",
	    "spec.containers[0].securityContext.privileged");
	p.containers[0].sc.privileged = 0;
	add_cap(&p, 0, "sys_admin");
	expect_denied(&pol, &p, "allowPrivilegeEscalation",
	    "spec.containers[0].securityContext.capabilities.add");
	pod_free(&p);
}

TEST(test_describe_plain_pod)
{
	struct pod p;
	char buf[256];

	test_pod(&p, 1);
	p.containers[0].sc.run_as_user = 1000;
	policy_describe(&p, buf, sizeof(buf));
	CHECK_STR(buf, "privileged=0;hostNetwork=0;hostPID=0;hostIPC=0;"
	    "caps_add=;runAsUser=1000");
	pod_free(&p);
}

TEST(test_describe_union_of_containers)
{
	struct pod p;
	char buf[256];

	test_pod(&p, 3);
	p.host_network = 1;
	p.host_ipc = 1;
	p.psc.run_as_user = 1000;
	p.containers[1].sc.run_as_user = 0;
	p.containers[2].sc.privileged = 1;
	add_cap(&p, 0, "NET_ADMIN");
	add_cap(&p, 1, "cap_net_admin");
	add_cap(&p, 1, "SYS_TIME");
	add_cap(&p, 2, "BAD;CAP");
	policy_describe(&p, buf, sizeof(buf));
	CHECK_STR(buf, "privileged=1;hostNetwork=1;hostPID=0;hostIPC=1;"
	    "caps_add=NET_ADMIN,SYS_TIME,INVALID;runAsUser=1000,0,1000");
	pod_free(&p);
}

TEST(test_describe_unset_uid)
{
	struct pod p;
	char buf[256];

	test_pod(&p, 2);
	p.containers[1].sc.run_as_user = 7;
	policy_describe(&p, buf, sizeof(buf));
	CHECK_STR(buf, "privileged=0;hostNetwork=0;hostPID=0;hostIPC=0;"
	    "caps_add=;runAsUser=unset,7");
	pod_free(&p);
}

TEST(test_describe_truncates_within_bounds)
{
	struct pod p;
	char buf[64];

	test_pod(&p, 1);
	memset(buf, 'Z', sizeof(buf));
	policy_describe(&p, buf, 16);
	CHECK_EQ_INT(strlen(buf), 15);
	CHECK_STR(buf, "privileged=0...");
	CHECK_EQ_INT(buf[16], 'Z');

	memset(buf, 'Z', sizeof(buf));
	policy_describe(&p, buf, 4);
	CHECK_STR(buf, "...");
	CHECK_EQ_INT(buf[4], 'Z');

	memset(buf, 'Z', sizeof(buf));
	policy_describe(&p, buf, 1);
	CHECK_STR(buf, "");
	CHECK_EQ_INT(buf[1], 'Z');

	memset(buf, 'Z', sizeof(buf));
	policy_describe(&p, buf, 0);
	CHECK_EQ_INT(buf[0], 'Z');
	pod_free(&p);
}

TEST(test_describe_exact_fit_is_not_truncated)
{
	struct pod p;
	const char *want = "privileged=0;hostNetwork=0;hostPID=0;hostIPC=0;"
	    "caps_add=;runAsUser=5";
	char buf[128];

	test_pod(&p, 1);
	p.containers[0].sc.run_as_user = 5;
	policy_describe(&p, buf, strlen(want) + 1);
	CHECK_STR(buf, want);
	policy_describe(&p, buf, strlen(want));
	CHECK_EQ_INT(strlen(buf), strlen(want) - 1);
	CHECK(strcmp(buf + strlen(buf) - 3, "...") == 0);
	pod_free(&p);
}

static void
add_host_port(struct pod *p, uint32_t i, uint32_t host_port)
{
	struct container_spec *c = &p->containers[i];

	REQUIRE((c->ports = calloc(2, sizeof(*c->ports))) != NULL);
	c->ports[0].container_port = 8080;	/* no hostPort */
	c->ports[1].container_port = 80;
	c->ports[1].host_port = host_port;
	c->n_ports = 2;
}

TEST(test_privileged_host_port_allowed_by_default)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	add_host_port(&p, 0, 80);
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 1);
	pod_free(&p);
}

TEST(test_privileged_host_port_denied_by_policy)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	pol.allow_privileged_host_ports = 0;
	test_pod(&p, 2);
	add_host_port(&p, 1, 1023);
	expect_denied(&pol, &p, "hostPort",
	    "spec.containers[1].ports[1].hostPort");
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 0);
	CHECK(strstr(v.reason, "hostPort 1023 is below 1024") != NULL);
	pod_free(&p);
	/* 1024 and up is anyone's */
	test_pod(&p, 1);
	add_host_port(&p, 0, 1024);
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 1);
	pod_free(&p);
}

TEST(test_forbidden_host_port_denied_with_its_range)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	snprintf(pol.forbidden_host_ports, sizeof(pol.forbidden_host_ports),
	    "22,2379-2380,30000-32767");
	test_pod(&p, 2);
	add_host_port(&p, 1, 30080);
	expect_denied(&pol, &p, "hostPort",
	    "spec.containers[1].ports[1].hostPort");
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 0);
	CHECK_STR(v.reason,
	    "hostPort 30080 is in forbiddenHostPorts (30000-32767)");
	pod_free(&p);
	/* a single port, even one below 1024 that policy otherwise allows */
	test_pod(&p, 1);
	add_host_port(&p, 0, 22);
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 0);
	CHECK_STR(v.reason, "hostPort 22 is in forbiddenHostPorts (22)");
	pod_free(&p);
	/* the range's ends are in it */
	test_pod(&p, 1);
	add_host_port(&p, 0, 2379);
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 0);
	CHECK_STR(v.reason,
	    "hostPort 2379 is in forbiddenHostPorts (2379-2380)");
	pod_free(&p);
}

TEST(test_host_port_outside_forbidden_ranges_allowed)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;
	static const uint32_t ok_ports[] = { 21, 23, 2378, 2381, 29999,
	    32768 };
	size_t i;

	test_policy(&pol);
	snprintf(pol.forbidden_host_ports, sizeof(pol.forbidden_host_ports),
	    "22,2379-2380,30000-32767");
	for (i = 0; i < sizeof(ok_ports) / sizeof(ok_ports[0]); i++) {
		test_pod(&p, 1);
		add_host_port(&p, 0, ok_ports[i]);
		CHECK_EQ_INT(policy_check(&pol, &p, &v), 1);
		CHECK_STR(v.reason, "");
		pod_free(&p);
	}
	/* a containerPort in the range without a hostPort binds nothing */
	test_pod(&p, 1);
	add_host_port(&p, 0, 0);
	p.containers[0].ports[1].container_port = 30080;
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 1);
	pod_free(&p);
}

/* both rules on one port: the privileged-port rule is reported first */
TEST(test_privileged_and_forbidden_host_port_reports_below_1024)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	pol.allow_privileged_host_ports = 0;
	snprintf(pol.forbidden_host_ports, sizeof(pol.forbidden_host_ports),
	    "22");
	test_pod(&p, 1);
	add_host_port(&p, 0, 22);
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 0);
	CHECK(strstr(v.reason, "is below 1024") != NULL);
	pod_free(&p);
}

/* ---- init containers (issue 13) ---- */

static void
add_init(struct pod *p, const char *name)
{
	REQUIRE((p->init_containers = reallocarray(p->init_containers,
	    p->n_init_containers + 1, sizeof(*p->init_containers))) != NULL);
	container_spec_init(&p->init_containers[p->n_init_containers]);
	p->init_containers[p->n_init_containers].name = strdup(name);
	p->init_containers[p->n_init_containers].image = strdup("busybox");
	p->n_init_containers++;
}

TEST(test_init_containers_are_checked_like_containers)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	add_init(&p, "setup");
	add_init(&p, "side");
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 1);
	p.init_containers[1].sc.privileged = 1;
	expect_denied(&pol, &p, "privileged",
	    "spec.initContainers[1].securityContext.privileged");
	p.init_containers[1].sc.privileged = 0;
	REQUIRE(strlist_add(&p.init_containers[0].sc.cap_add, "SYS_ADMIN",
	    POD_MAX_CAPS) == 0);
	expect_denied(&pol, &p, "capabilities",
	    "spec.initContainers[0].securityContext.capabilities.add[0]");
	pod_free(&p);
}

TEST(test_describe_counts_init_containers)
{
	char buf[1024];
	struct pod p;

	test_pod(&p, 1);
	add_init(&p, "setup");
	p.init_containers[0].sc.privileged = 1;
	p.init_containers[0].sc.run_as_user = 0;
	REQUIRE(strlist_add(&p.init_containers[0].sc.cap_add, "NET_ADMIN",
	    POD_MAX_CAPS) == 0);
	policy_describe(&p, buf, sizeof(buf));
	CHECK(strncmp(buf, "privileged=1;", 13) == 0);
	CHECK(strstr(buf, "caps_add=NET_ADMIN;") != NULL);
	CHECK(strstr(buf, "runAsUser=unset,0") != NULL);
	pod_free(&p);
}

/* ---- allowedHostPaths (issue 14) ---- */

static void
add_host_path_volume(struct pod *p, const char *name, const char *path)
{
	struct volume *v;

	p->volumes = realloc(p->volumes, (p->n_volumes + 1) *
	    sizeof(*p->volumes));
	REQUIRE(p->volumes != NULL);
	v = &p->volumes[p->n_volumes++];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	v->kind = VOL_HOST_PATH;
	v->size_limit = -1;
	v->host_path = strdup(path);
	REQUIRE(v->name && v->host_path);
}

static void
add_mount(struct container_spec *c, const char *name, const char *path,
    int ro)
{
	struct volume_mount *m;

	c->mounts = realloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
	REQUIRE(c->mounts != NULL);
	m = &c->mounts[c->n_mounts++];
	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	m->mount_path = strdup(path);
	m->read_only = (uint8_t)ro;
	REQUIRE(m->name && m->mount_path);
}

static void
allow_prefix(struct node_policy *pol, const char *prefix, int ro)
{
	struct host_path_rule *r;

	r = &pol->allowed_host_paths[pol->n_allowed_host_paths++];
	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	r->read_only = ro;
}

TEST(test_host_path_denied_without_allowed_host_paths)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	test_pod(&p, 1);
	add_host_path_volume(&p, "h", "/srv/data");
	add_mount(&p.containers[0], "h", "/h", 1);
	expect_denied(&pol, &p, "allowedHostPaths",
	    "spec.volumes[0].hostPath.path");
	policy_check(&pol, &p, &v);
	CHECK(strstr(v.reason, "none are allowed") != NULL);
	pod_free(&p);
}

TEST(test_host_path_prefix_matches_whole_components)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	allow_prefix(&pol, "/srv/data", 0);
	test_pod(&p, 1);
	add_host_path_volume(&p, "h", "/srv/data");
	expect_allowed(&pol, &p);
	free(p.volumes[0].host_path);
	p.volumes[0].host_path = strdup("/srv/data/sub/x");
	expect_allowed(&pol, &p);
	free(p.volumes[0].host_path);
	p.volumes[0].host_path = strdup("/srv/database");
	expect_denied(&pol, &p, "allowedHostPaths",
	    "spec.volumes[0].hostPath.path");
	free(p.volumes[0].host_path);
	p.volumes[0].host_path = strdup("/srv");
	expect_denied(&pol, &p, "allowedHostPaths",
	    "spec.volumes[0].hostPath.path");
	pod_free(&p);
}

TEST(test_root_prefix_admits_every_path)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	allow_prefix(&pol, "", 0);	/* "/" as the config keeps it */
	test_pod(&p, 1);
	add_host_path_volume(&p, "h", "/etc");
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_read_only_prefix_needs_read_only_mounts)
{
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	allow_prefix(&pol, "/etc/conf", 1);
	test_pod(&p, 2);
	add_host_path_volume(&p, "h", "/etc/conf/app");
	add_mount(&p.containers[0], "h", "/a", 1);
	add_mount(&p.containers[1], "h", "/b", 0);
	expect_denied(&pol, &p, "allowedHostPaths",
	    "spec.containers[1].volumeMounts[0].readOnly");
	policy_check(&pol, &p, &v);
	CHECK(strstr(v.reason, "/etc/conf") != NULL);
	p.containers[1].mounts[0].read_only = 1;
	expect_allowed(&pol, &p);
	pod_free(&p);
}

TEST(test_writable_prefix_wins_over_read_only_one)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	allow_prefix(&pol, "/srv", 1);
	allow_prefix(&pol, "/srv/rw", 0);
	test_pod(&p, 1);
	add_host_path_volume(&p, "h", "/srv/rw/x");
	add_mount(&p.containers[0], "h", "/a", 0);
	expect_allowed(&pol, &p);
	CHECK_EQ_INT(policy_host_path_match(&pol, "/srv/rw/x")->read_only, 0);
	CHECK_EQ_INT(policy_host_path_match(&pol, "/srv/ro")->read_only, 1);
	CHECK(policy_host_path_match(&pol, "/srvx") == NULL);
	CHECK(policy_host_path_match(&pol, "srv/rw") == NULL);
	pod_free(&p);
}

TEST(test_init_container_mount_checked_too)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	allow_prefix(&pol, "/ro", 1);
	test_pod(&p, 1);
	add_host_path_volume(&p, "h", "/ro");
	p.init_containers = calloc(1, sizeof(*p.init_containers));
	REQUIRE(p.init_containers != NULL);
	container_spec_init(&p.init_containers[0]);
	p.init_containers[0].name = strdup("init");
	p.init_containers[0].image = strdup("busybox");
	p.n_init_containers = 1;
	add_mount(&p.init_containers[0], "h", "/x", 0);
	expect_denied(&pol, &p, "allowedHostPaths",
	    "spec.initContainers[0].volumeMounts[0].readOnly");
	pod_free(&p);
}

TEST(test_describe_lists_host_paths)
{
	char buf[512];
	struct pod p;

	test_pod(&p, 1);
	add_host_path_volume(&p, "a", "/srv/a");
	add_host_path_volume(&p, "b", "/srv/b");
	policy_describe(&p, buf, sizeof(buf));
	CHECK(strstr(buf, ";hostPath=/srv/a,/srv/b") != NULL);
	pod_free(&p);
}

/* ---- sysctls (the kubelet's sysctl admission) ---- */

static void
add_sysctl(struct pod *p, const char *name, const char *value)
{
	struct kv *kv;

	REQUIRE((kv = realloc(p->psc.sysctls, (p->psc.n_sysctls + 1) *
	    sizeof(*kv))) != NULL);
	p->psc.sysctls = kv;
	kv[p->psc.n_sysctls].key = strdup(name);
	kv[p->psc.n_sysctls].value = value ? strdup(value) : NULL;
	p->psc.n_sysctls++;
}

TEST(test_sysctls_safe_allowed_unsafe_denied)
{
	char buf[1024];
	struct node_policy pol;
	struct policy_verdict v;
	struct pod p;

	test_policy(&pol);
	policy_set_kernel_release("6.1.0-13-amd64");
	test_pod(&p, 1);
	add_sysctl(&p, "kernel.shm_rmid_forced", "1");
	add_sysctl(&p, "net.ipv4.tcp_rmem", "4096 87380 6291456");
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 1);
	add_sysctl(&p, "net.core.somaxconn", "1024");
	expect_denied(&pol, &p, "sysctls", "spec.securityContext.sysctls[2]");
	snprintf(pol.allowed_unsafe_sysctls,
	    sizeof(pol.allowed_unsafe_sysctls), "net.core.*");
	CHECK_EQ_INT(policy_check(&pol, &p, &v), 1);
	/* an older kernel does not namespace tcp_rmem: unsafe there */
	policy_set_kernel_release("4.14.0");
	expect_denied(&pol, &p, "sysctls", "spec.securityContext.sysctls[1]");
	policy_set_kernel_release(NULL);
	policy_describe(&p, buf, sizeof(buf));
	CHECK(strstr(buf, ";sysctls=kernel.shm_rmid_forced,net.ipv4.tcp_rmem,"
	    "net.core.somaxconn") != NULL);
	pod_free(&p);
}

TEST(test_sysctls_never_in_host_namespaces_or_unnamespaced)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.allow_host_network = pol.allow_host_ipc = 1;
	snprintf(pol.allowed_unsafe_sysctls,
	    sizeof(pol.allowed_unsafe_sysctls), "net.*,kernel.msg*");
	test_pod(&p, 1);
	p.host_network = 1;
	add_sysctl(&p, "net.ipv4.tcp_syncookies", "1");
	expect_denied(&pol, &p, "sysctls", "spec.securityContext.sysctls[0]");
	p.host_network = 0;
	p.host_ipc = 1;
	add_sysctl(&p, "kernel.msgmax", "1");
	expect_denied(&pol, &p, "sysctls", "spec.securityContext.sysctls[1]");
	pod_free(&p);
	/* what a watcher should never send: re-checked here */
	test_pod(&p, 1);
	add_sysctl(&p, "vm.swappiness", "1");
	expect_denied(&pol, &p, "sysctls", "spec.securityContext.sysctls[0]");
	pod_free(&p);
	test_pod(&p, 1);
	add_sysctl(&p, "net/../../vm/x", "1");
	expect_denied(&pol, &p, "sysctls", "spec.securityContext.sysctls[0]");
	pod_free(&p);
	test_pod(&p, 1);
	add_sysctl(&p, "net.ipv4.tcp_syncookies", "1\n0");
	expect_denied(&pol, &p, "sysctls", "spec.securityContext.sysctls[0]");
	pod_free(&p);
}

TEST(test_force_nnp_checks_init_containers)
{
	struct node_policy pol;
	struct pod p;

	test_policy(&pol);
	pol.force_no_new_privs = 1;
	test_pod(&p, 1);
	add_init(&p, "setup");
	expect_allowed(&pol, &p);
	p.init_containers[0].sc.allow_privilege_escalation = 1;
	expect_denied(&pol, &p, "allowPrivilegeEscalation",
	    "spec.initContainers[0].securityContext.allowPrivilegeEscalation");
	pod_free(&p);
}
