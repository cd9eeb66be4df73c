/*
 * Static pod identity, as the kubelet's file source gives it
 * (pkg/kubelet/config/common.go applyDefaults, config.go): the name gets
 * the node name appended; the uid is kept from metadata.uid, else it is a
 * hash of the decoded pod, then "host:<node>" and "file:<path>" (so a
 * comment or a reordering of the file changes nothing, any change of the
 * pod gives a new uid and so a new pod); spec.nodeName is set to this
 * node; the config annotations record it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"
#include "podschema.h"

#define MD5_HEX_LEN		32
#define ANNOT_CONFIG_HASH	"kubernetes.io/config.hash"
#define ANNOT_CONFIG_SOURCE	"kubernetes.io/config.source"
#define ANNOT_CONFIG_SEEN	"kubernetes.io/config.seen"
#define HASH_DEPTH_MAX		8	/* the schema nests 4 deep today */

/* ------------------------------------------------------------------ */
/* the decoded pod's hash (the kubelet's hash.DeepHashObject)          */

/*
 * The pod is fed to the digest through its schema (ipc/podschema.c), not
 * as the file's bytes: every field not at its default, as its wire tag,
 * then a length-prefixed value, lists and structs bracketed.  A field at
 * its default is left out, so a model field added later changes no uid
 * of a pod that does not use it.  Maps (labels, annotations) are hashed
 * in key order, as DeepHashObject's printer sorts Go map keys; lists
 * (env, containers) in their order.
 */
static int
hash_bytes(EVP_MD_CTX *ctx, const void *p, size_t n)
{
	uint8_t len[4];

	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	return EVP_DigestUpdate(ctx, len, sizeof(len)) == 1 &&
	    (n == 0 || EVP_DigestUpdate(ctx, p, n) == 1) ? 0 : -1;
}

