/*
 * repo_iti86.c: ITI-86 Remove Documents (ITI TF-2 3.86, the Remove
 * Metadata and Documents option): rmd:RemoveDocumentsRequest, a list of
 * xdsb:DocumentRequest like ITI-43's, answered by an rs:RegistryResponse.
 *
 * Each document is judged on its own: a foreign RepositoryUniqueId is
 * XDSUnknownRepositoryId, a DocumentUniqueId this repository does not
 * hold XDSDocumentUniqueIdError.  A document the registry still has a
 * DocumentEntry for (any status) is not removed (XDSRemoveDocumentsError):
 * the Document Administrator removes the metadata first (ITI-62), so
 * that no entry is left naming bytes that are gone; when the registry
 * cannot say, nothing is removed either (docs/design.md, Remove
 * Documents).  A removed document's row goes first (one transaction),
 * then its blob when no other row names the same bytes, under the blob's
 * lock; a crash between the two leaves an orphaned blob that the
 * start-up sweep removes.  Status: Success when all were removed,
 * PartialSuccess when some, Failure when none.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "ebrim.h"
#include "log.h"
#include "repository_int.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

/* An error of the document uid (its location), also on the record. */
static int
doc_error(struct rim_errors *errs, struct xact *x, const char *code,
    const char *uid, const char *fmt, ...)
{
	va_list ap;
	int rc;

	xact_add_error(x, code);
	va_start(ap, fmt);
	rc = rim_errors_vadd(errs, 0, code, uid, fmt, ap);
	va_end(ap);
	return rc == XDS_ENOMEM ? -1 : 0;
}

/* Remove the row of d, then its bytes if no row names them any more:
 * 1 removed, 0 not (the error recorded), -1 out of memory. */
static int
remove_doc(struct repository *r, struct xact *x, struct rim_errors *errs,
    const struct repo_doc *d)
{
	long long refs;
	char err[256];
	int rc;

	blobstore_lock(r->bs, d->sha256);
	rc = repo_db_delete(r->db, d->unique_id, d->sha256, &refs, err,
	    sizeof err);
	if (rc == XDS_OK && refs == 0 && (rc = blobstore_delete(r->bs,
	    d->sha256, err, sizeof err)) != XDS_OK) {
		/* the row is gone, so the document is; the bytes are an
		 * orphan the next start-up sweep removes */
		log_warnx("repository: ITI-86: %s: %s (left to the start-up "
		    "sweep)", d->unique_id, err);
		rc = XDS_OK;
	}
	blobstore_unlock(r->bs, d->sha256);
	if (rc == XDS_OK)
		return 1;
	log_warnx("repository: ITI-86: %s", err);
	return doc_error(errs, x, ERR_REMOVE_DOCUMENTS, d->unique_id,
	    "document %.200s could not be removed: the repository's index "
	    "is unavailable", d->unique_id);
}

/* One DocumentRequest n (the nreq-th): 1 removed, 0 not (an error in
 * errs), -1 out of memory. */
static int
one_request(struct repository *r, struct xact *x, xmlNode *n, size_t nreq,
    struct rim_errors *errs)
{
	struct repo_dreq q;
	struct repo_doc d;
	char err[256];
	int rc;

	if ((rc = repo_dreq_read(n, &q)) != 0)
		return rim_error(errs, x, ERR_REPOSITORY_METADATA,
		    "DocumentRequest %zu: %s", nreq, rc == -1 ? "not "
		    "HomeCommunityId?, RepositoryUniqueId, DocumentUniqueId "
		    "in this order" : "value too long") == XDS_OK ? 0 : -1;
	if (strcmp(q.repo, r->unique_id) != 0)
		return doc_error(errs, x, ERR_UNKNOWN_REPOSITORY_ID, q.uid,
		    "repository %.200s is not this one (%s)", q.repo[0] !=
		    '\0' ? q.repo : "(none)", r->unique_id);
	if (x->object[0] == '\0')
		xact_set_object(x, q.uid);
	if ((rc = repo_db_get(r->db, q.uid, &d, err, sizeof err)) != XDS_OK &&
	    rc != XDS_ENOTFOUND) {
		log_warnx("repository: ITI-86: %s", err);
		return doc_error(errs, x, ERR_REMOVE_DOCUMENTS, q.uid,
		    "document %.200s could not be looked up: the repository's "
		    "index is unavailable", q.uid);
	}
	if (rc == XDS_ENOTFOUND)
		return doc_error(errs, x, ERR_DOCUMENT_UNIQUEID, q.uid,
		    "document %.200s is not in this repository", q.uid[0] !=
		    '\0' ? q.uid : "(none)");
	/* a pending row waits for its registration to be settled
	 * (reconciliation): removing it now could race the registry */
	if (!d.committed)
		return doc_error(errs, x, ERR_REMOVE_DOCUMENTS, q.uid,
		    "document %.200s is still being registered; try again "
		    "later", q.uid);
	rc = registry_client_find(r->rc, q.uid, err, sizeof err);
	if (rc == 1)
		return doc_error(errs, x, ERR_REMOVE_DOCUMENTS, q.uid,
		    "document %.200s still has a DocumentEntry in the "
		    "registry: remove its metadata first (ITI-62)", q.uid);
	if (rc < 0) {
		log_warnx("repository: ITI-86: %s: registry %s cannot tell "
		    "whether it is still registered: %s", q.uid,
		    registry_client_target(r->rc), err);
		return doc_error(errs, x, ERR_REMOVE_DOCUMENTS, q.uid,
		    "document %.200s not removed: the registry could not "
		    "confirm that its metadata is gone", q.uid);
	}
	return remove_doc(r, x, errs, &d);
}

int
repo_iti86(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct repository *r = actor;
	struct rim_errors errs;
	const char *status;
	xmlNode *n;
	size_t nreq = 0, nremoved = 0;
	int rc, ret = -1;

	rim_errors_init(&errs);
	for (n = xml_first_elem(req->body); n != NULL; n = xml_next_elem(n)) {
		if (!xml_is(n, NS_XDSB, "DocumentRequest"))
			continue;
		if (++nreq > REPO_MAX_DOCUMENTS) {
			str_fmt(x->reason, sizeof x->reason, "more than %d "
			    "DocumentRequests", REPO_MAX_DOCUMENTS);
			ret = XDS_ETOOBIG;
			goto out;
		}
		if ((rc = one_request(r, x, n, nreq, &errs)) == -1)
			goto nomem;
		if (rc == 1)
			nremoved++;
	}
	if (nreq == 0 && rim_error(&errs, x, ERR_REPOSITORY_METADATA,
	    "RemoveDocumentsRequest without DocumentRequest") != XDS_OK)
		goto nomem;
	if (nremoved == 0)
		status = ST_FAILURE;
	else if (rim_errors_nerror(&errs) > 0) {
		status = ST_PARTIAL;
		x->outcome = XACT_PARTIAL;
	} else
		status = ST_SUCCESS;
	if (rim_write_registry_response(&reply->body, status, &errs) !=
	    XDS_OK)
		goto nomem;
	log_info("repository: ITI-86 removed %zu of %zu document(s)",
	    nremoved, nreq);
	ret = 0;
	goto out;
nomem:
	str_fmt(x->reason, sizeof x->reason, "repository: out of memory");
out:
	rim_errors_free(&errs);
	return ret;
}
