/*
 * The fixture the executor test programs that run the real tools share
 * (test_executor_runtime.c, test_executor_image.c; included by each, so
 * everything here is static): a temp root per test with its rootDir,
 * runDir, logs and cgroup root, rt_init over it, the busybox image
 * contrib/mkimage-busybox.sh builds (or the layout named by
 * $AGENTD_TEST_IMAGE), and an atexit teardown that kills, unmounts and
 * removes all of it, without using the code under test, even when a
 * REQUIRE fails halfway or the test crashes or hangs.
 */
#ifndef AGENTD_RT_FIXTURE_H
#define AGENTD_RT_FIXTURE_H

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "../../workers/executor/rt_private.h"

#define FX_DEADLINE_S	100	/* below the 120 s the pytest wrapper allows */
#define FX_TOOL_MS	120000	/* mkimage-busybox.sh, skopeo, umoci */
#define FX_UMOUNT_PASSES 64	/* mounts stacked under the temp root */

struct fixture {
	char			 base[64];
	char			 build[CONFIG_MAX_PATH];	/* libexec_dir */
	char			 repo[CONFIG_MAX_PATH];
	char			 image[CONFIG_MAX_PATH];
	char			 cgroot[64];
	struct agentd_config	 cfg;
	struct rt_info		 info;
	int			 active;
};
static struct fixture fx;

/* ---- teardown: independent of the code under test ---- */

static void
td_run(const char *const *argv)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

static void
td_kill_conmons(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], comm[64];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int pid;

	snprintf(dir, sizeof(dir), "%s/run/conmon", fx.base);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		pid = 0;
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (pid > 0 && (f = fopen(path, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) &&
			    strncmp(comm, "conmon", 6) == 0)
				kill(pid, SIGKILL);
			fclose(f);
		}
	}
	closedir(d);
}

static void
td_delete_containers(void)
{
	char root[PATH_MAX], id[256];
	struct dirent *de;
	DIR *d;

	snprintf(root, sizeof(root), "%s/run/runtime", fx.base);
	if ((d = opendir(root)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *argv[] = { fx.info.runtime_path, "--root", root,
			"delete", "--force", id, NULL };

		if (de->d_name[0] == '.')
			continue;
		snprintf(id, sizeof(id), "%s", de->d_name);
		td_run(argv);
	}
	closedir(d);
}

/* every mount point under base, deepest (last mounted) first */
static void
td_umount_all(void)
{
	char line[8192], mnt[4096];
	int pass, found;

	for (pass = 0; pass < FX_UMOUNT_PASSES; pass++) {
		FILE *f = fopen("/proc/self/mountinfo", "r");

		found = 0;
		if (f == NULL)
			return;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
				continue;
			if (strncmp(mnt, fx.base, strlen(fx.base)) == 0) {
				umount2(mnt, MNT_DETACH);
				found = 1;
			}
		}
		fclose(f);
		if (!found)
			return;
	}
}

static void
td_rmdir_tree(const char *path, int depth)
{
	char sub[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int i;

	if (depth > 8 || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		td_rmdir_tree(sub, depth + 1);
	}
	closedir(d);
	for (i = 0; i < 100 && rmdir(path) == -1 && errno == EBUSY; i++)
		usleep(20000);
}

static void
td_cgroups(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/sys/fs/cgroup")) == NULL)
		return;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s", fx.cgroot);
	td_rmdir_tree(path, 0);		/* pure v2 */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s", de->d_name,
		    fx.cgroot);
		td_rmdir_tree(path, 0);
	}
	closedir(d);
}

static void
fx_teardown(void)
{
	if (!fx.active)
		return;
	fx.active = 0;
	td_delete_containers();
	td_kill_conmons();
	usleep(50000);
	td_umount_all();
	td_cgroups();
	{
		const char *argv[] = { "/bin/rm", "-rf", "--one-file-system",
			fx.base, NULL };
		td_run(argv);
	}
}

