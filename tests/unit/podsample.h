/*
 * The pod the reporter's status tests report (test_reporter_podpatch.c,
 * test_reporter_apipods.c, tests/tools/apireport_drive.c): default/NAME
 * with one container running busybox:1.36, its report waiting, no
 * sandbox yet.  Out of memory aborts: these are fixtures.
 */
#ifndef AGENTD_TESTS_PODSAMPLE_H
#define AGENTD_TESTS_PODSAMPLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pod.h"

static inline char *
podsample_strdup(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		abort();
	return d;
}

static inline void
podsample(struct pod *p, struct pod_report *r, const char *name,
    const char *uid, const char *container, int64_t start_ns)
{
	pod_init(p);
	p->namespace = podsample_strdup("default");
	p->name = podsample_strdup(name);
	p->uid = podsample_strdup(uid);
	if ((p->containers = calloc(1, sizeof(*p->containers))) == NULL)
		abort();
	container_spec_init(&p->containers[0]);
	p->containers[0].name = podsample_strdup(container);
	p->containers[0].image = podsample_strdup("busybox:1.36");
	p->n_containers = 1;
	pod_report_init(r);
	r->start_time_ns = start_ns;
	if ((r->containers = calloc(1, sizeof(*r->containers))) == NULL)
		abort();
	r->containers[0].name = podsample_strdup(container);
	r->containers[0].image = podsample_strdup("busybox:1.36");
	r->n_containers = 1;
}

#endif
