/*
 * The signer of API mode (agentd/signer.h): agentd holds the kubeconfig's
 * client key and signs the CertificateVerify of the API workers' TLS
 * handshakes, the way OpenSSH's monitor signs for its unprivileged child
 * (mm_sshkey_sign).  A worker that is taken over can have a handshake
 * signed while agentd runs, at the rate below, but can never copy the key:
 * no key byte crosses a socket.
 *
 * Each worker gets a signer channel of its own (a socketpair; agentd keeps
 * one end as an ipc_chan with one dispatch row, MSG_API_SIGN).  What is
 * signed is a digest of a handshake's size (SHA-256/384/512: TLS 1.2 and
 * 1.3 sign a hash of the transcript), with an algorithm that fits the key,
 * at most SIGNER_BURST at once and SIGNER_RATE a second after that.
 * Refusals are answered (status != 0) and logged, rate-limited; a frame
 * that does not decode ends that channel, not agentd.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "agentd.h"
#include "apiclient.h"
#include "ipc.h"
#include "log.h"
#include "monoclock.h"
#include "msgschema.h"
#include "signer.h"

/* the log limiter: the first refusal at once, then one line a period */
#define SIGNER_LOG_PERIOD_MS	10000

enum key_kind { KEY_NONE = 0, KEY_EC, KEY_RSA };

struct signer_log {
	int64_t		 last_ms;	/* last line; 0: none yet */
	uint32_t	 suppressed;	/* refusals not logged since */
};

struct signer_chan {
	struct ipc_chan		*chan;
	enum proc_role		 role;
	uint64_t		 millitokens;	/* 1000 a sign */
	int64_t			 refill_ms;	/* last refill */
	struct signer_log	 rate_log;	/* over the rate */
	struct signer_log	 req_log;	/* a request we do not sign */
};

static EVP_PKEY			*sign_key;
static enum key_kind		 sign_kind;
static char			 sign_desc[64];	/* "EC P-256" */
static struct signer_chan	 chans[ROLE_MAX];

static int	sign_msg(struct ipc_chan *, struct ipc_msg *, void *);

static const struct ipc_dispatch signer_tab[] = {
	{ MSG_API_SIGN, 0, IPC_F_ANYSTATE, sign_msg },
};

/* the last OpenSSL reason, for an error text; clears the queue */
static const char *
ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "no detail");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* ---- the key ------------------------------------------------------------ */

/* never prompt for a passphrase: an encrypted key is refused */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* the kind of key we sign with, or KEY_NONE and why not */
static enum key_kind
key_check(EVP_PKEY *k, char *desc, size_t desclen, char *err, size_t errlen)
{
	char group[64];
	size_t glen;
	int bits = EVP_PKEY_get_bits(k), nid;

	if (EVP_PKEY_is_a(k, "EC")) {
		if (!EVP_PKEY_get_group_name(k, group, sizeof(group), &glen)) {
			snprintf(err, errlen, "client key: an EC key without "
			    "a named curve; only P-256 and P-384 are "
			    "supported");
			return KEY_NONE;
		}
		nid = OBJ_txt2nid(group);
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1) {
			snprintf(err, errlen, "client key: EC curve %s is not "
			    "supported (P-256 or P-384)", group);
			return KEY_NONE;
		}
		snprintf(desc, desclen, "EC %s",
		    nid == NID_secp384r1 ? "P-384" : "P-256");
		return KEY_EC;
	}
	/* "RSA" is rsaEncryption; an RSA-PSS-only key is not */
	if (EVP_PKEY_is_a(k, "RSA")) {
		if (bits < SIGNER_RSA_MIN_BITS || bits > SIGNER_RSA_MAX_BITS) {
			snprintf(err, errlen, "client key: RSA key of %d bits "
			    "(%d to %d are supported)", bits,
			    SIGNER_RSA_MIN_BITS, SIGNER_RSA_MAX_BITS);
			return KEY_NONE;
		}
		snprintf(desc, desclen, "RSA %d", bits);
		return KEY_RSA;
	}
	if (EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_is_a(k, "ED448"))
		snprintf(err, errlen, "client key: %s signs the whole "
		    "handshake, not a digest of it, and is not supported "
		    "(EC P-256/P-384 or RSA)", EVP_PKEY_get0_type_name(k));
	else
		snprintf(err, errlen, "client key: type %s is not supported "
		    "(EC P-256/P-384 or RSA of at least %d bits)",
		    EVP_PKEY_get0_type_name(k) != NULL ?
		    EVP_PKEY_get0_type_name(k) : "unknown",
		    SIGNER_RSA_MIN_BITS);
	return KEY_NONE;
}

