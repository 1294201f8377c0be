/*
 * hl7dt.c: HL7 v2 datatypes of XDS metadata (ITI TF-3 4.2.3.1.7) and
 * identifier checks.  Inputs are (s, len) and need not be NUL-terminated;
 * a NUL byte inside len is invalid.  Every function is pure.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "hl7dt.h"
#include "str.h"

#define OID_MAX		64	/* ITI TF-3: OIDs <= 64 characters */
#define UNIQUEID_MAX	128	/* DocumentEntry.uniqueId */
#define UNIQUEID_EXT_MAX 16	/* extension: 16 UTF-8 characters */
#define XCN_MAX		1024	/* bound on XCN / XON / CX text */

/* A piece of the input: [p, p + n). */
struct span {
	const char *p;
	size_t	 n;
};

static int
bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Component number i (0-based) of s separated by sep; n = 0 past the end.
 * Returns the number of components. */
static size_t
split(struct span s, char sep, struct span *out, size_t max)
{
	size_t i, k = 0, start = 0;

	for (i = 0; i <= s.n; i++) {
		if (i < s.n && s.p[i] != sep)
			continue;
		if (k < max) {
			out[k].p = s.p + start;
			out[k].n = i - start;
		}
		k++;
		start = i + 1;
	}
	for (i = k; i < max; i++) {
		out[i].p = s.p + s.n;
		out[i].n = 0;
	}
	return k;
}

static int
span_eq(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* No NUL or other control characters. */
static int
printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
copy_span(char *dst, size_t dstsz, struct span s)
{
	if (s.n >= dstsz)
		return -1;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

int
hl7_oid_valid(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i, arc = 0;

	if (s == NULL || len == 0)
		return bad(err, errlen, "OID is empty");
	if (len > OID_MAX)
		return bad(err, errlen, "OID longer than %d characters",
		    OID_MAX);
	/* Arcs of digits without leading zeros, at least two of them (as
	 * the NIST toolkit's is_oid, which also requires a dot).  The first
	 * arc is not checked against 0-2: NIST and dcm4chee samples use
	 * assigning authorities such as 3.4.5. */
	if (memchr(s, '.', len) == NULL)
		return bad(err, errlen, "OID needs at least two arcs");
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i - arc == 0 || i + 1 == len)
				return bad(err, errlen, "OID has an empty arc");
			arc = i + 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return bad(err, errlen, "OID may hold only digits "
			    "and dots");
		if (i == arc && s[i] == '0' && i + 1 < len && s[i + 1] != '.')
			return bad(err, errlen, "OID arc with a leading zero");
	}
	return 0;
}

/* HD of a CX.4: namespace&universal id&ISO. */
static int
hd_valid(struct span hd, int allow_ns, struct span *oid, char *err,
    size_t errlen)
{
	struct span sub[3];
	size_t n;
	char oerr[96];

	n = split(hd, '&', sub, 3);
	if (n != 3)
		return bad(err, errlen, "assigning authority must be "
		    "&OID&ISO");
	if (!allow_ns && sub[0].n != 0)
		return bad(err, errlen, "assigning authority must not carry "
		    "a namespace id (only &OID&ISO)");
	if (!span_eq(sub[2], "ISO"))
		return bad(err, errlen, "assigning authority type must be "
		    "ISO");
	if (hl7_oid_valid(sub[1].p, sub[1].n, oerr, sizeof oerr) != 0)
		return bad(err, errlen, "assigning authority: %s", oerr);
	*oid = sub[1];
	return 0;
}

