/*
 * agentd-watcher-fake: a compromised watcher for the system tests of
 * issue 8.  Built only in the test build (build-test/tests/tools/), and
 * installed by the tests as `agentd-watcher` in a libexecDir of their own.
 *
 * It starts exactly as the watcher does: agentd's checks (worker_init),
 * the configuration from its memfd and the real sandbox (worker_sandbox,
 * the watcher's seccomp filter), then speaks the real IPC and podwire.
 * Like the watcher it receives the static directory from agentd and turns
 * each manifest into a pod with the real parser, so a test can run a real
 * pod first.  When the directory also holds a file named "attack.json"
 * (ignored as a manifest), its first line names one attack, replayed after
 * every podset and on every (re)connect until the test removes the file:
 *
 *	fault-executor	MSG_PEER_FAULT naming the executor (row 1)
 *	fault-reporter	MSG_PEER_FAULT naming the reporter (row 1)
 *	uid128		a pod whose uid is exactly POD_MAX_UID bytes (row 2)
 *	uid129		one byte more
 *	name244		a 244-character pod name (row 2: log directory)
 *	ns64		a 64-character namespace (row 2)
 *	flood N		N policy-denied pods of about 1 MiB each (row 3)
 *	ctlbytes	control bytes in a pod name and a rejected file's
 *			name, and a forged table row (row 7)
 *	dupuid		two pods with one uid in one podset (item 5)
 *	fixeduid	not an attack: every real pod's uid is derived from
 *			its namespace/name only, as an API-server pod keeps
 *			its uid when its spec is edited (the static uid is a
 *			hash of the manifest), so that an edited manifest
 *			arrives as the same pod with a changed spec (issue 9,
 *			item 4: tests/system/test_identity.py)
 *	sysctls		pods with sysctls the real watcher refuses: a
 *			net.* one with hostNetwork, an IPC one with hostIPC, a
 *			sysctl of no namespace, a name that climbs out of
 *			/proc/sys/net, a value with a newline (issue 14:
 *			tests/system/test_sysctls.py)
 *	apiconnect N	N MSG_API_CONNECT, at most APIGRANT_MAX_INPROGRESS
 *			unanswered at a time (issue 12: test_apigrant.py)
 *	apiburst N	N MSG_API_CONNECT at once
 *	authflood N	N MSG_API_AUTH claims at once, each with another
 *			reason, refused and accepted in turn (test_apigrant.py)
 *
 * In API mode it accepts MSG_API_CREDS and MSG_API_SIGNER and logs them;
 * each MSG_API_SOCKET is logged with its fd, which it keeps open (the
 * test finds the connection's peer through /proc), each MSG_API_REFUSED
 * with its error.  An API attack runs once per attack file content, in
 * standalone mode too (where asking is a protocol violation).
 *	api		not an attack: every real pod whose name starts
 *			with "api" has source "api", as if the API server
 *			had sent it (issue 12: tests/system/test_podsources.py)
 *	api-unsynced	the same, and every set says PODSET_F_API_UNSYNCED:
 *			the API source has not listed yet
 *	badflags	a set whose PODSET_BEGIN has a flag no one defined
 *
 * Attack pods are shallow copies of the first real pod with their
 * identity replaced, so they need one manifest in the directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditfmt.h"
#include "apiclient.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"
#include "manifest.h"
#include "pod.h"
#include "sandbox.h"
#include "worker.h"

#define SCAN_IDLE	0
#define SCAN_RUNNING	1
#define ST_IDLE		(1u << SCAN_IDLE)
#define ST_RUNNING	(1u << SCAN_RUNNING)

#define ATTACK_FILE	"attack.json"
#define MAX_FAKE_PODS	16
#define FLOOD_ANNOTS	60		/* of POD_MAX_META */
#define FLOOD_VALUE	(16 * 1024 - 1)	/* POD_MAX_ANNOT_VALUE - 1 */
#define FIXED_UID_HEX	32		/* of the sha256 of "ns/name" */
#define API_INFLIGHT	4		/* APIGRANT_MAX_INPROGRESS */
#define API_KEEP_FDS	256		/* granted sockets kept open */

