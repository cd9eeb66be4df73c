/*
 * agentd-probe: one TCP or HTTP(S) probe, for the executor.
 *
 *	agentd-probe USER CHROOT tcp|http|https ADDR PORT TIMEOUT_MS
 *	    [PATH [HEADER...]]
 *	agentd-probe USER CHROOT grpc ADDR PORT TIMEOUT_MS SERVICE
 *
 * The executor's job child made fd 3, an unconnected TCP socket, inside
 * the pod's network namespace, and ran us as root with nothing else
 * open.  Before anything is read from the network we become the privsep
 * user, chrooted to the empty privsepChroot, without capabilities, under
 * the SANDBOX_PROBE seccomp profile (no socket(2), no file opens): a
 * hostile server can at worst take over a process that holds one socket
 * connected to itself.  TLS (https) is set up before the drop, with no
 * certificate verification, as the kubelet's prober does.
 *
 * The answer is one line on stdout, the executor's whole view of the
 * probe: "success TEXT", "warning TEXT" or "failure TEXT", TEXT printable
 * ASCII of at most PROBE_TEXT_MAX bytes.  The exit status is 0 whenever
 * that line was written.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "monoclock.h"
#include "sandbox.h"
#include "probehttp.h"
#include "probegrpc.h"

#define PROBE_SOCK_FD		3
#define PROBE_TEXT_MAX		400
#define PROBE_MAX_HEADERS	32
#define PROBE_MIN_ARGS		7

struct target {
	const char		*mode;
	const char		*addr;
	int			 port;
	int64_t			 deadline_ms;
	const char		*path;
	char *const		*headers;
	int			 nheaders;
	SSL_CTX			*ctx;		/* https */
	SSL			*ssl;
};

static void __attribute__((noreturn))
answer(const char *word, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* the one line, cleaned and bounded whatever the text holds */
static void
answer(const char *word, const char *fmt, ...)
{
	char text[PROBE_TEXT_MAX + 1];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] < ' ' || text[i] >= 0x7f)
			text[i] = ' ';
	printf("%s %s\n", word, text);
	fflush(stdout);
	_exit(0);
}

/* each blocking call waits at most what is left of the timeout */
static void
arm_timeouts(const struct target *t)
{
	int64_t left = t->deadline_ms - monoclock_ms();
	struct timeval tv;

	if (left <= 0)
		answer("failure", "timeout: no answer within the probe's "
		    "timeoutSeconds");
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (setsockopt(PROBE_SOCK_FD, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1 || setsockopt(PROBE_SOCK_FD, SOL_SOCKET,
	    SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		answer("failure", "setsockopt: %s", strerror(errno));
}

static void
connect_target(struct target *t)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, t->addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)t->port);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, t->addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)t->port);
		sl = sizeof(*sin6);
	} else
		answer("failure", "%s is not an address", t->addr);
	arm_timeouts(t);
	if (connect(PROBE_SOCK_FD, (struct sockaddr *)&ss, sl) == -1) {
		if (errno == EINPROGRESS || errno == EAGAIN)
			answer("failure", "dial tcp %s:%d: i/o timeout",
			    t->addr, t->port);
		answer("failure", "dial tcp %s:%d: connect: %s", t->addr,
		    t->port, strerror(errno));
	}
}

static const char *
tls_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return strerror(errno);
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

static ssize_t
io_write(struct target *t, const char *p, size_t n)
{
	int k;

	if (t->ssl == NULL)
		return write(PROBE_SOCK_FD, p, n);
	k = SSL_write(t->ssl, p, (int)n);
	return k > 0 ? k : -1;
}

