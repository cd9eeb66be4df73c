/*
 * The QoS class (ipc/pod.c, the kubelet's ComputePodQOS) and the
 * containers' oom_score_adj (bundle.c, pkg/kubelet/qos/policy.go
 * GetContainerOOMScoreAdjust), as tables of the kubelet's cases.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pod.h"
#include "../../workers/executor/rt_private.h"
#include "tap.h"

#define GI	(1024LL * 1024 * 1024)
#define CAP	(16 * GI)		/* the node's memory */

struct res { int64_t cr, cl, mr, ml; };	/* -1: unset */

#define NONE	{ -1, -1, -1, -1 }

static void
set_res(struct container_spec *c, struct res r)
{
	c->res.cpu_request_milli = r.cr;
	c->res.cpu_limit_milli = r.cl;
	/* the watcher defaults an unset request to the limit */
	c->res.mem_request_bytes = r.mr >= 0 ? r.mr : r.ml;
	c->res.mem_limit_bytes = r.ml;
	if (r.cr < 0)
		c->res.cpu_request_milli = r.cl;
}

static void
mkpod(struct pod *p, const struct res *ctrs, uint32_t n,
    const struct res *inits, uint32_t ni)
{
	uint32_t i;

	pod_init(p);
	REQUIRE((p->containers = calloc(n, sizeof(*p->containers))) != NULL);
	for (i = 0; i < n; i++) {
		container_spec_init(&p->containers[i]);
		set_res(&p->containers[i], ctrs[i]);
	}
	p->n_containers = n;
	if (ni == 0)
		return;
	REQUIRE((p->init_containers = calloc(ni,
	    sizeof(*p->init_containers))) != NULL);
	for (i = 0; i < ni; i++) {
		container_spec_init(&p->init_containers[i]);
		set_res(&p->init_containers[i], inits[i]);
	}
	p->n_init_containers = ni;
}

TEST(test_qos_classes)
{
	static const struct {
		struct res	c[2];
		uint32_t	n;
		struct res	init;
		int		has_init;
		enum pod_qos	want;
	} cases[] = {
		{ { NONE }, 1, NONE, 0, POD_QOS_BESTEFFORT },
		/* zero quantities do not count */
		{ { { 0, 0, 0, 0 } }, 1, NONE, 0, POD_QOS_BESTEFFORT },
		{ { { 100, 100, GI, GI } }, 1, NONE, 0, POD_QOS_GUARANTEED },
		/* limits only: requests defaulted to them */
		{ { { -1, 100, -1, GI } }, 1, NONE, 0, POD_QOS_GUARANTEED },
		{ { { 50, 100, GI, GI } }, 1, NONE, 0, POD_QOS_BURSTABLE },
		{ { { -1, -1, GI, -1 } }, 1, NONE, 0, POD_QOS_BURSTABLE },
		/* one container without limits makes the pod Burstable */
		{ { { 100, 100, GI, GI }, NONE }, 2, NONE, 0,
		    POD_QOS_BURSTABLE },
		/* memory limit only */
		{ { { -1, -1, -1, GI } }, 1, NONE, 0, POD_QOS_BURSTABLE },
		/* an init container counts */
		{ { { 100, 100, GI, GI } }, 1, NONE, 1, POD_QOS_BURSTABLE },
		{ { { 100, 100, GI, GI } }, 1, { 10, 10, GI, GI }, 1,
		    POD_QOS_GUARANTEED },
		{ { NONE }, 1, { 10, -1, -1, -1 }, 1, POD_QOS_BURSTABLE },
	};
	struct pod p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mkpod(&p, cases[i].c, cases[i].n, &cases[i].init,
		    cases[i].has_init);
		if (pod_qos_class(&p) != cases[i].want)
			fprintf(stderr, "case %zu: %s\\n", i,
			    pod_qos_name(pod_qos_class(&p)));
		CHECK_EQ_INT(pod_qos_class(&p), cases[i].want);
		pod_free(&p);
	}
	CHECK_STR(pod_qos_name(POD_QOS_BESTEFFORT), "BestEffort");
}

TEST(test_oom_adj_by_class)
{
	struct res g = { 100, 100, GI, GI }, be = NONE;
	struct pod p;

	mkpod(&p, &g, 1, NULL, 0);
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], CAP), -997);
	pod_free(&p);
	mkpod(&p, &be, 1, NULL, 0);
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], CAP), 1000);
	pod_free(&p);
}

TEST(test_oom_adj_burstable_formula)
{
	static const struct {
		int64_t	req;
		int	want;
	} cases[] = {
		{ -1, 999 },		/* no memory request: 1000, then 999 */
		{ 1, 999 },
		{ CAP / 8, 875 },
		{ CAP / 10, 901 },	/* integer division, as the kubelet */
		{ CAP / 2, 500 },
		{ CAP - CAP / 1000, 3 },	/* 1, clamped to 3 */
		{ CAP, 3 },
		{ 4 * CAP, 3 },
		{ INT64_MAX, 3 },	/* no wrap */
	};
	struct res r = { 10, -1, -1, -1 };
	struct pod p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.mr = cases[i].req;
		mkpod(&p, &r, 1, NULL, 0);
		CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], CAP),
		    cases[i].want);
		pod_free(&p);
	}
	/* capacity unknown */
	mkpod(&p, &r, 1, NULL, 0);
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], 0), 999);
	pod_free(&p);
}

TEST(test_oom_adj_sidecar_no_higher_than_smallest_container)
{
	struct res c[2] = { { 10, -1, CAP / 2, -1 }, { 10, -1, CAP / 4, -1 } };
	struct res side = { 10, -1, CAP / 8, -1 };
	struct pod p;

	mkpod(&p, c, 2, &side, 1);
	p.init_containers[0].restart_policy = CTR_RESTART_ALWAYS;
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], CAP), 500);
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[1], CAP), 750);
	/* 875 by its own request, 750 by the smallest container's */
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.init_containers[0], CAP), 750);
	/* a plain init container keeps its own */
	p.init_containers[0].restart_policy = CTR_RESTART_UNSET;
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.init_containers[0], CAP), 875);
	pod_free(&p);
}

/* IsNodeCriticalPod: -997 whatever the class */
TEST(test_oom_adj_node_critical_pod)
{
	struct res be = NONE, bu = { 10, -1, CAP / 2, -1 };
	struct pod p;

	mkpod(&p, &be, 1, NULL, 0);
	p.priority_class_name = strdup("system-node-critical");
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], CAP), -997);
	free(p.priority_class_name);
	p.priority_class_name = strdup("system-cluster-critical");
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], CAP), 1000);
	pod_free(&p);
	mkpod(&p, &bu, 1, NULL, 0);
	p.priority_class_name = strdup("system-node-critical");
	CHECK_EQ_INT(bundle_qos_oom_adj(&p, &p.containers[0], CAP), -997);
	pod_free(&p);
}
