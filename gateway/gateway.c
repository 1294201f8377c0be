/*
 * gateway.c: opening and closing the XCA gateways (gateway.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "ebrim.h"
#include "gw_int.h"
#include "gw_release.h"
#include "log.h"
#include "consent.h"
#include "mitz_fhir.h"
#include "pep.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

int
gateway_open(const struct conf *cf, const struct gateway_links *l,
    struct gateway **out, char *err, size_t errlen)
{
	struct gateway *g;
	int rc;

	*out = NULL;
	if ((g = calloc(1, sizeof *g)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	g->cf = cf;
	g->l = *l;
	pthread_mutex_init(&g->loc_mu, NULL);
	str_lcpy(g->home, cf->node_home_community_id, sizeof g->home);
	/* Documents other communities send are patient data: their parts
	 * are spooled in the node's private spool, never in /tmp. */
	if (str_fmt(g->spool, sizeof g->spool, "%s/spool",
	    cf->node_state_dir) < 0 || (mkdir(g->spool, 0700) != 0 &&
	    errno != EEXIST)) {
		str_fmt(err, errlen, "%s/spool: %s", cf->node_state_dir,
		    strerror(errno));
		gateway_close(g);
		return XDS_EIO;
	}
	/* A node without a registry (a repository or a bridge alone) has
	 * no community to answer for, unless gateway.registry_url names
	 * the community's registry. */
	if (cf->gateway_responding && l->registry == NULL)
		log_info("gateway: no registry in this node and no "
		    "gateway.registry_url: no responding gateway");
	else if (cf->gateway_responding &&
	    (rc = rgw_open(g, err, errlen)) != XDS_OK) {
		gateway_close(g);
		return rc;
	}
	if (cf->gateway_initiating) {
		if ((g->stats = gw_stats_new()) == NULL ||
		    (g->slots = gw_slots_new(cf->gateway_concurrency)) ==
		    NULL || (g->flights = gw_flights_new()) == NULL) {
			str_fmt(err, errlen, "out of memory");
			gateway_close(g);
			return XDS_ENOMEM;
		}
		if ((rc = gw_xua_open(g, err, errlen)) != XDS_OK) {
			gateway_close(g);
			return rc;
		}
		if ((rc = igw_locate_open(g, err, errlen)) != XDS_OK) {
			gateway_close(g);
			return rc;
		}
		igw_init(g);
		g->ig_on = 1;
	}
	log_info("gateway: %s%s%s, community %s", g->rg != NULL ?
	    GATEWAY_RG_PATH : "", g->rg != NULL && g->ig_on ? " " : "",
	    g->ig_on ? GATEWAY_IG_PATH : "", g->home);
	*out = g;
	return XDS_OK;
}

void
gateway_close(struct gateway *g)
{
	if (g == NULL)
		return;
	pep_close(g->rg);
	gw_releases_free(g->releases);
	gw_stats_free(g->stats);
	gw_slots_free(g->slots);
	gw_flights_free(g->flights);
	gw_xua_close(g);
	igw_locate_close(g);
	pthread_mutex_destroy(&g->loc_mu);
	free(g);
}

const struct soap_endpoint *
gateway_rg_endpoint(struct gateway *g)
{
	return g->rg != NULL ? pep_endpoint(g->rg) : NULL;
}

const struct soap_endpoint *
gateway_ig_endpoint(struct gateway *g)
{
	return g->ig_on ? &g->ig_ep : NULL;
}

void
gw_record(struct xact *x, const char *status, const struct rim_errors *errs)
{
	gw_record_from(x, status, errs, 0);
}

void
gw_record_from(struct xact *x, const char *status,
    const struct rim_errors *errs, size_t from)
{
	size_t i;

	for (i = from; i < errs->n; i++)
		if (!errs->v[i].warning)
			xact_add_error(x, errs->v[i].code);
	if (strcmp(status, ST_PARTIAL) == 0)
		x->outcome = XACT_PARTIAL;
	else if (strcmp(status, ST_FAILURE) == 0) {
		if (x->outcome < XACT_FAILURE)
			x->outcome = XACT_FAILURE;
	} else
		x->outcome = XACT_SUCCESS;
}

const char *
gw_job_failure(const struct gw_job *j, const char *ns, const char *name)
{
	if (j->call.ans.status != XDS_OK)
		return j->call.ans.err[0] != '\0' ? j->call.ans.err :
		    xds_strstatus(j->call.ans.status);
	if (j->call.ans.fault)
		return j->call.ans.fault_reason[0] != '\0' ?
		    j->call.ans.fault_reason : "a SOAP fault";
	if (j->call.ans.body == NULL || !xml_is(j->call.ans.body, ns, name))
		return "an answer that is not the transaction's";
	return NULL;
}

int
gw_error(struct rim_errors *errs, const char *code, const char *location,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rim_errors_vadd(errs, 0, code, location, fmt, ap);
	va_end(ap);
	return rc == XDS_ENOMEM ? XDS_ENOMEM : XDS_OK;
}

int
gateway_mitz_notify(void *arg, const char *body, size_t len, struct xact *x,
    char *why, size_t whylen)
{
	struct gateway *g = arg;
	struct consent *c = g->rg != NULL ? pep_consent(g->rg) : NULL;
	struct mitz_notify *n;
	char cx[64], obj[64];
	size_t i;
	int rc;

	if ((n = malloc(sizeof *n)) == NULL) {
		str_fmt(why, whylen, "out of memory");
		return XDS_ENOMEM;
	}
	if ((rc = mitz_notify_parse(body, len, n, why, whylen)) != XDS_OK) {
		log_warnx("mitz: a notification refused: %s", why);
		goto out;
	}
	for (i = 0; c != NULL && i < n->npatient; i++)
		consent_invalidate(c, n->bsn[i]);
	if (str_fmt(cx, sizeof cx, "%s^^^&" OID_BSN "&ISO", n->bsn[0]) >= 0)
		xact_set_patient(x, cx);
	str_fmt(obj, sizeof obj, "%zu Consent, %zu patients", n->nconsent,
	    n->npatient);
	xact_set_object(x, obj);
	log_info("mitz: a notification of %zu consent changes: the kept "
	    "decisions of %zu patients dropped", n->nconsent, n->npatient);
out:
	free(n);
	return rc;
}