static ssize_t
io_read(struct target *t, char *p, size_t n)
{
	int k;

	if (t->ssl == NULL)
		return read(PROBE_SOCK_FD, p, n);
	k = SSL_read(t->ssl, p, (int)n);
	if (k > 0)
		return k;
	return SSL_get_error(t->ssl, k) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

static void
send_request(struct target *t)
{
	char req[PROBE_HTTP_REQ_MAX];
	size_t off = 0;
	ssize_t k;
	int n;

	if ((n = probe_http_request(req, sizeof(req), t->path, t->addr,
	    t->port, t->headers, t->nheaders)) == -1)
		answer("failure", "the request does not fit %d bytes",
		    PROBE_HTTP_REQ_MAX);
	while (off < (size_t)n) {
		arm_timeouts(t);
		if ((k = io_write(t, req + off, (size_t)n - off)) <= 0) {
			if (k == -1 && errno == EINTR)
				continue;
			answer("failure", "writing the request: %s",
			    t->ssl ? tls_error() : strerror(errno));
		}
		off += (size_t)k;
	}
}

/* the head only: the body says nothing the verdict needs */
static void
read_response(struct target *t)
{
	static char buf[PROBE_HTTP_HEAD_MAX];
	struct probe_http_resp r;
	const char *why = NULL, *word;
	char msg[PROBE_TEXT_MAX];
	size_t len = 0;
	ssize_t k;
	int rc;

	for (;;) {
		arm_timeouts(t);
		k = io_read(t, buf + len, sizeof(buf) - len);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			answer("failure", "timeout: no answer within the "
			    "probe's timeoutSeconds");
		if (k == -1)
			answer("failure", "reading the response: %s",
			    t->ssl ? tls_error() : strerror(errno));
		len += (size_t)k;
		rc = probe_http_parse(buf, len, &r, &why);
		if (rc == -1)
			answer("failure", "%s", why);
		if (rc == 1)
			break;
		if (k == 0)
			answer("failure", "the connection closed before the "
			    "response's head ended");
	}
	word = probe_http_verdict(&r, t->addr, t->port, msg, sizeof(msg));
	answer(word, "%s", msg);
}

/* read exactly n bytes, or answer why not */
static void
read_full(struct target *t, uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		arm_timeouts(t);
		k = io_read(t, (char *)p + got, n - got);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			answer("failure", "timeout: no answer within the "
			    "probe's timeoutSeconds");
		if (k == -1)
			answer("failure", "reading the response: %s",
			    strerror(errno));
		if (k == 0)
			answer("failure", "the connection closed before the "
			    "call ended");
		got += (size_t)k;
	}
}

static void
write_full(struct target *t, const uint8_t *p, size_t n)
{
	size_t off = 0;
	ssize_t k;

	while (off < n) {
		arm_timeouts(t);
		if ((k = io_write(t, (const char *)p + off, n - off)) <= 0) {
			if (k == -1 && errno == EINTR)
				continue;
			answer("failure", "writing the request: %s",
			    strerror(errno));
		}
		off += (size_t)k;
	}
}

/* grpc.health.v1.Health/Check over h2c with prior knowledge */
static void
grpc_check(struct target *t, const char *service)
{
	static uint8_t payload[GRPC_FRAME_MAX];
	uint8_t req[GRPC_REQ_MAX], hdr[9];
	char authority[96];
	struct grpc_reader r;
	const char *why = "";
	size_t len;
	int n, v, status = 0;

	snprintf(authority, sizeof(authority), "%s%s%s:%d",
	    strchr(t->addr, ':') ? "[" : "", t->addr,
	    strchr(t->addr, ':') ? "]" : "", t->port);
	if ((n = grpc_request(req, sizeof(req), authority, service)) == -1)
		answer("failure", "the request does not fit");
	write_full(t, req, (size_t)n);
	memset(&r, 0, sizeof(r));
	for (;;) {
		read_full(t, hdr, sizeof(hdr));
		len = (size_t)hdr[0] << 16 | (size_t)hdr[1] << 8 | hdr[2];
		if (len > GRPC_FRAME_MAX)
			answer("failure", "a frame larger than the maximum "
			    "frame size");
		read_full(t, payload, len);
		v = grpc_frame(&r, hdr, payload, &status, &why);
		if (r.reply_len > 0) {
			write_full(t, r.reply, r.reply_len);
			r.reply_len = 0;
		}
		if (v == GRPC_SERVING)
			answer("success", "service %s: SERVING",
			    service[0] ? service : "(server)");
		if (v == GRPC_NOT_SERVING)
			answer("failure", "service unhealthy (responded with "
			    "\"%s\")", grpc_status_name(status));
		if (v == GRPC_FAILED)
			answer("failure", "%s", why);
	}
}

