/*
 * igw.c: the XCA Initiating Gateway (/xca/initiating), for this
 * community's consumers (EPD, viewer, PACS, xdsctl):
 *
 *   ITI-18 -> ITI-38 to every community of the directory at once (this
 *	community's registry asked in process, as ITI-18), or to the one
 *	community a query by ids names in AdhocQuery/@home; the answers
 *	merged, each object keeping its community's home
 *   ITI-43 -> ITI-39, RAD-69 -> RAD-75, routed by each DocumentRequest's
 *	HomeCommunityId (this community's to its own actors), split to the
 *	number of DocumentRequests a community accepts, merged
 *
 * What a community answers is checked before it is passed on: an object
 * must carry that community's home and, for a patient query, belong to
 * the patient asked about; a document must be one asked of that
 * community.  Others are dropped, logged and reported as errors located
 * at the community.  A community that does not answer in time is an
 * XDSUnavailableCommunity error, and the answer is a PartialSuccess when
 * another community answered.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "ebrim.h"
#include "gw_int.h"
#include "gw_msg.h"
#include "hl7dt.h"
#include "log.h"
#include "mitz_loc.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

/* ---- ITI-18 -> ITI-38 ---- */

struct plan {
	struct gateway	*g;
	struct gw_job	*jobs;
	size_t		 n, cap;
	xmlNode		*body;
	const struct gw_user *user;	/* who asks */
	const struct xact *x;		/* the consumer's request */
	char		 err[256];
};

static struct gw_job *
plan_add(struct plan *p)
{
	struct gw_job *nv;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		if ((nv = realloc(p->jobs, p->cap * sizeof *nv)) == NULL)
			return NULL;
		p->jobs = nv;
	}
	memset(&p->jobs[p->n], 0, sizeof p->jobs[p->n]);
	return &p->jobs[p->n++];
}

/* A remote community for the query: ITI-38 with the consumer's body. */
static int
plan_remote(void *arg, const struct dir_community *c)
{
	struct plan *p = arg;
	struct gw_job *j;

	if (c->url[0] == '\0')
		return 0;	/* reached by push only: not asked */
	if ((j = plan_add(p)) == NULL)
		return XDS_ENOMEM;
	j->txn = TXN_ITI38;
	j->action = ACT_ITI38;
	j->pack = PACK_SIMPLE;
	j->body = p->body;
	if (gw_job_remote(p->g, j, c, p->err, sizeof p->err) != XDS_OK) {
		log_warnx("gateway: community %s: %s", c->hcid, p->err);
		p->n--;		/* a bad URL: named in the log, left out */
	}
	return 0;
}

/* This community's registry: ITI-18 with a copy of the body (the
 * in-process call reads it in another thread). */
static int
plan_local(struct plan *p)
{
	struct gw_job *j;
	xmlNode *copy;

	if (p->g->l.registry == NULL)
		return XDS_OK;
	if ((j = plan_add(p)) == NULL)
		return XDS_ENOMEM;
	gw_job_local(p->g, j, p->g->l.registry);
	j->txn = TXN_ITI18;
	j->action = ACT_ITI18;
	j->pack = PACK_SIMPLE;
	if ((j->own_doc = xmlNewDoc(BAD_CAST "1.0")) == NULL ||
	    (copy = xmlDocCopyNode(p->body, j->own_doc, 1)) == NULL)
		return XDS_ENOMEM;
	xmlDocSetRootElement(j->own_doc, copy);
	if (xmlReconciliateNs(j->own_doc, copy) < 0)
		return XDS_ENOMEM;
	j->body = copy;
	return XDS_OK;
}

/* The directory did not answer (p->err says why): an error located at
 * this community, whose answer comes all the same. */
static int
directory_down(struct plan *p, struct rim_errors *errs)
{
	log_warnx("gateway: the community directory: %s", p->err);
	if (gw_error(errs, ERR_UNAVAILABLE_COMMUNITY, p->g->home, "the "
	    "community directory did not answer, other communities were not "
	    "asked: %.300s", p->err) != XDS_OK)
		return XDS_ENOMEM;
	p->err[0] = '\0';
	return XDS_OK;
}

