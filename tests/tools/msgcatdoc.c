/*
 * msgcatdoc: prints the message catalog of include/msgschema.h as the
 * markdown table of docs/DESIGN.md ("### Message catalog"), or with -p the
 * process table of include/proctab.h ("### The process table").  `make
 * catalog` puts each between its markers in the doc; tests/test_catalog.py
 * fails if the doc and this output differ, so the tables cannot drift from
 * the rows agentd enforces.
 */
#include <stdio.h>
#include <string.h>

#include "msgschema.h"
#include "proctab.h"

static void
print_roles(uint32_t mask)
{
	const char *sep = "";
	uint32_t r;

	if (mask == ROLES_WORKERS) {
		printf("any worker");
		return;
	}
	for (r = 0; r < ROLE_MAX; r++)
		if (mask & ROLEBIT(r)) {
			printf("%s%s", sep, role_name(r));
			sep = ", ";
		}
}

static void
print_chans(uint32_t chans)
{
	static const struct {
		uint32_t	 bit;
		const char	*name;
	} names[] = {
		{ MSGCHAN_WORKER, "worker (fd 3)" },
		{ MSGCHAN_PEER, "peer" },
		{ MSGCHAN_AUDIT, "audit (fd 4)" },
		{ MSGCHAN_CONTROL, "control socket" },
	};
	const char *sep = "";
	size_t i;

	for (i = 0; i < nitems(names); i++)
		if (chans & names[i].bit) {
			printf("%s%s", sep, names[i].name);
			sep = ", ";
		}
}

static void
print_field(const struct msg_field *f)
{
	static const struct {
		char		 kind;
		const char	*type;		/* before the name */
		int		 bounded;
		const char	*tail;
	} kinds[] = {
		{ MSGF_U32, "u32 ", 0, "" },
		{ MSGF_U64, "u64 ", 0, "" },
		{ MSGF_I64, "i64 ", 0, "" },
		{ MSGF_STR, "str ", 1, "" },
		{ MSGF_BYTES, "bytes ", 1, "" },
		{ MSGF_U32LIST, "[u32] ", 1, "" },
		{ MSGF_U32REST, "u32… ", 1, ", to the end" },
		{ MSGF_POD, "", 0, " (podwire)" },
		{ MSGF_REPORT, "", 0, " (podwire)" },
		{ MSGF_NETRES, "", 0, " (netwire)" },
	};
	size_t i;

	for (i = 0; i < nitems(kinds) && kinds[i].kind != f->kind; i++)
		;
	if (i == nitems(kinds)) {
		printf("? %s", f->name);
		return;
	}
	printf("%s%s", kinds[i].type, f->name);
	if (kinds[i].bounded)
		printf(" (≤ %u%s)", f->max, kinds[i].tail);
	else
		printf("%s", kinds[i].tail);
}

static void
print_row(const struct msg_schema *s)
{
	size_t i;

	printf("| %u | `%s%s` | ", s->type,
	    strncmp(s->name, "CTL_", 4) == 0 ? "" : "MSG_", s->name);
	print_roles(s->senders);
	printf(" → ");
	print_roles(s->receivers);
	printf(" | ");
	print_chans(s->chans);
	printf(" | ");
	if (s->nfields == 0)
		printf("–");
	for (i = 0; i < s->nfields; i++) {
		printf("%s", i > 0 ? ", " : "");
		print_field(&s->fields[i]);
	}
	printf(" | %s%s%s%s |\n", s->flags & IPC_F_ONCE ? "once" : "",
	    (s->flags & IPC_F_ONCE) && (s->flags & IPC_F_FD) ? ", " : "",
	    s->flags & IPC_F_FD ? "+fd" : "",
	    (s->flags & (IPC_F_ONCE | IPC_F_FD)) == 0 ? "–" : "");
}

static const char *
user_name(enum proc_user u)
{
	return u == PROC_USER_ROOT ? "root" : u == PROC_USER_PRIVSEP ?
	    "`privsepUser`" : "`reporterUser`";
}

static const char *
profile_name(enum sandbox_profile sp)
{
	return sp == SANDBOX_EXECUTOR ? "executor (denylist)" :
	    sp == SANDBOX_WATCHER ? "watcher" : sp == SANDBOX_REPORTER ?
	    "reporter" : sp == SANDBOX_NETPARSE ? "netparse" : "noop";
}

static int
print_procs(void)
{
	const struct proc_desc *p;

	printf("| role | binary | user | seccomp profile | sends to | "
	    "flags |\n");
	printf("|---|---|---|---|---|---|\n");
	PROC_FOREACH(p) {
		printf("| %s | `%s` | %s | %s | ", p->name, p->exe,
		    user_name(p->user), profile_name(p->seccomp));
		if (p->sends_to == 0)
			printf("–");
		print_roles(p->sends_to);
		printf(" | %s%s%s%s |\n",
		    p->flags & PROC_F_AUDIT_CHAN ? "audit channel" : "",
		    (p->flags & PROC_F_AUDIT_CHAN) &&
		    (p->flags & PROC_F_PING_EXEMPT) ? ", " : "",
		    p->flags & PROC_F_PING_EXEMPT ? "ping-exempt" : "",
		    (p->flags & (PROC_F_AUDIT_CHAN | PROC_F_PING_EXEMPT)) == 0 ?
		    "–" : "");
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	size_t i;

	if (argc == 2 && strcmp(argv[1], "-p") == 0)
		return print_procs();

	printf("| type | name | sender → receiver | channel | payload "
	    "(bounds in bytes, lists in items) | flags |\n");
	printf("|---|---|---|---|---|---|\n");
	for (i = 0; i < msg_nschemas; i++)
		print_row(&msg_schemas[i]);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
