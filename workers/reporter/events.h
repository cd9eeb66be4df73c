/*
 * `kubectl events`, a v1.EventList and `kubectl describe pod` as kubectl
 * prints them, from the reporter's events and a v1.Pod (podstatus.h).
 * Pure like podstatus.c: no I/O, the caller passes now_ns.  Every cell and
 * value printed has its control bytes escaped (\xNN): names and messages
 * may come from a hostile manifest or a runtime's stderr.  Returned
 * strings and trees are the caller's; NULL means out of memory.
 */
#ifndef AGENTD_REPORTER_EVENTS_H
#define AGENTD_REPORTER_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "evring.h"

#define EVTABLE_PADDING		3	/* kubectl's tabwriter padding */

/* sorts by last seen, oldest first, as kubectl does */
void	 events_sort(const struct pod_event **, size_t n);
/* LAST SEEN TYPE REASON OBJECT MESSAGE; header row optional */
char	*events_table(const struct pod_event *const *, size_t n,
	    int64_t now_ns, int header);
cJSON	*events_list_json(const struct pod_event *const *, size_t n,
	    const char *node);
/* the pod (podstatus_pod_json) and its events, as `kubectl describe` */
char	*events_describe_pod(const cJSON *pod,
	    const struct pod_event *const *, size_t n, int64_t now_ns);

#endif
