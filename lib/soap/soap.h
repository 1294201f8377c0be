/*
 * soap.h: SOAP 1.2 + WS-Addressing 1.0 (ITI TF-2 Appendix V).
 *
 * Three layers, each usable on its own:
 *   1. soap_env_parse(): root-part bytes -> envelope (pure, fuzzed);
 *   2. soap_write_request() / soap_write_response() / soap_write_fault():
 *      envelopes into a buf (soap_peer.h sends requests);
 *   3. soap_serve(): the whole exchange for one POST, transport-agnostic,
 *      over an endpoint's route table (actor.h); soap_wsdl() for ?wsdl.
 *
 * Decisions (see also the report in docs and the tests):
 * - SOAP 1.2 only.  A SOAP 1.1 envelope is a VersionMismatch fault with an
 *   env:Upgrade header; a text/xml request (SOAP 1.1 binding) is answered
 *   with a SOAP 1.1 VersionMismatch fault (SOAP 1.2 Part 1, Appendix A).
 * - wsa:Action is required (Sender, wsa:MessageAddressingHeaderRequired).
 *   wsa:MessageID is optional (NIST samples omit it); without it the
 *   reply's wsa:RelatesTo is ".../addressing/unspecified" (WS-A Core 3.2).
 * - Only synchronous exchanges: a ReplyTo/FaultTo address other than
 *   anonymous is refused (Sender, wsa:InvalidAddressingHeader /
 *   wsa:OnlyAnonymousAddressSupported).
 * - Header blocks targeted at us (no role, role next or ultimateReceiver)
 *   with mustUnderstand="true"/"1" must be ones we process: the wsa
 *   headers.  wsse:Security is NOT processed by this layer: the parser
 *   keeps the one targeted at us (env->security; a second is a Sender
 *   fault), and soap_serve hands it to an endpoint that says it
 *   processes it (soap_endpoint.wsse_security: the gateways, which check
 *   X-User Assertions); at any other endpoint it is ignored without
 *   mustUnderstand, and a MustUnderstand fault with it (we never pretend
 *   to have checked a signature or an assertion).
 * - Faults are always sent as simple SOAP (application/soap+xml), also
 *   for an MTOM request.  HTTP status per SOAP 1.2 Part 2, 7.5.2.2:
 *   Sender 400, everything else 500; an envelope past the limit 413,
 *   an unsupported Content-Type 415 (both with a Sender fault body).
 * - Envelopes are UTF-8 or UTF-16 (WS-I Basic Profile): a charset
 *   parameter (the Content-Type's for simple SOAP, the root part's for
 *   MTOM) must name one of them and agree with the bytes; anything else
 *   is a Sender fault (400).  Past a bound of xmlscan.h (attributes,
 *   namespace declarations, depth; soap_limits.max_attributes in all) a
 *   Sender fault with 413, found before libxml2 parses the start tag.
 * - MTOM on an endpoint with inline_base64 (actor.h): the root part is
 *   parsed while it arrives (xml_push) and those elements' base64 text is
 *   streamed into hashed spool files that the actor gets as attachments
 *   (Content-ID inline-<n>.<random>@xdsnode.invalid, behind an
 *   xop:Include); soap.max_envelope then bounds the rest of the envelope
 *   and max_attachment each inline document (413 past either).
 */
#ifndef XDS_SOAP_H
#define XDS_SOAP_H

#include <stddef.h>
#include <sys/types.h>
#include <libxml/tree.h>

#include "actor.h"
#include "buf.h"
#include "xml.h"

struct xact;

/* Bounds on header values (longer values are a Sender fault). */
#define SOAP_ACTION_MAX	256
#define SOAP_MSGID_MAX	256
#define SOAP_ADDR_MAX	1024
#define SOAP_REASON_MAX	512
#define SOAP_UUID_LEN	46	/* "urn:uuid:" + 36 + NUL */

enum soap_code {
	SOAP_FAULT_NONE = 0,
	SOAP_FAULT_SENDER,
	SOAP_FAULT_RECEIVER,
	SOAP_FAULT_VERSION_MISMATCH,
	SOAP_FAULT_MUST_UNDERSTAND,
};

/* A fault to send.  Subcodes are local names in the wsa namespace
 * ("ActionNotSupported", ...), static strings or NULL. */
