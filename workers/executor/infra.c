/*
 * Pod sandboxes: the pod's network, IPC and UTS namespaces, its /dev/shm
 * (a tmpfs that belongs with the IPC namespace), and the kubelet-style
 * /etc/hostname, /etc/hosts and /etc/resolv.conf in rootDir/pods/<uid>.
 *
 * Two kinds, both recorded as rootDir/containers/<id>/ with meta.json
 * kind "sandbox", so that rt_list and re-adoption see no difference:
 *  - pinned (every pod that does not share its PID namespace): no process;
 *    the namespaces are bind mounts in runDir/ns/<id>/ (pinns.c) and the
 *    containers join them by path.  No runtime or conmon call at all.
 *  - infra (shareProcessNamespace): the pod's PID namespace needs a PID 1,
 *    so an infra container runs agentd-pause (from a rootfs holding nothing
 *    else) under conmon like any container; containers join its
 *    /proc/<pid>/ns/{net,ipc,uts,pid}.
 * The pod network is CNI's (cni.c): loopback, then cniConfDir's chain on
 * eth0, exactly as a CNI-based kubelet would configure it.
 */
#include <sys/file.h>
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

#include "cninet.h"
#include "log.h"
#include "podfiles.h"
#include "rt_private.h"
#include "volumes.h"

#define POD_SHM_OPTS		"mode=1777,size=67108864"	/* 64 MiB, as Docker */
#define POD_ETC_FILE_MAX	(64 * 1024)
#define INFRA_STOP_WAIT_MS	2000
#define INFRA_WAIT_SLICE_NS	(20 * 1000 * 1000)

/* ---- the kubelet-managed /etc files ---- */

static int
pod_dir(char *buf, size_t len, const char *uid)
{
	return rt_path(buf, len, "%s/pods/%s", rt.root_dir, uid);
}

static int
pod_write(const char *dir, const char *name, const char *text,
    struct rt_err *err)
{
	char path[PATH_MAX];

	if (rt_path(path, sizeof(path), "%s/%s", dir, name) == -1 ||
	    rt_write_volatile(path, text, strlen(text), 0644) == -1)
		return rt_seterrno(err, "write %s/%s", dir, name);
	return 0;
}

/*
 * The node's resolver configuration (the base of dnsPolicy "Default");
 * a stub resolver on 127.0.0.x is unreachable from the pod's network
 * namespace, so prefer systemd-resolved's upstream list then, as the
 * kubelet is set up to (--resolv-conf).
 */
char *
rt_pod_resolv_host(void)
{
	char *buf = NULL;

	if (rt_read_file("/etc/resolv.conf", POD_ETC_FILE_MAX, &buf,
	    NULL) == 0 && strstr(buf, "nameserver 127.") == NULL)
		return buf;
	free(buf);
	if (rt_read_file("/run/systemd/resolve/resolv.conf", POD_ETC_FILE_MAX,
	    &buf, NULL) == 0)
		return buf;
	return strdup("");
}

/* the UTS hostname: the kubelet's nodename for the pod, or the node's */
static int
pod_hostname(const struct pod *p, char *buf, size_t len, struct rt_err *err)
{
	char host[PODFILES_HOSTNAME_MAX + 1], domain[PODFILES_DOMAIN_MAX + 1];
	char node[PODFILES_FQDN_MAX + 1], why[PODFILES_WHY_MAX];

	if (!p->host_network && podfiles_hostname(p, rt.cluster_domain, host,
	    domain, node, why) == -1)
		return rt_seterr(err, "pod %s: %s", p->name, why);
	if (bundle_pod_hostname(p, buf, len) == -1)
		return rt_seterr(err, "pod %s: cannot derive a hostname",
		    p->name);
	return 0;
}

/*
 * /etc/hosts.  pod_ips is "a,b" once the pod has addresses (its CNI
 * result; hostNetwork pods read the node's file instead), NULL before:
 * the file is written again with them when they are known.
 */
