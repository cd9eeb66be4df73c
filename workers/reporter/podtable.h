/*
 * The reporter's pods, keyed by uid alone: when a pod is replaced (a
 * static pod's manifest changed, so its uid did), the old pod that is
 * still terminating and the new one that is starting have the same
 * namespace/name and are two entries, as the kubelet shows both until the
 * old one is gone.  The executor fills the table with MSG_POD_DESIRED
 * (the spec), MSG_POD_STATUS (uid and observed state) and MSG_POD_GONE
 * (uid); the decoders here enforce the bounds, and -1 is a protocol error
 * of the executor.
 */
#ifndef AGENTD_REPORTER_PODTABLE_H
#define AGENTD_REPORTER_PODTABLE_H

#include <stddef.h>

#include "pod.h"

struct ipc_msg;

struct pod_entry {
	struct pod		 spec;
	struct pod_report	 report;
	int			 has_report;	/* a status has arrived */
	int			 stale;		/* not resent since reconnect */
	size_t			 spec_len;	/* its POD_DESIRED payload */
	size_t			 report_len;	/* its last POD_STATUS payload */
};

struct podtable {
	struct pod_entry	*e[MAX_PODS];
	size_t			 n;
};

#define PODTABLE_DROPPED	1	/* podtable_status: no spec for it */

/*
 * A spec, new or replacing that uid's (its last report is kept until
 * the status that follows).  A full table makes room by dropping a stale
 * entry; -1 if there is none, or on a malformed message.
 */
int	 podtable_desired(struct podtable *, struct ipc_msg *);
/*
 * A status: 0 stored, PODTABLE_DROPPED if the uid has no spec here (the
 * uid is copied to uid, at least POD_MAX_UID + 1 bytes), -1 malformed.
 */
int	 podtable_status(struct podtable *, struct ipc_msg *, char *uid);
/* removes exactly that uid (unknown: nothing); -1 malformed */
int	 podtable_gone(struct podtable *, struct ipc_msg *);
void	 podtable_mark_stale(struct podtable *);
/* drops what was not resent since podtable_mark_stale; how many */
size_t	 podtable_sweep_stale(struct podtable *);
void	 podtable_clear(struct podtable *);

struct pod_entry *podtable_find_uid(const struct podtable *, const char *);
/*
 * The pods named ns/name, the current one first: those not terminating
 * before those that are, newer (start time) before older.  Fills at most
 * max entries; returns how many there are.
 */
size_t	 podtable_find_name(const struct podtable *, const char *ns,
	    const char *name, struct pod_entry **out, size_t max);
/* a report or NULL (nothing observed yet), as podstatus takes it */
const struct pod_report *podtable_report(const struct pod_entry *);
int	 podtable_terminating(const struct pod_entry *);

#endif
