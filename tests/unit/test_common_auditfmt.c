/*
 * The audit record format and verifier core (common/auditfmt.c): escaping,
 * details, the bounds (line length, details, files, key), the bounded line
 * reader, and what the parser refuses.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "tap.h"
#include "auditfmt.h"

#define T_PATH		1200
#define T_MAX_PATHS	256

static char tdir[64];
static const struct timespec t_ts = { 1700000000, 123456789 };

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
	snprintf(tdir, sizeof(tdir), "/tmp/agentd-auditfmt-XXXXXX");
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
put_file(const char *path, const char *data, size_t len)
{
	int fd;

	REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	REQUIRE(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static void
append_file(const char *path, const char *data, size_t len)
{
	int fd;

	REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1);
	REQUIRE(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* a record line for r with prev, as the writer would make it */
static char *
fmt(const struct audit_rec *r, uint64_t seq, const char *prev, size_t *len)
{
	char *line;

	line = auditfmt_format(r, seq, &t_ts, "node", prev, NULL, 0, len);
	REQUIRE(line != NULL);
	return line;
}

/* n files of per records each, chained, written with the real formatter */
static void
gen_chain(char **paths, int n, int per)
{
	char prev[AUDITFMT_HEX_LEN + 1] = AUDITFMT_ZERO_PREV, *line;
	struct audit_rec r = { .action = "container.start" };
	uint64_t seq = 1;
	size_t len;
	int f, i;

	for (f = 0; f < n; f++) {
		put_file(paths[f], "", 0);
		for (i = 0; i < per; i++, seq++) {
			r.action = i == 0 && f > 0 ? AUDITFMT_ROTATE_ACTION :
			    "container.start";
			line = fmt(&r, seq, prev, &len);
			auditfmt_sha256_hex(line, len, prev);
			line[len] = '\n';
			append_file(paths[f], line, len + 1);
			free(line);
		}
	}
}

/* the string value of member name in a formatted record */
static char *
member(const char *line, size_t len, const char *a, const char *b)
{
	cJSON *o, *v;
	char *s;

	REQUIRE((o = cJSON_ParseWithLength(line, len)) != NULL);
	v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	REQUIRE(cJSON_IsString(v));
	s = strdup(v->valuestring);
	cJSON_Delete(o);
	return s;
}

TEST(test_escapes_keep_one_valid_json_line)
{
	char in[128], *line, *got;
	struct audit_rec r = { .error = in };
	size_t len, i, n = 0;

	for (i = 1; i < 0x20; i++)
		in[n++] = (char)i;
	memcpy(in + n, "\"\\\x7f", 3), n += 3;
	memcpy(in + n, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), n += 9;
	memcpy(in + n, "\xc0\x80", 2), n += 2;		/* overlong */
	memcpy(in + n, "\xed\xa0\x80", 3), n += 3;	/* surrogate */
	memcpy(in + n, "\xf5", 1), n += 1;		/* beyond U+10FFFF */
	memcpy(in + n, "\xe2\x82", 2), n += 2;		/* cut short */
	in[n] = '\0';
	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	for (i = 0; i < len; i++)
		CHECK((unsigned char)line[i] >= 0x20);
	got = member(line, len, "error", NULL);
	CHECK(memcmp(got, in, 0x1f + 3 + 9) == 0);
	/* each invalid byte became U+FFFD (EF BF BD) */
	CHECK_EQ_INT(strlen(got), 0x1f + 3 + 9 + 8 * 3);
	for (i = 0x1f + 12; i < strlen(got); i += 3)
		CHECK(memcmp(got + i, "\xef\xbf\xbd", 3) == 0);
	free(got);
	free(line);
}

TEST(test_details_unescape)
{
	struct audit_rec r = { .details =
	    "a=x\\;y;b=1\\=2;c=back\\\\slash;d;;e=;f=\\n" };
	char *line, *v;
	size_t len;

	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	CHECK_STR(v = member(line, len, "details", "a"), "x;y"); free(v);
	CHECK_STR(v = member(line, len, "details", "b"), "1=2"); free(v);
	CHECK_STR(v = member(line, len, "details", "c"), "back\\slash");
	free(v);
	CHECK_STR(v = member(line, len, "details", "d"), ""); free(v);
	CHECK_STR(v = member(line, len, "details", "e"), ""); free(v);
	CHECK_STR(v = member(line, len, "details", "f"), "\\n"); free(v);
	free(line);
}

