/*
 * test_gateway_zorgab.c: the ZORG-AB back-end of the community directory
 * (gateway/dir_zorgab.c) against a fake ZORG-AB in a thread: a small
 * HTTP server on 127.0.0.1 port 0 (plain, or mutual TLS with throwaway
 * certificates) that answers exactly the requests tests/zorgab/
 * requests.tsv lists, from the JSON files next to it, and counts them.
 * Look-ups by URA and home community id, the listing page by page, what
 * is and is not a community, the cache and its TTL (the test clock),
 * and every failure: no server, a server that never answers, a bad
 * HTTP status, an answer too large or not JSON, a listing without end.
 */
#include "config.h"

#include "cutest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "conf.h"
#include "dir_zorgab.h"
#include "directory.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "tlscerts.h"

#define HCID_A	"urn:oid:2.16.840.1.113883.2.4.3.1"
#define HCID_D	"urn:oid:2.16.840.1.113883.2.4.3.4"
#define HCID_OWN "urn:oid:1.3.6.1.4.1.21367.13.70.1"	/* the default */
#define BIG	(5 * 1024 * 1024)

enum fake_mode {
	FAKE_FIXTURES,		/* requests.tsv */
	FAKE_SILENT,		/* reads the request, never answers */
	FAKE_BIG,		/* 200, more than 4 MiB */
	FAKE_BAD_JSON,		/* 200, not JSON */
	FAKE_NOT_ARRAY,		/* 200, a JSON object */
	FAKE_503,		/* 503 */
	FAKE_SAME_PAGE,		/* every listing page is the first */
};

struct fake {
	int		 fd;
	int		 port;
	SSL_CTX		*tls;		/* NULL: plain HTTP */
	pthread_t	 t;
	atomic_int	 mode;
	atomic_int	 requests;
	atomic_int	 stop;
};

static char tmpdir[512];
static char *fixtures;		/* requests.tsv */

/* ---- the fake ZORG-AB --------------------------------------------- */

struct conn {
	int	 fd;
	SSL	*ssl;
};

static int
conn_write(struct conn *c, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (c->ssl != NULL)
			w = SSL_write(c->ssl, p, n > 65536 ? 65536 : (int)n);
		else
			w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The request head into buf; 0, or -1 when the client went away. */
static int
conn_head(struct conn *c, char *buf, size_t bufsz)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < bufsz) {
		if (c->ssl != NULL)
			r = SSL_read(c->ssl, buf + n, (int)(bufsz - 1 - n));
		else
			r = recv(c->fd, buf + n, bufsz - 1 - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

static void
conn_answer(struct conn *c, int status, const char *body, size_t len)
{
	char head[256];

	str_fmt(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: "
	    "close\r\n\r\n", status, len);
	if (conn_write(c, head, strlen(head)) == 0)
		(void)conn_write(c, body, len);
}

/* The file that answers target, from requests.tsv (malloc'd), or NULL. */
static char *
fixture_for(const char *target, size_t *len)
{
	const char *p = fixtures, *tab, *nl;
	char rel[256];
	size_t tl = strlen(target);

	for (; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (*p == '#' || (tab = strchr(p, '\t')) == NULL ||
		    (nl != NULL && tab > nl))
			continue;
		if ((size_t)(tab - p) != tl || memcmp(p, target, tl) != 0)
			continue;
		str_fmt(rel, sizeof rel, "tests/zorgab/%.*s", (int)(nl != NULL ?
		    nl - tab - 1 : (ptrdiff_t)strlen(tab + 1)), tab + 1);
		return testutil_srcdir_file(rel, len);
	}
	return NULL;
}

/* Wait until the client closes or the test stops. */
static void
conn_hold(struct fake *f, struct conn *c)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	char b[256];

	while (!atomic_load(&f->stop))
		if (poll(&pfd, 1, 50) > 0 && recv(c->fd, b, sizeof b, 0) <= 0)
			break;
}

static void
fake_serve(struct fake *f, struct conn *c)
{
	char head[8192], target[2048], *body, *sp;
	size_t len;
	int mode = atomic_load(&f->mode);

	if (conn_head(c, head, sizeof head) != 0 ||
	    strncmp(head, "GET ", 4) != 0 || (sp = strchr(head + 4, ' ')) ==
	    NULL)
		return;
	str_fmt(target, sizeof target, "%.*s", (int)(sp - head - 4),
	    head + 4);
	atomic_fetch_add(&f->requests, 1);
	if (mode == FAKE_SAME_PAGE && (sp = strstr(target, "offset=")) !=
	    NULL)
		str_lcpy(sp, "offset=0&limit=100", sizeof target -
		    (size_t)(sp - target));
	switch (mode) {
	case FAKE_SILENT:
		conn_hold(f, c);
		return;
	case FAKE_BIG:
		if ((body = malloc(BIG)) == NULL)
			return;
		memset(body, ' ', BIG);
		body[0] = '[';
		body[BIG - 1] = ']';
		conn_answer(c, 200, body, BIG);
		free(body);
		return;
	case FAKE_BAD_JSON:
		conn_answer(c, 200, "[{\"ura\": ", 9);
		return;
	case FAKE_NOT_ARRAY:
		conn_answer(c, 200, "{\"organizations\": []}", 21);
		return;
	case FAKE_503:
		conn_answer(c, 503, "{}", 2);
		return;
	default:
		break;
	}
	if ((body = fixture_for(target, &len)) == NULL) {
		fprintf(stderr, "\nfake ZORG-AB: no fixture for %s\n", target);
		conn_answer(c, 404, "[]", 2);
		return;
	}
	conn_answer(c, 200, body, len);
	free(body);
}

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	struct pollfd pfd = { f->fd, POLLIN, 0 };
	struct conn c;

	while (!atomic_load(&f->stop)) {
		if (poll(&pfd, 1, 50) <= 0 ||
		    (c.fd = accept(f->fd, NULL, NULL)) < 0)
			continue;
		c.ssl = NULL;
		if (f->tls != NULL && ((c.ssl = SSL_new(f->tls)) == NULL ||
		    SSL_set_fd(c.ssl, c.fd) != 1 || SSL_accept(c.ssl) != 1)) {
			SSL_free(c.ssl);
			close(c.fd);
			continue;
		}
		fake_serve(f, &c);
		if (c.ssl != NULL) {
			SSL_shutdown(c.ssl);
			SSL_free(c.ssl);
		}
		close(c.fd);
	}
	return NULL;
}

