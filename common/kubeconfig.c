/*
 * kubeconfig: the current context of a client-go kubeconfig, as
 * clientcmd resolves it (current-context -> context -> cluster and user),
 * with its rules: relative file names are relative to the kubeconfig's
 * directory, a -data field and the file field are exclusive, a client
 * certificate needs its key, insecure-skip-tls-verify excludes a CA.
 * The file is the administrator's, but its contents end up in TLS and in
 * HTTP headers, so every value is bounded and checked for what it feeds.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include <openssl/evp.h>

#include "kubeconfig.h"
#include "log.h"

#define PATH_BUF	512

struct kc_parse {
	yaml_document_t	 doc;
	const char	*dir;
	char		*err;
	size_t		 errlen;
};

static int
kc_error(struct kc_parse *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
kc_error(struct kc_parse *p, const char *path, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s: %s", path, why);
	return -1;
}

/* ------------------------------------------------------------------ */
/* the YAML tree                                                       */

static int
is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0);
}

static yaml_node_t *
map_get(struct kc_parse *p, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *kv;
	yaml_node_t *k, *v;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (kv = map->data.mapping.pairs.start;
	    kv < map->data.mapping.pairs.top; kv++) {
		k = yaml_document_get_node(&p->doc, kv->key);
		if (k == NULL || k->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)k->data.scalar.value, key) != 0)
			continue;
		v = yaml_document_get_node(&p->doc, kv->value);
		return v == NULL || is_null(v) ? NULL : v;
	}
	return NULL;
}

/* a string field: 0 and *out (NULL if absent), or -1 */
static int
get_str(struct kc_parse *p, yaml_node_t *map, const char *path,
    const char *key, size_t max, const char **out)
{
	yaml_node_t *n = map_get(p, map, key);

	*out = NULL;
	if (n == NULL)
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return kc_error(p, path, "%s: expected a string", key);
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return kc_error(p, path, "%s: contains a NUL byte", key);
	if (n->data.scalar.length > max)
		return kc_error(p, path, "%s: longer than %zu bytes", key, max);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

static int
copy_str(struct kc_parse *p, yaml_node_t *map, const char *path,
    const char *key, char *dst, size_t dstlen, int required)
{
	const char *s;

	if (get_str(p, map, path, key, dstlen - 1, &s) == -1)
		return -1;
	if (s == NULL && required)
		return kc_error(p, path, "%s: required", key);
	snprintf(dst, dstlen, "%s", s == NULL ? "" : s);
	return 0;
}

/* what we do not implement but that would change how we authenticate */
static int
refuse_keys(struct kc_parse *p, yaml_node_t *map, const char *path,
    const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (map_get(p, map, *keys) != NULL)
			return kc_error(p, path, "%s: not supported by agentd",
			    *keys);
	return 0;
}

/*
 * The inner map of the list item with that name: clusters[i].cluster,
 * users[i].user, contexts[i].context; path says which.
 */
static yaml_node_t *
find_named(struct kc_parse *p, yaml_node_t *root, const char *list,
    const char *inner, const char *name, char *path, size_t pathlen)
{
	yaml_node_t *seq, *item, *n;
	yaml_node_item_t *it;
	int i = 0;

	seq = map_get(p, root, list);
	if (seq != NULL && seq->type != YAML_SEQUENCE_NODE) {
		kc_error(p, list, "expected a list");
		return NULL;
	}
	for (it = seq == NULL ? NULL : seq->data.sequence.items.start;
	    seq != NULL && it < seq->data.sequence.items.top; it++, i++) {
		if (i >= KUBECONFIG_MAX_ITEMS) {
			kc_error(p, list, "more than %d items",
			    KUBECONFIG_MAX_ITEMS);
			return NULL;
		}
		item = yaml_document_get_node(&p->doc, *it);
		n = map_get(p, item, "name");
		if (n == NULL || n->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)n->data.scalar.value, name) != 0)
			continue;
		snprintf(path, pathlen, "%s[%d].%s", list, i, inner);
		if ((n = map_get(p, item, inner)) == NULL ||
		    n->type != YAML_MAPPING_NODE) {
			kc_error(p, path, "expected a map");
			return NULL;
		}
		return n;
	}
	kc_error(p, list, "no item named \"%s\"", name);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* values                                                              */

