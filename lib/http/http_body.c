/*
 * http_body.c: the request body as a stream in constant memory
 * (Content-Length or chunked), the body limit, the lazy "100 Continue"
 * and the minimum transfer rate.
 *
 * The rate is measured over the time spent waiting for the client only
 * (not the handler's own work between reads): after a first window of
 * body_rate_window_ms (the grace: slow start, a client that waits for
 * the 100), each window of that much waiting must bring min_body_rate
 * bytes per second, or the read fails with XDS_ETIMEOUT and the answer
 * is 408 (http_body_status).
 */
#include "config.h"

#include <string.h>

#include "http_int.h"
#include "log.h"

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

void
http_set_body_limit(struct http_conn *c, long long max)
{
	c->body_limit = max < 0 ? -1 : max;
}

static ssize_t
body_fail(struct http_conn *c, int err)
{
	c->body_err = err;
	c->close_after = 1;
	if (err == XDS_ETIMEOUT) {
		/* The client is slow, the socket fine: leave time to say
		 * 408 (the response is small). */
		c->broken = 0;
		c->deadline = http_now_ms() + (long long)c->io_timeout * 1000;
		http_refused(c->srv, c->body_slow ? HTTP_REFUSE_SLOW_BODY :
		    HTTP_REFUSE_BODY_TIMEOUT);
	} else if (err == XDS_EFORMAT)
		http_refused(c->srv, HTTP_REFUSE_BAD_BODY);
	return err;
}

int
http_body_status(const struct http_conn *c)
{
	if (c->resp_state != RESP_NONE || c->broken)
		return 0;
	switch (c->body_err) {
	case XDS_EFORMAT:
		return 400;
	case XDS_ETIMEOUT:
		return 408;
	case XDS_ETOOBIG:
		return 413;
	default:
		return 0;
	}
}

/*
 * Receive body bytes, checking the minimum rate while waiting for them
 * (see the top of this file): bytes, 0 on EOF, or enum xds_status.
 */
static ssize_t
body_recv(struct http_conn *c, void *buf, size_t len)
{
	const struct http_server_opts *o = &c->srv->o;
	long long t0, t1, win = o->body_rate_window_ms, saved = c->deadline;
	ssize_t n;

	if (o->min_body_rate <= 0)
		return http_io_recv(c, buf, len);
	for (;;) {
		t0 = http_now_ms();
		if (saved <= 0 || t0 + win - c->rate_wait < saved)
			c->deadline = t0 + win - c->rate_wait;
		n = http_io_recv(c, buf, len);
		c->deadline = saved;
		t1 = http_now_ms();
		c->rate_wait += t1 - t0;
		if (n > 0)
			c->rate_bytes += n;
		if (c->rate_wait < win)
			return n;
		if (c->rate_graced && c->rate_bytes * 1000 <
		    (long long)o->min_body_rate * c->rate_wait) {
			log_debug("http: %s: body slower than %d bytes/s",
			    c->peer_addr, o->min_body_rate);
			c->body_slow = 1;
			return XDS_ETIMEOUT;
		}
		c->rate_graced = 1;
		c->rate_wait = c->rate_bytes = 0;
		if (n != XDS_ETIMEOUT || (saved > 0 && t1 >= saved))
			return n;
		c->broken = 0;	/* the window's end, not a failure */
	}
}

/*
 * Make room at the end of rbuf by moving unconsumed bytes down to the end
 * of the request head (whose strings the handler still uses).  At least
 * HTTP_RBUF_EXTRA bytes are then free, as the head is at most max_head.
 */
static void
rbuf_compact(struct http_conn *c)
{
	if (c->rpos == c->rfloor)
		return;
	if (c->rlen > c->rpos)
		memmove(c->rbuf + c->rfloor, c->rbuf + c->rpos,
		    c->rlen - c->rpos);
	c->rlen -= c->rpos - c->rfloor;
	c->rpos = c->rfloor;
}

/* First read: check the declared length against the limit, then 100. */
static int
body_start(struct http_conn *c)
{
	int rc;

	c->body_started = 1;
	if (c->body_limit >= 0 && c->body_mode == BODY_LENGTH &&
	    c->req.content_length > c->body_limit)
		return XDS_ETOOBIG;
	if (c->req.expect_continue && c->resp_state == RESP_NONE) {
		if ((rc = http_io_send_all(c, continue_line,
		    sizeof continue_line - 1)) != 0)
			return rc;
	}
	return 0;
}

static ssize_t
read_length(struct http_conn *c, char *buf, size_t len)
{
	size_t avail = c->rlen - c->rpos;
	ssize_t n;

	if (len > c->body_left)
		len = (size_t)c->body_left;
	if (avail > 0) {
		n = (ssize_t)(avail < len ? avail : len);
		memcpy(buf, c->rbuf + c->rpos, (size_t)n);
		c->rpos += (size_t)n;
	} else if ((n = body_recv(c, buf, len)) <= 0)
		return n == 0 ? XDS_EIO : n;	/* EOF before the end */
	c->body_left -= (unsigned long long)n;
	if (c->body_left == 0)
		c->body_done = 1;
	return n;
}

static ssize_t
read_chunked(struct http_conn *c, char *buf, size_t len)
{
	size_t used, outn;
	ssize_t n;
	int rc;

	for (;;) {
		if (c->rpos < c->rlen) {
			rc = http_chunked_decode(&c->chunked, c->rbuf + c->rpos,
			    c->rlen - c->rpos, &used, buf, len, &outn);
			c->rpos += used;
			if (rc == HTTP_CHUNKED_ERR) {
				log_debug("http: %s: chunked body: %s",
				    c->peer_addr, c->chunked.error);
				return XDS_EFORMAT;
			}
			if (rc == HTTP_CHUNKED_DONE)
				c->body_done = 1;
			if (outn > 0 || c->body_done)
				return (ssize_t)outn;
		}
		rbuf_compact(c);
		n = body_recv(c, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n <= 0)
			return n == 0 ? XDS_EIO : n;
		c->rlen += (size_t)n;
	}
}

ssize_t
http_body_read(struct http_conn *c, void *buf, size_t len)
{
	ssize_t n;
	int rc;

	if (c->body_err != 0)
		return c->body_err;
	if (c->body_mode == BODY_NONE || c->body_done || len == 0)
		return 0;
	if (!c->body_started && (rc = body_start(c)) != 0)
		return body_fail(c, rc);
	/* Stop one byte past the limit: enough to tell it was crossed. */
	if (c->body_limit >= 0 && (unsigned long long)len >
	    (unsigned long long)(c->body_limit - c->body_total) + 1)
		len = (size_t)(c->body_limit - c->body_total) + 1;
	if (c->body_mode == BODY_LENGTH)
		n = read_length(c, buf, len);
	else
		n = read_chunked(c, buf, len);
	if (n < 0)
		return body_fail(c, (int)n);
	c->body_total += n;
	if (c->body_limit >= 0 && c->body_total > c->body_limit)
		return body_fail(c, XDS_ETOOBIG);
	return n;
}
