/*
 * OCI runtime config.json for a pod's containers and its infra container,
 * following what the kubelet asks of a CRI runtime (and what containerd's
 * CRI plugin then writes):
 *
 *  - process args: command replaces the image Entrypoint (and then the
 *    image Cmd is ignored); args replace Cmd (k8s.io "Define a command and
 *    arguments for a container").
 *  - env: HOSTNAME, then the image Env, then the container's (resolved
 *    and $(VAR)-expanded by ctrenv.c); a later entry for the same name
 *    replaces the earlier one in place; PATH defaulted when nobody set
 *    it.  The spec's command and args are expanded from the container's
 *    env, the image's Entrypoint and Cmd never.
 *  - user: runAsUser/runAsGroup (container over pod) or the image User,
 *    names resolved in the image's own /etc/passwd and /etc/group.
 *  - capabilities: containerd's default set, then drop (ALL), then add;
 *    privileged gets every capability the node's bounding set has.
 *  - a default seccomp denylist (bundle_seccomp below says why each call
 *    is there), runc's masked and read-only /proc and /sys paths.
 *  - resources: memory limit, CFS quota from the cpu limit, shares from
 *    the cpu request (kubelet's MilliCPUToShares); the pids limit is
 *    the pod cgroup's (podPidsLimit), none per container.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "caps.h"
#include "podfiles.h"
#include "rt_private.h"

#define OCI_VERSION		"1.0.2"
#define CPU_PERIOD_US		BUNDLE_CPU_PERIOD_US
#define CPU_MIN_QUOTA_US	1000	/* kubelet's MinQuotaPeriod */
#define CPU_MIN_SHARES		2	/* kernel minimum, kubelet's too */
#define CPU_MAX_SHARES		262144	/* kernel MAX_SHARES, kubelet's too */
#define CPU_MILLI_PER_CPU	1000
/* kernel max_cfs_runtime: (1 << (64 - BW_SHIFT)) - 1 us; above is EINVAL */
#define CPU_MAX_QUOTA_US	((INT64_C(1) << 44) - 1)
#define CPU_SHARES_PER_CPU	1024
#define NOFILE_MAX		1048576
#define DEV_TMPFS_SIZE		"size=65536k"
#define PASSWD_MAX		(1024 * 1024)
#define PASSWD_LINE_MAX		4096
#define OOM_ADJ_GUARANTEED	(-997)	/* kubelet's qos policy */
#define OOM_ADJ_BESTEFFORT	1000
#define OOM_ADJ_BURSTABLE_MIN	(1000 + OOM_ADJ_GUARANTEED)	/* 3 */
#define OOM_ADJ_BURSTABLE_MAX	999
#define OOM_ADJ_INFRA		(-998)
#define PRIORITY_NODE_CRITICAL	"system-node-critical"
#define EPERM_RET		1
#define ENOSYS_RET		38

/* ---- capabilities ---- */


#define CAPBIT(n)	(1ULL << (n))
enum {
	C_CHOWN = 0, C_DAC_OVERRIDE = 1, C_FOWNER = 3, C_FSETID = 4, C_KILL = 5,
	C_SETGID = 6, C_SETUID = 7, C_SETPCAP = 8, C_NET_BIND_SERVICE = 10,
	C_NET_RAW = 13, C_SYS_MODULE = 16, C_SYS_RAWIO = 17, C_SYS_CHROOT = 18,
	C_SYS_PACCT = 20, C_SYS_ADMIN = 21, C_SYS_BOOT = 22, C_SYS_TIME = 25,
	C_MKNOD = 27, C_AUDIT_WRITE = 29, C_SETFCAP = 31
};

/* containerd's (and Docker's) default set for a container */
static const uint64_t cap_default = CAPBIT(C_CHOWN) | CAPBIT(C_DAC_OVERRIDE) |
    CAPBIT(C_FSETID) | CAPBIT(C_FOWNER) | CAPBIT(C_MKNOD) | CAPBIT(C_NET_RAW) |
    CAPBIT(C_SETGID) | CAPBIT(C_SETUID) | CAPBIT(C_SETFCAP) |
    CAPBIT(C_SETPCAP) | CAPBIT(C_NET_BIND_SERVICE) | CAPBIT(C_SYS_CHROOT) |
    CAPBIT(C_KILL) | CAPBIT(C_AUDIT_WRITE);

/* what this node can grant at all: our own bounding set */
static uint64_t
cap_available(void)
{
	uint64_t mask = 0;
	int i;

	for (i = 0; i < CAPS_COUNT; i++)
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1)
			mask |= CAPBIT(i);
	return mask;
}


static int
cap_mask(const struct security_context *sc, uint64_t *out, struct rt_err *err)
{
	uint64_t avail = cap_available(), caps = cap_default & avail;
	uint32_t i;
	int c;

	if (sc->privileged == 1) {
		*out = avail;
		return 0;
	}
	for (i = 0; i < sc->cap_drop.n; i++) {
		if ((c = caps_lookup(sc->cap_drop.v[i])) == -1)
			return rt_seterr(err, "securityContext.capabilities.drop: "
			    "unknown capability \"%s\"", sc->cap_drop.v[i]);
		caps &= c == CAPS_ALL ? 0 : ~CAPBIT(c);
	}
	for (i = 0; i < sc->cap_add.n; i++) {
		if ((c = caps_lookup(sc->cap_add.v[i])) == -1)
			return rt_seterr(err, "securityContext.capabilities.add: "
			    "unknown capability \"%s\"", sc->cap_add.v[i]);
		if (c == CAPS_ALL) {
			caps = avail;
			continue;
		}
		if (!(avail & CAPBIT(c)))
			return rt_seterr(err, "securityContext.capabilities.add: "
			    "CAP_%s is not in this node's bounding set",
			    caps_names[c]);
		caps |= CAPBIT(c);
	}
	*out = caps;
	return 0;
}

int
bundle_caps(const struct security_context *sc, struct strlist *out,
    struct rt_err *err)
{
	char name[48];
	uint64_t caps;
	int i;

	if (cap_mask(sc, &caps, err) == -1)
		return -1;
	for (i = 0; i < CAPS_COUNT; i++) {
		if (!(caps & CAPBIT(i)))
			continue;
		snprintf(name, sizeof(name), "CAP_%s", caps_names[i]);
		if (strlist_add(out, name, CAPS_COUNT) == -1)
			return rt_seterr(err, "out of memory");
	}
	return 0;
}

/* ---- process args and env ---- */

static int
list_append(struct strlist *dst, const struct strlist *src, struct rt_err *err)
{
	uint32_t i;

	for (i = 0; i < src->n; i++)
		if (strlist_add(dst, src->v[i], 2 * POD_MAX_ARGS) == -1)
			return rt_seterr(err, "out of memory");
	return 0;
}

