/*
 * Events and `describe` as kubectl prints them (events.h).  The layouts
 * follow kubectl: `kubectl events` (pkg/cmd/events/printer.go: LAST SEEN
 * is "5s", or "5s (x3 over 2m)" for an aggregated event; OBJECT is
 * Kind/name) and `kubectl describe pod` (pkg/describe/describe.go:
 * aligned "Key:  value" lines, containers' State/Last State/Ready/Restart
 * Count, Conditions, Events with Type Reason Age From Message).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "podstatus.h"
#include "strbuf.h"

/* an escaped copy: the printable bytes, \xNN for control bytes */
static char *
esc(const char *s)
{
	size_t len = strlen(s ? s : "") * 4 + 1;
	char *out;

	if ((out = malloc(len)) != NULL)
		evring_escape(s ? s : "", out, len);
	return out;
}

/* tabwriter counts runes, not bytes */
static size_t
width_of(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * nrows x ncols cells (row-major), escaped, every column but the last
 * padded to its widest cell plus EVTABLE_PADDING, each line indented.
 */
static void
tb_table(struct strbuf *b, const char **cells, size_t nrows, size_t ncols,
    const char *indent)
{
	size_t i, c, w, width[8] = { 0 };
	char **e;

	if (ncols > 8 || (e = calloc(nrows * ncols + 1, sizeof(*e))) == NULL) {
		b->oom = 1;
		return;
	}
	for (i = 0; i < nrows * ncols; i++)
		if ((e[i] = esc(cells[i])) == NULL)
			b->oom = 1;
	for (i = 0; i < nrows && !b->oom; i++)
		for (c = 0; c < ncols; c++)
			if ((w = width_of(e[i * ncols + c])) > width[c])
				width[c] = w;
	for (i = 0; i < nrows && !b->oom; i++) {
		strbuf_printf(b, "%s", indent);
		for (c = 0; c < ncols; c++) {
			if (c + 1 == ncols) {
				strbuf_printf(b, "%s\n", e[i * ncols + c]);
				continue;
			}
			strbuf_printf(b, "%s%*s", e[i * ncols + c], (int)(width[c] +
			    EVTABLE_PADDING - width_of(e[i * ncols + c])), "");
		}
	}
	for (i = 0; i < nrows * ncols; i++)
		free(e[i]);
	free(e);
}

/* ---- events ---- */

static int
by_last_seen(const void *a, const void *b)
{
	const struct pod_event *x = *(const struct pod_event *const *)a;
	const struct pod_event *y = *(const struct pod_event *const *)b;

	if (x->last_ns != y->last_ns)
		return x->last_ns < y->last_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

void
events_sort(const struct pod_event **ev, size_t n)
{
	qsort(ev, n, sizeof(*ev), by_last_seen);
}

/* "5s", or "5s (x3 over 2m)" as kubectl shows an aggregated event */
static void
last_seen(const struct pod_event *e, int64_t now_ns, char buf[96], size_t len)
{
	char last[PODSTATUS_DURATION_LEN], first[PODSTATUS_DURATION_LEN];

	podstatus_human_duration(now_ns - e->last_ns, last, sizeof(last));
	if (e->count <= 1) {
		snprintf(buf, len, "%s", last);
		return;
	}
	podstatus_human_duration(now_ns - e->first_ns, first, sizeof(first));
	snprintf(buf, len, "%s (x%u over %s)", last, e->count, first);
}

#define EVCOLS	5

char *
events_table(const struct pod_event *const *ev, size_t n, int64_t now_ns,
    int header)
{
	static const char *head[EVCOLS] = {
		"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"
	};
	struct strbuf b = { 0 };
	const char **cells;
	char (*seen)[96], (*obj)[EVENT_MAX_KIND + EVENT_MAX_NAME + 1];
	size_t i, r = 0;

	cells = calloc((n + 1) * EVCOLS, sizeof(*cells));
	seen = calloc(n + 1, sizeof(*seen));
	obj = calloc(n + 1, sizeof(*obj));
	if (cells == NULL || seen == NULL || obj == NULL) {
		free(cells);
		free(seen);
		free(obj);
		return NULL;
	}
	if (header)
		memcpy(&cells[r++ * EVCOLS], head, sizeof(head));
	for (i = 0; i < n; i++, r++) {
		last_seen(ev[i], now_ns, seen[i], sizeof(seen[i]));
		snprintf(obj[i], sizeof(obj[i]), "%s/%s", ev[i]->kind,
		    ev[i]->name);
		cells[r * EVCOLS] = seen[i];
		cells[r * EVCOLS + 1] = evring_type_name(ev[i]->type);
		cells[r * EVCOLS + 2] = ev[i]->reason;
		cells[r * EVCOLS + 3] = obj[i];
		cells[r * EVCOLS + 4] = ev[i]->message;
	}
	if (r > 0)
		tb_table(&b, cells, r, EVCOLS, "");
	free(cells);
	free(seen);
	free(obj);
	return strbuf_finish(&b);
}

static const char *
source_of(const struct pod_event *e)
{
	/* rejected manifests are agentd's finding; the rest the kubelet's */
	return strcmp(e->kind, "Pod") == 0 ? "kubelet" : "agentd";
}

static cJSON *
event_json(const struct pod_event *e, const char *node)
{
	char name[EVENT_MAX_NAME + 32], first[PODSTATUS_TIME_LEN];
	char last[PODSTATUS_TIME_LEN];
	cJSON *o, *meta, *obj, *src;

	podstatus_rfc3339(e->first_ns, first, sizeof(first));
	podstatus_rfc3339(e->last_ns, last, sizeof(last));
	/* the kubelet names events <object>.<hex of the first time> */
	snprintf(name, sizeof(name), "%s.%llx", e->name,
	    (unsigned long long)e->first_ns);
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Event");
	meta = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(meta, "name", name);
	cJSON_AddStringToObject(meta, "namespace", e->namespace);
	obj = cJSON_AddObjectToObject(o, "involvedObject");
	cJSON_AddStringToObject(obj, "kind", e->kind);
	cJSON_AddStringToObject(obj, "namespace", e->namespace);
	cJSON_AddStringToObject(obj, "name", e->name);
	if (e->uid[0] != '\0')
		cJSON_AddStringToObject(obj, "uid", e->uid);
	cJSON_AddStringToObject(o, "reason", e->reason);
	cJSON_AddStringToObject(o, "message", e->message);
	src = cJSON_AddObjectToObject(o, "source");
	cJSON_AddStringToObject(src, "component", source_of(e));
	cJSON_AddStringToObject(src, "host", node);
	cJSON_AddStringToObject(o, "firstTimestamp", first);
	cJSON_AddStringToObject(o, "lastTimestamp", last);
	cJSON_AddNumberToObject(o, "count", e->count);
	cJSON_AddStringToObject(o, "type", evring_type_name(e->type));
	cJSON_AddStringToObject(o, "reportingComponent", source_of(e));
	cJSON_AddStringToObject(o, "reportingInstance", node);
	return o;
}

cJSON *
events_list_json(const struct pod_event *const *ev, size_t n,
    const char *node)
{
	cJSON *list, *items, *o;
	size_t i;

	if ((list = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON_AddStringToObject(list, "kind", "EventList");
	cJSON_AddObjectToObject(list, "metadata");
	if ((items = cJSON_AddArrayToObject(list, "items")) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		if ((o = event_json(ev[i], node)) == NULL)
			goto oom;
		cJSON_AddItemToArray(items, o);
	}
	return list;
 oom:
	cJSON_Delete(list);
	return NULL;
}

/* ---- describe ---- */

static const char *
jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s != NULL ? s : "";
}

static const char *
or_none(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "<none>";
}

/* "Key:" padded to width, then the escaped value */
static void
kv(struct strbuf *b, int indent, int width, const char *key, const char *val)
{
	char *e = esc(val);

	if (e == NULL) {
		b->oom = 1;
		return;
	}
	if (e[0] == '\0')
		strbuf_printf(b, "%*s%s\n", indent, "", key);
	else {
		/* values may be long (env, annotations): not through printf */
		strbuf_printf(b, "%*s%-*s", indent, "", width, key);
		strbuf_add(b, e, strlen(e));
		strbuf_add(b, "\n", 1);
	}
	free(e);
}

/* RFC 3339 from the v1.Pod -> RFC 1123Z as kubectl describe prints it */
static void
describe_time(const char *rfc3339, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (rfc3339 == NULL || strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == NULL) {
		snprintf(buf, len, "%s", rfc3339 ? rfc3339 : "");
		return;
	}
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void
describe_map(struct strbuf *b, const char *key, const cJSON *map)
{
	char line[POD_MAX_KEY + POD_MAX_ANNOT_VALUE + 2];
	const cJSON *it;
	int first = 1;

	cJSON_ArrayForEach(it, map) {
		snprintf(line, sizeof(line), "%s=%s", it->string,
		    cJSON_GetStringValue(it) ? cJSON_GetStringValue(it) : "");
		kv(b, 0, 18, first ? key : "", line);
		first = 0;
	}
	if (first)
		kv(b, 0, 18, key, "<none>");
}

/* State: or Last State: with its detail lines */
static void
describe_state(struct strbuf *b, const char *key, const cJSON *st)
{
	const cJSON *r, *w, *t;
	char when[64], code[32];

	if ((r = cJSON_GetObjectItem(st, "running")) != NULL) {
		kv(b, 4, 16, key, "Running");
		describe_time(jstr(r, "startedAt"), when, sizeof(when));
		kv(b, 6, 14, "Started:", when);
	} else if ((w = cJSON_GetObjectItem(st, "waiting")) != NULL) {
		kv(b, 4, 16, key, "Waiting");
		kv(b, 6, 14, "Reason:", jstr(w, "reason"));
		if (jstr(w, "message")[0] != '\0')
			kv(b, 6, 14, "Message:", jstr(w, "message"));
	} else if ((t = cJSON_GetObjectItem(st, "terminated")) != NULL) {
		kv(b, 4, 16, key, "Terminated");
		kv(b, 6, 14, "Reason:", jstr(t, "reason"));
		if (jstr(t, "message")[0] != '\0')
			kv(b, 6, 14, "Message:", jstr(t, "message"));
		snprintf(code, sizeof(code), "%d", (int)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(t, "exitCode")));
		kv(b, 6, 14, "Exit Code:", code);
		describe_time(jstr(t, "startedAt"), when, sizeof(when));
		kv(b, 6, 14, "Started:", when);
		describe_time(jstr(t, "finishedAt"), when, sizeof(when));
		kv(b, 6, 14, "Finished:", when);
	} else
		kv(b, 4, 16, key, "<none>");
}

static const cJSON *
status_for(const cJSON *statuses, const char *name)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, statuses)
		if (strcmp(jstr(s, "name"), name) == 0)
			return s;
	return NULL;
}

static void
describe_list(struct strbuf *b, const char *key, const cJSON *arr)
{
	const cJSON *it;

	if (cJSON_GetArraySize(arr) == 0)
		return;
	kv(b, 4, 16, key, "");
	cJSON_ArrayForEach(it, arr)
		kv(b, 6, 0, "", cJSON_GetStringValue(it));
}

static void
describe_container(struct strbuf *b, const cJSON *c, const cJSON *statuses)
{
	const cJSON *s = status_for(statuses, jstr(c, "name"));
	const cJSON *ports = cJSON_GetObjectItem(c, "ports"), *p, *env, *e;
	char name[POD_MAX_LABEL + 2], buf[64], line[POD_MAX_ENV_NAME + 2];

	snprintf(name, sizeof(name), "%s:", jstr(c, "name"));
	kv(b, 2, 0, "", name);
	kv(b, 4, 16, "Container ID:", or_none(jstr(s, "containerID")));
	kv(b, 4, 16, "Image:", jstr(c, "image"));
	kv(b, 4, 16, "Image ID:", jstr(s, "imageID"));
	if ((p = cJSON_GetArrayItem(ports, 0)) != NULL) {
		snprintf(buf, sizeof(buf), "%d/%s", (int)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(p, "containerPort")),
		    jstr(p, "protocol")[0] ? jstr(p, "protocol") : "TCP");
		kv(b, 4, 16, "Port:", buf);
	} else
		kv(b, 4, 16, "Port:", "<none>");
	describe_list(b, "Command:", cJSON_GetObjectItem(c, "command"));
	describe_list(b, "Args:", cJSON_GetObjectItem(c, "args"));
	describe_state(b, "State:", cJSON_GetObjectItem(s, "state"));
	if (cJSON_GetArraySize(cJSON_GetObjectItem(s, "lastState")) > 0)
		describe_state(b, "Last State:",
		    cJSON_GetObjectItem(s, "lastState"));
	kv(b, 4, 16, "Ready:", cJSON_IsTrue(cJSON_GetObjectItem(s, "ready")) ?
	    "True" : "False");
	snprintf(buf, sizeof(buf), "%d", (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(s, "restartCount")));
	kv(b, 4, 16, "Restart Count:", buf);
	env = cJSON_GetObjectItem(c, "env");
	if (cJSON_GetArraySize(env) == 0) {
		kv(b, 4, 16, "Environment:", "<none>");
		return;
	}
	kv(b, 4, 16, "Environment:", "");
	cJSON_ArrayForEach(e, env) {
		snprintf(line, sizeof(line), "%s:", jstr(e, "name"));
		kv(b, 6, (int)strlen(line) + 2, line, jstr(e, "value"));
	}
}

