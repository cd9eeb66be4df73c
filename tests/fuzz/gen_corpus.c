/*
 * gen_corpus: writes the seed corpora for the fuzz targets, made by the
 * real encoders: podwire pods and reports, one framed message of every
 * catalog type (include/msgschema.h) plus a few multi-frame streams,
 * a handful of agentd.yaml files and their binary form (configbin.c).
 *
 * Build and run from the top of the tree:
 *   cc -std=gnu11 -Iinclude -D_GNU_SOURCE -o /tmp/gen_corpus \
 *     tests/fuzz/gen_corpus.c ipc/ipc.c ipc/podwire.c ipc/pod.c \
 *     ipc/podschema.c ipc/msgcat.c ipc/msgschema.c ipc/proctab.c ipc/evring.c \
 *     common/log.c common/configbin.c common/caps.c -levent && \
 *     /tmp/gen_corpus tests/fuzz/corpus
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "evring.h"
#include "ipc.h"
#include "log.h"
#include "msgcat.h"
#include "pod.h"
#include "msgschema.h"

#define FRAME_BUF	(IPC_MAX_MSG * 2)

static const char	*outdir;

static void
save(const char *target, const char *name, const void *p, size_t n)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		err(1, "%s", path);
	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		err(1, "write %s", path);
	close(fd);
}

static char *
xs(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		err(1, "strdup");
	return d;
}

static void *
xcalloc(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n, sz)) == NULL)
		err(1, "calloc");
	return p;
}

/* ---- pods and reports ---- */

static void
build_pod(struct pod *p, int full)
{
	struct container_spec *c;

	pod_init(p);
	p->namespace = xs("default");
	p->name = xs("web");
	p->uid = xs("0b6c1f0e-6a55-4c43-9d5e-1f2e3d4c5b6a");
	p->n_containers = full ? 2 : 1;
	p->containers = xcalloc(p->n_containers, sizeof(*p->containers));
	c = &p->containers[0];
	container_spec_init(c);
	c->name = xs("app");
	c->image = xs("busybox:1.36");
	if (!full)
		return;
	p->labels = xcalloc(1, sizeof(*p->labels));
	p->labels[0].key = xs("app");
	p->labels[0].value = xs("web");
	p->n_labels = 1;
	p->annotations = xcalloc(1, sizeof(*p->annotations));
	p->annotations[0].key = xs("example.com/note");
	p->annotations[0].value = xs("seed");
	p->n_annotations = 1;
	p->source = xs("file:/etc/agentd/pods/web.yaml");
	p->node_name = xs("node-1");
	p->restart_policy = RESTART_NEVER;
	p->termination_grace_seconds = 10;
	p->host_network = 1;
	p->share_pid = 1;
	p->psc.run_as_user = 1000;
	p->psc.run_as_non_root = 1;
	c->pull_policy = PULL_IF_NOT_PRESENT;
	strlist_add(&c->command, "/bin/sh", POD_MAX_ARGS);
	strlist_add(&c->args, "-c", POD_MAX_ARGS);
	strlist_add(&c->args, "sleep 3600", POD_MAX_ARGS);
	c->env = xcalloc(3, sizeof(*c->env));
	c->env[0].key = xs("MODE");
	c->env[0].value = xs("seed-$(POD_IP)");
	/* valueFrom: one of each source */
	c->env[1].key = xs("POD_IP");
	c->env[1].field_ref.field_path = xs("status.podIP");
	c->env[1].field_ref.field = ENV_FIELD_POD_IP;
	c->env[2].key = xs("MEM");
	c->env[2].resource_ref.resource = ENV_RES_LIMITS_MEMORY;
	c->env[2].resource_ref.divisor = xs("1Mi");
	c->env[2].resource_ref.divisor_units = 1048576;
	c->n_env = 3;
	c->working_dir = xs("/srv");
	c->ports = xcalloc(1, sizeof(*c->ports));
	c->ports[0].name = xs("http");
	c->ports[0].container_port = 8080;
	c->ports[0].host_port = 80;
	c->ports[0].protocol = PROTO_TCP;
	c->ports[0].host_ip = xs("127.0.0.1");
	c->n_ports = 1;
	c->res.cpu_request_milli = 100;
	c->res.mem_limit_bytes = 64 << 20;
	c->sc.read_only_root_fs = 1;
	c->sc.allow_privilege_escalation = 0;
	strlist_add(&c->sc.cap_add, "NET_BIND_SERVICE", POD_MAX_CAPS);
	strlist_add(&c->sc.cap_drop, "ALL", POD_MAX_CAPS);
	c = &p->containers[1];
	container_spec_init(c);
	c->name = xs("sidecar");
	c->image = xs("registry.example/sidecar@sha256:00ff");
	c->pull_policy = PULL_NEVER;
}