/* the image's Entrypoint and Cmd are never expanded, the spec's are */
int
bundle_args(const struct container_spec *c, const struct rt_image *img,
    const struct ctr_env *ce, struct strlist *out, struct rt_err *err)
{
	if (c->command.n > 0) {
		if (ctr_env_expand_list(ce, "command", &c->command, out,
		    err) == -1 ||
		    ctr_env_expand_list(ce, "args", &c->args, out, err) == -1)
			return -1;
	} else {
		if (list_append(out, &img->entrypoint, err) == -1)
			return -1;
		if ((c->args.n > 0 ? ctr_env_expand_list(ce, "args", &c->args,
		    out, err) : list_append(out, &img->cmd, err)) == -1)
			return -1;
	}
	if (out->n == 0)
		return rt_seterr(err, "container %s: no command specified: the "
		    "image has no Entrypoint or Cmd and the pod gives no "
		    "command", c->name ? c->name : "");
	return 0;
}

/* set NAME=value, replacing an earlier entry for NAME where it stands */
static int
env_set(struct strlist *env, const char *name, size_t nlen, const char *value,
    struct rt_err *err)
{
	char *kv;
	uint32_t i;

	if (asprintf(&kv, "%.*s=%s", (int)nlen, name, value) == -1)
		return rt_seterr(err, "out of memory");
	for (i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], name, nlen) == 0 && env->v[i][nlen] == '=') {
			free(env->v[i]);
			env->v[i] = kv;
			return 0;
		}
	}
	if (strlist_add(env, kv, 2 * POD_MAX_ENV + 2) == -1) {
		free(kv);
		return rt_seterr(err, "too many environment variables");
	}
	free(kv);
	return 0;
}

int
bundle_env(const struct container_spec *c, const struct rt_image *img,
    const char *hostname, const struct ctr_env *ce, struct strlist *out,
    struct rt_err *err)
{
	const char *v;
	const char *eq;
	uint32_t i;

	if (env_set(out, "HOSTNAME", 8, hostname, err) == -1)
		return -1;
	for (i = 0; i < img->env.n; i++) {
		eq = strchr(img->env.v[i], '=');
		if (eq == NULL || eq == img->env.v[i])
			continue;	/* "NAME" alone sets nothing */
		if (env_set(out, img->env.v[i], eq - img->env.v[i], eq + 1,
		    err) == -1)
			return -1;
	}
	for (i = 0; i < c->n_env; i++) {
		const char *k = c->env[i].key;

		if (k == NULL || k[0] == '\0' || strchr(k, '=') != NULL)
			return rt_seterr(err, "env[%u].name: \"%s\" is empty or "
			    "has '='", i, k ? k : "");
		v = ce != NULL && i < ce->n ? ce->value[i] : c->env[i].value;
		if (env_set(out, k, strlen(k), v != NULL ? v : "", err) == -1)
			return -1;
	}
	for (i = 0; i < out->n; i++)
		if (strncmp(out->v[i], "PATH=", 5) == 0)
			return 0;
	return env_set(out, "PATH", 4, RT_DEFAULT_PATH, err);
}

/* ---- user ---- */

/*
 * Open rootfs/etc/<name> without following any symlink: an image is
 * untrusted and its /etc/passwd may point at the host's files.
 */
static int
passwd_read(const char *rootfs, const char *name, char **buf)
{
	struct stat st;
	int root, etc = -1, fd = -1, ret = -1;
	ssize_t n;
	size_t len = 0;

	*buf = NULL;
	if ((root = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((etc = openat(root, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto out;
	if ((fd = openat(etc, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		goto out;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > PASSWD_MAX)
		goto out;
	if ((*buf = malloc(st.st_size + 1)) == NULL)
		goto out;
	while (len < (size_t)st.st_size &&
	    (n = read(fd, *buf + len, st.st_size - len)) > 0)
		len += n;
	(*buf)[len] = '\0';
	ret = 0;
out:
	if (ret == -1) {
		free(*buf);
		*buf = NULL;
	}
	if (fd != -1)
		close(fd);
	if (etc != -1)
		close(etc);
	close(root);
	return ret;
}

/* split a passwd/group line in place into at most max ':' fields */
static int
passwd_fields(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	while (n < max && (line = strchr(line, ':')) != NULL) {
		*line++ = '\0';
		f[n++] = line;
	}
	return n;
}

static int
parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX - 1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/*
 * Find a passwd entry by name (want_name) or by uid; fills uid, gid and
 * the name.  Returns 0 found, -1 not found or unreadable.
 */
static int
passwd_find(const char *rootfs, const char *want_name, uint32_t want_uid,
    uint32_t *uid, uint32_t *gid, char *name, size_t namelen)
{
	char *buf, *line, *save = NULL, *f[7];
	uint32_t u, g;
	int ret = -1;

	if (passwd_read(rootfs, "passwd", &buf) == -1)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) > PASSWD_LINE_MAX || line[0] == '#')
			continue;
		if (passwd_fields(line, f, 7) < 4 || parse_id(f[2], &u) == -1 ||
		    parse_id(f[3], &g) == -1)
			continue;
		if (want_name ? strcmp(f[0], want_name) != 0 : u != want_uid)
			continue;
		*uid = u;
		*gid = g;
		snprintf(name, namelen, "%s", f[0]);
		ret = 0;
		break;
	}
	free(buf);
	return ret;
}

static int
group_find(const char *rootfs, const char *want, uint32_t *gid)
{
	char *buf, *line, *save = NULL, *f[4];
	uint32_t g;
	int ret = -1;

	if (passwd_read(rootfs, "group", &buf) == -1)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) > PASSWD_LINE_MAX || line[0] == '#')
			continue;
		if (passwd_fields(line, f, 4) < 3 || parse_id(f[2], &g) == -1)
			continue;
		if (strcmp(f[0], want) == 0) {
			*gid = g;
			ret = 0;
			break;
		}
	}
	free(buf);
	return ret;
}

/* the groups listing user as a member, as initgroups(3) would add */
static void
group_members(const char *rootfs, const char *user, struct rt_user *u)
{
	char *buf, *line, *save = NULL, *f[4], *m, *msave = NULL;
	uint32_t g;
	int i, dup;
	const int max = (int)(sizeof(u->additional_gids) /
	    sizeof(u->additional_gids[0]));

	if (user[0] == '\0' || passwd_read(rootfs, "group", &buf) == -1)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL &&
	    u->n_additional_gids < max; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) > PASSWD_LINE_MAX || line[0] == '#')
			continue;
		if (passwd_fields(line, f, 4) < 4 || parse_id(f[2], &g) == -1)
			continue;
		for (m = strtok_r(f[3], ",", &msave); m != NULL;
		    m = strtok_r(NULL, ",", &msave)) {
			if (strcmp(m, user) != 0)
				continue;
			for (dup = 0, i = 0; i < u->n_additional_gids; i++)
				dup |= u->additional_gids[i] == g;
			if (!dup && g != u->gid)
				u->additional_gids[u->n_additional_gids++] = g;
			break;
		}
	}
	free(buf);
}

/*
 * spec.securityContext.supplementalGroups after the image's groups of the
 * user, as containerd's WithAdditionalGIDs and then WithSupplementalGroups
 * (the Merge policy); the primary gid and repeats left out.
 */
