/*
 * test_http.c: CUnit tests for the http module: the head parser, the
 * chunked decoder, and a live server on 127.0.0.1 (port 0) with plain
 * HTTP and mutual TLS (throwaway CA made with the openssl CLI).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cutest.h"
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "http.h"
#include "http_chunked.h"
#include "http_parse.h"
#include "mllp.h"
#include "str.h"
#include "testutil.h"
#include "tls.h"
#include "tlscerts.h"

/* ------------------------------------------------------------------ */
/* Parser */

static struct http_field fields[64];

static int
parse(const char *s, struct http_head *h, size_t max_fields, size_t max_head)
{
	memset(h, 0, sizeof *h);
	h->fields = fields;
	h->max_fields = max_fields;
	h->max_head = max_head;
	return http_parse_head(s, strlen(s), h);
}

static int
span_eq(const struct http_span *sp, const char *lit)
{
	return sp->len == strlen(lit) && memcmp(sp->p, lit, sp->len) == 0;
}

static void
test_parse_simple(void)
{
	static const char req[] =
	    "POST /xds/iti41?x=1 HTTP/1.1\r\n"
	    "Host: node.example\r\n"
	    "Content-Type:  application/soap+xml \t\r\n"
	    "Content-Length: 42\r\n"
	    "Empty:\r\n"
	    "Connection: keep-alive, close\r\n"
	    "Expect: 100-continue\r\n"
	    "\r\n"
	    "body";
	struct http_head h;

	CU_ASSERT_EQUAL_FATAL(parse(req, &h, 64, 16384), HTTP_PARSE_DONE);
	CU_ASSERT(span_eq(&h.method, "POST"));
	CU_ASSERT(span_eq(&h.target, "/xds/iti41?x=1"));
	CU_ASSERT_EQUAL(h.version_minor, 1);
	CU_ASSERT_EQUAL_FATAL(h.nfields, 6);
	CU_ASSERT(span_eq(&h.fields[0].name, "Host"));
	CU_ASSERT(span_eq(&h.fields[0].value, "node.example"));
	CU_ASSERT(span_eq(&h.fields[1].value, "application/soap+xml"));
	CU_ASSERT(span_eq(&h.fields[3].name, "Empty"));
	CU_ASSERT(span_eq(&h.fields[3].value, ""));
	CU_ASSERT_EQUAL(h.content_length, 42);
	CU_ASSERT_EQUAL(h.chunked, 0);
	CU_ASSERT_EQUAL(h.expect_continue, 1);
	CU_ASSERT_EQUAL(h.conn_close, 1);
	CU_ASSERT_EQUAL(h.conn_keep_alive, 1);
	CU_ASSERT_EQUAL(h.head_len, sizeof req - 1 - 4);
}

static void
test_parse_prefixes(void)
{
	static const char req[] =
	    "\r\nGET / HTTP/1.0\r\nTransfer-Encodin: x\r\nA: b\r\n\r\n";
	struct http_head h;
	size_t i, n = sizeof req - 1;

	/* Every proper prefix is "need more"; the whole is complete. */
	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof h);
		h.fields = fields;
		h.max_fields = 64;
		h.max_head = 16384;
		CU_ASSERT_EQUAL(http_parse_head(req, i, &h), HTTP_PARSE_MORE);
	}
	CU_ASSERT_EQUAL(parse(req, &h, 64, 16384), HTTP_PARSE_DONE);
	CU_ASSERT_EQUAL(h.head_len, n);
	CU_ASSERT_EQUAL(h.version_minor, 0);
	CU_ASSERT(span_eq(&h.method, "GET"));
	CU_ASSERT_EQUAL(h.content_length, -1);
}

static void
test_parse_pipelined(void)
{
	static const char two[] =
	    "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	    "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
	    "0\r\n\r\n";
	struct http_head h;

	CU_ASSERT_EQUAL_FATAL(parse(two, &h, 64, 16384), HTTP_PARSE_DONE);
	CU_ASSERT(span_eq(&h.target, "/a"));
	CU_ASSERT_EQUAL_FATAL(h.head_len, 28);
	CU_ASSERT_EQUAL_FATAL(parse(two + 28, &h, 64, 16384), HTTP_PARSE_DONE);
	CU_ASSERT(span_eq(&h.method, "POST"));
	CU_ASSERT(span_eq(&h.target, "/b"));
	CU_ASSERT_EQUAL(h.chunked, 1);
	CU_ASSERT_EQUAL(h.content_length, -1);
	CU_ASSERT_EQUAL(strcmp(two + 28 + h.head_len, "0\r\n\r\n"), 0);
}

/* A request and the status it is refused with. */
struct refusal {
	const char	*req;
	int		 status;
};

static void
test_parse_reject(void)
{
	static const struct refusal cases[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 501 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
		  "Content-Length: 3\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -3\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length :3\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHo(st: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\n: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX: a\001b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\nHost: h\n\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\n\r\n", 400 },
		{ "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400 },
		{ "GET /\x80 HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / http/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505 },
		{ "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505 },
		{ "GET / HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		{ "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", 417 },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ / HTTP/1.1\r\n\r\n", 501 },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400 },
	};
	struct http_head h;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = parse(cases[i].req, &h, 64, 16384);

		CU_ASSERT_EQUAL(rc, HTTP_PARSE_ERR);
		CU_ASSERT_EQUAL(h.status, cases[i].status);
		CU_ASSERT_PTR_NOT_NULL(h.error);
		if (rc != HTTP_PARSE_ERR || h.status != cases[i].status)
			fprintf(stderr, "case %zu: rc %d status %d\n", i, rc,
			    h.status);
	}
}

static void
test_parse_limits(void)
{
	char big[20000];
	struct http_head h;
	size_t n;

	/* Too many fields: 431. */
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
	    &h, 2, 16384), HTTP_PARSE_ERR);
	CU_ASSERT_EQUAL(h.status, 431);
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n",
	    &h, 2, 16384), HTTP_PARSE_DONE);

	/* Head larger than max_head, complete or not: 431. */
	n = (size_t)str_fmt(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(big + n, 'a', 300);
	big[n + 300] = '\0';
	CU_ASSERT_EQUAL(parse(big, &h, 64, 256), HTTP_PARSE_ERR);
	CU_ASSERT_EQUAL(h.status, 431);
	CU_ASSERT_EQUAL(parse(big, &h, 64, 16384), HTTP_PARSE_MORE);

	/* Target longer than the bound: 414 even before the line ends. */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', HTTP_PARSE_MAX_TARGET + 10);
	big[5 + HTTP_PARSE_MAX_TARGET + 10] = '\0';
	CU_ASSERT_EQUAL(parse(big, &h, 64, 16384), HTTP_PARSE_ERR);
	CU_ASSERT_EQUAL(h.status, 414);
	/* Exactly at the bound is fine. */
	n = (size_t)str_fmt(big, sizeof big, "GET /");
	memset(big + n, 'a', HTTP_PARSE_MAX_TARGET - 1);
	str_lcpy(big + n + HTTP_PARSE_MAX_TARGET - 1,
	    " HTTP/1.1\r\nHost: h\r\n\r\n", 64);
	CU_ASSERT_EQUAL(parse(big, &h, 64, 16384), HTTP_PARSE_DONE);
	CU_ASSERT_EQUAL(h.target.len, HTTP_PARSE_MAX_TARGET);
}

/* ------------------------------------------------------------------ */
/* Chunked decoder */

static const char chunked_ok[] =
    "5\r\nhello\r\n"
    "6;name=\"v\" ; x\r\n world\r\n"
    "000000000000000000000000000001\r\n!\r\n"
    "0\r\n"
    "Trailer-A: 1\r\n"
    "Trailer-B: 2\r\n"
    "\r\n";

/* Decode in pieces of at most step input bytes and outsz output bytes. */
static int
dechunk(const char *in, size_t len, size_t split, size_t outsz, char *out,
    size_t outmax, size_t *outlen, size_t *consumed)
{
	struct http_chunked c;
	size_t pos = 0, used, n, o = 0, end;
	int rc = HTTP_CHUNKED_OK, guard = 0;

	http_chunked_init(&c, 64);
	while (rc == HTTP_CHUNKED_OK && guard++ < 100000) {
		end = split != 0 && pos < split ? split : len;
		n = outmax - o < outsz ? outmax - o : outsz;
		rc = http_chunked_decode(&c, in + pos, end - pos, &used,
		    out + o, n, &n);
		pos += used;
		o += n;
		if (rc == HTTP_CHUNKED_OK && pos == len && n == 0)
			break;
	}
	*outlen = o;
	*consumed = pos;
	return rc;
}

