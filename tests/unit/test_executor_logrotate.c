/*
 * workers/executor/logrotate.c: which rotated files are ours, and the
 * kubelet's decisions (unused files, the oldest beyond
 * containerLogMaxFiles, what to compress) on lists of names.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "../../workers/executor/logrotate.h"
#include "../../workers/executor/rt_private.h"
#include "tap.h"

#define ID	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(test_rotated_names_are_ours_only)
{
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000"), LR_PLAIN);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000.gz"), LR_GZ);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000.tmp"),
	    LR_TMP);
	/* conmon's own temporary, other runs, anything else: not ours */
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.tmp"), LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log"), LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "10.log.20240101-120000"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("1.log", "10.log.20240101-120000"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.2024010-1120000"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-120000.gz.tmp"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "0.log.20240101-12000x"),
	    LR_NOT_OURS);
	CHECK_EQ_INT(lr_name_kind("0.log", "../0.log.20240101-120000"),
	    LR_NOT_OURS);
}

TEST(test_plan_keeps_max_files_minus_two_rotated)
{
	const char *names[] = {
		"0.log.20240101-120003.gz",
		"0.log.20240101-120001.gz",
		"0.log.20240101-120004",
		"0.log.20240101-120002.gz",
		"other",
	};
	enum lr_action a[5];

	/* 5 files: the current, the one rotated now and 3 older */
	lr_plan("0.log", names, 5, 5, a);
	CHECK_EQ_INT(a[0], LR_KEEP);
	CHECK_EQ_INT(a[1], LR_REMOVE);		/* the oldest */
	CHECK_EQ_INT(a[2], LR_COMPRESS);
	CHECK_EQ_INT(a[3], LR_KEEP);
	CHECK_EQ_INT(a[4], LR_IGNORE);
	/* 2 files: no rotated one is kept, the current is renamed */
	lr_plan("0.log", names, 5, 2, a);
	CHECK_EQ_INT(a[0], LR_REMOVE);
	CHECK_EQ_INT(a[1], LR_REMOVE);
	CHECK_EQ_INT(a[2], LR_REMOVE);
	CHECK_EQ_INT(a[3], LR_REMOVE);
	CHECK_EQ_INT(a[4], LR_IGNORE);
	/* 3 files: the newest rotated one stays, compressed */
	lr_plan("0.log", names, 5, 3, a);
	CHECK_EQ_INT(a[2], LR_COMPRESS);
	CHECK_EQ_INT(a[0], LR_REMOVE);
	CHECK_EQ_INT(a[1], LR_REMOVE);
	CHECK_EQ_INT(a[3], LR_REMOVE);
}

/* a compression cut short leaves NAME.tmp, or NAME beside NAME.gz */
TEST(test_plan_removes_unused)
{
	const char *names[] = {
		"0.log.20240101-120001",
		"0.log.20240101-120001.gz",
		"0.log.20240101-120002.tmp",
		"0.log.20240101-120002",
		"0.log.tmp",
	};
	enum lr_action a[5];

	lr_plan("0.log", names, 5, 5, a);
	CHECK_EQ_INT(a[0], LR_REMOVE);
	CHECK_EQ_INT(a[1], LR_KEEP);
	CHECK_EQ_INT(a[2], LR_REMOVE);
	CHECK_EQ_INT(a[3], LR_COMPRESS);
	CHECK_EQ_INT(a[4], LR_IGNORE);		/* conmon's */
}

TEST(test_plan_of_nothing)
{
	enum lr_action a[1];

	lr_plan("0.log", NULL, 0, 5, a);
	CHECK(1);
}

TEST(test_timestamp_sorts_as_time)
{
	char a[LR_TS_LEN + 1], b[LR_TS_LEN + 1];

	lr_timestamp(0, a);
	CHECK_STR(a, "19700101-000000");
	lr_timestamp(1704110400, a);	/* 2024-01-01 12:00:00 UTC */
	CHECK_STR(a, "20240101-120000");
	lr_timestamp(1704110399, b);
	CHECK(strcmp(b, a) < 0);
	CHECK_EQ_INT(lr_name_kind("3.log", "3.log.20240101-120000"), LR_PLAIN);
}

/* ---- rt_log_rotate on real files, a fake conmon on the FIFO ---- */

static char	 top[64];
static char	 logdir[256];

