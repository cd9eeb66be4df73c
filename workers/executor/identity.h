/*
 * The executor's spec identity (issue 9, item 4): one hash per pod sandbox
 * and one per container, each a SHA-256 of a canonical text of the fields
 * that Kubernetes gives a meaning to, never of the podwire bytes or of
 * struct memory.  A field at its default is left out of the text, so a
 * field added to the model later (at its default) or a new podwire layout
 * or version changes no existing hash: an upgrade restarts nothing.
 *
 * The hash starts with its scheme ("s1:" for sandboxes, "c1:" for
 * containers) so that a later change of what is hashed is seen as such
 * rather than as a changed spec.  identity.c lists what each hash covers
 * and what it leaves out, and why.
 */
#ifndef AGENTD_IDENTITY_H
#define AGENTD_IDENTITY_H

#include <stddef.h>

#include "pod.h"

#define ID_SCHEME_SANDBOX	"s1:"
#define ID_SCHEME_CONTAINER	"c1:"
#define ID_SCHEME_LEN		3
#define ID_HASH_LEN		(ID_SCHEME_LEN + 64)	/* tag + hex SHA-256 */

/*
 * The sandbox hash: a change recreates the whole pod (its sandbox and
 * every container).  0, or -1 (digest failure) with out "".
 */
int	id_sandbox_hash(const struct pod *, char out[ID_HASH_LEN + 1]);

/*
 * The hash of container c of pod p (c need not point into p): a change
 * restarts that container only.  0, or -1 with out "".
 */
int	id_container_hash(const struct pod *p, const struct container_spec *c,
	    char out[ID_HASH_LEN + 1]);

/*
 * The canonical texts the hashes are taken of, NUL-terminated and
 * malloc'ed (NULL on failure), for tests and for logging why a hash
 * changed.  Each field is one line "name=length:value".
 */
char	*id_sandbox_canon(const struct pod *, size_t *lenp);
char	*id_container_canon(const struct pod *, const struct container_spec *,
	    size_t *lenp);

/* 1 if h starts with the current scheme tag of its kind */
int	id_hash_current(const char *h);

#endif
