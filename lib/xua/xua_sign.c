/*
 * xua_sign.c: libxmlsec1 set up once, the node's signing key, and the
 * enveloped signature over an assertion (xua_dsig.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "buf.h"
#include "log.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"
#include "xua_dsig.h"

struct xua_signer {
	xmlSecKeyPtr	 key;		/* with its certificate */
	int		 ec;		/* an EC key */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = XDS_EINTERNAL;
static char init_err[128] = "xmlsec could not be initialised";

/* xmlsec's errors go to the debug log: the reason a caller reports is
 * its own text. */
static void
xmlsec_error(const char *file, int line, const char *func,
    const char *obj, const char *subj, int reason, const char *msg)
{
	(void)file;
	(void)line;
	log_debug("xmlsec: %s: %s %s: %d %s", func != NULL ? func : "",
	    obj != NULL ? obj : "", subj != NULL ? subj : "", reason,
	    msg != NULL ? msg : "");
}

static void
init_xmlsec(void)
{
	int dtd, ent;

	xml_init();
	/* libxml2's per-thread defaults as they are; xmlsec's examples
	 * turn on DTD loading and entity substitution, we never do. */
	dtd = xmlLoadExtDtdDefaultValue;
	ent = xmlSubstituteEntitiesDefaultValue;
	if (xmlSecInit() < 0) {
		str_lcpy(init_err, "xmlSecInit failed", sizeof init_err);
		goto out;
	}
	if (xmlSecCheckVersion() != 1) {
		str_lcpy(init_err, "libxmlsec1 is not the version this node "
		    "was built with", sizeof init_err);
		goto out;
	}
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		str_lcpy(init_err, "xmlsec's OpenSSL back-end could not be "
		    "initialised", sizeof init_err);
		goto out;
	}
	xmlSecErrorsSetCallback(xmlsec_error);
	init_status = XDS_OK;
out:
	xmlLoadExtDtdDefaultValue = dtd;
	xmlSubstituteEntitiesDefault(ent);
}

int
xua_init(char *err, size_t errlen)
{
	(void)pthread_once(&init_once, init_xmlsec);
	if (init_status != XDS_OK)
		str_fmt(err, errlen, "xua: %s", init_err);
	return init_status;
}

int
xua_alg_parse(const char *s, enum xua_alg *alg)
{
	if (strcmp(s, "rsa-sha256") == 0)
		*alg = XUA_RSA_SHA256;
	else if (strcmp(s, "rsa-sha1") == 0)
		*alg = XUA_RSA_SHA1;
	else if (strcmp(s, "ecdsa-sha256") == 0)
		*alg = XUA_ECDSA_SHA256;
	else
		return -1;
	return 0;
}

const char *
xua_alg_name(enum xua_alg a)
{
	switch (a) {
	case XUA_RSA_SHA1:
		return "rsa-sha1";
	case XUA_ECDSA_SHA256:
		return "ecdsa-sha256";
	default:
		return "rsa-sha256";
	}
}

int
xua_signer_open(const char *key_file, const char *cert_file,
    struct xua_signer **out, char *err, size_t errlen)
{
	struct xua_signer *s = NULL;
	xmlSecKeyDataId kid;
	int rc;

	*out = NULL;
	if ((rc = xua_init(err, errlen)) != XDS_OK)
		return rc;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if ((s->key = xmlSecCryptoAppKeyLoad(key_file, xmlSecKeyDataFormatPem,
	    NULL, NULL, NULL)) == NULL) {
		str_fmt(err, errlen, "xua: %s: not a PEM private key",
		    key_file);
		rc = XDS_EINVAL;
		goto fail;
	}
	if (xmlSecCryptoAppKeyCertLoad(s->key, cert_file,
	    xmlSecKeyDataFormatPem) < 0) {
		str_fmt(err, errlen, "xua: %s: not a PEM certificate",
		    cert_file);
		rc = XDS_EINVAL;
		goto fail;
	}
	kid = xmlSecKeyGetValue(s->key) != NULL ?
	    xmlSecKeyGetValue(s->key)->id : NULL;
	s->ec = kid == xmlSecKeyDataEcdsaId;
	*out = s;
	return XDS_OK;
fail:
	xua_signer_close(s);
	return rc;
}

void
xua_signer_close(struct xua_signer *s)
{
	if (s == NULL)
		return;
	if (s->key != NULL)
		xmlSecKeyDestroy(s->key);
	free(s);
}

/* The signature template: enveloped + exc-c14n over "#id", KeyInfo with
 * the certificate; inserted right after saml2:Issuer, where the SAML
 * schema wants it. */
