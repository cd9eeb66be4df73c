/*
 * agentd-netparse: decodes what CNI plugins print.  A plugin is a root
 * program the administrator installed, but its stdout describes a network
 * that other parties (a DHCP server, an IPAM store) may shape, so it is
 * parsed here, chrooted and unprivileged with the smallest seccomp
 * profile, and the executor gets a typed, bounded struct cni_result
 * (ipc/netwire.c) it checks again.
 *
 * The executor sends one MSG_NET_CHANNEL per sandbox job, carrying the
 * job's own socket; the job asks MSG_NET_PARSE on it, synchronously, and
 * gets one MSG_NET_RESULT per request.  The channel closes with the job.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cninet.h"
#include "ipc.h"
#include "log.h"
#include "sandbox.h"
#include "worker.h"

#define NETPARSE_MAX_CHANNELS	64	/* jobs in flight, queued included */

static struct worker_env env;
static struct ipc_chan *jobs[NETPARSE_MAX_CHANNELS];

static int	job_parse(struct ipc_chan *, struct ipc_msg *, void *);
static int	exec_channel(struct ipc_chan *, struct ipc_msg *, void *);
static int	parent_peer(struct ipc_chan *, struct ipc_msg *, void *);

static const struct ipc_dispatch parent_tab[] = {
	{ MSG_PING, 0, IPC_F_ANYSTATE, worker_ping },
	{ MSG_SHUTDOWN, 0, IPC_F_ANYSTATE, worker_shutdown },
	{ MSG_PEER_CONNECT, IPC_F_FD, IPC_F_ANYSTATE, parent_peer },
	WORKER_TEST_HOOK_ROW
};

static const struct ipc_dispatch executor_tab[] = {
	{ MSG_NET_CHANNEL, IPC_F_FD, IPC_F_ANYSTATE, exec_channel },
};

static const struct ipc_dispatch job_tab[] = {
	{ MSG_NET_PARSE, 0, IPC_F_ANYSTATE, job_parse },
};

/* a job's channel ended (the job exited) or misbehaved: forget it */
static void
job_error(struct ipc_chan *c, const char *reason, void *arg)
{
	size_t slot = (size_t)(uintptr_t)arg;

	log_debug("job channel %zu: %s", slot, reason);
	if (slot < NETPARSE_MAX_CHANNELS && jobs[slot] == c)
		jobs[slot] = NULL;
	ipc_chan_free(c);
}

static int
exec_channel(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	size_t i;
	int fd;

	if (ipc_get_end(m) == -1)
		return -1;
	fd = ipc_take_fd(m);
	for (i = 0; i < NETPARSE_MAX_CHANNELS && jobs[i] != NULL; i++)
		;
	if (i == NETPARSE_MAX_CHANNELS) {
		/* the job sees EOF and fails its sandbox; it is retried */
		log_warnx("more than %d job channels: refusing one",
		    NETPARSE_MAX_CHANNELS);
		close(fd);
		return 0;
	}
	if ((jobs[i] = ipc_chan_new(env.base, fd, "job", job_tab,
	    nitems(job_tab), job_error, (void *)(uintptr_t)i)) == NULL) {
		close(fd);
		return 0;
	}
	ipc_chan_set_roles(jobs[i], ROLE_NETPARSE, ROLE_EXECUTOR);
	return 0;
}

static int
job_parse(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct cni_result r;
	struct ipc_msg out;
	const uint8_t *buf;
	char why[MSGB_NET_ERROR + 1] = "";
	size_t len;
	uint32_t status;

	if (ipc_get_bytes_ref(m, &buf, MSGB_NET_RESULT, &len) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	status = cni_result_parse((const char *)buf, len, &r, why,
	    sizeof(why)) == -1;
	ipc_msg_init(&out, MSG_NET_RESULT, m->id);
	ipc_put_u32(&out, status);
	ipc_put_str(&out, why);
	netwire_put_result(&out, &r);
	return ipc_send(c, &out) == -1 ? -1 : 0;
}

static const struct worker_peer peers[] = {
	{ ROLE_EXECUTOR, executor_tab, nitems(executor_tab), NULL },
};

static int
parent_peer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return worker_peer_accept(&env, m, peers, nitems(peers));
}

int
main(int argc, char *argv[])
{
	worker_init(&env, ROLE_NETPARSE, parent_tab, nitems(parent_tab));
	worker_sandbox(&env.conf, env.role);
	worker_run(&env);
	return 0;
}
