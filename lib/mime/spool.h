/*
 * spool.h: a received byte stream written to a private temporary file
 * while its size, SHA-1 (the XDS hash) and SHA-256 (the blob store's
 * name) are computed, so nobody reads the file again to hash it.  Past
 * the first 1 MiB the digests and the file writes run on helper threads
 * over a bounded ring of buffers, in parallel with the receiving
 * thread's socket reads; the memory held is fixed (at most 4 MiB per open
 * spool) whatever the size.  The file is written with O_DIRECT where the
 * file system allows it, else its write-back is started as it grows
 * (sync_file_range), so the consumer's fsync finds little left to do.
 *
 * Also here: the streaming base64 decoder (RFC 2045 6.8, whitespace
 * ignored) used for base64 MIME parts and inline base64 documents.
 */
#ifndef XDS_SPOOL_H
#define XDS_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "status.h"

/* The functions return enum xds_status: XDS_EIO when the file cannot be
 * created, written or closed, XDS_ETOOBIG over max_size, XDS_EFORMAT for
 * bad base64, XDS_ENOMEM. */

#define SPOOL_TEMPLATE	"xds-spool-XXXXXX"

/* The finished file: the caller owns (and eventually unlinks) path. */
struct spool_result {
	char	path[1024];
	off_t	size;
	char	sha1[41];		/* lower-case hex */
	char	sha256[65];		/* lower-case hex */
};

struct spool;

/* Create dir/SPOOL_TEMPLATE, mode 0600.  max_size > 0 bounds the bytes
 * (XDS_ETOOBIG past it, the file removed). */
int	spool_open(struct spool **out, const char *dir, off_t max_size,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Append bytes (any chunk size).  After an error every later call fails
 * the same way; the file stays until spool_abort. */
int	spool_write(struct spool *, const void *p, size_t n, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/* Bytes accepted so far. */
off_t	spool_size(const struct spool *);
/* Write what is buffered, close the file (no fsync: the consumer decides
 * on durability), finish the digests, fill *out; the spool is freed
 * whatever the result and on error the file is removed. */
int	spool_finish(struct spool *, struct spool_result *out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/* Remove the file and free (NULL is a no-op). */
void	spool_abort(struct spool *);

/* Streaming base64 decoder.  Zero-initialise, feed, then final. */
struct b64dec {
	unsigned long	 acc;
	int		 nq;		/* characters in the current quantum */
	int		 pad;		/* '=' seen in it */
	int		 done;		/* a padded quantum ended the data */
};
/* Decoded bytes go to out(arg, bytes, n) in chunks; a nonzero return
 * from out stops with that value.  Bad input: XDS_EFORMAT with err. */
typedef int (*b64_out_fn)(void *arg, const unsigned char *p, size_t n);
int	b64dec_feed(struct b64dec *, const char *in, size_t n,
	    b64_out_fn out, void *arg, char *err, size_t errlen);
/* End of the data: an unpadded last quantum is tolerated. */
int	b64dec_final(struct b64dec *, b64_out_fn out, void *arg, char *err,
	    size_t errlen);

#endif
