/*
 * agentctl audit verify [--key FILE] [--anchor FILE] [--mark] [-f CONFIG]
 *                      [FILE...]
 * agentctl audit show [--pod NS/NAME] [--action A] [--since T] [--until T]
 *                     [-o json] [-f CONFIG] [FILE...]
 *
 * Both read the files directly (no agentd needed) and default to the
 * auditLog of the configuration and its rotated files.  verify is the
 * chain check of common/auditfmt.c, and the log's end against the tail
 * anchor (auditAnchorFile) when there is one; show is a filtered timeline
 * that trusts nothing it reads (records are untrusted text when printed).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "auditfmt.h"
#include "audit_cmd.h"
#include "config.h"

#define SHOW_COLUMNS		10	/* the last, DETAILS, with -o wide */
#define SHOW_MAX_CELL		1024	/* bytes of one table cell */
#define DURATION_MAX_SECONDS	(100LL * 366 * 86400)
#define NSEC_PER_SEC		1000000000L

static const char *const show_headers[SHOW_COLUMNS] = {
	"TIME", "SEQ", "ACTOR", "ACTION", "PHASE", "NS/NAME", "CONTAINER",
	"OUTCOME", "ERROR", "DETAILS"
};

struct file_set {
	char		*owned[AUDITFMT_MAX_FILES];	/* from the config */
	const char	*paths[AUDITFMT_MAX_FILES];
	int		 n;
	/* from the config: the anchor, and whether the live log is there */
	char		 anchor[AUDITFMT_MAX_PATH];
	char		 live[AUDITFMT_MAX_PATH];
	int		 live_missing;
};

struct show_opts {
	const char	*pod;
	const char	*action;
	int		 has_since;
	int		 has_until;
	struct timespec	 since;
	struct timespec	 until;
	int		 json;
	int		 wide;		/* -o wide: a DETAILS column */
};

struct show_row {
	char		*cell[SHOW_COLUMNS];
};

struct show_table {
	struct show_row	*rows;
	size_t		 n;
	size_t		 cap;
};

static void
audit_usage(void)
{
	fprintf(stderr,
	    "usage: agentctl audit verify [--key FILE] [--anchor FILE] [--mark] "
	    "[-f CONFIG]\n"
	    "                             [FILE...]\n"
	    "       agentctl audit show [--pod NS/NAME] [--action PATTERN] "
	    "[--since TIME]\n"
	    "                           [--until TIME] [-o json|wide] "
	    "[-f CONFIG] [FILE...]\n"
	    "TIME: RFC 3339 (2026-11-28T07:33:42Z) or a duration ago "
	    "(90s, 10m, 2h, 1d)\n");
}

/* ---- time ------------------------------------------------------------- */

/* exactly n digits at *sp into *v */
static int
take_digits(const char **sp, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*sp)[i] < '0' || (*sp)[i] > '9')
			return -1;
		*v = *v * 10 + ((*sp)[i] - '0');
	}
	*sp += n;
	return 0;
}