static void
describe_conditions(struct strbuf *b, const cJSON *conds)
{
	const char **cells;
	const cJSON *c;
	size_t n = (size_t)cJSON_GetArraySize(conds), r = 0;

	if (n == 0)
		return;
	strbuf_printf(b, "Conditions:\n");
	if ((cells = calloc((n + 1) * 2, sizeof(*cells))) == NULL) {
		b->oom = 1;
		return;
	}
	cells[r * 2] = "Type";
	cells[r++ * 2 + 1] = "Status";
	cJSON_ArrayForEach(c, conds) {
		cells[r * 2] = jstr(c, "type");
		cells[r++ * 2 + 1] = jstr(c, "status");
	}
	tb_table(b, cells, r, 2, "  ");
	free(cells);
}

static void
describe_events(struct strbuf *b, const struct pod_event *const *ev, size_t n,
    int64_t now_ns)
{
	const char **cells;
	char (*age)[96];
	size_t i, r = 0;

	if (n == 0) {
		strbuf_printf(b, "Events:            <none>\n");
		return;
	}
	strbuf_printf(b, "Events:\n");
	cells = calloc((n + 2) * 5, sizeof(*cells));
	age = calloc(n, sizeof(*age));
	if (cells == NULL || age == NULL) {
		free(cells);
		free(age);
		b->oom = 1;
		return;
	}
	cells[0] = "Type"; cells[1] = "Reason"; cells[2] = "Age";
	cells[3] = "From"; cells[4] = "Message";
	cells[5] = "----"; cells[6] = "------"; cells[7] = "----";
	cells[8] = "----"; cells[9] = "-------";
	r = 2;
	for (i = 0; i < n; i++, r++) {
		last_seen(ev[i], now_ns, age[i], sizeof(age[i]));
		cells[r * 5] = evring_type_name(ev[i]->type);
		cells[r * 5 + 1] = ev[i]->reason;
		cells[r * 5 + 2] = age[i];
		cells[r * 5 + 3] = source_of(ev[i]);
		cells[r * 5 + 4] = ev[i]->message;
	}
	tb_table(b, cells, r, 5, "  ");
	free(cells);
	free(age);
}

