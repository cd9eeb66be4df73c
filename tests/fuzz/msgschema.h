/*
 * The payload layout of every message in include/msgcat.h, as data, for
 * the fuzz target (which decodes each frame by it) and the corpus
 * generator (which builds a valid frame of each type from it).
 *
 * Layout letters: u = u32, U = u64, s = str, b = bytes,
 * P = pod (podwire), R = pod_report (podwire), E = pod event (evring,
 * consumes the rest of the payload: last only).
 */
#ifndef AGENTD_FUZZ_MSGSCHEMA_H
#define AGENTD_FUZZ_MSGSCHEMA_H

#include <stdint.h>

#include "ipc.h"
#include "msgcat.h"

struct msg_schema {
	uint32_t	 type;
	const char	*layout;
	uint32_t	 flags;		/* IPC_F_* */
};

static const struct msg_schema msg_schemas[] = {
	{ MSG_HELLO,		"uu",		IPC_F_ONCE },
	{ MSG_PEER_CONNECT,	"u",		IPC_F_FD },
	{ MSG_PING,		"U",		0 },
	{ MSG_PONG,		"U",		0 },
	{ MSG_SHUTDOWN,		"",		0 },
	{ MSG_TEST_HOOK,	"u",		0 },
	{ MSG_MANIFEST_BEGIN,	"u",		0 },
	{ MSG_MANIFEST_FILE,	"sUb",		0 },
	{ MSG_MANIFEST_END,	"uu",		0 },
	{ MSG_MANIFEST_REJECT,	"sss",		0 },
	{ MSG_MANIFEST_DONE,	"u",		0 },
	{ MSG_PODSET_BEGIN,	"u",		0 },
	{ MSG_POD_SPEC,		"P",		0 },
	{ MSG_PODSET_END,	"uu",		0 },
	{ MSG_POD_STATUS,	"sR",		0 },
	{ MSG_POD_GONE,		"s",		0 },
	{ MSG_PODS_SYNCED,	"u",		0 },
	{ MSG_POD_EVENT,	"E",		0 },
	{ MSG_POD_DESIRED,	"P",		0 },
	{ MSG_IMAGE_IMPORT,	"ss",		0 },
	{ MSG_IMAGE_LIST,	"",		0 },
	{ MSG_REPLY_CHUNK,	"b",		0 },
	{ MSG_REPLY_END,	"us",		0 },
	{ MSG_STATUS_QUERY,	"us",		0 },
	{ MSG_AUDIT_RECORD,	"usssssssss",	0 },
	{ MSG_AUDIT_ACK,	"Uu",		0 },
	{ CTL_STATUS,		"",		0 },
	{ CTL_GET_PODS,		"us",		0 },
	{ CTL_IMAGE_IMPORT,	"ss",		0 },
	{ CTL_IMAGE_LIST,	"",		0 },
	{ CTL_REPLY_CHUNK,	"b",		0 },
	{ CTL_REPLY_END,	"us",		0 },
};
#define MSG_NSCHEMAS	(sizeof(msg_schemas) / sizeof(msg_schemas[0]))

#endif
