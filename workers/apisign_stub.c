/* stub, replaced by the signer branch */
#include <stdio.h>
#include "apisign.h"
EVP_PKEY *
apisign_key(int fd, const char *cert, size_t len, char *err, size_t errlen)
{
	snprintf(err, errlen, "no signer in this build");
	return NULL;
}
