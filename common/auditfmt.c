/*
 * The audit record format: formatting (for the writer in agentd), parsing
 * and chain verification (for agentctl).  Both sides live here so that
 * what is hashed when writing is, byte for byte, what is checked when
 * reading.  docs/man/agentd-audit.5 is the specification.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auditfmt.h"

#define READER_CHUNK		(64 * 1024)
#define SEQ_MAX_DIGITS		20	/* UINT64_MAX */
#define SEQ_PREFIX		"{\"seq\":"
#define HMAC_TAIL_HEAD		",\"hmac\":\""

/* ---- a bounded output buffer ---------------------------------------- */

struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;		/* sticky errno: E2BIG, ENOMEM */
};

static void
sb_reserve(struct sbuf *sb, size_t more)
{
	size_t ncap;
	char *np;

	if (sb->err)
		return;
	if (more > AUDITFMT_MAX_LINE - sb->len) {
		sb->err = E2BIG;
		return;
	}
	if (sb->len + more + 1 <= sb->cap)
		return;
	ncap = sb->cap ? sb->cap : 1024;
	while (ncap < sb->len + more + 1)
		ncap *= 2;
	if ((np = realloc(sb->p, ncap)) == NULL) {
		sb->err = ENOMEM;
		return;
	}
	sb->p = np;
	sb->cap = ncap;
}

