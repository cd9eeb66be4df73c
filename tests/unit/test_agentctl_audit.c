/*
 * agentctl audit verify|show (agentctl/audit_cmd.c): their output, exit
 * codes, filters and time parsing, on logs made with the real formatter.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "tap.h"
#include "auditfmt.h"
#include "../../agentctl/audit_cmd.h"

#define T_PATH		1200
#define T_MAX_PATHS	256
#define T_MAX_ARGS	16
#define T_T0		1795851222	/* 2026-11-28T07:33:42Z */

static char tdir[64];
static char t_out[65536];	/* what the last run() wrote to stdout */
static char t_err[65536];	/* ... and to stderr */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tmpdir(void)
{
	if (tdir[0] != '\0')
		nftw(tdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mk_tmpdir(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/agentctl-audit-XXXXXX");
	REQUIRE(mkdtemp(tdir) != NULL);
	atexit(rm_tmpdir);
}

/* a path in the test's directory; static so that nothing leaks */
static char *
tpath(const char *name)
{
	static char pool[T_MAX_PATHS][T_PATH];
	static int used;

	REQUIRE(tdir[0] != '\0' && used < T_MAX_PATHS);
	snprintf(pool[used], T_PATH, "%s/%s", tdir, name);
	return pool[used++];
}

static void
put_file(const char *path, const char *data, size_t len, int append)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC),
	    0600);
	REQUIRE(fd != -1);
	REQUIRE(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

struct tlog {
	char		 prev[AUDITFMT_HEX_LEN + 1];
	uint64_t	 seq;
};

static const char *t_details;	/* details of the next add() */

/* appends one record at T_T0 + secs, chained onto what tl last wrote */
static void
add(struct tlog *tl, const char *path, long secs, const char *action,
    const char *ns, const char *name, const char *error)
{
	struct audit_rec r = { .actor = "executor", .action = action,
	    .phase = "outcome", .pod_ns = ns, .pod_name = name,
	    .container = "app", .outcome = error ? "error" : "ok",
	    .error = error, .details = t_details };
	struct timespec ts = { T_T0 + secs, 5 };
	char *line;
	size_t len;

	if (tl->seq == 0)
		snprintf(tl->prev, sizeof(tl->prev), AUDITFMT_ZERO_PREV);
	line = auditfmt_format(&r, ++tl->seq, &ts, "node-1", tl->prev, NULL,
	    0, &len);
	REQUIRE(line != NULL);
	auditfmt_sha256_hex(line, len, tl->prev);
	line[len] = '\n';
	put_file(path, line, len + 1, 1);
	free(line);
}

static struct tlog t_log;	/* what make_logs wrote */

/* a log of 6 records over two files: audit.log.1 (1-3), audit.log (4-6) */
static void
make_logs(void)
{
	struct tlog tl = { .seq = 0 };
	char *old, *cur;

	mk_tmpdir();
	old = tpath("audit.log.1");
	cur = tpath("audit.log");
	add(&tl, old, 0, "agentd.start", NULL, NULL, NULL);
	add(&tl, old, 60, "container.create", "ns1", "web", NULL);
	add(&tl, old, 120, "container.start", "ns1", "web", NULL);
	add(&tl, cur, 180, AUDITFMT_ROTATE_ACTION, NULL, NULL, NULL);
	add(&tl, cur, 240, "policy.deny", "ns2", "priv", "privileged\nrefused");
	add(&tl, cur, 300, "container.kill", "ns1", "web", NULL);
	t_log = tl;
}

/* runs audit_cmd_main with stdout to a string; returns the exit code */
static int
run(char **out, ...)
{
	char *argv[T_MAX_ARGS + 1];
	va_list ap;
	int argc = 0, saved, esaved, fd, efd, rc;
	ssize_t n;

	va_start(ap, out);
	argv[argc++] = "audit";
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		REQUIRE(++argc < T_MAX_ARGS);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	REQUIRE((fd = open(tpath("stdout"), O_RDWR | O_CREAT | O_TRUNC,
	    0600)) != -1);
	REQUIRE((efd = open(tpath("stderr"), O_RDWR | O_CREAT | O_TRUNC,
	    0600)) != -1);
	REQUIRE((saved = dup(1)) != -1 && (esaved = dup(2)) != -1);
	REQUIRE(dup2(fd, 1) == 1 && dup2(efd, 2) == 2);
	rc = audit_cmd_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	REQUIRE(dup2(saved, 1) == 1 && dup2(esaved, 2) == 2);
	close(saved);
	close(esaved);
	REQUIRE((n = pread(fd, t_out, sizeof(t_out) - 1, 0)) >= 0);
	t_out[n] = '\0';
	*out = t_out;
	REQUIRE((n = pread(efd, t_err, sizeof(t_err) - 1, 0)) >= 0);
	t_err[n] = '\0';
	close(fd);
	close(efd);
	return rc;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- time ------------------------------------------------------------- */

TEST(test_parse_time_rfc3339)
{
	struct timespec now = { T_T0, 0 }, t;

	CHECK_EQ_INT(audit_parse_time("2026-11-28T07:33:42Z", &now, &t), 0);
	CHECK_EQ_INT(t.tv_sec, T_T0);
	CHECK_EQ_INT(t.tv_nsec, 0);
	CHECK_EQ_INT(audit_parse_time("2026-11-28t07:33:42.5z", &now, &t), 0);
	CHECK_EQ_INT(t.tv_nsec, 500000000);
	CHECK_EQ_INT(audit_parse_time("2026-11-28T07:33:42.123456789+02:00",
	    &now, &t), 0);
	CHECK_EQ_INT(t.tv_sec, T_T0 - 7200);
	CHECK_EQ_INT(t.tv_nsec, 123456789);
	CHECK_EQ_INT(audit_parse_time("2026-11-28T07:33:42-00:30", &now, &t),
	    0);
	CHECK_EQ_INT(t.tv_sec, T_T0 + 1800);
	CHECK_EQ_INT(audit_parse_time("2024-02-29T00:00:00Z", &now, &t), 0);
	CHECK_EQ_INT(audit_parse_time("2026-02-29T00:00:00Z", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("2026-13-01T00:00:00Z", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("2026-11-28T24:00:00Z", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("2026-11-28T07:33:42", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("2026-11-28T07:33:42.1234567890Z", &now,
	    &t), -1);
	CHECK_EQ_INT(audit_parse_time("2026-11-28T07:33:42Zjunk", &now, &t),
	    -1);
}

TEST(test_parse_time_relative)
{
	struct timespec now = { T_T0, 42 }, t;

	CHECK_EQ_INT(audit_parse_time("10m", &now, &t), 0);
	CHECK_EQ_INT(t.tv_sec, T_T0 - 600);
	CHECK_EQ_INT(t.tv_nsec, 42);
	CHECK_EQ_INT(audit_parse_time("2h", &now, &t), 0);
	CHECK_EQ_INT(t.tv_sec, T_T0 - 7200);
	CHECK_EQ_INT(audit_parse_time("1h30m15s", &now, &t), 0);
	CHECK_EQ_INT(t.tv_sec, T_T0 - 5415);
	CHECK_EQ_INT(audit_parse_time("1d", &now, &t), 0);
	CHECK_EQ_INT(t.tv_sec, T_T0 - 86400);
	CHECK_EQ_INT(audit_parse_time("", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("10", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("10x", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("-5m", &now, &t), -1);
	CHECK_EQ_INT(audit_parse_time("99999999999999999999d", &now, &t), -1);
}

/* ---- verify ----------------------------------------------------------- */

TEST(test_verify_ok_summary_in_chain_order)
{
	char *out, want[2 * T_PATH + 128];

	make_logs();
	CHECK_EQ_INT(run(&out, "verify", tpath("audit.log"),
	    tpath("audit.log.1"), NULL), 0);
	snprintf(want, sizeof(want), "OK: 6 records, seq 1..6, chain intact "
	    "(files: %s, %s)\n", tpath("audit.log.1"), tpath("audit.log"));
	CHECK_STR(out, want);
}

TEST(test_verify_partial_chain_is_noted)
{
	char *out;

	make_logs();
	CHECK_EQ_INT(run(&out, "verify", tpath("audit.log"), NULL), 0);
	CHECK(strncmp(out, "OK: 3 records, seq 4..6,", 24) == 0);
	CHECK(strstr(out, "note: chain starts at seq 4") != NULL);
}

TEST(test_verify_fail_names_file_line_seq)
{
	char *out, want[T_PATH + 128], *buf;
	size_t len;
	int fd;
	struct stat st;

	make_logs();
	/* drop the first line of audit.log.1's successor: seq 4 */
	REQUIRE((fd = open(tpath("audit.log"), O_RDONLY)) != -1);
	REQUIRE(fstat(fd, &st) == 0);
	len = (size_t)st.st_size;
	REQUIRE((buf = malloc(len)) != NULL);
	REQUIRE(read(fd, buf, len) == (ssize_t)len);
	close(fd);
	{
		char *nl = memchr(buf, '\n', len);
		REQUIRE(nl != NULL);
		put_file(tpath("audit.log"), nl + 1, len - (size_t)(nl + 1 -
		    buf), 0);
	}
	CHECK_EQ_INT(run(&out, "verify", tpath("audit.log.1"),
	    tpath("audit.log"), NULL), 1);
	snprintf(want, sizeof(want), "FAIL: %s:1 seq 5: sequence gap: "
	    "expected 4, found 5\n", tpath("audit.log"));
	CHECK_STR(out, want);
	free(buf);
}

TEST(test_verify_usage_and_io_errors_exit_2)
{
	char *out;

	make_logs();
	CHECK_EQ_INT(run(&out, "verify", "--bogus", "x", NULL), 2);
	CHECK(strstr(t_err, "unknown option --bogus") != NULL);
	CHECK_EQ_INT(run(&out, "verify", "--key", NULL), 2);
	CHECK(strstr(t_err, "--key needs a value") != NULL);
	CHECK_EQ_INT(run(&out, "verify", tpath("missing"), NULL), 2);
	CHECK(strstr(t_err, "missing: No such file") != NULL);
	CHECK_STR(out, "");
	CHECK_EQ_INT(run(&out, "frobnicate", NULL), 2);
	CHECK(strstr(t_err, "usage:") != NULL);
	put_file(tpath("key"), "0123456789abcdef0123456789abcdef", 32, 0);
	REQUIRE(chmod(tpath("key"), 0644) == 0);
	CHECK_EQ_INT(run(&out, "verify", "--key", tpath("key"),
	    tpath("audit.log"), NULL), 2);
	CHECK(strstr(t_err, "mode 0644") != NULL);
}

TEST(test_verify_key_on_unkeyed_log_fails)
{
	char *out;

	make_logs();
	put_file(tpath("key"), "0123456789abcdef0123456789abcdef", 32, 0);
	CHECK_EQ_INT(run(&out, "verify", "--key=", tpath("audit.log"), NULL),
	    2);
	CHECK(strstr(t_err, "audit key file : No such file") != NULL);
	CHECK_EQ_INT(run(&out, "verify", "-k", tpath("key"),
	    tpath("audit.log.1"), NULL), 1);
	CHECK(strstr(out, ":1 seq 1: missing hmac") != NULL);
}

TEST(test_verify_defaults_to_config_audit_log)
{
	char *out, cfg[T_PATH + 32];

	make_logs();
	snprintf(cfg, sizeof(cfg), "auditLog: %s\n", tpath("audit.log"));
	put_file(tpath("agentd.yaml"), cfg, strlen(cfg), 0);
	CHECK_EQ_INT(run(&out, "verify", "-f", tpath("agentd.yaml"), NULL), 0);
	CHECK(strncmp(out, "OK: 6 records, seq 1..6,", 24) == 0);
	CHECK_EQ_INT(run(&out, "verify", "-f", tpath("nope.yaml"), NULL), 2);
	CHECK(strstr(t_err, "nope.yaml: No such file") != NULL);
}

/* ---- show ------------------------------------------------------------- */

TEST(test_show_table_is_aligned_in_chain_order)
{
	char *out, *line, *save = NULL;
	const char *seqcol;
	size_t col = 0;
	int n = 0;

	make_logs();
	CHECK_EQ_INT(run(&out, "show", tpath("audit.log"),
	    tpath("audit.log.1"), NULL), 0);
	CHECK_EQ_INT(count_lines(out), 7);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		if (n == 0) {
			CHECK(strncmp(line, "TIME", 4) == 0);
			REQUIRE((seqcol = strstr(line, "SEQ")) != NULL);
			col = (size_t)(seqcol - line);
			CHECK(strstr(line, "ACTOR") &&
			    strstr(line, "NS/NAME") &&
			    strstr(line, "OUTCOME") && strstr(line, "ERROR"));
			continue;
		}
		/* the SEQ column starts at the same offset on every row */
		CHECK_EQ_INT(strtol(line + col, NULL, 10), n);
		CHECK(line[col - 1] == ' ');
	}
}

TEST(test_show_filters)
{
	char *out;

	make_logs();
	CHECK_EQ_INT(run(&out, "show", "--pod", "ns1/web", tpath("audit.log"),
	    tpath("audit.log.1"), NULL), 0);
	CHECK_EQ_INT(count_lines(out), 4);
	CHECK(strstr(out, "container.kill") && !strstr(out, "policy.deny"));
	CHECK_EQ_INT(run(&out, "show", "--action", "container.*",
	    tpath("audit.log"), tpath("audit.log.1"), NULL), 0);
	CHECK_EQ_INT(count_lines(out), 4);
	CHECK_EQ_INT(run(&out, "show", "--action=policy.deny",
	    tpath("audit.log"), tpath("audit.log.1"), NULL), 0);
	CHECK_EQ_INT(count_lines(out), 2);
	/* the error's newline is shown as '?': one record, one line */
	CHECK(strstr(out, "privileged?refused") != NULL);
	CHECK(strstr(out, "ns2/priv") != NULL);
	/* 07:34:42 .. 07:36:42 inclusive: seq 2, 3, 4 */
	CHECK_EQ_INT(run(&out, "show", "--since", "2026-11-28T07:34:42Z",
	    "--until", "2026-11-28T09:36:42.000000005+02:00",
	    tpath("audit.log"), tpath("audit.log.1"), NULL), 0);
	CHECK_EQ_INT(count_lines(out), 4);
	CHECK(strstr(out, "container.create") && strstr(out, "audit.rotate") &&
	    !strstr(out, "agentd.start") && !strstr(out, "policy.deny"));
	CHECK_EQ_INT(run(&out, "show", "--since", "yesterday",
	    tpath("audit.log"), NULL), 2);
	CHECK(strstr(t_err, "\"yesterday\": not an RFC 3339 time") != NULL);
}

TEST(test_show_relative_times)
{
	struct tlog tl = { .seq = 0 };
	struct timespec now;
	char *out, *path;

	mk_tmpdir();
	path = tpath("audit.log");
	clock_gettime(CLOCK_REALTIME, &now);
	/* add() writes at T_T0 + secs: place records 2h and 1m ago */
	add(&tl, path, (long)(now.tv_sec - T_T0) - 7200, "a.two-hours", NULL,
	    NULL, NULL);
	add(&tl, path, (long)(now.tv_sec - T_T0) - 60, "a.one-minute", NULL,
	    NULL, NULL);
	CHECK_EQ_INT(run(&out, "show", "--since", "10m", path, NULL), 0);
	CHECK_EQ_INT(count_lines(out), 2);
	CHECK(strstr(out, "a.one-minute") != NULL);
	CHECK_EQ_INT(run(&out, "show", "--since", "3h", "--until", "1h",
	    path, NULL), 0);
	CHECK_EQ_INT(count_lines(out), 2);
	CHECK(strstr(out, "a.two-hours") != NULL);
}

TEST(test_show_json_is_array_of_records)
{
	char *out;
	cJSON *a, *rec;
	int i = 0;

	make_logs();
	CHECK_EQ_INT(run(&out, "show", "-o", "json", "--pod", "ns1/*",
	    tpath("audit.log"), tpath("audit.log.1"), NULL), 0);
	REQUIRE((a = cJSON_Parse(out)) != NULL);
	REQUIRE(cJSON_IsArray(a));
	CHECK_EQ_INT(cJSON_GetArraySize(a), 3);
	cJSON_ArrayForEach(rec, a) {
		static const int want[] = { 2, 3, 6 };
		CHECK_EQ_INT(cJSON_GetObjectItem(rec, "seq")->valuedouble,
		    want[i]);
		CHECK(cJSON_IsString(cJSON_GetObjectItem(rec, "prev")));
		i++;
	}
	cJSON_Delete(a);
	CHECK_EQ_INT(run(&out, "show", "-o", "json", "--action", "nothing",
	    tpath("audit.log"), NULL), 0);
	CHECK_STR(out, "[]\n");
	CHECK_EQ_INT(run(&out, "show", "-o", "yaml", tpath("audit.log"),
	    NULL), 2);
}

TEST(test_show_skips_damaged_lines_and_exits_1)
{
	char *out;

	make_logs();
	put_file(tpath("audit.log"), "garbage\n{\"seq\":7,", 18, 1);
	CHECK_EQ_INT(run(&out, "show", tpath("audit.log"), NULL), 1);
	CHECK_EQ_INT(count_lines(out), 4);	/* header + 3 records */
	CHECK(strstr(t_err, "audit.log:4: not a record, skipped") != NULL);
	CHECK(strstr(t_err, "audit.log:5: not a record, skipped") != NULL);
}

/* ---- the tail anchor -------------------------------------------------- */

/* make_logs, a config naming it, and the anchor agentd would leave */
static char *
make_anchored_logs(void)
{
	static char cfg[T_PATH + 32];
	struct auditfmt_anchor a = { .seq = 6 };
	struct timespec ts = { T_T0, 0 };
	char line[AUDITFMT_ANCHOR_MAX];

	make_logs();
	snprintf(a.hash, sizeof(a.hash), "%s", t_log.prev);
	REQUIRE(auditfmt_anchor_format(&a, &ts, NULL, 0, line,
	    sizeof(line)) == 0);
	put_file(tpath("audit.log.anchor"), line, strlen(line), 0);
	snprintf(cfg, sizeof(cfg), "auditLog: %s\n", tpath("audit.log"));
	put_file(tpath("agentd.yaml"), cfg, strlen(cfg), 0);
	return tpath("agentd.yaml");
}

TEST(test_verify_checks_end_against_anchor)
{
	char *out, *cfg = make_anchored_logs();

	CHECK_EQ_INT(run(&out, "verify", "-f", cfg, NULL), 0);
	CHECK(strstr(out, "note: the log ends where its anchor says (seq 6)")
	    != NULL);
}

TEST(test_verify_reports_tail_truncation_with_location)
{
	char *out, *cfg = make_anchored_logs(), want[T_PATH + 128];
	struct stat st;

	/* cut seq 6: the chain is intact, the anchor is not reached */
	REQUIRE(stat(tpath("audit.log"), &st) == 0);
	{
		size_t len;
		char buf[8192];
		int fd;

		REQUIRE((fd = open(tpath("audit.log"), O_RDONLY)) != -1);
		len = (size_t)read(fd, buf, sizeof(buf));
		close(fd);
		REQUIRE(len > 0 && buf[len - 1] == '\n');
		buf[len - 1] = '\0';
		REQUIRE(truncate(tpath("audit.log"),
		    (off_t)(strrchr(buf, '\n') - buf + 1)) == 0);
	}
	CHECK_EQ_INT(run(&out, "verify", tpath("audit.log.1"),
	    tpath("audit.log"), NULL), 0);	/* no anchor: not noticed */
	CHECK_EQ_INT(run(&out, "verify", "-f", cfg, NULL), 1);
	snprintf(want, sizeof(want), "FAIL: %s:2 seq 5: truncated after seq "
	    "5: the anchor names seq 6", tpath("audit.log"));
	CHECK(strstr(out, want) != NULL);
	CHECK_EQ_INT(run(&out, "verify", "--anchor", tpath("audit.log.anchor"),
	    tpath("audit.log.1"), tpath("audit.log"), NULL), 1);
	CHECK(strstr(out, want) != NULL);
	/* as "audit.log*" expands: the anchor is taken as such */
	CHECK_EQ_INT(run(&out, "verify", tpath("audit.log"),
	    tpath("audit.log.1"), tpath("audit.log.anchor"), NULL), 1);
	CHECK(strstr(out, want) != NULL);
}

TEST(test_verify_reports_deleted_log)
{
	char *out, *cfg = make_anchored_logs(), want[T_PATH + 128];

	REQUIRE(unlink(tpath("audit.log")) == 0);
	CHECK_EQ_INT(run(&out, "verify", "-f", cfg, NULL), 1);
	snprintf(want, sizeof(want), "FAIL: %s: log missing (deleted?): the "
	    "anchor names seq 6", tpath("audit.log"));
	CHECK(strstr(out, want) != NULL);
}

TEST(test_verify_mark_leaves_verified_seq)
{
	char *out, *cfg = make_anchored_logs();
	struct auditfmt_anchor a;
	char why[256];

	CHECK_EQ_INT(run(&out, "verify", "--mark", "-f", cfg, NULL), 0);
	CHECK(strstr(out, "marked verified through seq 6") != NULL);
	CHECK_EQ_INT(auditfmt_anchor_read(tpath("audit.log.verified"), NULL,
	    0, &a, why, sizeof(why)), 0);
	CHECK_EQ_INT(a.seq, 6);
	CHECK_STR(a.hash, t_log.prev);
}

/* what agentd writes for zz-inj;field=forged.yaml reads back as such */
TEST(test_show_wide_prints_escaped_details)
{
	struct tlog tl = { .seq = 0 };
	char details[512], *out;

	mk_tmpdir();
	details[0] = '\0';
	auditfmt_details_add(details, sizeof(details), "file",
	    "zz-inj;field=forged.yaml");
	auditfmt_details_add(details, sizeof(details), "field",
	    "\x1b[2J\nrow");
	t_details = details;
	add(&tl, tpath("audit.log"), 0, "manifest.reject", NULL, NULL, "x");
	t_details = NULL;
	CHECK_EQ_INT(run(&out, "show", "-o", "wide", tpath("audit.log"),
	    NULL), 0);
	CHECK(strstr(out, "DETAILS") != NULL);
	CHECK(strstr(out, "file=zz-inj\\;field\\=forged.yaml;"
	    "field=\\x1b[2J\\x0arow") != NULL);
	CHECK(strchr(out, '\x1b') == NULL);
	CHECK_EQ_INT(run(&out, "show", tpath("audit.log"), NULL), 0);
	CHECK(strstr(out, "DETAILS") == NULL);
}
