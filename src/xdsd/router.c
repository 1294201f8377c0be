#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "actor.h"
#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "nodestatus.h"
#include "router.h"
#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"

struct router {
	const struct conf		*conf;
	const struct soap_endpoint	*eps[ROUTER_MAX_ENDPOINTS];
	size_t				 neps;
	char				 spool[CONF_STR_MAX + 16];
	atomic_int			 ready;
	router_notify_fn		 notify;
	void				*notify_arg;
};

struct router_io {
	struct http_conn	*conn;
	struct xact		*x;
};

/* Requests refused because the access log could not take their record. */
static atomic_ullong refused_unaudited;

struct router *
router_new(const struct conf *conf, char *err, size_t errlen)
{
	struct router *rt;

	if ((rt = calloc(1, sizeof *rt)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	rt->conf = conf;
	if (str_fmt(rt->spool, sizeof rt->spool, "%s/spool",
	    conf->node_state_dir) < 0 ||
	    (mkdir(rt->spool, 0700) != 0 && errno != EEXIST)) {
		str_fmt(err, errlen, "%s/spool: cannot create", conf->node_state_dir);
		free(rt);
		return NULL;
	}
	return rt;
}

int
router_mount(struct router *rt, const struct soap_endpoint *ep)
{
	if (ep == NULL || rt->neps == ROUTER_MAX_ENDPOINTS)
		return -1;
	rt->eps[rt->neps++] = ep;
	return 0;
}

void
router_set_notify(struct router *rt, router_notify_fn fn, void *arg)
{
	rt->notify = fn;
	rt->notify_arg = arg;
}

void
router_set_ready(struct router *rt, int ready)
{
	atomic_store(&rt->ready, ready);
}

void
router_free(struct router *rt)
{
	free(rt);
}

static ssize_t
rio_read(void *ctx, void *p, size_t n)
{
	struct router_io *io = ctx;

	return http_body_read(io->conn, p, n);
}

/*
 * The access log fails closed: a request whose record cannot be written
 * is answered 503 with a SOAP Receiver fault that says why, and nothing
 * it asked for leaves the node.  The refusal is then its one record (if
 * even that cannot be written, the error log says so).
 */
static void
refuse_unaudited(struct http_conn *c, struct xact *x, const char *why)
{
	struct soap_fault f;
	struct buf b;

	atomic_fetch_add(&refused_unaudited, 1);
	memset(&f, 0, sizeof f);
	soap_fault_set(&f, SOAP_FAULT_RECEIVER, NULL, NULL,
	    "refused: the access log cannot take records (%s); nothing was "
	    "released, try again later", why);
	f.http_status = 503;
	if (xact_end_refused(x, 503, "access log unavailable") != 0)
		log_error("audit: the refusal of a %s request at %s could not "
		    "be recorded either", x->txn, x->endpoint);
	buf_init(&b, 16384);
	http_close_after(c);
	if (soap_write_fault(&b, &f, x->message_id) != XDS_OK)
		(void)http_respond(c, 503, "text/plain", "access log "
		    "unavailable\n", 23);
	else if (http_respond_begin(c, 503, CT_SOAP12 "; charset=UTF-8; "
	    "action=\"" ACT_SOAP_FAULT "\"", (long long)b.b_len,
	    "Retry-After: 30\r\n") == 0 &&
	    http_respond_write(c, b.b_data, b.b_len) == 0)
		(void)http_respond_end(c);
	buf_free(&b);
}

/* The audit record is written before the status line leaves the node. */
static int
rio_begin(void *ctx, int status, const char *ctype, long long len)
{
	struct router_io *io = ctx;

	io->x->http_status = status;
	if (xact_end(io->x) != 0) {
		refuse_unaudited(io->conn, io->x,
		    "the record of this request could not be written");
		return XDS_EIO;
	}
	return http_respond_begin(io->conn, status, ctype, len, NULL);
}

static int
rio_write(void *ctx, const void *p, size_t n)
{
	struct router_io *io = ctx;

	return http_respond_write(io->conn, p, n);
}

static int
rio_end(void *ctx)
{
	struct router_io *io = ctx;

	return http_respond_end(io->conn);
}

/* A plain-text answer, audited first. */
static void
answer(struct http_conn *c, struct xact *x, int status, const char *ctype,
    const char *body, size_t len)
{
	x->http_status = status;
	if (status >= 400 && x->outcome < XACT_FAULT)
		xact_fail(x, XACT_FAULT, http_reason(status));
	/* These answers hold nothing of a patient: they leave even when
	 * their record could not be written (xact_done logged it), so
	 * that /metrics shows a failing access log. */
	(void)xact_end(x);
	http_respond(c, status, ctype, body, len);
}


/* A short plain-text answer (health, errors). */
static void
answer_text(struct http_conn *c, struct xact *x, int status, const char *text)
{
	answer(c, x, status, "text/plain", text, strlen(text));
}

/* GET /health: 200 only when the access log takes records, this one's
 * included. */
static void
answer_health(struct http_conn *c, struct xact *x)
{
	char why[256];

	str_lcpy(x->txn, "HEALTH", sizeof x->txn);
	if (!audit_ready(why, sizeof why)) {
		str_lcat(why, "\n", sizeof why);
		answer_text(c, x, 503, why);
		return;
	}
	x->http_status = 200;
	if (xact_end(x) != 0) {
		(void)xact_end_refused(x, 503, "access log unavailable");
		http_respond(c, 503, "text/plain",
		    "the access log cannot take records\n", 35);
		return;
	}
	http_respond(c, 200, "text/plain", "ok\n", 3);
}

static const struct soap_endpoint *
find_endpoint(const struct router *rt, const char *path)
{
	size_t i;

	for (i = 0; i < rt->neps; i++)
		if (strcmp(rt->eps[i]->path, path) == 0)
			return rt->eps[i];
	return NULL;
}

/* Routes that take MTOM only are those whose messages carry documents
 * (ITI-41, ITI-43, RAD-69 and the gateways' retrieves); a route that
 * takes either packaging carries none (PACK_EITHER, actor.h). */
static int
endpoint_takes_documents(const struct soap_endpoint *ep)
{
	size_t i;

	for (i = 0; i < ep->nroutes; i++)
		if (ep->routes[i].packs == PACK_MTOM)
			return 1;
	return 0;
}

static void
serve_wsdl(struct router *rt, struct http_conn *c,
    const struct http_request *req, const struct soap_endpoint *ep,
    struct xact *x)
{
	const char *host = http_header(req, "Host");
	char url[1024];
	struct buf b;

	str_lcpy(x->txn, "WSDL", sizeof x->txn);
	if (host == NULL || str_fmt(url, sizeof url, "%s://%s%s",
	    rt->conf->http_tls ? "https" : "http", host, ep->path) < 0)
		str_fmt(url, sizeof url, "%s", ep->path);
	buf_init(&b, 1024 * 1024);
	if (soap_wsdl(ep, url, &b) != XDS_OK) {
		buf_free(&b);
		answer_text(c, x, 500, "WSDL too large\n");
		return;
	}
	answer(c, x, 200, "text/xml; charset=UTF-8", b.b_data, b.b_len);
	buf_free(&b);
}

/* GET <endpoint>?xsd=NAME: a message schema the WSDL imports. */
static void
serve_xsd(struct http_conn *c, const struct soap_endpoint *ep,
    const char *name, struct xact *x)
{
	const struct soap_schema *sc;
	struct buf b;

	str_lcpy(x->txn, "WSDL", sizeof x->txn);
	if ((sc = soap_schema_find(name)) == NULL) {
		answer_text(c, x, 404, "no such schema\n");
		return;
	}
	buf_init(&b, 1024 * 1024);
	if (soap_schema_write(sc, ep->path, &b) != XDS_OK)
		answer_text(c, x, 500, "schema too large\n");
	else
		answer(c, x, 200, "text/xml; charset=UTF-8", buf_str(&b),
		    b.b_len);
	buf_free(&b);
}

static void
serve_soap(struct router *rt, struct http_conn *c,
    const struct http_request *req, const struct soap_endpoint *ep,
    struct xact *x)
{
	struct router_io rio = { c, x };
	struct soap_io io = { rio_read, rio_begin, rio_write, rio_end, &rio };
	struct soap_limits lim;
	int st;

	memset(&lim, 0, sizeof lim);
	lim.max_envelope = (size_t)rt->conf->soap_max_envelope;
	lim.max_attributes = (unsigned long)rt->conf->soap_max_attributes;
	lim.spool_dir = rt->spool;
	/* The parts of an inbound MTOM request are submitted documents:
	 * past repository.max_document_size the MTOM layer answers 413
	 * before anything is stored.  (A limit field in struct
	 * soap_endpoint would break its positional initialisers.) */
	lim.max_attachment = rt->conf->repository_max_document_size;
	lim.max_request = rt->conf->soap_max_request_bytes;
	/* Endpoints whose messages carry no documents never need more
	 * than the envelope, whatever the packaging; those with documents
	 * bound each part in the MIME layer. */
	if (!endpoint_takes_documents(ep))
		http_set_body_limit(c, rt->conf->soap_max_envelope);
	if (soap_serve(ep, http_header(req, "Content-Type"), &io, &lim, x) !=
	    XDS_OK)
		http_close_after(c);
	if (!x->ended) {
		/* soap_serve could not even start a response: the client's
		 * body failed (bad framing 400, too slow 408), or we did. */
		st = http_body_status(c);
		answer_text(c, x, st != 0 ? st : 500,
		    st != 0 ? "request body refused\n" : "internal error\n");
	}
}

/* Whether the Content-Type is FHIR JSON (or plain JSON). */
static int
json_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, "; \t");
	return (n == strlen(CT_FHIR_JSON) && strncasecmp(ct, CT_FHIR_JSON,
	    n) == 0) || (n == strlen("application/json") &&
	    strncasecmp(ct, "application/json", n) == 0);
}