/* Shared by CX (patient id) and CXi (referenceIdList). */
static int
cx_parse(const char *s, size_t len, int cxi, struct hl7_cx *out, char *err,
    size_t errlen)
{
	struct span all = { s, len }, c[6], oid = { "", 0 };
	size_t n, i;
	const char *what = cxi ? "CXi" : "CX";

	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (s == NULL || len == 0)
		return bad(err, errlen, "%s is empty", what);
	if (len > XCN_MAX)
		return bad(err, errlen, "%s longer than %d bytes", what,
		    XCN_MAX);
	if (!printable(s, len))
		return bad(err, errlen, "%s holds control characters", what);
	n = split(all, '^', c, 6);
	if (c[0].n == 0)
		return bad(err, errlen, "%s has no id (component 1)", what);
	if (memchr(c[0].p, '&', c[0].n) != NULL)
		return bad(err, errlen, "%s id holds '&'", what);
	if (c[0].n >= HL7_ID_MAX)
		return bad(err, errlen, "%s id longer than %d bytes", what,
		    HL7_ID_MAX - 1);
	if (c[1].n != 0 || c[2].n != 0)
		return bad(err, errlen, "%s components 2 and 3 must be empty",
		    what);
	if (!cxi) {
		if (c[3].n == 0)
			return bad(err, errlen, "CX has no assigning authority "
			    "(component 4 &OID&ISO)");
		/* Empty trailing components are harmless; text is not. */
		if (n > 4)
			for (i = (size_t)(c[3].p + c[3].n - s); i < len; i++)
				if (s[i] != '^')
					return bad(err, errlen, "CX has a "
					    "component past 4; XDS allows only "
					    "id^^^&OID&ISO");
	} else if (c[4].n == 0)
		return bad(err, errlen, "CXi has no identifier type "
		    "(component 5)");
	if (c[3].n != 0 && hd_valid(c[3], cxi, &oid, err, errlen) != 0)
		return -1;
	if (out != NULL) {
		if (copy_span(out->id, sizeof out->id, c[0]) != 0 ||
		    copy_span(out->aa_oid, sizeof out->aa_oid, oid) != 0)
			return bad(err, errlen, "%s too long", what);
		if (cxi && copy_span(out->id_type, sizeof out->id_type,
		    c[4]) != 0)
			return bad(err, errlen, "CXi identifier type longer "
			    "than %zu bytes", sizeof out->id_type - 1);
	}
	return 0;
}

int
hl7_cx_parse(const char *s, size_t len, struct hl7_cx *out, char *err,
    size_t errlen)
{
	return cx_parse(s, len, 0, out, err, errlen);
}

int
hl7_cxi_parse(const char *s, size_t len, struct hl7_cx *out, char *err,
    size_t errlen)
{
	return cx_parse(s, len, 1, out, err, errlen);
}

int
hl7_cx_format(const struct hl7_cx *cx, char *out, size_t outsz)
{
	int n;

	if (cx->aa_oid[0] != '\0')
		n = str_fmt(out, outsz, "%s^^^&%s&ISO", cx->id, cx->aa_oid);
	else
		n = str_fmt(out, outsz, "%s^^^", cx->id);
	if (n < 0)
		return -1;
	if (cx->id_type[0] != '\0' &&
	    (str_lcat(out, "^", outsz) >= outsz ||
	    str_lcat(out, cx->id_type, outsz) >= outsz))
		return -1;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int
hl7_dtm_valid(const char *s, size_t len, char *err, size_t errlen)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	size_t i;
	int y, m, d, dim;

	if (s == NULL || len == 0)
		return bad(err, errlen, "date/time is empty");
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9') {
			if (s[i] == '+' || s[i] == '-')
				return bad(err, errlen, "date/time with a time "
				    "zone: XDS times are UTC without offset");
			if (s[i] == '.')
				return bad(err, errlen, "date/time with a "
				    "fraction of a second is not allowed");
			return bad(err, errlen, "date/time may hold only "
			    "digits (YYYY[MM[DD[hh[mm[ss]]]]])");
		}
	if (len != 4 && len != 6 && len != 8 && len != 10 && len != 12 &&
	    len != 14)
		return bad(err, errlen, "date/time must have 4, 6, 8, 10, 12 "
		    "or 14 digits (YYYY[MM[DD[hh[mm[ss]]]]]), not %zu", len);
	y = num2(s) * 100 + num2(s + 2);
	if (len >= 6) {
		m = num2(s + 4);
		if (m < 1 || m > 12)
			return bad(err, errlen, "month %02d out of range", m);
		if (len >= 8) {
			d = num2(s + 6);
			dim = mdays[m - 1] + (m == 2 && leap(y));
			if (d < 1 || d > dim)
				return bad(err, errlen, "day %02d out of range "
				    "for month %02d", d, m);
		}
	}
	if (len >= 10 && num2(s + 8) > 23)
		return bad(err, errlen, "hour %02d out of range", num2(s + 8));
	if (len >= 12 && num2(s + 10) > 59)
		return bad(err, errlen, "minute %02d out of range",
		    num2(s + 10));
	if (len >= 14 && num2(s + 12) > 59)
		return bad(err, errlen, "second %02d out of range",
		    num2(s + 12));
	return 0;
}

