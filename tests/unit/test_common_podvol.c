/*
 * The volume path rules the watcher and the executor share (pod.c):
 * mountPath, subPath and hostPath each at its bound and one past it,
 * ".." as a component and not, and pod_identity_check()'s volume rules
 * (a mount naming no volume, duplicate mountPaths and volume names).
 */
#include <stdlib.h>
#include <string.h>

#include "pod.h"
#include "tap.h"

static char *
rep_path(int lead_slash, size_t n)
{
	static char buf[POD_MAX_PATH + 8];

	REQUIRE(n < sizeof(buf));
	memset(buf, 'a', n);
	if (lead_slash && n > 0)
		buf[0] = '/';
	buf[n] = '\0';
	return buf;
}

TEST(test_mount_path_rules)
{
	CHECK(pod_mount_path_problem("/data") == NULL);
	CHECK(pod_mount_path_problem("/a/..b/c..") == NULL);
	CHECK(pod_mount_path_problem(rep_path(1, POD_MAX_PATH - 1)) == NULL);
	CHECK(pod_mount_path_problem(rep_path(1, POD_MAX_PATH)) != NULL);
	CHECK(pod_mount_path_problem(NULL) != NULL);
	CHECK(pod_mount_path_problem("") != NULL);
	CHECK(pod_mount_path_problem("data") != NULL);
	CHECK(pod_mount_path_problem("/") != NULL);
	CHECK(pod_mount_path_problem("//") != NULL);
	CHECK(pod_mount_path_problem("/..") != NULL);
	CHECK(pod_mount_path_problem("/a/../b") != NULL);
	CHECK(pod_mount_path_problem("/a/..") != NULL);
}

TEST(test_sub_path_rules)
{
	CHECK(pod_sub_path_problem(NULL) == NULL);
	CHECK(pod_sub_path_problem("") == NULL);
	CHECK(pod_sub_path_problem("a/b") == NULL);
	CHECK(pod_sub_path_problem("a..b/..c") == NULL);
	CHECK(pod_sub_path_problem(rep_path(0, POD_MAX_SUB_PATH - 1)) == NULL);
	CHECK(pod_sub_path_problem(rep_path(0, POD_MAX_SUB_PATH)) != NULL);
	CHECK(pod_sub_path_problem("/etc") != NULL);
	CHECK(pod_sub_path_problem("..") != NULL);
	CHECK(pod_sub_path_problem("../x") != NULL);
	CHECK(pod_sub_path_problem("a/../../x") != NULL);
	CHECK(pod_sub_path_problem("a/..") != NULL);
}

TEST(test_host_path_rules)
{
	CHECK(pod_host_path_problem("/srv") == NULL);
	CHECK(pod_host_path_problem("/") == NULL);
	CHECK(pod_host_path_problem(rep_path(1, POD_MAX_PATH - 1)) == NULL);
	CHECK(pod_host_path_problem(rep_path(1, POD_MAX_PATH)) != NULL);
	CHECK(pod_host_path_problem("") != NULL);
	CHECK(pod_host_path_problem("srv") != NULL);
	CHECK(pod_host_path_problem("/srv/../etc") != NULL);
}

TEST(test_host_path_type_names)
{
	CHECK_STR(pod_host_path_type_name(HPT_UNSET), "");
	CHECK_STR(pod_host_path_type_name(HPT_DIRECTORY_OR_CREATE),
	    "DirectoryOrCreate");
	CHECK_STR(pod_host_path_type_name(HPT_BLOCK_DEVICE), "BlockDevice");
	CHECK_STR(pod_host_path_type_name(HPT_BLOCK_DEVICE + 1), "");
}

/* a pod with one container and volumes "a" and "b" (never freed) */
static void
mk(struct pod *p, struct container_spec *c, struct volume *v,
    struct volume_mount *m, uint32_t nm)
{
	pod_init(p);
	p->namespace = "default";
	p->name = "web";
	p->uid = "0123-abcd";
	container_spec_init(c);
	c->name = "c";
	c->image = "busybox";
	c->mounts = m;
	c->n_mounts = nm;
	p->containers = c;
	p->n_containers = 1;
	memset(v, 0, 2 * sizeof(*v));
	v[0].name = "a";
	v[0].size_limit = -1;
	v[1].name = "b";
	v[1].kind = VOL_HOST_PATH;
	v[1].host_path = "/srv";
	v[1].size_limit = -1;
	p->volumes = v;
	p->n_volumes = 2;
}

static void
expect_field(const struct pod *p, const char *field)
{
	char f[POD_IDENTITY_FIELD], why[POD_IDENTITY_WHY];

	CHECK_EQ_INT(pod_identity_check(p, f, why), -1);
	CHECK_STR(f, field);
	CHECK(why[0] != '\0');
}

TEST(test_identity_check_volumes)
{
	char f[POD_IDENTITY_FIELD], why[POD_IDENTITY_WHY];
	struct volume_mount m[2];
	struct container_spec c;
	struct volume v[2];
	struct pod p;

	memset(m, 0, sizeof(m));
	m[0].name = "a";
	m[0].mount_path = "/a";
	m[1].name = "b";
	m[1].mount_path = "/b";
	m[1].sub_path = "x/y";
	mk(&p, &c, v, m, 2);
	CHECK_EQ_INT(pod_identity_check(&p, f, why), 0);
	m[1].name = "nope";
	expect_field(&p, "spec.containers[0].volumeMounts[1]");
	m[1].name = "b";
	m[1].mount_path = "/a";
	expect_field(&p, "spec.containers[0].volumeMounts[1]");
	m[1].mount_path = "/b";
	m[1].sub_path = "../x";
	expect_field(&p, "spec.containers[0].volumeMounts[1]");
	m[1].sub_path = NULL;
	v[1].name = "a";
	expect_field(&p, "spec.volumes[1].name");
	v[1].name = "B";
	expect_field(&p, "spec.volumes[1].name");
	v[1].name = "b";
	v[1].host_path = "relative";
	expect_field(&p, "spec.volumes[1].hostPath.path");
	v[1].host_path = NULL;
	expect_field(&p, "spec.volumes[1].hostPath.path");
	v[1].host_path = "/srv";
	v[0].host_path = "/etc";	/* an emptyDir with a host path */
	expect_field(&p, "spec.volumes[0]");
	v[0].host_path = NULL;
	CHECK_EQ_INT(pod_identity_check(&p, f, why), 0);
}
