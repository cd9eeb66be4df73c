/*
 * apireport_drive: the reporter's API requests (apinode.c, apipods.c)
 * through a pipe instead of the API client, so that a test can relay them
 * to the test API server as the node and check what the server made of
 * them (tests/test_apireport_wire.py).  Until the workers' client
 * (include/apiclient.h) runs in the reporter this is how its requests
 * meet a server; afterwards it still pins the request bodies to what the
 * server's validation and admission accept.
 *
 *   apireport_drive NODE POD_UID
 *	a fixed scenario: register the Node, renew its Lease 10 s later
 *	(the clocks are this program's), make it NotReady, report the API
 *	pod default/web (uid POD_UID) Pending then Running, the static pod
 *	default/static-web (its mirror), then both gone.  One JSON object a
 *	line on stdout: {"req": {method, path, ctype, body}}, answered by a
 *	line {"status": N, "body": "..."} on stdin; {"checkpoint": NAME},
 *	answered by any line; {"done": true} at the end.  Exit 0; 1: bad
 *	input; 2: usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "apiclient.h"
#include "apinode.h"
#include "apipods.h"
#include "apiretry.h"
#include "nodefacts.h"
#include "../unit/nodefacts_sample.h"
#include "nodestatus.h"
#include "pod.h"
#include "../unit/podsample.h"

#define DRIVE_MAX_QUEUE		64
#define DRIVE_MAX_LINE		(8 * 1024 * 1024)
#define STATIC_HASH		"5d41402abc4b2a76b9719d911017c592"

struct queued {
	cJSON			*req;
	apiclient_done_fn	 done;
	void			*arg;
};

struct apiclient {
	char	name[32];
};

static struct queued	 queue[DRIVE_MAX_QUEUE];
static size_t		 nqueue;
static int64_t		 mono = 1000000, wall;

static int64_t drive_mono(void) { return mono; }
static int64_t drive_wall(void) { return wall; }

static void
advance(int64_t ms)
{
	mono += ms;
	wall += ms * 1000000LL;
}

struct apiclient *
apiclient_new(const char *name)
{
	struct apiclient *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

int
apiclient_request(struct apiclient *c, const struct apiclient_req *rq)
{
	cJSON *r;

	if (nqueue == DRIVE_MAX_QUEUE || (r = cJSON_CreateObject()) == NULL)
		return -1;
	cJSON_AddStringToObject(r, "client", c->name);
	cJSON_AddStringToObject(r, "method", rq->method);
	cJSON_AddStringToObject(r, "path", rq->path);
	if (rq->content_type != NULL) {
		char *b = strndup(rq->body, rq->body_len);

		cJSON_AddStringToObject(r, "ctype", rq->content_type);
		cJSON_AddStringToObject(r, "body", b != NULL ? b : "");
		free(b);
	}
	queue[nqueue].req = r;
	queue[nqueue].done = rq->done;
	queue[nqueue].arg = rq->arg;
	nqueue++;
	return 0;
}

static char *
read_line(void)
{
	static char *line;
	size_t n;

	if (line == NULL && (line = malloc(DRIVE_MAX_LINE)) == NULL)
		exit(1);
	if (fgets(line, DRIVE_MAX_LINE, stdin) == NULL)
		exit(1);
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static void
emit(cJSON *o)
{
	char *t;

	if ((t = cJSON_PrintUnformatted(o)) == NULL)
		exit(1);
	printf("%s\n", t);
	fflush(stdout);
	free(t);
	cJSON_Delete(o);
}

/* the oldest request out, answered by the test */
static void
deliver(void)
{
	struct queued q = queue[0];
	struct apiresp resp;
	const cJSON *st, *body;
	cJSON *o, *a;

	memmove(queue, queue + 1, --nqueue * sizeof(queue[0]));
	if ((o = cJSON_CreateObject()) == NULL)
		exit(1);
	cJSON_AddItemToObject(o, "req", q.req);
	emit(o);
	if ((a = cJSON_Parse(read_line())) == NULL)
		exit(1);
	st = cJSON_GetObjectItemCaseSensitive(a, "status");
	body = cJSON_GetObjectItemCaseSensitive(a, "body");
	memset(&resp, 0, sizeof(resp));
	resp.status = cJSON_IsNumber(st) ? st->valueint : 0;
	resp.error = resp.status == 0 ? "test: no answer" : NULL;
	if (cJSON_IsString(body)) {
		resp.body = (const uint8_t *)body->valuestring;
		resp.body_len = strlen(body->valuestring);
	}
	resp.retry_after = -1;
	q.done(q.arg, &resp);
	cJSON_Delete(a);
}

