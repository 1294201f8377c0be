/*
 * xmlscan.c: the streaming filter in front of libxml2 (xmlscan.h):
 * encoding gate and UTF-16 decoding, line-end normalisation, and a
 * markup scanner that counts attributes, namespace declarations and
 * depth before libxml2 parses a start tag.
 *
 * The scanner only needs to find start tags, their attribute values
 * (quoted: a '>' inside one does not end the tag) and the constructs
 * that hide markup (comments, CDATA sections, processing instructions).
 * It never accepts what libxml2 would refuse; on malformed input it
 * may count more than libxml2 would parse, never less.  A markup
 * declaration (<!DOCTYPE, <!ENTITY ...) is refused here, as the parsers
 * refuse it anyway.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "str.h"
#include "xmlscan.h"

enum {
	M_TEXT, M_LT, M_STAG, M_TAG, M_SLASH, M_ANAME, M_AEQ, M_AVALQ,
	M_AVAL, M_ETAG, M_PI, M_BANG, M_COMMENT, M_CDATA
};

#define IS_WS(c)	((c) == ' ' || (c) == '\t' || (c) == '\n' || \
	(c) == '\r')
#define U16_TMP		4096	/* UTF-8 bytes decoded from UTF-16 per pass */

#define XSTR(x)		#x
#define STR(x)		XSTR(x)

/* The first failure is kept: its status and text. */
static int
fail(struct xmlscan *s, int status, const char *msg)
{
	if (s->status == XDS_OK) {
		s->status = status;
		str_lcpy(s->err, msg, sizeof s->err);
	}
	return s->status;
}

