/*
 * The monotonic clock in milliseconds (monoclock.h).
 */
#include <time.h>

#include "monoclock.h"

int64_t
monoclock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
