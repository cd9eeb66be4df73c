/*
 * spec.volumes and containers[i].volumeMounts (issue 14): the field
 * tables and their conversion into struct volume and struct
 * volume_mount.  Only emptyDir and hostPath are volumes here; every other
 * source is refused with its reason.  The path rules are pod.c's
 * (pod_mount_path_problem and friends), which the executor applies again
 * after decoding; whether a hostPath is allowed at all is node policy,
 * the executor's (policy.c), not the parser's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"
#include "podschema.h"

/* what a volume item was given, beside the struct it fills */
struct volume_walk {
	struct volume	*v;
	int		 sources;	/* emptyDir, hostPath given */
};

/* ---- emptyDir ---- */

static int
ed_medium(struct walk *w, const cJSON *v, void *arg)
{
	struct volume *vol = arg;
	char qb[QUOTE_BUF];
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0')
		vol->medium = MEDIUM_DEFAULT;
	else if (strcmp(s, "Memory") == 0)
		vol->medium = MEDIUM_MEMORY;
	else if (strncmp(s, "HugePages", 9) == 0)
		return fail(w, "huge page volumes are not supported");
	else
		return fail(w, "unsupported value %s: supported values: \"\", "
		    "\"Memory\"", quote(qb, sizeof(qb), s));
	return 0;
}

static int
ed_size_limit(struct walk *w, const cJSON *v, void *arg)
{
	struct volume *vol = arg;
	int64_t n;

	if (get_quantity(w, v, 0, &n) == -1)
		return -1;
	/* 0 is "no limit" to the kubelet (calculateEmptyDirMemorySize) */
	vol->size_limit = n > 0 ? n : -1;
	return 0;
}

static const struct field_rule empty_dir_rules[] = {
	MAP("medium", ed_medium),
	MAP("sizeLimit", ed_size_limit),
	{ NULL, 0, NULL, NULL }
};

static int
vol_empty_dir(struct walk *w, const cJSON *v, void *arg)
{
	struct volume_walk *vw = arg;

	vw->sources++;
	vw->v->kind = VOL_EMPTY_DIR;
	return walk_object(w, v, empty_dir_rules, vw->v);
}

/* ---- hostPath ---- */

static int
hp_path(struct walk *w, const cJSON *v, void *arg)
{
	struct volume *vol = arg;
	const char *s, *problem;

	if (get_string(w, v, &s) == -1)
		return -1;
	if ((problem = pod_host_path_problem(s)) != NULL)
		return fail(w, "%s", problem);
	return take_string(w, v, POD_MAX_PATH - 1, &vol->host_path);
}

static int
hp_type(struct walk *w, const cJSON *v, void *arg)
{
	struct volume *vol = arg;
	char qb[QUOTE_BUF];
	const char *s;
	uint8_t t;

	if (get_string(w, v, &s) == -1)
		return -1;
	for (t = HPT_UNSET; t <= HPT_BLOCK_DEVICE; t++)
		if (strcmp(s, pod_host_path_type_name(t)) == 0) {
			vol->host_path_type = t;
			return 0;
		}
	return fail(w, "unsupported value %s: supported values: \"\", "
	    "\"BlockDevice\", \"CharDevice\", \"Directory\", "
	    "\"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"",
	    quote(qb, sizeof(qb), s));
}

static const struct field_rule host_path_rules[] = {
	MAP("path", hp_path),
	MAP("type", hp_type),
	{ NULL, 0, NULL, NULL }
};

static int
vol_host_path(struct walk *w, const cJSON *v, void *arg)
{
	struct volume_walk *vw = arg;

	vw->sources++;
	vw->v->kind = VOL_HOST_PATH;
	if (walk_object(w, v, host_path_rules, vw->v) == -1)
		return -1;
	return require_field(w, vw->v->host_path, "path", NULL);
}

/* ---- a volume ---- */

static int
vol_name(struct walk *w, const cJSON *v, void *arg)
{
	struct volume_walk *vw = arg;

	if (take_string(w, v, POD_MAX_VOLUME_NAME, &vw->v->name) == -1)
		return -1;
	if (!dns_label_ok(vw->v->name))
		return fail(w, DNS_LABEL_MSG);
	return 0;
}

#define API_OBJECT_REASON " volumes are not supported: static pods cannot " \
	"reference API objects, and API pods do not mount them yet"
#define NOT_LOCAL_REASON " volumes are not supported: agentd mounts only " \
	"emptyDir and hostPath volumes"

