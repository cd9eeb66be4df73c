/*
 * The runtime backend against the real thing: runc (and crun where this
 * host lets it run), conmon, the CNI loopback plugin, overlayfs and
 * cgroups.  Needs root; a test without it says so and passes.
 *
 * Each test gets its own /tmp/agentd-rt-XXXXXX (rootDir, runDir, logs,
 * the busybox image built by contrib/mkimage-busybox.sh, or the layout
 * named by $AGENTD_TEST_IMAGE) and its own cgroup root, and an atexit
 * teardown that kills, unmounts and removes all of it, without using the
 * code under test, even when a REQUIRE fails halfway.
 */
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
#include <time.h>
#include <unistd.h>

#include "tap.h"

#include "../../workers/executor/rt_private.h"

#define WAIT_MS		20000
#define FX_DEADLINE_S	100	/* below the 120 s the pytest wrapper allows */
#define BUSYBOX_REF	"docker.io/library/busybox:latest"

struct fixture {
	char			 base[64];
	char			 build[PATH_MAX];
	char			 repo[PATH_MAX];
	char			 image[PATH_MAX];
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

	for (pass = 0; pass < 64; pass++) {
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
	/* build/tests/test_executor_runtime -> build */
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
	if (rt_path(fx.repo, sizeof(fx.repo), "%s", exe) == -1)
		return -1;
	return 0;
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
	struct rt_err err = { "", 0 };

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
			return skip(err.msg);
		fprintf(stderr, "rt_init: %s\n", err.msg);
		REQUIRE(0);
	}
	return 1;
}

static void
fx_build_image(void)
{
	char script[PATH_MAX + 64];
	const char *env = getenv("AGENTD_TEST_IMAGE");
	const char *argv[] = { "/bin/sh", script, fx.image, NULL };
	struct rt_run r = { .argv = argv };
	struct rt_err err = { "", 0 };

	if (env != NULL && env[0] != '\0') {
		REQUIRE(rt_path(fx.image, sizeof(fx.image), "%s", env) == 0);
		return;
	}
	snprintf(script, sizeof(script), "%s/contrib/mkimage-busybox.sh",
	    fx.repo);
	snprintf(fx.image, sizeof(fx.image), "%s/busybox-oci", fx.base);
	r.timeout_ms = 120000;
	if (rt_run_ok(&r, &err) == -1) {
		fprintf(stderr, "mkimage-busybox.sh: %s\n%s\n", err.msg, r.err);
		REQUIRE(0);
	}
	rt_run_free(&r);
}

/* dirs, runtime, and the busybox image imported and looked up */
static int
fx_setup(int runtime, struct rt_image *img)
{
	struct rt_err err = { "", 0 };
	char digest[POD_MAX_ID];

	if (!fx_setup_dirs(runtime))
		return 0;
	fx_build_image();
	if (rt_image_import(fx.image, "busybox", digest, sizeof(digest),
	    &err) == -1) {
		fprintf(stderr, "import: %s\n", err.msg);
		REQUIRE(0);
	}
	if (rt_image_lookup("busybox", img, &err) == -1) {
		fprintf(stderr, "lookup: %s\n", err.msg);
		REQUIRE(0);
	}
	return 1;
}

/* ---- pods ---- */

static void
mkpod(struct pod *p, const char *name, const char *uid)
{
	pod_init(p);
	p->namespace = strdup("default");
	p->name = strdup(name);
	p->uid = strdup(uid);
}

static struct container_spec *
addc(struct pod *p, const char *name, const char *script)
{
	struct container_spec *c;

	p->containers = reallocarray(p->containers, p->n_containers + 1,
	    sizeof(*c));
	REQUIRE(p->containers != NULL);
	c = &p->containers[p->n_containers++];
	container_spec_init(c);
	c->name = strdup(name);
	c->image = strdup("busybox");
	if (script != NULL) {
		strlist_add(&c->command, "sh", POD_MAX_ARGS);
		strlist_add(&c->command, "-c", POD_MAX_ARGS);
		strlist_add(&c->command, script, POD_MAX_ARGS);
	}
	return c;
}

static void
mklabels(struct rt_labels *l, const struct pod *p, const char *container,
    const struct rt_image *img)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->pod_namespace, sizeof(l->pod_namespace), "%s", p->namespace);
	snprintf(l->pod_name, sizeof(l->pod_name), "%s", p->name);
	snprintf(l->pod_uid, sizeof(l->pod_uid), "%s", p->uid);
	snprintf(l->container, sizeof(l->container), "%s", container);
	snprintf(l->image_digest, sizeof(l->image_digest), "%s", img->digest);
	snprintf(l->spec_hash, sizeof(l->spec_hash), "hash-%s", container);
}

static void
sandbox_up(const struct pod *p, struct rt_sandbox *sb)
{
	struct rt_err err = { "", 0 };

	if (rt_sandbox_create(p, "hash", sb, &err) == -1) {
		fprintf(stderr, "rt_sandbox_create: %s\n", err.msg);
		REQUIRE(0);
	}
}

static void
start(const struct pod *p, const struct container_spec *c,
    const struct rt_image *img, const struct rt_sandbox *sb, char *id)
{
	struct rt_labels l;
	struct rt_err err = { "", 0 };

	mklabels(&l, p, c->name, img);
	if (rt_container_start(p, c, img, sb, &l, id, RT_ID_MAX, &err) == -1) {
		fprintf(stderr, "rt_container_start: %s\n", err.msg);
		REQUIRE(0);
	}
}