/* fail() with XDS_EFORMAT and a text naming a value (an encoding). */
static int	fail_name(struct xmlscan *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail_name(struct xmlscan *s, const char *fmt, ...)
{
	char msg[sizeof s->err];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	return fail(s, XDS_EFORMAT, msg);
}

/* Hand n bytes on; a failure of out is the filter's. */
static int
emit(struct xmlscan *s, xmlscan_out out, void *arg, const void *p,
    size_t n)
{
	char e[sizeof s->err];
	int rc;

	if (n == 0)
		return XDS_OK;
	e[0] = '\0';
	if ((rc = out(arg, p, n, e, sizeof e)) != 0)
		return fail(s, rc < 0 ? rc : XDS_EINTERNAL, e);
	return XDS_OK;
}

int
xmlscan_charset(const char *cs)
{
	if (str_caseeq(cs, "UTF-8"))
		return 8;
	if (str_caseeq(cs, "UTF-16"))
		return 16;
	return 0;
}

void
xmlscan_init(struct xmlscan *s, unsigned long max_attrs, const char *charset)
{
	memset(s, 0, sizeof *s);
	s->max_attrs = max_attrs != 0 ? max_attrs : XMLSCAN_MAX_ATTRS;
	if (charset != NULL && charset[0] != '\0' &&
	    (s->charset = xmlscan_charset(charset)) == 0)
		(void)fail_name(s, "charset %.40s is not accepted: SOAP "
		    "messages are UTF-8 or UTF-16", charset);
}

/* ---- markup ---- */

/* An attribute name ended (its '=' seen): count it. */
static int
attr_counted(struct xmlscan *s)
{
	char msg[sizeof s->err];

	if (s->xmlns) {
		if (++s->ens > XMLSCAN_ELEM_NS)
			return fail(s, XDS_ETOOBIG, "an element has more "
			    "than " STR(XMLSCAN_ELEM_NS) " namespace "
			    "declarations");
		if (s->scope + s->ens > XMLSCAN_SCOPE_NS)
			return fail(s, XDS_ETOOBIG, "more than "
			    STR(XMLSCAN_SCOPE_NS) " namespace declarations "
			    "in scope");
	} else if (++s->eattrs > XMLSCAN_ELEM_ATTRS)
		return fail(s, XDS_ETOOBIG, "an element has more than "
		    STR(XMLSCAN_ELEM_ATTRS) " attributes");
	if (++s->attrs > s->max_attrs) {
		str_fmt(msg, sizeof msg, "more than %lu attributes and "
		    "namespace declarations in the document", s->max_attrs);
		return fail(s, XDS_ETOOBIG, msg);
	}
	return XDS_OK;
}

static void
aname_add(struct xmlscan *s, unsigned char c)
{
	if (s->naname < sizeof s->aname)
		s->aname[s->naname] = (char)c;
	s->naname++;
}

static void
aname_end(struct xmlscan *s)
{
	s->xmlns = (s->naname == 5 && memcmp(s->aname, "xmlns", 5) == 0) ||
	    (s->naname > 6 && memcmp(s->aname, "xmlns:", 6) == 0);
}

/* The start tag ended ('>'); empty: it was "/>". */
static int
tag_open(struct xmlscan *s, int empty)
{
	s->st = M_TEXT;
	if (s->depth >= XMLSCAN_DEPTH)
		return fail(s, XDS_ETOOBIG, "elements nested more than "
		    STR(XMLSCAN_DEPTH) " deep");
	if (!empty) {
		s->nsat[s->depth++] = (unsigned short)s->ens;
		s->scope += s->ens;
	}
	return XDS_OK;
}

/* n more bytes of the start tag being read. */
static int
tag_grown(struct xmlscan *s, size_t n)
{
	char msg[96];

	if ((s->taglen += n) <= XMLSCAN_TAG_MAX)
		return XDS_OK;
	str_fmt(msg, sizeof msg, "a start tag (with its attribute values) "
	    "longer than %lu bytes", XMLSCAN_TAG_MAX);
	return fail(s, XDS_ETOOBIG, msg);
}

static int
in_start_tag(int st)
{
	return st == M_STAG || st == M_TAG || st == M_SLASH ||
	    st == M_ANAME || st == M_AEQ || st == M_AVALQ || st == M_AVAL;
}

static void
tag_close(struct xmlscan *s)
{
	s->st = M_TEXT;
	if (s->depth > 0)
		s->scope -= s->nsat[--s->depth];
}

static inline int
markup(struct xmlscan *s, unsigned char c)
{
	static const char cdata[] = "[CDATA[";

	if (in_start_tag(s->st) && tag_grown(s, 1) != XDS_OK)
		return s->status;
again:
	switch (s->st) {
	case M_TEXT:
		if (c == '<')
			s->st = M_LT;
		break;
	case M_LT:
		if (c == '/')
			s->st = M_ETAG;
		else if (c == '?') {
			s->st = M_PI;
			s->sub = 0;
		} else if (c == '!') {
			s->st = M_BANG;
			s->sub = 0;
		} else {
			s->st = M_STAG;
			s->eattrs = s->ens = 0;
			s->taglen = 2;
		}
		break;
	case M_STAG:
		if (IS_WS(c))
			s->st = M_TAG;
		else if (c == '>')
			return tag_open(s, 0);
		else if (c == '/')
			s->st = M_SLASH;
		break;
	case M_TAG:
		if (IS_WS(c))
			break;
		if (c == '>')
			return tag_open(s, 0);
		if (c == '/')
			s->st = M_SLASH;
		else if (c == '"' || c == '\'') {	/* value without name */
			s->naname = 0;
			aname_end(s);
			s->quote = (char)c;
			s->st = M_AVAL;
			return attr_counted(s);
		} else {
			/* Only a name that begins with x may be xmlns...:
			 * another is known to be long enough not to be. */
			s->aname[0] = (char)c;
			s->naname = c == 'x' ? 1 : sizeof s->aname + 1;
			s->st = M_ANAME;
		}
		break;
	case M_SLASH:
		if (c == '>') {
			if (tag_open(s, 1) != XDS_OK)
				return s->status;
			break;
		}
		s->st = M_TAG;
		goto again;
	case M_ANAME:
		if (c == '=') {
			aname_end(s);
			s->st = M_AVALQ;
			return attr_counted(s);
		}
		if (IS_WS(c))
			s->st = M_AEQ;
		else if (c == '>' || c == '/' || c == '"' || c == '\'') {
			s->st = M_TAG;
			goto again;
		} else
			aname_add(s, c);
		break;
	case M_AEQ:
		if (IS_WS(c))
			break;
		if (c == '=') {
			aname_end(s);
			s->st = M_AVALQ;
			return attr_counted(s);
		}
		s->st = M_TAG;
		goto again;
	case M_AVALQ:
		if (IS_WS(c))
			break;
		if (c == '"' || c == '\'') {
			s->quote = (char)c;
			s->st = M_AVAL;
			break;
		}
		s->st = M_TAG;
		goto again;
	case M_AVAL:
		if (c == (unsigned char)s->quote)
			s->st = M_TAG;
		break;
	case M_ETAG:
		if (c == '>')
			tag_close(s);
		break;
	case M_PI:
		if (c == '?')
			s->sub = 1;
		else if (c == '>' && s->sub)
			s->st = M_TEXT;
		else
			s->sub = 0;
		break;
	case M_BANG:
		if (s->sub == 0 && c == '-')
			s->sub = 1;
		else if (s->sub == 1 && c == '-') {
			s->st = M_COMMENT;
			s->sub = 0;
		} else if (s->sub >= 10 && s->sub - 10 < 7 &&
		    c == (unsigned char)cdata[s->sub - 10]) {
			if (++s->sub - 10 == 7) {
				s->st = M_CDATA;
				s->sub = 0;
			}
		} else if (s->sub == 0 && c == '[')
			s->sub = 11;
		else if (s->sub == 0 && c == 'D')
			return fail(s, XDS_EFORMAT, "DOCTYPE is not allowed in "
			    "a SOAP message");
		else
			return fail(s, XDS_EFORMAT, "XML not well-formed: "
			    "'<!' begins neither a comment nor a CDATA "
			    "section");
		break;
	case M_COMMENT:
	case M_CDATA:
		if (c == (s->st == M_COMMENT ? '-' : ']')) {
			if (s->sub < 2)
				s->sub++;
		} else if (c == '>' && s->sub == 2)
			s->st = M_TEXT;
		else
			s->sub = 0;
		break;
	}
	return XDS_OK;
}

/* ---- the XML declaration ---- */

/* The value of the encoding pseudo-attribute in declbuf: its offset and
 * length, or -1 when there is none. */
static int
decl_encoding(const struct xmlscan *s, size_t *off, size_t *len)
{
	const char *d = s->declbuf, *e = d + s->ndecl, *p;
	char q;

	for (p = d + 5; p + 8 <= e; p++)
		if (memcmp(p, "encoding", 8) == 0 && IS_WS(p[-1]))
			break;
	if (p + 8 > e)
		return -1;
	for (p += 8; p < e && IS_WS(*p); p++)
		;
	if (p >= e || *p++ != '=')
		return -1;
	for (; p < e && IS_WS(*p); p++)
		;
	if (p >= e || (*p != '"' && *p != '\''))
		return -1;
	q = *p++;
	*off = (size_t)(p - d);
	for (; p < e && *p != q; p++)
		;
	if (p >= e)
		return -1;
	*len = (size_t)(p - d) - *off;
	return 0;
}

/* The declaration is complete: check it, hand it on (a UTF-16
 * document's reads UTF-8 now: that is what libxml2 gets). */
static int
decl_done(struct xmlscan *s, xmlscan_out out, void *arg)
{
	char name[40];
	size_t off, len;
	int want, rc;

	s->decl = 2;
	want = s->enc == XMLSCAN_ENC_UTF8 ? 8 : 16;
	if (decl_encoding(s, &off, &len) != 0)
		return emit(s, out, arg, s->declbuf, s->ndecl);
	if (len >= sizeof name)
		len = sizeof name - 1;
	memcpy(name, s->declbuf + off, len);
	name[len] = '\0';
	rc = xmlscan_charset(name);
	if (rc == 0)
		return fail_name(s, "encoding %.40s is not accepted: SOAP "
		    "messages are UTF-8 or UTF-16", name);
	if (rc != want)
		return fail_name(s, rc == 16 ? "the XML declaration "
		    "says %s, but the document has no UTF-16 byte order mark" :
		    "the XML declaration says %s, but the document is "
		    "UTF-16", name);
	/* The MIME charset agrees with the byte order mark (decide()),
	 * so with the declaration too. */
	if (want == 8)
		return emit(s, out, arg, s->declbuf, s->ndecl);
	if (emit(s, out, arg, s->declbuf, off) != XDS_OK ||
	    emit(s, out, arg, "UTF-8", 5) != XDS_OK)
		return s->status;
	return emit(s, out, arg, s->declbuf + off + len,
	    s->ndecl - off - len);
}

/* The bytes held while deciding whether a declaration starts: none
 * does, so they are ordinary input. */
static int
decl_release(struct xmlscan *s, xmlscan_out out, void *arg)
{
	size_t i;
	int rc;

	s->decl = 2;
	if (s->ndecl == 0)
		return XDS_OK;
	if ((rc = emit(s, out, arg, s->declbuf, s->ndecl)) != XDS_OK)
		return rc;
	for (i = 0; i < s->ndecl; i++)
		if ((rc = markup(s, (unsigned char)s->declbuf[i])) != XDS_OK)
			return rc;
	return XDS_OK;
}

/* One byte at the start of the document (line ends normalised). */
static int
decl_byte(struct xmlscan *s, unsigned char c, xmlscan_out out, void *arg)
{
	static const char open[] = "<?xml";

	if (s->ndecl >= sizeof s->declbuf)
		return fail(s, XDS_EFORMAT, "XML declaration longer than "
		    STR(XMLSCAN_DECL_MAX) " bytes");
	s->declbuf[s->ndecl++] = (char)c;
	if (s->decl == 0) {
		if (s->ndecl <= 5 && c == (unsigned char)open[s->ndecl - 1])
			return XDS_OK;
		if (s->ndecl == 6 && IS_WS(c)) {
			s->decl = 1;
			return XDS_OK;
		}
		return decl_release(s, out, arg);
	}
	if (c == '>' && s->declbuf[s->ndecl - 2] == '?')
		return decl_done(s, out, arg);
	return XDS_OK;
}

/* ---- UTF-8 ---- */

/* Check one byte of UTF-8; XDS_OK or the failure. */
static int
utf8_byte(struct xmlscan *s, unsigned char c)
{
	if (s->u8need > 0) {
		if ((c & 0xc0) != 0x80)
			goto bad;
		s->u8cp = (s->u8cp << 6) | (c & 0x3f);
		if (--s->u8need == 0 && (s->u8cp < s->u8min ||
		    (s->u8cp >= 0xd800 && s->u8cp <= 0xdfff) ||
		    s->u8cp > 0x10ffff))
			goto bad;
		return XDS_OK;
	}
	if (c == 0)
		return fail(s, XDS_EFORMAT, "XML not well-formed: NUL "
		    "character");
	if (c < 0x80)
		return XDS_OK;
	if (c >= 0xc2 && c <= 0xdf) {
		s->u8need = 1;
		s->u8cp = c & 0x1f;
		s->u8min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		s->u8need = 2;
		s->u8cp = c & 0x0f;
		s->u8min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		s->u8need = 3;
		s->u8cp = c & 0x07;
		s->u8min = 0x10000;
	} else
		goto bad;
	return XDS_OK;
bad:
	return fail(s, XDS_EFORMAT, s->enc == XMLSCAN_ENC_UTF8 ?
	    "XML not well-formed: the document is not UTF-8" :
	    "XML not well-formed: bad UTF-16");
}

/* Byte classes for the runs that need no look: white space, what ends
 * a name, and what the byte layer must see (CR, NUL, non-ASCII). */
#define K_WS		0x01
#define K_END		0x02
#define K_SPEC		0x04
#define X16(v)		v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v

static const unsigned char cls[256] = {
	[0] = K_SPEC, ['\t'] = K_WS | K_END, ['\n'] = K_WS | K_END,
	['\r'] = K_SPEC, [' '] = K_WS | K_END, ['"'] = K_END,
	['\''] = K_END, ['/'] = K_END, ['='] = K_END, ['>'] = K_END,
	[0x80] = X16(K_SPEC), X16(K_SPEC), X16(K_SPEC), X16(K_SPEC),
	X16(K_SPEC), X16(K_SPEC), X16(K_SPEC), X16(K_SPEC),
};

#define PLAIN(c)	((cls[(c)] & K_SPEC) == 0)

#if defined(__SSE2__)
/*
 * Sixteen bytes at a time (SSE2 is part of x86-64): a mask of those that
 * are stop, CR, NUL or non-ASCII, and with names also white space and
 * what ends a name.
 */
static inline unsigned
stops16(const unsigned char *p, unsigned char stop, int name)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')),
	    _mm_cmpeq_epi8(x, _mm_setzero_si128()));

	if (name) {
		m = _mm_or_si128(m, _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))),
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('=')))));
		m = _mm_or_si128(m, _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('>')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('/'))),
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('\'')))));
	} else
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x,
		    _mm_set1_epi8((char)stop)));
	return (unsigned)_mm_movemask_epi8(m) |
	    (unsigned)_mm_movemask_epi8(x);
}
#endif

