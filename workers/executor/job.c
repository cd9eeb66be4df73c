/*
 * Runtime jobs (see job.h).  A job is a fork of the executor that calls
 * one synchronous runtime function (rt_container_start, rt_sandbox_create,
 * rt_image_import, ...) and writes its struct job_out to a pipe before it
 * exits.  The executor learns of the end from the pipe's EOF and SIGCHLD,
 * both events on its loop; a timer per job kills the job's process group
 * when runtimeOpTimeoutSeconds pass.  conmon daemonizes into its own
 * session, so a killed job never takes a started container with it.
 */
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "job.h"
#include "log.h"

struct job {
	TAILQ_ENTRY(job)	 entry;
	char			 what[JOB_WHAT_MAX];
	int			 timeout_ms;
	job_run_fn		 run;
	void			*arg;
	job_done_fn		 done;
	void			*ctx;
	pid_t			 pid;		/* 0: queued */
	int			 fd;
	int			 eof;
	int			 reaped;
	int			 status;	/* wait status */
	struct event		*rd_ev;
	struct event		*to_ev;
	struct job_out		 out;
	size_t			 got;
};

TAILQ_HEAD(jobq, job);

static struct event_base	*base;
static struct event		*chld_ev;
static struct jobq		 queued = TAILQ_HEAD_INITIALIZER(queued);
static struct jobq		 running = TAILQ_HEAD_INITIALIZER(running);
static size_t			 nqueued, nrunning, max_parallel;
static int			 timeout_ms;

static void	job_next(void);

size_t
job_running(void)
{
	return nrunning;
}

size_t
job_queued(void)
{
	return nqueued;
}

int
job_timeout_ms(void)
{
	return timeout_ms;
}

size_t
job_max_parallel(void)
{
	return max_parallel;
}

/* the child: one runtime call, its result on the pipe, nothing else */
static void __attribute__((noreturn))
job_child(struct job *j, int fd)
{
	struct job_out out;
	const char *p = (const char *)&out;
	size_t left = sizeof(out);
	ssize_t n;

	/* the loop's handlers are the executor's, not this process's */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	memset(&out, 0, sizeof(out));
	j->run(j->arg, &out);
	while (left > 0) {
		if ((n = write(fd, p, left)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		p += n;
		left -= (size_t)n;
	}
	_exit(0);
}

static void
job_free(struct job *j)
{
	if (j->rd_ev != NULL)
		event_free(j->rd_ev);
	if (j->to_ev != NULL)
		event_free(j->to_ev);
	if (j->fd != -1)
		close(j->fd);
	free(j);
}

/* both the pipe's EOF and the child's exit seen: hand the result over */
static void
job_finish(struct job *j)
{
	if (!j->eof || !j->reaped)
		return;
	TAILQ_REMOVE(&running, j, entry);
	nrunning--;
	if (j->out.timed_out) {
		memset(&j->out, 0, sizeof(j->out));
		j->out.timed_out = 1;
		j->out.rc = -1;
		snprintf(j->out.msg, sizeof(j->out.msg), "%s did not finish "
		    "within %d s (runtimeOpTimeoutSeconds) and was killed",
		    j->what, j->timeout_ms / 1000);
	} else if (j->got != sizeof(j->out)) {
		memset(&j->out, 0, sizeof(j->out));
		j->out.rc = -1;
		snprintf(j->out.msg, sizeof(j->out.msg), "%s: the job process "
		    "died (%s %d)", j->what, WIFSIGNALED(j->status) ?
		    "signal" : "exit", WIFSIGNALED(j->status) ?
		    WTERMSIG(j->status) : WEXITSTATUS(j->status));
	}
	j->out.msg[sizeof(j->out.msg) - 1] = '\0';
	j->out.digest[sizeof(j->out.digest) - 1] = '\0';
	j->out.output[sizeof(j->out.output) - 1] = '\0';
	j->done(j->ctx, &j->out);
	job_free(j);
	job_next();
}

static void
job_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct job *j = arg;
	char *dst = (char *)&j->out + j->got;
	char sink[256];
	ssize_t n;

	if (j->got < sizeof(j->out))
		n = read(fd, dst, sizeof(j->out) - j->got);
	else
		n = read(fd, sink, sizeof(sink));	/* never more */
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		if (j->got < sizeof(j->out))
			j->got += (size_t)n;
		else
			j->got = sizeof(j->out) + 1;	/* too long: bad */
		return;
	}
	event_del(j->rd_ev);
	j->eof = 1;
	job_finish(j);
}

