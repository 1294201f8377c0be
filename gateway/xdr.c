/*
 * xdr.c: the XDR Document Recipient (see xdr.h): the sender checked
 * against the community directory, then the request handed as it came to
 * this node's repository, whose answer is the recipient's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "buf.h"
#include "conf.h"
#include "directory.h"
#include "log.h"
#include "soap_peer.h"
#include "status.h"
#include "uzi.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xdr.h"

#define XDR_PATH	"/xdr/recipient"
#define XDR_URA_DIGITS	8

struct xdr_recipient {
	struct directory	*dir;
	struct soap_peer	*repo;
	int			 known_only;
	struct soap_route	 routes[1];
	struct soap_endpoint	 ep;
};

/* The element whose base64 text an MTOM root part may carry inline, as
 * the repository's endpoint takes it. */
static const struct xml_qname xdr_inline[] = {
	{ NS_XDSB, "Document" },
	{ NULL, NULL },
};

/* ---- the recipient ------------------------------------------------- */

/*
 * Who sends: XDS_OK with x->org naming the organisation when the
 * directory knows it, or (known_only) XDS_EDENIED with x->reason, or the
 * directory's failure.  Without known_only every sender the transport
 * let in is accepted, named when it can be.
 */
static int
xdr_sender(struct xdr_recipient *r, struct xact *x)
{
	struct dir_community c;
	struct uzi_id u;
	char ura[XDR_URA_DIGITS + 1], err[256];
	int rc, st;

	if ((rc = xdr_subject_ura(x->peer, ura, sizeof ura)) < 0) {
		str_fmt(x->reason, sizeof x->reason, "XDR refused: the "
		    "sender's certificate names two URAs");
		return XDS_EDENIED;
	}
	/* An UZI server certificate names its URA in its UZI string;
	 * a subject that says otherwise is refused. */
	if (x->peer_uzi[0] != '\0' && uzi_parse(x->peer_uzi,
	    strlen(x->peer_uzi), &u, err, sizeof err) == XDS_OK &&
	    u.card == 'S' && strlen(u.ura) == XDR_URA_DIGITS) {
		if (rc == 1 && strcmp(ura, u.ura) != 0) {
			str_fmt(x->reason, sizeof x->reason, "XDR refused: the "
			    "sender's certificate names URA %s in its UZI "
			    "identity and %s in its subject", u.ura, ura);
			return XDS_EDENIED;
		}
		memcpy(ura, u.ura, sizeof ura);
		rc = 1;
	}
	if (rc == 0) {
		if (!r->known_only)
			return XDS_OK;
		str_fmt(x->reason, sizeof x->reason, "XDR refused: the "
		    "sender's certificate names no URA (an UZI server "
		    "identity, or organizationIdentifier URA-nnnnnnnn), so its "
		    "organisation is unknown here");
		return XDS_EDENIED;
	}
	st = dir_by_ura(r->dir, ura, &c, err, sizeof err);
	if (st == XDS_OK) {
		str_fmt(x->org, sizeof x->org, "%s %s", c.ura, c.name);
		return XDS_OK;
	}
	str_fmt(x->org, sizeof x->org, "%s", ura);
	if (!r->known_only)
		return XDS_OK;
	if (st == XDS_ENOTFOUND) {
		str_fmt(x->reason, sizeof x->reason, "XDR refused: the "
		    "organisation with URA %s is not in this node's community "
		    "directory", ura);
		return XDS_EDENIED;
	}
	str_fmt(x->reason, sizeof x->reason, "XDR: the community directory "
	    "could not be asked about URA %s: %s", ura, err);
	return st;
}

/* ITI-41 at /xdr/recipient: the sender checked, then the repository's
 * ITI-41 with the same body and attachments. */
static int
xdr_iti41(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct xdr_recipient *r = actor;
	struct soap_call c;
	int st;

	soap_call_init(&c, ACT_ITI41, req->pack);
	if ((st = xdr_sender(r, x)) != XDS_OK) {
		log_info("xdr: refused a transfer from %s (%s): %s", x->peer,
		    x->peer_addr, x->reason);
		goto out;
	}
	c.req.body = req->body;
	c.req.att = req->att;
	c.req.natt = req->natt;
	c.req.x = x;
	if ((st = soap_peer_call(r->repo, &c)) != XDS_OK) {
		str_fmt(x->reason, sizeof x->reason, "XDR: the repository "
		    "could not be reached: %s", c.ans.err);
		goto out;
	}
	if (c.ans.fault) {	/* the repository's reason is in x */
		/* its status as it is: too big stays 413, no space 507 */
		st = c.ans.handler_status < 0 ? c.ans.handler_status : XDS_ERR;
		goto out;
	}
	if ((st = buf_add(&reply->body, c.ans.bytes.b_data,
	    c.ans.bytes.b_len)) != XDS_OK)
		str_fmt(x->reason, sizeof x->reason, "XDR: the answer is over "
		    "its bound");
	else
		log_info("xdr: %s from %s (%s): %s", x->object, x->org[0] !=
		    '\0' ? x->org : "an unnamed sender", x->peer_addr,
		    x->outcome == XACT_SUCCESS ? "stored" : "not stored");
out:
	soap_call_free(&c);
	return st;
}

int
xdr_open(const struct conf *cf, struct directory *dir,
    struct soap_peer *repository, struct xdr_recipient **out, char *err,
    size_t errlen)
{
	struct xdr_recipient *r;

	*out = NULL;
	if (dir == NULL || repository == NULL) {
		str_fmt(err, errlen, "needs the community directory and this "
		    "node's repository");
		return XDS_EINVAL;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	r->dir = dir;
	r->repo = repository;
	if (strcmp(cf->xdr_known_senders_only, "auto") == 0)
		r->known_only = cf->http_tls;
	else
		r->known_only = strcmp(cf->xdr_known_senders_only, "yes") == 0;
	r->routes[0] = (struct soap_route){ ACT_ITI41, ACT_ITI41_RSP,
	    TXN_ITI41, NS_XDSB, "ProvideAndRegisterDocumentSetRequest",
	    PACK_MTOM, xdr_iti41 };
	r->ep.path = XDR_PATH;
	r->ep.routes = r->routes;
	r->ep.nroutes = sizeof r->routes / sizeof r->routes[0];
	r->ep.actor = r;
	r->ep.inline_base64 = xdr_inline;
	log_info("xdr: Document Recipient at %s, %s", XDR_PATH,
	    r->known_only ? "senders the directory knows by URA only" :
	    "any sender the transport admits");
	*out = r;
	return XDS_OK;
}

void
xdr_close(struct xdr_recipient *r)
{
	free(r);
}

const struct soap_endpoint *
xdr_endpoint(struct xdr_recipient *r)
{
	return &r->ep;
}
