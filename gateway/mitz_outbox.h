/*
 * mitz_outbox.h: subscriptions at Mitz for the patients of this node's
 * registry, at least once.  When the registry commits a patient's first
 * document (registry_on_new_patient), the patient's BSN goes into a
 * durable outbox (state_dir/mitz.db) before the submission is answered;
 * a thread posts a FHIR Subscription (mitz_fhir.h) for each pending row
 * to consent.subscribe_url and keeps retrying with back-off while Mitz
 * is down, throttles or fails (timeouts, 429, 5xx), across restarts.  A
 * 2xx answer (202: the subscription existed) is done; another 4xx is a
 * refusal: the row is kept as failed with the reason, logged, counted.
 */
#ifndef XDS_MITZ_OUTBOX_H
#define XDS_MITZ_OUTBOX_H

#include <stddef.h>

struct buf;
struct conf;
struct mitz_outbox;

/*
 * Open state_dir/mitz.db and start the thread.  cf must outlive it.
 * patients (NULL: none) goes over every patient the registry holds
 * documents of, calling cb with each CX; before the thread starts, each
 * BSN not in the outbox yet is queued in one transaction, so a patient
 * whose first document was committed just before a crash, and never
 * queued, is subscribed all the same (a refused one stays refused).
 */
typedef int (*mitz_patients_fn)(void *arg, int (*cb)(void *, const char *),
	    void *cbarg);
int	mitz_outbox_open(const struct conf *cf, mitz_patients_fn patients,
	    void *patients_arg, struct mitz_outbox **out, char *err,
	    size_t errlen);
/* Stop the thread (a request under way ends within consent.timeout)
 * and close.  NULL is a no-op. */
void	mitz_outbox_close(struct mitz_outbox *);
/*
 * A patient (canonical CX) had a first document registered: arg is the
 * outbox.  A BSN is queued (once: a patient queued before is not again,
 * unless Mitz refused it); another id is passed over with a note.
 */
void	mitz_outbox_patient(void *arg, const char *cx);
/* One row of the outbox, as mitz_outbox_each gives it. */
struct mitz_outbox_row {
	const char	*bsn;
	const char	*state;		/* pending, done, failed */
	long long	 attempts;
	long long	 added;		/* seconds since the epoch */
	const char	*mitz_id;	/* "" when none */
	const char	*reason;	/* the last attempt's outcome, or "" */
};
/*
 * Every row of state_dir/mitz.db (in state, when not NULL), oldest first,
 * to fn; read-only, beside a running node too.  XDS_OK (no database: no
 * rows), XDS_EIO with err, or fn's failure (it stops there).
 */
int	mitz_outbox_each(const char *state_dir, const char *state,
	    int (*fn)(void *arg, const struct mitz_outbox_row *), void *arg,
	    char *err, size_t errlen);

/* The counters as Prometheus text (xds_mitz_subscriptions_total by
 * result, xds_mitz_subscriptions_pending), appended to out; arg is the
 * outbox.  XDS_OK or XDS_ETOOBIG. */
int	mitz_outbox_metrics_write(void *arg, struct buf *out);

#endif
