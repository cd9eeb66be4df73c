/*
 * The signing path of API mode: agentd's signer (agentd/signer.c) and the
 * workers' key object (workers/apisign.c).  Real TLS handshakes in this
 * process between an OpenSSL server that requires and verifies a client
 * certificate and a client whose private key is an apisign_key: each
 * CertificateVerify is signed by the real signer, served in a forked
 * child (the client process drops the key before the handshake).  Then
 * the signer's refusals: a key that is not the certificate's, key types
 * it does not sign with, digests that are not a handshake's, algorithms
 * that do not fit, the rate, a malformed frame.  Keys and certificates
 * (a test CA, the server's, the client's) are made in code.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../agentd/agentd.h"
#include "../../agentd/signer.h"
#include "../../workers/apisign.h"
#include "apiclient.h"
#include "ipc.h"
#include "log.h"
#include "msgcat.h"
#include "msgschema.h"
#include "sandbox.h"
#include "tap.h"

/* ---- keys and certificates ---------------------------------------------- */

static EVP_PKEY *
key_ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	REQUIRE(k != NULL);
	return k;
}

static EVP_PKEY *
key_rsa(size_t bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);

	REQUIRE(k != NULL);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	REQUIRE((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) != NULL);
	REQUIRE(X509_add_ext(x, e, -1) == 1);
	X509_EXTENSION_free(e);
}

/* a certificate of key, issued by ikey/issuer (NULL: self-signed) */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *ikey, X509 *issuer,
    const char *kind)
{
	static long serial = 1;
	X509_NAME *n;
	X509 *x;

	REQUIRE((x = X509_new()) != NULL);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	REQUIRE(X509_set_pubkey(x, key) == 1);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n);
	if (strcmp(kind, "ca") == 0) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(x, issuer, NID_ext_key_usage, strcmp(kind,
		    "server") == 0 ? "serverAuth" : "clientAuth");
		if (strcmp(kind, "server") == 0)
			add_ext(x, issuer, NID_subject_alt_name,
			    "DNS:localhost");
	}
	/* Ed25519 signs without a separate digest */
	REQUIRE(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_PKEY_is_a(ikey != NULL ? ikey : key, "ED25519") ? NULL :
	    EVP_sha256()) > 0);
	return x;
}

static char *
bio_text(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	REQUIRE(n > 0 && (s = malloc((size_t)n + 1)) != NULL);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

static char *
key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());

	REQUIRE(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	return bio_text(b);
}

static char *
cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());

	REQUIRE(PEM_write_bio_X509(b, x));
	return bio_text(b);
}

struct pki {
	EVP_PKEY	*ca_key, *srv_key, *cli_key;
	X509		*ca, *srv, *cli;
	char		*cli_key_pem, *cli_cert_pem;
};

static void
pki_make(struct pki *p, EVP_PKEY *cli_key)
{
	memset(p, 0, sizeof(*p));
	p->ca_key = key_ec("P-256");
	p->ca = make_cert(p->ca_key, "agentd test CA", NULL, NULL, "ca");
	p->srv_key = key_ec("P-256");
	p->srv = make_cert(p->srv_key, "localhost", p->ca_key, p->ca,
	    "server");
	p->cli_key = cli_key;
	p->cli = make_cert(cli_key, "system:node:test", p->ca_key, p->ca,
	    "client");
	p->cli_key_pem = key_pem(cli_key);
	p->cli_cert_pem = cert_pem(p->cli);
}

static void
pki_free(struct pki *p)
{
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->srv_key);
	EVP_PKEY_free(p->cli_key);
	X509_free(p->ca);
	X509_free(p->srv);
	X509_free(p->cli);
	free(p->cli_key_pem);
	free(p->cli_cert_pem);
}

/* ---- the signer in a child ---------------------------------------------- */

/*
 * agentd's side: the key loaded and a channel per role served by the real
 * signer in a forked child, on a poll(2) event base (no kernel state that
 * the parent's frees could touch).  The parent drops the key and its copy
 * of agentd's ends; fds[] are the workers' ends.
 */
