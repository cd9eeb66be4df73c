/*
 * The TLS client key of API mode, kept by agentd (root) and never handed
 * to a network-facing worker: the watcher and the reporter present the
 * client certificate, and each CertificateVerify signature of their
 * handshakes is asked for here over a signer channel of their own
 * (MSG_API_SIGN -> MSG_API_SIGNATURE, include/apiclient.h), the way
 * OpenSSH's monitor signs with the host key for its unprivileged child.
 * The signer accepts only handshake-sized digests, at a bounded rate.
 */
#ifndef AGENTD_SIGNER_H
#define AGENTD_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "msgcat.h"

struct agentd;

/*
 * The kubeconfig's client key and certificate (PEM): 0, or -1 with err
 * naming what is wrong (unreadable key, a key that is not the
 * certificate's, a type we cannot sign with).  At most one key.
 */
int	signer_load_key(const char *key_pem, size_t key_len,
	    const char *cert_pem, size_t cert_len, char *err, size_t errlen);
/* a key is loaded */
int	signer_have_key(void);
/*
 * A new signer channel for a (re)started worker of role: agentd keeps one
 * end and serves it; the other is returned for MSG_API_SIGNER (the caller
 * sends and so closes it), -1 on failure.  The worker's earlier channel,
 * if any, is closed.
 */
int	signer_channel(struct agentd *, enum proc_role);
/* drop every key byte (at exit) */
void	signer_free(void);

/*
 * The limits.  A worker's handshake needs one signature; SIGNER_BURST
 * covers a reconnect of every connection at once, SIGNER_RATE a second is
 * the sustained rate past it (a worker retries with backoff).
 */
#define SIGNER_BURST		20
#define SIGNER_RATE		5
#define SIGNER_RSA_MIN_BITS	2048
#define SIGNER_RSA_MAX_BITS	8192	/* MSGB_API_SIGNATURE bytes */
#define SIGNER_MAX_PEM		(64 * 1024)	/* MSGB_API_PEM */

/* MSG_API_SIGNATURE status */
#define SIGNER_ST_OK		0
#define SIGNER_ST_REFUSED	1	/* the request: digest, alg, no key */
#define SIGNER_ST_RATE		2	/* over the rate: retry later */

/*
 * The core, apart from the channels (the unit test and fuzz_signer use
 * it).  signer_decode reads MSG_API_SIGN's payload (the digest borrowed
 * from the message), -1 if it is malformed.  signer_sign signs a digest
 * with the loaded key: *siglen is sig's size in, the signature's length
 * out; -1 and err if refused.  The bucket holds millitokens, SIGNER_BURST
 * signs' worth when full, refilled at SIGNER_RATE a second; take is 1 if
 * a sign may go now (and takes its token), 0 if over the rate.
 */
struct ipc_msg;
int	signer_decode(struct ipc_msg *, uint32_t *id, uint32_t *alg,
	    const uint8_t **digest, size_t *len);
int	signer_sign(uint32_t alg, const uint8_t *digest, size_t len,
	    uint8_t *sig, size_t *siglen, char *err, size_t errlen);
void	signer_bucket_init(uint64_t *millitokens, int64_t *refill_ms,
	    int64_t now_ms);
int	signer_bucket_take(uint64_t *millitokens, int64_t *refill_ms,
	    int64_t now_ms);

#endif
