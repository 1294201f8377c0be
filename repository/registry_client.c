/*
 * registry_client.c: ITI-42 from the repository to its registry, in
 * process or over SOAP (registry_client.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "actor.h"
#include "buf.h"
#include "conf.h"
#include "ebrim.h"
#include "log.h"
#include "registry_client.h"
#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define REGC_MAX_RESPONSE	(16UL * 1024 * 1024)
#define REGC_MAX_REQUEST	(64UL * 1024 * 1024)
#define REGC_TIMEOUT		120

struct registry_client {
	const struct conf		*conf;
	const struct soap_endpoint	*local;
	const struct soap_route		*route;
	registry_post_fn		 post;
	registry_audit_fn		 audit;
	char				 url[CONF_STR_MAX];
};

int
registry_client_new(const struct conf *cf, const struct soap_endpoint *local,
    registry_post_fn post, registry_audit_fn audit,
    struct registry_client **out, char *err, size_t errlen)
{
	struct registry_client *rc;

	*out = NULL;
	if ((rc = calloc(1, sizeof *rc)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	rc->conf = cf;
	rc->audit = audit;
	str_lcpy(rc->url, cf->repository_registry_url, sizeof rc->url);
	if (rc->url[0] != '\0') {
		if (post == NULL) {
			str_fmt(err, errlen, "repository.registry_url is set "
			    "but no SOAP client is available");
			goto fail;
		}
		if (strncmp(rc->url, "https://", 8) != 0 &&
		    strncmp(rc->url, "http://127.", 11) != 0 &&
		    strncmp(rc->url, "http://localhost", 16) != 0) {
			str_fmt(err, errlen, "repository.registry_url %s: "
			    "https:// (mutual TLS) is required off loopback",
			    rc->url);
			goto fail;
		}
		rc->post = post;
	} else {
		if (local == NULL ||
		    (rc->route = soap_route_find(local, ACT_ITI42)) == NULL) {
			str_fmt(err, errlen, "no registry: enable registry.enabled "
			    "or set repository.registry_url");
			goto fail;
		}
		rc->local = local;
	}
	*out = rc;
	return 0;
fail:
	free(rc);
	return -1;
}

void
registry_client_free(struct registry_client *rc)
{
	free(rc);
}

const char *
registry_client_target(const struct registry_client *rc)
{
	return rc->local != NULL ? "in-process" : rc->url;
}

/* The rs:RegistryResponse in n (itself, or the Body child of a SOAP
 * envelope); NULL if there is none. */
static xmlNode *
find_response(xmlNode *n)
{
	xmlNode *c;

	if (xml_is(n, NS_RS, "RegistryResponse"))
		return n;
	if (!xml_is(n, NS_SOAP12, "Envelope"))
		return NULL;
	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, NS_SOAP12, "Body")) {
			c = xml_first_elem(c);
			return c != NULL && xml_is(c, NS_RS,
			    "RegistryResponse") ? c : NULL;
		}
	return NULL;
}

static int
add_errors(xmlNode *rr, struct rim_errors *errs)
{
	xmlNode *l, *e;
	const char *code, *ctx, *loc, *sev;

	for (l = xml_first_elem(rr); l != NULL; l = xml_next_elem(l)) {
		if (!xml_is(l, NS_RS, "RegistryErrorList"))
			continue;
		for (e = xml_first_elem(l); e != NULL; e = xml_next_elem(e)) {
			if (!xml_is(e, NS_RS, "RegistryError"))
				continue;
			code = xml_attr(e, "errorCode");
			ctx = xml_attr(e, "codeContext");
			loc = xml_attr(e, "location");
			sev = xml_attr(e, "severity");
			if (rim_errors_add(errs, sev != NULL &&
			    strcmp(sev, SEV_WARNING) == 0,
			    code != NULL ? code : ERR_REGISTRY,
			    loc, "%.1000s", ctx != NULL ? ctx : "") != 0)
				return -1;
		}
	}
	return 0;
}

