/*
 * repo_iti43.c: ITI-43 Retrieve Document Set (ITI TF-2b 3.43).
 *
 * Every DocumentRequest is answered by one DocumentResponse or one
 * RegistryError: a foreign RepositoryUniqueId is XDSUnknownRepositoryId,
 * an unknown DocumentUniqueId XDSDocumentUniqueIdError, a registered one
 * whose stored bytes are gone or not the size and SHA-256 recorded
 * XDSRepositoryError.  Status: Success when all were found,
 * PartialSuccess when some, Failure when none.  The documents leave as
 * MTOM parts streamed from the blob files by soap_serve (reply->att
 * holds their paths; large ones marked to be checked as they are sent).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebrim.h"
#include "log.h"
#include "repository_int.h"
#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

/* xdsb:DocumentRequest is a sequence: HomeCommunityId?,
 * RepositoryUniqueId, DocumentUniqueId (ITI TF-2 3.43.4.1.2). */
static int
dreq_order_ok(xmlNode *req)
{
	static const char *const seq[] = { "HomeCommunityId",
	    "RepositoryUniqueId", "DocumentUniqueId" };
	xmlNode *c;
	size_t i = 0;

	for (c = xml_first_elem(req); c != NULL; c = xml_next_elem(c)) {
		while (i < 3 && !xml_is(c, NS_XDSB, seq[i]))
			i++;
		if (i == 3)
			return 0;	/* out of order, twice, or unknown */
		i++;
	}
	return i == 3;		/* ended with DocumentUniqueId */
}

int
repo_dreq_read(xmlNode *n, struct repo_dreq *q)
{
	if (!dreq_order_ok(n))
		return -1;
	if (xml_child_text(n, NS_XDSB, "HomeCommunityId", q->home,
	    sizeof q->home) != 0 || xml_child_text(n, NS_XDSB,
	    "RepositoryUniqueId", q->repo, sizeof q->repo) != 0 ||
	    xml_child_text(n, NS_XDSB, "DocumentUniqueId", q->uid,
	    sizeof q->uid) != 0)
		return -2;
	return 0;
}

static int
write_response(struct buf *b, const struct repo_dreq *q,
    const struct repo_doc *d, const char *cid)
{
	if (buf_adds(b, "<xdsb:DocumentResponse>") != XDS_OK)
		return -1;
	if (q->home[0] != '\0' &&
	    (buf_adds(b, "<xdsb:HomeCommunityId>") != XDS_OK ||
	    buf_add_xml(b, q->home) != XDS_OK ||
	    buf_adds(b, "</xdsb:HomeCommunityId>") != XDS_OK))
		return -1;
	if (buf_adds(b, "<xdsb:RepositoryUniqueId>") != XDS_OK ||
	    buf_add_xml(b, q->repo) != XDS_OK ||
	    buf_adds(b, "</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>") !=
	    XDS_OK ||
	    buf_add_xml(b, q->uid) != XDS_OK ||
	    buf_adds(b, "</xdsb:DocumentUniqueId><xdsb:mimeType>") != XDS_OK ||
	    buf_add_xml(b, d->mime_type) != XDS_OK ||
	    buf_adds(b, "</xdsb:mimeType><xdsb:Document><xop:Include xmlns:xop=\""
	    NS_XOP "\" href=\"cid:") != XDS_OK ||
	    buf_add_xml(b, cid) != XDS_OK ||
	    buf_adds(b, "\"/></xdsb:Document></xdsb:DocumentResponse>") !=
	    XDS_OK)
		return -1;
	return 0;
}

/*
 * Whether the stored bytes of d are what was recorded for them: 1 when
 * they may be answered with (a->path set; a->verify when they are
 * checked only as they are sent), 0 when not (the error recorded), -1
 * out of memory.  A document up to repository.verify_first_max is read
 * and hashed here, so that a damaged one is an error of this request
 * and not a response cut off; a larger one costs one fstat here (a
 * truncated blob is an error too) and its hash is checked by the MTOM
 * writer before its last bytes leave (docs/design.md, Repository).
 */
