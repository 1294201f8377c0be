/*
 * http_loop.c: the event loop that parks connections (docs/design.md,
 * Transport).
 *
 * One thread, one epoll set.  It accepts, refuses connections over the
 * total limit (max_connections) or over the limit of their peer address
 * (max_connections_per_peer; an IPv6 peer is its /64), does the TLS
 * handshake step by step, waits on idle keep-alive connections and reads
 * request heads, and the start of their bodies: a request goes to the
 * worker queue once its head is complete (or unusable) and its body is
 * in as far as the read buffer holds it (not when the client waits for
 * "100 Continue"), so that a worker never waits for a small body sent
 * slowly.  A body not in by header_timeout goes on in a worker if it
 * came at min_body_rate, else it is answered 408.  When the queue is
 * full the request is answered 503 (also over TLS: the handshake is done
 * by then).  Workers hand connections back after their response (or
 * closed, to be counted off their peer).
 *
 * Over-limit connections are refused before any work: a plain one gets
 * a 503 with Retry-After if the socket takes it at once, a TLS one is
 * closed (a handshake to say 503 would cost more than the peer did).
 *
 * Timeouts: two FIFO lists, one per duration (header_timeout for
 * handshakes and heads, keepalive_timeout for idle connections); every
 * entry in a list has the same duration, so appending keeps it sorted
 * and the loop only looks at the heads of the lists.
 *
 * A parked connection costs its struct and its SSL (buffers released
 * while idle, SSL_MODE_RELEASE_BUFFERS); the read buffer exists only
 * while head bytes are buffered.  Refusals with a head (a head timeout,
 * a full queue) are reported to on_refuse from a reporter thread, so the
 * loop never waits for the audit log; refusals without one are counted
 * and logged at info level, at most once per reason every
 * HTTP_LOG_EVERY_MS.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http_int.h"
#include "log.h"
#include "str.h"
#include "tls.h"

#define HTTP_LOG_EVERY_MS	10000
#define HTTP_ACCEPT_BURST	64	/* accepts per loop turn */
#define HTTP_EVENTS		64

struct http_peer {
	struct http_peer	*next;
	unsigned char		 key[16];
	size_t			 n;	/* open connections */
};

static const char timeout_response[] =
    "HTTP/1.1 408 Request Timeout\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 20\r\n"
    "Connection: close\r\n"
    "\r\n"
    "408 Request Timeout\n";

/* ---- peers ---- */

/* IPv4 as v4-mapped IPv6; an IPv6 peer is its /64 (one host has many). */
static void
peer_key(const struct sockaddr_storage *ss, unsigned char key[16])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	memset(key, 0, 16);
	if (ss->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			memcpy(key, &s6->sin6_addr, 16);
		else
			memcpy(key, &s6->sin6_addr, 8);
	}
}

static size_t
peer_hash(const struct http_server *s, const unsigned char key[16])
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (s->npeers - 1);
}

static struct http_peer *
peer_get(struct http_server *s, const unsigned char key[16])
{
	struct http_peer *p;
	size_t b = peer_hash(s, key);

	for (p = s->peers[b]; p != NULL; p = p->next)
		if (memcmp(p->key, key, 16) == 0)
			return p;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	memcpy(p->key, key, 16);
	p->next = s->peers[b];
	s->peers[b] = p;
	return p;
}

