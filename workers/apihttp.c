/*
 * HTTP/1.1 responses from the API server: framing by Debian's http-parser
 * (nodejs/http-parser 2.9), the parser Node.js used for years, rather than
 * our own scanning: the status line, header syntax, Content-Length versus
 * Transfer-Encoding (both at once is refused: the request smuggling rule
 * of RFC 9112 section 6.3), the chunked coding with its size lines,
 * extensions and trailers are its job.  Ours: the bounds (header bytes
 * and count, body size), the few headers the watcher needs, and where
 * the body goes (streamed to the watch decoder, or buffered for a list
 * or a Status).  Bytes arrive in any pieces; the parser keeps its state
 * between them and so do the header callbacks here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

#include "apihttp.h"

/* the headers we read; any other is only counted */
enum apihttp_header {
	HDR_OTHER,
	HDR_CONTENT_TYPE,
	HDR_CONTENT_ENCODING,
	HDR_RETRY_AFTER
};

static const struct {
	const char		*name;
	enum apihttp_header	 which;
} apihttp_headers[] = {
	{ "Content-Type",	HDR_CONTENT_TYPE },
	/* we send no Accept-Encoding: a compressed body is not ours */
	{ "Content-Encoding",	HDR_CONTENT_ENCODING },
	/* 429 and 503 say when to come back (the reconnect honours it) */
	{ "Retry-After",	HDR_RETRY_AFTER },
};

static int __attribute__((format(printf, 2, 3)))
apihttp_fail(struct apihttp *h, const char *fmt, ...)
{
	va_list ap;

	if (!h->failed) {
		va_start(ap, fmt);
		vsnprintf(h->error, sizeof(h->error), fmt, ap);
		va_end(ap);
		h->failed = 1;
	}
	return -1;
}

static struct apihttp *
parser_owner(http_parser *p)
{
	return p->data;
}

static int
header_bytes_add(struct apihttp *h, size_t len)
{
	h->header_bytes += len;
	if (h->header_bytes > APIHTTP_MAX_HEADER_BYTES)
		return apihttp_fail(h, "HTTP response headers longer than "
		    "%d bytes", APIHTTP_MAX_HEADER_BYTES);
	return 0;
}

static enum apihttp_header
header_which(const struct apihttp *h)
{
	size_t i;

	if (h->hname_long)
		return HDR_OTHER;
	for (i = 0; i < sizeof(apihttp_headers) / sizeof(apihttp_headers[0]);
	    i++)
		if (strcasecmp(h->hname, apihttp_headers[i].name) == 0)
			return apihttp_headers[i].which;
	return HDR_OTHER;
}

/* Retry-After: delay-seconds (RFC 9110 10.2.3); an HTTP-date is ignored */
static void
retry_after_parse(struct apihttp *h)
{
	size_t i;
	long v = 0;

	if (h->hvalue_len == 0)
		return;
	for (i = 0; i < h->hvalue_len; i++) {
		if (h->hvalue[i] < '0' || h->hvalue[i] > '9')
			return;
		if (v < APIHTTP_MAX_RETRY_AFTER)
			v = v * 10 + (h->hvalue[i] - '0');
	}
	h->retry_after = v > APIHTTP_MAX_RETRY_AFTER ?
	    APIHTTP_MAX_RETRY_AFTER : (int)v;
}

/* one header line is whole: keep what is ours */
static int
header_end(struct apihttp *h)
{
	h->in_value = 0;
	h->hvalue[h->hvalue_len] = '\0';
	switch (header_which(h)) {
	case HDR_CONTENT_TYPE:
		memcpy(h->content_type, h->hvalue, h->hvalue_len + 1);
		break;
	case HDR_CONTENT_ENCODING:
		if (strcasecmp(h->hvalue, "identity") != 0)
			return apihttp_fail(h, "HTTP response has "
			    "Content-Encoding \"%s\": only identity is "
			    "accepted (none was offered)", h->hvalue);
		break;
	case HDR_RETRY_AFTER:
		retry_after_parse(h);
		break;
	case HDR_OTHER:
		break;
	}
	h->hname_len = 0;
	h->hname_long = 0;
	h->hvalue_len = 0;
	h->hvalue_long = 0;
	return 0;
}

static int
on_message_begin(http_parser *p)
{
	struct apihttp *h = parser_owner(p);

	if (h->complete)
		return apihttp_fail(h, "data after the end of the HTTP "
		    "response (one response per request)");
	return 0;
}

static int
on_status(http_parser *p, const char *at, size_t len)
{
	return header_bytes_add(parser_owner(p), len);
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct apihttp *h = parser_owner(p);

	if (header_bytes_add(h, len) == -1)
		return -1;
	if (h->in_value && header_end(h) == -1)
		return -1;
	if (h->hname_len == 0 && !h->hname_long &&
	    ++h->nheaders > APIHTTP_MAX_HEADERS)
		return apihttp_fail(h, "HTTP response has more than %d "
		    "headers", APIHTTP_MAX_HEADERS);
	if (h->hname_long || h->hname_len + len >= sizeof(h->hname)) {
		h->hname_long = 1;
		return 0;
	}
	memcpy(h->hname + h->hname_len, at, len);
	h->hname_len += len;
	h->hname[h->hname_len] = '\0';
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct apihttp *h = parser_owner(p);
	enum apihttp_header which;

	if (header_bytes_add(h, len) == -1)
		return -1;
	h->in_value = 1;
	if ((which = header_which(h)) == HDR_OTHER)
		return 0;
	if (h->hvalue_long)
		return 0;
	if (h->hvalue_len + len >= sizeof(h->hvalue)) {
		if (which == HDR_RETRY_AFTER) {
			h->hvalue_long = 1;	/* no delay-seconds: ignored */
			h->hvalue_len = 0;
			return 0;
		}
		return apihttp_fail(h, "HTTP response header %s longer than "
		    "%zu bytes", h->hname, sizeof(h->hvalue) - 1);
	}
	memcpy(h->hvalue + h->hvalue_len, at, len);
	h->hvalue_len += len;
	return 0;
}

