/*
 * The API client's pure parts (workers/watcher/apiwatch.h): HTTP framing
 * fed in every split (byte by byte, random, a cut at every offset: inside
 * the chunk-size line, its CRLF, an event line), the watch events and
 * their refusals, the list, the bounds at limit and limit+1, the
 * requests and the backoff.  Inputs: the apiserver's own responses and
 * objects kept in tests/fixtures/k8s (client-go's golden files).
 */
#include <stdarg.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tap.h"
#include "../../workers/watcher/apiwatch.h"

#define FIXTURES_ENV	"AGENTD_K8S_FIXTURES"
#define FIXTURES_DIR	"tests/fixtures/k8s"
#define GOLDEN		"client-go-dynamic-testdata/"

static uint8_t *
fixture(const char *name, size_t *lenp)
{
	const char *env = getenv(FIXTURES_ENV);
	char *path = tap_fmt("%s/%s", env != NULL ? env : FIXTURES_DIR, name);
	uint8_t *buf;
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "fixture %s not found (run from the top of the "
		    "repository, or set %s)\n", path, FIXTURES_ENV);
		exit(1);
	}
	REQUIRE(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0);
	rewind(f);
	REQUIRE((buf = malloc(n + 1)) != NULL);
	REQUIRE(fread(buf, 1, n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	free(path);
	*lenp = n;
	return buf;
}

/* a pretty-printed fixture on one line, as the watch stream carries it */
static char *
fixture_compact(const char *name)
{
	size_t len;
	uint8_t *buf = fixture(name, &len);
	cJSON *j = cJSON_ParseWithLength((const char *)buf, len);
	char *s;

	REQUIRE(j != NULL);
	REQUIRE((s = cJSON_PrintUnformatted(j)) != NULL);
	cJSON_Delete(j);
	free(buf);
	return s;
}

/* ------------------------------------------------------------------ */
/* a recorder: each event as one line of text, to compare across splits */

struct rec {
	char	log[16384];
	size_t	len;
	int	events;
	int	stop_at;	/* return -1 at this event (1-based), 0: never */
	struct apistatus last_status;
	char	pod_name[256];
};

static const char *
type_str(enum apiwatch_type t)
{
	switch (t) {
	case APIWATCH_ADDED:	return "ADDED";
	case APIWATCH_MODIFIED:	return "MODIFIED";
	case APIWATCH_DELETED:	return "DELETED";
	case APIWATCH_BOOKMARK:	return "BOOKMARK";
	case APIWATCH_ERROR:	return "ERROR";
	}
	return "?";
}

static int
record(void *arg, struct apiwatch_event *ev)
{
	struct rec *r = arg;
	int n;

	r->events++;
	if (ev->type == APIWATCH_ERROR) {
		r->last_status = ev->status;
		n = snprintf(r->log + r->len, sizeof(r->log) - r->len,
		    "%lu ERROR %d %s relist=%d\n", ev->line, ev->status.code,
		    ev->status.reason, ev->status.relist);
	} else if (ev->type == APIWATCH_BOOKMARK)
		n = snprintf(r->log + r->len, sizeof(r->log) - r->len,
		    "%lu BOOKMARK %s\n", ev->line, ev->meta.resource_version);
	else {
		if (ev->pod_ok)
			snprintf(r->pod_name, sizeof(r->pod_name), "%s",
			    ev->pod.name);
		n = snprintf(r->log + r->len, sizeof(r->log) - r->len,
		    "%lu %s %s %s/%s uid=%s %s%s\n", ev->line,
		    type_str(ev->type), ev->meta.resource_version,
		    ev->meta.namespace, ev->meta.name, ev->meta.uid,
		    ev->pod_ok ? "ok" : "refused:", ev->pod_ok ? "" :
		    ev->pod_err.field);
	}
	REQUIRE(n >= 0 && (size_t)n < sizeof(r->log) - r->len);
	r->len += n;
	return r->stop_at == r->events ? -1 : 0;
}

/* the whole response through apihttp + apiwatch, cut at the given offsets */
struct run {
	struct apihttp	h;
	struct apiwatch	w;
	struct rec	r;
	int		rc;	/* 0, or -1 at the first failure */
};

static void
run_start(struct run *x, size_t max_line)
{
	memset(&x->r, 0, sizeof(x->r));
	apiwatch_init(&x->w, max_line, record, &x->r);
	apihttp_init(&x->h, 0, apiwatch_body, &x->w);
	x->rc = 0;
}

static void
run_feed(struct run *x, const uint8_t *buf, size_t len)
{
	if (x->rc == 0)
		x->rc = apihttp_feed(&x->h, buf, len);
}

static void
run_end(struct run *x)
{
	if (x->rc == 0)
		x->rc = apihttp_eof(&x->h);
	if (x->rc == 0 && x->h.streaming)
		x->rc = apiwatch_end(&x->w);
}

static void
run_free(struct run *x)
{
	apihttp_free(&x->h);
	apiwatch_free(&x->w);
}

/* fed in pieces of sizes given by cuts[] (sorted offsets) */
static void
run_cuts(struct run *x, const uint8_t *buf, size_t len, const size_t *cuts,
    size_t ncuts, size_t max_line)
{
	size_t i, at = 0;

	run_start(x, max_line);
	for (i = 0; i < ncuts; i++) {
		run_feed(x, buf + at, cuts[i] - at);
		at = cuts[i];
	}
	run_feed(x, buf + at, len - at);
	run_end(x);
}

static void
run_whole(struct run *x, const void *buf, size_t len)
{
	run_cuts(x, buf, len, NULL, 0, 0);
}

static void
run_str(struct run *x, const char *s)
{
	run_whole(x, s, strlen(s));
}

#define CHECK_CONTAINS(hay, needle) do {				\
	const char *_h = (hay), *_n = (needle);				\
	if (strstr(_h, _n) == NULL) {					\
		fprintf(stderr, "%s:%d: \"%s\" does not contain "	\
		    "\"%s\"\n", __FILE__, __LINE__, _h, _n);		\
		tap_failed_here = 1;					\
	}								\
} while (0)

/* the failure's text, whichever layer failed */
static const char *
run_error(const struct run *x)
{
	if (x->w.failed)
		return x->w.error;
	return x->h.error;
}

/* ------------------------------------------------------------------ */
/* building responses                                                  */

#define RESP_HEAD	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
#define CHUNKED_HEAD	RESP_HEAD "Transfer-Encoding: chunked\r\n\r\n"

