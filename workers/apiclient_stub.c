/*
 * STUB, replaced by the lead's workers/apiclient.c (drop this commit at
 * merge): the real watcher and reporter accept agentd's API-mode
 * messages and do nothing with them, so that this branch's agentd can
 * run in API mode with them (tests/system/test_apigrant.py).
 */
#include <unistd.h>

#include "apiclient.h"
#include "log.h"
#include "msgschema.h"

int
apiclient_creds(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char host[MSGB_API_HOST + 1], sni[MSGB_API_HOST + 1];
	char token[MSGB_API_TOKEN + 1];
	const uint8_t *ca, *cert;
	size_t ca_len, cert_len;
	uint32_t port, flags;

	if (ipc_get_str(m, host, sizeof(host)) == -1 ||
	    ipc_get_u32(m, &port) == -1 || port == 0 || port > 65535 ||
	    ipc_get_str(m, sni, sizeof(sni)) == -1 ||
	    ipc_get_u32(m, &flags) == -1 ||
	    ipc_get_bytes_ref(m, &ca, MSGB_API_PEM, &ca_len) == -1 ||
	    ipc_get_bytes_ref(m, &cert, MSGB_API_PEM, &cert_len) == -1 ||
	    ipc_get_str(m, token, sizeof(token)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	log_info("API server %s:%u (stub client: no API work)", host,
	    (unsigned)port);
	return 0;
}

int
apiclient_signer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	if (ipc_get_end(m) == -1)
		return -1;
	close(ipc_take_fd(m));
	return 0;
}

int
apiclient_socket(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	uint32_t id;

	if (ipc_get_u32(m, &id) == -1 || ipc_get_end(m) == -1)
		return -1;
	close(ipc_take_fd(m));
	return 0;
}

int
apiclient_refused(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char error[MSGB_API_ERROR + 1];
	uint32_t id;

	if (ipc_get_u32(m, &id) == -1 ||
	    ipc_get_str(m, error, sizeof(error)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	return 0;
}
