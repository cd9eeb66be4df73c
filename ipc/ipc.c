/*
 * Framing, typed marshalling, fd passing and dispatch for agentd's IPC.
 *
 * A channel owns one end of a SOCK_STREAM socketpair.  Reads are
 * non-blocking and reassemble frames; each complete frame is checked
 * against the channel's dispatch table before any handler sees it.  Writes
 * are queued and drained as the socket allows, so a slow peer never blocks
 * the sender; a peer that lets IPC_MAX_QUEUED bytes pile up is declared
 * wedged and the channel fails loudly instead of dropping anything.
 *
 * Any violation (unknown type, a type the catalog does not let the peer
 * send to us, bad length, bad flags, an fd where none is allowed, a
 * handler rejecting the payload) calls the channel's error callback exactly
 * once; the owner then ends or restarts the peer.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "msgcat.h"
#include "msgschema.h"

#define IPC_RBUF_INITIAL	(16 * 1024)
#define IPC_MAX_PENDING_FDS	4	/* fds received but not yet claimed */

struct ipc_out {
	TAILQ_ENTRY(ipc_out)	 entry;
	uint8_t			*buf;
	size_t			 len;
	size_t			 off;
	int			 fd;
};
TAILQ_HEAD(ipc_outq, ipc_out);

struct ipc_chan {
	struct event_base		*base;
	int				 fd;
	char				 name[32];
	const struct ipc_dispatch	*tab;
	size_t				 ntab;
	uint8_t				*seen;	/* IPC_F_ONCE bookkeeping */
	ipc_error_cb			 errcb;
	void				*arg;
	struct event			*rev;
	struct event			*wev;
	uint8_t				*rbuf;
	size_t				 rlen;
	size_t				 rcap;
	int				 rfds[IPC_MAX_PENDING_FDS];
	int				 nrfds;
	struct ipc_outq			 outq;
	size_t				 queued;
	ipc_drain_cb			 drain_cb;	/* one-shot, see ipc.h */
	void				*drain_arg;
	size_t				 drain_below;
	uint32_t			 state;
	int				 has_roles;	/* direction check */
	uint32_t			 self_role;
	uint32_t			 peer_role;
	int				 dead;
	int				 in_cb;
	int				 free_pending;
};

static void	chan_fail(struct ipc_chan *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* ---- message building ---- */

void
ipc_msg_init(struct ipc_msg *m, uint32_t type, uint32_t id)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->id = id;
	m->fd = -1;
}

void
ipc_msg_free(struct ipc_msg *m)
{
	if (m->cap > 0)
		free(m->data);
	if (m->fd != -1)
		close(m->fd);
	m->data = NULL;
	m->len = m->cap = m->off = 0;
	m->fd = -1;
}

static int
msg_reserve(struct ipc_msg *m, size_t more)
{
	size_t want, ncap;
	uint8_t *nd;

	if (m->err)
		return -1;
	if (more > IPC_MAX_PAYLOAD || m->len > IPC_MAX_PAYLOAD - more) {
		m->err = EMSGSIZE;
		return -1;
	}
	want = m->len + more;
	if (want <= m->cap)
		return 0;
	ncap = m->cap ? m->cap : 256;
	while (ncap < want)
		ncap *= 2;
	if (ncap > IPC_MAX_PAYLOAD)
		ncap = IPC_MAX_PAYLOAD;
	if ((nd = realloc(m->data, ncap)) == NULL) {
		m->err = ENOMEM;
		return -1;
	}
	m->data = nd;
	m->cap = ncap;
	return 0;
}

static int
msg_put(struct ipc_msg *m, const void *p, size_t n)
{
	if (msg_reserve(m, n) == -1)
		return -1;
	if (n > 0)
		memcpy(m->data + m->len, p, n);
	m->len += n;
	return 0;
}

int
ipc_put_u8(struct ipc_msg *m, uint8_t v)
{
	return msg_put(m, &v, sizeof(v));
}

int
ipc_put_u32(struct ipc_msg *m, uint32_t v)
{
	return msg_put(m, &v, sizeof(v));
}

int
ipc_put_u64(struct ipc_msg *m, uint64_t v)
{
	return msg_put(m, &v, sizeof(v));
}

int
ipc_put_i64(struct ipc_msg *m, int64_t v)
{
	return msg_put(m, &v, sizeof(v));
}

int
ipc_put_bytes(struct ipc_msg *m, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		m->err = EMSGSIZE;
		return -1;
	}
	if (ipc_put_u32(m, (uint32_t)n) == -1)
		return -1;
	return msg_put(m, p, n);
}

