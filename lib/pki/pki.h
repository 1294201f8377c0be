/*
 * pki.h: revocation lists (CRLs) for every TLS context of the node, and
 * the count of peer certificates refused.
 *
 * A set of CRLs is read from one file (PEM CRLs, one or more, or one
 * DER CRL) or from every file of a directory, once; it is then applied
 * to the X509_STORE of each TLS context: the HTTP server's, and that of
 * every outbound connection (pki_curl.h).  Applied CRLs check the whole
 * chain (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL): a CA in the
 * chain without a CRL in the set fails the peer, and so does a CRL past
 * its nextUpdate (fail-closed, docs/design.md).  The same set checks the
 * signer of an X-User Assertion (pki_crls_check), with the same rule.
 */
#ifndef XDS_PKI_H
#define XDS_PKI_H

#include <stddef.h>
#include <time.h>

typedef struct x509_store_st X509_STORE;
typedef struct x509_store_ctx_st X509_STORE_CTX;

#define PKI_MAX_CRLS		256		/* CRLs in a set */
#define PKI_MAX_CRL_FILE	(64L << 20)	/* bytes of one CRL file */

struct pki_crls;

/*
 * Read the CRLs at path (a file or a directory; every regular file in
 * it whose name does not start with '.').  A file that cannot be read
 * or holds no CRL is an error (XDS_EIO, XDS_EFORMAT), as are more than
 * PKI_MAX_CRLS CRLs or a file over PKI_MAX_CRL_FILE (XDS_ETOOBIG).  A
 * CRL past its nextUpdate is loaded, and said loudly: peers it covers
 * are refused until a fresh one is loaded.
 */
int	pki_crls_load(const char *path, struct pki_crls **out, char *err,
	    size_t errlen);
/* Drop a reference (the loader's, or pki_crls_current's): the set is
 * freed with the last one.  NULL is a no-op. */
void	pki_crls_free(struct pki_crls *);
/* How many CRLs, and the earliest nextUpdate among them (0: none). */
size_t	pki_crls_count(const struct pki_crls *);
time_t	pki_crls_next_update(const struct pki_crls *);

/* Add the CRLs to st and turn on the chain-wide check.  XDS_OK, or
 * XDS_ENOMEM.  A NULL set adds nothing. */
int	pki_crls_apply(const struct pki_crls *, X509_STORE *st);
/* The same for one verification context vc (X509_STORE_CTX_init done):
 * the set must outlive vc.  XDS_OK; a NULL set checks nothing. */
int	pki_crls_check(const struct pki_crls *, X509_STORE_CTX *vc);

/*
 * The set outbound connections use from their next handshake on: the
 * process-wide one (pki_crls_install takes crls, NULL for none, and
 * frees the set it replaces); pki_crls_apply_current applies it under a
 * lock, so a reload never frees a set being applied.
 */
void	pki_crls_install(struct pki_crls *crls);
int	pki_crls_apply_current(X509_STORE *st);
/* The set in use with a reference the caller drops by pki_crls_free
 * (NULL: none, nothing to check): a SIGHUP reload reaches the next
 * caller, and never frees the set one is using. */
struct pki_crls *pki_crls_current(void);

/*
 * The verification callback of every context: it counts and, for an
 * expired or missing CRL, logs (at most once a minute) the peer
 * certificate refused, and changes nothing in the verdict.
 */
int	pki_verify_cb(int ok, X509_STORE_CTX *);

enum pki_refusal {
	PKI_REFUSED_REVOKED,		/* on a CRL */
	PKI_REFUSED_CRL_EXPIRED,	/* the CRL is past nextUpdate */
	PKI_REFUSED_CRL_MISSING,	/* no CRL of a CA in the chain */
	PKI_REFUSED_EXPIRED,		/* the certificate is out of date */
	PKI_REFUSED_UNTRUSTED,		/* does not chain to the CA file */
	PKI_REFUSED_OTHER,
	PKI_REFUSED_N
};
/* "revoked", ... (a metrics label). */
const char *pki_refusal_name(int);
/* Peer certificates refused since the start, by reason. */
unsigned long long pki_refused(int);
/* The reason of an X509_V_ERR_* code. */
int	pki_refusal_of(int x509_err);

#define PKI_SAN_MAX	256	/* bytes of one subjectAltName value shown */

/*
 * Each subjectAltName entry of a certificate: fn(arg, kind, value) with
 * kind "DNS", "IP", "URI", "email", "UZI" (otherName 2.5.5.5, the
 * string as it is) or "otherName" (value: its type OID), the value with
 * control characters escaped.  Stops at fn's first non-zero return.
 * The number of entries, or -1 when the extension is malformed.
 */
typedef struct x509_st X509;
typedef struct X509_name_st X509_NAME;
typedef struct asn1_string_st ASN1_TIME;
int	pki_san_each(X509 *, int (*fn)(void *arg, const char *kind,
	    const char *value), void *arg);

/* A name as RFC 2253 text into out: 0, or -1 when it did not fit (out
 * truncated) or could not be printed ("" then). */
int	pki_name(const X509_NAME *, char *out, size_t outlen);
/* An ASN.1 time as seconds since the epoch; 0 when unusable. */
time_t	pki_asn1_time(const ASN1_TIME *);
/* t as 2026-12-06T15:00:00Z into out ("-" for 0). */
void	pki_time_text(time_t t, char *out, size_t outlen);

#endif
