/*
 * soap.c: SOAP 1.2 envelope parsing (pure), the request, response and
 * fault envelope writers (one header writer for all three), and the
 * body element and fault text of an answer.  Rules and decisions: see
 * soap.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

#define ROLE_NEXT	NS_SOAP12 "/role/next"
#define ROLE_NONE	NS_SOAP12 "/role/none"
#define ROLE_ULTIMATE	NS_SOAP12 "/role/ultimateReceiver"
#define WSA_UNSPECIFIED	NS_WSA "/unspecified"

void
soap_fault_set(struct soap_fault *f, enum soap_code code, const char *subcode,
    const char *subsubcode, const char *fmt, ...)
{
	va_list ap;
	int n;

	memset(f, 0, sizeof *f);
	f->code = code;
	f->subcode = subcode;
	f->subsubcode = subsubcode;
	va_start(ap, fmt);
	n = vsnprintf(f->reason, sizeof f->reason, fmt, ap);
	va_end(ap);
	if (n < 0)
		f->reason[0] = '\0';
}

int
soap_fault_status(const struct soap_fault *f)
{
	if (f->http_status != 0)
		return f->http_status;
	return f->code == SOAP_FAULT_SENDER ? 400 : 500;
}

void
soap_fault_from_status(struct soap_fault *f, int st, const char *fmt, ...)
{
	va_list ap;

	memset(f, 0, sizeof *f);
	switch (st) {
	case XDS_ETOOBIG:
		f->code = SOAP_FAULT_SENDER;
		f->http_status = 413;
		break;
	case XDS_EFORMAT:
		f->code = SOAP_FAULT_SENDER;
		break;
	case XDS_EDENIED:
		f->code = SOAP_FAULT_SENDER;
		f->http_status = 403;
		break;
	case XDS_ESECURITY:
		f->code = SOAP_FAULT_SENDER;
		f->subcode = WSSE_FAULT_INVALID;
		break;
	case XDS_EAUTH:
		f->code = SOAP_FAULT_SENDER;
		f->subcode = WSSE_FAULT_FAILED_AUTH;
		break;
	default:
		f->code = SOAP_FAULT_RECEIVER;
		break;
	}
	va_start(ap, fmt);
	if (vsnprintf(f->reason, sizeof f->reason, fmt, ap) < 0)
		f->reason[0] = '\0';
	va_end(ap);
}

static int
is_ws(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* mustUnderstand: absent/false/0 -> 0, true/1 -> 1, anything else -> -1. */
static int
must_understand(const xmlNode *n)
{
	xmlChar *v;
	int rc;

	if ((v = xmlGetNsProp(n, BAD_CAST "mustUnderstand",
	    BAD_CAST NS_SOAP12)) == NULL)
		return 0;
	if (strcmp((const char *)v, "true") == 0 ||
	    strcmp((const char *)v, "1") == 0)
		rc = 1;
	else if (strcmp((const char *)v, "false") == 0 ||
	    strcmp((const char *)v, "0") == 0)
		rc = 0;
	else
		rc = -1;
	xmlFree(v);
	return rc;
}

/* Is the header block targeted at us (the ultimate receiver)? */
static int
targeted(const xmlNode *n)
{
	xmlChar *role;
	int rc;

	if ((role = xmlGetNsProp(n, BAD_CAST "role", BAD_CAST NS_SOAP12)) ==
	    NULL)
		return 1;
	rc = role[0] == '\0' || strcmp((const char *)role, ROLE_NEXT) == 0 ||
	    strcmp((const char *)role, ROLE_ULTIMATE) == 0;
	xmlFree(role);
	return rc;
}

/* Text of a wsa header into out; a fault if empty or too long. */
static int
wsa_text(const xmlNode *n, char *out, size_t outsz, struct soap_fault *f)
{
	if (out[0] != '\0') {
		soap_fault_set(f, SOAP_FAULT_SENDER, "InvalidAddressingHeader",
		    "InvalidCardinality", "wsa:%s appears more than once",
		    (const char *)n->name);
		return -1;
	}
	if (xml_text(n, out, outsz) != 0) {
		soap_fault_set(f, SOAP_FAULT_SENDER, "InvalidAddressingHeader",
		    NULL, "wsa:%s is longer than %zu bytes",
		    (const char *)n->name, outsz - 1);
		return -1;
	}
	if (out[0] == '\0') {
		soap_fault_set(f, SOAP_FAULT_SENDER, "InvalidAddressingHeader",
		    NULL, "wsa:%s is empty", (const char *)n->name);
		return -1;
	}
	return 0;
}

