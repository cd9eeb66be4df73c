/*
 * Fuzz the CRI log reader of `agentctl logs` (agentctl/crilog.c): the
 * input is a log file, one line per '\n'.  Oracles: a parsed line's text
 * lies inside the line; a parsed time printed the kubectl way parses back
 * to the same instant; a joined message holds exactly the texts of its
 * parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agentctl/crilog.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	char ts[CRI_TS_MAX], *dur;
	struct cri_join j;
	struct cri_line l;
	struct cri_msg m;
	size_t pending[2] = { 0, 0 }, len;
	int64_t ns;
	int off;

	memset(&j, 0, sizeof(j));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (cri_parse_line(p, len, &l) == 0) {
			if (l.text < p || l.text + l.text_len > p + len)
				abort();
			cri_format_time(l.ts_ns, l.tz_off_s, ts);
			if (cri_parse_time(ts, strlen(ts), &ns, &off) != 0 ||
			    ns != l.ts_ns || off != l.tz_off_s)
				abort();
			pending[l.stream] += l.text_len;
			if (cri_join_feed(&j, &l, &m) == 1) {
				if (m.text_len != pending[l.stream])
					abort();
				pending[l.stream] = 0;
			}
		}
		p += len;
	}
	cri_join_free(&j);
	/* and the input as a --since argument */
	if ((dur = malloc(size + 1)) != NULL) {
		memcpy(dur, data, size);
		dur[size] = '\0';
		if (cri_parse_duration(dur, &ns) == 0 && ns < 0)
			abort();
		free(dur);
	}
	return 0;
}