/* From p[i] on, the first stop, CR, NUL or non-ASCII byte (n: none). */
static size_t
run_until(const unsigned char *p, size_t i, size_t n, unsigned char stop)
{
#if defined(__SSE2__)
	unsigned m;

	for (; i + 16 <= n; i += 16)
		if ((m = stops16(p + i, stop, 0)) != 0)
			return i + (size_t)__builtin_ctz(m);
#endif
	while (i < n && p[i] != stop && PLAIN(p[i]))
		i++;
	return i;
}

/* From p[i] on, the first byte not of class k. */
static size_t
run_of(const unsigned char *p, size_t i, size_t n, unsigned k)
{
	while (i < n && cls[p[i]] == k)
		i++;
	return i;
}

/* From p[i] on, the first byte that ends a name or is special. */
static size_t
run_name(const unsigned char *p, size_t i, size_t n)
{
#if defined(__SSE2__)
	unsigned m;

	for (; i + 16 <= n; i += 16)
		if ((m = stops16(p + i, 0, 1)) != 0)
			return i + (size_t)__builtin_ctz(m);
#endif
	while (i < n && (cls[p[i]] & (K_END | K_SPEC)) == 0)
		i++;
	return i;
}

/*
 * The markup of p[i..n) while every byte is plain (ASCII, neither CR nor
 * NUL) and the declaration is past: the index of the first byte not
 * taken (n, or one the byte layer must see first), or (size_t)-1 on a
 * failure.  Text, attribute values, end tags, names and white space in
 * tags are runs, skipped rather than looked at byte by byte; the byte
 * that ends a run of text, a value or an end tag is taken here, any
 * other by markup().
 */
