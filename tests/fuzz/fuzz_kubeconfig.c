/*
 * fuzz_kubeconfig: arbitrary bytes as a kubeconfig (with file references
 * refused: no directory).  Either a refusal with a message, or a result
 * that keeps what the TLS client will rely on: a host, a port, a client
 * certificate only with its key, some credential, a token of visible
 * ASCII only (it becomes an HTTP header), never a CA with
 * insecure-skip-tls-verify.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubeconfig.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct kubeconfig *kc)
{
	const char *s;

	if (kc->host[0] == '\0' || kc->port == 0 || kc->context[0] == '\0')
		abort();
	if ((kc->cert == NULL) != (kc->key == NULL))
		abort();
	if (kc->cert == NULL && kc->token == NULL)
		abort();
	if (kc->insecure_skip_verify && kc->ca != NULL)
		abort();
	for (s = kc->token; s != NULL && *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			abort();
	if (kc->ca != NULL && kc->ca_len > KUBECONFIG_MAX_PEM)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubeconfig kc;
	char err[512];

	err[0] = '\0';
	if (kubeconfig_parse(&kc, (const char *)data, size, NULL, err,
	    sizeof(err)) == 0) {
		check(&kc);
		kubeconfig_free(&kc);
	} else if (err[0] == '\0')
		abort();
	return 0;
}