static int
supplemental_groups(const struct pod *p, struct rt_user *u, const char *who,
    struct rt_err *err)
{
	const struct strlist *l = &p->psc.supplemental_groups;
	const int max = (int)(sizeof(u->additional_gids) /
	    sizeof(u->additional_gids[0]));
	uint32_t i, g;
	int j, dup;

	for (i = 0; i < l->n; i++) {
		if (parse_id(l->v[i], &g) == -1 || g > 2147483647u)
			return rt_seterr(err, "supplementalGroups[%u]: not a "
			    "group id %s", i, who);
		for (dup = g == u->gid, j = 0; j < u->n_additional_gids; j++)
			dup |= u->additional_gids[j] == g;
		if (dup)
			continue;
		if (u->n_additional_gids >= max)
			return rt_seterr(err, "supplementalGroups: more "
			    "than %d groups with the image's %s", max, who);
		u->additional_gids[u->n_additional_gids++] = g;
	}
	return 0;
}

static void
pod_label(const struct pod *p, const struct container_spec *c, char *buf,
    size_t len)
{
	snprintf(buf, len, "(pod: \"%s_%s(%s)\", container: %s)",
	    p->name ? p->name : "", p->namespace ? p->namespace : "",
	    p->uid ? p->uid : "", c->name ? c->name : "");
}

/*
 * The image's User: "uid", "uid:gid", "name", "name:group".  Sets *named
 * when the user part is a name (runAsNonRoot cannot be verified then).
 */
static int
image_user(const char *rootfs, const char *spec, struct rt_user *u,
    char *name, size_t namelen, int *named, struct rt_err *err)
{
	char user[256], *grp;
	uint32_t gid = 0, dummy;

	*named = 0;
	name[0] = '\0';
	u->uid = u->gid = 0;
	if (spec[0] == '\0') {
		passwd_find(rootfs, NULL, 0, &dummy, &u->gid, name, namelen);
		u->gid = 0;
		return 0;
	}
	snprintf(user, sizeof(user), "%s", spec);
	if ((grp = strchr(user, ':')) != NULL)
		*grp++ = '\0';
	if (parse_id(user, &u->uid) == 0) {
		if (passwd_find(rootfs, NULL, u->uid, &dummy, &gid, name,
		    namelen) == -1)
			gid = 0;
	} else {
		*named = 1;
		if (passwd_find(rootfs, user, 0, &u->uid, &gid, name,
		    namelen) == -1)
			return rt_seterr(err, "image user \"%s\": no such user "
			    "in the image's /etc/passwd", user);
	}
	u->gid = gid;
	if (grp != NULL && grp[0] != '\0' && parse_id(grp, &u->gid) == -1 &&
	    group_find(rootfs, grp, &u->gid) == -1)
		return rt_seterr(err, "image user \"%s\": no such group \"%s\" "
		    "in the image's /etc/group", spec, grp);
	return 0;
}

int
bundle_user(const struct pod *p, const struct container_spec *c,
    const struct rt_image *img, struct rt_user *u, struct rt_err *err)
{
	int64_t run_uid = c->sc.run_as_user >= 0 ? c->sc.run_as_user :
	    p->psc.run_as_user;
	int64_t run_gid = c->sc.run_as_group >= 0 ? c->sc.run_as_group :
	    p->psc.run_as_group;
	int8_t non_root = c->sc.run_as_non_root != TRI_UNSET ?
	    c->sc.run_as_non_root : p->psc.run_as_non_root;
	char name[256] = "", who[POD_MAX_NAME * 2 + POD_MAX_UID + 128];
	uint32_t dummy, gid;
	int named = 0;

	memset(u, 0, sizeof(*u));
	pod_label(p, c, who, sizeof(who));
	if (run_uid > (int64_t)UINT32_MAX - 1 || run_gid > (int64_t)UINT32_MAX - 1)
		return rt_seterr(err, "runAsUser/runAsGroup out of range %s", who);
	if (run_uid >= 0) {
		u->uid = (uint32_t)run_uid;
		/* as containerd: the primary group the image gives this uid */
		if (passwd_find(img->rootfs, NULL, u->uid, &dummy, &gid, name,
		    sizeof(name)) == 0)
			u->gid = gid;
	} else if (image_user(img->rootfs, img->user, u, name, sizeof(name),
	    &named, err) == -1)
		return -1;
	if (run_gid >= 0)
		u->gid = (uint32_t)run_gid;
	/* the kubelet's verifyRunAsNonRoot, with its wording */
	if (non_root == 1) {
		if (run_uid < 0 && named)
			return rt_seterr(err, "container has runAsNonRoot and "
			    "image has non-numeric user (%s), cannot verify user "
			    "is non-root %s", img->user, who);
		if (u->uid == 0)
			return rt_seterr(err, "container has runAsNonRoot and "
			    "image will run as root %s", who);
	}
	group_members(img->rootfs, name, u);
	return supplemental_groups(p, u, who, err);
}

/* ---- resources ---- */

/*
 * milli * per / 1000 without overflow: milli is anything up to INT64_MAX
 * (a cpu of "9223372036854775807m" is a valid quantity), where the
 * kubelet's Go multiplication wraps around into a tiny value.
 */
static uint64_t
cpu_milli_scale(int64_t milli, uint64_t per, uint64_t max)
{
	uint64_t whole = (uint64_t)milli / CPU_MILLI_PER_CPU;
	uint64_t frac = (uint64_t)milli % CPU_MILLI_PER_CPU;

	if (whole > max / per)
		return max;
	whole = whole * per + frac * per / CPU_MILLI_PER_CPU;
	return whole > max ? max : whole;
}

/* kubelet MilliCPUToShares (request, or the limit it defaults to) */
uint64_t
bundle_cpu_shares(const struct resources *r)
{
	int64_t milli = r->cpu_request_milli >= 0 ? r->cpu_request_milli :
	    r->cpu_limit_milli;
	uint64_t shares;

	if (milli <= 0)
		return CPU_MIN_SHARES;
	shares = cpu_milli_scale(milli, CPU_SHARES_PER_CPU, CPU_MAX_SHARES);
	return shares < CPU_MIN_SHARES ? CPU_MIN_SHARES : shares;
}

/*
 * kubelet MilliCPUToQuota; -1 = no limit.  A limit beyond what the kernel
 * takes is clamped to its maximum: no real node has 175 million CPUs.
 */
int64_t
bundle_cpu_quota(const struct resources *r)
{
	uint64_t quota;

	if (r->cpu_limit_milli <= 0)
		return -1;
	quota = cpu_milli_scale(r->cpu_limit_milli, CPU_PERIOD_US,
	    CPU_MAX_QUOTA_US);
	return quota < CPU_MIN_QUOTA_US ? CPU_MIN_QUOTA_US : (int64_t)quota;
}

/* ---- JSON helpers ---- */

/*
 * An exact integer: cJSON keeps numbers as doubles and prints those above
 * 2^53 in exponent form ("9.2233720368547758e+18"), which runc and crun
 * refuse for their int64 and uint64 fields.
 */
static int
json_add_int(cJSON *o, const char *key, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cJSON_AddRawToObject(o, key, buf) != NULL;
}

