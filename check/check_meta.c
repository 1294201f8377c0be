/*
 * check_meta.c: the metadata rules of each message body.  Submissions go
 * through the registry's own rules (registry/validate.c), queries
 * through its stored-query parameter rules (query_check, sqparam.c);
 * answers, retrieves and deletes through the rules of ITI TF-2b/TF-3
 * and RAD TF-3 written here: the status values, the RegistryErrorList's
 * shape, the home community of XCA answers, the required elements.
 */
#include "config.h"

#include <string.h>

#include "check_int.h"
#include "dcmshim.h"
#include "ebrim.h"
#include "query.h"
#include "str.h"
#include "validate.h"
#include "vocab.h"
#include "xml.h"

static int
is_xca(const struct chk_txn *t)
{
	return strcmp(t->kind, "ITI-38") == 0 ||
	    strcmp(t->kind, "ITI-39") == 0 || strcmp(t->kind, "RAD-75") == 0;
}

/* errs as findings of rule at node n. */
static void
from_errors(const struct rim_errors *errs, const char *rule, xmlNode *n,
    struct chk_report *r)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		chk_addn(r, errs->v[i].warning ? CHK_WARNING : CHK_ERROR, rule,
		    errs->v[i].code, n, "%s", errs->v[i].context ?
		    errs->v[i].context : "");
	if (errs->nomem)
		r->nomem = 1;
}

/* A SubmitObjectsRequest: Document Source metadata (ITI-41) or not, a
 * Metadata Update (ITI-57) or not. */
static void
submission(xmlNode *sor, int source, int update, const struct chk_opts *o,
    struct chk_report *r)
{
	struct validate_opts vo = { 0 };
	struct rim_errors errs;
	struct rim_list l;
	xmlNode *list;
	char err[512];

	list = xml_child(sor, NS_RIM, "RegistryObjectList");
	if (list == NULL) {
		chk_addn(r, CHK_ERROR, "META", ERR_REGISTRY_METADATA, sor,
		    "no rim:RegistryObjectList");
		return;
	}
	vo.bsn_patients = o->bsn_patients;
	vo.source_metadata = source;
	vo.metadata_update = update;
	rim_errors_init(&errs);
	if (rim_parse_list(list, &l, err, sizeof err) != XDS_OK)
		chk_addn(r, CHK_ERROR, "META", ERR_REGISTRY_METADATA, list,
		    "%s", err);
	else if (validate_submission(&l, &vo, &errs) < 0)
		r->nomem = 1;
	else
		from_errors(&errs, "META", list, r);
	rim_errors_free(&errs);
	rim_list_free(&l);
}

struct ids {
	const char	*v[1024];
	size_t		 n;
	int		 more;
};

static void
collect_id(xmlNode *n, void *arg)
{
	struct ids *ids = arg;
	const char *id = xml_attr(n, "id");

	if (id == NULL)
		return;
	if (ids->n < sizeof ids->v / sizeof ids->v[0])
		ids->v[ids->n++] = id;
	else
		ids->more = 1;
}

static int
has_id(const struct ids *ids, const char *id)
{
	size_t i;

	for (i = 0; i < ids->n; i++)
		if (strcmp(ids->v[i], id) == 0)
			return 1;
	return ids->more;
}

/* ITI-41: one xdsb:Document per DocumentEntry and the other way round
 * (ITI TF-2b 3.41.4.1.3). */
static void
pnr_documents(xmlNode *pnr, xmlNode *sor, struct chk_report *r)
{
	struct ids de = { { 0 }, 0, 0 }, doc = { { 0 }, 0, 0 };
	xmlNode *d;
	size_t i;

	chk_walk(sor, NS_RIM, "ExtrinsicObject", collect_id, &de);
	for (d = xml_first_elem(pnr); d != NULL; d = xml_next_elem(d))
		if (xml_is(d, NS_XDSB, "Document"))
			collect_id(d, &doc);
	for (i = 0; i < de.n; i++)
		if (!has_id(&doc, de.v[i]))
			chk_addn(r, CHK_ERROR, "PNR-DOC", ERR_MISSING_DOCUMENT,
			    pnr, "DocumentEntry %s has no xdsb:Document",
			    de.v[i]);
	for (i = 0; i < doc.n; i++)
		if (!has_id(&de, doc.v[i]))
			chk_addn(r, CHK_ERROR, "PNR-DOC",
			    ERR_MISSING_DOCUMENT_METADATA, pnr,
			    "xdsb:Document %s has no DocumentEntry", doc.v[i]);
}

