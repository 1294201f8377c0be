/*
 * soap_peer.h: the SOAP client.  Every request the node or xdsctl sends
 * to an actor goes through here: ITI-42 and ITI-18 from the repository to
 * its registry, RAD-68 from the DICOM bridge, xdsctl's transactions, and
 * the XCA gateways' fan-out to communities.
 *
 * A peer is where requests go: an endpoint of this process (its route's
 * handler is called in process: no HTTP, no copy of a DOM body) or a URL
 * with its TLS policy.  An exchange is a struct soap_call: the request
 * (wsa:Action, packaging, the body element as a DOM node or as XML text,
 * attachments as files) and, once it has run, the answer (HTTP status,
 * bytes, document, body element, fault, attachments as files) and a
 * status that says what kind of failure it was.  soap_peer_call runs one
 * exchange, a struct soap_fanout many at once.
 *
 * Statuses (enum xds_status) of an exchange:
 *   XDS_OK		a SOAP answer, whatever it says: a soap:Fault (fault
 *			is set) and any HTTP status included
 *   XDS_EUNAVAILABLE	no answer, and the request certainly did not reach
 *			the peer: refused, unresolvable, TLS handshake failed
 *   XDS_EUNCERTAIN	no answer, and the request may have reached the peer
 *			(connection lost after sending): keep what it may
 *			now refer to
 *   XDS_ETIMEOUT	no answer within the deadline; the request may have
 *			reached the peer, as with XDS_EUNCERTAIN
 *   XDS_EANSWER	an answer that is not a SOAP 1.2 envelope (an HTML
 *			404, bad MTOM, an empty body), or over its bound
 *			(toobig is set)
 *   XDS_EIO		an attachment could not be read, or changed size
 *			while it was sent; an answer part could not be
 *			spooled
 *   XDS_EFORMAT	the request's body_xml is not well-formed (in
 *			process)
 *   XDS_ENOMEM, XDS_EINVAL, XDS_EINTERNAL as everywhere.
 *
 * Decisions:
 * - Plain http:// goes to loopback only (url_check), unless the
 *   options allow it (xdsctl, a test tool).  TLS 1.2 at least, the
 *   server's certificate always verified, the client certificate sent
 *   when given (mutual TLS); http and https only, no redirects.
 * - One connection per exchange (no keep-alive between exchanges): curl
 *   resends a request on a kept-alive connection the server closed
 *   meanwhile, and an ITI-42 or a RAD-68 sent twice is worse than a TLS
 *   handshake more.
 * - Remote exchanges run on curl's multi interface, a single one too
 *   (soap_peer_call is a fan-out of one): one code path.  A peer is not
 *   changed after it is made, so any number of threads use one at once
 *   (the repository registers from every HTTP worker); curl_global_init
 *   is the program's, in main.
 * - Bodies stream: an MTOM request is sent by the pull writer of mtom.h
 *   (files read from disk as curl asks, SHA-1 computed on the way), an
 *   MTOM answer goes through mtom_reader with its parts spooled to files.
 *   A 1 GiB document costs constant memory either way.
 * - An exchange in process answers as over HTTP: the route's packaging
 *   and body element are checked (soap_route_check), a handler's failure
 *   is a fault (HTTP 500) with the reason it set, and its transaction
 *   record is filled by the handler as for an inbound request.
 */
#ifndef XDS_SOAP_PEER_H
#define XDS_SOAP_PEER_H

#include <stddef.h>
#include <sys/types.h>
#include <libxml/tree.h>

#include "actor.h"
#include "buf.h"
#include "mtom.h"
#include "soap.h"

struct soap_endpoint;
struct soap_peer;
struct xact;

/*
 * Bounds of one exchange.  A peer's are the defaults of its calls; a
 * call's fields that are not zero replace them.
 */
struct soap_bounds {
	long		 timeout;	/* seconds for the exchange, connecting
					   included; -1 none (0 everywhere:
					   300, or none with low_speed_time) */
	long		 low_speed_time;/* fail after this many seconds below
					   1 byte/s (big transfers) */
	size_t		 max_answer;	/* answer envelope, or MTOM root part,
					   bytes (0: 64 MiB) */
	off_t		 max_part;	/* one MTOM answer part (0: 1 GiB) */
	size_t		 max_parts;	/* MTOM answer parts, root included
					   (0: mtom.h's default) */
	const char	*spool_dir;	/* for MTOM answer parts (NULL:
					   $TMPDIR, else /tmp) */
};