static cJSON *
json_strarray(const char *const *v, int n)
{
	cJSON *a = cJSON_CreateArray();
	int i;

	for (i = 0; a != NULL && (n < 0 ? v[i] != NULL : i < n); i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(v[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

static cJSON *
json_strlist(const struct strlist *l)
{
	return json_strarray((const char *const *)l->v, (int)l->n);
}

static int
add_mount(cJSON *mounts, const char *dst, const char *type, const char *src,
    const char *const *opts)
{
	cJSON *m = cJSON_CreateObject();

	if (m == NULL || !cJSON_AddStringToObject(m, "destination", dst) ||
	    !cJSON_AddStringToObject(m, "type", type) ||
	    !cJSON_AddStringToObject(m, "source", src) ||
	    !cJSON_AddItemToObject(m, "options", json_strarray(opts, -1)) ||
	    !cJSON_AddItemToArray(mounts, m)) {
		cJSON_Delete(m);
		return -1;
	}
	return 0;
}

static int
add_bind(cJSON *mounts, const char *dst, const char *src, int ro)
{
	const char *opts[] = { "rbind", "rprivate", ro ? "ro" : "rw", NULL };

	return add_mount(mounts, dst, "bind", src, opts);
}

static int
add_ns(cJSON *nss, const char *type, const char *path)
{
	cJSON *ns = cJSON_CreateObject();

	if (ns == NULL || !cJSON_AddStringToObject(ns, "type", type) ||
	    (path != NULL && !cJSON_AddStringToObject(ns, "path", path)) ||
	    !cJSON_AddItemToArray(nss, ns)) {
		cJSON_Delete(ns);
		return -1;
	}
	return 0;
}

/* ---- mounts ---- */

static const char *const opts_proc[] = { "nosuid", "noexec", "nodev", NULL };
static const char *const opts_dev[] = { "nosuid", "strictatime", "mode=755",
	DEV_TMPFS_SIZE, NULL };
static const char *const opts_pts[] = { "nosuid", "noexec", "newinstance",
	"ptmxmode=0666", "mode=0620", "gid=5", NULL };
static const char *const opts_mqueue[] = { "nosuid", "noexec", "nodev", NULL };
static const char *const opts_sys_ro[] = { "nosuid", "noexec", "nodev", "ro",
	NULL };
static const char *const opts_sys_rw[] = { "nosuid", "noexec", "nodev", "rw",
	NULL };
static const char *const opts_cg_ro[] = { "nosuid", "noexec", "nodev",
	"relatime", "ro", NULL };
static const char *const opts_cg_rw[] = { "nosuid", "noexec", "nodev",
	"relatime", "rw", NULL };
static const char *const opts_shm[] = { "rbind", "rprivate", "nosuid",
	"nodev", "noexec", NULL };

static cJSON *
bundle_mounts(const struct bundle_paths *bp, int infra, int ro, int priv)
{
	char path[PATH_MAX];
	cJSON *mounts = cJSON_CreateArray();
	int bad = mounts == NULL;
	uint32_t j;

	bad |= add_mount(mounts, "/proc", "proc", "proc", opts_proc) == -1;
	bad |= add_mount(mounts, "/dev", "tmpfs", "tmpfs", opts_dev) == -1;
	bad |= add_mount(mounts, "/dev/pts", "devpts", "devpts", opts_pts) == -1;
	if (infra)
		goto out;	/* pause needs nothing more */
	bad |= add_mount(mounts, "/dev/mqueue", "mqueue", "mqueue",
	    opts_mqueue) == -1;
	bad |= add_mount(mounts, "/sys", "sysfs", "sysfs",
	    priv ? opts_sys_rw : opts_sys_ro) == -1;
	bad |= add_mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup",
	    priv ? opts_cg_rw : opts_cg_ro) == -1;
	/* the pod's /dev/shm goes with its IPC namespace */
	bad |= add_mount(mounts, "/dev/shm", "bind", bp->shm ? bp->shm :
	    "/dev/shm", opts_shm) == -1;
	/*
	 * volumeMounts, before the /etc files as the kubelet's makeMounts
	 * has them; the sources are the executor's own mount points, the
	 * destination is resolved inside the root fs by the runtime
	 */
	for (j = 0; bp->mount_src != NULL && j < bp->n_mounts; j++)
		bad |= add_bind(mounts, bp->mounts[j].mount_path,
		    bp->mount_src[j], bp->mounts[j].read_only) == -1;
	/* kubelet-managed files; writable unless the root fs is read-only */
	bad |= rt_path(path, sizeof(path), "%s/hostname", bp->pod_dir) == -1 ||
	    add_bind(mounts, "/etc/hostname", path, ro) == -1;
	bad |= rt_path(path, sizeof(path), "%s/hosts", bp->pod_dir) == -1 ||
	    add_bind(mounts, "/etc/hosts", path, ro) == -1;
	bad |= rt_path(path, sizeof(path), "%s/resolv.conf", bp->pod_dir) == -1 ||
	    add_bind(mounts, "/etc/resolv.conf", path, ro) == -1;
	/* writable even on a read-only root fs, as the kubelet mounts it */
	if (bp->term_msg_src != NULL && bp->term_msg_dst != NULL)
		bad |= add_bind(mounts, bp->term_msg_dst, bp->term_msg_src,
		    0) == -1;
out:
	if (bad) {
		cJSON_Delete(mounts);
		return NULL;
	}
	return mounts;
}

/* ---- seccomp ---- */

/*
 * The default profile is a denylist in the spirit of Docker's: everything
 * is allowed except calls that reach kernel state no namespace isolates,
 * or whose only use in a container is an escape.  EPERM, as for a missing
 * capability, so programs take their "not permitted" path.
 *
 * Always denied:
 *   kexec_load, kexec_file_load      replace the host kernel
 *   open_by_handle_at                bypasses the mount namespace
 *                                    (the "shocker" escape)
 *   add_key, request_key, keyctl     kernel keyrings are not namespaced
 *   bpf, perf_event_open             host-wide tracing, large attack surface
 *   io_uring_setup, io_uring_enter,  a second syscall path that seccomp
 *   io_uring_register                cannot see into and a steady source
 *                                    of kernel CVEs; Docker (moby#46762)
 *                                    and containerd (#9320) deny it too
 *   userfaultfd                      a favourite kernel-exploit primitive
 *   swapon, swapoff                  host-wide
 *   uselib, nfsservctl, _sysctl, vm86, vm86old, get_kernel_syms,
 *   query_module, create_module, lookup_dcookie   obsolete, no use
 * Denied unless the capability was explicitly granted (as Docker does):
 *   SYS_ADMIN: mount, umount2, pivot_root, setns, unshare, the new mount
 *     API, clone with CLONE_NEWUSER; clone3 gets ENOSYS so libc falls
 *     back to clone, whose flags we can inspect.  Unprivileged user
 *     namespaces are the usual first step of a kernel exploit.
 *   SYS_BOOT: reboot.  SYS_MODULE: init_module, finit_module,
 *   delete_module.  SYS_TIME: settimeofday, clock_settime,
 *   clock_adjtime, stime (clocks are host-wide).  SYS_RAWIO: iopl,
 *   ioperm.  SYS_PACCT: acct.
 * personality: only the values Docker's default allows (0x0 PER_LINUX,
 *   0x8 UNAME26, 0x20000 PER_LINUX32, 0x20008 both, 0xffffffff the
 *   query); READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE weaken exploit
 *   mitigations for whatever the container runs next.  See sc_persona_*.
 * Allowed on purpose:
 *   ptrace: since Linux 4.8 seccomp is re-checked after a tracer changes
 *     a syscall, so tracing cannot bypass this filter, and tracing other
 *     users' processes still needs CAP_SYS_PTRACE, which the default set
 *     lacks; debuggers and strace inside the container keep working.
 * Runtimes skip names the architecture does not have.
 */
static const char *const sc_always[] = {
	"kexec_load", "kexec_file_load", "open_by_handle_at", "add_key",
	"request_key", "keyctl", "bpf", "perf_event_open", "userfaultfd",
	"swapon", "swapoff", "uselib", "nfsservctl", "_sysctl", "vm86",
	"vm86old", "get_kernel_syms", "query_module", "create_module",
	"lookup_dcookie", "io_uring_setup", "io_uring_enter",
	"io_uring_register", NULL
};
static const char *const sc_sys_admin[] = {
	"mount", "umount", "umount2", "pivot_root", "setns", "unshare",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"mount_setattr", NULL
};
static const char *const sc_sys_boot[] = { "reboot", NULL };
static const char *const sc_sys_module[] = { "init_module", "finit_module",
	"delete_module", NULL };
static const char *const sc_sys_time[] = { "settimeofday", "clock_settime",
	"clock_adjtime", "stime", NULL };
static const char *const sc_sys_rawio[] = { "iopl", "ioperm", NULL };
static const char *const sc_sys_pacct[] = { "acct", NULL };

static const struct {
	int			 cap;	/* -1: always */
	const char *const	*names;
} sc_rules[] = {
	{ -1, sc_always },
	{ C_SYS_ADMIN, sc_sys_admin },
	{ C_SYS_BOOT, sc_sys_boot },
	{ C_SYS_MODULE, sc_sys_module },
	{ C_SYS_TIME, sc_sys_time },
	{ C_SYS_RAWIO, sc_sys_rawio },
	{ C_SYS_PACCT, sc_sys_pacct },
};

static const char *const sc_arches[] = {
#if defined(__x86_64__)
	"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
#elif defined(__aarch64__)
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
#endif
	NULL
};

static cJSON *
sc_rule(const char *const *names, int n, int errno_ret)
{
	cJSON *r = cJSON_CreateObject();

	if (r == NULL ||
	    !cJSON_AddItemToObject(r, "names", json_strarray(names, n)) ||
	    !cJSON_AddStringToObject(r, "action", "SCMP_ACT_ERRNO") ||
	    !cJSON_AddNumberToObject(r, "errnoRet", errno_ret)) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/* clone(flags & CLONE_NEWUSER): arg 0 on x86_64 and aarch64 */
static cJSON *
sc_clone_newuser(void)
{
	static const char *const clone[] = { "clone", NULL };
	cJSON *r = sc_rule(clone, -1, EPERM_RET), *args, *a;

	if (r == NULL)
		return NULL;
	if ((args = cJSON_AddArrayToObject(r, "args")) == NULL ||
	    (a = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(args, a) ||
	    !cJSON_AddNumberToObject(a, "index", 0) ||
	    !cJSON_AddNumberToObject(a, "value", CLONE_NEWUSER) ||
	    !cJSON_AddNumberToObject(a, "valueTwo", CLONE_NEWUSER) ||
	    !cJSON_AddStringToObject(a, "op", "SCMP_CMP_MASKED_EQ")) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/*
 * personality(2) outside Docker's allowed set {0, 0x8, 0x20000, 0x20008,
 * 0xffffffff}.  Our profile allows by default, so the complement has to
 * be denied, and runc and crun OR together the comparisons on one
 * argument: the complement is written as a union of single comparisons.
 * Odd values but 0xffffffff have a lowest clear bit c >= 1 (bits 0..c-1
 * set, bit c clear); even ones in the complement have a bit b outside
 * 0x20008 set; anything above 32 bits is greater than 0xffffffff.
 * tests/unit/test_executor_runtime.c evaluates the union.
 */
int
sc_persona_conds(struct sc_cond *out, int max)
{
	int n = 0, b;

	if (max < SC_PERSONA_CONDS)
		return -1;
	out[n++] = (struct sc_cond){ SC_OP_GT, 0xffffffffULL, 0 };
	for (b = 1; b < 32; b++)
		out[n++] = (struct sc_cond){ SC_OP_MASKED_EQ, (1ULL << b) - 1,
		    (1ULL << (b + 1)) - 1 };
	for (b = 1; b < 32; b++)
		if (b != 3 && b != 17)
			out[n++] = (struct sc_cond){ SC_OP_MASKED_EQ, 1ULL << b,
			    (1ULL << b) | 1 };
	return n;
}

/* one rule per comparison: a list of them on arg 0 would be ORed anyway */
static int
sc_personality(cJSON *rules)
{
	static const char *const personality[] = { "personality", NULL };
	struct sc_cond c[SC_PERSONA_CONDS];
	cJSON *r, *args, *a;
	int i, n = sc_persona_conds(c, SC_PERSONA_CONDS);

	for (i = 0; i < n; i++) {
		if ((r = sc_rule(personality, -1, EPERM_RET)) == NULL)
			return -1;
		if (!cJSON_AddItemToArray(rules, r) ||
		    (args = cJSON_AddArrayToObject(r, "args")) == NULL ||
		    (a = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(args, a) ||
		    !cJSON_AddNumberToObject(a, "index", 0) ||
		    /* OCI, as Docker's clone rule: value the mask, then datum */
		    !json_add_int(a, "value", (int64_t)(c[i].op == SC_OP_GT ?
		    c[i].value : c[i].mask)) ||
		    !json_add_int(a, "valueTwo", (int64_t)(c[i].op ==
		    SC_OP_GT ? 0 : c[i].value)) ||
		    !cJSON_AddStringToObject(a, "op", c[i].op == SC_OP_GT ?
		    "SCMP_CMP_GT" : "SCMP_CMP_MASKED_EQ"))
			return -1;
	}
	return 0;
}

static cJSON *
bundle_seccomp(uint64_t caps)
{
	static const char *const clone3[] = { "clone3", NULL };
	const char *names[64];
	cJSON *s = cJSON_CreateObject(), *rules;
	size_t i;
	int n = 0, j;

	if (s == NULL || !cJSON_AddStringToObject(s, "defaultAction",
	    "SCMP_ACT_ALLOW") ||
	    !cJSON_AddItemToObject(s, "architectures", json_strarray(sc_arches,
	    -1)) || (rules = cJSON_AddArrayToObject(s, "syscalls")) == NULL)
		goto fail;
	for (i = 0; i < sizeof(sc_rules) / sizeof(sc_rules[0]); i++) {
		if (sc_rules[i].cap >= 0 && (caps & CAPBIT(sc_rules[i].cap)))
			continue;
		for (j = 0; sc_rules[i].names[j] != NULL && n < 64; j++)
			names[n++] = sc_rules[i].names[j];
	}
	if (!cJSON_AddItemToArray(rules, sc_rule(names, n, EPERM_RET)) ||
	    sc_personality(rules) == -1)
		goto fail;
	if (!(caps & CAPBIT(C_SYS_ADMIN)) &&
	    (!cJSON_AddItemToArray(rules, sc_rule(clone3, -1, ENOSYS_RET)) ||
	    !cJSON_AddItemToArray(rules, sc_clone_newuser())))
		goto fail;
	return s;
fail:
	cJSON_Delete(s);
	return NULL;
}

/* ---- masked paths (runc's defaults, containerd's powercap) ---- */

static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap", NULL
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger", NULL
};

/* ---- pieces of config.json ---- */

static cJSON *
bundle_capabilities(uint64_t caps)
{
	static const char *const sets[] = { "bounding", "effective",
		"permitted" };
	const char *names[CAPS_COUNT];
	char buf[CAPS_COUNT][48];
	cJSON *c = cJSON_CreateObject();
	int i, n = 0;

	for (i = 0; i < CAPS_COUNT; i++) {
		if (!(caps & CAPBIT(i)))
			continue;
		snprintf(buf[n], sizeof(buf[n]), "CAP_%s", caps_names[i]);
		names[n] = buf[n];
		n++;
	}
	/* inheritable stays empty (CVE-2022-24769); no ambient */
	for (i = 0; c != NULL && i < 3; i++)
		if (!cJSON_AddItemToObject(c, sets[i], json_strarray(names, n))) {
			cJSON_Delete(c);
			return NULL;
		}
	return c;
}

static cJSON *
bundle_rlimits(void)
{
	struct rlimit rl;
	cJSON *a = cJSON_CreateArray(), *r = cJSON_CreateObject();
	uint64_t nofile = NOFILE_MAX;

	/* CAP_SYS_RESOURCE may be missing: never ask above our hard limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < nofile)
		nofile = rl.rlim_max;
	if (a == NULL || r == NULL ||
	    !cJSON_AddStringToObject(r, "type", "RLIMIT_NOFILE") ||
	    !cJSON_AddNumberToObject(r, "hard", (double)nofile) ||
	    !cJSON_AddNumberToObject(r, "soft", (double)nofile) ||
	    !cJSON_AddItemToArray(a, r)) {
		cJSON_Delete(a);
		cJSON_Delete(r);
		return NULL;
	}
	return a;
}

#define CAP_SYS_RESOURCE_BIT	24

/* is CAP_SYS_RESOURCE in our effective set (/proc/self/status CapEff) */
static int
have_sys_resource(void)
{
	char *buf, *p;
	unsigned long long eff = 0;

	if (rt_read_file("/proc/self/status", 64 * 1024, &buf, NULL) == -1)
		return 0;
	if ((p = strstr(buf, "\nCapEff:")) != NULL)
		eff = strtoull(p + 8, NULL, 16);
	free(buf);
	return (eff >> CAP_SYS_RESOURCE_BIT) & 1;
}

/* lowering oom_score_adj needs CAP_SYS_RESOURCE: else never below ours */
static int
oom_clamp(int want)
{
	char *buf;
	int own = 0;

	if (have_sys_resource())
		return want;
	if (rt_read_file("/proc/self/oom_score_adj", 64, &buf, NULL) == 0) {
		own = atoi(buf);
		free(buf);
	}
	return want < own ? own : want;
}

/* 1000 - 1000 * request / capacity, without the Go int64 wrap */
static int
oom_by_request(int64_t req, uint64_t capacity)
{
	if (req <= 0)
		return 1000;
	if ((uint64_t)req >= capacity)
		return 0;
	return 1000 - (int)((1000 * (uint64_t)req) / capacity);
}

/* the request the API server defaulted from the limit: 0 for none */
static int64_t
mem_request(const struct container_spec *c)
{
	if (c->res.mem_request_bytes >= 0)
		return c->res.mem_request_bytes;
	return c->res.mem_limit_bytes >= 0 ? c->res.mem_limit_bytes : 0;
}

/*
 * The kubelet's GetContainerOOMScoreAdjust (pkg/kubelet/qos/policy.go):
 * Guaranteed -997, BestEffort 1000, Burstable by the memory request's
 * share of the node, at least 3 (above any Guaranteed) and never 1000
 * (below BestEffort); a sidecar no higher than the regular container
 * with the smallest request, so that it outlives what it serves.
 * A node-critical pod (IsNodeCriticalPod: priorityClassName
 * system-node-critical, which the API server's admission gives a critical
 * priority and a static pod is critical anyway) gets -997 in every class.
 * Capacity 0 (unknown): 999.  Before oom_clamp.
 */
int
bundle_qos_oom_adj(const struct pod *p, const struct container_spec *c,
    uint64_t capacity)
{
	int64_t min_req;
	int adj, min_adj;
	uint32_t i;

	/* IsNodeCriticalPod: the last to be killed whatever its class */
	if (p->priority_class_name != NULL &&
	    strcmp(p->priority_class_name, PRIORITY_NODE_CRITICAL) == 0)
		return OOM_ADJ_GUARANTEED;
	switch (pod_qos_class(p)) {
	case POD_QOS_GUARANTEED:
		return OOM_ADJ_GUARANTEED;
	case POD_QOS_BESTEFFORT:
		return OOM_ADJ_BESTEFFORT;
	case POD_QOS_BURSTABLE:
		break;
	}
	if (capacity == 0)
		return OOM_ADJ_BURSTABLE_MAX;
	adj = oom_by_request(mem_request(c), capacity);
	if (pod_is_sidecar(c) && p->n_containers > 0) {
		min_req = mem_request(&p->containers[0]);
		for (i = 1; i < p->n_containers; i++)
			if (mem_request(&p->containers[i]) < min_req)
				min_req = mem_request(&p->containers[i]);
		min_adj = oom_by_request(min_req, capacity);
		if (adj > min_adj)
			adj = min_adj;
	}
	if (adj < OOM_ADJ_BURSTABLE_MIN)
		adj = OOM_ADJ_BURSTABLE_MIN;
	if (adj == OOM_ADJ_BESTEFFORT)
		adj = OOM_ADJ_BESTEFFORT - 1;
	return adj;
}

/* the node's memory capacity as the kubelet's cadvisor has it */
static int
bundle_oom_score_adj(const struct pod *p, const struct container_spec *c)
{
	struct sysinfo si;
	uint64_t capacity = 0;

	if (sysinfo(&si) == 0)
		capacity = (uint64_t)si.totalram * si.mem_unit;
	return oom_clamp(bundle_qos_oom_adj(p, c, capacity));
}

static cJSON *
bundle_user_json(const struct rt_user *u)
{
	cJSON *j = cJSON_CreateObject(), *g;
	int i;

	if (j == NULL || !cJSON_AddNumberToObject(j, "uid", u->uid) ||
	    !cJSON_AddNumberToObject(j, "gid", u->gid) ||
	    (g = cJSON_AddArrayToObject(j, "additionalGids")) == NULL)
		goto fail;
	for (i = 0; i < u->n_additional_gids; i++)
		if (!cJSON_AddItemToArray(g,
		    cJSON_CreateNumber(u->additional_gids[i])))
			goto fail;
	return j;
fail:
	cJSON_Delete(j);
	return NULL;
}

cJSON *
bundle_resources(const struct resources *r, int priv)
{
	cJSON *res = cJSON_CreateObject(), *devs, *d, *o;
	int64_t quota = r != NULL ? bundle_cpu_quota(r) : -1;

	if (res == NULL || (devs = cJSON_AddArrayToObject(res, "devices")) == NULL ||
	    (d = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(devs, d) ||
	    !cJSON_AddBoolToObject(d, "allow", priv) ||
	    !cJSON_AddStringToObject(d, "access", "rwm"))
		goto fail;
	if (r != NULL && r->mem_limit_bytes > 0) {
		if ((o = cJSON_AddObjectToObject(res, "memory")) == NULL ||
		    !json_add_int(o, "limit", r->mem_limit_bytes))
			goto fail;
	}
	if (r != NULL) {
		if ((o = cJSON_AddObjectToObject(res, "cpu")) == NULL ||
		    !json_add_int(o, "shares", (int64_t)bundle_cpu_shares(r)))
			goto fail;
		if (quota > 0 && (!json_add_int(o, "quota", quota) ||
		    !json_add_int(o, "period", CPU_PERIOD_US)))
			goto fail;
	}
	/* no per-container pids limit, as the kubelet: podPidsLimit is
	   the pod cgroup's (cgroup.c cg_pod_setup) */
	return res;
fail:
	cJSON_Delete(res);
	return NULL;
}

/* a namespace to join by path; "" (never expected): refuse, not create */
static int
add_ns_join(cJSON *nss, const char *type, const char *path)
{
	if (path == NULL || path[0] == '\0')
		return -1;
	return add_ns(nss, type, path);
}

/*
 * network, ipc, uts: the sandbox's (pinned, or the infra's), or the host's
 * when the pod asks; pid: the infra's when the pod shares it, else a new
 * one unless hostPID.  ns NULL: the infra container, which creates them.
 */
cJSON *
bundle_namespaces(const struct pod *p, const struct sandbox_ns *ns)
{
	cJSON *nss = cJSON_CreateArray();
	int bad = nss == NULL;

	if (ns != NULL && ns->pid[0] != '\0')
		bad |= add_ns_join(nss, "pid", ns->pid) == -1;
	else if (!p->host_pid)
		bad |= add_ns(nss, "pid", NULL) == -1;
	bad |= add_ns(nss, "mount", NULL) == -1;
	if (!p->host_network) {
		bad |= (ns == NULL ? add_ns(nss, "network", NULL) :
		    add_ns_join(nss, "network", ns->net)) == -1;
		bad |= (ns == NULL ? add_ns(nss, "uts", NULL) :
		    add_ns_join(nss, "uts", ns->uts)) == -1;
	}
	if (!p->host_ipc)
		bad |= (ns == NULL ? add_ns(nss, "ipc", NULL) :
		    add_ns_join(nss, "ipc", ns->ipc)) == -1;
	/* a private cgroup view, as the kubelet gets on cgroup v2 */
	if (rt.cg.v2_pure)
		bad |= add_ns(nss, "cgroup", NULL) == -1;
	if (bad) {
		cJSON_Delete(nss);
		return NULL;
	}
	return nss;
}

static cJSON *
bundle_annotations(const struct bundle_paths *bp, int infra)
{
	const struct rt_labels *l = bp->labels;
	cJSON *a = cJSON_CreateObject();
	char rc[16];

	snprintf(rc, sizeof(rc), "%u", l->restart_count);
	if (a == NULL ||
	    !cJSON_AddStringToObject(a, "io.kubernetes.cri.container-type",
	    infra ? "sandbox" : "container") ||
	    !cJSON_AddStringToObject(a, "io.kubernetes.cri.sandbox-id",
	    bp->sandbox_id ? bp->sandbox_id : bp->id) ||
	    !cJSON_AddStringToObject(a, "io.kubernetes.pod.namespace",
	    l->pod_namespace) ||
	    !cJSON_AddStringToObject(a, "io.kubernetes.pod.name", l->pod_name) ||
	    !cJSON_AddStringToObject(a, "io.kubernetes.pod.uid", l->pod_uid) ||
	    !cJSON_AddStringToObject(a, "io.kubernetes.container.name",
	    l->container) ||
	    !cJSON_AddStringToObject(a, "io.kubernetes.container.restartCount",
	    rc) ||
	    !cJSON_AddStringToObject(a, "agentd.image-digest", l->image_digest) ||
	    !cJSON_AddStringToObject(a, "agentd.spec-hash", l->spec_hash)) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

/*
 * The pod's sysctls, in the infra container only: it creates the
 * namespaces the app containers join, so runc sets them there once for
 * the pod (as containerd gives them to the sandbox's spec).
 */
static int
bundle_sysctls(cJSON *lx, const struct pod *p)
{
	cJSON *o;
	uint32_t i;

	if (p->psc.n_sysctls == 0)
		return 0;
	if ((o = cJSON_AddObjectToObject(lx, "sysctl")) == NULL)
		return -1;
	for (i = 0; i < p->psc.n_sysctls; i++)
		if (!cJSON_AddStringToObject(o, p->psc.sysctls[i].key,
		    p->psc.sysctls[i].value != NULL ?
		    p->psc.sysctls[i].value : ""))
			return -1;
	return 0;
}

static cJSON *
bundle_linux(const struct pod *p, const struct bundle_paths *bp,
    const struct resources *res, uint64_t caps, int priv, int infra)
{
	cJSON *lx = cJSON_CreateObject();

	if (lx == NULL ||
	    !cJSON_AddItemToObject(lx, "namespaces",
	    bundle_namespaces(p, infra ? NULL : bp->ns)) ||
	    !cJSON_AddStringToObject(lx, "cgroupsPath", bp->cgroups_path) ||
	    !cJSON_AddItemToObject(lx, "resources",
	    bundle_resources(res, priv)))
		goto fail;
	if (infra && bundle_sysctls(lx, p) == -1)
		goto fail;
	if (!priv && (!cJSON_AddItemToObject(lx, "maskedPaths",
	    json_strarray(masked_paths, -1)) ||
	    !cJSON_AddItemToObject(lx, "readonlyPaths",
	    json_strarray(readonly_paths, -1)) ||
	    !cJSON_AddItemToObject(lx, "seccomp", bundle_seccomp(caps))))
		goto fail;
	return lx;
fail:
	cJSON_Delete(lx);
	return NULL;
}

int
bundle_pod_hostname(const struct pod *p, char *buf, size_t len)
{
	char host[PODFILES_HOSTNAME_MAX + 1], domain[PODFILES_DOMAIN_MAX + 1];
	char node[PODFILES_FQDN_MAX + 1], why[PODFILES_WHY_MAX];

	if (p->host_network)
		return gethostname(buf, len) == 0 ? 0 : -1;
	/* the kubelet's: spec.hostname or the name, the FQDN if asked */
	if (podfiles_hostname(p, rt.cluster_domain, host, domain, node,
	    why) == -1 || strlen(node) >= len)
		return -1;
	memcpy(buf, node, strlen(node) + 1);
	return 0;
}

static cJSON *
bundle_process(const struct strlist *args, const struct strlist *env,
    const char *cwd, const struct rt_user *u, uint64_t caps, int nnp,
    int oom_adj)
{
	cJSON *pr = cJSON_CreateObject();

	if (pr == NULL || !cJSON_AddBoolToObject(pr, "terminal", 0) ||
	    !cJSON_AddItemToObject(pr, "user", bundle_user_json(u)) ||
	    !cJSON_AddItemToObject(pr, "args", json_strlist(args)) ||
	    !cJSON_AddItemToObject(pr, "env", json_strlist(env)) ||
	    !cJSON_AddStringToObject(pr, "cwd", cwd) ||
	    !cJSON_AddItemToObject(pr, "capabilities",
	    bundle_capabilities(caps)) ||
	    !cJSON_AddItemToObject(pr, "rlimits", bundle_rlimits()) ||
	    !cJSON_AddBoolToObject(pr, "noNewPrivileges", nnp) ||
	    !cJSON_AddNumberToObject(pr, "oomScoreAdj", oom_adj)) {
		cJSON_Delete(pr);
		return NULL;
	}
	return pr;
}

static cJSON *
bundle_top(cJSON *process, const char *rootfs, int ro, const char *hostname,
    cJSON *mounts, cJSON *lx, cJSON *ann)
{
	cJSON *cfg = cJSON_CreateObject(), *root;

	if (cfg == NULL || process == NULL || mounts == NULL || lx == NULL ||
	    ann == NULL)
		goto fail;
	if (!cJSON_AddStringToObject(cfg, "ociVersion", OCI_VERSION) ||
	    !cJSON_AddItemToObject(cfg, "process", process))
		goto fail;
	process = NULL;
	if ((root = cJSON_AddObjectToObject(cfg, "root")) == NULL ||
	    !cJSON_AddStringToObject(root, "path", rootfs) ||
	    !cJSON_AddBoolToObject(root, "readonly", ro) ||
	    (hostname != NULL && !cJSON_AddStringToObject(cfg, "hostname",
	    hostname)) ||
	    !cJSON_AddItemToObject(cfg, "mounts", mounts))
		goto fail;
	mounts = NULL;
	if (!cJSON_AddItemToObject(cfg, "linux", lx))
		goto fail;
	lx = NULL;
	if (!cJSON_AddItemToObject(cfg, "annotations", ann))
		goto fail;
	return cfg;
fail:
	cJSON_Delete(process);
	cJSON_Delete(mounts);
	cJSON_Delete(lx);
	cJSON_Delete(ann);
	cJSON_Delete(cfg);
	return NULL;
}

/*
 * The kubelet's AddNoNewPrivileges: no_new_privs only when the spec says
 * allowPrivilegeEscalation: false; unset allows escalation.  Under
 * forceNoNewPrivileges always (the policy has refused the containers
 * that asked otherwise).  The executor carries no no_new_privs of its
 * own (sandbox.c), so this is what the container gets.
 */
static int
bundle_no_new_privs(const struct container_spec *c)
{
	return c->sc.allow_privilege_escalation == 0 || rt.force_nnp;
}

cJSON *
bundle_container(const struct pod *p, const struct container_spec *c,
    const struct rt_image *img, const struct bundle_paths *bp,
    struct rt_err *err)
{
	struct strlist args = { 0 }, env = { 0 };
	struct ctr_env_facts facts = { bp->pod_ips ? bp->pod_ips : "",
	    rt.node_ips, rt.alloc_cpu_milli, rt.alloc_mem_bytes };
	struct ctr_env ce = { 0 };
	struct rt_user u;
	char hostname[256], cwd[POD_MAX_PATH + 2];
	const char *wd;
	uint64_t caps;
	int priv = c->sc.privileged == 1, ro = c->sc.read_only_root_fs == 1;
	int nnp = bundle_no_new_privs(c);
	cJSON *cfg = NULL;

	/* never a fresh namespace where the pod's sandbox should be joined */
	if (bp->ns == NULL) {
		rt_seterr(err, "container %s: no sandbox namespaces",
		    c->name ? c->name : "");
		goto out;
	}
	if (bundle_pod_hostname(p, hostname, sizeof(hostname)) == -1) {
		rt_seterr(err, "pod %s: cannot derive a hostname", p->name ?
		    p->name : "");
		goto out;
	}
	if (ctr_env_make(p, c, &facts, &ce, err) == -1 ||
	    bundle_args(c, img, &ce, &args, err) == -1 ||
	    bundle_env(c, img, hostname, &ce, &env, err) == -1 ||
	    bundle_user(p, c, img, &u, err) == -1 ||
	    cap_mask(&c->sc, &caps, err) == -1) {
		/* the spec cannot run on this image: the kubelet's
		 * CreateContainerConfigError, not a runtime failure */
		if (err != NULL)
			err->config = 1;
		goto out;
	}
	wd = c->working_dir && c->working_dir[0] ? c->working_dir :
	    img->working_dir[0] ? img->working_dir : "/";
	snprintf(cwd, sizeof(cwd), "%s%s", wd[0] == '/' ? "" : "/", wd);
	cfg = bundle_top(bundle_process(&args, &env, cwd, &u, caps, nnp,
	    bundle_oom_score_adj(p, c)), bp->rootfs, ro, NULL,
	    bundle_mounts(bp, 0, ro, priv),
	    bundle_linux(p, bp, &c->res, caps, priv, 0),
	    bundle_annotations(bp, 0));
	if (cfg == NULL)
		rt_seterr(err, "out of memory");
out:
	ctr_env_free(&ce);
	strlist_free(&args);
	strlist_free(&env);
	return cfg;
}

/*
 * The infra container: agentd-pause as nobody with no capabilities in a
 * read-only root, holding the pod's network, IPC and UTS namespaces.
 */
cJSON *
bundle_infra(const struct pod *p, const struct bundle_paths *bp,
    struct rt_err *err)
{
	static const char *const pause_argv[] = { "/agentd-pause", NULL };
	static const char *const pause_env[] = { "PATH=/", NULL };
	struct strlist args = { (char **)pause_argv, 1 };
	struct strlist env = { (char **)pause_env, 1 };
	struct rt_user u = { .uid = 65534, .gid = 65534 };
	cJSON *cfg;

	cfg = bundle_top(bundle_process(&args, &env, "/", &u, 0, 1,
	    oom_clamp(OOM_ADJ_INFRA)), bp->rootfs, 1,
	    p->host_network ? NULL : bp->hostname,
	    bundle_mounts(bp, 1, 1, 0), bundle_linux(p, bp, NULL, 0, 0, 1),
	    bundle_annotations(bp, 1));
	if (cfg == NULL)
		rt_seterr(err, "out of memory");
	return cfg;
}
