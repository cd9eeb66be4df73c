/*
 * Kubernetes resource quantities ("100m", "1.5Gi", "129e6") to integers.
 *
 * The grammar is apimachinery's (pkg/api/resource/quantity.go):
 *	quantity ::= [+-] number suffix
 *	number   ::= digits | digits "." | digits "." digits | "." digits
 *	suffix   ::= "" | n u m k M G T P E | Ki Mi Gi Ti Pi Ei
 *		   | (e|E) [+-] digits
 * apimachinery reads a string without any digit ("Mi", ".", "-") as zero;
 * we refuse it, as it is never what the author meant.
 *
 * Kubernetes keeps quantities exact and rounds non-zero values up (away
 * from zero) when asked for MilliValue() or Value().  To get the same
 * answer without floating point, the digits are kept as a small decimal
 * big number: multiplied by the binary suffix, then cut at the decimal
 * point, with any non-zero digit below it rounding the magnitude up.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "manifest.h"

/* 64 input digits times 2^60 (Ei) needs at most 64 + 19 digits */
#define QTY_MAX_DIGITS		(QUANTITY_MAX_LEN + 20)
/* beyond this decimal exponent every non-zero value over- or underflows */
#define QTY_EXP_CLAMP		1000

struct qty_suffix {
	const char	*name;
	int		 exp10;
	int		 exp2;
};

static const struct qty_suffix qty_suffixes[] = {
	{ "",	0,	0 },
	{ "n",	-9,	0 },
	{ "u",	-6,	0 },
	{ "m",	-3,	0 },
	{ "k",	3,	0 },
	{ "M",	6,	0 },
	{ "G",	9,	0 },
	{ "T",	12,	0 },
	{ "P",	15,	0 },
	{ "E",	18,	0 },
	{ "Ki",	0,	10 },
	{ "Mi",	0,	20 },
	{ "Gi",	0,	30 },
	{ "Ti",	0,	40 },
	{ "Pi",	0,	50 },
	{ "Ei",	0,	60 },
};

/* a parsed quantity: digits (least significant first) x 10^exp10 x 2^exp2 */
struct qty {
	int		 negative;
	uint8_t		 digit[QTY_MAX_DIGITS];
	int		 ndigits;
	int		 exp10;
	int		 exp2;
	int		 exponent_form;	/* "1e3": DecimalExponent */
};

static int
qty_parse_exponent(const char *s, int *exp10)
{
	int neg = 0, v = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		/* saturate: a larger exponent cannot change the outcome */
		if (v < QTY_EXP_CLAMP)
			v = v * 10 + (*s - '0');
	}
	if (v > QTY_EXP_CLAMP)
		v = QTY_EXP_CLAMP;
	*exp10 = neg ? -v : v;
	return 0;
}

static int
qty_parse_suffix(const char *s, struct qty *q)
{
	size_t i;
	int e;

	for (i = 0; i < sizeof(qty_suffixes) / sizeof(qty_suffixes[0]); i++) {
		if (strcmp(s, qty_suffixes[i].name) == 0) {
			q->exp10 += qty_suffixes[i].exp10;
			q->exp2 = qty_suffixes[i].exp2;
			return 0;
		}
	}
	if (s[0] != 'e' && s[0] != 'E')
		return -1;
	if (qty_parse_exponent(s + 1, &e) == -1)
		return -1;
	q->exp10 += e;
	q->exponent_form = 1;
	return 0;
}

/* syntax only: fills q, never overflows (the length is bounded) */
static int
qty_parse(const char *s, struct qty *q)
{
	const char *p, *intpart, *frac = NULL;
	size_t nint, nfrac = 0, i;
	uint8_t tmp[QUANTITY_MAX_LEN];
	int n = 0;

	memset(q, 0, sizeof(*q));
	if (s == NULL || strnlen(s, QUANTITY_MAX_LEN + 1) > QUANTITY_MAX_LEN)
		return -1;
	p = s;
	if (*p == '+' || *p == '-')
		q->negative = *p++ == '-';
	intpart = p;
	while (*p >= '0' && *p <= '9')
		p++;
	nint = p - intpart;
	if (*p == '.') {
		frac = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		nfrac = p - frac;
	}
	if (nint + nfrac == 0)
		return -1;
	if (qty_parse_suffix(p, q) == -1)
		return -1;

	/* most significant first into tmp, then reversed into q->digit */
	for (i = 0; i < nint; i++)
		tmp[n++] = intpart[i] - '0';
	for (i = 0; i < nfrac; i++)
		tmp[n++] = frac[i] - '0';
	for (i = 0; i < (size_t)n; i++)
		q->digit[i] = tmp[n - 1 - i];
	q->ndigits = n;
	q->exp10 -= (int)nfrac;
	return 0;
}

static int
qty_is_zero(const struct qty *q)
{
	int i;

	for (i = 0; i < q->ndigits; i++)
		if (q->digit[i] != 0)
			return 0;
	return 1;
}

