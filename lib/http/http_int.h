/*
 * http_int.h: internals shared by http_server.c, http_loop.c, http_io.c,
 * http_body.c and http_resp.c.  Not for use outside the http module.
 */
#ifndef XDS_HTTP_INT_H
#define XDS_HTTP_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "http.h"
#include "http_chunked.h"
#include "http_parse.h"

typedef struct ssl_st SSL;

#define HTTP_OBUF_SIZE		16384	/* response write buffer */
#define HTTP_RBUF_EXTRA		16384	/* receive buffer beyond max_head */
#define HTTP_PEER_SUBJECT_MAX	1024
#define HTTP_PEER_NAME_MAX	160	/* the otherName string (http.h) */

/* The answer to a connection or request refused for want of room. */
#define HTTP_BUSY_RESPONSE \
    "HTTP/1.1 503 Service Unavailable\r\n" \
    "Retry-After: 5\r\n" \
    "Content-Type: text/plain\r\n" \
    "Content-Length: 24\r\n" \
    "Connection: close\r\n" \
    "\r\n" \
    "503 Service Unavailable\n"

#define HTTP_REPORT_RING	64	/* on_refuse reports not yet made */
#define HTTP_RATE_WINDOW_MS	5000	/* body rate: grace, then windows */

enum http_body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };
enum http_resp_state { RESP_NONE, RESP_STREAMING, RESP_DONE };
/* Where a connection is: the loop's lists, the queue, or a worker. */
enum http_conn_state { CONN_HANDSHAKE, CONN_HEAD, CONN_IDLE, CONN_QUEUED,
	CONN_BUSY };

struct http_peer;

struct http_conn {
	struct http_server *srv;
	int		 fd;
	SSL		*ssl;
	int		 io_timeout;	/* seconds */
	long long	 deadline;	/* ms (monotonic) of the current phase */

	/* Event loop.  tq links the conn into one list at a time: a timer
	 * FIFO of the loop, the worker queue or the hand-back list. */
	TAILQ_ENTRY(http_conn) tq;
	int		 state;		/* enum http_conn_state */
	long long	 expire;	/* ms: its timer FIFO drops it */
	long long	 t_accept;	/* ms */
	struct http_peer *peer;
	unsigned	 epoll_events;	/* registered; 0: not in epoll */
	int		 nreq;		/* requests served on it */

	char		*rbuf;		/* unconsumed bytes: rbuf[rpos..rlen);
					   NULL while idle with none */
	size_t		 rcap, rpos, rlen;
	size_t		 rfloor;	/* rbuf[0..rfloor) holds the head the
					   handler is looking at: keep it */
	size_t		 scanned;	/* loop: rbuf[0..scanned) searched for
					   the end of the head, or once it is
					   complete, dechunked (c->chunked) */
	size_t		 hlen;		/* loop: the head's length once it is
					   complete, 0 before */
	long long	 body_need;	/* loop: body bytes to buffer before a
					   worker takes it; -1 chunked: to the
					   last chunk */
	char		*obuf;		/* a worker's, while it serves */
	size_t		 olen;

	struct http_request req;
	struct http_head head;
	struct http_field *fields;	/* a worker's, while it serves */
	struct http_header *hdrs;	/* a worker's, while it serves */
	char		*pathbuf;	/* a worker's, while it serves */
	size_t		 pathcap;
	char		 peer_addr[64];
	char		 peer_subject[HTTP_PEER_SUBJECT_MAX];
	char		 peer_name[HTTP_PEER_NAME_MAX];
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
	long long	 rate_wait;	/* ms waited for body bytes in window */
	long long	 rate_bytes;	/* bytes received in the window */
	int		 rate_graced;	/* the first window (grace) is over */
	int		 body_slow;	/* failed below min_body_rate */

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

TAILQ_HEAD(http_connq, http_conn);

/* A refusal for on_refuse, made by the reporter thread. */
struct http_report {
	char		 peer_addr[64];
	char		 peer_subject[HTTP_PEER_SUBJECT_MAX];
	int		 status;
	int		 reason;
};

struct http_server {
	struct http_server_opts	 o;
	http_handler_fn		 fn;
	void			*arg;
	int			 lfd;
	int			 port;
	int			 stop_pipe[2];	/* [0] readable once stopped */
	int			 wake_pipe[2];	/* [0] readable: hand-backs */
	int			 epfd;