TEST(test_details_item_limit)
{
	char details[AUDITFMT_MAX_DETAILS * 8 + 16];
	struct audit_rec r = { .details = details };
	size_t len, off = 0;
	char *line, *v;
	int i;

	for (i = 0; i < AUDITFMT_MAX_DETAILS; i++)
		off += (size_t)snprintf(details + off, sizeof(details) - off,
		    "k%d=1;", i);
	line = auditfmt_format(&r, 1, &t_ts, NULL, AUDITFMT_ZERO_PREV, NULL,
	    0, &len);
	CHECK(line != NULL);
	free(line);
	snprintf(details + off, sizeof(details) - off, "k%d=1", i);
	/* one item too many: the record is still written, as raw text */
	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	CHECK_STR(v = member(line, len, "details", AUDITFMT_DETAILS_ERROR),
	    "too many items");
	free(v);
	CHECK_STR(v = member(line, len, "details", AUDITFMT_DETAILS_RAW),
	    details);
	free(v);
	free(line);
}

/* every byte a value may hold comes back as itself, one key per add */
TEST(test_details_escape_round_trips)
{
	char details[4096], value[300], *line, *v;
	struct audit_rec r = { .details = details };
	size_t len;
	int i;

	for (i = 1; i < 256; i++)
		value[i - 1] = (char)(i < 0x80 ? i : 'a');
	value[255] = '\0';
	details[0] = '\0';
	CHECK_EQ_INT(auditfmt_details_add(details, sizeof(details), "file",
	    "zz-inj;field=forged.yaml"), 0);
	CHECK_EQ_INT(auditfmt_details_add(details, sizeof(details), "field",
	    "a\\;b=\\"), 0);
	CHECK_EQ_INT(auditfmt_details_add(details, sizeof(details), "all",
	    value), 0);
	CHECK_EQ_INT(auditfmt_details_add(details, sizeof(details), "ctl",
	    "\x1b[2J\nrow\x7f"), 0);
	CHECK(strstr(details, "file=zz-inj\\;field\\=forged.yaml;") ==
	    details);
	CHECK(strstr(details, "ctl=\\x1b[2J\\x0arow\\x7f") != NULL);
	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	CHECK_STR(v = member(line, len, "details", "file"),
	    "zz-inj;field=forged.yaml");
	free(v);
	CHECK_STR(v = member(line, len, "details", "field"), "a\\;b=\\");
	free(v);
	CHECK_STR(v = member(line, len, "details", "all"), value); free(v);
	CHECK_STR(v = member(line, len, "details", "ctl"),
	    "\x1b[2J\nrow\x7f");
	free(v);
	CHECK(strstr(line, "forged") != NULL &&
	    strstr(line, "\"field\":\"forged") == NULL);
	free(line);
}

/* a value that does not fit is cut before an escape, with a marker */
TEST(test_details_add_cuts_with_marker)
{
	char details[16];

	details[0] = '\0';
	CHECK_EQ_INT(auditfmt_details_add(details, sizeof(details), "k",
	    "123456789;"), -1);
	/* "k=123456789\\;" + "..." + NUL would be 17 bytes */
	CHECK_STR(details, "k=123456789...");
	details[0] = '\0';
	CHECK_EQ_INT(auditfmt_details_add(details, sizeof(details), "k",
	    "1234567"), 0);
	CHECK_STR(details, "k=1234567");
	CHECK_EQ_INT(auditfmt_details_add(details, sizeof(details),
	    "longkey", "x"), -1);
	CHECK_STR(details, "k=1234567");
}

