/*
 * The API-server client of the sandboxed workers (include/apiclient.h):
 * the credentials agentd hands over, a connection per struct apiclient on
 * a socket agentd grants, TLS over it (bufferevent_openssl), and HTTP/1.1
 * requests one at a time with the response framed by apihttp.c.
 *
 * Nothing here opens a file or a socket: the CA and the certificate are
 * bytes from MSG_API_CREDS, the socket comes connected from agentd, and a
 * client key's signatures are made by agentd (apisign.c).
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "apiclient.h"
#include "apihttp.h"
#include "apisign.h"
#include "log.h"
#include "version.h"
#include "worker.h"

#define APICLIENT_MAX		8	/* connections of one worker */
#define APICLIENT_MAX_QUEUE	256	/* requests waiting on one */
#define APICLIENT_MAX_PATH	4096
#define APICLIENT_MAX_BODY	(4 * 1024 * 1024)	/* a request's */
#define APICLIENT_TIMEOUT_S	30
#define APICLIENT_READ_CHUNK	(64 * 1024)
#define APICLIENT_HOST_MAX	254

struct apiq {
	TAILQ_ENTRY(apiq)	 entry;
	char			*text;		/* the whole request */
	size_t			 len;
	size_t			 max_body;
	apiclient_stream_fn	 stream;
	void			*stream_arg;
	unsigned		 timeout_s;
	apiclient_done_fn	 done;
	void			*arg;
};
TAILQ_HEAD(apiq_head, apiq);

struct apiclient {
	char			 name[32];
	struct apiq_head	 queue;
	size_t			 nqueued;
	struct apiq		*cur;		/* sent, response coming */
	uint32_t		 grant_id;	/* a socket asked for, 0: none */
	struct bufferevent	*bev;
	int			 connected;	/* handshake done */
	struct apihttp		 http;
	int			 http_live;
	struct event		*timer;
	/*
	 * inside apihttp_feed (a watch's stream callback runs there): a
	 * reset asked for then waits until the feed has returned
	 */
	int			 feeding;
	int			 reset_owed;
	char			 reset_why[128];
};

static struct {
	struct worker_env	*env;
	void			(*on_ready)(void);
	int			 have_creds;
	int			 ready;
	char			 host[APICLIENT_HOST_MAX + 1];
	uint16_t		 port;
	char			 verify_name[APICLIENT_HOST_MAX + 1];
	char			 server[APICLIENT_HOST_MAX + 10];
	uint32_t		 flags;
	char			*token;
	uint8_t			*cert;
	size_t			 cert_len;
	SSL_CTX			*ctx;
	uint32_t		 next_id;
	struct apiclient	*clients[APICLIENT_MAX];
	/* what agentd was last told of our credentials (MSG_API_AUTH) */
	uint32_t		 auth_what;
	char			 auth_reason[MSGB_API_ERROR + 1];
} api = { .next_id = 1 };

static void	conn_close(struct apiclient *);
static void	pump(struct apiclient *);

/* ------------------------------------------------------------------ */
/* credentials and the TLS context                                     */

void
apiclient_init(void)
{
	char err[256];

	/*
	 * Before the sandbox: no openssl.cnf read later from a chroot that
	 * has none, and the DRBG seeded while getrandom is sure to work.
	 */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		fatalx("OpenSSL init");
	if (RAND_status() != 1)
		fatalx("OpenSSL random generator not seeded");
	if (apisign_init(err, sizeof(err)) == -1)
		fatalx("the API client key's provider: %s", err);
}

static const char *
ssl_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int
ctx_add_ca(SSL_CTX *ctx, const uint8_t *pem, size_t len)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *b;
	X509 *x;
	int n = 0;

	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) != 1) {
			X509_free(x);
			BIO_free(b);
			return -1;
		}
		X509_free(x);
		n++;
	}
	ERR_clear_error();	/* the end of the bundle reads as an error */
	BIO_free(b);
	return n > 0 ? 0 : -1;
}

