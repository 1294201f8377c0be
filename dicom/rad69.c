/*
 * rad69.c: RAD-69 Retrieve Imaging Document Set at /xdsi/source, the
 * Imaging Document Source side of XDS-I.b (ihe-reference.md 1.14).
 *
 * The instances come from the bridge's own store, state_dir/dicom/
 * <study>/<series>/<sop>.dcm, as MTOM parts of an ITI-43 shaped answer.
 * Every DocumentRequest is answered by one DocumentResponse or one
 * RegistryError:
 *	RepositoryUniqueId not ours		XDSUnknownRepositoryId
 *	no such instance in that series/study	XDSDocumentUniqueIdError
 *	(empty or invalid UIDs included)
 *	its transfer syntax not in the request	XDSRepositoryError
 * Success when all were found, PartialSuccess when some, Failure when
 * none.  The study and series UIDs are read from the attributes
 * (studyInstanceUID, seriesInstanceUID) or, as some consumers send them,
 * from child elements StudyInstanceUID / SeriesInstanceUID.  Instances
 * leave in the transfer syntax they were received in: no transcoding yet.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actor.h"
#include "bridge.h"
#include "buf.h"
#include "conf.h"
#include "ebrim.h"
#include "log.h"
#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define RAD69_MAX_DOCS	1000		/* DocumentRequests per request */
#define RAD69_MAX_TS	32		/* TransferSyntaxUIDs read */
#define RAD69_MAX_BODY	(16UL * 1024 * 1024)
#define PATH_SZ		1024
#define ID_MAX		256

struct bridge_ids {
	char			 root[PATH_SZ];		/* state_dir/dicom */
	char			 repo_uid[128];		/* Retrieve Location UID */
	struct soap_route	 route;
	struct soap_endpoint	 ep;
};

struct rq {
	struct bridge_ids	*ids;
	struct xact		*x;
	struct rim_errors	 errs;
	struct buf		 docs;
	struct soap_attachment	*att;
	size_t			 nreq, nfound;
	char			 ts[RAD69_MAX_TS][DCMSHIM_UI_SZ];
	size_t			 nts;
};

static int
text_child(xmlNode *n, const char *ns, const char *name, char *out,
    size_t outsz)
{
	xmlNode *c;

	out[0] = '\0';
	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, ns, name)) {
			if (xml_text(c, out, outsz) != 0)
				return -1;
			str_trim(out);
			return 0;
		}
	return 0;
}

/* The UID of a Study/SeriesRequest: attribute, else child element. */
static int
uid_of(xmlNode *n, const char *attr, const char *elem, char *out,
    size_t outsz)
{
	const char *v;

	if ((v = xml_attr(n, attr)) != NULL) {
		if (str_lcpy(out, v, outsz) >= outsz)
			return -1;
		str_trim(out);
		return 0;
	}
	return text_child(n, NS_XDSI, elem, out, outsz);
}

static int
fail_doc(struct rq *q, const char *code, const char *location,
    const char *what, const char *study, const char *series, const char *sop)
{
	xact_add_error(q->x, code);
	return rim_errors_add(&q->errs, 0, code, location, "%s: %.64s/%.64s/"
	    "%.64s", what, study[0] ? study : "(none)", series[0] ? series :
	    "(none)", sop[0] ? sop : "(none)");
}

static int
ts_wanted(const struct rq *q, const char *ts)
{
	size_t i;

	for (i = 0; i < q->nts; i++)
		if (strcmp(q->ts[i], ts) == 0)
			return 1;
	return 0;
}