static int
pod_hosts_write(const struct pod *p, const char *pod_ips, struct rt_err *err)
{
	char dir[PATH_MAX], why[PODFILES_WHY_MAX];
	char host[PODFILES_HOSTNAME_MAX + 1], domain[PODFILES_DOMAIN_MAX + 1];
	char node[PODFILES_FQDN_MAX + 1], *node_hosts = NULL, *hosts;
	int ret;

	if (pod_dir(dir, sizeof(dir), p->uid) == -1)
		return rt_seterr(err, "pod directory path too long");
	if (podfiles_hostname(p, rt.cluster_domain, host, domain, node,
	    why) == -1)
		return rt_seterr(err, "pod %s: %s", p->name, why);
	if (p->host_network && rt_read_file("/etc/hosts", POD_ETC_FILE_MAX,
	    &node_hosts, NULL) == -1)
		node_hosts = NULL;	/* the kubelet fails; an empty base */
	hosts = podfiles_hosts(p, pod_ips, host, domain, node_hosts);
	free(node_hosts);
	if (hosts == NULL)
		return rt_seterr(err, "out of memory");
	ret = pod_write(dir, "hosts", hosts, err);
	free(hosts);
	return ret;
}

static int
pod_resolv_write(const struct pod *p, const char *dir, struct rt_err *err)
{
	char *host, *text;
	int ret;

	if ((host = rt_pod_resolv_host()) == NULL)
		return rt_seterr(err, "out of memory");
	/* the executor's step made the DNSConfigForming event already */
	text = podfiles_resolv_conf(p, rt.cluster_dns, rt.cluster_domain, host,
	    NULL, 0);
	free(host);
	if (text == NULL)
		return rt_seterr(err, "out of memory");
	ret = pod_write(dir, "resolv.conf", text, err);
	free(text);
	return ret;
}

static int
pod_files(const struct pod *p, const char *hostname, struct rt_err *err)
{
	char dir[PATH_MAX], line[512];

	if (pod_dir(dir, sizeof(dir), p->uid) == -1)
		return rt_seterr(err, "pod directory path too long");
	if (rt_mkdir_p(dir, 0755) == -1)
		return rt_seterrno(err, "mkdir %s", dir);
	snprintf(line, sizeof(line), "%s\n", hostname);
	if (pod_write(dir, "hostname", line, err) == -1 ||
	    /* no pod IP before the CNI ADD, which writes hosts again */
	    pod_hosts_write(p, NULL, err) == -1 ||
	    pod_resolv_write(p, dir, err) == -1)
		return -1;
	return 0;
}

/* ---- helpers ---- */

