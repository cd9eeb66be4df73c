/*
 * apiwatch_decode: the watcher's API decoders (workers/watcher/apiwatch.h)
 * as a command, so that a test can put them between a real server and
 * its assertions (tests/test_apiwatch_wire.py speaks TLS to the test API
 * server, this program writes the requests and reads the replies):
 *
 *   apiwatch_decode list-request HOST NODE TOKEN [RV]
 *   apiwatch_decode watch-request HOST NODE TOKEN RV TIMEOUT
 *	the request text on stdout
 *   apiwatch_decode list < response
 *   apiwatch_decode watch < response
 *	the raw HTTP response on stdin; one line per item or event, then
 *	"end ok" or "error: ..." (exit 0 either way; 2: usage)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiwatch.h"

#define READ_PIECE	1000	/* feed in pieces, as a socket would */

static const char *
type_name(enum apiwatch_type t)
{
	static const char *names[] = { "?", "ADDED", "MODIFIED", "DELETED",
	    "BOOKMARK", "ERROR" };

	return t <= APIWATCH_ERROR ? names[t] : "?";
}

static void
print_pod(const struct apiobj_meta *m, int ok, const struct pod *p,
    const struct manifest_error *e)
{
	printf(" %s/%s uid=%s rv=%s node=%s deleting=%d ", m->namespace,
	    m->name, m->uid, m->resource_version, m->node_name, m->deleting);
	if (ok)
		printf("ok containers=%u\n", p->n_containers);
	else
		printf("refused %s: %s\n", e->field, e->reason);
}

static int
on_event(void *arg, struct apiwatch_event *ev)
{
	printf("%s", type_name(ev->type));
	switch (ev->type) {
	case APIWATCH_BOOKMARK:
		printf(" rv=%s\n", ev->meta.resource_version);
		break;
	case APIWATCH_ERROR:
		printf(" code=%d reason=%s relist=%d\n", ev->status.code,
		    ev->status.reason, ev->status.relist);
		break;
	default:
		print_pod(&ev->meta, ev->pod_ok, &ev->pod, &ev->pod_err);
	}
	return 0;
}

/* a non-2xx reply: its Status */
static void
print_status(const struct apihttp *h)
{
	struct apistatus st;
	char err[APIWATCH_ERROR_MAX];

	if (apistatus_decode(h->body, h->body_len, &st, err,
	    sizeof(err)) == -1)
		printf("status %d body: %s\n", h->status, err);
	else
		printf("status %d code=%d reason=%s relist=%d retry_after=%d\n",
		    h->status, st.code, st.reason, st.relist, h->retry_after);
}

static int
feed_stdin(struct apihttp *h)
{
	uint8_t buf[READ_PIECE];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (apihttp_feed(h, buf, n) == -1)
			return -1;
	if (n == -1)
		return -1;
	return apihttp_eof(h);
}

static int
decode_watch(void)
{
	struct apihttp h;
	struct apiwatch w;
	int rc;

	apiwatch_init(&w, 0, on_event, NULL);
	apihttp_init(&h, 0, apiwatch_body, &w);
	rc = feed_stdin(&h);
	if (rc == 0 && h.streaming)
		rc = apiwatch_end(&w);
	if (rc == 0 && !h.streaming)
		print_status(&h);
	if (rc == 0)
		printf("end ok\n");
	else
		printf("error: %s\n", w.failed ? w.error : h.error);
	apihttp_free(&h);
	apiwatch_free(&w);
	return 0;
}

static int
decode_list(void)
{
	struct apihttp h;
	struct apilist l;
	char err[APIWATCH_ERROR_MAX];
	size_t i;

	apihttp_init(&h, 0, NULL, NULL);
	if (feed_stdin(&h) == -1) {
		printf("error: %s\n", h.error);
		goto out;
	}
	if (h.status != 200) {
		print_status(&h);
		printf("end ok\n");
		goto out;
	}
	if (apilist_decode(h.body, h.body_len, 0, &l, err,
	    sizeof(err)) == -1) {
		printf("error: %s\n", err);
		goto out;
	}
	printf("list rv=%s continue=%s items=%zu\n", l.resource_version,
	    l.continue_token, l.n_items);
	for (i = 0; i < l.n_items; i++) {
		printf("item");
		print_pod(&l.items[i].meta, l.items[i].pod_ok, &l.items[i].pod,
		    &l.items[i].pod_err);
	}
	apilist_free(&l);
	printf("end ok\n");
out:
	apihttp_free(&h);
	return 0;
}

/* the whole request, as apiclient.c writes it around apireq's path */
static int
request(int watch, int argc, char *argv[])
{
	struct apireq r;
	char err[APIWATCH_ERROR_MAX], *path;

	if (argc < 5 || (watch && argc < 7))
		return 2;
	memset(&r, 0, sizeof(r));
	r.node = argv[3];
	r.resource_version = argc > 5 ? argv[5] : NULL;
	if (watch)
		r.timeout_seconds = (unsigned)strtoul(argv[6], NULL, 10);
	path = watch ? apireq_watch(&r, err, sizeof(err)) :
	    apireq_list(&r, err, sizeof(err));
	if (path == NULL) {
		fprintf(stderr, "apiwatch_decode: %s\n", err);
		return 1;
	}
	printf("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n"
	    "User-Agent: agentd/test\r\n", path, argv[2]);
	if (argv[4][0] != '\0')
		printf("Authorization: Bearer %s\r\n", argv[4]);
	printf("\r\n");
	free(path);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "list-request") == 0)
		return request(0, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "watch-request") == 0)
		return request(1, argc, argv);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return decode_list();
	if (argc == 2 && strcmp(argv[1], "watch") == 0)
		return decode_watch();
	fprintf(stderr, "usage: apiwatch_decode list-request|watch-request "
	    "HOST NODE TOKEN [RV [TIMEOUT]] | list | watch\n");
	return 2;
}
