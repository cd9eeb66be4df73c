/*
 * The cost of one audit record: audit_append with and without fsync.
 *
 *	audit_bench [-n APPENDS] [DIR]
 *
 * DIR (default /var/tmp) should be on the filesystem that will hold the
 * audit log: on tmpfs an fsync costs nothing.  Prints the median and p99
 * of APPENDS (default 1000) timed appends each way, and their ratio.  The
 * record is a typical container.create outcome (~700 bytes).
 */
#include <sys/statfs.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../agentd/audit.h"
#include "log.h"

#define BENCH_DEFAULT_N	1000
#define BENCH_MAX_N	1000000
#define TMPFS_MAGIC	0x01021994

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* times n appends to a fresh log in dir; fills us[] (sorted) */
static int
bench(const char *dir, int do_fsync, int n, double *us)
{
	struct audit_rec r = { .actor = "executor",
	    .action = "container.create", .phase = "outcome",
	    .pod_ns = "default", .pod_name = "web-7d9f8c6b5-x2x4q",
	    .pod_uid = "5f1c8a4e-3b1d-4c9a-9d1e-7a2b3c4d5e6f",
	    .container = "nginx",
	    .image = "docker.io/library/nginx@sha256:"
	    "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
	    .details = "uid=101;gid=101;caps=CAP_CHOWN,CAP_NET_BIND_SERVICE;"
	    "privileged=false;readOnlyRootFilesystem=true;"
	    "mounts=/var/lib/agentd/pods/5f1c/volumes/html:/usr/share/nginx/"
	    "html:ro",
	    .outcome = "ok" };
	struct audit_cfg cfg = { .do_fsync = do_fsync, .node = "node-1" };
	struct audit_log *al;
	char path[1024], err[512];
	double t0;
	int i;

	snprintf(path, sizeof(path), "%s/audit-%s.log", dir,
	    do_fsync ? "fsync" : "nofsync");
	unlink(path);
	cfg.path = path;
	if ((al = audit_open(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "audit_bench: %s\n", err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (audit_append(al, &r, NULL) == -1) {
			fprintf(stderr, "audit_bench: %s\n",
			    audit_last_error(al));
			audit_close(al);
			return -1;
		}
		us[i] = now_us() - t0;
	}
	audit_close(al);
	unlink(path);
	qsort(us, (size_t)n, sizeof(*us), cmp_double);
	return 0;
}

int
main(int argc, char *argv[])
{
	char tmpl[1024];
	const char *base = "/var/tmp";
	struct statfs sfs;
	double *off, *on, moff, mon;
	int ch, n = BENCH_DEFAULT_N;

	log_init("audit_bench", LOG_LVL_WARN, 0);
	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n')
			goto usage;
		n = atoi(optarg);
	}
	if (n < 1 || n > BENCH_MAX_N || argc - optind > 1)
		goto usage;
	if (optind < argc)
		base = argv[optind];
	snprintf(tmpl, sizeof(tmpl), "%s/audit-bench-XXXXXX", base);
	if (mkdtemp(tmpl) == NULL) {
		perror(tmpl);
		return 1;
	}
	if ((off = calloc((size_t)n, sizeof(*off))) == NULL ||
	    (on = calloc((size_t)n, sizeof(*on))) == NULL)
		return 1;
	if (bench(tmpl, 0, n, off) == -1 || bench(tmpl, 1, n, on) == -1) {
		rmdir(tmpl);
		return 1;
	}
	rmdir(tmpl);
	moff = off[n / 2];
	mon = on[n / 2];
	printf("audit_bench: %d appends each way in %s (%s)\n", n, base,
	    statfs(base, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC ?
	    "tmpfs: fsync is free here" : "disk");
	printf("fsync off: median %8.1f us  p99 %8.1f us\n", moff,
	    off[n * 99 / 100]);
	printf("fsync on:  median %8.1f us  p99 %8.1f us\n", mon,
	    on[n * 99 / 100]);
	printf("ratio on/off (median): %.1f\n", moff > 0 ? mon / moff : 0.0);
	free(off);
	free(on);
	return 0;
 usage:
	fprintf(stderr, "usage: audit_bench [-n APPENDS] [DIR]\n");
	return 2;
}
