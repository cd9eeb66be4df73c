/*
 * The audit record format, shared by its writer (agentd/audit.c, in the
 * parent) and its readers (agentctl audit verify|show).  The schema, and
 * exactly which bytes the chain hash and the HMAC cover, are documented in
 * docs/man/agentd-audit.5; this file is the code that the page describes.
 *
 * One record is one line of compact JSON with a fixed key order:
 *	{"seq":N,"time":..,"node":..,"actor":..,"action":..,"phase":..,
 *	 "pod":{"namespace":..,"name":..,"uid":..},"container":..,"image":..,
 *	 "details":{..},"outcome":..,"error":..,"prev":"<64 hex>"
 *	 [,"hmac":"<64 hex>"]}
 * prev  = SHA-256 of the previous record's line (its bytes, no newline).
 * hmac  = HMAC-SHA256 of this line's bytes before its ,"hmac":"..."} tail.
 */
#ifndef AGENTD_AUDITFMT_H
#define AGENTD_AUDITFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AUDITFMT_HEX_LEN	64	/* SHA-256 / HMAC-SHA256 in hex */
#define AUDITFMT_ZERO_PREV \
	"0000000000000000000000000000000000000000000000000000000000000000"
/*
 * One executor record is bounded by IPC_MAX_MSG (1 MiB); JSON escaping
 * grows a byte to at most 6 ("\u001f"), so 8 MiB holds any record the
 * executor can send.  A longer line is refused by the writer (the caller
 * fails closed) and reported by the verifier.
 */
#define AUDITFMT_MAX_LINE	(8 * 1024 * 1024)
#define AUDITFMT_MAX_DETAILS	128	/* k=v items in one record */
/*
 * Details that are not a valid item list (a repeated or empty key, too
 * many items) are kept as text under these keys, at most this many bytes
 * of it, instead of failing the record.  auditfmt_details_add never
 * writes a key that starts with "_".
 */
#define AUDITFMT_MAX_RAW_DETAILS	4096
#define AUDITFMT_DETAILS_ERROR	"_format_error"
#define AUDITFMT_DETAILS_RAW	"_raw"
#define AUDITFMT_DETAILS_CUT	"_truncated"
#define AUDITFMT_DETAILS_CUT_MARK	"..."	/* ends a value cut to fit */
#define AUDITFMT_MIN_KEY	32	/* HMAC key bytes: at least SHA-256's */
#define AUDITFMT_MAX_KEY	1024
#define AUDITFMT_MAX_FILES	64	/* files given to one verify */
#define AUDITFMT_MAX_PATH	1024
#define AUDITFMT_MAX_REASON	512
#define AUDITFMT_MAX_FIELD	256	/* action copied out by the parser */
/* rotated files kept beside the live one: path.1 (newest) .. path.10 */
#define AUDITFMT_ROTATE_KEEP	10
#define AUDITFMT_ROTATE_ACTION	"audit.rotate"
/* ,"hmac":" + 64 hex + "} */
#define AUDITFMT_HMAC_TAIL_LEN	(9 + AUDITFMT_HEX_LEN + 2)

/* what a writer's caller says happened; every string may be NULL */
struct audit_rec {
	const char	*actor;		/* "agentd", "executor", "watcher", ... */
	const char	*action;	/* "container.create", "policy.deny", ... */
	const char	*phase;		/* "intent", "outcome", "event" */
	const char	*pod_ns;
	const char	*pod_name;
	const char	*pod_uid;
	const char	*container;
	const char	*image;
	const char	*details;	/* "k=v;k=v": auditfmt_details_add */
	const char	*outcome;	/* "ok", "denied", "error"; NULL: intent */
	const char	*error;
};

