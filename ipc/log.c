/*
 * Logging for every agentd process: stderr with a level and the process
 * role, optionally syslog.  Chrooted workers keep stderr (inherited from
 * agentd), so their lines reach the same place as the parent's.
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

static void
vlog(int pri, const char *tag, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048];
	int saved = errno;
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
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
