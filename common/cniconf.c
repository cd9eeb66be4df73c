/*
 * The CNI network configuration (include/cninet.h).  The choice is
 * libcni's: the directory's *.conflist, *.conf and *.json in lexical
 * order, the first that loads is the network; a .conf or .json holds one
 * plugin and becomes a list of it.  The files are the administrator's,
 * like agentd.yaml, but still bounded: a config is never more than
 * CNI_CONF_MAX_BYTES and CNI_MAX_PLUGINS.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cninet.h"
#include "log.h"

static int
conf_err(char *why, size_t len, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return -1;
}

static const char *
conf_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ?
	    v->valuestring : NULL;
}

static int
conf_copy(char *dst, size_t len, const char *src)
{
	if (src == NULL || strlen(src) >= len)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* libcni's capabilities map: {"portMappings": true} */
static int
conf_has_cap(const cJSON *plugin, const char *cap)
{
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(plugin,
	    "capabilities");

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps, cap));
}

static int
conf_plugins(struct cni_conf *c, cJSON *arr, char *why, size_t len)
{
	cJSON *p;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return conf_err(why, len, "no \"plugins\"");
	if (cJSON_GetArraySize(arr) > CNI_MAX_PLUGINS)
		return conf_err(why, len, "more than 16 plugins");
	cJSON_ArrayForEach(p, arr) {
		if (!cJSON_IsObject(p) || conf_copy(c->types[c->nplugins],
		    sizeof(c->types[0]), conf_str(p, "type")) == -1)
			return conf_err(why, len, "a plugin without a \"type\"");
		/* the type names an executable in cniBinDir */
		if (strchr(c->types[c->nplugins], '/') != NULL ||
		    c->types[c->nplugins][0] == '.')
			return conf_err(why, len, "a plugin type with a '/'");
		c->portmap[c->nplugins] = conf_has_cap(p, "portMappings");
		c->plugins[c->nplugins++] = p;
	}
	return 0;
}

/*
 * libcni's readBool for disableCheck and disableGC: absent is false, a
 * JSON boolean or the string "true"/"false" (any case); anything else
 * makes the file invalid, as there.
 */
static int
conf_bool(const cJSON *o, const char *key, int *v)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, key);

	*v = 0;
	if (b == NULL)
		return 0;
	if (cJSON_IsBool(b)) {
		*v = cJSON_IsTrue(b);
		return 0;
	}
	if (!cJSON_IsString(b))
		return -1;
	if (strcasecmp(b->valuestring, "true") == 0)
		*v = 1;
	else if (strcasecmp(b->valuestring, "false") != 0)
		return -1;
	return 0;
}

int
cni_conf_parse(const char *buf, size_t len, int is_list, struct cni_conf *c,
    char *why, size_t wlen)
{
	cJSON *root, *list;

	memset(c, 0, sizeof(*c));
	if ((root = cJSON_ParseWithLength(buf, len)) == NULL ||
	    !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return conf_err(why, wlen, "not a JSON object");
	}
	/* libcni's ConfListFromConf: a plugin is the list of it alone */
	if (is_list)
		list = root;
	else if ((list = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(list, "plugins", cJSON_CreateArray()) ||
	    !cJSON_AddItemToArray(cJSON_GetObjectItem(list, "plugins"), root)) {
		cJSON_Delete(list);
		cJSON_Delete(root);
		return conf_err(why, wlen, "out of memory");
	}
	c->list = list;
	if (conf_copy(c->name, sizeof(c->name), conf_str(root, "name")) == -1)
		return conf_err(why, wlen, "no \"name\" (or longer than 127)");
	if (conf_copy(c->version, sizeof(c->version), conf_str(root,
	    "cniVersion")) == -1)
		return conf_err(why, wlen, "no \"cniVersion\"");
	if (is_list && (conf_bool(root, "disableCheck", &c->disable_check) ==
	    -1 || conf_bool(root, "disableGC", &c->disable_gc) == -1))
		return conf_err(why, wlen, "\"disableCheck\" or \"disableGC\" "
		    "is neither true nor false");
	return conf_plugins(c, cJSON_GetObjectItemCaseSensitive(list,
	    "plugins"), why, wlen);
}

void
cni_conf_free(struct cni_conf *c)
{
	cJSON_Delete(c->list);
	memset(c, 0, sizeof(*c));
}

/* "name.conflist" 2, ".conf"/".json" 1, else 0 */
static int
conf_kind(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL || dot == name || name[0] == '.')
		return 0;
	if (strcmp(dot, ".conflist") == 0)
		return 2;
	return strcmp(dot, ".conf") == 0 || strcmp(dot, ".json") == 0;
}