static int
fake_start(struct fake *f, SSL_CTX *tls)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;

	memset(f, 0, sizeof *f);
	f->tls = tls;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(f->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(f->fd, 16) != 0 ||
	    getsockname(f->fd, (struct sockaddr *)&sa, &sl) != 0 ||
	    pthread_create(&f->t, NULL, fake_run, f) != 0)
		return -1;
	f->port = ntohs(sa.sin_port);
	return 0;
}

static void
fake_stop(struct fake *f)
{
	atomic_store(&f->stop, 1);
	pthread_join(f->t, NULL);
	close(f->fd);
}

/* ---- helpers ------------------------------------------------------ */

/* dir_open of the zorgab back-end at url with the TTL and timeout. */
static int
open_zab(const char *url, const char *ttl, const char *timeout,
    struct directory **d, char *err, size_t errlen)
{
	struct conf c;

	conf_defaults(&c);
	if (conf_set(&c, "directory.backend", "zorgab", err, errlen) != 0 ||
	    conf_set(&c, "directory.zorgab_url", url, err, errlen) != 0 ||
	    conf_set(&c, "directory.cache_ttl", ttl, err, errlen) != 0 ||
	    conf_set(&c, "directory.timeout", timeout, err, errlen) != 0)
		return XDS_EINVAL;
	return dir_open(&c, d, err, errlen);
}

static void
fake_url(const struct fake *f, char *url, size_t urlsz)
{
	str_fmt(url, urlsz, "%s://127.0.0.1:%d/zab/", f->tls != NULL ?
	    "https" : "http", f->port);
}

struct collect {
	char	hcids[8][DIR_HCID_MAX];
	char	names[8][DIR_NAME_MAX];
	int	n;
};

static int
collect(void *arg, const struct dir_community *c)
{
	struct collect *co = arg;

	if (co->n < 8) {
		str_lcpy(co->hcids[co->n], c->hcid, sizeof co->hcids[0]);
		str_lcpy(co->names[co->n], c->name, sizeof co->names[0]);
	}
	co->n++;
	return 0;
}

/* ---- the answer, pure --------------------------------------------- */