/* POST /mitz/notify: the body, bounded, to the notification handler. */
static void
serve_notify(struct router *rt, struct http_conn *c,
    const struct http_request *req, struct xact *x)
{
	struct buf b;
	char chunk[16384], why[256];
	ssize_t n;
	int st;

	str_lcpy(x->txn, TXN_MITZ_NOTIFY, sizeof x->txn);
	if (strcmp(req->method, "POST") != 0) {
		answer_text(c, x, 405, "POST a FHIR notification\n");
		return;
	}
	if (!audit_ready(why, sizeof why)) {
		log_warnx("audit: refusing a request at %s: %s", req->path, why);
		http_close_after(c);
		answer_text(c, x, 503, "the access log cannot take records\n");
		return;
	}
	if (rt->conf->consent_notify_from[0] != '\0' &&
	    (req->peer_subject == NULL || strcmp(req->peer_subject,
	    rt->conf->consent_notify_from) != 0)) {
		xact_fail(x, XACT_FAULT, "not Mitz's certificate "
		    "(consent.notify_from)");
		http_close_after(c);
		answer_text(c, x, 403, "only Mitz posts notifications here\n");
		return;
	}
	if (!json_type(http_header(req, "Content-Type"))) {
		http_close_after(c);
		answer_text(c, x, 415, "send " CT_FHIR_JSON "\n");
		return;
	}
	http_set_body_limit(c, ROUTER_NOTIFY_MAX);
	buf_init(&b, ROUTER_NOTIFY_MAX);
	while ((n = http_body_read(c, chunk, sizeof chunk)) > 0)
		if (buf_add(&b, chunk, (size_t)n) != XDS_OK) {
			n = XDS_ETOOBIG;
			break;
		}
	if (n < 0) {
		st = http_body_status(c);
		http_close_after(c);
		if (n == XDS_ETOOBIG)
			answer_text(c, x, 413, "a notification is at most "
			    "1 MiB\n");
		else
			answer_text(c, x, st != 0 ? st : 400,
			    "request body refused\n");
	} else if (rt->notify(rt->notify_arg, buf_str(&b), b.b_len, x, why,
	    sizeof why) != XDS_OK) {
		xact_fail(x, XACT_FAULT, why);
		str_lcat(why, "\n", sizeof why);
		answer_text(c, x, 400, why);
	} else
		answer(c, x, 204, NULL, "", 0);
	buf_free(&b);
}

