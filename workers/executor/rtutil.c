/*
 * The runtime backend's small helpers: error formatting, a runner for
 * external programs (runc, crun, conmon, skopeo, umoci, CNI plugins),
 * bounded file reads, atomic writes, recursive removal that never leaves
 * its file system, and mountinfo queries.
 *
 * Programs are run with fork+execve, a fixed minimal environment, stdin
 * from /dev/null or a buffer, stdout and stderr captured up to
 * RT_RUN_OUT_MAX each, and a deadline after which the child is killed:
 * never through a shell, so no argument is ever re-parsed.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "rt_private.h"


#define RT_POLL_SLICE_MS	100

static const char *const rt_default_env[] = {
	"PATH=" RT_DEFAULT_PATH,
	"LC_ALL=C",
	NULL
};

int
rt_seterr(struct rt_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(&err->chain, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
rt_seterrno(struct rt_err *err, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(&err->chain, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int
rt_wrap(struct rt_err *err, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vwrap(&err->chain, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* ---- running programs ---- */

static void
rt_child(struct rt_run *r, int in_fd, int out_fd, int err_fd)
{
	const char *const *envp = r->envp ? r->envp : rt_default_env;
	int high[RT_RUN_MAX_FDS];
	sigset_t none;
	int i, devnull;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			signal(i, SIG_DFL);
	/* lift the passed fds above every target number before dup2 */
	for (i = 0; i < r->n_pass_fds; i++)
		if ((high[i] = fcntl(r->pass_fds[i], F_DUPFD, 64)) == -1)
			_exit(126);
	if (in_fd == -1) {
		if ((devnull = open("/dev/null", O_RDONLY)) == -1)
			_exit(126);
		in_fd = devnull;
	}
	if (dup2(in_fd, 0) == -1 || dup2(out_fd, 1) == -1 ||
	    dup2(err_fd, 2) == -1)
		_exit(126);
	for (i = 0; i < r->n_pass_fds; i++)
		if (dup2(high[i], 3 + i) == -1)
			_exit(126);
	closefrom(3 + r->n_pass_fds);
	/* never the caller's cwd: conmon, for one, drops files into it */
	if (chdir(r->cwd != NULL ? r->cwd : "/") == -1)
		_exit(126);
	execve(r->argv[0], (char *const *)r->argv, (char *const *)envp);
	dprintf(2, "execve %s: %s\n", r->argv[0], strerror(errno));
	_exit(127);
}

static int
rt_buf_read(int fd, char *buf, size_t *len)
{
	char sink[4096];
	ssize_t n;

	for (;;) {
		if (*len < RT_RUN_OUT_MAX)
			n = read(fd, buf + *len, RT_RUN_OUT_MAX - *len);
		else	/* over the bound: keep draining so the child can't block */
			n = read(fd, sink, sizeof(sink));
		if (n > 0) {
			if (*len < RT_RUN_OUT_MAX)
				*len += n;
			continue;
		}
		if (n == 0)
			return 0;	/* EOF */
		if (errno == EINTR)
			continue;
		return 1;		/* EAGAIN: more later */
	}
}

static int64_t
rt_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Pump stdin/stdout/stderr until the child has exited (then drain what it
 * left in the pipes: a daemonizing grandchild may keep them open forever)
 * or the deadline passes.
 */
static int
rt_pump(struct rt_run *r, pid_t pid, int in_fd, int out_fd, int err_fd,
    struct rt_err *err)
{
	struct pollfd pfd[3];
	int64_t deadline;
	size_t in_off = 0;
	int timeout = r->timeout_ms > 0 ? r->timeout_ms : RT_RUN_TIMEOUT_MS;
	int n, exited = 0;
	pid_t w;

