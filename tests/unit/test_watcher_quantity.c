/*
 * Kubernetes quantity parsing: suffixes, exponents, rounding up as
 * Quantity.MilliValue()/Value() do, and refusal of garbage and overflow.
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "../../workers/watcher/manifest.h"

struct qcase {
	const char	*in;
	int64_t		 want;
};

static void
check_milli(const struct qcase *c, size_t n)
{
	int64_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = -12345;
		if (quantity_parse_milli(c[i].in, &v) != 0) {
			fprintf(stderr, "milli \"%s\": rejected\n", c[i].in);
			tap_failed_here = 1;
		} else if (v != c[i].want) {
			fprintf(stderr, "milli \"%s\" = %lld, expected %lld\n",
			    c[i].in, (long long)v, (long long)c[i].want);
			tap_failed_here = 1;
		}
	}
}

static void
check_bytes(const struct qcase *c, size_t n)
{
	int64_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = -12345;
		if (quantity_parse_bytes(c[i].in, &v) != 0) {
			fprintf(stderr, "bytes \"%s\": rejected\n", c[i].in);
			tap_failed_here = 1;
		} else if (v != c[i].want) {
			fprintf(stderr, "bytes \"%s\" = %lld, expected %lld\n",
			    c[i].in, (long long)v, (long long)c[i].want);
			tap_failed_here = 1;
		}
	}
}

#define NCASES(a)	(sizeof(a) / sizeof((a)[0]))

TEST(test_quantity_cpu_plain_and_milli)
{
	static const struct qcase c[] = {
		{ "100m", 100 }, { "1.5", 1500 }, { "2", 2000 },
		{ "0.1", 100 }, { "250m", 250 }, { "0", 0 }, { "1.", 1000 },
		{ ".5", 500 }, { "+1", 1000 }, { "0.000", 0 },
		{ "1000000m", 1000000 },
	};

	check_milli(c, NCASES(c));
}

TEST(test_quantity_bytes_examples)
{
	static const struct qcase c[] = {
		{ "64Mi", 67108864 }, { "1G", 1000000000 }, { "1e3", 1000 },
		{ "128974848", 128974848 }, { "129e6", 129000000 },
		{ "123Mi", 128974848 }, { "0.5Gi", 536870912 },
	};

	check_bytes(c, NCASES(c));
}

TEST(test_quantity_binary_suffixes)
{
	static const struct qcase c[] = {
		{ "1Ki", 1024LL }, { "1Mi", 1048576LL },
		{ "1Gi", 1073741824LL }, { "1Ti", 1099511627776LL },
		{ "1Pi", 1125899906842624LL }, { "1Ei", 1152921504606846976LL },
		{ "7Ei", 8070450532247928832LL }, { "1.5Ki", 1536 },
		{ "0Mi", 0 },
	};

	check_bytes(c, NCASES(c));
}

TEST(test_quantity_decimal_suffixes)
{
	static const struct qcase bytes[] = {
		{ "1k", 1000LL }, { "1M", 1000000LL }, { "1G", 1000000000LL },
		{ "1T", 1000000000000LL }, { "1P", 1000000000000000LL },
		{ "1E", 1000000000000000000LL },
		{ "9E", 9000000000000000000LL },
		{ "1000m", 1 }, { "2000000u", 2 }, { "3000000000n", 3 },
	};
	static const struct qcase cpu[] = {
		{ "1k", 1000000 }, { "500000u", 500 }, { "1000000n", 1 },
	};

	check_bytes(bytes, NCASES(bytes));
	check_milli(cpu, NCASES(cpu));
}

TEST(test_quantity_decimal_exponent)
{
	static const struct qcase bytes[] = {
		{ "1e3", 1000 }, { "1E3", 1000 }, { "1e+3", 1000 },
		{ "1.5e3", 1500 }, { "12e-1", 2 }, { "0e999999", 0 },
	};
	static const struct qcase cpu[] = {
		{ "1e-3", 1 }, { "1e3", 1000000 }, { "5e-1", 500 },
	};

	check_bytes(bytes, NCASES(bytes));
	check_milli(cpu, NCASES(cpu));
}

TEST(test_quantity_cpu_rounds_up_to_milli)
{
	static const struct qcase c[] = {
		{ "1n", 1 }, { "1u", 1 }, { "0.0001", 1 }, { "1.0001", 1001 },
		{ "100.5m", 101 }, { "0.1m", 1 }, { "1e-999999", 1 },
		{ "0.30000000000000004", 301 },
	};

	check_milli(c, NCASES(c));
}

TEST(test_quantity_bytes_round_up_to_whole_bytes)
{
	static const struct qcase c[] = {
		{ "1m", 1 }, { "0.5", 1 }, { "1.1", 2 }, { "0.1Ki", 103 },
		{ "0.9Gi", 966367642 }, { "1n", 1 }, { "1.000000001", 2 },
	};

	check_bytes(c, NCASES(c));
}

TEST(test_quantity_negative_rounds_away_from_zero)
{
	static const struct qcase cpu[] = {
		{ "-1", -1000 }, { "-1.5m", -2 }, { "-0", 0 },
	};
	static const struct qcase bytes[] = {
		{ "-0.5", -1 }, { "-1Ki", -1024 },
	};

	check_milli(cpu, NCASES(cpu));
	check_bytes(bytes, NCASES(bytes));
}

TEST(test_quantity_int64_max_fits_and_beyond_is_erange)
{
	int64_t v;

	CHECK_EQ_INT(quantity_parse_bytes("9223372036854775807", &v), 0);
	CHECK(v == INT64_MAX);
	errno = 0;
	CHECK_EQ_INT(quantity_parse_bytes("9223372036854775808", &v), -1);
	CHECK_EQ_INT(errno, ERANGE);
	errno = 0;
	CHECK_EQ_INT(quantity_parse_bytes("8Ei", &v), -1);
	CHECK_EQ_INT(errno, ERANGE);
	errno = 0;
	CHECK_EQ_INT(quantity_parse_bytes("10E", &v), -1);
	CHECK_EQ_INT(errno, ERANGE);
	errno = 0;
	CHECK_EQ_INT(quantity_parse_bytes("1e999999", &v), -1);
	CHECK_EQ_INT(errno, ERANGE);
	/* milli multiplies by 1000: 9.3e15 cores does not fit */
	errno = 0;
	CHECK_EQ_INT(quantity_parse_milli("9300000000000000", &v), -1);
	CHECK_EQ_INT(errno, ERANGE);
	CHECK_EQ_INT(quantity_parse_milli("9223372036854775807m", &v), 0);
	CHECK(v == INT64_MAX);
}

