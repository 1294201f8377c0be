/*
 * query.h: ITI-18 Registry Stored Query over the registry database.
 * (Also serves ITI-38 at the responding gateway later: same queries,
 * with home set on every returned object.)
 */
#ifndef XDS_QUERY_H
#define XDS_QUERY_H

#include <sqlite3.h>
#include <libxml/tree.h>

struct buf;
struct rim_errors;
struct xact;

struct query_opts {
	long long	 max_results;	/* registry.max_results: XDSTooManyResults past it */
	const char	*home;		/* homeCommunityId put on every object, or NULL */
};

/*
 * Run the stored query in `req` (a query:AdhocQueryRequest element) on
 * db and append the complete query:AdhocQueryResponse element (its
 * namespaces declared on it) to out.  Query errors (XDSUnknownStoredQuery,
 * XDSStoredQueryMissingParam, ...) are answered inside the response with
 * status Failure and recorded with xact_add_error(); the patient id (when
 * the query has one) and the query id are recorded with
 * xact_set_patient()/xact_set_object().  Returns 0 when a response was
 * written, -1 on an internal error (x->reason says why; no response).
 * Reads in one short read transaction.
 */
int	query_run(sqlite3 *db, xmlNode *req, const struct query_opts *o,
	    struct buf *out, struct xact *x);

/*
 * The request checks of query_run without a database (xdsctl validate):
 * the envelope (ResponseOption, AdhocQuery, returnType, a known query id)
 * and the parameters (sqparam.h).  Each problem is added to errs with
 * its XDS error code.  XDS_OK (errs may have errors) or XDS_ENOMEM.
 */
int	query_check(xmlNode *req, struct rim_errors *errs);

/* Stored query names and ids, for clients (xdsctl query NAME ...):
 * "FindDocuments" -> SQ_FINDDOCUMENTS ...; NULL when unknown. */
const char *query_id_by_name(const char *name);
const char *query_name_by_id(const char *id);

#endif
