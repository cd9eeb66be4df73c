/*
 * The API workers' client key, which is not here (workers/apisign.h): a
 * small OpenSSL 3 provider, built in and loaded into a library context of
 * its own, with a key manager for "EC" and "RSA" keys that hold only the
 * client certificate's public key and the signer channel's fd, and one
 * signature algorithm each whose sign operation hashes what libssl gives
 * it and asks agentd to sign the digest (MSG_API_SIGN, one blocking round
 * trip, APISIGN_TIMEOUT_MS at most).  libssl sees an ordinary EC or RSA
 * key: SSL_CTX_use_PrivateKey checks it against the certificate (our
 * match compares public keys), picks a signature algorithm by its curve
 * and size, and signs the CertificateVerify of TLS 1.2 (ECDSA, PKCS#1
 * v1.5 or PSS) and TLS 1.3 (ECDSA, PSS) through EVP_DigestSign, which
 * OpenSSL sends to the key's own provider: our signature algorithms have
 * names (APISIGN_SIG_*) that no other provider has.
 *
 * The provider never holds a private key: it imports public keys only and
 * refuses to export a private one, so that OpenSSL never moves the key to
 * the default provider (which could not sign with it).
 *
 * Inside the sandbox a signature needs sendmsg, recvmsg and poll on the
 * signer fd and clock_gettime; hashing and key handling use no system
 * call, and nothing here opens a file (the provider is built in: no
 * dlopen, no configuration).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "apiclient.h"
#include "apisign.h"
#include "ipc.h"
#include "log.h"
#include "monoclock.h"
#include "msgcat.h"
#include "msgschema.h"

/* the signature algorithms' names: only this provider has them */
#define APISIGN_SIG_EC		"AGENTD-APISIGN-ECDSA"
#define APISIGN_SIG_RSA		"AGENTD-APISIGN-RSA"
/* the key parameter that binds a key to its signer channel */
#define APISIGN_PARAM_FD	"agentd-signer-fd"
#define APISIGN_PROVIDER	"agentd-apisign"
#define APISIGN_MAX_ERROR	(MSGB_API_ERROR + 64)

enum key_kind { KIND_EC = 1, KIND_RSA };

/* a key: the certificate's public key (default provider) and the fd */
struct apikey {
	enum key_kind	 kind;
	EVP_PKEY	*pub;
	int		 fd;		/* -1: public only (an import) */
};

/* one signing operation */
struct apisig {
	enum key_kind	 kind;
	struct apikey	*key;		/* borrowed from the pkey */
	EVP_MD		*md;		/* NULL: no digest yet */
	EVP_MD_CTX	*mdctx;		/* digest_sign_*: the hash */
	int		 pad;		/* RSA_PKCS1_(PSS_)PADDING */
	int		 saltlen;	/* PSS: _SALTLEN_DIGEST or n */
};

static OSSL_LIB_CTX	*sign_libctx;
static OSSL_PROVIDER	*sign_prov;
static uint32_t		 sign_next_id;
static char		 sign_error[APISIGN_MAX_ERROR];

/* a failure to sign: logged, kept for the caller and put on the ERR queue */
static void
sign_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
sign_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sign_error, sizeof(sign_error), fmt, ap);
	va_end(ap);
	log_warnx("apisign: %s", sign_error);
	ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "agentd signer: %s",
	    sign_error);
}

const char *
apisign_last_error(void)
{
	return sign_error;
}

/* ---- the round trip ----------------------------------------------------- */

/*
 * Ask agentd to sign; 0 and the signature, or -1.  An answer to an earlier
 * request that timed out is skipped by its id.
 */
