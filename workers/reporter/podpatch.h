/*
 * The body of the kubelet's pod status PATCH (podpatch.c):
 * PATCH /api/v1/namespaces/NS/pods/NAME/status with Content-Type
 * application/strategic-merge-patch+json, as statusutil.PatchPodStatus
 * (kubernetes pkg/util/pod/pod.go) builds it: the two-way strategic merge
 * patch from v1.Pod{status: old} to v1.Pod{metadata: {uid}, status: new},
 * so the uid travels as a precondition.  Pure: no I/O.  The result is the
 * caller's to cJSON_Delete; NULL means out of memory or a merge-key list
 * element without its string key.
 */
#ifndef AGENTD_REPORTER_PODPATCH_H
#define AGENTD_REPORTER_PODPATCH_H

#include <cjson/cJSON.h>

/* old_status NULL: the pod's first status (the API server's is empty) */
cJSON	*podpatch_status(const cJSON *old_status, const cJSON *new_status,
	    const char *uid);
/*
 * 1 if the patch is {"metadata":{"uid":...}} alone: the status did not
 * change and the kubelet sends no PATCH (status_manager.go syncPod).
 */
int	 podpatch_is_empty(const cJSON *patch);

#endif
