/*
 * mtom.c: MTOM/XOP reader (root part to memory, other parts spooled to
 * hashed files) and writer (streamed multipart/related body).  See
 * mtom.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdatomic.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"
#include "mtom.h"
#include "spool.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

#define WBUF_SIZE	65536
/* The body is read 256 KiB at a time; attachments go to spool.c (hashed
 * on helper threads, written in 1 MiB pieces, write-back started as the
 * file grows). */
#define READ_CHUNK	((size_t)256 * 1024)

enum cur { CUR_NONE, CUR_ROOT, CUR_FILE };

struct mtom_reader {
	struct mime_parser *mp;
	struct mime_ctype ct;
	struct mtom_limits lim;
	char		 spool_dir[sizeof(((struct mtom_attachment *)0)->path) -
			    sizeof(SPOOL_TEMPLATE) - 1];
	struct buf	 root;
	mtom_root_fn	 root_fn;	/* or NULL: root collected in root */
	void		*root_arg;
	int		 have_root;
	char		 root_type[256];
	char		 root_cid[256];
	struct mtom_attachment *att;
	size_t		 natt, attcap;
	/* the current part */
	enum cur	 cur;
	struct spool	*sp;		/* the current attachment's file */
	int		 base64;
	struct b64dec	 b64;
	off_t		 total;		/* lim.total when the caller gave none */
	int		 status;
	char		 err[256];
};

static int
rfail(struct mtom_reader *r, int status, const char *msg)
{
	if (r->status == 0) {
		r->status = status;
		str_lcpy(r->err, msg, sizeof r->err);
	}
	return r->status;
}

/* A spool.c failure as the reader's; the size limit gets the text the
 * client should see. */
static int
spool_fail(struct mtom_reader *r, int rc, const char *e)
{
	if (rc == XDS_ETOOBIG)
		return rfail(r, rc, "MTOM attachment over the limit");
	return rfail(r, rc < 0 ? rc : XDS_EIO, e);
}

static int sink(struct mtom_reader *, const unsigned char *, size_t);

static int
b64_out(void *arg, const unsigned char *p, size_t n)
{
	return sink(arg, p, n);
}

/* A base64 part's bytes through the decoder; sink() records its own
 * failures, the decoder's are recorded here. */
static int
b64_feed(struct mtom_reader *r, const char *in, size_t n)
{
	char e[sizeof r->err] = "";
	int rc;

	if ((rc = b64dec_feed(&r->b64, in, n, b64_out, r, e, sizeof e)) != 0)
		return rfail(r, XDS_EFORMAT, e);
	return 0;
}

static int
b64_final(struct mtom_reader *r)
{
	char e[sizeof r->err] = "";
	int rc;

	if ((rc = b64dec_final(&r->b64, b64_out, r, e, sizeof e)) != 0)
		return rfail(r, XDS_EFORMAT, e);
	return 0;
}

/* Decoded bytes of the current part. */
static int
sink(struct mtom_reader *r, const unsigned char *d, size_t n)
{
	char e[sizeof r->err];
	int rc;

	if (r->status != 0)
		return r->status;
	e[0] = '\0';		/* not "= {0}": this is the per-chunk path */
	if (r->cur == CUR_ROOT && r->root_fn != NULL) {
		if ((rc = r->root_fn(r->root_arg, d, n, e, sizeof e)) == 0)
			return 0;
		return rfail(r, rc < 0 ? rc : XDS_EFORMAT,
		    e[0] != '\0' ? e : "SOAP envelope refused");
	}
	if (r->cur == CUR_ROOT) {
		if ((rc = buf_add(&r->root, d, n)) == XDS_OK)
			return 0;
		return rfail(r, rc, rc == XDS_ETOOBIG ?
		    "SOAP envelope (MTOM root part) over the limit" :
		    "out of memory");
	}
	if (r->cur != CUR_FILE)
		return 0;
	if ((rc = spool_write(r->sp, d, n, e, sizeof e)) != 0)
		return spool_fail(r, rc, e);
	/* after the part's own limit, whose text names it */
	if (r->lim.max_total > 0 && (off_t)n > r->lim.max_total -
	    *r->lim.total) {
		str_fmt(e, sizeof e, "documents larger than %lld bytes in "
		    "total", (long long)r->lim.max_total);
		return rfail(r, XDS_ETOOBIG, e);
	}
	*r->lim.total += (off_t)n;
	return 0;
}

