/*
 * Node policy: what a pod may ask of this host.  The watcher has already
 * validated the pod, but the executor trusts nothing that crossed the
 * IPC boundary, so the Kubernetes rules that matter for host safety are
 * checked again here alongside the node-local policy.
 *
 * Order of the checks (the first violation is reported): host
 * namespaces, sysctls, then each container in spec order: privileged,
 * allowPrivilegeEscalation, forceNoNewPrivileges, capabilities, runAsUser
 * range, runAsNonRoot, run-as-root, host ports.  hostPath volumes
 * (allowedHostPaths) after the host namespaces; a container's mounts of
 * them first among its checks.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pod.h"
#include "policy.h"
#include "sysctl.h"

#define CAP_PREFIX		"CAP_"
#define CAP_PREFIX_LEN		4
#define CAP_NAME_MAX		POD_MAX_CAP_NAME	/* normalized, with NUL */
#define UID_MAX_K8S		2147483647LL	/* API validation bound */
#define DESCRIBE_ELLIPSIS	"..."
#define KERNEL_RELEASE_MAX	65	/* utsname.release */

/* the running kernel, for the safe sysctls it gates; "": none gated in */
static char kernel_release[KERNEL_RELEASE_MAX];

/*
 * The capabilities containerd and CRI-O give every container by default
 * (containerd's oci.defaultUnixCaps, CRI-O's default_capabilities before
 * 1.25 trimmed it): adding one of these back is not an escalation.
 */
static const char *const default_caps[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
	"SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
	"SYS_CHROOT", "KILL", "AUDIT_WRITE",
};
#define N_DEFAULT_CAPS	(sizeof(default_caps) / sizeof(default_caps[0]))

