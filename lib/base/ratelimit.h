/*
 * ratelimit.h: at most one recorded event per key (a peer address and a
 * reason, say) per interval, the others counted and reported with the
 * next one recorded: for audit records a peer could otherwise make
 * without bound, such as refused connections (a port scan), where a
 * trace of every event is still wanted.
 *
 * A table of keys, grown as they come up to its size.  A key whose
 * interval has passed gives its place up when the table is full, its
 * count of events left out going to the next event recorded, whatever
 * its key.  When every key is still
 * within its interval, the events of new keys share one more: at most
 * one of them is recorded per interval.  Thread-safe; the time is
 * clock_mono() (a test moves it).
 */
#ifndef XDS_RATELIMIT_H
#define XDS_RATELIMIT_H

#include <stddef.h>

#define RATELIMIT_KEY_MAX	96

struct ratelimit;

/* What was left out before an event that is recorded. */
struct ratelimit_skipped {
	unsigned long long	same;	/* of its key, since its last record */
	unsigned long long	others;	/* of other keys, not reported */
};

/* A table of nkeys keys, interval_ms apart; NULL when out of memory. */
struct ratelimit *ratelimit_new(size_t nkeys, long long interval_ms);
void	ratelimit_free(struct ratelimit *);
/*
 * An event of key (truncated to RATELIMIT_KEY_MAX - 1 bytes): 1 when it
 * is to be recorded, with what was left out before it in *sk; 0 when it
 * is left out (and counted).
 */
int	ratelimit_take(struct ratelimit *, const char *key,
	    struct ratelimit_skipped *sk);
/*
 * A refusal of peer address addr for reason what (the key "addr what"):
 * 1 when it is to be recorded, with more set to "" or to the text a
 * record appends, "; before it, not recorded one by one: N from this
 * address, M from others"; 0 when it is left out.  r NULL records all.
 */
int	ratelimit_peer(struct ratelimit *r, const char *addr,
	    const char *what, char *more, size_t moresz);

#endif