int
signer_load_key(const char *key_pem, size_t key_len, const char *cert_pem,
    size_t cert_len, char *err, size_t errlen)
{
	char why[256], desc[sizeof(sign_desc)];
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	BIO *b = NULL;
	enum key_kind kind;
	int rv = -1;

	if (key_len == 0 || key_len > SIGNER_MAX_PEM) {
		snprintf(err, errlen, "client key: %zu bytes of PEM (1 to %d)",
		    key_len, SIGNER_MAX_PEM);
		return -1;
	}
	if (cert_len == 0 || cert_len > SIGNER_MAX_PEM) {
		snprintf(err, errlen, "client certificate: %zu bytes of PEM (1 "
		    "to %d)", cert_len, SIGNER_MAX_PEM);
		return -1;
	}
	ERR_clear_error();
	if ((b = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL ||
	    (k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase,
	    NULL)) == NULL) {
		snprintf(err, errlen, "client key: not a PEM private key, or "
		    "an encrypted one (%s)", ossl_reason(why, sizeof(why)));
		goto out;
	}
	BIO_free(b);
	if ((b = BIO_new_mem_buf(cert_pem, (int)cert_len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) == NULL) {
		snprintf(err, errlen, "client certificate: not a PEM "
		    "certificate (%s)", ossl_reason(why, sizeof(why)));
		goto out;
	}
	if ((kind = key_check(k, desc, sizeof(desc), err, errlen)) ==
	    KEY_NONE)
		goto out;
	if (X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "client key: not the key of the client "
		    "certificate (its public key differs)");
		goto out;
	}
	/* a second key replaces the first: there is at most one */
	EVP_PKEY_free(sign_key);
	sign_key = k;
	k = NULL;
	sign_kind = kind;
	snprintf(sign_desc, sizeof(sign_desc), "%s", desc);
	rv = 0;
 out:
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);	/* frees the private part with clearing */
	ERR_clear_error();
	return rv;
}

int
signer_have_key(void)
{
	return sign_key != NULL;
}

/* ---- the signature ------------------------------------------------------ */

static const EVP_MD *
digest_md(size_t len)
{
	switch (len) {
	case 32:
		return EVP_sha256();
	case 48:
		return EVP_sha384();
	case 64:
		return EVP_sha512();
	}
	return NULL;
}

static int
alg_fits(uint32_t alg, char *err, size_t errlen)
{
	switch (alg) {
	case APISIGN_ALG_ECDSA:
		if (sign_kind == KEY_EC)
			return 1;
		break;
	case APISIGN_ALG_RSA_PKCS1:
	case APISIGN_ALG_RSA_PSS:
		if (sign_kind == KEY_RSA)
			return 1;
		break;
	case APISIGN_ALG_ED25519:
		snprintf(err, errlen, "alg: Ed25519 signs a whole message, "
		    "not a digest; refused");
		return 0;
	default:
		snprintf(err, errlen, "alg: unknown algorithm %u", alg);
		return 0;
	}
	snprintf(err, errlen, "alg: %s does not fit the %s key",
	    alg == APISIGN_ALG_ECDSA ? "ECDSA" : alg == APISIGN_ALG_RSA_PSS ?
	    "RSA-PSS" : "RSA PKCS#1", sign_desc);
	return 0;
}