static const struct field_rule volume_rules[] = {
	MAP("name", vol_name),
	MAP("emptyDir", vol_empty_dir),
	MAP("hostPath", vol_host_path),
	REJECT("configMap", "configMap" API_OBJECT_REASON),
	REJECT("secret", "secret" API_OBJECT_REASON),
	REJECT("projected", "projected" API_OBJECT_REASON),
	REJECT("persistentVolumeClaim", "persistentVolumeClaim"
	    API_OBJECT_REASON),
	REJECT("ephemeral", "ephemeral" API_OBJECT_REASON),
	REJECT("downwardAPI", "downwardAPI volumes are not supported yet"),
	REJECT("image", "image" NOT_LOCAL_REASON),
	REJECT("csi", "csi" NOT_LOCAL_REASON),
	REJECT("gitRepo", "gitRepo volumes are deprecated and not supported"),
	REJECT("nfs", "nfs" NOT_LOCAL_REASON),
	REJECT("iscsi", "iscsi" NOT_LOCAL_REASON),
	REJECT("fc", "fc" NOT_LOCAL_REASON),
	REJECT("rbd", "rbd" NOT_LOCAL_REASON),
	REJECT("cephfs", "cephfs" NOT_LOCAL_REASON),
	REJECT("glusterfs", "glusterfs" NOT_LOCAL_REASON),
	REJECT("flexVolume", "flexVolume" NOT_LOCAL_REASON),
	REJECT("flocker", "flocker" NOT_LOCAL_REASON),
	REJECT("awsElasticBlockStore", "awsElasticBlockStore"
	    NOT_LOCAL_REASON),
	REJECT("gcePersistentDisk", "gcePersistentDisk" NOT_LOCAL_REASON),
	REJECT("azureDisk", "azureDisk" NOT_LOCAL_REASON),
	REJECT("azureFile", "azureFile" NOT_LOCAL_REASON),
	REJECT("cinder", "cinder" NOT_LOCAL_REASON),
	REJECT("vsphereVolume", "vsphereVolume" NOT_LOCAL_REASON),
	REJECT("quobyte", "quobyte" NOT_LOCAL_REASON),
	REJECT("photonPersistentDisk", "photonPersistentDisk"
	    NOT_LOCAL_REASON),
	REJECT("portworxVolume", "portworxVolume" NOT_LOCAL_REASON),
	REJECT("scaleIO", "scaleIO" NOT_LOCAL_REASON),
	REJECT("storageos", "storageos" NOT_LOCAL_REASON),
	{ NULL, 0, NULL, NULL }
};

static int
volume_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct pod *pod = arg;
	struct volume_walk vw = { &pod->volumes[i], 0 };
	char qb[QUOTE_BUF];
	size_t mark;
	int j;

	if (walk_object(w, item, volume_rules, &vw) == -1 ||
	    require_field(w, vw.v->name, "name", NULL) == -1)
		return -1;
	/* validateVolumeSource: exactly one */
	if (vw.sources == 0)
		return fail(w, "must specify a volume type (emptyDir or "
		    "hostPath)");
	if (vw.sources > 1)
		return fail(w, "may not specify more than 1 volume type");
	for (j = 0; j < i; j++) {
		if (strcmp(pod->volumes[j].name, vw.v->name) != 0)
			continue;
		mark = path_key(w, "name");
		fail(w, "duplicate volume name %s", quote(qb, sizeof(qb),
		    vw.v->name));
		path_pop(w, mark);
		return -1;
	}
	return 0;
}

int
spec_volumes(struct walk *w, const cJSON *v, void *arg)
{
	struct pod *pod = arg;
	uint32_t j;
	int n;

	if ((n = list_size(w, v, "volumes", POD_MAX_VOLUMES)) <= 0)
		return n;
	if ((pod->volumes = calloc(n, sizeof(*pod->volumes))) == NULL)
		return fail_nomem(w);
	for (j = 0; j < (uint32_t)n; j++)
		podschema_init(&podschema_volume, &pod->volumes[j]);
	pod->n_volumes = n;
	return walk_items(w, v, volume_item, pod);
}

/* ---- volumeMounts ---- */

static int
vm_name(struct walk *w, const cJSON *v, void *arg)
{
	struct volume_mount *m = arg;

	return take_string(w, v, POD_MAX_VOLUME_NAME, &m->name);
}

static int
vm_mount_path(struct walk *w, const cJSON *v, void *arg)
{
	struct volume_mount *m = arg;
	const char *s, *problem;

	if (get_string(w, v, &s) == -1)
		return -1;
	if ((problem = pod_mount_path_problem(s)) != NULL)
		return fail(w, "%s", problem);
	return take_string(w, v, POD_MAX_PATH - 1, &m->mount_path);
}

