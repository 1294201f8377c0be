/*
 * http_parse.h: pure, allocation-free HTTP/1.1 request-head parser
 * (picohttpparser-like).  It returns spans into the caller's buffer and
 * never touches sockets or globals.
 *
 * Strict by design (RFC 9112, RFC 9110): line ends must be CRLF; a bare
 * LF or bare CR is rejected with 400.  RFC 9112 section 2.2 lets a
 * recipient accept a lone LF, but a parser that is more lenient than its
 * peers is how request smuggling starts, and our peers (IHE actors) all
 * send CRLF.  Empty lines before the request-line are skipped (section
 * 2.2, SHOULD).
 *
 * Rejected, with the status to answer:
 *   400  bad request-line, bare CR/LF, obs-fold, whitespace before the
 *        colon, non-token field name, NUL or control characters in a
 *        value, invalid/duplicate/signed Content-Length, Content-Length
 *        together with Transfer-Encoding, Transfer-Encoding in HTTP/1.0,
 *        missing or repeated Host in HTTP/1.1
 *   414  request-target longer than max_target
 *   417  an Expect other than 100-continue
 *   431  more than max_fields header fields, or head longer than max_head
 *   501  a transfer-coding other than (a single) chunked; a method longer
 *        than HTTP_PARSE_MAX_METHOD
 *   505  an HTTP version other than 1.0 and 1.1
 */
#ifndef XDS_HTTP_PARSE_H
#define XDS_HTTP_PARSE_H

#include <stddef.h>

#define HTTP_PARSE_MAX_TARGET	8192	/* default request-target bound */
#define HTTP_PARSE_MAX_METHOD	32

enum http_parse_rc {
	HTTP_PARSE_DONE = 0,	/* complete head, h->head_len bytes */
	HTTP_PARSE_MORE = 1,	/* valid so far, need more bytes */
	HTTP_PARSE_ERR = -1,	/* h->status and h->error say why */
};

struct http_span {
	const char	*p;
	size_t		 len;
};

struct http_field {
	struct http_span name;
	struct http_span value;		/* OWS trimmed */
};

struct http_head {
	/* Set by the caller before http_parse_head(). */
	struct http_field *fields;	/* array of max_fields */
	size_t		 max_fields;
	size_t		 max_head;	/* bytes, leading empty lines included */
	size_t		 max_target;	/* 0: HTTP_PARSE_MAX_TARGET */

	/* Results (valid on HTTP_PARSE_DONE). */
	struct http_span method;
	struct http_span target;
	int		 version_minor;	/* 0 or 1 */
	size_t		 nfields;
	size_t		 head_len;	/* bytes up to and including the empty line */
	long long	 content_length;	/* -1 when absent */
	int		 chunked;
	int		 expect_continue;	/* HTTP/1.1 and Expect: 100-continue */
	int		 conn_close;	/* Connection: close */
	int		 conn_keep_alive;	/* Connection: keep-alive */

	/* On HTTP_PARSE_ERR. */
	int		 status;	/* HTTP status to answer */
	const char	*error;		/* static text */
};

/*
 * Parse the request head at buf[0..len).  May be called again with more
 * bytes (it starts over each time; callers avoid quadratic cost by calling
 * it only when a CRLFCRLF arrived or the buffer reached max_head).
 */
int	http_parse_head(const char *buf, size_t len, struct http_head *h);

/* 1 when c is a tchar (RFC 9110 section 5.6.2). */
int	http_parse_is_tchar(unsigned char c);

#endif
