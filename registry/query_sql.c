/*
 * query_sql.c: the SQL of the 14 stored queries (ITI TF-2a 3.18.4.1.2.3.7)
 * over registry/schema.sql, and the writing of the returned objects.
 *
 * Every value is a bound parameter; IN lists get one placeholder per
 * value; each AND group of a repeatable code list is one EXISTS (the
 * query plans are in docs/benchmarks.md).  Sets computed in one step and used by the next (the documents of
 * a submission set, ...) are bound as one JSON array of row ids and read
 * with json_each(), so no SQL text depends on the data.
 *
 * Every statement carries LIMIT max_results + 1: a statement that fills it
 * means XDSTooManyResults, so no query reads more than that many rows.
 *
 * $MetadataLevel 1, the default (ITI TF-2a 3.18.4.1.2.3.5, Metadata
 * Update), leaves out of an answer what only a consumer of level 2
 * understands: DocumentEntries and Folders that are not the latest
 * version of their logicalId, Offline DocumentEntries, Deprecated Folders
 * and Associations, the Associations of the update operations
 * (UpdateAvailabilityStatus, SubmitAssociation), and any Association with
 * an end left out.  FindDocuments filters in its statement (its hot path
 * stays one index range); every other query runs as at level 2 and then
 * drops those objects in one more statement (hide_level2).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "query.h"
#include "query_int.h"
#include "sqparam.h"
#include "str.h"
#include "vocab.h"

/* registry_object.kind (schema.sql) */
#define KIND_DE		1
#define KIND_SS		2
#define KIND_FOLDER	3
#define KIND_ASSOC	4

#define QSQL_MAX_TEXT	(256 * 1024)		/* SQL text of one statement */
#define QSQL_MAX_BIND	(2 * SQP_MAX_VALUES + 64)

struct qbind {
	const char	*s;	/* text, or NULL for an integer */
	sqlite3_int64	 i;
};

/* One statement being built: text plus its bindings, in order. */
struct qsql {
	struct buf	 text;
	struct qbind	 b[QSQL_MAX_BIND];
	size_t		 nb;
	int		 bad;	/* text or bindings past their bound */
};

struct qres {
	sqlite3_int64	 id;
	int		 kind;
};

struct qvec {
	struct qres	*v;
	size_t		 n, cap;
};

struct qrun {
	sqlite3		*db;
	const struct sqp_set *ps;
	sqlite3_int64	 limit;		/* max_results + 1 */
	long long	 max;
	struct qvec	 res;		/* the objects of the answer */
	int		 level;		/* $MetadataLevel: 1 or 2 */
	int		 filtered;	/* level 1 done by the statement */
	char		*err;
	size_t		 errlen;
};

static struct qsql *
sql_new(void)
{
	struct qsql *s = calloc(1, sizeof *s);

	if (s != NULL)
		buf_init(&s->text, QSQL_MAX_TEXT);
	return s;
}

static void
sql_free(struct qsql *s)
{
	if (s == NULL)
		return;
	buf_free(&s->text);
	free(s);
}

static void
sql_add(struct qsql *s, const char *t)
{
	if (!s->bad && buf_adds(&s->text, t) != XDS_OK)
		s->bad = 1;
}

static void
sql_bind(struct qsql *s, const char *v)
{
	if (s->nb >= QSQL_MAX_BIND || v == NULL) {
		s->bad = 1;
		return;
	}
	s->b[s->nb].s = v;
	s->b[s->nb++].i = 0;
	sql_add(s, "?");
}

static void
sql_bindi(struct qsql *s, sqlite3_int64 v)
{
	if (s->nb >= QSQL_MAX_BIND) {
		s->bad = 1;
		return;
	}
	s->b[s->nb].s = NULL;
	s->b[s->nb++].i = v;
	sql_add(s, "?");
}

/* "(?, ?, ?)" for the values of p in AND group g (all when g < 0). */
static void
sql_in(struct qsql *s, const struct sqp_param *p, int g)
{
	size_t i;
	int first = 1;

	if (p == NULL) {
		s->bad = 1;
		return;
	}
	sql_add(s, "(");
	for (i = 0; i < p->nv; i++) {
		if (g >= 0 && p->v[i].group != (unsigned)g)
			continue;
		if (!first)
			sql_add(s, ", ");
		sql_bind(s, p->v[i].str);
		first = 0;
	}
	sql_add(s, ")");
}

/* " IN (SELECT value FROM json_each(?))" bound to a JSON id array. */
static void
sql_in_json(struct qsql *s, const char *json)
{
	sql_add(s, " IN (SELECT value FROM json_each(");
	sql_bind(s, json);
	sql_add(s, "))");
}

/* One EXISTS per AND group of a coded parameter (col: "de.id"). */
static void
sql_codes(struct qsql *s, const char *col, const char *scheme,
    const struct sqp_param *p)
{
	unsigned g;
	size_t i;
	int first;

	if (p == NULL)
		return;
	for (g = 0; g < p->ngroups; g++) {
		sql_add(s, " AND EXISTS (SELECT 1 FROM code c WHERE "
		    "c.object_id = ");
		sql_add(s, col);
		sql_add(s, " AND c.scheme = ");
		sql_bind(s, scheme);
		sql_add(s, " AND (c.code, c.coding_scheme) IN (VALUES ");
		first = 1;
		for (i = 0; i < p->nv; i++) {
			if (p->v[i].group != g)
				continue;
			sql_add(s, first ? "(" : ", (");
			sql_bind(s, p->v[i].str);
			sql_add(s, ", ");
			sql_bind(s, p->v[i].scheme);
			sql_add(s, ")");
			first = 0;
		}
		sql_add(s, "))");
	}
}

