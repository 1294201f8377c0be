/*
 * gw_https.h: one JSON-over-HTTPS request of the gateway module (the
 * ZORG-AB directory, Mitz's FHIR subscriptions): a libcurl easy transfer
 * with the node's TLS rules (pki_curl_tls: 1.2 at least, the server
 * verified, this node's certificate shown, the CRLs), a deadline, a
 * bounded answer.  The URL must
 * have passed url_check (https, or http on loopback).
 */
#ifndef XDS_GW_HTTPS_H
#define XDS_GW_HTTPS_H

#include <stddef.h>

struct buf;

/* The node's TLS identity: file names, "" for none (ca: the system's). */
struct gw_https_tls {
	const char	*cert;
	const char	*key;
	const char	*ca;
};

struct gw_https_req {
	const char	*method;	/* "GET" or "POST" */
	const char	*url;
	const char	*accept;	/* an Accept value, or NULL */
	const char	*ctype;		/* POST: the body's Content-Type */
	const char	*body;		/* POST */
	size_t		 bodylen;
	const char	*request_id;	/* an X-Request-Id value, or NULL */
	long		 timeout_ms;	/* connecting included */
	const char	*who;		/* the peer's name for err ("ZORG-AB") */
};

/*
 * Send r; the answer's body into ans (bounded by its cap), its status
 * into *status.  XDS_OK whatever the status (the caller judges it);
 * XDS_ETIMEOUT, XDS_EUNAVAILABLE (no answer), XDS_ETOOBIG (the answer
 * over ans's cap), XDS_ENOMEM, XDS_EINTERNAL (libcurl refused an option)
 * with "who url: reason" in err.
 */
int	gw_https_do(const struct gw_https_tls *, const struct gw_https_req *r,
	    struct buf *ans, long *status, char *err, size_t errlen);

#endif
