/*
 * gw_msg.h: what the gateways read and change in XCA messages (pure DOM
 * work, no I/O): the query a request asks, home community ids on
 * returned objects and errors, the patient of an object, the
 * DocumentRequests of a retrieve and copies of it with some of them.
 */
#ifndef XDS_GW_MSG_H
#define XDS_GW_MSG_H

#include <stddef.h>
#include <libxml/tree.h>

#include "directory.h"

struct buf;
struct mtom_attachment;
struct rim_errors;

#define GW_CX_MAX	600	/* a canonical CX: id^^^&oid&ISO */
#define GW_MAX_TARGETS	64

/* What the gateways read of a query:AdhocQueryRequest. */
struct gw_query {
	xmlNode	*adhoc;			/* rim:AdhocQuery */
	char	 id[128];		/* the stored query's id */
	char	 home[DIR_HCID_MAX];	/* AdhocQuery/@home, or "" */
	int	 by_patient;		/* a Find query or GetAll: names a
					   patient; else ids (home needed) */
	char	 patient[GW_CX_MAX];	/* canonical CX of that patient, ""
					   when absent or not a CX */
	int	 targets_given;		/* SQP_TARGET_COMMUNITIES is there */
	size_t	 ntargets;
	char	 targets[GW_MAX_TARGETS][DIR_HCID_MAX];
};


/*
 * Read req (the AdhocQueryRequest element).  XDS_OK, or XDS_EFORMAT with
 * the reason (no AdhocQuery, no id, a $targetCommunityIdList that is not
 * a list of quoted ids or has more than GW_MAX_TARGETS).
 */
int	gw_query_read(xmlNode *req, struct gw_query *q, char *err,
	    size_t errlen);
/* Take the slot called name out of q->adhoc (the gateway answers it). */
void	gw_query_drop_slot(struct gw_query *q, const char *name);
/*
 * The values of one slot Value text: 'a' or ('a','b',...), quotes
 * removed, into out (at most max values of DIR_HCID_MAX bytes).
 * XDS_OK, XDS_EFORMAT, XDS_ETOOBIG (more than max, or one too long).
 */
int	gw_slot_values(const char *text, char out[][DIR_HCID_MAX], size_t max,
	    size_t *n);

/* The rim:RegistryObjectList of an AdhocQueryResponse, or NULL. */
xmlNode	*gw_objects(xmlNode *resp);
size_t	gw_count_objects(xmlNode *resp);
/* Set home on every object of resp's RegistryObjectList. */
int	gw_stamp_home(xmlNode *resp, const char *home);
/* Set location on every rs:RegistryError under n. */
int	gw_locate_errors(xmlNode *n, const char *location);
/*
 * Copy the rs:RegistryErrors under n into errs, each with its location or,
 * when it has none, location.  Returns the number of errors (severity
 * Error) copied, or XDS_ENOMEM.
 */
int	gw_take_errors(xmlNode *n, struct rim_errors *errs,
	    const char *location);
/* The status of a response element: ST_SUCCESS, ST_PARTIAL or, for a
 * Failure, a missing or an unknown one, ST_FAILURE (vocab.h's strings,
 * which outlive the document). */
const char *gw_status(xmlNode *resp);
/*
 * The patient of a returned object (ExtrinsicObject or RegistryPackage:
 * its patientId ExternalIdentifier) as a canonical CX into out.  1 when
 * found, 0 when the object carries none (ObjectRef, Association), -1 when
 * the value is not a CX.
 */
int	gw_object_patient(xmlNode *obj, char *out, size_t outsz);
/* Canonical CX of s ("" and -1 when s is not one). */
int	gw_cx_canon(const char *s, char *out, size_t outsz);

/*
 * Retrieves (ITI-43, ITI-39: DocumentRequest children of the request;
 * RAD-69, RAD-75: inside StudyRequest/SeriesRequest): the DocumentRequest
 * elements in document order.  *out is malloc'ed (free it); XDS_OK or
 * XDS_ENOMEM.
 */
int	gw_doc_requests(xmlNode *req, xmlNode ***out, size_t *n);
/*
 * A new document holding a copy of req with only the DocumentRequests
 * whose keep[i] is set (i over gw_doc_requests' order); a SeriesRequest
 * or StudyRequest left without any is removed.  NULL when out of memory.
 */
xmlDoc	*gw_request_subset(xmlNode *req, const unsigned char *keep,
	    size_t n);
/*
 * Move the DocumentResponses of a RetrieveDocumentSetResponse (resp)
 * into docs as XML, with their documents: an xop:Include names one of
 * att[0..natt) (the answer's parts), which is moved to *out (grown as
 * needed: *nout entries) under a fresh Content-ID prefix.cid, and its
 * href rewritten; a moved part's path is cleared in att, so the answer
 * no longer removes it.  A DocumentResponse whose Include names no part
 * of the answer is dropped with an error XDSRepositoryError located at
 * location.  Returns the number of DocumentResponses moved, or
 * XDS_ENOMEM / XDS_ETOOBIG.
 */
int	gw_take_documents(xmlNode *resp, struct mtom_attachment *att,
	    size_t natt, const char *prefix, struct buf *docs,
	    struct mtom_attachment **out, size_t *nout,
	    struct rim_errors *errs, const char *location);

#endif
