/*
 * The shared pieces of the reporter's API work (apiretry.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "apiclient.h"
#include "apiretry.h"
#include "evring.h"
#include "log.h"
#include "monoclock.h"
#include "pod.h"

struct logrl	 apilog;

int64_t	(*apiclock_mono_ms)(void) = monoclock_ms;
int64_t	(*apiclock_wall_ns)(void) = pod_now_ns;

/*
 * Jitter spreads the retries of many nodes after the server comes back;
 * it needs no strong randomness (and the sandbox has no getrandom for
 * it), so a xorshift seeded from the clocks.
 */
static uint32_t
jitter_rand(void)
{
	static uint64_t s;

	if (s == 0)
		s = (uint64_t)pod_now_ns() ^ ((uint64_t)monoclock_ms() << 20) ^
		    0x9e3779b97f4a7c15ULL;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (uint32_t)(s >> 32);
}

void
apiretry_fail(struct apiretry *r, const struct apiresp *resp, int64_t min_ms,
    int64_t max_ms)
{
	int64_t wait, ra;

	if (r->delay_ms == 0)
		r->delay_ms = min_ms;
	else if ((r->delay_ms *= 2) > max_ms)
		r->delay_ms = max_ms;
	wait = r->delay_ms + r->delay_ms * (jitter_rand() %
	    (APIRETRY_JITTER_PCT + 1)) / 100;
	if (resp != NULL && resp->retry_after > 0) {
		ra = (int64_t)resp->retry_after * 1000;
		if (ra > APIRETRY_MAX_RETRY_AFTER_MS)
			ra = APIRETRY_MAX_RETRY_AFTER_MS;
		if (ra > wait)
			wait = ra;
	}
	r->due_ms = apiclock_mono_ms() + wait;
	r->last_status = resp != NULL ? resp->status : 0;
	r->failures++;
}

void
apiretry_ok(struct apiretry *r)
{
	memset(r, 0, sizeof(*r));
}

int
apiretry_due(const struct apiretry *r, int64_t now_ms)
{
	return r->failures == 0 || now_ms >= r->due_ms;
}

int
apiretry_answered(struct apiretry *r, int64_t now_ms)
{
	if (r->failures == 0 || r->last_status != 0 || r->due_ms <= now_ms)
		return 0;
	r->due_ms = now_ms;
	return 1;
}

const char *
apiresp_why(const struct apiresp *resp, char *buf, size_t len)
{
	if (resp->status != 0)
		snprintf(buf, len, "HTTP %d", resp->status);
	else
		snprintf(buf, len, "%s", resp->error != NULL ? resp->error :
		    "no response");
	return buf;
}

const char *
apiresp_reason(const struct apiresp *resp, char *buf, size_t len)
{
	char why[128];
	const char *msg = NULL;
	cJSON *st = NULL;

	if (resp == NULL) {
		snprintf(buf, len, "not sent");
		return buf;
	}
	if (resp->status != 0 && (st = apiresp_json(resp)) != NULL)
		msg = apijson_str(st, "message", NULL);
	snprintf(buf, len, "%s%s%.200s", apiresp_why(resp, why, sizeof(why)),
	    msg != NULL ? ": " : "", msg != NULL ? msg : "");
	cJSON_Delete(st);
	return buf;
}

int
apiresp_ok(const struct apiresp *resp)
{
	return resp->status >= 200 && resp->status <= 299;
}

cJSON *
apiresp_json(const struct apiresp *resp)
{
	if (resp->body == NULL || resp->body_len == 0)
		return NULL;
	return cJSON_ParseWithLength((const char *)resp->body,
	    resp->body_len);
}

const char *
apijson_str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v;

	v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
apijson_set(cJSON *o, const char *k, cJSON *v)
{
	if (v == NULL)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(o, k) != NULL)
		return cJSON_ReplaceItemInObjectCaseSensitive(o, k, v) ? 0 : -1;
	if (!cJSON_AddItemToObject(o, k, v)) {
		cJSON_Delete(v);
		return -1;
	}
	return 0;
}

cJSON *
apijson_node_owner(const char *name, const char *uid, int controller)
{
	cJSON *a, *o;

	if ((a = cJSON_CreateArray()) == NULL ||
	    (o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(a, o) ||
	    cJSON_AddStringToObject(o, "apiVersion", "v1") == NULL ||
	    cJSON_AddStringToObject(o, "kind", "Node") == NULL ||
	    cJSON_AddStringToObject(o, "name", name) == NULL ||
	    cJSON_AddStringToObject(o, "uid", uid) == NULL ||
	    (controller && cJSON_AddBoolToObject(o, "controller", 1) ==
	    NULL)) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

int
apitime_micro(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (ns <= 0 || len < APITIME_MICRO_LEN)
		return -1;
	t = (time_t)(ns / 1000000000LL);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long long)(ns % 1000000000LL / 1000));
	return 0;
}

/* the timer's argument is the loop it runs (a function pointer is no void *) */
struct apitimer_run {
	void	(*run)(void);
};

static void
apitimer_cb(int fd, short ev, void *arg)
{
	((struct apitimer_run *)arg)->run();
}

struct event *
apitimer_new(struct event_base *base, void (*run)(void), const char *who)
{
	struct apitimer_run *r;
	struct event *ev;

	if ((r = malloc(sizeof(*r))) == NULL)
		fatalx("%s: no timer", who);
	r->run = run;
	if ((ev = evtimer_new(base, apitimer_cb, r)) == NULL)
		fatalx("%s: no timer", who);
	return ev;
}

void
apitimer_kick(struct event *ev)
{
	struct timeval tv = { 0, 0 };

	if (ev != NULL)
		evtimer_add(ev, &tv);
}

void
apitimer_at(struct event *ev, int64_t now_ms, int64_t at_ms)
{
	struct timeval tv;

	if (at_ms < now_ms)
		at_ms = now_ms;
	tv.tv_sec = (at_ms - now_ms) / 1000;
	tv.tv_usec = (at_ms - now_ms) % 1000 * 1000;
	evtimer_add(ev, &tv);
}
