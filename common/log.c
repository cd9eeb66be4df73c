/*
 * Logging for every agentd process: stderr with a level and the process
 * role, optionally syslog.  Chrooted workers keep stderr (inherited from
 * agentd), so their lines reach the same place as the parent's.  A line
 * is one line: names in it come from manifests, and a newline or an escape
 * sequence in one must not forge a line or rewrite the terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_procname = "agentd";
static int		 log_level = LOG_LVL_INFO;
static int		 log_syslog;

void
log_init(const char *procname, int level, int use_syslog)
{
	log_procname = procname;
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setproc(const char *procname)
{
	log_procname = procname;
}

int
log_getlevel(void)
{
	return log_level;
}

static size_t
put_hex(char *dst, size_t len, size_t off, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 0xf] };
	size_t i;

	for (i = 0; i < sizeof(esc); i++, off++)
		if (off + 1 < len)
			dst[off] = esc[i];
	return off;
}

size_t
str_escape_ctl(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t off = 0;

	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s == 0x7f)
			off = put_hex(dst, len, off, *s);
		else if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
			off = put_hex(dst, len, off, s[0]);
			off = put_hex(dst, len, off, s[1]);
			s++;
		} else {
			if (off + 1 < len)
				dst[off] = (char)*s;
			off++;
		}
	}
	if (len > 0)
		dst[off < len ? off : len - 1] = '\0';
	return off;
}

static void
vlog(int pri, const char *tag, const char *fmt, va_list ap, int with_errno)
{
	char raw[2048], msg[STR_ESCAPE_MAX(sizeof(raw))];
	int saved = errno;
	struct timespec ts;
	struct tm tm;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	if (with_errno) {
		size_t n = strlen(raw);
		snprintf(raw + n, sizeof(raw) - n, ": %s", strerror(saved));
	}
	str_escape_ctl(msg, sizeof(msg), raw);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_procname,
	    (int)getpid(), tag, msg);
	if (log_syslog)
		syslog(pri, "%s: %s", tag, msg);
	errno = saved;
}

#define LOGFN(fn, lvl, pri, tag, en)				\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list ap;						\
	if (log_level < (lvl))					\
		return;						\
	va_start(ap, fmt);					\
	vlog(pri, tag, fmt, ap, en);				\
	va_end(ap);						\
}
LOGFN(log_warn, LOG_LVL_WARN, LOG_WARNING, "warning", 1)
LOGFN(log_warnx, LOG_LVL_WARN, LOG_WARNING, "warning", 0)
LOGFN(log_info, LOG_LVL_INFO, LOG_INFO, "info", 0)
LOGFN(log_debug, LOG_LVL_DEBUG, LOG_DEBUG, "debug", 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal", fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal", fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void
path_dirname(char *dst, size_t dstlen, const char *path)
{
	char *slash;

	snprintf(dst, dstlen, "%s", path);
	if ((slash = strrchr(dst, '/')) == NULL)
		snprintf(dst, dstlen, ".");
	else if (slash == dst)
		dst[1] = '\0';
	else
		*slash = '\0';
}
