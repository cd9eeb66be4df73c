/*
 * agentd's part of the API for the test tools (agentdpart.h).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <err.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentdpart.h"
#include "apiclient.h"
#include "ipc.h"
#include "worker.h"

static const struct agentd_part	*part;

/* agentd's side of MSG_API_CONNECT: connect or refuse */
static int
grant(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct sockaddr_in sin;
	struct ipc_msg r;
	uint32_t id;
	int fd = -1;

	if (ipc_get_u32(m, &id) == -1 || ipc_get_end(m) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(part->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (part->refuse || (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (fd != -1)
			close(fd);
		ipc_msg_init(&r, MSG_API_REFUSED, 0);
		ipc_put_u32(&r, id);
		ipc_put_str(&r, part->refuse ? "refused by the test" :
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

/* the worker is done: so is agentd's part */
static void
agentd_gone(struct ipc_chan *c, const char *reason, void *arg)
{
	_exit(0);
}

static void
chan_error(struct ipc_chan *c, const char *reason, void *arg)
{
	errx(3, "channel %s: %s", ipc_chan_name(c), reason);
}

static void
agentd_run(int fd)
{
	struct event_base *base;
	struct ipc_chan *c;
	struct ipc_msg m;

	if ((base = event_base_new()) == NULL)
		errx(3, "event_base_new");
	c = ipc_chan_new(base, fd, "agentd", agentd_tab, nitems(agentd_tab),
	    agentd_gone, NULL);
	ipc_msg_init(&m, MSG_API_CREDS, 0);
	ipc_put_str(&m, part->host);
	ipc_put_u32(&m, part->port);
	ipc_put_str(&m, part->server_name);
	ipc_put_u32(&m, part->flags);
	ipc_put_bytes(&m, part->ca != NULL ? part->ca : "", part->calen);
	ipc_put_bytes(&m, "", 0);
	ipc_put_str(&m, part->token);
	ipc_send(c, &m);
	event_base_dispatch(base);
	_exit(0);
}

void
agentd_part_start(const struct agentd_part *p)
{
	int sv[2];
	pid_t pid;

	part = p;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(3, "socketpair");
	if ((pid = fork()) == -1)
		err(3, "fork");
	if (pid == 0) {
		close(sv[1]);
		agentd_run(sv[0]);
	}
	close(sv[0]);
	if ((wenv->base = event_base_new()) == NULL)
		errx(3, "event_base_new");
	wenv->parent = ipc_chan_new(wenv->base, sv[1], "worker", worker_tab,
	    nitems(worker_tab), chan_error, NULL);
}

char *
tool_slurp(const char *path, size_t *lenp)
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