int
ipc_put_str(struct ipc_msg *m, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "";
	if ((n = strlen(s)) >= IPC_MAX_STR) {
		m->err = EMSGSIZE;
		return -1;
	}
	return ipc_put_bytes(m, s, n);
}

void
ipc_put_fd(struct ipc_msg *m, int fd)
{
	if (m->fd != -1)
		close(m->fd);
	m->fd = fd;
}

/* ---- message reading: every get is bounded and checked ---- */

static int
msg_get(struct ipc_msg *m, void *p, size_t n)
{
	if (m->off > m->len || n > m->len - m->off)
		return -1;
	memcpy(p, m->data + m->off, n);
	m->off += n;
	return 0;
}

int
ipc_get_u8(struct ipc_msg *m, uint8_t *v)
{
	return msg_get(m, v, sizeof(*v));
}

int
ipc_get_u32(struct ipc_msg *m, uint32_t *v)
{
	return msg_get(m, v, sizeof(*v));
}

int
ipc_get_u64(struct ipc_msg *m, uint64_t *v)
{
	return msg_get(m, v, sizeof(*v));
}

int
ipc_get_i64(struct ipc_msg *m, int64_t *v)
{
	return msg_get(m, v, sizeof(*v));
}

int
ipc_get_bytes_ref(struct ipc_msg *m, const uint8_t **p, size_t max,
    size_t *lenp)
{
	uint32_t n;

	if (ipc_get_u32(m, &n) == -1 || n > max || n > m->len - m->off)
		return -1;
	*p = m->data + m->off;
	*lenp = n;
	m->off += n;
	return 0;
}

int
ipc_get_bytes(struct ipc_msg *m, void *buf, size_t max, size_t *lenp)
{
	const uint8_t *p;
	size_t n;

	if (ipc_get_bytes_ref(m, &p, max, &n) == -1)
		return -1;
	if (n > 0)
		memcpy(buf, p, n);
	if (lenp != NULL)
		*lenp = n;
	return 0;
}

/* a string must be shorter than max and hold no NUL byte */
static int
get_str_ref(struct ipc_msg *m, const uint8_t **p, size_t max, size_t *lenp)
{
	if (max == 0 || ipc_get_bytes_ref(m, p, max - 1, lenp) == -1)
		return -1;
	if (*lenp > 0 && memchr(*p, '\0', *lenp) != NULL)
		return -1;
	return 0;
}

