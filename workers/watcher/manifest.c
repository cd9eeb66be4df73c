/*
 * Kubernetes Pod manifests (YAML or JSON) -> struct pod: the entry points.
 *
 * Untrusted bytes go through three stages, each bounded:
 *  1. load (load.c): size, encoding (UTF-8 without NUL), then YAML (libyaml
 *     events: no anchors or aliases, one document) or JSON (cJSON) into a
 *     cJSON tree whose depth, size and key uniqueness are then checked.
 *  2. walk (walk.c, fields.c, ctrfields.c): one table per Kubernetes
 *     object type says, for every field, whether it maps to the model, is
 *     accepted and ignored, or is refused (and why); a field in no table
 *     is an "unknown field".  Values are type checked and validated with
 *     Kubernetes' rules (k8sname.c) as they are copied.
 *  3. finish: Kubernetes' defaults and cross-field rules (fields.c), then
 *     the static pod identity (staticpod.c: name, uid, annotations) or the
 *     API pod's.
 * docs/manifest-fields.md is the human-readable form of the tables.
 *
 * Library-style: nothing is logged; the first problem found is returned
 * in struct manifest_error, with the field path in Kubernetes' style.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

#define SOURCE_API		"api"

/*
 * The executor checks the identity again (pod_identity_check) and ends a
 * watcher that sends one it refuses; checking here too turns what would be
 * a protocol error into a rejection the user sees, with the field.
 */
static int
identity_check(const struct pod *pod, struct manifest_error *err)
{
	char field[POD_IDENTITY_FIELD], why[POD_IDENTITY_WHY];

	if (pod_identity_check(pod, field, why) == -1)
		return field_error(err, field, "%s", why);
	return 0;
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */

static void
error_clear(struct manifest_error *err)
{
	err->field[0] = '\0';
	err->reason[0] = '\0';
}

int
manifest_parse_static(const char *source_path, const uint8_t *buf,
    size_t len, const char *node_name, struct pod *out,
    struct manifest_error *err)
{
	cJSON *root = NULL;
	int rc = -1;

	pod_init(out);
	error_clear(err);
	if (static_args_check(source_path, node_name, err) == -1 ||
	    load(buf, len, 0, &root, err) == -1)
		goto out;
	if (walk_pod(root, 1, out, err) == -1 ||
	    static_finish(out, source_path, node_name, err) == -1 ||
	    identity_check(out, err) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		pod_free(out);
	return rc;
}

/* an API Pod: walked, then what only an API pod needs */
static int
api_pod(const cJSON *root, struct pod *out, struct manifest_error *err)
{
	if (walk_pod(root, 0, out, err) == -1)
		return -1;
	if (out->uid == NULL)
		return field_error(err, "metadata.uid", "required for a pod "
		    "from the API server");
	if ((out->node_name == NULL && (out->node_name = strdup("")) == NULL) ||
	    (out->source = strdup(SOURCE_API)) == NULL)
		return input_error(err, "out of memory");
	return identity_check(out, err);
}

int
manifest_parse_pod_json(const uint8_t *buf, size_t len, struct pod *out,
    struct manifest_error *err)
{
	cJSON *root = NULL;
	int rc = -1;

	pod_init(out);
	error_clear(err);
	if (load(buf, len, 1, &root, err) == -1 ||
	    api_pod(root, out, err) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		pod_free(out);
	return rc;
}

static int
pod_object(const cJSON *obj, int keys_checked, struct pod *out,
    struct manifest_error *err)
{
	pod_init(out);
	error_clear(err);
	if (obj == NULL)
		return input_error(err, "no Pod object");
	if ((keys_checked ? load_tree_bounds(obj, &load_manifest_bounds, err) :
	    load_tree_check(obj, &load_manifest_bounds, err)) == -1 ||
	    api_pod(obj, out, err) == -1) {
		pod_free(out);
		return -1;
	}
	return 0;
}

int
manifest_parse_pod_object(const cJSON *obj, struct pod *out,
    struct manifest_error *err)
{
	return pod_object(obj, 0, out, err);
}

int
pod_from_loaded(const cJSON *obj, struct pod *out,
    struct manifest_error *err)
{
	return pod_object(obj, 1, out, err);
}