static void
sb_put(struct sbuf *sb, const void *data, size_t n)
{
	sb_reserve(sb, n);
	if (sb->err)
		return;
	memcpy(sb->p + sb->len, data, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

static void
sb_putc(struct sbuf *sb, char c)
{
	sb_put(sb, &c, 1);
}

/* ---- JSON strings ----------------------------------------------------- */

/* length of the valid UTF-8 sequence at s (RFC 3629), 0 if invalid */
static size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	size_t need, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else
		return 0;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/*
 * A JSON string.  Bytes that are not UTF-8 become U+FFFD so that every
 * line is valid JSON for any consumer; control characters are escaped so
 * that a record can never span lines.
 */
static void
sb_put_json_str(struct sbuf *sb, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];
	size_t i, k;

	sb_putc(sb, '"');
	for (i = 0; i < n && !sb->err; i += k) {
		k = 1;
		switch (u[i]) {
		case '"':  sb_puts(sb, "\\\""); continue;
		case '\\': sb_puts(sb, "\\\\"); continue;
		case '\n': sb_puts(sb, "\\n"); continue;
		case '\r': sb_puts(sb, "\\r"); continue;
		case '\t': sb_puts(sb, "\\t"); continue;
		case '\b': sb_puts(sb, "\\b"); continue;
		case '\f': sb_puts(sb, "\\f"); continue;
		}
		if (u[i] < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
			sb_puts(sb, esc);
		} else if ((k = utf8_seqlen(u + i, n - i)) == 0) {
			sb_puts(sb, "\\ufffd");
			k = 1;
		} else
			sb_put(sb, u + i, k);
	}
	sb_putc(sb, '"');
}

static void
sb_put_str_or_null(struct sbuf *sb, const char *s)
{
	if (s == NULL)
		sb_puts(sb, "null");
	else
		sb_put_json_str(sb, s, strlen(s));
}

static void
sb_put_member(struct sbuf *sb, const char *name, const char *value)
{
	sb_putc(sb, ',');
	sb_put_json_str(sb, name, strlen(name));
	sb_putc(sb, ':');
	sb_put_str_or_null(sb, value);
}

static void
sb_put_member_n(struct sbuf *sb, const char *name, const char *value,
    size_t n)
{
	sb_putc(sb, ',');
	sb_put_json_str(sb, name, strlen(name));
	sb_putc(sb, ':');
	sb_put_json_str(sb, value, n);
}

/* ---- details: "k=v;k=v" -> {"k":"v",...} ------------------------------ */

/* the value of one hex digit, -1 if c is not one */
static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads one unescaped token up to an unescaped stop character (or the end)
 * into out.  "\;", "\=" and "\\" stand for themselves and "\xHH" for
 * the byte HH (what auditfmt_details_add writes for control bytes); any
 * other backslash is kept as is.  Returns a pointer past the token.
 */
static const char *
details_token(const char *s, const char *stops, struct sbuf *out)
{
	int hi, lo;

	out->len = 0;
	sb_put(out, "", 0);
	for (; *s != '\0' && strchr(stops, *s) == NULL; s++) {
		if (*s == '\\' && (s[1] == ';' || s[1] == '=' || s[1] == '\\'))
			s++;
		else if (*s == '\\' && s[1] == 'x' && (hi = hex_digit(s[2])) >= 0 &&
		    (lo = hex_digit(s[3])) >= 0 && (hi || lo)) {
			sb_putc(out, (char)(hi << 4 | lo));
			s += 3;
			continue;
		}
		sb_putc(out, *s);
	}
	return s;
}

/*
 * Why a details string cannot become an object of its own, or NULL.  A
 * string written with auditfmt_details_add by a caller that names each
 * key once is always fine; anything else is the caller's bug, and the
 * record is still written (see details_put_raw).
 */
static const char *
details_check(const char *details, char *why, size_t whylen)
{
	struct sbuf key = { 0 }, val = { 0 };
	char *seen[AUDITFMT_MAX_DETAILS];
	size_t nseen = 0, i;
	const char *s = details, *bad = NULL;

	while (s != NULL && *s != '\0' && bad == NULL) {
		if (*s == ';') {		/* empty item: "a=1;;b=2" */
			s++;
			continue;
		}
		s = details_token(s, ";=", &key);
		if (*s == '=')
			s = details_token(s + 1, ";", &val);
		if (key.err || val.err)
			bad = key.err == E2BIG || val.err == E2BIG ?
			    "too long" : "out of memory";
		else if (key.len == 0)
			bad = "empty key";
		else if (nseen == AUDITFMT_MAX_DETAILS)
			bad = "too many items";
		else {
			for (i = 0; i < nseen && bad == NULL; i++)
				if (strcmp(seen[i], key.p) == 0) {
					snprintf(why, whylen, "repeated key "
					    "\"%.64s\"", key.p);
					bad = why;
				}
			if (bad == NULL && (seen[nseen++] = strdup(key.p)) ==
			    NULL)
				bad = "out of memory";
		}
	}
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(key.p);
	free(val.p);
	return bad;
}

static void
details_put_items(struct sbuf *sb, const char *details)
{
	struct sbuf key = { 0 }, val = { 0 };
	const char *s = details;
	int n = 0;

	while (s != NULL && *s != '\0') {
		if (*s == ';') {
			s++;
			continue;
		}
		s = details_token(s, ";=", &key);
		if (*s == '=')
			s = details_token(s + 1, ";", &val);
		else
			details_token("", ";", &val);
		if (n++ > 0)
			sb_putc(sb, ',');
		sb_put_json_str(sb, key.p, key.len);
		sb_putc(sb, ':');
		sb_put_json_str(sb, val.p, val.len);
	}
	free(key.p);
	free(val.p);
}

/*
 * A details string that is not a valid item list is kept whole, as text,
 * with the reason: a record is never dropped because a caller formatted
 * its details wrongly, and nothing in them can pose as a key agentd set.
 */
static void
details_put_raw(struct sbuf *sb, const char *details, const char *why)
{
	size_t n = strlen(details);
	int cut = n > AUDITFMT_MAX_RAW_DETAILS;

	if (cut)
		n = AUDITFMT_MAX_RAW_DETAILS;
	sb_put_json_str(sb, AUDITFMT_DETAILS_ERROR,
	    strlen(AUDITFMT_DETAILS_ERROR));
	sb_putc(sb, ':');
	sb_put_str_or_null(sb, why);
	sb_put_member_n(sb, AUDITFMT_DETAILS_RAW, details, n);
	if (cut)
		sb_put_member(sb, AUDITFMT_DETAILS_CUT, "true");
}

static int
details_put(struct sbuf *sb, const char *details)
{
	char why[128];
	const char *bad;

	sb_puts(sb, ",\"details\":{");
	if ((bad = details_check(details, why, sizeof(why))) == NULL)
		details_put_items(sb, details);
	else if (strcmp(bad, "out of memory") == 0) {
		errno = ENOMEM;
		return -1;
	} else
		details_put_raw(sb, details, bad);
	sb_putc(sb, '}');
	return 0;
}

/* ---- details: writing ------------------------------------------------- */

/* bytes that would end or split an item, and control bytes, are escaped */
static size_t
details_escape(const char *value, char *out, size_t room)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)value;
	char esc[5];
	size_t n = 0, k;

	for (; *u != '\0'; u++) {
		if (*u == ';' || *u == '=' || *u == '\\') {
			esc[0] = '\\', esc[1] = (char)*u, k = 2;
		} else if (*u < 0x20 || *u == 0x7f) {
			esc[0] = '\\', esc[1] = 'x', esc[2] = digits[*u >> 4];
			esc[3] = digits[*u & 0xf], k = 4;
		} else
			esc[0] = (char)*u, k = 1;
		if (n + k >= room)
			break;		/* never half an escape */
		memcpy(out + n, esc, k);
		n += k;
	}
	out[n] = '\0';
	return *u == '\0' ? n : (size_t)-1;
}

int
auditfmt_details_add(char *buf, size_t size, const char *key,
    const char *value)
{
	size_t used = strnlen(buf, size), klen = strlen(key), mark;

	if (size == 0 || used >= size)
		return -1;
	mark = strlen(AUDITFMT_DETAILS_CUT_MARK);
	/* ";" key "=" and room for the cut marker and the NUL */
	if (used + (used > 0) + klen + 1 + mark + 1 > size)
		return -1;
	if (used > 0)
		buf[used++] = ';';
	memcpy(buf + used, key, klen);
	used += klen;
	buf[used++] = '=';
	if (details_escape(value != NULL ? value : "", buf + used,
	    size - used - mark) == (size_t)-1) {
		strcat(buf, AUDITFMT_DETAILS_CUT_MARK);
		return -1;
	}
	return 0;
}

