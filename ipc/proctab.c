/*
 * The process table (include/proctab.h).  The order is the start order:
 * the watcher's pod sets wait in its queue until the executor is up,
 * netparse comes before the executor so that its first pod network finds
 * it, and the reporter is last so that it sees the executor's first full
 * resend.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proctab.h"

const struct proc_desc proc_table[] = {
	{ ROLE_WATCHER, "watcher", "agentd-watcher", PROC_USER_PRIVSEP,
	    SANDBOX_WATCHER, ROLEBIT(ROLE_EXECUTOR), PROC_F_API },
	/* before the executor: up for its first pod network */
	{ ROLE_NETPARSE, "netparse", "agentd-netparse", PROC_USER_PRIVSEP,
	    SANDBOX_NETPARSE, ROLEBIT(ROLE_EXECUTOR), 0 },
	{ ROLE_EXECUTOR, "executor", "agentd-executor", PROC_USER_ROOT,
	    SANDBOX_EXECUTOR, ROLEBIT(ROLE_REPORTER) |
	    ROLEBIT(ROLE_NETPARSE),
	    PROC_F_AUDIT_CHAN | PROC_F_PING_EXEMPT },
	{ ROLE_REPORTER, "reporter", "agentd-reporter", PROC_USER_REPORTER,
	    SANDBOX_REPORTER, 0, PROC_F_API },
#ifdef AGENTD_TEST_HOOKS
	/* the dummy role of tests/system/test_proctab.py: this row, its
	   enum value and workers/noop/noop.c are all it takes */
	{ ROLE_NOOP, "noop", "agentd-noop", PROC_USER_PRIVSEP,
	    SANDBOX_NOOP, 0, PROC_F_TEST_ONLY },
#endif
};
const size_t proc_table_len = sizeof(proc_table) / sizeof(proc_table[0]);

const struct proc_desc *
proc_get(uint32_t role)
{
	const struct proc_desc *p;

	PROC_FOREACH(p)
		if ((uint32_t)p->role == role)
			return p;
	return NULL;
}

const struct proc_desc *
proc_by_name(const char *name)
{
	const struct proc_desc *p;

	PROC_FOREACH(p)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

int
proc_sends(uint32_t from, uint32_t to)
{
	const struct proc_desc *p = proc_get(from);

	return p != NULL && to < 32 && proc_get(to) != NULL &&
	    (p->sends_to & ROLEBIT(to)) != 0;
}

int
proc_peers(uint32_t a, uint32_t b)
{
	return proc_sends(a, b) || proc_sends(b, a);
}
