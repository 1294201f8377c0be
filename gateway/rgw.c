/*
 * rgw.c: the XCA Responding Gateway (/xca/responding).  Behind the
 * policy point (pep.h), each transaction asks this community's actor
 * through its peer and answers for the community:
 *
 *   ITI-38 Cross Gateway Query -> ITI-18 to the registry; home on every
 *	object, every RegistryError located at our home community id
 *   ITI-39 Cross Gateway Retrieve -> ITI-43 to the repository
 *   RAD-75 Cross Gateway Retrieve Imaging Document Set -> RAD-69 to the
 *	imaging document source
 *
 * The request's home community ids are checked here: a query by ids
 * without one is XDSMissingHomeCommunityId, another community's is
 * XDSUnknownCommunity; so is each DocumentRequest of a retrieve.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "ebrim.h"
#include "gw_int.h"
#include "gw_msg.h"
#include "gw_release.h"
#include "log.h"
#include "pep.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

/* ---- ITI-38 ---- */

/*
 * The home community ids of the query: @home, and $targetCommunityIdList
 * as Twiin reads it (absent: answer; empty: an error; ours in it: answer,
 * naming the others as unknown; ours not in it: nothing to answer).
 * 1 to run the query, 0 not to (errs say why), or XDS_ENOMEM.
 */
static int
query_scope(struct gateway *g, const struct gw_query *q,
    struct rim_errors *errs)
{
	size_t i;
	int ours = 0;

	if (q->home[0] != '\0' && strcmp(q->home, g->home) != 0)
		return gw_error(errs, ERR_UNKNOWN_COMMUNITY, g->home, "home "
		    "community %.100s is not this community", q->home) ==
		    XDS_ENOMEM ? XDS_ENOMEM : 0;
	if (!q->by_patient && q->home[0] == '\0')
		return gw_error(errs, ERR_MISSING_HOME, g->home, "a query by ids "
		    "needs AdhocQuery/@home") == XDS_ENOMEM ?
		    XDS_ENOMEM : 0;
	if (!q->targets_given)
		return 1;
	if (q->ntargets == 0)
		return gw_error(errs, ERR_SQ_MISSING_PARAM, g->home, "%s is empty",
		    SQP_TARGET_COMMUNITIES) == XDS_OK ? 0 : XDS_ENOMEM;
	for (i = 0; i < q->ntargets; i++) {
		if (strcmp(q->targets[i], g->home) == 0) {
			ours = 1;
			continue;
		}
		if (gw_error(errs, ERR_UNKNOWN_COMMUNITY, g->home, "%.100s is not a "
		    "community this gateway answers for", q->targets[i]) ==
		    XDS_ENOMEM)
			return XDS_ENOMEM;
	}
	return ours;
}

/* The registry's answer -> ours: objects stamped with our home, errors
 * located at it, at most gateway.max_results objects. */
static int
query_answer(struct gateway *g, xmlNode *resp, struct rim_errors *errs,
    struct buf *objs, const char **status)
{
	xmlNode *o;
	size_t n = gw_count_objects(resp);
	int rc;

	if (!xml_is(resp, NS_QUERY, "AdhocQueryResponse"))
		return gw_error(errs, ERR_REGISTRY, g->home, "the registry answered "
		    "with %.100s", (const char *)resp->name);
	if (n > (size_t)g->cf->gateway_max_results) {
		*status = ST_FAILURE;
		return gw_error(errs, ERR_TOO_MANY_RESULTS, g->home, "the query "
		    "matches more objects than this gateway returns at once "
		    "(gateway.max_results)");
	}
	if ((rc = gw_locate_errors(resp, g->home)) != XDS_OK ||
	    (rc = gw_stamp_home(resp, g->home)) != XDS_OK ||
	    (rc = gw_take_errors(resp, errs, g->home)) < 0)
		return rc;
	/* released (behind the door): its manifests' studies may now be
	 * retrieved by RAD-75, each put to consent again */
	gw_releases_note(g->releases, resp);
	for (o = xml_first_elem(gw_objects(resp)); o != NULL;
	    o = xml_next_elem(o))
		if ((rc = xml_dump(o, objs)) != XDS_OK)
			return rc;
	*status = gw_status(resp);
	return XDS_OK;
}