void
router_refused(void *arg, const char *peer_addr, const char *peer_subject,
    int status, const char *reason)
{
	struct router *rt = arg;
	struct xact x;

	xact_begin(&x, rt->conf, "", peer_subject, peer_addr);
	x.http_status = status;
	xact_fail(&x, XACT_FAULT, reason != NULL ? reason :
	    http_reason(status));
	if (xact_end(&x) != 0)
		log_error("audit: a refused request (%d) could not be "
		    "recorded", status);
}

size_t
router_paths(const struct router *rt, const char **out, size_t max)
{
	size_t i;

	for (i = 0; i < rt->neps && i < max; i++)
		out[i] = rt->eps[i]->path;
	return i;
}

unsigned long long
router_refused_unaudited(void)
{
	return atomic_load(&refused_unaudited);
}

void
router_handle(struct http_conn *c, const struct http_request *req, void *arg)
{
	struct router *rt = arg;
	const struct soap_endpoint *ep;
	struct xact x;
	struct buf b;
	char why[256];

	xact_begin(&x, rt->conf, req->path, req->peer_subject, req->peer_addr);
	if (req->peer_name != NULL)
		str_lcpy(x.peer_uzi, req->peer_name, sizeof x.peer_uzi);
	if (strcmp(req->path, "/health") == 0) {
		str_lcpy(x.txn, "HEALTH", sizeof x.txn);
		if (!atomic_load(&rt->ready))
			answer_text(c, &x, 503, "starting\n");
		else
			answer_health(c, &x);
		return;
	}
	if (strcmp(req->path, "/metrics") == 0) {
		str_lcpy(x.txn, "METRICS", sizeof x.txn);
		buf_init(&b, 4 * 1024 * 1024);
		if (metrics_write(&b) != 0)
			answer_text(c, &x, 500, "metrics too large\n");
		else
			answer(c, &x, 200, "text/plain; version=0.0.4",
			    buf_str(&b), b.b_len);
		buf_free(&b);
		return;
	}
	if (strcmp(req->path, "/status") == 0 ||
	    strcmp(req->path, "/status.json") == 0) {
		int json = req->path[7] == '.';

		str_lcpy(x.txn, "STATUS", sizeof x.txn);
		buf_init(&b, 1024 * 1024);
		if ((json ? status_json(&b) : status_html(&b)) != 0)
			answer_text(c, &x, 500, "status too large\n");
		else
			answer(c, &x, 200, json ? "application/json" :
			    "text/html; charset=utf-8", buf_str(&b), b.b_len);
		buf_free(&b);
		return;
	}
	if (rt->notify != NULL && strcmp(req->path, ROUTER_NOTIFY_PATH) == 0) {
		serve_notify(rt, c, req, &x);
		return;
	}
	if ((ep = find_endpoint(rt, req->path)) == NULL) {
		answer_text(c, &x, 404, "no such endpoint\n");
		return;
	}
	if (strcmp(req->method, "GET") == 0 && str_caseeq(req->query, "wsdl")) {
		serve_wsdl(rt, c, req, ep, &x);
		return;
	}
	if (strcmp(req->method, "GET") == 0 &&
	    strncmp(req->query, "xsd=", 4) == 0) {
		serve_xsd(c, ep, req->query + 4, &x);
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		answer_text(c, &x, 405,
		    "POST a SOAP 1.2 request, or GET ?wsdl\n");
		return;
	}
	/* Refuse before any work when the access log cannot take records:
	 * a submission refused at its answer would already be stored. */
	if (!audit_ready(why, sizeof why)) {
		log_warnx("audit: refusing a request at %s: %s", req->path, why);
		refuse_unaudited(c, &x, why);
		return;
	}
	serve_soap(rt, c, req, ep, &x);
}