	deadline = rt_mono_ms() + timeout;
	while (!exited) {
		n = 0;
		if (out_fd != -1)
			pfd[n++] = (struct pollfd){ out_fd, POLLIN, 0 };
		if (err_fd != -1)
			pfd[n++] = (struct pollfd){ err_fd, POLLIN, 0 };
		if (in_fd != -1)
			pfd[n++] = (struct pollfd){ in_fd, POLLOUT, 0 };
		if (poll(pfd, n, RT_POLL_SLICE_MS) == -1 && errno != EINTR)
			return rt_seterrno(err, "poll");
		if (out_fd != -1 && rt_buf_read(out_fd, r->out, &r->out_len) == 0) {
			close(out_fd);
			out_fd = -1;
		}
		if (err_fd != -1 && rt_buf_read(err_fd, r->err, &r->err_len) == 0) {
			close(err_fd);
			err_fd = -1;
		}
		if (in_fd != -1) {
			ssize_t k = write(in_fd, r->in + in_off, r->in_len - in_off);
			if (k > 0)
				in_off += k;
			if ((k == -1 && errno != EAGAIN && errno != EINTR) ||
			    in_off == r->in_len) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if ((w = waitpid(pid, &r->status, WNOHANG)) == pid)
			exited = 1;
		else if (w == -1 && errno != EINTR)
			return rt_seterrno(err, "waitpid %s", r->argv[0]);
		else if (rt_mono_ms() > deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &r->status, 0) == -1 && errno == EINTR)
				;
			rt_seterr(err, "%s: timed out after %d ms", r->argv[0],
			    timeout);
			r->timed_out = 1;
			exited = -1;
		}
	}
	if (out_fd != -1) {
		rt_buf_read(out_fd, r->out, &r->out_len);
		close(out_fd);
	}
	if (err_fd != -1) {
		rt_buf_read(err_fd, r->err, &r->err_len);
		close(err_fd);
	}
	if (in_fd != -1)
		close(in_fd);
	r->out[r->out_len] = '\0';
	r->err[r->err_len] = '\0';
	return exited == 1 ? 0 : -1;
}

int
rt_run(struct rt_run *r, struct rt_err *err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 };
	void (*old_pipe)(int);
	pid_t pid;
	int ret = -1;

	r->out = calloc(1, RT_RUN_OUT_MAX + 1);
	r->err = calloc(1, RT_RUN_OUT_MAX + 1);
	r->out_len = r->err_len = 0;
	r->status = -1;
	r->timed_out = 0;
	if (r->out == NULL || r->err == NULL)
		return rt_seterrno(err, "calloc");
	if (r->argv == NULL || r->argv[0] == NULL || r->argv[0][0] != '/' ||
	    r->n_pass_fds < 0 || r->n_pass_fds > RT_RUN_MAX_FDS)
		return rt_seterr(err, "rt_run: bad arguments");
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1 ||
	    (r->in != NULL && pipe2(in, O_CLOEXEC) == -1)) {
		rt_seterrno(err, "pipe");
		goto out;
	}
	/* a child that stops reading stdin must not kill us with SIGPIPE */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	if ((pid = fork()) == -1) {
		rt_seterrno(err, "fork %s", r->argv[0]);
		signal(SIGPIPE, old_pipe);
		goto out;
	}
	if (pid == 0)
		rt_child(r, in[0], out[1], errp[1]);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	if (in[0] != -1) {
		close(in[0]);
		in[0] = -1;
	}
	if (r->on_spawn != NULL && r->on_spawn(pid, r->on_spawn_arg) == -1)
		kill(pid, SIGKILL);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	if (in[1] != -1)
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	ret = rt_pump(r, pid, in[1], out[0], errp[0], err);
	out[0] = errp[0] = in[1] = -1;	/* rt_pump closed them */
	signal(SIGPIPE, old_pipe);
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] != -1)
			close(out[i]);
		if (errp[i] != -1)
			close(errp[i]);
		if (in[i] != -1)
			close(in[i]);
	}
	return ret;
}

