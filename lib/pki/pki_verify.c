/*
 * pki_verify.c: the verification callback of every TLS context, which
 * counts refused peer certificates by reason and says loudly when a CRL
 * is the reason (expired or missing), so that fail-closed is never
 * silent.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "log.h"
#include "pki.h"

#define PKI_LOG_EVERY	60	/* seconds between CRL log lines */

static atomic_ullong refused[PKI_REFUSED_N];
static atomic_llong logged_at;

static const char *const names[PKI_REFUSED_N] = {
	[PKI_REFUSED_REVOKED] = "revoked",
	[PKI_REFUSED_CRL_EXPIRED] = "crl_expired",
	[PKI_REFUSED_CRL_MISSING] = "crl_missing",
	[PKI_REFUSED_EXPIRED] = "expired",
	[PKI_REFUSED_UNTRUSTED] = "untrusted",
	[PKI_REFUSED_OTHER] = "other",
};

const char *
pki_refusal_name(int r)
{
	return r >= 0 && r < PKI_REFUSED_N ? names[r] : "other";
}

unsigned long long
pki_refused(int r)
{
	return r >= 0 && r < PKI_REFUSED_N ? atomic_load(&refused[r]) : 0;
}

int
pki_refusal_of(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_REVOKED:
		return PKI_REFUSED_REVOKED;
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		return PKI_REFUSED_CRL_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
		return PKI_REFUSED_CRL_MISSING;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return PKI_REFUSED_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return PKI_REFUSED_UNTRUSTED;
	default:
		return PKI_REFUSED_OTHER;
	}
}

int
pki_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	char subject[256];
	X509 *cert;
	long long now, last;
	int e, r;

	if (ok)
		return ok;
	e = X509_STORE_CTX_get_error(ctx);
	r = pki_refusal_of(e);
	atomic_fetch_add(&refused[r], 1);
	if (r != PKI_REFUSED_CRL_EXPIRED && r != PKI_REFUSED_CRL_MISSING)
		return ok;
	now = (long long)time(NULL);
	last = atomic_load(&logged_at);
	if (now - last < PKI_LOG_EVERY ||
	    !atomic_compare_exchange_strong(&logged_at, &last, now))
		return ok;
	subject[0] = '\0';
	if ((cert = X509_STORE_CTX_get_current_cert(ctx)) != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
		    sizeof subject);
	log_error("TLS peer refused: %s for %s; fetch fresh CRLs and send "
	    "SIGHUP (this is said at most once a minute)",
	    X509_verify_cert_error_string(e), subject);
	return ok;
}
