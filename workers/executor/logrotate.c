/*
 * CRI log rotation (see logrotate.h).  The loop part only stats files:
 * every LR_MONITOR_MS it lists the runtime's containers (file reads, as
 * the relist) and queues the running ones whose log is over
 * containerLogMaxSize, or gone; one job at a time then rotates them, so
 * that gzip and the wait for conmon never hold the loop and a flood of
 * logs takes one job slot, not all of them.
 *
 * Why no line is lost or written twice: conmon writes the log through one
 * O_APPEND descriptor.  The rename moves the name, not the descriptor, so
 * whatever conmon writes before it reopens still lands in the renamed
 * file, whole lines at a time; on "2 0 0" on its control FIFO it fsyncs,
 * closes, creates N.log.tmp and renames it to N.log, and every later
 * write goes there.  A file is compressed only one rotation later, when
 * conmon has long left it.  Once the message may have reached conmon the
 * rename is never undone: its reopen would replace the restored file
 * with an empty one.
 *
 * Every name the job touches is its own: the directory is the one the
 * executor made for the container (podLogsDir/NS_NAME_UID/CONTAINER, from
 * labels checked again here), opened without following a link, and every
 * file is reached relative to it by a name of the form N.log.TS[.gz|.tmp]
 * that this file makes.  Nothing outside podLogsDir is changed, so a
 * rotation is no privileged action and has no audit record; a failure is
 * a log line (the container runs on, its log grows until the next try).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <zlib.h>

#include "config.h"
#include "job.h"
#include "log.h"
#include "logrotate.h"
#include "rt_private.h"

#define LR_GZ_CHUNK		(64 * 1024)
#define LR_POLL_NS		(10 * 1000 * 1000)

/* ---- names and decisions (pure: tests/unit/test_executor_logrotate.c) */

static int
is_ts(const char *s)
{
	int i;

	for (i = 0; i < LR_TS_LEN; i++) {
		if (i == 8 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return 1;
}

enum lr_kind
lr_name_kind(const char *base, const char *name)
{
	size_t n = strlen(base);
	const char *rest;

	if (strncmp(name, base, n) != 0 || name[n] != '.')
		return LR_NOT_OURS;
	rest = name + n + 1;
	if (strlen(rest) < LR_TS_LEN || !is_ts(rest))
		return LR_NOT_OURS;
	rest += LR_TS_LEN;
	if (*rest == '\0')
		return LR_PLAIN;
	if (strcmp(rest, ".gz") == 0)
		return LR_GZ;
	if (strcmp(rest, ".tmp") == 0)
		return LR_TMP;
	return LR_NOT_OURS;
}

/* name + ".gz" is among names */
static int
has_gz_twin(const char *name, const char *const *names, size_t n)
{
	size_t len = strlen(name), i;

	for (i = 0; i < n; i++)
		if (strncmp(names[i], name, len) == 0 &&
		    strcmp(names[i] + len, ".gz") == 0)
			return 1;
	return 0;
}

void
lr_plan(const char *base, const char *const *names, size_t n,
    uint32_t max_files, enum lr_action *actions)
{
	size_t i, j, inuse = 0, keep;
	enum lr_kind k;

	for (i = 0; i < n; i++) {
		k = lr_name_kind(base, names[i]);
		if (k == LR_NOT_OURS)
			actions[i] = LR_IGNORE;
		else if (k == LR_TMP || (k == LR_PLAIN &&
		    has_gz_twin(names[i], names, n)))
			actions[i] = LR_REMOVE;
		else {
			actions[i] = k == LR_GZ ? LR_KEEP : LR_COMPRESS;
			inuse++;
		}
	}
	keep = max_files >= 2 ? max_files - 2 : 0;
	/* the timestamps sort as names: drop the smallest first */
	while (inuse > keep) {
		for (j = n, i = 0; i < n; i++) {
			if (actions[i] != LR_KEEP && actions[i] != LR_COMPRESS)
				continue;
			if (j == n || strcmp(names[i], names[j]) < 0)
				j = i;
		}
		actions[j] = LR_REMOVE;
		inuse--;
	}
}

void
lr_timestamp(time_t t, char buf[LR_TS_LEN + 1])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(buf, LR_TS_LEN + 1, "%Y%m%d-%H%M%S", &tm) != LR_TS_LEN)
		snprintf(buf, LR_TS_LEN + 1, "00000000-000000");
}

