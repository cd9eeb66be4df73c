/*
 * The audit log writer (agentd/audit.c) together with the verifier it must
 * satisfy (common/auditfmt.c): records round-trip, the chain survives reopen
 * and rotation, every kind of tampering is found at the right place, and
 * the writer fails closed.
 */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "tap.h"
#include "../../agentd/audit.h"
#include "auditfmt.h"

#define T_KEY_LEN	32
#define T_PATH		1200
#define T_MAX_PATHS	256

static char tdir[64];
static const char *t_mounted;	/* a test tmpfs to detach at exit */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tmpdir(void)
{
	if (t_mounted != NULL)
		umount2(t_mounted, MNT_DETACH);
	if (tdir[0] != '\0')
		nftw(tdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mk_tmpdir(void)
{
	REQUIRE(tdir[0] == '\0');
	snprintf(tdir, sizeof(tdir), "/tmp/agentd-audit-XXXXXX");
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
write_key(const char *path, mode_t mode, size_t n, uint8_t fill)
{
	uint8_t key[AUDITFMT_MAX_KEY + 1];
	int fd;

	memset(key, fill, sizeof(key));
	REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	REQUIRE(write(fd, key, n) == (ssize_t)n);
	REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

static struct audit_log *
t_open_cfg(const char *path, const char *keyfile, uint64_t max, int sys)
{
	struct audit_cfg cfg = { .path = path, .key_file = keyfile,
	    .max_bytes = max, .do_fsync = 1, .use_syslog = sys,
	    .node = "node-1" };
	char err[512];
	struct audit_log *al;

	al = audit_open(&cfg, err, sizeof(err));
	if (al == NULL)
		fprintf(stderr, "audit_open: %s\n", err);
	return al;
}

static struct audit_log *
t_open(const char *path, const char *keyfile, uint64_t max)
{
	return t_open_cfg(path, keyfile, max, 0);
}

static void
t_append_n(struct audit_log *al, int n)
{
	static const char *actions[] = { "container.create",
	    "container.start", "policy.allow", "cgroup.create" };
	char ns[32], name[32];
	int i;

	for (i = 0; i < n; i++) {
		struct audit_rec r = { .actor = "executor",
		    .action = actions[i % 4], .phase = i % 2 ? "outcome" :
		    "intent", .pod_ns = ns, .pod_name = name,
		    .container = "app", .details = "uid=1000;privileged=false",
		    .outcome = i % 2 ? "ok" : NULL };

		snprintf(ns, sizeof(ns), "ns%d", i % 3);
		snprintf(name, sizeof(name), "pod-%d", i);
		REQUIRE(audit_append(al, &r, NULL) == 0);
	}
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	REQUIRE((fd = open(path, O_RDONLY)) != -1);
	REQUIRE(fstat(fd, &st) == 0);
	REQUIRE((buf = malloc((size_t)st.st_size + 1)) != NULL);
	REQUIRE(read(fd, buf, (size_t)st.st_size) == st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void
spew(const char *path, const char *buf, size_t len)
{
	int fd;

	REQUIRE((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	REQUIRE(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

/* offset and length (without newline) of 1-based line k */
static void
nth_line(const char *buf, size_t len, int k, size_t *off, size_t *llen)
{
	size_t o = 0;
	const char *nl;

	while (--k > 0) {
		REQUIRE((nl = memchr(buf + o, '\n', len - o)) != NULL);
		o = (size_t)(nl - buf) + 1;
	}
	REQUIRE((nl = memchr(buf + o, '\n', len - o)) != NULL);
	*off = o;
	*llen = (size_t)(nl - (buf + o));
}

static int
verify_paths(const char **paths, int n, const char *keyfile,
    struct audit_verify_result *res)
{
	uint8_t key[AUDITFMT_MAX_KEY];
	size_t keylen = 0;
	char err[256];

	if (keyfile != NULL)
		REQUIRE(auditfmt_load_key(keyfile, key, sizeof(key), &keylen,
		    err, sizeof(err)) == 0);
	return auditfmt_verify_files(paths, n, keyfile ? key : NULL, keylen,
	    res);
}

static int
verify1(const char *path, const char *keyfile, struct audit_verify_result *r)
{
	const char *paths[1] = { path };

	return verify_paths(paths, 1, keyfile, r);
}

/* a 10-record single-file log: line k holds seq k */
static char *
make_log10(const char *keyfile)
{
	struct audit_log *al;
	char *path;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, keyfile, 0)) != NULL);
	t_append_n(al, 10);
	audit_close(al);
	return path;
}

static void
check_fail_at(const struct audit_verify_result *res, const char *file,
    uint64_t line, uint64_t seq, const char *reason_prefix)
{
	CHECK(!res->ok);
	CHECK_STR(res->file, file);
	CHECK_EQ_INT(res->line, line);
	CHECK_EQ_INT(res->seq, seq);
	if (strncmp(res->reason, reason_prefix, strlen(reason_prefix)) != 0) {
		fprintf(stderr, "reason \"%s\", expected \"%s...\"\n",
		    res->reason, reason_prefix);
		tap_failed_here = 1;
	}
}

/* ---- records ---------------------------------------------------------- */

TEST(test_record_fields_round_trip)
{
	static const char *order[] = { "seq", "time", "node", "actor",
	    "action", "phase", "pod", "container", "image", "details",
	    "outcome", "error", "prev" };
	struct audit_rec r = { .actor = "executor",
	    .action = "container.create", .phase = "outcome",
	    .pod_ns = "default", .pod_name = "web-0", .pod_uid = "1234-abcd",
	    .container = "nginx", .image = "docker.io/library/nginx@sha256:ab",
	    .details = "uid=0;caps=CAP_CHOWN,CAP_NET_ADMIN;privileged=true;"
	    "mounts=/a:/b\\;ro;tab=a\tb",
	    .outcome = "error",
	    .error = "exit 1: \"quoted\" \\ \n\xff\xc3\xa9" };
	char *path, *buf;
	size_t len;
	uint64_t seq = 0;
	struct audit_log *al;
	cJSON *o, *c, *pod, *det;
	struct timespec now;
	int i = 0;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	REQUIRE(audit_append(al, &r, &seq) == 0);
	audit_close(al);
	CHECK_EQ_INT(seq, 1);
	buf = slurp(path, &len);
	REQUIRE(len > 0 && buf[len - 1] == '\n');
	CHECK(memchr(buf, '\n', len) == buf + len - 1);	/* one line */
	REQUIRE((o = cJSON_ParseWithLength(buf, len - 1)) != NULL);
	cJSON_ArrayForEach(c, o) {
		REQUIRE(i < 13);
		CHECK_STR(c->string, order[i]);
		i++;
	}
	CHECK_EQ_INT(i, 13);
	CHECK_EQ_INT(cJSON_GetObjectItem(o, "seq")->valuedouble, 1);
	CHECK_STR(cJSON_GetObjectItem(o, "node")->valuestring, "node-1");
	CHECK_STR(cJSON_GetObjectItem(o, "actor")->valuestring, "executor");
	CHECK_STR(cJSON_GetObjectItem(o, "action")->valuestring,
	    "container.create");
	CHECK_STR(cJSON_GetObjectItem(o, "phase")->valuestring, "outcome");
	pod = cJSON_GetObjectItem(o, "pod");
	CHECK_STR(cJSON_GetObjectItem(pod, "namespace")->valuestring,
	    "default");
	CHECK_STR(cJSON_GetObjectItem(pod, "name")->valuestring, "web-0");
	CHECK_STR(cJSON_GetObjectItem(pod, "uid")->valuestring, "1234-abcd");
	CHECK_STR(cJSON_GetObjectItem(o, "container")->valuestring, "nginx");
	CHECK_STR(cJSON_GetObjectItem(o, "image")->valuestring,
	    "docker.io/library/nginx@sha256:ab");
	det = cJSON_GetObjectItem(o, "details");
	CHECK_EQ_INT(cJSON_GetArraySize(det), 5);
	CHECK_STR(cJSON_GetObjectItem(det, "uid")->valuestring, "0");
	CHECK_STR(cJSON_GetObjectItem(det, "caps")->valuestring,
	    "CAP_CHOWN,CAP_NET_ADMIN");
	CHECK_STR(cJSON_GetObjectItem(det, "privileged")->valuestring, "true");
	CHECK_STR(cJSON_GetObjectItem(det, "mounts")->valuestring, "/a:/b;ro");
	CHECK_STR(cJSON_GetObjectItem(det, "tab")->valuestring, "a\tb");
	CHECK_STR(cJSON_GetObjectItem(o, "outcome")->valuestring, "error");
	/* the invalid byte \xff becomes U+FFFD; valid UTF-8 stays */
	CHECK_STR(cJSON_GetObjectItem(o, "error")->valuestring,
	    "exit 1: \"quoted\" \\ \n\xef\xbf\xbd\xc3\xa9");
	CHECK_STR(cJSON_GetObjectItem(o, "prev")->valuestring,
	    AUDITFMT_ZERO_PREV);
	CHECK(cJSON_GetObjectItem(o, "hmac") == NULL);
	/* RFC 3339 UTC with nanoseconds, and now */
	c = cJSON_GetObjectItem(o, "time");
	REQUIRE(cJSON_IsString(c));
	CHECK_EQ_INT(strlen(c->valuestring), 30);
	CHECK(c->valuestring[10] == 'T' && c->valuestring[19] == '.' &&
	    c->valuestring[29] == 'Z');
	clock_gettime(CLOCK_REALTIME, &now);
	{
		struct tm tm = { 0 };
		REQUIRE(strptime(c->valuestring, "%Y-%m-%dT%H:%M:%S", &tm));
		CHECK(llabs((long long)(timegm(&tm) - now.tv_sec)) < 5);
	}
	cJSON_Delete(o);
	free(buf);
}

TEST(test_absent_fields_are_json_null)
{
	struct audit_rec r = { .action = "agentd.start" };
	char *path, *buf;
	size_t len;
	struct audit_log *al;
	cJSON *o, *pod;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	REQUIRE(audit_append(al, &r, NULL) == 0);
	audit_close(al);
	buf = slurp(path, &len);
	REQUIRE((o = cJSON_ParseWithLength(buf, len - 1)) != NULL);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "actor")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "outcome")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "container")));
	pod = cJSON_GetObjectItem(o, "pod");
	CHECK(cJSON_IsObject(pod));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(pod, "namespace")));
	CHECK(cJSON_IsObject(cJSON_GetObjectItem(o, "details")));
	CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "details")), 0);
	cJSON_Delete(o);
	free(buf);
}

