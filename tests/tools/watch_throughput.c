/*
 * watch_throughput: pod events per second through the watcher's path for
 * an API watch (issue 12, item 7a), from a recorded stream: the HTTP/1.1
 * response framing and chunked decoding (apihttp), one JSON event per
 * line and its conversion to the pod model (apiwatch), the podwire
 * encoding of MSG_POD_DESIRED, and with -s its send over a socketpair to
 * a child that reads and drops it, as the watcher sends to the executor.
 *
 *   watch_throughput [-s] [-r REPEAT] [-p PIECE] FILE
 *	FILE: a raw HTTP response (status line, headers, chunked body of
 *	watch events), read into memory first so the disk is not measured,
 *	then fed REPEAT times (default 1) in PIECE-byte pieces (default
 *	16384, one TLS record).  Prints one line:
 *	events=N refused=N seconds=S events_per_s=E in_mb_per_s=M
 *	wire_bytes=B
 *	exit 1 if the stream does not decode to the end, 2: usage.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apiwatch.h"
#include "ipc.h"
#include "msgcat.h"
#include "pod.h"

#define MAX_INPUT	(1024L * 1024 * 1024)	/* a recorded stream */
#define MAX_PIECE	(1024 * 1024)

struct count {
	unsigned long	 events, refused;
	uint64_t	 wire_bytes;
	int		 fd;		/* -1: encode only */
};

static int
on_event(void *arg, struct apiwatch_event *ev)
{
	struct count *c = arg;
	struct ipc_msg m;

	if (ev->type != APIWATCH_ADDED && ev->type != APIWATCH_MODIFIED)
		return 0;
	if (!ev->pod_ok) {
		c->refused++;
		return 0;
	}
	ipc_msg_init(&m, MSG_POD_DESIRED, 0);
	if (podwire_put_pod(&m, &ev->pod) == -1) {
		ipc_msg_free(&m);
		c->refused++;
		return 0;
	}
	c->wire_bytes += m.len;
	c->events++;
	if (c->fd == -1) {
		ipc_msg_free(&m);
		return 0;
	}
	/* consumes m */
	if (ipc_write_msg(c->fd, &m) == -1)
		err(1, "send");
	return 0;
}

static uint8_t *
read_all(const char *path, size_t *lenp)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		err(2, "%s", path);
	if (st.st_size <= 0 || st.st_size > MAX_INPUT)
		errx(2, "%s: size %lld is not in 1..%ld", path,
		    (long long)st.st_size, MAX_INPUT);
	if ((buf = malloc(st.st_size)) == NULL)
		err(2, "malloc");
	while (off < (size_t)st.st_size &&
	    (n = read(fd, buf + off, st.st_size - off)) > 0)
		off += n;
	if (off != (size_t)st.st_size)
		errx(2, "%s: short read", path);
	close(fd);
	*lenp = off;
	return buf;
}

/* one pass over the stream; 0, or -1 with the decoder's reason printed */
static int
feed(const uint8_t *buf, size_t len, size_t piece, struct count *c)
{
	struct apihttp h;
	struct apiwatch w;
	size_t off, n;
	int rc = 0;

	apiwatch_init(&w, 0, on_event, c);
	apihttp_init(&h, 0, apiwatch_body, &w);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < piece ? len - off : piece;
		rc = apihttp_feed(&h, buf + off, n);
	}
	if (rc == 0)
		rc = apihttp_eof(&h);
	if (rc == 0 && h.streaming)
		rc = apiwatch_end(&w);
	if (rc == 0 && (!h.streaming || h.status != 200)) {
		fprintf(stderr, "watch_throughput: HTTP status %d, not a "
		    "watch stream\n", h.status);
		rc = -1;
	} else if (rc == -1)
		fprintf(stderr, "watch_throughput: %s\n",
		    w.failed ? w.error : h.error);
	apihttp_free(&h);
	apiwatch_free(&w);
	return rc;
}

/* the executor's end: read and drop until the watcher's end closes */
static pid_t
start_sink(int *fdp)
{
	static uint8_t drop[256 * 1024];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(2, "socketpair");
	if ((pid = fork()) == -1)
		err(2, "fork");
	if (pid == 0) {
		close(sv[0]);
		while (read(sv[1], drop, sizeof(drop)) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	*fdp = sv[0];
	return pid;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: watch_throughput [-s] [-r REPEAT] "
	    "[-p PIECE] FILE\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct count c = { .fd = -1 };
	unsigned long repeat = 1, i;
	size_t len, piece = 16384;
	pid_t sink = -1;
	uint8_t *buf;
	double t0, dt;
	int ch, send = 0, rc = 0;

	while ((ch = getopt(argc, argv, "sr:p:")) != -1) {
		switch (ch) {
		case 's':
			send = 1;
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			if (repeat < 1 || repeat > 1000)
				errx(2, "-r: 1..1000");
			break;
		case 'p':
			piece = strtoul(optarg, NULL, 10);
			if (piece < 1 || piece > MAX_PIECE)
				errx(2, "-p: 1..%d", MAX_PIECE);
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	buf = read_all(argv[optind], &len);
	if (send)
		sink = start_sink(&c.fd);
	t0 = now_s();
	for (i = 0; i < repeat && rc == 0; i++)
		rc = feed(buf, len, piece, &c);
	dt = now_s() - t0;
	if (sink != -1) {
		close(c.fd);
		waitpid(sink, NULL, 0);
	}
	free(buf);
	if (rc == -1)
		return 1;
	printf("events=%lu refused=%lu seconds=%.6f events_per_s=%.0f "
	    "in_mb_per_s=%.1f wire_bytes=%llu\n", c.events, c.refused, dt,
	    c.events / dt, (double)len * repeat / dt / 1e6,
	    (unsigned long long)c.wire_bytes);
	return 0;
}