/*
 * A patient query with the open question on: this community, and of the
 * others only those Mitz locates the patient's data at (and the
 * directory knows).  No location, Mitz not answering, a patient without
 * a BSN: no other community is asked, and an error located at this
 * community says why (XDSRegistryError: a refusal, not a transport
 * error to retry).
 */
static int
plan_located(struct plan *p, const struct gw_query *q,
    struct rim_errors *errs)
{
	struct gateway *g = p->g;
	struct dir_community c;
	struct mitz_loc *loc = NULL;
	struct hl7_cx cx;
	char why[256];
	size_t i, asked = 0;
	int rc, unrecorded;

	if ((rc = plan_local(p)) != XDS_OK)
		return rc;
	if (hl7_cx_parse(q->patient, strlen(q->patient), &cx, why,
	    sizeof why) != 0 || strcmp(cx.aa_oid, OID_BSN) != 0) {
		return gw_error(errs, ERR_REGISTRY, g->home, "no consent "
		    "could be checked: Mitz's open question needs a BSN as "
		    "the patient id; other communities were not asked");
	}
	if ((loc = malloc(sizeof *loc)) == NULL)
		return XDS_ENOMEM;
	if ((rc = igw_locate(g, p->x, p->user, cx.id, loc, &unrecorded, why,
	    sizeof why)) != XDS_OK && unrecorded) {
		str_lcpy(p->err, why, sizeof p->err);
		goto out;	/* nothing may leave */
	}
	if (rc != XDS_OK) {
		rc = gw_error(errs, ERR_REGISTRY, g->home, "consent could not "
		    "be checked (%s): other communities were not asked", why);
		goto out;
	}
	for (i = 0, rc = XDS_OK; i < loc->n && rc == XDS_OK; i++) {
		if (strcmp(loc->hcid[i], g->home) == 0)
			continue;
		asked++;
		if (g->l.directory == NULL || (rc = dir_by_hcid(g->l.directory,
		    loc->hcid[i], &c, p->err, sizeof p->err)) ==
		    XDS_ENOTFOUND)
			rc = gw_error(errs, ERR_UNKNOWN_COMMUNITY, loc->hcid[i],
			    "Mitz locates data of the patient at a community "
			    "the directory does not know");
		else if (rc == XDS_ENOMEM)
			goto out;
		else if (rc != XDS_OK)
			rc = directory_down(p, errs);
		else if (c.url[0] == '\0')
			rc = gw_error(errs, ERR_UNKNOWN_COMMUNITY, loc->hcid[i],
			    "Mitz locates data of the patient at a community "
			    "the directory knows no responding gateway of");
		else
			rc = plan_remote(p, &c);
	}
	if (rc == XDS_OK && asked == 0)
		rc = gw_error(errs, ERR_REGISTRY, g->home, "no consent: Mitz "
		    "locates no data of this patient in another community "
		    "that may be shown to this requester (no location or no "
		    "consent); other communities were not asked");
out:
	free(loc);
	return rc;
}

/* Whom to ask: the community @home names, or every one for a patient
 * query (with the open question: those Mitz locates).  XDS_OK with p filled (a directory that did not answer is an
 * error in errs: this community still answers), XDS_ENOTFOUND /
 * XDS_EINVAL with the error in errs, or XDS_ENOMEM. */