/* everything that is due, until nothing is out */
static void
pump(void)
{
	for (;;) {
		apinode_run();
		apipods_run();
		if (nqueue == 0)
			return;
		while (nqueue > 0)
			deliver();
	}
}

static void
checkpoint(const char *name)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		exit(1);
	cJSON_AddStringToObject(o, "checkpoint", name);
	emit(o);
	read_line();
}

static char *
xstrdup(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		exit(1);
	return d;
}

static void
mkpod(struct pod *p, struct pod_report *r, const char *name,
    const char *uid, const char *source, const char *node)
{
	podsample(p, r, name, uid, "c", wall);
	p->source = xstrdup(source);
	p->node_name = xstrdup(node);
	r->host_ip = xstrdup("192.0.2.2");
}

static void
set_running(struct pod_report *r)
{
	r->sandbox_ready = 1;
	r->pod_ip = xstrdup("10.88.0.7");
	r->containers[0].state = CSTATE_RUNNING;
	r->containers[0].started_at_ns = wall;
	r->containers[0].ready = 1;
	r->containers[0].container_id = xstrdup("runc://abc");
}

int
main(int argc, char *argv[])
{
	struct pod api, st;
	struct pod_report api_r, st_r;
	struct node_conf nc;
	struct node_facts f;
	struct event_base *base;

	if (argc != 3) {
		fprintf(stderr, "usage: apireport_drive NODE POD_UID\n");
		return 2;
	}
	wall = pod_now_ns();
	apiclock_mono_ms = drive_mono;
	apiclock_wall_ns = drive_wall;
	if ((base = event_base_new()) == NULL)
		return 1;
	nc.name = argv[1];
	nc.node_ips = "192.0.2.2";
	nc.max_pods = 110;
	nodefacts_sample(&f, wall);

	apinode_init(base, &nc);
	apipods_init(base, nc.name);
	apinode_on_registered(apipods_node_registered);
	apinode_facts(&f);
	apinode_start();
	apipods_start();
	pump();
	checkpoint("node");
	advance(APINODE_LEASE_RENEW_S * 1000);
	pump();
	checkpoint("renewed");
	apinode_set_network_ready(0, "network plugin not ready: no CNI "
	    "configuration");
	pump();
	checkpoint("notready");

	mkpod(&api, &api_r, "web", argv[2], "api", nc.name);
	apipods_status(&api, &api_r);
	pump();
	set_running(&api_r);
	apipods_status(&api, &api_r);
	pump();
	checkpoint("running");

	mkpod(&st, &st_r, "static-web", STATIC_HASH,
	    "file:/etc/agentd/pods/static-web.yaml", nc.name);
	if ((st.annotations = calloc(2, sizeof(*st.annotations))) == NULL)
		return 1;
	st.annotations[0].key = xstrdup("kubernetes.io/config.hash");
	st.annotations[0].value = xstrdup(STATIC_HASH);
	st.annotations[1].key = xstrdup("kubernetes.io/config.source");
	st.annotations[1].value = xstrdup("file");
	st.n_annotations = 2;
	set_running(&st_r);
	apipods_status(&st, &st_r);
	pump();
	checkpoint("mirror");

	apipods_gone(&api);
	apipods_gone(&st);
	pump();
	checkpoint("deleted");
	emit(cJSON_Parse("{\"done\":true}"));
	pod_free(&api);
	pod_report_free(&api_r);
	pod_free(&st);
	pod_report_free(&st_r);
	return 0;
}
