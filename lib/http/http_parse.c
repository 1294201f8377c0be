/*
 * http_parse.c: strict, allocation-free HTTP/1.1 request-head parser.
 * See http_parse.h for what is rejected and why.
 */
#include "config.h"

#include <string.h>

#include "http_parse.h"

#define CL_MAX_DIGITS	18	/* < 10^18 fits a long long */

int
http_parse_is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive compare of a span with a lower-case literal. */
static int
span_is(const struct http_span *s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s->len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s->p[i]) != (unsigned char)lit[i])
			return 0;
	return 1;
}

static int
fail(struct http_head *h, int status, const char *why)
{
	h->status = status;
	h->error = why;
	return HTTP_PARSE_ERR;
}

/*
 * Request-line: method SP request-target SP HTTP-version CRLF.  *pp is
 * advanced past the CRLF on DONE.
 */
static int
parse_request_line(const char **pp, const char *end, struct http_head *h)
{
	const char *p = *pp, *s;
	size_t max_target = h->max_target ? h->max_target : HTTP_PARSE_MAX_TARGET;

	for (s = p; p < end && http_parse_is_tchar((unsigned char)*p); p++)
		if ((size_t)(p - s) >= HTTP_PARSE_MAX_METHOD)
			return fail(h, 501, "method too long");
	if (p == end)
		return HTTP_PARSE_MORE;
	if (p == s || *p != ' ')
		return fail(h, 400, "bad method");
	h->method.p = s;
	h->method.len = (size_t)(p - s);
	p++;

	for (s = p; p < end && *p > 0x20 && *p < 0x7f; p++)
		if ((size_t)(p - s) >= max_target)
			return fail(h, 414, "request-target too long");
	if (p == end)
		return HTTP_PARSE_MORE;
	if (p == s || *p != ' ')
		return fail(h, 400, "bad request-target");
	h->target.p = s;
	h->target.len = (size_t)(p - s);
	p++;

	/* "HTTP/" DIGIT "." DIGIT CRLF: check the prefix as it arrives. */
	{
		static const char proto[] = "HTTP/d.d\r\n";
		size_t i;

		for (i = 0; i < sizeof proto - 1; i++, p++) {
			if (p == end)
				return HTTP_PARSE_MORE;
			if (proto[i] == 'd') {
				if (*p < '0' || *p > '9')
					return fail(h, 400, "bad HTTP-version");
			} else if (*p != proto[i])
				return fail(h, 400, i < 8 ? "bad HTTP-version" :
				    "request-line not ended by CRLF");
		}
		s = p - 10;
		if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
			return fail(h, 505, "HTTP version not supported");
		h->version_minor = s[7] - '0';
	}
	*pp = p;
	return HTTP_PARSE_DONE;
}

/* What the server needs to know from the fields; 0 or a parse error. */
static int
field_semantics(struct http_head *h, const struct http_field *f, int *nhost,
    int *te_seen)
{
	const struct http_span *v = &f->value;
	size_t i;

	if (span_is(&f->name, "content-length")) {
		long long n = 0;

		if (h->content_length != -1)
			return fail(h, 400, "repeated Content-Length");
		if (v->len == 0 || v->len > CL_MAX_DIGITS)
			return fail(h, 400, "bad Content-Length");
		for (i = 0; i < v->len; i++) {
			if (v->p[i] < '0' || v->p[i] > '9')
				return fail(h, 400, "bad Content-Length");
			n = n * 10 + (v->p[i] - '0');
		}
		h->content_length = n;
	} else if (span_is(&f->name, "transfer-encoding")) {
		if (*te_seen || !span_is(v, "chunked"))
			return fail(h, 501, "transfer-coding not implemented");
		*te_seen = 1;
		h->chunked = 1;
	} else if (span_is(&f->name, "host")) {
		(*nhost)++;
	} else if (span_is(&f->name, "expect")) {
		if (!span_is(v, "100-continue"))
			return fail(h, 417, "unsupported expectation");
		h->expect_continue = h->version_minor >= 1;
	} else if (span_is(&f->name, "connection")) {
		/* Comma-separated connection options. */
		struct http_span t;
		const char *p = v->p, *end = v->p + v->len;

		while (p < end) {
			while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
				p++;
			for (t.p = p; p < end && *p != ',' && *p != ' ' &&
			    *p != '\t'; p++)
				;
			t.len = (size_t)(p - t.p);
			if (span_is(&t, "close"))
				h->conn_close = 1;
			else if (span_is(&t, "keep-alive"))
				h->conn_keep_alive = 1;
		}
	}
	return 0;
}

