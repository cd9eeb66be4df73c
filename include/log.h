/*
 * Logging and fatal-error idioms shared by every agentd process.
 * log_warn() appends strerror(errno); log_warnx() does not.
 * fatal()/fatalx() are only for broken invariants of the calling process.
 */
#ifndef AGENTD_LOG_H
#define AGENTD_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define LOG_LVL_WARN	0
#define LOG_LVL_INFO	1
#define LOG_LVL_DEBUG	2

/*
 * Copy src to dst as text that cannot move a terminal's cursor or start a
 * new line: C0 control bytes, DEL and the C1 controls (UTF-8 U+0080 to
 * U+009F) are written as \xNN.  Like snprintf: dst (may be NULL if len is
 * 0) always ends in NUL, and the return is the length of the whole escaped
 * text.  Every log line goes through it; so do table cells.
 */
size_t	str_escape_ctl(char *dst, size_t len, const char *src);
#define STR_ESCAPE_MAX(n)	((n) * 4 + 1)	/* worst case for n bytes */

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

/* the directory part of path, as dirname(3) but into dst ("." for none) */
void	 path_dirname(char *dst, size_t dstlen, const char *path);

#endif