/* Drop a peer without connections. */
static void
peer_release(struct http_server *s, struct http_peer *p)
{
	struct http_peer **pp;

	if (p == NULL || p->n > 0)
		return;
	for (pp = &s->peers[peer_hash(s, p->key)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			free(p);
			return;
		}
}

/* ---- refusals ---- */

/* Count and log (rate-limited) a refusal without a request. */
static void
refuse_log(struct http_server *s, int reason, const char *addr)
{
	long long now = http_now_ms();

	http_refused(s, reason);
	s->log_count[reason]++;
	if (s->log_at[reason] != 0 &&
	    now - s->log_at[reason] < HTTP_LOG_EVERY_MS)
		return;
	log_info("http: %llu connection(s) refused (%s) in the last %d s, "
	    "the last from %s", s->log_count[reason], http_refuse_text(reason),
	    HTTP_LOG_EVERY_MS / 1000, addr);
	s->log_at[reason] = now;
	s->log_count[reason] = 0;
}

/* Queue an on_refuse report for the reporter thread. */
static void
report(struct http_server *s, const struct http_conn *c, int status,
    int reason)
{
	struct http_report *r;

	if (s->o.on_refuse == NULL || !s->reporter_ok)
		return;
	pthread_mutex_lock(&s->rmu);
	if (s->rlen == HTTP_REPORT_RING) {
		pthread_mutex_unlock(&s->rmu);
		atomic_fetch_add(&s->unreported, 1);
		return;
	}
	r = &s->ring[(s->rhead + s->rlen++) % HTTP_REPORT_RING];
	str_lcpy(r->peer_addr, c->peer_addr, sizeof r->peer_addr);
	str_lcpy(r->peer_subject, c->peer_subject, sizeof r->peer_subject);
	r->status = status;
	r->reason = reason;
	pthread_cond_signal(&s->rcv);
	pthread_mutex_unlock(&s->rmu);
}

static void *
reporter_main(void *arg)
{
	struct http_server *s = arg;
	struct http_report r;

	pthread_mutex_lock(&s->rmu);
	for (;;) {
		while (s->rlen == 0 && !s->rstop)
			pthread_cond_wait(&s->rcv, &s->rmu);
		if (s->rlen == 0)
			break;
		r = s->ring[s->rhead];
		s->rhead = (s->rhead + 1) % HTTP_REPORT_RING;
		s->rlen--;
		pthread_mutex_unlock(&s->rmu);
		s->o.on_refuse(s->arg, r.peer_addr, r.peer_subject, r.status,
		    http_refuse_text(r.reason));
		pthread_mutex_lock(&s->rmu);
	}
	pthread_mutex_unlock(&s->rmu);
	return NULL;
}

/* ---- timers and epoll ---- */

static struct http_connq *
timer_list(struct http_server *s, const struct http_conn *c)
{
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_HEAD:
		return &s->heads;
	case CONN_IDLE:
		return &s->idles;
	default:
		return NULL;
	}
}

/* Park c in state st: appended to its FIFO, expiring after secs. */
static void
timer_park(struct http_server *s, struct http_conn *c, int st, int secs)
{
	c->state = st;
	c->expire = http_now_ms() + (long long)secs * 1000;
	TAILQ_INSERT_TAIL(timer_list(s, c), c, tq);
	atomic_fetch_add(&s->parked, 1);
}

/* Take c off its FIFO (if it is on one). */
static void
timer_unpark(struct http_server *s, struct http_conn *c)
{
	struct http_connq *q = timer_list(s, c);

	if (q == NULL)
		return;
	TAILQ_REMOVE(q, c, tq);
	atomic_fetch_sub(&s->parked, 1);
	c->state = CONN_BUSY;
}

static int
watch(struct http_server *s, struct http_conn *c, unsigned events)
{
	struct epoll_event ev;
	int op;

	if (c->epoll_events == events)
		return 0;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = c;
	op = c->epoll_events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(s->epfd, op, c->fd, &ev) == -1) {
		log_warn("http: epoll_ctl");
		return -1;
	}
	c->epoll_events = events;
	return 0;
}

static void
unwatch(struct http_server *s, struct http_conn *c)
{
	if (c->epoll_events != 0)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->epoll_events = 0;
}

/* Close and free a connection the loop holds (or a worker closed).
 * After an answer, read what the peer already sent, so that the close is
 * a FIN, not a reset that could destroy the answer. */
static void
conn_close(struct http_server *s, struct http_conn *c, int answered)
{
	char junk[4096];
	unsigned want;
	int i;

	timer_unpark(s, c);
	if (c->fd >= 0) {
		unwatch(s, c);
		for (i = 0; answered && i < 16; i++)
			if (http_io_recv_nb(c, junk, sizeof junk, &want) <= 0)
				break;
		if (answered)
			(void)shutdown(c->fd, SHUT_WR);
	}
	if (c->peer != NULL) {
		c->peer->n--;
		peer_release(s, c->peer);
	}
	s->nconns--;
	atomic_fetch_sub(&s->open, 1);
	http_conn_free(c);
}

/* ---- reading heads ---- */

/* 1 when the chunked body buffered on c is complete (or malformed: the
 * worker answers that).  Decodes only what arrived since the last call
 * (c->chunked, c->scanned), so a body sent a byte at a time costs no
 * more than one sent at once. */