struct soap_peer_opts {
	const char	*cert;		/* client certificate (PEM), or NULL */
	const char	*key;		/* its key, or NULL */
	const char	*ca;		/* CA file the server's certificate must
					   chain to (NULL: the system's) */
	long		 connect_timeout;	/* seconds (0: 10) */
	const char	*user_agent;	/* NULL: "xdsnode/" PACKAGE_VERSION */
	int		 allow_plain;	/* plain http:// to any host */
	struct soap_bounds bounds;
};

/*
 * The TLS identity in o: the client certificate and its key (an empty
 * or NULL cert sets neither: no client certificate), and the CA file
 * the server must chain to (empty or NULL: the system's).  The strings
 * are borrowed until the peer is made.
 */
void	soap_peer_opts_tls(struct soap_peer_opts *o, const char *cert,
	    const char *key, const char *ca);

/*
 * A peer at url: https://, or http:// to loopback (any host with
 * o->allow_plain).  o may be NULL; its strings are copied.  XDS_OK, or
 * XDS_EINVAL with url_check's reason ("URL: https:// (mutual TLS) is
 * required off loopback"; the caller names the option in front),
 * XDS_ENOMEM.
 */
int	soap_peer_remote(struct soap_peer **out, const char *url,
	    const struct soap_peer_opts *o, char *err, size_t errlen);
/* A peer in this process: ep's routes are called directly.  ep must
 * outlive the peer; only o's bounds apply (o may be NULL). */
int	soap_peer_local(struct soap_peer **out, const struct soap_endpoint *ep,
	    const struct soap_peer_opts *o, char *err, size_t errlen);
void	soap_peer_free(struct soap_peer *);	/* NULL is a no-op */
/* "in-process" or the URL. */
const char *soap_peer_target(const struct soap_peer *);
/* For an outbound record's address: "local", or the URL's host:port. */
const char *soap_peer_addr(const struct soap_peer *);
int	soap_peer_is_local(const struct soap_peer *);

/* Where a transfer is: request bytes sent, answer bytes received (the
 * totals 0 while unknown), and the attachment being sent (0-based; natt
 * once they are all out). */
struct soap_progress {
	long long	 up_now, up_total;
	long long	 down_now, down_total;
	size_t		 att;
};
typedef void (*soap_progress_fn)(void *arg, const struct soap_progress *);
/*
 * Header blocks for one attempt of a call: XML appended to out (each
 * block declaring its namespaces; the prefix soap is the envelope's),
 * XDS_OK, or a status that ends the attempt with the reason in err.
 * The SOAP layer does not look into them.
 */
typedef int (*soap_header_fn)(void *arg, struct buf *out, char *err,
    size_t errlen);

