/* placeholder until the signer branch lands (replaced by it) */
#ifndef AGENTD_APISIGN_H
#define AGENTD_APISIGN_H
#include <stddef.h>
#include <openssl/evp.h>
EVP_PKEY	*apisign_key(int signer_fd, const char *cert_pem, size_t cert_len,
		    char *err, size_t errlen);
#endif
