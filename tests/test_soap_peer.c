/*
 * test_soap_peer.c: the SOAP client (soap_peer.h) against real servers:
 * lib/http servers on port 0 in threads serving soap_serve with an echo
 * actor, over plain HTTP and mutual TLS (a throwaway CA made with the
 * openssl CLI), plus servers that misbehave on purpose (HTML, silence,
 * a dropped connection, a refused port).
 */
#include "config.h"

#include "cutest.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "actor.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "mtom.h"
#include "soap.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "tls.h"
#include "testutil.h"
#include "tlscerts.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define ECHO_NS		"urn:test:echo"
#define BIG_SIZE	((off_t)200 * 1024 * 1024)

static char dir[256];		/* work directory */
static char spool[300];		/* answer parts */
static atomic_int stopping;

/* ---- the echo actor ---- */

/* Echo: names the action and each attachment (size, SHA-1) and sends
 * the request's files back.  Fail: a Receiver fault "busy". */
static int
echo(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	xmlNode *h;
	char try[16] = "";
	size_t i;
	int rc;

	(void)actor;
	(void)x;
	/* a header block <t:Try> of the request, echoed */
	if ((h = xml_find(xmlDocGetRootElement(req->doc), ECHO_NS, "Try")) !=
	    NULL && xml_text(h, try, sizeof try) != 0)
		try[0] = '\0';
	rc = buf_addf(&reply->body, "<t:Echo xmlns:t=\"" ECHO_NS "\" "
	    "body=\"%s\" natt=\"%zu\" try=\"%s\">",
	    (const char *)req->body->name, req->natt, try);
	for (i = 0; i < req->natt && rc == XDS_OK; i++)
		rc = buf_addf(&reply->body, "<t:Att size=\"%lld\" "
		    "sha1=\"%s\"/>", (long long)req->att[i].size,
		    req->att[i].sha1);
	if (rc != XDS_OK || buf_adds(&reply->body, "</t:Echo>") != XDS_OK)
		return -1;
	if (req->pack != PACK_MTOM || req->natt == 0)
		return 0;
	if ((reply->att = calloc(req->natt, sizeof *reply->att)) == NULL)
		return -1;
	for (i = 0; i < req->natt; i++) {
		reply->att[i] = req->att[i];
		str_fmt(reply->att[i].cid, sizeof reply->att[i].cid,
		    "echo-%zu@test", i);
		reply->att[i].unlink_after = 0;
	}
	reply->natt = req->natt;
	return 0;
}

static int
fail(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	(void)actor;
	(void)req;
	(void)reply;
	str_lcpy(x->reason, "busy", sizeof x->reason);
	return -1;
}

static const struct soap_route echo_routes[] = {
	{ ACT_ITI18, ACT_ITI18_RSP, TXN_ITI18, NULL, NULL,
	  PACK_SIMPLE | PACK_MTOM, echo },
	{ ACT_ITI43, ACT_ITI43_RSP, TXN_ITI43, NULL, NULL, PACK_MTOM, echo },
	{ ACT_ITI62, ACT_ITI62_RSP, TXN_ITI62, NULL, NULL, PACK_SIMPLE, fail },
};
static const struct soap_endpoint echo_ep = {
	"/echo", echo_routes, sizeof echo_routes / sizeof echo_routes[0],
	NULL, NULL, 0
};

/* ---- servers ---- */

enum mode { M_SOAP, M_HTML, M_SLOW, M_BIG, M_EMPTY, M_BADMTOM };

struct srv {
	struct http_server	*hs;
	pthread_t		 thr;
	enum mode		 mode;
	int			 port;
	char			 url[128];
};

struct sio {
	struct http_conn	*conn;
};

static ssize_t
sio_read(void *ctx, void *p, size_t n)
{
	return http_body_read(((struct sio *)ctx)->conn, p, n);
}

static int
sio_begin(void *ctx, int status, const char *ctype, long long len)
{
	return http_respond_begin(((struct sio *)ctx)->conn, status, ctype,
	    len, NULL);
}

static int
sio_write(void *ctx, const void *p, size_t n)
{
	return http_respond_write(((struct sio *)ctx)->conn, p, n);
}

static int
sio_end(void *ctx)
{
	return http_respond_end(((struct sio *)ctx)->conn);
}

static void
drain(struct http_conn *c)
{
	char b[65536];

	while (http_body_read(c, b, sizeof b) > 0)
		;
}

/* The misbehaving answers. */
static void
odd_answer(struct http_conn *c, enum mode m)
{
	static const char html[] = "<html><body>Not Found</body></html>";
	static const char bad[] = "--nope\r\n\r\nthis is not MTOM";
	struct buf b;
	size_t i;

	drain(c);
	if (m == M_HTML)
		http_respond(c, 404, "text/html", html, sizeof html - 1);
	else if (m == M_EMPTY)
		http_respond(c, 500, CT_SOAP12, "", 0);
	else if (m == M_BADMTOM)
		http_respond(c, 200, CT_MULTIPART_RELATED "; boundary=x; "
		    "type=\"" CT_XOP "\"", bad, sizeof bad - 1);
	else if (m == M_BIG) {
		buf_init(&b, 4 << 20);
		if (buf_adds(&b, "<t:Big xmlns:t=\"" ECHO_NS "\">") == XDS_OK)
			for (i = 0; i < 2 << 20; i += 8)
				if (buf_adds(&b, "<t:x/>  ") != XDS_OK)
					break;
		if (buf_adds(&b, "</t:Big>") == XDS_OK)
			http_respond(c, 200, CT_SOAP12, b.b_data, b.b_len);
		buf_free(&b);
	}
}

