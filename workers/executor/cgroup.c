/*
 * cgroups for the runtime backend, cgroupfs style (no systemd): detect
 * the layout (pure v2, v1, or v1 with cgroup2 at .../unified), create the
 * pod cgroup and conmon's cgroup in every hierarchy, move conmon there,
 * read OOM kill counters, and remove what a container or pod left.
 *
 * The tree is the kubelet's (cgroupfs driver): <cgroupRoot>/kubepods for
 * the Guaranteed pods, kubepods/burstable and kubepods/besteffort for the
 * others, pod<uid> below them with the pod-level limits (cg_pod_setup),
 * <container id> below that (the runtime creates the container level from
 * config.json's cgroupsPath), and pod<uid>/conmon for the pod's conmon
 * processes, so they leave the executor's (systemd unit's) cgroup and
 * outlive it.  A pod started by an executor before the QoS tree keeps
 * its <cgroupRoot>/pod<uid> (cg_pod_path finds either).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_private.h"

#define CG_FS_ROOT		"/sys/fs/cgroup"
#define CG_MOUNTINFO_MAX	(4 * 1024 * 1024)
#define CG_SMALL_FILE_MAX	(64 * 1024)
#define CG_RMDIR_TRIES		50	/* x CG_RMDIR_WAIT_NS */
#define CG_RMDIR_WAIT_NS	(20 * 1000 * 1000)
#define CG_TREE_MAX_DEPTH	16
#define CG_CONMON_DIR		"conmon"
#define CG_KUBEPODS		"kubepods"	/* the kubelet's QoS tree */
#define CG_BURSTABLE		"burstable"
#define CG_BESTEFFORT		"besteffort"
#define CG_MIN_SHARES		2	/* the kubelet's MinShares */
/* the end of the besteffort level's path */
#define QOS_BESTEFFORT_DIR	"/" CG_KUBEPODS "/" CG_BESTEFFORT

/* the v1 superblock options that are flags, not controllers */
static const char *const cg_v1_flags[] = {
	"rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode",
	"favordynmods", NULL
};

static int
cg_is_flag(const char *opt)
{
	int i;

	if (strncmp(opt, "release_agent=", 14) == 0)
		return 1;
	for (i = 0; cg_v1_flags[i] != NULL; i++)
		if (strcmp(opt, cg_v1_flags[i]) == 0)
			return 1;
	return 0;
}

static void
cg_controllers(const char *superopts, char *out, size_t len)
{
	char buf[512], *tok, *save = NULL;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", superopts);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (cg_is_flag(tok))
			continue;
		if (out[0] != '\0')
			rt_strlcat(out, ",", len);
		rt_strlcat(out, tok, len);
	}
}

/* "a,b,c" contains word */
static int
cg_list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[wl] == ',' ||
		    p[wl] == '\0'))
			return 1;
		p += wl;
	}
	return 0;
}

static void
cg_add_mount(struct cg_layout *cg, const char *path, const char *ctrls,
    int v2, char seen[][32], const char *dev)
{
	int i;

	for (i = 0; i < cg->n; i++)
		if (strcmp(seen[i], dev) == 0)
			return;		/* a bind mount of a known hierarchy */
	if (cg->n >= RT_CG_MAX_MOUNTS)
		return;
	snprintf(seen[cg->n], 32, "%s", dev);
	snprintf(cg->m[cg->n].path, sizeof(cg->m[cg->n].path), "%s", path);
	snprintf(cg->m[cg->n].controllers, sizeof(cg->m[cg->n].controllers),
	    "%s", ctrls);
	cg->m[cg->n].v2 = v2;
	cg->n++;
}

