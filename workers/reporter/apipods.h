/*
 * API mode: the status of the node's pods in the API server, as the
 * kubelet's status manager (pkg/kubelet/status/status_manager.go) and
 * mirror client (pkg/kubelet/pod/mirror_client.go) keep it (apipods.c).
 *
 *  - An API pod (source "api"): PATCH .../pods/NAME/status with the
 *    strategic merge patch from the last status the server acknowledged to
 *    the latest (podpatch.c), the pod's uid as precondition; never an
 *    empty patch; one request per pod at a time, the latest state sent
 *    when it is done (bursts coalesce); a failure is retried with backoff
 *    and keeps the latest state; 404 ends the pod's reporting.
 *  - A static pod (source "file:..."): a mirror pod is created once the
 *    Node is registered (annotation kubernetes.io/config.mirror = the
 *    config.hash, a controller ownerReference to the Node), its status
 *    patched the same way with the mirror's uid; a mirror of another
 *    hash is deleted and created again.
 *  - A pod the executor removed (apipods_gone): its last status goes out,
 *    then DELETE with gracePeriodSeconds 0 and the uid as precondition
 *    (the status manager's final delete; for a static pod its mirror's).
 */
#ifndef AGENTD_REPORTER_APIPODS_H
#define AGENTD_REPORTER_APIPODS_H

#include <stddef.h>

#include "pod.h"

struct event_base;

/* the pods tracked: the executor's and those of them gone, not deleted */
#define APIPODS_MAX_TRACKED	(2 * MAX_PODS)
#define APIPODS_MAX_INFLIGHT	4	/* requests queued on the connection:
				   one running, the next ready; more would
				   freeze older states in the queue */
#define APIPODS_MAX_BODY	(1536 * 1024)	/* a request (etcd's limit) */
#define APIPODS_MAX_RESPONSE	(4 * 1024 * 1024)	/* a pod we read */
#define APIPODS_MIN_BACKOFF_MS	500
#define APIPODS_MAX_BACKOFF_MS	30000
#define APIPODS_MIRROR_ANNOT	"kubernetes.io/config.mirror"
#define APIPODS_HASH_ANNOT	"kubernetes.io/config.hash"

/* node: the node's name (env.conf's: it must outlive the reporter) */
void	 apipods_init(struct event_base *, const char *node);
/* API mode is on and its credentials are in: start */
void	 apipods_start(void);
/* the pod's latest state (its spec and the executor's report) */
void	 apipods_status(const struct pod *, const struct pod_report *);
/* the executor removed the pod: its final status, then the delete */
void	 apipods_gone(const struct pod *);
/* an API pod the watcher refused: PATCH its status to Failed, once */
#define APIPODS_REFUSED_REASON	"UnsupportedPodSpec"
#define APIPODS_REFUSED_MESSAGE_MAX	1024
void	 apipods_refused(const char *ns, const char *name, const char *uid,
	    const char *field, const char *reason);
/* the Node's uid is known: mirror pods can be created */
void	 apipods_node_registered(void);
/* some request got an answer: retries waiting out an unreachable server
   go now */
void	 apipods_server_answered(void);
/* pods tracked, requests out (tests, status) */
size_t	 apipods_tracked(void);
size_t	 apipods_inflight(void);
/* do what is due; the timer calls it, so do the unit tests */
void	 apipods_run(void);

#endif
