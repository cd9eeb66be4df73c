/*
 * API mode: pod status, mirror pods and the final delete (apipods.h).
 *
 * Each tracked pod keeps the latest status (want), the last one the
 * server acknowledged (acked: the base of the next patch) and the one in
 * flight (sent).  A pod has at most one request out; apipods_run walks
 * the pods round robin and sends what each needs next, at most
 * APIPODS_MAX_INFLIGHT at a time on the one "status" connection, so a
 * burst of reports for one pod becomes one PATCH of its latest state, and
 * a failure retries that pod alone with backoff while the others go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "apiclient.h"
#include "apinode.h"
#include "apipods.h"
#include "apiretry.h"
#include "evring.h"
#include "log.h"
#include "pod.h"
#include "podpatch.h"
#include "podstatus.h"

#define APIPODS_PATH_MAX	(POD_MAX_NAMESPACE + POD_MAX_NAME + 64)
#define CT_JSON			"application/json"
#define CT_SMP			"application/strategic-merge-patch+json"

enum op {
	OP_NONE,
	OP_STATUS,		/* PATCH .../status */
	OP_DELETE,		/* the final DELETE */
	OP_MIRROR_CREATE,	/* POST the mirror pod */
	OP_MIRROR_GET,		/* it exists: whose is it */
	OP_MIRROR_REPLACE	/* DELETE a mirror of another hash */
};

enum mirror {
	MIRROR_NONE,		/* an API pod: no mirror */
	MIRROR_CREATE,
	MIRROR_GET,
	MIRROR_REPLACE,
	MIRROR_UP,		/* target is the mirror's uid */
	MIRROR_TAKEN		/* an API pod not ours has the name: left
				   alone, no mirror and no status */
};

struct apipod {
	char		 uid[POD_MAX_UID + 1];	/* the executor's */
	char		 ns[POD_MAX_NAMESPACE + 1];
	char		 name[POD_MAX_NAME + 1];
	char		 target[POD_MAX_UID + 1];	/* the API object's */
	char		 hash[POD_MAX_UID + 1];		/* config.hash */
	char		 stale[POD_MAX_UID + 1];	/* a foreign mirror */
	enum mirror	 mirror;
	cJSON		*mirror_pod;	/* the mirror's body, but its owner */
	cJSON		*want;
	cJSON		*acked;		/* NULL: the server's is empty */
	cJSON		*sent;
	uint64_t	 want_gen, acked_gen, sent_gen;
	enum op		 op;
	int		 gone;		/* the executor removed it */
	int		 stopped;	/* nothing more to do: free it */
	int		 refused;	/* the watcher refused it: Failed,
					   then forgotten */
	struct apiretry	 retry;
};

static struct {
	struct event_base	*base;
	struct event		*timer;
	const char		*node;
	struct apiclient	*cl;
	int			 started;
	struct apipod		*p[APIPODS_MAX_TRACKED];
	size_t			 n;
	size_t			 inflight;
	size_t			 next;		/* round robin */
} ap;

static void	pod_done(void *, const struct apiresp *);

static void
kick(void)
{
	apitimer_kick(ap.timer);
}

void
apipods_init(struct event_base *base, const char *node)
{
	ap.base = base;
	ap.node = node;
	ap.timer = apitimer_new(base, apipods_run, "apipods");
}

void
apipods_start(void)
{
	if (ap.started)
		return;
	if ((ap.cl = apiclient_new("status")) == NULL)
		return;
	ap.started = 1;
	kick();
}

size_t
apipods_tracked(void)
{
	return ap.n;
}

size_t
apipods_inflight(void)
{
	return ap.inflight;
}

void
apipods_node_registered(void)
{
	kick();
}

void
apipods_server_answered(void)
{
	int64_t now = apiclock_mono_ms();
	size_t i;
	int n = 0;

	for (i = 0; i < ap.n; i++)
		if (ap.p[i]->op == OP_NONE)
			n += apiretry_answered(&ap.p[i]->retry, now);
	if (n > 0)
		kick();
}

/* --- the table --- */

static void
pod_free_entry(struct apipod *p)
{
	cJSON_Delete(p->mirror_pod);
	cJSON_Delete(p->want);
	cJSON_Delete(p->acked);
	cJSON_Delete(p->sent);
	free(p);
}

