/*
 * Fuzz the audit log line parser, which reads files an attacker may have
 * edited (that is what `agentctl audit verify` is for), the verifier over
 * a whole file built from the input, the anchor reader over the same file,
 * and the writer's details: the input as a value (a file name a watcher
 * or a manifest directory chose) and as a whole details string.  The
 * oracle: the writer never refuses a record for its details, and what it
 * writes always parses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
format_must_parse(const char *details)
{
	static const struct timespec ts = { 1700000000, 0 };
	struct audit_rec r = { .actor = "watcher", .action = "manifest.reject",
	    .details = details };
	struct auditfmt_line l;
	char reason[256], *line;
	size_t len;

	line = auditfmt_format(&r, 1, &ts, "node", AUDITFMT_ZERO_PREV, NULL, 0,
	    &len);
	if (line == NULL && errno == ENOMEM)
		return;
	if (line == NULL ||
	    auditfmt_parse_line(line, len, &l, reason, sizeof(reason)) != 0)
		abort();
	free(line);
}

static void
fuzz_details(const uint8_t *data, size_t size)
{
	char value[4096], details[4 * sizeof(value) + 64];
	size_t n = size < sizeof(value) - 1 ? size : sizeof(value) - 1;

	memcpy(value, data, n);
	value[n] = '\0';		/* a C string ends at its first NUL */
	format_must_parse(value);
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "file", value);
	auditfmt_details_add(details, sizeof(details), "field", value);
	format_must_parse(details);
}

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
		{
			struct auditfmt_anchor a;

			if (auditfmt_anchor_read(path, NULL, 0, &a, reason,
			    sizeof(reason)) == 0)
				auditfmt_verify_anchored(paths, 1, NULL, 0, &a,
				    &res);
			(void)auditfmt_anchor_read(path, key, sizeof(key), &a,
			    reason, sizeof(reason));
		}
	}
	close(fd);
	unlink(path);
	fuzz_details(data, size);
	return 0;
}
