/*
 * check.c: the checks of one captured message (check.h): unwrap it,
 * find out what it is, run the checks that apply, and the report with
 * its JSON form.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "buf.h"
#include "check.h"
#include "check_int.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

/* A text cut to its buffer may end inside a UTF-8 sequence, which the
 * JSON report would refuse: the incomplete sequence is dropped. */
static void
utf8_cut(char *t)
{
	size_t n = strlen(t), i = n, need;
	unsigned char c;

	while (i > 0 && ((unsigned char)t[i - 1] & 0xc0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)t[i - 1];
	if (c < 0xc0)
		return;			/* ASCII last, or no lead byte */
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (n - (i - 1) < need)
		t[i - 1] = '\0';
}

static void
vadd(struct chk_report *r, enum chk_sev sev, const char *rule,
    const char *code, const char *loc, const char *fmt, va_list ap)
{
	struct chk_finding *f, *nv;

	if (sev == CHK_ERROR)
		r->nerrors++;
	else if (sev == CHK_WARNING)
		r->nwarnings++;
	if (r->n >= CHK_MAX_FINDINGS)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;

		if ((nv = realloc(r->v, cap * sizeof *nv)) == NULL) {
			r->nomem = 1;
			return;
		}
		r->v = nv;
		r->cap = cap;
	}
	f = &r->v[r->n++];
	memset(f, 0, sizeof *f);
	str_lcpy(f->rule, rule, sizeof f->rule);
	f->sev = sev;
	str_lcpy(f->code, code != NULL ? code : "", sizeof f->code);
	str_lcpy(f->loc, loc != NULL ? loc : "", sizeof f->loc);
	(void)vsnprintf(f->text, sizeof f->text, fmt, ap);
	utf8_cut(f->loc);
	utf8_cut(f->text);
}

void
chk_add(struct chk_report *r, enum chk_sev sev, const char *rule,
    const char *code, const char *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(r, sev, rule, code, loc, fmt, ap);
	va_end(ap);
}

void
chk_addn(struct chk_report *r, enum chk_sev sev, const char *rule,
    const char *code, const xmlNode *n, const char *fmt, ...)
{
	xmlChar *path = n != NULL ? xmlGetNodePath(n) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vadd(r, sev, rule, code, (const char *)path, fmt, ap);
	va_end(ap);
	xmlFree(path);
}

void
chk_walk(xmlNode *e, const char *ns, const char *name,
    void (*fn)(xmlNode *, void *), void *arg)
{
	xmlNode *c, *next;

	for (c = e->children; c != NULL; c = next) {
		next = c->next;		/* fn may unlink c */
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xml_is(c, ns, name))
			fn(c, arg);
		else
			chk_walk(c, ns, name, fn, arg);
	}
}

const char *
chk_sev_name(enum chk_sev s)
{
	return s == CHK_ERROR ? "error" : s == CHK_WARNING ? "warning" :
	    "info";
}

void
chk_report_init(struct chk_report *r)
{
	memset(r, 0, sizeof *r);
	r->response = -1;
}

