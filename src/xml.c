#include "config.h"

#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "str.h"
#include "xml.h"

static xmlParserInputPtr
deny_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

void
xml_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(deny_loader);
}

static void
reject_dtd(void *vctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = vctx;

	(void)name;
	(void)eid;
	(void)sid;
	xmlStopParser(ctxt);	/* errNo becomes XML_ERR_USER_STOP */
	ctxt->wellFormed = 0;
}

static void
silent(void *ctx, const xmlError *e)
{
	(void)ctx;
	(void)e;
}

xmlDoc *
xml_parse(const char *data, size_t len, char *err, size_t errlen)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDoc *doc = NULL;
	const xmlError *e;

	if (len > (size_t)INT_MAX) {
		str_fmt(err, errlen, "XML document too large");
		return NULL;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)silent);
	ctxt->sax->internalSubset = reject_dtd;
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	if (ctxt->errNo == XML_ERR_USER_STOP) {
		str_fmt(err, errlen, "DOCTYPE is not allowed in a SOAP message");
		goto fail;
	}
	if (doc == NULL || ctxt->errNo != XML_ERR_OK || !ctxt->wellFormed) {
		e = xmlCtxtGetLastError(ctxt);
		if (e != NULL && e->message != NULL) {
			str_fmt(err, errlen, "XML not well-formed (line %d): %s",
			    e->line, e->message);
			str_trim(err);
		} else
			str_fmt(err, errlen, "XML not well-formed");
		goto fail;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return NULL;
}

xmlNode *
xml_first_elem(xmlNode *n)
{
	xmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

xmlNode *
xml_next_elem(xmlNode *n)
{
	for (n = n ? n->next : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

int
xml_is(const xmlNode *n, const char *ns, const char *name)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return 0;
	if (strcmp((const char *)n->name, name) != 0)
		return 0;
	if (ns == NULL)
		return n->ns == NULL;
	return n->ns != NULL && n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, ns) == 0;
}

const char *
xml_attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	/* Unqualified attributes only (ebRIM and SOAP attributes we read
	 * are unqualified); an empty value is "" rather than NULL. */
	for (a = n->properties; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0) {
			if (a->children == NULL || a->children->content == NULL)
				return "";
			return (const char *)a->children->content;
		}
	return NULL;
}

int
xml_text(const xmlNode *n, char *out, size_t outsz)
{
	xmlChar *t = xmlNodeGetContent(n);
	int rc = 0;

	if (t == NULL) {
		if (outsz)
			out[0] = '\0';
		return 0;
	}
	if (str_lcpy(out, (const char *)t, outsz) >= outsz)
		rc = -1;
	xmlFree(t);
	str_trim(out);
	return rc;
}
