/*
 * query.c: ITI-18 Registry Stored Query over the registry database
 * (registry/schema.sql): the request, the response and the run of a
 * query.  The SQL of the 14 queries is in query_sql.c.
 *
 * Flow: read ResponseOption and AdhocQuery, parse the slots with
 * sqparam, run the query in one read transaction collecting object row
 * ids, then write each object as an ObjectRef or as its stored XML with
 * status (and home) spliced in.  Query errors become a Failure response;
 * only database and memory failures return -1.
 */
#include "config.h"

#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "log.h"
#include "query.h"
#include "query_int.h"
#include "sqparam.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

const char *
query_id_by_name(const char *name)
{
	const struct sqp_query *q = sqp_query_by_name(name);

	return q != NULL ? q->id : NULL;
}

const char *
query_name_by_id(const char *id)
{
	const struct sqp_query *q = sqp_query_by_id(id);

	return q != NULL ? q->name : NULL;
}

/* The request's slots as text, owned here (xmlNodeGetContent copies). */
struct req_slots {
	struct sqp_slot	 s[SQP_MAX_SLOTS];
	size_t		 n;
	xmlChar		*texts[SQP_MAX_VALUES];
	size_t		 ntexts;
};

static void
req_slots_free(struct req_slots *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->s[i].values);
	for (i = 0; i < rs->ntexts; i++)
		xmlFree(rs->texts[i]);
	rs->n = rs->ntexts = 0;
}

/*
 * Collect rim:Slot/rim:ValueList/rim:Value of the AdhocQuery.  Returns 0,
 * XDS_ETOOBIG / XDS_EFORMAT with a reason, or XDS_ENOMEM.
 */
static int
read_slots(xmlNode *aq, struct req_slots *rs, char *err, size_t errlen)
{
	xmlNode *sl, *vl, *v;
	struct sqp_slot *s;
	const char **nv;
	xmlChar *t;

	for (sl = xml_first_elem(aq); sl != NULL; sl = xml_next_elem(sl)) {
		if (!xml_is(sl, NS_RIM, "Slot"))
			continue;
		if (rs->n >= SQP_MAX_SLOTS) {
			str_fmt(err, errlen, "more than %d slots", SQP_MAX_SLOTS);
			return XDS_ETOOBIG;
		}
		s = &rs->s[rs->n++];
		memset(s, 0, sizeof *s);
		if ((s->name = xml_attr(sl, "name")) == NULL) {
			str_fmt(err, errlen, "Slot without a name");
			return XDS_EFORMAT;
		}
		for (vl = xml_first_elem(sl); vl != NULL; vl = xml_next_elem(vl)) {
			if (!xml_is(vl, NS_RIM, "ValueList"))
				continue;
			for (v = xml_first_elem(vl); v != NULL;
			    v = xml_next_elem(v)) {
				if (!xml_is(v, NS_RIM, "Value"))
					continue;
				if (rs->ntexts >= SQP_MAX_VALUES) {
					str_fmt(err, errlen, "more than %d "
					    "values", SQP_MAX_VALUES);
					return XDS_ETOOBIG;
				}
				if ((t = xmlNodeGetContent(v)) == NULL)
					return XDS_ENOMEM;
				rs->texts[rs->ntexts++] = t;
				nv = realloc(s->values,
				    (s->nvalues + 1) * sizeof *nv);
				if (nv == NULL)
					return XDS_ENOMEM;
				s->values = nv;
				s->values[s->nvalues++] = (const char *)t;
			}
		}
	}
	return XDS_OK;
}

/* The AdhocQueryResponse: Failure when there are errors. */
static int
write_response(struct buf *out, const struct rim_errors *errs,
    const struct buf *objs)
{
	return rim_write_query_response(out, rim_errors_nerror(errs) > 0 ?
	    ST_FAILURE : ST_SUCCESS, errs, objs) == XDS_OK ? 0 : -1;
}

/* The patient id parameter of the query, for the audit record. */
static const char *
query_patient(const struct sqp_set *ps)
{
	static const char *names[] = {
		SQP_DE_PATIENTID, SQP_SS_PATIENTID, SQP_FOL_PATIENTID,
		SQP_PATIENTID,
	};
	const char *p;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((p = sqp_str(ps, names[i])) != NULL)
			return p;
	return NULL;
}

/*
 * Check the request envelope: returns the query and return type, or a
 * query error (code, text) in errs.  0 on success, 1 when errs got an
 * error, -1 on allocation failure.
 */
