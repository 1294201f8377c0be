/*
 * xdsctl_proxy.c: xdsctl proxy --listen ADDR --to URL [--dir DIR]: an
 * HTTP(S) proxy between two IHE systems that forwards every exchange
 * unchanged (the bytes as received, streamed through fixed buffers:
 * Content-Length, chunked and read-to-close bodies), checks both
 * directions with the checks of xdsctl validate (check/check.h), writes
 * each exchange to DIR (NNNNNN-request.http, NNNNNN-response.http,
 * NNNNNN.json with the findings) and prints one line per exchange.
 *
 * One thread per client connection (at most PROXY_MAX_CONNS), each with
 * its own connection to the target, kept open while the client keeps
 * its own.  TLS to the target with --cert/--key/--ca (the peer's name is
 * verified), and on the listening side with --listen-cert/--listen-key/
 * --listen-ca: mutual TLS as the node's own listener (tls_server_ctx), so
 * that the proxy lets in no client the node would refuse.
 * A message longer than --max-check bytes is forwarded, not checked.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "check.h"
#include "conf.h"
#include "http_chunked.h"
#include "str.h"
#include "tls.h"
#include "url.h"
#include "xdsctl.h"

#define PROXY_MAX_CONNS	256
#define PROXY_MAX_HEAD	(64 * 1024)
#define PROXY_IO_BUF	(64 * 1024)
#define PROXY_TIMEOUT	300		/* seconds without a byte */
#define PROXY_MAX_CHECK	(64ull * 1024 * 1024)

struct proxy {
	char		 host[256];	/* the target */
	char		 port[8];
	int		 tls;
	SSL_CTX		*cctx;		/* to the target, or NULL */
	SSL_CTX		*sctx;		/* on the listening side, or NULL */
	const char	*dir;		/* or NULL */
	size_t		 max_check;
	int		 bsn;
	atomic_uint	 nconns;
	atomic_ulong	 seq;
	pthread_mutex_t	 out;		/* stdout lines */
};

/* One side of a connection. */
struct side {
	int	 fd;
	SSL	*ssl;
	char	 buf[PROXY_IO_BUF];	/* read, not yet used */
	size_t	 off, len;
	int	 eof;
};