static int
on_data(void *arg, const char *d, size_t n)
{
	struct mtom_reader *r = arg;

	if (r->base64)
		return b64_feed(r, d, n);
	return sink(r, (const unsigned char *)d, n);
}

/* Copy a part Content-Type into the attachment field, dropping the
 * parameters if the whole value does not fit. */
static void
copy_type(char *dst, size_t dstsz, const char *v)
{
	size_t n;

	if (str_lcpy(dst, v, dstsz) < dstsz)
		return;
	n = strcspn(v, "; \t");
	if (n >= dstsz)
		n = 0;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int
cid_taken(const struct mtom_reader *r, const char *cid)
{
	size_t i;

	if (*cid == '\0')
		return 0;
	if (r->have_root && strcmp(r->root_cid, cid) == 0)
		return 1;
	for (i = 0; i < r->natt; i++)
		if (strcmp(r->att[i].cid, cid) == 0)
			return 1;
	return 0;
}

static int
on_begin(void *arg, const struct mime_part *part)
{
	struct mtom_reader *r = arg;
	struct mtom_attachment *a, *na;
	char e[sizeof r->err] = "";
	size_t ncap;
	int is_root, rc;

	if (part->cte == MIME_CTE_QP || part->cte == MIME_CTE_OTHER)
		return rfail(r, XDS_EFORMAT, "unsupported "
		    "Content-Transfer-Encoding in an MTOM part");
	if (cid_taken(r, part->content_id))
		return rfail(r, XDS_EFORMAT, "two MIME parts with the same "
		    "Content-ID");
	r->base64 = part->cte == MIME_CTE_BASE64;
	memset(&r->b64, 0, sizeof r->b64);
	if (r->ct.has_start && r->ct.start[0] != '\0')
		is_root = strcmp(part->content_id, r->ct.start) == 0;
	else
		is_root = part->index == 0;
	if (is_root) {
		r->have_root = 1;
		r->cur = CUR_ROOT;
		str_lcpy(r->root_type, part->content_type, sizeof r->root_type);
		str_lcpy(r->root_cid, part->content_id, sizeof r->root_cid);
		return 0;
	}
	if (r->natt == r->attcap) {
		ncap = r->attcap ? r->attcap * 2 : 4;
		if ((na = reallocarray(r->att, ncap, sizeof *na)) == NULL)
			return rfail(r, XDS_ENOMEM, "out of memory");
		r->att = na;
		r->attcap = ncap;
	}
	a = &r->att[r->natt];
	memset(a, 0, sizeof *a);
	/* The file is the spool's (removed by spool_abort) until
	 * spool_finish names it in a->path. */
	if ((rc = spool_open(&r->sp, r->spool_dir, r->lim.max_part, e,
	    sizeof e)) != 0)
		return spool_fail(r, rc, e);
	r->natt++;
	str_lcpy(a->cid, part->content_id, sizeof a->cid);
	copy_type(a->content_type, sizeof a->content_type, part->content_type);
	r->cur = CUR_FILE;
	return 0;
}

static int
on_end(void *arg)
{
	struct mtom_reader *r = arg;
	struct mtom_attachment *a;
	struct spool_result res;
	char e[sizeof r->err] = "";
	int rc;

	if (r->base64 && b64_final(r) != 0)
		return r->status;
	if (r->cur == CUR_FILE) {
		a = &r->att[r->natt - 1];
		rc = spool_finish(r->sp, &res, e, sizeof e);
		r->sp = NULL;		/* freed whatever the result */
		if (rc != 0)
			return spool_fail(r, rc, e);
		str_lcpy(a->path, res.path, sizeof a->path);
		str_lcpy(a->sha1, res.sha1, sizeof a->sha1);
		str_lcpy(a->sha256, res.sha256, sizeof a->sha256);
		a->size = res.size;
	}
	r->cur = CUR_NONE;
	return 0;
}

static void
remove_files(struct mtom_reader *r)
{
	spool_abort(r->sp);
	r->sp = NULL;
	mtom_attachments_free(r->att, r->natt);
	r->att = NULL;
	r->natt = r->attcap = 0;
}

/* After a failure (the parser's status mrc, unless a callback recorded
 * its own): the text for the caller, and no files left. */
static int
reader_error(struct mtom_reader *r, int mrc, char *err, size_t errlen)
{
	if (r->status == 0)
		(void)rfail(r, mrc < 0 ? mrc : XDS_EFORMAT, mime_error(r->mp));
	remove_files(r);
	str_lcpy(err, r->err, errlen);
	return r->status;
}

int
mtom_reader_new(struct mtom_reader **out, const char *content_type,
    const char *spool_dir, const struct mtom_limits *lim, char *err,
    size_t errlen)
{
	static const struct mime_callbacks cb = { on_begin, on_data, on_end };
	struct mtom_reader *r = NULL;
	struct mime_limits ml;
	int rc;

	*out = NULL;
	if ((r = calloc(1, sizeof *r)) == NULL)
		goto nomem;
	if (lim != NULL)
		r->lim = *lim;
	if (r->lim.max_envelope == 0)
		r->lim.max_envelope = MTOM_DEFAULT_MAX_ENVELOPE;
	if (r->lim.max_part <= 0)
		r->lim.max_part = MTOM_DEFAULT_MAX_PART;
	if (r->lim.total == NULL)
		r->lim.total = &r->total;
	buf_init(&r->root, r->lim.max_envelope);
	if ((rc = mime_content_type_parse(content_type, &r->ct, err,
	    errlen)) != 0)
		goto fail;
	if (strcmp(r->ct.type, "multipart") != 0 ||
	    strcmp(r->ct.subtype, "related") != 0 ||
	    r->ct.boundary[0] == '\0') {
		str_lcpy(err, "Content-Type is not " CT_MULTIPART_RELATED
		    " with a boundary", errlen);
		rc = XDS_EFORMAT;
		goto fail;
	}
	if (spool_dir == NULL || str_lcpy(r->spool_dir, spool_dir,
	    sizeof r->spool_dir) >= sizeof r->spool_dir) {
		str_lcpy(err, "spool directory path missing or too long",
		    errlen);
		rc = XDS_EIO;
		goto fail;
	}
	memset(&ml, 0, sizeof ml);
	ml.max_parts = r->lim.max_parts;
	ml.max_header_bytes = r->lim.max_header_bytes;
	if ((rc = mime_parser_new(&r->mp, r->ct.boundary, &ml, &cb, r, err,
	    errlen)) != 0)
		goto fail;
	*out = r;
	return XDS_OK;
nomem:
	str_lcpy(err, "out of memory", errlen);
	rc = XDS_ENOMEM;
fail:
	mtom_reader_free(r);
	return rc;
}

int
mtom_reader_feed(struct mtom_reader *r, const void *data, size_t len,
    char *err, size_t errlen)
{
	int rc;

	if (r->status != 0) {
		str_lcpy(err, r->err, errlen);
		return r->status;
	}
	if ((rc = mime_feed(r->mp, data, len)) != 0)
		return reader_error(r, rc, err, errlen);
	return XDS_OK;
}

int
mtom_reader_finish(struct mtom_reader *r, struct mtom_message *out,
    char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof *out);
	buf_init(&out->root, 0);
	if (r->status != 0) {
		str_lcpy(err, r->err, errlen);
		return r->status;
	}
	if ((rc = mime_finish(r->mp)) != 0)
		return reader_error(r, rc, err, errlen);
	if (!r->have_root) {
		(void)rfail(r, XDS_EFORMAT, "no MTOM root part: no part "
		    "has the Content-ID named by the start parameter");
		return reader_error(r, 0, err, errlen);
	}
	out->ctype = r->ct;
	out->root = r->root;
	buf_init(&r->root, 0);
	str_lcpy(out->root_type, r->root_type, sizeof out->root_type);
	str_lcpy(out->root_cid, r->root_cid, sizeof out->root_cid);
	out->att = r->att;
	out->natt = r->natt;
	r->att = NULL;
	r->natt = r->attcap = 0;
	r->status = XDS_EFORMAT;	/* a reader is used once */
	str_lcpy(r->err, "MTOM reader already finished", sizeof r->err);
	return XDS_OK;
}

