/*
 * The message catalog as data (include/msgschema.h): one row per type of
 * include/msgcat.h.  A row lists the sender and receiver roles, the
 * channels and the payload in wire order; every bound is a MSGB_* (or a
 * pod.h) name, so a decoder and its row cannot disagree.
 */
#include <stddef.h>
#include <stdint.h>

#include "msgschema.h"

#define F(...)	(const struct msg_field[]){ __VA_ARGS__ }, \
		nitems(((const struct msg_field[]){ __VA_ARGS__ }))
#define NOF	NULL, 0

#define P	ROLEBIT(ROLE_PARENT)
#define W	ROLES_WORKERS
#define WAT	ROLEBIT(ROLE_WATCHER)
#define EXE	ROLEBIT(ROLE_EXECUTOR)
#define REP	ROLEBIT(ROLE_REPORTER)
#define CTL	ROLEBIT(ROLE_CONTROL)
#define NET	ROLEBIT(ROLE_NETPARSE)

#define U32(n)		{ MSGF_U32, n, 0 }
#define U64(n)		{ MSGF_U64, n, 0 }
#define I64(n)		{ MSGF_I64, n, 0 }
#define STR(n, max)	{ MSGF_STR, n, max }
#define BYTES(n, max)	{ MSGF_BYTES, n, max }

