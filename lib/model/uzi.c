/*
 * uzi.c: the identity string of an UZI certificate (uzi.h), pure.
 */
#include "config.h"

#include <string.h>

#include "status.h"
#include "str.h"
#include "uzi.h"

#define UZI_FIELDS	7

/* n bytes at s are all digits (and n > 0). */
static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* An OID: digits separated by single dots. */
static int
is_oid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') &&
		    !(s[i] == '.' && s[i + 1] != '.'))
			return 0;
	return 1;
}

/* f (n bytes) into out when it fits and passes ok. */
static int
field(char *out, size_t outsz, const char *f, size_t n, int ok,
    const char *what, char *err, size_t errlen)
{
	if (!ok || n >= outsz) {
		str_fmt(err, errlen, "UZI string: the %s is not valid", what);
		return XDS_EFORMAT;
	}
	memcpy(out, f, n);
	out[n] = '\0';
	return XDS_OK;
}

int
uzi_parse(const char *s, size_t len, struct uzi_id *out, char *err,
    size_t errlen)
{
	const char *f[UZI_FIELDS];
	size_t n[UZI_FIELDS], i, k = 0, start = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (len == 0 || len > UZI_STRING_MAX || memchr(s, '\0', len) != NULL) {
		str_fmt(err, errlen, "UZI string: empty or longer than %d "
		    "bytes", UZI_STRING_MAX);
		return XDS_EFORMAT;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '-' && !(s[i] == ':' && k == 0))
			continue;
		if (k == UZI_FIELDS) {
			str_fmt(err, errlen, "UZI string: more than %d "
			    "fields", UZI_FIELDS);
			return XDS_EFORMAT;
		}
		f[k] = s + start;
		n[k++] = i - start;
		start = i + 1;
	}
	if (k != UZI_FIELDS) {
		str_fmt(err, errlen, "UZI string: %zu fields, not %d", k,
		    UZI_FIELDS);
		return XDS_EFORMAT;
	}
	if ((rc = field(out->ca_oid, sizeof out->ca_oid, f[0], n[0],
	    is_oid(f[0], n[0]), "CA's OID", err, errlen)) != XDS_OK ||
	    (rc = field(out->version, sizeof out->version, f[1], n[1],
	    all_digits(f[1], n[1]), "version", err, errlen)) != XDS_OK ||
	    (rc = field(out->number, sizeof out->number, f[2], n[2],
	    all_digits(f[2], n[2]), "UZI number", err, errlen)) != XDS_OK ||
	    (rc = field(out->ura, sizeof out->ura, f[4], n[4],
	    n[4] == 8 && all_digits(f[4], n[4]), "URA", err, errlen)) !=
	    XDS_OK ||
	    (rc = field(out->role, sizeof out->role, f[5], n[5],
	    n[5] == 6 && all_digits(f[5], 2) && f[5][2] == '.' &&
	    all_digits(f[5] + 3, 3), "role", err, errlen)) != XDS_OK ||
	    (rc = field(out->agb, sizeof out->agb, f[6], n[6],
	    n[6] == 8 && all_digits(f[6], n[6]), "AGB code", err, errlen)) !=
	    XDS_OK)
		return rc;
	if (n[3] != 1 || strchr("ZNMS", f[3][0]) == NULL) {
		str_fmt(err, errlen, "UZI string: the card type is not Z, N, M "
		    "or S");
		return XDS_EFORMAT;
	}
	out->card = f[3][0];
	return XDS_OK;
}
