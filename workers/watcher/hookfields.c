/*
 * A container's lifecycle hooks (v1.Lifecycle): postStart and preStop,
 * each one handler of exec, httpGet or sleep, parsed by the handlers
 * probefields.c shares (sleep is the hooks' own).  tcpSocket is
 * deprecated for hooks and never run by the kubelet; it is refused
 * rather than accepted and ignored.
 */
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

/* v1.SleepAction.seconds: int64 in the API; beyond a day is a mistake */
#define HOOK_SLEEP_MAX_S	86400

static int
sleep_seconds(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;

	if (cJSON_IsNumber(v) && v->valuedouble <= 0)
		return fail(w, "must be greater than 0");
	return get_int(w, v, 1, HOOK_SLEEP_MAX_S, &h->sleep_s);
}

static const struct field_rule sleep_rules[] = {
	MAP("seconds", sleep_seconds),
	{ NULL, 0, NULL, NULL }
};

static int
handler_sleep(struct walk *w, const cJSON *v, void *arg)
{
	struct handler *h = arg;

	if (h->kind != HANDLER_NONE)
		return fail(w, "may not specify more than 1 handler type "
		    "(%s given already)", pod_handler_kind_name(h->kind));
	h->kind = HANDLER_SLEEP;
	if (walk_object(w, v, sleep_rules, h) == -1)
		return -1;
	if (h->sleep_s < 0)
		return require_field(w, NULL, "seconds", NULL);
	return 0;
}

static const struct field_rule hook_rules[] = {
	MAP("exec", handler_exec),
	MAP("httpGet", handler_http_get),
	MAP("sleep", handler_sleep),
	REJECT("tcpSocket", "tcpSocket is deprecated for lifecycle hooks and "
	    "never run: use exec, httpGet or sleep"),
	{ NULL, 0, NULL, NULL }
};

static int
walk_hook(struct walk *w, const cJSON *v, struct handler *h)
{
	if (walk_object(w, v, hook_rules, h) == -1)
		return -1;
	if (h->kind == HANDLER_NONE)
		return fail(w, "must specify a handler type (exec, httpGet or "
		    "sleep)");
	return 0;
}

static int
post_start(struct walk *w, const cJSON *v, void *arg)
{
	return walk_hook(w, v, &((struct lifecycle *)arg)->post_start);
}

static int
pre_stop(struct walk *w, const cJSON *v, void *arg)
{
	return walk_hook(w, v, &((struct lifecycle *)arg)->pre_stop);
}

static const struct field_rule lifecycle_rules[] = {
	MAP("postStart", post_start),
	MAP("preStop", pre_stop),
	REJECT("stopSignal", "a container's own stop signal is not "
	    "supported: the image's STOPSIGNAL is used"),
	{ NULL, 0, NULL, NULL }
};

int
container_lifecycle(struct walk *w, const cJSON *v, struct container_spec *c)
{
	return walk_object(w, v, lifecycle_rules, &c->lifecycle);
}

/* after the whole container: a port by name names one of its ports */
int
container_lifecycle_check(struct walk *w, const struct container_spec *c)
{
	if (handler_check(w, "lifecycle.postStart", &c->lifecycle.post_start,
	    c) == -1 || handler_check(w, "lifecycle.preStop",
	    &c->lifecycle.pre_stop, c) == -1)
		return -1;
	return 0;
}