static void
build_report(struct pod_report *r, int full)
{
	struct container_report *c;

	pod_report_init(r);
	r->sandbox_ready = 1;
	r->start_time_ns = 1700000000000000000LL;
	r->pod_ip = xs("10.88.0.7");
	r->host_ip = xs("192.168.1.10");
	r->n_containers = 1;
	r->containers = xcalloc(1, sizeof(*r->containers));
	c = &r->containers[0];
	c->name = xs("app");
	c->image = xs("busybox:1.36");
	c->state = CSTATE_RUNNING;
	c->ready = 1;
	if (!full)
		return;
	c->image_id = xs("sha256:0123abcd");
	c->container_id = xs("runc://4f1e2d");
	c->started_at_ns = 1700000001000000000LL;
	c->restart_count = 2;
	c->has_last = 1;
	c->last_term.exit_code = 137;
	c->last_term.signal = 9;
	c->last_term.reason = xs("OOMKilled");
	c->last_term.message = xs("memory limit");
	c->last_term.container_id = xs("runc://0a0b0c");
	r->reason = xs("Running");
	r->terminating = 1;
	r->deletion_ns = 1700000030000000000LL;
}

/*
 * A pod with a field from a later agentd: a tag no table has, appended to
 * the pod's fields (the struct length after the version word grows).
 */
static void
gen_pod_unknown_field(void)
{
	static const char later[] = "a later field";
	struct ipc_msg m;
	struct pod p;
	uint32_t n;

	build_pod(&p, 0);
	ipc_msg_init(&m, 0, 0);
	podwire_put_pod(&m, &p);
	ipc_put_u32(&m, 999);			/* tag */
	ipc_put_bytes(&m, later, strlen(later));	/* length, value */
	if (m.len < 8)
		errx(1, "pod encoding too short");
	memcpy(&n, m.data + 4, sizeof(n));
	n += 4 + 4 + strlen(later);
	memcpy(m.data + 4, &n, sizeof(n));
	save("fuzz_podwire", "pod_unknown_field", m.data, m.len);
	ipc_msg_free(&m);
	pod_free(&p);
}

static void
gen_podwire(void)
{
	struct ipc_msg m;
	struct pod p;
	struct pod_report r;
	int full;

	for (full = 0; full <= 1; full++) {
		build_pod(&p, full);
		build_report(&r, full);
		ipc_msg_init(&m, 0, 0);
		podwire_put_pod(&m, &p);
		save("fuzz_podwire", full ? "pod_full" : "pod_minimal",
		    m.data, m.len);
		podwire_put_report(&m, &r);
		save("fuzz_podwire", full ? "status_full" : "status_minimal",
		    m.data, m.len);
		ipc_msg_free(&m);
		ipc_msg_init(&m, 0, 0);
		podwire_put_report(&m, &r);
		save("fuzz_podwire", full ? "report_full" : "report_minimal",
		    m.data, m.len);
		ipc_msg_free(&m);
		pod_free(&p);
		pod_report_free(&r);
	}
	pod_report_init(&r);
	ipc_msg_init(&m, 0, 0);
	podwire_put_report(&m, &r);
	save("fuzz_podwire", "report_empty", m.data, m.len);
	ipc_msg_free(&m);
}

/* ---- frames ---- */

static void
put_event(struct ipc_msg *m)
{
	struct pod_event ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.kind, sizeof(ev.kind), "Pod");
	snprintf(ev.namespace, sizeof(ev.namespace), "default");
	snprintf(ev.name, sizeof(ev.name), "web-node1");
	snprintf(ev.reason, sizeof(ev.reason), "BackOff");
	snprintf(ev.message, sizeof(ev.message), "Back-off");
	ev.type = EVENT_WARNING;
	ev.count = 3;
	ev.first_ns = 1700000000000000000LL;
	ev.last_ns = ev.first_ns + 1;
	evring_put(m, &ev);
}

