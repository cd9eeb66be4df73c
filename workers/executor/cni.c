/*
 * The pod network, as containerd and CRI-O drive CNI (libcni's invoke and
 * conf): loopback for "lo", then the chain of cniConfDir's network
 * (common/cniconf.c) for "eth0", each plugin in order for ADD and in
 * reverse for DEL, each getting the previous plugin's result as
 * prevResult.  Runs in a sandbox job (job.c): every plugin is an rt_run
 * with its own timeout inside the job's.
 *
 * A plugin's stdout is never parsed here: the job sends it to
 * agentd-netparse over the channel the executor gave it (rt.netparse_fd,
 * MSG_NET_PARSE) and gets the typed result back, checked again by
 * netwire_get_result().  The next plugin's prevResult is built from that
 * struct (cni_result_json), so no plugin's bytes reach another plugin.
 *
 * What ADD used -- the configuration, CNI_ARGS, the port mappings and
 * the last result -- is kept in the sandbox directory as cni.json, which
 * DEL reads: a changed cniConfDir never strands an address.  DEL runs
 * even when the network namespace is gone (CNI_NETNS empty, as the spec
 * allows) so that IPAM releases the address, and a failed DEL fails the
 * removal, which the lifecycle retries.
 */
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cninet.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"
#include "rt_private.h"

#define CNI_TIMEOUT_MS		(30 * 1000)	/* one plugin */
#define CNI_PARSE_TIMEOUT_MS	(10 * 1000)	/* one netparse reply */
#define CNI_LOOPBACK_CONF	"{\"cniVersion\":\"1.0.0\",\"name\":\"lo\"," \
				"\"type\":\"loopback\"}"
#define CNI_DEFAULT_DIRS	"/usr/lib/cni:/opt/cni/bin"
#define CNI_IFNAME		"eth0"
#define CNI_STATE_FILE		"cni.json"
#define CNI_STATE_MAX		(1024 * 1024)
#define CNI_ARGS_MAX		1024

void
rt_set_netparse_fd(int fd)
{
	rt.netparse_fd = fd;
}

static const char *
cni_dirs(void)
{
	return rt.cni_bin_dir[0] ? rt.cni_bin_dir : CNI_DEFAULT_DIRS;
}

/* a message from netparse or a plugin: no control bytes in our errors */
static void
cni_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/*
 * Ask netparse.  The job blocks, which is what a job is for; the
 * executor's loop never waits on netparse.
 */
static int
cni_decode(const char *out, size_t len, struct cni_result *res,
    struct rt_err *err)
{
	struct ipc_msg m;
	char why[MSGB_NET_ERROR + 1];
	uint32_t status;
	int ret = -1;

	if (rt.netparse_fd == -1)
		return rt_seterr(err, "no channel to agentd-netparse");
	if (len > CNI_RESULT_MAX)
		return rt_seterr(err, "result longer than %d bytes",
		    CNI_RESULT_MAX);
	ipc_msg_init(&m, MSG_NET_PARSE, 0);
	ipc_put_bytes(&m, out, len);
	if (ipc_write_msg(rt.netparse_fd, &m) == -1)
		return rt_seterrno(err, "sending a result to agentd-netparse");
	if (ipc_read_msg(rt.netparse_fd, &m, CNI_PARSE_TIMEOUT_MS) == -1)
		return rt_seterrno(err, "no reply from agentd-netparse");
	if (m.type != MSG_NET_RESULT || m.fd != -1 ||
	    ipc_get_u32(&m, &status) == -1 ||
	    ipc_get_str(&m, why, sizeof(why)) == -1 ||
	    netwire_get_result(&m, res) == -1 || ipc_get_end(&m) == -1)
		rt_seterr(err, "agentd-netparse sent a malformed reply");
	else if (status != 0) {
		cni_clean(why);
		rt_seterr(err, "unreadable result: %s", why);
	} else
		ret = 0;
	ipc_msg_free(&m);
	return ret;
}