/* AuthorPerson: OR of LIKE patterns ('%', '_' wildcards, '\' escapes). */
static void
sql_authors(struct qsql *s, const char *col, const struct sqp_param *p)
{
	size_t i;

	if (p == NULL)
		return;
	sql_add(s, " AND EXISTS (SELECT 1 FROM author au WHERE "
	    "au.object_id = ");
	sql_add(s, col);
	sql_add(s, " AND (");
	for (i = 0; i < p->nv; i++) {
		if (i > 0)
			sql_add(s, " OR ");
		sql_add(s, "au.person LIKE ");
		sql_bind(s, p->v[i].str);
		sql_add(s, " ESCAPE '\\'");
	}
	sql_add(s, "))");
}

/* From <= col < To (DTM padded to 14 digits on both sides). */
static void
sql_range(struct qsql *s, const struct sqp_set *ps, const char *col,
    const char *from, const char *to)
{
	const char *v;

	if ((v = sqp_str(ps, from)) != NULL) {
		sql_add(s, " AND ");
		sql_add(s, col);
		sql_add(s, " >= ");
		sql_bind(s, v);
	}
	if ((v = sqp_str(ps, to)) != NULL) {
		sql_add(s, " AND ");
		sql_add(s, col);
		sql_add(s, " < ");
		sql_bind(s, v);
	}
}

/* Document filters shared by FindDocuments, GetAll and *AndContents:
 * objectType (stable only unless $XDSDocumentEntryType), format code,
 * confidentiality code groups. */
static void
sql_de_filters(struct qsql *s, const struct sqp_set *ps)
{
	const struct sqp_param *p;

	if ((p = sqp_get(ps, "$XDSDocumentEntryType")) != NULL) {
		sql_add(s, " AND de.object_type IN ");
		sql_in(s, p, -1);
	} else {
		sql_add(s, " AND de.object_type = ");
		sql_bind(s, OT_DE_STABLE);
	}
	sql_codes(s, "de.id", CS_DE_FORMATCODE,
	    sqp_get(ps, "$XDSDocumentEntryFormatCode"));
	sql_codes(s, "de.id", CS_DE_CONFCODE,
	    sqp_get(ps, "$XDSDocumentEntryConfidentialityCode"));
}

/*
 * $MetadataLevel 1 in a statement over document_entry de: no Offline
 * entry, and no version but the latest.  A version that is not the
 * latest is Deprecated (ITI-57 deprecates the one it follows, and
 * changes the status of the latest version only), so the version probe
 * is needed only when the statuses asked for are not Approved alone.
 */
static void
sql_de_level1(struct qsql *s, const struct sqp_param *status)
{
	size_t i;

	sql_add(s, " AND de.availability IS NOT ");
	sql_bind(s, DOCAVAIL_OFFLINE);
	for (i = 0; status != NULL && i < status->nv; i++)
		if (strcmp(status->v[i].str, STATUS_APPROVED) != 0)
			break;
	if (status == NULL || i == status->nv)
		return;
	sql_add(s, " AND NOT (de.status = ");
	sql_bind(s, STATUS_DEPRECATED);
	sql_add(s, " AND EXISTS (SELECT 1 FROM registry_object o JOIN "
	    "registry_object n ON n.lid = o.lid AND n.version > o.version "
	    "WHERE o.id = de.id))");
}

/* The registry_object row o (an alias) is one $MetadataLevel 1 leaves
 * out (see the top of this file). */
static void
sql_hidden(struct qsql *s, const char *o)
{
	sql_add(s, "((");
	sql_add(s, o);
	sql_add(s, ".kind IN (1, 3) AND ");
	sql_add(s, o);
	sql_add(s, ".status = ");
	sql_bind(s, STATUS_DEPRECATED);
	sql_add(s, " AND EXISTS (SELECT 1 FROM registry_object n WHERE "
	    "n.lid = ");
	sql_add(s, o);
	sql_add(s, ".lid AND n.version > ");
	sql_add(s, o);
	sql_add(s, ".version)) OR (");
	sql_add(s, o);
	sql_add(s, ".kind IN (3, 4) AND ");
	sql_add(s, o);
	sql_add(s, ".status = ");
	sql_bind(s, STATUS_DEPRECATED);
	sql_add(s, ") OR (");
	sql_add(s, o);
	sql_add(s, ".kind = 1 AND EXISTS (SELECT 1 FROM document_entry d "
	    "WHERE d.id = ");
	sql_add(s, o);
	sql_add(s, ".id AND d.availability = ");
	sql_bind(s, DOCAVAIL_OFFLINE);
	sql_add(s, ")) OR (");
	sql_add(s, o);
	sql_add(s, ".kind = 4 AND EXISTS (SELECT 1 FROM association t "
	    "WHERE t.id = ");
	sql_add(s, o);
	sql_add(s, ".id AND t.type IN (");
	sql_bind(s, AT_UPDATESTATUS);
	sql_add(s, ", ");
	sql_bind(s, AT_SUBMITASSOC);
	sql_add(s, "))))");
}

static int
vec_add(struct qvec *v, sqlite3_int64 id, int kind)
{
	struct qres *nv;
	size_t ncap;

	if (v->n == v->cap) {
		ncap = v->cap ? v->cap * 2 : 64;
		if ((nv = realloc(v->v, ncap * sizeof *nv)) == NULL)
			return -1;
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n].id = id;
	v->v[v->n++].kind = kind;
	return 0;
}

static void
vec_free(struct qvec *v)
{
	free(v->v);
	memset(v, 0, sizeof *v);
}