static int
chunked_complete(struct http_server *s, struct http_conn *c)
{
	size_t used, outn;
	int rc;

	while (c->scanned < c->rlen) {
		rc = http_chunked_decode(&c->chunked, c->rbuf + c->scanned,
		    c->rlen - c->scanned, &used, s->lscratch, HTTP_RBUF_EXTRA,
		    &outn);
		c->scanned += used;
		if (rc != HTTP_CHUNKED_OK)
			return 1;
		if (used == 0 && outn == 0)
			break;
	}
	return 0;
}

/*
 * 1 when c can go to a worker: its head is complete (or unusable: the
 * worker refuses it) and its body is in, as far as the read buffer holds
 * it.  A worker then never waits for a client that sends a small body
 * slowly.  The parser runs on the first bytes (to refuse garbage early),
 * when an empty line arrived, and when the head reached max_head.
 */
static int
head_ready(struct http_server *s, struct http_conn *c)
{
	struct http_head h;
	size_t from = c->scanned > 3 ? c->scanned - 3 : 0;
	int first = c->scanned == 0, rc;

	if (c->rlen == 0)
		return 0;
	if (c->hlen == 0) {
		c->scanned = c->rlen;
		if (!first && c->rlen < s->o.max_head &&
		    memmem(c->rbuf + from, c->rlen - from, "\r\n\r\n", 4) ==
		    NULL)
			return 0;
		memset(&h, 0, sizeof h);
		h.fields = s->lfields;
		h.max_fields = (size_t)s->o.max_headers;
		h.max_head = s->o.max_head;
		h.max_target = HTTP_PARSE_MAX_TARGET;
		if ((rc = http_parse_head(c->rbuf, c->rlen, &h)) ==
		    HTTP_PARSE_MORE)
			return 0;
		/* A client waiting for "100 Continue" gets it from the
		 * handler, which may refuse the body first. */
		if (rc == HTTP_PARSE_ERR || h.expect_continue ||
		    (!h.chunked && h.content_length <= 0))
			return 1;
		c->hlen = h.head_len;
		c->body_need = h.chunked ? -1 : h.content_length;
		c->scanned = c->hlen;	/* from now on: body decoded */
		http_chunked_init(&c->chunked, 0);
	}
	if (c->rlen == c->rcap)
		return 1;	/* as much as it holds: the rest streams */
	if (c->body_need >= 0)
		return (long long)(c->rlen - c->hlen) >= c->body_need;
	return chunked_complete(s, c);
}

/* Give a connection with a complete head to the workers. */
static void
dispatch(struct http_server *s, struct http_conn *c)
{
	timer_unpark(s, c);
	unwatch(s, c);
	c->state = CONN_QUEUED;
	if (http_queue_push(s, c) == 0)
		return;		/* a worker's now: hands off */
	log_debug("http: %s: queue full, 503", c->peer_addr);
	http_refused(s, HTTP_REFUSE_QUEUE_FULL);
	report(s, c, 503, HTTP_REFUSE_QUEUE_FULL);
	http_io_send_nb(c, HTTP_BUSY_RESPONSE, sizeof HTTP_BUSY_RESPONSE - 1);
	conn_close(s, c, 1);
}

/* Read what the socket has; dispatch a complete head. */
static void
read_head(struct http_server *s, struct http_conn *c)
{
	unsigned want = EPOLLIN;
	ssize_t n;

	for (;;) {
		if (c->rbuf == NULL && (c->rbuf = malloc(c->rcap)) == NULL) {
			log_warnx("http: out of memory");
			conn_close(s, c, 0);
			return;
		}
		if (c->rlen == c->rcap)
			break;
		n = http_io_recv_nb(c, c->rbuf + c->rlen, c->rcap - c->rlen,
		    &want);
		if (n == HTTP_IO_AGAIN)
			break;
		if (n == 0 && head_ready(s, c)) {
			/* Half-closed after a whole request: answer it. */
			dispatch(s, c);
			return;
		}
		if (n <= 0) {		/* gone, or an error */
			conn_close(s, c, 0);
			return;
		}
		if (c->state == CONN_IDLE) {
			/* A new request: its head has header_timeout. */
			timer_unpark(s, c);
			timer_park(s, c, CONN_HEAD, s->o.header_timeout);
		}
		c->rlen += (size_t)n;
	}
	if (head_ready(s, c)) {
		dispatch(s, c);
		return;
	}
	if (c->rlen == 0) {
		free(c->rbuf);		/* nothing buffered: keep it cheap */
		c->rbuf = NULL;
	}
	if (watch(s, c, want) != 0)
		conn_close(s, c, 0);
}

