/*
 * CRI log rotation, the kubelet's container log manager
 * (pkg/kubelet/logs/container_log_manager.go): every LR_MONITOR_MS the
 * log of each running container is looked at; one over
 * containerLogMaxSize is rotated in a job (one at a time, as the kubelet's
 * single default worker): stale temporaries and the oldest rotated files
 * beyond containerLogMaxFiles are removed, the older rotated files are
 * gzipped, the current file is renamed N.log.YYYYMMDD-HHMMSS and conmon is
 * told to reopen its log through its control FIFO.
 */
#ifndef AGENTD_LOGROTATE_H
#define AGENTD_LOGROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "runtime.h"

#define LR_MONITOR_MS		10000	/* containerLogMonitorInterval */
#define LR_MAX_NAMES		512	/* rotated files of one log looked at */
#define LR_TS_LEN		15	/* "20060102-150405", the kubelet's */
#define LR_REOPEN_WAIT_MS	5000	/* conmon makes the new file by then */
#define LR_MAX_PENDING		4096	/* logs waiting for the rotation job */
/* conmon's control FIFO message: REOPEN_LOGS_EVENT (2), no size */
#define LR_REOPEN_MSG		"2 0 0\n"

/* what becomes of one file of a log's directory */
enum lr_action {
	LR_IGNORE = 0,		/* not a rotated file of this log */
	LR_KEEP,		/* a compressed rotated file, kept */
	LR_COMPRESS,		/* an uncompressed rotated file, to gzip */
	LR_REMOVE,		/* unused or beyond containerLogMaxFiles */
};

enum lr_kind {
	LR_NOT_OURS = 0,
	LR_PLAIN,		/* BASE.TS */
	LR_GZ,			/* BASE.TS.gz */
	LR_TMP,			/* BASE.TS.tmp: a compression cut short */
};

/* the kind of name as a rotated file of base ("0.log") */
enum lr_kind lr_name_kind(const char *base, const char *name);
/*
 * The kubelet's rotateLog decisions for the n names found beside base,
 * before base itself is rotated: temporaries and plain files that have
 * a .gz twin are unused; of the rest, oldest first, all but the newest
 * max_files - 2 go (the current file and the one about to be rotated
 * make max_files); the plain ones left are compressed.
 */
void	lr_plan(const char *base, const char *const *names, size_t n,
	    uint32_t max_files, enum lr_action *actions);
/* "20060102-150405" in UTC, so that names sort as time does */
void	lr_timestamp(time_t, char buf[LR_TS_LEN + 1]);

/* in a job: rotate the log of container id if it is over max_size */
int	rt_log_rotate(const char *id, const struct rt_labels *,
	    uint64_t max_size, uint32_t max_files, int *rotated,
	    struct rt_err *);

struct event_base;
struct agentd_config;
void	logrotate_init(struct event_base *, const struct agentd_config *);

#endif