/* Ask the registry; its answer (or why there is none) into errs/objs. */
static int
query_registry(struct gateway *g, struct xact *x, xmlNode *body,
    struct rim_errors *errs, struct buf *objs, const char **status)
{
	struct soap_call c;
	int rc;

	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	c.req.body = body;
	c.req.x = soap_peer_is_local(g->l.registry) ? x : NULL;
	rc = soap_peer_call(g->l.registry, &c);
	if (rc != XDS_OK || c.ans.fault || c.ans.body == NULL) {
		log_warnx("gateway: ITI-38: registry %s: %s",
		    soap_peer_target(g->l.registry), rc != XDS_OK ? c.ans.err :
		    c.ans.fault_reason);
		rc = gw_error(errs, ERR_REGISTRY, g->home, "the registry of this "
		    "community did not answer");
	} else
		rc = query_answer(g, c.ans.body, errs, objs, status);
	soap_call_free(&c);
	return rc;
}

static int
rgw_iti38(void *actor, const struct pep_grant *grant, struct xact *x,
    const struct soap_request *req, struct pep_answer *ans)
{
	struct gateway *g = actor;
	struct gw_query q;
	struct rim_errors errs;
	struct buf objs;
	const char *status = ST_FAILURE;
	char e[256];
	int rc, run;

	(void)grant;
	rim_errors_init(&errs);
	buf_init(&objs, ans->body.b_max);
	if (gw_query_read(req->body, &q, e, sizeof e) != XDS_OK) {
		rc = gw_error(&errs, ERR_REGISTRY, g->home, "%s", e);
		run = 0;
	} else if ((run = query_scope(g, &q, &errs)) < 0)
		rc = run;
	else
		rc = XDS_OK;
	if (rc == XDS_OK && run) {
		xact_set_object(x, q.id);
		gw_query_drop_slot(&q, SQP_TARGET_COMMUNITIES);
		rc = query_registry(g, x, req->body, &errs, &objs, &status);
		if (rc == XDS_OK && strcmp(status, ST_SUCCESS) == 0 &&
		    rim_errors_nerror(&errs) > 0)
			status = ST_PARTIAL;	/* unknown target ids */
	}
	if (rc == XDS_OK && rim_errors_nerror(&errs) > 0 && objs.b_len == 0 &&
	    strcmp(status, ST_SUCCESS) == 0)
		status = ST_FAILURE;
	if (rc == XDS_OK)
		rc = rim_write_query_response(&ans->body, status, &errs,
		    &objs);
	if (rc == XDS_OK)
		gw_record(x, status, &errs);
	else
		str_fmt(x->reason, sizeof x->reason, "ITI-38: %s",
		    xds_strstatus(rc));
	buf_free(&objs);
	rim_errors_free(&errs);
	return rc;
}

/* ---- ITI-39, RAD-75 ---- */

/*
 * Which DocumentRequests this community answers: keep[i] for those with
 * our HomeCommunityId; the others get an error each.  The number kept,
 * or XDS_ENOMEM.
 */
static int
retrieve_scope(struct gateway *g, xmlNode **drs, size_t n,
    unsigned char *keep, struct rim_errors *errs)
{
	char home[DIR_HCID_MAX], uid[256];
	size_t i;
	int kept = 0, rc = XDS_OK;

	for (i = 0; i < n && rc != XDS_ENOMEM; i++) {
		keep[i] = 0;
		if (xml_child_text(drs[i], NS_XDSB, "DocumentUniqueId", uid,
		    sizeof uid) != 0)
			str_lcpy(uid, "(too long)", sizeof uid);
		if (xml_child_text(drs[i], NS_XDSB, "HomeCommunityId", home,
		    sizeof home) != 0 || home[0] == '\0')
			rc = gw_error(errs, ERR_MISSING_HOME, g->home, "no "
			    "HomeCommunityId for document %.200s", uid);
		else if (strcmp(home, g->home) != 0)
			rc = gw_error(errs, ERR_UNKNOWN_COMMUNITY, g->home, "document "
			    "%.200s: not this community's", uid);
		else {
			keep[i] = 1;
			kept++;
		}
	}
	return rc == XDS_ENOMEM ? XDS_ENOMEM : kept;
}

