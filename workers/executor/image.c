/*
 * The local image store.  Everything imported lives in one OCI image
 * layout (rootDir/images/oci), written only by skopeo; each image is
 * tagged there with a name derived from its normalized reference (OCI
 * tags cannot hold "/" or a second ":"), and refs.json, which we own,
 * maps the reference to its manifest digest and tag.  A manifest is
 * unpacked once, by umoci, into rootDir/images/rootfs/<hex>/rootfs; the
 * ".complete" marker is written before the directory is renamed into
 * place, so a crash mid-unpack never yields a half rootfs.  That rootfs
 * is only ever an overlay lower layer afterwards.
 *
 * There is no registry client: images arrive through rt_image_import
 * (an OCI layout directory, an oci-archive or a docker-archive tar).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rt_private.h"

#define IMG_BLOB_MAX		(4 * 1024 * 1024)	/* manifest, config */
#define IMG_IMPORT_TIMEOUT_MS	(10 * 60 * 1000)
#define IMG_UNPACK_TIMEOUT_MS	(10 * 60 * 1000)
#define IMG_TAR_MAX_ENTRIES	100000
#define IMG_TAR_BLOCK		512
#define IMG_TAG_HEX		40	/* of sha256(ref) */
#define IMG_DEFAULT_DOMAIN	"docker.io"
#define IMG_LEGACY_DOMAIN	"index.docker.io"
#define IMG_OFFICIAL_REPO	"library/"
#define IMG_DEFAULT_TAG		"latest"
#define IMG_COMPLETE_MARKER	".complete"

static int	img_lock(struct rt_err *);
static void	img_unlock(int);

/* ---- reference normalization (Docker's rules) ---- */

/*
 * The first component is a registry host when it has a '.' or a ':', is
 * "localhost", or has an upper-case letter (repository paths cannot):
 * the rule of github.com/distribution/reference splitDockerDomain.
 */