static void
fx_rm(void)
{
	char cmd[128];

	if (top[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", top);
	}
}

static void
labels(struct rt_labels *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->pod_namespace, sizeof(l->pod_namespace), "default");
	snprintf(l->pod_name, sizeof(l->pod_name), "web");
	snprintf(l->pod_uid, sizeof(l->pod_uid), "u1");
	snprintf(l->container, sizeof(l->container), "c");
	l->restart_count = 0;
}

static void
put_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", logdir, name);
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs(text, f);
	fclose(f);
}

static char *
get_file(const char *name)
{
	static char buf[4096];
	char path[PATH_MAX];
	gzFile z;
	int n;

	snprintf(path, sizeof(path), "%s/%s", logdir, name);
	if ((z = gzopen(path, "rb")) == NULL)
		return NULL;
	n = gzread(z, buf, sizeof(buf) - 1);
	gzclose(z);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* rotated files of 0.log whose name ends with suffix */
static int
count_files(const char *suffix)
{
	struct dirent *de;
	DIR *d;
	int n = 0;
	size_t k = strlen(suffix);

	REQUIRE((d = opendir(logdir)) != NULL);
	while ((de = readdir(d)) != NULL)
		if (lr_name_kind("0.log", de->d_name) != LR_NOT_OURS &&
		    strlen(de->d_name) >= k &&
		    strcmp(de->d_name + strlen(de->d_name) - k, suffix) == 0)
			n++;
	closedir(d);
	return n;
}

/* rootDir, podLogsDir and the container's log directory, for rt */
static void
setup(void)
{
	char path[PATH_MAX];

	snprintf(top, sizeof(top), "/tmp/lrtest.XXXXXX");
	REQUIRE(mkdtemp(top) != NULL);
	atexit(fx_rm);
	memset(&rt, 0, sizeof(rt));
	rt.initialized = 1;
	snprintf(rt.root_dir, sizeof(rt.root_dir), "%s/root", top);
	snprintf(rt.pod_logs_dir, sizeof(rt.pod_logs_dir), "%s/logs", top);
	snprintf(logdir, sizeof(logdir), "%s/logs/default_web_u1/c", top);
	snprintf(path, sizeof(path), "mkdir -p %s %s/containers/%s", logdir,
	    rt.root_dir, ID);
	REQUIRE(system(path) == 0);
}

static void
make_fifo(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/containers/%s/ctl", rt.root_dir, ID);
	REQUIRE(mkfifo(path, 0600) == 0);
}

/*
 * What conmon does on "2 0 0": create 0.log.tmp and rename it to 0.log,
 * after writing one more line to the descriptor it had (the renamed file).
 */
static pid_t
fake_conmon(int times)
{
	char path[PATH_MAX], tmp[PATH_MAX], cur[PATH_MAX], buf[16];
	int fd, logfd, i, ready[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/containers/%s/ctl", rt.root_dir, ID);
	snprintf(cur, sizeof(cur), "%s/0.log", logdir);
	snprintf(tmp, sizeof(tmp), "%s/0.log.tmp", logdir);
	REQUIRE(pipe(ready) == 0);
	REQUIRE((pid = fork()) != -1);
	if (pid != 0) {
		/* its FIFO is open (a reader is there) before the test goes on */
		close(ready[1]);
		REQUIRE(read(ready[0], buf, 1) == 1);
		close(ready[0]);
		return pid;
	}
	close(ready[0]);
	alarm(20);
	/* O_RDWR, as conmon's dummy writer: open and read never see EOF */
	if ((logfd = open(cur, O_WRONLY | O_APPEND)) == -1 ||
	    (fd = open(path, O_RDWR)) == -1)
		_exit(1);
	if (write(ready[1], "r", 1) != 1)
		_exit(1);
	for (i = 0; i < times; i++) {
		if (read(fd, buf, 6) != 6 || memcmp(buf, "2 0 0\n", 6) != 0)
			_exit(2);
		if (write(logfd, "late\n", 5) != 5)
			_exit(3);
		close(logfd);
		if ((logfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1 || rename(tmp, cur) == -1)
			_exit(4);
		if (write(logfd, "new\n", 4) != 4)
			_exit(5);
	}
	_exit(0);
}

static int
reap(pid_t pid)
{
	int status;

	REQUIRE(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(test_rotate_renames_and_conmon_reopens)
{
	struct rt_labels l;
	struct rt_err err;
	char *rotated = NULL;
	struct dirent *de;
	int did;
	pid_t pid;
	DIR *d;

	setup();
	labels(&l);
	make_fifo();
	put_file("0.log", "one\ntwo\n");
	/* under the size: nothing happens */
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 1024, 5, &did, &err), 0);
	CHECK_EQ_INT(did, 0);
	CHECK_EQ_INT(count_files(""), 0);
	pid = fake_conmon(1);
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 4, 5, &did, &err), 0);
	CHECK_STR(rt_errmsg(&err), "");
	CHECK_EQ_INT(did, 1);
	CHECK_EQ_INT(reap(pid), 0);
	/* the line written before the reopen is in the renamed file */
	REQUIRE((d = opendir(logdir)) != NULL);
	while ((de = readdir(d)) != NULL)
		if (lr_name_kind("0.log", de->d_name) == LR_PLAIN)
			rotated = tap_strdup(de->d_name);
	closedir(d);
	REQUIRE(rotated != NULL);
	CHECK_STR(get_file(rotated), "one\ntwo\nlate\n");
	CHECK_STR(get_file("0.log"), "new\n");
	free(rotated);
}

/* the older rotated files are gzipped at the next rotation, the oldest
   removed beyond containerLogMaxFiles */
TEST(test_rotate_compresses_and_removes_the_oldest)
{
	struct rt_labels l;
	struct rt_err err;
	int did;
	pid_t pid;

	setup();
	labels(&l);
	make_fifo();
	put_file("0.log.20200101-000001.gz", "");
	put_file("0.log.20200101-000002", "older\n");
	put_file("0.log.20200101-000003.tmp", "debris");
	put_file("0.log.other", "not ours");
	put_file("0.log", "current\n");
	pid = fake_conmon(1);
	memset(&err, 0, sizeof(err));
	/* 3 files: the current one, the one rotated now, one older */
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 4, 3, &did, &err), 0);
	CHECK_STR(rt_errmsg(&err), "");
	CHECK_EQ_INT(reap(pid), 0);
	CHECK(get_file("0.log.20200101-000001.gz") == NULL);
	CHECK(get_file("0.log.20200101-000003.tmp") == NULL);
	CHECK(get_file("0.log.20200101-000002") == NULL);
	CHECK_STR(get_file("0.log.20200101-000002.gz"), "older\n");
	CHECK_EQ_INT(count_files(".gz"), 1);
	CHECK_EQ_INT(count_files(""), 2);	/* the .gz and the new one */
	CHECK_STR(get_file("0.log.other"), "not ours");
	CHECK_STR(get_file("0.log"), "new\n");
}