/* Ask the actor behind peer with action for the kept DocumentRequests;
 * its documents and errors into ans, docs, errs.  Returns the number of
 * documents, or a status. */
static int
retrieve_from(struct gateway *g, struct xact *x, struct soap_peer *peer,
    const char *action, xmlDoc *sub, struct pep_answer *ans,
    struct buf *docs, struct rim_errors *errs)
{
	struct soap_call c;
	int rc;

	soap_call_init(&c, action, PACK_MTOM);
	c.req.body = xmlDocGetRootElement(sub);
	c.req.x = soap_peer_is_local(peer) ? x : NULL;
	rc = soap_peer_call(peer, &c);
	if (rc != XDS_OK || c.ans.fault || c.ans.body == NULL ||
	    !xml_is(c.ans.body, NS_XDSB, "RetrieveDocumentSetResponse")) {
		log_warnx("gateway: %s: %s: %s", x->txn,
		    soap_peer_target(peer), rc != XDS_OK ? c.ans.err :
		    c.ans.fault ? c.ans.fault_reason : "not a "
		    "RetrieveDocumentSetResponse");
		rc = gw_error(errs, ERR_REPOSITORY, g->home, "the %s of this "
		    "community did not answer", strcmp(action, ACT_RAD69) == 0 ?
		    "imaging document source" : "repository");
	} else if ((rc = gw_locate_errors(c.ans.body, g->home)) == XDS_OK &&
	    (rc = gw_take_errors(c.ans.body, errs, g->home)) >= 0)
		rc = gw_take_documents(c.ans.body, c.ans.att, c.ans.natt, "rg",
		    docs, &ans->att, &ans->natt, errs, g->home);
	soap_call_free(&c);
	return rc;
}

static int
rg_retrieve(struct gateway *g, struct xact *x, const struct soap_request *req,
    struct pep_answer *ans, struct soap_peer *peer, const char *action)
{
	struct rim_errors errs;
	struct buf docs;
	xmlNode **drs = NULL;
	xmlDoc *sub = NULL;
	unsigned char *keep = NULL;
	const char *status;
	size_t n = 0;
	int rc, kept, ndocs = 0;

	rim_errors_init(&errs);
	buf_init(&docs, ans->body.b_max);
	if ((rc = gw_doc_requests(req->body, &drs, &n)) != XDS_OK ||
	    (keep = calloc(n + 1, 1)) == NULL) {
		rc = XDS_ENOMEM;
		goto out;
	}
	if (n == 0)
		rc = gw_error(&errs, ERR_DOCUMENT_UNIQUEID, g->home, "no "
		    "DocumentRequest");
	else if ((kept = retrieve_scope(g, drs, n, keep, &errs)) < 0)
		rc = kept;
	else if (kept > 0 && peer == NULL)
		rc = gw_error(&errs, ERR_UNKNOWN_REPOSITORY_ID, g->home, "this "
		    "community has no %s", strcmp(action, ACT_RAD69) == 0 ?
		    "imaging document source" : "repository");
	else if (kept > 0) {
		if ((sub = gw_request_subset(req->body, keep, n)) == NULL)
			rc = XDS_ENOMEM;
		else if ((rc = retrieve_from(g, x, peer, action, sub, ans,
		    &docs, &errs)) >= 0) {
			ndocs = rc;
			rc = XDS_OK;
		}
	}
	if (rc != XDS_OK)
		goto out;
	status = ndocs == 0 ? ST_FAILURE : rim_errors_nerror(&errs) > 0 ?
	    ST_PARTIAL : ST_SUCCESS;
	if ((rc = rim_write_retrieve_response(&ans->body, status, &errs,
	    &docs)) == XDS_OK)
		gw_record(x, status, &errs);
out:
	if (rc != XDS_OK)
		str_fmt(x->reason, sizeof x->reason, "%s: %s", x->txn,
		    xds_strstatus(rc));
	xmlFreeDoc(sub);
	free(keep);
	free(drs);
	buf_free(&docs);
	rim_errors_free(&errs);
	return rc;
}

static int
rgw_iti39(void *actor, const struct pep_grant *grant, struct xact *x,
    const struct soap_request *req, struct pep_answer *ans)
{
	struct gateway *g = actor;

	(void)grant;
	return rg_retrieve(g, x, req, ans, g->l.repository, ACT_ITI43);
}