struct cni_call {
	const char	*cmd;		/* ADD, DEL, CHECK, GC */
	const char	*id;
	const char	*netns;		/* "" for a DEL without one */
	const char	*ifname;
	const char	*args;		/* CNI_ARGS */
	const char	*type;		/* the plugin */
	const char	*conf;		/* its stdin */
};

/*
 * Run one plugin.  ADD: 0 and *res filled from its stdout.  A failing
 * plugin's error object (on stdout, per the spec) says more than its exit
 * status, so that is decoded too.
 */
static int
cni_exec(const struct cni_call *cc, struct cni_result *res,
    struct rt_err *err)
{
	char plugin[PATH_MAX], e_cmd[32], e_id[128], e_ns[PATH_MAX + 16];
	char e_if[32], e_args[CNI_ARGS_MAX + 16], e_path[CONFIG_MAX_PATH + 16];
	const char *argv[] = { plugin, NULL };
	const char *envp[] = { e_cmd, e_id, e_ns, e_if, e_args, e_path,
		"PATH=" RT_DEFAULT_PATH, NULL };
	struct rt_run r = { 0 };
	struct cni_result er;
	struct rt_err ignore;
	int ret = -1;

	if (rt_find_exec(cc->type, cni_dirs(), plugin, sizeof(plugin)) == -1)
		return rt_seterr(err, "plugin %s not found in %s", cc->type,
		    cni_dirs());
	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", cc->cmd);
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", cc->id);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=%s", cc->netns);
	snprintf(e_if, sizeof(e_if), "CNI_IFNAME=%s", cc->ifname);
	snprintf(e_args, sizeof(e_args), "CNI_ARGS=%s", cc->args);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", cni_dirs());
	r.argv = argv;
	r.envp = envp;
	r.in = cc->conf;
	r.in_len = strlen(cc->conf);
	r.timeout_ms = CNI_TIMEOUT_MS;
	if (rt_run(&r, err) == -1)
		goto out;
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		if (r.out_len > 0 && cni_decode(r.out, r.out_len, &er,
		    &ignore) == 0 && er.is_error && er.err_msg[0] != '\0')
			rt_seterr(err, "%s", er.err_msg);
		else if (r.err != NULL && r.err_len > 0) {
			cni_clean(r.err);
			rt_seterr(err, "exit status %d: %.200s",
			    WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1,
			    r.err);
		} else
			rt_seterr(err, "exit status %d", WIFEXITED(r.status) ?
			    WEXITSTATUS(r.status) : -1);
		goto out;
	}
	if (res == NULL)
		ret = 0;
	else if (cni_decode(r.out ? r.out : "", r.out_len, res, err) == 0) {
		if (res->is_error)
			rt_seterr(err, "%s", res->err_msg);
		else
			ret = 0;
	}
out:
	rt_run_free(&r);
	return ret;
}

/* the loopback plugin on "lo", with the fixed configuration it needs */
static int
cni_loopback(const char *cmd, const char *id, const char *netns,
    struct rt_err *err)
{
	struct cni_call cc = { cmd, id, netns, "lo", "", "loopback",
		CNI_LOOPBACK_CONF };
	char plugin[PATH_MAX];

	if (rt_find_exec("loopback", cni_dirs(), plugin, sizeof(plugin)) == -1)
		return rt_seterr(err, "CNI loopback plugin not found in %s",
		    cni_dirs());
	if (cni_exec(&cc, NULL, err) == -1)
		return rt_wrap(err, "CNI loopback %s", cmd);
	return 0;
}

/* ---- the state ADD leaves for DEL ---- */

static int
state_path(char *buf, size_t len, const char *id)
{
	char dir[PATH_MAX];

	ctr_dir(dir, sizeof(dir), id);
	return rt_path(buf, len, "%s/%s", dir, CNI_STATE_FILE);
}

