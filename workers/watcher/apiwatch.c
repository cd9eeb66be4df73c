/*
 * What the API server's bodies hold: the watch stream, one JSON event per
 * line ({"type": ..., "object": ...}, as the apiserver's watch encoder
 * writes them: one json.Encoder.Encode per event, each ending in "\n");
 * the PodList of a list; the Status of a failed request or an ERROR
 * event.  Lines are cut here, never where the chunked coding happened to
 * cut the body: a line may span any number of chunks, a chunk may hold
 * any number of lines.  Each document is loaded with the manifest
 * loader's checks (UTF-8, no \u0000, depth, value count, unique keys) and
 * a Pod goes through the same field tables as a manifest
 * (pod_from_loaded: manifest_parse_pod_object without checking the keys
 * a second time).
 *
 * A malformed event ends the stream (client-go's StreamWatcher stops on a
 * decode error too, and the reflector watches again from the last
 * resourceVersion); a well-formed event whose Pod the model refuses is
 * delivered with the refusal, so that the watcher can report it and
 * still forget the pod when it is DELETED.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiwatch.h"
#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

/* the envelope around a Pod: the Pod itself keeps a manifest's bounds */
static const struct load_bounds event_bounds_default = {
	"watch event", APIWATCH_MAX_LINE, MANIFEST_MAX_NODES + 16, MANIFEST_MAX_DEPTH + 1
};
static const struct load_bounds status_bounds = {
	"Status", APIHTTP_MAX_ERROR_BODY, 4096, 16
};
/* the list's own bound is its size; each item is held to a Pod's */
#define APILIST_MAX_NODES	(APILIST_MAX_ITEMS * (MANIFEST_MAX_NODES + 8) \
				    + 64)

#define WATCH_SHRINK_CAP	(64 * 1024)	/* keep no bigger line buffer */

void
apierr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *
merr_sep(const struct manifest_error *e)
{
	return e->field[0] != '\0' ? ": " : "";
}

/* ------------------------------------------------------------------ */
/* metadata                                                            */

/* an opaque token that goes back into a URL: visible ASCII, bounded */
static int
token_copy(const cJSON *v, char *out, size_t size)
{
	size_t len, i;

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return -1;
	len = strlen(v->valuestring);
	if (len == 0 || len >= size)
		return -1;
	for (i = 0; i < len; i++)
		if (v->valuestring[i] < 0x21 || v->valuestring[i] > 0x7e)
			return -1;
	memcpy(out, v->valuestring, len + 1);
	return 0;
}

/* a name for the watcher's bookkeeping: exact or "" */
static void
name_copy(const cJSON *v, char *out, size_t size)
{
	out[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring != NULL &&
	    strlen(v->valuestring) < size)
		memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
}

static const cJSON *
metadata_of(const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	return cJSON_IsObject(md) ? md : NULL;
}

/* metadata.deletionGracePeriodSeconds: a whole number of seconds >= 0 */
static int64_t
grace_get(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > (double)INT32_MAX ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return -1;
	return (int64_t)v->valuedouble;
}

