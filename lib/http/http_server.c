/*
 * http_server.c: the server's life (new, run, stop, free), the worker
 * queue, the worker pool and the request loop of a worker
 * (docs/design.md, Transport).
 *
 * http_server_run() runs the event loop (http_loop.c) in the calling
 * thread: it accepts, parks idle connections and reads request heads (and
 * small bodies).  A complete request goes to a bounded queue of
 * connections; when it is full
 * the loop answers 503 with Retry-After.  A worker takes a connection,
 * serves the request, and then serves the next one at once if its head
 * is already buffered (pipelining) and no other connection is waiting;
 * otherwise it hands the connection back to the loop, or closes it
 * (Connection: close, max_requests_per_conn, an error, a stop).  A
 * worker's big buffers (the head's fields, the output buffer) are its
 * own and lent to the connection it serves.
 *
 * Timeouts: the head must be complete within header_timeout seconds (from
 * accept for the first request, TLS handshake included, from its first
 * byte afterwards); slow heads get 408 and a close.  Idle keep-alive
 * connections are closed after keepalive_timeout.  Every read and write
 * of a worker makes progress within io_timeout; a request (head, body and
 * response) ends within request_deadline; a body must come at
 * min_body_rate at least (http_body.c).  SIGPIPE is blocked in the
 * server's threads and plain sockets use MSG_NOSIGNAL, so a vanished peer
 * is an EPIPE, never a signal.
 *
 * Options left 0 take the xdsd.conf defaults: workers 16, queue 64,
 * max_head 16384, max_headers 64, header_timeout 10, io_timeout 30,
 * request_deadline 600, keepalive_timeout 15, max_requests_per_conn 1000,
 * max_connections 1024, max_connections_per_peer 128, min_body_rate 1024
 * (-1: none), body_rate_window_ms 5000; host NULL means 127.0.0.1.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http_int.h"
#include "log.h"
#include "str.h"
#include "tls.h"

/* A worker's buffers, lent to the connection it serves. */
struct worker {
	struct http_field	*fields;
	struct http_header	*hdrs;
	char			*pathbuf;
	char			*obuf;
};

static const struct {
	const char	*name;
	const char	*text;
} refusals[HTTP_REFUSE_NREASONS] = {
	[HTTP_REFUSE_PEER_LIMIT] = { "peer_limit",
	    "over the connection limit of its address" },
	[HTTP_REFUSE_TOTAL_LIMIT] = { "total_limit",
	    "over the connection limit" },
	[HTTP_REFUSE_QUEUE_FULL] = { "queue_full", "no worker free" },
	[HTTP_REFUSE_TLS_FAILED] = { "tls_failed", "TLS handshake failed" },
	[HTTP_REFUSE_TLS_TIMEOUT] = { "tls_timeout",
	    "TLS handshake not done in time" },
	[HTTP_REFUSE_HEAD_TIMEOUT] = { "head_timeout",
	    "request head not complete in time" },
	[HTTP_REFUSE_BAD_HEAD] = { "bad_head", "unusable request head" },
	[HTTP_REFUSE_SLOW_BODY] = { "slow_body",
	    "request body below the minimum rate" },
	[HTTP_REFUSE_BODY_TIMEOUT] = { "body_timeout",
	    "request body not complete in time" },
	[HTTP_REFUSE_BAD_BODY] = { "bad_body",
	    "malformed request body framing" },
};

const char *
http_refuse_name(int reason)
{
	if (reason < 0 || reason >= HTTP_REFUSE_NREASONS)
		return "unknown";
	return refusals[reason].name;
}

const char *
http_refuse_text(int reason)
{
	if (reason < 0 || reason >= HTTP_REFUSE_NREASONS)
		return "refused";
	return refusals[reason].text;
}

void
http_refused(struct http_server *s, int reason)
{
	if (reason >= 0 && reason < HTTP_REFUSE_NREASONS)
		atomic_fetch_add(&s->refused[reason], 1);
}

static int
opt_default(int v, int def)
{
	return v == 0 ? def : v;
}

