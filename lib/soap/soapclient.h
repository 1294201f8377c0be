/*
 * soapclient.h: SOAP 1.2 requests over HTTP(S) with libcurl (transport;
 * knows envelopes, not IHE).  Mutual TLS when a client certificate is
 * given; TLS 1.2 at least; the server certificate is always verified.
 */
#ifndef XDS_SOAPCLIENT_H
#define XDS_SOAPCLIENT_H

#include <stddef.h>

struct buf;

struct soapclient_opts {
	const char	*cert;		/* client certificate (PEM) or NULL */
	const char	*key;		/* its key or NULL */
	const char	*ca;		/* CA bundle to verify the server, or NULL */
	long		 timeout;	/* seconds for the whole exchange (0: 300) */
	size_t		 max_response;	/* bytes (0: 64 MiB) */
};

/*
 * POST a simple SOAP 1.2 request: wraps body_xml (one element) in an
 * envelope with wsa:Action, wsa:MessageID, wsa:ReplyTo anonymous and
 * wsa:To url.  On return 0, *http_status is set and out holds the
 * response body (a SOAP envelope or fault).  -1: no answer (err says why).
 */
int	soapclient_call(const char *url, const char *action,
	    const char *body_xml, const struct soapclient_opts *o,
	    int *http_status, struct buf *out, char *err, size_t errlen);

/*
 * POST a finished body (e.g. an MTOM package) with this Content-Type.  On
 * return 0, *http_status is set, out holds the answer and reply_type (if
 * not NULL) its Content-Type.  -1: no answer (err says why).
 */
int	soapclient_post(const char *url, const char *content_type,
	    const void *body, size_t len, const struct soapclient_opts *o,
	    int *http_status, char *reply_type, size_t reply_typelen,
	    struct buf *out, char *err, size_t errlen);

#endif
