/*
 * The pure parts of the socket grant (apigrant.c): the bounds a worker's
 * connection requests meet, the once-a-window summary of refusals, and
 * how addresses are written.  No I/O, no clock: the caller passes the
 * time, so tests/unit/test_agentd_apilimit.c drives them directly.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agentd.h"

/*
 * A ring of the last APIGRANT_MAX_PER_WINDOW admissions: full, and its
 * oldest is less than a window old, means that many in the window
 * already.  A clock that went back (it is monotonic: it does not) would
 * only make the window longer.
 */
int
apirate_admit(struct apirate *r, int64_t now)
{
	size_t oldest;

	if (r->n == APIGRANT_MAX_PER_WINDOW) {
		oldest = r->next;	/* the slot about to be reused */
		if (now - r->t[oldest] < APIGRANT_WINDOW_S)
			return 0;
	} else
		r->n++;
	r->t[r->next] = now;
	r->next = (r->next + 1) % APIGRANT_MAX_PER_WINDOW;
	return 1;
}

int
apirefusal_note(struct apirefusals *rf, int64_t now, uint64_t *count)
{
	rf->pending++;
	return apirefusal_due(rf, now, count);
}

int
apirefusal_due(struct apirefusals *rf, int64_t now, uint64_t *count)
{
	if (rf->pending == 0 ||
	    (rf->reported && now - rf->last_report < APIGRANT_WINDOW_S))
		return 0;
	*count = rf->pending;
	rf->pending = 0;
	rf->last_report = now;
	rf->reported = 1;
	return 1;
}

int64_t
apirefusal_wait(const struct apirefusals *rf, int64_t now)
{
	int64_t left;

	if (rf->pending == 0)
		return -1;
	if (!rf->reported)
		return 0;
	left = rf->last_report + APIGRANT_WINDOW_S - now;
	return left > 0 ? left : 0;
}

void
apigrant_addrstr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a)) != NULL)
		snprintf(buf, len, "%s:%u", a, ntohs(in4->sin_port));
	else if (sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a)) != NULL)
		snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
	else
		snprintf(buf, len, "?");
}

void
apigrant_url(const char *host, uint16_t port, char *buf, size_t len)
{
	int v6 = strchr(host, ':') != NULL;

	snprintf(buf, len, "https://%s%s%s:%u", v6 ? "[" : "", host,
	    v6 ? "]" : "", port);
}

/*
 * As Go's dialer shares a deadline among the addresses still to try: the
 * first of two gets half, but never less than APIGRANT_ADDR_MIN_MS (a
 * slow first address must not starve a good second one into a timeout
 * it cannot make), and never more than what is left.
 */
int64_t
apigrant_attempt_ms(int64_t remaining, unsigned left)
{
	int64_t share;

	if (remaining < 1)
		return 1;
	share = left > 1 ? remaining / left : remaining;
	if (share < APIGRANT_ADDR_MIN_MS)
		share = APIGRANT_ADDR_MIN_MS;
	return share < remaining ? share : remaining;
}
