/*
 * The v1.Node this node will register in API mode, built as the kubelet
 * builds it (pkg/kubelet/kubelet_node_status.go initialNode and the
 * setters of pkg/kubelet/nodestatus/setters.go), and `kubectl get nodes`
 * as kubectl prints it.  Pure, as podstatus.h: the facts come from the
 * executor (MSG_NODE_INFO), the rest from the configuration, the clock
 * from the caller.
 */
#ifndef AGENTD_REPORTER_NODESTATUS_H
#define AGENTD_REPORTER_NODESTATUS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "nodefacts.h"

/* what the configuration says of the node */
struct node_conf {
	const char	*name;		/* nodeName */
	const char	*node_ips;	/* "v4", "v6", "v4,v6" or "" */
	uint32_t	 max_pods;
};

/*
 * The v1.Node: metadata (name, labels; creationTimestamp the facts' time
 * until the API server assigns its own), status (capacity, allocatable,
 * conditions with now_ns as the heartbeat, addresses, daemonEndpoints,
 * nodeInfo).  NULL if out of memory.
 */
cJSON	*nodestatus_node_json(const struct node_facts *,
	    const struct node_conf *, int64_t now_ns);
/* `kubectl get nodes`: NAME STATUS ROLES AGE VERSION; malloc'd */
char	*nodestatus_table(const struct node_facts *, const struct node_conf *,
	    int64_t now_ns);

#endif
