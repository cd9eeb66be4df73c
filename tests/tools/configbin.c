/*
 * configbin: agentd.yaml in, the binary form agentd puts in its workers'
 * config memfd out (common/configbin.c), for tests that play agentd and
 * start a worker themselves (test_foundation.py).
 *
 * usage: configbin agentd.yaml >config.bin
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int
main(int argc, char *argv[])
{
	static uint8_t buf[CONFIG_BIN_MAX_BYTES];
	struct agentd_config c;
	char why[1024];
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: configbin agentd.yaml\n");
		return 2;
	}
	if (config_load(&c, argv[1], why, sizeof(why)) == -1)
		errx(1, "%s", why);
	if (config_bin_encode(&c, buf, sizeof(buf), &len) == -1)
		errx(1, "configuration too large");
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) == EOF)
		err(1, "stdout");
	config_free(&c);
	return 0;
}
