/*
 * pep.c: the policy enforcement point of the responding gateway
 * (pep.h): the door every route of /xca/responding goes through.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "consent.h"
#include "hl7dt.h"
#include "log.h"
#include "pep.h"
#include "pki.h"
#include "status.h"
#include "str.h"
#include "uzi.h"
#include "vocab.h"
#include "xact.h"
#include "xua.h"
#include "xua_conf.h"
#include "xua_dsig.h"

#define PEP_MAX_ALLOW		64
#define PEP_MAX_CATEGORIES	16
/* decide: not a failure, a refusal for want of consent (why says so) */
#define PEP_NO_CONSENT		1

struct pep {
	struct soap_endpoint	 ep;
	struct soap_route	 routes[PEP_MAX_ROUTES];
	struct pep_route	 txns[PEP_MAX_ROUTES];
	size_t			 nroutes;
	void			*actor;
	char			*allow[PEP_MAX_ALLOW];	/* gateway.allow */
	size_t			 nallow;
	struct consent		*consent;
	struct xua_trust	*xua;		/* xua.mode required, else
						   NULL */
};

/* A Permit: made only here, for one request, living on the door's
 * stack while the transaction runs. */
struct pep_grant {
	const struct pep	*pep;
	const struct xact	*x;
	char			 basis[CONF_STR_MAX + 64];
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
 * gateway.allow, or gateway.allow holds "*".  The entry that let it in
 * or NULL. */
static const char *
allowed(const struct pep *p, const struct xact *x)
{
	size_t i;

	for (i = 0; i < p->nallow; i++)
		if (strcmp(p->allow[i], "*") == 0 ||
		    strcmp(p->allow[i], x->peer) == 0)
			return p->allow[i];
	return NULL;
}

/* The BSN of a canonical CX (id^^^&2.16.840.1.113883.2.4.6.3&ISO) into
 * bsn[10]; -1 when it is not one. */
static int
cx_bsn(const char *cx, char *bsn)
{
	const char *hat = strchr(cx, '^');
	size_t n = hat != NULL ? (size_t)(hat - cx) : 0;

	if (n != 9 || strncmp(hat, "^^^&" OID_BSN "&", 5 + strlen(OID_BSN)) !=
	    0 || hl7_bsn_valid(cx, n) != 0)
		return -1;
	memcpy(bsn, cx, n);
	bsn[n] = '\0';
	return 0;
}

/*
 * Consent: the closed question for each data category of what r's
 * request is about.  XDS_OK when every answer is Permit; PEP_NO_CONSENT
 * with why otherwise.  x->consent says what Mitz answered (the first
 * answer that was not Permit), or that it was not asked.
 */
/*
 * Who asks, for Mitz: the verified assertion's claims when there are
 * (the organisation type, which Twiin's assertion may lack, from the
 * peer's consent.requesters line then; the purpose of use, which must be
 * TREAT or COC), else the peer's line.  -1 when neither says.
 */
static int
requester(struct pep *p, const struct xact *x, const struct xua_claims *c,
    struct mitz_requester *who)
{
	struct mitz_requester line;
	int have_line;