/* rs:RegistryResponse or one that extends it (AdhocQueryResponse). */
static void
response(const struct chk_txn *t, xmlNode *rsp, struct chk_report *r)
{
	const char *st = xml_attr(rsp, "status"), *sev, *code;
	xmlNode *el, *e;
	size_t nerr = 0, nall = 0;

	if (st == NULL || (strcmp(st, ST_SUCCESS) != 0 &&
	    strcmp(st, ST_FAILURE) != 0 && strcmp(st, ST_PARTIAL) != 0)) {
		chk_addn(r, CHK_ERROR, "RSP-STATUS", NULL, rsp,
		    "status %s is none of Success, Failure, PartialSuccess",
		    st != NULL ? st : "(absent)");
		return;
	}
	el = xml_child(rsp, NS_RS, "RegistryErrorList");
	for (e = el != NULL ? xml_first_elem(el) : NULL; e != NULL;
	    e = xml_next_elem(e)) {
		if (!xml_is(e, NS_RS, "RegistryError"))
			continue;
		nall++;
		code = xml_attr(e, "errorCode");
		sev = xml_attr(e, "severity");
		if (code == NULL || code[0] == '\0')
			chk_addn(r, CHK_ERROR, "RSP-ERROR", NULL, e,
			    "RegistryError without errorCode");
		if (sev == NULL || (strcmp(sev, SEV_ERROR) != 0 &&
		    strcmp(sev, SEV_WARNING) != 0))
			chk_addn(r, CHK_ERROR, "RSP-ERROR", NULL, e,
			    "severity %s is neither Error nor Warning",
			    sev != NULL ? sev : "(absent)");
		else if (strcmp(sev, SEV_ERROR) == 0) {
			nerr++;
			if (strcmp(st, ST_SUCCESS) == 0)
				chk_addn(r, CHK_ERROR, "RSP-ERRLIST", code, e,
				    "status Success with an error of severity "
				    "Error");
		}
		if (is_xca(t) && strcmp(st, ST_SUCCESS) != 0 &&
		    xml_attr(e, "location") == NULL)
			chk_addn(r, CHK_WARNING, "XCA-HOME", NULL, e,
			    "an XCA error without location (the community "
			    "it comes from)");
	}
	if (el != NULL && nall == 0)
		chk_addn(r, CHK_ERROR, "RSP-ERRLIST", NULL, el,
		    "an empty RegistryErrorList");
	if (strcmp(st, ST_SUCCESS) != 0 && nerr == 0)
		chk_addn(r, CHK_ERROR, "RSP-ERRLIST", NULL, rsp,
		    "status %s without a RegistryError of severity Error",
		    strcmp(st, ST_FAILURE) == 0 ? "Failure" : "PartialSuccess");
}

struct objs {
	const struct chk_txn *t;
	struct chk_report *r;
};

/* An object of a query answer (ITI TF-2a 3.18.4.1.3, ITI TF-2b 3.38). */
static void
answer_object(xmlNode *o, struct chk_report *r, const struct chk_txn *t)
{
	const char *ot;

	if (is_xca(t) && (xml_is(o, NS_RIM, "ExtrinsicObject") ||
	    xml_is(o, NS_RIM, "RegistryPackage") ||
	    xml_is(o, NS_RIM, "ObjectRef")) && xml_attr(o, "home") == NULL)
		chk_addn(r, CHK_ERROR, "XCA-HOME", ERR_MISSING_HOME, o,
		    "%s %s without home", (const char *)o->name,
		    xml_attr(o, "id") ? xml_attr(o, "id") : "");
	if (!xml_is(o, NS_RIM, "ExtrinsicObject"))
		return;
	ot = xml_attr(o, "objectType");
	if (ot == NULL || (strcmp(ot, OT_DE_STABLE) != 0 &&
	    strcmp(ot, OT_DE_ONDEMAND) != 0))
		chk_addn(r, CHK_ERROR, "RSP-OBJECT", ERR_REGISTRY_METADATA, o,
		    "DocumentEntry objectType %s is neither stable nor "
		    "on-demand", ot != NULL ? ot : "(absent)");
	if (xml_attr(o, "status") == NULL)
		chk_addn(r, CHK_ERROR, "RSP-OBJECT", ERR_REGISTRY_METADATA, o,
		    "DocumentEntry without status");
}