/* JSON array of the ids in v of this kind (0: all); NULL on failure. */
static char *
vec_json(const struct qvec *v, int kind)
{
	struct buf b;
	size_t i;
	int first = 1;

	buf_init(&b, 24 * v->n + 16);
	if (buf_adds(&b, "[") != XDS_OK)
		goto fail;
	for (i = 0; i < v->n; i++) {
		if (kind != 0 && v->v[i].kind != kind)
			continue;
		if (buf_addf(&b, first ? "%lld" : ",%lld",
		    (long long)v->v[i].id) != XDS_OK)
			goto fail;
		first = 0;
	}
	if (buf_adds(&b, "]") != XDS_OK)
		goto fail;
	return buf_take(&b, NULL);
fail:
	buf_free(&b);
	return NULL;
}

static int
internal(struct qrun *r, const char *what)
{
	str_fmt(r->err, r->errlen, "stored query: %s: %s", what,
	    sqlite3_errmsg(r->db));
	return XDS_EIO;
}

static int
nomem(struct qrun *r)
{
	str_fmt(r->err, r->errlen, "stored query: out of memory");
	return XDS_ENOMEM;
}

/*
 * Finish s with the LIMIT, run it and append its (id, kind) rows to into.
 * Frees s.  A statement that fills the limit is XDSTooManyResults.
 */
static int
sql_run(struct qrun *r, struct qsql *s, struct qvec *into)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 rows = 0;
	size_t i;
	int rc = XDS_EINTERNAL, src;

	sql_add(s, " LIMIT ");
	sql_bindi(s, r->limit);
	if (s->bad) {
		str_fmt(r->err, r->errlen, "stored query: statement too large");
		goto fail;
	}
	if (sqlite3_prepare_v2(r->db, s->text.b_data, (int)s->text.b_len,
	    &st, NULL) != SQLITE_OK) {
		rc = internal(r, "prepare");
		goto fail;
	}
	for (i = 0; i < s->nb; i++) {
		src = s->b[i].s != NULL ?
		    sqlite3_bind_text(st, (int)i + 1, s->b[i].s, -1,
		    SQLITE_STATIC) :
		    sqlite3_bind_int64(st, (int)i + 1, s->b[i].i);
		if (src != SQLITE_OK) {
			rc = internal(r, "bind");
			goto fail;
		}
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (vec_add(into, sqlite3_column_int64(st, 0),
		    sqlite3_column_int(st, 1)) != 0) {
			rc = nomem(r);
			goto fail;
		}
		rows++;
	}
	if (src != SQLITE_DONE) {
		rc = internal(r, "step");
		goto fail;
	}
	if (rows >= r->limit) {
		str_fmt(r->err, r->errlen, "more than %lld objects match; "
		    "narrow the query", r->max);
		rc = QUERY_ETOOMANY;
		goto fail;
	}
	rc = XDS_OK;
fail:
	sqlite3_finalize(st);
	sql_free(s);
	return rc;
}

/* Objects of kind with the entryUUIDs, uniqueIds or logicalIds given in
 * whichever of the three (exclusive) parameters is present. */
static int
by_ident(struct qrun *r, int kind, const char *uuidp, const char *uidp,
    const char *lidp, struct qvec *into)
{
	const struct sqp_param *p;
	const char *col;
	struct qsql *s;

	if ((p = sqp_get(r->ps, uuidp)) != NULL)
		col = "entry_uuid";
	else if (uidp != NULL && (p = sqp_get(r->ps, uidp)) != NULL)
		col = "unique_id";
	else if (lidp != NULL && (p = sqp_get(r->ps, lidp)) != NULL)
		col = "lid";
	else
		return XDS_OK;	/* sqparam made one required */
	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT ro.id, ro.kind FROM registry_object ro "
	    "WHERE ro.kind = ");
	sql_bindi(s, kind);
	sql_add(s, " AND ro.");
	sql_add(s, col);
	sql_add(s, " IN ");
	sql_in(s, p, -1);
	return sql_run(r, s, into);
}

/* FindDocuments and FindDocumentsByReferenceId. */
static int
q_finddocs(struct qrun *r)
{
	const struct sqp_set *ps = r->ps;
	const struct sqp_param *p;
	struct qsql *s;
	unsigned g;

	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT de.id, 1 FROM document_entry de "
	    "WHERE de.patient_id = ");
	sql_bind(s, sqp_str(ps, "$XDSDocumentEntryPatientId"));
	sql_add(s, " AND de.status IN ");
	sql_in(s, sqp_get(ps, "$XDSDocumentEntryStatus"), -1);
	sql_de_filters(s, ps);
	sql_range(s, ps, "de.creation_time", "$XDSDocumentEntryCreationTimeFrom",
	    "$XDSDocumentEntryCreationTimeTo");
	sql_range(s, ps, "de.service_start_time",
	    "$XDSDocumentEntryServiceStartTimeFrom",
	    "$XDSDocumentEntryServiceStartTimeTo");
	sql_range(s, ps, "de.service_stop_time",
	    "$XDSDocumentEntryServiceStopTimeFrom",
	    "$XDSDocumentEntryServiceStopTimeTo");
	sql_codes(s, "de.id", CS_DE_CLASSCODE,
	    sqp_get(ps, "$XDSDocumentEntryClassCode"));
	sql_codes(s, "de.id", CS_DE_TYPECODE,
	    sqp_get(ps, "$XDSDocumentEntryTypeCode"));
	sql_codes(s, "de.id", CS_DE_PRACTICECODE,
	    sqp_get(ps, "$XDSDocumentEntryPracticeSettingCode"));
	sql_codes(s, "de.id", CS_DE_HCFTCODE,
	    sqp_get(ps, "$XDSDocumentEntryHealthcareFacilityTypeCode"));
	sql_codes(s, "de.id", CS_DE_EVENTCODE,
	    sqp_get(ps, "$XDSDocumentEntryEventCodeList"));
	sql_authors(s, "de.id", sqp_get(ps, "$XDSDocumentEntryAuthorPerson"));
	if ((p = sqp_get(ps, "$XDSDocumentEntryDocumentAvailability")) != NULL) {
		sql_add(s, " AND de.availability IN ");
		sql_in(s, p, -1);
	}
	if (r->level == 1)
		sql_de_level1(s, sqp_get(ps, "$XDSDocumentEntryStatus"));
	r->filtered = 1;
	if ((p = sqp_get(ps, "$XDSDocumentEntryReferenceIdList")) != NULL)
		for (g = 0; g < p->ngroups; g++) {
			sql_add(s, " AND EXISTS (SELECT 1 FROM reference_id ri "
			    "WHERE ri.object_id = de.id AND ri.value IN ");
			sql_in(s, p, (int)g);
			sql_add(s, ")");
		}
	return sql_run(r, s, &r->res);
}