static SSL_CTX *
ctx_new(const uint8_t *ca, size_t ca_len)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	if (api.flags & APICREDS_F_INSECURE)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	else {
		if (ca_len == 0) {
			log_warnx("API server %s: the kubeconfig gives no "
			    "certificate-authority; only a CA we are given "
			    "is trusted", api.server);
			goto fail;
		}
		if (ctx_add_ca(ctx, ca, ca_len) == -1) {
			log_warnx("API server %s: certificate-authority: no "
			    "usable certificate: %s", api.server,
			    ssl_error());
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* the certificate and its chain, and the key whose signer is agentd */
static int
ctx_use_cert(SSL_CTX *ctx, int signer_fd)
{
	char err[256];
	EVP_PKEY *key;
	X509 *x;
	BIO *b;
	int ok;

	if ((b = BIO_new_mem_buf(api.cert, (int)api.cert_len)) == NULL)
		return -1;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	ok = x != NULL && SSL_CTX_use_certificate(ctx, x) == 1;
	X509_free(x);
	while (ok && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			ok = 0;
		}
	BIO_free(b);
	if (!ok) {
		log_warnx("client-certificate: %s", ssl_error());
		return -1;
	}
	ERR_clear_error();
	if ((key = apisign_key(signer_fd, (const char *)api.cert,
	    api.cert_len, err, sizeof(err))) == NULL) {
		log_warnx("client-key (held by agentd): %s", err);
		return -1;
	}
	/* only what agentd's signer signs (SHA-256/384/512) */
	ok = SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
	    SSL_CTX_set1_client_sigalgs_list(ctx, APISIGN_SIGALGS) == 1;
	EVP_PKEY_free(key);
	if (!ok)
		log_warnx("client-key (held by agentd): %s", ssl_error());
	return ok ? 0 : -1;
}

static void
become_ready(void)
{
	api.ready = 1;
	log_info("API server %s (%s)", api.server, api.cert_len ?
	    "client certificate" : api.token ? "bearer token" :
	    "no credentials");
	if (api.on_ready != NULL)
		api.on_ready();
}

static int
host_is_ip(const char *h)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, h, &a4) == 1 ||
	    inet_pton(AF_INET6, h, &a6) == 1;
}

int
apiclient_creds(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	char sni[APICLIENT_HOST_MAX + 1];
	const uint8_t *ca, *cert;
	size_t ca_len, cert_len;
	uint32_t port;

	if (ipc_get_str(m, api.host, sizeof(api.host)) == -1 ||
	    api.host[0] == '\0' || ipc_get_u32(m, &port) == -1 ||
	    port == 0 || port > 65535 ||
	    ipc_get_str(m, sni, sizeof(sni)) == -1 ||
	    ipc_get_u32(m, &api.flags) == -1 ||
	    ipc_get_bytes_ref(m, &ca, MSGB_API_PEM, &ca_len) == -1 ||
	    ipc_get_bytes_ref(m, &cert, MSGB_API_PEM, &cert_len) == -1 ||
	    (api.token = ipc_get_strdup(m, MSGB_API_TOKEN)) == NULL ||
	    ipc_get_end(m) == -1)
		return -1;
	if (api.token[0] == '\0') {
		free(api.token);
		api.token = NULL;
	}
	api.port = port;
	snprintf(api.verify_name, sizeof(api.verify_name), "%s",
	    sni[0] != '\0' ? sni : api.host);
	snprintf(api.server, sizeof(api.server), strchr(api.host, ':') ?
	    "[%s]:%u" : "%s:%u", api.host, api.port);
	if (((api.flags & APICREDS_F_CERT) != 0) != (cert_len != 0))
		return -1;
	if (cert_len && (api.cert = malloc(cert_len)) == NULL)
		fatal("malloc");
	if (cert_len)
		memcpy(api.cert, cert, cert_len);
	api.cert_len = cert_len;
	api.have_creds = 1;
	/*
	 * A context that cannot be built was said once in the log; every
	 * request then fails with that, and the callers back off.
	 */
	api.ctx = ctx_new(ca, ca_len);
	if (!(api.flags & APICREDS_F_CERT))
		become_ready();
	return 0;
}