static int
signer_roundtrip(int fd, uint32_t alg, const uint8_t *digest, size_t len,
    uint8_t *sig, size_t *siglen, size_t sigsize)
{
	struct ipc_msg m;
	char error[MSGB_API_ERROR + 1];
	const uint8_t *s;
	size_t slen;
	uint32_t id, rid, status;
	int64_t deadline;
	int left;

	if (fd < 0) {
		sign_fail("no signer channel");
		return -1;
	}
	if (++sign_next_id == 0)
		sign_next_id = 1;
	id = sign_next_id;
	ipc_msg_init(&m, MSG_API_SIGN, id);
	ipc_put_u32(&m, id);
	ipc_put_u32(&m, alg);
	ipc_put_bytes(&m, digest, len);
	if (ipc_write_msg(fd, &m) == -1) {
		sign_fail("sending the request: %s", strerror(errno));
		return -1;
	}
	deadline = monoclock_ms() + APISIGN_TIMEOUT_MS;
	for (;;) {
		if ((left = (int)(deadline - monoclock_ms())) <= 0) {
			sign_fail("no answer in %d ms", APISIGN_TIMEOUT_MS);
			return -1;
		}
		if (ipc_read_msg(fd, &m, left) == -1) {
			sign_fail("reading the answer: %s",
			    errno == ETIMEDOUT || errno == EAGAIN ?
			    "timed out" : errno == EPROTO ? "a malformed frame" :
			    errno == 0 ? "channel closed" : strerror(errno));
			return -1;
		}
		if (m.type != MSG_API_SIGNATURE || m.fd != -1 ||
		    ipc_get_u32(&m, &rid) == -1 ||
		    ipc_get_u32(&m, &status) == -1 ||
		    ipc_get_bytes_ref(&m, &s, MSGB_API_SIGNATURE,
		    &slen) == -1 ||
		    ipc_get_str(&m, error, sizeof(error)) == -1 ||
		    ipc_get_end(&m) == -1) {
			sign_fail("a malformed answer (type %u)", m.type);
			ipc_msg_free(&m);
			return -1;
		}
		if (rid != id) {
			/* a late answer to an earlier request */
			ipc_msg_free(&m);
			continue;
		}
		break;
	}
	if (status != 0) {
		sign_fail("agentd refused: %s (status %u)", error, status);
		ipc_msg_free(&m);
		return -1;
	}
	if (slen == 0 || slen > sigsize) {
		sign_fail("a signature of %zu bytes (at most %zu)", slen,
		    sigsize);
		ipc_msg_free(&m);
		return -1;
	}
	memcpy(sig, s, slen);
	*siglen = slen;
	ipc_msg_free(&m);
	sign_error[0] = '\0';
	return 0;
}

/* ---- the key manager ---------------------------------------------------- */

static struct apikey *
key_new(enum key_kind kind)
{
	struct apikey *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->kind = kind;
	k->fd = -1;
	return k;
}

static void *
ec_new(void *provctx)
{
	return key_new(KIND_EC);
}

static void *
rsa_new(void *provctx)
{
	return key_new(KIND_RSA);
}

static void
key_free(void *kd)
{
	struct apikey *k = kd;

	if (k == NULL)
		return;
	EVP_PKEY_free(k->pub);
	free(k);
}

static void *
key_dup(const void *kd, int selection)
{
	const struct apikey *k = kd;
	struct apikey *d;

	if ((d = key_new(k->kind)) == NULL)
		return NULL;
	if (k->pub != NULL && EVP_PKEY_up_ref(k->pub))
		d->pub = k->pub;
	if (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY)
		d->fd = k->fd;
	return d;
}

static int
key_has(const void *kd, int selection)
{
	const struct apikey *k = kd;

	if (k == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && k->fd < 0)
		return 0;
	if ((selection & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY |
	    OSSL_KEYMGMT_SELECT_ALL_PARAMETERS)) && k->pub == NULL)
		return 0;
	return 1;
}

static int
key_match(const void *kd1, const void *kd2, int selection)
{
	const struct apikey *a = kd1, *b = kd2;

	if (a->pub == NULL || b->pub == NULL)
		return 0;
	if (selection & OSSL_KEYMGMT_SELECT_KEYPAIR)
		return EVP_PKEY_eq(a->pub, b->pub) == 1;
	return EVP_PKEY_parameters_eq(a->pub, b->pub) == 1;
}

/* a public key only: a private component is refused */
static int
key_import(void *kd, int selection, const OSSL_PARAM params[])
{
	struct apikey *k = kd;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pub = NULL;

	if (OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY) ||
	    OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_D))
		return 0;
	if (!(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
		return 0;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, k->kind == KIND_EC ?
	    "EC" : "RSA", NULL)) == NULL)
		return 0;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pub,
	    EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return 0;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k->pub);
	k->pub = pub;
	return 1;
}

