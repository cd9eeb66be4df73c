/*
 * API mode: the Node and its Lease (apinode.h).  One connection ("node")
 * carries both, apart from the pods' status traffic, so that a burst of
 * pod status never delays a renewal.  At most one Node request and one
 * Lease request are out at a time; the state machines below say which
 * comes next, apinode_run does what is due and arms the one timer for
 * the next thing.
 *
 * The kubelet's sources for each part: kubelet_node_status.go
 * (registerWithAPIServer, tryRegisterWithAPIServer: create, on
 * AlreadyExists get and adopt; updateNodeStatus: a strategic-merge PATCH
 * of status), nodestatus/setters.go (the conditions), and
 * component-helpers/apimachinery/lease/controller.go (the Lease: create
 * with an ownerReference to the Node, renew by Update of the last object
 * read, on a conflict read it again, retry with backoff from 200 ms to
 * 7 s).
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
#include "nodefacts.h"
#include "nodestatus.h"
#include "pod.h"
#include "podstatus.h"

#define LEASE_NS		"kube-node-lease"
#define LEASE_API		"coordination.k8s.io/v1"
#define APINODE_PATH_MAX	(POD_MAX_NAME + 128)
#define CT_JSON			"application/json"
#define CT_SMP			"application/strategic-merge-patch+json"

enum node_state {
	NODE_CREATE,		/* POST the Node */
	NODE_GET,		/* it exists: GET it for its uid */
	NODE_UP			/* its uid is known: keep its status */
};

enum lease_state {
	LEASE_CREATE,
	LEASE_GET,		/* conflict or exists: read the server's */
	LEASE_RENEW		/* PUT the last object read, renewed */
};

static struct {
	struct event_base	*base;
	struct event		*timer;
	const struct node_conf	*nc;
	struct apiclient	*cl;
	int			 started;
	struct node_facts	 facts;
	int			 have_facts;
	int			 net_ok;
	char			 net_msg[APINODE_MAX_MESSAGE + 1];
	int64_t			 ready_since_ns;	/* 0: the facts' time */
	void			(*registered)(void);

	enum node_state		 nstate;
	int			 node_busy;
	struct apiretry		 nretry;
	char			 uid[POD_MAX_UID + 1];
	char			*posted;	/* acknowledged, no heartbeats */
	char			*sending;	/* the same of the PATCH out */
	int64_t			 posted_ms;

	enum lease_state	 lstate;
	int			 lease_busy;
	struct apiretry		 lretry;
	cJSON			*lease;		/* the server's last Lease */
	int64_t			 renewed_ms;
} an;

static void	node_done(void *, const struct apiresp *);
static void	lease_done(void *, const struct apiresp *);

static void
kick(void)
{
	apitimer_kick(an.timer);
}

void
apinode_init(struct event_base *base, const struct node_conf *nc)
{
	an.base = base;
	an.nc = nc;
	an.net_ok = 1;
	an.timer = apitimer_new(base, apinode_run, "apinode");
}

void
apinode_start(void)
{
	if (an.started)
		return;
	if (!pod_dns_subdomain_ok(an.nc->name, strlen(an.nc->name))) {
		log_warnx("API mode: node name \"%s\" is not a DNS subdomain: "
		    "no Node is registered", an.nc->name);
		return;
	}
	if ((an.cl = apiclient_new("node")) == NULL)
		return;
	an.started = 1;
	kick();
}

void
apinode_facts(const struct node_facts *f)
{
	an.facts = *f;
	an.have_facts = 1;
	kick();
}

void
apinode_set_network_ready(int ok, const char *message)
{
	char msg[sizeof(an.net_msg)];

	ok = ok != 0;
	snprintf(msg, sizeof(msg), "%s", ok || message == NULL ? "" : message);
	if (ok == an.net_ok && strcmp(msg, an.net_msg) == 0)
		return;
	if (ok != an.net_ok)
		an.ready_since_ns = apiclock_wall_ns();
	an.net_ok = ok;
	memcpy(an.net_msg, msg, sizeof(msg));
	kick();
}

