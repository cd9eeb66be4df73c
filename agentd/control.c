/*
 * The control socket for agentctl: runDir/agentd.sock, mode 0600, and only
 * peers whose SO_PEERCRED uid is 0 get a channel.  Requests agentd cannot
 * answer itself go to the worker that can, tagged with a request id; the
 * worker's reply chunks come back with that id and are relayed verbatim.
 *
 * No client can hold agentd's attention forever: a request to a worker
 * that does not answer fails after a timeout with the reason, a client
 * that sends nothing is closed after an idle timeout, one that started a
 * request must finish it within a deadline, and when every slot is taken
 * the client that has been quiet longest makes room for the new one.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "agentd.h"
#include "ipc.h"
#include "log.h"
#include "msgschema.h"
#include "pod.h"

#define CONTROL_MAX_CLIENTS	32
#define CONTROL_SOCK_NAME	"agentd.sock"
/* a client with no request in flight that sent nothing for this long */
#define CONTROL_IDLE_TIMEOUT_S	10
/* a request whose first bytes came in must be whole within this */
#define CONTROL_HEADER_DEADLINE_S 3
/* the reporter's answer to a query (get pods): it never blocks */
#define CONTROL_REQUEST_TIMEOUT_S 5
/* the executor blocks in runtime calls for up to 60 s (RT_SYNC_TIMEOUT_MS) */
#define CONTROL_EXECUTOR_TIMEOUT_S 90
/* an import copies, then unpacks, each for up to 10 min (image.c) */
#define CONTROL_IMPORT_TIMEOUT_S 1260
#define CONTROL_SWEEP_MS	500	/* how often the deadlines are checked */

struct ctl_client {
	struct ipc_chan	*chan;
	uint32_t	 pending_id;	/* 0: no request in flight */
	enum proc_role	 pending_role;	/* the worker answering it */
	uint64_t	 pending_deadline_ms;
	uint64_t	 last_active_ms;	/* connected or last request/reply */
	uint64_t	 last_active_seq;	/* the same in order: ms tie */
	uint64_t	 partial_since_ms;	/* 0: no partial request */
};

static struct ctl_client	 clients[CONTROL_MAX_CLIENTS];
static struct event		*accept_ev;
static struct event		*sweep_ev;
static int			 listen_fd = -1;
static char			 sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static uint32_t			 next_id = 1;
static uint64_t			 activity_seq;

static int	ctl_status(struct ipc_chan *, struct ipc_msg *, void *);
static int	ctl_get_pods(struct ipc_chan *, struct ipc_msg *, void *);
static int	ctl_image(struct ipc_chan *, struct ipc_msg *, void *);
#ifdef AGENTD_TEST_HOOKS
static int	ctl_test_hook(struct ipc_chan *, struct ipc_msg *, void *);
#endif

static const struct ipc_dispatch control_tab[] = {
	{ CTL_STATUS, 0, IPC_F_ANYSTATE, ctl_status },
	{ CTL_GET_PODS, 0, IPC_F_ANYSTATE, ctl_get_pods },
	{ CTL_IMAGE_IMPORT, 0, IPC_F_ANYSTATE, ctl_image },
	{ CTL_IMAGE_LIST, 0, IPC_F_ANYSTATE, ctl_image },
#ifdef AGENTD_TEST_HOOKS
	{ CTL_TEST_HOOK, 0, IPC_F_ANYSTATE, ctl_test_hook },
#endif
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
client_close(struct ctl_client *cl)
{
	ipc_chan_free(cl->chan);
	cl->chan = NULL;
	cl->pending_id = 0;
}

static void
client_error(struct ipc_chan *c, const char *reason, void *arg)
{
	struct ctl_client *cl = arg;

	if (strncmp(reason, "peer closed", 11) != 0)
		log_warnx("control client: %s; closing it", reason);
	client_close(cl);
}

static void
reply_end(struct ctl_client *cl, uint32_t status, const char *error)
{
	struct ipc_msg m;

	ipc_msg_init(&m, CTL_REPLY_END, 0);
	ipc_put_u32(&m, status);
	ipc_put_str(&m, error);
	ipc_send(cl->chan, &m);
	cl->pending_id = 0;
	cl->partial_since_ms = 0;
	cl->last_active_ms = mono_ms();
	cl->last_active_seq = ++activity_seq;
}

static uid_t
proc_uid(pid_t pid)
{
	char path[64], line[256];
	unsigned int uid = (unsigned int)-1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (uid_t)-1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid:\t%u", &uid) == 1)
			break;
	fclose(f);
	return (uid_t)uid;
}

static const char *
worker_state_name(enum worker_state s)
{
	switch (s) {
	case WORKER_DOWN:
		return "restarting";
	case WORKER_STARTING:
		return "starting";
	case WORKER_UP:
		return "running";
	case WORKER_STOPPING:
		return "stopping";
	}
	return "unknown";
}

static void
add_proc(cJSON *arr, const char *role, pid_t pid, uint32_t restarts,
    const char *state)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "role", role);
	cJSON_AddNumberToObject(o, "pid", pid);
	cJSON_AddNumberToObject(o, "uid", pid > 0 ? (double)proc_uid(pid) : -1);
	cJSON_AddNumberToObject(o, "restarts", restarts);
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddItemToArray(arr, o);
}