int
ipc_get_str(struct ipc_msg *m, char *buf, size_t max)
{
	const uint8_t *p;
	size_t n;

	if (get_str_ref(m, &p, max, &n) == -1)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

char *
ipc_get_strdup(struct ipc_msg *m, size_t max)
{
	const uint8_t *p;
	size_t n;
	char *s;

	if (get_str_ref(m, &p, max, &n) == -1)
		return NULL;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
ipc_get_count(struct ipc_msg *m, uint32_t *n, uint32_t max)
{
	if (ipc_get_u32(m, n) == -1 || *n > max)
		return -1;
	return 0;
}

int
ipc_get_end(struct ipc_msg *m)
{
	return m->off == m->len ? 0 : -1;
}

int
ipc_take_fd(struct ipc_msg *m)
{
	int fd = m->fd;

	m->fd = -1;
	return fd;
}

/* ---- framing ---- */

struct ipc_hdr {
	uint32_t	type;
	uint32_t	len;
	uint32_t	id;
	uint32_t	pid;
	uint32_t	flags;
};

static void
hdr_decode(const uint8_t *p, struct ipc_hdr *h)
{
	memcpy(&h->type, p, 4);
	memcpy(&h->len, p + 4, 4);
	memcpy(&h->id, p + 8, 4);
	memcpy(&h->pid, p + 12, 4);
	memcpy(&h->flags, p + 16, 4);
}

static const char *
hdr_check(const struct ipc_hdr *h)
{
	if (h->len > IPC_MAX_PAYLOAD)
		return "oversize message";
	if (h->flags & ~IPC_HDRF_MASK)
		return "unknown header flags";
	return NULL;
}

int
ipc_frame_decode(const uint8_t *buf, size_t len, struct ipc_msg *m)
{
	struct ipc_hdr h;

	if (len < IPC_HDR_SIZE)
		return -1;
	hdr_decode(buf, &h);
	if (hdr_check(&h) != NULL || len - IPC_HDR_SIZE != h.len)
		return -1;
	ipc_msg_init(m, h.type, h.id);
	m->pid = h.pid;
	m->data = (uint8_t *)buf + IPC_HDR_SIZE;	/* borrowed: cap == 0 */
	m->len = h.len;
	return 0;
}

/* header + payload in one buffer; NULL if the message is unusable */
static uint8_t *
frame_build(struct ipc_msg *m, size_t *lenp)
{
	static uint32_t mypid;
	uint8_t *buf;
	uint32_t len, flags;

	if (m->err || m->len > IPC_MAX_PAYLOAD) {
		errno = m->err ? m->err : EMSGSIZE;
		return NULL;
	}
	if (mypid == 0)
		mypid = (uint32_t)getpid();
	if ((buf = malloc(IPC_HDR_SIZE + m->len)) == NULL)
		return NULL;
	len = (uint32_t)m->len;
	flags = m->fd != -1 ? IPC_HDRF_FD : 0;
	memcpy(buf, &m->type, 4);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + 8, &m->id, 4);
	memcpy(buf + 12, &mypid, 4);
	memcpy(buf + 16, &flags, 4);
	if (m->len > 0)
		memcpy(buf + IPC_HDR_SIZE, m->data, m->len);
	*lenp = IPC_HDR_SIZE + m->len;
	return buf;
}

/* one sendmsg; the fd rides with the first byte of the frame */
static ssize_t
send_part(int sock, const uint8_t *p, size_t n, int fd)
{
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)p;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/*
 * One recvmsg; passed fds are appended to fds[].  Returns bytes read,
 * 0 at EOF, -1 with errno (EPROTO: truncated control data or too many fds).
 */
static ssize_t
recv_part(int sock, uint8_t *p, size_t n, int *fds, int *nfds, int maxfds)
{
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct cmsghdr *c;
	ssize_t r;
	int i, k, fd, bad = 0;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = p;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	if ((r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < maxfds)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (bad || (mh.msg_flags & MSG_CTRUNC)) {
		errno = EPROTO;
		return -1;
	}
	return r;
}

/* ---- blocking helpers ---- */

static int
wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return r == -1 ? -1 : 0;
}

int
ipc_write_msg(int sock, struct ipc_msg *m)
{
	uint8_t *buf;
	size_t len, off = 0;
	ssize_t n;
	int fd = m->fd, rv = -1;

	if ((buf = frame_build(m, &len)) == NULL)
		goto out;
	while (off < len) {
		n = send_part(sock, buf + off, len - off, off == 0 ? fd : -1);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (errno == EAGAIN && wait_fd(sock, POLLOUT, -1) == -1)
				goto out;
			continue;
		}
		if (n == -1)
			goto out;
		off += (size_t)n;
	}
	rv = 0;
 out:
	free(buf);
	ipc_msg_free(m);
	return rv;
}

static int
read_full(int sock, uint8_t *p, size_t n, int *fds, int *nfds, int timeout_ms)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		if (wait_fd(sock, POLLIN, timeout_ms) == -1)
			return -1;
		r = recv_part(sock, p + off, n - off, fds, nfds,
		    IPC_MAX_PENDING_FDS);
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = off == 0 ? ECONNRESET : EPROTO;
			return -1;
		}
		off += (size_t)r;
	}
	return 0;
}

int
ipc_read_msg(int sock, struct ipc_msg *m, int timeout_ms)
{
	uint8_t hb[IPC_HDR_SIZE];
	struct ipc_hdr h;
	int fds[IPC_MAX_PENDING_FDS], nfds = 0, i, saved;

	ipc_msg_init(m, 0, 0);
	if (read_full(sock, hb, sizeof(hb), fds, &nfds, timeout_ms) == -1)
		goto fail;
	hdr_decode(hb, &h);
	if (hdr_check(&h) != NULL) {
		errno = EPROTO;
		goto fail;
	}
	ipc_msg_init(m, h.type, h.id);
	m->pid = h.pid;
	if (h.len > 0) {
		if ((m->data = malloc(h.len)) == NULL)
			goto fail;
		m->cap = m->len = h.len;
		if (read_full(sock, m->data, h.len, fds, &nfds,
		    timeout_ms) == -1)
			goto fail;
	}
	/* exactly one fd if flagged, none otherwise */
	if (nfds != ((h.flags & IPC_HDRF_FD) ? 1 : 0)) {
		errno = EPROTO;
		goto fail;
	}
	if (nfds == 1)
		m->fd = fds[0];
	return 0;
 fail:
	saved = errno;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	ipc_msg_free(m);
	errno = saved;
	return -1;
}

