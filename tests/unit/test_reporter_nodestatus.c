/*
 * The v1.Node of nodestatus.c from constructed facts: the shape the
 * kubelet's setters give it (parsed back with cJSON), the quantities as
 * the API canonicalizes them, addresses, conditions and their times, the
 * `kubectl get nodes` table; and MSG_NODE_INFO's decoder (nodewire.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ipc.h"
#include "msgcat.h"
#include "nodefacts.h"
#include "tap.h"
#include "version.h"
#include "../../workers/reporter/nodestatus.h"

#define SEC		1000000000LL
#define T0		(1795851222LL * SEC)	/* 2026-11-28T07:33:42Z */
#define T0_STR		"2026-11-28T07:33:42Z"
#define T1_STR		"2026-11-28T09:33:42Z"	/* two hours later */

static void
mkfacts(struct node_facts *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->machine_id, sizeof(f->machine_id),
	    "3d1219c7c4c5404aaa1f6d2a48adfda4");
	snprintf(f->system_uuid, sizeof(f->system_uuid),
	    "ec2a4d5e-0b1f-4c4e-9f7e-1234567890ab");
	snprintf(f->boot_id, sizeof(f->boot_id),
	    "4d7d9e3e-17a2-4f56-b882-81dd5b44aec0");
	snprintf(f->kernel_version, sizeof(f->kernel_version), "6.1.0-18-amd64");
	snprintf(f->os_image, sizeof(f->os_image),
	    "Debian GNU/Linux 12 (bookworm)");
	snprintf(f->operating_system, sizeof(f->operating_system), "linux");
	snprintf(f->architecture, sizeof(f->architecture), "amd64");
	snprintf(f->runtime_version, sizeof(f->runtime_version),
	    "runc://1.1.5");
	f->cpus = 4;
	f->memory_bytes = 16384256ULL * 1024;		/* not whole MiB */
	f->ephemeral_bytes = 64ULL << 30;		/* whole GiB */
	f->gathered_ns = T0;
}

static const struct node_conf conf = { "node-a", "192.0.2.7,2001:db8::7",
    110 };

static cJSON *
node(const struct node_facts *f, const struct node_conf *nc)
{
	cJSON *n;

	REQUIRE((n = nodestatus_node_json(f, nc, T0 + 7200 * SEC)) != NULL);
	return n;
}

