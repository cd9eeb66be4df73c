/*
 * Fuzz the audit log line parser, which reads files an attacker may have
 * edited (that is what `agentctl audit verify` is for), and the verifier
 * over a whole file built from the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";
	struct audit_verify_result res;
	struct auditfmt_line l;
	char reason[256], path[] = "/tmp/fuzz_auditfmt.XXXXXX";
	const char *paths[1];
	int fd;

	auditfmt_parse_line((const char *)data, size, &l, reason,
	    sizeof(reason));
	if ((fd = mkstemp(path)) == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		paths[0] = path;
		memset(&res, 0, sizeof(res));
		auditfmt_verify_files(paths, 1, NULL, 0, &res);
		auditfmt_verify_files(paths, 1, key, sizeof(key), &res);
	}
	close(fd);
	unlink(path);
	return 0;
}
