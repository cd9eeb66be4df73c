/*
 * The v1.Node as the kubelet writes it.  The parts, each from its kubelet
 * source:
 *
 *  - labels: initialNode and nodeutil's well-known labels: the hostname,
 *    os and arch, and their deprecated beta twins the kubelet still sets;
 *    no node-role or topology label (those come from a cloud provider or
 *    an administrator).
 *  - addresses: setters.go NodeAddress with --node-ip: one InternalIP per
 *    address (nodeIP, or agentd's default-route addresses), then the
 *    Hostname, which is the node's name as with --hostname-override.
 *  - capacity and allocatable: MachineInfo.  Allocatable is capacity: the
 *    kubelet subtracts system-reserved, kube-reserved and its hard
 *    eviction thresholds, and agentd has none of the three yet.
 *  - conditions: MemoryPressure, DiskPressure, PIDPressure, then Ready, in
 *    the kubelet's order, with its reasons.  The pressure conditions are
 *    False because agentd has no eviction manager to find pressure; Ready
 *    is True while the reporter answers, since a reporter that is down
 *    renders nothing.
 *  - nodeInfo: VersionInfo and the machine ids.
 *  - daemonEndpoints: Port 0, agentd serves no kubelet API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "ipc.h"
#include "nodefacts.h"
#include "nodestatus.h"
#include "pod.h"
#include "podstatus.h"
#include "podview.h"
#include "version.h"

_Static_assert(CONFIG_MAX_MAX_PODS == MAX_PODS,
    "maxPods may not exceed the pods the executor keeps");

#define NODE_QUANTITY_LEN	32
#define NODE_IPS_MAX		4	/* "v4,v6": one of each, and spare */
#define NODE_TABLE_COLS		5

struct node_condition {
	const char	*type;
	const char	*status;
	const char	*reason;
	const char	*message;
};

/* the kubelet's words, "kubelet" said as "agentd" in the messages */
static const struct node_condition node_conditions[] = {
	{ "MemoryPressure", "False", "KubeletHasSufficientMemory",
	    "agentd has sufficient memory available" },
	{ "DiskPressure", "False", "KubeletHasNoDiskPressure",
	    "agentd has no disk pressure" },
	{ "PIDPressure", "False", "KubeletHasSufficientPID",
	    "agentd has sufficient PID available" },
	{ "Ready", "True", "KubeletReady", "agentd is posting ready status" },
};

static cJSON *
labels_json(const struct node_facts *f, const struct node_conf *nc)
{
	cJSON *l;

	/* the API server sorts a map's keys; so do we */
	if ((l = cJSON_CreateObject()) == NULL ||
	    pj_add_str(l, "beta.kubernetes.io/arch", f->architecture) == -1 ||
	    pj_add_str(l, "beta.kubernetes.io/os", f->operating_system) ==
	    -1 || pj_add_str(l, "kubernetes.io/arch", f->architecture) == -1 ||
	    pj_add_str(l, "kubernetes.io/hostname", nc->name) == -1 ||
	    pj_add_str(l, "kubernetes.io/os", f->operating_system) == -1) {
		cJSON_Delete(l);
		return NULL;
	}
	return l;
}

