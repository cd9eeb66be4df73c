/*
 * The pod network as agentd sees it in cniConfDir: the file libcni's
 * rules choose (common/cniconf.c), looked at again whenever the directory
 * changes (dirwatch.c: inotify, and every CNIWATCH_PERIOD_S while it does
 * not exist yet).  When the choice changes -- a network appears, another
 * file or other contents are chosen, the last one goes -- agentd says so
 * once in the log and in a network.config audit record, and agentctl
 * status shows the current one.
 *
 * The executor still reads the directory itself for every new sandbox
 * (it is root and the files are the administrator's, like agentd.yaml),
 * so nothing crosses a channel here: this is the noticing and the
 * reporting, and cniwatch_ready() is what a NotReady node condition asks
 * ("network plugin not ready: no CNI configuration").
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "auditfmt.h"
#include "cninet.h"
#include "evring.h"
#include "log.h"
#include "msgschema.h"

#define CNIWATCH_PERIOD_S	5	/* a missing directory: look again */

static struct {
	int	 loaded;		/* a network; 0: loopback only */
	char	 name[CNI_MAX_NAME + 1];
	char	 file[PATH_MAX];
	char	 version[CNI_MAX_VERSION + 1];
	char	*text;			/* its canonical JSON */
} cur;

static struct dirwatch	*watch;
static struct logrl	 skipped_log;	/* a broken file: once per 5 min */
static int		 scanned;

int
cniwatch_ready(void)
{
	return cur.loaded;
}

void
cniwatch_status(cJSON *root)
{
	cJSON *o;

	if ((o = cJSON_AddObjectToObject(root, "network")) == NULL)
		return;
	cJSON_AddStringToObject(o, "cniConfDir",
	    agentd_env->conf.cni_conf_dir);
	cJSON_AddStringToObject(o, "mode", cur.loaded ? "cni" : "loopback");
	if (!cur.loaded)
		return;
	cJSON_AddStringToObject(o, "name", cur.name);
	cJSON_AddStringToObject(o, "file", cur.file);
	cJSON_AddStringToObject(o, "cniVersion", cur.version);
}

/* the reporter's Ready condition in API mode follows this */
void
cniwatch_send(struct agentd *env)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_NODE_NETWORK, 0);
	ipc_put_u32(&m, cur.loaded);
	/* the kubelet's words; the directory is in agentd's log line */
	ipc_put_str(&m, cur.loaded ? "" :
	    "network plugin not ready: no CNI configuration");
	supervise_forward(env, ROLE_REPORTER, &m);
}

static void
skipped(const char *path, const char *why, void *arg)
{
	char key[LOGRL_MAX_KEY];

	snprintf(key, sizeof(key), "%s:%s", path, why);
	logrl_warnx(&skipped_log, key, "CNI configuration %s ignored: %s",
	    path, why);
}

static void
report(struct agentd *env, int same_file)
{
	char details[2 * PATH_MAX + 512];

	details[0] = '\0';
	if (!cur.loaded) {
		log_warnx("network: loopback only (no CNI configuration in "
		    "%s)", env->conf.cni_conf_dir);
		auditfmt_details_add(details, sizeof(details), "network",
		    "loopback");
		auditfmt_details_add(details, sizeof(details), "dir",
		    env->conf.cni_conf_dir);
	} else {
		log_info("network: %s from %s%s", cur.name, cur.file,
		    same_file ? " (changed)" : "");
		auditfmt_details_add(details, sizeof(details), "network",
		    cur.name);
		auditfmt_details_add(details, sizeof(details), "file",
		    cur.file);
		auditfmt_details_add(details, sizeof(details), "cniVersion",
		    cur.version);
	}
	/* a record that cannot be written is agentd's own failure, logged */
	agentd_audit_event(env, "agentd", "network.config", details, "ok",
	    NULL);
}

static void
scan(void *arg)
{
	struct agentd *env = arg;
	struct cni_conf c;
	char why[128], *text = NULL;
	int have, same_file;

	have = cni_conf_load_cb(env->conf.cni_conf_dir, skipped, NULL, &c,
	    why, sizeof(why)) == 0;
	if (have && (text = cJSON_PrintUnformatted(c.list)) == NULL) {
		cni_conf_free(&c);
		return;		/* out of memory: the next change tries again */
	}
	if (scanned && have == cur.loaded && (!have ||
	    (strcmp(cur.file, c.path) == 0 && strcmp(cur.text, text) == 0))) {
		free(text);
		if (have)
			cni_conf_free(&c);
		return;		/* the same choice */
	}
	same_file = scanned && have && cur.loaded &&
	    strcmp(cur.file, c.path) == 0;
	free(cur.text);
	memset(&cur, 0, sizeof(cur));
	if (have) {
		cur.loaded = 1;
		cur.text = text;
		snprintf(cur.name, sizeof(cur.name), "%s", c.name);
		snprintf(cur.file, sizeof(cur.file), "%s", c.path);
		snprintf(cur.version, sizeof(cur.version), "%s", c.version);
		cni_conf_free(&c);
	}
	scanned = 1;
	report(env, same_file);
	cniwatch_send(env);
}

int
cniwatch_init(struct agentd *env)
{
	if ((watch = dirwatch_new(env->base, env->conf.cni_conf_dir,
	    CNIWATCH_PERIOD_S, 0, scan, env)) == NULL)
		return -1;
	scan(env);
	return 0;
}
