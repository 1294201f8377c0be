/*
 * check_soap.c: the envelope and its packaging (ITI TF-2 Appendix V):
 * SOAP 1.2, the envelope rules the node applies itself (soap.h), the
 * WS-Addressing headers (Action matching the body and the direction,
 * MessageID and To of requests, RelatesTo of answers), and MTOM/XOP
 * where the transaction carries documents.
 */
#include "config.h"

#include <string.h>

#include "check_int.h"
#include "mime.h"
#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

/* Every transaction a message can belong to: the action and body of each
 * direction, and whether it must go as MTOM (2), should (1) or need not
 * (0).  Documents travel in ITI-41 requests and in the answers of the
 * retrieves (ITI TF-2b 3.41.5, 3.43.5; RAD TF-3 4.69); their requests
 * are MTOM by the same profile in most toolkits, not a failure without. */
static const struct chk_txn txns[] = {
	/* an answer that does not say which transaction it ends */
	{ "XDS", "", NS_RS, "RegistryResponse", 1, 0 },
	{ "ITI-18", ACT_ITI18, NS_QUERY, "AdhocQueryRequest", 0, 0 },
	{ "ITI-18", ACT_ITI18_RSP, NS_QUERY, "AdhocQueryResponse", 1, 0 },
	{ "ITI-38", ACT_ITI38, NS_QUERY, "AdhocQueryRequest", 0, 0 },
	{ "ITI-38", ACT_ITI38_RSP, NS_QUERY, "AdhocQueryResponse", 1, 0 },
	{ "ITI-41", ACT_ITI41, NS_XDSB, "ProvideAndRegisterDocumentSetRequest",
	    0, 2 },
	{ "ITI-41", ACT_ITI41_RSP, NS_RS, "RegistryResponse", 1, 0 },
	{ "ITI-42", ACT_ITI42, NS_LCM, "SubmitObjectsRequest", 0, 0 },
	{ "ITI-42", ACT_ITI42_RSP, NS_RS, "RegistryResponse", 1, 0 },
	{ "ITI-43", ACT_ITI43, NS_XDSB, "RetrieveDocumentSetRequest", 0, 1 },
	{ "ITI-43", ACT_ITI43_RSP, NS_XDSB, "RetrieveDocumentSetResponse", 1,
	    2 },
	{ "ITI-39", ACT_ITI39, NS_XDSB, "RetrieveDocumentSetRequest", 0, 1 },
	{ "ITI-39", ACT_ITI39_RSP, NS_XDSB, "RetrieveDocumentSetResponse", 1,
	    2 },
	{ "ITI-57", ACT_ITI57, NS_LCM, "SubmitObjectsRequest", 0, 0 },
	{ "ITI-57", ACT_ITI57_RSP, NS_RS, "RegistryResponse", 1, 0 },
	{ "ITI-62", ACT_ITI62, NS_LCM, "RemoveObjectsRequest", 0, 0 },
	{ "ITI-62", ACT_ITI62_RSP, NS_RS, "RegistryResponse", 1, 0 },
	{ "ITI-86", ACT_ITI86, NS_RMD, "RemoveDocumentsRequest", 0, 0 },
	{ "ITI-86", ACT_ITI86_RSP, NS_RS, "RegistryResponse", 1, 0 },
	{ "RAD-68", ACT_ITI41, NS_XDSB, "ProvideAndRegisterDocumentSetRequest",
	    0, 2 },
	{ "RAD-69", ACT_RAD69, NS_XDSI, "RetrieveImagingDocumentSetRequest",
	    0, 1 },
	{ "RAD-69", ACT_RAD69_RSP, NS_XDSB, "RetrieveDocumentSetResponse", 1,
	    2 },
	{ "RAD-75", ACT_RAD75, NS_XDSI, "RetrieveImagingDocumentSetRequest",
	    0, 1 },
	{ "RAD-75", ACT_RAD75_RSP, NS_XDSB, "RetrieveDocumentSetResponse", 1,
	    2 },
};
#define NTXNS	(sizeof txns / sizeof txns[0])

/* 1 if some element below e (depth-first) has attribute attr (NULL: any
 * element called name in namespace ns). */
static int
has_below(const xmlNode *e, const char *ns, const char *name,
    const char *attr)
{
	const xmlNode *c;

	for (c = e->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (attr != NULL && xmlHasProp(c, (const xmlChar *)attr))
			return 1;
		if (name != NULL && xml_is(c, ns, name))
			return 1;
		if (has_below(c, ns, name, attr))
			return 1;
	}
	return 0;
}

/* A PnR whose documents are DICOM: RAD-68 (RAD TF-3 4.68). */
static int
is_rad68(const xmlNode *e)
{
	const xmlNode *c;
	const char *mt;

	for (c = e->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xml_is(c, NS_RIM, "ExtrinsicObject") &&
		    (mt = xml_attr(c, "mimeType")) != NULL &&
		    strcmp(mt, "application/dicom") == 0)
			return 1;
		if (is_rad68(c))
			return 1;
	}
	return 0;
}