/* raw details are kept up to AUDITFMT_MAX_RAW_DETAILS bytes, then cut */
TEST(test_raw_details_at_limit_and_one_more)
{
	char details[AUDITFMT_MAX_RAW_DETAILS + 2], *line, *v;
	struct audit_rec r = { .details = details };
	size_t len;

	memset(details, 'x', sizeof(details));
	memcpy(details, "a=1;a=2;b=", 10);
	details[AUDITFMT_MAX_RAW_DETAILS] = '\0';
	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	CHECK_STR(v = member(line, len, "details", AUDITFMT_DETAILS_RAW),
	    details);
	free(v);
	CHECK(strstr(line, AUDITFMT_DETAILS_CUT) == NULL);
	free(line);
	details[AUDITFMT_MAX_RAW_DETAILS] = 'x';
	details[AUDITFMT_MAX_RAW_DETAILS + 1] = '\0';
	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	v = member(line, len, "details", AUDITFMT_DETAILS_RAW);
	CHECK_EQ_INT(strlen(v), AUDITFMT_MAX_RAW_DETAILS);
	free(v);
	CHECK_STR(v = member(line, len, "details", AUDITFMT_DETAILS_CUT),
	    "true");
	free(v);
	free(line);
}

/* a caller's bad details never drop the record */
TEST(test_repeated_key_is_kept_as_raw_text)
{
	struct audit_rec r = { .action = "manifest.reject",
	    .details = "file=zz-inj;field=forged.yaml;field=spec" };
	char *line, *v;
	size_t len;

	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	CHECK_STR(v = member(line, len, "details", AUDITFMT_DETAILS_ERROR),
	    "repeated key \"field\"");
	free(v);
	CHECK_STR(v = member(line, len, "details", AUDITFMT_DETAILS_RAW),
	    r.details);
	free(v);
	free(line);
}

TEST(test_bad_prev_refused)
{
	struct audit_rec r = { .action = "x" };
	size_t len;

	CHECK(auditfmt_format(&r, 1, &t_ts, NULL, "abc", NULL, 0, &len) ==
	    NULL);
	CHECK(auditfmt_format(&r, 1, &t_ts, NULL, NULL, NULL, 0, &len) ==
	    NULL);
}

TEST(test_line_limit_at_max_and_over)
{
	struct audit_rec r = { 0 };
	char *details, *line;
	size_t base, len, want;

	/* "v=" with an empty value gives the fixed part of the line */
	r.details = "v=";
	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &base);
	free(line);
	want = AUDITFMT_MAX_LINE - base;
	REQUIRE((details = malloc(want + 4)) != NULL);
	memcpy(details, "v=", 2);
	memset(details + 2, 'a', want + 1);
	details[2 + want] = '\0';
	r.details = details;
	line = fmt(&r, 1, AUDITFMT_ZERO_PREV, &len);
	CHECK_EQ_INT(len, AUDITFMT_MAX_LINE);
	free(line);
	details[2 + want] = 'a';
	details[3 + want] = '\0';
	errno = 0;
	CHECK(auditfmt_format(&r, 1, &t_ts, "node", AUDITFMT_ZERO_PREV, NULL,
	    0, &len) == NULL);
	CHECK_EQ_INT(errno, E2BIG);
	free(details);
}

TEST(test_reader_line_at_limit_and_over)
{
	struct auditfmt_reader *rd;
	const char *line;
	char *buf, *path;
	size_t len, n = AUDITFMT_MAX_LINE + 1;
	int complete, too_long;

	mk_tmpdir();
	path = tpath("f");
	REQUIRE((buf = malloc(n + 1)) != NULL);
	memset(buf, 'a', n + 1);
	buf[n - 1] = '\n';			/* MAX bytes + newline */
	put_file(path, buf, n);
	buf[n - 1] = 'a';
	buf[n] = '\n';				/* MAX + 1 bytes + newline */
	append_file(path, buf, n + 1);
	append_file(path, "tail", 4);		/* no newline */
	REQUIRE((rd = auditfmt_reader_open(path)) != NULL);
	CHECK_EQ_INT(auditfmt_next_line(rd, &line, &len, &complete,
	    &too_long), 1);
	CHECK_EQ_INT(len, AUDITFMT_MAX_LINE);
	CHECK(complete && !too_long);
	CHECK_EQ_INT(auditfmt_next_line(rd, &line, &len, &complete,
	    &too_long), 1);
	CHECK(too_long);
	CHECK_EQ_INT(auditfmt_next_line(rd, &line, &len, &complete,
	    &too_long), 1);
	CHECK(!complete && !too_long);
	CHECK(len == 4 && memcmp(line, "tail", 4) == 0);
	CHECK_EQ_INT(auditfmt_next_line(rd, &line, &len, &complete,
	    &too_long), 0);
	auditfmt_reader_close(rd);
	free(buf);
}