/* the documented byte ranges, checked with OpenSSL directly */
TEST(test_prev_and_hmac_cover_documented_bytes)
{
	char *path, *kpath, *buf, hex[65];
	uint8_t key[T_KEY_LEN], md[32];
	unsigned int mdlen;
	size_t len, o1, l1, o2, l2, i;
	struct audit_log *al;
	cJSON *rec;
	const char *tail;

	mk_tmpdir();
	kpath = tpath("key");
	write_key(kpath, 0600, T_KEY_LEN, 0x5a);
	memset(key, 0x5a, sizeof(key));
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, kpath, 0)) != NULL);
	t_append_n(al, 2);
	audit_close(al);
	buf = slurp(path, &len);
	nth_line(buf, len, 1, &o1, &l1);
	nth_line(buf, len, 2, &o2, &l2);
	/* record 2's prev: SHA-256 of line 1 without its newline */
	SHA256((unsigned char *)buf + o1, l1, md);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	REQUIRE((rec = cJSON_ParseWithLength(buf + o2, l2)) != NULL);
	CHECK_STR(cJSON_GetObjectItem(rec, "prev")->valuestring, hex);
	/* hmac: over the line up to ,"hmac":"...  (the last member) */
	tail = strstr(buf + o2, ",\"hmac\":\"");
	REQUIRE(tail != NULL && tail < buf + o2 + l2);
	CHECK_EQ_INT((size_t)(buf + o2 + l2 - tail), AUDITFMT_HMAC_TAIL_LEN);
	HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)buf + o2,
	    (size_t)(tail - (buf + o2)), md, &mdlen);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	CHECK_STR(cJSON_GetObjectItem(rec, "hmac")->valuestring, hex);
	cJSON_Delete(rec);
	free(buf);
}

TEST(test_bad_details_are_written_marked)
{
	struct audit_rec dup = { .action = "x", .details = "uid=0;uid=1" };
	struct audit_rec nokey = { .action = "x", .details = "=1" };
	char *path;
	struct audit_log *al;
	struct stat st;
	uint64_t seq = 0;
	struct audit_verify_result res;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 1);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(audit_append(al, &dup, NULL), 0);
	CHECK_EQ_INT(audit_append(al, &nokey, NULL), 0);
	t_append_n(al, 1);
	{
		struct audit_rec ok = { .action = "y" };
		REQUIRE(audit_append(al, &ok, &seq) == 0);
	}
	CHECK_EQ_INT(seq, 5);	/* a record for each, none dropped */
	audit_close(al);
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
	CHECK_EQ_INT(res.records, 5);
	{
		size_t n;
		char *buf = slurp(path, &n);

		CHECK(strstr(buf, "\"_format_error\":\"repeated key "
		    "\\\"uid\\\"\",\"_raw\":\"uid=0;uid=1\"") != NULL);
		CHECK(strstr(buf, "\"_format_error\":\"empty key\"") != NULL);
		free(buf);
	}
}

/* ---- the chain across reopen and rotation ----------------------------- */

