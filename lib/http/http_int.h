/*
 * http_int.h: internals shared by http_server.c, http_io.c, http_body.c
 * and http_resp.c.  Not for use outside the http module.
 */
#ifndef XDS_HTTP_INT_H
#define XDS_HTTP_INT_H

#include <stddef.h>

#include "http.h"
#include "http_chunked.h"
#include "http_parse.h"

typedef struct ssl_st SSL;

#define HTTP_OBUF_SIZE		16384	/* response write buffer */
#define HTTP_RBUF_EXTRA		16384	/* receive buffer beyond max_head */
#define HTTP_PEER_SUBJECT_MAX	1024

enum http_body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };
enum http_resp_state { RESP_NONE, RESP_STREAMING, RESP_DONE };

struct http_conn {
	struct http_server *srv;
	int		 fd;
	SSL		*ssl;
	int		 stopfd;	/* readable once the server stops */
	int		 io_timeout;	/* seconds */
	long long	 deadline;	/* ms (monotonic) of the current phase */

	char		*rbuf;		/* unconsumed bytes: rbuf[rpos..rlen) */
	size_t		 rcap, rpos, rlen;
	size_t		 rfloor;	/* rbuf[0..rfloor) holds the head the
					   handler is looking at: keep it */
	char		*obuf;
	size_t		 olen;

	struct http_request req;
	struct http_head head;
	struct http_field *fields;
	struct http_header *hdrs;
	char		*pathbuf;
	size_t		 pathcap;
	char		 peer_addr[64];
	char		 peer_subject[HTTP_PEER_SUBJECT_MAX];
	int		 is_head;	/* HEAD request: no response body */

	/* Request body. */
	int		 body_mode;
	unsigned long long body_left;	/* BODY_LENGTH */
	struct http_chunked chunked;	/* BODY_CHUNKED */
	int		 body_started;
	int		 body_done;
	int		 body_err;	/* sticky enum xds_status */
	long long	 body_total;
	long long	 body_limit;	/* -1: none */

	/* Response. */
	int		 resp_state;
	int		 resp_chunked;
	int		 resp_nobody;
	int		 resp_unframed;	/* HTTP/1.0, no length: ends at close */
	unsigned long long resp_left;	/* Content-Length bytes still due */
	int		 close_after;	/* Connection: close in the response */
	int		 last_request;	/* max_requests_per_conn reached */
	int		 broken;	/* I/O failed: no more bytes on it */
};

/* Monotonic clock in milliseconds. */
long long http_now_ms(void);

/* Raw I/O on the connection, bounded by io_timeout and c->deadline.
 * recv: bytes read, 0 on EOF, or enum xds_status.  send_all: 0 or
 * enum xds_status. */
ssize_t	http_io_recv(struct http_conn *, void *, size_t);
int	http_io_send_all(struct http_conn *, const void *, size_t);
/* Buffered output: http_io_out() appends, http_io_flush() sends. */
int	http_io_out(struct http_conn *, const void *, size_t);
int	http_io_flush(struct http_conn *);
/* Wait until fd is readable, the server stops, or deadline_ms.  Returns
 * 1 readable, 0 timeout or stop, or XDS_EIO. */
int	http_io_wait_readable(struct http_conn *, long long deadline_ms);
/* TLS handshake bounded by deadline_ms; 0 or enum xds_status. */
int	http_io_tls_accept(struct http_conn *, long long deadline_ms);
/* Orderly close (TLS close_notify, best effort) and release fd/SSL.
 * With linger, half-close and discard what the peer still sends (at most
 * HTTP_LINGER_MS and HTTP_LINGER_BYTES), so that a response is not lost
 * to a TCP reset caused by unread request bytes (RFC 9112 section 9.6). */
void	http_io_close(struct http_conn *, int linger);

#define HTTP_LINGER_MS		1000
#define HTTP_LINGER_BYTES	(256 * 1024)

/* 1 once the server is stopping (responses then say Connection: close). */
int	http_server_stopping(const struct http_server *);
size_t	http_server_waiting(const struct http_server *);

/* Response the server writes itself (errors): always closes. */
int	http_resp_error(struct http_conn *, int status, const char *extra);

#endif
