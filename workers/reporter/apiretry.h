/*
 * What the reporter's API work (apinode.c: Node and Lease; apipods.c: pod
 * status, mirror pods, the final delete) shares: the clocks it reads
 * (replaceable so that the unit tests can move time), retry with
 * exponential backoff, the rate-limited log, and the pieces of a response
 * it reads.  Requests go out through include/apiclient.h.
 */
#ifndef AGENTD_REPORTER_APIRETRY_H
#define AGENTD_REPORTER_APIRETRY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "evring.h"

struct apiclient;
struct apiresp;
struct event;
struct event_base;

/* a Retry-After longer than this is taken as this */
#define APIRETRY_MAX_RETRY_AFTER_MS	(60 * 1000)
#define APIRETRY_JITTER_PCT		20	/* added to each wait, at most */
/* "2026-12-04T18:15:31.123456Z" (metav1.MicroTime) + NUL */
#define APITIME_MICRO_LEN		28

/* monotonic milliseconds (scheduling) and the wall clock (timestamps) */
extern int64_t	(*apiclock_mono_ms)(void);
extern int64_t	(*apiclock_wall_ns)(void);

/* one failing thing's retry state */
struct apiretry {
	int64_t		 delay_ms;	/* the last wait, 0: not failing */
	int64_t		 due_ms;	/* not before this (mono) */
	int		 last_status;	/* of the last failure (0: none) */
	uint32_t	 failures;	/* in a row */
};

/*
 * A failure: the wait doubles from min_ms up to max_ms, plus jitter; a
 * Retry-After (seconds, -1: none) longer than that wait is honoured.
 */
void	 apiretry_fail(struct apiretry *, const struct apiresp *,
	    int64_t min_ms, int64_t max_ms);
void	 apiretry_ok(struct apiretry *);
/* 1 if it may go now */
int	 apiretry_due(const struct apiretry *, int64_t now_ms);
/*
 * The server answered something else: a wait that follows a failure to
 * reach it (status 0) ends now.  1 if it did.
 */
int	 apiretry_answered(struct apiretry *, int64_t now_ms);

/* what a failure was, for a log line: "HTTP 503" or the client's error */
const char *apiresp_why(const struct apiresp *, char *buf, size_t len);
/*
 * The same and, where the server said one, its Status message (at most
 * 200 bytes): "HTTP 409: the object has been modified"; "not sent" for
 * a request that never went out (NULL).
 */
const char *apiresp_reason(const struct apiresp *, char *buf, size_t len);
/* a 2xx */
int	 apiresp_ok(const struct apiresp *);
/* the body as JSON, NULL if there is none or it is not JSON */
cJSON	*apiresp_json(const struct apiresp *);
/* obj.a.b as a string, NULL if absent or not a string (b may be NULL) */
const char *apijson_str(const cJSON *, const char *a, const char *b);

/* o[k] = v, replaced or added; takes v (NULL: -1), also on failure */
int	 apijson_set(cJSON *o, const char *k, cJSON *v);

/*
 * ownerReferences naming the Node (name, uid), as its controller or not;
 * NULL if out of memory
 */
cJSON	*apijson_node_owner(const char *name, const char *uid, int controller);

/*
 * A request through cl with a text body (NULL: none, and no content
 * type); -1 as apiclient_request.  In apisend.c (it needs the client).
 */
int	 apireq_text(struct apiclient *cl, const char *method, const char *path,
	    const char *ctype, const char *body, size_t max_body,
	    void (*done)(void *, const struct apiresp *), void *arg);

/* RFC 3339 with microseconds, UTC; -1 if ns <= 0 */
int	 apitime_micro(int64_t ns, char *buf, size_t len);

/*
 * The timer of one API loop (apinode_run, apipods_run): kick runs it as
 * soon as the event loop is back, at when a monotonic time comes (now if
 * it has passed).  fatalx if there is none.
 */
struct event	*apitimer_new(struct event_base *, void (*run)(void),
		    const char *who);
void		 apitimer_kick(struct event *);
void		 apitimer_at(struct event *, int64_t now_ms, int64_t at_ms);

/* one limiter for every API failure line of the reporter */
extern struct logrl	 apilog;

#endif