/* libcni's capability args: portMappings from the pod's hostPorts */
static cJSON *
port_mappings(const struct pod *p)
{
	cJSON *arr = cJSON_CreateArray(), *o;
	const struct container_port *cp;
	char proto[8];
	uint32_t i, j;
	size_t k;

	for (i = 0; arr != NULL && i < p->n_containers; i++)
		for (j = 0; j < p->containers[i].n_ports; j++) {
			cp = &p->containers[i].ports[j];
			if (cp->host_port == 0)
				continue;
			snprintf(proto, sizeof(proto), "%s",
			    pod_protocol_name(cp->protocol));
			for (k = 0; proto[k] != '\0'; k++)
				proto[k] = (char)tolower((unsigned char)proto[k]);
			if ((o = cJSON_CreateObject()) == NULL ||
			    !cJSON_AddItemToArray(arr, o) ||
			    !cJSON_AddNumberToObject(o, "hostPort",
			    cp->host_port) ||
			    !cJSON_AddNumberToObject(o, "containerPort",
			    cp->container_port) ||
			    !cJSON_AddStringToObject(o, "protocol", proto) ||
			    (cp->host_ip != NULL && cp->host_ip[0] &&
			    !cJSON_AddStringToObject(o, "hostIP", cp->host_ip))) {
				cJSON_Delete(arr);
				return NULL;
			}
		}
	return arr;
}

static cJSON *
state_new(const struct pod *p, const char *id, const struct cni_conf *c)
{
	char args[CNI_ARGS_MAX];
	cJSON *st = cJSON_CreateObject(), *plugins;
	size_t i;

	snprintf(args, sizeof(args), "IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;"
	    "K8S_POD_NAME=%s;K8S_POD_INFRA_CONTAINER_ID=%s;K8S_POD_UID=%s",
	    p->namespace, p->name, id, p->uid);
	if (st == NULL || !cJSON_AddStringToObject(st, "name", c->name) ||
	    !cJSON_AddStringToObject(st, "cniVersion", c->version) ||
	    !cJSON_AddStringToObject(st, "file", c->path) ||
	    !cJSON_AddStringToObject(st, "args", args) ||
	    !cJSON_AddBoolToObject(st, "disableCheck", c->disable_check) ||
	    !cJSON_AddItemToObject(st, "portMappings", port_mappings(p)) ||
	    (plugins = cJSON_AddArrayToObject(st, "plugins")) == NULL)
		goto fail;
	for (i = 0; i < c->nplugins; i++)
		if (!cJSON_AddItemToArray(plugins,
		    cJSON_Duplicate(c->plugins[i], 1)))
			goto fail;
	return st;
fail:
	cJSON_Delete(st);
	return NULL;
}

/*
 * What libcni's buildOneConfig gives a plugin: its own object with the
 * list's name and cniVersion, runtimeConfig for the capabilities it
 * declares, and prevResult.
 */
static char *
plugin_conf(const cJSON *st, const cJSON *plugin, const cJSON *prev)
{
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(plugin,
	    "capabilities");
	cJSON *o = cJSON_Duplicate(plugin, 1), *rc;
	char *text = NULL;

	if (o == NULL)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "name");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "cniVersion");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "prevResult");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "runtimeConfig");
	if (!cJSON_AddStringToObject(o, "name", rt_json_str(st, "name")) ||
	    !cJSON_AddStringToObject(o, "cniVersion",
	    rt_json_str(st, "cniVersion")))
		goto out;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(caps,
	    "portMappings")) && cJSON_GetArraySize(
	    cJSON_GetObjectItemCaseSensitive(st, "portMappings")) > 0) {
		if ((rc = cJSON_AddObjectToObject(o, "runtimeConfig")) == NULL ||
		    !cJSON_AddItemToObject(rc, "portMappings", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(st, "portMappings"), 1)))
			goto out;
	}
	if (prev != NULL && !cJSON_AddItemToObject(o, "prevResult",
	    cJSON_Duplicate(prev, 1)))
		goto out;
	text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return text;
}

static int
state_save(const char *id, const cJSON *st, struct rt_err *err)
{
	char path[PATH_MAX];

	if (state_path(path, sizeof(path), id) == -1 ||
	    rt_json_save_volatile(path, st) == -1)
		return rt_seterrno(err, "write %s", CNI_STATE_FILE);
	return 0;
}

