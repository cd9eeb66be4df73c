/*
 * Kubernetes' $(VAR) expansion of a container's command, args and env
 * values (issue 14), as kubernetes/third_party/forked/golang/expansion
 * specifies it:
 *
 *	$(NAME)	the variable's value when the lookup knows NAME, else
 *		"$(NAME)" as written (an undefined reference stays);
 *		NAME is everything up to the first ')', whatever it holds
 *	$$	one '$' (so "$$(A)" is "$(A)")
 *	$(	without a ')' later: "$(" kept, the scan goes on after it
 *	$x	for any other x, both kept; a '$' at the end is kept
 *
 * No recursion: a value that itself holds "$(B)" is copied as it is.
 */
#ifndef AGENTD_EXPAND_H
#define AGENTD_EXPAND_H

#include <stddef.h>

/* a variable's value, or NULL when it is not defined */
typedef const char *(*expand_lookup)(const char *name, size_t len,
    void *arg);

/*
 * Expand in into out (outlen bytes, NUL included).  0; or -1 when the
 * result does not fit (out is then truncated garbage, for no use).
 */
int	expand_vars(const char *in, expand_lookup, void *arg, char *out,
	    size_t outlen);

#endif