/* ---- hashing ---------------------------------------------------------- */

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != AUDITFMT_HEX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
auditfmt_sha256_hex(const char *line, size_t len,
    char out[AUDITFMT_HEX_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)line, len, md);
	hex_encode(md, sizeof(md), out);
}

int
auditfmt_hmac_hex(const uint8_t *key, size_t keylen, const char *data,
    size_t len, char out[AUDITFMT_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (keylen > AUDITFMT_MAX_KEY ||
	    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data,
	    len, md, &mdlen) == NULL || mdlen != SHA256_DIGEST_LENGTH) {
		errno = EINVAL;
		return -1;
	}
	hex_encode(md, mdlen, out);
	return 0;
}

/* ---- formatting ------------------------------------------------------- */

char *
auditfmt_format(const struct audit_rec *r, uint64_t seq,
    const struct timespec *ts, const char *node, const char *prev_hex,
    const uint8_t *key, size_t keylen, size_t *lenp)
{
	struct sbuf sb = { 0 };
	struct tm tm;
	char tbuf[64], seqbuf[32], mac[AUDITFMT_HEX_LEN + 1];

	if (prev_hex == NULL || !is_hex64(prev_hex, strlen(prev_hex)) ||
	    gmtime_r(&ts->tv_sec, &tm) == NULL) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts->tv_nsec);
	snprintf(seqbuf, sizeof(seqbuf), "%" PRIu64, seq);
	sb_puts(&sb, SEQ_PREFIX);
	sb_puts(&sb, seqbuf);
	sb_put_member(&sb, "time", tbuf);
	sb_put_member(&sb, "node", node);
	sb_put_member(&sb, "actor", r->actor);
	sb_put_member(&sb, "action", r->action);
	sb_put_member(&sb, "phase", r->phase);
	sb_puts(&sb, ",\"pod\":{\"namespace\":");
	sb_put_str_or_null(&sb, r->pod_ns);
	sb_put_member(&sb, "name", r->pod_name);
	sb_put_member(&sb, "uid", r->pod_uid);
	sb_putc(&sb, '}');
	sb_put_member(&sb, "container", r->container);
	sb_put_member(&sb, "image", r->image);
	if (details_put(&sb, r->details) == -1)
		goto fail;
	sb_put_member(&sb, "outcome", r->outcome);
	sb_put_member(&sb, "error", r->error);
	sb_put_member(&sb, "prev", prev_hex);
	if (key != NULL && !sb.err) {
		if (auditfmt_hmac_hex(key, keylen, sb.p, sb.len, mac) == -1)
			goto fail;
		sb_puts(&sb, HMAC_TAIL_HEAD);
		sb_puts(&sb, mac);
		sb_putc(&sb, '"');
	}
	sb_putc(&sb, '}');
	if (sb.err) {
		errno = sb.err;
		goto fail;
	}
	*lenp = sb.len;
	return sb.p;
 fail:
	free(sb.p);
	return NULL;
}

/* ---- parsing ---------------------------------------------------------- */

