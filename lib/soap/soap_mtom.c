/*
 * soap_mtom.c: the MTOM/XOP side of soap_serve(), over mtom.h.
 *
 * Request: the multipart body is read through the transport; the root
 * part becomes the envelope bytes, every other part a spooled, hashed
 * file handed to the actor as a mtom_attachment.  Every xop:Include in
 * the envelope must name one of those parts.
 *
 * On an endpoint that lists inline_base64 elements (ITI-41's
 * xdsb:Document) the root part is not collected: it goes through the
 * push parser as it arrives, and the base64 text of those elements is
 * decoded into spool files (hashed on the way) that become attachments
 * with synthetic Content-IDs; the element gets an xop:Include naming its
 * file (an element that holds an xop:Include already is left alone).  The actor then sees every document as an attachment, and an
 * inline document of any size costs constant memory.  Invalid base64
 * leaves the element with the text "!" instead, which the actor's own
 * base64 check answers as it always did (XDSRepositoryMetadataError).
 *
 * Response: the envelope and
 * the reply's attachment files, streamed as multipart/related with an
 * exact Content-Length.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mtom.h"
#include "soap_int.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"
#include "xmlscan.h"

/* Transport read that remembers why it failed. */
static ssize_t
mtom_rd(void *arg, void *p, size_t len)
{
	struct serve *s = arg;
	ssize_t n;

	n = s->io->read(s->io->ctx, p, len);
	if (n < 0 && s->io_status == 0)
		s->io_status = (int)n;
	return n;
}

/* Root part type: application/xop+xml (MTOM); plain SOAP 1.2 tolerated. */
static int
root_type_ok(const char *t)
{
	return str_ncaseeq(t, CT_XOP, strlen(CT_XOP)) ||
	    str_ncaseeq(t, CT_SOAP12, strlen(CT_SOAP12));
}

/* ---- inline base64 elements ---- */

/* A spool failure as the inline state's (and the push parser's). */
static int
inl_fail(struct serve *s, int spool_rc, char *err, size_t errlen)
{
	struct soap_inline *in = &s->inl;

	in->status = spool_rc < 0 ? spool_rc : XDS_EIO;
	if (in->over_total)
		str_fmt(in->err, sizeof in->err, "documents larger than %lld "
		    "bytes in total", s->lim.max_request);
	else if (in->status == XDS_ETOOBIG)
		str_fmt(in->err, sizeof in->err, "inline document %.100s "
		    "larger than %lld bytes", in->id, s->lim.max_attachment);
	else
		log_warnx("soap: inline document %s: %s", in->id, in->err);
	str_lcpy(err, in->err, errlen);
	return in->status;
}

/* Decoded bytes into the spool. */
static int
inl_out(void *arg, const unsigned char *p, size_t n)
{
	struct serve *s = arg;
	int rc;

	/* the document's own limit first: its fault names it */
	if ((rc = spool_write(s->inl.sp, p, n, s->inl.err,
	    sizeof s->inl.err)) != XDS_OK)
		return rc;
	if ((long long)n > s->lim.max_request - (long long)s->doc_bytes) {
		s->inl.over_total = 1;
		return XDS_ETOOBIG;
	}
	s->doc_bytes += (off_t)n;
	return XDS_OK;
}

/* Invalid base64: drop what was decoded, ignore the rest of the text. */
static void
inl_bad(struct serve *s, const char *why)
{
	log_debug("soap: inline document %s: %s", s->inl.id, why);
	spool_abort(s->inl.sp);
	s->inl.sp = NULL;
	s->inl.bad = 1;
}

static int
inl_begin(void *arg, xmlNode *el, char *err, size_t errlen)
{
	struct serve *s = arg;
	struct soap_inline *in = &s->inl;
	const char *id = xml_attr(el, "id");
	int rc;

	if (in->natt >= SOAP_INLINE_MAX) {
		in->status = XDS_ETOOBIG;
		str_fmt(in->err, sizeof in->err, "more than %d inline "
		    "documents", SOAP_INLINE_MAX);
		str_lcpy(err, in->err, errlen);
		return XDS_ETOOBIG;
	}
	in->n++;
	str_lcpy(in->id, id != NULL && id[0] != '\0' ? id : "(without id)",
	    sizeof in->id);
	memset(&in->dec, 0, sizeof in->dec);
	in->bad = 0;
	if ((rc = spool_open(&in->sp, s->lim.spool_dir,
	    (off_t)s->lim.max_attachment, in->err, sizeof in->err)) !=
	    XDS_OK)
		return inl_fail(s, rc, err, errlen);
	return 0;
}

