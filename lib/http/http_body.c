/*
 * http_body.c: the request body as a stream in constant memory
 * (Content-Length or chunked), the body limit and the lazy
 * "100 Continue".
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
	return err;
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
	} else if ((n = http_io_recv(c, buf, len)) <= 0)
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
		n = http_io_recv(c, c->rbuf + c->rlen, c->rcap - c->rlen);
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