static void
wait_status(const char *id, int want, struct rt_cstate *st)
{
	struct rt_err err = { "", 0 };
	int i;

	for (i = 0; i < WAIT_MS / 20; i++) {
		REQUIRE(rt_container_state(id, st, &err) == 0);
		if (st->status == want)
			return;
		usleep(20000);
	}
	fprintf(stderr, "container %s: status %d, wanted %d\n", id, st->status,
	    want);
	REQUIRE(0);
}

static char *
read_log(const struct pod *p, const char *container)
{
	struct rt_labels l;
	struct rt_image none = { .digest = "" };
	char path[PATH_MAX], *buf = NULL;

	mklabels(&l, p, container, &none);
	REQUIRE(rt_container_log_path(&l, path, sizeof(path)) == 0);
	REQUIRE(rt_read_file(path, 1 << 20, &buf, NULL) == 0);
	return buf;
}

/* run script to completion in a fresh sandbox; returns the log text */
static char *
run_to_exit(struct pod *p, struct container_spec *c, const struct rt_image *img,
    struct rt_cstate *st)
{
	struct rt_sandbox sb;
	char id[RT_ID_MAX];

	sandbox_up(p, &sb);
	start(p, c, img, &sb, id);
	wait_status(id, RT_EXITED, st);
	return read_log(p, c->name);
}

static int
has_line(const char *log, const char *stream, const char *text)
{
	char want[512];
	const char *p;

	/* "<RFC3339Nano> stdout F text" */
	snprintf(want, sizeof(want), " %s F %s\n", stream, text);
	for (p = log; (p = strstr(p, want)) != NULL; p++) {
		const char *bol = p;

		while (bol > log && bol[-1] != '\n')
			bol--;
		if (p - bol >= 20 && bol[4] == '-' && bol[10] == 'T')
			return 1;
	}
	return 0;
}

static int	dir_entries(const char *);

/* ---- pure functions (no runtime needed) ---- */

TEST(test_args_follow_kubernetes_rules)
{
	struct rt_image img;
	struct container_spec c;
	struct strlist out = { 0 };
	struct rt_err err = { "", 0 };

	memset(&img, 0, sizeof(img));
	container_spec_init(&c);
	c.name = "c";
	strlist_add(&img.entrypoint, "/ep", 8);
	strlist_add(&img.cmd, "cmd1", 8);
	strlist_add(&img.cmd, "cmd2", 8);

	REQUIRE(bundle_args(&c, &img, &out, &err) == 0);	/* neither */
	CHECK_EQ_INT(out.n, 3);
	CHECK_STR(out.v[0], "/ep");
	CHECK_STR(out.v[2], "cmd2");
	strlist_free(&out);

	strlist_add(&c.args, "a1", 8);				/* args only */
	REQUIRE(bundle_args(&c, &img, &out, &err) == 0);
	CHECK_EQ_INT(out.n, 2);
	CHECK_STR(out.v[0], "/ep");
	CHECK_STR(out.v[1], "a1");
	strlist_free(&out);

	strlist_add(&c.command, "/bin/x", 8);			/* both */
	REQUIRE(bundle_args(&c, &img, &out, &err) == 0);
	CHECK_EQ_INT(out.n, 2);
	CHECK_STR(out.v[0], "/bin/x");
	CHECK_STR(out.v[1], "a1");
	strlist_free(&out);

	strlist_free(&c.args);					/* command only */
	REQUIRE(bundle_args(&c, &img, &out, &err) == 0);
	CHECK_EQ_INT(out.n, 1);
	CHECK_STR(out.v[0], "/bin/x");
	strlist_free(&out);

	strlist_free(&c.command);
	strlist_free(&img.entrypoint);
	strlist_free(&img.cmd);
	CHECK(bundle_args(&c, &img, &out, &err) == -1);
	CHECK(strstr(err.msg, "no command") != NULL);
}

TEST(test_env_merges_image_and_container_in_order)
{
	struct rt_image img;
	struct container_spec c;
	struct strlist out = { 0 };
	struct rt_err err = { "", 0 };
	struct kv env[2] = { { "B", "container" }, { "C", "new" } };

	memset(&img, 0, sizeof(img));
	container_spec_init(&c);
	strlist_add(&img.env, "A=1", 8);
	strlist_add(&img.env, "B=image", 8);
	c.env = env;
	c.n_env = 2;
	REQUIRE(bundle_env(&c, &img, "mypod", &out, &err) == 0);
	REQUIRE(out.n == 5);
	CHECK_STR(out.v[0], "HOSTNAME=mypod");
	CHECK_STR(out.v[1], "A=1");
	CHECK_STR(out.v[2], "B=container");	/* replaced where it stood */
	CHECK_STR(out.v[3], "C=new");
	CHECK_STR(out.v[4], "PATH=" RT_DEFAULT_PATH);	/* defaulted */
	strlist_free(&out);

	env[0].key = "BAD=NAME";
	CHECK(bundle_env(&c, &img, "mypod", &out, &err) == -1);
	CHECK(strstr(err.msg, "env[0].name") != NULL);
	strlist_free(&out);
	strlist_free(&img.env);
}

TEST(test_cpu_shares_and_quota_follow_kubelet)
{
	struct resources r = { -1, -1, -1, -1 };

	CHECK_EQ_INT(bundle_cpu_shares(&r), 2);		/* BestEffort */
	CHECK_EQ_INT(bundle_cpu_quota(&r), -1);
	r.cpu_request_milli = 1;
	CHECK_EQ_INT(bundle_cpu_shares(&r), 2);		/* minimum */
	r.cpu_request_milli = 250;
	CHECK_EQ_INT(bundle_cpu_shares(&r), 256);
	r.cpu_request_milli = -1;
	r.cpu_limit_milli = 500;			/* request defaults to limit */
	CHECK_EQ_INT(bundle_cpu_shares(&r), 512);
	CHECK_EQ_INT(bundle_cpu_quota(&r), 50000);
	r.cpu_limit_milli = 2;
	CHECK_EQ_INT(bundle_cpu_quota(&r), 1000);	/* MinQuotaPeriod */
}

