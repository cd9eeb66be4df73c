/*
 * Loading: untrusted bytes to a checked cJSON tree.  Size, encoding
 * (UTF-8 without NUL), then YAML (libyaml events: no anchors or aliases,
 * one document) or JSON (cJSON), then depth, size and key uniqueness.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

#define YAML_NUMBER_MAX		64	/* longer plain scalars: strings */

/* ------------------------------------------------------------------ */
/* loading: bytes to a checked cJSON tree                              */

/* position of byte off as "line L column C" for messages */
static void
line_col(const uint8_t *buf, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/* strict UTF-8 (no overlongs, surrogates or NUL); offset of the bad byte */
static int
utf8_check(const uint8_t *s, size_t len, size_t *bad)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		/* eight ASCII bytes, none of them NUL, at a time */
		while (len - i >= 8) {
			uint64_t v;

			memcpy(&v, s + i, 8);
			if ((v & 0x8080808080808080ULL) ||
			    ((v - 0x0101010101010101ULL) & ~v &
			    0x8080808080808080ULL))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		if (s[i] == 0)
			goto invalid;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			goto invalid;
		if (len - i <= n)
			goto invalid;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto invalid;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto invalid;
		i += n + 1;
	}
	return 0;
invalid:
	*bad = i;
	return -1;
}

/*
 * A JSON "\u0000" would silently cut a C string short.  Only a backslash
 * that is not itself escaped starts an escape (an odd run of them); one
 * outside a string is a syntax error cJSON reports anyway.  memmem keeps
 * this off the per-byte path: most pods hold no backslash at all.
 */
static int
json_has_nul_escape(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *q;
	size_t run;

	while ((q = memmem(p, end - p, "\\u0000", 6)) != NULL) {
		for (run = 1; q - run >= s && q[-(ptrdiff_t)run] == '\\'; run++)
			;
		if (run % 2 == 1)
			return 1;
		p = q + 1;
	}
	return 0;
}

static int
json_load(const uint8_t *buf, size_t len, const char *what, cJSON **rootp,
    struct manifest_error *err)
{
	const char *end = NULL;
	char *copy;
	cJSON *root = NULL;
	int line, col, rc = -1;

