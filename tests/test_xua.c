/*
 * test_xua.c: X-User Assertions (lib/xua): the assertion built from
 * claims and read back, the value forms peers send, times; signing with
 * RSA-SHA256, RSA-SHA1 and ECDSA-SHA256 and verifying, and every refusal:
 * an attribute changed after signing, a second assertion beside or around
 * the signed one, a reference to something else, a transform not
 * allowed, expired (NotOnOrAfter is exclusive) and not yet valid around
 * the skew, another audience, a signer outside the trust store, no
 * signature, no assertion, a required attribute missing; a signer on its
 * CA's CRL, a CA without a CRL in the set, an out-of-date CRL.  libxml2
 * stays safe after xmlsec is initialised.
 */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/globals.h>
#include <libxml/parser.h>

#include "buf.h"
#include "pki.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "tlscerts.h"
#include "vocab.h"
#include "xml.h"
#include "xua.h"
#include "xua_dsig.h"

#define AUD	"urn:oid:1.2.3.4.5"

static char dir[512];
static struct xua_signer *rsa, *ec, *rogue;
static struct xua_trust *trust;
static const struct pki_crls *crls;	/* verify_at's; NULL: none */
static time_t now;

static void
path(char *out, size_t n, const char *f)
{
	str_fmt(out, n, "%s/%s", dir, f);
}

static int
setup(void)
{
	char cmd[1024], k[600], c[600], err[256];

	xml_init();
	if (testutil_tmpdir("xua", dir, sizeof dir) != 0 ||
	    tls_make_certs(dir) != 0)
		return -1;
	str_fmt(cmd, sizeof cmd, "cd '%s' && exec >>log 2>&1 && "
	    "openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr "
	    "-subj /CN=xua-rsa && openssl x509 -req -in rsa.csr -CA ca.pem "
	    "-CAkey ca.key -CAcreateserial -days 2 -out rsa.pem", dir);
	if (tls_sh(cmd) != 0)
		return -1;
	/* CRLs of the test CA: none.crl before cli.pem (the ec signer) is
	 * revoked, crl.pem after, old.crl out of date; other.crl is the
	 * other CA's, which says nothing of the test CA */
	str_fmt(cmd, sizeof cmd, "cd '%s' && exec >>log 2>&1 && "
	    "printf '[ca]\\ndefault_ca=t\\n[t]\\ndatabase=index\\n"
	    "crlnumber=crlnum\\ndefault_md=sha256\\n"
	    "default_crl_days=2\\n' >ca.cnf && : >index && "
	    "echo 01 >crlnum && C='-config ca.cnf -cert ca.pem -keyfile "
	    "ca.key' && openssl ca $C -gencrl -out none.crl && "
	    "openssl ca $C -revoke cli.pem && openssl ca $C -gencrl "
	    "-out crl.pem && openssl ca $C -gencrl -crl_lastupdate "
	    "20200101000000Z -crl_nextupdate 20200102000000Z -out old.crl && "
	    ": >index && openssl ca -config ca.cnf -cert other.pem -keyfile "
	    "other.key -gencrl -out other.crl", dir);
	if (tls_sh(cmd) != 0)
		return -1;
	now = time(NULL);
	path(k, sizeof k, "rsa.key");
	path(c, sizeof c, "rsa.pem");
	if (xua_signer_open(k, c, &rsa, err, sizeof err) != XDS_OK)
		return -1;
	path(k, sizeof k, "cli.key");
	path(c, sizeof c, "cli.pem");
	if (xua_signer_open(k, c, &ec, err, sizeof err) != XDS_OK)
		return -1;
	path(k, sizeof k, "other.key");
	path(c, sizeof c, "other.pem");
	if (xua_signer_open(k, c, &rogue, err, sizeof err) != XDS_OK)
		return -1;
	path(c, sizeof c, "ca.pem");
	if (xua_trust_open(c, "urn:oid:9.9;" AUD, 0, &trust, err,
	    sizeof err) != XDS_OK)
		return -1;
	return 0;
}

