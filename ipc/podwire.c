/*
 * podwire: the binary encoding of the pod model and of the executor's
 * observed state, driven by the field tables (podschema.h).
 *
 * A pod is u32 PODWIRE_VERSION, then the pod table's struct; a report is
 * the report table's struct alone (it never had a version word).  Host
 * byte order, as all of IPC:
 *
 *	struct	= u32 length, then length bytes of fields
 *	field	= u32 tag, u32 length, then length bytes of value
 *	value	  by the row's type:
 *		bool, enum, tri		u8
 *		u32, i32		u32
 *		i64			i64
 *		str			u32 n, n bytes (no NUL)
 *		str list		u32 count, count x str
 *		kv list			u32 count, count x (str key, str value)
 *		struct			struct
 *		list of structs		u32 count, count x struct
 *
 * The encoder writes the rows in table order and leaves out every field
 * at its default (a required one is always written): a pod that does not
 * use a field encodes as it did before the field existed.  The decoder
 * takes fields in any order, skips a tag it does not know (a later
 * agentd's field) and leaves a field that is not there at its default, so
 * adding a field needs no version change; it refuses a tag seen twice, a
 * value not consumed exactly by its type, anything over its bound or out
 * of its range, and a required field that is missing or empty.  Every
 * length is checked against what is left of the enclosing one, so a
 * truncated frame is always refused.  The version changes only when this
 * framing does; a decoder refuses any other.
 *
 * The bounds are the limits in pod.h, enforced again here because the
 * input comes from a less trusted process.  A decoder failure leaves the
 * output freed and returns -1: the caller ends the peer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "pod.h"
#include "podschema.h"

#define PODWIRE_VERSION		3	/* 2: share_pid, 3: tagged fields */

#ifdef AGENTD_TEST_HOOKS
/*
 * The upgrade tests' hook (podwire_test_layout, from the test-only config
 * keys testPodwireVersionBump and testPodwireExtraField): the version word
 * PODWIRE_VERSION + 1 and/or one more field in the pod, the report and
 * each struct they hold, with a tag no table has, as a later agentd would
 * send.  Every worker applies the same configuration, so encoder and
 * decoder agree on the version; the unknown fields every decoder skips.
 * A release build has neither.
 */
static uint32_t		wire_version = PODWIRE_VERSION;
static int		wire_extra;
#define WIRE_VERSION	wire_version
#define WIRE_EXTRA	wire_extra
#define WIRE_EXTRA_STR	"a field this agentd does not know"

void
podwire_test_layout(int bump, int extra)
{
	wire_version = PODWIRE_VERSION + (bump ? 1 : 0);
	wire_extra = extra != 0;
}
#else
#define WIRE_VERSION	PODWIRE_VERSION
#define WIRE_EXTRA	0
#define WIRE_EXTRA_STR	""
#endif

/* ---- encoding ---- */

/* a u32 length now, patched by len_end once the bytes are written */
static size_t
len_begin(struct ipc_msg *m)
{
	ipc_put_u32(m, 0);
	return m->len;
}

static void
len_end(struct ipc_msg *m, size_t start)
{
	uint32_t n;

	if (m->err)
		return;
	/* the message is at most IPC_MAX_PAYLOAD: this fits */
	n = (uint32_t)(m->len - start);
	memcpy(m->data + start - sizeof(n), &n, sizeof(n));
}

static void	put_struct(struct ipc_msg *, const struct podschema *,
		    const void *);

static void
put_int(struct ipc_msg *m, const struct podfield *f, int64_t v)
{
	switch (f->type) {
	case PS_U32:
	case PS_I32:
		ipc_put_u32(m, (uint32_t)v);
		break;
	case PS_I64:
		ipc_put_i64(m, v);
		break;
	default:
		ipc_put_u8(m, (uint8_t)v);
		break;
	}
}

