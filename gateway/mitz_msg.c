/*
 * mitz_msg.c: the closed question to Mitz and its answer (mitz_msg.h).
 *
 * The query follows the SAML 2.0 profile of XACML 3.0: a
 * types:XACMLAuthzDecisionQuery (a samlp:RequestAbstractType, so with
 * ID, Version and IssueInstant) holding one xacml:Request with four
 * Attributes: the resource (the patient's BSN, the data holder's URA and
 * organisation type), one action (the data category), the access
 * subject (the requester) and the environment (the purpose of use).
 * Every AttributeValue is an HL7 v3 II or CV.  IncludeInResult is false
 * everywhere: Mitz need not echo the BSN.
 */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "mitz_msg.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

const char *
mitz_decision_name(enum mitz_decision d)
{
	switch (d) {
	case MITZ_PERMIT:		return "Permit";
	case MITZ_DENY:			return "Deny";
	case MITZ_NOT_APPLICABLE:	return "NotApplicable";
	case MITZ_INDETERMINATE:	return "Indeterminate";
	case MITZ_NO_ANSWER:
	case MITZ_NDECISIONS:		break;
	}
	return "no answer";
}

struct qb {
	xmlDoc	*doc;
	xmlNs	*xacml;
	int	 oom;
};

static xmlNode *
add(struct qb *b, xmlNode *parent, xmlNs *ns, const char *name)
{
	xmlNode *n;

	if (b->oom || (n = xmlNewChild(parent, ns, (const xmlChar *)name,
	    NULL)) == NULL) {
		b->oom = 1;
		return NULL;
	}
	return n;
}

static void
prop(struct qb *b, xmlNode *n, const char *name, const char *value)
{
	if (!b->oom && (n == NULL || xmlSetProp(n, (const xmlChar *)name,
	    (const xmlChar *)value) == NULL))
		b->oom = 1;
}

/* <Attributes Category=... xml:id=...> */
static xmlNode *
attributes(struct qb *b, xmlNode *req, const char *category, const char *id)
{
	xmlNode *a = add(b, req, b->xacml, "Attributes");
	xmlNs *xml;

	prop(b, a, "Category", category);
	if (!b->oom && ((xml = xmlSearchNsByHref(b->doc, a,
	    XML_XML_NAMESPACE)) == NULL || xmlSetNsProp(a, xml,
	    (const xmlChar *)"id", (const xmlChar *)id) == NULL))
		b->oom = 1;
	return a;
}

/* An Attribute with one HL7 v3 value: an II (root, extension and, when
 * authority is not NULL, assigningAuthorityName) or a CV (code,
 * codeSystem). */
static void
hl7_attribute(struct qb *b, xmlNode *attrs, const char *id, int ii,
    const char *system, const char *value, const char *authority)
{
	xmlNode *a, *v, *e;
	xmlNs *hl7;

	a = add(b, attrs, b->xacml, "Attribute");
	prop(b, a, "AttributeId", id);
	prop(b, a, "IncludeInResult", "false");
	v = add(b, a, b->xacml, "AttributeValue");
	prop(b, v, "DataType", ii ? XACML_DT_II : XACML_DT_CV);
	if (b->oom || (e = xmlNewChild(v, NULL, (const xmlChar *)(ii ?
	    "InstanceIdentifier" : "CodedValue"), NULL)) == NULL ||
	    (hl7 = xmlNewNs(e, (const xmlChar *)NS_HL7V3, NULL)) == NULL) {
		b->oom = 1;
		return;
	}
	xmlSetNs(e, hl7);
	if (ii) {
		prop(b, e, "root", system);
		prop(b, e, "extension", value);
		if (authority != NULL)
			prop(b, e, "assigningAuthorityName", authority);
	} else {
		prop(b, e, "code", value);
		prop(b, e, "codeSystem", system);
	}
}

/* A value fit for the query: set, short, printable ASCII without
 * spaces. */
