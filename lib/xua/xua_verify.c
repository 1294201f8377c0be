/*
 * xua_verify.c: the trust store and the verification of an X-User
 * Assertion in a wsse:Security header (xua_dsig.h): one assertion, one
 * enveloped signature over exactly it, a signer that chains to the trust
 * store and is not revoked (the node's CRLs, pki.h), the validity window,
 * the audience, the required attributes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/crypto.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>

#include "pki.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"
#include "xua_dsig.h"

#define XUA_MAX_AUDIENCES	8
#define XUA_CERT_MAX		16384	/* a certificate in KeyInfo, DER */
#define XUA_MAX_CERTS		8	/* certificates in X509Data */

struct xua_trust {
	X509_STORE	*store;
	char		*aud[XUA_MAX_AUDIENCES];
	size_t		 naud;
	int		 skew;
};

int
xua_trust_open(const char *ca_file, const char *audiences, int skew,
    struct xua_trust **out, char *err, size_t errlen)
{
	struct xua_trust *t;
	const char *next = audiences, *s;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = xua_init(err, errlen)) != XDS_OK)
		return rc;
	if ((t = calloc(1, sizeof *t)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	t->skew = skew;
	if ((t->store = X509_STORE_new()) == NULL ||
	    X509_STORE_load_file(t->store, ca_file) != 1) {
		str_fmt(err, errlen, "xua: %s: no CA certificates could be "
		    "read", ca_file);
		rc = XDS_EINVAL;
		goto fail;
	}
	while (next != NULL && *next != '\0') {
		s = str_item(&next, ';', &n);
		if (n == 0)
			continue;
		if (t->naud == XUA_MAX_AUDIENCES) {
			str_fmt(err, errlen, "xua: more than %d audiences",
			    XUA_MAX_AUDIENCES);
			rc = XDS_EINVAL;
			goto fail;
		}
		if ((t->aud[t->naud++] = str_ndup(s, n)) == NULL) {
			str_fmt(err, errlen, "out of memory");
			rc = XDS_ENOMEM;
			goto fail;
		}
	}
	*out = t;
	return XDS_OK;
fail:
	xua_trust_close(t);
	return rc;
}

void
xua_trust_close(struct xua_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->naud; i++)
		free(t->aud[i]);
	X509_STORE_free(t->store);
	free(t);
}

/* How many {ns}name elements are in the subtree under n (n excluded). */
static size_t
count_below(xmlNode *n, const char *ns, const char *name)
{
	xmlNode *c;
	size_t k = 0;

	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c))
		k += (xml_is(c, ns, name) ? 1 : 0) + count_below(c, ns, name);
	return k;
}

/* A base64 certificate (whitespace allowed) as X509. */
static X509 *
b64_cert(const xmlNode *n)
{
	xmlChar *t;
	unsigned char *bin = NULL, *clean = NULL;
	const unsigned char *p;
	X509 *x = NULL;
	size_t i, k = 0, len;
	int dl;

	if ((t = xmlNodeGetContent(n)) == NULL)
		return NULL;
	len = strlen((const char *)t);
	if (len > XUA_CERT_MAX * 4 / 3 + 1024 ||
	    (clean = malloc(len + 1)) == NULL ||
	    (bin = malloc(len + 1)) == NULL)
		goto out;
	for (i = 0; i < len; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r' &&
		    t[i] != '\n')
			clean[k++] = t[i];
	if (k == 0 || k % 4 != 0 || (dl = EVP_DecodeBlock(bin, clean,
	    (int)k)) < 0)
		goto out;
	dl -= (clean[k - 1] == '=') + (clean[k - 2] == '=');
	p = bin;
	x = d2i_X509(NULL, &p, dl);
out:
	free(bin);
	free(clean);
	xmlFree(t);
	return x;
}

/* Why the chain of vc was refused, into err: a revocation names the
 * certificate and what to do. */