static void
handler(struct http_conn *c, const struct http_request *r, void *arg)
{
	struct srv *v = arg;
	struct sio s = { c };
	struct soap_io io = { sio_read, sio_begin, sio_write, sio_end, &s };
	struct soap_limits lim;
	struct xact x;
	int i;

	if (v->mode == M_SLOW)		/* 5 s, unless the test ends */
		for (i = 0; i < 100 && !atomic_load(&stopping); i++)
			usleep(50 * 1000);
	if (v->mode != M_SOAP && v->mode != M_SLOW) {
		odd_answer(c, v->mode);
		return;
	}
	memset(&lim, 0, sizeof lim);
	lim.spool_dir = dir;
	lim.max_attachment = 1LL << 30;
	xact_begin(&x, NULL, "/echo", "", r->peer_addr);
	(void)soap_serve(&echo_ep, http_header(r, "Content-Type"), &io, &lim,
	    &x);
}

static void *
srv_thread(void *arg)
{
	(void)http_server_run(((struct srv *)arg)->hs);
	return NULL;
}

static int
srv_start(struct srv *v, enum mode mode, SSL_CTX *tls)
{
	struct http_server_opts o;
	char err[256];

	memset(v, 0, sizeof *v);
	memset(&o, 0, sizeof o);
	v->mode = mode;
	o.host = "127.0.0.1";
	o.workers = 8;
	o.queue = 64;
	o.tls = tls;
	if ((v->hs = http_server_new(&o, handler, v, err, sizeof err)) ==
	    NULL) {
		fprintf(stderr, "http_server_new: %s\n", err);
		return -1;
	}
	v->port = http_server_port(v->hs);
	str_fmt(v->url, sizeof v->url, "%s://127.0.0.1:%d/echo",
	    tls != NULL ? "https" : "http", v->port);
	if (pthread_create(&v->thr, NULL, srv_thread, v) != 0) {
		http_server_free(v->hs);
		return -1;
	}
	return 0;
}

static void
srv_stop(struct srv *v)
{
	http_server_stop(v->hs);
	pthread_join(v->thr, NULL);
	http_server_free(v->hs);
}

/* A port nothing listens on. */
static int
refused_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		port = -1;
	else
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A server that takes one request and closes without answering. */
struct dropper {
	int		 fd;
	int		 port;
	pthread_t	 thr;
};

/*
 * Read one whole request (the head, then Content-Length bytes or a
 * chunked body up to its last chunk), however slowly it arrives, so
 * that the close comes after all of it.
 */
static void
read_request(int fd)
{
	char b[65536];
	const char *e, *cl;
	long long want = -1;
	size_t have = 0;
	ssize_t n;

	while (have < sizeof b - 1 &&
	    (n = read(fd, b + have, sizeof b - 1 - have)) > 0) {
		have += (size_t)n;
		b[have] = '\0';
		if ((e = strstr(b, "\r\n\r\n")) == NULL)
			continue;
		if (want < 0 && (cl = strcasestr(b, "\r\nContent-Length:")) !=
		    NULL && cl < e)
			want = (e - b) + 4 + strtoll(cl + 17, NULL, 10);
		if (want >= 0 ? (long long)have >= want :
		    strstr(e + 2, "\r\n0\r\n\r\n") != NULL)
			return;
	}
}

static void *
drop_thread(void *arg)
{
	struct dropper *d = arg;
	int c;

	if ((c = accept(d->fd, NULL, NULL)) >= 0) {
		read_request(c);
		close(c);
	}
	return NULL;
}

static int
drop_start(struct dropper *d)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((d->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(d->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(d->fd, 4) != 0 ||
	    getsockname(d->fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	d->port = ntohs(a.sin_port);
	return pthread_create(&d->thr, NULL, drop_thread, d) == 0 ? 0 : -1;
}

static void
drop_stop(struct dropper *d)
{
	pthread_join(d->thr, NULL);
	close(d->fd);
}

/* ---- helpers ---- */

static long
vm_hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(fp);
	return kb;
}

/* A file of size bytes (a pattern, or a hole when size is large). */
static void
make_file(const char *path, off_t size)
{
	char b[4096];
	off_t left = size;
	size_t i, n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	if (size > (1 << 24)) {
		CU_ASSERT(ftruncate(fd, size) == 0);
		close(fd);
		return;
	}
	for (i = 0; i < sizeof b; i++)
		b[i] = (char)(i * 7 + 3);
	while (left > 0) {
		n = left < (off_t)sizeof b ? (size_t)left : sizeof b;
		CU_ASSERT((size_t)write(fd, b, n) == n);
		left -= (off_t)n;
	}
	close(fd);
}

static void
att_of(struct mtom_attachment *a, const char *path, const char *cid)
{
	struct stat st;

	memset(a, 0, sizeof *a);
	str_lcpy(a->path, path, sizeof a->path);
	str_lcpy(a->cid, cid, sizeof a->cid);
	str_lcpy(a->content_type, "application/octet-stream",
	    sizeof a->content_type);
	if (stat(path, &st) == 0)
		a->size = st.st_size;
}

static int
files_in(const char *d)
{
	char cmd[600];
	FILE *fp;
	int n = -1;

	str_fmt(cmd, sizeof cmd, "ls -A '%s' | wc -l", d);
	if ((fp = popen(cmd, "r")) != NULL) {
		if (fscanf(fp, "%d", &n) != 1)
			n = -1;
		pclose(fp);
	}
	return n;
}

static struct soap_peer *
remote(const char *url, const struct soap_peer_opts *o)
{
	struct soap_peer *p = NULL;
	char err[256];

	if (soap_peer_remote(&p, url, o, err, sizeof err) != XDS_OK)
		fprintf(stderr, "soap_peer_remote %s: %s\n", url, err);
	return p;
}

static const char *
echo_attr(const struct soap_call *c, const char *name)
{
	if (c->ans.body == NULL || !xml_is(c->ans.body, ECHO_NS, "Echo"))
		return "";
	return xml_attr(c->ans.body, name) != NULL ?
	    xml_attr(c->ans.body, name) : "";
}

/* c: action with body as text, recorded in x (or NULL), run at p; its
 * status. */
static int
call_x(struct soap_peer *p, struct soap_call *c, const char *action,
    enum soap_pack pack, const char *body, struct xact *x)
{
	soap_call_init(c, action, pack);
	c->req.body_xml = body;
	c->req.x = x;
	return soap_peer_call(p, c);
}

static int
call(struct soap_peer *p, struct soap_call *c, const char *action,
    enum soap_pack pack, const char *body)
{
	return call_x(p, c, action, pack, body, NULL);
}

/* A call answered with a fault of this HTTP status, its reason saying
 * why. */
static void
expect_fault(struct soap_peer *p, const char *action, enum soap_pack pack,
    const char *body, int http, const char *why)
{
	struct soap_call c;

	CU_ASSERT_EQUAL(call(p, &c, action, pack, body), XDS_OK);
	CU_ASSERT_EQUAL(c.ans.fault, 1);
	CU_ASSERT_EQUAL(c.ans.http_status, http);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.ans.fault_reason, why));
	soap_call_free(&c);
}

