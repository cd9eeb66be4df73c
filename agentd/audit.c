/*
 * The audit log writer (agentd only).  What makes it tamper-evident is in
 * common/auditfmt.c (the chain and the HMAC); this file makes records
 * durable, fails closed, rotates without breaking the chain and resumes
 * the chain from whatever the files hold after a restart or a failure.
 *
 * Invariant: log->seq and log->prev describe the last complete line on
 * disk.  Whenever that may no longer hold (a failed write, fsync or
 * rotation), the fd is closed and the next append re-reads the file.
 *
 * Against a flood and against cutting the tail (docs/man/agentd-audit.5):
 * worker-caused records are rate-limited and summed up; rotation keeps a
 * file until it is shipped (each record's syslog copy was accepted by the
 * syslog socket) or verified (agentctl audit verify --mark), and when it
 * must keep one, worker records are refused -- never the old ones lost;
 * the last seq and hash go to a separate anchor file, and a log found
 * shorter than its anchor gets an audit.gap record, not a silent restart.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"

#define AUDIT_FILE_MODE		0600
#define AUDIT_MAX_NODE		256
#define AUDIT_MAX_ERR		512
#define AUDIT_SYSLOG_FIELD	256	/* chars of a field sent to syslog */
#define AUDIT_SYSLOG_PATH	"/dev/log"	/* _PATH_LOG */
#define AUDIT_SYSLOG_MAX	4096	/* bytes of one syslog datagram */

/* one kind of worker-caused record and its current window */
struct audit_rate {
	char		 actor[32];
	char		 action[64];
	time_t		 start;
	uint32_t	 written;	/* in this window; 0 = no window */
	uint64_t	 suppressed;
};

struct audit_log {
	char		 path[AUDITFMT_MAX_PATH];
	char		 node[AUDIT_MAX_NODE];
	int		 has_node;
	uint8_t		 key[AUDITFMT_MAX_KEY];
	size_t		 keylen;		/* 0 = no HMAC */
	uint64_t	 max_bytes;
	int		 do_fsync;
	int		 use_syslog;
	int		 fd;		/* -1: resume before appending */
	uint64_t	 size;		/* bytes in the live file */
	uint64_t	 seq;		/* last record on disk, 0 = none */
	char		 prev[AUDITFMT_HEX_LEN + 1];	/* its hash */
	int		 rotate_pending; /* live file needs audit.rotate */
	char		 err[AUDIT_MAX_ERR];
	/* shipping: the syslog copy */
	char		 syslog_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 ship_fd;
	uint64_t	 unshipped_from;	/* first seq not shipped, 0 */
	int		 retain;		/* keep unshipped files */
	/* rotation held: worker records refused */
	int		 exhausted;
	uint64_t	 refused;
	uint64_t	 held_last_seq;	/* of the file kept; 0 = unknown */
	char		 verified_path[AUDITFMT_MAX_PATH + 16];
	/* the tail anchor */
	char		 anchor_path[AUDITFMT_MAX_PATH + 16];
	uint64_t	 anchored_seq;
	time_t		 anchored_at;
	struct audit_rate rate[AUDIT_RATE_KINDS];
};

/* the last record of a file, as the chain needs it */
struct audit_tail {
	uint64_t	 seq;
	char		 hash[AUDITFMT_HEX_LEN + 1];
	int		 has_hmac;
	int		 hmac_ok;	/* valid under our key */
};

