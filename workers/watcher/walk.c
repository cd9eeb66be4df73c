/*
 * The walk over a manifest's cJSON tree: the first problem found, with its
 * field path in Kubernetes' style, the typed getters that check a value's
 * type and bounds before it is copied, and the walker that applies a field
 * table to a map.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

/* ------------------------------------------------------------------ */
/* errors and field paths                                              */

/* printable ASCII is kept, anything else becomes '?': reasons reach logs */
static void
append_clean(char *dst, size_t size, size_t *len, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max && *len + 1 < size; i++) {
		unsigned char c = s[i];
		dst[(*len)++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	dst[*len] = '\0';
}

const char *
quote(char *buf, size_t size, const char *s)
{
	size_t len = 0;

	append_clean(buf, size, &len, "\"", 1);
	append_clean(buf, size, &len, s, QUOTE_MAX);
	if (strlen(s) > QUOTE_MAX)
		append_clean(buf, size, &len, "...", 3);
	append_clean(buf, size, &len, "\"", 1);
	return buf;
}

static void
set_errorv(struct manifest_error *err, const char *field, const char *fmt,
    va_list ap)
{
	size_t len = 0;

	char *p;

	err->field[0] = '\0';
	append_clean(err->field, sizeof(err->field), &len, field, SIZE_MAX);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	for (p = err->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

int
input_error(struct manifest_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(err, "", fmt, ap);
	va_end(ap);
	return -1;
}

int
field_error(struct manifest_error *err, const char *field, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(err, field, fmt, ap);
	va_end(ap);
	return -1;
}

int
fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(w->err, w->path, fmt, ap);
	va_end(ap);
	return -1;
}

int
fail_nomem(struct walk *w)
{
	return fail(w, "out of memory");
}

size_t
path_key(struct walk *w, const char *key)
{
	size_t mark = w->pathlen;

	if (w->pathlen > 0)
		append_clean(w->path, sizeof(w->path), &w->pathlen, ".", 1);
	append_clean(w->path, sizeof(w->path), &w->pathlen, key, SIZE_MAX);
	return mark;
}

size_t
path_index(struct walk *w, int i)
{
	size_t mark = w->pathlen;
	char buf[16];

	snprintf(buf, sizeof(buf), "[%d]", i);
	append_clean(w->path, sizeof(w->path), &w->pathlen, buf, SIZE_MAX);
	return mark;
}

void
path_pop(struct walk *w, size_t mark)
{
	w->pathlen = mark;
	w->path[mark] = '\0';
}

const char *
type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "a map";
	return "an unknown type";
}

/* ------------------------------------------------------------------ */
/* lists                                                               */

int
list_size(struct walk *w, const cJSON *v, const char *what, int max)
{
	int n;

	if (!cJSON_IsArray(v))
		return fail(w, "expected a list of %s, got %s", what,
		    type_name(v));
	if ((n = cJSON_GetArraySize(v)) > max)
		return fail(w, "too many %s: %d, at most %d", what, n, max);
	return n;
}

/* with the item's index on the path, so that errors name it */
int
walk_items(struct walk *w, const cJSON *v, item_fn fn, void *arg)
{
	const cJSON *item;
	size_t mark;
	int i = 0, rc;

	cJSON_ArrayForEach(item, v) {
		mark = path_index(w, i);
		rc = fn(w, item, i++, arg);
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
string_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	const struct strings_walk *sw = arg;
	const char *s;
	char qb[QUOTE_BUF];

	if (get_string(w, item, &s) == -1)
		return -1;
	if (strlen(s) > sw->elem_max)
		return fail(w, "must be no more than %zu characters",
		    sw->elem_max);
	if (sw->ok != NULL && !sw->ok(s))
		return fail(w, "invalid value %s: %s", quote(qb, sizeof(qb), s),
		    sw->why);
	if (strlist_add(sw->l, s, sw->max) == -1)
		return fail_nomem(w);
	return 0;
}

int
walk_strings(struct walk *w, const cJSON *v, const struct strings_walk *sw)
{
	if (list_size(w, v, "strings", (int)sw->max) == -1)
		return -1;
	return walk_items(w, v, string_item, (void *)sw);
}

/* ------------------------------------------------------------------ */
/* typed getters                                                       */

int
get_string(struct walk *w, const cJSON *v, const char **out)
{
	*out = "";
	if (!cJSON_IsString(v))
		return fail(w, "expected a string, got %s%s", type_name(v),
		    cJSON_IsBool(v) || cJSON_IsNumber(v) ?
		    " (quote it in YAML)" : "");
	*out = v->valuestring;
	return 0;
}

int
get_bool(struct walk *w, const cJSON *v, int8_t *out)
{
	*out = 0;
	if (!cJSON_IsBool(v))
		return fail(w, "expected a boolean (true or false), got %s",
		    type_name(v));
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return 0;
}

int
get_int(struct walk *w, const cJSON *v, int64_t min, int64_t max,
    int64_t *out)
{
	double d;

	*out = 0;
	if (!cJSON_IsNumber(v))
		return fail(w, "expected an integer, got %s", type_name(v));
	d = v->valuedouble;
	if (!isfinite(d) || d < (double)min || d > (double)max)
		return fail(w, "must be between %lld and %lld, inclusive",
		    (long long)min, (long long)max);
	/* in range, so the cast is defined; no libm for floor() */
	if (d != (double)(int64_t)d)
		return fail(w, "expected an integer, got a fractional number");
	*out = (int64_t)d;
	return 0;
}

/* a string of at most maxlen bytes, copied */
int
take_string(struct walk *w, const cJSON *v, size_t maxlen, char **dst)
{
	const char *s;
	size_t n;

	if (get_string(w, v, &s) == -1)
		return -1;
	if ((n = strlen(s)) > maxlen)
		return fail(w, "must be no more than %zu characters, got %zu",
		    maxlen, n);
	if ((*dst = strdup(s)) == NULL)
		return fail_nomem(w);
	return 0;
}

/* null, false, "", [] and {}: how serializers write "not set" */
int
value_is_unset(const cJSON *v)
{
	if (cJSON_IsNull(v) || cJSON_IsFalse(v))
		return 1;
	if (cJSON_IsString(v))
		return v->valuestring[0] == '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child == NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the table walker                                                    */

static const struct field_rule *
rule_find(const struct field_rule *rules, const char *name)
{
	for (; rules->name != NULL; rules++)
		if (strcmp(rules->name, name) == 0)
			return rules;
	return NULL;
}

/*
 * Walk a map with its table, in document order so that the first problem
 * reported is the first in the file.  A null value is "not set", as
 * Kubernetes' JSON decoding has it.
 */
int
walk_object(struct walk *w, const cJSON *obj, const struct field_rule *rules,
    void *target)
{
	const struct field_rule *rule;
	const cJSON *child;
	size_t mark;
	int rc;

	if (!cJSON_IsObject(obj))
		return fail(w, "expected a map, got %s", type_name(obj));
	cJSON_ArrayForEach(child, obj) {
		if (cJSON_IsNull(child))
			continue;
		mark = path_key(w, child->string);
		rule = rule_find(rules, child->string);
		if (rule == NULL)
			rc = fail(w, "unknown field");
		else if (rule->kind == RULE_MAP)
			rc = rule->fn(w, child, target);
		else if (rule->kind == RULE_REJECT && !value_is_unset(child))
			/* a reason that depends on the walk says it itself */
			rc = rule->fn != NULL ? rule->fn(w, child, target) :
			    fail(w, "%s", rule->reason);
		else
			rc = 0;
		path_pop(w, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
require_field(struct walk *w, const void *present, const char *field,
    const char *what)
{
	size_t mark;

	if (present != NULL)
		return 0;
	mark = path_key(w, field);
	fail(w, "required%s%s", what != NULL ? ": " : "",
	    what != NULL ? what : "");
	path_pop(w, mark);
	return -1;
}