/* a chunked response carrying the body in chunks of chunk bytes */
static char *
chunked(const char *body, size_t chunk)
{
	size_t len = strlen(body), at, n;
	char *out, *tmp;

	out = tap_fmt("%s", CHUNKED_HEAD);
	for (at = 0; at < len; at += n) {
		n = len - at < chunk ? len - at : chunk;
		tmp = tap_fmt("%s%zx\r\n%.*s\r\n", out, n, (int)n, body + at);
		free(out);
		out = tmp;
	}
	tmp = tap_fmt("%s0\r\n\r\n", out);
	free(out);
	return tmp;
}

#define POD_JSON(name, uid, rv) "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"," \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"," \
	"\"uid\":\"" uid "\",\"resourceVersion\":\"" rv "\"}," \
	"\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"app\"," \
	"\"image\":\"nginx:1.25\"}]}}"
#define UID1	"8b6f2a4c-1d3e-4f5a-9b7c-0e1d2c3b4a59"
#define UID2	"0f6f2a4c-1d3e-4f5a-9b7c-0e1d2c3b4a50"
#define EV(type, obj)	"{\"type\":\"" type "\",\"object\":" obj "}\n"
#define STATUS_410	"{\"kind\":\"Status\",\"apiVersion\":\"v1\"," \
	"\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old " \
	"resource version: 5 (900)\",\"reason\":\"Expired\",\"code\":410}"
#define BOOKMARK(rv)	"{\"kind\":\"Pod\",\"apiVersion\":\"v1\"," \
	"\"metadata\":{\"resourceVersion\":\"" rv "\"}}"

#define STREAM3 EV("ADDED", POD_JSON("web", UID1, "101")) \
	EV("MODIFIED", POD_JSON("web", UID1, "102")) \
	EV("BOOKMARK", BOOKMARK("150"))
#define STREAM3_LOG "1 ADDED 101 default/web uid=" UID1 " ok\n" \
	"2 MODIFIED 102 default/web uid=" UID1 " ok\n" \
	"3 BOOKMARK 150\n"

/* ------------------------------------------------------------------ */
/* the golden watch response (a real apiserver's, chunked)            */

#define GOLDEN_EVENTS_LOG "1 ADDED 217 default/foobar " \
	"uid=a1453396-7a5c-405a-93f9-ff44af8e7689 refused:kind\n" \
	"2 BOOKMARK 964\n"

TEST(test_golden_watch_response_whole)
{
	size_t len;
	uint8_t *buf = fixture(GOLDEN "TestGoldenResponse/responses/events",
	    &len);
	struct run x;

	run_whole(&x, buf, len);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_EQ_INT(x.h.status, 200);
	CHECK(x.h.chunked);
	CHECK_EQ_INT(x.h.content_length, -1);
	CHECK_STR(x.h.content_type, "application/json");
	CHECK(x.h.complete);
	/* a ServiceAccount is no Pod: refused, but the event is delivered */
	CHECK_STR(x.r.log, GOLDEN_EVENTS_LOG);
	CHECK_EQ_INT(x.h.body_len, 0);	/* streamed, never buffered */
	run_free(&x);
	free(buf);
}

TEST(test_golden_watch_response_byte_by_byte)
{
	size_t len, i, *cuts;
	uint8_t *buf = fixture(GOLDEN "TestGoldenResponse/responses/events",
	    &len);
	struct run x;

	REQUIRE((cuts = calloc(len, sizeof(*cuts))) != NULL);
	for (i = 1; i < len; i++)
		cuts[i - 1] = i;
	run_cuts(&x, buf, len, cuts, len - 1, 0);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, GOLDEN_EVENTS_LOG);
	run_free(&x);
	free(cuts);
	free(buf);
}

TEST(test_golden_watch_response_random_splits)
{
	size_t len, cuts[24], n, i, j, t;
	uint8_t *buf = fixture(GOLDEN "TestGoldenResponse/responses/events",
	    &len);
	struct run x;
	int round;

	srandom(12);
	for (round = 0; round < 500; round++) {
		n = random() % 24;
		for (i = 0; i < n; i++)
			cuts[i] = random() % len;
		for (i = 1; i < n; i++)	/* sort */
			for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
				t = cuts[j]; cuts[j] = cuts[j - 1];
				cuts[j - 1] = t;
			}
		run_cuts(&x, buf, len, cuts, n, 0);
		CHECK_EQ_INT(x.rc, 0);
		CHECK_STR(x.r.log, GOLDEN_EVENTS_LOG);
		run_free(&x);
	}
	free(buf);
}

/* one cut at every offset: inside the size line, its CRLF, a JSON line */
TEST(test_chunked_cut_at_every_offset)
{
	char *resp = chunked(STREAM3, 97);
	size_t len = strlen(resp), cut;
	struct run x;

	for (cut = 1; cut < len; cut++) {
		run_cuts(&x, (uint8_t *)resp, len, &cut, 1, 0);
		CHECK_EQ_INT(x.rc, 0);
		CHECK_STR(x.r.log, STREAM3_LOG);
		run_free(&x);
	}
	free(resp);
}

TEST(test_line_spans_many_one_byte_chunks)
{
	char *resp = chunked(STREAM3, 1);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, STREAM3_LOG);
	run_free(&x);
	free(resp);
}

TEST(test_one_chunk_holds_many_lines)
{
	char *resp = chunked(STREAM3, 1 << 20);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, STREAM3_LOG);
	run_free(&x);
	free(resp);
}

TEST(test_chunk_extensions_and_trailers_are_the_parsers)
{
	const char *rest = "e\":\"BOOKMARK\",\"object\":" BOOKMARK("7") "}\n";
	char *resp = tap_fmt(CHUNKED_HEAD "5;name=value\r\n{\"typ\r\n"
	    "%zX\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n", strlen(rest), rest);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "1 BOOKMARK 7\n");
	run_free(&x);
	free(resp);
}

/* ------------------------------------------------------------------ */
/* events                                                              */

TEST(test_added_pod_is_decoded)
{
	char *resp = chunked(EV("ADDED", POD_JSON("web", UID1, "101")), 64);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_EQ_INT(x.r.events, 1);
	CHECK_STR(x.r.pod_name, "web");
	CHECK_STR(x.r.log, "1 ADDED 101 default/web uid=" UID1 " ok\n");
	run_free(&x);
	free(resp);
}

TEST(test_deleted_refused_pod_still_names_it)
{
	/* the model refuses pull secrets; DELETED must still say which pod */
	char *resp = chunked(EV("DELETED", "{\"kind\":\"Pod\",\"apiVersion\":"
	    "\"v1\",\"metadata\":{\"name\":\"bad\",\"namespace\":\"ns\","
	    "\"uid\":\"" UID2 "\",\"resourceVersion\":\"9\"},\"spec\":{"
	    "\"imagePullSecrets\":[{\"name\":\"s\"}],\"containers\":[{\"name\":\"a\",\"image\":"
	    "\"x\"}]}}"), 50);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "1 DELETED 9 ns/bad uid=" UID2
	    " refused:spec.imagePullSecrets\n");
	run_free(&x);
	free(resp);
}

