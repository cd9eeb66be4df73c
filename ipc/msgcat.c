/*
 * Names for log lines and errors; the catalog itself is include/msgcat.h,
 * its rows (with the type names) include/msgschema.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "msgcat.h"
#include "msgschema.h"

const char *
msg_type_name(uint32_t type)
{
	const struct msg_schema *s;

	return (s = msg_schema_find(type)) != NULL ? s->name : "unknown";
}

const char *
role_name(uint32_t role)
{
	static const char *names[ROLE_MAX] = {
		"agentd", "watcher", "executor", "reporter", "control"
	};

	return role < ROLE_MAX ? names[role] : "unknown";
}
