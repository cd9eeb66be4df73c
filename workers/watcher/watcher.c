/*
 * agentd-watcher: the only process that parses pod manifests.
 *
 * It runs as the privsep user in an empty chroot under a deny-by-default
 * seccomp filter.  agentd hands it the static pod directory as raw bytes
 * (MANIFEST_BEGIN, FILE..., END); it turns each file into the normalized
 * pod model, reports what it must reject (file, field, reason), and sends
 * the executor the complete desired pod set in the binary podwire
 * encoding.  The set is level-triggered: it is resent whole after every
 * scan and whenever the executor channel is (re)connected, so a restart of
 * either side converges without any replay log.
 *
 * In API mode (the credentials arrive, apiclient_on_ready) the pods bound
 * to this node in the API server are a second source (apisource.c); the
 * set is both, merged (podsnap.c), and is sent again whenever either
 * changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/sha.h>

#include "apiclient.h"
#include "apisource.h"
#include "ipc.h"
#include "log.h"
#include "manifest.h"
#include "pod.h"
#include "refusedwire.h"
#include "sandbox.h"
#include "worker.h"

#define SCAN_IDLE	0	/* parent channel states */
#define SCAN_RUNNING	1
#define SCAN_HANDING	2	/* END seen, pod set not yet queued: agentd
				   must wait for MSG_MANIFEST_DONE */
#define ST_IDLE		(1u << SCAN_IDLE)
#define ST_RUNNING	(1u << SCAN_RUNNING)

/* one manifest file as last seen; parsing is skipped when unchanged */
struct manifest_entry {
	char			 name[MANIFEST_MAX_NAME + 1];
	uint8_t			 digest[SHA256_DIGEST_LENGTH];
	int			 ok;		/* pod valid */
	int			 dup_reported;	/* said once per content */
	struct podref		*ref;		/* ok: the pod */
	uint32_t		 seen_gen;
};

static struct worker_env	 env;
static struct manifest_entry	*entries[MANIFEST_MAX_FILES];
static size_t			 nentries;
static uint32_t			 scan_gen;
static uint32_t			 podset_gen;
static int			 have_scan;	/* a full scan has arrived */
static int			 scanning;	/* between MANIFEST_BEGIN and END:
						   entries[] is half new */

static int	parent_peer(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_begin(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_file(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_end(struct ipc_chan *, struct ipc_msg *, void *);

static const struct ipc_dispatch parent_tab[] = {
	{ MSG_PING, 0, IPC_F_ANYSTATE, worker_ping },
	{ MSG_SHUTDOWN, 0, IPC_F_ANYSTATE, worker_shutdown },
	{ MSG_PEER_CONNECT, IPC_F_FD, IPC_F_ANYSTATE, parent_peer },
	{ MSG_MANIFEST_BEGIN, 0, ST_IDLE, parent_begin },
	{ MSG_MANIFEST_FILE, 0, ST_RUNNING, parent_file },
	{ MSG_MANIFEST_END, 0, ST_RUNNING, parent_end },
	APICLIENT_PARENT_ROWS
	WORKER_TEST_HOOK_ROW
};

static void
send_reject(const char *file, const char *field, const char *reason)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_MANIFEST_REJECT, 0);
	ipc_put_str(&m, file);
	ipc_put_str(&m, field);
	ipc_put_str(&m, reason);
	ipc_send(env.parent, &m);
}

/* the reporter marks it Failed, through agentd */
static void
send_api_refused(const char *ns, const char *name, const char *uid,
    const char *field, const char *reason)
{
	struct pod_refused r;
	struct ipc_msg m;

	/* cut to the decoder's bounds rather than end in a violation */
	snprintf(r.ns, sizeof(r.ns), "%s", ns);
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.uid, sizeof(r.uid), "%s", uid);
	snprintf(r.field, sizeof(r.field), "%s", field);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	refusedwire_put(&m, &r);
	ipc_send(env.parent, &m);
}

static struct manifest_entry *
entry_find(const char *name)
{
	size_t i;

	for (i = 0; i < nentries; i++)
		if (strcmp(entries[i]->name, name) == 0)
			return entries[i];
	return NULL;
}

static void
entry_free(struct manifest_entry *e)
{
	podref_drop(e->ref);
	free(e);
}

static struct manifest_entry *
entry_get(const char *name)
{
	struct manifest_entry *e;

	if ((e = entry_find(name)) != NULL)
		return e;
	if (nentries >= MANIFEST_MAX_FILES || (e = calloc(1, sizeof(*e))) ==
	    NULL)
		return NULL;
	snprintf(e->name, sizeof(e->name), "%s", name);
	entries[nentries++] = e;
	return e;
}

