/*
 * termmsg.c's pure parts: the container's bytes made valid UTF-8 within a
 * bound, and the end of a CRI log turned back into the container's output
 * (the kubelet's last 80 lines, at most 2048 bytes).
 */
#include <stdint.h>

#include "pod.h"
#include "tap.h"
#include "../../workers/executor/runtime.h"

#define TS	"2026-12-04T21:00:00.000000001Z "

TEST(test_text_keeps_valid_utf8)
{
	char out[64];
	const char in[] = "caf\xc3\xa9 \xe2\x82\xac ok\n";

	CHECK_EQ_INT(rt_term_msg_text(in, sizeof(in) - 1, out, sizeof(out)),
	    sizeof(in) - 1);
	CHECK_STR(out, in);
}

TEST(test_text_replaces_invalid_bytes_and_nul)
{
	char out[64];
	const char in[] = { 'a', '\xff', 'b', '\0', 'c', '\xc3' };

	rt_term_msg_text(in, sizeof(in), out, sizeof(out));
	CHECK_STR(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd");
	/* overlong and surrogate forms are not UTF-8 either */
	rt_term_msg_text("\xc0\xaf\xed\xa0\x80", 5, out, sizeof(out));
	CHECK_STR(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd");
}

TEST(test_text_bound_cuts_whole_characters)
{
	char out[5];

	/* 4 bytes and the NUL: "ab" then a 3-byte character does not fit */
	CHECK_EQ_INT(rt_term_msg_text("ab\xe2\x82\xac", 5, out, sizeof(out)),
	    2);
	CHECK_STR(out, "ab");
	CHECK_EQ_INT(rt_term_msg_text("abcdefgh", 8, out, sizeof(out)), 4);
	CHECK_STR(out, "abcd");
}

static size_t
tail(const char *log, int whole, int lines, size_t keep, char *out)
{
	size_t n = rt_term_log_tail(log, strlen(log), whole, lines, keep, out);

	out[n] = '\0';
	return n;
}

TEST(test_log_tail_strips_the_prefix_and_joins_partials)
{
	char out[256];

	tail(TS "stdout F one\n" TS "stderr P tw\n" TS "stderr F o\n"
	    TS "stdout P three", 1, 80, 2048, out);
	/* the last line has no newline yet: not a whole line */
	CHECK_STR(out, "one\ntwo\n");
	tail(TS "stdout F one\n" TS "stdout P end\n", 1, 80, 2048, out);
	CHECK_STR(out, "one\nend");
}

TEST(test_log_tail_takes_the_last_lines)
{
	char out[256];

	tail(TS "stdout F 1\n" TS "stdout F 2\n" TS "stdout F 3\n"
	    TS "stdout F 4\n", 1, 2, 2048, out);
	CHECK_STR(out, "3\n4\n");
	tail(TS "stdout F 1\n" TS "stdout F 2\n", 1, 2, 2048, out);
	CHECK_STR(out, "1\n2\n");
}

TEST(test_log_tail_keeps_the_last_bytes)
{
	char out[256];

	CHECK_EQ_INT(tail(TS "stdout F abcdef\n" TS "stdout F ghij\n", 1, 80,
	    7, out), 7);
	CHECK_STR(out, "f\nghij\n");
	CHECK_EQ_INT(tail(TS "stdout F abcdefghij\n", 1, 80, 4, out), 4);
	CHECK_STR(out, "hij\n");
}

TEST(test_log_tail_drops_a_cut_first_line_and_bad_lines)
{
	char out[256];

	/* the window began inside a line: it is not whole */
	tail("out F cut-off\n" TS "stdout F kept\n", 0, 80, 2048, out);
	CHECK_STR(out, "kept\n");
	tail("no newline at all", 0, 80, 2048, out);
	CHECK_STR(out, "");
	tail("garbage\n" TS "stdout X odd\n" TS "stdout F fine\n", 1, 80,
	    2048, out);
	CHECK_STR(out, "fine\n");
	tail("", 1, 80, 2048, out);
	CHECK_STR(out, "");
}