TEST(test_chain_resumes_after_reopen)
{
	char *path;
	struct audit_log *al;
	struct audit_verify_result res;
	struct audit_rec r = { .action = "agentd.start" };
	uint64_t seq = 0;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 3);
	audit_close(al);
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	REQUIRE(audit_append(al, &r, &seq) == 0);
	CHECK_EQ_INT(seq, 4);
	t_append_n(al, 2);
	audit_close(al);
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
	CHECK(res.ok);
	CHECK_EQ_INT(res.records, 6);
	CHECK_EQ_INT(res.first_seq, 1);
	CHECK_EQ_INT(res.last_seq, 6);
	CHECK(!res.partial_start);
}

TEST(test_second_writer_refused)
{
	char *path;
	struct audit_log *a, *b;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((a = t_open(path, NULL, 0)) != NULL);
	b = t_open(path, NULL, 0);
	CHECK(b == NULL);
	audit_close(b);
	audit_close(a);
}

TEST(test_torn_last_line_refuses_open)
{
	struct audit_cfg cfg = { 0 };
	char *path, err[512];
	struct audit_log *al;
	int fd;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 2);
	audit_close(al);
	REQUIRE((fd = open(path, O_WRONLY | O_APPEND)) != -1);
	REQUIRE(write(fd, "{\"seq\":3,\"ti", 12) == 12);
	close(fd);
	cfg.path = path;
	err[0] = '\0';
	CHECK(audit_open(&cfg, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no newline") != NULL);
	CHECK(strstr(err, path) != NULL);
}

TEST(test_rotation_keeps_chain_across_files)
{
	char *path, *buf, *prevbuf, hex[65];
	const char *paths[4];
	struct audit_log *al;
	struct audit_verify_result res;
	size_t len, plen, off, llen, poff, pllen;
	cJSON *rec;
	struct stat st;
	int nlines = 0;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 2000)) != NULL);
	t_append_n(al, 20);
	audit_close(al);
	REQUIRE(stat(tpath("audit.log.1"), &st) == 0);
	REQUIRE(stat(tpath("audit.log.2"), &st) == 0);
	CHECK(stat(tpath("audit.log.4"), &st) == -1);
	/* given in any order */
	paths[0] = tpath("audit.log");
	paths[1] = tpath("audit.log.3");
	paths[2] = tpath("audit.log.1");
	paths[3] = tpath("audit.log.2");
	CHECK_EQ_INT(verify_paths(paths, 4, NULL, &res), 0);
	CHECK(res.ok);
	CHECK_EQ_INT(res.first_seq, 1);
	CHECK_EQ_INT(res.records, res.last_seq);
	CHECK(res.records > 20);	/* 20 plus one audit.rotate per file */
	CHECK_EQ_INT(res.order[0], 1);
	CHECK_EQ_INT(res.order[3], 0);
	/* the live file starts with audit.rotate naming path.1's last hash */
	buf = slurp(path, &len);
	nth_line(buf, len, 1, &off, &llen);
	REQUIRE((rec = cJSON_ParseWithLength(buf, llen)) != NULL);
	CHECK_STR(cJSON_GetObjectItem(rec, "action")->valuestring,
	    "audit.rotate");
	prevbuf = slurp(tpath("audit.log.1"), &plen);
	for (poff = 0; poff < plen; poff++)
		if (prevbuf[poff] == '\n')
			nlines++;
	nth_line(prevbuf, plen, nlines, &poff, &pllen);
	auditfmt_sha256_hex(prevbuf + poff, pllen, hex);
	CHECK_STR(cJSON_GetObjectItem(rec, "prev")->valuestring, hex);
	cJSON_Delete(rec);
	free(buf);
	free(prevbuf);
}

TEST(test_rotation_deletes_oldest_beyond_keep)
{
	char *path, name[T_PATH];
	const char *paths[AUDITFMT_ROTATE_KEEP + 1];
	struct audit_log *al;
	struct audit_verify_result res;
	struct stat st;
	int i;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 600)) != NULL);
	t_append_n(al, 60);
	audit_close(al);
	snprintf(name, sizeof(name), "%s.%d", path, AUDITFMT_ROTATE_KEEP);
	CHECK(stat(name, &st) == 0);
	snprintf(name, sizeof(name), "%s.%d", path, AUDITFMT_ROTATE_KEEP + 1);
	CHECK(stat(name, &st) == -1 && errno == ENOENT);
	paths[0] = path;
	for (i = 1; i <= AUDITFMT_ROTATE_KEEP; i++) {
		snprintf(name, sizeof(name), "audit.log.%d", i);
		paths[i] = tpath(name);
	}
	/* what retention kept verifies; the chain starts at a rotation */
	CHECK_EQ_INT(verify_paths(paths, AUDITFMT_ROTATE_KEEP + 1, NULL,
	    &res), 0);
	CHECK(res.ok);
	CHECK(res.partial_start);
	CHECK(res.first_seq > 1);
}

TEST(test_interrupted_rotation_resumes_from_rotated_file)
{
	char *path, *buf;
	const char *paths[2];
	struct audit_log *al;
	struct audit_verify_result res;
	size_t len;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 3);
	audit_close(al);
	/* as if agentd died right after renaming the live file */
	REQUIRE(rename(path, tpath("audit.log.1")) == 0);
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 1);
	audit_close(al);
	buf = slurp(path, &len);
	CHECK(strncmp(buf, "{\"seq\":4,", 9) == 0);
	CHECK(strstr(buf, "\"action\":\"audit.rotate\"") != NULL);
	paths[0] = path;
	paths[1] = tpath("audit.log.1");
	CHECK_EQ_INT(verify_paths(paths, 2, NULL, &res), 0);
	CHECK_EQ_INT(res.records, 5);
	free(buf);
}

TEST(test_key_change_starts_new_file)
{
	char *path, *kpath;
	const char *paths[2];
	struct audit_log *al;
	struct audit_verify_result res;
	struct stat st;

	mk_tmpdir();
	path = tpath("audit.log");
	kpath = tpath("key");
	write_key(kpath, 0400, T_KEY_LEN, 7);
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 3);
	audit_close(al);
	REQUIRE((al = t_open(path, kpath, 0)) != NULL);
	t_append_n(al, 2);
	audit_close(al);
	CHECK(stat(tpath("audit.log.1"), &st) == 0);
	/* the keyed file alone verifies with the key ... */
	CHECK_EQ_INT(verify1(path, kpath, &res), 0);
	CHECK(res.partial_start);
	CHECK_EQ_INT(res.records, 3);	/* audit.rotate + 2 */
	/* ... and the whole chain without it */
	paths[0] = tpath("audit.log.1");
	paths[1] = path;
	CHECK_EQ_INT(verify_paths(paths, 2, NULL, &res), 0);
	CHECK_EQ_INT(res.records, 6);
	CHECK_EQ_INT(res.hmac_present, 3);
}