/* A Metadata Update (ITI TF-2b 3.57.4.1.2): an association only ITI-57
 * submits, or the PreviousVersion slot of a new version. */
static int
is_update(const xmlNode *e)
{
	const xmlNode *c;
	const char *at, *name;

	for (c = e->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xml_is(c, NS_RIM, "Association") &&
		    (at = xml_attr(c, "associationType")) != NULL &&
		    (strcmp(at, AT_UPDATESTATUS) == 0 ||
		    strcmp(at, AT_SUBMITASSOC) == 0))
			return 1;
		if (xml_is(c, NS_RIM, "Slot") &&
		    (name = xml_attr(c, "name")) != NULL &&
		    strcmp(name, SLOT_PREVIOUSVERSION) == 0)
			return 1;
		if (is_update(c))
			return 1;
	}
	return 0;
}

/* Without a (matching) action: the transaction the body says it is. */
static const char *
kind_by_content(const xmlNode *e)
{
	if (xml_is(e, NS_QUERY, "AdhocQueryRequest"))
		return has_below(e, NULL, NULL, "home") ? "ITI-38" : "ITI-18";
	if (xml_is(e, NS_QUERY, "AdhocQueryResponse"))
		return has_below(e, NULL, NULL, "home") ? "ITI-38" : "ITI-18";
	if (xml_is(e, NS_XDSB, "RetrieveDocumentSetRequest") ||
	    xml_is(e, NS_XDSB, "RetrieveDocumentSetResponse"))
		return has_below(e, NS_XDSB, "HomeCommunityId", NULL) ?
		    "ITI-39" : "ITI-43";
	if (xml_is(e, NS_XDSI, "RetrieveImagingDocumentSetRequest"))
		return has_below(e, NS_XDSB, "HomeCommunityId", NULL) ?
		    "RAD-75" : "RAD-69";
	if (xml_is(e, NS_XDSB, "ProvideAndRegisterDocumentSetRequest"))
		return is_rad68(e) ? "RAD-68" : "ITI-41";
	if (xml_is(e, NS_LCM, "SubmitObjectsRequest"))
		return is_update(e) ? "ITI-57" : "ITI-42";
	return NULL;
}

const struct chk_txn *
chk_txn_find(const char *action, const xmlNode *e, int *mismatch)
{
	const char *kind;
	size_t i;
	int known = 0;

	*mismatch = 0;
	kind = kind_by_content(e);
	for (i = 0; action[0] != '\0' && i < NTXNS; i++) {
		if (strcmp(txns[i].action, action) != 0)
			continue;
		known = 1;
		if (!xml_is(e, txns[i].ns, txns[i].name))
			continue;
		/* RAD-68 shares ITI-41's action */
		if (kind != NULL && strcmp(kind, "RAD-68") == 0 &&
		    strcmp(txns[i].kind, "ITI-41") == 0)
			continue;
		return &txns[i];
	}
	*mismatch = known;
	for (i = 0; i < NTXNS; i++)
		if (xml_is(e, txns[i].ns, txns[i].name) &&
		    (kind == NULL || strcmp(kind, txns[i].kind) == 0))
			return &txns[i];
	return NULL;
}

/* The text of WS-Addressing header name into out ("" when absent). */
static xmlNode *
wsa(xmlNode *header, const char *name, char *out, size_t outsz)
{
	xmlNode *n = header != NULL ? xml_child(header, NS_WSA, name) : NULL;

	out[0] = '\0';
	if (n != NULL)
		(void)xml_text(n, out, outsz);
	str_trim(out);
	return n;
}

static const char *
fault_code(const struct soap_fault *f, char *out, size_t outsz)
{
	static const char *codes[] = { "", "env:Sender", "env:Receiver",
	    "env:VersionMismatch", "env:MustUnderstand" };

	if (f->subcode != NULL)
		str_fmt(out, outsz, "%s%s", strchr(f->subcode, ':') ? "" :
		    "wsa:", f->subcode);
	else
		str_lcpy(out, codes[f->code <= SOAP_FAULT_MUST_UNDERSTAND ?
		    f->code : 0], outsz);
	return out;
}

