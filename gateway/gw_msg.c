/*
 * gw_msg.c: reading and changing XCA messages for the gateways
 * (gw_msg.h).  DOM work only: no I/O, no globals.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "gw_msg.h"
#include "hl7dt.h"
#include "mtom.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

/* The stored queries that name a patient (the rest select by ids, and
 * need a home community id at a gateway). */
static const struct {
	const char	*id;
	const char	*param;
} by_patient[] = {
	{ SQ_FINDDOCUMENTS, SQP_DE_PATIENTID },
	{ SQ_FINDSUBMISSIONSETS, SQP_SS_PATIENTID },
	{ SQ_FINDFOLDERS, SQP_FOL_PATIENTID },
	{ SQ_GETALL, SQP_PATIENTID },
	{ SQ_FINDDOCSBYREFID, SQP_DE_PATIENTID },
};

int
gw_cx_canon(const char *s, char *out, size_t outsz)
{
	struct hl7_cx cx;
	char e[128];

	out[0] = '\0';
	if (hl7_cx_parse(s, strlen(s), &cx, e, sizeof e) != 0 ||
	    hl7_cx_format(&cx, out, outsz) != 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
gw_slot_values(const char *text, char out[][DIR_HCID_MAX], size_t max,
    size_t *n)
{
	const char *p = text, *q;
	int list = 0;

	*n = 0;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '(') {
		list = 1;
		p++;
	}
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (list && *p == ')' && *n == 0)
			break;		/* () : an empty list */
		if (*p != '\'' || (q = strchr(p + 1, '\'')) == NULL)
			return XDS_EFORMAT;
		if (*n == max || (size_t)(q - p - 1) >= DIR_HCID_MAX)
			return XDS_ETOOBIG;
		memcpy(out[*n], p + 1, (size_t)(q - p - 1));
		out[(*n)++][q - p - 1] = '\0';
		p = q + 1;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!list)
			break;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p != ')')
			return XDS_EFORMAT;
		break;
	}
	if (list)
		p++;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return *p == '\0' ? XDS_OK : XDS_EFORMAT;
}

/* The first Value text of slot s into out ("" when none). */
static int
slot_value(xmlNode *s, char *out, size_t outsz)
{
	xmlNode *vl, *v;

	out[0] = '\0';
	if ((vl = xml_child(s, NS_RIM, "ValueList")) == NULL ||
	    (v = xml_child(vl, NS_RIM, "Value")) == NULL)
		return 0;
	return xml_text(v, out, outsz);
}

/* $targetCommunityIdList: every Value, each a quoted id or a list. */
static int
read_targets(xmlNode *s, struct gw_query *q, char *err, size_t errlen)
{
	xmlNode *vl, *v;
	char text[4096];
	size_t n;
	int rc;

	q->targets_given = 1;
	if ((vl = xml_child(s, NS_RIM, "ValueList")) == NULL)
		return XDS_OK;
	for (v = xml_first_elem(vl); v != NULL; v = xml_next_elem(v)) {
		if (!xml_is(v, NS_RIM, "Value"))
			continue;
		if (xml_text(v, text, sizeof text) != 0) {
			str_fmt(err, errlen, "%s: a value over %zu bytes",
			    SQP_TARGET_COMMUNITIES, sizeof text);
			return XDS_EFORMAT;
		}
		if (text[0] == '\0')
			continue;
		rc = gw_slot_values(text, q->targets + q->ntargets,
		    GW_MAX_TARGETS - q->ntargets, &n);
		if (rc != XDS_OK) {
			str_fmt(err, errlen, "%s: %s", SQP_TARGET_COMMUNITIES,
			    rc == XDS_ETOOBIG ? "more than 64 ids, or one "
			    "too long" : "not a list of quoted ids");
			return XDS_EFORMAT;
		}
		q->ntargets += n;
	}
	return XDS_OK;
}

