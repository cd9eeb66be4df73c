/*
 * agentd-reporter: turns the executor's observed state into Kubernetes
 * PodStatus and answers agentctl's queries (through agentd).  Sandboxed
 * like the watcher: privsep user, empty chroot, deny-by-default seccomp.
 * In both modes it keeps the status that `agentctl get pods` shows; in
 * API-server mode it also registers the Node and renews its Lease
 * (apinode.c) and patches the pods' status (apipods.c) over connections
 * agentd grants it (include/apiclient.h).
 *
 * The executor resends every pod after (re)connecting and then says
 * PODS_SYNCED; pods it did not resend are gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "apiclient.h"
#include "apinode.h"
#include "apipods.h"
#include "events.h"
#include "evring.h"
#include "ipc.h"
#include "log.h"
#include "nodefacts.h"
#include "nodestatus.h"
#include "pod.h"
#include "podstatus.h"
#include "podtable.h"
#include "refusedwire.h"
#include "sandbox.h"
#include "worker.h"

#define REPORTER_ERR_NAME	200	/* of a filter quoted in an error */
#define REPORTER_MAX_NAMESAKES	8	/* pods of one name described */
/*
 * A reply goes out paced (worker_reply_text), but the reporter renders it
 * whole first: MAX_PODS pods of 1 MiB make a v1.PodList of more than
 * 500 MiB.  Past this bound the query is refused with a reason instead
 * (ask for one pod, or the table); the reporter keeps running.  81 legal
 * manifests of 488 KiB make a list of about 40 MiB, which is served.
 */
#define REPORTER_MAX_REPLY	(128 * 1024 * 1024)

static struct worker_env	 env;
static struct podtable		 pods;
/* the union of the executor's and agentd's rings; both resend theirs to
   a new reporter, so what is here survives a restart of either sender */
static struct evring		 events;
static struct logrl		 loglimit;
/* the executor's, resent on each connection; gathered_ns 0: none yet */
static struct node_facts	 node;
/* what apinode registers: env.conf's, set in main */
static struct node_conf		 node_conf;