static size_t
markup_run(struct xmlscan *s, const unsigned char *p, size_t i, size_t n)
{
	size_t start;
	unsigned char q;

	for (; i < n; i++) {
		switch (s->st) {
		case M_TEXT:
			if ((i = run_until(p, i, n, '<')) == n || p[i] != '<')
				return i;
			s->st = M_LT;
			continue;
		case M_AVAL:
			q = (unsigned char)s->quote;
			start = i;
			i = run_until(p, i, n, q);
			if (tag_grown(s, i - start) != XDS_OK)
				return (size_t)-1;
			if (i == n || p[i] != q)
				return i;
			s->st = M_TAG;
			continue;
		case M_ETAG:
			if ((i = run_until(p, i, n, '>')) == n || p[i] != '>')
				return i;
			tag_close(s);
			continue;
		case M_ANAME:
			if (s->naname < sizeof s->aname)
				break;
			/* FALLTHROUGH */
		case M_STAG:
			start = i;
			i = run_name(p, i, n);
			if (tag_grown(s, i - start) != XDS_OK)
				return (size_t)-1;
			break;
		case M_TAG:
			start = i;
			i = run_of(p, i, n, K_WS | K_END);
			if (tag_grown(s, i - start) != XDS_OK)
				return (size_t)-1;
			break;
		}
		if (i == n || !PLAIN(p[i]))
			return i;
		if (markup(s, p[i]) != XDS_OK)
			return (size_t)-1;
	}
	return i;
}