static int
hash_str(EVP_MD_CTX *ctx, const char *s)
{
	return hash_bytes(ctx, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static int
hash_mark(EVP_MD_CTX *ctx, char mark, uint32_t v)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%c%u", mark, v);

	return EVP_DigestUpdate(ctx, buf, (size_t)n) == 1 ? 0 : -1;
}

static const struct kv *sort_base;

static int
kv_index_cmp(const void *a, const void *b)
{
	const struct kv *x = &sort_base[*(const uint32_t *)a];
	const struct kv *y = &sort_base[*(const uint32_t *)b];

	return strcmp(x->key != NULL ? x->key : "",
	    y->key != NULL ? y->key : "");
}

static int
hash_kvlist(EVP_MD_CTX *ctx, const struct podfield *f, const void *obj)
{
	const struct kv *kv = *PODSCHEMA_CMEMBER(struct kv *, obj, f);
	uint32_t n = podschema_count(f, obj), i, *order;
	int rc = 0;

	if ((order = calloc(n, sizeof(*order))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		order[i] = i;
	if (f->fmt == PSJ_MAP) {
		sort_base = kv;
		qsort(order, n, sizeof(*order), kv_index_cmp);
		sort_base = NULL;
	}
	for (i = 0; i < n && rc == 0; i++)
		if (hash_str(ctx, kv[order[i]].key) == -1 ||
		    hash_str(ctx, kv[order[i]].value) == -1)
			rc = -1;
	free(order);
	return rc;
}

static int	hash_struct(EVP_MD_CTX *, const struct podschema *,
		    const void *, int);

static int
hash_field(EVP_MD_CTX *ctx, const struct podfield *f, const void *obj,
    int depth)
{
	const struct strlist *l;
	const char *a;
	char num[24];
	uint32_t i, n;

	if (podschema_is_int(f)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)podschema_int(f, obj));
		return hash_str(ctx, num);
	}
	n = f->type == PS_STR || f->type == PS_STRUCT ? 0 :
	    podschema_count(f, obj);
	switch (f->type) {
	case PS_STR:
		return hash_str(ctx, *PODSCHEMA_CMEMBER(char *, obj, f));
	case PS_STRLIST:
		l = PODSCHEMA_CMEMBER(struct strlist, obj, f);
		for (i = 0; i < n; i++)
			if (hash_str(ctx, l->v[i]) == -1)
				return -1;
		return hash_mark(ctx, ']', n);
	case PS_KVLIST:
		if (hash_kvlist(ctx, f, obj) == -1)
			return -1;
		return hash_mark(ctx, ']', n);
	case PS_STRUCT:
		return hash_struct(ctx, f->sub, (const char *)obj + f->off,
		    depth + 1);
	case PS_LIST:
		a = *PODSCHEMA_CMEMBER(char *, obj, f);
		for (i = 0; i < n; i++)
			if (hash_struct(ctx, f->sub, a + (size_t)i *
			    f->sub->size, depth + 1) == -1)
				return -1;
		return hash_mark(ctx, ']', n);
	}
	return -1;
}

static int
hash_struct(EVP_MD_CTX *ctx, const struct podschema *s, const void *obj,
    int depth)
{
	size_t i;

	if (depth > HASH_DEPTH_MAX || hash_mark(ctx, '{', 0) == -1)
		return -1;
	for (i = 0; i < s->nfields; i++) {
		if (podschema_is_default(&s->fields[i], obj))
			continue;
		if (hash_mark(ctx, 't', s->fields[i].tag) == -1 ||
		    hash_field(ctx, &s->fields[i], obj, depth) == -1)
			return -1;
	}
	return hash_mark(ctx, '}', 0);
}

/* the hex MD5 of the decoded pod, then "host:<node>", "file:<path>" */
static int
static_uid(const struct pod *pod, const char *node_name,
    const char *source_path, char out[MD5_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    hash_struct(ctx, &podschema_pod, pod, 0) == 0 &&
	    EVP_DigestUpdate(ctx, "host:", 5) == 1 &&
	    EVP_DigestUpdate(ctx, node_name, strlen(node_name)) == 1 &&
	    EVP_DigestUpdate(ctx, "file:", 5) == 1 &&
	    EVP_DigestUpdate(ctx, source_path, strlen(source_path)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	    mdlen * 2 == MD5_HEX_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* static pods (pkg/kubelet/config/common.go applyDefaults)            */

/* "<name>-<lowercased node name>" */
static int
static_name(struct pod *pod, const char *node_name,
    struct manifest_error *err)
{
	size_t nlen = strlen(pod->name), len = nlen + 1 + strlen(node_name);
	char qb[QUOTE_BUF];
	char *name, *p;

	if (len > POD_MAX_NAME)
		return field_error(err, "metadata.name", "static pod name %s "
		    "plus \"-\" and the node name is %zu characters, more "
		    "than %d", quote(qb, sizeof(qb), pod->name), len,
		    POD_MAX_NAME);
	if ((name = malloc(len + 1)) == NULL)
		return input_error(err, "out of memory");
	memcpy(name, pod->name, nlen);
	name[nlen] = '-';
	memcpy(name + nlen + 1, node_name, len - nlen);	/* and its NUL */
	for (p = name + nlen + 1; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	if (!dns_subdomain_ok(name, len)) {
		field_error(err, "metadata.name", "static pod name %s "
		    DNS_SUBDOMAIN_MSG, quote(qb, sizeof(qb), name));
		free(name);
		return -1;
	}
	free(pod->name);
	pod->name = name;
	return 0;
}

static int
set_annotation(struct pod *pod, const char *key, const char *value)
{
	uint32_t i;
	char *v;

	if ((v = strdup(value)) == NULL)
		return -1;
	for (i = 0; i < pod->n_annotations; i++) {
		if (strcmp(pod->annotations[i].key, key) == 0) {
			free(pod->annotations[i].value);
			pod->annotations[i].value = v;
			return 0;
		}
	}
	/* walk_kv_map left room for STATIC_ANNOTATIONS more */
	if ((pod->annotations[i].key = strdup(key)) == NULL) {
		free(v);
		return -1;
	}
	pod->annotations[i].value = v;
	pod->n_annotations++;
	return 0;
}

static int
has_annotation(const struct pod *pod, const char *key)
{
	uint32_t i;

	for (i = 0; i < pod->n_annotations; i++)
		if (strcmp(pod->annotations[i].key, key) == 0)
			return 1;
	return 0;
}

/*
 * config.hash and config.source now; config.seen is the watcher's, when
 * it knows whether it has seen this uid before (manifest_static_seen), so
 * room is kept for it here.  Values in the file are replaced.
 */
static int
static_annotations(struct pod *pod, const char *uid,
    struct manifest_error *err)
{
	uint32_t added;

	added = !has_annotation(pod, ANNOT_CONFIG_HASH) +
	    !has_annotation(pod, ANNOT_CONFIG_SOURCE) +
	    !has_annotation(pod, ANNOT_CONFIG_SEEN);
	if (pod->n_annotations + added > POD_MAX_META)
		return field_error(err, "metadata.annotations", "too many "
		    "annotations: a static pod may have at most %d of its own, "
		    "as %s, %s and %s are added",
		    POD_MAX_META - STATIC_ANNOTATIONS, ANNOT_CONFIG_HASH,
		    ANNOT_CONFIG_SOURCE, ANNOT_CONFIG_SEEN);
	if (pod->annotations == NULL &&
	    (pod->annotations = calloc(STATIC_ANNOTATIONS,
	    sizeof(*pod->annotations))) == NULL)
		return input_error(err, "out of memory");
	if (set_annotation(pod, ANNOT_CONFIG_HASH, uid) == -1 ||
	    set_annotation(pod, ANNOT_CONFIG_SOURCE, "file") == -1)
		return input_error(err, "out of memory");
	return 0;
}

int
manifest_static_seen(struct pod *pod, const char *seen)
{
	return set_annotation(pod, ANNOT_CONFIG_SEEN, seen);
}

const char *
manifest_static_seen_get(const struct pod *pod)
{
	uint32_t i;

	for (i = 0; i < pod->n_annotations; i++)
		if (strcmp(pod->annotations[i].key, ANNOT_CONFIG_SEEN) == 0)
			return pod->annotations[i].value;
	return NULL;
}

/*
 * time.Now().Format(time.RFC3339Nano), as the kubelet's
 * kubetypes.NewTimestamp().GetString(), in UTC: the fraction without its
 * trailing zeros, none at all when it is zero
 */
int
manifest_seen_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char frac[16];
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		return -1;
	snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
	for (n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	if (n == 1)
		frac[0] = '\0';
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || n + strlen(frac) + 2 > len)
		return -1;
	snprintf(buf + n, len - n, "%sZ", frac);
	return 0;
}

int
static_args_check(const char *source_path, const char *node_name,
    struct manifest_error *err)
{
	char lower[POD_MAX_NAME + 1];
	size_t i, n;

	if (source_path == NULL || source_path[0] == '\0')
		return input_error(err, "no source path");
	if (strlen("file:") + strlen(source_path) > POD_MAX_SOURCE - 1)
		return input_error(err, "source path is longer than %d "
		    "characters", POD_MAX_SOURCE - 1 - (int)strlen("file:"));
	if (node_name == NULL || (n = strlen(node_name)) == 0)
		return input_error(err, "no node name");
	if (n > POD_MAX_NAME)
		return input_error(err, "node name is longer than %d "
		    "characters", POD_MAX_NAME);
	for (i = 0; i <= n; i++)
		lower[i] = (node_name[i] >= 'A' && node_name[i] <= 'Z') ?
		    node_name[i] + 'a' - 'A' : node_name[i];
	if (!dns_subdomain_ok(lower, n))
		return input_error(err, "node name " DNS_SUBDOMAIN_MSG);
	return 0;
}

int
static_finish(struct pod *pod, const char *source_path,
    const char *node_name, struct manifest_error *err)
{
	char uid[MD5_HEX_LEN + 1];

	/* hashed as decoded: before the name, node and annotations below */
	if (pod->uid == NULL) {
		if (static_uid(pod, node_name, source_path, uid) == -1)
			return input_error(err, "cannot compute the pod uid "
			    "(MD5)");
		if ((pod->uid = strdup(uid)) == NULL)
			return input_error(err, "out of memory");
	}
	if (static_name(pod, node_name, err) == -1 ||
	    static_annotations(pod, pod->uid, err) == -1)
		return -1;
	/* the kubelet sets spec.nodeName to this node, whatever it said */
	free(pod->node_name);
	pod->node_name = strdup(node_name);
	if (asprintf(&pod->source, "file:%s", source_path) == -1)
		pod->source = NULL;
	if (pod->node_name == NULL || pod->source == NULL)
		return input_error(err, "out of memory");
	return 0;
}