static int
read_request(xmlNode *req, const struct sqp_query **qp, int *leaf,
    xmlNode **aqp, struct rim_errors *errs, struct xact *x)
{
	xmlNode *n, *ro = NULL, *aq = NULL;
	const char *rt, *id;

	if (!xml_is(req, NS_QUERY, "AdhocQueryRequest"))
		return rim_errors_add(errs, 0, ERR_REGISTRY, NULL,
		    "request is not a query:AdhocQueryRequest") ? -1 : 1;
	for (n = xml_first_elem(req); n != NULL; n = xml_next_elem(n)) {
		if (xml_is(n, NS_QUERY, "ResponseOption") && ro == NULL)
			ro = n;
		else if (xml_is(n, NS_RIM, "AdhocQuery") && aq == NULL)
			aq = n;
	}
	if (ro == NULL || aq == NULL)
		return rim_errors_add(errs, 0, ERR_REGISTRY, NULL,
		    "AdhocQueryRequest needs query:ResponseOption and "
		    "rim:AdhocQuery") ? -1 : 1;
	rt = xml_attr(ro, "returnType");
	if (rt != NULL && strcmp(rt, "LeafClass") == 0)
		*leaf = 1;
	else if (rt != NULL && strcmp(rt, "ObjectRef") == 0)
		*leaf = 0;
	else
		return rim_errors_add(errs, 0, ERR_REGISTRY, NULL,
		    "returnType %.64s not supported (LeafClass or ObjectRef)",
		    rt ? rt : "(absent)") ? -1 : 1;
	id = xml_attr(aq, "id");
	if (x != NULL)
		xact_set_object(x, id);
	if ((*qp = sqp_query_by_id(id)) == NULL)
		return rim_errors_add(errs, 0, ERR_UNKNOWN_STORED_QUERY, NULL,
		    "unknown stored query id %.64s", id ? id : "(absent)") ?
		    -1 : 1;
	*aqp = aq;
	return 0;
}

int
query_check(xmlNode *req, struct rim_errors *errs)
{
	struct req_slots *rs = NULL;
	struct sqp_set ps;
	const struct sqp_query *q = NULL;
	xmlNode *aq = NULL;
	char err[512];
	int leaf = 0, st;

	memset(&ps, 0, sizeof ps);
	err[0] = '\0';
	if ((st = read_request(req, &q, &leaf, &aq, errs, NULL)) != 0)
		return st < 0 ? XDS_ENOMEM : XDS_OK;
	if ((rs = calloc(1, sizeof *rs)) == NULL)
		return XDS_ENOMEM;
	if ((st = read_slots(aq, rs, err, sizeof err)) == XDS_OK)
		st = sqp_parse(q, rs->s, rs->n, &ps, err, sizeof err);
	if (st != XDS_OK && st != XDS_ENOMEM &&
	    rim_errors_add(errs, 0, sqp_errcode(st), NULL, "%s", err) != 0)
		st = XDS_ENOMEM;
	req_slots_free(rs);
	free(rs);
	sqp_free(&ps);
	return st == XDS_ENOMEM ? XDS_ENOMEM : XDS_OK;
}

int
query_run(sqlite3 *db, xmlNode *req, const struct query_opts *o,
    struct buf *out, struct xact *x)
{
	struct rim_errors errs;
	struct req_slots *rs = NULL;
	struct sqp_set ps;
	struct buf objs;
	const struct sqp_query *q = NULL;
	xmlNode *aq = NULL;
	char err[512];
	size_t i, start = out->b_len;
	int rc = -1, leaf = 0, st;

	rim_errors_init(&errs);
	memset(&ps, 0, sizeof ps);
	buf_init(&objs, out->b_max);
	err[0] = '\0';
	if ((st = read_request(req, &q, &leaf, &aq, &errs, x)) < 0)
		goto nomem;
	if (st > 0)
		goto answer;
	if ((rs = calloc(1, sizeof *rs)) == NULL)
		goto nomem;
	if ((st = read_slots(aq, rs, err, sizeof err)) == XDS_OK)
		st = sqp_parse(q, rs->s, rs->n, &ps, err, sizeof err);
	if (st == XDS_ENOMEM)
		goto nomem;
	if (st != XDS_OK) {
		if (rim_errors_add(&errs, 0, sqp_errcode(st), NULL, "%s",
		    err) != 0)
			goto nomem;
		goto answer;
	}
	xact_set_patient(x, query_patient(&ps));
	st = query_exec(db, &ps, o, leaf, &objs, err, sizeof err);
	if (st == XDS_ENOMEM) {
		xact_fail(x, XACT_FAULT, err);
		goto fail;
	}
	if (st < 0) {
		/* The database's own words are for the log (they name no
		 * patient), never for the consumer. */
		log_warnx("registry: ITI-18 %s: %s", x->object, err);
		str_lcpy(err, "the registry could not run the query",
		    sizeof err);
		st = XDS_EIO;
	}
	if (st != XDS_OK && rim_errors_add(&errs, 0, query_errcode(st),
	    NULL, "%s", err) != 0)
		goto nomem;
answer:
	for (i = 0; i < errs.n; i++)
		if (!errs.v[i].warning)
			xact_add_error(x, errs.v[i].code);
	if (write_response(out, &errs, rim_errors_nerror(&errs) ? NULL :
	    &objs) != 0) {
		/* The response did not fit: say so in a small one. */
		out->b_len = start;
		if (out->b_data != NULL)
			out->b_data[start] = '\0';
		rim_errors_free(&errs);
		rim_errors_init(&errs);
		if (rim_errors_add(&errs, 0, ERR_TOO_MANY_RESULTS, NULL,
		    "response larger than %zu bytes", out->b_max) != 0 ||
		    write_response(out, &errs, NULL) != 0) {
			xact_fail(x, XACT_FAULT, "cannot write query response");
			goto fail;
		}
		xact_add_error(x, ERR_TOO_MANY_RESULTS);
	}
	rc = 0;
	goto fail;
nomem:
	xact_fail(x, XACT_FAULT, "out of memory in stored query");
fail:
	if (rc != 0) {
		out->b_len = start;
		if (out->b_data != NULL)
			out->b_data[start] = '\0';
	}
	if (rs != NULL)
		req_slots_free(rs);
	free(rs);
	sqp_free(&ps);
	buf_free(&objs);
	rim_errors_free(&errs);
	return rc;
}
