/*
 * gw_https.c: one JSON-over-HTTPS request (gw_https.h), an easy curl
 * transfer in the caller's thread; no connection is kept.
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "gw_https.h"
#include "log.h"
#include "pki_curl.h"
#include "status.h"
#include "str.h"

struct gw_https_xfer {
	struct buf	*ans;
	int		 st;		/* the write callback's failure */
};

static size_t
gw_https_write(char *p, size_t sz, size_t n, void *arg)
{
	struct gw_https_xfer *x = arg;

	if ((x->st = buf_add(x->ans, p, sz * n)) != XDS_OK)
		return 0;	/* curl aborts: CURLE_WRITE_ERROR */
	return sz * n;
}

static int
gw_https_setup(const struct gw_https_tls *t, const struct gw_https_req *r,
    CURL *e, struct curl_slist *hdr, struct gw_https_xfer *x, char *cerr)
{
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT,
	    "xdsnode/" PACKAGE_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, gw_https_write) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
	if (strcmp(r->method, "POST") == 0) {
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body) !=
		    CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->bodylen) != CURLE_OK;
	}
	return bad || pki_curl_tls(e, t->cert, t->key, t->ca) != 0 ? -1 : 0;
}

/* The request's headers, or NULL for want of memory. */
static struct curl_slist *
gw_https_headers(const struct gw_https_req *r)
{
	struct curl_slist *h = NULL, *n;
	char line[512];

	/* curl adds "Expect: 100-continue" to large POSTs: not wanted */
	if ((h = curl_slist_append(NULL, "Expect:")) == NULL)
		return NULL;
	if (r->accept != NULL && str_fmt(line, sizeof line, "Accept: %s",
	    r->accept) >= 0) {
		if ((n = curl_slist_append(h, line)) == NULL)
			goto fail;
		h = n;
	}
	if (r->ctype != NULL && str_fmt(line, sizeof line, "Content-Type: %s",
	    r->ctype) >= 0) {
		if ((n = curl_slist_append(h, line)) == NULL)
			goto fail;
		h = n;
	}
	if (r->request_id != NULL && str_fmt(line, sizeof line,
	    "X-Request-Id: %s", r->request_id) >= 0) {
		if ((n = curl_slist_append(h, line)) == NULL)
			goto fail;
		h = n;
	}
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

int
gw_https_do(const struct gw_https_tls *t, const struct gw_https_req *r,
    struct buf *ans, long *status, char *err, size_t errlen)
{
	struct gw_https_xfer x = { ans, XDS_OK };
	struct curl_slist *hdr = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	CURL *e = NULL;
	int st;

	*status = 0;
	if (r->timeout_ms <= 0) {
		str_fmt(err, errlen, "%s %s: no time left", r->who, r->url);
		return XDS_ETIMEOUT;
	}
	if ((e = curl_easy_init()) == NULL ||
	    (hdr = gw_https_headers(r)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		st = XDS_ENOMEM;
		goto out;
	}
	if (gw_https_setup(t, r, e, hdr, &x, cerr) != 0) {
		str_fmt(err, errlen, "%s %s: libcurl refused an option",
		    r->who, r->url);
		st = XDS_EINTERNAL;
		goto out;
	}
	log_debug("%s: %s %s", r->who, r->method, r->url);
	cc = curl_easy_perform(e);
	if (cc == CURLE_WRITE_ERROR && x.st != XDS_OK) {
		st = x.st;
		if (st == XDS_ETOOBIG)
			str_fmt(err, errlen, "%s %s: answer too long", r->who,
			    r->url);
		else
			str_fmt(err, errlen, "out of memory");
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		str_fmt(err, errlen, "%s %s: no answer within %ld s", r->who,
		    r->url, r->timeout_ms / 1000);
		st = XDS_ETIMEOUT;
	} else if (cc != CURLE_OK) {
		str_fmt(err, errlen, "%s %s: %s", r->who, r->url,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
		st = cc == CURLE_OUT_OF_MEMORY ? XDS_ENOMEM : XDS_EUNAVAILABLE;
	} else if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status) !=
	    CURLE_OK) {
		str_fmt(err, errlen, "%s %s: no status", r->who, r->url);
		st = XDS_EUNAVAILABLE;
	} else
		st = XDS_OK;
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(e);
	return st;
}