/*
 * kubectl describe: a pod with a deletionTimestamp is "Terminating
 * (lasts D)", D the time until that deadline, and shows its grace period.
 */
static void
describe_status(struct strbuf *b, const cJSON *meta, const cJSON *st,
    int64_t now_ns)
{
	const char *del = jstr(meta, "deletionTimestamp");
	const cJSON *grace;
	char line[96], d[PODSTATUS_DURATION_LEN];
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (del[0] == '\0' || strptime(del, "%Y-%m-%dT%H:%M:%SZ", &tm) ==
	    NULL) {
		kv(b, 0, 18, "Status:", jstr(st, "phase"));
		return;
	}
	podstatus_human_duration((int64_t)timegm(&tm) * 1000000000LL - now_ns,
	    d, sizeof(d));
	snprintf(line, sizeof(line), "Terminating (lasts %s)", d);
	kv(b, 0, 18, "Status:", line);
	grace = cJSON_GetObjectItem(meta, "deletionGracePeriodSeconds");
	snprintf(line, sizeof(line), "%llds", cJSON_IsNumber(grace) ?
	    (long long)grace->valuedouble : 0LL);
	kv(b, 0, 27, "Termination Grace Period:", line);
}

char *
events_describe_pod(const cJSON *pod, const struct pod_event *const *ev,
    size_t n, int64_t now_ns)
{
	const cJSON *meta = cJSON_GetObjectItem(pod, "metadata");
	const cJSON *spec = cJSON_GetObjectItem(pod, "spec");
	const cJSON *st = cJSON_GetObjectItem(pod, "status");
	const cJSON *c, *statuses = cJSON_GetObjectItem(st,
	    "containerStatuses");
	struct strbuf b = { 0 };
	char when[64];

	kv(&b, 0, 18, "Name:", jstr(meta, "name"));
	kv(&b, 0, 18, "Namespace:", jstr(meta, "namespace"));
	kv(&b, 0, 18, "Node:", or_none(jstr(spec, "nodeName")));
	describe_time(jstr(st, "startTime"), when, sizeof(when));
	kv(&b, 0, 18, "Start Time:", or_none(when));
	describe_map(&b, "Labels:", cJSON_GetObjectItem(meta, "labels"));
	describe_map(&b, "Annotations:",
	    cJSON_GetObjectItem(meta, "annotations"));
	describe_status(&b, meta, st, now_ns);
	if (jstr(st, "reason")[0] != '\0')
		kv(&b, 0, 18, "Reason:", jstr(st, "reason"));
	if (jstr(st, "message")[0] != '\0')
		kv(&b, 0, 18, "Message:", jstr(st, "message"));
	kv(&b, 0, 18, "IP:", jstr(st, "podIP"));
	/* kubectl describe: the init containers first, if any */
	if (cJSON_GetArraySize(cJSON_GetObjectItem(spec,
	    "initContainers")) > 0) {
		strbuf_printf(&b, "Init Containers:\n");
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(spec,
		    "initContainers"))
			describe_container(&b, c, cJSON_GetObjectItem(st,
			    "initContainerStatuses"));
	}
	strbuf_printf(&b, "Containers:\n");
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(spec, "containers"))
		describe_container(&b, c, statuses);
	describe_conditions(&b, cJSON_GetObjectItem(st, "conditions"));
	kv(&b, 0, 18, "QoS Class:", jstr(st, "qosClass"));
	describe_events(&b, ev, n, now_ns);
	return strbuf_finish(&b);
}