static void
tls_step(struct http_server *s, struct http_conn *c)
{
	unsigned want = EPOLLIN;
	int rc;

	if ((rc = http_io_tls_step(c, &want)) == HTTP_IO_AGAIN) {
		if (watch(s, c, want) != 0)
			conn_close(s, c, 0);
		return;
	}
	if (rc != 0) {
		if (log_verbosity >= LOG_LVL_DEBUG) {
			char ebuf[256];

			ERR_error_string_n(ERR_peek_last_error(), ebuf,
			    sizeof ebuf);
			log_debug("http: %s: TLS handshake failed: %s",
			    c->peer_addr, ebuf);
		}
		ERR_clear_error();
		refuse_log(s, HTTP_REFUSE_TLS_FAILED, c->peer_addr);
		conn_close(s, c, 0);
		return;
	}
	if (tls_peer_subject(c->ssl, c->peer_subject,
	    sizeof c->peer_subject) != 0)
		log_debug("http: %s: peer subject truncated", c->peer_addr);
	if (s->o.peer_name_oid != NULL && tls_peer_othername(c->ssl,
	    s->o.peer_name_oid, c->peer_name, sizeof c->peer_name) != 0)
		log_debug("http: %s: peer certificate's otherName %s is not "
		    "a short printable string", c->peer_addr,
		    s->o.peer_name_oid);
	c->state = CONN_HEAD;	/* same FIFO, deadline from accept */
	read_head(s, c);
}

/* A timer ran out: a handshake or a head not done in time, or idle. */
static void
expired(struct http_server *s, struct http_conn *c)
{
	long long now, start;

	if (c->state == CONN_IDLE) {
		conn_close(s, c, 0);
		return;
	}
	if (c->state == CONN_HANDSHAKE) {
		log_debug("http: %s: TLS handshake not done in time",
		    c->peer_addr);
		refuse_log(s, HTTP_REFUSE_TLS_TIMEOUT, c->peer_addr);
		conn_close(s, c, 0);
		return;
	}
	if (c->hlen > 0) {
		/* The head is in, the body is not: go on in a worker if it
		 * came at the minimum rate, else 408 (a slow body). */
		now = http_now_ms();
		start = c->expire - (long long)s->o.header_timeout * 1000;
		if (s->o.min_body_rate <= 0 || (long long)(c->rlen - c->hlen) *
		    1000 >= (long long)s->o.min_body_rate * (now - start)) {
			dispatch(s, c);
			return;
		}
		log_debug("http: %s: body slower than %d bytes/s",
		    c->peer_addr, s->o.min_body_rate);
		http_refused(s, HTTP_REFUSE_SLOW_BODY);
		report(s, c, 408, HTTP_REFUSE_SLOW_BODY);
		http_io_send_nb(c, timeout_response,
		    sizeof timeout_response - 1);
		conn_close(s, c, 1);
		return;
	}
	log_debug("http: %s: head not complete in time", c->peer_addr);
	if (c->rlen == 0) {
		refuse_log(s, HTTP_REFUSE_HEAD_TIMEOUT, c->peer_addr);
		conn_close(s, c, 0);
		return;
	}
	http_refused(s, HTTP_REFUSE_HEAD_TIMEOUT);
	report(s, c, 408, HTTP_REFUSE_HEAD_TIMEOUT);
	http_io_send_nb(c, timeout_response, sizeof timeout_response - 1);
	conn_close(s, c, 1);
}

static void
expire_all(struct http_server *s)
{
	struct http_conn *c;
	long long now = http_now_ms();

	while ((c = TAILQ_FIRST(&s->heads)) != NULL && c->expire <= now)
		expired(s, c);
	while ((c = TAILQ_FIRST(&s->idles)) != NULL && c->expire <= now)
		expired(s, c);
}

/* Milliseconds until the next timer, or -1. */
static int
next_timeout(struct http_server *s)
{
	struct http_conn *h = TAILQ_FIRST(&s->heads);
	struct http_conn *i = TAILQ_FIRST(&s->idles);
	long long t = -1, left;

	if (h != NULL)
		t = h->expire;
	if (i != NULL && (t < 0 || i->expire < t))
		t = i->expire;
	if (t < 0)
		return -1;
	left = t - http_now_ms();
	if (left < 0)
		return 0;
	return left > 60000 ? 60000 : (int)left + 1;
}

/* ---- accepting ---- */

