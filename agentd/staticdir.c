/*
 * The static pod directory.  The watcher may not open files, so agentd
 * reads them and hands over the bytes, unparsed: every regular file in
 * staticPodPath whose name does not start with '.', whatever its
 * extension, skipping subdirectories, as the kubelet does.  inotify
 * makes changes show up at once; a periodic full rescan (20 s by default,
 * the kubelet's period) catches anything inotify missed.  Every scan
 * sends the whole directory: the watcher's view is level-triggered, never
 * a stream of deltas.  A legal directory (512 files of 512 KiB) is
 * 256 MiB, far more than one channel may queue (IPC_MAX_QUEUED), so a
 * scan is paced: see scan().
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentd.h"
#include "auditfmt.h"
#include "ipc.h"
#include "log.h"

static struct dirwatch	*watch;
static uint32_t		 generation;
static int		 missing_logged;

/*
 * The kubelet's file source reads every entry matching "[^.]*" whatever
 * its extension (pkg/kubelet/config/file.go extractFromDir): a dotfile is
 * an editor's or an atomic writer's temporary file and is skipped.
 */
static int
wanted_name(const char *name)
{
	return name[0] != '.' && name[0] != '\0' &&
	    strlen(name) <= MANIFEST_MAX_NAME;
}

/* read one manifest, bounded; oversize files are refused here */
static int
read_manifest(int dirfd, const char *name, uint8_t **bufp, size_t *lenp,
    struct stat *st)
{
	uint8_t *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((buf = malloc(MANIFEST_MAX_BYTES + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf + len, MANIFEST_MAX_BYTES + 1 - len)) > 0)
		if ((len += (size_t)n) > MANIFEST_MAX_BYTES)
			break;
	close(fd);
	if (n == -1 || len > MANIFEST_MAX_BYTES) {
		free(buf);
		errno = n == -1 ? errno : EFBIG;
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

static void
reject_file(const char *name, const char *reason)
{
	char details[4 * MANIFEST_MAX_NAME + 16];

	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "file", name);
	/* a flood is summed up in the audit log; the log line follows it */
	events_manifest_rejected(agentd_env, name, NULL, reason,
	    agentd_audit_worker(agentd_env, "agentd", "manifest.reject",
	    details, "rejected", reason) != 1);
}

/* 1 if a file went out (it counts towards MANIFEST_MAX_FILES) */
static int
send_file(struct ipc_chan *c, int dirfd, const char *name)
{
	struct stat st;
	struct ipc_msg m;
	uint8_t *buf;
	size_t len;

	if (read_manifest(dirfd, name, &buf, &len, &st) == -1) {
		if (errno == EINVAL)
			return 0;	/* a directory or special file: skipped */
		reject_file(name, errno == EFBIG ?
		    "file is larger than the manifest size limit (512 KiB)" :
		    strerror(errno));
		return 0;
	}
	ipc_msg_init(&m, MSG_MANIFEST_FILE, generation);
	ipc_put_str(&m, name);
	ipc_put_u64(&m, (uint64_t)st.st_mtim.tv_sec * 1000000000ULL +
	    (uint64_t)st.st_mtim.tv_nsec);
	ipc_put_bytes(&m, buf, len);
	free(buf);
	return ipc_send(c, &m) == 0;
}

/*
 * One scan in flight at a time.  Its file names are read and sorted when it
 * starts (so that which file is past MANIFEST_MAX_FILES does not depend on
 * readdir order); the files are read and sent while the watcher's queue is
 * under IPC_SEND_BUDGET, and the rest when it drains.  After END, agentd
 * waits for the watcher's MSG_MANIFEST_DONE (its pod set is on its way to
 * the executor) before the next scan: a request meanwhile is remembered,
 * never dropped and never interleaved.
 */
static struct {
	int		 active;	/* BEGIN sent, DONE not yet received */
	int		 again;		/* a scan was asked for meanwhile */
	struct ipc_chan	*chan;
	char		**names;
	size_t		 nnames;
	size_t		 next;
	uint32_t	 count;		/* files sent */
} cur;

static void
scan_forget(void)
{
	size_t i;

	for (i = 0; i < cur.nnames; i++)
		free(cur.names[i]);
	free(cur.names);
	memset(&cur, 0, sizeof(cur));
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
scan_names(const char *path)
{
	struct dirent *de;
	size_t cap = 0;
	char **nv;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		/* like the kubelet: a missing directory means no static pods */
		if (!missing_logged)
			log_warn("static pod path %s", path);
		missing_logged = 1;
		return;
	}
	missing_logged = 0;
	while ((de = readdir(d)) != NULL) {
		if (!wanted_name(de->d_name))
			continue;
		if (cur.nnames == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(cur.names, cap,
			    sizeof(*nv))) == NULL)
				break;
			cur.names = nv;
		}
		if ((cur.names[cur.nnames] = strdup(de->d_name)) == NULL)
			break;
		cur.nnames++;
	}
	closedir(d);
	if (cur.nnames > 0)
		qsort(cur.names, cur.nnames, sizeof(cur.names[0]), name_cmp);
}