static void
tls_setup(struct target *t)
{
	OPENSSL_init_ssl(0, NULL);
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fatalx("SSL_CTX_new failed");
	/* the kubelet's prober: InsecureSkipVerify */
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	if ((t->ssl = SSL_new(t->ctx)) == NULL)
		fatalx("SSL_new failed");
}

static void
tls_handshake(struct target *t)
{
	arm_timeouts(t);
	if (SSL_set_fd(t->ssl, PROBE_SOCK_FD) != 1)
		answer("failure", "TLS: %s", tls_error());
	if (SSL_connect(t->ssl) != 1)
		answer("failure", "TLS handshake: %s", tls_error());
}

static void
parse_args(struct target *t, int argc, char *argv[])
{
	char *end;
	long v;

	if (argc < PROBE_MIN_ARGS)
		fatalx("usage: agentd-probe USER CHROOT tcp|http|https ADDR "
		    "PORT TIMEOUT_MS [PATH [HEADER...]]");
	t->mode = argv[3];
	if (strcmp(t->mode, "tcp") != 0 && strcmp(t->mode, "http") != 0 &&
	    strcmp(t->mode, "https") != 0 && strcmp(t->mode, "grpc") != 0)
		fatalx("unknown mode %s", t->mode);
	t->addr = argv[4];
	v = strtol(argv[5], &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		fatalx("bad port %s", argv[5]);
	t->port = (int)v;
	v = strtol(argv[6], &end, 10);
	if (*end != '\0' || v < 1 || v > 3600 * 1000)
		fatalx("bad timeout %s", argv[6]);
	t->deadline_ms = monoclock_ms() + v;
	if (strcmp(t->mode, "tcp") == 0)
		return;
	if (strcmp(t->mode, "grpc") == 0) {
		if (argc != PROBE_MIN_ARGS + 1 ||
		    strlen(argv[7]) > GRPC_SERVICE_MAX)
			fatalx("a gRPC probe needs its service (or \"\")");
		t->path = argv[7];
		return;
	}
	if (argc < PROBE_MIN_ARGS + 1 || argv[7][0] != '/')
		fatalx("an HTTP probe needs an absolute path");
	t->path = argv[7];
	t->headers = argv + 8;
	t->nheaders = argc - 8;
	if (t->nheaders > PROBE_MAX_HEADERS)
		fatalx("%d headers", t->nheaders);
}

int
main(int argc, char *argv[])
{
	struct target t;
	struct stat st;

	log_init("probe", 0, 0);
	memset(&t, 0, sizeof(t));
	parse_args(&t, argc, argv);
	if (fstat(PROBE_SOCK_FD, &st) == -1 || !S_ISSOCK(st.st_mode))
		fatalx("fd %d is not the probe's socket", PROBE_SOCK_FD);
	if (strcmp(t.mode, "https") == 0)
		tls_setup(&t);
	sandbox_enter(argv[1], argv[2], SANDBOX_PROBE);
	connect_target(&t);
	if (strcmp(t.mode, "tcp") == 0)
		answer("success", "connected to %s:%d", t.addr, t.port);
	if (strcmp(t.mode, "grpc") == 0)
		grpc_check(&t, t.path);
	if (t.ssl != NULL)
		tls_handshake(&t);
	send_request(&t);
	read_response(&t);
	return 0;
}