static int
plan_query(struct plan *p, const struct gw_query *q, struct rim_errors *errs)
{
	struct gateway *g = p->g;
	struct dir_community c;
	int rc;

	if (q->home[0] != '\0') {
		if (strcmp(q->home, g->home) == 0)
			return plan_local(p);
		if (g->l.directory == NULL || (rc = dir_by_hcid(g->l.directory,
		    q->home, &c, p->err, sizeof p->err)) == XDS_ENOTFOUND) {
			if (gw_error(errs, ERR_UNKNOWN_COMMUNITY, g->home,
			    "no community %.100s in the directory", q->home) !=
			    XDS_OK)
				return XDS_ENOMEM;
			return XDS_ENOTFOUND;
		}
		if (rc != XDS_OK)
			return directory_down(p, errs);
		if (c.url[0] == '\0') {
			if (gw_error(errs, ERR_UNKNOWN_COMMUNITY, g->home,
			    "community %.100s has no responding gateway in "
			    "the directory", q->home) != XDS_OK)
				return XDS_ENOMEM;
			return XDS_ENOTFOUND;
		}
		return plan_remote(p, &c);
	}
	if (!q->by_patient) {
		if (gw_error(errs, ERR_MISSING_HOME, g->home, "a query by ids "
		    "needs AdhocQuery/@home (the community to ask)") != XDS_OK)
			return XDS_ENOMEM;
		return XDS_EINVAL;
	}
	if (g->mitz_loc != NULL)
		return plan_located(p, q, errs);
	if ((rc = plan_local(p)) != XDS_OK)
		return rc;
	if (g->l.directory != NULL && (rc = dir_each(g->l.directory,
	    plan_remote, p, p->err, sizeof p->err)) != XDS_OK) {
		if (rc == XDS_ENOMEM)
			return rc;
		return directory_down(p, errs);
	}
	return XDS_OK;
}

/* The ids of the objects of resp that may not be passed on. */
struct drops {
	const char	**ids;
	size_t		  n, cap;
	size_t		  nohome, badhome, otherpatient;
};

static int
drops_add(struct drops *d, const char *id)
{
	const char **nv;

	if (id == NULL)
		return XDS_OK;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		if ((nv = realloc(d->ids, d->cap * sizeof *nv)) == NULL)
			return XDS_ENOMEM;
		d->ids = nv;
	}
	d->ids[d->n++] = id;
	return XDS_OK;
}

static int
dropped(const struct drops *d, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < d->n; i++)
		if (strcmp(d->ids[i], id) == 0)
			return 1;
	return 0;
}

/* Pass 1: which objects of community hcid may not pass (wrong or no
 * home, another patient's). */
static int
judge(xmlNode *list, const char *hcid, const char *patient, struct drops *d)
{
	xmlNode *o;
	const char *home;
	char cx[GW_CX_MAX];
	int bad;

	for (o = xml_first_elem(list); o != NULL; o = xml_next_elem(o)) {
		if (xml_is(o, NS_RIM, "Association"))
			continue;
		home = xml_attr(o, "home");
		bad = 1;
		if (home == NULL || *home == '\0')
			d->nohome++;
		else if (strcmp(home, hcid) != 0)
			d->badhome++;
		else if (patient[0] != '\0' && gw_object_patient(o, cx,
		    sizeof cx) != 0 && strcmp(cx, patient) != 0)
			d->otherpatient++;
		else
			bad = 0;
		if (bad && drops_add(d, xml_attr(o, "id")) != XDS_OK)
			return XDS_ENOMEM;
	}
	return XDS_OK;
}

