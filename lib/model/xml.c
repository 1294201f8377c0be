#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include "buf.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"
#include "xmlscan.h"

#define XML_OPTIONS	(XML_PARSE_NONET | XML_PARSE_NOCDATA | \
	XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
#define PUSH_SLICE	(256 * 1024)	/* bytes per xmlParseChunk, at most */
#define PUSH_STAGE	(64 * 1024)	/* small pieces gathered up to this */

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

/* The filtered document for xml_parse: the input itself while the
 * filter hands on what it got (bytes it held, as those of the XML
 * declaration, compare equal), else a copy. */
struct filtered {
	const char	*orig, *next, *end;	/* the input; where it
						   continues; its end */
	struct buf	 copy;
	int		 copying;
};

static int
filtered_out(void *arg, const char *p, size_t n, char *err, size_t errlen)
{
	struct filtered *f = arg;
	int rc;

	if (!f->copying && (p == f->next || ((size_t)(f->end - f->next) >=
	    n && memcmp(p, f->next, n) == 0))) {
		f->next += n;
		return XDS_OK;
	}
	if (!f->copying) {
		f->copying = 1;
		if ((rc = buf_add(&f->copy, f->orig,
		    (size_t)(f->next - f->orig))) != XDS_OK)
			goto fail;
	}
	if ((rc = buf_add(&f->copy, p, n)) == XDS_OK)
		return XDS_OK;
fail:
	str_fmt(err, errlen, "out of memory");
	return rc;
}

xmlDoc *
xml_parse(const char *data, size_t len, char *err, size_t errlen)
{
	return xml_parse_opts(data, len, NULL, NULL, err, errlen);
}

xmlDoc *
xml_parse_opts(const char *data, size_t len, const struct xml_opts *o,
    int *status, char *err, size_t errlen)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDoc *doc = NULL;
	const xmlError *e;
	struct xmlscan sc;
	struct filtered f;
	const char *in;
	int st;

	memset(&f, 0, sizeof f);
	f.orig = f.next = data;
	f.end = data + len;
	buf_init(&f.copy, len + len / 2 + 64);	/* UTF-16 may grow by half */
	if (len > (size_t)INT_MAX) {
		str_fmt(err, errlen, "XML document too large");
		st = XDS_ETOOBIG;
		goto fail;
	}
	/* Encoding, line ends and the bounds first (xmlscan.h). */
	xmlscan_init(&sc, o != NULL ? o->max_attrs : 0,
	    o != NULL ? o->charset : NULL);
	if ((st = xmlscan_feed(&sc, data, len, filtered_out, &f, err,
	    errlen)) != XDS_OK ||
	    (st = xmlscan_finish(&sc, filtered_out, &f, err, errlen)) !=
	    XDS_OK)
		goto fail;
	if (f.copying) {
		in = f.copy.b_data != NULL ? f.copy.b_data : "";
		len = f.copy.b_len;
	} else {
		in = data;
		len = (size_t)(f.next - data);
	}
	st = XDS_EFORMAT;
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		str_fmt(err, errlen, "out of memory");
		st = XDS_ENOMEM;
		goto fail;
	}
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)silent);
	ctxt->sax->internalSubset = reject_dtd;
	doc = xmlCtxtReadMemory(ctxt, in, (int)len, NULL, NULL, XML_OPTIONS);
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
	buf_free(&f.copy);
	if (status != NULL)
		*status = XDS_OK;
	return doc;
fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	buf_free(&f.copy);
	if (status != NULL)
		*status = st;
	return NULL;
}

/* ---- push parser ---- */

static void
silent_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

struct xml_push {
	xmlParserCtxtPtr ctxt;
	struct xmlscan	 scan;		/* what libxml2 may see */
	char		*stage;		/* filtered bytes not yet parsed */
	size_t		 nstage;
	struct xml_divert dv;
	int		 has_dv;
	size_t		 max_xml;
	unsigned long long fed;		/* bytes given to libxml2 */
	unsigned long long diverted;	/* text bytes sent to dv.text */
	unsigned long long div_raw;	/* input bytes of closed diverted
					   elements (CR, references...) */
	unsigned long long div_pos;	/* input offset where div_el began */
	xmlNode		*div_el;	/* diverted element being parsed */
	xmlNode		*tnode;		/* the text node text goes to */
	size_t		 tlen;		/* its length */
	int		 div_text;	/* it has had non-whitespace text */
	int		 doctype;	/* a DOCTYPE stopped the parse */
	int		 status;	/* first error, sticky */
	char		 err[256];
};

