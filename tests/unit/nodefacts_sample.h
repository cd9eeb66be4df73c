/*
 * The node facts the reporter's API tests register a Node with (the unit
 * tests of apinode.c and tests/tools/apireport_drive.c): a 2-CPU, 4 GiB
 * Debian node, gathered a minute before wall_ns.
 */
#ifndef AGENTD_TESTS_NODEFACTS_SAMPLE_H
#define AGENTD_TESTS_NODEFACTS_SAMPLE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nodefacts.h"

static inline void
nodefacts_sample(struct node_facts *f, int64_t wall_ns)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->machine_id, sizeof(f->machine_id), "0123456789abcdef");
	snprintf(f->boot_id, sizeof(f->boot_id), "boot-1");
	snprintf(f->kernel_version, sizeof(f->kernel_version), "6.1.0");
	snprintf(f->os_image, sizeof(f->os_image), "Debian GNU/Linux 12");
	snprintf(f->operating_system, sizeof(f->operating_system), "linux");
	snprintf(f->architecture, sizeof(f->architecture), "amd64");
	snprintf(f->runtime_version, sizeof(f->runtime_version),
	    "runc://1.1");
	f->cpus = 2;
	f->memory_bytes = 4ULL << 30;
	f->ephemeral_bytes = 20ULL << 30;
	f->gathered_ns = wall_ns - 60 * 1000000000LL;
}

#endif
