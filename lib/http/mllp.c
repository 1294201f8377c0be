/*
 * mllp.c: MLLP framing and its listener (mllp.h): an accept thread, one
 * thread per connection (at most max_conns), blocking I/O with the idle
 * timeout as the socket's receive timeout, TLS through OpenSSL on the
 * same socket, its context swapped for new handshakes by mllp_set_tls.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "http_int.h"
#include "log.h"
#include "mllp.h"
#include "ratelimit.h"
#include "str.h"
#include "tls.h"

#define READ_CHUNK	16384
#define MLLP_STOP_GRACE	5	/* seconds for the answers in hand */
#define MAX_ANSWER	(1024 * 1024)
#define MLLP_HANDSHAKE	10	/* seconds a TLS handshake may take */
#define MLLP_LOG_EVERY	60000	/* ms: a refusal logged per peer, reason */

/* ---- framing ---- */

enum { ST_OUT, ST_IN, ST_END, ST_DISCARD, ST_DISCARD_END };

int
mllp_reader_init(struct mllp_reader *r, size_t max)
{
	memset(r, 0, sizeof *r);
	if ((r->buf = malloc(max > 0 ? max : 1)) == NULL)
		return XDS_ENOMEM;
	r->max = max;
	return XDS_OK;
}

void
mllp_reader_free(struct mllp_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

enum mllp_event
mllp_reader_push(struct mllp_reader *r, const char *p, size_t n,
    size_t *used)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		switch (r->state) {
		case ST_OUT:
			if (c == MLLP_SB) {
				r->len = r->seen = 0;
				r->state = ST_IN;
			} else if (c != '\r' && c != '\n') {
				*used = i + 1;
				return MLLP_BAD;
			}
			break;
		case ST_IN:
		case ST_DISCARD:
			if (c == MLLP_EB) {
				r->state = r->state == ST_IN ? ST_END :
				    ST_DISCARD_END;
				break;
			}
			if (c == MLLP_SB) {	/* a frame inside a frame */
				*used = i + 1;
				r->state = ST_OUT;
				return MLLP_BAD;
			}
			r->seen++;
			if (r->state == ST_DISCARD) {
				if (r->seen > r->max * MLLP_DISCARD_FACTOR) {
					*used = i + 1;
					r->state = ST_OUT;
					return MLLP_BAD;
				}
			} else if (r->len == r->max)
				r->state = ST_DISCARD;
			else
				r->buf[r->len++] = (char)c;
			break;
		case ST_END:
		case ST_DISCARD_END:
			*used = i + 1;
			if (c != MLLP_CR) {
				r->state = ST_OUT;
				return MLLP_BAD;
			}
			c = r->state == ST_END ? MLLP_FRAME : MLLP_TOOBIG;
			r->state = ST_OUT;
			return (enum mllp_event)c;
		}
	}
	*used = n;
	return MLLP_MORE;
}

/* ---- the listener ---- */

struct conn {
	struct mllp_server	*s;
	int			 fd;
	int			 slot;
	struct mllp_peer	 peer;
};

struct mllp_server {
	struct mllp_opts	 o;		/* o.tls NULL: see tls */
	int			 secure;	/* TLS (o.tls given) */
	SSL_CTX			*tls;		/* of new handshakes, under mu;
						   a reference of its own */
	int			 lfd, port;
	int			 stop_pipe[2];
	pthread_t		 acceptor;
	int			 acceptor_on;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			*fds;		/* max_conns; -1 free */
	int			 nconns;
	int			 stopping;
	struct ratelimit	*refusals;	/* their log lines */
};