/* Refuse an accepted socket over a limit, without work for it. */
static void
refuse_fd(struct http_server *s, int fd, int reason, const char *addr)
{
	char junk[4096];

	refuse_log(s, reason, addr);
	if (s->o.tls == NULL) {
		(void)!recv(fd, junk, sizeof junk, MSG_DONTWAIT);
		(void)!send(fd, HTTP_BUSY_RESPONSE,
		    sizeof HTTP_BUSY_RESPONSE - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)shutdown(fd, SHUT_WR);
	}
	close(fd);
}

static void
accept_one(struct http_server *s, int fd, const struct sockaddr_storage *ss,
    socklen_t sl)
{
	struct http_conn *c;
	struct http_peer *p;
	unsigned char key[16];
	char addr[64];
	int one = 1;

	if (getnameinfo((const struct sockaddr *)ss, sl, addr, sizeof addr,
	    NULL, 0, NI_NUMERICHOST) != 0)
		str_lcpy(addr, "?", sizeof addr);
	if (s->nconns >= (size_t)s->o.max_connections ||
	    atomic_load(&s->stopping)) {
		refuse_fd(s, fd, HTTP_REFUSE_TOTAL_LIMIT, addr);
		return;
	}
	peer_key(ss, key);
	if ((p = peer_get(s, key)) == NULL || (c = http_conn_new(s)) == NULL) {
		log_warnx("http: out of memory");
		peer_release(s, p);
		close(fd);
		return;
	}
	if (p->n >= (size_t)s->o.max_connections_per_peer) {
		http_conn_free(c);
		refuse_fd(s, fd, HTTP_REFUSE_PEER_LIMIT, addr);
		return;
	}
	p->n++;
	c->peer = p;
	c->fd = fd;
	c->t_accept = http_now_ms();
	str_lcpy(c->peer_addr, addr, sizeof c->peer_addr);
	s->nconns++;
	atomic_fetch_add(&s->open, 1);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (s->o.tls != NULL) {
		pthread_mutex_lock(&s->tls_mu);
		c->ssl = SSL_new(s->tls);
		pthread_mutex_unlock(&s->tls_mu);
		if (c->ssl == NULL ||
		    SSL_set_fd(c->ssl, fd) != 1) {
			log_warnx("http: %s: SSL_new failed", addr);
			ERR_clear_error();
			conn_close(s, c, 0);
			return;
		}
		SSL_set_accept_state(c->ssl);
		timer_park(s, c, CONN_HANDSHAKE, s->o.header_timeout);
	} else
		timer_park(s, c, CONN_HEAD, s->o.header_timeout);
	if (watch(s, c, EPOLLIN) != 0)
		conn_close(s, c, 0);
}

static void
accept_burst(struct http_server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, i;

	for (i = 0; i < HTTP_ACCEPT_BURST; i++) {
		sl = sizeof ss;
		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("http: accept");
				poll(NULL, 0, 100);	/* let fds free up */
			}
			return;
		}
		accept_one(s, fd, &ss, sl);
	}
}

/* ---- hand-back from the workers ---- */

void
http_loop_hand_back(struct http_server *s, struct http_conn *c)
{
	pthread_mutex_lock(&s->mu);
	TAILQ_INSERT_TAIL(&s->back, c, tq);
	if (!s->back_woken) {
		s->back_woken = 1;
		(void)!write(s->wake_pipe[1], "x", 1);
	}
	pthread_mutex_unlock(&s->mu);
}

static void
take_back(struct http_server *s)
{
	struct http_connq q;
	struct http_conn *c;
	char junk[64];

	TAILQ_INIT(&q);
	while (read(s->wake_pipe[0], junk, sizeof junk) > 0)
		;
	pthread_mutex_lock(&s->mu);
	TAILQ_CONCAT(&q, &s->back, tq);
	s->back_woken = 0;
	pthread_mutex_unlock(&s->mu);
	while ((c = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, c, tq);
		c->state = CONN_BUSY;
		if (c->fd < 0 || atomic_load(&s->stopping)) {
			conn_close(s, c, 0);
			continue;
		}
		c->scanned = c->hlen = 0;
		if (c->rlen > 0)
			timer_park(s, c, CONN_HEAD, s->o.header_timeout);
		else
			timer_park(s, c, CONN_IDLE, s->o.keepalive_timeout);
		/* Bytes may be buffered already (in OpenSSL, too): read
		 * now rather than wait for an event that may not come. */
		read_head(s, c);
	}
}

/* ---- the loop ---- */