/*
 * UTF-8 bytes p[0..n): checked, CR LF and CR made LF, scanned; handed on
 * as spans of p where nothing changed.
 */
static int
scan_u8(struct xmlscan *s, const unsigned char *p, size_t n,
    xmlscan_out out, void *arg)
{
	size_t i, start = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		if (s->decl == 2 && !s->cr && s->u8need == 0) {
			if ((i = markup_run(s, p, i, n)) == (size_t)-1)
				return s->status;
			if (i == n)
				break;
		}
		c = p[i];
		if (s->cr) {
			s->cr = 0;
			if (c == '\n') {	/* the LF of CR LF: given */
				if (emit(s, out, arg, p + start, i - start) !=
				    XDS_OK)
					return s->status;
				start = i + 1;
				continue;
			}
		}
		if (c == '\r') {
			/* CR as LF: the bytes before it, then an LF */
			s->cr = 1;
			c = '\n';
			if (emit(s, out, arg, p + start, i - start) != XDS_OK)
				return s->status;
			start = i + 1;
			if (s->decl == 2 &&
			    emit(s, out, arg, "\n", 1) != XDS_OK)
				return s->status;
		} else if ((c >= 0x80 || c == 0 || s->u8need > 0) &&
		    utf8_byte(s, c) != XDS_OK)
			return s->status;
		if (s->decl != 2) {	/* held until the declaration is done */
			if (start <= i &&
			    emit(s, out, arg, p + start, i - start) != XDS_OK)
				return s->status;
			start = i + 1;
			if (decl_byte(s, c, out, arg) != XDS_OK)
				return s->status;
			continue;
		}
		if (s->st == M_TEXT && c != '<')
			continue;
		if (s->st == M_AVAL && c != (unsigned char)s->quote)
			continue;
		if (markup(s, c) != XDS_OK)
			return s->status;
	}
	if (emit(s, out, arg, p + start, i - start) != XDS_OK)
		return s->status;
	return XDS_OK;
}

