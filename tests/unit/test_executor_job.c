/*
 * The executor's runtime jobs (workers/executor/job.c): a result arrives
 * on the loop, at most maxParallelRuntimeOps run at once and the rest in
 * order, a job past its timeout is killed with its process group, and a
 * job that dies without a result says so.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "../../workers/executor/job.h"
#include "tap.h"

#define MAX_DONE	16

static struct event_base	*base;
static struct job_out		 outs[MAX_DONE];
static int			 order[MAX_DONE];
static size_t			 ndone, want_done, max_seen_running;

static void
setup(uint32_t parallel)
{
	struct agentd_config conf;

	memset(&conf, 0, sizeof(conf));
	conf.max_runtime_ops = parallel;
	conf.runtime_op_timeout = 120;
	REQUIRE((base = event_base_new()) != NULL);
	job_init(base, &conf);
	ndone = max_seen_running = 0;
}

static void
done_cb(void *ctx, struct job_out *out)
{
	if (ndone < MAX_DONE) {
		outs[ndone] = *out;
		order[ndone] = (int)(intptr_t)ctx;
	}
	ndone++;
	if (ndone >= want_done)
		event_base_loopexit(base, NULL);
}

static void
run_until(size_t n)
{
	struct timeval limit = { 20, 0 };

	want_done = n;
	event_base_loopexit(base, &limit);	/* a hang fails, not blocks */
	event_base_dispatch(base);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
run_hello(void *arg, struct job_out *out)
{
	out->rc = 0;
	snprintf(out->msg, sizeof(out->msg), "hello from %d", (int)getpid());
	snprintf(out->digest, sizeof(out->digest), "%s", (const char *)arg);
}

TEST(job_result_arrives_on_the_loop)
{
	char mine[32];

	setup(2);
	REQUIRE(job_submit("t.hello", 5000, run_hello, "sha256:abc", done_cb,
	    (void *)1) != NULL);
	CHECK_EQ_INT(job_running(), 1);
	run_until(1);
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(outs[0].rc, 0);
	CHECK_EQ_INT(outs[0].timed_out, 0);
	CHECK_STR(outs[0].digest, "sha256:abc");
	snprintf(mine, sizeof(mine), "hello from %d", (int)getpid());
	/* it ran in another process */
	CHECK(strncmp(outs[0].msg, "hello from ", 11) == 0);
	CHECK(strcmp(outs[0].msg, mine) != 0);
	CHECK_EQ_INT(job_running(), 0);
}

static void
run_sleep(void *arg, struct job_out *out)
{
	usleep(200 * 1000);
	out->rc = 0;
}

static void
done_count(void *ctx, struct job_out *out)
{
	if (job_running() > max_seen_running)
		max_seen_running = job_running();
	done_cb(ctx, out);
}

TEST(job_parallel_bound_and_order)
{
	int64_t t0;
	intptr_t i;

	setup(2);
	t0 = mono_ms();
	for (i = 0; i < 5; i++)
		REQUIRE(job_submit("t.sleep", 5000, run_sleep, NULL, done_count,
		    (void *)i) != NULL);
	CHECK_EQ_INT(job_running(), 2);
	CHECK_EQ_INT(job_queued(), 3);
	CHECK_EQ_INT(job_max_parallel(), 2);
	run_until(5);
	CHECK_EQ_INT(ndone, 5);
	/* never more than two at once: three rounds of 200 ms */
	CHECK(max_seen_running <= 2);
	CHECK(mono_ms() - t0 >= 3 * 200);
	/* the queue is served in submission order */
	CHECK(order[4] == 4 || order[4] == 3);
	CHECK_EQ_INT(job_queued(), 0);
}

static char	grandchild_file[64];

/* a runtime that hangs, with a child of its own in the job's group */
static void
run_hang(void *arg, struct job_out *out)
{
	FILE *f;
	pid_t pid;

	if ((pid = fork()) == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	if ((f = fopen(grandchild_file, "w")) != NULL) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
	sleep(30);
	out->rc = 0;
}

TEST(job_past_its_timeout_is_killed_with_its_group)
{
	int64_t t0;
	FILE *f;
	int gc = 0, i;

	snprintf(grandchild_file, sizeof(grandchild_file),
	    "/tmp/agentd-jobtest.%d", (int)getpid());
	setup(2);
	t0 = mono_ms();
	REQUIRE(job_submit("t.hang", 300, run_hang, NULL, done_cb, NULL) !=
	    NULL);
	run_until(1);
	CHECK_EQ_INT(ndone, 1);
	CHECK(mono_ms() - t0 < 5000);
	CHECK_EQ_INT(outs[0].rc, -1);
	CHECK_EQ_INT(outs[0].timed_out, 1);
	CHECK(strstr(outs[0].msg, "t.hang did not finish within") != NULL);
	if ((f = fopen(grandchild_file, "r")) != NULL) {
		if (fscanf(f, "%d", &gc) != 1)
			gc = 0;
		fclose(f);
	}
	unlink(grandchild_file);
	REQUIRE(gc > 0);
	/* gone (reaped by init or us) or at least a zombie soon */
	for (i = 0; i < 100 && kill(gc, 0) == 0; i++) {
		char path[64], st[256] = "";
		FILE *s;

		snprintf(path, sizeof(path), "/proc/%d/stat", gc);
		if ((s = fopen(path, "r")) != NULL) {
			if (fgets(st, sizeof(st), s) == NULL)
				st[0] = '\0';
			fclose(s);
		}
		if (strstr(st, ") Z ") != NULL)
			break;
		usleep(20 * 1000);
	}
	CHECK(i < 100);
}

static void
run_die(void *arg, struct job_out *out)
{
	_exit(3);
}

TEST(job_that_dies_without_a_result_says_so)
{
	setup(1);
	REQUIRE(job_submit("t.die", 5000, run_die, NULL, done_cb, NULL) !=
	    NULL);
	run_until(1);
	CHECK_EQ_INT(outs[0].rc, -1);
	CHECK_EQ_INT(outs[0].timed_out, 0);
	CHECK(strstr(outs[0].msg, "t.die: the job process died (exit 3)") !=
	    NULL);
}
