/*
 * The node facts of the Node object (include/nodefacts.h), as the
 * executor gathers them once at start.  The parsers are pure functions of
 * the text of the file or program output, so that they are tested on
 * fixture text; hostfacts_gather does the reading.
 */
#ifndef AGENTD_HOSTFACTS_H
#define AGENTD_HOSTFACTS_H

#include <stddef.h>
#include <stdint.h>

#include "nodefacts.h"

#define HOSTFACTS_FILE_MAX	(64 * 1024)	/* os-release, meminfo */

/*
 * os-release(5)'s PRETTY_NAME, unquoted (shell-style single or double
 * quotes, backslash escapes in double quotes): 0, or -1 if the text has
 * none (the caller then says "Linux", as os-release(5) and cadvisor do)
 */
int	 hostfacts_os_image(const char *text, char *buf, size_t len);
/* /proc/meminfo's MemTotal in bytes: 0, or -1 if absent or garbled */
int	 hostfacts_memtotal(const char *text, uint64_t *bytes);
/*
 * "NAME version X" (the first line of `runc --version`, `crun --version`)
 * -> "NAME://X", the form the kubelet shows for its runtime
 * ("containerd://1.7.2"): 0, or -1 if the first line is not that
 */
int	 hostfacts_runtime_version(const char *name, const char *out,
	    char *buf, size_t len);
/* uname's machine as Go's GOARCH names it ("x86_64" -> "amd64"); the
 * machine itself when there is no Go name for it */
const char *hostfacts_goarch(const char *machine);
/* a one-line file's line ("" if unreadable, empty or too long) */
void	 hostfacts_read_line(const char *path, char *buf, size_t len);

/*
 * Everything, reading /etc, /proc, /sys, uname(2), statvfs(rootDir) and
 * running `RUNTIME --version` (bounded: rt_run's timeout and output
 * limit).  What cannot be read is left "" or 0 with one log line; the
 * CPU count and memory fall back to sysconf(3).  Blocking: called before
 * the event loop.
 */
void	 hostfacts_gather(struct node_facts *, const char *runtime_name,
	    const char *runtime_path, const char *root_dir);

#endif