static struct apipod *
find(const char *uid)
{
	size_t i;

	for (i = 0; i < ap.n; i++)
		if (strcmp(ap.p[i]->uid, uid) == 0)
			return ap.p[i];
	return NULL;
}

/* drops the entries that are done (never one with a request out) */
static void
sweep(void)
{
	size_t i = 0;

	while (i < ap.n) {
		if (ap.p[i]->stopped && ap.p[i]->op == OP_NONE) {
			pod_free_entry(ap.p[i]);
			ap.p[i] = ap.p[--ap.n];
		} else
			i++;
	}
	if (ap.next >= ap.n)
		ap.next = 0;
}

/*
 * A full table makes room by giving up the oldest final delete that is
 * not out (the executor's pods are at most MAX_PODS, the rest are pods
 * gone while the server could not be reached)
 */
static int
make_room(void)
{
	size_t i;

	sweep();
	if (ap.n < APIPODS_MAX_TRACKED)
		return 0;
	for (i = 0; i < ap.n; i++)
		if (ap.p[i]->gone && ap.p[i]->op == OP_NONE) {
			log_warnx("API: pod %s/%s (uid %s): the final delete is "
			    "given up: %d pods are tracked", ap.p[i]->ns,
			    ap.p[i]->name, ap.p[i]->uid, APIPODS_MAX_TRACKED);
			ap.p[i]->stopped = 1;
			sweep();
			return 0;
		}
	return -1;
}

static const char *
annotation(const struct pod *spec, const char *key)
{
	uint32_t i;

	for (i = 0; i < spec->n_annotations; i++)
		if (strcmp(spec->annotations[i].key, key) == 0)
			return spec->annotations[i].value;
	return NULL;
}

static int
is_api(const struct pod *spec)
{
	return spec->source != NULL && strcmp(spec->source, "api") == 0;
}

static int
is_static(const struct pod *spec)
{
	return spec->source != NULL && strncmp(spec->source, "file:", 5) == 0;
}

/*
 * The mirror pod as the mirror client makes it: the static pod with the
 * mirror annotation, bound to this node; the server gives it its uid,
 * creation time and status (the owner is added when it is sent)
 */
static cJSON *
mirror_json(const struct pod *spec, const char *hash)
{
	cJSON *p, *meta, *ann, *sp;

	if ((p = podstatus_pod_json(spec, NULL, apiclock_wall_ns())) == NULL)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(p, "status");
	meta = cJSON_GetObjectItemCaseSensitive(p, "metadata");
	sp = cJSON_GetObjectItemCaseSensitive(p, "spec");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "uid");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "creationTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(meta,
	    "deletionGracePeriodSeconds");
	if (!cJSON_IsObject(meta) || !cJSON_IsObject(sp))
		goto fail;
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(meta,
	    "annotations")) &&
	    apijson_set(meta, "annotations", cJSON_CreateObject()) == -1)
		goto fail;
	ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	if (apijson_set(ann, APIPODS_MIRROR_ANNOT, cJSON_CreateString(hash)) ==
	    -1 || apijson_set(sp, "nodeName", cJSON_CreateString(ap.node)) ==
	    -1)
		goto fail;
	return p;
 fail:
	cJSON_Delete(p);
	return NULL;
}