static void
put_value(struct ipc_msg *m, const struct podfield *f, const void *obj)
{
	const struct strlist *l;
	const struct kv *kv;
	const char *a;
	uint32_t i, n;

	if (podschema_is_int(f)) {
		put_int(m, f, podschema_int(f, obj));
		return;
	}
	n = podschema_count(f, obj);
	switch (f->type) {
	case PS_STR:
		ipc_put_str(m, *PODSCHEMA_CMEMBER(char *, obj, f));
		break;
	case PS_STRLIST:
		l = PODSCHEMA_CMEMBER(struct strlist, obj, f);
		ipc_put_u32(m, n);
		for (i = 0; i < n; i++)
			ipc_put_str(m, l->v[i]);
		break;
	case PS_KVLIST:
		kv = *PODSCHEMA_CMEMBER(struct kv *, obj, f);
		ipc_put_u32(m, n);
		for (i = 0; i < n; i++) {
			ipc_put_str(m, kv[i].key);
			ipc_put_str(m, kv[i].value);
		}
		break;
	case PS_STRUCT:
		put_struct(m, f->sub, (const char *)obj + f->off);
		break;
	case PS_LIST:
		a = *PODSCHEMA_CMEMBER(char *, obj, f);
		ipc_put_u32(m, n);
		for (i = 0; i < n; i++)
			put_struct(m, f->sub, a + (size_t)i * f->sub->size);
		break;
	}
}

static void
put_struct(struct ipc_msg *m, const struct podschema *s, const void *obj)
{
	const struct podfield *f;
	size_t i, body, val;

	body = len_begin(m);
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (!(f->flags & PSF_REQUIRED) && podschema_is_default(f, obj))
			continue;
		ipc_put_u32(m, f->tag);
		val = len_begin(m);
		put_value(m, f, obj);
		len_end(m, val);
	}
	if (WIRE_EXTRA) {
		ipc_put_u32(m, PODSCHEMA_TAG_TEST);
		val = len_begin(m);
		ipc_put_str(m, WIRE_EXTRA_STR);
		len_end(m, val);
	}
	len_end(m, body);
}


/* ---- decoding ---- */

/* the next length-prefixed bytes of m as a message of their own */
static int
get_view(struct ipc_msg *m, struct ipc_msg *v)
{
	const uint8_t *p;
	size_t n;

	if (ipc_get_bytes_ref(m, &p, m->len - m->off, &n) == -1)
		return -1;
	ipc_msg_init(v, 0, 0);
	v->data = (uint8_t *)(uintptr_t)p;	/* borrowed: cap stays 0 */
	v->len = n;
	return 0;
}

static int
get_int(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	uint32_t u32;
	uint8_t u8;
	int64_t v;

	if (f->type == PS_I64) {
		if (ipc_get_i64(m, &v) == -1)
			return -1;
	} else if (f->type == PS_U32 || f->type == PS_I32) {
		if (ipc_get_u32(m, &u32) == -1)
			return -1;
		v = f->type == PS_I32 ? (int64_t)(int32_t)u32 : (int64_t)u32;
	} else {
		if (ipc_get_u8(m, &u8) == -1)
			return -1;
		v = f->type == PS_TRI ? (int8_t)u8 : u8;
	}
	if ((v < f->min || v > f->max) &&
	    !((f->flags & PSF_UNSET) && v == -1))
		return -1;
	podschema_set_int(f, obj, v);
	return 0;
}

static int
get_str(struct ipc_msg *m, const struct podfield *f, char **out)
{
	if ((*out = ipc_get_strdup(m, (size_t)f->max + 1)) == NULL)
		return -1;
	if (**out != '\0')
		return 0;
	free(*out);
	*out = NULL;
	return (f->flags & PSF_REQUIRED) ? -1 : 0;
}

static int
get_strlist(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	struct strlist *l = PODSCHEMA_MEMBER(struct strlist, obj, f);
	uint32_t n, i;

	if (ipc_get_count(m, &n, (uint32_t)f->max) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((l->v[i] = ipc_get_strdup(m, f->elem_max + 1)) == NULL)
			return -1;
		l->n++;
	}
	return 0;
}