static pid_t
signer_start(const char *kpem, const char *cpem, int *fds, int nfds)
{
	struct event_config *cfg;
	struct agentd env;
	char err[256];
	pid_t pid;
	int i;

	memset(&env, 0, sizeof(env));
	REQUIRE((cfg = event_config_new()) != NULL);
	event_config_avoid_method(cfg, "epoll");
	event_config_avoid_method(cfg, "select");
	REQUIRE((env.base = event_base_new_with_config(cfg)) != NULL);
	event_config_free(cfg);
	err[0] = '\0';
	if (signer_load_key(kpem, strlen(kpem), cpem, strlen(cpem), err,
	    sizeof(err)) == -1)
		fprintf(stderr, "signer_load_key: %s\n", err);
	REQUIRE(signer_have_key());
	for (i = 0; i < nfds; i++)
		REQUIRE((fds[i] = signer_channel(&env, i == 0 ?
		    ROLE_WATCHER : ROLE_REPORTER)) >= 0);
	REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		/* until every channel has ended */
		event_base_dispatch(env.base);
		_exit(0);
	}
	signer_free();
	REQUIRE(!signer_have_key());
	event_base_free(env.base);
	return pid;
}

static void
signer_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- a handshake -------------------------------------------------------- */

static X509_STORE *
ca_store(X509 *ca)
{
	X509_STORE *st = X509_STORE_new();

	REQUIRE(st != NULL && X509_STORE_add_cert(st, ca) == 1);
	return st;
}

struct hs {
	int	 version;	/* TLS1_2_VERSION, TLS1_3_VERSION */
	const char *srv_sigalgs; /* the server's offer; NULL: default */
	int	 ok;
	int	 sig_nid;	/* the client's CertificateVerify */
	char	 verr[128];
	int	 tsock[2];	/* the transport, or 0: make one */
	int	 key_first;	/* the key before the certificate */
};

/* one step of one end's handshake, if not done: 1 if it failed */
static int
handshake_step(SSL *ssl, int *done)
{
	int r, e;

	if (*done)
		return 0;
	if ((r = SSL_do_handshake(ssl)) == 1) {
		*done = 1;
		return 0;
	}
	e = SSL_get_error(ssl, r);
	return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
}

/* step both ends over a socketpair until both are done or one fails */
static void
handshake(struct pki *p, int signer_fd, struct hs *h)
{
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	EVP_PKEY *k;
	char err[256], buf[8];
	int sv[2], i, r = 0, sdone = 0, cdone = 0, failed = 0;

	if (h->tsock[0] > 0) {
		sv[0] = h->tsock[0];
		sv[1] = h->tsock[1];
	} else
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);

	REQUIRE((sctx = SSL_CTX_new(TLS_server_method())) != NULL);
	SSL_CTX_set_min_proto_version(sctx, h->version);
	SSL_CTX_set_max_proto_version(sctx, h->version);
	REQUIRE(SSL_CTX_use_certificate(sctx, p->srv) == 1);
	REQUIRE(SSL_CTX_use_PrivateKey(sctx, p->srv_key) == 1);
	SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_store(sctx, ca_store(p->ca));
	if (h->srv_sigalgs != NULL)
		REQUIRE(SSL_CTX_set1_client_sigalgs_list(sctx,
		    h->srv_sigalgs) == 1);

	REQUIRE((cctx = SSL_CTX_new(TLS_client_method())) != NULL);
	SSL_CTX_set_min_proto_version(cctx, h->version);
	SSL_CTX_set_max_proto_version(cctx, h->version);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_store(cctx, ca_store(p->ca));
	REQUIRE(SSL_CTX_set1_client_sigalgs_list(cctx, APISIGN_SIGALGS) == 1);
	if (!h->key_first)
		REQUIRE(SSL_CTX_use_certificate(cctx, p->cli) == 1);
	err[0] = '\0';
	k = apisign_key(signer_fd, p->cli_cert_pem, strlen(p->cli_cert_pem),
	    err, sizeof(err));
	if (k == NULL)
		fprintf(stderr, "apisign_key: %s\n", err);
	REQUIRE(k != NULL);
	if (SSL_CTX_use_PrivateKey(cctx, k) != 1) {
		ERR_print_errors_fp(stderr);
		REQUIRE(0);
	}
	if (h->key_first)
		REQUIRE(SSL_CTX_use_certificate(cctx, p->cli) == 1);
	REQUIRE(SSL_CTX_check_private_key(cctx) == 1);
	EVP_PKEY_free(k);

	REQUIRE((s = SSL_new(sctx)) != NULL && (c = SSL_new(cctx)) != NULL);
	SSL_set_fd(s, sv[0]);
	SSL_set_fd(c, sv[1]);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	SSL_set_tlsext_host_name(c, "localhost");
	REQUIRE(SSL_set1_host(c, "localhost") == 1);
	for (i = 0; i < 10000 && !failed && !(sdone && cdone); i++) {
		failed |= handshake_step(c, &cdone);
		failed |= handshake_step(s, &sdone);
	}
	if (failed)
		ERR_print_errors_fp(stderr);
	h->ok = !failed && sdone && cdone &&
	    SSL_get0_peer_certificate(s) != NULL &&
	    SSL_get_verify_result(s) == X509_V_OK &&
	    SSL_version(c) == h->version;
	snprintf(h->verr, sizeof(h->verr), "%s", X509_verify_cert_error_string(
	    SSL_get_verify_result(s)));
	h->sig_nid = NID_undef;
	SSL_get_peer_signature_type_nid(s, &h->sig_nid);
	/* and data crosses: the server took the client's Finished */
	if (h->ok) {
		REQUIRE(SSL_write(c, "ping", 4) == 4);
		for (i = 0; i < 1000; i++)
			if ((r = SSL_read(s, buf, sizeof(buf))) > 0)
				break;
		h->ok = r == 4 && memcmp(buf, "ping", 4) == 0;
	}
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	close(sv[0]);
	close(sv[1]);
}

