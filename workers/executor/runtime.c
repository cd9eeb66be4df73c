/*
 * The container runtime backend: picks runc or crun, and runs every
 * container (the pods' infra containers too) under its own conmon, so
 * that containers, their logs and their exit codes outlive the executor
 * and agentd.  All state is on disk (see rt_private.h for the layout);
 * a restarted executor calls rt_init and rt_list and carries on.
 *
 * Starting a container, as podman and CRI-O do:
 *   conmon --api-version 1 -c ID -u ID -n ID -r RUNTIME -b BUNDLE
 *     -p BUNDLE/pidfile -P RUNDIR/conmon/ID.pid -l k8s-file:LOG
 *     --exit-dir RUNDIR/exits --socket-dir-path
 *     RUNDIR/socks -0 BUNDLE --runtime-arg=--root=RUNDIR/runtime
 * with _OCI_STARTPIPE=4 (conmon waits on it until we have moved it into
 * the pod's conmon cgroup) and _OCI_SYNCPIPE=3 (it reports {"data": PID}
 * once `RUNTIME create` is done, or a negative value and the runtime's
 * error); conmon forks itself away and we then run `RUNTIME start ID`.
 * conmon writes the CRI log format (`<RFC3339Nano> stdout F text`) and,
 * when the container ends, its exit status (128+N for signal N) to
 * RUNDIR/exits/ID.  conmon's own --log-size-max is not used: it
 * truncates the file, losing what it held; the executor rotates the logs
 * instead (logrotate.c) and conmon reopens on its control FIFO.
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_private.h"
#include "volumes.h"

#define RT_SYNC_TIMEOUT_MS	(60 * 1000)	/* `runtime create` under conmon */
#define RT_SYNC_MAX		(64 * 1024)
#define RT_CONMON_EXIT_WAIT_MS	5000
#define RT_WAIT_SLICE_NS	(20 * 1000 * 1000)
#define RT_PAUSE_MAX		(32 * 1024 * 1024)
#define RT_EXIT_UNKNOWN		255	/* stopped, but conmon left no exit file */
#define RT_MAX_SIGNAL		64

struct rt_ctx rt;

/* ---- small helpers ---- */

void
ctr_dir(char *buf, size_t len, const char *id)
{
	snprintf(buf, len, "%s/containers/%s", rt.root_dir, id);
}

static int
ctr_file(char *buf, size_t len, const char *id, const char *name)
{
	return rt_path(buf, len, "%s/containers/%s/%s", rt.root_dir, id, name);
}

static int
ctr_exit_path(char *buf, size_t len, const char *id)
{
	return rt_path(buf, len, "%s/exits/%s", rt.run_dir, id);
}

static int
ctr_conmon_pidfile(char *buf, size_t len, const char *id)
{
	return rt_path(buf, len, "%s/conmon/%s.pid", rt.run_dir, id);
}

/* argv prefix for the OCI runtime: RUNTIME --root RUNDIR/runtime CMD */
int
rt_runtime_argv(const char **argv, int max, const char *cmd)
{
	static char root[PATH_MAX];

	if (max < 5)
		return -1;
	snprintf(root, sizeof(root), "%s/runtime", rt.run_dir);
	argv[0] = rt.info.runtime_path;
	argv[1] = "--root";
	argv[2] = root;
	argv[3] = cmd;
	return 4;
}

static int
rt_runtime(const char *cmd, const char *id, const char *arg,
    struct rt_run *r, struct rt_err *err)
{
	const char *argv[10];
	int n;

	memset(r, 0, sizeof(*r));
	n = rt_runtime_argv(argv, 10, cmd);
	if (strcmp(cmd, "delete") == 0)
		argv[n++] = "--force";
	argv[n++] = id;
	if (arg != NULL)
		argv[n++] = arg;
	argv[n] = NULL;
	r->argv = argv;
	return rt_run_ok(r, err);
}

static int	start_failed;	/* rt_start_failed() */

int
rt_start_failed(void)
{
	return start_failed;
}

/* `RUNTIME start ID`: the created container's process execs its args */
int
ctr_start(const char *id, struct rt_err *err)
{
	struct rt_run r;
	int rc;

	if ((rc = rt_runtime("start", id, NULL, &r, err)) == -1)
		start_failed = 1;
	rt_run_free(&r);
	return rc;
}

/* ---- metadata ---- */

int
ctr_write_meta(const char *id, cJSON *meta, struct rt_err *err)
{
	char path[PATH_MAX];

	if (ctr_file(path, sizeof(path), id, "meta.json") == -1 ||
	    rt_json_save_volatile(path, meta) == -1)
		return rt_seterrno(err, "write %s/meta.json", id);
	return 0;
}

cJSON *
ctr_read_meta(const char *id)
{
	char path[PATH_MAX];

	if (!rt_valid_id(id) || ctr_file(path, sizeof(path), id,
	    "meta.json") == -1)
		return NULL;
	return rt_json_load(path);
}

static int
meta_set_num(cJSON *meta, const char *key, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
	return cJSON_AddNumberToObject(meta, key, v) ? 0 : -1;
}

