/*
 * soap_wsdl.c: WSDL 1.1 with a SOAP 1.2 document/literal binding, built
 * from an endpoint's route table (served for GET <path>?wsdl).
 *
 * One operation per route, named after the last segment of its action
 * ("RegisterDocumentSet-b"); wsam:Action on input and output;
 * WS-Addressing required through a policy on the binding; the MTOM
 * serialization policy on operations whose route accepts only MTOM.
 * Message parts reference the body elements by QName; the schemas that
 * declare them are imported from the endpoint itself ("?xsd=query",
 * soap_schemas.c, made from lib/soap/schema at build time), so that a
 * toolkit finds every type through the WSDL's URL alone.
 */
#include "config.h"

#include <string.h>

#include "soap.h"
#include "str.h"
#include "vocab.h"

#define TNS	"urn:xdsnode:wsdl"

extern const struct soap_schema soap_schemas[];	/* soap_schemas.c */

/* The served schema of each namespace a message body can be in. */
static const struct {
	const char *ns, *schema;
} ns_schemas[] = {
	{ NS_RIM, "rim" },
	{ NS_RS, "rs" },
	{ NS_LCM, "lcm" },
	{ NS_QUERY, "query" },
	{ NS_XDSB, "xdsb" },
	{ NS_XDSI, "xdsi" },
	{ NS_RMD, "rmd" },
};

const struct soap_schema *
soap_schema_find(const char *name)
{
	const struct soap_schema *s;

	for (s = soap_schemas; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

int
soap_schema_write(const struct soap_schema *sc, const char *path,
    struct buf *out)
{
	static const char mark[] = "schemaLocation=\"?xsd=";
	const char *p = sc->data, *q;
	int rc;

	while ((q = strstr(p, mark)) != NULL) {
		q += sizeof mark - 1 - 5;	/* at the "?xsd=" */
		if ((rc = buf_add(out, p, (size_t)(q - p))) != XDS_OK ||
		    (rc = buf_adds(out, path)) != XDS_OK)
			return rc;
		p = q;
	}
	return buf_add(out, p, sc->len - (size_t)(p - sc->data));
}

static const char *
ns_schema(const char *ns)
{
	size_t i;

	for (i = 0; i < sizeof ns_schemas / sizeof ns_schemas[0]; i++)
		if (strcmp(ns_schemas[i].ns, ns) == 0)
			return ns_schemas[i].schema;
	return NULL;
}

/* Response body element for the response actions we know of. */
static const struct {
	const char *action, *ns, *name;
} responses[] = {
	{ ACT_ITI18_RSP, NS_QUERY, "AdhocQueryResponse" },
	{ ACT_ITI38_RSP, NS_QUERY, "AdhocQueryResponse" },
	{ ACT_ITI43_RSP, NS_XDSB, "RetrieveDocumentSetResponse" },
	{ ACT_ITI39_RSP, NS_XDSB, "RetrieveDocumentSetResponse" },
	{ ACT_RAD75_RSP, NS_XDSB, "RetrieveDocumentSetResponse" },
};

static void
response_elem(const char *action, const char **ns, const char **name)
{
	size_t i;

	for (i = 0; i < sizeof responses / sizeof responses[0]; i++)
		if (strcmp(responses[i].action, action) == 0) {
			*ns = responses[i].ns;
			*name = responses[i].name;
			return;
		}
	*ns = NS_RS;		/* ITI-41/42/57/62/...: rs:RegistryResponse */
	*name = "RegistryResponse";
}

/* NCName from the last ':' or '/' segment of the action. */
static void
op_base(const char *action, char *out, size_t outsz)
{
	const char *p = action, *q;
	size_t n = 0;

	if ((q = strrchr(p, ':')) != NULL)
		p = q + 1;
	if ((q = strrchr(p, '/')) != NULL)
		p = q + 1;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    *p == '_'))
		n = str_lcpy(out, "op", outsz);
	for (; *p != '\0' && n + 1 < outsz; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.')
			out[n++] = *p;
	out[n] = '\0';
}

/* Unique operation name of route i. */
static void
op_name(const struct soap_endpoint *ep, size_t i, char *out, size_t outsz)
{
	char base[128], other[128];
	size_t j;

	op_base(ep->routes[i].action, base, sizeof base);
	for (j = 0; j < i; j++) {
		op_base(ep->routes[j].action, other, sizeof other);
		if (strcmp(base, other) == 0)
			break;
	}
	if (j < i)
		str_fmt(out, outsz, "%s_%zu", base, i);
	else
		str_lcpy(out, base, outsz);
}

static int
add_x(struct buf *b, const char *s)
{
	return buf_add_xml(b, s != NULL ? s : "");
}

/* One message with its part: <wsdl:message name="..."><wsdl:part .../>. */
static int
add_message(struct buf *b, const char *op, const char *dir, const char *ns,
    const char *name)
{
	int rc;

	if ((rc = buf_adds(b, "<wsdl:message name=\"")) != XDS_OK ||
	    (rc = add_x(b, op)) != XDS_OK ||
	    (rc = buf_addf(b, "%s\"><wsdl:part name=\"body\" ", dir)) !=
	    XDS_OK)
		return rc;
	if (name == NULL)	/* route without a body check */
		return buf_adds(b, "type=\"xsd:anyType\"/></wsdl:message>\n");
	if ((rc = buf_adds(b, "element=\"m:")) != XDS_OK ||
	    (rc = add_x(b, name)) != XDS_OK ||
	    (rc = buf_adds(b, "\" xmlns:m=\"")) != XDS_OK ||
	    (rc = add_x(b, ns)) != XDS_OK ||
	    (rc = buf_adds(b, "\"/></wsdl:message>\n")) != XDS_OK)
		return rc;
	return XDS_OK;
}

static int
add_head(struct buf *b, const struct soap_endpoint *ep)
{
	size_t i;
	int rc, mtom = 0;

	for (i = 0; i < ep->nroutes; i++)
		if (ep->routes[i].packs == PACK_MTOM)
			mtom = 1;
	if ((rc = buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<wsdl:definitions name=\"xdsnode\" targetNamespace=\"" TNS "\""
	    " xmlns:tns=\"" TNS "\" xmlns:wsdl=\"" NS_WSDL "\""
	    " xmlns:soap12=\"" NS_WSDL_SOAP12 "\" xmlns:wsam=\"" NS_WSAM "\""
	    " xmlns:wsp=\"" NS_WSP "\" xmlns:wsu=\"" NS_WSU "\""
	    " xmlns:wsoma=\"" NS_WSOMA "\" xmlns:xsd=\"" NS_XSD "\">\n"
	    "<wsdl:documentation>")) != XDS_OK ||
	    (rc = add_x(b, ep->path)) != XDS_OK ||
	    (rc = buf_adds(b, "</wsdl:documentation>\n"
	    "<wsp:Policy wsu:Id=\"Addressing\"><wsam:Addressing><wsp:Policy/>"
	    "</wsam:Addressing></wsp:Policy>\n")) != XDS_OK)
		return rc;
	if (mtom && (rc = buf_adds(b, "<wsp:Policy wsu:Id=\"MTOM\">"
	    "<wsoma:OptimizedMimeSerialization/></wsp:Policy>\n")) != XDS_OK)
		return rc;
	return XDS_OK;
}