/* ReplyTo / FaultTo: an endpoint reference; only anonymous is served. */
static int
wsa_epr(xmlNode *n, char *out, size_t outsz, struct soap_fault *f)
{
	xmlNode *a;

	if (out[0] != '\0') {
		soap_fault_set(f, SOAP_FAULT_SENDER, "InvalidAddressingHeader",
		    "InvalidCardinality", "wsa:%s appears more than once",
		    (const char *)n->name);
		return -1;
	}
	for (a = xml_first_elem(n); a != NULL; a = xml_next_elem(a))
		if (xml_is(a, NS_WSA, "Address"))
			break;
	if (a == NULL) {
		soap_fault_set(f, SOAP_FAULT_SENDER, "InvalidAddressingHeader",
		    NULL, "wsa:%s has no wsa:Address", (const char *)n->name);
		return -1;
	}
	if (wsa_text(a, out, outsz, f) != 0)
		return -1;
	if (strcmp(out, WSA_ANONYMOUS) != 0) {
		soap_fault_set(f, SOAP_FAULT_SENDER, "InvalidAddressingHeader",
		    "OnlyAnonymousAddressSupported",
		    "wsa:%s address must be %s: asynchronous exchange is "
		    "not supported", (const char *)n->name, WSA_ANONYMOUS);
		return -1;
	}
	return 0;
}

static int
header_block(xmlNode *h, struct soap_env *env, char *faultto, size_t ftsz,
    struct soap_fault *f)
{
	const char *ns = h->ns != NULL ? (const char *)h->ns->href : "";
	int mu;

	if ((mu = must_understand(h)) < 0) {
		soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
		    "header %s: mustUnderstand must be true, false, 1 or 0",
		    (const char *)h->name);
		return -1;
	}
	if (!targeted(h))
		return 0;
	if (xml_is(h, NS_WSSE, "Security")) {
		/* kept for the endpoint: soap_serve hands it to an actor
		 * that processes it, or faults as for any other block */
		if (env->security != NULL) {
			soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
			    "more than one wsse:Security header for this "
			    "node");
			return -1;
		}
		env->security = h;
		env->security_mu = mu;
		return 0;
	}
	if (strcmp(ns, NS_WSA) == 0) {
		if (xml_is(h, NS_WSA, "Action"))
			return wsa_text(h, env->action, sizeof env->action, f);
		if (xml_is(h, NS_WSA, "MessageID"))
			return wsa_text(h, env->message_id,
			    sizeof env->message_id, f);
		if (xml_is(h, NS_WSA, "To"))
			return wsa_text(h, env->to, sizeof env->to, f);
		if (xml_is(h, NS_WSA, "RelatesTo"))
			return wsa_text(h, env->relates_to,
			    sizeof env->relates_to, f);
		if (xml_is(h, NS_WSA, "ReplyTo"))
			return wsa_epr(h, env->reply_to, sizeof env->reply_to,
			    f);
		if (xml_is(h, NS_WSA, "FaultTo"))
			return wsa_epr(h, faultto, ftsz, f);
		if (xml_is(h, NS_WSA, "From"))
			return 0;	/* informational */
	}
	if (mu) {
		soap_fault_set(f, SOAP_FAULT_MUST_UNDERSTAND, NULL, NULL,
		    "header block {%s}%s is not understood", ns,
		    (const char *)h->name);
		str_lcpy(f->nu_ns, ns, sizeof f->nu_ns);
		str_lcpy(f->nu_name, (const char *)h->name, sizeof f->nu_name);
		return -1;
	}
	return 0;	/* optional block we do not process */
}

static int
check_children(xmlNode *root, xmlNode **hdr, xmlNode **body,
    struct soap_fault *f)
{
	xmlNode *c;