int
gw_query_read(xmlNode *req, struct gw_query *q, char *err, size_t errlen)
{
	xmlNode *s;
	const char *v, *pname = NULL, *name;
	char text[GW_CX_MAX];
	size_t i;

	memset(q, 0, sizeof *q);
	if (req == NULL || (q->adhoc = xml_child(req, NS_RIM, "AdhocQuery")) ==
	    NULL) {
		str_fmt(err, errlen, "no rim:AdhocQuery in the request");
		return XDS_EFORMAT;
	}
	if ((v = xml_attr(q->adhoc, "id")) == NULL || strlen(v) >= sizeof q->id) {
		str_fmt(err, errlen, "rim:AdhocQuery without a usable id");
		return XDS_EFORMAT;
	}
	str_lcpy(q->id, v, sizeof q->id);
	if ((v = xml_attr(q->adhoc, "home")) != NULL)
		str_lcpy(q->home, v, sizeof q->home);
	for (i = 0; i < sizeof by_patient / sizeof by_patient[0]; i++)
		if (strcmp(q->id, by_patient[i].id) == 0) {
			q->by_patient = 1;
			pname = by_patient[i].param;
		}
	for (s = xml_first_elem(q->adhoc); s != NULL; s = xml_next_elem(s)) {
		if (!xml_is(s, NS_RIM, "Slot") ||
		    (name = xml_attr(s, "name")) == NULL)
			continue;
		if (strcmp(name, SQP_TARGET_COMMUNITIES) == 0) {
			if (read_targets(s, q, err, errlen) != XDS_OK)
				return XDS_EFORMAT;
		} else if (pname != NULL && strcmp(name, pname) == 0 &&
		    slot_value(s, text, sizeof text) == 0) {
			size_t n = strlen(text);

			if (n >= 2 && text[0] == '\'' && text[n - 1] == '\'') {
				text[n - 1] = '\0';
				(void)gw_cx_canon(text + 1, q->patient,
				    sizeof q->patient);
			}
		}
	}
	return XDS_OK;
}

void
gw_query_drop_slot(struct gw_query *q, const char *name)
{
	xmlNode *s, *next;
	const char *n;

	for (s = xml_first_elem(q->adhoc); s != NULL; s = next) {
		next = xml_next_elem(s);
		if (xml_is(s, NS_RIM, "Slot") &&
		    (n = xml_attr(s, "name")) != NULL && strcmp(n, name) == 0) {
			xmlUnlinkNode(s);
			xmlFreeNode(s);
		}
	}
}

xmlNode *
gw_objects(xmlNode *resp)
{
	return resp == NULL ? NULL : xml_child(resp, NS_RIM,
	    "RegistryObjectList");
}

size_t
gw_count_objects(xmlNode *resp)
{
	xmlNode *o;
	size_t n = 0;

	for (o = xml_first_elem(gw_objects(resp)); o != NULL;
	    o = xml_next_elem(o))
		n++;
	return n;
}

int
gw_stamp_home(xmlNode *resp, const char *home)
{
	xmlNode *o;

	for (o = xml_first_elem(gw_objects(resp)); o != NULL;
	    o = xml_next_elem(o))
		if (xmlSetProp(o, BAD_CAST "home", BAD_CAST home) == NULL)
			return XDS_ENOMEM;
	return XDS_OK;
}

/* Every rs:RegistryError under n (n included), in document order. */
static xmlNode *
next_error(xmlNode *root, xmlNode *from)
{
	xmlNode *n = from;

	for (;;) {
		if (n == NULL)
			return NULL;
		if (n->children != NULL && n->type == XML_ELEMENT_NODE)
			n = n->children;
		else {
			while (n != root && n->next == NULL)
				n = n->parent;
			if (n == root)
				return NULL;
			n = n->next;
		}
		if (xml_is(n, NS_RS, "RegistryError"))
			return n;
	}
}

int
gw_locate_errors(xmlNode *n, const char *location)
{
	xmlNode *e;

	for (e = next_error(n, n); e != NULL; e = next_error(n, e))
		if (xmlSetProp(e, BAD_CAST "location", BAD_CAST location) ==
		    NULL)
			return XDS_ENOMEM;
	return XDS_OK;
}