static void
set_timeout(int fd, int sec)
{
	struct timeval tv;

	tv.tv_sec = sec;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int
conn_read(struct conn *c, SSL *ssl, char *p, size_t n)
{
	int k;

	if (ssl != NULL) {
		k = SSL_read(ssl, p, (int)n);
		return k > 0 ? k : -1;
	}
	do
		k = (int)read(c->fd, p, n);
	while (k < 0 && errno == EINTR);
	return k > 0 ? k : -1;
}

static int
conn_write(struct conn *c, SSL *ssl, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if (ssl != NULL)
			k = SSL_write(ssl, p, (int)n);
		else
			k = send(c->fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && ssl == NULL && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The answer of one message, framed. */
static int
answer(struct conn *c, SSL *ssl, struct mllp_reader *r, int toobig)
{
	struct buf out;
	int rc = -1;

	buf_init(&out, MAX_ANSWER);
	if (buf_add(&out, "\x0b", 1) != XDS_OK ||
	    c->s->o.fn(c->s->o.arg, &c->peer, r->buf, r->len, toobig,
	    &out) != 0 || buf_add(&out, "\x1c\r", 2) != XDS_OK)
		goto out;
	rc = conn_write(c, ssl, out.b_data, out.b_len);
out:
	buf_free(&out);
	return rc;
}

static void
peer_addr(int fd, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	str_lcpy(out, "unknown", outsz);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out,
		    (socklen_t)outsz);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    out, (socklen_t)outsz);
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct mllp_server *s = c->s;
	struct mllp_reader r;
	SSL *ssl = NULL;
	char *chunk = NULL, more[128];
	size_t off, used;
	int n, ev;

	if (mllp_reader_init(&r, s->o.max_message) != XDS_OK ||
	    (chunk = malloc(READ_CHUNK)) == NULL)
		goto out;
	if (s->secure) {
		/* the context of now: a reload swaps it for the next
		 * handshakes (the SSL holds its own reference) */
		pthread_mutex_lock(&s->mu);
		ssl = SSL_new(s->tls);
		pthread_mutex_unlock(&s->mu);
		if (ssl == NULL || SSL_set_fd(ssl, c->fd) != 1 ||
		    SSL_accept(ssl) != 1) {
			if (ratelimit_peer(s->refusals, c->peer.addr, "tls",
			    more, sizeof more))
				log_warnx("mllp: %s: TLS handshake failed%s",
				    c->peer.addr, more);
			ERR_clear_error();
			goto out;
		}
		/* past the handshake: the idle timeout */
		set_timeout(c->fd, s->o.idle_timeout);
		if (tls_peer_subject(ssl, c->peer.subject,
		    sizeof c->peer.subject) != 0)
			c->peer.subject[0] = '\0';
	}
	while ((n = conn_read(c, ssl, chunk, READ_CHUNK)) > 0) {
		for (off = 0; off < (size_t)n; off += used) {
			ev = mllp_reader_push(&r, chunk + off, (size_t)n - off,
			    &used);
			if (ev == MLLP_BAD) {
				log_warnx("mllp: %s: not MLLP framing, or a "
				    "message past %d times the limit: closed",
				    c->peer.addr, MLLP_DISCARD_FACTOR);
				goto out;
			}
			if ((ev == MLLP_FRAME || ev == MLLP_TOOBIG) &&
			    answer(c, ssl, &r, ev == MLLP_TOOBIG) != 0)
				goto out;
		}
	}
out:
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	/* OpenSSL's state of this thread goes now, not after mllp_stop
	 * has returned */
	if (s->secure) {
		ERR_clear_error();
		OPENSSL_thread_stop();
	}
	free(chunk);
	mllp_reader_free(&r);
	pthread_mutex_lock(&s->mu);
	s->fds[c->slot] = -1;
	s->nconns--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	close(c->fd);
	free(c);
	return NULL;
}

/* Take connection fd: a thread for it, or closed when there is no
 * room. */
static void
take(struct mllp_server *s, int fd)
{
	struct conn *c = NULL;
	pthread_attr_t at;
	pthread_t t;
	char addr[64], more[128];
	int i, slot = -1;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->o.max_conns && !s->stopping; i++)
		if (s->fds[i] == -1) {
			slot = i;
			break;
		}
	if (slot >= 0 && (c = calloc(1, sizeof *c)) != NULL) {
		s->fds[slot] = fd;
		s->nconns++;
	}
	pthread_mutex_unlock(&s->mu);
	if (c == NULL) {
		peer_addr(fd, addr, sizeof addr);
		if (ratelimit_peer(s->refusals, addr, "full", more,
		    sizeof more))
			log_warnx("mllp: connection from %s refused: %d at "
			    "once already%s", addr, s->o.max_conns, more);
		close(fd);
		return;
	}
	c->s = s;
	c->fd = fd;
	c->slot = slot;
	peer_addr(fd, c->peer.addr, sizeof c->peer.addr);
	/* a TLS handshake gets little time: a peer that stalls in it
	 * holds one of the few slots */
	set_timeout(fd, s->secure ? MLLP_HANDSHAKE : s->o.idle_timeout);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, conn_main, c) != 0) {
		pthread_mutex_lock(&s->mu);
		s->fds[slot] = -1;
		s->nconns--;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		close(fd);
		free(c);
	}
	pthread_attr_destroy(&at);
}