static struct apipod *
track(const struct pod *spec)
{
	struct apipod *p;
	const char *hash = NULL;

	if (!is_api(spec) && !is_static(spec))
		return NULL;
	if (!pod_dns_label_ok(spec->namespace, strlen(spec->namespace)) ||
	    !pod_dns_subdomain_ok(spec->name, strlen(spec->name)) ||
	    !pod_uid_ok(spec->uid, strlen(spec->uid))) {
		logrl_warnx(&apilog, "apipods:identity", "API: pod %.64s/%.64s: "
		    "not reported: namespace, name or uid is not one the API "
		    "server has", spec->namespace, spec->name);
		return NULL;
	}
	if (is_static(spec) && ((hash = annotation(spec,
	    APIPODS_HASH_ANNOT)) == NULL || hash[0] == '\0' ||
	    strlen(hash) > POD_MAX_UID)) {
		logrl_warnx(&apilog, "apipods:hash", "API: static pod %s/%s: "
		    "no mirror pod: annotation %s is missing or longer than %d",
		    spec->namespace, spec->name, APIPODS_HASH_ANNOT,
		    POD_MAX_UID);
		return NULL;
	}
	if (make_room() == -1) {
		logrl_warnx(&apilog, "apipods:full", "API: pod %s/%s: not "
		    "reported: %d pods are tracked", spec->namespace,
		    spec->name, APIPODS_MAX_TRACKED);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->uid, sizeof(p->uid), "%s", spec->uid);
	snprintf(p->ns, sizeof(p->ns), "%s", spec->namespace);
	snprintf(p->name, sizeof(p->name), "%s", spec->name);
	if (hash != NULL) {
		snprintf(p->hash, sizeof(p->hash), "%s", hash);
		p->mirror = MIRROR_CREATE;
		if ((p->mirror_pod = mirror_json(spec, hash)) == NULL) {
			free(p);
			return NULL;
		}
	} else
		snprintf(p->target, sizeof(p->target), "%s", spec->uid);
	ap.p[ap.n++] = p;
	return p;
}

void
apipods_status(const struct pod *spec, const struct pod_report *rep)
{
	struct apipod *p;
	cJSON *st;

	if (!ap.started)
		return;
	if ((p = find(spec->uid)) == NULL && (p = track(spec)) == NULL)
		return;
	if (p->gone || p->stopped)
		return;
	p->refused = 0;		/* a later good version runs */
	if ((st = podstatus_status_json(spec, rep, apiclock_wall_ns())) ==
	    NULL) {
		log_warnx("API: pod %s/%s: status: out of memory", p->ns,
		    p->name);
		return;
	}
	if (p->want != NULL && cJSON_Compare(p->want, st, 1)) {
		cJSON_Delete(st);
		return;
	}
	cJSON_Delete(p->want);
	p->want = st;
	p->want_gen++;
	kick();
}

/*
 * An API pod the watcher's model refused (the executor never saw it): its
 * status is Failed, as the kubelet sets a pod it rejects at admission
 * (kubelet.go rejectPod), once; the entry is forgotten when the server
 * has it.  A pod the executor runs (the last good spec) keeps its status.
 */
