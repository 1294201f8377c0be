/*
 * bridge_db.h: the study database of the DICOM bridge, state_dir/dicom.db.
 * Stands alone (SQLite and lib/base): xdsctl and the tests use it without
 * a running bridge.  It names instances by their UIDs; their files are
 * the receive path's.
 *
 * Every study is tracked with the patient's BSN (or NULL when none could
 * be resolved), the instance count, the last arrival and a state:
 *
 *	pending		no valid BSN yet: kept, never published
 *	conflict	instances name different BSNs: kept, never published
 *	receiving	BSN known, instances arriving
 *	ready		quiet for dicom.publish_after seconds: to be published
 *	published	manifest registered by RAD-68 (entry_uuid, unique_id)
 *
 * Instances that arrive later make a ready or published study receiving
 * again.  For idempotent publication (publish.h) a study also records its
 * attempt: the identity of the manifest in flight, whose outcome is not
 * known yet.
 */
#ifndef XDS_BRIDGE_DB_H
#define XDS_BRIDGE_DB_H

#include <stddef.h>

#include "dcmshim.h"
#include "status.h"

struct bridge_db;

int	bridge_db_open(const char *state_dir, struct bridge_db **out, char *err,
	    size_t errlen);
void	bridge_db_close(struct bridge_db *db);

/* Record an instance that is now durable.  bsn NULL when unresolved.
 * origin: the URA of the organisation that pushed it (push.listen),
 * recorded beside any earlier one; NULL for the bridge's own SCP. */
int	bridge_db_instance(struct bridge_db *db, const struct dcmshim_info *info,
	    const char *bsn, const char *origin, long long now, char *err,
	    size_t errlen);
/* What an instance row holds of its instance: the UIDs, and the BSN
 * ("" when unresolved). */
struct bridge_db_row {
	char	sop_class[DCMSHIM_UI_SZ];
	char	sop_uid[DCMSHIM_UI_SZ];
	char	study_uid[DCMSHIM_UI_SZ];
	char	series_uid[DCMSHIM_UI_SZ];
	char	bsn[10];
};
void	bridge_db_row_of(const struct dcmshim_info *info, const char *bsn,
	    struct bridge_db_row *out);
/* Record n instances that are now durable, each with origin, in one
 * transaction, synchronous=FULL even when lazy (a storage commitment,
 * bridge_stage.h): all are recorded, durably, or none. */
int	bridge_db_instances_from(struct bridge_db *db,
	    const struct bridge_db_row *v, size_t n, const char *origin,
	    long long now, char *err, size_t errlen);
/* 1 when an instance row of sop_uid exists, 0 when not, XDS_EIO (err
 * set) when it cannot be looked up. */
int	bridge_db_has_instance(struct bridge_db *db, const char *sop_uid,
	    char *err, size_t errlen);
/* The same, and the study of the instance into study_uid (DCMSHIM_UI_SZ,
 * may be NULL) when it exists. */
int	bridge_db_instance_study(struct bridge_db *db, const char *sop_uid,
	    char *study_uid, char *err, size_t errlen);
/* The same for an instance that origin (a URA) pushed: 0 when there is
 * none, whether or not another organisation or the bridge's own SCP
 * delivered it (a storage commitment answers only its sender). */
int	bridge_db_instance_from(struct bridge_db *db, const char *sop_uid,
	    const char *origin, char *study_uid, char *err, size_t errlen);
/*
 * Routes (push.route): a study sent to the bridge under a routed called
 * AE title is recorded once per title (bridge_db_route: 1 when that
 * made the route, 0 when it was known); the push sender walks those of
 * studies that are complete at now (ready or published, or receiving
 * and quiet for quiet seconds: the bridge's completion rule,
 * dicom.publish_after) without a job yet (bridge_db_routes_due, at most
 * 64 a call; fn's nonzero return stops), learns when the next one can
 * be complete (bridge_db_route_next: 1 with *when, seconds since the
 * epoch, 0 when no routed study waits) and records the job it made
 * (bridge_db_route_job).  0 or -1 with err unless said.
 */
int	bridge_db_route(struct bridge_db *db, const char *study_uid,
	    const char *ae, char *err, size_t errlen);
int	bridge_db_routes_due(struct bridge_db *db, long long now,
	    long long quiet,
	    int (*fn)(void *arg, const char *study_uid, const char *ae),
	    void *arg, char *err, size_t errlen);
int	bridge_db_route_next(struct bridge_db *db, long long quiet,
	    long long *when, char *err, size_t errlen);
int	bridge_db_route_job(struct bridge_db *db, const char *study_uid,
	    const char *ae, long long job, char *err, size_t errlen);
/*
 * From now on bridge_db_instance commits with synchronous=NORMAL: a crash
 * may lose the last instance rows, which crash recovery rebuilds from
 * their durable files.  Every other write stays
 * synchronous=FULL.
 */