int
apiclient_signer(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	int fd;

	if (!api.have_creds || !(api.flags & APICREDS_F_CERT) ||
	    ipc_get_end(m) == -1)
		return -1;
	fd = ipc_take_fd(m);
	if (api.ctx == NULL || ctx_use_cert(api.ctx, fd) == -1) {
		/* the key object keeps the fd; without it, nothing does */
		if (api.ctx != NULL) {
			SSL_CTX_free(api.ctx);
			api.ctx = NULL;
		}
	}
	become_ready();
	return 0;
}

void
apiclient_on_ready(struct worker_env *env, void (*fn)(void))
{
	api.env = env;
	api.on_ready = fn;
}

int
apiclient_ready(void)
{
	return api.ready;
}

const char *
apiclient_server(void)
{
	return api.server;
}

/*
 * A refused credential is agentd's to audit and log (a worker has no
 * audit channel): it is told when what the server makes of us changes,
 * so a retry loop against a server that keeps refusing says it once.
 */
static void
auth_report(uint32_t what, const char *reason)
{
	struct ipc_msg m;

	if (what == api.auth_what && (what == APIAUTH_ACCEPTED ||
	    strcmp(reason, api.auth_reason) == 0))
		return;
	api.auth_what = what;
	snprintf(api.auth_reason, sizeof(api.auth_reason), "%s", reason);
	ipc_msg_init(&m, MSG_API_AUTH, 0);
	ipc_put_u32(&m, what);
	ipc_put_str(&m, api.auth_reason);
	ipc_send(api.env->parent, &m);
}

static void
auth_from_status(int status)
{
	if (status == 401)
		auth_report(APIAUTH_REFUSED, "401 Unauthorized: the API server "
		    "refused the credentials");
	else if (status >= 200 && status < 300)
		auth_report(APIAUTH_ACCEPTED, "");
}

/* ------------------------------------------------------------------ */
/* requests                                                            */

static void
apiq_free(struct apiq *q)
{
	free(q->text);
	free(q);
}

/* the request's callback, once; the request is off every list by now */
static void
apiq_finish(struct apiq *q, int status, const char *error,
    const struct apihttp *h)
{
	struct apiresp r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.error = error;
	r.retry_after = -1;
	if (h != NULL) {
		r.body = h->body;
		r.body_len = h->body_len;
		r.retry_after = h->retry_after;
	}
	if (q->done != NULL)
		q->done(q->arg, &r);
	apiq_free(q);
}

static int
token_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

static char *
request_text(const struct apiclient_req *r, size_t *lenp)
{
	char *head, *text;
	int n;

	if (r->body_len > APICLIENT_MAX_BODY || strlen(r->path) >
	    APICLIENT_MAX_PATH || r->path[0] != '/' || !token_ok(r->path) ||
	    !token_ok(r->method) || (r->content_type != NULL &&
	    !token_ok(r->content_type)))
		return NULL;
	n = asprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: agentd/%s (linux) agentd\r\n"
	    "Accept: application/json\r\n%s%s%s",
	    r->method, r->path, api.server, AGENTD_VERSION,
	    api.token ? "Authorization: Bearer " : "",
	    api.token ? api.token : "", api.token ? "\r\n" : "");
	if (n == -1)
		return NULL;
	if (r->content_type != NULL)
		n = asprintf(&text, "%sContent-Type: %s\r\n"
		    "Content-Length: %zu\r\n\r\n", head, r->content_type,
		    r->body_len);
	else
		n = asprintf(&text, "%s\r\n", head);
	free(head);
	if (n == -1)
		return NULL;
	if (r->body_len > 0) {
		if ((head = realloc(text, n + r->body_len)) == NULL) {
			free(text);
			return NULL;
		}
		text = head;
		memcpy(text + n, r->body, r->body_len);
	}
	*lenp = n + r->body_len;
	return text;
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct apiclient *c = arg;
	struct apiq *q = c->cur;
	char why[64];

	if (q == NULL)
		return;
	snprintf(why, sizeof(why), "no response in %u s", q->timeout_s);
	c->cur = NULL;
	conn_close(c);
	apiq_finish(q, 0, why, NULL);
	pump(c);
}