static void
test_parse(void)
{
	static const char one[] = "[{\"displayName\": \"\x7f \\tA\\nB \", "
	    "\"electronicServices\": [{\"active\": true, \"address\": "
	    "\"https://x.example/\", \"applicationId\": \"urn:oid:1.2.3\", "
	    "\"conformances\": [{\"interactionId\": \"ITI-38\"}]}]}]";
	static const char noname[] = "[{\"numes\": [{\"fullName\": \"D\"}], "
	    "\"electronicServices\": [{\"active\": true, \"address\": "
	    "\"https://x.example/\", \"applicationId\": \"urn:oid:1.2.3\", "
	    "\"conformances\": [{\"interactionId\": \"ITI-38\"}]}]}]";
	struct dir_community *v = NULL;
	size_t n, norgs, len;
	char *json, err[256];

	json = testutil_srcdir_file("tests/zorgab/list-1.json", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(json);
	CU_ASSERT_EQUAL(dir_zorgab_parse(json, len, HCID_OWN, &v, &n, &norgs,
	    err, sizeof err), XDS_OK);
	free(json);
	/* D, and A; the own community and F (no usable service) not */
	CU_ASSERT_EQUAL(norgs, 4);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(v[0].hcid, HCID_D);
	CU_ASSERT_STRING_EQUAL(v[0].name, "Huisartsen D");
	CU_ASSERT_STRING_EQUAL(v[0].url, "http://127.0.0.1:9/xca/rg");
	CU_ASSERT_STRING_EQUAL(v[1].hcid, HCID_A);
	CU_ASSERT_STRING_EQUAL(v[1].dicom, "PACS@pacs.a.example:104");
	CU_ASSERT_STRING_EQUAL(v[1].xdr, "https://xdr.a.example/xdr");
	free(v);

	/* a name: control characters out, white space trimmed */
	CU_ASSERT_EQUAL(dir_zorgab_parse(one, strlen(one), HCID_OWN, &v, &n,
	    &norgs, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0].name, "A B");
	CU_ASSERT_STRING_EQUAL(v[0].ura, "");
	free(v);

	/* no name at all ("names" misspelt): the hcid, and nothing past the end
	 * of the empty string is read (found by fuzz_dir_zorgab: the
	 * leading-space skip stepped over the NUL) */
	CU_ASSERT_EQUAL(dir_zorgab_parse(noname, strlen(noname), HCID_OWN, &v,
	    &n, &norgs, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0].name, "urn:oid:1.2.3");
	free(v);

	CU_ASSERT_EQUAL(dir_zorgab_parse("[]", 2, HCID_OWN, &v, &n, &norgs,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(dir_zorgab_parse("[1]", 3, HCID_OWN, &v, &n, &norgs,
	    err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "organization 1 is not"));
	CU_ASSERT_EQUAL(dir_zorgab_parse("{}", 2, HCID_OWN, &v, &n, &norgs,
	    err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a JSON array"));
	CU_ASSERT_EQUAL(dir_zorgab_parse("[{", 2, HCID_OWN, &v, &n, &norgs,
	    err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not JSON"));
	CU_ASSERT_EQUAL(dir_zorgab_parse("[\"\\u0000\"]", 10, HCID_OWN, &v,
	    &n, &norgs, err, sizeof err), XDS_EFORMAT);
}

/* ---- look-ups ----------------------------------------------------- */

static void
test_lookups(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	struct fake f;
	char url[128], want[256], err[512];

	CU_ASSERT_EQUAL_FATAL(fake_start(&f, NULL), 0);
	fake_url(&f, url, sizeof url);
	CU_ASSERT_EQUAL_FATAL(open_zab(url, "0", "10", &d, err, sizeof err),
	    XDS_OK);
	/* opening asks nothing */
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 0);
	str_fmt(want, sizeof want, "zorgab: http://127.0.0.1:%d/zab (no "
	    "cache, timeout 10 s)", f.port);
	CU_ASSERT_STRING_EQUAL(dir_describe(d), want);

	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.hcid, HCID_A);
	CU_ASSERT_STRING_EQUAL(c.url, "https://gw.a.example/xca/rg");
	CU_ASSERT_STRING_EQUAL(c.ura, "11111111");
	CU_ASSERT_STRING_EQUAL(c.name, "Ziekenhuis A");
	CU_ASSERT_STRING_EQUAL(c.xdr, "https://xdr.a.example/xdr");
	CU_ASSERT_STRING_EQUAL(c.dicom, "PACS@pacs.a.example:104");
	CU_ASSERT_EQUAL(c.max_documents, 0);
	CU_ASSERT_EQUAL(c.timeout, 0);
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_A, &c, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.ura, "11111111");
	/* a name from names[]: the preferred active one; the URN form */
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_D, &c, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.name, "Huisartsen D");
	CU_ASSERT_EQUAL(dir_by_ura(d, "44444444", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.hcid, HCID_D);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 4);

	/* no XCA service it receives on, but an XDR recipient: no
	 * community, an organisation reached by push only */
	CU_ASSERT_EQUAL(dir_by_ura(d, "22222222", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.hcid, "");
	CU_ASSERT_STRING_EQUAL(c.url, "");
	CU_ASSERT_STRING_EQUAL(c.xdr, "https://xdr.b.example/xdr");
	CU_ASSERT_STRING_EQUAL(c.name, "Apotheek B");
	/* an inactive XCA service is ignored */
	CU_ASSERT_EQUAL(dir_by_ura(d, "33333333", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_hcid(d, "urn:oid:2.16.840.1.113883.2.4.3.9",
	    &c, err, sizeof err), XDS_ENOTFOUND);
	/* plain HTTP off loopback, an applicationId that is no urn:oid */
	CU_ASSERT_EQUAL(dir_by_ura(d, "55555555", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "12345678", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_hcid(d, "urn:oid:1.2.3", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no community urn:oid:1.2.3"));
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 10);
	/* what cannot be a community is not asked for */
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_OWN, &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_hcid(d, "1.2.3", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "-", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "1234567&x", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 10);
	dir_close(d);
	fake_stop(&f);
}

static void
test_listing(void)
{
	struct directory *d = NULL;
	struct collect co;
	struct fake f;
	char url[128], err[512];

	CU_ASSERT_EQUAL_FATAL(fake_start(&f, NULL), 0);
	fake_url(&f, url, sizeof url);
	CU_ASSERT_EQUAL_FATAL(open_zab(url, "0", "10", &d, err, sizeof err),
	    XDS_OK);
	/* two pages: A on both, once; B, C, F, the own one, 97 without
	 * services left out */
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 2);
	CU_ASSERT_EQUAL_FATAL(co.n, 2);
	CU_ASSERT_STRING_EQUAL(co.hcids[0], HCID_A);
	CU_ASSERT_STRING_EQUAL(co.names[0], "Ziekenhuis A");
	CU_ASSERT_STRING_EQUAL(co.hcids[1], HCID_D);

	/* a listing without end is cut at 2000 organizations */
	atomic_store(&f.mode, FAKE_SAME_PAGE);
	atomic_store(&f.requests, 0);
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err),
	    XDS_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 2000 organizations"));
	CU_ASSERT_EQUAL(co.n, 0);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 21);
	dir_close(d);
	fake_stop(&f);
}

/* ---- the cache ---------------------------------------------------- */

static void
test_cache(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	struct collect co;
	struct fake f;
	char url[128], err[512];

	CU_ASSERT_EQUAL_FATAL(fake_start(&f, NULL), 0);
	fake_url(&f, url, sizeof url);
	CU_ASSERT_EQUAL_FATAL(open_zab(url, "300", "10", &d, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.hcid, HCID_A);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 1);
	/* a key of its own per look-up; not found is kept too */
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_A, &c, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 2);
	CU_ASSERT_EQUAL(dir_by_ura(d, "33333333", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(dir_by_ura(d, "33333333", &c, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 3);
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(co.n, 4);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 5);

	/* still fresh just before the TTL, asked again after it */
	clock_test_advance(299);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 5);
	clock_test_advance(2);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 6);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 6);

	/* an expired entry is not served when ZORG-AB fails, and a failure
	 * is not kept */
	clock_test_advance(301);
	atomic_store(&f.mode, FAKE_503);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_EANSWER);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "answered HTTP 503"));
	atomic_store(&f.mode, FAKE_FIXTURES);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 8);
	dir_close(d);
	fake_stop(&f);
}

