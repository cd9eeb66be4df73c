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
#include <time.h>

#include "auditfmt.h"	/* struct audit_rec */

struct audit_cfg {
	const char	*path;
	const char	*key_file;	/* NULL or "" = no HMAC */
	uint64_t	 max_bytes;	/* rotate above; 0 = never */
	int		 do_fsync;
	int		 use_syslog;	/* copy each record to syslog */
	const char	*syslog_path;	/* NULL: _PATH_LOG, /dev/log */
	/*
	 * Rotation deletes a file only once it is shipped (every record's
	 * syslog copy was accepted) or marked verified; otherwise it is
	 * kept and the budget is exhausted (see audit_append_worker).
	 * 0: delete the oldest file regardless (tools, benchmarks).
	 */
	int		 retain_unshipped;
	const char	*anchor_path;	/* NULL or "": no tail anchor */
	const char	*node;
};

/*
 * Records a worker can cause (a compromised watcher, a crash loop, a
 * directory of bad manifests) are limited per kind (actor + action): at
 * most AUDIT_RATE_BURST of a kind in AUDIT_RATE_WINDOW_S seconds; the
 * rest are counted and, when the window closes, summed up in one
 * audit.suppressed record ("N more like this").
 */
#define AUDIT_RATE_WINDOW_S	10
#define AUDIT_RATE_BURST	20
#define AUDIT_RATE_KINDS	16	/* kinds tracked; more share the last */
/* the anchor is rewritten this often while records are written */
#define AUDIT_ANCHOR_INTERVAL_S	10

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
/*
 * A worker-originated record, rate-limited as above.  0 written, 1 not
 * written by design (over the rate, or the budget is exhausted: rotation
 * holds a file that is neither shipped nor verified, so worker records
 * are refused rather than old ones lost -- agentd says so once, in the
 * log and in a record), -1 as audit_append.  now: a monotonic second.
 */
int	audit_append_worker(struct audit_log *, const struct audit_rec *,
	    time_t now);
/*
 * Called about once a second: closes rate windows (writing their
 * summaries), retries a held rotation, rewrites the anchor when due.
 * -1 if a record could not be written.
 */
int	audit_tick(struct audit_log *, time_t now);
/* writes the anchor now (clean stop, tests); -1 on failure */
int	audit_write_anchor(struct audit_log *);
/* the budget is exhausted: worker records are being refused */
int	audit_budget_exhausted(const struct audit_log *);

/* why the last open/append failed, for the caller's one loud log line */
const char *audit_last_error(const struct audit_log *);
void	audit_close(struct audit_log *);

#endif