/*
 * kubernetes.io/config.seen: when this uid was first seen, kept while the
 * file's edits keep the uid (a comment, a reformatting), as the kubelet's
 * config.go keeps it for a pod it already has; a new uid is a new pod
 */
static int
entry_seen(const struct manifest_entry *e, struct pod *p)
{
	char now[MANIFEST_SEEN_MAX];
	const char *old;

	if (e->ref != NULL && strcmp(e->ref->pod.uid, p->uid) == 0 &&
	    (old = manifest_static_seen_get(&e->ref->pod)) != NULL)
		return manifest_static_seen(p, old);
	if (manifest_seen_now(now, sizeof(now)) == -1)
		return -1;
	return manifest_static_seen(p, now);
}

static void
entry_parse(struct manifest_entry *e, const uint8_t *buf, size_t len)
{
	struct manifest_error err;
	char source[CONFIG_MAX_PATH + MANIFEST_MAX_NAME + 2];
	struct pod p;
	int parsed, seen = -1;

	e->dup_reported = 0;
	memset(&err, 0, sizeof(err));
	snprintf(source, sizeof(source), "%s/%s", env.conf.static_pod_path,
	    e->name);
	/* the old pod is still there to say whether its uid was seen */
	if ((parsed = manifest_parse_static(source, buf, len,
	    env.conf.node_name, &p, &err)) == 0)
		seen = entry_seen(e, &p);
	/* a set in flight holds its own reference to the old pod */
	podref_drop(e->ref);
	e->ref = NULL;
	e->ok = 0;
	if (parsed == -1) {
		/* agentd logs it (rate-limited) after auditing it */
		send_reject(e->name, err.field, err.reason);
		return;
	}
	if (seen == -1 || (e->ref = podref_new(&p)) == NULL) {
		pod_free(&p);
		send_reject(e->name, "", "out of memory");
		return;
	}
	e->ok = 1;
}

static int
parent_begin(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	if (ipc_get_u32(m, &scan_gen) == -1 || ipc_get_end(m) == -1)
		return -1;
	scanning = 1;
	ipc_chan_set_state(c, SCAN_RUNNING);
	return 0;
}

