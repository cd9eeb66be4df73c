/*
 * The spec identity of pod sandboxes and containers (identity.h).
 *
 * The canonical text is a sequence of lines "name=length:value\n": the
 * name is the field's Kubernetes JSON path (list elements as "env[2].name",
 * pod-level fields in the container hash under "pod."), the length the
 * value's size in decimal, the value its bytes.  Names are fixed strings
 * and indexes, never input, and never hold '='; with the explicit length a
 * value can hold anything (even newlines) and the text still has one
 * reading.  Fields are written in one fixed order.
 *
 * A field at its default (unset -1, TRI_UNSET, false, an empty or absent
 * string or list, the enum's Kubernetes default) is not written at all:
 * that is what keeps an old pod's hash when the model grows a field.  An
 * element of a list is always written (["a", ""] is not ["a"]); inside an
 * env entry an empty value is left out, the name marks the entry.  Enums
 * are written as their Kubernetes names, so renumbering them is no change.
 *
 * The sandbox hash ("s1:") covers what the pod's sandbox is made from;
 * the kubelet recreates the sandbox when the network namespace mode
 * changes (kuberuntime podSandboxChanged), and the API server makes the
 * other host namespaces immutable, so a change of any means a new pod:
 *	metadata.namespace, metadata.name (the UTS hostname), metadata.uid
 *	(names the cgroup, directories, labels), spec.hostNetwork,
 *	spec.hostPID, spec.hostIPC, spec.shareProcessNamespace (the pause
 *	process as PID 1 or none), spec.initContainers (each one's container
 *	text, in order: the API server makes them immutable, so a change is
 *	a new pod; none written when there are none).
 *	spec.securityContext.sysctls (set once in the sandbox's
 *	namespaces; none written when there are none).
 *
 * The container hash ("c1:") covers the container's own spec, as the
 * kubelet's HashContainer hashes the whole v1.Container (JSON, empty
 * fields omitted), plus the pod-level fields that shape every container's
 * process:
 *	name, image, imagePullPolicy, command, args, env (with valueFrom's
 *	fieldRef and resourceFieldRef), workingDir,
 *	ports (name, containerPort, hostPort, protocol, hostIP),
 *	resources (cpu/memory requests and limits),
 *	securityContext (runAsUser, runAsGroup, runAsNonRoot,
 *	readOnlyRootFilesystem, privileged, allowPrivilegeEscalation,
 *	capabilities add/drop), terminationMessagePath,
 *	terminationMessagePolicy, lifecycle (postStart, preStop),
 *	pod.securityContext (runAsUser, runAsGroup, runAsNonRoot,
 *	supplementalGroups), and
 *	restartPolicy (a sidecar's "Always"; unset on every other).
 *	(fsGroup and volumeMounts belong here when the
 *	model has them.)
 *
 * Left out on purpose, as the kubelet restarts nothing for them:
 *	metadata.labels, metadata.annotations: metadata; none of them
 *	    changes how agentd runs a container (one that does, such as a
 *	    seccomp or AppArmor annotation, must be added here);
 *	spec.restartPolicy: applies at the next exit, a pod-level policy;
 *	spec.terminationGracePeriodSeconds: applies at the next stop;
 *	spec.activeDeadlineSeconds: a pod-level timer, changed in place;
 *	source, nodeName: where the pod came from and whose it is, not how
 *	    it runs;
 *	the other containers' resources: the QoS class (oom_score_adj) is
 *	    derived from all containers when one is created, as the kubelet
 *	    does; a sibling's change does not restart this container;
 *	the pod's uid in the container hash: containers are compared within
 *	    one pod only, and the sandbox hash holds it;
 *	the podwire version and layout: the point of this file;
 *	spec.hostname, spec.subdomain, spec.setHostnameAsFQDN,
 *	    spec.dnsPolicy, spec.dnsConfig, spec.hostAliases: what the
 *	    sandbox's /etc files and UTS name are made from, but the
 *	    kubelet's podSandboxChanged looks only at the sandbox's state,
 *	    its network namespace mode and its IP, and HashContainer at the
 *	    container alone, so it recreates nothing for them (the API
 *	    server makes them immutable; a static pod that changes them is
 *	    a new pod, its uid being the file's hash).  Kept out, a running
 *	    pod keeps its hashes across the upgrade that added them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "identity.h"

#define ID_NAME_MAX	96	/* the longest path written, with an index */

