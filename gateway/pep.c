/*
 * pep.c: the policy enforcement point of the responding gateway
 * (pep.h): the door every route of /xca/responding goes through.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pep.h"
#include "status.h"
#include "str.h"
#include "xact.h"

#define PEP_MAX_ALLOW	64

struct pep {
	struct soap_endpoint	 ep;
	struct soap_route	 routes[PEP_MAX_ROUTES];
	struct pep_route	 txns[PEP_MAX_ROUTES];
	size_t			 nroutes;
	void			*actor;
	char			*allow[PEP_MAX_ALLOW];	/* gateway.allow */
	size_t			 nallow;
};

/* A Permit: made only here, for one request, living on the door's
 * stack while the transaction runs. */
struct pep_grant {
	const struct pep	*pep;
	const struct xact	*x;
	char			 basis[CONF_STR_MAX + 16];
};

const char *
pep_grant_peer(const struct pep_grant *g)
{
	return g->x->peer;
}

const char *
pep_grant_basis(const struct pep_grant *g)
{
	return g->basis;
}

/* The static rule: the peer (certificate subject, or anonymous) is in
 * gateway.allow, or gateway.allow holds "*". */
static int
decide(const struct pep *p, const struct xact *x, struct pep_grant *g)
{
	size_t i;

	memset(g, 0, sizeof *g);
	g->pep = p;
	g->x = x;
	for (i = 0; i < p->nallow; i++)
		if (strcmp(p->allow[i], "*") == 0 ||
		    strcmp(p->allow[i], x->peer) == 0) {
			str_fmt(g->basis, sizeof g->basis, "gateway.allow: %s",
			    p->allow[i]);
			return XDS_OK;
		}
	return XDS_EDENIED;
}

/* Move what the transaction answered into the reply.  The one place an
 * answer leaves the gateway. */
static void
release(const struct pep_grant *g, struct pep_answer *a,
    struct soap_reply *reply)
{
	(void)g;
	buf_free(&reply->body);
	reply->body = a->body;
	reply->att = a->att;
	reply->natt = a->natt;
	memset(a, 0, sizeof *a);
}

static int
pep_door(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct pep *p = actor;
	const struct pep_route *r = NULL;
	struct pep_grant g;
	struct pep_answer a;
	size_t i;
	int rc;

	for (i = 0; i < p->nroutes; i++)
		if (strcmp(p->txns[i].action, x->action) == 0)
			r = &p->txns[i];
	if (r == NULL) {
		str_fmt(x->reason, sizeof x->reason, "no transaction for %s",
		    x->action);
		return XDS_EINTERNAL;
	}
	if (decide(p, x, &g) != XDS_OK) {
		log_info("gateway: %s refused to %s: not in gateway.allow",
		    r->txn, x->peer);
		str_fmt(x->reason, sizeof x->reason, "%s: this peer may not "
		    "ask this community (not in gateway.allow)", r->txn);
		return XDS_EDENIED;
	}
	memset(&a, 0, sizeof a);
	buf_init(&a.body, reply->body.b_max);
	if ((rc = r->fn(p->actor, &g, x, req, &a)) == XDS_OK)
		release(&g, &a, reply);
	else {
		for (i = 0; i < a.natt; i++)
			if (a.att[i].unlink_after && a.att[i].path[0] != '\0')
				(void)unlink(a.att[i].path);
		free(a.att);
	}
	buf_free(&a.body);
	return rc;
}

/* gateway.allow -> p->allow: entries between ';', trimmed (the option's
 * check refused empty ones). */
static int
read_allow(struct pep *p, const char *v, char *err, size_t errlen)
{
	const char *s = v, *end;
	size_t n;

	while (*s != '\0') {
		end = strchr(s, ';');
		n = end != NULL ? (size_t)(end - s) : strlen(s);
		while (n > 0 && *s == ' ') {
			s++;
			n--;
		}
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (p->nallow == PEP_MAX_ALLOW) {
			str_fmt(err, errlen, "gateway.allow: more than %d "
			    "entries", PEP_MAX_ALLOW);
			return XDS_EINVAL;
		}
		if ((p->allow[p->nallow++] = str_ndup(s, n)) == NULL) {
			str_fmt(err, errlen, "out of memory");
			return XDS_ENOMEM;
		}
		if (end == NULL)
			break;
		s = end + 1;
	}
	return XDS_OK;
}

int
pep_open(const struct conf *cf, const char *path,
    const struct pep_route *routes, size_t nroutes, void *actor,
    struct pep **out, char *err, size_t errlen)
{
	struct pep *p;
	size_t i;
	int rc;

	*out = NULL;
	if (nroutes > PEP_MAX_ROUTES) {
		str_fmt(err, errlen, "more than %d routes", PEP_MAX_ROUTES);
		return XDS_EINVAL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if ((rc = read_allow(p, cf->gateway_allow, err, errlen)) != XDS_OK) {
		pep_close(p);
		return rc;
	}
	for (i = 0; i < nroutes; i++) {
		p->txns[i] = routes[i];
		p->routes[i] = (struct soap_route){ routes[i].action,
		    routes[i].response_action, routes[i].txn,
		    routes[i].body_ns, routes[i].body_name, routes[i].packs,
		    pep_door };
	}
	p->nroutes = nroutes;
	p->actor = actor;
	p->ep.path = path;
	p->ep.routes = p->routes;
	p->ep.nroutes = nroutes;
	p->ep.actor = p;
	if (p->nallow == 0)
		log_info("gateway: gateway.allow is empty: %s refuses every "
		    "peer", path);
	*out = p;
	return XDS_OK;
}

void
pep_close(struct pep *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nallow; i++)
		free(p->allow[i]);
	free(p);
}

const struct soap_endpoint *
pep_endpoint(struct pep *p)
{
	return &p->ep;
}