void
mtom_reader_free(struct mtom_reader *r)
{
	if (r == NULL)
		return;
	remove_files(r);
	mime_parser_free(r->mp);
	buf_free(&r->root);
	free(r);
}

void
mtom_reader_set_root_sink(struct mtom_reader *r, mtom_root_fn fn, void *arg)
{
	r->root_fn = fn;
	r->root_arg = arg;
}

int
mtom_read(const char *content_type, mtom_read_fn rd, void *arg,
    const char *spool_dir, const struct mtom_limits *lim,
    struct mtom_message *out, char *err, size_t errlen)
{
	return mtom_read_sink(content_type, rd, arg, spool_dir, lim, NULL,
	    NULL, out, err, errlen);
}

int
mtom_read_sink(const char *content_type, mtom_read_fn rd, void *arg,
    const char *spool_dir, const struct mtom_limits *lim,
    mtom_root_fn root_fn, void *root_arg, struct mtom_message *out,
    char *err, size_t errlen)
{
	struct mtom_reader *r = NULL;
	char *chunk = NULL;
	ssize_t n;
	int rc;

	memset(out, 0, sizeof *out);
	buf_init(&out->root, 0);
	if ((rc = mtom_reader_new(&r, content_type, spool_dir, lim, err,
	    errlen)) != 0)
		goto out;
	mtom_reader_set_root_sink(r, root_fn, root_arg);
	if ((chunk = malloc(READ_CHUNK)) == NULL) {
		str_lcpy(err, "out of memory", errlen);
		rc = XDS_ENOMEM;
		goto out;
	}
	while ((n = rd(arg, chunk, READ_CHUNK)) > 0)
		if ((rc = mtom_reader_feed(r, chunk, (size_t)n, err,
		    errlen)) != 0)
			goto out;
	if (n < 0) {
		str_lcpy(err, "reading the request body failed", errlen);
		rc = XDS_EIO;
		goto out;
	}
	rc = mtom_reader_finish(r, out, err, errlen);
out:
	free(chunk);
	mtom_reader_free(r);
	return rc;
}

