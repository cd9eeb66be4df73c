/*
 * API mode in agentd: the kubeconfig, the credentials the API workers get,
 * and the sockets agentd connects for them.
 *
 * The watcher and the reporter speak to the API server but run without
 * the right to make a socket (their seccomp filter, their chroot): agentd
 * reads the kubeconfig as root at start and fixes the server's host and
 * port then.  A worker that wants a connection sends MSG_API_CONNECT; agentd
 * resolves that host, connects without blocking (each address in turn,
 * APIGRANT_TIMEOUT_MS for all of them) and passes the connected socket
 * back, or the reason it could not.  A compromised worker thus reaches
 * the API server and nothing else, at a bounded rate, and every socket it
 * got is in the audit log.  TLS runs in the worker; with a client key,
 * agentd signs its handshakes (signer.c) and the key never leaves agentd.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "agentd.h"
#include "apiclient.h"
#include "auditfmt.h"
#include "evring.h"
#include "ipc.h"
#include "kubeconfig.h"
#include "log.h"
#include "monoclock.h"
#include "msgschema.h"
#include "proctab.h"
#include "refusedwire.h"
#include "signer.h"

#define ADDRSTR_MAX	(INET6_ADDRSTRLEN + 16)	/* "[v6]:port" */

/* one MSG_API_CONNECT being served */
struct grant {
	TAILQ_ENTRY(grant)	 entry;
	struct apiworker	*aw;		/* NULL: its worker is gone */
	uint32_t		 id;
	struct evdns_getaddrinfo_request *dns;	/* resolving */
	int			 in_resolve;	/* inside evdns_getaddrinfo */
	int			 resolved;	/* the lookup has answered */
	struct evutil_addrinfo	*ai;		/* what it answered */
	struct evutil_addrinfo	*cur;		/* the address being tried */
	int			 fd;
	struct event		*ev;
	int64_t			 deadline_ms;
	char			 addr[ADDRSTR_MAX];
	char			 error[MSGB_API_ERROR + 1];
};
TAILQ_HEAD(grantq, grant);

/* what agentd keeps per API worker role, across its restarts */
struct apiworker {
	enum proc_role		 role;
	struct worker		*w;		/* up, or NULL */
	struct grantq		 grants;
	unsigned		 inprogress;
	struct apirate		 rate;
	struct apirefusals	 refusals;
	struct event		*refusal_ev;
	uint64_t		 granted, failed, refused;
	/* what the server made of its credentials (MSG_API_AUTH) */
	uint32_t		 auth_what;
	char			 auth_reason[MSGB_API_ERROR + 1];
	int64_t			 auth_said;	/* when last recorded, s; 0 never */
	uint64_t		 auth_claims;	/* claims since then */
	int			 auth_owed;	/* a claim waits for the minute */
	struct event		*auth_ev;
};

/* a refusal that goes on is said again this often, with its count */
#define APIGRANT_AUTH_REPEAT_S	300
/* and no worker gets more than one api.credentials record this often */
#define APIGRANT_AUTH_MIN_S	60

static struct {
	int			 on;
	char			 path[CONFIG_MAX_PATH];
	struct kubeconfig	 kc;		/* key bytes freed after load */
	int			 have_key;
	int			 numeric;	/* the host is an IP literal */
	struct evdns_base	*dns;		/* for a host name, lazily */
	struct apiworker	 workers[ROLE_MAX];	/* PROC_F_API rows' */
} api;

static void	grant_next(struct grant *);

int
apigrant_on(void)
{
	return api.on;
}

static struct apiworker *
apiworker(enum proc_role role)
{
	const struct proc_desc *p = proc_get(role);

	/* the process table says who speaks to the API server */
	if (p == NULL || !(p->flags & PROC_F_API))
		return NULL;
	return &api.workers[role];
}

