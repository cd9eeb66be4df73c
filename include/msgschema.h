/*
 * The message catalog as data: one row per type of include/msgcat.h with
 * who sends it to whom, on which channel, its payload field by field with
 * the bound of every string, byte array and list, and its IPC_F_* flags.
 *
 * The dispatcher (ipc/ipc.c) refuses a frame whose row does not name the
 * channel's peer as a sender and the channel's owner as a receiver; the
 * decoders size their buffers with the MSGB_* bounds below; the fuzz
 * targets decode and build frames by the rows; tests/tools/msgcatdoc
 * prints the catalog table of docs/DESIGN.md from them (`make catalog`).
 *
 * A bound is the most bytes a field may hold (a string's buffer is one
 * more, for its NUL), or for a list the most items.
 */
#ifndef AGENTD_MSGSCHEMA_H
#define AGENTD_MSGSCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "cninet.h"
#include "config.h"
#include "evring.h"
#include "ipc.h"
#include "msgcat.h"
#include "nodefacts.h"
#include "pod.h"

#define ROLEBIT(r)	(1u << (r))
#define ROLES_ALL	(ROLEBIT(ROLE_MAX) - 1)
/* every role but agentd and agentctl: a role added later is a worker */
#define ROLES_WORKERS	(ROLES_ALL & ~(ROLEBIT(ROLE_PARENT) | \
			    ROLEBIT(ROLE_CONTROL)))

/* the channels a message may travel on (bits) */
#define MSGCHAN_WORKER	0x1	/* fd 3: a worker and agentd */
#define MSGCHAN_PEER	0x2	/* two workers (MSG_PEER_CONNECT) */
#define MSGCHAN_AUDIT	0x4	/* fd 4: the executor's audit channel */
#define MSGCHAN_CONTROL	0x8	/* agentctl on the control socket */

/* payload field kinds; the letters are the fuzz corpus' layout notation */
#define MSGF_U32	'u'
#define MSGF_U64	'U'
#define MSGF_I64	'I'
#define MSGF_STR	's'	/* u32 length + bytes, no NUL; max bytes */
#define MSGF_BYTES	'b'	/* u32 length + bytes; max bytes */
#define MSGF_U32LIST	'L'	/* u32 count (<= max) + count x u32 */
#define MSGF_U32REST	'T'	/* u32s to the end of the payload, <= max */
#define MSGF_POD	'P'	/* struct pod (ipc/podwire.c, pod.h bounds) */
#define MSGF_REPORT	'R'	/* struct pod_report (ipc/podwire.c) */
#define MSGF_NETRES	'N'	/* struct cni_result (ipc/netwire.c) */

/*
 * The bounds, one number each.  Those of the pod model are pod.h's; the
 * rest were each receiver's own until they were collected here.  The
 * static manifest directory's (MANIFEST_MAX_*) are msgcat.h's.
 */
#define PEER_FAULT_MAX_REASON		255	/* the sender truncates */
#define MSGB_REJECT_FILE		MANIFEST_MAX_NAME
#define MSGB_REJECT_FIELD		255
#define MSGB_REJECT_REASON		511
#define MSGB_POD_UID			POD_MAX_UID
#define MSGB_EVENT_KIND			(EVENT_MAX_KIND - 1)
#define MSGB_EVENT_NAMESPACE		POD_MAX_NAME
#define MSGB_EVENT_NAME			(EVENT_MAX_NAME - 1)
#define MSGB_EVENT_UID			POD_MAX_UID
#define MSGB_EVENT_REASON		(EVENT_MAX_REASON - 1)
#define MSGB_EVENT_MESSAGE		(EVENT_MAX_MESSAGE - 1)
#define MSGB_IMAGE_SOURCE		(CONFIG_MAX_PATH - 1)
#define MSGB_IMAGE_NAME			POD_MAX_IMAGE
#define MSGB_REPLY_CHUNK		IPC_MAX_PAYLOAD
#define MSGB_REPLY_ERROR		1023
#define MSGB_QUERY_FILTER		511
#define MSGB_AUDIT_ACTION		63
#define MSGB_AUDIT_NAMESPACE		POD_MAX_NAMESPACE
#define MSGB_AUDIT_NAME			POD_MAX_NAME
#define MSGB_AUDIT_UID			POD_MAX_UID
#define MSGB_AUDIT_CONTAINER		POD_MAX_CONTAINER_NAME
#define MSGB_AUDIT_IMAGE		POD_MAX_IMAGE
#define MSGB_AUDIT_DETAILS		4095
#define MSGB_AUDIT_OUTCOME		31
#define MSGB_AUDIT_ERROR		1023
#define MSGB_TEST_HOOK_ARGS		TEST_HOOK_MAX_ARGS
#define MSGB_NET_RESULT			CNI_RESULT_MAX
#define MSGB_NET_ERROR			255
#define MSGB_NODE_ID			NODE_MAX_ID
#define MSGB_NODE_KERNEL		NODE_MAX_KERNEL
#define MSGB_NODE_OS_IMAGE		NODE_MAX_OS_IMAGE
#define MSGB_NODE_OS			NODE_MAX_OS
#define MSGB_NODE_ARCH			NODE_MAX_ARCH
#define MSGB_NODE_RUNTIME		NODE_MAX_RUNTIME_VERSION
#define MSGB_API_HOST			254	/* KUBECONFIG_MAX_HOST */
#define MSGB_API_PEM			(64 * 1024) /* KUBECONFIG_MAX_PEM */
#define MSGB_API_TOKEN			8192	/* KUBECONFIG_MAX_TOKEN */
#define MSGB_API_ERROR			255
#define MSGB_API_DIGEST			64	/* SHA-512, the largest */
#define MSGB_API_SIGNATURE		1024	/* RSA 8192 */

struct msg_field {
	char		 kind;		/* MSGF_* */
	const char	*name;
	uint32_t	 max;		/* MSGF_STR, _BYTES, _U32LIST, _U32REST */
};

struct msg_schema {
	uint32_t		 type;
	const char		*name;
	uint32_t		 senders;	/* ROLEBIT()s */
	uint32_t		 receivers;	/* ROLEBIT()s */
	uint32_t		 chans;		/* MSGCHAN_* */
	uint32_t		 flags;		/* IPC_F_* */
	const struct msg_field	*fields;
	size_t			 nfields;
};

extern const struct msg_schema	msg_schemas[];
extern const size_t		msg_nschemas;

/* the row of a type; NULL for a type the catalog does not have */
const struct msg_schema	*msg_schema_find(uint32_t type);
/* 1 if the catalog lets `from` send type to `to` */
int			 msg_schema_allows(uint32_t type, uint32_t from,
			    uint32_t to);

/* ipc/netwire.c: struct cni_result on the wire; get checks every field */
int	netwire_put_result(struct ipc_msg *, const struct cni_result *);
int	netwire_get_result(struct ipc_msg *, struct cni_result *);

#endif