/* where the canonical text goes: a digest, a buffer, or both */
struct canon {
	EVP_MD_CTX	*md;
	int		 keep;		/* also collect the text in buf */
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int		 err;
};

static void
canon_put(struct canon *c, const void *p, size_t n)
{
	char *nb;
	size_t ncap;

	if (c->err || n == 0)
		return;
	if (c->md != NULL && EVP_DigestUpdate(c->md, p, n) != 1) {
		c->err = 1;
		return;
	}
	if (!c->keep)
		return;
	/* room for the bytes and a NUL: the text is a C string too */
	if (c->len + n + 1 > c->cap) {
		ncap = c->cap ? c->cap : 1024;
		while (ncap < c->len + n + 1) {
			if (ncap > SIZE_MAX / 2) {
				c->err = 1;
				return;
			}
			ncap *= 2;
		}
		if ((nb = realloc(c->buf, ncap)) == NULL) {
			c->err = 1;
			return;
		}
		c->buf = nb;
		c->cap = ncap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

/* one line: name=length:value */
static void
field(struct canon *c, const char *name, const char *v, size_t n)
{
	char len[32];

	snprintf(len, sizeof(len), "=%zu:", n);
	canon_put(c, name, strlen(name));
	canon_put(c, len, strlen(len));
	canon_put(c, v, n);
	canon_put(c, "\n", 1);
}

/* a required string: always written, NULL as "" */
static void
field_req(struct canon *c, const char *name, const char *v)
{
	if (v == NULL)
		v = "";
	field(c, name, v, strlen(v));
}

/* an optional string: NULL and "" are its default */
static void
field_opt(struct canon *c, const char *name, const char *v)
{
	if (v != NULL && *v != '\0')
		field(c, name, v, strlen(v));
}

/* an integer in decimal, with a unit suffix ("m" for millicores) */
static void
field_num(struct canon *c, const char *name, int64_t v, int64_t dflt,
    const char *unit)
{
	char s[40];

	if (v == dflt)
		return;
	snprintf(s, sizeof(s), "%lld%s", (long long)v, unit);
	field(c, name, s, strlen(s));
}

static void
field_i64(struct canon *c, const char *name, int64_t v, int64_t dflt)
{
	field_num(c, name, v, dflt, "");
}

static void
field_tri(struct canon *c, const char *name, int8_t v)
{
	if (v == TRI_UNSET)
		return;
	field_req(c, name, v ? "true" : "false");
}

static void
field_bool(struct canon *c, const char *name, uint8_t v)
{
	if (v)
		field_req(c, name, "true");
}

/* an enum by its Kubernetes name; dflt (the model's zero) is left out */
static void
field_enum(struct canon *c, const char *name, uint8_t v, uint8_t dflt,
    const char *const *names, size_t nnames)
{
	char s[16];

	if (v == dflt)
		return;
	if (v < nnames) {
		field_req(c, name, names[v]);
		return;
	}
	/* the decoder refuses these; a distinct value all the same */
	snprintf(s, sizeof(s), "#%u", v);
	field_req(c, name, s);
}

/* "base[i]" or "base[i].sub" */
static const char *
iname(char buf[ID_NAME_MAX], const char *base, uint32_t i, const char *sub)
{
	snprintf(buf, ID_NAME_MAX, "%s[%u]%s%s", base, i, sub ? "." : "",
	    sub ? sub : "");
	return buf;
}

static void
field_list(struct canon *c, const char *base, const struct strlist *l)
{
	char name[ID_NAME_MAX];
	uint32_t i;

	for (i = 0; i < l->n; i++)
		field_req(c, iname(name, base, i, NULL), l->v[i]);
}

/* ---- the two canonical forms ---- */

static void	canon_container(struct canon *, const struct pod *,
		    const struct container_spec *);

/*
 * The init containers, each as its container hash's text, in the
 * sandbox's: the API server makes spec.initContainers immutable but for
 * the image, and a static pod whose file changes is a new pod, so a
 * change of one is a new pod here (its init containers run again).
 * Written by name and index only when there are any: the hash of a pod
 * without init containers is what it was before they were modelled.
 */
static void
canon_init_containers(struct canon *c, const struct pod *p)
{
	char name[ID_NAME_MAX];
	uint32_t i;

	for (i = 0; i < p->n_init_containers; i++) {
		field_req(c, iname(name, "spec.initContainers", i, "begin"),
		    p->init_containers[i].name);
		canon_container(c, p, &p->init_containers[i]);
	}
}

/* set once in the sandbox's namespaces: a change needs a new sandbox */
static void
canon_sysctls(struct canon *c, const struct pod *p)
{
	char name[ID_NAME_MAX];
	uint32_t i;

	for (i = 0; i < p->psc.n_sysctls; i++) {
		field_req(c, iname(name, "spec.securityContext.sysctls", i,
		    "name"), p->psc.sysctls[i].key);
		field_opt(c, iname(name, "spec.securityContext.sysctls", i,
		    "value"), p->psc.sysctls[i].value);
	}
}

/*
 * The volumes are the sandbox's: set up with it (vol_setup), so a changed
 * volume is a new sandbox, never a running pod's mounts swapped under it.
 * Nothing is written for a pod without volumes: its hash stays as it was.
 */
static void
canon_volumes(struct canon *c, const struct pod *p)
{
	const struct volume *v;
	char name[ID_NAME_MAX];
	uint32_t i;

	for (i = 0; i < p->n_volumes; i++) {
		v = &p->volumes[i];
		field_req(c, iname(name, "spec.volumes", i, "name"), v->name);
		field_req(c, iname(name, "spec.volumes", i, "kind"),
		    pod_volume_kind_name(v->kind));
		field_opt(c, iname(name, "spec.volumes", i, "medium"),
		    pod_medium_name(v->medium));
		field_i64(c, iname(name, "spec.volumes", i, "sizeLimit"),
		    v->size_limit, -1);
		field_opt(c, iname(name, "spec.volumes", i, "hostPath.path"),
		    v->host_path);
		field_opt(c, iname(name, "spec.volumes", i, "hostPath.type"),
		    pod_host_path_type_name(v->host_path_type));
	}
}

static void
canon_sandbox(struct canon *c, const struct pod *p)
{
	field_req(c, "scheme", "s1");
	field_req(c, "metadata.namespace", p->namespace);
	field_req(c, "metadata.name", p->name);
	field_req(c, "metadata.uid", p->uid);
	field_bool(c, "spec.hostNetwork", p->host_network);
	field_bool(c, "spec.hostPID", p->host_pid);
	field_bool(c, "spec.hostIPC", p->host_ipc);
	field_bool(c, "spec.shareProcessNamespace", p->share_pid);
	canon_init_containers(c, p);
	canon_sysctls(c, p);
	canon_volumes(c, p);
}

static const char *const pull_names[] = {
	[PULL_IF_NOT_PRESENT] = "IfNotPresent",
	[PULL_ALWAYS] = "Always",
	[PULL_NEVER] = "Never",
};

static const char *const proto_names[] = {
	[PROTO_TCP] = "TCP",
	[PROTO_UDP] = "UDP",
	[PROTO_SCTP] = "SCTP",
};

static const char *const term_msg_policy_names[] = {
	[TERM_MSG_FILE] = "File",
	[TERM_MSG_FALLBACK_TO_LOGS] = "FallbackToLogsOnError",
};

static void
canon_ports(struct canon *c, const struct container_spec *cs)
{
	const struct container_port *pt;
	char name[ID_NAME_MAX];
	uint32_t i;

	for (i = 0; i < cs->n_ports; i++) {
		pt = &cs->ports[i];
		field_opt(c, iname(name, "ports", i, "name"), pt->name);
		/* required: it also marks the entry */
		field_i64(c, iname(name, "ports", i, "containerPort"),
		    pt->container_port, -1);
		field_i64(c, iname(name, "ports", i, "hostPort"),
		    pt->host_port, 0);
		field_enum(c, iname(name, "ports", i, "protocol"),
		    pt->protocol, PROTO_TCP, proto_names,
		    sizeof(proto_names) / sizeof(proto_names[0]));
		field_opt(c, iname(name, "ports", i, "hostIP"), pt->host_ip);
	}
}

static void
canon_security(struct canon *c, const struct security_context *sc)
{
	field_i64(c, "securityContext.runAsUser", sc->run_as_user, -1);
	field_i64(c, "securityContext.runAsGroup", sc->run_as_group, -1);
	field_tri(c, "securityContext.runAsNonRoot", sc->run_as_non_root);
	field_tri(c, "securityContext.readOnlyRootFilesystem",
	    sc->read_only_root_fs);
	field_tri(c, "securityContext.privileged", sc->privileged);
	field_tri(c, "securityContext.allowPrivilegeEscalation",
	    sc->allow_privilege_escalation);
	field_list(c, "securityContext.capabilities.add", &sc->cap_add);
	field_list(c, "securityContext.capabilities.drop", &sc->cap_drop);
}

/* a lifecycle hook: its kind and what it runs */
static void
canon_hook(struct canon *c, const char *base, const struct handler *h)
{
	char name[ID_NAME_MAX], hdrs[48];
	uint32_t i;

	if (h->kind == HANDLER_NONE)
		return;
	snprintf(name, sizeof(name), "%s.kind", base);
	field_req(c, name, pod_handler_kind_name(h->kind));
	snprintf(name, sizeof(name), "%s.exec.command", base);
	field_list(c, name, &h->exec_command);
	snprintf(name, sizeof(name), "%s.httpGet.host", base);
	field_opt(c, name, h->http_host);
	snprintf(name, sizeof(name), "%s.httpGet.path", base);
	field_opt(c, name, h->http_path);
	snprintf(name, sizeof(name), "%s.httpGet.port", base);
	field_opt(c, name, h->http_port);
	snprintf(name, sizeof(name), "%s.httpGet.scheme", base);
	field_i64(c, name, h->http_scheme, SCHEME_HTTP);
	snprintf(hdrs, sizeof(hdrs), "%s.httpGet.httpHeaders", base);
	for (i = 0; i < h->n_http_headers; i++) {
		field_req(c, iname(name, hdrs, i, "name"),
		    h->http_headers[i].key);
		field_opt(c, iname(name, hdrs, i, "value"),
		    h->http_headers[i].value);
	}
	snprintf(name, sizeof(name), "%s.sleep.seconds", base);
	field_i64(c, name, h->sleep_s, -1);
}

/*
 * An env entry: a value, or its source (the fieldPath as written holds
 * the key; the divisor by its units, so "1Mi" and "1024Ki" are one).
 * The resolved values are not hashed, as the kubelet's HashContainer
 * hashes the spec: a changed label or pod IP restarts nothing.
 */
static void
canon_env(struct canon *c, const struct env_var *e, uint32_t i)
{
	const struct env_resource_ref *rf = &e->resource_ref;
	char name[ID_NAME_MAX];

	field_req(c, iname(name, "env", i, "name"), e->key);
	field_opt(c, iname(name, "env", i, "value"), e->value);
	if (ENV_HAS_FIELD(e))
		field_req(c, iname(name, "env", i, "valueFrom.fieldRef."
		    "fieldPath"), e->field_ref.field_path);
	if (!ENV_HAS_RESOURCE(e))
		return;
	field_opt(c, iname(name, "env", i, "valueFrom.resourceFieldRef."
	    "containerName"), rf->container_name);
	field_req(c, iname(name, "env", i, "valueFrom.resourceFieldRef."
	    "resource"), pod_env_resource_name(rf->resource));
	field_i64(c, iname(name, "env", i, "valueFrom.resourceFieldRef."
	    "divisor"), rf->divisor_units, 0);
}

/* the kubelet's container hash covers VolumeMounts too */
static void
canon_mounts(struct canon *c, const struct container_spec *cs)
{
	const struct volume_mount *m;
	char name[ID_NAME_MAX];
	uint32_t i;

	for (i = 0; i < cs->n_mounts; i++) {
		m = &cs->mounts[i];
		field_req(c, iname(name, "volumeMounts", i, "name"), m->name);
		field_req(c, iname(name, "volumeMounts", i, "mountPath"),
		    m->mount_path);
		field_bool(c, iname(name, "volumeMounts", i, "readOnly"),
		    m->read_only);
		field_opt(c, iname(name, "volumeMounts", i, "subPath"),
		    m->sub_path);
	}
}

static void
canon_container(struct canon *c, const struct pod *p,
    const struct container_spec *cs)
{
	uint32_t i;

	field_req(c, "scheme", "c1");
	field_req(c, "name", cs->name);
	field_req(c, "image", cs->image);
	field_enum(c, "imagePullPolicy", cs->pull_policy, PULL_IF_NOT_PRESENT,
	    pull_names, sizeof(pull_names) / sizeof(pull_names[0]));
	field_list(c, "command", &cs->command);
	field_list(c, "args", &cs->args);
	for (i = 0; i < cs->n_env; i++)
		canon_env(c, &cs->env[i], i);
	field_opt(c, "workingDir", cs->working_dir);
	canon_ports(c, cs);
	field_num(c, "resources.requests.cpu", cs->res.cpu_request_milli, -1,
	    "m");
	field_num(c, "resources.limits.cpu", cs->res.cpu_limit_milli, -1, "m");
	field_i64(c, "resources.requests.memory", cs->res.mem_request_bytes,
	    -1);
	field_i64(c, "resources.limits.memory", cs->res.mem_limit_bytes, -1);
	canon_security(c, &cs->sc);
	field_opt(c, "terminationMessagePath", cs->term_msg_path);
	field_enum(c, "terminationMessagePolicy", cs->term_msg_policy,
	    TERM_MSG_FILE, term_msg_policy_names,
	    sizeof(term_msg_policy_names) / sizeof(term_msg_policy_names[0]));
	canon_hook(c, "lifecycle.postStart", &cs->lifecycle.post_start);
	canon_hook(c, "lifecycle.preStop", &cs->lifecycle.pre_stop);
	field_i64(c, "pod.securityContext.runAsUser", p->psc.run_as_user, -1);
	field_i64(c, "pod.securityContext.runAsGroup", p->psc.run_as_group,
	    -1);
	field_tri(c, "pod.securityContext.runAsNonRoot",
	    p->psc.run_as_non_root);
	field_list(c, "pod.securityContext.supplementalGroups",
	    &p->psc.supplemental_groups);
	/* a sidecar; unset (left out) on every other container */
	if (cs->restart_policy == CTR_RESTART_ALWAYS)
		field_req(c, "restartPolicy", "Always");
	canon_mounts(c, cs);
}

/* ---- digests ---- */

struct subject {
	const struct pod		*pod;
	const struct container_spec	*ctr;	/* NULL: the sandbox */
};

static void
canon_subject(struct canon *c, const struct subject *s)
{
	if (s->ctr == NULL)
		canon_sandbox(c, s->pod);
	else
		canon_container(c, s->pod, s->ctr);
}

static int
id_hash(const struct subject *s, const char *tag, char out[ID_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct canon c;

	out[0] = '\0';
	memset(&c, 0, sizeof(c));
	if ((c.md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(c.md, EVP_sha256(), NULL) != 1)
		c.err = 1;
	canon_subject(&c, s);
	if (!c.err && (EVP_DigestFinal_ex(c.md, md, &mdlen) != 1 ||
	    mdlen * 2 != ID_HASH_LEN - ID_SCHEME_LEN))
		c.err = 1;
	EVP_MD_CTX_free(c.md);
	if (c.err)
		return -1;
	memcpy(out, tag, ID_SCHEME_LEN);
	for (i = 0; i < mdlen; i++) {
		out[ID_SCHEME_LEN + 2 * i] = hex[md[i] >> 4];
		out[ID_SCHEME_LEN + 2 * i + 1] = hex[md[i] & 0xf];
	}
	out[ID_HASH_LEN] = '\0';
	return 0;
}

static char *
id_canon(const struct subject *s, size_t *lenp)
{
	struct canon c;

	memset(&c, 0, sizeof(c));
	c.keep = 1;
	canon_subject(&c, s);
	if (c.err || c.buf == NULL) {
		free(c.buf);
		return NULL;
	}
	if (lenp != NULL)
		*lenp = c.len;
	return c.buf;
}

int
id_sandbox_hash(const struct pod *p, char out[ID_HASH_LEN + 1])
{
	struct subject s = { p, NULL };

	return id_hash(&s, ID_SCHEME_SANDBOX, out);
}

int
id_container_hash(const struct pod *p, const struct container_spec *cs,
    char out[ID_HASH_LEN + 1])
{
	struct subject s = { p, cs };

	if (cs == NULL) {
		out[0] = '\0';
		return -1;
	}
	return id_hash(&s, ID_SCHEME_CONTAINER, out);
}

char *
id_sandbox_canon(const struct pod *p, size_t *lenp)
{
	struct subject s = { p, NULL };

	return id_canon(&s, lenp);
}

char *
id_container_canon(const struct pod *p, const struct container_spec *cs,
    size_t *lenp)
{
	struct subject s = { p, cs };

	if (cs == NULL)
		return NULL;
	return id_canon(&s, lenp);
}

int
id_hash_current(const char *h)
{
	if (h == NULL || strlen(h) != ID_HASH_LEN)
		return 0;
	return strncmp(h, ID_SCHEME_SANDBOX, ID_SCHEME_LEN) == 0 ||
	    strncmp(h, ID_SCHEME_CONTAINER, ID_SCHEME_LEN) == 0;
}
