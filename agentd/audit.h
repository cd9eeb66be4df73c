/*
 * The audit log writer, used only by agentd (the parent).  Records are
 * chained (each names the SHA-256 of the previous line), optionally
 * HMACed, made durable before audit_append returns, rotated by size
 * without breaking the chain, and copied to syslog.  The format is
 * include/auditfmt.h; the schema and policies are docs/man/agentd-audit.5.
 *
 * Fail closed: audit_append returns -1 when a record is not durable, and
 * the caller must then not perform (or must report as not performed) the
 * privileged action the record was for.  A failed append leaves no
 * partial line behind (it is cut off again) and the next append simply
 * tries again from what the file holds.
 */
#ifndef AGENTD_AUDIT_H
#define AGENTD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "auditfmt.h"	/* struct audit_rec */

struct audit_cfg {
	const char	*path;
	const char	*key_file;	/* NULL or "" = no HMAC */
	uint64_t	 max_bytes;	/* rotate above; 0 = never */
	int		 do_fsync;
	int		 use_syslog;
	const char	*node;
};

struct audit_log;

/*
 * Opens (creating, mode 0600) and locks the log, and resumes the chain
 * from its last record (or, if it is empty, from the last record of
 * path.1 with an audit.rotate record).  Refuses a path that is a symlink
 * or not a regular file, a log another process holds, a damaged last
 * record, and a bad key file.  NULL with the reason in err.
 */
struct audit_log *audit_open(const struct audit_cfg *, char *err,
	    size_t errlen);
/* 0 only when the record is durable; -1 (errno set): fail closed */
int	audit_append(struct audit_log *, const struct audit_rec *,
	    uint64_t *seq_out);
/* why the last open/append failed, for the caller's one loud log line */
const char *audit_last_error(const struct audit_log *);
void	audit_close(struct audit_log *);

#endif
