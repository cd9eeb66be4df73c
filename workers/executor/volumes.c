/*
 * A pod's volumes on the host (issue 14), in the kubelet's layout:
 *
 *	rootDir/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>
 *	rootDir/pods/<uid>/volumes/kubernetes.io~host-path/<name>
 *	rootDir/pods/<uid>/volume-subpaths/<volume>/<container>/<index>
 *
 * Every path the runtime is given as a mount source is one of these:
 * directories and files the executor created itself, under a directory
 * only root can write.  What a pod controls -- the contents of an
 * emptyDir, of a writable hostPath, a subPath -- is never resolved as a
 * path string by root.  It is walked one component at a time with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from a descriptor of the
 * volume's root, and the descriptor that walk ends on is bind-mounted
 * (through /proc/self/fd/N, which names the open file, not a path) onto
 * the executor's own mount point.  A symlink swapped in by a container
 * between the check and the mount changes nothing: the walk refuses
 * symlinks, and the mount takes the object already opened
 * (CVE-2021-25741 was the kubelet re-resolving such a path).
 *
 * A hostPath's allowed prefix (allowedHostPaths) is the node admin's and
 * is opened as configured, symlinks and all (/var/run -> /run is
 * common); only the part of the pod's path below it is walked the safe
 * way.  The kubelet os.Stat()s the whole path and lets the runtime
 * resolve it again; here the type is checked on the very descriptor
 * that is mounted.
 *
 * The mounts are made in the executor's mount namespace, the host's (the
 * executor unshares none), so the runtime, started by the executor, sees
 * them as bind sources.  volumes/ and volume-subpaths/ are private mounts
 * and every bind is made private after it is made, so nothing propagates
 * to or from other namespaces.  They are undone by vol_teardown() when the
 * pod's directory goes (infra.c's pod_release, also after a restart: a
 * sandbox found unwanted is removed the same way), and the directory is
 * removed only when nothing is mounted under it any more: the removal
 * does not cross into another file system, but a bind mount of a
 * directory on the same file system would look like any directory.
 */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hostfacts.h"
#include "log.h"
#include "policy.h"
#include "rt_private.h"
#include "volumes.h"

#define EMPTY_DIR_PLUGIN	"kubernetes.io~empty-dir"
#define HOST_PATH_PLUGIN	"kubernetes.io~host-path"
#define VOL_MEMINFO_MAX		(64 * 1024)
#define VOL_TEARDOWN_PASSES	4

/* ---- paths ---- */

static int
pod_volumes_dir(char *buf, size_t len, const char *uid)
{
	return rt_path(buf, len, "%s/pods/%s/volumes", rt.root_dir, uid);
}

int
vol_dir(char *buf, size_t len, const char *uid, const struct volume *v)
{
	return rt_path(buf, len, "%s/pods/%s/volumes/%s/%s", rt.root_dir, uid,
	    v->kind == VOL_HOST_PATH ? HOST_PATH_PLUGIN : EMPTY_DIR_PLUGIN,
	    v->name);
}

static int
subpath_dir(char *buf, size_t len, const char *uid, const char *vol,
    const char *ctr)
{
	return rt_path(buf, len, "%s/pods/%s/volume-subpaths/%s/%s",
	    rt.root_dir, uid, vol, ctr);
}

/* ---- the safe walk ---- */