static int
copy_label(char *dst, size_t len, const char *src, const char *what,
    struct rt_err *err)
{
	if (src == NULL || src[0] == '\0')
		return rt_seterr(err, "pod %s: empty", what);
	if (strlen(src) >= len)
		return rt_seterr(err, "pod %s: longer than %zu bytes", what,
		    len - 1);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* another sandbox of the same pod (a replacement) still uses pods/<uid> */
static int
pod_other_sandbox(const char *uid, const char *except)
{
	char path[PATH_MAX];
	struct dirent *de;
	const char *k, *u;
	cJSON *meta;
	DIR *d;
	int found = 0;

	if (rt_path(path, sizeof(path), "%s/containers", rt.root_dir) == -1 ||
	    (d = opendir(path)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (!rt_valid_id(de->d_name) || strcmp(de->d_name, except) == 0 ||
		    (meta = ctr_read_meta(de->d_name)) == NULL)
			continue;
		k = rt_json_str(meta, "kind");
		u = rt_json_str(meta, "pod_uid");
		found = k && u && strcmp(k, "sandbox") == 0 && strcmp(u, uid) == 0;
		cJSON_Delete(meta);
	}
	closedir(d);
	return found;
}

static void
pod_release(const char *uid, const char *except)
{
	char dir[PATH_MAX];

	if (pod_other_sandbox(uid, except) || pod_dir(dir, sizeof(dir),
	    uid) == -1)
		return;
	/*
	 * Volumes first: the removal crosses no file system, but a bind
	 * mount (hostPath, subPath) on the same one looks like a directory,
	 * and its contents are not ours to delete.
	 */
	if (vol_teardown(uid) == -1) {
		log_warnx("pod %s: mounts remain under %s: kept", uid, dir);
		return;
	}
	rt_rm_rf(dir);
}

/*
 * At start: a pod directory that no sandbox records is what a crash
 * between a sandbox's removal and its pod_release left behind (a sandbox
 * records its pod before the directory is made).  Its volumes are
 * unmounted and it goes, as pod_release would have done.
 */
void
rt_pod_dirs_sweep(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (rt_path(path, sizeof(path), "%s/pods", rt.root_dir) == -1 ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !rt_safe_component(de->d_name) ||
		    pod_other_sandbox(de->d_name, ""))
			continue;
		log_info("pod %s: its directory outlived its sandbox: removed",
		    de->d_name);
		pod_release(de->d_name, "");
	}
	closedir(d);
}

static int
infra_meta(const char *id, cJSON **meta, struct rt_err *err)
{
	const char *kind;

	if (!rt_valid_id(id))
		return rt_seterr(err, "sandbox id \"%s\": not a valid id",
		    id ? id : "");
	if ((*meta = ctr_read_meta(id)) == NULL ||
	    (kind = rt_json_str(*meta, "kind")) == NULL ||
	    strcmp(kind, "sandbox") != 0) {
		cJSON_Delete(*meta);
		*meta = NULL;
		return rt_seterr(err, "sandbox %s not found", id);
	}
	return 0;
}

int
sandbox_needs_infra(const struct pod *p)
{
	return p->share_pid && !p->host_pid;
}

static const char *const pin_meta_ino[PIN_NKINDS] = {
	"net_ino", "ipc_ino", "uts_ino"
};
static const char *const pin_meta_path[PIN_NKINDS] = {
	"netns", "ipcns", "utsns"
};

/* the pins the sandbox recorded, from its host namespace flags */
static int
meta_pin_flags(const cJSON *meta)
{
	struct pod p;

	memset(&p, 0, sizeof(p));
	p.host_network = rt_json_int(meta, "host_network", 0) != 0;
	p.host_ipc = rt_json_int(meta, "host_ipc", 0) != 0;
	return pin_flags(&p);
}

/* running iff every namespace it pinned is still held there */
static int
pinned_running(const char *id, const cJSON *meta)
{
	int flags = meta_pin_flags(meta), k;

	if (!pin_dir_exists(id))
		return 0;
	for (k = 0; k < PIN_NKINDS; k++)
		if (pin_wanted(flags, k) && !pin_held(id, k,
		    (uint64_t)rt_json_int(meta, pin_meta_ino[k], 0)))
			return 0;
	return 1;
}

static int
pinned_ns(const char *id, const cJSON *meta, struct sandbox_ns *ns,
    struct rt_err *err)
{
	char *dst[PIN_NKINDS] = { ns->net, ns->ipc, ns->uts };
	int flags = meta_pin_flags(meta), k;

	if (!pinned_running(id, meta))
		return rt_seterr(err, "sandbox %s is not running", id);
	for (k = 0; k < PIN_NKINDS; k++)
		if (pin_wanted(flags, k) && pin_path(dst[k],
		    sizeof(ns->net), id, k) == -1)
			return rt_seterr(err, "path too long");
	return 0;
}

static int
infra_ns(const char *id, const cJSON *meta, struct sandbox_ns *ns,
    struct rt_err *err)
{
	struct rt_cstate st;
	pid_t want = (pid_t)rt_json_int(meta, "pid", 0);