int
ctr_write_labels(const char *id, const struct rt_labels *l, struct rt_err *err)
{
	char path[PATH_MAX];
	cJSON *j = cJSON_CreateObject();
	int ret = -1;

	if (j == NULL ||
	    !cJSON_AddStringToObject(j, "pod_namespace", l->pod_namespace) ||
	    !cJSON_AddStringToObject(j, "pod_name", l->pod_name) ||
	    !cJSON_AddStringToObject(j, "pod_uid", l->pod_uid) ||
	    !cJSON_AddStringToObject(j, "container", l->container) ||
	    !cJSON_AddNumberToObject(j, "restart_count", l->restart_count) ||
	    !cJSON_AddStringToObject(j, "image_digest", l->image_digest) ||
	    !cJSON_AddStringToObject(j, "spec_hash", l->spec_hash) ||
	    !cJSON_AddNumberToObject(j, "pod_created_ns",
	    (double)l->pod_created_ns)) {
		rt_seterr(err, "out of memory");
		goto out;
	}
	if (ctr_file(path, sizeof(path), id, "labels.json") == -1 ||
	    rt_json_save_volatile(path, j) == -1) {
		rt_seterrno(err, "write %s/labels.json", id);
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(j);
	return ret;
}

static int
copy_str(char *dst, size_t len, const char *src)
{
	if (src == NULL || strlen(src) >= len)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

int
ctr_read_labels(const char *id, struct rt_labels *l)
{
	char path[PATH_MAX];
	cJSON *j;
	int64_t rc;
	int ret = -1;

	memset(l, 0, sizeof(*l));
	if (!rt_valid_id(id) || ctr_file(path, sizeof(path), id,
	    "labels.json") == -1 || (j = rt_json_load(path)) == NULL)
		return -1;
	rc = rt_json_int(j, "restart_count", -1);
	if (copy_str(l->pod_namespace, sizeof(l->pod_namespace),
	    rt_json_str(j, "pod_namespace")) == -1 ||
	    copy_str(l->pod_name, sizeof(l->pod_name),
	    rt_json_str(j, "pod_name")) == -1 ||
	    copy_str(l->pod_uid, sizeof(l->pod_uid),
	    rt_json_str(j, "pod_uid")) == -1 ||
	    copy_str(l->container, sizeof(l->container),
	    rt_json_str(j, "container")) == -1 ||
	    copy_str(l->image_digest, sizeof(l->image_digest),
	    rt_json_str(j, "image_digest")) == -1 ||
	    copy_str(l->spec_hash, sizeof(l->spec_hash),
	    rt_json_str(j, "spec_hash")) == -1 || rc < 0 || rc > UINT32_MAX)
		goto out;
	l->restart_count = (uint32_t)rc;
	/* absent in labels written before it existed: unknown */
	l->pod_created_ns = rt_json_int(j, "pod_created_ns", 0);
	if (l->pod_created_ns < 0)
		l->pod_created_ns = 0;
	ret = 0;
out:
	cJSON_Delete(j);
	return ret;
}

/* ---- init ---- */

/* paths end up in mount options and skopeo/umoci references */
static int
rt_check_dir(const char *what, const char *path, struct rt_err *err)
{
	if (path[0] != '/')
		return rt_seterr(err, "%s \"%s\": must be an absolute path",
		    what, path);
	if (strpbrk(path, ":,\\\n ") != NULL)
		return rt_seterr(err, "%s \"%s\": must not contain ':', ',', "
		    "'\\', space or newline", what, path);
	if (strstr(path, "/..") != NULL)
		return rt_seterr(err, "%s \"%s\": must not contain \"..\"",
		    what, path);
	if (strlen(path) > CONFIG_MAX_PATH / 2)
		return rt_seterr(err, "%s: longer than %d bytes", what,
		    CONFIG_MAX_PATH / 2);
	return 0;
}

static int
rt_crun_usable(char *why, size_t len)
{
	char ctrls[256], fix[1024] = "", one[160];
	char *c, *save = NULL;

	if (cg_crun_blocker(&rt.cg, ctrls, sizeof(ctrls)) == 0)
		return 1;
	for (c = strtok_r(ctrls, ",", &save); c != NULL;
	    c = strtok_r(NULL, ",", &save)) {
		if (rt_path(one, sizeof(one), "%smkdir /sys/fs/cgroup/%s && "
		    "mount -t cgroup -o %s cgroup /sys/fs/cgroup/%s",
		    fix[0] ? " && " : "", c, c, c) == 0)
			rt_strlcat(fix, one, sizeof(fix));
	}
	snprintf(why, len, "crun 1.8 refuses this host's hybrid cgroup layout: "
	    "the cgroup2 hierarchy holds controllers with no v1 mount; fix: "
	    "`%s` (or use runtime: runc)", fix);
	return 0;
}

static int
rt_runs(const char *path)
{
	const char *argv[] = { path, "--version", NULL };
	struct rt_run r = { .argv = argv };
	int ok;

	ok = rt_run_ok(&r, NULL) == 0;
	rt_run_free(&r);
	return ok;
}

static int
rt_pick_runtime(const struct agentd_config *cfg, struct rt_err *err)
{
	struct rt_info *in = &rt.info;
	char why[1536], crun[CONFIG_MAX_PATH];
	const char *name;

	if (cfg->runtime == RUNTIME_CRUN || cfg->runtime == RUNTIME_RUNC) {
		name = cfg->runtime == RUNTIME_CRUN ? "crun" : "runc";
		if (rt_find_exec(cfg->runtime_path[0] ? cfg->runtime_path : name,
		    RT_DEFAULT_PATH, in->runtime_path,
		    sizeof(in->runtime_path)) == -1)
			return rt_seterr(err, "runtime: %s not found (%s)", name,
			    cfg->runtime_path[0] ? cfg->runtime_path :
			    RT_DEFAULT_PATH);
		if (cfg->runtime == RUNTIME_CRUN && !rt_crun_usable(why,
		    sizeof(why)))
			return rt_seterr(err, "runtime: crun: %s", why);
	} else if (cfg->runtime_path[0]) {
		name = strstr(cfg->runtime_path, "crun") ? "crun" : "runc";
		if (rt_find_exec(cfg->runtime_path, RT_DEFAULT_PATH,
		    in->runtime_path, sizeof(in->runtime_path)) == -1)
			return rt_seterr(err, "runtime_path: %s is not an "
			    "executable", cfg->runtime_path);
		if (strcmp(name, "crun") == 0 && !rt_crun_usable(why,
		    sizeof(why)))
			return rt_seterr(err, "runtime_path: %s: %s",
			    cfg->runtime_path, why);
	} else if (rt_find_exec("crun", RT_DEFAULT_PATH, crun,
	    sizeof(crun)) == 0 && rt_crun_usable(why, sizeof(why)) &&
	    rt_runs(crun)) {
		name = "crun";
		snprintf(in->runtime_path, sizeof(in->runtime_path), "%s", crun);
	} else if (rt_find_exec("runc", RT_DEFAULT_PATH, in->runtime_path,
	    sizeof(in->runtime_path)) == 0) {
		name = "runc";
	} else
		return rt_seterr(err, "runtime: neither a usable crun nor runc "
		    "found in %s", RT_DEFAULT_PATH);
	snprintf(in->runtime_name, sizeof(in->runtime_name), "%s", name);
	if (!rt_runs(in->runtime_path))
		return rt_seterr(err, "runtime: %s --version fails",
		    in->runtime_path);
	return 0;
}

static int
rt_make_dirs(struct rt_err *err)
{
	static const char *const root_sub[] = { "images/oci", "images/rootfs",
		"images/tmp", "containers", "pods", "pause/rootfs/proc",
		"pause/rootfs/dev", "pause/rootfs/sys", NULL };
	static const char *const run_sub[] = { "runtime", "exits", "conmon",
		"socks", NULL };
	static const char policy[] =
	    "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}\n";
	char path[PATH_MAX];
	int i;

	for (i = 0; root_sub[i] != NULL; i++)
		if (rt_path(path, sizeof(path), "%s/%s", rt.root_dir,
		    root_sub[i]) == -1 || rt_mkdir_p(path, 0700) == -1)
			return rt_seterrno(err, "mkdir %s/%s", rt.root_dir,
			    root_sub[i]);
	for (i = 0; run_sub[i] != NULL; i++)
		if (rt_path(path, sizeof(path), "%s/%s", rt.run_dir,
		    run_sub[i]) == -1 || rt_mkdir_p(path, 0700) == -1)
			return rt_seterrno(err, "mkdir %s/%s", rt.run_dir,
			    run_sub[i]);
	/* the infra rootfs and the image rootfses are entered as nobody */
	if (rt_path(path, sizeof(path), "%s/pause", rt.root_dir) == -1 ||
	    chmod(path, 0711) == -1 ||
	    rt_path(path, sizeof(path), "%s/pause/rootfs", rt.root_dir) == -1 ||
	    chmod(path, 0755) == -1 ||
	    rt_path(path, sizeof(path), "%s/images", rt.root_dir) == -1 ||
	    chmod(path, 0711) == -1 ||
	    rt_path(path, sizeof(path), "%s/images/rootfs", rt.root_dir) == -1 ||
	    chmod(path, 0711) == -1 ||
	    rt_path(path, sizeof(path), "%s/containers", rt.root_dir) == -1 ||
	    chmod(path, 0711) == -1)
		return rt_seterrno(err, "chmod %s", path);
	/* local files only: there is no signature to check, no registry */
	if (rt_path(path, sizeof(path), "%s/images/policy.json",
	    rt.root_dir) == -1 || rt_write_file(path, policy, strlen(policy),
	    0600) == -1)
		return rt_seterrno(err, "write %s", path);
	return 0;
}

/* copy agentd-pause into the infra rootfs; a running one keeps its inode */
static int
rt_install_pause(struct rt_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX], *buf;
	size_t len;
	int ret;

	if (rt_path(src, sizeof(src), "%s/agentd-pause", rt.libexec_dir) == -1 ||
	    rt_path(dst, sizeof(dst), "%s/pause/rootfs/agentd-pause",
	    rt.root_dir) == -1)
		return rt_seterr(err, "libexec_dir: path too long");
	if (rt_read_file(src, RT_PAUSE_MAX, &buf, &len) == -1)
		return rt_seterrno(err, "libexec_dir: read %s", src);
	ret = rt_write_file(dst, buf, len, 0755);
	free(buf);
	if (ret == -1 || chmod(dst, 0755) == -1)
		return rt_seterrno(err, "install %s", dst);
	return 0;
}

/*
 * labels.json is written before anything is mounted or started, so a
 * container directory without it is the debris of a crash during
 * rt_container_start or rt_sandbox_create: nothing to re-adopt.
 */
static void
rt_remove_unlabelled(void)
{
	char path[PATH_MAX];
	struct rt_labels l;
	struct rt_err ignore;
	struct dirent *de;
	DIR *d;

	if (rt_path(path, sizeof(path), "%s/containers", rt.root_dir) == -1 ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!rt_valid_id(de->d_name) ||
		    strlen(de->d_name) != RT_HEXID_LEN ||
		    ctr_read_labels(de->d_name, &l) == 0)
			continue;
		ctr_remove(de->d_name, &ignore);
	}
	closedir(d);
}

