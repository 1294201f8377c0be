/*
 * igw_locate.c: the initiating gateway's open question to Mitz (ITI-56
 * PatientLocationQuery, consent.location_url): which communities hold
 * data of a patient that this community's consumers may see.  The
 * messages are mitz_loc.c's; this file asks, through the one SOAP client,
 * with the node's TLS identity and consent.timeout, and counts.
 *
 * With consent.location_cache_ttl, answers (an empty one too, never a
 * failure) are kept per BSN and requester (the assertion's UZI number,
 * role, URA, organisation type and purpose: Mitz answers per requester
 * category) for that many seconds, at most IGW_LOC_CACHE_MAX of them,
 * the least recently used going first; a look-up scans them under the
 * gateway's loc_mu.
 *
 * Mitz wants the requester's SAML assertion in wsse:Security: each
 * attempt gets a freshly signed one of the consumer's user (gw_xua.c),
 * audience MITZ_AUDIENCE, when the node signs (http.cert) and knows the
 * user; else the request goes without, and Mitz decides what that means.
 *
 * Each question asked (not one answered from the cache) leaves an access
 * record of the initiating side (ITI-56, "direction":"out", Mitz's URL as
 * the peer, the consumer's patient and user), written before the
 * consumer's answer can leave; the ATNA sender makes the requester's
 * audit message of it (Query, ITI-56, the patient and the request:
 * lib/audit/atna.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
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
#define IGW_LOC_CACHE_MAX	1024
#define IGW_LOC_KEY_MAX		256

struct igw_loc_ent {
	char		 key[IGW_LOC_KEY_MAX];	/* BSN|requester; "": free */
	long long	 expires;		/* clock_mono */
	unsigned long long used;		/* g->loc_tick when last used */
	size_t		 n;
	char		(*hcid)[DIR_HCID_MAX];
};

static const char *const result_name[IGW_LOC_NRESULTS] = {
	"located", "none", "no answer", "cached" };

/* A kept answer for key into out: 1, or 0 when there is none. */
static int
cache_get(struct gateway *g, const char *key, struct mitz_loc *out)
{
	struct igw_loc_ent *e;
	size_t i;
	int hit = 0;

	pthread_mutex_lock(&g->loc_mu);
	for (i = 0; i < IGW_LOC_CACHE_MAX; i++) {
		e = &g->loc_cache[i];
		if (strcmp(e->key, key) != 0)
			continue;
		if (clock_mono() < e->expires) {
			out->n = e->n;
			memcpy(out->hcid, e->hcid, e->n * sizeof e->hcid[0]);
			e->used = ++g->loc_tick;
			g->loc_counts[IGW_LOC_CACHED]++;
			hit = 1;
		}
		break;
	}
	pthread_mutex_unlock(&g->loc_mu);
	return hit;
}

/* Keep the answer l for key: in key's entry, a free or expired one, or
 * the least recently used.  Out of memory: not kept. */