	if (rt_container_state(id, &st, err) == -1)
		return -1;
	/* a dead infra's pid may be recycled: never join /proc/<pid>/ns */
	if (st.status != RT_RUNNING || st.pid != want || want <= 0)
		return rt_seterr(err, "sandbox %s is not running", id);
	ns->infra_pid = want;
	if (!ns->host_network) {
		snprintf(ns->net, sizeof(ns->net), "/proc/%d/ns/net", (int)want);
		snprintf(ns->uts, sizeof(ns->uts), "/proc/%d/ns/uts", (int)want);
	}
	if (!ns->host_ipc)
		snprintf(ns->ipc, sizeof(ns->ipc), "/proc/%d/ns/ipc", (int)want);
	if (rt_json_int(meta, "share_pid", 0) != 0)
		snprintf(ns->pid, sizeof(ns->pid), "/proc/%d/ns/pid", (int)want);
	return 0;
}

int
infra_running(const char *id, struct sandbox_ns *ns, struct rt_err *err)
{
	cJSON *meta;
	int ret = -1;

	memset(ns, 0, sizeof(*ns));
	if (infra_meta(id, &meta, err) == -1)
		return -1;
	ns->host_network = rt_json_int(meta, "host_network", 0) != 0;
	ns->host_ipc = rt_json_int(meta, "host_ipc", 0) != 0;
	ctr_dir(ns->shm, sizeof(ns->shm), id);
	if (rt_strlcat(ns->shm, "/shm", sizeof(ns->shm)) >= sizeof(ns->shm)) {
		rt_seterr(err, "path too long");
		goto out;
	}
	if (rt_json_int(meta, "pinned", 0) != 0)
		ret = pinned_ns(id, meta, ns, err);
	else
		ret = infra_ns(id, meta, ns, err);
out:
	cJSON_Delete(meta);
	return ret;
}

/* ---- create ---- */

static int
sandbox_labels(const struct pod *p, const char *spec_hash,
    int64_t created_ns, struct rt_labels *l, struct rt_err *err)
{
	memset(l, 0, sizeof(*l));
	l->pod_created_ns = created_ns;
	if (copy_label(l->pod_namespace, sizeof(l->pod_namespace),
	    p->namespace, "namespace", err) == -1 ||
	    copy_label(l->pod_name, sizeof(l->pod_name), p->name, "name",
	    err) == -1 ||
	    copy_label(l->pod_uid, sizeof(l->pod_uid), p->uid, "uid", err) == -1)
		return -1;
	if (spec_hash != NULL && strlen(spec_hash) >= sizeof(l->spec_hash))
		return rt_seterr(err, "spec hash longer than %zu bytes",
		    sizeof(l->spec_hash) - 1);
	snprintf(l->spec_hash, sizeof(l->spec_hash), "%s",
	    spec_hash ? spec_hash : "");
	return rt_check_labels(l, err);
}

static cJSON *
sandbox_meta(const struct pod *p, const char *cgpath, int pinned)
{
	cJSON *m = cJSON_CreateObject();

	if (m == NULL || !cJSON_AddStringToObject(m, "kind", "sandbox") ||
	    !cJSON_AddStringToObject(m, "pod_uid", p->uid) ||
	    !cJSON_AddNumberToObject(m, "pinned", pinned) ||
	    !cJSON_AddNumberToObject(m, "share_pid", p->share_pid) ||
	    /* a pinned sandbox has no process, so no cgroup of its own */
	    (!pinned && !cJSON_AddStringToObject(m, "cgroup", cgpath)) ||
	    !cJSON_AddNumberToObject(m, "host_network", p->host_network) ||
	    !cJSON_AddNumberToObject(m, "host_ipc", p->host_ipc) ||
	    !cJSON_AddNumberToObject(m, "host_pid", p->host_pid) ||
	    !cJSON_AddNumberToObject(m, "created_ns", (double)rt_now_ns()) ||
	    !cJSON_AddNumberToObject(m, "started_ns", 0) ||
	    !cJSON_AddNumberToObject(m, "pid", 0)) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

static int
sandbox_shm(const char *dir, struct rt_err *err)
{
	char path[PATH_MAX];

	if (rt_path(path, sizeof(path), "%s/shm", dir) == -1 ||
	    mkdir(path, 0755) == -1)
		return rt_seterrno(err, "mkdir %s/shm", dir);
	if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    POD_SHM_OPTS) == -1)
		return rt_seterrno(err, "mount tmpfs on %s", path);
	return 0;
}

static int
sandbox_start(const struct pod *p, const char *id, const char *dir,
    cJSON *meta, const struct rt_labels *l, pid_t *pid, struct rt_err *err)
{
	char hostname[256], cgpath[PATH_MAX], rootfs[PATH_MAX], poddir[PATH_MAX];
	char path[PATH_MAX], log_path[PATH_MAX];
	struct bundle_paths bp = { 0 };
	cJSON *cfg;
	int rc;

	if (pod_hostname(p, hostname, sizeof(hostname), err) == -1)
		return -1;
	cg_container_path(cgpath, sizeof(cgpath), p, id);
	if (rt_path(rootfs, sizeof(rootfs), "%s/pause/rootfs", rt.root_dir) == -1 ||
	    pod_dir(poddir, sizeof(poddir), p->uid) == -1 ||
	    rt_path(log_path, sizeof(log_path), "%s/infra.log", dir) == -1)
		return rt_seterr(err, "path too long");
	if (pod_files(p, hostname, err) == -1)
		return rt_wrap(err, "writing the pod's hostname, hosts and "
		    "resolv.conf");
	if (vol_setup(p, err) == -1)
		return rt_wrap(err, "setting up the pod's volumes");
	if (!p->host_ipc && sandbox_shm(dir, err) == -1)
		return -1;
	bp.id = id;
	bp.rootfs = rootfs;
	bp.cgroups_path = cgpath;
	bp.hostname = hostname;
	bp.pod_dir = poddir;
	bp.labels = l;
	if ((cfg = bundle_infra(p, &bp, err)) == NULL)
		return rt_wrap(err, "building config.json");
	rc = rt_path(path, sizeof(path), "%s/config.json", dir) == -1 ||
	    rt_json_save_volatile(path, cfg) == -1;
	cJSON_Delete(cfg);
	if (rc)
		return rt_seterrno(err, "write %s/config.json", dir);
	if (ctr_launch(id, dir, log_path, p, pid, err) == -1 ||
	    ctr_start(id, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)*pid);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "pid");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "started_ns");
	if (!cJSON_AddNumberToObject(meta, "pid", *pid) ||
	    !cJSON_AddNumberToObject(meta, "started_ns", (double)rt_now_ns()) ||
	    (!p->host_network && !cJSON_AddStringToObject(meta, "netns", path)))
		return rt_seterr(err, "out of memory");
	return ctr_write_meta(id, meta, err);
}