static struct worker_env	 env;
static struct pod		 pods[MAX_FAKE_PODS];
static size_t			 npods, nnext;
static struct pod		 next[MAX_FAKE_PODS];	/* the scan under way */
static char			 attack[64], attack_next[64];
static uint32_t			 scan_gen, podset_gen;
static int			 have_scan;
/* API mode */
static char			 api_attack[64];	/* the one run */
static unsigned long		 api_want, api_sent, api_answered;
static int			 api_fds[API_KEEP_FDS];
static size_t			 api_nfds;

static int	parent_peer(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_begin(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_file(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_end(struct ipc_chan *, struct ipc_msg *, void *);
static void	api_attack_start(void);
static int	api_creds_msg(struct ipc_chan *, struct ipc_msg *, void *);
static int	api_signer_msg(struct ipc_chan *, struct ipc_msg *, void *);
static int	api_socket_msg(struct ipc_chan *, struct ipc_msg *, void *);
static int	api_refused_msg(struct ipc_chan *, struct ipc_msg *, void *);

static const struct ipc_dispatch parent_tab[] = {
	{ MSG_PING, 0, IPC_F_ANYSTATE, worker_ping },
	{ MSG_SHUTDOWN, 0, IPC_F_ANYSTATE, worker_shutdown },
	{ MSG_PEER_CONNECT, IPC_F_FD, IPC_F_ANYSTATE, parent_peer },
	{ MSG_MANIFEST_BEGIN, 0, ST_IDLE, parent_begin },
	{ MSG_MANIFEST_FILE, 0, ST_RUNNING, parent_file },
	{ MSG_MANIFEST_END, 0, ST_RUNNING, parent_end },
	/* the rows of APICLIENT_PARENT_ROWS, with the fake's handlers */
	{ MSG_API_CREDS, IPC_F_ONCE, IPC_F_ANYSTATE, api_creds_msg },
	{ MSG_API_SIGNER, IPC_F_FD | IPC_F_ONCE, IPC_F_ANYSTATE,
	    api_signer_msg },
	{ MSG_API_SOCKET, IPC_F_FD, IPC_F_ANYSTATE, api_socket_msg },
	{ MSG_API_REFUSED, 0, IPC_F_ANYSTATE, api_refused_msg },
	WORKER_TEST_HOOK_ROW
};

/* blocking: a flood is larger than IPC_MAX_QUEUED */
static int
to_executor(struct ipc_msg *m)
{
	struct ipc_chan *ex = env.peers[ROLE_EXECUTOR];

	if (ex == NULL) {
		ipc_msg_free(m);
		return -1;
	}
	if (ipc_write_msg(ipc_chan_fd(ex), m) == -1) {
		log_warn("fake: write to the executor");
		return -1;
	}
	return 0;
}

static int
send_pod(const struct pod *p)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_POD_SPEC, podset_gen);
	if (podwire_put_pod(&m, p) == -1) {
		ipc_msg_free(&m);
		log_warnx("fake: pod too large to encode");
		return -1;
	}
	return to_executor(&m);
}

static void
send_fault(enum proc_role role)
{
	struct ipc_msg m;

	log_warnx("fake: accusing the %s", role_name(role));
	ipc_msg_init(&m, MSG_PEER_FAULT, 0);
	ipc_put_u32(&m, role);
	ipc_put_str(&m, "forged by a compromised watcher");
	ipc_send(env.parent, &m);
}

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

static char *
repeat(int c, size_t n)
{
	char *s;

	if ((s = malloc(n + 1)) == NULL)
		fatal("malloc");
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* a copy of the first real pod with another identity (borrowed fields) */
static struct pod
variant(const char *ns, const char *name, const char *uid)
{
	struct pod v = pods[0];

	v.namespace = (char *)ns;
	v.name = (char *)name;
	v.uid = (char *)uid;
	return v;
}

static int
send_variant(const char *ns, const char *name, const char *uid)
{
	struct pod v = variant(ns, name, uid);

	return send_pod(&v);
}

/* denied by the default node policy (hostNetwork), about 1 MiB each */
static void
flood(unsigned long n)
{
	static struct kv annots[FLOOD_ANNOTS];
	char keys[FLOOD_ANNOTS][16], name[64], uid[64], *value;
	struct pod v;
	unsigned long i;

	value = repeat('v', FLOOD_VALUE);
	for (i = 0; i < FLOOD_ANNOTS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "fill-%lu", i);
		annots[i].key = keys[i];
		annots[i].value = value;
	}
	log_warnx("fake: flooding %lu pods", n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "flood-%lu", i);
		snprintf(uid, sizeof(uid), "flood-uid-%lu", i);
		v = variant("default", name, uid);
		v.host_network = 1;
		v.annotations = annots;
		v.n_annotations = FLOOD_ANNOTS;
		if (send_pod(&v) == -1)
			break;
	}
	free(value);
}