const char *
apinode_uid(void)
{
	return an.nstate == NODE_UP && an.uid[0] != '\0' ? an.uid : NULL;
}

void
apinode_on_registered(void (*fn)(void))
{
	an.registered = fn;
}

void
apinode_server_answered(void)
{
	int64_t now = apiclock_mono_ms();
	int n;

	n = apiretry_answered(&an.lretry, now);
	n += apiretry_answered(&an.nretry, now);
	if (n > 0)
		kick();
}

/* --- requests --- */

static int
send_json(const char *method, const char *path, const char *ctype,
    const cJSON *body, size_t max_body, apiclient_done_fn done, void *arg)
{
	char *text = NULL;
	int rv;

	if (body != NULL && (text = cJSON_PrintUnformatted(body)) == NULL)
		return -1;
	rv = apireq_text(an.cl, method, path, ctype, text, max_body, done,
	    arg);
	free(text);
	return rv;
}

/* a failure: one line per kind per LOGRL_INTERVAL_S, then wait */
static void
failed(struct apiretry *r, const char *what, const struct apiresp *resp)
{
	char key[64], why[384];

	snprintf(key, sizeof(key), "apinode:%s", what);
	logrl_warnx(&apilog, key, "API: %s of node %s failed: %s", what,
	    an.nc->name, apiresp_reason(resp, why, sizeof(why)));
	apiretry_fail(r, resp, APINODE_MIN_BACKOFF_MS, APINODE_MAX_BACKOFF_MS);
}

static void
recovered(struct apiretry *r, const char *what)
{
	if (r->failures > 0)
		log_info("API: %s of node %s done after %u failures", what,
		    an.nc->name, r->failures);
	apiretry_ok(r);
}

/* --- the Node --- */

/*
 * Ready as the network hook says: the kubelet's NotReady reason is
 * KubeletNotReady with the runtime's error as the message; the
 * transition time moves when the status does.
 */
static int
set_ready(cJSON *status)
{
	char t[PODSTATUS_TIME_LEN];
	const char *type;
	cJSON *c, *conds;

	conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
	cJSON_ArrayForEach(c, conds) {
		type = apijson_str(c, "type", NULL);
		if (type == NULL || strcmp(type, "Ready") != 0)
			continue;
		if (an.ready_since_ns > 0 && podstatus_rfc3339(
		    an.ready_since_ns, t, sizeof(t)) == 0 &&
		    apijson_set(c, "lastTransitionTime",
		    cJSON_CreateString(t)) == -1)
			return -1;
		if (an.net_ok)
			return 0;
		if (apijson_set(c, "status", cJSON_CreateString("False")) ==
		    -1 || apijson_set(c, "reason",
		    cJSON_CreateString(APINODE_NOT_READY_REASON)) == -1 ||
		    apijson_set(c, "message", cJSON_CreateString(an.net_msg)) ==
		    -1)
			return -1;
		return 0;
	}
	return -1;
}

/* the v1.Node as of wall time now_ns (0: heartbeats null, to compare) */
static cJSON *
node_json(int64_t now_ns)
{
	cJSON *n, *meta;

	if ((n = nodestatus_node_json(&an.facts, an.nc, now_ns)) == NULL)
		return NULL;
	/* the server sets the creation time */
	meta = cJSON_GetObjectItemCaseSensitive(n, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "creationTimestamp");
	if (set_ready(cJSON_GetObjectItemCaseSensitive(n, "status")) == -1) {
		cJSON_Delete(n);
		return NULL;
	}
	return n;
}

static char *
status_text(int64_t now_ns)
{
	cJSON *n;
	char *t;

	if ((n = node_json(now_ns)) == NULL)
		return NULL;
	t = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(n,
	    "status"));
	cJSON_Delete(n);
	return t;
}

