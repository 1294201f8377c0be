/*
 * http.h: the HTTP/1.1 server (transport layer; knows nothing of IHE).
 *
 * One event-loop thread (epoll) parks connections cheaply: it accepts,
 * applies the connection limits (total and per peer address), does the
 * TLS handshake (mutual, see tls.h) without blocking, waits on idle
 * keep-alive connections and reads request heads and the start of their
 * bodies.  Only a complete head, with its body as far as a read buffer
 * holds it, goes to the bounded queue of a fixed pool of blocking worker
 * threads (docs/design.md, Transport).  For every request the handler is called
 * with the parsed head; it reads the body as a stream and writes one
 * response; then the connection goes back to the loop.  Errors in the
 * head are answered by the server itself (400, 408, 413, 414, 431, 501,
 * 505); a full queue is answered 503; a request body slower than
 * min_body_rate, or stalled for io_timeout, fails with 408.
 */
#ifndef XDS_HTTP_H
#define XDS_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include "status.h"

typedef struct ssl_ctx_st SSL_CTX;

struct http_conn;
struct http_server;

struct http_header {
	const char *name;		/* NUL-terminated, as received */
	const char *value;		/* NUL-terminated, OWS trimmed */
};

struct http_request {
	const char	*method;	/* "GET", "POST", ... */
	const char	*target;	/* request-target as received */
	const char	*path;		/* target up to '?', NUL-terminated */
	const char	*query;		/* after '?', or "" */
	int		 version_minor;	/* HTTP/1.x */
	const struct http_header *headers;
	size_t		 nheaders;
	long long	 content_length;	/* -1 when absent */
	int		 chunked;
	int		 expect_continue;
	int		 keep_alive;	/* client wants the connection kept */
	int		 tls;		/* arrived over TLS */
	const char	*peer_subject;	/* client certificate subject (RFC 2253) or "" */
	const char	*peer_name;	/* its subjectAltName otherName of type
					   http_opts.peer_name_oid, or "" */
	const char	*peer_addr;	/* client IP address as text */
};

/* Case-insensitive header lookup; NULL when absent. */
const char *http_header(const struct http_request *, const char *name);

/*
 * Handler: called by a worker for each request.  It must answer with
 * http_respond() or http_respond_begin()/write()/end() exactly once.
 * If it does not read the whole body, the server closes the connection
 * after the response rather than reading the rest.
 */
typedef void (*http_handler_fn)(struct http_conn *, const struct http_request *,
    void *arg);

/* Body limit for this request (default: none).  Reads past it fail with
 * XDS_ETOOBIG and the server closes the connection after the response. */
void	http_set_body_limit(struct http_conn *, long long max);

/*
 * Functions that can fail return enum xds_status (status.h): XDS_EIO for a
 * socket or TLS error or a peer gone, XDS_ETIMEOUT when a deadline passed
 * or the body came slower than min_body_rate (a slow client),
 * XDS_ETOOBIG for a body past its limit, XDS_EFORMAT for malformed
 * chunked encoding, XDS_EINVAL for a response the handler got wrong (a
 * second one, more or fewer bytes than announced).
 */

/* Read up to len body bytes (dechunked).  Returns bytes read, 0 at the
 * end of the body, or an enum xds_status.  Sends "100 Continue" before
 * the first read when the client asked for it. */
ssize_t	http_body_read(struct http_conn *, void *buf, size_t len);

/*
 * The status a handler answers after http_body_read failed: 400 for bad
 * framing, 408 for a slow or stalled body, 413 for one past its limit; 0
 * when the body did not fail or nothing can be answered any more (the
 * peer is gone, or the response has begun).
 */
int	http_body_status(const struct http_conn *);

/* Whole response with Content-Length. */
int	http_respond(struct http_conn *, int status, const char *content_type,
	    const void *body, size_t len);
/* Streaming response: content_length < 0 means chunked.  extra_headers is
 * NULL or CRLF-terminated header lines. */
int	http_respond_begin(struct http_conn *, int status,
	    const char *content_type, long long content_length,
	    const char *extra_headers);
int	http_respond_write(struct http_conn *, const void *, size_t);
int	http_respond_end(struct http_conn *);
/* Ask the server to close the connection after this response. */
void	http_close_after(struct http_conn *);
const char *http_reason(int status);	/* "Bad Request", ... */

