/*
 * tls.h: OpenSSL server context for mutual TLS and peer identity.
 *
 * The context enforces TLS >= 1.2, requires a client certificate that
 * chains to the CA file (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
 * depth 4), uses the BCP195 (RFC 9325) recommended suites for TLS 1.2
 * (ECDHE with AES-GCM or ChaCha20-Poly1305) and OpenSSL's TLS 1.3 suites,
 * disables renegotiation, compression and session tickets, and sets a
 * session id context so that verified sessions may be resumed.  With
 * CRLs (pki.h) every certificate of the client's chain is checked
 * against them.
 */
#ifndef XDS_TLS_H
#define XDS_TLS_H

#include <stddef.h>
#include <time.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
struct pki_crls;

#define TLS_CIPHERS_TLS12 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/*
 * New server context from PEM files: cert (chain, leaf first), key (it
 * must match the certificate) and the CA file trusted for client
 * certificates, with the CRLs crls (NULL: no revocation check).  NULL
 * with err filled on failure.  Free with SSL_CTX_free().
 */
SSL_CTX	*tls_server_ctx(const char *cert, const char *key, const char *ca,
	    const struct pki_crls *crls, char *err, size_t errlen);

/* The notAfter of the context's certificate, or 0. */
time_t	 tls_ctx_not_after(SSL_CTX *);

/* Subject of the verified peer certificate (RFC 2253) into out; "" when
 * there is none.  Returns 0, or -1 when it did not fit (out truncated). */
int	 tls_peer_subject(SSL *, char *out, size_t outlen);
/*
 * The first subjectAltName otherName of type oid (dotted) in the peer
 * certificate, a string (IA5String: the UZI certificates' 2.5.5.5) of
 * printable ASCII, into out; "" when there is none.  Returns 0, or -1
 * (out "") when it does not fit or is not printable.  The transport
 * does not interpret it.
 */
int	 tls_peer_othername(SSL *, const char *oid, char *out, size_t outlen);

#endif