/*
 * {"status": ...}: addresses merge by type in a strategic merge, so two
 * InternalIPs (v4 and v6) would collapse into one; the list says
 * $patch: replace and goes whole
 */
static cJSON *
status_patch(void)
{
	cJSON *n, *st, *p = NULL, *addrs, *dir;

	if ((n = node_json(apiclock_wall_ns())) == NULL)
		return NULL;
	st = cJSON_DetachItemFromObjectCaseSensitive(n, "status");
	cJSON_Delete(n);
	if (st == NULL)
		return NULL;
	addrs = cJSON_GetObjectItemCaseSensitive(st, "addresses");
	if ((dir = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(dir, "$patch", "replace") == NULL ||
	    !cJSON_InsertItemInArray(addrs, 0, dir) ||
	    (p = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(p, "status", st)) {
		cJSON_Delete(dir);
		cJSON_Delete(p);
		cJSON_Delete(st);
		return NULL;
	}
	return p;
}

static const char *
node_what(void)
{
	return an.nstate == NODE_CREATE ? "create" : an.nstate == NODE_GET ?
	    "get" : "status update";
}

static void
node_send(int64_t now)
{
	char path[APINODE_PATH_MAX];
	const char *method, *ctype = NULL;
	cJSON *body = NULL;
	char *cmp = NULL;
	int rv;

	switch (an.nstate) {
	case NODE_CREATE:
		method = "POST";
		ctype = CT_JSON;
		snprintf(path, sizeof(path), "/api/v1/nodes");
		body = node_json(apiclock_wall_ns());
		break;
	case NODE_GET:
		method = "GET";
		snprintf(path, sizeof(path), "/api/v1/nodes/%s", an.nc->name);
		break;
	case NODE_UP:
	default:
		if ((cmp = status_text(0)) == NULL)
			return;
		if (an.posted != NULL && strcmp(cmp, an.posted) == 0 &&
		    now - an.posted_ms < APINODE_STATUS_REPORT_S * 1000LL &&
		    an.nretry.failures == 0) {
			free(cmp);
			return;
		}
		method = "PATCH";
		ctype = CT_SMP;
		snprintf(path, sizeof(path), "/api/v1/nodes/%s/status",
		    an.nc->name);
		body = status_patch();
		break;
	}
	if (ctype != NULL && body == NULL) {
		free(cmp);
		log_warnx("API: node %s: out of memory", an.nc->name);
		apiretry_fail(&an.nretry, NULL, APINODE_MIN_BACKOFF_MS,
		    APINODE_MAX_BACKOFF_MS);
		return;
	}
	/* busy before the request: a client may answer inside it */
	free(an.sending);
	an.sending = cmp;
	an.node_busy = 1;
	rv = send_json(method, path, ctype, body, APINODE_MAX_NODE_BODY,
	    node_done, NULL);
	cJSON_Delete(body);
	if (rv == -1) {
		an.node_busy = 0;
		free(an.sending);
		an.sending = NULL;
		failed(&an.nretry, node_what(), NULL);
	}
}

/* the uid of a Node in a response: adopted */
static int
adopt(const struct apiresp *resp)
{
	const char *uid;
	cJSON *n;
	int rv = -1;

	if ((n = apiresp_json(resp)) == NULL)
		return -1;
	if ((uid = apijson_str(n, "metadata", "uid")) != NULL &&
	    pod_uid_ok(uid, strlen(uid))) {
		snprintf(an.uid, sizeof(an.uid), "%s", uid);
		an.nstate = NODE_UP;
		free(an.posted);
		an.posted = NULL;	/* post the status at once */
		rv = 0;
	}
	cJSON_Delete(n);
	return rv;
}

static void
node_done(void *arg, const struct apiresp *resp)
{
	enum node_state was = an.nstate;
	const char *what = node_what();

	an.node_busy = 0;
	if (resp->status != 0)
		apipods_server_answered();
	if (was != NODE_UP && apiresp_ok(resp)) {
		if (adopt(resp) == -1) {
			failed(&an.nretry, what, resp);
			return;
		}
		recovered(&an.nretry, what);
		log_info("API: node %s %s, uid %s", an.nc->name,
		    was == NODE_CREATE ? "registered" : "adopted", an.uid);
		if (an.registered != NULL)
			an.registered();
	} else if (was == NODE_CREATE && resp->status == 409) {
		an.nstate = NODE_GET;	/* AlreadyExists */
	} else if (was != NODE_CREATE && resp->status == 404) {
		/* deleted by someone: register again, as at start */
		log_warnx("API: node %s is gone from the API server: "
		    "registering it again", an.nc->name);
		an.nstate = NODE_CREATE;
		an.uid[0] = '\0';
	} else if (was == NODE_UP && apiresp_ok(resp)) {
		recovered(&an.nretry, what);
		free(an.posted);
		an.posted = an.sending;
		an.sending = NULL;
		an.posted_ms = apiclock_mono_ms();
	} else
		failed(&an.nretry, what, resp);
	kick();
}

/* --- the Lease --- */

/* the spec the kubelet writes: holder, duration, renewed now */
static int
lease_spec(cJSON *lease)
{
	char t[APITIME_MICRO_LEN];
	cJSON *spec;

	if (apitime_micro(apiclock_wall_ns(), t, sizeof(t)) == -1)
		return -1;
	if ((spec = cJSON_GetObjectItemCaseSensitive(lease, "spec")) ==
	    NULL || !cJSON_IsObject(spec)) {
		if (apijson_set(lease, "spec", cJSON_CreateObject()) == -1)
			return -1;
		spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
	}
	return apijson_set(spec, "holderIdentity",
	    cJSON_CreateString(an.nc->name)) == -1 ||
	    apijson_set(spec, "leaseDurationSeconds",
	    cJSON_CreateNumber(APINODE_LEASE_DURATION_S)) == -1 ||
	    apijson_set(spec, "renewTime", cJSON_CreateString(t)) == -1 ?
	    -1 : 0;
}

static cJSON *
lease_new(void)
{
	cJSON *l, *meta;

	if ((l = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(l, "apiVersion", LEASE_API) == NULL ||
	    cJSON_AddStringToObject(l, "kind", "Lease") == NULL ||
	    (meta = cJSON_AddObjectToObject(l, "metadata")) == NULL ||
	    cJSON_AddStringToObject(meta, "name", an.nc->name) == NULL ||
	    cJSON_AddStringToObject(meta, "namespace", LEASE_NS) == NULL ||
	    apijson_set(meta, "ownerReferences",
	    apijson_node_owner(an.nc->name, an.uid, 0)) == -1 ||
	    lease_spec(l) == -1) {
		cJSON_Delete(l);
		return NULL;
	}
	return l;
}

/*
 * The server's last object, renewed: what others set on it stays, its
 * resourceVersion makes the PUT fail with 409 if it changed meanwhile;
 * the owner is added if it has none (the kubelet's setNodeOwnerFunc)
 */
static cJSON *
lease_renewed(void)
{
	cJSON *l, *meta, *owners;

	if ((l = cJSON_Duplicate(an.lease, 1)) == NULL)
		return NULL;
	meta = cJSON_GetObjectItemCaseSensitive(l, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
	owners = cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences");
	if ((cJSON_GetArraySize(owners) == 0 &&
	    apijson_set(meta, "ownerReferences",
	    apijson_node_owner(an.nc->name, an.uid, 0)) == -1) ||
	    lease_spec(l) == -1) {
		cJSON_Delete(l);
		return NULL;
	}
	return l;
}

static int
lease_due(int64_t now)
{
	if (an.lretry.failures > 0 || an.lstate != LEASE_RENEW)
		return apiretry_due(&an.lretry, now);
	return an.renewed_ms == 0 ||
	    now - an.renewed_ms >= APINODE_LEASE_RENEW_S * 1000LL;
}

static void
lease_send(int64_t now)
{
	char path[APINODE_PATH_MAX];
	const char *method = "GET";
	cJSON *body = NULL;
	int rv;

	snprintf(path, sizeof(path), "/apis/" LEASE_API "/namespaces/"
	    LEASE_NS "/leases/%s", an.nc->name);
	if (an.lstate == LEASE_CREATE) {
		method = "POST";
		snprintf(path, sizeof(path), "/apis/" LEASE_API
		    "/namespaces/" LEASE_NS "/leases");
		body = lease_new();
	} else if (an.lstate == LEASE_RENEW) {
		method = "PUT";
		body = lease_renewed();
	}
	if (an.lstate != LEASE_GET && body == NULL) {
		log_warnx("API: lease of node %s: out of memory", an.nc->name);
		apiretry_fail(&an.lretry, NULL, APINODE_MIN_BACKOFF_MS,
		    APINODE_MAX_BACKOFF_MS);
		return;
	}
	an.lease_busy = 1;
	rv = send_json(method, path, CT_JSON, body, APINODE_MAX_LEASE_BODY,
	    lease_done, NULL);
	cJSON_Delete(body);
	if (rv == -1) {
		an.lease_busy = 0;
		failed(&an.lretry, "lease renewal", NULL);
	}
}

/* the server's Lease, if it is one with a resourceVersion */
static int
lease_keep(const struct apiresp *resp)
{
	cJSON *l;

	if ((l = apiresp_json(resp)) == NULL ||
	    apijson_str(l, "metadata", "resourceVersion") == NULL) {
		cJSON_Delete(l);
		return -1;
	}
	cJSON_Delete(an.lease);
	an.lease = l;
	return 0;
}

static void
lease_done(void *arg, const struct apiresp *resp)
{
	enum lease_state was = an.lstate;

	an.lease_busy = 0;
	if (resp->status != 0)
		apipods_server_answered();
	if (apiresp_ok(resp)) {
		if (lease_keep(resp) == -1) {
			failed(&an.lretry, "lease", resp);
			an.lstate = LEASE_GET;
		} else {
			recovered(&an.lretry, "lease renewal");
			an.lstate = LEASE_RENEW;
			/* a GET is followed by the renewal it was for */
			an.renewed_ms = was == LEASE_GET ? 0 :
			    apiclock_mono_ms();
		}
	} else if (resp->status == 409) {
		/* created meanwhile, or changed: read it and renew that */
		an.lstate = LEASE_GET;
	} else if (resp->status == 404 && was != LEASE_CREATE) {
		an.lstate = LEASE_CREATE;
	} else
		failed(&an.lretry, "lease renewal", resp);
	kick();
}

/* --- the loop --- */

/* the next thing due; what has a request out waits for its answer */
static void
arm(int64_t now)
{
	int64_t next = now + APINODE_STATUS_REPORT_S * 1000LL, t;

	if (!an.node_busy && an.nretry.failures > 0 &&
	    an.nretry.due_ms < next)
		next = an.nretry.due_ms;
	if (!an.node_busy && an.nstate == NODE_UP && an.posted != NULL &&
	    (t = an.posted_ms + APINODE_STATUS_REPORT_S * 1000LL) < next)
		next = t;
	if (!an.lease_busy && an.nstate == NODE_UP) {
		t = an.lretry.failures > 0 || an.lstate != LEASE_RENEW ?
		    an.lretry.due_ms : an.renewed_ms +
		    APINODE_LEASE_RENEW_S * 1000LL;
		if (t < next)
			next = t;
	}
	apitimer_at(an.timer, now, next);
}

void
apinode_run(void)
{
	int64_t now = apiclock_mono_ms();

	if (!an.started || !an.have_facts)
		return;
	if (!an.node_busy && apiretry_due(&an.nretry, now))
		node_send(now);
	if (!an.lease_busy && an.nstate == NODE_UP && lease_due(now))
		lease_send(now);
	arm(now);
}
