/*
 * The API workers' TLS client key without the key (workers/apisign.c): an
 * OpenSSL 3 key object that has the client certificate's public key and
 * whose private operation, the handshake's CertificateVerify signature, is
 * one blocking round trip to agentd's signer (agentd/signer.c) over the
 * signer channel (MSG_API_SIGNER's fd): MSG_API_SIGN with the handshake
 * digest, MSG_API_SIGNATURE back.
 */
#ifndef AGENTD_APISIGN_H
#define AGENTD_APISIGN_H

#include <stddef.h>

#include <openssl/evp.h>

/* how long one signature may take agentd, then the handshake fails */
#define APISIGN_TIMEOUT_MS	5000

/*
 * The signature algorithms a handshake may ask of the key: the digests
 * agentd signs (SHA-256/384/512).  For SSL_CTX_set1_client_sigalgs_list,
 * so that a server offering SHA-1 or SHA-224 first is not chosen.
 */
#define APISIGN_SIGALGS \
	"ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:" \
	"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:" \
	"RSA+SHA256:RSA+SHA384:RSA+SHA512"

/*
 * Register the provider (a built-in one in a library context of its own).
 * Call before the sandbox is entered if possible; apisign_key does it on
 * first use otherwise (it opens no file either way).  0, or -1 and err.
 */
int	 apisign_init(char *err, size_t errlen);

/*
 * A key for SSL_CTX_use_certificate + SSL_CTX_use_PrivateKey: the public
 * key of cert_pem (EC or RSA), signing through signer_fd.  The key does
 * not own the fd: keep it open while the key is in use.  NULL and err.
 */
EVP_PKEY *apisign_key(int signer_fd, const char *cert_pem, size_t cert_len,
	    char *err, size_t errlen);

/* why the last signature failed ("" if none did), for the TLS error */
const char *apisign_last_error(void);

#endif