/* An ITI-18 "query" at p, recorded in x, answered 200 by the echo. */
static void
query_ok(struct soap_peer *p, struct soap_call *c, struct xact *x)
{
	CU_ASSERT_EQUAL(call_x(p, c, ACT_ITI18, PACK_SIMPLE,
	    "<q:Query xmlns:q=\"urn:q\"/>", x), XDS_OK);
	CU_ASSERT_EQUAL(c->ans.http_status, 200);
	CU_ASSERT_STRING_EQUAL(echo_attr(c, "body"), "Query");
}

static struct srv soapsrv;

/* ---- tests ---- */

static void
test_simple(void)
{
	struct soap_peer *p = remote(soapsrv.url, NULL);
	struct soap_call c;
	struct xact x;
	xmlDoc *d;
	char err[128];
	static const char outer[] = "<a:Outer xmlns:a=\"urn:a\" "
	    "xmlns:q=\"urn:q\"><q:Inner/></a:Outer>";

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(soap_peer_target(p), soapsrv.url);
	CU_ASSERT_PTR_NOT_NULL(strstr(soap_peer_addr(p), "127.0.0.1:"));
	CU_ASSERT_FALSE(soap_peer_is_local(p));
	xact_begin(&x, NULL, "out", soapsrv.url, soap_peer_addr(p));
	query_ok(p, &c, &x);
	CU_ASSERT_EQUAL(c.ans.fault, 0);
	CU_ASSERT_EQUAL(strncmp(c.ans.message_id, "urn:uuid:", 9), 0);
	CU_ASSERT_STRING_EQUAL(x.message_id, c.ans.message_id);
	CU_ASSERT_STRING_EQUAL(x.action, ACT_ITI18);
	CU_ASSERT_EQUAL(x.http_status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&c.ans.bytes), "RelatesTo>" ));
	soap_call_free(&c);
	/* the body as a DOM node of another document */
	d = xml_parse(outer, strlen(outer), err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	c.req.body = xml_first_elem(xmlDocGetRootElement(d));
	CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_OK);
	CU_ASSERT_STRING_EQUAL(echo_attr(&c, "body"), "Inner");
	soap_call_free(&c);
	xmlFreeDoc(d);
	soap_peer_free(p);
}

/* A header hook: <t:Try>n</t:Try>, n counting its calls; fails when
 * the count is at fail_at. */
struct tries {
	int	n;
	int	fail_at;
};

static int
try_header(void *arg, struct buf *out, char *err, size_t errlen)
{
	struct tries *t = arg;

	if (++t->n == t->fail_at) {
		str_fmt(err, errlen, "no assertion today");
		return XDS_EINVAL;
	}
	return buf_addf(out, "<t:Try xmlns:t=\"" ECHO_NS "\">%d</t:Try>",
	    t->n);
}

/* Every envelope of a call gets the hook's header blocks afresh. */
static void
test_header_hook(void)
{
	struct soap_peer *p = remote(soapsrv.url, NULL);
	struct tries t = { 0, 3 };
	struct soap_call c;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (i = 1; i <= 3; i++) {
		soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
		c.req.body_xml = "<q:Query xmlns:q=\"urn:q\"/>";
		c.req.header = try_header;
		c.req.header_arg = &t;
		if (i < 3) {
			CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_OK);
			CU_ASSERT_EQUAL(atoi(echo_attr(&c, "try")), i);
		} else {
			/* a hook that fails: nothing is sent */
			CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_EINVAL);
			CU_ASSERT_PTR_NOT_NULL(strstr(c.ans.err,
			    "no assertion today"));
		}
		soap_call_free(&c);
	}
	CU_ASSERT_EQUAL(t.n, 3);
	soap_peer_free(p);
}