/* split one mountinfo line into the fields we need */
static int
cg_parse_line(char *line, char **dev, char **root, char **mnt, char **fstype,
    char **superopts)
{
	char *f[12], *save = NULL, *tok;
	int n = 0, dash = -1;

	for (tok = strtok_r(line, " ", &save); tok != NULL && n < 12;
	    tok = strtok_r(NULL, " ", &save)) {
		if (dash == -1 && n >= 6 && strcmp(tok, "-") == 0) {
			dash = n;
			continue;	/* optional fields end here */
		}
		if (dash == -1 && n >= 6) {
			continue;	/* optional field */
		}
		f[n++] = tok;
	}
	if (dash == -1 || n < 9)
		return -1;
	*dev = f[2];
	*root = f[3];
	*mnt = f[4];
	*fstype = f[6];
	*superopts = f[8];
	return 0;
}

int
cg_detect(struct cg_layout *cg, struct rt_err *err)
{
	char *buf, *line, *save = NULL, *dev, *root, *mnt, *fstype, *sopts;
	char seen[RT_CG_MAX_MOUNTS][32], ctrls[256];
	struct cg_layout v1 = { 0 };
	char v1seen[RT_CG_MAX_MOUNTS][32];
	int have_v2 = 0;
	char v2path[CONFIG_MAX_PATH] = "", v2dev[32] = "";

	memset(cg, 0, sizeof(*cg));
	if (rt_read_file("/proc/self/mountinfo", CG_MOUNTINFO_MAX, &buf,
	    NULL) == -1)
		return rt_seterrno(err, "read /proc/self/mountinfo");
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (cg_parse_line(line, &dev, &root, &mnt, &fstype, &sopts) == -1)
			continue;
		/* a mount of a sub-tree would map our paths elsewhere */
		if (strcmp(root, "/") != 0)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && !have_v2) {
			have_v2 = 1;
			snprintf(v2path, sizeof(v2path), "%s", mnt);
			snprintf(v2dev, sizeof(v2dev), "%s", dev);
		} else if (strcmp(fstype, "cgroup") == 0) {
			cg_controllers(sopts, ctrls, sizeof(ctrls));
			cg_add_mount(&v1, mnt, ctrls, 0, v1seen, dev);
		}
	}
	free(buf);
	if (have_v2 && strcmp(v2path, CG_FS_ROOT) == 0) {
		cg->v2_pure = 1;
		cg_add_mount(cg, v2path, "", 1, seen, v2dev);
		return 0;
	}
	if (v1.n == 0)
		return rt_seterr(err, "no cgroup file system is mounted "
		    "(neither cgroup2 at " CG_FS_ROOT " nor v1 hierarchies)");
	*cg = v1;
	memcpy(seen, v1seen, sizeof(seen));
	if (have_v2) {
		cg->hybrid = 1;
		cg_add_mount(cg, v2path, "", 1, seen, v2dev);
	}
	return 0;
}

static const struct cg_mount *
cg_unified(const struct cg_layout *cg)
{
	int i;

	for (i = 0; i < cg->n; i++)
		if (cg->m[i].v2)
			return &cg->m[i];
	return NULL;
}

/*
 * crun 1.8 on a hybrid host wants every controller the unified hierarchy
 * holds to be mounted as a v1 hierarchy too (it refuses, e.g., hugetlb
 * bound to cgroup2 at .../unified).  List those controllers in out.
 */
int
cg_crun_blocker(const struct cg_layout *cg, char *out, size_t len)
{
	const struct cg_mount *u;
	char path[PATH_MAX], *buf, *tok, *save = NULL;
	int i, found, n = 0;

	out[0] = '\0';
	if (!cg->hybrid || (u = cg_unified(cg)) == NULL)
		return 0;
	if (rt_path(path, sizeof(path), "%s/cgroup.controllers", u->path) == -1 ||
	    rt_read_file(path, CG_SMALL_FILE_MAX, &buf, NULL) == -1)
		return 0;
	for (tok = strtok_r(buf, " \n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \n", &save)) {
		found = 0;
		for (i = 0; i < cg->n; i++)
			if (!cg->m[i].v2 && cg_list_has(cg->m[i].controllers, tok))
				found = 1;
		if (found)
			continue;
		if (out[0] != '\0')
			rt_strlcat(out, ",", len);
		rt_strlcat(out, tok, len);
		n++;
	}
	free(buf);
	return n;
}

