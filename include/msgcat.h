/*
 * The message catalog: every IPC message type, who sends it to whom, and its
 * payload.  include/msgschema.h holds the same as data (directions,
 * channels, fields and their bounds), which the dispatcher enforces and
 * docs/DESIGN.md's table is generated from.  Payload notation: u32, u64,
 * i64, str (u32 length + bytes, bounded), bytes (u32 length + bytes),
 * [x] = u32 count + x repeated, +fd = one descriptor passed with SCM_RIGHTS.
 *
 * The fixed fds of a worker are include/workerfd.h's.  Peer channels
 * between workers arrive as MSG_PEER_CONNECT with an fd, at start and after
 * any worker restart.
 */
#ifndef AGENTD_MSGCAT_H
#define AGENTD_MSGCAT_H

#include <stdint.h>

#define IPC_PROTO_VERSION	1

#define WORKER_ENV_MAGIC	"AGENTD_WORKER"	/* env var set by agentd */

enum proc_role {
	ROLE_PARENT = 0,
	ROLE_WATCHER = 1,
	ROLE_EXECUTOR = 2,
	ROLE_REPORTER = 3,
	ROLE_CONTROL = 4,	/* agentctl on the control socket */
	ROLE_NETPARSE = 5,	/* decodes CNI plugin results */
#ifdef AGENTD_TEST_HOOKS
	ROLE_NOOP = 6,		/* the dummy worker of test builds */
#endif
	ROLE_MAX
};

enum msg_type {
	/* any worker <-> parent */
	MSG_HELLO = 1,		/* W->P: u32 role, u32 version */
	MSG_PEER_CONNECT,	/* P->W: u32 peer role +fd */
	MSG_PING,		/* P->W: u64 seq */
	MSG_PONG,		/* W->P: u64 seq */
	MSG_SHUTDOWN,		/* P->W: (empty) finish and exit 0 */
	MSG_TEST_HOOK,		/* P->W: u32 hook, then that hook's u32
				   arguments (test builds only) */
	MSG_PEER_FAULT,		/* W->P: u32 peer role, str reason: the peer
				   broke the protocol; agentd kills it if
				   that peer sends to the reporter of it,
				   else the reporter (PEER_FAULT_MAX_REASON,
				   msgschema.h) */

	/* parent -> watcher: static manifest directory contents */
	MSG_MANIFEST_BEGIN = 20,	/* u32 generation */
	MSG_MANIFEST_FILE,	/* str name, u64 mtime_ns, bytes content */
	MSG_MANIFEST_END,	/* u32 generation, u32 files */
	/* watcher -> parent */
	MSG_MANIFEST_REJECT,	/* str file, str field, str reason */
	MSG_MANIFEST_DONE,	/* u32 generation: the scan's pod set is
				   queued to the executor; agentd sends the
				   next scan only after this */

	/* watcher -> executor: the desired pod set, level triggered */
	MSG_PODSET_BEGIN = 40,	/* u32 generation, u32 flags (PODSET_F_*) */
	MSG_POD_SPEC,		/* pod (podwire) */
	MSG_PODSET_END,		/* u32 generation, u32 pods */

	/*
	 * executor -> reporter: observed state, keyed by pod uid only (an old
	 * and a new pod of one namespace/name are two pods).  The spec goes
	 * once per uid and reporter connection, and again when it changes;
	 * a status names its pod by uid and must follow that pod's spec.
	 */
	MSG_POD_STATUS = 60,	/* str uid, pod_report (podwire); a uid the
				   reporter has no spec for is dropped */
	MSG_POD_GONE,		/* str uid: that pod is removed */
	MSG_PODS_SYNCED,	/* u32 pods: full resend after (re)connect done */
	MSG_POD_EVENT,		/* E->R and P->R: one aggregated event, str
				   kind, str ns, str name, str uid, u32 type,
				   str reason, str message, u32 count, i64
				   first, i64 last (include/evring.h) */
	MSG_POD_DESIRED,	/* pod (podwire): the spec of pod uid, new or
				   changed, or resent after a (re)connect */
	MSG_NODE_INFO,		/* the node's facts, gathered once at the
				   executor's start, sent first on every
				   reporter connection: str machine_id, str
				   system_uuid, str boot_id, str kernel, str
				   os_image, str os, str arch, str runtime
				   version, u32 cpus, u64 memory bytes, u64
				   ephemeral-storage bytes, i64 gathered
				   (include/nodefacts.h) */

