/*
 * struct node_facts on the wire (MSG_NODE_INFO, include/nodefacts.h): the
 * strings in struct order, then the numbers.  The sender is the root
 * executor, but the reporter decodes as it decodes everything, bounds
 * first, and refuses facts no machine has (no CPU, no memory, no time),
 * which only a broken sender would send.
 */
#include <stdint.h>
#include <string.h>

#include "ipc.h"
#include "msgschema.h"
#include "nodefacts.h"

#define GETS(m, buf)	(ipc_get_str((m), (buf), sizeof(buf)) == -1)

void
nodewire_put(struct ipc_msg *m, const struct node_facts *f)
{
	ipc_put_str(m, f->machine_id);
	ipc_put_str(m, f->system_uuid);
	ipc_put_str(m, f->boot_id);
	ipc_put_str(m, f->kernel_version);
	ipc_put_str(m, f->os_image);
	ipc_put_str(m, f->operating_system);
	ipc_put_str(m, f->architecture);
	ipc_put_str(m, f->runtime_version);
	ipc_put_u32(m, f->cpus);
	ipc_put_u64(m, f->memory_bytes);
	ipc_put_u64(m, f->ephemeral_bytes);
	ipc_put_i64(m, f->gathered_ns);
}

int
nodewire_get(struct ipc_msg *m, struct node_facts *f)
{
	memset(f, 0, sizeof(*f));
	if (GETS(m, f->machine_id) || GETS(m, f->system_uuid) ||
	    GETS(m, f->boot_id) || GETS(m, f->kernel_version) ||
	    GETS(m, f->os_image) || GETS(m, f->operating_system) ||
	    GETS(m, f->architecture) || GETS(m, f->runtime_version) ||
	    ipc_get_u32(m, &f->cpus) == -1 ||
	    ipc_get_u64(m, &f->memory_bytes) == -1 ||
	    ipc_get_u64(m, &f->ephemeral_bytes) == -1 ||
	    ipc_get_i64(m, &f->gathered_ns) == -1 || ipc_get_end(m) == -1)
		return -1;
	if (f->cpus == 0 || f->cpus > NODE_MAX_CPUS || f->memory_bytes == 0 ||
	    f->gathered_ns <= 0 || f->operating_system[0] == '\0')
		return -1;
	return 0;
}