static void *
accept_main(void *arg)
{
	struct mllp_server *s = arg;
	struct pollfd pf[2];
	int fd, fl;

	pf[0].fd = s->lfd;
	pf[0].events = POLLIN;
	pf[1].fd = s->stop_pipe[0];
	pf[1].events = POLLIN;
	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents != 0)
			break;
		if ((fd = accept(s->lfd, NULL, NULL)) < 0)
			continue;
		/* the connection blocks, with timeouts */
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			close(fd);
			continue;
		}
		take(s, fd);
	}
	return NULL;
}

int
mllp_start(const struct mllp_opts *o, struct mllp_server **out, char *err,
    size_t errlen)
{
	struct mllp_server *s;
	sigset_t all, old;
	int i, e;

	*out = NULL;
	if (o->fn == NULL || o->max_conns < 1 || o->max_message < 16) {
		str_fmt(err, errlen, "mllp: bad options");
		return XDS_EINVAL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->fds = calloc((size_t)o->max_conns, sizeof *s->fds)) == NULL ||
	    (s->refusals = ratelimit_new(256, MLLP_LOG_EVERY)) == NULL) {
		if (s != NULL)
			free(s->fds);
		free(s);
		str_fmt(err, errlen, "mllp: out of memory");
		return XDS_ENOMEM;
	}
	s->o = *o;
	s->o.tls = NULL;
	if (o->tls != NULL && SSL_CTX_up_ref(o->tls) == 1) {
		s->secure = 1;
		s->tls = o->tls;
	}
	s->lfd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
	for (i = 0; i < o->max_conns; i++)
		s->fds[i] = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (o->tls != NULL && !s->secure) {
		str_fmt(err, errlen, "mllp: the TLS context: no reference");
		goto fail;
	}
	if (http_tcp_listen("mllp", o->host, o->port, &s->lfd, &s->port, err,
	    errlen) != 0)
		goto fail;
	if (pipe(s->stop_pipe) != 0) {
		str_fmt(err, errlen, "mllp: pipe: %s", strerror(errno));
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&s->acceptor, NULL, accept_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		str_fmt(err, errlen, "mllp: thread: %s", strerror(e));
		goto fail;
	}
	s->acceptor_on = 1;
	*out = s;
	return XDS_OK;
fail:
	mllp_stop(s);
	return XDS_EIO;
}

int
mllp_port(const struct mllp_server *s)
{
	return s->port;
}

int
mllp_set_tls(struct mllp_server *s, SSL_CTX *ctx)
{
	SSL_CTX *old;

	if (!s->secure || ctx == NULL) {
		SSL_CTX_free(ctx);
		return XDS_EINVAL;
	}
	pthread_mutex_lock(&s->mu);
	old = s->tls;
	s->tls = ctx;
	pthread_mutex_unlock(&s->mu);
	SSL_CTX_free(old);	/* live connections hold their own */
	return XDS_OK;
}

/* Shut every connection down (how: SHUT_RD, SHUT_RDWR); mu held. */
static void
shut_all(struct mllp_server *s, int how)
{
	int i;

	for (i = 0; i < s->o.max_conns; i++)
		if (s->fds[i] != -1)
			shutdown(s->fds[i], how);
}

void
mllp_stop(struct mllp_server *s)
{
	struct timespec dl;

	if (s == NULL)
		return;
	if (s->acceptor_on) {
		(void)write(s->stop_pipe[1], "x", 1);
		pthread_join(s->acceptor, NULL);
	}
	/* Reading ends (a connection waiting for its next message sees its
	 * end); a message in hand is still answered, within
	 * MLLP_STOP_GRACE seconds, then writing ends too. */
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += MLLP_STOP_GRACE;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	shut_all(s, SHUT_RD);
	while (s->nconns > 0 && pthread_cond_timedwait(&s->cv, &s->mu,
	    &dl) == 0)
		;
	shut_all(s, SHUT_RDWR);
	while (s->nconns > 0)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	if (s->lfd != -1)
		close(s->lfd);
	if (s->stop_pipe[0] != -1) {
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	SSL_CTX_free(s->tls);
	ratelimit_free(s->refusals);
	free(s->fds);
	free(s);
}