int
hl7_dtm_norm(const char *s, size_t len, char out[15])
{
	if (hl7_dtm_valid(s, len, NULL, 0) != 0) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, s, len);
	memset(out + len, '0', 14 - len);
	out[14] = '\0';
	return 0;
}

int
hl7_uniqueid_valid(const char *s, size_t len, char *err, size_t errlen)
{
	const char *caret;
	size_t rootlen, i, chars = 0;
	char oerr[96];

	if (s == NULL || len == 0)
		return bad(err, errlen, "uniqueId is empty");
	if (len > UNIQUEID_MAX)
		return bad(err, errlen, "uniqueId longer than %d characters",
		    UNIQUEID_MAX);
	caret = memchr(s, '^', len);
	rootlen = caret ? (size_t)(caret - s) : len;
	if (hl7_oid_valid(s, rootlen, oerr, sizeof oerr) != 0)
		return bad(err, errlen, "uniqueId root: %s", oerr);
	if (caret == NULL)
		return 0;
	/* ITI TF-3 4.2.3.2.26: oid^extension, the extension at most 16
	 * UTF-8 characters; with no extension there is no '^'. */
	if (rootlen + 1 == len)
		return bad(err, errlen, "uniqueId ends in '^' without an "
		    "extension");
	for (i = rootlen + 1; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x21 || ch == 0x7f || ch == '^' || ch == '&')
			return bad(err, errlen, "uniqueId extension holds "
			    "'%c' or a space/control character",
			    ch >= 0x21 && ch < 0x7f ? ch : '?');
		if ((ch & 0xc0) != 0x80)
			chars++;
	}
	if (chars > UNIQUEID_EXT_MAX)
		return bad(err, errlen, "uniqueId extension longer than %d "
		    "characters", UNIQUEID_EXT_MAX);
	return 0;
}

static int
hexdig(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

int
hl7_uuid_valid(const char *s, size_t len)
{
	static const char pfx[] = "urn:uuid:";
	size_t i;

	if (s == NULL || len != sizeof pfx - 1 + 36 ||
	    memcmp(s, pfx, sizeof pfx - 1) != 0)
		return -1;
	s += sizeof pfx - 1;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else if (!hexdig(s[i]))
			return -1;
	}
	return 0;
}

int
hl7_uuid_new(char out[46])
{
	unsigned char r[16];
	char hex[33];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof r) {
		n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			out[0] = '\0';
			return -1;
		}
		got += (size_t)n;
	}
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	str_hex(r, sizeof r, hex);
	if (str_fmt(out, 46, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	    hex + 8, hex + 12, hex + 16, hex + 20) < 0)
		return -1;
	return 0;
}

/* Optional HD in XCN.9 / XON.6: when it names an ISO authority, the
 * universal id must be an OID. */
