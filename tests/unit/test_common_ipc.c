/*
 * ipc.c: typed marshalling, framing, channels on libevent, fd passing,
 * dispatch-table enforcement and the blocking helpers.
 *
 * Channel tests put an ipc channel on one end of a socketpair and a raw
 * writer (or a second channel) on the other, then run the event loop a
 * bounded number of times until a condition holds.  Every test arms an
 * alarm so that a channel that blocks fails the test instead of hanging.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "ipc.h"
#include "msgcat.h"
#include "msgschema.h"
#include "tap.h"

#define TEST_ALARM_SECONDS	120
#define RUN_MAX_MS		10000	/* bound on any run_until() */
#define RX_MAX_SEQS		4096
#define RX_MAX_PAYLOAD		(64 * 1024)

/* channel states for the state-restricted row */
#define ST_INIT			0
#define ST_RUNNING		1
#define ST_HIGH			8

struct rx {
	int		 nmsg;		/* handler calls */
	int		 nerr;		/* error callback calls */
	char		 reason[256];
	uint32_t	 last_type;
	uint32_t	 last_id;
	uint32_t	 last_pid;
	uint8_t		*last_payload;
	size_t		 last_len;
	uint64_t	 seqs[RX_MAX_SEQS];
	int		 nseqs;
	int		 last_fd;
	int		 free_in_errcb;
	struct ipc_chan	*chan;		/* NULL once the test freed it */
};

struct fix {
	struct event_base	*base;
	int			 raw;	/* the peer end, written by hand */
	struct rx		 rx;
};

static int	h_record(struct ipc_chan *, struct ipc_msg *, void *);
static int	h_fd(struct ipc_chan *, struct ipc_msg *, void *);
static int	h_reject(struct ipc_chan *, struct ipc_msg *, void *);
static int	h_free_chan(struct ipc_chan *, struct ipc_msg *, void *);

static const struct ipc_dispatch rx_tab[] = {
	{ MSG_PING,		0,		IPC_F_ANYSTATE,	h_record },
	{ MSG_PONG,		0,		IPC_F_ANYSTATE,	h_record },
	{ MSG_HELLO,		IPC_F_ONCE,	IPC_F_ANYSTATE,	h_record },
	{ MSG_PEER_CONNECT,	IPC_F_FD,	IPC_F_ANYSTATE,	h_fd },
	{ MSG_POD_SPEC,		0,		1u << ST_RUNNING, h_record },
	{ MSG_PODSET_END,	0,		1u << ST_HIGH,	h_record },
	{ MSG_SHUTDOWN,		0,		IPC_F_ANYSTATE,	h_reject },
	{ MSG_TEST_HOOK,	0,		IPC_F_ANYSTATE,	h_free_chan },
};
#define RX_TAB_N	(sizeof(rx_tab) / sizeof(rx_tab[0]))

/* ---- handlers and callbacks ---- */

static int
h_record(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct rx *rx = arg;
	uint64_t seq;

	rx->nmsg++;
	rx->last_type = m->type;
	rx->last_id = m->id;
	rx->last_pid = m->pid;
	free(rx->last_payload);
	rx->last_payload = malloc(m->len ? m->len : 1);
	REQUIRE(rx->last_payload != NULL);
	if (m->len > 0)
		memcpy(rx->last_payload, m->data, m->len);
	rx->last_len = m->len;
	if (m->len >= sizeof(seq) && rx->nseqs < RX_MAX_SEQS) {
		memcpy(&seq, m->data, sizeof(seq));
		rx->seqs[rx->nseqs++] = seq;
	}
	return 0;
}

static int
h_fd(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct rx *rx = arg;
	uint32_t role;

	rx->nmsg++;
	rx->last_type = m->type;
	if (ipc_get_u32(m, &role) == -1 || ipc_get_end(m) == -1)
		return -1;
	rx->last_fd = ipc_take_fd(m);
	return 0;
}

static int
h_reject(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct rx *rx = arg;

	rx->nmsg++;
	return -1;
}

static int
h_free_chan(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct rx *rx = arg;

	rx->nmsg++;
	rx->last_type = m->type;
	ipc_chan_free(c);
	rx->chan = NULL;
	return 0;
}

static void
on_error(struct ipc_chan *c, const char *reason, void *arg)
{
	struct rx *rx = arg;

	rx->nerr++;
	snprintf(rx->reason, sizeof(rx->reason), "%s", reason);
	if (rx->free_in_errcb) {
		ipc_chan_free(c);
		rx->chan = NULL;
	}
}

/* ---- fixture ---- */

static void
rx_init(struct rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->last_fd = -1;
}

static void
fix_open(struct fix *f)
{
	int sv[2];

	alarm(TEST_ALARM_SECONDS);
	memset(f, 0, sizeof(*f));
	rx_init(&f->rx);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE((f->base = event_base_new()) != NULL);
	f->rx.chan = ipc_chan_new(f->base, sv[0], "test", rx_tab, RX_TAB_N,
	    on_error, &f->rx);
	REQUIRE(f->rx.chan != NULL);
	f->raw = sv[1];
}

static void
fix_close(struct fix *f)
{
	if (f->rx.chan != NULL)
		ipc_chan_free(f->rx.chan);
	if (f->raw != -1)
		close(f->raw);
	if (f->rx.last_fd != -1)
		close(f->rx.last_fd);
	free(f->rx.last_payload);
	event_base_free(f->base);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
}

/*
 * Run the loop until pred holds or max_ms pass; a short timer bounds each
 * iteration so that the loop never blocks on a silent peer.
 */
static int
run_until(struct event_base *base, int (*pred)(void *), void *arg, long max_ms)
{
	struct timeval tv = { 0, 2000 };
	struct event *tick;
	long start = now_ms();
	int ok;

	REQUIRE((tick = evtimer_new(base, tick_cb, NULL)) != NULL);
	while (!(ok = pred(arg)) && now_ms() - start < max_ms) {
		evtimer_add(tick, &tv);
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(tick);
	return ok;
}

/* a few non-blocking iterations: lets anything pending happen */
static void
run_idle(struct event_base *base, int n)
{
	while (n-- > 0)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static int
pred_err(void *arg)
{
	return ((struct rx *)arg)->nerr > 0;
}

static int
pred_msg(void *arg)
{
	return ((struct rx *)arg)->nmsg > 0;
}

struct want {
	struct rx	*rx;
	int		 n;
};

static int
pred_nmsg(void *arg)
{
	struct want *w = arg;

	return w->rx->nmsg >= w->n || w->rx->nerr > 0;
}

/* header + payload into buf; payload may be NULL (header only) */
static size_t
raw_frame(uint8_t *buf, uint32_t type, uint32_t len, uint32_t flags,
    const void *payload)
{
	uint32_t id = 7, pid = 1234;

	memcpy(buf, &type, 4);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + 8, &id, 4);
	memcpy(buf + 12, &pid, 4);
	memcpy(buf + 16, &flags, 4);
	if (payload != NULL && len > 0)
		memcpy(buf + IPC_HDR_SIZE, payload, len);
	return IPC_HDR_SIZE + (payload != NULL ? len : 0);
}

static void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, b, n);
		REQUIRE(w > 0);
		b += w;
		n -= (size_t)w;
	}
}

/* one sendmsg carrying bytes and one fd, as a misbehaving peer might */
static void
raw_send_with_fd(int sock, const void *p, size_t n, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)p;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	REQUIRE(sendmsg(sock, &mh, 0) == (ssize_t)n);
}

static int
ioctl_fionread_ok(int fd, int *avail)
{
	return ioctl(fd, FIONREAD, avail) == 0;
}

