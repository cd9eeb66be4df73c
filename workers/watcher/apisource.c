/*
 * The API source: client-go's reflector (tools/cache/reflector.go) for
 * the pods bound to this node, as the kubelet's config.NewSourceApiserver
 * runs it.
 *
 *	list	GET /api/v1/pods?fieldSelector=spec.nodeName=NODE&limit=500,
 *		page after page (continue), replacing the whole table when
 *		the last page is in; its resourceVersion is the watch's.
 *	watch	...&allowWatchBookmarks=true&resourceVersion=RV&
 *		timeoutSeconds=[300,600)&watch=true: ADDED and MODIFIED
 *		upsert by uid, DELETED removes, BOOKMARK moves the version.
 *	410	Gone, as the HTTP status or an ERROR event (reason Expired):
 *		the version is too old, list again.
 *	end	the server ended the watch at its timeout: watch again from
 *		the last version, the backoff reset.
 *	errors	anything else: wait apibackoff's 800 ms doubling to 30 s with
 *		jitter (Retry-After when longer), then watch again from the
 *		last version (or list, when no list has completed, or when the
 *		stream could not be read: a list may get past what the watch
 *		cannot say).
 *
 * One apiclient connection carries the list and the watch in turn.  The
 * table is bounded (APISOURCE_MAX_PODS); a pod the model refuses is
 * reported to agentd once per uid and resourceVersion and not run (it is
 * to be reported Failed on the pod: not done here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "apiclient.h"
#include "apisource.h"
#include "apiwatch.h"
#include "evring.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"
#include "pod.h"

/* what ended a watch, as the stream callbacks saw it */
enum watch_stop {
	STOP_NONE = 0,
	STOP_RELIST,		/* an ERROR event: 410 / Expired */
	STOP_ERROR,		/* an ERROR event of another kind */
	STOP_UNREADABLE		/* the stream failed to decode */
};

/* what the timer does when the wait is over */
enum next_step { NEXT_LIST = 0, NEXT_WATCH };

struct table {
	struct apisource_pod	*pods[APISOURCE_MAX_PODS];
	size_t			 n;
};

static struct {
	const struct apisource_hooks *h;
	struct apiclient	*client;
	char			 node[POD_MAX_NAME + 1];
	enum apisource_state	 state;
	int			 synced;
	int			 expected;	/* configured: API mode to come */
	char			 rv[APIWATCH_RV_MAX + 1];
	struct table		 t;		/* the pods */
	/* a list under way: its pages so far */
	struct table		 next;
	char			 cont[APILIST_CONTINUE_MAX + 1];
	int			 list_full_logged;
	/* the watch */
	struct apiwatch		 w;
	int			 w_open;
	enum watch_stop		 stop;
	char			 stop_why[APIWATCH_ERROR_MAX];
	unsigned		 w_events;	/* events of this watch */
	uint64_t		 w_opened_ms;	/* when it was asked for */
	unsigned		 gone_in_a_row;	/* 410s with no event between */
	struct apibackoff	 backoff;
	uint64_t		 last_wait_ms;
	enum next_step		 then;
	int			 changed;	/* within one callback */
	struct logrl		 refusals;
} S;

static void	list_page(void);
static void	watch_open(void);

/* ------------------------------------------------------------------ */
/* the table                                                           */

static struct apisource_pod *
table_find(struct table *t, const char *uid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->pods[i]->uid, uid) == 0)
			return t->pods[i];
	return NULL;
}

static void
entry_free(struct apisource_pod *e)
{
	podref_drop(e->ref);
	free(e);
}

static void
table_clear(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		entry_free(t->pods[i]);
	t->n = 0;
}

static int
table_remove(struct table *t, const char *uid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->pods[i]->uid, uid) == 0) {
			entry_free(t->pods[i]);
			/* order is the set's order: keep it */
			memmove(&t->pods[i], &t->pods[i + 1],
			    (t->n - i - 1) * sizeof(t->pods[0]));
			t->n--;
			return 1;
		}
	return 0;
}

/* "ns/name" for a log line, whatever bytes a refused object held */
static void
who(const struct apiobj_meta *m, char *out, size_t size)
{
	char ns[STR_ESCAPE_MAX(APIWATCH_NS_MAX)];
	char name[STR_ESCAPE_MAX(APIWATCH_NAME_MAX)];

	str_escape_ctl(ns, sizeof(ns), m->namespace[0] ? m->namespace : "?");
	str_escape_ctl(name, sizeof(name), m->name[0] ? m->name : "?");
	snprintf(out, size, "%s/%s", ns, name);
}