static int
cleanup(void)
{
	xua_signer_close(rsa);
	xua_signer_close(ec);
	xua_signer_close(rogue);
	xua_trust_close(trust);
	(void)testutil_rmtree(dir);
	return 0;
}

static struct xua_claims
claims(void)
{
	struct xua_claims c;

	memset(&c, 0, sizeof c);
	str_lcpy(c.id, "_a1b2c3", sizeof c.id);
	str_lcpy(c.issuer, "urn:oid:2.16.528.1.1007.3.3.87654321",
	    sizeof c.issuer);
	str_lcpy(c.subject, "UZI 900012345", sizeof c.subject);
	str_lcpy(c.audience, AUD, sizeof c.audience);
	c.issued = c.not_before = now - 5;
	c.not_on_or_after = now + 600;
	str_lcpy(c.provider_id, "900012345", sizeof c.provider_id);
	str_lcpy(c.role, "01.015", sizeof c.role);
	str_lcpy(c.ura, "87654321", sizeof c.ura);
	str_lcpy(c.org_type, "V4", sizeof c.org_type);
	str_lcpy(c.purpose, "TREAT", sizeof c.purpose);
	str_lcpy(c.event_code, "GGC002", sizeof c.event_code);
	str_lcpy(c.subject_id, "Dr. A & B <test>", sizeof c.subject_id);
	str_lcpy(c.home_community_id, "urn:oid:1.2.3", sizeof
	    c.home_community_id);
	return c;
}

/* The signed assertion of c (alg, signer s) into out, as text. */
static char *
signed_xml(const struct xua_claims *c, struct xua_signer *s,
    enum xua_alg alg)
{
	struct buf u, sig;
	char err[256];