/* ---- channels ---- */

static void	chan_read_cb(evutil_socket_t, short, void *);
static void	chan_write_cb(evutil_socket_t, short, void *);

struct ipc_chan *
ipc_chan_new(struct event_base *base, int fd, const char *name,
    const struct ipc_dispatch *tab, size_t ntab, ipc_error_cb errcb,
    void *arg)
{
	struct ipc_chan *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->seen = calloc(ntab ? ntab : 1, 1)) == NULL)
		goto fail;
	if ((c->rbuf = malloc(IPC_RBUF_INITIAL)) == NULL)
		goto fail;
	c->rcap = IPC_RBUF_INITIAL;
	c->base = base;
	c->fd = fd;
	c->tab = tab;
	c->ntab = ntab;
	c->errcb = errcb;
	c->arg = arg;
	snprintf(c->name, sizeof(c->name), "%s", name);
	TAILQ_INIT(&c->outq);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		goto fail;
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, chan_read_cb, c);
	c->wev = event_new(base, fd, EV_WRITE, chan_write_cb, c);
	if (c->rev == NULL || c->wev == NULL || event_add(c->rev, NULL) == -1)
		goto fail;
	return c;
 fail:
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	free(c->rbuf);
	free(c->seen);
	free(c);
	return NULL;
}

static void
chan_destroy(struct ipc_chan *c)
{
	struct ipc_out *o;
	int i;

	event_free(c->rev);
	event_free(c->wev);
	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, o, entry);
		if (o->fd != -1)
			close(o->fd);
		free(o->buf);
		free(o);
	}
	for (i = 0; i < c->nrfds; i++)
		close(c->rfds[i]);
	close(c->fd);
	free(c->rbuf);
	free(c->seen);
	free(c);
}

void
ipc_chan_free(struct ipc_chan *c)
{
	if (c == NULL)
		return;
	c->dead = 1;
	event_del(c->rev);
	event_del(c->wev);
	if (c->in_cb > 0) {
		/* freed by the callback that is running now */
		c->free_pending = 1;
		return;
	}
	chan_destroy(c);
}

int
ipc_chan_fd(struct ipc_chan *c)
{
	return c->fd;
}

const char *
ipc_chan_name(struct ipc_chan *c)
{
	return c->name;
}

void
ipc_chan_set_roles(struct ipc_chan *c, uint32_t self, uint32_t peer)
{
	c->has_roles = 1;
	c->self_role = self;
	c->peer_role = peer;
}

void
ipc_chan_set_state(struct ipc_chan *c, uint32_t state)
{
	c->state = state;
}

uint32_t
ipc_chan_state(struct ipc_chan *c)
{
	return c->state;
}

size_t
ipc_chan_queued(struct ipc_chan *c)
{
	return c->queued;
}

size_t
ipc_chan_rx_partial(struct ipc_chan *c)
{
	return c->rlen;
}

void *
ipc_chan_arg(struct ipc_chan *c)
{
	return c->arg;
}

static void
chan_fail(struct ipc_chan *c, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (c->dead)
		return;
	c->dead = 1;
	event_del(c->rev);
	event_del(c->wev);
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	c->in_cb++;
	if (c->errcb != NULL)
		c->errcb(c, reason, c->arg);
	c->in_cb--;
	if (c->free_pending && c->in_cb == 0)
		chan_destroy(c);
}

/* drain the queue; 0 done or would block, -1 failed (chan_fail called) */
static int
chan_drain(struct ipc_chan *c)
{
	struct ipc_out *o;
	ssize_t n;

	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		n = send_part(c->fd, o->buf + o->off, o->len - o->off,
		    o->off == 0 ? o->fd : -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			event_add(c->wev, NULL);
			return 0;
		}
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
			/* the peer is gone, not misbehaving */
			chan_fail(c, "peer closed the channel");
			return -1;
		}
		if (n == -1) {
			chan_fail(c, "write: %s", strerror(errno));
			return -1;
		}
		if (o->fd != -1) {
			/* the kernel holds its own reference now */
			close(o->fd);
			o->fd = -1;
		}
		o->off += (size_t)n;
		c->queued -= (size_t)n;
		if (o->off == o->len) {
			TAILQ_REMOVE(&c->outq, o, entry);
			free(o->buf);
			free(o);
		}
	}
	return 0;
}

