/*
 * agentctl logs (see logs.h).  A run's log is its rotated files, oldest
 * first, then RUN.log; --tail and --since count over all of them.  -f
 * follows RUN.log as `tail -F` does: at its end, a name that now points
 * at another file means the executor rotated it; what conmon wrote to
 * the old file before it reopened is read first (the descriptor still
 * holds it), then any file rotated since, then the new RUN.log from its
 * start: no line is lost or shown twice.  A newer RUN.log (a restart) is
 * followed into once the old one is drained.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "crilog.h"
#include "log.h"
#include "logs.h"

#define LOGS_MAX_FILES		1024	/* rotated files of one run read */
#define LOGS_LINE_MAX		(1024 * 1024)	/* conmon's are 8 KiB */
#define LOGS_READ_CHUNK		(64 * 1024)
#define LOGS_POLL_US		100000
#define LOGS_STATUS_EVERY	10	/* polls between asking agentd */
#define LOGS_LIST_TRIES		5
#define LOGS_TS_LEN		15	/* the executor's YYYYMMDD-HHMMSS */
/* RUN.log renamed, conmon not reopened yet: wait this long (5 s) */
#define LOGS_REOPEN_WAIT	250
#define LOGS_REOPEN_SLICE_US	20000

/* one file being read, plain or gzip, by lines */
struct lsrc {
	int		 fd;
	gzFile		 gz;
	dev_t		 dev;
	ino_t		 ino;
	char		*buf;
	size_t		 len;
	size_t		 off;
	off_t		 consumed;	/* bytes of the lines handed out */
	off_t		 limit;		/* -1, or hand out no byte past it */
};

struct reader {
	const struct logs_opts	*o;
	struct cri_join		 join;
	int64_t			 last_ts;	/* of the last line read */
	int			 counting;	/* pass 1 of --tail */
	long long		 count;
	long long		 skip;
};

/* ---- names: RUN.log, RUN.log.TS, RUN.log.TS.gz ---- */

static int
rotated_kind(const char *base, const char *name)
{
	size_t n = strlen(base), i;
	const char *r;

	if (strncmp(name, base, n) != 0 || name[n] != '.')
		return 0;
	r = name + n + 1;
	for (i = 0; i < LOGS_TS_LEN; i++)
		if (i == 8 ? r[i] != '-' : (r[i] < '0' || r[i] > '9'))
			return 0;
	r += LOGS_TS_LEN;
	if (*r == '\0')
		return 1;
	return strcmp(r, ".gz") == 0 ? 2 : 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
}

/*
 * The rotated files of base in use, oldest first, as the kubelet's
 * GetAllLogs: a plain file whose .gz is there too is being compressed
 * and the .gz is the one to read.
 */
