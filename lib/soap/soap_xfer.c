/*
 * soap_xfer.c: one remote SOAP exchange on libcurl (soap_peer.h): the
 * request envelope (soap_write_request), simple or MTOM (mtom_pull: the
 * attachments read from disk as curl asks), the TLS policy, the answer
 * through the sink of soap_peer.c, and what kind of failure an error is.
 * The transfer itself is driven by the fan-out's multi handle.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pki_curl.h"
#include "soap_peer_int.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"

#define CT_SOAP12_FULL	CT_SOAP12 "; charset=UTF-8"

struct soap_xfer {
	struct soap_peer	*p;
	struct soap_call	*c;
	struct soap_bounds	 b;		/* the call's, merged */
	CURL			*easy;
	struct curl_slist	*hdr;
	char			 cerr[CURL_ERROR_SIZE];
	struct buf		 env;		/* the envelope (MTOM root) */
	struct mtom_writer	 w;
	struct mtom_pull	*pull;		/* MTOM: the body as sent */
	long long		 len;		/* its length */
	int			 pull_status;	/* the read callback failed */
	char			 pull_err[256];
	struct soap_sink		 sink;
	int			 ended;
	long long		 t0;		/* clock_real_ms at start */
};

/* ---- callbacks ---- */

static size_t
on_read(char *p, size_t sz, size_t n, void *arg)
{
	struct soap_xfer *xf = arg;
	ssize_t r;

	if ((r = mtom_pull_read(xf->pull, p, sz * n, xf->pull_err,
	    sizeof xf->pull_err)) < 0) {
		xf->pull_status = (int)r;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

/* A resend from the first byte (curl rewinds for redirects and
 * authentication, neither of which we use; cheap to allow). */
static int
on_seek(void *arg, curl_off_t off, int origin)
{
	struct soap_xfer *xf = arg;

	if (off != 0 || origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	mtom_pull_rewind(xf->pull);
	return CURL_SEEKFUNC_OK;
}

static size_t
on_write(char *p, size_t sz, size_t n, void *arg)
{
	struct soap_xfer *xf = arg;
	char *ct = NULL;

	if (!xf->sink.started &&
	    curl_easy_getinfo(xf->easy, CURLINFO_CONTENT_TYPE, &ct) !=
	    CURLE_OK)
		ct = NULL;
	if (soap_sink_feed(&xf->sink, ct, p, sz * n) != 0)
		return 0;	/* curl aborts: CURLE_WRITE_ERROR */
	return sz * n;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct soap_xfer *xf = arg;
	struct soap_progress pr;
	size_t part;

	memset(&pr, 0, sizeof pr);
	pr.up_now = ulnow;
	pr.up_total = ultotal;
	pr.down_now = dlnow;
	pr.down_total = dltotal;
	if (xf->pull != NULL) {
		part = mtom_pull_part(xf->pull);
		pr.att = part == 0 ? 0 : part - 1;
		if (pr.att > xf->c->req.natt)
			pr.att = xf->c->req.natt;
	}
	xf->c->req.progress(xf->c->req.progress_arg, &pr);
	return 0;
}

/* ---- the request ---- */

/* The envelope around the body, and the outbound record's ids. */
static int
build_envelope(struct soap_xfer *xf)
{
	struct soap_call *c = xf->c;
	struct buf body, hdr;
	char err[256];
	int rc = -1, st;

	buf_init(&body, PEER_MAX_REQUEST);
	buf_init(&hdr, PEER_MAX_HEADER);
	buf_init(&xf->env, PEER_MAX_REQUEST);
	if (soap_call_body(c, &body) != 0)
		goto out;
	if (c->req.header != NULL && (st = c->req.header(c->req.header_arg,
	    &hdr, err, sizeof err)) != XDS_OK) {
		soap_call_fail(c, st, "request header: %s", err);
		goto out;
	}
	if (soap_write_request_hdr(&xf->env, c->req.action, xf->p->url,
	    hdr.b_len > 0 ? hdr.b_data : NULL, hdr.b_len, body.b_data,
	    body.b_len, c->ans.message_id,
	    sizeof c->ans.message_id) != XDS_OK) {
		soap_call_fail(c, XDS_ETOOBIG, "request over %zu bytes",
		    PEER_MAX_REQUEST);
		goto out;
	}
	if (c->req.x != NULL) {
		str_lcpy(c->req.x->message_id, c->ans.message_id,
		    sizeof c->req.x->message_id);
		if (c->req.x->action[0] == '\0')
			str_lcpy(c->req.x->action, c->req.action,
			    sizeof c->req.x->action);
	}
	rc = 0;
out:
	buf_free(&hdr);
	buf_free(&body);
	return rc;
}

/* Content-Type (and no Expect: 100-continue: one round trip less). */
static int
build_headers(struct soap_xfer *xf)
{
	struct soap_call *c = xf->c;
	char line[800], e[256];
	int n;

	if (c->req.pack == PACK_MTOM) {
		if (mtom_writer_init(&xf->w, c->req.action, e, sizeof e) !=
		    XDS_OK || mtom_length(&xf->w, &xf->env, c->req.att,
		    c->req.natt, &xf->len, e, sizeof e) != XDS_OK)
			return soap_call_fail(c, XDS_EINVAL, "MTOM request: %s",
			    e);
		if (mtom_pull_new(&xf->pull, &xf->w, &xf->env, c->req.att,
		    c->req.natt, MTOM_PULL_SHA1, e, sizeof e) != XDS_OK)
			return soap_call_fail(c, XDS_ENOMEM, "%s", e);
		n = str_fmt(line, sizeof line, "Content-Type: %s",
		    xf->w.content_type);
	} else if (strpbrk(c->req.action, "\"\\\r\n") != NULL)
		return soap_call_fail(c, XDS_EINVAL, "action %.100s not "
		    "representable in a Content-Type", c->req.action);
	else
		n = str_fmt(line, sizeof line, "Content-Type: " CT_SOAP12_FULL
		    "; action=\"%s\"", c->req.action);
	if (n < 0)
		return soap_call_fail(c, XDS_EINVAL, "action too long");
	if ((xf->hdr = curl_slist_append(NULL, line)) == NULL ||
	    curl_slist_append(xf->hdr, "Expect:") == NULL)
		return soap_call_fail(c, XDS_ENOMEM, "out of memory");
	return 0;
}

/* The transfer's time limit in ms (0: none): its own bound, cut to the
 * fan-out's deadline. */
static long
timeout_ms(const struct soap_xfer *xf, long long deadline)
{
	long long own = xf->b.timeout > 0 ? xf->b.timeout * 1000LL : 0, left;

	if (deadline <= 0)
		return (long)own;
	if ((left = deadline - clock_real_ms()) < 1)
		left = 1;
	return (long)(own == 0 || left < own ? left : own);
}

static int
setup_tls(struct soap_xfer *xf)
{
	return pki_curl_tls(xf->easy, xf->p->cert, xf->p->key, xf->p->ca);
}

static int
setup_body(struct soap_xfer *xf)
{
	CURL *e = xf->easy;
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK;
	if (xf->pull != NULL) {
		bad |= curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read) !=
		    CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_READDATA, xf) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek) !=
		    CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_SEEKDATA, xf) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)xf->len) != CURLE_OK;
	} else {
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		    xf->env.b_data) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)xf->env.b_len) != CURLE_OK;
	}
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, xf) != CURLE_OK;
	if (xf->c->req.progress != NULL) {
		bad |= curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION,
		    on_progress) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_XFERINFODATA, xf) !=
		    CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	}
	return bad ? -1 : 0;
}

