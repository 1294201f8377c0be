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
 * Today the decision is a static rule (gateway.allow: which peers may
 * ask).  Consent (Mitz) and SAML assertions (XUA) are decided at the same
 * place, with what the grant records of the request.
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

/* As struct soap_route, with a transaction behind the door. */
struct pep_route {
	const char	*action;
	const char	*response_action;
	const char	*txn;
	const char	*body_ns;
	const char	*body_name;
	unsigned	 packs;
	pep_txn_fn	 fn;
};

/*
 * The door for the routes (copied; at most PEP_MAX_ROUTES) at path,
 * calling them with actor.  Its rule comes from cf (gateway.allow).
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

#endif