/* names in reasons: a decoded pod always has them, but never print NULL */
static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
verdict_deny(struct policy_verdict *v, const char *rule, const char *field,
    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
verdict_deny(struct policy_verdict *v, const char *rule, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	v->allowed = 0;
	snprintf(v->rule, sizeof(v->rule), "%s", rule);
	snprintf(v->field, sizeof(v->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * Runtimes accept "NET_ADMIN", "CAP_NET_ADMIN" and lower case alike, so
 * compare in one canonical form: no prefix, upper case, [A-Z0-9_] only.
 */
static int
cap_normalize(const char *in, char *out, size_t outlen)
{
	size_t i;

	if (in == NULL || outlen == 0)
		return -1;
	if (strncasecmp(in, CAP_PREFIX, CAP_PREFIX_LEN) == 0)
		in += CAP_PREFIX_LEN;
	for (i = 0; in[i] != '\0'; i++) {
		if (i + 1 >= outlen)
			return -1;
		if (!isalnum((unsigned char)in[i]) && in[i] != '_')
			return -1;
		out[i] = toupper((unsigned char)in[i]);
	}
	out[i] = '\0';
	return i == 0 ? -1 : 0;
}

int
policy_cap_is_default(const char *cap)
{
	char norm[CAP_NAME_MAX];
	size_t i;

	if (cap_normalize(cap, norm, sizeof(norm)) == -1)
		return 0;
	for (i = 0; i < N_DEFAULT_CAPS; i++)
		if (strcmp(norm, default_caps[i]) == 0)
			return 1;
	return 0;
}

static int
cap_is_node_allowed(const struct node_policy *pol, const char *norm)
{
	char allowed[CAP_NAME_MAX];
	uint32_t i;

	for (i = 0; i < pol->n_allowed_caps && i < CONFIG_MAX_CAPS; i++) {
		if (cap_normalize(pol->allowed_caps[i], allowed,
		    sizeof(allowed)) == -1)
			continue;
		if (strcmp(allowed, "ALL") == 0 || strcmp(allowed, norm) == 0)
			return 1;
	}
	return 0;
}

static int
check_host_namespaces(const struct node_policy *pol, const struct pod *p,
    struct policy_verdict *v)
{
	if (p->host_network && !pol->allow_host_network)
		return verdict_deny(v, "hostNetwork", "spec.hostNetwork",
		    "pod %s/%s uses the host network namespace; node policy "
		    "forbids hostNetwork", nz(p->namespace), nz(p->name));
	if (p->host_pid && !pol->allow_host_pid)
		return verdict_deny(v, "hostPID", "spec.hostPID",
		    "pod %s/%s uses the host PID namespace; node policy "
		    "forbids hostPID", nz(p->namespace), nz(p->name));
	if (p->host_ipc && !pol->allow_host_ipc)
		return verdict_deny(v, "hostIPC", "spec.hostIPC",
		    "pod %s/%s uses the host IPC namespace; node policy "
		    "forbids hostIPC", nz(p->namespace), nz(p->name));
	return 1;
}

void
policy_set_kernel_release(const char *release)
{
	snprintf(kernel_release, sizeof(kernel_release), "%s",
	    release != NULL ? release : "");
}

/*
 * The kubelet's sysctl admission (pkg/kubelet/sysctl): a namespaced name,
 * never in a namespace shared with the host, and safe or named by the
 * node's allowedUnsafeSysctls.  The name is checked again: it crossed
 * the IPC boundary, and it is about to become a path under /proc/sys.
 */
static int
check_sysctl(const struct node_policy *pol, const struct pod *p, uint32_t i,
    struct policy_verdict *v)
{
	const struct kv *s = &p->psc.sysctls[i];
	char field[64], canon[SYSCTL_MAX_NAME + 1];
	const char *why;
	enum sysctl_ns ns;

	snprintf(field, sizeof(field), "spec.securityContext.sysctls[%u]", i);
	if ((why = sysctl_name_canon(s->key, canon, sizeof(canon))) != NULL ||
	    strcmp(canon, s->key) != 0)
		return verdict_deny(v, "sysctls", field, "name %s",
		    why != NULL ? why : "is not in the dotted form");
	if ((why = sysctl_value_check(s->value)) != NULL)
		return verdict_deny(v, "sysctls", field, "value %s", why);
	if ((ns = sysctl_namespace(s->key)) == SYSCTL_NS_NONE)
		return verdict_deny(v, "sysctls", field, "sysctl \"%s\" is not "
		    "namespaced: it would be set for the whole node", s->key);
	if ((ns == SYSCTL_NS_NET && p->host_network) ||
	    (ns == SYSCTL_NS_IPC && p->host_ipc))
		return verdict_deny(v, "sysctls", field, "sysctl \"%s\" not "
		    "allowed with host %s enabled: it would be set for the "
		    "node", s->key, ns == SYSCTL_NS_NET ? "net" : "ipc");
	if (sysctl_is_safe(s->key, kernel_release) ||
	    sysctl_list_match(pol->allowed_unsafe_sysctls, s->key))
		return 1;
	return verdict_deny(v, "sysctls", field, "pod %s/%s sets the unsafe "
	    "sysctl \"%s\"; node policy allowedUnsafeSysctls does not allow "
	    "it", nz(p->namespace), nz(p->name), s->key);
}

static int
check_sysctls(const struct node_policy *pol, const struct pod *p,
    struct policy_verdict *v)
{
	uint32_t i;

	if (p->psc.n_sysctls > POD_MAX_SYSCTLS)
		return verdict_deny(v, "sysctls",
		    "spec.securityContext.sysctls", "more than %d sysctls", POD_MAX_SYSCTLS);
	for (i = 0; i < p->psc.n_sysctls; i++)
		if (!check_sysctl(pol, p, i, v))
			return 0;
	return 1;
}

static int
check_privileged(const struct node_policy *pol, const struct pod *p,
    uint32_t i, struct policy_verdict *v)
{
	const struct container_spec *c = &p->containers[i];
	char field[POLICY_MAX_FIELD];

	snprintf(field, sizeof(field),
	    "spec.containers[%u].securityContext.privileged", i);
	if (c->sc.privileged == 1 && !pol->allow_privileged)
		return verdict_deny(v, "privileged", field,
		    "container %s is privileged; node policy forbids "
		    "privileged containers", nz(c->name));
	return 1;
}

/* 1 if the container adds SYS_ADMIN (any spelling runtimes accept) */
static int
adds_sys_admin(const struct container_spec *c)
{
	char norm[CAP_NAME_MAX];
	uint32_t j;

	for (j = 0; j < c->sc.cap_add.n; j++)
		if (cap_normalize(c->sc.cap_add.v[j], norm,
		    sizeof(norm)) == 0 && strcmp(norm, "SYS_ADMIN") == 0)
			return 1;
	return 0;
}

/*
 * Kubernetes API validation (ValidateSecurityContext): escalation may not
 * be switched off for a container that is privileged or adds SYS_ADMIN,
 * since either grants it anyway.  The API compares the literal
 * "CAP_SYS_ADMIN"; we compare the normalized name, which is stricter.
 */
static int
check_escalation(const struct pod *p, uint32_t i, struct policy_verdict *v)
{
	const struct container_spec *c = &p->containers[i];
	char field[POLICY_MAX_FIELD];

	if (c->sc.allow_privilege_escalation != 0)
		return 1;
	snprintf(field, sizeof(field),
	    "spec.containers[%u].securityContext.allowPrivilegeEscalation", i);
	if (c->sc.privileged == 1)
		return verdict_deny(v, "allowPrivilegeEscalation", field,
		    "container %s: cannot set allowPrivilegeEscalation to "
		    "false and privileged to true", nz(c->name));
	if (adds_sys_admin(c))
		return verdict_deny(v, "allowPrivilegeEscalation", field,
		    "container %s: cannot set allowPrivilegeEscalation to "
		    "false and add CAP_SYS_ADMIN", nz(c->name));
	return 1;
}

/*
 * forceNoNewPrivileges: every container runs with no_new_privs.  One that
 * asks for escalation is refused, not silently changed, and so are the
 * privileged and CAP_SYS_ADMIN containers: Kubernetes treats both as
 * allowing escalation and refuses them with allowPrivilegeEscalation:
 * false, which is what this policy would make of them.
 */
static int
check_force_nnp(const struct node_policy *pol, const struct pod *p,
    uint32_t i, struct policy_verdict *v)
{
	const struct container_spec *c = &p->containers[i];
	char field[POLICY_MAX_FIELD];

	if (!pol->force_no_new_privs)
		return 1;
	if (c->sc.allow_privilege_escalation == 1) {
		snprintf(field, sizeof(field), "spec.containers[%u]."
		    "securityContext.allowPrivilegeEscalation", i);
		return verdict_deny(v, "allowPrivilegeEscalation", field,
		    "container %s asks allowPrivilegeEscalation: true; node "
		    "policy forceNoNewPrivileges forbids it", nz(c->name));
	}
	if (c->sc.privileged == 1) {
		snprintf(field, sizeof(field),
		    "spec.containers[%u].securityContext.privileged", i);
		return verdict_deny(v, "allowPrivilegeEscalation", field,
		    "container %s is privileged, which always allows "
		    "privilege escalation; node policy forceNoNewPrivileges "
		    "forbids it", nz(c->name));
	}
	if (adds_sys_admin(c)) {
		snprintf(field, sizeof(field), "spec.containers[%u]."
		    "securityContext.capabilities.add", i);
		return verdict_deny(v, "allowPrivilegeEscalation", field,
		    "container %s adds CAP_SYS_ADMIN, which allows privilege "
		    "escalation; node policy forceNoNewPrivileges forbids it",
		    nz(c->name));
	}
	return 1;
}

static int
check_caps(const struct node_policy *pol, const struct pod *p, uint32_t i,
    struct policy_verdict *v)
{
	const struct container_spec *c = &p->containers[i];
	char field[POLICY_MAX_FIELD], norm[CAP_NAME_MAX];
	uint32_t j;

	for (j = 0; j < c->sc.cap_add.n; j++) {
		snprintf(field, sizeof(field),
		    "spec.containers[%u].securityContext.capabilities.add[%u]",
		    i, j);
		if (cap_normalize(c->sc.cap_add.v[j], norm,
		    sizeof(norm)) == -1)
			return verdict_deny(v, "capabilities", field,
			    "container %s: invalid capability name",
			    nz(c->name));
		if (policy_cap_is_default(norm) ||
		    cap_is_node_allowed(pol, norm))
			continue;
		return verdict_deny(v, "capabilities", field,
		    "container %s adds capability %s, which is neither in "
		    "the default set nor allowed by node policy", nz(c->name),
		    norm);
	}
	return 1;
}

/* the container's securityContext overrides the pod's (Kubernetes rule) */
static int64_t
effective_uid(const struct pod *p, uint32_t i, char *field, size_t len)
{
	const struct container_spec *c = &p->containers[i];

	if (c->sc.run_as_user != -1) {
		snprintf(field, len,
		    "spec.containers[%u].securityContext.runAsUser", i);
		return c->sc.run_as_user;
	}
	if (p->psc.run_as_user != -1) {
		snprintf(field, len, "spec.securityContext.runAsUser");
		return p->psc.run_as_user;
	}
	snprintf(field, len, "spec.containers[%u].securityContext.runAsUser",
	    i);
	return -1;
}

static int8_t
effective_non_root(const struct pod *p, uint32_t i)
{
	const struct container_spec *c = &p->containers[i];

	if (c->sc.run_as_non_root != TRI_UNSET)
		return c->sc.run_as_non_root;
	return p->psc.run_as_non_root;
}

/*
 * runAsNonRoot with uid 0 is refused by the kubelet whatever the node
 * says.  runAsNonRoot with no uid is left to the runtime, which checks
 * the image's user before start (the kubelet's verifyRunAsNonRoot).
 */
static int
check_run_as(const struct node_policy *pol, const struct pod *p, uint32_t i,
    struct policy_verdict *v)
{
	const char *name = nz(p->containers[i].name);
	char field[POLICY_MAX_FIELD];
	int64_t uid;
	int8_t non_root;

	uid = effective_uid(p, i, field, sizeof(field));
	non_root = effective_non_root(p, i);
	if (uid < -1 || uid > UID_MAX_K8S)
		return verdict_deny(v, "runAsUser", field, "container %s: "
		    "runAsUser %lld is outside 0..%lld", name,
		    (long long)uid, UID_MAX_K8S);
	if (non_root == 1 && uid == 0)
		return verdict_deny(v, "runAsNonRoot", field, "container %s: "
		    "runAsNonRoot is true but runAsUser is 0", name);
	if (pol->allow_run_as_root)
		return 1;
	if (uid == 0)
		return verdict_deny(v, "runAsRoot", field, "container %s "
		    "would run as root (runAsUser 0); node policy forbids "
		    "running as root", name);
	if (uid == -1 && non_root != 1)
		return verdict_deny(v, "runAsRoot", field, "container %s: "
		    "runAsUser is unset and runAsNonRoot is not true, so the "
		    "image's user (possibly root) would be used; node policy "
		    "forbids running as root", name);
	return 1;
}

/*
 * A hostPort below 1024 binds a port only root may bind on the node;
 * forbiddenHostPorts keeps pods off the ports of the node's own services
 * (sshd, etcd, the NodePort range) whatever their number.
 */
static int
check_host_ports(const struct node_policy *pol, const struct pod *p,
    uint32_t i, struct policy_verdict *v)
{
	const struct container_spec *c = &p->containers[i];
	char field[POLICY_MAX_FIELD];
	uint32_t j, port, lo, hi;
	char range[24];

	for (j = 0; j < c->n_ports; j++) {
		if ((port = c->ports[j].host_port) == 0)
			continue;
		snprintf(field, sizeof(field),
		    "spec.containers[%u].ports[%u].hostPort", i, j);
		if (port < 1024 && !pol->allow_privileged_host_ports)
			return verdict_deny(v, "hostPort", field, "hostPort %u "
			    "is below 1024 and allowPrivilegedHostPorts is "
			    "false", port);
		if (!config_portlist_find(pol->forbidden_host_ports, port,
		    &lo, &hi))
			continue;
		/* the range as the canonical list spells it */
		if (lo == hi)
			snprintf(range, sizeof(range), "%u", lo);
		else
			snprintf(range, sizeof(range), "%u-%u", lo, hi);
		return verdict_deny(v, "hostPort", field, "hostPort %u is in "
		    "forbiddenHostPorts (%s)", port, range);
	}
	return 1;
}

/*
 * PodSecurityPolicy's allowsHostVolumePath: a prefix matches whole path
 * components ("/foo" admits "/foo" and "/foo/bar", never "/foobar"); a
 * writable match anywhere wins over read-only ones.
 */
static int
prefix_matches(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

const struct host_path_rule *
policy_host_path_match(const struct node_policy *pol, const char *path)
{
	const struct host_path_rule *ro = NULL, *r;
	uint32_t i;

	if (path == NULL || path[0] != '/')
		return NULL;
	for (i = 0; i < pol->n_allowed_host_paths &&
	    i < CONFIG_MAX_HOST_PATHS; i++) {
		r = &pol->allowed_host_paths[i];
		if (!prefix_matches(r->prefix, path))
			continue;
		if (!r->read_only)
			return r;
		if (ro == NULL)
			ro = r;
	}
	return ro;
}

static int
check_host_path_volumes(const struct node_policy *pol, const struct pod *p,
    struct policy_verdict *v)
{
	char field[POLICY_MAX_FIELD];
	uint32_t i;

	for (i = 0; i < p->n_volumes; i++) {
		if (p->volumes[i].kind != VOL_HOST_PATH)
			continue;
		if (policy_host_path_match(pol, p->volumes[i].host_path) !=
		    NULL)
			continue;
		snprintf(field, sizeof(field), "spec.volumes[%u].hostPath.path",
		    i);
		return verdict_deny(v, "allowedHostPaths", field, "hostPath %s "
		    "is not under any of allowedHostPaths%s", nz(p->volumes[i].
		    host_path), pol->n_allowed_host_paths == 0 ?
		    " (none are allowed on this node)" : "");
	}
	return 1;
}

/* a mount of a hostPath under a readOnly prefix must be read-only */
static int
check_mounts(const struct node_policy *pol, const struct pod *p, uint32_t i,
    struct policy_verdict *v)
{
	const struct container_spec *c = &p->containers[i];
	const struct host_path_rule *r;
	const struct volume *vol;
	char field[POLICY_MAX_FIELD];
	uint32_t j;

	for (j = 0; j < c->n_mounts; j++) {
		if ((vol = pod_volume(p, c->mounts[j].name)) == NULL ||
		    vol->kind != VOL_HOST_PATH || c->mounts[j].read_only)
			continue;
		if ((r = policy_host_path_match(pol, vol->host_path)) ==
		    NULL || !r->read_only)
			continue;
		snprintf(field, sizeof(field),
		    "spec.containers[%u].volumeMounts[%u].readOnly", i, j);
		return verdict_deny(v, "allowedHostPaths", field, "must be "
		    "true: hostPath %s is under the readOnly allowedHostPaths "
		    "prefix %s", nz(vol->host_path), r->prefix[0] ? r->prefix :
		    "/");
	}
	return 1;
}

static int
check_container(const struct node_policy *pol, const struct pod *p,
    uint32_t i, struct policy_verdict *v)
{
	if (!check_mounts(pol, p, i, v))
		return 0;
	if (!check_privileged(pol, p, i, v))
		return 0;
	if (!check_escalation(p, i, v))
		return 0;
	if (!check_force_nnp(pol, p, i, v))
		return 0;
	if (!check_caps(pol, p, i, v))
		return 0;
	if (!check_run_as(pol, p, i, v))
		return 0;
	return check_host_ports(pol, p, i, v);
}

/*
 * Init containers (and sidecars) run on the node like any container: the
 * same rules, through a view of the pod whose containers are its init
 * containers (the pod-level fields are the pod's), the field named
 * spec.initContainers[i].
 */
static int
check_init_containers(const struct node_policy *pol, const struct pod *p,
    struct policy_verdict *v)
{
	static const char prefix[] = "spec.containers[";
	char field[sizeof(v->field)];
	struct pod q = *p;
	uint32_t i;

	q.containers = p->init_containers;
	q.n_containers = p->n_init_containers;
	for (i = 0; i < q.n_containers; i++) {
		if (check_container(pol, &q, i, v))
			continue;
		if (strncmp(v->field, prefix, sizeof(prefix) - 1) == 0) {
			snprintf(field, sizeof(field), "spec.initContainers[%s",
			    v->field + sizeof(prefix) - 1);
			snprintf(v->field, sizeof(v->field), "%s", field);
		}
		return 0;
	}
	return 1;
}

int
policy_check(const struct node_policy *pol, const struct pod *p,
    struct policy_verdict *v)
{
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->allowed = 1;
	if (!check_host_namespaces(pol, p, v) || !check_sysctls(pol, p, v))
		return 0;
	if (!check_host_path_volumes(pol, p, v))
		return 0;
	for (i = 0; i < p->n_containers; i++)
		if (!check_container(pol, p, i, v))
			return 0;
	return check_init_containers(pol, p, v);
}

/* a bounded appender: never overruns, remembers that it truncated */
struct describe_buf {
	char	*buf;
	size_t	 len;
	size_t	 off;
	int	 truncated;
};

static void
db_add(struct describe_buf *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
db_add(struct describe_buf *db, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (db->truncated || db->len == 0)
		return;
	room = db->len - db->off;
	va_start(ap, fmt);
	n = vsnprintf(db->buf + db->off, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		db->truncated = 1;
		db->off = db->len - 1;
		return;
	}
	db->off += n;
}

static void
db_finish(struct describe_buf *db)
{
	size_t el = strlen(DESCRIBE_ELLIPSIS);

	if (db->len == 0)
		return;
	db->buf[db->off] = '\0';
	if (db->truncated && db->len > el)
		memcpy(db->buf + db->len - 1 - el, DESCRIBE_ELLIPSIS, el);
}

/* has an earlier add[] entry (in any container) the same normalized name? */
static int
cap_seen_before(const struct pod *p, uint32_t ci, uint32_t cj,
    const char *norm)
{
	char other[CAP_NAME_MAX];
	uint32_t i, j, nj;

	for (i = 0; i <= ci; i++) {
		nj = i == ci ? cj : p->containers[i].sc.cap_add.n;
		for (j = 0; j < nj; j++)
			if (cap_normalize(p->containers[i].sc.cap_add.v[j],
			    other, sizeof(other)) == 0 &&
			    strcmp(other, norm) == 0)
				return 1;
	}
	return 0;
}

/*
 * The union of added capabilities, normalized: names go into a k=v;k=v
 * record, and cap_normalize() admits only [A-Z0-9_].
 */
static void
describe_caps(struct describe_buf *db, const struct pod *p)
{
	char norm[CAP_NAME_MAX];
	const struct strlist *add;
	uint32_t i, j;
	int first = 1;

	db_add(db, "caps_add=");
	for (i = 0; i < p->n_containers; i++) {
		add = &p->containers[i].sc.cap_add;
		for (j = 0; j < add->n; j++) {
			if (cap_normalize(add->v[j], norm, sizeof(norm)) == -1)
				snprintf(norm, sizeof(norm), "INVALID");
			else if (cap_seen_before(p, i, j, norm))
				continue;
			db_add(db, "%s%s", first ? "" : ",", norm);
			first = 0;
		}
	}
}

static void
describe_uids(struct describe_buf *db, const struct pod *p)
{
	char field[POLICY_MAX_FIELD];
	int64_t uid;
	uint32_t i;

	db_add(db, ";runAsUser=");
	for (i = 0; i < p->n_containers; i++) {
		uid = effective_uid(p, i, field, sizeof(field));
		if (uid == -1)
			db_add(db, "%sunset", i ? "," : "");
		else
			db_add(db, "%s%lld", i ? "," : "", (long long)uid);
	}
}

/* the names only (values may be long); none: nothing, as before them */
static void
describe_sysctls(struct describe_buf *db, const struct pod *p)
{
	uint32_t i;

	if (p->psc.n_sysctls == 0)
		return;
	db_add(db, ";sysctls=");
	for (i = 0; i < p->psc.n_sysctls; i++)
		db_add(db, "%s%s", i ? "," : "", nz(p->psc.sysctls[i].key));
}

static void	describe_pod(const struct pod *, char *, size_t);

/*
 * What the audit records of a pod say: its init containers count like
 * its containers (after them, in a view of one list), so a privileged
 * init container is in the record as any other.
 */
void
policy_describe(const struct pod *p, char *buf, size_t len)
{
	struct container_spec *all;
	struct pod q = *p;
	size_t n = (size_t)p->n_containers + p->n_init_containers;

	if (p->n_init_containers == 0 ||
	    (all = calloc(n, sizeof(*all))) == NULL) {
		describe_pod(p, buf, len);
		if (p->n_init_containers != 0 && len > 0)
			snprintf(buf, len, "privileged=?;out of memory");
		return;
	}
	memcpy(all, p->containers, p->n_containers * sizeof(*all));
	memcpy(all + p->n_containers, p->init_containers,
	    p->n_init_containers * sizeof(*all));
	q.containers = all;
	q.n_containers = (uint32_t)n;
	describe_pod(&q, buf, len);
	free(all);		/* a shallow view: the specs are p's */
}

/* ";hostPath=/a,/b": what of the host the pod mounts */
static void
describe_host_paths(struct describe_buf *db, const struct pod *p)
{
	uint32_t i;
	int first = 1;

	for (i = 0; i < p->n_volumes; i++) {
		if (p->volumes[i].kind != VOL_HOST_PATH)
			continue;
		db_add(db, "%s%s", first ? ";hostPath=" : ",",
		    nz(p->volumes[i].host_path));
		first = 0;
	}
}

static void
describe_pod(const struct pod *p, char *buf, size_t len)
{
	struct describe_buf db = { buf, len, 0, 0 };
	uint32_t i;
	int priv = 0;

	for (i = 0; i < p->n_containers; i++)
		if (p->containers[i].sc.privileged == 1)
			priv = 1;
	db_add(&db, "privileged=%d;hostNetwork=%d;hostPID=%d;hostIPC=%d;",
	    priv, p->host_network ? 1 : 0, p->host_pid ? 1 : 0,
	    p->host_ipc ? 1 : 0);
	describe_caps(&db, p);
	describe_uids(&db, p);
	describe_host_paths(&db, p);
	describe_sysctls(&db, p);
	db_finish(&db);
}
