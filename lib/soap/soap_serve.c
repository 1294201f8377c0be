/*
 * soap_serve.c: one SOAP exchange, independent of the transport.
 *
 *   Content-Type -> packaging -> body (bounded) -> envelope -> route by
 *   wsa:Action -> packaging and body element checks -> handler -> reply
 *   in the request's packaging, or a SOAP fault.
 *
 * Every path ends in one cleanup block that frees the document and the
 * buffers and removes spooled request attachments.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <unistd.h>

#include "log.h"
#include "mime.h"
#include "soap.h"
#include "soap_int.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define DEF_MAX_ENVELOPE	(16UL * 1024 * 1024)
#define DEF_MAX_ATTACHMENT	(1024LL * 1024 * 1024)
#define DEF_MAX_RESPONSE	(64UL * 1024 * 1024)
#define ENVELOPE_OVERHEAD	4096	/* our header around a reply body */
#define FAULT_MAX		(16 * 1024)
#define SOAP_TRIM_AFTER		((size_t)1024 * 1024)
#define CT_SOAP12_FULL		CT_SOAP12 "; charset=UTF-8"

const struct soap_route *
soap_route_find(const struct soap_endpoint *ep, const char *action)
{
	size_t i;

	for (i = 0; i < ep->nroutes; i++)
		if (strcmp(ep->routes[i].action, action) == 0)
			return &ep->routes[i];
	return NULL;
}

static const char *
pack_name(unsigned packs)
{
	if (packs == PACK_MTOM)
		return "MTOM/XOP (multipart/related)";
	if (packs == PACK_SIMPLE)
		return "simple SOAP (application/soap+xml)";
	return "simple SOAP or MTOM/XOP";
}

static int
classify(struct serve *s, const char *ct)
{
	struct mime_ctype mc;
	char err[128];

	if (ct == NULL || ct[0] == '\0') {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
		    "Content-Type is missing: send " CT_SOAP12 " (SOAP 1.2) "
		    "or " CT_MULTIPART_RELATED " (MTOM/XOP)");
		s->f.http_status = 415;
		return -1;
	}
	if (mime_content_type_parse(ct, &mc, err, sizeof err) != XDS_OK) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
		    "malformed Content-Type: %s", err);
		s->f.http_status = 415;
		return -1;
	}
	str_lcpy(s->ct_action, mc.action, sizeof s->ct_action);
	if (strcmp(mc.type, "application") == 0 &&
	    strcmp(mc.subtype, "soap+xml") == 0) {
		s->pack = PACK_SIMPLE;
		str_lcpy(s->charset, mc.charset, sizeof s->charset);
		return 0;
	}
	if (strcmp(mc.type, "multipart") == 0 &&
	    strcmp(mc.subtype, "related") == 0) {
		s->pack = PACK_MTOM;
		return 0;
	}
	if (strcmp(mc.type, "text") == 0 && strcmp(mc.subtype, "xml") == 0) {
		s->soap11 = 1;
		soap_fault_set(&s->f, SOAP_FAULT_VERSION_MISMATCH, NULL, NULL,
		    "SOAP 1.1 (text/xml) is not supported: send SOAP 1.2 ("
		    CT_SOAP12 ")");
		return -1;
	}
	soap_fault_set(&s->f, SOAP_FAULT_SENDER, NULL, NULL,
	    "Content-Type %s/%s is not SOAP 1.2: send " CT_SOAP12
	    " or " CT_MULTIPART_RELATED " (MTOM/XOP)", mc.type, mc.subtype);
	s->f.http_status = 415;
	return -1;
}

/*
 * Simple SOAP: the whole body is the envelope, capped at max_envelope,
 * parsed as it arrives (never held whole: the envelope's bytes would
 * double its peak); inline documents count against max_request.
 */
static int
read_simple(struct serve *s)
{
	char chunk[16384];
	long long total = 0;
	ssize_t n;
	int failed = 0;

	for (;;) {
		n = s->io->read(s->io->ctx, chunk, sizeof chunk);
		if (n == 0)
			break;
		if (n == XDS_ETOOBIG)
			goto toobig;
		if (n < 0) {
			s->eio = 1;
			return -1;
		}
		/* the envelope, and the base64 of inline documents (which
		 * are counted decoded) with room for its line breaks */
		if ((total += n) > (long long)s->lim.max_envelope +
		    2 * s->lim.max_request) {
			soap_fault_from_status(&s->f, XDS_ETOOBIG, "SOAP request "
			    "larger than %lld bytes", (long long)
			    s->lim.max_envelope + 2 * s->lim.max_request);
			return -1;
		}
		/* after a failure the rest is read, not parsed: the client
		 * gets its fault, not a reset while it still sends */
		if (!failed && soap_push_feed(s, chunk, (size_t)n) != 0)
			failed = 1;
	}
	if (failed)
		return soap_push_fault(s);
	return soap_push_done(s);
toobig:
	soap_fault_from_status(&s->f, XDS_ETOOBIG,
	    "SOAP envelope larger than %zu bytes", s->lim.max_envelope);
	return -1;
}