static void
test_chunked_split(void)
{
	size_t len = sizeof chunked_ok - 1, split, outsz, olen, used;
	char out[64];
	int rc;

	for (split = 0; split <= len; split++) {
		for (outsz = 1; outsz <= 13; outsz += 12) {
			rc = dechunk(chunked_ok, len, split, outsz, out,
			    sizeof out, &olen, &used);
			CU_ASSERT_EQUAL(rc, HTTP_CHUNKED_DONE);
			CU_ASSERT_EQUAL(used, len);
			CU_ASSERT_EQUAL(olen, 12);
			CU_ASSERT_EQUAL(memcmp(out, "hello world!", 12), 0);
		}
	}
	/* Bytes after the body are left for the next request. */
	{
		char two[256];

		str_fmt(two, sizeof two, "%sGET /", chunked_ok);
		rc = dechunk(two, strlen(two), 0, 64, out, sizeof out, &olen,
		    &used);
		CU_ASSERT_EQUAL(rc, HTTP_CHUNKED_DONE);
		CU_ASSERT_EQUAL(used, len);
	}
	/* Byte by byte input. */
	{
		struct http_chunked c;
		size_t i, o = 0, n;

		http_chunked_init(&c, 0);
		rc = HTTP_CHUNKED_OK;
		for (i = 0; i < len && rc == HTTP_CHUNKED_OK; i++) {
			rc = http_chunked_decode(&c, chunked_ok + i, 1, &used,
			    out + o, sizeof out - o, &n);
			CU_ASSERT_EQUAL(used, 1);
			o += n;
		}
		CU_ASSERT_EQUAL(rc, HTTP_CHUNKED_DONE);
		CU_ASSERT_EQUAL(i, len);
		CU_ASSERT_EQUAL(o, 12);
	}
}

static void
test_chunked_reject(void)
{
	static const char *bad[] = {
		"",			/* placeholder: replaced below */
		"g\r\n",
		"\r\n",
		"5\nhello\r\n0\r\n\r\n",
		"5\r\nhelloX\r\n0\r\n\r\n",
		"5\r\nhello\n0\r\n\r\n",
		"1000000000000000\r\n",
		"ffffffffffffffffff\r\n",
		"5 x\r\n",
		"5;a\001\r\n",
		"-5\r\n",
		"0\r\n Folded: x\r\n\r\n",
		"0\r\nA: \001\r\n\r\n",
		"0\r\nA: 1\n\r\n",
		"0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
	};
	char out[64], longext[HTTP_CHUNKED_MAX_LINE + 16];
	size_t i, olen, used;

	memset(longext, 'a', sizeof longext);
	longext[0] = '1';
	longext[1] = ';';
	longext[sizeof longext - 1] = '\0';
	bad[0] = longext;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = dechunk(bad[i], strlen(bad[i]), 0, 64, out,
		    sizeof out, &olen, &used);

		CU_ASSERT_EQUAL(rc, HTTP_CHUNKED_ERR);
		if (rc != HTTP_CHUNKED_ERR)
			fprintf(stderr, "chunked case %zu: rc %d\n", i, rc);
	}
	/* The largest accepted size: 15 hex digits. */
	{
		struct http_chunked c;
		size_t n;

		http_chunked_init(&c, 0);
		CU_ASSERT_EQUAL(http_chunked_decode(&c, "fffffffffffffff\r\nab",
		    19, &used, out, sizeof out, &n), HTTP_CHUNKED_OK);
		CU_ASSERT_EQUAL(n, 2);
		CU_ASSERT_EQUAL(c.remaining, 0xfffffffffffffffULL - 2);
	}
}

/* ------------------------------------------------------------------ */
/* Live server */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_entered, gate_open;

static void
gate_reset(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_entered = 0;
	gate_open = 0;
	pthread_mutex_unlock(&gate_mu);
}

static void
gate_release(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* Wait until n handlers are inside the gate (the deadline bounds a
 * failure only). */
static int
gate_wait_entered(int n)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += TESTUTIL_DEADLINE_MS / 1000;
	pthread_mutex_lock(&gate_mu);
	while (gate_entered < n &&
	    pthread_cond_timedwait(&gate_cv, &gate_mu, &ts) == 0)
		;
	ok = gate_entered >= n;
	pthread_mutex_unlock(&gate_mu);
	return ok;
}

static void
handle_hash(struct http_conn *c, const struct http_request *r)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[32], buf[8192];
	char hex[65], out[128];
	long long total = 0;
	ssize_t n;
	int len;

	if (strcmp(r->query, "limit") == 0)
		http_set_body_limit(c, 1000);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while ((n = http_body_read(c, buf, sizeof buf)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		total += n;
	}
	EVP_DigestFinal_ex(md, dig, NULL);
	EVP_MD_CTX_free(md);
	if (n == XDS_ETOOBIG) {
		http_respond(c, 413, "text/plain", "too big\n", 8);
		return;
	}
	if (n < 0) {
		http_respond(c, 400, "text/plain", "bad body\n", 9);
		return;
	}
	str_hex(dig, sizeof dig, hex);
	len = str_fmt(out, sizeof out, "%s %lld", hex, total);
	http_respond(c, 200, "text/plain", out, (size_t)len);
}

static void
handler(struct http_conn *c, const struct http_request *r, void *arg)
{
	char buf[65536];
	ssize_t n;
	size_t len = 0;

	(void)arg;
	if (strcmp(r->path, "/echo") == 0) {
		while ((n = http_body_read(c, buf + len, sizeof buf - len)) > 0)
			len += (size_t)n;
		if (n < 0)
			http_respond(c, 400, "text/plain", "bad\n", 4);
		else
			http_respond(c, 200, "text/plain", buf, len);
	} else if (strcmp(r->path, "/hash") == 0)
		handle_hash(c, r);
	else if (strcmp(r->path, "/wait") == 0) {
		pthread_mutex_lock(&gate_mu);
		gate_entered++;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_mu);
		pthread_mutex_unlock(&gate_mu);
		http_respond(c, 200, "text/plain", "done", 4);
	} else if (strcmp(r->path, "/stream") == 0) {
		http_respond_begin(c, 200, "text/plain", -1,
		    "X-Test: yes\r\n");
		http_respond_write(c, "abc", 3);
		http_respond_write(c, "", 0);
		http_respond_write(c, "def", 3);
		http_respond_end(c);
	} else if (strcmp(r->path, "/info") == 0) {
		const char *ua;

		/* Read (and drop) the body first: the head must survive it. */
		while (http_body_read(c, buf, 1000) > 0)
			;
		ua = http_header(r, "user-agent");
		len = (size_t)str_fmt(buf, sizeof buf, "%s|%s|%s|%s|%d|%s|%s",
		    r->method, r->path, r->query, ua ? ua : "-", r->tls,
		    r->peer_subject, r->peer_addr);
		http_respond(c, 200, "text/plain", buf, len);
	} else if (strcmp(r->path, "/sink") == 0) {
		/* On a failed body, no answer: the server gives its own. */
		while ((n = http_body_read(c, buf, sizeof buf)) > 0)
			;
		if (n == 0)
			http_respond(c, 200, "text/plain", "ok", 2);
	} else if (strcmp(r->path, "/noread") == 0)
		http_respond(c, 200, "text/plain", "ok", 2);
	else if (strcmp(r->path, "/silent") == 0)
		;	/* the server answers 500 */
	else
		http_respond(c, 404, "text/plain", "nf", 2);
}

struct srv {
	struct http_server	*s;
	pthread_t		 t;
	int			 port;
	int			 rc;
};

static void *
srv_thread(void *arg)
{
	struct srv *v = arg;

	v->rc = http_server_run(v->s);
	return NULL;
}

static int
srv_start(struct srv *v, const struct http_server_opts *o)
{
	char err[256];

	memset(v, 0, sizeof *v);
	v->rc = -99;
	if ((v->s = http_server_new(o, handler, NULL, err, sizeof err)) == NULL) {
		fprintf(stderr, "http_server_new: %s\n", err);
		return -1;
	}
	v->port = http_server_port(v->s);
	if (pthread_create(&v->t, NULL, srv_thread, v) != 0) {
		http_server_free(v->s);
		v->s = NULL;
		return -1;
	}
	return 0;
}

static int
srv_stop(struct srv *v)
{
	if (v->s == NULL)
		return -1;
	http_server_stop(v->s);
	pthread_join(v->t, NULL);
	http_server_free(v->s);
	v->s = NULL;
	return v->rc;
}

