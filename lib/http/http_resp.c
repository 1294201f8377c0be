/*
 * http_resp.c: responses (Content-Length or chunked), reason phrases and
 * header lookup.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_int.h"
#include "str.h"

static const struct {
	int		 status;
	const char	*reason;
} reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 417, "Expectation Failed" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

const char *
http_header(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (str_caseeq(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

void
http_close_after(struct http_conn *c)
{
	c->close_after = 1;
}

/* Whether the connection can stay open after this response. */
static int
must_close(struct http_conn *c)
{
	if (c->close_after || c->last_request || !c->req.keep_alive ||
	    http_server_stopping(c->srv))
		return 1;
	/* An unread body: the server does not read the rest. */
	if (c->body_mode != BODY_NONE && !c->body_done)
		return 1;
	return 0;
}

static int
status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

int
http_respond_begin(struct http_conn *c, int status, const char *content_type,
    long long content_length, const char *extra_headers)
{
	char head[1024], date[64];
	struct tm tm;
	time_t now;
	int n, rc;

	if (c->resp_state != RESP_NONE || status < 200 || status > 999)
		return XDS_EINVAL;
	c->resp_state = RESP_STREAMING;
	c->resp_nobody = c->is_head || !status_has_body(status);
	c->resp_chunked = 0;
	c->resp_unframed = 0;
	c->resp_left = 0;
	if (content_length < 0) {
		if (c->req.version_minor == 0 && !c->resp_nobody) {
			c->close_after = 1;	/* 1.0: delimited by close */
			c->resp_unframed = 1;
		} else
			c->resp_chunked = !c->resp_nobody;
	} else
		c->resp_left = c->resp_nobody ? 0 :
		    (unsigned long long)content_length;
	if (must_close(c))
		c->close_after = 1;

	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		date[0] = '\0';
	n = str_fmt(head, sizeof head, "HTTP/1.1 %d %s\r\nDate: %s\r\n",
	    status, http_reason(status), date);
	if (n < 0)
		return XDS_EINVAL;
	if ((rc = http_io_out(c, head, (size_t)n)) != 0)
		return rc;
	if (content_type != NULL && *content_type != '\0') {
		n = str_fmt(head, sizeof head, "Content-Type: %s\r\n",
		    content_type);
		if (n < 0 || strpbrk(content_type, "\r\n") != NULL)
			return XDS_EINVAL;
		if ((rc = http_io_out(c, head, (size_t)n)) != 0)
			return rc;
	}
	if (status_has_body(status)) {
		if (content_length >= 0)
			n = str_fmt(head, sizeof head,
			    "Content-Length: %lld\r\n", content_length);
		else if (c->req.version_minor >= 1)
			n = str_fmt(head, sizeof head,
			    "Transfer-Encoding: chunked\r\n");
		else
			n = 0;
		if (n < 0)
			return XDS_EINVAL;
		if (n > 0 && (rc = http_io_out(c, head, (size_t)n)) != 0)
			return rc;
	}
	if (c->close_after)
		rc = http_io_out(c, "Connection: close\r\n", 19);
	else if (c->req.version_minor == 0)
		rc = http_io_out(c, "Connection: keep-alive\r\n", 24);
	else
		rc = 0;
	if (rc != 0)
		return rc;
	if (extra_headers != NULL &&
	    (rc = http_io_out(c, extra_headers, strlen(extra_headers))) != 0)
		return rc;
	return http_io_out(c, "\r\n", 2);
}

int
http_respond_write(struct http_conn *c, const void *p, size_t len)
{
	char line[32];
	int n, rc;

	if (c->resp_state != RESP_STREAMING)
		return XDS_EINVAL;
	if (c->resp_nobody || len == 0)
		return 0;
	if (c->resp_chunked) {
		n = str_fmt(line, sizeof line, "%zx\r\n", len);
		if (n < 0)
			return XDS_EINVAL;
		if ((rc = http_io_out(c, line, (size_t)n)) != 0 ||
		    (rc = http_io_out(c, p, len)) != 0)
			return rc;
		return http_io_out(c, "\r\n", 2);
	}
	if (!c->resp_unframed) {
		/* Content-Length: never more than announced. */
		if (len > c->resp_left) {
			c->close_after = 1;
			return XDS_EINVAL;
		}
		c->resp_left -= len;
	}
	return http_io_out(c, p, len);
}

int
http_respond_end(struct http_conn *c)
{
	int rc;

	if (c->resp_state != RESP_STREAMING)
		return XDS_EINVAL;
	c->resp_state = RESP_DONE;
	if (c->resp_chunked && (rc = http_io_out(c, "0\r\n\r\n", 5)) != 0)
		return rc;
	if (!c->resp_chunked && !c->resp_unframed && c->resp_left > 0) {
		/* Fewer bytes than announced: the peer must see a close. */
		c->close_after = 1;
		c->broken = 1;
		c->olen = 0;
		return XDS_EINVAL;
	}
	return http_io_flush(c);
}

int
http_respond(struct http_conn *c, int status, const char *content_type,
    const void *body, size_t len)
{
	int rc;

	if ((rc = http_respond_begin(c, status, content_type,
	    (long long)len, NULL)) != 0)
		return rc;
	if ((rc = http_respond_write(c, body, len)) != 0)
		return rc;
	return http_respond_end(c);
}

int
http_resp_error(struct http_conn *c, int status, const char *extra)
{
	char body[128];
	int n;

	c->close_after = 1;
	n = str_fmt(body, sizeof body, "%d %s\n", status, http_reason(status));
	if (n < 0)
		n = 0;
	if (http_respond_begin(c, status, "text/plain", n, extra) != 0 ||
	    http_respond_write(c, body, (size_t)n) != 0)
		return XDS_EIO;
	return http_respond_end(c);
}
