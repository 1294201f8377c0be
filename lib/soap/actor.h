/*
 * actor.h: how an actor (registry/, repository/, gateway/, dicom/) plugs
 * into the SOAP layer.  Actors see parsed SOAP bodies and attachments as
 * files, never HTTP, sockets or MIME.  An actor is a table of routes:
 *   { wsa:Action, response action, IHE transaction, packaging, handler }.
 */
#ifndef XDS_ACTOR_H
#define XDS_ACTOR_H

#include <sys/types.h>
#include <libxml/tree.h>

#include "buf.h"
#include "mtom.h"
#include "xml.h"

struct xact;

enum soap_pack {
	PACK_SIMPLE = 1,	/* application/soap+xml (ITI-18/42/57/62) */
	PACK_MTOM = 2,		/* multipart/related XOP (ITI-41, ITI-43, RAD-69) */
};
/* Routes whose messages carry no documents take either: the profiles
 * say simple SOAP, but some stacks (Axis2, CXF with MTOM switched on)
 * send every call as MTOM.  The answer goes in the request's
 * packaging. */
#define PACK_EITHER	(PACK_SIMPLE | PACK_MTOM)

struct soap_request {
	xmlDoc	*doc;			/* the envelope (DOM) */
	xmlNode	*body;			/* first element child of soap:Body */
	xmlNode	*security;		/* wsse:Security for us, or NULL;
					   only at an endpoint with
					   wsse_security */
	enum soap_pack pack;		/* how it arrived */
	struct mtom_attachment *att;
	size_t	 natt;
};

struct soap_reply {
	struct buf body;		/* XML of the Body child; namespaces declared in it */
	struct mtom_attachment *att;	/* files to send as MTOM parts */
	size_t	 natt;
};

/*
 * A handler answers XDS_OK with reply->body filled (business errors such
 * as XDSUnknownPatientId travel inside the reply, recorded with
 * xact_add_error), or an enum xds_status with x->reason set for a SOAP
 * fault, chosen by soap_fault_from_status (soap.h): XDS_ETOOBIG (an input
 * over the actor's own limit, e.g. an inline document) is a Sender fault
 * with HTTP 413, XDS_EDENIED (refused by policy) one with HTTP 403,
 * XDS_ERR and other failures a Receiver fault.
 */
typedef int (*actor_fn)(void *actor, struct xact *x,
    const struct soap_request *req, struct soap_reply *reply);

struct soap_route {
	const char	*action;	/* request wsa:Action */
	const char	*response_action;
	const char	*txn;		/* "ITI-42" */
	const char	*body_ns;	/* expected namespace of the body element */
	const char	*body_name;	/* expected local name of the body element */
	unsigned	 packs;		/* accepted packagings (PACK_SIMPLE | PACK_MTOM) */
	actor_fn	 fn;
};


/* An endpoint: a path and its routes, with the actor they serve. */
struct soap_endpoint {
	const char	*path;		/* "/xds/registry" */
	const struct soap_route *routes;
	size_t		 nroutes;
	void		*actor;
	/*
	 * Elements whose base64 text is taken out of an MTOM root part while
	 * it is parsed (a { NULL, NULL }-terminated list, or NULL): the text
	 * is decoded into a spooled, hashed attachment and the element gets
	 * an xop:Include naming it instead, so an inline document streams
	 * like an XOP part and the actor sees only attachments.
	 */
	const struct xml_qname *inline_base64;
	/*
	 * The actor processes the wsse:Security header (the gateways check
	 * X-User Assertions in it): it gets it in soap_request.security,
	 * with or without mustUnderstand.  0: the header is ignored, and
	 * with mustUnderstand it is a MustUnderstand fault.
	 */
	int		 wsse_security;
};

#endif