TEST(test_caps_default_drop_add)
{
	struct security_context sc;
	struct container_spec c;
	struct strlist caps = { 0 };
	struct rt_err err = { "", 0 };
	uint32_t i;
	int has_net_admin = 0;

	container_spec_init(&c);
	sc = c.sc;
	REQUIRE(bundle_caps(&sc, &caps, &err) == 0);
	CHECK_EQ_INT(caps.n, 14);
	strlist_free(&caps);

	strlist_add(&sc.cap_drop, "ALL", 4);
	strlist_add(&sc.cap_add, "net_admin", 4);
	REQUIRE(bundle_caps(&sc, &caps, &err) == 0);
	for (i = 0; i < caps.n; i++)
		has_net_admin |= strcmp(caps.v[i], "CAP_NET_ADMIN") == 0;
	CHECK_EQ_INT(caps.n, 1);
	CHECK(has_net_admin);
	strlist_free(&caps);

	strlist_add(&sc.cap_add, "CAP_FLY", 4);
	CHECK(bundle_caps(&sc, &caps, &err) == -1);
	CHECK(strstr(err.msg, "capabilities.add") != NULL &&
	    strstr(err.msg, "CAP_FLY") != NULL);
	strlist_free(&caps);
	strlist_free(&sc.cap_add);
	strlist_free(&sc.cap_drop);
}

static void
write_etc(const char *root, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/etc/%s", root, name);
	REQUIRE(rt_write_file(path, text, strlen(text), 0644) == 0);
}

TEST(test_user_resolution_from_image_files)
{
	char root[] = "/tmp/agentd-user-XXXXXX", etc[PATH_MAX];
	struct rt_image img;
	struct container_spec c;
	struct pod p;
	struct rt_user u;
	struct rt_err err = { "", 0 };

	REQUIRE(mkdtemp(root) != NULL);
	snprintf(etc, sizeof(etc), "%s/etc", root);
	REQUIRE(mkdir(etc, 0755) == 0);
	write_etc(root, "passwd", "root:x:0:0::/root:/bin/sh\n"
	    "app:x:1234:4321::/app:/bin/sh\n");
	write_etc(root, "group", "root:x:0:\napp:x:4321:\nextra:x:77:app,bob\n"
	    "web:x:88:app\n");
	memset(&img, 0, sizeof(img));
	snprintf(img.rootfs, sizeof(img.rootfs), "%s", root);
	mkpod(&p, "p", "u1");
	container_spec_init(&c);
	c.name = "c";

	snprintf(img.user, sizeof(img.user), "app");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == 0);
	CHECK_EQ_INT(u.uid, 1234);
	CHECK_EQ_INT(u.gid, 4321);
	CHECK_EQ_INT(u.n_additional_gids, 2);
	CHECK_EQ_INT(u.additional_gids[0], 77);

	snprintf(img.user, sizeof(img.user), "1234:web");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == 0);
	CHECK_EQ_INT(u.uid, 1234);
	CHECK_EQ_INT(u.gid, 88);

	snprintf(img.user, sizeof(img.user), "ghost");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);
	CHECK(strstr(err.msg, "ghost") != NULL);

	/* runAsUser wins; the pod's runAsGroup applies */
	p.psc.run_as_group = 5;
	c.sc.run_as_user = 1234;
	CHECK(bundle_user(&p, &c, &img, &u, &err) == 0);
	CHECK_EQ_INT(u.uid, 1234);
	CHECK_EQ_INT(u.gid, 5);

	/* runAsNonRoot cannot be verified for a named image user */
	c.sc.run_as_user = -1;
	c.sc.run_as_non_root = 1;
	snprintf(img.user, sizeof(img.user), "app");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);
	CHECK(strstr(err.msg, "non-numeric user") != NULL);
	img.user[0] = '\0';
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);
	CHECK(strstr(err.msg, "will run as root") != NULL);

	/* a symlinked /etc/passwd is not followed out of the image */
	c.sc.run_as_non_root = TRI_UNSET;
	snprintf(etc, sizeof(etc), "%s/etc/passwd", root);
	unlink(etc);
	REQUIRE(symlink("/etc/passwd", etc) == 0);
	snprintf(img.user, sizeof(img.user), "root");
	CHECK(bundle_user(&p, &c, &img, &u, &err) == -1);

	pod_free(&p);
	rt_rm_rf(root);
}

/* ---- init ---- */

TEST(test_init_rejects_relative_root_dir)
{
	struct rt_err err = { "", 0 };
	struct agentd_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.root_dir, sizeof(cfg.root_dir), "var/lib/agentd");
	snprintf(cfg.run_dir, sizeof(cfg.run_dir), "/run/agentd");
	CHECK(rt_init(&cfg, NULL, &err) == -1);
	CHECK(strstr(err.msg, "root_dir") != NULL);
	CHECK(strstr(err.msg, "absolute") != NULL);
}

