/*
 * agentd-probe's gRPC health check (workers/probe/probegrpc.c): the
 * request's bytes, and what a server's frames mean: SERVING, NOT_SERVING,
 * a trailers-only error, acks, oversized and malformed frames.
 */
#include "tap.h"
#include "../../workers/probe/probegrpc.h"

static void
head(uint8_t h[9], size_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
	h[0] = (uint8_t)(len >> 16);
	h[1] = (uint8_t)(len >> 8);
	h[2] = (uint8_t)len;
	h[3] = type;
	h[4] = flags;
	h[5] = (uint8_t)(stream >> 24);
	h[6] = (uint8_t)(stream >> 16);
	h[7] = (uint8_t)(stream >> 8);
	h[8] = (uint8_t)stream;
}

TEST(test_request_bytes)
{
	uint8_t buf[GRPC_REQ_MAX];
	int n;

	n = grpc_request(buf, sizeof(buf), "10.0.0.1:9000", "web");
	REQUIRE(n > 24);
	CHECK(memcmp(buf, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) == 0);
	/* an empty SETTINGS on stream 0 */
	CHECK(memcmp(buf + 24, "\0\0\0\x04\0\0\0\0\0", 9) == 0);
	CHECK(memmem(buf, (size_t)n, "/grpc.health.v1.Health/Check", 28) !=
	    NULL);
	CHECK(memmem(buf, (size_t)n, "10.0.0.1:9000", 13) != NULL);
	/* the last frame: DATA, END_STREAM, stream 1, message "\n\3web" */
	CHECK(memcmp(buf + n - 19, "\0\0\x0a\0\x01\0\0\0\x01", 9) == 0);
	CHECK(memcmp(buf + n - 10, "\0\0\0\0\x05\x0a\x03web", 10) == 0);
	CHECK_EQ_INT(grpc_request(buf, 40, "10.0.0.1:9000", "web"), -1);
}

TEST(test_serving_and_not)
{
	struct grpc_reader r;
	const uint8_t serving[] = { 0, 0, 0, 0, 2, 0x08, 0x01 };
	const uint8_t down[] = { 0, 0, 0, 0, 2, 0x08, 0x02 };
	const char *why = NULL;
	uint8_t h[9];
	int st = -1;

	memset(&r, 0, sizeof(r));
	head(h, 0, 0x1, 0x4, 1);	/* response headers, not decoded */
	CHECK_EQ_INT(grpc_frame(&r, h, NULL, &st, &why), GRPC_MORE);
	head(h, sizeof(serving), 0x0, 0, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, serving, &st, &why), GRPC_SERVING);
	memset(&r, 0, sizeof(r));
	head(h, sizeof(down), 0x0, 0, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, down, &st, &why), GRPC_NOT_SERVING);
	CHECK_STR(grpc_status_name(st), "NOT_SERVING");
}

/* a message split over two DATA frames, the first padded */
TEST(test_split_and_padded_data)
{
	struct grpc_reader r;
	const uint8_t a[] = { 2, 0, 0, 0, 0xee, 0xee };	/* pad 2 */
	const uint8_t b[] = { 0, 2, 0x08, 0x01 };
	const char *why = NULL;
	uint8_t h[9];
	int st;

	memset(&r, 0, sizeof(r));
	head(h, sizeof(a), 0x0, 0x8, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, a, &st, &why), GRPC_MORE);
	head(h, sizeof(b), 0x0, 0, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, b, &st, &why), GRPC_SERVING);
}

TEST(test_trailers_only_error)
{
	struct grpc_reader r;
	const char *why = NULL;
	uint8_t h[9];
	int st;

	memset(&r, 0, sizeof(r));
	head(h, 0, 0x1, 0x4 | 0x1, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, NULL, &st, &why), GRPC_FAILED);
	CHECK(strstr(why, "without a response message") != NULL);
}

TEST(test_acks)
{
	struct grpc_reader r;
	const uint8_t ping[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const char *why = NULL;
	uint8_t h[9];
	int st;

	memset(&r, 0, sizeof(r));
	head(h, 0, 0x4, 0, 0);
	CHECK_EQ_INT(grpc_frame(&r, h, NULL, &st, &why), GRPC_MORE);
	CHECK_EQ_INT(r.reply_len, 9);
	CHECK(memcmp(r.reply, "\0\0\0\x04\x01\0\0\0\0", 9) == 0);
	head(h, 8, 0x6, 0, 0);
	CHECK_EQ_INT(grpc_frame(&r, h, ping, &st, &why), GRPC_MORE);
	CHECK_EQ_INT(r.reply_len, 26);
	CHECK(memcmp(r.reply + 18, ping, 8) == 0);
	/* an ACK is not acked */
	head(h, 0, 0x4, 0x1, 0);
	CHECK_EQ_INT(grpc_frame(&r, h, NULL, &st, &why), GRPC_MORE);
	CHECK_EQ_INT(r.reply_len, 26);
}

TEST(test_hostile_frames)
{
	struct grpc_reader r;
	uint8_t big[GRPC_MSG_MAX + 1] = { 0 };
	const uint8_t badpad[] = { 9, 0 };
	const uint8_t zipped[] = { 1, 0, 0, 0, 2, 0x08, 0x01 };
	const uint8_t field2[] = { 0, 0, 0, 0, 2, 0x10, 0x01 };
	const char *why = NULL;
	uint8_t h[9];
	int st;

	memset(&r, 0, sizeof(r));
	head(h, GRPC_FRAME_MAX + 1, 0x0, 0, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, big, &st, &why), GRPC_FAILED);
	head(h, sizeof(big), 0x0, 0, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, big, &st, &why), GRPC_FAILED);
	CHECK_STR(why, "the response message is too long");
	memset(&r, 0, sizeof(r));
	head(h, sizeof(badpad), 0x0, 0x8, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, badpad, &st, &why), GRPC_FAILED);
	memset(&r, 0, sizeof(r));
	head(h, sizeof(zipped), 0x0, 0, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, zipped, &st, &why), GRPC_FAILED);
	CHECK_STR(why, "a compressed response");
	memset(&r, 0, sizeof(r));
	head(h, sizeof(field2), 0x0, 0, 1);
	CHECK_EQ_INT(grpc_frame(&r, h, field2, &st, &why), GRPC_FAILED);
	memset(&r, 0, sizeof(r));
	head(h, 0, 0x7, 0, 0);
	CHECK_EQ_INT(grpc_frame(&r, h, NULL, &st, &why), GRPC_FAILED);
	CHECK_STR(why, "the server sent GOAWAY");
	/* other streams are not ours */
	memset(&r, 0, sizeof(r));
	head(h, 0, 0x3, 0, 3);
	CHECK_EQ_INT(grpc_frame(&r, h, NULL, &st, &why), GRPC_MORE);
}
