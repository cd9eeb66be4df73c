/*
 * The two-way strategic merge patch of a v1.PodStatus, as
 * apimachinery's strategicpatch.CreateTwoWayMergePatch computes it for
 * the kubelet (pkg/util/pod/pod.go PatchPodStatus), restricted to the
 * fields and patch strategies of PodStatus (k8s.io/api/core/v1 types.go):
 *
 * - a key only in the new status is added whole (no $setElementOrder:
 *   diffMaps adds a missing key as it is), a key only in the old one is
 *   set to null, a changed scalar or a value of another type replaced;
 * - objects (structs) are diffed recursively;
 * - the lists with patchStrategy merge are diffed by their merge key
 *   (podlists[]): per element the changed fields plus the key, a new
 *   element whole, a gone one {"$patch":"delete",key}, in key order as
 *   diffListsOfMaps walks the sorted lists, and "$setElementOrder/<list>"
 *   (the keys in the new order) when content or order changed;
 * - every other list (containerStatuses, initContainerStatuses,
 *   ephemeralContainerStatuses: no patch strategy) is atomic: replaced
 *   whole when not equal.
 *
 * Object keys come out sorted, as Go marshals the patch's map, so the
 * bytes match the kubelet's.  resourceClaimStatuses (merge, retainKeys)
 * is not listed: the reporter never reports it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "podpatch.h"

struct podlist {
	const char	*field;
	const char	*merge_key;
};

/* PodStatus's patchStrategy:"merge" lists and their patchMergeKey */
static const struct podlist podlists[] = {
	{ "conditions",	"type" },
	{ "podIPs",	"ip" },
	{ "hostIPs",	"ip" },
};

#define SET_ORDER_PREFIX	"$setElementOrder/"

static int	diff_object(const cJSON *, const cJSON *, int, cJSON *);

static const char *
merge_key_of(const char *field)
{
	size_t i;

	for (i = 0; i < sizeof(podlists) / sizeof(podlists[0]); i++)
		if (strcmp(podlists[i].field, field) == 0)
			return podlists[i].merge_key;
	return NULL;
}

static const char *
elem_key(const cJSON *elem, const char *merge_key)
{
	const cJSON *k;

	k = cJSON_GetObjectItemCaseSensitive(elem, merge_key);
	return cJSON_IsString(k) ? k->valuestring : NULL;
}

