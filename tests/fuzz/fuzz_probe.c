/*
 * Fuzz what agentd-probe decodes of a container's server (the HTTP
 * response head, workers/probe/probehttp.c; the HTTP/2 frames of a gRPC
 * health check, probegrpc.c) and the one line the executor reads back
 * from agentd-probe (workers/executor/probeline.c).  The same input is
 * given to all three.  Oracles: a complete head has a 3-digit status and
 * a bounded, terminated Location, and its verdict is one of the three
 * words; the gRPC reader never holds more than its buffers and stops at
 * a verdict; a parsed answer line's text is terminated within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../workers/probe/probegrpc.h"
#include "../../workers/probe/probehttp.h"

int	probe_parse_line(const char *out, int *ok, int *warning, char *msg,
	    size_t msglen);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_http(const uint8_t *data, size_t size)
{
	struct probe_http_resp resp;
	const char *why = NULL, *v;
	char msg[512];

	memset(&resp, 0, sizeof(resp));
	if (probe_http_parse((const char *)data, size, &resp, &why) != 1)
		return;
	if (resp.code < 100 || resp.code > 999)
		abort();
	if (memchr(resp.location, '\0', sizeof(resp.location)) == NULL)
		abort();
	v = probe_http_verdict(&resp, "10.0.0.1", 8080, msg, sizeof(msg));
	if (v == NULL || (strcmp(v, "success") && strcmp(v, "warning") &&
	    strcmp(v, "failure")))
		abort();
	if (memchr(msg, '\0', sizeof(msg)) == NULL)
		abort();
}

static void
fuzz_grpc(const uint8_t *data, size_t size)
{
	struct grpc_reader r;
	const char *why = NULL;
	size_t off = 0, n;
	int status = 0, v;

	memset(&r, 0, sizeof(r));
	while (size - off >= 9) {
		n = (size_t)data[off] << 16 | (size_t)data[off + 1] << 8 |
		    data[off + 2];
		if (n > GRPC_FRAME_MAX || n > size - off - 9)
			return;	/* agentd-probe refuses or waits for more */
		v = grpc_frame(&r, data + off, data + off + 9, &status, &why);
		if (r.msg_len > sizeof(r.msg) || r.reply_len > sizeof(r.reply))
			abort();
		if (v != GRPC_MORE) {
			if (v == GRPC_NOT_SERVING && grpc_status_name(status)
			    == NULL)
				abort();
			return;
		}
		/* the caller sends the acks and empties the reply */
		r.reply_len = 0;
		off += 9 + n;
	}
}

static void
fuzz_line(const uint8_t *data, size_t size)
{
	char *s, msg[256];
	int ok = -1, warning = -1;

	if ((s = malloc(size + 1)) == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(msg, 'x', sizeof(msg));
	if (probe_parse_line(s, &ok, &warning, msg, sizeof(msg)) == 0 &&
	    (memchr(msg, '\0', sizeof(msg)) == NULL || ok < 0 || ok > 1))
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_http(data, size);
	fuzz_grpc(data, size);
	fuzz_line(data, size);
	return 0;
}