static void
inl_cancel(void *arg)
{
	struct serve *s = arg;

	spool_abort(s->inl.sp);
	s->inl.sp = NULL;
}

static int
inl_text(void *arg, const char *p, size_t n, char *err, size_t errlen)
{
	struct serve *s = arg;
	char e[256];
	int rc;

	if (s->inl.bad)
		return 0;
	rc = b64dec_feed(&s->inl.dec, p, n, inl_out, s, e, sizeof e);
	if (rc == XDS_EFORMAT)
		inl_bad(s, e);
	else if (rc != XDS_OK)
		return inl_fail(s, rc, err, errlen);
	return 0;
}

static int
inl_end(void *arg, xmlNode *el, char *out, size_t outsz, char *err,
    size_t errlen)
{
	struct serve *s = arg;
	struct soap_inline *in = &s->inl;
	struct mtom_attachment *a;
	struct spool_result res;
	char e[256];
	int rc;

	(void)el;
	if (!in->bad) {
		rc = b64dec_final(&in->dec, inl_out, s, e, sizeof e);
		if (rc == XDS_EFORMAT)
			inl_bad(s, e);
		else if (rc != XDS_OK)
			return inl_fail(s, rc, err, errlen);
	}
	if (in->bad) {
		/* The actor's inline check finds this invalid too. */
		str_lcpy(out, "!", outsz);
		return XML_DIVERT_TEXT;
	}
	rc = spool_finish(in->sp, &res, in->err, sizeof in->err);
	in->sp = NULL;			/* freed whatever the result */
	if (rc != XDS_OK)
		return inl_fail(s, rc, err, errlen);
	if ((a = reallocarray(in->att, in->natt + 1, sizeof *a)) == NULL) {
		if (unlink(res.path) != 0)
			log_warn("soap: cannot remove %s", res.path);
		str_lcpy(in->err, "out of memory", sizeof in->err);
		return inl_fail(s, XDS_ENOMEM, err, errlen);
	}
	in->att = a;
	a = &in->att[in->natt++];
	memset(a, 0, sizeof *a);
	str_fmt(a->cid, sizeof a->cid, "inline-%u.%s@xdsnode.invalid", in->n,
	    in->tag);
	str_lcpy(a->content_type, "application/octet-stream",
	    sizeof a->content_type);
	str_lcpy(a->path, res.path, sizeof a->path);
	str_lcpy(a->sha1, res.sha1, sizeof a->sha1);
	str_lcpy(a->sha256, res.sha256, sizeof a->sha256);
	a->size = res.size;
	str_fmt(out, outsz, "cid:%s", a->cid);
	return XML_DIVERT_INCLUDE;
}

/* Root part bytes into the push parser (mtom_root_fn), or the body of
 * a simple SOAP request (soap_push_feed). */
static int
root_sink(void *arg, const void *data, size_t len, char *err, size_t errlen)
{
	struct serve *s = arg;
	struct xml_divert dv;
	struct xml_opts xo;
	int rc;

	if (s->push == NULL) {
		memset(&dv, 0, sizeof dv);
		dv.names = s->ep->inline_base64;
		dv.begin = inl_begin;
		dv.text = inl_text;
		dv.cancel = inl_cancel;
		dv.end = inl_end;
		dv.arg = s;
		if ((rc = xml_push_new(&s->push, s->lim.max_envelope, &dv,
		    s->xml_err, sizeof s->xml_err)) != XDS_OK)
			goto fail;
		/* A simple SOAP body's charset is the Content-Type's; an
		 * MTOM root part's is checked at its end. */
		xo.max_attrs = s->lim.max_attributes;
		xo.charset = s->pack == PACK_SIMPLE ? s->charset : NULL;
		xml_push_opts(s->push, &xo);
	}
	s->root_bytes += len;
	if ((rc = xml_push_feed(s->push, data, len, s->xml_err,
	    sizeof s->xml_err)) == XDS_OK)
		return 0;
fail:
	s->xml_status = rc;
	str_lcpy(err, s->xml_err, errlen);
	return rc;
}

int
soap_push_feed(struct serve *s, const void *data, size_t len)
{
	char err[256];

	return root_sink(s, data, len, err, sizeof err);
}

/* The fault for a failure of the push parser or of an inline document
 * (whose status the parser passed on). */
