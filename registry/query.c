/*
 * query.c: ITI-18 Registry Stored Query (stub: every query answers
 * Failure XDSRegistryError until the real implementation lands).
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "query.h"
#include "vocab.h"
#include "xact.h"

static const struct {
	const char	*name;
	const char	*id;
} query_names[] = {
	{ "FindDocuments",		SQ_FINDDOCUMENTS },
	{ "FindSubmissionSets",		SQ_FINDSUBMISSIONSETS },
	{ "FindFolders",		SQ_FINDFOLDERS },
	{ "GetAll",			SQ_GETALL },
	{ "GetDocuments",		SQ_GETDOCUMENTS },
	{ "GetFolders",			SQ_GETFOLDERS },
	{ "GetAssociations",		SQ_GETASSOCIATIONS },
	{ "GetDocumentsAndAssociations", SQ_GETDOCSANDASSOCS },
	{ "GetSubmissionSets",		SQ_GETSUBMISSIONSETS },
	{ "GetSubmissionSetAndContents", SQ_GETSSANDCONTENTS },
	{ "GetFolderAndContents",	SQ_GETFOLDERANDCONTENTS },
	{ "GetFoldersForDocument",	SQ_GETFOLDERSFORDOC },
	{ "GetRelatedDocuments",	SQ_GETRELATEDDOCS },
	{ "FindDocumentsByReferenceId",	SQ_FINDDOCSBYREFID },
};

const char *
query_id_by_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof query_names /
	    sizeof query_names[0]; i++)
		if (strcmp(query_names[i].name, name) == 0)
			return query_names[i].id;
	return NULL;
}

const char *
query_name_by_id(const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < sizeof query_names /
	    sizeof query_names[0]; i++)
		if (strcmp(query_names[i].id, id) == 0)
			return query_names[i].name;
	return NULL;
}

int
query_run(sqlite3 *db, xmlNode *req, const struct query_opts *o,
    struct buf *out, struct xact *x)
{
	struct rim_errors errs;
	int rc = -1;

	(void)db;
	(void)req;
	(void)o;
	rim_errors_init(&errs);
	if (rim_errors_add(&errs, 0, ERR_REGISTRY, NULL,
	    "stored query not implemented yet") != 0)
		goto fail;
	if (buf_addf(out, "<query:AdhocQueryResponse xmlns:query=\"%s\" "
	    "xmlns:rim=\"%s\" status=\"%s\"><rim:RegistryObjectList/>",
	    NS_QUERY, NS_RIM, ST_FAILURE) != BUF_OK ||
	    rim_write_error_list(out, &errs) != 0 ||
	    buf_adds(out, "</query:AdhocQueryResponse>") != BUF_OK)
		goto fail;
	xact_add_error(x, ERR_REGISTRY);
	rc = 0;
fail:
	if (rc != 0)
		xact_fail(x, XACT_FAULT, "query response too large");
	rim_errors_free(&errs);
	return rc;
}