static int
is_ip_literal(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

/*
 * What the kubeconfig must say for agentd to run with it, beyond what
 * kubeconfig_parse checks: skipping verification only when agentd.yaml
 * allows it, and something to verify against otherwise (the workers'
 * chroot has no system trust store to fall back on).
 */
static int
check_trust(struct agentd *env, char *err, size_t errlen)
{
	const struct kubeconfig *kc = &api.kc;

	if (kc->insecure_skip_verify && !env->conf.allow_insecure_api) {
		snprintf(err, errlen, "kubeconfig %s: cluster \"%s\": "
		    "insecure-skip-tls-verify: true is refused: "
		    "allowInsecureAPIServer is not true in %s", api.path,
		    kc->cluster, env->conf.path);
		return -1;
	}
	if (!kc->insecure_skip_verify && kc->ca == NULL) {
		snprintf(err, errlen, "kubeconfig %s: cluster \"%s\": "
		    "certificate-authority: required (the workers have no "
		    "system trust store)", api.path, kc->cluster);
		return -1;
	}
	return 0;
}

/* the client key goes to the signer; agentd keeps no other copy */
static int
load_key(char *err, size_t errlen)
{
	struct kubeconfig *kc = &api.kc;
	char why[512];
	int rc;

	if (kc->key == NULL)
		return 0;
	rc = signer_load_key(kc->key, kc->key_len, kc->cert, kc->cert_len,
	    why, sizeof(why));
	explicit_bzero(kc->key, kc->key_len);
	free(kc->key);
	kc->key = NULL;
	kc->key_len = 0;
	if (rc == -1) {
		snprintf(err, errlen, "kubeconfig %s: user \"%s\": "
		    "client-key: %s", api.path, kc->user, why);
		return -1;
	}
	api.have_key = 1;
	return 0;
}

int
apigrant_init(struct agentd *env, char *err, size_t errlen)
{
	char why[1024];
	size_t i;

	if (env->conf.kubeconfig[0] == '\0')
		return 0;
	snprintf(api.path, sizeof(api.path), "%s", env->conf.kubeconfig);
	if (kubeconfig_load(&api.kc, api.path, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "kubeconfig %s", why);
		return -1;
	}
	if (check_trust(env, err, errlen) == -1 ||
	    load_key(err, errlen) == -1) {
		kubeconfig_free(&api.kc);
		return -1;
	}
	api.numeric = is_ip_literal(api.kc.host);
	for (i = 0; i < nitems(api.workers); i++) {
		api.workers[i].role = i;
		TAILQ_INIT(&api.workers[i].grants);
	}
	api.on = 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* credentials                                                         */

static void
send_signer(struct agentd *env, struct worker *w)
{
	struct ipc_msg m;
	int fd;

	if ((fd = signer_channel(env, w->role)) == -1) {
		log_warnx("%s: no signer channel; its TLS handshakes will "
		    "fail until it is restarted", w->exe);
		return;
	}
	ipc_msg_init(&m, MSG_API_SIGNER, 0);
	ipc_put_fd(&m, fd);
	ipc_send(w->chan, &m);
}

void
apigrant_worker_up(struct agentd *env, struct worker *w)
{
	const struct kubeconfig *kc = &api.kc;
	struct apiworker *aw;
	struct ipc_msg m;
	uint32_t flags = 0;

	if (!api.on || (aw = apiworker(w->role)) == NULL)
		return;
	aw->w = w;
	if (kc->insecure_skip_verify)
		flags |= APICREDS_F_INSECURE;
	if (kc->cert != NULL)
		flags |= APICREDS_F_CERT;
	ipc_msg_init(&m, MSG_API_CREDS, 0);
	ipc_put_str(&m, kc->host);
	ipc_put_u32(&m, kc->port);
	ipc_put_str(&m, kc->tls_server_name);
	ipc_put_u32(&m, flags);
	ipc_put_bytes(&m, kc->ca, kc->ca != NULL ? kc->ca_len : 0);
	ipc_put_bytes(&m, kc->cert, kc->cert != NULL ? kc->cert_len : 0);
	ipc_put_str(&m, kc->token);
	if (ipc_send(w->chan, &m) == -1)
		return;
	if (api.have_key)
		send_signer(env, w);
}

/* ------------------------------------------------------------------ */
/* answers                                                             */

static void
grant_free(struct grant *g)
{
	if (g->aw != NULL) {
		TAILQ_REMOVE(&g->aw->grants, g, entry);
		g->aw->inprogress--;
	}
	if (g->ev != NULL)
		event_free(g->ev);
	if (g->fd != -1)
		close(g->fd);
	if (g->ai != NULL)
		evutil_freeaddrinfo(g->ai);
	free(g);
}

static void
grant_details(const struct grant *g, char *details, size_t len)
{
	char port[16], id[16];

	snprintf(port, sizeof(port), "%u", api.kc.port);
	snprintf(id, sizeof(id), "%u", g->id);
	details[0] = '\0';
	auditfmt_details_add(details, len, "host", api.kc.host);
	auditfmt_details_add(details, len, "port", port);
	if (g->addr[0] != '\0')
		auditfmt_details_add(details, len, "address", g->addr);
	auditfmt_details_add(details, len, "id", id);
}

static void
reply_refused(struct worker *w, uint32_t id, const char *error)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_API_REFUSED, 0);
	ipc_put_u32(&m, id);
	ipc_put_str(&m, error);
	ipc_send(w->chan, &m);
}