void
mtom_attachments_free(struct mtom_attachment *att, size_t natt)
{
	size_t i;

	for (i = 0; i < natt; i++)
		if (att[i].path[0] != '\0')
			(void)unlink(att[i].path);
	free(att);
}

void
mtom_message_free(struct mtom_message *m)
{
	if (m == NULL)
		return;
	buf_free(&m->root);
	mtom_attachments_free(m->att, m->natt);
	memset(m, 0, sizeof *m);
}

const struct mtom_attachment *
mtom_find(const struct mtom_attachment *att, size_t natt, const char *href)
{
	char cid[sizeof att->cid];
	size_t i;

	if (href == NULL || strlen(href) < 4 || !str_ncaseeq(href, "cid:", 4) ||
	    mime_cid_decode(href, strlen(href), cid, sizeof cid) != 0 ||
	    cid[0] == '\0')
		return NULL;
	for (i = 0; i < natt; i++)
		if (strcmp(att[i].cid, cid) == 0)
			return &att[i];
	return NULL;
}

/* Writer */

#define ROOT_TYPE CT_XOP "; charset=UTF-8; type=\"" CT_SOAP12 "\""

static int
wfail(char *err, size_t errlen, int rc, const char *msg)
{
	str_lcpy(err, msg, errlen);
	return rc;
}

/* A value safe in a header line (and in a quoted string if quoted). */
static int
header_safe(const char *s, int quoted)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (quoted && (*s == '"' || *s == '\\')) ||
		    (!quoted && *s == '>'))
			return 0;
	return 1;
}