static int
get_kvlist(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	struct kv *kv;
	uint32_t n, i, *np = podschema_count_ref(f, obj);

	if (ipc_get_count(m, &n, (uint32_t)f->max) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((kv = calloc(n, sizeof(*kv))) == NULL)
		return -1;
	*PODSCHEMA_MEMBER(struct kv *, obj, f) = kv;
	for (i = 0; i < n; i++) {
		*np = i + 1;
		if ((kv[i].key = ipc_get_strdup(m, f->key_max + 1)) == NULL ||
		    kv[i].key[0] == '\0' ||
		    (kv[i].value = ipc_get_strdup(m, f->elem_max + 1)) == NULL)
			return -1;
	}
	return 0;
}

static int	get_struct(struct ipc_msg *, const struct podschema *, void *);

/* the list's key field (PSF_KEY) is unique: element i against the others */
static int
key_unique(const struct podschema *s, const char *a, uint32_t i)
{
	const struct podfield *f;
	const char *ki, *kj;
	size_t k;
	uint32_t j;

	for (k = 0; k < s->nfields; k++) {
		f = &s->fields[k];
		if (!(f->flags & PSF_KEY))
			continue;
		ki = *PODSCHEMA_CMEMBER(char *, a + (size_t)i * s->size, f);
		for (j = 0; j < i; j++) {
			kj = *PODSCHEMA_CMEMBER(char *, a + (size_t)j * s->size,
			    f);
			if (ki != NULL && kj != NULL && strcmp(ki, kj) == 0)
				return 0;
		}
	}
	return 1;
}

static int
get_list(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	const struct podschema *s = f->sub;
	uint32_t n, i, *np = podschema_count_ref(f, obj);
	char *a;

	if (ipc_get_count(m, &n, (uint32_t)f->max) == -1)
		return -1;
	if (n == 0)
		return (f->flags & PSF_REQUIRED) ? -1 : 0;
	if ((a = calloc(n, s->size)) == NULL)
		return -1;
	*PODSCHEMA_MEMBER(char *, obj, f) = a;
	for (i = 0; i < n; i++) {
		podschema_init(s, a + (size_t)i * s->size);
		*np = i + 1;
		if (get_struct(m, s, a + (size_t)i * s->size) == -1 ||
		    !key_unique(s, a, i))
			return -1;
	}
	return 0;
}

static int
get_value(struct ipc_msg *m, const struct podfield *f, void *obj)
{
	if (podschema_is_int(f))
		return get_int(m, f, obj);
	switch (f->type) {
	case PS_STR:
		return get_str(m, f, PODSCHEMA_MEMBER(char *, obj, f));
	case PS_STRLIST:
		return get_strlist(m, f, obj);
	case PS_KVLIST:
		return get_kvlist(m, f, obj);
	case PS_STRUCT:
		return get_struct(m, f->sub, (char *)obj + f->off);
	case PS_LIST:
		return get_list(m, f, obj);
	}
	return -1;
}

static const struct podfield *
field_by_tag(const struct podschema *s, uint32_t tag, size_t *idx)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].tag == tag) {
			*idx = i;
			return &s->fields[i];
		}
	return NULL;
}

/* one field: a known tag's value must be consumed exactly */
static int
get_field(struct ipc_msg *body, const struct podschema *s, void *obj,
    uint64_t *seen)
{
	const struct podfield *f;
	struct ipc_msg v;
	uint32_t tag;
	size_t i;

	if (ipc_get_u32(body, &tag) == -1 || get_view(body, &v) == -1)
		return -1;
	if ((f = field_by_tag(s, tag, &i)) == NULL)
		return 0;		/* a later agentd's field: skipped */
	if (*seen & (1ULL << i))
		return -1;
	*seen |= 1ULL << i;
	if (get_value(&v, f, obj) == -1 || ipc_get_end(&v) == -1)
		return -1;
	return 0;
}

static int
get_struct(struct ipc_msg *m, const struct podschema *s, void *obj)
{
	struct ipc_msg body;
	uint64_t seen = 0;
	size_t i;

	if (get_view(m, &body) == -1)
		return -1;
	while (body.off < body.len)
		if (get_field(&body, s, obj, &seen) == -1)
			return -1;
	for (i = 0; i < s->nfields; i++)
		if ((s->fields[i].flags & PSF_REQUIRED) &&
		    !(seen & (1ULL << i)))
			return -1;
	return 0;
}

/* ---- the two values ---- */

int
podwire_put_pod(struct ipc_msg *m, const struct pod *p)
{
	ipc_put_u32(m, WIRE_VERSION);
	put_struct(m, &podschema_pod, p);
	return m->err ? -1 : 0;
}

int
podwire_put_report(struct ipc_msg *m, const struct pod_report *r)
{
	put_struct(m, &podschema_report, r);
	return m->err ? -1 : 0;
}

int
podwire_get_pod(struct ipc_msg *m, struct pod *p)
{
	uint32_t version;

	pod_init(p);
	if (ipc_get_u32(m, &version) == -1 || version != WIRE_VERSION ||
	    get_struct(m, &podschema_pod, p) == -1) {
		pod_free(p);
		return -1;
	}
	return 0;
}

int
podwire_get_report(struct ipc_msg *m, struct pod_report *r)
{
	pod_report_init(r);
	if (get_struct(m, &podschema_report, r) == -1) {
		pod_report_free(r);
		return -1;
	}
	return 0;
}
