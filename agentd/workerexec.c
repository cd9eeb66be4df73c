/*
 * Opening a worker executable so that what agentd checked is what it runs.
 *
 * Checking a path and then exec'ing it by name is a race: whoever can write
 * to any directory on the way can swap the file (rename(2), or
 * renameat2(RENAME_EXCHANGE) with a symlink) between the check and the
 * execve, and agentd runs their file as root.  So, as sshd's safe_path()
 * does for its key files, every directory from / down to the worker must
 * be owned by root and not writable by group or others -- then nobody but
 * root can change what the name means -- and the file is opened once,
 * without following a symlink, checked through that fd, and that fd is
 * what the child executes (fexecve).  The walk itself goes by fds
 * (openat with O_NOFOLLOW on each component of the canonical path), so a
 * directory swapped for a symlink during the walk is refused too.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentd.h"

/* root-owned and not writable by group or others */
static int
root_only(const struct stat *st)
{
	return st->st_uid == 0 && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/*
 * An O_PATH fd of dir (canonicalized) after checking it and every
 * directory above it; -1 with errno set (ENOENT: it does not exist) and
 * the reason in err.
 */
static int
open_safe_dir(const char *dir, char *err, size_t errlen)
{
	char real[PATH_MAX], sofar[PATH_MAX], *comp, *next;
	struct stat st;
	int fd, nfd, saved;

	if (realpath(dir, real) == NULL) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		errno = saved;
		return -1;
	}
	snprintf(sofar, sizeof(sofar), "/");
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	for (comp = real + 1;; comp = next) {
		if (fstat(fd, &st) == -1)
			goto fail;
		if (!root_only(&st)) {
			snprintf(err, errlen, "directory %s is not owned by "
			    "root or is writable by group or others (mode "
			    "%04o, uid %d)", sofar, (int)(st.st_mode & 07777),
			    (int)st.st_uid);
			close(fd);
			errno = EPERM;
			return -1;
		}
		if (*comp == '\0')
			return fd;
		if ((next = strchr(comp, '/')) != NULL)
			*next++ = '\0';
		else
			next = comp + strlen(comp);
		snprintf(sofar + strlen(sofar), sizeof(sofar) - strlen(sofar),
		    "%s%s", strcmp(sofar, "/") ? "/" : "", comp);
		nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		if ((fd = nfd) == -1)
			goto fail;
	}
 fail:
	saved = errno;
	snprintf(err, errlen, "%s: %s", sofar, strerror(errno));
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

int
worker_exe_open(const char *dir, const char *name, char *err, size_t errlen)
{
	struct stat st;
	int dfd, fd, saved;

	if ((dfd = open_safe_dir(dir, err, errlen)) == -1)
		return -1;
	/* O_NOFOLLOW: a symlink here fails with ELOOP, it is not followed */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	saved = errno;
	close(dfd);
	if (fd == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, saved == ELOOP ?
		    "is a symbolic link" : strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || !root_only(&st) ||
	    (st.st_mode & S_IXUSR) == 0) {
		snprintf(err, errlen, "%s/%s must be a regular executable file "
		    "owned by root and not writable by group or others", dir,
		    name);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}