static size_t
list_rotated(const char *cdir, const char *base, char **names)
{
	struct dirent *de;
	size_t n = 0, i, j, len;
	DIR *d;

	if ((d = opendir(cdir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < LOGS_MAX_FILES)
		if (rotated_kind(base, de->d_name) != 0 &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	closedir(d);
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		for (j = 0; j < n; j++)
			if (names[j] != NULL && names[i] != NULL &&
			    strncmp(names[j], names[i], len) == 0 &&
			    strcmp(names[j] + len, ".gz") == 0) {
				free(names[i]);
				names[i] = NULL;
				break;
			}
	}
	for (i = j = 0; i < n; i++)
		if (names[i] != NULL)
			names[j++] = names[i];
	qsort(names, j, sizeof(names[0]), cmp_name);
	return j;
}

/* ---- sources ---- */

static int
src_open(struct lsrc *s, const char *cdir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(name);

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->limit = -1;
	if (snprintf(path, sizeof(path), "%s/%s", cdir, name) >=
	    (int)sizeof(path))
		return -1;
	if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(s->fd, &st) == -1) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (n > 3 && strcmp(name + n - 3, ".gz") == 0) {
		if ((s->gz = gzdopen(s->fd, "rb")) == NULL) {
			close(s->fd);
			s->fd = -1;
			return -1;
		}
		s->fd = -1;	/* gzclose closes it */
	}
	return 0;
}

/* a rotated file that went (compressed meanwhile): its .gz */
static int
src_open_rotated(struct lsrc *s, const char *cdir, const char *name)
{
	char gz[NAME_MAX + 1];

	if (src_open(s, cdir, name) == 0)
		return 0;
	if (errno != ENOENT || snprintf(gz, sizeof(gz), "%s.gz", name) >=
	    (int)sizeof(gz))
		return -1;
	return src_open(s, cdir, gz);
}

/*
 * RUN.log, which is missing only between the executor's rename and
 * conmon's reopen: a moment, waited for
 */
static int
src_open_current(struct lsrc *s, const char *cdir, const char *base)
{
	int i;

	for (i = 0; i < LOGS_REOPEN_WAIT; i++) {
		if (src_open(s, cdir, base) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		usleep(LOGS_REOPEN_SLICE_US);
	}
	return -1;
}

static void
src_close(struct lsrc *s)
{
	if (s->gz != NULL)
		gzclose(s->gz);
	if (s->fd != -1)
		close(s->fd);
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static int
src_rewind(struct lsrc *s)
{
	s->len = s->off = 0;
	s->consumed = 0;
	if (s->gz != NULL)
		return gzrewind(s->gz) == 0 ? 0 : -1;
	return lseek(s->fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

/* 1 and a line (with its '\n'), or 0: none whole yet (the end for now) */
static int
src_line(struct lsrc *s, const char **line, size_t *len)
{
	char *nl;
	ssize_t n;
	size_t want;

	for (;;) {
		if (s->limit != -1 && s->consumed >= s->limit)
			return 0;
		nl = s->len > s->off ? memchr(s->buf + s->off, '\n',
		    s->len - s->off) : NULL;
		if (nl != NULL || s->len - s->off >= LOGS_LINE_MAX) {
			*line = s->buf + s->off;
			*len = nl != NULL ? (size_t)(nl - *line) + 1 :
			    s->len - s->off;
			s->off += *len;
			s->consumed += (off_t)*len;
			return 1;
		}
		if (s->off > 0) {
			memmove(s->buf, s->buf + s->off, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		if (s->buf == NULL && (s->buf = malloc(LOGS_LINE_MAX +
		    LOGS_READ_CHUNK)) == NULL)
			fatal("malloc");
		want = LOGS_LINE_MAX + LOGS_READ_CHUNK - s->len;
		if (want > LOGS_READ_CHUNK)
			want = LOGS_READ_CHUNK;
		n = s->gz != NULL ? gzread(s->gz, s->buf + s->len,
		    (unsigned)want) : read(s->fd, s->buf + s->len, want);
		if (n <= 0) {
			if (s->gz != NULL)
				gzclearerr(s->gz);
			return 0;
		}
		s->len += (size_t)n;
	}
}

/* ---- output ---- */

static void
put_msg(struct reader *r, const struct cri_msg *m, int raw)
{
	char ts[CRI_TS_MAX];

	if (r->o->since_ns != 0 && (raw || m->ts_ns < r->o->since_ns))
		return;
	if (r->counting) {
		r->count++;
		return;
	}
	if (r->skip > 0) {
		r->skip--;
		return;
	}
	if (r->o->timestamps && !raw) {
		cri_format_time(m->ts_ns, m->tz_off_s, ts);
		fputs(ts, stdout);
		putchar(' ');
	}
	fwrite(m->text, 1, m->text_len, stdout);
	if (m->text_len == 0 || m->text[m->text_len - 1] != '\n')
		putchar('\n');
}

static void
feed(struct reader *r, const char *line, size_t len)
{
	struct cri_line l;
	struct cri_msg m;

	if (cri_parse_line(line, len, &l) == -1) {
		/* not CRI: shown as it is, but never inside a --since */
		memset(&m, 0, sizeof(m));
		m.text = line;
		m.text_len = len;
		put_msg(r, &m, 1);
		return;
	}
	r->last_ts = l.ts_ns;
	if (cri_join_feed(&r->join, &l, &m) == 1)
		put_msg(r, &m, 0);
}

/* a P line whose F never came (the run ended): let it out */
static void
flush_partials(struct reader *r)
{
	struct cri_msg m;
	int i;

	for (i = 0; i < 2; i++) {
		struct cri_part *p = &r->join.part[i];

		if (!p->active)
			continue;
		memset(&m, 0, sizeof(m));
		m.ts_ns = p->ts_ns;
		m.tz_off_s = p->tz_off_s;
		m.text = p->buf;
		m.text_len = p->len;
		p->active = 0;
		put_msg(r, &m, 0);
	}
}

static void
drain(struct reader *r, struct lsrc *s)
{
	const char *line;
	size_t len;

	while (src_line(s, &line, &len) == 1)
		feed(r, line, len);
}

/* ---- one run: its files, oldest first ---- */

struct run_files {
	struct lsrc	 src[LOGS_MAX_FILES + 1];
	size_t		 n;		/* the last is RUN.log */
};

static void
run_close(struct run_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		src_close(&f->src[i]);
	f->n = 0;
}

static int
same_names(char **a, size_t na, char **b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/*
 * Open every file of the run.  A rotation between the listing and the
 * opening of RUN.log would hide the file it made: the listing is taken
 * again, and all of it opened again, until it holds still.
 */
static int
run_open(struct run_files *f, const char *cdir, const char *base)
{
	char *names[LOGS_MAX_FILES], *again[LOGS_MAX_FILES];
	size_t n, m, i;
	int tries;

	for (tries = 0; tries < LOGS_LIST_TRIES; tries++) {
		n = list_rotated(cdir, base, names);
		f->n = 0;
		for (i = 0; i < n; i++)
			if (src_open_rotated(&f->src[f->n], cdir,
			    names[i]) == 0)
				f->n++;
		if (src_open_current(&f->src[f->n], cdir, base) == -1) {
			free_names(names, n);
			run_close(f);
			return -1;
		}
		f->n++;
		m = list_rotated(cdir, base, again);
		i = same_names(names, n, again, m);
		free_names(names, n);
		free_names(again, m);
		if (i)
			return 0;
		run_close(f);
	}
	return -1;
}

/* the whole run, --tail and --since applied; its RUN.log stays open */
static void
run_dump(struct reader *r, struct run_files *f, long long tail)
{
	size_t i;

	if (tail >= 0) {
		r->counting = 1;
		r->count = 0;
		for (i = 0; i < f->n; i++)
			drain(r, &f->src[i]);
		cri_join_free(&r->join);
		r->counting = 0;
		r->skip = r->count > tail ? r->count - tail : 0;
		/* what RUN.log got since is new, not part of the tail */
		f->src[f->n - 1].limit = f->src[f->n - 1].consumed;
		for (i = 0; i < f->n; i++)
			if (src_rewind(&f->src[i]) == -1)
				fatal("rereading the log");
	}
	for (i = 0; i < f->n; i++)
		drain(r, &f->src[i]);
	f->src[f->n - 1].limit = -1;
	r->skip = 0;
}

/* ---- runs ---- */

/* every RUN that has RUN.log or a rotated RUN.log.TS, ascending, once */
static size_t
list_runs(const char *cdir, int *runs, size_t max)
{
	struct dirent *de;
	char base[32], *end;
	size_t n = 0, i, j;
	long v;
	int t;
	DIR *d;

	if ((d = opendir(cdir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		errno = 0;
		v = strtol(de->d_name, &end, 10);
		if (errno != 0 || v > INT_MAX)
			continue;
		snprintf(base, sizeof(base), "%ld.log", v);
		/* N.log, or a rotated N.log.TS (N.log is renamed a moment) */
		if (strcmp(end, ".log") != 0 &&
		    rotated_kind(base, de->d_name) == 0)
			continue;
		for (i = 0; i < n && runs[i] != (int)v; i++)
			;
		if (i == n)
			runs[n++] = (int)v;
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && runs[j - 1] > runs[j]; j--) {
			t = runs[j];
			runs[j] = runs[j - 1];
			runs[j - 1] = t;
		}
	return n;
}

/* the smallest run after run, or -1 */
static int
next_run(const char *cdir, int run)
{
	int runs[4096];
	size_t n = list_runs(cdir, runs, 4096), i;

	for (i = 0; i < n; i++)
		if (runs[i] > run)
			return runs[i];
	return -1;
}

static const cJSON *
ctr_status(const cJSON *pod, const char *name)
{
	static const char *const lists[] = { "containerStatuses",
		"initContainerStatuses", "ephemeralContainerStatuses" };
	const cJSON *st = cJSON_GetObjectItem(pod, "status"), *c, *n;
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, lists[i])) {
			n = cJSON_GetObjectItem(c, "name");
			if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
				return c;
		}
	return NULL;
}

static const char *
jstr(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(o, a);

	if (b != NULL)
		v = cJSON_GetObjectItem(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * --previous is the run in lastState (kubelet's validateContainerLogStatus
 * takes lastState.terminated.containerID).  The log files are numbered by
 * restartCount, which grows when a run is removed for the next one: while
 * a run is up (or being started), lastState's is restartCount - 1; in a
 * back-off the dead run is still the container in state (the same
 * containerID as lastState's) and is restartCount itself.
 */
static int
previous_run(const cJSON *cs, const char *pod, const char *container)
{
	const cJSON *last, *rc;
	const char *lastid, *curid;
	int n;

	last = cJSON_GetObjectItem(cJSON_GetObjectItem(cs, "lastState"),
	    "terminated");
	rc = cJSON_GetObjectItem(cs, "restartCount");
	if (last == NULL || !cJSON_IsNumber(rc))
		fatalx("previous terminated container \"%s\" in pod \"%s\" "
		    "not found", container, pod);
	lastid = jstr(last, "containerID", NULL);
	curid = jstr(cs, "containerID", NULL);
	n = rc->valueint;
	if (lastid == NULL || curid == NULL || strcmp(lastid, curid) != 0)
		n--;
	return n;
}

static int
pick_run(const struct logs_opts *o, const char *cdir, const cJSON *pod)
{
	int runs[4096];
	size_t n = list_runs(cdir, runs, 4096);
	const cJSON *cs;
	int want;

	if (n == 0)
		fatalx("no logs for container %s", o->container);
	if (!o->previous)
		return runs[n - 1];
	if (pod != NULL && (cs = ctr_status(pod, o->container)) != NULL) {
		want = previous_run(cs, o->pod, o->container);
		if (want >= 0)
			for (; n > 0; n--)
				if (runs[n - 1] == want)
					return want;
		fatalx("the log of the previous run of container %s (%d) is "
		    "gone", o->container, want);
	}
	/* agentd cannot say: the run before the newest file's */
	if (n < 2)
		fatalx("container %s has no previous run", o->container);
	log_warnx("agentd cannot say which run is in lastState: showing "
	    "the one before the newest log");
	return runs[n - 2];
}

/* ---- the pod's directory ---- */

static int
pod_dir_by_uid(const struct logs_opts *o, const char *uid, char *out,
    size_t len)
{
	struct stat st;

	if (snprintf(out, len, "%s/%s_%s_%s", o->pod_logs_dir, o->ns, o->pod,
	    uid) >= (int)len)
		return -1;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* no uid known: the newest directory of that namespace and name */
static int
newest_pod_dir(const struct logs_opts *o, char *out, size_t len)
{
	char prefix[POD_MAX_NAMESPACE + POD_MAX_NAME + 3], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t best = 0;
	int found = 0;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "%s_%s_", o->ns, o->pod);
	if ((d = opendir(o->pod_logs_dir)) == NULL)
		fatal("%s", o->pod_logs_dir);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    strchr(de->d_name + strlen(prefix), '_') != NULL)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", o->pod_logs_dir,
		    de->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) == 0 && (!found || st.st_mtime >= best)) {
			best = st.st_mtime;
			snprintf(out, len, "%s", path);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : -1;
}

static int
only_container(const char *poddir, char *out, size_t len)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(poddir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			if (snprintf(out, len, "%s", de->d_name) >= (int)len)
				n++;	/* not a container name of ours */
			n++;
		}
	closedir(d);
	return n == 1 ? 0 : -1;
}

/* ---- following ---- */

/* the pod will run nothing more: gone, Succeeded or Failed */
static int
pod_finished(const struct logs_opts *o, const char *nsname)
{
	const char *phase;
	cJSON *pod;
	int gone = 0, done;

	if ((pod = o->pod_status(nsname, &gone)) == NULL)
		return gone;
	phase = jstr(pod, "status", "phase");
	done = phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
	    strcmp(phase, "Failed") == 0);
	cJSON_Delete(pod);
	return done;
}

/*
 * RUN.log was renamed: drain the old file, then read every file rotated
 * after it (newer lines than the last one read) but the new RUN.log,
 * which is then followed from its start.
 */
static int
follow_rotation(struct reader *r, struct lsrc *cur, const char *cdir,
    const char *base)
{
	char *names[LOGS_MAX_FILES];
	struct lsrc s, peek;
	const char *line;
	struct cri_line l;
	size_t n, i, len;

	dev_t old_dev = cur->dev;
	ino_t old_ino = cur->ino;

	drain(r, cur);
	src_close(cur);
	if (src_open_current(&s, cdir, base) == -1)
		return -1;
	n = list_rotated(cdir, base, names);
	for (i = 0; i < n; i++) {
		if (src_open_rotated(&peek, cdir, names[i]) == -1)
			continue;
		/* the file just drained, and the new RUN.log rotated again */
		if ((peek.dev == old_dev && peek.ino == old_ino) ||
		    (peek.dev == s.dev && peek.ino == s.ino) ||
		    src_line(&peek, &line, &len) != 1 ||
		    cri_parse_line(line, len, &l) == -1 ||
		    l.ts_ns <= r->last_ts) {
			src_close(&peek);
			continue;
		}
		feed(r, line, len);
		drain(r, &peek);
		src_close(&peek);
	}
	free_names(names, n);
	*cur = s;
	return 0;
}

/* 1: base now names another file than cur (or none, for a moment) */
static int
rotated_away(const struct lsrc *cur, const char *cdir, const char *base,
    int *missing)
{
	char path[PATH_MAX];
	struct stat st;

	*missing = 0;
	if (snprintf(path, sizeof(path), "%s/%s", cdir, base) >=
	    (int)sizeof(path))
		return 0;
	if (stat(path, &st) == -1) {
		*missing = errno == ENOENT;
		return 0;
	}
	return st.st_dev != cur->dev || st.st_ino != cur->ino;
}

static void __attribute__((noreturn))
follow(struct reader *r, struct lsrc *cur, const char *cdir, int run,
    const char *nsname)
{
	struct run_files *f;
	char base[32];
	struct stat st;
	int missing, next, polls = 0;

	snprintf(base, sizeof(base), "%d.log", run);
	for (;;) {
		drain(r, cur);
		fflush(stdout);
		if (rotated_away(cur, cdir, base, &missing)) {
			if (follow_rotation(r, cur, cdir, base) == -1)
				fatal("%s/%s", cdir, base);
			continue;
		}
		if (!missing && (next = next_run(cdir, run)) != -1) {
			/* the run ended: what it wrote last, then the next */
			drain(r, cur);
			flush_partials(r);
			src_close(cur);
			run = next;
			snprintf(base, sizeof(base), "%d.log", run);
			if ((f = calloc(1, sizeof(*f))) == NULL)
				fatal("calloc");
			if (run_open(f, cdir, base) == -1)
				fatal("%s/%s", cdir, base);
			run_dump(r, f, -1);
			*cur = f->src[f->n - 1];
			f->n--;
			run_close(f);
			free(f);
			continue;
		}
		if (stat(cdir, &st) == -1)
			break;		/* the pod's logs were removed */
		if (++polls % LOGS_STATUS_EVERY == 0 && pod_finished(r->o, nsname))
			break;
		usleep(LOGS_POLL_US);
	}
	drain(r, cur);
	flush_partials(r);
	fflush(stdout);
	exit(0);
}

int
logs_run(const struct logs_opts *o)
{
	char nsname[POD_MAX_NAMESPACE + POD_MAX_NAME + 2], poddir[PATH_MAX];
	char cdir[PATH_MAX], base[32], container[POD_MAX_LABEL + 1];
	const char *uid = NULL;
	struct run_files *f;
	struct reader r;
	struct lsrc cur;
	cJSON *pod = NULL;
	int gone = 0, run;

	snprintf(nsname, sizeof(nsname), "%s/%s", o->ns, o->pod);
	if (o->pod_status != NULL &&
	    (pod = o->pod_status(nsname, &gone)) != NULL)
		uid = jstr(pod, "metadata", "uid");
	/* the uid picks the pod's own directory, not a namesake's */
	if ((uid == NULL || pod_dir_by_uid(o, uid, poddir,
	    sizeof(poddir)) == -1) &&
	    newest_pod_dir(o, poddir, sizeof(poddir)) == -1) {
		if (gone)
			fatalx("no such pod %s", nsname);
		if (pod != NULL)
			fatalx("pod %s has no logs yet", nsname);
		fatalx("no logs for pod %s, and agentd cannot say whether it "
		    "exists", nsname);
	}
	snprintf(container, sizeof(container), "%s", o->container);
	if (container[0] == '\0' && only_container(poddir, container,
	    sizeof(container)) == -1)
		fatalx("pod %s has several containers: choose one with -c",
		    nsname);
	if (snprintf(cdir, sizeof(cdir), "%s/%s", poddir, container) >=
	    (int)sizeof(cdir))
		fatalx("log path too long");
	{
		struct logs_opts named = *o;

		snprintf(named.container, sizeof(named.container), "%s",
		    container);
		run = pick_run(&named, cdir, pod);
	}
	cJSON_Delete(pod);
	snprintf(base, sizeof(base), "%d.log", run);
	memset(&r, 0, sizeof(r));
	r.o = o;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("calloc");
	if (run_open(f, cdir, base) == -1)
		fatal("%s/%s", cdir, base);
	run_dump(&r, f, o->tail);
	if (!o->follow || o->previous) {
		flush_partials(&r);
		run_close(f);
		free(f);
		cri_join_free(&r.join);
		fflush(stdout);
		return 0;
	}
	cur = f->src[f->n - 1];
	f->n--;
	run_close(f);
	free(f);
	follow(&r, &cur, cdir, run, nsname);
}