/* the chain in reverse; every plugin is tried, the first error kept */
static int
chain_del(const char *id, const char *netns, const cJSON *st,
    struct rt_err *err)
{
	const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(st, "plugins");
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(st, "result");
	struct cni_call cc = { "DEL", id, netns, CNI_IFNAME, "", NULL, NULL };
	struct rt_err one;
	const char *type;
	char *conf;
	int i, ret = 0;

	cc.args = rt_json_str(st, "args") ? rt_json_str(st, "args") : "";
	for (i = cJSON_GetArraySize(plugins) - 1; i >= 0; i--) {
		const cJSON *pl = cJSON_GetArrayItem(plugins, i);

		memset(&one, 0, sizeof(one));
		if ((type = rt_json_str(pl, "type")) == NULL ||
		    (conf = plugin_conf(st, pl, cJSON_IsObject(prev) ? prev :
		    NULL)) == NULL) {
			ret = ret ? ret : rt_seterr(err, "CNI DEL: a plugin "
			    "without a type in %s", CNI_STATE_FILE);
			continue;
		}
		cc.type = type;
		cc.conf = conf;
		if (cni_exec(&cc, NULL, &one) == -1 && ret == 0) {
			rt_seterr(err, "%s", rt_errmsg(&one));
			ret = rt_wrap(err, "CNI DEL %s", type);
		}
		free(conf);
	}
	return ret;
}

static int
chain_add(const char *id, const char *netns, cJSON *st,
    struct cni_result *last, struct rt_err *err)
{
	const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(st, "plugins");
	const cJSON *pl;
	struct cni_call cc = { "ADD", id, netns, CNI_IFNAME, "", NULL, NULL };
	cJSON *prev = NULL;
	char *conf;
	int ret = 0;

	cc.args = rt_json_str(st, "args");
	cJSON_ArrayForEach(pl, plugins) {
		cc.type = rt_json_str(pl, "type");
		if ((conf = plugin_conf(st, pl, prev)) == NULL) {
			ret = rt_seterr(err, "out of memory");
			break;
		}
		cc.conf = conf;
		ret = cni_exec(&cc, last, err);
		free(conf);
		if (ret == -1) {
			rt_wrap(err, "CNI ADD %s", cc.type);
			break;
		}
		cJSON_Delete(prev);
		if ((prev = cni_result_json(last)) == NULL) {
			ret = rt_seterr(err, "out of memory");
			break;
		}
	}
	/* the last result is DEL's prevResult, as libcni caches it */
	if (ret == 0 && (!cJSON_AddItemToObject(st, "result", prev) ||
	    state_save(id, st, err) == -1)) {
		prev = NULL;
		ret = -1;
	} else if (ret == 0)
		prev = NULL;
	cJSON_Delete(prev);
	return ret;
}

/*
 * The pod's network in netns: loopback, then the configured chain if
 * there is one (the directory is read now, for every new sandbox).  The
 * state is saved before the first ADD, so a DEL can always follow: the
 * caller runs cni_del when this or anything after it fails.
 */
/* the pod's first hostPort, or NULL */
static const struct container_port *
first_host_port(const struct pod *p)
{
	uint32_t i, j;

	for (i = 0; i < p->n_containers; i++)
		for (j = 0; j < p->containers[i].n_ports; j++)
			if (p->containers[i].ports[j].host_port != 0)
				return &p->containers[i].ports[j];
	return NULL;
}

/*
 * A hostPort is published by a plugin with the portMappings capability
 * (Debian's portmap); with no such plugin, or no network at all, the pod
 * is refused with the reason rather than run with the port silently
 * unpublished.  The sandbox is retried, so a network configured later
 * picks the pod up.
 */
static int
host_ports_publishable(const struct pod *p, const struct cni_conf *c,
    struct rt_err *err)
{
	const struct container_port *cp = first_host_port(p);
	size_t i;

