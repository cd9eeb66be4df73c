/*
 * agentctl audit verify|show: offline review of the audit log.  Neither
 * talks to agentd: a reviewer can run them on copied files.
 */
#ifndef AGENTCTL_AUDIT_CMD_H
#define AGENTCTL_AUDIT_CMD_H

#include <time.h>

/* exit codes */
#define AUDIT_EXIT_OK		0
#define AUDIT_EXIT_FAIL		1	/* chain broken / unreadable records */
#define AUDIT_EXIT_USAGE	2	/* bad arguments, unreadable file */

/* argv[0] == "audit"; returns the process exit code */
int	audit_cmd_main(int argc, char **argv);

/*
 * An RFC 3339 time ("2026-11-28T07:33:42.5Z", "...+02:00") or a duration
 * before now ("90s", "10m", "2h", "1d", "1h30m").  0, or -1 if neither.
 */
int	audit_parse_time(const char *, const struct timespec *now,
	    struct timespec *out);

#endif