/* ---- UTF-16 ---- */

static size_t
put_u8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
scan_u16(struct xmlscan *s, const unsigned char *p, size_t n,
    xmlscan_out out, void *arg)
{
	unsigned char tmp[U16_TMP + 4];
	size_t i, k = 0;
	unsigned u, cp;

	for (i = 0; i < n; i++) {
		s->u16[s->nu16++] = p[i];
		if (s->nu16 < 2)
			continue;
		s->nu16 = 0;
		u = s->enc == XMLSCAN_ENC_UTF16LE ?
		    (unsigned)s->u16[0] | (unsigned)s->u16[1] << 8 :
		    (unsigned)s->u16[0] << 8 | (unsigned)s->u16[1];
		if (s->hi_surr != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				goto bad;
			cp = 0x10000 + ((s->hi_surr - 0xd800) << 10) +
			    (u - 0xdc00);
			s->hi_surr = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			s->hi_surr = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff)
			goto bad;
		else if (u == 0)
			return fail(s, XDS_EFORMAT, "XML not well-formed: NUL "
			    "character");
		else
			cp = u;
		k += put_u8(tmp + k, cp);
		if (k >= U16_TMP) {
			if (scan_u8(s, tmp, k, out, arg) != XDS_OK)
				return s->status;
			k = 0;
		}
	}
	if (k > 0 && scan_u8(s, tmp, k, out, arg) != XDS_OK)
		return s->status;
	return XDS_OK;
bad:
	return fail(s, XDS_EFORMAT, "XML not well-formed: unpaired UTF-16 "
	    "surrogate");
}

/* ---- the encoding ---- */

/* From the first (up to 4) bytes: the encoding and the length of its
 * byte order mark, or a failure. */
