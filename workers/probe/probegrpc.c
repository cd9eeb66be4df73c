/*
 * The gRPC health check agentd-probe makes (probegrpc.h): HTTP/2 frames
 * by hand, the request's headers as HPACK literals (no Huffman, no
 * dynamic table), the response read as frames whose payloads are bounded
 * and whose HPACK is never decoded.  The server is a container's: every
 * length is checked before it is used.
 */
#include <stdio.h>
#include <string.h>

#include "probegrpc.h"

#define H2_DATA			0x0
#define H2_HEADERS		0x1
#define H2_RST_STREAM		0x3
#define H2_SETTINGS		0x4
#define H2_PING			0x6
#define H2_GOAWAY		0x7
#define H2_F_END_STREAM		0x1
#define H2_F_ACK		0x1
#define H2_F_END_HEADERS	0x4
#define H2_F_PADDED		0x8
#define H2_PREFACE		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define GRPC_PATH		"/grpc.health.v1.Health/Check"

struct out {
	uint8_t	*b;
	size_t	 len, off;
	int	 full;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->full || n > o->len - o->off) {
		o->full = 1;
		return;
	}
	if (n == 0)
		return;		/* an empty payload may have no buffer */
	memcpy(o->b + o->off, p, n);
	o->off += n;
}

static void
put8(struct out *o, uint8_t v)
{
	put(o, &v, 1);
}

static void
frame_head(struct out *o, size_t len, uint8_t type, uint8_t flags,
    uint32_t stream)
{
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8),
	    (uint8_t)len, type, flags, (uint8_t)(stream >> 24),
	    (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream };

	put(o, h, sizeof(h));
}

/* a literal without indexing, name by static index (< 15) or new */
static void
hpack_literal(struct out *o, int idx, const char *name, const char *value)
{
	size_t vl = strlen(value), nl = name ? strlen(name) : 0;

	if (vl > 126 || nl > 126) {
		o->full = 1;
		return;
	}
	if (idx > 0 && idx < 15)
		put8(o, (uint8_t)idx);
	else if (idx >= 15) {
		put8(o, 0x0f);
		put8(o, (uint8_t)(idx - 15));
	} else {
		put8(o, 0x00);
		put8(o, (uint8_t)nl);
		put(o, name, nl);
	}
	put8(o, (uint8_t)vl);
	put(o, value, vl);
}

int
grpc_request(uint8_t *buf, size_t len, const char *authority,
    const char *service)
{
	uint8_t hb[512], msg[8 + GRPC_SERVICE_MAX];
	struct out o = { buf, len, 0, 0 }, h = { hb, sizeof(hb), 0, 0 };
	size_t sl = strlen(service), ml = 0;

	if (sl > GRPC_SERVICE_MAX)
		return -1;
	put(&o, H2_PREFACE, strlen(H2_PREFACE));
	frame_head(&o, 0, H2_SETTINGS, 0, 0);
	put8(&h, 0x83);				/* :method POST */
	put8(&h, 0x86);				/* :scheme http */
	hpack_literal(&h, 4, NULL, GRPC_PATH);	/* :path */
	hpack_literal(&h, 1, NULL, authority);	/* :authority */
	hpack_literal(&h, 31, NULL, "application/grpc");
	hpack_literal(&h, 0, "te", "trailers");
	hpack_literal(&h, 58, NULL, "kube-probe/1.32");	/* user-agent */
	if (h.full)
		return -1;
	frame_head(&o, h.off, H2_HEADERS, H2_F_END_HEADERS, 1);
	put(&o, hb, h.off);
	/* HealthCheckRequest { string service = 1; }, a length-prefixed
	   uncompressed message */
	if (sl > 0) {
		msg[5] = 0x0a;
		if (sl < 128) {
			msg[6] = (uint8_t)sl;
			ml = 2;
		} else {
			msg[6] = (uint8_t)(0x80 | (sl & 0x7f));
			msg[7] = (uint8_t)(sl >> 7);
			ml = 3;
		}
		memcpy(msg + 5 + ml, service, sl);
		ml += sl;
	}
	msg[0] = 0;
	msg[1] = (uint8_t)(ml >> 24);
	msg[2] = (uint8_t)(ml >> 16);
	msg[3] = (uint8_t)(ml >> 8);
	msg[4] = (uint8_t)ml;
	frame_head(&o, 5 + ml, H2_DATA, H2_F_END_STREAM, 1);
	put(&o, msg, 5 + ml);
	return o.full ? -1 : (int)o.off;
}