static int
conf_read(const char *path, char **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CNI_CONF_MAX_BYTES) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return -1;
	}
	if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	n = read(fd, *buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		errno = EIO;
		return -1;
	}
	(*buf)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the candidate names of dir, sorted; -1 if it cannot be read */
static int
conf_names(const char *dir, char ***names, size_t *n)
{
	struct dirent *de;
	DIR *d;
	char **v;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	if ((v = calloc(CNI_CONF_MAX_FILES, sizeof(*v))) == NULL) {
		closedir(d);
		return -1;
	}
	while ((de = readdir(d)) != NULL && *n < CNI_CONF_MAX_FILES)
		if (conf_kind(de->d_name) && (v[*n] = strdup(de->d_name)) !=
		    NULL)
			(*n)++;
	closedir(d);
	qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return 0;
}

static void
conf_warn(const char *path, const char *why, void *arg)
{
	log_warnx("CNI configuration %s ignored: %s", path, why);
}

static int
conf_try(const char *dir, const char *name, struct cni_conf *c,
    cni_skip_fn skip, void *arg)
{
	char path[PATH_MAX], why[256];
	char *buf;
	size_t len;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -1;
	if (conf_read(path, &buf, &len) == -1) {
		if (skip != NULL)
			skip(path, strerror(errno), arg);
		return -1;
	}
	r = cni_conf_parse(buf, len, conf_kind(name) == 2, c, why,
	    sizeof(why));
	free(buf);
	if (r == -1) {
		if (skip != NULL)
			skip(path, why, arg);
		cni_conf_free(c);
		return -1;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

int
cni_conf_load(const char *dir, int quiet, struct cni_conf *c, char *why,
    size_t wlen)
{
	return cni_conf_load_cb(dir, quiet ? NULL : conf_warn, NULL, c, why,
	    wlen);
}

int
cni_conf_load_cb(const char *dir, cni_skip_fn skip, void *arg,
    struct cni_conf *c, char *why, size_t wlen)
{
	char **names;
	size_t n, i;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (conf_names(dir, &names, &n) == -1)
		return conf_err(why, wlen, "");
	for (i = 0; i < n && ret == -1; i++)
		ret = conf_try(dir, names[i], c, skip, arg);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret == -1)
		conf_err(why, wlen, n > 0 ? "no valid configuration" : "");
	return ret;
}

/*
 * libcni's ParseVersion: "" is 0.1.0, at most three numeric parts, a
 * missing part is 0.  -1 for anything else.
 */
static int
version_parse(const char *v, long part[3])
{
	size_t i, digits;

	part[0] = 0;
	part[1] = v[0] == '\0';
	part[2] = 0;
	if (v[0] == '\0')
		return 0;
	for (i = 0; i < 3; i++) {
		for (digits = 0; v[digits] >= '0' && v[digits] <= '9'; digits++)
			;
		if (digits == 0 || digits > 6)
			return -1;
		part[i] = strtol(v, NULL, 10);
		v += digits;
		if (v[0] == '\0')
			return 0;
		if (v[0] != '.')
			return -1;
		v++;
	}
	return -1;	/* a fourth part */
}

int
cni_version_ge(const char *v, const char *min)
{
	long a[3], b[3];
	int i;

	if (version_parse(v, a) == -1 || version_parse(min, b) == -1)
		return 0;
	for (i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] > b[i];
	return 1;
}

/*
 * libcni's GCNetworkList: the plugin's own object with the list's name
 * and cniVersion and the attachments the runtime still has, under the
 * spec's "cni.dev/valid-attachments" and the older "cni.dev/attachments"
 * (containernetworking/cni#1101) that libcni sends as well.
 */
char *
cni_gc_conf(const cJSON *plugin, const char *name, const char *version,
    const struct cni_attachment *valid, size_t n)
{
	cJSON *o = cJSON_Duplicate(plugin, 1), *arr = cJSON_CreateArray(), *a;
	char *text = NULL;
	size_t i;

	if (o == NULL || arr == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if ((a = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, a) ||
		    !cJSON_AddStringToObject(a, "containerID", valid[i].id) ||
		    !cJSON_AddStringToObject(a, "ifname", valid[i].ifname))
			goto out;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "name");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "cniVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(o, CNI_GC_VALID_KEY);
	cJSON_DeleteItemFromObjectCaseSensitive(o, CNI_GC_OLD_KEY);
	if (!cJSON_AddStringToObject(o, "name", name) ||
	    !cJSON_AddStringToObject(o, "cniVersion", version) ||
	    !cJSON_AddItemToObject(o, CNI_GC_OLD_KEY, cJSON_Duplicate(arr, 1)) ||
	    !cJSON_AddItemToObject(o, CNI_GC_VALID_KEY, arr))
		goto out;
	arr = NULL;
	text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(arr);
	cJSON_Delete(o);
	return text;
}
