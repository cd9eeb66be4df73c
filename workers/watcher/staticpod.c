/*
 * Static pod identity, as the kubelet gives it: the name gets the node
 * name appended, the uid is an MD5 over the file bytes, node and path,
 * and the config annotations record it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

#define MD5_HEX_LEN		32
#define ANNOT_CONFIG_HASH	"kubernetes.io/config.hash"
#define ANNOT_CONFIG_SOURCE	"kubernetes.io/config.source"

/* ------------------------------------------------------------------ */
/* static pods (pkg/kubelet/config/common.go applyDefaults)            */

static int
static_uid(const uint8_t *buf, size_t len, const char *node_name,
    const char *source_path, char out[MD5_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, buf, len) == 1 &&
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

static int
static_annotations(struct pod *pod, const char *uid,
    struct manifest_error *err)
{
	uint32_t added;

	added = !has_annotation(pod, ANNOT_CONFIG_HASH) +
	    !has_annotation(pod, ANNOT_CONFIG_SOURCE);
	if (pod->n_annotations + added > POD_MAX_META)
		return field_error(err, "metadata.annotations", "too many "
		    "annotations: a static pod may have at most %d of its own, "
		    "as %s and %s are added", POD_MAX_META - STATIC_ANNOTATIONS,
		    ANNOT_CONFIG_HASH, ANNOT_CONFIG_SOURCE);
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
static_finish(struct pod *pod, const uint8_t *buf, size_t len,
    const char *source_path, const char *node_name,
    struct manifest_error *err)
{
	char uid[MD5_HEX_LEN + 1], qb[QUOTE_BUF], qb2[QUOTE_BUF];

	if (pod->node_name != NULL && pod->node_name[0] != '\0' &&
	    strcmp(pod->node_name, node_name) != 0)
		return field_error(err, "spec.nodeName", "the pod is bound to "
		    "node %s, this is node %s", quote(qb, sizeof(qb),
		    pod->node_name), quote(qb2, sizeof(qb2), node_name));
	if (static_uid(buf, len, node_name, source_path, uid) == -1)
		return input_error(err, "cannot compute the pod uid (MD5)");
	if (static_name(pod, node_name, err) == -1 ||
	    static_annotations(pod, uid, err) == -1)
		return -1;
	free(pod->node_name);
	free(pod->uid);
	pod->node_name = strdup(node_name);
	pod->uid = strdup(uid);
	if (asprintf(&pod->source, "file:%s", source_path) == -1)
		pod->source = NULL;
	if (pod->node_name == NULL || pod->uid == NULL || pod->source == NULL)
		return input_error(err, "out of memory");
	return 0;
}
