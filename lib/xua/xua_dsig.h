/*
 * xua_dsig.h: signing and verifying X-User Assertions (xua.h) with
 * XML-DSig (libxmlsec1 over OpenSSL): an enveloped signature over the
 * saml2:Assertion, exclusive c14n, the signer's certificate in KeyInfo.
 *
 * What verifying guards against (docs/design.md, "XUA"): the element
 * whose claims are read is the element that was signed.  The wsse:Security
 * header must hold exactly one saml2:Assertion; it must hold exactly one
 * ds:Signature, as its own child; that signature's SignedInfo has exactly
 * one Reference, to "#" + the assertion's ID, which is registered as an
 * ID on that element only; the Reference's transforms may only be
 * enveloped-signature and exclusive c14n, its URI only a same-document
 * one; the signature method is RSA-SHA256, RSA-SHA1 or ECDSA-SHA256.  The
 * key is taken from the certificate in KeyInfo, and only after that
 * certificate chained to the trust store at the caller's time (now)
 * and, when the node has CRLs, none in its chain is revoked (pki.h: the same
 * set and the same fail-closed rule as for TLS peers).
 */
#ifndef XDS_XUA_DSIG_H
#define XDS_XUA_DSIG_H

#include <stddef.h>
#include <time.h>
#include <libxml/tree.h>

#include "xua.h"

struct buf;
struct pki_crls;
struct xua_signer;
struct xua_trust;

enum xua_alg {
	XUA_RSA_SHA256 = 0,
	XUA_RSA_SHA1,
	XUA_ECDSA_SHA256,
};

/* "rsa-sha256", "rsa-sha1", "ecdsa-sha256" -> *alg; -1 for anything else. */
int	xua_alg_parse(const char *s, enum xua_alg *alg);
const char *xua_alg_name(enum xua_alg);

/*
 * Initialise libxmlsec1 and its OpenSSL back-end, once per process (the
 * later calls return the first one's status).  libxml2's defaults are
 * left as they were: no DTD loading, no entity substitution.  Every
 * function below calls it; the daemon calls it before its threads.
 */
int	xua_init(char *err, size_t errlen);

/* The node's signing key and certificate (PEM files). */
int	xua_signer_open(const char *key_file, const char *cert_file,
	    struct xua_signer **out, char *err, size_t errlen);
void	xua_signer_close(struct xua_signer *);	/* NULL is a no-op */
/*
 * Sign the assertion xml (xua_build's output) with alg: the signed
 * assertion's XML into out.  XDS_EINVAL for an algorithm the key cannot
 * do (ECDSA with an RSA key), XDS_EFORMAT, XDS_EINTERNAL (xmlsec failed).
 * Thread-safe.
 */
int	xua_sign(struct xua_signer *s, enum xua_alg alg, const char *xml,
	    size_t len, struct buf *out, char *err, size_t errlen);

/*
 * Why an assertion was refused.  XUA_OK is not one; xua_fail_name gives
 * the short name that goes into faults and audit records.
 */
enum xua_fail {
	XUA_OK = 0,
	XUA_MISSING,		/* no wsse:Security or no assertion in it */
	XUA_MALFORMED,		/* not a readable assertion, or two of them */
	XUA_UNSIGNED,		/* no ds:Signature on the assertion */
	XUA_BAD_REFERENCE,	/* the signature does not cover exactly the
				   assertion (wrapping), or uses transforms
				   or algorithms not allowed */
	XUA_BAD_SIGNATURE,	/* the signature does not verify */
	XUA_UNTRUSTED,		/* the signer's certificate does not chain
				   to the trust store, or is revoked, or
				   its revocation cannot be checked */
	XUA_EXPIRED,		/* now >= NotOnOrAfter + skew */
	XUA_NOT_YET_VALID,	/* now < NotBefore - skew */
	XUA_AUDIENCE,		/* not addressed to us */
	XUA_ATTRIBUTES,		/* a required attribute is missing */
	XUA_NFAILS
};
const char *xua_fail_name(enum xua_fail);

/*
 * What verifying trusts: the CA certificates of ca_file (PEM, several),
 * the audiences accepted (a ';' list: an audience of this node, its home
 * community id as urn:oid:...), the clock skew in seconds.
 */
int	xua_trust_open(const char *ca_file, const char *audiences, int skew,
	    struct xua_trust **out, char *err, size_t errlen);
void	xua_trust_close(struct xua_trust *);	/* NULL is a no-op */

/*
 * Verify the assertion in the wsse:Security element sec (NULL: none) at
 * time now, with the signer's chain checked against crls (NULL: no
 * revocation check; the caller holds the set, pki_crls_current), and
 * read its claims into c.  XDS_OK, or XDS_ESECURITY (the
 * header is missing or not a usable assertion: *why XUA_MISSING,
 * XUA_MALFORMED, XUA_UNSIGNED, XUA_BAD_REFERENCE) or XDS_EAUTH (the token
 * does not authenticate: the other reasons), with the reason in err.
 * Registers the assertion's ID in sec's document.  Thread-safe for
 * distinct documents.
 */
int	xua_verify(const struct xua_trust *t, const struct pki_crls *crls,
	    xmlNode *sec, time_t now, struct xua_claims *c,
	    enum xua_fail *why, char *err, size_t errlen);

#endif