static void
handshake_case2(EVP_PKEY *cli_key, int version, const char *srv_sigalgs,
    int want_nid, int key_first)
{
	struct pki p;
	struct hs h;
	pid_t pid;
	int fd;

	pki_make(&p, cli_key);
	pid = signer_start(p.cli_key_pem, p.cli_cert_pem, &fd, 1);
	memset(&h, 0, sizeof(h));
	h.version = version;
	h.srv_sigalgs = srv_sigalgs;
	h.key_first = key_first;
	handshake(&p, fd, &h);
	if (!h.ok)
		fprintf(stderr, "handshake failed (verify: %s; apisign: "
		    "%s)\n", h.verr, apisign_last_error());
	CHECK(h.ok);
	CHECK_EQ_INT(h.sig_nid, want_nid);
	close(fd);
	signer_stop(pid);
	pki_free(&p);
}

static void
handshake_case(EVP_PKEY *cli_key, int version, const char *srv_sigalgs,
    int want_nid)
{
	handshake_case2(cli_key, version, srv_sigalgs, want_nid, 0);
}

/* the key before the certificate: libssl checks the pair then */
TEST(test_tls13_ec_key_before_cert)
{
	handshake_case2(key_ec("P-256"), TLS1_3_VERSION, NULL,
	    NID_X9_62_id_ecPublicKey, 1);
}

TEST(test_tls12_rsa_key_before_cert)
{
	handshake_case2(key_rsa(2048), TLS1_2_VERSION, NULL, NID_rsassaPss,
	    1);
}

TEST(test_tls12_ec_p256)
{
	handshake_case(key_ec("P-256"), TLS1_2_VERSION, NULL,
	    NID_X9_62_id_ecPublicKey);
}

TEST(test_tls13_ec_p256)
{
	handshake_case(key_ec("P-256"), TLS1_3_VERSION, NULL,
	    NID_X9_62_id_ecPublicKey);
}

TEST(test_tls13_ec_p384)
{
	handshake_case(key_ec("P-384"), TLS1_3_VERSION, NULL,
	    NID_X9_62_id_ecPublicKey);
}

/* TLS 1.2 with RSA: PKCS#1 v1.5 when the server asks for it */
TEST(test_tls12_rsa2048_pkcs1)
{
	handshake_case(key_rsa(2048), TLS1_2_VERSION,
	    "RSA+SHA256:RSA+SHA384", NID_rsaEncryption);
}

/* and RSA-PSS when the server offers both (OpenSSL prefers PSS) */
TEST(test_tls12_rsa2048_pss)
{
	handshake_case(key_rsa(2048), TLS1_2_VERSION, NULL, NID_rsassaPss);
}

TEST(test_tls13_rsa2048_pss)
{
	handshake_case(key_rsa(2048), TLS1_3_VERSION, NULL, NID_rsassaPss);
}

/* the signature is agentd's: with the signer gone the handshake fails */
TEST(test_handshake_fails_without_signer)
{
	struct pki p;
	struct hs h;
	pid_t pid;
	int fd;

	pki_make(&p, key_ec("P-256"));
	pid = signer_start(p.cli_key_pem, p.cli_cert_pem, &fd, 1);
	signer_stop(pid);
	memset(&h, 0, sizeof(h));
	h.version = TLS1_3_VERSION;
	handshake(&p, fd, &h);
	CHECK(!h.ok);
	CHECK(apisign_last_error()[0] != '\0');
	close(fd);
	pki_free(&p);
}

