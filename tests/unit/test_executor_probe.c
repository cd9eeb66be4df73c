/*
 * The executor's reading of agentd-probe's answer (probe.c
 * probe_parse_line): the one fixed-format line and nothing else.
 */
#include "tap.h"
#include "../../workers/executor/probe.h"

TEST(test_answer_words)
{
	char msg[PROBE_MSG_MAX];
	int ok, warn;

	CHECK_EQ_INT(probe_parse_line("success connected to 10.0.0.1:80\n",
	    &ok, &warn, msg, sizeof(msg)), 0);
	CHECK(ok && !warn);
	CHECK_STR(msg, "connected to 10.0.0.1:80");
	CHECK_EQ_INT(probe_parse_line("warning redirect\n", &ok, &warn, msg,
	    sizeof(msg)), 0);
	CHECK(ok && warn);
	CHECK_EQ_INT(probe_parse_line("failure HTTP probe failed with "
	    "statuscode: 500", &ok, &warn, msg, sizeof(msg)), 0);
	CHECK(!ok && !warn);
	CHECK_STR(msg, "HTTP probe failed with statuscode: 500");
	CHECK_EQ_INT(probe_parse_line("failure", &ok, &warn, msg,
	    sizeof(msg)), 0);
	CHECK_STR(msg, "");
}

TEST(test_answer_malformed)
{
	char msg[PROBE_MSG_MAX], big[PROBE_LINE_MAX + 10];
	int ok = 7, warn = 7;

	CHECK_EQ_INT(probe_parse_line("", &ok, &warn, msg, sizeof(msg)), -1);
	CHECK_EQ_INT(probe_parse_line("successful", &ok, &warn, msg,
	    sizeof(msg)), -1);
	CHECK_EQ_INT(probe_parse_line("ok fine", &ok, &warn, msg,
	    sizeof(msg)), -1);
	CHECK_EQ_INT(probe_parse_line("success \x1b[2J", &ok, &warn, msg,
	    sizeof(msg)), -1);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "success ", 8);
	CHECK_EQ_INT(probe_parse_line(big, &ok, &warn, msg, sizeof(msg)), -1);
	CHECK_EQ_INT(ok, 7);
}

/* what follows the first line is not read */
TEST(test_answer_first_line_only)
{
	char msg[16];
	int ok, warn;

	CHECK_EQ_INT(probe_parse_line("failure a\nsuccess b\n", &ok, &warn,
	    msg, sizeof(msg)), 0);
	CHECK(!ok);
	CHECK_STR(msg, "a");
	/* bounded by the caller's buffer */
	CHECK_EQ_INT(probe_parse_line("failure 0123456789abcdefXYZ", &ok,
	    &warn, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "0123456789abcde");
}
