/*
 * The common frame of agentd's workers (see include/worker.h).
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "pod.h"
#include "proctab.h"
#include "sandbox.h"
#include "worker.h"

struct worker_env *wenv;

static void
parent_error(struct ipc_chan *c, const char *reason, void *arg)
{
	/* without agentd there is nobody to obey: leave, it restarts us */
	if (strncmp(reason, "peer closed", 11) == 0)
		log_info("agentd closed the channel; exiting");
	else
		log_warnx("agentd broke the protocol (%s); exiting", reason);
	exit(1);
}

void
worker_init(struct worker_env *env, enum proc_role role,
    const struct ipc_dispatch *tab, size_t ntab)
{
	char err[1024];

	sandbox_check_started_by_agentd(role_name(role));
	memset(env, 0, sizeof(*env));
	wenv = env;
	env->role = role;
	log_init(role_name(role), LOG_LVL_INFO, 0);
	config_defaults(&env->conf);
	if (config_bin_load_fd(&env->conf, WORKER_CONFIG_FD, err,
	    sizeof(err)) == -1)
		fatalx("configuration from agentd: %s", err);
	close(WORKER_CONFIG_FD);
	log_init(role_name(role), env->conf.log_level, 0);
#ifdef AGENTD_TEST_HOOKS
	/* one binary encodes and decodes: every worker takes the same */
	podwire_test_layout(env->conf.test_podwire_bump,
	    env->conf.test_podwire_extra);
	if (env->conf.test_podwire_bump || env->conf.test_podwire_extra)
		log_warnx("test hook: podwire version bumped %d, extra "
		    "fields %d", env->conf.test_podwire_bump,
		    env->conf.test_podwire_extra);
#endif
	if ((env->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	env->parent = ipc_chan_new(env->base, WORKER_PARENT_FD, "agentd",
	    tab, ntab, parent_error, env);
	if (env->parent == NULL)
		fatalx("ipc_chan_new");
	ipc_chan_set_roles(env->parent, role, ROLE_PARENT);
}

void
worker_run(struct worker_env *env)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_HELLO, 0);
	ipc_put_u32(&m, env->role);
	ipc_put_u32(&m, IPC_PROTO_VERSION);
	if (ipc_send(env->parent, &m) == -1)
		fatalx("cannot say hello to agentd");
	event_base_dispatch(env->base);
	ipc_flush(env->parent);
}

int
worker_ping(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct ipc_msg pong;
	uint64_t seq;

	if (ipc_get_u64(m, &seq) == -1 || ipc_get_end(m) == -1)
		return -1;
	ipc_msg_init(&pong, MSG_PONG, 0);
	ipc_put_u64(&pong, seq);
	return ipc_send(c, &pong) == -1 ? -1 : 0;
}

int
worker_shutdown(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct worker_env *env = arg;

	if (ipc_get_end(m) == -1)
		return -1;
	log_debug("shutdown requested");
	event_base_loopexit(env->base, NULL);
	return 0;
}

static void
peer_error(struct ipc_chan *c, const char *reason, void *arg)
{
	enum proc_role role = (enum proc_role)(uintptr_t)arg;

	if (strncmp(reason, "peer closed", 11) == 0) {
		/* it died; agentd restarts it and sends a new channel */
		log_info("%s channel closed", role_name(role));
		ipc_chan_free(c);
		if (wenv->peers[role] == c)
			wenv->peers[role] = NULL;
		return;
	}
	worker_peer_fault(wenv, role, reason);
}

void
worker_peer_fault(struct worker_env *env, enum proc_role role,
    const char *reason)
{
	char bounded[PEER_FAULT_MAX_REASON + 1];
	struct ipc_msg m;

	log_warnx("%s broke the protocol: %s", role_name(role), reason);
	if (env->peers[role] != NULL) {
		ipc_chan_free(env->peers[role]);
		env->peers[role] = NULL;
	}
	/*
	 * A peer that sends us nothing by protocol (our queue to it
	 * overflowed, or it wrote to a send-only channel) is not ours to
	 * accuse: agentd would end us for it.  The channel stays closed.
	 */
	if (!env->peer_sends[role]) {
		log_warnx("%s channel closed; %s sends us nothing, so agentd "
		    "is not told", role_name(role), role_name(role));
		return;
	}
	snprintf(bounded, sizeof(bounded), "%s", reason);
	ipc_msg_init(&m, MSG_PEER_FAULT, 0);
	ipc_put_u32(&m, role);
	ipc_put_str(&m, bounded);
	ipc_send(env->parent, &m);
}