/* Namespace of message k of ep: even k the request, odd the response. */
static const char *
msg_ns(const struct soap_endpoint *ep, size_t k)
{
	const char *ns, *name;

	if (k % 2 == 0)
		return ep->routes[k / 2].body_ns;
	response_elem(ep->routes[k / 2].response_action, &ns, &name);
	return ns;
}

static int
add_types(struct buf *b, const struct soap_endpoint *ep)
{
	const char *ns, *o;
	size_t i, j;
	int rc;

	if ((rc = buf_adds(b, "<wsdl:types><xsd:schema targetNamespace=\""
	    TNS "\">\n")) != XDS_OK)
		return rc;
	for (i = 0; i < 2 * ep->nroutes; i++) {
		if ((ns = msg_ns(ep, i)) == NULL)
			continue;
		for (j = 0; j < i; j++)		/* each namespace once */
			if ((o = msg_ns(ep, j)) != NULL && strcmp(o, ns) == 0)
				break;
		if (j < i)
			continue;
		if ((rc = buf_adds(b, "<xsd:import namespace=\"")) != XDS_OK ||
		    (rc = add_x(b, ns)) != XDS_OK)
			return rc;
		if ((o = ns_schema(ns)) != NULL &&
		    ((rc = buf_adds(b, "\" schemaLocation=\"")) != XDS_OK ||
		    (rc = add_x(b, ep->path)) != XDS_OK ||
		    (rc = buf_addf(b, "?xsd=%s", o)) != XDS_OK))
			return rc;
		if ((rc = buf_adds(b, "\"/>\n")) != XDS_OK)
			return rc;
	}
	return buf_adds(b, "</xsd:schema></wsdl:types>\n");
}

