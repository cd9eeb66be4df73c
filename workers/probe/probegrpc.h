/*
 * agentd-probe's gRPC health check (grpc.health.v1.Health/Check) over
 * HTTP/2 cleartext with prior knowledge, apart from any socket so that
 * it can be tested: the bytes the client sends, and the reading of the
 * server's frames.  The response's headers are HPACK, which is not
 * decoded: the verdict is the HealthCheckResponse message in the DATA
 * of stream 1 (SERVING or not); a call that ends without one failed.
 */
#ifndef AGENTD_PROBEGRPC_H
#define AGENTD_PROBEGRPC_H

#include <stddef.h>
#include <stdint.h>

#define GRPC_FRAME_MAX		16384	/* SETTINGS_MAX_FRAME_SIZE default */
#define GRPC_REQ_MAX		1024
#define GRPC_SERVICE_MAX	253
#define GRPC_MSG_MAX		256	/* a HealthCheckResponse is 2 bytes */

/* the connection preface, SETTINGS, HEADERS and DATA of the call */
int	grpc_request(uint8_t *buf, size_t len, const char *authority,
	    const char *service);

struct grpc_reader {
	uint8_t		 msg[GRPC_MSG_MAX];	/* stream 1's DATA */
	size_t		 msg_len;
	int		 ended;			/* stream 1 ended */
	uint8_t		 reply[64];		/* SETTINGS/PING acks to send */
	size_t		 reply_len;
};

enum grpc_verdict {
	GRPC_MORE = 0,		/* read on */
	GRPC_SERVING,
	GRPC_NOT_SERVING,	/* status in *status */
	GRPC_FAILED		/* why */
};

/*
 * One frame (header and payload) read whole; what it means so far.
 * Acks the frame needs are appended to r->reply for the caller to send.
 */
int	grpc_frame(struct grpc_reader *, const uint8_t *hdr9,
	    const uint8_t *payload, int *status, const char **why);
const char *grpc_status_name(int);	/* "NOT_SERVING" */

#endif