/* what the default provider exports for a public key */
static const OSSL_PARAM ec_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END
};
static const OSSL_PARAM rsa_types[] = {
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
ec_types_fn(int selection)
{
	return ec_types;
}

static const OSSL_PARAM *
rsa_types_fn(int selection)
{
	return rsa_types;
}

/* never a private key: OpenSSL must not move the key to another provider */
static int
key_export(void *kd, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
	struct apikey *k = kd;
	OSSL_PARAM *params = NULL;
	int rv;

	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) || k->pub == NULL)
		return 0;
	if (EVP_PKEY_todata(k->pub, EVP_PKEY_PUBLIC_KEY, &params) <= 0)
		return 0;
	rv = cb(params, cbarg);
	OSSL_PARAM_free(params);
	return rv;
}

/* bits, size, curve, ...: the public key's */
static int
key_get_params(void *kd, OSSL_PARAM params[])
{
	struct apikey *k = kd;

	if (k->pub == NULL)
		return 0;
	return EVP_PKEY_get_params(k->pub, params);
}

static const OSSL_PARAM key_gettable[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
key_gettable_fn(void *provctx)
{
	return key_gettable;
}

/* the signer fd, set once by apisign_key */
static int
key_set_params(void *kd, const OSSL_PARAM params[])
{
	struct apikey *k = kd;
	const OSSL_PARAM *p;
	int fd;

	if ((p = OSSL_PARAM_locate_const(params, APISIGN_PARAM_FD)) == NULL)
		return 1;
	if (!OSSL_PARAM_get_int(p, &fd) || fd < 0)
		return 0;
	k->fd = fd;
	return 1;
}

static const OSSL_PARAM key_settable[] = {
	OSSL_PARAM_int(APISIGN_PARAM_FD, NULL),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
key_settable_fn(void *provctx)
{
	return key_settable;
}

static const char *
ec_opname(int op)
{
	return op == OSSL_OP_SIGNATURE ? APISIGN_SIG_EC : NULL;
}

static const char *
rsa_opname(int op)
{
	return op == OSSL_OP_SIGNATURE ? APISIGN_SIG_RSA : NULL;
}

#define FN(id, f)	{ id, (void (*)(void))(f) }
#define KEYMGMT_FNS(new, types, opname) \
	FN(OSSL_FUNC_KEYMGMT_NEW, new), \
	FN(OSSL_FUNC_KEYMGMT_FREE, key_free), \
	FN(OSSL_FUNC_KEYMGMT_DUP, key_dup), \
	FN(OSSL_FUNC_KEYMGMT_HAS, key_has), \
	FN(OSSL_FUNC_KEYMGMT_MATCH, key_match), \
	FN(OSSL_FUNC_KEYMGMT_IMPORT, key_import), \
	FN(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, types), \
	FN(OSSL_FUNC_KEYMGMT_EXPORT, key_export), \
	FN(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, types), \
	FN(OSSL_FUNC_KEYMGMT_GET_PARAMS, key_get_params), \
	FN(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, key_gettable_fn), \
	FN(OSSL_FUNC_KEYMGMT_SET_PARAMS, key_set_params), \
	FN(OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, key_settable_fn), \
	FN(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, opname), \
	{ 0, NULL }

static const OSSL_DISPATCH ec_keymgmt[] = {
	KEYMGMT_FNS(ec_new, ec_types_fn, ec_opname)
};
static const OSSL_DISPATCH rsa_keymgmt[] = {
	KEYMGMT_FNS(rsa_new, rsa_types_fn, rsa_opname)
};

/* ---- the signature ------------------------------------------------------ */

static struct apisig *
sig_new(enum key_kind kind)
{
	struct apisig *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->kind = kind;
	s->pad = RSA_PKCS1_PADDING;
	s->saltlen = RSA_PSS_SALTLEN_DIGEST;
	return s;
}

static void *
ec_sig_new(void *provctx, const char *propq)
{
	return sig_new(KIND_EC);
}

static void *
rsa_sig_new(void *provctx, const char *propq)
{
	return sig_new(KIND_RSA);
}

static void
sig_free(void *ctx)
{
	struct apisig *s = ctx;

	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->mdctx);
	EVP_MD_free(s->md);
	free(s);
}

/* EVP_DigestSignFinal signs a copy (the caller may go on hashing) */
static void *
sig_dup(void *ctx)
{
	struct apisig *s = ctx, *d;

	if ((d = sig_new(s->kind)) == NULL)
		return NULL;
	d->key = s->key;
	d->pad = s->pad;
	d->saltlen = s->saltlen;
	if (s->md != NULL && EVP_MD_up_ref(s->md))
		d->md = s->md;
	if (s->mdctx != NULL && ((d->mdctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_MD_CTX_copy_ex(d->mdctx, s->mdctx))) {
		sig_free(d);
		return NULL;
	}
	return d;
}

/* the digests agentd signs: a handshake hash of 32, 48 or 64 bytes */
static int
sig_set_md(struct apisig *s, const char *name)
{
	EVP_MD *md;

	if ((md = EVP_MD_fetch(NULL, name, NULL)) == NULL)
		return 0;
	if (!EVP_MD_is_a(md, "SHA2-256") && !EVP_MD_is_a(md, "SHA2-384") &&
	    !EVP_MD_is_a(md, "SHA2-512")) {
		EVP_MD_free(md);
		return 0;
	}
	EVP_MD_free(s->md);
	s->md = md;
	return 1;
}

static int
pad_mode(const OSSL_PARAM *p, int *pad)
{
	if (p->data_type == OSSL_PARAM_UTF8_STRING) {
		if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0)
			*pad = RSA_PKCS1_PADDING;
		else if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PSS) == 0)
			*pad = RSA_PKCS1_PSS_PADDING;
		else
			return 0;
		return 1;
	}
	if (!OSSL_PARAM_get_int(p, pad))
		return 0;
	return *pad == RSA_PKCS1_PADDING || *pad == RSA_PKCS1_PSS_PADDING;
}