/* ---- tampering -------------------------------------------------------- */

/* flips the case of the first letter of record k's action */
static void
flip_action_byte(const char *path, int k)
{
	size_t len, off, llen;
	char *buf = slurp(path, &len), *p;

	nth_line(buf, len, k, &off, &llen);
	REQUIRE((p = strstr(buf + off, "\"action\":\"")) != NULL);
	p += strlen("\"action\":\"");
	REQUIRE(p < buf + off + llen);
	*p ^= 0x20;
	spew(path, buf, len);
	free(buf);
}

TEST(test_flipped_byte_detected_by_next_prev)
{
	char *path = make_log10(NULL);
	struct audit_verify_result res;

	flip_action_byte(path, 5);
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 6, 6, "prev hash mismatch");
	CHECK(strstr(res.reason, ":5, seq 5)") != NULL);
}

TEST(test_flipped_byte_detected_by_hmac_at_record)
{
	char *kpath, *path;
	struct audit_verify_result res;

	mk_tmpdir();
	kpath = tpath("key");
	write_key(kpath, 0600, T_KEY_LEN, 1);
	{
		struct audit_log *al;
		path = tpath("audit.log");
		REQUIRE((al = t_open(path, kpath, 0)) != NULL);
		t_append_n(al, 10);
		audit_close(al);
	}
	CHECK_EQ_INT(verify1(path, kpath, &res), 0);
	flip_action_byte(path, 5);
	CHECK_EQ_INT(verify1(path, kpath, &res), -1);
	check_fail_at(&res, path, 5, 5, "bad hmac");
}

TEST(test_flipped_brace_is_malformed_json)
{
	char *path = make_log10(NULL), *buf;
	size_t len, off, llen;
	struct audit_verify_result res;

	buf = slurp(path, &len);
	nth_line(buf, len, 4, &off, &llen);
	buf[off + llen - 1] ^= 0x01;	/* the closing brace */
	spew(path, buf, len);
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 4, 4, "malformed JSON");
	free(buf);
}

TEST(test_deleted_line_is_sequence_gap)
{
	char *path = make_log10(NULL), *buf;
	size_t len, off, llen;
	struct audit_verify_result res;

	buf = slurp(path, &len);
	nth_line(buf, len, 7, &off, &llen);
	memmove(buf + off, buf + off + llen + 1, len - off - llen - 1);
	spew(path, buf, len - llen - 1);
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 7, 8, "sequence gap: expected 7, found 8");
	free(buf);
}

TEST(test_swapped_lines_detected_at_first)
{
	char *path = make_log10(NULL), *buf, *out;
	size_t len, o3, l3, o4, l4;
	struct audit_verify_result res;

	buf = slurp(path, &len);
	REQUIRE((out = malloc(len)) != NULL);
	nth_line(buf, len, 3, &o3, &l3);
	nth_line(buf, len, 4, &o4, &l4);
	memcpy(out, buf, o3);
	memcpy(out + o3, buf + o4, l4 + 1);
	memcpy(out + o3 + l4 + 1, buf + o3, l3 + 1);
	memcpy(out + o4 + l4 + 1, buf + o4 + l4 + 1, len - o4 - l4 - 1);
	spew(path, out, len);
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 3, 4, "sequence gap: expected 3, found 4");
	free(buf);
	free(out);
}

TEST(test_inserted_copy_detected)
{
	char *path = make_log10(NULL), *buf, *out;
	size_t len, o2, l2, o6, l6;
	struct audit_verify_result res;

	buf = slurp(path, &len);
	nth_line(buf, len, 2, &o2, &l2);
	nth_line(buf, len, 6, &o6, &l6);
	REQUIRE((out = malloc(len + l2 + 1)) != NULL);
	memcpy(out, buf, o6);			/* lines 1..5 */
	memcpy(out + o6, buf + o2, l2 + 1);	/* a replayed record 2 */
	memcpy(out + o6 + l2 + 1, buf + o6, len - o6);
	spew(path, out, len + l2 + 1);
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 6, 2, "sequence out of order");
	free(buf);
	free(out);
}

TEST(test_truncated_mid_record_detected)
{
	char *path = make_log10(NULL);
	size_t len, off, llen;
	char *buf = slurp(path, &len);
	struct audit_verify_result res;

	nth_line(buf, len, 5, &off, &llen);
	REQUIRE(truncate(path, (off_t)(off + llen / 2)) == 0);
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 5, 5, "truncated record");
	free(buf);
}

TEST(test_removed_leading_records_detected)
{
	char *path = make_log10(NULL), *buf;
	size_t len, off, llen;
	struct audit_verify_result res;

	buf = slurp(path, &len);
	nth_line(buf, len, 3, &off, &llen);
	spew(path, buf + off, len - off);	/* lines 1 and 2 gone */
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 1, 3, "chain start");
	free(buf);
}

TEST(test_removed_rotated_file_is_gap)
{
	char *path;
	const char *paths[3];
	struct audit_log *al;
	struct audit_verify_result res;
	uint64_t last2;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, NULL, 2000)) != NULL);
	t_append_n(al, 20);
	audit_close(al);
	/* files: .3 .2 .1 live; .2 is "lost" */
	paths[0] = tpath("audit.log.3");
	paths[1] = tpath("audit.log.2");
	CHECK_EQ_INT(verify_paths(paths, 2, NULL, &res), 0);
	last2 = res.last_seq;
	paths[1] = tpath("audit.log.1");
	paths[2] = path;
	CHECK_EQ_INT(verify_paths(paths, 3, NULL, &res), -1);
	CHECK_STR(res.file, tpath("audit.log.1"));
	CHECK_EQ_INT(res.line, 1);
	CHECK(strncmp(res.reason, "sequence gap", 12) == 0);
	CHECK(res.seq > last2);
}

TEST(test_edit_with_recomputed_hash_detected)
{
	char *path = make_log10(NULL), *buf, *out, hex[65], *p;
	size_t len, o4, l4, o5, l5;
	struct audit_verify_result res;

	/* edit record 4 (outcome ok -> no), then fix record 5's prev */
	buf = slurp(path, &len);
	nth_line(buf, len, 4, &o4, &l4);
	REQUIRE((p = strstr(buf + o4, "\"outcome\":\"ok\"")) != NULL);
	memcpy(p, "\"outcome\":\"no\"", 14);
	auditfmt_sha256_hex(buf + o4, l4, hex);
	nth_line(buf, len, 5, &o5, &l5);
	REQUIRE((p = strstr(buf + o5, "\"prev\":\"")) != NULL);
	memcpy(p + 8, hex, 64);
	REQUIRE((out = strdup(buf)) != NULL);
	spew(path, out, len);
	/* record 5 changed too, so record 6 no longer chains */
	CHECK_EQ_INT(verify1(path, NULL, &res), -1);
	check_fail_at(&res, path, 6, 6, "prev hash mismatch");
	free(buf);
	free(out);
}