/* at most max bytes, NUL-terminated; why says what went wrong */
static int
slurp(const char *file, size_t max, char **out, size_t *outlen, char *why,
    size_t whylen)
{
	char *buf;
	size_t len = 0;
	ssize_t n = 0;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (len <= max && (n = read(fd, buf + len, max + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n == -1 || len > max) {
		if (n == -1)
			snprintf(why, whylen, "%s: %s", file, strerror(errno));
		else
			snprintf(why, whylen, "%s: larger than %zu bytes",
			    file, max);
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* a file a field names, relative to the kubeconfig's directory */
static int
read_file(struct kc_parse *p, const char *path, const char *key,
    const char *name, size_t max, char **out, size_t *outlen)
{
	char full[PATH_MAX], why[PATH_BUF];

	if (p->dir == NULL)
		return kc_error(p, path, "%s: file references are not allowed "
		    "here", key);
	if ((size_t)snprintf(full, sizeof(full), "%s%s%s",
	    name[0] == '/' ? "" : p->dir, name[0] == '/' ? "" : "/",
	    name) >= sizeof(full))
		return kc_error(p, path, "%s: path too long", key);
	if (slurp(full, max, out, outlen, why, sizeof(why)) == -1)
		return kc_error(p, path, "%s: %s", key, why);
	return 0;
}

static int
decode_b64(struct kc_parse *p, const char *path, const char *key,
    const char *s, char **out, size_t *outlen)
{
	EVP_ENCODE_CTX *ctx;
	size_t slen = strlen(s);
	unsigned char *buf;
	int n = 0, fin = 0, rc;

	if (slen / 4 * 3 > KUBECONFIG_MAX_PEM)
		return kc_error(p, path, "%s: larger than %d bytes", key,
		    KUBECONFIG_MAX_PEM);
	if ((buf = malloc(slen / 4 * 3 + 6)) == NULL ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL) {
		free(buf);
		return kc_error(p, path, "%s: out of memory", key);
	}
	EVP_DecodeInit(ctx);
	rc = EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)s,
	    (int)slen);
	if (rc != -1 && EVP_DecodeFinal(ctx, buf + n, &fin) == 1)
		n += fin;
	else
		rc = -1;
	EVP_ENCODE_CTX_free(ctx);
	if (rc == -1 || n == 0) {
		free(buf);
		return kc_error(p, path, "%s: not valid base64", key);
	}
	buf[n] = '\0';
	*out = (char *)buf;
	*outlen = (size_t)n;
	return 0;
}

/* "certificate-authority" and "certificate-authority-data", say */
static int
get_blob(struct kc_parse *p, yaml_node_t *map, const char *path,
    const char *key, char **out, size_t *outlen)
{
	char dkey[64];
	const char *file, *data;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	if (get_str(p, map, path, key, PATH_MAX - 1, &file) == -1 ||
	    get_str(p, map, path, dkey, KUBECONFIG_MAX_PEM * 2, &data) == -1)
		return -1;
	if (file != NULL && data != NULL)
		return kc_error(p, path, "%s and %s are both given: give one",
		    key, dkey);
	if (data != NULL)
		return decode_b64(p, path, dkey, data, out, outlen);
	if (file != NULL)
		return read_file(p, path, key, file, KUBECONFIG_MAX_PEM, out,
		    outlen);
	return 0;
}

/*
 * host[:port] of an https URL without a path; an IPv6 literal in
 * brackets.  The host is what TLS verifies and what agentd connects to.
 */
static int
parse_server(struct kc_parse *p, const char *path, const char *url,
    struct kubeconfig *kc)
{
	const char *h, *end, *q;
	unsigned char addr[16];
	unsigned long port = 443;
	char *pe;
	size_t hlen;

	if (strncasecmp(url, "https://", 8) != 0)
		return kc_error(p, path, "server: \"%s\": only https:// is "
		    "supported", url);
	h = url + 8;
	if (*h == '[') {
		if ((end = strchr(++h, ']')) == NULL)
			return kc_error(p, path, "server: unclosed [");
		q = end + 1;
	} else {
		end = h + strcspn(h, ":/?#");
		q = end;
	}
	if ((hlen = (size_t)(end - h)) == 0 || hlen > KUBECONFIG_MAX_HOST)
		return kc_error(p, path, "server: bad host");
	memcpy(kc->host, h, hlen);
	kc->host[hlen] = '\0';
	if (*q == ':') {
		errno = 0;
		port = strtoul(q + 1, &pe, 10);
		if (pe == q + 1 || errno || port == 0 || port > 65535)
			return kc_error(p, path, "server: bad port");
		q = pe;
	}
	if (*q != '\0' && strcmp(q, "/") != 0)
		return kc_error(p, path, "server: \"%s\": a path, query or "
		    "fragment is not supported", q);
	kc->port = (uint16_t)port;
	if (url[8] == '[')
		return inet_pton(AF_INET6, kc->host, addr) == 1 ? 0 :
		    kc_error(p, path, "server: bad IPv6 address");
	for (h = kc->host; *h != '\0'; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-')
			return kc_error(p, path, "server: bad host name");
	return 0;
}

/* a token goes into an Authorization header: visible ASCII only */
static int
set_token(struct kc_parse *p, const char *path, const char *key,
    char *tok, struct kubeconfig *kc)
{
	size_t n = strlen(tok);
	const char *c;
	char *s;

	while (n > 0 && isspace((unsigned char)tok[n - 1]))
		tok[--n] = '\0';
	for (s = tok; isspace((unsigned char)*s); s++)
		;
	if (*s == '\0')
		return kc_error(p, path, "%s: empty", key);
	for (c = s; *c != '\0'; c++)
		if (*c < 0x21 || *c > 0x7e)
			return kc_error(p, path, "%s: characters other than "
			    "visible ASCII", key);
	if ((kc->token = strdup(s)) == NULL)
		return kc_error(p, path, "%s: out of memory", key);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the three parts                                                     */

static int
parse_cluster(struct kc_parse *p, yaml_node_t *c, const char *path,
    struct kubeconfig *kc)
{
	static const char *const refused[] = { "proxy-url", NULL };
	const char *server, *insecure;

	if (refuse_keys(p, c, path, refused) == -1 ||
	    get_str(p, c, path, "server", 2048, &server) == -1 ||
	    get_str(p, c, path, "insecure-skip-tls-verify", 8,
	    &insecure) == -1 ||
	    copy_str(p, c, path, "tls-server-name", kc->tls_server_name,
	    sizeof(kc->tls_server_name), 0) == -1)
		return -1;
	if (server == NULL)
		return kc_error(p, path, "server: required");
	if (parse_server(p, path, server, kc) == -1)
		return -1;
	if (insecure != NULL && strcmp(insecure, "true") != 0 &&
	    strcmp(insecure, "false") != 0)
		return kc_error(p, path, "insecure-skip-tls-verify: expected "
		    "true or false");
	kc->insecure_skip_verify = insecure != NULL &&
	    strcmp(insecure, "true") == 0;
	if (get_blob(p, c, path, "certificate-authority", &kc->ca,
	    &kc->ca_len) == -1)
		return -1;
	if (kc->insecure_skip_verify && kc->ca != NULL)
		return kc_error(p, path, "insecure-skip-tls-verify: a "
		    "certificate authority and skipping verification exclude "
		    "each other");
	return 0;
}

static int
parse_user(struct kc_parse *p, yaml_node_t *u, const char *path,
    struct kubeconfig *kc)
{
	static const char *const refused[] = { "exec", "auth-provider",
	    "username", "password", "as", "as-uid", "as-groups",
	    "as-user-extra", NULL };
	const char *tok, *tokfile;
	char *buf;
	size_t len;
	int rc;

	if (refuse_keys(p, u, path, refused) == -1 ||
	    get_blob(p, u, path, "client-certificate", &kc->cert,
	    &kc->cert_len) == -1 ||
	    get_blob(p, u, path, "client-key", &kc->key, &kc->key_len) == -1 ||
	    get_str(p, u, path, "token", KUBECONFIG_MAX_TOKEN, &tok) == -1 ||
	    get_str(p, u, path, "tokenFile", PATH_MAX - 1, &tokfile) == -1)
		return -1;
	if ((kc->cert == NULL) != (kc->key == NULL))
		return kc_error(p, path, "%s: a client certificate needs its "
		    "key and a key its certificate", kc->cert == NULL ?
		    "client-certificate" : "client-key");
	/* as client-go: an inline token wins over the file */
	if (tok != NULL) {
		if ((buf = strdup(tok)) == NULL)
			return kc_error(p, path, "token: out of memory");
		rc = set_token(p, path, "token", buf, kc);
		free(buf);
		if (rc == -1)
			return -1;
	} else if (tokfile != NULL) {
		if (read_file(p, path, "tokenFile", tokfile,
		    KUBECONFIG_MAX_TOKEN, &buf, &len) == -1)
			return -1;
		rc = set_token(p, path, "tokenFile", buf, kc);
		free(buf);
		if (rc == -1)
			return -1;
	}
	if (kc->cert == NULL && kc->token == NULL)
		return kc_error(p, path, "no credential: give a client "
		    "certificate and key, or a token");
	return 0;
}

static int
parse_root(struct kc_parse *p, struct kubeconfig *kc)
{
	yaml_node_t *root, *ctx, *c, *u;
	char path[PATH_BUF];
	const char *kind;

	if ((root = yaml_document_get_root_node(&p->doc)) == NULL ||
	    root->type != YAML_MAPPING_NODE)
		return kc_error(p, "kubeconfig", "expected a map");
	if (get_str(p, root, "kubeconfig", "kind", 64, &kind) == -1)
		return -1;
	if (kind != NULL && strcmp(kind, "Config") != 0)
		return kc_error(p, "kind", "\"%s\": expected Config", kind);
	if (copy_str(p, root, "kubeconfig", "current-context", kc->context,
	    sizeof(kc->context), 1) == -1)
		return -1;
	if ((ctx = find_named(p, root, "contexts", "context", kc->context,
	    path, sizeof(path))) == NULL ||
	    copy_str(p, ctx, path, "cluster", kc->cluster,
	    sizeof(kc->cluster), 1) == -1 ||
	    copy_str(p, ctx, path, "user", kc->user, sizeof(kc->user),
	    1) == -1 ||
	    copy_str(p, ctx, path, "namespace", kc->namespace,
	    sizeof(kc->namespace), 0) == -1)
		return -1;
	if ((c = find_named(p, root, "clusters", "cluster", kc->cluster,
	    path, sizeof(path))) == NULL ||
	    parse_cluster(p, c, path, kc) == -1)
		return -1;
	if ((u = find_named(p, root, "users", "user", kc->user, path,
	    sizeof(path))) == NULL)
		return -1;
	return parse_user(p, u, path, kc);
}

int
kubeconfig_parse(struct kubeconfig *kc, const char *buf, size_t len,
    const char *dir, char *err, size_t errlen)
{
	struct kc_parse p;
	yaml_parser_t yp;
	int rc;

	memset(kc, 0, sizeof(*kc));
	memset(&p, 0, sizeof(p));
	p.dir = dir;
	p.err = err;
	p.errlen = errlen;
	if (len > KUBECONFIG_MAX_BYTES)
		return kc_error(&p, "kubeconfig", "larger than %d bytes",
		    KUBECONFIG_MAX_BYTES);
	if (!yaml_parser_initialize(&yp))
		return kc_error(&p, "kubeconfig", "out of memory");
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&yp, &p.doc)) {
		rc = kc_error(&p, "kubeconfig", "line %zu: %s",
		    yp.problem_mark.line + 1, yp.problem != NULL ?
		    yp.problem : "YAML error");
		yaml_parser_delete(&yp);
		return rc;
	}
	yaml_parser_delete(&yp);
	rc = parse_root(&p, kc);
	yaml_document_delete(&p.doc);
	if (rc == -1)
		kubeconfig_free(kc);
	return rc;
}

int
kubeconfig_load(struct kubeconfig *kc, const char *path, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], sub[PATH_BUF], *buf;
	size_t len;
	int rc;

	memset(kc, 0, sizeof(*kc));
	if (slurp(path, KUBECONFIG_MAX_BYTES, &buf, &len, sub,
	    sizeof(sub)) == -1) {
		snprintf(err, errlen, "%s", sub);
		return -1;
	}
	path_dirname(dir, sizeof(dir), path);
	rc = kubeconfig_parse(kc, buf, len, dir, sub, sizeof(sub));
	free(buf);
	if (rc == -1)
		snprintf(err, errlen, "%s: %s", path, sub);
	return rc;
}

void
kubeconfig_free(struct kubeconfig *kc)
{
	if (kc->key != NULL)
		explicit_bzero(kc->key, kc->key_len);
	if (kc->token != NULL)
		explicit_bzero(kc->token, strlen(kc->token));
	free(kc->ca);
	free(kc->cert);
	free(kc->key);
	free(kc->token);
	kc->ca = kc->cert = kc->key = kc->token = NULL;
	kc->ca_len = kc->cert_len = kc->key_len = 0;
}
