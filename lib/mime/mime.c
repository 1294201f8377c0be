/*
 * mime.c: streaming multipart/related parser and Content-Type / cid:
 * helpers.  See mime.h.
 *
 * Delimiter search: the delimiter is "[CR]LF--boundary".  Because a
 * boundary holds no LF, a partial match can only restart at an LF, so
 * the bytes held back across chunk edges are always a prefix of the
 * delimiter (plus one CR) and are re-emitted from the pattern itself:
 * no part data is ever buffered.  Whether a match is a delimiter is
 * decided by the byte after it: "--" closes, WSP/CR/LF opens a part,
 * anything else means the bytes were data after all.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "str.h"

#define MAX_PADDING	1024	/* transport padding after a boundary */

enum state {
	ST_PREAMBLE,	/* scanning, bytes discarded */
	ST_BODY,	/* scanning, bytes are part data */
	ST_AFTER,	/* "LF--boundary" matched: look at the next byte */
	ST_DASH,	/* ... and one '-' */
	ST_PAD,		/* transport padding */
	ST_CR,		/* CR at the end of a delimiter line */
	ST_HEADERS,
	ST_EPILOGUE,
	ST_FAILED,
};

struct mime_parser {
	struct mime_callbacks cb;
	void		*arg;
	struct mime_limits lim;
	char		*delim;		/* "\n--" boundary */
	size_t		 dlen;
	size_t		 m;		/* delimiter bytes matched, held back */
	int		 held_cr;	/* a CR held back before the LF */
	int		 virt;		/* delim[0] was implied, not received */
	enum state	 state;
	int		 in_body;	/* scanning a part (else the preamble) */
	size_t		 pad;
	char		*hdr;		/* header block, CR removed, LF kept */
	size_t		 hlen;
	size_t		 line_start;
	size_t		 nparts;
	int		 status;
	char		 err[192];
};

static int
fail(struct mime_parser *p, int status, const char *msg)
{
	if (p->status == 0) {
		str_lcpy(p->err, msg, sizeof p->err);
		p->status = status;
		p->state = ST_FAILED;
	}
	return p->status;
}

/* A callback's refusal as the parser's status. */
static int
cb_status(int rc)
{
	return rc < 0 && rc >= XDS_STATUS_MIN ? rc : XDS_ERR;
}

static int
boundary_valid(const char *b)
{
	size_t i, n = strlen(b);

	if (n == 0 || n > MIME_BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e)
			return 0;
	return 1;
}

int
mime_parser_new(struct mime_parser **out, const char *boundary,
    const struct mime_limits *lim, const struct mime_callbacks *cb,
    void *arg, char *err, size_t errlen)
{
	struct mime_parser *p = NULL;
	size_t blen;

	*out = NULL;
	if (boundary == NULL || !boundary_valid(boundary)) {
		str_lcpy(err, "invalid multipart boundary (1..70 printable "
		    "characters)", errlen);
		return XDS_EFORMAT;
	}
	blen = strlen(boundary);
	if ((p = calloc(1, sizeof *p)) == NULL)
		goto nomem;
	if (cb != NULL)
		p->cb = *cb;
	p->arg = arg;
	if (lim != NULL)
		p->lim = *lim;
	if (p->lim.max_header_bytes == 0)
		p->lim.max_header_bytes = MIME_DEFAULT_HEADER_BYTES;
	if (p->lim.max_header_fields == 0)
		p->lim.max_header_fields = MIME_DEFAULT_HEADER_FIELDS;
	if (p->lim.max_parts == 0)
		p->lim.max_parts = MIME_DEFAULT_MAX_PARTS;
	p->dlen = blen + 3;
	if ((p->delim = malloc(p->dlen + 1)) == NULL ||
	    (p->hdr = malloc(p->lim.max_header_bytes + 1)) == NULL)
		goto nomem;
	memcpy(p->delim, "\n--", 3);
	memcpy(p->delim + 3, boundary, blen + 1);
	/* The body may open with "--boundary": act as if an LF preceded. */
	p->state = ST_PREAMBLE;
	p->m = 1;
	p->virt = 1;
	*out = p;
	return XDS_OK;
nomem:
	mime_parser_free(p);
	str_lcpy(err, "out of memory", errlen);
	return XDS_ENOMEM;
}