TEST(test_wrong_key_fails)
{
	char *kpath, *wrong, *path;
	struct audit_verify_result res;
	struct audit_log *al;

	mk_tmpdir();
	kpath = tpath("key");
	wrong = tpath("wrong");
	write_key(kpath, 0600, T_KEY_LEN, 1);
	write_key(wrong, 0600, T_KEY_LEN, 2);
	path = tpath("audit.log");
	REQUIRE((al = t_open(path, kpath, 0)) != NULL);
	t_append_n(al, 3);
	audit_close(al);
	CHECK_EQ_INT(verify1(path, kpath, &res), 0);
	CHECK(res.hmac_checked);
	CHECK_EQ_INT(verify1(path, wrong, &res), -1);
	check_fail_at(&res, path, 1, 1, "bad hmac");
}

TEST(test_missing_hmac_with_key_fails)
{
	char *path = make_log10(NULL), *kpath = tpath("key");
	struct audit_verify_result res;

	write_key(kpath, 0600, T_KEY_LEN, 1);
	CHECK_EQ_INT(verify1(path, kpath, &res), -1);
	check_fail_at(&res, path, 1, 1, "missing hmac");
}

/* ---- fail closed ------------------------------------------------------ */

static void
set_fsize_limit(rlim_t n)
{
	struct rlimit rl = { n, RLIM_INFINITY };

	REQUIRE(setrlimit(RLIMIT_FSIZE, &rl) == 0);
}

TEST(test_partial_write_is_cut_off_and_retried)
{
	char *path;
	struct audit_log *al;
	struct audit_verify_result res;
	struct stat st;
	uint64_t seq = 0;
	struct audit_rec r = { .action = "container.start", .phase = "intent" };

	mk_tmpdir();
	path = tpath("audit.log");
	signal(SIGXFSZ, SIG_IGN);
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 3);
	REQUIRE(stat(path, &st) == 0);
	/* room for 10 bytes: a short write, then EFBIG */
	set_fsize_limit((rlim_t)st.st_size + 10);
	errno = 0;
	CHECK_EQ_INT(audit_append(al, &r, NULL), -1);
	CHECK_EQ_INT(errno, EFBIG);
	CHECK(strstr(audit_last_error(al), path) != NULL);
	{
		struct stat st2;
		REQUIRE(stat(path, &st2) == 0);
		CHECK_EQ_INT(st2.st_size, st.st_size);
	}
	/* no room at all */
	set_fsize_limit((rlim_t)st.st_size);
	CHECK_EQ_INT(audit_append(al, &r, NULL), -1);
	/* space again: the next append goes on with the next seq */
	set_fsize_limit(RLIM_INFINITY);
	CHECK_EQ_INT(audit_append(al, &r, &seq), 0);
	CHECK_EQ_INT(seq, 4);
	audit_close(al);
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
	CHECK_EQ_INT(res.records, 4);
}