/* the first line of a program's complaint, for an error message */
static void
rt_first_line(const char *s, char *buf, size_t len)
{
	size_t n;

	while (*s == '\n' || *s == ' ')
		s++;
	n = strcspn(s, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

int
rt_run_ok(struct rt_run *r, struct rt_err *err)
{
	char line[384];

	if (rt_run(r, err) == -1)
		return -1;
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
		return 0;
	rt_first_line(r->err_len ? r->err : r->out, line, sizeof(line));
	if (WIFSIGNALED(r->status))
		return rt_seterr(err, "%s: killed by signal %d: %s",
		    r->argv[0], WTERMSIG(r->status), line);
	return rt_seterr(err, "%s %s: exit %d: %s", r->argv[0],
	    r->argv[1] ? r->argv[1] : "", WEXITSTATUS(r->status), line);
}

void
rt_run_free(struct rt_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
}

/* ---- files ---- */

int
rt_read_file(const char *path, size_t max, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, ret = -1;

	*bufp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((buf = malloc(max + 1)) == NULL)
		goto out;
	/* read until EOF: /proc and /sys files report size 0 */
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		len += n;
	}
	if (len > max) {
		errno = EFBIG;
		goto out;
	}
	buf[len] = '\0';
	*bufp = buf;
	if (lenp != NULL)
		*lenp = len;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

/* write to a temporary name and rename: readers see old or new, never half */
static int	write_file(const char *, const void *, size_t, mode_t, int);

int
rt_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_file(path, data, len, mode, 1);
}

/*
 * A container's or sandbox's own state (labels, meta.json, config.json,
 * the pod's /etc files) lives as long as its processes: a reboot ends
 * both, and rt_init removes what it cannot read.  The rename keeps a
 * crash of agentd from leaving half a file; an fsync would only make
 * every container start wait for the disk.
 */
int
rt_write_volatile(const char *path, const void *data, size_t len,
    mode_t mode)
{
	return write_file(path, data, len, mode, 0);
}

static int
write_file(const char *path, const void *data, size_t len, mode_t mode,
    int durable)
{
	char tmp[PATH_MAX];
	const char *p = data;
	ssize_t n;
	int fd, saved;

	if (rt_path(tmp, sizeof(tmp), "%s.tmp", path) == -1)
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode)) == -1)
		return -1;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= n;
	}
	if ((durable && fsync(fd) == -1) || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
rt_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * The mount a directory entry is on (statx's mount id), 0 when the kernel
 * does not say (before 5.8): a bind mount of a directory of the same file
 * system has the same st_dev, and only its mount id tells it apart.
 */
static uint64_t
mount_id_at(int parent, const char *name)
{
	struct statx sx;

	if (statx(parent, name, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) == -1 ||
	    (sx.stx_mask & STATX_MNT_ID) == 0)
		return 0;
	return sx.stx_mnt_id;
}

/*
 * Remove the tree under dirfd/name.  Never follows symlinks and refuses to
 * descend into another mount: a still-mounted overlay must make the
 * removal fail, not empty the image it was made of, and a hostPath bind
 * still mounted in a pod's directory must not empty the host's directory.
 */
static int
rt_rm_at(int parent, const char *name, dev_t dev, uint64_t mnt, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0) == -1 && errno != ENOENT ? -1 : 0;
	if (st.st_dev != dev || (mnt != 0 && mount_id_at(parent, name) != mnt)) {
		errno = EXDEV;
		return -1;
	}
	if (depth > RT_RMRF_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	if ((fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rt_rm_at(dirfd(d), de->d_name, dev, mnt, depth + 1) == -1)
			ret = -1;
	}
	closedir(d);
	if (ret == 0 && unlinkat(parent, name, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		ret = -1;
	return ret;
}

int
rt_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	return rt_rm_at(AT_FDCWD, path, st.st_dev,
	    mount_id_at(AT_FDCWD, path), 0);
}

cJSON *
rt_json_load(const char *path)
{
	cJSON *j;
	char *buf;
	size_t len;

	if (rt_read_file(path, RT_JSON_MAX, &buf, &len) == -1)
		return NULL;
	j = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (j == NULL)
		errno = EINVAL;
	return j;
}

static int
json_save(const char *path, const cJSON *j, int durable)
{
	char *s;
	int ret;

	if ((s = cJSON_Print(j)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	ret = write_file(path, s, strlen(s), 0600, durable);
	free(s);
	return ret;
}

int
rt_json_save(const char *path, const cJSON *j)
{
	return json_save(path, j, 1);
}

/* see rt_write_volatile */
int
rt_json_save_volatile(const char *path, const cJSON *j)
{
	return json_save(path, j, 0);
}

const char *
rt_json_str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t
rt_json_int(const cJSON *j, const char *key, int64_t def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : def;
}

int
rt_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* look name up in a ':'-separated list of directories */
int
rt_find_exec(const char *name, const char *dirs, char *buf, size_t len)
{
	const char *p = dirs, *e;

	if (strchr(name, '/') != NULL) {
		if (snprintf(buf, len, "%s", name) >= (int)len)
			return -1;
		return access(buf, X_OK);
	}
	while (*p != '\0') {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p && snprintf(buf, len, "%.*s/%s", (int)(e - p), p,
		    name) < (int)len && access(buf, X_OK) == 0)
			return 0;
		p = *e ? e + 1 : e;
	}
	errno = ENOENT;
	return -1;
}

/*
 * The executor picks the id of what a job will create before it forks the
 * job (rt_preset_id in the child): a job killed at its timeout has then
 * left debris under a name the executor knows and removes.
 */
static char	preset_id[RT_HEXID_LEN + 1];

void
rt_preset_id(const char *id)
{
	snprintf(preset_id, sizeof(preset_id), "%s", id ? id : "");
}

int
rt_random_id(char *buf, size_t len)
{
	unsigned char raw[RT_HEXID_LEN / 2];
	size_t i;

	if (len < RT_HEXID_LEN + 1)
		return -1;
	if (preset_id[0] != '\0') {
		memcpy(buf, preset_id, sizeof(preset_id));
		preset_id[0] = '\0';	/* once */
		return 0;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* ids become path components and runtime arguments: hex only */
int
rt_valid_id(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || strlen(id) > RT_HEXID_LEN)
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

int64_t
rt_now_ns(void)
{
	return pod_now_ns();
}

/* src up to the first of stop (or its end) into dst, cut to fit; len > 0 */
void
rt_copy_span(char *dst, size_t len, const char *src, const char *stop)
{
	size_t n = strcspn(src, stop);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
void
rt_unescape(char *s)
{
	char *d = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 4;
		} else
			*d++ = *s++;
	}
	*d = '\0';
}

/*
 * Each mount point equal to path (exact) or below it (prefix), in
 * mountinfo's order, passed to fn (NULL: only counted); the fifth field
 * of each /proc/self/mountinfo line is the mount point.  The count, or
 * -1 when mountinfo cannot be read.
 */
int
rt_mounts_each(const char *path, int prefix, void (*fn)(const char *,
    void *), void *arg)
{
	char *buf, *line, *save = NULL, *f, *fsave;
	size_t plen = strlen(path);
	int i, n = 0;

	if (rt_read_file("/proc/self/mountinfo", RT_MOUNTINFO_MAX, &buf,
	    NULL) == -1)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		f = strtok_r(line, " ", &fsave);
		for (i = 0; i < 4 && f != NULL; i++)
			f = strtok_r(NULL, " ", &fsave);
		if (f == NULL)
			continue;
		rt_unescape(f);
		if (strcmp(f, path) == 0 || (prefix &&
		    strncmp(f, path, plen) == 0 && f[plen] == '/')) {
			n++;
			if (fn != NULL)
				fn(f, arg);
		}
	}
	free(buf);
	return n;
}

int
rt_is_mounted(const char *path)
{
	return rt_mounts_each(path, 0, NULL, NULL) > 0;
}

int
rt_mounts_under(const char *path)
{
	return rt_mounts_each(path, 1, NULL, NULL);
}

/* unmount every layer stacked on path; lazily if something still holds it */
int
rt_umount(const char *path)
{
	int i;

	for (i = 0; i < 16 && rt_is_mounted(path); i++) {
		if (umount2(path, UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EBUSY && umount2(path, MNT_DETACH |
		    UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			break;
		return -1;
	}
	return 0;
}

int
rt_pid_alive(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	if (kill(pid, 0) == -1 && errno != EPERM)
		return 0;
	/*
	 * A daemonized conmon that exited is a zombie until whatever reaps
	 * orphans here gets to it, which can take seconds; kill(pid, 0)
	 * still succeeds on it.  A zombie is dead for our purposes.
	 */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 1;
	return p[2] != 'Z' && p[2] != 'X';
}

/*
 * The start time (field 22 of /proc/PID/stat, clock ticks since boot) of
 * a process: with its pid it names the process for good, so a recycled
 * pid is never mistaken for a container's init.  0 when it is gone.
 */
uint64_t
rt_pid_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	ssize_t n;
	int fd, field;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	/* p[2] is field 3 (state); walk to field 22 */
	for (field = 2, p++; field < 22 && *p != '\0'; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || sscanf(p, "%llu", &v) != 1)
		return 0;
	return (uint64_t)v;
}

size_t
rt_strlcat(char *dst, const char *src, size_t size)
{
	size_t dl = strnlen(dst, size), sl = strlen(src);

	if (dl == size)
		return size + sl;
	if (sl >= size - dl) {
		memcpy(dst + dl, src, size - dl - 1);
		dst[size - 1] = '\0';
	} else
		memcpy(dst + dl, src, sl + 1);
	return dl + sl;
}
