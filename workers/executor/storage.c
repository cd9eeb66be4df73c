/*
 * A container's root filesystem, made from its image's unpacked rootfs by
 * one of two drivers:
 *
 *   overlay  rootfs/ is an overlay mount, lowerdir the image, upper/ and
 *            work/ in the container's directory.  Costs nothing up front.
 *   native   rootfs/ is a full copy of the image (containerd's "native"
 *            snapshotter, containers/storage's "vfs" driver), for a
 *            rootDir that cannot be an overlay upperdir: an overlay itself
 *            (every Docker or podman container), some FUSE and network
 *            file systems.  Costs the image's size per container on disk
 *            and the copy at every container start.
 *
 * "auto" mounts a tiny overlay under rootDir at start, exercising what a
 * container does (a copy-up and a whiteout), and picks overlay when that
 * works.  The driver is recorded in each container's meta.json.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_private.h"

#define ST_COPY_TIMEOUT_MS	(10 * 60 * 1000)	/* one image copy */
#define ST_OVERLAY_MAGIC	0x794c7630

static char st_cp[PATH_MAX];	/* cp(1), for the native driver */

/* a reason, cut to fit: paths under rootDir may be long */
static void __attribute__((format(printf, 3, 4)))
st_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

const char *
st_driver_name(int driver)
{
	return driver == STORAGE_NATIVE ? "native" : "overlay";
}

static const char *
st_fs_name(const char *path)
{
	static char hex[32];
	static const struct { long magic; const char *name; } fs[] = {
		{ ST_OVERLAY_MAGIC, "overlay" }, { 0x01021994, "tmpfs" },
		{ 0xef53, "ext4" }, { 0x58465342, "xfs" },
		{ 0x9123683e, "btrfs" }, { 0x65735546, "fuse" },
		{ 0x6969, "nfs" }, { 0x2fc12fc1, "zfs" },
	};
	struct statfs sf;
	size_t i;

	if (statfs(path, &sf) == -1)
		return "unknown";
	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if ((long)sf.f_type == fs[i].magic)
			return fs[i].name;
	snprintf(hex, sizeof(hex), "type 0x%lx", (long)sf.f_type);
	return hex;
}