void
mime_parser_free(struct mime_parser *p)
{
	if (p == NULL)
		return;
	free(p->delim);
	free(p->hdr);
	free(p);
}

const char *
mime_error(const struct mime_parser *p)
{
	return p->err;
}

size_t
mime_part_count(const struct mime_parser *p)
{
	return p->nparts;
}

/* Part data (discarded in the preamble). */
static int
emit(struct mime_parser *p, const char *d, size_t n)
{
	int rc;

	if (n == 0 || !p->in_body || p->cb.part_data == NULL)
		return 0;
	if ((rc = p->cb.part_data(p->arg, d, n)) != 0)
		return fail(p, cb_status(rc), "part data refused");
	return 0;
}

/* A candidate delimiter was data after all: give back the held bytes. */
static int
release(struct mime_parser *p, int dash)
{
	size_t from = p->virt ? 1 : 0;

	if (p->held_cr && emit(p, "\r", 1) != 0)
		return p->status;
	if (p->m > from && emit(p, p->delim + from, p->m - from) != 0)
		return p->status;
	if (dash && emit(p, "-", 1) != 0)
		return p->status;
	p->m = 0;
	p->held_cr = p->virt = 0;
	p->state = p->in_body ? ST_BODY : ST_PREAMBLE;
	return 0;
}