static int
openat2_beneath(int dirfd, const char *name, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	/* no O_NOFOLLOW: with O_PATH it would open a last symlink itself
	   instead of refusing it (openat2(2), RESOLVE_NO_SYMLINKS) */
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

/*
 * Walk rel (relative, no "..": pod.c's rules, checked again here) from
 * rootfd, one component at a time, to an O_PATH descriptor of what it
 * names.  mkdirs: make missing directories on the way (0755, as the
 * kubelet's MkdirAll; the last too when last_dir).  -1 with errno.
 */
int
vol_walk(int rootfd, const char *rel, int mkdirs, int last_dir)
{
	char comp[NAME_MAX + 1];
	const char *p = rel, *e;
	int fd, next, last;
	size_t n;

	if ((fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return fd;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n > NAME_MAX || (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			errno = n > NAME_MAX ? ENAMETOOLONG : EPERM;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		last = e[strspn(e, "/")] == '\0';
		next = openat2_beneath(fd, comp, O_PATH);
		if (next == -1 && errno == ENOENT && mkdirs &&
		    (!last || last_dir)) {
			if (mkdirat(fd, comp, 0755) == -1 && errno != EEXIST) {
				close(fd);
				return -1;
			}
			next = openat2_beneath(fd, comp, O_PATH);
		}
		close(fd);
		if (next == -1)
			return -1;
		fd = next;
		p = e;
	}
}

/*
 * Bind-mount what fd is onto target: the object, never a path again.
 * rec: with the mounts below it, as the runtime's rbind of a hostPath
 * would have them (a subPath is a plain bind, as the kubelet's).
 */
static int
bind_fd(int fd, const char *target, int rec)
{
	char src[64];

	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (mount(src, target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) == -1)
		return -1;
	/*
	 * A bind of a shared mount joins its peer group whatever the parent
	 * is: made private, so that unmounting it (and what is below it) at
	 * teardown never propagates back to the host's mounts
	 */
	if (mount(NULL, target, NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW);
		return -1;
	}
	return 0;
}

/*
 * The directory the pod's mounts go under, bound onto itself and made
 * private: mounts made below it propagate to no other namespace (rootDir
 * is usually on the shared "/"), so that none outlives its teardown there.
 */
static int
private_dir(const char *dir)
{
	if (rt_mkdir_p(dir, 0755) == -1)
		return -1;
	if (rt_is_mounted(dir))
		return 0;
	if (mount(dir, dir, NULL, MS_BIND, NULL) == -1)
		return -1;
	if (mount(NULL, dir, NULL, MS_PRIVATE, NULL) == -1) {
		umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
		return -1;
	}
	return 0;
}

/* an empty mount point of the kind the source is: directory or file */
static int
make_mount_point(const char *path, int is_dir)
{
	int fd;

	if (is_dir)
		return mkdir(path, 0755) == -1 && errno != EEXIST ? -1 : 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* a last run's mount point of the other kind goes (it is empty) */
static int
clear_mount_point(const char *path, int is_dir)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode) == (is_dir != 0))
		return 0;
	return S_ISDIR(st.st_mode) ? rmdir(path) : unlink(path);
}

/* ---- emptyDir ---- */

/* the pod's memory limit as the kubelet's pod cgroup has it; -1 none */
static int64_t
pod_memory_limit(const struct pod *p)
{
	int64_t sum = 0, init_max = 0, l;
	uint32_t i;

	for (i = 0; i < p->n_containers; i++) {
		if ((l = p->containers[i].res.mem_limit_bytes) <= 0)
			return -1;
		sum = pod_sat_add(sum, l);
	}
	for (i = 0; i < p->n_init_containers; i++) {
		if ((l = p->init_containers[i].res.mem_limit_bytes) <= 0)
			return -1;
		if (pod_is_sidecar(&p->init_containers[i]))
			sum = pod_sat_add(sum, l);
		else if (l > init_max)
			init_max = l;
	}
	return sum > init_max ? sum : init_max;
}

/*
 * calculateEmptyDirMemorySize: node allocatable memory (here MemTotal:
 * agentd reserves nothing for the system), lowered to the pod's memory
 * limit, lowered to sizeLimit; each only when positive and smaller.
 */
int64_t
vol_tmpfs_size(const struct pod *p, const struct volume *v, int64_t node_mem)
{
	int64_t size = node_mem, l;

	if ((l = pod_memory_limit(p)) > 0 && (size <= 0 || l <= size))
		size = l;
	if (v->size_limit > 0 && (size <= 0 || v->size_limit <= size))
		size = v->size_limit;
	return size;
}

static int64_t
node_memory(void)
{
	uint64_t bytes = 0;
	char *text = NULL;

	if (rt_read_file("/proc/meminfo", VOL_MEMINFO_MAX, &text, NULL) == -1 ||
	    hostfacts_memtotal(text, &bytes) == -1 || bytes > INT64_MAX)
		bytes = 0;
	free(text);
	return (int64_t)bytes;
}

static int
empty_dir_setup(const struct pod *p, const struct volume *v,
    struct rt_err *err)
{
	char dir[PATH_MAX], opts[64];
	int64_t size;

	if (vol_dir(dir, sizeof(dir), p->uid, v) == -1)
		return rt_seterr(err, "volume %s: path too long", v->name);
	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		return rt_seterrno(err, "mkdir %s", dir);
	/* defaultPerm 0777, whatever the umask: any user may write */
	if (chmod(dir, 0777) == -1)
		return rt_seterrno(err, "chmod %s", dir);
	if (v->medium != MEDIUM_MEMORY || rt_is_mounted(dir))
		return 0;	/* made once: a replacement sandbox keeps it */
	size = vol_tmpfs_size(p, v, node_memory());
	if (size > 0)
		snprintf(opts, sizeof(opts), "mode=0777,size=%lld",
		    (long long)size);
	else
		snprintf(opts, sizeof(opts), "mode=0777");
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) == -1)
		return rt_seterrno(err, "mount tmpfs on %s", dir);
	return 0;
}