/* One DocumentRequest of series/study.  -1: out of memory. */
static int
one(struct rq *q, xmlNode *dr, const char *study, const char *series)
{
	struct soap_attachment *a = &q->att[q->nfound];
	struct dcmshim_info in;
	struct stat sb;
	char repo[ID_MAX], sop[ID_MAX], rnd[SOAP_UUID_LEN], e[256];

	if (text_child(dr, NS_XDSB, "RepositoryUniqueId", repo, sizeof repo)
	    != 0 || text_child(dr, NS_XDSB, "DocumentUniqueId", sop,
	    sizeof sop) != 0)
		return fail_doc(q, ERR_DOCUMENT_UNIQUEID, NULL,
		    "value too long", study, series, "");
	if (strcmp(repo, q->ids->repo_uid) != 0) {
		xact_add_error(q->x, ERR_UNKNOWN_REPOSITORY_ID);
		return rim_errors_add(&q->errs, 0, ERR_UNKNOWN_REPOSITORY_ID,
		    repo, "repository %.100s is not this Imaging Document "
		    "Source (%s)", repo[0] ? repo : "(none)",
		    q->ids->repo_uid);
	}
	if (q->x->object[0] == '\0')
		xact_set_object(q->x, sop);
	/* digits and dots only: safe as path components */
	if (!dcmshim_uid_valid(study) || !dcmshim_uid_valid(series) ||
	    !dcmshim_uid_valid(sop) ||
	    str_fmt(a->path, sizeof a->path, "%s/%s/%s/%s.dcm", q->ids->root,
	    study, series, sop) < 0 || stat(a->path, &sb) != 0 ||
	    !S_ISREG(sb.st_mode))
		return fail_doc(q, ERR_DOCUMENT_UNIQUEID, NULL,
		    "No document matching composite UID", study, series, sop);
	if (dcmshim_parse_file(a->path, &in, e, sizeof e) != 0) {
		log_warnx("dicom: RAD-69: %s: %s", a->path, e);
		return fail_doc(q, ERR_REPOSITORY, NULL, "the stored instance "
		    "cannot be read", study, series, sop);
	}
	if (!ts_wanted(q, in.transfer_syntax)) {
		xact_add_error(q->x, ERR_REPOSITORY);
		return rim_errors_add(&q->errs, 0, ERR_REPOSITORY, NULL,
		    "IDS cannot encode the pixel data using any of the "
		    "requested transfer syntaxes (%.64s is stored as %s)", sop,
		    in.transfer_syntax);
	}
	if (soap_uuid(rnd, sizeof rnd) != 0 ||
	    str_fmt(a->cid, sizeof a->cid, "%s@xdsnode", rnd + 9) < 0)
		return -1;
	str_lcpy(a->content_type, "application/dicom", sizeof a->content_type);
	a->size = sb.st_size;
	if (buf_adds(&q->docs, "<xdsb:DocumentResponse>"
	    "<xdsb:RepositoryUniqueId>") != BUF_OK ||
	    buf_add_xml(&q->docs, repo) != BUF_OK ||
	    buf_adds(&q->docs, "</xdsb:RepositoryUniqueId>"
	    "<xdsb:DocumentUniqueId>") != BUF_OK ||
	    buf_add_xml(&q->docs, sop) != BUF_OK ||
	    buf_adds(&q->docs, "</xdsb:DocumentUniqueId><xdsb:mimeType>"
	    "application/dicom</xdsb:mimeType><xdsb:Document><xop:Include "
	    "xmlns:xop=\"" NS_XOP "\" href=\"cid:") != BUF_OK ||
	    buf_add_xml(&q->docs, a->cid) != BUF_OK ||
	    buf_adds(&q->docs, "\"/></xdsb:Document></xdsb:DocumentResponse>")
	    != BUF_OK)
		return -1;
	q->nfound++;
	return 0;
}

/* The TransferSyntaxUIDList: transfer syntaxes DICOM defines only (an
 * unknown one can never be served: XDSRepositoryError). */
static void
read_ts(struct rq *q, xmlNode *body)
{
	xmlNode *l, *t;
	char v[ID_MAX];

	for (l = xml_first_elem(body); l != NULL; l = xml_next_elem(l)) {
		if (!xml_is(l, NS_XDSI, "TransferSyntaxUIDList"))
			continue;
		for (t = xml_first_elem(l); t != NULL; t = xml_next_elem(t))
			if (xml_is(t, NS_XDSI, "TransferSyntaxUID") &&
			    q->nts < RAD69_MAX_TS &&
			    xml_text(t, v, sizeof v) == 0 &&
			    dcmshim_ts_known(str_trim(v)))
				str_lcpy(q->ts[q->nts++], v, DCMSHIM_UI_SZ);
	}
}