/* the heartbeat as agentd sees it: pings sent, the last answered */
static void
add_heartbeat(cJSON *o, const struct worker *w)
{
	cJSON_AddNumberToObject(o, "pings", (double)w->ping_seq);
	cJSON_AddNumberToObject(o, "pongs", (double)w->pong_seq);
}

/*
 * The executor's storage driver, from the file it writes at start into
 * runDir (root-only): "overlay", "native", or "" before the first start.
 */
static void
add_storage_driver(cJSON *root)
{
	char path[CONFIG_MAX_PATH + 32], buf[16] = "";
	ssize_t n = 0;
	int fd, i;

	snprintf(path, sizeof(path), "%s/storage-driver",
	    agentd_env->conf.run_dir);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	for (i = 0; buf[i] >= 'a' && buf[i] <= 'z'; i++)
		;
	buf[i] = '\0';
	cJSON_AddStringToObject(root, "storageDriver", buf);
}

static void
status_worker(struct worker *w, void *arg)
{
	cJSON *arr = arg;

	add_proc(arr, role_name(w->role), w->pid, w->restarts,
	    worker_state_name(w->state));
	add_heartbeat(cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1), w);
}

static int
ctl_status(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct ctl_client *cl = arg;
	cJSON *root, *arr;
	char *text;

	if (ipc_get_end(m) == -1)
		return -1;
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "node", agentd_env->conf.node_name);
	cJSON_AddBoolToObject(root, "auditFailing", agentd_env->audit_failed);
	add_storage_driver(root);
	cniwatch_status(root);
	apigrant_status(root);
	arr = cJSON_AddArrayToObject(root, "processes");
	add_proc(arr, "agentd", getpid(), 0, "running");
	supervise_foreach(agentd_env, status_worker, arr);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		return -1;
	ipc_send_chunks(cl->chan, CTL_REPLY_CHUNK, 0, text, strlen(text));
	free(text);
	reply_end(cl, 0, NULL);
	return 0;
}

/* hand a request to a worker; its reply chunks carry the request id */
static int
forward(struct ctl_client *cl, enum proc_role role, struct ipc_msg *fwd)
{
	char err[128];

	cl->pending_id = next_id++;
	cl->pending_role = role;
	cl->partial_since_ms = 0;
	cl->pending_deadline_ms = mono_ms() + 1000ULL *
	    (fwd->type == MSG_IMAGE_IMPORT ? CONTROL_IMPORT_TIMEOUT_S :
	    role == ROLE_EXECUTOR ? CONTROL_EXECUTOR_TIMEOUT_S :
	    CONTROL_REQUEST_TIMEOUT_S);
	if (next_id == 0)
		next_id = 1;
	fwd->id = cl->pending_id;
	if (supervise_forward(agentd_env, role, fwd) == -1) {
		snprintf(err, sizeof(err), "the %s is not running (it is "
		    "being restarted); try again", role_name(role));
		reply_end(cl, 1, err);
	}
	return 0;
}

