/*
 * agentd-noop: the dummy worker of test builds.  It shows what a new
 * process costs: its row in the process table (ipc/proctab.c), its role
 * in include/msgcat.h and this file, which has nothing of its own: it
 * says hello, answers pings and shutdown, and runs under its row's
 * sandbox (tests/system/test_proctab.py checks each of these).
 */
#ifndef AGENTD_TEST_HOOKS
#error "agentd-noop exists only in the test build"
#endif

#include <stddef.h>

#include "ipc.h"
#include "sandbox.h"
#include "worker.h"

static struct worker_env env;

static const struct ipc_dispatch parent_tab[] = {
	{ MSG_PING, 0, IPC_F_ANYSTATE, worker_ping },
	{ MSG_SHUTDOWN, 0, IPC_F_ANYSTATE, worker_shutdown },
	WORKER_TEST_HOOK_ROW
};

int
main(int argc, char *argv[])
{
	worker_init(&env, ROLE_NOOP, parent_tab, nitems(parent_tab));
	worker_sandbox(&env.conf, env.role);
	worker_run(&env);
	return 0;
}