/* one pod of the sysctls attack: name and value as the watcher never sends */
static void
send_sysctl_pod(const char *name, int hostnet, int hostipc, const char *key,
    const char *value)
{
	struct kv sc = { (char *)key, (char *)value };
	char uid[64];
	struct pod v;

	snprintf(uid, sizeof(uid), "%s-uid", name);
	v = variant("default", name, uid);
	v.host_network = hostnet;
	v.host_ipc = hostipc;
	v.psc.sysctls = &sc;
	v.psc.n_sysctls = 1;
	send_pod(&v);
}

static void
sysctl_attack(void)
{
	send_sysctl_pod("sc-hostnet", 1, 0, "net.ipv4.ip_local_port_range",
	    "40000 40001");
	send_sysctl_pod("sc-hostipc", 0, 1, "kernel.shm_rmid_forced", "1");
	send_sysctl_pod("sc-vm", 0, 0, "vm.overcommit_ratio", "51");
	send_sysctl_pod("sc-climb", 0, 0, "net/../../vm/overcommit_ratio",
	    "51");
	send_sysctl_pod("sc-newline", 0, 0, "net.ipv4.ip_local_port_range",
	    "40000 40001\n");
}

/* pods that belong inside the podset, after the real ones */
static void
attack_in_podset(void)
{
	unsigned long n;

	if (strcmp(attack, "uid128") == 0)
		send_variant("default", "uid128", repeat('u', POD_MAX_UID));
	else if (strcmp(attack, "uid129") == 0)
		send_variant("default", "uid129", repeat('u',
		    POD_MAX_UID + 1));
	else if (strcmp(attack, "name244") == 0)
		send_variant("default", repeat('n', 244),
		    "0123456789abcdef0123456789abcdef");
	else if (strcmp(attack, "ns64") == 0)
		send_variant(repeat('s', 64), "ns64", "ns64-uid");
	else if (strcmp(attack, "dupuid") == 0) {
		send_variant("default", "dup-a", "dup-uid");
		send_variant("default", "dup-b", "dup-uid");
	} else if (strcmp(attack, "ctlbytes") == 0) {
		log_warnx("fake: sending pod evil\x1b[2J\nforged line");
		send_reject("x\x1b[2J\nFORGED-REJECT.yaml", "metadata.name",
		    "r\x1b[2J\nFORGED-REASON");
		send_variant("default", "evil\x1b[2J\ndefault   forged   1/1   "
		    "Running", "ctl-uid");
	} else if (strcmp(attack, "sysctls") == 0)
		sysctl_attack();
	else if (strncmp(attack, "flood ", 6) == 0 &&
	    (n = strtoul(attack + 6, NULL, 10)) > 0)
		flood(n);
}

static void
send_podset(void)
{
	struct ipc_msg m;
	size_t i;

	if (env.peers[ROLE_EXECUTOR] == NULL || !have_scan)
		return;
	podset_gen++;
	ipc_msg_init(&m, MSG_PODSET_BEGIN, podset_gen);
	ipc_put_u32(&m, podset_gen);
	ipc_put_u32(&m, strcmp(attack, "api-unsynced") == 0 ?
	    PODSET_F_API_UNSYNCED : strcmp(attack, "badflags") == 0 ? 0x80 :
	    0);
	if (to_executor(&m) == -1)
		return;
	for (i = 0; i < npods; i++)
		if (send_pod(&pods[i]) == -1)
			return;
	if (npods > 0)
		attack_in_podset();
	ipc_msg_init(&m, MSG_PODSET_END, podset_gen);
	ipc_put_u32(&m, podset_gen);
	ipc_put_u32(&m, (uint32_t)npods);
	to_executor(&m);
	if (strcmp(attack, "fault-executor") == 0)
		send_fault(ROLE_EXECUTOR);
	else if (strcmp(attack, "fault-reporter") == 0)
		send_fault(ROLE_REPORTER);
}

