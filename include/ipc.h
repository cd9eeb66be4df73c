/*
 * The IPC protocol library: length-prefixed typed messages over a
 * SOCK_STREAM socketpair, with opt-in fd passing and per-channel dispatch
 * tables.  Every get is bounded and checked; a message must be consumed
 * exactly (ipc_get_end).  Any framing or dispatch violation ends the peer.
 *
 * Wire header (20 bytes, host byte order: both ends are on one host):
 *	u32 type | u32 len (payload bytes) | u32 id | u32 pid | u32 flags
 */
#ifndef AGENTD_IPC_H
#define AGENTD_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define IPC_HDR_SIZE		20
#define IPC_MAX_MSG		(1024 * 1024)	/* header + payload */
#define IPC_MAX_PAYLOAD		(IPC_MAX_MSG - IPC_HDR_SIZE)
/* bytes a sender may queue for a slow peer before the peer is declared wedged */
#define IPC_MAX_QUEUED		(32 * 1024 * 1024)
#define IPC_MAX_STR		(64 * 1024)	/* hard cap on one string field */

#define IPC_HDRF_FD		0x1	/* one fd travels with this message */
#define IPC_HDRF_MASK		0x1

struct ipc_msg {
	uint32_t	 type;
	uint32_t	 id;
	uint32_t	 pid;
	int		 fd;		/* passed fd, -1 if none */
	uint8_t		*data;
	size_t		 len;		/* payload bytes */
	size_t		 cap;
	size_t		 off;		/* read cursor */
	int		 err;		/* sticky put error */
};

/* building */
void	ipc_msg_init(struct ipc_msg *, uint32_t type, uint32_t id);
void	ipc_msg_free(struct ipc_msg *);	/* frees data, closes fd */
int	ipc_put_u8(struct ipc_msg *, uint8_t);
int	ipc_put_u32(struct ipc_msg *, uint32_t);
int	ipc_put_u64(struct ipc_msg *, uint64_t);
int	ipc_put_i64(struct ipc_msg *, int64_t);
int	ipc_put_str(struct ipc_msg *, const char *);	/* NULL = "" */
int	ipc_put_bytes(struct ipc_msg *, const void *, size_t);
void	ipc_put_fd(struct ipc_msg *, int fd);	/* fd is owned by the msg */

/*
 * reading: each returns 0 or -1 (truncated, over the bound, bad content).
 * ipc_get_str fails if the string has NUL bytes or is >= max bytes.
 * ipc_get_strdup allocates (bounded by max) and returns NULL on error.
 * ipc_get_count reads a u32 list length and fails if it exceeds max.
 */
int	ipc_get_u8(struct ipc_msg *, uint8_t *);
int	ipc_get_u32(struct ipc_msg *, uint32_t *);
int	ipc_get_u64(struct ipc_msg *, uint64_t *);
int	ipc_get_i64(struct ipc_msg *, int64_t *);
int	ipc_get_str(struct ipc_msg *, char *, size_t max);
char	*ipc_get_strdup(struct ipc_msg *, size_t max);
int	ipc_get_bytes(struct ipc_msg *, void *, size_t max, size_t *lenp);
/* borrow a byte array in place (no copy); valid while msg lives */
int	ipc_get_bytes_ref(struct ipc_msg *, const uint8_t **, size_t max,
	    size_t *lenp);
int	ipc_get_count(struct ipc_msg *, uint32_t *, uint32_t max);
int	ipc_get_end(struct ipc_msg *);
int	ipc_take_fd(struct ipc_msg *);	/* caller owns the fd afterwards */

/* framing without a channel: parse one whole frame from bytes */
int	ipc_frame_decode(const uint8_t *, size_t, struct ipc_msg *);

/* channels (libevent) */
struct ipc_chan;
typedef int (*ipc_handler)(struct ipc_chan *, struct ipc_msg *, void *);

#define IPC_F_ONCE	0x01	/* accepted at most once per channel */
#define IPC_F_FD	0x02	/* may (and must) carry an fd */
#define IPC_F_ANYSTATE	0		/* states == 0: allowed in any state */

struct ipc_dispatch {
	uint32_t	 type;
	uint32_t	 flags;
	uint32_t	 states;	/* bitmask of (1 << chan state); 0 = any */
	ipc_handler	 fn;
};

/* called once when the peer misbehaves or the channel closes */
typedef void (*ipc_error_cb)(struct ipc_chan *, const char *reason, void *);

struct ipc_chan	*ipc_chan_new(struct event_base *, int fd, const char *name,
		    const struct ipc_dispatch *, size_t ndispatch,
		    ipc_error_cb, void *arg);
void		 ipc_chan_free(struct ipc_chan *);	/* closes the fd */
int		 ipc_chan_fd(struct ipc_chan *);
const char	*ipc_chan_name(struct ipc_chan *);
/*
 * The roles (enum proc_role) at the two ends: once set, a frame whose
 * catalog row (msgschema.h) does not have the peer as a sender and self as
 * a receiver is refused like an unknown type.  Unset: no direction check.
 */
void		 ipc_chan_set_roles(struct ipc_chan *, uint32_t self,
		    uint32_t peer);
void		 ipc_chan_set_state(struct ipc_chan *, uint32_t);
uint32_t	 ipc_chan_state(struct ipc_chan *);
size_t		 ipc_chan_queued(struct ipc_chan *);
/* bytes of a message received in part (0: between messages) */
size_t		 ipc_chan_rx_partial(struct ipc_chan *);
void		*ipc_chan_arg(struct ipc_chan *);
/* queue a message (takes ownership of msg data and fd); -1: channel failed */
int		 ipc_send(struct ipc_chan *, struct ipc_msg *);
/* convenience: a message with one opaque payload */
int		 ipc_compose(struct ipc_chan *, uint32_t type, uint32_t id,
		    int fd, const void *, size_t);
/* a long text as bytes messages of at most IPC_CHUNK bytes each */
#define IPC_CHUNK	(256 * 1024)
int		 ipc_send_chunks(struct ipc_chan *, uint32_t type, uint32_t id,
		    const void *, size_t);
/*
 * Pacing: a sender with more to say than a peer should have queued at once
 * (a whole directory, a whole pod set, every pod's status) sends while
 * ipc_chan_queued() is under IPC_SEND_BUDGET and then asks to be called
 * back once the queue has drained to `below` bytes.  The callback is
 * one-shot, runs from the event loop (never inside ipc_send), and never
 * runs once the channel has failed or been freed.  One message is at most
 * IPC_MAX_MSG, so a paced sender never queues more than
 * IPC_SEND_BUDGET + IPC_MAX_MSG, well under IPC_MAX_QUEUED.
 */
#define IPC_SEND_BUDGET		(4 * 1024 * 1024)
typedef void (*ipc_drain_cb)(struct ipc_chan *, void *);
void		 ipc_chan_on_drain(struct ipc_chan *, size_t below,
		    ipc_drain_cb, void *);
/*
 * write what the socket takes now, without waiting: for a sender busy for
 * long outside the event loop (the executor's relist); -1 if it failed
 * (and the channel may be gone: do not use it then)
 */
int		 ipc_chan_kick(struct ipc_chan *);
/* flush the whole queue synchronously (used before exit) */
int		 ipc_flush(struct ipc_chan *);

/* blocking helpers for simple synchronous peers (agentctl, audit channel) */
int	ipc_write_msg(int fd, struct ipc_msg *);	/* consumes msg */
/* timeout_ms < 0: wait forever. returns 0, -1 (errno set; EPROTO = bad frame) */
int	ipc_read_msg(int fd, struct ipc_msg *, int timeout_ms);

#endif
