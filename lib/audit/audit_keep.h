/*
 * audit_keep.h: the access log's past days: compressed once over, removed
 * after the retention time.
 *
 * A day's file access-YYYY-MM-DD.jsonl is compressed (gzip) into
 * access-YYYY-MM-DD.jsonl.gz once its day is over (UTC) and the ATNA
 * sender, when there is one, has sent all of it; the plain file goes
 * only once the compressed one is durable.  A crash leaves the plain
 * file (which readers take when both exist) or the finished .gz, and a
 * stale .gz.tmp, which the next pass removes.  Days older than
 * retention_days are removed, the oldest first, never one the sender
 * still has to send; the hash of the last removed record is kept in
 * AUDIT_CHAIN_START first, so the chain still verifies from the oldest
 * kept day (audit_chain.h).
 */
#ifndef XDS_AUDIT_KEEP_H
#define XDS_AUDIT_KEEP_H

#include <stddef.h>

struct audit_keep_opts {
	int	retention_days;	/* 0: keep for ever */
	int	atna;		/* a sender runs: keep what it has not sent */
};

struct audit_keep_result {
	size_t	compressed;	/* days compressed */
	size_t	removed;	/* days removed */
	size_t	unsent;		/* past days kept plain for the sender */
};

/*
 * One pass over the access log directory dir (state_dir/audit) at time
 * now (seconds since the epoch).  XDS_OK, or an enum xds_status with err
 * set for the first day that could not be handled (the pass stops
 * there; what it did before stays done).
 */
int	audit_keep_pass(const char *dir, long long now,
	    const struct audit_keep_opts *, struct audit_keep_result *,
	    char *err, size_t errlen);

/*
 * A thread running the pass for state_dir at once and then every hour
 * (clock_wall, so a test can move it).  0, or an enum xds_status.
 */
int	audit_keep_start(const char *state_dir, const struct audit_keep_opts *,
	    char *err, size_t errlen);
/* Stop and join it; a pass in progress finishes its day first. */
void	audit_keep_stop(void);

#endif
