/*
 * apisource_run: the watcher's API source (workers/watcher/apisource.c)
 * over the real API client, against the test API server, for
 * tests/test_apisource_live.py.  agentd's part (MSG_API_CREDS, the socket
 * grants) runs in a child over a socketpair, as tests/tools/apiget.c does
 * it; the reflector, the client, TLS and the decoders are the real code.
 *
 *   apisource_run -c CA -t TOKEN -N NODE [-T SECONDS] HOST PORT
 *
 * Each time the source says its pods changed, stdout gets the table:
 *	set synced=S pods=N rv=RV
 *	pod NS/NAME uid=UID grace=G deleting=D image=IMAGE	(N lines)
 *	end
 * and each refusal "reject FILE FIELD: REASON".  It ends after SECONDS
 * (default 60); the reflector's log lines go to stderr.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "apiclient.h"
#include "apisource.h"
#include "ipc.h"
#include "log.h"
#include "worker.h"

static struct worker_env	 wenv_;
struct worker_env		*wenv = &wenv_;
static int			 port;
static const char		*node = "n1";
static struct event		*timer;

static char *
read_file(const char *path, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(2, "%s", path);
	do {
		if (len == cap && (buf = realloc(buf, cap += 65536)) == NULL)
			err(2, "realloc");
		n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += n;
	} while (n > 0);
	close(fd);
	*lenp = len;
	return buf;
}

/* ---- agentd's part: a socket to 127.0.0.1:PORT for each request ---- */

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
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (fd != -1)
			close(fd);
		ipc_msg_init(&r, MSG_API_REFUSED, 0);
		ipc_put_u32(&r, id);
		ipc_put_str(&r, "connect failed");
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

static void
agentd_gone(struct ipc_chan *c, const char *reason, void *arg)
{
	_exit(0);
}

static void
agentd_part(int fd, const char *host, const char *ca, size_t calen,
    const char *token)
{
	struct ipc_chan *c;
	struct ipc_msg m;

	if ((wenv->base = event_base_new()) == NULL)
		errx(3, "event_base_new");
	c = ipc_chan_new(wenv->base, fd, "agentd", agentd_tab,
	    nitems(agentd_tab), agentd_gone, NULL);
	ipc_msg_init(&m, MSG_API_CREDS, 0);
	ipc_put_str(&m, host);
	ipc_put_u32(&m, port);
	ipc_put_str(&m, "");
	ipc_put_u32(&m, 0);
	ipc_put_bytes(&m, ca, calen);
	ipc_put_bytes(&m, "", 0);
	ipc_put_str(&m, token);
	ipc_send(c, &m);
	event_base_dispatch(wenv->base);
	_exit(0);
}

/* ---- the worker's part: the source and its hooks ---- */

static void
print_table(void)
{
	struct apisource_pod *e;
	const struct pod *p;
	size_t i;

	printf("set synced=%d pods=%zu rv=%s\n", apisource_synced(),
	    apisource_count(), apisource_rv());
	for (i = 0; i < apisource_count(); i++) {
		e = apisource_pod(i);
		p = &e->ref->pod;
		printf("pod %s/%s uid=%s grace=%lld deleting=%d image=%s\n",
		    p->namespace, p->name, p->uid,
		    (long long)p->termination_grace_seconds, e->deleting,
		    p->n_containers ? p->containers[0].image : "");
	}
	printf("end\n");
	fflush(stdout);
}

static void
reject(const char *file, const char *field, const char *reason)
{
	printf("reject %s %s: %s\n", file, field, reason);
	fflush(stdout);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
rnd(void)
{
	return arc4random();
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	apisource_timer();
}

static void
arm(uint64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(timer, &tv);
}

static const struct apisource_hooks hooks = {
	print_table, reject, now_ms, rnd, arm
};

static void
ready(void)
{
	if (apisource_start(node, &hooks) == -1)
		errx(3, "apisource_start");
}

static void
chan_error(struct ipc_chan *c, const char *reason, void *arg)
{
	errx(3, "channel %s: %s", ipc_chan_name(c), reason);
}

static const struct ipc_dispatch worker_tab[] = {
	APICLIENT_PARENT_ROWS
};

int
main(int argc, char *argv[])
{
	const char *ca = NULL, *token = "";
	struct timeval end = { 60, 0 };
	char *cabuf = NULL;
	size_t calen = 0;
	int sv[2], ch;
	pid_t pid;

	while ((ch = getopt(argc, argv, "c:N:T:t:")) != -1)
		switch (ch) {
		case 'c': ca = optarg; break;
		case 'N': node = optarg; break;
		case 'T': end.tv_sec = atoi(optarg); break;
		case 't': token = optarg; break;
		default: return 2;
		}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		errx(2, "usage: apisource_run -c CA -t TOKEN -N NODE "
		    "[-T SECONDS] HOST PORT");
	port = atoi(argv[1]);
	log_init("apisource_run", 1, 0);
	apiclient_init();
	if (ca != NULL)
		cabuf = read_file(ca, &calen);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(3, "socketpair");
	if ((pid = fork()) == -1)
		err(3, "fork");
	if (pid == 0) {
		close(sv[1]);
		agentd_part(sv[0], argv[0], cabuf ? cabuf : "", calen, token);
	}
	close(sv[0]);
	if ((wenv->base = event_base_new()) == NULL)
		errx(3, "event_base_new");
	if ((timer = evtimer_new(wenv->base, timer_cb, NULL)) == NULL)
		errx(3, "evtimer_new");
	wenv->parent = ipc_chan_new(wenv->base, sv[1], "worker", worker_tab,
	    nitems(worker_tab), chan_error, NULL);
	apiclient_on_ready(wenv, ready);
	event_base_loopexit(wenv->base, &end);
	event_base_dispatch(wenv->base);
	apisource_stop();
	free(cabuf);
	return 0;
}