static int
take_char(const char **sp, const char *any)
{
	if (**sp == '\0' || strchr(any, **sp) == NULL)
		return -1;
	(*sp)++;
	return 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int
take_fraction(const char **sp, long *nsec)
{
	long scale = NSEC_PER_SEC / 10;
	int n = 0;

	*nsec = 0;
	if (**sp != '.')
		return 0;
	for ((*sp)++; **sp >= '0' && **sp <= '9'; (*sp)++, n++) {
		if (n == 9)
			return -1;
		*nsec += (**sp - '0') * scale;
		scale /= 10;
	}
	return n == 0 ? -1 : 0;
}

/* Z, z or +hh:mm / -hh:mm, in seconds east of UTC */
static int
take_offset(const char **sp, long *off)
{
	int sign, h, m;

	*off = 0;
	if (take_char(sp, "Zz") == 0)
		return 0;
	if (**sp != '+' && **sp != '-')
		return -1;
	sign = **sp == '-' ? -1 : 1;
	(*sp)++;
	if (take_digits(sp, 2, &h) == -1 || take_char(sp, ":") == -1 ||
	    take_digits(sp, 2, &m) == -1 || h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600L + m * 60L);
	return 0;
}

static int
parse_rfc3339(const char *s, struct timespec *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec;
	long nsec, off;
	time_t t;

	if (take_digits(&s, 4, &y) == -1 || take_char(&s, "-") == -1 ||
	    take_digits(&s, 2, &mo) == -1 || take_char(&s, "-") == -1 ||
	    take_digits(&s, 2, &d) == -1 || take_char(&s, "Tt ") == -1 ||
	    take_digits(&s, 2, &h) == -1 || take_char(&s, ":") == -1 ||
	    take_digits(&s, 2, &mi) == -1 || take_char(&s, ":") == -1 ||
	    take_digits(&s, 2, &sec) == -1 || take_fraction(&s, &nsec) == -1 ||
	    take_offset(&s, &off) == -1 || *s != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)	/* 60: a leap second */
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	out->tv_sec = t - off;
	out->tv_nsec = nsec;
	return 0;
}

/* "90s", "10m", "2h", "1d", "1h30m" */
static int
parse_duration(const char *s, long long *secs)
{
	long long total = 0, v;
	int unit;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (v = 0; *s >= '0' && *s <= '9'; s++) {
			v = v * 10 + (*s - '0');
			if (v > DURATION_MAX_SECONDS)
				return -1;
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
		total += v * unit;
		if (total > DURATION_MAX_SECONDS)
			return -1;
	}
	*secs = total;
	return 0;
}

int
audit_parse_time(const char *s, const struct timespec *now,
    struct timespec *out)
{
	long long secs;

	if (parse_rfc3339(s, out) == 0)
		return 0;
	if (parse_duration(s, &secs) == -1)
		return -1;
	out->tv_sec = now->tv_sec - (time_t)secs;
	out->tv_nsec = now->tv_nsec;
	return 0;
}

static int
ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* ---- which files ------------------------------------------------------ */

static int
add_file(struct file_set *fs, const char *path, const char *cmd)
{
	if (fs->n == AUDITFMT_MAX_FILES) {
		fprintf(stderr, "agentctl: audit %s: more than %d files\n",
		    cmd, AUDITFMT_MAX_FILES);
		return -1;
	}
	fs->paths[fs->n++] = path;
	return 0;
}

static int
add_owned(struct file_set *fs, const char *path, const char *cmd)
{
	char *copy;

	if ((copy = strdup(path)) == NULL) {
		fprintf(stderr, "agentctl: audit %s: %s\n", cmd,
		    strerror(errno));
		return -1;
	}
	fs->owned[fs->n] = copy;
	if (add_file(fs, copy, cmd) == -1) {
		free(copy);
		fs->owned[fs->n] = NULL;
		return -1;
	}
	return 0;
}

/* auditLog from the configuration, with its rotated files, oldest first */
static int
files_from_config(struct file_set *fs, const char *config, const char *cmd)
{
	struct agentd_config *cfg;
	char err[512], name[AUDITFMT_MAX_PATH + 16];
	struct stat st;
	int i, rv = -1;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return -1;
	if (config_load(cfg, config, err, sizeof(err)) == -1) {
		fprintf(stderr, "agentctl: audit %s: %s (or name the log files)"
		    "\n", cmd, err);
		goto out;
	}
	if (cfg->audit_log[0] == '\0') {
		fprintf(stderr, "agentctl: audit %s: %s sets no auditLog\n",
		    cmd, config);
		goto out;
	}
	for (i = AUDITFMT_ROTATE_KEEP; i >= 1; i--)
		if (auditfmt_rotated_name(cfg->audit_log, i, name,
		    sizeof(name)) == 0 && stat(name, &st) == 0 &&
		    add_owned(fs, name, cmd) == -1)
			goto out;
	snprintf(fs->anchor, sizeof(fs->anchor), "%s", cfg->audit_anchor_file);
	snprintf(fs->live, sizeof(fs->live), "%s", cfg->audit_log);
	/* a deleted log is a finding of verify, not a usage error */
	if (stat(cfg->audit_log, &st) == -1 && errno == ENOENT) {
		fs->live_missing = 1;
		rv = 0;
		goto out;
	}
	rv = add_owned(fs, cfg->audit_log, cmd);
 out:
	config_free(cfg);
	free(cfg);
	return rv;
}

static void
files_free(struct file_set *fs)
{
	int i;

	for (i = 0; i < AUDITFMT_MAX_FILES; i++)
		free(fs->owned[i]);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * "audit.log*" also matches the anchor and the verified mark, which are
 * not records: the anchor is taken as --anchor (verify), both are skipped.
 * 1 if the argument was such a file.
 */
static int
side_file(const char *arg, const char **anchor)
{
	if (has_suffix(arg, AUDITFMT_ANCHOR_SUFFIX)) {
		if (anchor != NULL && *anchor == NULL)
			*anchor = arg;
		return 1;
	}
	return has_suffix(arg, AUDITFMT_VERIFIED_SUFFIX) ||
	    has_suffix(arg, AUDITFMT_ANCHOR_SUFFIX ".tmp") ||
	    has_suffix(arg, AUDITFMT_VERIFIED_SUFFIX ".tmp");
}

/* an option's value: "--opt VALUE" or "--opt=VALUE" */
static int
opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "agentctl: audit: %s needs a value\n",
			    name);
			return -1;
		}
		*val = argv[++*i];
		return 1;
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=' &&
	    name[1] == '-') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