static int
add_ops(struct buf *b, const struct soap_endpoint *ep)
{
	const struct soap_route *r;
	const char *rns, *rname;
	char op[160];
	size_t i;
	int rc;

	for (i = 0; i < ep->nroutes; i++) {
		r = &ep->routes[i];
		op_name(ep, i, op, sizeof op);
		response_elem(r->response_action, &rns, &rname);
		if ((rc = add_message(b, op, "Request", r->body_ns != NULL ?
		    r->body_ns : "", r->body_name)) != XDS_OK ||
		    (rc = add_message(b, op, "Response", rns, rname)) != XDS_OK)
			return rc;
	}
	if ((rc = buf_adds(b, "<wsdl:portType name=\"PortType\">\n")) !=
	    XDS_OK)
		return rc;
	for (i = 0; i < ep->nroutes; i++) {
		r = &ep->routes[i];
		op_name(ep, i, op, sizeof op);
		if ((rc = buf_adds(b, "<wsdl:operation name=\"")) != XDS_OK ||
		    (rc = add_x(b, op)) != XDS_OK ||
		    (rc = buf_adds(b, "\"><wsdl:documentation>")) != XDS_OK ||
		    (rc = add_x(b, r->txn)) != XDS_OK ||
		    (rc = buf_adds(b, "</wsdl:documentation>"
		    "<wsdl:input message=\"tns:")) != XDS_OK ||
		    (rc = add_x(b, op)) != XDS_OK ||
		    (rc = buf_adds(b, "Request\" wsam:Action=\"")) != XDS_OK ||
		    (rc = add_x(b, r->action)) != XDS_OK ||
		    (rc = buf_adds(b, "\"/><wsdl:output message=\"tns:")) !=
		    XDS_OK ||
		    (rc = add_x(b, op)) != XDS_OK ||
		    (rc = buf_adds(b, "Response\" wsam:Action=\"")) != XDS_OK ||
		    (rc = add_x(b, r->response_action)) != XDS_OK ||
		    (rc = buf_adds(b, "\"/></wsdl:operation>\n")) != XDS_OK)
			return rc;
	}
	return buf_adds(b, "</wsdl:portType>\n");
}

static int
add_binding(struct buf *b, const struct soap_endpoint *ep,
    const char *location_url)
{
	const struct soap_route *r;
	char op[160];
	size_t i;
	int rc;

	if ((rc = buf_adds(b, "<wsdl:binding name=\"Binding\" "
	    "type=\"tns:PortType\"><wsp:PolicyReference URI=\"#Addressing\"/>"
	    "<soap12:binding style=\"document\" transport=\""
	    SOAP_HTTP_TRANSPORT "\"/>\n")) != XDS_OK)
		return rc;
	for (i = 0; i < ep->nroutes; i++) {
		r = &ep->routes[i];
		op_name(ep, i, op, sizeof op);
		if ((rc = buf_adds(b, "<wsdl:operation name=\"")) != XDS_OK ||
		    (rc = add_x(b, op)) != XDS_OK ||
		    (rc = buf_adds(b, "\">")) != XDS_OK)
			return rc;
		if (r->packs == PACK_MTOM && (rc = buf_adds(b,
		    "<wsp:PolicyReference URI=\"#MTOM\"/>")) != XDS_OK)
			return rc;
		if ((rc = buf_adds(b, "<soap12:operation soapAction=\"")) !=
		    XDS_OK ||
		    (rc = add_x(b, r->action)) != XDS_OK ||
		    (rc = buf_adds(b, "\" soapActionRequired=\"false\"/>"
		    "<wsdl:input><soap12:body use=\"literal\"/></wsdl:input>"
		    "<wsdl:output><soap12:body use=\"literal\"/></wsdl:output>"
		    "</wsdl:operation>\n")) != XDS_OK)
			return rc;
	}
	if ((rc = buf_adds(b, "</wsdl:binding>\n<wsdl:service name=\"Service\">"
	    "<wsdl:port name=\"Port\" binding=\"tns:Binding\">"
	    "<soap12:address location=\"")) != XDS_OK ||
	    (rc = add_x(b, location_url)) != XDS_OK ||
	    (rc = buf_adds(b, "\"/></wsdl:port></wsdl:service>\n"
	    "</wsdl:definitions>\n")) != XDS_OK)
		return rc;
	return XDS_OK;
}

int
soap_wsdl(const struct soap_endpoint *ep, const char *location_url,
    struct buf *out)
{
	int rc;

	if ((rc = add_head(out, ep)) != XDS_OK ||
	    (rc = add_types(out, ep)) != XDS_OK ||
	    (rc = add_ops(out, ep)) != XDS_OK ||
	    (rc = add_binding(out, ep, location_url)) != XDS_OK)
		return rc;
	return XDS_OK;
}
