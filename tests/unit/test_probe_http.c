/*
 * agentd-probe's HTTP (workers/probe/probehttp.c): the request the
 * kubelet's prober sends, and what a container's server may answer:
 * status lines good and bad, heads too long, redirects to the same or
 * another host, the verdicts.
 */
#include "tap.h"
#include "../../workers/probe/probehttp.h"

static int
parse(const char *s, struct probe_http_resp *r, const char **why)
{
	return probe_http_parse(s, strlen(s), r, why);
}

TEST(test_request_has_the_kubelet_headers)
{
	char buf[PROBE_HTTP_REQ_MAX];
	char *h[] = { "X-Probe: yes" };
	int n;

	n = probe_http_request(buf, sizeof(buf), "/healthz?a=1", "10.0.0.5",
	    8080, h, 1);
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strncmp(buf, "GET /healthz?a=1 HTTP/1.1\r\n", 27) == 0);
	CHECK(strstr(buf, "\r\nHost: 10.0.0.5:8080\r\n") != NULL);
	CHECK(strstr(buf, "\r\nUser-Agent: kube-probe/1.32\r\n") != NULL);
	CHECK(strstr(buf, "\r\nAccept: */*\r\n") != NULL);
	CHECK(strstr(buf, "\r\nX-Probe: yes\r\n") != NULL);
	CHECK(n > 4 && strcmp(buf + n - 4, "\r\n\r\n") == 0);
}

TEST(test_request_user_headers_replace_defaults)
{
	char buf[PROBE_HTTP_REQ_MAX];
	char *h[] = { "Host: example.com", "user-agent: mine" };

	CHECK(probe_http_request(buf, sizeof(buf), "/", "::1", 80, h, 2) > 0);
	CHECK(strstr(buf, "Host: [::1]:80") == NULL);
	CHECK(strstr(buf, "Host: example.com\r\n") != NULL);
	CHECK(strstr(buf, "kube-probe") == NULL);
	CHECK(probe_http_request(buf, sizeof(buf), "/", "::1", 80, NULL, 0) >
	    0);
	CHECK(strstr(buf, "Host: [::1]:80\r\n") != NULL);
}

TEST(test_request_that_does_not_fit)
{
	char buf[64];

	CHECK_EQ_INT(probe_http_request(buf, sizeof(buf), "/a/very/long/path/"
	    "that/does/not/fit/in/sixty/four/bytes", "10.0.0.1", 80, NULL, 0),
	    -1);
}

TEST(test_parse_status_and_location)
{
	struct probe_http_resp r;
	const char *why = NULL;

	CHECK_EQ_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	    &r, &why), 1);
	CHECK_EQ_INT(r.code, 200);
	CHECK_STR(r.location, "");
	CHECK_EQ_INT(parse("HTTP/1.0 302 Found\r\nlocation:  /login \r\n\r\n",
	    &r, &why), 1);
	CHECK_EQ_INT(r.code, 302);
	CHECK_STR(r.location, "/login");
	CHECK_EQ_INT(parse("HTTP/1.1 204\r\n\r\n", &r, &why), 1);
	CHECK_EQ_INT(r.code, 204);
}

TEST(test_parse_needs_more)
{
	struct probe_http_resp r;
	const char *why = NULL;

	CHECK_EQ_INT(parse("HTT", &r, &why), 0);
	CHECK_EQ_INT(parse("HTTP/1.1 200 OK\r\nA: b\r\n", &r, &why), 0);
}

TEST(test_parse_refuses_what_is_not_http)
{
	struct probe_http_resp r;
	const char *why = NULL;

	CHECK_EQ_INT(parse("SSH-2.0-OpenSSH_9.6\r\n", &r, &why), -1);
	CHECK_STR(why, "not an HTTP response");
	CHECK_EQ_INT(parse("HTTP/2 200\r\n\r\n", &r, &why), -1);
	CHECK_EQ_INT(parse("HTTP/1.1 2x0 OK\r\n\r\n", &r, &why), -1);
	CHECK_STR(why, "a malformed status code");
	CHECK_EQ_INT(parse("HTTP/1.1 2000 OK\r\n\r\n", &r, &why), -1);
	CHECK_EQ_INT(parse("HTTP/1.1 099 x\r\n\r\n", &r, &why), -1);
}

/* a server that never ends its head: bounded, then a failure */
TEST(test_parse_head_bound)
{
	struct probe_http_resp r;
	const char *why = NULL;
	char *big = malloc(PROBE_HTTP_HEAD_MAX);

	REQUIRE(big != NULL);
	memset(big, 'a', PROBE_HTTP_HEAD_MAX);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 21);
	CHECK_EQ_INT(probe_http_parse(big, PROBE_HTTP_HEAD_MAX - 1, &r, &why),
	    0);
	CHECK_EQ_INT(probe_http_parse(big, PROBE_HTTP_HEAD_MAX, &r, &why), -1);
	CHECK_STR(why, "the response's head is too long");
	free(big);
}

/* control bytes in a Location never reach the answer line */
TEST(test_parse_cleans_location)
{
	struct probe_http_resp r;
	const char *why = NULL;

	CHECK_EQ_INT(parse("HTTP/1.1 301 M\r\nLocation: /a\x01\x7f" "b\r\n\r\n",
	    &r, &why), 1);
	CHECK_STR(r.location, "/a??b");
}

TEST(test_verdicts)
{
	struct probe_http_resp r = { 0 };
	char msg[256];

	r.code = 200;
	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "success");
	r.code = 399;
	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "success");
	r.code = 404;
	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "failure");
	CHECK_STR(msg, "HTTP probe failed with statuscode: 404");
	r.code = 199;
	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "failure");
	r.code = 500;
	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "failure");
}

/* a redirect elsewhere: success with a warning, never followed */
TEST(test_redirect_verdicts)
{
	struct probe_http_resp r = { 302, "http://evil.example/x" };
	char msg[256];

	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "warning");
	CHECK(strstr(msg, "Probe terminated redirects") != NULL);
	snprintf(r.location, sizeof(r.location), "http://10.0.0.1:80/ok");
	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "warning");
	CHECK(strstr(msg, "not followed") != NULL);
	snprintf(r.location, sizeof(r.location), "//other/x");
	CHECK_STR(probe_http_verdict(&r, "10.0.0.1", 80, msg, sizeof(msg)),
	    "warning");
	CHECK(strstr(msg, "Probe terminated redirects") != NULL);
}
