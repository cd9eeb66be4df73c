/*
 * API mode: the Node object and its Lease, as the kubelet keeps them
 * (apinode.c).
 *
 *  - Node: once the credentials are in (apinode_start) and the executor
 *    has said what the node is (apinode_facts), POST /api/v1/nodes; 409
 *    AlreadyExists: GET it and adopt it (its uid).  Then its status is
 *    PATCHed (strategic merge) when it changes and at least every
 *    APINODE_STATUS_REPORT_S (the kubelet's nodeStatusReportFrequency).
 *  - Lease kube-node-lease/NODE (coordination.k8s.io/v1): created once the
 *    Node's uid is known (its ownerReference), renewed every
 *    APINODE_LEASE_RENEW_S with a PUT of the server's last object (its
 *    resourceVersion); 409: GET and PUT again; a failed renewal is
 *    retried with backoff, and at once when the server answers something
 *    else (apinode_server_answered).
 */
#ifndef AGENTD_REPORTER_APINODE_H
#define AGENTD_REPORTER_APINODE_H

#include <stdint.h>

#include "nodefacts.h"
#include "nodestatus.h"

struct event_base;

#define APINODE_STATUS_REPORT_S		300	/* nodeStatusReportFrequency */
#define APINODE_LEASE_DURATION_S	40	/* leaseDurationSeconds */
#define APINODE_LEASE_RENEW_S		10	/* 0.25 of the duration */
#define APINODE_MIN_BACKOFF_MS		200	/* the kubelet's lease retry */
#define APINODE_MAX_BACKOFF_MS		7000
#define APINODE_MAX_NODE_BODY		(1024 * 1024)	/* a Node we read */
#define APINODE_MAX_LEASE_BODY		(64 * 1024)	/* a Lease we read */
#define APINODE_NOT_READY_REASON	"KubeletNotReady"
#define APINODE_MAX_MESSAGE		256	/* the NotReady message */

/* the conf's strings must outlive the reporter (they are env.conf's) */
void	 apinode_init(struct event_base *, const struct node_conf *);
/* API mode is on and its credentials are in: start */
void	 apinode_start(void);
/* the executor's facts (MSG_NODE_INFO), first or changed */
void	 apinode_facts(const struct node_facts *);
/*
 * Ready follows this: ok 0 makes the node NotReady with reason
 * KubeletNotReady and this message ("network plugin not ready: no CNI
 * configuration"); ok 1 Ready again.  A change is posted at once.
 */
void	 apinode_set_network_ready(int ok, const char *message);
/* the Node's uid in the API server, NULL until registered or adopted */
const char *apinode_uid(void);
/* called (once per registration) when the Node's uid becomes known */
void	 apinode_on_registered(void (*)(void));
/* some request got an answer: a renewal waiting out a failure goes now */
void	 apinode_server_answered(void);
/* do what is due; the timer calls it, so do the unit tests */
void	 apinode_run(void);

#endif
