/*
 * Error values that carry their context, after crun's libcrun_error_t:
 * the function that fails sets the root cause (with its errno), and each
 * caller that knows more adds a "context: " in front, so that what
 * reaches a log, an event or a pod status reads from the outermost
 * operation down to the cause:
 *
 *	creating sandbox for default/web: mounting /x: Invalid argument
 *
 * The message lives in a fixed buffer: nothing is allocated, so an out of
 * memory error can be reported.  When a wrap would overflow it, the front
 * of the new context and the end of what was there are kept, joined by
 * "...": the root cause is never the part that is lost.
 */
#ifndef AGENTD_ERRCHAIN_H
#define AGENTD_ERRCHAIN_H

#include <stdarg.h>
#include <stddef.h>

#define ERRCHAIN_MAX	512	/* bytes of message, with its NUL */

struct errchain {
	char	msg[ERRCHAIN_MAX];
	int	errnum;		/* errno of the root cause; 0 if none */
};

/*
 * Set the root cause, replacing whatever was there.  errnum != 0 appends
 * ": strerror(errnum)" (always kept, even if fmt's text is cut) and is
 * what err_errno() returns.  Return -1, to end a failing function with.
 */
int	err_set(struct errchain *, int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	err_vset(struct errchain *, int errnum, const char *fmt, va_list)
	    __attribute__((format(printf, 3, 0)));

/* prepend "context: "; an empty chain becomes just the context; -1 */
int	err_wrap(struct errchain *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	err_vwrap(struct errchain *, const char *fmt, va_list)
	    __attribute__((format(printf, 2, 0)));

const char	*err_msg(const struct errchain *);
int		 err_errno(const struct errchain *);
void		 err_clear(struct errchain *);

#endif
