/*
 * pki_cert.c: what a certificate says: names as text, times, the
 * subjectAltName entries and the UZI identity among them.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "str.h"
#include "vocab.h"

/* Bytes of an ASN.1 string into out, control characters escaped. */
static void
asn1_text(const ASN1_STRING *a, char *out, size_t outlen)
{
	char raw[PKI_SAN_MAX + 1];
	int n = ASN1_STRING_length(a);

	if (n < 0)
		n = 0;
	if ((size_t)n > PKI_SAN_MAX)
		n = PKI_SAN_MAX;
	memcpy(raw, ASN1_STRING_get0_data(a), (size_t)n);
	raw[n] = '\0';
	str_escape_ctl(raw, out, outlen);
}

static void
ip_text(const ASN1_OCTET_STRING *a, char *out, size_t outlen)
{
	const unsigned char *p = ASN1_STRING_get0_data(a);
	int n = ASN1_STRING_length(a), i;
	size_t len;

	if (n == 4) {
		str_fmt(out, outlen, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
		return;
	}
	out[0] = '\0';
	for (i = 0; n == 16 && i < 16; i += 2) {
		len = strlen(out);
		str_fmt(out + len, outlen - len, "%s%x", i ? ":" : "",
		    (unsigned)(p[i] << 8 | p[i + 1]));
	}
	if (n != 4 && n != 16)
		str_lcpy(out, "?", outlen);
}

int
pki_san_each(X509 *x, int (*fn)(void *, const char *, const char *),
    void *arg)
{
	GENERAL_NAMES *names;
	GENERAL_NAME *g;
	ASN1_OBJECT *type;
	ASN1_TYPE *value;
	char v[PKI_SAN_MAX * 4 + 1], oid[128];
	const char *kind;
	int i, n, crit = -1;

	names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (names == NULL)
		return crit == -1 ? 0 : -1;	/* absent, or malformed */
	n = sk_GENERAL_NAME_num(names);
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(names, i);
		v[0] = '\0';
		switch (g->type) {
		case GEN_DNS:
			kind = "DNS";
			asn1_text(g->d.dNSName, v, sizeof v);
			break;
		case GEN_IPADD:
			kind = "IP";
			ip_text(g->d.iPAddress, v, sizeof v);
			break;
		case GEN_URI:
			kind = "URI";
			asn1_text(g->d.uniformResourceIdentifier, v, sizeof v);
			break;
		case GEN_EMAIL:
			kind = "email";
			asn1_text(g->d.rfc822Name, v, sizeof v);
			break;
		case GEN_OTHERNAME:
			GENERAL_NAME_get0_otherName(g, &type, &value);
			OBJ_obj2txt(oid, sizeof oid, type, 1);
			if (strcmp(oid, OID_UZI_OTHERNAME) == 0 &&
			    value->type == V_ASN1_IA5STRING) {
				kind = "UZI";
				asn1_text(value->value.ia5string, v, sizeof v);
			} else {
				kind = "otherName";
				str_lcpy(v, oid, sizeof v);
			}
			break;
		default:
			continue;
		}
		if (fn(arg, kind, v) != 0)
			break;
	}
	GENERAL_NAMES_free(names);
	return n;
}

int
pki_name(const X509_NAME *n, char *out, size_t outlen)
{
	BIO *b;
	char *p;
	long len;
	int rc = -1;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0) {
		rc = (size_t)len < outlen ? 0 : -1;
		if ((size_t)len >= outlen)
			len = (long)outlen - 1;
		memcpy(out, p, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(b);
	return rc;
}

time_t
pki_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

void
pki_time_text(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (t == 0)
		str_lcpy(out, "-", outlen);
	else if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		str_lcpy(out, "?", outlen);
}