void
chk_soap(xmlDoc *doc, const struct chk_frame *fr, struct chk_report *r,
    xmlNode **body)
{
	struct soap_env env;
	struct soap_fault f;
	xmlNode *root = xmlDocGetRootElement(doc), *n, *hdr = NULL, *bd = NULL;
	xmlNode *sec, *a;
	char code[64];
	int env_bad;

	*body = NULL;
	if (xml_is(root, NS_SOAP11, "Envelope")) {
		chk_addn(r, CHK_ERROR, "SOAP-VERSION", "env:VersionMismatch",
		    root, "a SOAP 1.1 envelope: IHE requires SOAP 1.2");
		return;
	}
	/* The node's own verdict on the envelope. */
	memset(&f, 0, sizeof f);
	if ((env_bad = soap_env_parse(fr->xml, fr->xlen, &env, &f)) == 0)
		soap_env_free(&env);
	else
		chk_add(r, CHK_ERROR, "SOAP-ENV", fault_code(&f, code,
		    sizeof code), "/", "%s", f.reason);
	for (n = xml_first_elem(root); n != NULL; n = xml_next_elem(n)) {
		if (xml_is(n, NS_SOAP12, "Header") && hdr == NULL && bd == NULL)
			hdr = n;
		else if (xml_is(n, NS_SOAP12, "Body") && bd == NULL)
			bd = n;
	}
	if (bd == NULL || (*body = xml_first_elem(bd)) == NULL) {
		chk_addn(r, CHK_ERROR, "SOAP-ENV", "env:Sender", root,
		    "no element in soap:Body");
		return;
	}
	if (wsa(hdr, "Action", r->action, sizeof r->action) == NULL &&
	    !env_bad)
		chk_addn(r, CHK_ERROR, "WSA-ACTION",
		    "wsa:MessageAddressingHeaderRequired", hdr ? hdr : root,
		    "no wsa:Action header");
	/* An X-User Assertion travels in wsse:Security (ITI TF-2b 3.40). */
	if (hdr != NULL && (sec = xml_child(hdr, NS_WSSE, "Security")) != NULL &&
	    (a = xml_child(sec, NS_SAML, "Assertion")) != NULL)
		chk_xua(a, r);
}

struct xop {
	const struct chk_frame *f;
	struct chk_report *r;
};

static void
xop_include(xmlNode *inc, void *arg)
{
	struct xop *x = arg;
	const struct chk_part *p;
	const char *href = xml_attr(inc, "href");
	char cid[256];

	if (href == NULL || mime_cid_decode(href, strlen(href), cid,
	    sizeof cid) != XDS_OK || (p = chk_frame_part(x->f, cid)) == NULL)
		chk_addn(x->r, CHK_ERROR, "MTOM-XOP", NULL, inc,
		    "xop:Include href=\"%s\" names no part of the message",
		    href != NULL ? href : "");
	else if (str_ncaseeq(p->ctype, "application/dicom", 17) &&
	    p->data != NULL)
		chk_kos(p->data, p->len, cid, x->r);
}

/* The addressing headers of the transaction's direction, MTOM. */
void
chk_packaging(const struct chk_txn *t, const struct chk_frame *f,
    xmlNode *body, struct chk_report *r)
{
	xmlNode *hdr = xml_child(xmlDocGetRootElement(body->doc), NS_SOAP12,
	    "Header");
	struct xop xo;
	char v[SOAP_ADDR_MAX];

	if (!t->response) {
		if (wsa(hdr, "MessageID", v, sizeof v) == NULL || v[0] == '\0')
			chk_addn(r, CHK_WARNING, "WSA-MSGID", NULL, hdr,
			    "a request without wsa:MessageID: its answer "
			    "cannot say what it relates to");
		if (wsa(hdr, "To", v, sizeof v) == NULL || v[0] == '\0')
			chk_addn(r, CHK_WARNING, "WSA-TO", NULL, hdr,
			    "a request without wsa:To");
	} else if (wsa(hdr, "RelatesTo", v, sizeof v) == NULL ||
	    v[0] == '\0')
		chk_addn(r, CHK_WARNING, "WSA-RELATES", NULL, hdr,
		    "an answer without wsa:RelatesTo");
	if (!f->multipart) {
		if (t->mtom == 2)
			chk_addn(r, CHK_ERROR, "MTOM-REQUIRED", "env:Sender",
			    body, "%s %s must be sent as MTOM/XOP "
			    "(multipart/related), not as simple SOAP", t->kind,
			    t->response ? "response" : "request");
		else if (t->mtom == 1)
			chk_addn(r, CHK_WARNING, "MTOM-REQUIRED", NULL, body,
			    "%s %s is expected as MTOM/XOP", t->kind,
			    t->response ? "response" : "request");
		return;
	}
	if (!f->xop || !str_ncaseeq(f->parts[f->root].ctype, CT_XOP,
	    strlen(CT_XOP)))
		chk_add(r, CHK_ERROR, "MTOM-ROOT", "env:Sender", NULL,
		    "the root part is not %s (type=\"%s\"): %s", CT_XOP,
		    CT_SOAP12, f->parts[f->root].ctype);
	/* Every xop:Include names a part. */
	xo.f = f;
	xo.r = r;
	chk_walk(body, NS_XOP, "Include", xop_include, &xo);
}
