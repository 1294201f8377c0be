/*
 * repo_check.h: the repository's document store checked against its
 * index, changing neither (xdsctl db check): every document whose stored
 * bytes are gone (missing), do not hold the size and SHA-256 recorded
 * for it (damaged) or cannot be read, and every file of the store that no
 * document names (orphan).
 *
 * Safe beside a running xdsd: repository.db is opened read-only and read
 * in short read transactions (a page of hashes each, so that the node's
 * WAL checkpoints are not held back while blobs are hashed); a problem
 * found is confirmed against the index once more before it is reported
 * (a document deleted meanwhile is none); files younger than
 * REPOSITORY_SWEEP_GRACE and tmp/ are not judged (a submission stores its
 * bytes before its row).
 */
#ifndef XDS_REPO_CHECK_H
#define XDS_REPO_CHECK_H

#include <stddef.h>

enum repo_problem {
	REPO_MISSING,		/* a document's blob is gone */
	REPO_DAMAGED,		/* its size or SHA-256 differs */
	REPO_UNREADABLE,	/* it cannot be read (detail: why) */
	REPO_ORPHAN,		/* a file no document names */
	REPO_NPROBLEMS
};

struct repo_finding {
	enum repo_problem what;
	const char	*unique_id;	/* the document; "" for an orphan */
	const char	*sha256;	/* recorded hash; an orphan's file name */
	const char	*detail;	/* what differs, or "" */
};

struct repo_check_counts {
	unsigned long long documents;	/* rows */
	unsigned long long blobs;	/* distinct hashes of the rows */
	unsigned long long bytes;	/* hashed */
	unsigned long long files;	/* in the store, tmp/ not counted */
	unsigned long long problems[REPO_NPROBLEMS];
};

/* Called for every problem, in hash order (orphans last). */
typedef void (*repo_check_fn)(void *arg, const struct repo_finding *);
/* Called after each blob checked, with the counts so far (a progress
 * line on a terminal); NULL: none. */
typedef void (*repo_progress_fn)(void *arg,
	    const struct repo_check_counts *);

/*
 * Check state_dir/repository.db against state_dir/documents.  XDS_OK
 * when the check ran to its end (whatever it found: *counts says), else
 * an enum xds_status with err filled (no index, an unreadable store, a
 * database error).
 */
int	repo_check(const char *state_dir, repo_check_fn fn,
	    repo_progress_fn progress, void *arg,
	    struct repo_check_counts *counts, char *err, size_t errlen);

/* "missing", "damaged", "unreadable", "orphan". */
const char *repo_problem_name(enum repo_problem);

/*
 * Look-ups in repository.db, read-only, one statement each (its own read
 * transaction): for holding the registry's entries against the index.
 */
struct repo_index;
int	repo_index_open(const char *state_dir, struct repo_index **out,
	    char *err, size_t errlen);
void	repo_index_close(struct repo_index *);	/* NULL is a no-op */
/*
 * The row of uniqueId uid: XDS_OK with its SHA-1 (hex, 41 bytes with the
 * NUL), size and whether it is committed (else pending: a submission
 * between its blob and its registration); XDS_ENOTFOUND; XDS_EIO.
 */
int	repo_index_get(struct repo_index *, const char *uid, char *sha1,
	    long long *size, int *committed, char *err, size_t errlen);

#endif