static void
chain_refusal(X509_STORE_CTX *vc, char *err, size_t errlen)
{
	X509 *x = X509_STORE_CTX_get_current_cert(vc);
	char name[256] = "?";
	int e = X509_STORE_CTX_get_error(vc);

	if (x != NULL)
		(void)pki_name(X509_get_subject_name(x), name, sizeof name);
	switch (pki_refusal_of(e)) {
	case PKI_REFUSED_REVOKED:
		str_fmt(err, errlen, "the signer's certificate is revoked "
		    "(%s is on its CA's CRL)", name);
		break;
	case PKI_REFUSED_CRL_MISSING:
		str_fmt(err, errlen, "the signer's certificate cannot be "
		    "checked for revocation: no CRL in http.crl for the CA of "
		    "%s (refused, as for TLS peers)", name);
		break;
	case PKI_REFUSED_CRL_EXPIRED:
		str_fmt(err, errlen, "the signer's certificate cannot be "
		    "checked for revocation: the CRL for %s is out of date; "
		    "fetch a fresh one and send SIGHUP", name);
		break;
	default:
		str_fmt(err, errlen, "the signer's certificate is not "
		    "trusted: %s", X509_verify_cert_error_string(e));
	}
}

/*
 * The signer's certificate from the signature's KeyInfo (the first
 * X509Certificate; the others may be intermediates), chained to t's
 * store at time now, and, with crls, checked against them over the whole
 * chain.  XDS_OK with *cert, or a reason.
 */