static void
query_answer(const struct chk_txn *t, xmlNode *body, struct chk_report *r)
{
	xmlNode *list, *o;

	response(t, body, r);
	if ((list = xml_child(body, NS_RIM, "RegistryObjectList")) == NULL)
		return;
	for (o = xml_first_elem(list); o != NULL; o = xml_next_elem(o))
		answer_object(o, r, t);
}

/* The child {ns}name of n must have text. */
static void
need(xmlNode *n, const char *ns, const char *name, const char *rule,
    const char *code, struct chk_report *r)
{
	char v[1024];

	if (xml_child_text(n, ns, name, v, sizeof v) != 0)
		chk_addn(r, CHK_ERROR, rule, code, n, "%s longer than %zu bytes",
		    name, sizeof v - 1);
	else if (v[0] == '\0')
		chk_addn(r, CHK_ERROR, rule, code, n, "no %s", name);
}

/* xdsb:DocumentRequest of ITI-43, ITI-39, RAD-69, RAD-75. */
static void
doc_requests(const struct chk_txn *t, xmlNode *parent, size_t *n,
    struct chk_report *r)
{
	xmlNode *d;

	for (d = xml_first_elem(parent); d != NULL; d = xml_next_elem(d)) {
		if (!xml_is(d, NS_XDSB, "DocumentRequest"))
			continue;
		(*n)++;
		if (is_xca(t))
			need(d, NS_XDSB, "HomeCommunityId", "XCA-HOME",
			    ERR_MISSING_HOME, r);
		need(d, NS_XDSB, "RepositoryUniqueId", "RET-REQ",
		    ERR_UNKNOWN_REPOSITORY_ID, r);
		need(d, NS_XDSB, "DocumentUniqueId", "RET-REQ",
		    ERR_DOCUMENT_UNIQUEID, r);
	}
}

static void
uid_attr(xmlNode *n, const char *attr, struct chk_report *r)
{
	const char *v = xml_attr(n, attr);

	if (v == NULL || !dcmshim_uid_valid(v))
		chk_addn(r, CHK_ERROR, "RAD-REQ", NULL, n,
		    "%s %s is not a DICOM UID", attr, v != NULL ? v :
		    "(absent)");
}

/* RAD-69 / RAD-75 (RAD TF-3 4.69.4.1.2). */
static void
imaging_request(const struct chk_txn *t, xmlNode *body, struct chk_report *r)
{
	xmlNode *st, *se, *tl, *ts;
	size_t ndocs = 0, nts = 0, nstudies = 0;
	char v[128];

	for (st = xml_first_elem(body); st != NULL; st = xml_next_elem(st)) {
		if (!xml_is(st, NS_XDSI, "StudyRequest"))
			continue;
		nstudies++;
		uid_attr(st, "studyInstanceUID", r);
		for (se = xml_first_elem(st); se != NULL;
		    se = xml_next_elem(se)) {
			if (!xml_is(se, NS_XDSI, "SeriesRequest"))
				continue;
			uid_attr(se, "seriesInstanceUID", r);
			doc_requests(t, se, &ndocs, r);
		}
	}
	if (nstudies == 0 || ndocs == 0)
		chk_addn(r, CHK_ERROR, "RAD-REQ", NULL, body,
		    "no StudyRequest/SeriesRequest/DocumentRequest");
	if ((tl = xml_child(body, NS_XDSI, "TransferSyntaxUIDList")) != NULL)
		for (ts = xml_first_elem(tl); ts != NULL;
		    ts = xml_next_elem(ts)) {
			if (!xml_is(ts, NS_XDSI, "TransferSyntaxUID"))
				continue;
			nts++;
			if (xml_text(ts, v, sizeof v) != 0 ||
			    !dcmshim_uid_valid(v))
				chk_addn(r, CHK_ERROR, "RAD-REQ", NULL, ts,
				    "not a transfer syntax UID");
		}
	if (nts == 0)
		chk_addn(r, CHK_ERROR, "RAD-REQ", NULL, body,
		    "no TransferSyntaxUID");
}

