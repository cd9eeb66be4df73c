/*
 * What every worker does the same way: refuse to run unless agentd started
 * it, read the configuration agentd handed over, open its channel to the
 * parent, answer PING and SHUTDOWN, and exit when the parent misbehaves.
 * Each worker's own file holds its dispatch tables and handlers.
 */
#ifndef AGENTD_WORKER_H
#define AGENTD_WORKER_H

#include <stddef.h>

#include "config.h"
#include "ipc.h"
#include "msgcat.h"
#include "msgschema.h"
#include "workerfd.h"

struct event_base;

struct worker_env {
	enum proc_role		 role;
	struct agentd_config	 conf;
	struct event_base	*base;
	struct ipc_chan		*parent;
	struct ipc_chan		*peers[ROLE_MAX];	/* other workers */
	int			 peer_sends[ROLE_MAX];	/* has a table */
#ifdef AGENTD_TEST_HOOKS
	/* hooks one worker implements itself (TEST_HOOK_* 50..59) */
	void			(*role_test_hook)(struct worker_env *,
				    uint32_t);
#endif
};

extern struct worker_env *wenv;

/* before the sandbox: checks, config, log, event base, parent channel */
void	worker_init(struct worker_env *, enum proc_role,
	    const struct ipc_dispatch *, size_t);
/* after the sandbox: say HELLO and run the loop; returns at SHUTDOWN */
void	worker_run(struct worker_env *);

/* handlers every worker lists in its parent table */
int	worker_ping(struct ipc_chan *, struct ipc_msg *, void *);
int	worker_shutdown(struct ipc_chan *, struct ipc_msg *, void *);
int	worker_test_hook(struct ipc_chan *, struct ipc_msg *, void *);

/*
 * A peer channel misbehaved: drop it and ask agentd to end that peer, if
 * the peer is one that sends to us (agentd believes nothing else: it ends
 * a worker that accuses a peer it cannot know about).
 */
void	worker_peer_fault(struct worker_env *, enum proc_role, const char *);
/* replace the channel to a peer (after MSG_PEER_CONNECT) */
struct ipc_chan *worker_peer_attach(struct worker_env *, enum proc_role,
	    int fd, const struct ipc_dispatch *, size_t);
/*
 * The peers a worker accepts from agentd (MSG_PEER_CONNECT): the table for
 * what each sends, and what to do once its channel is in place.
 */
struct worker_peer {
	enum proc_role			 role;
	const struct ipc_dispatch	*tab;
	size_t				 ntab;
	void				(*attached)(void);
};
/* the MSG_PEER_CONNECT handler's body: a role not listed is a fault */
int	worker_peer_accept(struct worker_env *, struct ipc_msg *,
	    const struct worker_peer *, size_t);
/* text replies to agentd for a request id: chunks then an end */
int	worker_reply_text(struct worker_env *, uint32_t id, const char *);
int	worker_reply_end(struct worker_env *, uint32_t id, uint32_t status,
	    const char *error);

#ifdef AGENTD_TEST_HOOKS
#define WORKER_TEST_HOOK_ROW \
	{ MSG_TEST_HOOK, 0, IPC_F_ANYSTATE, worker_test_hook },
#else
#define WORKER_TEST_HOOK_ROW
#endif

#endif
