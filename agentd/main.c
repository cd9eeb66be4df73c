/*
 * agentd: the privileged parent.  It reads the configuration, owns the
 * audit log, spawns and supervises the three workers, hands the watcher
 * the static manifests, serves agentctl, and talks to systemd.  It never
 * parses text that came from the network or from a manifest.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentd.h"
#include "audit.h"
#include "config.h"
#include "log.h"

struct agentd *agentd_env;

static struct event *heartbeat_ev;
static struct event *audit_tick_ev;
static struct event *shutdown_ev;

static void
usage(void)
{
	fprintf(stderr, "usage: agentd [-dn] [-f config]\n");
	exit(2);
}

/*
 * Append a record; on failure privileged actions stop (fail closed) and
 * agentd says so once, loudly, until the log can be written again.
 */
int
agentd_audit(struct agentd *env, const struct audit_rec *r, uint64_t *seq)
{
	if (env->audit == NULL || audit_append(env->audit, r, seq) == -1) {
		if (!env->audit_failed)
			log_warnx("AUDIT LOG UNWRITABLE: refusing %s; privileged "
			    "actions stop until %s can be written again (%s)",
			    r->action, env->conf.audit_log, env->audit ?
			    audit_last_error(env->audit) : "not open");
		env->audit_failed = 1;
		return -1;
	}
	if (env->audit_failed)
		log_warnx("audit log writable again");
	env->audit_failed = 0;
	return 0;
}

static time_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* an agentd event record: no pod, no container, phase "event" */
static void
event_rec(struct audit_rec *r, const char *actor, const char *action,
    const char *details, const char *outcome, const char *error)
{
	memset(r, 0, sizeof(*r));
	r->actor = actor;
	r->action = action;
	r->phase = "event";
	r->details = details;
	r->outcome = outcome;
	r->error = error;
}

/*
 * A record a worker (or a file in the static directory) can cause at
 * will: rate-limited and refused while the audit budget is exhausted
 * (audit_append_worker).  Not writing it by design is not a failure: 1,
 * and the caller may then skip its log line too.
 */
int
agentd_audit_worker(struct agentd *env, const char *actor, const char *action,
    const char *details, const char *outcome, const char *error)
{
	struct audit_rec r;
	int rc;

	event_rec(&r, actor, action, details, outcome, error);
	if (env->audit != NULL &&
	    (rc = audit_append_worker(env->audit, &r, mono_seconds())) >= 0) {
		if (rc == 0 && env->audit_failed)
			log_warnx("audit log writable again");
		if (rc == 0)
			env->audit_failed = 0;
		return rc;
	}
	return agentd_audit(env, &r, NULL);	/* says UNWRITABLE once */
}

int
agentd_audit_event(struct agentd *env, const char *actor, const char *action,
    const char *details, const char *outcome, const char *error)
{
	struct audit_rec r;

	event_rec(&r, actor, action, details, outcome, error);
	return agentd_audit(env, &r, NULL);
}

static void
make_dir(const char *path, mode_t mode)
{
	char buf[CONFIG_MAX_PATH], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		fatal("mkdir %s", buf);
}

/*
 * mkdir(2) leaves an existing directory as it is; a rootDir or runDir
 * that someone made readable (or worse) for others would expose the
 * state, the runtime's files and the control socket's directory.
 */
static void
force_mode(const char *key, const char *path, mode_t mode)
{
	struct stat st;

	if (stat(path, &st) == -1)
		fatal("%s %s", key, path);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s %s is not a directory", key, path);
	if ((st.st_mode & 07777) == mode)
		return;
	if (chmod(path, mode) == -1)
		fatal("chmod %s", path);
	log_warnx("%s %s had mode %04o; set it to %04o", key, path,
	    (unsigned int)(st.st_mode & 07777), (unsigned int)mode);
}

