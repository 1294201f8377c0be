/*
 * repo_db.h: state_dir/repository.db, the repository's index from a
 * document uniqueId to its bytes (SQLite, WAL, synchronous=FULL, a small
 * connection pool; every write is one BEGIN IMMEDIATE transaction).
 *
 * A row is written only after its blob is durable (blobstore_commit), so
 * there is never a row without bytes.  state: 'pending' while the
 * registry has not answered, 'committed' after.
 *
 * Live marks (in memory, per process): a row that a submission in this
 * process is registering right now.  repo_db_insert marks the row it
 * inserts (and an existing 'pending' row it finds, a resubmission) for
 * the calling thread; repo_db_commit and repo_db_delete clear the marks
 * of their rows, repo_db_release_thread() every mark of the calling
 * thread (when its ITI-42 call has returned, whatever the outcome), and
 * a mark older than REPO_DB_LIVE_TTL counts no more.  The periodic
 * reconciliation leaves marked rows alone: their registry outcome is not
 * known yet, so they must not be judged.
 */
#ifndef XDS_REPO_DB_H
#define XDS_REPO_DB_H

#include <stddef.h>
#include <sys/types.h>

#include "status.h"

#define REPO_UID_MAX	129	/* uniqueId: 128 bytes (ITI TF-3 4.2.3.2.26) */
#define REPO_MIME_MAX	129

struct repo_db;

struct repo_doc {
	char	unique_id[REPO_UID_MAX];
	char	sha256[65];
	char	sha1[41];
	off_t	size;
	char	mime_type[REPO_MIME_MAX];
	int	committed;
};

/* Live marks at once (a submission holds at most 1000), and how long a
 * mark counts: far longer than an ITI-42 call can take (its client
 * timeout is 120 s). */
#define REPO_DB_LIVE_MAX	16384
#define REPO_DB_LIVE_TTL	600

/* The functions return enum xds_status: XDS_ENOTFOUND for no such row,
 * XDS_EEXIST when an insert finds the uniqueId has a row already, XDS_EIO
 * for a database error (err says which). */

int	repo_db_open(const char *path, struct repo_db **out, char *err,
	    size_t errlen);
void	repo_db_close(struct repo_db *);
/* Insert a 'pending' row and mark it live for the calling thread (an
 * existing 'pending' row with this uniqueId is marked as well, and
 * XDS_EEXIST returned).  XDS_EBUSY past REPO_DB_LIVE_MAX marks. */
int	repo_db_insert(struct repo_db *, const struct repo_doc *, char *err,
	    size_t errlen);
int	repo_db_get(struct repo_db *, const char *unique_id,
	    struct repo_doc *out, char *err, size_t errlen);
/* Mark rows committed (one transaction); clears their live marks. */
int	repo_db_commit(struct repo_db *, const char *const *uids, size_t n,
	    char *err, size_t errlen);
/* Delete a row and its live mark; *refs gets how many rows still name
 * its sha256. */
int	repo_db_delete(struct repo_db *, const char *unique_id,
	    const char *sha256, long long *refs, char *err, size_t errlen);
/* Delete the row only if it is still 'pending' and not live (call with
 * the blob's lock held, blobstore_lock, so that no submission marks it
 * in between): XDS_OK with *refs as above, XDS_ENOTFOUND when the
 * row is gone, committed or live. */
int	repo_db_delete_pending(struct repo_db *, const char *unique_id,
	    const char *sha256, long long *refs, char *err, size_t errlen);
/* 1 when a live mark of this process holds the uniqueId, else 0. */
int	repo_db_is_live(struct repo_db *, const char *unique_id);
/* Clear the live marks of the calling thread (in every open index). */
void	repo_db_release_thread(void);
/* Live marks held now (for tests and the log). */
size_t	repo_db_live_count(struct repo_db *);
/* 1 when a row names sha256, 0 when none, -1 on error. */
int	repo_db_has_blob(struct repo_db *, const char *sha256);
/* Rows in 'pending' (for the log). */
long long repo_db_count_pending(struct repo_db *);
/* Up to max 'pending' rows, oldest uniqueId order, into *out (free());
 * *n how many. */
int	repo_db_pending(struct repo_db *, size_t max, struct repo_doc **out,
	    size_t *n, char *err, size_t errlen);

#endif