	have_line = consent_requester(p->consent, x->peer, &line) == XDS_OK;
	if (c == NULL) {
		if (have_line)
			*who = line;
		return have_line ? 0 : -1;
	}
	memset(who, 0, sizeof *who);
	if (str_lcpy(who->ura, c->ura, sizeof who->ura) >= sizeof who->ura ||
	    str_lcpy(who->role, c->role, sizeof who->role) >=
	    sizeof who->role ||
	    str_lcpy(who->professional, c->provider_id,
	    sizeof who->professional) >= sizeof who->professional ||
	    str_lcpy(who->mandated, c->mandated, sizeof who->mandated) >=
	    sizeof who->mandated)
		return -1;
	/* the purpose of use the assertion states, as far as Mitz knows
	 * it (TREAT: explicit consent, COC: assumed) */
	if (strcmp(c->purpose, "TREAT") != 0 && strcmp(c->purpose, "COC") != 0)
		return -1;
	str_lcpy(who->purpose, c->purpose, sizeof who->purpose);
	if (c->org_type[0] != '\0')
		str_lcpy(who->org_type, c->org_type, sizeof who->org_type);
	else if (have_line)
		str_lcpy(who->org_type, line.org_type, sizeof who->org_type);
	else
		return -1;
	who->source = "xua";
	return 0;
}

static int
ask_consent(struct pep *p, const struct pep_route *r, struct xact *x,
    const struct soap_request *req, const struct xua_claims *c, char *why,
    size_t whylen)
{
	struct pep_subject s;
	struct mitz_requester who;
	const char *cats[PEP_MAX_CATEGORIES], *cat;
	enum mitz_decision d = MITZ_PERMIT;
	char bsn[10], said[256];
	size_t ncats = 0, i, j;

	if (consent_allow_all(p->consent)) {
		str_lcpy(x->consent, "allow-all", sizeof x->consent);
		return XDS_OK;
	}
	str_lcpy(x->consent, "not asked", sizeof x->consent);
	memset(&s, 0, sizeof s);
	if (r->subject(p->actor, req, &s) != XDS_OK) {
		str_fmt(why, whylen, "no consent: %s", s.why[0] != '\0' ?
		    s.why : "the patient is not known");
		return PEP_NO_CONSENT;
	}
	xact_set_patient(x, s.patient);
	if (cx_bsn(s.patient, bsn) != 0) {
		str_fmt(why, whylen, "no consent: the patient is not "
		    "identified by a BSN, so Mitz cannot be asked");
		return PEP_NO_CONSENT;
	}
	if (requester(p, x, c, &who) != 0) {
		str_fmt(why, whylen, "no consent: this requester is not known "
		    "to this gateway (%s), so Mitz cannot be asked", c != NULL ?
		    "a purpose of use other than TREAT or COC, or no "
		    "organisation type in the assertion nor in "
		    "consent.requesters" : "consent.requesters");
		return PEP_NO_CONSENT;
	}
	if (s.nclasses == 0)
		ncats = consent_categories(p->consent, cats,
		    PEP_MAX_CATEGORIES);
	for (i = 0; i < s.nclasses; i++) {
		cat = consent_category(p->consent, s.classes[i]);
		for (j = 0; j < ncats && strcmp(cats[j], cat) != 0; j++)
			;
		if (j == ncats && ncats < PEP_MAX_CATEGORIES)
			cats[ncats++] = cat;
	}
	for (i = 0; i < ncats && d == MITZ_PERMIT; i++)
		d = consent_ask(p->consent, bsn, &who, cats[i], said,
		    sizeof said);
	str_lcpy(x->consent, i == 0 ? "not asked" : mitz_decision_name(d),
	    sizeof x->consent);
	if (i > 0 && d == MITZ_PERMIT)
		return XDS_OK;
	if (i == 0)
		str_lcpy(said, "no data category", sizeof said);
	str_fmt(why, whylen, "no consent of the patient for this requester "
	    "(%s%s%s): nothing is released", said, i > 0 ? ", " : "",
	    i > 0 ? cats[i - 1] : "");
	return PEP_NO_CONSENT;
}

/*
 * The decision: XDS_OK with g made (the one place a grant is made),
 * XDS_EDENIED (the static rule), PEP_NO_CONSENT with why.
 */
static int
decide(struct pep *p, const struct pep_route *r, struct xact *x,
    const struct soap_request *req, const struct xua_claims *c,
    struct pep_grant *g, char *why, size_t whylen)
{
	const char *entry;
	int rc;

