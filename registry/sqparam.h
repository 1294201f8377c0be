/*
 * sqparam.h: ITI-18 stored query parameters (ITI TF-2a 3.18.4.1.2.3).
 *
 * Pure: the caller hands in the AdhocQuery slots as text (name plus the
 * text of each rim:Value), sqp_parse() checks them against the query's
 * parameter table and returns typed values.  No I/O, no globals.
 *
 * Value encodings accepted:
 *   'text'              one string; '' inside is a literal quote
 *   ('a', 'b')          a list (OR); a one-element list is one value
 *   20041224            unquoted DTM or number (time/number parameters);
 *                       a quoted DTM is accepted too
 *   'code^^scheme'      coded value (both parts required)
 * Several rim:Value elements in one slot add to the OR list.  A slot
 * given twice is an error (XDSStoredQueryParamNumber), except for the
 * repeatable code lists (EventCodeList, ConfidentialityCode, FolderCodeList,
 * ReferenceIdList): each occurrence is one AND group of OR-ed values.
 *
 * Errors and the code each one maps to (sqp_errcode): the two results
 * that name their own XDS error (> 0, enum sqp_status), and the
 * enum xds_status failures (< 0):
 *   SQP_EMISSING  XDSStoredQueryMissingParam: required parameter absent,
 *                 or none of a required "one of" group
 *   SQP_ENUMBER   XDSStoredQueryParamNumber: several values in a single-
 *                 valued parameter, a non-repeatable slot repeated, or
 *                 both parameters of a mutually exclusive pair
 *   XDS_EFORMAT   XDSRegistryError: malformed value (bad quoting, code
 *                 without ^^scheme, invalid DTM or patient id, unknown or
 *                 deprecated *Scheme parameter, empty value list,
 *                 a $MetadataLevel other than the number 1 or 2)
 *   XDS_ETOOBIG   XDSRegistryError: past one of the SQP_MAX_* limits
 *                 (not XDSStoredQueryParamNumber, which ITI TF-3 Table
 *                 4.2.4.1-2 keeps for a single-valued parameter given
 *                 several times, nor XDSRegistryOutOfResources, a
 *                 passing want of resources that invites the same
 *                 request again later)
 *   XDS_ENOMEM    internal
 */
#ifndef XDS_SQPARAM_H
#define XDS_SQPARAM_H

#include <stddef.h>

#include "status.h"

#define SQP_MAX_SLOTS	128	/* slots per AdhocQuery */
#define SQP_MAX_VALUES	1000	/* values per query, all parameters */
/*
 * Values of one parameter.  Its values become one SQL expression (an IN
 * list, or for $XDSDocumentEntryAuthorPerson an OR of LIKEs, which
 * SQLite nests one level per value and refuses past 1000 levels: a
 * client error then came back as a database failure).  No consumer
 * needs more: a query for more objects than this names them in several.
 */
#define SQP_MAX_PARAM_VALUES	256
#define SQP_MAX_TEXT	65536	/* bytes of one rim:Value */
#define SQP_MAX_ITEM	1024	/* bytes of one (unquoted) list element */

enum sqp_status {
	SQP_EMISSING = 1,
	SQP_ENUMBER = 2,
};

enum sqp_type {
	SQP_STRING,	/* quoted text */
	SQP_PATIENT,	/* quoted CX, returned canonical (hl7_cx_format) */
	SQP_CODE,	/* 'code^^scheme' */
	SQP_TIME,	/* DTM, returned padded to 14 digits (hl7_dtm_norm) */
	SQP_NUMBER,	/* decimal integer */
	SQP_LEVEL,	/* $MetadataLevel: the number 1 or 2 */
};

#define SQP_REQ		0x01	/* required */
#define SQP_MULTI	0x02	/* several values (OR) allowed */
#define SQP_REPEAT	0x04	/* slot may repeat: AND of OR groups */

struct sqp_def {
	const char	*name;		/* "$XDSDocumentEntryPatientId" */
	enum sqp_type	 type;
	unsigned	 flags;
	/* Parameters with the same group > 0 are mutually exclusive; when
	 * one of them has SQP_REQ, exactly one of the group is required. */
	int		 group;
};

enum sqp_qid {
	SQP_FINDDOCUMENTS,
	SQP_FINDSUBMISSIONSETS,
	SQP_FINDFOLDERS,
	SQP_GETALL,
	SQP_GETDOCUMENTS,
	SQP_GETFOLDERS,
	SQP_GETASSOCIATIONS,
	SQP_GETDOCSANDASSOCS,
	SQP_GETSUBMISSIONSETS,
	SQP_GETSSANDCONTENTS,
	SQP_GETFOLDERANDCONTENTS,
	SQP_GETFOLDERSFORDOC,
	SQP_GETRELATEDDOCS,
	SQP_FINDDOCSBYREFID,
	SQP_NQUERIES
};

struct sqp_query {
	enum sqp_qid	 qid;
	const char	*name;		/* "FindDocuments" */
	const char	*id;		/* SQ_FINDDOCUMENTS */
	const struct sqp_def *params;
	size_t		 nparams;
};

/* The query with this id / name, or NULL. */
const struct sqp_query *sqp_query_by_id(const char *id);
const struct sqp_query *sqp_query_by_name(const char *name);
const struct sqp_query *sqp_query_at(size_t i);	/* i < SQP_NQUERIES */

/* One slot of the request, as text. */
struct sqp_slot {
	const char	 *name;
	const char	**values;	/* text of each rim:Value */
	size_t		  nvalues;
};

struct sqp_value {
	char		*str;		/* text, canonical CX, code, or DTM(14) */
	char		*scheme;	/* SQP_CODE: coding scheme, else NULL */
	long long	 num;		/* SQP_NUMBER */
	unsigned	 group;		/* slot occurrence: AND group, from 0 */
};

struct sqp_param {
	const struct sqp_def *def;
	struct sqp_value *v;		/* NULL when the parameter is absent */
	size_t		 nv;
	unsigned	 ngroups;
};

struct sqp_set {
	const struct sqp_query *q;
	struct sqp_param *p;		/* q->nparams entries, table order */
	size_t		 nvalues;	/* all parameters */
};

/*
 * Parse the slots for query q into out (sqp_free() it in every case).
 * Returns XDS_OK or an sqp_status with a reason naming the parameter in
 * err.
 */
int	sqp_parse(const struct sqp_query *q, const struct sqp_slot *slots,
	    size_t nslots, struct sqp_set *out, char *err, size_t errlen);
void	sqp_free(struct sqp_set *);

/* The parameter called name when it was given, else NULL. */
const struct sqp_param *sqp_get(const struct sqp_set *, const char *name);
/* Its first value's string, or NULL. */
const char *sqp_str(const struct sqp_set *, const char *name);

/*
 * Split one rim:Value text (len bytes, no NUL needed) into its elements
 * without interpreting them: calls fn for every element with its
 * unquoted text ('' undone) and whether it was quoted.  Pure; exported
 * for the tests and the fuzz target.
 */
int	sqp_split(const char *s, size_t len,
	    int (*fn)(void *arg, const char *item, size_t n, int quoted),
	    void *arg, char *err, size_t errlen);

/*
 * The $MetadataLevel asked for (ITI TF-2a 3.18.4.1.2.3.5, Metadata
 * Update): 1 when absent, the default, else the level given (1 or 2).
 */
int	sqp_metadata_level(const struct sqp_set *);

/* The XDS error code (vocab.h) for a status. */
const char *sqp_errcode(int status);

#endif