/* the other end closed its socket: a non-blocking read sees EOF */
static int
peer_closed(int fd)
{
	char c;

	REQUIRE(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
	return read(fd, &c, 1) == 0;
}

static int
count_open_fds(void)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	REQUIRE((d = opendir("/proc/self/fd")) != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* a message with the payload pattern used by the ordering tests */
static void
seq_msg(struct ipc_msg *m, uint32_t type, uint64_t seq, size_t len)
{
	uint8_t *pad;
	size_t i;

	ipc_msg_init(m, type, (uint32_t)seq);
	REQUIRE(len >= sizeof(seq) + 4);
	REQUIRE((pad = malloc(len)) != NULL);
	memcpy(pad, &seq, sizeof(seq));
	for (i = sizeof(seq); i < len; i++)
		pad[i] = (uint8_t)(seq + i);
	ipc_put_u64(m, seq);
	/* the remaining bytes as raw payload so that seq stays at offset 0 */
	REQUIRE(ipc_put_bytes(m, pad + sizeof(seq), len - sizeof(seq) - 4) ==
	    0);
	free(pad);
}

static int
seq_payload_ok(const uint8_t *p, size_t len, uint64_t seq)
{
	uint32_t n;
	size_t i;

	if (len < 12)
		return 0;
	memcpy(&n, p + 8, 4);
	if (n != len - 12)
		return 0;
	for (i = 0; i < n; i++)
		if (p[12 + i] != (uint8_t)(seq + sizeof(seq) + i))
			return 0;
	return 1;
}

/* ---- typed marshalling ---- */

TEST(test_u8_round_trip)
{
	struct ipc_msg m;
	uint8_t v;

	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_u8(&m, 0), 0);
	CHECK_EQ_INT(ipc_put_u8(&m, 0xff), 0);
	CHECK_EQ_INT(m.len, 2);
	CHECK_EQ_INT(ipc_get_u8(&m, &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(ipc_get_u8(&m, &v), 0);
	CHECK_EQ_INT(v, 0xff);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_u32_round_trip)
{
	struct ipc_msg m;
	uint32_t v;

	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_u32(&m, 0xdeadbeef), 0);
	CHECK_EQ_INT(ipc_put_u32(&m, UINT32_MAX), 0);
	CHECK_EQ_INT(m.len, 8);
	CHECK_EQ_INT(ipc_get_u32(&m, &v), 0);
	CHECK_EQ_INT(v, 0xdeadbeef);
	CHECK_EQ_INT(ipc_get_u32(&m, &v), 0);
	CHECK_EQ_INT(v, UINT32_MAX);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_u64_round_trip)
{
	struct ipc_msg m;
	uint64_t v;

	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_u64(&m, 0x0123456789abcdefULL), 0);
	CHECK_EQ_INT(ipc_put_u64(&m, UINT64_MAX), 0);
	CHECK_EQ_INT(ipc_get_u64(&m, &v), 0);
	CHECK(v == 0x0123456789abcdefULL);
	CHECK_EQ_INT(ipc_get_u64(&m, &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_i64_round_trip)
{
	struct ipc_msg m;
	int64_t v;

	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_i64(&m, -1), 0);
	CHECK_EQ_INT(ipc_put_i64(&m, INT64_MIN), 0);
	CHECK_EQ_INT(ipc_put_i64(&m, INT64_MAX), 0);
	CHECK_EQ_INT(ipc_get_i64(&m, &v), 0);
	CHECK_EQ_INT(v, -1);
	CHECK_EQ_INT(ipc_get_i64(&m, &v), 0);
	CHECK(v == INT64_MIN);
	CHECK_EQ_INT(ipc_get_i64(&m, &v), 0);
	CHECK(v == INT64_MAX);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_str_round_trip)
{
	struct ipc_msg m;
	char buf[64];

	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_str(&m, "hello"), 0);
	CHECK_EQ_INT(ipc_put_str(&m, ""), 0);
	CHECK_EQ_INT(ipc_put_str(&m, NULL), 0);
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "hello");
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_strdup_round_trip)
{
	struct ipc_msg m;
	char *s;

	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_str(&m, "namespace/name"), 0);
	s = ipc_get_strdup(&m, 64);
	CHECK_STR(s, "namespace/name");
	free(s);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_bytes_round_trip)
{
	struct ipc_msg m;
	const uint8_t in[5] = { 0, 1, 0, 0xff, 2 };
	uint8_t out[16];
	const uint8_t *ref;
	size_t n;

	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_bytes(&m, in, sizeof(in)), 0);
	CHECK_EQ_INT(ipc_put_bytes(&m, in, sizeof(in)), 0);
	CHECK_EQ_INT(ipc_put_bytes(&m, NULL, 0), 0);
	CHECK_EQ_INT(ipc_get_bytes(&m, out, sizeof(out), &n), 0);
	CHECK_EQ_INT(n, sizeof(in));
	CHECK(memcmp(out, in, sizeof(in)) == 0);
	CHECK_EQ_INT(ipc_get_bytes_ref(&m, &ref, sizeof(in), &n), 0);
	CHECK_EQ_INT(n, sizeof(in));
	CHECK(memcmp(ref, in, sizeof(in)) == 0);
	CHECK_EQ_INT(ipc_get_bytes(&m, out, sizeof(out), &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_bytes_over_max_fails)
{
	struct ipc_msg m;
	const uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t out[8];
	size_t n;

	ipc_msg_init(&m, 1, 0);
	ipc_put_bytes(&m, in, sizeof(in));
	CHECK_EQ_INT(ipc_get_bytes(&m, out, 7, &n), -1);
	m.off = 0;
	CHECK_EQ_INT(ipc_get_bytes(&m, out, 8, &n), 0);
	ipc_msg_free(&m);
}

TEST(test_count_round_trip)
{
	struct ipc_msg m;
	uint32_t n;

	ipc_msg_init(&m, 1, 0);
	ipc_put_u32(&m, 16);
	CHECK_EQ_INT(ipc_get_count(&m, &n, 16), 0);
	CHECK_EQ_INT(n, 16);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
}

TEST(test_get_count_over_max_fails)
{
	struct ipc_msg m;
	uint32_t n;

	ipc_msg_init(&m, 1, 0);
	ipc_put_u32(&m, 17);
	CHECK_EQ_INT(ipc_get_count(&m, &n, 16), -1);
	m.off = 0;
	ipc_put_u32(&m, UINT32_MAX);
	CHECK_EQ_INT(ipc_get_count(&m, &n, 17), 0);
	CHECK_EQ_INT(ipc_get_count(&m, &n, UINT32_MAX - 1), -1);
	ipc_msg_free(&m);
}

TEST(test_fd_put_and_take)
{
	struct ipc_msg m;
	int p[2], fd;

	REQUIRE(pipe(p) == 0);
	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(m.fd, -1);
	ipc_put_fd(&m, p[0]);
	fd = ipc_take_fd(&m);
	CHECK_EQ_INT(fd, p[0]);
	CHECK_EQ_INT(m.fd, -1);
	CHECK_EQ_INT(ipc_take_fd(&m), -1);
	ipc_msg_free(&m);
	/* the msg gave the fd away: it is still open */
	CHECK(fcntl(fd, F_GETFD) != -1);
	close(fd);
	close(p[1]);
}

TEST(test_msg_free_closes_owned_fd)
{
	struct ipc_msg m;
	int p[2];

	REQUIRE(pipe(p) == 0);
	ipc_msg_init(&m, 1, 0);
	ipc_put_fd(&m, p[0]);
	ipc_msg_free(&m);
	CHECK(fcntl(p[0], F_GETFD) == -1 && errno == EBADF);
	close(p[1]);
}

TEST(test_get_past_end_fails)
{
	struct ipc_msg m;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	char buf[8];
	uint8_t out[8];
	const uint8_t *ref;
	size_t n;

	ipc_msg_init(&m, 1, 0);
	ipc_put_u8(&m, 1);
	ipc_put_u8(&m, 2);
	ipc_put_u8(&m, 3);
	/* 3 bytes: too short for every wider type */
	CHECK_EQ_INT(ipc_get_u32(&m, &u32), -1);
	CHECK_EQ_INT(ipc_get_u64(&m, &u64), -1);
	CHECK_EQ_INT(ipc_get_i64(&m, &i64), -1);
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), -1);
	CHECK(ipc_get_strdup(&m, sizeof(buf)) == NULL);
	CHECK_EQ_INT(ipc_get_bytes(&m, out, sizeof(out), &n), -1);
	CHECK_EQ_INT(ipc_get_bytes_ref(&m, &ref, sizeof(out), &n), -1);
	CHECK_EQ_INT(ipc_get_count(&m, &u32, 100), -1);
	CHECK_EQ_INT(ipc_get_u8(&m, &u8), 0);
	CHECK_EQ_INT(ipc_get_u8(&m, &u8), 0);
	CHECK_EQ_INT(ipc_get_u8(&m, &u8), 0);
	CHECK_EQ_INT(ipc_get_u8(&m, &u8), -1);
	ipc_msg_free(&m);
}

