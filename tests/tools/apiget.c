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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "apiclient.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"
#include "sandbox.h"
#include "worker.h"

static struct worker_env	 wenv_;
static struct ipc_chan		*agentd_end;
static const char		*host;
static int			 port, refuse, stream, repeat = 1, probe;
static const char		*method = "GET", *body, *ctype;
static char			**paths;
static int			 npaths, outstanding;
static struct apiclient		*conn;

struct worker_env *wenv = &wenv_;

static char *
slurp(const char *path, size_t *lenp)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(2, "%s", path);
	for (;;) {
		if (len == cap && (buf = realloc(buf, cap = cap * 2 + 4096)) ==
		    NULL)
			err(2, "realloc");
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += n;
	}
	close(fd);
	*lenp = len;
	return buf;
}

/* agentd's side of MSG_API_CONNECT: connect or refuse */
static int
grant(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct sockaddr_in sin;
	struct ipc_msg r;
	uint32_t id;
	int fd;

	if (ipc_get_u32(m, &id) == -1 || ipc_get_end(m) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr) != 1)
		return -1;
	if (refuse || (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		ipc_msg_init(&r, MSG_API_REFUSED, 0);
		ipc_put_u32(&r, id);
		ipc_put_str(&r, refuse ? "refused by the test" :
		    "connect failed");
		return ipc_send(c, &r);
	}
	ipc_msg_init(&r, MSG_API_SOCKET, 0);
	ipc_put_u32(&r, id);
	r.fd = fd;
	return ipc_send(c, &r);
}

static const struct ipc_dispatch agentd_tab[] = {
	{ MSG_API_CONNECT, 0, IPC_F_ANYSTATE, grant },
};

static const struct ipc_dispatch worker_tab[] = {
	APICLIENT_PARENT_ROWS
};

static void
chan_error(struct ipc_chan *c, const char *reason, void *arg)
{
	errx(3, "channel %s: %s", ipc_chan_name(c), reason);
}

/* the worker is done: so is agentd's part */
static void
agentd_error(struct ipc_chan *c, const char *reason, void *arg)
{
	_exit(0);
}

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
	const char *ca = NULL, *token = "", *name = "";
	char *sandbox = NULL, *dir;
	char *cabuf = NULL;
	size_t calen = 0;
	struct ipc_msg m;
	uint32_t flags = 0;
	int sv[2], ch;
	pid_t pid;

	while ((ch = getopt(argc, argv, "c:d:kn:Pr:RS:sT:t:X:")) != -1)
		switch (ch) {
		case 'c': ca = optarg; break;
		case 'd': body = optarg; break;
		case 'k': flags |= APICREDS_F_INSECURE; break;
		case 'n': name = optarg; break;
		case 'r': repeat = atoi(optarg); break;
		case 'P': probe = 1; break;
		case 'R': refuse = 1; break;
		case 'S': sandbox = optarg; break;
		case 's': stream = 1; break;
		case 'T': ctype = optarg; break;
		case 't': token = optarg; break;
		case 'X': method = optarg; break;
		default: return 2;
		}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		errx(2, "usage: apiget [options] HOST PORT PATH...");
	host = argv[0];
	port = atoi(argv[1]);
	paths = argv + 2;
	npaths = argc - 2;
	log_init("apiget", 1, 0);
	apiclient_init();
	if (ca != NULL)
		cabuf = slurp(ca, &calen);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(3, "socketpair");
	/* agentd's part in a process of its own: the worker may be sandboxed */
	if ((pid = fork()) == -1)
		err(3, "fork");
	if (pid == 0) {
		close(sv[1]);
		if ((wenv->base = event_base_new()) == NULL)
			errx(3, "event_base_new");
		agentd_end = ipc_chan_new(wenv->base, sv[0], "agentd",
		    agentd_tab, nitems(agentd_tab), agentd_error, NULL);
		ipc_msg_init(&m, MSG_API_CREDS, 0);
		ipc_put_str(&m, host);
		ipc_put_u32(&m, port);
		ipc_put_str(&m, name);
		ipc_put_u32(&m, flags);
		ipc_put_bytes(&m, cabuf ? cabuf : "", calen);
		ipc_put_bytes(&m, "", 0);
		ipc_put_str(&m, token);
		ipc_send(agentd_end, &m);
		event_base_dispatch(wenv->base);
		_exit(0);
	}
	close(sv[0]);
	if ((wenv->base = event_base_new()) == NULL)
		errx(3, "event_base_new");
	wenv->parent = ipc_chan_new(wenv->base, sv[1], "worker", worker_tab,
	    nitems(worker_tab), chan_error, NULL);
	apiclient_on_ready(wenv, start);
	if (sandbox != NULL) {
		if ((dir = strchr(sandbox, ':')) == NULL)
			errx(2, "-S USER:DIR");
		*dir++ = '\0';
		sandbox_enter(sandbox, dir, SANDBOX_API);
	}
	event_base_dispatch(wenv->base);
	apiclient_free(conn);
	free(cabuf);
	return 0;
}