int
soap_push_fault(struct serve *s)
{
	int st = s->inl.status != 0 ? s->inl.status : s->xml_status;
	const char *what = s->pack == PACK_MTOM ? "MTOM request too large: " :
	    "";

	if (st == XDS_ETOOBIG && s->inl.status != 0)
		soap_fault_from_status(&s->f, st, "%s%s", what, s->inl.err);
	else if (st == XDS_ETOOBIG && strncmp(s->xml_err, "XML larger than",
	    15) != 0)		/* a bound of xmlscan.h */
		soap_fault_from_status(&s->f, st, "%s", s->xml_err);
	else if (st == XDS_ETOOBIG)	/* xml_push's max_xml */
		soap_fault_from_status(&s->f, st, "%sSOAP envelope larger "
		    "than %zu bytes%s", what, s->lim.max_envelope,
		    s->ep->inline_base64 != NULL &&
		    s->ep->inline_base64[0].name != NULL ?
		    " (inline documents not counted)" : "");
	else if (st == XDS_EFORMAT)	/* the same texts as soap_env_parse */
		soap_fault_from_status(&s->f, st, "%s", s->xml_err);
	else if (s->pack == PACK_MTOM)
		soap_fault_from_status(&s->f, st,
		    "MTOM request could not be stored");
	else
		soap_fault_from_status(&s->f, st, "SOAP request could not be "
		    "read: %s", s->inl.status != 0 ? s->inl.err : s->xml_err);
	return -1;
}

/* The root part's charset parameter, when it has one: the envelope's
 * (checked by its parse), or for a root part parsed while it arrived,
 * the encoding its bytes had. */
static int
root_charset(struct serve *s, const char *root_type)
{
	struct mime_ctype mc;
	char err[128];
	int cs;

	if (mime_content_type_parse(root_type, &mc, err, sizeof err) !=
	    XDS_OK || mc.charset[0] == '\0')
		return 0;
	str_lcpy(s->charset, mc.charset, sizeof s->charset);
	if (s->push == NULL)
		return 0;
	if ((cs = xmlscan_charset(mc.charset)) == 0) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
		    "charset %.40s is not accepted: SOAP messages are UTF-8 "
		    "or UTF-16", mc.charset);
		return -1;
	}
	if (xml_push_charset(s->push) != 0 && cs != xml_push_charset(s->push)) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
		    "the MTOM root part's charset is %.40s, but its bytes are "
		    "%s", mc.charset, cs == 8 ? "UTF-16" : "UTF-8");
		return -1;
	}
	return 0;
}

/* After the body: finish the parse, check that no part of the client
 * took a synthetic Content-ID, append the inline documents to s->att. */
int
soap_push_done(struct serve *s)
{
	struct mtom_attachment *a;
	char href[300];
	size_t i;
	int rc;

	if (s->push == NULL || s->root_bytes == 0) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL, "%s",
		    s->pack == PACK_MTOM ? "MTOM root part is empty" :
		    "empty request body");
		return -1;
	}
	if ((rc = xml_push_finish(s->push, &s->pushed, s->xml_err,
	    sizeof s->xml_err)) != XDS_OK) {
		s->xml_status = rc;
		return soap_push_fault(s);
	}
	for (i = 0; i < s->inl.natt; i++) {
		str_fmt(href, sizeof href, "cid:%s", s->inl.att[i].cid);
		if (mtom_find(s->att, s->natt, href) != NULL) {
			soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
			    "MIME part Content-ID %.200s is reserved for "
			    "inline documents", s->inl.att[i].cid);
			return -1;
		}
	}
	if (s->inl.natt == 0)
		return 0;
	if ((a = reallocarray(s->att, s->natt + s->inl.natt,
	    sizeof *a)) == NULL) {
		soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
		    "out of memory");
		return -1;
	}
	memcpy(a + s->natt, s->inl.att, s->inl.natt * sizeof *a);
	s->att = a;
	s->natt += s->inl.natt;
	free(s->inl.att);
	s->inl.att = NULL;
	s->inl.natt = 0;
	return 0;
}

