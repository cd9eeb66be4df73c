/*
 * The event ring and the log rate limiter (include/evring.h).  Linear
 * scans: EVRING_MAX and LOGRL_MAX_KEYS are small, and an event is recorded
 * at most a few times per pod per relist.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "evring.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"

/* the struct holds what the catalog row allows, and its NUL */
#define EV_FITS(f, b)	_Static_assert(sizeof(((struct pod_event *)0)->f) == \
			    (b) + 1, "pod_event." #f " against its row")
EV_FITS(kind, MSGB_EVENT_KIND);
EV_FITS(namespace, MSGB_EVENT_NAMESPACE);
EV_FITS(name, MSGB_EVENT_NAME);
EV_FITS(uid, MSGB_EVENT_UID);
EV_FITS(reason, MSGB_EVENT_REASON);
EV_FITS(message, MSGB_EVENT_MESSAGE);

static int
same_key(const struct pod_event *e, const char *kind, const char *ns,
    const char *name, const char *uid, int type, const char *reason,
    const char *message)
{
	return e->type == type && strcmp(e->kind, kind) == 0 &&
	    strcmp(e->namespace, ns) == 0 && strcmp(e->name, name) == 0 &&
	    strcmp(e->uid, uid) == 0 && strcmp(e->reason, reason) == 0 &&
	    strcmp(e->message, message) == 0;
}

static struct pod_event *
find(struct evring *r, const struct pod_event *k)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (same_key(&r->ev[i], k->kind, k->namespace, k->name,
		    k->uid, k->type, k->reason, k->message))
			return &r->ev[i];
	return NULL;
}

/* a free slot, or the one seen longest ago when the ring is full */
static struct pod_event *
slot(struct evring *r)
{
	size_t i, old = 0;

	if (r->n < EVRING_MAX)
		return &r->ev[r->n++];
	for (i = 1; i < r->n; i++)
		if (r->ev[i].last_ns < r->ev[old].last_ns)
			old = i;
	return &r->ev[old];
}

/* the key as it will be stored: truncated to the bounds */
static void
fill_key(struct pod_event *k, const char *kind, const char *ns,
    const char *name, const char *uid, int type, const char *reason,
    const char *message)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->kind, sizeof(k->kind), "%s", kind ? kind : "");
	snprintf(k->namespace, sizeof(k->namespace), "%s", ns ? ns : "");
	snprintf(k->name, sizeof(k->name), "%s", name ? name : "");
	snprintf(k->uid, sizeof(k->uid), "%s", uid ? uid : "");
	k->type = type == EVENT_WARNING ? EVENT_WARNING : EVENT_NORMAL;
	snprintf(k->reason, sizeof(k->reason), "%s", reason ? reason : "");
	snprintf(k->message, sizeof(k->message), "%s",
	    message ? message : "");
}

struct pod_event *
evring_record(struct evring *r, const char *kind, const char *ns,
    const char *name, const char *uid, int type, const char *reason,
    const char *message, int64_t now_ns)
{
	struct pod_event k, *e;

	fill_key(&k, kind, ns, name, uid, type, reason, message);
	if ((e = find(r, &k)) != NULL) {
		e->count++;
		e->last_ns = now_ns;
		return e;
	}
	e = slot(r);
	*e = k;
	e->count = 1;
	e->first_ns = e->last_ns = now_ns;
	return e;
}

int
evring_merge(struct evring *r, const struct pod_event *in, int64_t now_ns)
{
	struct pod_event *e;

	if ((e = find(r, in)) != NULL) {
		if (e->count == in->count && e->last_ns == in->last_ns &&
		    e->first_ns == in->first_ns)
			return 0;
	} else
		e = slot(r);
	*e = *in;
	e->seen_ns = now_ns;
	return 1;
}

const char *
evring_type_name(int type)
{
	return type == EVENT_WARNING ? "Warning" : "Normal";
}