static int
cg_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	int fd, saved;
	ssize_t n;

	if (rt_path(path, sizeof(path), "%s/%s", dir, file) == -1)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, val, strlen(val));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* a new v1 cpuset cgroup is unusable until it has cpus and mems */
static int
cg_cpuset_fill(const char *parent, const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char path[PATH_MAX], *have, *want;
	int i;

	for (i = 0; i < 2; i++) {
		if (rt_path(path, sizeof(path), "%s/%s", dir, files[i]) == -1 ||
		    rt_read_file(path, CG_SMALL_FILE_MAX, &have, NULL) == -1)
			return -1;
		if (have[0] != '\0' && have[0] != '\n') {
			free(have);
			continue;
		}
		free(have);
		if (rt_path(path, sizeof(path), "%s/%s", parent, files[i]) == -1 ||
		    rt_read_file(path, CG_SMALL_FILE_MAX, &want, NULL) == -1)
			return -1;
		if (cg_write(dir, files[i], want) == -1) {
			free(want);
			return -1;
		}
		free(want);
	}
	return 0;
}

/* mkdir -p mount/rel, fixing up cpuset at each level */
static int
cg_mkdir_in(const struct cg_mount *m, const char *rel)
{
	char path[PATH_MAX], parent[PATH_MAX];
	const char *p;
	int cpuset = !m->v2 && cg_list_has(m->controllers, "cpuset");

	snprintf(parent, sizeof(parent), "%s", m->path);
	for (p = rel; *p != '\0'; ) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		p += strcspn(p, "/");
		if (rt_path(path, sizeof(path), "%s%.*s", m->path,
		    (int)(p - rel), rel) == -1)
			return -1;
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return -1;
		if (cpuset && cg_cpuset_fill(parent, path) == -1)
			return -1;
		snprintf(parent, sizeof(parent), "%s", path);
	}
	return 0;
}

int
cg_create(const char *rel, struct rt_err *err)
{
	int i;

	for (i = 0; i < rt.cg.n; i++)
		if (cg_mkdir_in(&rt.cg.m[i], rel) == -1)
			return rt_seterrno(err, "create cgroup %s%s",
			    rt.cg.m[i].path, rel);
	return 0;
}

int
cg_attach(const char *rel, pid_t pid, struct rt_err *err)
{
	char dir[PATH_MAX], val[32];
	int i;

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (i = 0; i < rt.cg.n; i++) {
		if (rt_path(dir, sizeof(dir), "%s%s", rt.cg.m[i].path, rel) == -1 ||
		    cg_write(dir, "cgroup.procs", val) == -1)
			return rt_seterrno(err, "move pid %d to cgroup %s%s",
			    (int)pid, rt.cg.m[i].path, rel);
	}
	return 0;
}

/* rmdir a cgroup and whatever children it grew, deepest first */
static int
cg_rmdir_tree(const char *path, int depth)
{
	struct dirent *de;
	char sub[PATH_MAX];
	DIR *d;
	int ret = 0, i;

	if (depth > CG_TREE_MAX_DEPTH)
		return -1;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (rt_path(sub, sizeof(sub), "%s/%s", path, de->d_name) == -1 ||
		    cg_rmdir_tree(sub, depth + 1) == -1)
			ret = -1;
	}
	closedir(d);
	if (ret == -1)
		return -1;
	/* processes just killed may take a moment to leave the cgroup */
	for (i = 0; i < CG_RMDIR_TRIES; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		nanosleep(&(struct timespec){ 0, CG_RMDIR_WAIT_NS }, NULL);
	}
	return -1;
}