struct http_server_opts {
	const char	*host;		/* address to bind, e.g. "127.0.0.1" or "::" */
	int		 port;		/* 0: pick a free port (see http_server_port) */
	int		 workers;
	int		 queue;		/* complete heads waiting before 503 */
	size_t		 max_head;	/* bytes of request line + headers */
	int		 max_headers;
	int		 header_timeout;	/* seconds for a complete head */
	int		 io_timeout;	/* seconds without progress */
	int		 request_deadline;	/* seconds per request */
	int		 keepalive_timeout;
	int		 max_requests_per_conn;
	int		 max_connections;	/* open at once, all peers */
	int		 max_connections_per_peer;	/* IPv6: per /64 */
	int		 min_body_rate;	/* bytes/s; -1: no minimum */
	int		 body_rate_window_ms;	/* grace and window of the rate */
	SSL_CTX		*tls;		/* NULL: plain HTTP (the server
					   takes its own reference) */
	/* A subjectAltName otherName type (dotted OID) whose string the
	 * request carries as peer_name (tls_peer_othername); NULL: none */
	const char	*peer_name_oid;
	/*
	 * Called (may be NULL) when the server refuses a request whose head
	 * it has (partly) read: answered by the server itself because the
	 * head is unusable (400, 408, 413, 414, 431, 501, 505) or because
	 * the queue is full (503), so the request can still be audited.
	 * reason is a short text (http_refuse_text).  Called from a worker
	 * before the answer is sent, or for refusals the event loop answers
	 * (a head timeout, a full queue) from a reporter thread after it.
	 * Refusals without a request (limits, TLS handshakes) are only
	 * counted (struct http_server_stats) and logged, rate-limited.
	 */
	void		(*on_refuse)(void *arg, const char *peer_addr,
			    const char *peer_subject, int status,
			    const char *reason);
};

/* Why the server refused or cut off a connection or request. */
enum http_refuse {
	HTTP_REFUSE_PEER_LIMIT,		/* max_connections_per_peer */
	HTTP_REFUSE_TOTAL_LIMIT,	/* max_connections */
	HTTP_REFUSE_QUEUE_FULL,		/* complete head, no worker: 503 */
	HTTP_REFUSE_TLS_FAILED,		/* handshake failed */
	HTTP_REFUSE_TLS_TIMEOUT,	/* handshake not done in time */
	HTTP_REFUSE_HEAD_TIMEOUT,	/* head not complete in time */
	HTTP_REFUSE_BAD_HEAD,		/* 400, 413, 414, 431, 501, 505 */
	HTTP_REFUSE_SLOW_BODY,		/* below min_body_rate: 408 */
	HTTP_REFUSE_BODY_TIMEOUT,	/* io_timeout or deadline in the body */
	HTTP_REFUSE_BAD_BODY,		/* malformed chunked framing: 400 */
	HTTP_REFUSE_NREASONS
};
/* "peer_limit", ... (a metrics label), and a short text for a log. */
const char *http_refuse_name(int reason);
const char *http_refuse_text(int reason);

struct http_server *http_server_new(const struct http_server_opts *,
	    http_handler_fn, void *arg, char *err, size_t errlen);
int	http_server_port(const struct http_server *);	/* bound port */
/*
 * What the server is doing, for metrics and for tests that wait for an
 * event instead of sleeping: complete heads waiting for a worker,
 * requests workers have taken since the start, connections open and
 * parked in the event loop, refusals by reason, and refusals whose
 * on_refuse report was dropped because the reporter fell behind.
 */
struct http_server_stats {
	size_t			waiting;
	unsigned long long	taken;
	size_t			open;
	size_t			parked;
	unsigned long long	refused[HTTP_REFUSE_NREASONS];
	unsigned long long	unreported;
};
void	http_server_stats(const struct http_server *,
	    struct http_server_stats *);
/*
 * The TLS context for handshakes from now on (a reload of certificate,
 * key, CA or CRLs): the server takes ctx and drops its reference to the
 * one before; connections that began with it keep it until they close.
 * Any thread.  XDS_OK, or XDS_EINVAL for a plain server or no ctx.
 */
int	http_server_set_tls(struct http_server *, SSL_CTX *ctx);
/* Serve until http_server_stop(); returns 0 after a graceful stop. */
int	http_server_run(struct http_server *);
/* Async-signal-safe: stop accepting, let workers finish current requests. */
void	http_server_stop(struct http_server *);
void	http_server_free(struct http_server *);

#endif
