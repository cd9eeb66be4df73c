/*
 * Times as the API prints them (RFC 3339, whole seconds) and durations as
 * apimachinery's duration.HumanDuration does (podstatus.h).
 */
#include <stdio.h>
#include <time.h>

#include "podstatus.h"
#include "podview.h"

#define SEC_PER_MIN		60LL
#define SEC_PER_HOUR		3600LL
#define HOURS_PER_DAY		24LL
#define DAYS_PER_YEAR		365LL

int
podstatus_rfc3339(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (ns <= 0 || len < PODSTATUS_TIME_LEN)
		return -1;
	t = (time_t)(ns / NS_PER_SEC);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

static void
human_duration_hours(int64_t s, char *buf, size_t len)
{
	int64_t h = s / SEC_PER_HOUR, d = h / HOURS_PER_DAY;
	int64_t y = d / DAYS_PER_YEAR;

	if (h < 8 && (s / SEC_PER_MIN) % 60 != 0)
		snprintf(buf, len, "%lldh%lldm", (long long)h,
		    (long long)((s / SEC_PER_MIN) % 60));
	else if (h < 48)
		snprintf(buf, len, "%lldh", (long long)h);
	else if (h < HOURS_PER_DAY * 8 && h % HOURS_PER_DAY != 0)
		snprintf(buf, len, "%lldd%lldh", (long long)d,
		    (long long)(h % HOURS_PER_DAY));
	else if (h < HOURS_PER_DAY * DAYS_PER_YEAR * 2)
		snprintf(buf, len, "%lldd", (long long)d);
	else if (h < HOURS_PER_DAY * DAYS_PER_YEAR * 8 &&
	    d % DAYS_PER_YEAR != 0)
		snprintf(buf, len, "%lldy%lldd", (long long)y,
		    (long long)(d % DAYS_PER_YEAR));
	else
		snprintf(buf, len, "%lldy", (long long)y);
}

/* apimachinery pkg/util/duration HumanDuration, branch for branch */
void
podstatus_human_duration(int64_t d_ns, char *buf, size_t len)
{
	int64_t s = d_ns / NS_PER_SEC, m = s / SEC_PER_MIN;

	if (len == 0)
		return;
	if (s < -1)
		snprintf(buf, len, "<invalid>");
	else if (s < 0)
		snprintf(buf, len, "0s");
	else if (s < SEC_PER_MIN * 2)
		snprintf(buf, len, "%llds", (long long)s);
	else if (m < 10 && s % SEC_PER_MIN != 0)
		snprintf(buf, len, "%lldm%llds", (long long)m,
		    (long long)(s % SEC_PER_MIN));
	else if (m < 60 * 3)
		snprintf(buf, len, "%lldm", (long long)m);
	else
		human_duration_hours(s, buf, len);
}