static void
prepare_dirs(struct agentd_config *c)
{
	char dir[CONFIG_MAX_PATH], *slash;

	make_dir(c->root_dir, 0700);
	make_dir(c->run_dir, 0700);
	force_mode("rootDir", c->root_dir, 0700);
	force_mode("runDir", c->run_dir, 0700);
	make_dir(c->pod_logs_dir, 0755);
	snprintf(dir, sizeof(dir), "%s", c->audit_log);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		make_dir(dir, 0700);
	}
	snprintf(dir, sizeof(dir), "%s", c->audit_anchor_file);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		make_dir(dir, 0700);
	}
}

static uid_t
privsep_uid(const char *key, const char *user)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("privsep user \"%s\" does not exist (create it: "
		    "useradd -r -s /usr/sbin/nologin -d /nonexistent %s)",
		    user, user);
	if (pw->pw_uid == 0)
		fatalx("%s \"%s\" must not be uid 0", key, user);
	return pw->pw_uid;
}

/*
 * The watcher and the reporter must not share a uid: the same uid may
 * signal (SIGSTOP, SIGKILL) or ptrace the other, so a compromised watcher
 * could silence the reporter.  The workers check uid != 0 again.
 */
static void
check_privsep_users(struct agentd_config *c)
{
	if (privsep_uid("privsepUser", c->privsep_user) ==
	    privsep_uid("reporterUser", c->reporter_user))
		fatalx("privsepUser \"%s\" and reporterUser \"%s\" must be "
		    "different users (different uids)", c->privsep_user,
		    c->reporter_user);
}

static void
open_audit(struct agentd *env)
{
	struct audit_cfg ac;
	char err[512];

	memset(&ac, 0, sizeof(ac));
	ac.path = env->conf.audit_log;
	ac.key_file = env->conf.audit_key_file;
	ac.max_bytes = env->conf.audit_max_bytes;
	ac.do_fsync = env->conf.audit_fsync;
	/* every record also goes to syslog (journald), whatever logging says */
	ac.use_syslog = 1;
	/* a file is deleted only once shipped or verified */
	ac.retain_unshipped = 1;
	ac.anchor_path = env->conf.audit_anchor_file;
	ac.node = env->conf.node_name;
	/* no audit log, no privileged work: refuse to start */
	if ((env->audit = audit_open(&ac, err, sizeof(err))) == NULL)
		fatalx("audit log %s: %s", env->conf.audit_log, err);
}

static void
shutdown_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct agentd *env = arg;

	log_warnx("workers did not exit within %d ms; killing them",
	    SHUTDOWN_GRACE_MS);
	supervise_shutdown(env);	/* second call escalates to SIGKILL */
}

static void
begin_shutdown(struct agentd *env, int sig)
{
	struct timeval tv = { SHUTDOWN_GRACE_MS / 1000,
	    (SHUTDOWN_GRACE_MS % 1000) * 1000 };

	if (env->shutting_down)
		return;
	log_info("received %s, stopping (containers keep running)",
	    strsignal(sig));
	notify_send("STOPPING=1\nSTATUS=stopping workers");
	env->shutting_down = 1;
	supervise_shutdown(env);
	shutdown_ev = evtimer_new(env->base, shutdown_timeout_cb, env);
	evtimer_add(shutdown_ev, &tv);
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct agentd *env = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		begin_shutdown(env, (int)sig);
		break;
	case SIGHUP:
		log_warnx("SIGHUP: configuration reload is not supported; "
		    "restart agentd to apply changes (containers keep "
		    "running)");
		break;
	case SIGCHLD:
		supervise_reap(env);
		break;
	}
}

static void
heartbeat_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct agentd *env = arg;

	/* the watchdog is fed only while every worker answered the last ping */
	if (supervise_all_answering(env))
		notify_send("WATCHDOG=1");
	else
		log_debug("watchdog: not every worker answered, no ping");
	supervise_ping(env);
}

/* rate windows close, a held rotation is retried, the anchor kept fresh */
static void
audit_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct agentd *env = arg;

	if (env->audit != NULL && audit_tick(env->audit, mono_seconds()) == -1)
		log_warnx("audit: %s", audit_last_error(env->audit));
}