static int
decide(struct xmlscan *s, size_t *bom)
{
	const unsigned char *h = s->head;
	size_t n = s->nhead;

	*bom = 0;
	s->enc = XMLSCAN_ENC_UTF8;
#define HAS(k, ...)	(n >= (k) && memcmp(h, (const unsigned char[]) \
	{ __VA_ARGS__ }, (k)) == 0)
	if (HAS(3, 0xef, 0xbb, 0xbf))
		*bom = 3;
	else if (HAS(4, 0, 0, 0xfe, 0xff) || HAS(4, 0xff, 0xfe, 0, 0) ||
	    HAS(4, 0, 0, 0, '<') || HAS(4, '<', 0, 0, 0) ||
	    HAS(4, 0, '<', 0, 0) || HAS(4, 0, 0, '<', 0))
		return fail(s, XDS_EFORMAT, "UTF-32 is not accepted: SOAP "
		    "messages are UTF-8 or UTF-16");
	else if (HAS(2, 0xfe, 0xff)) {
		s->enc = XMLSCAN_ENC_UTF16BE;
		*bom = 2;
	} else if (HAS(2, 0xff, 0xfe)) {
		s->enc = XMLSCAN_ENC_UTF16LE;
		*bom = 2;
	} else if (HAS(4, '<', 0, '?', 0) || HAS(4, 0, '<', 0, '?'))
		return fail(s, XDS_EFORMAT, "UTF-16 without a byte order "
		    "mark is not accepted (XML 1.0 4.3.3)");
	else if (HAS(4, 0x4c, 0x6f, 0xa7, 0x94))
		return fail(s, XDS_EFORMAT, "EBCDIC is not accepted: SOAP "
		    "messages are UTF-8 or UTF-16");
	else if (HAS(3, '+', '/', 'v'))
		return fail(s, XDS_EFORMAT, "UTF-7 is not accepted: SOAP "
		    "messages are UTF-8 or UTF-16");
#undef HAS
	if (s->charset == 8 && s->enc != XMLSCAN_ENC_UTF8)
		return fail(s, XDS_EFORMAT, "the MIME charset is UTF-8, but "
		    "the document has a UTF-16 byte order mark");
	if (s->charset == 16 && s->enc == XMLSCAN_ENC_UTF8)
		return fail(s, XDS_EFORMAT, "the MIME charset is UTF-16, but "
		    "the document has no UTF-16 byte order mark");
	return XDS_OK;
}

static int
decoded(struct xmlscan *s, const unsigned char *p, size_t n,
    xmlscan_out out, void *arg)
{
	if (n == 0)
		return XDS_OK;
	if (s->enc == XMLSCAN_ENC_UTF8)
		return scan_u8(s, p, n, out, arg);
	return scan_u16(s, p, n, out, arg);
}

/* Bytes held to decide the encoding: decide, then scan them. */
static int
head_done(struct xmlscan *s, xmlscan_out out, void *arg)
{
	size_t bom;

	if (decide(s, &bom) != XDS_OK)
		return s->status;
	return decoded(s, s->head + bom, s->nhead - bom, out, arg);
}

static int
result(struct xmlscan *s, char *err, size_t errlen)
{
	if (s->status != XDS_OK)
		str_lcpy(err, s->err, errlen);
	return s->status;
}

int
xmlscan_feed(struct xmlscan *s, const void *data, size_t len,
    xmlscan_out out, void *arg, char *err, size_t errlen)
{
	const unsigned char *p = data;

	if (s->status != XDS_OK)
		return result(s, err, errlen);
	while (s->enc == XMLSCAN_ENC_UNKNOWN && len > 0) {
		s->head[s->nhead++] = *p++;
		len--;
		if (s->nhead == sizeof s->head)
			(void)head_done(s, out, arg);
	}
	if (s->status == XDS_OK)
		(void)decoded(s, p, len, out, arg);
	return result(s, err, errlen);
}

int
xmlscan_finish(struct xmlscan *s, xmlscan_out out, void *arg, char *err,
    size_t errlen)
{
	if (s->status == XDS_OK && s->enc == XMLSCAN_ENC_UNKNOWN)
		(void)head_done(s, out, arg);
	if (s->status != XDS_OK)
		return result(s, err, errlen);
	if (s->u8need > 0 || s->nu16 > 0 || s->hi_surr != 0)
		(void)fail(s, XDS_EFORMAT, "XML not well-formed: the document "
		    "ends inside a character");
	else if (s->decl == 1)
		(void)fail(s, XDS_EFORMAT, "XML not well-formed: the document "
		    "ends inside its XML declaration");
	else if (s->decl == 0)
		(void)decl_release(s, out, arg);
	return result(s, err, errlen);
}