int
rt_init(const struct agentd_config *cfg, struct rt_info *info,
    struct rt_err *err)
{
	memset(&rt, 0, sizeof(rt));
	if (rt_check_dir("root_dir", cfg->root_dir, err) == -1 ||
	    rt_check_dir("run_dir", cfg->run_dir, err) == -1 ||
	    rt_check_dir("pod_logs_dir", cfg->pod_logs_dir, err) == -1 ||
	    rt_check_dir("libexec_dir", cfg->libexec_dir, err) == -1)
		return -1;
	if (cfg->cgroup_root[0] != '/' || strstr(cfg->cgroup_root, "..") ||
	    strpbrk(cfg->cgroup_root, ":,\n ") != NULL ||
	    strlen(cfg->cgroup_root) > 256)
		return rt_seterr(err, "cgroup_root \"%s\": must be an absolute "
		    "cgroup path without \"..\", ':', ',' or spaces",
		    cfg->cgroup_root);
	snprintf(rt.root_dir, sizeof(rt.root_dir), "%s", cfg->root_dir);
	/* the executor's configuration lives as long as the process */
	rt.policy = &cfg->policy;
	snprintf(rt.run_dir, sizeof(rt.run_dir), "%s", cfg->run_dir);
	snprintf(rt.pod_logs_dir, sizeof(rt.pod_logs_dir), "%s",
	    cfg->pod_logs_dir);
	snprintf(rt.cgroup_root, sizeof(rt.cgroup_root), "%s",
	    cfg->cgroup_root);
	/* "/agentd/" and "/agentd" name the same cgroup */
	while (strlen(rt.cgroup_root) > 1 &&
	    rt.cgroup_root[strlen(rt.cgroup_root) - 1] == '/')
		rt.cgroup_root[strlen(rt.cgroup_root) - 1] = '\0';
	snprintf(rt.libexec_dir, sizeof(rt.libexec_dir), "%s", cfg->libexec_dir);
	snprintf(rt.cni_bin_dir, sizeof(rt.cni_bin_dir), "%s",
	    cfg->cni_bin_dir);
	snprintf(rt.node_ips, sizeof(rt.node_ips), "%s", cfg->node_ips);
	snprintf(rt.cluster_dns, sizeof(rt.cluster_dns), "%s",
	    cfg->cluster_dns);
	snprintf(rt.cluster_domain, sizeof(rt.cluster_domain), "%s",
	    cfg->cluster_domain);
	snprintf(rt.cni_conf_dir, sizeof(rt.cni_conf_dir), "%s",
	    cfg->cni_conf_dir);
	rt.api_mode = cfg->kubeconfig[0] != '\0';
	rt.force_nnp = cfg->policy.force_no_new_privs;
	rt.pod_pids_limit = cfg->pod_pids_limit;
	rt.netparse_fd = -1;
	if (cg_detect(&rt.cg, err) == -1 || rt_pick_runtime(cfg, err) == -1)
		return -1;
	rt.info.cgroup_v2 = rt.cg.v2_pure;
	if (rt_find_exec(cfg->conmon_path[0] ? cfg->conmon_path : "conmon",
	    RT_DEFAULT_PATH ":/usr/libexec/podman:/usr/lib/podman",
	    rt.info.conmon_path, sizeof(rt.info.conmon_path)) == -1)
		return rt_seterr(err, "conmon_path: %s not found",
		    cfg->conmon_path[0] ? cfg->conmon_path : "conmon");
	if (rt_make_dirs(err) == -1 || rt_install_pause(err) == -1 ||
	    st_init(cfg->storage_driver, err) == -1)
		return -1;
	rt_remove_unlabelled();
	pin_sweep();
	rt_pod_dirs_sweep();
	if (info != NULL)
		*info = rt.info;
	rt.initialized = 1;
	return 0;
}

