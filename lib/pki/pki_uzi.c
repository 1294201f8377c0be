/*
 * pki_uzi.c: the identity string a UZI certificate carries in its
 * subjectAltName (otherName 2.5.5.5): who the certificate is for, and
 * the URA of the organisation.
 */
#include "config.h"

#include <string.h>

#include "pki.h"
#include "status.h"
#include "str.h"

#define UZI_FIELDS	7

static int
all_digits(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* Digits and single dots, starting and ending with a digit. */
static int
is_oid(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '.' && p[i - 1] == '.')
			return 0;
		if (p[i] != '.' && (p[i] < '0' || p[i] > '9'))
			return 0;
	}
	return 1;
}

/* NN.NNN */
static int
is_role(const char *p, size_t n)
{
	return n == 6 && all_digits(p, 2) && p[2] == '.' &&
	    all_digits(p + 3, 3);
}

static int
field(char *dst, size_t dstsz, const char *p, size_t n)
{
	if (n >= dstsz)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int
pki_uzi_parse(const char *s, size_t len, struct pki_uzi *out, char *err,
    size_t errlen)
{
	static const char *const names[UZI_FIELDS] = { "CA OID", "version",
	    "UZI number", "card type", "subscriber number (URA)", "role",
	    "AGB code" };
	const char *f[UZI_FIELDS];
	size_t n[UZI_FIELDS], i, k = 0, start = 0;
	int bad = -1;

	memset(out, 0, sizeof *out);
	if (len > PKI_UZI_MAX) {
		str_fmt(err, errlen, "UZI string over %d bytes", PKI_UZI_MAX);
		return XDS_ETOOBIG;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '-' && !(k == 0 && s[i] == ':'))
			continue;
		if (k == UZI_FIELDS) {
			str_fmt(err, errlen, "UZI string: more than %d parts",
			    UZI_FIELDS);
			return XDS_EFORMAT;
		}
		f[k] = s + start;
		n[k++] = i - start;
		start = i + 1;
	}
	if (k != UZI_FIELDS) {
		str_fmt(err, errlen, "UZI string: %zu parts, not %d", k,
		    UZI_FIELDS);
		return XDS_EFORMAT;
	}
	if (!is_oid(f[0], n[0]) || field(out->ca_oid, sizeof out->ca_oid,
	    f[0], n[0]) != 0)
		bad = 0;
	else if (!all_digits(f[1], n[1]) || field(out->version,
	    sizeof out->version, f[1], n[1]) != 0)
		bad = 1;
	else if (!all_digits(f[2], n[2]) || field(out->uzi, sizeof out->uzi,
	    f[2], n[2]) != 0)
		bad = 2;
	else if (n[3] != 1 || strchr("ZNMS", f[3][0]) == NULL)
		bad = 3;
	else if (!all_digits(f[4], n[4]) || field(out->ura, sizeof out->ura,
	    f[4], n[4]) != 0)
		bad = 4;
	else if (!is_role(f[5], n[5]) || field(out->role, sizeof out->role,
	    f[5], n[5]) != 0)
		bad = 5;
	else if (!all_digits(f[6], n[6]) || field(out->agb, sizeof out->agb,
	    f[6], n[6]) != 0)
		bad = 6;
	if (bad >= 0) {
		memset(out, 0, sizeof *out);
		str_fmt(err, errlen, "UZI string: bad %s", names[bad]);
		return XDS_EFORMAT;
	}
	out->type = f[3][0];
	return XDS_OK;
}