	*hdr = *body = NULL;
	for (c = root->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE) {
			if (c->content != NULL &&
			    !is_ws((const char *)c->content))
				goto text;
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;	/* comments, PIs */
		if (xml_is(c, NS_SOAP12, "Header")) {
			if (*body != NULL) {
				soap_fault_set(f, SOAP_FAULT_SENDER, NULL,
				    NULL, "soap:Header after soap:Body");
				return -1;
			}
			if (*hdr != NULL) {
				soap_fault_set(f, SOAP_FAULT_SENDER, NULL,
				    NULL, "more than one soap:Header");
				return -1;
			}
			*hdr = c;
		} else if (xml_is(c, NS_SOAP12, "Body")) {
			if (*body != NULL) {
				soap_fault_set(f, SOAP_FAULT_SENDER, NULL,
				    NULL, "more than one soap:Body");
				return -1;
			}
			*body = c;
		} else {
			soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
			    "unexpected element %s in soap:Envelope",
			    (const char *)c->name);
			return -1;
		}
	}
	if (*body == NULL) {
		soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
		    "soap:Envelope has no soap:Body");
		return -1;
	}
	return 0;
text:
	soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
	    "text content in soap:Envelope");
	return -1;
}

static int
body_child(xmlNode *b, xmlNode **out, struct soap_fault *f)
{
	xmlNode *c;

	*out = NULL;
	for (c = b->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE && c->content != NULL &&
		    !is_ws((const char *)c->content)) {
			soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
			    "text content in soap:Body");
			return -1;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (*out != NULL) {
			soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
			    "soap:Body has more than one element (%s, %s)",
			    (const char *)(*out)->name, (const char *)c->name);
			return -1;
		}
		*out = c;
	}
	if (*out == NULL) {
		soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
		    "soap:Body is empty");
		return -1;
	}
	return 0;
}

int
soap_env_parse(const char *data, size_t len, struct soap_env *env,
    struct soap_fault *f)
{
	return soap_env_parse_opts(data, len, NULL, env, f);
}

int
soap_env_parse_opts(const char *data, size_t len, const struct xml_opts *o,
    struct soap_env *env, struct soap_fault *f)
{
	char err[256];
	xmlDoc *doc;
	int st;

	memset(env, 0, sizeof *env);
	memset(f, 0, sizeof *f);
	if ((doc = xml_parse_opts(data, len, o, &st, err, sizeof err)) ==
	    NULL) {
		soap_fault_from_status(f, st, "%s", err);
		return -1;
	}
	return soap_env_from_doc(doc, env, f);
}

int
soap_env_from_doc(xmlDoc *doc, struct soap_env *env, struct soap_fault *f)
{
	char faultto[SOAP_ADDR_MAX] = "";
	xmlNode *root, *h;
	const char *ns;

	memset(env, 0, sizeof *env);
	memset(f, 0, sizeof *f);
	env->doc = doc;
	if ((root = xmlDocGetRootElement(env->doc)) == NULL) {
		soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
		    "no root element");
		goto fail;
	}
	ns = root->ns != NULL ? (const char *)root->ns->href : "";
	if (strcmp((const char *)root->name, "Envelope") != 0) {
		soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
		    "root element is %s, not a SOAP 1.2 Envelope",
		    (const char *)root->name);
		goto fail;
	}
	if (strcmp(ns, NS_SOAP12) != 0) {
		soap_fault_set(f, SOAP_FAULT_VERSION_MISMATCH, NULL, NULL,
		    strcmp(ns, NS_SOAP11) == 0 ?
		    "SOAP 1.1 is not supported: send a SOAP 1.2 envelope "
		    "(" NS_SOAP12 ")" :
		    "Envelope namespace is not SOAP 1.2 (" NS_SOAP12 ")");
		goto fail;
	}
	if (check_children(root, &env->header, &h, f) != 0)
		goto fail;
	if (body_child(h, &env->body, f) != 0)
		goto fail;
	if (env->header != NULL)
		for (h = xml_first_elem(env->header); h != NULL;
		    h = xml_next_elem(h))
			if (header_block(h, env, faultto, sizeof faultto,
			    f) != 0) {
				if (f->subcode != NULL && h->ns != NULL &&
				    strcmp((const char *)h->ns->href,
				    NS_WSA) == 0)
					str_fmt(f->problem_header,
					    sizeof f->problem_header, "wsa:%s",
					    (const char *)h->name);
				goto fail;
			}
	if (env->action[0] == '\0') {
		soap_fault_set(f, SOAP_FAULT_SENDER,
		    "MessageAddressingHeaderRequired", NULL,
		    "wsa:Action header is required");
		str_lcpy(f->problem_header, "wsa:Action",
		    sizeof f->problem_header);
		goto fail;
	}
	return 0;