TEST(test_full_disk_fails_closed)
{
	char *mnt, *path, *filler, big[8192];
	struct audit_log *al;
	struct audit_verify_result res;
	struct stat st, st2;
	struct audit_rec r = { .action = "container.create", .details = big };
	uint64_t seq = 0;
	int fd;

	mk_tmpdir();
	if (unshare(CLONE_NEWNS) == -1) {
		printf("# skip: unshare(CLONE_NEWNS): %s\n", strerror(errno));
		return;
	}
	REQUIRE(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	mnt = tpath("mnt");
	REQUIRE(mkdir(mnt, 0700) == 0);
	REQUIRE(mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == 0);
	t_mounted = mnt;
	path = tpath("mnt/audit.log");
	filler = tpath("mnt/filler");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = 'k';
	big[1] = '=';
	REQUIRE((al = t_open(path, NULL, 0)) != NULL);
	t_append_n(al, 3);
	REQUIRE((fd = open(filler, O_WRONLY | O_CREAT, 0600)) != -1);
	while (write(fd, big, sizeof(big)) > 0)
		;
	CHECK_EQ_INT(errno, ENOSPC);
	close(fd);
	REQUIRE(stat(path, &st) == 0);
	errno = 0;
	CHECK_EQ_INT(audit_append(al, &r, NULL), -1);
	CHECK_EQ_INT(errno, ENOSPC);
	REQUIRE(stat(path, &st2) == 0);
	CHECK_EQ_INT(st2.st_size, st.st_size);
	REQUIRE(unlink(filler) == 0);
	CHECK_EQ_INT(audit_append(al, &r, &seq), 0);
	CHECK_EQ_INT(seq, 4);
	audit_close(al);
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
	CHECK_EQ_INT(res.records, 4);
}

TEST(test_symlink_to_dev_full_refused)
{
	struct audit_cfg cfg = { 0 };
	char err[512] = "", *path;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE(symlink("/dev/full", path) == 0);
	cfg.path = path;
	CHECK(audit_open(&cfg, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "symlink") != NULL);
	cfg.path = "/dev/full";
	CHECK(audit_open(&cfg, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a regular file") != NULL);
}

TEST(test_unwritable_directory_fails_open)
{
	struct audit_cfg cfg = { .path = "/proc/agentd-audit.log" };
	char err[512] = "";

	CHECK(audit_open(&cfg, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/proc/agentd-audit.log") != NULL);
}

/* ---- key files -------------------------------------------------------- */

static int
open_with_key(const char *kpath, char *err, size_t errlen)
{
	struct audit_cfg cfg = { .path = tpath("audit.log"),
	    .key_file = kpath };
	struct audit_log *al;

	al = audit_open(&cfg, err, errlen);
	audit_close(al);
	return al ? 0 : -1;
}

TEST(test_key_file_readable_by_group_rejected)
{
	char err[512] = "", *kpath;

	mk_tmpdir();
	kpath = tpath("key");
	write_key(kpath, 0640, T_KEY_LEN, 1);
	CHECK_EQ_INT(open_with_key(kpath, err, sizeof(err)), -1);
	CHECK(strstr(err, kpath) != NULL);
	CHECK(strstr(err, "0640") != NULL);
	write_key(kpath, 0604, T_KEY_LEN, 1);
	CHECK_EQ_INT(open_with_key(kpath, err, sizeof(err)), -1);
	write_key(kpath, 0600, T_KEY_LEN, 1);
	CHECK_EQ_INT(open_with_key(kpath, err, sizeof(err)), 0);
}

TEST(test_key_file_length_bounds)
{
	char err[512] = "", *kpath;

	mk_tmpdir();
	kpath = tpath("key");
	write_key(kpath, 0600, AUDITFMT_MIN_KEY - 1, 1);
	CHECK_EQ_INT(open_with_key(kpath, err, sizeof(err)), -1);
	CHECK(strstr(err, "need at least 32") != NULL);
	write_key(kpath, 0600, AUDITFMT_MIN_KEY, 1);
	CHECK_EQ_INT(open_with_key(kpath, err, sizeof(err)), 0);
	write_key(kpath, 0600, AUDITFMT_MAX_KEY, 1);
	CHECK_EQ_INT(open_with_key(kpath, err, sizeof(err)), 0);
	write_key(kpath, 0600, AUDITFMT_MAX_KEY + 1, 1);
	CHECK_EQ_INT(open_with_key(kpath, err, sizeof(err)), -1);
	CHECK(strstr(err, "longer than") != NULL);
	CHECK_EQ_INT(open_with_key(tpath("nokey"), err, sizeof(err)), -1);
	CHECK(strstr(err, "No such file") != NULL);
}

/* ---- syslog ----------------------------------------------------------- */

/* a private /dev/log in a private mount namespace */
TEST(test_syslog_copy_carries_seq)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	struct audit_rec r = { .actor = "executor", .action = "container.kill",
	    .phase = "outcome", .pod_ns = "default", .pod_name = "web",
	    .outcome = "ok" };
	char msg[1024], *path;
	struct audit_log *al;
	ssize_t n;
	int s;

	mk_tmpdir();
	if (unshare(CLONE_NEWNS) == -1) {
		printf("# skip: unshare(CLONE_NEWNS): %s\n", strerror(errno));
		return;
	}
	REQUIRE(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	REQUIRE(mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") == 0);
	REQUIRE((s = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/dev/log");
	REQUIRE(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	REQUIRE(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	closelog();
	path = tpath("audit.log");
	REQUIRE((al = t_open_cfg(path, NULL, 0, 1)) != NULL);
	t_append_n(al, 1);
	REQUIRE(audit_append(al, &r, NULL) == 0);
	audit_close(al);
	REQUIRE((n = recv(s, msg, sizeof(msg) - 1, 0)) > 0);	/* seq 1 */
	REQUIRE((n = recv(s, msg, sizeof(msg) - 1, 0)) > 0);	/* seq 2 */
	msg[n] = '\0';
	/* LOG_AUTHPRIV | LOG_NOTICE = 10 * 8 + 5 */
	CHECK(strncmp(msg, "<85>", 4) == 0);
	CHECK(strstr(msg, "audit seq=2 actor=executor action=container.kill "
	    "phase=outcome pod=default/web container=- outcome=ok") != NULL);
	close(s);
}

/* ---- worker-caused records: the rate limit ----------------------------- */

static struct audit_log *
t_open_full(const char *path, const char *keyfile, uint64_t max,
    const char *anchor, int retain, const char *syslog_path)
{
	struct audit_cfg cfg = { .path = path, .key_file = keyfile,
	    .max_bytes = max, .do_fsync = 0, .use_syslog = syslog_path != NULL,
	    .syslog_path = syslog_path, .retain_unshipped = retain,
	    .anchor_path = anchor, .node = "node-1" };
	char err[512];
	struct audit_log *al;

	al = audit_open(&cfg, err, sizeof(err));
	if (al == NULL)
		fprintf(stderr, "audit_open: %s\n", err);
	return al;
}

static const struct audit_rec t_reject = { .actor = "watcher",
    .action = "manifest.reject", .phase = "event",
    .details = "file=bad.yaml;field=spec", .outcome = "rejected",
    .error = "forged" };

/* how many lines of the file hold s */
static int
count_in(const char *path, const char *s)
{
	size_t len, n = 0;
	char *buf = slurp(path, &len), *p = buf;

	while ((p = strstr(p, s)) != NULL)
		n++, p += strlen(s);
	free(buf);
	return (int)n;
}

static void
t_flood(struct audit_log *al, int n, time_t now, int *written, int *held)
{
	int i, rc;

	*written = *held = 0;
	for (i = 0; i < n; i++) {
		REQUIRE((rc = audit_append_worker(al, &t_reject, now)) != -1);
		if (rc == 0)
			(*written)++;
		else
			(*held)++;
	}
}

TEST(test_worker_records_at_rate_limit_are_all_written)
{
	struct audit_log *al;
	char *path;
	int w, h;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open_full(path, NULL, 0, NULL, 0, NULL)) != NULL);
	t_flood(al, AUDIT_RATE_BURST, 100, &w, &h);
	CHECK_EQ_INT(w, AUDIT_RATE_BURST);
	CHECK_EQ_INT(h, 0);
	REQUIRE(audit_tick(al, 100 + AUDIT_RATE_WINDOW_S) == 0);
	audit_close(al);
	CHECK_EQ_INT(count_in(path, "manifest.reject"), AUDIT_RATE_BURST);
	CHECK_EQ_INT(count_in(path, "audit.suppressed"), 0);
}

TEST(test_worker_records_over_rate_limit_are_summed_up)
{
	struct audit_verify_result res;
	struct audit_log *al;
	char *path;
	int w, h;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open_full(path, NULL, 0, NULL, 0, NULL)) != NULL);
	t_flood(al, AUDIT_RATE_BURST + 1, 100, &w, &h);
	CHECK_EQ_INT(w, AUDIT_RATE_BURST);
	CHECK_EQ_INT(h, 1);
	/* the window is still open: no summary yet */
	REQUIRE(audit_tick(al, 100 + AUDIT_RATE_WINDOW_S - 1) == 0);
	CHECK_EQ_INT(count_in(path, "audit.suppressed"), 0);
	REQUIRE(audit_tick(al, 100 + AUDIT_RATE_WINDOW_S) == 0);
	/* a new window: the limit starts again */
	t_flood(al, 3000, 100 + AUDIT_RATE_WINDOW_S, &w, &h);
	CHECK_EQ_INT(w, AUDIT_RATE_BURST);
	REQUIRE(audit_tick(al, 100 + 2 * AUDIT_RATE_WINDOW_S) == 0);
	audit_close(al);
	CHECK_EQ_INT(count_in(path, "\"actor\":\"watcher\",\"action\":"
	    "\"manifest.reject\""), 2 * AUDIT_RATE_BURST);
	CHECK_EQ_INT(count_in(path, "\"action\":\"audit.suppressed\""), 2);
	CHECK_EQ_INT(count_in(path, "\"actor\":\"watcher\",\"action\":"
	    "\"audit.suppressed\""), 2);
	CHECK_EQ_INT(count_in(path, "\"suppressed\":\"1\""), 1);
	CHECK_EQ_INT(count_in(path, "\"suppressed\":\"2980\""), 1);
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
}

/* kinds are limited apart: a flood of one does not hide another */
TEST(test_rate_limit_is_per_kind)
{
	struct audit_rec other = t_reject;
	struct audit_log *al;
	char *path;
	int w, h;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open_full(path, NULL, 0, NULL, 0, NULL)) != NULL);
	t_flood(al, 100, 100, &w, &h);
	other.action = "worker.restart";
	CHECK_EQ_INT(audit_append_worker(al, &other, 100), 0);
	audit_close(al);
	CHECK_EQ_INT(count_in(path, "worker.restart"), 1);
}

/* AUDIT_RATE_KINDS kinds are limited apart; one more shares the last */
TEST(test_rate_kinds_at_limit_and_one_more)
{
	struct audit_rec r = t_reject;
	struct audit_log *al;
	char action[32], *path;
	int i, j;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open_full(path, NULL, 0, NULL, 0, NULL)) != NULL);
	r.action = action;
	for (i = 0; i < AUDIT_RATE_KINDS; i++) {
		snprintf(action, sizeof(action), "kind.%d", i);
		for (j = 0; j < AUDIT_RATE_BURST; j++)
			CHECK_EQ_INT(audit_append_worker(al, &r, 100), 0);
	}
	snprintf(action, sizeof(action), "kind.%d", AUDIT_RATE_KINDS);
	CHECK_EQ_INT(audit_append_worker(al, &r, 100), 1);
	audit_close(al);
}

/* a clean stop sums up the windows still open */
TEST(test_close_sums_up_open_windows)
{
	struct audit_log *al;
	char *path;
	int w, h;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((al = t_open_full(path, NULL, 0, NULL, 0, NULL)) != NULL);
	t_flood(al, AUDIT_RATE_BURST + 5, 100, &w, &h);
	audit_close(al);
	CHECK_EQ_INT(count_in(path, "\"suppressed\":\"5\""), 1);
}

/* ---- the tail anchor ----------------------------------------------------- */

static int
verify_anchor(const char *path, const char *anchor, const char *keyfile,
    struct audit_verify_result *res)
{
	uint8_t key[AUDITFMT_MAX_KEY];
	struct auditfmt_anchor a;
	const char *paths[1] = { path };
	size_t keylen = 0;
	char err[256];

	if (keyfile != NULL)
		REQUIRE(auditfmt_load_key(keyfile, key, sizeof(key), &keylen,
		    err, sizeof(err)) == 0);
	REQUIRE(auditfmt_anchor_read(anchor, keyfile ? key : NULL, keylen, &a,
	    err, sizeof(err)) == 0);
	return auditfmt_verify_anchored(paths, 1, keyfile ? key : NULL,
	    keylen, &a, res);
}

/* a 10-record log with its anchor written at close */
static char *
make_anchored10(const char *keyfile)
{
	struct audit_log *al;
	char *path = tpath("audit.log");

	REQUIRE((al = t_open_full(path, keyfile, 0, tpath("anchor"), 1,
	    NULL)) != NULL);
	t_append_n(al, 10);
	audit_close(al);
	return path;
}

/* cut the last n lines off */
static void
cut_tail(const char *path, int n)
{
	size_t len, off, llen;
	char *buf = slurp(path, &len);
	int lines = 0;
	size_t i;

	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	nth_line(buf, len, lines - n + 1, &off, &llen);
	REQUIRE(truncate(path, (off_t)off) == 0);
	free(buf);
}

static void
t_truncation_found(const char *keyfile)
{
	struct audit_verify_result res;
	char reason[128], *path;
	int n;

	for (n = 1; n <= 9; n++) {
		tdir[0] = '\0';
		mk_tmpdir();
		if (keyfile != NULL)
			write_key(keyfile = tpath("key"), 0600, T_KEY_LEN, 0x42);
		path = make_anchored10(keyfile);
		CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), keyfile,
		    &res), 0);
		cut_tail(path, n);
		/* the chain alone still verifies: that is the gap */
		CHECK_EQ_INT(verify1(path, keyfile, &res), 0);
		CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), keyfile,
		    &res), -1);
		snprintf(reason, sizeof(reason), "truncated after seq %d: the "
		    "anchor names seq 10", 10 - n);
		check_fail_at(&res, path, (uint64_t)(10 - n),
		    (uint64_t)(10 - n), reason);
	}
}