/* allocatable is capacity on this node (no reservations: nodestatus.c) */
void
rt_set_allocatable(uint32_t cpus, uint64_t memory_bytes)
{
	rt.alloc_cpu_milli = (int64_t)cpus * 1000;
	rt.alloc_mem_bytes = memory_bytes > INT64_MAX ? INT64_MAX :
	    (int64_t)memory_bytes;
}

/* ---- conmon ---- */

struct conmon_spawn {
	const char	*cgroup;
	int		 start_fd;
	struct rt_err	*err;
	int		 failed;
};

/* conmon waits on its start pipe until it sits in the pod's cgroup */
static int
conmon_placed(pid_t pid, void *arg)
{
	struct conmon_spawn *s = arg;

	if (cg_attach(s->cgroup, pid, s->err) == -1) {
		s->failed = 1;
		return -1;
	}
	if (write(s->start_fd, "0", 1) != 1) {
		rt_seterrno(s->err, "write conmon start pipe");
		s->failed = 1;
		return -1;
	}
	return 0;
}

/*
 * The runtime's error as conmon passes it on: runc writes a logrus line,
 * time="..." level=error msg="runc create failed: ...", whose msg is
 * the part worth a status message (quotes in it escaped as \").  Only
 * its first line; anything else is kept as it came.
 */
static void
runtime_create_error(const char *text, struct rt_err *err)
{
	char msg[RT_ERR_MAX], prefix[32];
	const char *p, *q;
	size_t n = 0;

	p = strstr(text, " msg=\"");
	if (strncmp(text, "time=\"", 6) != 0 || p == NULL ||
	    (size_t)(p - text) > strcspn(text, "\n")) {
		rt_seterr(err, "%s create failed: %.*s", rt.info.runtime_name,
		    (int)strcspn(text, "\n"), text);
		return;
	}
	for (q = p + 6; *q != '\0' && *q != '"' && *q != '\n' &&
	    n + 1 < sizeof(msg); q++) {
		if (q[0] == '\\' && q[1] != '\0' && q[1] != '\n')
			q++;
		msg[n++] = *q;
	}
	msg[n] = '\0';
	snprintf(prefix, sizeof(prefix), "%s create failed: ",
	    rt.info.runtime_name);
	if (strncmp(msg, prefix, strlen(prefix)) == 0)
		rt_seterr(err, "%s", msg);
	else
		rt_seterr(err, "%s%s", prefix, msg);
}