struct apiclient *
apiclient_new(const char *name)
{
	struct apiclient *c;
	size_t i;

	if (!api.ready)
		return NULL;
	for (i = 0; i < APICLIENT_MAX && api.clients[i] != NULL; i++)
		;
	if (i == APICLIENT_MAX)
		fatalx("more than %d API connections", APICLIENT_MAX);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	snprintf(c->name, sizeof(c->name), "%s", name);
	TAILQ_INIT(&c->queue);
	if ((c->timer = evtimer_new(api.env->base, timer_cb, c)) == NULL)
		fatalx("evtimer_new");
	api.clients[i] = c;
	return c;
}

int
apiclient_request(struct apiclient *c, const struct apiclient_req *r)
{
	struct apiq *q;

	if (c->nqueued >= APICLIENT_MAX_QUEUE)
		return -1;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("calloc");
	if ((q->text = request_text(r, &q->len)) == NULL) {
		free(q);
		return -1;
	}
	q->max_body = r->max_body;
	q->stream = r->stream;
	q->stream_arg = r->stream_arg;
	q->timeout_s = r->timeout_s ? r->timeout_s : APICLIENT_TIMEOUT_S;
	q->done = r->done;
	q->arg = r->arg;
	TAILQ_INSERT_TAIL(&c->queue, q, entry);
	c->nqueued++;
	pump(c);
	return 0;
}

size_t
apiclient_pending(struct apiclient *c)
{
	return c->nqueued + (c->cur != NULL);
}

/* fail every request, the running one first; callbacks may queue more */
static void
fail_all(struct apiclient *c, const char *why)
{
	struct apiq_head old;
	struct apiq *q;

	TAILQ_INIT(&old);
	if (c->cur != NULL) {
		TAILQ_INSERT_TAIL(&old, c->cur, entry);
		c->cur = NULL;
	}
	TAILQ_CONCAT(&old, &c->queue, entry);
	c->nqueued = 0;
	while ((q = TAILQ_FIRST(&old)) != NULL) {
		TAILQ_REMOVE(&old, q, entry);
		apiq_finish(q, 0, why, NULL);
	}
}

void
apiclient_reset(struct apiclient *c, const char *why)
{
	if (c->feeding) {
		c->reset_owed = 1;
		snprintf(c->reset_why, sizeof(c->reset_why), "%s", why);
		return;
	}
	conn_close(c);
	c->grant_id = 0;	/* a socket still coming is closed */
	fail_all(c, why);
}

void
apiclient_free(struct apiclient *c)
{
	size_t i;

	if (c == NULL)
		return;
	apiclient_reset(c, "connection freed");
	for (i = 0; i < APICLIENT_MAX; i++)
		if (api.clients[i] == c)
			api.clients[i] = NULL;
	event_free(c->timer);
	free(c);
}

/* ------------------------------------------------------------------ */
/* the connection                                                      */

static void
conn_close(struct apiclient *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);	/* the SSL and the fd too */
		c->bev = NULL;
	}
	if (c->http_live) {
		apihttp_free(&c->http);
		c->http_live = 0;
	}
	c->connected = 0;
	evtimer_del(c->timer);
}