#define READERS	4
#define ROUNDS	200

static void *
reader(void *arg)
{
	struct directory *d = arg;
	struct dir_community c;
	struct collect co;
	char err[256];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		memset(&co, 0, sizeof co);
		if (dir_by_hcid(d, HCID_A, &c, err, sizeof err) != XDS_OK ||
		    strcmp(c.ura, "11111111") != 0 ||
		    dir_by_ura(d, "44444444", &c, err, sizeof err) != XDS_OK ||
		    strcmp(c.hcid, HCID_D) != 0 ||
		    dir_each(d, collect, &co, err, sizeof err) != XDS_OK ||
		    co.n != 2)
			return (void *)1;
	}
	return NULL;
}

/* Many threads at once: every answer right, each key asked at most once
 * per thread that missed it. */
static void
test_readers(void)
{
	struct directory *d = NULL;
	pthread_t t[READERS];
	struct fake f;
	char url[128], err[512];
	void *ret;
	int i, started = 0, bad = 0;

	CU_ASSERT_EQUAL_FATAL(fake_start(&f, NULL), 0);
	fake_url(&f, url, sizeof url);
	CU_ASSERT_EQUAL_FATAL(open_zab(url, "300", "10", &d, err, sizeof err),
	    XDS_OK);
	for (i = 0; i < READERS; i++)
		if (pthread_create(&t[i], NULL, reader, d) == 0)
			started++;
	CU_ASSERT_EQUAL(started, READERS);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], &ret);
		bad += ret != NULL;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(atomic_load(&f.requests) >= 4);
	CU_ASSERT(atomic_load(&f.requests) <= 4 * READERS);
	dir_close(d);
	fake_stop(&f);
}

