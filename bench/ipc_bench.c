/*
 * ipc_bench: what agentd's IPC channel costs next to the cheapest thing
 * two processes can do, a plain pipe.
 *
 * Two processes over a socketpair, both ends running the real channel
 * code (ipc_chan on libevent, ipc_send/ipc_compose, dispatch tables):
 *   - round-trip latency: RTT_ROUNDS ping-pongs with a RTT_PAYLOAD-byte
 *     payload, median and p99;
 *   - one-way throughput for 64 B, 1 KiB and 64 KiB payloads: messages/s
 *     and MB/s (10^6 bytes of payload) until the receiver acknowledges
 *     the last one; median of REPEATS runs.
 * The floor, measured the same way: two pipes for the ping-pong (write
 * and read of the same payload size), and for throughput one write() per
 * message of the same size with the reader draining in large reads; the
 * pipe is grown to 1 MiB (F_SETPIPE_SZ) so that it is not penalised by
 * its 64 KiB default next to the socketpair's larger buffer.
 * "ipc/pipe" is the time ratio: how many times longer the channel takes.
 *
 * Build (no Makefile rule needed), from the top of the tree:
 *   cc -O2 -g -std=gnu11 -Iinclude -D_GNU_SOURCE -o build/bench/ipc_bench \
 *     bench/ipc_bench.c ipc/ipc.c ipc/msgcat.c -levent
 * Run: build/bench/ipc_bench [-q]	(-q: a tenth of the work, for smoke runs)
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"

#define RTT_ROUNDS	100000
#define RTT_WARMUP	1000
#define RTT_PAYLOAD	16
#define REPEATS		5
#define SEND_HIGH_WATER	(1024 * 1024)	/* queue this much, then wait */
#define PIPE_READ_CHUNK	(256 * 1024)
#define PIPE_BUF_BYTES	(1024 * 1024)	/* default fs.pipe-max-size */

/* bench-local message types: both tables are ours */
enum {
	B_PING = 1,
	B_PONG,
	B_SETUP,	/* u64 messages to expect */
	B_DATA,
	B_ACK
};

struct tput_case {
	size_t		 size;
	uint64_t	 count;
};

static const struct tput_case tput_cases[] = {
	{ 64,		1000000 },
	{ 1024,		500000 },
	{ 64 * 1024,	20000 },
};
#define NCASES	(sizeof(tput_cases) / sizeof(tput_cases[0]))