static void
job_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct job *j = arg;

	log_warnx("%s: no result after %d ms; killing the job (pid %d)",
	    j->what, j->timeout_ms, (int)j->pid);
	/* the result is the timeout, whatever the child still writes */
	j->out.timed_out = 1;
	kill(-j->pid, SIGKILL);
	kill(j->pid, SIGKILL);
}

/* reap every finished job; SIGCHLD coalesces, so look at all of them */
static void
job_chld_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct job *j, *next;
	int status;
	pid_t pid;

	for (j = TAILQ_FIRST(&running); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->reaped)
			continue;
		pid = waitpid(j->pid, &status, WNOHANG);
		if (pid == 0 || (pid == -1 && errno == EINTR))
			continue;
		j->reaped = 1;
		j->status = pid == j->pid ? status : 0;
		job_finish(j);
	}
}

static int
job_spawn(struct job *j)
{
	struct timeval tv;
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((j->pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (j->pid == 0) {
		close(p[0]);
		job_child(j, p[1]);
	}
	close(p[1]);
	j->fd = p[0];
	if (fcntl(j->fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("job pipe");
	/* the child is its own group leader, also before it says so */
	setpgid(j->pid, j->pid);
	tv.tv_sec = j->timeout_ms / 1000;
	tv.tv_usec = (j->timeout_ms % 1000) * 1000;
	if ((j->rd_ev = event_new(base, j->fd, EV_READ | EV_PERSIST,
	    job_read_cb, j)) == NULL || event_add(j->rd_ev, NULL) == -1 ||
	    (j->to_ev = evtimer_new(base, job_timeout_cb, j)) == NULL ||
	    evtimer_add(j->to_ev, &tv) == -1)
		fatalx("job events");
	return 0;
}

/* start queued jobs while there is room */
static void
job_next(void)
{
	struct job *j;

	while (nrunning < max_parallel && (j = TAILQ_FIRST(&queued)) != NULL) {
		TAILQ_REMOVE(&queued, j, entry);
		nqueued--;
		TAILQ_INSERT_TAIL(&running, j, entry);
		nrunning++;
		if (job_spawn(j) == 0)
			continue;
		log_warn("%s: cannot fork a job", j->what);
		j->out.rc = -1;
		snprintf(j->out.msg, sizeof(j->out.msg), "%s: cannot start a "
		    "job process: %s", j->what, strerror(errno));
		j->got = sizeof(j->out);
		j->eof = j->reaped = 1;
		job_finish(j);
		return;		/* job_finish started the next one */
	}
}

struct job *
job_submit(const char *what, int tmo, job_run_fn run, void *arg,
    job_done_fn done, void *ctx)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	snprintf(j->what, sizeof(j->what), "%s", what);
	j->timeout_ms = tmo > 0 ? tmo : timeout_ms;
	j->run = run;
	j->arg = arg;
	j->done = done;
	j->ctx = ctx;
	j->fd = -1;
	TAILQ_INSERT_TAIL(&queued, j, entry);
	nqueued++;
	job_next();
	return j;
}

/* the child of an exec job: the command, its end and output */
void
job_run_exec(void *arg, struct job_out *out)
{
	const struct job_exec *je = arg;
	struct rt_exec_result *res;
	struct rt_err err;

	memset(&err, 0, sizeof(err));
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		out->rc = -1;
		snprintf(out->msg, sizeof(out->msg), "exec: out of memory");
		return;
	}
	out->rc = rt_container_exec(je->id, je->cmd, je->timeout_ms, res,
	    &err);
	out->exit_code = res->exit_code;
	out->exec_timed_out = res->timed_out;
	memcpy(out->output, res->out, sizeof(out->output));
	if (out->rc == -1)
		snprintf(out->msg, sizeof(out->msg), "%s", rt_errmsg(&err));
	free(res);
}

void
job_init(struct event_base *b, const struct agentd_config *conf)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	base = b;
	max_parallel = conf->max_runtime_ops;
	if (max_parallel == 0)
		max_parallel = (size_t)(ncpu > 0 ? ncpu : 1) *
		    JOB_DEFAULT_PER_CPU;
	if (max_parallel > CONFIG_MAX_RUNTIME_OPS)
		max_parallel = CONFIG_MAX_RUNTIME_OPS;
	timeout_ms = (int)conf->runtime_op_timeout * 1000;
	if (timeout_ms <= 0)
		timeout_ms = 120 * 1000;
	if ((chld_ev = evsignal_new(base, SIGCHLD, job_chld_cb, NULL)) ==
	    NULL || event_add(chld_ev, NULL) == -1)
		fatalx("SIGCHLD event");
}