/* the signer's refusal ends the handshake and says why */
TEST(test_handshake_fails_when_refused)
{
	struct pki p, other;
	struct hs h;
	pid_t pid;
	int fd;

	/* agentd holds an EC key; the worker's certificate is RSA */
	pki_make(&p, key_ec("P-256"));
	pid = signer_start(p.cli_key_pem, p.cli_cert_pem, &fd, 1);
	other = p;
	other.cli_key = key_rsa(2048);
	other.cli = make_cert(other.cli_key, "system:node:test", p.ca_key,
	    p.ca, "client");
	other.cli_cert_pem = cert_pem(other.cli);
	memset(&h, 0, sizeof(h));
	h.version = TLS1_3_VERSION;
	handshake(&other, fd, &h);
	CHECK(!h.ok);
	CHECK(strstr(apisign_last_error(), "does not fit") != NULL);
	close(fd);
	signer_stop(pid);
	EVP_PKEY_free(other.cli_key);
	X509_free(other.cli);
	free(other.cli_cert_pem);
	pki_free(&p);
}

/* ---- signer_load_key ---------------------------------------------------- */

static int
load(EVP_PKEY *k, X509 *x, char *err, size_t errlen)
{
	char *kp = key_pem(k), *cp = cert_pem(x);
	int rv;

	err[0] = '\0';
	rv = signer_load_key(kp, strlen(kp), cp, strlen(cp), err, errlen);
	free(kp);
	free(cp);
	return rv;
}

TEST(test_load_key_not_the_certificates)
{
	EVP_PKEY *a = key_ec("P-256"), *b = key_ec("P-256");
	X509 *xb = make_cert(b, "b", NULL, NULL, "client");
	char err[256];

	CHECK_EQ_INT(load(a, xb, err, sizeof(err)), -1);
	CHECK(strstr(err, "not the key of the client certificate") != NULL);
	CHECK(!signer_have_key());
	CHECK_EQ_INT(load(b, xb, err, sizeof(err)), 0);
	CHECK(signer_have_key());
	signer_free();
	CHECK(!signer_have_key());
	X509_free(xb);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* load key with a self-signed certificate of its own, keeping the key */
static int
load_own(EVP_PKEY *k, char *err, size_t errlen)
{
	X509 *x = make_cert(k, "own", NULL, NULL, "client");
	int rv = load(k, x, err, errlen);

	X509_free(x);
	return rv;
}

/* the same, and the key freed */
static int
load_self(EVP_PKEY *k, char *err, size_t errlen)
{
	int rv = load_own(k, err, errlen);

	EVP_PKEY_free(k);
	return rv;
}

TEST(test_load_key_types_refused)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char err[256];

	REQUIRE(ed != NULL);
	CHECK_EQ_INT(load_self(ed, err, sizeof(err)), -1);
	CHECK(strstr(err, "ED25519") != NULL && strstr(err, "not a digest"));
	CHECK_EQ_INT(load_self(key_ec("P-521"), err, sizeof(err)), -1);
	CHECK(strstr(err, "secp521r1 is not supported") != NULL);
	CHECK_EQ_INT(load_self(key_rsa(1024), err, sizeof(err)), -1);
	CHECK(strstr(err, "RSA key of 1024 bits") != NULL);
	CHECK(!signer_have_key());
}

