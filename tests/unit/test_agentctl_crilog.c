/*
 * agentctl/crilog.c: the CRI log line parser (the kubelet's parseCRILog
 * rules), the joining of P lines with their F, kubectl's --timestamps
 * form and --since durations.
 */
#include <stdint.h>
#include <string.h>

#include "../../agentctl/crilog.h"
#include "tap.h"

static int
parse(const char *s, struct cri_line *l)
{
	return cri_parse_line(s, strlen(s), l);
}

/* a message's text as a C string (the test's copy) */
static const char *
text(const struct cri_msg *m)
{
	static char buf[256];

	REQUIRE(m->text_len < sizeof(buf));
	memcpy(buf, m->text, m->text_len);
	buf[m->text_len] = '\0';
	return buf;
}

TEST(test_full_line_keeps_its_newline)
{
	struct cri_line l;

	REQUIRE(parse("2016-10-06T00:17:09.669794202Z stdout F hello world\n",
	    &l) == 0);
	CHECK_EQ_INT(l.stream, CRI_STDOUT);
	CHECK_EQ_INT(l.partial, 0);
	CHECK_EQ_INT(l.text_len, 12);
	CHECK(memcmp(l.text, "hello world\n", 12) == 0);
	CHECK(l.ts_ns == 1475713029669794202LL);
	CHECK_EQ_INT(l.tz_off_s, 0);
}

/* conmon writes the local offset: the instant is the same */
TEST(test_offset_time_is_the_same_instant)
{
	struct cri_line a, b;

	REQUIRE(parse("2016-10-06T02:17:09.5+02:00 stderr F x\n", &a) == 0);
	REQUIRE(parse("2016-10-06T00:17:09.500000000Z stderr F x\n", &b) == 0);
	CHECK(a.ts_ns == b.ts_ns);
	CHECK_EQ_INT(a.tz_off_s, 7200);
	CHECK_EQ_INT(a.stream, CRI_STDERR);
	REQUIRE(parse("2016-10-05T21:17:09+00:00 stdout F x\n", &a) == 0);
	CHECK(a.ts_ns == 1475702229LL * 1000000000);
	REQUIRE(parse("2016-10-05T20:17:09-01:00 stdout F x\n", &b) == 0);
	CHECK(a.ts_ns == b.ts_ns);
	CHECK_EQ_INT(b.tz_off_s, -3600);
}

TEST(test_partial_line_loses_the_format_newline)
{
	struct cri_line l;

	REQUIRE(parse("2016-10-06T00:17:09.1Z stdout P abc\n", &l) == 0);
	CHECK_EQ_INT(l.partial, 1);
	CHECK_EQ_INT(l.text_len, 3);
	/* further tags after ':' are allowed (CRI), the first decides */
	REQUIRE(parse("2016-10-06T00:17:09.1Z stdout P:x abc\n", &l) == 0);
	CHECK_EQ_INT(l.partial, 1);
	REQUIRE(parse("2016-10-06T00:17:09.1Z stdout F:x abc\n", &l) == 0);
	CHECK_EQ_INT(l.partial, 0);
	/* an empty line is a line */
	REQUIRE(parse("2016-10-06T00:17:09.1Z stdout F \n", &l) == 0);
	CHECK_EQ_INT(l.text_len, 1);
}

TEST(test_not_cri_lines_refused)
{
	struct cri_line l;

	CHECK_EQ_INT(parse("hello\n", &l), -1);
	CHECK_EQ_INT(parse("2016-10-06T00:17:09Z stdin F x\n", &l), -1);
	CHECK_EQ_INT(parse("2016-10-06T00:17:09Z stdout\n", &l), -1);
	CHECK_EQ_INT(parse("2016-10-06T00:17:09Z stdout F\n", &l), -1);
	CHECK_EQ_INT(parse("2016-13-06T00:17:09Z stdout F x\n", &l), -1);
	CHECK_EQ_INT(parse("2016-10-06T00:17:09.Z stdout F x\n", &l), -1);
	CHECK_EQ_INT(parse("2016-10-06T00:17:09.1234567890Z stdout F x\n",
	    &l), -1);
	CHECK_EQ_INT(parse("2016-10-06T00:17:09+0100 stdout F x\n", &l), -1);
	CHECK_EQ_INT(parse("2016-10-06 00:17:09Z stdout F x\n", &l), -1);
	CHECK_EQ_INT(parse("", &l), -1);
}