TEST(test_init_picks_runtime_for_cgroup_layout)
{
	struct rt_err err = { "", 0 };
	char blocker[256];
	int blocked;

	if (!fx_setup_dirs(RUNTIME_RUNC))
		return;
	CHECK_STR(fx.info.runtime_name, "runc");
	CHECK_EQ_INT(fx.info.cgroup_v2, rt.cg.v2_pure);
	blocked = cg_crun_blocker(&rt.cg, blocker, sizeof(blocker)) > 0;

	fx.cfg.runtime = RUNTIME_AUTO;
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
	if (blocked)
		CHECK_STR(fx.info.runtime_name, "runc");
	else if (access("/usr/bin/crun", X_OK) == 0)
		CHECK_STR(fx.info.runtime_name, "crun");

	fx.cfg.runtime = RUNTIME_CRUN;
	if (blocked) {
		CHECK(rt_init(&fx.cfg, &fx.info, &err) == -1);
		CHECK(strstr(err.msg, "mount -t cgroup -o") != NULL);
		CHECK(strstr(err.msg, blocker) != NULL);
		printf("# crun refused as expected: %s\n", err.msg);
	} else if (access("/usr/bin/crun", X_OK) == 0) {
		CHECK(rt_init(&fx.cfg, &fx.info, &err) == 0);
		CHECK_STR(fx.info.runtime_name, "crun");
	}
	/* leave the fixture's own runtime in place for teardown */
	fx.cfg.runtime = RUNTIME_RUNC;
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
}

/* ---- containers ---- */

static void
exit_code_and_log(int runtime)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_cstate st;
	char *log;

	if (!fx_setup(runtime, &img))
		return;
	mkpod(&p, "exit-pod", "uid-exit");
	c = addc(&p, "main", "echo hello; echo oops >&2; exit 3");
	log = run_to_exit(&p, c, &img, &st);
	CHECK_EQ_INT(st.exit_code, 3);
	CHECK_EQ_INT(st.signal, 0);
	CHECK_EQ_INT(st.oom_killed, 0);
	CHECK(st.started_at_ns > 0);
	CHECK(st.finished_at_ns >= st.started_at_ns);
	CHECK(has_line(log, "stdout", "hello"));
	CHECK(has_line(log, "stderr", "oops"));
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_container_exit_code_and_cri_log)
{
	exit_code_and_log(RUNTIME_RUNC);
}

TEST(test_container_exit_code_and_cri_log_crun)
{
	exit_code_and_log(RUNTIME_CRUN);	/* skips where crun can't run */
}

static void
read_link(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	REQUIRE(n > 0);
	buf[n] = '\0';
}

