/*
 * CRI log lines: parse, join, print timestamps (see crilog.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crilog.h"

#define NS_PER_S	1000000000LL

static int
digits(const char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
cri_parse_time(const char *s, size_t len, int64_t *ns, int *off_s)
{
	int y, mo, d, h, mi, sec, oh, om, i;
	int64_t frac = 0, scale = 100000000;
	struct tm tm;
	size_t p = 19;
	time_t t;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) == -1 ||
	    digits(s + 5, 2, &mo) == -1 || digits(s + 8, 2, &d) == -1 ||
	    digits(s + 11, 2, &h) == -1 || digits(s + 14, 2, &mi) == -1 ||
	    digits(s + 17, 2, &sec) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (s[p] == '.') {
		for (i = 0, p++; p < len && s[p] >= '0' && s[p] <= '9'; p++) {
			if (++i > 9)
				return -1;
			frac += (s[p] - '0') * scale;
			scale /= 10;
		}
		if (i == 0)
			return -1;
	}
	if (p == len - 1 && s[p] == 'Z')
		*off_s = 0;
	else if (p + 6 == len && (s[p] == '+' || s[p] == '-') &&
	    s[p + 3] == ':' && digits(s + p + 1, 2, &oh) == 0 &&
	    digits(s + p + 4, 2, &om) == 0 && oh < 24 && om < 60)
		*off_s = (s[p] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	else
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ns = ((int64_t)t - *off_s) * NS_PER_S + frac;
	return 0;
}

void
cri_format_time(int64_t ns, int off_s, char buf[CRI_TS_MAX])
{
	int64_t local = ns + (int64_t)off_s * NS_PER_S;
	time_t t = (time_t)(local >= 0 ? local / NS_PER_S :
	    (local - NS_PER_S + 1) / NS_PER_S);
	long frac = (long)(local - (int64_t)t * NS_PER_S);
	int a = off_s < 0 ? -off_s : off_s;
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, CRI_TS_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	if (off_s == 0)
		snprintf(buf + n, CRI_TS_MAX - n, ".%09ldZ", frac);
	else
		snprintf(buf + n, CRI_TS_MAX - n, ".%09ld%c%02d:%02d", frac,
		    off_s < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
}

int
cri_parse_line(const char *line, size_t len, struct cri_line *l)
{
	const char *sp, *end = line + len, *tag;

	if (len > 0 && line[len - 1] == '\n')
		end--;
	memset(l, 0, sizeof(*l));
	if ((sp = memchr(line, ' ', (size_t)(end - line))) == NULL ||
	    cri_parse_time(line, (size_t)(sp - line), &l->ts_ns,
	    &l->tz_off_s) == -1)
		return -1;
	sp++;
	if ((size_t)(end - sp) >= 7 && memcmp(sp, "stdout ", 7) == 0)
		l->stream = CRI_STDOUT;
	else if ((size_t)(end - sp) >= 7 && memcmp(sp, "stderr ", 7) == 0)
		l->stream = CRI_STDERR;
	else
		return -1;
	tag = sp + 7;
	/* tags are ':'-separated and only the first one counts (CRI) */
	if ((sp = memchr(tag, ' ', (size_t)(end - tag))) == NULL ||
	    sp == tag)
		return -1;
	l->partial = tag[0] == 'P' && (tag + 1 == sp || tag[1] == ':');
	l->text = sp + 1;
	/* an F line keeps its newline, a P line's is the log format's */
	l->text_len = (size_t)((l->partial ? end : line + len) - l->text);
	return 0;
}

static int
part_append(struct cri_part *p, const char *s, size_t n)
{
	size_t cap;
	char *b;

	if (p->len + n > p->cap) {
		cap = p->cap ? p->cap : 256;
		while (cap < p->len + n)
			cap *= 2;
		if ((b = realloc(p->buf, cap)) == NULL)
			return -1;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	return 0;
}

int
cri_join_feed(struct cri_join *j, const struct cri_line *l,
    struct cri_msg *m)
{
	struct cri_part *p = &j->part[l->stream ? 1 : 0];

	memset(m, 0, sizeof(*m));
	m->stream = l->stream;
	if (!p->active) {
		if (!l->partial) {
			m->ts_ns = l->ts_ns;
			m->tz_off_s = l->tz_off_s;
			m->text = l->text;
			m->text_len = l->text_len;
			return 1;
		}
		p->active = 1;
		p->len = 0;
		p->ts_ns = l->ts_ns;
		p->tz_off_s = l->tz_off_s;
	}
	/* out of memory or too long: what there is goes out as it is */
	if (part_append(p, l->text, l->text_len) == 0 && l->partial &&
	    p->len < CRI_MAX_JOINED)
		return 0;
	p->active = 0;
	m->ts_ns = p->ts_ns;
	m->tz_off_s = p->tz_off_s;
	m->text = p->buf;
	m->text_len = p->len;
	return 1;
}

void
cri_join_free(struct cri_join *j)
{
	int i;

	for (i = 0; i < 2; i++) {
		free(j->part[i].buf);
		memset(&j->part[i], 0, sizeof(j->part[i]));
	}
}

int
cri_parse_duration(const char *s, int64_t *ns)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", NS_PER_S }, { "m", 60 * NS_PER_S },
		{ "h", 3600 * NS_PER_S },
	};
	int64_t total = 0, v;
	size_t i, n;

	if (*s == '\0')
		return -1;
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (v = 0; *s >= '0' && *s <= '9'; s++) {
			if (v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (*s - '0');
		}
		/* the longest unit that matches: "ms" before "m" */
		for (i = 0, n = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(s, units[i].u, strlen(units[i].u)) == 0 &&
			    strlen(units[i].u) > n)
				n = strlen(units[i].u);
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].u) == n &&
			    strncmp(s, units[i].u, n) == 0)
				break;
		if (n == 0 || i == sizeof(units) / sizeof(units[0]))
			return -1;
		if (v > (INT64_MAX - total) / units[i].ns)
			return -1;
		total += v * units[i].ns;
		s += n;
	}
	*ns = total;
	return 0;
}