static int
rgw_rad75(void *actor, const struct pep_grant *grant, struct xact *x,
    const struct soap_request *req, struct pep_answer *ans)
{
	struct gateway *g = actor;

	(void)grant;
	return rg_retrieve(g, x, req, ans, g->l.imaging, ACT_RAD69);
}

/* ---- the subject of a request and the refusal, for the door ---- */

/* A uniqueId that can stand quoted in a slot value unchanged. */
static int
uid_plain(const char *u)
{
	size_t n = strlen(u);

	return n > 0 && n < 128 && strspn(u, "0123456789abcdefghijklmnopqrstu"
	    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.^_-") == n;
}

/* classCode code into s->classes once; past PEP_MAX_CLASSES different
 * ones, none (every category is asked: more, never fewer). */
static void
subject_class(struct pep_subject *s, const char *code, int *full)
{
	size_t i;

	if (*full)
		return;
	for (i = 0; i < s->nclasses; i++)
		if (strcmp(s->classes[i], code) == 0)
			return;
	if (s->nclasses == PEP_MAX_CLASSES) {
		*full = 1;
		s->nclasses = 0;
		return;
	}
	str_lcpy(s->classes[s->nclasses++], code, sizeof s->classes[0]);
}

/*
 * The subject of the registry's answer resp into s: the one patient of
 * its objects (ExtrinsicObjects and RegistryPackages), the classCodes of
 * its documents.  With n uids, each must be among the documents;
 * without, at least one object must name its patient.
 */
static int
subject_from(xmlNode *resp, char uids[][128], size_t n,
    struct pep_subject *s)
{
	xmlNode *o, *c;
	char cx[GW_CX_MAX], uid[128];
	const char *v;
	size_t found = 0, i;
	int doc, full = 0, rc;

	for (o = xml_first_elem(gw_objects(resp)); o != NULL;
	    o = xml_next_elem(o)) {
		doc = xml_is(o, NS_RIM, "ExtrinsicObject");
		if (!doc && !xml_is(o, NS_RIM, "RegistryPackage"))
			continue;
		uid[0] = '\0';
		for (c = xml_first_elem(o); doc && c != NULL;
		    c = xml_next_elem(c)) {
			if (xml_is(c, NS_RIM, "ExternalIdentifier") &&
			    (v = xml_attr(c, "identificationScheme")) != NULL &&
			    strcmp(v, EI_DE_UNIQUEID) == 0 &&
			    (v = xml_attr(c, "value")) != NULL)
				str_lcpy(uid, v, sizeof uid);
			if (xml_is(c, NS_RIM, "Classification") &&
			    (v = xml_attr(c, "classificationScheme")) != NULL &&
			    strcmp(v, CS_DE_CLASSCODE) == 0 &&
			    (v = xml_attr(c, "nodeRepresentation")) != NULL)
				subject_class(s, v, &full);
		}
		for (i = 0; i < n && strcmp(uids[i], uid) != 0; i++)
			;
		if (n > 0 && i == n)
			continue;
		if (i < n)
			found++;
		if ((rc = gw_object_patient(o, cx, sizeof cx)) != 1) {
			if (rc == 0 && !doc)
				continue;
			str_fmt(s->why, sizeof s->why, "an object without "
			    "a patient");
			return XDS_EFORMAT;
		}
		if (s->patient[0] == '\0')
			str_lcpy(s->patient, cx, sizeof s->patient);
		else if (strcmp(s->patient, cx) != 0) {
			str_fmt(s->why, sizeof s->why, "objects of more "
			    "than one patient in one request");
			return XDS_EUNSUPPORTED;
		}
	}
	if (found < n) {
		str_fmt(s->why, sizeof s->why, "a document asked is not in "
		    "this community's registry");
		return XDS_ENOTFOUND;
	}
	if (s->patient[0] == '\0') {
		str_fmt(s->why, sizeof s->why, "the query finds nothing that "
		    "names its patient");
		return XDS_ENOTFOUND;
	}
	return XDS_OK;
}

/* Ask this community's registry the ITI-18 body (a DOM, or XML text);
 * the subject of its answer into s (subject_from). */
static int
subject_ask(struct gateway *g, xmlNode *body, const struct buf *text,
    char uids[][128], size_t n, struct pep_subject *s)
{
	struct soap_call c;
	int rc;

	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	c.req.body = body;
	if (text != NULL) {
		c.req.body_xml = text->b_data;
		c.req.body_len = text->b_len;
	}
	c.req.bounds.max_answer = (size_t)g->cf->gateway_max_answer;
	rc = soap_peer_call(g->l.registry, &c);
	if (rc != XDS_OK || c.ans.fault || c.ans.body == NULL ||
	    !xml_is(c.ans.body, NS_QUERY, "AdhocQueryResponse") ||
	    strcmp(gw_status(c.ans.body), ST_FAILURE) == 0) {
		str_fmt(s->why, sizeof s->why, "this community's registry "
		    "could not say whose %s", n > 0 ? "documents these are" :
		    "objects the query finds");
		rc = XDS_EUNAVAILABLE;
	} else
		rc = subject_from(c.ans.body, uids, n, s);
	soap_call_free(&c);
	return rc;
}

/* ITI-38 by ids: the query itself, asked of this community's registry
 * for whole objects (LeafClass), says whose they are. */
static int
query_subject(struct gateway *g, xmlNode *req, struct pep_subject *s)
{
	struct gw_query q;
	xmlDoc *doc;
	xmlNode *root, *opt;
	char e[256];
	int rc;

	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlDocCopyNode(req, doc, 1)) == NULL) {
		xmlFreeDoc(doc);
		str_fmt(s->why, sizeof s->why, "out of memory");
		return XDS_ENOMEM;
	}
	xmlDocSetRootElement(doc, root);
	if ((opt = xml_child(root, NS_QUERY, "ResponseOption")) != NULL)
		xmlSetProp(opt, (const xmlChar *)"returnType",
		    (const xmlChar *)"LeafClass");
	if (gw_query_read(root, &q, e, sizeof e) == XDS_OK)
		gw_query_drop_slot(&q, SQP_TARGET_COMMUNITIES);
	rc = subject_ask(g, root, NULL, NULL, 0, s);
	xmlFreeDoc(doc);
	return rc;
}