TEST(test_verify_reports_too_long_record)
{
	char *paths[1], *buf;
	struct audit_verify_result res;

	mk_tmpdir();
	paths[0] = tpath("audit.log");
	gen_chain(paths, 1, 2);
	REQUIRE((buf = malloc(AUDITFMT_MAX_LINE + 2)) != NULL);
	memset(buf, 'x', AUDITFMT_MAX_LINE + 1);
	buf[AUDITFMT_MAX_LINE + 1] = '\n';
	append_file(paths[0], buf, AUDITFMT_MAX_LINE + 2);
	CHECK_EQ_INT(auditfmt_verify_files((const char **)paths, 1, NULL, 0,
	    &res), -1);
	CHECK_EQ_INT(res.line, 3);
	CHECK(strncmp(res.reason, "record too long", 15) == 0);
	free(buf);
}

static int
parse(const char *line, char *why, size_t whylen)
{
	struct auditfmt_line pl;

	return auditfmt_parse_line(line, strlen(line), &pl, why, whylen);
}

TEST(test_parse_refuses_what_the_writer_never_writes)
{
	struct audit_rec r = { .action = "container.start" };
	char why[256], bad[4096], *line;
	size_t len;

	line = fmt(&r, 7, AUDITFMT_ZERO_PREV, &len);
	CHECK_EQ_INT(parse(line, why, sizeof(why)), 0);
	/* a duplicate member could show one value and hash another */
	snprintf(bad, sizeof(bad), "%.*s,\"action\":\"x\"}", (int)len - 1,
	    line);
	CHECK_EQ_INT(parse(bad, why, sizeof(why)), -1);
	CHECK_STR(why, "malformed record: duplicate member \"action\"");
	CHECK_EQ_INT(parse("{\"seq\":07,\"prev\":\"" AUDITFMT_ZERO_PREV
	    "\"}", why, sizeof(why)), -1);
	CHECK_STR(why, "malformed record: bad seq");
	CHECK_EQ_INT(parse("{\"seq\":0,\"prev\":\"" AUDITFMT_ZERO_PREV "\"}",
	    why, sizeof(why)), -1);
	CHECK_EQ_INT(parse("{\"prev\":\"" AUDITFMT_ZERO_PREV "\",\"seq\":1}",
	    why, sizeof(why)), -1);
	CHECK_EQ_INT(parse("{\"seq\":1,\"prev\":\"00\"}", why, sizeof(why)),
	    -1);
	CHECK_STR(why, "malformed record: bad prev");
	CHECK_EQ_INT(parse("{\"seq\":1,\"prev\":\"" AUDITFMT_ZERO_PREV "\"} ",
	    why, sizeof(why)), -1);
	CHECK_STR(why, "malformed JSON");
	CHECK_EQ_INT(parse("{\"seq\":1,\"a\":\"\t\",\"prev\":\""
	    AUDITFMT_ZERO_PREV "\"}", why, sizeof(why)), -1);
	CHECK_STR(why, "malformed JSON");
	/* an hmac member that is not the documented tail */
	CHECK_EQ_INT(parse("{\"seq\":1,\"hmac\":\"" AUDITFMT_ZERO_PREV
	    "\",\"prev\":\"" AUDITFMT_ZERO_PREV "\"}", why, sizeof(why)), -1);
	CHECK_STR(why, "malformed record: bad hmac member");
	free(line);
}