TEST(test_anchor_finds_tail_truncation)
{
	t_truncation_found(NULL);
}

TEST(test_anchor_finds_tail_truncation_with_hmac)
{
	t_truncation_found("key");
}

TEST(test_anchor_finds_edited_last_record_without_key)
{
	struct audit_verify_result res;
	size_t len, off, llen;
	char *path, *buf, *p;

	mk_tmpdir();
	path = make_anchored10(NULL);
	buf = slurp(path, &len);
	nth_line(buf, len, 10, &off, &llen);
	REQUIRE((p = strstr(buf + off, "\"outcome\":\"ok\"")) != NULL);
	memcpy(p, "\"outcome\":\"no\"", 14);
	spew(path, buf, len);
	free(buf);
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
	CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), NULL, &res), -1);
	check_fail_at(&res, path, 10, 10, "last record differs from the "
	    "anchor");
}

TEST(test_anchor_with_bad_hmac_is_refused)
{
	struct auditfmt_anchor a;
	uint8_t key[AUDITFMT_MAX_KEY];
	size_t len, keylen;
	char err[256], *buf, *p;

	mk_tmpdir();
	write_key(tpath("key"), 0600, T_KEY_LEN, 0x42);
	make_anchored10(tpath("key"));
	buf = slurp(tpath("anchor"), &len);
	REQUIRE((p = strstr(buf, "seq=10")) != NULL);
	p[5] = '9';	/* a forged anchor for a cut log */
	spew(tpath("anchor"), buf, len);
	free(buf);
	REQUIRE(auditfmt_load_key(tpath("key"), key, sizeof(key), &keylen,
	    err, sizeof(err)) == 0);
	CHECK_EQ_INT(auditfmt_anchor_read(tpath("anchor"), key, keylen, &a,
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "bad anchor hmac") != NULL);
	CHECK_EQ_INT(auditfmt_anchor_read(tpath("anchor"), NULL, 0, &a, err,
	    sizeof(err)), 0);
	CHECK_EQ_INT(a.seq, 19);
}

/* agentd restarted over a cut log: an audit.gap record, then on */
TEST(test_restart_over_cut_log_records_gap)
{
	struct audit_verify_result res;
	struct audit_log *al;
	char *path;

	mk_tmpdir();
	path = make_anchored10(NULL);
	cut_tail(path, 3);
	REQUIRE((al = t_open_full(path, NULL, 0, tpath("anchor"), 1,
	    NULL)) != NULL);
	t_append_n(al, 2);
	audit_close(al);
	CHECK_EQ_INT(count_in(path, "\"action\":\"audit.gap\""), 1);
	CHECK_EQ_INT(count_in(path, "\"anchor_seq\":\"10\""), 1);
	CHECK_EQ_INT(count_in(path, "\"found_seq\":\"7\""), 1);
	/* the chain goes on from the cut and the new anchor matches it... */
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
	CHECK_EQ_INT(res.last_seq, 10);
	/* ...but verify with the anchor shows the gap where it was found */
	CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), NULL, &res), -1);
	check_fail_at(&res, path, 8, 8, "truncated after seq 7: agentd found "
	    "the log cut where its anchor named seq 10");
}