/* Scan preamble or part data for the delimiter; returns bytes used. */
static size_t
scan(struct mime_parser *p, const char *d, size_t n)
{
	const char *lf;
	size_t i = 0, end, dend;

	while (i < n && p->status == 0) {
		if (p->m == 0) {
			lf = memchr(d + i, '\n', n - i);
			end = lf ? (size_t)(lf - d) : n;
			if (end > i) {
				if (p->held_cr && emit(p, "\r", 1) != 0)
					break;
				p->held_cr = 0;
				dend = d[end - 1] == '\r' ? end - 1 : end;
				if (emit(p, d + i, dend - i) != 0)
					break;
				p->held_cr = dend < end;
			}
			if (lf == NULL)
				return n;
			p->m = 1;
			i = end + 1;
			continue;
		}
		while (i < n && p->m < p->dlen && d[i] == p->delim[p->m]) {
			i++;
			p->m++;
		}
		if (p->m == p->dlen) {
			p->state = ST_AFTER;
			return i;
		}
		if (i < n)
			(void)release(p, 0);
	}
	return i;
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [s, e) into out; no control characters in the result.
 * A '%' not followed by two hex digits stays as it is. */
static int
pct_decode(const char *s, const char *e, char *out, size_t outsz)
{
	size_t o = 0;
	int c, h1, h2;

	if (outsz == 0)
		return XDS_EFORMAT;
	for (; s < e; s++) {
		c = (unsigned char)*s;
		if (c == '%' && e - s >= 3 &&
		    (h1 = hexval((unsigned char)s[1])) >= 0 &&
		    (h2 = hexval((unsigned char)s[2])) >= 0) {
			c = h1 << 4 | h2;
			s += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= outsz)
			return XDS_EFORMAT;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return XDS_OK;
}

static void
strip_angle(const char **s, const char **e)
{
	if (*e - *s >= 2 && **s == '<' && (*e)[-1] == '>') {
		(*s)++;
		(*e)--;
	}
}

int
mime_cid_decode(const char *in, size_t inlen, char *out, size_t outsz)
{
	const char *s = in, *e = in + inlen;

	trim(&s, &e);
	if (e - s >= 4 && str_ncaseeq(s, "cid:", 4))
		s += 4;
	strip_angle(&s, &e);
	return pct_decode(s, e, out, outsz);
}

static enum mime_cte
cte_of(const char *v)
{
	static const struct { const char *name; enum mime_cte cte; } t[] = {
		{ "binary", MIME_CTE_BINARY }, { "8bit", MIME_CTE_8BIT },
		{ "7bit", MIME_CTE_7BIT }, { "base64", MIME_CTE_BASE64 },
		{ "quoted-printable", MIME_CTE_QP },
	};
	size_t i;

	if (*v == '\0')
		return MIME_CTE_BINARY;
	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (str_caseeq(v, t[i].name))
			return t[i].cte;
	return MIME_CTE_OTHER;
}

/* Copy a trimmed header value; 0 if it does not fit. */
static int
copy_value(char *dst, size_t dstsz, const char *s, const char *e)
{
	if ((size_t)(e - s) >= dstsz)
		return 0;
	memcpy(dst, s, (size_t)(e - s));
	dst[e - s] = '\0';
	return 1;
}

/* Parse the buffered header block and start the part. */
static int
headers_done(struct mime_parser *p)
{
	struct mime_part part;
	char *s, *e, *line, *colon, *end = p->hdr + p->hlen;
	const char *vs, *ve;
	size_t nfields = 0, i;
	unsigned seen = 0;
	int rc;

	memset(&part, 0, sizeof part);
	part.index = p->nparts - 1;
	/* Unfold: an LF followed by WSP continues the field. */
	for (i = 0; i + 1 < p->hlen; i++)
		if (p->hdr[i] == '\n' && (p->hdr[i + 1] == ' ' ||
		    p->hdr[i + 1] == '\t'))
			p->hdr[i] = ' ';
	for (line = p->hdr; line < end; line = e + 1) {
		e = memchr(line, '\n', (size_t)(end - line));
		if (e == NULL)
			e = end;
		if (++nfields > p->lim.max_header_fields)
			return fail(p, XDS_ETOOBIG, "more than the allowed "
			    "header fields in part");
		if (*line == ' ' || *line == '\t')
			return fail(p, XDS_EFORMAT, "part header block "
			    "starts with a continuation line");
		if ((colon = memchr(line, ':', (size_t)(e - line))) == NULL)
			return fail(p, XDS_EFORMAT,
			    "part header line without a colon");
		for (s = line; s < e; s++)
			if ((unsigned char)*s < 0x20 && *s != '\t')
				return fail(p, XDS_EFORMAT, "control "
				    "character in a part header");
		vs = colon + 1;
		ve = e;
		trim(&vs, &ve);
		s = colon;
		while (s > line && (s[-1] == ' ' || s[-1] == '\t'))
			s--;
		*s = '\0';
		if (str_caseeq(line, "Content-Type")) {
			if (seen & 1)
				goto dup;
			seen |= 1;
			if (!copy_value(part.content_type,
			    sizeof part.content_type, vs, ve))
				return fail(p, XDS_ETOOBIG,
				    "part Content-Type too long");
		} else if (str_caseeq(line, "Content-ID")) {
			if (seen & 2)
				goto dup;
			seen |= 2;
			strip_angle(&vs, &ve);
			if (pct_decode(vs, ve, part.content_id,
			    sizeof part.content_id) != 0)
				return fail(p, XDS_ETOOBIG, "part Content-ID "
				    "too long or not printable");
		} else if (str_caseeq(line, "Content-Transfer-Encoding")) {
			if (seen & 4)
				goto dup;
			seen |= 4;
			if (!copy_value(part.cte_name, sizeof part.cte_name,
			    vs, ve))
				return fail(p, XDS_EFORMAT, "unknown "
				    "Content-Transfer-Encoding");
			for (s = part.cte_name; *s; s++)
				if (*s >= 'A' && *s <= 'Z')
					*s += 'a' - 'A';
			part.cte = cte_of(part.cte_name);
		}
	}
	p->state = ST_BODY;
	p->in_body = 1;
	p->m = 1;		/* an empty body: "CRLF CRLF --boundary" */
	p->virt = 1;
	p->held_cr = 0;
	if (p->cb.part_begin != NULL &&
	    (rc = p->cb.part_begin(p->arg, &part)) != 0)
		return fail(p, cb_status(rc), "part refused");
	return 0;
dup:
	(void)fail(p, XDS_EFORMAT, "part header given twice");
	(void)str_fmt(p->err, sizeof p->err, "part header %s given twice",
	    line);
	return p->status;
}

/* Collect the part header block up to its empty line; returns bytes used. */
static size_t
headers(struct mime_parser *p, const char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n && p->status == 0; i++) {
		if (d[i] != '\n') {
			if (p->hlen >= p->lim.max_header_bytes) {
				(void)fail(p, XDS_ETOOBIG, "part header block "
				    "over the limit");
				break;
			}
			p->hdr[p->hlen++] = d[i];
			continue;
		}
		if (p->hlen > p->line_start && p->hdr[p->hlen - 1] == '\r')
			p->hlen--;
		if (p->hlen == p->line_start) {
			if (p->hlen > 0)
				p->hlen--;	/* the last field's LF */
			p->hdr[p->hlen] = '\0';
			(void)headers_done(p);
			return i + 1;
		}
		if (p->hlen >= p->lim.max_header_bytes) {
			(void)fail(p, XDS_ETOOBIG, "part header block over "
			    "the limit");
			break;
		}
		p->hdr[p->hlen++] = '\n';
		p->line_start = p->hlen;
	}
	return i;
}

/* The delimiter line is real: end the current part, await headers. */
static int
delimiter(struct mime_parser *p, int close)
{
	int rc;

	if (p->in_body && p->cb.part_end != NULL &&
	    (rc = p->cb.part_end(p->arg)) != 0)
		return fail(p, cb_status(rc), "part end refused");
	p->in_body = 0;
	p->m = 0;
	p->held_cr = p->virt = 0;
	p->pad = 0;
	if (close) {
		p->state = ST_EPILOGUE;
		return 0;
	}
	if (p->nparts >= p->lim.max_parts)
		return fail(p, XDS_ETOOBIG, "more than the allowed number "
		    "of MIME parts");
	p->nparts++;
	p->hlen = p->line_start = 0;
	return 0;
}

int
mime_feed(struct mime_parser *p, const void *data, size_t len)
{
	const char *d = data;
	size_t i = 0;
	char c;

	while (i < len && p->status == 0) {
		switch (p->state) {
		case ST_PREAMBLE:
		case ST_BODY:
			i += scan(p, d + i, len - i);
			continue;
		case ST_HEADERS:
			i += headers(p, d + i, len - i);
			continue;
		case ST_EPILOGUE:
			return XDS_OK;
		default:
			break;
		}
		c = d[i];
		switch (p->state) {
		case ST_AFTER:
			if (c == '-') {
				p->state = ST_DASH;
			} else if (c == ' ' || c == '\t') {
				if (delimiter(p, 0) == 0)
					p->state = ST_PAD;
			} else if (c == '\r') {
				if (delimiter(p, 0) == 0)
					p->state = ST_CR;
			} else if (c == '\n') {
				if (delimiter(p, 0) == 0)
					p->state = ST_HEADERS;
			} else {
				(void)release(p, 0);
				continue;	/* c again, as data */
			}
			break;
		case ST_DASH:
			if (c != '-') {
				(void)release(p, 1);
				continue;
			}
			(void)delimiter(p, 1);
			break;
		case ST_PAD:
			if (c == '\r')
				p->state = ST_CR;
			else if (c == '\n')
				p->state = ST_HEADERS;
			else if ((c != ' ' && c != '\t') ||
			    ++p->pad > MAX_PADDING)
				return fail(p, XDS_EFORMAT, "unexpected bytes "
				    "after a MIME boundary");
			break;
		case ST_CR:
			if (c != '\n')
				return fail(p, XDS_EFORMAT, "CR without LF "
				    "after a MIME boundary");
			p->state = ST_HEADERS;
			break;
		default:
			return fail(p, XDS_EFORMAT, "parser state");
		}
		i++;
	}
	return p->status;
}

int
mime_finish(struct mime_parser *p)
{
	if (p->status != 0)
		return p->status;
	if (p->state != ST_EPILOGUE)
		return fail(p, XDS_EFORMAT, p->nparts == 0 ?
		    "no MIME boundary found in the body%s" :
		    "MIME body truncated: no close delimiter");
	if (p->nparts == 0)
		return fail(p, XDS_EFORMAT, "multipart body without parts");
	return XDS_OK;
}

/* Content-Type parsing (RFC 2045 5.1), tolerant of real-world forms. */

static int
tchar(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int
ct_fail(char *err, size_t errlen, const char *what)
{
	if (str_fmt(err, errlen, "Content-Type: %s", what) < 0)
		str_lcpy(err, what, errlen);
	return XDS_EFORMAT;
}

static int
lower_token(const char **sp, char *out, size_t outsz)
{
	const char *s = *sp;
	size_t n = 0;

	while (tchar((unsigned char)*s)) {
		if (n + 1 >= outsz)
			return -1;
		out[n++] = (*s >= 'A' && *s <= 'Z') ? *s + ('a' - 'A') : *s;
		s++;
	}
	out[n] = '\0';
	*sp = s;
	return n == 0 ? -1 : 0;
}

static int
set_param(struct mime_ctype *ct, const char *name, const char *v, size_t vlen,
    unsigned *seen, char *err, size_t errlen)
{
	static const struct { const char *name; size_t off, size; } t[] = {
#define P(n, f) { n, offsetof(struct mime_ctype, f), \
	sizeof(((struct mime_ctype *)0)->f) }
		P("boundary", boundary), P("type", type_param),
		P("start", start), P("start-info", start_info),
		P("action", action), P("charset", charset),
#undef P
	};
	size_t i;
	char *dst;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (str_caseeq(name, t[i].name))
			break;
	if (i == sizeof t / sizeof t[0])
		return 0;
	if (*seen & (1u << i))
		return ct_fail(err, errlen, "parameter given twice");
	*seen |= 1u << i;
	dst = (char *)ct + t[i].off;
	if (dst == ct->start) {
		ct->has_start = 1;
		if (mime_cid_decode(v, vlen, dst, t[i].size) != 0)
			return ct_fail(err, errlen, "bad start parameter");
		return 0;
	}
	if (vlen >= t[i].size)
		return ct_fail(err, errlen, "parameter value too long");
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	if (dst == ct->boundary && !boundary_valid(dst))
		return ct_fail(err, errlen, "invalid boundary parameter");
	return 0;
}

int
mime_content_type_parse(const char *value, struct mime_ctype *ct, char *err,
    size_t errlen)
{
	const char *s = value;
	char name[64], v[1024];
	size_t vlen;
	unsigned seen = 0;
	int rc;

	memset(ct, 0, sizeof *ct);
	if (value == NULL)
		return ct_fail(err, errlen, "missing");
	while (*s == ' ' || *s == '\t')
		s++;
	if (lower_token(&s, ct->type, sizeof ct->type) != 0 || *s++ != '/' ||
	    lower_token(&s, ct->subtype, sizeof ct->subtype) != 0)
		return ct_fail(err, errlen, "expected type/subtype");
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return XDS_OK;
		if (*s++ != ';')
			return ct_fail(err, errlen, "expected ';'");
		while (*s == ' ' || *s == '\t' || *s == ';')
			s++;
		if (*s == '\0')
			return XDS_OK;		/* a trailing ';' */
		if (lower_token(&s, name, sizeof name) != 0)
			return ct_fail(err, errlen, "bad parameter name");
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s++ != '=')
			return ct_fail(err, errlen, "expected '=' after a "
			    "parameter name");
		while (*s == ' ' || *s == '\t')
			s++;
		vlen = 0;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				if (*s == '\0')
					return ct_fail(err, errlen,
					    "unterminated quoted string");
				if ((unsigned char)*s < 0x20 && *s != '\t')
					return ct_fail(err, errlen,
					    "control character");
				if (vlen + 1 >= sizeof v)
					return ct_fail(err, errlen,
					    "parameter value too long");
				v[vlen++] = *s;
			}
			s++;
		} else {
			/* Token, tolerating unquoted <cid> and ':' values. */
			while (*s != '\0' && *s != ';' && *s != ' ' &&
			    *s != '\t' && *s != '"') {
				if ((unsigned char)*s < 0x20 ||
				    vlen + 1 >= sizeof v)
					return ct_fail(err, errlen,
					    "bad parameter value");
				v[vlen++] = *s++;
			}
			if (vlen == 0)
				return ct_fail(err, errlen,
				    "empty parameter value");
		}
		v[vlen] = '\0';
		if ((rc = set_param(ct, name, v, vlen, &seen, err,
		    errlen)) != 0)
			return rc;
	}
}