/* Client side: a socket, optional TLS, and a read buffer. */
struct cli {
	int	 fd;
	SSL	*ssl;
	char	 buf[1 << 16];
	size_t	 len;
	int	 no_body;	/* the next response answers HEAD */
};

/* A client from the loopback address 127.0.0.<from> (0: the kernel's
 * choice, 127.0.0.1), so that tests can be several peers. */
static int
cli_open_from(struct cli *k, int port, int from)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };

	memset(k, 0, sizeof *k);
	if ((k->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(k->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(k->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (from != 0) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)from);
		if (bind(k->fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
			close(k->fd);
			k->fd = -1;
			return -1;
		}
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(k->fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(k->fd);
		k->fd = -1;
		return -1;
	}
	return 0;
}

static int
cli_open(struct cli *k, int port)
{
	return cli_open_from(k, port, 0);
}

static void
cli_close(struct cli *k)
{
	if (k->ssl != NULL) {
		SSL_free(k->ssl);
		k->ssl = NULL;
	}
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

static int
cli_send(struct cli *k, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		if (k->ssl != NULL)
			w = SSL_write(k->ssl, s, (int)n);
		else
			w = send(k->fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
cli_sends(struct cli *k, const char *s)
{
	return cli_send(k, s, strlen(s));
}

/* More bytes into k->buf: >0, 0 on EOF, -1 on error/timeout. */
static ssize_t
cli_fill(struct cli *k)
{
	ssize_t n;

	if (k->len == sizeof k->buf)
		return -1;
	if (k->ssl != NULL) {
		n = SSL_read(k->ssl, k->buf + k->len, (int)(sizeof k->buf - k->len));
		if (n <= 0)
			return SSL_get_error(k->ssl, (int)n) ==
			    SSL_ERROR_ZERO_RETURN ? 0 : -1;
	} else
		n = recv(k->fd, k->buf + k->len, sizeof k->buf - k->len, 0);
	if (n > 0)
		k->len += (size_t)n;
	return n;
}

struct resp {
	int	 status;
	char	 head[2048];
	char	 body[65536];
	size_t	 blen;
};

static void
cli_consume(struct cli *k, size_t n)
{
	memmove(k->buf, k->buf + n, k->len - n);
	k->len -= n;
}

/* One response (a 1xx counts as one).  0, or -1 on EOF/error first. */
static int
cli_response(struct cli *k, struct resp *r)
{
	char *e, *cl;
	size_t hl;

	memset(r, 0, sizeof *r);
	while ((e = memmem(k->buf, k->len, "\r\n\r\n", 4)) == NULL)
		if (cli_fill(k) <= 0)
			return -1;
	hl = (size_t)(e - k->buf) + 4;
	if (hl >= sizeof r->head || hl < 13 || memcmp(k->buf, "HTTP/1.1 ", 9))
		return -1;
	memcpy(r->head, k->buf, hl);
	r->head[hl] = '\0';
	r->status = atoi(r->head + 9);
	cli_consume(k, hl);
	if (r->status < 200 || r->status == 204 || r->status == 304 ||
	    k->no_body) {
		k->no_body = 0;
		return 0;
	}
	if ((cl = strstr(r->head, "\r\nContent-Length: ")) != NULL) {
		size_t want = (size_t)strtoul(cl + 18, NULL, 10);

		if (want > sizeof r->body)
			return -1;
		while (k->len < want)
			if (cli_fill(k) <= 0)
				return -1;
		memcpy(r->body, k->buf, want);
		r->blen = want;
		cli_consume(k, want);
	} else if (strstr(r->head, "\r\nTransfer-Encoding: chunked\r\n")) {
		struct http_chunked c;
		size_t used, n;
		int rc;

		http_chunked_init(&c, 0);
		for (;;) {
			rc = http_chunked_decode(&c, k->buf, k->len, &used,
			    r->body + r->blen, sizeof r->body - r->blen, &n);
			cli_consume(k, used);
			r->blen += n;
			if (rc != HTTP_CHUNKED_OK)
				return rc == HTTP_CHUNKED_DONE ? 0 : -1;
			if (k->len == 0 && cli_fill(k) <= 0)
				return -1;
		}
	} else {
		while (cli_fill(k) > 0)
			;
		memcpy(r->body, k->buf, k->len < sizeof r->body ?
		    k->len : sizeof r->body);
		r->blen = k->len;
		k->len = 0;
	}
	return 0;
}

/* Send req, then n bytes of body, on k and read the response into r:
 * its status. */
static int
cli_ask(struct cli *k, const char *req, const void *body, size_t n,
    struct resp *r)
{
	CU_ASSERT(cli_sends(k, req) == 0);
	if (n > 0)
		CU_ASSERT(cli_send(k, body, n) == 0);
	CU_ASSERT_EQUAL_FATAL(cli_response(k, r), 0);
	return r->status;
}

/* 1 when the peer closed (EOF or reset) within the receive timeout. */
static int
cli_closed(struct cli *k)
{
	ssize_t n;

	while ((n = cli_fill(k)) > 0)
		k->len = 0;
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static struct srv plain;

static int
suite_plain_init(void)
{
	const struct http_server_opts o = {
		.host = "127.0.0.1", .workers = 4, .queue = 8,
		.header_timeout = 1, .io_timeout = 2, .request_deadline = 10,
		.keepalive_timeout = 2, .max_requests_per_conn = 6
	};

	return srv_start(&plain, &o) == 0 ? 0 : -1;
}

static int
suite_plain_cleanup(void)
{
	return srv_stop(&plain) == 0 ? 0 : -1;
}

static void
test_srv_keepalive(void)
{
	struct cli k;
	struct resp r;

	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\n\r\nhello", NULL, 0, &r), 200);
	CU_ASSERT_EQUAL(r.blen, 5);
	CU_ASSERT_EQUAL(memcmp(r.body, "hello", 5), 0);
	CU_ASSERT_PTR_NULL(strstr(r.head, "Connection: close"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "\r\nDate: "));

	/* Same socket, second request, then two pipelined ones. */
	CU_ASSERT_EQUAL(cli_ask(&k, "GET /info?q=1 HTTP/1.1\r\nHost: t\r\n"
	    "User-Agent: cunit\r\n\r\n", NULL, 0, &r), 200);
	CU_ASSERT_STRING_EQUAL(r.body, "GET|/info|q=1|cunit|0||127.0.0.1");

	/* A chunked body larger than the receive buffer, read before the
	 * handler looks at the head. */
	{
		static char blob[40000];
		char line[32];

		memset(blob, 'z', sizeof blob);
		CU_ASSERT(cli_sends(&k, "PUT /info?big HTTP/1.1\r\nHost: t\r\n"
		    "User-Agent: chunky\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
		str_fmt(line, sizeof line, "%zx\r\n", sizeof blob);
		CU_ASSERT(cli_sends(&k, line) == 0);
		CU_ASSERT(cli_send(&k, blob, sizeof blob) == 0);
		(void)cli_ask(&k, "\r\n0\r\n\r\n", NULL, 0, &r);
		CU_ASSERT_STRING_EQUAL(r.body,
		    "PUT|/info|big|chunky|0||127.0.0.1");
	}

	CU_ASSERT_EQUAL(cli_ask(&k, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n", NULL, 0, &r), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "X-Test: yes\r\n"));
	CU_ASSERT_EQUAL(r.blen, 6);
	CU_ASSERT_EQUAL(memcmp(r.body, "abcdef", 6), 0);
	CU_ASSERT_EQUAL_FATAL(cli_response(&k, &r), 0);
	CU_ASSERT_EQUAL(r.status, 404);

	/* Sixth request: max_requests_per_conn reached, server closes. */
	CU_ASSERT_EQUAL(cli_ask(&k, "GET /silent HTTP/1.1\r\nHost: t\r\n\r\n",
	    NULL, 0, &r), 500);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Connection: close\r\n"));
	CU_ASSERT(cli_closed(&k));
	cli_close(&k);

	/* HTTP/1.0 closes unless keep-alive; HEAD has no body. */
	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT(cli_sends(&k, "HEAD /noread HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n") == 0);
	k.no_body = 1;
	CU_ASSERT_EQUAL_FATAL(cli_response(&k, &r), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Content-Length: 2\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Connection: keep-alive\r\n"));
	CU_ASSERT_EQUAL(k.len, 0);
	(void)cli_ask(&k, "GET /stream HTTP/1.0\r\n\r\n", NULL, 0, &r);
	CU_ASSERT_PTR_NULL(strstr(r.head, "Transfer-Encoding"));
	CU_ASSERT_EQUAL(r.blen, 6);
	CU_ASSERT_EQUAL(memcmp(r.body, "abcdef", 6), 0);
	cli_close(&k);
}

static void
test_srv_errors(void)
{
	static const struct refusal cases[] = {
		{ "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505 },
		{ "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501 },
		{ "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
		  "\r\nzz\r\n", 400 },
	};
	struct cli k;
	struct resp r;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
		CU_ASSERT_EQUAL(cli_ask(&k, cases[i].req, NULL, 0, &r),
		    cases[i].status);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Connection: close\r\n"));
		CU_ASSERT(cli_closed(&k));
		cli_close(&k);
	}

	/* Head too large: 431. */
	{
		char big[20000];
		size_t n = (size_t)str_fmt(big, sizeof big,
		    "GET / HTTP/1.1\r\nHost: t\r\nX: ");

		memset(big + n, 'x', sizeof big - n);
		CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
		CU_ASSERT(cli_send(&k, big, sizeof big) == 0);
		CU_ASSERT_EQUAL_FATAL(cli_response(&k, &r), 0);
		CU_ASSERT_EQUAL(r.status, 431);
		cli_close(&k);
	}
}

static void
test_srv_continue(void)
{
	struct cli k;
	struct resp r;

	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n", NULL, 0, &r),
	    100);
	CU_ASSERT_STRING_EQUAL(r.head, "HTTP/1.1 100 Continue\r\n\r\n");
	CU_ASSERT_EQUAL(cli_ask(&k, "world", NULL, 0, &r), 200);
	CU_ASSERT_EQUAL(r.blen, 5);
	CU_ASSERT_EQUAL(memcmp(r.body, "world", 5), 0);

	/* Declared length past the limit: 413 at once, no 100, close. */
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /hash?limit HTTP/1.1\r\nHost: t\r\n"
	    "Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n", NULL, 0,
	    &r), 413);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Connection: close\r\n"));
	CU_ASSERT(cli_closed(&k));
	cli_close(&k);
}

static void
test_srv_limit(void)
{
	struct cli k;
	struct resp r;
	char body[5000];

	/* Content-Length past the limit, body sent anyway: 413. */
	memset(body, 'b', sizeof body);
	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /hash?limit HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5000\r\n\r\n", body, sizeof body, &r), 413);
	cli_close(&k);

	/* Chunked past the limit: 413 once the limit is crossed. */
	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /hash?limit HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n1388\r\n", body, sizeof body,
	    &r), 413);
	cli_close(&k);

	/* Within the limit: hashed. */
	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /hash?limit HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 3\r\n\r\nabc", NULL, 0, &r), 200);
	CU_ASSERT_STRING_EQUAL(r.body, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad 3");
	cli_close(&k);

	/* Body not read by the handler: the connection is closed. */
	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /noread HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 10\r\n\r\n0123456789", NULL, 0, &r), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Connection: close\r\n"));
	CU_ASSERT(cli_closed(&k));
	cli_close(&k);
}

static void
test_srv_chunked_upload(void)
{
	enum { TOTAL = 6 * 1024 * 1024 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[32], *data;
	char hex[65], line[32], want[128];
	struct cli k;
	struct resp r;
	size_t off = 0, n, step = 1;
	unsigned x = 12345;

	data = malloc(TOTAL);
	CU_ASSERT_FATAL(data != NULL);
	for (n = 0; n < TOTAL; n++) {
		x = x * 1103515245u + 12345u;
		data[n] = (unsigned char)(x >> 16);
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, data, TOTAL);
	EVP_DigestFinal_ex(md, dig, NULL);
	EVP_MD_CTX_free(md);
	str_hex(dig, sizeof dig, hex);
	str_fmt(want, sizeof want, "%s %d", hex, TOTAL);

	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT(cli_sends(&k, "POST /hash HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n") == 0);
	/* Chunks of growing, odd sizes, with an extension now and then. */
	while (off < TOTAL) {
		n = step;
		if (n > TOTAL - off)
			n = TOTAL - off;
		str_fmt(line, sizeof line, "%zx%s\r\n", n,
		    step % 3 ? "" : ";ext=1");
		if (cli_sends(&k, line) != 0 || cli_send(&k, data + off, n) != 0 ||
		    cli_sends(&k, "\r\n") != 0)
			break;
		off += n;
		step = step * 2 + 1;
		if (step > 300000)
			step = 7;
	}
	CU_ASSERT_EQUAL(off, TOTAL);
	CU_ASSERT_EQUAL(cli_ask(&k, "0\r\nX-Trailer: 1\r\n\r\n", NULL, 0, &r),
	    200);
	CU_ASSERT_STRING_EQUAL(r.body, want);
	CU_ASSERT_PTR_NULL(strstr(r.head, "Connection: close"));
	cli_close(&k);
	free(data);
}

static void
test_srv_slowdrip(void)
{
	static const char req[] =
	    "GET /info HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaa\r\n\r\n";
	struct cli slow, k;
	struct resp r;
	struct pollfd pfd;
	long long t0, t1;
	size_t i;
	int got = 0;

	/*
	 * One byte every 200 ms: the head would take 12 s.  t0 is taken
	 * before connecting, so the server's header deadline (from its
	 * accept, header_timeout = 1 s) cannot fall before t0 + 1 s: a lower
	 * bound that load cannot break.  That the deadline is enforced is
	 * the event of a 408 arriving while the head is still incomplete.
	 */
	t0 = testutil_mono_ms();
	CU_ASSERT_FATAL(cli_open(&slow, plain.port) == 0);
	for (i = 0; i < sizeof req - 1; i++) {
		if (cli_send(&slow, req + i, 1) != 0)
			break;
		if (i == 2) {
			/* Another client is served meanwhile. */
			CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
			CU_ASSERT(cli_sends(&k, "GET /info HTTP/1.1\r\n"
			    "Host: t\r\nConnection: close\r\n\r\n") == 0);
			CU_ASSERT_EQUAL(cli_response(&k, &r), 0);
			CU_ASSERT_EQUAL(r.status, 200);
			cli_close(&k);
		}
		pfd.fd = slow.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) == 1) {
			got = 1;
			break;
		}
	}
	CU_ASSERT_FATAL(got);
	t1 = testutil_mono_ms();
	CU_ASSERT(i < sizeof req - 2);	/* cut off with the head unfinished */
	CU_ASSERT_EQUAL(cli_response(&slow, &r), 0);
	CU_ASSERT_EQUAL(r.status, 408);
	CU_ASSERT(t1 - t0 >= 1000);	/* not before header_timeout */
	CU_ASSERT(cli_closed(&slow));
	cli_close(&slow);

	/* An idle connection that sends nothing is closed silently. */
	CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
	CU_ASSERT(cli_closed(&k));
	CU_ASSERT_EQUAL(k.len, 0);
	cli_close(&k);
}

struct bg_req {
	int		 port;
	struct resp	 r;
	int		 rc;
	pthread_t	 t;
};

static void *
bg_wait_request(void *arg)
{
	struct bg_req *b = arg;
	struct cli k;

	b->rc = -1;
	if (cli_open(&k, b->port) != 0)
		return NULL;
	if (cli_sends(&k, "GET /wait HTTP/1.1\r\nHost: t\r\n\r\n") == 0)
		b->rc = cli_response(&k, &b->r);
	cli_close(&k);
	return NULL;
}

/* Start v with o, and a GET /wait in the background that its handler
 * holds until held_release(). */
static void
srv_start_held(struct srv *v, const struct http_server_opts *o,
    struct bg_req *b)
{
	CU_ASSERT_FATAL(srv_start(v, o) == 0);
	gate_reset();
	memset(b, 0, sizeof *b);
	b->port = v->port;
	CU_ASSERT_FATAL(pthread_create(&b->t, NULL, bg_wait_request, b) == 0);
	CU_ASSERT(gate_wait_entered(1));
}

/* Let the held request go: it is answered 200. */
static void
held_release(struct bg_req *b)
{
	gate_release();
	pthread_join(b->t, NULL);
	CU_ASSERT_EQUAL(b->rc, 0);
	CU_ASSERT_EQUAL(b->r.status, 200);
}

/* Until the server holds n heads waiting for a worker, has handed taken
 * requests to workers, parks n connections, has refused n for a reason
 * (-1: any). */
struct srv_event {
	struct http_server	*s;
	long long		 waiting, taken, parked;
	int			 reason;
	long long		 refused;
};

static int
srv_event_seen(void *arg)
{
	const struct srv_event *e = arg;
	struct http_server_stats st;

	http_server_stats(e->s, &st);
	return (e->waiting < 0 || (long long)st.waiting == e->waiting) &&
	    (e->taken < 0 || (long long)st.taken >= e->taken) &&
	    (e->parked < 0 || (long long)st.parked == e->parked) &&
	    (e->reason < 0 || (long long)st.refused[e->reason] >= e->refused);
}

static int
srv_wait(struct http_server *s, long long waiting, long long taken)
{
	struct srv_event e = { s, waiting, taken, -1, -1, 0 };

	return testutil_wait(srv_event_seen, &e, TESTUTIL_DEADLINE_MS);
}

static int
srv_wait_parked(struct http_server *s, long long parked)
{
	struct srv_event e = { s, -1, -1, parked, -1, 0 };

	return testutil_wait(srv_event_seen, &e, TESTUTIL_DEADLINE_MS);
}

static int
srv_wait_refused(struct http_server *s, int reason, long long n)
{
	struct srv_event e = { s, -1, -1, -1, reason, n };

	return testutil_wait(srv_event_seen, &e, TESTUTIL_DEADLINE_MS);
}

static int
cli_closed_now(void *arg)
{
	return cli_closed(arg);
}

static void
test_srv_busy(void)
{
	const struct http_server_opts o = {
		.host = "127.0.0.1", .workers = 1, .queue = 1,
		.header_timeout = 2, .io_timeout = 2
	};
	struct srv v;
	struct bg_req b;
	struct http_server_stats st;
	struct cli idle, queued, third;
	struct resp r;

	srv_start_held(&v, &o, &b);		/* the one worker is busy */

	/* A connection without a request is parked, not queued. */
	CU_ASSERT(cli_open(&idle, v.port) == 0);
	CU_ASSERT(srv_wait_parked(v.s, 1));
	/* A complete head fills the queue; the next one is refused. */
	CU_ASSERT(cli_open(&queued, v.port) == 0);
	CU_ASSERT(cli_sends(&queued, "GET /info HTTP/1.1\r\nHost: t\r\n"
	    "\r\n") == 0);
	CU_ASSERT(srv_wait(v.s, 1, -1));
	CU_ASSERT(cli_open(&third, v.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&third, "GET /info HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", NULL, 0, &r), 503);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Retry-After: "));
	CU_ASSERT(cli_closed(&third));
	cli_close(&third);
	http_server_stats(v.s, &st);
	CU_ASSERT_EQUAL(st.refused[HTTP_REFUSE_QUEUE_FULL], 1);

	held_release(&b);
	/* The queued request is served once the worker is free, and the
	 * parked connection after it. */
	CU_ASSERT_EQUAL_FATAL(cli_response(&queued, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	cli_close(&queued);
	CU_ASSERT_EQUAL(cli_ask(&idle, "GET /info HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", NULL, 0, &r), 200);
	cli_close(&idle);
	CU_ASSERT_EQUAL(srv_stop(&v), 0);
}

static void
test_srv_stop(void)
{
	const struct http_server_opts o = {
		.host = "127.0.0.1", .workers = 2, .queue = 4,
		/* longer than the wait below: only the stop can close */
		.keepalive_timeout = 300, .header_timeout = 300
	};
	struct srv v;
	struct bg_req b;
	struct cli idle, k;
	int port;

	srv_start_held(&v, &o, &b);
	port = v.port;
	CU_ASSERT(cli_open(&idle, port) == 0);	/* parked in the loop */
	CU_ASSERT(srv_wait_parked(v.s, 1));

	/* Stop while a request is in the handler and a peer is idle. */
	http_server_stop(v.s);
	/* idle peer: closed at once, not after its keep-alive */
	CU_ASSERT(testutil_wait(cli_closed_now, &idle, TESTUTIL_DEADLINE_MS));
	cli_close(&idle);
	CU_ASSERT(cli_open(&k, port) != 0);	/* listener closed */
	held_release(&b);			/* current request finishes */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.r.head, "Connection: close\r\n"));
	CU_ASSERT_EQUAL(srv_stop(&v), 0);	/* run() returned 0 */
}

/*
 * 200 idle connections and 16 slow bodies (a byte now and then) on 4
 * workers do not keep a well-behaved client from its answers: idle
 * connections and bodies still arriving are parked in the event loop,
 * not in workers.  The good client's own receive timeout (1 s) is the
 * property: it is never hit.
 */
#define NIDLE	200
#define NSLOW	16
static void
test_srv_parking(void)
{
	const struct http_server_opts o = {
		.host = "127.0.0.1", .workers = 4, .queue = 8,
		.header_timeout = 300, .keepalive_timeout = 300,
		.io_timeout = 300, .request_deadline = 300,
		.max_connections_per_peer = 1000, .min_body_rate = -1
	};
	static struct cli idle[NIDLE], slow[NSLOW];
	struct timeval tv = { 1, 0 };
	struct http_server_stats st;
	struct srv v;
	struct cli k;
	struct resp r;
	int i, nidle = 0, nslow = 0;

	CU_ASSERT_FATAL(srv_start(&v, &o) == 0);
	for (i = 0; i < NIDLE; i++)
		if (cli_open(&idle[i], v.port) == 0)
			nidle++;
	CU_ASSERT_EQUAL(nidle, NIDLE);
	CU_ASSERT(srv_wait_parked(v.s, nidle));
	http_server_stats(v.s, &st);
	for (i = 0; i < NSLOW; i++) {
		if (cli_open(&slow[i], v.port) != 0 ||
		    cli_sends(&slow[i], "POST /sink HTTP/1.1\r\nHost: t\r\n"
		    "Content-Length: 1000\r\n\r\nx") != 0)
			continue;
		nslow++;
	}
	CU_ASSERT_EQUAL(nslow, NSLOW);
	/* Every slow body is parked, none holds a worker. */
	CU_ASSERT(srv_wait_parked(v.s, nidle + nslow));
	CU_ASSERT(srv_wait(v.s, 0, (long long)st.taken));

	for (i = 0; i < 20; i++) {
		CU_ASSERT_FATAL(cli_open(&k, v.port) == 0);
		setsockopt(k.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		CU_ASSERT_EQUAL(cli_ask(&k, "GET /info HTTP/1.1\r\nHost: t\r\n"
		    "\r\n", NULL, 0, &r), 200);
		/* keep-alive: no Connection: close although 216 are open */
		CU_ASSERT_PTR_NULL(strstr(r.head, "Connection: close"));
		CU_ASSERT_EQUAL(cli_ask(&k, "GET /info HTTP/1.1\r\nHost: t\r\n"
		    "\r\n", NULL, 0, &r), 200);
		cli_close(&k);
		if (i % 5 == 0 && cli_send(&slow[i % NSLOW], "y", 1) != 0)
			CU_FAIL("slow client cut off");
	}
	http_server_stats(v.s, &st);
	CU_ASSERT(st.open >= NIDLE + NSLOW);
	/* Workers were free: nothing was refused for a full queue. */
	CU_ASSERT_EQUAL(st.refused[HTTP_REFUSE_QUEUE_FULL], 0);
	for (i = 0; i < NIDLE; i++)
		cli_close(&idle[i]);
	for (i = 0; i < NSLOW; i++)
		cli_close(&slow[i]);
	CU_ASSERT_EQUAL(srv_stop(&v), 0);
}

/* A client that half-closes after its request still gets the answer,
 * with or without a body (the event loop sees the EOF first). */
static void
test_srv_half_close(void)
{
	static const char *const reqs[] = {
		"GET /info HTTP/1.1\r\nHost: t\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
	};
	struct cli k;
	struct resp r;
	size_t i;

	for (i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		CU_ASSERT_FATAL(cli_open(&k, plain.port) == 0);
		CU_ASSERT(cli_sends(&k, reqs[i]) == 0);
		CU_ASSERT(shutdown(k.fd, SHUT_WR) == 0);
		CU_ASSERT_EQUAL_FATAL(cli_response(&k, &r), 0);
		CU_ASSERT_EQUAL(r.status, 200);
		cli_close(&k);
	}
}

/* Per-peer and total connection limits: refused at once, counted; a
 * plain connection gets 503 with Retry-After. */
static void
test_srv_conn_limits(void)
{
	const struct http_server_opts o = {
		.host = "127.0.0.1", .workers = 2, .queue = 4,
		.header_timeout = 300, .keepalive_timeout = 300,
		.max_connections = 6, .max_connections_per_peer = 4
	};
	struct cli a[4], b[2], k;
	struct resp r;
	struct srv v;
	int i;

	CU_ASSERT_FATAL(srv_start(&v, &o) == 0);
	for (i = 0; i < 4; i++)
		CU_ASSERT_FATAL(cli_open_from(&a[i], v.port, 1) == 0);
	CU_ASSERT(srv_wait_parked(v.s, 4));
	/* A fifth from 127.0.0.1: over its peer's limit. */
	CU_ASSERT_FATAL(cli_open_from(&k, v.port, 1) == 0);
	CU_ASSERT_EQUAL_FATAL(cli_response(&k, &r), 0);
	CU_ASSERT_EQUAL(r.status, 503);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Retry-After: "));
	CU_ASSERT(cli_closed(&k));
	cli_close(&k);
	CU_ASSERT(srv_wait_refused(v.s, HTTP_REFUSE_PEER_LIMIT, 1));
	/* Another peer still gets in, until the total is reached. */
	for (i = 0; i < 2; i++)
		CU_ASSERT_FATAL(cli_open_from(&b[i], v.port, 2) == 0);
	CU_ASSERT(srv_wait_parked(v.s, 6));
	CU_ASSERT_EQUAL(cli_ask(&b[0], "GET /info HTTP/1.1\r\nHost: t\r\n\r\n",
	    NULL, 0, &r), 200);
	CU_ASSERT_STRING_EQUAL(r.body, "GET|/info||-|0||127.0.0.2");
	CU_ASSERT_FATAL(cli_open_from(&k, v.port, 3) == 0);
	CU_ASSERT_EQUAL_FATAL(cli_response(&k, &r), 0);
	CU_ASSERT_EQUAL(r.status, 503);
	cli_close(&k);
	CU_ASSERT(srv_wait_refused(v.s, HTTP_REFUSE_TOTAL_LIMIT, 1));
	/* b[0] back from its worker first: until then 5 are parked already,
	 * and the wait below would not wait for a[0] to be closed. */
	CU_ASSERT(srv_wait_parked(v.s, 6));
	/* A closed connection frees its place. */
	cli_close(&a[0]);
	CU_ASSERT(srv_wait_parked(v.s, 5));
	CU_ASSERT_FATAL(cli_open_from(&k, v.port, 1) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "GET /info HTTP/1.1\r\nHost: t\r\n\r\n",
	    NULL, 0, &r), 200);
	cli_close(&k);
	for (i = 1; i < 4; i++)
		cli_close(&a[i]);
	for (i = 0; i < 2; i++)
		cli_close(&b[i]);
	CU_ASSERT_EQUAL(srv_stop(&v), 0);
}

/*
 * Client errors in the body are answered by the server when the handler
 * did not answer: a body below min_body_rate 408, one that stalls for
 * io_timeout 408, malformed chunked framing 400; each counted.
 */
static void
test_srv_body_errors(void)
{
	const struct http_server_opts o = {
		.host = "127.0.0.1", .workers = 2, .queue = 4,
		.header_timeout = 1, .io_timeout = 1, .min_body_rate = 1000,
		.body_rate_window_ms = 200
	};
	const struct http_server_opts o2 = {
		.host = "127.0.0.1", .workers = 2, .queue = 4,
		.header_timeout = 1, .io_timeout = 1, .min_body_rate = -1
	};
	static char big[40000];
	struct http_server_stats st;
	struct pollfd pfd;
	struct cli k;
	struct resp r;
	struct srv v;
	int i, pass, got;

	CU_ASSERT_FATAL(srv_start(&v, &o) == 0);
	/*
	 * 10 bytes every 100 ms: 100 bytes/s, a tenth of the minimum.  First
	 * a small body, which the event loop holds until header_timeout;
	 * then one past its read buffer (40000 bytes at once), which a
	 * worker reads, checking the rate.  Both are 408.
	 */
	memset(big, 'b', sizeof big);
	for (pass = 0; pass < 2; pass++) {
		CU_ASSERT_FATAL(cli_open(&k, v.port) == 0);
		CU_ASSERT(cli_sends(&k, "POST /sink HTTP/1.1\r\nHost: t\r\n"
		    "Content-Length: 100000\r\n\r\n") == 0);
		if (pass == 1)
			CU_ASSERT(cli_send(&k, big, sizeof big) == 0);
		for (i = 0, got = 0; i < 1000 && !got; i++) {
			if (cli_sends(&k, "0123456789") != 0)
				break;
			pfd.fd = k.fd;
			pfd.events = POLLIN;
			got = poll(&pfd, 1, 100) == 1;
		}
		CU_ASSERT_FATAL(got);
		CU_ASSERT_EQUAL_FATAL(cli_response(&k, &r), 0);
		CU_ASSERT_EQUAL(r.status, 408);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Connection: close\r\n"));
		cli_close(&k);
		CU_ASSERT(srv_wait_refused(v.s, HTTP_REFUSE_SLOW_BODY, pass + 1));
	}
	http_server_stats(v.s, &st);
	CU_ASSERT_EQUAL(st.taken, 1);	/* only the big one reached a worker */

	/* A body at the rate is read whole. */
	CU_ASSERT_FATAL(cli_open(&k, v.port) == 0);
	CU_ASSERT(cli_sends(&k, "POST /sink HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\n\r\n") == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "hello", NULL, 0, &r), 200);
	cli_close(&k);

	/* Malformed chunked framing: 400, not 500. */
	CU_ASSERT_FATAL(cli_open(&k, v.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /sink HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n", NULL, 0,
	    &r), 400);
	CU_ASSERT(cli_closed(&k));
	cli_close(&k);
	http_server_stats(v.s, &st);
	CU_ASSERT_EQUAL(st.refused[HTTP_REFUSE_BAD_BODY], 1);
	CU_ASSERT_EQUAL(srv_stop(&v), 0);

	/* No rate: a body stalled for io_timeout is 408 too. */
	CU_ASSERT_FATAL(srv_start(&v, &o2) == 0);
	CU_ASSERT_FATAL(cli_open(&k, v.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "POST /sink HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 10\r\n\r\nabc", NULL, 0, &r), 408);
	cli_close(&k);
	http_server_stats(v.s, &st);
	CU_ASSERT_EQUAL(st.refused[HTTP_REFUSE_BODY_TIMEOUT], 1);
	CU_ASSERT_EQUAL(srv_stop(&v), 0);
}

/* ------------------------------------------------------------------ */
/* TLS */

static char tlsdir[256];

static int
make_certs(void)
{
	if (testutil_tmpdir("http", tlsdir, sizeof tlsdir) != 0)
		return -1;
	return tls_make_certs(tlsdir);
}

static struct srv tlssrv;
static SSL_CTX *srvctx;

static int
suite_tls_init(void)
{
	struct http_server_opts o;
	char cert[300], key[300], ca[300], err[256];

	if (make_certs() != 0)
		return -1;
	str_fmt(cert, sizeof cert, "%s/srv.pem", tlsdir);
	str_fmt(key, sizeof key, "%s/srv.key", tlsdir);
	str_fmt(ca, sizeof ca, "%s/ca.pem", tlsdir);
	if ((srvctx = tls_server_ctx(cert, key, ca, NULL, err, sizeof err)) == NULL) {
		fprintf(stderr, "tls_server_ctx: %s\n", err);
		return -1;
	}
	o = (struct http_server_opts){
		.host = "127.0.0.1", .workers = 2, .queue = 4,
		.header_timeout = 2, .io_timeout = 2, .tls = srvctx
	};
	return srv_start(&tlssrv, &o) == 0 ? 0 : -1;
}

static int
suite_tls_cleanup(void)
{
	int rc = srv_stop(&tlssrv);

	SSL_CTX_free(srvctx);
	if (tlsdir[0] != '\0')
		(void)testutil_rmtree(tlsdir);
	return rc == 0 ? 0 : -1;
}

/* TLS client; with_cert selects the client certificate.  0 on handshake. */
static int
tls_client_to(struct cli *k, SSL_CTX **pctx, int with_cert, int port)
{
	char path[300], path2[300];
	SSL_CTX *ctx;

	*pctx = ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return -1;
	str_fmt(path, sizeof path, "%s/ca.pem", tlsdir);
	if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1)
		return -1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (with_cert) {
		str_fmt(path, sizeof path, "%s/cli.pem", tlsdir);
		str_fmt(path2, sizeof path2, "%s/cli.key", tlsdir);
		if (SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, path2, SSL_FILETYPE_PEM) != 1)
			return -1;
	}
	if (cli_open(k, port) != 0)
		return -1;
	if ((k->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(k->ssl, k->fd) != 1)
		return -1;
	SSL_set1_host(k->ssl, "127.0.0.1");
	return SSL_connect(k->ssl) == 1 ? 0 : -1;
}

static int
tls_client(struct cli *k, SSL_CTX **pctx, int with_cert)
{
	return tls_client_to(k, pctx, with_cert, tlssrv.port);
}

/*
 * Over TLS too a full queue is answered 503 (the handshake is done by
 * then), and idle TLS connections wait in the loop, not in the queue.
 */
static void
test_tls_queue_full(void)
{
	const struct http_server_opts o = {
		.host = "127.0.0.1", .workers = 1, .queue = 1,
		.header_timeout = 300, .keepalive_timeout = 300, .tls = srvctx
	};
	SSL_CTX *ctx[4] = { NULL, NULL, NULL, NULL };
	struct cli held, idle, queued, third;
	struct resp r;
	struct srv v;
	int i;

	CU_ASSERT_FATAL(srv_start(&v, &o) == 0);
	gate_reset();
	CU_ASSERT_FATAL(tls_client_to(&held, &ctx[0], 1, v.port) == 0);
	CU_ASSERT(cli_sends(&held, "GET /wait HTTP/1.1\r\nHost: t\r\n\r\n") ==
	    0);
	CU_ASSERT_FATAL(gate_wait_entered(1));		/* the worker is busy */
	CU_ASSERT_FATAL(tls_client_to(&idle, &ctx[1], 1, v.port) == 0);
	CU_ASSERT(srv_wait_parked(v.s, 1));
	CU_ASSERT_FATAL(tls_client_to(&queued, &ctx[2], 1, v.port) == 0);
	CU_ASSERT(cli_sends(&queued, "GET /info HTTP/1.1\r\nHost: t\r\n"
	    "\r\n") == 0);
	CU_ASSERT(srv_wait(v.s, 1, -1));
	CU_ASSERT_FATAL(tls_client_to(&third, &ctx[3], 1, v.port) == 0);
	CU_ASSERT_EQUAL(cli_ask(&third, "GET /info HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", NULL, 0, &r), 503);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.head, "Retry-After: "));
	CU_ASSERT(srv_wait_refused(v.s, HTTP_REFUSE_QUEUE_FULL, 1));
	cli_close(&third);
	gate_release();
	CU_ASSERT_EQUAL_FATAL(cli_response(&held, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL_FATAL(cli_response(&queued, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(cli_ask(&idle, "GET /info HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", NULL, 0, &r), 200);
	cli_close(&held);
	cli_close(&idle);
	cli_close(&queued);
	for (i = 0; i < 4; i++)
		SSL_CTX_free(ctx[i]);
	CU_ASSERT_EQUAL(srv_stop(&v), 0);
}

static void
test_tls_mutual(void)
{
	SSL_CTX *ctx = NULL;
	struct cli k;
	struct resp r;

	CU_ASSERT_FATAL(tls_client(&k, &ctx, 1) == 0);
	CU_ASSERT_EQUAL(cli_ask(&k, "GET /info HTTP/1.1\r\nHost: t\r\n\r\n",
	    NULL, 0, &r), 200);
	CU_ASSERT_STRING_EQUAL(r.body,
	    "GET|/info||-|1|CN=client.example,O=Test Hospital|127.0.0.1");
	/* keep-alive over TLS, with a chunked upload */
	(void)cli_ask(&k, "POST /hash HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", NULL, 0,
	    &r);
	CU_ASSERT_STRING_EQUAL(r.body, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad 3");
	cli_close(&k);
	SSL_CTX_free(ctx);
}

static void
test_tls_no_cert(void)
{
	SSL_CTX *ctx = NULL;
	struct cli k, ok;
	struct resp r;
	SSL_CTX *ctx2 = NULL;

	memset(&r, 0, sizeof r);
	/* TLS 1.3: the client may finish its side before the alert comes. */
	if (tls_client(&k, &ctx, 0) == 0) {
		(void)cli_sends(&k, "GET /info HTTP/1.1\r\nHost: t\r\n\r\n");
		CU_ASSERT_NOT_EQUAL(cli_response(&k, &r), 0);
	}
	CU_ASSERT_NOT_EQUAL(r.status, 200);
	cli_close(&k);
	SSL_CTX_free(ctx);
	ERR_clear_error();

	/* A plain-text client on the TLS port gets nothing useful either. */
	CU_ASSERT_FATAL(cli_open(&k, tlssrv.port) == 0);
	CU_ASSERT(cli_sends(&k, "GET / HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
	CU_ASSERT_NOT_EQUAL(cli_response(&k, &r), 0);
	cli_close(&k);

	/* The server goes on serving others. */
	CU_ASSERT_FATAL(tls_client(&ok, &ctx2, 1) == 0);
	CU_ASSERT(cli_sends(&ok, "GET /info HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
	CU_ASSERT_EQUAL(cli_response(&ok, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	cli_close(&ok);
	SSL_CTX_free(ctx2);
}

static void
test_tls_ctx_errors(void)
{
	char err[256], path[300];

	err[0] = '\0';
	CU_ASSERT_PTR_NULL(tls_server_ctx("/nonexistent.pem", "/nonexistent.key",
	    "/nonexistent-ca.pem", NULL, err, sizeof err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent.pem"));
	CU_ASSERT_PTR_NULL(tls_server_ctx("", "", "", NULL, err, sizeof err));
	/* Key that does not match the certificate. */
	str_fmt(path, sizeof path, "%s/srv.pem", tlsdir);
	{
		char key[300], ca[300];

		str_fmt(key, sizeof key, "%s/cli.key", tlsdir);
		str_fmt(ca, sizeof ca, "%s/ca.pem", tlsdir);
		CU_ASSERT_PTR_NULL(tls_server_ctx(path, key, ca, NULL, err,
		    sizeof err));
		CU_ASSERT(err[0] != '\0');
	}
}

/* ------------------------------------------------------------------ */

static void
test_server_new_errors(void)
{
	struct http_server_opts o;
	struct http_server *s;
	char err[256];

	memset(&o, 0, sizeof o);
	o.workers = -1;
	CU_ASSERT_PTR_NULL(http_server_new(&o, handler, NULL, err, sizeof err));
	CU_ASSERT(err[0] != '\0');
	memset(&o, 0, sizeof o);
	o.host = "127.0.0.1";
	o.port = 70000;
	CU_ASSERT_PTR_NULL(http_server_new(&o, handler, NULL, err, sizeof err));
	CU_ASSERT(err[0] != '\0');
	o.port = plain.port;		/* in use */
	err[0] = '\0';
	CU_ASSERT_PTR_NULL(http_server_new(&o, handler, NULL, err, sizeof err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
	o.port = 0;
	memset(&o, 0, sizeof o);
	o.host = "127.0.0.1";
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = http_server_new(&o, handler, NULL,
	    err, sizeof err));
	CU_ASSERT(http_server_port(s) > 0);
	http_server_free(s);
	CU_ASSERT_STRING_EQUAL(http_reason(413), "Content Too Large");
	CU_ASSERT_STRING_EQUAL(http_reason(503), "Service Unavailable");
}

/* ---- MLLP ---- */

/* Push msg one byte at a time: the events seen, in order, as letters
 * (F frame, T too big, B bad). */
static void
mllp_events(struct mllp_reader *r, const char *msg, size_t len, char *out,
    size_t outsz)
{
	size_t i, used, n = 0;
	enum mllp_event ev;

	for (i = 0; i < len; i++) {
		ev = mllp_reader_push(r, msg + i, 1, &used);
		CU_ASSERT_EQUAL(used, 1);
		if (ev != MLLP_MORE && n + 1 < outsz)
			out[n++] = ev == MLLP_FRAME ? 'F' : ev == MLLP_TOOBIG ?
			    'T' : 'B';
	}
	out[n] = '\0';
}

static void
test_mllp_reader(void)
{
	static const char two[] = "\x0bMSH|a\rPID|1\r\x1c\r\r\n\x0bMSH|b\x1c\r";
	struct mllp_reader r;
	char ev[16], big[200];
	size_t used;

	CU_ASSERT_EQUAL_FATAL(mllp_reader_init(&r, 32), XDS_OK);
	/* whole, in one push: the first frame, then the second */
	CU_ASSERT_EQUAL(mllp_reader_push(&r, two, sizeof two - 1, &used),
	    MLLP_FRAME);
	CU_ASSERT_EQUAL(r.len, 12);
	CU_ASSERT(memcmp(r.buf, "MSH|a\rPID|1\r", 12) == 0);
	CU_ASSERT_EQUAL(mllp_reader_push(&r, two + used, sizeof two - 1 - used,
	    &used), MLLP_FRAME);
	CU_ASSERT_EQUAL(r.len, 5);
	/* byte by byte */
	mllp_events(&r, two, sizeof two - 1, ev, sizeof ev);
	CU_ASSERT_STRING_EQUAL(ev, "FF");
	/* too big: read to its end, then the next one is whole */
	memset(big, 'x', sizeof big);
	big[0] = MLLP_SB;
	big[100] = MLLP_EB;
	big[101] = MLLP_CR;
	memcpy(big + 102, "\x0bMSH\x1c\r", 7);
	mllp_events(&r, big, 108, ev, sizeof ev);
	CU_ASSERT_STRING_EQUAL(ev, "TF");
	/* bytes outside a frame, a frame in a frame, no CR after 0x1c */
	mllp_events(&r, "x", 1, ev, sizeof ev);
	CU_ASSERT_STRING_EQUAL(ev, "B");
	mllp_events(&r, "\x0b" "ab\x0b", 4, ev, sizeof ev);
	CU_ASSERT_STRING_EQUAL(ev, "B");
	mllp_events(&r, "\x0b" "ab\x1cx", 5, ev, sizeof ev);
	CU_ASSERT_STRING_EQUAL(ev, "B");
	mllp_reader_free(&r);
	/* a message past MLLP_DISCARD_FACTOR times the limit: bad */
	CU_ASSERT_EQUAL_FATAL(mllp_reader_init(&r, 16), XDS_OK);
	memset(big, 'x', sizeof big);
	big[0] = MLLP_SB;
	CU_ASSERT_EQUAL(mllp_reader_push(&r, big, 16 * MLLP_DISCARD_FACTOR / 2,
	    &used), MLLP_MORE);
	CU_ASSERT_EQUAL(mllp_reader_push(&r, big + 1, sizeof big - 1, &used),
	    MLLP_BAD);
	mllp_reader_free(&r);
}

static int
mllp_echo(void *arg, const struct mllp_peer *p, const char *msg, size_t len,
    int toobig, struct buf *out)
{
	(void)arg;
	(void)p;
	if (toobig)
		return buf_adds(out, "TOOBIG") == XDS_OK ? 0 : -1;
	if (len == 4 && memcmp(msg, "quit", 4) == 0)
		return -1;
	return buf_adds(out, "re:") == XDS_OK && buf_add(out, msg, len) ==
	    XDS_OK ? 0 : -1;
}

/* Send framed text on fd; the framed answer's content into out, or ""
 * when the connection closed. */
static void
mllp_ask(int fd, const char *raw, size_t n, char *out, size_t outsz)
{
	size_t got = 0;
	ssize_t k;

	out[0] = '\0';
	CU_ASSERT_EQUAL(write(fd, raw, n), (ssize_t)n);
	while (got + 1 < outsz && (k = read(fd, out + got, outsz - 1 - got)) >
	    0) {
		got += (size_t)k;
		if (got >= 2 && out[got - 2] == MLLP_EB &&
		    out[got - 1] == MLLP_CR)
			break;
	}
	out[got] = '\0';
	if (got >= 3 && out[0] == MLLP_SB) {
		memmove(out, out + 1, got - 3);
		out[got - 3] = '\0';
	}
}

static int
mllp_connect(int port)
{
	struct cli k;

	return cli_open(&k, port) == 0 ? k.fd : -1;
}

static void
test_mllp_server(void)
{
	struct mllp_opts o = { "127.0.0.1", 0, NULL, 64, 2, 30, mllp_echo,
	    NULL };
	struct mllp_server *s;
	char err[256], ans[256], big[300];
	int a, b, c;

	CU_ASSERT_EQUAL_FATAL(mllp_start(&o, &s, err, sizeof err), XDS_OK);
	CU_ASSERT(mllp_port(s) > 0);
	a = mllp_connect(mllp_port(s));
	CU_ASSERT_FATAL(a >= 0);
	mllp_ask(a, "\x0bhello\x1c\r", 8, ans, sizeof ans);
	CU_ASSERT_STRING_EQUAL(ans, "re:hello");
	mllp_ask(a, "\x0b" "again\x1c\r", 8, ans, sizeof ans);
	CU_ASSERT_STRING_EQUAL(ans, "re:again");
	memset(big, 'y', sizeof big);
	big[0] = MLLP_SB;
	big[sizeof big - 2] = MLLP_EB;
	big[sizeof big - 1] = MLLP_CR;
	mllp_ask(a, big, sizeof big, ans, sizeof ans);
	CU_ASSERT_STRING_EQUAL(ans, "TOOBIG");
	/* two at once: the third is closed at once */
	b = mllp_connect(mllp_port(s));
	CU_ASSERT_FATAL(b >= 0);
	mllp_ask(b, "\x0b" "b\x1c\r", 4, ans, sizeof ans);
	CU_ASSERT_STRING_EQUAL(ans, "re:b");
	c = mllp_connect(mllp_port(s));
	CU_ASSERT_FATAL(c >= 0);
	mllp_ask(c, "\x0b" "c\x1c\r", 4, ans, sizeof ans);
	CU_ASSERT_STRING_EQUAL(ans, "");
	close(c);
	/* the handler may close; so does bad framing */
	mllp_ask(b, "\x0bquit\x1c\r", 7, ans, sizeof ans);
	CU_ASSERT_STRING_EQUAL(ans, "");
	close(b);
	mllp_ask(a, "garbage", 7, ans, sizeof ans);
	CU_ASSERT_STRING_EQUAL(ans, "");
	close(a);
	/* a plain listener takes no TLS context (and frees it) */
	CU_ASSERT_EQUAL(mllp_set_tls(s, NULL), XDS_EINVAL);
	mllp_stop(s);
	/* a port in use */
	CU_ASSERT_EQUAL_FATAL(mllp_start(&o, &s, err, sizeof err), XDS_OK);
	o.port = mllp_port(s);
	CU_ASSERT_NOT_EQUAL(mllp_start(&o, &s, err, sizeof err), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mllp: bind"));
	mllp_stop(s);
}

static const struct cutest mllp_tests[] = {
	{ "framing", test_mllp_reader },
	{ "listener", test_mllp_server },
};

static const struct cutest http_parse_tests[] = {
	{ "simple", test_parse_simple },
	{ "prefixes", test_parse_prefixes },
	{ "pipelined", test_parse_pipelined },
	{ "rejections", test_parse_reject },
	{ "limits", test_parse_limits },
};

static const struct cutest http_chunked_tests[] = {
	{ "split at every byte", test_chunked_split },
	{ "rejections", test_chunked_reject },
};

static const struct cutest http_server_tests[] = {
	{ "new errors", test_server_new_errors },
	{ "keep-alive", test_srv_keepalive },
	{ "head errors", test_srv_errors },
	{ "100-continue", test_srv_continue },
	{ "body limit", test_srv_limit },
	{ "chunked upload", test_srv_chunked_upload },
	{ "slow drip", test_srv_slowdrip },
	{ "queue full", test_srv_busy },
	{ "graceful stop", test_srv_stop },
	{ "half-closed client", test_srv_half_close },
	{ "idle connections parked", test_srv_parking },
	{ "connection limits", test_srv_conn_limits },
	{ "body errors", test_srv_body_errors },
};

static const struct cutest http_tls_tests[] = {
	{ "mutual TLS", test_tls_mutual },
	{ "queue full over TLS", test_tls_queue_full },
	{ "no client cert", test_tls_no_cert },
	{ "ctx errors", test_tls_ctx_errors },
};

static const struct cutest_suite suites[] = {
	{ "http_parse", NULL, NULL, http_parse_tests, NELEM(http_parse_tests) },
	{ "http_chunked", NULL, NULL,
	    http_chunked_tests, NELEM(http_chunked_tests) },
	{ "http_server", suite_plain_init, suite_plain_cleanup,
	    http_server_tests, NELEM(http_server_tests) },
	{ "http_tls", suite_tls_init, suite_tls_cleanup,
	    http_tls_tests, NELEM(http_tls_tests) },
	{ "mllp", NULL, NULL, mllp_tests, NELEM(mllp_tests) },
};

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);	/* the test clients write to closed peers */
	return cutest_run_suites(suites, NELEM(suites));
}
