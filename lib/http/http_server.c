/*
 * http_server.c: acceptor, bounded queue, worker pool and the
 * per-connection request loop (docs/design.md, Transport).
 *
 * http_server_run() is the acceptor: it polls the listener and the stop
 * pipe, and hands accepted sockets to a bounded queue.  When the queue is
 * full the connection is answered "503 Service Unavailable" with
 * Retry-After and closed (over TLS it is just closed: a handshake in the
 * acceptor would let one slow peer stall accepting).  Each worker owns one
 * connection at a time: TLS handshake (bounded by header_timeout), then
 * requests with keep-alive until the peer closes, Connection: close,
 * max_requests_per_conn, keepalive_timeout, an error or a stop.
 *
 * Timeouts: the head must be complete within header_timeout seconds (from
 * accept for the first request, from its first byte afterwards); slow
 * heads get 408 and a close.  Every read and write makes progress within
 * io_timeout; a request (head, body and response) ends within
 * request_deadline.  SIGPIPE is blocked in the worker threads and plain
 * sockets use MSG_NOSIGNAL, so a vanished peer is an EPIPE, never a signal.
 *
 * Options left 0 take the xdsd.conf defaults: workers 16, queue 64,
 * max_head 16384, max_headers 64, header_timeout 10, io_timeout 30,
 * request_deadline 600, keepalive_timeout 15, max_requests_per_conn 1000;
 * host NULL means 127.0.0.1.
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

#include <openssl/ssl.h>

#include "http_int.h"
#include "log.h"
#include "str.h"
#include "tls.h"

struct qent {
	int			 fd;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	long long		 t_accept;	/* ms */
};

struct http_server {
	struct http_server_opts	 o;
	http_handler_fn		 fn;
	void			*arg;
	int			 lfd;
	int			 port;
	int			 stop_pipe[2];	/* [0] readable once stopped */

	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct qent		*q;		/* ring of o.queue entries */
	size_t			 qhead, qlen;
	atomic_size_t		 waiting;	/* = qlen, readable without mu */
	atomic_ullong		 taken;		/* connections workers took */
	atomic_int		 stopping;
	pthread_t		*threads;
	int			 nthreads;
};