/* replace (or add) a member of meta */
static int
meta_put(cJSON *meta, const char *key, cJSON *v)
{
	if (v == NULL)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
	if (!cJSON_AddItemToObject(meta, key, v)) {
		cJSON_Delete(v);
		return -1;
	}
	return 0;
}

/*
 * A sandbox with no process: pod files, /dev/shm, then the namespaces
 * pinned (pinns.c).  The pod's sysctls are set by the pin holder after its
 * unshare, inside the new namespaces, once for every container.
 */
static int
sandbox_pin(const struct pod *p, const char *id, const char *dir,
    cJSON *meta, struct rt_err *err)
{
	char hostname[256], path[PATH_MAX];
	uint64_t ino[PIN_NKINDS];
	int flags = pin_flags(p), k;

	if (pod_hostname(p, hostname, sizeof(hostname), err) == -1)
		return -1;
	if (pod_files(p, hostname, err) == -1)
		return rt_wrap(err, "writing the pod's hostname, hosts and "
		    "resolv.conf");
	if (vol_setup(p, err) == -1)
		return rt_wrap(err, "setting up the pod's volumes");
	if (!p->host_ipc && sandbox_shm(dir, err) == -1)
		return -1;
	if (pin_create(id, flags, hostname, p->psc.sysctls, p->psc.n_sysctls,
	    ino, err) == -1)
		return rt_wrap(err, "pinning the namespaces");
	for (k = 0; k < PIN_NKINDS; k++) {
		if (!pin_wanted(flags, k))
			continue;
		if (pin_path(path, sizeof(path), id, k) == -1)
			return rt_seterr(err, "path too long");
		if (meta_put(meta, pin_meta_path[k],
		    cJSON_CreateString(path)) == -1 ||
		    meta_put(meta, pin_meta_ino[k],
		    cJSON_CreateNumber((double)ino[k])) == -1)
			return rt_seterr(err, "out of memory");
	}
	if (meta_put(meta, "started_ns",
	    cJSON_CreateNumber((double)rt_now_ns())) == -1)
		return rt_seterr(err, "out of memory");
	return ctr_write_meta(id, meta, err);
}

/* everything a pinned sandbox has: pins, shm, its directory; idempotent */
static int
pinned_teardown(const char *id, struct rt_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int ret = 0;

	if (pin_remove(id, err) == -1)
		ret = -1;
	ctr_dir(dir, sizeof(dir), id);
	if (rt_path(path, sizeof(path), "%s/shm", dir) == 0 &&
	    rt_umount(path) == -1)
		ret = rt_seterrno(err, "unmount %s", path);
	if (ret == 0) {
		if (rt_mounts_under(dir) > 0)
			ret = rt_seterr(err, "%s: still has mounts", dir);
		else if (rt_rm_rf(dir) == -1)
			ret = rt_seterrno(err, "remove %s", dir);
	}
	return ret;
}

/*
 * The pod's IPs from a CNI result, "a" or "a,b" in the result's order
 * (status.podIPs), without prefixes: one address of each family at most,
 * as the kubelet takes them.
 */
