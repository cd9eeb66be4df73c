/*
 * The v1.Pod and v1.PodList JSON of `agentctl get pods -o json`: the
 * metadata and spec rendered from the pod-model field tables
 * (podschema.h), the status from the status rules (podstatus.c), and the
 * list order the API server and the table use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pod.h"
#include "podschema.h"
#include "podstatus.h"
#include "podview.h"

#define MILLI_PER_CORE		1000LL
#define QUANTITY_LEN		32
#define JSON_NAME_LEN		32	/* the first part of a dotted name */

int
pj_add_str(cJSON *o, const char *k, const char *v)
{
	return cJSON_AddStringToObject(o, k, nz(v)) == NULL ? -1 : 0;
}

/* omitempty */
int
pj_add_str_opt(cJSON *o, const char *k, const char *v)
{
	return nonempty(v) ? pj_add_str(o, k, v) : 0;
}

int
pj_add_num(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v) == NULL ? -1 : 0;
}

int
pj_add_bool(cJSON *o, const char *k, int v)
{
	return cJSON_AddBoolToObject(o, k, v) == NULL ? -1 : 0;
}

/* a metav1.Time: RFC 3339, or null when unset */
int
pj_add_time(cJSON *o, const char *k, int64_t ns)
{
	char buf[PODSTATUS_TIME_LEN];

	if (podstatus_rfc3339(ns, buf, sizeof(buf)) == -1)
		return cJSON_AddNullToObject(o, k) == NULL ? -1 : 0;
	return pj_add_str(o, k, buf);
}