static xmlNode *
add_template(xmlDoc *doc, xmlNode *a, enum xua_alg alg, const char *uri)
{
	xmlSecTransformId sm, dm;
	xmlNode *sig, *ref, *ki, *x5, *issuer;

	switch (alg) {
	case XUA_RSA_SHA1:
		sm = xmlSecTransformRsaSha1Id;
		dm = xmlSecTransformSha1Id;
		break;
	case XUA_ECDSA_SHA256:
		sm = xmlSecTransformEcdsaSha256Id;
		dm = xmlSecTransformSha256Id;
		break;
	default:
		sm = xmlSecTransformRsaSha256Id;
		dm = xmlSecTransformSha256Id;
		break;
	}
	if ((sig = xmlSecTmplSignatureCreate(doc, xmlSecTransformExclC14NId,
	    sm, NULL)) == NULL)
		return NULL;
	if ((issuer = xml_child(a, NS_SAML, "Issuer")) != NULL)
		(void)xmlAddNextSibling(issuer, sig);
	else
		(void)xmlAddPrevSibling(xml_first_elem(a), sig);
	if ((ref = xmlSecTmplSignatureAddReference(sig, dm, NULL,
	    (const xmlChar *)uri, NULL)) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ==
	    NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) ==
	    NULL ||
	    (ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL)) == NULL ||
	    (x5 = xmlSecTmplKeyInfoAddX509Data(ki)) == NULL ||
	    xmlSecTmplX509DataAddCertificate(x5) == NULL)
		return NULL;
	return sig;
}

int
xua_sign(struct xua_signer *s, enum xua_alg alg, const char *xml,
    size_t len, struct buf *out, char *err, size_t errlen)
{
	xmlSecDSigCtxPtr ctx = NULL;
	xmlDoc *doc = NULL;
	xmlNode *a, *sig;
	xmlAttr *idattr;
	xmlBuffer *xb = NULL;
	char uri[XUA_ID_MAX + 1];
	const char *id;
	int rc;

	if ((rc = xua_init(err, errlen)) != XDS_OK)
		return rc;
	if ((alg == XUA_ECDSA_SHA256) != s->ec) {
		str_fmt(err, errlen, "xua: %s needs %s key", xua_alg_name(alg),
		    alg == XUA_ECDSA_SHA256 ? "an EC" : "an RSA");
		return XDS_EINVAL;
	}
	if ((doc = xml_parse(xml, len, err, errlen)) == NULL)
		return XDS_EFORMAT;
	a = xmlDocGetRootElement(doc);
	if (!xml_is(a, NS_SAML, "Assertion") || (id = xml_attr(a, "ID")) ==
	    NULL || str_fmt(uri, sizeof uri, "#%s", id) < 0 ||
	    (idattr = xmlHasProp(a, (const xmlChar *)"ID")) == NULL) {
		str_fmt(err, errlen, "xua: not an assertion with an ID");
		rc = XDS_EFORMAT;
		goto out;
	}
	rc = XDS_EINTERNAL;
	if (xmlAddID(NULL, doc, (const xmlChar *)id, idattr) == NULL ||
	    (sig = add_template(doc, a, alg, uri)) == NULL ||
	    (ctx = xmlSecDSigCtxCreate(NULL)) == NULL ||
	    (ctx->signKey = xmlSecKeyDuplicate(s->key)) == NULL) {
		str_fmt(err, errlen, "xua: the signature could not be set up");
		goto out;
	}
	if (xmlSecDSigCtxSign(ctx, sig) < 0) {
		str_fmt(err, errlen, "xua: signing failed");
		goto out;
	}
	/* as it is: the signature covers its SignedInfo with the prefixes
	 * it has (xml_dump would reconcile them) */
	if ((xb = xmlBufferCreate()) == NULL ||
	    xmlNodeDump(xb, doc, a, 0, 0) < 0) {
		str_fmt(err, errlen, "xua: the signed assertion cannot be "
		    "written");
		rc = XDS_ENOMEM;
		goto out;
	}
	if ((rc = buf_add(out, xmlBufferContent(xb),
	    (size_t)xmlBufferLength(xb))) != XDS_OK)
		str_fmt(err, errlen, "xua: the signed assertion does not fit");
out:
	xmlBufferFree(xb);
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	xmlFreeDoc(doc);
	return rc;
}

const char *
xua_fail_name(enum xua_fail f)
{
	static const char *const names[XUA_NFAILS] = {
		[XUA_OK] = "ok",
		[XUA_MISSING] = "missing",
		[XUA_MALFORMED] = "malformed",
		[XUA_UNSIGNED] = "unsigned",
		[XUA_BAD_REFERENCE] = "bad reference",
		[XUA_BAD_SIGNATURE] = "bad signature",
		[XUA_UNTRUSTED] = "untrusted signer",
		[XUA_EXPIRED] = "expired",
		[XUA_NOT_YET_VALID] = "not yet valid",
		[XUA_AUDIENCE] = "wrong audience",
		[XUA_ATTRIBUTES] = "attributes missing",
	};

	if ((unsigned)f >= XUA_NFAILS)
		return "unknown";
	return names[f];
}