static int
q_findss(struct qrun *r)
{
	const struct sqp_set *ps = r->ps;
	const struct sqp_param *p;
	struct qsql *s;

	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT ss.id, 2 FROM submission_set ss "
	    "WHERE ss.patient_id = ");
	sql_bind(s, sqp_str(ps, "$XDSSubmissionSetPatientId"));
	sql_add(s, " AND ss.status IN ");
	sql_in(s, sqp_get(ps, "$XDSSubmissionSetStatus"), -1);
	if ((p = sqp_get(ps, "$XDSSubmissionSetSourceId")) != NULL) {
		sql_add(s, " AND ss.source_id IN ");
		sql_in(s, p, -1);
	}
	sql_range(s, ps, "ss.submission_time",
	    "$XDSSubmissionSetSubmissionTimeFrom",
	    "$XDSSubmissionSetSubmissionTimeTo");
	sql_authors(s, "ss.id", sqp_get(ps, "$XDSSubmissionSetAuthorPerson"));
	sql_codes(s, "ss.id", CS_SS_CONTENTTYPE,
	    sqp_get(ps, "$XDSSubmissionSetContentType"));
	return sql_run(r, s, &r->res);
}

static int
q_findfolders(struct qrun *r)
{
	const struct sqp_set *ps = r->ps;
	struct qsql *s;

	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT f.id, 3 FROM folder f WHERE f.patient_id = ");
	sql_bind(s, sqp_str(ps, "$XDSFolderPatientId"));
	sql_add(s, " AND f.status IN ");
	sql_in(s, sqp_get(ps, "$XDSFolderStatus"), -1);
	sql_range(s, ps, "f.last_update_time", "$XDSFolderLastUpdateTimeFrom",
	    "$XDSFolderLastUpdateTimeTo");
	sql_codes(s, "f.id", CS_FOL_CODELIST, sqp_get(ps, "$XDSFolderCodeList"));
	return sql_run(r, s, &r->res);
}

/*
 * Associations whose source and target are both among the objects in
 * r->res so far, then those (SubmissionSet HasMember) whose source is an
 * object and whose target is one of those associations.
 */
static int
assocs_within(struct qrun *r)
{
	struct qvec a = { NULL, 0, 0 };
	struct qsql *s = NULL;
	char *objs = NULL, *aj = NULL;
	size_t i;
	int rc;

	if ((objs = vec_json(&r->res, 0)) == NULL || (s = sql_new()) == NULL) {
		rc = nomem(r);
		goto fail;
	}
	sql_add(s, "SELECT a.id, 4 FROM association a WHERE a.source_id");
	sql_in_json(s, objs);
	sql_add(s, " AND a.target_id");
	sql_in_json(s, objs);
	if ((rc = sql_run(r, s, &a)) != XDS_OK)
		goto fail;
	if ((aj = vec_json(&a, 0)) == NULL || (s = sql_new()) == NULL) {
		rc = nomem(r);
		goto fail;
	}
	sql_add(s, "SELECT a.id, 4 FROM association a WHERE a.source_id");
	sql_in_json(s, objs);
	sql_add(s, " AND a.target_id");
	sql_in_json(s, aj);
	if ((rc = sql_run(r, s, &a)) != XDS_OK)
		goto fail;
	for (i = 0; i < a.n; i++)
		if (vec_add(&r->res, a.v[i].id, a.v[i].kind) != 0) {
			rc = nomem(r);
			goto fail;
		}
	rc = XDS_OK;
fail:
	free(objs);
	free(aj);
	vec_free(&a);
	return rc;
}

static int
q_getall(struct qrun *r)
{
	const struct sqp_set *ps = r->ps;
	const char *pid = sqp_str(ps, "$patientId");
	struct qsql *s;
	int rc;

	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT de.id, 1 FROM document_entry de "
	    "WHERE de.patient_id = ");
	sql_bind(s, pid);
	sql_add(s, " AND de.status IN ");
	sql_in(s, sqp_get(ps, "$XDSDocumentEntryStatus"), -1);
	sql_de_filters(s, ps);
	if ((rc = sql_run(r, s, &r->res)) != XDS_OK)
		return rc;
	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT ss.id, 2 FROM submission_set ss "
	    "WHERE ss.patient_id = ");
	sql_bind(s, pid);
	sql_add(s, " AND ss.status IN ");
	sql_in(s, sqp_get(ps, "$XDSSubmissionSetStatus"), -1);
	if ((rc = sql_run(r, s, &r->res)) != XDS_OK)
		return rc;
	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT f.id, 3 FROM folder f WHERE f.patient_id = ");
	sql_bind(s, pid);
	sql_add(s, " AND f.status IN ");
	sql_in(s, sqp_get(ps, "$XDSFolderStatus"), -1);
	if ((rc = sql_run(r, s, &r->res)) != XDS_OK)
		return rc;
	return assocs_within(r);
}