static void
sandbox_ips(const struct cni_result *res, char *out, size_t len)
{
	char addr[sizeof(res->ips[0].address)], *slash;
	int fam4 = 0, fam6 = 0, v6;
	size_t i;

	out[0] = '\0';
	for (i = 0; i < res->n_ips; i++) {
		snprintf(addr, sizeof(addr), "%s", res->ips[i].address);
		if ((slash = strchr(addr, '/')) != NULL)
			*slash = '\0';
		v6 = strchr(addr, ':') != NULL;
		/* a pod IP is one others reach it on, never its loopback */
		if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0)
			continue;
		if ((v6 && fam6++) || (!v6 && fam4++) ||
		    strlen(out) + strlen(addr) + 2 > len)
			continue;
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
		    out[0] ? "," : "", addr);
	}
}

/*
 * "net_pending" in meta.json while the CNI ADD runs: a sandbox found
 * with it (agentd killed during ADD) has a network half made and no
 * recorded pod IP, so it is not adopted but reported gone, which removes
 * it (CNI DEL from cni.json, releasing what the chain took) and makes
 * the pod's sandbox anew.
 */
static int
sandbox_net_pending(const char *id, cJSON *meta, int pending,
    struct rt_err *err)
{
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "net_pending");
	if (pending && !cJSON_AddNumberToObject(meta, "net_pending", 1))
		return rt_seterr(err, "out of memory");
	return ctr_write_meta(id, meta, err);
}

static int
meta_net_pending(const cJSON *meta)
{
	return rt_json_int(meta, "net_pending", 0) != 0;
}

/*
 * CNI ADD; the addresses are the pod's IPs, kept for re-adoption, and
 * /etc/hosts gets its "<podIP> <hostname>" lines now that they are known
 */
static int
sandbox_network(const struct pod *p, const char *id, cJSON *meta,
    struct rt_sandbox *sb, struct rt_err *err)
{
	struct cni_result res;

	if (sandbox_net_pending(id, meta, 1, err) == -1 ||
	    cni_add(p, id, sb->netns_path, &res, err) == -1)
		return -1;
	if (res.n_ips > 0) {
		sandbox_ips(&res, sb->pod_ip, sizeof(sb->pod_ip));
		if (pod_hosts_write(p, sb->pod_ip, err) == -1)
			return rt_wrap(err, "writing the pod's hosts");
		if (meta_put(meta, "pod_ip",
		    cJSON_CreateString(sb->pod_ip)) == -1)
			return rt_seterr(err, "out of memory");
	}
	return sandbox_net_pending(id, meta, 0, err);
}

/*
 * The job creating a sandbox holds a lock on its directory until it
 * returns, and a removal takes the lock first.  A job outlives an
 * executor killed under it: the restarted executor finds that sandbox
 * half made (net_pending) and removes it, and its DEL must come after
 * the old job's last ADD, or what that ADD still did (portmap's DNAT to
 * an address the DEL released) would stay.  -1: no directory.
 */
static int
sandbox_lock(const char *id)
{
	char dir[PATH_MAX];
	int fd;

	ctr_dir(dir, sizeof(dir), id);
	/* close-on-exec: no plugin, runtime or conmon may keep it */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static void
sandbox_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}

/*
 * What a failed creation made goes.  Nothing of the chain may stay: its
 * state file says what ran, and DEL without the namespace (CNI_NETNS
 * empty) is for IPAM and the host's side; the namespace goes next, with
 * its interfaces.  A refused DEL keeps everything, cni.json with it, and
 * returns 1: the sandbox is then the lifecycle's to remove, with retries,
 * so that the address the chain took is not lost with its record.
 */
static int
sandbox_undo(const struct pod *p, const char *id, int infra)
{
	struct rt_err e;

	memset(&e, 0, sizeof(e));
	if (!p->host_network && cni_del(id, NULL, &e) == -1) {
		log_warnx("sandbox %s: %s; kept for its removal", id,
		    rt_errmsg(&e));
		return 1;
	}
	if (infra)
		ctr_remove(id, &e);
	else
		pinned_teardown(id, &e);
	pod_release(p->uid, id);
	return 0;
}

