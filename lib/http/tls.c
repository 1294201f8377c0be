/*
 * tls.c: server SSL_CTX for mutual TLS, its certificate's end of validity,
 * and peer identity extraction.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "status.h"
#include "str.h"
#include "tls.h"

static const unsigned char sid_ctx[] = "xdsnode-http";

/* "what: <first OpenSSL error>" into err, and clear the error queue. */
static void
tls_err(char *err, size_t errlen, const char *what, const char *file)
{
	char ebuf[256];
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, ebuf, sizeof ebuf);
	else
		str_lcpy(ebuf, "unknown error", sizeof ebuf);
	ERR_clear_error();
	if (file != NULL)
		str_fmt(err, errlen, "%s %s: %s", what, file, ebuf);
	else
		str_fmt(err, errlen, "%s: %s", what, ebuf);
}

SSL_CTX *
tls_server_ctx(const char *cert, const char *key, const char *ca,
    const struct pki_crls *crls, char *err, size_t errlen)
{
	SSL_CTX *c = NULL;
	STACK_OF(X509_NAME) *names = NULL;

	if (cert == NULL || *cert == '\0' || key == NULL || *key == '\0' ||
	    ca == NULL || *ca == '\0') {
		str_fmt(err, errlen, "TLS needs a certificate, a key and a CA "
		    "file (mutual authentication)");
		return NULL;
	}
	ERR_clear_error();
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_err(err, errlen, "SSL_CTX_new", NULL);
		goto fail;
	}
	if (!SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION)) {
		tls_err(err, errlen, "minimum protocol TLS 1.2", NULL);
		goto fail;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_TICKET);
	if (!SSL_CTX_set_cipher_list(c, TLS_CIPHERS_TLS12)) {
		tls_err(err, errlen, "TLS 1.2 cipher list", NULL);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(c, cert) != 1) {
		tls_err(err, errlen, "certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			str_fmt(err, errlen, "private key %s does not match "
			    "the certificate %s", key, cert);
		} else
			tls_err(err, errlen, "private key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		tls_err(err, errlen, "key does not match certificate", cert);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(c, ca, NULL) != 1) {
		tls_err(err, errlen, "CA file", ca);
		goto fail;
	}
	if ((names = SSL_load_client_CA_file(ca)) == NULL) {
		tls_err(err, errlen, "CA names from", ca);
		goto fail;
	}
	SSL_CTX_set_client_CA_list(c, names);	/* takes ownership */
	if (pki_crls_apply(crls, SSL_CTX_get_cert_store(c)) != XDS_OK) {
		tls_err(err, errlen, "CRLs", NULL);
		goto fail;
	}
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	    pki_verify_cb);
	SSL_CTX_set_verify_depth(c, 4);
	if (!SSL_CTX_set_session_id_context(c, sid_ctx, sizeof sid_ctx - 1)) {
		tls_err(err, errlen, "session id context", NULL);
		goto fail;
	}
	/* Parked connections keep no record buffers (http_loop.c). */
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	return c;
fail:
	SSL_CTX_free(c);
	return NULL;
}

int
tls_peer_subject(SSL *ssl, char *out, size_t outlen)
{
	X509 *peer;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if ((peer = SSL_get0_peer_certificate(ssl)) == NULL)
		return 0;
	return pki_name(X509_get_subject_name(peer), out, outlen);
}

int
tls_peer_othername(SSL *ssl, const char *oid, char *out, size_t outlen)
{
	GENERAL_NAMES *names = NULL;
	const GENERAL_NAME *g;
	ASN1_OBJECT *want = NULL;
	const ASN1_STRING *v;
	X509 *peer;
	int i, n, rc = 0, j;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if ((peer = SSL_get0_peer_certificate(ssl)) == NULL ||
	    (names = X509_get_ext_d2i(peer, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return 0;
	if ((want = OBJ_txt2obj(oid, 1)) == NULL) {
		rc = -1;
		goto out;
	}
	n = sk_GENERAL_NAME_num(names);
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(names, i);
		if (g->type != GEN_OTHERNAME ||
		    OBJ_cmp(g->d.otherName->type_id, want) != 0 ||
		    g->d.otherName->value == NULL ||
		    (g->d.otherName->value->type != V_ASN1_IA5STRING &&
		    g->d.otherName->value->type != V_ASN1_UTF8STRING &&
		    g->d.otherName->value->type != V_ASN1_PRINTABLESTRING))
			continue;
		v = g->d.otherName->value->value.asn1_string;
		if (v == NULL || ASN1_STRING_length(v) < 0 ||
		    (size_t)ASN1_STRING_length(v) >= outlen) {
			rc = -1;
			goto out;
		}
		/* printable ASCII only: it goes into records and logs */
		for (j = 0; j < ASN1_STRING_length(v); j++)
			if (ASN1_STRING_get0_data(v)[j] < 0x20 ||
			    ASN1_STRING_get0_data(v)[j] > 0x7e) {
				rc = -1;
				goto out;
			}
		memcpy(out, ASN1_STRING_get0_data(v),
		    (size_t)ASN1_STRING_length(v));
		out[ASN1_STRING_length(v)] = '\0';
		break;
	}
out:
	if (rc != 0)
		out[0] = '\0';
	ASN1_OBJECT_free(want);
	GENERAL_NAMES_free(names);
	return rc;
}

time_t
tls_ctx_not_after(SSL_CTX *c)
{
	X509 *x;

	if (c == NULL || (x = SSL_CTX_get0_certificate(c)) == NULL)
		return 0;
	return pki_asn1_time(X509_get0_notAfter(x));
}
