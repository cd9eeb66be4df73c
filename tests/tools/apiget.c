/*
 * apiget: the workers' API client (workers/apiclient.c) as a command, for
 * tests against the test API server.  It plays agentd's part in-process:
 * the credentials go in as MSG_API_CREDS over a socketpair, and each
 * MSG_API_CONNECT is answered with a socket connected to HOST:PORT (or
 * MSG_API_REFUSED with --refuse).  The client side is the real code.
 *
 *   apiget [-k] [-n NAME] [-c CA] [-t TOKEN] [-s] [-r N] [-X METHOD]
 *	[-d BODY] [-T CONTENT-TYPE] HOST PORT PATH...
 *
 *	-k	insecure (APICREDS_F_INSECURE)
 *	-n	the name to verify instead of HOST (tls-server-name)
 *	-s	stream the body (a watch): each piece is printed as it comes
 *	-r N	repeat each request N times on the one connection
 *	-R	refuse every connection request
 *	-S USER:DIR	enter the API workers' sandbox (SANDBOX_API) as USER
 *		in the empty DIR before the first request
 *	-P	then try to open a socket of its own (the sandbox kills it)
 *
 * Prints per request "status N" and the body, or "error: ...".
 */
#include <sys/socket.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentdpart.h"
#include "apiclient.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"
#include "sandbox.h"
#include "worker.h"

static struct worker_env	 wenv_;
static int			 stream, repeat = 1, probe;
static const char		*method = "GET", *body, *ctype;
static char			**paths;
static int			 npaths, outstanding;
static struct apiclient		*conn;

struct worker_env *wenv = &wenv_;

static int
piece(void *arg, const uint8_t *buf, size_t len)
{
	printf("piece %zu\n", len);
	fwrite(buf, 1, len, stdout);
	printf("\n");
	fflush(stdout);
	return 0;
}

static void
done(void *arg, const struct apiresp *r)
{
	if (r->status == 0)
		printf("error: %s\n", r->error);
	else {
		printf("status %d retry-after %d\n", r->status,
		    r->retry_after);
		if (r->body_len)
			fwrite(r->body, 1, r->body_len, stdout);
		printf("\n");
	}
	fflush(stdout);
	if (--outstanding == 0)
		event_base_loopexit(wenv->base, NULL);
}

static void
start(void)
{
	struct apiclient_req q;
	int i, k;

	if (probe) {
		printf("probe: socket\n");
		fflush(stdout);
		printf("socket returned %d\n", socket(AF_INET, SOCK_STREAM,
		    0));
	}
	if ((conn = apiclient_new("apiget")) == NULL)
		errx(3, "apiclient_new");
	for (k = 0; k < repeat; k++)
		for (i = 0; i < npaths; i++) {
			memset(&q, 0, sizeof(q));
			q.method = method;
			q.path = paths[i];
			q.content_type = body ? (ctype ? ctype :
			    "application/json") : NULL;
			q.body = body;
			q.body_len = body ? strlen(body) : 0;
			q.stream = stream ? piece : NULL;
			q.done = done;
			if (apiclient_request(conn, &q) == -1)
				printf("error: not queued\n");
			else
				outstanding++;
		}
	if (outstanding == 0)
		event_base_loopexit(wenv->base, NULL);
}

int
main(int argc, char *argv[])
{
	struct agentd_part part = { .server_name = "", .token = "" };
	const char *ca = NULL;
	char *sandbox = NULL, *dir;
	int ch;

	while ((ch = getopt(argc, argv, "c:d:kn:Pr:RS:sT:t:X:")) != -1)
		switch (ch) {
		case 'c': ca = optarg; break;
		case 'd': body = optarg; break;
		case 'k': part.flags |= APICREDS_F_INSECURE; break;
		case 'n': part.server_name = optarg; break;
		case 'r': repeat = atoi(optarg); break;
		case 'P': probe = 1; break;
		case 'R': part.refuse = 1; break;
		case 'S': sandbox = optarg; break;
		case 's': stream = 1; break;
		case 'T': ctype = optarg; break;
		case 't': part.token = optarg; break;
		case 'X': method = optarg; break;
		default: return 2;
		}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		errx(2, "usage: apiget [options] HOST PORT PATH...");
	part.host = argv[0];
	part.port = atoi(argv[1]);
	paths = argv + 2;
	npaths = argc - 2;
	log_init("apiget", 1, 0);
	apiclient_init();
	if (ca != NULL)
		part.ca = tool_slurp(ca, &part.calen);
	/* agentd's part in a process of its own: the worker may be sandboxed */
	agentd_part_start(&part);
	apiclient_on_ready(wenv, start);
	if (sandbox != NULL) {
		if ((dir = strchr(sandbox, ':')) == NULL)
			errx(2, "-S USER:DIR");
		*dir++ = '\0';
		sandbox_enter(sandbox, dir, SANDBOX_API);
	}
	event_base_dispatch(wenv->base);
	apiclient_free(conn);
	free((char *)part.ca);
	return 0;
}
