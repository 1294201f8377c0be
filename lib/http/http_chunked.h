/*
 * http_chunked.h: pure incremental decoder for the chunked transfer
 * coding (RFC 9112 section 7.1).  No I/O, no allocation.
 *
 * chunk-size is hex with an overflow check (at most 15 significant
 * digits, i.e. < 2^60); chunk extensions are skipped but bounded
 * (HTTP_CHUNKED_MAX_LINE bytes per size line); trailer fields are
 * discarded, bounded by max_trailer bytes in all.  Line ends must be
 * CRLF, as in the head parser.
 */
#ifndef XDS_HTTP_CHUNKED_H
#define XDS_HTTP_CHUNKED_H

#include <stddef.h>

#define HTTP_CHUNKED_MAX_LINE		4096
#define HTTP_CHUNKED_MAX_TRAILER	8192	/* default for max_trailer 0 */

enum http_chunked_rc {
	HTTP_CHUNKED_OK = 0,	/* consumed what it could; call again */
	HTTP_CHUNKED_DONE = 1,	/* last chunk and trailers seen */
	HTTP_CHUNKED_ERR = -1,	/* malformed; c->error says why */
};

struct http_chunked {
	int			 state;
	unsigned long long	 remaining;	/* data bytes left in this chunk */
	size_t			 line;		/* bytes of the current line */
	size_t			 trailer;	/* trailer bytes so far */
	size_t			 max_trailer;
	int			 digits;	/* significant hex digits */
	const char		*error;
};

void	http_chunked_init(struct http_chunked *, size_t max_trailer);

/*
 * Decode in[0..inlen): copies up to outlen data bytes into out.  Sets
 * *used to the input bytes consumed and *outn to the data bytes written.
 * It stops when the input is used up, out is full, or at the end.
 */
int	http_chunked_decode(struct http_chunked *, const char *in, size_t inlen,
	    size_t *used, char *out, size_t outlen, size_t *outn);

#endif
