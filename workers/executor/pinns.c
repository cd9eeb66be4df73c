/*
 * Pinned pod namespaces: the sandbox of a pod that does not share its PID
 * namespace is no process at all.  A short-lived child unshares the pod's
 * network, IPC and UTS namespaces and sets the pod's hostname; we bind-mount
 * its /proc/<pid>/ns/{net,ipc,uts} onto empty files in runDir/ns/<id>/ (what
 * `ip netns add` and CRI-O's pinns do) and let it exit.  The mounts keep the
 * namespaces alive; containers join them by path.
 *
 * runDir/ns is a mount of its own, made unbindable (and so private): pins
 * are not propagated into the host's peer mount namespaces, and a later
 * recursive bind of an ancestor (a hostPath of /run, say) cannot copy the
 * pins of every pod into a container.  It is unmounted when the last pin
 * goes, so an idle node has nothing mounted under runDir.
 *
 * Every path used here is below runDir (root-owned, 0700) and names only
 * what we created; /proc/<pid> is our own unreaped child, so its pid cannot
 * have been recycled.  The executor never setns(2)es itself anywhere.
 */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_private.h"
#include "sysctl.h"

/* "/proc/sys/" and a name */
#define PIN_SYSCTL_PATH	(sizeof("/proc/sys/") + SYSCTL_MAX_NAME)

/* a sysctl the holder sets, made ready before the fork */
struct pin_sysctl {
	char		 path[PIN_SYSCTL_PATH];
	const char	*value;
	size_t		 len;
};

/* what the holder reports: an errno (-1: ready) and the sysctl it was
   setting (-1: the unshare or the hostname) */
struct pin_status {
	int		 err;
	int		 sysctl;
};

#ifndef NSFS_MAGIC
#define NSFS_MAGIC		0x6e736673
#endif