static void
shares_namespaces(int runtime)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_sandbox sb, sb2;
	struct rt_cstate st;
	struct rt_err err = { "", 0 };
	char id[RT_ID_MAX], a[64], b[64], path[64];
	static const char *const nss[] = { "net", "ipc", "uts" };
	int i;

	if (!fx_setup(runtime, &img))
		return;
	mkpod(&p, "ns-pod", "uid-ns");
	c = addc(&p, "sleeper", "sleep 1000");
	sandbox_up(&p, &sb);
	CHECK(sb.pid > 0);
	CHECK(strstr(sb.netns_path, "/ns/net") != NULL);
	start(&p, c, &img, &sb, id);
	wait_status(id, RT_RUNNING, &st);
	REQUIRE(st.pid > 0);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st.pid, nss[i]);
		read_link(path, a, sizeof(a));
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)sb.pid, nss[i]);
		read_link(path, b, sizeof(b));
		CHECK_STR(a, b);
	}
	/* but not the pid namespace, nor the host's network */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)st.pid);
	read_link(path, a, sizeof(a));
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)sb.pid);
	read_link(path, b, sizeof(b));
	CHECK(strcmp(a, b) != 0);
	read_link("/proc/self/ns/net", a, sizeof(a));
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)sb.pid);
	read_link(path, b, sizeof(b));
	CHECK(strcmp(a, b) != 0);
	REQUIRE(rt_sandbox_status(sb.id, &sb2, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	CHECK_EQ_INT(sb2.pid, sb.pid);
	CHECK_STR(sb2.netns_path, sb.netns_path);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_container_joins_sandbox_namespaces)
{
	shares_namespaces(RUNTIME_RUNC);
}

TEST(test_container_joins_sandbox_namespaces_crun)
{
	shares_namespaces(RUNTIME_CRUN);
}

TEST(test_pod_network_has_loopback_up_and_hostname)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_cstate st;
	char *log;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "net-pod", "uid-net");
	c = addc(&p, "probe", "cat /sys/class/net/lo/flags; hostname; "
	    "cat /etc/hostname; grep -c localhost /etc/hosts; "
	    "ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok");
	log = run_to_exit(&p, c, &img, &st);
	CHECK_EQ_INT(st.exit_code, 0);
	CHECK(has_line(log, "stdout", "0x9"));	/* IFF_UP | IFF_LOOPBACK */
	CHECK(has_line(log, "stdout", "net-pod"));
	CHECK(has_line(log, "stdout", "2"));
	CHECK(has_line(log, "stdout", "ping-ok"));
	if (tap_failed_here)
		fprintf(stderr, "log:\n%s\n", log);
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_kill_sigterm_reports_signal_15)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_sandbox sb;
	struct rt_cstate st;
	struct rt_err err = { "", 0 };
	char id[RT_ID_MAX], *log;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "term-pod", "uid-term");
	/* pid 1 of a pid namespace only sees signals it handles */
	c = addc(&p, "term", "trap 'echo got-term; exit 143' TERM; echo ready; "
	    "sleep 1000 & wait");
	sandbox_up(&p, &sb);
	start(&p, c, &img, &sb, id);
	wait_status(id, RT_RUNNING, &st);
	for (int i = 0; i < 250; i++) {	/* until the trap is set */
		log = read_log(&p, "term");
		if (has_line(log, "stdout", "ready")) {
			free(log);
			break;
		}
		free(log);
		usleep(20000);
	}
	REQUIRE(rt_container_kill(id, SIGTERM, &err) == 0);
	wait_status(id, RT_EXITED, &st);
	CHECK_EQ_INT(st.exit_code, 143);
	CHECK_EQ_INT(st.signal, 15);
	log = read_log(&p, "term");
	CHECK(has_line(log, "stdout", "got-term"));
	free(log);
	/* killing an exited container is not an error */
	CHECK(rt_container_kill(id, SIGKILL, &err) == 0);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_kill_sigkill_reports_signal_9)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_sandbox sb;
	struct rt_cstate st;
	struct rt_err err = { "", 0 };
	char id[RT_ID_MAX];

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "kill-pod", "uid-kill");
	c = addc(&p, "victim", "sleep 1000");
	sandbox_up(&p, &sb);
	start(&p, c, &img, &sb, id);
	wait_status(id, RT_RUNNING, &st);
	REQUIRE(rt_container_kill(id, SIGKILL, &err) == 0);
	wait_status(id, RT_EXITED, &st);
	CHECK_EQ_INT(st.exit_code, 137);
	CHECK_EQ_INT(st.signal, 9);
	CHECK_EQ_INT(st.oom_killed, 0);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_memory_limit_oom_killed)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_cstate st;
	char *log, cwd[128];

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "oom-pod", "uid-oom");
	c = addc(&p, "hog", NULL);
	/* dd's 64 MiB block buffer alone is four times the limit */
	strlist_add(&c->command, "dd", POD_MAX_ARGS);
	strlist_add(&c->command, "if=/dev/zero", POD_MAX_ARGS);
	strlist_add(&c->command, "of=/dev/null", POD_MAX_ARGS);
	strlist_add(&c->command, "bs=64M", POD_MAX_ARGS);
	strlist_add(&c->command, "count=4", POD_MAX_ARGS);
	c->res.mem_limit_bytes = 16 * 1024 * 1024;
	/* conmon must not drop its "oom" note into the executor's cwd */
	snprintf(cwd, sizeof(cwd), "%s/cwd", fx.base);
	REQUIRE(mkdir(cwd, 0755) == 0 && chdir(cwd) == 0);
	log = run_to_exit(&p, c, &img, &st);
	CHECK_EQ_INT(dir_entries("cwd"), 0);
	CHECK_EQ_INT(st.oom_killed, 1);
	CHECK_EQ_INT(st.exit_code, 137);
	CHECK_EQ_INT(st.signal, 9);
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_read_only_root_fs_refuses_writes)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_cstate st;
	char *log;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "ro-pod", "uid-ro");
	c = addc(&p, "ro", "touch /probe 2>&1; echo rc=$?; echo x >/dev/shm/ok "
	    "&& echo shm-ok");
	c->sc.read_only_root_fs = 1;
	log = run_to_exit(&p, c, &img, &st);
	CHECK_EQ_INT(st.exit_code, 0);
	CHECK(strstr(log, "Read-only file system") != NULL);
	CHECK(has_line(log, "stdout", "rc=1"));
	CHECK(has_line(log, "stdout", "shm-ok"));	/* /dev/shm stays writable */
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_run_as_user_1000)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_cstate st;
	char *log;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "user-pod", "uid-user");
	c = addc(&p, "u", "id -u; id -G");
	c->sc.run_as_user = 1000;
	log = run_to_exit(&p, c, &img, &st);
	CHECK_EQ_INT(st.exit_code, 0);
	CHECK(has_line(log, "stdout", "1000"));
	/* primary group and memberships from the image's /etc/group */
	CHECK(has_line(log, "stdout", "1000 33 100"));
	if (tap_failed_here)
		fprintf(stderr, "log:\n%s\n", log);
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_image_user_name_resolved_in_rootfs)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_cstate st;
	char *log;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	snprintf(img.user, sizeof(img.user), "nobody");
	mkpod(&p, "nobody-pod", "uid-nobody");
	c = addc(&p, "n", "echo $(id -u):$(id -g)");
	log = run_to_exit(&p, c, &img, &st);
	CHECK(has_line(log, "stdout", "65534:65534"));
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_capabilities_drop_all_and_confinement)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c, *d;
	struct rt_cstate st;
	struct rt_sandbox sb;
	char id[RT_ID_MAX], *log;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "caps-pod", "uid-caps");
	c = addc(&p, "nocaps", "grep -E '^(CapEff|NoNewPrivs|Seccomp):' "
	    "/proc/self/status");
	strlist_add(&c->sc.cap_drop, "ALL", POD_MAX_CAPS);
	addc(&p, "defcaps", "grep CapEff /proc/self/status; "
	    "unshare -U true 2>/dev/null && echo unshare-ok || echo unshare-denied");
	c = &p.containers[0];	/* addc may have moved the array */
	d = &p.containers[1];
	sandbox_up(&p, &sb);
	start(&p, c, &img, &sb, id);
	wait_status(id, RT_EXITED, &st);
	start(&p, d, &img, &sb, id);
	wait_status(id, RT_EXITED, &st);
	log = read_log(&p, "nocaps");
	CHECK(has_line(log, "stdout", "CapEff:\t0000000000000000"));
	CHECK(has_line(log, "stdout", "NoNewPrivs:\t1"));
	CHECK(has_line(log, "stdout", "Seccomp:\t2"));
	free(log);
	log = read_log(&p, "defcaps");
	/* containerd's default set */
	CHECK(has_line(log, "stdout", "CapEff:\t00000000a80425fb"));
	/* the seccomp profile refuses user namespaces without SYS_ADMIN */
	CHECK(has_line(log, "stdout", "unshare-denied"));
	if (tap_failed_here)
		fprintf(stderr, "log:\n%s\n", log);
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_start_failure_leaves_nothing)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_sandbox sb;
	struct rt_labels l;
	struct rt_err err = { "", 0 };
	char id[RT_ID_MAX], path[PATH_MAX];
	int n;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "bad-pod", "uid-bad");
	c = addc(&p, "bad", NULL);
	strlist_add(&c->command, "/no/such/binary", POD_MAX_ARGS);
	sandbox_up(&p, &sb);
	mklabels(&l, &p, "bad", &img);
	CHECK(rt_container_start(&p, c, &img, &sb, &l, id, sizeof(id),
	    &err) == -1);
	CHECK(strstr(err.msg, "no/such/binary") != NULL ||
	    strstr(err.msg, "create failed") != NULL);
	printf("# start error: %s\n", err.msg);
	/* only the sandbox is left */
	snprintf(path, sizeof(path), "%s/root/containers", fx.base);
	n = 0;
	{
		DIR *d = opendir(path);
		struct dirent *de;

		REQUIRE(d != NULL);
		while ((de = readdir(d)) != NULL)
			n += de->d_name[0] != '.';
		closedir(d);
	}
	CHECK_EQ_INT(n, 1);
	snprintf(path, sizeof(path), "%s/root/containers/%s", fx.base, sb.id);
	CHECK_EQ_INT(rt_mounts_under(path) >= 0, 1);
	snprintf(path, sizeof(path), "%s/root", fx.base);
	/* the sandbox's shm is the one mount left */
	CHECK_EQ_INT(rt_mounts_under(path), 1);
	rt_image_free(&img);
	pod_free(&p);
}