static void
chan_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ipc_chan *c = arg;

	ipc_drain_cb cb;

	c->in_cb++;
	chan_drain(c);
	/*
	 * Only from the event loop, never from inside ipc_send(): a paced
	 * sender that refills the queue from its callback must not recurse.
	 */
	if (!c->dead && !c->free_pending && c->drain_cb != NULL &&
	    c->queued <= c->drain_below) {
		cb = c->drain_cb;
		c->drain_cb = NULL;
		cb(c, c->drain_arg);
	}
	c->in_cb--;
	if (c->free_pending && c->in_cb == 0)
		chan_destroy(c);
}

void
ipc_chan_on_drain(struct ipc_chan *c, size_t below, ipc_drain_cb cb,
    void *arg)
{
	c->drain_cb = cb;
	c->drain_arg = arg;
	c->drain_below = below;
	/* already below: call it from the loop, as if the socket drained */
	if (cb != NULL && !c->dead && c->queued <= below)
		event_active(c->wev, EV_WRITE, 0);
}

int
ipc_send(struct ipc_chan *c, struct ipc_msg *m)
{
	struct ipc_out *o = NULL;
	size_t len;
	uint8_t *buf;

	if (c->dead) {
		ipc_msg_free(m);
		errno = EPIPE;
		return -1;
	}
	if ((buf = frame_build(m, &len)) == NULL) {
		ipc_msg_free(m);
		return -1;
	}
	if (c->queued + len > IPC_MAX_QUEUED) {
		free(buf);
		ipc_msg_free(m);
		chan_fail(c, "peer is not reading: %zu bytes queued",
		    c->queued);
		errno = ENOBUFS;
		return -1;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		free(buf);
		ipc_msg_free(m);
		return -1;
	}
	o->buf = buf;
	o->len = len;
	o->fd = ipc_take_fd(m);
	ipc_msg_free(m);
	TAILQ_INSERT_TAIL(&c->outq, o, entry);
	c->queued += len;
	if (TAILQ_FIRST(&c->outq) == o) {
		c->in_cb++;
		chan_drain(c);
		c->in_cb--;
		if (c->free_pending && c->in_cb == 0) {
			chan_destroy(c);
			errno = EPIPE;
			return -1;
		}
		if (c->dead)
			return -1;
	}
	return 0;
}

int
ipc_chan_kick(struct ipc_chan *c)
{
	if (c->dead)
		return -1;
	if (TAILQ_EMPTY(&c->outq))
		return 0;
	c->in_cb++;
	chan_drain(c);
	c->in_cb--;
	if (c->free_pending && c->in_cb == 0) {
		chan_destroy(c);
		return -1;
	}
	return c->dead ? -1 : 0;
}

int
ipc_compose(struct ipc_chan *c, uint32_t type, uint32_t id, int fd,
    const void *p, size_t n)
{
	struct ipc_msg m;

	ipc_msg_init(&m, type, id);
	if (n > 0)
		msg_put(&m, p, n);
	if (fd != -1)
		ipc_put_fd(&m, fd);
	return ipc_send(c, &m);
}

int
ipc_send_chunks(struct ipc_chan *c, uint32_t type, uint32_t id,
    const void *p, size_t len)
{
	const uint8_t *b = p;
	struct ipc_msg m;
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off > IPC_CHUNK ? IPC_CHUNK : len - off;
		ipc_msg_init(&m, type, id);
		ipc_put_bytes(&m, b + off, n);
		if (ipc_send(c, &m) == -1)
			return -1;
	}
	return 0;
}

int
ipc_flush(struct ipc_chan *c)
{
	while (!c->dead && !TAILQ_EMPTY(&c->outq)) {
		if (chan_drain(c) == -1)
			return -1;
		if (!TAILQ_EMPTY(&c->outq) &&
		    wait_fd(c->fd, POLLOUT, 1000) == -1)
			return -1;
	}
	return c->dead ? -1 : 0;
}

static const struct ipc_dispatch *
chan_lookup(struct ipc_chan *c, uint32_t type, size_t *idx)
{
	size_t i;

	for (i = 0; i < c->ntab; i++)
		if (c->tab[i].type == type) {
			*idx = i;
			return &c->tab[i];
		}
	return NULL;
}

