/* STAND-IN until the identity branch lands: the real one replaces this */
#include <stdio.h>
#include <string.h>
#include "auditfmt.h"
#include "identity.h"

int
id_sandbox_hash(const struct pod *p, char *out)
{
	char buf[1024], hex[AUDITFMT_HEX_LEN + 1];

	snprintf(buf, sizeof(buf), "%s/%s/%s/%d%d%d", p->namespace, p->name,
	    p->uid, p->host_network, p->host_pid, p->host_ipc);
	auditfmt_sha256_hex(buf, strlen(buf), hex);
	snprintf(out, ID_HASH_LEN + 1, "s1:%s", hex);
	return 0;
}

int
id_container_hash(const struct pod *p, const struct container_spec *c,
    char *out)
{
	char buf[2048], hex[AUDITFMT_HEX_LEN + 1];

	snprintf(buf, sizeof(buf), "%s/%s", c->name, c->image);
	auditfmt_sha256_hex(buf, strlen(buf), hex);
	snprintf(out, ID_HASH_LEN + 1, "c1:%s", hex);
	return 0;
}
