/*
 * registry_client.c: ITI-42 and ITI-18 from the repository to its
 * registry through the registry peer (registry_client.h).
 *
 * Audit: an exchange in process is a transaction of this node and writes
 * its own record (peer "in-process", address "local"; for ITI-42 the
 * inbound request's message id).  A remote one writes none: the outbound
 * record comes with ATNA.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "buf.h"
#include "conf.h"
#include "ebrim.h"
#include "log.h"
#include "registry_client.h"
#include "soap.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define REGC_MAX_RESPONSE	(16UL * 1024 * 1024)
#define REGC_TIMEOUT		120	/* seconds for an ITI-42 */
#define REGC_FIND_TIMEOUT	30	/* seconds for a GetDocuments */

struct registry_client {
	const struct conf	*conf;
	struct soap_peer	*peer;
};

int
registry_client_new(const struct conf *cf, struct soap_peer *registry,
    struct registry_client **out, char *err, size_t errlen)
{
	struct registry_client *rc;

	*out = NULL;
	if (registry == NULL) {
		str_fmt(err, errlen, "no registry: enable registry.enabled "
		    "or set repository.registry_url");
		return -1;
	}
	if ((rc = calloc(1, sizeof *rc)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	rc->conf = cf;
	rc->peer = registry;
	*out = rc;
	return 0;
}

void
registry_client_free(struct registry_client *rc)
{
	free(rc);
}

const char *
registry_client_target(const struct registry_client *rc)
{
	return soap_peer_target(rc->peer);
}

/* The record of an exchange in process (none for a remote one). */
static struct xact *
local_record(struct registry_client *rc, struct xact *sx, const char *txn,
    const char *action, const char *message_id)
{
	if (!soap_peer_is_local(rc->peer))
		return NULL;
	xact_begin(sx, rc->conf, NULL, "in-process", "local");
	sx->outbound = 1;	/* the repository's side: it asks */
	str_lcpy(sx->txn, txn, sizeof sx->txn);
	str_lcpy(sx->action, action, sizeof sx->action);
	str_lcpy(sx->message_id, message_id, sizeof sx->message_id);
	return sx;
}

/* ---- ITI-42 ---- */

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

/* The RegistryResponse that is the answer's body element rr. */
static int
response_of(xmlNode *rr, struct rim_errors *errs, char *err, size_t errlen)
{
	const char *st;
	int rc;

	if (rr == NULL || !xml_is(rr, NS_RS, "RegistryResponse")) {
		str_fmt(err, errlen, "the answer holds no rs:RegistryResponse");
		return XDS_EANSWER;
	}
	if ((st = xml_attr(rr, "status")) == NULL) {
		str_fmt(err, errlen, "RegistryResponse without status");
		return XDS_EANSWER;
	}
	if (add_errors(rr, errs) != 0)
		return XDS_ENOMEM;
	rc = strcmp(st, ST_SUCCESS) == 0 ? XDS_OK : REGC_FAILURE;
	if (rc == REGC_FAILURE && rim_errors_nerror(errs) == 0 &&
	    rim_errors_add(errs, 0, ERR_REGISTRY, NULL,
	    "the registry answered %.200s without an error", st) != 0)
		rc = XDS_ENOMEM;
	return rc;
}

int
registry_client_parse_response(const char *xml, size_t len,
    struct rim_errors *errs, char *err, size_t errlen)
{
	xmlDoc *doc;
	int rc;

	if ((doc = xml_parse(xml, len, err, errlen)) == NULL)
		return XDS_EANSWER;
	rc = response_of(soap_body_elem(xmlDocGetRootElement(doc)), errs, err,
	    errlen);
	xmlFreeDoc(doc);
	return rc;
}

/* No usable answer: the RegistryError a repository reports for it. */
static int
unavailable(struct rim_errors *errs, const char *why)
{
	if (rim_errors_add(errs, 0, xds_status_errcode(XDS_EUNAVAILABLE,
	    XDS_ACTOR_REPOSITORY), NULL, "document registry not available: "
	    "%.300s", why) != 0)
		return XDS_ENOMEM;
	return XDS_EUNAVAILABLE;
}

/*
 * A remote registry that gave no answer we could take may hold the
 * entries (it timed out, the connection broke, its answer went over the
 * bound; a refused connection is treated alike, so that a registry down
 * for a while leaves rows pending for the reconciliation): the rows stay.
 * One that answered without a RegistryResponse did not register them.
 */
static int
remote_outcome(struct registry_client *rc, struct soap_call *c,
    struct rim_errors *errs)
{
	const char *url = soap_peer_target(rc->peer);
	char err[256], why[64];
	int r;

	if (c->ans.status == XDS_ENOMEM)
		return XDS_ENOMEM;
	if (c->ans.status != XDS_OK && (c->ans.status != XDS_EANSWER ||
	    c->ans.toobig)) {
		log_warnx("repository: registry %s: %s", url, c->ans.err);
		if ((r = unavailable(errs, c->ans.err)) == XDS_EUNAVAILABLE)
			r = XDS_EUNCERTAIN;
		return r;
	}
	if (c->ans.status == XDS_OK && (r = response_of(c->ans.body, errs, err,
	    sizeof err)) != XDS_EANSWER)
		return r;
	log_warnx("repository: registry %s: HTTP %d: %s", url,
	    c->ans.http_status, c->ans.status == XDS_OK ? err : c->ans.err);
	str_fmt(why, sizeof why, "HTTP %d without a RegistryResponse",
	    c->ans.http_status);
	return unavailable(errs, why);
}

static int
local_outcome(struct soap_call *c, struct rim_errors *errs)
{
	char err[256];
	int r;

	if (c->ans.status == XDS_ENOMEM)
		return XDS_ENOMEM;
	if (c->ans.status != XDS_OK)
		return unavailable(errs, c->ans.err);
	if (c->ans.fault)
		return unavailable(errs, c->ans.fault_reason);
	if ((r = response_of(c->ans.body, errs, err, sizeof err)) ==
	    XDS_EANSWER)
		r = unavailable(errs, err);
	return r;
}

int
registry_client_register(struct registry_client *rc, xmlNode *sor,
    struct xact *parent, struct rim_errors *errs)
{
	struct soap_call c;
	struct xact sx;
	int r;

	soap_call_init(&c, ACT_ITI42, PACK_SIMPLE);
	c.req.body = sor;
	c.req.bounds.timeout = REGC_TIMEOUT;
	c.req.bounds.max_answer = REGC_MAX_RESPONSE;
	c.req.x = local_record(rc, &sx, TXN_ITI42, ACT_ITI42,
	    parent->message_id);
	(void)soap_peer_call(rc->peer, &c);
	if (c.req.x != NULL) {
		xact_end(c.req.x);
		r = local_outcome(&c, errs);
	} else
		r = remote_outcome(rc, &c, errs);
	soap_call_free(&c);
	return r;
}

/* ---- GetDocuments by uniqueId (reconciliation) ---- */

static int
found_of(xmlNode *qr, char *err, size_t errlen)
{
	xmlNode *l;
	const char *st;
	int rc = 0;

	if (qr == NULL || !xml_is(qr, NS_QUERY, "AdhocQueryResponse")) {
		str_fmt(err, errlen, "the answer holds no AdhocQueryResponse");
		return -1;
	}
	if ((st = xml_attr(qr, "status")) == NULL ||
	    strcmp(st, ST_SUCCESS) != 0) {
		str_fmt(err, errlen, "GetDocuments answered %.200s",
		    st != NULL ? st : "without a status");
		return -1;
	}
	for (l = xml_first_elem(qr); l != NULL; l = xml_next_elem(l))
		if (xml_is(l, NS_RIM, "RegistryObjectList") &&
		    xml_first_elem(l) != NULL)
			rc = 1;
	return rc;
}

int
registry_client_parse_found(const char *xml, size_t len, char *err,
    size_t errlen)
{
	xmlDoc *doc;
	int rc;

	if ((doc = xml_parse(xml, len, err, errlen)) == NULL)
		return -1;
	rc = found_of(soap_body_elem(xmlDocGetRootElement(doc)), err, errlen);
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

int
registry_client_find(struct registry_client *rc, const char *uid, char *err,
    size_t errlen)
{
	struct soap_call c;
	struct xact sx;
	char q[1024];
	int r = -1;

	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	if (!uid_quotable(uid)) {
		str_fmt(err, errlen, "uniqueId cannot be queried literally");
		goto out;
	}
	if (str_fmt(q, sizeof q, "<query:AdhocQueryRequest xmlns:query=\"%s\" "
	    "xmlns:rim=\"%s\"><query:ResponseOption returnType=\"ObjectRef\" "
	    "returnComposedObjects=\"false\"/><rim:AdhocQuery id=\"%s\">"
	    "<rim:Slot name=\"" SQP_DE_UNIQUEID "\"><rim:ValueList>"
	    "<rim:Value>('%s')</rim:Value></rim:ValueList></rim:Slot>"
	    "</rim:AdhocQuery></query:AdhocQueryRequest>", NS_QUERY, NS_RIM,
	    SQ_GETDOCUMENTS, uid) < 0) {
		str_fmt(err, errlen, "GetDocuments request too long");
		goto out;
	}
	c.req.body_xml = q;
	c.req.bounds.timeout = REGC_FIND_TIMEOUT;
	c.req.bounds.max_answer = REGC_MAX_RESPONSE;
	c.req.x = local_record(rc, &sx, TXN_ITI18, ACT_ITI18, "");
	(void)soap_peer_call(rc->peer, &c);
	if (c.req.x != NULL)
		xact_end(c.req.x);
	if (c.ans.status != XDS_OK)
		str_lcpy(err, c.ans.err, errlen);
	else if (c.ans.fault && c.req.x != NULL)
		str_fmt(err, errlen, "in-process ITI-18: %s",
		    c.ans.fault_reason);
	else
		r = found_of(c.ans.body, err, errlen);
out:
	soap_call_free(&c);
	return r;
}
