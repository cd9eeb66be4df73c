/*
 * The executor's whole reading of agentd-probe's answer (probe.h): one
 * line, a fixed word, printable ASCII, bounded.  Apart from probe.c so
 * that it is tested alone.
 */
#include <stddef.h>
#include <string.h>

#include "probe.h"

int
probe_parse_line(const char *out, int *ok, int *warning, char *msg,
    size_t msglen)
{
	static const struct { const char *w; int ok, warn; } words[] = {
		{ "success", 1, 0 }, { "warning", 1, 1 }, { "failure", 0, 0 },
	};
	size_t i, n, wl;
	const char *p;

	n = strcspn(out, "\n");
	if (n == 0 || n > PROBE_LINE_MAX)
		return -1;
	for (p = out; p < out + n; p++)
		if (*p < ' ' || *p >= 0x7f)
			return -1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		wl = strlen(words[i].w);
		if (n < wl || strncmp(out, words[i].w, wl) != 0 ||
		    (n > wl && out[wl] != ' '))
			continue;
		*ok = words[i].ok;
		*warning = words[i].warn;
		p = n > wl ? out + wl + 1 : out + n;
		n -= (size_t)(p - out);
		if (n >= msglen)
			n = msglen - 1;
		memcpy(msg, p, n);
		msg[n] = '\0';
		return 0;
	}
	return -1;
}