static int
set_nonblock_cloexec(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

int
http_tcp_listen(const char *what, const char *host, int port, int *fdp,
    int *bound, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char portstr[16];
	int fd = -1, one = 1, gai;

	if (errlen > 0)
		err[0] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	str_fmt(portstr, sizeof portstr, "%d", port);
	if ((gai = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		str_fmt(err, errlen, "%s: %s: %s", what, host,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof one) == 0 && bind(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0 && listen(fd, 128) == 0 &&
		    set_nonblock_cloexec(fd) == 0)
			break;
		str_fmt(err, errlen, "%s: bind %s port %d: %s", what, host,
		    port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		if (ai == NULL && err[0] == '\0')
			str_fmt(err, errlen, "%s: no address for %s", what,
			    host);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		str_fmt(err, errlen, "%s: getsockname: %s", what,
		    strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*fdp = fd;
	return 0;
}

static int
server_listen(struct http_server *s, char *err, size_t errlen)
{
	return http_tcp_listen("http", s->o.host, s->o.port, &s->lfd,
	    &s->port, err, errlen);
}

struct http_server *
http_server_new(const struct http_server_opts *opts, http_handler_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct http_server *s = NULL;
	struct http_server_opts *o;
	int mu_ok = 0, cv_ok = 0, tls_ok = 0, loop = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (opts == NULL || fn == NULL) {
		str_fmt(err, errlen, "http: no options or handler");
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL) {
		str_fmt(err, errlen, "http: out of memory");
		return NULL;
	}
	s->lfd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
	s->epfd = s->wake_pipe[0] = s->wake_pipe[1] = -1;
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->back);
	s->fn = fn;
	s->arg = arg;
	o = &s->o;
	*o = *opts;
	o->host = o->host != NULL && *o->host != '\0' ? o->host : "127.0.0.1";
	o->workers = opt_default(o->workers, 16);
	o->queue = opt_default(o->queue, 64);
	o->max_head = o->max_head == 0 ? 16384 : o->max_head;
	o->max_headers = opt_default(o->max_headers, 64);
	o->header_timeout = opt_default(o->header_timeout, 10);
	o->io_timeout = opt_default(o->io_timeout, 30);
	o->request_deadline = opt_default(o->request_deadline, 600);
	o->keepalive_timeout = opt_default(o->keepalive_timeout, 15);
	o->max_requests_per_conn = opt_default(o->max_requests_per_conn, 1000);
	o->max_connections = opt_default(o->max_connections, 1024);
	o->max_connections_per_peer = opt_default(o->max_connections_per_peer,
	    128);
	o->min_body_rate = opt_default(o->min_body_rate, 1024);
	o->body_rate_window_ms = opt_default(o->body_rate_window_ms,
	    HTTP_RATE_WINDOW_MS);
	if (o->port < 0 || o->port > 65535 || o->workers < 1 ||
	    o->workers > 4096 || o->queue < 1 || o->queue > 1 << 20 ||
	    o->max_head < 256 || o->max_head > 1 << 24 ||
	    o->max_headers < 1 || o->max_headers > 4096 ||
	    o->header_timeout < 1 || o->io_timeout < 1 ||
	    o->request_deadline < 1 || o->keepalive_timeout < 1 ||
	    o->max_requests_per_conn < 1 || o->max_connections < 1 ||
	    o->max_connections > 1 << 20 || o->max_connections_per_peer < 1 ||
	    o->min_body_rate < -1 || o->body_rate_window_ms < 1) {
		str_fmt(err, errlen, "http: option out of range");
		goto fail;
	}
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		goto fail_errno;
	mu_ok = 1;
	if (pthread_cond_init(&s->cv, NULL) != 0)
		goto fail_errno;
	cv_ok = 1;
	if (pthread_mutex_init(&s->tls_mu, NULL) != 0)
		goto fail_errno;
	tls_ok = 1;
	if (o->tls != NULL && SSL_CTX_up_ref(o->tls) == 1)
		s->tls = o->tls;
	else if (o->tls != NULL) {
		str_fmt(err, errlen, "http: TLS context unusable");
		goto fail;
	}
	if (pipe(s->stop_pipe) == -1 ||
	    set_nonblock_cloexec(s->stop_pipe[0]) == -1 ||
	    set_nonblock_cloexec(s->stop_pipe[1]) == -1)
		goto fail_errno;
	if (server_listen(s, err, errlen) == -1)
		goto fail;
	loop = 1;
	if (http_loop_init(s, err, errlen) == -1)
		goto fail;
	atomic_init(&s->stopping, 0);
	return s;
fail_errno:
	str_fmt(err, errlen, "http: %s", strerror(errno));
fail:
	if (loop)
		http_loop_free(s);
	if (cv_ok)
		pthread_cond_destroy(&s->cv);
	if (mu_ok)
		pthread_mutex_destroy(&s->mu);
	if (tls_ok)
		pthread_mutex_destroy(&s->tls_mu);
	SSL_CTX_free(s->tls);
	if (s->lfd != -1)
		close(s->lfd);
	if (s->stop_pipe[0] != -1)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] != -1)
		close(s->stop_pipe[1]);
	free(s);
	return NULL;
}

int
http_server_port(const struct http_server *s)
{
	return s->port;
}

int
http_server_stopping(const struct http_server *s)
{
	return atomic_load(&((struct http_server *)s)->stopping);
}

void
http_server_stats(const struct http_server *s, struct http_server_stats *st)
{
	struct http_server *m = (struct http_server *)s;
	int i;

	st->waiting = atomic_load(&m->waiting);
	st->taken = atomic_load(&m->taken);
	st->open = atomic_load(&m->open);
	st->parked = atomic_load(&m->parked);
	for (i = 0; i < HTTP_REFUSE_NREASONS; i++)
		st->refused[i] = atomic_load(&m->refused[i]);
	st->unreported = atomic_load(&m->unreported);
}

void
http_server_stop(struct http_server *s)
{
	int saved = errno;

	/*
	 * Stop listening first: a listening socket shut down refuses new
	 * connections at once (Linux), before the loop, woken by the
	 * pipe, closes its idle peers; so no client sees its connection
	 * closed and then a new one accepted.  The descriptor stays open
	 * until http_server_free, so it is never another socket's here.
	 * shutdown(2) and write(2) are async-signal-safe; the pipe end is
	 * non-blocking.
	 */
	if (s->lfd != -1)
		(void)shutdown(s->lfd, SHUT_RDWR);
	/* From now on every response says Connection: close (a lock-free
	 * atomic store is allowed in a signal handler). */
	atomic_store(&s->stopping, 1);
	(void)!write(s->stop_pipe[1], "x", 1);
	errno = saved;
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	http_loop_free(s);
	if (s->lfd != -1)
		close(s->lfd);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->tls_mu);
	SSL_CTX_free(s->tls);
	free(s->threads);
	free(s);
}

int
http_server_set_tls(struct http_server *s, SSL_CTX *ctx)
{
	SSL_CTX *old;

	if (s->tls == NULL || ctx == NULL)
		return XDS_EINVAL;
	pthread_mutex_lock(&s->tls_mu);
	old = s->tls;
	s->tls = ctx;
	pthread_mutex_unlock(&s->tls_mu);
	SSL_CTX_free(old);	/* live connections hold their own ref */
	return XDS_OK;
}

/* ---- connections ---- */

struct http_conn *
http_conn_new(struct http_server *s)
{
	struct http_conn *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->srv = s;
	c->fd = -1;
	c->io_timeout = s->o.io_timeout;
	c->rcap = s->o.max_head + HTTP_RBUF_EXTRA;
	c->body_limit = -1;
	return c;
}

void
http_conn_free(struct http_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		ERR_clear_error();
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c);
}

