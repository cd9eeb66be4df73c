/*
 * Logging and fatal-error idioms shared by every agentd process.
 * log_warn() appends strerror(errno); log_warnx() does not.
 * fatal()/fatalx() are only for broken invariants of the calling process.
 */
#ifndef AGENTD_LOG_H
#define AGENTD_LOG_H

#include <stdarg.h>

#define LOG_LVL_WARN	0
#define LOG_LVL_INFO	1
#define LOG_LVL_DEBUG	2

void	log_init(const char *procname, int level, int use_syslog);
void	log_setproc(const char *procname);
int	log_getlevel(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
