/*
 * What the watcher asks the API server and when it tries again: the
 * paths of the list and watch GETs in client-go's form (the reflector's
 * ListOptions through url.Values.Encode: keys sorted, values
 * QueryEscape'd), and the reflector's reconnect backoff.  The headers
 * are apiclient.c's.  Every input that becomes request text is checked,
 * so that no value can end the request line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiwatch.h"
#include "pod.h"
#include "strbuf.h"

#define APIREQ_PATH		"/api/v1/pods"
/* a query value after escaping: at most 3 bytes per byte */
#define APIREQ_ESCAPED_MAX	(3 * APILIST_CONTINUE_MAX + 1)

/* RFC 3986 unreserved: what url.QueryEscape leaves alone */
static int
unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

int
apireq_query_escape(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		/* this byte's encoding and the NUL must fit */
		if (o + (unreserved(c) || c == ' ' ? 1 : 3) + 1 > size)
			return -1;
		if (unreserved(c))
			out[o++] = c;
		else if (c == ' ')
			out[o++] = '+';
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/* visible ASCII only, 1 to max bytes: safe inside a header line */
static int
visible_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
params_check(const struct apireq *r, char *err, size_t errlen)
{
	if (r->node == NULL ||
	    !pod_dns_subdomain_ok(r->node, strlen(r->node))) {
		apierr(err, errlen, "node name must be a DNS subdomain "
		    "(it is a Node's name)");
		return -1;
	}
	if (r->resource_version != NULL &&
	    !visible_ok(r->resource_version, APIWATCH_RV_MAX)) {
		apierr(err, errlen, "resourceVersion must be 1 to %d "
		    "visible ASCII characters", APIWATCH_RV_MAX);
		return -1;
	}
	if (r->continue_token != NULL &&
	    !visible_ok(r->continue_token, APILIST_CONTINUE_MAX)) {
		apierr(err, errlen, "continue token must be 1 to %d "
		    "visible ASCII characters", APILIST_CONTINUE_MAX);
		return -1;
	}
	return 0;
}

/* "&key=escaped(value)", or without the "&" for the first */
static void
query_add(struct strbuf *b, int *first, const char *key, const char *value)
{
	char esc[APIREQ_ESCAPED_MAX];

	/* params_check bounded every value: this cannot fail */
	if (apireq_query_escape(value, esc, sizeof(esc)) == -1) {
		b->oom = 1;
		return;
	}
	strbuf_printf(b, "%s%s=%s", *first ? "?" : "&", key, esc);
	*first = 0;
}

static void
query_selector(struct strbuf *b, int *first, const char *node)
{
	char sel[sizeof("spec.nodeName=") + POD_MAX_NAME];

	snprintf(sel, sizeof(sel), "spec.nodeName=%s", node);
	query_add(b, first, "fieldSelector", sel);
}

static char *
path_finish(struct strbuf *b, char *err, size_t errlen)
{
	char *path;

	if ((path = strbuf_finish(b)) == NULL) {
		apierr(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(path) > APIREQ_MAX_PATH) {
		apierr(err, errlen, "request path of %zu bytes, more than %d",
		    strlen(path), APIREQ_MAX_PATH);
		free(path);
		return NULL;
	}
	return path;
}

char *
apireq_list(const struct apireq *r, char *err, size_t errlen)
{
	struct strbuf b = { 0 };
	char limit[16];
	int first = 1;

	if (params_check(r, err, errlen) == -1)
		return NULL;
	snprintf(limit, sizeof(limit), "%d", APIREQ_LIST_LIMIT);
	strbuf_str(&b, APIREQ_PATH);
	if (r->continue_token != NULL)
		query_add(&b, &first, "continue", r->continue_token);
	query_selector(&b, &first, r->node);
	query_add(&b, &first, "limit", limit);
	if (r->resource_version != NULL)
		query_add(&b, &first, "resourceVersion", r->resource_version);
	return path_finish(&b, err, errlen);
}

char *
apireq_watch(const struct apireq *r, char *err, size_t errlen)
{
	struct strbuf b = { 0 };
	char timeout[16];
	int first = 1;

	if (params_check(r, err, errlen) == -1)
		return NULL;
	/* a watch goes on from its list's (or last event's) version */
	if (r->resource_version == NULL) {
		apierr(err, errlen, "a watch needs a resourceVersion");
		return NULL;
	}
	if (r->timeout_seconds == 0) {
		apierr(err, errlen, "a watch needs a timeoutSeconds");
		return NULL;
	}
	snprintf(timeout, sizeof(timeout), "%u", r->timeout_seconds);
	strbuf_str(&b, APIREQ_PATH);
	query_add(&b, &first, "allowWatchBookmarks", "true");
	query_selector(&b, &first, r->node);
	query_add(&b, &first, "resourceVersion", r->resource_version);
	query_add(&b, &first, "timeoutSeconds", timeout);
	query_add(&b, &first, "watch", "true");
	return path_finish(&b, err, errlen);
}

/* ------------------------------------------------------------------ */
/* reconnecting                                                        */

void
apibackoff_reset(struct apibackoff *b)
{
	b->base_ms = 0;
	b->last_ms = 0;
}

uint64_t
apibackoff_next(struct apibackoff *b, uint64_t now_ms, uint32_t rnd)
{
	uint64_t wait;

	/* client-go's resetDuration: a quiet spell starts over */
	if (b->base_ms != 0 && now_ms - b->last_ms > APIBACKOFF_RESET_MS)
		b->base_ms = 0;
	if (b->base_ms == 0)
		b->base_ms = APIBACKOFF_INITIAL_MS;
	else if ((b->base_ms *= 2) > APIBACKOFF_MAX_MS)
		b->base_ms = APIBACKOFF_MAX_MS;
	b->last_ms = now_ms;
	/* wait.Jitter(base, 1.0): base + [0, base), never past the cap */
	wait = b->base_ms + (b->base_ms * rnd >> 32);
	return wait > APIBACKOFF_MAX_MS ? APIBACKOFF_MAX_MS : wait;
}

/* reflector.go: minWatchTimeout (5 min) * (1 + rand.Float64()) */
unsigned
apiwatch_timeout_seconds(uint32_t rnd)
{
	return 300 + (unsigned)((300ULL * rnd) >> 32);
}
