/*
 * igw_retrieve.c: retrieves at the initiating gateway (igw.c): ITI-43
 * and RAD-69 from this community's consumers, routed by each
 * DocumentRequest's HomeCommunityId: this community's to its repository
 * (ITI-43) or imaging source (RAD-69), another's to its responding
 * gateway as ITI-39 or RAD-75, in requests of at most as many
 * DocumentRequests as it accepts (the directory's max_documents, else
 * gateway.max_documents), all at once.  The answers are merged: each
 * document under a fresh Content-ID, each failure reported per document.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "ebrim.h"
#include "gw_int.h"
#include "gw_msg.h"
#include "log.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define UID_MAX	256

/* One DocumentRequest of the consumer's request. */
struct dreq {
	xmlNode	*n;
	char	 home[DIR_HCID_MAX];
	char	 uid[UID_MAX];
	int	 routed;	/* a job asks for it */
};

struct rtv {
	struct gateway		*g;
	const struct soap_request *req;
	int			 imaging;	/* RAD-69 */
	struct dreq		*d;
	size_t			 nd;
	size_t			*order;		/* indices into d, by job */
	size_t			 norder;
	struct gw_job		*jobs;
	size_t			 njobs;
	struct rim_errors	 errs;
	struct buf		 docs;
	char			 err[256];
};

/* The DocumentRequests, their homes and uids. */
static int
read_requests(struct rtv *r)
{
	xmlNode **v;
	size_t i, n;

	if (gw_doc_requests(r->req->body, &v, &n) != XDS_OK ||
	    (r->d = calloc(n + 1, sizeof *r->d)) == NULL ||
	    (r->order = calloc(n + 1, sizeof *r->order)) == NULL) {
		free(v);
		return XDS_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		r->d[i].n = v[i];
		if (xml_child_text(v[i], NS_XDSB, "HomeCommunityId",
		    r->d[i].home, sizeof r->d[i].home) != 0)
			r->d[i].home[0] = '\0';
		if (xml_child_text(v[i], NS_XDSB, "DocumentUniqueId",
		    r->d[i].uid, sizeof r->d[i].uid) != 0)
			str_lcpy(r->d[i].uid, "(too long)", sizeof r->d[i].uid);
	}
	r->nd = n;
	free(v);
	return XDS_OK;
}

/* A job for the DocumentRequests r->order[first .. first+count). */
static int
add_job(struct rtv *r, struct gw_job *j, size_t first, size_t count)
{
	unsigned char *keep;
	size_t i;

	if ((keep = calloc(r->nd + 1, 1)) == NULL)
		return XDS_ENOMEM;
	for (i = first; i < first + count; i++)
		keep[r->order[i]] = 1;
	j->own_doc = gw_request_subset(r->req->body, keep, r->nd);
	free(keep);
	if (j->own_doc == NULL)
		return XDS_ENOMEM;
	j->body = xmlDocGetRootElement(j->own_doc);
	j->pack = PACK_MTOM;
	j->first = first;
	j->count = count;
	return XDS_OK;
}

/* The documents a remote job asks for, as its record's object. */
static void
job_object(const struct rtv *r, struct gw_job *j)
{
	size_t i;

	if (!j->audited)
		return;
	for (i = j->first; i < j->first + j->count; i++) {
		if (i > j->first)
			str_lcat(j->x.object, " ", sizeof j->x.object);
		str_lcat(j->x.object, r->d[r->order[i]].uid,
		    sizeof j->x.object);
	}
}

/* Jobs for every DocumentRequest of home (from index from on): this
 * community's in one request, another's in chunks of max. */