	/* cJSON gets its own NUL-terminated copy: it must never run off */
	if ((copy = malloc(len + 1)) == NULL)
		return input_error(err, "out of memory");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if (json_has_nul_escape(copy, len)) {
		input_error(err, "JSON strings must not contain \\u0000");
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	if (root == NULL) {
		line_col(buf, end != NULL ? (size_t)(end - copy) : 0, &line,
		    &col);
		input_error(err, "JSON syntax error at line %d column %d",
		    line, col);
		goto out;
	}
	if (end == NULL)
		end = copy;	/* cJSON always sets it; be safe anyway */
	while (end < copy + len && (*end == ' ' || *end == '\t' ||
	    *end == '\n' || *end == '\r'))
		end++;
	if (end != copy + len) {
		line_col(buf, end - copy, &line, &col);
		input_error(err, "unexpected data after the JSON object at "
		    "line %d column %d: a %s holds one %s", line, col, what,
		    strcmp(what, "manifest") == 0 ? "Pod" : "object");
		goto out;
	}
	*rootp = root;
	root = NULL;
	rc = 0;
out:
	cJSON_Delete(root);
	free(copy);
	return rc;
}

/* YAML */

struct yaml_build {
	cJSON		*stack[MANIFEST_MAX_DEPTH];
	char		*key[MANIFEST_MAX_DEPTH];	/* awaiting a value */
	int		 depth;
	unsigned	 nodes;
	cJSON		*root;		/* of the current document */
	cJSON		*doc;		/* the non-empty document */
	struct manifest_error *err;
};

#define YAML_TAG(t)	"tag:yaml.org,2002:" t

static int __attribute__((format(printf, 3, 4)))
yaml_error(struct yaml_build *b, const yaml_mark_t *mark, const char *fmt,
    ...)
{
	char msg[sizeof(b->err->reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return input_error(b->err, "YAML line %zu column %zu: %s",
	    mark->line + 1, mark->column + 1, msg);
}

static int
word_in(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* YAML 1.1 words, as go-yaml v2 (under sigs.k8s.io/yaml) resolves them */
static const char *const yaml_nulls[] = { "", "~", "null", "Null", "NULL",
	NULL };
static const char *const yaml_trues[] = { "y", "Y", "yes", "Yes", "YES",
	"true", "True", "TRUE", "on", "On", "ON", NULL };
static const char *const yaml_falses[] = { "n", "N", "no", "No", "NO",
	"false", "False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const yaml_infs[] = { ".inf", ".Inf", ".INF", "+.inf",
	"+.Inf", "+.INF", NULL };
static const char *const yaml_neg_infs[] = { "-.inf", "-.Inf", "-.INF",
	NULL };
static const char *const yaml_nans[] = { ".nan", ".NaN", ".NAN", NULL };

/* Go's strconv.ParseInt(s, 0, 64) / ParseUint syntax, underscores gone */
static int
yaml_int(const char *s, double *out)
{
	uint64_t v = 0;
	unsigned base = 10, d;
	int neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1] != '\0')
		base = 8, s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return 0;
		if (d >= base || __builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return 0;
	}
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return 0;
	*out = neg ? -(double)v : (double)v;
	return 1;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int
yaml_float(const char *s, double *out)
{
	const char *p = s;
	size_t ni = 0, nf = 0, ne = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		ni++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			nf++;
	if (ni == 0 && nf == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		for (; *p >= '0' && *p <= '9'; p++)
			ne++;
		if (ne == 0)
			return 0;
	}
	if (*p != '\0')
		return 0;
	*out = strtod(s, NULL);
	/* go-yaml keeps a float that overflows as a string */
	return isfinite(*out);
}

static int
yaml_number(const char *s, size_t len, double *out)
{
	char buf[YAML_NUMBER_MAX + 1];
	size_t i, n = 0;

	if (len > YAML_NUMBER_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			buf[n++] = s[i];
	buf[n] = '\0';
	if (n == 0)
		return 0;
	return yaml_int(buf, out) || yaml_float(buf, out);
}

static cJSON *
yaml_number_node(double d)
{
	cJSON *n;

	/* cJSON_CreateNumber converts to int: keep NaN/Inf out of that */
	if ((n = cJSON_CreateNumber(isfinite(d) ? d : 0)) != NULL)
		n->valuedouble = d;
	return n;
}

enum yaml_kind { YK_NULL, YK_BOOL, YK_NUMBER, YK_STRING };

/* the type a plain (unquoted, untagged) scalar resolves to */
static cJSON *
yaml_plain(const char *s, size_t len, enum yaml_kind *kind)
{
	double d;

	if (word_in(s, yaml_nulls)) {
		*kind = YK_NULL;
		return cJSON_CreateNull();
	}
	*kind = YK_BOOL;
	if (word_in(s, yaml_trues))
		return cJSON_CreateTrue();
	if (word_in(s, yaml_falses))
		return cJSON_CreateFalse();
	*kind = YK_NUMBER;
	if (word_in(s, yaml_infs))
		return yaml_number_node(INFINITY);
	if (word_in(s, yaml_neg_infs))
		return yaml_number_node(-INFINITY);
	if (word_in(s, yaml_nans))
		return yaml_number_node(NAN);
	if (yaml_number(s, len, &d))
		return yaml_number_node(d);
	*kind = YK_STRING;
	return cJSON_CreateString(s);
}

static cJSON *
yaml_scalar(struct yaml_build *b, const yaml_event_t *ev, const char *s)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	enum yaml_kind kind, want;
	cJSON *node;

	if (tag == NULL)
		return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ?
		    yaml_plain(s, len, &kind) : cJSON_CreateString(s);
	if (strcmp(tag, "!") == 0 || strcmp(tag, YAML_TAG("str")) == 0)
		return cJSON_CreateString(s);
	if (strcmp(tag, YAML_TAG("null")) == 0)
		want = YK_NULL;
	else if (strcmp(tag, YAML_TAG("bool")) == 0)
		want = YK_BOOL;
	else if (strcmp(tag, YAML_TAG("int")) == 0 ||
	    strcmp(tag, YAML_TAG("float")) == 0)
		want = YK_NUMBER;
	else {
		yaml_error(b, &ev->start_mark, "YAML tag \"%.64s\" is not "
		    "supported", tag);
		return NULL;
	}
	if ((node = yaml_plain(s, len, &kind)) != NULL && kind != want) {
		cJSON_Delete(node);
		yaml_error(b, &ev->start_mark, "value does not match its tag "
		    "\"%.64s\"", tag);
		return NULL;
	}
	return node;
}

/* attach a new node under the open map or list, or as document root */
static int
yaml_attach(struct yaml_build *b, cJSON *node, const yaml_mark_t *mark)
{
	cJSON *parent;
	char *key;

	if (++b->nodes > MANIFEST_MAX_NODES) {
		cJSON_Delete(node);
		return input_error(b->err, "document has more than %d values",
		    MANIFEST_MAX_NODES);
	}
	if (b->depth == 0) {
		b->root = node;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (cJSON_IsArray(parent)) {
		cJSON_AddItemToArray(parent, node);
		return 0;
	}
	key = b->key[b->depth - 1];
	b->key[b->depth - 1] = NULL;
	if (!cJSON_AddItemToObject(parent, key, node)) {
		free(key);
		cJSON_Delete(node);
		return input_error(b->err, "out of memory");
	}
	free(key);
	return 0;
}

static int
yaml_on_scalar(struct yaml_build *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	cJSON *parent, *node;
	char *s;

	if (memchr(value, '\0', len) != NULL)
		return yaml_error(b, &ev->start_mark, "NUL characters are not "
		    "allowed");
	if ((s = strndup(value, len)) == NULL)
		return input_error(b->err, "out of memory");
	parent = b->depth > 0 ? b->stack[b->depth - 1] : NULL;
	if (parent != NULL && cJSON_IsObject(parent) &&
	    b->key[b->depth - 1] == NULL) {
		/* keys stay the text they are written as */
		b->key[b->depth - 1] = s;
		return 0;
	}
	node = yaml_scalar(b, ev, s);
	free(s);
	if (node == NULL)
		return b->err->reason[0] != '\0' ? -1 :
		    input_error(b->err, "out of memory");
	return yaml_attach(b, node, &ev->start_mark);
}

static int
yaml_on_collection(struct yaml_build *b, const yaml_event_t *ev, int is_map)
{
	const char *tag = (const char *)(is_map ?
	    ev->data.mapping_start.tag : ev->data.sequence_start.tag);
	cJSON *node;

	if (tag != NULL && strcmp(tag, is_map ? YAML_TAG("map") :
	    YAML_TAG("seq")) != 0)
		return yaml_error(b, &ev->start_mark, "YAML tag \"%.64s\" is "
		    "not supported", tag);
	if (b->depth > 0 && cJSON_IsObject(b->stack[b->depth - 1]) &&
	    b->key[b->depth - 1] == NULL)
		return yaml_error(b, &ev->start_mark, "a map or list as a "
		    "key is not supported");
	if (b->depth >= MANIFEST_MAX_DEPTH)
		return input_error(b->err, "document nests maps and lists "
		    "deeper than %d levels", MANIFEST_MAX_DEPTH);
	if ((node = is_map ? cJSON_CreateObject() : cJSON_CreateArray()) ==
	    NULL)
		return input_error(b->err, "out of memory");
	if (yaml_attach(b, node, &ev->start_mark) == -1)
		return -1;
	b->stack[b->depth++] = node;
	return 0;
}

static int
yaml_on_document_end(struct yaml_build *b, const yaml_event_t *ev)
{
	cJSON *root = b->root;

	b->root = NULL;
	if (root == NULL || cJSON_IsNull(root)) {
		cJSON_Delete(root);	/* an empty document: "---" alone */
		return 0;
	}
	if (b->doc != NULL) {
		cJSON_Delete(root);
		return yaml_error(b, &ev->start_mark, "a second YAML document: "
		    "a manifest holds one Pod");
	}
	b->doc = root;
	return 0;
}

static int
yaml_event(struct yaml_build *b, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return yaml_error(b, &ev->start_mark, "YAML aliases are not "
		    "supported");
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	default:
		break;
	}
	/* without aliases anchors are pointless; refusing both is simpler */
	if (anchor != NULL)
		return yaml_error(b, &ev->start_mark, "YAML anchors are not "
		    "supported");
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yaml_on_scalar(b, ev);
	case YAML_MAPPING_START_EVENT:
		return yaml_on_collection(b, ev, 1);
	case YAML_SEQUENCE_START_EVENT:
		return yaml_on_collection(b, ev, 0);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return yaml_on_document_end(b, ev);
	default:
		return 0;
	}
}

static void
yaml_build_free(struct yaml_build *b)
{
	int i;

	for (i = 0; i < MANIFEST_MAX_DEPTH; i++)
		free(b->key[i]);
	cJSON_Delete(b->root);
	cJSON_Delete(b->doc);
}

static int
yaml_load(const uint8_t *buf, size_t len, cJSON **rootp,
    struct manifest_error *err)
{
	struct yaml_build b;
	yaml_parser_t parser;
	yaml_event_t ev;
	int done = 0, rc = -1;

	memset(&b, 0, sizeof(b));
	b.err = err;
	if (!yaml_parser_initialize(&parser))
		return input_error(err, "out of memory");
	yaml_parser_set_input_string(&parser, buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = input_error(err, "YAML syntax error at line %zu "
			    "column %zu: %s", parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1, parser.problem ?
			    parser.problem : "unknown error");
			goto out;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = yaml_event(&b, &ev);
		yaml_event_delete(&ev);
		if (rc == -1)
			goto out;
	}
	if (b.doc == NULL) {
		rc = input_error(err, "empty manifest: no Pod in it");
		goto out;
	}
	*rootp = b.doc;
	b.doc = NULL;
	rc = 0;
out:
	yaml_build_free(&b);
	yaml_parser_delete(&parser);
	return rc;
}

/* the same bounds for JSON, and unique keys for both */

static int
tree_bounds(const cJSON *node, int depth, unsigned *nodes,
    const struct load_bounds *lb, struct manifest_error *err)
{
	const cJSON *child;

	if (++*nodes > lb->nodes)
		return input_error(err, "document has more than %u values",
		    lb->nodes);
	if (!cJSON_IsArray(node) && !cJSON_IsObject(node))
		return 0;
	if (depth > lb->depth)
		return input_error(err, "document nests maps and lists deeper "
		    "than %d levels", lb->depth);
	cJSON_ArrayForEach(child, node)
		if (tree_bounds(child, depth + 1, nodes, lb, err) == -1)
			return -1;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Where unique_keys is, as a chain on the stack: the field path (a
 * string) is built only for the one error it reports, not for each of
 * the thousands of values a watch event's managedFields hold.
 */
struct keyframe {
	const struct keyframe	*up;
	const char		*key;	/* NULL: a list index */
	int			 index;
};

static void
frame_path(struct walk *w, const struct keyframe *f)
{
	if (f == NULL)
		return;
	frame_path(w, f->up);
	if (f->key != NULL)
		path_key(w, f->key);
	else
		path_index(w, f->index);
}

/* the first key of an object that repeats an earlier one, or NULL */
#define KEYS_SORT_MIN	16	/* fewer: compare each pair, no sort */
static int
first_duplicate(const cJSON *node, const char **dup)
{
	const char **keys;
	const cJSON *a, *b;
	int n = cJSON_GetArraySize(node), i;

	*dup = NULL;
	if (n < 2)
		return 0;
	if (n <= KEYS_SORT_MIN) {
		for (a = node->child; a != NULL && *dup == NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				if (strcmp(a->string, b->string) == 0) {
					*dup = b->string;
					break;
				}
		return 0;
	}
	if ((keys = calloc(n, sizeof(*keys))) == NULL)
		return -1;
	i = 0;
	cJSON_ArrayForEach(a, node)
		keys[i++] = a->string;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 1; i < n && *dup == NULL; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			*dup = keys[i];
	free(keys);
	return 0;
}

static int
unique_keys(struct walk *w, const cJSON *node, const struct keyframe *f)
{
	struct keyframe cf;
	const cJSON *child;
	const char *dup;
	char qb[QUOTE_BUF];
	int n = 0;

	if (cJSON_IsObject(node)) {
		if (first_duplicate(node, &dup) == -1)
			return fail_nomem(w);
		if (dup != NULL) {
			frame_path(w, f);
			return fail(w, "duplicate key %s",
			    quote(qb, sizeof(qb), dup));
		}
	} else if (!cJSON_IsArray(node))
		return 0;
	cf.up = f;
	cJSON_ArrayForEach(child, node) {
		cf.key = cJSON_IsObject(node) ? child->string : NULL;
		cf.index = n++;
		if (unique_keys(w, child, &cf) == -1)
			return -1;
	}
	return 0;
}

/* a manifest file's bounds (and a Pod's, wherever it comes from) */
const struct load_bounds load_manifest_bounds = {
	"manifest", MANIFEST_MAX_BYTES, MANIFEST_MAX_NODES, MANIFEST_MAX_DEPTH
};

static int
load_bounded(const uint8_t *buf, size_t len, int json_only,
    const struct load_bounds *lb, cJSON **rootp, struct manifest_error *err)
{
	size_t bad, i;
	int line, col;

	*rootp = NULL;
	if (buf == NULL || len == 0)
		return input_error(err, "empty %s: no %s in it", lb->what,
		    lb == &load_manifest_bounds ? "Pod" : "object");
	if (len > lb->bytes)
		return input_error(err, "%s is %zu bytes, more than the "
		    "%zu allowed", lb->what, len, lb->bytes);
	if (utf8_check(buf, len, &bad) == -1) {
		line_col(buf, bad, &line, &col);
		return input_error(err, "not valid UTF-8 text: bad byte 0x%02x "
		    "at line %d column %d", buf[bad], line, col);
	}
	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	if (json_only || (i < len && buf[i] == '{')) {
		if (json_load(buf, len, lb->what, rootp, err) == -1)
			return -1;
	} else if (yaml_load(buf, len, rootp, err) == -1)
		return -1;

	if (load_tree_check(*rootp, lb, err) == -1) {
		cJSON_Delete(*rootp);
		*rootp = NULL;
		return -1;
	}
	return 0;
}

int
load_tree_bounds(const cJSON *root, const struct load_bounds *lb,
    struct manifest_error *err)
{
	unsigned nodes = 0;

	return tree_bounds(root, 1, &nodes, lb, err);
}

int
load_tree_check(const cJSON *root, const struct load_bounds *lb,
    struct manifest_error *err)
{
	struct walk w;
	unsigned nodes = 0;

	memset(&w, 0, sizeof(w));
	w.err = err;
	if (tree_bounds(root, 1, &nodes, lb, err) == -1 ||
	    unique_keys(&w, root, NULL) == -1)
		return -1;
	return 0;
}

int
load(const uint8_t *buf, size_t len, int json_only, cJSON **rootp,
    struct manifest_error *err)
{
	return load_bounded(buf, len, json_only, &load_manifest_bounds, rootp,
	    err);
}

int
load_json(const uint8_t *buf, size_t len, const struct load_bounds *lb,
    cJSON **rootp, struct manifest_error *err)
{
	return load_bounded(buf, len, 1, lb, rootp, err);
}