/* ---- hostPath ---- */

static int
type_matches(uint8_t type, mode_t mode)
{
	switch (type) {
	case HPT_UNSET:
		return 1;
	case HPT_DIRECTORY_OR_CREATE:
	case HPT_DIRECTORY:
		return S_ISDIR(mode);
	case HPT_FILE_OR_CREATE:
	case HPT_FILE:
		return S_ISREG(mode);
	case HPT_SOCKET:
		return S_ISSOCK(mode);
	case HPT_CHAR_DEVICE:
		return S_ISCHR(mode);
	case HPT_BLOCK_DEVICE:
		return S_ISBLK(mode);
	}
	return 0;
}

static const char *
type_word(uint8_t type)
{
	switch (type) {
	case HPT_DIRECTORY_OR_CREATE:
	case HPT_DIRECTORY:
		return "a directory";
	case HPT_FILE_OR_CREATE:
	case HPT_FILE:
		return "a file";
	case HPT_SOCKET:
		return "a socket";
	case HPT_CHAR_DEVICE:
		return "a character device";
	case HPT_BLOCK_DEVICE:
		return "a block device";
	}
	return "anything";
}

/* FileOrCreate: the parents as DirectoryOrCreate, then an empty file */
static int
create_file_beneath(int prefd, const char *rel)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(rel, '/'), *base = rel;
	int dfd, fd;

	parent[0] = '\0';
	if (slash != NULL) {
		if ((size_t)(slash - rel) >= sizeof(parent)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(parent, rel, (size_t)(slash - rel));
		parent[slash - rel] = '\0';
		base = slash + 1;
	}
	if ((dfd = vol_walk(prefd, parent, 1, 1)) == -1)
		return -1;
	/* O_PATH descriptors cannot create: reopen the directory */
	fd = openat2_beneath(dfd, ".", O_RDONLY | O_DIRECTORY);
	close(dfd);
	if (fd == -1)
		return -1;
	dfd = openat(fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	close(fd);
	if (dfd == -1)
		return errno == EEXIST ? 0 : -1;
	close(dfd);
	return 0;
}

/*
 * Open the host path: the admin's prefix as configured, the rest beneath
 * it.  The type is checked on the descriptor (fstat), which is what gets
 * mounted.
 */
static int
host_path_open(const struct volume *v, const struct host_path_rule *r,
    int *out, struct stat *st, struct rt_err *err)
{
	const char *prefix = r->prefix;
	const char *rel = v->host_path + strlen(prefix);
	int prefd, fd, create;

	*out = -1;
	while (*rel == '/')
		rel++;
	/* a prefix may name the file itself (/dev/null) */
	if ((prefd = open(prefix[0] ? prefix : "/", O_PATH | O_CLOEXEC |
	    (*rel != '\0' ? O_DIRECTORY : 0))) == -1)
		return rt_seterrno(err, "allowedHostPaths prefix %s", prefix);
	/* the admin said read-only: nothing is made there either */
	create = v->host_path_type == HPT_DIRECTORY_OR_CREATE && !r->read_only;
	fd = vol_walk(prefd, rel, create, create);
	if (fd == -1 && errno == ENOENT && !r->read_only &&
	    v->host_path_type == HPT_FILE_OR_CREATE) {
		if (create_file_beneath(prefd, rel) == 0)
			fd = vol_walk(prefd, rel, 0, 0);
	}
	close(prefd);
	if (fd == -1) {
		if (errno == ELOOP || errno == EXDEV)
			return rt_seterr(err, "hostPath %s: a symbolic link or "
			    "a path leaving %s on the way: refused",
			    v->host_path, prefix);
		if (errno == ENOENT && r->read_only &&
		    (v->host_path_type == HPT_DIRECTORY_OR_CREATE ||
		    v->host_path_type == HPT_FILE_OR_CREATE))
			return rt_seterr(err, "hostPath %s: missing, and not "
			    "made under the readOnly allowedHostPaths prefix %s",
			    v->host_path, prefix[0] ? prefix : "/");
		return rt_seterrno(err, "hostPath %s", v->host_path);
	}
	if (fstat(fd, st) == -1) {
		close(fd);
		return rt_seterrno(err, "stat hostPath %s", v->host_path);
	}
	if (!type_matches(v->host_path_type, st->st_mode)) {
		close(fd);
		return rt_seterr(err, "hostPath type check failed: %s is not "
		    "%s (type %s)", v->host_path,
		    type_word(v->host_path_type),
		    pod_host_path_type_name(v->host_path_type));
	}
	*out = fd;
	return 0;
}

/*
 * Under a readOnly prefix the bind is read-only with every mount below
 * it: the runtime's "ro" on its rbind covers the top mount only, and a
 * mount below the host path would stay writable in the container.
 * Fails closed where the kernel lacks mount_setattr (before 5.12).
 */
static int
read_only_tree(const char *dir)
{
	struct mount_attr a;

	memset(&a, 0, sizeof(a));
	a.attr_set = MOUNT_ATTR_RDONLY;
	return mount_setattr(AT_FDCWD, dir, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW,
	    &a, sizeof(a));
}

static int
host_path_setup(const struct pod *p, const struct volume *v,
    struct rt_err *err)
{
	const struct host_path_rule *r;
	char dir[PATH_MAX];
	struct stat st;
	int fd, ret;

	/* policy_check() admitted the pod: this is the same match */
	if (rt.policy == NULL || (r = policy_host_path_match(rt.policy,
	    v->host_path)) == NULL)
		return rt_seterr(err, "hostPath %s: not under any of "
		    "allowedHostPaths", v->host_path);
	if (vol_dir(dir, sizeof(dir), p->uid, v) == -1)
		return rt_seterr(err, "volume %s: path too long", v->name);
	if (rt_is_mounted(dir))
		return 0;	/* a replacement sandbox: mounted already */
	if (host_path_open(v, r, &fd, &st, err) == -1)
		return -1;
	ret = 0;
	if (make_mount_point(dir, S_ISDIR(st.st_mode)) == -1)
		ret = rt_seterrno(err, "mount point %s", dir);
	else if (bind_fd(fd, dir, 1) == -1)
		ret = rt_seterrno(err, "bind hostPath %s", v->host_path);
	else if (r->read_only && read_only_tree(dir) == -1) {
		ret = rt_seterrno(err, "read-only hostPath %s", v->host_path);
		umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
	}
	close(fd);
	return ret;
}

/* ---- the pod's volumes ---- */

/* two jobs of one pod must not both mount a volume: pods/<uid> locked */
static int
pod_lock(const char *uid, struct rt_err *err)
{
	char dir[PATH_MAX];
	int fd;

	if (rt_path(dir, sizeof(dir), "%s/pods/%s", rt.root_dir, uid) == -1)
		return rt_seterr(err, "pod directory path too long");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return rt_seterrno(err, "open %s", dir);
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			close(fd);
			return rt_seterrno(err, "lock %s", dir);
		}
	return fd;
}