static int
vm_read_only(struct walk *w, const cJSON *v, void *arg)
{
	struct volume_mount *m = arg;
	int8_t b;

	if (get_bool(w, v, &b) == -1)
		return -1;
	m->read_only = (uint8_t)b;
	return 0;
}

static int
vm_sub_path(struct walk *w, const cJSON *v, void *arg)
{
	struct volume_mount *m = arg;
	const char *s, *problem;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0')
		return 0;
	if ((problem = pod_sub_path_problem(s)) != NULL)
		return fail(w, "%s", problem);
	return take_string(w, v, POD_MAX_SUB_PATH - 1, &m->sub_path);
}

/* None is what agentd does: a private bind mount, as the kubelet's */
static int
vm_propagation(struct walk *w, const cJSON *v, void *arg)
{
	char qb[QUOTE_BUF];
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0' || strcmp(s, "None") == 0)
		return 0;
	if (strcmp(s, "HostToContainer") == 0 ||
	    strcmp(s, "Bidirectional") == 0)
		return fail(w, "mount propagation %s is not supported: only "
		    "\"None\"", quote(qb, sizeof(qb), s));
	return fail(w, "unsupported value %s: supported values: "
	    "\"Bidirectional\", \"HostToContainer\", \"None\"",
	    quote(qb, sizeof(qb), s));
}

/* Disabled is the API's default: a read-only mount that is not recursive */
static int
vm_recursive_ro(struct walk *w, const cJSON *v, void *arg)
{
	const char *s;

	if (get_string(w, v, &s) == -1)
		return -1;
	if (s[0] == '\0' || strcmp(s, "Disabled") == 0)
		return 0;
	return fail(w, "recursiveReadOnly is not supported: only "
	    "\"Disabled\"");
}

static const struct field_rule volume_mount_rules[] = {
	MAP("name", vm_name),
	MAP("mountPath", vm_mount_path),
	MAP("readOnly", vm_read_only),
	MAP("subPath", vm_sub_path),
	MAP("mountPropagation", vm_propagation),
	MAP("recursiveReadOnly", vm_recursive_ro),
	REJECT("subPathExpr", "subPathExpr is not supported yet"),
	{ NULL, 0, NULL, NULL }
};

static int
mount_item(struct walk *w, const cJSON *item, int i, void *arg)
{
	struct container_spec *c = arg;
	struct volume_mount *m = &c->mounts[i];
	char qb[QUOTE_BUF];
	size_t mark;
	int j;

	if (walk_object(w, item, volume_mount_rules, m) == -1 ||
	    require_field(w, m->name, "name", NULL) == -1 ||
	    require_field(w, m->mount_path, "mountPath", NULL) == -1)
		return -1;
	for (j = 0; j < i; j++) {
		if (strcmp(c->mounts[j].mount_path, m->mount_path) != 0)
			continue;
		mark = path_key(w, "mountPath");
		fail(w, "must be unique: %s is mounted twice",
		    quote(qb, sizeof(qb), m->mount_path));
		path_pop(w, mark);
		return -1;
	}
	return 0;
}

int
container_volume_mounts(struct walk *w, const cJSON *v,
    struct container_spec *c)
{
	int n;

	if ((n = list_size(w, v, "volume mounts", POD_MAX_MOUNTS)) <= 0)
		return n;
	if ((c->mounts = calloc(n, sizeof(*c->mounts))) == NULL)
		return fail_nomem(w);
	c->n_mounts = n;
	return walk_items(w, v, mount_item, c);
}

/*
 * After the whole pod: every mount names a volume of the pod (the
 * volumes may come after the containers in the manifest).
 */
static int
finish_mounts(struct walk *w, const struct pod *pod,
    const struct container_spec *list, uint32_t n, const char *what)
{
	char path[sizeof(w->path)], qb[QUOTE_BUF];
	uint32_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < list[i].n_mounts; j++) {
			if (pod_volume(pod, list[i].mounts[j].name) != NULL)
				continue;
			snprintf(path, sizeof(path),
			    "spec.%s[%u].volumeMounts[%u].name", what, i, j);
			return field_error(w->err, path, "not found: %s "
			    "names no volume in spec.volumes",
			    quote(qb, sizeof(qb), list[i].mounts[j].name));
		}
	return 0;
}

int
finish_volumes(struct walk *w, struct pod *pod)
{
	if (finish_mounts(w, pod, pod->containers, pod->n_containers,
	    "containers") == -1)
		return -1;
	return finish_mounts(w, pod, pod->init_containers,
	    pod->n_init_containers, "initContainers");
}