static void
retrieve_answer(const struct chk_txn *t, xmlNode *body, struct chk_report *r)
{
	xmlNode *rs, *d;

	if ((rs = xml_child(body, NS_RS, "RegistryResponse")) == NULL) {
		chk_addn(r, CHK_ERROR, "RET-RSP", NULL, body,
		    "no rs:RegistryResponse");
		return;
	}
	response(t, rs, r);
	for (d = xml_first_elem(body); d != NULL; d = xml_next_elem(d)) {
		if (!xml_is(d, NS_XDSB, "DocumentResponse"))
			continue;
		if (is_xca(t))
			need(d, NS_XDSB, "HomeCommunityId", "XCA-HOME",
			    ERR_MISSING_HOME, r);
		need(d, NS_XDSB, "RepositoryUniqueId", "RET-RSP", NULL, r);
		need(d, NS_XDSB, "DocumentUniqueId", "RET-RSP", NULL, r);
		need(d, NS_XDSB, "mimeType", "RET-RSP", NULL, r);
		if (xml_child(d, NS_XDSB, "Document") == NULL)
			chk_addn(r, CHK_ERROR, "RET-RSP", NULL, d,
			    "no Document");
	}
}

/* ITI-62 (ITI TF-2b 3.62.4.1.2): the references, no query. */
static void
remove_request(xmlNode *body, struct chk_report *r)
{
	xmlNode *l = xml_child(body, NS_RIM, "ObjectRefList"), *o;
	size_t n = 0;

	for (o = l != NULL ? xml_first_elem(l) : NULL; o != NULL;
	    o = xml_next_elem(o))
		if (xml_is(o, NS_RIM, "ObjectRef")) {
			n++;
			if (xml_attr(o, "id") == NULL)
				chk_addn(r, CHK_ERROR, "DEL-REQ",
				    ERR_REGISTRY_METADATA, o,
				    "ObjectRef without id");
		}
	if (n == 0)
		chk_addn(r, CHK_ERROR, "DEL-REQ", ERR_REGISTRY_METADATA, body,
		    "no rim:ObjectRef in rim:ObjectRefList");
	if (xml_child(body, NS_RIM, "AdhocQuery") != NULL)
		chk_addn(r, CHK_ERROR, "DEL-REQ", ERR_REGISTRY_METADATA, body,
		    "an AdhocQuery: ITI-62 names the objects");
}

void
chk_meta(const struct chk_txn *t, xmlNode *body, const struct chk_opts *o,
    struct chk_report *r)
{
	struct rim_errors errs;
	xmlNode *sor;
	size_t n = 0;

	if (xml_is(body, NS_LCM, "SubmitObjectsRequest"))
		submission(body, 0, strcmp(t->kind, "ITI-57") == 0, o, r);
	else if (xml_is(body, NS_XDSB, "ProvideAndRegisterDocumentSetRequest")) {
		if ((sor = xml_child(body, NS_LCM, "SubmitObjectsRequest")) ==
		    NULL)
			chk_addn(r, CHK_ERROR, "PNR-DOC",
			    ERR_MISSING_DOCUMENT_METADATA, body,
			    "no lcm:SubmitObjectsRequest");
		else {
			submission(sor, 1, 0, o, r);
			pnr_documents(body, sor, r);
		}
	} else if (xml_is(body, NS_QUERY, "AdhocQueryRequest")) {
		rim_errors_init(&errs);
		if (query_check(body, &errs) != XDS_OK)
			r->nomem = 1;
		from_errors(&errs, "SQ", body, r);
		rim_errors_free(&errs);
	} else if (xml_is(body, NS_QUERY, "AdhocQueryResponse"))
		query_answer(t, body, r);
	else if (xml_is(body, NS_RS, "RegistryResponse"))
		response(t, body, r);
	else if (xml_is(body, NS_XDSB, "RetrieveDocumentSetRequest")) {
		doc_requests(t, body, &n, r);
		if (n == 0)
			chk_addn(r, CHK_ERROR, "RET-REQ", NULL, body,
			    "no DocumentRequest");
	} else if (xml_is(body, NS_XDSB, "RetrieveDocumentSetResponse"))
		retrieve_answer(t, body, r);
	else if (xml_is(body, NS_XDSI, "RetrieveImagingDocumentSetRequest"))
		imaging_request(t, body, r);
	else if (xml_is(body, NS_LCM, "RemoveObjectsRequest"))
		remove_request(body, r);
	else if (xml_is(body, NS_RMD, "RemoveDocumentsRequest")) {
		/* ITI-86: the documents, as a retrieve names them */
		doc_requests(t, body, &n, r);
		if (n == 0)
			chk_addn(r, CHK_ERROR, "RMD-REQ", NULL, body,
			    "no DocumentRequest");
	}
}
