/*
 * agentctl logs: the CRI log files of a container
 * (podLogsDir/NS_POD_UID/CONTAINER/RUN.log, rotated ones beside it as
 * RUN.log.TS and RUN.log.TS.gz), read the way kubectl logs shows them.
 */
#ifndef AGENTD_AGENTCTL_LOGS_H
#define AGENTD_AGENTCTL_LOGS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "pod.h"

struct logs_opts {
	const char	*pod_logs_dir;
	char		 ns[POD_MAX_NAMESPACE + 1];
	char		 pod[POD_MAX_NAME + 1];
	char		 container[POD_MAX_LABEL + 1];	/* "": the only one */
	int		 previous;
	int		 follow;
	int		 timestamps;
	long long	 tail;		/* -1: everything */
	int64_t		 since_ns;	/* 0: no bound; else the epoch time */
	/*
	 * The pod's v1.Pod JSON from agentd, NULL when agentd cannot say
	 * (not running, or no such pod: *gone set then).  Freed by the
	 * caller.
	 */
	cJSON		*(*pod_status)(const char *nsname, int *gone);
};

/* 0, or exits with the reason */
int	logs_run(const struct logs_opts *);

#endif