static int
setup_easy(struct soap_xfer *xf, long long deadline)
{
	const struct soap_peer *p = xf->p;
	CURL *e;
	int bad = 0;

	if ((e = xf->easy = curl_easy_init()) == NULL)
		return soap_call_fail(xf->c, XDS_ENOMEM, "out of memory");
	bad |= curl_easy_setopt(e, CURLOPT_URL, p->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, xf) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, xf->cerr) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, xf->hdr) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, p->connect_timeout)
	    != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    timeout_ms(xf, deadline)) != CURLE_OK;
	if (xf->b.low_speed_time > 0) {
		bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) !=
		    CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
		    xf->b.low_speed_time) != CURLE_OK;
	}
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, p->user_agent != NULL ?
	    p->user_agent : "xdsnode/" PACKAGE_VERSION) != CURLE_OK;
	if (bad || setup_tls(xf) != 0 || setup_body(xf) != 0)
		return soap_call_fail(xf->c, XDS_EINTERNAL, "%s: libcurl "
		    "refused an option", p->url);
	return 0;
}

int
soap_xfer_new(struct soap_xfer **out, struct soap_peer *p,
    struct soap_call *c, long long deadline)
{
	struct soap_xfer *xf;

	*out = NULL;
	if ((xf = calloc(1, sizeof *xf)) == NULL)
		return soap_call_fail(c, XDS_ENOMEM, "out of memory");
	xf->p = p;
	xf->t0 = clock_real_ms();
	xf->c = c;
	soap_call_bounds(p, c, &xf->b);
	xf->sink.c = c;
	xf->sink.b = &xf->b;
	xf->sink.who = p->url;
	buf_init(&xf->env, 0);
	if (build_envelope(xf) != 0 || build_headers(xf) != 0 ||
	    setup_easy(xf, deadline) != 0) {
		soap_xfer_free(xf);
		if (c->req.x != NULL)
			c->req.x->http_status = 502;
		return c->ans.status;
	}
	*out = xf;
	return XDS_OK;
}