/* once per uid and version (rate-limited beyond): agentd audits it */
static void
refuse(const struct apiobj_meta *m, const char *field, const char *reason)
{
	char key[LOGRL_MAX_KEY], name[STR_ESCAPE_MAX(APIWATCH_NAME_MAX) * 2];
	char file[MANIFEST_MAX_NAME + 1], uid[STR_ESCAPE_MAX(APIWATCH_UID_MAX)];
	uint32_t repeated;

	who(m, name, sizeof(name));
	str_escape_ctl(uid, sizeof(uid), m->uid);
	/* keys and names are cut at their bounds: that is fine */
	if (snprintf(key, sizeof(key), "%s@%s:%s", m->uid[0] ? uid : name,
	    m->resource_version, field) < 0)
		return;
	if (!logrl_check(&S.refusals, key, pod_now_ns(), &repeated))
		return;
	log_warnx("API pod %s (uid %s, resourceVersion %s) refused: %s%s%s",
	    name, uid[0] ? uid : "?", m->resource_version[0] ?
	    m->resource_version : "?", field, field[0] ? ": " : "", reason);
	/* cut to the message's bound: the name is for people */
	if (snprintf(file, sizeof(file), APISOURCE_FILE_PREFIX "%s",
	    name) < 0)
		return;
	S.h->reject(file, field, reason);
	/* once per uid and resourceVersion (the limiter's key): a pod
	   without a uid cannot be patched, nor a name beyond a pod's */
	if (S.h->refused != NULL && m->uid[0] != '\0' &&
	    strlen(m->uid) <= MSGB_POD_UID &&
	    strlen(m->namespace) <= MSGB_EVENT_NAMESPACE &&
	    strlen(m->name) <= MSGB_EVENT_NAME)
		S.h->refused(m->namespace, m->name, m->uid, field, reason);
}

/* what the executor would be told: the podwire bytes (0s if too large) */
static void
spec_digest(const struct pod *p, uint8_t digest[SHA256_DIGEST_LENGTH])
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_POD_SPEC, 0);
	if (podwire_put_pod(&m, p) == 0)
		SHA256(m.data, m.len, digest);
	else
		memset(digest, 0, SHA256_DIGEST_LENGTH);
	ipc_msg_free(&m);
}

static void
grace_shorten(struct pod *p, const struct apiobj_meta *m)
{
	/* the API server's deletion grace is the pod's or the request's */
	if (m->deleting && m->deletion_grace_seconds >= 0 &&
	    m->deletion_grace_seconds < p->termination_grace_seconds)
		p->termination_grace_seconds = m->deletion_grace_seconds;
}

/*
 * A pod the model accepted, into t; 1 if the table changed.  The pod is
 * taken (emptied) when it goes in; what is left the caller frees.  old
 * carries the flags of a pod the table held before a relist.
 */
static int
upsert(struct table *t, const struct table *old,
    const struct apiobj_meta *m, struct pod *p)
{
	struct apisource_pod *e, *was;
	struct podref *r;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	char why[64];

	grace_shorten(p, m);
	if ((e = table_find(t, p->uid)) == NULL) {
		if (t->n >= APISOURCE_MAX_PODS) {
			snprintf(why, sizeof(why), "more than %d pods from "
			    "the API server for this node", APISOURCE_MAX_PODS);
			refuse(m, "metadata", why);
			return 0;
		}
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			log_warnx("API pod: out of memory");
			return 0;
		}
		snprintf(e->uid, sizeof(e->uid), "%s", p->uid);
		if (old != NULL && (was = table_find((struct table *)old,
		    p->uid)) != NULL) {
			e->sent = was->sent;
			e->term_sent = was->term_sent;
			e->shadow_logged = was->shadow_logged;
		}
		t->pods[t->n++] = e;
	}
	snprintf(e->rv, sizeof(e->rv), "%s", m->resource_version);
	/* most MODIFIED events are the pod's status: no new set for them */
	spec_digest(p, digest);
	if (e->ref != NULL && e->deleting == m->deleting &&
	    memcmp(digest, e->digest, sizeof(digest)) == 0)
		return 0;
	if ((r = podref_new(p)) == NULL) {
		log_warnx("API pod %s: out of memory", e->uid);
		return 0;
	}
	podref_drop(e->ref);
	e->ref = r;
	memcpy(e->digest, digest, sizeof(digest));
	e->deleting = m->deleting;
	return 1;
}