static int
check_blob(struct repository *r, struct xact *x, struct rim_errors *errs,
    const struct repo_doc *d, struct mtom_attachment *a)
{
	char err[256];
	off_t size;
	int fd, rc;

	if (blobstore_path(r->bs, d->sha256, a->path, sizeof a->path) !=
	    XDS_OK)
		rc = XDS_EINVAL;
	else if (d->size <= r->verify_first_max)
		rc = blobstore_verify(r->bs, d->sha256, d->size, err,
		    sizeof err);
	else if ((rc = blobstore_get(r->bs, d->sha256, &fd, &size, err,
	    sizeof err)) == XDS_OK) {
		close(fd);
		if (size != d->size) {
			str_fmt(err, sizeof err, "holds %lld bytes, %lld "
			    "recorded", (long long)size, (long long)d->size);
			rc = BLOB_DAMAGED;
		}
		a->verify = 1;
	}
	if (rc == XDS_OK)
		return 1;
	/* registered and committed, but its bytes are gone or not those
	 * recorded: the store is damaged, which is the repository's
	 * failure, not an unknown id */
	if (rc == BLOB_DAMAGED) {
		atomic_fetch_add(&r->damaged, 1);
		log_error("repository: ITI-43: %s: stored bytes %.16s... are "
		    "damaged: %s", d->unique_id, d->sha256, err);
		return rim_error(errs, x, ERR_REPOSITORY, "document %.200s is "
		    "registered here but its stored bytes are damaged",
		    d->unique_id) == XDS_OK ? 0 : -1;
	}
	if (rc == XDS_ENOTFOUND || rc == XDS_EINVAL) {
		atomic_fetch_add(&r->missing, 1);
		log_error("repository: ITI-43: %s is registered but its "
		    "stored bytes (%.16s...) are missing", d->unique_id,
		    d->sha256);
		return rim_error(errs, x, ERR_REPOSITORY, "document %.200s is "
		    "registered here but its stored bytes are missing",
		    d->unique_id) == XDS_OK ? 0 : -1;
	}
	log_error("repository: ITI-43: %s: stored bytes %.16s... cannot be "
	    "read: %s", d->unique_id, d->sha256, err);
	return rim_error(errs, x, ERR_REPOSITORY, "document %.200s cannot "
	    "be read from this repository's store", d->unique_id) == XDS_OK ?
	    0 : -1;
}

/*
 * One DocumentRequest n (the nreq-th of the message): its document
 * becomes attachment a and a DocumentResponse in docs (1), or an error
 * in errs (0).  -1: out of memory; -2: the database failed (x->reason).
 */
static int
one_request(struct repository *r, struct xact *x, xmlNode *n, size_t nreq,
    struct rim_errors *errs, struct buf *docs, struct mtom_attachment *a)
{
	struct repo_dreq q;
	struct repo_doc d;
	char err[256], rnd[SOAP_UUID_LEN];
	int rc;