void
apipods_refused(const char *ns, const char *name, const char *uid,
    const char *field, const char *reason)
{
	char msg[APIPODS_REFUSED_MESSAGE_MAX + 1];
	struct apipod *p;
	cJSON *st;

	if (!ap.started || find(uid) != NULL)
		return;
	if (!pod_dns_label_ok(ns, strlen(ns)) ||
	    !pod_dns_subdomain_ok(name, strlen(name)) ||
	    !pod_uid_ok(uid, strlen(uid)))
		return;
	if (make_room() == -1) {
		logrl_warnx(&apilog, "apipods:full", "API: pod %s/%s: not "
		    "reported Failed: %d pods are tracked", ns, name,
		    APIPODS_MAX_TRACKED);
		return;
	}
	/* cut to the bound: the message is for people */
	snprintf(msg, sizeof(msg), "Pod was rejected: %s%s%s", field,
	    field[0] ? ": " : "", reason);
	if ((st = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(st, "phase", "Failed") == NULL ||
	    cJSON_AddStringToObject(st, "reason",
	    APIPODS_REFUSED_REASON) == NULL ||
	    cJSON_AddStringToObject(st, "message", msg) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		cJSON_Delete(st);
		log_warnx("API: pod %s/%s: refused: out of memory", ns, name);
		return;
	}
	snprintf(p->uid, sizeof(p->uid), "%s", uid);
	snprintf(p->target, sizeof(p->target), "%s", uid);
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->refused = 1;
	p->want = st;
	p->want_gen = 1;
	ap.p[ap.n++] = p;
	kick();
}

void
apipods_gone(const struct pod *spec)
{
	struct apipod *p;

	if (!ap.started)
		return;
	/* an API pod never reported is deleted all the same */
	if ((p = find(spec->uid)) == NULL &&
	    (!is_api(spec) || (p = track(spec)) == NULL))
		return;
	p->gone = 1;
	kick();
}

/* --- requests --- */

static void
failed(struct apipod *p, const char *what, const struct apiresp *resp)
{
	char key[LOGRL_MAX_KEY], why[384];

	snprintf(key, sizeof(key), "apipods:%s:%s", p->uid, what);
	logrl_warnx(&apilog, key, "API: pod %s/%s (uid %s): %s failed: %s",
	    p->ns, p->name, p->uid, what, apiresp_reason(resp, why,
	    sizeof(why)));
	apiretry_fail(&p->retry, resp, APIPODS_MIN_BACKOFF_MS,
	    APIPODS_MAX_BACKOFF_MS);
}

static int
send_text(struct apipod *p, enum op op, const char *method, const char *path,
    const char *ctype, const char *body)
{
	if (body != NULL && strlen(body) > APIPODS_MAX_BODY) {
		logrl_warnx(&apilog, "apipods:body", "API: pod %s/%s: %s %s: "
		    "the body is %zu bytes, more than %d", p->ns, p->name,
		    method, path, strlen(body), APIPODS_MAX_BODY);
		return -1;
	}
	/* out before the request: a client may answer inside it */
	p->op = op;
	ap.inflight++;
	if (apireq_text(ap.cl, method, path, ctype, body,
	    APIPODS_MAX_RESPONSE, pod_done, p) == -1) {
		p->op = OP_NONE;
		ap.inflight--;
		return -1;
	}
	return 0;
}

static int
send_json(struct apipod *p, enum op op, const char *method, const char *path,
    const char *ctype, const cJSON *body)
{
	char *text = NULL;
	int rv;

	if (body != NULL && (text = cJSON_PrintUnformatted(body)) == NULL)
		return -1;
	rv = send_text(p, op, method, path, ctype, text);
	free(text);
	return rv;
}

/* the status manager's DeleteOptions: now, and only that object */
static int
send_delete(struct apipod *p, enum op op, const char *uid)
{
	char path[APIPODS_PATH_MAX], body[256];

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", p->ns,
	    p->name);
	snprintf(body, sizeof(body), "{\"kind\":\"DeleteOptions\","
	    "\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,"
	    "\"preconditions\":{\"uid\":\"%s\"}}", uid);
	return send_text(p, op, "DELETE", path, CT_JSON, body);
}

static int
mirror_step(struct apipod *p)
{
	char path[APIPODS_PATH_MAX];
	cJSON *meta;

	switch (p->mirror) {
	case MIRROR_CREATE:
		meta = cJSON_GetObjectItemCaseSensitive(p->mirror_pod,
		    "metadata");
		if (apijson_set(meta, "ownerReferences",
		    apijson_node_owner(ap.node, apinode_uid(), 1)) == -1)
			return -1;
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods",
		    p->ns);
		return send_json(p, OP_MIRROR_CREATE, "POST", path, CT_JSON,
		    p->mirror_pod);
	case MIRROR_GET:
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s",
		    p->ns, p->name);
		return send_json(p, OP_MIRROR_GET, "GET", path, NULL, NULL);
	case MIRROR_REPLACE:
	default:
		return send_delete(p, OP_MIRROR_REPLACE, p->stale);
	}
}

/* 1 sent, 0 nothing to send (the patch is empty), -1 failed */
static int
status_step(struct apipod *p)
{
	char path[APIPODS_PATH_MAX];
	cJSON *patch;
	int rv;

	if ((patch = podpatch_status(p->acked, p->want, p->target)) == NULL)
		return -1;
	if (podpatch_is_empty(patch)) {
		cJSON_Delete(patch);
		p->acked_gen = p->want_gen;
		return 0;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/status",
	    p->ns, p->name);
	cJSON_Delete(p->sent);
	if ((p->sent = cJSON_Duplicate(p->want, 1)) == NULL) {
		cJSON_Delete(patch);
		return -1;
	}
	p->sent_gen = p->want_gen;
	rv = send_json(p, OP_STATUS, "PATCH", path, CT_SMP, patch);
	cJSON_Delete(patch);
	return rv == -1 ? -1 : 1;
}

