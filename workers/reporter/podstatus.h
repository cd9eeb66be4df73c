/*
 * PodStatus as the kubelet computes it (podstatus.c), the v1.Pod and
 * v1.PodList JSON (podjson.c) and `kubectl get pods` as kubectl prints it
 * (podprint.c), from the pod spec and the executor's observed state.  Pure:
 * no I/O, no clock (the caller passes now_ns), deterministic output.
 * Every cJSON tree and string returned is the caller's to free; NULL
 * means out of memory.  A NULL report means nothing observed yet.
 */
#ifndef AGENTD_REPORTER_PODSTATUS_H
#define AGENTD_REPORTER_PODSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct pod;
struct pod_report;

#define PODSTATUS_TIME_LEN	21	/* "2026-11-28T07:33:42Z" + NUL */
#define PODSTATUS_DURATION_LEN	32	/* "<invalid>", "2d3h", "3y12d" */

/* a v1.Pod: apiVersion, kind, metadata, spec, status */
cJSON	*podstatus_pod_json(const struct pod *, const struct pod_report *,
	    int64_t now_ns);
/* the v1.PodStatus object alone */
cJSON	*podstatus_status_json(const struct pod *, const struct pod_report *,
	    int64_t now_ns);
/* a v1.PodList, items in podstatus_cmp order */
cJSON	*podstatus_podlist_json(const struct pod *const *,
	    const struct pod_report *const *, size_t n, int64_t now_ns);
/*
 * The order of lists and of the table: namespace, name, then (two pods
 * of one name: an old one terminating and its replacement) the pod that
 * is not terminating first, the newer first.  NULL reports allowed.
 */
int	 podstatus_cmp(const struct pod *, const struct pod_report *,
	    const struct pod *, const struct pod_report *);
/* "Pending", "Running", "Succeeded" or "Failed" */
const char *podstatus_phase(const struct pod *, const struct pod_report *);
/*
 * A report arrived (podtable): the times its conditions changed, for
 * their lastTransitionTime; forget when the pod is gone.
 */
void	 podstatus_track(const struct pod *, const struct pod_report *,
	    int64_t now_ns);
void	 podstatus_forget(const char *uid);
/* "Guaranteed", "Burstable" or "BestEffort" (GetPodQOS) */
const char *podstatus_qos_class(const struct pod *);
/*
 * `kubectl get pods -A`: header NAMESPACE NAME READY STATUS RESTARTS AGE
 * and one row per pod in podstatus_cmp order, columns padded as
 * kubectl's tabwriter does; malloc'd.
 */
char	*podstatus_table(const struct pod *const *,
	    const struct pod_report *const *, size_t n, int64_t now_ns);
/* `kubectl get pods -A -o wide`: the same and IP, NODE ("<none>": unset) */
char	*podstatus_table_wide(const struct pod *const *,
	    const struct pod_report *const *, size_t n, int64_t now_ns);
/*
 * Any table laid out as kubectl's tabwriter does (`kubectl get nodes`):
 * nrows rows of ncols cells (at most 8), row by row, the header first;
 * malloc'd, NULL if out of memory or ncols is out of range.
 */
char	*podstatus_cells_table(const char *const *cells, size_t nrows,
	    int ncols);

/* RFC 3339 UTC, seconds ("2026-11-28T07:33:42Z"); -1 if ns <= 0 (unset)
 * or buf is too small */
int	 podstatus_rfc3339(int64_t ns, char *buf, size_t len);
/* apimachinery's duration.HumanDuration: "5s", "3m2s", "2d3h", "0s" for
 * -1s..0, "<invalid>" below */
void	 podstatus_human_duration(int64_t d_ns, char *buf, size_t len);

#endif