int
cg_remove(const char *rel)
{
	char path[PATH_MAX];
	int i, ret = 0;

	if (rel[0] != '/' || strstr(rel, "..") != NULL)
		return -1;
	for (i = 0; i < rt.cg.n; i++) {
		if (rt_path(path, sizeof(path), "%s%s", rt.cg.m[i].path,
		    rel) == -1 || cg_rmdir_tree(path, 0) == -1)
			ret = -1;
	}
	return ret;
}

/* rmdir only if empty of processes and children; never waits */
static int
cg_remove_if_empty(const char *rel)
{
	char path[PATH_MAX];
	int i, ret = 0;

	for (i = 0; i < rt.cg.n; i++) {
		if (rt_path(path, sizeof(path), "%s%s", rt.cg.m[i].path,
		    rel) == -1)
			return -1;
		if (rmdir(path) == -1 && errno != ENOENT)
			ret = -1;
	}
	return ret;
}

int
cg_exists(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	int i;

	for (i = 0; i < rt.cg.n; i++)
		if (rt_path(path, sizeof(path), "%s%s", rt.cg.m[i].path,
		    rel) == 0 && stat(path, &st) == 0)
			return 1;
	return 0;
}

static int
cg_read_counter(const char *path, const char *key)
{
	char *buf, *p;
	size_t kl = strlen(key);
	long long v = -1;

	if (rt_read_file(path, CG_SMALL_FILE_MAX, &buf, NULL) == -1)
		return -1;
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			v = strtoll(p + kl + 1, NULL, 10);
			break;
		}
	}
	free(buf);
	if (v < 0)
		return -1;
	return v > INT32_MAX ? INT32_MAX : (int)v;
}

/*
 * How many processes the kernel's OOM killer chose in this cgroup:
 * v1 memory.oom_control "oom_kill" (Linux 4.13+), v2 memory.events.
 */
int
cg_oom_kills(const char *rel)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < rt.cg.n; i++) {
		const struct cg_mount *m = &rt.cg.m[i];

		if (!m->v2 && cg_list_has(m->controllers, "memory")) {
			if (rt_path(path, sizeof(path),
			    "%s%s/memory.oom_control", m->path, rel) == -1)
				return -1;
			return cg_read_counter(path, "oom_kill");
		}
	}
	for (i = 0; i < rt.cg.n; i++) {
		if (!rt.cg.m[i].v2 || !rt.cg.v2_pure)
			continue;
		if (rt_path(path, sizeof(path), "%s%s/memory.events",
		    rt.cg.m[i].path, rel) == -1)
			return -1;
		return cg_read_counter(path, "oom_kill");
	}
	return -1;
}

/* cgroupRoot as a prefix: "" for "/" */
static const char *
cg_root_prefix(void)
{
	return strcmp(rt.cgroup_root, "/") == 0 ? "" : rt.cgroup_root;
}

/* the kubelet's QoS level below kubepods (cgroupfs driver names) */
static const char *
cg_qos_sub(enum pod_qos q)
{
	switch (q) {
	case POD_QOS_GUARANTEED:
		return "";
	case POD_QOS_BURSTABLE:
		return "/" CG_BURSTABLE;
	case POD_QOS_BESTEFFORT:
		return "/" CG_BESTEFFORT;
	}
	return "";
}

static void
cg_pod_path_qos(char *buf, size_t len, const char *pod_uid, enum pod_qos q)
{
	if (rt_path(buf, len, "%s/" CG_KUBEPODS "%s/pod%s", cg_root_prefix(),
	    cg_qos_sub(q), pod_uid) == -1)
		buf[0] = '\0';
}

/* a pod an older executor started flat keeps its cgroup */
void
cg_pod_path_for(char *buf, size_t len, const struct pod *p)
{
	if (rt_path(buf, len, "%s/pod%s", cg_root_prefix(), p->uid) == 0 &&
	    cg_exists(buf))
		return;
	cg_pod_path_qos(buf, len, p->uid, pod_qos_class(p));
}

