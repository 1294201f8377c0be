/*
 * test_gateway_mitz.c: the closed question to Mitz (gateway/mitz_msg.h,
 * gateway/consent.h): the XACMLAuthzDecisionQuery as the SAML 2.0
 * profile of XACML 3.0 and Mitz's attributes want it, refusals of
 * questions that cannot be asked, every decision of an answer and what
 * is not one; the open question's PatientLocationQueryRequest and the
 * communities of its answer (each once, urn:oid: only, the RelatesTo,
 * the bound); the consent service against a fake Mitz on loopback that
 * counts questions: the cache (a kept decision, its expiry, invalidation
 * of one patient and of all, the bound on entries, no Indeterminate
 * kept), a dead Mitz, requesters and data categories from the options.
 */
#include "config.h"

#include "cutest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/tree.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "consent.h"
#include "mitz_loc.h"
#include "mitz_msg.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

#define BSN1	"999911120"
#define BSN2	"999911132"

static const struct mitz_requester REQ = {
	"87654321", "Z3", "01.015", "123456789", "", "test", ""
};

static struct mitz_question
question(void)
{
	struct mitz_question q;

	memset(&q, 0, sizeof q);
	q.bsn = BSN1;
	q.holder_ura = "12345678";
	q.holder_type = "V6";
	q.requester = &REQ;
	q.category = "GGC002";
	q.purpose = "TREAT";
	q.id = "_0f5b1c2e-7a3d-4c1e-9d7a-1b2c3d4e5f60";
	q.instant = "2026-01-02T03:04:05Z";
	return q;
}

/* The AttributeValue's HL7 element of attribute id in the Attributes of
 * category, or NULL. */
static xmlNode *
value_of(xmlNode *req, const char *category, const char *id)
{
	xmlNode *as, *a, *v;

	for (as = xml_first_elem(req); as != NULL; as = xml_next_elem(as)) {
		const char *c = xml_attr(as, "Category");

		if (!xml_is(as, NS_XACML, "Attributes") || c == NULL ||
		    strcmp(c, category) != 0)
			continue;
		for (a = xml_first_elem(as); a != NULL; a = xml_next_elem(a))
			if (xml_is(a, NS_XACML, "Attribute") &&
			    strcmp(xml_attr(a, "AttributeId"), id) == 0 &&
			    strcmp(xml_attr(a, "IncludeInResult"), "false") ==
			    0 && (v = xml_child(a, NS_XACML,
			    "AttributeValue")) != NULL)
				return xml_first_elem(v);
	}
	return NULL;
}

static int
is_ii(xmlNode *e, const char *root, const char *ext)
{
	return e != NULL && xml_is(e, NS_HL7V3, "InstanceIdentifier") &&
	    strcmp(xml_attr(e, "root"), root) == 0 &&
	    strcmp(xml_attr(e, "extension"), ext) == 0 &&
	    strcmp(xml_attr(e->parent, "DataType"), XACML_DT_II) == 0;
}

static int
is_cv(xmlNode *e, const char *system, const char *code)
{
	return e != NULL && xml_is(e, NS_HL7V3, "CodedValue") &&
	    strcmp(xml_attr(e, "codeSystem"), system) == 0 &&
	    strcmp(xml_attr(e, "code"), code) == 0 &&
	    strcmp(xml_attr(e->parent, "DataType"), XACML_DT_CV) == 0;
}

