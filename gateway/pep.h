/*
 * pep.h: the policy enforcement point of the responding gateway, the
 * only door by which metadata or a document leaves this community.
 *
 * Why nothing can leave past it by accident:
 * - The responding gateway has no actor_fn.  Its transactions are
 *   pep_txn_fn, which the SOAP layer cannot call: the endpoint's route
 *   table is made here, in pep.c, and every route's handler is the door
 *   (pep_door), which decides first and calls the transaction only on a
 *   Permit.
 * - A transaction gets the decision as a const struct pep_grant *, whose
 *   definition only pep.c sees: no other file can make one, so a
 *   transaction cannot be called from anywhere but the door.
 * - A transaction writes into a struct pep_answer, never into the SOAP
 *   reply: the door moves the answer into the reply (pep.c's release),
 *   the one place where a later policy can also filter what leaves,
 *   object by object.
 * First, with xua.mode required, the X-User Assertion (ITI-40) in the
 * request's wsse:Security header is verified (lib/xua) and its URA must
 * be the one of the peer's UZI certificate; a request without a valid
 * one is a WS-Security fault before anything else is looked at, and the
 * verified claims are who asks Mitz.
 * The decision: the static rule (gateway.allow: which peers may ask),
 * then consent (consent.h): the route's subject function says which
 * patient and which document classes the request is about, and Mitz is
 * asked the closed question for each data category; only when every
 * answer is Permit is a grant made.  Any other answer, or none, or a
 * subject that cannot be found, makes the door call the route's refusal
 * instead: it writes an empty answer with the error into a text buffer
 * and has no way to reach a document.
 */
#ifndef XDS_PEP_H
#define XDS_PEP_H

#include <stddef.h>

#include "actor.h"
#include "buf.h"
#include "mtom.h"

struct conf;
struct pep;
struct pep_grant;
struct xact;

/* What a transaction behind the door answers: the body element's XML
 * and the files of its MTOM parts (as struct soap_reply). */
struct pep_answer {
	struct buf		 body;
	struct mtom_attachment	*att;
	size_t			 natt;
};

/*
 * A transaction behind the door: XDS_OK with ans->body filled (business
 * errors inside it), or a status with x->reason set for a SOAP fault.
 */
typedef int (*pep_txn_fn)(void *actor, const struct pep_grant *g,
    struct xact *x, const struct soap_request *req, struct pep_answer *ans);

/* What a request is about, for the consent question. */
#define PEP_MAX_CLASSES	16
struct pep_subject {
	char	patient[600];		/* canonical CX */
	char	classes[PEP_MAX_CLASSES][64];	/* classCodes of the
					   documents asked; none: any */
	size_t	nclasses;
	char	why[256];		/* when it cannot be found */
};

/*
 * The subject of a request: XDS_OK with s->patient set, or a status with
 * s->why (then nothing is released).  Called before the decision, so it
 * may only read (the request, this community's registry).
 */
typedef int (*pep_subject_fn)(void *actor, const struct soap_request *req,
    struct pep_subject *s);
/*
 * The answer to a request refused for want of consent: the transaction's
 * empty response with one error saying why, into body; recorded on x.
 * XDS_OK or a status (a fault then).
 */
typedef int (*pep_refuse_fn)(void *actor, struct xact *x,
    const struct soap_request *req, const char *why, struct buf *body);

/* As struct soap_route, with a transaction behind the door. */
struct pep_route {
	const char	*action;
	const char	*response_action;
	const char	*txn;
	const char	*body_ns;
	const char	*body_name;
	unsigned	 packs;
	pep_txn_fn	 fn;
	pep_subject_fn	 subject;
	pep_refuse_fn	 refuse;
};

/*
 * The door for the routes (copied; at most PEP_MAX_ROUTES) at path,
 * calling them with actor.  Its rule comes from cf (gateway.allow), its
 * consent from cf's consent.* options.
 */
#define PEP_MAX_ROUTES	8
int	pep_open(const struct conf *cf, const char *path,
	    const struct pep_route *routes, size_t nroutes, void *actor,
	    struct pep **out, char *err, size_t errlen);
void	pep_close(struct pep *);	/* NULL is a no-op */
const struct soap_endpoint *pep_endpoint(struct pep *);
/* The peer a grant was given to, and why ("gateway.allow: anonymous"). */
const char *pep_grant_peer(const struct pep_grant *);
const char *pep_grant_basis(const struct pep_grant *);
/* The door's consent service (for counters and, later, notifications). */
struct consent *pep_consent(struct pep *);

#endif