/* a valid value for each field of a row (a trailing u32 list: none) */
static void
put_layout(struct ipc_msg *m, const struct msg_schema *s)
{
	static const char manifest[] =
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n";
	struct pod p;
	struct pod_report r;
	struct cni_result nr;
	size_t i;

	if (s->type == MSG_POD_EVENT) {
		put_event(m);
		return;
	}
	for (i = 0; i < s->nfields; i++) {
		switch (s->fields[i].kind) {
		case MSGF_U32:
			ipc_put_u32(m, 1);
			break;
		case MSGF_U64:
			ipc_put_u64(m, 42);
			break;
		case MSGF_I64:
			ipc_put_i64(m, 42);
			break;
		case MSGF_STR:
			ipc_put_str(m, "default");
			break;
		case MSGF_BYTES:
			ipc_put_bytes(m, manifest, sizeof(manifest) - 1);
			break;
		case MSGF_U32LIST:
			ipc_put_u32(m, 1);
			ipc_put_u32(m, 9);
			break;
		case MSGF_U32REST:
			break;
		case MSGF_POD:
			build_pod(&p, 1);
			podwire_put_pod(m, &p);
			pod_free(&p);
			break;
		case MSGF_REPORT:
			build_report(&r, 1);
			podwire_put_report(m, &r);
			pod_report_free(&r);
			break;
		case MSGF_NETRES:
			memset(&nr, 0, sizeof(nr));
			nr.n_ips = 1;
			nr.ips[0].iface = -1;
			snprintf(nr.ips[0].address, sizeof(nr.ips[0].address),
			    "10.88.0.2/16");
			netwire_put_result(m, &nr);
			break;
		}
	}
}