static void
test_query(void)
{
	struct mitz_question q = question();
	xmlDoc *doc = NULL;
	xmlNode *root, *req, *as, *e;
	struct buf b;
	char err[256];
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(mitz_query_build(&q, &doc, err, sizeof err),
	    XDS_OK);
	root = xmlDocGetRootElement(doc);
	CU_ASSERT(xml_is(root, NS_XACML_SAMLP, "XACMLAuthzDecisionQuery"));
	/* samlp:RequestAbstractType's required attributes */
	CU_ASSERT_STRING_EQUAL(xml_attr(root, "ID"), q.id);
	CU_ASSERT_STRING_EQUAL(xml_attr(root, "Version"), "2.0");
	CU_ASSERT_STRING_EQUAL(xml_attr(root, "IssueInstant"), q.instant);
	req = xml_child(root, NS_XACML, "Request");
	CU_ASSERT_FATAL(req != NULL);
	CU_ASSERT_STRING_EQUAL(xml_attr(req, "CombinedDecision"), "false");
	CU_ASSERT_STRING_EQUAL(xml_attr(req, "ReturnPolicyIdList"), "false");
	/* four Attributes, in the schema's order, each with its xml:id */
	for (as = xml_first_elem(req); as != NULL; as = xml_next_elem(as)) {
		static const char *const ids[] = { "resource", "action0",
		    "subject", "environment" };
		xmlChar *id = xmlGetNsProp(as, (const xmlChar *)"id",
		    XML_XML_NAMESPACE);

		CU_ASSERT(n < 4 && id != NULL &&
		    strcmp((const char *)id, ids[n]) == 0);
		xmlFree(id);
		n++;
	}
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT(is_ii(value_of(req, XACML_CAT_RESOURCE,
	    MITZ_ATTR_RESOURCE_ID), OID_BSN, BSN1));
	CU_ASSERT(is_cv(value_of(req, XACML_CAT_RESOURCE,
	    MITZ_ATTR_HOLDER_TYPE), OID_ORG_TYPE, "V6"));
	CU_ASSERT(is_ii(value_of(req, XACML_CAT_RESOURCE,
	    MITZ_ATTR_HOLDER_URA), OID_URA, "12345678"));
	CU_ASSERT(is_cv(value_of(req, XACML_CAT_ACTION, MITZ_ATTR_CATEGORY),
	    OID_DATA_CATEGORY, "GGC002"));
	CU_ASSERT(is_cv(value_of(req, XACML_CAT_SUBJECT, MITZ_ATTR_ROLE),
	    OID_UZI_ROLE, "01.015"));
	e = value_of(req, XACML_CAT_SUBJECT, MITZ_ATTR_PROFESSIONAL);
	CU_ASSERT(is_ii(e, OID_UZI, "123456789") &&
	    strcmp(xml_attr(e, "assigningAuthorityName"), UZI_AUTHORITY) == 0);
	CU_ASSERT(value_of(req, XACML_CAT_SUBJECT, MITZ_ATTR_MANDATED) ==
	    NULL);
	CU_ASSERT(is_ii(value_of(req, XACML_CAT_SUBJECT,
	    MITZ_ATTR_REQUESTER_URA), OID_URA, "87654321"));
	CU_ASSERT(is_cv(value_of(req, XACML_CAT_SUBJECT,
	    MITZ_ATTR_REQUESTER_TYPE), OID_ORG_TYPE, "Z3"));
	CU_ASSERT(is_cv(value_of(req, XACML_CAT_ENVIRONMENT,
	    MITZ_ATTR_PURPOSE), OID_PURPOSE_OF_USE, "TREAT"));
	/* it stands alone as text, as the SOAP client sends it */
	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(xml_dump(root, &b), XDS_OK);
	CU_ASSERT(strstr(b.b_data, "xml:id=\"resource\"") != NULL);
	buf_free(&b);
	xmlFreeDoc(doc);
}

