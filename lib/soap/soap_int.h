/*
 * soap_int.h: state of one soap_serve() exchange, shared by the files of
 * the SOAP module (soap_serve.c, soap_mtom.c, soap_peer.c).  Not for
 * other modules.
 */
#ifndef XDS_SOAP_INT_H
#define XDS_SOAP_INT_H

#include "actor.h"
#include "buf.h"
#include "soap.h"
#include "spool.h"
#include "xml.h"

/* Inline base64 elements of an MTOM root part (ep->inline_base64), each
 * decoded into a spool while the root part is parsed. */
#define SOAP_INLINE_MAX	1024	/* inline documents per request */

struct soap_inline {
	struct spool	*sp;		/* the element being decoded */
	struct b64dec	 dec;
	int		 bad;		/* its base64 is invalid */
	char		 id[128];	/* its id attribute, for messages */
	char		 tag[17];	/* random, in the synthetic cids */
	unsigned	 n;		/* elements diverted so far */
	int		 status;	/* our failure: an enum xds_status */
	int		 over_total;	/* it was lim.max_request */
	char		 err[256];
	struct mtom_attachment *att;	/* finished documents */
	size_t		 natt;
};

struct serve {
	const struct soap_endpoint *ep;
	struct soap_io	*io;
	struct xact	*x;
	struct soap_limits lim;		/* defaults filled in */
	enum soap_pack	 pack;		/* of the request */
	int		 soap11;	/* text/xml request */
	int		 eio;		/* transport read error */
	int		 io_status;	/* MTOM: first failed read's status */
	const char	*content_type;	/* of the request */
	char		 ct_action[SOAP_ACTION_MAX];	/* Content-Type action= */
	char		 charset[64];	/* of the envelope: Content-Type's
					   (simple), the root part's (MTOM) */
	struct buf	 in;		/* envelope (root part) bytes */
	struct xml_push	*push;		/* or the root part parsed as it
					   arrives (inline_base64 endpoint) */
	xmlDoc		*pushed;	/* its result */
	size_t		 root_bytes;
	int		 xml_status;	/* push parser failure, a status */
	char		 xml_err[256];
	struct soap_inline inl;
	struct soap_env	 env;
	struct soap_fault f;
	const struct soap_route *route;
	struct mtom_attachment *att;	/* request attachments (spooled) */
	size_t		 natt;
	struct soap_reply reply;
	size_t		 mem_bytes;	/* largest envelope held (request or
					   answer): the heap to give back */
	off_t		 doc_bytes;	/* documents of the request so far
					   (parts and inline, decoded):
					   lim.max_request bounds them */
	int		 large;		/* counted in large_inflight */
};

/* MTOM request: read the multipart body, envelope into s->in, other parts
 * spooled into s->att.  On an endpoint with inline_base64 the envelope is
 * parsed while it arrives instead (s->pushed), the inline documents
 * becoming attachments too.  0, or -1 with s->f set (or s->eio). */
int	soap_mtom_read(struct serve *s);
/* The push parser of soap_mtom_read, for a simple SOAP body read as it
 * arrives (read_simple): feed it (0, or a status with s->xml_status or
 * s->inl.status set), make the fault of a failed feed, finish (0 with
 * s->pushed, or -1 with s->f set).  The body is never held whole; on an
 * inline_base64 endpoint its documents are spooled as in MTOM. */
int	soap_push_feed(struct serve *s, const void *data, size_t len);
int	soap_push_fault(struct serve *s);
int	soap_push_done(struct serve *s);
/* After the envelope is parsed: resolve xop:Include references. */
int	soap_mtom_resolve(struct serve *s);
/* Send env (the response envelope) and s->reply.att as multipart/related. */
int	soap_mtom_send(struct serve *s, const struct buf *env);
/* Remove the spooled request attachments and free their array; free
 * the push parser state. */
void	soap_mtom_free(struct serve *s);
/* The packaging and body element a route takes (in soap_serve.c): 0, or
 * -1 with f set to the Sender fault an HTTP client gets.  For requests
 * in process too (soap_peer.c). */
int	soap_route_check(const struct soap_route *r, enum soap_pack pack,
	    const xmlNode *body, struct soap_fault *f);
/* Write s->f as a fault (in soap_serve.c). */
int	send_fault(struct serve *s);

#endif
