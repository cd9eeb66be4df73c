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

#endif
