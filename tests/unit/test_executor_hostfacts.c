/*
 * hostfacts.c's parsers on real host text (tests/fixtures/host, copied
 * from a Debian 12 machine) and on the edge cases os-release(5) and
 * /proc/meminfo allow; the goarch names; one-line file reading.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "../../workers/executor/hostfacts.h"

#define FIXTURES	"tests/fixtures/host"

static char *
slurp(const char *name)
{
	char path[256], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	REQUIRE((f = fopen(path, "r")) != NULL);
	REQUIRE(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0);
	rewind(f);
	REQUIRE((buf = calloc(1, (size_t)n + 1)) != NULL);
	REQUIRE(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	return buf;
}

/* ---- os-release ---- */

TEST(test_os_image_of_debian)
{
	char *text = slurp("os-release.debian12"), buf[NODE_MAX_OS_IMAGE + 1];

	CHECK_EQ_INT(hostfacts_os_image(text, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "Debian GNU/Linux 12 (bookworm)");
	free(text);
}

TEST(test_os_image_quoting)
{
	char buf[64];

	CHECK_EQ_INT(hostfacts_os_image("PRETTY_NAME=Alpine\n", buf,
	    sizeof(buf)), 0);
	CHECK_STR(buf, "Alpine");
	CHECK_EQ_INT(hostfacts_os_image("PRETTY_NAME='Fedora Linux 39'",
	    buf, sizeof(buf)), 0);
	CHECK_STR(buf, "Fedora Linux 39");
	/* in double quotes a backslash escapes $ " \ ` and nothing else */
	CHECK_EQ_INT(hostfacts_os_image("PRETTY_NAME=\"a \\\"b\\\" \\$c \\d\"",
	    buf, sizeof(buf)), 0);
	CHECK_STR(buf, "a \"b\" $c \\d");
	/* the key must start the line; the first PRETTY_NAME wins */
	CHECK_EQ_INT(hostfacts_os_image("XPRETTY_NAME=no\nPRETTY_NAME=yes\n"
	    "PRETTY_NAME=later\n", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "yes");
}

TEST(test_os_image_absent_or_broken)
{
	char buf[16];

	CHECK_EQ_INT(hostfacts_os_image("NAME=Debian\nID=debian\n", buf,
	    sizeof(buf)), -1);
	CHECK_STR(buf, "");
	CHECK_EQ_INT(hostfacts_os_image("", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(hostfacts_os_image("PRETTY_NAME=\"\"\n", buf,
	    sizeof(buf)), -1);
	/* an unterminated quote is not a value */
	CHECK_EQ_INT(hostfacts_os_image("PRETTY_NAME=\"Debian\n", buf,
	    sizeof(buf)), -1);
	/* 15 bytes fit a buffer of 16, 16 do not */
	CHECK_EQ_INT(hostfacts_os_image("PRETTY_NAME=123456789012345\n",
	    buf, sizeof(buf)), 0);
	CHECK_EQ_INT(hostfacts_os_image("PRETTY_NAME=1234567890123456\n",
	    buf, sizeof(buf)), -1);
	CHECK_STR(buf, "");
}

/* ---- meminfo ---- */

TEST(test_memtotal_of_meminfo)
{
	char *text = slurp("meminfo");
	uint64_t b = 0;

	CHECK_EQ_INT(hostfacts_memtotal(text, &b), 0);
	CHECK(b == 24683664ULL * 1024);
	free(text);
}

TEST(test_memtotal_not_first_line)
{
	uint64_t b = 0;

	CHECK_EQ_INT(hostfacts_memtotal("MemFree: 1 kB\nMemTotal:   2048 kB\n",
	    &b), 0);
	CHECK(b == 2048ULL * 1024);
}

TEST(test_memtotal_refused)
{
	uint64_t b = 7;

	CHECK_EQ_INT(hostfacts_memtotal("MemFree: 1 kB\n", &b), -1);
	CHECK_EQ_INT(hostfacts_memtotal("", &b), -1);
	CHECK_EQ_INT(hostfacts_memtotal("MemTotal: 0 kB\n", &b), -1);
	CHECK_EQ_INT(hostfacts_memtotal("MemTotal: 12 MB\n", &b), -1);
	CHECK_EQ_INT(hostfacts_memtotal("MemTotal: lots\n", &b), -1);
	/* bytes past 2^64 */
	CHECK_EQ_INT(hostfacts_memtotal("MemTotal: 18014398509481984 kB\n",
	    &b), -1);
	CHECK(b == 7);
}

/* ---- the runtime's version ---- */

TEST(test_runtime_version_of_runc)
{
	char *text = slurp("runc-version"), buf[NODE_MAX_RUNTIME_VERSION + 1];

	CHECK_EQ_INT(hostfacts_runtime_version("runc", text, buf,
	    sizeof(buf)), 0);
	CHECK_STR(buf, "runc://1.1.5+ds1");
	free(text);
}

TEST(test_runtime_version_of_crun)
{
	char buf[64];

	CHECK_EQ_INT(hostfacts_runtime_version("crun", "crun version 1.8.1\n"
	    "commit: f8a096be\n", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "crun://1.8.1");
}

TEST(test_runtime_version_refused)
{
	char buf[16];

	/* another program's output, no version word, an empty output */
	CHECK_EQ_INT(hostfacts_runtime_version("runc", "crun version 1.8.1",
	    buf, sizeof(buf)), -1);
	CHECK_EQ_INT(hostfacts_runtime_version("runc", "runc 1.1.5\n", buf,
	    sizeof(buf)), -1);
	CHECK_EQ_INT(hostfacts_runtime_version("runc", "", buf, sizeof(buf)),
	    -1);
	/* only the first line counts */
	CHECK_EQ_INT(hostfacts_runtime_version("runc", "\nrunc version 1\n",
	    buf, sizeof(buf)), -1);
	/* "runc://" and 8 bytes fit 16 with the NUL, 9 bytes do not */
	CHECK_EQ_INT(hostfacts_runtime_version("runc", "runc version "
	    "12345678", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "runc://12345678");
	CHECK_EQ_INT(hostfacts_runtime_version("runc", "runc version "
	    "123456789", buf, sizeof(buf)), -1);
}

/* ---- the rest ---- */

TEST(test_goarch_names)
{
	CHECK_STR(hostfacts_goarch("x86_64"), "amd64");
	CHECK_STR(hostfacts_goarch("aarch64"), "arm64");
	CHECK_STR(hostfacts_goarch("armv7l"), "arm");
	CHECK_STR(hostfacts_goarch("i686"), "386");
	CHECK_STR(hostfacts_goarch("s390x"), "s390x");
	/* no Go name: the machine itself */
	CHECK_STR(hostfacts_goarch("sparc64"), "sparc64");
}

TEST(test_read_line)
{
	char path[] = "/tmp/hostfacts-XXXXXX", buf[8];
	int fd;

	REQUIRE((fd = mkstemp(path)) != -1);
	REQUIRE(write(fd, "abc\n", 4) == 4);
	hostfacts_read_line(path, buf, sizeof(buf));
	CHECK_STR(buf, "abc");
	/* two lines, a line too long: neither is an id */
	REQUIRE(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	REQUIRE(write(fd, "ab\ncd\n", 6) == 6);
	hostfacts_read_line(path, buf, sizeof(buf));
	CHECK_STR(buf, "");
	REQUIRE(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	REQUIRE(write(fd, "12345678", 8) == 8);
	hostfacts_read_line(path, buf, sizeof(buf));
	CHECK_STR(buf, "");
	close(fd);
	unlink(path);
	hostfacts_read_line("/nonexistent/product_uuid", buf, sizeof(buf));
	CHECK_STR(buf, "");
}