static void
push_fail(struct xml_push *p, int status, const char *msg)
{
	if (p->status != XDS_OK)
		return;
	p->status = status;
	if (msg != NULL)
		str_lcpy(p->err, msg, sizeof p->err);
	xmlStopParser(p->ctxt);
}

static void
push_reject_dtd(void *vctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct xml_push *p = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	p->doctype = 1;
	push_fail(p, XDS_EFORMAT, "DOCTYPE is not allowed in a SOAP message");
}

static int
diverted_name(const struct xml_push *p, const xmlChar *ns,
    const xmlChar *name)
{
	const struct xml_qname *q;

	if (!p->has_dv || p->dv.names == NULL)
		return 0;
	for (q = p->dv.names; q->name != NULL; q++) {
		if (strcmp(q->name, (const char *)name) != 0)
			continue;
		if (q->ns == NULL ? ns == NULL : ns != NULL &&
		    strcmp(q->ns, (const char *)ns) == 0)
			return 1;
	}
	return 0;
}

/* Input bytes the parser has consumed. */
static unsigned long long
push_pos(xmlParserCtxtPtr ctxt)
{
	long c = xmlByteConsumed(ctxt);

	return c > 0 ? (unsigned long long)c : 0;
}

/* Input bytes inside diverted elements so far. */
static unsigned long long
push_div_raw(struct xml_push *p)
{
	unsigned long long now;

	if (p->div_el == NULL)
		return p->div_raw;
	now = push_pos(p->ctxt);
	return p->div_raw + (now > p->div_pos ? now - p->div_pos : 0);
}

static void
push_start(void *vctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attr,
    int nb_def, const xmlChar **attr)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct xml_push *p = ctxt->_private;
	char msg[256];
	int rc;

	if (p->status != XDS_OK)
		return;
	if (p->div_el != NULL && !p->div_text && uri != NULL &&
	    xmlStrEqual(uri, (const xmlChar *)NS_XOP) &&
	    xmlStrEqual(localname, (const xmlChar *)"Include")) {
		/* Already an XOP reference: nothing to divert. */
		p->div_raw = push_div_raw(p);
		p->div_el = NULL;
		if (p->dv.cancel != NULL)
			p->dv.cancel(p->dv.arg);
	}
	if (p->div_el != NULL) {
		str_fmt(msg, sizeof msg, "element %.80s inside %.80s, whose "
		    "content must be text (base64)", (const char *)localname,
		    (const char *)p->div_el->name);
		push_fail(p, XDS_EFORMAT, msg);
		return;
	}
	p->tnode = NULL;
	xmlSAX2StartElementNs(vctx, localname, prefix, uri, nb_ns, ns,
	    nb_attr, nb_def, attr);
	if (!diverted_name(p, uri, localname) || ctxt->node == NULL ||
	    !xmlStrEqual(ctxt->node->name, localname))
		return;
	p->div_el = ctxt->node;
	p->div_pos = push_pos(ctxt);
	p->div_text = 0;
	msg[0] = '\0';
	if (p->dv.begin != NULL &&
	    (rc = p->dv.begin(p->dv.arg, p->div_el, msg, sizeof msg)) != 0)
		push_fail(p, rc < 0 ? rc : XDS_EFORMAT, msg);
}

/*
 * Text that stays in the tree, bounded: libxml2 joins adjacent text into
 * one node and refuses one past XML_MAX_TEXT_LENGTH as if memory had run
 * out, which would tell the sender "out of memory" for a request that is
 * merely too large.
 */