static void
test_mtom(void)
{
	struct soap_peer_opts o;
	struct mtom_attachment att[2];
	struct soap_peer *p;
	struct soap_call c;
	struct buf f;
	char a1[300], a2[300];
	const char *s;

	memset(&o, 0, sizeof o);
	o.bounds.spool_dir = spool;
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(soapsrv.url, &o));
	str_fmt(a1, sizeof a1, "%s/a1.bin", dir);
	str_fmt(a2, sizeof a2, "%s/a2.bin", dir);
	make_file(a1, 100000);
	make_file(a2, 0);
	att_of(&att[0], a1, "a1@test");
	att_of(&att[1], a2, "a2@test");
	soap_call_init(&c, ACT_ITI18, PACK_MTOM);
	c.req.body_xml = "<q:Query xmlns:q=\"urn:q\"/>";
	c.req.att = att;
	c.req.natt = 2;
	CU_ASSERT_EQUAL_FATAL(soap_peer_call(p, &c), XDS_OK);
	/* the SHA-1s were computed as the files went out, and agree with
	 * what the server computed as they came in */
	CU_ASSERT_EQUAL(strlen(att[0].sha1), 40);
	CU_ASSERT_STRING_EQUAL(att[1].sha1,
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	CU_ASSERT_STRING_EQUAL(echo_attr(&c, "natt"), "2");
	buf_init(&f, 1 << 20);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&c.ans.bytes), att[0].sha1));
	/* the answer's parts: spooled, hashed, removed with the answer */
	CU_ASSERT_EQUAL_FATAL(c.ans.natt, 2);
	CU_ASSERT_EQUAL(c.ans.att[0].size, 100000);
	CU_ASSERT_STRING_EQUAL(c.ans.att[0].sha1, att[0].sha1);
	CU_ASSERT_STRING_EQUAL(c.ans.att[0].cid, "echo-0@test");
	CU_ASSERT_EQUAL(c.ans.att[0].unlink_after, 1);
	CU_ASSERT_EQUAL(strncmp(c.ans.att[0].path, spool, strlen(spool)), 0);
	CU_ASSERT_EQUAL(files_in(spool), 2);
	soap_call_free(&c);
	CU_ASSERT_EQUAL(files_in(spool), 0);
	buf_free(&f);
	/* MTOM without attachments (ITI-43, RAD-69); a kept part */
	CU_ASSERT_EQUAL(call(p, &c, ACT_ITI43, PACK_MTOM,
	    "<r:Retrieve xmlns:r=\"urn:r\"/>"), XDS_OK);
	CU_ASSERT_STRING_EQUAL(echo_attr(&c, "natt"), "0");
	soap_call_free(&c);
	soap_call_init(&c, ACT_ITI43, PACK_MTOM);
	c.req.body_xml = "<r:Retrieve xmlns:r=\"urn:r\"/>";
	c.req.att = att;
	c.req.natt = 1;
	CU_ASSERT_EQUAL_FATAL(soap_peer_call(p, &c), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(c.ans.natt, 1);
	s = c.ans.att[0].path;
	CU_ASSERT_EQUAL(rename(s, a2), 0);
	c.ans.att[0].path[0] = '\0';
	soap_call_free(&c);
	CU_ASSERT_EQUAL(access(a2, F_OK), 0);
	/* simple SOAP is refused by an MTOM-only route: a Sender fault */
	expect_fault(p, ACT_ITI43, PACK_SIMPLE, "<r:Retrieve xmlns:r=\"urn:r\"/>", 400,
	    "requires");
	unlink(a1);
	unlink(a2);
	soap_peer_free(p);
}

/* A file that changes size while it is sent fails the call (XDS_EIO). */
static void
test_changed_size(void)
{
	struct mtom_attachment att;
	struct soap_peer *p = remote(soapsrv.url, NULL);
	struct soap_call c;
	char a[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	str_fmt(a, sizeof a, "%s/short.bin", dir);
	make_file(a, 5000);
	att_of(&att, a, "s@test");
	att.size = 6000;
	soap_call_init(&c, ACT_ITI18, PACK_MTOM);
	c.req.body_xml = "<q:Q xmlns:q=\"urn:q\"/>";
	c.req.att = &att;
	c.req.natt = 1;
	CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.ans.err, "changed size while being "
	    "sent"));
	CU_ASSERT_PTR_NOT_NULL(strstr(c.ans.err, a));
	soap_call_free(&c);
	unlink(a);
	soap_peer_free(p);
}

/* 200 MiB out and back in, in constant memory: the client and the
 * server of this process together grow by far less than the document. */
static void
test_big(void)
{
	struct mtom_attachment att;
	struct soap_peer_opts o;
	struct soap_peer *p;
	struct soap_call c;
	char a[300];
	long before, after;

	memset(&o, 0, sizeof o);
	o.bounds.spool_dir = spool;
	o.bounds.max_part = BIG_SIZE;
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(soapsrv.url, &o));
	str_fmt(a, sizeof a, "%s/big.bin", dir);
	make_file(a, BIG_SIZE);
	att_of(&att, a, "big@test");
	before = vm_hwm_kb();
	soap_call_init(&c, ACT_ITI18, PACK_MTOM);
	c.req.body_xml = "<q:Q xmlns:q=\"urn:q\"/>";
	c.req.att = &att;
	c.req.natt = 1;
	CU_ASSERT_EQUAL_FATAL(soap_peer_call(p, &c), XDS_OK);
	after = vm_hwm_kb();
	CU_ASSERT_EQUAL_FATAL(c.ans.natt, 1);
	CU_ASSERT_EQUAL(c.ans.att[0].size, BIG_SIZE);
	CU_ASSERT_STRING_EQUAL(c.ans.att[0].sha1, att.sha1);
	CU_ASSERT(after - before < 48 * 1024);
	fprintf(stderr, "\n  200 MiB out and back: VmHWM %ld -> %ld KiB\n",
	    before, after);
	soap_call_free(&c);
	unlink(a);
	soap_peer_free(p);
}

static void
test_fault(void)
{
	struct soap_peer *p = remote(soapsrv.url, NULL);
	struct soap_call c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(call(p, &c, ACT_ITI62, PACK_SIMPLE,
	    "<d:Delete xmlns:d=\"urn:d\"/>"), XDS_OK);
	CU_ASSERT_EQUAL(c.ans.http_status, 500);
	CU_ASSERT_EQUAL(c.ans.fault, 1);
	CU_ASSERT_STRING_EQUAL(c.ans.fault_reason, "busy");
	CU_ASSERT(xml_is(c.ans.body, NS_SOAP12, "Fault"));
	soap_call_free(&c);
	/* an unknown action: a Sender fault, 400 */
	soap_call_init(&c, "urn:nope", PACK_SIMPLE);
	c.req.body_xml = "<d:Delete xmlns:d=\"urn:d\"/>";
	CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_OK);
	CU_ASSERT_EQUAL(c.ans.http_status, 400);
	CU_ASSERT_EQUAL(c.ans.fault, 1);
	soap_call_free(&c);
	soap_peer_free(p);
}