int
registry_client_parse_response(const char *xml, size_t len,
    struct rim_errors *errs, char *err, size_t errlen)
{
	xmlDoc *doc;
	xmlNode *rr;
	const char *st;
	int rc = REGC_UNAVAILABLE;

	if ((doc = xml_parse(xml, len, err, errlen)) == NULL)
		return REGC_UNAVAILABLE;
	if ((rr = find_response(xmlDocGetRootElement(doc))) == NULL) {
		str_fmt(err, errlen, "the answer holds no rs:RegistryResponse");
		goto out;
	}
	if ((st = xml_attr(rr, "status")) == NULL) {
		str_fmt(err, errlen, "RegistryResponse without status");
		goto out;
	}
	if (add_errors(rr, errs) != 0) {
		rc = REGC_ENOMEM;
		goto out;
	}
	rc = strcmp(st, ST_SUCCESS) == 0 ? REGC_SUCCESS : REGC_FAILURE;
	if (rc == REGC_FAILURE && rim_errors_nerror(errs) == 0 &&
	    rim_errors_add(errs, 0, ERR_REGISTRY, NULL,
	    "the registry answered %.200s without an error", st) != 0)
		rc = REGC_ENOMEM;
out:
	xmlFreeDoc(doc);
	return rc;
}

static int
unavailable(struct rim_errors *errs, const char *why)
{
	if (rim_errors_add(errs, 0, ERR_REGISTRY_NOT_AVAILABLE, NULL,
	    "document registry not available: %.300s", why) != 0)
		return REGC_ENOMEM;
	return REGC_UNAVAILABLE;
}

static int
call_local(struct registry_client *rc, xmlDoc *doc, xmlNode *sor,
    struct xact *parent, struct rim_errors *errs)
{
	struct soap_request req;
	struct soap_reply reply;
	struct xact sx;
	char err[256];
	int r;

	memset(&req, 0, sizeof req);
	memset(&reply, 0, sizeof reply);
	req.doc = doc;
	req.body = sor;
	req.pack = PACK_SIMPLE;
	buf_init(&reply.body, REGC_MAX_RESPONSE);
	xact_begin(&sx, rc->conf, rc->local->path, "in-process", "local");
	str_lcpy(sx.txn, TXN_ITI42, sizeof sx.txn);
	str_lcpy(sx.action, ACT_ITI42, sizeof sx.action);
	str_lcpy(sx.message_id, parent->message_id, sizeof sx.message_id);
	if (rc->route->fn(rc->local->actor, &sx, &req, &reply) != 0 ||
	    reply.body.b_len == 0) {
		xact_fail(&sx, XACT_FAULT, sx.reason[0] != '\0' ? sx.reason :
		    "registry handler failed");
		sx.http_status = 500;
		if (rc->audit != NULL)
			rc->audit(&sx);
		r = unavailable(errs, sx.reason);
		goto out;
	}
	sx.http_status = 200;
	if (rc->audit != NULL)
		rc->audit(&sx);
	r = registry_client_parse_response(reply.body.b_data, reply.body.b_len,
	    errs, err, sizeof err);
	if (r == REGC_UNAVAILABLE)
		r = unavailable(errs, err);
out:
	buf_free(&reply.body);
	free(reply.att);
	return r;
}

/* sor as standalone XML text (namespaces declared on it). */
static int
serialise(xmlNode *sor, struct buf *out)
{
	xmlDoc *d;
	xmlNode *copy;
	xmlBuffer *xb;
	int rc = -1;

	if ((d = xmlNewDoc((const xmlChar *)"1.0")) == NULL)
		return -1;
	if ((xb = xmlBufferCreate()) == NULL) {
		xmlFreeDoc(d);
		return -1;
	}
	if ((copy = xmlDocCopyNode(sor, d, 1)) == NULL)
		goto out;
	xmlDocSetRootElement(d, copy);
	xmlReconciliateNs(d, copy);
	if (xmlNodeDump(xb, d, copy, 0, 0) < 0)
		goto out;
	if (buf_add(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)) !=
	    BUF_OK)
		goto out;
	rc = 0;