/* an object event's pod, or its refusal; 1 if t changed */
static int
take(struct table *t, const struct table *old, const struct apiobj_meta *m,
    int pod_ok, struct pod *p, const struct manifest_error *err)
{
	/* the field selector should spare us these; a pod that moved off
	   this node is no longer ours */
	if (strcmp(m->node_name, S.node) != 0)
		return m->uid[0] != '\0' && table_remove(t, m->uid);
	if (!pod_ok && m->failed)
		return 0;	/* refused and reported Failed (the patch
				   is a new version): nothing more to say */
	if (!pod_ok) {
		/* the last spec that was good stays: an API pod's spec is
		   all but immutable, this is not the moment to stop it */
		refuse(m, err->field, err->reason);
		return 0;
	}
	return upsert(t, old, m, p);
}

/* ------------------------------------------------------------------ */
/* waiting                                                             */

static void
wait_then(enum next_step next, int retry_after)
{
	uint64_t ms;

	ms = apibackoff_next(&S.backoff, S.h->now_ms(), S.h->random());
	if (retry_after > 0 && (uint64_t)retry_after * 1000 > ms)
		ms = (uint64_t)retry_after * 1000;
	S.last_wait_ms = ms;
	S.state = APISRC_WAITING;
	S.then = next;
	S.h->arm(ms);
}

void
apisource_timer(void)
{
	if (S.state != APISRC_WAITING)
		return;
	if (S.then == NEXT_WATCH && S.rv[0] != '\0')
		watch_open();
	else
		list_page();
}

/* why a non-2xx reply failed, from its Status when it has one */
static void
status_why(const struct apiresp *r, struct apistatus *st, char *why,
    size_t len)
{
	char err[APIWATCH_ERROR_MAX];

	memset(st, 0, sizeof(*st));
	if (r->body_len > 0 && apistatus_decode(r->body, r->body_len, st, err,
	    sizeof(err)) == 0)
		snprintf(why, len, "HTTP %d: %s%s%s", r->status,
		    st->reason[0] ? st->reason : "", st->reason[0] ? ": " : "",
		    st->message);
	else
		snprintf(why, len, "HTTP %d", r->status);
	if (r->status == 410)
		st->relist = 1;
}

/* ------------------------------------------------------------------ */
/* the list                                                            */

static void
list_failed(const char *why, int retry_after)
{
	table_clear(&S.next);
	S.cont[0] = '\0';
	wait_then(NEXT_LIST, retry_after);
	log_warnx("API server %s: list of pods: %s; again in %llu ms",
	    apiclient_server(), why, (unsigned long long)S.last_wait_ms);
}

/* the last page is in: what the table held and the list has not is gone */
static void
list_replace(const char *rv)
{
	table_clear(&S.t);
	S.t = S.next;
	S.next.n = 0;
	snprintf(S.rv, sizeof(S.rv), "%s", rv);
	log_info("API server %s: %zu pods listed for node %s at "
	    "resourceVersion %s", apiclient_server(), S.t.n, S.node, S.rv);
	S.synced = 1;	/* the first list ends the unsynced sets */
}

static void
list_done(void *arg, const struct apiresp *r)
{
	struct apistatus st;
	struct apilist l;
	char why[APIWATCH_ERROR_MAX + 64];
	size_t i;

	if (S.state != APISRC_LISTING)
		return;
	if (r->status == 0) {
		list_failed(r->error ? r->error : "no response", -1);
		return;
	}
	if (r->status < 200 || r->status > 299) {
		/* 410 here: the continue token expired; start over */
		status_why(r, &st, why, sizeof(why));
		list_failed(why, r->retry_after);
		return;
	}
	if (apilist_decode(r->body, r->body_len, 0, &l, why,
	    sizeof(why)) == -1) {
		list_failed(why, -1);
		return;
	}
	for (i = 0; i < l.n_items; i++)
		take(&S.next, &S.t, &l.items[i].meta, l.items[i].pod_ok,
		    &l.items[i].pod, &l.items[i].pod_err);
	if (l.continue_token[0] != '\0') {
		snprintf(S.cont, sizeof(S.cont), "%s", l.continue_token);
		apilist_free(&l);
		list_page();
		return;
	}
	S.cont[0] = '\0';
	list_replace(l.resource_version);
	apilist_free(&l);
	S.h->changed();
	watch_open();
}

