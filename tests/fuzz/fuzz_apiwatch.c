/*
 * fuzz_apiwatch: the API server's bytes through the watcher's decoders
 * (workers/watcher/apiwatch.h).  The first byte picks what the rest is:
 *   0  a watch response: HTTP framing, the body streamed to the watch
 *      decoder, each event's Pod through the field tables;
 *   1  a list response: HTTP framing with a buffered body, then PodList;
 *   2  a Status body;
 *   3  a watch body without HTTP (lines of events).
 * The second byte sets the piece size and, for the watch, the line limit
 * (the real one with its top bit set, else a small one to reach it).
 * The oracle: feeding the input whole and in pieces gives the same
 * events and the same outcome (framing must never depend on where the
 * network cut the bytes), a failure always has a reason, and every
 * event keeps its bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod.h"
#include "../../workers/watcher/apiwatch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_LIST_BODY	8192

/* a digest of the events seen, to compare the two feedings */
struct seen {
	uint64_t	hash;
	unsigned	events;
};

static void
mix(struct seen *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		s->hash = (s->hash ^ b[i]) * 1099511628211ULL;
}

static void
check_token(const char *s, size_t max, int required)
{
	size_t i, n = strnlen(s, max + 1);

	if (n > max || (required && n == 0))
		abort();
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			abort();
}

static int
on_event(void *arg, struct apiwatch_event *ev)
{
	struct seen *s = arg;

	s->events++;
	mix(s, &ev->type, sizeof(ev->type));
	mix(s, &ev->line, sizeof(ev->line));
	switch (ev->type) {
	case APIWATCH_ADDED:
	case APIWATCH_MODIFIED:
	case APIWATCH_DELETED:
		check_token(ev->meta.resource_version, APIWATCH_RV_MAX, 1);
		if (ev->pod_ok && (ev->pod.uid == NULL || ev->pod.name == NULL))
			abort();
		if (!ev->pod_ok && ev->pod_err.reason[0] == '\0')
			abort();
		mix(s, ev->meta.uid, strlen(ev->meta.uid));
		mix(s, &ev->pod_ok, sizeof(ev->pod_ok));
		break;
	case APIWATCH_BOOKMARK:
		check_token(ev->meta.resource_version, APIWATCH_RV_MAX, 1);
		break;
	case APIWATCH_ERROR:
		if (ev->status.code < 0 || ev->status.code > 999)
			abort();
		mix(s, &ev->status.relist, sizeof(ev->status.relist));
		break;
	default:
		abort();
	}
	mix(s, ev->meta.resource_version, strlen(ev->meta.resource_version));
	return 0;
}

/* mode 0 and 3: returns the outcome, fills *s */
static int
watch_run(const uint8_t *p, size_t n, size_t piece, size_t max_line,
    int http, struct seen *s)
{
	struct apihttp h;
	struct apiwatch w;
	size_t at, k;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	apiwatch_init(&w, max_line, on_event, s);
	apihttp_init(&h, 0, apiwatch_body, &w);
	for (at = 0; at < n && rc == 0; at += k) {
		k = n - at < piece ? n - at : piece;
		rc = http ? apihttp_feed(&h, p + at, k) :
		    apiwatch_feed(&w, p + at, k);
	}
	if (rc == 0 && http)
		rc = apihttp_eof(&h);
	if (rc == 0 && (!http || h.streaming))
		rc = apiwatch_end(&w);
	if (rc == -1 && h.error[0] == '\0' && w.error[0] == '\0')
		abort();
	if (rc == 0 && http && !h.complete)
		abort();
	if (rc == 0 && http) {
		/* what the reconnect reads must not depend on the pieces */
		mix(s, &h.status, sizeof(h.status));
		mix(s, &h.retry_after, sizeof(h.retry_after));
		mix(s, &h.keep_alive, sizeof(h.keep_alive));
		mix(s, h.content_type, strlen(h.content_type));
		mix(s, &h.body_len, sizeof(h.body_len));
	}
	apihttp_free(&h);
	apiwatch_free(&w);
	return rc;
}

static void
list_check(const struct apilist *l)
{
	size_t i;

	if (l->n_items > APILIST_MAX_ITEMS)
		abort();
	check_token(l->resource_version, APIWATCH_RV_MAX, 1);
	check_token(l->continue_token, APILIST_CONTINUE_MAX, 0);
	for (i = 0; i < l->n_items; i++)
		if (l->items[i].pod_ok && l->items[i].pod.uid == NULL)
			abort();
}

/* mode 1: the framing whole and in pieces must agree on the body */
static void
list_run(const uint8_t *p, size_t n, size_t piece)
{
	struct apihttp whole, cut;
	struct apilist l;
	char err[APIWATCH_ERROR_MAX];
	size_t at, k;
	int rc1, rc2 = 0;

	apihttp_init(&whole, FUZZ_LIST_BODY, NULL, NULL);
	rc1 = apihttp_feed(&whole, p, n);
	if (rc1 == 0)
		rc1 = apihttp_eof(&whole);
	apihttp_init(&cut, FUZZ_LIST_BODY, NULL, NULL);
	for (at = 0; at < n && rc2 == 0; at += k) {
		k = n - at < piece ? n - at : piece;
		rc2 = apihttp_feed(&cut, p + at, k);
	}
	if (rc2 == 0)
		rc2 = apihttp_eof(&cut);
	if (rc1 != rc2 || (rc1 == -1 && whole.error[0] == '\0'))
		abort();
	if (rc1 == 0) {
		if (whole.status != cut.status ||
		    whole.retry_after != cut.retry_after ||
		    strcmp(whole.content_type, cut.content_type) != 0 ||
		    whole.body_len != cut.body_len || whole.body_len >
		    FUZZ_LIST_BODY || (whole.body_len > 0 &&
		    memcmp(whole.body, cut.body, whole.body_len) != 0))
			abort();
		err[0] = '\0';
		if (apilist_decode(whole.body, whole.body_len, FUZZ_LIST_BODY,
		    &l, err, sizeof(err)) == 0) {
			list_check(&l);
			apilist_free(&l);
		} else if (err[0] == '\0' || l.n_items != 0)
			abort();
	}
	apihttp_free(&whole);
	apihttp_free(&cut);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a, b;
	struct apistatus st;
	char err[APIWATCH_ERROR_MAX];
	size_t piece, max_line;
	int mode, rc1, rc2;

	if (size < 2)
		return 0;
	mode = data[0] & 3;
	piece = 1 + (data[1] & 63);
	max_line = (data[1] & 0x80) ? 0 : 256 + ((size_t)(data[1] & 0x7f) << 5);
	data += 2;
	size -= 2;
	switch (mode) {
	case 0:
	case 3:
		rc1 = watch_run(data, size, size ? size : 1, max_line,
		    mode == 0, &a);
		rc2 = watch_run(data, size, piece, max_line, mode == 0, &b);
		if (rc1 != rc2 || a.events != b.events || a.hash != b.hash)
			abort();
		break;
	case 1:
		list_run(data, size, piece);
		break;
	case 2:
		err[0] = '\0';
		if (apistatus_decode(data, size, &st, err, sizeof(err)) == -1 &&
		    err[0] == '\0')
			abort();
		break;
	}
	return 0;
}
