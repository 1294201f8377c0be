/*
 * ratelimit.c: one recorded event per key per interval (ratelimit.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ratelimit.h"
#include "str.h"

struct slot {
	char			key[RATELIMIT_KEY_MAX];
	long long		at;	/* clock_mono of its last record */
	unsigned long long	skipped;
	int			used;
};

/* The table grows as keys come, up to max slots: an idle node holds a
 * few, not a table sized for a port scan. */
#define RATELIMIT_FIRST	8

struct ratelimit {
	pthread_mutex_t		mu;
	long long		interval;
	unsigned long long	others;	/* of keys given up */
	struct slot		overflow;	/* new keys, table full */
	size_t			n;	/* slots allocated */
	size_t			max;
	struct slot		*s;
};

struct ratelimit *
ratelimit_new(size_t nkeys, long long interval_ms)
{
	struct ratelimit *r;

	if (nkeys == 0 || nkeys > 1024 * 1024 ||
	    (r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	r->interval = interval_ms;
	r->max = nkeys;
	return r;
}

void
ratelimit_free(struct ratelimit *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r->s);
	free(r);
}

/* A new free slot, the table doubled up to max; NULL when it is at max
 * (or out of memory: then as full).  mu held. */
static struct slot *
grow(struct ratelimit *r)
{
	struct slot *ns;
	size_t n;

	if (r->n >= r->max)
		return NULL;
	n = r->n == 0 ? RATELIMIT_FIRST : r->n * 2;
	if (n > r->max)
		n = r->max;
	if ((ns = realloc(r->s, n * sizeof *ns)) == NULL)
		return NULL;
	memset(ns + r->n, 0, (n - r->n) * sizeof *ns);
	r->s = ns;
	ns += r->n;
	r->n = n;
	return ns;
}

/* The slot of key, a free one, one whose interval has passed (the
 * oldest), or a new one (grow); NULL when every slot is within its
 * interval and the table is at its size.  mu held. */
static struct slot *
slot_of(struct ratelimit *r, const char *key, long long now, int *found)
{
	struct slot *free_one = NULL, *oldest = NULL, *e;
	size_t i;

	*found = 0;
	for (i = 0; i < r->n; i++) {
		e = &r->s[i];
		if (!e->used) {
			if (free_one == NULL)
				free_one = e;
			continue;
		}
		if (strcmp(e->key, key) == 0) {
			*found = 1;
			return e;
		}
		if (now - e->at >= r->interval &&
		    (oldest == NULL || e->at < oldest->at))
			oldest = e;
	}
	if (free_one == NULL && oldest == NULL)
		free_one = grow(r);
	return free_one != NULL ? free_one : oldest;
}

/* Whether an event of slot e is recorded now; its count of events left
 * out into *same.  mu held. */
static int
due(struct ratelimit *r, struct slot *e, long long now,
    unsigned long long *same)
{
	if (e->used && now - e->at < r->interval) {
		e->skipped++;
		return 0;
	}
	*same = e->skipped;
	e->skipped = 0;
	e->at = now;
	e->used = 1;
	return 1;
}

int
ratelimit_take(struct ratelimit *r, const char *key,
    struct ratelimit_skipped *sk)
{
	struct slot *e;
	char k[RATELIMIT_KEY_MAX];
	long long now = clock_mono();
	int found, rc;

	memset(sk, 0, sizeof *sk);
	str_lcpy(k, key, sizeof k);
	pthread_mutex_lock(&r->mu);
	if ((e = slot_of(r, k, now, &found)) == NULL) {
		/* every key recent: new ones share the overflow slot */
		if ((rc = due(r, &r->overflow, now, &sk->others)) != 0) {
			sk->others += r->others;
			r->others = 0;
		}
		pthread_mutex_unlock(&r->mu);
		return rc;
	}
	if (!found) {
		if (e->used)		/* given up: its count goes on */
			r->others += e->skipped;
		memset(e, 0, sizeof *e);
		str_lcpy(e->key, k, sizeof e->key);
	}
	if ((rc = due(r, e, now, &sk->same)) != 0) {
		/* the overflow's, when it has no record of its own due */
		if (now - r->overflow.at >= r->interval) {
			r->others += r->overflow.skipped;
			r->overflow.skipped = 0;
		}
		sk->others = r->others;
		r->others = 0;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int
ratelimit_peer(struct ratelimit *r, const char *addr, const char *what,
    char *more, size_t moresz)
{
	struct ratelimit_skipped sk;
	char key[RATELIMIT_KEY_MAX];

	memset(&sk, 0, sizeof sk);
	if (moresz > 0)
		more[0] = '\0';
	str_fmt(key, sizeof key, "%s %s", addr, what);
	if (r != NULL && !ratelimit_take(r, key, &sk))
		return 0;
	if (sk.same > 0 || sk.others > 0)
		str_fmt(more, moresz, "; before it, not recorded one by one: "
		    "%llu from this address, %llu from others", sk.same,
		    sk.others);
	return 1;
}