/* PSS in TLS: the salt as long as the digest */
static int
salt_len(const OSSL_PARAM *p, int *saltlen)
{
	if (p->data_type == OSSL_PARAM_UTF8_STRING) {
		if (strcmp(p->data, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) != 0)
			return 0;
		*saltlen = RSA_PSS_SALTLEN_DIGEST;
		return 1;
	}
	return OSSL_PARAM_get_int(p, saltlen) && (*saltlen ==
	    RSA_PSS_SALTLEN_DIGEST || *saltlen > 0);
}

static int
sig_set_params(void *ctx, const OSSL_PARAM params[])
{
	struct apisig *s = ctx;
	const OSSL_PARAM *p;
	const char *name;
	EVP_MD *mgf;
	int ok;

	if (params == NULL)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_DIGEST)) != NULL &&
	    (!OSSL_PARAM_get_utf8_string_ptr(p, &name) ||
	    !sig_set_md(s, name)))
		return 0;
	if (s->kind != KIND_RSA)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL && !pad_mode(p, &s->pad))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL &&
	    !salt_len(p, &s->saltlen))
		return 0;
	/* agentd's MGF1 hash is the signature's: accept only that */
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL) {
		if (!OSSL_PARAM_get_utf8_string_ptr(p, &name) ||
		    (mgf = EVP_MD_fetch(NULL, name, NULL)) == NULL)
			return 0;
		ok = s->md == NULL || EVP_MD_is_a(s->md, EVP_MD_get0_name(mgf));
		EVP_MD_free(mgf);
		if (!ok)
			return 0;
	}
	return 1;
}

static const OSSL_PARAM sig_settable[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
sig_settable_fn(void *ctx, void *provctx)
{
	return sig_settable;
}

static int
sig_get_params(void *ctx, OSSL_PARAM params[])
{
	struct apisig *s = ctx;
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) !=
	    NULL && (s->md == NULL ||
	    !OSSL_PARAM_set_utf8_string(p, EVP_MD_get0_name(s->md))))
		return 0;
	return 1;
}