CURL *
soap_xfer_easy(struct soap_xfer *xf)
{
	return xf->easy;
}

int
soap_xfer_ended(const struct soap_xfer *xf)
{
	return xf->ended;
}

/* ---- the outcome ---- */

/* Can cc have come after the request reached the peer? */
static int
classify(CURLcode cc, int sent)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return XDS_ETIMEOUT;
	case CURLE_OUT_OF_MEMORY:
		return XDS_ENOMEM;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return XDS_EUNAVAILABLE;	/* before any request byte */
	default:
		return sent ? XDS_EUNCERTAIN : XDS_EUNAVAILABLE;
	}
}

/* The SHA-1s computed while the attachments went out. */
static void
keep_hashes(struct soap_xfer *xf)
{
	struct soap_call *c = xf->c;
	size_t i;

	if (xf->pull == NULL)
		return;
	for (i = 0; i < c->req.natt; i++)
		if (c->req.att[i].sha1[0] == '\0')
			str_lcpy(c->req.att[i].sha1, mtom_pull_sha1(xf->pull,
			    i), sizeof c->req.att[i].sha1);
}

static void
record(struct soap_xfer *xf)
{
	struct soap_call *c = xf->c;

	c->ans.elapsed_ms = clock_real_ms() - xf->t0;
	if (c->req.x != NULL)
		c->req.x->http_status = c->ans.http_status != 0 ?
		    c->ans.http_status : 502;
}

void
soap_xfer_done(struct soap_xfer *xf, CURLcode cc)
{
	struct soap_call *c = xf->c;
	long code = 0, reqsize = 0;

	xf->ended = 1;
	if (curl_easy_getinfo(xf->easy, CURLINFO_RESPONSE_CODE, &code) !=
	    CURLE_OK)
		code = 0;
	if (cc == CURLE_OK)
		(void)soap_sink_end(&xf->sink, (int)code);
	else if (xf->sink.status != 0)
		c->ans.http_status = (int)code;	/* answered, but unusable */
	else if (xf->pull_status != 0)
		soap_call_fail(c, xf->pull_status, "%s", xf->pull_err);
	else {
		if (curl_easy_getinfo(xf->easy, CURLINFO_REQUEST_SIZE,
		    &reqsize) != CURLE_OK)
			reqsize = 1;	/* assume the worst */
		soap_call_fail(c, classify(cc, reqsize > 0), "%s: %s",
		    xf->p->url, xf->cerr[0] != '\0' ? xf->cerr :
		    curl_easy_strerror(cc));
	}
	keep_hashes(xf);
	record(xf);
}

void
soap_xfer_expired(struct soap_xfer *xf, long ms)
{
	xf->ended = 1;
	if (ms > 0)
		soap_call_fail(xf->c, XDS_ETIMEOUT, "%s: no answer within "
		    "%ld ms", xf->p->url, ms);
	else
		soap_call_fail(xf->c, XDS_EINTERNAL, "%s: the transfer was cut "
		    "short (libcurl failed)", xf->p->url);
	keep_hashes(xf);
	record(xf);
}

void
soap_xfer_free(struct soap_xfer *xf)
{
	if (xf == NULL)
		return;
	if (xf->easy != NULL)
		curl_easy_cleanup(xf->easy);
	curl_slist_free_all(xf->hdr);
	mtom_pull_free(xf->pull);
	soap_sink_free(&xf->sink);
	buf_free(&xf->env);
	free(xf);
}
