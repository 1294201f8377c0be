/*
 * http_io.c: socket and TLS I/O with deadlines.  Sockets are
 * non-blocking.  In a worker every wait is a poll() bounded by the
 * smaller of io_timeout (no progress) and the deadline of the current
 * phase (request, body rate window); the event loop uses the *_nb calls,
 * which never wait and say what to wait for instead.  For TLS the SSL
 * call is tried first, so bytes already buffered inside OpenSSL
 * (SSL_pending) are used before polling.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http_int.h"
#include "log.h"

long long
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Deadline of the next wait: no progress for io_timeout, or the phase. */
static long long
io_deadline(const struct http_conn *c)
{
	long long d = http_now_ms() + (long long)c->io_timeout * 1000;

	return c->deadline > 0 && c->deadline < d ? c->deadline : d;
}

/* Poll fd for events until deadline_ms: 0 ready, or enum xds_status. */
static int
io_wait(int fd, short events, long long deadline_ms)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		left = deadline_ms - http_now_ms();
		if (left <= 0)
			return XDS_ETIMEOUT;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR)
			return XDS_EIO;
		if (n > 0)
			return 0;	/* POLLERR/POLLHUP: the next call reports */
	}
}

/* Map an SSL_get_error() result to a wait or an error. */
static int
tls_wait(struct http_conn *c, int ret, long long deadline_ms)
{
	int e = SSL_get_error(c->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return io_wait(c->fd, POLLIN, deadline_ms);
	case SSL_ERROR_WANT_WRITE:
		return io_wait(c->fd, POLLOUT, deadline_ms);
	case SSL_ERROR_ZERO_RETURN:
		return 1;		/* close_notify: EOF */
	default:
		if (log_verbosity >= LOG_LVL_DEBUG) {
			char ebuf[256];

			ERR_error_string_n(ERR_peek_last_error(), ebuf,
			    sizeof ebuf);
			log_debug("http: %s: TLS error %d: %s", c->peer_addr,
			    e, ebuf);
		}
		ERR_clear_error();
		c->broken = 1;
		return XDS_EIO;
	}
}

/* SSL_get_error() after a call that did not complete, without waiting:
 * HTTP_IO_AGAIN with *want, 0 for close_notify, or XDS_EIO. */
static int
tls_nb(struct http_conn *c, int ret, unsigned *want)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*want = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
		return HTTP_IO_AGAIN;
	}
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	c->broken = 1;
	return XDS_EIO;
}

int
http_io_tls_step(struct http_conn *c, unsigned *want)
{
	int ret, rc;

	ERR_clear_error();
	if ((ret = SSL_accept(c->ssl)) == 1)
		return 0;
	rc = tls_nb(c, ret, want);
	return rc == 0 ? XDS_EIO : rc;
}

ssize_t
http_io_recv_nb(struct http_conn *c, void *buf, size_t len, unsigned *want)
{
	ssize_t n;
	int ret;

	if (c->broken)
		return XDS_EIO;
	if (c->ssl != NULL) {
		ERR_clear_error();
		ret = SSL_read(c->ssl, buf, len > 0x40000000 ? 0x40000000 :
		    (int)len);
		return ret > 0 ? ret : tls_nb(c, ret, want);
	}
	for (;;) {
		if ((n = recv(c->fd, buf, len, 0)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*want = EPOLLIN;
			return HTTP_IO_AGAIN;
		}
		c->broken = 1;
		return XDS_EIO;
	}
}

void
http_io_send_nb(struct http_conn *c, const char *p, size_t len)
{
	if (c->broken)
		return;
	if (c->ssl != NULL) {
		ERR_clear_error();
		(void)SSL_write(c->ssl, p, (int)len);
		ERR_clear_error();
	} else
		(void)!send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

ssize_t
http_io_recv(struct http_conn *c, void *buf, size_t len)
{
	ssize_t n;
	int rc, ret;

	if (c->broken)
		return XDS_EIO;
	if (len == 0)
		return 0;
	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			ret = SSL_read(c->ssl, buf, len > 0x40000000 ?
			    0x40000000 : (int)len);
			if (ret > 0)
				return ret;
			if ((rc = tls_wait(c, ret, io_deadline(c))) == 1)
				return 0;
		} else {
			n = recv(c->fd, buf, len, 0);
			if (n >= 0)
				return n;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_debug("http: %s: recv: %s", c->peer_addr,
				    strerror(errno));
				c->broken = 1;
				return XDS_EIO;
			}
			rc = io_wait(c->fd, POLLIN, io_deadline(c));
		}
		if (rc != 0) {
			c->broken = 1;
			return rc;
		}
	}
}

int
http_io_send_all(struct http_conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int rc, ret;

	if (c->broken)
		return XDS_EIO;
	while (len > 0) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			ret = SSL_write(c->ssl, p, len > 0x40000000 ?
			    0x40000000 : (int)len);
			if (ret > 0) {
				p += ret;
				len -= (size_t)ret;
				continue;
			}
			if ((rc = tls_wait(c, ret, io_deadline(c))) == 1)
				rc = XDS_EIO;
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n >= 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_debug("http: %s: send: %s", c->peer_addr,
				    strerror(errno));
				rc = XDS_EIO;
			} else
				rc = io_wait(c->fd, POLLOUT, io_deadline(c));
		}
		if (rc != 0) {
			c->broken = 1;
			return rc;
		}
	}
	return 0;
}

int
http_io_flush(struct http_conn *c)
{
	int rc;

	if (c->olen == 0)
		return c->broken ? XDS_EIO : 0;
	rc = http_io_send_all(c, c->obuf, c->olen);
	c->olen = 0;
	return rc;
}

int
http_io_out(struct http_conn *c, const void *p, size_t len)
{
	int rc;

	if (c->olen + len > HTTP_OBUF_SIZE) {
		if ((rc = http_io_flush(c)) != 0)
			return rc;
		if (len >= HTTP_OBUF_SIZE)
			return http_io_send_all(c, p, len);
	}
	memcpy(c->obuf + c->olen, p, len);
	c->olen += len;
	return c->broken ? XDS_EIO : 0;
}

void
http_io_close(struct http_conn *c, int linger)
{
	char junk[4096];
	long long end;
	size_t total = 0;
	ssize_t n;

	if (c->ssl != NULL) {
		if (!c->broken) {
			ERR_clear_error();
			(void)SSL_shutdown(c->ssl);	/* one close_notify */
		}
		ERR_clear_error();
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0 && linger && !c->broken &&
	    shutdown(c->fd, SHUT_WR) == 0) {
		end = http_now_ms() + HTTP_LINGER_MS;
		while (total < HTTP_LINGER_BYTES &&
		    io_wait(c->fd, POLLIN, end) == 0) {
			n = recv(c->fd, junk, sizeof junk, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR))
				break;
			if (n > 0)
				total += (size_t)n;
		}
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}