static cJSON *
metadata_json(const struct node_facts *f, const struct node_conf *nc)
{
	cJSON *m;

	if ((m = cJSON_CreateObject()) == NULL ||
	    pj_add_str(m, "name", nc->name) == -1 ||
	    pj_add_time(m, "creationTimestamp", f->gathered_ns) == -1 ||
	    pj_add_item(m, "labels", labels_json(f, nc)) == -1) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

/* capacity and allocatable: the same resource list (see the top) */
static cJSON *
resources_json(const struct node_facts *f, const struct node_conf *nc)
{
	char cpu[NODE_QUANTITY_LEN], disk[NODE_QUANTITY_LEN],
	    mem[NODE_QUANTITY_LEN], pods[NODE_QUANTITY_LEN];
	cJSON *r;

	snprintf(cpu, sizeof(cpu), "%u", f->cpus);
	pj_mem_quantity((int64_t)f->ephemeral_bytes, disk, sizeof(disk));
	pj_mem_quantity((int64_t)f->memory_bytes, mem, sizeof(mem));
	snprintf(pods, sizeof(pods), "%u", nc->max_pods);
	if ((r = cJSON_CreateObject()) == NULL ||
	    pj_add_str(r, "cpu", cpu) == -1 ||
	    pj_add_str(r, "ephemeral-storage", disk) == -1 ||
	    pj_add_str(r, "memory", mem) == -1 ||
	    pj_add_str(r, "pods", pods) == -1) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/*
 * The conditions have held since the facts were gathered (the executor's
 * start): agentd posts them unchanged from then on.
 */
static cJSON *
conditions_json(const struct node_facts *f, int64_t now_ns)
{
	const struct node_condition *c;
	cJSON *a, *o;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < nitems(node_conditions); i++) {
		c = &node_conditions[i];
		if ((o = cJSON_CreateObject()) == NULL ||
		    pj_append_item(a, o) == -1 ||
		    pj_add_str(o, "type", c->type) == -1 ||
		    pj_add_str(o, "status", c->status) == -1 ||
		    pj_add_time(o, "lastHeartbeatTime", now_ns) == -1 ||
		    pj_add_time(o, "lastTransitionTime", f->gathered_ns) ==
		    -1 || pj_add_str(o, "reason", c->reason) == -1 ||
		    pj_add_str(o, "message", c->message) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static int
add_address(cJSON *a, const char *type, const char *address)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL || pj_append_item(a, o) == -1)
		return -1;
	return pj_add_str(o, "type", type) == -1 ||
	    pj_add_str(o, "address", address) == -1 ? -1 : 0;
}

static cJSON *
addresses_json(const struct node_conf *nc)
{
	char ips[CONFIG_MAX_IPLIST], *ip, *save = NULL;
	cJSON *a;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	snprintf(ips, sizeof(ips), "%s", nc->node_ips);
	for (ip = strtok_r(ips, ",", &save); ip != NULL;
	    ip = strtok_r(NULL, ",", &save))
		if (add_address(a, "InternalIP", ip) == -1)
			goto fail;
	if (add_address(a, "Hostname", nc->name) == -1)
		goto fail;
	return a;
 fail:
	cJSON_Delete(a);
	return NULL;
}

static cJSON *
endpoints_json(void)
{
	cJSON *d, *k;

	if ((d = cJSON_CreateObject()) == NULL ||
	    (k = cJSON_AddObjectToObject(d, "kubeletEndpoint")) == NULL ||
	    pj_add_num(k, "Port", 0) == -1) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static cJSON *
nodeinfo_json(const struct node_facts *f)
{
	cJSON *n;

	/* kubeProxyVersion: deprecated, "" from a kubelet of 1.31 on */
	if ((n = cJSON_CreateObject()) == NULL ||
	    pj_add_str(n, "machineID", f->machine_id) == -1 ||
	    pj_add_str(n, "systemUUID", f->system_uuid) == -1 ||
	    pj_add_str(n, "bootID", f->boot_id) == -1 ||
	    pj_add_str(n, "kernelVersion", f->kernel_version) == -1 ||
	    pj_add_str(n, "osImage", f->os_image) == -1 ||
	    pj_add_str(n, "containerRuntimeVersion", f->runtime_version) ==
	    -1 || pj_add_str(n, "kubeletVersion", AGENTD_VERSION) == -1 ||
	    pj_add_str(n, "kubeProxyVersion", "") == -1 ||
	    pj_add_str(n, "operatingSystem", f->operating_system) == -1 ||
	    pj_add_str(n, "architecture", f->architecture) == -1) {
		cJSON_Delete(n);
		return NULL;
	}
	return n;
}

static cJSON *
status_json_node(const struct node_facts *f, const struct node_conf *nc,
    int64_t now_ns)
{
	cJSON *s;

	if ((s = cJSON_CreateObject()) == NULL ||
	    pj_add_item(s, "capacity", resources_json(f, nc)) == -1 ||
	    pj_add_item(s, "allocatable", resources_json(f, nc)) == -1 ||
	    pj_add_item(s, "conditions", conditions_json(f, now_ns)) == -1 ||
	    pj_add_item(s, "addresses", addresses_json(nc)) == -1 ||
	    pj_add_item(s, "daemonEndpoints", endpoints_json()) == -1 ||
	    pj_add_item(s, "nodeInfo", nodeinfo_json(f)) == -1) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

cJSON *
nodestatus_node_json(const struct node_facts *f, const struct node_conf *nc,
    int64_t now_ns)
{
	cJSON *n;

	if ((n = cJSON_CreateObject()) == NULL ||
	    pj_add_str(n, "kind", "Node") == -1 ||
	    pj_add_str(n, "apiVersion", "v1") == -1 ||
	    pj_add_item(n, "metadata", metadata_json(f, nc)) == -1 ||
	    pj_add_item(n, "spec", cJSON_CreateObject()) == -1 ||
	    pj_add_item(n, "status", status_json_node(f, nc, now_ns)) == -1) {
		cJSON_Delete(n);
		return NULL;
	}
	return n;
}

/*
 * kubectl's printNode: STATUS is Ready's ("NotReady" otherwise), ROLES the
 * node-role.kubernetes.io/ labels (none: "<none>"), AGE since
 * creationTimestamp, VERSION the kubeletVersion
 */
char *
nodestatus_table(const struct node_facts *f, const struct node_conf *nc,
    int64_t now_ns)
{
	char age[PODSTATUS_DURATION_LEN];
	const char *cells[2 * NODE_TABLE_COLS] = {
		"NAME", "STATUS", "ROLES", "AGE", "VERSION",
		nc->name, "Ready", "<none>", age, AGENTD_VERSION
	};

	podstatus_human_duration(now_ns - (f->gathered_ns / NS_PER_SEC) *
	    NS_PER_SEC, age, sizeof(age));
	return podstatus_cells_table(cells, 2, NODE_TABLE_COLS);
}