static void
push_text_kept(struct xml_push *p, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = p->ctxt;
	xmlNode *last;
	char msg[128];

	last = ctxt->node != NULL ? ctxt->node->last : NULL;
	if (last == NULL || last != p->tnode || last->type != XML_TEXT_NODE)
		p->tlen = 0;
	if (p->tlen + (size_t)len > XML_MAX_TEXT_LENGTH) {
		str_fmt(msg, sizeof msg, "a text node longer than %d bytes "
		    "in element %.64s", XML_MAX_TEXT_LENGTH, ctxt->node ?
		    (const char *)ctxt->node->name : "(none)");
		push_fail(p, XDS_ETOOBIG, msg);
		return;
	}
	xmlSAX2Characters(ctxt, ch, len);
	if (ctxt->node != NULL && ctxt->node->last != NULL &&
	    ctxt->node->last->type == XML_TEXT_NODE) {
		p->tnode = ctxt->node->last;
		p->tlen += (size_t)len;
	}
}

static void
push_text(void *vctx, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct xml_push *p = ctxt->_private;
	char msg[256];
	int rc, i;

	if (p->status != XDS_OK || len <= 0)
		return;
	if (p->div_el == NULL) {
		push_text_kept(p, ch, len);
		return;
	}
	p->diverted += (unsigned long long)len;
	for (i = 0; !p->div_text && i < len; i++)
		if (ch[i] != ' ' && ch[i] != '\t' && ch[i] != '\r' &&
		    ch[i] != '\n')
			p->div_text = 1;
	msg[0] = '\0';
	if (p->dv.text != NULL && (rc = p->dv.text(p->dv.arg,
	    (const char *)ch, (size_t)len, msg, sizeof msg)) != 0)
		push_fail(p, rc < 0 ? rc : XDS_EFORMAT, msg);
}

static void
push_cdata(void *vctx, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct xml_push *p = ctxt->_private;

	if (p->div_el == NULL)
		xmlSAX2CDataBlock(vctx, ch, len);
	else
		push_text(vctx, ch, len);
}

/* The diverted element el gets an xop:Include or a text child. */
static int
divert_close(struct xml_push *p, xmlNode *el, char *msg, size_t msgsz)
{
	char out[1024];
	xmlNode *c;
	xmlNs *ns;
	int rc;

	out[0] = '\0';
	if (p->dv.end == NULL)
		return XDS_OK;
	rc = p->dv.end(p->dv.arg, el, out, sizeof out, msg, msgsz);
	if (rc < 0)
		return rc;
	if (rc == XML_DIVERT_TEXT)
		c = xmlNewDocText(el->doc, (const xmlChar *)out);
	else if (rc == XML_DIVERT_INCLUDE) {
		if ((c = xmlNewDocNode(el->doc, NULL,
		    (const xmlChar *)"Include", NULL)) == NULL)
			goto nomem;
		if ((ns = xmlNewNs(c, (const xmlChar *)NS_XOP,
		    (const xmlChar *)"xop")) == NULL ||
		    xmlNewProp(c, (const xmlChar *)"href",
		    (const xmlChar *)out) == NULL) {
			xmlFreeNode(c);
			goto nomem;
		}
		xmlSetNs(c, ns);
	} else {
		str_fmt(msg, msgsz, "divert: bad end status %d", rc);
		return XDS_EFORMAT;
	}
	if (c == NULL)
		goto nomem;
	if (xmlAddChild(el, c) == NULL) {
		xmlFreeNode(c);
		goto nomem;
	}
	return XDS_OK;
nomem:
	str_fmt(msg, msgsz, "out of memory");
	return XDS_ENOMEM;
}

static void
push_end(void *vctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct xml_push *p = ctxt->_private;
	xmlNode *el;
	char msg[256];
	int rc;

	if (p->status != XDS_OK)
		return;
	if ((el = p->div_el) != NULL && ctxt->node == el) {
		p->div_raw = push_div_raw(p);
		p->div_el = NULL;
		msg[0] = '\0';
		if ((rc = divert_close(p, el, msg, sizeof msg)) != XDS_OK) {
			push_fail(p, rc, msg);
			return;
		}
	}
	p->tnode = NULL;
	xmlSAX2EndElementNs(vctx, localname, prefix, uri);
}

