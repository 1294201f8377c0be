/*
 * fileio.h: durable file I/O.  What a crash must not lose is on disk once
 * these return XDS_OK: a file's bytes (fsync of the file) and its name
 * (fsync of the directory after the rename or mkdir that made it).
 *
 * Each function returns XDS_OK, or XDS_EIO with the failed step in err
 * ("fsync /a/b: Input/output error"), XDS_EINVAL for a path longer than
 * PATH_MAX (or an empty one to fileio_mkdir_p), XDS_ENOMEM.
 */
#ifndef XDS_FILEIO_H
#define XDS_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "status.h"

/* fsync the file at path. */
enum xds_status	fileio_fsync(const char *path, char *err, size_t errlen);

/* fsync the directory at path: the names made in it are durable. */
enum xds_status	fileio_fsync_dir(const char *path, char *err, size_t errlen);

/*
 * mkdir path with mode, one level; when it made the directory, the
 * parent is fsync'd so the new entry survives a crash.  A directory that
 * exists already is XDS_OK.
 */
enum xds_status	fileio_mkdir(const char *path, mode_t mode, char *err,
		    size_t errlen);

/*
 * mkdir -p: every missing directory of path, with mode.  Not synced: for
 * directories that only have to exist (a state directory at start-up).
 */
enum xds_status	fileio_mkdir_p(const char *path, mode_t mode, char *err,
		    size_t errlen);
/*
 * Make dir private to its owner: dir and the directories directly in it
 * 0700 (so nothing below them can be reached by others, whatever its own
 * mode), the regular files directly in it 0600; symbolic links are left
 * alone.  *tightened counts the modes changed.  XDS_OK, or XDS_EIO with
 * the path that could not be read or changed.
 */
enum xds_status	fileio_make_private(const char *dir, int *tightened, char *err,
		    size_t errlen);

/*
 * Group commit of directory fsyncs for fileio_commit: files renamed into
 * the same directory by concurrent threads share one fsync of it.  A
 * rename takes a ticket after it returned; an fsync that starts later
 * covers every ticket taken before it started; each caller returns only
 * once an fsync covering its ticket has returned.  At most 32 directories
 * at a time share fsyncs; a caller past that fsyncs on its own.
 */
struct fileio_dirsync;
enum xds_status	fileio_dirsync_new(struct fileio_dirsync **out, char *err,
		    size_t errlen);
/* NULL is a no-op.  No fileio_commit may be running on ds. */
void		fileio_dirsync_free(struct fileio_dirsync *ds);

/*
 * Give the complete file tmp its name dst, durably: fsync tmp, rename it
 * to dst (same file system), fsync the directory of dst, through ds when
 * not NULL.  On a failure before the rename the file is still at tmp;
 * when only the directory fsync failed it is at dst, maybe not durably.
 * The caller removes what it does not want kept.
 */
enum xds_status	fileio_commit(struct fileio_dirsync *ds, const char *tmp,
		    const char *dst, char *err, size_t errlen);

/* Write all n bytes of p to fd, across short writes and EINTR: XDS_OK,
 * or XDS_EIO with errno set. */
enum xds_status	fileio_write_all(int fd, const void *p, size_t n);

/*
 * Read fd from where it is to its end in pieces of at most bufsz bytes
 * through buf, handing each to fn, which returns XDS_OK to go on.
 * XDS_OK at the end, XDS_EIO ("read: ..." in err), or fn's status.
 */
typedef int (*fileio_chunk_fn)(void *arg, const void *p, size_t n,
		    char *err, size_t errlen);
enum xds_status	fileio_read_each(int fd, void *buf, size_t bufsz,
		    fileio_chunk_fn fn, void *arg, char *err, size_t errlen);

/*
 * The whole file at path, NUL-terminated, into *out (the caller frees
 * it), its length in *len.  XDS_OK; XDS_EIO ("path: ..."), XDS_ETOOBIG
 * past max bytes ("path: larger than max bytes"), XDS_ENOMEM.
 */
enum xds_status	fileio_read_file(const char *path, size_t max, char **out,
		    size_t *len, char *err, size_t errlen);

#endif /* XDS_FILEIO_H */