	/* parent <-> executor: requests from agentctl */
	MSG_IMAGE_IMPORT = 80,	/* P->E: str source path, str name */
	MSG_IMAGE_LIST,		/* P->E: (empty) */
	MSG_REPLY_CHUNK,	/* E|R->P: bytes (part of a text reply) */
	MSG_REPLY_END,		/* E|R->P: u32 status (0 ok), str error */

	/*
	 * executor <-> netparse.  A plugin's stdout is decoded by netparse,
	 * never by the root executor: for each sandbox job the executor
	 * hands netparse one end of a socketpair, the job keeps the other and
	 * asks over it, one request at a time.
	 */
	MSG_NET_CHANNEL = 90,	/* E->N: (empty) +fd: a job's own channel */
	MSG_NET_PARSE,		/* E->N on it: bytes result (CNI_RESULT_MAX) */
	MSG_NET_RESULT,		/* N->E on it: u32 status (0 decoded), str
				   error, netres (ipc/netwire.c) */

	/* parent <-> reporter */
	MSG_STATUS_QUERY = 100,	/* P->R: u32 query kind, str filter */
	MSG_NODE_NETWORK,	/* P->R: u32 ready, str reason: whether a CNI
				   configuration is loaded (agentd's
				   cniwatch), on every reporter start and
				   change; API mode's Ready condition */

	/*
	 * parent <-> the API-speaking workers (watcher, reporter) in API
	 * mode (include/apiclient.h).  agentd holds the kubeconfig; a worker
	 * gets the server and the trust material once, asks for each
	 * connection and gets a socket connected to that server and no
	 * other; with a client certificate, agentd signs its handshakes.
	 */
	MSG_API_CREDS = 110,	/* P->W: str host, u32 port, str tls server
				   name, u32 flags (APICREDS_F_*), bytes ca
				   PEM, bytes client cert PEM, str token */
	MSG_API_SIGNER,		/* P->W: (empty) +fd: the signer channel,
				   after API_CREDS when it has a cert */
	MSG_API_CONNECT,	/* W->P: u32 id: a socket to the server */
	MSG_API_SOCKET,		/* P->W: u32 id +fd: connected */
	MSG_API_REFUSED,	/* P->W: u32 id, str error: not connected
				   (or refused: too many) */
	/* on the signer channel (MSG_API_SIGNER's fd), one at a time */
	MSG_API_SIGN,		/* W->P: u32 id, u32 alg (APISIGN_ALG_*),
				   bytes digest (<= 64: a handshake hash) */
	MSG_API_SIGNATURE,	/* P->W: u32 id, u32 status (0 ok), bytes
				   signature, str error */
	MSG_API_AUTH,		/* W->P: u32 what (0: the server accepts us
				   again, 1: it refused the credentials
				   (401), 2: the TLS handshake failed), str
				   reason; sent when that changes, audited
				   by agentd */
	MSG_API_POD_REFUSED,	/* W->P, P->R: str ns, str name, str uid, str
				   field, str reason: an API pod the
				   watcher's pod model refused (once per
				   uid and resourceVersion); the reporter
				   marks it Failed, as the kubelet does a
				   pod it rejects at admission */

	/* executor <-> parent on the audit channel (fd 4) */
	MSG_AUDIT_RECORD = 120,	/* E->P: u32 phase, str action, str pod ns,
				   str pod name, str pod uid, str container,
				   str image, str details (k=v;...), str
				   outcome, str error */
	MSG_AUDIT_ACK,		/* P->E: u64 seq, u32 status (0 durable) */

