/*
 * hl7v2.c: HL7 v2 messages in ER7, parsed by position, and their
 * acknowledgments (hl7v2.h).
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "hl7v2.h"
#include "str.h"
#include "vocab.h"

static int
is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A separator: printable, not a letter, digit or space. */
static int
is_sep_char(char c)
{
	return c > ' ' && c < 0x7f && !is_name_char(c) &&
	    !(c >= 'a' && c <= 'z');
}

/* MSH and its encoding characters. */
static int
parse_msh(const char *b, size_t len, struct hl7v2_msg *m, char *err,
    size_t errlen)
{
	const char *enc;
	size_t n;

	if (len < 8 || memcmp(b, "MSH", 3) != 0) {
		str_fmt(err, errlen, "not an HL7 v2 message: it does not "
		    "begin with MSH");
		return XDS_EFORMAT;
	}
	m->fs = b[3];
	enc = b + 4;
	for (n = 0; n < 5 && 4 + n < len && enc[n] != m->fs; n++)
		;
	if (n < 4 || 4 + n >= len || enc[n] != m->fs) {
		str_fmt(err, errlen, "MSH-2: the encoding characters are not "
		    "four characters followed by the field separator");
		return XDS_EFORMAT;
	}
	m->cs = enc[0];
	m->rs = enc[1];
	m->es = enc[2];
	m->ss = enc[3];
	if (!is_sep_char(m->fs) || !is_sep_char(m->cs) ||
	    !is_sep_char(m->rs) || !is_sep_char(m->es) ||
	    !is_sep_char(m->ss) || m->fs == m->cs || m->fs == m->rs ||
	    m->fs == m->es || m->fs == m->ss || m->cs == m->rs ||
	    m->cs == m->es || m->cs == m->ss || m->rs == m->es ||
	    m->rs == m->ss || m->es == m->ss) {
		str_fmt(err, errlen, "MSH-1/MSH-2: the separators must be "
		    "five distinct printable characters, not letters or "
		    "digits");
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

int
hl7v2_parse(const char *b, size_t len, struct hl7v2_msg *m, char *err,
    size_t errlen)
{
	size_t i = 0, start;
	int rc;

	memset(m, 0, sizeof *m);
	if (len > HL7V2_MAX_MESSAGE) {
		str_fmt(err, errlen, "message of %zu bytes: at most %d are "
		    "taken", len, HL7V2_MAX_MESSAGE);
		return XDS_ETOOBIG;
	}
	if (memchr(b, '\0', len) != NULL) {
		str_fmt(err, errlen, "a NUL byte in the message");
		return XDS_EFORMAT;
	}
	if ((rc = parse_msh(b, len, m, err, errlen)) != XDS_OK)
		return rc;
	m->text = b;
	m->len = len;
	while (i < len) {
		start = i;
		while (i < len && b[i] != '\r' && b[i] != '\n')
			i++;
		if (i > start) {
			struct hl7v2_seg *s;

			if (m->nseg == HL7V2_MAX_SEGMENTS) {
				str_fmt(err, errlen, "more than %d segments",
				    HL7V2_MAX_SEGMENTS);
				return XDS_ETOOBIG;
			}
			if (i - start < 3 || !is_name_char(b[start]) ||
			    !is_name_char(b[start + 1]) ||
			    !is_name_char(b[start + 2]) ||
			    (i - start > 3 && b[start + 3] != m->fs)) {
				str_fmt(err, errlen, "segment %zu: not a "
				    "three-character name and a field "
				    "separator", m->nseg + 1);
				return XDS_EFORMAT;
			}
			s = &m->seg[m->nseg++];
			memcpy(s->name, b + start, 3);
			s->name[3] = '\0';
			s->off = start;
			s->len = i - start;
			if (m->nseg > 1 && strcmp(s->name, "MSH") == 0) {
				str_fmt(err, errlen, "segment %zu: a second "
				    "MSH (batches are not taken)", m->nseg);
				return XDS_EFORMAT;
			}
		}
		while (i < len && (b[i] == '\r' || b[i] == '\n'))
			i++;
	}
	return XDS_OK;
}

size_t
hl7v2_count(const struct hl7v2_msg *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->nseg; i++)
		n += strcmp(m->seg[i].name, name) == 0;
	return n;
}

static const struct hl7v2_seg *
find_seg(const struct hl7v2_msg *m, const char *name, size_t occ)
{
	size_t i;

	for (i = 0; i < m->nseg; i++)
		if (strcmp(m->seg[i].name, name) == 0 && occ-- == 0)
			return &m->seg[i];
	return NULL;
}

/* The piece number k (0-based) of [*p, *e) split at sep: 0 and the piece
 * in [*p, *e), or -1 when there are fewer. */
static int
piece(const char **p, const char **e, char sep, int k)
{
	const char *a = *p, *q;

	for (;;) {
		for (q = a; q < *e && *q != sep; q++)
			;
		if (k-- == 0) {
			*p = a;
			*e = q;
			return 0;
		}
		if (q == *e)
			return -1;
		a = q + 1;
	}
}

/* Field f of segment s: [*p, *e); -1 when absent. */
static int
field_span(const struct hl7v2_msg *m, const struct hl7v2_seg *s, int f,
    const char **p, const char **e)
{
	*p = m->text + s->off + 3;
	*e = m->text + s->off + s->len;
	if (*p == *e)
		return -1;
	(*p)++;			/* past the separator after the name */
	if (strcmp(s->name, "MSH") == 0)
		f--;		/* MSH-1 is that separator */
	if (f < 1)
		return -1;
	return piece(p, e, m->fs, f - 1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One escape sequence \x..\ at [p, q) (without the escape characters)
 * into out at *n. */
static int
unescape_one(const struct hl7v2_msg *m, const char *p, const char *q,
    char *out, size_t outsz, size_t *n)
{
	char c = 0;

	if (q - p == 1) {
		switch (*p) {
		case 'F': c = m->fs; break;
		case 'S': c = m->cs; break;
		case 'T': c = m->ss; break;
		case 'R': c = m->rs; break;
		case 'E': c = m->es; break;
		default: return 0;	/* \H\ \N\: formatting, dropped */
		}
		if (*n + 1 >= outsz)
			return -2;
		out[(*n)++] = c;
		return 0;
	}
	if (*p == 'X' && (q - p) % 2 == 1) {
		for (p++; p < q; p += 2) {
			int hi = hexval(p[0]), lo = hexval(p[1]);

			if (hi < 0 || lo < 0)
				return 0;
			if (hi == 0 && lo == 0)
				continue;	/* no NUL in a C string */
			if (*n + 1 >= outsz)
				return -2;
			out[(*n)++] = (char)(hi * 16 + lo);
		}
	}
	return 0;	/* others (\Zxx\, \Cxx\, \Mxx\, \.br\): dropped */
}

static int
unescape(const struct hl7v2_msg *m, const char *p, const char *e, char *out,
    size_t outsz)
{
	const char *q;
	size_t n = 0;

	if (outsz == 0)
		return -2;
	while (p < e) {
		if (*p == m->es) {
			for (q = p + 1; q < e && *q != m->es; q++)
				;
			if (q < e && q > p + 1) {
				if (unescape_one(m, p + 1, q, out, outsz,
				    &n) != 0) {
					out[0] = '\0';	/* no cut value */
					return -2;
				}
				p = q + 1;
				continue;
			}
		}
		if (n + 1 >= outsz) {
			out[0] = '\0';
			return -2;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
	return (int)n;
}

int
hl7v2_get(const struct hl7v2_msg *m, const char *name, size_t occ,
    int field, int rep, int comp, int sub, char *out, size_t outsz)
{
	const struct hl7v2_seg *s;
	const char *p, *e;
	size_t n;

	if (outsz > 0)
		out[0] = '\0';
	if ((s = find_seg(m, name, occ)) == NULL || rep < 0 || comp < 1 ||
	    sub < 1)
		return -1;
	if (strcmp(name, "MSH") == 0 && field <= 2) {
		if (field < 1 || rep != 0 || comp != 1 || sub != 1)
			return -1;
		p = m->text + 3;
		n = field == 1 ? 1 : 4;
		if (n >= outsz)
			return -2;
		memcpy(out, field == 1 ? p : p + 1, n);
		out[n] = '\0';
		return (int)n;
	}
	if (field_span(m, s, field, &p, &e) != 0 ||
	    piece(&p, &e, m->rs, rep) != 0 ||
	    piece(&p, &e, m->cs, comp - 1) != 0 ||
	    piece(&p, &e, m->ss, sub - 1) != 0)
		return -1;
	return unescape(m, p, e, out, outsz);
}

size_t
hl7v2_nrep(const struct hl7v2_msg *m, const char *name, size_t occ,
    int field)
{
	const struct hl7v2_seg *s;
	const char *p, *e;
	size_t n = 1;

	if ((s = find_seg(m, name, occ)) == NULL ||
	    field_span(m, s, field, &p, &e) != 0 || p == e)
		return 0;
	if (strcmp(name, "MSH") == 0 && field <= 2)
		return 1;
	for (; p < e; p++)
		n += *p == m->rs;
	return n;
}

/* ---- acknowledgments ---- */

/* s escaped for the standard encoding characters. */
static int
add_escaped(struct buf *b, const char *s)
{
	int rc = XDS_OK;

	for (; *s != '\0' && rc == XDS_OK; s++) {
		switch (*s) {
		case '|': rc = buf_adds(b, "\\F\\"); break;
		case '^': rc = buf_adds(b, "\\S\\"); break;
		case '&': rc = buf_adds(b, "\\T\\"); break;
		case '~': rc = buf_adds(b, "\\R\\"); break;
		case '\\': rc = buf_adds(b, "\\E\\"); break;
		case '\r':
		case '\n': rc = buf_adds(b, " "); break;
		default: rc = buf_add(b, s, 1); break;
		}
	}
	return rc;
}

/* "|" and the components 1..ncomp of req's field (empty without req),
 * re-encoded. */
static int
add_field(struct buf *b, const struct hl7v2_msg *req, const char *seg,
    int field, int ncomp)
{
	char v[HL7V2_MAX_VALUE];
	int c, last = 0, rc;

	if ((rc = buf_adds(b, "|")) != XDS_OK || req == NULL)
		return rc;
	for (c = 1; c <= ncomp; c++)	/* trailing empty components off */
		if (hl7v2_get(req, seg, 0, field, 0, c, 1, v, sizeof v) > 0)
			last = c;
	for (c = 1; c <= last; c++) {
		if (hl7v2_get(req, seg, 0, field, 0, c, 1, v, sizeof v) < 0)
			v[0] = '\0';
		if ((c > 1 && (rc = buf_adds(b, "^")) != XDS_OK) ||
		    (rc = add_escaped(b, v)) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

int
hl7v2_write_ack(const struct hl7v2_msg *req, const struct hl7v2_ack *a,
    struct buf *b)
{
	char ev[HL7V2_MAX_VALUE], ver[HL7V2_MAX_VALUE], ctl[HL7V2_MAX_VALUE];
	int rc;

	ev[0] = ctl[0] = '\0';
	str_lcpy(ver, "2.5", sizeof ver);
	if (req != NULL) {
		if (hl7v2_get(req, "MSH", 0, 9, 0, 2, 1, ev, sizeof ev) < 0)
			ev[0] = '\0';
		if (hl7v2_get(req, "MSH", 0, 10, 0, 1, 1, ctl, sizeof ctl) < 0)
			ctl[0] = '\0';
		if (hl7v2_get(req, "MSH", 0, 12, 0, 1, 1, ver, sizeof ver) <= 0)
			str_lcpy(ver, "2.5", sizeof ver);
	}
	if ((rc = buf_adds(b, "MSH|^~\\&")) != XDS_OK ||
	    (rc = add_field(b, req, "MSH", 5, 3)) != XDS_OK ||
	    (rc = add_field(b, req, "MSH", 6, 3)) != XDS_OK ||
	    (rc = add_field(b, req, "MSH", 3, 3)) != XDS_OK ||
	    (rc = add_field(b, req, "MSH", 4, 3)) != XDS_OK ||
	    (rc = buf_adds(b, "|")) != XDS_OK ||
	    (rc = add_escaped(b, a->now)) != XDS_OK ||
	    (rc = buf_adds(b, "||" HL7_MSG_ACK "^")) != XDS_OK ||
	    (rc = add_escaped(b, ev)) != XDS_OK ||
	    (rc = buf_adds(b, "^" HL7_MSG_ACK "|")) != XDS_OK ||
	    (rc = add_escaped(b, a->control_id)) != XDS_OK ||
	    (rc = buf_adds(b, "|P|")) != XDS_OK ||
	    (rc = add_escaped(b, ver)) != XDS_OK ||
	    (rc = buf_adds(b, "\rMSA|")) != XDS_OK ||
	    (rc = add_escaped(b, a->code)) != XDS_OK ||
	    (rc = buf_adds(b, "|")) != XDS_OK ||
	    (rc = add_escaped(b, ctl)) != XDS_OK)
		return rc;
	if (a->text != NULL && a->text[0] != '\0' &&
	    ((rc = buf_adds(b, "|")) != XDS_OK ||
	    (rc = add_escaped(b, a->text)) != XDS_OK))
		return rc;
	if ((rc = buf_adds(b, "\r")) != XDS_OK || a->err_code == NULL)
		return rc;
	/* ERR-2 location is an ERL: its components stay components */
	if ((rc = buf_adds(b, "ERR||")) != XDS_OK ||
	    (a->err_loc != NULL &&
	    (rc = buf_adds(b, a->err_loc)) != XDS_OK) ||
	    (rc = buf_adds(b, "|")) != XDS_OK ||
	    (rc = add_escaped(b, a->err_code)) != XDS_OK ||
	    (rc = buf_adds(b, "^")) != XDS_OK ||
	    (rc = add_escaped(b, a->text != NULL ? a->text : "")) != XDS_OK ||
	    (rc = buf_adds(b, "^" HL7_TBL_ERR "|E\r")) != XDS_OK)
		return rc;
	return XDS_OK;
}
