/*
 * soap_peer_int.h: what the two halves of the SOAP client share:
 * soap_peer.c (peers, calls, answers, in-process exchanges, the fan-out)
 * and soap_xfer.c (one remote exchange on libcurl).  Not for other
 * modules.
 */
#ifndef XDS_SOAP_PEER_INT_H
#define XDS_SOAP_PEER_INT_H

#include <curl/curl.h>

#include "soap_peer.h"

#define PEER_DEF_TIMEOUT	300		/* seconds */
#define PEER_DEF_CONNECT	10		/* seconds */
#define PEER_DEF_MAX_ANSWER	((size_t)64 * 1024 * 1024)
#define PEER_MAX_REQUEST	((size_t)256 * 1024 * 1024)	/* envelope */
#define PEER_MAX_HEADER	((size_t)64 * 1024)	/* header blocks of a call */

struct soap_peer {
	const struct soap_endpoint *ep;	/* in process, or NULL */
	char		*url;
	char		 addr[300];	/* "local" or host:port */
	char		*cert, *key, *ca, *user_agent, *spool_dir;
	long		 connect_timeout;
	struct soap_bounds bounds;	/* spool_dir points at ours */
};

/* The answer as it arrives (soap_peer.c): simple SOAP into c->ans.bytes,
 * MTOM through a reader whose parts are spooled. */
struct soap_sink {
	struct soap_call	*c;
	const struct soap_bounds *b;	/* merged */
	const char		*who;	/* the URL, for messages */
	struct mtom_reader	*rd;
	int			 started;
	int			 status;	/* first failure, sticky */
};

/* The call's bounds over the peer's (its zero fields: the peer's), the
 * defaults filled in; the spool directory is $TMPDIR or /tmp if neither
 * sets one. */
void	soap_call_bounds(const struct soap_peer *, const struct soap_call *,
	    struct soap_bounds *out);
/* c->ans.status = st with err as printf; returns st. */
int	soap_call_fail(struct soap_call *c, int st, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The request body element as text: body_xml, or body serialised with
 * the namespaces it uses declared on it.  0, or -1 with c->ans set. */
int	soap_call_body(struct soap_call *c, struct buf *out);

/* First bytes: content_type says simple or MTOM.  Then feed, then end
 * with the HTTP status (parses the answer).  Each returns 0, or the
 * sink's failure (also in c->ans). */
int	soap_sink_feed(struct soap_sink *, const char *content_type,
	    const void *data, size_t len);
int	soap_sink_end(struct soap_sink *, int http_status);
void	soap_sink_free(struct soap_sink *);

/* One remote exchange (soap_xfer.c).  soap_xfer_new prepares the
 * request and an easy handle whose CURLOPT_PRIVATE is the xfer; a
 * failure is already in c->ans.  deadline_ms: a monotonic time in ms
 * the transfer must not pass (0: only its own bounds). */
struct soap_xfer;
int	soap_xfer_new(struct soap_xfer **out, struct soap_peer *p,
	    struct soap_call *c, long long deadline_ms);
CURL	*soap_xfer_easy(struct soap_xfer *);
/* The transfer ended with cc: classify, read the answer. */
void	soap_xfer_done(struct soap_xfer *, CURLcode cc);
int	soap_xfer_ended(const struct soap_xfer *);
/* The fan-out's deadline passed first. */
void	soap_xfer_expired(struct soap_xfer *, long timeout_ms);
void	soap_xfer_free(struct soap_xfer *);

#endif