out:
	xmlBufferFree(xb);
	xmlFreeDoc(d);
	return rc;
}

static int
call_remote(struct registry_client *rc, xmlNode *sor, struct rim_errors *errs)
{
	struct soapclient_opts o;
	struct buf body, ans;
	char err[256];
	int status = 0, r;

	buf_init(&body, REGC_MAX_REQUEST);
	buf_init(&ans, REGC_MAX_RESPONSE);
	if (serialise(sor, &body) != 0) {
		r = REGC_ENOMEM;
		goto out;
	}
	memset(&o, 0, sizeof o);
	if (rc->conf->http_cert[0] != '\0') {
		o.cert = rc->conf->http_cert;
		o.key = rc->conf->http_key;
	}
	if (rc->conf->http_ca[0] != '\0')
		o.ca = rc->conf->http_ca;
	o.timeout = REGC_TIMEOUT;
	o.max_response = REGC_MAX_RESPONSE;
	if (rc->post(rc->url, ACT_ITI42, buf_str(&body), &o, &status, &ans,
	    err, sizeof err) != 0) {
		log_warnx("repository: registry %s: %s", rc->url, err);
		if ((r = unavailable(errs, err)) == REGC_UNAVAILABLE)
			r = REGC_UNCERTAIN;
		goto out;
	}
	r = registry_client_parse_response(buf_str(&ans), ans.b_len, errs,
	    err, sizeof err);
	if (r == REGC_UNAVAILABLE) {
		log_warnx("repository: registry %s: HTTP %d: %s", rc->url,
		    status, err);
		str_fmt(err, sizeof err, "HTTP %d without a RegistryResponse",
		    status);
		r = unavailable(errs, err);
	}
out:
	buf_free(&body);
	buf_free(&ans);
	return r;
}

int
registry_client_register(struct registry_client *rc, xmlDoc *doc,
    xmlNode *sor, struct xact *parent, struct rim_errors *errs)
{
	if (rc->local != NULL)
		return call_local(rc, doc, sor, parent, errs);
	return call_remote(rc, sor, errs);
}

/* ---- GetDocuments by uniqueId (start-up reconciliation) ---- */

#define REGC_FIND_TIMEOUT	30

static xmlNode *
find_query_response(xmlNode *n)
{
	xmlNode *c;

	if (xml_is(n, NS_QUERY, "AdhocQueryResponse"))
		return n;
	if (!xml_is(n, NS_SOAP12, "Envelope"))
		return NULL;
	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, NS_SOAP12, "Body")) {
			c = xml_first_elem(c);
			return c != NULL && xml_is(c, NS_QUERY,
			    "AdhocQueryResponse") ? c : NULL;
		}
	return NULL;
}

int
registry_client_parse_found(const char *xml, size_t len, char *err,
    size_t errlen)
{
	xmlDoc *doc;
	xmlNode *qr, *l;
	const char *st;
	int rc = -1;

	if ((doc = xml_parse(xml, len, err, errlen)) == NULL)
		return -1;
	if ((qr = find_query_response(xmlDocGetRootElement(doc))) == NULL) {
		str_fmt(err, errlen, "the answer holds no AdhocQueryResponse");
		goto out;
	}
	if ((st = xml_attr(qr, "status")) == NULL ||
	    strcmp(st, ST_SUCCESS) != 0) {
		str_fmt(err, errlen, "GetDocuments answered %.200s",
		    st != NULL ? st : "without a status");
		goto out;
	}
	rc = 0;
	for (l = xml_first_elem(qr); l != NULL; l = xml_next_elem(l))
		if (xml_is(l, NS_RIM, "RegistryObjectList") &&
		    xml_first_elem(l) != NULL)
			rc = 1;
out:
	xmlFreeDoc(doc);
	return rc;
}

/* A uniqueId that can go between '' in a stored query parameter (and
 * into XML text) unescaped. */