static const char *
str_at(const cJSON *o, const char *a, const char *b, const char *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (c != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	return cJSON_GetStringValue(v);
}

TEST(test_node_kind_and_name)
{
	struct node_facts f;
	cJSON *n;

	mkfacts(&f);
	n = node(&f, &conf);
	CHECK_STR(str_at(n, "kind", NULL, NULL), "Node");
	CHECK_STR(str_at(n, "apiVersion", NULL, NULL), "v1");
	CHECK_STR(str_at(n, "metadata", "name", NULL), "node-a");
	CHECK_STR(str_at(n, "metadata", "creationTimestamp", NULL), T0_STR);
	CHECK(cJSON_IsObject(cJSON_GetObjectItem(n, "spec")));
	cJSON_Delete(n);
}

TEST(test_node_labels_are_the_kubelets)
{
	struct node_facts f;
	const cJSON *l, *e;
	cJSON *n;
	int count = 0;

	mkfacts(&f);
	snprintf(f.architecture, sizeof(f.architecture), "arm64");
	n = node(&f, &conf);
	l = cJSON_GetObjectItem(cJSON_GetObjectItem(n, "metadata"), "labels");
	CHECK_STR(str_at(l, "kubernetes.io/hostname", NULL, NULL), "node-a");
	CHECK_STR(str_at(l, "kubernetes.io/os", NULL, NULL), "linux");
	CHECK_STR(str_at(l, "kubernetes.io/arch", NULL, NULL), "arm64");
	CHECK_STR(str_at(l, "beta.kubernetes.io/os", NULL, NULL), "linux");
	CHECK_STR(str_at(l, "beta.kubernetes.io/arch", NULL, NULL), "arm64");
	cJSON_ArrayForEach(e, l)
		count++;
	CHECK_EQ_INT(count, 5);		/* no role, no topology */
	cJSON_Delete(n);
}

TEST(test_node_capacity_quantities)
{
	struct node_facts f;
	const cJSON *st;
	cJSON *n;

	mkfacts(&f);
	n = node(&f, &conf);
	st = cJSON_GetObjectItem(n, "status");
	CHECK_STR(str_at(st, "capacity", "cpu", NULL), "4");
	/* the API's canonical BinarySI form: the largest exact suffix */
	CHECK_STR(str_at(st, "capacity", "memory", NULL), "16384256Ki");
	CHECK_STR(str_at(st, "capacity", "ephemeral-storage", NULL), "64Gi");
	CHECK_STR(str_at(st, "capacity", "pods", NULL), "110");
	/* no reservations: allocatable is capacity */
	CHECK(cJSON_Compare(cJSON_GetObjectItem(st, "capacity"),
	    cJSON_GetObjectItem(st, "allocatable"), 1));
	cJSON_Delete(n);
}

TEST(test_node_capacity_odd_bytes_and_max_pods)
{
	struct node_conf nc = conf;
	struct node_facts f;
	const cJSON *st;
	cJSON *n;

	mkfacts(&f);
	f.ephemeral_bytes = 1000000001;		/* no suffix divides it */
	f.memory_bytes = 1000000000;		/* 2^9 * 5^9: "1G" */
	nc.max_pods = 512;
	n = node(&f, &nc);
	st = cJSON_GetObjectItem(n, "status");
	CHECK_STR(str_at(st, "capacity", "ephemeral-storage", NULL),
	    "1000000001");
	CHECK_STR(str_at(st, "capacity", "memory", NULL), "1G");
	CHECK_STR(str_at(st, "allocatable", "pods", NULL), "512");
	cJSON_Delete(n);
}

TEST(test_node_conditions_order_reasons_times)
{
	static const char *const want[][3] = {
		{ "MemoryPressure", "False", "KubeletHasSufficientMemory" },
		{ "DiskPressure", "False", "KubeletHasNoDiskPressure" },
		{ "PIDPressure", "False", "KubeletHasSufficientPID" },
		{ "Ready", "True", "KubeletReady" },
	};
	struct node_facts f;
	const cJSON *a, *c;
	cJSON *n;
	int i = 0;

	mkfacts(&f);
	n = node(&f, &conf);
	a = cJSON_GetObjectItem(cJSON_GetObjectItem(n, "status"),
	    "conditions");
	CHECK_EQ_INT(cJSON_GetArraySize(a), 4);
	cJSON_ArrayForEach(c, a) {
		REQUIRE(i < 4);
		CHECK_STR(str_at(c, "type", NULL, NULL), want[i][0]);
		CHECK_STR(str_at(c, "status", NULL, NULL), want[i][1]);
		CHECK_STR(str_at(c, "reason", NULL, NULL), want[i][2]);
		CHECK_STR(str_at(c, "lastHeartbeatTime", NULL, NULL), T1_STR);
		CHECK_STR(str_at(c, "lastTransitionTime", NULL, NULL),
		    T0_STR);
		i++;
	}
	c = cJSON_GetArrayItem(a, 3);
	CHECK_STR(str_at(c, "message", NULL, NULL),
	    "agentd is posting ready status");
	cJSON_Delete(n);
}

TEST(test_node_addresses_dual_stack_then_hostname)
{
	struct node_facts f;
	const cJSON *a;
	cJSON *n;

	mkfacts(&f);
	n = node(&f, &conf);
	a = cJSON_GetObjectItem(cJSON_GetObjectItem(n, "status"),
	    "addresses");
	REQUIRE(cJSON_GetArraySize(a) == 3);
	CHECK_STR(str_at(cJSON_GetArrayItem(a, 0), "type", NULL, NULL),
	    "InternalIP");
	CHECK_STR(str_at(cJSON_GetArrayItem(a, 0), "address", NULL, NULL),
	    "192.0.2.7");
	CHECK_STR(str_at(cJSON_GetArrayItem(a, 1), "address", NULL, NULL),
	    "2001:db8::7");
	CHECK_STR(str_at(cJSON_GetArrayItem(a, 2), "type", NULL, NULL),
	    "Hostname");
	CHECK_STR(str_at(cJSON_GetArrayItem(a, 2), "address", NULL, NULL),
	    "node-a");
	cJSON_Delete(n);
}

TEST(test_node_without_ips_has_the_hostname_only)
{
	struct node_conf nc = conf;
	struct node_facts f;
	const cJSON *a;
	cJSON *n;

	mkfacts(&f);
	nc.node_ips = "";
	n = node(&f, &nc);
	a = cJSON_GetObjectItem(cJSON_GetObjectItem(n, "status"),
	    "addresses");
	REQUIRE(cJSON_GetArraySize(a) == 1);
	CHECK_STR(str_at(cJSON_GetArrayItem(a, 0), "type", NULL, NULL),
	    "Hostname");
	cJSON_Delete(n);
}

TEST(test_node_info_and_endpoint)
{
	struct node_facts f;
	const cJSON *st, *ni;
	cJSON *n;

	mkfacts(&f);
	f.system_uuid[0] = '\0';	/* no DMI: "" as the kubelet says */
	n = node(&f, &conf);
	st = cJSON_GetObjectItem(n, "status");
	ni = cJSON_GetObjectItem(st, "nodeInfo");
	CHECK_STR(str_at(ni, "machineID", NULL, NULL),
	    "3d1219c7c4c5404aaa1f6d2a48adfda4");
	CHECK_STR(str_at(ni, "systemUUID", NULL, NULL), "");
	CHECK_STR(str_at(ni, "bootID", NULL, NULL),
	    "4d7d9e3e-17a2-4f56-b882-81dd5b44aec0");
	CHECK_STR(str_at(ni, "kernelVersion", NULL, NULL), "6.1.0-18-amd64");
	CHECK_STR(str_at(ni, "osImage", NULL, NULL),
	    "Debian GNU/Linux 12 (bookworm)");
	CHECK_STR(str_at(ni, "containerRuntimeVersion", NULL, NULL),
	    "runc://1.1.5");
	CHECK_STR(str_at(ni, "kubeletVersion", NULL, NULL), AGENTD_VERSION);
	CHECK_STR(str_at(ni, "kubeProxyVersion", NULL, NULL), "");
	CHECK_STR(str_at(ni, "operatingSystem", NULL, NULL), "linux");
	CHECK_STR(str_at(ni, "architecture", NULL, NULL), "amd64");
	CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(st, "daemonEndpoints"),
	    "kubeletEndpoint"), "Port")), 0);
	cJSON_Delete(n);
}