/*
 * Formats one record as its line (no newline), hashed/HMACed as above.
 * key NULL: no hmac member.  Returns a malloc'd NUL-terminated line and
 * its length (line[len] is the NUL: a writer may put its newline there),
 * or NULL with errno EINVAL (prev not 64 hex), E2BIG (longer than
 * AUDITFMT_MAX_LINE) or ENOMEM.  Details that are not a valid item list
 * do not fail the record: they are written as AUDITFMT_DETAILS_RAW text
 * with the reason in AUDITFMT_DETAILS_ERROR.
 */
char	*auditfmt_format(const struct audit_rec *, uint64_t seq,
	    const struct timespec *, const char *node, const char *prev_hex,
	    const uint8_t *key, size_t keylen, size_t *lenp);

/*
 * Appends "key=value" (";key=value" after the first item) to the details
 * string in buf (size bytes, NUL-terminated), escaping in the value what
 * would end or split an item -- ";" "=" "\\" as "\\;" "\\=" "\\\\" -- and
 * control bytes as "\\xHH", so that a value (a file name, a reason) can
 * never add or repeat a key.  A value that does not fit is cut, never in
 * the middle of an escape, and ends in AUDITFMT_DETAILS_CUT_MARK; then,
 * or when not even the key fits, -1.  key is the caller's literal.
 */
int	auditfmt_details_add(char *buf, size_t size, const char *key,
	    const char *value);

void	auditfmt_sha256_hex(const char *line, size_t len,
	    char out[AUDITFMT_HEX_LEN + 1]);
int	auditfmt_hmac_hex(const uint8_t *key, size_t keylen,
	    const char *data, size_t len, char out[AUDITFMT_HEX_LEN + 1]);

/* what the parser needs from one line to check the chain */
struct auditfmt_line {
	uint64_t	 seq;
	char		 prev[AUDITFMT_HEX_LEN + 1];
	int		 has_hmac;
	char		 hmac[AUDITFMT_HEX_LEN + 1];
	size_t		 hmac_covered;	/* bytes the hmac covers */
	char		 action[AUDITFMT_MAX_FIELD];
	/* an audit.gap record's details (0 when absent) */
	uint64_t	 gap_anchor_seq;
	uint64_t	 gap_found_seq;
};

/*
 * Parses one line (len bytes, no newline).  0, or -1 with a reason
 * ("malformed JSON", "malformed record: bad seq", ...).
 */
int	auditfmt_parse_line(const char *line, size_t len,
	    struct auditfmt_line *, char *reason, size_t reasonlen);

/*
 * Reads an HMAC key: the file's raw bytes, AUDITFMT_MIN_KEY..MAX_KEY of
 * them, from a regular file that neither group nor others may read or
 * write.  0, or -1 with the path and the reason in err.
 */
int	auditfmt_load_key(const char *path, uint8_t *key, size_t keymax,
	    size_t *keylen, char *err, size_t errlen);

/*
 * The tail anchor: the last seq and hash agentd wrote, kept in a file of
 * its own (auditAnchorFile) and copied to syslog, so that cutting records
 * off the end of the log -- which leaves a valid chain -- is noticed.  One
 * line:
 *	agentd-audit-anchor 1 seq=N hash=<64 hex> unshipped=U time=T
 *	    [ hmac=<64 hex>]
 * unshipped = the first seq whose syslog copy failed (0: none); the hmac
 * covers the bytes before " hmac=".  The same line in <auditLog>.verified
 * is the mark `agentctl audit verify --mark` leaves: the chain was intact
 * up to that seq.
 */
#define AUDITFMT_ANCHOR_MAGIC	"agentd-audit-anchor 1"
#define AUDITFMT_ANCHOR_MAX	512	/* bytes of an anchor file */
#define AUDITFMT_GAP_ACTION	"audit.gap"
#define AUDITFMT_VERIFIED_SUFFIX	".verified"
#define AUDITFMT_ANCHOR_SUFFIX	".anchor"	/* default: next to the log */

struct auditfmt_anchor {
	uint64_t	 seq;
	char		 hash[AUDITFMT_HEX_LEN + 1];
	uint64_t	 unshipped;
	int		 has_hmac;
	int		 hmac_ok;	/* checked against the key given */
};