static int
volume_dirs(const struct pod *p, struct rt_err *err)
{
	char dir[PATH_MAX], sub[PATH_MAX];

	if (pod_volumes_dir(dir, sizeof(dir), p->uid) == -1)
		return rt_seterr(err, "volume path too long");
	if (private_dir(dir) == -1)
		return rt_seterrno(err, "private mount %s", dir);
	if (rt_path(sub, sizeof(sub), "%s/" EMPTY_DIR_PLUGIN, dir) == -1 ||
	    rt_mkdir_p(sub, 0755) == -1)
		return rt_seterrno(err, "mkdir %s", sub);
	if (rt_path(sub, sizeof(sub), "%s/" HOST_PATH_PLUGIN, dir) == -1 ||
	    rt_mkdir_p(sub, 0755) == -1)
		return rt_seterrno(err, "mkdir %s", sub);
	if (rt_path(sub, sizeof(sub), "%s/pods/%s/volume-subpaths",
	    rt.root_dir, p->uid) == -1 || private_dir(sub) == -1)
		return rt_seterrno(err, "private mount %s", sub);
	return 0;
}

int
vol_setup(const struct pod *p, struct rt_err *err)
{
	uint32_t i;
	int lockfd, ret;

	if (p->n_volumes == 0)
		return 0;
	if ((lockfd = pod_lock(p->uid, err)) == -1)
		return -1;
	ret = volume_dirs(p, err);
	for (i = 0; i < p->n_volumes && ret == 0; i++) {
		if (p->volumes[i].kind == VOL_HOST_PATH)
			ret = host_path_setup(p, &p->volumes[i], err);
		else
			ret = empty_dir_setup(p, &p->volumes[i], err);
		if (ret == -1)
			rt_wrap(err, "volume %s", p->volumes[i].name);
	}
	close(lockfd);
	return ret;
}

