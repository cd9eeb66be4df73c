/*
 * The reporter's pods by uid (podtable.h).  Lookups are linear: at most
 * MAX_PODS entries, and a lookup costs less than rendering one pod.
 */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "msgschema.h"
#include "pod.h"
#include "podstatus.h"
#include "podtable.h"

static size_t
index_of(const struct podtable *t, const char *uid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->e[i]->spec.uid, uid) == 0)
			return i;
	return t->n;
}

struct pod_entry *
podtable_find_uid(const struct podtable *t, const char *uid)
{
	size_t i = index_of(t, uid);

	return i < t->n ? t->e[i] : NULL;
}

static void
remove_at(struct podtable *t, size_t i)
{
	pod_free(&t->e[i]->spec);
	pod_report_free(&t->e[i]->report);
	free(t->e[i]);
	t->e[i] = t->e[--t->n];
}

/* a full table: a stale entry (its pod not resent since a reconnect,
   so about to go at PODS_SYNCED anyway) makes room */
static int
make_room(struct podtable *t)
{
	size_t i;

	if (t->n < MAX_PODS)
		return 0;
	for (i = 0; i < t->n; i++)
		if (t->e[i]->stale) {
			remove_at(t, i);
			return 0;
		}
	return -1;
}

int
podtable_desired(struct podtable *t, struct ipc_msg *m)
{
	struct pod_entry *e;
	struct pod spec;
	size_t len = m->len;

	if (podwire_get_pod(m, &spec) == -1)
		return -1;
	if (ipc_get_end(m) == -1) {
		pod_free(&spec);
		return -1;
	}
	if ((e = podtable_find_uid(t, spec.uid)) != NULL) {
		pod_free(&e->spec);
	} else {
		if (make_room(t) == -1 ||
		    (e = calloc(1, sizeof(*e))) == NULL) {
			pod_free(&spec);
			return -1;
		}
		pod_report_init(&e->report);
		t->e[t->n++] = e;
	}
	e->spec = spec;
	e->spec_len = len;
	e->stale = 0;
	return 0;
}

int
podtable_status(struct podtable *t, struct ipc_msg *m, char *uid)
{
	struct pod_report report;
	struct pod_entry *e;
	size_t len = m->len;

	if (ipc_get_str(m, uid, MSGB_POD_UID + 1) == -1 || uid[0] == '\0')
		return -1;
	if (podwire_get_report(m, &report) == -1)
		return -1;
	if (ipc_get_end(m) == -1) {
		pod_report_free(&report);
		return -1;
	}
	if ((e = podtable_find_uid(t, uid)) == NULL) {
		pod_report_free(&report);
		return PODTABLE_DROPPED;
	}
	pod_report_free(&e->report);
	e->report = report;
	e->has_report = 1;
	e->report_len = len;
	e->stale = 0;
	podstatus_track(&e->spec, &e->report, pod_now_ns());
	return 0;
}

int
podtable_gone(struct podtable *t, struct ipc_msg *m)
{
	char uid[MSGB_POD_UID + 1];
	size_t i;

	if (ipc_get_str(m, uid, sizeof(uid)) == -1 || uid[0] == '\0' ||
	    ipc_get_end(m) == -1)
		return -1;
	if ((i = index_of(t, uid)) < t->n)
		remove_at(t, i);
	podstatus_forget(uid);
	return 0;
}

void
podtable_mark_stale(struct podtable *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		t->e[i]->stale = 1;
}

size_t
podtable_sweep_stale(struct podtable *t)
{
	size_t i = 0, n = 0;

	while (i < t->n)
		if (t->e[i]->stale) {
			remove_at(t, i);
			n++;
		} else
			i++;
	return n;
}

void
podtable_clear(struct podtable *t)
{
	while (t->n > 0)
		remove_at(t, t->n - 1);
}

const struct pod_report *
podtable_report(const struct pod_entry *e)
{
	return e->has_report ? &e->report : NULL;
}

int
podtable_terminating(const struct pod_entry *e)
{
	return e->has_report && e->report.terminating;
}

size_t
podtable_find_name(const struct podtable *t, const char *ns,
    const char *name, struct pod_entry **out, size_t max)
{
	struct pod_entry *e;
	size_t i, j, n = 0;

	for (i = 0; i < t->n; i++) {
		e = t->e[i];
		if (strcmp(e->spec.namespace, ns) != 0 ||
		    strcmp(e->spec.name, name) != 0)
			continue;
		/* insertion in the order the pod list shows them */
		for (j = n < max ? n : max; j > 0; j--) {
			if (podstatus_cmp(&out[j - 1]->spec,
			    podtable_report(out[j - 1]), &e->spec,
			    podtable_report(e)) <= 0)
				break;
			if (j < max)
				out[j] = out[j - 1];
		}
		if (j < max)
			out[j] = e;
		n++;
	}
	return n;
}