	buf_init(&u, 1 << 16);
	buf_init(&sig, 1 << 17);
	CU_ASSERT_EQUAL_FATAL(xua_build(c, &u, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(xua_sign(s, alg, u.b_data, u.b_len, &sig, err,
	    sizeof err), XDS_OK);
	buf_free(&u);
	return buf_take(&sig, NULL);
}

static char last_err[256];	/* verify_at's last refusal */

/* xua_verify on "<wsse:Security>" + inner + "</wsse:Security>" at t:
 * its status, the reason in *why (its text in last_err), the claims in
 * *out. */
static int
verify_at(const char *inner, time_t t, enum xua_fail *why,
    struct xua_claims *out)
{
	struct buf b;
	struct xua_claims c;
	xmlDoc *doc;
	char err[256];
	int rc;

	buf_init(&b, 1 << 18);
	CU_ASSERT_EQUAL_FATAL(buf_addf(&b, "<wsse:Security xmlns:wsse=\"%s\">"
	    "%s</wsse:Security>", NS_WSSE, inner), XDS_OK);
	doc = xml_parse(b.b_data, b.b_len, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	err[0] = '\0';
	rc = xua_verify(trust, crls, xmlDocGetRootElement(doc), t, &c, why,
	    err, sizeof err);
	if (rc != XDS_OK)
		str_lcpy(last_err, err, sizeof last_err);
	if (rc != XDS_OK)
		CU_ASSERT(err[0] != '\0');
	if (out != NULL)
		*out = c;
	xmlFreeDoc(doc);
	buf_free(&b);
	return rc;
}

static enum xua_fail
refusal(const char *inner, time_t t)
{
	enum xua_fail why = XUA_OK;

	(void)verify_at(inner, t, &why, NULL);
	return why;
}

/* s with the first from replaced by to (a new string). */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n;
	char *r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	n = strlen(s) - strlen(from) + strlen(to) + 1;
	r = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	str_fmt(r, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return r;
}

static void
test_build_read(void)
{
	struct xua_claims c = claims(), r;
	struct buf b;
	char err[256];

	buf_init(&b, 1 << 16);
	CU_ASSERT_EQUAL_FATAL(xua_build(&c, &b, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(xua_parse(b.b_data, b.b_len, &r, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(r.id, c.id);
	CU_ASSERT_STRING_EQUAL(r.issuer, c.issuer);
	CU_ASSERT_STRING_EQUAL(r.subject, c.subject);
	CU_ASSERT_STRING_EQUAL(r.audience, AUD);
	CU_ASSERT_EQUAL(r.not_before, c.not_before);
	CU_ASSERT_EQUAL(r.not_on_or_after, c.not_on_or_after);
	CU_ASSERT_STRING_EQUAL(r.provider_id, "900012345");
	CU_ASSERT_STRING_EQUAL(r.role, "01.015");
	CU_ASSERT_STRING_EQUAL(r.ura, "87654321");
	CU_ASSERT_STRING_EQUAL(r.purpose, "TREAT");
	CU_ASSERT_STRING_EQUAL(r.org_type, "V4");
	CU_ASSERT_STRING_EQUAL(r.event_code, "GGC002");
	CU_ASSERT_STRING_EQUAL(r.subject_id, "Dr. A & B <test>");
	CU_ASSERT_STRING_EQUAL(r.home_community_id, "urn:oid:1.2.3");
	CU_ASSERT_STRING_EQUAL(r.mandated, "");
	CU_ASSERT_EQUAL(xua_require(&r, err, sizeof err), XDS_OK);
	buf_free(&b);

	c.purpose[0] = '\0';
	buf_init(&b, 1 << 16);
	CU_ASSERT_EQUAL(xua_build(&c, &b, err, sizeof err), XDS_EINVAL);
	c = claims();
	str_lcpy(c.id, "1abc", sizeof c.id);
	CU_ASSERT_EQUAL(xua_build(&c, &b, err, sizeof err), XDS_EINVAL);
	buf_free(&b);
}

#define A_OPEN "<saml2:Assertion xmlns:saml2=\"" NS_SAML "\" ID=\"_x\">" \
	"<saml2:AttributeStatement>"
#define A_CLOSE "</saml2:AttributeStatement></saml2:Assertion>"

static int
read_one(const char *attrs, struct xua_claims *c)
{
	char x[4096], err[256];

	str_fmt(x, sizeof x, "%s%s%s", A_OPEN, attrs, A_CLOSE);
	err[0] = '\0';
	return xua_parse(x, strlen(x), c, err, sizeof err);
}

static void
test_value_forms(void)
{
	static const char empty[] = "<saml2:Assertion xmlns:saml2=\""
	    NS_SAML "\"/>";
	struct xua_claims c;

	/* plain strings */
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\"" MITZ_ATTR_ROLE
	    "\"><saml2:AttributeValue> 01.015 </saml2:AttributeValue>"
	    "</saml2:Attribute><saml2:Attribute Name=\""
	    MITZ_ATTR_REQUESTER_URA "\"><saml2:AttributeValue>87654321"
	    "</saml2:AttributeValue></saml2:Attribute>", &c), XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.role, "01.015");
	CU_ASSERT_STRING_EQUAL(c.ura, "87654321");
	/* HL7v3 elements, any prefix, urn:oid: roots */
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\"" MITZ_ATTR_ROLE
	    "\"><saml2:AttributeValue><Role xmlns=\"urn:hl7-org:v3\" "
	    "code=\"01.013\" codeSystem=\"" OID_UZI_ROLE "\"/>"
	    "</saml2:AttributeValue></saml2:Attribute><saml2:Attribute Name=\""
	    MITZ_ATTR_REQUESTER_URA "\"><saml2:AttributeValue><v3:II "
	    "xmlns:v3=\"urn:hl7-org:v3\" root=\"urn:oid:" OID_URA "\" "
	    "extension=\"12345678\"/></saml2:AttributeValue>"
	    "</saml2:Attribute>", &c), XDS_OK);
	CU_ASSERT_STRING_EQUAL(c.role, "01.013");
	CU_ASSERT_STRING_EQUAL(c.ura, "12345678");
	/* an URA under another root */
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\""
	    MITZ_ATTR_REQUESTER_URA "\"><saml2:AttributeValue><II "
	    "xmlns=\"urn:hl7-org:v3\" root=\"" OID_UZI "\" "
	    "extension=\"12345678\"/></saml2:AttributeValue>"
	    "</saml2:Attribute>", &c), XDS_EFORMAT);
	/* a second role, a second value, a II without extension */
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\"" MITZ_ATTR_ROLE
	    "\"><saml2:AttributeValue>a</saml2:AttributeValue>"
	    "</saml2:Attribute><saml2:Attribute Name=\"" MITZ_ATTR_ROLE
	    "\"><saml2:AttributeValue>b</saml2:AttributeValue>"
	    "</saml2:Attribute>", &c), XDS_EFORMAT);
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\"" MITZ_ATTR_PURPOSE
	    "\"><saml2:AttributeValue>TREAT</saml2:AttributeValue>"
	    "<saml2:AttributeValue>COC</saml2:AttributeValue>"
	    "</saml2:Attribute>", &c), XDS_EFORMAT);
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\""
	    MITZ_ATTR_PROFESSIONAL "\"><saml2:AttributeValue><II "
	    "xmlns=\"urn:hl7-org:v3\" root=\"" OID_UZI "\"/>"
	    "</saml2:AttributeValue></saml2:Attribute>", &c), XDS_EFORMAT);
	/* too long */
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\"" MITZ_ATTR_ROLE
	    "\"><saml2:AttributeValue>0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789</saml2:AttributeValue>"
	    "</saml2:Attribute>", &c), XDS_EFORMAT);
	/* unknown attributes are skipped; no ID is refused */
	CU_ASSERT_EQUAL(read_one("<saml2:Attribute Name=\"urn:x\">"
	    "<saml2:AttributeValue>x</saml2:AttributeValue>"
	    "</saml2:Attribute>", &c), XDS_OK);
	CU_ASSERT_EQUAL(xua_parse(empty, strlen(empty), &c, (char[64]){ 0 },
	    64), XDS_EFORMAT);
}