/* Answers that are not SOAP, or too big. */
static void
test_not_soap(void)
{
	static const struct {
		enum mode	 mode;
		int		 http;
		const char	*text;
	} t[] = {
		{ M_HTML, 404, "answered HTTP 404 with no SOAP" },
		{ M_EMPTY, 500, "HTTP 500 without a body" },
		{ M_BADMTOM, 200, "bad MTOM answer" },
		{ M_BIG, 200, "answer over 1048576 bytes" },
	};
	struct soap_peer *p;
	struct soap_call c;
	struct xact x;
	struct srv v;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL_FATAL(srv_start(&v, t[i].mode, NULL), 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(v.url, NULL));
		xact_begin(&x, NULL, "out", v.url, "");
		soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
		c.req.body_xml = "<q:Q xmlns:q=\"urn:q\"/>";
		c.req.bounds.max_answer = 1 << 20;
		c.req.x = &x;
		CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_EANSWER);
		CU_ASSERT_EQUAL(c.ans.http_status, t[i].http);
		CU_ASSERT_EQUAL(x.http_status, t[i].http);
		CU_ASSERT_PTR_NOT_NULL(strstr(c.ans.err, t[i].text));
		CU_ASSERT_EQUAL(c.ans.toobig, t[i].mode == M_BIG);
		if (strstr(c.ans.err, t[i].text) == NULL)
			fprintf(stderr, "\n  mode %d: %d %d %s\n", t[i].mode,
			    c.ans.status, c.ans.http_status, c.ans.err);
		soap_call_free(&c);
		soap_peer_free(p);
		srv_stop(&v);
	}
}

/* No answer: what kind of failure it was. */
static void
test_no_answer(void)
{
	struct soap_peer *p;
	struct soap_call c;
	struct dropper d;
	struct xact x;
	struct srv slow;
	char url[128];

	/* refused: certainly not reached */
	str_fmt(url, sizeof url, "http://127.0.0.1:%d/x", refused_port());
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(url, NULL));
	xact_begin(&x, NULL, "out", url, "");
	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	c.req.body_xml = "<q:Q xmlns:q=\"urn:q\"/>";
	c.req.x = &x;
	CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_EUNAVAILABLE);
	CU_ASSERT_EQUAL(c.ans.http_status, 0);
	CU_ASSERT_EQUAL(x.http_status, 502);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.ans.err, url));
	soap_call_free(&c);
	soap_peer_free(p);
	/* unresolvable */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote("https://nonexistent.invalid/x",
	    NULL));
	CU_ASSERT_EQUAL(call(p, &c, ACT_ITI18, PACK_SIMPLE,
	    "<q:Q xmlns:q=\"urn:q\"/>"), XDS_EUNAVAILABLE);
	soap_call_free(&c);
	soap_peer_free(p);
	/* dropped after the request: it may have been processed */
	CU_ASSERT_EQUAL_FATAL(drop_start(&d), 0);
	str_fmt(url, sizeof url, "http://127.0.0.1:%d/x", d.port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(url, NULL));
	CU_ASSERT_EQUAL(call(p, &c, ACT_ITI18, PACK_SIMPLE,
	    "<q:Q xmlns:q=\"urn:q\"/>"), XDS_EUNCERTAIN);
	soap_call_free(&c);
	soap_peer_free(p);
	drop_stop(&d);
	/* silent past the call's timeout */
	CU_ASSERT_EQUAL_FATAL(srv_start(&slow, M_SLOW, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(slow.url, NULL));
	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	c.req.body_xml = "<q:Q xmlns:q=\"urn:q\"/>";
	c.req.bounds.timeout = 1;
	/* the server answers after 5 s: ETIMEOUT is the 1 s bound enforced
	 * (an elapsed time here would only measure the machine's load) */
	CU_ASSERT_EQUAL(soap_peer_call(p, &c), XDS_ETIMEOUT);
	soap_call_free(&c);
	soap_peer_free(p);
	atomic_store(&stopping, 1);
	srv_stop(&slow);
	atomic_store(&stopping, 0);
}

/* Plain HTTP leaves the node to loopback only, unless allowed. */
static void
test_plain(void)
{
	struct soap_peer_opts o;
	struct soap_peer *p = NULL;
	char err[256];

	CU_ASSERT_EQUAL(soap_peer_remote(&p, "http://reg.example/xds", NULL,
	    err, sizeof err), XDS_EINVAL);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_STRING_EQUAL(err, "http://reg.example/xds: https:// (mutual "
	    "TLS) is required off loopback");
	CU_ASSERT_EQUAL(soap_peer_remote(&p, "http://127.0.0.1@reg.example/x",
	    NULL, err, sizeof err), XDS_EINVAL);
	memset(&o, 0, sizeof o);
	o.allow_plain = 1;
	CU_ASSERT_EQUAL(soap_peer_remote(&p, "http://reg.example/xds", &o,
	    err, sizeof err), XDS_OK);
	soap_peer_free(p);
	CU_ASSERT_EQUAL(soap_peer_remote(&p, "https://reg.example/xds", NULL,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(soap_peer_addr(p), "reg.example");
	soap_peer_free(p);
	soap_peer_free(NULL);
}

static char tlsdir[300];

static int
make_certs(void)
{
	if (str_fmt(tlsdir, sizeof tlsdir, "%s/tls", dir) < 0 ||
	    mkdir(tlsdir, 0700) != 0)
		return -1;
	return tls_make_certs(tlsdir);
}

/* Mutual TLS: the server's certificate is verified against the CA
 * given, and the client's is sent. */
static void
test_tls(void)
{
	struct soap_peer_opts o;
	struct soap_peer *p;
	struct soap_call c;
	struct srv v;
	SSL_CTX *ctx;
	char cert[400], key[400], ca[400], other[400], err[256];

	CU_ASSERT_EQUAL_FATAL(make_certs(), 0);
	str_fmt(cert, sizeof cert, "%s/srv.pem", tlsdir);
	str_fmt(key, sizeof key, "%s/srv.key", tlsdir);
	str_fmt(ca, sizeof ca, "%s/ca.pem", tlsdir);
	str_fmt(other, sizeof other, "%s/other.pem", tlsdir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx = tls_server_ctx(cert, key, ca, NULL, err,
	    sizeof err));
	CU_ASSERT_EQUAL_FATAL(srv_start(&v, M_SOAP, ctx), 0);
	str_fmt(cert, sizeof cert, "%s/cli.pem", tlsdir);
	str_fmt(key, sizeof key, "%s/cli.key", tlsdir);
	memset(&o, 0, sizeof o);
	o.cert = cert;
	o.key = key;
	o.ca = ca;
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(v.url, &o));
	CU_ASSERT_EQUAL(call(p, &c, ACT_ITI18, PACK_SIMPLE,
	    "<q:Q xmlns:q=\"urn:q\"/>"), XDS_OK);
	CU_ASSERT_STRING_EQUAL(echo_attr(&c, "body"), "Q");
	soap_call_free(&c);
	soap_peer_free(p);
	/* a server certificate from another CA: not reached */
	o.ca = other;
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(v.url, &o));
	CU_ASSERT_EQUAL(call(p, &c, ACT_ITI18, PACK_SIMPLE,
	    "<q:Q xmlns:q=\"urn:q\"/>"), XDS_EUNAVAILABLE);
	soap_call_free(&c);
	soap_peer_free(p);
	/* no client certificate: refused by the server, no answer */
	o.ca = ca;
	o.cert = o.key = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(p = remote(v.url, &o));
	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	c.req.body_xml = "<q:Q xmlns:q=\"urn:q\"/>";
	CU_ASSERT(soap_peer_call(p, &c) == XDS_EUNAVAILABLE ||
	    c.ans.status == XDS_EUNCERTAIN);
	soap_call_free(&c);
	soap_peer_free(p);
	srv_stop(&v);
	SSL_CTX_free(ctx);
}