/*
 * The classCodes (the code of each 'code^^scheme') a query names in
 * $XDSDocumentEntryClassCode, into s; none when it names none, or when
 * they cannot all be read (then every category is asked, which asks
 * more, never less).
 */
static void
query_classes(xmlNode *adhoc, struct pep_subject *s)
{
	char vals[PEP_MAX_CLASSES][DIR_HCID_MAX], text[4096];
	xmlNode *slot, *vl, *v;
	const char *name;
	size_t n, i;

	for (slot = xml_first_elem(adhoc); slot != NULL;
	    slot = xml_next_elem(slot)) {
		if (!xml_is(slot, NS_RIM, "Slot") ||
		    (name = xml_attr(slot, "name")) == NULL ||
		    strcmp(name, SQP_DE_CLASSCODE) != 0 ||
		    (vl = xml_child(slot, NS_RIM, "ValueList")) == NULL)
			continue;
		for (v = xml_first_elem(vl); v != NULL; v = xml_next_elem(v)) {
			if (!xml_is(v, NS_RIM, "Value"))
				continue;
			if (xml_text(v, text, sizeof text) != 0 ||
			    gw_slot_values(text, vals, PEP_MAX_CLASSES -
			    s->nclasses, &n) != XDS_OK) {
				s->nclasses = 0;
				return;
			}
			for (i = 0; i < n; i++) {
				vals[i][strcspn(vals[i], "^")] = '\0';
				str_lcpy(s->classes[s->nclasses++], vals[i],
				    sizeof s->classes[0]);
			}
		}
	}
}

/* ITI-38: the patient the query names, and the classCodes it asks for;
 * for a query by ids, those of what it finds in this community's
 * registry. */
static int
rgw_iti38_subject(void *actor, const struct soap_request *req,
    struct pep_subject *s)
{
	struct gw_query q;
	char e[256];

	if (gw_query_read(req->body, &q, e, sizeof e) != XDS_OK) {
		str_fmt(s->why, sizeof s->why, "%s", e);
		return XDS_EFORMAT;
	}
	if (!q.by_patient)
		return query_subject(actor, req->body, s);
	if (q.patient[0] == '\0') {
		str_fmt(s->why, sizeof s->why, "the query's patient is not "
		    "a CX");
		return XDS_EFORMAT;
	}
	str_lcpy(s->patient, q.patient, sizeof s->patient);
	query_classes(q.adhoc, s);
	return XDS_OK;
}