/* ---- failures ----------------------------------------------------- */

static void
test_unreachable(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	struct collect co;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	char url[128], err[512];
	int fd;

	/* a port bound but not listening: the connection is refused */
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	str_fmt(url, sizeof url, "http://127.0.0.1:%d/zab",
	    ntohs(sa.sin_port));
	CU_ASSERT_EQUAL_FATAL(open_zab(url, "300", "5", &d, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_EUNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ZORG-AB http://127.0.0.1:"));
	CU_ASSERT_EQUAL(dir_by_hcid(d, HCID_A, &c, err, sizeof err),
	    XDS_EUNAVAILABLE);
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err),
	    XDS_EUNAVAILABLE);
	dir_close(d);
	close(fd);
}

static void
test_silent(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	struct collect co;
	struct fake f;
	char url[128], err[512];

	CU_ASSERT_EQUAL_FATAL(fake_start(&f, NULL), 0);
	atomic_store(&f.mode, FAKE_SILENT);
	fake_url(&f, url, sizeof url);
	CU_ASSERT_EQUAL_FATAL(open_zab(url, "300", "1", &d, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_ETIMEOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no answer within "
	    "directory.timeout (1 s)"));
	memset(&co, 0, sizeof co);
	CU_ASSERT_EQUAL(dir_each(d, collect, &co, err, sizeof err),
	    XDS_ETIMEOUT);		/* the deadline ended it, not the peer */
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 2);
	dir_close(d);
	fake_stop(&f);
}

static void
test_bad_answers(void)
{
	static const struct {
		int		 mode;
		int		 st;
		const char	*reason;
	} bad[] = {
		{ FAKE_BIG, XDS_ETOOBIG, "answer over 4194304 bytes" },
		{ FAKE_BAD_JSON, XDS_EANSWER, "not JSON: line 1" },
		{ FAKE_NOT_ARRAY, XDS_EANSWER, "not a JSON array" },
		{ FAKE_503, XDS_EANSWER, "answered HTTP 503" },
	};
	struct directory *d = NULL;
	struct dir_community c;
	struct fake f;
	char url[128], err[512];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(fake_start(&f, NULL), 0);
	fake_url(&f, url, sizeof url);
	CU_ASSERT_EQUAL_FATAL(open_zab(url, "300", "10", &d, err, sizeof err),
	    XDS_OK);
	for (i = 0; i < NELEM(bad); i++) {
		atomic_store(&f.mode, bad[i].mode);
		err[0] = '\0';
		CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
		    bad[i].st);
		if (strstr(err, bad[i].reason) == NULL)
			fprintf(stderr, "\n\"%s\", not \"%s\"\n", err,
			    bad[i].reason);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].reason));
	}
	CU_ASSERT_EQUAL(atomic_load(&f.requests), (int)NELEM(bad));
	dir_close(d);
	fake_stop(&f);
}

