/*
 * What the reporter's status rules (podstatus.c), its JSON (podjson.c)
 * and its table printer (podprint.c) share: the view of one pod (its spec
 * containers matched to what the executor reported), the list order, and
 * the cJSON helpers.  Internal to workers/reporter; podstatus.h is the
 * interface.
 */
#ifndef AGENTD_REPORTER_PODVIEW_H
#define AGENTD_REPORTER_PODVIEW_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "pod.h"

#define NS_PER_SEC		1000000000LL

#define PHASE_PENDING		"Pending"
#define PHASE_RUNNING		"Running"
#define PHASE_SUCCEEDED		"Succeeded"
#define PHASE_FAILED		"Failed"
/* our pod-level reason when the report gives none */
#define REASON_DENIED		"NodePolicyDenied"

/* one spec container and what the executor saw of it (NULL: nothing) */
struct cview {
	const struct container_spec	*spec;
	const struct container_report	*rep;
	int				 in_init_pod;	/* the pod has init
							   containers */
	int				 is_init;	/* one of them */
};

struct pview {
	const struct pod	*pod;
	const struct pod_report	*rep;
	struct cview		 c[POD_MAX_CONTAINERS];	/* spec order */
	uint32_t		 byname[POD_MAX_CONTAINERS];
	uint32_t		 n;
	int			 denied;
	const char		*phase;
	int64_t			 now_ns;	/* of this rendering */
	/* spec.initContainers, in spec order (their statuses are too) */
	struct cview		 ic[POD_MAX_CONTAINERS];
	uint32_t		 n_init;
	int			 initialized;	/* the Initialized condition */
};

static inline const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static inline int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/* podstatus.c: the view and the status rules */
void		 pview_init(struct pview *, const struct pod *,
		    const struct pod_report *, int64_t now_ns);
int		 cv_state(const struct cview *);
int		 cv_ready(const struct cview *);
const char	*cv_waiting_reason(const struct cview *);
int64_t		 pv_start_time(const struct pview *);
int		 pv_terminating(const struct pview *);
int		 pv_is_ready(const struct pview *);
int		 cv_is_sidecar(const struct cview *);
int		 cv_started(const struct cview *);
cJSON		*status_json(const struct pview *);

/* podjson.c: the list order, shared by the PodList and the table */
struct podlist_entry {
	const struct pod	*pod;
	const struct pod_report	*rep;
	size_t			 idx;
};
struct podlist_entry *podlist_sorted(const struct pod *const *,
		    const struct pod_report *const *, size_t n);

/* podjson.c: bytes as the API canonicalizes a memory quantity ("512Mi") */
void		 pj_mem_quantity(int64_t bytes, char *buf, size_t len);

/* podjson.c: cJSON helpers, -1 on allocation failure */
int	pj_add_str(cJSON *, const char *, const char *);	/* NULL: "" */
int	pj_add_str_opt(cJSON *, const char *, const char *);	/* omitempty */
int	pj_add_num(cJSON *, const char *, double);
int	pj_add_bool(cJSON *, const char *, int);
int	pj_add_time(cJSON *, const char *, int64_t ns);	/* unset: null */
int	pj_add_item(cJSON *, const char *, cJSON *);	/* takes item */
int	pj_append_item(cJSON *, cJSON *);		/* takes item */

#endif