/* read conmon's {"data": N, "message": "..."} line */
static int
conmon_sync(int fd, pid_t *pid, struct rt_err *err)
{
	char buf[RT_SYNC_MAX + 1];
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct timespec t0, t;
	size_t len = 0;
	ssize_t n;
	int left, ret = -1;
	const char *msg;
	cJSON *j;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (len < RT_SYNC_MAX && memchr(buf, '\n', len) == NULL) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = RT_SYNC_TIMEOUT_MS - (int)((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return rt_seterr(err, "conmon: no word from the runtime "
			    "after %d ms", RT_SYNC_TIMEOUT_MS);
		if (poll(&pfd, 1, left) == -1 && errno != EINTR)
			return rt_seterrno(err, "poll conmon sync pipe");
		if ((n = read(fd, buf + len, RT_SYNC_MAX - len)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return rt_seterrno(err, "read conmon sync pipe");
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (len == 0)
		return rt_seterr(err, "conmon exited without reporting the "
		    "container's pid");
	if ((j = cJSON_Parse(buf)) == NULL)
		return rt_seterr(err, "conmon: unparsable sync message");
	n = rt_json_int(j, "data", -1);
	msg = rt_json_str(j, "message");
	if (n <= 0) {
		runtime_create_error(msg ? msg : "(no message)", err);
		start_failed = 1;
	}
	else {
		*pid = (pid_t)n;
		ret = 0;
	}
	cJSON_Delete(j);
	return ret;
}

static pid_t
conmon_pid(const char *id)
{
	char path[PATH_MAX], comm[64], *buf;
	pid_t pid;

	if (ctr_conmon_pidfile(path, sizeof(path), id) == -1 ||
	    rt_read_file(path, 64, &buf, NULL) == -1)
		return -1;
	pid = (pid_t)atoi(buf);
	free(buf);
	/* a recycled pid must not be mistaken for our conmon */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (pid <= 0 || rt_read_file(path, sizeof(comm), &buf, NULL) == -1)
		return -1;
	pid = strncmp(buf, "conmon", 6) == 0 ? pid : -1;
	free(buf);
	return pid;
}

int
ctr_launch(const char *id, const char *bundle, const char *log_path,
    const struct pod *p, pid_t *pid, struct rt_err *err)
{
	char cgroup[PATH_MAX], pidfile[PATH_MAX], cpidfile[PATH_MAX];
	char logarg[PATH_MAX + 16], exits[PATH_MAX], socks[PATH_MAX];
	char rootarg[PATH_MAX + 32];
	const char *argv[RT_RUN_MAX_ARGS];
	static const char *const envp[] = { "PATH=" RT_DEFAULT_PATH, "LC_ALL=C",
		"_OCI_SYNCPIPE=3", "_OCI_STARTPIPE=4", NULL };
	int sync[2] = { -1, -1 }, start[2] = { -1, -1 }, n = 0, ret = -1;
	struct conmon_spawn spawn = { 0 };
	struct rt_run r = { 0 };
	pid_t cpid;

	cg_conmon_path(cgroup, sizeof(cgroup), p);
	if (rt_path(pidfile, sizeof(pidfile), "%s/pidfile", bundle) == -1 ||
	    ctr_conmon_pidfile(cpidfile, sizeof(cpidfile), id) == -1 ||
	    rt_path(logarg, sizeof(logarg), "k8s-file:%s", log_path) == -1 ||
	    rt_path(exits, sizeof(exits), "%s/exits", rt.run_dir) == -1 ||
	    rt_path(socks, sizeof(socks), "%s/socks", rt.run_dir) == -1 ||
	    rt_path(rootarg, sizeof(rootarg), "--runtime-arg=--root=%s/runtime",
	    rt.run_dir) == -1)
		return rt_seterr(err, "conmon: path too long");
	/* the pod cgroup goes when its last process does (a pinned pod's
	   container exited): made again, with the pod's limits */
	if (cg_pod_setup(p, err) == -1 || cg_create(cgroup, err) == -1)
		return -1;
	if (pipe2(sync, O_CLOEXEC) == -1 || pipe2(start, O_CLOEXEC) == -1) {
		rt_seterrno(err, "pipe");
		goto out;
	}
	argv[n++] = rt.info.conmon_path;
	argv[n++] = "--api-version";
	argv[n++] = "1";
	argv[n++] = "-c";
	argv[n++] = id;
	argv[n++] = "-u";
	argv[n++] = id;
	argv[n++] = "-n";
	argv[n++] = id;
	argv[n++] = "-r";
	argv[n++] = rt.info.runtime_path;
	argv[n++] = "-b";
	argv[n++] = bundle;
	argv[n++] = "-p";
	argv[n++] = pidfile;
	argv[n++] = "-P";
	argv[n++] = cpidfile;
	argv[n++] = "-l";
	argv[n++] = logarg;
	argv[n++] = "--exit-dir";
	argv[n++] = exits;
	argv[n++] = "--socket-dir-path";
	argv[n++] = socks;
	argv[n++] = "-0";
	argv[n++] = bundle;
	argv[n++] = rootarg;
	argv[n] = NULL;
	r.argv = argv;
	r.envp = envp;
	r.cwd = bundle;		/* conmon writes its v1 "oom" note into its cwd */
	r.pass_fds[0] = sync[1];
	r.pass_fds[1] = start[0];
	r.n_pass_fds = 2;
	spawn.cgroup = cgroup;
	spawn.start_fd = start[1];
	spawn.err = err;
	r.on_spawn = conmon_placed;
	r.on_spawn_arg = &spawn;
	if (rt_run(&r, err) == -1)
		goto out;
	if (spawn.failed)
		goto out;
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		rt_seterr(err, "conmon: exit %d: %.200s", WIFEXITED(r.status) ?
		    WEXITSTATUS(r.status) : 128 + WTERMSIG(r.status), r.err);
		goto out;
	}
	/* only conmon may hold the write end now, so EOF means it died */
	close(sync[1]);
	sync[1] = -1;
	if (conmon_sync(sync[0], pid, err) == -1) {
		if ((cpid = conmon_pid(id)) > 0)
			kill(cpid, SIGKILL);
		goto out;
	}
	ret = 0;
out:
	rt_run_free(&r);
	for (n = 0; n < 2; n++) {
		if (sync[n] != -1)
			close(sync[n]);
		if (start[n] != -1)
			close(start[n]);
	}
	return ret;
}

/* ---- containers ---- */

static int
ctr_log_dir(const struct rt_labels *l, char *buf, size_t len)
{
	return rt_path(buf, len, "%s/%s_%s_%s/%s", rt.pod_logs_dir,
	    l->pod_namespace, l->pod_name, l->pod_uid, l->container);
}

int
rt_container_log_path(const struct rt_labels *l, char *buf, size_t len)
{
	char dir[PATH_MAX];

	if (ctr_log_dir(l, dir, sizeof(dir)) == -1)
		return -1;
	return rt_path(buf, len, "%s/%u.log", dir, l->restart_count);
}

/* a pod uid and a container name become path components */
int
rt_safe_component(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

int
rt_check_labels(const struct rt_labels *l, struct rt_err *err)
{
	if (!rt_safe_component(l->pod_uid))
		return rt_seterr(err, "pod uid \"%s\": only letters, digits, "
		    "'-', '_' and '.' allowed", l->pod_uid);
	if (!rt_safe_component(l->pod_namespace) ||
	    !rt_safe_component(l->pod_name))
		return rt_seterr(err, "pod %s/%s: namespace and name must be "
		    "DNS names", l->pod_namespace, l->pod_name);
	if (l->container[0] != '\0' && !rt_safe_component(l->container))
		return rt_seterr(err, "container name \"%s\": must be a DNS "
		    "label", l->container);
	return 0;
}

static int
container_start(const struct pod *p, const struct container_spec *c,
    const struct rt_image *img, const struct rt_sandbox *sb,
    const struct rt_labels *labels, char *id_out, size_t idlen,
    struct rt_err *err)
{
	char id[RT_HEXID_LEN + 1], dir[PATH_MAX], path[PATH_MAX];
	char cgpath[PATH_MAX], log_path[PATH_MAX], logdir[PATH_MAX];
	char poddir[PATH_MAX], termfile[PATH_MAX], **mount_src = NULL;
	struct bundle_paths bp = { 0 };
	struct sandbox_ns ns;
	cJSON *meta = NULL, *cfg = NULL;
	int created = 0, ret = -1;
	uint32_t j;
	pid_t pid;
	struct rt_err ignore;

	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (p == NULL || c == NULL || img == NULL || sb == NULL ||
	    labels == NULL || idlen < RT_HEXID_LEN + 1)
		return rt_seterr(err, "rt_container_start: bad arguments");
	if (rt_check_labels(labels, err) == -1)
		return -1;
	if (c->name == NULL || strcmp(c->name, labels->container) != 0)
		return rt_seterr(err, "container name and labels disagree");
	if (img->rootfs[0] != '/')
		return rt_seterr(err, "image %s is not unpacked", img->ref);
	/* a pinned sandbox is checked by its mounts: no runtime call */
	if (infra_running(sb->id, &ns, err) == -1)
		return -1;
	if (rt_random_id(id, sizeof(id)) == -1)
		return rt_seterr(err, "no randomness for a container id");
	ctr_dir(dir, sizeof(dir), id);
	cg_container_path(cgpath, sizeof(cgpath), p, id);
	if (rt_container_log_path(labels, log_path, sizeof(log_path)) == -1 ||
	    ctr_log_dir(labels, logdir, sizeof(logdir)) == -1 ||
	    rt_path(poddir, sizeof(poddir), "%s/pods/%s", rt.root_dir,
	    labels->pod_uid) == -1)
		return rt_seterr(err, "log path too long");
	if (mkdir(dir, 0700) == -1)
		return rt_seterrno(err, "mkdir %s", dir);
	created = 1;
	if (rt_path(path, sizeof(path), "%s/rootfs", dir) == -1 ||
	    mkdir(path, 0755) == -1) {
		rt_seterrno(err, "mkdir %s", path);
		goto out;
	}
	/* labels and meta first: a crash from here on leaves a listable id */
	if (ctr_write_labels(id, labels, err) == -1)
		goto out;
	if ((meta = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(meta, "kind", "container") ||
	    !cJSON_AddStringToObject(meta, "pod_uid", labels->pod_uid) ||
	    !cJSON_AddStringToObject(meta, "sandbox_id", sb->id) ||
	    !cJSON_AddStringToObject(meta, "cgroup", cgpath) ||
	    !cJSON_AddStringToObject(meta, "log_path", log_path) ||
	    !cJSON_AddStringToObject(meta, "image", img->ref) ||
	    !cJSON_AddStringToObject(meta, "storage",
	    st_driver_name(rt.storage)) ||
	    !cJSON_AddNumberToObject(meta, "created_ns", (double)rt_now_ns()) ||
	    !cJSON_AddNumberToObject(meta, "started_ns", 0)) {
		rt_seterr(err, "out of memory");
		goto out;
	}
	if (ctr_write_meta(id, meta, err) == -1)
		goto out;
	if (st_rootfs_create(dir, img->rootfs, err) == -1) {
		rt_wrap(err, "preparing the root filesystem");
		goto out;
	}
	bp.id = id;
	bp.rootfs = "rootfs";
	bp.cgroups_path = cgpath;
	bp.pod_dir = poddir;
	bp.shm = ns.host_ipc ? NULL : ns.shm;
	bp.ns = &ns;
	bp.sandbox_id = sb->id;
	bp.labels = labels;
	/* hostNetwork: the pod's IPs are the node's (kubelet) */
	bp.pod_ips = p->host_network ? rt.node_ips : sb->pod_ip;
	/* an empty message file for this run (termmsg.c) */
	if (rt_term_msg_prepare(labels->pod_uid, c->name, termfile,
	    sizeof(termfile), err) == -1)
		goto out;
	bp.term_msg_src = termfile;
	bp.term_msg_dst = c->term_msg_path != NULL ? c->term_msg_path :
	    POD_TERM_MSG_PATH_DEFAULT;
	/* the volumes' bind sources: directories the executor made */
	if (c->n_mounts > 0 && ((mount_src = calloc(c->n_mounts,
	    sizeof(*mount_src))) == NULL ||
	    vol_mount_sources(p, c, mount_src, err) == -1)) {
		if (mount_src == NULL)
			rt_seterr(err, "out of memory");
		rt_wrap(err, "preparing the volume mounts");
		goto out;
	}
	bp.mounts = c->mounts;
	bp.n_mounts = c->n_mounts;
	bp.mount_src = mount_src;
	if ((cfg = bundle_container(p, c, img, &bp, err)) == NULL) {
		rt_wrap(err, "building config.json");
		goto out;
	}
	if (rt_path(path, sizeof(path), "%s/config.json", dir) == -1 ||
	    rt_json_save_volatile(path, cfg) == -1) {
		rt_seterrno(err, "write %s/config.json", dir);
		goto out;
	}
	if (rt_mkdir_p(logdir, 0755) == -1) {
		rt_seterrno(err, "mkdir %s", logdir);
		goto out;
	}
	if (ctr_launch(id, dir, log_path, p, &pid, err) == -1)
		goto out;
	/*
	 * started: just before the exec, so a quick exit is never earlier.
	 * The pid and its start time are what rt_container_state checks
	 * instead of asking the runtime; start_pending marks a container a
	 * crash left created but never started.
	 */
	if (meta_set_num(meta, "started_ns", (double)rt_now_ns()) == -1 ||
	    meta_set_num(meta, "pid", pid) == -1 ||
	    meta_set_num(meta, "pid_start", (double)rt_pid_starttime(pid)) ==
	    -1 || meta_set_num(meta, "start_pending", 1) == -1 ||
	    ctr_write_meta(id, meta, err) == -1)
		goto out;
	if (ctr_start(id, err) == -1)
		goto out;
	if (meta_set_num(meta, "start_pending", 0) == -1 ||
	    ctr_write_meta(id, meta, err) == -1)
		goto out;
	snprintf(id_out, idlen, "%s", id);
	ret = 0;
out:
	if (ret == -1 && created)
		ctr_remove(id, &ignore);
	for (j = 0; mount_src != NULL && j < c->n_mounts; j++)
		free(mount_src[j]);
	free(mount_src);
	cJSON_Delete(meta);
	cJSON_Delete(cfg);
	return ret;
}

int
rt_container_start(const struct pod *p, const struct container_spec *c,
    const struct rt_image *img, const struct rt_sandbox *sb,
    const struct rt_labels *labels, char *id_out, size_t idlen,
    struct rt_err *err)
{
	start_failed = 0;
	if (container_start(p, c, img, sb, labels, id_out, idlen, err) == -1)
		return rt_wrap(err, "creating container %s of %s/%s",
		    c != NULL && c->name != NULL ? c->name : "",
		    p != NULL && p->namespace != NULL ? p->namespace : "",
		    p != NULL && p->name != NULL ? p->name : "");
	return 0;
}

/* ---- state ---- */

static int
ctr_exit_status(const char *id, int *status, int64_t *when)
{
	char path[PATH_MAX], *buf, *end;
	struct stat st;
	long v;

	if (ctr_exit_path(path, sizeof(path), id) == -1 ||
	    rt_read_file(path, 64, &buf, NULL) == -1)
		return -1;
	errno = 0;
	v = strtol(buf, &end, 10);
	free(buf);
	if (errno != 0 || end == buf)
		return -1;
	*status = (int)v;
	*when = stat(path, &st) == 0 ? (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec : rt_now_ns();
	return 0;
}

static int
ctr_oom_killed(const char *id, const cJSON *meta)
{
	char path[PATH_MAX];
	const char *cg = rt_json_str(meta, "cgroup");

	if (cg != NULL && cg_oom_kills(cg) > 0)
		return 1;
	/* conmon's own note (-0 persist dir), for when the cgroup is gone */
	return ctr_file(path, sizeof(path), id, "oom") == 0 &&
	    access(path, F_OK) == 0;
}

static void
ctr_set_exited(struct rt_cstate *st, int status, int64_t when)
{
	st->status = RT_EXITED;
	st->pid = 0;
	st->exit_code = status;
	/* conmon reports death by signal N as 128+N, as a shell would */
	st->signal = status > 128 && status <= 128 + RT_MAX_SIGNAL ?
	    status - 128 : 0;
	st->finished_at_ns = when;
}

static int
ctr_runtime_state(const char *id, char *status, size_t len, pid_t *pid)
{
	struct rt_run r;
	struct rt_err e;
	const char *s;
	cJSON *j = NULL;
	int ret = -1;

	if (rt_runtime("state", id, NULL, &r, &e) == -1)
		goto out;
	if ((j = cJSON_Parse(r.out)) == NULL ||
	    (s = rt_json_str(j, "status")) == NULL)
		goto out;
	snprintf(status, len, "%s", s);
	*pid = (pid_t)rt_json_int(j, "pid", 0);
	ret = 0;
out:
	cJSON_Delete(j);
	rt_run_free(&r);
	return ret;
}

int
rt_exit_dir(char *buf, size_t len)
{
	return rt_path(buf, len, "%s/exits", rt.run_dir);
}

int
rt_new_id(char *buf, size_t len)
{
	return rt_random_id(buf, len);
}

/*
 * The container's init, if it is still the process we started: the pid
 * recorded at start, with the same start time (meta.json written before
 * the start time was recorded has none: the pid alone then).
 */
static pid_t
ctr_init_pid(const cJSON *meta)
{
	pid_t pid = (pid_t)rt_json_int(meta, "pid", 0);
	int64_t want = rt_json_int(meta, "pid_start", 0);

	if (pid <= 0 || !rt_pid_alive(pid))
		return 0;
	if (want > 0 && (uint64_t)want != rt_pid_starttime(pid))
		return 0;
	return pid;
}

/*
 * What a container is doing, from files only: conmon's exit file, the
 * recorded init pid and /proc.  No runtime process is spawned, so a relist
 * of every container costs a few file reads each.  An init that is gone
 * with no exit file yet is still running while its conmon lives: conmon
 * writes the file once it has drained the logs, and the exit watch sees it.
 */
int
rt_container_state(const char *id, struct rt_cstate *st, struct rt_err *err)
{
	cJSON *meta;
	int code;
	int64_t when;
	pid_t pid;

	memset(st, 0, sizeof(*st));
	st->status = RT_UNKNOWN;
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (!rt_valid_id(id))
		return rt_seterr(err, "container id \"%s\": not a valid id",
		    id ? id : "");
	if ((meta = ctr_read_meta(id)) == NULL)
		return rt_seterr(err, "container %s not found", id);
	st->started_at_ns = rt_json_int(meta, "started_ns", 0);
	if (ctr_exit_status(id, &code, &when) == 0) {
		ctr_set_exited(st, code, when);
		st->oom_killed = ctr_oom_killed(id, meta);
	} else if ((pid = ctr_init_pid(meta)) > 0) {
		st->status = rt_json_int(meta, "start_pending", 0) ?
		    RT_CREATED : RT_RUNNING;
		st->pid = pid;
	} else if (rt_json_int(meta, "pid", 0) <= 0) {
		/* never started: RT_UNKNOWN */
	} else if (conmon_pid(id) > 0) {
		st->status = RT_RUNNING;	/* the exit file follows */
	} else {
		/* conmon died too, without a word: the code is unknown */
		ctr_set_exited(st, RT_EXIT_UNKNOWN, rt_now_ns());
		st->oom_killed = ctr_oom_killed(id, meta);
	}
	cJSON_Delete(meta);
	return 0;
}

/*
 * What `runc kill` does, without a process: a pidfd of the init, checked
 * to be the process we started (so a recycled pid is never signalled),
 * then pidfd_send_signal.  A container that is gone already is no error.
 */
int
rt_container_signal(const char *id, int sig, struct rt_err *err)
{
	cJSON *meta;
	int64_t want;
	pid_t pid;
	int pfd, ret = 0;

	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (sig <= 0 || sig > RT_MAX_SIGNAL)
		return rt_seterr(err, "signal %d: out of range", sig);
	if (!rt_valid_id(id) || (meta = ctr_read_meta(id)) == NULL)
		return rt_seterr(err, "container %s not found", id ? id : "");
	pid = (pid_t)rt_json_int(meta, "pid", 0);
	want = rt_json_int(meta, "pid_start", 0);
	cJSON_Delete(meta);
	if (pid <= 0)
		return 0;
	if ((pfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		return errno == ESRCH ? 0 : rt_seterrno(err, "pidfd_open %d",
		    (int)pid);
	/* checked after the pidfd is held: the pid cannot change under it */
	if (want > 0 && (uint64_t)want != rt_pid_starttime(pid))
		goto out;
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) == -1 &&
	    errno != ESRCH)
		ret = rt_seterrno(err, "signal %d to %s", sig, id);
out:
	close(pfd);
	return ret;
}

/* ---- exec ---- */

static void
exec_keep(struct rt_exec_result *res, const char *s, size_t n)
{
	size_t room = sizeof(res->out) - 1 - res->out_len;

	if (n > room)
		n = room;
	memcpy(res->out + res->out_len, s, n);
	res->out_len += n;
	res->out[res->out_len] = '\0';
}

int
rt_container_exec(const char *id, const struct strlist *cmd, int timeout_ms,
    struct rt_exec_result *res, struct rt_err *err)
{
	const char **argv;
	struct rt_run r;
	uint32_t i;
	int n, ret;

	memset(res, 0, sizeof(*res));
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (!rt_valid_id(id))
		return rt_seterr(err, "container %s not found", id ? id : "");
	if (cmd->n == 0 || cmd->n > RT_EXEC_MAX_ARGS)
		return rt_seterr(err, "exec: %u arguments", cmd->n);
	if ((argv = calloc(cmd->n + 8, sizeof(*argv))) == NULL)
		return rt_seterrno(err, "calloc");
	n = rt_runtime_argv(argv, 8, "exec");
	argv[n++] = id;
	for (i = 0; i < cmd->n; i++)
		argv[n++] = cmd->v[i];
	argv[n] = NULL;
	memset(&r, 0, sizeof(r));
	r.argv = argv;
	r.timeout_ms = timeout_ms > 0 ? timeout_ms : RT_RUN_TIMEOUT_MS;
	ret = rt_run(&r, err);
	res->timed_out = r.timed_out;
	if (r.out != NULL)
		exec_keep(res, r.out, r.out_len);
	if (r.err != NULL)
		exec_keep(res, r.err, r.err_len);
	if (ret == 0)
		res->exit_code = WIFSIGNALED(r.status) ?
		    128 + WTERMSIG(r.status) : WEXITSTATUS(r.status);
	else if (res->timed_out)
		rt_seterr(err, "command timed out after %d ms", r.timeout_ms);
	rt_run_free(&r);
	free(argv);
	return ret;
}

/* ---- network probes ---- */

#define NETPROBE_SLACK_MS	2000	/* the prober's own timeout first */
#define NETPROBE_FIXED_ARGS	9

static int
netprobe_enter(const struct rt_netprobe *np, struct rt_err *err)
{
	int fd;

	if (np->netns[0] == '\0')
		return 0;	/* hostNetwork: the node's namespace */
	if ((fd = open(np->netns, O_RDONLY | O_CLOEXEC)) == -1)
		return rt_seterrno(err, "open %s", np->netns);
	if (setns(fd, CLONE_NEWNET) == -1) {
		close(fd);
		return rt_seterrno(err, "setns %s", np->netns);
	}
	close(fd);
	return 0;
}

int
rt_netprobe(const struct rt_netprobe *np, char *line, size_t len,
    struct rt_err *err)
{
	const char *argv[NETPROBE_FIXED_ARGS + 1 + RT_NETPROBE_MAX_HEADERS + 1];
	char prober[PATH_MAX], port[8], tmo[16];
	char *hdr[RT_NETPROBE_MAX_HEADERS];
	struct rt_run r;
	uint32_t i, nh = 0;
	int n = 0, sock = -1, ret = -1;

	line[0] = '\0';
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (np->n_headers > RT_NETPROBE_MAX_HEADERS)
		return rt_seterr(err, "%u headers", np->n_headers);
	if (rt_path(prober, sizeof(prober), "%s/agentd-probe",
	    rt.libexec_dir) == -1)
		return rt_seterr(err, "libexec_dir: path too long");
	if (netprobe_enter(np, err) == -1)
		return -1;
	/* made here, in the pod's namespace: the prober cannot make one */
	if ((sock = socket(strchr(np->addr, ':') != NULL ? AF_INET6 : AF_INET,
	    SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return rt_seterrno(err, "socket");
	snprintf(port, sizeof(port), "%d", np->port);
	snprintf(tmo, sizeof(tmo), "%d", np->timeout_ms);
	argv[n++] = prober;
	argv[n++] = np->user;
	argv[n++] = np->chroot;
	argv[n++] = np->grpc ? "grpc" : !np->http ? "tcp" : np->https ?
	    "https" : "http";
	argv[n++] = np->addr;
	argv[n++] = port;
	argv[n++] = tmo;
	if (np->grpc)
		argv[n++] = np->service != NULL ? np->service : "";
	else if (np->http) {
		argv[n++] = np->path != NULL ? np->path : "/";
		for (i = 0; i < np->n_headers; i++) {
			if (asprintf(&hdr[nh], "%s: %s", np->headers[i].key,
			    np->headers[i].value ? np->headers[i].value : "") ==
			    -1) {
				rt_seterrno(err, "asprintf");
				goto out;
			}
			argv[n++] = hdr[nh++];
		}
	}
	argv[n] = NULL;
	memset(&r, 0, sizeof(r));
	r.argv = argv;
	r.pass_fds[0] = sock;
	r.n_pass_fds = 1;
	r.timeout_ms = np->timeout_ms + NETPROBE_SLACK_MS;
	if (rt_run_ok(&r, err) == 0) {
		rt_copy_span(line, len, r.out, "\n");
		ret = 0;
	} else
		rt_wrap(err, "agentd-probe");
	rt_run_free(&r);
out:
	for (i = 0; i < nh; i++)
		free(hdr[i]);
	close(sock);
	return ret;
}

/* ---- removal ---- */

static void
conmon_reap(const char *id)
{
	int64_t when;
	pid_t pid;
	int i, code;

	if ((pid = conmon_pid(id)) <= 0)
		return;
	/*
	 * Once the exit file is written conmon has drained the logs and
	 * recorded the exit code: its job is done, but it lingers for about
	 * two seconds.  Waiting for that would stall every removal.
	 */
	if (ctr_exit_status(id, &code, &when) == 0 && conmon_pid(id) == pid)
		kill(pid, SIGKILL);
	for (i = 0; i < RT_CONMON_EXIT_WAIT_MS * 1000000LL / RT_WAIT_SLICE_NS &&
	    rt_pid_alive(pid); i++)
		nanosleep(&(struct timespec){ 0, RT_WAIT_SLICE_NS }, NULL);
	if (rt_pid_alive(pid) && conmon_pid(id) == pid) {
		kill(pid, SIGKILL);
		for (i = 0; i < 50 && rt_pid_alive(pid); i++)
			nanosleep(&(struct timespec){ 0, RT_WAIT_SLICE_NS },
			    NULL);
	}
}

static int
ctr_runtime_delete(const char *id, struct rt_err *err)
{
	char status[32];
	struct rt_run r;
	pid_t pid;
	int rc;

	rc = rt_runtime("delete", id, NULL, &r, err);
	rt_run_free(&r);
	if (rc == 0)
		return 0;
	/* "does not exist" is success; a container still listed is not */
	if (ctr_runtime_state(id, status, sizeof(status), &pid) == -1)
		return 0;
	return -1;
}

/*
 * Everything a container (or an infra container) has: the runtime's
 * state, conmon, the overlay and shm mounts, the cgroups in every
 * hierarchy, the bundle, exit and pid files.  Idempotent.
 */
int
ctr_remove(const char *id, struct rt_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *cg, *uid;
	cJSON *meta;
	int ret = 0;

	if (!rt_valid_id(id))
		return rt_seterr(err, "container id \"%s\": not a valid id",
		    id ? id : "");
	meta = ctr_read_meta(id);
	ctr_dir(dir, sizeof(dir), id);
	if (ctr_runtime_delete(id, err) == -1)
		ret = -1;
	conmon_reap(id);
	if (st_rootfs_release(dir, err) == -1)
		ret = -1;
	if (rt_path(path, sizeof(path), "%s/shm", dir) == 0 &&
	    rt_umount(path) == -1)
		ret = rt_seterrno(err, "unmount %s", path);
	if ((cg = rt_json_str(meta, "cgroup")) != NULL && cg_remove(cg) == -1)
		ret = rt_seterr(err, "cgroup %s: still in use", cg);
	if (ret == 0) {
		if (rt_mounts_under(dir) > 0)
			ret = rt_seterr(err, "%s: still has mounts", dir);
		else if (rt_rm_rf(dir) == -1)
			ret = rt_seterrno(err, "remove %s", dir);
	}
	if (ctr_exit_path(path, sizeof(path), id) == 0)
		unlink(path);
	if (ctr_conmon_pidfile(path, sizeof(path), id) == 0)
		unlink(path);
	if (rt_path(path, sizeof(path), "%s/socks/%s", rt.run_dir, id) == 0)
		unlink(path);
	if ((uid = rt_json_str(meta, "pod_uid")) != NULL)
		cg_pod_release(uid);
	cJSON_Delete(meta);
	return ret;
}

int
rt_container_remove(const char *id, struct rt_err *err)
{
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	return ctr_remove(id, err);
}

/* ---- listing ---- */

int
rt_list(rt_list_cb cb, void *arg, struct rt_err *err)
{
	char path[PATH_MAX];
	struct rt_labels l;
	struct dirent *de;
	DIR *d;

	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (rt_path(path, sizeof(path), "%s/containers", rt.root_dir) == -1 ||
	    (d = opendir(path)) == NULL)
		return rt_seterrno(err, "open %s/containers", rt.root_dir);
	while ((de = readdir(d)) != NULL) {
		if (!rt_valid_id(de->d_name) ||
		    strlen(de->d_name) != RT_HEXID_LEN)
			continue;
		if (ctr_read_labels(de->d_name, &l) == -1)
			continue;	/* rt_init removes those */
		cb(de->d_name, &l, arg);
	}
	closedir(d);
	return 0;
}