int
mtom_writer_init(struct mtom_writer *w, const char *action, char *err,
    size_t errlen)
{
	unsigned char rnd[24];
	char hex[sizeof rnd * 2 + 1];
	int n;

	memset(w, 0, sizeof *w);
	if (action != NULL && !header_safe(action, 1))
		return wfail(err, errlen, XDS_EFORMAT, "action not "
		    "representable in a Content-Type parameter");
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return wfail(err, errlen, XDS_EIO, "no random bytes");
	str_hex(rnd, sizeof rnd, hex);
	if (str_fmt(w->boundary, sizeof w->boundary, "MIMEBoundary_%.32s",
	    hex) < 0 ||
	    str_fmt(w->root_cid, sizeof w->root_cid, "root.%s@xdsnode",
	    hex + 32) < 0)
		return wfail(err, errlen, XDS_EIO, "boundary too long");
	n = str_fmt(w->content_type, sizeof w->content_type,
	    CT_MULTIPART_RELATED "; type=\"" CT_XOP "\"; start=\"<%s>\"; "
	    "start-info=\"" CT_SOAP12 "\"; boundary=\"%s\"%s%s%s",
	    w->root_cid, w->boundary, action ? "; action=\"" : "",
	    action ? action : "", action ? "\"" : "");
	if (n < 0)
		return wfail(err, errlen, XDS_EFORMAT, "action too long");
	return XDS_OK;
}

/* "--boundary CRLF headers CRLF" of one part (the CRLF before the
 * delimiter belongs to the previous part's tail). */
static int
part_head(const struct mtom_writer *w, const char *ctype, const char *cid,
    char *out, size_t outsz)
{
	return str_fmt(out, outsz, "--%s\r\nContent-Type: %s\r\n"
	    "Content-Transfer-Encoding: binary\r\nContent-ID: <%s>\r\n\r\n",
	    w->boundary, ctype, cid);
}

static const char *
att_type(const struct mtom_attachment *a)
{
	return a->content_type[0] != '\0' ? a->content_type :
	    "application/octet-stream";
}

static int
att_check(const struct mtom_attachment *a, char *err, size_t errlen)
{
	if (a->cid[0] == '\0' || !header_safe(a->cid, 0) ||
	    !header_safe(a->content_type, 0))
		return wfail(err, errlen, XDS_EFORMAT, "attachment Content-ID "
		    "empty or Content-ID/Content-Type not header-safe");
	if (a->size < 0)
		return wfail(err, errlen, XDS_EFORMAT,
		    "attachment size negative");
	return 0;
}

int
mtom_length(const struct mtom_writer *w, const struct buf *root,
    const struct mtom_attachment *att, size_t natt, long long *len,
    char *err, size_t errlen)
{
	char head[1024];
	long long total;
	size_t i;
	int n;

	*len = 0;
	if ((n = part_head(w, ROOT_TYPE, w->root_cid, head, sizeof head)) < 0)
		return wfail(err, errlen, XDS_EFORMAT, "root part header");
	total = n + (long long)root->b_len + 2;
	for (i = 0; i < natt; i++) {
		if ((n = att_check(&att[i], err, errlen)) != 0)
			return n;
		if ((n = part_head(w, att_type(&att[i]), att[i].cid, head,
		    sizeof head)) < 0)
			return wfail(err, errlen, XDS_EFORMAT,
			    "attachment part header too long");
		total += n + (long long)att[i].size + 2;
	}
	total += 2 + (long long)strlen(w->boundary) + 4;	/* --b--CRLF */
	*len = total;
	return XDS_OK;
}

/*
 * The pull writer: a state machine over the parts.  Part 0 is the root,
 * part i + 1 attachment i; each is its header block, its bytes and a
 * CRLF; the close delimiter follows the last.
 */
enum pull_phase { PH_HEAD, PH_BODY, PH_TAIL, PH_CLOSE, PH_END };

