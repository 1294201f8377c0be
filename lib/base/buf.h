/*
 * buf.h: growable byte buffer with a hard cap (after curl's dynbuf).
 * Every buffer states its maximum at init; growing past it fails with
 * XDS_ETOOBIG so callers can tell it from XDS_ENOMEM (413,
 * XDSTooManyResults, ...).  The adding functions return XDS_OK or one
 * of those two (status.h).
 */
#ifndef XDS_BUF_H
#define XDS_BUF_H

#include <stddef.h>

#include "status.h"

struct buf {
	char	*b_data;	/* always NUL-terminated when b_len > 0 */
	size_t	 b_len;
	size_t	 b_cap;		/* allocated */
	size_t	 b_max;		/* hard limit on b_len */
};

void	buf_init(struct buf *, size_t max);
void	buf_free(struct buf *);		/* back to the initial state */
void	buf_reset(struct buf *);	/* length 0, keeps memory */
int	buf_add(struct buf *, const void *, size_t)
	    __attribute__((warn_unused_result));
int	buf_adds(struct buf *, const char *)
	    __attribute__((warn_unused_result));
int	buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3), warn_unused_result));
/* Append s with XML escaping of & < > " ' (for text and attributes). */
int	buf_add_xml(struct buf *, const char *s)
	    __attribute__((warn_unused_result));
/* Take the data out; the caller frees it and the buffer is reset. */
char	*buf_take(struct buf *, size_t *len);
const char *buf_str(const struct buf *);	/* "" when empty */

#endif