TEST(test_partials_join_with_their_full_line)
{
	static const char *const in[] = {
		"2016-10-06T00:17:09.000000001Z stdout P one-\n",
		"2016-10-06T00:17:09.000000002Z stderr F err\n",
		"2016-10-06T00:17:09.000000003Z stdout P two-\n",
		"2016-10-06T00:17:09.000000004Z stdout F three\n",
		"2016-10-06T00:17:09.000000005Z stdout F four\n",
	};
	struct cri_join j;
	struct cri_line l;
	struct cri_msg m;

	memset(&j, 0, sizeof(j));
	REQUIRE(parse(in[0], &l) == 0);
	CHECK_EQ_INT(cri_join_feed(&j, &l, &m), 0);
	/* the other stream's line is whole on its own */
	REQUIRE(parse(in[1], &l) == 0);
	REQUIRE(cri_join_feed(&j, &l, &m) == 1);
	CHECK_STR(text(&m), "err\n");
	CHECK_EQ_INT(m.stream, CRI_STDERR);
	REQUIRE(parse(in[2], &l) == 0);
	CHECK_EQ_INT(cri_join_feed(&j, &l, &m), 0);
	REQUIRE(parse(in[3], &l) == 0);
	REQUIRE(cri_join_feed(&j, &l, &m) == 1);
	CHECK_STR(text(&m), "one-two-three\n");
	/* the message's time is its first part's */
	CHECK(m.ts_ns == 1475713029000000001LL);
	REQUIRE(parse(in[4], &l) == 0);
	REQUIRE(cri_join_feed(&j, &l, &m) == 1);
	CHECK_STR(text(&m), "four\n");
	CHECK(m.ts_ns == 1475713029000000005LL);
	cri_join_free(&j);
}

/* an endless P run is let out at CRI_MAX_JOINED, not kept forever */
TEST(test_join_bound)
{
	static char line[8300];
	struct cri_join j;
	struct cri_line l;
	struct cri_msg m;
	size_t total = 0;
	int out = 0, i;

	memset(&j, 0, sizeof(j));
	memcpy(line, "2016-10-06T00:17:09Z stdout P ", 30);
	memset(line + 30, 'a', 8192);
	line[30 + 8192] = '\n';
	for (i = 0; i < 3000 && !out; i++) {
		REQUIRE(cri_parse_line(line, 30 + 8193, &l) == 0);
		out = cri_join_feed(&j, &l, &m);
		total += 8192;
	}
	CHECK_EQ_INT(out, 1);
	CHECK(m.text_len >= CRI_MAX_JOINED && m.text_len == total);
	CHECK(total < CRI_MAX_JOINED + 8192 * 2);
	cri_join_free(&j);
}

/* kubectl --timestamps: RFC3339NanoFixed, Z for UTC */
TEST(test_timestamp_format)
{
	char buf[CRI_TS_MAX];

	cri_format_time(1475713029669794202LL, 0, buf);
	CHECK_STR(buf, "2016-10-06T00:17:09.669794202Z");
	cri_format_time(1475713029000000000LL, 0, buf);
	CHECK_STR(buf, "2016-10-06T00:17:09.000000000Z");
	cri_format_time(1475713029000000500LL, 7200, buf);
	CHECK_STR(buf, "2016-10-06T02:17:09.000000500+02:00");
	cri_format_time(1475713029000000500LL, -5400, buf);
	CHECK_STR(buf, "2016-10-05T22:47:09.000000500-01:30");
}

TEST(test_since_durations)
{
	int64_t ns;

	REQUIRE(cri_parse_duration("10s", &ns) == 0);
	CHECK(ns == 10000000000LL);
	REQUIRE(cri_parse_duration("5m", &ns) == 0);
	CHECK(ns == 300000000000LL);
	REQUIRE(cri_parse_duration("1h", &ns) == 0);
	CHECK(ns == 3600000000000LL);
	REQUIRE(cri_parse_duration("1h30m5s", &ns) == 0);
	CHECK(ns == 5405000000000LL);
	REQUIRE(cri_parse_duration("1500ms", &ns) == 0);
	CHECK(ns == 1500000000LL);
	REQUIRE(cri_parse_duration("3us", &ns) == 0);
	CHECK(ns == 3000);
	REQUIRE(cri_parse_duration("0", &ns) == 0);
	CHECK(ns == 0);
	CHECK_EQ_INT(cri_parse_duration("", &ns), -1);
	CHECK_EQ_INT(cri_parse_duration("10", &ns), -1);
	CHECK_EQ_INT(cri_parse_duration("5x", &ns), -1);
	CHECK_EQ_INT(cri_parse_duration("-5s", &ns), -1);
	CHECK_EQ_INT(cri_parse_duration("s", &ns), -1);
	CHECK_EQ_INT(cri_parse_duration("1.5h", &ns), -1);
	CHECK_EQ_INT(cri_parse_duration("99999999999999999999h", &ns), -1);
	CHECK_EQ_INT(cri_parse_duration("9999999999h", &ns), -1);
}