fail:
	soap_env_free(env);
	return -1;
}

void
soap_env_free(struct soap_env *env)
{
	xmlFreeDoc(env->doc);
	env->doc = NULL;
	env->header = env->body = env->security = NULL;
}

int
soap_uuid(char *out, size_t outsz)
{
	unsigned char r[16];
	char h[33];

	if (outsz < SOAP_UUID_LEN)
		return -1;
	if (getentropy(r, sizeof r) != 0)
		return -1;
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	str_hex(r, sizeof r, h);
	return str_fmt(out, outsz, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s",
	    h, h + 8, h + 12, h + 16, h + 20) < 0 ? -1 : 0;
}

/* XML-escaped text without control characters (reasons may quote input). */
static int
add_text(struct buf *b, const char *s)
{
	char tmp[SOAP_REASON_MAX];
	size_t i;

	str_lcpy(tmp, s, sizeof tmp);
	for (i = 0; tmp[i] != '\0'; i++)
		if ((unsigned char)tmp[i] < 0x20 && tmp[i] != '\t')
			tmp[i] = ' ';
	return buf_add_xml(b, tmp);
}

static const char *
code_qname(enum soap_code c)
{
	switch (c) {
	case SOAP_FAULT_SENDER:
		return "soap:Sender";
	case SOAP_FAULT_VERSION_MISMATCH:
		return "soap:VersionMismatch";
	case SOAP_FAULT_MUST_UNDERSTAND:
		return "soap:MustUnderstand";
	default:
		return "soap:Receiver";
	}
}

/* wsa:Action and a fresh wsa:MessageID (copied to id): the head of the
 * header of every envelope this node writes, request or response. */
static int
add_header(struct buf *b, const char *action, int mu, char *id, size_t idsz)
{
	int rc;

	if (soap_uuid(id, idsz) != 0)
		return XDS_ENOMEM;
	if ((rc = buf_addf(b, "<wsa:Action%s>", mu ?
	    " soap:mustUnderstand=\"true\"" : "")) != XDS_OK ||
	    (rc = buf_add_xml(b, action)) != XDS_OK ||
	    (rc = buf_adds(b, "</wsa:Action><wsa:MessageID>")) != XDS_OK ||
	    (rc = buf_adds(b, id)) != XDS_OK ||
	    (rc = buf_adds(b, "</wsa:MessageID>")) != XDS_OK)
		return rc;
	return XDS_OK;
}

/* A reply's header: add_header, then wsa:RelatesTo. */
static int
add_reply_header(struct buf *b, const char *action, int mu,
    const char *relates_to)
{
	char id[SOAP_UUID_LEN];
	int rc;

	if ((rc = add_header(b, action, mu, id, sizeof id)) != XDS_OK)
		return rc;
	if (relates_to == NULL || relates_to[0] == '\0')
		relates_to = WSA_UNSPECIFIED;
	if ((rc = buf_adds(b, "<wsa:RelatesTo>")) != XDS_OK ||
	    (rc = buf_add_xml(b, relates_to)) != XDS_OK ||
	    (rc = buf_adds(b, "</wsa:RelatesTo>")) != XDS_OK)
		return rc;
	return XDS_OK;
}

#define ENV_OPEN "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<soap:Envelope xmlns:soap=\"" NS_SOAP12 "\" xmlns:wsa=\"" NS_WSA \
	"\"><soap:Header>"

/* Skip a leading XML declaration and whitespace of a serialised body. */
static void
skip_decl(const char **p, size_t *len)
{
	const char *s = *p, *e;
	size_t n = *len;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	if (n >= 5 && memcmp(s, "<?xml", 5) == 0 &&
	    (e = memchr(s, '>', n)) != NULL) {
		n -= (size_t)(e + 1 - s);
		s = e + 1;
		while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\n')) {
			s++;
			n--;
		}
	}
	*p = s;
	*len = n;
}