/* Route, packaging and body element checks. */
static int
dispatch(struct serve *s)
{
	const struct soap_route *r;

	if (s->ct_action[0] != '\0' &&
	    strcmp(s->ct_action, s->env.action) != 0) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER,
		    "InvalidAddressingHeader", "ActionMismatch",
		    "Content-Type action %s differs from wsa:Action %s",
		    s->ct_action, s->env.action);
		return -1;
	}
	if ((r = soap_route_find(s->ep, s->env.action)) == NULL) {
		soap_fault_set(&s->f, SOAP_FAULT_SENDER, "ActionNotSupported",
		    NULL, "unknown action %s at %s", s->env.action,
		    s->ep->path);
		str_lcpy(s->f.problem_action, s->env.action,
		    sizeof s->f.problem_action);
		return -1;
	}
	s->route = r;
	str_lcpy(s->x->txn, r->txn, sizeof s->x->txn);
	if (s->env.security_mu && !s->ep->wsse_security) {
		soap_fault_set(&s->f, SOAP_FAULT_MUST_UNDERSTAND, NULL, NULL,
		    "header block {%s}Security is not understood", NS_WSSE);
		str_lcpy(s->f.nu_ns, NS_WSSE, sizeof s->f.nu_ns);
		str_lcpy(s->f.nu_name, "Security", sizeof s->f.nu_name);
		return -1;
	}
	return soap_route_check(r, s->pack, s->env.body, &s->f);
}

int
soap_route_check(const struct soap_route *r, enum soap_pack pack,
    const xmlNode *b, struct soap_fault *f)
{
	const char *bns;

	if ((r->packs & pack) == 0) {
		soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
		    "%s (%s) requires %s; the request was %s", r->txn,
		    r->action, pack_name(r->packs), pack_name(pack));
		return -1;
	}
	if (r->body_name != NULL && !xml_is(b, r->body_ns, r->body_name)) {
		bns = b->ns != NULL ? (const char *)b->ns->href : "";
		soap_fault_set(f, SOAP_FAULT_SENDER, NULL, NULL,
		    "%s expects {%s}%s in soap:Body, not {%s}%s", r->txn,
		    r->body_ns != NULL ? r->body_ns : "", r->body_name, bns,
		    (const char *)b->name);
		return -1;
	}
	return 0;
}

static int
call_handler(struct serve *s)
{
	struct soap_request req;
	const struct soap_route *r = s->route;
	int rc;

	memset(&req, 0, sizeof req);
	req.doc = s->env.doc;
	req.body = s->env.body;
	if (s->ep->wsse_security)
		req.security = s->env.security;
	req.pack = s->pack;
	req.att = s->att;
	req.natt = s->natt;
	if ((rc = r->fn(s->ep->actor, s->x, &req, &s->reply)) != XDS_OK) {
		soap_fault_from_status(&s->f, rc, "%s",
		    s->x->reason[0] != '\0' ? s->x->reason :
		    "the request could not be processed");
		return -1;
	}
	if (s->reply.body.b_len == 0) {
		log_warnx("soap: %s handler returned an empty body", r->txn);
		soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
		    "%s: no response was produced", r->txn);
		return -1;
	}
	if (s->reply.natt > 0 && s->pack != PACK_MTOM) {
		log_warnx("soap: %s handler returned attachments for a "
		    "simple SOAP request", r->txn);
		soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
		    "%s: the response needs MTOM but the request was simple "
		    "SOAP", r->txn);
		return -1;
	}
	return 0;
}

/*
 * After a large envelope (its bytes, its DOM of several times that, the
 * handler's objects) the freed heap stays with the process: glibc keeps
 * it in the arena for the next request, and there are several arenas.
 * Handing the free pages back costs a walk of the arenas under their
 * locks and the page faults of the next large request, so it is done by
 * the last of the requests that held SOAP_TRIM_AFTER bytes or more to
 * end, once its answer has left: a burst of large requests reuses the
 * heap, and the node gives it back when the burst is over.
 */
static atomic_uint large_inflight;

static void
large_begin(struct serve *s)
{
	if (s->mem_bytes >= SOAP_TRIM_AFTER && !s->large) {
		s->large = 1;
		atomic_fetch_add(&large_inflight, 1);
	}
}

static void
large_end(struct serve *s)
{
	if (s->large && atomic_fetch_sub(&large_inflight, 1) == 1) {
#if defined(__GLIBC__)
		(void)malloc_trim(0);
#endif
	}
}

static int
send_buf(struct serve *s, int status, const char *ct, const struct buf *b)
{
	struct soap_io *io = s->io;

	s->x->http_status = status;
	if (io->respond_begin(io->ctx, status, ct, (long long)b->b_len) != 0 ||
	    (b->b_len > 0 && io->write(io->ctx, b->b_data, b->b_len) != 0) ||
	    io->end(io->ctx) != 0)
		return XDS_EIO;
	return XDS_OK;
}

