/*
 * check_frame.c: a capture unwrapped down to its XML: the HTTP head in
 * front (request or status line, lenient about line ends, as captures
 * are stored with LF), the chunked coding undone, a multipart/related
 * body split into its parts (the root part and DICOM parts kept).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "http_chunked.h"
#include "mime.h"
#include "str.h"
#include "vocab.h"

#define CHK_MAX_KEPT	(256u << 20)	/* bytes of one kept part */

/* The end of the line at p (before CR LF / LF), and the next line. */
static const char *
line_end(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *e;

	if (nl == NULL) {
		*next = end;
		return end;
	}
	*next = nl + 1;
	e = nl;
	while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return e;
}

static int
starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* The value of header field name in line [p, e), into out; 1 if it was. */
static int
field(const char *p, const char *e, const char *name, char *out, size_t outsz)
{
	size_t n = strlen(name);

	if ((size_t)(e - p) <= n || p[n] != ':' || !str_ncaseeq(p, name, n))
		return 0;
	p += n + 1;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(e - p) >= outsz)
		return 0;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 1;
}

/* The HTTP head at buf, if there is one: the body after it. */
static void
http_head(const char *buf, size_t len, struct chk_frame *f,
    struct chk_report *r)
{
	const char *p = buf, *end = buf + len, *e, *next;
	char v[512];
	int chunked = 0;

	if (starts(p, end, "HTTP/1."))
		f->http = 2;
	else if (starts(p, end, "POST ") || starts(p, end, "PUT ") ||
	    starts(p, end, "GET "))
		f->http = 1;
	else
		return;
	e = line_end(p, end, &next);
	if (f->http == 2 && e - p >= 12) {
		const char *why;
		char st[4];
		long long n;

		memcpy(st, p + 9, 3);
		st[3] = '\0';
		if (str_tonum(st, 100, 599, &n, &why) == 0)
			f->status = (int)n;
	}
	for (p = next; p < end; p = next) {
		e = line_end(p, end, &next);
		if (e == p)
			break;
		if (field(p, e, "Content-Type", v, sizeof v))
			str_lcpy(f->ctype, v, sizeof f->ctype);
		else if (field(p, e, "Transfer-Encoding", v, sizeof v))
			chunked = str_caseeq(v, "chunked");
	}
	if (p >= end && e != p) {
		chk_add(r, CHK_ERROR, "FRAME-HTTP", NULL, NULL,
		    "the HTTP head does not end");
		f->body = end;
		f->blen = 0;
		return;
	}
	f->body = next;
	f->blen = (size_t)(end - next);
	if (chunked) {
		struct http_chunked c;
		size_t used, outn;
		int rc;

		if ((f->owned = malloc(f->blen + 1)) == NULL) {
			r->nomem = 1;
			return;
		}
		http_chunked_init(&c, 0);
		rc = http_chunked_decode(&c, f->body, f->blen, &used, f->owned,
		    f->blen, &outn);
		if (rc != HTTP_CHUNKED_DONE)
			chk_add(r, CHK_ERROR, "FRAME-HTTP", NULL, NULL,
			    "chunked body: %s", rc == HTTP_CHUNKED_ERR &&
			    c.error != NULL ? c.error : "no last chunk");
		f->body = f->owned;
		f->blen = outn;
	}
}

struct collect {
	struct chk_frame *f;
	struct chk_report *r;
	const char *start;		/* the root's Content-ID, or "" */
};

static int
part_begin(void *arg, const struct mime_part *mp)
{
	struct collect *c = arg;
	struct chk_frame *f = c->f;
	struct chk_part *p, *nv;

	if (f->nparts >= CHK_MAX_PARTS)
		return XDS_ETOOBIG;
	if ((nv = realloc(f->parts, (f->nparts + 1) * sizeof *nv)) == NULL)
		return XDS_ENOMEM;
	f->parts = nv;
	p = &f->parts[f->nparts++];
	memset(p, 0, sizeof *p);
	str_lcpy(p->ctype, mp->content_type, sizeof p->ctype);
	str_lcpy(p->cid, mp->content_id, sizeof p->cid);
	return 0;
}

/* Kept: the root part (the first, or the start parameter's), and
 * application/dicom parts for the KOS checks. */
static int
kept(const struct collect *c, const struct chk_part *p, size_t i)
{
	if (c->start[0] != '\0' ? strcmp(p->cid, c->start) == 0 : i == 0)
		return 1;
	return str_ncaseeq(p->ctype, "application/dicom", 17);
}

static int
part_data(void *arg, const char *data, size_t len)
{
	struct collect *c = arg;
	struct chk_part *p = &c->f->parts[c->f->nparts - 1];
	char *nv;

	p->size += len;
	if (!kept(c, p, c->f->nparts - 1))
		return 0;
	if (p->len + len > CHK_MAX_KEPT)
		return XDS_ETOOBIG;
	if ((nv = realloc(p->data, p->len + len + 1)) == NULL)
		return XDS_ENOMEM;
	memcpy(nv + p->len, data, len);
	p->data = nv;
	p->len += len;
	p->data[p->len] = '\0';
	return 0;
}