struct ipc_chan *
worker_peer_attach(struct worker_env *env, enum proc_role role, int fd,
    const struct ipc_dispatch *tab, size_t ntab)
{
	if (env->peers[role] != NULL)
		ipc_chan_free(env->peers[role]);
	env->peers[role] = ipc_chan_new(env->base, fd, role_name(role), tab,
	    ntab, peer_error, (void *)(uintptr_t)role);
	/* the process table says who sends to whom; a table must agree */
	env->peer_sends[role] = proc_sends(role, env->role);
	if (env->peer_sends[role] != (ntab > 0))
		fatalx("the %s %s a dispatch table for the %s, against the "
		    "process table", role_name(env->role), ntab > 0 ? "has" :
		    "lacks", role_name(role));
	if (env->peers[role] == NULL)
		close(fd);
	else
		ipc_chan_set_roles(env->peers[role], env->role, role);
	return env->peers[role];
}

int
worker_peer_accept(struct worker_env *env, struct ipc_msg *m,
    const struct worker_peer *tab, size_t ntab)
{
	const struct worker_peer *p;
	uint32_t role;
	size_t i;

	if (ipc_get_u32(m, &role) == -1 || ipc_get_end(m) == -1)
		return -1;
	for (i = 0; i < ntab && (uint32_t)tab[i].role != role; i++)
		;
	if (i == ntab)
		return -1;
	p = &tab[i];
	if (worker_peer_attach(env, p->role, ipc_take_fd(m), p->tab,
	    p->ntab) == NULL)
		fatalx("cannot attach the %s channel", role_name(p->role));
	if (p->attached != NULL)
		p->attached();
	return 0;
}

/*
 * Replies are paced like any long send (see IPC_SEND_BUDGET): a PodList of
 * 512 large pods is more than a channel may queue.  Text the channel
 * cannot take now waits here, with the END that follows it, in order; the
 * rest goes out as agentd reads.
 */
struct reply_out {
	TAILQ_ENTRY(reply_out)	 entry;
	uint32_t		 id;
	char			*text;		/* NULL: only an END */
	size_t			 len, off;
	int			 has_end;
	uint32_t		 status;
	char			*error;
};
static TAILQ_HEAD(reply_head, reply_out) replies =
    TAILQ_HEAD_INITIALIZER(replies);

static int
reply_end_now(struct worker_env *env, uint32_t id, uint32_t status,
    const char *error)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_REPLY_END, id);
	ipc_put_u32(&m, status);
	ipc_put_str(&m, error);
	return ipc_send(env->parent, &m);
}

static void
reply_pump(struct ipc_chan *c, void *arg)
{
	struct worker_env *env = arg;
	struct reply_out *r;
	size_t n;

	while ((r = TAILQ_FIRST(&replies)) != NULL) {
		while (r->off < r->len) {
			if (ipc_chan_queued(c) >= IPC_SEND_BUDGET) {
				ipc_chan_on_drain(c, IPC_SEND_BUDGET / 2,
				    reply_pump, env);
				return;
			}
			n = r->len - r->off > IPC_CHUNK ? IPC_CHUNK :
			    r->len - r->off;
			if (ipc_send_chunks(c, MSG_REPLY_CHUNK, r->id,
			    r->text + r->off, n) == -1)
				return;	/* the channel failed: we exit */
			r->off += n;
		}
		if (!r->has_end)
			return;		/* its END is still to come */
		reply_end_now(env, r->id, r->status, r->error);
		TAILQ_REMOVE(&replies, r, entry);
		free(r->text);
		free(r->error);
		free(r);
	}
}