	if (cp == NULL)
		return 0;
	if (c == NULL)
		return rt_seterr(err, "hostPort %d/%s cannot be published: no "
		    "CNI configuration in %s (pods have loopback only)",
		    (int)cp->host_port, pod_protocol_name(cp->protocol),
		    rt.cni_conf_dir);
	for (i = 0; i < c->nplugins; i++)
		if (c->portmap[i])
			return 0;
	return rt_seterr(err, "hostPort %d/%s cannot be published: no plugin "
	    "of the network %s (%s) has the portMappings capability",
	    (int)cp->host_port, pod_protocol_name(cp->protocol), c->name,
	    c->path);
}

int
cni_add(const struct pod *p, const char *id, const char *netns,
    struct cni_result *res, struct rt_err *err)
{
	struct cni_conf c;
	char why[128];
	cJSON *st;
	int ret, have;

	memset(res, 0, sizeof(*res));
	have = cni_conf_load(rt.cni_conf_dir, 1, &c, why, sizeof(why)) == 0;
	/*
	 * In a cluster a pod with loopback only would be unreachable: as the
	 * kubelet, it waits in ContainerCreating (the sandbox backoff asks
	 * again) while the node says NotReady; standalone, loopback is the
	 * laptop's default.
	 */
	if (!have && rt.api_mode)
		return rt_seterr(err, "network plugin not ready: no CNI "
		    "configuration in %s", rt.cni_conf_dir);
	if (host_ports_publishable(p, have ? &c : NULL, err) == -1) {
		if (have)
			cni_conf_free(&c);
		return -1;
	}
	if (cni_loopback("ADD", id, netns, err) == -1) {
		if (have)
			cni_conf_free(&c);
		return -1;
	}
	if (!have)
		return 0;	/* loopback only, as agentd's cniwatch said */
	st = state_new(p, id, &c);
	cni_conf_free(&c);
	if (st == NULL)
		return rt_seterr(err, "out of memory");
	if (state_save(id, st, err) == -1) {
		cJSON_Delete(st);
		return -1;
	}
	/* on failure the caller's cni_del undoes what the chain did */
	if ((ret = chain_add(id, netns, st, res, err)) == -1)
		memset(res, 0, sizeof(*res));
	cJSON_Delete(st);
	return ret;
}

/*
 * Undo cni_add.  netns NULL: the namespace is gone; the chain's DEL runs
 * anyway, with CNI_NETNS empty, for IPAM's sake.  The state goes only
 * once DEL succeeded, so a failed DEL is retried with it.
 */
int
cni_del(const char *id, const char *netns, struct rt_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	cJSON *st = NULL;
	int ret = 0;

	if (netns != NULL && cni_loopback("DEL", id, netns, err) == -1)
		ret = -1;
	if (state_path(path, sizeof(path), id) == -1)
		return rt_seterr(err, "path too long");
	if (rt_read_file(path, CNI_STATE_MAX, &buf, NULL) == -1) {
		free(buf);
		return errno == ENOENT ? ret : rt_seterrno(err, "read %s",
		    path);
	}
	/* our own file, written by cni_add from typed data */
	if ((st = cJSON_Parse(buf)) == NULL)
		log_warnx("%s: unreadable, no CNI DEL", path);
	else if (chain_del(id, netns ? netns : "", st, err) == -1)
		ret = -1;
	else if (unlink(path) == -1 && errno != ENOENT)
		ret = rt_seterrno(err, "unlink %s", path);
	cJSON_Delete(st);
	free(buf);
	return ret;
}

/* ---- at executor start: CHECK of re-adopted sandboxes, GC ---- */

/* the sandbox's cni.json, parsed (our own file, from typed data) */
static cJSON *
state_load(const char *id)
{
	char path[PATH_MAX], *buf = NULL;
	cJSON *st = NULL;

	if (state_path(path, sizeof(path), id) == 0 &&
	    rt_read_file(path, CNI_STATE_MAX, &buf, NULL) == 0)
		st = cJSON_Parse(buf);
	free(buf);
	return st;
}

int
rt_cni_attached(const char *id)
{
	char path[PATH_MAX];

	return state_path(path, sizeof(path), id) == 0 &&
	    access(path, F_OK) == 0;
}