struct soap_fault {
	enum soap_code	 code;
	const char	*subcode;		/* wsa:<subcode>, a WS-Security
						   "wsse:..." code (vocab.h
						   WSSE_FAULT_*), or NULL */
	const char	*subsubcode;		/* wsa:<subsubcode>, or NULL */
	int		 http_status;		/* 0: from the code */
	char		 reason[SOAP_REASON_MAX];
	/* soap:Detail per the WS-Addressing SOAP binding: the header missing
	 * or invalid (wsa:ProblemHeaderQName), the action not supported
	 * (wsa:ProblemAction); "" for none */
	char		 problem_header[64];
	char		 problem_action[SOAP_ACTION_MAX];
	/* MustUnderstand: the header block not understood (env:NotUnderstood) */
	char		 nu_ns[256];
	char		 nu_name[128];
};

/* A parsed request envelope.  Strings are "" when absent. */
struct soap_env {
	xmlDoc	*doc;
	xmlNode	*header;		/* soap:Header or NULL */
	xmlNode	*body;			/* the one element child of soap:Body */
	xmlNode	*security;		/* wsse:Security targeted at us, or
					   NULL */
	int	 security_mu;		/* ... with mustUnderstand */
	char	 action[SOAP_ACTION_MAX];
	char	 message_id[SOAP_MSGID_MAX];
	char	 to[SOAP_ADDR_MAX];
	char	 reply_to[SOAP_ADDR_MAX];	/* "" = anonymous by default */
	char	 relates_to[SOAP_MSGID_MAX];
};

/*
 * Parse a SOAP 1.2 envelope from len bytes (via xml_parse: no DOCTYPE, no
 * entities, no network).  Returns 0 with env filled (free with
 * soap_env_free), or -1 with env->doc NULL and f set: a SOAP fault to send.
 * The caller bounds len.
 */
int	soap_env_parse(const char *data, size_t len, struct soap_env *env,
	    struct soap_fault *f);
/* The same with the bounds and the MIME charset of the message (o may
 * be NULL); a bound of xmlscan.h passed is a Sender fault with 413. */
int	soap_env_parse_opts(const char *data, size_t len,
	    const struct xml_opts *o, struct soap_env *env,
	    struct soap_fault *f);
/* The checks of soap_env_parse on a document already parsed (e.g. by
 * xml_push): takes doc over (freed on failure too). */
int	soap_env_from_doc(xmlDoc *doc, struct soap_env *env,
	    struct soap_fault *f);
void	soap_env_free(struct soap_env *);

