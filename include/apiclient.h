/*
 * The API-server client of the sandboxed workers (watcher, reporter).
 *
 * Who holds what: agentd reads the kubeconfig (root, at start) and hands
 * each API worker the server (host and port fixed at config load), the CA
 * bundle, the client certificate (public part) and the bearer token in one
 * MSG_API_CREDS; the client key stays in agentd, which signs the TLS
 * handshakes over the signer channel (MSG_API_SIGNER's fd, apisign.c).  A
 * worker cannot open a socket: for each connection it sends
 * MSG_API_CONNECT and agentd, which connects only to that server, audits
 * the grant and passes the connected socket back (MSG_API_SOCKET) or says
 * why not (MSG_API_REFUSED).
 *
 * TLS (OpenSSL, TLS 1.2 or later, the chain verified against the CA bytes
 * and the server's name or IP checked, unless the kubeconfig says
 * insecure-skip-tls-verify and the agentd config allowInsecureAPIServer)
 * runs in the worker over that socket, through libevent's
 * bufferevent_openssl; HTTP/1.1 framing is apihttp.c's (http-parser).
 * One connection carries one request at a time and is kept alive for the
 * next; requests queue on it in order.
 */
#ifndef AGENTD_APICLIENT_H
#define AGENTD_APICLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

struct worker_env;

/* MSG_API_CREDS flags */
#define APICREDS_F_INSECURE	0x01	/* skip verification (both allowed) */
#define APICREDS_F_CERT		0x02	/* a client cert: MSG_API_SIGNER next */

/* MSG_API_SIGN algorithms: the digest is the one the handshake signs */
#define APISIGN_ALG_ECDSA	1	/* ECDSA over the digest, DER out */
#define APISIGN_ALG_RSA_PKCS1	2	/* RSASSA-PKCS1-v1_5, digest = DigestInfo
					   input per md (TLS 1.2) */
#define APISIGN_ALG_RSA_PSS	3	/* RSASSA-PSS, salt = digest length */
#define APISIGN_ALG_ED25519	4	/* not a digest: refused (a TLS 1.3
					   Ed25519 key signs the whole
					   transcript) */

/* before the sandbox: OpenSSL set up without its config file */
void	apiclient_init(void);

/* MSG_API_AUTH: what the server made of our credentials */
#define APIAUTH_ACCEPTED	0
#define APIAUTH_REFUSED		1	/* 401 Unauthorized */
#define APIAUTH_HANDSHAKE	2	/* the TLS handshake failed */

/* the rows every API worker adds to its parent dispatch table */
int	apiclient_creds(struct ipc_chan *, struct ipc_msg *, void *);
int	apiclient_signer(struct ipc_chan *, struct ipc_msg *, void *);
int	apiclient_socket(struct ipc_chan *, struct ipc_msg *, void *);
int	apiclient_refused(struct ipc_chan *, struct ipc_msg *, void *);
#define APICLIENT_PARENT_ROWS \
	{ MSG_API_CREDS, IPC_F_ONCE, IPC_F_ANYSTATE, apiclient_creds }, \
	{ MSG_API_SIGNER, IPC_F_FD | IPC_F_ONCE, IPC_F_ANYSTATE, \
	    apiclient_signer }, \
	{ MSG_API_SOCKET, IPC_F_FD, IPC_F_ANYSTATE, apiclient_socket }, \
	{ MSG_API_REFUSED, 0, IPC_F_ANYSTATE, apiclient_refused },

/*
 * Called once when MSG_API_CREDS has arrived (API mode is on): the worker
 * starts its API work from there.  Set before worker_run().
 */
void	apiclient_on_ready(struct worker_env *, void (*)(void));
/* API mode is on and the credentials are in */
int	apiclient_ready(void);
/* "host:port" as the Host header has it ([v6]:port), for logs */
const char *apiclient_server(void);

/* a response as the caller's callback sees it */
struct apiresp {
	int		 status;	/* HTTP status; 0: no response (error) */
	const char	*error;		/* status 0: why ("connect: ...",
					   "TLS: certificate verify failed",
					   "response: ...") */
	const uint8_t	*body;		/* a buffered body (not streamed) */
	size_t		 body_len;
	int		 retry_after;	/* seconds, -1: none */
};

/* the whole response is in, or the request failed; called once */
typedef void	(*apiclient_done_fn)(void *arg, const struct apiresp *);
/* a 2xx body's bytes as they come (a watch); -1 stops (done: status 0) */
typedef int	(*apiclient_stream_fn)(void *arg, const uint8_t *, size_t);

struct apiclient;	/* one keep-alive connection and its request queue */

struct apiclient_req {
	const char		*method;	/* "GET", "PATCH", ... */
	const char		*path;		/* with the query, escaped */
	const char		*content_type;	/* NULL: no body */
	const void		*body;
	size_t			 body_len;
	size_t			 max_body;	/* buffered: bound, 0: 16 MiB */
	apiclient_stream_fn	 stream;	/* NULL: buffer the body */
	void			*stream_arg;
	unsigned		 timeout_s;	/* 0: 30 s; a watch: its own */
	apiclient_done_fn	 done;
	void			*arg;
};

/* name for logs ("watch", "status"); NULL if API mode is off */
struct apiclient *apiclient_new(const char *name);
/*
 * Queue a request (copied: the caller's strings may go).  The request
 * text gets Host, User-Agent agentd/<version>, Accept application/json,
 * Authorization Bearer <token> when there is one, Content-Type and
 * Content-Length.  0, or -1 when it cannot be queued (too large, a bad
 * path): nothing is called then.
 */
int	apiclient_request(struct apiclient *, const struct apiclient_req *);
/*
 * End the connection; queued and running requests get status 0.  May be
 * called from any callback (from a stream callback it takes effect when
 * that returns); apiclient_free not from the connection's own callbacks.
 */
void	apiclient_reset(struct apiclient *, const char *why);
void	apiclient_free(struct apiclient *);
/* requests queued or running */
size_t	apiclient_pending(struct apiclient *);

#endif
