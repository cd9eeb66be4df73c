/*
 * The audit log writer (agentd only).  What makes it tamper-evident is in
 * ipc/auditfmt.c (the chain and the HMAC); this file makes records
 * durable, fails closed, rotates without breaking the chain and resumes
 * the chain from whatever the files hold after a restart or a failure.
 *
 * Invariant: log->seq and log->prev describe the last complete line on
 * disk.  Whenever that may no longer hold (a failed write, fsync or
 * rotation), the fd is closed and the next append re-reads the file.
 */
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
	char dir[AUDITFMT_MAX_PATH], *slash;
	int fd, rv;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
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

static void
audit_syslog(const struct audit_log *al, const struct audit_rec *r,
    uint64_t seq)
{
#define F(s)	AUDIT_SYSLOG_FIELD, ((s) != NULL ? (s) : "-")
	/* %.*s bounds each field; syslog escapes control characters */
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit seq=%" PRIu64 " actor=%.*s "
	    "action=%.*s phase=%.*s pod=%.*s/%.*s container=%.*s "
	    "outcome=%.*s error=%.*s", seq, F(r->actor), F(r->action),
	    F(r->phase), F(r->pod_ns), F(r->pod_name), F(r->container),
	    F(r->outcome), F(r->error));
#undef F
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
		audit_syslog(al, r, al->seq);
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

/* path.9 -> path.10 ... path -> path.1; the oldest beyond KEEP goes */
static int
shift_files(struct audit_log *al)
{
	char from[AUDITFMT_MAX_PATH + 16], to[AUDITFMT_MAX_PATH + 16];
	int i;

	if (auditfmt_rotated_name(al->path, AUDITFMT_ROTATE_KEEP, to,
	    sizeof(to)) == -1)
		return audit_err(al, "%s: path too long", al->path);
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
	int fd;

	if (shift_files(al) == -1)
		return -1;
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
	if (cfg->key_file != NULL && cfg->key_file[0] != '\0' &&
	    auditfmt_load_key(cfg->key_file, al->key, sizeof(al->key),
	    &al->keylen, err, errlen) == -1)
		goto fail;
	/* a new key (or none) starts a new file, so each file is uniform */
	if (audit_resume(al, &rekey) == -1 ||
	    (rekey && audit_rotate(al) == -1)) {
		snprintf(err, errlen, "%s", al->err);
		goto fail;
	}
	return al;
 fail:
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
	/* the record is durable; a failed rotation is retried next time */
	if (al->max_bytes > 0 && al->size > al->max_bytes &&
	    audit_rotate(al) == -1)
		log_warnx("audit: rotation failed, will retry: %s", al->err);
	return 0;
}

const char *
audit_last_error(const struct audit_log *al)
{
	return al->err[0] != '\0' ? al->err : "no error";
}

void
audit_close(struct audit_log *al)
{
	if (al == NULL)
		return;
	if (al->fd != -1)
		close(al->fd);
	explicit_bzero(al->key, sizeof(al->key));
	free(al);
}
