/*
 * push_db.h: the push jobs of this node, state_dir/push.db (SQLite,
 * synchronous=FULL, schema version 3).  Stands alone (SQLite and
 * lib/base): xdsctl push adds, lists, retries and cancels jobs in it
 * beside a running xdsd, whose sender (push_send.c) takes them.
 *
 * A job sends one study the bridge holds to one organisation (dest: its
 * URA or home community id).  Its states:
 *
 *	queued		waiting for its next attempt (next_try)
 *	sending		an attempt is running
 *	done		the receiver committed every instance
 *	failed		given up (push.give_up_after, or nothing to send)
 *	cancelled	xdsctl push cancel
 *
 * Each of its instances is new (to be sent), stored (the receiver
 * answered its C-STORE with Success; its commitment not yet known) or
 * committed (the receiver's storage commitment report named it).
 */
#ifndef XDS_PUSH_DB_H
#define XDS_PUSH_DB_H

#include <stddef.h>

#include "status.h"

#define PUSH_DEST_SZ	80
#define PUSH_UID_SZ	65
#define PUSH_ERR_SZ	256
/* The dest of a job that forwards a received study to this node's own
 * PACS (push.forward), by plain C-STORE to dicom.pacs. */
#define PUSH_DEST_PACS	"dicom.pacs"

struct push_db;

struct push_job {
	long long	id;
	char		dest[PUSH_DEST_SZ];
	char		study_uid[PUSH_UID_SZ];
	char		state[16];
	long long	created;	/* seconds since the epoch */
	long long	started;	/* created, or the last retry */
	long long	next_try;
	long long	attempts;
	long long	instances;	/* 0 until the first attempt */
	long long	committed;
	char		last_error[PUSH_ERR_SZ];
	char		txn[PUSH_UID_SZ];	/* "" or its last request's */
};

struct push_item {
	char		sop_uid[PUSH_UID_SZ];
	char		series_uid[PUSH_UID_SZ];
	char		sop_class[PUSH_UID_SZ];
	char		ts[PUSH_UID_SZ];
	char		state[12];	/* new, stored, committed */
};

enum xds_status push_db_open(const char *state_dir, struct push_db **out,
	    char *err, size_t errlen);
void	push_db_close(struct push_db *db);	/* NULL: no-op */

/* A new queued job, due now; its id into *id.  origin names what made
 * it (a route, "route:AE"): a job of the same study, dest and origin is
 * made once, and adding it again gives the existing one's id (in any
 * state), so that a crash between making a job and recording that it
 * was made does not push the study twice.  NULL: always a new job (xdsctl
 * push). */
enum xds_status push_db_add(struct push_db *db, const char *dest,
	    const char *study_uid, const char *origin, long long now,
	    long long *id, char *err, size_t errlen);
/* One job: XDS_OK, XDS_ENOTFOUND, XDS_EIO. */
enum xds_status push_db_job(struct push_db *db, long long id,
	    struct push_job *out, char *err, size_t errlen);
/* Each job, newest first (fn's nonzero return stops the walk). */
enum xds_status push_db_list(struct push_db *db,
	    int (*fn)(void *arg, const struct push_job *j), void *arg,
	    char *err, size_t errlen);
/* Each instance of a job, in SOP UID order; fn stopping (non-zero)
 * ends it with XDS_ETOOBIG ("too many instances"). */
enum xds_status push_db_items(struct push_db *db, long long id,
	    int (*fn)(void *arg, const struct push_item *it), void *arg,
	    char *err, size_t errlen);

/* The sender: the oldest queued job due at now, made sending: XDS_OK,
 * XDS_ENOTFOUND when none is due. */
enum xds_status push_db_take(struct push_db *db, long long now,
	    struct push_job *out, char *err, size_t errlen);
/* The next_try of the queued job due first into *next: XDS_OK,
 * XDS_ENOTFOUND when none is queued. */
enum xds_status push_db_next(struct push_db *db, long long *next,
	    char *err, size_t errlen);
/* At start: jobs left sending by a stop or crash are queued again. */
enum xds_status push_db_requeue(struct push_db *db, char *err,
	    size_t errlen);
/* The instances of a job, added once (new), in one transaction. */
enum xds_status push_db_set_items(struct push_db *db, long long id,
	    const struct push_item *items, size_t n, char *err,
	    size_t errlen);
/* The outcome of an attempt, in one transaction: each item's new state
 * (items[i].state), then the job done when every item is committed,
 * else queued for next_try with why, or failed with why when give_up.
 * A job cancelled meanwhile stays cancelled (its items are recorded). */
enum xds_status push_db_attempt(struct push_db *db, long long id,
	    const struct push_item *items, size_t n, long long next_try,
	    int give_up, const char *why, char *err, size_t errlen);
/*
 * Storage commitment reports on push.listen (PS3.4 J.3.3, push_report.c).
 * An attempt records its Transaction UID before its N-ACTION
 * (push_db_set_txn); the job's next take forgets it.  An attempt whose
 * receiver ended the association before reporting is recorded by
 * push_db_await: as push_db_attempt, but the job queued until until
 * (push.commit_timeout) with why, its transaction kept, never failed
 * nor done there (due at now when nothing is left to commit: its next
 * attempt declares it done).  push_db_by_txn finds the queued or
 * sending job of a transaction (XDS_ENOTFOUND).  push_db_report applies
 * a report of txn to job id in one transaction: each committed instance
 * committed (*newly: how many were not), each failed one that was
 * stored new again (sent again), a queued job due at now; XDS_ENOTFOUND
 * when txn is no longer that job's.  Items once committed never go back
 * (push_db_attempt and push_db_await leave them).
 */
enum xds_status push_db_set_txn(struct push_db *db, long long id,
	    const char *txn, char *err, size_t errlen);
enum xds_status push_db_await(struct push_db *db, long long id,
	    const struct push_item *items, size_t n, long long until,
	    long long now, const char *why, char *err, size_t errlen);
enum xds_status push_db_by_txn(struct push_db *db, const char *txn,
	    struct push_job *out, char *err, size_t errlen);
enum xds_status push_db_report(struct push_db *db, const char *txn,
	    long long id, const char *const *committed, size_t ncommitted,
	    const char *const *failed, size_t nfailed, long long now,
	    size_t *newly, char *err, size_t errlen);
/* A job ended without an attempt (its study unknown, ...): failed. */
enum xds_status push_db_fail(struct push_db *db, long long id,
	    const char *why, char *err, size_t errlen);
/* xdsctl push retry: a failed or queued job queued, due now, its
 * give-up time counted from now.  XDS_ENOTFOUND; XDS_EINVAL for a job
 * done or cancelled (err says). */
enum xds_status push_db_retry(struct push_db *db, long long id,
	    long long now, char *err, size_t errlen);
/* xdsctl push cancel: a queued, sending or failed job cancelled.
 * XDS_ENOTFOUND; XDS_EINVAL for a job done. */
enum xds_status push_db_cancel(struct push_db *db, long long id,
	    char *err, size_t errlen);
/* Jobs by state, for /metrics: counts[0..4] for queued, sending, done,
 * failed, cancelled. */
#define PUSH_NSTATES	5
extern const char *const push_db_states[PUSH_NSTATES];
enum xds_status push_db_counts(struct push_db *db,
	    long long counts[PUSH_NSTATES], char *err, size_t errlen);

#endif /* XDS_PUSH_DB_H */