static int
signer_cert(const struct xua_trust *t, const struct pki_crls *crls,
    xmlNode *sig, time_t now, X509 **cert, enum xua_fail *why, char *err,
    size_t errlen)
{
	xmlNode *ki, *xd, *c;
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *vc = NULL;
	X509 *x, *leaf = NULL;
	size_t n = 0;
	int rc = XDS_EAUTH, ok;

	*cert = NULL;
	if ((ki = xml_child(sig, NS_DSIG, "KeyInfo")) == NULL ||
	    (xd = xml_child(ki, NS_DSIG, "X509Data")) == NULL) {
		*why = XUA_UNTRUSTED;
		str_fmt(err, errlen, "the signature carries no certificate");
		return XDS_EAUTH;
	}
	if ((chain = sk_X509_new_null()) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	for (c = xml_first_elem(xd); c != NULL; c = xml_next_elem(c)) {
		if (!xml_is(c, NS_DSIG, "X509Certificate"))
			continue;
		if (++n > XUA_MAX_CERTS || (x = b64_cert(c)) == NULL) {
			*why = XUA_UNTRUSTED;
			str_fmt(err, errlen, "a certificate in the signature "
			    "cannot be read");
			goto out;
		}
		if (leaf == NULL)
			leaf = x;
		else if (sk_X509_push(chain, x) <= 0) {
			X509_free(x);
			str_fmt(err, errlen, "out of memory");
			rc = XDS_ENOMEM;
			goto out;
		}
	}
	if (leaf == NULL) {
		*why = XUA_UNTRUSTED;
		str_fmt(err, errlen, "the signature carries no certificate");
		goto out;
	}
	if ((vc = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(vc, t->store, leaf, chain) != 1 ||
	    pki_crls_check(crls, vc) != XDS_OK) {
		str_fmt(err, errlen, "out of memory");
		rc = XDS_ENOMEM;
		goto out;
	}
	X509_STORE_CTX_set_time(vc, 0, now);
	if ((ok = X509_verify_cert(vc)) != 1) {
		*why = XUA_UNTRUSTED;
		chain_refusal(vc, err, errlen);
		goto out;
	}
	*cert = leaf;
	leaf = NULL;
	rc = XDS_OK;
out:
	X509_STORE_CTX_free(vc);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* The signature checked with the key of cert, allowing only what
 * xua_dsig.h says, and covering exactly the assertion a. */
static int
check_signature(xmlNode *a, xmlNode *sig, const char *id, X509 *cert,
    enum xua_fail *why, char *err, size_t errlen)
{
	xmlSecDSigCtxPtr ctx = NULL;
	xmlSecDSigReferenceCtxPtr ref;
	xmlSecKeyDataPtr kd = NULL;
	EVP_PKEY *pk;
	xmlAttr *idattr, *found;
	char uri[XUA_ID_MAX + 1];
	int rc = XDS_EINTERNAL;

	idattr = xmlHasProp(a, (const xmlChar *)"ID");
	if (idattr == NULL || str_fmt(uri, sizeof uri, "#%s", id) < 0) {
		*why = XUA_MALFORMED;
		str_fmt(err, errlen, "the assertion's ID is too long");
		return XDS_ESECURITY;
	}
	/* the ID names this element and no other */
	if ((found = xmlGetID(a->doc, (const xmlChar *)id)) == NULL &&
	    xmlAddID(NULL, a->doc, (const xmlChar *)id, idattr) == NULL) {
		str_fmt(err, errlen, "the assertion's ID cannot be "
		    "registered");
		return XDS_EINTERNAL;
	}
	if ((found = xmlGetID(a->doc, (const xmlChar *)id)) == NULL ||
	    found->parent != a) {
		*why = XUA_BAD_REFERENCE;
		str_fmt(err, errlen, "the assertion's ID names another "
		    "element too");
		return XDS_ESECURITY;
	}
	if ((pk = X509_get0_pubkey(cert)) == NULL ||
	    EVP_PKEY_up_ref(pk) != 1) {
		str_fmt(err, errlen, "the signer's key cannot be read");
		return XDS_EINTERNAL;
	}
	if ((kd = xmlSecOpenSSLEvpKeyAdopt(pk)) == NULL) {
		EVP_PKEY_free(pk);
		str_fmt(err, errlen, "the signer's key cannot be used");
		goto out;
	}
	if ((ctx = xmlSecDSigCtxCreate(NULL)) == NULL ||
	    (ctx->signKey = xmlSecKeyCreate()) == NULL ||
	    xmlSecKeySetValue(ctx->signKey, kd) < 0) {
		str_fmt(err, errlen, "xmlsec could not be set up");
		goto out;
	}
	kd = NULL;
	ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	if (xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecTransformRsaSha256Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecTransformRsaSha1Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecTransformEcdsaSha256Id) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformEnvelopedId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformSha256Id) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformSha1Id) < 0) {
		str_fmt(err, errlen, "xmlsec could not be set up");
		goto out;
	}
	if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
		/* a transform or algorithm not enabled, a reference that
		 * cannot be resolved: the signature is not one we take */
		*why = XUA_BAD_REFERENCE;
		str_fmt(err, errlen, "the signature cannot be processed (an "
		    "algorithm, transform or reference not allowed)");
		rc = XDS_ESECURITY;
		goto out;
	}
	if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1 ||
	    (ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0)) ==
	    NULL || ref->uri == NULL ||
	    strcmp((const char *)ref->uri, uri) != 0) {
		*why = XUA_BAD_REFERENCE;
		str_fmt(err, errlen, "the signature must cover exactly the "
		    "assertion (one Reference to #%s)", id);
		rc = XDS_ESECURITY;
		goto out;
	}
	if (ctx->status != xmlSecDSigStatusSucceeded ||
	    ref->status != xmlSecDSigStatusSucceeded) {
		*why = XUA_BAD_SIGNATURE;
		str_fmt(err, errlen, "the assertion's signature does not "
		    "verify");
		rc = XDS_EAUTH;
		goto out;
	}
	rc = XDS_OK;
out:
	if (kd != NULL)
		xmlSecKeyDataDestroy(kd);
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	return rc;
}

static int
audience_ok(const struct xua_trust *t, const char *aud)
{
	size_t i;

	for (i = 0; i < t->naud; i++)
		if (strcmp(t->aud[i], aud) == 0)
			return 1;
	return 0;
}

