/*
 * A directory agentd reads whole when it changes (the static pod path,
 * cniConfDir): inotify for changes at once, a settle delay so that a file
 * still being written is not read half-done, and a periodic timer for
 * what inotify cannot see -- a directory that does not exist yet (no
 * watch can be placed on it), one that was replaced, an inotify instance
 * that could not be made.  The owner's callback reads the directory
 * itself; dirwatch only says when.
 */
#include <sys/inotify.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentd.h"
#include "log.h"

/*
 * A file still being written (IN_MODIFY without its close yet) is read
 * this long after its last event; a complete one (closed, renamed into
 * place, removed) after DIRWATCH_QUICK_MS, which lets the events of one
 * burst collapse into one callback.
 */
#define DIRWATCH_SETTLE_MS	100
#define DIRWATCH_QUICK_MS	2
#define DIRWATCH_MASK		(IN_CREATE | IN_DELETE | IN_MODIFY | \
				 IN_CLOSE_WRITE | IN_MOVED_TO | \
				 IN_MOVED_FROM | IN_DELETE_SELF | \
				 IN_MOVE_SELF | IN_ATTRIB)

struct dirwatch {
	char		 path[CONFIG_MAX_PATH];
	int		 flags;
	int		 fd;		/* inotify, -1 without */
	int		 wd;		/* -1: not watched now */
	struct event	*inotify_ev;
	struct event	*settle_ev;
	struct event	*tick_ev;
	void		(*changed)(void *);
	void		*arg;
};

/* 1 when the directory is watched (now or already) */
int
dirwatch_rewatch(struct dirwatch *dw)
{
	if (dw->fd != -1 && dw->wd == -1)
		dw->wd = inotify_add_watch(dw->fd, dw->path, DIRWATCH_MASK);
	return dw->wd != -1;
}

static void
settle_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dirwatch *dw = arg;

	dirwatch_rewatch(dw);
	dw->changed(dw->arg);
}

/* drain the queue; one callback for the whole burst */
static void
inotify_cb(evutil_socket_t fd, short ev, void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	struct dirwatch *dw = arg;
	struct timeval tv = { 0, DIRWATCH_QUICK_MS * 1000 };
	int writing = 0;
	ssize_t n;
	char *p;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			/* the directory itself went away: watch it anew */
			if (ie->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF))
				dw->wd = -1;
			if (ie->mask & IN_MODIFY)
				writing = 1;
			else if (ie->mask & IN_CLOSE_WRITE)
				writing = 0;	/* that write is complete */
		}
	if (writing)
		tv.tv_usec = DIRWATCH_SETTLE_MS * 1000;
	evtimer_add(dw->settle_ev, &tv);
}

/*
 * The periodic look: always with DIRWATCH_RESCAN_ALWAYS (the kubelet's
 * full resync of the static pod path), else only while no watch holds,
 * and once more when one has just been placed (the directory appeared).
 */
static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dirwatch *dw = arg;
	int was = dw->wd != -1;

	if (!dirwatch_rewatch(dw) || !was || (dw->flags &
	    DIRWATCH_RESCAN_ALWAYS))
		dw->changed(dw->arg);
}

struct dirwatch *
dirwatch_new(struct event_base *base, const char *path, int period_s,
    int flags, void (*changed)(void *), void *arg)
{
	struct timeval tv = { period_s, 0 };
	struct dirwatch *dw;

	if ((dw = calloc(1, sizeof(*dw))) == NULL)
		return NULL;
	snprintf(dw->path, sizeof(dw->path), "%s", path);
	dw->flags = flags;
	dw->wd = -1;
	dw->changed = changed;
	dw->arg = arg;
	if ((dw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		log_warn("inotify_init1 for %s (falling back to periodic "
		    "rescans)", path);
	dw->settle_ev = evtimer_new(base, settle_cb, dw);
	dw->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, dw);
	if (dw->settle_ev == NULL || dw->tick_ev == NULL ||
	    event_add(dw->tick_ev, &tv) == -1)
		return NULL;
	if (dw->fd != -1) {
		dw->inotify_ev = event_new(base, dw->fd, EV_READ | EV_PERSIST,
		    inotify_cb, dw);
		if (dw->inotify_ev == NULL ||
		    event_add(dw->inotify_ev, NULL) == -1)
			return NULL;
	}
	dirwatch_rewatch(dw);
	return dw;
}