/* the deletion fields and the node, kept whatever the model says */
static int
keep_meta(void *arg, struct apiwatch_event *ev)
{
	*(struct apiobj_meta *)arg = ev->meta;
	return 0;
}

TEST(test_meta_keeps_deletion_and_node)
{
	char *pod = fixture_compact("api-testdata/core.v1.Pod.json");
	char *line = tap_fmt("{\"type\":\"MODIFIED\",\"object\":%s}\n", pod);
	const char *plain = EV("ADDED", POD_JSON("web", UID1, "101"));
	struct apiobj_meta m;
	struct apiwatch w;

	apiwatch_init(&w, 0, keep_meta, &m);
	REQUIRE(apiwatch_feed(&w, (uint8_t *)line, strlen(line)) == 0);
	CHECK(m.deleting);
	CHECK_EQ_INT(m.deletion_grace_seconds, 10);
	CHECK_STR(m.node_name, "nodeNameValue");
	REQUIRE(apiwatch_feed(&w, (const uint8_t *)plain, strlen(plain)) == 0);
	CHECK(!m.deleting);
	CHECK_EQ_INT(m.deletion_grace_seconds, -1);
	CHECK_STR(m.node_name, "node-1");
	apiwatch_free(&w);
	free(line);
	free(pod);
}

TEST(test_real_pod_fixture_event_refused_field_by_field)
{
	char *pod = fixture_compact("api-testdata/core.v1.Pod.json");
	char *body = tap_fmt("{\"type\":\"MODIFIED\",\"object\":%s}\n", pod);
	char *resp = chunked(body, 4000);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "1 MODIFIED resourceVersionValue "
	    "namespaceValue/nameValue uid=uidValue refused:metadata.name\n");
	run_free(&x);
	free(resp);
	free(body);
	free(pod);
}

/* the tree entry point checks a tree it did not load itself */
TEST(test_pod_object_entry_checks_its_tree)
{
	const char *text = POD_JSON("web", UID1, "1");
	cJSON *tree = cJSON_Parse(text);
	struct manifest_error e;
	struct pod a, b;

	REQUIRE(tree != NULL);
	CHECK_EQ_INT(manifest_parse_pod_object(tree, &a, &e), 0);
	CHECK_EQ_INT(manifest_parse_pod_json((const uint8_t *)text,
	    strlen(text), &b, &e), 0);
	CHECK_STR(a.name, b.name);
	CHECK_STR(a.uid, b.uid);
	CHECK_STR(a.source, "api");
	CHECK_EQ_INT(a.n_containers, b.n_containers);
	pod_free(&a);
	pod_free(&b);
	/* cJSON lets a caller add a second "kind": refused, not ignored */
	REQUIRE(cJSON_AddStringToObject(tree, "kind", "Secret") != NULL);
	CHECK_EQ_INT(manifest_parse_pod_object(tree, &a, &e), -1);
	CHECK_CONTAINS(e.reason, "duplicate key \"kind\"");
	CHECK_EQ_INT(manifest_parse_pod_object(NULL, &a, &e), -1);
	cJSON_Delete(tree);
}

TEST(test_bookmark_gives_resource_version)
{
	struct run x;
	char *resp = chunked(EV("BOOKMARK", "{\"kind\":\"Pod\",\"apiVersion\":"
	    "\"v1\",\"metadata\":{\"resourceVersion\":\"12345\",\"annotations\":"
	    "{\"k8s.io/initial-events-end\":\"true\"}}}"), 10);

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "1 BOOKMARK 12345\n");
	run_free(&x);
	free(resp);
}

TEST(test_bookmark_without_resource_version_refused)
{
	struct run x;
	char *resp = chunked(EV("BOOKMARK", "{\"metadata\":{}}"), 100);

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(run_error(&x), "line 1 (BOOKMARK)");
	CHECK_CONTAINS(run_error(&x), "metadata.resourceVersion");
	run_free(&x);
	free(resp);
}

TEST(test_error_410_event_says_relist)
{
	struct run x;
	char *resp = chunked(EV("ADDED", POD_JSON("web", UID1, "101"))
	    EV("ERROR", STATUS_410), 33);

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "1 ADDED 101 default/web uid=" UID1 " ok\n"
	    "2 ERROR 410 Expired relist=1\n");
	CHECK_STR(x.r.last_status.message,
	    "too old resource version: 5 (900)");
	run_free(&x);
	free(resp);
}

TEST(test_error_gone_without_code_says_relist)
{
	struct run x;
	char *resp = chunked(EV("ERROR", "{\"kind\":\"Status\",\"reason\":"
	    "\"Gone\"}"), 33);

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "1 ERROR 0 Gone relist=1\n");
	run_free(&x);
	free(resp);
}

TEST(test_error_status_fixture_is_no_relist)
{
	char *st = fixture_compact("api-testdata/core.v1.Status.json");
	char *body = tap_fmt("{\"type\":\"ERROR\",\"object\":%s}\n", st);
	char *resp = chunked(body, 100);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "1 ERROR 6 reasonValue relist=0\n");
	CHECK_STR(x.r.last_status.message, "messageValue");
	run_free(&x);
	free(resp);
	free(body);
	free(st);
}

TEST(test_malformed_json_event_names_its_line)
{
	struct run x;
	char *resp = chunked(EV("ADDED", POD_JSON("web", UID1, "101"))
	    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\n"
	    EV("BOOKMARK", BOOKMARK("3")), 40);

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_EQ_INT(x.r.events, 1);	/* nothing after the bad line */
	CHECK_CONTAINS(run_error(&x), "watch event on line 2");
	CHECK_CONTAINS(run_error(&x), "JSON syntax error");
	CHECK_CONTAINS(x.h.error, "refused by its reader");
	run_free(&x);
	free(resp);
}