/* The assertion of sec: its one saml2:Assertion child. */
static int
find_assertion(xmlNode *sec, xmlNode **out, enum xua_fail *why, char *err,
    size_t errlen)
{
	xmlNode *c;

	*out = NULL;
	if (sec == NULL) {
		*why = XUA_MISSING;
		str_fmt(err, errlen, "no wsse:Security header: an X-User "
		    "Assertion is required");
		return XDS_ESECURITY;
	}
	for (c = xml_first_elem(sec); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, NS_SAML, "Assertion")) {
			if (*out != NULL) {
				*why = XUA_MALFORMED;
				str_fmt(err, errlen, "more than one assertion "
				    "in wsse:Security");
				return XDS_ESECURITY;
			}
			*out = c;
		}
	if (*out == NULL) {
		*why = XUA_MISSING;
		str_fmt(err, errlen, "no saml2:Assertion in wsse:Security");
		return XDS_ESECURITY;
	}
	/* one more anywhere inside it: a wrapper, refused */
	if (count_below(*out, NS_SAML, "Assertion") != 0) {
		*why = XUA_MALFORMED;
		str_fmt(err, errlen, "an assertion inside the assertion");
		return XDS_ESECURITY;
	}
	return XDS_OK;
}

int
xua_verify(const struct xua_trust *t, const struct pki_crls *crls,
    xmlNode *sec, time_t now, struct xua_claims *c, enum xua_fail *why,
    char *err, size_t errlen)
{
	xmlNode *a, *sig, *n;
	X509 *cert = NULL;
	char rerr[256];
	int rc;

	memset(c, 0, sizeof *c);
	*why = XUA_OK;
	if ((rc = xua_init(err, errlen)) != XDS_OK)
		return rc;
	if ((rc = find_assertion(sec, &a, why, err, errlen)) != XDS_OK)
		return rc;
	if (xua_read(a, c, rerr, sizeof rerr) != XDS_OK) {
		*why = XUA_MALFORMED;
		str_fmt(err, errlen, "%s", rerr);
		rc = XDS_ESECURITY;
		goto out;
	}
	for (sig = NULL, n = xml_first_elem(a); n != NULL;
	    n = xml_next_elem(n))
		if (xml_is(n, NS_DSIG, "Signature"))
			sig = n;
	if (sig == NULL) {
		*why = XUA_UNSIGNED;
		str_fmt(err, errlen, "the assertion is not signed");
		rc = XDS_ESECURITY;
		goto out;
	}
	if (count_below(a, NS_DSIG, "Signature") != 1) {
		*why = XUA_BAD_REFERENCE;
		str_fmt(err, errlen, "more than one signature in the "
		    "assertion");
		rc = XDS_ESECURITY;
		goto out;
	}
	if ((rc = signer_cert(t, crls, sig, now, &cert, why, err, errlen)) !=
	    XDS_OK ||
	    (rc = check_signature(a, sig, c->id, cert, why, err, errlen)) !=
	    XDS_OK)
		goto out;
	rc = XDS_EAUTH;
	if (c->not_on_or_after == 0 || now >= c->not_on_or_after + t->skew) {
		*why = XUA_EXPIRED;
		str_fmt(err, errlen, "the assertion has expired");
		goto out;
	}
	if (c->not_before != 0 && now < c->not_before - t->skew) {
		*why = XUA_NOT_YET_VALID;
		str_fmt(err, errlen, "the assertion is not valid yet");
		goto out;
	}
	if (!audience_ok(t, c->audience)) {
		*why = XUA_AUDIENCE;
		str_fmt(err, errlen, "the assertion is for another audience "
		    "(%.80s)", c->audience[0] != '\0' ? c->audience : "none");
		goto out;
	}
	if (xua_require(c, rerr, sizeof rerr) != XDS_OK) {
		*why = XUA_ATTRIBUTES;
		str_fmt(err, errlen, "%s", rerr);
		goto out;
	}
	rc = XDS_OK;
out:
	X509_free(cert);
	if (rc != XDS_OK)
		memset(c, 0, sizeof *c);
	return rc;
}
