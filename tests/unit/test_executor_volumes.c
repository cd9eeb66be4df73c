/*
 * volumes.c's pure parts: the safe walk (no symlink anywhere, nothing
 * outside the root, ".." refused, missing directories made on request)
 * and the kubelet's tmpfs size rule for Memory emptyDirs.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pod.h"
#include "tap.h"
#include "../../workers/executor/rt_private.h"
#include "../../workers/executor/volumes.h"

static char top[64];
static int rootfd = -1;

/*
 * valgrind knows no openat2 (ENOSYS): the walks are then skipped there,
 * as they fail closed (and are run natively by the plain unit run)
 */
static int
no_openat2(void)
{
	static int probed = -1;
	struct open_how how;
	int fd;

	if (probed == -1) {
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_CLOEXEC;
		fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
		probed = fd == -1 && errno == ENOSYS;
		if (fd != -1)
			close(fd);
		if (probed)
			printf("# openat2 unavailable: walk tests skipped\n");
	}
	return probed;
}

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (top[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
	top[0] = '\0';
}

static void
setup(void)
{
	char path[128];

	if (rootfd != -1)
		return;
	snprintf(top, sizeof(top), "/tmp/agentd-volwalk-XXXXXX");
	REQUIRE(mkdtemp(top) != NULL);
	/* each test runs in its own child, which exits through exit() */
	REQUIRE(atexit(cleanup) == 0);
	snprintf(path, sizeof(path), "%s/vol", top);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/vol/a", top);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/vol/a/b", top);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/outside", top);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/vol/link", top);
	REQUIRE(symlink(top, path) == 0);
	snprintf(path, sizeof(path), "%s/vol/a/rel", top);
	REQUIRE(symlink("b", path) == 0);
	snprintf(path, sizeof(path), "%s/vol", top);
	REQUIRE((rootfd = open(path, O_PATH | O_DIRECTORY)) != -1);
}