static void
scan_pump(struct ipc_chan *c, void *arg)
{
	struct ipc_msg m;
	const char *name;
	int dirfd;

	if ((dirfd = open(agentd_env->conf.static_pod_path, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1)
		cur.next = cur.nnames;	/* gone meanwhile: what was sent */
	while (cur.next < cur.nnames &&
	    ipc_chan_queued(c) < IPC_SEND_BUDGET) {
		name = cur.names[cur.next++];
		if (cur.count >= MANIFEST_MAX_FILES)
			reject_file(name, "more than 512 manifest files in "
			    "the directory: this one is past the limit (files "
			    "are taken in name order)");
		else
			cur.count += send_file(c, dirfd, name);
	}
	if (dirfd != -1)
		close(dirfd);
	if (cur.next < cur.nnames) {
		ipc_chan_on_drain(c, IPC_SEND_BUDGET / 2, scan_pump, NULL);
		return;
	}
	ipc_msg_init(&m, MSG_MANIFEST_END, generation);
	ipc_put_u32(&m, generation);
	ipc_put_u32(&m, cur.count);
	ipc_send(c, &m);
}

static void
scan(struct agentd *env)
{
	struct worker *w = supervise_worker(env, ROLE_WATCHER);
	struct ipc_msg m;

	if (w->state != WORKER_UP)
		return;		/* it gets a full scan when it says hello */
	if (cur.active) {
		cur.again = 1;
		return;
	}
	scan_forget();
	cur.active = 1;
	cur.chan = w->chan;
	generation++;
	ipc_msg_init(&m, MSG_MANIFEST_BEGIN, generation);
	ipc_put_u32(&m, generation);
	if (ipc_send(w->chan, &m) == -1)
		return;		/* the watcher is restarted: a new scan then */
	scan_names(env->conf.static_pod_path);
	scan_pump(w->chan, NULL);
}

/* MSG_MANIFEST_DONE: the watcher has handed the scan's pod set on */
int
staticdir_done(struct agentd *env, struct ipc_chan *c, uint32_t gen)
{
	int again = cur.again;

	if (!cur.active || c != cur.chan || gen != generation ||
	    cur.next < cur.nnames)
		return -1;
	scan_forget();
	if (again)
		scan(env);
	return 0;
}

/* a (re)started watcher: whatever scan was in flight went with the old one */
void
staticdir_send_all(struct agentd *env)
{
	dirwatch_rewatch(watch);
	scan_forget();
	scan(env);
}

/* the directory changed, or the periodic full rescan */
static void
dir_changed(void *arg)
{
	scan(arg);
}

int
staticdir_init(struct agentd *env)
{
	int period = env->conf.static_rescan_seconds;

	watch = dirwatch_new(env->base, env->conf.static_pod_path,
	    period ? period : 20, DIRWATCH_RESCAN_ALWAYS, dir_changed, env);
	return watch == NULL ? -1 : 0;
}