	if ((rc = repo_dreq_read(n, &q)) == -1)
		return rim_error(errs, x, ERR_REPOSITORY, "DocumentRequest "
		    "%zu: not HomeCommunityId?, RepositoryUniqueId, "
		    "DocumentUniqueId in this order (ITI TF-2 3.43.4.1.2)",
		    nreq) == XDS_OK ? 0 : -1;
	if (rc != 0)
		return rim_error(errs, x, ERR_REPOSITORY_METADATA,
		    "DocumentRequest %zu: value too long", nreq) == XDS_OK ?
		    0 : -1;
	if (strcmp(q.repo, r->unique_id) != 0) {
		xact_add_error(x, ERR_UNKNOWN_REPOSITORY_ID);
		return rim_errors_add(errs, 0, ERR_UNKNOWN_REPOSITORY_ID,
		    q.repo, "repository %.200s is not this one (%s)",
		    q.repo[0] != '\0' ? q.repo : "(none)", r->unique_id) ==
		    XDS_ENOMEM ? -1 : 0;
	}
	if (x->object[0] == '\0')
		xact_set_object(x, q.uid);
	if ((rc = repo_db_get(r->db, q.uid, &d, err, sizeof err)) != XDS_OK &&
	    rc != XDS_ENOTFOUND) {
		log_warnx("repository: ITI-43: %s", err);
		str_fmt(x->reason, sizeof x->reason,
		    "repository database unavailable");
		return -2;
	}
	/* a pending row's registration is not known to have happened: it
	 * is reconciled, not served */
	if (rc == XDS_ENOTFOUND || !d.committed)
		return rim_error(errs, x, ERR_DOCUMENT_UNIQUEID, "document "
		    "%.200s is not in this repository", q.uid[0] != '\0' ?
		    q.uid : "(none)") == XDS_OK ? 0 : -1;
	if ((rc = check_blob(r, x, errs, &d, a)) != 1)
		return rc;
	if (soap_uuid(rnd, sizeof rnd) != 0 ||
	    str_fmt(a->cid, sizeof a->cid, "%s@xdsnode", rnd + 9) < 0)
		return -1;
	str_lcpy(a->content_type, d.mime_type[0] != '\0' ? d.mime_type :
	    "application/octet-stream", sizeof a->content_type);
	a->size = d.size;
	str_lcpy(a->sha1, d.sha1, sizeof a->sha1);
	str_lcpy(a->sha256, d.sha256, sizeof a->sha256);
	return write_response(docs, &q, &d, a->cid) != 0 ? -1 : 1;
}

/* The RetrieveDocumentSetResponse: status from what was found. */
static int
write_answer(struct buf *out, struct xact *x, const struct rim_errors *errs,
    const struct buf *docs, size_t nfound)
{
	const char *status;

	if (nfound == 0)
		status = ST_FAILURE;
	else if (rim_errors_nerror(errs) > 0) {
		status = ST_PARTIAL;
		x->outcome = XACT_PARTIAL;
	} else
		status = ST_SUCCESS;
	return rim_write_retrieve_response(out, status, errs, docs) ==
	    XDS_OK ? 0 : -1;
}

int
repo_iti43(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct repository *r = actor;
	struct rim_errors errs;
	struct buf docs;
	struct mtom_attachment *att = NULL;
	xmlNode *n;
	size_t nreq = 0, nfound = 0;
	int rc, ret = -1;

	rim_errors_init(&errs);
	buf_init(&docs, 16 * 1024 * 1024);
	if ((att = calloc(REPO_MAX_DOCUMENTS, sizeof *att)) == NULL)
		goto nomem;
	for (n = xml_first_elem(req->body); n != NULL; n = xml_next_elem(n)) {
		if (!xml_is(n, NS_XDSB, "DocumentRequest"))
			continue;
		if (++nreq > REPO_MAX_DOCUMENTS) {
			str_fmt(x->reason, sizeof x->reason, "more than %d "
			    "DocumentRequests", REPO_MAX_DOCUMENTS);
			goto out;
		}
		if ((rc = one_request(r, x, n, nreq, &errs, &docs,
		    &att[nfound])) == -1)
			goto nomem;
		if (rc == -2)
			goto out;
		if (rc == 1)
			nfound++;
	}
	if (nreq == 0 && rim_error(&errs, x, ERR_REPOSITORY_METADATA,
	    "RetrieveDocumentSetRequest without DocumentRequest") != XDS_OK)
		goto nomem;
	if (write_answer(&reply->body, x, &errs, &docs, nfound) != 0)
		goto nomem;
	if (nfound > 0) {
		reply->att = att;
		reply->natt = nfound;
		att = NULL;
	}
	ret = 0;
	goto out;
nomem:
	str_fmt(x->reason, sizeof x->reason, "repository: out of memory");
out:
	free(att);
	buf_free(&docs);
	rim_errors_free(&errs);
	return ret;
}
