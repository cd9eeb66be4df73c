/* the exit watch on conmon's exit directory (exitwatch.c) */
#ifndef AGENTD_EXITWATCH_H
#define AGENTD_EXITWATCH_H

struct event_base;

/* id: the container that exited; NULL: names were lost, relist */
typedef void	(*exitwatch_fn)(const char *id);

int	exitwatch_init(struct event_base *, exitwatch_fn);

#endif