static ssize_t
side_read(struct side *s, char *p, size_t n)
{
	ssize_t r;

	if (s->ssl != NULL) {
		r = SSL_read(s->ssl, p, (int)(n > INT32_MAX ? INT32_MAX : n));
		return r > 0 ? r : SSL_get_error(s->ssl, (int)r) ==
		    SSL_ERROR_ZERO_RETURN ? 0 : -1;
	}
	do
		r = read(s->fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
side_write(struct side *s, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (s->ssl != NULL)
			w = SSL_write(s->ssl, p, (int)(n > INT32_MAX ?
			    INT32_MAX : n));
		else
			w = send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && s->ssl == NULL && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* More bytes into s->buf; 0 at the end, -1 on error. */
static ssize_t
side_fill(struct side *s)
{
	ssize_t r;

	if (s->off > 0 && s->off == s->len)
		s->off = s->len = 0;
	if (s->len == sizeof s->buf) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len == sizeof s->buf)
		return -1;
	r = side_read(s, s->buf + s->len, sizeof s->buf - s->len);
	if (r > 0)
		s->len += (size_t)r;
	else if (r == 0)
		s->eof = 1;
	return r;
}

static void
side_close(struct side *s)
{
	if (s->ssl != NULL) {
		(void)SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	if (s->fd >= 0)
		close(s->fd);
	s->ssl = NULL;
	s->fd = -1;
}

/* What the proxy needs from a head. */
struct head {
	char		 text[PROXY_MAX_HEAD + 1];	/* as received */
	size_t		 len;
	char		 first[512];	/* request or status line */
	int		 status;	/* an answer's */
	long long	 clen;		/* -1: none */
	int		 chunked;
	int		 close;
	int		 http10;
	int		 head_req;	/* a HEAD request */
	int		 post;		/* a POST or PUT: a message to check */
	int		 expect;	/* Expect: 100-continue */
};

/* 1 if line [p, e) is header name; its value into v. */
static int
hfield(const char *p, const char *e, const char *name, char *v, size_t vsz)
{
	size_t n = strlen(name), k;

	if ((size_t)(e - p) <= n || p[n] != ':' || !str_ncaseeq(p, name, n))
		return 0;
	for (p += n + 1; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	k = (size_t)(e - p) < vsz ? (size_t)(e - p) : vsz - 1;
	memcpy(v, p, k);
	v[k] = '\0';
	str_trim(v);
	return 1;
}

static void
head_parse(struct head *h)
{
	const char *p = h->text, *end = h->text + h->len, *nl, *e;
	const char *why;
	char v[64];
	long long n;
	int first = 1;

	h->clen = -1;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (first) {
			size_t k = (size_t)(e - p) < sizeof h->first ?
			    (size_t)(e - p) : sizeof h->first - 1;

			memcpy(h->first, p, k);
			h->first[k] = '\0';
			first = 0;
			continue;
		}
		if (hfield(p, e, "Content-Length", v, sizeof v) &&
		    str_tonum(v, 0, INT64_MAX, &n, &why) == 0)
			h->clen = n;
		else if (hfield(p, e, "Transfer-Encoding", v, sizeof v))
			h->chunked = strstr(v, "chunked") != NULL;
		else if (hfield(p, e, "Connection", v, sizeof v))
			h->close = str_caseeq(v, "close");
		else if (hfield(p, e, "Expect", v, sizeof v))
			h->expect = str_caseeq(v, "100-continue");
	}
	h->http10 = strstr(h->first, "HTTP/1.0") != NULL;
	h->head_req = strncmp(h->first, "HEAD ", 5) == 0;
	h->post = strncmp(h->first, "POST ", 5) == 0 ||
	    strncmp(h->first, "PUT ", 4) == 0;
	if (strncmp(h->first, "HTTP/1.", 7) == 0 && strlen(h->first) >= 12) {
		char st[4];

		memcpy(st, h->first + 9, 3);
		st[3] = '\0';
		if (str_tonum(st, 100, 599, &n, &why) == 0)
			h->status = (int)n;
	}
}

/* Read a head from s; 1 when the peer closed before one began. */
static int
head_read(struct side *s, struct head *h)
{
	const char *end;
	size_t n;

	memset(h, 0, sizeof *h);
	for (;;) {
		n = s->len - s->off;
		if ((end = memmem(s->buf + s->off, n, "\r\n\r\n", 4)) != NULL) {
			n = (size_t)(end + 4 - (s->buf + s->off));
			break;
		}
		if (n >= PROXY_MAX_HEAD)
			return -1;
		if (side_fill(s) <= 0)
			return s->eof && n == 0 ? 1 : -1;
	}
	memcpy(h->text, s->buf + s->off, n);
	h->len = n;
	h->text[n] = '\0';
	s->off += n;
	head_parse(h);
	return 0;
}

/* One direction's message as the proxy keeps it. */
struct msg {
	struct buf	 cap;		/* head and body, up to max_check */
	int		 over;		/* longer than that */
	FILE		*fp;		/* DIR/...http, or NULL */
	unsigned long long bytes;
};

static void
keep(struct msg *m, const char *p, size_t n)
{
	if (m->fp != NULL)
		(void)fwrite(p, 1, n, m->fp);
	m->bytes += n;
	if (!m->over && buf_add(&m->cap, p, n) != XDS_OK)
		m->over = 1;
}

/* Pass n bytes (or, n -1, to the end) from s to d. */
static int
pass_bytes(struct side *s, struct side *d, long long n, struct msg *m)
{
	size_t k;

	while (n != 0) {
		if (s->off == s->len && side_fill(s) <= 0)
			return n < 0 && s->eof ? 0 : -1;
		k = s->len - s->off;
		if (n > 0 && (unsigned long long)n < k)
			k = (size_t)n;
		if (side_write(d, s->buf + s->off, k) != 0)
			return -1;
		keep(m, s->buf + s->off, k);
		s->off += k;
		if (n > 0)
			n -= (long long)k;
	}
	return 0;
}

/* A chunked body: passed as it comes, decoded alongside to find its end. */
static int
pass_chunked(struct side *s, struct side *d, struct msg *m)
{
	struct http_chunked c;
	char scratch[PROXY_IO_BUF];
	size_t used, outn, k;
	int rc;

	http_chunked_init(&c, 0);
	for (;;) {
		if (s->off == s->len && side_fill(s) <= 0)
			return -1;
		k = s->len - s->off;
		rc = http_chunked_decode(&c, s->buf + s->off, k, &used,
		    scratch, sizeof scratch, &outn);
		if (rc == HTTP_CHUNKED_ERR)
			return -1;
		if (used > 0) {
			if (side_write(d, s->buf + s->off, used) != 0)
				return -1;
			keep(m, s->buf + s->off, used);
			s->off += used;
		}
		if (rc == HTTP_CHUNKED_DONE)
			return 0;
	}
}

/* A message's body from s to d, as its head frames it. */
static int
pass_body(struct side *s, struct side *d, const struct head *h, int answer,
    int head_req, struct msg *m)
{
	if (answer && (head_req || h->status == 204 || h->status == 304 ||
	    h->status / 100 == 1))
		return 0;
	if (h->chunked)
		return pass_chunked(s, d, m);
	if (h->clen >= 0)
		return pass_bytes(s, d, h->clen, m);
	return answer ? pass_bytes(s, d, -1, m) : 0;
}

static int
connect_target(struct proxy *px, struct side *t)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { PROXY_TIMEOUT, 0 };
	int one = 1;
	struct in6_addr a6;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	t->fd = -1;
	if (getaddrinfo(px->host, px->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && t->fd < 0; ai = ai->ai_next) {
		if ((t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0)
			continue;
		if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(t->fd);
			t->fd = -1;
		}
	}
	freeaddrinfo(res);
	if (t->fd < 0)
		return -1;
	(void)setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	/* a head and its body go as separate writes: no Nagle wait */
	(void)setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (px->cctx == NULL)
		return 0;
	if ((t->ssl = SSL_new(px->cctx)) == NULL ||
	    SSL_set_fd(t->ssl, t->fd) != 1)
		return -1;
	/* The peer's name: an address against its IP entries, a host name
	 * against its DNS names (and sent as SNI). */
	if (inet_pton(AF_INET, px->host, &a6) == 1 ||
	    inet_pton(AF_INET6, px->host, &a6) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    px->host) != 1)
			return -1;
	} else if (SSL_set_tlsext_host_name(t->ssl, px->host) != 1 ||
	    SSL_set1_host(t->ssl, px->host) != 1)
		return -1;
	return SSL_connect(t->ssl) == 1 ? 0 : -1;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
check_msg(struct proxy *px, struct msg *m, struct chk_report *r)
{
	struct chk_opts o = { NULL, 0 };

	o.bsn_patients = px->bsn;
	chk_report_init(r);
	if (m->over)
		str_lcpy(r->packaging, "", sizeof r->packaging);
	else
		(void)chk_message(m->cap.b_data != NULL ? m->cap.b_data : "",
		    m->cap.b_len, &o, r);
}

static FILE *
open_part(const struct proxy *px, unsigned long n, const char *what)
{
	char path[4096];
	int fd;
	FILE *fp;

	if (px->dir == NULL)
		return NULL;
	/* patient data: the owner's only, whatever the umask or --dir */
	str_fmt(path, sizeof path, "%s/%06lu-%s", px->dir, n, what);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return NULL;
	if ((fp = fdopen(fd, "wb")) == NULL)
		close(fd);
	return fp;
}

/* The exchange's findings into DIR/NNNNNN.json and its line on stdout. */
static void
report(struct proxy *px, unsigned long n, const char *when, int status,
    long long ms, int post, struct msg *rq, struct msg *rs)
{
	struct chk_report a, b;
	struct buf j;
	const char *kind;
	FILE *fp;

	/* Only a POST (or PUT) carries a message: a GET of ?wsdl or /status
	 * is passed, not checked. */
	if (!post)
		rq->over = rs->over = 1;
	check_msg(px, rq, &a);
	check_msg(px, rs, &b);
	kind = a.kind[0] ? a.kind : b.kind[0] ? b.kind : "-";
	if ((fp = open_part(px, n, "exchange.json")) != NULL) {
		buf_init(&j, 1 << 26);
		if (buf_addf(&j, "{\"exchange\":%lu,\"time\":\"%s\",\"transaction\""
		    ":\"%s\",\"status\":%d,\"latency_ms\":%lld,\"request_bytes\":"
		    "%llu,\"response_bytes\":%llu,\"checked\":%s,\"request\":", n,
		    when, kind, status, ms, rq->bytes, rs->bytes,
		    rq->over || rs->over ? "false" : "true") == XDS_OK &&
		    chk_report_json(&a, NULL, &j) == XDS_OK &&
		    buf_adds(&j, ",\"response\":") == XDS_OK &&
		    chk_report_json(&b, NULL, &j) == XDS_OK &&
		    buf_adds(&j, "}\n") == XDS_OK)
			(void)fwrite(j.b_data, 1, j.b_len, fp);
		buf_free(&j);
		fclose(fp);
	}
	pthread_mutex_lock(&px->out);
	printf("%s #%lu %-6s %3d %5lldms request %zuE/%zuW response %zuE/%zuW"
	    "%s\n", when, n, kind, status, ms, a.nerrors, a.nwarnings,
	    b.nerrors, b.nwarnings, !post ? " (not a POST: not checked)" :
	    rq->over || rs->over ? " (too long: not checked)" : "");
	fflush(stdout);
	pthread_mutex_unlock(&px->out);
	chk_report_free(&a);
	chk_report_free(&b);
}

static void
msg_init(struct msg *m, const struct proxy *px, unsigned long n,
    const char *what)
{
	memset(m, 0, sizeof *m);
	buf_init(&m->cap, px->max_check);
	m->fp = open_part(px, n, what);
}

static void
msg_free(struct msg *m)
{
	if (m->fp != NULL)
		fclose(m->fp);
	buf_free(&m->cap);
}

/* One exchange on the connection; 1 when the connection goes on. */
static int
exchange(struct proxy *px, struct side *c, struct side *t)
{
	static const char bad_gateway[] = "HTTP/1.1 502 Bad Gateway\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	struct head *q, *a;
	struct msg rq, rs;
	unsigned long n;
	long long t0;
	char when[32];
	struct tm tm;
	time_t now;
	int rc, go = 0, have = 0, refused = 0;

	q = malloc(sizeof *q);
	a = calloc(1, sizeof *a);
	if (q == NULL || a == NULL)
		goto out;
	if (head_read(c, q) != 0)
		goto out;
	if (t->fd < 0 && connect_target(px, t) != 0) {
		(void)side_write(c, bad_gateway, sizeof bad_gateway - 1);
		goto out;
	}
	n = atomic_fetch_add(&px->seq, 1) + 1;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	t0 = now_ms();
	msg_init(&rq, px, n, "request.http");
	msg_init(&rs, px, n, "response.http");
	keep(&rq, q->text, q->len);
	if (side_write(t, q->text, q->len) != 0)
		goto done;
	if (q->expect) {
		/* The server's word before the body: 100, or a final answer
		 * (then the client may or may not send the body: the
		 * connection ends after the exchange). */
		if (head_read(t, a) != 0)
			goto done;
		if (a->status != 100)
			have = refused = 1;
		else {
			keep(&rs, a->text, a->len);
			buf_reset(&rs.cap);
			if (side_write(c, a->text, a->len) != 0)
				goto done;
		}
	}
	if (!have && pass_body(c, t, q, 0, 0, &rq) != 0)
		goto done;
	for (;;) {
		if (!have && head_read(t, a) != 0)
			goto done;
		have = 0;
		keep(&rs, a->text, a->len);
		if (side_write(c, a->text, a->len) != 0 ||
		    pass_body(t, c, a, 1, q->head_req, &rs) != 0)
			goto done;
		if (a->status / 100 != 1 || a->status == 101)
			break;
		buf_reset(&rs.cap);	/* interim: the final answer is checked */
	}
	go = !refused && !q->close && !a->close && !q->http10 &&
	    !a->http10 && (a->chunked || a->clen >= 0 || q->head_req);
done:
	rc = a->status;
	if (rq.fp != NULL)
		fflush(rq.fp);
	if (rs.fp != NULL)
		fflush(rs.fp);
	report(px, n, when, rc, now_ms() - t0, q->post, &rq, &rs);
	msg_free(&rq);
	msg_free(&rs);
out:
	free(q);
	free(a);
	return go;
}

struct conn_arg {
	struct proxy	*px;
	int		 fd;
};

static void *
conn_main(void *arg)
{
	struct conn_arg *ca = arg;
	struct proxy *px = ca->px;
	struct side *c, *t;
	struct timeval tv = { PROXY_TIMEOUT, 0 };
	int one = 1;

	c = calloc(1, sizeof *c);
	t = calloc(1, sizeof *t);
	if (c == NULL || t == NULL) {
		close(ca->fd);
		goto out;
	}
	c->fd = ca->fd;
	t->fd = -1;
	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (px->sctx != NULL && ((c->ssl = SSL_new(px->sctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_accept(c->ssl) != 1))
		goto done;
	while (exchange(px, c, t))
		;
done:
	side_close(t);
	side_close(c);
out:
	free(c);
	free(t);
	free(ca);
	atomic_fetch_sub(&px->nconns, 1);
	ERR_clear_error();
	return NULL;
}

/* --to URL into host, port, tls. */
static int
target(struct proxy *px, const char *url)
{
	const char *p, *e, *colon;
	char err[256];

	if (url_check(url, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: --to %s\n", err);
		return -1;
	}
	px->tls = strncmp(url, "https://", 8) == 0;
	p = url + (px->tls ? 8 : 7);
	e = p + strcspn(p, "/?#");
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(e - p));

		if (rb == NULL || (size_t)(rb - p - 1) >= sizeof px->host)
			return -1;
		memcpy(px->host, p + 1, (size_t)(rb - p - 1));
		px->host[rb - p - 1] = '\0';
		colon = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(e - p));
		if ((size_t)((colon ? colon : e) - p) >= sizeof px->host)
			return -1;
		memcpy(px->host, p, (size_t)((colon ? colon : e) - p));
		px->host[(colon ? colon : e) - p] = '\0';
	}
	if (colon != NULL && (size_t)(e - colon - 1) < sizeof px->port &&
	    e - colon > 1) {
		memcpy(px->port, colon + 1, (size_t)(e - colon - 1));
		px->port[e - colon - 1] = '\0';
	} else
		str_lcpy(px->port, px->tls ? "443" : "80", sizeof px->port);
	return 0;
}

/* The context towards the target: its name verified (target()). */
static SSL_CTX *
tls_ctx(const char *cert, const char *key, const char *ca)
{
	SSL_CTX *x = SSL_CTX_new(TLS_client_method());

	if (x == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(x, TLS1_2_VERSION);
	if ((cert != NULL && (SSL_CTX_use_certificate_chain_file(x, cert) !=
	    1 || SSL_CTX_use_PrivateKey_file(x, key ? key : cert,
	    SSL_FILETYPE_PEM) != 1)) ||
	    (ca != NULL ? SSL_CTX_load_verify_locations(x, ca, NULL) :
	    SSL_CTX_set_default_verify_paths(x)) != 1) {
		SSL_CTX_free(x);
		return NULL;
	}
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
	return x;
}

static int
listen_on(const char *addr, int *fdp)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[256], serv[16], h[NI_MAXHOST];
	int port, fd, on = 1;

	if (conf_split_hostport(addr, host, sizeof host, &port) != 0)
		return -1;
	str_fmt(serv, sizeof serv, "%d", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, serv, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof on) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, serv,
	    sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	/* The first line says where: port 0 takes any free port. */
	printf("listening on %s%s%s:%s\n", strchr(h, ':') ? "[" : "", h,
	    strchr(h, ':') ? "]" : "", serv);
	fflush(stdout);
	*fdp = fd;
	return 0;
}

/* The highest exchange number already in dir: a new run goes on after
 * it instead of failing to create its files. */
static unsigned long
last_exchange(const char *dir)
{
	struct dirent *de;
	unsigned long n, max = 0;
	long long v;
	const char *why;
	char num[7];
	DIR *d;

	if (dir == NULL || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) < 7 || de->d_name[6] != '-')
			continue;
		memcpy(num, de->d_name, 6);
		num[6] = '\0';
		if (str_tonum(num, 0, 999999999, &v, &why) == 0 &&
		    (n = (unsigned long)v) > max)
			max = n;
	}
	closedir(d);
	return max;
}

