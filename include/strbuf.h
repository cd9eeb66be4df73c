/*
 * A growing NUL-terminated string for text a worker builds piece by piece
 * (the pod's /etc files, the event tables).  Out of memory is sticky:
 * every later add is a no-op and strbuf_finish() returns NULL, so callers
 * check once at the end.
 */
#ifndef AGENTD_STRBUF_H
#define AGENTD_STRBUF_H

#include <stddef.h>

/* one strbuf_printf() call writes at most this much (more is cut) */
#define STRBUF_LINE_MAX	8192

struct strbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

void	 strbuf_add(struct strbuf *, const char *, size_t);
void	 strbuf_str(struct strbuf *, const char *);
void	 strbuf_printf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* the text (the caller frees it), "" if nothing was added; NULL: oom */
char	*strbuf_finish(struct strbuf *);

#endif