static const OSSL_PARAM sig_gettable[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
sig_gettable_fn(void *ctx, void *provctx)
{
	return sig_gettable;
}

static int
sig_init(void *ctx, void *kd, const OSSL_PARAM params[])
{
	struct apisig *s = ctx;
	struct apikey *k = kd;

	if (k == NULL || k->kind != s->kind || k->fd < 0 || k->pub == NULL)
		return 0;
	s->key = k;
	return sig_set_params(s, params);
}

/* the most a signature takes: ECDSA's DER or the RSA modulus */
static size_t
sig_size(const struct apisig *s)
{
	int n = EVP_PKEY_get_size(s->key->pub);

	return n > 0 ? (size_t)n : 0;
}

/* the digest, signed by agentd */
static int
sig_digest(struct apisig *s, uint8_t *sig, size_t *siglen, size_t sigsize,
    const uint8_t *digest, size_t len)
{
	uint32_t alg;

	if (s->md == NULL || (size_t)EVP_MD_get_size(s->md) != len) {
		sign_fail("a %zu-byte digest without its hash", len);
		return 0;
	}
	if (s->kind == KIND_EC)
		alg = APISIGN_ALG_ECDSA;
	else if (s->pad == RSA_PKCS1_PADDING)
		alg = APISIGN_ALG_RSA_PKCS1;
	else if (s->saltlen == RSA_PSS_SALTLEN_DIGEST ||
	    (size_t)s->saltlen == len)
		alg = APISIGN_ALG_RSA_PSS;
	else {
		sign_fail("PSS with a %d-byte salt (agentd signs with the "
		    "digest's length)", s->saltlen);
		return 0;
	}
	if (signer_roundtrip(s->key->fd, alg, digest, len, sig, siglen,
	    sigsize) == -1)
		return 0;
	return 1;
}

/* EVP_PKEY_sign: tbs is the digest already */
static int
sig_sign(void *ctx, unsigned char *sig, size_t *siglen, size_t sigsize,
    const unsigned char *tbs, size_t tbslen)
{
	struct apisig *s = ctx;

	if (sig == NULL) {
		*siglen = sig_size(s);
		return *siglen > 0;
	}
	return sig_digest(s, sig, siglen, sigsize, tbs, tbslen);
}

static int
sig_digest_init(void *ctx, const char *mdname, void *kd,
    const OSSL_PARAM params[])
{
	struct apisig *s = ctx;

	if (!sig_init(s, kd, params))
		return 0;
	if (!sig_set_md(s, mdname != NULL && *mdname != '\0' ? mdname :
	    "SHA2-256"))
		return 0;
	if (s->mdctx == NULL && (s->mdctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	return EVP_DigestInit_ex2(s->mdctx, s->md, NULL);
}

static int
sig_digest_update(void *ctx, const unsigned char *data, size_t len)
{
	struct apisig *s = ctx;

	return s->mdctx != NULL && EVP_DigestUpdate(s->mdctx, data, len);
}

static int
sig_digest_final(void *ctx, unsigned char *sig, size_t *siglen,
    size_t sigsize)
{
	struct apisig *s = ctx;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int len;

	if (sig == NULL) {
		*siglen = sig_size(s);
		return *siglen > 0;
	}
	if (s->mdctx == NULL || !EVP_DigestFinal_ex(s->mdctx, digest, &len))
		return 0;
	return sig_digest(s, sig, siglen, sigsize, digest, len);
}

#define SIGNATURE_FNS(new) \
	FN(OSSL_FUNC_SIGNATURE_NEWCTX, new), \
	FN(OSSL_FUNC_SIGNATURE_FREECTX, sig_free), \
	FN(OSSL_FUNC_SIGNATURE_DUPCTX, sig_dup), \
	FN(OSSL_FUNC_SIGNATURE_SIGN_INIT, sig_init), \
	FN(OSSL_FUNC_SIGNATURE_SIGN, sig_sign), \
	FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, sig_digest_init), \
	FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, sig_digest_update), \
	FN(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, sig_digest_final), \
	FN(OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, sig_get_params), \
	FN(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, sig_gettable_fn), \
	FN(OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, sig_set_params), \
	FN(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, sig_settable_fn), \
	{ 0, NULL }

static const OSSL_DISPATCH ec_signature[] = { SIGNATURE_FNS(ec_sig_new) };
static const OSSL_DISPATCH rsa_signature[] = { SIGNATURE_FNS(rsa_sig_new) };

/* ---- the provider ------------------------------------------------------- */

#define PROPS	"provider=" APISIGN_PROVIDER

/* the default provider's names, so that libssl takes them for EC and RSA */
static const OSSL_ALGORITHM prov_keymgmt[] = {
	{ "EC:id-ecPublicKey:1.2.840.10045.2.1", PROPS, ec_keymgmt,
	    "agentd's client key (EC), signed by agentd" },
	{ "RSA:rsaEncryption:1.2.840.113549.1.1.1", PROPS, rsa_keymgmt,
	    "agentd's client key (RSA), signed by agentd" },
	{ NULL, NULL, NULL, NULL }
};
static const OSSL_ALGORITHM prov_signature[] = {
	{ APISIGN_SIG_EC, PROPS, ec_signature, "ECDSA by agentd" },
	{ APISIGN_SIG_RSA, PROPS, rsa_signature, "RSA by agentd" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
prov_query(void *provctx, int op, int *no_cache)
{
	*no_cache = 0;
	switch (op) {
	case OSSL_OP_KEYMGMT:
		return prov_keymgmt;
	case OSSL_OP_SIGNATURE:
		return prov_signature;
	}
	return NULL;
}

static const OSSL_DISPATCH prov_fns[] = {
	FN(OSSL_FUNC_PROVIDER_QUERY_OPERATION, prov_query),
	{ 0, NULL }
};

static int
prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	*out = prov_fns;
	*provctx = NULL;
	return 1;
}

int
apisign_init(char *err, size_t errlen)
{
	char why[256];

	if (sign_prov != NULL)
		return 0;
	/* a context of its own: its "EC" and "RSA" are ours alone */
	if (sign_libctx == NULL && (sign_libctx = OSSL_LIB_CTX_new()) == NULL) {
		snprintf(err, errlen, "apisign: no library context");
		return -1;
	}
	if (!OSSL_PROVIDER_add_builtin(sign_libctx, APISIGN_PROVIDER,
	    prov_init) || (sign_prov = OSSL_PROVIDER_load(sign_libctx,
	    APISIGN_PROVIDER)) == NULL) {
		ERR_error_string_n(ERR_peek_last_error(), why, sizeof(why));
		ERR_clear_error();
		snprintf(err, errlen, "apisign: cannot load the provider: %s",
		    why);
		return -1;
	}
	return 0;
}

/* ---- the key object ----------------------------------------------------- */

EVP_PKEY *
apisign_key(int signer_fd, const char *cert_pem, size_t cert_len, char *err,
    size_t errlen)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pub, *key = NULL;
	OSSL_PARAM *params = NULL;
	const char *type;
	X509 *x = NULL;
	BIO *b = NULL;

	if (apisign_init(err, errlen) == -1)
		return NULL;
	if (signer_fd < 0) {
		snprintf(err, errlen, "apisign: no signer channel");
		return NULL;
	}
	if (cert_len == 0 || cert_len > MSGB_API_PEM ||
	    (b = BIO_new_mem_buf(cert_pem, (int)cert_len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    (pub = X509_get0_pubkey(x)) == NULL) {
		snprintf(err, errlen, "client certificate: not a PEM "
		    "certificate");
		goto out;
	}
	if (EVP_PKEY_is_a(pub, "EC"))
		type = "EC";
	else if (EVP_PKEY_is_a(pub, "RSA"))
		type = "RSA";
	else {
		snprintf(err, errlen, "client certificate: a %s key; agentd "
		    "signs with EC and RSA keys only",
		    EVP_PKEY_get0_type_name(pub) != NULL ?
		    EVP_PKEY_get0_type_name(pub) : "unknown");
		goto out;
	}
	if (EVP_PKEY_todata(pub, EVP_PKEY_PUBLIC_KEY, &params) <= 0 ||
	    (ctx = EVP_PKEY_CTX_new_from_name(sign_libctx, type,
	    NULL)) == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		snprintf(err, errlen, "apisign: cannot make the %s key", type);
		goto out;
	}
	if (!EVP_PKEY_set_int_param(key, APISIGN_PARAM_FD, signer_fd)) {
		snprintf(err, errlen, "apisign: cannot bind the key to the "
		    "signer channel");
		EVP_PKEY_free(key);
		key = NULL;
	}
 out:
	ERR_clear_error();
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	X509_free(x);
	BIO_free(b);
	return key;
}