int
gw_take_errors(xmlNode *n, struct rim_errors *errs, const char *location)
{
	xmlNode *e;
	const char *code, *ctx, *loc, *sev;
	int warning, nerr = 0;

	for (e = next_error(n, n); e != NULL; e = next_error(n, e)) {
		code = xml_attr(e, "errorCode");
		ctx = xml_attr(e, "codeContext");
		loc = xml_attr(e, "location");
		sev = xml_attr(e, "severity");
		warning = sev != NULL && strcmp(sev, SEV_WARNING) == 0;
		if (rim_errors_add(errs, warning, code != NULL ? code :
		    ERR_REGISTRY, loc != NULL && *loc != '\0' ? loc : location,
		    "%s", ctx != NULL ? ctx : "") == XDS_ENOMEM)
			return XDS_ENOMEM;
		if (!warning)
			nerr++;
	}
	return nerr;
}

const char *
gw_status(xmlNode *resp)
{
	const char *s = resp != NULL ? xml_attr(resp, "status") : NULL;

	if (s != NULL && strcmp(s, ST_SUCCESS) == 0)
		return ST_SUCCESS;
	if (s != NULL && strcmp(s, ST_PARTIAL) == 0)
		return ST_PARTIAL;
	return ST_FAILURE;
}

int
gw_object_patient(xmlNode *obj, char *out, size_t outsz)
{
	static const char *const schemes[] = {
		EI_DE_PATIENTID, EI_SS_PATIENTID, EI_FOL_PATIENTID,
	};
	xmlNode *c;
	const char *sch, *v;

	out[0] = '\0';
	for (c = xml_first_elem(obj); c != NULL; c = xml_next_elem(c)) {
		if (!xml_is(c, NS_RIM, "ExternalIdentifier") ||
		    (sch = xml_attr(c, "identificationScheme")) == NULL ||
		    !str_in(sch, schemes, sizeof schemes / sizeof schemes[0]))
			continue;
		if ((v = xml_attr(c, "value")) == NULL)
			return -1;
		return gw_cx_canon(v, out, outsz) == 0 ? 1 : -1;
	}
	return 0;
}

/* ---- retrieves ---- */

/* DocumentRequests of req: its children (ITI-43/39) or those of its
 * StudyRequest/SeriesRequest elements (RAD-69/75). */
static int
collect(xmlNode *n, xmlNode ***v, size_t *len, size_t *cap, int depth)
{
	xmlNode *c, **nv;

	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c)) {
		if (xml_is(c, NS_XDSB, "DocumentRequest")) {
			if (*len == *cap) {
				*cap = *cap ? *cap * 2 : 16;
				if ((nv = realloc(*v, *cap * sizeof *nv)) ==
				    NULL)
					return XDS_ENOMEM;
				*v = nv;
			}
			(*v)[(*len)++] = c;
		} else if (depth < 2 && (xml_is(c, NS_XDSI, "StudyRequest") ||
		    xml_is(c, NS_XDSI, "SeriesRequest")) &&
		    collect(c, v, len, cap, depth + 1) != XDS_OK)
			return XDS_ENOMEM;
	}
	return XDS_OK;
}

int
gw_doc_requests(xmlNode *req, xmlNode ***out, size_t *n)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (collect(req, out, n, &cap, 0) != XDS_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
		return XDS_ENOMEM;
	}
	return XDS_OK;
}

/* Remove the SeriesRequest/StudyRequest elements under n that hold no
 * DocumentRequest any more. */
static int
prune(xmlNode *n)
{
	xmlNode *c, *next;
	int kept = 0;

	for (c = xml_first_elem(n); c != NULL; c = next) {
		next = xml_next_elem(c);
		if (xml_is(c, NS_XDSB, "DocumentRequest"))
			kept++;
		else if (xml_is(c, NS_XDSI, "StudyRequest") ||
		    xml_is(c, NS_XDSI, "SeriesRequest")) {
			if (prune(c) == 0) {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
			} else
				kept++;
		}
	}
	return kept;
}

