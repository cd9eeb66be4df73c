/*
 * HTTP/1.1 responses from the API server, the bytes as read from the
 * connection, in whatever pieces they came (apihttp.c, on Debian's
 * http-parser): used by the workers' API client (apiclient.c) for every
 * request, the watch stream included.  Library-style: nothing is logged;
 * the first problem found is kept in error[] and every later feed fails.
 */
#ifndef AGENTD_APIHTTP_H
#define AGENTD_APIHTTP_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#define APIWATCH_ERROR_MAX	512

#define APIHTTP_MAX_HEADERS	64	/* header lines in a response */
#define APIHTTP_MAX_HEADER_BYTES (32 * 1024)	/* status line + headers */
#define APIHTTP_MAX_CONTENT_TYPE 127
/* the body of a list response, unless the caller says otherwise */
#define APIHTTP_MAX_LIST_BODY	(16 * 1024 * 1024)
/* the body of a non-2xx reply to a watch (a Status object) */
#define APIHTTP_MAX_ERROR_BODY	(64 * 1024)
#define APIHTTP_MAX_RETRY_AFTER	3600	/* seconds; more is cut to this */

/*
 * A streamed body's bytes (the watch stream of a 200 reply), in the
 * pieces the chunked decoding yields; return -1 to stop (the callback
 * has set its own error: the response then fails with "body refused").
 */
typedef int	(*apihttp_body_fn)(void *arg, const uint8_t *, size_t);

struct apihttp {
	http_parser		 parser;
	/* what the caller asked for */
	size_t			 max_body;	/* a buffered body */
	apihttp_body_fn		 stream;	/* NULL: buffer every body */
	void			*stream_arg;
	/* the response */
	int			 status;	/* 0 until the headers are in */
	char			 content_type[APIHTTP_MAX_CONTENT_TYPE + 1];
	int			 chunked;
	int64_t			 content_length;	/* -1: not given */
	int			 retry_after;	/* seconds, -1: not given */
	int			 keep_alive;	/* the connection may be reused */
	int			 streaming;	/* body goes to stream() */
	uint8_t			*body;		/* buffered */
	size_t			 body_len, body_cap;
	int			 headers_done;
	int			 complete;	/* the whole response is in */
	/* header parsing: the name or value being read */
	char			 hname[32];
	size_t			 hname_len;
	int			 hname_long;	/* longer than hname: not ours */
	int			 in_value;
	char			 hvalue[APIHTTP_MAX_CONTENT_TYPE + 1];
	size_t			 hvalue_len;
	int			 hvalue_long;	/* Retry-After: ignored */
	size_t			 header_bytes;
	unsigned		 nheaders;
	int			 failed;
	char			 error[APIWATCH_ERROR_MAX];
};

/*
 * A 2xx response must be Content-Type application/json (what we asked
 * for in Accept); any other status may carry any body.
 * max_body bounds a buffered body (0: APIHTTP_MAX_LIST_BODY).  With
 * stream set, the body of a 2xx response goes to stream() as it arrives
 * and is never buffered; any other status's body is buffered, bounded by
 * APIHTTP_MAX_ERROR_BODY, to be read as a Status (apistatus_decode).
 */
void	apihttp_init(struct apihttp *, size_t max_body, apihttp_body_fn stream,
	    void *arg);
void	apihttp_free(struct apihttp *);
/* bytes as read from the connection; 0, or -1 with error[] set */
int	apihttp_feed(struct apihttp *, const uint8_t *, size_t);
/* the server closed the connection: 0 if the response was whole */
int	apihttp_eof(struct apihttp *);

#endif