int
worker_reply_text(struct worker_env *env, uint32_t id, const char *text)
{
	struct reply_out *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->text = strdup(text)) == NULL) {
		free(r);
		return -1;
	}
	r->id = id;
	r->len = strlen(text);
	TAILQ_INSERT_TAIL(&replies, r, entry);
	reply_pump(env->parent, env);
	return 0;
}

int
worker_reply_end(struct worker_env *env, uint32_t id, uint32_t status,
    const char *error)
{
	struct reply_out *r = TAILQ_LAST(&replies, reply_head);

	if (r == NULL)
		return reply_end_now(env, id, status, error);
	if (r->id != id || r->has_end) {
		/* an END without text behind another reply: keep the order */
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return -1;
		r->id = id;
		TAILQ_INSERT_TAIL(&replies, r, entry);
	}
	r->has_end = 1;
	r->status = status;
	if (error != NULL && (r->error = strdup(error)) == NULL)
		return -1;
	reply_pump(env->parent, env);
	return 0;
}

#ifdef AGENTD_TEST_HOOKS
/* raw bytes straight onto a channel's socket, past all framing checks */
static void
send_raw(int fd, uint32_t type, uint32_t len, const void *p, size_t n)
{
	uint32_t hdr[5] = { type, len, 0, (uint32_t)getpid(), 0 };

	/* write(2): the sandboxed workers may not call sendto(2) */
	if (write(fd, hdr, sizeof(hdr)) == -1 ||
	    (n > 0 && write(fd, p, n) == -1))
		log_warn("test hook write");
}

/* what a compromised worker would try: signal another process */
static int
hook_tgkill(struct ipc_msg *m)
{
	uint32_t pid, sig;

	if (ipc_get_u32(m, &pid) == -1 || ipc_get_u32(m, &sig) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	log_warnx("test hook: tgkill(%u, %u, %u)", pid, pid, sig);
	if (syscall(SYS_tgkill, (pid_t)pid, (pid_t)pid, (int)sig) == -1)
		log_warn("test hook: tgkill");
	return 0;
}

int
worker_test_hook(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct worker_env *env = arg;
	uint32_t hook, i;
	int fd = ipc_chan_fd(env->parent);

	if (ipc_get_u32(m, &hook) == -1)
		return -1;
	if (hook == TEST_HOOK_TGKILL)
		return hook_tgkill(m);
	if (ipc_get_end(m) == -1)
		return -1;
	log_warnx("test hook %u", hook);
	switch (hook) {
	case TEST_HOOK_FORBIDDEN_SYSCALL:
		/* a sandboxed worker may not create sockets: SIGSYS */
		if (socket(AF_INET, SOCK_STREAM, 0) != -1)
			log_warnx("test hook: socket() was allowed");
		break;
	case TEST_HOOK_SEND_GARBAGE:
		send_raw(fd, 0xdead, 0, NULL, 0);
		break;
	case TEST_HOOK_SEND_OVERSIZE:
		send_raw(fd, MSG_PONG, IPC_MAX_PAYLOAD + 1, NULL, 0);
		break;
	case TEST_HOOK_SEND_TRUNCATED:
		send_raw(fd, MSG_PONG, 3, "abc", 3);
		break;
	case TEST_HOOK_REJECT_FLOOD:
		/* what a compromised watcher can send: valid, and many */
		for (i = 0; i < TEST_HOOK_REJECT_FLOOD_N; i++) {
			struct ipc_msg r;

			ipc_msg_init(&r, MSG_MANIFEST_REJECT, 0);
			ipc_put_str(&r, "zz-flood.yaml");
			ipc_put_str(&r, "spec");
			ipc_put_str(&r, "a flood from the test hook");
			if (ipc_send(env->parent, &r) == -1)
				break;
		}
		break;
	case TEST_HOOK_PEER_GARBAGE:
		for (i = 0; i < ROLE_MAX; i++)
			if (env->peers[i] != NULL) {
				send_raw(ipc_chan_fd(env->peers[i]), 0xdead,
				    0, NULL, 0);
				break;
			}
		break;
	default:
		if (env->role_test_hook != NULL)
			env->role_test_hook(env, hook);
		break;
	}
	return 0;
}
#endif