/* ---- verify ----------------------------------------------------------- */

static void
print_verify_ok(const struct audit_verify_result *res, const char **paths)
{
	int i;

	printf("OK: %" PRIu64 " records, seq %" PRIu64 "..%" PRIu64
	    ", chain intact (files: ", res->records, res->first_seq,
	    res->last_seq);
	for (i = 0; i < res->nfiles; i++)
		printf("%s%s", i ? ", " : "", paths[res->order[i]]);
	printf(")\n");
	if (res->partial_start)
		printf("note: chain starts at seq %" PRIu64 " (an audit.rotate "
		    "record: older files were removed by rotation or not "
		    "given)\n", res->first_seq);
	if (res->anchor_checked && res->anchor_behind)
		printf("note: the log goes on past its anchor (agentd did not "
		    "stop cleanly, or has not rewritten it yet)\n");
	else if (res->anchor_checked)
		printf("note: the log ends where its anchor says (seq %" PRIu64
		    ")\n", res->last_seq);
	if (res->hmac_checked)
		printf("note: hmac valid on all %" PRIu64 " records\n",
		    res->records);
	else if (res->hmac_present > 0)
		printf("note: hmac not checked (%" PRIu64 " records carry one; "
		    "give --key)\n", res->hmac_present);
}

static void
print_verify_fail(const struct audit_verify_result *res)
{
	FILE *out = res->io_error ? stderr : stdout;

	if (res->line == 0)
		fprintf(out, "FAIL: %s: %s\n", res->file, res->reason);
	else if (res->seq == 0)
		fprintf(out, "FAIL: %s:%" PRIu64 ": %s\n", res->file,
		    res->line, res->reason);
	else
		fprintf(out, "FAIL: %s:%" PRIu64 " seq %" PRIu64 ": %s\n",
		    res->file, res->line, res->seq, res->reason);
}

/*
 * --mark: the chain was found intact up to res->last_seq; the mark lets
 * agentd's rotation delete files up to there even if their syslog copy
 * failed (docs/man/agentd-audit.5).  Written atomically beside the log.
 */
