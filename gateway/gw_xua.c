/*
 * gw_xua.c: X-User Assertions at the initiating gateway (gw_int.h): who
 * asks, from the local consumer's request or the configuration, and a
 * freshly signed assertion in the WS-Security header of every attempt
 * to a responding gateway (the soap_call header hook).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "gw_int.h"
#include "log.h"
#include "pki.h"
#include "status.h"
#include "str.h"
#include "url.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"
#include "xua.h"
#include "xua_conf.h"
#include "xua_dsig.h"

#define GW_XUA_MAX_CONSUMERS	32

int
gw_xua_open(struct gateway *g, char *err, size_t errlen)
{
	const struct conf *cf = g->cf;
	int rc;

	if (cf->http_cert[0] == '\0' || cf->http_key[0] == '\0') {
		log_info("gateway: no http.cert and http.key: requests to "
		    "other communities carry no X-User Assertion");
		return XDS_OK;
	}
	if ((rc = xua_signer_open(cf->http_key, cf->http_cert, &g->signer,
	    err, errlen)) != XDS_OK)
		return rc;
	if (cf->consent_ura[0] == '\0')
		log_warnx("gateway: consent.ura is empty: the assertions to "
		    "other communities have no URA, so no request is sent");
	else if (cf->xua_subject_id[0] == '\0' || cf->xua_role[0] == '\0')
		log_warnx("gateway: %s is empty: only requests whose consumer "
		    "names the user in its own assertion are sent to other "
		    "communities", cf->xua_subject_id[0] == '\0' ?
		    "xua.subject_id" : "xua.role");
	return xua_conf_trust(cf, g->home, &g->consumers, err, errlen);
}

void
gw_xua_close(struct gateway *g)
{
	xua_signer_close(g->signer);
	xua_trust_close(g->consumers);
	g->signer = NULL;
	g->consumers = NULL;
}

/* A consumer whose assertions are taken as they are: on loopback, or
 * its certificate subject in xua.trusted_consumers. */
static int
trusted_consumer(const struct conf *cf, const struct xact *x)
{
	const char *next = cf->xua_trusted_consumers, *s;
	size_t n;

	if (strcmp(x->peer_addr, "local") == 0 ||
	    url_host_loopback(x->peer_addr))
		return 1;
	while (next != NULL && *next != '\0') {
		s = str_item(&next, ';', &n);
		if (n > 0 && strlen(x->peer) == n &&
		    memcmp(x->peer, s, n) == 0)
			return 1;
	}
	return 0;
}

/* s over d when s is set. */
static void
take(char *d, const char *s, size_t dsz)
{
	if (s[0] != '\0')
		str_lcpy(d, s, dsz);
}

