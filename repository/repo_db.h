/*
 * repo_db.h: state_dir/repository.db, the repository's index from a
 * document uniqueId to its bytes (SQLite, WAL, synchronous=FULL, a small
 * connection pool; every write is one BEGIN IMMEDIATE transaction).
 *
 * A row is written only after its blob is durable (blobstore_commit), so
 * there is never a row without bytes.  state: 'pending' while the
 * registry has not answered, 'committed' after.
 */
#ifndef XDS_REPO_DB_H
#define XDS_REPO_DB_H

#include <stddef.h>
#include <sys/types.h>

#define REPO_UID_MAX	129	/* uniqueId: 128 bytes (ihe-reference 3 #12) */
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

enum repo_db_status {
	REPO_DB_OK = 0,
	REPO_DB_NOTFOUND = 1,
	REPO_DB_EXISTS = 2,	/* insert: the uniqueId has a row already */
	REPO_DB_ERR = -1,
};

int	repo_db_open(const char *path, struct repo_db **out, char *err,
	    size_t errlen);
void	repo_db_close(struct repo_db *);
/* Insert a 'pending' row. */
int	repo_db_insert(struct repo_db *, const struct repo_doc *, char *err,
	    size_t errlen);
int	repo_db_get(struct repo_db *, const char *unique_id,
	    struct repo_doc *out, char *err, size_t errlen);
/* Mark rows committed (one transaction). */
int	repo_db_commit(struct repo_db *, const char *const *uids, size_t n,
	    char *err, size_t errlen);
/* Delete a row; *refs gets how many rows still name its sha256. */
int	repo_db_delete(struct repo_db *, const char *unique_id,
	    const char *sha256, long long *refs, char *err, size_t errlen);
/* 1 when a row names sha256, 0 when none, -1 on error. */
int	repo_db_has_blob(struct repo_db *, const char *sha256);
/* Rows in 'pending' (for the start-up log). */
long long repo_db_count_pending(struct repo_db *);
/* Up to max 'pending' rows, oldest uniqueId order, into *out (free());
 * *n how many. */
int	repo_db_pending(struct repo_db *, size_t max, struct repo_doc **out,
	    size_t *n, char *err, size_t errlen);

#endif