/* no conmon on the FIFO: the rename is undone, nothing is lost */
TEST(test_rotate_without_conmon_undoes_the_rename)
{
	struct rt_labels l;
	struct rt_err err;
	int did;

	setup();
	labels(&l);
	put_file("0.log", "keep\n");
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 4, 5, &did, &err), -1);
	CHECK(strstr(rt_errmsg(&err), "control FIFO") != NULL);
	CHECK_EQ_INT(did, 0);
	CHECK_STR(get_file("0.log"), "keep\n");
	CHECK_EQ_INT(count_files(""), 0);
	/* a FIFO with no reader (conmon died): the same */
	make_fifo();
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 4, 5, &did, &err), -1);
	CHECK(strstr(rt_errmsg(&err), "No such device") != NULL);
	CHECK_STR(get_file("0.log"), "keep\n");
	CHECK_EQ_INT(count_files(""), 0);
}

/* a link where the log or its directory should be is not followed */
TEST(test_rotate_follows_no_link)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct rt_labels l;
	struct rt_err err;
	int did;

	setup();
	labels(&l);
	make_fifo();
	snprintf(target, sizeof(target), "%s/elsewhere", top);
	REQUIRE(mkdir(target, 0755) == 0);
	snprintf(path, sizeof(path), "%s/0.log", logdir);
	REQUIRE(symlink("/etc/passwd", path) == 0);
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 4, 5, &did, &err), -1);
	CHECK(strstr(rt_errmsg(&err), "not a regular file") != NULL);
	CHECK_EQ_INT(count_files(""), 0);
	REQUIRE(unlink(path) == 0);
	REQUIRE(rmdir(logdir) == 0);
	REQUIRE(symlink(target, logdir) == 0);
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 4, 5, &did, &err), -1);
	CHECK(strstr(rt_errmsg(&err), "Too many levels") != NULL ||
	    strstr(rt_errmsg(&err), "Not a directory") != NULL);
	/* labels are checked again: no path from them escapes */
	labels(&l);
	snprintf(l.container, sizeof(l.container), "..");
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(rt_log_rotate(ID, &l, 4, 5, &did, &err), -1);
}