int
gw_user_from(const struct gateway *g, struct xact *x,
    const struct soap_request *req, struct gw_user *u)
{
	const struct conf *cf = g->cf;
	struct pki_crls *crls;
	struct xua_claims c;
	enum xua_fail why;
	xmlNode *a = NULL, *n;
	char err[256];
	int rc;

	memset(u, 0, sizeof *u);
	str_lcpy(u->c.provider_id, cf->xua_subject_id,
	    sizeof u->c.provider_id);
	str_lcpy(u->c.subject, cf->xua_subject_id, sizeof u->c.subject);
	str_lcpy(u->c.role, cf->xua_role, sizeof u->c.role);
	str_lcpy(u->c.purpose, cf->xua_purpose, sizeof u->c.purpose);
	str_lcpy(u->c.ura, cf->consent_ura, sizeof u->c.ura);
	str_lcpy(u->c.org_type, cf->consent_org_type, sizeof u->c.org_type);
	if (req->security != NULL)
		for (n = xml_first_elem(req->security); n != NULL;
		    n = xml_next_elem(n))
			if (xml_is(n, NS_SAML, "Assertion"))
				a = n;
	if (a != NULL && trusted_consumer(cf, x))
		rc = xua_read(a, &c, err, sizeof err);
	else if (a != NULL && g->consumers != NULL) {
		crls = pki_crls_current();
		rc = xua_verify(g->consumers, crls, req->security,
		    (time_t)clock_wall(), &c, &why, err, sizeof err);
		pki_crls_free(crls);
	}
	else if (a != NULL) {
		str_fmt(err, sizeof err, "this node signs no assertions "
		    "(no http.cert), so it takes none from a consumer that "
		    "is not trusted");
		rc = XDS_EAUTH;
	} else
		rc = XDS_OK;
	if (rc != XDS_OK) {
		str_fmt(x->reason, sizeof x->reason, "the consumer's X-User "
		    "Assertion is refused: %s", err);
		return rc == XDS_EFORMAT ? XDS_ESECURITY : rc;
	}
	if (a != NULL) {
		/* the person and purpose are the consumer's; the
		 * organisation is this node's, which its certificate says */
		take(u->c.provider_id, c.provider_id, sizeof u->c.provider_id);
		take(u->c.subject, c.subject[0] != '\0' ? c.subject :
		    c.provider_id, sizeof u->c.subject);
		take(u->c.mandated, c.mandated, sizeof u->c.mandated);
		take(u->c.role, c.role, sizeof u->c.role);
		take(u->c.purpose, c.purpose, sizeof u->c.purpose);
		take(u->c.subject_id, c.subject_id, sizeof u->c.subject_id);
		take(u->c.event_code, c.event_code, sizeof u->c.event_code);
		take(u->c.resource_id, c.resource_id,
		    sizeof u->c.resource_id);
	}
	if (u->c.provider_id[0] != '\0')
		str_fmt(x->user, sizeof x->user, "UZI %s, role %s, URA %s, %s",
		    u->c.provider_id, u->c.role, u->c.ura, u->c.purpose);
	return XDS_OK;
}

int
gw_xua_header(void *arg, struct buf *out, char *err, size_t errlen)
{
	const struct gw_job *j = arg;

	return gw_xua_write(j->g, j->user, j->hcid, j->alg, out, err, errlen);
}

int
gw_xua_write(const struct gateway *g, const struct gw_user *user,
    const char *audience, enum xua_alg alg, struct buf *out, char *err,
    size_t errlen)
{
	struct xua_claims c = user->c;
	unsigned char r[16];
	char hex[33];
	struct buf u, s;
	long long now = clock_wall();
	int rc;

	if (c.provider_id[0] == '\0' || c.role[0] == '\0' ||
	    c.ura[0] == '\0') {
		str_fmt(err, errlen, "no %s for the X-User Assertion (from "
		    "the consumer's request or xua.subject_id, xua.role, "
		    "consent.ura)", c.provider_id[0] == '\0' ? "UZI number" :
		    c.role[0] == '\0' ? "role" : "URA");
		return XDS_EINVAL;
	}
	if (getentropy(r, sizeof r) != 0) {
		str_fmt(err, errlen, "no random bytes for an assertion ID");
		return XDS_EINTERNAL;
	}
	str_hex(r, sizeof r, hex);
	str_fmt(c.id, sizeof c.id, "_%s", hex);
	str_lcpy(c.issuer, g->home, sizeof c.issuer);
	if (c.subject[0] == '\0')
		str_lcpy(c.subject, c.provider_id, sizeof c.subject);
	str_lcpy(c.audience, audience, sizeof c.audience);
	str_lcpy(c.home_community_id, g->home, sizeof c.home_community_id);
	c.issued = c.not_before = (time_t)now;
	c.not_on_or_after = (time_t)(now + g->cf->xua_validity);
	buf_init(&u, 1 << 16);
	buf_init(&s, 1 << 17);
	if ((rc = xua_build(&c, &u, err, errlen)) == XDS_OK &&
	    (rc = xua_sign(g->signer, alg, u.b_data, u.b_len, &s, err,
	    errlen)) == XDS_OK &&
	    ((rc = buf_adds(out, "<wsse:Security xmlns:wsse=\"" NS_WSSE "\" "
	    "soap:mustUnderstand=\"true\">")) != XDS_OK ||
	    (rc = buf_add(out, s.b_data, s.b_len)) != XDS_OK ||
	    (rc = buf_adds(out, "</wsse:Security>")) != XDS_OK))
		str_fmt(err, errlen, "the assertion does not fit the header");
	buf_free(&u);
	buf_free(&s);
	return rc;
}