static const struct {
	const char	*name;
	int		 flag;
} pin_kinds[PIN_NKINDS] = {
	{ "net", CLONE_NEWNET },
	{ "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },
};

/* network and UTS go together, as the kubelet's hostNetwork does */
int
pin_flags(const struct pod *p)
{
	int flags = 0;

	if (!p->host_network)
		flags |= CLONE_NEWNET | CLONE_NEWUTS;
	if (!p->host_ipc)
		flags |= CLONE_NEWIPC;
	return flags;
}

int
pin_wanted(int flags, int k)
{
	return k >= 0 && k < PIN_NKINDS && (flags & pin_kinds[k].flag) != 0;
}

/*
 * runDir/ns with runDir resolved: mountinfo names mount points by their
 * real path, and a runDir below a symlink (/var/run) must not make us
 * believe runDir/ns is unmounted and stack a new mount over the pins.
 */
static int
pin_base(char *buf, size_t len)
{
	char real[PATH_MAX];

	if (realpath(rt.run_dir, real) == NULL)
		return -1;
	return rt_path(buf, len, "%s/ns", real);
}

int
pin_path(char *buf, size_t len, const char *id, int k)
{
	char base[PATH_MAX];

	if (k >= PIN_NKINDS || pin_base(base, sizeof(base)) == -1)
		return -1;
	if (k < 0)
		return rt_path(buf, len, "%s/%s", base, id);
	return rt_path(buf, len, "%s/%s/%s", base, id, pin_kinds[k].name);
}

/* create and remove are serialised across processes (job children) */
static int
pin_lock(void)
{
	int fd;

	if ((fd = open(rt.run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void
pin_unlock(int fd)
{
	if (fd != -1)
		close(fd);	/* drops the flock */
}

static int
pin_base_mount(struct rt_err *err)
{
	char base[PATH_MAX];

	if (pin_base(base, sizeof(base)) == -1)
		return rt_seterrno(err, "runDir %s", rt.run_dir);
	if (mkdir(base, 0711) == -1 && errno != EEXIST)
		return rt_seterrno(err, "mkdir %s", base);
	if (rt_is_mounted(base))
		return 0;
	if (mount(base, base, NULL, MS_BIND, NULL) == -1)
		return rt_seterrno(err, "bind %s", base);
	if (mount(NULL, base, NULL, MS_UNBINDABLE, NULL) == -1) {
		rt_seterrno(err, "make %s unbindable", base);
		rt_umount(base);
		return -1;
	}
	return 0;
}

/* the last pin gone: nothing stays mounted under runDir */
static void
pin_base_release(void)
{
	char base[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int busy = 0;

	if (pin_base(base, sizeof(base)) == -1 ||
	    (d = opendir(base)) == NULL)
		return;
	while (!busy && (de = readdir(d)) != NULL)
		busy = strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	if (busy)
		return;
	if (rt_umount(base) == 0)
		rmdir(base);
}

/*
 * A sysctl of the holder's new namespaces: /proc/sys/net and the IPC
 * sysctls resolve to the namespaces of the process that writes them, so
 * the executor's own (the host's) are never touched.  The path is the
 * kernel's proc (the executor's mount namespace), not a container's.
 */
static int
pin_set_sysctl(const struct pin_sysctl *s)
{
	ssize_t n;
	int fd, e = 0;

	if ((fd = open(s->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno;
	while ((n = write(fd, s->value, s->len)) == -1 && errno == EINTR)
		;
	if (n == -1)
		e = errno;
	else if ((size_t)n != s->len)
		e = EIO;
	close(fd);
	return e;
}

/*
 * The holder: unshare, set the hostname and the sysctls, report, then
 * wait for the parent to have pinned the namespaces (EOF on hold).
 * Async-signal-safe calls only: the executor may have other state we
 * must not touch after fork.
 */
static void __attribute__((noreturn))
pin_child(int flags, const char *hostname, const struct pin_sysctl *sc,
    uint32_t n_sc, int ready, int hold)
{
	struct pin_status st = { 0, -1 };
	uint32_t i;
	char c;

	if (unshare(flags) == -1)
		st.err = errno;
	else if ((flags & CLONE_NEWUTS) && hostname != NULL &&
	    sethostname(hostname, strlen(hostname)) == -1)
		st.err = errno;
	for (i = 0; st.err == 0 && i < n_sc; i++)
		if ((st.err = pin_set_sysctl(&sc[i])) != 0)
			st.sysctl = (int)i;
	if (st.err == 0)
		st.err = -1;	/* "ready": no errno is negative */
	while (write(ready, &st, sizeof(st)) == -1 && errno == EINTR)
		;
	while (read(hold, &c, 1) == -1 && errno == EINTR)
		;
	_exit(st.err == -1 ? 0 : 1);
}

/* the paths and values, before the fork: the holder only writes */
static struct pin_sysctl *
pin_sysctls(const struct kv *sysctls, uint32_t n, struct rt_err *err)
{
	struct pin_sysctl *sc;
	uint32_t i;

	if (n == 0)
		return NULL;
	if (n > POD_MAX_SYSCTLS || (sc = calloc(n, sizeof(*sc))) == NULL) {
		rt_seterr(err, "sysctls: too many or out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (sysctls[i].key == NULL || sysctl_proc_path(sysctls[i].key,
		    sc[i].path, sizeof(sc[i].path)) == -1) {
			rt_seterr(err, "sysctl %u: no name", i);
			free(sc);
			return NULL;
		}
		sc[i].value = sysctls[i].value != NULL ? sysctls[i].value : "";
		sc[i].len = strlen(sc[i].value);
	}
	return sc;
}

static void
pin_reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

/*
 * Inode of a namespace file; 0 if it is not one.  A pin is never followed
 * through a symlink; the /proc/<pid>/ns files are the kernel's own magic links
 * (of our unreaped child) and must be (follow).
 */
static ino_t
ns_inode(const char *path, int follow)
{
	struct statfs sf;
	struct stat st;
	ino_t ino = 0;
	int fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC | (follow ? 0 :
	    O_NOFOLLOW))) == -1)
		return 0;
	if (fstatfs(fd, &sf) == 0 && sf.f_type == NSFS_MAGIC &&
	    fstat(fd, &st) == 0)
		ino = st.st_ino;
	close(fd);
	return ino;
}

static int
pin_bind(pid_t pid, const char *id, int k, uint64_t *ino, struct rt_err *err)
{
	char src[64], dst[PATH_MAX];
	ino_t want;
	int fd;

	snprintf(src, sizeof(src), "/proc/%d/ns/%s", (int)pid,
	    pin_kinds[k].name);
	if (pin_path(dst, sizeof(dst), id, k) == -1)
		return rt_seterr(err, "runDir: path too long");
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0444)) == -1)
		return rt_seterrno(err, "create %s", dst);
	close(fd);
	if ((want = ns_inode(src, 1)) == 0)
		return rt_seterr(err, "%s: not a namespace", src);
	if (mount(src, dst, NULL, MS_BIND, NULL) == -1)
		return rt_seterrno(err, "pin %s on %s", src, dst);
	/* what is mounted there is the child's namespace, nothing else */
	if (ns_inode(dst, 0) != want)
		return rt_seterr(err, "%s: pinned the wrong namespace", dst);
	*ino = (uint64_t)want;
	return 0;
}

static int
pin_unpin(const char *id, struct rt_err *err)
{
	char path[PATH_MAX];
	int k, ret = 0;

	for (k = 0; k < PIN_NKINDS; k++) {
		if (pin_path(path, sizeof(path), id, k) == -1)
			continue;
		if (rt_umount(path) == -1)
			ret = rt_seterrno(err, "unmount %s", path);
		else if (unlink(path) == -1 && errno != ENOENT)
			ret = rt_seterrno(err, "remove %s", path);
	}
	if (ret == 0 && pin_path(path, sizeof(path), id, -1) == 0 &&
	    rmdir(path) == -1 && errno != ENOENT)
		ret = rt_seterrno(err, "remove %s", path);
	return ret;
}

int
pin_create(const char *id, int flags, const char *hostname,
    const struct kv *sysctls, uint32_t n_sysctls, uint64_t ino[PIN_NKINDS],
    struct rt_err *err)
{
	char dir[PATH_MAX];
	struct pin_sysctl *sc = NULL;
	struct pin_status st = { 0, -1 };
	int ready[2] = { -1, -1 }, hold[2] = { -1, -1 }, lock, k;
	int ret = -1;
	ssize_t n;
	pid_t pid = -1;

	memset(ino, 0, PIN_NKINDS * sizeof(ino[0]));
	if (!rt_valid_id(id) || pin_path(dir, sizeof(dir), id, -1) == -1)
		return rt_seterr(err, "sandbox id \"%s\": not a valid id",
		    id ? id : "");
	if ((lock = pin_lock()) == -1)
		return rt_seterrno(err, "lock %s", rt.run_dir);
	if (pin_base_mount(err) == -1)
		goto out;
	if (mkdir(dir, 0711) == -1) {
		rt_seterrno(err, "mkdir %s", dir);
		goto out;
	}
	if (flags == 0) {	/* hostNetwork and hostIPC: nothing to hold */
		/* the policy refuses namespaced sysctls in host namespaces */
		ret = n_sysctls == 0 ? 0 : rt_seterr(err, "sysctls without "
		    "namespaces of the pod's own");
		goto out;
	}
	if (n_sysctls > 0 && (sc = pin_sysctls(sysctls, n_sysctls,
	    err)) == NULL)
		goto out;
	if (pipe2(ready, O_CLOEXEC) == -1 || pipe2(hold, O_CLOEXEC) == -1) {
		rt_seterrno(err, "pipe");
		goto out;
	}
	if ((pid = fork()) == -1) {
		rt_seterrno(err, "fork");
		goto out;
	}
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		pin_child(flags, hostname, sc, n_sysctls, ready[1], hold[0]);
	}
	close(ready[1]);
	close(hold[0]);
	ready[1] = hold[0] = -1;
	while ((n = read(ready[0], &st, sizeof(st))) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(st)) {
		rt_seterr(err, "namespace holder died");
		goto out;
	}
	if (st.err != -1) {
		errno = st.err;
		if (st.sysctl >= 0 && (uint32_t)st.sysctl < n_sysctls)
			rt_seterrno(err, "set sysctl %s=%s "
			    "(spec.securityContext.sysctls[%d])",
			    sysctls[st.sysctl].key, sc[st.sysctl].value,
			    st.sysctl);
		else
			rt_seterrno(err, "unshare the pod's namespaces");
		goto out;
	}
	for (k = 0; k < PIN_NKINDS; k++)
		if (pin_wanted(flags, k) && pin_bind(pid, id, k, &ino[k],
		    err) == -1)
			goto out;
	ret = 0;
out:
	if (hold[1] != -1)
		close(hold[1]);		/* the holder may go now */
	if (pid > 0)
		pin_reap(pid);
	if (ready[0] != -1)
		close(ready[0]);
	if (ready[1] != -1)
		close(ready[1]);
	if (hold[0] != -1)
		close(hold[0]);
	if (ret == -1) {
		pin_unpin(id, NULL);
		pin_base_release();
	}
	free(sc);
	pin_unlock(lock);
	return ret;
}

/* the pin of kind k is in place and holds the namespace recorded (ino) */
int
pin_held(const char *id, int k, uint64_t ino)
{
	char path[PATH_MAX];
	ino_t have;

	if (pin_path(path, sizeof(path), id, k) == -1 ||
	    (have = ns_inode(path, 0)) == 0)
		return 0;
	return ino == 0 || (uint64_t)have == ino;
}

int
pin_dir_exists(const char *id)
{
	char path[PATH_MAX];
	struct stat st;

	return pin_path(path, sizeof(path), id, -1) == 0 &&
	    lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* unmount and remove every pin of id; idempotent */
int
pin_remove(const char *id, struct rt_err *err)
{
	int lock, ret;

	if (!rt_valid_id(id))
		return rt_seterr(err, "sandbox id \"%s\": not a valid id",
		    id ? id : "");
	if ((lock = pin_lock()) == -1)
		return rt_seterrno(err, "lock %s", rt.run_dir);
	ret = pin_unpin(id, err);
	pin_base_release();
	pin_unlock(lock);
	return ret;
}

/* pins whose sandbox record is gone: debris of a crash, nothing to adopt */
void
pin_sweep(void)
{
	char base[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int lock;

	if (pin_base(base, sizeof(base)) == -1 ||
	    (d = opendir(base)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!rt_valid_id(de->d_name))
			continue;
		ctr_dir(dir, sizeof(dir), de->d_name);
		if (lstat(dir, &st) == -1 && errno == ENOENT)
			pin_remove(de->d_name, NULL);
	}
	closedir(d);
	if ((lock = pin_lock()) != -1) {
		pin_base_release();
		pin_unlock(lock);
	}
}