TEST(test_restart_over_deleted_log_records_gap)
{
	struct audit_verify_result res;
	struct audit_log *al;
	char *path;

	mk_tmpdir();
	path = make_anchored10(NULL);
	REQUIRE(unlink(path) == 0);
	REQUIRE((al = t_open_full(path, NULL, 0, tpath("anchor"), 1,
	    NULL)) != NULL);
	t_append_n(al, 1);
	audit_close(al);
	CHECK_EQ_INT(verify1(path, NULL, &res), 0);
	CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), NULL, &res), -1);
	check_fail_at(&res, path, 1, 1, "log restarted: agentd found no "
	    "records where its anchor named seq 10");
}

TEST(test_restart_after_edit_of_last_record_records_gap)
{
	struct audit_verify_result res;
	struct audit_log *al;
	size_t len, off, llen;
	char *path, *buf, *p;

	mk_tmpdir();
	path = make_anchored10(NULL);
	buf = slurp(path, &len);
	nth_line(buf, len, 10, &off, &llen);
	REQUIRE((p = strstr(buf + off, "\"outcome\":\"ok\"")) != NULL);
	memcpy(p, "\"outcome\":\"no\"", 14);
	spew(path, buf, len);
	free(buf);
	REQUIRE((al = t_open_full(path, NULL, 0, tpath("anchor"), 1,
	    NULL)) != NULL);
	audit_close(al);
	CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), NULL, &res), -1);
	check_fail_at(&res, path, 11, 11, "last record before the gap (seq "
	    "10) differs");
}

/* a clean restart over an intact log: no gap, the anchor follows */
TEST(test_clean_restart_keeps_anchor_intact)
{
	struct audit_verify_result res;
	struct audit_log *al;
	char *path;

	mk_tmpdir();
	path = make_anchored10(NULL);
	REQUIRE((al = t_open_full(path, NULL, 0, tpath("anchor"), 1,
	    NULL)) != NULL);
	t_append_n(al, 1);
	REQUIRE(audit_write_anchor(al) == 0);
	t_append_n(al, 1);	/* a crash: the log goes on past it */
	CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), NULL, &res), 0);
	CHECK(res.anchor_behind);
	audit_close(al);
	CHECK_EQ_INT(count_in(path, "audit.gap"), 0);
	CHECK_EQ_INT(verify_anchor(path, tpath("anchor"), NULL, &res), 0);
	CHECK(!res.anchor_behind);
	CHECK_EQ_INT(res.last_seq, 12);
}

/* ---- retention: unshipped files stay, worker records are refused -------- */

static int
file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

TEST(test_unshipped_files_are_kept_and_worker_records_refused)
{
	struct audit_rec exec_rec = { .actor = "executor",
	    .action = "container.start", .phase = "intent" };
	struct auditfmt_anchor mark = { 0 };
	struct audit_verify_result res;
	struct audit_log *al;
	char name[T_PATH + 16], line[AUDITFMT_ANCHOR_MAX], *path;
	struct timespec ts = { 0 };
	const char *paths[AUDITFMT_ROTATE_KEEP + 1];
	int i, fd, n;

	mk_tmpdir();
	path = tpath("audit.log");
	/* no syslog: nothing is shipped */
	REQUIRE((al = t_open_full(path, NULL, 512, tpath("anchor"), 1,
	    NULL)) != NULL);
	for (i = 0; i < 40 && !audit_budget_exhausted(al); i++)
		t_append_n(al, 1);
	CHECK(audit_budget_exhausted(al));
	snprintf(name, sizeof(name), "%s.%d", path, AUDITFMT_ROTATE_KEEP);
	CHECK(file_exists(name));
	/* the oldest file, with seq 1, is still there */
	CHECK_EQ_INT(count_in(name, "{\"seq\":1,"), 1);
	CHECK_EQ_INT(audit_append_worker(al, &t_reject, 100), 1);
	CHECK_EQ_INT(audit_append(al, &exec_rec, NULL), 0);
	CHECK_EQ_INT(audit_tick(al, 100), 0);
	CHECK_EQ_INT(count_in(path, "audit.budget_exhausted"), 1);
	CHECK_EQ_INT(count_in(path, "container.start"), 1);
	/* verified up to here: rotation may go on */
	mark.seq = 1000;
	snprintf(mark.hash, sizeof(mark.hash), "%s", AUDITFMT_ZERO_PREV);
	REQUIRE(auditfmt_anchor_format(&mark, &ts, NULL, 0, line,
	    sizeof(line)) == 0);
	snprintf(name, sizeof(name), "%s.verified", path);
	REQUIRE((fd = open(name, O_WRONLY | O_CREAT, 0600)) != -1);
	REQUIRE(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
	close(fd);
	CHECK_EQ_INT(audit_tick(al, 101), 0);
	CHECK(!audit_budget_exhausted(al));
	CHECK_EQ_INT(audit_append_worker(al, &t_reject, 101), 0);
	audit_close(al);
	paths[0] = path;
	for (i = 1; i <= AUDITFMT_ROTATE_KEEP; i++) {
		snprintf(name, sizeof(name), "%s.%d", path, i);
		paths[i] = tpath(name + strlen(tdir) + 1);
	}
	CHECK_EQ_INT(verify_paths(paths, AUDITFMT_ROTATE_KEEP + 1, NULL, &res),
	    0);
	for (n = 0, i = 0; i <= AUDITFMT_ROTATE_KEEP; i++)
		n += count_in(paths[i], "\"refused\":\"1\"");
	CHECK_EQ_INT(n, 1);
}

/* a private syslog socket: every record shipped, rotation deletes */
TEST(test_shipped_files_rotate_away)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct audit_log *al;
	char name[T_PATH + 16], buf[4096], *path;
	int s, i;

	mk_tmpdir();
	path = tpath("audit.log");
	REQUIRE((s = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", tpath("log"));
	REQUIRE(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	REQUIRE((al = t_open_full(path, NULL, 512, tpath("anchor"), 1,
	    tpath("log"))) != NULL);
	for (i = 0; i < 60; i++) {
		t_append_n(al, 1);
		while (recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	CHECK(!audit_budget_exhausted(al));
	audit_close(al);
	snprintf(name, sizeof(name), "%s.%d", path, AUDITFMT_ROTATE_KEEP);
	CHECK(file_exists(name));
	CHECK_EQ_INT(count_in(name, "{\"seq\":1,"), 0);
	close(s);
}