/* Pass 2: the objects that pass, and associations between them. */
static int
pass_on(xmlNode *list, const struct drops *d, struct buf *objs)
{
	xmlNode *o;
	int rc;

	for (o = xml_first_elem(list); o != NULL; o = xml_next_elem(o)) {
		if (xml_is(o, NS_RIM, "Association")) {
			if (dropped(d, xml_attr(o, "sourceObject")) ||
			    dropped(d, xml_attr(o, "targetObject")))
				continue;
		} else if (dropped(d, xml_attr(o, "id")) ||
		    xml_attr(o, "home") == NULL)
			continue;
		if ((rc = xml_dump(o, objs)) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

/* What was dropped of community hcid: logged, and an error each kind. */
static int
report_drops(const struct gateway *g, const struct drops *d, const char *hcid,
    struct rim_errors *errs)
{
	if (d->nohome + d->badhome + d->otherpatient == 0)
		return XDS_OK;
	gw_stats_dropped(g->stats, hcid, d->nohome + d->badhome +
	    d->otherpatient);
	log_warnx("gateway: community %s returned objects that were not "
	    "passed on: %zu without home, %zu with another home, %zu of "
	    "another patient", hcid, d->nohome, d->badhome, d->otherpatient);
	if (d->nohome > 0 && gw_error(errs, ERR_MISSING_HOME, hcid, "%zu "
	    "objects without home were not passed on", d->nohome) != XDS_OK)
		return XDS_ENOMEM;
	if (d->badhome > 0 && gw_error(errs, ERR_UNKNOWN_COMMUNITY, hcid,
	    "%zu objects with another community's home were not passed on",
	    d->badhome) != XDS_OK)
		return XDS_ENOMEM;
	if (d->otherpatient > 0 && gw_error(errs, ERR_PATIENTID_MISMATCH,
	    hcid, "%zu objects of another patient were not passed on",
	    d->otherpatient) != XDS_OK)
		return XDS_ENOMEM;
	return XDS_OK;
}

/* One community's answer into errs and objs.  1 when it answered (not
 * Failure), 0 when not, or XDS_ENOMEM / XDS_ETOOBIG. */
static int
merge_query(struct gateway *g, struct gw_job *j, const struct gw_query *q,
    struct rim_errors *errs, struct buf *objs)
{
	struct drops d;
	xmlNode *resp = j->call.ans.body;
	const char *why;
	int rc;

	size_t from = errs->n;

	if ((why = gw_job_failure(j, NS_QUERY, "AdhocQueryResponse")) != NULL) {
		log_warnx("gateway: ITI-38 to %s: %s", j->hcid, why);
		xact_fail(&j->x, XACT_FAULT, why);
		return gw_error(errs, ERR_UNAVAILABLE_COMMUNITY, j->hcid,
		    "%.300s", why) == XDS_OK ? 0 : XDS_ENOMEM;
	}
	if (j->local && (rc = gw_stamp_home(resp, g->home)) != XDS_OK)
		return rc;
	if ((rc = gw_take_errors(resp, errs, j->hcid)) < 0)
		return rc;
	gw_job_record(j, gw_status(resp), errs, from);
	memset(&d, 0, sizeof d);
	if ((rc = judge(gw_objects(resp), j->hcid, q->patient, &d)) ==
	    XDS_OK && (rc = pass_on(gw_objects(resp), &d, objs)) == XDS_OK)
		rc = report_drops(g, &d, j->hcid, errs);
	free(d.ids);
	if (rc != XDS_OK)
		return rc;
	return strcmp(gw_status(resp), ST_FAILURE) != 0;
}

/* The fan-out of one query for consumer x: its status, errors and
 * objects; the record of each exchange with another community is
 * written before it returns. */
static int
fan_query(struct gateway *g, const struct xact *x, xmlNode *body,
    const struct gw_query *q, const struct gw_user *u, const char **status,
    struct rim_errors *errs, struct buf *objs, char *err, size_t errlen)
{
	struct plan p;
	size_t i;
	int rc, answered = 0;

	memset(&p, 0, sizeof p);
	p.g = g;
	p.body = body;
	p.user = u;
	p.x = x;
	*status = ST_FAILURE;
	if ((rc = plan_query(&p, q, errs)) == XDS_ENOTFOUND ||
	    rc == XDS_EINVAL) {
		rc = XDS_OK;
		goto out;
	}
	if (rc != XDS_OK)
		goto out;
	gw_jobs_audit_from(p.jobs, p.n, x);
	if ((rc = gw_fan_run(g, p.jobs, p.n, u)) != XDS_OK)
		goto out;
	for (i = 0; i < p.n; i++) {
		if ((rc = merge_query(g, &p.jobs[i], q, errs, objs)) < 0)
			goto out;
		answered += rc;
	}
	if ((rc = gw_jobs_audit_end(p.jobs, p.n)) != XDS_OK) {
		str_lcpy(err, "the record of a request to a community could "
		    "not be written", errlen);
		goto out;
	}
	*status = answered == 0 ? ST_FAILURE : rim_errors_nerror(errs) > 0 ?
	    ST_PARTIAL : ST_SUCCESS;
out:
	if (rc != XDS_OK && p.err[0] != '\0')
		str_lcpy(err, p.err, errlen);
	gw_jobs_free(p.jobs, p.n);
	return rc;
}

/* The flight key of a query: who asks (the peer and the user its
 * assertion names: each user's query carries its own assertion), then
 * what. */
static int
flight_key(const struct xact *x, xmlNode *body, struct buf *key)
{
	int rc;

	if ((rc = buf_adds(key, x->peer)) != XDS_OK ||
	    (rc = buf_add(key, "\n", 1)) != XDS_OK ||
	    (rc = buf_adds(key, x->user)) != XDS_OK ||
	    (rc = buf_add(key, "\n", 1)) != XDS_OK)
		return rc;
	return xml_dump(body, key);
}

/* The leader's part: the fan-out, the answer, and the landing. */
static int
lead(struct gateway *g, const struct xact *x, struct gw_flight *fl,
    xmlNode *body, const struct gw_query *q, const struct gw_user *u,
    const char **status, struct rim_errors *errs, struct buf *out, char *err,
    size_t errlen)
{
	struct buf objs;
	int rc;

	buf_init(&objs, out->b_max);
	if ((rc = fan_query(g, x, body, q, u, status, errs, &objs, err,
	    errlen)) == XDS_OK)
		rc = rim_write_query_response(out, *status, errs, &objs);
	if (fl != NULL)
		gw_flight_land(g->flights, fl, rc, *status, errs, out);
	buf_free(&objs);
	return rc;
}

static int
igw_iti18(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct gateway *g = actor;
	struct gw_flight *fl = NULL;
	struct gw_query q;
	struct gw_user u;
	struct rim_errors errs;
	struct buf key;
	const char *status = ST_FAILURE;
	char e[256] = "";
	int rc, leader = 1;

	if ((rc = gw_user_from(g, x, req, &u)) != XDS_OK)
		return rc;
	rim_errors_init(&errs);
	buf_init(&key, reply->body.b_max);
	if (gw_query_read(req->body, &q, e, sizeof e) != XDS_OK) {
		if ((rc = gw_error(&errs, ERR_REGISTRY, g->home, "%s", e)) ==
		    XDS_OK)
			rc = rim_write_query_response(&reply->body, status,
			    &errs, NULL);
		e[0] = '\0';
		goto out;
	}
	xact_set_object(x, q.id);
	if (q.patient[0] != '\0')
		xact_set_patient(x, q.patient);
	if (flight_key(x, req->body, &key) == XDS_OK &&
	    (fl = gw_flight_join(g->flights, key.b_data, key.b_len,
	    reply->body.b_max, &leader)) == NULL)
		leader = 1;		/* out of memory: alone */
	if (leader)
		rc = lead(g, x, fl, req->body, &q, &u, &status, &errs,
		    &reply->body, e, sizeof e);
	else
		rc = gw_flight_wait(g->flights, fl, &status, &errs,
		    &reply->body);
out:
	if (rc == XDS_OK)
		gw_record(x, status, &errs);
	else
		str_fmt(x->reason, sizeof x->reason, "ITI-18 at the "
		    "initiating gateway: %s%s%s", xds_strstatus(rc),
		    e[0] != '\0' ? ": " : "", e);
	if (fl != NULL)
		gw_flight_leave(g->flights, fl);
	buf_free(&key);
	rim_errors_free(&errs);
	return rc;
}

void
igw_init(struct gateway *g)
{
	g->ig_routes[0] = (struct soap_route){ ACT_ITI18, ACT_ITI18_RSP,
	    TXN_ITI18, NS_QUERY, "AdhocQueryRequest", PACK_EITHER,
	    igw_iti18 };
	g->ig_routes[1] = (struct soap_route){ ACT_ITI43, ACT_ITI43_RSP,
	    TXN_ITI43, NS_XDSB, "RetrieveDocumentSetRequest", PACK_MTOM,
	    igw_iti43 };
	g->ig_routes[2] = (struct soap_route){ ACT_RAD69, ACT_RAD69_RSP,
	    TXN_RAD69, NS_XDSI, "RetrieveImagingDocumentSetRequest",
	    PACK_MTOM, igw_rad69 };
	g->ig_ep.path = GATEWAY_IG_PATH;
	g->ig_ep.routes = g->ig_routes;
	g->ig_ep.nroutes = 3;
	g->ig_ep.actor = g;
	g->ig_ep.wsse_security = 1;	/* a consumer's assertion: gw_xua.c */
}
