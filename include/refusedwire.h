/*
 * MSG_API_POD_REFUSED's payload (include/msgcat.h): an API pod the
 * watcher refused, as the watcher sends it to agentd and agentd forwards
 * it to the reporter.  One encoder and one decoder, so that the two hops
 * cannot disagree on its layout or bounds.
 */
#ifndef AGENTD_REFUSEDWIRE_H
#define AGENTD_REFUSEDWIRE_H

#include "msgschema.h"

struct ipc_msg;

struct pod_refused {
	char	ns[MSGB_EVENT_NAMESPACE + 1];
	char	name[MSGB_EVENT_NAME + 1];
	char	uid[MSGB_POD_UID + 1];
	char	field[MSGB_REJECT_FIELD + 1];	/* the field path */
	char	reason[MSGB_REJECT_REASON + 1];
};

/* a new MSG_API_POD_REFUSED message in m holding r */
void	refusedwire_put(struct ipc_msg *m, const struct pod_refused *r);
/* 0, or -1 if the payload breaks a bound or has bytes left over */
int	refusedwire_get(struct ipc_msg *m, struct pod_refused *r);

#endif