static int
part_end(void *arg)
{
	(void)arg;
	return 0;
}

/* The boundary of a body that begins with one ("--b" then a line end). */
static int
sniff_boundary(const char *b, size_t len, char *out, size_t outsz)
{
	const char *end = b + len, *p = b, *e, *next;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (!starts(p, end, "--"))
		return 0;
	e = line_end(p, end, &next);
	if (e - p < 3 || (size_t)(e - p - 2) >= outsz ||
	    (size_t)(e - p - 2) > MIME_BOUNDARY_MAX)
		return 0;
	memcpy(out, p + 2, (size_t)(e - p - 2));
	out[e - p - 2] = '\0';
	return 1;
}

static void
multipart(struct chk_frame *f, const char *boundary, const char *start,
    struct chk_report *r)
{
	struct mime_callbacks cb = { part_begin, part_data, part_end };
	struct collect c = { f, r, start };
	struct mime_parser *mp = NULL;
	char err[256];
	size_t i;
	int rc;

	f->multipart = 1;
	if ((rc = mime_parser_new(&mp, boundary, NULL, &cb, &c, err,
	    sizeof err)) != XDS_OK) {
		chk_add(r, CHK_ERROR, "FRAME-MIME", "env:Sender", NULL,
		    "multipart/related: %s", err);
		return;
	}
	if ((rc = mime_feed(mp, f->body, f->blen)) == XDS_OK)
		rc = mime_finish(mp);
	if (rc == XDS_ENOMEM)
		r->nomem = 1;
	else if (rc != XDS_OK)
		chk_add(r, CHK_ERROR, "FRAME-MIME", "env:Sender", NULL,
		    "multipart/related: %s", mime_error(mp));
	mime_parser_free(mp);
	for (i = 0; i < f->nparts; i++)
		if (kept(&c, &f->parts[i], i) &&
		    !str_ncaseeq(f->parts[i].ctype, "application/dicom", 17))
			break;
	if (i == f->nparts) {
		if (rc == XDS_OK)
			chk_add(r, CHK_ERROR, "MTOM-ROOT", "env:Sender", NULL,
			    "no root part%s%s", start[0] ? " with Content-ID "
			    : "", start);
		return;
	}
	f->root = i;
	f->xml = f->parts[i].data != NULL ? f->parts[i].data : "";
	f->xlen = f->parts[i].len;
}

void
chk_frame(const char *buf, size_t len, const struct chk_opts *o,
    struct chk_frame *f, struct chk_report *r)
{
	struct mime_ctype ct;
	char err[256], boundary[MIME_BOUNDARY_MAX + 1];

	memset(f, 0, sizeof *f);
	f->body = buf;
	f->blen = len;
	if (o->content_type != NULL)
		str_lcpy(f->ctype, o->content_type, sizeof f->ctype);
	http_head(buf, len, f, r);
	if (r->nomem)
		return;
	if (f->http && f->blen == 0) {
		chk_add(r, CHK_INFO, "FRAME-HTTP", NULL, NULL,
		    "an HTTP message without a body");
		return;
	}
	if (f->ctype[0] != '\0') {
		if (mime_content_type_parse(f->ctype, &ct, err, sizeof err) !=
		    XDS_OK) {
			chk_add(r, CHK_ERROR, "FRAME-HTTP", "env:Sender", NULL,
			    "Content-Type: %s", err);
			return;
		}
		if (strcmp(ct.type, "multipart") == 0) {
			if (strcmp(ct.subtype, "related") != 0)
				chk_add(r, CHK_ERROR, "MTOM-ROOT", NULL, NULL,
				    "multipart/%s is not multipart/related",
				    ct.subtype);
			f->xop = str_caseeq(ct.type_param, CT_XOP);
			multipart(f, ct.boundary, ct.start, r);
			return;
		}
	} else if (sniff_boundary(f->body, f->blen, boundary,
	    sizeof boundary)) {
		multipart(f, boundary, "", r);
		if (f->xml != NULL)
			f->xop = str_ncaseeq(f->parts[f->root].ctype, CT_XOP,
			    strlen(CT_XOP));
		return;
	}
	f->xml = f->body;
	f->xlen = f->blen;
}

void
chk_frame_free(struct chk_frame *f)
{
	size_t i;

	for (i = 0; i < f->nparts; i++)
		free(f->parts[i].data);
	free(f->parts);
	free(f->owned);
	memset(f, 0, sizeof *f);
}

const struct chk_part *
chk_frame_part(const struct chk_frame *f, const char *cid)
{
	size_t i;

	for (i = 0; i < f->nparts; i++)
		if (strcmp(f->parts[i].cid, cid) == 0)
			return &f->parts[i];
	return NULL;
}
