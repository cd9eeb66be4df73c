/*
 * The facts about the node that the Node object reports (status.nodeInfo,
 * capacity): gathered once at start by the executor, which may read /proc,
 * /sys and /etc and run the runtime; sent to the reporter, which may not,
 * in MSG_NODE_INFO (ipc/nodewire.c).  Every string is bounded here, and
 * the decoder checks each bound and that the numbers are plausible.
 */
#ifndef AGENTD_NODEFACTS_H
#define AGENTD_NODEFACTS_H

#include <stdint.h>

struct ipc_msg;

/* /etc/machine-id is 32 hex digits, boot_id and product_uuid 36 chars */
#define NODE_MAX_ID		63
#define NODE_MAX_KERNEL		64	/* struct utsname's release: 65 - NUL */
#define NODE_MAX_OS_IMAGE	255	/* os-release PRETTY_NAME */
#define NODE_MAX_OS		15	/* "linux" */
#define NODE_MAX_ARCH		15	/* GOARCH: "amd64", "arm64", ... */
#define NODE_MAX_RUNTIME_VERSION 127	/* "runc://1.1.5" */
/* a node of more than this is a garbled message, not a machine */
#define NODE_MAX_CPUS		65536

struct node_facts {
	char		 machine_id[NODE_MAX_ID + 1];
	char		 system_uuid[NODE_MAX_ID + 1];	/* "" unreadable */
	char		 boot_id[NODE_MAX_ID + 1];
	char		 kernel_version[NODE_MAX_KERNEL + 1];
	char		 os_image[NODE_MAX_OS_IMAGE + 1];
	char		 operating_system[NODE_MAX_OS + 1];
	char		 architecture[NODE_MAX_ARCH + 1];
	char		 runtime_version[NODE_MAX_RUNTIME_VERSION + 1];
	uint32_t	 cpus;			/* >= 1 */
	uint64_t	 memory_bytes;		/* MemTotal, > 0 */
	uint64_t	 ephemeral_bytes;	/* rootDir's file system */
	int64_t		 gathered_ns;		/* wall clock, > 0 */
};

/* ipc/nodewire.c: put never fails (a failed put fails the send) */
void	nodewire_put(struct ipc_msg *, const struct node_facts *);
/* 0, or -1 if any field is missing, out of bounds or implausible */
int	nodewire_get(struct ipc_msg *, struct node_facts *);

#endif
