/*
 * A pod's volumes on the host (volumes.c): made with its sandbox, given to
 * the runtime as bind sources the executor created, undone with the
 * pod's directory.
 */
#ifndef AGENTD_EXECUTOR_VOLUMES_H
#define AGENTD_EXECUTOR_VOLUMES_H

#include <stddef.h>
#include <stdint.h>

#include "pod.h"

struct rt_err;

/* every volume of the pod: emptyDirs made, tmpfs and hostPaths mounted;
   idempotent (a replacement sandbox finds them made) */
int	vol_setup(const struct pod *, struct rt_err *);
/* the bind source of each of c's mounts, strdup'ed into src[j] (the
   caller frees them); a subPath is resolved and bind-mounted here */
int	vol_mount_sources(const struct pod *, const struct container_spec *,
	    char **src, struct rt_err *);
/* unmount everything under rootDir/pods/<uid>; 0 when nothing stays */
int	vol_teardown(const char *uid);
int	vol_dir(char *, size_t, const char *uid, const struct volume *);
/* O_PATH fd of rel beneath rootfd, no symlink followed; -1 with errno */
int	vol_walk(int rootfd, const char *rel, int mkdirs, int last_dir);
/* the tmpfs size of a Memory emptyDir (the kubelet's rule); 0 none */
int64_t	vol_tmpfs_size(const struct pod *, const struct volume *,
	    int64_t node_mem);

#endif
