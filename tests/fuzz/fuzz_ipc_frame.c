/*
 * fuzz_ipc_frame: arbitrary bytes as a misbehaving peer would write them
 * to a channel.
 *
 * 1. ipc_frame_decode() on the whole input; a frame it accepts is decoded
 *    by its catalog row (include/msgschema.h) with the typed gets, each
 *    string and byte array within its row's bound.
 * 2. The same bytes go through a real channel: written into a socketpair
 *    in odd-sized chunks, read and dispatched by ipc.c under libevent,
 *    with a dispatch table of every catalog type (HELLO once, PEER_CONNECT
 *    with an fd, POD_SPEC only between PODSET_BEGIN and PODSET_END).  A
 *    quarter of the inputs (by length) give the channel two roles from
 *    the first byte, so that the catalog's directions are checked too.  A
 *    model walks the bytes independently; the channel must dispatch exactly
 *    the frames the model accepts, in order, never dispatch after its
 *    error callback, and call that callback exactly once by the time the
 *    peer has closed.
 *
 * Build: clang -g -O1 -std=gnu11 -Iinclude -D_GNU_SOURCE -DAGENTD_FUZZ \
 *   -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_ipc_frame.c \
 *   ipc/ipc.c ipc/podwire.c ipc/pod.c ipc/podschema.c ipc/msgcat.c \
 *   ipc/msgschema.c ipc/proctab.c ipc/evring.c common/log.c -levent \
 *   -o /tmp/fuzz_ipc_frame
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "evring.h"
#include "ipc.h"
#include "msgcat.h"
#include "pod.h"
#include "msgschema.h"

#define FUZZ_MAX_DISPATCH	4096
#define MSG_NSCHEMAS		msg_nschemas
#define ST_IDLE			0
#define ST_PODSET		1

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* the ends of the channel under test; has == 0: no direction check */
struct ends {
	int		 has;
	uint32_t	 self, peer;
};

struct obs {
	int		 nerr;
	int		 ndisp;
	int		 disp_after_err;
	uint32_t	 types[FUZZ_MAX_DISPATCH];
};

static const struct msg_schema *
schema_of(uint32_t type)
{
	return msg_schema_find(type);
}

/* u32s to the end of the payload, at most max of them */
static int
decode_u32_rest(struct ipc_msg *m, uint32_t max)
{
	uint32_t u32, n;

	for (n = 0; ipc_get_end(m) == -1; n++)
		if (n == max || ipc_get_u32(m, &u32) == -1)
			return -1;
	return 0;
}

/* one field by its row; 0 or -1 */
static int
decode_field(struct ipc_msg *m, const struct msg_field *f)
{
	const uint8_t *ref;
	struct pod pod;
	struct pod_report rep;
	static struct cni_result netres;
	uint64_t u64;
	int64_t i64;
	uint32_t u32, n, i;
	size_t len, save;
	char str[256];
	char *dup;

	switch (f->kind) {
	case MSGF_U32:
		return ipc_get_u32(m, &u32);
	case MSGF_U64:
		return ipc_get_u64(m, &u64);
	case MSGF_I64:
		return ipc_get_i64(m, &i64);
	case MSGF_STR:
		/* short strings by copy, long ones by strdup */
		save = m->off;
		if (f->max < sizeof(str) &&
		    ipc_get_str(m, str, f->max + 1) == 0)
			return 0;
		m->off = save;	/* a failed get may have moved it */
		if ((dup = ipc_get_strdup(m, f->max + 1)) == NULL)
			return -1;
		free(dup);
		return 0;
	case MSGF_BYTES:
		return ipc_get_bytes_ref(m, &ref, f->max, &len);
	case MSGF_U32LIST:
		if (ipc_get_count(m, &n, f->max) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (ipc_get_u32(m, &u32) == -1)
				return -1;
		return 0;
	case MSGF_U32REST:
		return decode_u32_rest(m, f->max);
	case MSGF_POD:
		if (podwire_get_pod(m, &pod) == -1)
			return -1;
		pod_free(&pod);
		return 0;
	case MSGF_REPORT:
		if (podwire_get_report(m, &rep) == -1)
			return -1;
		pod_report_free(&rep);
		return 0;
	case MSGF_NETRES:
		return netwire_get_result(m, &netres);
	}
	abort();
}

/*
 * decode a payload by its row; 0 only if it is consumed exactly.  A pod
 * event and the node's facts go through their real decoders, which check
 * the same bounds and the content as well.
 */
static int
decode_layout(struct ipc_msg *m, const struct msg_schema *s)
{
	struct node_facts nf;
	struct pod_event ev;
	size_t i;

	if (s->type == MSG_POD_EVENT)
		return evring_get(m, &ev);
	if (s->type == MSG_NODE_INFO)
		return nodewire_get(m, &nf);
	for (i = 0; i < s->nfields; i++)
		if (decode_field(m, &s->fields[i]) == -1)
			return -1;
	return ipc_get_end(m);
}

/* ---- the channel under test ---- */

static int
on_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct obs *o = arg;
	const struct msg_schema *s = schema_of(m->type);

	if (s == NULL)
		abort();	/* the dispatcher let an unknown type through */
	if (o->nerr > 0)
		o->disp_after_err = 1;
	if (m->fd != -1)
		abort();	/* no fd can come from the fuzzer */
	if (decode_layout(m, s) == -1)
		return -1;
	if (o->ndisp < FUZZ_MAX_DISPATCH)
		o->types[o->ndisp] = m->type;
	o->ndisp++;
	if (m->type == MSG_PODSET_BEGIN)
		ipc_chan_set_state(c, ST_PODSET);
	else if (m->type == MSG_PODSET_END)
		ipc_chan_set_state(c, ST_IDLE);
	return 0;
}