/* ITI-39: the patient of the documents asked of this community, and
 * their classCodes, from this community's registry (GetDocuments). */
static int
rgw_iti39_subject(void *actor, const struct soap_request *req,
    struct pep_subject *s)
{
	struct gateway *g = actor;
	struct buf q;
	xmlNode **drs = NULL;
	char (*uids)[128] = NULL, home[DIR_HCID_MAX];
	size_t n = 0, nu = 0, i;
	int rc;

	buf_init(&q, 64 * 1024);
	if ((rc = gw_doc_requests(req->body, &drs, &n)) != XDS_OK ||
	    (uids = calloc(n + 1, sizeof *uids)) == NULL) {
		str_fmt(s->why, sizeof s->why, "out of memory");
		rc = XDS_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (xml_child_text(drs[i], NS_XDSB, "HomeCommunityId", home,
		    sizeof home) != 0 || strcmp(home, g->home) != 0)
			continue;	/* not ours: never released here */
		if (xml_child_text(drs[i], NS_XDSB, "DocumentUniqueId",
		    uids[nu], sizeof uids[nu]) != 0 || !uid_plain(uids[nu])) {
			str_fmt(s->why, sizeof s->why, "a DocumentUniqueId "
			    "this gateway cannot look up");
			rc = XDS_EFORMAT;
			goto out;
		}
		nu++;
	}
	if (nu == 0) {
		str_fmt(s->why, sizeof s->why, "no document of this community "
		    "is asked");
		rc = XDS_ENOTFOUND;
		goto out;
	}
	rc = buf_addf(&q, "<query:AdhocQueryRequest xmlns:query=\"%s\" "
	    "xmlns:rim=\"%s\"><query:ResponseOption returnType=\"LeafClass\" "
	    "returnComposedObjects=\"true\"/><rim:AdhocQuery id=\"%s\">"
	    "<rim:Slot name=\"%s\"><rim:ValueList><rim:Value>(", NS_QUERY,
	    NS_RIM, SQ_GETDOCUMENTS, SQP_DE_UNIQUEID);
	for (i = 0; i < nu && rc == XDS_OK; i++)
		rc = buf_addf(&q, "%s'%s'", i > 0 ? "," : "", uids[i]);
	if (rc == XDS_OK)
		rc = buf_adds(&q, ")</rim:Value></rim:ValueList></rim:Slot>"
		    "</rim:AdhocQuery></query:AdhocQueryRequest>");
	if (rc != XDS_OK) {
		str_fmt(s->why, sizeof s->why, "too many documents in one "
		    "request");
		rc = XDS_ETOOBIG;
		goto out;
	}
	rc = subject_ask(g, NULL, &q, uids, nu, s);
out:
	buf_free(&q);
	free(uids);
	free(drs);
	return rc;
}

/*
 * RAD-75: the request names studies, series and instances, none of them
 * in this community's registry; the patient of each study is the one of
 * the manifest that showed it in a released ITI-38 answer (gw_release.h).
 * A study never shown, or shown longer ago than
 * gateway.imaging_release_ttl, has no patient here: refused.
 */
static int
rgw_rad75_subject(void *actor, const struct soap_request *req,
    struct pep_subject *s)
{
	struct gateway *g = actor;
	xmlNode *st;
	char study[65], cx[GW_CX_MAX], klass[64];
	const char *v;
	size_t n = 0;
	int full = 0;

