/*
 * The bounds of the socket grant (agentd/apilimit.c): the sliding window
 * of connection requests, the once-a-window summary of refusals, the
 * share of the deadline each address gets, and the address text the audit
 * log and the worker see.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>

#include "tap.h"
#include "../../agentd/agentd.h"

TEST(test_rate_admits_the_window_then_refuses)
{
	struct apirate r;
	int i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < APIGRANT_MAX_PER_WINDOW; i++)
		CHECK_EQ_INT(apirate_admit(&r, 1000), 1);
	CHECK_EQ_INT(apirate_admit(&r, 1000), 0);
	/* a refusal is not an admission: it does not push the window on */
	CHECK_EQ_INT(apirate_admit(&r, 1000 + APIGRANT_WINDOW_S - 1), 0);
	CHECK_EQ_INT(apirate_admit(&r, 1000 + APIGRANT_WINDOW_S), 1);
	CHECK_EQ_INT(apirate_admit(&r, 1000 + APIGRANT_WINDOW_S), 1);
}

/* sliding, not fixed: a burst at the end of one minute and the start of
   the next is still one window's worth */
TEST(test_rate_window_slides)
{
	struct apirate r;
	int i, admitted = 0;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < APIGRANT_MAX_PER_WINDOW / 2; i++)
		CHECK_EQ_INT(apirate_admit(&r, 59), 1);
	for (i = 0; i < APIGRANT_MAX_PER_WINDOW; i++)
		admitted += apirate_admit(&r, 61);
	CHECK_EQ_INT(admitted, APIGRANT_MAX_PER_WINDOW / 2);
	/* the first half leaves the window at 119, the rest at 121 */
	CHECK_EQ_INT(apirate_admit(&r, 118), 0);
	for (i = 0; i < APIGRANT_MAX_PER_WINDOW / 2; i++)
		CHECK_EQ_INT(apirate_admit(&r, 119), 1);
	CHECK_EQ_INT(apirate_admit(&r, 120), 0);
}

TEST(test_rate_one_a_second_forever)
{
	struct apirate r;
	int64_t t;

	memset(&r, 0, sizeof(r));
	for (t = 0; t < 10 * APIGRANT_WINDOW_S; t++)
		CHECK_EQ_INT(apirate_admit(&r, t), 1);
}

TEST(test_refusals_first_at_once_then_once_a_window)
{
	struct apirefusals rf;
	uint64_t n = 0;
	int i, reports = 0;

	memset(&rf, 0, sizeof(rf));
	CHECK_EQ_INT(apirefusal_wait(&rf, 0), -1);
	CHECK_EQ_INT(apirefusal_note(&rf, 100, &n), 1);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(apirefusal_wait(&rf, 100), -1);	/* nothing pending */
	/* a flood within the window: counted, none reported */
	for (i = 0; i < 5000; i++)
		reports += apirefusal_note(&rf, 100 + i % APIGRANT_WINDOW_S,
		    &n);
	CHECK_EQ_INT(reports, 0);
	CHECK_EQ_INT(apirefusal_wait(&rf, 130), APIGRANT_WINDOW_S - 30);
	CHECK_EQ_INT(apirefusal_due(&rf, 100 + APIGRANT_WINDOW_S - 1, &n), 0);
	CHECK_EQ_INT(apirefusal_wait(&rf, 100 + APIGRANT_WINDOW_S), 0);
	CHECK_EQ_INT(apirefusal_due(&rf, 100 + APIGRANT_WINDOW_S, &n), 1);
	CHECK_EQ_INT(n, 5000);
	/* reported: nothing more is due until there is more */
	CHECK_EQ_INT(apirefusal_due(&rf, 1000, &n), 0);
	/* the next one, a window after the last report: at once again */
	CHECK_EQ_INT(apirefusal_note(&rf, 100 + 2 * APIGRANT_WINDOW_S, &n), 1);
	CHECK_EQ_INT(n, 1);
}

/* at most one record per window, whatever the pattern */
TEST(test_refusals_never_more_than_one_record_a_window)
{
	struct apirefusals rf;
	uint64_t i, n, total = 0, refusals = 0;
	int64_t t, last = -APIGRANT_WINDOW_S;

	memset(&rf, 0, sizeof(rf));
	for (t = 0; t < 20 * APIGRANT_WINDOW_S; t++) {
		/* bursts of t % 7 refusals a second, a due check each second */
		for (i = 0; i < (uint64_t)(t % 7); i++) {
			refusals++;
			if (apirefusal_note(&rf, t, &n) == 1) {
				CHECK(t - last >= APIGRANT_WINDOW_S);
				last = t;
				total += n;
			}
		}
		if (apirefusal_due(&rf, t, &n) == 1) {
			CHECK(t - last >= APIGRANT_WINDOW_S);
			last = t;
			total += n;
		}
	}
	CHECK_EQ_INT(total + rf.pending, refusals);
}

TEST(test_attempt_share)
{
	CHECK_EQ_INT(apigrant_attempt_ms(APIGRANT_TIMEOUT_MS, 1),
	    APIGRANT_TIMEOUT_MS);
	CHECK_EQ_INT(apigrant_attempt_ms(10000, 2), 5000);
	/* eight addresses: each gets the floor, not 1.25 s */
	CHECK_EQ_INT(apigrant_attempt_ms(10000, 8), APIGRANT_ADDR_MIN_MS);
	/* never more than what is left */
	CHECK_EQ_INT(apigrant_attempt_ms(1500, 3), 1500);
	CHECK_EQ_INT(apigrant_attempt_ms(0, 1), 1);
	CHECK_EQ_INT(apigrant_attempt_ms(-5, 2), 1);
}

TEST(test_addrstr)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr un = { .sa_family = AF_UNIX };
	char buf[64];

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = htons(6443);
	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	apigrant_addrstr((struct sockaddr *)&in4, buf, sizeof(buf));
	CHECK_STR(buf, "127.0.0.1:6443");
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	apigrant_addrstr((struct sockaddr *)&in6, buf, sizeof(buf));
	CHECK_STR(buf, "[2001:db8::1]:443");
	apigrant_addrstr(&un, buf, sizeof(buf));
	CHECK_STR(buf, "?");
}

TEST(test_url)
{
	char buf[300];

	apigrant_url("kube.example", 6443, buf, sizeof(buf));
	CHECK_STR(buf, "https://kube.example:6443");
	apigrant_url("::1", 443, buf, sizeof(buf));
	CHECK_STR(buf, "https://[::1]:443");
	apigrant_url("192.0.2.7", 8443, buf, sizeof(buf));
	CHECK_STR(buf, "https://192.0.2.7:8443");
}