static int
sandbox_create(const struct pod *p, const char *spec_hash,
    int64_t created_ns, struct rt_sandbox *sb, struct rt_err *err)
{
	char id[RT_HEXID_LEN + 1], dir[PATH_MAX], cgpath[PATH_MAX];
	struct rt_labels l;
	cJSON *meta = NULL;
	int created = 0, ret = -1, infra = sandbox_needs_infra(p), kept;
	int lockfd = -1;
	pid_t pid = 0;

	memset(sb, 0, sizeof(*sb));
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (sandbox_labels(p, spec_hash, created_ns, &l, err) == -1)
		return -1;
	if (rt_random_id(id, sizeof(id)) == -1)
		return rt_seterr(err, "no randomness for a sandbox id");
	ctr_dir(dir, sizeof(dir), id);
	cg_container_path(cgpath, sizeof(cgpath), p, id);
	if (mkdir(dir, 0700) == -1)
		return rt_seterrno(err, "mkdir %s", dir);
	created = 1;
	if ((lockfd = sandbox_lock(id)) == -1) {
		rt_seterrno(err, "lock %s", dir);
		goto out;
	}
	if (ctr_write_labels(id, &l, err) == -1)
		goto out;
	if ((meta = sandbox_meta(p, cgpath, !infra)) == NULL) {
		rt_seterr(err, "out of memory");
		goto out;
	}
	if (ctr_write_meta(id, meta, err) == -1 ||
	    cg_pod_setup(p, err) == -1)
		goto out;
	if (infra ? sandbox_start(p, id, dir, meta, &l, &pid, err) == -1 &&
	    rt_wrap(err, "starting the infra container") :
	    sandbox_pin(p, id, dir, meta, err) == -1)
		goto out;
	snprintf(sb->id, sizeof(sb->id), "%s", id);
	sb->pid = pid;
	sb->pinned = !infra;
	if (!p->host_network) {
		if (infra)
			snprintf(sb->netns_path, sizeof(sb->netns_path),
			    "/proc/%d/ns/net", (int)pid);
		else if (pin_path(sb->netns_path, sizeof(sb->netns_path), id,
		    PIN_NET) == -1) {
			rt_seterr(err, "path too long");
			goto out;
		}
		if (sandbox_network(p, id, meta, sb, err) == -1)
			goto out;
	}
	ret = 0;
out:
	if (ret == -1 && created) {
		kept = sandbox_undo(p, id, infra);
		memset(sb, 0, sizeof(*sb));
		if (kept)
			snprintf(sb->id, sizeof(sb->id), "%s", id);
	}
	sandbox_unlock(lockfd);
	cJSON_Delete(meta);
	return ret;
}

int
rt_sandbox_create(const struct pod *p, const char *spec_hash,
    int64_t created_ns, struct rt_sandbox *sb, struct rt_err *err)
{
	if (sandbox_create(p, spec_hash, created_ns, sb, err) == -1)
		return rt_wrap(err, "creating sandbox for %s/%s",
		    p->namespace ? p->namespace : "", p->name ? p->name : "");
	return 0;
}

static void
meta_pod_ip(const cJSON *meta, struct rt_sandbox *sb)
{
	const char *ip = rt_json_str(meta, "pod_ip");

	if (ip != NULL && strlen(ip) < sizeof(sb->pod_ip))
		snprintf(sb->pod_ip, sizeof(sb->pod_ip), "%s", ip);
}

/* no process to ask: the pins are the state */
static void
pinned_status(const char *id, const cJSON *meta, struct rt_sandbox *sb,
    struct rt_cstate *st)
{
	const char *netns;

	sb->pinned = 1;
	st->started_at_ns = rt_json_int(meta, "started_ns", 0);
	if (!pinned_running(id, meta)) {
		st->status = RT_EXITED;
		return;
	}
	st->status = RT_RUNNING;
	if ((netns = rt_json_str(meta, "netns")) != NULL)
		snprintf(sb->netns_path, sizeof(sb->netns_path), "%s", netns);
	meta_pod_ip(meta, sb);
}

int
rt_sandbox_status(const char *id, struct rt_sandbox *sb, struct rt_cstate *st,
    struct rt_err *err)
{
	const char *netns;
	cJSON *meta;

	memset(sb, 0, sizeof(*sb));
	memset(st, 0, sizeof(*st));
	st->status = RT_UNKNOWN;
	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	if (infra_meta(id, &meta, err) == -1)
		return -1;
	snprintf(sb->id, sizeof(sb->id), "%s", id);
	if (meta_net_pending(meta)) {
		log_warnx("sandbox %s: its CNI ADD did not finish", id);
		st->status = RT_EXITED;
		cJSON_Delete(meta);
		return 0;
	}
	if (rt_json_int(meta, "pinned", 0) != 0) {
		pinned_status(id, meta, sb, st);
		cJSON_Delete(meta);
		return 0;
	}
	if (rt_container_state(id, st, err) == -1) {
		cJSON_Delete(meta);
		return -1;
	}
	sb->pid = (pid_t)rt_json_int(meta, "pid", 0);
	if (st->status == RT_RUNNING && st->pid != sb->pid)
		st->status = RT_UNKNOWN;	/* not the process we started */
	if ((netns = rt_json_str(meta, "netns")) != NULL &&
	    st->status == RT_RUNNING) {
		snprintf(sb->netns_path, sizeof(sb->netns_path), "%s", netns);
		meta_pod_ip(meta, sb);
	}
	cJSON_Delete(meta);
	return 0;
}

