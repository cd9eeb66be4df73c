/*
 * The static pod directory.  The watcher may not open files, so agentd
 * reads them and hands over the bytes, unparsed: every *.yaml, *.yml and
 * *.json regular file in staticPodPath, skipping dotfiles and
 * subdirectories as the kubelet does.  inotify makes changes show up at
 * once; a periodic full rescan (20 s by default, the kubelet's period)
 * catches anything inotify missed.  Every scan sends the whole directory:
 * the watcher's view is level-triggered, never a stream of deltas.
 */
#include <sys/inotify.h>
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

/* inotify bursts (an editor's save) collapse into one scan after this */
#define STATICDIR_SETTLE_MS	100

static int		 inotify_fd = -1;
static int		 watch_wd = -1;
static struct event	*inotify_ev;
static struct event	*settle_ev;
static struct event	*rescan_ev;
static uint32_t		 generation;
static int		 missing_logged;

static int
wanted_name(const char *name)
{
	const char *dot;

	if (name[0] == '.' || strlen(name) > MANIFEST_MAX_NAME)
		return 0;
	if ((dot = strrchr(name, '.')) == NULL)
		return 0;
	return strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 ||
	    strcmp(dot, ".json") == 0;
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
send_file(struct ipc_chan *c, int dirfd, const char *name, uint32_t *count)
{
	char details[4 * MANIFEST_MAX_NAME + 16];
	const char *why;
	struct stat st;
	struct ipc_msg m;
	uint8_t *buf;
	size_t len;

	if (read_manifest(dirfd, name, &buf, &len, &st) == -1) {
		if (errno == EINVAL)
			return;	/* a directory or special file: skipped */
		why = errno == EFBIG ?
		    "file is larger than the manifest size limit" :
		    strerror(errno);
		details[0] = '\0';
		auditfmt_details_add(details, sizeof(details), "file", name);
		events_manifest_rejected(agentd_env, name, NULL, why,
		    agentd_audit_worker(agentd_env, "agentd", "manifest.reject",
		    details, "rejected", why) != 1);
		return;
	}
	ipc_msg_init(&m, MSG_MANIFEST_FILE, generation);
	ipc_put_str(&m, name);
	ipc_put_u64(&m, (uint64_t)st.st_mtim.tv_sec * 1000000000ULL +
	    (uint64_t)st.st_mtim.tv_nsec);
	ipc_put_bytes(&m, buf, len);
	free(buf);
	if (ipc_send(c, &m) == 0)
		(*count)++;
}

static void
scan(struct agentd *env)
{
	struct worker *w = supervise_worker(env, ROLE_WATCHER);
	struct dirent *de;
	struct ipc_msg m;
	uint32_t count = 0;
	DIR *d;

	if (w->state != WORKER_UP)
		return;		/* it gets a full scan when it says hello */
	generation++;
	ipc_msg_init(&m, MSG_MANIFEST_BEGIN, generation);
	ipc_put_u32(&m, generation);
	if (ipc_send(w->chan, &m) == -1)
		return;
	if ((d = opendir(env->conf.static_pod_path)) == NULL) {
		/* like the kubelet: a missing directory means no static pods */
		if (!missing_logged)
			log_warn("static pod path %s",
			    env->conf.static_pod_path);
		missing_logged = 1;
	} else {
		missing_logged = 0;
		while ((de = readdir(d)) != NULL && count < MANIFEST_MAX_FILES)
			if (wanted_name(de->d_name))
				send_file(w->chan, dirfd(d), de->d_name,
				    &count);
		closedir(d);
	}
	ipc_msg_init(&m, MSG_MANIFEST_END, generation);
	ipc_put_u32(&m, generation);
	ipc_put_u32(&m, count);
	ipc_send(w->chan, &m);
}

void
staticdir_send_all(struct agentd *env)
{
	if (inotify_fd != -1 && watch_wd == -1)
		watch_wd = inotify_add_watch(inotify_fd,
		    env->conf.static_pod_path, IN_CREATE | IN_DELETE |
		    IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB);
	scan(env);
}

static void
settle_cb(evutil_socket_t fd, short ev, void *arg)
{
	staticdir_send_all(arg);
}

static void
inotify_cb(evutil_socket_t fd, short ev, void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	struct timeval tv = { 0, STATICDIR_SETTLE_MS * 1000 };
	ssize_t n;
	char *p;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			/* the directory itself went away: watch it anew */
			if (ie->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF))
				watch_wd = -1;
		}
	evtimer_add(settle_ev, &tv);
}

static void
rescan_cb(evutil_socket_t fd, short ev, void *arg)
{
	staticdir_send_all(arg);
}

int
staticdir_init(struct agentd *env)
{
	struct timeval tv = { env->conf.static_rescan_seconds, 0 };

	if (tv.tv_sec == 0)
		tv.tv_sec = 20;
	if ((inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		log_warn("inotify_init1 (falling back to periodic rescans)");
	settle_ev = evtimer_new(env->base, settle_cb, env);
	rescan_ev = event_new(env->base, -1, EV_PERSIST, rescan_cb, env);
	if (settle_ev == NULL || rescan_ev == NULL ||
	    event_add(rescan_ev, &tv) == -1)
		return -1;
	if (inotify_fd != -1) {
		inotify_ev = event_new(env->base, inotify_fd,
		    EV_READ | EV_PERSIST, inotify_cb, env);
		if (inotify_ev == NULL || event_add(inotify_ev, NULL) == -1)
			return -1;
	}
	return 0;
}