/* digits *= 2^exp2, 1024 at a time; QTY_MAX_DIGITS always suffices */
static void
qty_apply_binary(struct qty *q)
{
	int k, i;
	unsigned carry;

	for (k = 0; k < q->exp2 / 10; k++) {
		carry = 0;
		for (i = 0; i < q->ndigits; i++) {
			carry += q->digit[i] * 1024u;
			q->digit[i] = carry % 10;
			carry /= 10;
		}
		while (carry != 0 && q->ndigits < QTY_MAX_DIGITS) {
			q->digit[q->ndigits++] = carry % 10;
			carry /= 10;
		}
	}
	q->exp2 = 0;
}

/* |value| x 10^scale10, rounded up to an integer; -1 on int64 overflow */
static int
qty_to_int(const struct qty *q, int scale10, int64_t *out)
{
	uint64_t v = 0;
	int e = q->exp10 + scale10, i, first, inexact = 0;

	/* digits below the decimal point only decide the rounding */
	first = e < 0 ? -e : 0;
	for (i = 0; i < q->ndigits && i < first; i++)
		if (q->digit[i] != 0)
			inexact = 1;
	for (i = q->ndigits - 1; i >= first; i--) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, q->digit[i], &v))
			return -1;
	}
	for (; e > 0 && v != 0; e--)
		if (__builtin_mul_overflow(v, 10, &v))
			return -1;
	if (inexact && __builtin_add_overflow(v, 1, &v))
		return -1;
	if (v > INT64_MAX)
		return -1;
	*out = q->negative ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int
quantity_scaled(const char *s, int scale10, int64_t *out)
{
	struct qty q;

	if (qty_parse(s, &q) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (qty_is_zero(&q)) {
		*out = 0;
		return 0;
	}
	qty_apply_binary(&q);
	if (qty_to_int(&q, scale10, out) == -1) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int
quantity_parse_milli(const char *s, int64_t *milli)
{
	return quantity_scaled(s, 3, milli);
}

int
quantity_parse_bytes(const char *s, int64_t *bytes)
{
	return quantity_scaled(s, 0, bytes);
}

/* ---- a resourceFieldRef's divisor ---- */

/* the value as digits without zeros at either end, times 10^exp10 */
static void
qty_normalize(struct qty *q)
{
	int i, z = 0;

	while (z < q->ndigits - 1 && q->digit[z] == 0)
		z++;
	/* by hand: valgrind takes the fortified memmove (__memmove_chk)
	   for an overlapping memcpy */
	for (i = 0; z > 0 && i + z < q->ndigits; i++)
		q->digit[i] = q->digit[i + z];
	q->ndigits -= z;
	q->exp10 += z;
	while (q->ndigits > 1 && q->digit[q->ndigits - 1] == 0)
		q->ndigits--;
}

/* the digits are v's */
static int
qty_digits_are(const struct qty *q, uint64_t v)
{
	int i;

	for (i = 0; i < q->ndigits; i++, v /= 10)
		if (q->digit[i] != v % 10)
			return 0;
	return v == 0;
}

/*
 * validateContainerResourceDivisor compares the divisor's canonical
 * String() with a list: "1m" and "1" for cpu; "1", "1k" to "1E" and
 * "1Ki" to "1Ei" otherwise.  The canonical form keeps the suffix kind:
 * a decimal-exponent quantity stays one ("1e3"), a binary one below 1024
 * is shown in decimal, and "1024" is not "1Ki".  Judged by that here: by
 * the value and the kind of suffix written.
 */
int
quantity_divisor(const char *s, int cpu, int64_t *units)
{
	struct qty q;
	int binary, k;

	if (qty_parse(s, &q) == -1) {
		errno = EINVAL;
		return -1;
	}
	errno = EDOM;
	if (q.negative || qty_is_zero(&q))
		return -1;
	binary = q.exp2 != 0;
	qty_apply_binary(&q);
	qty_normalize(&q);
	if (qty_digits_are(&q, 1) && q.exp10 == 0) {
		*units = cpu ? 1000 : 1;
		return 0;
	}
	if (q.exponent_form)
		return -1;
	if (cpu) {
		if (!qty_digits_are(&q, 1) || q.exp10 != -3)
			return -1;
		*units = 1;
		return 0;
	}
	/* 1k to 1E: a decimal suffix, or a binary one below 1024 (1k) */
	if (qty_digits_are(&q, 1) && q.exp10 > 0 && q.exp10 <= 18 &&
	    q.exp10 % 3 == 0 && (!binary || q.exp10 == 3)) {
		for (*units = 1, k = 0; k < q.exp10; k++)
			*units *= 10;
		return 0;
	}
	/* 1Ki to 1Ei: only in a binary suffix */
	for (k = 1; binary && q.exp10 == 0 && k <= 6; k++)
		if (qty_digits_are(&q, UINT64_C(1) << (10 * k))) {
			*units = INT64_C(1) << (10 * k);
			return 0;
		}
	return -1;
}