xmlDoc *
gw_request_subset(xmlNode *req, const unsigned char *keep, size_t n)
{
	xmlDoc *d;
	xmlNode *copy, **v = NULL;
	size_t i, nv;

	if ((d = xmlNewDoc(BAD_CAST "1.0")) == NULL ||
	    (copy = xmlDocCopyNode(req, d, 1)) == NULL)
		goto fail;
	xmlDocSetRootElement(d, copy);
	if (xmlReconciliateNs(d, copy) < 0 ||
	    gw_doc_requests(copy, &v, &nv) != XDS_OK)
		goto fail;
	for (i = 0; i < nv; i++)
		if (i >= n || !keep[i]) {
			xmlUnlinkNode(v[i]);
			xmlFreeNode(v[i]);
		}
	free(v);
	(void)prune(copy);
	return d;
fail:
	free(v);
	xmlFreeDoc(d);
	return NULL;
}

/* Grow *out by one entry. */
static struct mtom_attachment *
att_push(struct mtom_attachment **out, size_t *nout)
{
	struct mtom_attachment *nv;

	if ((nv = realloc(*out, (*nout + 1) * sizeof *nv)) == NULL)
		return NULL;
	*out = nv;
	memset(&nv[*nout], 0, sizeof nv[*nout]);
	return &nv[(*nout)++];
}

/* One DocumentResponse: its part moved to *out, href rewritten.  1 when
 * moved, 0 when dropped (error recorded), or a status. */
static int
take_one(xmlNode *dr, struct mtom_attachment *att, size_t natt,
    const char *prefix, struct mtom_attachment **out, size_t *nout,
    struct rim_errors *errs, const char *location)
{
	xmlNode *doc, *inc;
	const struct mtom_attachment *a;
	struct mtom_attachment *m;
	char href[300];
	const char *h;

	if ((doc = xml_child(dr, NS_XDSB, "Document")) == NULL)
		goto drop;
	if ((inc = xml_child(doc, NS_XOP, "Include")) == NULL)
		return 1;	/* inline base64: travels in the XML */
	if ((h = xml_attr(inc, "href")) == NULL ||
	    (a = mtom_find(att, natt, h)) == NULL || a->path[0] == '\0')
		goto drop;
	if ((m = att_push(out, nout)) == NULL)
		return XDS_ENOMEM;
	*m = *a;
	if (str_fmt(m->cid, sizeof m->cid, "%s.%s", prefix, a->cid) < 0 ||
	    str_fmt(href, sizeof href, "cid:%s", m->cid) < 0) {
		(*nout)--;
		goto drop;
	}
	if (xmlSetProp(inc, BAD_CAST "href", BAD_CAST href) == NULL) {
		(*nout)--;
		return XDS_ENOMEM;
	}
	att[a - att].path[0] = '\0';
	return 1;
drop:
	if (rim_errors_add(errs, 0, ERR_REPOSITORY, location, "a "
	    "DocumentResponse whose document is not a part of the answer "
	    "was dropped") == XDS_ENOMEM)
		return XDS_ENOMEM;
	return 0;
}

int
gw_take_documents(xmlNode *resp, struct mtom_attachment *att, size_t natt,
    const char *prefix, struct buf *docs, struct mtom_attachment **out,
    size_t *nout, struct rim_errors *errs, const char *location)
{
	xmlNode *dr;
	int r, n = 0;

	for (dr = xml_first_elem(resp); dr != NULL; dr = xml_next_elem(dr)) {
		if (!xml_is(dr, NS_XDSB, "DocumentResponse"))
			continue;
		if ((r = take_one(dr, att, natt, prefix, out, nout, errs,
		    location)) < 0)
			return r;
		if (r == 0)
			continue;
		if ((r = xml_dump(dr, docs)) != XDS_OK)
			return r;
		n++;
	}
	return n;
}