/*
 * By uid alone (a pod being released, found again after a restart): the
 * pod cgroup that exists below one of the QoS levels, else the flat
 * <cgroupRoot>/pod<uid> of an executor before the QoS hierarchy.
 */
void
cg_pod_path(char *buf, size_t len, const char *pod_uid)
{
	static const enum pod_qos classes[] = { POD_QOS_GUARANTEED,
	    POD_QOS_BURSTABLE, POD_QOS_BESTEFFORT };
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		cg_pod_path_qos(buf, len, pod_uid, classes[i]);
		if (buf[0] != '\0' && cg_exists(buf))
			return;
	}
	if (rt_path(buf, len, "%s/pod%s", cg_root_prefix(), pod_uid) == -1)
		buf[0] = '\0';
}

void
cg_container_path(char *buf, size_t len, const struct pod *p, const char *id)
{
	char pod[PATH_MAX];

	cg_pod_path_for(pod, sizeof(pod), p);
	if (pod[0] == '\0' || rt_path(buf, len, "%s/%s", pod, id) == -1)
		buf[0] = '\0';
}

void
cg_conmon_path(char *buf, size_t len, const struct pod *p)
{
	char pod[PATH_MAX];

	cg_pod_path_for(pod, sizeof(pod), p);
	if (pod[0] == '\0' || rt_path(buf, len, "%s/" CG_CONMON_DIR,
	    pod) == -1)
		buf[0] = '\0';
}

/*
 * v2: a controller's files appear in a cgroup only when its parent's
 * cgroup.subtree_control has it: enable it from the mount down to the
 * pod's parent.  One controller at a time, so that one the host lacks
 * does not keep the others off.
 */
static void
cg_v2_enable(const struct cg_mount *m, const char *pod_rel, const char *ctl)
{
	char path[PATH_MAX];
	const char *p;

	if (rt_path(path, sizeof(path), "%s", m->path) == -1)
		return;
	for (p = pod_rel; ; ) {
		(void)cg_write(path, "cgroup.subtree_control", ctl);
		while (*p == '/')
			p++;
		p += strcspn(p, "/");
		if (*p == '\0')
			return;		/* the pod's own level: not written */
		if (rt_path(path, sizeof(path), "%s%.*s", m->path,
		    (int)(p - pod_rel), pod_rel) == -1)
			return;
	}
}

/* one pod-level value in every hierarchy that has the file */
struct cg_limit {
	const char	*ctl;		/* v1 controller, v2 "+ctl" */
	const char	*v1_file;
	const char	*v2_file;
	char		 v1_val[48];
	char		 v2_val[48];
	int		 soft;		/* a share, not a limit: may lack */
};

static int
cg_limit_write(const char *rel, struct cg_limit *l, struct rt_err *err)
{
	const struct cg_mount *m;
	char dir[PATH_MAX], plus[16];
	int i, done = 0;

	snprintf(plus, sizeof(plus), "+%s", l->ctl);
	for (i = 0; i < rt.cg.n; i++) {
		m = &rt.cg.m[i];
		if (m->v2 && rt.cg.hybrid)
			continue;	/* the controllers are v1 ones here */
		if (!m->v2 && !cg_list_has(m->controllers, l->ctl))
			continue;
		if (m->v2)
			cg_v2_enable(m, rel, plus);
		if (rt_path(dir, sizeof(dir), "%s%s", m->path, rel) == -1)
			return rt_seterr(err, "pod cgroup path too long");
		if (cg_write(dir, m->v2 ? l->v2_file : l->v1_file,
		    m->v2 ? l->v2_val : l->v1_val) == -1) {
			/* v2 without the controller: no such file */
			if (l->soft && errno == ENOENT)
				continue;
			return rt_seterrno(err, "pod cgroup %s: write %s",
			    dir, m->v2 ? l->v2_file : l->v1_file);
		}
		done = 1;
	}
	if (!done && !l->soft)
		return rt_seterr(err, "no cgroup hierarchy has the %s "
		    "controller", l->ctl);
	return 0;
}