static void
list_page(void)
{
	struct apiclient_req q;
	struct apireq a;
	char err[APIWATCH_ERROR_MAX], *path;

	memset(&a, 0, sizeof(a));
	a.node = S.node;
	a.continue_token = S.cont[0] ? S.cont : NULL;
	if (a.continue_token == NULL)
		table_clear(&S.next);
	if ((path = apireq_list(&a, err, sizeof(err))) == NULL) {
		list_failed(err, -1);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.path = path;
	q.max_body = APIHTTP_MAX_LIST_BODY;
	q.done = list_done;
	S.state = APISRC_LISTING;
	if (apiclient_request(S.client, &q) == -1) {
		free(path);
		list_failed("the request could not be queued", -1);
		return;
	}
	free(path);
}

/* ------------------------------------------------------------------ */
/* the watch                                                           */

static int
on_event(void *arg, struct apiwatch_event *ev)
{
	S.w_events++;
	switch (ev->type) {
	case APIWATCH_ADDED:
	case APIWATCH_MODIFIED:
		if (take(&S.t, NULL, &ev->meta, ev->pod_ok, &ev->pod,
		    &ev->pod_err))
			S.changed = 1;
		break;
	case APIWATCH_DELETED:
		/* whatever the model thought of it */
		if (ev->meta.uid[0] != '\0' && table_remove(&S.t, ev->meta.uid))
			S.changed = 1;
		break;
	case APIWATCH_BOOKMARK:
		break;
	case APIWATCH_ERROR:
		S.w_events--;
		S.stop = ev->status.relist ? STOP_RELIST : STOP_ERROR;
		snprintf(S.stop_why, sizeof(S.stop_why), "ERROR event %d%s%s%s%s",
		    ev->status.code, ev->status.reason[0] ? " " : "",
		    ev->status.reason, ev->status.message[0] ? ": " : "",
		    ev->status.message);
		return -1;
	}
	if (ev->meta.resource_version[0] != '\0')
		snprintf(S.rv, sizeof(S.rv), "%s", ev->meta.resource_version);
	return 0;
}

static int
watch_body(void *arg, const uint8_t *buf, size_t len)
{
	int rc;

	if (S.state != APISRC_WATCHING)
		return -1;
	S.changed = 0;
	rc = apiwatch_feed(&S.w, buf, len);
	if (rc == -1 && S.stop == STOP_NONE) {
		S.stop = STOP_UNREADABLE;
		snprintf(S.stop_why, sizeof(S.stop_why), "%s", S.w.error);
	}
	if (S.changed)
		S.h->changed();
	return rc;
}

static void
watch_close(void)
{
	if (S.w_open)
		apiwatch_free(&S.w);
	S.w_open = 0;
}

static void
watch_failed(enum next_step next, const char *why, int retry_after)
{
	watch_close();
	wait_then(next, retry_after);
	log_warnx("API server %s: watch of pods from resourceVersion %s: %s; "
	    "%s in %llu ms", apiclient_server(), S.rv, why,
	    next == NEXT_LIST ? "list" : "watch", (unsigned long long)
	    S.last_wait_ms);
}

/* 410: the version is gone; list at once, unless nothing came between */
static void
relist(const char *why)
{
	watch_close();
	log_info("API server %s: resourceVersion %s is too old (%s); listing "
	    "again", apiclient_server(), S.rv, why);
	if (S.gone_in_a_row++ > 0) {
		wait_then(NEXT_LIST, -1);
		return;
	}
	list_page();
}

static void
watch_done(void *arg, const struct apiresp *r)
{
	struct apistatus st;
	char why[APIWATCH_ERROR_MAX + 64];

	if (S.state != APISRC_WATCHING)
		return;
	/*
	 * A watch that delivered events, or that ran for a second or more
	 * (client-go's "very short watch" is one under a second with no
	 * events), was served: whatever ended it (a load balancer cutting a
	 * quiet connection, say), the next try starts the backoff over.
	 */
	if (S.w_events > 0)
		S.gone_in_a_row = 0;
	if (S.w_events > 0 || S.h->now_ms() - S.w_opened_ms >=
	    APISRC_SHORT_WATCH_MS)
		apibackoff_reset(&S.backoff);
	switch (S.stop) {
	case STOP_RELIST:
		relist(S.stop_why);
		return;
	case STOP_ERROR:
		watch_failed(NEXT_WATCH, S.stop_why, -1);
		return;
	case STOP_UNREADABLE:
		watch_failed(NEXT_LIST, S.stop_why, -1);
		return;
	case STOP_NONE:
		break;
	}
	if (r->status == 0) {
		watch_failed(NEXT_WATCH, r->error ? r->error : "no response",
		    -1);
		return;
	}
	if (r->status < 200 || r->status > 299) {
		status_why(r, &st, why, sizeof(why));
		if (st.relist)
			relist(why);
		else
			watch_failed(NEXT_WATCH, why, r->retry_after);
		return;
	}
	if (apiwatch_end(&S.w) == -1) {
		snprintf(why, sizeof(why), "%s", S.w.error);
		watch_failed(NEXT_WATCH, why, -1);
		return;
	}
	/* the server's timeout: a watch that ran as it should */
	watch_close();
	apibackoff_reset(&S.backoff);
	log_debug("API server %s: watch ended after %u events; watching "
	    "from resourceVersion %s", apiclient_server(), S.w_events, S.rv);
	watch_open();
}

static void
watch_open(void)
{
	struct apiclient_req q;
	struct apireq a;
	char err[APIWATCH_ERROR_MAX], *path;

	memset(&a, 0, sizeof(a));
	a.node = S.node;
	a.resource_version = S.rv;
	a.timeout_seconds = apiwatch_timeout_seconds(S.h->random());
	if ((path = apireq_watch(&a, err, sizeof(err))) == NULL) {
		S.state = APISRC_WATCHING;
		watch_failed(NEXT_LIST, err, -1);
		return;
	}
	watch_close();
	apiwatch_init(&S.w, 0, on_event, NULL);
	S.w_open = 1;
	S.stop = STOP_NONE;
	S.stop_why[0] = '\0';
	S.w_events = 0;
	S.w_opened_ms = S.h->now_ms();
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.path = path;
	q.stream = watch_body;
	/* the server ends it at timeoutSeconds; a little more is ours */
	q.timeout_s = a.timeout_seconds + 30;
	q.done = watch_done;
	S.state = APISRC_WATCHING;
	if (apiclient_request(S.client, &q) == -1) {
		free(path);
		watch_failed(NEXT_WATCH, "the request could not be queued", -1);
		return;
	}
	free(path);
}

/* ------------------------------------------------------------------ */

int
apisource_start(const char *node, const struct apisource_hooks *h)
{
	if (S.state != APISRC_OFF)
		return 0;
	if (!pod_dns_subdomain_ok(node, strlen(node))) {
		log_warnx("API source: node name %s is not a DNS subdomain",
		    node);
		return -1;
	}
	if ((S.client = apiclient_new("watch")) == NULL)
		return -1;
	S.h = h;
	snprintf(S.node, sizeof(S.node), "%s", node);
	apibackoff_reset(&S.backoff);
	list_page();
	return 0;
}

void
apisource_stop(void)
{
	if (S.client != NULL) {
		S.state = APISRC_OFF;	/* the callbacks find nothing to do */
		apiclient_reset(S.client, "stopping");
		apiclient_free(S.client);
	}
	watch_close();
	table_clear(&S.t);
	table_clear(&S.next);
	memset(&S, 0, sizeof(S));
}

int
apisource_active(void)
{
	return S.state != APISRC_OFF;
}

int
apisource_synced(void)
{
	return S.synced;
}

void
apisource_expect(void)
{
	S.expected = 1;
}

int
apisource_unsynced(void)
{
	return (S.expected || S.state != APISRC_OFF) && !S.synced;
}

enum apisource_state
apisource_state(void)
{
	return S.state;
}

const char *
apisource_rv(void)
{
	return S.rv;
}

uint64_t
apisource_last_wait_ms(void)
{
	return S.last_wait_ms;
}

size_t
apisource_count(void)
{
	return S.t.n;
}

struct apisource_pod *
apisource_pod(size_t i)
{
	return i < S.t.n ? S.t.pods[i] : NULL;
}

struct apisource_pod *
apisource_find(const char *uid)
{
	return table_find(&S.t, uid);
}