static int
field_ok(const char *v, int may_be_empty)
{
	size_t i, n;

	if (v == NULL)
		return 0;
	if ((n = strlen(v)) == 0)
		return may_be_empty;
	if (n >= MITZ_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return 0;
	return 1;
}

static int
question_check(const struct mitz_question *q, char *err, size_t errlen)
{
	const struct mitz_requester *r = q->requester;
	size_t i;

	if (q->bsn == NULL || strlen(q->bsn) != 9) {
		str_fmt(err, errlen, "the patient's id is not a BSN");
		return XDS_EINVAL;
	}
	for (i = 0; i < 9; i++)
		if (q->bsn[i] < '0' || q->bsn[i] > '9') {
			str_fmt(err, errlen, "the patient's id is not a BSN");
			return XDS_EINVAL;
		}
#define NEED(v, name, empty) \
	if (!field_ok((v), (empty))) { \
		str_fmt(err, errlen, "%s is missing or not a code", (name)); \
		return XDS_EINVAL; \
	}
	NEED(q->holder_ura, "the data holder's URA", 0)
	NEED(q->holder_type, "the data holder's organisation type", 0)
	NEED(q->category, "the data category", 0)
	NEED(q->purpose, "the purpose of use", 0)
	NEED(q->id, "the query's ID", 0)
	NEED(q->instant, "the query's IssueInstant", 0)
	if (r == NULL) {
		str_fmt(err, errlen, "no requester");
		return XDS_EINVAL;
	}
	NEED(r->ura, "the requester's URA", 0)
	NEED(r->org_type, "the requester's organisation type", 0)
	NEED(r->role, "the requester's role", 0)
	NEED(r->professional, "the requester's UZI number", 1)
	NEED(r->mandated, "the mandated person's UZI number", 1)
#undef NEED
	return XDS_OK;
}

int
mitz_query_build(const struct mitz_question *q, xmlDoc **out, char *err,
    size_t errlen)
{
	const struct mitz_requester *r = q->requester;
	struct qb b;
	xmlNode *root, *req, *a;
	xmlNs *types;
	int rc;

	*out = NULL;
	if ((rc = question_check(q, err, errlen)) != XDS_OK)
		return rc;
	memset(&b, 0, sizeof b);
	if ((b.doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(b.doc, NULL,
	    (const xmlChar *)"XACMLAuthzDecisionQuery", NULL)) == NULL)
		goto oom;
	xmlDocSetRootElement(b.doc, root);
	if ((types = xmlNewNs(root, (const xmlChar *)NS_XACML_SAMLP,
	    (const xmlChar *)"types")) == NULL)
		goto oom;
	xmlSetNs(root, types);
	prop(&b, root, "ID", q->id);
	prop(&b, root, "Version", "2.0");
	prop(&b, root, "IssueInstant", q->instant);
	prop(&b, root, "InputContextOnly", "false");
	prop(&b, root, "ReturnContext", "false");
	if (b.oom || (req = xmlNewChild(root, NULL, (const xmlChar *)"Request",
	    NULL)) == NULL || (b.xacml = xmlNewNs(req,
	    (const xmlChar *)NS_XACML, NULL)) == NULL)
		goto oom;
	xmlSetNs(req, b.xacml);
	prop(&b, req, "CombinedDecision", "false");
	prop(&b, req, "ReturnPolicyIdList", "false");

	a = attributes(&b, req, XACML_CAT_RESOURCE, "resource");
	hl7_attribute(&b, a, MITZ_ATTR_RESOURCE_ID, 1, OID_BSN, q->bsn, NULL);
	hl7_attribute(&b, a, MITZ_ATTR_HOLDER_TYPE, 0, OID_ORG_TYPE,
	    q->holder_type, NULL);
	hl7_attribute(&b, a, MITZ_ATTR_HOLDER_URA, 1, OID_URA, q->holder_ura,
	    NULL);
	a = attributes(&b, req, XACML_CAT_ACTION, "action0");
	hl7_attribute(&b, a, MITZ_ATTR_CATEGORY, 0, OID_DATA_CATEGORY,
	    q->category, NULL);
	a = attributes(&b, req, XACML_CAT_SUBJECT, "subject");
	hl7_attribute(&b, a, MITZ_ATTR_ROLE, 0, OID_UZI_ROLE, r->role, NULL);
	if (r->professional[0] != '\0')
		hl7_attribute(&b, a, MITZ_ATTR_PROFESSIONAL, 1, OID_UZI,
		    r->professional, UZI_AUTHORITY);
	if (r->mandated[0] != '\0')
		hl7_attribute(&b, a, MITZ_ATTR_MANDATED, 1, OID_UZI,
		    r->mandated, UZI_AUTHORITY);
	hl7_attribute(&b, a, MITZ_ATTR_REQUESTER_URA, 1, OID_URA, r->ura,
	    NULL);
	hl7_attribute(&b, a, MITZ_ATTR_REQUESTER_TYPE, 0, OID_ORG_TYPE,
	    r->org_type, NULL);
	a = attributes(&b, req, XACML_CAT_ENVIRONMENT, "environment");
	hl7_attribute(&b, a, MITZ_ATTR_PURPOSE, 0, OID_PURPOSE_OF_USE,
	    q->purpose, NULL);
	if (b.oom)
		goto oom;
	*out = b.doc;
	return XDS_OK;
oom:
	xmlFreeDoc(b.doc);
	str_fmt(err, errlen, "out of memory");
	return XDS_ENOMEM;
}

static int
decision_of(const char *s, enum mitz_decision *d)
{
	enum mitz_decision i;

	for (i = MITZ_PERMIT; i < MITZ_NO_ANSWER; i++)
		if (strcmp(s, mitz_decision_name(i)) == 0) {
			*d = i;
			return 0;
		}
	return -1;
}

int
mitz_answer_read(xmlNode *n, enum mitz_decision *d, char *err,
    size_t errlen)
{
	enum mitz_decision one, all = MITZ_PERMIT;
	xmlNode *resp, *res;
	char text[32];
	size_t nres = 0;

	*d = MITZ_NO_ANSWER;
	if ((resp = xml_find(n, NS_XACML, "Response")) == NULL) {
		str_fmt(err, errlen, "no XACML Response in the answer");
		return XDS_EFORMAT;
	}
	for (res = xml_first_elem(resp); res != NULL;
	    res = xml_next_elem(res)) {
		if (!xml_is(res, NS_XACML, "Result"))
			continue;
		nres++;
		if (xml_child_text(res, NS_XACML, "Decision", text,
		    sizeof text) != 0 ||
		    decision_of(str_trim(text), &one) != 0) {
			str_fmt(err, errlen, "a Result without a Decision "
			    "Mitz may give");
			return XDS_EFORMAT;
		}
		if (all == MITZ_PERMIT)
			all = one;
	}
	if (nres == 0) {
		str_fmt(err, errlen, "an XACML Response without a Result");
		return XDS_EFORMAT;
	}
	*d = all;
	return XDS_OK;
}

int
mitz_answer_parse(const char *buf, size_t len, enum mitz_decision *d,
    char *err, size_t errlen)
{
	xmlDoc *doc;
	xmlNode *root, *body;
	int rc;

	*d = MITZ_NO_ANSWER;
	if ((doc = xml_parse(buf, len, err, errlen)) == NULL)
		return XDS_EFORMAT;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !xml_is(root, NS_SOAP12, "Envelope") ||
	    (body = xml_child(root, NS_SOAP12, "Body")) == NULL ||
	    xml_first_elem(body) == NULL) {
		str_fmt(err, errlen, "not a SOAP 1.2 envelope with a body");
		rc = XDS_EFORMAT;
	} else
		rc = mitz_answer_read(xml_first_elem(body), d, err, errlen);
	xmlFreeDoc(doc);
	return rc;
}