/* fixeduid: the uid from the identity alone, the spec left out */
static void
fix_uids(void)
{
	char id[POD_MAX_NAMESPACE + POD_MAX_NAME + 2];
	char hex[AUDITFMT_HEX_LEN + 1], *uid;
	size_t i;

	for (i = 0; i < npods; i++) {
		snprintf(id, sizeof(id), "%s/%s", pods[i].namespace,
		    pods[i].name);
		auditfmt_sha256_hex(id, strlen(id), hex);
		if (asprintf(&uid, "fixed-%.*s", FIXED_UID_HEX, hex) == -1)
			fatal("asprintf");
		free(pods[i].uid);
		pods[i].uid = uid;
	}
}

/* api, api-unsynced: the pods named api* came from the API server */
static void
api_sources(void)
{
	size_t i;
	char *src;

	for (i = 0; i < npods; i++) {
		if (strncmp(pods[i].name, "api", 3) != 0)
			continue;
		if ((src = strdup("api")) == NULL)
			fatal("strdup");
		free(pods[i].source);
		pods[i].source = src;
	}
}

static int
parent_begin(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	if (ipc_get_u32(m, &scan_gen) == -1 || ipc_get_end(m) == -1)
		return -1;
	nnext = 0;
	attack_next[0] = '\0';
	ipc_chan_set_state(c, SCAN_RUNNING);
	return 0;
}

static int
parent_file(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char name[MANIFEST_MAX_NAME + 1], src[CONFIG_MAX_PATH + 300];
	struct manifest_error err;
	const uint8_t *buf;
	uint64_t mtime;
	size_t len, n;

	if (ipc_get_str(m, name, sizeof(name)) == -1 ||
	    ipc_get_u64(m, &mtime) == -1 ||
	    ipc_get_bytes_ref(m, &buf, MANIFEST_MAX_BYTES, &len) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	if (strcmp(name, ATTACK_FILE) == 0) {
		for (n = 0; n < len && n + 1 < sizeof(attack_next) &&
		    buf[n] != '\n'; n++)
			attack_next[n] = (char)buf[n];
		attack_next[n] = '\0';
		return 0;
	}
	if (nnext >= MAX_FAKE_PODS)
		return 0;
	snprintf(src, sizeof(src), "%s/%s", env.conf.static_pod_path, name);
	if (manifest_parse_static(src, buf, len, env.conf.node_name,
	    &next[nnext], &err) == 0)
		nnext++;
	else
		log_warnx("fake: %s: %s: %s", name, err.field, err.reason);
	return 0;
}

static int
parent_end(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct ipc_msg done;
	uint32_t gen, files;
	size_t i;

	if (ipc_get_u32(m, &gen) == -1 || ipc_get_u32(m, &files) == -1 ||
	    ipc_get_end(m) == -1 || gen != scan_gen)
		return -1;
	ipc_chan_set_state(c, SCAN_IDLE);
	for (i = 0; i < npods; i++)
		pod_free(&pods[i]);
	memcpy(pods, next, nnext * sizeof(pods[0]));
	npods = nnext;
	nnext = 0;
	memcpy(attack, attack_next, sizeof(attack));
	if (attack[0] != '\0')
		log_warnx("fake: attack %s", attack);
	if (strcmp(attack, "fixeduid") == 0)
		fix_uids();
	if (strncmp(attack, "api", 3) == 0)
		api_sources();
	have_scan = 1;
	send_podset();
	api_attack_start();
	/* the set is queued (the fake does not pace it): agentd may scan on */
	ipc_msg_init(&done, MSG_MANIFEST_DONE, 0);
	ipc_put_u32(&done, gen);
	ipc_send(env.parent, &done);
	return 0;
}

/* ---- API mode ---- */

static void
api_send_connect(void)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_API_CONNECT, 0);
	ipc_put_u32(&m, (uint32_t)++api_sent);
	ipc_send(env.parent, &m);
}

/* apiconnect: keep API_INFLIGHT asked; apiburst: ask for all at once */
static void
api_pump(void)
{
	int burst = strncmp(api_attack, "apiburst ", 9) == 0;

	while (api_sent < api_want &&
	    (burst || api_sent - api_answered < API_INFLIGHT))
		api_send_connect();
}

