/*
 * The watcher's API-server client, the part that is pure code: what it
 * writes (the list and watch GETs, apireq.c), how long it waits before
 * trying again (apireq.c), and the decoders of what the server sends,
 * all untrusted bytes: the HTTP/1.1 response framing (apihttp.c, on
 * Debian's http-parser), the watch stream of one JSON event per line and
 * the PodList (apiwatch.c).  Every size is bounded; a refusal says what
 * and which limit.  Nothing here does I/O: the caller feeds the bytes it
 * read, in whatever pieces they came, and gets callbacks.
 *
 * Library-style: nothing is logged; the first problem found is kept in
 * the decoder's error[] and every later feed fails.
 */
#ifndef AGENTD_APIWATCH_H
#define AGENTD_APIWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "apihttp.h"
#include "manifest.h"
#include "pod.h"

/* ------------------------------------------------------------------ */
/* objects' metadata, Status (apiwatch.c)                              */

#define APIWATCH_RV_MAX		64	/* a resourceVersion (etcd: <= 20) */
#define APIWATCH_NAME_MAX	253
#define APIWATCH_NS_MAX		63
#define APIWATCH_UID_MAX	128
#define APISTATUS_REASON_MAX	63
#define APISTATUS_MESSAGE_MAX	255

/*
 * Who an object event is about, even when its Pod is refused: a DELETED
 * event must remove a pod whatever the model thought of it, a refused
 * pod of another node is none of ours.  A field too long or of the wrong
 * type is left "" (the Pod is refused for it).  The deletion fields are
 * not in the pod model: the watcher terminates a pod being deleted with
 * the smaller of its grace period and the deletion's.
 */
struct apiobj_meta {
	char	namespace[APIWATCH_NS_MAX + 1];
	char	name[APIWATCH_NAME_MAX + 1];
	char	uid[APIWATCH_UID_MAX + 1];
	char	resource_version[APIWATCH_RV_MAX + 1];
	char	node_name[APIWATCH_NAME_MAX + 1];	/* spec.nodeName */
	int	deleting;		/* metadata.deletionTimestamp set */
	int64_t	deletion_grace_seconds;	/* deletionGracePeriodSeconds, -1 */
	int	failed;			/* status.phase Failed */
};

/* a metav1.Status: the reply to a failed request, or an ERROR event */
struct apistatus {
	int	code;		/* HTTP status code it stands for, 0: none */
	char	reason[APISTATUS_REASON_MAX + 1];	/* "Expired", ... */
	char	message[APISTATUS_MESSAGE_MAX + 1];	/* cut to fit */
	int	relist;		/* 410 Gone / Expired: the rv is too old */
};