static void
setup_events(struct agentd *env)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct timeval tv;
	struct event *ev;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(env->base, sigs[i], signal_cb, env);
		if (ev == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("evsignal_add %d", sigs[i]);
	}
	tv.tv_sec = env->conf.watchdog_ping_seconds;
	tv.tv_usec = 0;
	if (tv.tv_sec == 0)
		tv.tv_sec = 1;
	heartbeat_ev = event_new(env->base, -1, EV_PERSIST, heartbeat_cb, env);
	if (heartbeat_ev == NULL || event_add(heartbeat_ev, &tv) == -1)
		fatalx("heartbeat timer");
	tv.tv_sec = 1;
	audit_tick_ev = event_new(env->base, -1, EV_PERSIST, audit_tick_cb,
	    env);
	if (audit_tick_ev == NULL || event_add(audit_tick_ev, &tv) == -1)
		fatalx("audit timer");
}

static int
check_config(const char *path, struct agentd_config *c)
{
	char err[1024];

	if (config_load(c, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "agentd: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * API mode's kubeconfig, read as root before any worker runs.  A bad one
 * is one line naming the file and the field, an audit record, and no
 * start: agentd must not run half configured (the watcher would see only
 * static pods and the node would look healthy but join nothing).
 */
static void
load_kubeconfig(struct agentd *env)
{
	char err[2048], details[CONFIG_MAX_PATH + 64];

	if (apigrant_init(env, err, sizeof(err)) == 0) {
		if (apigrant_on())
			log_info("API mode: kubeconfig %s",
			    env->conf.kubeconfig);
		return;
	}
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "kubeconfig",
	    env->conf.kubeconfig);
	agentd_audit_event(env, "agentd", "config.load", details, "failed",
	    err);
	fatalx("%s", err);
}

int
main(int argc, char *argv[])
{
	static struct agentd env;
	const char *conffile = CONFIG_DEFAULT_PATH;
	int ch, noaction = 0, debug = 0;
	char details[2 * CONFIG_MAX_PATH + 512], pid[16];

	while ((ch = getopt(argc, argv, "df:nh")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (check_config(conffile, &env.conf) == -1)
		exit(1);
	if (noaction) {
		char err[2048];

		if (apigrant_init(&env, err, sizeof(err)) == -1) {
			fprintf(stderr, "agentd: %s\n", err);
			exit(1);
		}
		apigrant_cleanup();
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (geteuid() != 0)
		fatalx("agentd must run as root");
	log_init("agentd", debug ? LOG_LVL_DEBUG : env.conf.log_level,
	    env.conf.use_syslog);
	agentd_env = &env;
	check_privsep_users(&env.conf);
	nodeip_resolve(&env.conf);
	prepare_dirs(&env.conf);
	open_audit(&env);
	load_kubeconfig(&env);
	if ((env.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	notify_init(&env);
	setup_events(&env);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "config", env.conf.path);
	auditfmt_details_add(details, sizeof(details), "node",
	    env.conf.node_name);
	auditfmt_details_add(details, sizeof(details), "pid", pid);
	if (agentd_audit_event(&env, "agentd", "agentd.start", details, "ok",
	    NULL) == -1 || agentd_audit_event(&env, "agentd", "config.load",
	    details, "ok", NULL) == -1)
		fatalx("cannot write the audit log %s", env.conf.audit_log);
	supervise_init(&env);
	if (control_init(&env) == -1)
		fatalx("control socket in %s", env.conf.run_dir);
	if (staticdir_init(&env) == -1)
		fatalx("static pod directory %s", env.conf.static_pod_path);
	if (cniwatch_init(&env) == -1)
		fatalx("CNI configuration directory %s", env.conf.cni_conf_dir);
	supervise_start_all(&env);
	notify_send("STATUS=starting workers");
	log_info("agentd started: node %s, config %s", env.conf.node_name,
	    env.conf.path);
	event_base_dispatch(env.base);
	control_cleanup(&env);
	apigrant_cleanup();
	agentd_audit_event(&env, "agentd", "agentd.stop", NULL, "ok", NULL);
	audit_close(env.audit);
	log_info("agentd stopped");
	config_free(&env.conf);
	return 0;
}