int
soap_write_response(struct buf *out, const char *action,
    const char *relates_to, const char *body_xml, size_t body_len)
{
	int rc;

	skip_decl(&body_xml, &body_len);
	if ((rc = buf_adds(out, ENV_OPEN)) != XDS_OK ||
	    (rc = add_reply_header(out, action, 1, relates_to)) != XDS_OK ||
	    (rc = buf_adds(out, "</soap:Header><soap:Body>")) != XDS_OK ||
	    (rc = buf_add(out, body_xml, body_len)) != XDS_OK ||
	    (rc = buf_adds(out, "</soap:Body></soap:Envelope>\n")) != XDS_OK)
		return rc;
	return XDS_OK;
}

int
soap_write_request(struct buf *out, const char *action, const char *to,
    const char *body_xml, size_t body_len, char *msgid, size_t msgidsz)
{
	return soap_write_request_hdr(out, action, to, NULL, 0, body_xml,
	    body_len, msgid, msgidsz);
}

int
soap_write_request_hdr(struct buf *out, const char *action, const char *to,
    const char *hdr, size_t hdr_len, const char *body_xml, size_t body_len,
    char *msgid, size_t msgidsz)
{
	int rc;

	if (msgidsz < SOAP_UUID_LEN)
		return XDS_ETOOBIG;
	skip_decl(&body_xml, &body_len);
	if ((rc = buf_adds(out, ENV_OPEN)) != XDS_OK ||
	    (rc = add_header(out, action, 1, msgid, msgidsz)) != XDS_OK ||
	    (rc = buf_adds(out, "<wsa:ReplyTo><wsa:Address>" WSA_ANONYMOUS
	    "</wsa:Address></wsa:ReplyTo><wsa:To soap:mustUnderstand="
	    "\"true\">")) != XDS_OK ||
	    (rc = buf_add_xml(out, to)) != XDS_OK ||
	    (rc = buf_adds(out, "</wsa:To>")) != XDS_OK ||
	    (hdr != NULL && (rc = buf_add(out, hdr, hdr_len)) != XDS_OK) ||
	    (rc = buf_adds(out, "</soap:Header><soap:Body>")) != XDS_OK ||
	    (rc = buf_add(out, body_xml, body_len)) != XDS_OK ||
	    (rc = buf_adds(out, "</soap:Body></soap:Envelope>\n")) != XDS_OK)
		return rc;
	return XDS_OK;
}

xmlNode *
soap_body_elem(xmlNode *root)
{
	xmlNode *c;

	if (root == NULL || !xml_is(root, NS_SOAP12, "Envelope"))
		return root;
	for (c = xml_first_elem(root); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, NS_SOAP12, "Body"))
			return xml_first_elem(c);
	return NULL;
}

void
soap_fault_text(xmlNode *fault, char *out, size_t outsz)
{
	xmlNode *r, *t;
	xmlChar *c;

	out[0] = '\0';
	for (r = xml_first_elem(fault); r != NULL; r = xml_next_elem(r)) {
		if (!xml_is(r, NS_SOAP12, "Reason"))
			continue;
		for (t = xml_first_elem(r); t != NULL; t = xml_next_elem(t))
			if (xml_is(t, NS_SOAP12, "Text")) {
				if (xml_text(t, out, outsz) != 0 &&
				    (c = xmlNodeGetContent(t)) != NULL) {
					str_lcpy(out, (const char *)c, outsz);
					xmlFree(c);
				}
				return;
			}
	}
}

