/*
 * testxml.h: what the SOAP tests and the fuzz targets share: bytes from
 * memory as a reader, xml_push over them in chunks, a document as text,
 * a route handler that echoes.  Header only, as the fuzz targets link no
 * test library; they include it as "../tests/lib/testxml.h".
 *
 *	struct testxml_src src = { data, len, 0, chunk };
 *	n = testxml_read(&src, buf, size);	a reader (mtom_read, soap_io)
 *	doc = testxml_push(data, len, chunk, max_xml, dv, &st, err, errlen);
 *	text = testxml_dump(doc);		xmlFree() it
 *	{ action, ..., testxml_echo }		a soap_route's handler
 *	routes[] = { TESTXML_ECHO_ROUTES, ... }	ITI-42, ITI-18 echoed
 */
#ifndef XDS_TESTXML_H
#define XDS_TESTXML_H

#include <string.h>
#include <sys/types.h>

#include <libxml/tree.h>

#include "actor.h"
#include "buf.h"
#include "vocab.h"
#include "xml.h"

#define TESTXML_NS	"urn:xdsnode:test"	/* of testxml_echo's answer */

/* len bytes at p, read from pos on in pieces of at most chunk (0: any). */
struct testxml_src {
	const void	*p;
	size_t		 len, pos;
	size_t		 chunk;
};

static inline ssize_t
testxml_read(void *arg, void *buf, size_t len)
{
	struct testxml_src *s = arg;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	if (s->chunk > 0 && n > s->chunk)
		n = s->chunk;
	memcpy(buf, (const char *)s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* xml_push over data in chunks of chunk bytes (0: all at once): the
 * document or NULL, the push parser's status in *status. */
static inline xmlDoc *
testxml_push(const void *data, size_t len, size_t chunk, size_t max_xml,
    const struct xml_divert *dv, int *status, char *err, size_t errlen)
{
	struct xml_push *p;
	xmlDoc *doc = NULL;
	size_t off, k;
	int rc;

	err[0] = '\0';
	if ((rc = xml_push_new(&p, max_xml, dv, err, errlen)) != XDS_OK) {
		*status = rc;
		return NULL;
	}
	for (off = 0, rc = XDS_OK; rc == XDS_OK && off < len; off += k) {
		k = chunk == 0 || len - off < chunk ? len - off : chunk;
		rc = xml_push_feed(p, (const char *)data + off, k, err,
		    errlen);
	}
	if (rc == XDS_OK)
		rc = xml_push_finish(p, &doc, err, errlen);
	xml_push_free(p);
	*status = rc;
	return doc;
}

/* The whole document as text (its XML declaration too), or NULL. */
static inline char *
testxml_dump(xmlDoc *doc)
{
	xmlChar *m = NULL;
	int n = 0;

	xmlDocDumpMemory(doc, &m, &n);
	return (char *)m;
}

/* A route handler answering <t:Echo name="..." pack="..."/> (t:
 * TESTXML_NS): the local name of the request's body element, how it came
 * (enum soap_pack). */
static inline int
testxml_echo(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	(void)actor;
	(void)x;
	if (buf_adds(&reply->body, "<?xml version=\"1.0\"?>\n<t:Echo "
	    "xmlns:t=\"" TESTXML_NS "\" name=\"") != XDS_OK ||
	    buf_add_xml(&reply->body, (const char *)req->body->name) !=
	    XDS_OK ||
	    buf_addf(&reply->body, "\" pack=\"%d\"/>", (int)req->pack) !=
	    XDS_OK)
		return -1;
	return 0;
}

/* The soap_route rows of ITI-42 and ITI-18 (simple SOAP) answered by
 * testxml_echo. */
#define TESTXML_ECHO_ROUTES						\
	{ ACT_ITI42, ACT_ITI42_RSP, TXN_ITI42, NS_LCM,			\
	  "SubmitObjectsRequest", PACK_SIMPLE, testxml_echo },		\
	{ ACT_ITI18, ACT_ITI18_RSP, TXN_ITI18, NS_QUERY,		\
	  "AdhocQueryRequest", PACK_SIMPLE, testxml_echo }

#endif
