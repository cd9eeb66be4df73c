/*
 * STUB, replaced by the signer branch (agentd/signer.c): only so that
 * this branch links and its tests can see MSG_API_SIGNER arrive.  It
 * keeps no key and serves no channel: a worker that asks it to sign
 * gets EOF.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <unistd.h>

#include "agentd.h"
#include "signer.h"

static int	stub_have_key;
static int	stub_fd[ROLE_MAX] = { -1, -1, -1, -1, -1, -1,
#ifdef AGENTD_TEST_HOOKS
	-1
#endif
};

int
signer_load_key(const char *key_pem, size_t key_len, const char *cert_pem,
    size_t cert_len, char *err, size_t errlen)
{
	if (key_pem == NULL || key_len == 0 || cert_pem == NULL) {
		snprintf(err, errlen, "no key or no certificate");
		return -1;
	}
	stub_have_key = 1;
	return 0;
}

int
signer_have_key(void)
{
	return stub_have_key;
}

int
signer_channel(struct agentd *env, enum proc_role role)
{
	int sv[2];

	if (role >= ROLE_MAX || socketpair(AF_UNIX, SOCK_STREAM |
	    SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if (stub_fd[role] != -1)
		close(stub_fd[role]);
	stub_fd[role] = sv[0];
	return sv[1];
}

void
signer_free(void)
{
	stub_have_key = 0;
}