int
rt_cni_conf_load(struct cni_conf *c)
{
	char why[128];

	return cni_conf_load(rt.cni_conf_dir, 1, c, why, sizeof(why));
}

/*
 * libcni's CheckNetworkList conditions, on what ADD used (cni.json): a
 * configuration of 0.4.0 or later, a cached result to check against, and
 * no disableCheck -- neither then nor in the network of that name now, so
 * that an administrator can stop a broken CHECK from recreating sandboxes.
 */
int
rt_cni_check_wanted(const char *id, const struct cni_conf *now)
{
	cJSON *st;
	const char *version, *name;
	int wanted;

	if ((st = state_load(id)) == NULL)
		return 0;
	version = rt_json_str(st, "cniVersion");
	name = rt_json_str(st, "name");
	wanted = version != NULL && cni_version_ge(version, "0.4.0") &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(st, "result")) &&
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st,
	    "disableCheck")) && !(now != NULL && name != NULL &&
	    strcmp(now->name, name) == 0 && now->disable_check);
	cJSON_Delete(st);
	return wanted;
}

/*
 * The chain in order, each plugin with the cached result as prevResult
 * (libcni's CheckNetworkList); the first failure ends it.  A CHECK
 * prints nothing on success: only its exit status and error object count.
 */
int
rt_cni_check(const char *id, const char *netns, struct rt_err *err)
{
	struct cni_call cc = { "CHECK", id, netns, CNI_IFNAME, "", NULL, NULL };
	const cJSON *plugins, *prev, *pl;
	char *conf;
	cJSON *st;
	int ret = 0;

	if ((st = state_load(id)) == NULL)
		return rt_seterr(err, "CNI CHECK: %s unreadable", CNI_STATE_FILE);
	plugins = cJSON_GetObjectItemCaseSensitive(st, "plugins");
	prev = cJSON_GetObjectItemCaseSensitive(st, "result");
	cc.args = rt_json_str(st, "args") ? rt_json_str(st, "args") : "";
	cJSON_ArrayForEach(pl, plugins) {
		if ((cc.type = rt_json_str(pl, "type")) == NULL ||
		    (conf = plugin_conf(st, pl, prev)) == NULL) {
			ret = rt_seterr(err, "CNI CHECK: a plugin without a type "
			    "in %s", CNI_STATE_FILE);
			break;
		}
		cc.conf = conf;
		ret = cni_exec(&cc, NULL, err);
		free(conf);
		if (ret == -1) {
			rt_wrap(err, "CNI CHECK %s", cc.type);
			break;
		}
	}
	cJSON_Delete(st);
	return ret;
}

/*
 * libcni's GCNetworkList for the current network (1.1.0 or later, no
 * disableGC): one GC per plugin, CNI_CONTAINERID, CNI_NETNS and
 * CNI_IFNAME empty, the attachments still present in its stdin.  Every
 * plugin is asked; the first error is kept.  libcni's first step, DEL of
 * cached attachments that are not valid, has nothing to do here: the
 * cache is cni.json in the sandbox's directory, which goes with it.
 */
int
rt_cni_gc(const struct cni_conf *c, const struct cni_attachment *valid,
    size_t n, struct rt_err *err)
{
	struct cni_call cc = { "GC", "", "", "", "", NULL, NULL };
	struct rt_err one;
	char *conf;
	size_t i;
	int ret = 0;

	for (i = 0; i < c->nplugins; i++) {
		memset(&one, 0, sizeof(one));
		if ((conf = cni_gc_conf(c->plugins[i], c->name, c->version,
		    valid, n)) == NULL) {
			ret = ret ? ret : rt_seterr(err, "out of memory");
			continue;
		}
		cc.type = c->types[i];
		cc.conf = conf;
		if (cni_exec(&cc, NULL, &one) == -1 && ret == 0) {
			rt_seterr(err, "%s", rt_errmsg(&one));
			ret = rt_wrap(err, "CNI GC %s", cc.type);
		}
		free(conf);
	}
	return ret;
}