	/* agentctl <-> parent on the control socket */
	CTL_STATUS = 200,	/* C->P: (empty) -> CTL_REPLY_CHUNK*, END */
	CTL_GET_PODS,		/* C->P: u32 query kind, str filter */
	CTL_IMAGE_IMPORT,	/* C->P: str source path, str name */
	CTL_IMAGE_LIST,		/* C->P: (empty) */
	CTL_REPLY_CHUNK,	/* P->C: bytes */
	CTL_REPLY_END,		/* P->C: u32 status, str error */
	CTL_TEST_HOOK,		/* C->P: u32 role, u32 hook, u32 nargs,
				   nargs x u32 (test builds) */

	MSG_TYPE_MAX
};

/*
 * MSG_PODSET_BEGIN flags.  API_UNSYNCED: the API source has not listed
 * yet (kubelet's sourcesReady): a pod with source "api", or one adopted
 * whose source is not known, that is missing from this set is kept, not
 * stopped.  Never set without API mode.  Any other bit is a protocol
 * error.
 */
#define PODSET_F_API_UNSYNCED	0x01
#define PODSET_F_ALL		0x01

/* bounds of the static manifest directory as agentd hands it over */
#define MANIFEST_MAX_BYTES	(512 * 1024)	/* one file */
#define MANIFEST_MAX_FILES	512
#define MANIFEST_MAX_NAME	255

/* MSG_STATUS_QUERY / CTL_GET_PODS kinds */
#define QUERY_PODLIST_JSON	1	/* v1.PodList */
#define QUERY_POD_JSON		2	/* one v1.Pod, filter "ns/name" */
#define QUERY_POD_TABLE		3	/* kubectl-like table */
#define QUERY_EVENTS_TABLE	4	/* `kubectl events`; filter "" or ns/name */
#define QUERY_EVENTS_JSON	5	/* a v1.EventList; same filter */
#define QUERY_EVENTS_WATCH	6	/* filter "SINCE_NS[ ns/name]": a line
					   "NEXT_SINCE_NS", then rows changed
					   after SINCE_NS, no header */
#define QUERY_POD_DESCRIBE	7	/* `kubectl describe pod`; ns/name */
#define QUERY_POD_TABLE_WIDE	8	/* the table and IP, NODE (-o wide) */
#define QUERY_NODE_TABLE	9	/* `kubectl get nodes`; filter "" */
#define QUERY_NODE_JSON		10	/* the v1.Node; filter "" */
#define QUERY_KIND_MAX		QUERY_NODE_JSON

/* MSG_AUDIT_RECORD phases */
#define AUDIT_INTENT		1
#define AUDIT_OUTCOME		2
#define AUDIT_EVENT		3	/* a decision or event with no intent */

/* MSG_TEST_HOOK hooks (only compiled with -DAGENTD_TEST_HOOKS) */
#define TEST_HOOK_FORBIDDEN_SYSCALL	1
#define TEST_HOOK_SEND_GARBAGE		2	/* worker sends unknown type */
#define TEST_HOOK_SEND_OVERSIZE		3
#define TEST_HOOK_SEND_TRUNCATED	4
#define TEST_HOOK_PEER_GARBAGE		5	/* to its first peer worker */
/* 20-29: the audit log (branch audit) */
#define TEST_HOOK_REJECT_FLOOD		20	/* watcher: a MANIFEST_REJECT flood */
#define TEST_HOOK_REJECT_FLOOD_N	3000	/* ... of this many messages */
/* 40-49: worker isolation */
#define TEST_HOOK_TGKILL		40	/* u32 pid, u32 signal */
#define TEST_HOOK_MAX_ARGS		2	/* u32 arguments after the hook */
/* 50..59: limits (one worker each, through worker_env.role_test_hook) */
#define TEST_HOOK_PODSET_FLOOD		50	/* watcher: its pod set again,
						   TEST_PODSET_FLOOD times */
#define TEST_PODSET_FLOOD		3000
#define TEST_HOOK_SYNC_COUNTS		51	/* executor: log "podsets=N
						   relists=M" */

const char	*msg_type_name(uint32_t);
const char	*role_name(uint32_t);

#endif