static const char *
tls_error(struct apiclient *c, short what)
{
	static char buf[320];
	unsigned long e;
	SSL *ssl;
	long v;

	ssl = bufferevent_openssl_get_ssl(c->bev);
	if (!c->connected && ssl != NULL &&
	    (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, sizeof(buf), "TLS: certificate of %s: %s",
		    api.verify_name, X509_verify_cert_error_string(v));
		return buf;
	}
	if (!c->connected && apisign_last_error()[0] != '\0') {
		snprintf(buf, sizeof(buf), "TLS: client key: %s",
		    apisign_last_error());
		return buf;
	}
	if ((e = bufferevent_get_openssl_error(c->bev)) != 0) {
		snprintf(buf, sizeof(buf), "TLS: ");
		ERR_error_string_n(e, buf + 5, sizeof(buf) - 5);
		return buf;
	}
	if (what & BEV_EVENT_EOF)
		return c->connected ? "the server closed the connection" :
		    "TLS: the server closed the connection in the handshake";
	snprintf(buf, sizeof(buf), "connection: %s", errno ?
	    strerror(errno) : "error");
	return buf;
}

/*
 * The response is whole: its callback (which may queue the next request:
 * the parser is detached first, and a connection the server will close is
 * closed first), then the next request.
 */
static void
response_done(struct apiclient *c)
{
	struct apiq *q = c->cur;
	struct apihttp h = c->http;
	struct apiresp r;

	c->cur = NULL;
	c->http_live = 0;
	evtimer_del(c->timer);
	if (!h.keep_alive)
		conn_close(c);
	memset(&r, 0, sizeof(r));
	r.status = h.status;
	r.body = h.body;
	r.body_len = h.body_len;
	r.retry_after = h.retry_after;
	auth_from_status(h.status);
	if (q->done != NULL)
		q->done(q->arg, &r);
	apihttp_free(&h);
	apiq_free(q);
}

static void
response_failed(struct apiclient *c, const char *why)
{
	struct apiq *q = c->cur;
	char buf[APIWATCH_ERROR_MAX + 16];

	snprintf(buf, sizeof(buf), "%s", why);
	c->cur = NULL;
	conn_close(c);
	if (q != NULL)
		apiq_finish(q, 0, buf, NULL);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct apiclient *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t buf[APICLIENT_READ_CHUNK];
	char why[APIWATCH_ERROR_MAX + 16];
	int n;

	while (c->bev == bev && (n = evbuffer_remove(in, buf,
	    sizeof(buf))) > 0) {
		if (c->cur == NULL) {
			/* bytes nobody asked for: the stream is not ours */
			conn_close(c);
			break;
		}
		c->feeding = 1;
		n = apihttp_feed(&c->http, buf, n);
		c->feeding = 0;
		if (c->reset_owed) {
			c->reset_owed = 0;
			apiclient_reset(c, c->reset_why);
			return;
		}
		if (n == -1) {
			snprintf(why, sizeof(why), "response: %s",
			    c->http.error);
			response_failed(c, why);
			break;
		}
		if (c->http.complete) {
			response_done(c);
			break;
		}
	}
	pump(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct apiclient *c = arg;
	char why[APIWATCH_ERROR_MAX + 16];

	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		pump(c);
		return;
	}
	if ((what & BEV_EVENT_EOF) && c->cur != NULL && c->http_live &&
	    apihttp_eof(&c->http) == 0 && c->http.complete) {
		response_done(c);
		pump(c);
		return;
	}
	snprintf(why, sizeof(why), "%s", c->http_live && c->http.failed ?
	    c->http.error : tls_error(c, what));
	if (!c->connected) {
		/* no request of the queue can get through: tell them all */
		if (strncmp(why, "TLS", 3) == 0)
			auth_report(APIAUTH_HANDSHAKE, why);
		conn_close(c);
		fail_all(c, why);
		return;
	}
	if (c->cur == NULL) {
		/* an idle keep-alive connection the server ended */
		conn_close(c);
		pump(c);
		return;
	}
	/* TLS 1.3: a refused client certificate is an alert after ours */
	if (strncmp(why, "TLS", 3) == 0 && c->http_live &&
	    c->http.status == 0 && strstr(why, "alert") != NULL)
		auth_report(APIAUTH_HANDSHAKE, why);
	response_failed(c, why);
	pump(c);
}

