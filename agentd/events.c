/*
 * InvalidManifest events: agentd is the one that hears of a rejected
 * static manifest (from the watcher, or its own size and read checks), so
 * it logs the rejection (rate-limited per file and reason: the watcher
 * reports a file again after every restart) and keeps the event in its
 * own ring, which it resends whole to every new reporter.
 */
#include <stdio.h>
#include <string.h>

#include "agentd.h"
#include "evring.h"
#include "ipc.h"
#include "log.h"

static struct evring	manifest_events;
static struct logrl	manifest_log;

static void
send_event(struct agentd *env, const struct pod_event *e)
{
	struct worker *w = supervise_worker(env, ROLE_REPORTER);
	struct ipc_msg m;

	if (w == NULL || w->state != WORKER_UP)
		return;		/* resent when it comes up */
	ipc_msg_init(&m, MSG_POD_EVENT, 0);
	evring_put(&m, e);
	ipc_send(w->chan, &m);
}

void
events_manifest_rejected(struct agentd *env, const char *file,
    const char *field, const char *reason, int log_it)
{
	char msg[EVENT_MAX_MESSAGE], key[LOGRL_MAX_KEY];
	const struct pod_event *e;

	int n;

	/* long names and reasons are cut at the event's bounds */
	if (field != NULL && field[0] != '\0')
		n = snprintf(msg, sizeof(msg), "%s/%s: %s: %s",
		    env->conf.static_pod_path, file, field, reason);
	else
		n = snprintf(msg, sizeof(msg), "%s/%s: %s",
		    env->conf.static_pod_path, file, reason);
	if (n < 0)
		return;
	if (snprintf(key, sizeof(key), "%s:%s", file, reason) < 0)
		return;
	if (log_it)
		logrl_warnx(&manifest_log, key, "manifest rejected: %s", msg);
	e = evring_record(&manifest_events, "Manifest", "", file, "",
	    EVENT_WARNING, "InvalidManifest", msg, pod_now_ns());
	send_event(env, e);
}

void
events_reporter_up(struct agentd *env)
{
	size_t i;

	for (i = 0; i < manifest_events.n; i++)
		send_event(env, &manifest_events.ev[i]);
}
