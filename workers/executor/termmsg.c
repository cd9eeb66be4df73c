/*
 * Termination messages, as the kubelet makes them
 * (kuberuntime_container.go getTerminationMessage,
 * readLastStringFromContainerLogs; status_manager.go normalizeStatus).
 *
 * Each container gets an empty file of its own, rootDir/pods/<uid>/
 * termination/<container>, made anew (truncated) before every start and
 * bind-mounted read-write at its terminationMessagePath; it goes with
 * the pod's directory when the sandbox is removed (infra.c).  After the
 * container exits the executor reads it: without following links,
 * without blocking, a regular file only, its last RT_TERM_MSG_MAX bytes
 * (tail.ReadAtMost).  With FallbackToLogsOnError, a failed container
 * whose file is empty (or missing) gets the end of its CRI log instead:
 * the content of the last RT_TERM_LOG_LINES lines, at most
 * RT_TERM_LOG_BYTES of it, without the CRI prefix.
 *
 * The bytes are the container's: they are never interpreted, only
 * made valid UTF-8 (an invalid byte or a NUL becomes U+FFFD, as Go's
 * JSON encoder does for the kubelet) and cut to the pod's budget:
 * RT_TERM_MSG_POD_MAX shared by its containers.  The CRI prefix is
 * conmon's own format; the scan looks only for spaces and newlines.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_private.h"

/* the end of the log read for the fallback: 80 lines hold 2048 bytes */
#define TERM_LOG_WINDOW		(32 * 1024)

int
rt_term_msg_path(const char *pod_uid, const char *container, char *buf,
    size_t len)
{
	return rt_path(buf, len, "%s/pods/%s/termination/%s", rt.root_dir,
	    pod_uid, container);
}

/*
 * In the start job: an empty file for the container's next run, mode
 * 0666 so that a container running as any user can write it (the
 * kubelet's makeMounts).  The directory is root's alone.
 */