/* the anchor line (with its newline) into buf; -1 if it does not fit */
int	auditfmt_anchor_format(const struct auditfmt_anchor *,
	    const struct timespec *, const uint8_t *key, size_t keylen,
	    char *buf, size_t buflen);
/*
 * Reads an anchor file.  0; 1 if it does not exist; -1 with the reason
 * (unreadable, malformed, or -- with a key -- a missing or bad hmac).
 */
int	auditfmt_anchor_read(const char *path, const uint8_t *key,
	    size_t keylen, struct auditfmt_anchor *, char *why, size_t whylen);

/* "path.N" for the Nth rotated file (1 = newest); -1 if it does not fit */
int	auditfmt_rotated_name(const char *path, int n, char *buf,
	    size_t buflen);

/*
 * Bounded line reader over a file: records may be long, but never longer
 * than AUDITFMT_MAX_LINE, so a hostile file cannot make a reader grow
 * without bound.  auditfmt_next_line: 1 = a line (complete: ends in a
 * newline, which is not included), 0 = end of file, -1 = read error (errno).
 * A last line with no newline is returned with *complete = 0; a line over
 * the bound is returned cut at AUDITFMT_MAX_LINE + 1 bytes with
 * *too_long = 1 and the rest skipped.
 */
struct auditfmt_reader;
struct auditfmt_reader *auditfmt_reader_open(const char *path);
int	auditfmt_next_line(struct auditfmt_reader *, const char **line,
	    size_t *len, int *complete, int *too_long);
void	auditfmt_reader_close(struct auditfmt_reader *);

struct audit_verify_result {
	int		 ok;
	int		 io_error;	/* a file unreadable, not the chain */
	uint64_t	 records;
	uint64_t	 first_seq;
	uint64_t	 last_seq;
	char		 last_hash[AUDITFMT_HEX_LEN + 1];	/* of last_seq */
	int		 partial_start;	/* first record: audit.rotate, seq > 1 */
	int		 hmac_checked;	/* a key was given */
	uint64_t	 hmac_present;	/* records that carry an hmac */
	int		 nfiles;
	int		 order[AUDITFMT_MAX_FILES];	/* chain order */
	/* the first bad record, when !ok */
	char		 file[AUDITFMT_MAX_PATH];
	uint64_t	 line;		/* 1-based; 0 = the file itself */
	uint64_t	 seq;		/* 0 = not known */
	char		 reason[AUDITFMT_MAX_REASON];
	/* with an anchor: where the chain's last record is */
	char		 last_file[AUDITFMT_MAX_PATH];
	uint64_t	 last_line;
	int		 anchor_checked;
	int		 anchor_behind;	/* the log went on after it: a crash */
};

/*
 * Verifies the chain over n files given in any order (they are put in
 * chain order by their first record's seq).  key NULL: hmacs are not
 * checked; with a key every record must carry a valid one.
 * 0 = intact; -1 = not (res names the first bad record and why).
 */
int	auditfmt_verify_files(const char **paths, int n, const uint8_t *key,
	    size_t keylen, struct audit_verify_result *res);

/*
 * The same, then the end of the chain against a tail anchor (NULL: none):
 * the chain must reach the anchor's seq with the anchor's hash there, and
 * hold no audit.gap record (agentd writes one when it finds the log cut
 * at a restart).  Fails with "truncated after seq N", "log restarted" or
 * the gap, at the place it was found.
 */
int	auditfmt_verify_anchored(const char **paths, int n, const uint8_t *key,
	    size_t keylen, const struct auditfmt_anchor *,
	    struct audit_verify_result *res);

/*
 * Orders paths in place by their first record's seq, files whose first
 * record cannot be read last (keeping their relative order).  For readers
 * that want chain order without verifying (agentctl audit show).
 */
void	auditfmt_sort_files(const char **paths, int n);

#endif