static void
test_query_refused(void)
{
	struct mitz_question q;
	struct mitz_requester r = REQ;
	xmlDoc *doc = NULL;
	char err[256];

	q = question();
	q.bsn = "99991112";
	CU_ASSERT_EQUAL(mitz_query_build(&q, &doc, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT(doc == NULL && strstr(err, "BSN") != NULL);
	q = question();
	q.bsn = "99991112x";
	CU_ASSERT_EQUAL(mitz_query_build(&q, &doc, err, sizeof err),
	    XDS_EINVAL);
	q = question();
	q.holder_ura = "";
	CU_ASSERT_EQUAL(mitz_query_build(&q, &doc, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT(strstr(err, "data holder's URA") != NULL);
	q = question();
	r.role[0] = '\0';
	q.requester = &r;
	CU_ASSERT_EQUAL(mitz_query_build(&q, &doc, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT(strstr(err, "role") != NULL);
	q = question();
	q.category = "GGC 002";
	CU_ASSERT_EQUAL(mitz_query_build(&q, &doc, err, sizeof err),
	    XDS_EINVAL);
	q = question();
	q.requester = NULL;
	CU_ASSERT_EQUAL(mitz_query_build(&q, &doc, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT(doc == NULL);
}

#define ENV_HEAD "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/" \
	"soap-envelope\"><s:Body>"
#define ENV_TAIL "</s:Body></s:Envelope>"
#define RESP(results) ENV_HEAD "<Response xmlns=\"" NS_XACML "\">" results \
	"</Response>" ENV_TAIL
#define RESULT(d) "<Result><Decision>" d "</Decision><Status><StatusCode " \
	"Value=\"urn:oasis:names:tc:xacml:1.0:status:ok\"/></Status></Result>"

static int
parse(const char *s, enum mitz_decision *d)
{
	char err[256];

	return mitz_answer_parse(s, strlen(s), d, err, sizeof err);
}

static void
test_answer(void)
{
	enum mitz_decision d;

	CU_ASSERT(parse(RESP(RESULT("Permit")), &d) == XDS_OK &&
	    d == MITZ_PERMIT);
	CU_ASSERT(parse(RESP(RESULT("Deny")), &d) == XDS_OK && d == MITZ_DENY);
	CU_ASSERT(parse(RESP(RESULT("NotApplicable")), &d) == XDS_OK &&
	    d == MITZ_NOT_APPLICABLE);
	CU_ASSERT(parse(RESP(RESULT(" Indeterminate ")), &d) == XDS_OK &&
	    d == MITZ_INDETERMINATE);
	/* several Results: Permit only when all are */
	CU_ASSERT(parse(RESP(RESULT("Permit") RESULT("Permit")), &d) ==
	    XDS_OK && d == MITZ_PERMIT);
	CU_ASSERT(parse(RESP(RESULT("Permit") RESULT("Deny")), &d) ==
	    XDS_OK && d == MITZ_DENY);
	/* wrapped deeper (a SAML response around it) */
	CU_ASSERT(parse(ENV_HEAD "<x:Wrap xmlns:x=\"urn:x\"><Response xmlns=\""
	    NS_XACML "\">" RESULT("Permit") "</Response></x:Wrap>" ENV_TAIL,
	    &d) == XDS_OK && d == MITZ_PERMIT);
	/* not answers */
	CU_ASSERT(parse(RESP(RESULT("permit")), &d) == XDS_EFORMAT &&
	    d == MITZ_NO_ANSWER);
	CU_ASSERT(parse(RESP(""), &d) == XDS_EFORMAT && d == MITZ_NO_ANSWER);
	CU_ASSERT(parse(RESP("<Result/>"), &d) == XDS_EFORMAT);
	CU_ASSERT(parse(ENV_HEAD "<Response>" RESULT("Permit") "</Response>"
	    ENV_TAIL, &d) == XDS_EFORMAT);	/* no XACML namespace */
	CU_ASSERT(parse("<Response xmlns=\"" NS_XACML "\">" RESULT("Permit")
	    "</Response>", &d) == XDS_EFORMAT);	/* no envelope */
	CU_ASSERT(parse("not xml", &d) == XDS_EFORMAT);
	CU_ASSERT(parse("", &d) == XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(mitz_decision_name(MITZ_NOT_APPLICABLE),
	    "NotApplicable");
	CU_ASSERT_STRING_EQUAL(mitz_decision_name(MITZ_NO_ANSWER),
	    "no answer");
}

/* ---- the open question (ITI-56) ---- */

static void
test_loc_query(void)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *id;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(mitz_loc_build(BSN1, &doc, err, sizeof err),
	    XDS_OK);
	root = xmlDocGetRootElement(doc);
	CU_ASSERT(xml_is(root, NS_XCPD, "PatientLocationQueryRequest"));
	id = xml_first_elem(root);
	CU_ASSERT_FATAL(id != NULL && xml_is(id, NS_XCPD,
	    "RequestedPatientId"));
	CU_ASSERT_STRING_EQUAL(xml_attr(id, "root"), OID_BSN);
	CU_ASSERT_STRING_EQUAL(xml_attr(id, "extension"), BSN1);
	CU_ASSERT_STRING_EQUAL(xml_attr(id, "assigningAuthorityName"),
	    "NLMINBIZA");
	CU_ASSERT_PTR_NULL(xml_next_elem(id));
	xmlFreeDoc(doc);
	doc = NULL;
	CU_ASSERT_EQUAL(mitz_loc_build("123456789", &doc, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT_PTR_NULL(doc);
	CU_ASSERT_EQUAL(mitz_loc_build(NULL, &doc, err, sizeof err),
	    XDS_EINVAL);
}

#define LOC_HEAD(rel) "<s:Envelope xmlns:s=\"" NS_SOAP12 "\" xmlns:wsa=\"" \
	NS_WSA "\"><s:Header><wsa:RelatesTo>" rel "</wsa:RelatesTo>" \
	"</s:Header><s:Body><PatientLocationQueryResponse xmlns=\"" NS_XCPD \
	"\">"
#define LOC_TAIL "</PatientLocationQueryResponse></s:Body></s:Envelope>"
#define LOC(hcid) "<PatientLocationResponse><HomeCommunityId>" hcid \
	"</HomeCommunityId><CorrespondingPatientId root=\"" OID_BSN \
	"\" extension=\"" BSN1 "\"/></PatientLocationResponse>"
#define MID	"urn:uuid:0f5b1c2e-7a3d-4c1e-9d7a-1b2c3d4e5f60"
#define H1	"urn:oid:1.2.3.4"
#define H2	"urn:oid:1.2.3.5"

static int
loc_parse(const char *s, const char *mid, struct mitz_loc *l)
{
	char err[256];

	return mitz_loc_parse(s, strlen(s), mid, l, err, sizeof err);
}

static void
test_loc_answer(void)
{
	struct mitz_loc l;
	char *big;
	size_t i, n, cap = 80 * 200 + 512;

	CU_ASSERT_EQUAL(loc_parse(LOC_HEAD(MID) LOC(H1) LOC(" " H2 " ")
	    LOC(H1) LOC_TAIL, MID, &l), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(l.n, 2);
	CU_ASSERT_STRING_EQUAL(l.hcid[0], H1);
	CU_ASSERT_STRING_EQUAL(l.hcid[1], H2);
	/* none: an answer too */
	CU_ASSERT_EQUAL(loc_parse(LOC_HEAD(MID) LOC_TAIL, MID, &l), XDS_OK);
	CU_ASSERT_EQUAL(l.n, 0);
	/* RelatesTo only checked when asked */
	CU_ASSERT_EQUAL(loc_parse(LOC_HEAD("x") LOC(H1) LOC_TAIL, NULL, &l),
	    XDS_OK);
	CU_ASSERT_EQUAL(loc_parse(LOC_HEAD("x") LOC(H1) LOC_TAIL, MID, &l),
	    XDS_EFORMAT);
	/* not answers */
	CU_ASSERT_EQUAL(loc_parse(LOC_HEAD(MID) LOC("1.2.3.4") LOC_TAIL, MID,
	    &l), XDS_EFORMAT);
	CU_ASSERT_EQUAL(loc_parse(LOC_HEAD(MID) LOC("urn:oid:1..2") LOC_TAIL,
	    MID, &l), XDS_EFORMAT);
	CU_ASSERT_EQUAL(loc_parse(LOC_HEAD(MID) LOC("") LOC_TAIL, MID, &l),
	    XDS_EFORMAT);
	CU_ASSERT_EQUAL(loc_parse(ENV_HEAD "<Response xmlns=\"" NS_XACML
	    "\"/>" ENV_TAIL, NULL, &l), XDS_EFORMAT);
	CU_ASSERT_EQUAL(loc_parse("<PatientLocationQueryResponse xmlns=\""
	    NS_XCPD "\"/>", NULL, &l), XDS_EFORMAT);
	CU_ASSERT_EQUAL(loc_parse("not xml", NULL, &l), XDS_EFORMAT);
	/* past the bound */
	big = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	n = (size_t)snprintf(big, cap, "%s", LOC_HEAD(MID));
	for (i = 0; i <= MITZ_LOC_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n, "<PatientLocationResponse>"
		    "<HomeCommunityId>urn:oid:1.2.%zu</HomeCommunityId>"
		    "</PatientLocationResponse>", i + 1);
	snprintf(big + n, cap - n, "%s", LOC_TAIL);
	CU_ASSERT_EQUAL(loc_parse(big, MID, &l), XDS_ETOOBIG);
	free(big);
}

/* ---- a fake Mitz: answers every question with the decision set, and
 * counts them ---- */

struct fake {
	int		 fd, port;
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	const char	*decision;
	int		 questions;
	int		 stop;
	char		 last[8192];	/* the last request's body */
};

static void *
fake_thread(void *arg)
{
	struct fake *f = arg;
	char b[16384], env[2048], head[256];
	const char *body;
	size_t have;
	ssize_t n;
	int c;
	char *e, *cl;
	long long want;

	for (;;) {
		if ((c = accept(f->fd, NULL, NULL)) < 0)
			return NULL;
		pthread_mutex_lock(&f->mu);
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			close(c);
			return NULL;
		}
		pthread_mutex_unlock(&f->mu);
		have = 0;
		want = -1;
		while (have < sizeof b - 1 && (n = read(c, b + have,
		    sizeof b - 1 - have)) > 0) {
			have += (size_t)n;
			b[have] = '\0';
			if ((e = strstr(b, "\r\n\r\n")) == NULL)
				continue;
			if ((cl = strcasestr(b, "\r\nContent-Length:")) != NULL)
				want = (e - b) + 4 + strtoll(cl + 17, NULL, 10);
			if (want >= 0 && (long long)have >= want)
				break;
		}
		pthread_mutex_lock(&f->mu);
		f->questions++;
		body = strstr(b, "\r\n\r\n");
		str_lcpy(f->last, body != NULL ? body + 4 : "", sizeof f->last);
		str_fmt(env, sizeof env, RESP("<Result><Decision>%s"
		    "</Decision></Result>"), f->decision);
		pthread_mutex_unlock(&f->mu);
		str_fmt(head, sizeof head, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/soap+xml; charset=UTF-8\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    strlen(env));
		if (write(c, head, strlen(head)) > 0)
			(void)!write(c, env, strlen(env));
		close(c);
	}
}

static int
fake_start(struct fake *f, const char *decision)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	memset(f, 0, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	f->decision = decision;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(f->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(f->fd, 16) != 0 ||
	    getsockname(f->fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	f->port = ntohs(a.sin_port);
	return pthread_create(&f->thr, NULL, fake_thread, f) == 0 ? 0 : -1;
}

static void
fake_stop(struct fake *f)
{
	int c;
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_mutex_unlock(&f->mu);
	/* wake accept() */
	if ((c = socket(AF_INET, SOCK_STREAM, 0)) >= 0) {
		getsockname(f->fd, (struct sockaddr *)&a, &len);
		(void)connect(c, (struct sockaddr *)&a, sizeof a);
		close(c);
	}
	pthread_join(f->thr, NULL);
	close(f->fd);
}

static void
decide(struct fake *f, const char *decision)
{
	pthread_mutex_lock(&f->mu);
	f->decision = decision;
	pthread_mutex_unlock(&f->mu);
}

static int
questions(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->questions;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static struct consent *
open_consent(struct conf *cf, int port, const char *ttl, const char *max)
{
	struct consent *c = NULL;
	char kv[256], err[256];

	conf_defaults(cf);
	str_fmt(kv, sizeof kv, "consent.mitz_url=http://127.0.0.1:%d/"
	    "geslotenautorisatievraag/xacml3", port);
	CU_ASSERT(conf_set_kv(cf, kv, err, sizeof err) == 0);
	CU_ASSERT(conf_set_kv(cf, "consent.mode=mitz", err, sizeof err) == 0);
	CU_ASSERT(conf_set_kv(cf, "consent.ura=12345678", err, sizeof err) ==
	    0);
	CU_ASSERT(conf_set_kv(cf, "consent.org_type=V6", err, sizeof err) ==
	    0);
	str_fmt(kv, sizeof kv, "consent.cache_ttl=%s", ttl);
	CU_ASSERT(conf_set_kv(cf, kv, err, sizeof err) == 0);
	str_fmt(kv, sizeof kv, "consent.cache_max=%s", max);
	CU_ASSERT(conf_set_kv(cf, kv, err, sizeof err) == 0);
	CU_ASSERT(conf_set_kv(cf, "consent.category_map=REP=GGC002; "
	    "LAB=GGC012;MED=GGC013", err, sizeof err) == 0);
	CU_ASSERT(conf_set_kv(cf, "consent.requesters=CN=gw.b,O=B|87654321|"
	    "Z3|01.015|123456789; anonymous|11223344|V6|01.000", err,
	    sizeof err) == 0);
	CU_ASSERT(conf_check(cf, err, sizeof err) == 0);
	CU_ASSERT(consent_open(cf, &c, err, sizeof err) == XDS_OK);
	return c;
}

static void
test_consent_cache(void)
{
	struct fake f;
	struct conf cf;
	struct consent *c;
	char why[256];
	unsigned long long asked, cached;

	CU_ASSERT_FATAL(fake_start(&f, "Permit") == 0);
	c = open_consent(&cf, f.port, "60", "2");
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_PERMIT);
	CU_ASSERT_STRING_EQUAL(why, "Mitz: Permit");
	CU_ASSERT_EQUAL(questions(&f), 1);
	/* what Mitz was asked: the BSN, the category, the requester */
	pthread_mutex_lock(&f.mu);
	CU_ASSERT(strstr(f.last, "XACMLAuthzDecisionQuery") != NULL &&
	    strstr(f.last, "extension=\"" BSN1 "\"") != NULL &&
	    strstr(f.last, "code=\"GGC002\"") != NULL &&
	    strstr(f.last, "extension=\"87654321\"") != NULL &&
	    strstr(f.last, ACT_MITZ_CLOSED) != NULL);
	pthread_mutex_unlock(&f.mu);
	/* kept: not asked again */
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_PERMIT);
	CU_ASSERT_EQUAL(questions(&f), 1);
	CU_ASSERT(strstr(why, "kept") != NULL);
	/* another category, another patient: asked */
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC012", why, sizeof why),
	    MITZ_PERMIT);
	CU_ASSERT_EQUAL(questions(&f), 2);
	/* a third entry pushes out the least recently used: BSN1 GGC002 */
	CU_ASSERT_EQUAL(consent_ask(c, BSN2, &REQ, "GGC002", why, sizeof why),
	    MITZ_PERMIT);
	CU_ASSERT_EQUAL(questions(&f), 3);
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC012", why, sizeof why),
	    MITZ_PERMIT);
	CU_ASSERT_EQUAL(questions(&f), 3);	/* still kept */
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_PERMIT);
	CU_ASSERT_EQUAL(questions(&f), 4);	/* was pushed out */
	/* a changed consent: the patient's entries are dropped */
	decide(&f, "Deny");
	consent_invalidate(c, BSN1);
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_DENY);
	CU_ASSERT_EQUAL(questions(&f), 5);
	CU_ASSERT_STRING_EQUAL(why, "Mitz: Deny");
	/* a Deny is kept too, until it expires */
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_DENY);
	CU_ASSERT_EQUAL(questions(&f), 5);
	decide(&f, "Permit");
	clock_test_advance(61);
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_PERMIT);
	CU_ASSERT_EQUAL(questions(&f), 6);
	/* Indeterminate is never kept */
	consent_invalidate(c, NULL);
	decide(&f, "Indeterminate");
	CU_ASSERT_EQUAL(consent_ask(c, BSN2, &REQ, "GGC002", why, sizeof why),
	    MITZ_INDETERMINATE);
	CU_ASSERT_EQUAL(consent_ask(c, BSN2, &REQ, "GGC002", why, sizeof why),
	    MITZ_INDETERMINATE);
	CU_ASSERT_EQUAL(questions(&f), 8);
	consent_counts(c, &asked, &cached);
	CU_ASSERT(asked == 8 && cached == 3);
	consent_close(c);
	fake_stop(&f);
}

static void
test_consent_nocache(void)
{
	struct fake f;
	struct conf cf;
	struct consent *c;
	char why[256];

	CU_ASSERT_FATAL(fake_start(&f, "NotApplicable") == 0);
	c = open_consent(&cf, f.port, "0", "10");
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_NOT_APPLICABLE);
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_NOT_APPLICABLE);
	CU_ASSERT_EQUAL(questions(&f), 2);
	consent_close(c);
	fake_stop(&f);
}

static void
test_consent_dead(void)
{
	struct fake f;
	struct conf cf;
	struct consent *c;
	char why[256];
	int port;

	/* a port that was just free: refused */
	CU_ASSERT_FATAL(fake_start(&f, "Permit") == 0);
	port = f.port;
	fake_stop(&f);
	c = open_consent(&cf, port, "60", "10");
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(consent_ask(c, BSN1, &REQ, "GGC002", why, sizeof why),
	    MITZ_NO_ANSWER);
	CU_ASSERT(strstr(why, "Mitz did not answer") != NULL);
	CU_ASSERT(strstr(why, BSN1) == NULL);
	consent_close(c);
}

static void
test_consent_tables(void)
{
	struct conf cf;
	struct consent *c;
	struct mitz_requester r;
	const char *cats[8];
	char err[256];

	c = open_consent(&cf, 1, "0", "10");
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(consent_requester(c, "CN=gw.b,O=B", &r), XDS_OK);
	CU_ASSERT(strcmp(r.ura, "87654321") == 0 && strcmp(r.org_type,
	    "Z3") == 0 && strcmp(r.role, "01.015") == 0 &&
	    strcmp(r.professional, "123456789") == 0 && r.mandated[0] == '\0');
	CU_ASSERT_EQUAL(consent_requester(c, "anonymous", &r), XDS_OK);
	CU_ASSERT(strcmp(r.ura, "11223344") == 0 && r.professional[0] == '\0');
	CU_ASSERT_EQUAL(consent_requester(c, "CN=other", &r), XDS_ENOTFOUND);
	CU_ASSERT_STRING_EQUAL(consent_category(c, "LAB"), "GGC012");
	CU_ASSERT_STRING_EQUAL(consent_category(c, "OTHER"), "GGC002");
	CU_ASSERT_EQUAL(consent_categories(c, cats, 8), 3);
	CU_ASSERT(!consent_allow_all(c));
	consent_close(c);
	/* the options' checks */
	conf_defaults(&cf);
	CU_ASSERT(conf_set_kv(&cf, "consent.requesters=CN=a|1234", err,
	    sizeof err) != 0);
	CU_ASSERT(conf_set_kv(&cf, "consent.requesters=nosubject|1|2|3", err,
	    sizeof err) != 0);
	CU_ASSERT(conf_set_kv(&cf, "consent.category_map=REP", err,
	    sizeof err) != 0);
	CU_ASSERT(conf_set_kv(&cf, "consent.category_map=REP=;", err,
	    sizeof err) != 0);
	CU_ASSERT(conf_set_kv(&cf, "consent.mode=mitz", err, sizeof err) ==
	    0);
	CU_ASSERT(conf_check(&cf, err, sizeof err) != 0);
	CU_ASSERT(strstr(err, "consent.mitz_url") != NULL);
	conf_defaults(&cf);
	CU_ASSERT(conf_set_kv(&cf, "http.tls=yes", err, sizeof err) == 0);
	CU_ASSERT(conf_set_kv(&cf, "http.cert=c", err, sizeof err) == 0);
	CU_ASSERT(conf_set_kv(&cf, "http.key=k", err, sizeof err) == 0);
	CU_ASSERT(conf_set_kv(&cf, "http.ca=a", err, sizeof err) == 0);
	CU_ASSERT(conf_check(&cf, err, sizeof err) != 0);
	CU_ASSERT(strstr(err, "consent.mode") != NULL);
	CU_ASSERT(conf_set_kv(&cf, "gateway.responding=no", err, sizeof err) ==
	    0);
	CU_ASSERT(conf_check(&cf, err, sizeof err) == 0);
}

int
main(void)
{
	static const struct cutest tests[] = {
		{ "query", test_query },
		{ "query refused", test_query_refused },
		{ "answer", test_answer },
		{ "open question", test_loc_query },
		{ "open question's answer", test_loc_answer },
		{ "consent cache", test_consent_cache },
		{ "consent without cache", test_consent_nocache },
		{ "consent: Mitz dead", test_consent_dead },
		{ "consent: requesters, categories, options",
		    test_consent_tables },
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	xml_init();
	rc = cutest_run("gateway_mitz", tests, sizeof tests / sizeof tests[0]);
	curl_global_cleanup();
	return rc;
}