int
rt_term_msg_prepare(const char *pod_uid, const char *container, char *path,
    size_t len, struct rt_err *err)
{
	char dir[PATH_MAX];
	int fd;

	if (rt_path(dir, sizeof(dir), "%s/pods/%s/termination", rt.root_dir,
	    pod_uid) == -1 || rt_term_msg_path(pod_uid, container, path,
	    len) == -1)
		return rt_seterr(err, "termination message path too long");
	if (rt_mkdir_p(dir, 0755) == -1)
		return rt_seterrno(err, "mkdir %s", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0666)) == -1)
		return rt_seterrno(err, "create %s", path);
	if (fchmod(fd, 0666) == -1) {
		rt_seterrno(err, "chmod %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* length of the valid UTF-8 sequence at s (RFC 3629), 0 if invalid */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k, i;

	if (s[0] >= 0x01 && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;	/* NUL, a continuation byte, or not UTF-8 */
	if (n < k)
		return 0;
	for (i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return k;
}

/*
 * The container's bytes as a C string of valid UTF-8 within max bytes
 * (the NUL included): whole characters only, U+FFFD for what is not.
 */
size_t
rt_term_msg_text(const void *in, size_t n, char *out, size_t max)
{
	static const char repl[] = "\xef\xbf\xbd";
	const unsigned char *s = in;
	size_t i = 0, o = 0, k;

	if (max == 0)
		return 0;
	while (i < n) {
		if ((k = utf8_len(s + i, n - i)) == 0) {
			if (o + 3 >= max)
				break;
			memcpy(out + o, repl, 3);
			o += 3;
			i++;
			continue;
		}
		if (o + k >= max)
			break;
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* a prefix of at most max bytes that does not cut a character */
static void
utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

/*
 * The last `max` bytes of a regular file, read without following a link
 * or blocking on a FIFO.  *whole: the read began at the start.  0, or -1
 * with errno (ENOENT: no file, EINVAL: not a regular file).
 */
static int
read_tail(const char *path, size_t max, char **buf, size_t *len, int *whole)
{
	struct stat st;
	off_t from;
	ssize_t n;
	size_t got = 0;
	int fd, e;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	from = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
	if ((*buf = malloc(max + 1)) == NULL)
		goto fail;
	while (got < max) {
		if ((n = pread(fd, *buf + got, max - got, from + (off_t)got)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	*whole = from == 0;
	return 0;
fail:
	e = errno;
	free(*buf);
	*buf = NULL;
	close(fd);
	errno = e;
	return -1;
}

/* the content of one CRI line [p, nl): NULL when not in the format */
static const char *
cri_content(const char *p, const char *nl, int *full)
{
	const char *sp1, *sp2;

	if ((sp1 = memchr(p, ' ', (size_t)(nl - p))) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(nl - sp1 - 1))) == NULL ||
	    nl - sp2 < 3 || (sp2[1] != 'F' && sp2[1] != 'P') || sp2[2] != ' ')
		return NULL;
	*full = sp2[1] == 'F';
	return sp2 + 3;
}

/*
 * CRI log lines "TIMESTAMP STREAM TAG CONTENT\n" to their content: the
 * last `lines` whole lines of buf (its first one dropped unless whole:
 * the window may begin inside it), a full line ("F") ending in '\n', a
 * partial one ("P") joined to the next; the last `keep` bytes of that
 * (the kubelet's circbuf).  Lines not in the format are skipped.
 * out has room for keep bytes; returns the length written.
 */
size_t
rt_term_log_tail(const char *buf, size_t n, int whole, int lines,
    size_t keep, char *out)
{
	const char *p = buf, *end, *start, *c, *nl, *text;
	size_t total = 0, skip, len, o = 0;
	int count = 0, full, pass;

	if (!whole) {
		if ((p = memchr(buf, '\n', n)) == NULL)
			return 0;
		p++;
	}
	for (end = buf + n; end > p && end[-1] != '\n'; end--)
		;	/* whole lines only */
	if (end == p)
		return 0;
	start = p;
	for (c = end - 1; c > p; c--)
		if (c[-1] == '\n' && ++count == lines) {
			start = c;
			break;
		}
	/* twice: the length, then the bytes past what is skipped */
	for (pass = 0; pass < 2; pass++) {
		skip = total > keep ? total - keep : 0;
		for (c = start; c < end; c = nl + 1) {
			nl = memchr(c, '\n', (size_t)(end - c));
			if ((text = cri_content(c, nl, &full)) == NULL)
				continue;
			len = (size_t)(nl - text);
			if (pass == 0) {
				total += len + full;
				continue;
			}
			for (; len > 0 && skip > 0; len--, skip--)
				text++;
			memcpy(out + o, text, len);
			o += len;
			if (full && skip > 0)
				skip--;
			else if (full)
				out[o++] = '\n';
		}
	}
	return o;
}

static char *
term_msg_from_log(const char *log_path, char *why, size_t whylen)
{
	char *buf, *text, *out;
	size_t n, len;
	int whole;

	if (read_tail(log_path, TERM_LOG_WINDOW, &buf, &n, &whole) == -1) {
		if (errno != ENOENT)
			snprintf(why, whylen, "reading the log %s: %s",
			    log_path, strerror(errno));
		return NULL;
	}
	if ((text = malloc(RT_TERM_LOG_BYTES)) == NULL ||
	    (out = malloc(RT_TERM_MSG_MAX + 1)) == NULL) {
		free(text);
		free(buf);
		return NULL;
	}
	len = rt_term_log_tail(buf, n, whole, RT_TERM_LOG_LINES,
	    RT_TERM_LOG_BYTES, text);
	rt_term_msg_text(text, len, out, RT_TERM_MSG_MAX + 1);
	free(text);
	free(buf);
	return out;
}

/*
 * The message of a container that exited: its file, or with fallback
 * (FallbackToLogsOnError and a failed run) its log when the file is
 * empty; cut to budget bytes.  NULL when there is none; why is set when
 * something could not be read (for a log line: the message is empty).
 */
char *
rt_term_msg_collect(const struct rt_labels *l, int fallback, size_t budget,
    char *why, size_t whylen)
{
	char path[PATH_MAX], log_path[PATH_MAX], *raw = NULL, *msg = NULL;
	size_t n = 0;
	int whole;

	why[0] = '\0';
	if (rt_check_labels(l, NULL) == -1 ||
	    rt_term_msg_path(l->pod_uid, l->container, path,
	    sizeof(path)) == -1) {
		snprintf(why, whylen, "no termination message path");
		return NULL;
	}
	if (read_tail(path, RT_TERM_MSG_MAX, &raw, &n, &whole) == -1) {
		if (errno != ENOENT) {
			snprintf(why, whylen, "reading %s: %s", path,
			    strerror(errno));
			return NULL;
		}
		n = 0;
	}
	if (n > 0 && (msg = malloc(RT_TERM_MSG_MAX + 1)) != NULL)
		rt_term_msg_text(raw, n, msg, RT_TERM_MSG_MAX + 1);
	free(raw);
	if (n == 0 && fallback && rt_container_log_path(l, log_path,
	    sizeof(log_path)) == 0)
		msg = term_msg_from_log(log_path, why, whylen);
	if (msg != NULL) {
		utf8_cut(msg, budget);
		if (msg[0] == '\0') {
			free(msg);
			msg = NULL;
		}
	}
	return msg;
}
