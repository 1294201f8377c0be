/*
 * check_schema.c: message bodies against the published XML schemas the
 * node serves (lib/soap/schema: ebRS/ebRIM 3.0, IHE XDS.b and XDS-I.b),
 * and ATNA audit messages against the DICOM audit message schema
 * (check/schema/dicom-audit-message.rng, DICOM PS3.15 A.5.1), and
 * SAML 2.0 assertions against OASIS's assertion schema (with the W3C XML
 * Signature and Encryption schemas it imports), all compiled in.  The schemas are compiled once; their imports are
 * resolved from the compiled-in copies only (no file, no network).
 */
#include "config.h"

#include <string.h>

#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/xmlschemas.h>

#include "check_int.h"
#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

extern const struct soap_schema check_schemas[];	/* check_schemas.c */

/* One schema that imports every message namespace. */
static const char driver[] =
    "<xs:schema xmlns:xs=\"" NS_XSD "\" targetNamespace=\"urn:xdsnode:check\">"
    "<xs:import namespace=\"" NS_LCM "\" schemaLocation=\"?xsd=lcm\"/>"
    "<xs:import namespace=\"" NS_QUERY "\" schemaLocation=\"?xsd=query\"/>"
    "<xs:import namespace=\"" NS_RS "\" schemaLocation=\"?xsd=rs\"/>"
    "<xs:import namespace=\"" NS_XDSB "\" schemaLocation=\"?xsd=xdsb\"/>"
    "<xs:import namespace=\"" NS_XDSI "\" schemaLocation=\"?xsd=xdsi\"/>"
    "<xs:import namespace=\"" NS_RMD "\" schemaLocation=\"?xsd=rmd\"/>"
    "</xs:schema>";

/* The SAML 2.0 assertion schema, which imports XML Signature and XML
 * Encryption. */
static const char saml_driver[] =
    "<xs:schema xmlns:xs=\"" NS_XSD "\" targetNamespace=\"urn:xdsnode:saml\">"
    "<xs:import namespace=\"" NS_SAML "\" schemaLocation=\"?xsd=saml\"/>"
    "</xs:schema>";

static xmlSchemaPtr xsd, saml;
static xmlRelaxNGPtr atna;

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* The compiled-in schema NAME: the message schemas, then this
 * library's own. */
static const char *
schema_data(const char *name)
{
	const struct soap_schema *sc;

	if ((sc = soap_schema_find(name)) != NULL)
		return sc->data;
	for (sc = check_schemas; sc->name != NULL; sc++)
		if (strcmp(sc->name, name) == 0)
			return sc->data;
	return NULL;
}

/* Imports: "...?xsd=NAME" from the compiled-in copies, nothing else. */
static xmlParserInputPtr
loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	const char *q, *data;

	(void)id;
	if (url == NULL || (q = strstr(url, "?xsd=")) == NULL ||
	    (data = schema_data(q + 5)) == NULL)
		return NULL;
	return xmlNewStringInputStream(ctxt, (const xmlChar *)data);
}

/* The schema a driver imports, or NULL. */
static xmlSchemaPtr
compile(const char *driver_xsd, size_t len)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr out = NULL;

	if ((pc = xmlSchemaNewMemParserCtxt(driver_xsd, (int)len)) != NULL) {
		xmlSchemaSetParserErrors(pc, quiet, quiet, NULL);
		out = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	return out;
}

int
chk_schema_init(char *err, size_t errlen)
{
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	xmlRelaxNGParserCtxtPtr rc;
	const struct soap_schema *s;

	xmlSetExternalEntityLoader(loader);
	xsd = compile(driver, sizeof driver - 1);
	saml = compile(saml_driver, sizeof saml_driver - 1);
	xmlSetExternalEntityLoader(old);
	if (xsd == NULL || saml == NULL) {
		str_fmt(err, errlen, "the %s schemas do not compile",
		    xsd == NULL ? "message" : "SAML");
		return XDS_EINTERNAL;
	}
	for (s = check_schemas; s->name != NULL; s++)
		if (strcmp(s->name, "atna") == 0)
			break;
	if (s->name == NULL || (rc = xmlRelaxNGNewMemParserCtxt(s->data,
	    (int)s->len)) == NULL) {
		str_lcpy(err, "no audit message schema", errlen);
		return XDS_EINTERNAL;
	}
	xmlRelaxNGSetParserErrors(rc, quiet, quiet, NULL);
	atna = xmlRelaxNGParse(rc);
	xmlRelaxNGFreeParserCtxt(rc);
	if (atna == NULL) {
		str_lcpy(err, "the audit message schema does not compile",
		    errlen);
		return XDS_EINTERNAL;
	}
	return XDS_OK;
}