static int
route_home(struct rtv *r, size_t from, const struct dir_community *c)
{
	struct gateway *g = r->g;
	struct gw_job *j, *nv;
	size_t i, first = r->norder, count, max;
	int rc;

	for (i = from; i < r->nd; i++)
		if (!r->d[i].routed && strcmp(r->d[i].home, r->d[from].home) ==
		    0) {
			r->d[i].routed = 1;
			r->order[r->norder++] = i;
		}
	max = c == NULL ? r->norder - first : c->max_documents > 0 ?
	    (size_t)c->max_documents : g->cf->gateway_max_documents > 0 ?
	    (size_t)g->cf->gateway_max_documents : r->norder - first;
	for (i = first; i < r->norder; i += count) {
		count = r->norder - i < max ? r->norder - i : max;
		if ((nv = realloc(r->jobs, (r->njobs + 1) * sizeof *nv)) ==
		    NULL)
			return XDS_ENOMEM;
		r->jobs = nv;
		j = &r->jobs[r->njobs++];
		memset(j, 0, sizeof *j);
		if (c == NULL) {
			gw_job_local(g, j, r->imaging ? g->l.imaging :
			    g->l.repository);
			j->txn = r->imaging ? TXN_RAD69 : TXN_ITI43;
			j->action = r->imaging ? ACT_RAD69 : ACT_ITI43;
		} else {
			j->txn = r->imaging ? TXN_RAD75 : TXN_ITI39;
			j->action = r->imaging ? ACT_RAD75 : ACT_ITI39;
			if (gw_job_remote(g, j, c, r->err, sizeof r->err) !=
			    XDS_OK)
				return XDS_EINVAL;
		}
		if ((rc = add_job(r, j, i, count)) != XDS_OK)
			return rc;
		job_object(r, j);
	}
	return XDS_OK;
}

/* Errors for the DocumentRequests of home that cannot be routed. */
static int
refuse_home(struct rtv *r, size_t from, const char *code, const char *why)
{
	size_t i;

	for (i = from; i < r->nd; i++)
		if (!r->d[i].routed && strcmp(r->d[i].home, r->d[from].home) ==
		    0) {
			r->d[i].routed = 1;
			if (gw_error(&r->errs, code, r->d[i].home[0] != '\0' ?
			    r->d[i].home : r->g->home, "document %.200s: %s",
			    r->d[i].uid, why) != XDS_OK)
				return XDS_ENOMEM;
		}
	return XDS_OK;
}