static int
q_getdocs(struct qrun *r)
{
	return by_ident(r, KIND_DE, "$XDSDocumentEntryEntryUUID",
	    "$XDSDocumentEntryUniqueId", "$XDSDocumentEntryLogicalID", &r->res);
}

static int
q_getfolders(struct qrun *r)
{
	return by_ident(r, KIND_FOLDER, "$XDSFolderEntryUUID",
	    "$XDSFolderUniqueId", "$XDSFolderLogicalID", &r->res);
}

/* Associations with source or target in the JSON id set. */
static int
assocs_touching(struct qrun *r, const char *json)
{
	struct qsql *s;

	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT a.id, 4 FROM association a WHERE a.source_id");
	sql_in_json(s, json);
	sql_add(s, " UNION SELECT a.id, 4 FROM association a "
	    "WHERE a.target_id");
	sql_in_json(s, json);
	return sql_run(r, s, &r->res);
}

static int
q_getassocs(struct qrun *r)
{
	struct qsql *s;

	if ((s = sql_new()) == NULL)
		return nomem(r);
	sql_add(s, "SELECT a.id, 4 FROM association a JOIN registry_object o "
	    "ON o.id = a.source_id WHERE o.entry_uuid IN ");
	sql_in(s, sqp_get(r->ps, "$uuid"), -1);
	sql_add(s, " UNION SELECT a.id, 4 FROM association a "
	    "JOIN registry_object o ON o.id = a.target_id "
	    "WHERE o.entry_uuid IN ");
	sql_in(s, sqp_get(r->ps, "$uuid"), -1);
	return sql_run(r, s, &r->res);
}

static int
q_getdocsandassocs(struct qrun *r)
{
	char *json;
	int rc;

	if ((rc = by_ident(r, KIND_DE, "$XDSDocumentEntryEntryUUID",
	    "$XDSDocumentEntryUniqueId", NULL, &r->res)) != XDS_OK)
		return rc;
	if (r->res.n == 0)
		return XDS_OK;
	if ((json = vec_json(&r->res, KIND_DE)) == NULL)
		return nomem(r);
	rc = assocs_touching(r, json);
	free(json);
	return rc;
}