static void
proxy_usage(void)
{
	fprintf(stderr, "usage: xdsctl proxy --listen ADDR --to URL [--dir DIR]"
	    " [--cert F --key F] [--ca F]\n"
	    "                    [--listen-cert F --listen-key F --listen-ca F] "
	    "[--max-check BYTES]\n");
}

int
ctl_proxy(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "dir", required_argument, NULL, 'd' },
		{ "cert", required_argument, NULL, 'E' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },
		{ "listen-cert", required_argument, NULL, 'S' },
		{ "listen-key", required_argument, NULL, 'k' },
		{ "listen-ca", required_argument, NULL, 'a' },
		{ "max-check", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	static struct proxy px;
	const char *listen_addr = NULL, *to = NULL, *scert = NULL;
	const char *skey = NULL, *sca = NULL, *why;
	long long mc;
	char err[256];
	pthread_attr_t attr;
	pthread_t tid;
	int ch, lfd, fd;

	px.max_check = PROXY_MAX_CHECK;
	optind = 0;
	while ((ch = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': listen_addr = optarg; break;
		case 't': to = optarg; break;
		case 'd': px.dir = optarg; break;
		case 'E': ctl->cert = optarg; break;
		case 'K': ctl->key = optarg; break;
		case 'A': ctl->ca = optarg; break;
		case 'S': scert = optarg; break;
		case 'k': skey = optarg; break;
		case 'a': sca = optarg; break;
		case 'm':
			if (str_tonum(optarg, 0, (long long)SIZE_MAX / 2, &mc,
			    &why) != 0) {
				fprintf(stderr, "xdsctl: --max-check: %s\n",
				    why);
				return 2;
			}
			px.max_check = (size_t)mc;
			break;
		default:
			proxy_usage();
			return 2;
		}
	}
	if (listen_addr == NULL || to == NULL || optind != argc + 1 ||
	    (scert == NULL) != (skey == NULL) ||
	    (scert == NULL) != (sca == NULL)) {
		proxy_usage();
		return 2;
	}
	if (target(&px, to) != 0)
		return 1;
	if (px.dir != NULL && mkdir(px.dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "xdsctl: %s: %s\n", px.dir, strerror(errno));
		return 1;
	}
	atomic_store(&px.seq, last_exchange(px.dir));
	if (chk_init(err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: %s\n", err);
		return 1;
	}
	px.bsn = strcmp(ctl->conf.registry_patient_ids, "bsn") == 0;
	if (px.tls && (px.cctx = tls_ctx(ctl->cert, ctl->key, ctl->ca)) ==
	    NULL) {
		fprintf(stderr, "xdsctl: TLS set-up: %s\n",
		    ERR_reason_error_string(ERR_get_error()));
		return 1;
	}
	if (scert != NULL && (px.sctx = tls_server_ctx(scert, skey, sca, NULL,
	    err, sizeof err)) == NULL) {
		fprintf(stderr, "xdsctl: --listen-cert: %s\n", err);
		return 1;
	}
	pthread_mutex_init(&px.out, NULL);
	if (listen_on(listen_addr, &lfd) != 0) {
		fprintf(stderr, "xdsctl: --listen %s: %s\n", listen_addr,
		    strerror(errno));
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct conn_arg *ca;

		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* out of descriptors: let connections end */
				struct timespec ts = { 0, 100 * 1000 * 1000 };

				(void)nanosleep(&ts, NULL);
				continue;
			}
			fprintf(stderr, "xdsctl: accept: %s\n",
			    strerror(errno));
			return 1;
		}
		if (atomic_load(&px.nconns) >= PROXY_MAX_CONNS ||
		    (ca = malloc(sizeof *ca)) == NULL) {
			close(fd);
			continue;
		}
		ca->px = &px;
		ca->fd = fd;
		atomic_fetch_add(&px.nconns, 1);
		if (pthread_create(&tid, &attr, conn_main, ca) != 0) {
			atomic_fetch_sub(&px.nconns, 1);
			close(fd);
			free(ca);
		}
	}
}
