/*
 * The monotonic clock in milliseconds: deadlines and backoff (agentd's
 * grants and signer, the workers' signing round trip, the reporter's
 * retries) measured against a clock that no settimeofday moves.
 */
#ifndef AGENTD_MONOCLOCK_H
#define AGENTD_MONOCLOCK_H

#include <stdint.h>

int64_t	monoclock_ms(void);

#endif