static int
audit_err(struct audit_log *al, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(al->err, sizeof(al->err), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

static int
fsync_dir(const char *path)
{
	char dir[AUDITFMT_MAX_PATH];
	int fd, rv;

	path_dirname(dir, sizeof(dir), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rv = fsync(fd);
	close(fd);
	return rv;
}

static int
pread_full(int fd, char *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* the file shrank */
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/*
 * Reads the last line of a file of `size` bytes.  It must be a complete,
 * parsable record: resuming after a torn or edited last line would hide
 * the damage by chaining onto it.
 */
static int
read_tail(struct audit_log *al, int fd, const char *path, uint64_t size,
    struct audit_tail *t)
{
	struct auditfmt_line pl;
	char why[AUDITFMT_MAX_REASON], mac[AUDITFMT_HEX_LEN + 1];
	size_t want = size > AUDITFMT_MAX_LINE + 1 ? AUDITFMT_MAX_LINE + 1 :
	    (size_t)size;
	char *buf, *start;
	int rv = -1;

	if ((buf = malloc(want)) == NULL)
		return audit_err(al, "%s: %s", path, strerror(errno));
	if (pread_full(fd, buf, want, (off_t)(size - want)) == -1) {
		audit_err(al, "%s: read: %s", path, strerror(errno));
		goto out;
	}
	if (buf[want - 1] != '\n') {
		errno = EILSEQ;
		audit_err(al, "%s: last record has no newline (torn write?); "
		    "check it with agentctl audit verify and move it aside",
		    path);
		goto out;
	}
	start = memrchr(buf, '\n', want - 1);
	start = start ? start + 1 : buf;
	if (start == buf && want < size) {
		errno = E2BIG;
		audit_err(al, "%s: last record too long", path);
		goto out;
	}
	if (auditfmt_parse_line(start, (size_t)(buf + want - 1 - start), &pl,
	    why, sizeof(why)) == -1) {
		errno = EILSEQ;
		audit_err(al, "%s: last record damaged (%s); check it with "
		    "agentctl audit verify and move it aside", path, why);
		goto out;
	}
	t->seq = pl.seq;
	auditfmt_sha256_hex(start, (size_t)(buf + want - 1 - start), t->hash);
	t->has_hmac = pl.has_hmac;
	t->hmac_ok = 0;
	if (al->keylen > 0 && pl.has_hmac &&
	    auditfmt_hmac_hex(al->key, al->keylen, start, pl.hmac_covered,
	    mac) == 0 && strcmp(mac, pl.hmac) == 0)
		t->hmac_ok = 1;
	rv = 0;
 out:
	free(buf);
	return rv;
}

/* the chain's continuation from path.1, for an empty live file */
static int
read_rotated_tail(struct audit_log *al, struct audit_tail *t, int *found)
{
	char name[AUDITFMT_MAX_PATH + 16];
	struct stat st;
	int fd, rv = -1;

	*found = 0;
	if (auditfmt_rotated_name(al->path, 1, name, sizeof(name)) == -1)
		return audit_err(al, "%s: path too long", al->path);
	if ((fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return audit_err(al, "%s: %s", name, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		errno = EINVAL;
		audit_err(al, "%s: not a regular file", name);
	} else if (st.st_size == 0)
		rv = 0;
	else if (read_tail(al, fd, name, (uint64_t)st.st_size, t) == 0)
		rv = 0, *found = 1;
	close(fd);
	return rv;
}

static int
open_live(struct audit_log *al, int flags, struct stat *st)
{
	int fd;

	fd = open(al->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY | flags, AUDIT_FILE_MODE);
	if (fd == -1) {
		if (errno == ELOOP)
			return audit_err(al, "%s: is a symlink", al->path);
		return audit_err(al, "%s: %s", al->path, strerror(errno));
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return audit_err(al, "%s: not a regular file", al->path);
	}
	/* two writers would fork the chain */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return audit_err(al, "%s: locked by another process (%s)",
		    al->path, strerror(errno));
	}
	return fd;
}

/* (re)establishes fd, size, seq, prev from the files on disk */
static int
audit_resume(struct audit_log *al, int *rekey)
{
	struct audit_tail t = { 0 };
	struct stat st;
	int fd, found = 0;

	if (al->fd != -1) {
		close(al->fd);
		al->fd = -1;
	}
	if ((fd = open_live(al, 0, &st)) == -1)
		return -1;
	if (al->do_fsync && fsync_dir(al->path) == -1) {
		audit_err(al, "%s: fsync of its directory: %s", al->path,
		    strerror(errno));
		goto fail;
	}
	if (st.st_size > 0) {
		if (read_tail(al, fd, al->path, (uint64_t)st.st_size, &t) == -1)
			goto fail;
		found = 1;
	} else if (read_rotated_tail(al, &t, &found) == -1)
		goto fail;
	al->seq = found ? t.seq : 0;
	snprintf(al->prev, sizeof(al->prev), "%s",
	    found ? t.hash : AUDITFMT_ZERO_PREV);
	al->rotate_pending = found && st.st_size == 0;
	al->size = (uint64_t)st.st_size;
	al->fd = fd;
	if (rekey != NULL && st.st_size > 0)
		*rekey = al->keylen > 0 ? !t.hmac_ok : t.has_hmac;
	return 0;
 fail:
	close(fd);
	return -1;
}

/* the datagram socket to syslog, connected; -1 if there is none */
static int
ship_socket(struct audit_log *al)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (al->ship_fd != -1)
		return al->ship_fd;
	if ((al->ship_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) ==
	    -1)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", al->syslog_path);
	if (connect(al->ship_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(al->ship_fd);
		al->ship_fd = -1;
	}
	return al->ship_fd;
}

/*
 * One syslog datagram (RFC 3164 framing, as syslog(3) sends it), sent by
 * hand: syslog(3) cannot say whether the copy arrived, and "shipped"
 * must mean it did.  Never blocks: a full queue is "not shipped".
 */
static int
ship_line(struct audit_log *al, const char *msg)
{
	char buf[AUDIT_SYSLOG_MAX], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;
	int n, fd, tries;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "<%d>%s agentd[%d]: %s",
	    LOG_AUTHPRIV | LOG_NOTICE, stamp, (int)getpid(), msg);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < (size_t)n; i++)		/* one line, whatever it holds */
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	for (tries = 0; tries < 2; tries++) {
		if ((fd = ship_socket(al)) == -1)
			return -1;
		if (send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
			return 0;
		close(al->ship_fd);	/* syslogd restarted: reconnect once */
		al->ship_fd = -1;
	}
	return -1;
}

static void
audit_ship(struct audit_log *al, const struct audit_rec *r, uint64_t seq)
{
	char msg[9 * AUDIT_SYSLOG_FIELD + 256];
	int saved = errno;

#define F(s)	AUDIT_SYSLOG_FIELD, ((s) != NULL ? (s) : "-")
	snprintf(msg, sizeof(msg), "audit seq=%" PRIu64 " actor=%.*s "
	    "action=%.*s phase=%.*s pod=%.*s/%.*s container=%.*s "
	    "outcome=%.*s error=%.*s", seq, F(r->actor), F(r->action),
	    F(r->phase), F(r->pod_ns), F(r->pod_name), F(r->container),
	    F(r->outcome), F(r->error));
#undef F
	if (ship_line(al, msg) == 0) {
		errno = saved;
		return;
	}
	if (al->unshipped_from == 0) {
		al->unshipped_from = seq;
		log_warnx("audit: syslog copy to %s failed (%s); records from "
		    "seq %" PRIu64 " are unshipped, rotation keeps them until "
		    "agentctl audit verify --mark", al->syslog_path,
		    strerror(errno), seq);
	}
	errno = saved;
}

static int
write_full(int fd, const char *buf, size_t len)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * The record is on disk and, with do_fsync, durable (fdatasync also
 * writes the new file size: what an append needs).  On failure the bytes
 * are cut off again, so the file never holds a torn or unacknowledged
 * record, and the fd is dropped so the next append resumes from disk.
 */
static int
write_record(struct audit_log *al, const struct audit_rec *r, uint64_t *seq)
{
	struct timespec ts;
	char *line;
	size_t len;
	int saved;

	clock_gettime(CLOCK_REALTIME, &ts);
	line = auditfmt_format(r, al->seq + 1, &ts,
	    al->has_node ? al->node : NULL, al->prev,
	    al->keylen > 0 ? al->key : NULL, al->keylen, &len);
	if (line == NULL)
		return audit_err(al, "record not written: %s", strerror(errno));
	line[len] = '\n';	/* auditfmt_format leaves room for it */
	if (write_full(al->fd, line, len + 1) == -1 ||
	    (al->do_fsync && fdatasync(al->fd) == -1)) {
		saved = errno;
		audit_err(al, "%s: %s", al->path, strerror(saved));
		if (ftruncate(al->fd, (off_t)al->size) == -1)
			log_warn("audit: %s: cannot cut off a failed record",
			    al->path);
		close(al->fd);
		al->fd = -1;
		free(line);
		errno = saved;
		return -1;
	}
	auditfmt_sha256_hex(line, len, al->prev);
	al->seq++;
	al->size += len + 1;
	free(line);
	if (al->use_syslog)
		audit_ship(al, r, al->seq);
	else if (al->unshipped_from == 0)
		al->unshipped_from = al->seq;
	if (seq != NULL)
		*seq = al->seq;
	return 0;
}

static int
write_rotate_record(struct audit_log *al)
{
	char details[128];
	struct audit_rec r = {
		.actor = "agentd", .action = AUDITFMT_ROTATE_ACTION,
		.phase = "event", .outcome = "ok", .details = details
	};

	snprintf(details, sizeof(details), "previous_last_seq=%" PRIu64,
	    al->seq);
	if (write_record(al, &r, NULL) == -1)
		return -1;
	al->rotate_pending = 0;
	return 0;
}

/* the seq up to which agentctl audit verify --mark found the chain intact */
static uint64_t
verified_seq(const struct audit_log *al)
{
	struct auditfmt_anchor a;
	char why[AUDITFMT_MAX_REASON];

	if (auditfmt_anchor_read(al->verified_path, NULL, 0, &a, why,
	    sizeof(why)) != 0)
		return 0;
	return a.seq;
}

/*
 * May the oldest kept file (its last record: last_seq) go?  Only if it
 * holds no unshipped record or the chain was verified past it.  Every
 * record after the first unshipped one counts as unshipped: agentd does
 * not keep a list, and erring this way only keeps more.
 */
static int
releasable(struct audit_log *al, uint64_t last_seq)
{
	uint64_t v;

	if (!al->retain || al->unshipped_from == 0 ||
	    last_seq < al->unshipped_from)
		return 1;
	if ((v = verified_seq(al)) < last_seq)
		return 0;
	al->unshipped_from = v >= al->seq ? 0 : v + 1;
	return 1;
}

/* the oldest kept file, if rotation would delete it: may it go? */
static int
oldest_releasable(struct audit_log *al, const char *name)
{
	struct audit_tail t = { 0 };
	struct stat st;
	int fd, ok;

	if (!al->retain || al->unshipped_from == 0)
		return 1;
	/* while held, the same file is asked about every tick: read it once */
	if (al->held_last_seq != 0)
		return releasable(al, al->held_last_seq);
	if ((fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_size == 0 ||
	    read_tail(al, fd, name, (uint64_t)st.st_size, &t) == 0);
	close(fd);
	/* a damaged file is kept: it is evidence */
	if (!ok)
		return 0;
	if (releasable(al, t.seq))
		return 1;
	al->held_last_seq = t.seq;
	return 0;
}

/*
 * path.9 -> path.10 ... path -> path.1; the oldest beyond KEEP goes, if
 * it may (else 1: nothing was moved).
 */
static int
shift_files(struct audit_log *al)
{
	char from[AUDITFMT_MAX_PATH + 16], to[AUDITFMT_MAX_PATH + 16];
	int i;

	if (auditfmt_rotated_name(al->path, AUDITFMT_ROTATE_KEEP, to,
	    sizeof(to)) == -1)
		return audit_err(al, "%s: path too long", al->path);
	if (!oldest_releasable(al, to))
		return 1;
	al->held_last_seq = 0;
	if (unlink(to) == -1 && errno != ENOENT)
		return audit_err(al, "unlink %s: %s", to, strerror(errno));
	for (i = AUDITFMT_ROTATE_KEEP - 1; i >= 0; i--) {
		if (i == 0)
			snprintf(from, sizeof(from), "%s", al->path);
		else
			(void)auditfmt_rotated_name(al->path, i, from,
			    sizeof(from));
		(void)auditfmt_rotated_name(al->path, i + 1, to, sizeof(to));
		if (rename(from, to) == -1 && errno != ENOENT)
			return audit_err(al, "rename %s: %s", from,
			    strerror(errno));
	}
	return 0;
}

static int	check_anchor(struct audit_log *);

static int
write_event(struct audit_log *al, const char *action, const char *details,
    const char *outcome, const char *error)
{
	struct audit_rec r = { .actor = "agentd", .action = action,
	    .phase = "event", .details = details, .outcome = outcome,
	    .error = error };

	return audit_append(al, &r, NULL);
}

/*
 * Rotation had to keep a file: from now on worker records are refused
 * (they are what a flood is made of) while agentd's and the executor's
 * records are still written, past auditMaxBytes: a privileged action is
 * never left unrecorded by the budget.  Said once, in the log and here.
 */
static void
budget_exhausted(struct audit_log *al)
{
	char details[256], n[32];

	if (al->exhausted)
		return;
	al->exhausted = 1;
	al->refused = 0;
	log_warnx("audit: budget exhausted: %s.%d holds records that are "
	    "neither shipped to syslog nor verified (unshipped from seq %"
	    PRIu64 "); records caused by workers are refused until "
	    "agentctl audit verify --mark", al->path, AUDITFMT_ROTATE_KEEP,
	    al->unshipped_from);
	details[0] = '\0';
	snprintf(n, sizeof(n), "%" PRIu64, al->unshipped_from);
	auditfmt_details_add(details, sizeof(details), "unshipped_from", n);
	snprintf(n, sizeof(n), "%d", AUDITFMT_ROTATE_KEEP);
	auditfmt_details_add(details, sizeof(details), "kept_files", n);
	if (write_event(al, "audit.budget_exhausted", details, "refusing",
	    "rotation would delete records neither shipped nor verified") ==
	    -1)
		log_warnx("audit: %s", al->err);
}

static void
budget_restored(struct audit_log *al)
{
	char details[64], n[32];

	al->exhausted = 0;
	log_warnx("audit: budget available again; %" PRIu64 " worker "
	    "records were refused", al->refused);
	snprintf(n, sizeof(n), "%" PRIu64, al->refused);
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "refused", n);
	if (write_event(al, "audit.budget_restored", details, "ok", NULL) == -1)
		log_warnx("audit: %s", al->err);
}

/* 0 rotated or not needed, 1 held (budget exhausted), -1 failed */
static int audit_rotate(struct audit_log *);

static int
maybe_rotate(struct audit_log *al)
{
	int rc;

	if (al->max_bytes == 0 || al->size <= al->max_bytes)
		return 0;
	if ((rc = audit_rotate(al)) == -1) {
		log_warnx("audit: rotation failed, will retry: %s", al->err);
		return -1;
	}
	if (rc == 1)
		budget_exhausted(al);
	else if (al->exhausted)
		budget_restored(al);
	return rc;
}

/*
 * Starts a new live file whose first record (audit.rotate) chains onto
 * the last record of the old one.  Any failure after the rename leaves
 * the fd dropped; the next append resumes from path.1 and writes the
 * audit.rotate record then.
 */
static int
audit_rotate(struct audit_log *al)
{
	struct stat st;
	int fd, rc;

	if ((rc = shift_files(al)) != 0)
		return rc;
	if ((fd = open_live(al, O_EXCL, &st)) == -1)
		goto drop;
	if (al->do_fsync && fsync_dir(al->path) == -1) {
		audit_err(al, "%s: fsync of its directory: %s", al->path,
		    strerror(errno));
		close(fd);
		goto drop;
	}
	close(al->fd);
	al->fd = fd;
	al->size = 0;
	al->rotate_pending = 1;
	return write_rotate_record(al);
 drop:
	close(al->fd);
	al->fd = -1;
	return -1;
}

struct audit_log *
audit_open(const struct audit_cfg *cfg, char *err, size_t errlen)
{
	struct audit_log *al;
	int rekey = 0;

	if ((al = calloc(1, sizeof(*al))) == NULL) {
		snprintf(err, errlen, "audit: %s", strerror(errno));
		return NULL;
	}
	al->fd = -1;
	if (cfg->path == NULL || cfg->path[0] == '\0' ||
	    strlen(cfg->path) >= sizeof(al->path) - 16) {
		snprintf(err, errlen, "auditLog: %s", cfg->path == NULL ||
		    cfg->path[0] == '\0' ? "empty path" : "path too long");
		goto fail;
	}
	snprintf(al->path, sizeof(al->path), "%s", cfg->path);
	if (cfg->node != NULL) {
		snprintf(al->node, sizeof(al->node), "%s", cfg->node);
		al->has_node = 1;
	}
	al->max_bytes = cfg->max_bytes;
	al->do_fsync = cfg->do_fsync;
	al->use_syslog = cfg->use_syslog;
	al->retain = cfg->retain_unshipped;
	al->ship_fd = -1;
	snprintf(al->syslog_path, sizeof(al->syslog_path), "%s",
	    cfg->syslog_path ? cfg->syslog_path : AUDIT_SYSLOG_PATH);
	snprintf(al->verified_path, sizeof(al->verified_path), "%s%s",
	    al->path, AUDITFMT_VERIFIED_SUFFIX);
	if (cfg->anchor_path != NULL && strlen(cfg->anchor_path) >=
	    sizeof(al->anchor_path) - 8) {
		snprintf(err, errlen, "auditAnchorFile: path too long");
		goto fail;
	}
	if (cfg->anchor_path != NULL)
		snprintf(al->anchor_path, sizeof(al->anchor_path), "%s",
		    cfg->anchor_path);
	if (cfg->key_file != NULL && cfg->key_file[0] != '\0' &&
	    auditfmt_load_key(cfg->key_file, al->key, sizeof(al->key),
	    &al->keylen, err, errlen) == -1)
		goto fail;
	/* a new key (or none) starts a new file, so each file is uniform */
	if (audit_resume(al, &rekey) == -1) {
		snprintf(err, errlen, "%s", al->err);
		goto fail;
	}
	if (al->anchor_path[0] != '\0' && check_anchor(al) == -1) {
		snprintf(err, errlen, "%s", al->err);
		goto fail;
	}
	switch (rekey ? audit_rotate(al) : 0) {
	case -1:
		snprintf(err, errlen, "%s", al->err);
		goto fail;
	case 1:
		snprintf(err, errlen, "%s: a new key needs a new file, but "
		    "%s.%d is neither shipped nor verified (agentctl audit "
		    "verify --mark)", al->path, al->path, AUDITFMT_ROTATE_KEEP);
		goto fail;
	}
	if (al->anchor_path[0] != '\0' && audit_write_anchor(al) == -1) {
		snprintf(err, errlen, "%s", al->err);
		goto fail;
	}
	return al;
 fail:
	al->anchor_path[0] = '\0';	/* an anchor only for what was open */
	audit_close(al);
	return NULL;
}

int
audit_append(struct audit_log *al, const struct audit_rec *r,
    uint64_t *seq_out)
{
	if (al->fd == -1 && audit_resume(al, NULL) == -1)
		return -1;
	if (al->rotate_pending && write_rotate_record(al) == -1)
		return -1;
	if (write_record(al, r, seq_out) == -1)
		return -1;
	/*
	 * The record is durable; a failed rotation is retried next time, a
	 * held one by audit_tick (it reads the oldest file's tail).
	 */
	if (!al->exhausted)
		(void)maybe_rotate(al);
	return 0;
}

/* ---- worker-caused records: rate limit ---------------------------------- */

static struct audit_rate *
rate_kind(struct audit_log *al, const struct audit_rec *r)
{
	const char *actor = r->actor ? r->actor : "-";
	const char *action = r->action ? r->action : "-";
	struct audit_rate *k;
	int i;

	for (i = 0; i < AUDIT_RATE_KINDS; i++) {
		k = &al->rate[i];
		if (k->actor[0] == '\0') {
			snprintf(k->actor, sizeof(k->actor), "%s", actor);
			snprintf(k->action, sizeof(k->action), "%s", action);
			return k;
		}
		if (strncmp(k->actor, actor, sizeof(k->actor) - 1) == 0 &&
		    strncmp(k->action, action, sizeof(k->action) - 1) == 0)
			return k;
	}
	return &al->rate[AUDIT_RATE_KINDS - 1];	/* the rest share one */
}

/* the window is over: "N more like this", then a new window */
static int
rate_close(struct audit_log *al, struct audit_rate *k)
{
	char details[256], n[32];
	struct audit_rec r = { .actor = k->actor,
	    .action = "audit.suppressed", .phase = "event",
	    .details = details, .outcome = "suppressed" };

	if (k->suppressed > 0) {
		details[0] = '\0';
		auditfmt_details_add(details, sizeof(details), "action",
		    k->action);
		snprintf(n, sizeof(n), "%" PRIu64, k->suppressed);
		auditfmt_details_add(details, sizeof(details), "suppressed", n);
		snprintf(n, sizeof(n), "%d", AUDIT_RATE_BURST);
		auditfmt_details_add(details, sizeof(details), "limit", n);
		snprintf(n, sizeof(n), "%d", AUDIT_RATE_WINDOW_S);
		auditfmt_details_add(details, sizeof(details), "window_s", n);
		if (audit_append(al, &r, NULL) == -1)
			return -1;	/* kept for the next try */
	}
	k->written = 0;
	k->suppressed = 0;
	return 0;
}

int
audit_append_worker(struct audit_log *al, const struct audit_rec *r,
    time_t now)
{
	struct audit_rate *k;

	if (al->exhausted) {
		al->refused++;
		return 1;
	}
	k = rate_kind(al, r);
	if (k->written > 0 && now - k->start >= AUDIT_RATE_WINDOW_S &&
	    rate_close(al, k) == -1)
		return -1;
	if (k->written == 0)
		k->start = now;
	if (k->written >= AUDIT_RATE_BURST) {
		k->suppressed++;
		return 1;
	}
	if (audit_append(al, r, NULL) == -1)
		return -1;
	k->written++;
	return 0;
}

int
audit_budget_exhausted(const struct audit_log *al)
{
	return al->exhausted;
}

/* ---- the tail anchor ---------------------------------------------------- */

int
audit_write_anchor(struct audit_log *al)
{
	struct auditfmt_anchor a = { .seq = al->seq,
	    .unshipped = al->unshipped_from };
	char line[AUDITFMT_ANCHOR_MAX], tmp[sizeof(al->anchor_path) + 8];
	char msg[256];
	struct timespec ts;
	int fd;

	if (al->anchor_path[0] == '\0')
		return 0;
	if (al->fd == -1)	/* seq and prev may not match the disk */
		return audit_err(al, "anchor: the log is not open");
	snprintf(a.hash, sizeof(a.hash), "%s", al->prev);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (auditfmt_anchor_format(&a, &ts, al->keylen ? al->key : NULL,
	    al->keylen, line, sizeof(line)) == -1)
		return audit_err(al, "anchor: cannot format");
	snprintf(tmp, sizeof(tmp), "%s.tmp", al->anchor_path);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, AUDIT_FILE_MODE)) == -1)
		return audit_err(al, "%s: %s", tmp, strerror(errno));
	if (write_full(fd, line, strlen(line)) == -1 || fsync(fd) == -1) {
		audit_err(al, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, al->anchor_path) == -1) {
		audit_err(al, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (fsync_dir(al->anchor_path) == -1)
		return audit_err(al, "%s: fsync of its directory: %s",
		    al->anchor_path, strerror(errno));
	al->anchored_seq = al->seq;
	snprintf(msg, sizeof(msg), "audit anchor seq=%" PRIu64 " hash=%s",
	    a.seq, a.hash);
	if (al->use_syslog)
		(void)ship_line(al, msg);
	return 0;
}

int
audit_tick(struct audit_log *al, time_t now)
{
	int i, rv = 0;

	for (i = 0; i < AUDIT_RATE_KINDS; i++)
		if (al->rate[i].written > 0 &&
		    now - al->rate[i].start >= AUDIT_RATE_WINDOW_S &&
		    rate_close(al, &al->rate[i]) == -1)
			rv = -1;
	if (al->exhausted && al->fd != -1)
		(void)maybe_rotate(al);
	if (al->anchor_path[0] != '\0' && al->seq != al->anchored_seq &&
	    now - al->anchored_at >= AUDIT_ANCHOR_INTERVAL_S) {
		al->anchored_at = now;
		if (audit_write_anchor(al) == -1)
			log_warnx("audit: %s", al->err);
	}
	return rv;
}

/*
 * At open: the log must reach what the anchor names.  If it does not (cut
 * at the tail, deleted, the last record replaced), the chain goes on from
 * what is there, but first an audit.gap record says what was missing, so
 * that agentctl audit verify shows the gap instead of a valid chain.
 */
static int
check_anchor(struct audit_log *al)
{
	struct auditfmt_anchor a;
	char why[AUDITFMT_MAX_REASON], details[512], n[32];
	const char *what;
	int rc;

	rc = auditfmt_anchor_read(al->anchor_path, al->keylen ? al->key : NULL,
	    al->keylen, &a, why, sizeof(why));
	if (rc == 1) {
		/* first start with an anchor: were older records shipped? */
		if (al->seq > 0)
			al->unshipped_from = 1;
		return 0;
	}
	if (rc == -1) {
		log_warnx("audit: anchor: %s", why);
		al->unshipped_from = al->seq > 0 ? 1 : 0;
		return write_event(al, "audit.anchor_invalid", NULL, "error",
		    why);
	}
	al->unshipped_from = a.unshipped;
	if (al->seq > a.seq || (al->seq == a.seq &&
	    strcmp(al->prev, a.hash) == 0))
		return 0;	/* intact (more records: a crash, not a cut) */
	what = al->seq == 0 ? "log missing" : al->seq < a.seq ?
	    "log shorter than its anchor" : "last record differs from its "
	    "anchor";
	log_warnx("audit: %s: %s (the anchor %s names seq %" PRIu64 ", the "
	    "log ends at seq %" PRIu64 "); recording the gap, the chain goes "
	    "on from there", al->path, what, al->anchor_path, a.seq, al->seq);
	details[0] = '\0';
	snprintf(n, sizeof(n), "%" PRIu64, a.seq);
	auditfmt_details_add(details, sizeof(details), "anchor_seq", n);
	auditfmt_details_add(details, sizeof(details), "anchor_hash", a.hash);
	snprintf(n, sizeof(n), "%" PRIu64, al->seq);
	auditfmt_details_add(details, sizeof(details), "found_seq", n);
	auditfmt_details_add(details, sizeof(details), "anchor_file",
	    al->anchor_path);
	if (a.unshipped == 0 || a.unshipped > al->seq + 1)
		al->unshipped_from = al->seq + 1;	/* the gap record on */
	return write_event(al, AUDITFMT_GAP_ACTION, details, "gap", what);
}

const char *
audit_last_error(const struct audit_log *al)
{
	return al->err[0] != '\0' ? al->err : "no error";
}

void
audit_close(struct audit_log *al)
{
	int i;

	if (al == NULL)
		return;
	/* windows still open are summed up now, not lost with the process */
	for (i = 0; al->fd != -1 && i < AUDIT_RATE_KINDS; i++)
		if (al->rate[i].suppressed > 0 &&
		    rate_close(al, &al->rate[i]) == -1)
			log_warnx("audit: %s", al->err);
	/* a clean stop leaves the anchor at the very end */
	if (al->fd != -1 && al->anchor_path[0] != '\0' &&
	    audit_write_anchor(al) == -1)
		log_warnx("audit: %s", al->err);
	if (al->fd != -1)
		close(al->fd);
	if (al->ship_fd != -1)
		close(al->ship_fd);
	explicit_bzero(al->key, sizeof(al->key));
	free(al);
}