/* the element of list whose merge key is key, NULL if none */
static const cJSON *
find_elem(const cJSON *list, const char *merge_key, const char *key)
{
	const cJSON *e;
	const char *k;

	cJSON_ArrayForEach(e, list)
		if ((k = elem_key(e, merge_key)) != NULL && strcmp(k, key) == 0)
			return e;
	return NULL;
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The merge keys of both lists, sorted and unique, into *keys (malloc'd);
 * -1 on a missing key or no memory.
 */
static int
union_keys(const cJSON *old, const cJSON *new, const char *merge_key,
    const char ***keys, size_t *n)
{
	const cJSON *lists[2] = { old, new }, *e;
	const char **v, *k;
	size_t i, j, cap;

	cap = (size_t)cJSON_GetArraySize(old) + cJSON_GetArraySize(new) + 1;
	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return -1;
	for (i = 0, j = 0; i < 2; i++)
		cJSON_ArrayForEach(e, lists[i]) {
			if ((k = elem_key(e, merge_key)) == NULL) {
				free(v);
				return -1;
			}
			v[j++] = k;
		}
	qsort(v, j, sizeof(*v), cmp_strp);
	for (i = 0, *n = 0; i < j; i++)
		if (*n == 0 || strcmp(v[*n - 1], v[i]) != 0)
			v[(*n)++] = v[i];
	*keys = v;
	return 0;
}

static int
same_order(const cJSON *old, const cJSON *new, const char *merge_key)
{
	const cJSON *a, *b;
	const char *ka, *kb;

	if (cJSON_GetArraySize(old) != cJSON_GetArraySize(new))
		return 0;
	for (a = old->child, b = new->child; a != NULL && b != NULL;
	    a = a->next, b = b->next) {
		ka = elem_key(a, merge_key);
		kb = elem_key(b, merge_key);
		if (ka == NULL || kb == NULL || strcmp(ka, kb) != 0)
			return 0;
	}
	return 1;
}

/* {merge_key: key} plus, for a deletion, "$patch": "delete" */
static cJSON *
key_only(const char *merge_key, const char *key, int deletion)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((deletion && cJSON_AddStringToObject(o, "$patch", "delete") ==
	    NULL) || cJSON_AddStringToObject(o, merge_key, key) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* one key's entry in the patch list; *out NULL when it is unchanged */
static int
diff_elem(const cJSON *o, const cJSON *n, const char *merge_key,
    const char *key, cJSON **out)
{
	cJSON *d;

	*out = NULL;
	if (n == NULL)
		return (*out = key_only(merge_key, key, 1)) == NULL ? -1 : 0;
	if (o == NULL)
		return (*out = cJSON_Duplicate(n, 1)) == NULL ? -1 : 0;
	if ((d = cJSON_CreateObject()) == NULL ||
	    diff_object(o, n, 0, d) == -1)
		goto fail;
	if (d->child == NULL) {
		cJSON_Delete(d);
		return 0;
	}
	if (cJSON_AddStringToObject(d, merge_key, key) == NULL)
		goto fail;
	*out = d;
	return 0;
fail:
	cJSON_Delete(d);
	return -1;
}

static cJSON *
set_order(const cJSON *new, const char *merge_key)
{
	const cJSON *e;
	cJSON *order, *k;

	if ((order = cJSON_CreateArray()) == NULL)
		return NULL;
	cJSON_ArrayForEach(e, new) {
		if ((k = key_only(merge_key, elem_key(e, merge_key), 0)) ==
		    NULL) {
			cJSON_Delete(order);
			return NULL;
		}
		cJSON_AddItemToArray(order, k);
	}
	return order;
}

static int
diff_merge_list(const char *field, const cJSON *old, const cJSON *new,
    const char *merge_key, cJSON *patch)
{
	const char **keys = NULL;
	cJSON *list = NULL, *e, *order;
	char name[64];
	size_t i, n;

	if (union_keys(old, new, merge_key, &keys, &n) == -1 ||
	    (list = cJSON_CreateArray()) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if (diff_elem(find_elem(old, merge_key, keys[i]),
		    find_elem(new, merge_key, keys[i]), merge_key, keys[i],
		    &e) == -1)
			goto fail;
		if (e != NULL)
			cJSON_AddItemToArray(list, e);
	}
	free(keys);
	keys = NULL;
	if (list->child == NULL && same_order(old, new, merge_key)) {
		cJSON_Delete(list);
		return 0;
	}
	snprintf(name, sizeof(name), SET_ORDER_PREFIX "%s", field);
	if ((order = set_order(new, merge_key)) == NULL)
		goto fail;
	cJSON_AddItemToObject(patch, name, order);
	if (list->child == NULL)
		cJSON_Delete(list);
	else
		cJSON_AddItemToObject(patch, field, list);
	return 0;
fail:
	free(keys);
	cJSON_Delete(list);
	return -1;
}

static int
same_type(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsBool(a) && cJSON_IsBool(b))
		return 1;
	return (a->type & 0xff) == (b->type & 0xff);
}

static int
add_copy(cJSON *patch, const char *key, const cJSON *v)
{
	cJSON *c;

	if ((c = cJSON_Duplicate(v, 1)) == NULL)
		return -1;
	cJSON_AddItemToObject(patch, key, c);
	return 0;
}

/* one key present on both sides */
static int
diff_value(const char *key, const cJSON *o, const cJSON *n, int top,
    cJSON *patch)
{
	const char *merge_key;
	cJSON *d;

	if (!same_type(o, n))
		return add_copy(patch, key, n);
	if (cJSON_IsObject(n)) {
		if ((d = cJSON_CreateObject()) == NULL)
			return -1;
		if (diff_object(o, n, 0, d) == -1) {
			cJSON_Delete(d);
			return -1;
		}
		if (d->child == NULL)
			cJSON_Delete(d);
		else
			cJSON_AddItemToObject(patch, key, d);
		return 0;
	}
	if (cJSON_IsArray(n) && top && (merge_key = merge_key_of(key)) != NULL)
		return diff_merge_list(key, o, n, merge_key, patch);
	if (cJSON_Compare(o, n, 1))
		return 0;
	return add_copy(patch, key, n);
}

/* top: old and new are the PodStatus itself, where podlists[] applies */
static int
diff_object(const cJSON *old, const cJSON *new, int top, cJSON *patch)
{
	const cJSON *n, *o;
	cJSON *null;

	cJSON_ArrayForEach(n, new) {
		o = cJSON_GetObjectItemCaseSensitive(old, n->string);
		if ((o == NULL ? add_copy(patch, n->string, n) :
		    diff_value(n->string, o, n, top, patch)) == -1)
			return -1;
	}
	cJSON_ArrayForEach(o, old) {
		if (cJSON_GetObjectItemCaseSensitive(new, o->string) != NULL)
			continue;
		if ((null = cJSON_CreateNull()) == NULL)
			return -1;
		cJSON_AddItemToObject(patch, o->string, null);
	}
	return 0;
}

static int
cmp_items(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string,
	    (*(cJSON *const *)b)->string);
}

/* every object's keys in strcmp order, as encoding/json writes a map */
static int
sort_keys(cJSON *j)
{
	cJSON **v, *c;
	int i, n;

	for (c = j->child; c != NULL; c = c->next)
		if (sort_keys(c) == -1)
			return -1;
	if (!cJSON_IsObject(j) || (n = cJSON_GetArraySize(j)) < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0, c = j->child; c != NULL; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), cmp_items);
	for (i = 0; i < n; i++) {
		v[i]->prev = i == 0 ? v[n - 1] : v[i - 1];
		v[i]->next = i == n - 1 ? NULL : v[i + 1];
	}
	j->child = v[0];
	free(v);
	return 0;
}

cJSON *
podpatch_status(const cJSON *old_status, const cJSON *new_status,
    const char *uid)
{
	cJSON *patch, *meta, *status = NULL, *empty = NULL;

	if ((patch = cJSON_CreateObject()) == NULL ||
	    (meta = cJSON_AddObjectToObject(patch, "metadata")) == NULL ||
	    cJSON_AddStringToObject(meta, "uid", uid) == NULL ||
	    (status = cJSON_CreateObject()) == NULL)
		goto fail;
	if (old_status == NULL &&
	    (old_status = empty = cJSON_CreateObject()) == NULL)
		goto fail;
	if (diff_object(old_status, new_status, 1, status) == -1)
		goto fail;
	cJSON_Delete(empty);
	empty = NULL;
	if (status->child == NULL)
		cJSON_Delete(status);
	else
		cJSON_AddItemToObject(patch, "status", status);
	status = NULL;
	if (sort_keys(patch) == -1)
		goto fail;
	return patch;
fail:
	cJSON_Delete(empty);
	cJSON_Delete(status);
	cJSON_Delete(patch);
	return NULL;
}

int
podpatch_is_empty(const cJSON *patch)
{
	return cJSON_GetArraySize(patch) == 1 &&
	    cJSON_GetObjectItemCaseSensitive(patch, "metadata") != NULL;
}