static void
test_times(void)
{
	time_t t;
	char s[32];

	CU_ASSERT_EQUAL(xua_time_parse("2026-12-06T15:04:05Z", &t), 0);
	xua_time_fmt(t, s, sizeof s);
	CU_ASSERT_STRING_EQUAL(s, "2026-12-06T15:04:05Z");
	CU_ASSERT_EQUAL(xua_time_parse("2026-12-06T16:04:05.123+01:00", &t),
	    0);
	xua_time_fmt(t, s, sizeof s);
	CU_ASSERT_STRING_EQUAL(s, "2026-12-06T15:04:05Z");
	CU_ASSERT_EQUAL(xua_time_parse("2026-12-06T15:04:05", &t), -1);
	/* a zone cut short: nothing past the string's end is read (found
	 * by fuzz_xua: the ':' after the hour was looked at first) */
	{
		static const char *const cut[] = { "2026-12-06T15:04:05+",
		    "2026-12-06T15:04:05.5+0", "2026-12-06T15:04:05-01",
		    "2026-12-06T15:04:05+01:", "2026-12-06T15:04:05+01:0" };
		char *h;
		size_t k;

		for (k = 0; k < sizeof cut / sizeof cut[0]; k++) {
			/* on the heap, just big enough: ASan sees an
			 * over-read */
			CU_ASSERT_PTR_NOT_NULL_FATAL(h = strdup(cut[k]));
			CU_ASSERT_EQUAL(xua_time_parse(h, &t), -1);
			free(h);
		}
	}
	CU_ASSERT_EQUAL(xua_time_parse("2026-13-06T15:04:05Z", &t), -1);
	CU_ASSERT_EQUAL(xua_time_parse("2026-12-06T15:04:05Zx", &t), -1);
	CU_ASSERT_EQUAL(xua_time_parse("2026-12-06T15:04:05.Z", &t), -1);
}