int
xml_push_new(struct xml_push **out, size_t max_xml,
    const struct xml_divert *divert, char *err, size_t errlen)
{
	struct xml_push *p;
	xmlSAXHandler *sax;

	*out = NULL;
	if ((p = calloc(1, sizeof *p)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	p->max_xml = max_xml;
	xmlscan_init(&p->scan, 0, NULL);
	if ((p->stage = malloc(PUSH_STAGE)) == NULL) {
		free(p);
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if (divert != NULL) {
		p->dv = *divert;
		p->has_dv = 1;
	}
	if ((p->ctxt = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0,
	    NULL)) == NULL) {
		free(p->stage);
		free(p);
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)silent);
	xmlSetGenericErrorFunc(NULL, silent_generic);
	(void)xmlCtxtUseOptions(p->ctxt, XML_OPTIONS);
	p->ctxt->_private = p;
	/* The default SAX2 DOM builders, wrapped (options set first:
	 * XML_PARSE_NOCDATA sends CDATA to characters). */
	sax = p->ctxt->sax;
	sax->internalSubset = push_reject_dtd;
	sax->startElementNs = push_start;
	sax->endElementNs = push_end;
	sax->characters = push_text;
	sax->ignorableWhitespace = push_text;
	if (sax->cdataBlock != NULL)
		sax->cdataBlock = push_cdata;
	*out = p;
	return XDS_OK;
}

/* Status after xmlParseChunk returned prc: ours first, then libxml2's
 * (an encoding error halts the parser without marking the context). */
static int
push_check(struct xml_push *p, int prc)
{
	xmlParserCtxtPtr ctxt = p->ctxt;
	const xmlError *e;

	if (p->status != XDS_OK)
		return p->status;
	if (ctxt->errNo == XML_ERR_OK && ctxt->wellFormed && prc == 0)
		return XDS_OK;
	if (ctxt->errNo == XML_ERR_OK && ctxt->wellFormed) {
		str_fmt(p->err, sizeof p->err, "XML not well-formed: "
		    "character encoding error (libxml2 %d)", prc);
		p->status = XDS_EFORMAT;
		return p->status;
	}
	if (ctxt->errNo == XML_ERR_NO_MEMORY) {
		push_fail(p, XDS_ENOMEM, "out of memory");
		return p->status;
	}
	e = xmlCtxtGetLastError(ctxt);
	if (e != NULL && e->message != NULL) {
		str_fmt(p->err, sizeof p->err, "XML not well-formed "
		    "(line %d): %s", e->line, e->message);
		str_trim(p->err);
	} else
		str_fmt(p->err, sizeof p->err, "XML not well-formed");
	p->status = XDS_EFORMAT;
	return p->status;
}

void
xml_push_opts(struct xml_push *p, const struct xml_opts *o)
{
	xmlscan_init(&p->scan, o->max_attrs, o->charset);
}

/* n filtered bytes to libxml2 (at most PUSH_SLICE). */
static int
push_parse(struct xml_push *p, const char *d, size_t n)
{
	char msg[128];

	p->fed += n;
	if (push_check(p, xmlParseChunk(p->ctxt, d, (int)n, 0)) != XDS_OK)
		return p->status;
	/* What libxml2 holds unparsed counts as not diverted. */
	if (p->fed - push_div_raw(p) > p->max_xml) {
		str_fmt(msg, sizeof msg, "XML larger than %zu bytes "
		    "(diverted text not counted)", p->max_xml);
		push_fail(p, XDS_ETOOBIG, msg);
	}
	return p->status;
}

static int
push_flush(struct xml_push *p)
{
	size_t n = p->nstage;

	p->nstage = 0;
	return n > 0 ? push_parse(p, p->stage, n) : p->status;
}

/* The filter's output (xmlscan_out): large pieces are parsed where they
 * are, small ones (around a CR) gathered first. */
static int
push_out(void *arg, const char *d, size_t n, char *err, size_t errlen)
{
	struct xml_push *p = arg;
	size_t k;

	if (p->nstage > 0 && p->nstage + n > PUSH_STAGE &&
	    push_flush(p) != XDS_OK)
		goto fail;
	if (n < PUSH_STAGE / 16) {
		memcpy(p->stage + p->nstage, d, n);
		p->nstage += n;
		return XDS_OK;
	}
	if (push_flush(p) != XDS_OK)
		goto fail;
	for (; n > 0; d += k, n -= k) {
		k = n < PUSH_SLICE ? n : PUSH_SLICE;
		if (push_parse(p, d, k) != XDS_OK)
			goto fail;
	}
	return XDS_OK;
fail:
	str_lcpy(err, p->err, errlen);
	return p->status;
}

/* After the filter returned st with msg: the first failure is kept. */
static int
push_result(struct xml_push *p, int st, const char *msg, char *err,
    size_t errlen)
{
	if (st != XDS_OK)
		push_fail(p, st, msg);
	else
		(void)push_flush(p);
	if (p->status != XDS_OK)
		str_lcpy(err, p->err, errlen);
	return p->status;
}

int
xml_push_feed(struct xml_push *p, const void *data, size_t len, char *err,
    size_t errlen)
{
	char msg[sizeof p->err];
	int st;

	if (p->status != XDS_OK) {
		str_lcpy(err, p->err, errlen);
		return p->status;
	}
	msg[0] = '\0';
	st = xmlscan_feed(&p->scan, data, len, push_out, p, msg, sizeof msg);
	return push_result(p, st, msg, err, errlen);
}

int
xml_push_finish(struct xml_push *p, xmlDoc **doc, char *err, size_t errlen)
{
	char msg[sizeof p->err];
	int st;

	*doc = NULL;
	if (p->status == XDS_OK) {
		msg[0] = '\0';
		st = xmlscan_finish(&p->scan, push_out, p, msg, sizeof msg);
		if (push_result(p, st, msg, err, errlen) == XDS_OK &&
		    push_check(p, xmlParseChunk(p->ctxt, NULL, 0, 1)) ==
		    XDS_OK && p->ctxt->myDoc == NULL) {
			str_fmt(p->err, sizeof p->err, "XML not well-formed");
			p->status = XDS_EFORMAT;
		}
	}
	if (p->status != XDS_OK) {
		str_lcpy(err, p->err, errlen);
		return p->status;
	}
	*doc = p->ctxt->myDoc;
	p->ctxt->myDoc = NULL;
	return XDS_OK;
}

void
xml_push_free(struct xml_push *p)
{
	if (p == NULL)
		return;
	if (p->ctxt != NULL) {
		xmlFreeDoc(p->ctxt->myDoc);
		p->ctxt->myDoc = NULL;
		xmlFreeParserCtxt(p->ctxt);
	}
	free(p->stage);
	free(p);
}

int
xml_push_charset(const struct xml_push *p)
{
	switch (p->scan.enc) {
	case XMLSCAN_ENC_UTF8:
		return 8;
	case XMLSCAN_ENC_UTF16LE:
	case XMLSCAN_ENC_UTF16BE:
		return 16;
	default:
		return 0;
	}
}

unsigned long long
xml_push_diverted(const struct xml_push *p)
{
	return p->diverted;
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

xmlNode *
xml_child(xmlNode *n, const char *ns, const char *name)
{
	xmlNode *c;

	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, ns, name))
			return c;
	return NULL;
}