TEST(test_get_str_length_past_end_fails)
{
	struct ipc_msg m;
	char buf[64];
	uint8_t out[64];
	size_t n;

	/* a length prefix promising more bytes than the payload has */
	ipc_msg_init(&m, 1, 0);
	ipc_put_u32(&m, 10);
	ipc_put_u8(&m, 'a');
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), -1);
	m.off = 0;
	CHECK_EQ_INT(ipc_get_bytes(&m, out, sizeof(out), &n), -1);
	ipc_msg_free(&m);
}

TEST(test_get_end_fails_on_trailing_bytes)
{
	struct ipc_msg m;
	uint32_t v;

	ipc_msg_init(&m, 1, 0);
	ipc_put_u32(&m, 1);
	ipc_put_u8(&m, 0);
	CHECK_EQ_INT(ipc_get_u32(&m, &v), 0);
	CHECK_EQ_INT(ipc_get_end(&m), -1);
	ipc_msg_free(&m);
}

TEST(test_get_str_at_max_minus_one_ok)
{
	struct ipc_msg m;
	char buf[8];
	char *s;

	ipc_msg_init(&m, 1, 0);
	ipc_put_str(&m, "1234567");	/* 7 bytes: fits buf[8] with NUL */
	ipc_put_str(&m, "1234567");
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1234567");
	s = ipc_get_strdup(&m, sizeof(buf));
	CHECK_STR(s, "1234567");
	free(s);
	ipc_msg_free(&m);
}

TEST(test_get_str_at_max_fails)
{
	struct ipc_msg m;
	char buf[9];

	memset(buf, 'x', sizeof(buf));
	ipc_msg_init(&m, 1, 0);
	ipc_put_str(&m, "12345678");	/* 8 bytes: no room for the NUL */
	CHECK_EQ_INT(ipc_get_str(&m, buf, 8), -1);
	CHECK_EQ_INT(buf[8], 'x');	/* nothing written past max */
	m.off = 0;
	CHECK(ipc_get_strdup(&m, 8) == NULL);
	m.off = 0;
	CHECK_EQ_INT(ipc_get_str(&m, buf, 0), -1);
	ipc_msg_free(&m);
}

TEST(test_get_str_with_nul_fails)
{
	struct ipc_msg m;
	char buf[16];

	ipc_msg_init(&m, 1, 0);
	ipc_put_bytes(&m, "ab\0cd", 5);
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), -1);
	m.off = 0;
	CHECK(ipc_get_strdup(&m, sizeof(buf)) == NULL);
	ipc_msg_free(&m);
	ipc_msg_init(&m, 1, 0);
	ipc_put_bytes(&m, "abc\0", 4);	/* a trailing NUL is still a NUL */
	CHECK_EQ_INT(ipc_get_str(&m, buf, sizeof(buf)), -1);
	ipc_msg_free(&m);
}

TEST(test_put_str_at_ipc_max_str_fails)
{
	struct ipc_msg m;
	char *s;

	REQUIRE((s = malloc(IPC_MAX_STR + 1)) != NULL);
	memset(s, 'a', IPC_MAX_STR);
	s[IPC_MAX_STR - 1] = '\0';
	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_str(&m, s), 0);
	CHECK_EQ_INT(m.err, 0);
	ipc_msg_free(&m);
	s[IPC_MAX_STR - 1] = 'a';
	s[IPC_MAX_STR] = '\0';
	ipc_msg_init(&m, 1, 0);
	CHECK_EQ_INT(ipc_put_str(&m, s), -1);
	CHECK_EQ_INT(m.err, EMSGSIZE);
	ipc_msg_free(&m);
	free(s);
}

TEST(test_put_beyond_max_payload_sets_err)
{
	struct ipc_msg m;
	uint8_t *big;

	REQUIRE((big = calloc(1, IPC_MAX_PAYLOAD)) != NULL);
	ipc_msg_init(&m, 1, 0);
	/* u32 length + bytes: exactly IPC_MAX_PAYLOAD is allowed */
	CHECK_EQ_INT(ipc_put_bytes(&m, big, IPC_MAX_PAYLOAD - 4), 0);
	CHECK_EQ_INT(m.len, IPC_MAX_PAYLOAD);
	CHECK_EQ_INT(m.err, 0);
	CHECK_EQ_INT(ipc_put_u8(&m, 0), -1);
	CHECK_EQ_INT(m.err, EMSGSIZE);
	CHECK_EQ_INT(m.len, IPC_MAX_PAYLOAD);
	/* sticky: even a put that would fit fails now */
	m.len -= 8;
	CHECK_EQ_INT(ipc_put_u32(&m, 0), -1);
	ipc_msg_free(&m);
	free(big);
}

/* ---- framing without a channel ---- */

TEST(test_frame_decode_valid_frame)
{
	uint8_t buf[64];
	struct ipc_msg m;
	uint32_t v;
	size_t n;

	v = 42;
	n = raw_frame(buf, MSG_PING, 4, 0, &v);
	CHECK_EQ_INT(ipc_frame_decode(buf, n, &m), 0);
	CHECK_EQ_INT(m.type, MSG_PING);
	CHECK_EQ_INT(m.id, 7);
	CHECK_EQ_INT(m.pid, 1234);
	CHECK_EQ_INT(m.len, 4);
	CHECK_EQ_INT(ipc_get_u32(&m, &v), 0);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);	/* borrowed data: must not be freed */
}

TEST(test_frame_decode_rejects_bad_frames)
{
	uint8_t buf[64];
	struct ipc_msg m;
	uint32_t v = 42;
	size_t n;

	n = raw_frame(buf, MSG_PING, 4, 0, &v);
	CHECK_EQ_INT(ipc_frame_decode(buf, IPC_HDR_SIZE - 1, &m), -1);
	CHECK_EQ_INT(ipc_frame_decode(buf, n - 1, &m), -1);
	CHECK_EQ_INT(ipc_frame_decode(buf, n + 1, &m), -1);
	n = raw_frame(buf, MSG_PING, 4, 0x2, &v);
	CHECK_EQ_INT(ipc_frame_decode(buf, n, &m), -1);
	raw_frame(buf, MSG_PING, IPC_MAX_PAYLOAD + 1, 0, NULL);
	CHECK_EQ_INT(ipc_frame_decode(buf, IPC_HDR_SIZE, &m), -1);
}

/* ---- channels: dispatch ---- */

TEST(test_frame_is_dispatched_to_its_handler)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 99;

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_PING, 8, 0, &seq));
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.nerr, 0);
	CHECK_EQ_INT(f.rx.last_type, MSG_PING);
	CHECK_EQ_INT(f.rx.last_id, 7);
	CHECK_EQ_INT(f.rx.last_pid, 1234);
	CHECK_EQ_INT(f.rx.nseqs, 1);
	CHECK(f.rx.seqs[0] == 99);
	fix_close(&f);
}

TEST(test_channel_to_channel_send)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;
	struct ipc_msg m;

	fix_open(&f);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, f.raw, "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	f.raw = -1;
	ipc_msg_init(&m, MSG_PONG, 5);
	ipc_put_u64(&m, 1234567);
	ipc_put_str(&m, "x");
	CHECK_EQ_INT(ipc_send(tx, &m), 0);
	CHECK_EQ_INT(m.len, 0);	/* ownership moved into the queue */
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.last_type, MSG_PONG);
	CHECK_EQ_INT(f.rx.last_id, 5);
	CHECK_EQ_INT(f.rx.last_pid, getpid());
	CHECK_EQ_INT(f.rx.last_len, 8 + 4 + 1);
	CHECK(f.rx.seqs[0] == 1234567);
	CHECK_EQ_INT(txrx.nerr, 0);
	ipc_chan_free(tx);
	fix_close(&f);
}

TEST(test_compose_sends_one_opaque_payload)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;

	fix_open(&f);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, f.raw, "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	f.raw = -1;
	CHECK_EQ_INT(ipc_compose(tx, MSG_PING, 3, -1, "abcdefgh", 8), 0);
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.last_type, MSG_PING);
	CHECK_EQ_INT(f.rx.last_id, 3);
	CHECK_EQ_INT(f.rx.last_len, 8);
	CHECK(f.rx.last_payload && memcmp(f.rx.last_payload, "abcdefgh", 8) ==
	    0);
	ipc_chan_free(tx);
	fix_close(&f);
}

