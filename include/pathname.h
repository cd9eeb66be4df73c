/*
 * Path-name rules shared by the watcher, the config parser and the pod
 * model's checks (common/pathname.c): one definition of a ".."
 * component, so that what one accepts the others accept too.
 */
#ifndef AGENTD_PATHNAME_H
#define AGENTD_PATHNAME_H

/* 1 when s holds a ".." component: "..", "../x", "x/..", "x/../y" */
int	path_has_dotdot(const char *s);

#endif
