/*
 * clock.c: the node's clocks with a test offset (clock.h).
 */
#include "config.h"

#include <stdatomic.h>
#include <time.h>

#include "clock.h"

/* Seconds added to both clocks by tests; 0 in the node. */
static _Atomic long long clock_offset;

long long
clock_wall(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		ts.tv_sec = time(NULL);
	return (long long)ts.tv_sec + atomic_load(&clock_offset);
}

long long
clock_mono(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return ((long long)ts.tv_sec + atomic_load(&clock_offset)) * 1000 +
	    ts.tv_nsec / 1000000;
}

long long
clock_real_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clock_test_advance(long long sec)
{
	atomic_fetch_add(&clock_offset, sec);
}

long long
clock_test_offset(void)
{
	return atomic_load(&clock_offset);
}

void
clock_deadline_ts(int clockid, long long ms, struct timespec *ts)
{
	if (clock_gettime((clockid_t)clockid, ts) != 0) {
		ts->tv_sec = time(NULL);
		ts->tv_nsec = 0;
	}
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