/* ---- in process ---- */

/* A handler whose reply files are one it made for the answer and one
 * it keeps (a blob store's). */
static char made[300], kept[300];

static int
files(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	(void)actor;
	(void)req;
	xact_set_object(x, "files");
	if ((reply->att = calloc(2, sizeof *reply->att)) == NULL ||
	    buf_adds(&reply->body, "<t:Files xmlns:t=\"" ECHO_NS "\"/>") !=
	    XDS_OK)
		return -1;
	att_of(&reply->att[0], made, "made@test");
	reply->att[0].unlink_after = 1;
	att_of(&reply->att[1], kept, "kept@test");
	reply->natt = 2;
	return 0;
}

/* A handler that refuses its input as over a bound. */
static int
too_big(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	(void)actor;
	(void)req;
	(void)reply;
	str_lcpy(x->reason, "over the limit", sizeof x->reason);
	return XDS_ETOOBIG;
}

static void
test_local(void)
{
	static const struct soap_route routes[] = {
		{ ACT_ITI18, ACT_ITI18_RSP, TXN_ITI18, "urn:q", "Query",
		  PACK_SIMPLE, echo },
		{ ACT_ITI43, ACT_ITI43_RSP, TXN_ITI43, NULL, NULL, PACK_MTOM,
		  files },
		{ ACT_ITI62, ACT_ITI62_RSP, TXN_ITI62, NULL, NULL, PACK_SIMPLE,
		  fail },
		{ ACT_ITI42, ACT_ITI42_RSP, TXN_ITI42, NULL, NULL, PACK_SIMPLE,
		  too_big },
	};
	struct soap_endpoint ep = { "/local", routes, 4, NULL, NULL, 0 };
	struct soap_peer *p;
	struct soap_call c;
	struct xact x;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(soap_peer_local(&p, &ep, NULL, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(soap_peer_target(p), "in-process");
	CU_ASSERT_STRING_EQUAL(soap_peer_addr(p), "local");
	CU_ASSERT(soap_peer_is_local(p));
	xact_begin(&x, NULL, "/local", "in-process", "local");
	query_ok(p, &c, &x);
	CU_ASSERT_STRING_EQUAL(c.ans.message_id, "");
	CU_ASSERT_STRING_EQUAL(x.txn, TXN_ITI18);
	CU_ASSERT_STRING_EQUAL(x.action, ACT_ITI18);
	CU_ASSERT_EQUAL(x.http_status, 200);
	soap_call_free(&c);
	/* the route's body element is checked as over HTTP */
	expect_fault(p, ACT_ITI18, PACK_SIMPLE, "<q:Other xmlns:q=\"urn:q\"/>",
	    500, "expects");
	/* a handler's failure is a fault with its reason, recorded */
	xact_begin(&x, NULL, "/local", "in-process", "local");
	CU_ASSERT_EQUAL(call_x(p, &c, ACT_ITI62, PACK_SIMPLE,
	    "<d:D xmlns:d=\"urn:d\"/>", &x), XDS_OK);
	CU_ASSERT_EQUAL(c.ans.fault, 1);
	CU_ASSERT_PTR_NULL(c.ans.doc);
	CU_ASSERT_STRING_EQUAL(c.ans.fault_reason, "busy");
	CU_ASSERT_EQUAL(c.ans.handler_status, XDS_ERR);
	CU_ASSERT_EQUAL(x.outcome, XACT_FAULT);
	CU_ASSERT_EQUAL(x.http_status, 500);
	soap_call_free(&c);
	/* ... and its status, for a caller that passes it on */
	xact_begin(&x, NULL, "/local", "in-process", "local");
	CU_ASSERT_EQUAL(call_x(p, &c, ACT_ITI42, PACK_SIMPLE,
	    "<d:D xmlns:d=\"urn:d\"/>", &x), XDS_OK);
	CU_ASSERT_EQUAL(c.ans.fault, 1);
	CU_ASSERT_EQUAL(c.ans.handler_status, XDS_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(c.ans.fault_reason, "over the limit");
	soap_call_free(&c);
	/* unknown action; malformed body text */
	expect_fault(p, "urn:nope", PACK_SIMPLE, "<d:D xmlns:d=\"urn:d\"/>", 500,
	    "unknown action");
	CU_ASSERT_EQUAL(call(p, &c, ACT_ITI18, PACK_SIMPLE,
	    "<q:Query"), XDS_EFORMAT);
	soap_call_free(&c);
	/* reply files: the one made for the answer goes with it, the
	 * handler's own stays */
	str_fmt(made, sizeof made, "%s/made.bin", dir);
	str_fmt(kept, sizeof kept, "%s/kept.bin", dir);
	make_file(made, 10);
	make_file(kept, 10);
	xact_begin(&x, NULL, "/local", "in-process", "local");
	CU_ASSERT_EQUAL(call_x(p, &c, ACT_ITI43, PACK_MTOM,
	    "<r:R xmlns:r=\"urn:r\"/>", &x), XDS_OK);
	CU_ASSERT_EQUAL(c.ans.natt, 2);
	CU_ASSERT_STRING_EQUAL(x.object, "files");
	soap_call_free(&c);
	CU_ASSERT_NOT_EQUAL(access(made, F_OK), 0);
	CU_ASSERT_EQUAL(access(kept, F_OK), 0);
	unlink(kept);
	soap_peer_free(p);
}

/* ---- threads and the fan-out ---- */

struct worker {
	struct soap_peer	*remote, *local;
	int			 ok;
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct soap_call c;
	int i;

	for (i = 0; i < 20; i++) {
		soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
		c.req.body_xml = "<q:Query xmlns:q=\"urn:q\"/>";
		if (soap_peer_call(i % 2 ? w->remote : w->local, &c) ==
		    XDS_OK && strcmp(echo_attr(&c, "body"), "Query") == 0)
			w->ok++;
		soap_call_free(&c);
	}
	return NULL;
}

/* Eight threads share one remote and one local peer. */
static void
test_threads(void)
{
	struct soap_peer *r, *l;
	struct worker w[8];
	pthread_t t[8];
	char err[128];
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r = remote(soapsrv.url, NULL));
	CU_ASSERT_EQUAL_FATAL(soap_peer_local(&l, &echo_ep, NULL, err,
	    sizeof err), XDS_OK);
	for (i = 0; i < 8; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].remote = r;
		w[i].local = l;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, worker,
		    &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].ok, 20);
	}
	soap_peer_free(r);
	soap_peer_free(l);
}