static int
write_mark(const char *live, const struct audit_verify_result *res,
    const uint8_t *key, size_t keylen)
{
	struct auditfmt_anchor a = { .seq = res->last_seq };
	char path[AUDITFMT_MAX_PATH + 16], tmp[AUDITFMT_MAX_PATH + 24];
	char line[AUDITFMT_ANCHOR_MAX];
	struct timespec ts;
	FILE *f;
	int ok;

	snprintf(a.hash, sizeof(a.hash), "%s", res->last_hash);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (auditfmt_anchor_format(&a, &ts, key, keylen, line,
	    sizeof(line)) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s%s", live, AUDITFMT_VERIFIED_SUFFIX);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "wx")) == NULL) {
		if (errno != EEXIST || unlink(tmp) == -1 ||
		    (f = fopen(tmp, "wx")) == NULL)
			return -1;
	}
	ok = fputs(line, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	printf("marked verified through seq %" PRIu64 " (%s)\n", a.seq, path);
	return 0;
}

struct verify_opts {
	const char	*keyfile;
	const char	*config;
	const char	*anchor;	/* --anchor */
	int		 mark;
};

static int
verify_parse_args(int argc, char **argv, struct verify_opts *vo,
    struct file_set *fs)
{
	int i, r, opts = 1;

	for (i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && strcmp(argv[i], "--mark") == 0) {
			vo->mark = 1;
			continue;
		}
		if (opts && ((r = opt_value(argc, argv, &i, "--key",
		    &vo->keyfile)) != 0 || (r = opt_value(argc, argv, &i, "-k",
		    &vo->keyfile)) != 0 || (r = opt_value(argc, argv, &i,
		    "--anchor", &vo->anchor)) != 0 || (r = opt_value(argc,
		    argv, &i, "-f", &vo->config)) != 0 || (r = opt_value(argc,
		    argv, &i, "--config", &vo->config)) != 0)) {
			if (r == -1)
				return -1;
			continue;
		}
		if (opts && argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "agentctl: audit verify: unknown "
			    "option %s\n", argv[i]);
			audit_usage();
			return -1;
		}
		if (side_file(argv[i], &vo->anchor))
			continue;
		if (add_file(fs, argv[i], "verify") == -1)
			return -1;
	}
	return 0;
}

/*
 * The anchor to check against: --anchor, else the configuration's (only
 * when the files came from it).  0 none, 1 loaded, -1 a finding (printed).
 */
static int
load_anchor(const struct verify_opts *vo, const struct file_set *fs,
    const uint8_t *key, size_t keylen, struct auditfmt_anchor *a,
    const char **missing)
{
	const char *path = vo->anchor ? vo->anchor : fs->anchor;
	char why[AUDITFMT_MAX_REASON];
	int rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	rc = auditfmt_anchor_read(path, key, keylen, a, why, sizeof(why));
	if (rc == 1 && vo->anchor == NULL) {
		*missing = path;	/* a note after the result */
		return 0;
	}
	if (rc != 0) {
		printf("FAIL: %s\n", rc == 1 ? "anchor file missing" : why);
		return -1;
	}
	return 1;
}