static int
add_detail(struct buf *out, const struct soap_fault *f)
{
	int rc;

	if (f->problem_header[0] != '\0') {
		if ((rc = buf_adds(out, "<soap:Detail><wsa:ProblemHeaderQName>"))
		    != XDS_OK ||
		    (rc = add_text(out, f->problem_header)) != XDS_OK ||
		    (rc = buf_adds(out, "</wsa:ProblemHeaderQName></soap:Detail>"))
		    != XDS_OK)
			return rc;
	} else if (f->problem_action[0] != '\0') {
		if ((rc = buf_adds(out, "<soap:Detail><wsa:ProblemAction>"
		    "<wsa:Action>")) != XDS_OK ||
		    (rc = add_text(out, f->problem_action)) != XDS_OK ||
		    (rc = buf_adds(out, "</wsa:Action></wsa:ProblemAction>"
		    "</soap:Detail>")) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

int
soap_write_fault(struct buf *out, const struct soap_fault *f,
    const char *relates_to)
{
	int rc;

	if ((rc = buf_adds(out, ENV_OPEN)) != XDS_OK)
		return rc;
	if (f->code == SOAP_FAULT_VERSION_MISMATCH &&
	    (rc = buf_adds(out, "<soap:Upgrade><soap:SupportedEnvelope "
	    "qname=\"soap:Envelope\"/></soap:Upgrade>")) != XDS_OK)
		return rc;
	if (f->code == SOAP_FAULT_MUST_UNDERSTAND && f->nu_name[0] != '\0') {
		if ((rc = buf_adds(out, "<soap:NotUnderstood qname=\"nu:"))
		    != XDS_OK ||
		    (rc = buf_add_xml(out, f->nu_name)) != XDS_OK ||
		    (rc = buf_adds(out, "\" xmlns:nu=\"")) != XDS_OK ||
		    (rc = buf_add_xml(out, f->nu_ns)) != XDS_OK ||
		    (rc = buf_adds(out, "\"/>")) != XDS_OK)
			return rc;
	}
	if ((rc = add_reply_header(out, ACT_SOAP_FAULT, 0, relates_to)) !=
	    XDS_OK ||
	    (rc = buf_addf(out, "</soap:Header><soap:Body><soap:Fault>"
	    "<soap:Code><soap:Value>%s</soap:Value>", code_qname(f->code)))
	    != XDS_OK)
		return rc;
	if (f->subcode != NULL && strncmp(f->subcode, "wsse:", 5) == 0) {
		if ((rc = buf_addf(out, "<soap:Subcode><soap:Value xmlns:wsse="
		    "\"" NS_WSSE "\">%s</soap:Value></soap:Subcode>",
		    f->subcode)) != XDS_OK)
			return rc;
	} else if (f->subcode != NULL) {
		if ((rc = buf_addf(out, "<soap:Subcode><soap:Value>wsa:%s"
		    "</soap:Value>", f->subcode)) != XDS_OK)
			return rc;
		if (f->subsubcode != NULL && (rc = buf_addf(out,
		    "<soap:Subcode><soap:Value>wsa:%s</soap:Value>"
		    "</soap:Subcode>", f->subsubcode)) != XDS_OK)
			return rc;
		if ((rc = buf_adds(out, "</soap:Subcode>")) != XDS_OK)
			return rc;
	}
	if ((rc = buf_adds(out, "</soap:Code><soap:Reason>"
	    "<soap:Text xml:lang=\"en\">")) != XDS_OK ||
	    (rc = add_text(out, f->reason[0] != '\0' ? f->reason :
	    "unspecified error")) != XDS_OK ||
	    (rc = buf_adds(out, "</soap:Text></soap:Reason>")) != XDS_OK ||
	    (rc = add_detail(out, f)) != XDS_OK ||
	    (rc = buf_adds(out, "</soap:Fault></soap:Body></soap:Envelope>\n"))
	    != XDS_OK)
		return rc;
	return XDS_OK;
}

int
soap_write_fault11(struct buf *out, const char *reason)
{
	int rc;

	if ((rc = buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<env:Envelope xmlns:env=\"" NS_SOAP11 "\">"
	    "<env:Header><up:Upgrade xmlns:up=\"" NS_SOAP12 "\">"
	    "<up:SupportedEnvelope qname=\"up:Envelope\"/></up:Upgrade>"
	    "</env:Header><env:Body><env:Fault>"
	    "<faultcode>env:VersionMismatch</faultcode><faultstring>"))
	    != XDS_OK ||
	    (rc = add_text(out, reason)) != XDS_OK ||
	    (rc = buf_adds(out, "</faultstring></env:Fault></env:Body>"
	    "</env:Envelope>\n")) != XDS_OK)
		return rc;
	return XDS_OK;
}