static int
rad69(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct rq q;
	xmlNode *st, *se, *dr;
	char study[ID_MAX], series[ID_MAX];
	const char *status;
	int ret = -1;

	memset(&q, 0, sizeof q);
	q.ids = actor;
	q.x = x;
	rim_errors_init(&q.errs);
	buf_init(&q.docs, RAD69_MAX_BODY);
	if ((q.att = calloc(RAD69_MAX_DOCS, sizeof *q.att)) == NULL)
		goto nomem;
	read_ts(&q, req->body);
	for (st = xml_first_elem(req->body); st != NULL;
	    st = xml_next_elem(st)) {
		if (!xml_is(st, NS_XDSI, "StudyRequest"))
			continue;
		if (uid_of(st, "studyInstanceUID", "StudyInstanceUID", study,
		    sizeof study) != 0)
			study[0] = '\0';
		for (se = xml_first_elem(st); se != NULL;
		    se = xml_next_elem(se)) {
			if (!xml_is(se, NS_XDSI, "SeriesRequest"))
				continue;
			if (uid_of(se, "seriesInstanceUID",
			    "SeriesInstanceUID", series, sizeof series) != 0)
				series[0] = '\0';
			for (dr = xml_first_elem(se); dr != NULL;
			    dr = xml_next_elem(dr)) {
				if (!xml_is(dr, NS_XDSB, "DocumentRequest"))
					continue;
				if (++q.nreq > RAD69_MAX_DOCS) {
					str_fmt(x->reason, sizeof x->reason,
					    "more than %d DocumentRequests",
					    RAD69_MAX_DOCS);
					goto out;
				}
				if (q.nts == 0) {
					/* nothing we could send it in */
					if (rim_errors_add(&q.errs, 0,
					    ERR_REPOSITORY, NULL, "no known "
					    "TransferSyntaxUID in the request: "
					    "IDS cannot encode the pixel data "
					    "using any of the requested "
					    "transfer syntaxes") != 0)
						goto nomem;
					xact_add_error(x, ERR_REPOSITORY);
					continue;
				}
				if (one(&q, dr, study, series) != 0)
					goto nomem;
			}
		}
	}
	if (q.nreq == 0) {
		if (rim_errors_add(&q.errs, 0, ERR_DOCUMENT_UNIQUEID, NULL,
		    "RetrieveImagingDocumentSetRequest without "
		    "Study/Series/DocumentRequest") != 0)
			goto nomem;
		xact_add_error(x, ERR_DOCUMENT_UNIQUEID);
	}
	if (q.nfound == 0)
		status = ST_FAILURE;
	else if (rim_errors_nerror(&q.errs) > 0) {
		status = ST_PARTIAL;
		x->outcome = XACT_PARTIAL;
	} else
		status = ST_SUCCESS;
	if (buf_adds(&reply->body, "<xdsb:RetrieveDocumentSetResponse "
	    "xmlns:xdsb=\"" NS_XDSB "\">") != BUF_OK ||
	    rim_write_registry_response(&reply->body, status, &q.errs) != 0 ||
	    (q.docs.b_len > 0 && buf_add(&reply->body, q.docs.b_data,
	    q.docs.b_len) != BUF_OK) ||
	    buf_adds(&reply->body, "</xdsb:RetrieveDocumentSetResponse>") !=
	    BUF_OK)
		goto nomem;
	if (q.nfound > 0) {
		reply->att = q.att;
		reply->natt = q.nfound;
		q.att = NULL;
	}
	ret = 0;
	goto out;
nomem:
	str_fmt(x->reason, sizeof x->reason, "RAD-69: out of memory");
out:
	free(q.att);
	buf_free(&q.docs);
	rim_errors_free(&q.errs);
	return ret;
}

int
bridge_ids_open(const struct conf *cf, struct bridge_ids **out, char *err,
    size_t errlen)
{
	struct bridge_ids *s;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (str_fmt(s->root, sizeof s->root, "%s/dicom", cf->node_state_dir) <
	    0 || str_lcpy(s->repo_uid, cf->dicom_retrieve_location_uid[0] !=
	    '\0' ? cf->dicom_retrieve_location_uid : cf->repository_unique_id,
	    sizeof s->repo_uid) >= sizeof s->repo_uid) {
		str_fmt(err, errlen, "node.state_dir or the Retrieve Location "
		    "UID too long");
		free(s);
		return -1;
	}
	s->route = (struct soap_route){ ACT_RAD69, ACT_RAD69_RSP,
	    TXN_RAD69, NS_XDSI, "RetrieveImagingDocumentSetRequest",
	    PACK_MTOM, rad69 };
	s->ep.path = BRIDGE_IDS_PATH;
	s->ep.routes = &s->route;
	s->ep.nroutes = 1;
	s->ep.actor = s;
	*out = s;
	return 0;
}

void
bridge_ids_close(struct bridge_ids *s)
{
	free(s);
}

const struct soap_endpoint *
bridge_ids_endpoint(struct bridge_ids *s)
{
	return &s->ep;
}