static void
meta_get(const cJSON *obj, struct apiobj_meta *m)
{
	const cJSON *md = metadata_of(obj), *spec, *dt, *st, *ph;

	memset(m, 0, sizeof(*m));
	m->deletion_grace_seconds = -1;
	spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	if (cJSON_IsObject(spec))
		name_copy(cJSON_GetObjectItemCaseSensitive(spec, "nodeName"),
		    m->node_name, sizeof(m->node_name));
	st = cJSON_GetObjectItemCaseSensitive(obj, "status");
	ph = cJSON_IsObject(st) ? cJSON_GetObjectItemCaseSensitive(st,
	    "phase") : NULL;
	m->failed = cJSON_IsString(ph) && strcmp(ph->valuestring,
	    "Failed") == 0;
	if (md == NULL)
		return;
	dt = cJSON_GetObjectItemCaseSensitive(md, "deletionTimestamp");
	m->deleting = cJSON_IsString(dt) && dt->valuestring[0] != '\0';
	m->deletion_grace_seconds = grace_get(cJSON_GetObjectItemCaseSensitive(
	    md, "deletionGracePeriodSeconds"));
	name_copy(cJSON_GetObjectItemCaseSensitive(md, "namespace"),
	    m->namespace, sizeof(m->namespace));
	name_copy(cJSON_GetObjectItemCaseSensitive(md, "name"), m->name,
	    sizeof(m->name));
	name_copy(cJSON_GetObjectItemCaseSensitive(md, "uid"), m->uid,
	    sizeof(m->uid));
	if (token_copy(cJSON_GetObjectItemCaseSensitive(md,
	    "resourceVersion"), m->resource_version,
	    sizeof(m->resource_version)) == -1)
		m->resource_version[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* Status                                                              */

static void
text_cut(const cJSON *v, char *out, size_t size)
{
	size_t len;

	out[0] = '\0';
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return;
	len = strlen(v->valuestring);
	if (len >= size)
		len = size - 1;
	memcpy(out, v->valuestring, len);
	out[len] = '\0';
}

/*
 * reflector.go relists on apierrors.IsResourceExpired or IsGone: reason
 * Expired or Gone, or a bare 410.
 */
static int
status_from_object(const cJSON *obj, struct apistatus *st, char *err,
    size_t errlen)
{
	const cJSON *kind, *code;

	memset(st, 0, sizeof(*st));
	if (!cJSON_IsObject(obj)) {
		apierr(err, errlen, "a Status must be an object");
		return -1;
	}
	kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	if (kind != NULL && (!cJSON_IsString(kind) ||
	    strcmp(kind->valuestring, "Status") != 0)) {
		apierr(err, errlen, "kind is not \"Status\"");
		return -1;
	}
	code = cJSON_GetObjectItemCaseSensitive(obj, "code");
	if (code != NULL) {
		if (!cJSON_IsNumber(code) || code->valuedouble < 0 ||
		    code->valuedouble > 999 ||
		    code->valuedouble != (int)code->valuedouble) {
			apierr(err, errlen, "code is not an HTTP status "
			    "code");
			return -1;
		}
		st->code = (int)code->valuedouble;
	}
	text_cut(cJSON_GetObjectItemCaseSensitive(obj, "reason"), st->reason,
	    sizeof(st->reason));
	text_cut(cJSON_GetObjectItemCaseSensitive(obj, "message"),
	    st->message, sizeof(st->message));
	st->relist = st->code == 410 || strcmp(st->reason, "Expired") == 0 ||
	    strcmp(st->reason, "Gone") == 0;
	return 0;
}

int
apistatus_decode(const uint8_t *buf, size_t len, struct apistatus *st,
    char *err, size_t errlen)
{
	struct manifest_error me;
	char why[APIWATCH_ERROR_MAX];
	cJSON *root = NULL;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (load_json(buf, len, &status_bounds, &root, &me) == -1) {
		apierr(err, errlen, "Status: %s%s%s", me.field, merr_sep(&me),
		    me.reason);
		return -1;
	}
	if (status_from_object(root, st, why, sizeof(why)) == -1)
		apierr(err, errlen, "Status: %s", why);
	else
		rc = 0;
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* one watch event                                                     */

struct event_type {
	const char		*name;
	enum apiwatch_type	 type;
	int			(*decode)(const cJSON *, struct apiwatch_event *,
				    char *, size_t);
};

/* ADDED, MODIFIED, DELETED: a Pod, and where the watch has got to */
static int
event_object(const cJSON *obj, struct apiwatch_event *ev, char *err,
    size_t errlen)
{
	if (!cJSON_IsObject(obj)) {
		apierr(err, errlen, "\"object\" must be an object");
		return -1;
	}
	meta_get(obj, &ev->meta);
	if (ev->meta.resource_version[0] == '\0') {
		apierr(err, errlen, "object has no usable "
		    "metadata.resourceVersion (1 to %d visible ASCII "
		    "characters)", APIWATCH_RV_MAX);
		return -1;
	}
	ev->pod_ok = pod_from_loaded(obj, &ev->pod,
	    &ev->pod_err) == 0;
	return 0;
}

/* BOOKMARK: only metadata.resourceVersion means anything */
static int
event_bookmark(const cJSON *obj, struct apiwatch_event *ev, char *err,
    size_t errlen)
{
	const cJSON *md;

	if (!cJSON_IsObject(obj) || (md = metadata_of(obj)) == NULL ||
	    token_copy(cJSON_GetObjectItemCaseSensitive(md, "resourceVersion"),
	    ev->meta.resource_version, sizeof(ev->meta.resource_version))
	    == -1) {
		apierr(err, errlen, "BOOKMARK has no usable "
		    "metadata.resourceVersion");
		return -1;
	}
	return 0;
}

static int
event_error(const cJSON *obj, struct apiwatch_event *ev, char *err,
    size_t errlen)
{
	char why[APIWATCH_ERROR_MAX];

	if (status_from_object(obj, &ev->status, why, sizeof(why)) == -1) {
		apierr(err, errlen, "ERROR object: %s", why);
		return -1;
	}
	return 0;
}

static const struct event_type event_types[] = {
	{ "ADDED",	APIWATCH_ADDED,		event_object },
	{ "MODIFIED",	APIWATCH_MODIFIED,	event_object },
	{ "DELETED",	APIWATCH_DELETED,	event_object },
	{ "BOOKMARK",	APIWATCH_BOOKMARK,	event_bookmark },
	{ "ERROR",	APIWATCH_ERROR,		event_error },
};

static const struct event_type *
event_type_find(const cJSON *v)
{
	size_t i;

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return NULL;
	for (i = 0; i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (strcmp(v->valuestring, event_types[i].name) == 0)
			return &event_types[i];
	return NULL;
}

static int __attribute__((format(printf, 2, 3)))
watch_fail(struct apiwatch *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->failed) {
		va_start(ap, fmt);
		vsnprintf(w->error, sizeof(w->error), fmt, ap);
		va_end(ap);
		w->failed = 1;
	}
	return -1;
}

static int
event_decode(struct apiwatch *w, const uint8_t *buf, size_t len)
{
	struct load_bounds lb = event_bounds_default;
	struct apiwatch_event ev;
	struct manifest_error me;
	const struct event_type *t;
	char why[APIWATCH_ERROR_MAX];
	cJSON *root = NULL;
	char qb[QUOTE_BUF];
	int rc = -1;

	memset(&ev, 0, sizeof(ev));
	pod_init(&ev.pod);
	ev.line = w->lines;
	lb.bytes = w->max_line;
	if (load_json(buf, len, &lb, &root, &me) == -1) {
		watch_fail(w, "watch event on line %lu: %s%s%s", w->lines,
		    me.field, merr_sep(&me), me.reason);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		watch_fail(w, "watch event on line %lu: not an object",
		    w->lines);
		goto out;
	}
	if ((t = event_type_find(cJSON_GetObjectItemCaseSensitive(root,
	    "type"))) == NULL) {
		const cJSON *tv = cJSON_GetObjectItemCaseSensitive(root, "type");

		watch_fail(w, "watch event on line %lu: type %s is not ADDED, "
		    "MODIFIED, DELETED, BOOKMARK or ERROR", w->lines,
		    cJSON_IsString(tv) ? quote(qb, sizeof(qb), tv->valuestring) :
		    "missing or not a string");
		goto out;
	}
	ev.type = t->type;
	if (t->decode(cJSON_GetObjectItemCaseSensitive(root, "object"), &ev,
	    why, sizeof(why)) == -1) {
		watch_fail(w, "watch event on line %lu (%s): %s", w->lines,
		    t->name, why);
		goto out;
	}
	if (w->fn(w->arg, &ev) == -1) {
		watch_fail(w, "watch event on line %lu (%s) stopped the stream",
		    w->lines, t->name);
		goto out;
	}
	rc = 0;
out:
	pod_free(&ev.pod);
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the stream: bytes to lines                                          */

void
apiwatch_init(struct apiwatch *w, size_t max_line, apiwatch_event_fn fn,
    void *arg)
{
	memset(w, 0, sizeof(*w));
	w->max_line = max_line ? max_line : APIWATCH_MAX_LINE;
	w->fn = fn;
	w->arg = arg;
}

void
apiwatch_free(struct apiwatch *w)
{
	free(w->line);
	w->line = NULL;
	w->len = w->cap = 0;
}

static int
blank(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r')
			return 0;
	return 1;
}

/* one line is whole (without its "\n") */
static int
line_end(struct apiwatch *w, const uint8_t *buf, size_t len)
{
	w->lines++;
	if (blank(buf, len))
		return 0;
	return event_decode(w, buf, len);
}

static int
line_append(struct apiwatch *w, const uint8_t *buf, size_t len)
{
	size_t cap;
	uint8_t *n;

	if (len > w->max_line - w->len)
		return watch_fail(w, "watch event on line %lu is longer than "
		    "%zu bytes", w->lines + 1, w->max_line);
	if (w->len + len > w->cap) {
		cap = w->cap ? w->cap : 4096;
		while (cap < w->len + len)
			cap *= 2;
		if (cap > w->max_line)
			cap = w->max_line;
		if ((n = realloc(w->line, cap)) == NULL)
			return watch_fail(w, "out of memory for a %zu-byte "
			    "watch event", w->len + len);
		w->line = n;
		w->cap = cap;
	}
	memcpy(w->line + w->len, buf, len);
	w->len += len;
	return 0;
}

int
apiwatch_feed(struct apiwatch *w, const uint8_t *buf, size_t len)
{
	const uint8_t *nl;
	size_t take;
	int rc;

	if (w->failed)
		return -1;
	while (len > 0) {
		nl = memchr(buf, '\n', len);
		take = nl != NULL ? (size_t)(nl - buf) : len;
		if (nl != NULL && w->len == 0) {
			/* a whole line in this piece: no copy */
			if (take > w->max_line)
				return watch_fail(w, "watch event on line %lu "
				    "is longer than %zu bytes", w->lines + 1,
				    w->max_line);
			if (line_end(w, buf, take) == -1)
				return -1;
		} else {
			if (line_append(w, buf, take) == -1)
				return -1;
			if (nl != NULL) {
				rc = line_end(w, w->line, w->len);
				w->len = 0;
				if (w->cap > WATCH_SHRINK_CAP)
					apiwatch_free(w);
				if (rc == -1)
					return -1;
			}
		}
		take += nl != NULL;
		buf += take;
		len -= take;
	}
	return 0;
}

int
apiwatch_body(void *arg, const uint8_t *buf, size_t len)
{
	return apiwatch_feed(arg, buf, len);
}

int
apiwatch_end(struct apiwatch *w)
{
	if (w->failed)
		return -1;
	if (w->len > 0 && !blank(w->line, w->len))
		return watch_fail(w, "watch stream ended inside the event on "
		    "line %lu (%zu bytes without a newline): truncated",
		    w->lines + 1, w->len);
	w->len = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the list                                                            */

void
apilist_free(struct apilist *l)
{
	size_t i;

	for (i = 0; i < l->n_items; i++)
		pod_free(&l->items[i].pod);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* "kind" and "apiVersion" of the document, if given, must be these */
static int
kind_check(const cJSON *obj, const char *kind, const char *api, char *err,
    size_t errlen)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
	char qb[QUOTE_BUF];

	if (k != NULL && (!cJSON_IsString(k) ||
	    strcmp(k->valuestring, kind) != 0)) {
		apierr(err, errlen, "list kind %s, expected %s",
		    cJSON_IsString(k) ? quote(qb, sizeof(qb), k->valuestring) :
		    "not a string", kind);
		return -1;
	}
	if (a != NULL && (!cJSON_IsString(a) ||
	    strcmp(a->valuestring, api) != 0)) {
		apierr(err, errlen, "list apiVersion %s, expected %s",
		    cJSON_IsString(a) ? quote(qb, sizeof(qb), a->valuestring) :
		    "not a string", api);
		return -1;
	}
	return 0;
}

static int
list_metadata(const cJSON *root, struct apilist *l, char *err,
    size_t errlen)
{
	const cJSON *md = metadata_of(root), *cont;

	if (md == NULL || token_copy(cJSON_GetObjectItemCaseSensitive(md,
	    "resourceVersion"), l->resource_version,
	    sizeof(l->resource_version)) == -1) {
		apierr(err, errlen, "PodList has no usable "
		    "metadata.resourceVersion (1 to %d visible ASCII "
		    "characters)", APIWATCH_RV_MAX);
		return -1;
	}
	cont = cJSON_GetObjectItemCaseSensitive(md, "continue");
	if (cont != NULL && !(cJSON_IsString(cont) &&
	    cont->valuestring[0] == '\0') &&
	    token_copy(cont, l->continue_token,
	    sizeof(l->continue_token)) == -1) {
		apierr(err, errlen, "PodList metadata.continue is not 1 to "
		    "%d visible ASCII characters", APILIST_CONTINUE_MAX);
		return -1;
	}
	return 0;
}

/*
 * A list's items carry no kind or apiVersion (the list's say it); the
 * field tables want them, as client-go's decoder fills them in.
 */
static int
item_kind_fill(cJSON *item)
{
	if (cJSON_GetObjectItemCaseSensitive(item, "kind") == NULL &&
	    cJSON_AddStringToObject(item, "kind", "Pod") == NULL)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(item, "apiVersion") == NULL &&
	    cJSON_AddStringToObject(item, "apiVersion", "v1") == NULL)
		return -1;
	return 0;
}

static int
list_items(cJSON *items, struct apilist *l, char *err, size_t errlen)
{
	cJSON *item;
	int n;

	if (items == NULL || cJSON_IsNull(items))
		return 0;
	if (!cJSON_IsArray(items)) {
		apierr(err, errlen, "PodList items must be a list");
		return -1;
	}
	if ((n = cJSON_GetArraySize(items)) > APILIST_MAX_ITEMS) {
		apierr(err, errlen, "PodList has %d items, more than the "
		    "%d allowed", n, APILIST_MAX_ITEMS);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((l->items = calloc(n, sizeof(*l->items))) == NULL) {
		apierr(err, errlen, "out of memory for %d items", n);
		return -1;
	}
	cJSON_ArrayForEach(item, items) {
		struct apilist_item *it = &l->items[l->n_items];

		pod_init(&it->pod);
		l->n_items++;
		if (!cJSON_IsObject(item)) {
			apierr(err, errlen, "PodList items[%zu] is not an "
			    "object", l->n_items - 1);
			return -1;
		}
		if (item_kind_fill(item) == -1) {
			apierr(err, errlen, "out of memory");
			return -1;
		}
		meta_get(item, &it->meta);
		it->pod_ok = pod_from_loaded(item, &it->pod,
		    &it->pod_err) == 0;
	}
	return 0;
}

int
apilist_decode(const uint8_t *buf, size_t len, size_t max_bytes,
    struct apilist *out, char *err, size_t errlen)
{
	struct load_bounds lb = {
		"PodList", max_bytes ? max_bytes : APIHTTP_MAX_LIST_BODY,
		APILIST_MAX_NODES, MANIFEST_MAX_DEPTH + 2
	};
	struct manifest_error me;
	char why[APIWATCH_ERROR_MAX];
	cJSON *root = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (load_json(buf, len, &lb, &root, &me) == -1) {
		apierr(err, errlen, "PodList: %s%s%s", me.field,
		    merr_sep(&me), me.reason);
		return -1;
	}
	if (!cJSON_IsObject(root)) {
		apierr(err, errlen, "PodList: not an object");
		goto out;
	}
	if (kind_check(root, "PodList", "v1", why, sizeof(why)) == -1) {
		apierr(err, errlen, "PodList: %s", why);
		goto out;
	}
	if (list_metadata(root, out, err, errlen) == -1 ||
	    list_items(cJSON_GetObjectItemCaseSensitive(root, "items"), out,
	    err, errlen) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		apilist_free(out);
	cJSON_Delete(root);
	return rc;
}