/*
 * Two fast servers, a silent one, a refused port and a local endpoint
 * at once: the run returns at its deadline with the silent one timed
 * out and every other answered (or refused) on its own.
 */
static void
test_fanout(void)
{
	struct soap_peer *p[5];
	struct soap_call c[5];
	struct soap_fanout *f;
	struct srv a, b, slow;
	char url[128], err[128];
	double t0, took;
	int i;

	CU_ASSERT_EQUAL_FATAL(srv_start(&a, M_SOAP, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(srv_start(&b, M_SOAP, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(srv_start(&slow, M_SLOW, NULL), 0);
	str_fmt(url, sizeof url, "http://127.0.0.1:%d/x", refused_port());
	p[0] = remote(a.url, NULL);
	p[1] = remote(slow.url, NULL);
	p[2] = remote(b.url, NULL);
	p[3] = remote(url, NULL);
	CU_ASSERT_EQUAL_FATAL(soap_peer_local(&p[4], &echo_ep, NULL, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(soap_fanout_new(&f, err, sizeof err), XDS_OK);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
		soap_call_init(&c[i], ACT_ITI18, PACK_SIMPLE);
		c[i].req.body_xml = "<q:Query xmlns:q=\"urn:q\"/>";
		CU_ASSERT_EQUAL(soap_fanout_add(f, p[i], &c[i]), XDS_OK);
	}
	/* the slow server answers after 5 s: its ETIMEOUT below is the
	 * fan-out's 1 s deadline enforced; waiting for it takes that long at
	 * least (a lower bound that load cannot break) */
	t0 = clock_real_ms() / 1e3;
	CU_ASSERT_EQUAL(soap_fanout_run(f, 1000), XDS_OK);
	took = clock_real_ms() / 1e3 - t0;
	CU_ASSERT(took >= 0.9);
	CU_ASSERT_EQUAL(c[0].ans.status, XDS_OK);
	CU_ASSERT_EQUAL(c[1].ans.status, XDS_ETIMEOUT);
	CU_ASSERT_EQUAL(c[2].ans.status, XDS_OK);
	CU_ASSERT_EQUAL(c[3].ans.status, XDS_EUNAVAILABLE);
	CU_ASSERT_EQUAL(c[4].ans.status, XDS_OK);
	CU_ASSERT_STRING_EQUAL(echo_attr(&c[0], "body"), "Query");
	CU_ASSERT_STRING_EQUAL(echo_attr(&c[4], "body"), "Query");
	soap_fanout_free(f);
	for (i = 0; i < 5; i++) {
		soap_call_free(&c[i]);
		soap_peer_free(p[i]);
	}
	/* without a deadline of its own, each call's bound ends it */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p[0] = remote(slow.url, NULL));
	CU_ASSERT_EQUAL_FATAL(soap_fanout_new(&f, err, sizeof err), XDS_OK);
	soap_call_init(&c[0], ACT_ITI18, PACK_SIMPLE);
	c[0].req.body_xml = "<q:Query xmlns:q=\"urn:q\"/>";
	c[0].req.bounds.timeout = 1;
	CU_ASSERT_EQUAL(soap_fanout_add(f, p[0], &c[0]), XDS_OK);
	CU_ASSERT_EQUAL(soap_fanout_run(f, 0), XDS_OK);
	CU_ASSERT_EQUAL(c[0].ans.status, XDS_ETIMEOUT);	/* before the 5 s */
	soap_fanout_free(f);
	soap_call_free(&c[0]);
	soap_peer_free(p[0]);
	atomic_store(&stopping, 1);
	srv_stop(&slow);
	atomic_store(&stopping, 0);
	srv_stop(&a);
	srv_stop(&b);
}

/* soap_fanout_again: the refused call is tried again (3 tries) while
 * the slow one is still out; the third try lets the slow server answer. */
struct again_ctx {
	struct soap_call	*refused, *slow;
	int			 tries;		/* of the refused call */
	int			 slow_out;	/* at the third: not yet answered */
	int			 others;	/* again asked of another call */
};

static long
again_cb(void *arg, struct soap_call *c)
{
	struct again_ctx *a = arg;

	if (c != a->refused) {
		a->others++;
		return -1;
	}
	if (++a->tries < 3) {
		soap_call_free(c);
		soap_call_init(c, ACT_ITI18, PACK_SIMPLE);
		c->req.body_xml = "<q:Query xmlns:q=\"urn:q\"/>";
		return 10;
	}
	a->slow_out = a->slow->ans.http_status == 0;
	atomic_store(&stopping, 1);		/* the slow server answers */
	return -1;
}

static void
test_fanout_again(void)
{
	struct soap_peer *p[2];
	struct soap_call c[2];
	struct soap_fanout *f;
	struct again_ctx a;
	struct srv slow;
	char url[128], err[128];
	int i;

	CU_ASSERT_EQUAL_FATAL(srv_start(&slow, M_SLOW, NULL), 0);
	str_fmt(url, sizeof url, "http://127.0.0.1:%d/x", refused_port());
	CU_ASSERT_PTR_NOT_NULL_FATAL(p[0] = remote(slow.url, NULL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p[1] = remote(url, NULL));
	CU_ASSERT_EQUAL_FATAL(soap_fanout_new(&f, err, sizeof err), XDS_OK);
	memset(&a, 0, sizeof a);
	a.slow = &c[0];
	a.refused = &c[1];
	soap_fanout_again(f, again_cb, &a);
	for (i = 0; i < 2; i++) {
		soap_call_init(&c[i], ACT_ITI18, PACK_SIMPLE);
		c[i].req.body_xml = "<q:Query xmlns:q=\"urn:q\"/>";
		CU_ASSERT_EQUAL(soap_fanout_add(f, p[i], &c[i]), XDS_OK);
	}
	CU_ASSERT_EQUAL(soap_fanout_run(f, 20000), XDS_OK);
	CU_ASSERT_EQUAL(a.tries, 3);
	CU_ASSERT_EQUAL(a.slow_out, 1);	/* the tries did not wait for it */
	CU_ASSERT_EQUAL(a.others, 1);	/* the slow call, once it ended */
	CU_ASSERT_EQUAL(c[0].ans.status, XDS_OK);
	CU_ASSERT_STRING_EQUAL(echo_attr(&c[0], "body"), "Query");
	CU_ASSERT_EQUAL(c[1].ans.status, XDS_EUNAVAILABLE);
	soap_fanout_free(f);
	for (i = 0; i < 2; i++) {
		soap_call_free(&c[i]);
		soap_peer_free(p[i]);
	}
	srv_stop(&slow);
	atomic_store(&stopping, 0);
}

#define RR	"<rs:RegistryResponse xmlns:rs=\"" NS_RS "\" status=\"" \
		ST_SUCCESS "\"/>"

/* soap_call_answer: what an exchange makes of the bytes that came. */
static void
test_answer(void)
{
	static const char env[] = "<s:Envelope xmlns:s=\"" NS_SOAP12 "\">"
	    "<s:Body>" RR "</s:Body></s:Envelope>";
	static const char rr[] = RR;
	struct soap_call c;
	struct soap_bounds b;

	memset(&b, 0, sizeof b);
	b.spool_dir = spool;
	soap_call_init(&c, ACT_ITI42, PACK_SIMPLE);
	CU_ASSERT_EQUAL(soap_call_answer(&c, 200, CT_SOAP12, env,
	    sizeof env - 1, &b), XDS_OK);
	CU_ASSERT(xml_is(c.ans.body, NS_RS, "RegistryResponse"));
	soap_call_free(&c);
	/* over the wire, a bare body is not SOAP */
	CU_ASSERT_EQUAL(soap_call_answer(&c, 200, CT_SOAP12, rr,
	    sizeof rr - 1, &b), XDS_EANSWER);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.ans.err, "not a SOAP 1.2 Envelope"));
	soap_call_free(&c);
	CU_ASSERT_EQUAL(soap_call_answer(&c, 200, NULL, "", 0, &b),
	    XDS_EANSWER);
	soap_call_free(&c);
	CU_ASSERT_EQUAL(soap_call_answer(&c, 200, "text/plain", "<a", 2, &b),
	    XDS_EANSWER);
	soap_call_free(&c);
	b.max_answer = 10;
	CU_ASSERT_EQUAL(soap_call_answer(&c, 200, CT_SOAP12, env,
	    sizeof env - 1, &b), XDS_EANSWER);
	CU_ASSERT_EQUAL(c.ans.toobig, 1);
	soap_call_free(&c);
}

static int
setup(void)
{
	if (testutil_tmpdir("soap_peer", dir, sizeof dir) != 0)
		return -1;
	str_fmt(spool, sizeof spool, "%s/spool", dir);
	if (mkdir(spool, 0700) != 0)
		return -1;
	xml_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return srv_start(&soapsrv, M_SOAP, NULL);
}

static void
teardown(void)
{
	srv_stop(&soapsrv);
	curl_global_cleanup();
	(void)testutil_rmtree(dir);
}

static const struct cutest tests[] = {
	{ "simple SOAP, body as text or DOM", test_simple },
	{ "header blocks per attempt", test_header_hook },
	{ "MTOM both ways", test_mtom },
	{ "a file that changes size", test_changed_size },
	{ "200 MiB in constant memory", test_big },
	{ "faults", test_fault },
	{ "answers that are not SOAP, or too big", test_not_soap },
	{ "refused, unresolvable, dropped, timed out", test_no_answer },
	{ "plain HTTP off loopback", test_plain },
	{ "mutual TLS", test_tls },
	{ "in process", test_local },
	{ "threads share peers", test_threads },
	{ "fan-out with a deadline", test_fanout },
	{ "fan-out: another try while others run", test_fanout_again },
	{ "answer bytes", test_answer },
};

int
main(void)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (setup() != 0) {
		fprintf(stderr, "test_soap_peer: setup failed\n");
		return 99;
	}
	rc = cutest_run("soap_peer", tests, sizeof tests / sizeof tests[0]);
	teardown();
	return rc;
}