static int
tls_start(struct apiclient *c, int fd)
{
	X509_VERIFY_PARAM *param;
	SSL *ssl;

	if ((ssl = SSL_new(api.ctx)) == NULL)
		return -1;
	if (!(api.flags & APICREDS_F_INSECURE)) {
		param = SSL_get0_param(ssl);
		if (host_is_ip(api.verify_name) ?
		    X509_VERIFY_PARAM_set1_ip_asc(param,
		    api.verify_name) != 1 :
		    SSL_set1_host(ssl, api.verify_name) != 1) {
			SSL_free(ssl);
			return -1;
		}
	}
	if (!host_is_ip(api.verify_name))
		SSL_set_tlsext_host_name(ssl, api.verify_name);
	c->bev = bufferevent_openssl_socket_new(api.env->base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		return -1;
	}
	/* API servers may close without close_notify: an EOF all the same */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

static void
ask_socket(struct apiclient *c)
{
	struct ipc_msg m;

	c->grant_id = api.next_id++;
	if (api.next_id == 0)
		api.next_id = 1;
	ipc_msg_init(&m, MSG_API_CONNECT, 0);
	ipc_put_u32(&m, c->grant_id);
	ipc_send(api.env->parent, &m);
}

/* send the next request when the connection is free, or get one */
static void
pump(struct apiclient *c)
{
	struct timeval tv;
	struct apiq *q;

	if (c->cur != NULL || TAILQ_EMPTY(&c->queue) || c->grant_id != 0)
		return;
	if (c->bev == NULL) {
		if (api.ctx != NULL)
			ask_socket(c);
		else
			fail_all(c, "no TLS configuration (see the log)");
		return;
	}
	if (!c->connected)
		return;
	q = TAILQ_FIRST(&c->queue);
	TAILQ_REMOVE(&c->queue, q, entry);
	c->nqueued--;
	c->cur = q;
	apihttp_init(&c->http, q->max_body, q->stream, q->stream_arg);
	c->http_live = 1;
	if (bufferevent_write(c->bev, q->text, q->len) == -1) {
		response_failed(c, "connection: write failed");
		return;
	}
	tv.tv_sec = q->timeout_s;
	tv.tv_usec = 0;
	evtimer_add(c->timer, &tv);
}

static struct apiclient *
client_by_grant(uint32_t id)
{
	size_t i;

	for (i = 0; i < APICLIENT_MAX; i++)
		if (api.clients[i] != NULL && api.clients[i]->grant_id == id)
			return api.clients[i];
	return NULL;
}

int
apiclient_socket(struct ipc_chan *ch, struct ipc_msg *m, void *arg)
{
	struct apiclient *c;
	uint32_t id;
	int fd;

	if (!api.ready || ipc_get_u32(m, &id) == -1 || id == 0 ||
	    ipc_get_end(m) == -1)
		return -1;
	fd = ipc_take_fd(m);
	if ((c = client_by_grant(id)) == NULL) {
		close(fd);	/* reset while agentd connected it */
		return 0;
	}
	c->grant_id = 0;
	if (tls_start(c, fd) == -1) {
		close(fd);
		fail_all(c, "TLS: cannot start a session");
		return 0;
	}
	return 0;
}

int
apiclient_refused(struct ipc_chan *ch, struct ipc_msg *m, void *arg)
{
	char error[MSGB_API_ERROR + 1];
	struct apiclient *c;
	uint32_t id;

	if (!api.ready || ipc_get_u32(m, &id) == -1 || id == 0 ||
	    ipc_get_str(m, error, sizeof(error)) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	if ((c = client_by_grant(id)) == NULL)
		return 0;
	c->grant_id = 0;
	fail_all(c, error);
	return 0;
}