const char *
grpc_status_name(int s)
{
	switch (s) {
	case 0:
		return "UNKNOWN";
	case 1:
		return "SERVING";
	case 2:
		return "NOT_SERVING";
	case 3:
		return "SERVICE_UNKNOWN";
	}
	return "?";
}

/* HealthCheckResponse { ServingStatus status = 1; }: field 1, a varint */
static int
response_status(const uint8_t *m, size_t n, int *status)
{
	size_t i = 0;
	uint64_t v;
	int shift;

	*status = 0;	/* absent: UNKNOWN, proto3's default */
	while (i < n) {
		if (m[i] != 0x08)
			return -1;	/* only field 1 is known */
		i++;
		for (v = 0, shift = 0; i < n && shift < 64; shift += 7) {
			v |= (uint64_t)(m[i] & 0x7f) << shift;
			if ((m[i++] & 0x80) == 0)
				break;
			if (i == n)
				return -1;
		}
		*status = v > 3 ? 4 : (int)v;
	}
	return 0;
}

static int
message_verdict(struct grpc_reader *r, int *status, const char **why)
{
	size_t len;

	if (r->msg_len < 5)
		return GRPC_MORE;
	if (r->msg[0] != 0) {
		*why = "a compressed response";
		return GRPC_FAILED;
	}
	len = (size_t)r->msg[1] << 24 | (size_t)r->msg[2] << 16 |
	    (size_t)r->msg[3] << 8 | r->msg[4];
	if (len > GRPC_MSG_MAX - 5) {
		*why = "the response message is too long";
		return GRPC_FAILED;
	}
	if (r->msg_len < 5 + len)
		return GRPC_MORE;
	if (response_status(r->msg + 5, len, status) == -1) {
		*why = "a malformed HealthCheckResponse";
		return GRPC_FAILED;
	}
	return *status == 1 ? GRPC_SERVING : GRPC_NOT_SERVING;
}

static void
reply(struct grpc_reader *r, uint8_t type, const uint8_t *p, size_t n)
{
	struct out o = { r->reply + r->reply_len,
	    sizeof(r->reply) - r->reply_len, 0, 0 };

	frame_head(&o, n, type, H2_F_ACK, 0);
	put(&o, p, n);
	if (!o.full)
		r->reply_len += o.off;
}

int
grpc_frame(struct grpc_reader *r, const uint8_t *h, const uint8_t *p,
    int *status, const char **why)
{
	size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2], pad = 0;
	uint8_t type = h[3], flags = h[4];
	uint32_t stream = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 |
	    (uint32_t)h[7] << 8 | h[8]) & 0x7fffffff;

	if (len > GRPC_FRAME_MAX) {
		*why = "a frame larger than the maximum frame size";
		return GRPC_FAILED;
	}
	switch (type) {
	case H2_SETTINGS:
		if (!(flags & H2_F_ACK))
			reply(r, H2_SETTINGS, NULL, 0);
		return GRPC_MORE;
	case H2_PING:
		if (!(flags & H2_F_ACK) && len == 8)
			reply(r, H2_PING, p, 8);
		return GRPC_MORE;
	case H2_GOAWAY:
		*why = "the server sent GOAWAY";
		return GRPC_FAILED;
	case H2_RST_STREAM:
		if (stream == 1) {
			*why = "the server reset the call";
			return GRPC_FAILED;
		}
		return GRPC_MORE;
	case H2_DATA:
		if (stream != 1)
			return GRPC_MORE;
		if (flags & H2_F_PADDED) {
			if (len < 1 || (pad = p[0]) + 1 > len) {
				*why = "a malformed DATA frame";
				return GRPC_FAILED;
			}
			p++;
			len -= pad + 1;
		}
		if (len > sizeof(r->msg) - r->msg_len) {
			*why = "the response message is too long";
			return GRPC_FAILED;
		}
		memcpy(r->msg + r->msg_len, p, len);
		r->msg_len += len;
		break;
	case H2_HEADERS:
		if (stream != 1)
			return GRPC_MORE;
		break;
	default:
		return GRPC_MORE;	/* WINDOW_UPDATE, PRIORITY, ... */
	}
	if (flags & H2_F_END_STREAM)
		r->ended = 1;
	if (message_verdict(r, status, why) != GRPC_MORE)
		return message_verdict(r, status, why);
	if (r->ended) {
		*why = "the call ended without a response message (an error "
		    "status: the service is unknown or not implemented)";
		return GRPC_FAILED;
	}
	return GRPC_MORE;
}