static int	parent_peer(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_query(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_network(struct ipc_chan *, struct ipc_msg *, void *);
static int	exec_desired(struct ipc_chan *, struct ipc_msg *, void *);
static int	exec_status(struct ipc_chan *, struct ipc_msg *, void *);
static int	exec_gone(struct ipc_chan *, struct ipc_msg *, void *);
static int	exec_synced(struct ipc_chan *, struct ipc_msg *, void *);
static int	pod_event(struct ipc_chan *, struct ipc_msg *, void *);
static int	exec_node(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_refused(struct ipc_chan *, struct ipc_msg *, void *);

static const struct ipc_dispatch parent_tab[] = {
	{ MSG_PING, 0, IPC_F_ANYSTATE, worker_ping },
	{ MSG_SHUTDOWN, 0, IPC_F_ANYSTATE, worker_shutdown },
	{ MSG_PEER_CONNECT, IPC_F_FD, IPC_F_ANYSTATE, parent_peer },
	{ MSG_STATUS_QUERY, 0, IPC_F_ANYSTATE, parent_query },
	{ MSG_NODE_NETWORK, 0, IPC_F_ANYSTATE, parent_network },
	{ MSG_POD_EVENT, 0, IPC_F_ANYSTATE, pod_event },	/* manifests */
	{ MSG_API_POD_REFUSED, 0, IPC_F_ANYSTATE, parent_refused },
	APICLIENT_PARENT_ROWS
	WORKER_TEST_HOOK_ROW
};

static const struct ipc_dispatch executor_tab[] = {
	{ MSG_POD_DESIRED, 0, IPC_F_ANYSTATE, exec_desired },
	{ MSG_POD_STATUS, 0, IPC_F_ANYSTATE, exec_status },
	{ MSG_POD_GONE, 0, IPC_F_ANYSTATE, exec_gone },
	{ MSG_PODS_SYNCED, 0, IPC_F_ANYSTATE, exec_synced },
	{ MSG_POD_EVENT, 0, IPC_F_ANYSTATE, pod_event },
	{ MSG_NODE_INFO, 0, IPC_F_ANYSTATE, exec_node },
};

/*
 * A restarted executor gathers the facts anew; on the same boot the node
 * has been up since the first gathering, so its age and the conditions'
 * transition time keep that time (the executor's restart is no change of
 * the node's)
 */
static int
exec_node(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct node_facts f;

	if (nodewire_get(m, &f) == -1)
		return -1;
	if (node.gathered_ns != 0 && node.gathered_ns < f.gathered_ns &&
	    strcmp(node.boot_id, f.boot_id) == 0)
		f.gathered_ns = node.gathered_ns;
	node = f;
	apinode_facts(&node);
	return 0;
}

static int
exec_desired(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return podtable_desired(&pods, m);
}

/*
 * A status for a uid whose spec is not here is dropped with a log line,
 * not a protocol error: the executor sends a pod's spec before its first
 * status on every connection, so this is an executor bug, and ending the
 * executor for it (agentd would) costs a re-adoption of every pod for a
 * status the next resend repairs.  The status is level-triggered.
 */
static int
exec_status(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char uid[MSGB_POD_UID + 1], key[LOGRL_MAX_KEY];
	struct pod_entry *e;
	int rv;

	if ((rv = podtable_status(&pods, m, uid)) == PODTABLE_DROPPED) {
		snprintf(key, sizeof(key), "nospec:%s", uid);
		logrl_warnx(&loglimit, key, "status of pod uid %s dropped: "
		    "its spec was not sent", uid);
		return 0;
	}
	if (rv == 0 && (e = podtable_find_uid(&pods, uid)) != NULL)
		apipods_status(&e->spec, podtable_report(e));
	return rv;
}

/* the API server hears of it before the entry goes (apipods_gone) */
static int
exec_gone(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char uid[MSGB_POD_UID + 1];
	struct pod_entry *e;
	size_t off = m->off;

	if (ipc_get_str(m, uid, sizeof(uid)) == 0 && ipc_get_end(m) == 0 &&
	    (e = podtable_find_uid(&pods, uid)) != NULL)
		apipods_gone(&e->spec);
	m->off = off;
	return podtable_gone(&pods, m);
}

static int
exec_synced(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	uint32_t n;

	size_t i;

	if (ipc_get_u32(m, &n) == -1 || ipc_get_end(m) == -1)
		return -1;
	for (i = 0; i < pods.n; i++)
		if (pods.e[i]->stale)
			apipods_gone(&pods.e[i]->spec);
	podtable_sweep_stale(&pods);
	return 0;
}

static int
pod_event(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct pod_event e;

	if (evring_get(m, &e) == -1)
		return -1;
	/* the executor speaks of pods only, agentd of manifests only */
	if (strcmp(e.kind, c == env.parent ? "Manifest" : "Pod") != 0)
		return -1;
	evring_merge(&events, &e, pod_now_ns());
	return 0;
}

/* an API pod the watcher refused: apipods marks it Failed */
static int
parent_refused(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct pod_refused r;

	if (refusedwire_get(m, &r) == -1)
		return -1;
	apipods_refused(r.ns, r.name, r.uid, r.field, r.reason);
	return 0;
}

/*
 * filter "" or "ns/name": the events of the pods of that name, oldest
 * first; with uid, of that pod alone (kubectl describe selects by
 * involvedObject.uid: a replaced pod's events are not its successor's)
 */
static size_t
select_events(const char *filter, const char *uid, int64_t since_ns,
    const struct pod_event **out)
{
	char ns[POD_MAX_NAME + 1], *name = NULL;
	const struct pod_event *e;
	size_t i, n = 0;

	snprintf(ns, sizeof(ns), "%s", filter);
	if ((name = strchr(ns, '/')) != NULL)
		*name++ = '\0';
	for (i = 0; i < events.n; i++) {
		e = &events.ev[i];
		if (e->seen_ns <= since_ns)
			continue;
		if (name != NULL && (strcmp(e->kind, "Pod") != 0 ||
		    strcmp(e->namespace, ns) != 0 ||
		    strcmp(e->name, name) != 0))
			continue;
		if (uid != NULL && strcmp(e->uid, uid) != 0)
			continue;
		out[n++] = e;
	}
	events_sort(out, n);
	return n;
}

/* "SINCE_NS[ ns/name]" -> "NEXT_SINCE_NS\n" and the rows changed since */
static char *
render_watch(const char *filter, const struct pod_event **sel, char *err,
    size_t errlen)
{
	char head[32], *rows, *text;
	long long since;
	const char *rest;
	int64_t now = pod_now_ns();
	size_t n;

	since = strtoll(filter, NULL, 10);
	rest = strchr(filter, ' ');
	n = select_events(rest ? rest + 1 : "", NULL, since, sel);
	if ((rows = events_table((const struct pod_event *const *)sel, n, now,
	    since == 0)) == NULL)
		return NULL;
	snprintf(head, sizeof(head), "%lld\n", (long long)now);
	if ((text = malloc(strlen(head) + strlen(rows) + 1)) != NULL) {
		memcpy(text, head, strlen(head));
		memcpy(text + strlen(head), rows, strlen(rows) + 1);
	}
	free(rows);
	return text;
}

/* "ns/name" into ns and name; -1 (with err) if it is not that */
static int
split_name(const char *filter, char *ns, size_t nslen, char **name,
    char *err, size_t errlen)
{
	if (snprintf(ns, nslen, "%s", filter) >= (int)nslen) {
		snprintf(err, errlen, "no such pod: the name is too long");
		return -1;
	}
	if ((*name = strchr(ns, '/')) == NULL) {
		snprintf(err, errlen, "pod must be NAMESPACE/NAME");
		return -1;
	}
	*(*name)++ = '\0';
	return 0;
}

/* one pod as `kubectl describe pod` shows it, with its own events */
static char *
describe_one(const struct pod_entry *e, const char *filter,
    const struct pod_event **sel)
{
	cJSON *doc;
	char *text;
	size_t n;

	if ((doc = podstatus_pod_json(&e->spec, podtable_report(e),
	    pod_now_ns())) == NULL)
		return NULL;
	n = select_events(filter, e->spec.uid, -1, sel);
	text = events_describe_pod(doc, (const struct pod_event *const *)sel,
	    n, pod_now_ns());
	cJSON_Delete(doc);
	return text;
}

/*
 * Every pod of that name, the current one first: while a replaced pod
 * terminates there are two (more after quick edits), told apart by their
 * Status (Terminating), start time, annotations (a static pod's config
 * hash is its uid) and events; a blank line between them, as kubectl
 * describes several.  REPORTER_MAX_NAMESAKES bounds the reply.
 */
static char *
render_describe(const char *filter, const struct pod_event **sel, char *err,
    size_t errlen)
{
	struct pod_entry *match[REPORTER_MAX_NAMESAKES];
	char ns[POD_MAX_NAME + 1], *name, *text = NULL, *one, *grown;
	size_t i, n, len = 0, olen;

	if (split_name(filter, ns, sizeof(ns), &name, err, errlen) == -1)
		return NULL;
	if ((n = podtable_find_name(&pods, ns, name, match,
	    nitems(match))) == 0) {
		snprintf(err, errlen, "no such pod %.*s", REPORTER_ERR_NAME,
		    filter);
		return NULL;
	}
	for (i = 0; i < n && i < nitems(match); i++) {
		if ((one = describe_one(match[i], filter, sel)) == NULL)
			break;
		olen = strlen(one);
		if ((grown = realloc(text, len + olen + 2)) == NULL) {
			free(one);
			break;
		}
		text = grown;
		if (len > 0)
			text[len++] = '\n';
		memcpy(text + len, one, olen + 1);
		len += olen;
		free(one);
	}
	if (i < n && i < nitems(match)) {
		free(text);	/* out of memory: no partial answer */
		return NULL;
	}
	return text;
}

static char *
render_events(uint32_t kind, const char *filter, char *err, size_t errlen)
{
	static const struct pod_event *sel[EVRING_MAX];
	char *text = NULL;
	cJSON *doc;
	size_t n;

	if (kind == QUERY_EVENTS_WATCH)
		return render_watch(filter, sel, err, errlen);
	if (kind == QUERY_POD_DESCRIBE)
		return render_describe(filter, sel, err, errlen);
	n = select_events(filter, NULL, -1, sel);
	if (kind == QUERY_EVENTS_TABLE)
		return n == 0 ? strdup("No events found.\n") :
		    events_table((const struct pod_event *const *)sel, n,
		    pod_now_ns(), 1);
	if ((doc = events_list_json((const struct pod_event *const *)sel, n,
	    env.conf.node_name)) == NULL)
		return NULL;
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

/* a new executor resends everything; what it omits is gone */
static void
executor_connected(void)
{
	podtable_mark_stale(&pods);
}

static const struct worker_peer peers[] = {
	{ ROLE_EXECUTOR, executor_tab, nitems(executor_tab),
	    executor_connected },
};

static int
parent_peer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return worker_peer_accept(&env, m, peers, nitems(peers));
}

/*
 * The JSON of a pod is larger than its podwire form (every string is in
 * both, JSON adds names and quotes): past REPORTER_MAX_REPLY of podwire
 * the list is refused before it is rendered, which for 500 MiB would take
 * longer than the heartbeat allows.
 */
static int
podlist_too_large(char *err, size_t errlen)
{
	size_t i, sum = 0;

	for (i = 0; i < pods.n; i++)
		sum += pods.e[i]->spec_len + pods.e[i]->report_len;
	if (sum <= REPORTER_MAX_REPLY)
		return 0;
	snprintf(err, errlen, "the reply would be more than %zu bytes, more "
	    "than the %d a reply may have: ask for one pod (get pod "
	    "NAMESPACE/NAME) or the table", sum, REPORTER_MAX_REPLY);
	return 1;
}

/*
 * the v1.Node or its table, once the executor has said what it is;
 * filter "" or the node's name
 */
static char *
render_node(uint32_t kind, const char *filter, char *err, size_t errlen)
{
	struct node_conf nc = { env.conf.node_name, env.conf.node_ips,
	    env.conf.max_pods };
	char *text = NULL;
	cJSON *doc;

	/* kubectl's words for a node that is not there */
	if (filter[0] != '\0' && strcmp(filter, env.conf.node_name) != 0) {
		snprintf(err, errlen, "node \"%.*s\" not found",
		    REPORTER_ERR_NAME, filter);
		return NULL;
	}
	if (node.gathered_ns == 0) {
		snprintf(err, errlen, "node %.*s: no facts from the executor "
		    "yet", REPORTER_ERR_NAME, env.conf.node_name);
		return NULL;
	}
	if (kind == QUERY_NODE_TABLE)
		return nodestatus_table(&node, &nc, pod_now_ns());
	if ((doc = nodestatus_node_json(&node, &nc, pod_now_ns())) != NULL) {
		text = cJSON_Print(doc);
		cJSON_Delete(doc);
	}
	return text;
}

static char *
render(uint32_t kind, const char *filter, char *err, size_t errlen)
{
	static const struct pod *specs[MAX_PODS];
	static const struct pod_report *reports[MAX_PODS];
	char ns[POD_MAX_NAME + 1], *name, *text = NULL;
	struct pod_entry *e;
	cJSON *doc;
	size_t i;

	for (i = 0; i < pods.n; i++) {
		specs[i] = &pods.e[i]->spec;
		reports[i] = podtable_report(pods.e[i]);
	}
	switch (kind) {
	case QUERY_POD_TABLE:
		return podstatus_table(specs, reports, pods.n, pod_now_ns());
	case QUERY_POD_TABLE_WIDE:
		return podstatus_table_wide(specs, reports, pods.n,
		    pod_now_ns());
	case QUERY_EVENTS_TABLE:
	case QUERY_EVENTS_JSON:
	case QUERY_EVENTS_WATCH:
	case QUERY_POD_DESCRIBE:
		return render_events(kind, filter, err, errlen);
	case QUERY_NODE_TABLE:
	case QUERY_NODE_JSON:
		return render_node(kind, filter, err, errlen);
	}
	if (kind == QUERY_PODLIST_JSON && podlist_too_large(err, errlen))
		return NULL;
	if (kind == QUERY_PODLIST_JSON)
		doc = podstatus_podlist_json(specs, reports, pods.n,
		    pod_now_ns());
	else {
		/* one pod by name: the current one (`get pods` lists all) */
		if (split_name(filter, ns, sizeof(ns), &name, err, errlen) ==
		    -1)
			return NULL;
		if (podtable_find_name(&pods, ns, name, &e, 1) == 0) {
			snprintf(err, errlen, "pod %.*s not found",
			    REPORTER_ERR_NAME, filter);
			return NULL;
		}
		doc = podstatus_pod_json(&e->spec, podtable_report(e),
		    pod_now_ns());
	}
	if (doc != NULL) {
		text = cJSON_Print(doc);
		cJSON_Delete(doc);
	}
	if (text == NULL)
		snprintf(err, errlen, "out of memory");
	return text;
}

/* agentd's view of the pod network: API mode's Ready condition */
static int
parent_network(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char reason[MSGB_API_ERROR + 1];
	uint32_t ready;

	if (ipc_get_u32(m, &ready) == -1 || ready > 1 ||
	    ipc_get_str(m, reason, sizeof(reason)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	apinode_set_network_ready(ready, reason);
	return 0;
}

static int
parent_query(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char filter[MSGB_QUERY_FILTER + 1], err[256] = "";
	uint32_t kind;
	char *text;

	if (ipc_get_u32(m, &kind) == -1 ||
	    ipc_get_str(m, filter, sizeof(filter)) == -1 ||
	    ipc_get_end(m) == -1 || kind < QUERY_PODLIST_JSON ||
	    kind > QUERY_KIND_MAX)
		return -1;
	if ((text = render(kind, filter, err, sizeof(err))) == NULL) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "out of memory");
		return worker_reply_end(&env, m->id, 1, err) == -1 ? -1 : 0;
	}
	if (strlen(text) > REPORTER_MAX_REPLY) {
		snprintf(err, sizeof(err), "the reply would be %zu bytes, more "
		    "than the %d a reply may have: ask for one pod (get pod "
		    "NAMESPACE/NAME) or the table", strlen(text),
		    REPORTER_MAX_REPLY);
		free(text);
		return worker_reply_end(&env, m->id, 1, err) == -1 ? -1 : 0;
	}
	worker_reply_text(&env, m->id, text);
	free(text);
	return worker_reply_end(&env, m->id, 0, NULL) == -1 ? -1 : 0;
}

/*
 * API mode is on and agentd's MSG_API_CREDS is in: the Node, then what
 * the executor has said so far (apipods keeps nothing before this, so
 * standalone mode costs it no memory)
 */
static void
api_ready(void)
{
	size_t i;

	apinode_start();
	apipods_start();
	for (i = 0; i < pods.n; i++)
		if (pods.e[i]->has_report)
			apipods_status(&pods.e[i]->spec,
			    podtable_report(pods.e[i]));
}

int
main(int argc, char *argv[])
{
	worker_init(&env, ROLE_REPORTER, parent_tab, nitems(parent_tab));
	if (env.conf.kubeconfig[0] != '\0')
		apiclient_init();	/* OpenSSL, before the chroot */
	node_conf.name = env.conf.node_name;
	node_conf.node_ips = env.conf.node_ips;
	node_conf.max_pods = env.conf.max_pods;
	apinode_init(env.base, &node_conf);
	apipods_init(env.base, env.conf.node_name);
	apinode_on_registered(apipods_node_registered);
	apiclient_on_ready(&env, api_ready);
	worker_sandbox(&env.conf, env.role);
	worker_run(&env);
	return 0;
}
