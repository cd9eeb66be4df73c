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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "apiclient.h"
#include "ipc.h"
#include "log.h"
#include "manifest.h"
#include "pod.h"
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
	struct pod		 pod;
	uint32_t		 seen_gen;
};

static struct worker_env	 env;
static struct manifest_entry	*entries[MANIFEST_MAX_FILES];
static size_t			 nentries;
static uint32_t			 scan_gen;
static uint32_t			 podset_gen;
static int			 have_scan;	/* a full scan has arrived */

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
	if (e->ok)
		pod_free(&e->pod);
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

static void
entry_parse(struct manifest_entry *e, const uint8_t *buf, size_t len)
{
	struct manifest_error err;
	char source[CONFIG_MAX_PATH + MANIFEST_MAX_NAME + 2];

	if (e->ok)
		pod_free(&e->pod);
	e->ok = 0;
	e->dup_reported = 0;
	memset(&err, 0, sizeof(err));
	snprintf(source, sizeof(source), "%s/%s", env.conf.static_pod_path,
	    e->name);
	if (manifest_parse_static(source, buf, len, env.conf.node_name,
	    &e->pod, &err) == -1) {
		/* agentd logs it (rate-limited) after auditing it */
		send_reject(e->name, err.field, err.reason);
		return;
	}
	e->ok = 1;
}

static int
parent_begin(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	if (ipc_get_u32(m, &scan_gen) == -1 || ipc_get_end(m) == -1)
		return -1;
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

/* the kubelet keeps the first of two files naming the same pod */
static int
is_duplicate(size_t upto, const struct pod *p)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (entries[i]->ok &&
		    strcmp(entries[i]->pod.namespace, p->namespace) == 0 &&
		    strcmp(entries[i]->pod.name, p->name) == 0)
			return 1;
	return 0;
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
 * queue.  The entries are not touched while a set is on its way, because
 * agentd sends no new scan before MSG_MANIFEST_DONE, which is sent when the
 * whole set is queued.  A new executor channel starts the set over.
 */
static struct {
	int		 sending;
	size_t		 next;		/* entries[] index */
	uint32_t	 pods;
	int		 done_owed;	/* a scan waits for MSG_MANIFEST_DONE */
	uint32_t	 done_gen;
	uint32_t	 flood;		/* test hook: sets still to send */
} ps;

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

	podset_gen++;
	ipc_msg_init(&m, MSG_PODSET_BEGIN, podset_gen);
	ipc_put_u32(&m, podset_gen);
	ipc_send(ex, &m);
	ps.sending = 1;
	ps.next = 0;
	ps.pods = 0;
}

/* 1 when the set is complete, 0 when the rest waits for the queue to drain */
static int
podset_fill(struct ipc_chan *ex)
{
	struct manifest_entry *e;
	struct ipc_msg m;

	while (ps.next < nentries) {
		if (ipc_chan_queued(ex) >= IPC_SEND_BUDGET)
			return 0;
		e = entries[ps.next];
		if (!e->ok || is_duplicate(ps.next, &e->pod)) {
			ps.next++;
			continue;
		}
		ps.next++;
		ipc_msg_init(&m, MSG_POD_SPEC, podset_gen);
		if (podwire_put_pod(&m, &e->pod) == -1) {
			ipc_msg_free(&m);
			send_reject(e->name, "metadata", "pod is too large "
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
	log_debug("sent %u pods to the executor", ps.pods);
	return 1;
}

static void
podset_pump(struct ipc_chan *ex, void *arg)
{
	for (;;) {
		if (!ps.sending)
			podset_begin(ex);
		if (!podset_fill(ex)) {
			if (env.peers[ROLE_EXECUTOR] == ex)
				ipc_chan_on_drain(ex, IPC_SEND_BUDGET / 2,
				    podset_pump, NULL);
			return;
		}
		if (ps.flood == 0)
			break;
		ps.flood--;
	}
	podset_done();
}

static void
send_podset(void)
{
	struct ipc_chan *ex = env.peers[ROLE_EXECUTOR];

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
	size_t i;

	for (i = 0; i < nentries; i++)
		if (entries[i]->ok && !entries[i]->dup_reported &&
		    is_duplicate(i, &entries[i]->pod)) {
			send_reject(entries[i]->name, "metadata.name",
			    "another manifest already defines this pod");
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
	if (env.conf.kubeconfig[0] != '\0')
		apiclient_init();	/* OpenSSL, before the chroot */
	worker_sandbox(&env.conf, env.role);
	log_info("watching %s for node %s", env.conf.static_pod_path,
	    env.conf.node_name);
	worker_run(&env);
	return 0;
}