int
signer_sign(uint32_t alg, const uint8_t *digest, size_t len, uint8_t *sig,
    size_t *siglen, char *err, size_t errlen)
{
	char why[256];
	EVP_PKEY_CTX *ctx = NULL;
	const EVP_MD *md;
	size_t max = *siglen, need;
	int rv = -1;

	*siglen = 0;
	if (sign_key == NULL) {
		snprintf(err, errlen, "no client key is loaded");
		return -1;
	}
	if ((md = digest_md(len)) == NULL) {
		snprintf(err, errlen, "digest: %zu bytes; only a handshake "
		    "hash of 32, 48 or 64 bytes (SHA-256/384/512) is signed",
		    len);
		return -1;
	}
	if (!alg_fits(alg, err, errlen))
		return -1;
	ERR_clear_error();
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sign_key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
		goto fail;
	if (alg == APISIGN_ALG_RSA_PKCS1 && EVP_PKEY_CTX_set_rsa_padding(ctx,
	    RSA_PKCS1_PADDING) <= 0)
		goto fail;
	/* TLS 1.3 (RFC 8446 4.2.3): salt as long as the digest, MGF1 same */
	if (alg == APISIGN_ALG_RSA_PSS && (EVP_PKEY_CTX_set_rsa_padding(ctx,
	    RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
	    RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0))
		goto fail;
	if (EVP_PKEY_sign(ctx, NULL, &need, digest, len) <= 0)
		goto fail;
	if (need > max) {
		snprintf(err, errlen, "signature: %zu bytes, more than %zu",
		    need, max);
		goto out;
	}
	*siglen = max;
	if (EVP_PKEY_sign(ctx, sig, siglen, digest, len) <= 0) {
		*siglen = 0;
		goto fail;
	}
	rv = 0;
	goto out;
 fail:
	snprintf(err, errlen, "signing failed: %s",
	    ossl_reason(why, sizeof(why)));
 out:
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rv;
}

int
signer_decode(struct ipc_msg *m, uint32_t *id, uint32_t *alg,
    const uint8_t **digest, size_t *len)
{
	if (ipc_get_u32(m, id) == -1 || ipc_get_u32(m, alg) == -1 ||
	    ipc_get_bytes_ref(m, digest, MSGB_API_DIGEST, len) == -1 ||
	    ipc_get_end(m) == -1)
		return -1;
	return 0;
}

/* ---- the rate ----------------------------------------------------------- */

void
signer_bucket_init(uint64_t *millitokens, int64_t *refill_ms, int64_t now)
{
	*millitokens = (uint64_t)SIGNER_BURST * 1000;
	*refill_ms = now;
}

int
signer_bucket_take(uint64_t *millitokens, int64_t *refill_ms, int64_t now)
{
	const uint64_t cap = (uint64_t)SIGNER_BURST * 1000;
	int64_t dt = now - *refill_ms;

	/* SIGNER_RATE tokens a second: SIGNER_RATE millitokens a ms */
	if (dt > 0) {
		*millitokens += (uint64_t)dt * SIGNER_RATE;
		if (*millitokens > cap)
			*millitokens = cap;
		*refill_ms = now;
	}
	if (*millitokens < 1000)
		return 0;
	*millitokens -= 1000;
	return 1;
}

/* ---- the channels ------------------------------------------------------- */

/* a refusal, logged at once and then at most once a period */
static void
refusal_log(struct signer_chan *sc, struct signer_log *l, const char *what,
    const char *why)
{
	int64_t now = monoclock_ms();

	if (l->last_ms != 0 && now - l->last_ms < SIGNER_LOG_PERIOD_MS) {
		l->suppressed++;
		return;
	}
	if (l->suppressed > 0)
		log_warnx("signer: refused %s's sign request (%s): %s (and "
		    "%u more in the last %d s)", role_name(sc->role), what,
		    why, l->suppressed, SIGNER_LOG_PERIOD_MS / 1000);
	else
		log_warnx("signer: refused %s's sign request (%s): %s",
		    role_name(sc->role), what, why);
	l->last_ms = now;
	l->suppressed = 0;
}

static int
reply(struct ipc_chan *c, uint32_t id, uint32_t status, const uint8_t *sig,
    size_t siglen, const char *error)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MSG_API_SIGNATURE, id);
	ipc_put_u32(&m, id);
	ipc_put_u32(&m, status);
	ipc_put_bytes(&m, sig, siglen);
	ipc_put_str(&m, error);
	return ipc_send(c, &m);
}

