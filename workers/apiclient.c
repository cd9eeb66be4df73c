/*
 * PLACEHOLDER for the lead's workers/apiclient.c (include/apiclient.h),
 * written in parallel: it keeps the watcher's branch building and says
 * "API mode is off" everywhere.  At the merge, take the real file.
 */
#include <stddef.h>

#include "apiclient.h"
#include "log.h"
#include "worker.h"

int
apiclient_creds(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	log_warnx("MSG_API_CREDS: this build has no API client");
	return 0;
}

int
apiclient_signer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return 0;
}

int
apiclient_socket(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return 0;
}

int
apiclient_refused(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	return 0;
}

void
apiclient_on_ready(struct worker_env *env, void (*fn)(void))
{
}

int
apiclient_ready(void)
{
	return 0;
}

const char *
apiclient_server(void)
{
	return "(none)";
}

struct apiclient *
apiclient_new(const char *name)
{
	return NULL;
}

int
apiclient_request(struct apiclient *c, const struct apiclient_req *r)
{
	return -1;
}

void
apiclient_reset(struct apiclient *c, const char *why)
{
}

void
apiclient_free(struct apiclient *c)
{
}

size_t
apiclient_pending(struct apiclient *c)
{
	return 0;
}