static int
audit_verify(int argc, char **argv)
{
	struct verify_opts vo = { .config = CONFIG_DEFAULT_PATH };
	struct file_set fs = { 0 };
	struct audit_verify_result *res = NULL;
	struct auditfmt_anchor anchor;
	uint8_t key[AUDITFMT_MAX_KEY];
	size_t keylen = 0;
	const uint8_t *k;
	const char *no_anchor = NULL;
	char err[512];
	int ha, rv = AUDIT_EXIT_USAGE;

	if (verify_parse_args(argc, argv, &vo, &fs) == -1)
		goto out;
	if (fs.n == 0 && files_from_config(&fs, vo.config, "verify") == -1)
		goto out;
	if (vo.keyfile != NULL && auditfmt_load_key(vo.keyfile, key,
	    sizeof(key), &keylen, err, sizeof(err)) == -1) {
		fprintf(stderr, "agentctl: audit verify: %s\n", err);
		goto out;
	}
	k = vo.keyfile ? key : NULL;
	if ((ha = load_anchor(&vo, &fs, k, keylen, &anchor, &no_anchor)) ==
	    -1) {
		rv = AUDIT_EXIT_FAIL;
		goto out;
	}
	if (fs.live_missing) {
		printf("FAIL: %s: log missing (deleted?)", fs.live);
		if (ha)
			printf(": the anchor names seq %" PRIu64, anchor.seq);
		printf("\n");
		rv = ha ? AUDIT_EXIT_FAIL : AUDIT_EXIT_USAGE;
		goto out;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL)
		goto out;
	if (auditfmt_verify_anchored(fs.paths, fs.n, k, keylen,
	    ha ? &anchor : NULL, res) == 0) {
		print_verify_ok(res, fs.paths);
		if (no_anchor != NULL)
			printf("note: no anchor file %s: the log's end is not "
			    "checked\n", no_anchor);
		rv = AUDIT_EXIT_OK;
		if (vo.mark && write_mark(fs.live[0] ? fs.live :
		    fs.paths[res->order[res->nfiles - 1]], res, k,
		    keylen) == -1) {
			fprintf(stderr, "agentctl: audit verify --mark: %s\n",
			    strerror(errno));
			rv = AUDIT_EXIT_USAGE;
		}
	} else {
		print_verify_fail(res);
		rv = res->io_error ? AUDIT_EXIT_USAGE : AUDIT_EXIT_FAIL;
	}
 out:
	explicit_bzero(key, sizeof(key));
	free(res);
	files_free(&fs);
	return rv;
}

/* ---- show ------------------------------------------------------------- */

static const char *
member_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
show_match(const cJSON *rec, const struct show_opts *o)
{
	const cJSON *pod = cJSON_GetObjectItemCaseSensitive(rec, "pod");
	const char *ns = member_str(pod, "namespace");
	const char *name = member_str(pod, "name");
	const char *action = member_str(rec, "action");
	const char *time = member_str(rec, "time");
	char nsname[2 * SHOW_MAX_CELL];
	struct timespec ts;

	if (o->action != NULL &&
	    (action == NULL || fnmatch(o->action, action, 0) != 0))
		return 0;
	if (o->pod != NULL) {
		if (ns == NULL || name == NULL)
			return 0;
		snprintf(nsname, sizeof(nsname), "%s/%s", ns, name);
		if (fnmatch(o->pod, nsname, 0) != 0)
			return 0;
	}
	if (o->has_since || o->has_until) {
		if (time == NULL || parse_rfc3339(time, &ts) == -1)
			return 0;
		if (o->has_since && ts_cmp(&ts, &o->since) < 0)
			return 0;
		if (o->has_until && ts_cmp(&ts, &o->until) > 0)
			return 0;
	}
	return 1;
}

/* a printable copy: records are untrusted text on a terminal */
static char *
cell_dup(const char *s)
{
	char *c;
	size_t i;

	if (s == NULL || *s == '\0')
		s = "-";
	if ((c = strndup(s, SHOW_MAX_CELL)) == NULL)
		return NULL;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
			c[i] = '?';
	return c;
}

/*
 * The details object as "k=v;k=v" again, each value escaped the way
 * agentd wrote it (auditfmt_details_add): a value with ";" or "=" or a
 * control byte reads back unambiguously and cannot forge a key or a row.
 */
static char *
details_cell(const cJSON *rec)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "details");
	const cJSON *item;
	char buf[SHOW_MAX_CELL];

	buf[0] = '\0';
	if (cJSON_IsObject(d))
		for (item = d->child; item != NULL; item = item->next)
			if (cJSON_IsString(item) && auditfmt_details_add(buf,
			    sizeof(buf), item->string, item->valuestring) == -1)
				break;
	return cell_dup(buf);
}