/*
 * The kubelet's ResourceConfigForPod, summed over the regular containers
 * and the sidecars (a plain init container runs alone: the pod needs the
 * larger of the two): cpu shares from the requests (BestEffort: 2), a
 * CFS quota and a memory limit only when every container declares one.
 */
static void
cg_pod_resources(const struct pod *p, struct resources *sum)
{
	const struct container_spec *c;
	int64_t init_cpu = 0, init_mem = 0, side_cpu = 0, side_mem = 0;
	int cpu_all = 1, mem_all = 1;
	uint32_t i, n = p->n_containers + p->n_init_containers;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		c = i < p->n_containers ? &p->containers[i] :
		    &p->init_containers[i - p->n_containers];
		if (c->res.cpu_limit_milli < 0)
			cpu_all = 0;
		if (c->res.mem_limit_bytes < 0)
			mem_all = 0;
		if (i >= p->n_containers && !pod_is_sidecar(c)) {
			/* it runs with the sidecars started before it */
			if (pod_sat_add(side_cpu, c->res.cpu_limit_milli) >
			    init_cpu)
				init_cpu = pod_sat_add(side_cpu,
				    c->res.cpu_limit_milli);
			if (pod_sat_add(side_mem, c->res.mem_limit_bytes) >
			    init_mem)
				init_mem = pod_sat_add(side_mem,
				    c->res.mem_limit_bytes);
			continue;
		}
		/* saturated sums: the limits come from the watcher */
		if (c->res.cpu_request_milli > 0)
			sum->cpu_request_milli = pod_sat_add(
			    sum->cpu_request_milli, c->res.cpu_request_milli);
		if (c->res.cpu_limit_milli > 0)
			sum->cpu_limit_milli = pod_sat_add(sum->cpu_limit_milli,
			    c->res.cpu_limit_milli);
		if (c->res.mem_limit_bytes > 0)
			sum->mem_limit_bytes = pod_sat_add(sum->mem_limit_bytes,
			    c->res.mem_limit_bytes);
		if (i >= p->n_containers) {
			side_cpu = pod_sat_add(side_cpu,
			    c->res.cpu_limit_milli > 0 ?
			    c->res.cpu_limit_milli : 0);
			side_mem = pod_sat_add(side_mem,
			    c->res.mem_limit_bytes > 0 ?
			    c->res.mem_limit_bytes : 0);
		}
	}
	if (init_cpu > sum->cpu_limit_milli)
		sum->cpu_limit_milli = init_cpu;
	if (init_mem > sum->mem_limit_bytes)
		sum->mem_limit_bytes = init_mem;
	if (!cpu_all)
		sum->cpu_limit_milli = -1;
	if (!mem_all || sum->mem_limit_bytes <= 0)
		sum->mem_limit_bytes = -1;
	sum->mem_request_bytes = -1;
}

/* cgroup v2's cpu.weight of v1 shares (runc's ConvertCPUSharesToCgroupV2) */
static uint64_t
cg_shares_to_weight(uint64_t shares)
{
	return shares == 0 ? 100 : 1 + ((shares - 2) * 9999) / 262142;
}

/*
 * The pod cgroup, made before anything of the pod runs, with the
 * pod-level limits (pkg/kubelet/cm/pod_container_manager_linux.go):
 * cpu shares, a quota and a memory limit summed from the containers, and
 * the kubelet's podPidsLimit as its pids.max, counting every process of
 * every container of the pod (and its conmons); 0: none.
 */
