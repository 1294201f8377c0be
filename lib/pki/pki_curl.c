/*
 * pki_curl.c: one TLS set-up for every libcurl request of the node.
 */
#include "config.h"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "pki.h"
#include "pki_curl.h"
#include "status.h"

/* Called by libcurl (OpenSSL back end) with each new connection's
 * context, its CA file already in the store. */
static CURLcode
ctx_fn(CURL *e, void *sslctx, void *arg)
{
	SSL_CTX *c = sslctx;

	(void)e;
	(void)arg;
	if (pki_crls_apply_current(SSL_CTX_get_cert_store(c)) != XDS_OK)
		return CURLE_OUT_OF_MEMORY;
	SSL_CTX_set_verify(c, SSL_CTX_get_verify_mode(c), pki_verify_cb);
	return CURLE_OK;
}

int
pki_curl_tls(CURL *e, const char *cert, const char *key, const char *ca)
{
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ctx_fn) !=
	    CURLE_OK;
	if (cert != NULL && *cert != '\0')
		bad |= curl_easy_setopt(e, CURLOPT_SSLCERT, cert) != CURLE_OK;
	if (key != NULL && *key != '\0')
		bad |= curl_easy_setopt(e, CURLOPT_SSLKEY, key) != CURLE_OK;
	if (ca != NULL && *ca != '\0')
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, ca) != CURLE_OK;
	return bad ? -1 : 0;
}