static const char busy_response[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Retry-After: 5\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 24\r\n"
    "Connection: close\r\n"
    "\r\n"
    "503 Service Unavailable\n";

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

static int
server_listen(struct http_server *s, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char portstr[16];
	int fd = -1, one = 1, gai;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	str_fmt(portstr, sizeof portstr, "%d", s->o.port);
	if ((gai = getaddrinfo(s->o.host, portstr, &hints, &res)) != 0) {
		str_fmt(err, errlen, "http: %s: %s", s->o.host,
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
		str_fmt(err, errlen, "http: bind %s port %d: %s", s->o.host,
		    s->o.port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		if (ai == NULL && err[0] == '\0')
			str_fmt(err, errlen, "http: no address for %s",
			    s->o.host);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		str_fmt(err, errlen, "http: getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	s->lfd = fd;
	return 0;
}

struct http_server *
http_server_new(const struct http_server_opts *opts, http_handler_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct http_server *s = NULL;
	struct http_server_opts *o;
	int mu_ok = 0, cv_ok = 0;

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
	if (o->port < 0 || o->port > 65535 || o->workers < 1 ||
	    o->workers > 4096 || o->queue < 1 || o->queue > 1 << 20 ||
	    o->max_head < 256 || o->max_head > 1 << 24 ||
	    o->max_headers < 1 || o->max_headers > 4096 ||
	    o->header_timeout < 1 || o->io_timeout < 1 ||
	    o->request_deadline < 1 || o->keepalive_timeout < 1 ||
	    o->max_requests_per_conn < 1) {
		str_fmt(err, errlen, "http: option out of range");
		goto fail;
	}
	if ((s->q = calloc((size_t)o->queue, sizeof *s->q)) == NULL) {
		str_fmt(err, errlen, "http: out of memory");
		goto fail;
	}
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		goto fail_errno;
	mu_ok = 1;
	if (pthread_cond_init(&s->cv, NULL) != 0)
		goto fail_errno;
	cv_ok = 1;
	if (pipe(s->stop_pipe) == -1 ||
	    set_nonblock_cloexec(s->stop_pipe[0]) == -1 ||
	    set_nonblock_cloexec(s->stop_pipe[1]) == -1)
		goto fail_errno;
	if (server_listen(s, err, errlen) == -1)
		goto fail;
	atomic_init(&s->stopping, 0);
	return s;
fail_errno:
	str_fmt(err, errlen, "http: %s", strerror(errno));
fail:
	if (cv_ok)
		pthread_cond_destroy(&s->cv);
	if (mu_ok)
		pthread_mutex_destroy(&s->mu);
	if (s->stop_pipe[0] != -1)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] != -1)
		close(s->stop_pipe[1]);
	free(s->q);
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

/*
 * Connections accepted and waiting for a worker.  While there are any, a
 * keep-alive connection is closed after its response: a worker waiting
 * on an idle client would otherwise starve them until they time out.
 */
size_t
http_server_waiting(const struct http_server *s)
{
	return atomic_load(&((struct http_server *)s)->waiting);
}

void
http_server_stats(const struct http_server *s, struct http_server_stats *st)
{
	struct http_server *m = (struct http_server *)s;

	st->waiting = atomic_load(&m->waiting);
	st->taken = atomic_load(&m->taken);
}

void
http_server_stop(struct http_server *s)
{
	int saved = errno;

	/*
	 * Stop listening first: a listening socket shut down refuses new
	 * connections at once (Linux), before any worker, woken by the
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
	size_t i;

	if (s == NULL)
		return;
	if (s->lfd != -1)
		close(s->lfd);
	for (i = 0; i < s->qlen; i++)
		close(s->q[(s->qhead + i) % (size_t)s->o.queue].fd);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->q);
	free(s->threads);
	free(s);
}

/* Best effort 503 on a plain socket we will not serve, then close. */
static void
refuse(struct http_server *s, int fd)
{
	char junk[4096];

	if (s->o.tls == NULL) {
		(void)!recv(fd, junk, sizeof junk, MSG_DONTWAIT);
		(void)!send(fd, busy_response, sizeof busy_response - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		shutdown(fd, SHUT_WR);
	}
	close(fd);
}

/* ---- per connection ---- */

static void
conn_free(struct http_conn *c)
{
	free(c->rbuf);
	free(c->obuf);
	free(c->fields);
	free(c->hdrs);
	free(c->pathbuf);
	free(c);
}

static struct http_conn *
conn_new(struct http_server *s)
{
	struct http_conn *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->srv = s;
	c->fd = -1;
	c->stopfd = s->stop_pipe[0];
	c->io_timeout = s->o.io_timeout;
	c->rcap = s->o.max_head + HTTP_RBUF_EXTRA;
	c->pathcap = HTTP_PARSE_MAX_TARGET + 2;
	c->rbuf = malloc(c->rcap);
	c->obuf = malloc(HTTP_OBUF_SIZE);
	c->fields = calloc((size_t)s->o.max_headers, sizeof *c->fields);
	c->hdrs = calloc((size_t)s->o.max_headers, sizeof *c->hdrs);
	c->pathbuf = malloc(c->pathcap);
	if (c->rbuf == NULL || c->obuf == NULL || c->fields == NULL ||
	    c->hdrs == NULL || c->pathbuf == NULL) {
		conn_free(c);
		return NULL;
	}
	return c;
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
	c->resp_state = RESP_NONE;
	c->resp_chunked = c->resp_nobody = c->resp_unframed = 0;
	c->resp_left = 0;
	c->olen = 0;
}

enum { HEAD_OK = 0, HEAD_CLOSE = 1 };

/*
 * Read and parse a request head.  HEAD_OK, HEAD_CLOSE (peer gone or
 * idle), or an HTTP status (400, 408, 431, ...) to answer before closing.
 */
static int
read_head(struct http_conn *c, long long start_ms, long long idle_deadline)
{
	struct http_server *s = c->srv;
	struct http_head *h = &c->head;
	size_t scanned = 0, from;
	ssize_t n;
	int rc, parsed = 0;

	h->fields = c->fields;
	h->max_fields = (size_t)s->o.max_headers;
	h->max_head = s->o.max_head;
	h->max_target = HTTP_PARSE_MAX_TARGET;

	if (c->rlen == 0) {
		/* Idle: wait for the first byte (or a stop). */
		rc = http_io_wait_readable(c, idle_deadline);
		if (rc <= 0)
			return HEAD_CLOSE;
		start_ms = start_ms > 0 ? start_ms : http_now_ms();
	} else if (start_ms == 0)
		start_ms = http_now_ms();
	c->deadline = start_ms + (long long)s->o.header_timeout * 1000;

	for (;;) {
		if (c->rlen > 0) {
			from = scanned > 3 ? scanned - 3 : 0;
			if (!parsed || c->rlen >= s->o.max_head ||
			    memmem(c->rbuf + from, c->rlen - from,
			    "\r\n\r\n", 4) != NULL) {
				parsed = 1;
				rc = http_parse_head(c->rbuf, c->rlen, h);
				if (rc == HTTP_PARSE_DONE)
					return HEAD_OK;
				if (rc == HTTP_PARSE_ERR) {
					log_debug("http: %s: %d: %s",
					    c->peer_addr, h->status, h->error);
					return h->status;
				}
			}
			scanned = c->rlen;
		}
		n = http_io_recv(c, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == 0)
			return HEAD_CLOSE;
		if (n == XDS_ETIMEOUT) {
			log_debug("http: %s: head not complete in time",
			    c->peer_addr);
			c->broken = 0;	/* still try to say 408 */
			return c->rlen > 0 ? 408 : HEAD_CLOSE;
		}
		if (n < 0)
			return HEAD_CLOSE;
		c->rlen += (size_t)n;
	}
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

static void
serve_conn(struct http_server *s, struct http_conn *c, const struct qent *e)
{
	long long start, idle;
	int nreq, rc, linger = 0;

	c->fd = e->fd;
	c->broken = 0;
	c->close_after = c->last_request = 0;
	c->rpos = c->rlen = c->olen = c->rfloor = 0;
	c->peer_subject[0] = '\0';
	c->deadline = 0;
	if (getnameinfo((const struct sockaddr *)&e->ss, e->sslen,
	    c->peer_addr, sizeof c->peer_addr, NULL, 0, NI_NUMERICHOST) != 0)
		str_lcpy(c->peer_addr, "?", sizeof c->peer_addr);
	start = e->t_accept;

	if (s->o.tls != NULL) {
		if ((c->ssl = SSL_new(s->o.tls)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1) {
			log_debug("http: %s: SSL_new failed", c->peer_addr);
			c->broken = 1;
			goto out;
		}
		c->deadline = start + (long long)s->o.header_timeout * 1000;
		if (http_io_tls_accept(c, c->deadline) != 0) {
			log_debug("http: %s: TLS handshake failed",
			    c->peer_addr);
			c->broken = 1;
			goto out;
		}
		if (tls_peer_subject(c->ssl, c->peer_subject,
		    sizeof c->peer_subject) != 0)
			log_debug("http: %s: peer subject truncated",
			    c->peer_addr);
	}

	for (nreq = 0; nreq < s->o.max_requests_per_conn; nreq++) {
		conn_next_request(c);
		c->close_after = 0;
		idle = nreq == 0 ?
		    start + (long long)s->o.header_timeout * 1000 :
		    http_now_ms() + (long long)s->o.keepalive_timeout * 1000;
		rc = read_head(c, nreq == 0 ? start : 0, idle);
		if (rc == HEAD_CLOSE) {
			linger = 0;	/* idle or gone: nothing to protect */
			break;
		}
		linger = 1;		/* a response will be sent */
		c->deadline = http_now_ms() + (long long)s->o.io_timeout * 1000;
		if (rc != HEAD_OK) {
			/* The request line may not be usable: answer 1.1. */
			c->req.version_minor = 1;
			if (s->o.on_refuse != NULL)
				s->o.on_refuse(s->arg, c->peer_addr,
				    c->peer_subject, rc);
			(void)http_resp_error(c, rc, NULL);
			break;
		}
		build_request(c);
		c->last_request = nreq + 1 == s->o.max_requests_per_conn ||
		    atomic_load(&s->stopping);
		c->deadline = http_now_ms() +
		    (long long)s->o.request_deadline * 1000;
		s->fn(c, &c->req, s->arg);
		if (c->resp_state == RESP_NONE)
			(void)http_resp_error(c, 500, NULL);
		else if (c->resp_state == RESP_STREAMING) {
			/* The handler did not finish: the framing is lost. */
			c->close_after = 1;
			c->broken = 1;
		}
		if (c->broken || c->close_after || atomic_load(&s->stopping))
			break;
	}
out:
	if (!c->broken)
		(void)http_io_flush(c);
	http_io_close(c, linger);
}

static void *
worker_main(void *arg)
{
	struct http_server *s = arg;
	struct http_conn *c;
	struct qent e;
	sigset_t set;

	/* A peer that vanished must not kill the process (SSL_write). */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	c = conn_new(s);
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->qlen == 0 && !atomic_load(&s->stopping))
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->qlen == 0) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		e = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % (size_t)s->o.queue;
		s->qlen--;
		atomic_store(&s->waiting, s->qlen);
		atomic_fetch_add(&s->taken, 1);
		pthread_mutex_unlock(&s->mu);
		if (c == NULL || atomic_load(&s->stopping)) {
			refuse(s, e.fd);
			continue;
		}
		serve_conn(s, c, &e);
	}
	if (c != NULL)
		conn_free(c);
	return NULL;
}

static void
enqueue(struct http_server *s, int fd, const struct sockaddr_storage *ss,
    socklen_t sl)
{
	struct qent *e;
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	pthread_mutex_lock(&s->mu);
	if (s->qlen == (size_t)s->o.queue) {
		pthread_mutex_unlock(&s->mu);
		log_debug("http: queue full, 503");
		refuse(s, fd);
		return;
	}
	e = &s->q[(s->qhead + s->qlen) % (size_t)s->o.queue];
	e->fd = fd;
	e->ss = *ss;
	e->sslen = sl;
	e->t_accept = http_now_ms();
	s->qlen++;
	atomic_store(&s->waiting, s->qlen);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
http_server_run(struct http_server *s)
{
	struct pollfd pfd[2];
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, i, rc = 0;

	if ((s->threads = calloc((size_t)s->o.workers,
	    sizeof *s->threads)) == NULL) {
		log_warnx("http: out of memory");
		return -1;
	}
	for (i = 0; i < s->o.workers; i++) {
		if ((errno = pthread_create(&s->threads[i], NULL, worker_main,
		    s)) != 0) {
			log_warn("http: pthread_create");
			rc = -1;
			break;
		}
		s->nthreads++;
	}

	while (rc == 0) {
		pfd[0].fd = s->lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->stop_pipe[0];
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("http: poll");
			rc = -1;
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents == 0)
			continue;
		sl = sizeof ss;
		fd = accept(s->lfd, (struct sockaddr *)&ss, &sl);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("http: accept");
				poll(NULL, 0, 100);	/* let fds free up */
			}
			continue;
		}
		if (set_nonblock_cloexec(fd) == -1) {
			close(fd);
			continue;
		}
		enqueue(s, fd, &ss, sl);
	}

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
	return rc;
}