struct mtom_pull {
	const struct mtom_writer *w;
	const struct buf *root;
	const struct mtom_attachment *att;
	size_t		 natt;
	int		 flags;
	size_t		 part;		/* 0 root, i + 1 attachment i */
	enum pull_phase	 ph;
	char		 head[1024];	/* the current header or delimiter */
	size_t		 hlen, hoff;
	off_t		 boff;		/* bytes of the current body sent */
	int		 fd;		/* the current attachment's file */
	EVP_MD_CTX	*md;
	EVP_MD_CTX	*v256;		/* SHA-256 of a verified attachment */
	char		(*sha1)[41];	/* per attachment, as sent */
	int		 status;	/* sticky failure */
	char		 err[256];
};

static ssize_t
pfail(struct mtom_pull *p, int st, char *err, size_t errlen, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

static ssize_t
pfail(struct mtom_pull *p, int st, char *err, size_t errlen, const char *fmt,
    ...)
{
	va_list ap;

	if (p->status == 0) {
		va_start(ap, fmt);
		if (vsnprintf(p->err, sizeof p->err, fmt, ap) < 0)
			p->err[0] = '\0';
		va_end(ap);
		p->status = st;
	}
	str_lcpy(err, p->err, errlen);
	return p->status;
}

static atomic_ullong verify_failures;

unsigned long long
mtom_verify_failures(void)
{
	return atomic_load(&verify_failures);
}

/* A verified attachment that is not what was recorded: logged (the
 * path names the bytes, no document content), counted, and the read
 * fails before the last byte is handed out. */
static ssize_t
pull_damaged(struct mtom_pull *p, const char *why, char *err, size_t errlen)
{
	const struct mtom_attachment *a = &p->att[p->part - 1];

	atomic_fetch_add(&verify_failures, 1);
	log_error("mtom: %s: stored bytes %s; the response is cut off",
	    a->path, why);
	return pfail(p, XDS_EIO, err, errlen, "%s: stored bytes %s", a->path,
	    why);
}

/* The end of a verified attachment: its SHA-256 against the recorded. */
static int
pull_verified(struct mtom_pull *p, char *err, size_t errlen)
{
	const struct mtom_attachment *a = &p->att[p->part - 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (EVP_DigestFinal_ex(p->v256, md, &mdlen) != 1)
		return (int)pfail(p, XDS_EINTERNAL, err, errlen,
		    "SHA-256 failed");
	str_hex(md, mdlen, hex);
	if (strcmp(hex, a->sha256) != 0)
		return (int)pull_damaged(p, "do not match their recorded "
		    "SHA-256", err, errlen);
	return 0;
}

static void
pull_close_file(struct mtom_pull *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Enter part p->part (or the close delimiter after the last). */
static int
pull_part(struct mtom_pull *p, char *err, size_t errlen)
{
	const struct mtom_attachment *a;
	int n;

	p->hoff = 0;
	p->boff = 0;
	if (p->part > p->natt) {
		p->ph = PH_CLOSE;
		n = str_fmt(p->head, sizeof p->head, "--%s--\r\n",
		    p->w->boundary);
	} else if (p->part == 0) {
		p->ph = PH_HEAD;
		n = part_head(p->w, ROOT_TYPE, p->w->root_cid, p->head,
		    sizeof p->head);
	} else {
		a = &p->att[p->part - 1];
		if (att_check(a, p->err, sizeof p->err) != 0)
			return (int)pfail(p, XDS_EFORMAT, err, errlen, "%s",
			    p->err);
		p->ph = PH_HEAD;
		n = part_head(p->w, att_type(a), a->cid, p->head,
		    sizeof p->head);
	}
	if (n < 0)
		return (int)pfail(p, XDS_EFORMAT, err, errlen,
		    "part header too long");
	p->hlen = (size_t)n;
	return 0;
}

/* Open attachment part - 1 (and its hash, if wanted). */
static int
pull_open(struct mtom_pull *p, char *err, size_t errlen)
{
	const struct mtom_attachment *a = &p->att[p->part - 1];

	if ((p->fd = open(a->path, O_RDONLY | O_CLOEXEC)) < 0)
		return (int)pfail(p, XDS_EIO, err, errlen, "%s: %s", a->path,
		    strerror(errno));
	if ((p->flags & MTOM_PULL_SHA1) && a->sha1[0] == '\0' &&
	    (EVP_DigestInit_ex(p->md, EVP_sha1(), NULL) != 1))
		return (int)pfail(p, XDS_EINTERNAL, err, errlen,
		    "SHA-1 failed");
	if (a->verify && EVP_DigestInit_ex(p->v256, EVP_sha256(), NULL) != 1)
		return (int)pfail(p, XDS_EINTERNAL, err, errlen,
		    "SHA-256 failed");
	return 0;
}

/* Attachment bytes, straight from its file; exactly its size. */
static ssize_t
pull_file(struct mtom_pull *p, unsigned char *out, size_t len, char *err,
    size_t errlen)
{
	const struct mtom_attachment *a = &p->att[p->part - 1];
	int hashing = (p->flags & MTOM_PULL_SHA1) && a->sha1[0] == '\0';
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	ssize_t n;
	char extra;

	if (p->fd < 0 && pull_open(p, err, errlen) != 0)
		return p->status;
	if ((off_t)len > a->size - p->boff)
		len = (size_t)(a->size - p->boff);
	n = 0;
	while (len > 0 && (n = read(p->fd, out, len)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return pfail(p, XDS_EIO, err, errlen, "%s: %s", a->path,
		    strerror(errno));
	if (len > 0 && n == 0 && a->verify)
		return pull_damaged(p, "are shorter than their recorded size",
		    err, errlen);
	if (len > 0 && n == 0)
		return pfail(p, XDS_EIO, err, errlen, "%s: changed size while "
		    "being sent (file shorter than its size)", a->path);
	if (hashing && n > 0 && EVP_DigestUpdate(p->md, out, (size_t)n) != 1)
		return pfail(p, XDS_EINTERNAL, err, errlen, "SHA-1 failed");
	if (a->verify && n > 0 &&
	    EVP_DigestUpdate(p->v256, out, (size_t)n) != 1)
		return pfail(p, XDS_EINTERNAL, err, errlen, "SHA-256 failed");
	p->boff += n;
	if (p->boff < a->size)
		return n;
	/* the whole size read: the file must end here, and a verified one
	 * must be what was recorded before its last bytes leave */
	if (read(p->fd, &extra, 1) != 0)
		return a->verify ? pull_damaged(p, "are longer than their "
		    "recorded size", err, errlen) : pfail(p, XDS_EIO, err,
		    errlen, "%s: changed size while being sent (file longer "
		    "than its size)", a->path);
	if (a->verify && pull_verified(p, err, errlen) != 0)
		return p->status;
	pull_close_file(p);
	if (hashing) {
		if (EVP_DigestFinal_ex(p->md, md, &mdlen) != 1)
			return pfail(p, XDS_EINTERNAL, err, errlen,
			    "SHA-1 failed");
		str_hex(md, mdlen, p->sha1[p->part - 1]);
	}
	p->ph = PH_TAIL;
	p->hoff = 0;
	return n;
}

/* Root part bytes, from the caller's buffer. */
static size_t
pull_root(struct mtom_pull *p, unsigned char *out, size_t len)
{
	size_t n = p->root->b_len - (size_t)p->boff;

	if (n > len)
		n = len;
	if (n > 0)
		memcpy(out, p->root->b_data + p->boff, n);
	p->boff += (off_t)n;
	if ((size_t)p->boff == p->root->b_len) {
		p->ph = PH_TAIL;
		p->hoff = 0;
	}
	return n;
}

int
mtom_pull_new(struct mtom_pull **out, const struct mtom_writer *w,
    const struct buf *root, const struct mtom_attachment *att, size_t natt,
    int flags, char *err, size_t errlen)
{
	struct mtom_pull *p;
	int rc = XDS_ENOMEM;

	*out = NULL;
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (natt > 0 && (p->sha1 = calloc(natt, sizeof *p->sha1)) == NULL) ||
	    (p->md = EVP_MD_CTX_new()) == NULL ||
	    (p->v256 = EVP_MD_CTX_new()) == NULL) {
		str_lcpy(err, "out of memory", errlen);
		goto fail;
	}
	p->w = w;
	p->root = root;
	p->att = att;
	p->natt = natt;
	p->flags = flags;
	p->fd = -1;
	if ((rc = pull_part(p, err, errlen)) != 0)
		goto fail;
	*out = p;
	return XDS_OK;
fail:
	mtom_pull_free(p);
	return rc;
}

ssize_t
mtom_pull_read(struct mtom_pull *p, void *buf, size_t len, char *err,
    size_t errlen)
{
	unsigned char *out = buf;
	size_t done = 0, n;
	ssize_t r;

	if (p->status != 0)
		return pfail(p, p->status, err, errlen, "%s", p->err);
	while (done < len && p->ph != PH_END) {
		switch (p->ph) {
		case PH_HEAD:
		case PH_CLOSE:
		case PH_TAIL:
			if (p->ph == PH_TAIL) {
				memcpy(p->head, "\r\n", 2);
				p->hlen = 2;
			}
			n = p->hlen - p->hoff;
			if (n > len - done)
				n = len - done;
			memcpy(out + done, p->head + p->hoff, n);
			p->hoff += n;
			done += n;
			if (p->hoff < p->hlen)
				break;
			if (p->ph == PH_CLOSE)
				p->ph = PH_END;
			else if (p->ph == PH_HEAD) {
				p->ph = PH_BODY;
				p->boff = 0;
			} else {
				p->part++;
				if (pull_part(p, err, errlen) != 0)
					return p->status;
			}
			break;
		case PH_BODY:
			if (p->part == 0) {
				done += pull_root(p, out + done, len - done);
				break;
			}
			if ((r = pull_file(p, out + done, len - done, err,
			    errlen)) < 0)
				return r;
			done += (size_t)r;
			/* a file's bytes go out as read: no partial
			 * buffers across parts for big reads */
			if (done > 0 && p->ph == PH_BODY)
				return (ssize_t)done;
			break;
		case PH_END:
			break;
		}
	}
	return (ssize_t)done;
}

void
mtom_pull_rewind(struct mtom_pull *p)
{
	char err[8];

	pull_close_file(p);
	memset(p->sha1, 0, p->natt * sizeof *p->sha1);
	p->status = 0;
	p->err[0] = '\0';
	p->part = 0;
	(void)pull_part(p, err, sizeof err);
}

size_t
mtom_pull_part(const struct mtom_pull *p)
{
	return p->part;
}

const char *
mtom_pull_sha1(const struct mtom_pull *p, size_t i)
{
	return i < p->natt ? p->sha1[i] : "";
}

void
mtom_pull_free(struct mtom_pull *p)
{
	if (p == NULL)
		return;
	pull_close_file(p);
	EVP_MD_CTX_free(p->md);
	EVP_MD_CTX_free(p->v256);
	free(p->sha1);
	free(p);
}

int
mtom_write(const struct mtom_writer *w, const struct buf *root,
    const struct mtom_attachment *att, size_t natt, mtom_write_fn wr,
    void *arg, char *err, size_t errlen)
{
	struct mtom_pull *p = NULL;
	char *chunk = NULL;
	ssize_t n;
	int rc;

	if ((rc = mtom_pull_new(&p, w, root, att, natt, 0, err, errlen)) !=
	    XDS_OK)
		return rc;
	if ((chunk = malloc(WBUF_SIZE)) == NULL) {
		rc = wfail(err, errlen, XDS_ENOMEM, "out of memory");
		goto out;
	}
	while ((n = mtom_pull_read(p, chunk, WBUF_SIZE, err, errlen)) > 0)
		if (wr(arg, chunk, (size_t)n) != 0) {
			rc = wfail(err, errlen, XDS_EIO,
			    "write callback failed");
			goto out;
		}
	rc = n == 0 ? XDS_OK : (int)n;
out:
	free(chunk);
	mtom_pull_free(p);
	return rc;
}