/* "application/json", any case, with or without parameters */
static int
content_type_json(const char *ct)
{
	static const char json[] = "application/json";
	size_t n = sizeof(json) - 1;

	if (strncasecmp(ct, json, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* where the body goes is known once the status is */
static int
on_headers_complete(http_parser *p)
{
	struct apihttp *h = parser_owner(p);
	size_t limit;

	if (h->in_value && header_end(h) == -1)
		return -1;
	h->status = p->status_code;
	h->chunked = (p->flags & F_CHUNKED) != 0;
	h->content_length = (p->flags & F_CONTENTLENGTH) ?
	    (int64_t)p->content_length : -1;
	h->keep_alive = http_should_keep_alive(p);
	h->headers_done = 1;
	if (h->status < 200)
		return apihttp_fail(h, "HTTP %d: an informational response "
		    "to a GET", h->status);
	/* a proxy's HTML page is no API object: say so, not "bad JSON" */
	if (h->status < 300 && !content_type_json(h->content_type))
		return apihttp_fail(h, "HTTP %d response is Content-Type "
		    "\"%s\", not application/json", h->status,
		    h->content_type);
	h->streaming = h->stream != NULL && h->status < 300;
	if (h->streaming)
		return 0;
	limit = h->stream != NULL ? APIHTTP_MAX_ERROR_BODY : h->max_body;
	if (h->content_length > (int64_t)limit)
		return apihttp_fail(h, "HTTP %d response body of %lld bytes "
		    "(Content-Length), more than the %zu allowed", h->status,
		    (long long)h->content_length, limit);
	return 0;
}

static int
body_append(struct apihttp *h, const char *at, size_t len)
{
	size_t limit, cap;
	uint8_t *n;

	limit = h->stream != NULL ? APIHTTP_MAX_ERROR_BODY : h->max_body;
	if (len > limit - h->body_len)
		return apihttp_fail(h, "HTTP %d response body longer than the "
		    "%zu bytes allowed", h->status, limit);
	if (h->body_len + len + 1 > h->body_cap) {
		cap = h->body_cap ? h->body_cap : 4096;
		while (cap < h->body_len + len + 1)
			cap *= 2;
		if (cap > limit + 1)
			cap = limit + 1;
		if ((n = realloc(h->body, cap)) == NULL)
			return apihttp_fail(h, "out of memory for a %zu-byte "
			    "body", h->body_len + len);
		h->body = n;
		h->body_cap = cap;
	}
	memcpy(h->body + h->body_len, at, len);
	h->body_len += len;
	h->body[h->body_len] = '\0';
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct apihttp *h = parser_owner(p);

	if (!h->streaming)
		return body_append(h, at, len);
	if (h->stream(h->stream_arg, (const uint8_t *)at, len) == -1)
		return apihttp_fail(h, "HTTP response body refused by its "
		    "reader");
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	parser_owner(p)->complete = 1;
	return 0;
}

static const http_parser_settings apihttp_settings = {
	.on_message_begin = on_message_begin,
	.on_status = on_status,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
apihttp_init(struct apihttp *h, size_t max_body, apihttp_body_fn stream,
    void *arg)
{
	memset(h, 0, sizeof(*h));
	http_parser_init(&h->parser, HTTP_RESPONSE);
	h->parser.data = h;
	h->max_body = max_body ? max_body : APIHTTP_MAX_LIST_BODY;
	h->stream = stream;
	h->stream_arg = arg;
	h->content_length = -1;
	h->retry_after = -1;
}

void
apihttp_free(struct apihttp *h)
{
	free(h->body);
	h->body = NULL;
	h->body_len = h->body_cap = 0;
}

/* after execute: our callbacks' reason, or the parser's */
static int
apihttp_check(struct apihttp *h, size_t fed, size_t parsed)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&h->parser);

	if (h->failed)
		return -1;
	if (e != HPE_OK)
		return apihttp_fail(h, "HTTP response framing: %s (%s)",
		    http_errno_description(e), http_errno_name(e));
	if (h->parser.upgrade || parsed != fed)
		return apihttp_fail(h, "HTTP response switches protocols: "
		    "not expected");
	return 0;
}

int
apihttp_feed(struct apihttp *h, const uint8_t *buf, size_t len)
{
	size_t n;

	if (h->failed)
		return -1;
	if (len == 0)
		return 0;	/* 0 bytes would tell the parser EOF */
	n = http_parser_execute(&h->parser, &apihttp_settings,
	    (const char *)buf, len);
	return apihttp_check(h, len, n);
}

int
apihttp_eof(struct apihttp *h)
{
	size_t n;

	if (h->failed)
		return -1;
	/* a body that runs to the close ends here */
	n = http_parser_execute(&h->parser, &apihttp_settings, NULL, 0);
	if (HTTP_PARSER_ERRNO(&h->parser) == HPE_INVALID_EOF_STATE)
		return apihttp_fail(h, "connection closed inside the HTTP "
		    "response%s (truncated)", h->headers_done ? " body" :
		    " headers");
	if (apihttp_check(h, 0, n) == -1)
		return -1;
	if (!h->headers_done)
		return apihttp_fail(h, "connection closed before the HTTP "
		    "response headers ended");
	if (!h->complete)
		return apihttp_fail(h, "connection closed inside the HTTP "
		    "%d response body (truncated)", h->status);
	return 0;
}