static int
ctl_get_pods(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char filter[MSGB_QUERY_FILTER + 1];
	struct ipc_msg fwd;
	uint32_t kind;

	if (ipc_get_u32(m, &kind) == -1 ||
	    ipc_get_str(m, filter, sizeof(filter)) == -1 ||
	    ipc_get_end(m) == -1 || kind < QUERY_PODLIST_JSON ||
	    kind > QUERY_KIND_MAX)
		return -1;
	ipc_msg_init(&fwd, MSG_STATUS_QUERY, 0);
	ipc_put_u32(&fwd, kind);
	ipc_put_str(&fwd, filter);
	return forward(arg, ROLE_REPORTER, &fwd);
}

static int
ctl_image(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char src[MSGB_IMAGE_SOURCE + 1], name[MSGB_IMAGE_NAME + 1];
	struct ipc_msg fwd;

	if (m->type == CTL_IMAGE_LIST) {
		if (ipc_get_end(m) == -1)
			return -1;
		ipc_msg_init(&fwd, MSG_IMAGE_LIST, 0);
		return forward(arg, ROLE_EXECUTOR, &fwd);
	}
	if (ipc_get_str(m, src, sizeof(src)) == -1 || src[0] != '/' ||
	    ipc_get_str(m, name, sizeof(name)) == -1 || name[0] == '\0' ||
	    ipc_get_end(m) == -1)
		return -1;
	ipc_msg_init(&fwd, MSG_IMAGE_IMPORT, 0);
	ipc_put_str(&fwd, src);
	ipc_put_str(&fwd, name);
	return forward(arg, ROLE_EXECUTOR, &fwd);
}

#ifdef AGENTD_TEST_HOOKS
static int
ctl_test_hook(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct ipc_msg fwd;
	uint32_t role, hook, nargs, v, i;

	if (ipc_get_u32(m, &role) == -1 || ipc_get_u32(m, &hook) == -1 ||
	    ipc_get_count(m, &nargs, MSGB_TEST_HOOK_ARGS) == -1)
		return -1;
	ipc_msg_init(&fwd, MSG_TEST_HOOK, 0);
	ipc_put_u32(&fwd, hook);
	for (i = 0; i < nargs; i++) {
		if (ipc_get_u32(m, &v) == -1) {
			ipc_msg_free(&fwd);
			return -1;
		}
		ipc_put_u32(&fwd, v);
	}
	if (ipc_get_end(m) == -1) {
		ipc_msg_free(&fwd);
		return -1;
	}
	reply_end(arg, supervise_forward(agentd_env, role, &fwd) == -1, NULL);
	return 0;
}
#endif

void
control_relay(struct agentd *env, uint32_t id, int end, struct ipc_msg *m)
{
	const uint8_t *p;
	char error[MSGB_REPLY_ERROR + 1];
	uint32_t status;
	size_t n, i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i].chan != NULL && clients[i].pending_id == id &&
		    id != 0)
			break;
	if (i == CONTROL_MAX_CLIENTS)
		return;		/* the client went away meanwhile */
	if (!end) {
		if (ipc_get_bytes_ref(m, &p, MSGB_REPLY_CHUNK, &n) == 0 &&
		    ipc_get_end(m) == 0)
			ipc_send_chunks(clients[i].chan, CTL_REPLY_CHUNK, 0,
			    p, n);
		return;
	}
	if (ipc_get_u32(m, &status) == -1 ||
	    ipc_get_str(m, error, sizeof(error)) == -1 ||
	    ipc_get_end(m) == -1) {
		status = 1;
		snprintf(error, sizeof(error), "malformed reply from worker");
	}
	reply_end(&clients[i], status, error);
}

/* a worker died: its pending requests will never be answered */
void
control_worker_gone(struct agentd *env, enum proc_role role)
{
	char err[128];
	int i;

	snprintf(err, sizeof(err), "the %s restarted while answering; try "
	    "again", role_name(role));
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i].chan != NULL && clients[i].pending_id != 0 &&
		    clients[i].pending_role == role)
			reply_end(&clients[i], 1, err);
}

static void
sweep_arm(void)
{
	struct timeval tv = { 0, CONTROL_SWEEP_MS * 1000 };

	if (!evtimer_pending(sweep_ev, NULL))
		evtimer_add(sweep_ev, &tv);
}