int
http_queue_push(struct http_server *s, struct http_conn *c)
{
	/* Full when every worker is busy and o.queue heads wait besides:
	 * a burst must not be refused while workers are still waking up. */
	pthread_mutex_lock(&s->mu);
	if (s->qlen >= (size_t)s->o.queue + s->nidle) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	TAILQ_INSERT_TAIL(&s->queue, c, tq);
	s->qlen++;
	atomic_store(&s->waiting, s->qlen);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void
worker_free(struct worker *w)
{
	free(w->fields);
	free(w->hdrs);
	free(w->pathbuf);
	free(w->obuf);
}

static int
worker_init(struct http_server *s, struct worker *w)
{
	memset(w, 0, sizeof *w);
	w->fields = calloc((size_t)s->o.max_headers, sizeof *w->fields);
	w->hdrs = calloc((size_t)s->o.max_headers, sizeof *w->hdrs);
	w->pathbuf = malloc(HTTP_PARSE_MAX_TARGET + 2);
	w->obuf = malloc(HTTP_OBUF_SIZE);
	if (w->fields == NULL || w->hdrs == NULL || w->pathbuf == NULL ||
	    w->obuf == NULL) {
		worker_free(w);
		return -1;
	}
	return 0;
}

/* Reset per-request state, keeping unconsumed (pipelined) bytes. */
static void
conn_next_request(struct http_conn *c)
{
	if (c->rpos > 0) {
		if (c->rlen > c->rpos)
			memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	c->rfloor = 0;
	memset(&c->req, 0, sizeof c->req);
	c->is_head = 0;
	c->body_mode = BODY_NONE;
	c->body_left = 0;
	c->body_started = c->body_done = c->body_err = 0;
	c->body_total = 0;
	c->body_limit = -1;
	c->rate_wait = c->rate_bytes = 0;
	c->rate_graced = c->body_slow = 0;
	c->resp_state = RESP_NONE;
	c->resp_chunked = c->resp_nobody = c->resp_unframed = 0;
	c->resp_left = 0;
	c->olen = 0;
	c->close_after = 0;
}

/* Parse the buffered head: HTTP_PARSE_DONE, HTTP_PARSE_MORE (not all
 * there: back to the loop), or an HTTP status to answer (400, 431, ...). */
static int
parse_head(struct http_conn *c)
{
	struct http_server *s = c->srv;
	struct http_head *h = &c->head;
	int rc;

	memset(h, 0, sizeof *h);
	h->fields = c->fields;
	h->max_fields = (size_t)s->o.max_headers;
	h->max_head = s->o.max_head;
	h->max_target = HTTP_PARSE_MAX_TARGET;
	if (c->rlen == 0)
		return HTTP_PARSE_MORE;
	rc = http_parse_head(c->rbuf, c->rlen, h);
	if (rc != HTTP_PARSE_ERR)
		return rc;
	log_debug("http: %s: %d: %s", c->peer_addr, h->status, h->error);
	return h->status;
}
/* Terminate the parsed spans in place and fill c->req. */
static void
build_request(struct http_conn *c)
{
	struct http_head *h = &c->head;
	struct http_request *r = &c->req;
	const char *t, *q, *ps;
	size_t i, plen;

	for (i = 0; i < h->nfields; i++) {
		char *name = (char *)h->fields[i].name.p;
		char *value = (char *)h->fields[i].value.p;

		name[h->fields[i].name.len] = '\0';	/* was ':' */
		value[h->fields[i].value.len] = '\0';	/* OWS or CR */
		c->hdrs[i].name = name;
		c->hdrs[i].value = value;
	}
	((char *)h->method.p)[h->method.len] = '\0';
	((char *)h->target.p)[h->target.len] = '\0';
	r->method = h->method.p;
	r->target = t = h->target.p;

	/* path: origin-form up to '?'; absolute-form drops scheme://authority */
	ps = t;
	if (str_ncaseeq(t, "http://", 7) || str_ncaseeq(t, "https://", 8)) {
		ps = strchr(t, ':') + 3;
		ps += strcspn(ps, "/?");
	}
	q = strchr(ps, '?');
	plen = q != NULL ? (size_t)(q - ps) : strlen(ps);
	if (plen == 0)
		str_lcpy(c->pathbuf, *t == '*' ? "*" : "/", c->pathcap);
	else {
		if (plen >= c->pathcap)
			plen = c->pathcap - 1;	/* cannot happen: 414 */
		memcpy(c->pathbuf, ps, plen);
		c->pathbuf[plen] = '\0';
	}
	r->path = c->pathbuf;
	r->query = q != NULL ? q + 1 : "";
	r->version_minor = h->version_minor;
	r->headers = c->hdrs;
	r->nheaders = h->nfields;
	r->content_length = h->content_length;
	r->chunked = h->chunked;
	r->expect_continue = h->expect_continue;
	r->keep_alive = h->version_minor >= 1 ? !h->conn_close :
	    h->conn_keep_alive && !h->conn_close;
	r->tls = c->ssl != NULL;
	r->peer_subject = c->peer_subject;
	r->peer_name = c->peer_name;
	r->peer_addr = c->peer_addr;
	c->is_head = strcmp(r->method, "HEAD") == 0;

	if (h->chunked) {
		c->body_mode = BODY_CHUNKED;
		http_chunked_init(&c->chunked, 0);
	} else if (h->content_length > 0) {
		c->body_mode = BODY_LENGTH;
		c->body_left = (unsigned long long)h->content_length;
	}
	c->rpos = c->rfloor = h->head_len;
}

/*
 * Serve the requests whose heads are buffered on c, then hand c back to
 * the loop, open or closed.
 */
static void
serve_conn(struct http_server *s, struct worker *w, struct http_conn *c)
{
	int rc, st, keep = 0, linger = 1;

	c->fields = w->fields;
	c->hdrs = w->hdrs;
	c->pathbuf = w->pathbuf;
	c->pathcap = HTTP_PARSE_MAX_TARGET + 2;
	c->obuf = w->obuf;
	c->olen = 0;
	c->broken = 0;
	c->last_request = 0;
	conn_next_request(c);
	for (;;) {
		c->deadline = http_now_ms() + (long long)s->o.io_timeout * 1000;
		if ((rc = parse_head(c)) == HTTP_PARSE_MORE) {
			keep = 1;	/* the loop reads the rest */
			break;
		}
		if (rc != HTTP_PARSE_DONE) {
			/* The request line may not be usable: answer 1.1. */
			c->req.version_minor = 1;
			http_refused(s, HTTP_REFUSE_BAD_HEAD);
			if (s->o.on_refuse != NULL)
				s->o.on_refuse(s->arg, c->peer_addr,
				    c->peer_subject, rc,
				    http_refuse_text(HTTP_REFUSE_BAD_HEAD));
			(void)http_resp_error(c, rc, NULL);
			break;
		}
		atomic_fetch_add(&s->taken, 1);
		build_request(c);
		c->nreq++;
		c->last_request = c->nreq >= s->o.max_requests_per_conn ||
		    atomic_load(&s->stopping);
		c->deadline = http_now_ms() +
		    (long long)s->o.request_deadline * 1000;
		s->fn(c, &c->req, s->arg);
		if (c->resp_state == RESP_NONE) {
			st = http_body_status(c);
			(void)http_resp_error(c, st != 0 ? st : 500, NULL);
		} else if (c->resp_state == RESP_STREAMING) {
			/* The handler did not finish: the framing is lost. */
			c->close_after = 1;
			c->broken = 1;
		}
		if (c->body_err == XDS_ETIMEOUT)
			linger = 0;	/* a slow peer: no waiting for it */
		if (c->broken || c->close_after || atomic_load(&s->stopping))
			break;
		conn_next_request(c);
		/* Pipelined: go on at once unless others wait for a worker. */
		if (atomic_load(&s->waiting) > 0) {
			keep = 1;
			break;
		}
	}
	if (!c->broken)
		(void)http_io_flush(c);
	if (!keep || c->broken)
		http_io_close(c, linger);
	c->fields = NULL;
	c->hdrs = NULL;
	c->pathbuf = NULL;
	c->obuf = NULL;
	c->olen = 0;
	memset(&c->req, 0, sizeof c->req);
	http_loop_hand_back(s, c);
}

static void *
worker_main(void *arg)
{
	struct http_server *s = arg;
	struct http_conn *c;
	struct worker w;
	sigset_t set;
	int ok;

	/* A peer that vanished must not kill the process (SSL_write). */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ok = worker_init(s, &w) == 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		s->nidle++;
		while (s->qlen == 0 && !atomic_load(&s->stopping))
			pthread_cond_wait(&s->cv, &s->mu);
		s->nidle--;
		if (s->qlen == 0) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		c = TAILQ_FIRST(&s->queue);
		TAILQ_REMOVE(&s->queue, c, tq);
		s->qlen--;
		atomic_store(&s->waiting, s->qlen);
		pthread_mutex_unlock(&s->mu);
		c->state = CONN_BUSY;
		if (!ok || atomic_load(&s->stopping)) {
			http_io_send_nb(c, HTTP_BUSY_RESPONSE,
			    sizeof HTTP_BUSY_RESPONSE - 1);
			http_io_close(c, 0);
			http_loop_hand_back(s, c);
			continue;
		}
		serve_conn(s, &w, c);
	}
	if (ok)
		worker_free(&w);
	return NULL;
}

int
http_server_run(struct http_server *s)
{
	sigset_t set, old;
	int i, rc = 0;

	if ((s->threads = calloc((size_t)s->o.workers,
	    sizeof *s->threads)) == NULL) {
		log_warnx("http: out of memory");
		return -1;
	}
	/* The loop writes to sockets too (503, 408 over TLS). */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < s->o.workers; i++) {
		if ((errno = pthread_create(&s->threads[i], NULL, worker_main,
		    s)) != 0) {
			log_warn("http: pthread_create");
			rc = -1;
			break;
		}
		s->nthreads++;
	}
	if (rc == 0)
		rc = http_loop_run(s);

	/* Stop: no more accepting (the descriptor is closed by
	 * http_server_free); workers finish what they are doing. */
	(void)shutdown(s->lfd, SHUT_RDWR);
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stopping, 1);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
	s->nthreads = 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