TEST(test_walk_plain_path)
{
	struct stat st;
	int fd;

	if (no_openat2())
		return;
	setup();
	REQUIRE((fd = vol_walk(rootfd, "a/b", 0, 0)) != -1);
	CHECK(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
	close(fd);
	REQUIRE((fd = vol_walk(rootfd, "a//b/", 0, 0)) != -1);
	close(fd);
	REQUIRE((fd = vol_walk(rootfd, "", 0, 0)) != -1);
	close(fd);
}

TEST(test_walk_refuses_symlinks_anywhere)
{
	if (no_openat2())
		return;
	setup();
	errno = 0;
	CHECK_EQ_INT(vol_walk(rootfd, "link", 0, 0), -1);
	CHECK_EQ_INT(errno, ELOOP);
	CHECK_EQ_INT(vol_walk(rootfd, "link/outside", 0, 0), -1);
	/* even one that stays inside */
	CHECK_EQ_INT(vol_walk(rootfd, "a/rel", 0, 0), -1);
	CHECK_EQ_INT(vol_walk(rootfd, "a/rel/x", 1, 1), -1);
}

TEST(test_walk_refuses_dotdot)
{
	if (no_openat2())
		return;
	setup();
	CHECK_EQ_INT(vol_walk(rootfd, "..", 0, 0), -1);
	CHECK_EQ_INT(vol_walk(rootfd, "a/../../outside", 0, 0), -1);
}

TEST(test_walk_makes_missing_directories)
{
	char path[128];
	struct stat st;
	int fd;

	if (no_openat2())
		return;
	setup();
	CHECK_EQ_INT(vol_walk(rootfd, "new/deep", 0, 0), -1);
	CHECK_EQ_INT(errno, ENOENT);
	REQUIRE((fd = vol_walk(rootfd, "new/deep", 1, 1)) != -1);
	close(fd);
	snprintf(path, sizeof(path), "%s/vol/new/deep", top);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	/* only the parents when the last is not a directory */
	CHECK_EQ_INT(vol_walk(rootfd, "new2/file", 1, 0), -1);
	snprintf(path, sizeof(path), "%s/vol/new2", top);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

static void
mem_pod(struct pod *p, struct container_spec *c, int64_t lim0, int64_t lim1)
{
	pod_init(p);
	container_spec_init(&c[0]);
	container_spec_init(&c[1]);
	c[0].res.mem_limit_bytes = lim0;
	c[1].res.mem_limit_bytes = lim1;
	p->containers = c;
	p->n_containers = 2;
}

TEST(test_tmpfs_size_rule)
{
	struct container_spec c[2];
	struct volume v;
	struct pod p;

	memset(&v, 0, sizeof(v));
	v.medium = MEDIUM_MEMORY;
	v.size_limit = -1;
	mem_pod(&p, c, -1, 64 << 20);
	/* a container without a limit: no pod limit, the node's memory */
	CHECK(vol_tmpfs_size(&p, &v, 1LL << 30) == 1LL << 30);
	mem_pod(&p, c, 16 << 20, 32 << 20);
	CHECK(vol_tmpfs_size(&p, &v, 1LL << 30) == 48 << 20);
	v.size_limit = 8 << 20;
	CHECK(vol_tmpfs_size(&p, &v, 1LL << 30) == 8 << 20);
	/* a sizeLimit above the pod's limit does not raise it */
	v.size_limit = 100 << 20;
	CHECK(vol_tmpfs_size(&p, &v, 1LL << 30) == 48 << 20);
	/* nor above the node's memory */
	mem_pod(&p, c, -1, -1);
	v.size_limit = 2LL << 30;
	CHECK(vol_tmpfs_size(&p, &v, 1LL << 30) == 1LL << 30);
}

/*
 * rt_rm_rf stops at a bind mount of the same file system (same st_dev,
 * another mount id): a hostPath still mounted in a pod's directory at its
 * removal must fail the removal, never empty the host's directory.  Also a
 * huge hostile memory limit saturates the pod's sum instead of wrapping.
 */
TEST(test_rm_rf_stops_at_a_bind_mount_of_the_same_file_system)
{
	char host[128], file[160], pod[128], mnt[160];
	struct stat st;
	int rc;

	if (geteuid() != 0) {
		printf("# not root: bind mount test skipped\n");
		return;
	}
	setup();
	snprintf(host, sizeof(host), "%s/outside", top);
	snprintf(file, sizeof(file), "%s/keep", host);
	REQUIRE(close(open(file, O_WRONLY | O_CREAT, 0644)) == 0);
	snprintf(pod, sizeof(pod), "%s/pod", top);
	REQUIRE(mkdir(pod, 0755) == 0);
	snprintf(mnt, sizeof(mnt), "%s/vol", pod);
	REQUIRE(mkdir(mnt, 0755) == 0);
	/* a type valgrind can read: the kernel ignores it for a bind */
	REQUIRE(mount(host, mnt, "none", MS_BIND, NULL) == 0);
	rc = rt_rm_rf(pod);
	CHECK(rc == -1 && errno == EXDEV);
	CHECK(stat(file, &st) == 0);
	REQUIRE(umount2(mnt, MNT_DETACH) == 0);
	CHECK(rt_rm_rf(pod) == 0);
	CHECK(stat(pod, &st) == -1 && errno == ENOENT);
	CHECK(stat(file, &st) == 0);
}

TEST(test_pod_memory_sum_saturates)
{
	struct container_spec c[2];
	struct volume v;
	struct pod p;

	memset(&v, 0, sizeof(v));
	v.medium = MEDIUM_MEMORY;
	v.size_limit = -1;
	mem_pod(&p, c, INT64_MAX, INT64_MAX);
	/* the sum would overflow (undefined: the asan run's UBSan stops on
	   it); saturated, it is no smaller than the node's memory */
	CHECK(vol_tmpfs_size(&p, &v, 1LL << 30) == 1LL << 30);
	CHECK(pod_sat_add(INT64_MAX, 1) == INT64_MAX);
	CHECK(pod_sat_add(INT64_MIN, -1) == INT64_MIN);
	CHECK(pod_sat_add(2, 3) == 5);
}
