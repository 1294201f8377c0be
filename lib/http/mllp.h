/*
 * mllp.h: the Minimal Lower Layer Protocol (HL7 v2 transport: each
 * message framed as 0x0B message 0x1C 0x0D) on a TCP listener, with
 * mutual TLS when given a context (tls.h).  Transport: it knows frames,
 * not HL7; the handler gets each message's bytes and gives the answer's,
 * which is sent framed once the handler returns.
 *
 * Bounds: a message longer than the limit is read to its end without
 * being kept (at most MLLP_DISCARD_FACTOR times the limit; then the
 * connection is closed) and handed to the handler as too big, with the
 * first bytes kept; bytes outside a frame other than CR and LF close the
 * connection; so do max_conns connections at once past the first ones
 * and a connection idle for idle_timeout seconds.
 */
#ifndef XDS_MLLP_H
#define XDS_MLLP_H

#include <stddef.h>

#include "status.h"

struct buf;
typedef struct ssl_ctx_st SSL_CTX;

#define MLLP_SB			0x0b
#define MLLP_EB			0x1c
#define MLLP_CR			0x0d
#define MLLP_DISCARD_FACTOR	16

/* ---- framing (pure) ---- */

enum mllp_event {
	MLLP_MORE = 0,		/* nothing whole yet */
	MLLP_FRAME,		/* a message: mllp_reader.buf, .len */
	MLLP_TOOBIG,		/* a message over the limit: its first
				   .len bytes */
	MLLP_BAD,		/* not MLLP: close the connection */
};

struct mllp_reader {
	char	*buf;		/* max bytes */
	size_t	 len, max;
	size_t	 seen;		/* bytes of the frame, kept or
				   not */
	int	 state;
};

/* A reader for messages of at most max bytes (buf allocated). */
int	mllp_reader_init(struct mllp_reader *, size_t max);
void	mllp_reader_free(struct mllp_reader *);
/*
 * Take bytes from p[0..n): *used how many were taken; the event when one
 * is complete (the reader then holds that message until the next call).
 */
enum mllp_event mllp_reader_push(struct mllp_reader *, const char *p,
	    size_t n, size_t *used);

/* ---- the listener ---- */

struct mllp_peer {
	char	addr[64];		/* IP address */
	char	subject[256];		/* verified certificate
					   subject, or "" */
};

/* The handler: msg (len bytes; toobig: only its first ones) into the
 * answer out.  0, or -1 to close the connection unanswered. */
typedef int (*mllp_fn)(void *arg, const struct mllp_peer *,
    const char *msg, size_t len, int toobig, struct buf *out);

struct mllp_opts {
	const char	*host;
	int		 port;		/* 0: any */
	SSL_CTX		*tls;		/* NULL: plain TCP; the server
					   takes a reference of its own */
	size_t		 max_message;
	int		 max_conns;
	int		 idle_timeout;	/* seconds */
	mllp_fn		 fn;
	void		*arg;
};

struct mllp_server;

int	mllp_start(const struct mllp_opts *, struct mllp_server **,
	    char *err, size_t errlen);
/* The port bound. */
int	mllp_port(const struct mllp_server *);
/*
 * The TLS context for handshakes from now on (a reload of certificate,
 * key, CA and CRLs); connections open keep theirs.  Takes ctx (the
 * caller's reference), also when it fails: XDS_EINVAL for a plain
 * listener.
 */
int	mllp_set_tls(struct mllp_server *, SSL_CTX *ctx);
/* Stop accepting, close the connections (a message being handled is
 * answered first, for a few seconds at most), wait for their threads and
 * free. */
void	mllp_stop(struct mllp_server *);

#endif