static int
send_reply(struct serve *s)
{
	struct buf out;
	char ct[SOAP_ACTION_MAX + 64];
	int rc;

	buf_init(&out, s->lim.max_response + ENVELOPE_OVERHEAD);
	if (soap_write_response(&out, s->route->response_action,
	    s->env.message_id, s->reply.body.b_data, s->reply.body.b_len) !=
	    XDS_OK) {
		buf_free(&out);
		soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
		    "%s: response too large", s->route->txn);
		return send_fault(s);
	}
	buf_free(&s->reply.body);	/* the envelope holds a copy */
	if (out.b_len > s->mem_bytes)
		s->mem_bytes = out.b_len;
	large_begin(s);
	if (s->pack == PACK_MTOM)
		rc = soap_mtom_send(s, &out);
	else {
		if (str_fmt(ct, sizeof ct, CT_SOAP12_FULL "; action=\"%s\"",
		    s->route->response_action) < 0)
			str_lcpy(ct, CT_SOAP12_FULL, sizeof ct);
		rc = send_buf(s, 200, ct, &out);
	}
	buf_free(&out);
	return rc;
}

int
send_fault(struct serve *s)
{
	struct buf out;
	int status, rc;

	status = s->soap11 ? 500 : soap_fault_status(&s->f);
	xact_fail(s->x, XACT_FAULT, s->f.reason);
	log_debug("soap: fault %d at %s: %s", status, s->ep->path,
	    s->f.reason);
	buf_init(&out, FAULT_MAX);
	if (s->soap11)
		rc = soap_write_fault11(&out, s->f.reason);
	else
		rc = soap_write_fault(&out, &s->f, s->env.message_id);
	if (rc != XDS_OK) {
		s->x->http_status = status;
		rc = XDS_EIO;
	} else
		rc = send_buf(s, status, s->soap11 ? "text/xml; charset=UTF-8" :
		    CT_SOAP12_FULL "; action=\"" ACT_SOAP_FAULT "\"", &out);
	buf_free(&out);
	return rc;
}

static void
serve_free(struct serve *s)
{
	size_t i;

	soap_env_free(&s->env);
	buf_free(&s->in);
	buf_free(&s->reply.body);
	/* The files are the actor's, except those it made for this answer. */
	for (i = 0; i < s->reply.natt; i++)
		if (s->reply.att[i].unlink_after && s->reply.att[i].path[0] &&
		    unlink(s->reply.att[i].path) != 0)
			log_warn("soap: cannot remove %s", s->reply.att[i].path);
	free(s->reply.att);
	s->reply.att = NULL;
	s->reply.natt = 0;
	soap_mtom_free(s);	/* request spool files */
}

int
soap_serve(const struct soap_endpoint *ep, const char *content_type,
    struct soap_io *io, const struct soap_limits *lim, struct xact *x)
{
	struct serve s;
	struct xml_opts xo;
	int rc, r;

	memset(&s, 0, sizeof s);
	s.ep = ep;
	s.io = io;
	s.x = x;
	s.content_type = content_type;
	if (lim != NULL)
		s.lim = *lim;
	if (s.lim.max_envelope == 0)
		s.lim.max_envelope = DEF_MAX_ENVELOPE;
	if (s.lim.max_attachment <= 0)
		s.lim.max_attachment = DEF_MAX_ATTACHMENT;
	if (s.lim.spool_dir == NULL)
		s.lim.spool_dir = "/tmp";
	if (s.lim.max_response == 0)
		s.lim.max_response = DEF_MAX_RESPONSE;
	if (s.lim.max_request <= 0)
		s.lim.max_request = s.lim.max_attachment;
	buf_init(&s.in, s.lim.max_envelope);
	buf_init(&s.reply.body, s.lim.max_response);

	if (classify(&s, content_type) != 0)
		goto fault;
	r = s.pack == PACK_MTOM ? soap_mtom_read(&s) : read_simple(&s);
	s.mem_bytes = s.in.b_cap > s.root_bytes ? s.in.b_cap : s.root_bytes;
	large_begin(&s);
	if (r != 0) {
		if (s.eio) {
			xact_fail(x, XACT_FAULT, "error reading the request");
			x->http_status = 400;
			rc = XDS_EIO;
			goto done;
		}
		goto fault;
	}
	if (s.pushed != NULL) {		/* parsed while it arrived */
		r = soap_env_from_doc(s.pushed, &s.env, &s.f);
		s.pushed = NULL;
	} else {
		xo.max_attrs = s.lim.max_attributes;
		xo.charset = s.charset;
		r = soap_env_parse_opts(s.in.b_data, s.in.b_len, &xo, &s.env,
		    &s.f);
	}
	str_lcpy(x->action, s.env.action, sizeof x->action);
	str_lcpy(x->message_id, s.env.message_id, sizeof x->message_id);
	if (r != 0)
		goto fault;
	buf_free(&s.in);
	if (s.pack == PACK_MTOM && soap_mtom_resolve(&s) != 0)
		goto fault;
	if (dispatch(&s) != 0 || call_handler(&s) != 0)
		goto fault;
	rc = send_reply(&s);
	goto done;
fault:
	rc = send_fault(&s);
done:
	serve_free(&s);
	large_end(&s);
	return rc;
}
