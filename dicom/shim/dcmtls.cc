// dcmtls.cc: the TLS layer of the shim's DICOM connections, both ends:
// the bridge's and the push listener's SCP (acceptor) and the push
// sender (requestor).  BCP195 non-downgrading profile (TLS 1.2 and 1.3,
// ECDHE with AES-GCM), the node's certificate and key, the peer's
// certificate required and chained to the CA file; no renegotiation,
// compression or session tickets.
#include "dcmtk/config/osconfig.h"

#include <string>

#include <openssl/ssl.h>

#include "dcmtk/dcmtls/tlslayer.h"

#include "dcmshim.h"
#include "dcmshim_int.h"
extern "C" {
#include "pki.h"
}

int
dcmshim_tls_layer(bool acceptor, const char *cert, const char *key,
    const char *ca, DcmTLSTransportLayer **out, char *err, size_t errlen)
{
	DcmTLSTransportLayer *t;
	OFCondition c;
	SSL_CTX *ctx;
	std::string what;

	t = new DcmTLSTransportLayer(acceptor ? NET_ACCEPTOR : NET_REQUESTOR,
	    nullptr, OFTrue);
	if ((c = t->setTLSProfile(TSP_Profile_BCP195_ND)).bad() ||
	    (c = t->activateCipherSuites()).bad())
		what = "TLS profile";
	else if ((c = t->setPrivateKeyFile(key, DCF_Filetype_PEM)).bad())
		what = std::string("key ") + key;
	else if ((c = t->setCertificateFile(cert, DCF_Filetype_PEM)).bad())
		what = std::string("certificate ") + cert;
	else if (!t->checkPrivateKeyMatchesCertificate()) {
		what = std::string("key ") + key;
		c = makeOFCondition(OFM_dcmtls, 1, OF_error,
		    "does not match the certificate");
	} else if ((c = t->addTrustedCertificateFile(ca,
	    DCF_Filetype_PEM)).bad())
		what = std::string("CA ") + ca;
	if (!what.empty()) {
		delete t;
		std::string m = "DICOM TLS: " + what + ": " + c.text();
		dcmshim_seterr(err, errlen, m.c_str());
		return XDS_EINVAL;
	}
	t->setCertificateVerification(DCV_requireCertificate);
	ctx = t->getNativeHandle();
	if (ctx == nullptr ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		delete t;
		dcmshim_seterr(err, errlen, "DICOM TLS: cannot require TLS 1.2");
		return XDS_EINTERNAL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
	SSL_CTX_set_verify_depth(ctx, 4);
	if (!acceptor) {
		// A requestor's layer lives for one association: the CRLs in
		// use now go into its store, and refusals are counted with
		// the HTTP server's (an acceptor does this per connection).
		if (pki_crls_apply_current(SSL_CTX_get_cert_store(ctx)) !=
		    XDS_OK) {
			delete t;
			dcmshim_seterr(err, errlen, "DICOM TLS: cannot apply "
			    "the CRLs");
			return XDS_EINTERNAL;
		}
		SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx),
		    pki_verify_cb);
	}
	*out = t;
	return XDS_OK;
}

int
dcmshim_peer_subject(T_ASC_Association *assoc, char *out, size_t outlen)
{
	std::string der;
	const unsigned char *p;
	unsigned long n;
	X509 *x;
	int rc;

	out[0] = '\0';
	if ((n = ASC_getPeerCertificateLength(assoc)) == 0 || n > 65536)
		return -1;
	der.resize(n);
	if (ASC_getPeerCertificate(assoc, &der[0], n) != n)
		return -1;
	p = (const unsigned char *)der.data();
	if ((x = d2i_X509(nullptr, &p, (long)n)) == nullptr)
		return -1;
	rc = pki_name(X509_get_subject_name(x), out, outlen);
	X509_free(x);
	return rc;
}