static int	quick;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(double *v, size_t n, double pct)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(pct / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static uint64_t
scaled(uint64_t n)
{
	return quick ? (n / 10 ? n / 10 : 1) : n;
}

/* ---- the ipc peer (child): echoes pings, counts data, acks ---- */

struct peer {
	struct event_base	*base;
	uint64_t		 expect;
	uint64_t		 got;
};

static int
peer_ping(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return ipc_compose(c, B_PONG, m->id, -1, m->data, m->len);
}

static int
peer_setup(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct peer *p = arg;

	if (ipc_get_u64(m, &p->expect) == -1 || ipc_get_end(m) == -1)
		return -1;
	p->got = 0;
	return 0;
}

static int
peer_data(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct peer *p = arg;

	if (++p->got == p->expect)
		return ipc_compose(c, B_ACK, 0, -1, NULL, 0);
	return 0;
}

static void
peer_gone(struct ipc_chan *c, const char *reason, void *arg)
{
	struct peer *p = arg;

	event_base_loopbreak(p->base);
}

static const struct ipc_dispatch peer_tab[] = {
	{ B_PING,	0, IPC_F_ANYSTATE, peer_ping },
	{ B_SETUP,	0, IPC_F_ANYSTATE, peer_setup },
	{ B_DATA,	0, IPC_F_ANYSTATE, peer_data },
};

static void __attribute__((noreturn))
ipc_peer_main(int fd)
{
	struct peer p;
	struct ipc_chan *c;

	memset(&p, 0, sizeof(p));
	if ((p.base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if ((c = ipc_chan_new(p.base, fd, "bench-peer", peer_tab,
	    sizeof(peer_tab) / sizeof(peer_tab[0]), peer_gone, &p)) == NULL)
		errx(1, "ipc_chan_new");
	event_base_dispatch(p.base);
	ipc_chan_free(c);
	event_base_free(p.base);
	_exit(0);
}

/* ---- the ipc driver (parent) ---- */

struct driver {
	struct event_base	*base;
	struct ipc_chan		*chan;
	double			*rtt;
	uint64_t		 rounds;
	uint64_t		 done_rounds;
	double			 t0;
	int			 acked;
	int			 failed;
};

static int
send_ping(struct driver *d)
{
	uint8_t payload[RTT_PAYLOAD];

	memset(payload, 0xa5, sizeof(payload));
	memcpy(payload, &d->done_rounds, sizeof(d->done_rounds));
	d->t0 = now_s();
	return ipc_compose(d->chan, B_PING, (uint32_t)d->done_rounds, -1,
	    payload, sizeof(payload));
}

static int
drv_pong(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct driver *d = arg;
	double t = now_s();

	if (m->len != RTT_PAYLOAD)
		return -1;
	if (d->done_rounds >= RTT_WARMUP)
		d->rtt[d->done_rounds - RTT_WARMUP] = t - d->t0;
	if (++d->done_rounds == d->rounds + RTT_WARMUP) {
		event_base_loopbreak(d->base);
		return 0;
	}
	return send_ping(d);
}

static int
drv_ack(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct driver *d = arg;

	d->acked = 1;
	event_base_loopbreak(d->base);
	return 0;
}

static void
drv_error(struct ipc_chan *c, const char *reason, void *arg)
{
	struct driver *d = arg;

	warnx("ipc channel failed: %s", reason);
	d->failed = 1;
	event_base_loopbreak(d->base);
}

static const struct ipc_dispatch drv_tab[] = {
	{ B_PONG,	0, IPC_F_ANYSTATE, drv_pong },
	{ B_ACK,	0, IPC_F_ANYSTATE, drv_ack },
};

static void
ipc_rtt(struct driver *d, double *median, double *p99)
{
	d->rounds = scaled(RTT_ROUNDS);
	d->done_rounds = 0;
	if ((d->rtt = calloc(d->rounds, sizeof(*d->rtt))) == NULL)
		err(1, "calloc");
	if (send_ping(d) == -1)
		errx(1, "ipc_compose");
	event_base_dispatch(d->base);
	if (d->failed || d->done_rounds != d->rounds + RTT_WARMUP)
		errx(1, "ipc ping-pong did not complete");
	*median = percentile(d->rtt, d->rounds, 50);
	*p99 = percentile(d->rtt, d->rounds, 99);
	free(d->rtt);
}

/* seconds to deliver count messages of size bytes, acknowledged */
static double
ipc_oneway(struct driver *d, size_t size, uint64_t count)
{
	struct ipc_msg m;
	uint8_t *payload;
	uint64_t i;
	double t0;

	if ((payload = malloc(size)) == NULL)
		err(1, "malloc");
	memset(payload, 0x5a, size);
	ipc_msg_init(&m, B_SETUP, 0);
	ipc_put_u64(&m, count);
	if (ipc_send(d->chan, &m) == -1)
		errx(1, "ipc_send");
	d->acked = 0;
	t0 = now_s();
	for (i = 0; i < count && !d->failed; i++) {
		if (ipc_compose(d->chan, B_DATA, (uint32_t)i, -1, payload,
		    size) == -1)
			errx(1, "ipc_compose failed at message %llu",
			    (unsigned long long)i);
		/* the sender never blocks: it waits here, in the loop */
		while (ipc_chan_queued(d->chan) > SEND_HIGH_WATER &&
		    !d->failed)
			event_base_loop(d->base, EVLOOP_ONCE);
	}
	while (!d->acked && !d->failed)
		event_base_loop(d->base, EVLOOP_ONCE);
	if (d->failed)
		errx(1, "ipc one-way run failed");
	free(payload);
	return now_s() - t0;
}

/* ---- the pipe floor ---- */

/* 0, or -1 at EOF */
static int
read_exact(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, b, n)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			if (r == 0)
				return -1;
			err(1, "read");
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
write_exact(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		b += w;
		n -= (size_t)w;
	}
}

/* child: echo fixed-size pings until EOF */
static void __attribute__((noreturn))
pipe_echo_main(int in, int out)
{
	uint8_t buf[RTT_PAYLOAD];

	while (read_exact(in, buf, sizeof(buf)) == 0)
		write_exact(out, buf, sizeof(buf));
	_exit(0);
}

/* child: per run, read a u64 byte total, drain it, ack one byte */
static void __attribute__((noreturn))
pipe_sink_main(int in, int out)
{
	uint64_t total;
	uint8_t *buf;
	ssize_t r;

	if ((buf = malloc(PIPE_READ_CHUNK)) == NULL)
		err(1, "malloc");
	while (read_exact(in, &total, sizeof(total)) == 0) {
		while (total > 0) {
			r = read(in, buf, total < PIPE_READ_CHUNK ? total :
			    PIPE_READ_CHUNK);
			if (r <= 0)
				err(1, "read");
			total -= (uint64_t)r;
		}
		write_exact(out, "", 1);
	}
	_exit(0);
}

struct pipe_peer {
	pid_t	pid;
	int	to;	/* parent writes */
	int	from;	/* parent reads */
};

static void
pipe_peer_start(struct pipe_peer *pp, void (*fn)(int, int)
    __attribute__((noreturn)))
{
	int a[2], b[2];

	if (pipe(a) == -1 || pipe(b) == -1)
		err(1, "pipe");
	if ((pp->pid = fork()) == -1)
		err(1, "fork");
	if (pp->pid == 0) {
		close(a[1]);
		close(b[0]);
		fn(a[0], b[1]);
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	/* as much buffering as the socketpair has, or the pipe is no floor */
	if (fcntl(a[1], F_SETPIPE_SZ, PIPE_BUF_BYTES) == -1)
		warn("F_SETPIPE_SZ %d", PIPE_BUF_BYTES);
	pp->to = a[1];
	pp->from = b[0];
}

static void
pipe_peer_stop(struct pipe_peer *pp)
{
	int status;

	close(pp->to);
	close(pp->from);
	if (waitpid(pp->pid, &status, 0) == -1)
		err(1, "waitpid");
}

static void
pipe_rtt(double *median, double *p99)
{
	struct pipe_peer pp;
	uint8_t buf[RTT_PAYLOAD];
	uint64_t i, rounds = scaled(RTT_ROUNDS);
	double *rtt, t0;

	if ((rtt = calloc(rounds, sizeof(*rtt))) == NULL)
		err(1, "calloc");
	pipe_peer_start(&pp, pipe_echo_main);
	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < rounds + RTT_WARMUP; i++) {
		t0 = now_s();
		write_exact(pp.to, buf, sizeof(buf));
		if (read_exact(pp.from, buf, sizeof(buf)) == -1)
			errx(1, "pipe echo peer went away");
		if (i >= RTT_WARMUP)
			rtt[i - RTT_WARMUP] = now_s() - t0;
	}
	pipe_peer_stop(&pp);
	*median = percentile(rtt, rounds, 50);
	*p99 = percentile(rtt, rounds, 99);
	free(rtt);
}

static double
pipe_oneway(struct pipe_peer *pp, size_t size, uint64_t count)
{
	uint64_t i, total = size * count;
	uint8_t *payload, ack;
	double t0;

	if ((payload = malloc(size)) == NULL)
		err(1, "malloc");
	memset(payload, 0x5a, size);
	write_exact(pp->to, &total, sizeof(total));
	t0 = now_s();
	for (i = 0; i < count; i++)
		write_exact(pp->to, payload, size);
	if (read_exact(pp->from, &ack, 1) == -1)
		errx(1, "pipe sink peer went away");
	free(payload);
	return now_s() - t0;
}

/* ---- report ---- */

static double
median_of(double *v, int n)
{
	return percentile(v, (size_t)n, 50);
}

static void
row(const char *what, double ipc, double pipe_, const char *unit,
    double ratio)
{
	printf("%-26s %14.2f %14.2f   %-9s %6.2fx\n", what, ipc, pipe_, unit,
	    ratio);
}

int
main(int argc, char *argv[])
{
	struct driver d;
	struct pipe_peer pp;
	double ipc_med, ipc_p99, pipe_med, pipe_p99;
	double ipc_t[NCASES][REPEATS], pipe_t[NCASES][REPEATS];
	double it, pt;
	uint64_t count;
	char label[64];
	int sv[2], status, r;
	size_t k;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "-q") == 0)
		quick = 1;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* the ipc channel pair */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(1, "socketpair");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		close(sv[0]);
		ipc_peer_main(sv[1]);
	}
	close(sv[1]);
	memset(&d, 0, sizeof(d));
	if ((d.base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if ((d.chan = ipc_chan_new(d.base, sv[0], "bench", drv_tab,
	    sizeof(drv_tab) / sizeof(drv_tab[0]), drv_error, &d)) == NULL)
		errx(1, "ipc_chan_new");

	ipc_rtt(&d, &ipc_med, &ipc_p99);
	pipe_rtt(&pipe_med, &pipe_p99);
	pipe_peer_start(&pp, pipe_sink_main);
	for (r = 0; r < REPEATS; r++)
		for (k = 0; k < NCASES; k++) {
			count = scaled(tput_cases[k].count);
			ipc_t[k][r] = ipc_oneway(&d, tput_cases[k].size, count);
			pipe_t[k][r] = pipe_oneway(&pp, tput_cases[k].size,
			    count);
		}
	pipe_peer_stop(&pp);
	ipc_chan_free(d.chan);
	event_base_free(d.base);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");

	printf("ipc channel (socketpair + libevent, real ipc.c) vs plain pipe;"
	    " %s\n", quick ? "QUICK run (-q)" : "full run");
	printf("%-26s %14s %14s   %-9s %7s\n", "", "ipc", "pipe", "unit",
	    "ipc/pipe");
	snprintf(label, sizeof(label), "rtt %d B, median", RTT_PAYLOAD);
	row(label, ipc_med * 1e6, pipe_med * 1e6, "us", ipc_med / pipe_med);
	snprintf(label, sizeof(label), "rtt %d B, p99", RTT_PAYLOAD);
	row(label, ipc_p99 * 1e6, pipe_p99 * 1e6, "us", ipc_p99 / pipe_p99);
	for (k = 0; k < NCASES; k++) {
		count = scaled(tput_cases[k].count);
		it = median_of(ipc_t[k], REPEATS);
		pt = median_of(pipe_t[k], REPEATS);
		if (tput_cases[k].size >= 1024)
			snprintf(label, sizeof(label), "one-way %zu KiB",
			    tput_cases[k].size / 1024);
		else
			snprintf(label, sizeof(label), "one-way %zu B",
			    tput_cases[k].size);
		row(label, (double)count / it, (double)count / pt, "msgs/s",
		    it / pt);
		row(label, (double)(count * tput_cases[k].size) / it / 1e6,
		    (double)(count * tput_cases[k].size) / pt / 1e6, "MB/s",
		    it / pt);
	}
	printf("rtt: %llu rounds after %d warm-up; one-way: median of %d runs"
	    " of %llu/%llu/%llu messages\n",
	    (unsigned long long)scaled(RTT_ROUNDS), RTT_WARMUP, REPEATS,
	    (unsigned long long)scaled(tput_cases[0].count),
	    (unsigned long long)scaled(tput_cases[1].count),
	    (unsigned long long)scaled(tput_cases[2].count));
	return 0;
}