static void
conn_event(struct http_server *s, struct http_conn *c, unsigned events)
{
	(void)events;	/* errors show in the next read */
	if (c->state == CONN_HANDSHAKE)
		tls_step(s, c);
	else
		read_head(s, c);
}

static int
add_fd(struct http_server *s, int fd, void *tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = tag;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
http_loop_init(struct http_server *s, char *err, size_t errlen)
{
	size_t n = 64;

	TAILQ_INIT(&s->heads);
	TAILQ_INIT(&s->idles);
	s->epfd = s->wake_pipe[0] = s->wake_pipe[1] = -1;
	while (n < (size_t)s->o.max_connections && n < (1u << 20))
		n <<= 1;
	s->npeers = n;
	if ((s->peers = calloc(n, sizeof *s->peers)) == NULL ||
	    (s->lfields = calloc((size_t)s->o.max_headers,
	    sizeof *s->lfields)) == NULL ||
	    (s->lscratch = malloc(HTTP_RBUF_EXTRA)) == NULL ||
	    (s->ring = calloc(HTTP_REPORT_RING, sizeof *s->ring)) == NULL) {
		str_fmt(err, errlen, "http: out of memory");
		return -1;
	}
	if (pthread_mutex_init(&s->rmu, NULL) != 0 ||
	    pthread_cond_init(&s->rcv, NULL) != 0) {
		str_fmt(err, errlen, "http: pthread init failed");
		return -1;
	}
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    pipe2(s->wake_pipe, O_NONBLOCK | O_CLOEXEC) == -1 ||
	    add_fd(s, s->lfd, &s->lfd) == -1 ||
	    add_fd(s, s->stop_pipe[0], s->stop_pipe) == -1 ||
	    add_fd(s, s->wake_pipe[0], s->wake_pipe) == -1) {
		str_fmt(err, errlen, "http: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
http_loop_run(struct http_server *s)
{
	struct epoll_event ev[HTTP_EVENTS];
	struct http_conn *c;
	int i, n, rc = 0, stop = 0;

	if (s->o.on_refuse != NULL) {
		s->rstop = 0;
		if ((errno = pthread_create(&s->reporter, NULL, reporter_main,
		    s)) != 0)
			log_warn("http: pthread_create (reporter)");
		else
			s->reporter_ok = 1;
	}
	while (!stop) {
		n = epoll_wait(s->epfd, ev, HTTP_EVENTS, next_timeout(s));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("http: epoll_wait");
			rc = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == s->stop_pipe)
				stop = 1;
			else if (ev[i].data.ptr == &s->lfd)
				accept_burst(s);
			else if (ev[i].data.ptr == s->wake_pipe)
				take_back(s);
			else
				conn_event(s, ev[i].data.ptr, ev[i].events);
		}
		if (!stop)
			expire_all(s);
	}
	/* Stop: idle and half-read connections are closed at once. */
	while ((c = TAILQ_FIRST(&s->heads)) != NULL)
		conn_close(s, c, 0);
	while ((c = TAILQ_FIRST(&s->idles)) != NULL)
		conn_close(s, c, 0);
	if (s->reporter_ok) {
		pthread_mutex_lock(&s->rmu);
		s->rstop = 1;
		pthread_cond_signal(&s->rcv);
		pthread_mutex_unlock(&s->rmu);
		pthread_join(s->reporter, NULL);
		s->reporter_ok = 0;
	}
	return rc;
}

/* After the workers stopped: what is left is freed. */
void
http_loop_free(struct http_server *s)
{
	struct http_connq *lists[] = { &s->heads, &s->idles, &s->back,
	    &s->queue };
	struct http_peer *p, *next;
	struct http_conn *c;
	size_t i;

	for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
		while ((c = TAILQ_FIRST(lists[i])) != NULL) {
			TAILQ_REMOVE(lists[i], c, tq);
			http_conn_free(c);
		}
	for (i = 0; s->peers != NULL && i < s->npeers; i++)
		for (p = s->peers[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	free(s->peers);
	free(s->lfields);
	free(s->lscratch);
	free(s->ring);
	if (s->epfd != -1)
		close(s->epfd);
	if (s->wake_pipe[0] != -1)
		close(s->wake_pipe[0]);
	if (s->wake_pipe[1] != -1)
		close(s->wake_pipe[1]);
	pthread_cond_destroy(&s->rcv);
	pthread_mutex_destroy(&s->rmu);
}
