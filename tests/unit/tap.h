/*
 * A tiny test harness: each TEST(name) registers itself; the program runs
 * every test (or only those named on the command line) in a forked child so
 * that a crash fails one test, and prints TAP.  `--list` prints the names.
 * tests/test_unit.py turns each name into one pytest case.
 */
#ifndef AGENTD_TAP_H
#define AGENTD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

typedef void (*tap_fn)(void);
struct tap_test { const char *name; tap_fn fn; };
#define TAP_MAX_TESTS 512
static struct tap_test tap_tests[TAP_MAX_TESTS];
static int tap_ntests;
static int tap_failed_here;

#define TEST(n) \
	static void n(void); \
	__attribute__((constructor)) static void tap_reg_##n(void) { \
		if (tap_ntests < TAP_MAX_TESTS) \
			tap_tests[tap_ntests++] = (struct tap_test){ #n, n }; \
	} \
	static void n(void)

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	tap_failed_here = 1; } } while (0)
#define REQUIRE(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
	exit(1); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (a), _b = (b); if (_a != _b) { \
	fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
	    #a, _a, _b); tap_failed_here = 1; } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) { \
	fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
	    __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
	tap_failed_here = 1; } } while (0)

/* strdup or end the test: fixtures build their strings with it */
static inline char *
tap_strdup(const char *s)
{
	char *d;

	REQUIRE((d = strdup(s)) != NULL);
	return d;
}

/* asprintf or end the test; the caller frees */
static inline char *__attribute__((format(printf, 1, 2)))
tap_fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	REQUIRE(vasprintf(&s, f, ap) != -1);
	va_end(ap);
	return s;
}

static int
tap_run_one(const struct tap_test *t)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		tap_failed_here = 0;
		t->fn();
		exit(tap_failed_here ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	if (WIFSIGNALED(status))
		fprintf(stderr, "%s: killed by signal %d\n", t->name,
		    WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	int i, j, n = 0, failed = 0;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < tap_ntests; i++)
			printf("%s\n", tap_tests[i].name);
		return 0;
	}
	for (i = 0; i < tap_ntests; i++) {
		int want = argc == 1;
		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], tap_tests[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		n++;
		if (tap_run_one(&tap_tests[i]) == 0)
			printf("ok %d - %s\n", n, tap_tests[i].name);
		else {
			printf("not ok %d - %s\n", n, tap_tests[i].name);
			failed++;
		}
	}
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}

#endif
