/* MSG_API_POD_REFUSED's payload: see include/refusedwire.h */
#include <string.h>

#include "ipc.h"
#include "msgcat.h"
#include "refusedwire.h"

void
refusedwire_put(struct ipc_msg *m, const struct pod_refused *r)
{
	ipc_msg_init(m, MSG_API_POD_REFUSED, 0);
	ipc_put_str(m, r->ns);
	ipc_put_str(m, r->name);
	ipc_put_str(m, r->uid);
	ipc_put_str(m, r->field);
	ipc_put_str(m, r->reason);
}

int
refusedwire_get(struct ipc_msg *m, struct pod_refused *r)
{
	memset(r, 0, sizeof(*r));
	if (ipc_get_str(m, r->ns, sizeof(r->ns)) == -1 ||
	    ipc_get_str(m, r->name, sizeof(r->name)) == -1 ||
	    ipc_get_str(m, r->uid, sizeof(r->uid)) == -1 ||
	    ipc_get_str(m, r->field, sizeof(r->field)) == -1 ||
	    ipc_get_str(m, r->reason, sizeof(r->reason)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	return 0;
}