TEST(test_quantity_rejects_garbage)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "abc", "1K", "1mi", "1Mi3", "1e", "1e+",
		"--1", "+-1", ".", "-", "+", "Mi", "1..2", "1.2.3", "0x10",
		"1,5", "1e3Mi", "1ee3", "NaN", "Inf", "1 Mi", "1\tm", "e3",
		"1e3.5", "1Kib", "1kk",
	};
	int64_t v;
	size_t i;

	for (i = 0; i < NCASES(bad); i++) {
		errno = 0;
		if (quantity_parse_milli(bad[i], &v) != -1 || errno != EINVAL) {
			fprintf(stderr, "milli accepted \"%s\"\n", bad[i]);
			tap_failed_here = 1;
		}
		errno = 0;
		if (quantity_parse_bytes(bad[i], &v) != -1 || errno != EINVAL) {
			fprintf(stderr, "bytes accepted \"%s\"\n", bad[i]);
			tap_failed_here = 1;
		}
	}
	CHECK_EQ_INT(quantity_parse_bytes(NULL, &v), -1);
}

TEST(test_quantity_length_limit)
{
	char s[QUANTITY_MAX_LEN + 2];
	int64_t v;

	/* QUANTITY_MAX_LEN characters: "000...01" */
	memset(s, '0', QUANTITY_MAX_LEN);
	s[QUANTITY_MAX_LEN - 1] = '1';
	s[QUANTITY_MAX_LEN] = '\0';
	CHECK_EQ_INT(quantity_parse_milli(s, &v), 0);
	CHECK_EQ_INT(v, 1000);
	memmove(s + 1, s, QUANTITY_MAX_LEN + 1);
	s[0] = '0';
	errno = 0;
	CHECK_EQ_INT(quantity_parse_milli(s, &v), -1);
	CHECK_EQ_INT(errno, EINVAL);
}

TEST(test_quantity_many_fraction_digits_exact)
{
	int64_t v;

	/* 40 significant digits: still exact, not floating point */
	CHECK_EQ_INT(quantity_parse_bytes(
	    "1.000000000000000000000000000000000000001", &v), 0);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(quantity_parse_bytes(
	    "1.000000000000000000000000000000000000000", &v), 0);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_INT(quantity_parse_bytes("0.000000000000000001Ei", &v), 0);
	CHECK_EQ_INT(v, 2);	/* 1.152921504606846976 rounded up */
}