static int
show_add_row(struct show_table *t, const cJSON *rec, int wide)
{
	const cJSON *pod = cJSON_GetObjectItemCaseSensitive(rec, "pod");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	const char *ns = member_str(pod, "namespace");
	const char *name = member_str(pod, "name");
	char seqbuf[32], nsname[2 * SHOW_MAX_CELL + 2];
	struct show_row *row, *nr;
	size_t ncap;
	int i;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 256;
		if ((nr = reallocarray(t->rows, ncap, sizeof(*nr))) == NULL)
			return -1;
		t->rows = nr;
		t->cap = ncap;
	}
	snprintf(seqbuf, sizeof(seqbuf), "%.0f",
	    cJSON_IsNumber(seq) ? seq->valuedouble : 0.0);
	if (ns != NULL || name != NULL)
		snprintf(nsname, sizeof(nsname), "%.*s/%.*s", SHOW_MAX_CELL,
		    ns ? ns : "-", SHOW_MAX_CELL, name ? name : "-");
	else
		nsname[0] = '\0';
	row = &t->rows[t->n++];
	row->cell[0] = cell_dup(member_str(rec, "time"));
	row->cell[1] = cell_dup(seqbuf);
	row->cell[2] = cell_dup(member_str(rec, "actor"));
	row->cell[3] = cell_dup(member_str(rec, "action"));
	row->cell[4] = cell_dup(member_str(rec, "phase"));
	row->cell[5] = cell_dup(nsname);
	row->cell[6] = cell_dup(member_str(rec, "container"));
	row->cell[7] = cell_dup(member_str(rec, "outcome"));
	row->cell[8] = cell_dup(member_str(rec, "error"));
	row->cell[9] = wide ? details_cell(rec) : NULL;
	for (i = 0; i < SHOW_COLUMNS - !wide; i++)
		if (row->cell[i] == NULL)
			return -1;
	return 0;
}

static void
show_print_table(const struct show_table *t, int wide)
{
	size_t w[SHOW_COLUMNS], r, len;
	int i, ncol = SHOW_COLUMNS - !wide;

	for (i = 0; i < ncol; i++)
		w[i] = strlen(show_headers[i]);
	for (r = 0; r < t->n; r++)
		for (i = 0; i < ncol; i++)
			if ((len = strlen(t->rows[r].cell[i])) > w[i])
				w[i] = len;
	for (i = 0; i < ncol - 1; i++)
		printf("%-*s  ", (int)w[i], show_headers[i]);
	printf("%s\n", show_headers[ncol - 1]);
	for (r = 0; r < t->n; r++) {
		for (i = 0; i < ncol - 1; i++)
			printf("%-*s  ", (int)w[i], t->rows[r].cell[i]);
		printf("%s\n", t->rows[r].cell[ncol - 1]);
	}
}

static void
show_table_free(struct show_table *t)
{
	size_t r;
	int i;

	for (r = 0; r < t->n; r++)
		for (i = 0; i < SHOW_COLUMNS; i++)
			free(t->rows[r].cell[i]);
	free(t->rows);
}

/* one line: skipped (counted) when it is not a record */
static int
show_line(const char *path, uint64_t lineno, const char *line, size_t len,
    int usable, const struct show_opts *o, struct show_table *t,
    uint64_t *shown, uint64_t *skipped)
{
	cJSON *rec;
	int rv = 0;

	rec = usable ? cJSON_ParseWithLength(line, len) : NULL;
	if (!cJSON_IsObject(rec)) {
		fprintf(stderr, "agentctl: audit show: %s:%" PRIu64 ": not a "
		    "record, skipped (run agentctl audit verify)\n", path,
		    lineno);
		(*skipped)++;
	} else if (show_match(rec, o)) {
		if (o->json)
			printf("%s%.*s", *shown ? ",\n" : "\n", (int)len, line);
		else
			rv = show_add_row(t, rec, o->wide);
		(*shown)++;
	}
	cJSON_Delete(rec);
	return rv;
}