static const char *
op_name(enum op op)
{
	switch (op) {
	case OP_STATUS:
		return "status update";
	case OP_DELETE:
		return "delete";
	case OP_MIRROR_CREATE:
		return "mirror pod create";
	case OP_MIRROR_GET:
		return "mirror pod get";
	case OP_MIRROR_REPLACE:
		return "stale mirror pod delete";
	case OP_NONE:
	default:
		return "request";
	}
}

/* the next request of one pod, if it needs one */
static void
step(struct apipod *p)
{
	enum op op = OP_NONE;
	int rv = 0;

	if (p->mirror == MIRROR_TAKEN) {
		p->stopped = p->gone;
		return;
	}
	if (p->mirror != MIRROR_NONE && p->mirror != MIRROR_UP) {
		if (p->gone) {
			p->stopped = 1;	/* no mirror of ours to delete */
			return;
		}
		if (apinode_uid() == NULL)
			return;	/* apipods_node_registered kicks */
		op = p->mirror == MIRROR_CREATE ? OP_MIRROR_CREATE :
		    p->mirror == MIRROR_GET ? OP_MIRROR_GET :
		    OP_MIRROR_REPLACE;
		rv = mirror_step(p);
	} else if (p->want != NULL && p->want_gen != p->acked_gen &&
	    (rv = status_step(p)) != 0)
		op = OP_STATUS;
	else if (p->gone) {
		op = OP_DELETE;
		rv = send_delete(p, OP_DELETE, p->target);
	}
	if (rv == -1)
		failed(p, op_name(op), NULL);
}

/* --- answers --- */

static void
status_done(struct apipod *p, const struct apiresp *resp)
{
	if (apiresp_ok(resp)) {
		cJSON_Delete(p->acked);
		p->acked = p->sent;
		p->sent = NULL;
		p->acked_gen = p->sent_gen;
		apiretry_ok(&p->retry);
		if (p->refused && p->acked_gen == p->want_gen)
			p->stopped = 1;	/* Failed is in: forgotten */
		return;
	}
	cJSON_Delete(p->sent);
	p->sent = NULL;
	if (resp->status == 404 && p->mirror == MIRROR_UP && !p->gone) {
		/* someone deleted the mirror: the kubelet makes it again */
		p->mirror = MIRROR_CREATE;
		p->target[0] = '\0';
		cJSON_Delete(p->acked);
		p->acked = NULL;
		p->acked_gen = 0;
	} else if (resp->status == 404) {
		log_info("API: pod %s/%s (uid %s) is gone from the API server: "
		    "its status is no longer reported", p->ns, p->name, p->uid);
		p->stopped = 1;
	} else if (p->gone && resp->status != 0) {
		/* the final status is refused: go on to the delete */
		p->acked_gen = p->want_gen;
	} else if (resp->status == 400 || resp->status == 422) {
		/*
		 * The server will never take this one (invalid): retrying
		 * it cannot help, the next change is sent (from the same
		 * acknowledged base, so it carries this one's changes too)
		 */
		failed(p, op_name(OP_STATUS), resp);
		apiretry_ok(&p->retry);
		p->acked_gen = p->sent_gen;
		p->stopped = p->refused;	/* nothing else to send */
	} else
		failed(p, op_name(OP_STATUS), resp);
}

static void
delete_done(struct apipod *p, const struct apiresp *resp)
{
	/* gone already, or another object of that name: done either way */
	if (apiresp_ok(resp) || resp->status == 404 || resp->status == 409)
		p->stopped = 1;
	else
		failed(p, op_name(OP_DELETE), resp);
}

