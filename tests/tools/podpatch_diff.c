/*
 * podpatch_diff: the reporter's pod status PATCH body
 * (workers/reporter/podpatch.h) as a command, so that a test can send it
 * to the test API server and compare what the server made of it
 * (tests/test_podpatch_wire.py):
 *
 *   podpatch_diff UID OLD NEW
 *	OLD and NEW are files holding a v1.PodStatus each, OLD "-" for
 *	none; the patch on stdout, then "empty" or "changed" on a line of
 *	its own (exit 0; 1: unreadable input; 2: usage)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "podpatch.h"

#define MAX_STATUS_BYTES	(1 << 20)	/* far above any pod's status */

static cJSON *
read_json(const char *path)
{
	static char buf[MAX_STATUS_BYTES + 1];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, MAX_STATUS_BYTES + 1, f);
	fclose(f);
	if (n > MAX_STATUS_BYTES)
		return NULL;
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

int
main(int argc, char *argv[])
{
	cJSON *old = NULL, *new, *patch;
	char *txt;

	if (argc != 4) {
		fprintf(stderr, "usage: podpatch_diff UID OLD|- NEW\n");
		return 2;
	}
	if ((strcmp(argv[2], "-") != 0 && (old = read_json(argv[2])) == NULL) ||
	    (new = read_json(argv[3])) == NULL) {
		fprintf(stderr, "podpatch_diff: unreadable status\n");
		return 1;
	}
	if ((patch = podpatch_status(old, new, argv[1])) == NULL ||
	    (txt = cJSON_PrintUnformatted(patch)) == NULL) {
		fprintf(stderr, "podpatch_diff: no patch\n");
		return 1;
	}
	printf("%s\n%s\n", txt, podpatch_is_empty(patch) ? "empty" : "changed");
	free(txt);
	cJSON_Delete(patch);
	cJSON_Delete(old);
	cJSON_Delete(new);
	return 0;
}