	for (st = xml_first_elem(req->body); st != NULL;
	    st = xml_next_elem(st)) {
		if (!xml_is(st, NS_XDSI, "StudyRequest"))
			continue;
		if ((v = xml_attr(st, "studyInstanceUID")) != NULL)
			str_lcpy(study, v, sizeof study);
		else if (xml_child_text(st, NS_XDSI, "StudyInstanceUID",
		    study, sizeof study) != 0)
			study[0] = '\0';
		str_trim(study);
		if (!gw_releases_find(g->releases, study, cx, sizeof cx,
		    klass, sizeof klass)) {
			str_fmt(s->why, sizeof s->why, "study %.64s was not "
			    "shown by an ITI-38 of this gateway (query the "
			    "patient's documents first)", study[0] ? study :
			    "(none)");
			return XDS_ENOTFOUND;
		}
		if (s->patient[0] == '\0')
			str_lcpy(s->patient, cx, sizeof s->patient);
		else if (strcmp(s->patient, cx) != 0) {
			str_fmt(s->why, sizeof s->why, "studies of more than "
			    "one patient in one request");
			return XDS_EUNSUPPORTED;
		}
		if (klass[0] != '\0')
			subject_class(s, klass, &full);
		n++;
	}
	if (n == 0) {
		str_fmt(s->why, sizeof s->why, "no StudyRequest");
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

static int
rgw_iti38_refuse(void *actor, struct xact *x, const struct soap_request *req,
    const char *why, struct buf *body)
{
	struct gateway *g = actor;
	struct rim_errors errs;
	struct gw_query q;
	struct buf none;
	char e[256];
	int rc;

	if (gw_query_read(req->body, &q, e, sizeof e) == XDS_OK)
		xact_set_object(x, q.id);
	rim_errors_init(&errs);
	buf_init(&none, 0);
	if ((rc = gw_error(&errs, ERR_REGISTRY, g->home, "%s", why)) ==
	    XDS_OK && (rc = rim_write_query_response(body, ST_FAILURE, &errs,
	    &none)) == XDS_OK)
		gw_record(x, ST_FAILURE, &errs);
	rim_errors_free(&errs);
	return rc;
}

/* ITI-39, RAD-75: XDSDocumentUniqueIdError ("not available, e.g. the
 * requester is not authorized") for each DocumentRequest. */
static int
rgw_retrieve_refuse(void *actor, struct xact *x,
    const struct soap_request *req, const char *why, struct buf *body)
{
	struct gateway *g = actor;
	struct rim_errors errs;
	struct buf none;
	xmlNode **drs = NULL;
	char uid[256];
	size_t n = 0, i;
	int rc;

	rim_errors_init(&errs);
	buf_init(&none, 0);
	rc = gw_doc_requests(req->body, &drs, &n);
	for (i = 0; i < n && rc == XDS_OK; i++) {
		if (xml_child_text(drs[i], NS_XDSB, "DocumentUniqueId", uid,
		    sizeof uid) != 0)
			str_lcpy(uid, "(too long)", sizeof uid);
		rc = gw_error(&errs, ERR_DOCUMENT_UNIQUEID, g->home, "document "
		    "%.200s: %s", uid, why);
	}
	if (rc == XDS_OK && n == 0)
		rc = gw_error(&errs, ERR_DOCUMENT_UNIQUEID, g->home, "%s", why);
	if (rc == XDS_OK && (rc = rim_write_retrieve_response(body, ST_FAILURE,
	    &errs, &none)) == XDS_OK)
		gw_record(x, ST_FAILURE, &errs);
	free(drs);
	rim_errors_free(&errs);
	return rc;
}

int
rgw_open(struct gateway *g, char *err, size_t errlen)
{
	static const struct pep_route routes[] = {
		{ ACT_ITI38, ACT_ITI38_RSP, TXN_ITI38, NS_QUERY,
		    "AdhocQueryRequest", PACK_EITHER, rgw_iti38,
		    rgw_iti38_subject, rgw_iti38_refuse },
		{ ACT_ITI39, ACT_ITI39_RSP, TXN_ITI39, NS_XDSB,
		    "RetrieveDocumentSetRequest", PACK_MTOM, rgw_iti39,
		    rgw_iti39_subject, rgw_retrieve_refuse },
		{ ACT_RAD75, ACT_RAD75_RSP, TXN_RAD75, NS_XDSI,
		    "RetrieveImagingDocumentSetRequest", PACK_MTOM, rgw_rad75,
		    rgw_rad75_subject, rgw_retrieve_refuse },
	};

	if (g->cf->gateway_imaging_release_ttl > 0 &&
	    (g->releases = gw_releases_new(GW_RELEASE_MAX,
	    g->cf->gateway_imaging_release_ttl)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	return pep_open(g->cf, GATEWAY_RG_PATH, routes,
	    sizeof routes / sizeof routes[0], g, &g->rg, err, errlen);
}