/*
 * The subPath of mount j of container c: walked beneath the volume's root
 * (missing directories made, as the kubelet's doSafeMakeDir), and the
 * result bind-mounted onto volume-subpaths/<volume>/<container>/<j>.
 */
static int
subpath_mount(const struct pod *p, const struct container_spec *c,
    uint32_t j, const char *voldir, char *out, size_t outlen,
    struct rt_err *err)
{
	const struct volume_mount *m = &c->mounts[j];
	char dir[PATH_MAX], top[PATH_MAX];
	struct stat st;
	int rootfd, fd, ret = 0;

	if (pod_sub_path_problem(m->sub_path) != NULL)
		return rt_seterr(err, "subPath: not a relative path inside "
		    "the volume");
	if (subpath_dir(dir, sizeof(dir), p->uid, m->name, c->name) == -1 ||
	    rt_path(out, outlen, "%s/%u", dir, j) == -1)
		return rt_seterr(err, "subPath mount point: path too long");
	/* made private with the sandbox (volume_dirs): never here, where
	   two jobs could stack two of them */
	if (rt_path(top, sizeof(top), "%s/pods/%s/volume-subpaths",
	    rt.root_dir, p->uid) == -1 || !rt_is_mounted(top))
		return rt_seterr(err, "no private mount for subPaths: the "
		    "sandbox has not set the volumes up");
	if (rt_mkdir_p(dir, 0755) == -1)
		return rt_seterrno(err, "mkdir %s", dir);
	/* the last run's mount goes: the subPath may name something else */
	if (rt_umount(out) == -1)
		return rt_seterrno(err, "unmount %s", out);
	if ((rootfd = open(voldir, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return rt_seterrno(err, "open volume %s", m->name);
	/* a read-only mount writes nothing, not even a missing directory */
	fd = vol_walk(rootfd, m->sub_path, !m->read_only, !m->read_only);
	close(rootfd);
	if (fd == -1) {
		if (errno == ELOOP || errno == EXDEV)
			return rt_seterr(err, "subPath %s: a symbolic link or "
			    "a path leaving the volume on the way: refused",
			    m->sub_path);
		return rt_seterrno(err, "subPath %s", m->sub_path);
	}
	if (fstat(fd, &st) == -1)
		ret = rt_seterrno(err, "stat subPath %s", m->sub_path);
	else if (clear_mount_point(out, S_ISDIR(st.st_mode)) == -1)
		ret = rt_seterrno(err, "clear %s", out);
	else if (make_mount_point(out, S_ISDIR(st.st_mode)) == -1)
		ret = rt_seterrno(err, "mount point %s", out);
	else if (bind_fd(fd, out, 0) == -1)
		ret = rt_seterrno(err, "bind subPath %s", m->sub_path);
	close(fd);
	return ret;
}

int
vol_mount_sources(const struct pod *p, const struct container_spec *c,
    char **src, struct rt_err *err)
{
	const struct volume *v;
	char dir[PATH_MAX], path[PATH_MAX];
	uint32_t j;

	for (j = 0; j < c->n_mounts; j++) {
		if ((v = pod_volume(p, c->mounts[j].name)) == NULL)
			return rt_seterr(err, "volumeMounts[%u]: no volume %s",
			    j, c->mounts[j].name);
		if (vol_dir(dir, sizeof(dir), p->uid, v) == -1)
			return rt_seterr(err, "volume path too long");
		if (c->mounts[j].sub_path != NULL) {
			if (subpath_mount(p, c, j, dir, path, sizeof(path),
			    err) == -1)
				return rt_wrap(err, "volumeMounts[%u]", j);
		} else
			snprintf(path, sizeof(path), "%s", dir);
		if ((src[j] = strdup(path)) == NULL)
			return rt_seterr(err, "out of memory");
	}
	return 0;
}

/* one mount below a pod's directory, lazily (vol_teardown) */
static void
unmount_one(const char *mnt, void *uid)
{
	if (umount2(mnt, UMOUNT_NOFOLLOW | MNT_DETACH) == -1 &&
	    errno != EINVAL && errno != ENOENT)
		log_warn("pod %s: unmount %s", (const char *)uid, mnt);
}

/*
 * Unmount everything under pods/<uid>, a few passes for what a pass
 * uncovers.  0 when nothing stays mounted.  In mountinfo's order,
 * lazily: detaching a parent (the private volumes/ bind) takes what is
 * below it along, and what went with it fails EINVAL, which is fine.
 */
int
vol_teardown(const char *uid)
{
	char dir[PATH_MAX];
	int pass, left = 0;

	if (rt_path(dir, sizeof(dir), "%s/pods/%s", rt.root_dir, uid) == -1)
		return -1;
	for (pass = 0; pass < VOL_TEARDOWN_PASSES; pass++) {
		if ((left = rt_mounts_under(dir)) <= 0)
			return left == 0 ? 0 : -1;
		if (rt_mounts_each(dir, 1, unmount_one, (void *)uid) == -1)
			return -1;
	}
	if ((left = rt_mounts_under(dir)) > 0)
		log_warnx("pod %s: %d mounts stay under %s", uid, left, dir);
	return left == 0 ? 0 : -1;
}