int
cg_pod_setup(const struct pod *p, struct rt_err *err)
{
	char rel[PATH_MAX], qos[PATH_MAX], *slash;
	struct resources sum;
	struct cg_limit l;
	uint64_t shares;
	int64_t quota;

	cg_pod_path_for(rel, sizeof(rel), p);
	if (rel[0] == '\0')
		return rt_seterr(err, "pod cgroup path too long");
	if (cg_create(rel, err) == -1)
		return -1;
	cg_pod_resources(p, &sum);
	shares = pod_qos_class(p) == POD_QOS_BESTEFFORT ? CG_MIN_SHARES :
	    bundle_cpu_shares(&sum);
	memset(&l, 0, sizeof(l));
	l.ctl = "cpu";
	l.soft = 1;
	l.v1_file = "cpu.shares";
	l.v2_file = "cpu.weight";
	/* the kubelet's besteffort level: the least share, whatever is in it */
	if (pod_qos_class(p) == POD_QOS_BESTEFFORT &&
	    rt_path(qos, sizeof(qos), "%s", rel) == 0 &&
	    (slash = strrchr(qos, '/')) != NULL &&
	    (size_t)(slash - qos) >= sizeof(QOS_BESTEFFORT_DIR) - 1 &&
	    memcmp(slash - (sizeof(QOS_BESTEFFORT_DIR) - 1),
	    QOS_BESTEFFORT_DIR, sizeof(QOS_BESTEFFORT_DIR) - 1) == 0) {
		/* only the besteffort level: a pod an older executor
		   started flat has cgroupRoot above it, left alone */
		*slash = '\0';
		snprintf(l.v1_val, sizeof(l.v1_val), "%d", CG_MIN_SHARES);
		snprintf(l.v2_val, sizeof(l.v2_val), "%" PRIu64,
		    cg_shares_to_weight(CG_MIN_SHARES));
		if (cg_limit_write(qos, &l, err) == -1)
			return -1;
	}
	snprintf(l.v1_val, sizeof(l.v1_val), "%" PRIu64, shares);
	snprintf(l.v2_val, sizeof(l.v2_val), "%" PRIu64,
	    cg_shares_to_weight(shares));
	if (cg_limit_write(rel, &l, err) == -1)
		return -1;
	l.soft = 0;
	if ((quota = bundle_cpu_quota(&sum)) > 0) {
		l.v1_file = "cpu.cfs_quota_us";
		l.v2_file = "cpu.max";
		snprintf(l.v1_val, sizeof(l.v1_val), "%" PRId64, quota);
		snprintf(l.v2_val, sizeof(l.v2_val), "%" PRId64 " %d", quota,
		    BUNDLE_CPU_PERIOD_US);
		if (cg_limit_write(rel, &l, err) == -1)
			return -1;
	}
	if (sum.mem_limit_bytes > 0) {
		l.ctl = "memory";
		l.v1_file = "memory.limit_in_bytes";
		l.v2_file = "memory.max";
		snprintf(l.v1_val, sizeof(l.v1_val), "%" PRId64,
		    sum.mem_limit_bytes);
		snprintf(l.v2_val, sizeof(l.v2_val), "%s", l.v1_val);
		if (cg_limit_write(rel, &l, err) == -1)
			return -1;
	}
	if (rt.pod_pids_limit == 0)
		return 0;
	l.ctl = "pids";
	l.v1_file = l.v2_file = "pids.max";
	snprintf(l.v1_val, sizeof(l.v1_val), "%" PRIu64, rt.pod_pids_limit);
	snprintf(l.v2_val, sizeof(l.v2_val), "%s", l.v1_val);
	return cg_limit_write(rel, &l, err);
}

/*
 * Remove the pod's conmon and pod cgroups if nothing uses them any more;
 * while a container or conmon of the pod lives this fails, harmlessly.
 * The QoS levels stay, as the kubelet keeps them.
 */
int
cg_pod_release(const char *pod_uid)
{
	char pod[PATH_MAX], path[PATH_MAX];

	cg_pod_path(pod, sizeof(pod), pod_uid);
	if (pod[0] == '\0' ||
	    rt_path(path, sizeof(path), "%s/" CG_CONMON_DIR, pod) == -1)
		return -1;
	if (cg_remove_if_empty(path) == -1)
		return -1;
	return cg_remove_if_empty(pod);
}
