/*
 * $(VAR) expansion (expand.h): one pass over the input, every write
 * bounded by the output's size.
 */
#include <string.h>

#include "expand.h"

struct out {
	char	*buf;
	size_t	 len;		/* bytes written, without the NUL */
	size_t	 cap;		/* the buffer's size, NUL included */
	int	 overflow;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/*
 * What follows a '$' at in[0] (which is not the input's last byte):
 * writes its expansion and returns how many bytes after the '$' it used.
 */
static size_t
expand_one(const char *in, expand_lookup lookup, void *arg, struct out *o)
{
	const char *close, *val;
	size_t n;

	switch (in[0]) {
	case '$':
		put(o, "$", 1);
		return 1;
	case '(':
		if ((close = strchr(in + 1, ')')) == NULL) {
			/* incomplete: "$(" stays, the rest is read as text */
			put(o, "$(", 2);
			return 1;
		}
		n = (size_t)(close - (in + 1));
		if ((val = lookup(in + 1, n, arg)) != NULL)
			put(o, val, strlen(val));
		else
			put(o, in - 1, n + 3);	/* "$(" NAME ")" */
		return n + 2;
	default:
		put(o, in - 1, 2);
		return 1;
	}
}

int
expand_vars(const char *in, expand_lookup lookup, void *arg, char *out,
    size_t outlen)
{
	struct out o = { out, 0, outlen, 0 };
	const char *p = in, *mark = in;

	if (outlen == 0)
		return -1;
	for (; *p != '\0'; p++) {
		if (*p != '$' || p[1] == '\0')
			continue;
		put(&o, mark, (size_t)(p - mark));
		p += expand_one(p + 1, lookup, arg, &o);
		mark = p + 1;
	}
	put(&o, mark, (size_t)(p - mark));
	out[o.overflow ? 0 : o.len] = '\0';
	return o.overflow ? -1 : 0;
}
