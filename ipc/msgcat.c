/* Names for log lines and errors; the catalog itself is include/msgcat.h. */
#include <stddef.h>
#include <stdint.h>

#include "msgcat.h"
#include "proctab.h"

struct name_row {
	uint32_t	 v;
	const char	*name;
};

static const struct name_row msg_names[] = {
	{ MSG_HELLO, "HELLO" },
	{ MSG_PEER_CONNECT, "PEER_CONNECT" },
	{ MSG_PING, "PING" },
	{ MSG_PONG, "PONG" },
	{ MSG_SHUTDOWN, "SHUTDOWN" },
	{ MSG_TEST_HOOK, "TEST_HOOK" },
	{ MSG_PEER_FAULT, "PEER_FAULT" },
	{ MSG_MANIFEST_BEGIN, "MANIFEST_BEGIN" },
	{ MSG_MANIFEST_FILE, "MANIFEST_FILE" },
	{ MSG_MANIFEST_END, "MANIFEST_END" },
	{ MSG_MANIFEST_REJECT, "MANIFEST_REJECT" },
	{ MSG_MANIFEST_DONE, "MANIFEST_DONE" },
	{ MSG_PODSET_BEGIN, "PODSET_BEGIN" },
	{ MSG_POD_SPEC, "POD_SPEC" },
	{ MSG_PODSET_END, "PODSET_END" },
	{ MSG_POD_STATUS, "POD_STATUS" },
	{ MSG_POD_GONE, "POD_GONE" },
	{ MSG_PODS_SYNCED, "PODS_SYNCED" },
	{ MSG_POD_EVENT, "POD_EVENT" },
	{ MSG_POD_DESIRED, "POD_DESIRED" },
	{ MSG_IMAGE_IMPORT, "IMAGE_IMPORT" },
	{ MSG_IMAGE_LIST, "IMAGE_LIST" },
	{ MSG_REPLY_CHUNK, "REPLY_CHUNK" },
	{ MSG_REPLY_END, "REPLY_END" },
	{ MSG_STATUS_QUERY, "STATUS_QUERY" },
	{ MSG_AUDIT_RECORD, "AUDIT_RECORD" },
	{ MSG_AUDIT_ACK, "AUDIT_ACK" },
	{ CTL_STATUS, "CTL_STATUS" },
	{ CTL_GET_PODS, "CTL_GET_PODS" },
	{ CTL_IMAGE_IMPORT, "CTL_IMAGE_IMPORT" },
	{ CTL_IMAGE_LIST, "CTL_IMAGE_LIST" },
	{ CTL_REPLY_CHUNK, "CTL_REPLY_CHUNK" },
	{ CTL_REPLY_END, "CTL_REPLY_END" },
	{ CTL_TEST_HOOK, "CTL_TEST_HOOK" },
};

const char *
msg_type_name(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(msg_names) / sizeof(msg_names[0]); i++)
		if (msg_names[i].v == type)
			return msg_names[i].name;
	return "unknown";
}

const char *
role_name(uint32_t role)
{
	const struct proc_desc *p;

	if (role == ROLE_PARENT)
		return "agentd";
	if (role == ROLE_CONTROL)
		return "control";
	return (p = proc_get(role)) != NULL ? p->name : "unknown";
}