/* One field line at *pp; DONE with *pp past its CRLF. */
static int
parse_field(const char **pp, const char *end, struct http_field *f)
{
	const char *p = *pp, *vs, *ve;

	for (f->name.p = p; p < end && http_parse_is_tchar((unsigned char)*p); p++)
		;
	if (p == end)
		return HTTP_PARSE_MORE;
	if (p == f->name.p || *p != ':')
		return *p == ' ' || *p == '\t' ? -2 : -3;
	f->name.len = (size_t)(p - f->name.p);
	p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (vs = ve = p; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -4;
		if (c != ' ' && c != '\t')
			ve = p + 1;
	}
	if (end - p < 2)
		return HTTP_PARSE_MORE;
	if (p[1] != '\n')
		return -4;
	f->value.p = vs;
	f->value.len = (size_t)(ve - vs);
	*pp = p + 2;
	return HTTP_PARSE_DONE;
}

int
http_parse_head(const char *buf, size_t len, struct http_head *h)
{
	const char *p = buf, *end;
	int rc, nhost = 0, te_seen = 0, full;
	struct http_field scratch;

	h->nfields = 0;
	h->head_len = 0;
	h->content_length = -1;
	h->chunked = h->expect_continue = 0;
	h->conn_close = h->conn_keep_alive = 0;
	h->version_minor = 1;
	h->status = 0;
	h->error = NULL;
	h->method.p = h->target.p = NULL;
	h->method.len = h->target.len = 0;

	full = len >= h->max_head;
	end = buf + (full ? h->max_head : len);

	/* Empty lines before the request-line. */
	while (p < end && *p == '\r') {
		if (end - p < 2)
			goto more;
		if (p[1] != '\n')
			return fail(h, 400, "bare CR");
		p += 2;
	}
	if (p < end && *p == '\n')
		return fail(h, 400, "bare LF");

	if ((rc = parse_request_line(&p, end, h)) != HTTP_PARSE_DONE) {
		if (rc == HTTP_PARSE_MORE)
			goto more;
		return rc;
	}

	for (;;) {
		struct http_field *f;

		if (p == end)
			goto more;
		if (*p == '\r') {
			if (end - p < 2)
				goto more;
			if (p[1] != '\n')
				return fail(h, 400, "bare CR");
			p += 2;
			break;
		}
		if (*p == ' ' || *p == '\t')
			return fail(h, 400, "obs-fold or whitespace before a field");
		f = h->nfields < h->max_fields ? &h->fields[h->nfields] : &scratch;
		rc = parse_field(&p, end, f);
		if (rc == HTTP_PARSE_MORE)
			goto more;
		if (rc == -2)
			return fail(h, 400, "whitespace before the colon");
		if (rc == -3)
			return fail(h, 400, "bad field name");
		if (rc == -4)
			return fail(h, 400, "bad character in field value");
		if (h->nfields >= h->max_fields)
			return fail(h, 431, "too many header fields");
		h->nfields++;
		if (field_semantics(h, f, &nhost, &te_seen) != 0)
			return HTTP_PARSE_ERR;
	}

	if (h->chunked && h->content_length != -1)
		return fail(h, 400, "Content-Length with Transfer-Encoding");
	if (h->chunked && h->version_minor == 0)
		return fail(h, 400, "Transfer-Encoding in HTTP/1.0");
	if (h->version_minor == 1 && nhost != 1)
		return fail(h, 400, nhost ? "repeated Host" : "missing Host");
	h->head_len = (size_t)(p - buf);
	return HTTP_PARSE_DONE;

more:
	if (full)
		return fail(h, 431, "request head too large");
	return HTTP_PARSE_MORE;
}
