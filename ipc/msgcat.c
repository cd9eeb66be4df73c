/*
 * Names for log lines and errors; the catalog itself is include/msgcat.h,
 * its rows (with the type names) include/msgschema.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "msgcat.h"
#include "msgschema.h"
#include "proctab.h"

const char *
msg_type_name(uint32_t type)
{
	const struct msg_schema *s;

	return (s = msg_schema_find(type)) != NULL ? s->name : "unknown";
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