static void
test_sign_verify(void)
{
	struct xua_claims c = claims(), r;
	enum xua_fail why;
	char *x, err[256];
	struct buf b;

	x = signed_xml(&c, rsa, XUA_RSA_SHA256);
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "rsa-sha256"));
	CU_ASSERT_EQUAL(verify_at(x, now, &why, &r), XDS_OK);
	CU_ASSERT_EQUAL(why, XUA_OK);
	CU_ASSERT_STRING_EQUAL(r.ura, "87654321");
	CU_ASSERT_STRING_EQUAL(r.provider_id, "900012345");
	free(x);
	x = signed_xml(&c, rsa, XUA_RSA_SHA1);
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "rsa-sha1"));
	CU_ASSERT_EQUAL(verify_at(x, now, &why, NULL), XDS_OK);
	free(x);
	x = signed_xml(&c, ec, XUA_ECDSA_SHA256);
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "ecdsa-sha256"));
	CU_ASSERT_EQUAL(verify_at(x, now, &why, NULL), XDS_OK);
	free(x);
	/* the algorithm must fit the key */
	buf_init(&b, 1 << 16);
	CU_ASSERT_EQUAL(xua_build(&c, &b, err, sizeof err), XDS_OK);
	{
		struct buf o;

		buf_init(&o, 1 << 16);
		CU_ASSERT_EQUAL(xua_sign(rsa, XUA_ECDSA_SHA256, b.b_data,
		    b.b_len, &o, err, sizeof err), XDS_EINVAL);
		CU_ASSERT_EQUAL(xua_sign(ec, XUA_RSA_SHA256, b.b_data,
		    b.b_len, &o, err, sizeof err), XDS_EINVAL);
		buf_free(&o);
	}
	buf_free(&b);
}

static void
test_tampered(void)
{
	struct xua_claims c = claims();
	char *x, *t;

	x = signed_xml(&c, rsa, XUA_RSA_SHA256);
	t = replace(x, "code=\"01.015\"", "code=\"01.016\"");
	CU_ASSERT_EQUAL(verify_at(t, now, (enum xua_fail[1]){ 0 }, NULL),
	    XDS_EAUTH);
	CU_ASSERT_EQUAL(refusal(t, now), XUA_BAD_SIGNATURE);
	free(t);
	t = replace(x, "87654321\"", "11111111\"");
	CU_ASSERT_EQUAL(refusal(t, now), XUA_BAD_SIGNATURE);
	free(t);
	free(x);
}