/* SubmissionSets with a HasMember to one of $uuid, and those HasMembers. */
static int
q_getss(struct qrun *r)
{
	static const char *const cols[] = { "a.source_id, 2", "a.id, 4" };
	struct qsql *s;
	size_t i;
	int rc;

	for (i = 0; i < 2; i++) {
		if ((s = sql_new()) == NULL)
			return nomem(r);
		sql_add(s, "SELECT DISTINCT ");
		sql_add(s, cols[i]);
		sql_add(s, " FROM association a "
		    "JOIN registry_object src ON src.id = a.source_id "
		    "JOIN registry_object t ON t.id = a.target_id "
		    "WHERE a.type = ");
		sql_bind(s, AT_HASMEMBER);
		sql_add(s, " AND src.kind = 2 AND t.entry_uuid IN ");
		sql_in(s, sqp_get(r->ps, "$uuid"), -1);
		if ((rc = sql_run(r, s, &r->res)) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

/* Members of the container set (JSON) through HasMember: documents
 * (with the document filters) or folders. */
static int
members(struct qrun *r, const char *cjson, int kind)
{
	struct qsql *s;

	if ((s = sql_new()) == NULL)
		return nomem(r);
	if (kind == KIND_DE) {
		sql_add(s, "SELECT de.id, 1 FROM association a JOIN "
		    "document_entry de ON de.id = a.target_id WHERE a.type = ");
		sql_bind(s, AT_HASMEMBER);
		sql_add(s, " AND a.source_id");
		sql_in_json(s, cjson);
		sql_de_filters(s, r->ps);
	} else {
		sql_add(s, "SELECT f.id, 3 FROM association a JOIN folder f "
		    "ON f.id = a.target_id WHERE a.type = ");
		sql_bind(s, AT_HASMEMBER);
		sql_add(s, " AND a.source_id");
		sql_in_json(s, cjson);
	}
	return sql_run(r, s, &r->res);
}

/*
 * GetSubmissionSetAndContents: the SubmissionSet, its DocumentEntries
 * (filtered) and Folders, the associations between those objects that are
 * members of the SubmissionSet (Folder HasMember DE submitted with it), and
 * the SubmissionSet's HasMember associations to all of these.
 */
static int
q_getssandcontents(struct qrun *r)
{
	struct qvec a = { NULL, 0, 0 };
	struct qsql *s = NULL;
	char *ssj = NULL, *objs = NULL;
	size_t i;
	int rc;

	if ((rc = by_ident(r, KIND_SS, "$XDSSubmissionSetEntryUUID",
	    "$XDSSubmissionSetUniqueId", NULL, &r->res)) != XDS_OK ||
	    r->res.n == 0)
		return rc;
	rc = XDS_EINTERNAL;
	if ((ssj = vec_json(&r->res, KIND_SS)) == NULL)
		goto oom;
	if ((rc = members(r, ssj, KIND_DE)) != XDS_OK ||
	    (rc = members(r, ssj, KIND_FOLDER)) != XDS_OK)
		goto fail;
	if ((objs = vec_json(&r->res, 0)) == NULL || (s = sql_new()) == NULL)
		goto oom;
	sql_add(s, "SELECT a.id, 4 FROM association a WHERE a.source_id");
	sql_in_json(s, objs);
	sql_add(s, " AND a.target_id");
	sql_in_json(s, objs);
	sql_add(s, " AND a.source_id NOT");
	sql_in_json(s, ssj);
	sql_add(s, " AND EXISTS (SELECT 1 FROM association h WHERE h.type = ");
	sql_bind(s, AT_HASMEMBER);
	sql_add(s, " AND h.target_id = a.id AND h.source_id");
	sql_in_json(s, ssj);
	sql_add(s, ")");
	rc = sql_run(r, s, &a);
	s = NULL;
	if (rc != XDS_OK)
		goto fail;
	for (i = 0; i < a.n; i++)
		if (vec_add(&r->res, a.v[i].id, a.v[i].kind) != 0)
			goto oom;
	free(objs);
	/* Now objs holds the inner associations too. */
	if ((objs = vec_json(&r->res, 0)) == NULL || (s = sql_new()) == NULL)
		goto oom;
	sql_add(s, "SELECT a.id, 4 FROM association a WHERE a.type = ");
	sql_bind(s, AT_HASMEMBER);
	sql_add(s, " AND a.source_id");
	sql_in_json(s, ssj);
	sql_add(s, " AND a.target_id");
	sql_in_json(s, objs);
	rc = sql_run(r, s, &r->res);
	s = NULL;
	goto fail;
oom:
	sql_free(s);
	rc = nomem(r);
fail:
	free(ssj);
	free(objs);
	vec_free(&a);
	return rc;
}

/* GetFolderAndContents: the Folder, its DocumentEntries (filtered) and
 * the Folder's HasMember associations to them. */
static int
q_getfolderandcontents(struct qrun *r)
{
	struct qsql *s = NULL;
	char *fj = NULL, *dj = NULL;
	int rc;

	if ((rc = by_ident(r, KIND_FOLDER, "$XDSFolderEntryUUID",
	    "$XDSFolderUniqueId", NULL, &r->res)) != XDS_OK ||
	    r->res.n == 0)
		return rc;
	if ((fj = vec_json(&r->res, KIND_FOLDER)) == NULL) {
		rc = nomem(r);
		goto fail;
	}
	if ((rc = members(r, fj, KIND_DE)) != XDS_OK)
		goto fail;
	if ((dj = vec_json(&r->res, KIND_DE)) == NULL ||
	    (s = sql_new()) == NULL) {
		rc = nomem(r);
		goto fail;
	}
	sql_add(s, "SELECT a.id, 4 FROM association a WHERE a.type = ");
	sql_bind(s, AT_HASMEMBER);
	sql_add(s, " AND a.source_id");
	sql_in_json(s, fj);
	sql_add(s, " AND a.target_id");
	sql_in_json(s, dj);
	rc = sql_run(r, s, &r->res);
fail:
	free(fj);
	free(dj);
	return rc;
}

static int
q_getfoldersfordoc(struct qrun *r)
{
	struct qvec d = { NULL, 0, 0 };
	struct qsql *s = NULL;
	char *dj = NULL;
	int rc;

	if ((rc = by_ident(r, KIND_DE, "$XDSDocumentEntryEntryUUID",
	    "$XDSDocumentEntryUniqueId", NULL, &d)) != XDS_OK || d.n == 0)
		goto fail;
	if ((dj = vec_json(&d, KIND_DE)) == NULL || (s = sql_new()) == NULL) {
		rc = nomem(r);
		goto fail;
	}
	sql_add(s, "SELECT DISTINCT f.id, 3 FROM association a JOIN folder f "
	    "ON f.id = a.source_id WHERE a.type = ");
	sql_bind(s, AT_HASMEMBER);
	sql_add(s, " AND a.target_id");
	sql_in_json(s, dj);
	rc = sql_run(r, s, &r->res);
fail:
	free(dj);
	vec_free(&d);
	return rc;
}

/*
 * GetRelatedDocuments: associations of $AssociationTypes between the
 * document and another DocumentEntry (of $XDSDocumentEntryType, default
 * stable), in either direction; the answer is the document, the related
 * documents and those associations, or nothing when there are none.
 */
static int
q_getrelated(struct qrun *r)
{
	static const char *const dir[2][2] = {
		{ "a.target_id", "a.source_id" },
		{ "a.source_id", "a.target_id" },
	};
	struct qvec d = { NULL, 0, 0 }, a = { NULL, 0, 0 };
	struct qsql *s = NULL;
	char *dj = NULL, *aj = NULL;
	size_t i;
	int rc;

	if ((rc = by_ident(r, KIND_DE, "$XDSDocumentEntryEntryUUID",
	    "$XDSDocumentEntryUniqueId", NULL, &d)) != XDS_OK || d.n == 0)
		goto fail;
	if ((dj = vec_json(&d, KIND_DE)) == NULL || (s = sql_new()) == NULL)
		goto oom;
	for (i = 0; i < 2; i++) {
		if (i > 0)
			sql_add(s, " UNION ");
		sql_add(s, "SELECT a.id, 4 FROM association a JOIN "
		    "document_entry de ON de.id = ");
		sql_add(s, dir[i][0]);
		sql_add(s, " WHERE ");
		sql_add(s, dir[i][1]);
		sql_in_json(s, dj);
		sql_add(s, " AND a.type IN ");
		sql_in(s, sqp_get(r->ps, "$AssociationTypes"), -1);
		sql_de_filters(s, r->ps);
	}
	rc = sql_run(r, s, &a);
	s = NULL;
	if (rc != XDS_OK || a.n == 0)
		goto fail;
	if ((aj = vec_json(&a, 0)) == NULL || (s = sql_new()) == NULL)
		goto oom;
	sql_add(s, "SELECT CASE WHEN a.source_id");
	sql_in_json(s, dj);
	sql_add(s, " THEN a.target_id ELSE a.source_id END, 1 "
	    "FROM association a WHERE a.id");
	sql_in_json(s, aj);
	rc = sql_run(r, s, &r->res);
	s = NULL;
	if (rc != XDS_OK)
		goto fail;
	for (i = 0; i < d.n; i++)
		if (vec_add(&r->res, d.v[i].id, d.v[i].kind) != 0)
			goto oom;
	for (i = 0; i < a.n; i++)
		if (vec_add(&r->res, a.v[i].id, a.v[i].kind) != 0)
			goto oom;
	rc = XDS_OK;
	goto fail;
oom:
	sql_free(s);
	rc = nomem(r);
fail:
	free(dj);
	free(aj);
	vec_free(&d);
	vec_free(&a);
	return rc;
}

static int (*const runners[SQP_NQUERIES])(struct qrun *) = {
	[SQP_FINDDOCUMENTS] = q_finddocs,
	[SQP_FINDSUBMISSIONSETS] = q_findss,
	[SQP_FINDFOLDERS] = q_findfolders,
	[SQP_GETALL] = q_getall,
	[SQP_GETDOCUMENTS] = q_getdocs,
	[SQP_GETFOLDERS] = q_getfolders,
	[SQP_GETASSOCIATIONS] = q_getassocs,
	[SQP_GETDOCSANDASSOCS] = q_getdocsandassocs,
	[SQP_GETSUBMISSIONSETS] = q_getss,
	[SQP_GETSSANDCONTENTS] = q_getssandcontents,
	[SQP_GETFOLDERANDCONTENTS] = q_getfolderandcontents,
	[SQP_GETFOLDERSFORDOC] = q_getfoldersfordoc,
	[SQP_GETRELATEDDOCS] = q_getrelated,
	[SQP_FINDDOCSBYREFID] = q_finddocs,
};

static int
res_cmp(const void *pa, const void *pb)
{
	const struct qres *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Sort by kind then row id (DocumentEntries, SubmissionSets, Folders,
 * Associations: a stable order) and drop duplicates. */
static void
res_unique(struct qvec *v)
{
	size_t i, o = 0;

	if (v->n == 0)
		return;
	qsort(v->v, v->n, sizeof *v->v, res_cmp);
	for (i = 1; i < v->n; i++)
		if (v->v[i].id != v->v[o].id)
			v->v[++o] = v->v[i];
	v->n = o + 1;
}

static int
id_cmp(const void *pa, const void *pb)
{
	const sqlite3_int64 *a = pa, *b = pb;

	return *a < *b ? -1 : *a > *b;
}

/*
 * $MetadataLevel 1 after a query that ran as at level 2: drop from r->res
 * the objects level 1 leaves out and the Associations with such an end
 * (in the answer or not).  GetRelatedDocuments left without an
 * Association answers nothing, as it does when there is none.
 */
static int
hide_level2(struct qrun *r)
{
	struct qvec h = { NULL, 0, 0 };
	struct qsql *s = NULL;
	sqlite3_int64 *ids = NULL;
	char *all = NULL, *assocs = NULL;
	size_t i, o = 0, nassoc = 0;
	int rc;

	if (r->res.n == 0)
		return XDS_OK;
	if ((all = vec_json(&r->res, 0)) == NULL ||
	    (assocs = vec_json(&r->res, KIND_ASSOC)) == NULL ||
	    (s = sql_new()) == NULL) {
		rc = nomem(r);
		goto fail;
	}
	sql_add(s, "SELECT ho.id, ho.kind FROM registry_object ho "
	    "WHERE ho.id");
	sql_in_json(s, all);
	sql_add(s, " AND ");
	sql_hidden(s, "ho");
	sql_add(s, " UNION SELECT a.id, 4 FROM association a JOIN "
	    "registry_object ho ON ho.id IN (a.source_id, a.target_id) "
	    "WHERE a.id");
	sql_in_json(s, assocs);
	sql_add(s, " AND ");
	sql_hidden(s, "ho");
	rc = sql_run(r, s, &h);
	s = NULL;
	if (rc != XDS_OK || h.n == 0)
		goto fail;
	if ((ids = calloc(h.n, sizeof *ids)) == NULL) {
		rc = nomem(r);
		goto fail;
	}
	for (i = 0; i < h.n; i++)
		ids[i] = h.v[i].id;
	qsort(ids, h.n, sizeof *ids, id_cmp);
	for (i = 0; i < r->res.n; i++) {
		if (bsearch(&r->res.v[i].id, ids, h.n, sizeof *ids,
		    id_cmp) != NULL)
			continue;
		nassoc += r->res.v[i].kind == KIND_ASSOC;
		r->res.v[o++] = r->res.v[i];
	}
	r->res.n = o;
	if (r->ps->q->qid == SQP_GETRELATEDDOCS && nassoc == 0)
		r->res.n = 0;
fail:
	sql_free(s);
	free(all);
	free(assocs);
	free(ids);
	vec_free(&h);
	return rc;
}

/* The lid and version columns of row id into o (*stp: the statement,
 * prepared on first use). */
static int
lid_version(struct qrun *r, sqlite3_stmt **stp, sqlite3_int64 id,
    struct query_obj *o)
{
	static const char sql[] = "SELECT lid, version FROM registry_object "
	    "WHERE id = ?";

	if (*stp == NULL && sqlite3_prepare_v2(r->db, sql, sizeof sql, stp,
	    NULL) != SQLITE_OK)
		return internal(r, "prepare");
	sqlite3_reset(*stp);
	if (sqlite3_bind_int64(*stp, 1, id) != SQLITE_OK)
		return internal(r, "bind");
	if (sqlite3_step(*stp) != SQLITE_ROW)
		return internal(r, "object row");
	o->lid = (const char *)sqlite3_column_text(*stp, 0);
	o->version = sqlite3_column_int64(*stp, 1);
	if (o->lid == NULL || o->version <= 0)
		return internal(r, "object version");
	return XDS_OK;
}

/* Write every object of r->res; LeafClass answers must be about one
 * patient. */
static int
write_objects(struct qrun *r, const struct query_opts *o, int leaf,
    struct buf *objs)
{
	static const char sql[] = "SELECT entry_uuid, status, patient_id, "
	    "xml FROM registry_object WHERE id = ?";
	sqlite3_stmt *st = NULL, *vst = NULL;
	struct query_obj qo;
	const char *uuid, *status, *pid, *xml;
	int kind;
	char patient[1024] = "";
	size_t i;
	int rc = XDS_EINTERNAL, brc, n;

	if (sqlite3_prepare_v2(r->db, sql, sizeof sql, &st, NULL) !=
	    SQLITE_OK)
		return internal(r, "prepare");
	for (i = 0; i < r->res.n; i++) {
		sqlite3_reset(st);
		if (sqlite3_bind_int64(st, 1, r->res.v[i].id) != SQLITE_OK) {
			rc = internal(r, "bind");
			goto fail;
		}
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = internal(r, "object row");
			goto fail;
		}
		uuid = (const char *)sqlite3_column_text(st, 0);
		status = (const char *)sqlite3_column_text(st, 1);
		pid = (const char *)sqlite3_column_text(st, 2);
		if (uuid == NULL || status == NULL) {
			rc = internal(r, "object row");
			goto fail;
		}
		if (!leaf) {
			/* The XML stays unread: it lives on overflow pages, and
			 * reading it was most of an ObjectRef answer's time. */
			brc = rim_write_objectref(uuid, o->home, objs);
			if (brc != 0)
				goto toobig;
			continue;
		}
		xml = sqlite3_column_blob(st, 3);
		n = sqlite3_column_bytes(st, 3);
		if (pid != NULL && patient[0] == '\0')
			str_lcpy(patient, pid, sizeof patient);
		else if (pid != NULL && strcmp(pid, patient) != 0) {
			str_fmt(r->err, r->errlen, "the objects found belong "
			    "to more than one patient: ask for ObjectRef or "
			    "query by patient");
			rc = QUERY_ENOTSINGLE;
			goto fail;
		}
		kind = r->res.v[i].kind;
		memset(&qo, 0, sizeof qo);
		qo.status = status;
		qo.home = o->home;
		qo.versioned = kind == KIND_DE || kind == KIND_SS ||
		    kind == KIND_FOLDER;
		brc = query_obj_write(objs, xml, xml != NULL ? (size_t)n : 0,
		    &qo);
		if (brc == QUERY_OBJ_NEEDS) {
			/* Stored before the registry wrote lid and
			 * VersionInfo into every object's XML. */
			if ((rc = lid_version(r, &vst, r->res.v[i].id,
			    &qo)) != XDS_OK)
				goto fail;
			brc = query_obj_write(objs, xml, (size_t)n, &qo);
		}
		if (brc == XDS_EFORMAT) {
			str_fmt(r->err, r->errlen, "stored query: object %s: "
			    "stored XML is not an element", uuid);
			goto fail;
		}
		if (brc == XDS_ENOMEM) {
			rc = nomem(r);
			goto fail;
		}
		if (brc != XDS_OK)
			goto toobig;
	}
	rc = XDS_OK;
	goto fail;
toobig:
	/* rim_write_objectref and buf report the cap the same way. */
	str_fmt(r->err, r->errlen, "response larger than %zu bytes",
	    objs->b_max);
	rc = QUERY_ETOOMANY;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(vst);
	return rc;
}

const char *
query_errcode(int st)
{
	switch (st) {
	case XDS_OK:
		return NULL;
	case QUERY_ETOOMANY:
		return ERR_TOO_MANY_RESULTS;
	case QUERY_ENOTSINGLE:
		return ERR_RESULT_NOT_SINGLE_PATIENT;
	default:
		return ERR_REGISTRY;
	}
}

int
query_exec(sqlite3 *db, const struct sqp_set *ps, const struct query_opts *o,
    int leaf, struct buf *objs, char *err, size_t errlen)
{
	struct qrun r;
	int rc, began = 0;

	memset(&r, 0, sizeof r);
	r.db = db;
	r.ps = ps;
	r.max = o->max_results > 0 ? o->max_results : 1;
	r.limit = r.max + 1;
	r.err = err;
	r.errlen = errlen;
	r.level = sqp_metadata_level(ps);
	if (sqlite3_get_autocommit(db)) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			return internal(&r, "begin");
		began = 1;
	}
	if ((rc = runners[ps->q->qid](&r)) != XDS_OK)
		goto done;
	res_unique(&r.res);
	if ((long long)r.res.n > r.max) {
		str_fmt(err, errlen, "more than %lld objects match; narrow "
		    "the query", r.max);
		rc = QUERY_ETOOMANY;
		goto done;
	}
	if (r.level == 1 && !r.filtered && (rc = hide_level2(&r)) != XDS_OK)
		goto done;
	rc = write_objects(&r, o, leaf, objs);
done:
	if (rc != XDS_OK)
		buf_reset(objs);
	/* A read transaction: COMMIT only ends it. */
	if (began && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		if (rc == XDS_OK) {
			buf_reset(objs);
			rc = internal(&r, "commit");
		}
	}
	vec_free(&r.res);
	return rc;
}