TEST(test_max_payload_frame_is_dispatched)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;
	uint8_t *big;
	size_t i;

	fix_open(&f);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, f.raw, "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	f.raw = -1;
	REQUIRE((big = malloc(IPC_MAX_PAYLOAD)) != NULL);
	for (i = 0; i < IPC_MAX_PAYLOAD; i++)
		big[i] = (uint8_t)(i * 7);
	CHECK_EQ_INT(ipc_compose(tx, MSG_PING, 1, -1, big, IPC_MAX_PAYLOAD),
	    0);
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 0);
	CHECK_EQ_INT(f.rx.last_len, IPC_MAX_PAYLOAD);
	CHECK(f.rx.last_payload &&
	    memcmp(f.rx.last_payload, big, IPC_MAX_PAYLOAD) == 0);
	free(big);
	ipc_chan_free(tx);
	fix_close(&f);
}

TEST(test_send_refuses_msg_with_put_error)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;
	struct ipc_msg m;
	uint8_t *big;
	int avail;

	fix_open(&f);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, f.raw, "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	f.raw = -1;
	REQUIRE((big = calloc(1, IPC_MAX_PAYLOAD + 1)) != NULL);
	ipc_msg_init(&m, MSG_PING, 1);
	ipc_put_u64(&m, 1);
	CHECK_EQ_INT(ipc_put_bytes(&m, big, IPC_MAX_PAYLOAD), -1);
	CHECK(m.err != 0);
	CHECK_EQ_INT(ipc_send(tx, &m), -1);
	CHECK_EQ_INT(ipc_compose(tx, MSG_PING, 2, -1, big,
	    IPC_MAX_PAYLOAD + 1), -1);
	/* nothing reached the wire and the channel is still usable */
	CHECK_EQ_INT(ipc_chan_queued(tx), 0);
	REQUIRE(ioctl_fionread_ok(ipc_chan_fd(f.rx.chan), &avail));
	CHECK_EQ_INT(avail, 0);
	CHECK_EQ_INT(txrx.nerr, 0);
	CHECK_EQ_INT(ipc_compose(tx, MSG_PING, 3, -1, "12345678", 8), 0);
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.last_id, 3);
	free(big);
	ipc_chan_free(tx);
	fix_close(&f);
}

TEST(test_oversize_frame_ends_peer)
{
	struct fix f;
	uint8_t buf[64];

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_PING, IPC_MAX_PAYLOAD + 1, 0,
	    NULL));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK(strstr(f.rx.reason, "oversize") != NULL);
	fix_close(&f);
}

TEST(test_unknown_type_ends_peer)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, 9999, 8, 0, &seq));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK(strstr(f.rx.reason, "unexpected message type 9999") != NULL);
	fix_close(&f);
}

/*
 * The catalog's directions (msgschema.h): a channel that knows its ends
 * refuses a type its table lists but whose row does not go from the peer
 * to us, and takes one that does.
 */
/* a frame of type from peer to self, in state; the reason it ended with */
static void
check_refused(uint32_t self, uint32_t peer, uint32_t type, uint32_t state,
    const char *want)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 7;

	fix_open(&f);
	ipc_chan_set_state(f.rx.chan, state);
	ipc_chan_set_roles(f.rx.chan, self, peer);
	write_all(f.raw, buf, raw_frame(buf, type, 8, 0, &seq));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK(strstr(f.rx.reason, want) != NULL);
	fix_close(&f);
}

TEST(test_wrong_direction_is_refused)
{
	/* we are the watcher, the peer agentd: PONG goes the other way */
	check_refused(ROLE_WATCHER, ROLE_PARENT, MSG_PONG, ST_INIT,
	    "unexpected message type 4 (PONG) from agentd to watcher");
}

TEST(test_wrong_direction_between_workers_is_refused)
{
	/* a POD_SPEC from the reporter: only the watcher sends pod sets */
	check_refused(ROLE_EXECUTOR, ROLE_REPORTER, MSG_POD_SPEC, ST_RUNNING,
	    "(POD_SPEC) from reporter to executor");
}

TEST(test_right_direction_is_accepted)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 7;
	struct want w;

	fix_open(&f);
	w.rx = &f.rx;
	/* agentd hears a PONG from any worker, and the watcher a PING */
	ipc_chan_set_roles(f.rx.chan, ROLE_PARENT, ROLE_REPORTER);
	write_all(f.raw, buf, raw_frame(buf, MSG_PONG, 8, 0, &seq));
	w.n = 1;
	CHECK(run_until(f.base, pred_nmsg, &w, RUN_MAX_MS));
	ipc_chan_set_roles(f.rx.chan, ROLE_WATCHER, ROLE_PARENT);
	write_all(f.raw, buf, raw_frame(buf, MSG_PING, 8, 0, &seq));
	w.n = 2;
	CHECK(run_until(f.base, pred_nmsg, &w, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 0);
	CHECK_EQ_INT(f.rx.nmsg, 2);
	CHECK_EQ_INT(f.rx.last_type, MSG_PING);
	fix_close(&f);
}

/* every catalog row is whole, unique and within what ipc.c can carry */
TEST(test_schema_rows_are_sane)
{
	const struct msg_schema *s;
	const struct msg_field *f;
	size_t i, j;

	CHECK(msg_nschemas > 0);
	for (i = 0; i < msg_nschemas; i++) {
		s = &msg_schemas[i];
		CHECK(msg_schema_find(s->type) == s);
		CHECK(s->type < MSG_TYPE_MAX);
		CHECK(s->name != NULL && s->name[0] != '\0');
		CHECK(strcmp(msg_type_name(s->type), s->name) == 0);
		CHECK(s->senders != 0 && (s->senders & ~ROLES_ALL) == 0);
		CHECK(s->receivers != 0 && (s->receivers & ~ROLES_ALL) == 0);
		CHECK(s->chans != 0);
		CHECK((s->fields == NULL) == (s->nfields == 0));
		for (j = 0; j < s->nfields; j++) {
			f = &s->fields[j];
			CHECK(f->name != NULL);
			if (f->kind == MSGF_STR)
				CHECK(f->max > 0 && f->max < IPC_MAX_STR);
			if (f->kind == MSGF_BYTES)
				CHECK(f->max > 0 && f->max <= IPC_MAX_PAYLOAD);
		}
	}
	/* the two the fuzz table had lost */
	CHECK(msg_schema_find(MSG_PEER_FAULT) != NULL);
	CHECK(msg_schema_find(CTL_TEST_HOOK) != NULL);
	CHECK(msg_schema_find(MSG_TYPE_MAX) == NULL);
	CHECK(strcmp(msg_type_name(0xdead), "unknown") == 0);
}

TEST(test_schema_roles)
{
	CHECK(ROLES_WORKERS & ROLEBIT(ROLE_WATCHER));
	CHECK(ROLES_WORKERS & ROLEBIT(ROLE_EXECUTOR));
	CHECK(ROLES_WORKERS & ROLEBIT(ROLE_REPORTER));
	CHECK(!(ROLES_WORKERS & ROLEBIT(ROLE_PARENT)));
	CHECK(!(ROLES_WORKERS & ROLEBIT(ROLE_CONTROL)));
	CHECK(msg_schema_allows(MSG_HELLO, ROLE_REPORTER, ROLE_PARENT));
	CHECK(!msg_schema_allows(MSG_HELLO, ROLE_PARENT, ROLE_REPORTER));
	CHECK(msg_schema_allows(MSG_POD_EVENT, ROLE_PARENT, ROLE_REPORTER));
	CHECK(msg_schema_allows(MSG_POD_EVENT, ROLE_EXECUTOR, ROLE_REPORTER));
	CHECK(!msg_schema_allows(MSG_POD_EVENT, ROLE_WATCHER, ROLE_REPORTER));
	CHECK(msg_schema_allows(MSG_AUDIT_RECORD, ROLE_EXECUTOR, ROLE_PARENT));
	CHECK(!msg_schema_allows(CTL_STATUS, ROLE_WATCHER, ROLE_PARENT));
	CHECK(!msg_schema_allows(MSG_PING, ROLE_PARENT, ROLE_MAX));
	CHECK(!msg_schema_allows(9999, ROLE_PARENT, ROLE_WATCHER));
}

TEST(test_unknown_header_flags_end_peer)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_PING, 8, 0x80000000u, &seq));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK(strstr(f.rx.reason, "flags") != NULL);
	fix_close(&f);
}