static int
cgroup_dir_exists(const char *rel)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/fs/cgroup%s", rel);
	if (stat(path, &st) == 0)
		return 1;
	if ((d = opendir("/sys/fs/cgroup")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s", de->d_name,
		    rel);
		if (stat(path, &st) == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

static int
dir_entries(const char *sub)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", fx.base, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			fprintf(stderr, "# %s: %s\n", sub, de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

TEST(test_remove_leaves_nothing_behind)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_sandbox sb;
	struct rt_cstate st;
	struct rt_err err = { "", 0 };
	char id[RT_ID_MAX], path[PATH_MAX], cg[PATH_MAX];
	pid_t cpid, conmon = 0;
	FILE *f;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "rm-pod", "uid-rm");
	c = addc(&p, "busy", "sleep 1000");
	c->res.mem_limit_bytes = 64 << 20;
	c->res.cpu_limit_milli = 500;
	sandbox_up(&p, &sb);
	start(&p, c, &img, &sb, id);
	wait_status(id, RT_RUNNING, &st);
	cpid = st.pid;
	snprintf(path, sizeof(path), "%s/run/conmon/%s.pid", fx.base, id);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%d", &conmon) != 1)
			conmon = 0;
		fclose(f);
	}
	CHECK(conmon > 0 && kill(conmon, 0) == 0);
	/* conmon has left our cgroup for the pod's */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)conmon);
	{
		char *cgtext = NULL, want[128];

		snprintf(want, sizeof(want), "%s/poduid-rm/conmon\n", fx.cgroot);
		REQUIRE(rt_read_file(path, 65536, &cgtext, NULL) == 0);
		CHECK(strstr(cgtext, want) != NULL);
		free(cgtext);
	}
	snprintf(cg, sizeof(cg), "%s/poduid-rm/%s", fx.cgroot, id);
	CHECK(cgroup_dir_exists(cg));
	snprintf(path, sizeof(path), "%s/root", fx.base);
	CHECK_EQ_INT(rt_mounts_under(path), 2);	/* overlay, pod shm */

	/* removing a running container stops it */
	CHECK(rt_container_remove(id, &err) == 0);
	CHECK(kill(cpid, 0) == -1 && errno == ESRCH);
	CHECK(conmon > 0 && kill(conmon, 0) == -1 && errno == ESRCH);
	CHECK(!cgroup_dir_exists(cg));
	snprintf(path, sizeof(path), "%s/root/containers/%s", fx.base, id);
	CHECK(access(path, F_OK) == -1);
	CHECK(rt_container_state(id, &st, &err) == -1);

	CHECK(rt_sandbox_remove(sb.id, &err) == 0);
	if (tap_failed_here)
		fprintf(stderr, "remove: %s\n", err.msg);
	CHECK(kill(sb.pid, 0) == -1 && errno == ESRCH);
	snprintf(path, sizeof(path), "%s/root", fx.base);
	CHECK_EQ_INT(rt_mounts_under(path), 0);
	snprintf(cg, sizeof(cg), "%s/poduid-rm", fx.cgroot);
	CHECK(!cgroup_dir_exists(cg));
	snprintf(path, sizeof(path), "%s/root/containers/%s", fx.base, sb.id);
	CHECK(access(path, F_OK) == -1);
	snprintf(path, sizeof(path), "%s/root/pods/uid-rm", fx.base);
	CHECK(access(path, F_OK) == -1);
	/* and nothing in runDir: exit, pid and socket files, runtime state */
	CHECK_EQ_INT(dir_entries("run/exits"), 0);
	CHECK_EQ_INT(dir_entries("run/conmon"), 0);
	CHECK_EQ_INT(dir_entries("run/socks"), 0);
	CHECK_EQ_INT(dir_entries("run/runtime"), 0);
	CHECK_EQ_INT(dir_entries("root/containers"), 0);
	CHECK_EQ_INT(dir_entries("root/pods"), 0);
	/* removing twice is harmless */
	CHECK(rt_container_remove(id, &err) == 0);
	rt_image_free(&img);
	pod_free(&p);
}