static int
hd_optional(struct span hd, const char *what, char *err, size_t errlen)
{
	struct span sub[3];
	char oerr[96];

	if (hd.n == 0)
		return 0;
	split(hd, '&', sub, 3);
	if (span_eq(sub[2], "ISO") &&
	    hl7_oid_valid(sub[1].p, sub[1].n, oerr, sizeof oerr) != 0)
		return bad(err, errlen, "%s assigning authority: %s", what,
		    oerr);
	return 0;
}

int
hl7_xcn_valid(const char *s, size_t len, char *err, size_t errlen)
{
	struct span all = { s, len }, c[9], fam[1];

	if (s == NULL || len == 0)
		return bad(err, errlen, "XCN is empty");
	if (len > XCN_MAX)
		return bad(err, errlen, "XCN longer than %d bytes", XCN_MAX);
	if (!printable(s, len))
		return bad(err, errlen, "XCN holds control characters");
	split(all, '^', c, 9);
	split(c[1], '&', fam, 1);	/* FN.1 surname */
	if (c[0].n == 0 && fam[0].n == 0)
		return bad(err, errlen, "XCN needs an id (component 1) or a "
		    "family name (component 2)");
	return hd_optional(c[8], "XCN", err, errlen);
}

int
hl7_xon_valid(const char *s, size_t len, char *err, size_t errlen)
{
	struct span all = { s, len }, c[11], sub[3];
	size_t n, i;
	char oerr[96];

	if (s == NULL || len == 0)
		return bad(err, errlen, "XON is empty");
	if (len > XCN_MAX)
		return bad(err, errlen, "XON longer than %d bytes", XCN_MAX);
	if (!printable(s, len))
		return bad(err, errlen, "XON holds control characters");
	n = split(all, '^', c, 11);
	if (c[0].n == 0)
		return bad(err, errlen, "XON needs an organization name "
		    "(component 1)");
	/* ITI TF-3 Table 4.2.3.1.7-2: only XON.1, XON.6 and XON.10. */
	for (i = 1; i < 11 && i < n; i++)
		if (i != 5 && i != 9 && c[i].n != 0)
			return bad(err, errlen, "XON component %zu is not "
			    "allowed in XDS (only 1, 6 and 10)", i + 1);
	if (n > 10)
		for (i = (size_t)(c[9].p + c[9].n - s); i < len; i++)
			if (s[i] != '^')
				return bad(err, errlen, "XON has a component "
				    "past 10");
	if (hd_optional(c[5], "XON", err, errlen) != 0)
		return -1;
	/* An organization id that is not an OID needs an ISO authority. */
	if (c[9].n != 0 &&
	    hl7_oid_valid(c[9].p, c[9].n, oerr, sizeof oerr) != 0) {
		split(c[5], '&', sub, 3);
		if (sub[1].n == 0 || !span_eq(sub[2], "ISO"))
			return bad(err, errlen, "XON organization id (component "
			    "10) is not an OID, so component 6 must give "
			    "&OID&ISO");
	}
	return 0;
}

int
hl7_bsn_valid(const char *s, size_t len)
{
	size_t i;
	int sum = 0, nonzero = 0;

	if (s == NULL || len != 9)
		return -1;
	for (i = 0; i < 9; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		nonzero |= s[i] != '0';
	}
	for (i = 0; i < 8; i++)
		sum += (s[i] - '0') * (int)(9 - i);
	sum -= s[8] - '0';
	/* All zeros passes the arithmetic but is no BSN; a weighted sum of
	 * zero is fine otherwise (100000009). */
	if (!nonzero || sum % 11 != 0)
		return -1;
	return 0;
}

int
hl7_lang_valid(const char *s, size_t len)
{
	size_t i, n = 0;
	int first = 1;

	if (len == 0 || len > HL7_LANG_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '-') {
			if (n == 0 || i + 1 == len)
				return -1;
			n = 0;
			first = 0;
		} else if (((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (!first && s[i] >= '0' && s[i] <= '9')) &&
		    ++n <= 8)
			continue;
		else
			return -1;
	}
	return 0;
}