int
chk_schema_known(const xmlNode *e)
{
	static const char *ns[] = { NS_LCM, NS_QUERY, NS_RS, NS_XDSB,
	    NS_XDSI, NS_RMD };
	size_t i;

	for (i = 0; e->ns != NULL && i < sizeof ns / sizeof ns[0]; i++)
		if (strcmp((const char *)e->ns->href, ns[i]) == 0)
			return 1;
	return 0;
}

struct sink {
	struct chk_report *r;
	const char	*rule;
};

static void
finding(void *arg, xmlErrorPtr e)
{
	struct sink *s = arg;
	char msg[400];

	str_lcpy(msg, e->message != NULL ? e->message : "invalid",
	    sizeof msg);
	str_trim(msg);
	chk_addn(s->r, CHK_ERROR, s->rule, NULL, e->node, "line %d: %s",
	    e->line, msg);
}

/* An MTOM body's xop:Include stands for base64 text: empty for the
 * schema (xs:base64Binary). */
static void
drop(xmlNode *n, void *arg)
{
	(void)arg;
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

void
chk_schema_xsd(xmlNode *e, struct chk_report *r)
{
	struct sink s = { r, "XSD" };
	xmlSchemaValidCtxtPtr vc;

	if (xsd == NULL || !chk_schema_known(e))
		return;
	chk_walk(e, NS_XOP, "Include", drop, NULL);
	if ((vc = xmlSchemaNewValidCtxt(xsd)) == NULL) {
		r->nomem = 1;
		return;
	}
	xmlSchemaSetValidStructuredErrors(vc, finding, &s);
	(void)xmlSchemaValidateOneElement(vc, e);
	xmlSchemaFreeValidCtxt(vc);
}

void
chk_schema_atna(xmlDoc *doc, struct chk_report *r)
{
	struct sink s = { r, "ATNA-RNG" };
	xmlRelaxNGValidCtxtPtr vc;

	if (atna == NULL)
		return;
	if ((vc = xmlRelaxNGNewValidCtxt(atna)) == NULL) {
		r->nomem = 1;
		return;
	}
	xmlRelaxNGSetValidStructuredErrors(vc, finding, &s);
	if (xmlRelaxNGValidateDoc(vc, doc) != 0 && r->nerrors == 0)
		chk_add(r, CHK_ERROR, "ATNA-RNG", NULL, "/AuditMessage",
		    "not a valid DICOM audit message");
	xmlRelaxNGFreeValidCtxt(vc);
}

/*
 * An assertion's finding, but for an xsi:type of another vocabulary than
 * SAML's: IHE XUA's attribute values are HL7 v3 datatypes (hl7:II,
 * hl7:CE, ...), whose schema is not compiled in, and the SAML schema takes
 * any content there (xs:anyType).
 */
static void
saml_finding(void *arg, xmlErrorPtr e)
{
	if (e->message != NULL && strstr(e->message, "of the xsi:type "
	    "attribute does not resolve") != NULL &&
	    strstr(e->message, "'{" NS_SAML "}") == NULL)
		return;
	finding(arg, e);
}

void
chk_schema_saml(xmlNode *assertion, struct chk_report *r)
{
	struct sink s = { r, "XUA-XSD" };
	xmlSchemaValidCtxtPtr vc;

	if (saml == NULL)
		return;
	if ((vc = xmlSchemaNewValidCtxt(saml)) == NULL) {
		r->nomem = 1;
		return;
	}
	xmlSchemaSetValidStructuredErrors(vc, saml_finding, &s);
	(void)xmlSchemaValidateOneElement(vc, assertion);
	xmlSchemaFreeValidCtxt(vc);
}