static int
reasonf(char *reason, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* the seq from the line's fixed "{"seq":N," prefix; -1 if it has none */
static int
parse_seq_prefix(const char *line, size_t len, uint64_t *seq)
{
	size_t i, plen = strlen(SEQ_PREFIX);
	uint64_t v = 0;

	if (len < plen || memcmp(line, SEQ_PREFIX, plen) != 0)
		return -1;
	for (i = plen; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (i - plen >= SEQ_MAX_DIGITS ||
		    v > (UINT64_MAX - (uint64_t)(line[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (i == plen || i == len || line[i] != ',' || v == 0 ||
	    (line[plen] == '0'))
		return -1;
	*seq = v;
	return 0;
}

static int
has_duplicate_member(const cJSON *obj, const char **dup)
{
	const cJSON *a, *b;

	for (a = obj->child; a != NULL; a = a->next)
		for (b = a->next; b != NULL; b = b->next)
			if (strcmp(a->string, b->string) == 0) {
				*dup = a->string;
				return 1;
			}
	return 0;
}

/* the hmac tail: ,"hmac":"<64 hex>"} ending the line */
static int
parse_hmac_tail(const char *line, size_t len, struct auditfmt_line *out)
{
	const char *t;

	if (len < AUDITFMT_HMAC_TAIL_LEN)
		return 0;
	t = line + len - AUDITFMT_HMAC_TAIL_LEN;
	if (memcmp(t, HMAC_TAIL_HEAD, strlen(HMAC_TAIL_HEAD)) != 0 ||
	    !is_hex64(t + strlen(HMAC_TAIL_HEAD), AUDITFMT_HEX_LEN) ||
	    memcmp(line + len - 2, "\"}", 2) != 0)
		return 0;
	memcpy(out->hmac, t + strlen(HMAC_TAIL_HEAD), AUDITFMT_HEX_LEN);
	out->hmac[AUDITFMT_HEX_LEN] = '\0';
	out->hmac_covered = len - AUDITFMT_HMAC_TAIL_LEN;
	return 1;
}

/* a decimal u64 member of details, 0 if absent or not one */
static uint64_t
details_u64(const cJSON *details, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(details, name);
	char *end;
	unsigned long long n;

	if (!cJSON_IsString(v) || v->valuestring[0] < '0' ||
	    v->valuestring[0] > '9')
		return 0;
	errno = 0;
	n = strtoull(v->valuestring, &end, 10);
	return errno != 0 || *end != '\0' ? 0 : (uint64_t)n;
}

static void
parse_gap(const cJSON *obj, struct auditfmt_line *out)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(obj, "details");

	out->gap_anchor_seq = details_u64(d, "anchor_seq");
	out->gap_found_seq = details_u64(d, "found_seq");
}

static int
parse_members(const cJSON *obj, const char *line, size_t len,
    struct auditfmt_line *out, char *reason, size_t rlen)
{
	const cJSON *prev, *action, *hmac;
	const char *dup;

	if (has_duplicate_member(obj, &dup))
		return reasonf(reason, rlen,
		    "malformed record: duplicate member \"%s\"", dup);
	prev = cJSON_GetObjectItemCaseSensitive(obj, "prev");
	if (!cJSON_IsString(prev) ||
	    !is_hex64(prev->valuestring, strlen(prev->valuestring)))
		return reasonf(reason, rlen, "malformed record: bad prev");
	memcpy(out->prev, prev->valuestring, AUDITFMT_HEX_LEN + 1);
	action = cJSON_GetObjectItemCaseSensitive(obj, "action");
	if (cJSON_IsString(action))
		snprintf(out->action, sizeof(out->action), "%s",
		    action->valuestring);
	else if (action != NULL && !cJSON_IsNull(action))
		return reasonf(reason, rlen, "malformed record: bad action");
	if (strcmp(out->action, AUDITFMT_GAP_ACTION) == 0)
		parse_gap(obj, out);
	out->has_hmac = parse_hmac_tail(line, len, out);
	hmac = cJSON_GetObjectItemCaseSensitive(obj, "hmac");
	/* an hmac member is the documented tail, or there is none */
	if ((hmac != NULL) != out->has_hmac)
		return reasonf(reason, rlen,
		    "malformed record: bad hmac member");
	return 0;
}

int
auditfmt_parse_line(const char *line, size_t len, struct auditfmt_line *out,
    char *reason, size_t rlen)
{
	cJSON *obj = NULL;
	const char *end = NULL;
	size_t i;
	int rv = -1;

	memset(out, 0, sizeof(*out));
	/* raw control bytes are invalid JSON; cJSON would accept some */
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20)
			return reasonf(reason, rlen, "malformed JSON");
	obj = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (obj == NULL || end != line + len || !cJSON_IsObject(obj)) {
		reasonf(reason, rlen, "malformed JSON");
		goto out;
	}
	if (parse_seq_prefix(line, len, &out->seq) == -1) {
		reasonf(reason, rlen, "malformed record: bad seq");
		goto out;
	}
	rv = parse_members(obj, line, len, out, reason, rlen);
 out:
	cJSON_Delete(obj);
	return rv;
}

/* ---- key files -------------------------------------------------------- */

int
auditfmt_load_key(const char *path, uint8_t *key, size_t keymax,
    size_t *keylen, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "audit key file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "audit key file %s: not a regular file",
		    path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "audit key file %s: mode %04o lets group "
		    "or others access it (want 0600 or 0400)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* read one byte past the maximum to tell "too long" from "full" */
	while (got <= keymax) {
		uint8_t *dst = key + got, extra;
		size_t room = keymax - got;

		if (room == 0)
			dst = &extra, room = 1;
		if ((n = read(fd, dst, room)) == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "audit key file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > keymax || got > AUDITFMT_MAX_KEY) {
		snprintf(err, errlen, "audit key file %s: longer than %d bytes",
		    path, AUDITFMT_MAX_KEY);
		goto out;
	}
	if (got < AUDITFMT_MIN_KEY) {
		snprintf(err, errlen, "audit key file %s: %zu bytes, need at "
		    "least %d", path, got, AUDITFMT_MIN_KEY);
		goto out;
	}
	*keylen = got;
	rv = 0;
 out:
	close(fd);
	return rv;
}

/* ---- the tail anchor -------------------------------------------------- */

int
auditfmt_anchor_format(const struct auditfmt_anchor *a,
    const struct timespec *ts, const uint8_t *key, size_t keylen, char *buf,
    size_t buflen)
{
	char mac[AUDITFMT_HEX_LEN + 1];
	struct tm tm;
	int n, m;

	if (!is_hex64(a->hash, strlen(a->hash)) ||
	    gmtime_r(&ts->tv_sec, &tm) == NULL)
		return -1;
	n = snprintf(buf, buflen, AUDITFMT_ANCHOR_MAGIC " seq=%" PRIu64
	    " hash=%s unshipped=%" PRIu64 " time=%04d-%02d-%02dT%02d:%02d:"
	    "%02dZ", a->seq, a->hash, a->unshipped, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= buflen)
		return -1;
	if (key != NULL) {
		if (auditfmt_hmac_hex(key, keylen, buf, (size_t)n, mac) == -1)
			return -1;
		m = snprintf(buf + n, buflen - (size_t)n, " hmac=%s", mac);
		if (m < 0 || (size_t)m >= buflen - (size_t)n)
			return -1;
		n += m;
	}
	if ((size_t)n + 1 >= buflen)
		return -1;
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return 0;
}

/* " name=" then digits; advances *sp */
static int
anchor_u64(const char **sp, const char *name, uint64_t *v)
{
	size_t n = strlen(name);
	char *end;
	unsigned long long x;

	if ((*sp)[0] != ' ' || strncmp(*sp + 1, name, n) != 0 ||
	    (*sp)[n + 1] != '=' || (*sp)[n + 2] < '0' || (*sp)[n + 2] > '9')
		return -1;
	errno = 0;
	x = strtoull(*sp + n + 2, &end, 10);
	if (errno != 0)
		return -1;
	*v = (uint64_t)x;
	*sp = end;
	return 0;
}

static int
anchor_hex(const char **sp, const char *name, char out[AUDITFMT_HEX_LEN + 1])
{
	size_t n = strlen(name);

	if ((*sp)[0] != ' ' || strncmp(*sp + 1, name, n) != 0 ||
	    (*sp)[n + 1] != '=' || strlen(*sp + n + 2) < AUDITFMT_HEX_LEN ||
	    !is_hex64(*sp + n + 2, AUDITFMT_HEX_LEN))
		return -1;
	memcpy(out, *sp + n + 2, AUDITFMT_HEX_LEN);
	out[AUDITFMT_HEX_LEN] = '\0';
	*sp += n + 2 + AUDITFMT_HEX_LEN;
	return 0;
}

static int
anchor_parse(char *line, struct auditfmt_anchor *a, const uint8_t *key,
    size_t keylen)
{
	char mac[AUDITFMT_HEX_LEN + 1];
	const char *s = line, *hm;
	size_t covered;

	memset(a, 0, sizeof(*a));
	if (strncmp(s, AUDITFMT_ANCHOR_MAGIC, strlen(AUDITFMT_ANCHOR_MAGIC)))
		return -1;
	s += strlen(AUDITFMT_ANCHOR_MAGIC);
	if (anchor_u64(&s, "seq", &a->seq) == -1 ||
	    anchor_hex(&s, "hash", a->hash) == -1 ||
	    anchor_u64(&s, "unshipped", &a->unshipped) == -1 ||
	    strncmp(s, " time=", 6) != 0)
		return -1;
	hm = strstr(s, " hmac=");
	covered = hm != NULL ? (size_t)(hm - line) : strlen(line);
	if (hm != NULL) {
		s = hm;
		if (anchor_hex(&s, "hmac", mac) == -1 || *s != '\0')
			return -1;
		a->has_hmac = 1;
	}
	if (key != NULL) {
		char want[AUDITFMT_HEX_LEN + 1];

		if (!a->has_hmac || auditfmt_hmac_hex(key, keylen, line,
		    covered, want) == -1 ||
		    CRYPTO_memcmp(want, mac, AUDITFMT_HEX_LEN) != 0)
			return -2;
		a->hmac_ok = 1;
	}
	return 0;
}

int
auditfmt_anchor_read(const char *path, const uint8_t *key, size_t keylen,
    struct auditfmt_anchor *a, char *why, size_t whylen)
{
	char buf[AUDITFMT_ANCHOR_MAX + 1];
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return 1;
		return reasonf(why, whylen, "%s: %s", path, strerror(errno));
	}
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n == -1)
		return reasonf(why, whylen, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
	if (n == 0 || buf[n - 1] != '\n' || memchr(buf, '\0', (size_t)n))
		return reasonf(why, whylen, "%s: malformed anchor", path);
	buf[n - 1] = '\0';
	if ((rc = anchor_parse(buf, a, key, keylen)) == -2)
		return reasonf(why, whylen, "%s: %s anchor hmac", path,
		    a->has_hmac ? "bad" : "missing");
	if (rc == -1)
		return reasonf(why, whylen, "%s: malformed anchor", path);
	return 0;
}

int
auditfmt_rotated_name(const char *path, int n, char *buf, size_t buflen)
{
	int r;

	r = snprintf(buf, buflen, "%s.%d", path, n);
	return r < 0 || (size_t)r >= buflen ? -1 : 0;
}

/* ---- bounded line reader ---------------------------------------------- */

struct auditfmt_reader {
	int	 fd;
	char	*buf;
	size_t	 cap;
	size_t	 start;		/* first unread byte */
	size_t	 end;		/* one past the last buffered byte */
	int	 eof;
	int	 skipping;	/* dropping the rest of an over-long line */
};

struct auditfmt_reader *
auditfmt_reader_open(const char *path)
{
	struct auditfmt_reader *r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = malloc(READER_CHUNK)) == NULL) {
		free(r);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	r->fd = fd;
	r->cap = READER_CHUNK;
	return r;
}

void
auditfmt_reader_close(struct auditfmt_reader *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	free(r->buf);
	free(r);
}

/* moves pending bytes to the front and reads more; -1 on error */
static int
reader_fill(struct auditfmt_reader *r)
{
	size_t ncap;
	ssize_t n;
	char *nb;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		ncap = r->cap * 2;
		if (ncap > AUDITFMT_MAX_LINE + 1)
			ncap = AUDITFMT_MAX_LINE + 1;
		if ((nb = realloc(r->buf, ncap)) == NULL)
			return -1;
		r->buf = nb;
		r->cap = ncap;
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return 0;
}

int
auditfmt_next_line(struct auditfmt_reader *r, const char **line, size_t *len,
    int *complete, int *too_long)
{
	char *nl;
	size_t pending;

	*complete = 0;
	*too_long = 0;
	for (;;) {
		pending = r->end - r->start;
		nl = memchr(r->buf + r->start, '\n', pending);
		if (r->skipping) {
			r->start = nl ? (size_t)(nl - r->buf) + 1 : r->end;
			r->skipping = nl == NULL;
		} else if (nl != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			*complete = 1;
			r->start += *len + 1;
			return 1;
		} else if (pending > AUDITFMT_MAX_LINE) {
			*line = r->buf + r->start;
			*len = pending;
			*too_long = 1;
			r->start = r->end;
			r->skipping = 1;
			return 1;
		} else if (r->eof && pending > 0) {
			*line = r->buf + r->start;
			*len = pending;
			r->start = r->end;
			return 1;
		}
		if (r->eof && r->start == r->end)
			return 0;
		if (reader_fill(r) == -1)
			return -1;
	}
}

/* ---- chain verification ----------------------------------------------- */

struct vfile {
	const char	*path;
	int		 idx;		/* in the caller's paths[] */
	int		 has_seq;	/* first record's seq was read */
	int		 empty;
	uint64_t	 first_seq;
};

struct vstate {
	const uint8_t		*key;
	size_t			 keylen;
	struct audit_verify_result *res;
	int			 have_prev;
	uint64_t		 last_seq;
	char			 last_hash[AUDITFMT_HEX_LEN + 1];
	const char		*last_file;
	uint64_t		 last_line;
	const struct auditfmt_anchor *anchor;
	int			 anchor_seen;	/* its seq is in the chain */
	int			 anchor_match;	/* with its hash */
	const char		*anchor_file;
	uint64_t		 anchor_line;
	/* the first audit.gap record */
	struct auditfmt_line	 gap;
	const char		*gap_file;
	uint64_t		 gap_line;
};

/* reads a file's first line for its seq (the prefix is enough) */
static int
probe_file(struct vfile *vf)
{
	struct auditfmt_reader *r;
	const char *line;
	size_t len;
	int complete, too_long, rc;

	if ((r = auditfmt_reader_open(vf->path)) == NULL)
		return -1;
	rc = auditfmt_next_line(r, &line, &len, &complete, &too_long);
	if (rc == 0)
		vf->empty = 1;
	else if (rc == 1)
		vf->has_seq = parse_seq_prefix(line, len, &vf->first_seq) == 0;
	auditfmt_reader_close(r);
	return rc == -1 ? -1 : 0;
}

/* chain order; files without a readable first seq, then empty ones, last */
static int
vfile_cmp(const void *a, const void *b)
{
	const struct vfile *x = a, *y = b;
	int rx = x->empty ? 2 : !x->has_seq, ry = y->empty ? 2 : !y->has_seq;

	if (rx != ry)
		return rx - ry;
	if (rx == 0 && x->first_seq != y->first_seq)
		return x->first_seq < y->first_seq ? -1 : 1;
	return x->idx - y->idx;		/* stable */
}

static int
vfail(struct vstate *vs, const char *file, uint64_t line, uint64_t seq,
    const char *fmt, ...)
{
	struct audit_verify_result *res = vs->res;
	va_list ap;

	res->ok = 0;
	snprintf(res->file, sizeof(res->file), "%s", file);
	res->line = line;
	res->seq = seq;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	return -1;
}

static int
check_hmac(struct vstate *vs, const char *file, uint64_t lineno,
    const char *line, const struct auditfmt_line *pl)
{
	char mac[AUDITFMT_HEX_LEN + 1];

	if (pl->has_hmac)
		vs->res->hmac_present++;
	if (vs->key == NULL)
		return 0;
	if (!pl->has_hmac)
		return vfail(vs, file, lineno, pl->seq, "missing hmac");
	if (auditfmt_hmac_hex(vs->key, vs->keylen, line, pl->hmac_covered,
	    mac) == -1)
		return vfail(vs, file, lineno, pl->seq, "cannot compute hmac");
	if (CRYPTO_memcmp(mac, pl->hmac, AUDITFMT_HEX_LEN) != 0)
		return vfail(vs, file, lineno, pl->seq, "bad hmac");
	return 0;
}

/* the first record of what was given: seq 1, or a rotation boundary */
static int
check_chain_start(struct vstate *vs, const char *file, uint64_t lineno,
    const struct auditfmt_line *pl)
{
	if (pl->seq == 1) {
		if (strcmp(pl->prev, AUDITFMT_ZERO_PREV) != 0)
			return vfail(vs, file, lineno, pl->seq,
			    "prev hash mismatch: seq 1 must have a zero prev");
		return 0;
	}
	if (lineno != 1 || strcmp(pl->action, AUDITFMT_ROTATE_ACTION) != 0)
		return vfail(vs, file, lineno, pl->seq, "chain start: seq %"
		    PRIu64 " is not an " AUDITFMT_ROTATE_ACTION " record at "
		    "the start of a file (earlier records missing)", pl->seq);
	vs->res->partial_start = 1;
	return 0;
}

static int
check_link(struct vstate *vs, const char *file, uint64_t lineno,
    const struct auditfmt_line *pl)
{
	uint64_t want = vs->last_seq + 1;

	if (!vs->have_prev)
		return check_chain_start(vs, file, lineno, pl);
	if (pl->seq > want)
		return vfail(vs, file, lineno, pl->seq, "sequence gap: "
		    "expected %" PRIu64 ", found %" PRIu64, want, pl->seq);
	if (pl->seq < want)
		return vfail(vs, file, lineno, pl->seq, "sequence out of "
		    "order: expected %" PRIu64 ", found %" PRIu64, want,
		    pl->seq);
	if (strcmp(pl->prev, vs->last_hash) != 0)
		return vfail(vs, file, lineno, pl->seq, "prev hash mismatch: "
		    "the record before it (%s:%" PRIu64 ", seq %" PRIu64 ") "
		    "was changed, or one is missing", vs->last_file,
		    vs->last_line, vs->last_seq);
	return 0;
}

static int
verify_line(struct vstate *vs, const char *file, uint64_t lineno,
    const char *line, size_t len, int complete, int too_long)
{
	struct auditfmt_line pl;
	char why[AUDITFMT_MAX_REASON];
	uint64_t seq = 0;

	if (too_long)
		return vfail(vs, file, lineno, 0, "record too long (over %d "
		    "bytes)", AUDITFMT_MAX_LINE);
	if (!complete) {
		(void)parse_seq_prefix(line, len, &seq);
		return vfail(vs, file, lineno, seq, "truncated record");
	}
	if (auditfmt_parse_line(line, len, &pl, why, sizeof(why)) == -1) {
		(void)parse_seq_prefix(line, len, &seq);
		return vfail(vs, file, lineno, seq, "%s", why);
	}
	if (check_hmac(vs, file, lineno, line, &pl) == -1 ||
	    check_link(vs, file, lineno, &pl) == -1)
		return -1;
	if (!vs->have_prev)
		vs->res->first_seq = pl.seq;
	vs->have_prev = 1;
	vs->last_seq = pl.seq;
	auditfmt_sha256_hex(line, len, vs->last_hash);
	if (vs->anchor != NULL && pl.seq == vs->anchor->seq) {
		vs->anchor_seen = 1;
		vs->anchor_match = strcmp(vs->last_hash, vs->anchor->hash) == 0;
		vs->anchor_file = file;
		vs->anchor_line = lineno;
	}
	if (vs->gap_file == NULL &&
	    strcmp(pl.action, AUDITFMT_GAP_ACTION) == 0) {
		vs->gap = pl;
		vs->gap_file = file;
		vs->gap_line = lineno;
	}
	vs->last_file = file;
	vs->last_line = lineno;
	vs->res->records++;
	vs->res->last_seq = pl.seq;
	memcpy(vs->res->last_hash, vs->last_hash, sizeof(vs->last_hash));
	return 0;
}

static int
verify_file(struct vstate *vs, const char *path)
{
	struct auditfmt_reader *r;
	const char *line;
	size_t len;
	uint64_t lineno = 0;
	int complete, too_long, rc, rv = -1;

	if ((r = auditfmt_reader_open(path)) == NULL) {
		vs->res->io_error = 1;
		return vfail(vs, path, 0, 0, "%s", strerror(errno));
	}
	while ((rc = auditfmt_next_line(r, &line, &len, &complete,
	    &too_long)) == 1) {
		if (verify_line(vs, path, ++lineno, line, len, complete,
		    too_long) == -1)
			goto out;
	}
	if (rc == -1) {
		vs->res->io_error = 1;
		vfail(vs, path, lineno + 1, 0, "read: %s", strerror(errno));
		goto out;
	}
	rv = 0;
 out:
	auditfmt_reader_close(r);
	return rv;
}

static int
order_files(struct vstate *vs, const char **paths, int n, struct vfile *vf)
{
	int i;

	for (i = 0; i < n; i++) {
		vf[i] = (struct vfile){ .path = paths[i], .idx = i };
		if (probe_file(&vf[i]) == -1) {
			vs->res->io_error = 1;
			return vfail(vs, paths[i], 0, 0, "%s", strerror(errno));
		}
	}
	qsort(vf, (size_t)n, sizeof(*vf), vfile_cmp);
	for (i = 0; i < n; i++)
		vs->res->order[i] = vf[i].idx;
	vs->res->nfiles = n;
	return 0;
}

static int verify_chain(struct vstate *, const char **, int);

int
auditfmt_verify_files(const char **paths, int n, const uint8_t *key,
    size_t keylen, struct audit_verify_result *res)
{
	struct vstate vs = { .key = key, .keylen = keylen, .res = res };

	return verify_chain(&vs, paths, n);
}

/* the chain is intact; does its end agree with the anchor? */
static int
check_anchor(struct vstate *vs)
{
	const struct auditfmt_anchor *a = vs->anchor;
	struct audit_verify_result *res = vs->res;

	res->anchor_checked = 1;
	if (vs->gap_file != NULL) {
		if (vs->gap.gap_found_seq == 0)
			return vfail(vs, vs->gap_file, vs->gap_line,
			    vs->gap.seq, "log restarted: agentd found no "
			    "records where its anchor named seq %" PRIu64
			    " (gap recorded here)", vs->gap.gap_anchor_seq);
		if (vs->gap.gap_found_seq == vs->gap.gap_anchor_seq)
			return vfail(vs, vs->gap_file, vs->gap_line,
			    vs->gap.seq, "last record before the gap (seq %"
			    PRIu64 ") differs from agentd's anchor: edited or "
			    "replaced (gap recorded here)",
			    vs->gap.gap_found_seq);
		return vfail(vs, vs->gap_file, vs->gap_line, vs->gap.seq,
		    "truncated after seq %" PRIu64 ": agentd found the log "
		    "cut where its anchor named seq %" PRIu64 " (gap recorded "
		    "here)", vs->gap.gap_found_seq, vs->gap.gap_anchor_seq);
	}
	if (a->seq > res->last_seq)
		return vfail(vs, vs->last_file, vs->last_line, res->last_seq,
		    "truncated after seq %" PRIu64 ": the anchor names seq %"
		    PRIu64, res->last_seq, a->seq);
	if (vs->anchor_seen && !vs->anchor_match)
		return vfail(vs, vs->anchor_file, vs->anchor_line, a->seq,
		    a->seq == res->last_seq ? "last record differs from the "
		    "anchor (edited or replaced)" : "log restarted: seq %"
		    PRIu64 " differs from the anchor", a->seq);
	res->anchor_behind = a->seq < res->last_seq;
	return 0;
}

int
auditfmt_verify_anchored(const char **paths, int n, const uint8_t *key,
    size_t keylen, const struct auditfmt_anchor *anchor,
    struct audit_verify_result *res)
{
	struct vstate vs = { .key = key, .keylen = keylen, .res = res,
	    .anchor = anchor };

	if (verify_chain(&vs, paths, n) == -1)
		return -1;
	snprintf(res->last_file, sizeof(res->last_file), "%s", vs.last_file);
	res->last_line = vs.last_line;
	if (anchor != NULL && check_anchor(&vs) == -1)
		return -1;
	return 0;
}

static int
verify_chain(struct vstate *vs, const char **paths, int n)
{
	struct audit_verify_result *res = vs->res;
	struct vfile vf[AUDITFMT_MAX_FILES];
	int i;

	memset(res, 0, sizeof(*res));
	res->hmac_checked = vs->key != NULL;
	if (n < 1 || n > AUDITFMT_MAX_FILES) {
		res->io_error = 1;
		return vfail(vs, "", 0, 0, "between 1 and %d files, not %d",
		    AUDITFMT_MAX_FILES, n);
	}
	if (order_files(vs, paths, n, vf) == -1)
		return -1;
	/* a file whose first record has no seq has no place in the chain */
	for (i = 0; i < n; i++)
		if (!vf[i].has_seq && !vf[i].empty &&
		    verify_file(vs, vf[i].path) == -1)
			return -1;
	for (i = 0; i < n; i++)
		if (verify_file(vs, vf[i].path) == -1)
			return -1;
	if (res->records == 0)
		return vfail(vs, vf[0].path, 0, 0, "no records");
	res->ok = 1;
	return 0;
}

void
auditfmt_sort_files(const char **paths, int n)
{
	struct vfile vf[AUDITFMT_MAX_FILES];
	int i;

	if (n < 2 || n > AUDITFMT_MAX_FILES)
		return;
	for (i = 0; i < n; i++) {
		vf[i] = (struct vfile){ .path = paths[i], .idx = i };
		(void)probe_file(&vf[i]);	/* unreadable: sorts last */
	}
	qsort(vf, (size_t)n, sizeof(*vf), vfile_cmp);
	for (i = 0; i < n; i++)
		paths[i] = vf[i].path;
}