static int
parent_file(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char name[MANIFEST_MAX_NAME + 1];
	uint8_t digest[SHA256_DIGEST_LENGTH];
	struct manifest_entry *e;
	const uint8_t *buf;
	uint64_t mtime;
	size_t len;

	if (ipc_get_str(m, name, sizeof(name)) == -1 || name[0] == '\0' ||
	    strchr(name, '/') != NULL ||
	    ipc_get_u64(m, &mtime) == -1 ||
	    ipc_get_bytes_ref(m, &buf, MANIFEST_MAX_BYTES, &len) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	if ((e = entry_get(name)) == NULL) {
		send_reject(name, "file", "too many manifest files");
		return 0;
	}
	SHA256(buf, len, digest);
	/* unchanged bytes: keep the earlier verdict, report nothing again */
	if (e->seen_gen == 0 || memcmp(digest, e->digest, sizeof(digest))) {
		memcpy(e->digest, digest, sizeof(digest));
		entry_parse(e, buf, len);
	}
	e->seen_gen = scan_gen;
	return 0;
}

/* forget files that were not in this scan */
static void
prune_entries(void)
{
	size_t i = 0;

	while (i < nentries) {
		if (entries[i]->seen_gen != scan_gen) {
			log_info("%s removed", entries[i]->name);
			entry_free(entries[i]);
			entries[i] = entries[--nentries];
		} else
			i++;
	}
}

/*
 * The kubelet keeps the first of two files naming the same pod; two files
 * with one metadata.uid are one pod too (the executor would end a watcher
 * that sent a uid twice).  The reason for a rejection, or NULL.
 */
static const char *
is_duplicate(size_t upto, const struct pod *p)
{
	const struct pod *q;
	size_t i;

	for (i = 0; i < upto; i++) {
		if (!entries[i]->ok)
			continue;
		q = &entries[i]->ref->pod;
		if (strcmp(q->namespace, p->namespace) == 0 &&
		    strcmp(q->name, p->name) == 0)
			return "another manifest already defines this pod";
		if (strcmp(q->uid, p->uid) == 0)
			return "another manifest already has this uid";
	}
	return NULL;
}

static int
name_cmp(const void *a, const void *b)
{
	const struct manifest_entry *const *ea = a, *const *eb = b;

	return strcmp((*ea)->name, (*eb)->name);
}

/*
 * The pod set goes out paced (IPC_SEND_BUDGET at a time, the rest when the
 * executor has read it): 512 legal pods can be far more than a channel may
 * queue.  It is a snapshot (podsnap.c): its pods are references, valid
 * while the sources change under it, so a change (an API event, a scan)
 * while a set is on its way asks for another set after it, never a new
 * BEGIN inside it.  MANIFEST_DONE, agentd's go-ahead for the next scan,
 * goes when a set built after the scan is queued whole.  A new executor
 * channel starts the set over.
 */
static struct {
	int		 sending;
	struct ipc_chan	*chan;		/* the channel the set is on */
	struct podsnap	 snap;
	size_t		 next;		/* snap.items[] index */
	uint32_t	 pods;
	int		 again;		/* a change came while sending */
	int		 done_owed;	/* a scan waits for MSG_MANIFEST_DONE */
	uint32_t	 done_gen;
	int		 snap_done;	/* this set carries that scan */
	uint32_t	 flood;		/* test hook: sets still to send */
} ps;

static struct podsnap_static	 statics[MANIFEST_MAX_FILES];

static void
podset_done(void)
{
	struct ipc_msg m;

	if (!ps.done_owed)
		return;
	ipc_msg_init(&m, MSG_MANIFEST_DONE, 0);
	ipc_put_u32(&m, ps.done_gen);
	ipc_send(env.parent, &m);
	ps.done_owed = 0;
	ipc_chan_set_state(env.parent, SCAN_IDLE);
}

static void
podset_begin(struct ipc_chan *ex)
{
	struct ipc_msg m;
	size_t i, n = 0;

	/* the first of each namespace/name, in file name order */
	for (i = 0; i < nentries; i++)
		if (entries[i]->ok &&
		    is_duplicate(i, &entries[i]->ref->pod) == NULL) {
			statics[n].ref = entries[i]->ref;
			statics[n++].file = entries[i]->name;
		}
	podsnap_clear(&ps.snap);
	podsnap_build(&ps.snap, statics, n);
	podset_gen++;
	ipc_msg_init(&m, MSG_PODSET_BEGIN, podset_gen);
	ipc_put_u32(&m, podset_gen);
	/* until the API source has listed, its pods missing from the set
	   are not to be stopped (kubelet's sourcesReady) */
	ipc_put_u32(&m, ps.snap.unsynced ? PODSET_F_API_UNSYNCED : 0);
	ipc_send(ex, &m);
	ps.sending = 1;
	ps.chan = ex;
	ps.next = 0;
	ps.pods = 0;
	ps.again = 0;
	ps.snap_done = ps.done_owed;
}

/* 1 when the set is complete, 0 when the rest waits for the queue to drain */
static int
podset_fill(struct ipc_chan *ex)
{
	struct podsnap_item *it;
	struct ipc_msg m;

	while (ps.next < ps.snap.n) {
		if (ipc_chan_queued(ex) >= IPC_SEND_BUDGET)
			return 0;
		it = &ps.snap.items[ps.next++];
		ipc_msg_init(&m, MSG_POD_SPEC, podset_gen);
		if (podwire_put_pod(&m, &it->ref->pod) == -1) {
			ipc_msg_free(&m);
			send_reject(it->file, "metadata", "pod is too large "
			    "to encode (more than 1 MiB in podwire)");
			continue;
		}
		if (ipc_send(ex, &m) == -1)
			return 0;	/* the channel failed: a new one resends */
		ps.pods++;
	}
	ipc_msg_init(&m, MSG_PODSET_END, podset_gen);
	ipc_put_u32(&m, podset_gen);
	ipc_put_u32(&m, ps.pods);
	ipc_send(ex, &m);
	ps.sending = 0;
	/* a pod's last spec went out: the next set leaves it out */
	if (podsnap_sent(&ps.snap))
		ps.again = 1;
	podsnap_clear(&ps.snap);
	log_debug("sent %u pods to the executor", ps.pods);
	if (ps.snap_done)
		podset_done();
	return 1;
}

static void
podset_pump(struct ipc_chan *ex, void *arg)
{
	if (ex != env.peers[ROLE_EXECUTOR])
		return;		/* an old channel's drain */
	for (;;) {
		if (!ps.sending)
			podset_begin(ex);
		if (!podset_fill(ex)) {
			if (env.peers[ROLE_EXECUTOR] == ex)
				ipc_chan_on_drain(ex, IPC_SEND_BUDGET / 2,
				    podset_pump, NULL);
			return;
		}
		if (ps.flood > 0) {
			ps.flood--;
			continue;
		}
		if (!ps.again)
			break;
	}
}

static void
send_podset(void)
{
	struct ipc_chan *ex = env.peers[ROLE_EXECUTOR];

	if (scanning)
		return;		/* its END sends the set */
	if (ex != NULL && ps.sending && ps.chan == ex) {
		ps.again = 1;	/* after the one on its way */
		return;
	}
	ps.sending = 0;		/* a set in flight was on an older channel */
	if (ex == NULL || !have_scan) {
		podset_done();	/* the executor gets it when it connects */
		return;
	}
	podset_pump(ex, NULL);
}

static void
report_duplicates(void)
{
	const char *why;
	size_t i;

	for (i = 0; i < nentries; i++)
		if (entries[i]->ok && !entries[i]->dup_reported &&
		    (why = is_duplicate(i, &entries[i]->ref->pod)) != NULL) {
			send_reject(entries[i]->name, strstr(why, "uid") ?
			    "metadata.uid" : "metadata.name", why);
			entries[i]->dup_reported = 1;
		}
}

static int
parent_end(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	uint32_t gen, files;

	if (ipc_get_u32(m, &gen) == -1 || ipc_get_u32(m, &files) == -1 ||
	    ipc_get_end(m) == -1 || gen != scan_gen)
		return -1;
	ipc_chan_set_state(c, SCAN_HANDING);
	scanning = 0;
	ps.done_owed = 1;
	ps.done_gen = gen;
	prune_entries();
	qsort(entries, nentries, sizeof(entries[0]), name_cmp);
	report_duplicates();
	have_scan = 1;
	send_podset();
	return 0;
}

/* the executor sends the watcher nothing: an empty table */
static const struct worker_peer peers[] = {
	{ ROLE_EXECUTOR, NULL, 0, send_podset },
};

static int
parent_peer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return worker_peer_accept(&env, m, peers, nitems(peers));
}