/* The options: the URL required and checked, nothing asked at open. */
static void
test_options(void)
{
	struct directory *d = NULL;
	struct conf c;
	char err[512];

	conf_defaults(&c);
	CU_ASSERT_EQUAL(conf_set(&c, "directory.backend", "zorgab", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(conf_check(&c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "directory.zorgab_url is "
	    "required"));
	CU_ASSERT_EQUAL(dir_open(&c, &d, err, sizeof err), XDS_EINVAL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_NOT_EQUAL(conf_set(&c, "directory.zorgab_url",
	    "http://zorgab.example/api", err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "https://"));
	CU_ASSERT_NOT_EQUAL(conf_set(&c, "directory.cache_ttl", "-1", err,
	    sizeof err), 0);
	CU_ASSERT_NOT_EQUAL(conf_set(&c, "directory.timeout", "0", err,
	    sizeof err), 0);
	/* a host that does not resolve: opening still asks nothing */
	CU_ASSERT_EQUAL(conf_set(&c, "directory.zorgab_url",
	    "https://zorgab.invalid/api", err, sizeof err), 0);
	CU_ASSERT_EQUAL(conf_check(&c, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(dir_open(&c, &d, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(dir_describe(d), "zorgab: "
	    "https://zorgab.invalid/api (cache 300 s, timeout 10 s)");
	dir_close(d);
}

/* ---- mutual TLS --------------------------------------------------- */

static SSL_CTX *
tls_ctx(void)
{
	SSL_CTX *ctx;
	char p[600];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	str_fmt(p, sizeof p, "%s/srv.pem", tmpdir);
	if (SSL_CTX_use_certificate_chain_file(ctx, p) != 1)
		goto fail;
	str_fmt(p, sizeof p, "%s/srv.key", tmpdir);
	if (SSL_CTX_use_PrivateKey_file(ctx, p, SSL_FILETYPE_PEM) != 1)
		goto fail;
	str_fmt(p, sizeof p, "%s/ca.pem", tmpdir);
	if (SSL_CTX_load_verify_locations(ctx, p, NULL) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* dir_open over TLS with the test CA and, when cli, its client cert. */
static int
open_tls(const struct fake *f, int cli, struct directory **d, char *err,
    size_t errlen)
{
	struct conf c;
	char url[128], p[600];

	conf_defaults(&c);
	fake_url(f, url, sizeof url);
	if (conf_set(&c, "directory.backend", "zorgab", err, errlen) != 0 ||
	    conf_set(&c, "directory.zorgab_url", url, err, errlen) != 0)
		return XDS_EINVAL;
	str_fmt(p, sizeof p, "%s/ca.pem", tmpdir);
	str_lcpy(c.http_ca, p, sizeof c.http_ca);
	if (cli) {
		str_fmt(p, sizeof p, "%s/cli.pem", tmpdir);
		str_lcpy(c.http_cert, p, sizeof c.http_cert);
		str_fmt(p, sizeof p, "%s/cli.key", tmpdir);
		str_lcpy(c.http_key, p, sizeof c.http_key);
	}
	return dir_open(&c, d, err, errlen);
}

static void
test_tls(void)
{
	struct directory *d = NULL;
	struct dir_community c;
	struct fake f;
	SSL_CTX *ctx;
	char err[512];

	ctx = tls_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, ctx), 0);
	CU_ASSERT_EQUAL_FATAL(open_tls(&f, 1, &d, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.hcid, HCID_A);
	dir_close(d);
	/* without this node's certificate the server refuses */
	CU_ASSERT_EQUAL_FATAL(open_tls(&f, 0, &d, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(dir_by_ura(d, "11111111", &c, err, sizeof err),
	    XDS_EUNAVAILABLE);
	dir_close(d);
	CU_ASSERT_EQUAL(atomic_load(&f.requests), 1);
	fake_stop(&f);
	SSL_CTX_free(ctx);
}

/* ---- set-up ------------------------------------------------------- */

static int
suite_init(void)
{
	if (testutil_tmpdir("gwzab", tmpdir, sizeof tmpdir) != 0 ||
	    (fixtures = testutil_srcdir_file("tests/zorgab/requests.tsv",
	    NULL)) == NULL)
		return -1;
	return tls_make_certs(tmpdir);
}

static int
suite_clean(void)
{
	free(fixtures);
	return testutil_rmtree(tmpdir);
}

int
main(void)
{
	static const struct cutest tests[] = {
		{ "parse", test_parse },
		{ "options", test_options },
		{ "look-ups", test_lookups },
		{ "listing", test_listing },
		{ "cache", test_cache },
		{ "readers", test_readers },
		{ "unreachable", test_unreachable },
		{ "silent", test_silent },
		{ "bad answers", test_bad_answers },
		{ "mutual TLS", test_tls },
	};
	static const struct cutest_suite suites[] = {
		{ "dir_zorgab", suite_init, suite_clean, tests, NELEM(tests) },
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cutest_run_suites(suites, NELEM(suites));
	curl_global_cleanup();
	return rc;
}
