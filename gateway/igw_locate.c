/*
 * igw_locate.c: the initiating gateway's open question to Mitz (ITI-56
 * PatientLocationQuery, consent.location_url): which communities hold
 * data of a patient that this community's consumers may see.  The
 * messages are mitz_loc.c's; this file asks, through the one SOAP client,
 * with the node's TLS identity and consent.timeout, and counts.
 *
 * The SAML assertion Mitz wants in wsse:Security (XUA) is not sent yet:
 * the request goes as soap_peer sends every request.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "consent.h"
#include "gw_int.h"
#include "log.h"
#include "mitz_loc.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

#define IGW_LOC_MAX_ANSWER	(1024 * 1024)

static const char *const result_name[IGW_LOC_NRESULTS] = {
	"located", "none", "no answer" };

int
igw_locate_open(struct gateway *g, char *err, size_t errlen)
{
	const struct conf *cf = g->cf;
	char e[CONF_STR_MAX + 64];
	int rc;

	if (strcmp(cf->consent_mode, "mitz") != 0 ||
	    cf->consent_location_url[0] == '\0')
		return XDS_OK;
	if ((rc = consent_mitz_peer(cf, cf->consent_location_url,
	    IGW_LOC_MAX_ANSWER, &g->mitz_loc, e, sizeof e)) != XDS_OK) {
		str_fmt(err, errlen, "consent.location_url %s", e);
		return rc;
	}
	log_info("gateway: the initiating gateway asks Mitz's open question "
	    "at %s before a patient's ITI-38", cf->consent_location_url);
	return XDS_OK;
}

int
igw_locate(struct gateway *g, const char *bsn, struct mitz_loc *out,
    char *why, size_t whylen)
{
	struct soap_call call;
	xmlDoc *doc = NULL;
	char e[256];
	int rc;

	out->n = 0;
	if ((rc = mitz_loc_build(bsn, &doc, why, whylen)) != XDS_OK)
		return rc;
	soap_call_init(&call, ACT_ITI56, PACK_SIMPLE);
	call.req.body = xmlDocGetRootElement(doc);
	/* the assertion (XUA) goes into call.req here once soap_peer takes
	 * a wsse:Security header */
	rc = soap_peer_call(g->mitz_loc, &call);
	if (rc != XDS_OK) {
		str_fmt(why, whylen, "Mitz did not answer: %s",
		    xds_strstatus(rc));
		log_warnx("gateway: ITI-56 to Mitz: no answer: %s",
		    call.ans.err);
	} else if (call.ans.fault) {
		str_fmt(why, whylen, "Mitz answered a fault");
		log_warnx("gateway: ITI-56 to Mitz: a fault (HTTP %d): %s",
		    call.ans.http_status, call.ans.fault_reason);
		rc = XDS_EANSWER;
	} else if ((rc = mitz_loc_read(xmlDocGetRootElement(call.ans.doc),
	    call.ans.message_id, out, e, sizeof e)) != XDS_OK) {
		str_fmt(why, whylen, "Mitz's answer is not a location: %s", e);
		log_warnx("gateway: ITI-56 to Mitz: %s", why);
		rc = XDS_EANSWER;
	}
	pthread_mutex_lock(&g->loc_mu);
	g->loc_counts[rc != XDS_OK ? IGW_LOC_NO_ANSWER : out->n > 0 ?
	    IGW_LOC_LOCATED : IGW_LOC_NONE]++;
	pthread_mutex_unlock(&g->loc_mu);
	soap_call_free(&call);
	xmlFreeDoc(doc);
	return rc;
}

int
igw_locate_metrics(struct gateway *g, struct buf *out)
{
	int rc, i;

	if (g->mitz_loc == NULL)
		return XDS_OK;
	rc = buf_adds(out, "# HELP xds_mitz_locations_total Open questions "
	    "(ITI-56) the initiating gateway asked Mitz, by result.\n"
	    "# TYPE xds_mitz_locations_total counter\n");
	pthread_mutex_lock(&g->loc_mu);
	for (i = 0; i < IGW_LOC_NRESULTS && rc == XDS_OK; i++)
		rc = buf_addf(out, "xds_mitz_locations_total{result=\"%s\"} "
		    "%llu\n", result_name[i], g->loc_counts[i]);
	pthread_mutex_unlock(&g->loc_mu);
	return rc;
}