static int
show_file(const char *path, const struct show_opts *o, struct show_table *t,
    uint64_t *shown, uint64_t *skipped)
{
	struct auditfmt_reader *r;
	const char *line;
	size_t len;
	uint64_t lineno = 0;
	int complete, too_long, rc;

	if ((r = auditfmt_reader_open(path)) == NULL) {
		fprintf(stderr, "agentctl: audit show: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while ((rc = auditfmt_next_line(r, &line, &len, &complete,
	    &too_long)) == 1) {
		if (show_line(path, ++lineno, line, len, complete && !too_long,
		    o, t, shown, skipped) == -1) {
			rc = -1;
			break;
		}
	}
	if (rc == -1)
		fprintf(stderr, "agentctl: audit show: %s: %s\n", path,
		    strerror(errno));
	auditfmt_reader_close(r);
	return rc == -1 ? -1 : 0;
}

static int
show_parse_args(int argc, char **argv, struct show_opts *o,
    struct file_set *fs, const char **config)
{
	struct timespec now;
	const char *v, *since = NULL, *until = NULL, *fmt = NULL;
	int i, r, opts = 1;

	for (i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && ((r = opt_value(argc, argv, &i, "--pod",
		    &o->pod)) != 0 || (r = opt_value(argc, argv, &i,
		    "--action", &o->action)) != 0 || (r = opt_value(argc, argv,
		    &i, "--since", &since)) != 0 || (r = opt_value(argc, argv,
		    &i, "--until", &until)) != 0 || (r = opt_value(argc, argv,
		    &i, "-o", &fmt)) != 0 || (r = opt_value(argc, argv, &i,
		    "--output", &fmt)) != 0 || (r = opt_value(argc, argv, &i,
		    "-f", config)) != 0 || (r = opt_value(argc, argv, &i,
		    "--config", config)) != 0)) {
			if (r == -1)
				return -1;
			continue;
		}
		if (opts && argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "agentctl: audit show: unknown option "
			    "%s\n", argv[i]);
			audit_usage();
			return -1;
		}
		if (side_file(argv[i], NULL))
			continue;
		if (add_file(fs, argv[i], "show") == -1)
			return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if ((v = since) != NULL &&
	    audit_parse_time(since, &now, &o->since) == -1)
		goto badtime;
	if ((v = until) != NULL &&
	    audit_parse_time(until, &now, &o->until) == -1)
		goto badtime;
	o->has_since = since != NULL;
	o->has_until = until != NULL;
	if (fmt != NULL && strcmp(fmt, "json") != 0 &&
	    strcmp(fmt, "text") != 0 && strcmp(fmt, "wide") != 0) {
		fprintf(stderr, "agentctl: audit show: -o: \"%s\": want json, "
		    "text or wide\n", fmt);
		return -1;
	}
	o->json = fmt != NULL && strcmp(fmt, "json") == 0;
	o->wide = fmt != NULL && strcmp(fmt, "wide") == 0;
	return 0;
 badtime:
	fprintf(stderr, "agentctl: audit show: \"%s\": not an RFC 3339 time "
	    "or a duration like 10m, 2h\n", v);
	return -1;
}

static int
audit_show(int argc, char **argv)
{
	struct show_opts o = { 0 };
	struct file_set fs = { 0 };
	struct show_table t = { 0 };
	const char *config = CONFIG_DEFAULT_PATH;
	uint64_t shown = 0, skipped = 0;
	int i, rv = AUDIT_EXIT_USAGE;

	if (show_parse_args(argc, argv, &o, &fs, &config) == -1)
		goto out;
	if (fs.n == 0 && files_from_config(&fs, config, "show") == -1)
		goto out;
	auditfmt_sort_files(fs.paths, fs.n);
	if (o.json)
		printf("[");
	for (i = 0; i < fs.n; i++)
		if (show_file(fs.paths[i], &o, &t, &shown, &skipped) == -1)
			goto out;
	if (o.json)
		printf("%s]\n", shown ? "\n" : "");
	else
		show_print_table(&t, o.wide);
	rv = skipped ? AUDIT_EXIT_FAIL : AUDIT_EXIT_OK;
 out:
	fflush(stdout);
	show_table_free(&t);
	files_free(&fs);
	return rv;
}

int
audit_cmd_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return audit_show(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		audit_usage();
		return AUDIT_EXIT_OK;
	}
	audit_usage();
	return AUDIT_EXIT_USAGE;
}