TEST(test_frames_after_a_violation_are_not_dispatched)
{
	struct fix f;
	uint8_t buf[128];
	uint64_t seq = 1;
	size_t n;

	fix_open(&f);
	n = raw_frame(buf, 9999, 8, 0, &seq);
	n += raw_frame(buf + n, MSG_PING, 8, 0, &seq);
	write_all(f.raw, buf, n);
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	write_all(f.raw, buf + n / 2, n / 2);	/* a valid frame, too late */
	run_idle(f.base, 20);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK_EQ_INT(f.rx.nmsg, 0);
	fix_close(&f);
}

TEST(test_once_message_repeated_ends_peer)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;
	struct want w = { &f.rx, 1 };

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_HELLO, 8, 0, &seq));
	CHECK(run_until(f.base, pred_nmsg, &w, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.nerr, 0);
	write_all(f.raw, buf, raw_frame(buf, MSG_HELLO, 8, 0, &seq));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "HELLO repeated") != NULL);
	fix_close(&f);
}

TEST(test_message_in_wrong_state_ends_peer)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;

	fix_open(&f);
	CHECK_EQ_INT(ipc_chan_state(f.rx.chan), ST_INIT);
	write_all(f.raw, buf, raw_frame(buf, MSG_POD_SPEC, 8, 0, &seq));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "not allowed in state 0") != NULL);
	fix_close(&f);
}

TEST(test_message_in_right_state_is_dispatched)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;

	fix_open(&f);
	ipc_chan_set_state(f.rx.chan, ST_RUNNING);
	CHECK_EQ_INT(ipc_chan_state(f.rx.chan), ST_RUNNING);
	write_all(f.raw, buf, raw_frame(buf, MSG_POD_SPEC, 8, 0, &seq));
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.nerr, 0);
	fix_close(&f);
}

/*
 * A state number at or past the width of the states mask must not alias
 * a low state bit (1u << 40 is undefined; x86 computes 1u << 8).
 */
TEST(test_state_beyond_mask_width_refuses_restricted_message)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;

	fix_open(&f);
	ipc_chan_set_state(f.rx.chan, 32 + ST_HIGH);
	write_all(f.raw, buf, raw_frame(buf, MSG_PODSET_END, 8, 0, &seq));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK_EQ_INT(f.rx.nerr, 1);
	fix_close(&f);
}

TEST(test_handler_returning_error_ends_peer)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_SHUTDOWN, 8, 0, &seq));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "malformed SHUTDOWN") != NULL);
	fix_close(&f);
}

/* ---- channels: partial reads and batching ---- */

TEST(test_frame_written_byte_by_byte_is_dispatched_once_intact)
{
	struct fix f;
	uint8_t buf[IPC_HDR_SIZE + 300], payload[300];
	size_t n, i;

	fix_open(&f);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ 0x5a);
	n = raw_frame(buf, MSG_PING, sizeof(payload), 0, payload);
	for (i = 0; i < n; i++) {
		write_all(f.raw, buf + i, 1);
		run_idle(f.base, 2);
		if (i + 1 < n && f.rx.nmsg != 0)
			break;
	}
	CHECK_EQ_INT(i, n);
	run_idle(f.base, 5);
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.nerr, 0);
	CHECK_EQ_INT(f.rx.last_len, sizeof(payload));
	CHECK(f.rx.last_payload &&
	    memcmp(f.rx.last_payload, payload, sizeof(payload)) == 0);
	fix_close(&f);
}

TEST(test_many_frames_in_one_write_are_dispatched_in_order)
{
	struct fix f;
	struct want w = { &f.rx, 200 };
	uint8_t *buf, payload[512];
	uint64_t seq;
	size_t n = 0, len;
	int i;

	fix_open(&f);
	REQUIRE((buf = malloc(200 * (IPC_HDR_SIZE + sizeof(payload)))) !=
	    NULL);
	for (seq = 0; seq < 200; seq++) {
		len = 8 + (seq * 37) % (sizeof(payload) - 8);
		memset(payload, (int)seq, sizeof(payload));
		memcpy(payload, &seq, 8);
		n += raw_frame(buf + n, MSG_PING, (uint32_t)len, 0, payload);
	}
	write_all(f.raw, buf, n);
	CHECK(run_until(f.base, pred_nmsg, &w, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 200);
	CHECK_EQ_INT(f.rx.nerr, 0);
	REQUIRE(f.rx.nseqs == 200);
	for (i = 0; i < 200; i++)
		CHECK_EQ_INT(f.rx.seqs[i], i);
	free(buf);
	fix_close(&f);
}

TEST(test_frames_split_across_writes_are_reassembled)
{
	struct fix f;
	struct want w = { &f.rx, 50 };
	uint8_t *buf, payload[3000];
	uint64_t seq;
	size_t n = 0, off, step, chunk;

	fix_open(&f);
	REQUIRE((buf = malloc(50 * (IPC_HDR_SIZE + sizeof(payload)))) != NULL);
	for (seq = 0; seq < 50; seq++) {
		memset(payload, (int)seq, sizeof(payload));
		memcpy(payload, &seq, 8);
		n += raw_frame(buf + n, MSG_PING, sizeof(payload), 0, payload);
	}
	/* odd chunk sizes so that headers and payloads straddle reads */
	for (off = 0, step = 1; off < n; off += chunk) {
		chunk = step < n - off ? step : n - off;
		write_all(f.raw, buf + off, chunk);
		run_idle(f.base, 3);
		step = step > 5000 ? 1 : step * 3 + 7;
	}
	CHECK(run_until(f.base, pred_nmsg, &w, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 50);
	CHECK_EQ_INT(f.rx.nerr, 0);
	for (seq = 0; seq < 50 && seq < (uint64_t)f.rx.nseqs; seq++)
		CHECK(f.rx.seqs[seq] == seq);
	free(buf);
	fix_close(&f);
}

/* ---- channels: fd passing ---- */

static void
send_fd_msg(struct ipc_chan *tx, uint32_t type, int fd)
{
	struct ipc_msg m;

	ipc_msg_init(&m, type, 0);
	ipc_put_u32(&m, ROLE_EXECUTOR);
	if (type != MSG_PEER_CONNECT)
		ipc_put_u32(&m, 0);	/* pad to 8 bytes for h_record */
	ipc_put_fd(&m, fd);
	REQUIRE(ipc_send(tx, &m) == 0);
}

TEST(test_fd_type_receives_a_working_fd)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;
	int p[2];
	char got[8] = { 0 };

	fix_open(&f);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, f.raw, "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	f.raw = -1;
	REQUIRE(pipe(p) == 0);
	send_fd_msg(tx, MSG_PEER_CONNECT, p[1]);
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 0);
	REQUIRE(f.rx.last_fd != -1);
	CHECK_EQ_INT(write(f.rx.last_fd, "hello", 5), 5);
	close(f.rx.last_fd);
	f.rx.last_fd = -1;
	CHECK_EQ_INT(read(p[0], got, sizeof(got)), 5);
	CHECK_STR(got, "hello");
	/* EOF: the sender closed its copy once the fd was on its way */
	CHECK_EQ_INT(read(p[0], got, sizeof(got)), 0);
	close(p[0]);
	ipc_chan_free(tx);
	fix_close(&f);
}

TEST(test_fd_on_type_without_fd_flag_ends_peer_and_closes_fd)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;
	int p[2], before;

	fix_open(&f);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, f.raw, "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	f.raw = -1;
	before = count_open_fds();
	REQUIRE(pipe(p) == 0);
	send_fd_msg(tx, MSG_PING, p[1]);
	close(p[0]);
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "PING carries an unexpected fd") != NULL);
	CHECK_EQ_INT(count_open_fds(), before);
	ipc_chan_free(tx);
	fix_close(&f);
}

TEST(test_fd_without_header_flag_ends_peer_and_closes_fd)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;
	int p[2], before;

	fix_open(&f);
	before = count_open_fds();
	REQUIRE(pipe(p) == 0);
	raw_send_with_fd(f.raw, buf, raw_frame(buf, MSG_PING, 8, 0, &seq),
	    p[1]);
	close(p[0]);
	close(p[1]);
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "fd") != NULL);
	/* freeing the failed channel releases anything still pending */
	ipc_chan_free(f.rx.chan);
	f.rx.chan = NULL;
	CHECK_EQ_INT(count_open_fds(), before - 1);	/* sv[0] closed too */
	fix_close(&f);
}