TEST(test_event_envelope_refusals)
{
	static const struct {
		const char	*line;
		const char	*why;
	} cases[] = {
		{ "[1,2]\n", "line 1: not an object" },
		{ "{\"object\":{}}\n", "missing or not a string" },
		{ "{\"type\":\"SYNC\",\"object\":{}}\n", "type \"SYNC\" is not" },
		{ "{\"type\":\"ADDED\",\"object\":[]}\n", "\"object\" must be" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}}\n",
		    "metadata.resourceVersion" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{"
		    "\"resourceVersion\":\"1 2\"}}}\n",
		    "metadata.resourceVersion" },
		{ "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Pod\"}}\n",
		    "kind is not \"Status\"" },
		{ "{\"type\":\"ERROR\",\"object\":{\"code\":1e9}}\n",
		    "not an HTTP status code" },
		{ "{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{}}\n",
		    "duplicate key \"type\"" },
		{ "{\"type\":\"ADDED\",\"object\":{\"a\":\"\\u0000\"}}\n",
		    "\\u0000" },
		{ "{\"type\":\"ADDED\",\"object\":{\"a\":\"\xff\"}}\n",
		    "not valid UTF-8" },
	};
	struct run x;
	size_t i;
	char *resp;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		resp = chunked(cases[i].line, 16);
		run_str(&x, resp);
		CHECK_EQ_INT(x.rc, -1);
		CHECK_EQ_INT(x.r.events, 0);
		CHECK_CONTAINS(run_error(&x), cases[i].why);
		run_free(&x);
		free(resp);
	}
}

TEST(test_blank_lines_and_crlf_lines_are_fine)
{
	struct run x;
	char *resp = chunked("\n  \r\n{\"type\":\"BOOKMARK\",\"object\":"
	    BOOKMARK("8") "}\r\n\n", 7);

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_STR(x.r.log, "3 BOOKMARK 8\n");
	run_free(&x);
	free(resp);
}

TEST(test_reader_can_stop_the_stream)
{
	struct run x;
	char *resp = chunked(STREAM3, 1000);

	run_start(&x, 0);
	x.r.stop_at = 2;
	run_feed(&x, (uint8_t *)resp, strlen(resp));
	CHECK_EQ_INT(x.rc, -1);
	CHECK_EQ_INT(x.r.events, 2);
	CHECK_CONTAINS(x.w.error, "line 2 (MODIFIED) stopped the stream");
	run_free(&x);
	free(resp);
}

/* the pod the callback keeps is its own */
static int
keep_pod(void *arg, struct apiwatch_event *ev)
{
	struct pod *kept = arg;

	if (!ev->pod_ok)
		return -1;
	*kept = ev->pod;
	pod_init(&ev->pod);
	return 0;
}

TEST(test_reader_keeps_the_pod)
{
	const char *line = EV("ADDED", POD_JSON("kept", UID1, "1"));
	struct apiwatch w;
	struct pod kept;

	pod_init(&kept);
	apiwatch_init(&w, 0, keep_pod, &kept);
	CHECK_EQ_INT(apiwatch_feed(&w, (const uint8_t *)line, strlen(line)),
	    0);
	CHECK_EQ_INT(apiwatch_end(&w), 0);
	CHECK_STR(kept.name, "kept");
	CHECK_STR(kept.uid, UID1);
	CHECK_STR(kept.source, "api");
	pod_free(&kept);
	apiwatch_free(&w);
}

/* ------------------------------------------------------------------ */
/* bounds and truncation                                               */

/* a BOOKMARK line padded with spaces to exactly len bytes */
static char *
line_of(size_t len)
{
	const char *ev = "{\"type\":\"BOOKMARK\",\"object\":" BOOKMARK("5") "}";
	char *s;

	REQUIRE(len >= strlen(ev));
	REQUIRE((s = malloc(len + 2)) != NULL);
	memset(s, ' ', len);
	memcpy(s, ev, strlen(ev));
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

TEST(test_line_at_limit_accepted_over_refused)
{
	char *at = line_of(APIWATCH_MAX_LINE), *over =
	    line_of(APIWATCH_MAX_LINE + 1);
	struct run x;
	size_t cut = 1000;

	/* whole in one piece, and assembled from two */
	{
		char *resp = chunked(at, 65536);

		run_str(&x, resp);
		CHECK_EQ_INT(x.rc, 0);
		CHECK_STR(x.r.log, "1 BOOKMARK 5\n");
		run_free(&x);
		free(resp);
		resp = chunked(over, 65536);
		run_str(&x, resp);
		CHECK_EQ_INT(x.rc, -1);
		CHECK_CONTAINS(x.w.error, "line 1 is longer than 2097152 "
		    "bytes");
		run_free(&x);
		free(resp);
	}
	{
		struct apiwatch w;
		struct rec r;

		memset(&r, 0, sizeof(r));
		apiwatch_init(&w, 0, record, &r);
		CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)over,
		    strlen(over)), -1);
		CHECK_CONTAINS(w.error, "longer than");
		apiwatch_free(&w);
		memset(&r, 0, sizeof(r));
		apiwatch_init(&w, 0, record, &r);
		CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)at, cut), 0);
		CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)at + cut,
		    strlen(at) - cut), 0);
		CHECK_EQ_INT(r.events, 1);
		apiwatch_free(&w);
	}
	free(at);
	free(over);
}

TEST(test_small_line_limit_counts_pieces)
{
	struct apiwatch w;
	struct rec r;
	char *at = line_of(120), *over = line_of(121);

	memset(&r, 0, sizeof(r));
	apiwatch_init(&w, 120, record, &r);
	CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)at, 40), 0);
	CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)at + 40, strlen(at) - 40),
	    0);
	CHECK_EQ_INT(r.events, 1);
	CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)over, 61), 0);
	CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)over + 61, 60), -1);
	CHECK_CONTAINS(w.error, "line 2 is longer than 120 bytes");
	/* failed stays failed */
	CHECK_EQ_INT(apiwatch_feed(&w, (uint8_t *)"\n", 1), -1);
	apiwatch_free(&w);
	free(at);
	free(over);
}

TEST(test_stream_truncated_inside_a_chunk)
{
	char *resp = chunked(STREAM3, 50);
	size_t len = strlen(resp);
	struct run x;

	/* the connection drops 30 bytes before the end */
	run_cuts(&x, (uint8_t *)resp, len - 30, NULL, 0, 0);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "truncated");
	run_free(&x);
	free(resp);
}

TEST(test_stream_truncated_inside_a_line)
{
	/* the chunked body ends properly, but inside an event */
	char *resp = chunked(EV("BOOKMARK", BOOKMARK("1"))
	    "{\"type\":\"BOOKMARK\"", 20);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_EQ_INT(x.r.events, 1);
	CHECK_CONTAINS(x.w.error, "ended inside the event on line 2");
	CHECK_CONTAINS(x.w.error, "truncated");
	run_free(&x);
	free(resp);
}

TEST(test_truncated_headers)
{
	struct run x;

	run_str(&x, "HTTP/1.1 200 OK\r\nContent-Type: appl");
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "headers");
	run_free(&x);
	run_str(&x, "");
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "before the HTTP response headers ended");
	run_free(&x);
}