static int
img_is_domain(const char *s, size_t n)
{
	size_t i;

	if (n == 9 && strncmp(s, "localhost", 9) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return 1;
	return 0;
}

void
rt_image_normalize(const char *in, char *out, size_t outlen)
{
	char name[POD_MAX_IMAGE + 1];
	const char *digest, *slash, *domain, *rest, *lib = "", *tag = "";
	const char *last;
	size_t nlen, dlen;
	int n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (in == NULL || in[0] == '\0')
		return;
	digest = strchr(in, '@');
	nlen = digest ? (size_t)(digest - in) : strlen(in);
	if (nlen == 0 || nlen >= sizeof(name))
		return;
	memcpy(name, in, nlen);
	name[nlen] = '\0';
	slash = strchr(name, '/');
	if (slash != NULL && img_is_domain(name, slash - name)) {
		domain = name;
		dlen = slash - name;
		rest = slash + 1;
	} else {
		domain = IMG_DEFAULT_DOMAIN;
		dlen = strlen(domain);
		rest = name;
	}
	if (dlen == strlen(IMG_LEGACY_DOMAIN) &&
	    strncmp(domain, IMG_LEGACY_DOMAIN, dlen) == 0) {
		domain = IMG_DEFAULT_DOMAIN;
		dlen = strlen(domain);
	}
	if (dlen == strlen(IMG_DEFAULT_DOMAIN) &&
	    strncmp(domain, IMG_DEFAULT_DOMAIN, dlen) == 0 &&
	    strchr(rest, '/') == NULL)
		lib = IMG_OFFICIAL_REPO;
	last = strrchr(rest, '/');
	if (strchr(last ? last : rest, ':') == NULL && digest == NULL)
		tag = ":" IMG_DEFAULT_TAG;
	n = snprintf(out, outlen, "%.*s/%s%s%s%s", (int)dlen, domain, lib, rest,
	    tag, digest ? digest : "");
	if (n < 0 || (size_t)n >= outlen)
		out[0] = '\0';
}

/* ---- store paths ---- */

static int
img_store(char *buf, size_t len)
{
	return rt_path(buf, len, "%s/images/oci", rt.root_dir);
}

static int
img_refs_path(char *buf, size_t len)
{
	return rt_path(buf, len, "%s/images/refs.json", rt.root_dir);
}

static int
img_valid_digest(const char *d)
{
	size_t i;

	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
		return 0;
	for (i = 7; d[i] != '\0'; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return 0;
	return 1;
}

static int
img_blob_path(char *buf, size_t len, const char *digest)
{
	if (!img_valid_digest(digest)) {
		errno = EINVAL;
		return -1;
	}
	return rt_path(buf, len, "%s/images/oci/blobs/sha256/%s", rt.root_dir,
	    digest + 7);
}

/* the OCI tag for a reference: "img-" and hex of its sha256 */
static int
img_tag_for(const char *ref, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (len < 4 + IMG_TAG_HEX + 1 ||
	    EVP_Digest(ref, strlen(ref), md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	memcpy(buf, "img-", 4);
	for (i = 0; i < IMG_TAG_HEX / 2 && i < mdlen; i++)
		snprintf(buf + 4 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static cJSON *
img_refs_load(void)
{
	char path[PATH_MAX];
	cJSON *j;

	if (img_refs_path(path, sizeof(path)) == -1)
		return NULL;
	if ((j = rt_json_load(path)) == NULL && errno == ENOENT)
		j = cJSON_CreateObject();
	if (j != NULL && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/* ---- archive detection ---- */

static uint64_t
img_octal(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && (p[i] == ' ' || p[i] == '\0'); i++)
		;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

static int
img_tar_checksum_ok(const unsigned char *h)
{
	uint64_t want = img_octal(h + 148, 8), sum = 0;
	int i;

	for (i = 0; i < IMG_TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == want;
}

static int
img_name_is(const char *name, const char *want)
{
	if (strncmp(name, "./", 2) == 0)
		name += 2;
	return strcmp(name, want) == 0;
}

/*
 * What kind of image archive a tar file is, from its member names: an
 * OCI layout has "oci-layout", `docker save` output has "manifest.json".
 */
int
img_tar_kind(const char *path, struct rt_err *err)
{
	unsigned char h[IMG_TAR_BLOCK];
	char name[101];
	uint64_t size;
	int fd, i, kind = 0;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return rt_seterrno(err, "open %s", path);
	for (i = 0; i < IMG_TAR_MAX_ENTRIES && kind == 0; i++) {
		if ((n = read(fd, h, sizeof(h))) != (ssize_t)sizeof(h))
			break;
		if (i == 0 && h[0] == 0x1f && h[1] == 0x8b) {
			close(fd);
			return rt_seterr(err, "%s: compressed archives are not "
			    "supported, decompress it first", path);
		}
		if (h[0] == '\0')
			break;		/* end-of-archive block */
		if (!img_tar_checksum_ok(h))
			break;
		memcpy(name, h, 100);
		name[100] = '\0';
		if (img_name_is(name, "oci-layout"))
			kind = IMG_TAR_OCI;
		else if (img_name_is(name, "manifest.json"))
			kind = IMG_TAR_DOCKER;
		size = img_octal(h + 124, 12);
		if (lseek(fd, (off_t)((size + IMG_TAR_BLOCK - 1) /
		    IMG_TAR_BLOCK * IMG_TAR_BLOCK), SEEK_CUR) == -1)
			break;
	}
	close(fd);
	if (kind == 0)
		return rt_seterr(err, "%s: not an oci-archive or docker-archive "
		    "tar file (no oci-layout or manifest.json member)", path);
	return kind;
}

/* ---- import ---- */

static int
img_lock(struct rt_err *err)
{
	char path[PATH_MAX];
	int fd;

	if (rt_path(path, sizeof(path), "%s/images/lock", rt.root_dir) == -1)
		return rt_seterr(err, "image store path too long");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return rt_seterrno(err, "open %s", path);
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			close(fd);
			return rt_seterrno(err, "lock %s", path);
		}
	}
	return fd;
}

static void
img_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}

/* the skopeo source reference for src: "dir", "dir:tag" or a tar file */
static int
img_source_ref(const char *src, char *buf, size_t len, struct rt_err *err)
{
	char dir[PATH_MAX], marker[PATH_MAX];
	struct stat st;
	const char *colon;
	int kind;

	if (src == NULL || src[0] == '\0')
		return rt_seterr(err, "image source: empty");
	if (stat(src, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (strchr(src, ':') != NULL)
			return rt_seterr(err, "image source %s: a path with ':' "
			    "is ambiguous", src);
		if (rt_path(marker, sizeof(marker), "%s/oci-layout", src) == -1 ||
		    access(marker, F_OK) == -1)
			return rt_seterr(err, "image source %s: not an OCI image "
			    "layout (no oci-layout file)", src);
		return rt_path(buf, len, "oci:%s", src) == -1 ?
		    rt_seterr(err, "image source: path too long") : 0;
	}
	if (stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
		if (strchr(src, ':') != NULL)
			return rt_seterr(err, "image source %s: a path with ':' "
			    "is ambiguous", src);
		if ((kind = img_tar_kind(src, err)) == -1)
			return -1;
		return rt_path(buf, len, "%s:%s", kind == IMG_TAR_OCI ?
		    "oci-archive" : "docker-archive", src) == -1 ?
		    rt_seterr(err, "image source: path too long") : 0;
	}
	/* "dir:tag": the directory is everything before the first ':' */
	if ((colon = strchr(src, ':')) != NULL && colon[1] != '\0') {
		if ((size_t)(colon - src) >= sizeof(dir))
			return rt_seterr(err, "image source: path too long");
		memcpy(dir, src, colon - src);
		dir[colon - src] = '\0';
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (rt_path(marker, sizeof(marker), "%s/oci-layout",
			    dir) == -1 || access(marker, F_OK) == -1)
				return rt_seterr(err, "image source %s: not an "
				    "OCI image layout (no oci-layout file)", dir);
			return rt_path(buf, len, "oci:%s", src) == -1 ?
			    rt_seterr(err, "image source: path too long") : 0;
		}
	}
	return rt_seterr(err, "image source %s: no such directory or file", src);
}

static int
img_read_digest(const char *path, char *digest, size_t len,
    struct rt_err *err)
{
	char *buf;

	if (rt_read_file(path, 256, &buf, NULL) == -1)
		return rt_seterrno(err, "skopeo wrote no digest file");
	buf[strcspn(buf, " \n")] = '\0';
	if (!img_valid_digest(buf) || strlen(buf) >= len) {
		free(buf);
		return rt_seterr(err, "skopeo wrote an invalid digest");
	}
	snprintf(digest, len, "%s", buf);
	free(buf);
	return 0;
}

static int
img_refs_set(const char *ref, const char *digest, const char *tag,
    struct rt_err *err)
{
	char path[PATH_MAX];
	cJSON *refs, *entry;
	int ret = -1;

	if ((refs = img_refs_load()) == NULL)
		return rt_seterrno(err, "read image index");
	if ((entry = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(entry, "digest", digest) == NULL ||
	    cJSON_AddStringToObject(entry, "tag", tag) == NULL ||
	    cJSON_AddNumberToObject(entry, "imported_ns",
	    (double)rt_now_ns()) == NULL) {
		cJSON_Delete(entry);
		rt_seterr(err, "out of memory");
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(refs, ref);
	if (cJSON_GetArraySize(refs) >= RT_MAX_IMAGES) {
		cJSON_Delete(entry);
		rt_seterr(err, "image store full (%d images)", RT_MAX_IMAGES);
		goto out;
	}
	cJSON_AddItemToObject(refs, ref, entry);
	if (img_refs_path(path, sizeof(path)) == -1 ||
	    rt_json_save(path, refs) == -1) {
		rt_seterrno(err, "write image index");
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(refs);
	return ret;
}

int
rt_image_import(const char *src, const char *name, char *digest,
    size_t digestlen, struct rt_err *err)
{
	char ref[POD_MAX_IMAGE], srcref[PATH_MAX + 32], dst[PATH_MAX + 64];
	char store[PATH_MAX], tag[64], skopeo[PATH_MAX], policy[PATH_MAX];
	char tmpdir[PATH_MAX], dfile[PATH_MAX], got[POD_MAX_ID];
	const char *argv[16];
	struct rt_run r = { 0 };
	int lock = -1, ret = -1, n = 0;

	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (name == NULL || name[0] == '\0')
		return rt_seterr(err, "image name: empty");
	rt_image_normalize(name, ref, sizeof(ref));
	if (ref[0] == '\0')
		return rt_seterr(err, "image name \"%s\": not a valid reference",
		    name);
	if (strchr(ref, '@') != NULL)
		return rt_seterr(err, "image name \"%s\": cannot import under a "
		    "digest reference, give a tag", name);
	if (img_source_ref(src, srcref, sizeof(srcref), err) == -1)
		return -1;
	if (rt_find_exec("skopeo", RT_DEFAULT_PATH, skopeo, sizeof(skopeo)) == -1)
		return rt_seterr(err, "skopeo not found in %s", RT_DEFAULT_PATH);
	if (img_tag_for(ref, tag, sizeof(tag)) == -1 ||
	    img_store(store, sizeof(store)) == -1 ||
	    rt_path(dst, sizeof(dst), "oci:%s:%s", store, tag) == -1 ||
	    rt_path(policy, sizeof(policy), "%s/images/policy.json",
	    rt.root_dir) == -1 ||
	    rt_path(tmpdir, sizeof(tmpdir), "%s/images/tmp", rt.root_dir) == -1 ||
	    rt_path(dfile, sizeof(dfile), "%s/digest.%d", tmpdir,
	    (int)getpid()) == -1)
		return rt_seterr(err, "image store path too long");
	if ((lock = img_lock(err)) == -1)
		return -1;
	unlink(dfile);
	argv[n++] = skopeo;
	argv[n++] = "--policy";
	argv[n++] = policy;
	argv[n++] = "--tmpdir";
	argv[n++] = tmpdir;
	argv[n++] = "copy";
	argv[n++] = "--quiet";
	argv[n++] = "--digestfile";
	argv[n++] = dfile;
	argv[n++] = srcref;
	argv[n++] = dst;
	argv[n] = NULL;
	r.argv = argv;
	r.timeout_ms = IMG_IMPORT_TIMEOUT_MS;
	if (rt_run_ok(&r, err) == -1)
		goto out;
	if (img_read_digest(dfile, got, sizeof(got), err) == -1)
		goto out;
	if (img_refs_set(ref, got, tag, err) == -1)
		goto out;
	if (digest != NULL && digestlen > 0)
		snprintf(digest, digestlen, "%s", got);
	ret = 0;
out:
	unlink(dfile);
	rt_run_free(&r);
	img_unlock(lock);
	return ret;
}

/* ---- lookup ---- */

static void
img_repo_of(const char *ref, char *buf, size_t len)
{
	const char *at = strchr(ref, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);

	if (n >= len)
		n = len - 1;
	memcpy(buf, ref, n);
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	colon = strrchr(slash ? slash : buf, ':');
	if (colon != NULL)
		buf[colon - buf] = '\0';
}

/*
 * Find ref in refs.json: by name, or for "repo@sha256:..." any stored
 * tag of the same repository whose manifest has that digest.
 */
static const cJSON *
img_find(const cJSON *refs, const char *ref)
{
	const cJSON *e;
	const char *at = strchr(ref, '@'), *d;
	char repo[POD_MAX_IMAGE], erepo[POD_MAX_IMAGE];

	if ((e = cJSON_GetObjectItemCaseSensitive(refs, ref)) != NULL &&
	    cJSON_IsObject(e))
		return e;
	if (at == NULL)
		return NULL;
	img_repo_of(ref, repo, sizeof(repo));
	cJSON_ArrayForEach(e, refs) {
		if ((d = rt_json_str(e, "digest")) == NULL ||
		    strcmp(d, at + 1) != 0)
			continue;
		img_repo_of(e->string, erepo, sizeof(erepo));
		if (strcmp(repo, erepo) == 0)
			return e;
	}
	return NULL;
}

static cJSON *
img_load_blob(const char *digest, struct rt_err *err)
{
	char path[PATH_MAX];
	cJSON *j;
	char *buf;
	size_t len;

	if (img_blob_path(path, sizeof(path), digest) == -1) {
		rt_seterr(err, "invalid digest \"%s\"", digest);
		return NULL;
	}
	if (rt_read_file(path, IMG_BLOB_MAX, &buf, &len) == -1) {
		rt_seterrno(err, "read blob %s", digest);
		return NULL;
	}
	if ((j = cJSON_ParseWithLength(buf, len)) == NULL)
		rt_seterr(err, "blob %s: invalid JSON", digest);
	free(buf);
	return j;
}

/* the layout's own index must still point the tag at this manifest */
static int
img_check_tag(const char *tag, const char *digest, struct rt_err *err)
{
	char path[PATH_MAX];
	const cJSON *m, *ann;
	const char *name, *d;
	cJSON *idx;
	int ret = -1;

	if (rt_path(path, sizeof(path), "%s/images/oci/index.json",
	    rt.root_dir) == -1 || (idx = rt_json_load(path)) == NULL)
		return rt_seterrno(err, "read image layout index");
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(idx,
	    "manifests")) {
		ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
		name = rt_json_str(ann, "org.opencontainers.image.ref.name");
		d = rt_json_str(m, "digest");
		if (name != NULL && d != NULL && strcmp(name, tag) == 0) {
			ret = strcmp(d, digest) == 0 ? 0 : -1;
			break;
		}
	}
	cJSON_Delete(idx);
	if (ret == -1)
		rt_seterr(err, "image store: tag %s no longer points at %s "
		    "(re-import the image)", tag, digest);
	return ret;
}

static int
img_strlist(const cJSON *cfg, const char *key, struct strlist *l,
    uint32_t max, size_t maxlen, struct rt_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, key), *s;

	if (a == NULL || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return rt_seterr(err, "image config: %s is not an array", key);
	cJSON_ArrayForEach(s, a) {
		if (!cJSON_IsString(s) || strlen(s->valuestring) > maxlen)
			return rt_seterr(err, "image config: %s has a non-string "
			    "or over-long entry", key);
		if (strlist_add(l, s->valuestring, max) == -1)
			return rt_seterr(err, "image config: %s has more than "
			    "%u entries", key, max);
	}
	return 0;
}

static int
img_copy_str(const cJSON *cfg, const char *key, char *buf, size_t len,
    struct rt_err *err)
{
	const char *s = rt_json_str(cfg, key);

	buf[0] = '\0';
	if (s == NULL)
		return 0;
	if (strlen(s) >= len)
		return rt_seterr(err, "image config: %s longer than %zu bytes",
		    key, len - 1);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int
img_parse_config(const char *manifest_digest, struct rt_image *img,
    struct rt_err *err)
{
	cJSON *man, *conf = NULL;
	const cJSON *c;
	const char *cdigest;
	int ret = -1;

	if ((man = img_load_blob(manifest_digest, err)) == NULL)
		return -1;
	c = cJSON_GetObjectItemCaseSensitive(man, "config");
	if ((cdigest = rt_json_str(c, "digest")) == NULL) {
		rt_seterr(err, "manifest %s has no config", manifest_digest);
		goto out;
	}
	if ((conf = img_load_blob(cdigest, err)) == NULL)
		goto out;
	/* an image may have no "config" at all: then every field is unset */
	c = cJSON_GetObjectItemCaseSensitive(conf, "config");
	if (img_strlist(c, "Entrypoint", &img->entrypoint, POD_MAX_ARGS,
	    POD_MAX_ARG, err) == -1 ||
	    img_strlist(c, "Cmd", &img->cmd, POD_MAX_ARGS, POD_MAX_ARG,
	    err) == -1 ||
	    img_strlist(c, "Env", &img->env, POD_MAX_ENV,
	    POD_MAX_ENV_NAME + POD_MAX_ENV_VALUE + 1, err) == -1 ||
	    img_copy_str(c, "WorkingDir", img->working_dir,
	    sizeof(img->working_dir), err) == -1 ||
	    img_copy_str(c, "User", img->user, sizeof(img->user), err) == -1 ||
	    img_copy_str(c, "StopSignal", img->stop_signal,
	    sizeof(img->stop_signal), err) == -1)
		goto out;
	ret = 0;
out:
	cJSON_Delete(man);
	cJSON_Delete(conf);
	return ret;
}

static int
img_unpack(const char *tag, const char *digest, char *rootfs, size_t len,
    struct rt_err *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX], marker[PATH_MAX], image[PATH_MAX];
	char target[PATH_MAX], umoci[PATH_MAX], store[PATH_MAX];
	const char *argv[8];
	struct rt_run r = { 0 };
	int ret = -1;

	if (!img_valid_digest(digest) ||
	    rt_path(dir, sizeof(dir), "%s/images/rootfs/%s", rt.root_dir,
	    digest + 7) == -1 ||
	    rt_path(tmp, sizeof(tmp), "%s.tmp", dir) == -1 ||
	    rt_path(marker, sizeof(marker), "%s/" IMG_COMPLETE_MARKER, dir) == -1 ||
	    rt_path(rootfs, len, "%s/rootfs", dir) == -1 ||
	    img_store(store, sizeof(store)) == -1 ||
	    rt_path(image, sizeof(image), "%s:%s", store, tag) == -1 ||
	    rt_path(target, sizeof(target), "%s/rootfs", tmp) == -1)
		return rt_seterr(err, "image rootfs path too long");
	if (access(marker, F_OK) == 0)
		return 0;
	if (rt_find_exec("umoci", RT_DEFAULT_PATH, umoci, sizeof(umoci)) == -1)
		return rt_seterr(err, "umoci not found in %s", RT_DEFAULT_PATH);
	/* whatever is there without a marker is the debris of a crash */
	if (rt_rm_rf(dir) == -1 || rt_rm_rf(tmp) == -1)
		return rt_seterrno(err, "remove incomplete unpack of %s", digest);
	if (rt_mkdir_p(tmp, 0700) == -1)
		return rt_seterrno(err, "mkdir %s", tmp);
	argv[0] = umoci;
	argv[1] = "raw";
	argv[2] = "unpack";
	argv[3] = "--image";
	argv[4] = image;
	argv[5] = target;
	argv[6] = NULL;
	r.argv = argv;
	r.timeout_ms = IMG_UNPACK_TIMEOUT_MS;
	if (rt_run_ok(&r, err) == -1)
		goto out;
	if (rt_path(marker, sizeof(marker), "%s/" IMG_COMPLETE_MARKER,
	    tmp) == -1 || rt_write_file(marker, digest, strlen(digest),
	    0644) == -1 || chmod(tmp, 0755) == -1 || rename(tmp, dir) == -1) {
		rt_seterrno(err, "finish unpack of %s", digest);
		goto out;
	}
	ret = 0;
out:
	if (ret == -1)
		rt_rm_rf(tmp);
	rt_run_free(&r);
	return ret;
}

int
rt_image_lookup(const char *ref_in, struct rt_image *img, struct rt_err *err)
{
	char ref[POD_MAX_IMAGE];
	const cJSON *e;
	const char *digest, *tag;
	cJSON *refs = NULL;
	int lock = -1, ret = -1;

	memset(img, 0, sizeof(*img));
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	rt_image_normalize(ref_in, ref, sizeof(ref));
	if (ref[0] == '\0')
		return rt_seterr(err, "image \"%s\": not a valid reference",
		    ref_in ? ref_in : "");
	if ((lock = img_lock(err)) == -1)
		return -1;
	if ((refs = img_refs_load()) == NULL) {
		rt_seterrno(err, "read image index");
		goto out;
	}
	if ((e = img_find(refs, ref)) == NULL ||
	    (digest = rt_json_str(e, "digest")) == NULL ||
	    (tag = rt_json_str(e, "tag")) == NULL) {
		rt_seterr(err, "image \"%s\" not present", ref);
		goto out;
	}
	if (strlen(digest) >= sizeof(img->digest) || !img_valid_digest(digest)) {
		rt_seterr(err, "image index: bad digest for %s", ref);
		goto out;
	}
	snprintf(img->ref, sizeof(img->ref), "%s", ref);
	snprintf(img->digest, sizeof(img->digest), "%s", digest);
	if (img_check_tag(tag, digest, err) == -1 ||
	    img_parse_config(digest, img, err) == -1 ||
	    img_unpack(tag, digest, img->rootfs, sizeof(img->rootfs), err) == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1)
		rt_image_free(img);
	cJSON_Delete(refs);
	img_unlock(lock);
	return ret;
}

void
rt_image_free(struct rt_image *img)
{
	strlist_free(&img->entrypoint);
	strlist_free(&img->cmd);
	strlist_free(&img->env);
}

/* ---- listing ---- */

static uint64_t
img_size(const char *digest)
{
	const cJSON *l;
	cJSON *man;
	uint64_t size = 0;

	if ((man = img_load_blob(digest, NULL)) == NULL)
		return 0;
	size += (uint64_t)rt_json_int(cJSON_GetObjectItemCaseSensitive(man,
	    "config"), "size", 0);
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(man, "layers"))
		size += (uint64_t)rt_json_int(l, "size", 0);
	cJSON_Delete(man);
	return size;
}

char *
rt_image_list(struct rt_err *err)
{
	const cJSON *e;
	const char *digest;
	cJSON *refs;
	char *text = NULL, *p;
	size_t cap = 1, len = 0;
	int lock, n;

	if (!rt.initialized) {
		rt_seterr(err, "runtime not initialized");
		return NULL;
	}
	if ((lock = img_lock(err)) == -1)
		return NULL;
	if ((refs = img_refs_load()) == NULL) {
		rt_seterrno(err, "read image index");
		goto out;
	}
	cJSON_ArrayForEach(e, refs)
		cap += strlen(e->string) + POD_MAX_ID + 32;
	if ((text = malloc(cap)) == NULL) {
		rt_seterrno(err, "malloc");
		goto out;
	}
	text[0] = '\0';
	cJSON_ArrayForEach(e, refs) {
		if ((digest = rt_json_str(e, "digest")) == NULL)
			continue;
		p = text + len;
		n = snprintf(p, cap - len, "%s %s %llu\n", e->string, digest,
		    (unsigned long long)img_size(digest));
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += n;
	}
out:
	cJSON_Delete(refs);
	img_unlock(lock);
	return text;
}