struct seen {
	char			id[4][RT_ID_MAX];
	struct rt_labels	l[4];
	int			n;
};

static void
collect(const char *id, const struct rt_labels *l, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4) {
		snprintf(s->id[s->n], RT_ID_MAX, "%s", id);
		s->l[s->n++] = *l;
	}
}

struct created {
	char	sandbox[RT_ID_MAX];
	char	keeper[RT_ID_MAX];
	char	quitter[RT_ID_MAX];
	pid_t	keeper_pid;
	int64_t	keeper_started;
};

/* in a child that then exits, as an executor that dies would */
static void
create_and_exit(const struct pod *p, const struct rt_image *img,
    struct created *out)
{
	struct created c;
	struct rt_sandbox sb;
	struct rt_cstate st;
	int fds[2];
	pid_t pid;

	memset(&c, 0, sizeof(c));
	REQUIRE(pipe(fds) == 0);
	REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(fds[0]);
		sandbox_up(p, &sb);
		snprintf(c.sandbox, sizeof(c.sandbox), "%s", sb.id);
		start(p, &p->containers[0], img, &sb, c.keeper);
		start(p, &p->containers[1], img, &sb, c.quitter);
		wait_status(c.keeper, RT_RUNNING, &st);
		c.keeper_pid = st.pid;
		c.keeper_started = st.started_at_ns;
		if (write(fds[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(1);
		_exit(0);	/* no atexit teardown: the containers stay */
	}
	close(fds[1]);
	REQUIRE(read(fds[0], out, sizeof(*out)) == (ssize_t)sizeof(*out));
	close(fds[0]);
	REQUIRE(waitpid(pid, NULL, 0) == pid);
}

TEST(test_restart_readopts_running_containers)
{
	struct rt_image img;
	struct pod p;
	struct rt_cstate st;
	struct rt_err err = { "", 0 };
	struct seen seen = { .n = 0 };
	struct created c;
	int i, found = 0;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "keep-pod", "uid-keep");
	addc(&p, "keeper", "sleep 1000");
	addc(&p, "quitter", "sleep 1; exit 7");
	create_and_exit(&p, &img, &c);
	/* the quitter ends while no executor is around */
	sleep(2);

	/* a new executor: fresh init over the same directories */
	memset(&rt, 0, sizeof(rt));
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
	REQUIRE(rt_list(collect, &seen, &err) == 0);
	CHECK_EQ_INT(seen.n, 3);
	for (i = 0; i < seen.n; i++) {
		if (strcmp(seen.id[i], c.keeper) == 0) {
			found |= 1;
			CHECK_STR(seen.l[i].container, "keeper");
			CHECK_STR(seen.l[i].pod_uid, "uid-keep");
			CHECK_STR(seen.l[i].pod_name, "keep-pod");
			CHECK_STR(seen.l[i].spec_hash, "hash-keeper");
			CHECK_STR(seen.l[i].image_digest, img.digest);
		} else if (strcmp(seen.id[i], c.quitter) == 0) {
			found |= 2;
			CHECK_STR(seen.l[i].container, "quitter");
		} else if (strcmp(seen.id[i], c.sandbox) == 0) {
			found |= 4;
			CHECK_STR(seen.l[i].container, "");
		}
	}
	CHECK_EQ_INT(found, 7);
	REQUIRE(rt_container_state(c.keeper, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_RUNNING);
	CHECK_EQ_INT(st.pid, c.keeper_pid);
	CHECK(st.started_at_ns == c.keeper_started);
	REQUIRE(rt_container_state(c.quitter, &st, &err) == 0);
	CHECK_EQ_INT(st.status, RT_EXITED);
	CHECK_EQ_INT(st.exit_code, 7);
	/* and it can still be stopped, and its exit code read */
	REQUIRE(rt_container_kill(c.keeper, SIGKILL, &err) == 0);
	wait_status(c.keeper, RT_EXITED, &st);
	CHECK_EQ_INT(st.exit_code, 137);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_container_needs_running_sandbox)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_sandbox sb;
	struct rt_labels l;
	struct rt_err err = { "", 0 };
	char id[RT_ID_MAX];

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "gone-pod", "uid-gone");
	c = addc(&p, "late", "true");
	sandbox_up(&p, &sb);
	REQUIRE(rt_sandbox_remove(sb.id, &err) == 0);
	mklabels(&l, &p, "late", &img);
	CHECK(rt_container_start(&p, c, &img, &sb, &l, id, sizeof(id),
	    &err) == -1);
	CHECK(strstr(err.msg, "not found") != NULL ||
	    strstr(err.msg, "not running") != NULL);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_init_removes_half_created_containers)
{
	struct rt_err err = { "", 0 };
	struct seen seen = { .n = 0 };
	char path[PATH_MAX];

	if (!fx_setup_dirs(RUNTIME_RUNC))
		return;
	/* a crash between mkdir and labels.json leaves only directories */
	snprintf(path, sizeof(path), "%s/root/containers/%064d/upper", fx.base,
	    7);
	REQUIRE(rt_mkdir_p(path, 0755) == 0);
	REQUIRE(rt_list(collect, &seen, &err) == 0);
	CHECK_EQ_INT(seen.n, 0);
	REQUIRE(rt_init(&fx.cfg, &fx.info, &err) == 0);
	snprintf(path, sizeof(path), "%s/root/containers/%064d", fx.base, 7);
	CHECK(access(path, F_OK) == -1);
}

