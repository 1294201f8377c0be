/*
 * xdr_subject.c: the URA a certificate subject names (xdr_subject_ura in
 * xdr.h): how the XDR Document Recipient knows which organisation sends.
 * Pure: a string in, digits out.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "xdr.h"

#define XDR_URA_PREFIX	"URA-"
#define XDR_URA_DIGITS	8
#define XDR_VALUE_MAX	64	/* longer attribute values name no URA */

/*
 * One attribute value of an RFC 2253 string at *pp (up to an unescaped
 * ',' or '+', or the end), unescaped into v (vsz bytes); *pp past it.
 * 0, or -1 when it does not fit (the value is skipped all the same).
 */
static int
xdr_rdn_value(const char **pp, char *v, size_t vsz)
{
	const char *p = *pp;
	size_t n = 0;
	int fits = 1, ch;

	while (*p != '\0' && *p != ',' && *p != '+') {
		ch = (unsigned char)*p++;
		if (ch == '\\' && *p != '\0')
			ch = (unsigned char)*p++;
		if (n + 1 < vsz)
			v[n++] = (char)ch;
		else
			fits = 0;
	}
	v[n] = '\0';
	*pp = p;
	return fits ? 0 : -1;
}

int
xdr_subject_ura(const char *subject, char *ura, size_t urasz)
{
	const char *p = subject, *key;
	char v[XDR_VALUE_MAX + 1], found[XDR_URA_DIGITS + 1] = "";
	size_t kn, pl = sizeof XDR_URA_PREFIX - 1;
	int fits;

	if (urasz < sizeof found)
		return -1;
	ura[0] = '\0';
	while (*p != '\0') {
		key = p;
		kn = strcspn(p, "=,+");
		p += kn;
		if (*p != '=') {	/* no value: not an attribute */
			if (*p != '\0')
				p++;
			continue;
		}
		p++;
		fits = xdr_rdn_value(&p, v, sizeof v) == 0;
		if (*p != '\0')
			p++;
		if (!fits || !((kn == 22 && strncasecmp(key,
		    "organizationIdentifier", kn) == 0) ||
		    (kn == 8 && strncmp(key, "2.5.4.97", kn) == 0)))
			continue;
		if (strlen(v) != pl + XDR_URA_DIGITS ||
		    strncmp(v, XDR_URA_PREFIX, pl) != 0 ||
		    strspn(v + pl, "0123456789") != XDR_URA_DIGITS)
			continue;
		if (found[0] != '\0' && strcmp(found, v + pl) != 0)
			return -1;
		memcpy(found, v + pl, sizeof found);
	}
	if (found[0] == '\0')
		return 0;
	memcpy(ura, found, sizeof found);
	return 1;
}