/* the steps a container's first writes take: mount, copy-up, whiteout */
static int
st_probe_steps(const char *dir, char *why, size_t len)
{
	char l[PATH_MAX], u[PATH_MAX], w[PATH_MAX], m[PATH_MAX];
	char opts[RT_OPTS_MAX], f[PATH_MAX];
	int fd, ret = -1;

	if (rt_path(l, sizeof(l), "%s/l", dir) == -1 ||
	    rt_path(u, sizeof(u), "%s/u", dir) == -1 ||
	    rt_path(w, sizeof(w), "%s/w", dir) == -1 ||
	    rt_path(m, sizeof(m), "%s/m", dir) == -1 ||
	    rt_path(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s",
	    l, u, w) == -1) {
		st_why(why, len, "rootDir path too long for a probe");
		return -1;
	}
	if (mkdir(l, 0755) == -1 || mkdir(u, 0755) == -1 ||
	    mkdir(w, 0700) == -1 || mkdir(m, 0755) == -1 ||
	    rt_path(f, sizeof(f), "%s/copyup", l) == -1 ||
	    rt_write_file(f, "x", 1, 0644) == -1 ||
	    rt_path(f, sizeof(f), "%s/whiteout", l) == -1 ||
	    rt_write_file(f, "x", 1, 0644) == -1) {
		st_why(why, len, "probe directory: %s", strerror(errno));
		return -1;
	}
	if (mount("overlay", m, "overlay", MS_NODEV, opts) == -1) {
		st_why(why, len, "mount overlay with its upperdir there: %s",
		    strerror(errno));
		return -1;
	}
	if (rt_path(f, sizeof(f), "%s/copyup", m) == -1 ||
	    (fd = open(f, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1) {
		st_why(why, len, "copy-up on the overlay: %s",
		    strerror(errno));
		goto out;
	}
	close(fd);
	if (rt_path(f, sizeof(f), "%s/whiteout", m) == -1 ||
	    unlink(f) == -1) {
		st_why(why, len, "whiteout on the overlay: %s",
		    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (rt_umount(m) == -1 && ret == 0) {
		st_why(why, len, "unmount the probe overlay: %s",
		    strerror(errno));
		ret = -1;
	}
	return ret;
}

/* 0 if rootDir can be an overlay upperdir, else -1 and why */
static int
st_probe_overlay(char *why, size_t len)
{
	char dir[PATH_MAX], reason[RT_ERR_MAX];
	int ret;

	if (rt_path(dir, sizeof(dir), "%s/.overlay-probe-XXXXXX",
	    rt.root_dir) == -1 || mkdtemp(dir) == NULL) {
		st_why(why, len, "cannot make a probe directory in %s: %s",
		    rt.root_dir, strerror(errno));
		return -1;
	}
	ret = st_probe_steps(dir, reason, sizeof(reason));
	if (ret == -1)
		st_why(why, len, "rootDir %s (%s) cannot hold an overlay "
		    "upperdir: %s", rt.root_dir, st_fs_name(rt.root_dir),
		    reason);
	if (rt_rm_rf(dir) == -1 && ret == 0) {
		st_why(why, len, "remove probe %s: %s", dir, strerror(errno));
		ret = -1;
	}
	return ret;
}

int
st_init(int configured, struct rt_err *err)
{
	struct rt_info *in = &rt.info;
	char why[RT_ERR_MAX - 200], path[PATH_MAX];

	rt.storage = configured == STORAGE_NATIVE ? STORAGE_NATIVE :
	    STORAGE_OVERLAY;
	if (configured != STORAGE_NATIVE && st_probe_overlay(why,
	    sizeof(why)) == -1) {
		if (configured == STORAGE_OVERLAY)
			st_why(in->storage_error,
			    sizeof(in->storage_error),
			    "storageDriver overlay: %s; no container can "
			    "start (use storageDriver native or auto)", why);
		else {
			rt.storage = STORAGE_NATIVE;
			st_why(in->storage_warning,
			    sizeof(in->storage_warning), "storage: %s; using "
			    "the native driver: every container start copies "
			    "its image (disk: one image size per container; "
			    "start: the copy time)", why);
		}
	}
	snprintf(in->storage_driver, sizeof(in->storage_driver), "%s",
	    st_driver_name(rt.storage));
	/* for `agentctl status` (agentd reads it): best effort */
	if (rt_path(path, sizeof(path), "%s/storage-driver", rt.run_dir) == 0)
		(void)rt_write_file(path, in->storage_driver,
		    strlen(in->storage_driver), 0600);
	if (rt.storage == STORAGE_NATIVE && rt_find_exec("cp",
	    RT_DEFAULT_PATH, st_cp, sizeof(st_cp)) == -1)
		return rt_seterr(err, "storage native: cp not found in %s",
		    RT_DEFAULT_PATH);
	return 0;
}

static int
st_mount_overlay(const char *dir, const char *lower, struct rt_err *err)
{
	char path[PATH_MAX], opts[RT_OPTS_MAX];
	int n;

	if (rt.info.storage_error[0] != '\0')
		return rt_seterr(err, "%s", rt.info.storage_error);
	if (strpbrk(lower, ",:\\") != NULL)
		return rt_seterr(err, "image rootfs path %s has ',' or ':'",
		    lower);
	n = snprintf(opts, sizeof(opts),
	    "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir);
	if (n < 0 || (size_t)n >= sizeof(opts))
		return rt_seterr(err, "overlay options longer than %d bytes",
		    RT_OPTS_MAX);
	if (rt_path(path, sizeof(path), "%s/upper", dir) == -1 ||
	    mkdir(path, 0755) == -1 ||
	    rt_path(path, sizeof(path), "%s/work", dir) == -1 ||
	    mkdir(path, 0700) == -1)
		return rt_seterrno(err, "mkdir %s", path);
	if (rt_path(path, sizeof(path), "%s/rootfs", dir) == -1)
		return rt_seterr(err, "path too long");
	if (mount("overlay", path, "overlay", MS_NODEV, opts) == -1)
		return rt_seterrno(err, "mount overlay on %s", path);
	return 0;
}

/*
 * cp -a: modes, owners, timestamps, hard links, symlinks (never
 * followed), device nodes, fifos; xattrs where the file system keeps
 * them; reflinks where it can share blocks (btrfs, xfs).  No shell, and
 * the source is our own unpack of the image, never a container's tree.
 */
static int
st_copy_image(const char *dir, const char *lower, struct rt_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	const char *argv[8];
	struct rt_run r = { 0 };
	int ret;

	if (rt_path(src, sizeof(src), "%s/.", lower) == -1 ||
	    rt_path(dst, sizeof(dst), "%s/rootfs", dir) == -1)
		return rt_seterr(err, "path too long");
	argv[0] = st_cp;
	argv[1] = "-a";
	argv[2] = "--reflink=auto";
	argv[3] = "--";
	argv[4] = src;
	argv[5] = dst;
	argv[6] = NULL;
	r.argv = argv;
	r.timeout_ms = ST_COPY_TIMEOUT_MS;
	ret = rt_run_ok(&r, err);
	rt_run_free(&r);
	if (ret == -1)
		return -1;
	/*
	 * nodev, as the overlay is mounted: a device node shipped in the
	 * image must not open a host device, whatever the devices cgroup
	 * says.  A bind mount on itself, removed by st_rootfs_release.
	 */
	if (mount(dst, dst, NULL, MS_BIND, NULL) == -1)
		return rt_seterrno(err, "bind mount %s", dst);
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_NODEV, NULL) == -1)
		return rt_seterrno(err, "remount %s nodev", dst);
	return 0;
}

/* dir/rootfs exists and is empty; make it the container's root */
int
st_rootfs_create(const char *dir, const char *lower, struct rt_err *err)
{
	if (rt.storage == STORAGE_NATIVE)
		return st_copy_image(dir, lower, err);
	return st_mount_overlay(dir, lower, err);
}

/*
 * Unmount whatever driver made it: the driver recorded at creation may
 * differ from today's, and an overlay left mounted would make the
 * removal fail (rt_rm_rf never crosses into it).
 */
int
st_rootfs_release(const char *dir, struct rt_err *err)
{
	char path[PATH_MAX];

	if (rt_path(path, sizeof(path), "%s/rootfs", dir) == 0 &&
	    rt_umount(path) == -1)
		return rt_seterrno(err, "unmount %s", path);
	return 0;
}