void
evring_put(struct ipc_msg *m, const struct pod_event *e)
{
	ipc_put_str(m, e->kind);
	ipc_put_str(m, e->namespace);
	ipc_put_str(m, e->name);
	ipc_put_str(m, e->uid);
	ipc_put_u32(m, e->type);
	ipc_put_str(m, e->reason);
	ipc_put_str(m, e->message);
	ipc_put_u32(m, e->count);
	ipc_put_i64(m, e->first_ns);
	ipc_put_i64(m, e->last_ns);
}

int
evring_get(struct ipc_msg *m, struct pod_event *e)
{
	uint32_t type;

	memset(e, 0, sizeof(*e));
	if (ipc_get_str(m, e->kind, MSGB_EVENT_KIND + 1) == -1 ||
	    e->kind[0] == '\0' ||
	    ipc_get_str(m, e->namespace, MSGB_EVENT_NAMESPACE + 1) == -1 ||
	    ipc_get_str(m, e->name, MSGB_EVENT_NAME + 1) == -1 ||
	    e->name[0] == '\0' ||
	    ipc_get_str(m, e->uid, MSGB_EVENT_UID + 1) == -1 ||
	    ipc_get_u32(m, &type) == -1 || type > EVENT_WARNING ||
	    ipc_get_str(m, e->reason, MSGB_EVENT_REASON + 1) == -1 ||
	    e->reason[0] == '\0' ||
	    ipc_get_str(m, e->message, MSGB_EVENT_MESSAGE + 1) == -1 ||
	    ipc_get_u32(m, &e->count) == -1 || e->count == 0 ||
	    ipc_get_i64(m, &e->first_ns) == -1 ||
	    ipc_get_i64(m, &e->last_ns) == -1 ||
	    e->first_ns <= 0 || e->last_ns < e->first_ns ||
	    ipc_get_end(m) == -1)
		return -1;
	e->type = (uint8_t)type;
	return 0;
}

int
logrl_check(struct logrl *rl, const char *key, int64_t now_ns,
    uint32_t *repeated)
{
	struct logrl_entry *e = NULL;
	size_t i, old = 0;

	*repeated = 0;
	for (i = 0; i < rl->n; i++)
		if (strncmp(rl->e[i].key, key, sizeof(rl->e[i].key) - 1) == 0) {
			e = &rl->e[i];
			break;
		}
	if (e == NULL) {
		if (rl->n < LOGRL_MAX_KEYS)
			e = &rl->e[rl->n++];
		else {
			for (i = 1; i < rl->n; i++)
				if (rl->e[i].logged_ns < rl->e[old].logged_ns)
					old = i;
			e = &rl->e[old];
		}
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->logged_ns = now_ns;
		e->suppressed = 0;
		return 1;
	}
	if (now_ns - e->logged_ns < (int64_t)LOGRL_INTERVAL_S * 1000000000LL) {
		e->suppressed++;
		return 0;
	}
	*repeated = e->suppressed;
	e->suppressed = 0;
	e->logged_ns = now_ns;
	return 1;
}

void
logrl_warnx(struct logrl *rl, const char *key, const char *fmt, ...)
{
	char line[EVENT_MAX_MESSAGE + 512], safe[4 * sizeof(line)];
	uint32_t repeated;
	va_list ap;

	if (!logrl_check(rl, key, pod_now_ns(), &repeated))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	evring_escape(line, safe, sizeof(safe));
	if (repeated > 0)
		log_warnx("%s (repeated %u times)", safe, repeated);
	else
		log_warnx("%s", safe);
}

/* runtime errors and names end up on terminals: \xNN for control bytes */
void
evring_escape(const char *in, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	if (len == 0)
		return;
	for (; *p != '\0' && o + 1 < len; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			if (o + 5 > len)
				break;
			snprintf(out + o, 5, "\\x%02x", *p);
			o += 4;
		} else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}