static int
sign_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct signer_chan *sc = arg;
	uint8_t sig[MSGB_API_SIGNATURE];
	char err[MSGB_API_ERROR + 1];
	const uint8_t *digest;
	size_t len, siglen = sizeof(sig);
	uint32_t id, alg;

	if (signer_decode(m, &id, &alg, &digest, &len) == -1)
		return -1;	/* malformed: the channel ends */
	if (!signer_bucket_take(&sc->millitokens, &sc->refill_ms,
	    monoclock_ms())) {
		snprintf(err, sizeof(err), "rate: over %d signatures at once "
		    "or %d a second", SIGNER_BURST, SIGNER_RATE);
		refusal_log(sc, &sc->rate_log, "rate", err);
		reply(c, id, SIGNER_ST_RATE, NULL, 0, err);
		return 0;
	}
	if (signer_sign(alg, digest, len, sig, &siglen, err,
	    sizeof(err)) == -1) {
		refusal_log(sc, &sc->req_log, "request", err);
		reply(c, id, SIGNER_ST_REFUSED, NULL, 0, err);
		return 0;
	}
	log_debug("signer: signed a %zu-byte digest for %s", len,
	    role_name(sc->role));
	reply(c, id, 0, sig, siglen, "");
	return 0;
}

static void
chan_error(struct ipc_chan *c, const char *reason, void *arg)
{
	struct signer_chan *sc = arg;

	if (strncmp(reason, "peer closed", 11) == 0)
		log_debug("signer: %s channel: %s", role_name(sc->role),
		    reason);
	else
		log_warnx("signer: %s channel: %s; closing it (agentd goes "
		    "on)", role_name(sc->role), reason);
	ipc_chan_free(c);	/* deferred while its callback runs */
	sc->chan = NULL;
}

int
signer_channel(struct agentd *env, enum proc_role role)
{
	struct signer_chan *sc;
	char name[32];
	int sv[2];

	if ((unsigned)role >= ROLE_MAX || role == ROLE_PARENT) {
		log_warnx("signer: no channel for role %d", (int)role);
		return -1;
	}
	if (sign_key == NULL) {
		log_warnx("signer: no client key is loaded; no channel for "
		    "%s", role_name(role));
		return -1;
	}
	sc = &chans[role];
	if (sc->chan != NULL) {
		ipc_chan_free(sc->chan);
		sc->chan = NULL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("signer: socketpair");
		return -1;
	}
	snprintf(name, sizeof(name), "signer-%s", role_name(role));
	memset(sc, 0, sizeof(*sc));
	sc->role = role;
	signer_bucket_init(&sc->millitokens, &sc->refill_ms, monoclock_ms());
	if ((sc->chan = ipc_chan_new(env->base, sv[0], name, signer_tab,
	    nitems(signer_tab), chan_error, sc)) == NULL) {
		log_warnx("signer: cannot serve a channel for %s",
		    role_name(role));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	ipc_chan_set_roles(sc->chan, ROLE_PARENT, role);
	return sv[1];
}

void
signer_free(void)
{
	size_t i;

	for (i = 0; i < nitems(chans); i++) {
		ipc_chan_free(chans[i].chan);
		chans[i].chan = NULL;
	}
	EVP_PKEY_free(sign_key);	/* BN_clear_free of the private part */
	sign_key = NULL;
	sign_kind = KEY_NONE;
	sign_desc[0] = '\0';
}