/*
 * A failed connect is the server's or the network's doing, and a worker
 * retries: one line per role and LOGRL_INTERVAL_S, with the repeats.
 */
static void
log_failure(const struct apiworker *aw, const char *error)
{
	static struct logrl rl;
	char key[64];

	snprintf(key, sizeof(key), "%s:connect", role_name(aw->role));
	logrl_warnx(&rl, key, "%s: API server connection failed: %s",
	    role_name(aw->role), error);
}

/* no socket: audited, the reason to the worker */
static void
grant_fail(struct grant *g)
{
	struct apiworker *aw = g->aw;
	char details[1024];

	grant_details(g, details, sizeof(details));
	agentd_audit_event(agentd_env, role_name(aw->role), "api.connect",
	    details, "failed", g->error);
	aw->failed++;
	log_failure(aw, g->error);
	if (aw->w != NULL)
		reply_refused(aw->w, g->id, g->error);
	grant_free(g);
}

/*
 * Connected: audited before the worker has it; a grant that cannot be
 * recorded is not made (the audit log fails closed).
 */
static void
grant_done(struct grant *g)
{
	struct apiworker *aw = g->aw;
	struct ipc_msg m;
	char details[1024];

	if (aw->w == NULL) {		/* nobody to hand it to */
		grant_free(g);
		return;
	}
	grant_details(g, details, sizeof(details));
	if (agentd_audit_event(agentd_env, role_name(aw->role),
	    "api.connect", details, "ok", NULL) == -1) {
		snprintf(g->error, sizeof(g->error), "connect %s: not "
		    "granted: the audit log cannot be written", g->addr);
		aw->failed++;
		reply_refused(aw->w, g->id, g->error);
		grant_free(g);
		return;
	}
	aw->granted++;
	log_debug("%s: API connection %u to %s granted", role_name(aw->role),
	    g->id, g->addr);
	ipc_msg_init(&m, MSG_API_SOCKET, 0);
	ipc_put_u32(&m, g->id);
	ipc_put_fd(&m, g->fd);
	g->fd = -1;		/* the message owns it now */
	ipc_send(aw->w->chan, &m);
	grant_free(g);
}