TEST(test_fd_type_without_fd_ends_peer)
{
	struct fix f;
	uint8_t buf[64];
	uint32_t role = ROLE_WATCHER;

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_PEER_CONNECT, 4, 0, &role));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "lacks its fd") != NULL);
	fix_close(&f);
}

TEST(test_fd_header_flag_without_fd_ends_peer)
{
	struct fix f;
	uint8_t buf[64];
	uint32_t role = ROLE_WATCHER;

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_PEER_CONNECT, 4, IPC_HDRF_FD,
	    &role));
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "without a passed fd") != NULL);
	fix_close(&f);
}

/* ---- channels: backpressure ---- */

TEST(test_stalled_peer_queues_until_max_queued_then_fails_loudly)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;
	struct ipc_msg m;
	uint8_t *drain;
	size_t frame = IPC_HDR_SIZE + 64 * 1024, ok = 0, onwire = 0;
	ssize_t n;
	long start;
	int rv = 0, sv[2];

	/* sender: channel on sv[0]; the peer sv[1] is never read */
	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(&f, 0, sizeof(f));
	REQUIRE((f.base = event_base_new()) != NULL);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, sv[0], "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	REQUIRE((drain = calloc(1, 64 * 1024)) != NULL);
	start = now_ms();
	while (ok < 10000) {
		ipc_msg_init(&m, MSG_PING, (uint32_t)ok);
		ipc_put_bytes(&m, drain, 64 * 1024 - 4);
		if ((rv = ipc_send(tx, &m)) == -1)
			break;
		ok++;
		CHECK(ipc_chan_queued(tx) <= IPC_MAX_QUEUED);
	}
	CHECK_EQ_INT(rv, -1);
	CHECK_EQ_INT(errno, ENOBUFS);
	CHECK(now_ms() - start < 30000);	/* never blocked on the peer */
	CHECK_EQ_INT(txrx.nerr, 1);
	CHECK(strstr(txrx.reason, "not reading") != NULL);
	/* it took a full queue to fail, not less */
	CHECK(ipc_chan_queued(tx) + frame > IPC_MAX_QUEUED);
	/* nothing accepted was dropped: on the wire + queued = accepted */
	REQUIRE(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	while ((n = read(sv[1], drain, 64 * 1024)) > 0)
		onwire += (size_t)n;
	CHECK_EQ_INT(onwire + ipc_chan_queued(tx), ok * frame);
	/* failed for good: later sends are refused, no second callback */
	ipc_msg_init(&m, MSG_PING, 0);
	ipc_put_u64(&m, 0);
	CHECK_EQ_INT(ipc_send(tx, &m), -1);
	CHECK_EQ_INT(txrx.nerr, 1);
	free(drain);
	ipc_chan_free(tx);
	close(sv[1]);
	event_base_free(f.base);
}

/* a paced sender: what agentd, the watcher and the executor do */
struct pacer {
	struct ipc_chan	*c;
	uint8_t		*filler;
	int		 next, total;
	int		 in_send;	/* set around ipc_send */
	int		 reentered;	/* the callback ran inside ipc_send */
	int		 calls;
	size_t		 max_queued;
};

#define PACE_MSG_BYTES	(512 * 1024)

static void
pace_cb(struct ipc_chan *c, void *arg)
{
	struct pacer *p = arg;
	struct ipc_msg m;
	uint64_t seq;

	p->calls++;
	if (p->in_send)
		p->reentered = 1;
	while (p->next < p->total && ipc_chan_queued(c) < IPC_SEND_BUDGET) {
		seq = (uint64_t)p->next++;
		ipc_msg_init(&m, MSG_PING, 0);
		ipc_put_u64(&m, seq);
		ipc_put_bytes(&m, p->filler, PACE_MSG_BYTES);
		p->in_send = 1;
		REQUIRE(ipc_send(c, &m) == 0);
		p->in_send = 0;
		if (ipc_chan_queued(c) > p->max_queued)
			p->max_queued = ipc_chan_queued(c);
	}
	if (p->next < p->total)
		ipc_chan_on_drain(c, IPC_SEND_BUDGET / 2, pace_cb, p);
}

TEST(test_paced_sender_moves_more_than_max_queued_in_order)
{
	struct event_base *base;
	struct ipc_chan *rxc;
	struct pacer p;
	struct rx rx, txrx;
	struct want w;
	int sv[2], i, ordered = 1;

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE((base = event_base_new()) != NULL);
	rx_init(&rx);
	rx_init(&txrx);
	memset(&p, 0, sizeof(p));
	/* 80 x 512 KiB = 40 MiB, more than IPC_MAX_QUEUED */
	p.total = 80;
	CHECK((size_t)p.total * PACE_MSG_BYTES > IPC_MAX_QUEUED);
	REQUIRE((p.filler = calloc(1, PACE_MSG_BYTES)) != NULL);
	p.c = ipc_chan_new(base, sv[0], "tx", NULL, 0, on_error, &txrx);
	rxc = ipc_chan_new(base, sv[1], "rx", rx_tab, RX_TAB_N, on_error, &rx);
	REQUIRE(p.c != NULL && rxc != NULL);
	pace_cb(p.c, &p);
	w.rx = &rx;
	w.n = p.total;
	CHECK(run_until(base, pred_nmsg, &w, 60000));
	CHECK_EQ_INT(rx.nmsg, p.total);
	CHECK_EQ_INT(rx.nerr, 0);
	CHECK_EQ_INT(txrx.nerr, 0);
	for (i = 0; i < rx.nseqs; i++)
		if (rx.seqs[i] != (uint64_t)i)
			ordered = 0;
	CHECK(ordered);
	CHECK_EQ_INT(p.reentered, 0);
	CHECK(p.calls > 2);			/* it really waited */
	CHECK(p.max_queued <= IPC_SEND_BUDGET + IPC_MAX_MSG);
	free(p.filler);
	free(rx.last_payload);
	ipc_chan_free(p.c);
	ipc_chan_free(rxc);
	event_base_free(base);
}

static void
count_cb(struct ipc_chan *c, void *arg)
{
	(*(int *)arg)++;
}

TEST(test_on_drain_below_already_runs_from_the_loop_once)
{
	struct fix f;
	struct ipc_chan *tx;
	struct rx txrx;
	int sv[2], calls = 0;

	alarm(TEST_ALARM_SECONDS);
	memset(&f, 0, sizeof(f));
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE((f.base = event_base_new()) != NULL);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, sv[0], "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	ipc_chan_on_drain(tx, 0, count_cb, &calls);
	CHECK_EQ_INT(calls, 0);			/* not from inside the call */
	run_idle(f.base, 3);
	CHECK_EQ_INT(calls, 1);
	run_idle(f.base, 3);
	CHECK_EQ_INT(calls, 1);			/* one-shot */
	/* a failed channel never calls back */
	close(sv[1]);
	CHECK_EQ_INT(ipc_compose(tx, MSG_PING, 0, -1, "12345678", 8), -1);
	CHECK_EQ_INT(txrx.nerr, 1);
	ipc_chan_on_drain(tx, IPC_SEND_BUDGET, count_cb, &calls);
	run_idle(f.base, 3);
	CHECK_EQ_INT(calls, 1);
	ipc_chan_free(tx);
	event_base_free(f.base);
}

TEST(test_slow_peer_receives_every_message_in_order)
{
	struct fix f;
	struct ipc_chan *tx, *rxc;
	struct rx txrx;
	struct ipc_msg m;
	struct want w;
	const int nmsgs = 1000;
	const size_t len = 16 * 1024;
	int sv[2], i;

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(&f, 0, sizeof(f));
	rx_init(&f.rx);
	REQUIRE((f.base = event_base_new()) != NULL);
	rx_init(&txrx);
	tx = ipc_chan_new(f.base, sv[0], "tx", NULL, 0, on_error, &txrx);
	REQUIRE(tx != NULL);
	for (i = 0; i < nmsgs; i++) {
		seq_msg(&m, MSG_PING, (uint64_t)i, len);
		REQUIRE(ipc_send(tx, &m) == 0);
	}
	/* 16 MB cannot fit in the socket: the rest waits in the queue */
	CHECK(ipc_chan_queued(tx) > 0);
	run_idle(f.base, 10);
	CHECK_EQ_INT(txrx.nerr, 0);
	/* the peer starts reading only now */
	rxc = ipc_chan_new(f.base, sv[1], "rx", rx_tab, RX_TAB_N, on_error,
	    &f.rx);
	REQUIRE(rxc != NULL);
	f.rx.chan = rxc;
	w.rx = &f.rx;
	w.n = nmsgs;
	CHECK(run_until(f.base, pred_nmsg, &w, RUN_MAX_MS * 3));
	CHECK_EQ_INT(f.rx.nerr, 0);
	CHECK_EQ_INT(txrx.nerr, 0);
	CHECK_EQ_INT(f.rx.nmsg, nmsgs);
	CHECK_EQ_INT(ipc_chan_queued(tx), 0);
	REQUIRE(f.rx.nseqs == nmsgs);
	for (i = 0; i < nmsgs; i++)
		CHECK_EQ_INT(f.rx.seqs[i], i);
	CHECK(seq_payload_ok(f.rx.last_payload, f.rx.last_len,
	    (uint64_t)nmsgs - 1));
	ipc_chan_free(tx);
	f.raw = -1;
	fix_close(&f);
}