void	bridge_db_set_lazy(struct bridge_db *db);
/* Make every commit so far durable, lazy ones too (a FULL WAL
 * checkpoint): XDS_OK, or XDS_EIO with err. */
enum xds_status bridge_db_checkpoint(struct bridge_db *db, char *err,
	    size_t errlen);

/* receiving -> ready for studies quiet since now - quiet seconds; returns
 * how many changed, or -1. */
int	bridge_db_mark_ready(struct bridge_db *db, long long now, long long quiet,
	    char *err, size_t errlen);

/* A study as a walk sees it: valid during the callback only. */
struct bridge_db_study {
	const char	*study_uid;
	const char	*bsn;		/* NULL when unresolved */
	long long	 instances;
	long long	 last_arrival;	/* seconds since the epoch */
	const char	*state;
	const char	*entry_uuid;	/* last published entry, or NULL */
	const char	*unique_id;	/* its uniqueId (KOS SOP UID), or NULL */
	long long	 rev;		/* +1 for every instance added */
	/* The publication in flight, outcome unknown (all NULL: none). */
	const char	*attempt_unique_id;	/* its KOS SOP UID */
	const char	*attempt_entry_uuid;	/* its DocumentEntry entryUUID */
	const char	*attempt_ss_uid;	/* its SubmissionSet uniqueId */
	long long	 attempt_rev;		/* rev of the instances it lists */
};
/* Call fn for each study in state (NULL: pending and conflict, the
 * studies waiting for a person), oldest arrival first.  A nonzero return
 * from fn stops the walk. */
int	bridge_db_list(struct bridge_db *db, const char *state,
	    int (*fn)(void *arg, const struct bridge_db_study *s), void *arg,
	    char *err, size_t errlen);

/* Ready studies whose retry time has come (publication). */
int	bridge_db_due(struct bridge_db *db, long long now,
	    int (*fn)(void *arg, const struct bridge_db_study *s), void *arg,
	    char *err, size_t errlen);

/* One study, copied. */
struct bridge_db_study_row {
	int		found;
	char		study_uid[DCMSHIM_UI_SZ];
	char		bsn[10];
	char		state[16];
	char		entry_uuid[64];
	char		unique_id[DCMSHIM_UI_SZ];
	long long	instances;
	long long	last_arrival;
	long long	rev;
	char		attempt_unique_id[DCMSHIM_UI_SZ];	/* "" if none */
	char		attempt_entry_uuid[64];
	char		attempt_ss_uid[DCMSHIM_UI_SZ];
	long long	attempt_rev;
};
int	bridge_db_study(struct bridge_db *db, const char *study_uid,
	    struct bridge_db_study_row *out, char *err, size_t errlen);
/* xdsctl dicom publish: make a receiving, ready or published study ready
 * now (a running xdsd publishes it within a second); -1 with the reason
 * for an unknown, pending or conflict study. */
int	bridge_db_request_publish(struct bridge_db *db, const char *study_uid,
	    char *err, size_t errlen);
/* Record a registered manifest: ready -> published (a study that received
 * meanwhile stays receiving and will replace this entry).  An attempt
 * with this unique_id is settled by it (its columns cleared). */
int	bridge_db_published(struct bridge_db *db, const char *study_uid,
	    const char *entry_uuid, const char *unique_id, char *err,
	    size_t errlen);
/*
 * Record, durably (synchronous=FULL), the publication about to be sent:
 * the KOS SOP UID (its file state_dir/dicom/kos/<unique_id>.dcm is
 * durable before this call), the DocumentEntry entryUUID (urn:uuid), the
 * SubmissionSet uniqueId and the study's rev when its instances were
 * listed.  -1 when the study is unknown or has an attempt already (settle
 * that one first).
 */
int	bridge_db_attempt(struct bridge_db *db, const char *study_uid,
	    const char *unique_id, const char *entry_uuid, const char *ss_uid,
	    long long rev, char *err, size_t errlen);
/* Forget the attempt unique_id of a study: it was certainly not
 * registered (the registry rejected it).  No attempt or another one: 0. */
int	bridge_db_attempt_drop(struct bridge_db *db, const char *study_uid,
	    const char *unique_id, char *err, size_t errlen);
/* Try a failed publication again no sooner than at. */
int	bridge_db_retry_at(struct bridge_db *db, const char *study_uid,
	    long long at, char *err, size_t errlen);
/* Each instance of a study, by series then SOP UID; a nonzero return
 * from fn ends the walk with -1 ("too many instances"). */
int	bridge_db_instances(struct bridge_db *db, const char *study_uid,
	    int (*fn)(void *arg, const char *series_uid, const char *sop_class,
	    const char *sop_uid), void *arg, char *err, size_t errlen);

#endif /* XDS_BRIDGE_DB_H */