/* one client's deadlines; 1 if it is still connected */
static int
client_sweep(struct ctl_client *cl, uint64_t now)
{
	char err[160];

	if (cl->pending_id != 0) {
		if (now < cl->pending_deadline_ms)
			return 1;
		snprintf(err, sizeof(err), "timed out waiting for the %s "
		    "(it may be stopped or wedged; agentd restarts a worker "
		    "that misses its heartbeat); try again",
		    role_name(cl->pending_role));
		log_warnx("control: %s", err);
		reply_end(cl, 1, err);
		return 1;
	}
	if (ipc_chan_rx_partial(cl->chan) == 0)
		cl->partial_since_ms = 0;
	else if (cl->partial_since_ms == 0)
		cl->partial_since_ms = now;
	if (cl->partial_since_ms != 0 && now - cl->partial_since_ms >=
	    CONTROL_HEADER_DEADLINE_S * 1000ULL) {
		log_warnx("control: a client did not finish its request "
		    "within %d s; closing it", CONTROL_HEADER_DEADLINE_S);
		client_close(cl);
		return 0;
	}
	if (cl->partial_since_ms == 0 && now - cl->last_active_ms >=
	    CONTROL_IDLE_TIMEOUT_S * 1000ULL) {
		log_debug("control: closing a client idle for %d s",
		    CONTROL_IDLE_TIMEOUT_S);
		client_close(cl);
		return 0;
	}
	return 1;
}

static void
sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	uint64_t now = mono_ms();
	int i, live = 0;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i].chan != NULL)
			live += client_sweep(&clients[i], now);
	if (live)
		sweep_arm();
}

/*
 * A free slot, or the one of the client quiet the longest among those
 * with no request in flight: a pile of idle connections must not lock
 * out the next agentctl.  -1 if every client waits for an answer.
 */
static int
client_slot(void)
{
	uint64_t oldest = UINT64_MAX;
	int i, victim = -1;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (clients[i].chan == NULL)
			return i;
		if (clients[i].pending_id == 0 &&
		    clients[i].last_active_seq < oldest) {
			oldest = clients[i].last_active_seq;
			victim = i;
		}
	}
	if (victim != -1) {
		log_warnx("control: %d clients connected; closing the one "
		    "idle longest", CONTROL_MAX_CLIENTS);
		client_close(&clients[victim]);
	}
	return victim;
}

static void
accept_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int s, i;

	if ((s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1)
		return;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != 0) {
		log_warnx("control: refusing a client with uid %d",
		    (int)cred.uid);
		close(s);
		return;
	}
	if ((i = client_slot()) == -1) {
		log_warnx("control: too many clients, all waiting for an "
		    "answer; refusing a new one");
		close(s);
		return;
	}
	memset(&clients[i], 0, sizeof(clients[i]));
	clients[i].last_active_ms = mono_ms();
	clients[i].last_active_seq = ++activity_seq;
	clients[i].chan = ipc_chan_new(agentd_env->base, s, "control",
	    control_tab, nitems(control_tab), client_error, &clients[i]);
	if (clients[i].chan == NULL) {
		close(s);
		return;
	}
	ipc_chan_set_roles(clients[i].chan, ROLE_PARENT, ROLE_CONTROL);
	sweep_arm();
}

int
control_init(struct agentd *env)
{
	struct sockaddr_un sun;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    env->conf.run_dir, CONTROL_SOCK_NAME) >= (int)sizeof(sun.sun_path)) {
		log_warnx("control socket path too long");
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", sun.sun_path);
	if ((listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return -1;
	unlink(sock_path);
	old = umask(0177);
	if (bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("bind %s", sock_path);
		return -1;
	}
	umask(old);
	if (chmod(sock_path, 0600) == -1 || listen(listen_fd, 16) == -1)
		return -1;
	accept_ev = event_new(env->base, listen_fd, EV_READ | EV_PERSIST,
	    accept_cb, NULL);
	if (accept_ev == NULL || event_add(accept_ev, NULL) == -1)
		return -1;
	if ((sweep_ev = evtimer_new(env->base, sweep_cb, NULL)) == NULL)
		return -1;
	return 0;
}

void
control_cleanup(struct agentd *env)
{
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i].chan != NULL)
			client_close(&clients[i]);
	if (accept_ev != NULL)
		event_free(accept_ev);
	if (sweep_ev != NULL)
		event_free(sweep_ev);
	if (listen_fd != -1)
		close(listen_fd);
	unlink(sock_path);
}