int
soap_mtom_read(struct serve *s)
{
	struct mtom_limits ml;
	struct mtom_message msg;
	unsigned char r[8];
	char err[256];
	int rc, streamed;

	memset(&ml, 0, sizeof ml);
	ml.max_envelope = s->lim.max_envelope;
	ml.max_part = (off_t)s->lim.max_attachment;
	ml.max_total = (off_t)s->lim.max_request;
	ml.total = &s->doc_bytes;
	streamed = s->ep->inline_base64 != NULL &&
	    s->ep->inline_base64[0].name != NULL;
	if (streamed) {
		if (getentropy(r, sizeof r) != 0) {
			soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
			    "no random bytes for Content-IDs");
			return -1;
		}
		str_hex(r, sizeof r, s->inl.tag);
	}
	rc = mtom_read_sink(s->content_type, mtom_rd, s, s->lim.spool_dir,
	    &ml, streamed ? root_sink : NULL, s, &msg, err, sizeof err);
	if (rc != XDS_OK && (s->xml_status != 0 || s->inl.status != 0))
		return soap_push_fault(s);
	if (rc != XDS_OK) {
		if (s->io_status == XDS_ETOOBIG)
			soap_fault_from_status(&s->f, s->io_status,
			    "MTOM request too large: body over the limit");
		else if (rc == XDS_ETOOBIG)
			soap_fault_from_status(&s->f, rc,
			    "MTOM request too large: %s", err);
		else if (s->io_status != 0)
			s->eio = 1;
		else if (rc == XDS_EFORMAT)
			soap_fault_from_status(&s->f, rc,
			    "malformed MTOM/XOP request: %s", err);
		else {
			log_warnx("soap: MTOM request: %s", err);
			soap_fault_from_status(&s->f, rc,
			    "MTOM request could not be stored");
		}
		return -1;
	}
	/* Hand over: envelope bytes and spooled parts now belong to s. */
	buf_free(&s->in);
	s->in = msg.root;
	buf_init(&msg.root, 0);
	s->att = msg.att;
	s->natt = msg.natt;
	msg.att = NULL;
	msg.natt = 0;
	if (!root_type_ok(msg.root_type)) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
		    "MTOM root part is %.100s, not " CT_XOP, msg.root_type);
		mtom_message_free(&msg);
		return -1;
	}
	if (root_charset(s, msg.root_type) != 0) {
		mtom_message_free(&msg);
		return -1;
	}
	mtom_message_free(&msg);
	if (streamed)
		return soap_push_done(s);
	if (s->in.b_len == 0) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
		    "MTOM root part is empty");
		return -1;
	}
	return 0;
}

/* Every xop:Include must name a received part (walk without recursion). */
int
soap_mtom_resolve(struct serve *s)
{
	xmlNode *n = s->env.body, *top = s->env.body;
	const char *href;

	while (n != NULL) {
		if (xml_is(n, NS_XOP, "Include")) {
			href = xml_attr(n, "href");
			if (href == NULL || mtom_find(s->att, s->natt,
			    href) == NULL) {
				soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL,
				    NULL, "xop:Include href %.200s names no "
				    "MIME part of the request",
				    href != NULL ? href : "(missing)");
				return -1;
			}
		}
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != top && n->next == NULL)
			n = n->parent;
		n = n == top ? NULL : n->next;
	}
	return 0;
}

int
soap_mtom_send(struct serve *s, const struct buf *env)
{
	struct mtom_writer w;
	struct soap_io *io = s->io;
	long long len;
	char err[256];

	if (mtom_writer_init(&w, s->route->response_action, err,
	    sizeof err) != XDS_OK ||
	    mtom_length(&w, env, s->reply.att, s->reply.natt, &len, err,
	    sizeof err) != XDS_OK) {
		log_warnx("soap: %s MTOM response: %s", s->route->txn, err);
		soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
		    "%s: the MTOM response could not be built",
		    s->route->txn);
		return send_fault(s);
	}
	s->x->http_status = 200;
	if (io->respond_begin(io->ctx, 200, w.content_type, len) != 0)
		return XDS_EIO;
	if (mtom_write(&w, env, s->reply.att, s->reply.natt, io->write,
	    io->ctx, err, sizeof err) != XDS_OK) {
		log_warnx("soap: %s MTOM response: %s", s->route->txn, err);
		xact_fail(s->x, XACT_FAULT, "MTOM response write failed");
		return XDS_EIO;
	}
	return io->end(io->ctx) != 0 ? XDS_EIO : XDS_OK;
}

void
soap_mtom_free(struct serve *s)
{
	mtom_attachments_free(s->att, s->natt);
	s->att = NULL;
	s->natt = 0;
	mtom_attachments_free(s->inl.att, s->inl.natt);
	s->inl.att = NULL;
	s->inl.natt = 0;
	spool_abort(s->inl.sp);
	s->inl.sp = NULL;
	xml_push_free(s->push);
	s->push = NULL;
	xmlFreeDoc(s->pushed);
	s->pushed = NULL;
}
