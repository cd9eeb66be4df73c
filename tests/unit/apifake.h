/*
 * A scripted stand-in for the workers' API client (include/apiclient.h),
 * for the unit tests of what speaks through it: apiclient_request records
 * each request, and the test answers it (fake_answer) when and how it
 * wants, which calls the request's done callback as the real client
 * does.  The clocks of workers/reporter/apiretry.h are the test's too.
 * Test programs only: it defines the client's functions itself.
 */
#ifndef AGENTD_TESTS_APIFAKE_H
#define AGENTD_TESTS_APIFAKE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "apiclient.h"
#include "tap.h"
#include "../../workers/reporter/apiretry.h"

#define FAKE_MAX_REQS	1024

struct fake_req {
	char			 client[32];
	char			 method[16];
	char			 path[1024];
	char			 ctype[80];
	char			*body;		/* NUL-terminated copy */
	size_t			 body_len;
	size_t			 max_body;
	apiclient_done_fn	 done;
	void			*arg;
	int			 answered;
};

struct apiclient {
	char	name[32];
	size_t	pending;
};

static struct fake_req	 fake_reqs[FAKE_MAX_REQS];
static int		 fake_n;
static int		 fake_refuse;	/* apiclient_request fails */
/* the next request is answered inside apiclient_request, with this */
static int		 fake_sync_status;
static const char	*fake_sync_body;
static int64_t		 fake_mono = 1000000;
static int64_t		 fake_wall = 1795851222LL * 1000000000LL +
			    123456789LL;	/* 2026-11-28T07:33:42.123456Z */

static int		 fake_clock_reads;	/* of the monotonic clock */

static inline int64_t fake_mono_ms(void)
{
	fake_clock_reads++;
	return fake_mono;
}
static inline int64_t fake_wall_ns(void) { return fake_wall; }

static inline void
fake_init(void)
{
	apiclock_mono_ms = fake_mono_ms;
	apiclock_wall_ns = fake_wall_ns;
}

/* time passes, on both clocks */
static inline void
fake_advance_ms(int64_t ms)
{
	fake_mono += ms;
	fake_wall += ms * 1000000LL;
}

struct apiclient *
apiclient_new(const char *name)
{
	struct apiclient *c;

	REQUIRE((c = calloc(1, sizeof(*c))) != NULL);
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

int
apiclient_request(struct apiclient *c, const struct apiclient_req *rq)
{
	struct fake_req *r;

	if (fake_refuse)
		return -1;
	REQUIRE(fake_n < FAKE_MAX_REQS);
	REQUIRE(rq->method != NULL && rq->path != NULL && rq->done != NULL);
	r = &fake_reqs[fake_n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->client, sizeof(r->client), "%s", c->name);
	snprintf(r->method, sizeof(r->method), "%s", rq->method);
	snprintf(r->path, sizeof(r->path), "%s", rq->path);
	if (rq->content_type != NULL)
		snprintf(r->ctype, sizeof(r->ctype), "%s", rq->content_type);
	REQUIRE((r->body = malloc(rq->body_len + 1)) != NULL);
	if (rq->body_len > 0)
		memcpy(r->body, rq->body, rq->body_len);
	r->body[rq->body_len] = '\0';
	r->body_len = rq->body_len;
	r->max_body = rq->max_body;
	r->done = rq->done;
	r->arg = rq->arg;
	c->pending++;
	if (fake_sync_status != 0) {
		struct apiresp resp;

		memset(&resp, 0, sizeof(resp));
		resp.status = fake_sync_status;
		resp.body = (const uint8_t *)fake_sync_body;
		resp.body_len = fake_sync_body ? strlen(fake_sync_body) : 0;
		resp.retry_after = -1;
		fake_sync_status = 0;
		r->answered = 1;
		r->done(r->arg, &resp);
	}
	return 0;
}

void
apiclient_reset(struct apiclient *c, const char *why)
{
}

void
apiclient_free(struct apiclient *c)
{
	free(c);
}

size_t
apiclient_pending(struct apiclient *c)
{
	return c->pending;
}

int
apiclient_ready(void)
{
	return 1;
}

const char *
apiclient_server(void)
{
	return "127.0.0.1:6443";
}

/*
 * Runs the event loop n times without waiting: the modules' timers are
 * libevent's, on the real clock, so with the test's clocks standing
 * still nothing but a timer armed for "now" fires.  How many times the
 * monotonic clock was read meanwhile: a module whose timer fires again
 * and again while it waits for an answer reads it every time.
 */
static inline int
fake_loop(struct event_base *base, int n)
{
	int before = fake_clock_reads;

	while (n-- > 0)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return fake_clock_reads - before;
}

/* requests not answered yet */
static inline int
fake_open(void)
{
	int i, n = 0;

	for (i = 0; i < fake_n; i++)
		n += !fake_reqs[i].answered;
	return n;
}

/* the first unanswered request, or NULL */
static inline struct fake_req *
fake_first(void)
{
	int i;

	for (i = 0; i < fake_n; i++)
		if (!fake_reqs[i].answered)
			return &fake_reqs[i];
	return NULL;
}

/* the first unanswered request of that method and path (NULL: any) */
static inline struct fake_req *
fake_find(const char *method, const char *path)
{
	int i;

	for (i = 0; i < fake_n; i++)
		if (!fake_reqs[i].answered &&
		    strcmp(fake_reqs[i].method, method) == 0 &&
		    (path == NULL || strcmp(fake_reqs[i].path, path) == 0))
			return &fake_reqs[i];
	return NULL;
}

/* status 0: a transport error; retry_after -1: none */
static inline void
fake_answer_ra(struct fake_req *r, int status, const char *body,
    int retry_after)
{
	struct apiresp resp;

	REQUIRE(r != NULL && !r->answered);
	r->answered = 1;
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	resp.error = status == 0 ? "connect: Connection refused" : NULL;
	resp.body = (const uint8_t *)body;
	resp.body_len = body != NULL ? strlen(body) : 0;
	resp.retry_after = retry_after;
	r->done(r->arg, &resp);
}

static inline void
fake_answer(struct fake_req *r, int status, const char *body)
{
	fake_answer_ra(r, status, body, -1);
}

static inline cJSON *
fake_body(const struct fake_req *r)
{
	cJSON *j;

	REQUIRE(r != NULL);
	if ((j = cJSON_Parse(r->body)) == NULL)
		fprintf(stderr, "not JSON: %s\n", r->body);
	REQUIRE(j != NULL);
	return j;
}

/* the item at a dotted path of the JSON ("metadata.uid"), or NULL */
static inline const cJSON *
fake_item(const cJSON *j, const char *dotted)
{
	char buf[256], *k, *save = NULL;
	const cJSON *v = j;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (k = strtok_r(buf, ".", &save); k != NULL && v != NULL;
	    k = strtok_r(NULL, ".", &save))
		v = cJSON_GetObjectItemCaseSensitive(v, k);
	return v;
}

/* the string there, or NULL */
static inline const char *
fake_str(const cJSON *j, const char *dotted)
{
	const cJSON *v = fake_item(j, dotted);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * The string at a dotted path of a request's body, "(none)" if absent;
 * good until the next call.
 */
static inline const char *
fake_body_str(const struct fake_req *r, const char *dotted)
{
	static char v[256];
	cJSON *b = fake_body(r);

	snprintf(v, sizeof(v), "%s", fake_str(b, dotted) ? fake_str(b,
	    dotted) : "(none)");
	cJSON_Delete(b);
	return v;
}

#endif
