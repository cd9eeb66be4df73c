/*
 * The one desired set the executor receives: the static pods, then the
 * API pods (apisource.h says why it is a snapshot of references).
 *
 * The executor ends the watcher for a set that names a uid twice, and
 * takes at most MAX_PODS pods: both are held here.  A static pod and an
 * API pod of one namespace/name are two claims on one name; the kubelet
 * would run both under one name, we keep the static one (the node's own
 * files are the node administrator's word) and log the API pod once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apisource.h"
#include "evring.h"
#include "log.h"
#include "msgcat.h"

struct podref *
podref_new(struct pod *p)
{
	struct podref *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->refs = 1;
	r->pod = *p;
	pod_init(p);
	return r;
}

struct podref *
podref_hold(struct podref *r)
{
	r->refs++;
	return r;
}

void
podref_drop(struct podref *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	pod_free(&r->pod);
	free(r);
}

static int
same_name(const struct pod *a, const struct pod *b)
{
	return strcmp(a->namespace, b->namespace) == 0 &&
	    strcmp(a->name, b->name) == 0;
}

/* a static pod of this namespace/name, or one of this uid, is in */
static int
taken(const struct podsnap *s, size_t nstatic, const struct pod *p,
    int *by_name)
{
	size_t i;

	*by_name = 0;
	for (i = 0; i < s->n; i++) {
		if (i < nstatic && same_name(&s->items[i].ref->pod, p)) {
			*by_name = 1;
			return 1;
		}
		if (strcmp(s->items[i].ref->pod.uid, p->uid) == 0)
			return 1;
	}
	return 0;
}

static void
item_add(struct podsnap *s, struct podref *r, int api, int deleting,
    const char *file)
{
	struct podsnap_item *it = &s->items[s->n++];

	it->ref = podref_hold(r);
	it->api = api;
	it->deleting = deleting;
	snprintf(it->file, sizeof(it->file), "%s", file);
}

static void
over_bound(const struct pod *p)
{
	static struct logrl rl;
	char key[LOGRL_MAX_KEY];

	snprintf(key, sizeof(key), "%s", p->uid);
	logrl_warnx(&rl, key, "pod %s/%s (%s) left out of the pod set: the "
	    "executor takes at most %d pods", p->namespace, p->name, p->uid,
	    MAX_PODS);
}

static void
api_add(struct podsnap *s, size_t nstatic, struct apisource_pod *e)
{
	const struct pod *p = &e->ref->pod;
	char file[MANIFEST_MAX_NAME + 1];
	int by_name;

	/* its last spec went out whole: the executor is stopping it */
	if (e->deleting && (e->term_sent || !e->sent))
		return;
	if (taken(s, nstatic, p, &by_name)) {
		if (by_name && !e->shadow_logged)
			log_warnx("API pod %s/%s (%s) left out: a static pod "
			    "of that name runs", p->namespace, p->name,
			    p->uid);
		else if (!by_name && !e->shadow_logged)
			log_warnx("API pod %s/%s left out: its uid %s is a "
			    "static pod's", p->namespace, p->name, p->uid);
		e->shadow_logged = 1;
		return;
	}
	e->shadow_logged = 0;
	if (s->n >= MAX_PODS) {
		over_bound(p);
		return;
	}
	snprintf(file, sizeof(file), APISOURCE_FILE_PREFIX "%s/%s",
	    p->namespace, p->name);
	item_add(s, e->ref, 1, e->deleting, file);
	s->deleting |= e->deleting;
}

void
podsnap_build(struct podsnap *s, const struct podsnap_static *st,
    size_t nstatic)
{
	size_t i;

	s->n = 0;
	s->deleting = 0;
	s->unsynced = apisource_unsynced();
	for (i = 0; i < nstatic && s->n < MAX_PODS; i++)
		item_add(s, st[i].ref, 0, 0, st[i].file);
	for (; i < nstatic; i++)
		over_bound(&st[i].ref->pod);
	nstatic = s->n;
	for (i = 0; i < apisource_count(); i++)
		api_add(s, nstatic, apisource_pod(i));
}

int
podsnap_sent(struct podsnap *s)
{
	struct apisource_pod *e;
	size_t i;
	int again = 0;

	for (i = 0; i < s->n; i++) {
		if (!s->items[i].api ||
		    (e = apisource_find(s->items[i].ref->pod.uid)) == NULL)
			continue;
		/* the spec the set carried, not one that came since */
		if (s->items[i].deleting) {
			if (e->deleting && !e->term_sent) {
				e->term_sent = 1;
				again = 1;
			}
		} else
			e->sent = 1;
	}
	return again;
}

void
podsnap_clear(struct podsnap *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		podref_drop(s->items[i].ref);
	s->n = 0;
	s->deleting = 0;
}