const struct msg_schema msg_schemas[] = {
	/* any worker <-> agentd */
	{ MSG_HELLO, "HELLO", W, P, MSGCHAN_WORKER, IPC_F_ONCE,
	    F(U32("role"), U32("version")) },
	{ MSG_PEER_CONNECT, "PEER_CONNECT", P, W, MSGCHAN_WORKER, IPC_F_FD,
	    F(U32("peer role")) },
	{ MSG_PING, "PING", P, W, MSGCHAN_WORKER, 0, F(U64("seq")) },
	{ MSG_PONG, "PONG", W, P, MSGCHAN_WORKER, 0, F(U64("seq")) },
	{ MSG_SHUTDOWN, "SHUTDOWN", P, W, MSGCHAN_WORKER, 0, NOF },
	{ MSG_TEST_HOOK, "TEST_HOOK", P, W, MSGCHAN_WORKER, 0,
	    F(U32("hook"), { MSGF_U32REST, "args", MSGB_TEST_HOOK_ARGS }) },
	{ MSG_PEER_FAULT, "PEER_FAULT", W, P, MSGCHAN_WORKER, 0,
	    F(U32("peer role"), STR("reason", PEER_FAULT_MAX_REASON)) },

	/* the static manifest directory */
	{ MSG_MANIFEST_BEGIN, "MANIFEST_BEGIN", P, WAT, MSGCHAN_WORKER, 0,
	    F(U32("generation")) },
	{ MSG_MANIFEST_FILE, "MANIFEST_FILE", P, WAT, MSGCHAN_WORKER, 0,
	    F(STR("name", MANIFEST_MAX_NAME), U64("mtime_ns"),
	    BYTES("content", MANIFEST_MAX_BYTES)) },
	{ MSG_MANIFEST_END, "MANIFEST_END", P, WAT, MSGCHAN_WORKER, 0,
	    F(U32("generation"), U32("files")) },
	{ MSG_MANIFEST_REJECT, "MANIFEST_REJECT", WAT, P, MSGCHAN_WORKER, 0,
	    F(STR("file", MSGB_REJECT_FILE), STR("field", MSGB_REJECT_FIELD),
	    STR("reason", MSGB_REJECT_REASON)) },
	{ MSG_MANIFEST_DONE, "MANIFEST_DONE", WAT, P, MSGCHAN_WORKER, 0,
	    F(U32("generation")) },

	/* the desired pod set */
	{ MSG_PODSET_BEGIN, "PODSET_BEGIN", WAT, EXE, MSGCHAN_PEER, 0,
	    F(U32("generation"), U32("flags")) },
	{ MSG_POD_SPEC, "POD_SPEC", WAT, EXE, MSGCHAN_PEER, 0,
	    F({ MSGF_POD, "pod", 0 }) },
	{ MSG_PODSET_END, "PODSET_END", WAT, EXE, MSGCHAN_PEER, 0,
	    F(U32("generation"), U32("pods")) },

	/* observed state */
	{ MSG_POD_STATUS, "POD_STATUS", EXE, REP, MSGCHAN_PEER, 0,
	    F(STR("uid", MSGB_POD_UID), { MSGF_REPORT, "pod_report", 0 }) },
	{ MSG_POD_GONE, "POD_GONE", EXE, REP, MSGCHAN_PEER, 0,
	    F(STR("uid", MSGB_POD_UID)) },
	{ MSG_PODS_SYNCED, "PODS_SYNCED", EXE, REP, MSGCHAN_PEER, 0,
	    F(U32("pods")) },
	{ MSG_POD_EVENT, "POD_EVENT", EXE | P, REP,
	    MSGCHAN_PEER | MSGCHAN_WORKER, 0,
	    F(STR("kind", MSGB_EVENT_KIND),
	    STR("ns", MSGB_EVENT_NAMESPACE), STR("name", MSGB_EVENT_NAME),
	    STR("uid", MSGB_EVENT_UID), U32("type"),
	    STR("reason", MSGB_EVENT_REASON),
	    STR("message", MSGB_EVENT_MESSAGE), U32("count"),
	    I64("first"), I64("last")) },
	{ MSG_POD_DESIRED, "POD_DESIRED", EXE, REP, MSGCHAN_PEER, 0,
	    F({ MSGF_POD, "pod", 0 }) },
	{ MSG_NODE_INFO, "NODE_INFO", EXE, REP, MSGCHAN_PEER, 0,
	    F(STR("machine_id", MSGB_NODE_ID),
	    STR("system_uuid", MSGB_NODE_ID), STR("boot_id", MSGB_NODE_ID),
	    STR("kernel", MSGB_NODE_KERNEL),
	    STR("os_image", MSGB_NODE_OS_IMAGE), STR("os", MSGB_NODE_OS),
	    STR("arch", MSGB_NODE_ARCH),
	    STR("runtime_version", MSGB_NODE_RUNTIME), U32("cpus"),
	    U64("memory"), U64("ephemeral_storage"), I64("gathered")) },

	/* requests from agentctl, relayed */
	{ MSG_IMAGE_IMPORT, "IMAGE_IMPORT", P, EXE, MSGCHAN_WORKER, 0,
	    F(STR("source", MSGB_IMAGE_SOURCE),
	    STR("name", MSGB_IMAGE_NAME)) },
	{ MSG_IMAGE_LIST, "IMAGE_LIST", P, EXE, MSGCHAN_WORKER, 0, NOF },
	{ MSG_REPLY_CHUNK, "REPLY_CHUNK", EXE | REP, P, MSGCHAN_WORKER, 0,
	    F(BYTES("text", MSGB_REPLY_CHUNK)) },
	{ MSG_REPLY_END, "REPLY_END", EXE | REP, P, MSGCHAN_WORKER, 0,
	    F(U32("status"), STR("error", MSGB_REPLY_ERROR)) },
	/* CNI plugin results, decoded outside the executor */
	{ MSG_NET_CHANNEL, "NET_CHANNEL", EXE, NET, MSGCHAN_PEER, IPC_F_FD,
	    NOF },
	{ MSG_NET_PARSE, "NET_PARSE", EXE, NET, MSGCHAN_PEER, 0,
	    F(BYTES("result", MSGB_NET_RESULT)) },
	{ MSG_NET_RESULT, "NET_RESULT", NET, EXE, MSGCHAN_PEER, 0,
	    F(U32("status"), STR("error", MSGB_NET_ERROR),
	    { MSGF_NETRES, "netres", 0 }) },

	{ MSG_STATUS_QUERY, "STATUS_QUERY", P, REP, MSGCHAN_WORKER, 0,
	    F(U32("kind"), STR("filter", MSGB_QUERY_FILTER)) },
	{ MSG_NODE_NETWORK, "NODE_NETWORK", P, REP, MSGCHAN_WORKER, 0,
	    F(U32("ready"), STR("reason", MSGB_API_ERROR)) },

	/* API mode: credentials, socket grants, the signer */
	{ MSG_API_CREDS, "API_CREDS", P, WAT | REP, MSGCHAN_WORKER,
	    0, F(STR("host", MSGB_API_HOST), U32("port"),
	    STR("tls_server_name", MSGB_API_HOST), U32("flags"),
	    BYTES("ca", MSGB_API_PEM), BYTES("cert", MSGB_API_PEM),
	    STR("token", MSGB_API_TOKEN)) },
	{ MSG_API_SIGNER, "API_SIGNER", P, WAT | REP, MSGCHAN_WORKER,
	    IPC_F_FD, NOF },
	{ MSG_API_CONNECT, "API_CONNECT", WAT | REP, P, MSGCHAN_WORKER, 0,
	    F(U32("id")) },
	{ MSG_API_SOCKET, "API_SOCKET", P, WAT | REP, MSGCHAN_WORKER,
	    IPC_F_FD, F(U32("id")) },
	{ MSG_API_REFUSED, "API_REFUSED", P, WAT | REP, MSGCHAN_WORKER, 0,
	    F(U32("id"), STR("error", MSGB_API_ERROR)) },
	{ MSG_API_SIGN, "API_SIGN", WAT | REP, P, MSGCHAN_WORKER, 0,
	    F(U32("id"), U32("alg"), BYTES("digest", MSGB_API_DIGEST)) },
	{ MSG_API_SIGNATURE, "API_SIGNATURE", P, WAT | REP, MSGCHAN_WORKER,
	    0, F(U32("id"), U32("status"),
	    BYTES("signature", MSGB_API_SIGNATURE),
	    STR("error", MSGB_API_ERROR)) },
	{ MSG_API_AUTH, "API_AUTH", WAT | REP, P, MSGCHAN_WORKER, 0,
	    F(U32("what"), STR("reason", MSGB_API_ERROR)) },
	{ MSG_API_POD_REFUSED, "API_POD_REFUSED", WAT | P, P | REP,
	    MSGCHAN_WORKER, 0, F(STR("ns", MSGB_EVENT_NAMESPACE),
	    STR("name", MSGB_EVENT_NAME), STR("uid", MSGB_POD_UID),
	    STR("field", MSGB_REJECT_FIELD),
	    STR("reason", MSGB_REJECT_REASON)) },

	/* the audit channel */
	{ MSG_AUDIT_RECORD, "AUDIT_RECORD", EXE, P, MSGCHAN_AUDIT, 0,
	    F(U32("phase"), STR("action", MSGB_AUDIT_ACTION),
	    STR("ns", MSGB_AUDIT_NAMESPACE), STR("name", MSGB_AUDIT_NAME),
	    STR("uid", MSGB_AUDIT_UID),
	    STR("container", MSGB_AUDIT_CONTAINER),
	    STR("image", MSGB_AUDIT_IMAGE),
	    STR("details", MSGB_AUDIT_DETAILS),
	    STR("outcome", MSGB_AUDIT_OUTCOME),
	    STR("error", MSGB_AUDIT_ERROR)) },
	{ MSG_AUDIT_ACK, "AUDIT_ACK", P, EXE, MSGCHAN_AUDIT, 0,
	    F(U64("seq"), U32("status")) },

	/* the control socket */
	{ CTL_STATUS, "CTL_STATUS", CTL, P, MSGCHAN_CONTROL, 0, NOF },
	{ CTL_GET_PODS, "CTL_GET_PODS", CTL, P, MSGCHAN_CONTROL, 0,
	    F(U32("kind"), STR("filter", MSGB_QUERY_FILTER)) },
	{ CTL_IMAGE_IMPORT, "CTL_IMAGE_IMPORT", CTL, P, MSGCHAN_CONTROL, 0,
	    F(STR("source", MSGB_IMAGE_SOURCE),
	    STR("name", MSGB_IMAGE_NAME)) },
	{ CTL_IMAGE_LIST, "CTL_IMAGE_LIST", CTL, P, MSGCHAN_CONTROL, 0, NOF },
	{ CTL_REPLY_CHUNK, "CTL_REPLY_CHUNK", P, CTL, MSGCHAN_CONTROL, 0,
	    F(BYTES("text", MSGB_REPLY_CHUNK)) },
	{ CTL_REPLY_END, "CTL_REPLY_END", P, CTL, MSGCHAN_CONTROL, 0,
	    F(U32("status"), STR("error", MSGB_REPLY_ERROR)) },
	{ CTL_TEST_HOOK, "CTL_TEST_HOOK", CTL, P, MSGCHAN_CONTROL, 0,
	    F(U32("role"), U32("hook"),
	    { MSGF_U32LIST, "args", MSGB_TEST_HOOK_ARGS }) },
};
const size_t msg_nschemas = nitems(msg_schemas);

const struct msg_schema *
msg_schema_find(uint32_t type)
{
	size_t i;

	for (i = 0; i < msg_nschemas; i++)
		if (msg_schemas[i].type == type)
			return &msg_schemas[i];
	return NULL;
}

int
msg_schema_allows(uint32_t type, uint32_t from, uint32_t to)
{
	const struct msg_schema *s;

	if (from >= ROLE_MAX || to >= ROLE_MAX ||
	    (s = msg_schema_find(type)) == NULL)
		return 0;
	return (s->senders & ROLEBIT(from)) && (s->receivers & ROLEBIT(to));
}