/* ---- the job: files relative to the log's directory ---- */

/* NAME -> NAME.tmp (gzip) -> NAME.gz, then NAME goes (kubelet's order) */
static int
gzip_file(int dfd, const char *name, struct rt_err *err)
{
	char tmp[NAME_MAX + 1], gz[NAME_MAX + 1];
	unsigned char *buf = NULL;
	int in = -1, out = -1, syncfd = -1, rc, ret = -1;
	gzFile z = NULL;
	ssize_t n;

	if (rt_path(tmp, sizeof(tmp), "%s.tmp", name) == -1 ||
	    rt_path(gz, sizeof(gz), "%s.gz", name) == -1)
		return rt_seterr(err, "%s: name too long", name);
	if ((buf = malloc(LR_GZ_CHUNK)) == NULL)
		return rt_seterr(err, "out of memory");
	if ((in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		rt_seterrno(err, "open %s", name);
		goto out;
	}
	if ((out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		rt_seterrno(err, "create %s", tmp);
		goto out;
	}
	/* gzclose closes out; syncfd makes the copy durable afterwards */
	if ((syncfd = dup(out)) == -1) {
		rt_seterrno(err, "dup");
		goto out;
	}
	if ((z = gzdopen(out, "wb")) == NULL) {
		rt_seterr(err, "gzip %s: out of memory", name);
		goto out;
	}
	out = -1;
	while ((n = read(in, buf, LR_GZ_CHUNK)) > 0)
		if (gzwrite(z, buf, (unsigned)n) != (int)n) {
			rt_seterr(err, "gzip %s: write failed", name);
			goto out;
		}
	if (n == -1) {
		rt_seterrno(err, "read %s", name);
		goto out;
	}
	rc = gzclose(z);
	z = NULL;
	if (rc != Z_OK) {
		rt_seterr(err, "gzip %s: writing %s failed", name, tmp);
		goto out;
	}
	/* the original goes once the copy is on disk, not before */
	if (fsync(syncfd) == -1) {
		rt_seterrno(err, "sync %s", tmp);
		goto out;
	}
	if (renameat(dfd, tmp, dfd, gz) == -1) {
		rt_seterrno(err, "rename %s to %s", tmp, gz);
		goto out;
	}
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
		rt_seterrno(err, "remove %s", name);
		goto out;
	}
	ret = 0;
out:
	if (z != NULL)
		gzclose(z);
	if (ret == -1)
		unlinkat(dfd, tmp, 0);
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (syncfd != -1)
		close(syncfd);
	free(buf);
	return ret;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* remove what lr_plan says, compress what it says, oldest first */
static int
tidy_rotated(int dfd, const char *base, uint32_t max_files,
    struct rt_err *err)
{
	char *names[LR_MAX_NAMES];
	enum lr_action act[LR_MAX_NAMES];
	struct dirent *de;
	size_t n = 0, i;
	int d, ret = -1;
	DIR *dir;

	if ((d = dup(dfd)) == -1 || (dir = fdopendir(d)) == NULL) {
		if (d != -1)
			close(d);
		return rt_seterrno(err, "reading the log directory");
	}
	while ((de = readdir(dir)) != NULL && n < LR_MAX_NAMES) {
		if (lr_name_kind(base, de->d_name) == LR_NOT_OURS)
			continue;
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rt_seterr(err, "out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	lr_plan(base, (const char *const *)names, n, max_files, act);
	for (i = 0; i < n; i++)
		if (act[i] == LR_REMOVE && unlinkat(dfd, names[i], 0) == -1 &&
		    errno != ENOENT) {
			rt_seterrno(err, "remove %s", names[i]);
			goto out;
		}
	for (i = 0; i < n; i++)
		if (act[i] == LR_COMPRESS && gzip_file(dfd, names[i], err) == -1)
			goto out;
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	closedir(dir);
	return ret;
}

/*
 * CRI ReopenContainerLog: a line on conmon's control FIFO (in its bundle,
 * the executor's own directory).  0 sent; -1 with *maybe_sent 0 when
 * conmon cannot have seen it (no FIFO, no reader: conmon is gone).
 */
static int
conmon_reopen(const char *id, int *maybe_sent, struct rt_err *err)
{
	char path[PATH_MAX];
	size_t len = strlen(LR_REOPEN_MSG);
	ssize_t n;
	int fd, saved;

	*maybe_sent = 0;
	ctr_dir(path, sizeof(path), id);
	if (strlen(path) + 5 >= sizeof(path))
		return rt_seterr(err, "control FIFO path too long");
	strcat(path, "/ctl");
	if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return rt_seterrno(err, "conmon's control FIFO %s", path);
	n = write(fd, LR_REOPEN_MSG, len);
	saved = n == -1 ? errno : EIO;
	close(fd);
	if (n != (ssize_t)len) {
		/* a short write, or a full FIFO conmon will still read */
		*maybe_sent = n > 0 || saved == EAGAIN;
		errno = saved;
		return rt_seterrno(err, "writing to conmon's control FIFO");
	}
	*maybe_sent = 1;
	return 0;
}

/* conmon has made its new file: base exists again */
static int
wait_reopened(int dfd, const char *base)
{
	struct timespec slice = { 0, LR_POLL_NS };
	struct stat st;
	int i;

	for (i = 0; i < LR_REOPEN_WAIT_MS * 1000000LL / LR_POLL_NS; i++) {
		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
		nanosleep(&slice, NULL);
	}
	return -1;
}

/* split "DIR/N.log" of the container's labels into an fd and "N.log" */
static int
open_log_dir(const struct rt_labels *l, char *base, size_t baselen,
    struct rt_err *err)
{
	char path[PATH_MAX], *slash;
	int dfd;

	if (rt_check_labels(l, err) == -1)
		return -1;
	if (l->container[0] == '\0')
		return rt_seterr(err, "a sandbox has no container log");
	if (rt_container_log_path(l, path, sizeof(path)) == -1 ||
	    (slash = strrchr(path, '/')) == NULL)
		return rt_seterr(err, "log path too long");
	*slash = '\0';
	if (rt_path(base, baselen, "%s", slash + 1) == -1)
		return rt_seterr(err, "log name too long");
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return rt_seterrno(err, "open %s", path);
	return dfd;
}

int
rt_log_rotate(const char *id, const struct rt_labels *l, uint64_t max_size,
    uint32_t max_files, int *rotated, struct rt_err *err)
{
	char base[NAME_MAX + 1], to[NAME_MAX + 1], gz[NAME_MAX + 1];
	char ts[LR_TS_LEN + 1];
	struct stat st;
	int dfd, sent, ret = -1;

	*rotated = 0;
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if ((dfd = open_log_dir(l, base, sizeof(base), err)) == -1)
		return -1;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT) {
			rt_seterrno(err, "stat %s", base);
			goto out;
		}
		/* a reopen that did not finish last time: ask again */
		if (conmon_reopen(id, &sent, err) == -1)
			goto out;
		if (wait_reopened(dfd, base) == -1) {
			rt_seterr(err, "conmon did not reopen %s within %d ms",
			    base, LR_REOPEN_WAIT_MS);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rt_seterr(err, "%s is not a regular file", base);
		goto out;
	}
	if ((uint64_t)st.st_size < max_size) {
		ret = 0;
		goto out;
	}
	if (tidy_rotated(dfd, base, max_files, err) == -1)
		goto out;
	lr_timestamp(time(NULL), ts);
	if (rt_path(to, sizeof(to), "%s.%s", base, ts) == -1 ||
	    rt_path(gz, sizeof(gz), "%s.%s.gz", base, ts) == -1) {
		rt_seterr(err, "log name too long");
		goto out;
	}
	/* rotated within this second already: the next round does it */
	if (fstatat(dfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fstatat(dfd, gz, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		ret = 0;
		goto out;
	}
	if (renameat(dfd, base, dfd, to) == -1) {
		rt_seterrno(err, "rename %s to %s", base, to);
		goto out;
	}
	if (conmon_reopen(id, &sent, err) == -1) {
		/* conmon never saw it: undo, the next round tries again */
		if (!sent && renameat(dfd, to, dfd, base) == -1)
			rt_wrap(err, "and %s stays renamed %s", base, to);
		goto out;
	}
	*rotated = 1;
	if (wait_reopened(dfd, base) == -1) {
		rt_seterr(err, "conmon did not reopen %s within %d ms (the "
		    "lines so far are in %s)", base, LR_REOPEN_WAIT_MS, to);
		goto out;
	}
	ret = 0;
out:
	close(dfd);
	return ret;
}

/* ---- the loop: which logs, one job at a time ---- */

struct lr_item {
	char			 id[RT_ID_MAX];
	struct rt_labels	 labels;
};

static struct event	*lr_ev;
static struct lr_item	*pending;
static size_t		 npending, cap_pending;
static struct lr_item	 current;	/* the job's */
static int		 busy;
static uint64_t		 max_size;
static uint32_t		 max_files;
static int		 period_ms = LR_MONITOR_MS;

static void	lr_pump(void);

static void
lr_run(void *arg, struct job_out *out)
{
	const struct lr_item *it = arg;
	struct rt_err err;
	int rotated;

	memset(&err, 0, sizeof(err));
	out->rc = rt_log_rotate(it->id, &it->labels, max_size, max_files,
	    &rotated, &err);
	out->config = rotated;
	snprintf(out->msg, sizeof(out->msg), "%s", rt_errmsg(&err));
}

static void
lr_done(void *arg, struct job_out *out)
{
	const struct lr_item *it = arg;

	busy = 0;
	if (out->rc == -1)
		log_warnx("log rotation of %s/%s container %s (%s): %s",
		    it->labels.pod_namespace, it->labels.pod_name,
		    it->labels.container, it->id, out->msg);
	else if (out->config)
		log_debug("rotated the log of %s/%s container %s",
		    it->labels.pod_namespace, it->labels.pod_name,
		    it->labels.container);
	lr_pump();
}

static void
lr_pump(void)
{
	if (busy || npending == 0)
		return;
	current = pending[--npending];
	busy = 1;
	if (job_submit("log.rotate", 0, lr_run, &current, lr_done,
	    &current) == NULL)
		fatalx("out of memory for a job");
}

/* a running container whose log is over the size, or gone: queued */
static void
lr_consider(const char *id, const struct rt_labels *l, void *arg)
{
	char path[PATH_MAX];
	struct rt_cstate cs;
	struct rt_err err;
	struct lr_item *n;
	struct stat st;

	if (l->container[0] == '\0' || npending >= LR_MAX_PENDING ||
	    rt_container_log_path(l, path, sizeof(path)) == -1)
		return;
	if (lstat(path, &st) == 0 && (uint64_t)st.st_size < max_size)
		return;
	memset(&err, 0, sizeof(err));
	if (rt_container_state(id, &cs, &err) == -1 ||
	    cs.status != RT_RUNNING)
		return;
	if (npending == cap_pending) {
		cap_pending = cap_pending ? cap_pending * 2 : 16;
		if ((n = reallocarray(pending, cap_pending,
		    sizeof(*pending))) == NULL)
			fatal("log rotation queue");
		pending = n;
	}
	memset(&pending[npending], 0, sizeof(pending[npending]));
	snprintf(pending[npending].id, sizeof(pending[npending].id), "%s", id);
	pending[npending].labels = *l;
	npending++;
}

static void
lr_arm(void)
{
	struct timeval tv = { period_ms / 1000, (period_ms % 1000) * 1000 };

	if (evtimer_add(lr_ev, &tv) == -1)
		fatalx("log rotation timer");
}

static void
lr_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct rt_err err;

	/* the previous round first: a container is never queued twice */
	if (!busy && npending == 0) {
		memset(&err, 0, sizeof(err));
		if (rt_list(lr_consider, NULL, &err) == -1)
			log_warnx("log rotation: %s", rt_errmsg(&err));
		lr_pump();
	}
	lr_arm();
}

void
logrotate_init(struct event_base *base, const struct agentd_config *conf)
{
	max_size = conf->container_log_max_size;
	max_files = conf->container_log_max_files;
#ifdef AGENTD_TEST_HOOKS
	if (conf->test_log_monitor_ms != 0)
		period_ms = (int)conf->test_log_monitor_ms;
#endif
	if ((lr_ev = evtimer_new(base, lr_tick, NULL)) == NULL)
		fatalx("log rotation timer");
	lr_arm();
	log_info("container logs rotate above %" PRIu64 " bytes, %u files "
	    "each", max_size, max_files);
}