/* claims about the credentials, each unlike the one before */
static void
auth_flood(unsigned long n)
{
	char reason[64];
	struct ipc_msg m;
	unsigned long i;

	log_warnx("fake: %lu credential claims", n);
	for (i = 0; i < n; i++) {
		snprintf(reason, sizeof(reason), "forged refusal %lu", i);
		ipc_msg_init(&m, MSG_API_AUTH, 0);
		ipc_put_u32(&m, i % 2 ? APIAUTH_ACCEPTED : APIAUTH_REFUSED);
		ipc_put_str(&m, i % 2 ? "" : reason);
		ipc_send(env.parent, &m);
	}
}

static void
api_attack_start(void)
{
	unsigned long n;
	const char *arg;

	if (strncmp(attack, "authflood ", 10) == 0) {
		if (strcmp(attack, api_attack) != 0 &&
		    (n = strtoul(attack + 10, NULL, 10)) > 0) {
			memcpy(api_attack, attack, sizeof(api_attack));
			auth_flood(n);
		}
		return;
	}

	if (strncmp(attack, "apiconnect ", 11) == 0)
		arg = attack + 11;
	else if (strncmp(attack, "apiburst ", 9) == 0)
		arg = attack + 9;
	else
		return;
	/* without MSG_API_CREDS too: agentd must end it for asking */
	if (strcmp(attack, api_attack) == 0 ||
	    (n = strtoul(arg, NULL, 10)) == 0)
		return;
	memcpy(api_attack, attack, sizeof(api_attack));
	log_warnx("fake: asking for %lu API connections", n);
	api_want = api_sent + n;
	api_pump();
}

static int
api_creds_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char host[MSGB_API_HOST + 1], sni[MSGB_API_HOST + 1];
	char token[MSGB_API_TOKEN + 1];
	const uint8_t *ca, *cert;
	size_t ca_len, cert_len;
	uint32_t port, flags;

	if (ipc_get_str(m, host, sizeof(host)) == -1 ||
	    ipc_get_u32(m, &port) == -1 ||
	    ipc_get_str(m, sni, sizeof(sni)) == -1 ||
	    ipc_get_u32(m, &flags) == -1 ||
	    ipc_get_bytes_ref(m, &ca, MSGB_API_PEM, &ca_len) == -1 ||
	    ipc_get_bytes_ref(m, &cert, MSGB_API_PEM, &cert_len) == -1 ||
	    ipc_get_str(m, token, sizeof(token)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	log_warnx("fake: api creds host=%s port=%u flags=%u ca=%zu cert=%zu "
	    "token=%zu", host, (unsigned)port, (unsigned)flags, ca_len,
	    cert_len, strlen(token));
	return 0;
}

static int
api_signer_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	if (ipc_get_end(m) == -1)
		return -1;
	log_warnx("fake: api signer fd=%d", m->fd);
	close(ipc_take_fd(m));
	return 0;
}

static int
api_socket_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	uint32_t id;
	int fd;

	if (ipc_get_u32(m, &id) == -1 || ipc_get_end(m) == -1)
		return -1;
	fd = ipc_take_fd(m);
	log_warnx("fake: api socket id=%u fd=%d", (unsigned)id, fd);
	if (api_nfds < API_KEEP_FDS)
		api_fds[api_nfds++] = fd;
	else
		close(fd);
	api_answered++;
	api_pump();
	return 0;
}

static int
api_refused_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char error[MSGB_API_ERROR + 1];
	uint32_t id;

	if (ipc_get_u32(m, &id) == -1 ||
	    ipc_get_str(m, error, sizeof(error)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	log_warnx("fake: api refused id=%u: %s", (unsigned)id, error);
	api_answered++;
	api_pump();
	return 0;
}

static const struct worker_peer peers[] = {
	{ ROLE_EXECUTOR, NULL, 0, send_podset },
};

static int
parent_peer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return worker_peer_accept(&env, m, peers, nitems(peers));
}

int
main(int argc, char *argv[])
{
	worker_init(&env, ROLE_WATCHER, parent_tab, nitems(parent_tab));
	worker_sandbox(&env.conf, env.role);
	log_info("fake watcher (tests only) for node %s", env.conf.node_name);
	worker_run(&env);
	return 0;
}
