/*
 * fuzz_signer: arbitrary bytes as the payload of a worker's MSG_API_SIGN,
 * decoded and answered as agentd's signer does (agentd/signer.c) with an
 * EC P-256 key made at start.  A payload that decodes is exactly u32 id,
 * u32 alg and a digest of at most MSGB_API_DIGEST bytes; it is signed if
 * and only if the algorithm is ECDSA and the digest 32, 48 or 64 bytes,
 * and then the signature verifies with the certificate's public key;
 * otherwise the refusal says why and gives no signature.  The same bytes
 * as clock steps drive the rate bucket, which never lets more through
 * than its burst and rate allow.  Never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "apiclient.h"
#include "ipc.h"
#include "msgschema.h"
#include "../../agentd/signer.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static EVP_PKEY *pub;

static char *
pem_of(int (*wr)(BIO *, void *), void *obj, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s;
	long n;

	if (b == NULL || !wr(b, obj) || (n = BIO_get_mem_data(b, &p)) <= 0 ||
	    (s = malloc((size_t)n)) == NULL)
		abort();
	memcpy(s, p, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return s;
}

static int
wr_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int
wr_cert(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	char *kp, *cp, err[256];
	size_t kl, cl;

	if (k == NULL || x == NULL)
		abort();
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (X509_sign(x, k, EVP_sha256()) <= 0)
		abort();
	kp = pem_of(wr_key, k, &kl);
	cp = pem_of(wr_cert, x, &cl);
	if (signer_load_key(kp, kl, cp, cl, err, sizeof(err)) == -1) {
		fprintf(stderr, "signer_load_key: %s\n", err);
		abort();
	}
	free(kp);
	free(cp);
	pub = X509_get_pubkey(x);
	X509_free(x);
	EVP_PKEY_free(k);
	return 0;
}

static int
verifies(const uint8_t *dg, size_t len, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int ok;

	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, len == 32 ? EVP_sha256() :
	    len == 48 ? EVP_sha384() : EVP_sha512()) != 1)
		abort();
	ok = EVP_PKEY_verify(ctx, sig, siglen, dg, len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/*
 * The input's bytes as clock steps (0 to 127 ms each): whatever the steps,
 * what the bucket lets through from the start is at most SIGNER_BURST
 * plus SIGNER_RATE a second of the time gone by.
 */
static void
bucket(const uint8_t *data, size_t size)
{
	uint64_t t, taken = 0;
	int64_t r, start = 1000, now = start;
	size_t i;

	signer_bucket_init(&t, &r, now);
	for (i = 0; i < size && i < 4096; i++) {
		now += data[i] >> 1;
		taken += (uint64_t)signer_bucket_take(&t, &r, now);
		if (taken > SIGNER_BURST + (uint64_t)(now - start) *
		    SIGNER_RATE / 1000)
			abort();
		if (t > (uint64_t)SIGNER_BURST * 1000)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	uint8_t sig[MSGB_API_SIGNATURE];
	const uint8_t *digest;
	char err[MSGB_API_ERROR + 1];
	size_t len, siglen = sizeof(sig);
	uint32_t id, alg;
	int rv, want;

	bucket(data, size);
	ipc_msg_init(&m, MSG_API_SIGN, 0);
	if ((m.data = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(m.data, data, size);
	m.len = size;
	m.cap = size ? size : 1;	/* owned: ipc_msg_free frees it */
	if (signer_decode(&m, &id, &alg, &digest, &len) == -1) {
		ipc_msg_free(&m);
		return 0;
	}
	if (len > MSGB_API_DIGEST || size != 12 + len)
		abort();
	err[0] = '\0';
	rv = signer_sign(alg, digest, len, sig, &siglen, err, sizeof(err));
	want = alg == APISIGN_ALG_ECDSA && (len == 32 || len == 48 ||
	    len == 64);
	if (want != (rv == 0))
		abort();
	if (rv == 0 && (siglen == 0 || !verifies(digest, len, sig, siglen)))
		abort();
	if (rv == -1 && (err[0] == '\0' || siglen != 0))
		abort();
	ipc_msg_free(&m);
	return 0;
}