	/* The context of new handshakes (NULL: plain), under tls_mu: a
	 * reload swaps it while connections keep the one they began with
	 * (each SSL holds a reference to its context). */
	pthread_mutex_t		 tls_mu;
	SSL_CTX			*tls;

	/* Shared with the workers, under mu. */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct http_connq	 queue;		/* complete heads */
	size_t			 qlen;
	size_t			 nidle;		/* workers waiting for work */
	struct http_connq	 back;		/* handed back to the loop */
	int			 back_woken;	/* a byte is in wake_pipe */
	pthread_t		*threads;
	int			 nthreads;

	/* Event loop only. */
	struct http_connq	 heads;		/* FIFO by expire: header_timeout */
	struct http_connq	 idles;		/* FIFO by expire: keepalive */
	struct http_peer	**peers;	/* hash of open connections */
	size_t			 npeers;	/* buckets */
	size_t			 nconns;
	struct http_field	*lfields;	/* scratch for early parsing */
	char			*lscratch;	/* scratch for dechunking */
	long long		 log_at[HTTP_REFUSE_NREASONS];
	unsigned long long	 log_count[HTTP_REFUSE_NREASONS];

	/* Reporter thread: on_refuse for refusals the loop answered. */
	pthread_mutex_t		 rmu;
	pthread_cond_t		 rcv;
	struct http_report	*ring;
	size_t			 rhead, rlen;
	int			 rstop;
	pthread_t		 reporter;
	int			 reporter_ok;

	/* Statistics, read without locks. */
	atomic_size_t		 waiting;	/* = qlen */
	atomic_ullong		 taken;
	atomic_size_t		 open;
	atomic_size_t		 parked;
	atomic_ullong		 refused[HTTP_REFUSE_NREASONS];
	atomic_ullong		 unreported;
	atomic_int		 stopping;
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
/* Without waiting (event loop): bytes read, 0 on EOF, HTTP_IO_AGAIN
 * with *want set to EPOLLIN or EPOLLOUT, or XDS_EIO. */
#define HTTP_IO_AGAIN	1000
ssize_t	http_io_recv_nb(struct http_conn *, void *, size_t, unsigned *want);
/* One step of the TLS handshake without waiting: 0 done, HTTP_IO_AGAIN
 * with *want, or XDS_EIO. */
int	http_io_tls_step(struct http_conn *, unsigned *want);
/* A short fixed answer without waiting, best effort (event loop). */
void	http_io_send_nb(struct http_conn *, const char *, size_t);
/* Orderly close (TLS close_notify, best effort) and release fd/SSL.
 * With linger, half-close and discard what the peer still sends (at most
 * HTTP_LINGER_MS and HTTP_LINGER_BYTES), so that a response is not lost
 * to a TCP reset caused by unread request bytes (RFC 9112 section 9.6). */
void	http_io_close(struct http_conn *, int linger);

#define HTTP_LINGER_MS		1000
#define HTTP_LINGER_BYTES	(256 * 1024)

/* 1 once the server is stopping (responses then say Connection: close). */
int	http_server_stopping(const struct http_server *);
/* A TCP listener on host:port (0: any), non-blocking, close-on-exec:
 * its fd and the port bound.  0, or -1 with err ("what: ..."). */
int	http_tcp_listen(const char *what, const char *host, int port,
	    int *fd, int *bound, char *err, size_t errlen);

/* Response the server writes itself (errors): always closes. */
int	http_resp_error(struct http_conn *, int status, const char *extra);

/* Count a refusal (any thread). */
void	http_refused(struct http_server *, int reason);

/* http_loop.c: the event loop, run by http_server_run's thread. */
int	http_loop_init(struct http_server *, char *err, size_t errlen);
int	http_loop_run(struct http_server *);
void	http_loop_free(struct http_server *);
/* A worker gives a connection back to the loop: to park it again, or
 * closed (fd -1) to be counted off its peer and freed. */
void	http_loop_hand_back(struct http_server *, struct http_conn *);
/* Connection objects (http_server.c). */
struct http_conn *http_conn_new(struct http_server *);
void	http_conn_free(struct http_conn *);
/* The worker queue (http_server.c): 0 queued, -1 full. */
int	http_queue_push(struct http_server *, struct http_conn *);

#endif
