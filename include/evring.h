/*
 * Pod events as the kubelet records them, aggregated as the API server's
 * event correlator does (same object, type, reason and message: count++,
 * lastTimestamp moves), kept in a bounded ring; and the rate limiter that
 * keeps a crash loop from flooding agentd's log.
 *
 * The executor and agentd each keep a ring of the events they record and
 * resend it whole to a (re)connected reporter, which keeps the union:
 * events are level-triggered like pod status, so a reporter restart loses
 * none.  MSG_POD_EVENT carries one aggregated event (evring_put/get).
 */
#ifndef AGENTD_EVRING_H
#define AGENTD_EVRING_H

#include <stddef.h>
#include <stdint.h>

#include "pod.h"

struct ipc_msg;

#define EVRING_MAX		512	/* aggregated events kept per process */
#define EVENT_MAX_KIND		16	/* "Pod", "Manifest" */
#define EVENT_MAX_NAME		256	/* a pod name or a manifest file name */
#define EVENT_MAX_REASON	64
#define EVENT_MAX_MESSAGE	1024

#define EVENT_NORMAL		0
#define EVENT_WARNING		1

struct pod_event {
	char		 kind[EVENT_MAX_KIND];
	char		 namespace[POD_MAX_NAME + 1];	/* "" for a manifest */
	char		 name[EVENT_MAX_NAME];
	char		 uid[POD_MAX_UID + 1];
	uint8_t		 type;		/* EVENT_NORMAL, EVENT_WARNING */
	char		 reason[EVENT_MAX_REASON];
	char		 message[EVENT_MAX_MESSAGE];
	uint32_t	 count;
	int64_t		 first_ns;	/* unix ns */
	int64_t		 last_ns;
	int64_t		 seen_ns;	/* the reporter's: last changed */
};

struct evring {
	struct pod_event ev[EVRING_MAX];
	size_t		 n;
};

/*
 * Record one occurrence at now_ns: an event with the same key counts up,
 * a new one is added; when the ring is full the one seen longest ago
 * makes room.  Strings are truncated to their bounds.  Returns the entry.
 */
struct pod_event *evring_record(struct evring *, const char *kind,
	    const char *ns, const char *name, const char *uid, int type,
	    const char *reason, const char *message, int64_t now_ns);
/*
 * Store an already aggregated event (the reporter's side): same key
 * replaces count and times.  Returns 1 if the entry changed, 0 if it was
 * already known as is.
 */
int	 evring_merge(struct evring *, const struct pod_event *, int64_t now_ns);
const char *evring_type_name(int type);	/* "Normal", "Warning" */
/* copy with control bytes (< 0x20, 0x7f) as \xNN; truncates to len */
void	 evring_escape(const char *in, char *out, size_t len);

/* MSG_POD_EVENT: str kind, ns, name, uid, u32 type, str reason, message,
   u32 count, i64 first, i64 last */
void	 evring_put(struct ipc_msg *, const struct pod_event *);
int	 evring_get(struct ipc_msg *, struct pod_event *);

/*
 * Log rate limiting per key (a pod and a reason): the first occurrence is
 * logged at once, later ones at most once per LOGRL_INTERVAL_S with the
 * number suppressed meanwhile.  LOGRL_MAX_KEYS keys are tracked; a new key
 * beyond that replaces the one logged longest ago.
 */
#define LOGRL_INTERVAL_S	300
#define LOGRL_MAX_KEYS		256
#define LOGRL_MAX_KEY		(POD_MAX_NAME * 2 + EVENT_MAX_REASON + 8)

struct logrl_entry {
	char		 key[LOGRL_MAX_KEY];
	int64_t		 logged_ns;
	uint32_t	 suppressed;
};

struct logrl {
	struct logrl_entry e[LOGRL_MAX_KEYS];
	size_t		 n;
};

/*
 * 1: log now, and *repeated is how many occurrences were suppressed
 * since the last line (0 for a first occurrence); 0: stay silent.
 */
int	 logrl_check(struct logrl *, const char *key, int64_t now_ns,
	    uint32_t *repeated);
/* log_warnx() through the limiter, " (repeated K times)" appended */
void	 logrl_warnx(struct logrl *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
