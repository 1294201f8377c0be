/*
 * blobstore.h: durable, content-addressed store of document bytes
 * (docs/design.md, Repository).  A blob is named by the SHA-256 of its bytes and lives
 * at <dir>/ab/cd/<sha256>; the same bytes are stored once.
 *
 * Writing is two steps so that the caller can order them with its own
 * database commit:
 *   1. stage: the bytes go to <dir>/tmp/<random> (a hard link of a spool
 *      file in the same filesystem, or a streamed copy) while SHA-256,
 *      SHA-1 and the size are computed; the file is fsync'd;
 *   2. commit: rename into place (or drop the staged copy when the blob
 *      exists), then fsync the directory: durable when it returns.
 * A crash leaves at worst a file in tmp/ or a blob nobody refers to;
 * blobstore_sweep() removes both at start-up.
 *
 * Deleting a blob that another request is about to refer to is a race
 * the store cannot see: callers hold blobstore_lock() for a hash around
 * "commit + reference it" and around "drop the last reference + delete".
 *
 * The interface is by hash only (put/get/exists/delete), so another
 * back-end (S3) can replace this one behind the same functions.
 */
#ifndef XDS_BLOBSTORE_H
#define XDS_BLOBSTORE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "status.h"

/* The functions return enum xds_status: XDS_EIO for a file system error
 * (err says which), XDS_ETOOBIG over the size limit given to stage,
 * XDS_ENOTFOUND for no such blob, XDS_EINVAL for a name that is not
 * SHA-256 hex, XDS_ENOMEM. */

#define BLOB_SHA256_HEX	65	/* 64 hex digits + NUL */
#define BLOB_SHA1_HEX	41
#define BLOB_PATH_MAX	1024

struct blobstore;

struct blob_info {
	char	sha256[BLOB_SHA256_HEX];	/* lower-case hex */
	char	sha1[BLOB_SHA1_HEX];		/* lower-case hex (XDS hash) */
	off_t	size;
};

/* Bytes on their way in: staged, not yet committed. */
struct blob_staged {
	char		tmp[BLOB_PATH_MAX];	/* "" once committed or discarded */
	struct blob_info info;
};

/* Open (creating dir, dir/tmp with mode 0700) the store at dir. */
int	blobstore_open(const char *dir, struct blobstore **out, char *err,
	    size_t errlen);
/* Open an existing store for reading only (get, verify, path): nothing
 * is created; XDS_ENOTFOUND when dir is not there. */
int	blobstore_open_readonly(const char *dir, struct blobstore **out,
	    char *err, size_t errlen);
void	blobstore_close(struct blobstore *);
const char *blobstore_dir(const struct blobstore *);

/*
 * Stage the bytes of the file src (e.g. an MTOM spool file): hashed in one
 * streaming pass; hard-linked into tmp/ when src is on the same file
 * system (no copy), else copied.  max_size (0: none) bounds the bytes.
 * The staged file is fsync'd.  On error nothing is left in tmp/.
 */
int	blobstore_stage_file(struct blobstore *, const char *src,
	    off_t max_size, struct blob_staged *out, char *err, size_t errlen);
/*
 * The same for a file whose size and hashes were computed while it was
 * written (an MTOM spool file: mtom_attachment.size/sha1/sha256), so the
 * bytes are not read again: known is trusted, its size checked against
 * the file.  The copy to another file system hashes afresh.
 */
int	blobstore_stage_hashed(struct blobstore *, const char *src,
	    const struct blob_info *known, off_t max_size,
	    struct blob_staged *out, char *err, size_t errlen);

/* A streaming writer, for bytes produced on the fly (decoded base64). */
struct blob_writer;
int	blobstore_writer_new(struct blobstore *, off_t max_size,
	    struct blob_writer **out, char *err, size_t errlen);
int	blob_writer_write(struct blob_writer *, const void *p, size_t n,
	    char *err, size_t errlen);
/* fsync and close; the writer is freed whatever the result. */
int	blob_writer_finish(struct blob_writer *, struct blob_staged *out,
	    char *err, size_t errlen);
/* Abandon: the temporary file is removed, the writer freed. */
void	blob_writer_abort(struct blob_writer *);

/* Rename the staged file to its content address (dropping it when the
 * blob exists) and fsync the directories: durable on XDS_OK. */
int	blobstore_commit(struct blobstore *, struct blob_staged *, char *err,
	    size_t errlen);
/* Remove a staged file not committed (no-op when already done). */
void	blobstore_discard(struct blobstore *, struct blob_staged *);

/* Convenience: stage_file + commit. */
int	blobstore_put_file(struct blobstore *, const char *src,
	    off_t max_size, struct blob_info *out, char *err, size_t errlen);

/* Path of a blob (whether it exists or not); XDS_EINVAL for a bad name. */
int	blobstore_path(const struct blobstore *, const char *sha256,
	    char *out, size_t outsz);
/* 1 when the blob exists, 0 when not, XDS_EINVAL for a bad name. */
int	blobstore_exists(const struct blobstore *, const char *sha256);
/* Open a blob for streaming: read-only fd and size; XDS_ENOTFOUND. */
int	blobstore_get(const struct blobstore *, const char *sha256, int *fd,
	    off_t *size, char *err, size_t errlen);
/*
 * Check a blob against the size and SHA-256 recorded for it (a
 * document's row): XDS_OK when it holds exactly those bytes,
 * BLOB_DAMAGED when it does not (err says whether the size or the
 * bytes differ; not a failure of the check but its answer),
 * XDS_ENOTFOUND when it is gone, XDS_EIO when it cannot be read.  The
 * size is compared first, so a truncated blob costs no read.
 */
#define BLOB_DAMAGED	1
int	blobstore_verify(const struct blobstore *, const char *sha256,
	    off_t size, char *err, size_t errlen);
/* Unlink a blob and fsync its directory; XDS_ENOTFOUND when absent. */
int	blobstore_delete(struct blobstore *, const char *sha256, char *err,
	    size_t errlen);

/* Serialise "commit + reference" against "unreference + delete" for one
 * hash (striped mutexes; never hold two). */
void	blobstore_lock(struct blobstore *, const char *sha256);
void	blobstore_unlock(struct blobstore *, const char *sha256);

/*
 * Start-up sweep: remove tmp/ files and blobs older than grace seconds
 * for which keep(arg, sha256) returns 0 (1: referenced, keep it; < 0:
 * stop with an error, nothing more removed).  *removed counts them.
 */
typedef int (*blob_keep_fn)(void *arg, const char *sha256);
int	blobstore_sweep(struct blobstore *, time_t grace, blob_keep_fn keep,
	    void *arg, size_t *removed, char *err, size_t errlen);

/* 1 when s is 64 lower-case hex digits. */
int	blobstore_name_ok(const char *s);

#endif
