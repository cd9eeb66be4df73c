/*
 * fuzz_cniresult: arbitrary bytes as a CNI plugin's stdout, decoded as
 * agentd-netparse does (common/cniresult.c).  The decoder must refuse
 * with a reason or accept a result that passes cni_result_check; what it
 * accepted must cross the wire (ipc/netwire.c) unchanged, and its
 * canonical JSON (the next plugin's prevResult) must decode again to the
 * same struct.  Never crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cninet.h"
#include "ipc.h"
#include "msgschema.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct cni_result r1, r2, r3;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ipc_msg m;
	char why[256] = "", *text;
	cJSON *j;

	if (cni_result_parse((const char *)data, len, &r1, why,
	    sizeof(why)) == -1) {
		if (why[0] == '\0')
			abort();	/* a refusal says why */
		return 0;
	}
	if (!cni_result_check(&r1))
		abort();
	ipc_msg_init(&m, MSG_NET_RESULT, 0);
	netwire_put_result(&m, &r1);
	if (m.err != 0)
		abort();
	m.off = 0;
	if (netwire_get_result(&m, &r2) == -1 || ipc_get_end(&m) == -1 ||
	    memcmp(&r1, &r2, sizeof(r1)) != 0)
		abort();
	ipc_msg_free(&m);
	if (r1.is_error)
		return 0;
	if ((j = cni_result_json(&r1)) == NULL ||
	    (text = cJSON_PrintUnformatted(j)) == NULL)
		abort();
	cJSON_Delete(j);
	if (cni_result_parse(text, strlen(text), &r3, why, sizeof(why)) == -1 ||
	    memcmp(&r1, &r3, sizeof(r1)) != 0)
		abort();
	free(text);
	return 0;
}
