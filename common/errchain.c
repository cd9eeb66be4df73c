/*
 * Error chains: a root cause and the contexts its callers add.  See
 * include/errchain.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errchain.h"

#define ELLIPSIS	"..."
#define SEP		": "

/* the first byte of s that does not continue a UTF-8 sequence */
static const char *
utf8_start(const char *s)
{
	while (((unsigned char)*s & 0xc0) == 0x80)
		s++;
	return s;
}

/*
 * dst = head + SEP + tail in at most size bytes with the NUL.  When both
 * do not fit, head keeps its front and at least half the room, tail its
 * end (the root cause), its cut front marked by ELLIPSIS.
 */
static void
join(char *dst, size_t size, const char *head, const char *tail)
{
	size_t budget = size - 1, hlen = strlen(head), tlen = strlen(tail);
	size_t room, off = 0;
	int cut = 0;

	if (hlen + strlen(SEP) + tlen > budget && hlen > budget / 2) {
		/* what a short tail leaves, but never less than half */
		hlen = budget / 2;
		if (tlen + strlen(SEP) < budget - hlen)
			hlen = budget - strlen(SEP) - tlen;
		while (hlen > 0 && ((unsigned char)head[hlen] & 0xc0) == 0x80)
			hlen--;		/* no half character at the cut */
	}
	room = budget - hlen - strlen(SEP);
	if (tlen > room) {
		tail = utf8_start(tail + tlen - (room - strlen(ELLIPSIS)));
		tlen = strlen(tail);
		cut = 1;
	}
	memmove(dst + off, head, hlen);
	off += hlen;
	memcpy(dst + off, SEP, strlen(SEP));
	off += strlen(SEP);
	if (cut) {
		memcpy(dst + off, ELLIPSIS, strlen(ELLIPSIS));
		off += strlen(ELLIPSIS);
	}
	memmove(dst + off, tail, tlen);
	dst[off + tlen] = '\0';
}

int
err_vset(struct errchain *e, int errnum, const char *fmt, va_list ap)
{
	char text[ERRCHAIN_MAX];

	e->errnum = errnum;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (errnum == 0)
		memcpy(e->msg, text, strlen(text) + 1);
	else
		/* the cause is the tail: "text: strerror" keeps it whole */
		join(e->msg, sizeof(e->msg), text, strerror(errnum));
	return -1;
}

int
err_set(struct errchain *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_vwrap(struct errchain *e, const char *fmt, va_list ap)
{
	char ctx[ERRCHAIN_MAX], old[ERRCHAIN_MAX];

	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	if (e->msg[0] == '\0') {
		memcpy(e->msg, ctx, strlen(ctx) + 1);
		return -1;
	}
	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	join(e->msg, sizeof(e->msg), ctx, old);
	return -1;
}

int
err_wrap(struct errchain *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vwrap(e, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
err_msg(const struct errchain *e)
{
	return e->msg;
}

int
err_errno(const struct errchain *e)
{
	return e->errnum;
}

void
err_clear(struct errchain *e)
{
	e->msg[0] = '\0';
	e->errnum = 0;
}
