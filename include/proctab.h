/*
 * The process table: one row per worker role, as procs[] in OpenBSD's
 * httpd and relayd.  agentd iterates it to spawn, supervise, connect and
 * report the workers (agentd/supervise.c, agentd/control.c); each worker
 * looks up its own row to sandbox itself (workers/sandbox.c).  Adding a
 * process is one row here, its role in include/msgcat.h and its file.
 */
#ifndef AGENTD_PROCTAB_H
#define AGENTD_PROCTAB_H

#include <stddef.h>
#include <stdint.h>

#include "msgcat.h"
#include "sandbox.h"

#define ROLEBIT(r)	(1u << (r))

/* whose uid a worker runs as */
enum proc_user {
	PROC_USER_ROOT = 0,	/* stays root (the executor drives runc) */
	PROC_USER_PRIVSEP,	/* config privsepUser */
	PROC_USER_REPORTER	/* config reporterUser: another uid */
};

/* row flags */
#define PROC_F_AUDIT_CHAN	0x01	/* gets the audit channel on fd 4 */
#define PROC_F_PING_EXEMPT	0x02	/* blocks in runtime calls: a missed
					   ping does not end it */
#define PROC_F_TEST_ONLY	0x04	/* test builds, AGENTD_TEST_ROLES */
#define PROC_F_API		0x08	/* in API mode: gets the credentials,
					   may ask for sockets to the API
					   server, runs under SANDBOX_API */

struct proc_desc {
	enum proc_role		 role;
	const char		*name;		/* logs, audit actor, status */
	const char		*exe;		/* in libexecDir */
	enum proc_user		 user;
	enum sandbox_profile	 seccomp;	/* workers/sandbox.c profiles */
	/*
	 * ROLEBITs of the workers this one sends to over a peer channel.
	 * agentd connects every pair where one sends to the other, and
	 * believes MSG_PEER_FAULT only from a receiver about its sender.
	 */
	uint32_t		 sends_to;
	uint32_t		 flags;
};

extern const struct proc_desc	 proc_table[];
extern const size_t		 proc_table_len;

#define PROC_FOREACH(p) \
	for ((p) = proc_table; (p) < proc_table + proc_table_len; (p)++)

/* the row of a worker role; NULL for the parent, agentctl or garbage */
const struct proc_desc	*proc_get(uint32_t role);
/* the row of the worker called name ("watcher"); NULL if none */
const struct proc_desc	*proc_by_name(const char *name);
/* may a worker of role a and one of role b have a peer channel */
int			 proc_peers(uint32_t a, uint32_t b);
/* does role `from` send to role `to` on a peer channel */
int			 proc_sends(uint32_t from, uint32_t to);

#endif
