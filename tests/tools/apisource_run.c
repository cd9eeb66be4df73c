/*
 * apisource_run: the watcher's API source (workers/watcher/apisource.c)
 * over the real API client, against the test API server, for
 * tests/test_apisource_live.py.  agentd's part (MSG_API_CREDS, the socket
 * grants) runs in a child over a socketpair (agentdpart.c, as for
 * tests/tools/apiget.c); the reflector, the client, TLS and the decoders are the real code.
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

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentdpart.h"
#include "apiclient.h"
#include "apisource.h"
#include "ipc.h"
#include "log.h"
#include "worker.h"

static struct worker_env	 wenv_;
struct worker_env		*wenv = &wenv_;
static const char		*node = "n1";
static struct event		*timer;

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
	print_table, reject, NULL, now_ms, rnd, arm
};

static void
ready(void)
{
	if (apisource_start(node, &hooks) == -1)
		errx(3, "apisource_start");
}

int
main(int argc, char *argv[])
{
	struct agentd_part part = { .server_name = "", .token = "" };
	const char *ca = NULL;
	struct timeval end = { 60, 0 };
	int ch;

	while ((ch = getopt(argc, argv, "c:N:T:t:")) != -1)
		switch (ch) {
		case 'c': ca = optarg; break;
		case 'N': node = optarg; break;
		case 'T': end.tv_sec = atoi(optarg); break;
		case 't': part.token = optarg; break;
		default: return 2;
		}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		errx(2, "usage: apisource_run -c CA -t TOKEN -N NODE "
		    "[-T SECONDS] HOST PORT");
	part.host = argv[0];
	part.port = atoi(argv[1]);
	log_init("apisource_run", 1, 0);
	apiclient_init();
	if (ca != NULL)
		part.ca = tool_slurp(ca, &part.calen);
	agentd_part_start(&part);
	if ((timer = evtimer_new(wenv->base, timer_cb, NULL)) == NULL)
		errx(3, "evtimer_new");
	apiclient_on_ready(wenv, ready);
	event_base_loopexit(wenv->base, &end);
	event_base_dispatch(wenv->base);
	apisource_stop();
	free((char *)part.ca);
	return 0;
}