TEST(test_load_key_bad_pem)
{
	EVP_PKEY *k = key_ec("P-256");
	X509 *x = make_cert(k, "c", NULL, NULL, "client");
	char *cp = cert_pem(x), *kp = key_pem(k), err[256];

	CHECK_EQ_INT(signer_load_key("garbage", 7, cp, strlen(cp), err,
	    sizeof(err)), -1);
	CHECK(strncmp(err, "client key: not a PEM private key", 33) == 0);
	CHECK_EQ_INT(signer_load_key(kp, strlen(kp), "garbage", 7, err,
	    sizeof(err)), -1);
	CHECK(strncmp(err, "client certificate: not a PEM", 29) == 0);
	CHECK_EQ_INT(signer_load_key(kp, 0, cp, strlen(cp), err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "0 bytes") != NULL);
	CHECK(!signer_have_key());
	free(cp);
	free(kp);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* ---- signer_sign -------------------------------------------------------- */

static int
verify(EVP_PKEY *k, int pad, const uint8_t *dg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	const EVP_MD *md = len == 32 ? EVP_sha256() : len == 48 ?
	    EVP_sha384() : EVP_sha512();
	int ok;

	REQUIRE(ctx != NULL && EVP_PKEY_verify_init(ctx) == 1);
	REQUIRE(EVP_PKEY_CTX_set_signature_md(ctx, md) == 1);
	if (pad != 0) {
		REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx, pad) == 1);
		if (pad == RSA_PKCS1_PSS_PADDING)
			REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
			    (int)len) == 1);
	}
	ok = EVP_PKEY_verify(ctx, sig, siglen, dg, len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

TEST(test_sign_digest_sizes)
{
	EVP_PKEY *k = key_ec("P-256");
	uint8_t dg[100], sig[MSGB_API_SIGNATURE];
	size_t sizes[] = { 32, 48, 64 }, bad[] = { 0, 20, 31, 33, 100 }, i,
	    siglen;
	char err[256];

	memset(dg, 0x5a, sizeof(dg));
	REQUIRE(load_own(k, err, sizeof(err)) == 0);
	for (i = 0; i < nitems(sizes); i++) {
		siglen = sizeof(sig);
		CHECK_EQ_INT(signer_sign(APISIGN_ALG_ECDSA, dg, sizes[i], sig,
		    &siglen, err, sizeof(err)), 0);
		CHECK(verify(k, 0, dg, sizes[i], sig, siglen));
	}
	for (i = 0; i < nitems(bad); i++) {
		siglen = sizeof(sig);
		err[0] = '\0';
		CHECK_EQ_INT(signer_sign(APISIGN_ALG_ECDSA, dg, bad[i], sig,
		    &siglen, err, sizeof(err)), -1);
		CHECK(strncmp(err, "digest: ", 8) == 0);
		CHECK_EQ_INT(siglen, 0);
	}
	signer_free();
	EVP_PKEY_free(k);
}

TEST(test_sign_rsa_pkcs1_and_pss)
{
	EVP_PKEY *k = key_rsa(2048);
	uint8_t dg[64], sig[MSGB_API_SIGNATURE];
	size_t siglen = sizeof(sig);
	char err[256];

	memset(dg, 0xa5, sizeof(dg));
	REQUIRE(load_own(k, err, sizeof(err)) == 0);
	CHECK_EQ_INT(signer_sign(APISIGN_ALG_RSA_PKCS1, dg, 32, sig, &siglen,
	    err, sizeof(err)), 0);
	CHECK_EQ_INT(siglen, 256);
	CHECK(verify(k, RSA_PKCS1_PADDING, dg, 32, sig, siglen));
	CHECK(!verify(k, RSA_PKCS1_PSS_PADDING, dg, 32, sig, siglen));
	siglen = sizeof(sig);
	CHECK_EQ_INT(signer_sign(APISIGN_ALG_RSA_PSS, dg, 48, sig, &siglen,
	    err, sizeof(err)), 0);
	CHECK(verify(k, RSA_PKCS1_PSS_PADDING, dg, 48, sig, siglen));
	/* a signature buffer too small is refused, not overrun */
	siglen = 100;
	CHECK_EQ_INT(signer_sign(APISIGN_ALG_RSA_PSS, dg, 48, sig, &siglen,
	    err, sizeof(err)), -1);
	signer_free();
	EVP_PKEY_free(k);
}

TEST(test_sign_alg_must_fit_the_key)
{
	EVP_PKEY *k = key_ec("P-256");
	uint8_t dg[32] = { 1 }, sig[MSGB_API_SIGNATURE];
	size_t siglen = sizeof(sig);
	char err[256];

	CHECK_EQ_INT(signer_sign(APISIGN_ALG_ECDSA, dg, 32, sig, &siglen, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "no client key is loaded");
	REQUIRE(load_own(k, err, sizeof(err)) == 0);
	siglen = sizeof(sig);
	CHECK_EQ_INT(signer_sign(APISIGN_ALG_RSA_PSS, dg, 32, sig, &siglen,
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "RSA-PSS does not fit the EC P-256 key") != NULL);
	CHECK_EQ_INT(signer_sign(APISIGN_ALG_RSA_PKCS1, dg, 32, sig, &siglen,
	    err, sizeof(err)), -1);
	CHECK_EQ_INT(signer_sign(APISIGN_ALG_ED25519, dg, 32, sig, &siglen,
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "Ed25519") != NULL);
	CHECK_EQ_INT(signer_sign(99, dg, 32, sig, &siglen, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "alg: unknown algorithm 99");
	signer_free();
	EVP_PKEY_free(k);
}

/* ---- the rate ----------------------------------------------------------- */

TEST(test_bucket)
{
	uint64_t t;
	int64_t r;
	int i;

	signer_bucket_init(&t, &r, 1000);
	for (i = 0; i < SIGNER_BURST; i++)
		CHECK(signer_bucket_take(&t, &r, 1000));
	CHECK(!signer_bucket_take(&t, &r, 1000));
	CHECK(!signer_bucket_take(&t, &r, 1000 + 199));
	CHECK(signer_bucket_take(&t, &r, 1000 + 200));	/* 5 a second */
	CHECK(!signer_bucket_take(&t, &r, 1000 + 200));
	/* a long pause refills to the burst, no more */
	for (i = 0; i < SIGNER_BURST; i++)
		CHECK(signer_bucket_take(&t, &r, 1000000));
	CHECK(!signer_bucket_take(&t, &r, 1000000));
	/* a clock that went back does not refill */
	CHECK(!signer_bucket_take(&t, &r, 500));
}

static void
send_sign(int fd, uint32_t id, uint32_t alg, size_t len)
{
	struct ipc_msg m;
	uint8_t dg[100];

	memset(dg, (int)id, sizeof(dg));
	ipc_msg_init(&m, MSG_API_SIGN, id);
	ipc_put_u32(&m, id);
	ipc_put_u32(&m, alg);
	ipc_put_bytes(&m, dg, len);
	REQUIRE(ipc_write_msg(fd, &m) == 0);
}

/* 0 and the answer, -1 if the channel ended */
static int
read_sig(int fd, uint32_t *id, uint32_t *status, size_t *siglen, char *err,
    size_t errlen)
{
	struct ipc_msg m;
	const uint8_t *s;

	if (ipc_read_msg(fd, &m, 5000) == -1)
		return -1;
	REQUIRE(m.type == MSG_API_SIGNATURE);
	REQUIRE(ipc_get_u32(&m, id) == 0 && ipc_get_u32(&m, status) == 0 &&
	    ipc_get_bytes_ref(&m, &s, MSGB_API_SIGNATURE, siglen) == 0 &&
	    ipc_get_str(&m, err, errlen) == 0 && ipc_get_end(&m) == 0);
	ipc_msg_free(&m);
	return 0;
}

static pid_t
signer_ec(int *fds, int n)
{
	EVP_PKEY *k = key_ec("P-256");
	X509 *x = make_cert(k, "c", NULL, NULL, "client");
	char *kp = key_pem(k), *cp = cert_pem(x);
	pid_t pid = signer_start(kp, cp, fds, n);

	free(kp);
	free(cp);
	X509_free(x);
	EVP_PKEY_free(k);
	return pid;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * 20 at once are signed, the 21st is refused at once.  One token comes
 * back every 200 ms: on a machine so slow (a memory checker) that the 20
 * signatures took that long, what got through must still be within the
 * burst plus the rate.
 */
TEST(test_channel_rate_limit)
{
	const uint32_t n = SIGNER_BURST + 10;
	uint32_t id, status, i, signed_ = 0;
	size_t siglen;
	char err[256];
	int64_t t0, dt;
	pid_t pid;
	int fd, rate_refused = 0;

	pid = signer_ec(&fd, 1);
	t0 = mono_ms();
	for (i = 1; i <= n; i++)
		send_sign(fd, i, APISIGN_ALG_ECDSA, 32);
	for (i = 1; i <= n; i++) {
		REQUIRE(read_sig(fd, &id, &status, &siglen, err,
		    sizeof(err)) == 0);
		CHECK_EQ_INT(id, i);
		if (i <= SIGNER_BURST)
			CHECK_EQ_INT(status, SIGNER_ST_OK);
		if (status == SIGNER_ST_OK) {
			CHECK(siglen > 0);
			signed_++;
		} else {
			CHECK_EQ_INT(status, SIGNER_ST_RATE);
			CHECK_EQ_INT(siglen, 0);
			CHECK(strncmp(err, "rate: ", 6) == 0);
			rate_refused++;
		}
		if (i == SIGNER_BURST + 1 && mono_ms() - t0 < 1000 /
		    SIGNER_RATE)
			CHECK_EQ_INT(status, SIGNER_ST_RATE);
	}
	dt = mono_ms() - t0;
	CHECK(rate_refused > 0);
	CHECK(signed_ <= SIGNER_BURST + (uint32_t)(dt * SIGNER_RATE / 1000));
	close(fd);
	signer_stop(pid);
}

/*
 * A 20-byte digest is refused and answered; a 100-byte one is over the
 * wire bound (MSGB_API_DIGEST): the frame is malformed and that channel
 * ends, while agentd and the other channel go on.
 */
TEST(test_channel_digest_refused_and_malformed)
{
	uint32_t id, status;
	size_t siglen;
	char err[256];
	pid_t pid;
	int fds[2];

	pid = signer_ec(fds, 2);
	send_sign(fds[0], 7, APISIGN_ALG_ECDSA, 20);
	REQUIRE(read_sig(fds[0], &id, &status, &siglen, err,
	    sizeof(err)) == 0);
	CHECK_EQ_INT(id, 7);
	CHECK_EQ_INT(status, SIGNER_ST_REFUSED);
	CHECK(strstr(err, "digest: 20 bytes") != NULL);
	send_sign(fds[0], 8, APISIGN_ALG_ECDSA, 100);
	CHECK_EQ_INT(read_sig(fds[0], &id, &status, &siglen, err,
	    sizeof(err)), -1);
	/* the reporter's channel still signs */
	send_sign(fds[1], 9, APISIGN_ALG_ECDSA, 64);
	REQUIRE(read_sig(fds[1], &id, &status, &siglen, err,
	    sizeof(err)) == 0);
	CHECK_EQ_INT(id, 9);
	CHECK_EQ_INT(status, SIGNER_ST_OK);
	CHECK(waitpid(pid, NULL, WNOHANG) == 0);	/* agentd lives */
	close(fds[0]);
	close(fds[1]);
	signer_stop(pid);
}

/* a new channel for a role replaces its old one, which ends */
TEST(test_channel_replaced)
{
	EVP_PKEY *k = key_ec("P-256");
	X509 *x = make_cert(k, "c", NULL, NULL, "client");
	char *kp = key_pem(k), *cp = cert_pem(x), err[256];
	struct agentd env;
	int a, b;
	char c;

	memset(&env, 0, sizeof(env));
	REQUIRE((env.base = event_base_new()) != NULL);
	/* no key: no channel */
	CHECK_EQ_INT(signer_channel(&env, ROLE_WATCHER), -1);
	REQUIRE(signer_load_key(kp, strlen(kp), cp, strlen(cp), err,
	    sizeof(err)) == 0);
	REQUIRE((a = signer_channel(&env, ROLE_WATCHER)) >= 0);
	REQUIRE((b = signer_channel(&env, ROLE_WATCHER)) >= 0);
	CHECK_EQ_INT(read(a, &c, 1), 0);	/* agentd's end is closed */
	CHECK_EQ_INT(signer_channel(&env, ROLE_PARENT), -1);
	signer_free();
	CHECK_EQ_INT(read(b, &c, 1), 0);
	close(a);
	close(b);
	event_base_free(env.base);
	free(kp);
	free(cp);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* ---- apisign_key -------------------------------------------------------- */

/* a key, its certificate and a signer channel that nobody answers */
struct mute_signer {
	EVP_PKEY	*k;
	X509		*x;
	char		*cp;	/* the certificate's PEM */
	int		 sv[2];
};

static void
mute_open(struct mute_signer *m, EVP_PKEY *k)
{
	REQUIRE(k != NULL);
	m->k = k;
	m->x = make_cert(k, "c", NULL, NULL, "client");
	m->cp = cert_pem(m->x);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, m->sv) == 0);
}

/* apisign_key's key object for it */
static EVP_PKEY *
mute_key(struct mute_signer *m)
{
	char err[256];
	EVP_PKEY *ak;

	REQUIRE((ak = apisign_key(m->sv[0], m->cp, strlen(m->cp), err,
	    sizeof(err))) != NULL);
	return ak;
}

static void
mute_close(struct mute_signer *m)
{
	close(m->sv[0]);
	close(m->sv[1]);
	free(m->cp);
	X509_free(m->x);
	EVP_PKEY_free(m->k);
}

TEST(test_apisign_key_refuses)
{
	struct mute_signer m;
	char err[256];

	mute_open(&m, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	CHECK(apisign_key(m.sv[0], m.cp, strlen(m.cp), err, sizeof(err)) ==
	    NULL);
	CHECK(strstr(err, "ED25519 key") != NULL);
	CHECK(apisign_key(m.sv[0], "junk", 4, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a PEM certificate") != NULL);
	CHECK(apisign_key(-1, m.cp, strlen(m.cp), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no signer channel") != NULL);
	mute_close(&m);
}

/* a signer that never answers: the signature fails after the timeout */
TEST(test_apisign_timeout)
{
	struct mute_signer m;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[256];
	size_t siglen = sizeof(sig);
	EVP_PKEY *ak;
	time_t t0;

	mute_open(&m, key_ec("P-256"));
	ak = mute_key(&m);
	REQUIRE(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ak,
	    NULL) == 1);
	t0 = time(NULL);
	CHECK(EVP_DigestSign(md, sig, &siglen, (const uint8_t *)"x", 1) != 1);
	CHECK(time(NULL) - t0 >= APISIGN_TIMEOUT_MS / 1000 - 1);
	CHECK(strstr(apisign_last_error(), "no answer") != NULL ||
	    strstr(apisign_last_error(), "timed out") != NULL);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(ak);
	mute_close(&m);
}

/* the key object refuses digests agentd would refuse, before asking */
TEST(test_apisign_digest_support)
{
	struct mute_signer m;
	EVP_PKEY *ak, *other = key_ec("P-256");

	mute_open(&m, key_ec("P-256"));
	ak = mute_key(&m);
	CHECK(EVP_PKEY_is_a(ak, "EC"));
	CHECK_EQ_INT(EVP_PKEY_get_bits(ak), 256);
	CHECK(EVP_PKEY_digestsign_supports_digest(ak, NULL, "SHA256",
	    NULL) == 1);
	CHECK(EVP_PKEY_digestsign_supports_digest(ak, NULL, "SHA384",
	    NULL) == 1);
	CHECK(EVP_PKEY_digestsign_supports_digest(ak, NULL, "SHA1",
	    NULL) != 1);
	/* and it is the certificate's key, not another one */
	CHECK(EVP_PKEY_eq(ak, m.k) == 1);
	CHECK(EVP_PKEY_eq(ak, other) != 1);
	ERR_clear_error();
	EVP_PKEY_free(ak);
	mute_close(&m);
	EVP_PKEY_free(other);
}

#ifndef __has_feature
#define __has_feature(x)	0
#endif

/* ASan and valgrind make system calls of their own (sigaltstack, ...) */
static int
under_a_checker(void)
{
	const char *pre = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
	return 1;
#endif
	return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

/* ---- in the sandbox ----------------------------------------------------- */

/*
 * The worker's half inside the watcher's sandbox (chroot to an empty
 * directory, an unprivileged user, the seccomp allowlist that kills on
 * anything else): the key object is made there, from the certificate
 * bytes, and signs two handshakes (EC with TLS 1.3, RSA with TLS 1.2).
 */
TEST(test_handshake_in_sandbox)
{
	char dir[] = "/tmp/agentd-signer-root.XXXXXX";
	struct pki ec, rsa;
	struct hs h1, h2;
	pid_t pid1, pid2, child;
	int fd1, fd2, st;

	if (geteuid() != 0) {
		printf("# skip: the sandbox needs root\n");
		return;
	}
	if (under_a_checker()) {
		printf("# skip: the memory checker's own system calls are not "
		    "in the sandbox's allowlist\n");
		return;
	}
	pki_make(&ec, key_ec("P-256"));
	pki_make(&rsa, key_rsa(2048));
	pid1 = signer_start(ec.cli_key_pem, ec.cli_cert_pem, &fd1, 1);
	pid2 = signer_start(rsa.cli_key_pem, rsa.cli_cert_pem, &fd2, 1);
	REQUIRE(mkdtemp(dir) != NULL && chmod(dir, 0755) == 0);
	/* the connected sockets come from agentd, made outside */
	memset(&h1, 0, sizeof(h1));
	memset(&h2, 0, sizeof(h2));
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, h1.tsock) == 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, h2.tsock) == 0);
	REQUIRE((child = fork()) != -1);
	if (child == 0) {
		sandbox_enter("nobody", dir, SANDBOX_WATCHER);
		h1.version = TLS1_3_VERSION;
		handshake(&ec, fd1, &h1);
		h2.version = TLS1_2_VERSION;
		h2.srv_sigalgs = "RSA+SHA256";
		handshake(&rsa, fd2, &h2);
		_exit(h1.ok && h1.sig_nid == NID_X9_62_id_ecPublicKey &&
		    h2.ok && h2.sig_nid == NID_rsaEncryption ? 0 : 1);
	}
	REQUIRE(waitpid(child, &st, 0) == child);
	if (WIFSIGNALED(st))
		fprintf(stderr, "sandboxed client killed by signal %d\n",
		    WTERMSIG(st));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	rmdir(dir);
	close(fd1);
	close(fd2);
	signer_stop(pid1);
	signer_stop(pid2);
	pki_free(&ec);
	pki_free(&rsa);
}