void
chk_report_free(struct chk_report *r)
{
	free(r->v);
	chk_report_init(r);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
static char init_err[256];

static void
init_schemas(void)
{
	init_rc = chk_schema_init(init_err, sizeof init_err);
}

int
chk_init(char *err, size_t errlen)
{
	(void)pthread_once(&init_once, init_schemas);
	if (init_rc != XDS_OK)
		str_lcpy(err, init_err, errlen);
	return init_rc;
}

/* The body element's kind when no SOAP transaction matched. */
static void
set_kind(struct chk_report *r, const char *kind, const char *msg, int resp)
{
	str_lcpy(r->kind, kind, sizeof r->kind);
	str_lcpy(r->message, msg, sizeof r->message);
	r->response = resp;
}

/* A body element (bare or in an envelope). */
static void
check_body(xmlNode *body, const struct chk_frame *f, const struct chk_opts *o,
    struct chk_report *r)
{
	const struct chk_txn *t;
	int mismatch = 0;

	if (xml_is(body, NS_SAML, "Assertion")) {
		set_kind(r, "XUA", "Assertion", -1);
		chk_xua(body, r);
		return;
	}
	if (xml_is(body, NS_SOAP12, "Fault")) {
		set_kind(r, "SOAP-Fault", "Fault", 1);
		return;
	}
	if ((t = chk_txn_find(r->action, body, &mismatch)) == NULL) {
		chk_addn(r, CHK_ERROR, "FRAME-TYPE", NULL, body,
		    "{%s}%s is not a message of a supported transaction",
		    body->ns != NULL ? (const char *)body->ns->href : "",
		    (const char *)body->name);
		str_lcpy(r->message, (const char *)body->name,
		    sizeof r->message);
		return;
	}
	set_kind(r, t->kind, t->name, t->response);
	if (mismatch)
		chk_addn(r, CHK_ERROR, "WSA-ACTION", "wsa:ActionMismatch", body,
		    "wsa:Action %s does not go with %s (%s %s: %s)",
		    r->action, t->name, t->kind,
		    t->response ? "response" : "request", t->action);
	if (f != NULL)
		chk_packaging(t, f, body, r);
	chk_meta(t, body, o, r);
	chk_schema_xsd(body, r);
}

/* Past an RFC 5424 / 3164 syslog header ("<PRI>..."), the XML. */
static const char *
skip_syslog(const char *s, size_t len, size_t *rest)
{
	const char *x;

	*rest = len;
	if (len < 3 || s[0] != '<' || s[1] < '0' || s[1] > '9')
		return s;
	if ((x = memmem(s, len, "<?xml", 5)) == NULL &&
	    (x = memmem(s, len, "<AuditMessage", 13)) == NULL)
		return s;
	*rest = len - (size_t)(x - s);
	return x;
}

static void
check_xml(const struct chk_frame *f, const struct chk_opts *o,
    struct chk_report *r)
{
	struct xml_opts xo = { 0, NULL };
	xmlNode *root, *body = NULL;
	xmlDoc *doc;
	const char *x;
	char err[512];
	size_t xlen;
	int st = XDS_OK;

	x = skip_syslog(f->xml, f->xlen, &xlen);
	err[0] = '\0';
	if ((doc = xml_parse_opts(x, xlen, &xo, &st, err, sizeof err)) ==
	    NULL) {
		if (st == XDS_ENOMEM)
			r->nomem = 1;
		chk_add(r, CHK_ERROR, "FRAME-XML", "env:Sender", NULL,
		    "not a well-formed XML document: %s", err);
		return;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL)
		chk_add(r, CHK_ERROR, "FRAME-XML", "env:Sender", NULL,
		    "no root element");
	else if (xml_is(root, NULL, "AuditMessage")) {
		set_kind(r, "ATNA", "AuditMessage", -1);
		str_lcpy(r->packaging, "bare", sizeof r->packaging);
		chk_schema_atna(doc, r);
	} else if (xml_is(root, NS_SOAP12, "Envelope") ||
	    xml_is(root, NS_SOAP11, "Envelope")) {
		str_lcpy(r->packaging, f->multipart ? "mtom" : "soap",
		    sizeof r->packaging);
		chk_soap(doc, f, r, &body);
		if (body != NULL)
			check_body(body, f, o, r);
	} else {
		str_lcpy(r->packaging, "bare", sizeof r->packaging);
		check_body(root, NULL, o, r);
	}
	xmlFreeDoc(doc);
}

int
chk_message(const char *buf, size_t len, const struct chk_opts *o,
    struct chk_report *r)
{
	static const struct chk_opts none = { NULL, 0 };
	struct chk_frame f;

	if (o == NULL)
		o = &none;
	if (len > 132 && memcmp(buf + 128, "DICM", 4) == 0) {
		str_lcpy(r->packaging, "dicom", sizeof r->packaging);
		set_kind(r, "KOS", "KeyObjectSelection", -1);
		chk_kos(buf, len, NULL, r);
		return r->nomem ? XDS_ENOMEM : XDS_OK;
	}
	chk_frame(buf, len, o, &f, r);
	if (f.xml != NULL)
		check_xml(&f, o, r);
	chk_frame_free(&f);
	return r->nomem ? XDS_ENOMEM : XDS_OK;
}

int
chk_report_json(const struct chk_report *r, const char *name,
    struct buf *out)
{
	json_t *o, *a, *fo;
	char *s;
	size_t i;
	int rc = XDS_ENOMEM;

	if ((a = json_array()) == NULL)
		return XDS_ENOMEM;
	for (i = 0; i < r->n; i++) {
		const struct chk_finding *f = &r->v[i];

		fo = json_pack("{s:s, s:s, s:s, s:s, s:s}", "rule", f->rule,
		    "severity", chk_sev_name(f->sev), "code", f->code,
		    "location", f->loc, "text", f->text);
		if (fo == NULL || json_array_append_new(a, fo) != 0) {
			json_decref(a);
			return XDS_ENOMEM;
		}
	}
	o = json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
	    "file", name, "kind", r->kind, "message", r->message,
	    "direction", r->response == 1 ? "response" : r->response == 0 ?
	    "request" : "", "action", r->action, "packaging", r->packaging,
	    "errors", (json_int_t)r->nerrors,
	    "warnings", (json_int_t)r->nwarnings, "findings", a);
	if (o == NULL)
		return XDS_ENOMEM;
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		rc = buf_adds(out, s);
		free(s);
	}
	json_decref(o);
	return rc;
}