TEST(test_flush_drains_the_queue_to_a_reading_peer)
{
	struct ipc_chan *tx;
	struct event_base *base;
	struct rx txrx;
	struct ipc_msg m;
	const int nmsgs = 400;
	const size_t len = 16 * 1024;
	int sv[2], i, status;
	pid_t pid;

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	if ((pid = fork()) == 0) {
		/* the peer: read every frame with the blocking helper */
		close(sv[0]);
		for (i = 0; i < nmsgs; i++) {
			if (ipc_read_msg(sv[1], &m, 5000) == -1 ||
			    !seq_payload_ok(m.data, m.len, (uint64_t)i))
				_exit(1);
			ipc_msg_free(&m);
		}
		_exit(0);
	}
	REQUIRE(pid > 0);
	close(sv[1]);
	REQUIRE((base = event_base_new()) != NULL);
	rx_init(&txrx);
	REQUIRE((tx = ipc_chan_new(base, sv[0], "tx", NULL, 0, on_error,
	    &txrx)) != NULL);
	for (i = 0; i < nmsgs; i++) {
		seq_msg(&m, MSG_PING, (uint64_t)i, len);
		REQUIRE(ipc_send(tx, &m) == 0);
	}
	CHECK_EQ_INT(ipc_flush(tx), 0);
	CHECK_EQ_INT(ipc_chan_queued(tx), 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(txrx.nerr, 0);
	ipc_chan_free(tx);
	event_base_free(base);
}

/* ---- channels: closing and freeing ---- */

TEST(test_peer_close_calls_error_cb_once)
{
	struct fix f;

	fix_open(&f);
	close(f.raw);
	f.raw = -1;
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	run_idle(f.base, 20);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK(strstr(f.rx.reason, "closed") != NULL);
	fix_close(&f);
}

TEST(test_peer_close_mid_message_calls_error_cb_once)
{
	struct fix f;
	uint8_t buf[64];
	uint64_t seq = 1;

	fix_open(&f);
	write_all(f.raw, buf, raw_frame(buf, MSG_PING, 8, 0, &seq) - 3);
	close(f.raw);
	f.raw = -1;
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	run_idle(f.base, 20);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK(strstr(f.rx.reason, "mid-message") != NULL);
	fix_close(&f);
}

TEST(test_peer_close_with_queued_output_calls_error_cb_once)
{
	struct fix f;
	struct ipc_msg m;
	int i;

	fix_open(&f);
	/* fill the socket and the queue, then the peer goes away */
	for (i = 0; i < 100; i++) {
		seq_msg(&m, MSG_PING, (uint64_t)i, 16 * 1024);
		REQUIRE(ipc_send(f.rx.chan, &m) == 0);
	}
	CHECK(ipc_chan_queued(f.rx.chan) > 0);
	close(f.raw);
	f.raw = -1;
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	run_idle(f.base, 20);
	CHECK_EQ_INT(f.rx.nerr, 1);
	ipc_msg_init(&m, MSG_PING, 0);
	ipc_put_u64(&m, 0);
	CHECK_EQ_INT(ipc_send(f.rx.chan, &m), -1);
	CHECK_EQ_INT(f.rx.nerr, 1);
	fix_close(&f);
}

TEST(test_chan_free_inside_handler_is_safe)
{
	struct fix f;
	uint8_t buf[128];
	uint64_t seq = 1;
	size_t n;

	fix_open(&f);
	/* the freeing message and one more in the same read */
	n = raw_frame(buf, MSG_TEST_HOOK, 8, 0, &seq);
	n += raw_frame(buf + n, MSG_PING, 8, 0, &seq);
	write_all(f.raw, buf, n);
	CHECK(run_until(f.base, pred_msg, &f.rx, RUN_MAX_MS));
	run_idle(f.base, 20);
	CHECK(f.rx.chan == NULL);
	CHECK_EQ_INT(f.rx.nmsg, 1);
	CHECK_EQ_INT(f.rx.last_type, MSG_TEST_HOOK);
	CHECK_EQ_INT(f.rx.nerr, 0);
	/* the channel's end of the socket is closed */
	CHECK(peer_closed(f.raw));
	fix_close(&f);
}

TEST(test_chan_free_inside_error_cb_is_safe)
{
	struct fix f;
	uint8_t buf[128];
	uint64_t seq = 1;
	size_t n;

	fix_open(&f);
	f.rx.free_in_errcb = 1;
	n = raw_frame(buf, 9999, 8, 0, &seq);
	n += raw_frame(buf + n, MSG_PING, 8, 0, &seq);
	write_all(f.raw, buf, n);
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	run_idle(f.base, 20);
	CHECK(f.rx.chan == NULL);
	CHECK_EQ_INT(f.rx.nerr, 1);
	CHECK_EQ_INT(f.rx.nmsg, 0);
	CHECK(peer_closed(f.raw));
	fix_close(&f);
}

TEST(test_chan_free_inside_error_cb_on_peer_close_is_safe)
{
	struct fix f;

	fix_open(&f);
	f.rx.free_in_errcb = 1;
	close(f.raw);
	f.raw = -1;
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	run_idle(f.base, 20);
	CHECK(f.rx.chan == NULL);
	CHECK_EQ_INT(f.rx.nerr, 1);
	fix_close(&f);
}

TEST(test_chan_free_inside_error_cb_from_send_is_safe)
{
	struct fix f;
	struct ipc_msg m;
	int i, rv = 0;

	fix_open(&f);
	f.rx.free_in_errcb = 1;
	/* the peer never reads: the queue overflows inside ipc_send */
	for (i = 0; i < 10000 && rv == 0; i++) {
		seq_msg(&m, MSG_PING, (uint64_t)i, 64 * 1024);
		rv = ipc_send(f.rx.chan, &m);
	}
	CHECK_EQ_INT(rv, -1);
	CHECK(f.rx.chan == NULL);
	CHECK_EQ_INT(f.rx.nerr, 1);
	run_idle(f.base, 5);
	fix_close(&f);
}

TEST(test_chan_free_inside_error_cb_from_write_error_is_safe)
{
	struct fix f;
	struct ipc_msg m;
	char *sink;
	int i;

	fix_open(&f);
	f.rx.free_in_errcb = 1;
	for (i = 0; i < 100; i++) {
		seq_msg(&m, MSG_PING, (uint64_t)i, 16 * 1024);
		REQUIRE(ipc_send(f.rx.chan, &m) == 0);
	}
	REQUIRE(ipc_chan_queued(f.rx.chan) > 0);
	/*
	 * The peer shuts its read side and drains what is buffered: the
	 * socket turns writable and the next write fails with EPIPE inside
	 * the channel's write callback.
	 */
	REQUIRE(shutdown(f.raw, SHUT_RD) == 0);
	REQUIRE(fcntl(f.raw, F_SETFL, O_NONBLOCK) == 0);
	REQUIRE((sink = malloc(64 * 1024)) != NULL);
	while (read(f.raw, sink, 64 * 1024) > 0)
		;
	free(sink);
	CHECK(run_until(f.base, pred_err, &f.rx, RUN_MAX_MS));
	run_idle(f.base, 5);
	CHECK(f.rx.chan == NULL);
	CHECK_EQ_INT(f.rx.nerr, 1);
	/* EPIPE means the peer is gone, reported like EOF */
	CHECK(strstr(f.rx.reason, "peer closed") != NULL);
	fix_close(&f);
}

TEST(test_chan_free_inside_error_cb_from_flush_is_safe)
{
	struct fix f;
	struct ipc_msg m;
	int i;

	fix_open(&f);
	f.rx.free_in_errcb = 1;
	for (i = 0; i < 100; i++) {
		seq_msg(&m, MSG_PING, (uint64_t)i, 16 * 1024);
		REQUIRE(ipc_send(f.rx.chan, &m) == 0);
	}
	REQUIRE(ipc_chan_queued(f.rx.chan) > 0);
	REQUIRE(shutdown(f.raw, SHUT_RD) == 0);
	CHECK_EQ_INT(ipc_flush(f.rx.chan), -1);
	CHECK(f.rx.chan == NULL);
	CHECK_EQ_INT(f.rx.nerr, 1);
	run_idle(f.base, 5);
	fix_close(&f);
}

TEST(test_chan_accessors)
{
	struct fix f;

	fix_open(&f);
	CHECK_STR(ipc_chan_name(f.rx.chan), "test");
	CHECK(ipc_chan_arg(f.rx.chan) == &f.rx);
	CHECK(ipc_chan_fd(f.rx.chan) >= 0);
	CHECK_EQ_INT(ipc_chan_queued(f.rx.chan), 0);
	fix_close(&f);
}

/* ---- blocking helpers ---- */

TEST(test_write_read_msg_round_trip)
{
	struct ipc_msg m;
	int sv[2];
	uint64_t v;
	char s[32];

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ipc_msg_init(&m, CTL_STATUS, 77);
	ipc_put_u64(&m, 5);
	ipc_put_str(&m, "status");
	CHECK_EQ_INT(ipc_write_msg(sv[1], &m), 0);
	CHECK(m.data == NULL);	/* consumed */
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), 0);
	CHECK_EQ_INT(m.type, CTL_STATUS);
	CHECK_EQ_INT(m.id, 77);
	CHECK_EQ_INT(m.pid, getpid());
	CHECK_EQ_INT(m.fd, -1);
	CHECK_EQ_INT(ipc_get_u64(&m, &v), 0);
	CHECK(v == 5);
	CHECK_EQ_INT(ipc_get_str(&m, s, sizeof(s)), 0);
	CHECK_STR(s, "status");
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_write_read_msg_empty_payload)
{
	struct ipc_msg m;
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ipc_msg_init(&m, CTL_IMAGE_LIST, 1);
	CHECK_EQ_INT(ipc_write_msg(sv[1], &m), 0);
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), 0);
	CHECK_EQ_INT(m.type, CTL_IMAGE_LIST);
	CHECK_EQ_INT(m.len, 0);
	CHECK_EQ_INT(ipc_get_end(&m), 0);
	ipc_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_read_msg_times_out)
{
	struct ipc_msg m;
	int sv[2];
	long start, took;

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	start = now_ms();
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 200), -1);
	took = now_ms() - start;
	CHECK_EQ_INT(errno, ETIMEDOUT);
	CHECK(took >= 190 && took < 5000);
	CHECK(m.data == NULL && m.fd == -1);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_read_msg_partial_frame_times_out)
{
	struct ipc_msg m;
	uint8_t buf[64];
	uint64_t seq = 1;
	int sv[2];

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	write_all(sv[1], buf, raw_frame(buf, MSG_PING, 8, 0, &seq) - 1);
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 200), -1);
	CHECK_EQ_INT(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_write_read_msg_passes_fd)
{
	struct ipc_msg m;
	int sv[2], p[2], fd;
	uint32_t role;
	char got[8] = { 0 };

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE(pipe(p) == 0);
	ipc_msg_init(&m, MSG_PEER_CONNECT, 0);
	ipc_put_u32(&m, ROLE_REPORTER);
	ipc_put_fd(&m, p[1]);
	CHECK_EQ_INT(ipc_write_msg(sv[1], &m), 0);
	CHECK(fcntl(p[1], F_GETFD) == -1);	/* consumed with the msg */
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), 0);
	CHECK_EQ_INT(m.type, MSG_PEER_CONNECT);
	CHECK_EQ_INT(ipc_get_u32(&m, &role), 0);
	CHECK_EQ_INT(role, ROLE_REPORTER);
	fd = ipc_take_fd(&m);
	REQUIRE(fd != -1);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ_INT(write(fd, "pong", 4), 4);
	close(fd);
	CHECK_EQ_INT(read(p[0], got, sizeof(got)), 4);
	CHECK_STR(got, "pong");
	ipc_msg_free(&m);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_read_msg_fd_without_flag_fails_and_closes_fd)
{
	struct ipc_msg m;
	uint8_t buf[64];
	uint64_t seq = 1;
	int sv[2], p[2], before;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	before = count_open_fds();
	REQUIRE(pipe(p) == 0);
	raw_send_with_fd(sv[1], buf, raw_frame(buf, MSG_PING, 8, 0, &seq),
	    p[1]);
	close(p[0]);
	close(p[1]);
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), -1);
	CHECK_EQ_INT(errno, EPROTO);
	CHECK_EQ_INT(count_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_read_msg_flag_without_fd_fails)
{
	struct ipc_msg m;
	uint8_t buf[64];
	uint32_t role = 1;
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	write_all(sv[1], buf, raw_frame(buf, MSG_PEER_CONNECT, 4, IPC_HDRF_FD,
	    &role));
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), -1);
	CHECK_EQ_INT(errno, EPROTO);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_read_msg_oversize_header_fails)
{
	struct ipc_msg m;
	uint8_t buf[64];
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	write_all(sv[1], buf, raw_frame(buf, MSG_PING, IPC_MAX_PAYLOAD + 1, 0,
	    NULL));
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), -1);
	CHECK_EQ_INT(errno, EPROTO);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_read_msg_bad_flags_fails)
{
	struct ipc_msg m;
	uint8_t buf[64];
	uint64_t seq = 1;
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	write_all(sv[1], buf, raw_frame(buf, MSG_PING, 8, 0x4, &seq));
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), -1);
	CHECK_EQ_INT(errno, EPROTO);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_read_msg_eof_before_frame_is_connreset)
{
	struct ipc_msg m;
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	close(sv[1]);
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), -1);
	CHECK_EQ_INT(errno, ECONNRESET);
	close(sv[0]);
}