/* takes ownership of item, also on failure */
int
pj_add_item(cJSON *o, const char *k, cJSON *item)
{
	if (item == NULL)
		return -1;
	if (!cJSON_AddItemToObject(o, k, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

int
pj_append_item(cJSON *a, cJSON *item)
{
	if (item == NULL)
		return -1;
	if (!cJSON_AddItemToArray(a, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

/* --- the spec: the pod-model field tables, in v1 order --- */

/* cpu as the API canonicalizes it: "2", "500m" */
static void
cpu_quantity(int64_t milli, char *buf, size_t len)
{
	if (milli % MILLI_PER_CORE == 0)
		snprintf(buf, len, "%lld", (long long)(milli / MILLI_PER_CORE));
	else
		snprintf(buf, len, "%lldm", (long long)milli);
}

/*
 * Bytes lose the suffix the manifest used; print the largest exact
 * binary suffix, else the largest exact decimal one, else plain bytes.
 */
void
pj_mem_quantity(int64_t bytes, char *buf, size_t len)
{
	static const char *const bin[] = { "Ei", "Pi", "Ti", "Gi", "Mi", "Ki" };
	static const char *const dec[] = { "E", "P", "T", "G", "M", "k" };
	int64_t b, d;
	int i;

	for (i = 0; i < 6 && bytes != 0; i++) {
		b = 1LL << (10 * (6 - i));
		if (bytes % b == 0) {
			snprintf(buf, len, "%lld%s", (long long)(bytes / b),
			    bin[i]);
			return;
		}
	}
	for (i = 0, d = 1000000000000000000LL; i < 6 && bytes != 0;
	    i++, d /= 1000) {
		if (bytes % d == 0) {
			snprintf(buf, len, "%lld%s", (long long)(bytes / d),
			    dec[i]);
			return;
		}
	}
	snprintf(buf, len, "%lld", (long long)bytes);
}

static cJSON	*struct_json(const struct podschema *, const void *, int where);

/*
 * The object a row's value goes in: the struct's own, or for a dotted
 * name ("limits.cpu", "capabilities.add") a child made when its first
 * value is, so that it is there only if one of its rows is.  One level.
 */
static cJSON *
row_parent(cJSON *o, const char *name, const char **leaf)
{
	const char *dot = strchr(name, '.');
	char part[JSON_NAME_LEN];
	cJSON *sub;
	size_t n;

	*leaf = name;
	if (dot == NULL)
		return o;
	if ((n = (size_t)(dot - name)) >= sizeof(part))
		return NULL;
	memcpy(part, name, n);
	part[n] = '\0';
	*leaf = dot + 1;
	if ((sub = cJSON_GetObjectItemCaseSensitive(o, part)) != NULL)
		return sub;
	return cJSON_AddObjectToObject(o, part);
}

static int
int_json(cJSON *o, const char *k, const struct podfield *f, int64_t v)
{
	char q[QUANTITY_LEN];

	switch (f->type) {
	case PS_BOOL:
	case PS_TRI:
		return pj_add_bool(o, k, v != 0);
	case PS_ENUM:
		return pj_add_str(o, k, f->enum_name((uint8_t)v));
	}
	switch (f->fmt) {
	case PSJ_CPU:
		cpu_quantity(v, q, sizeof(q));
		return pj_add_str(o, k, q);
	case PSJ_MEM:
		pj_mem_quantity(v, q, sizeof(q));
		return pj_add_str(o, k, q);
	}
	return pj_add_num(o, k, (double)v);
}

static cJSON *
strlist_json(const struct strlist *l)
{
	cJSON *a;
	uint32_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (pj_append_item(a, cJSON_CreateString(nz(l->v[i]))) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

/* labels as an object; env as [{name, value}] with an empty value left out */
static int
kv_add(cJSON *to, const struct podfield *f, const struct kv *kv)
{
	cJSON *e;

	if (f->fmt == PSJ_MAP)
		return pj_add_str(to, nz(kv->key), kv->value);
	if ((e = cJSON_CreateObject()) == NULL || pj_append_item(to, e) == -1)
		return -1;
	if (pj_add_str(e, "name", kv->key) == -1 ||
	    pj_add_str_opt(e, "value", kv->value) == -1)
		return -1;
	return 0;
}

static cJSON *
kvlist_json(const struct podfield *f, const void *obj)
{
	const struct kv *kv = *PODSCHEMA_CMEMBER(struct kv *, obj, f);
	uint32_t i, n = podschema_count(f, obj);
	cJSON *o;

	o = f->fmt == PSJ_MAP ? cJSON_CreateObject() : cJSON_CreateArray();
	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (kv_add(o, f, &kv[i]) == -1) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

static cJSON *
list_json(const struct podfield *f, const void *obj)
{
	const char *a = *PODSCHEMA_CMEMBER(char *, obj, f);
	uint32_t i, n = podschema_count(f, obj);
	cJSON *arr;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (pj_append_item(arr, struct_json(f->sub,
		    a + (size_t)i * f->sub->size, PSW_HERE)) == -1) {
			cJSON_Delete(arr);
			return NULL;
		}
	return arr;
}

static int	rows_json(cJSON *, const struct podschema *, const void *, int);

/* an IntOrString kept as its string: "8080" is the number it was */
static int
intorstr_json(cJSON *o, const char *k, const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) > 9)
		return pj_add_str(o, k, s);
	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (*p != '\0')
		return pj_add_str(o, k, s);
	return pj_add_num(o, k, (double)strtol(s, NULL, 10));
}

static int
row_json(cJSON *o, const struct podfield *f, const void *obj)
{
	const char *k;
	cJSON *to;

	if ((f->flags & PSF_JSON_OMIT) && podschema_is_default(f, obj))
		return 0;
	if (f->type == PS_STRUCT && (f->flags & PSF_JSON_INLINE))
		return rows_json(o, f->sub, (const char *)obj + f->off,
		    PSW_HERE);
	if ((to = row_parent(o, f->name, &k)) == NULL)
		return -1;
	switch (f->type) {
	case PS_STR:
		if (f->fmt == PSJ_INTORSTR)
			return intorstr_json(to, k,
			    *PODSCHEMA_CMEMBER(char *, obj, f));
		return pj_add_str(to, k, *PODSCHEMA_CMEMBER(char *, obj, f));
	case PS_STRLIST:
		return pj_add_item(to, k, strlist_json(PODSCHEMA_CMEMBER(
		    struct strlist, obj, f)));
	case PS_KVLIST:
		return pj_add_item(to, k, kvlist_json(f, obj));
	case PS_STRUCT:
		return pj_add_item(to, k, struct_json(f->sub,
		    (const char *)obj + f->off, PSW_HERE));
	case PS_LIST:
		return pj_add_item(to, k, list_json(f, obj));
	}
	return int_json(to, k, f, podschema_int(f, obj));
}

/* the rows of one struct that go where (a pod's spec, its metadata) */
static int
rows_json(cJSON *o, const struct podschema *s, const void *obj, int where)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].where == where &&
		    row_json(o, &s->fields[i], obj) == -1)
			return -1;
	return 0;
}

static cJSON *
struct_json(const struct podschema *s, const void *obj, int where)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (rows_json(o, s, obj, where) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/*
 * v1.PodSpec: false booleans are omitempty; the API server defaults
 * spec.securityContext and each container's resources to {}, which the
 * tables say by not marking them PSF_JSON_OMIT.
 */
static cJSON *
spec_json(const struct pod *p)
{
	cJSON *o, *vols, *v;
	uint32_t i;

	if ((o = struct_json(&podschema_pod, p, PSW_HERE)) == NULL)
		return NULL;
	/*
	 * A volume's source is its kind, which is no JSON row: an emptyDir
	 * at its defaults has no row to show, yet v1 needs "emptyDir": {}
	 */
	vols = cJSON_GetObjectItemCaseSensitive(o, "volumes");
	for (i = 0; vols != NULL && i < p->n_volumes; i++) {
		if (p->volumes[i].kind != VOL_EMPTY_DIR ||
		    (v = cJSON_GetArrayItem(vols, (int)i)) == NULL ||
		    cJSON_GetObjectItemCaseSensitive(v, "emptyDir") != NULL)
			continue;
		if (cJSON_AddObjectToObject(v, "emptyDir") == NULL) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

/*
 * A terminating pod has a deletionTimestamp, the time it is to be gone
 * by (the API server sets now + grace), and the grace period used; the
 * executor sends the deadline, or 0 before it has started to stop the
 * pod, when the time of this rendering stands in.
 */
static int
add_deletion_opt(cJSON *o, const struct pview *pv)
{
	int64_t grace = pv->pod->termination_grace_seconds;

	if (!pv_terminating(pv))
		return 0;
	if (pj_add_time(o, "deletionTimestamp", pv->rep->deletion_ns > 0 ?
	    pv->rep->deletion_ns : pv->now_ns) == -1)
		return -1;
	return pj_add_num(o, "deletionGracePeriodSeconds", grace >= 0 ? grace :
	    0);
}

static cJSON *
metadata_json(const struct pview *pv)
{
	const struct pod *p = pv->pod;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (rows_json(o, &podschema_pod, p, PSW_META_ID) == -1 ||
	    pj_add_time(o, "creationTimestamp", pv_start_time(pv)) == -1 ||
	    add_deletion_opt(o, pv) == -1 ||
	    rows_json(o, &podschema_pod, p, PSW_META) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
pod_json(const struct pview *pv)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (pj_add_str(o, "apiVersion", "v1") == -1 ||
	    pj_add_str(o, "kind", "Pod") == -1 ||
	    pj_add_item(o, "metadata", metadata_json(pv)) == -1 ||
	    pj_add_item(o, "spec", spec_json(pv->pod)) == -1 ||
	    pj_add_item(o, "status", status_json(pv)) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
podstatus_pod_json(const struct pod *p, const struct pod_report *r,
    int64_t now_ns)
{
	struct pview pv;

	pview_init(&pv, p, r, now_ns);
	return pod_json(&pv);
}

/* --- lists: sorted by namespace, name as the API server lists them --- */

/*
 * Two pods of one namespace/name are an old one terminating and its
 * replacement: the replacement first (what a script taking the first
 * match wants), then the newer first.
 */
int
podstatus_cmp(const struct pod *pa, const struct pod_report *ra,
    const struct pod *pb, const struct pod_report *rb)
{
	int c, ta = ra != NULL && ra->terminating;
	int tb = rb != NULL && rb->terminating;
	int64_t sa = ra != NULL ? ra->start_time_ns : 0;
	int64_t sb = rb != NULL ? rb->start_time_ns : 0;

	if ((c = strcmp(nz(pa->namespace), nz(pb->namespace))) != 0)
		return c;
	if ((c = strcmp(nz(pa->name), nz(pb->name))) != 0)
		return c;
	if (ta != tb)
		return ta - tb;
	return sa > sb ? -1 : sa < sb;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct podlist_entry *ea = a, *eb = b;
	int c;

	if ((c = podstatus_cmp(ea->pod, ea->rep, eb->pod, eb->rep)) != 0)
		return c;
	return ea->idx < eb->idx ? -1 : ea->idx > eb->idx;
}

struct podlist_entry *
podlist_sorted(const struct pod *const *pods,
    const struct pod_report *const *reps, size_t n)
{
	struct podlist_entry *e;
	size_t i;

	if ((e = calloc(n ? n : 1, sizeof(*e))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		e[i].pod = pods[i];
		e[i].rep = reps != NULL ? reps[i] : NULL;
		e[i].idx = i;
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	return e;
}

static cJSON *
podlist_items(const struct podlist_entry *e, size_t n, int64_t now_ns)
{
	struct pview pv;
	cJSON *a;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		pview_init(&pv, e[i].pod, e[i].rep, now_ns);
		if (pj_append_item(a, pod_json(&pv)) == -1) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

cJSON *
podstatus_podlist_json(const struct pod *const *pods,
    const struct pod_report *const *reps, size_t n, int64_t now_ns)
{
	struct podlist_entry *e;
	cJSON *o = NULL, *meta;

	if ((e = podlist_sorted(pods, reps, n)) == NULL)
		return NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		goto out;
	if (pj_add_str(o, "apiVersion", "v1") == -1 ||
	    pj_add_str(o, "kind", "PodList") == -1 ||
	    (meta = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    pj_add_str(meta, "resourceVersion", "") == -1 ||
	    pj_add_item(o, "items", podlist_items(e, n, now_ns)) == -1) {
		cJSON_Delete(o);
		o = NULL;
	}
 out:
	free(e);
	return o;
}