int
xml_child_text(xmlNode *n, const char *ns, const char *name, char *out,
    size_t outsz)
{
	xmlNode *c;

	if ((c = xml_child(n, ns, name)) == NULL) {
		if (outsz)
			out[0] = '\0';
		return 0;
	}
	return xml_text(c, out, outsz);
}

/* The tree's depth is bounded by xmlscan (128), and so is this. */
xmlNode *
xml_find(xmlNode *n, const char *ns, const char *name)
{
	xmlNode *r;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xml_is(n, ns, name))
			return n;
		if (n->children != NULL &&
		    (r = xml_find(n->children, ns, name)) != NULL)
			return r;
	}
	return NULL;
}

int
xml_dump(xmlNode *n, struct buf *out)
{
	xmlDoc *d = NULL;
	xmlNode *copy;
	xmlBuffer *xb = NULL;
	int rc = XDS_ENOMEM;

	if ((d = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (xb = xmlBufferCreate()) == NULL ||
	    (copy = xmlDocCopyNode(n, d, 1)) == NULL)
		goto out;
	xmlDocSetRootElement(d, copy);
	if (xmlReconciliateNs(d, copy) < 0 ||
	    xmlNodeDump(xb, d, copy, 0, 0) < 0)
		goto out;
	rc = buf_add(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
out:
	xmlBufferFree(xb);
	xmlFreeDoc(d);
	return rc;
}