static void
test_wrapping(void)
{
	struct xua_claims c = claims(), evil = claims();
	struct buf u;
	char *x, *two, *t, err[256];

	x = signed_xml(&c, rsa, XUA_RSA_SHA256);
	/* an unsigned assertion beside the signed one */
	str_lcpy(evil.id, "_evil", sizeof evil.id);
	str_lcpy(evil.ura, "11111111", sizeof evil.ura);
	buf_init(&u, 1 << 16);
	CU_ASSERT_EQUAL_FATAL(xua_build(&evil, &u, err, sizeof err), XDS_OK);
	two = malloc(strlen(x) + u.b_len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(two);
	str_fmt(two, strlen(x) + u.b_len + 1, "%s%s", u.b_data, x);
	CU_ASSERT_EQUAL(verify_at(two, now, (enum xua_fail[1]){ 0 }, NULL),
	    XDS_ESECURITY);
	CU_ASSERT_EQUAL(refusal(two, now), XUA_MALFORMED);
	free(two);
	/* the signed one hidden inside the unsigned one, the signature
	 * moved to the outside: its reference names the hidden one */
	t = replace(u.b_data, "</saml2:AttributeStatement>",
	    "</saml2:AttributeStatement><saml2:Advice>");
	two = malloc(strlen(t) + strlen(x) + 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(two);
	str_fmt(two, strlen(t) + strlen(x) + 32, "%.*s%s</saml2:Advice>"
	    "</saml2:Assertion>", (int)(strlen(t) - strlen(
	    "</saml2:Assertion>")), t, x);
	CU_ASSERT_EQUAL(refusal(two, now), XUA_MALFORMED);
	free(two);
	free(t);
	/* the evil assertion under the signed one's ID, carrying its
	 * signature: the digest is over the evil one */
	{
		char *sig0 = strstr(x, "<Signature"), *sig1;
		char *e2, *e3;

		CU_ASSERT_PTR_NOT_NULL_FATAL(sig0);
		sig1 = strstr(sig0, "</Signature>");
		CU_ASSERT_PTR_NOT_NULL_FATAL(sig1);
		sig1 += strlen("</Signature>");
		e2 = replace(u.b_data, "ID=\"_evil\"", "ID=\"_a1b2c3\"");
		e3 = malloc(strlen(e2) + (size_t)(sig1 - sig0) + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e3);
		t = strstr(e2, "</saml2:Issuer>") + strlen("</saml2:Issuer>");
		str_fmt(e3, strlen(e2) + (size_t)(sig1 - sig0) + 1,
		    "%.*s%.*s%s", (int)(t - e2), e2, (int)(sig1 - sig0), sig0,
		    t);
		CU_ASSERT_EQUAL(refusal(e3, now), XUA_BAD_SIGNATURE);
		/* the same with its own ID: the reference is to another */
		free(e2);
		e2 = replace(e3, "ID=\"_a1b2c3\"", "ID=\"_evil\"");
		CU_ASSERT_EQUAL(refusal(e2, now), XUA_BAD_REFERENCE);
		free(e2);
		free(e3);
	}
	/* a transform not allowed in the reference */
	t = replace(x, "<Transforms>", "<Transforms><Transform "
	    "Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\">"
	    "<XPath>1</XPath></Transform>");
	CU_ASSERT_EQUAL(refusal(t, now), XUA_BAD_REFERENCE);
	free(t);
	/* a reference to the whole document */
	t = replace(x, "URI=\"#_a1b2c3\"", "URI=\"\"");
	CU_ASSERT_EQUAL(refusal(t, now), XUA_BAD_REFERENCE);
	free(t);
	buf_free(&u);
	free(x);
}

static void
test_validity(void)
{
	struct xua_claims c = claims();
	char *x, err[256], ca[600];
	struct xua_trust *skewed;
	struct xua_trust *keep = trust;

	/* a window after the certificates' start, which is checked at the
	 * same instant */
	c.issued = c.not_before = now + 100;
	c.not_on_or_after = now + 700;
	x = signed_xml(&c, rsa, XUA_RSA_SHA256);
	/* skew 0: NotOnOrAfter is the first instant it is not valid */
	CU_ASSERT_EQUAL(refusal(x, c.not_on_or_after - 1), XUA_OK);
	CU_ASSERT_EQUAL(refusal(x, c.not_on_or_after), XUA_EXPIRED);
	CU_ASSERT_EQUAL(refusal(x, c.not_before), XUA_OK);
	CU_ASSERT_EQUAL(refusal(x, c.not_before - 1), XUA_NOT_YET_VALID);
	/* skew 60 widens both ends by 60 s, no more */
	path(ca, sizeof ca, "ca.pem");
	CU_ASSERT_EQUAL_FATAL(xua_trust_open(ca, AUD, 60, &skewed, err,
	    sizeof err), XDS_OK);
	trust = skewed;
	CU_ASSERT_EQUAL(refusal(x, c.not_on_or_after + 59), XUA_OK);
	CU_ASSERT_EQUAL(refusal(x, c.not_on_or_after + 60), XUA_EXPIRED);
	CU_ASSERT_EQUAL(refusal(x, c.not_before - 60), XUA_OK);
	CU_ASSERT_EQUAL(refusal(x, c.not_before - 61), XUA_NOT_YET_VALID);
	trust = keep;
	xua_trust_close(skewed);
	free(x);
}

static void
test_refusals(void)
{
	struct xua_claims c = claims();
	struct buf u, s;
	char *x, *t, err[256];
	enum xua_fail why;

	/* another audience */
	str_lcpy(c.audience, "urn:oid:6.6.6", sizeof c.audience);
	x = signed_xml(&c, rsa, XUA_RSA_SHA256);
	CU_ASSERT_EQUAL(verify_at(x, now, &why, NULL), XDS_EAUTH);
	CU_ASSERT_EQUAL(why, XUA_AUDIENCE);
	free(x);
	/* a signer outside the trust store */
	c = claims();
	x = signed_xml(&c, rogue, XUA_ECDSA_SHA256);
	CU_ASSERT_EQUAL(verify_at(x, now, &why, NULL), XDS_EAUTH);
	CU_ASSERT_EQUAL(why, XUA_UNTRUSTED);
	free(x);
	/* not signed */
	buf_init(&u, 1 << 16);
	CU_ASSERT_EQUAL_FATAL(xua_build(&c, &u, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(verify_at(u.b_data, now, &why, NULL), XDS_ESECURITY);
	CU_ASSERT_EQUAL(why, XUA_UNSIGNED);
	/* no assertion, no header */
	CU_ASSERT_EQUAL(refusal("", now), XUA_MISSING);
	CU_ASSERT_EQUAL(xua_verify(trust, NULL, NULL, now, &c, &why, err,
	    sizeof err), XDS_ESECURITY);
	CU_ASSERT_EQUAL(why, XUA_MISSING);
	/* signed, but without the purpose of use */
	t = strstr(u.b_data, "<saml2:Attribute Name=\"" MITZ_ATTR_PURPOSE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	{
		char *e = strstr(t, "</saml2:Attribute>");
		char *cut;

		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		e += strlen("</saml2:Attribute>");
		cut = malloc(u.b_len + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
		str_fmt(cut, u.b_len + 1, "%.*s%s", (int)(t - u.b_data),
		    u.b_data, e);
		buf_init(&s, 1 << 17);
		CU_ASSERT_EQUAL_FATAL(xua_sign(rsa, XUA_RSA_SHA256, cut,
		    strlen(cut), &s, err, sizeof err), XDS_OK);
		CU_ASSERT_EQUAL(verify_at(s.b_data, now, &why, NULL),
		    XDS_EAUTH);
		CU_ASSERT_EQUAL(why, XUA_ATTRIBUTES);
		buf_free(&s);
		free(cut);
	}
	buf_free(&u);
	/* every reason has a name */
	for (why = XUA_OK; why < XUA_NFAILS; why++)
		CU_ASSERT_STRING_NOT_EQUAL(xua_fail_name(why), "unknown");
}

/* The CRLs of file f in the test directory, loaded. */
static struct pki_crls *
crls_of(const char *f)
{
	struct pki_crls *s = NULL;
	char p[600], err[256];

	path(p, sizeof p, f);
	CU_ASSERT_EQUAL_FATAL(pki_crls_load(p, &s, err, sizeof err), XDS_OK);
	return s;
}

/* The signer's chain against a CRL set: revoked, unknown to the set and
 * out of date are refused as an untrusted signer, saying which. */
static void
test_revocation(void)
{
	struct xua_claims c = claims();
	struct pki_crls *none, *revoked, *old, *other;
	char *good, *bad;
	enum xua_fail why;

	good = signed_xml(&c, rsa, XUA_RSA_SHA256);
	bad = signed_xml(&c, ec, XUA_ECDSA_SHA256);
	none = crls_of("none.crl");
	revoked = crls_of("crl.pem");
	old = crls_of("old.crl");
	other = crls_of("other.crl");
	/* before the revocation: both signers taken */
	crls = none;
	CU_ASSERT_EQUAL(verify_at(good, now, &why, NULL), XDS_OK);
	CU_ASSERT_EQUAL(verify_at(bad, now, &why, NULL), XDS_OK);
	/* after it: the revoked signer refused, the other taken */
	crls = revoked;
	CU_ASSERT_EQUAL(verify_at(good, now, &why, NULL), XDS_OK);
	CU_ASSERT_EQUAL(verify_at(bad, now, &why, NULL), XDS_EAUTH);
	CU_ASSERT_EQUAL(why, XUA_UNTRUSTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_err, "revoked"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_err, "client.example"));
	/* no CRL of the signer's CA in the set: fail-closed, as TLS */
	crls = other;
	CU_ASSERT_EQUAL(verify_at(good, now, &why, NULL), XDS_EAUTH);
	CU_ASSERT_EQUAL(why, XUA_UNTRUSTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_err, "no CRL"));
	/* a CRL past its nextUpdate: refused too */
	crls = old;
	CU_ASSERT_EQUAL(verify_at(good, now, &why, NULL), XDS_EAUTH);
	CU_ASSERT_EQUAL(why, XUA_UNTRUSTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_err, "out of date"));
	/* no set: no revocation check */
	crls = NULL;
	CU_ASSERT_EQUAL(verify_at(bad, now, &why, NULL), XDS_OK);
	pki_crls_free(none);
	pki_crls_free(revoked);
	pki_crls_free(old);
	pki_crls_free(other);
	free(good);
	free(bad);
}

/* The set in use: a reference outlives its replacement (a reload). */
static void
test_current_set(void)
{
	struct pki_crls *held;

	CU_ASSERT_PTR_NULL(pki_crls_current());
	pki_crls_install(crls_of("crl.pem"));
	held = pki_crls_current();
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT_EQUAL(pki_crls_count(held), 1);
	pki_crls_install(crls_of("none.crl"));	/* the old set is kept */
	CU_ASSERT_EQUAL(pki_crls_count(held), 1);
	CU_ASSERT(pki_crls_next_update(held) > now);
	pki_crls_free(held);
	pki_crls_install(NULL);
	CU_ASSERT_PTR_NULL(pki_crls_current());
}

/* xmlsec is set up, and libxml2 still loads no DTD and substitutes no
 * entity. */
static void
test_libxml_safe(void)
{
	static const char x[] = "<?xml version=\"1.0\"?>"
	    "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	    "<a>&e;</a>";
	char err[256];
	xmlDoc *d;

	CU_ASSERT_EQUAL(xua_init(err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(xmlLoadExtDtdDefaultValue, 0);
	CU_ASSERT_EQUAL(xmlSubstituteEntitiesDefaultValue, 0);
	d = xml_parse(x, sizeof x - 1, err, sizeof err);
	CU_ASSERT_PTR_NULL(d);
	xmlFreeDoc(d);
}

static void
test_alg_names(void)
{
	enum xua_alg a;

	CU_ASSERT_EQUAL(xua_alg_parse("rsa-sha1", &a), 0);
	CU_ASSERT_EQUAL(a, XUA_RSA_SHA1);
	CU_ASSERT_STRING_EQUAL(xua_alg_name(a), "rsa-sha1");
	CU_ASSERT_EQUAL(xua_alg_parse("ecdsa-sha256", &a), 0);
	CU_ASSERT_EQUAL(xua_alg_parse("rsa-sha256", &a), 0);
	CU_ASSERT_EQUAL(a, XUA_RSA_SHA256);
	CU_ASSERT_EQUAL(xua_alg_parse("hmac-sha1", &a), -1);
}

static const struct cutest tests[] = {
	{ "build and read back", test_build_read },
	{ "value forms of peers", test_value_forms },
	{ "xs:dateTime", test_times },
	{ "sign and verify", test_sign_verify },
	{ "tampered after signing", test_tampered },
	{ "wrapping", test_wrapping },
	{ "validity window and skew", test_validity },
	{ "refusals", test_refusals },
	{ "revoked signers, CRLs", test_revocation },
	{ "the CRL set in use", test_current_set },
	{ "libxml2 stays safe", test_libxml_safe },
	{ "algorithm names", test_alg_names },
};

static const struct cutest_suite suites[] = {
	{ "xua", setup, cleanup, tests, NELEM(tests) },
};

int
main(void)
{
	return cutest_run_suites(suites, NELEM(suites));
}
