/*
 * agentd-probe's HTTP: the request line and headers it writes, the
 * status line and headers it reads, and the kubelet's rules for what a
 * response means (pkg/probe/http: 200-399 is success; a redirect to
 * another host is a success with a warning, never followed).  This code
 * reads what a container's server sends: everything is bounded and
 * anything unexpected is a failure with a fixed reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probehttp.h"

static int
has_header(char *const *headers, int n, const char *name)
{
	size_t l = strlen(name);
	int i;

	for (i = 0; i < n; i++)
		if (strncasecmp(headers[i], name, l) == 0 &&
		    headers[i][l] == ':')
			return 1;
	return 0;
}

int
probe_http_request(char *buf, size_t len, const char *path,
    const char *addr, int port, char *const *headers, int nheaders)
{
	int v6 = strchr(addr, ':') != NULL;
	size_t off;
	int i, n;

	n = snprintf(buf, len, "GET %s HTTP/1.1\r\n", path);
	if (n < 0 || (size_t)n >= len)
		return -1;
	off = (size_t)n;
#define ADD(...) do {							\
	n = snprintf(buf + off, len - off, __VA_ARGS__);		\
	if (n < 0 || (size_t)n >= len - off)				\
		return -1;						\
	off += (size_t)n;						\
} while (0)
	if (!has_header(headers, nheaders, "Host"))
		ADD("Host: %s%s%s:%d\r\n", v6 ? "[" : "", addr, v6 ? "]" : "",
		    port);
	if (!has_header(headers, nheaders, "User-Agent"))
		ADD("User-Agent: %s\r\n", PROBE_USER_AGENT);
	if (!has_header(headers, nheaders, "Accept"))
		ADD("Accept: */*\r\n");
	for (i = 0; i < nheaders; i++)
		ADD("%s\r\n", headers[i]);
	ADD("Connection: close\r\n\r\n");
#undef ADD
	return (int)off;
}

/* the value of the header name in the head, or NULL */
static const char *
head_value(const char *head, size_t hlen, const char *name, size_t *vlen)
{
	size_t l = strlen(name);
	const char *p = head, *end = head + hlen, *eol, *v;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > l && strncasecmp(p, name, l) == 0 &&
		    p[l] == ':') {
			v = p + l + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			while (*vlen > 0 && (v[*vlen - 1] == '\r' ||
			    v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

int
probe_http_parse(const char *buf, size_t len, struct probe_http_resp *r,
    const char **why)
{
	const char *end, *loc;
	size_t hlen, i, vlen;

	memset(r, 0, sizeof(*r));
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL) {
		if (len >= PROBE_HTTP_HEAD_MAX) {
			*why = "the response's head is too long";
			return -1;
		}
		if (len >= 5 && memcmp(buf, "HTTP/", 5) != 0) {
			*why = "not an HTTP response";
			return -1;
		}
		return 0;
	}
	hlen = (size_t)(end - buf) + 2;
	/* "HTTP/1.x NNN" and a space or the line's end */
	if (hlen < 14 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ') {
		*why = "not an HTTP/1.x status line";
		return -1;
	}
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9') {
			*why = "a malformed status code";
			return -1;
		}
		r->code = r->code * 10 + (buf[i] - '0');
	}
	if (buf[12] != ' ' && buf[12] != '\r') {
		*why = "a malformed status code";
		return -1;
	}
	if (r->code < 100) {
		*why = "a malformed status code";
		return -1;
	}
	loc = head_value(buf, hlen, "Location", &vlen);
	if (loc != NULL) {
		if (vlen >= sizeof(r->location))
			vlen = sizeof(r->location) - 1;
		memcpy(r->location, loc, vlen);
		r->location[vlen] = '\0';
		for (i = 0; i < vlen; i++)
			if (r->location[i] < ' ' || r->location[i] >= 0x7f)
				r->location[i] = '?';
	}
	return 1;
}

/* the redirect stays on addr:port (a relative one always does) */
static int
same_target(const char *location, const char *addr, int port)
{
	char want[96];
	const char *h;
	size_t n;
	int v6 = strchr(addr, ':') != NULL;

	if (strncmp(location, "http://", 7) == 0)
		h = location + 7;
	else if (strncmp(location, "https://", 8) == 0)
		h = location + 8;
	else
		return strncmp(location, "//", 2) != 0;
	n = strcspn(h, "/?#");
	snprintf(want, sizeof(want), "%s%s%s:%d", v6 ? "[" : "", addr,
	    v6 ? "]" : "", port);
	return n == strlen(want) && strncmp(h, want, n) == 0;
}

const char *
probe_http_verdict(const struct probe_http_resp *r, const char *addr,
    int port, char *msg, size_t len)
{
	if (r->code < 200 || r->code >= 400) {
		snprintf(msg, len, "HTTP probe failed with statuscode: %d",
		    r->code);
		return "failure";
	}
	if (r->code >= 300 && r->location[0] != '\0') {
		if (!same_target(r->location, addr, port)) {
			snprintf(msg, len, "Probe terminated redirects "
			    "(statuscode: %d, to %s)", r->code, r->location);
			return "warning";
		}
		snprintf(msg, len, "redirect to %s not followed (statuscode: "
		    "%d)", r->location, r->code);
		return "warning";
	}
	snprintf(msg, len, "HTTP probe succeeded with statuscode: %d",
	    r->code);
	return "success";
}