static void
on_error(struct ipc_chan *c, const char *reason, void *arg)
{
	struct obs *o = arg;

	if (reason == NULL || reason[0] == '\0')
		abort();
	o->nerr++;
}

static struct ipc_dispatch	*dtab;

static void
dtab_init(void)
{
	size_t i;

	if ((dtab = calloc(MSG_NSCHEMAS, sizeof(*dtab))) == NULL)
		abort();
	for (i = 0; i < MSG_NSCHEMAS; i++) {
		dtab[i].type = msg_schemas[i].type;
		dtab[i].flags = msg_schemas[i].flags;
		dtab[i].states = msg_schemas[i].type == MSG_POD_SPEC ?
		    1u << ST_PODSET : IPC_F_ANYSTATE;
		dtab[i].fn = on_msg;
	}
}

/* ---- the model: which frames must be dispatched ---- */

static void
ends_of(const uint8_t *data, size_t size, struct ends *e)
{
	memset(e, 0, sizeof(*e));
	if (size % 4 != 3)
		return;
	e->has = 1;
	e->self = data[0] % ROLE_MAX;
	e->peer = (data[0] / ROLE_MAX) % ROLE_MAX;
}

static int
model(const uint8_t *data, size_t size, const struct ends *e, uint32_t *types,
    int max)
{
	struct ipc_msg m;
	const struct msg_schema *s;
	uint32_t type, len, flags, state = ST_IDLE;
	uint8_t seen[MSG_TYPE_MAX] = { 0 };	/* by type */
	size_t pos = 0;
	int n = 0;

	while (size - pos >= IPC_HDR_SIZE) {
		memcpy(&type, data + pos, 4);
		memcpy(&len, data + pos + 4, 4);
		memcpy(&flags, data + pos + 16, 4);
		if (len > IPC_MAX_PAYLOAD || (flags & ~IPC_HDRF_MASK))
			break;
		if (size - pos - IPC_HDR_SIZE < len)
			break;
		if ((flags & IPC_HDRF_FD) || (s = schema_of(type)) == NULL)
			break;
		if (e->has && !msg_schema_allows(type, e->peer, e->self))
			break;
		if (type == MSG_POD_SPEC && state != ST_PODSET)
			break;
		if ((s->flags & IPC_F_ONCE) && seen[type])
			break;
		if (s->flags & IPC_F_FD)
			break;		/* it lacks its fd */
		seen[type] = 1;
		ipc_msg_init(&m, type, 0);
		m.data = (uint8_t *)data + pos + IPC_HDR_SIZE;
		m.len = len;
		if (decode_layout(&m, s) == -1)
			break;
		if (n < max)
			types[n] = type;
		n++;
		if (type == MSG_PODSET_BEGIN)
			state = ST_PODSET;
		else if (type == MSG_PODSET_END)
			state = ST_IDLE;
		pos += IPC_HDR_SIZE + len;
	}
	return n;
}

/* ---- driving ---- */

static struct event_base	*base;

static void
pump(int n)
{
	while (n-- > 0)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
run_channel(const uint8_t *data, size_t size, const struct ends *e,
    struct obs *o)
{
	struct ipc_chan *c;
	size_t off = 0, chunk, step;
	ssize_t w;
	int sv[2], pending, spins;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	if ((c = ipc_chan_new(base, sv[0], "fuzz", dtab, MSG_NSCHEMAS,
	    on_error, o)) == NULL)
		abort();
	if (e->has)
		ipc_chan_set_roles(c, e->self, e->peer);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	/* chunk sizes from the input length: frames straddle reads */
	step = 1 + size % 53;
	while (off < size && o->nerr == 0) {
		chunk = size - off < step ? size - off : step;
		w = write(sv[1], data + off, chunk);
		if (w > 0)
			off += (size_t)w;
		pump(2);
		step = step > 4096 ? 1 + size % 7 : step * 2 + 1;
	}
	/* let the channel take in everything that was written */
	for (spins = 0; spins < 10000 && o->nerr == 0; spins++) {
		if (ioctl(sv[0], FIONREAD, &pending) == -1 || pending == 0)
			break;
		pump(1);
	}
	close(sv[1]);
	for (spins = 0; spins < 100 && o->nerr == 0; spins++)
		pump(1);
	ipc_chan_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct obs o;
	static uint32_t want[FUZZ_MAX_DISPATCH];
	const struct msg_schema *s;
	struct ipc_msg m;
	struct ends e;
	int nwant, i;

	if (base == NULL) {
		if ((base = event_base_new()) == NULL)
			abort();
		dtab_init();
	}

	/* 1: a single whole frame */
	if (ipc_frame_decode(data, size, &m) == 0) {
		if (m.len != size - IPC_HDR_SIZE)
			abort();
		if ((s = schema_of(m.type)) != NULL)
			decode_layout(&m, s);
		ipc_msg_free(&m);
	}

	/* 2: a stream of frames through a channel, against the model */
	memset(&o, 0, sizeof(o));
	ends_of(data, size, &e);
	nwant = model(data, size, &e, want, FUZZ_MAX_DISPATCH);
	run_channel(data, size, &e, &o);
	if (o.nerr != 1 || o.disp_after_err)
		abort();
	if (o.ndisp != nwant) {
		fprintf(stderr, "dispatched %d frames, model says %d\n",
		    o.ndisp, nwant);
		abort();
	}
	for (i = 0; i < nwant && i < FUZZ_MAX_DISPATCH; i++)
		if (o.types[i] != want[i])
			abort();
	return 0;
}
