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

#endif