TEST(test_node_table)
{
	struct node_facts f;
	char *t, want[256];

	mkfacts(&f);
	/* AGE is HumanDuration: minutes up to three hours, as kubectl's */
	REQUIRE((t = nodestatus_table(&f, &conf, T0 + 7200 * SEC)) != NULL);
	snprintf(want, sizeof(want),
	    "NAME     STATUS   ROLES    AGE    VERSION\n"
	    "node-a   Ready    <none>   120m   %s\n", AGENTD_VERSION);
	CHECK_STR(t, want);
	free(t);
}

/* ---- MSG_NODE_INFO ---- */

static int
facts_trip(const struct node_facts *in, struct node_facts *out)
{
	struct ipc_msg m;
	int rv;

	ipc_msg_init(&m, MSG_NODE_INFO, 0);
	nodewire_put(&m, in);
	REQUIRE(m.err == 0);
	rv = nodewire_get(&m, out);
	ipc_msg_free(&m);
	return rv;
}

TEST(test_nodewire_round_trip)
{
	struct node_facts a, b;

	mkfacts(&a);
	CHECK_EQ_INT(facts_trip(&a, &b), 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

TEST(test_nodewire_string_bounds)
{
	struct node_facts a, b;
	struct ipc_msg m;
	char id[NODE_MAX_ID + 2];

	/* NODE_MAX_ID bytes pass, one more is refused */
	mkfacts(&a);
	memset(a.machine_id, 'a', NODE_MAX_ID);
	a.machine_id[NODE_MAX_ID] = '\0';
	CHECK_EQ_INT(facts_trip(&a, &b), 0);
	memset(id, 'a', NODE_MAX_ID + 1);
	id[NODE_MAX_ID + 1] = '\0';
	ipc_msg_init(&m, MSG_NODE_INFO, 0);
	ipc_put_str(&m, id);
	CHECK_EQ_INT(nodewire_get(&m, &b), -1);
	ipc_msg_free(&m);
}

TEST(test_nodewire_refuses_implausible_facts)
{
	struct node_facts a, b;
	struct ipc_msg m;

	mkfacts(&a);
	a.cpus = 0;
	CHECK_EQ_INT(facts_trip(&a, &b), -1);
	mkfacts(&a);
	a.cpus = NODE_MAX_CPUS + 1;
	CHECK_EQ_INT(facts_trip(&a, &b), -1);
	mkfacts(&a);
	a.memory_bytes = 0;
	CHECK_EQ_INT(facts_trip(&a, &b), -1);
	mkfacts(&a);
	a.gathered_ns = 0;
	CHECK_EQ_INT(facts_trip(&a, &b), -1);
	/* trailing bytes */
	mkfacts(&a);
	ipc_msg_init(&m, MSG_NODE_INFO, 0);
	nodewire_put(&m, &a);
	ipc_put_u32(&m, 1);
	CHECK_EQ_INT(nodewire_get(&m, &b), -1);
	ipc_msg_free(&m);
}
