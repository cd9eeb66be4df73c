/* STAND-IN until the identity branch lands: the real one replaces this */
#ifndef AGENTD_IDENTITY_H
#define AGENTD_IDENTITY_H
#include "pod.h"
#define ID_HASH_LEN	67
int	id_sandbox_hash(const struct pod *, char *out);
int	id_container_hash(const struct pod *, const struct container_spec *,
	    char *out);
#endif