struct soap_call {
	struct soap_call_req {		/* set by the caller */
		const char	*action;	/* wsa:Action */
		enum soap_pack	 pack;		/* PACK_SIMPLE or PACK_MTOM */
		xmlNode		*body;		/* the body element, or: */
		const char	*body_xml;	/* one element as text, with
						   its namespaces declared */
		size_t		 body_len;	/* 0: strlen(body_xml) */
		/* MTOM: files streamed from disk, each exactly .size bytes;
		 * a "" sha1 is filled in as the file is sent (remote) */
		struct mtom_attachment *att;
		size_t		 natt;
		struct soap_bounds bounds;	/* over the peer's */
		/* The outbound transaction record, or NULL: the call sets
		 * action when unset, message_id, http_status (502 when no
		 * answer came); in process also txn and endpoint when
		 * unset (the route's, the endpoint's path), the handler
		 * fills it as for an inbound request and a failure is
		 * recorded as a fault.  The outcome of a remote exchange
		 * is the caller's, and so is xact_end. */
		struct xact	*x;
		soap_progress_fn progress;	/* or NULL */
		void		*progress_arg;
		/* Header blocks of this attempt (e.g. a WS-Security
		 * header with a fresh assertion), or NULL: none.  Called
		 * for every envelope the call sends, a retry's included;
		 * not in process (no envelope). */
		soap_header_fn	 header;
		void		*header_arg;
	} req;
	struct soap_call_ans {		/* set by the exchange */
		int		 status;	/* enum xds_status, see above */
		char		 err[512];	/* why, when status < 0 */
		int		 http_status;	/* 0: no answer (in process:
						   200, or 500 for a fault) */
		char		 message_id[SOAP_UUID_LEN];	/* sent; "" in
						   process (no envelope) */
		struct buf	 bytes;		/* the envelope, an MTOM
						   answer's root part, or an
						   in-process handler's body */
		xmlDoc		*doc;		/* bytes parsed */
		xmlNode		*body;		/* soap_body_elem of doc (in
						   process: its root) */
		int		 fault;		/* body is a soap:Fault, or a
						   handler failed in process
						   (then doc is NULL) */
		char		 fault_reason[SOAP_REASON_MAX];
		int		 handler_status;	/* in process: the
						   status a failed handler
						   returned, 0 otherwise
						   (413 stays 413 when
						   passed on) */
		/* MTOM answer parts spooled to files (unlink_after 1), or
		 * an in-process handler's reply files (unlink_after as it
		 * set it: blob store files are never removed).  A caller
		 * keeps a file by moving it and clearing its path. */
		struct mtom_attachment *att;
		size_t		 natt;
		int		 toobig;	/* the answer went over a bound:
						   it came, what it said is
						   unknown */
		long long	 elapsed_ms;	/* from the start of the
						   exchange to its end */
	} ans;
};

/* A call with this action and packaging, everything else zero. */
void	soap_call_init(struct soap_call *, const char *action,
	    enum soap_pack pack);
/*
 * Run one exchange with p.  Returns c->ans.status.  Earlier answers of
 * the call must have been freed (soap_call_free).
 */
int	soap_peer_call(struct soap_peer *p, struct soap_call *c);
/* Free the answer: document, bytes, the files marked unlink_after whose
 * path is still set.  The request is the caller's. */
void	soap_call_free(struct soap_call *);

/*
 * What an exchange does with an answer that arrived whole: body (of this
 * HTTP status and Content-Type) read as simple SOAP or MTOM (parts
 * spooled under b), parsed, its body element and fault found; c->ans as
 * soap_peer_call leaves it.  For tests and the fuzz target.
 */
int	soap_call_answer(struct soap_call *c, int http_status,
	    const char *content_type, const void *body, size_t len,
	    const struct soap_bounds *b);

/*
 * Many exchanges at once (the XCA initiating gateway's fan-out): the
 * remote ones run together on one curl multi handle in the caller's
 * thread, the in-process ones meanwhile, one after the other, in one
 * helper thread.  Each call ends with its own status.
 */
struct soap_fanout;
int	soap_fanout_new(struct soap_fanout **out, char *err, size_t errlen);
/* Add a call (prepared as for soap_peer_call); p and c must stay valid
 * until the run is over.  XDS_OK or XDS_ENOMEM. */
int	soap_fanout_add(struct soap_fanout *, struct soap_peer *p,
	    struct soap_call *c);
/*
 * Run every call added.  Returns XDS_OK when each has ended, by its own
 * bounds or at timeout_ms (> 0) from now: a remote call still running
 * then ends XDS_ETIMEOUT.  An in-process call cannot be cut short: the
 * run waits for it (its handler's own bounds apply).  XDS_ENOMEM when
 * the run could not start (no call has run; each says so).
 */
int	soap_fanout_run(struct soap_fanout *, long timeout_ms);
/*
 * Another try of a remote call as soon as it ended, without waiting for
 * the others: fn(arg, c) is called in the running thread right after
 * each remote call of the run ended; it returns -1 to leave the call
 * ended, or a delay in milliseconds after which the call runs again (fn
 * prepared it: answer freed, request and bounds set as for a first
 * try).  A call still waiting for its next try at the run's timeout
 * keeps its last answer.  Set before soap_fanout_run; NULL: none.
 */
typedef long (*soap_again_fn)(void *arg, struct soap_call *c);
void	soap_fanout_again(struct soap_fanout *, soap_again_fn fn, void *arg);
void	soap_fanout_free(struct soap_fanout *);	/* NULL is a no-op */

#endif