/* ------------------------------------------------------------------ */
/* the API source's hooks                                              */

/*
 * API events come in bursts (a relist, a deployment scaled): one set per
 * API_SET_COALESCE_MS carries them all, instead of one per read.
 */
#define API_SET_COALESCE_MS	10

static struct event	*api_timer, *api_set_timer;

static void
api_set_cb(evutil_socket_t fd, short ev, void *arg)
{
	send_podset();
}

static void
api_changed(void)
{
	struct timeval tv = { 0, API_SET_COALESCE_MS * 1000 };

	if (evtimer_pending(api_set_timer, NULL))
		return;
	if (evtimer_add(api_set_timer, &tv) == -1)
		fatalx("evtimer_add");
}

static uint64_t
api_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t
api_random(void)
{
	return arc4random();
}

static void
api_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	apisource_timer();
}

static void
api_arm(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(api_timer, &tv) == -1)
		fatalx("evtimer_add");
}

static const struct apisource_hooks api_hooks = {
	.changed = api_changed,
	.reject = send_reject,
	.refused = send_api_refused,
	.now_ms = api_now_ms,
	.random = api_random,
	.arm = api_arm,
};

/* the credentials are in: API mode is on */
static void
api_ready(void)
{
	if (api_timer == NULL &&
	    ((api_timer = evtimer_new(env.base, api_timer_cb, NULL)) == NULL ||
	    (api_set_timer = evtimer_new(env.base, api_set_cb, NULL)) == NULL))
		fatalx("evtimer_new");
	if (apisource_start(env.conf.node_name, &api_hooks) == -1) {
		log_warnx("API mode: the pod source could not start; static "
		    "pods only");
		return;
	}
	log_info("API mode: watching the pods of node %s at %s",
	    env.conf.node_name, apiclient_server());
	/* from now on a set says whether the API pods are listed yet */
	send_podset();
}

#ifdef AGENTD_TEST_HOOKS
static void
watcher_test_hook(struct worker_env *we, uint32_t hook)
{
	if (hook != TEST_HOOK_PODSET_FLOOD || env.peers[ROLE_EXECUTOR] ==
	    NULL || !have_scan)
		return;
	ps.flood += TEST_PODSET_FLOOD;
	if (!ps.sending)
		podset_pump(env.peers[ROLE_EXECUTOR], NULL);
}
#endif

int
main(int argc, char *argv[])
{
	worker_init(&env, ROLE_WATCHER, parent_tab, nitems(parent_tab));
#ifdef AGENTD_TEST_HOOKS
	env.role_test_hook = watcher_test_hook;
#endif
	if (env.conf.kubeconfig[0] != '\0') {
		apiclient_init();	/* OpenSSL, before the chroot */
		/* until the API pods are listed, no set may stop them */
		apisource_expect();
	}
	apiclient_on_ready(&env, api_ready);
	worker_sandbox(&env.conf, env.role);
	log_info("watching %s for node %s", env.conf.static_pod_path,
	    env.conf.node_name);
	worker_run(&env);
	return 0;
}
