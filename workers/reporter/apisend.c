/*
 * A request of the reporter's API work through the workers' client
 * (apiretry.h).  Apart from apiretry.c because it needs the client, which
 * no fuzz target links.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "apiclient.h"
#include "apiretry.h"

int
apireq_text(struct apiclient *cl, const char *method, const char *path,
    const char *ctype, const char *body, size_t max_body,
    void (*done)(void *, const struct apiresp *), void *arg)
{
	struct apiclient_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = path;
	if (body != NULL) {
		rq.content_type = ctype;
		rq.body = body;
		rq.body_len = strlen(body);
	}
	rq.max_body = max_body;
	rq.done = done;
	rq.arg = arg;
	return apiclient_request(cl, &rq);
}