static int
uid_quotable(const char *uid)
{
	const char *p;

	if (uid[0] == '\0' || strlen(uid) > 128)
		return 0;
	for (p = uid; *p != '\0'; p++)
		if (*p == '\'' || *p == '<' || *p == '>' || *p == '&' ||
		    *p == '"' || *p == ',' || *p == '(' || *p == ')' ||
		    (unsigned char)*p < 0x21)
			return 0;
	return 1;
}

static int
find_local(struct registry_client *rc, const char *q, size_t qlen,
    struct buf *ans, char *err, size_t errlen)
{
	const struct soap_route *route;
	struct soap_request req;
	struct soap_reply reply;
	struct xact sx;
	xmlDoc *doc = NULL;
	int r = -1;

	memset(&reply, 0, sizeof reply);
	if ((route = soap_route_find(rc->local, ACT_ITI18)) == NULL) {
		str_fmt(err, errlen, "the local registry has no ITI-18 route");
		return -1;
	}
	if ((doc = xml_parse(q, qlen, err, errlen)) == NULL)
		return -1;
	memset(&req, 0, sizeof req);
	req.doc = doc;
	req.body = xmlDocGetRootElement(doc);
	req.pack = PACK_SIMPLE;
	reply.body = *ans;
	xact_begin(&sx, rc->conf, rc->local->path, "in-process", "local");
	str_lcpy(sx.txn, TXN_ITI18, sizeof sx.txn);
	str_lcpy(sx.action, ACT_ITI18, sizeof sx.action);
	if (route->fn(rc->local->actor, &sx, &req, &reply) != 0 ||
	    reply.body.b_len == 0) {
		xact_fail(&sx, XACT_FAULT, sx.reason[0] != '\0' ? sx.reason :
		    "registry handler failed");
		sx.http_status = 500;
		str_fmt(err, errlen, "in-process ITI-18: %s", sx.reason);
	} else {
		sx.http_status = 200;
		r = 0;
	}
	if (rc->audit != NULL)
		rc->audit(&sx);
	*ans = reply.body;
	free(reply.att);
	xmlFreeDoc(doc);
	return r;
}

int
registry_client_find(struct registry_client *rc, const char *uid, char *err,
    size_t errlen)
{
	struct soapclient_opts o;
	struct buf q, ans;
	int status = 0, r = -1;

	buf_init(&q, 4096);
	buf_init(&ans, REGC_MAX_RESPONSE);
	if (!uid_quotable(uid)) {
		str_fmt(err, errlen, "uniqueId cannot be queried literally");
		goto out;
	}
	if (buf_addf(&q, "<query:AdhocQueryRequest xmlns:query=\"%s\" "
	    "xmlns:rim=\"%s\"><query:ResponseOption returnType=\"ObjectRef\" "
	    "returnComposedObjects=\"false\"/><rim:AdhocQuery id=\"%s\">"
	    "<rim:Slot name=\"$XDSDocumentEntryUniqueId\"><rim:ValueList>"
	    "<rim:Value>('%s')</rim:Value></rim:ValueList></rim:Slot>"
	    "</rim:AdhocQuery></query:AdhocQueryRequest>", NS_QUERY, NS_RIM,
	    SQ_GETDOCUMENTS, uid) != BUF_OK) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if (rc->local != NULL) {
		if (find_local(rc, buf_str(&q), q.b_len, &ans, err, errlen) !=
		    0)
			goto out;
	} else {
		memset(&o, 0, sizeof o);
		if (rc->conf->http_cert[0] != '\0') {
			o.cert = rc->conf->http_cert;
			o.key = rc->conf->http_key;
		}
		if (rc->conf->http_ca[0] != '\0')
			o.ca = rc->conf->http_ca;
		o.timeout = REGC_FIND_TIMEOUT;
		o.max_response = REGC_MAX_RESPONSE;
		if (rc->post(rc->url, ACT_ITI18, buf_str(&q), &o, &status,
		    &ans, err, errlen) != 0)
			goto out;
	}
	r = registry_client_parse_found(buf_str(&ans), ans.b_len, err,
	    errlen);
out:
	buf_free(&q);
	buf_free(&ans);
	return r;
}