static void
cache_put(struct gateway *g, const char *key, const struct mitz_loc *l)
{
	struct igw_loc_ent *e, *victim = NULL;
	void *v = NULL;
	size_t i;

	if (l->n > 0 && (v = malloc(l->n * sizeof l->hcid[0])) == NULL)
		return;
	if (v != NULL)
		memcpy(v, l->hcid, l->n * sizeof l->hcid[0]);
	pthread_mutex_lock(&g->loc_mu);
	for (i = 0; i < IGW_LOC_CACHE_MAX; i++) {
		e = &g->loc_cache[i];
		if (strcmp(e->key, key) == 0 || e->key[0] == '\0' ||
		    clock_mono() >= e->expires) {
			victim = e;
			if (strcmp(e->key, key) == 0)
				break;
		} else if (victim == NULL || (victim->key[0] != '\0' &&
		    clock_mono() < victim->expires && e->used < victim->used))
			victim = e;
	}
	free(victim->hcid);
	str_lcpy(victim->key, key, sizeof victim->key);
	victim->expires = clock_mono() + g->cf->consent_location_cache_ttl;
	victim->used = ++g->loc_tick;
	victim->n = l->n;
	victim->hcid = v;
	pthread_mutex_unlock(&g->loc_mu);
}

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
	if (cf->consent_location_cache_ttl > 0 && (g->loc_cache = calloc(
	    IGW_LOC_CACHE_MAX, sizeof *g->loc_cache)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	log_info("gateway: the initiating gateway asks Mitz's open question "
	    "at %s before a patient's ITI-38 (cache %lld s)",
	    cf->consent_location_url, cf->consent_location_cache_ttl);
	return XDS_OK;
}

void
igw_locate_close(struct gateway *g)
{
	size_t i;

	if (g->loc_cache != NULL)
		for (i = 0; i < IGW_LOC_CACHE_MAX; i++)
			free(g->loc_cache[i].hcid);
	free(g->loc_cache);
	g->loc_cache = NULL;
	soap_peer_free(g->mitz_loc);
	g->mitz_loc = NULL;
}

/* The header hook of the open question: arg is a struct loc_user. */
struct loc_user {
	const struct gateway	*g;
	const struct gw_user	*u;
};

static int
loc_header(void *arg, struct buf *out, char *err, size_t errlen)
{
	const struct loc_user *l = arg;

	return gw_xua_write(l->g, l->u, MITZ_AUDIENCE, XUA_RSA_SHA256, out,
	    err, errlen);
}

int
igw_locate(struct gateway *g, const struct xact *cons,
    const struct gw_user *u, const char *bsn, struct mitz_loc *out,
    int *unrecorded, char *why, size_t whylen)
{
	struct loc_user lu = { g, u };
	struct soap_call call;
	struct xact x;
	xmlDoc *doc = NULL;
	char e[256], key[IGW_LOC_KEY_MAX];
	int rc, wrc;

	out->n = 0;
	*unrecorded = 0;
	if (u != NULL)
		str_fmt(key, sizeof key, "%s|%s|%s|%s|%s|%s", bsn,
		    u->c.provider_id, u->c.role, u->c.ura, u->c.org_type,
		    u->c.purpose);
	else
		str_fmt(key, sizeof key, "%s|", bsn);
	if (g->loc_cache != NULL && cache_get(g, key, out))
		return XDS_OK;
	if ((rc = mitz_loc_build(bsn, &doc, why, whylen)) != XDS_OK)
		return rc;
	soap_call_init(&call, ACT_ITI56, PACK_SIMPLE);
	call.req.body = xmlDocGetRootElement(doc);
	xact_begin_out(&x, g->cf, TXN_ITI56, soap_peer_target(g->mitz_loc));
	str_lcpy(x.action, ACT_ITI56, sizeof x.action);
	str_lcpy(x.org, "Mitz", sizeof x.org);
	xact_set_patient(&x, cons->patient);
	str_lcpy(x.user, cons->user, sizeof x.user);
	if (u != NULL && g->signer != NULL) {
		call.req.header = loc_header;
		call.req.header_arg = &lu;
	}
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
	x.http_status = call.ans.http_status;
	str_lcpy(x.message_id, call.ans.message_id, sizeof x.message_id);
	if (rc != XDS_OK)
		xact_fail(&x, XACT_FAULT, why);
	if ((wrc = xact_end(&x)) != XDS_OK) {
		str_fmt(why, whylen, "the record of the question to Mitz "
		    "could not be written");
		*unrecorded = 1;	/* nothing it answered may be used */
		rc = wrc;
	}
	pthread_mutex_lock(&g->loc_mu);
	g->loc_counts[rc != XDS_OK ? IGW_LOC_NO_ANSWER : out->n > 0 ?
	    IGW_LOC_LOCATED : IGW_LOC_NONE]++;
	pthread_mutex_unlock(&g->loc_mu);
	if (rc == XDS_OK && g->loc_cache != NULL)
		cache_put(g, key, out);
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
