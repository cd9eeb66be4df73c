/*
 * The process table (ipc/proctab.c): the lookups supervision, peer
 * connection, MSG_PEER_FAULT and agentctl build on.
 */
#include "proctab.h"
#include "tap.h"

TEST(rows_are_unique_and_named)
{
	const struct proc_desc *p, *q;

	PROC_FOREACH(p) {
		CHECK(p->role != ROLE_PARENT && p->role != ROLE_CONTROL &&
		    p->role < ROLE_MAX);
		CHECK(proc_get(p->role) == p);
		CHECK(proc_by_name(p->name) == p);
		CHECK_STR(role_name(p->role), p->name);
		CHECK(strncmp(p->exe, "agentd-", 7) == 0);
		for (q = p + 1; q < proc_table + proc_table_len; q++)
			CHECK(q->role != p->role && strcmp(q->name, p->name));
	}
}

TEST(parent_and_control_have_no_row)
{
	CHECK(proc_get(ROLE_PARENT) == NULL);
	CHECK(proc_get(ROLE_CONTROL) == NULL);
	CHECK(proc_get(ROLE_MAX) == NULL);
	CHECK(proc_get(0xffffffffu) == NULL);
	CHECK(proc_by_name("agentd") == NULL);
	CHECK(proc_by_name("") == NULL);
	CHECK_STR(role_name(ROLE_PARENT), "agentd");
	CHECK_STR(role_name(ROLE_CONTROL), "control");
	CHECK_STR(role_name(77), "unknown");
}

/* the pod path: watcher -> executor -> reporter, and nothing back */
TEST(peer_channels_follow_who_sends_to_whom)
{
	CHECK(proc_sends(ROLE_WATCHER, ROLE_EXECUTOR));
	CHECK(proc_sends(ROLE_EXECUTOR, ROLE_REPORTER));
	CHECK(!proc_sends(ROLE_EXECUTOR, ROLE_WATCHER));
	CHECK(!proc_sends(ROLE_REPORTER, ROLE_EXECUTOR));
	CHECK(!proc_sends(ROLE_WATCHER, ROLE_REPORTER));
	CHECK(proc_peers(ROLE_WATCHER, ROLE_EXECUTOR));
	CHECK(proc_peers(ROLE_EXECUTOR, ROLE_WATCHER));
	CHECK(proc_peers(ROLE_REPORTER, ROLE_EXECUTOR));
	CHECK(!proc_peers(ROLE_WATCHER, ROLE_REPORTER));
	CHECK(!proc_peers(ROLE_PARENT, ROLE_WATCHER));
	CHECK(!proc_sends(ROLE_WATCHER, 40));
}

TEST(only_the_executor_keeps_root_and_the_audit_channel)
{
	const struct proc_desc *p;

	PROC_FOREACH(p) {
		CHECK((p->user == PROC_USER_ROOT) ==
		    (p->role == ROLE_EXECUTOR));
		CHECK((p->seccomp == SANDBOX_EXECUTOR) ==
		    (p->user == PROC_USER_ROOT));
		CHECK(((p->flags & PROC_F_AUDIT_CHAN) != 0) ==
		    (p->role == ROLE_EXECUTOR));
	}
	/* the watcher and the reporter run as two different users */
	CHECK(proc_get(ROLE_WATCHER)->user != proc_get(ROLE_REPORTER)->user);
}