TEST(test_host_namespaces_when_pod_asks)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_sandbox sb;
	struct rt_cstate st;
	char id[RT_ID_MAX], a[64], b[64], path[64], host[256], *log;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "host-pod", "uid-host");
	p.host_network = p.host_ipc = 1;
	c = addc(&p, "h", "hostname; sleep 1000");
	sandbox_up(&p, &sb);
	CHECK_STR(sb.netns_path, "");
	start(&p, c, &img, &sb, id);
	wait_status(id, RT_RUNNING, &st);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)st.pid);
	read_link(path, a, sizeof(a));
	read_link("/proc/self/ns/net", b, sizeof(b));
	CHECK_STR(a, b);
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)st.pid);
	read_link(path, a, sizeof(a));
	read_link("/proc/self/ns/ipc", b, sizeof(b));
	CHECK_STR(a, b);
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)st.pid);
	read_link(path, a, sizeof(a));
	read_link("/proc/self/ns/pid", b, sizeof(b));
	CHECK(strcmp(a, b) != 0);	/* hostPID was not asked for */
	REQUIRE(gethostname(host, sizeof(host)) == 0);
	usleep(200000);
	log = read_log(&p, "h");
	CHECK(has_line(log, "stdout", host));
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

TEST(test_privileged_gets_all_caps_and_no_seccomp)
{
	struct rt_image img;
	struct pod p;
	struct container_spec *c;
	struct rt_cstate st;
	char *log, *status, want[64], *bnd;

	if (!fx_setup(RUNTIME_RUNC, &img))
		return;
	mkpod(&p, "priv-pod", "uid-priv");
	c = addc(&p, "priv", "grep -E '^(CapEff|Seccomp|NoNewPrivs):' "
	    "/proc/self/status");
	c->sc.privileged = 1;
	log = run_to_exit(&p, c, &img, &st);
	CHECK_EQ_INT(st.exit_code, 0);
	/* everything this node's bounding set has, which is ours */
	REQUIRE(rt_read_file("/proc/self/status", 65536, &status, NULL) == 0);
	REQUIRE((bnd = strstr(status, "CapBnd:\t")) != NULL);
	snprintf(want, sizeof(want), "CapEff:\t%.16s", bnd + 8);
	CHECK(has_line(log, "stdout", want));
	CHECK(has_line(log, "stdout", "Seccomp:\t0"));
	CHECK(has_line(log, "stdout", "NoNewPrivs:\t0"));
	if (tap_failed_here)
		fprintf(stderr, "want %s\nlog:\n%s\n", want, log);
	free(status);
	free(log);
	rt_image_free(&img);
	pod_free(&p);
}

/* ---- the program runner's bounds ---- */

TEST(test_run_output_bounded_at_limit)
{
	char n[32];
	const char *argv[] = { "/usr/bin/head", "-c", n, "/dev/zero", NULL };
	struct rt_run r = { .argv = argv };
	struct rt_err err = { "", 0 };

	snprintf(n, sizeof(n), "%d", RT_RUN_OUT_MAX);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_EQ_INT(r.out_len, RT_RUN_OUT_MAX);
	rt_run_free(&r);
	/* one byte more is cut, and the child is still drained to its end */
	snprintf(n, sizeof(n), "%d", RT_RUN_OUT_MAX + 1);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_EQ_INT(r.out_len, RT_RUN_OUT_MAX);
	rt_run_free(&r);
	snprintf(n, sizeof(n), "%d", 8 * RT_RUN_OUT_MAX);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_EQ_INT(WEXITSTATUS(r.status), 0);
	rt_run_free(&r);
}

TEST(test_run_timeout_kills_child)
{
	const char *argv[] = { "/bin/sleep", "30", NULL };
	struct rt_run r = { .argv = argv, .timeout_ms = 300 };
	struct rt_err err = { "", 0 };
	time_t t0 = time(NULL);

	CHECK(rt_run(&r, &err) == -1);
	CHECK(strstr(err.msg, "timed out") != NULL);
	CHECK(time(NULL) - t0 < 5);
	CHECK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
	rt_run_free(&r);
}

TEST(test_run_feeds_stdin_and_fixed_env)
{
	const char *cat[] = { "/bin/cat", NULL };
	const char *env[] = { "/usr/bin/env", NULL };
	struct rt_run r = { .argv = cat, .in = "hello\n", .in_len = 6 };
	struct rt_err err = { "", 0 };

	setenv("AGENTD_LEAK", "1", 1);
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK_STR(r.out, "hello\n");
	rt_run_free(&r);
	memset(&r, 0, sizeof(r));
	r.argv = env;
	REQUIRE(rt_run_ok(&r, &err) == 0);
	CHECK(strstr(r.out, "AGENTD_LEAK") == NULL);
	CHECK(strstr(r.out, "PATH=") != NULL);
	rt_run_free(&r);
	/* no shell: the argument is one argv entry, not a command line */
	{
		const char *echo[] = { "/bin/echo", "a; echo b", NULL };

		memset(&r, 0, sizeof(r));
		r.argv = echo;
		REQUIRE(rt_run_ok(&r, &err) == 0);
		CHECK_STR(r.out, "a; echo b\n");
		rt_run_free(&r);
	}
}