/* a crash or a hang must not leave containers and mounts behind either */
static void
fx_on_fatal(int sig)
{
	fx_teardown();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
fx_guard(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGALRM,
		SIGTERM, SIGINT };
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], fx_on_fatal);
	alarm(FX_DEADLINE_S);
}

/* ---- setup ---- */

static int
fx_locate_build(void)
{
	char exe[PATH_MAX], *p;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	/* build/tests/test_executor_<what> -> build */
	if ((p = strrchr(exe, '/')) == NULL)
		return -1;
	*p = '\0';
	if ((p = strrchr(exe, '/')) == NULL)
		return -1;
	*p = '\0';
	if (rt_path(fx.build, sizeof(fx.build), "%s", exe) == -1)
		return -1;
	if ((p = strrchr(exe, '/')) == NULL)
		return -1;
	*p = '\0';
	return rt_path(fx.repo, sizeof(fx.repo), "%s", exe);
}

static int
skip(const char *why)
{
	printf("# skip: %s\n", why);
	return 0;
}

/* 1: ready; 0: the test cannot run here (skip) */
static int
fx_setup_dirs(int runtime)
{
	struct rt_err err = { { "", 0 }, 0 };

	if (geteuid() != 0)
		return skip("needs root");
	memset(&fx, 0, sizeof(fx));
	REQUIRE(fx_locate_build() == 0);
	snprintf(fx.base, sizeof(fx.base), "/tmp/agentd-rt-XXXXXX");
	REQUIRE(mkdtemp(fx.base) != NULL);
	chmod(fx.base, 0755);
	snprintf(fx.cgroot, sizeof(fx.cgroot), "/agentd-test-%d", (int)getpid());
	fx.active = 1;
	atexit(fx_teardown);
	fx_guard();
	snprintf(fx.cfg.root_dir, sizeof(fx.cfg.root_dir), "%s/root", fx.base);
	snprintf(fx.cfg.run_dir, sizeof(fx.cfg.run_dir), "%s/run", fx.base);
	snprintf(fx.cfg.pod_logs_dir, sizeof(fx.cfg.pod_logs_dir), "%s/logs",
	    fx.base);
	snprintf(fx.cfg.cgroup_root, sizeof(fx.cfg.cgroup_root), "%s",
	    fx.cgroot);
	REQUIRE(rt_path(fx.cfg.libexec_dir, sizeof(fx.cfg.libexec_dir), "%s",
	    fx.build) == 0);
	fx.cfg.runtime = runtime;
	if (rt_init(&fx.cfg, &fx.info, &err) == -1) {
		if (runtime == RUNTIME_CRUN)
			return skip(rt_errmsg(&err));
		fprintf(stderr, "rt_init: %s\n", rt_errmsg(&err));
		REQUIRE(0);
	}
	return 1;
}

/* a helper program the test needs (not the code under test) must work */
static void
run_ok(const char *const *argv)
{
	struct rt_run r = { .argv = argv, .timeout_ms = FX_TOOL_MS };
	struct rt_err err = { { "", 0 }, 0 };

	if (rt_run_ok(&r, &err) == -1) {
		fprintf(stderr, "%s: %s\n%s\n", argv[0], rt_errmsg(&err),
		    r.err ? r.err : "");
		REQUIRE(0);
	}
	rt_run_free(&r);
}

/* fx.image: the busybox OCI layout, built under base unless given */
static void
fx_build_image(void)
{
	char script[CONFIG_MAX_PATH + 64];
	const char *env = getenv("AGENTD_TEST_IMAGE");
	const char *argv[] = { "/bin/sh", script, fx.image, NULL };

	if (env != NULL && env[0] != '\0') {
		REQUIRE(rt_path(fx.image, sizeof(fx.image), "%s", env) == 0);
		return;
	}
	snprintf(script, sizeof(script), "%s/contrib/mkimage-busybox.sh",
	    fx.repo);
	snprintf(fx.image, sizeof(fx.image), "%s/busybox-oci", fx.base);
	run_ok(argv);
}

#endif
