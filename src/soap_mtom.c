/*
 * soap_mtom.c: the MTOM/XOP side of soap_serve(), over mtom.h.
 *
 * Request: the multipart body is read through the transport; the root
 * part becomes the envelope bytes, every other part a spooled, hashed
 * file handed to the actor as a soap_attachment.  Every xop:Include in
 * the envelope must name one of those parts.  Response: the envelope and
 * the reply's attachment files, streamed as multipart/related with an
 * exact Content-Length.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "mtom.h"
#include "soap_int.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

/* Transport read that remembers why it failed. */
static ssize_t
mtom_rd(void *arg, void *p, size_t len)
{
	struct serve *s = arg;
	ssize_t n;

	n = s->io->read(s->io->ctx, p, len);
	if (n < 0 && s->io_status == 0)
		s->io_status = n == SOAP_IO_TOOBIG ? SOAP_IO_TOOBIG : -1;
	return n;
}

/* Root part type: application/xop+xml (MTOM); plain SOAP 1.2 tolerated. */
static int
root_type_ok(const char *t)
{
	return str_ncaseeq(t, CT_XOP, strlen(CT_XOP)) ||
	    str_ncaseeq(t, CT_SOAP12, strlen(CT_SOAP12));
}

int
soap_mtom_read(struct serve *s)
{
	struct mtom_limits ml;
	struct mtom_message msg;
	char err[256];
	int rc;

	memset(&ml, 0, sizeof ml);
	ml.max_envelope = s->lim.max_envelope;
	ml.max_part = (off_t)s->lim.max_attachment;
	rc = mtom_read(s->content_type, mtom_rd, s, s->lim.spool_dir, &ml,
	    &msg, err, sizeof err);
	if (rc != MTOM_OK) {
		if (s->io_status == SOAP_IO_TOOBIG || rc == MTOM_ETOOBIG) {
			soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
			    "MTOM request too large: %s", s->io_status ==
			    SOAP_IO_TOOBIG ? "body over the limit" : err);
			s->f.http_status = 413;
		} else if (s->io_status != 0)
			s->eio = 1;
		else if (rc == MTOM_EFORMAT)
			soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
			    "malformed MTOM/XOP request: %s", err);
		else {
			log_warnx("soap: MTOM request: %s", err);
			soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
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
	mtom_message_free(&msg);
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
	    sizeof err) != MTOM_OK ||
	    mtom_length(&w, env, s->reply.att, s->reply.natt, &len, err,
	    sizeof err) != MTOM_OK) {
		log_warnx("soap: %s MTOM response: %s", s->route->txn, err);
		soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
		    "%s: the MTOM response could not be built",
		    s->route->txn);
		return send_fault(s);
	}
	s->x->http_status = 200;
	if (io->respond_begin(io->ctx, 200, w.content_type, len) != 0)
		return SOAP_EIO;
	if (mtom_write(&w, env, s->reply.att, s->reply.natt, io->write,
	    io->ctx, err, sizeof err) != MTOM_OK) {
		log_warnx("soap: %s MTOM response: %s", s->route->txn, err);
		xact_fail(s->x, XACT_FAULT, "MTOM response write failed");
		return SOAP_EIO;
	}
	return io->end(io->ctx) != 0 ? SOAP_EIO : SOAP_SERVED;
}

void
soap_mtom_free(struct serve *s)
{
	mtom_attachments_free(s->att, s->natt);
	s->att = NULL;
	s->natt = 0;
}
