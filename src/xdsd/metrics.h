/*
 * metrics.h: counters for GET /metrics (Prometheus text format 0.0.4):
 * requests by transaction and outcome, and a latency histogram per
 * transaction.
 */
#ifndef XDS_METRICS_H
#define XDS_METRICS_H

#include "buf.h"

void	metrics_count(const char *txn, int outcome, double seconds);
int	metrics_write(struct buf *out);
/* More lines for GET /metrics from an actor (the gateways' counters
 * per community): fn(arg, out) appends Prometheus text, XDS_OK or a
 * status.  Set once at start-up, before any request. */
#define METRICS_MAX_SOURCES	16
void	metrics_add_source(int (*fn)(void *arg, struct buf *out), void *arg);

/* One transaction's counters, for the status page: requests by outcome
 * (success, partial, failure, fault), their mean time, and the bound of
 * the histogram bucket that 95 % of them fell under (-1: above all). */
struct metrics_txn {
	char			 txn[16];
	unsigned long long	 count[4];
	unsigned long long	 n;
	double			 mean, p95;	/* seconds */
};
void	metrics_each(void (*fn)(void *arg, const struct metrics_txn *),
	    void *arg);

#endif