	memset(g, 0, sizeof *g);
	if ((entry = allowed(p, x)) == NULL)
		return XDS_EDENIED;
	if ((rc = ask_consent(p, r, x, req, c, why, whylen)) != XDS_OK)
		return rc;
	g->pep = p;
	g->x = x;
	str_fmt(g->basis, sizeof g->basis, "gateway.allow: %s; consent: %s",
	    entry, x->consent);
	return XDS_OK;
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

/*
 * The X-User Assertion of req (xua.mode required): verified (xua_dsig.h),
 * and its URA the one of the peer's UZI server certificate.  XDS_OK with
 * c filled and x->user set, or XDS_ESECURITY / XDS_EAUTH with x->reason
 * naming the check that failed.
 */
static int
check_xua(struct pep *p, const struct pep_route *r, struct xact *x,
    const struct soap_request *req, struct xua_claims *c)
{
	struct uzi_id u;
	struct pki_crls *crls = pki_crls_current();
	enum xua_fail why;
	char err[256];
	int rc;

	rc = xua_verify(p->xua, crls, req->security, (time_t)clock_wall(), c,
	    &why, err, sizeof err);
	pki_crls_free(crls);
	if (rc != XDS_OK) {
		str_fmt(x->reason, sizeof x->reason, "X-User Assertion "
		    "refused (%s): %s", xua_fail_name(why), err);
		goto refused;
	}
	rc = XDS_EAUTH;
	if (uzi_parse(x->peer_uzi, strlen(x->peer_uzi), &u, err,
	    sizeof err) != XDS_OK || u.card != 'S') {
		str_fmt(x->reason, sizeof x->reason, "X-User Assertion "
		    "refused (URA): the peer's TLS certificate carries no UZI "
		    "server identity (otherName %s, card type S)",
		    OID_UZI_OTHERNAME);
		goto refused;
	}
	if (strcmp(u.ura, c->ura) != 0) {
		str_fmt(x->reason, sizeof x->reason, "X-User Assertion "
		    "refused (URA): the assertion's URA %.16s is not the TLS "
		    "certificate's %s", c->ura, u.ura);
		goto refused;
	}
	str_fmt(x->user, sizeof x->user, "UZI %s, role %s, URA %s",
	    c->provider_id, c->role, c->ura);
	return XDS_OK;
refused:
	log_info("gateway: %s from %s: %s", r->txn, x->peer, x->reason);
	return rc;
}

static int
pep_door(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct pep *p = actor;
	const struct pep_route *r = NULL;
	struct pep_grant g;
	struct pep_answer a;
	struct xua_claims c;
	char why[512];
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
	if (p->xua != NULL && (rc = check_xua(p, r, x, req, &c)) != XDS_OK)
		return rc;
	if ((rc = decide(p, r, x, req, p->xua != NULL ? &c : NULL, &g, why,
	    sizeof why)) == XDS_EDENIED) {
		log_info("gateway: %s refused to %s: not in gateway.allow",
		    r->txn, x->peer);
		str_fmt(x->reason, sizeof x->reason, "%s: this peer may not "
		    "ask this community (not in gateway.allow)", r->txn);
		return XDS_EDENIED;
	}
	if (rc == PEP_NO_CONSENT) {
		log_info("gateway: %s for %s: %s", r->txn, x->peer, why);
		str_lcpy(x->reason, why, sizeof x->reason);
		return r->refuse(p->actor, x, req, why, &reply->body);
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
	const char *next = v, *s;
	size_t n;

	while (next != NULL && *next != '\0') {
		s = str_item(&next, ';', &n);
		if (p->nallow == PEP_MAX_ALLOW) {
			str_fmt(err, errlen, "gateway.allow: more than %d "
			    "entries", PEP_MAX_ALLOW);
			return XDS_EINVAL;
		}
		if ((p->allow[p->nallow++] = str_ndup(s, n)) == NULL) {
			str_fmt(err, errlen, "out of memory");
			return XDS_ENOMEM;
		}
	}
	return XDS_OK;
}

/* xua.mode: required opens the trust store (xua.trusted_issuers, else
 * http.ca) and the audiences (the home community id, urn:oid:..., its
 * bare OID, xua.audience). */
static int
open_xua(struct pep *p, const struct conf *cf, const char *path, char *err,
    size_t errlen)
{
	if (strcmp(cf->xua_mode, "required") != 0) {
		log_warnx("gateway: xua.mode is off: %s takes requests without "
		    "an X-User Assertion (the loopback demo only)", path);
		return XDS_OK;
	}
	return xua_conf_trust(cf, cf->node_home_community_id, &p->xua, err,
	    errlen);
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
	if ((rc = read_allow(p, cf->gateway_allow, err, errlen)) != XDS_OK ||
	    (rc = consent_open(cf, &p->consent, err, errlen)) != XDS_OK ||
	    (rc = open_xua(p, cf, path, err, errlen)) != XDS_OK) {
		pep_close(p);
		return rc;
	}
	for (i = 0; i < nroutes; i++) {
		if (routes[i].subject == NULL || routes[i].refuse == NULL) {
			str_fmt(err, errlen, "%s: a route without subject or "
			    "refusal", routes[i].txn);
			pep_close(p);
			return XDS_EINTERNAL;
		}
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
	p->ep.wsse_security = 1;
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
	consent_close(p->consent);
	xua_trust_close(p->xua);
	free(p);
}

const struct soap_endpoint *
pep_endpoint(struct pep *p)
{
	return &p->ep;
}

struct consent *
pep_consent(struct pep *p)
{
	return p->consent;
}