/* 0: dispatched; -1: the channel failed */
static int
chan_dispatch(struct ipc_chan *c, const struct ipc_hdr *h, uint8_t *payload)
{
	const struct ipc_dispatch *row;
	struct ipc_msg m;
	const char *why;
	size_t idx;
	int rv;

	ipc_msg_init(&m, h->type, h->id);
	m.pid = h->pid;
	m.data = payload;		/* borrowed from rbuf */
	m.len = h->len;
	if (h->flags & IPC_HDRF_FD) {
		if (c->nrfds == 0) {
			chan_fail(c, "fd flag without a passed fd");
			return -1;
		}
		m.fd = c->rfds[0];
		memmove(c->rfds, c->rfds + 1, --c->nrfds * sizeof(int));
	}
	if ((row = chan_lookup(c, h->type, &idx)) == NULL) {
		ipc_msg_free(&m);
		chan_fail(c, "unexpected message type %u (%s)", h->type,
		    msg_type_name(h->type));
		return -1;
	}
	/* a table row the catalog does not back: that direction is not ours */
	if (c->has_roles && !msg_schema_allows(h->type, c->peer_role,
	    c->self_role)) {
		ipc_msg_free(&m);
		chan_fail(c, "unexpected message type %u (%s) from %s to %s",
		    h->type, msg_type_name(h->type), role_name(c->peer_role),
		    role_name(c->self_role));
		return -1;
	}
	/* no row's mask holds a state >= 32 (and 1u << 32 is UB) */
	if (row->states != 0 && (c->state >= 32 ||
	    !(row->states & (1u << c->state)))) {
		ipc_msg_free(&m);
		chan_fail(c, "%s not allowed in state %u",
		    msg_type_name(h->type), c->state);
		return -1;
	}
	if ((row->flags & IPC_F_ONCE) && c->seen[idx]) {
		ipc_msg_free(&m);
		chan_fail(c, "%s repeated", msg_type_name(h->type));
		return -1;
	}
	if (((row->flags & IPC_F_FD) != 0) != (m.fd != -1)) {
		/* decide before ipc_msg_free() resets m.fd to -1 */
		why = m.fd == -1 ? "lacks its fd" : "carries an unexpected fd";
		ipc_msg_free(&m);
		chan_fail(c, "%s %s", msg_type_name(h->type), why);
		return -1;
	}
	c->seen[idx] = 1;
	rv = row->fn(c, &m, c->arg);
	ipc_msg_free(&m);
	if (rv == -1) {
		chan_fail(c, "malformed %s", msg_type_name(h->type));
		return -1;
	}
	return c->dead ? -1 : 0;
}

static int
chan_grow(struct ipc_chan *c, size_t need)
{
	uint8_t *nb;

	if (need <= c->rcap)
		return 0;
	if ((nb = realloc(c->rbuf, need)) == NULL)
		return -1;
	c->rbuf = nb;
	c->rcap = need;
	return 0;
}

/* dispatch every complete frame in rbuf; -1 if the channel failed */
static int
chan_process(struct ipc_chan *c)
{
	struct ipc_hdr h;
	size_t pos = 0;
	const char *why;

	while (c->rlen - pos >= IPC_HDR_SIZE) {
		hdr_decode(c->rbuf + pos, &h);
		if ((why = hdr_check(&h)) != NULL) {
			chan_fail(c, "%s (type %u, %u bytes)", why, h.type,
			    h.len);
			return -1;
		}
		if (c->rlen - pos < IPC_HDR_SIZE + (size_t)h.len) {
			if (chan_grow(c, IPC_HDR_SIZE + (size_t)h.len) == -1) {
				chan_fail(c, "out of memory");
				return -1;
			}
			break;
		}
		if (chan_dispatch(c, &h, c->rbuf + pos + IPC_HDR_SIZE) == -1)
			return -1;
		pos += IPC_HDR_SIZE + h.len;
	}
	if (pos > 0) {
		memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
		c->rlen -= pos;
	}
	if (c->rlen == 0 && c->nrfds > 0) {
		chan_fail(c, "received an fd no message claimed");
		return -1;
	}
	return 0;
}

static void
chan_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ipc_chan *c = arg;
	ssize_t n;

	c->in_cb++;
	n = recv_part(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, c->rfds,
	    &c->nrfds, IPC_MAX_PENDING_FDS);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		goto out;
	if (n == -1)
		chan_fail(c, "read: %s", strerror(errno));
	else if (n == 0)
		chan_fail(c, c->rlen ? "peer closed mid-message" :
		    "peer closed the channel");
	else {
		c->rlen += (size_t)n;
		chan_process(c);
	}
 out:
	c->in_cb--;
	if (c->free_pending && c->in_cb == 0)
		chan_destroy(c);
}
