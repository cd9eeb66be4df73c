/*
 * The watcher's pod sources and their merge.
 *
 * apisource.c is the API source: client-go's reflector for the pods bound
 * to this node (list in pages, then watch from the list's
 * resourceVersion; 410 Gone relists; a watch that ends normally goes on
 * from the last resourceVersion; errors wait apibackoff's 800 ms .. 30 s
 * with jitter), over the workers' API client (include/apiclient.h) and
 * the pure decoders of apiwatch.h.  It keeps the pods it was told of, by
 * uid, at most APISOURCE_MAX_PODS.
 *
 * podsnap.c merges the static pods (watcher.c's, already one per
 * namespace/name) and the API pods into the one desired set the executor
 * receives.  A set goes out paced, over many turns of the event loop, so
 * it is a snapshot: every pod in it is a reference (struct podref) that
 * stays valid while the sources go on changing; the next set carries
 * what changed meanwhile.
 */
#ifndef AGENTD_APISOURCE_H
#define AGENTD_APISOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "apiwatch.h"
#include "pod.h"

/* ------------------------------------------------------------------ */
/* a pod shared by a source and the sets in flight (podsnap.c)         */

struct podref {
	unsigned	refs;
	struct pod	pod;
};

/* takes *p (the caller's struct is emptied); NULL when out of memory */
struct podref	*podref_new(struct pod *p);
struct podref	*podref_hold(struct podref *);
void		 podref_drop(struct podref *);

/* ------------------------------------------------------------------ */
/* the API source (apisource.c)                                        */

#define APISOURCE_MAX_PODS	MANIFEST_MAX_FILES	/* as many as files */
/* the name a refused API pod goes to agentd under (MSG_MANIFEST_REJECT) */
#define APISOURCE_FILE_PREFIX	"api:"
/* a watch shorter than this with no events is a failed one (client-go) */
#define APISRC_SHORT_WATCH_MS	1000

struct apisource_pod {
	char		 uid[APIWATCH_UID_MAX + 1];
	char		 rv[APIWATCH_RV_MAX + 1];
	struct podref	*ref;		/* pod.source "api"; being deleted:
					   the smaller grace already in */
	int		 deleting;	/* metadata.deletionTimestamp */
	int		 sent;		/* in a set that went out whole */
	int		 term_sent;	/* deleting, in a set that went out
					   whole: left out from now on */
	int		 shadow_logged;	/* a static pod of its name wins */
	uint8_t		 digest[32];	/* SHA-256 of its podwire bytes */
};

/* what the source needs from the watcher; tests give their own */
struct apisource_hooks {
	void		(*changed)(void);	/* a new set is owed */
	/* a refused pod, as MSG_MANIFEST_REJECT carries it */
	void		(*reject)(const char *file, const char *field,
			    const char *reason);
	/* and its identity, for the reporter to mark it Failed (NULL:
	   not told) */
	void		(*refused)(const char *ns, const char *name,
			    const char *uid, const char *field,
			    const char *reason);
	uint64_t	(*now_ms)(void);	/* monotonic */
	uint32_t	(*random)(void);	/* jitter, watch timeouts */
	/* call apisource_timer() in ms milliseconds (replaces any earlier) */
	void		(*arm)(uint64_t ms);
};

/* the reflector's state, for the logs and the tests */
enum apisource_state {
	APISRC_OFF = 0,		/* API mode off, or not started */
	APISRC_LISTING,		/* a page of the list asked for */
	APISRC_WATCHING,	/* a watch open */
	APISRC_WAITING		/* backing off; the timer lists or watches */
};

/* API mode is on (the credentials are in): list, then watch */
int	apisource_start(const char *node, const struct apisource_hooks *);
void	apisource_stop(void);
void	apisource_timer(void);
/* API mode is on: a set must say whether the source has listed yet */
int	apisource_active(void);
/* a list has completed once (kubelet's sourcesReady for "api") */
int	apisource_synced(void);
/* API mode is configured (a kubeconfig): the source is owed before the
   credentials are even in */
void	apisource_expect(void);
/* a set must say PODSET_F_API_UNSYNCED: expected or on, not listed yet */
int	apisource_unsynced(void);
enum apisource_state apisource_state(void);
const char *apisource_rv(void);		/* the resourceVersion watched from */
uint64_t apisource_last_wait_ms(void);	/* the last backoff asked for */
size_t	apisource_count(void);
struct apisource_pod *apisource_pod(size_t);
struct apisource_pod *apisource_find(const char *uid);

/* ------------------------------------------------------------------ */
/* the merged set (podsnap.c)                                          */

struct podsnap_item {
	struct podref	*ref;
	int		 api;		/* from the API source */
	int		 deleting;	/* the pod's last spec, then gone */
	char		 file[MANIFEST_MAX_NAME + 1];	/* for a refusal */
};

struct podsnap {
	struct podsnap_item	 items[MAX_PODS];
	size_t			 n;
	int			 unsynced;	/* PODSET_F_API_UNSYNCED */
	int			 deleting;	/* some item is a last spec */
};

/* a static pod (already the first of its namespace/name), in order */
struct podsnap_static {
	struct podref	*ref;
	const char	*file;
};

/*
 * The static pods, then every API pod that is neither shadowed by a
 * static pod of its namespace/name (the static one wins, logged once) nor
 * of a uid already in, nor done terminating; at most MAX_PODS pods (the
 * executor's bound: the rest is logged, rate-limited).  A pod being
 * deleted goes in once, with its shortened grace, and only if an earlier
 * set had it: one this watcher never sent is not started to be stopped.
 */
void	podsnap_build(struct podsnap *, const struct podsnap_static *,
	    size_t nstatic);
/* the whole set went out: its API pods are sent; 1: another set is owed
   (a pod's last spec went out, the next set leaves it out) */
int	podsnap_sent(struct podsnap *);
void	podsnap_clear(struct podsnap *);

#endif
