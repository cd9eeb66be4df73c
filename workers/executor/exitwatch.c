/*
 * Container exits as events: conmon writes runDir/exits/<id> (written
 * whole and renamed into place) when a container ends, and an inotify
 * watch on that directory turns each file into a callback with the id.
 * Nothing polls the runtime.  A queue overflow (IN_Q_OVERFLOW) loses
 * names, so the callback is then asked for a full relist instead.
 * Names starting with '.' are the temporary files of that rename.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "exitwatch.h"
#include "log.h"
#include "runtime.h"

#define EXITWATCH_BUF	(64 * (sizeof(struct inotify_event) + NAME_MAX + 1))

static int		 ifd = -1;
static struct event	*iev;
static exitwatch_fn	 on_exit_cb;

static void
exitwatch_cb(evutil_socket_t fd, short ev, void *arg)
{
	char buf[EXITWATCH_BUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	ssize_t n;
	char *p;

	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("exit watch");
			return;
		}
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->mask & IN_Q_OVERFLOW)
				on_exit_cb(NULL);
			else if (ie->len > 0 && ie->name[0] != '.' &&
			    strlen(ie->name) < RT_ID_MAX)
				on_exit_cb(ie->name);
		}
	}
}

int
exitwatch_init(struct event_base *base, exitwatch_fn cb)
{
	char dir[PATH_MAX];

	on_exit_cb = cb;
	if (rt_exit_dir(dir, sizeof(dir)) == -1)
		return -1;
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	/* conmon renames a temporary file into place; a plain write also */
	if (inotify_add_watch(ifd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) == -1) {
		close(ifd);
		ifd = -1;
		return -1;
	}
	if ((iev = event_new(base, ifd, EV_READ | EV_PERSIST, exitwatch_cb,
	    NULL)) == NULL || event_add(iev, NULL) == -1)
		fatalx("exit watch event");
	return 0;
}