TEST(test_verify_empty_file_is_no_records)
{
	const char *paths[1];
	struct audit_verify_result res;

	mk_tmpdir();
	paths[0] = tpath("audit.log");
	put_file(paths[0], "", 0);
	CHECK_EQ_INT(auditfmt_verify_files(paths, 1, NULL, 0, &res), -1);
	CHECK_STR(res.reason, "no records");
	CHECK(!res.io_error);
}

TEST(test_verify_missing_file_is_io_error)
{
	const char *paths[1] = { "/nonexistent/audit.log" };
	struct audit_verify_result res;

	CHECK_EQ_INT(auditfmt_verify_files(paths, 1, NULL, 0, &res), -1);
	CHECK(res.io_error);
	CHECK_STR(res.file, "/nonexistent/audit.log");
	CHECK(strstr(res.reason, "No such file") != NULL);
}

TEST(test_first_record_needs_zero_prev)
{
	struct audit_rec r = { .action = "agentd.start" };
	const char *paths[1];
	struct audit_verify_result res;
	char *line;
	size_t len;

	mk_tmpdir();
	paths[0] = tpath("audit.log");
	line = fmt(&r, 1, "1111111111111111111111111111111111111111111111111111"
	    "111111111111", &len);
	line[len] = '\n';
	put_file(paths[0], line, len + 1);
	CHECK_EQ_INT(auditfmt_verify_files(paths, 1, NULL, 0, &res), -1);
	CHECK_EQ_INT(res.line, 1);
	CHECK(strstr(res.reason, "zero prev") != NULL);
	free(line);
}

TEST(test_verify_file_count_limit)
{
	char *paths[AUDITFMT_MAX_FILES + 1], name[32];
	struct audit_verify_result res;
	int i;

	mk_tmpdir();
	for (i = 0; i <= AUDITFMT_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		paths[i] = tpath(name);
	}
	gen_chain(paths, AUDITFMT_MAX_FILES + 1, 1);
	CHECK_EQ_INT(auditfmt_verify_files((const char **)paths,
	    AUDITFMT_MAX_FILES, NULL, 0, &res), 0);
	CHECK_EQ_INT(res.records, AUDITFMT_MAX_FILES);
	CHECK_EQ_INT(auditfmt_verify_files((const char **)paths,
	    AUDITFMT_MAX_FILES + 1, NULL, 0, &res), -1);
	CHECK(res.io_error);
	CHECK(strstr(res.reason, "between 1 and 64 files") != NULL);
}

TEST(test_sort_files_by_first_seq)
{
	char *paths[3], *sorted[4];
	int i;

	mk_tmpdir();
	paths[0] = tpath("a");
	paths[1] = tpath("b");
	paths[2] = tpath("c");
	gen_chain(paths, 3, 2);
	sorted[0] = paths[2];
	sorted[1] = tpath("empty");
	put_file(sorted[1], "", 0);
	sorted[2] = paths[0];
	sorted[3] = paths[1];
	auditfmt_sort_files((const char **)sorted, 4);
	for (i = 0; i < 3; i++)
		CHECK_STR(sorted[i], paths[i]);
	CHECK_STR(sorted[3], tpath("empty"));
}

TEST(test_rotated_name_bounds)
{
	char buf[16];

	CHECK_EQ_INT(auditfmt_rotated_name("audit.log", 10, buf, 13), 0);
	CHECK_STR(buf, "audit.log.10");
	CHECK_EQ_INT(auditfmt_rotated_name("audit.log", 10, buf, 12), -1);
}

TEST(test_unordered_bad_file_reported_at_its_first_line)
{
	char *paths[3];
	struct audit_verify_result res;

	mk_tmpdir();
	paths[0] = tpath("audit.log.2");
	paths[1] = tpath("audit.log.1");
	paths[2] = tpath("audit.log");
	gen_chain(paths, 3, 2);
	/* the middle file's first line loses its seq prefix */
	put_file(paths[1], "garbage\n", 8);
	CHECK_EQ_INT(auditfmt_verify_files((const char **)paths, 3, NULL, 0,
	    &res), -1);
	CHECK_STR(res.file, paths[1]);
	CHECK_EQ_INT(res.line, 1);
	CHECK_STR(res.reason, "malformed JSON");
}