/* "connect A: why" after the errors of the addresses tried before */
static void
add_error(struct grant *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_error(struct grant *g, const char *fmt, ...)
{
	size_t n = strlen(g->error);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(g->error)) {
		memcpy(g->error + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(g->error + n, sizeof(g->error) - n, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* connecting                                                          */

static unsigned
addrs_left(const struct evutil_addrinfo *ai)
{
	unsigned n = 0;

	for (; ai != NULL; ai = ai->ai_next)
		n++;
	return n;
}

/* this address is done with: its socket closed, the next one current */
static void
attempt_close(struct grant *g)
{
	if (g->ev != NULL) {
		event_free(g->ev);
		g->ev = NULL;
	}
	if (g->fd != -1) {
		close(g->fd);
		g->fd = -1;
	}
	g->cur = g->cur->ai_next;
}

static void
attempt_over(struct grant *g)
{
	attempt_close(g);
	grant_next(g);
}

static void
connected_cb(evutil_socket_t fd, short what, void *arg)
{
	struct grant *g = arg;
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (what & EV_TIMEOUT) {
		add_error(g, "connect %s: timed out", g->addr);
		attempt_over(g);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr != 0) {
		add_error(g, "connect %s: %s", g->addr, strerror(soerr));
		attempt_over(g);
		return;
	}
	event_free(g->ev);
	g->ev = NULL;
	grant_done(g);
}

/* start on g->cur: 0 waiting (or done), -1 this address failed at once */
static int
grant_start(struct grant *g)
{
	const struct evutil_addrinfo *ai = g->cur;
	struct timeval tv;
	int64_t ms;

	apigrant_addrstr(ai->ai_addr, g->addr, sizeof(g->addr));
	if ((g->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		add_error(g, "socket for %s: %s", g->addr, strerror(errno));
		return -1;
	}
	if (connect(g->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		grant_done(g);
		return 0;
	}
	if (errno != EINPROGRESS) {
		add_error(g, "connect %s: %s", g->addr, strerror(errno));
		return -1;
	}
	ms = apigrant_attempt_ms(g->deadline_ms - monoclock_ms(),
	    addrs_left(ai));
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((g->ev = event_new(agentd_env->base, g->fd, EV_WRITE,
	    connected_cb, g)) == NULL || event_add(g->ev, &tv) == -1) {
		add_error(g, "connect %s: out of memory", g->addr);
		return -1;
	}
	return 0;
}

/* the next address, until one connects, none is left or time is up */
static void
grant_next(struct grant *g)
{
	while (g->cur != NULL) {
		if (monoclock_ms() >= g->deadline_ms) {
			if (g->error[0] == '\0' && g->addr[0] == '\0')
				add_error(g, "resolve %s: timed out",
				    api.kc.host);
			else if (g->error[0] == '\0')
				add_error(g, "connect %s: timed out", g->addr);
			break;
		}
		if (grant_start(g) == 0)
			return;
		attempt_close(g);
	}
	if (g->error[0] == '\0')
		add_error(g, "connect %s: no address", api.kc.host);
	grant_fail(g);
}

/* at most APIGRANT_MAX_ADDRS, in the resolver's order */
static void
cap_addrs(struct evutil_addrinfo *ai)
{
	unsigned n;

	for (n = 1; ai != NULL; ai = ai->ai_next, n++)
		if (n == APIGRANT_MAX_ADDRS && ai->ai_next != NULL) {
			evutil_freeaddrinfo(ai->ai_next);
			ai->ai_next = NULL;
		}
}

static void
resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct grant *g = arg;

	g->dns = NULL;
	if (g->aw == NULL) {		/* orphaned: nobody to answer */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		grant_free(g);
		return;
	}
	g->resolved = 1;
	if (result != 0) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		add_error(g, "resolve %s: %s", api.kc.host,
		    evutil_gai_strerror(result));
	} else {
		g->ai = g->cur = res;
		cap_addrs(res);
	}
	if (!g->in_resolve)
		grant_next(g);
}

/*
 * resolv.conf is read once, at the first lookup; its timeout and
 * attempts are capped so that a lookup ends within the request's
 * APIGRANT_TIMEOUT_MS (2 x 4 s), not evdns's own minutes.
 */
static struct evdns_base *
dns_base(void)
{
	if (api.dns != NULL)
		return api.dns;
	if ((api.dns = evdns_base_new(agentd_env->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)
		return NULL;
	if (evdns_base_set_option(api.dns, "timeout:", "4") == -1 ||
	    evdns_base_set_option(api.dns, "attempts:", "2") == -1)
		log_warnx("evdns: cannot bound the lookup time");
	return api.dns;
}

/*
 * An IP literal needs no lookup; a name is resolved by evdns (with
 * /etc/hosts), never by a getaddrinfo(3) that would stop agentd's loop.
 * evdns may answer before it returns (the hosts file): the callback then
 * only records, and this carries on.
 */
static void
grant_resolve(struct grant *g)
{
	struct evutil_addrinfo hints, *res = NULL;
	struct evdns_getaddrinfo_request *req;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", api.kc.port);
	if (api.numeric) {
		hints.ai_flags |= EVUTIL_AI_NUMERICHOST;
		g->in_resolve = 1;
		rc = evutil_getaddrinfo(api.kc.host, port, &hints, &res);
		resolved_cb(rc, res, g);
		g->in_resolve = 0;
		grant_next(g);
		return;
	}
	if (dns_base() == NULL) {
		add_error(g, "resolve %s: no resolver", api.kc.host);
		grant_fail(g);
		return;
	}
	g->in_resolve = 1;
	req = evdns_getaddrinfo(api.dns, api.kc.host, port, &hints,
	    resolved_cb, g);
	g->in_resolve = 0;
	if (g->resolved)
		grant_next(g);
	else if (req != NULL)
		g->dns = req;
	else {
		add_error(g, "resolve %s: failed", api.kc.host);
		grant_fail(g);
	}
}

/* ------------------------------------------------------------------ */
/* requests                                                            */

static int64_t
now_s(void)
{
	return monoclock_ms() / 1000;
}

static void
audit_refusals(struct apiworker *aw, uint64_t count)
{
	char details[512], n[24], lim[48], error[128];

	snprintf(n, sizeof(n), "%llu", (unsigned long long)count);
	snprintf(lim, sizeof(lim), "%d in progress, %d per %d s",
	    APIGRANT_MAX_INPROGRESS, APIGRANT_MAX_PER_WINDOW,
	    APIGRANT_WINDOW_S);
	snprintf(error, sizeof(error), "%s", APIGRANT_REFUSED_TOO_MANY);
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "host", api.kc.host);
	auditfmt_details_add(details, sizeof(details), "refused", n);
	auditfmt_details_add(details, sizeof(details), "limit", lim);
	log_warnx("%s: %llu API connection request%s refused: %s (%s)",
	    role_name(aw->role), (unsigned long long)count,
	    count == 1 ? "" : "s", error, lim);
	agentd_audit_event(agentd_env, role_name(aw->role), "api.connect",
	    details, "refused", error);
}

static void
refusal_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct apiworker *aw = arg;
	uint64_t count;

	if (apirefusal_due(&aw->refusals, now_s(), &count))
		audit_refusals(aw, count);
}

/* past the bounds: refused, and counted into the once-a-window record */
static void
refuse(struct apiworker *aw, uint32_t id)
{
	struct timeval tv = { 0, 0 };
	uint64_t count;
	int64_t wait;

	aw->refused++;
	reply_refused(aw->w, id, APIGRANT_REFUSED_TOO_MANY);
	if (apirefusal_note(&aw->refusals, now_s(), &count)) {
		audit_refusals(aw, count);
		return;
	}
	if (aw->refusal_ev == NULL && (aw->refusal_ev =
	    evtimer_new(agentd_env->base, refusal_cb, aw)) == NULL)
		return;		/* reported with the next refusal */
	if (evtimer_pending(aw->refusal_ev, NULL) ||
	    (wait = apirefusal_wait(&aw->refusals, now_s())) < 0)
		return;
	tv.tv_sec = wait + 1;	/* whole seconds: just past the window */
	evtimer_add(aw->refusal_ev, &tv);
}

/*
 * MSG_API_CONNECT: the catalog lets only the watcher and the reporter
 * send it; without API mode even they have no business asking.
 */
int
apigrant_connect(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct worker *w = arg;
	struct apiworker *aw;
	struct grant *g;
	uint32_t id;

	if (ipc_get_u32(m, &id) == -1 || ipc_get_end(m) == -1)
		return -1;
	if (!api.on || (aw = apiworker(w->role)) == NULL || aw->w != w) {
		supervise_violation(agentd_env, w, "MSG_API_CONNECT without "
		    "API mode (no kubeconfig in the configuration)");
		return -1;
	}
	if (aw->inprogress >= APIGRANT_MAX_INPROGRESS ||
	    !apirate_admit(&aw->rate, now_s())) {
		refuse(aw, id);
		return 0;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		reply_refused(w, id, "agentd: out of memory");
		return 0;
	}
	g->aw = aw;
	g->id = id;
	g->fd = -1;
	g->deadline_ms = monoclock_ms() + APIGRANT_TIMEOUT_MS;
	TAILQ_INSERT_TAIL(&aw->grants, g, entry);
	aw->inprogress++;
	grant_resolve(g);
	return 0;
}

/* write down the worker's latest claim about the credentials */
static void
auth_record(struct apiworker *aw)
{
	char details[512], n[24];
	const char *actor = role_name(aw->role);

	snprintf(n, sizeof(n), "%llu", (unsigned long long)aw->auth_claims);
	aw->auth_said = now_s();
	aw->auth_claims = 0;
	aw->auth_owed = 0;
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "server", api.kc.host);
	auditfmt_details_add(details, sizeof(details), "reports", n);
	if (aw->auth_what == APIAUTH_ACCEPTED) {
		log_info("%s: the API server %s accepts the credentials", actor,
		    api.kc.host);
		agentd_audit_event(agentd_env, actor, "api.credentials",
		    details, "ok", NULL);
		return;
	}
	log_warnx("%s: the API server %s refuses agentd's credentials (%s): "
	    "%s; retrying with backoff", actor, api.kc.host, api.path,
	    aw->auth_reason);
	agentd_audit_event(agentd_env, actor, "api.credentials", details,
	    "refused", aw->auth_reason);
}

static void
auth_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct apiworker *aw = arg;

	if (aw->auth_owed)
		auth_record(aw);
}

/*
 * MSG_API_AUTH: the worker saw the server refuse our credentials (401,
 * or a failed handshake: an expired or unknown certificate), or accept
 * them again.  It is the claim of a worker that may be compromised: at
 * most one record a minute per worker whatever it says (a claim in
 * between is kept, the latest one recorded when the minute is over, with
 * the number of claims), and an unchanged claim only every 5 minutes.
 */
int
apigrant_auth(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char reason[MSGB_API_ERROR + 1];
	struct worker *w = arg;
	struct apiworker *aw;
	struct timeval tv;
	uint32_t what;
	int64_t since;

	if (ipc_get_u32(m, &what) == -1 || what > APIAUTH_HANDSHAKE ||
	    ipc_get_str(m, reason, sizeof(reason)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	if (!api.on || (aw = apiworker(w->role)) == NULL || aw->w != w) {
		supervise_violation(agentd_env, w, "MSG_API_AUTH without API "
		    "mode (no kubeconfig in the configuration)");
		return -1;
	}
	since = now_s() - aw->auth_said;
	aw->auth_claims++;
	if (aw->auth_said != 0 && what == aw->auth_what &&
	    strcmp(reason, aw->auth_reason) == 0 &&
	    since < APIGRANT_AUTH_REPEAT_S)
		return 0;
	aw->auth_what = what;
	snprintf(aw->auth_reason, sizeof(aw->auth_reason), "%s", reason);
	if (aw->auth_said == 0 || since >= APIGRANT_AUTH_MIN_S) {
		auth_record(aw);
		return 0;
	}
	aw->auth_owed = 1;
	if (aw->auth_ev == NULL && (aw->auth_ev = evtimer_new(
	    agentd_env->base, auth_timer_cb, aw)) == NULL)
		return 0;	/* recorded with the next claim */
	if (!evtimer_pending(aw->auth_ev, NULL)) {
		tv.tv_sec = APIGRANT_AUTH_MIN_S - since;
		tv.tv_usec = 0;
		evtimer_add(aw->auth_ev, &tv);
	}
	return 0;
}

/*
 * The worker is gone: nobody to answer.  A connect under way ends now; a
 * lookup cannot be taken back synchronously everywhere, so its request is
 * orphaned and freed when evdns answers (or cancels).
 */
void
apigrant_worker_gone(struct agentd *env, struct worker *w)
{
	struct apiworker *aw;
	struct grant *g, *next;

	if (!api.on || (aw = apiworker(w->role)) == NULL)
		return;
	for (g = TAILQ_FIRST(&aw->grants); g != NULL; g = next) {
		next = TAILQ_NEXT(g, entry);
		if (g->dns == NULL) {
			grant_free(g);
			continue;
		}
		TAILQ_REMOVE(&aw->grants, g, entry);
		aw->inprogress--;
		g->aw = NULL;
		evdns_getaddrinfo_cancel(g->dns);
	}
	aw->w = NULL;
}

/* ------------------------------------------------------------------ */
/* status                                                              */

static const char *
credentials(void)
{
	if (api.kc.cert != NULL && api.kc.token != NULL)
		return "client certificate and token";
	if (api.kc.cert != NULL)
		return "client certificate";
	if (api.kc.token != NULL)
		return "token";
	return "none";
}

static void
add_counts(cJSON *workers, const struct apiworker *aw)
{
	cJSON *o;

	if ((o = cJSON_AddObjectToObject(workers, role_name(aw->role))) ==
	    NULL)
		return;
	cJSON_AddNumberToObject(o, "grants", (double)aw->granted);
	cJSON_AddNumberToObject(o, "failed", (double)aw->failed);
	cJSON_AddNumberToObject(o, "refused", (double)aw->refused);
	cJSON_AddNumberToObject(o, "inProgress", aw->inprogress);
}

void
apigrant_status(cJSON *root)
{
	char url[KUBECONFIG_MAX_HOST + 32];
	uint64_t granted = 0, failed = 0, refused = 0;
	cJSON *o;
	size_t i;

	if ((o = cJSON_AddObjectToObject(root, "api")) == NULL)
		return;
	if (!api.on) {
		cJSON_AddStringToObject(o, "mode", "standalone");
		return;
	}
	for (i = 0; i < nitems(api.workers); i++) {
		granted += api.workers[i].granted;
		failed += api.workers[i].failed;
		refused += api.workers[i].refused;
	}
	apigrant_url(api.kc.host, api.kc.port, url, sizeof(url));
	cJSON_AddStringToObject(o, "mode", "api");
	cJSON_AddStringToObject(o, "server", url);
	cJSON_AddStringToObject(o, "kubeconfig", api.path);
	cJSON_AddStringToObject(o, "credentials", credentials());
	cJSON_AddBoolToObject(o, "insecure", api.kc.insecure_skip_verify);
	cJSON_AddNumberToObject(o, "grants", (double)granted);
	cJSON_AddNumberToObject(o, "failed", (double)failed);
	cJSON_AddNumberToObject(o, "refused", (double)refused);
	if ((o = cJSON_AddObjectToObject(o, "workers")) == NULL)
		return;
	for (i = 0; i < nitems(api.workers); i++)
		add_counts(o, &api.workers[i]);
}

void
apigrant_cleanup(void)
{
	size_t i;

	if (!api.on)
		return;
	for (i = 0; i < nitems(api.workers); i++) {
		if (api.workers[i].refusal_ev != NULL)
			event_free(api.workers[i].refusal_ev);
		if (api.workers[i].auth_ev != NULL)
			event_free(api.workers[i].auth_ev);
	}
	kubeconfig_free(&api.kc);
	signer_free();
	api.on = 0;
}

/*
 * An API pod the watcher's model refused: forwarded to the reporter,
 * which marks it Failed.  The watcher says it once per uid and
 * resourceVersion; agentd forwards a uid once (of the last
 * APIGRANT_REFUSED_UIDS) and at most APIGRANT_REFUSED_PER_MIN a minute,
 * past which it only counts: a server churning bad pods cannot make it
 * flood the reporter.  The log line and audit record are the watcher's
 * MSG_MANIFEST_REJECT's.
 */
#define APIGRANT_REFUSED_UIDS		128
#define APIGRANT_REFUSED_PER_MIN	60

static struct {
	char		uid[APIGRANT_REFUSED_UIDS][MSGB_POD_UID + 1];
	size_t		next;
	int64_t		minute;
	unsigned	in_minute;
	uint64_t	dropped;
} refused;

int
apigrant_pod_refused(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct pod_refused r;
	struct worker *w = arg, *rep;
	struct ipc_msg out;
	size_t i;
	int64_t now;

	if (refusedwire_get(m, &r) == -1)
		return -1;
	if (!api.on) {
		supervise_violation(agentd_env, w, "MSG_API_POD_REFUSED "
		    "without API mode (no kubeconfig in the configuration)");
		return -1;
	}
	if (r.uid[0] == '\0' || r.ns[0] == '\0' || r.name[0] == '\0') {
		supervise_violation(agentd_env, w, "MSG_API_POD_REFUSED: "
		    "empty namespace, name or uid");
		return -1;
	}
	for (i = 0; i < APIGRANT_REFUSED_UIDS; i++)
		if (strcmp(refused.uid[i], r.uid) == 0)
			return 0;	/* forwarded already */
	now = now_s() / 60;
	if (now != refused.minute) {
		if (refused.dropped != 0)
			log_warnx("API: %llu refused pods not reported Failed "
			    "(more than %d a minute)", (unsigned long long)
			    refused.dropped, APIGRANT_REFUSED_PER_MIN);
		refused.minute = now;
		refused.in_minute = 0;
		refused.dropped = 0;
	}
	if (refused.in_minute >= APIGRANT_REFUSED_PER_MIN) {
		refused.dropped++;
		return 0;
	}
	if ((rep = supervise_worker(agentd_env, ROLE_REPORTER)) == NULL ||
	    rep->state != WORKER_UP)
		return 0;	/* not remembered: the watcher's relist says
				   it again */
	refused.in_minute++;
	snprintf(refused.uid[refused.next], sizeof(refused.uid[0]), "%s",
	    r.uid);
	refused.next = (refused.next + 1) % APIGRANT_REFUSED_UIDS;
	refusedwire_put(&out, &r);
	ipc_send(rep->chan, &out);
	return 0;
}