/* the mirror pod the server has, from a create or a get */
static int
mirror_adopt(struct apipod *p, const struct apiresp *resp, int check_hash)
{
	const char *uid, *hash;
	cJSON *o;
	int rv = -1;

	if ((o = apiresp_json(resp)) == NULL)
		return -1;
	uid = apijson_str(o, "metadata", "uid");
	hash = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o,
	    "metadata")) ? apijson_str(cJSON_GetObjectItemCaseSensitive(o,
	    "metadata"), "annotations", APIPODS_MIRROR_ANNOT) : NULL;
	if (uid != NULL && pod_uid_ok(uid, strlen(uid))) {
		rv = 0;
		if (check_hash && hash == NULL) {
			/*
			 * Not a mirror pod: a pod of the API's own, which is
			 * not ours to delete (the kubelet fails to create the
			 * mirror then, and so do we, once, in the log).
			 */
			log_warnx("API: pod %s/%s exists and is no mirror "
			    "pod: the static pod of that name runs without "
			    "one", p->ns, p->name);
			p->mirror = MIRROR_TAKEN;
		} else if (check_hash && strcmp(hash, p->hash) != 0) {
			/* an older version's mirror: replace it */
			snprintf(p->stale, sizeof(p->stale), "%s", uid);
			p->mirror = MIRROR_REPLACE;
		} else {
			snprintf(p->target, sizeof(p->target), "%s", uid);
			p->mirror = MIRROR_UP;
			/* a new object: its status is the server's own */
			cJSON_Delete(p->acked);
			p->acked = NULL;
			p->acked_gen = 0;
		}
	}
	cJSON_Delete(o);
	return rv;
}

static void
mirror_done(struct apipod *p, enum op op, const struct apiresp *resp)
{
	if (op == OP_MIRROR_REPLACE) {
		if (apiresp_ok(resp) || resp->status == 404 ||
		    resp->status == 409)
			p->mirror = MIRROR_CREATE;
		else
			failed(p, op_name(op), resp);
		return;
	}
	if (apiresp_ok(resp)) {
		if (mirror_adopt(p, resp, op == OP_MIRROR_GET) == -1)
			failed(p, op_name(op), resp);
		else
			apiretry_ok(&p->retry);
	} else if (op == OP_MIRROR_CREATE && resp->status == 409)
		p->mirror = MIRROR_GET;	/* AlreadyExists */
	else if (op == OP_MIRROR_GET && resp->status == 404)
		p->mirror = MIRROR_CREATE;
	else
		failed(p, op_name(op), resp);
}

static void
pod_done(void *arg, const struct apiresp *resp)
{
	struct apipod *p = arg;
	enum op op = p->op;

	p->op = OP_NONE;
	ap.inflight--;
	if (resp->status != 0) {
		apinode_server_answered();
		apipods_server_answered();
	}
	switch (op) {
	case OP_STATUS:
		status_done(p, resp);
		break;
	case OP_DELETE:
		delete_done(p, resp);
		break;
	case OP_MIRROR_CREATE:
	case OP_MIRROR_GET:
	case OP_MIRROR_REPLACE:
		mirror_done(p, op, resp);
		break;
	case OP_NONE:
	default:
		fatalx("apipods: an answer to no request");
	}
	kick();
}

/* --- the loop --- */

static int
has_work(const struct apipod *p)
{
	if (p->stopped)
		return 0;
	if (p->mirror == MIRROR_TAKEN)
		return p->gone;
	if (p->mirror != MIRROR_NONE && p->mirror != MIRROR_UP)
		return p->gone || apinode_uid() != NULL;
	return p->gone || (p->want != NULL && p->want_gen != p->acked_gen);
}

static void
arm(int64_t now)
{
	int64_t next = -1;
	size_t i;

	for (i = 0; i < ap.n; i++)
		if (ap.p[i]->op == OP_NONE && has_work(ap.p[i]) &&
		    (next == -1 || ap.p[i]->retry.due_ms < next))
			next = ap.p[i]->retry.due_ms;
	/* a pod due now waits for a slot: the answer that frees one kicks */
	if (next == -1 || (next <= now && ap.inflight >=
	    APIPODS_MAX_INFLIGHT))
		return;
	apitimer_at(ap.timer, now, next);
}

void
apipods_run(void)
{
	int64_t now = apiclock_mono_ms();
	struct apipod *p;
	size_t k, i, n, first;

	if (!ap.started)
		return;
	sweep();
	n = ap.n;
	first = ap.next;
	for (k = 0; k < n && ap.inflight < APIPODS_MAX_INFLIGHT; k++) {
		i = (first + k) % n;
		p = ap.p[i];
		if (p->op != OP_NONE || !has_work(p) ||
		    !apiretry_due(&p->retry, now))
			continue;
		step(p);
		if (p->op != OP_NONE)
			ap.next = (i + 1) % n;
	}
	sweep();
	arm(now);
}