/* frame msg with the real framing code; returns bytes appended to buf */
static size_t
frame(struct ipc_msg *m, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(1, "socketpair");
	if (ipc_write_msg(sv[1], m) == -1)
		err(1, "ipc_write_msg");
	close(sv[1]);
	while ((r = read(sv[0], buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(sv[0]);
	return n;
}

static size_t
schema_frame(const struct msg_schema *s, uint8_t *buf, size_t cap)
{
	struct ipc_msg m;

	ipc_msg_init(&m, s->type, 1);
	put_layout(&m, s);
	return frame(&m, buf, cap);
}

static void
gen_frames(void)
{
	uint8_t *buf, *all;
	size_t i, n, alln = 0;
	char name[64];
	uint32_t bad[5];
	static const uint32_t podset[] = {
		MSG_PODSET_BEGIN, MSG_POD_SPEC, MSG_POD_SPEC, MSG_PODSET_END
	};

	if ((buf = malloc(FRAME_BUF)) == NULL ||
	    (all = malloc(FRAME_BUF)) == NULL)
		err(1, "malloc");
	for (i = 0; i < msg_nschemas; i++) {
		n = schema_frame(&msg_schemas[i], buf, FRAME_BUF);
		snprintf(name, sizeof(name), "frame_%s",
		    msg_type_name(msg_schemas[i].type));
		save("fuzz_ipc_frame", name, buf, n);
		/* everything a channel accepts, in one stream */
		if (msg_schemas[i].type != MSG_PEER_CONNECT &&
		    msg_schemas[i].type != MSG_POD_SPEC &&
		    alln + n < FRAME_BUF) {
			memcpy(all + alln, buf, n);
			alln += n;
		}
	}
	save("fuzz_ipc_frame", "stream_all_types", all, alln);

	for (alln = 0, i = 0; i < sizeof(podset) / sizeof(podset[0]); i++)
		alln += schema_frame(msg_schema_find(podset[i]), all + alln,
		    FRAME_BUF - alln);
	save("fuzz_ipc_frame", "stream_podset", all, alln);

	/* headers a peer must not send */
	bad[0] = MSG_PING;
	bad[1] = IPC_MAX_PAYLOAD + 1;
	bad[2] = 1;
	bad[3] = 1;
	bad[4] = 0;
	save("fuzz_ipc_frame", "hdr_oversize", bad, sizeof(bad));
	bad[1] = 0;
	bad[4] = 0x80;
	save("fuzz_ipc_frame", "hdr_bad_flags", bad, sizeof(bad));
	bad[4] = IPC_HDRF_FD;
	save("fuzz_ipc_frame", "hdr_fd_flag_no_fd", bad, sizeof(bad));
	free(buf);
	free(all);
}

/* ---- agentd.yaml ---- */

static void
gen_config(void)
{
	static const struct {
		const char *name, *text;
	} files[] = {
		{ "empty.yaml", "" },
		{ "minimal.yaml", "nodeName: node-1\n" },
		{ "every_key.yaml",
		    "nodeName: node-a\nstaticPodPath: /srv/pods\n"
		    "rootDir: /srv/agentd\nrunDir: /run/agentd\n"
		    "podLogsDir: /srv/logs\ncgroupRoot: /agentd\n"
		    "privsepUser: _agentd\nprivsepChroot: /var/empty/agentd\n"
		    "libexecDir: /usr/libexec/agentd\n"
		    "auditLog: /var/log/agentd/audit.log\n"
		    "auditKeyFile: /etc/agentd/audit.key\n"
		    "auditMaxBytes: 1048576\nauditFsync: true\n"
		    "logLevel: debug\nsyslog: false\nruntime: runc\n"
		    "runtimePath: /usr/bin/runc\nconmonPath: /usr/bin/conmon\n"
		    "cniBinDir: /usr/lib/cni\nstaticPodRescanSeconds: 20\n"
		    "heartbeatSeconds: 5\nallowPrivileged: false\n"
		    "allowHostNetwork: true\nallowHostPID: false\n"
		    "allowHostIPC: false\nallowRunAsRoot: true\n"
		    "allowedCapabilities:\n  - NET_ADMIN\n  - CAP_SYS_TIME\n" },
		{ "caps_flow.yaml", "allowedCapabilities: [CHOWN, KILL]\n" },
		{ "doc_markers.yaml", "---\nnodeName: n\n...\n" },
		{ "multi_doc.yaml", "nodeName: a\n---\nnodeName: b\n" },
		{ "unknown_key.yaml", "nodeName: a\nfooBar: 1\n" },
		{ "quoted.yaml", "nodeName: \"node\\x41\"\nrootDir: '/srv'\n" },
		{ "anchors.yaml", "nodeName: &n a\nprivsepUser: *n\n" },
		{ "host_ports.yaml", "allowPrivilegedHostPorts: false\n"
		    "forbiddenHostPorts: [22, \"2379-2380\", 30000-32767, "
		    "2380, \"31000-33000\"]\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		save("fuzz_config", files[i].name, files[i].text,
		    strlen(files[i].text));
}

/* ---- the binary configuration ---- */

static void
save_configbin(const char *name, const struct agentd_config *c)
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	size_t len;

	if (config_bin_encode(c, buf, sizeof(buf), &len) == -1)
		errx(1, "config_bin_encode %s", name);
	save("fuzz_configbin", name, buf, len);
}

static void
gen_configbin(void)
{
	static const char *const caps[] = { "NET_ADMIN", "CAP_SYS_TIME",
		"CHOWN" };
	struct agentd_config c;
	size_t i;

	config_defaults(&c);
	snprintf(c.node_name, sizeof(c.node_name), "node-1");
	save_configbin("defaults", &c);
	snprintf(c.root_dir, sizeof(c.root_dir), "/srv/agentd");
	snprintf(c.runtime_path, sizeof(c.runtime_path), "/usr/bin/crun");
	snprintf(c.audit_anchor_file, sizeof(c.audit_anchor_file),
	    "/var/log/agentd/audit.log.anchor");
	c.audit_max_bytes = UINT64_MAX;
	c.log_level = LOG_LVL_DEBUG;
	c.runtime = RUNTIME_CRUN;
	c.storage_driver = STORAGE_NATIVE;
	c.max_runtime_ops = CONFIG_MAX_RUNTIME_OPS;
	c.runtime_op_timeout = 3600;
	c.policy.allow_privileged = 1;
	c.policy.allow_run_as_root = 0;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (config_add_cap(&c, caps[i]) != NULL)
			errx(1, "config_add_cap %s", caps[i]);
	save_configbin("every_field", &c);
	config_free(&c);
	config_defaults(&c);
	snprintf(c.node_name, sizeof(c.node_name), "node-1");
	c.policy.allow_privileged_host_ports = 0;
	snprintf(c.policy.forbidden_host_ports,
	    sizeof(c.policy.forbidden_host_ports), "22,2379-2380,30000-32767");
	save_configbin("host_ports", &c);
	/* one item fewer than CONFIG_MAX_PORT_RANGES: a mutation adds one */
	for (i = 0, c.policy.forbidden_host_ports[0] = '\0';
	    i < CONFIG_MAX_PORT_RANGES - 1; i++)
		snprintf(c.policy.forbidden_host_ports + strlen(
		    c.policy.forbidden_host_ports), sizeof(
		    c.policy.forbidden_host_ports) - strlen(
		    c.policy.forbidden_host_ports), "%s%zu-%zu", i ? "," : "",
		    10000 + 3 * i, 10001 + 3 * i);
	save_configbin("host_ports_many", &c);
	config_free(&c);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus corpus-dir\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", outdir);
	gen_podwire();
	gen_pod_unknown_field();
	gen_frames();
	gen_config();
	gen_configbin();
	return 0;
}