/* Fill f (code, subcodes, reason as printf). */
void	soap_fault_set(struct soap_fault *f, enum soap_code code,
	    const char *subcode, const char *subsubcode, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* HTTP status for a fault: f->http_status if set, else 400/500. */
int	soap_fault_status(const struct soap_fault *f);
/*
 * Fill f for a request that failed with status st (enum xds_status), the
 * reason as printf: the one place where a status becomes the SOAP fault
 * code and HTTP status of an answer.  XDS_ETOOBIG is a Sender fault with
 * HTTP 413, XDS_EFORMAT a Sender fault (400), XDS_EDENIED (a policy
 * point refused the peer) a Sender fault with HTTP 403, XDS_ESECURITY and
 * XDS_EAUTH Sender faults with the WS-Security subcodes
 * wsse:InvalidSecurity and wsse:FailedAuthentication, anything else a
 * Receiver fault (500).
 */
void	soap_fault_from_status(struct soap_fault *f, int st, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* "urn:uuid:" + random v4 UUID into out (SOAP_UUID_LEN); -1 on failure. */
int	soap_uuid(char *out, size_t outsz);

/*
 * Response envelope: Header { wsa:Action mustUnderstand=true, wsa:RelatesTo
 * (relates_to, or wsa unspecified when NULL/""), wsa:MessageID fresh },
 * Body { body_xml } where body_xml is one element serialised with its own
 * namespace declarations (a leading XML declaration is skipped).
 * Appends to out; XDS_OK, XDS_ENOMEM or XDS_ETOOBIG.
 */
int	soap_write_response(struct buf *out, const char *action,
	    const char *relates_to, const char *body_xml, size_t body_len);
/*
 * Request envelope: Header { wsa:Action mustUnderstand=true, wsa:MessageID
 * fresh (copied to msgid, SOAP_UUID_LEN), wsa:ReplyTo anonymous, wsa:To
 * (to) mustUnderstand=true }, Body { body_xml } as for a response.  The
 * header is written by the response's code.  XDS_OK, XDS_ENOMEM or
 * XDS_ETOOBIG.
 */
int	soap_write_request(struct buf *out, const char *action, const char *to,
	    const char *body_xml, size_t body_len, char *msgid, size_t msgidsz);
/* The same with more header blocks (hdr_len bytes of XML, written after
 * wsa:To as they are; hdr NULL: none). */
int	soap_write_request_hdr(struct buf *out, const char *action,
	    const char *to, const char *hdr, size_t hdr_len,
	    const char *body_xml, size_t body_len, char *msgid,
	    size_t msgidsz);
/*
 * The body element of an answer: root itself when it is not a SOAP 1.2
 * Envelope (an in-process answer, a bare RegistryResponse), else the
 * first element child of its soap:Body (NULL when there is none).
 */
xmlNode	*soap_body_elem(xmlNode *root);
/* The soap:Reason/soap:Text of a soap:Fault element into out ("" when
 * it has none; cut to fit). */
void	soap_fault_text(xmlNode *fault, char *out, size_t outsz);
/* SOAP 1.2 fault envelope (wsa:Action ACT_SOAP_FAULT); relates_to may be
 * NULL.  VersionMismatch adds env:Upgrade, MustUnderstand env:NotUnderstood. */
int	soap_write_fault(struct buf *out, const struct soap_fault *f,
	    const char *relates_to);
/* SOAP 1.1 VersionMismatch fault, for a text/xml (SOAP 1.1) request. */
int	soap_write_fault11(struct buf *out, const char *reason);

/*
 * Transport seen by soap_serve (the HTTP glue fills it).
 *   read: body bytes: >0 count, 0 end of body, XDS_ETOOBIG past the
 *         transport's body limit, another enum xds_status (< 0) for an
 *         I/O error.
 *   respond_begin: status line and headers; content_length always >= 0.
 *   write, end: body bytes, end of response; 0 or -1.
 */
struct soap_io {
	ssize_t	(*read)(void *ctx, void *buf, size_t len);
	int	(*respond_begin)(void *ctx, int http_status,
		    const char *content_type, long long content_length);
	int	(*write)(void *ctx, const void *p, size_t n);
	int	(*end)(void *ctx);
	void	*ctx;
};

struct soap_limits {
	size_t		 max_envelope;	/* SOAP envelope / MTOM root part (0: 16 MiB) */
	long long	 max_attachment;/* per MTOM part (0: 1 GiB) */
	const char	*spool_dir;	/* for MTOM parts (NULL: /tmp) */
	size_t		 max_response;	/* reply body from the handler (0: 64 MiB) */
	long long	 max_request;	/* the documents of a request together
					   (MTOM parts and inline, decoded),
					   413 past it (0: max_attachment) */
	unsigned long	 max_attributes;/* attributes and namespace declarations
					   of the envelope (0: xmlscan.h's) */
};

/*
 * Serve one SOAP POST on endpoint ep.  content_type is the request's
 * Content-Type header (NULL if absent).  Reads the body through io,
 * parses, dispatches by wsa:Action to a route of ep, calls its handler and
 * writes the response (same packaging as the request) or a fault.  Fills
 * x: txn, action, message_id, http_status, and on a fault
 * xact_fail(XACT_FAULT, reason).  Never calls xact_end().  Frees the
 * document and removes spooled attachments before returning.  The reply's
 * att array (if any) is free()d after sending; its files are left alone.
 * XDS_OK when a response (success or fault) was written, XDS_EIO when
 * reading the body or writing the response failed: close the connection.
 */
int	soap_serve(const struct soap_endpoint *ep, const char *content_type,
	    struct soap_io *io, const struct soap_limits *lim, struct xact *x);

/* Route of ep for a wsa:Action, or NULL. */
const struct soap_route *soap_route_find(const struct soap_endpoint *ep,
	    const char *action);

/*
 * WSDL 1.1 with a SOAP 1.2 binding for ep: one operation per route,
 * wsam:Action on input and output, WS-Addressing required, and the MTOM
 * policy on operations whose route only accepts MTOM.  location_url is the
 * soap12:address.  The message schemas are imported from
 * "<ep->path>?xsd=NAME" (soap_schema_write).  Appends to out;
 * XDS_OK, XDS_ENOMEM or XDS_ETOOBIG.
 */
int	soap_wsdl(const struct soap_endpoint *ep, const char *location_url,
	    struct buf *out);

/* A message schema compiled in (lib/soap/schema): served at
 * <endpoint>?xsd=name; its imports name the others so. */
struct soap_schema {
	const char	*name;		/* "rim", "query", "xdsb", ... */
	const char	*data;		/* the XSD, NUL-terminated */
	size_t		 len;
};
/* The schema called name, or NULL. */
const struct soap_schema *soap_schema_find(const char *name);
/* Schema sc as served at path ("/xds/registry"): its imports' relative
 * "?xsd=NAME" locations made path-absolute ("/xds/registry?xsd=NAME"),
 * since Java's URI resolution (RFC 2396) drops the last path segment of
 * a query-only reference.  Appends to out: XDS_OK, XDS_ENOMEM,
 * XDS_ETOOBIG. */
int	soap_schema_write(const struct soap_schema *sc, const char *path,
	    struct buf *out);

#endif