/* 0, or -1 with err set; a Status says relist as reflector.go does */
int	apistatus_decode(const uint8_t *, size_t, struct apistatus *,
	    char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* the watch stream (apiwatch.c)                                       */

#define APIWATCH_MAX_LINE	(2 * 1024 * 1024)	/* one event */

enum apiwatch_type {
	APIWATCH_ADDED = 1,
	APIWATCH_MODIFIED,
	APIWATCH_DELETED,
	APIWATCH_BOOKMARK,
	APIWATCH_ERROR
};

/*
 * One event.  ADDED/MODIFIED/DELETED: meta, and either pod_ok with pod
 * (the callback may keep it: copy the struct and pod_init(&ev->pod)) or
 * pod_err, the model's refusal.  BOOKMARK: meta.resource_version only.
 * ERROR: status (status.relist: list again).
 */
struct apiwatch_event {
	enum apiwatch_type	 type;
	unsigned long		 line;		/* 1 = the stream's first */
	struct apiobj_meta	 meta;
	int			 pod_ok;
	struct pod		 pod;
	struct manifest_error	 pod_err;
	struct apistatus	 status;
};

/* return -1 to stop the stream (the callback keeps its own reason) */
typedef int	(*apiwatch_event_fn)(void *arg, struct apiwatch_event *);

struct apiwatch {
	size_t			 max_line;
	apiwatch_event_fn	 fn;
	void			*arg;
	uint8_t			*line;		/* a line not yet ended */
	size_t			 len, cap;
	unsigned long		 lines;		/* lines ended so far */
	int			 failed;
	char			 error[APIWATCH_ERROR_MAX];
};

/* max_line 0: APIWATCH_MAX_LINE */
void	apiwatch_init(struct apiwatch *, size_t max_line, apiwatch_event_fn,
	    void *arg);
void	apiwatch_free(struct apiwatch *);
/* the body's bytes as they come (apihttp's stream callback) */
int	apiwatch_feed(struct apiwatch *, const uint8_t *, size_t);
/* the body ended: 0, or -1 if it ended inside an event (truncated) */
int	apiwatch_end(struct apiwatch *);
/* an apihttp_body_fn feeding the apiwatch passed as arg */
int	apiwatch_body(void *arg, const uint8_t *, size_t);

/* ------------------------------------------------------------------ */
/* the list (apiwatch.c)                                               */

#define APILIST_MAX_ITEMS	1024	/* pods in one reply (we ask 500) */
#define APILIST_CONTINUE_MAX	1024	/* metadata.continue, opaque */

struct apilist_item {
	struct apiobj_meta	 meta;
	int			 pod_ok;
	struct pod		 pod;
	struct manifest_error	 pod_err;
};

struct apilist {
	char			 resource_version[APIWATCH_RV_MAX + 1];
	char			 continue_token[APILIST_CONTINUE_MAX + 1];
	struct apilist_item	*items;
	size_t			 n_items;
};

/*
 * A PodList body of at most max_bytes (0: APIHTTP_MAX_LIST_BODY); 0, or
 * -1 with err set and *out empty.  An item whose Pod the model refuses
 * is kept with pod_ok 0 and the reason.
 */
int	apilist_decode(const uint8_t *, size_t, size_t max_bytes,
	    struct apilist *out, char *err, size_t errlen);
void	apilist_free(struct apilist *);

/* ------------------------------------------------------------------ */
/* requests and reconnecting (apireq.c)                                */

#define APIREQ_MAX_PATH		4096	/* the path with its query */
#define APIREQ_LIST_LIMIT	500	/* client-go's pager page size */

/* what selects the pods; the headers are apiclient.c's */
struct apireq {
	const char	*node;		/* spec.nodeName to select */
	const char	*resource_version;	/* NULL: none */
	const char	*continue_token;	/* list: the next page */
	unsigned	 timeout_seconds;	/* watch: server-side end */
};

/*
 * The request's path with its query, escaped (NUL-terminated, the caller
 * frees it), as apiclient_request() takes it; NULL with err set when an
 * input would not fit or could break the request line (a byte that is
 * not visible ASCII, a node that is no DNS name).
 */
char	*apireq_list(const struct apireq *, char *err, size_t errlen);
char	*apireq_watch(const struct apireq *, char *err, size_t errlen);

/* Go's url.QueryEscape into out (size includes the NUL); -1 if too long */
/* a message into a caller's buffer (nothing when errlen is 0) */
void	apierr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	apireq_query_escape(const char *, char *out, size_t size);

/*
 * client-go's reflector backoff (wait.NewExponentialBackoffManager(800ms,
 * 30s, 2min, 2.0, 1.0)): the base doubles from 800 ms up to 30 s; each
 * wait is the base plus a jitter of up to one base (factor 1.0), so
 * [base, 2 base), but never more than 30 s (the bound: client-go
 * would wait up to a minute); a wait asked for more than 2 minutes after the last
 * starts again from 800 ms, and so does one after apibackoff_reset()
 * (a watch that ran normally).
 */
#define APIBACKOFF_INITIAL_MS	800
#define APIBACKOFF_MAX_MS	30000
#define APIBACKOFF_RESET_MS	120000

struct apibackoff {
	uint64_t	base_ms;	/* 0: start from the initial */
	uint64_t	last_ms;	/* when the last wait was asked for */
};

void		apibackoff_reset(struct apibackoff *);
/* now_ms: a monotonic clock; rnd: uniform random bits (the jitter) */
uint64_t	apibackoff_next(struct apibackoff *, uint64_t now_ms,
		    uint32_t rnd);
/* timeoutSeconds for a watch, client-go's: uniform in [300, 600) */
unsigned	apiwatch_timeout_seconds(uint32_t rnd);

#endif