static int
route(struct rtv *r)
{
	struct gateway *g = r->g;
	struct dir_community c;
	size_t i;
	int rc;

	for (i = 0; i < r->nd; i++) {
		if (r->d[i].routed)
			continue;
		if (r->d[i].home[0] == '\0')
			rc = refuse_home(r, i, ERR_MISSING_HOME, "no "
			    "HomeCommunityId: the community to ask");
		else if (strcmp(r->d[i].home, g->home) == 0)
			rc = (r->imaging ? g->l.imaging : g->l.repository) ==
			    NULL ? refuse_home(r, i, ERR_UNKNOWN_REPOSITORY_ID,
			    "this community has no such actor") :
			    route_home(r, i, NULL);
		else if (g->l.directory == NULL || (rc = dir_by_hcid(
		    g->l.directory, r->d[i].home, &c, r->err,
		    sizeof r->err)) == XDS_ENOTFOUND)
			rc = refuse_home(r, i, ERR_UNKNOWN_COMMUNITY, "no such "
			    "community in the directory");
		else if (rc == XDS_OK && c.url[0] == '\0')
			rc = refuse_home(r, i, ERR_UNKNOWN_COMMUNITY, "the "
			    "directory knows no responding gateway of the "
			    "community");
		else if (rc == XDS_OK)
			rc = route_home(r, i, &c);
		else
			rc = refuse_home(r, i, ERR_UNAVAILABLE_COMMUNITY,
			    "the directory did not answer");
		if (rc != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

/* Whether DocumentResponse dr of job j is one j asked for, of its
 * community. */
static int
asked(const struct rtv *r, const struct gw_job *j, xmlNode *dr)
{
	char uid[UID_MAX], home[DIR_HCID_MAX];
	size_t i;

	if (xml_child_text(dr, NS_XDSB, "DocumentUniqueId", uid,
	    sizeof uid) != 0 || xml_child_text(dr, NS_XDSB,
	    "HomeCommunityId", home, sizeof home) != 0)
		return 0;
	if (home[0] != '\0' && strcmp(home, j->hcid) != 0)
		return 0;
	for (i = j->first; i < j->first + j->count; i++)
		if (strcmp(r->d[r->order[i]].uid, uid) == 0)
			return 1;
	return 0;
}

/* One job's answer: its documents into r->docs and reply, its errors;
 * a job without an answer is an error for each of its documents. */
static int
merge_job(struct rtv *r, struct gw_job *j, size_t k,
    struct soap_reply *reply)
{
	xmlNode *dr, *next, *resp = j->call.ans.body;
	const char *why;
	char prefix[32];
	size_t i, ndrop = 0, from = r->errs.n, nerr = 0;
	int rc;

	if ((why = gw_job_failure(j, NS_XDSB,
	    "RetrieveDocumentSetResponse")) != NULL) {
		log_warnx("gateway: %s to %s: %s", j->txn, j->hcid, why);
		xact_fail(&j->x, XACT_FAULT, why);
		for (i = j->first; i < j->first + j->count; i++)
			if (gw_error(&r->errs, ERR_UNAVAILABLE_COMMUNITY, j->hcid,
			    "document %.200s: %.300s", r->d[r->order[i]].uid,
			    why) != XDS_OK)
				return XDS_ENOMEM;
		return 0;
	}
	for (dr = xml_first_elem(resp); dr != NULL; dr = next) {
		next = xml_next_elem(dr);
		if (xml_is(dr, NS_XDSB, "DocumentResponse") &&
		    !asked(r, j, dr)) {
			xmlUnlinkNode(dr);
			xmlFreeNode(dr);
			ndrop++;
		}
	}
	if (ndrop > 0) {
		gw_stats_dropped(r->g->stats, j->hcid, ndrop);
		log_warnx("gateway: %s: %zu documents that were not asked of "
		    "community %s were not passed on", j->txn, ndrop, j->hcid);
		if (gw_error(&r->errs, ERR_REPOSITORY, j->hcid, "%zu documents that "
		    "were not asked for were not passed on", ndrop) != XDS_OK)
			return XDS_ENOMEM;
	}
	if ((rc = gw_take_errors(resp, &r->errs, j->hcid)) < 0)
		return rc;
	str_fmt(prefix, sizeof prefix, "c%zu", k);
	if ((rc = gw_take_documents(resp, j->call.ans.att, j->call.ans.natt,
	    prefix, &r->docs, &reply->att, &reply->natt, &r->errs,
	    j->hcid)) < 0)
		return rc;
	/* The exchange's outcome: documents, and errors of its own. */
	for (i = from; i < r->errs.n; i++)
		nerr += !r->errs.v[i].warning;
	gw_job_record(j, rc == 0 ? ST_FAILURE : nerr > 0 ? ST_PARTIAL :
	    ST_SUCCESS, &r->errs, from);
	return rc;
}

static int
igw_retrieve(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply, int imaging)
{
	struct rtv r;
	struct gw_user u;
	const char *status;
	size_t i;
	int rc, ndocs = 0;

	if ((rc = gw_user_from(actor, x, req, &u)) != XDS_OK)
		return rc;
	memset(&r, 0, sizeof r);
	r.g = actor;
	r.req = req;
	r.imaging = imaging;
	rim_errors_init(&r.errs);
	buf_init(&r.docs, reply->body.b_max);
	if ((rc = read_requests(&r)) != XDS_OK)
		goto out;
	if (r.nd == 0)
		rc = gw_error(&r.errs, ERR_DOCUMENT_UNIQUEID, r.g->home, "no "
		    "DocumentRequest");
	else if ((rc = route(&r)) == XDS_OK) {
		gw_jobs_audit_from(r.jobs, r.njobs, x);
		rc = gw_fan_run(r.g, r.jobs, r.njobs, &u);
		for (i = 0; i < r.njobs && rc >= 0; i++)
			if ((rc = merge_job(&r, &r.jobs[i], i, reply)) > 0)
				ndocs += rc;
		if (rc >= 0 && (rc = gw_jobs_audit_end(r.jobs, r.njobs)) !=
		    XDS_OK)
			str_lcpy(r.err, "the record of a request to a "
			    "community could not be written", sizeof r.err);
	}
	if (rc != XDS_OK)
		goto out;
	status = ndocs == 0 ? ST_FAILURE : rim_errors_nerror(&r.errs) > 0 ?
	    ST_PARTIAL : ST_SUCCESS;
	if ((rc = rim_write_retrieve_response(&reply->body, status, &r.errs,
	    &r.docs)) == XDS_OK)
		gw_record(x, status, &r.errs);
out:
	if (rc != XDS_OK)
		str_fmt(x->reason, sizeof x->reason, "%s at the initiating "
		    "gateway: %s%s%s", x->txn, xds_strstatus(rc),
		    r.err[0] != '\0' ? ": " : "", r.err);
	gw_jobs_free(r.jobs, r.njobs);
	free(r.d);
	free(r.order);
	buf_free(&r.docs);
	rim_errors_free(&r.errs);
	return rc;
}

int
igw_iti43(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	return igw_retrieve(actor, x, req, reply, 0);
}

int
igw_rad69(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	return igw_retrieve(actor, x, req, reply, 1);
}
