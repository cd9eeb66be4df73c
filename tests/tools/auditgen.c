/*
 * Test-only: writes an audit log with the real writer (agentd/audit.c), so
 * that system tests run agentctl audit verify|show on genuine files.
 *
 *	auditgen [-F] [-k KEYFILE] [-m MAX_BYTES] [-n PODS] [-N NODE] PATH
 *
 * Writes agentd.start and config.load, then for each of PODS pods the
 * records of a pod start (policy decision, sandbox, cgroup, container
 * create/start intent+outcome), every fifth pod denied by policy instead.
 * -F fsyncs each record (the default here is not to: tests want speed).
 * Prints the last seq.  Exit 1 on any failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../agentd/audit.h"
#include "log.h"

#define GEN_MAX_PODS	100000

static struct audit_log	*gen_log;
static uint64_t		 gen_seq;

static void
emit(const char *action, const char *phase, const char *ns, const char *name,
    const char *uid, const char *container, const char *details,
    const char *outcome, const char *error)
{
	struct audit_rec r = { .actor = "executor", .action = action,
	    .phase = phase, .pod_ns = ns, .pod_name = name, .pod_uid = uid,
	    .container = container,
	    .image = container ? "docker.io/library/busybox@sha256:"
	    "3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79"
	    : NULL, .details = details, .outcome = outcome, .error = error };

	if (audit_append(gen_log, &r, &gen_seq) == -1) {
		fprintf(stderr, "auditgen: append: %s\n",
		    audit_last_error(gen_log));
		exit(1);
	}
}

/* an action as the executor records it: intent, then outcome */
static void
act(const char *action, const char *ns, const char *name, const char *uid,
    const char *container, const char *details)
{
	emit(action, "intent", ns, name, uid, container, details, NULL, NULL);
	emit(action, "outcome", ns, name, uid, container, details, "ok", NULL);
}

static void
pod_start(int i)
{
	char ns[32], name[32], uid[64];

	snprintf(ns, sizeof(ns), "ns%d", i % 3);
	snprintf(name, sizeof(name), "pod-%d", i);
	snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012d", i);
	if (i % 5 == 4) {
		emit("policy.deny", "event", ns, name, uid, "app",
		    "rule=allowPrivileged;privileged=true", "denied",
		    "privileged containers are not allowed on this node");
		return;
	}
	emit("policy.allow", "event", ns, name, uid, NULL,
	    "uid=1000;privileged=false;hostNetwork=false", "ok", NULL);
	act("sandbox.create", ns, name, uid, NULL, "netns=/run/netns/x");
	act("cgroup.create", ns, name, uid, NULL, "path=/agentd/pod");
	act("container.create", ns, name, uid, "app",
	    "uid=1000;caps=CAP_NET_BIND_SERVICE;privileged=false;"
	    "mounts=/var/lib/agentd/vol:/data:rw");
	act("container.start", ns, name, uid, "app", NULL);
}

int
main(int argc, char *argv[])
{
	struct audit_cfg cfg = { .node = "node-1" };
	struct audit_rec start = { .actor = "agentd", .action = "agentd.start",
	    .phase = "event", .outcome = "ok" };
	struct audit_rec conf = { .actor = "agentd", .action = "config.load",
	    .phase = "event", .outcome = "ok",
	    .details = "path=/etc/agentd/agentd.yaml" };
	char err[512];
	int ch, pods = 10, i;

	log_init("auditgen", LOG_LVL_WARN, 0);
	while ((ch = getopt(argc, argv, "Fk:m:n:N:")) != -1) {
		switch (ch) {
		case 'F': cfg.do_fsync = 1; break;
		case 'k': cfg.key_file = optarg; break;
		case 'm': cfg.max_bytes = strtoull(optarg, NULL, 10); break;
		case 'n': pods = atoi(optarg); break;
		case 'N': cfg.node = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || pods < 0 || pods > GEN_MAX_PODS)
		goto usage;
	cfg.path = argv[optind];
	if ((gen_log = audit_open(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "auditgen: %s\n", err);
		return 1;
	}
	if (audit_append(gen_log, &start, &gen_seq) == -1 ||
	    audit_append(gen_log, &conf, &gen_seq) == -1) {
		fprintf(stderr, "auditgen: %s\n", audit_last_error(gen_log));
		return 1;
	}
	for (i = 0; i < pods; i++)
		pod_start(i);
	audit_close(gen_log);
	printf("%" PRIu64 "\n", gen_seq);
	return 0;
 usage:
	fprintf(stderr, "usage: auditgen [-F] [-k KEYFILE] [-m MAX_BYTES] "
	    "[-n PODS] [-N NODE] PATH\n");
	return 2;
}