/* SIGTERM first: agentd-pause exits 0 on it; runtime delete --force after */
static void
infra_stop(const char *id)
{
	const char *argv[10];
	struct rt_run r = { 0 };
	struct rt_cstate st;
	int n, i;

	n = rt_runtime_argv(argv, 10, "kill");
	argv[n++] = id;
	argv[n++] = "15";
	argv[n] = NULL;
	r.argv = argv;
	if (rt_run_ok(&r, NULL) == 0) {
		for (i = 0; i < INFRA_STOP_WAIT_MS * 1000000LL /
		    INFRA_WAIT_SLICE_NS; i++) {
			if (rt_container_state(id, &st, NULL) == -1 ||
			    st.status != RT_RUNNING)
				break;
			nanosleep(&(struct timespec){ 0, INFRA_WAIT_SLICE_NS },
			    NULL);
		}
	}
	rt_run_free(&r);
}

/* CNI DEL, then pins, shm and directory; never a runtime call */
static int
pinned_remove(const char *id, const cJSON *meta, struct rt_err *err)
{
	const char *netns = rt_json_str(meta, "netns");
	int ret = 0;

	/*
	 * Only a pin still holding the namespace we made is ours to DEL in;
	 * without it the chain's DEL still runs, for IPAM.  A failed DEL
	 * keeps everything for the retry.
	 */
	if (!pin_held(id, PIN_NET, (uint64_t)rt_json_int(meta,
	    pin_meta_ino[PIN_NET], 0)))
		netns = NULL;
	if (!rt_json_int(meta, "host_network", 0) &&
	    cni_del(id, netns, err) == -1)
		return -1;
	if (pinned_teardown(id, err) == -1)
		ret = -1;
	return ret;
}

static int
infra_remove(const char *id, const cJSON *meta, struct rt_err *err)
{
	struct rt_cstate st;
	const char *netns = rt_json_str(meta, "netns");
	pid_t pid = (pid_t)rt_json_int(meta, "pid", 0);
	int ret = 0;

	/* only while the recorded process holds it is the netns ours */
	if (netns != NULL && (rt_container_state(id, &st, NULL) == -1 ||
	    st.status != RT_RUNNING || st.pid != pid))
		netns = NULL;
	if (!rt_json_int(meta, "host_network", 0) &&
	    cni_del(id, netns, err) == -1)
		return -1;
	infra_stop(id);
	if (ctr_remove(id, err) == -1)
		ret = -1;
	return ret;
}

int
rt_sandbox_remove(const char *id, struct rt_err *err)
{
	const char *uid;
	char uidbuf[POD_MAX_UID + 1];
	cJSON *meta;
	int ret, lockfd;

	if (!rt.initialized)
		return rt_seterr(err, "runtime not initialized");
	/* after the job creating it, if one is still at it */
	lockfd = rt_valid_id(id) ? sandbox_lock(id) : -1;
	if (infra_meta(id, &meta, err) == -1) {
		sandbox_unlock(lockfd);
		/* nothing recorded: still clear any pins and runtime leftovers */
		if (!rt_valid_id(id))
			return -1;
		ret = pin_remove(id, err);
		return ctr_remove(id, err) == -1 ? -1 : ret;
	}
	uid = rt_json_str(meta, "pod_uid");
	snprintf(uidbuf, sizeof(uidbuf), "%s", uid ? uid : "");
	if (rt_json_int(meta, "pinned", 0) != 0)
		ret = pinned_remove(id, meta, err);
	else
		ret = infra_remove(id, meta, err);
	cJSON_Delete(meta);
	sandbox_unlock(lockfd);
	if (uidbuf[0] != '\0') {
		pod_release(uidbuf, id);
		cg_pod_release(uidbuf);
	}
	return ret;
}