TEST(test_read_msg_eof_mid_frame_fails)
{
	struct ipc_msg m;
	uint8_t buf[64];
	uint64_t seq = 1;
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	write_all(sv[1], buf, raw_frame(buf, MSG_PING, 8, 0, &seq) - 2);
	close(sv[1]);
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 1000), -1);
	CHECK_EQ_INT(errno, EPROTO);
	CHECK(m.data == NULL);
	close(sv[0]);
}

TEST(test_write_msg_refuses_msg_with_put_error)
{
	struct ipc_msg m;
	int sv[2], avail;
	char big[IPC_MAX_STR + 1];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ipc_msg_init(&m, MSG_PING, 0);
	ipc_put_u64(&m, 1);
	CHECK_EQ_INT(ipc_put_str(&m, big), -1);
	CHECK_EQ_INT(ipc_write_msg(sv[1], &m), -1);
	CHECK_EQ_INT(errno, EMSGSIZE);
	REQUIRE(ioctl_fionread_ok(sv[0], &avail));
	CHECK_EQ_INT(avail, 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_write_read_msg_max_payload_between_processes)
{
	struct ipc_msg m;
	int sv[2], status;
	uint8_t *big;
	size_t i;
	pid_t pid;

	alarm(TEST_ALARM_SECONDS);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE((big = malloc(IPC_MAX_PAYLOAD)) != NULL);
	for (i = 0; i < IPC_MAX_PAYLOAD; i++)
		big[i] = (uint8_t)(i % 251);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		ipc_msg_init(&m, MSG_REPLY_CHUNK, 9);
		ipc_put_bytes(&m, big, IPC_MAX_PAYLOAD - 4);
		_exit(ipc_write_msg(sv[1], &m) == 0 ? 0 : 1);
	}
	REQUIRE(pid > 0);
	close(sv[1]);
	CHECK_EQ_INT(ipc_read_msg(sv[0], &m, 5000), 0);
	CHECK_EQ_INT(m.type, MSG_REPLY_CHUNK);
	CHECK_EQ_INT(m.len, IPC_MAX_PAYLOAD);
	CHECK(m.data && memcmp(m.data + 4, big, IPC_MAX_PAYLOAD - 4) == 0);
	ipc_msg_free(&m);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(big);
	close(sv[0]);
}