/* ------------------------------------------------------------------ */
/* HTTP framing                                                        */

TEST(test_http_410_watch_reply_is_buffered_status)
{
	const char *st = STATUS_410;
	char *resp = tap_fmt("HTTP/1.1 410 Gone\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(st),
	    st);
	struct apistatus s;
	char err[256];
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, 0);
	CHECK_EQ_INT(x.h.status, 410);
	CHECK(!x.h.streaming);
	CHECK_EQ_INT(x.r.events, 0);
	REQUIRE(x.h.body_len == strlen(st));
	CHECK_EQ_INT(apistatus_decode(x.h.body, x.h.body_len, &s, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(s.code, 410);
	CHECK(s.relist);
	CHECK_STR(s.reason, "Expired");
	run_free(&x);
	free(resp);
}

TEST(test_error_body_bound)
{
	char *resp = tap_fmt("HTTP/1.1 500 Internal Server Error\r\n"
	    "Content-Length: %d\r\n\r\n", APIHTTP_MAX_ERROR_BODY + 1);
	struct run x;

	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "HTTP 500 response body of 65537 bytes");
	run_free(&x);
	free(resp);
}

TEST(test_retry_after_is_read)
{
	struct run x;

	run_str(&x, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
	    "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.rc, 0);
	CHECK_EQ_INT(x.h.status, 429);
	CHECK_EQ_INT(x.h.retry_after, 7);
	run_free(&x);
	run_str(&x, "HTTP/1.1 503 No\r\nRetry-After: 99999999999\r\n"
	    "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.h.retry_after, APIHTTP_MAX_RETRY_AFTER);
	run_free(&x);
	/* too long to be ours, cut in pieces: ignored, not its tail read */
	{
		char *resp = tap_fmt("HTTP/1.1 503 No\r\nRetry-After: "
		    "%0200d5\r\nContent-Length: 0\r\n\r\n", 0);
		size_t len = strlen(resp), i, *cuts;

		REQUIRE((cuts = calloc(len, sizeof(*cuts))) != NULL);
		for (i = 1; i < len; i++)
			cuts[i - 1] = i;
		run_cuts(&x, (uint8_t *)resp, len, cuts, len - 1, 0);
		CHECK_EQ_INT(x.rc, 0);
		CHECK_EQ_INT(x.h.retry_after, -1);
		run_free(&x);
		free(cuts);
		free(resp);
	}
	run_str(&x, "HTTP/1.1 503 No\r\nRetry-After: Wed, 21 Oct 2015 "
	    "07:28:00 GMT\r\nContent-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.h.retry_after, -1);
	run_free(&x);
}

TEST(test_2xx_must_be_json)
{
	struct run x;

	run_str(&x, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	    "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "Content-Type \"text/html\", not "
	    "application/json");
	run_free(&x);
	run_str(&x, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "Content-Type \"\"");
	run_free(&x);
	run_str(&x, "HTTP/1.1 200 OK\r\ncontent-type: Application/JSON; "
	    "charset=utf-8\r\nContent-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.rc, 0);
	run_free(&x);
	run_str(&x, "HTTP/1.1 200 OK\r\nContent-Type: application/jsonx\r\n"
	    "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.rc, -1);
	run_free(&x);
	/* an error reply may be anything: its body is only read as Status */
	run_str(&x, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
	    "Content-Length: 5\r\n\r\n<html");
	CHECK_EQ_INT(x.rc, 0);
	CHECK_EQ_INT(x.h.status, 502);
	run_free(&x);
}

TEST(test_keep_alive_is_reported)
{
	struct run x;

	run_str(&x, RESP_HEAD "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(x.rc, 0);
	CHECK(x.h.keep_alive);
	run_free(&x);
	run_str(&x, RESP_HEAD "Connection: close\r\nContent-Length: 0\r\n"
	    "\r\n");
	CHECK_EQ_INT(x.rc, 0);
	CHECK(!x.h.keep_alive);
	run_free(&x);
}

/* the response is refused with an error that says needle */
static void
refused(const char *in, const char *needle)
{
	struct run x;

	run_str(&x, in);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, needle);
	run_free(&x);
}

TEST(test_gzip_body_refused)
{
	refused(RESP_HEAD "Content-Encoding: gzip\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "Content-Encoding \"gzip\"");
}

TEST(test_content_length_with_chunked_refused)
{
	refused(RESP_HEAD "Content-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "HTTP response framing");
}

TEST(test_garbage_refused)
{
	struct run x;

	run_str(&x, "SSH-2.0-OpenSSH_9.2\r\n");
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "HTTP response framing");
	run_free(&x);
	run_str(&x, CHUNKED_HEAD "zz\r\n");
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "HPE_INVALID_CHUNK_SIZE");
	run_free(&x);
}

TEST(test_data_after_the_response_refused)
{
	refused(RESP_HEAD "Content-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n",
	    "data after the end");
}

TEST(test_informational_response_refused)
{
	refused("HTTP/1.1 100 Continue\r\n\r\n",
	    "informational");
}

static char *
headers_resp(unsigned n)
{
	char *s = tap_fmt(RESP_HEAD), *t;
	unsigned i;

	/* n headers in all: Content-Type, X-H*, Content-Length */
	for (i = 0; i + 2 < n; i++) {
		t = tap_fmt("%sX-H%u: v\r\n", s, i);
		free(s);
		s = t;
	}
	t = tap_fmt("%sContent-Length: 0\r\n\r\n", s);
	free(s);
	return t;
}

TEST(test_header_count_at_limit_and_over)
{
	char *at = headers_resp(APIHTTP_MAX_HEADERS);
	char *over = headers_resp(APIHTTP_MAX_HEADERS + 1);
	struct run x;
	size_t i, *cuts, len = strlen(at);

	run_str(&x, at);
	CHECK_EQ_INT(x.rc, 0);
	run_free(&x);
	/* names cut in pieces are still one header each */
	REQUIRE((cuts = calloc(len, sizeof(*cuts))) != NULL);
	for (i = 1; i < len; i++)
		cuts[i - 1] = i;
	run_cuts(&x, (uint8_t *)at, len, cuts, len - 1, 0);
	CHECK_EQ_INT(x.rc, 0);
	run_free(&x);
	run_str(&x, over);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "more than 64 headers");
	run_free(&x);
	free(cuts);
	free(at);
	free(over);
}

static char *
header_bytes_resp(size_t total)
{
	/* status text "OK" (2) + "X-Big" (5) + value + "Content-Length" and
	 * "0" (15) + "Content-Type" and "application/json" (28) */
	size_t vlen = total - 2 - 5 - 15 - 28;
	char *v = malloc(vlen + 1), *s;

	REQUIRE(v != NULL);
	memset(v, 'a', vlen);
	v[vlen] = '\0';
	s = tap_fmt(RESP_HEAD "X-Big: %s\r\nContent-Length: 0\r\n\r\n", v);
	free(v);
	return s;
}

TEST(test_header_bytes_at_limit_and_over)
{
	char *at = header_bytes_resp(APIHTTP_MAX_HEADER_BYTES);
	char *over = header_bytes_resp(APIHTTP_MAX_HEADER_BYTES + 1);
	struct run x;

	run_str(&x, at);
	CHECK_EQ_INT(x.rc, 0);
	run_free(&x);
	run_str(&x, over);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "headers longer than 32768 bytes");
	run_free(&x);
	free(at);
	free(over);
}

TEST(test_content_type_too_long_refused)
{
	char v[APIHTTP_MAX_CONTENT_TYPE + 2];
	char *resp;
	struct run x;

	memset(v, 'a', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	resp = tap_fmt("HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
	    "Content-Length: 0\r\n\r\n", v);
	run_str(&x, resp);
	CHECK_EQ_INT(x.rc, -1);
	CHECK_CONTAINS(x.h.error, "Content-Type longer than 127");
	run_free(&x);
	free(resp);
}

/* ------------------------------------------------------------------ */
/* lists                                                               */

/* a buffered response (a list) fed in the given piece size */
static int
list_http(const char *resp, size_t len, size_t max_body, size_t piece,
    struct apihttp *h)
{
	size_t at, n;

	apihttp_init(h, max_body, NULL, NULL);
	for (at = 0; at < len; at += n) {
		n = len - at < piece ? len - at : piece;
		if (apihttp_feed(h, (const uint8_t *)resp + at, n) == -1)
			return -1;
	}
	return apihttp_eof(h);
}

TEST(test_golden_list_response_framing)
{
	size_t len;
	uint8_t *buf = fixture(GOLDEN "TestGoldenResponse/responses/list",
	    &len);
	struct apihttp h;
	struct apilist l;
	char err[256];
	size_t piece;

	for (piece = 1; piece <= len; piece += 37) {
		CHECK_EQ_INT(list_http((char *)buf, len, 0, piece, &h), 0);
		CHECK_EQ_INT(h.status, 200);
		CHECK_EQ_INT(h.content_length, 260);
		CHECK(!h.chunked);
		CHECK_STR(h.content_type, "application/json");
		CHECK_EQ_INT(h.body_len, 260);
		CHECK(h.body != NULL && h.body[0] == '{');
		/* a ServiceAccountList: the framing is right, the kind not */
		CHECK_EQ_INT(apilist_decode(h.body, h.body_len, 0, &l, err,
		    sizeof(err)), -1);
		CHECK_CONTAINS(err, "list kind \"ServiceAccountList\", "
		    "expected PodList");
		CHECK_EQ_INT(l.n_items, 0);
		apihttp_free(&h);
	}
	free(buf);
}

TEST(test_golden_nonlist_response_framing)
{
	size_t len;
	uint8_t *buf = fixture(GOLDEN "TestGoldenResponse/responses/nonlist",
	    &len);
	struct apihttp h;

	CHECK_EQ_INT(list_http((char *)buf, len, 0, 7, &h), 0);
	CHECK_EQ_INT(h.content_length, 207);
	CHECK_EQ_INT(h.body_len, 207);
	/* the apiserver's encoder ends the object with a newline */
	CHECK(h.body[205] == '}' && h.body[206] == '\n');
	apihttp_free(&h);
	free(buf);
}

TEST(test_pod_list_decoded)
{
	char *real = fixture_compact("api-testdata/core.v1.Pod.json");
	/* list items carry no kind or apiVersion, as the apiserver's */
	char *body = tap_fmt("{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
	    "\"metadata\":{\"resourceVersion\":\"222\",\"continue\":"
	    "\"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjIyfQ==\"},\"items\":["
	    "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
	    "\"uid\":\"" UID1 "\",\"resourceVersion\":\"200\"},\"spec\":{"
	    "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}},%s]}",
	    real);
	char *resp = tap_fmt(RESP_HEAD "Content-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	struct apihttp h;
	struct apilist l;
	char err[256];

	CHECK_EQ_INT(list_http(resp, strlen(resp), 0, 1000, &h), 0);
	REQUIRE(apilist_decode(h.body, h.body_len, 0, &l, err,
	    sizeof(err)) == 0);
	CHECK_STR(l.resource_version, "222");
	CHECK_STR(l.continue_token,
	    "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjIyfQ==");
	REQUIRE(l.n_items == 2);
	CHECK(l.items[0].pod_ok);
	CHECK_STR(l.items[0].pod.name, "web");
	CHECK_STR(l.items[0].pod.uid, UID1);
	CHECK_STR(l.items[0].meta.resource_version, "200");
	CHECK(!l.items[1].pod_ok);
	CHECK_STR(l.items[1].pod_err.field, "metadata.name");
	CHECK_STR(l.items[1].meta.uid, "uidValue");
	apilist_free(&l);
	apihttp_free(&h);
	free(resp);
	free(body);
	free(real);
}

TEST(test_pod_list_refusals)
{
	static const struct {
		const char	*body;
		const char	*why;
	} cases[] = {
		{ "{\"metadata\":{}}", "no usable metadata.resourceVersion" },
		{ "{\"kind\":\"PodList\",\"apiVersion\":\"v2\",\"metadata\":"
		    "{\"resourceVersion\":\"1\"}}", "list apiVersion \"v2\"" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":{}}",
		    "items must be a list" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[1]}",
		    "items[0] is not an object" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\",\"continue\":"
		    "\"a b\"}}", "metadata.continue" },
		{ "[]", "PodList: not an object" },
		{ "{", "PodList: JSON syntax error" },
	};
	struct apilist l;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_INT(apilist_decode((const uint8_t *)cases[i].body,
		    strlen(cases[i].body), 0, &l, err, sizeof(err)), -1);
		CHECK_CONTAINS(err, cases[i].why);
		CHECK_EQ_INT(l.n_items, 0);
		CHECK(l.items == NULL);
	}
}

TEST(test_pod_list_empty_items)
{
	const char *s = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
	    "\"metadata\":{\"resourceVersion\":\"5\",\"continue\":\"\"},"
	    "\"items\":null}";
	struct apilist l;
	char err[256];

	CHECK_EQ_INT(apilist_decode((const uint8_t *)s, strlen(s), 0, &l, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(l.n_items, 0);
	CHECK_STR(l.continue_token, "");
	apilist_free(&l);
}

static char *
list_of(size_t n)
{
	size_t i, len;
	char *p;

	REQUIRE((p = malloc(64 + 3 * n)) != NULL);
	len = sprintf(p, "{\"metadata\":{\"resourceVersion\":\"1\"},"
	    "\"items\":[");
	for (i = 0; i < n; i++)
		len += sprintf(p + len, "%s{}", i ? "," : "");
	sprintf(p + len, "]}");
	return p;
}

TEST(test_pod_list_item_count_at_limit_and_over)
{
	char *at = list_of(APILIST_MAX_ITEMS), *over =
	    list_of(APILIST_MAX_ITEMS + 1);
	struct apilist l;
	char err[256];

	CHECK_EQ_INT(apilist_decode((uint8_t *)at, strlen(at), 0, &l, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(l.n_items, APILIST_MAX_ITEMS);
	CHECK(!l.items[0].pod_ok);	/* {} is no Pod, but is counted */
	apilist_free(&l);
	CHECK_EQ_INT(apilist_decode((uint8_t *)over, strlen(over), 0, &l,
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "1025 items, more than the 1024 allowed");
	free(at);
	free(over);
}

TEST(test_list_body_at_limit_and_over)
{
	const size_t max = 1000;
	char body[1002];
	char *resp;
	struct apihttp h;
	struct apilist l;
	char err[256];

	memset(body, ' ', sizeof(body));
	memcpy(body, "{\"metadata\":{\"resourceVersion\":\"1\"}}",
	    strlen("{\"metadata\":{\"resourceVersion\":\"1\"}}"));
	/* Content-Length: at the limit, then one over (refused up front) */
	resp = tap_fmt(RESP_HEAD "Content-Length: %zu\r\n\r\n%.*s", max,
	    (int)max, body);
	CHECK_EQ_INT(list_http(resp, strlen(resp), max, 100, &h), 0);
	CHECK_EQ_INT(h.body_len, max);
	CHECK_EQ_INT(apilist_decode(h.body, h.body_len, max, &l, err,
	    sizeof(err)), 0);
	apilist_free(&l);
	CHECK_EQ_INT(apilist_decode(h.body, h.body_len, max - 1, &l, err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "1000 bytes, more than the 999 allowed");
	apihttp_free(&h);
	free(resp);
	resp = tap_fmt(RESP_HEAD "Content-Length: %zu\r\n\r\n", max + 1);
	CHECK_EQ_INT(list_http(resp, strlen(resp), max, 100, &h), -1);
	CHECK_CONTAINS(h.error, "1001 bytes (Content-Length), more than the "
	    "1000 allowed");
	apihttp_free(&h);
	free(resp);
	/* chunked: known only as it comes */
	body[max + 1] = '\0';
	resp = chunked(body, 300);
	CHECK_EQ_INT(list_http(resp, strlen(resp), max, 100, &h), -1);
	CHECK_CONTAINS(h.error, "longer than the 1000 bytes allowed");
	apihttp_free(&h);
	free(resp);
	body[max] = '\0';
	resp = chunked(body, 300);
	CHECK_EQ_INT(list_http(resp, strlen(resp), max, 100, &h), 0);
	CHECK_EQ_INT(h.body_len, max);
	apihttp_free(&h);
	free(resp);
}

TEST(test_list_default_body_limit_is_16_mib)
{
	struct apihttp h;
	char *resp = tap_fmt(RESP_HEAD "Content-Length: %d\r\n\r\n",
	    APIHTTP_MAX_LIST_BODY + 1);

	CHECK_EQ_INT(APIHTTP_MAX_LIST_BODY, 16 * 1024 * 1024);
	CHECK_EQ_INT(list_http(resp, strlen(resp), 0, 100, &h), -1);
	CHECK_CONTAINS(h.error, "more than the 16777216 allowed");
	apihttp_free(&h);
	free(resp);
}

/* ------------------------------------------------------------------ */
/* requests                                                            */

static const struct apireq req_base = {
	.node = "node-1",
};

TEST(test_list_request_is_client_go_form)
{
	struct apireq r = req_base;
	char err[256], *s;

	s = apireq_list(&r, err, sizeof(err));
	REQUIRE(s != NULL);
	CHECK_STR(s, "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1"
	    "&limit=500");
	free(s);
	r.continue_token = "eyJ2Ijo=";
	r.resource_version = "0";
	s = apireq_list(&r, err, sizeof(err));
	REQUIRE(s != NULL);
	CHECK_STR(s, "/api/v1/pods?continue=eyJ2Ijo%3D&fieldSelector="
	    "spec.nodeName%3Dnode-1&limit=500&resourceVersion=0");
	free(s);
}

TEST(test_watch_request_is_client_go_form)
{
	struct apireq r = req_base;
	char err[256], *s;

	r.resource_version = "12345";
	r.timeout_seconds = 431;
	s = apireq_watch(&r, err, sizeof(err));
	REQUIRE(s != NULL);
	CHECK_STR(s, "/api/v1/pods?allowWatchBookmarks=true&fieldSelector="
	    "spec.nodeName%3Dnode-1&resourceVersion=12345&timeoutSeconds=431"
	    "&watch=true");
	free(s);
	r.resource_version = NULL;
	CHECK(apireq_watch(&r, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "needs a resourceVersion");
	r.resource_version = "1";
	r.timeout_seconds = 0;
	CHECK(apireq_watch(&r, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "timeoutSeconds");
}

/* path and query as an HTTP server splits a request target */
static int
server_reads(const char *url, char *path, size_t pathlen, char *query,
    size_t querylen)
{
	struct http_parser_url u;

	http_parser_url_init(&u);
	if (http_parser_parse_url(url, strlen(url), 0, &u) != 0 ||
	    !(u.field_set & (1 << UF_PATH)) || !(u.field_set & (1 << UF_QUERY)))
		return -1;
	snprintf(path, pathlen, "%.*s", (int)u.field_data[UF_PATH].len,
	    url + u.field_data[UF_PATH].off);
	snprintf(query, querylen, "%.*s", (int)u.field_data[UF_QUERY].len,
	    url + u.field_data[UF_QUERY].off);
	return 0;
}

/* the request target of client-go's golden request: "GET <it> HTTP" */
static char *
golden_target(const char *name)
{
	size_t glen;
	uint8_t *golden = fixture(name, &glen);
	char *sp, *end, *t;

	REQUIRE((sp = memchr(golden, ' ', glen)) != NULL);
	REQUIRE((end = strchr(sp + 1, ' ')) != NULL);
	t = tap_fmt("%.*s", (int)(end - sp - 1), sp + 1);
	free(golden);
	return t;
}

TEST(test_requests_read_like_client_gos)
{
	struct apireq r = req_base;
	char err[256], *s, *g;
	char gpath[256], gquery[1024], path[256], query[1024];

	/* the checker accepts client-go's own request target first */
	g = golden_target(GOLDEN "TestGoldenRequest/watch");
	REQUIRE(server_reads(g, gpath, sizeof(gpath), gquery,
	    sizeof(gquery)) == 0);
	CHECK(strstr(gquery, "watch=true") != NULL);
	r.resource_version = "42";
	r.timeout_seconds = 300;
	REQUIRE((s = apireq_watch(&r, err, sizeof(err))) != NULL);
	REQUIRE(server_reads(s, path, sizeof(path), query,
	    sizeof(query)) == 0);
	CHECK_STR(path, "/api/v1/pods");
	/* client-go ends its watch query the same way: keys sorted */
	CHECK(strstr(query, "&watch=true") != NULL &&
	    strcmp(strstr(query, "&watch=true"), "&watch=true") == 0);
	free(s);
	free(g);
	g = golden_target(GOLDEN "TestGoldenRequest/list");
	REQUIRE(server_reads(g, gpath, sizeof(gpath), gquery,
	    sizeof(gquery)) == 0);
	REQUIRE((s = apireq_list(&r, err, sizeof(err))) != NULL);
	REQUIRE(server_reads(s, path, sizeof(path), query,
	    sizeof(query)) == 0);
	CHECK_STR(path, "/api/v1/pods");
	free(s);
	free(g);
}

TEST(test_request_inputs_that_could_break_it_refused)
{
	struct apireq r = req_base;
	char err[256];

	r.node = "Node_1";
	CHECK(apireq_list(&r, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "DNS subdomain");
	r = req_base;
	r.node = "";
	CHECK(apireq_list(&r, err, sizeof(err)) == NULL);
	r = req_base;
	r.resource_version = "1 2";
	CHECK(apireq_list(&r, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "resourceVersion");
	r = req_base;
	r.continue_token = "a\r\nX-Evil: 1";
	CHECK(apireq_list(&r, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "continue token");
}

TEST(test_request_size_bound)
{
	struct apireq r = req_base;
	char cont[APILIST_CONTINUE_MAX + 2], *s;
	char err[256];

	/* the longest continue, every byte escaped, still fits the path */
	memset(cont, '=', APILIST_CONTINUE_MAX);
	cont[APILIST_CONTINUE_MAX] = '\0';
	r.continue_token = cont;
	r.resource_version = "12345678901234567890";
	s = apireq_list(&r, err, sizeof(err));
	REQUIRE(s != NULL);
	CHECK(strlen(s) <= APIREQ_MAX_PATH);
	CHECK(strlen(s) > 3 * APILIST_CONTINUE_MAX);
	free(s);
	/* one byte more is refused, and so is an empty one */
	cont[APILIST_CONTINUE_MAX] = '=';
	cont[APILIST_CONTINUE_MAX + 1] = '\0';
	CHECK(apireq_list(&r, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "continue token");
	cont[0] = '\0';
	CHECK(apireq_list(&r, err, sizeof(err)) == NULL);
}

TEST(test_query_escape_matches_go)
{
	char out[64];

	/* url.QueryEscape("spec.nodeName=a b/c~d_e-f+g%") */
	CHECK_EQ_INT(apireq_query_escape("spec.nodeName=a b/c~d_e-f+g%", out,
	    sizeof(out)), 0);
	CHECK_STR(out, "spec.nodeName%3Da+b%2Fc~d_e-f%2Bg%25");
	CHECK_EQ_INT(apireq_query_escape("\xc3\xa9", out, sizeof(out)), 0);
	CHECK_STR(out, "%C3%A9");
	CHECK_EQ_INT(apireq_query_escape("abc", out, 4), 0);
	CHECK_EQ_INT(apireq_query_escape("abcd", out, 4), -1);
	CHECK_EQ_INT(apireq_query_escape("=", out, 3), -1);
}

/* ------------------------------------------------------------------ */
/* backoff                                                             */

TEST(test_backoff_doubles_from_800ms_to_30s)
{
	static const uint64_t base[] = { 800, 1600, 3200, 6400, 12800, 25600,
	    30000, 30000 };
	struct apibackoff b;
	uint64_t now = 1000000;
	size_t i;

	apibackoff_reset(&b);
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		/* rnd 0: no jitter, the base itself */
		CHECK_EQ_INT(apibackoff_next(&b, now, 0), base[i]);
		now += 1000;
	}
}

TEST(test_backoff_jitter_adds_up_to_one_base)
{
	struct apibackoff b;
	uint64_t w;

	apibackoff_reset(&b);
	CHECK_EQ_INT(apibackoff_next(&b, 5, UINT32_MAX), 800 + 799);
	CHECK_EQ_INT(apibackoff_next(&b, 6, 1U << 31), 1600 + 800);
	apibackoff_reset(&b);
	for (int i = 0; i < 20; i++) {
		w = apibackoff_next(&b, 10 + i, (uint32_t)random());
		CHECK(w >= b.base_ms && w < 2 * b.base_ms);
		CHECK(b.base_ms <= APIBACKOFF_MAX_MS);
	}
}

TEST(test_backoff_reset_after_a_normal_watch)
{
	struct apibackoff b;

	apibackoff_reset(&b);
	apibackoff_next(&b, 1, 0);
	apibackoff_next(&b, 2, 0);
	CHECK_EQ_INT(apibackoff_next(&b, 3, 0), 3200);
	apibackoff_reset(&b);
	CHECK_EQ_INT(apibackoff_next(&b, 4, 0), 800);
}

TEST(test_backoff_restarts_after_two_quiet_minutes)
{
	struct apibackoff b;

	apibackoff_reset(&b);
	apibackoff_next(&b, 1000, 0);
	CHECK_EQ_INT(apibackoff_next(&b, 1000 + APIBACKOFF_RESET_MS, 0),
	    1600);
	CHECK_EQ_INT(apibackoff_next(&b, 2000 + 2 * APIBACKOFF_RESET_MS, 0),
	    800);
}

TEST(test_watch_timeout_between_5_and_10_minutes)
{
	CHECK_EQ_INT(apiwatch_timeout_seconds(0), 300);
	CHECK_EQ_INT(apiwatch_timeout_seconds(UINT32_MAX), 599);
	CHECK_EQ_INT(apiwatch_timeout_seconds(1U << 31), 450);
}
