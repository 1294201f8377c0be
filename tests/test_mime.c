/* test_mime.c: multipart parser, Content-Type/cid helpers, MTOM reader
 * and writer, on hand-made messages and on the real captures of the
 * conformance corpus. */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "mime.h"
#include "mtom.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"


static char spool[300];

#define SZ ((size_t)-1)	/* length: strlen of the message */

/* Event recorder: "B(ct|cid|cte)" data "E" per part. */
struct rec {
	struct buf	 b;
	int		 refuse_at;	/* part index whose begin is refused, or -1 */
};

static int
rec_begin(void *arg, const struct mime_part *p)
{
	struct rec *r = arg;

	if ((int)p->index == r->refuse_at)
		return -1;
	return buf_addf(&r->b, "B(%s|%s|%d)", p->content_type, p->content_id,
	    (int)p->cte) == XDS_OK ? 0 : -1;
}

static int
rec_data(void *arg, const char *d, size_t n)
{
	struct rec *r = arg;

	CU_ASSERT(n > 0);
	return buf_add(&r->b, d, n) == XDS_OK ? 0 : -1;
}

static int
rec_end(void *arg)
{
	struct rec *r = arg;

	return buf_adds(&r->b, "E") == XDS_OK ? 0 : -1;
}

static const struct mime_callbacks rec_cb = { rec_begin, rec_data, rec_end };

/* Parse msg fed in chunks of `step` bytes (0: whole); returns the status
 * of feed/finish and the event string in out (caller frees). */
static int
parse_events(const char *boundary, const char *msg, size_t len, size_t step,
    const struct mime_limits *lim, struct buf *out, char *err, size_t errlen)
{
	struct mime_parser *p = NULL;
	struct rec r;
	size_t off, n;
	int rc;

	if (len == SZ)
		len = strlen(msg);
	buf_init(&r.b, 64 * 1024 * 1024);
	r.refuse_at = -1;
	if ((rc = mime_parser_new(&p, boundary, lim, &rec_cb, &r, err,
	    errlen)) != 0)
		goto out;
	for (off = 0; off < len; off += n) {
		n = step == 0 || len - off < step ? len - off : step;
		if ((rc = mime_feed(p, msg + off, n)) != 0)
			break;
	}
	if (rc == 0)
		rc = mime_finish(p);
	if (rc != 0)
		str_lcpy(err, mime_error(p), errlen);
out:
	mime_parser_free(p);
	*out = r.b;
	return rc;
}

static void
test_basic(void)
{
	static const char msg[] =
	    "preamble text\r\n"
	    "--b1 \t\r\n"
	    "Content-Type: text/plain\r\n"
	    "content-id:   <a%40b>  \r\n"
	    "Content-Transfer-Encoding: BINARY\r\n"
	    "\r\n"
	    "line1\r\n--b1x not a delimiter\r\n--b1-y\r\r\n--b\r"
	    "\r\n"
	    "--b1\n"
	    "X-Other: y\n"
	    "  folded\n"
	    "\n"
	    "second\n"
	    "--b1--\r\n"
	    "epilogue --b1\r\n";
	static const char want[] =
	    "B(text/plain|a@b|0)"
	    "line1\r\n--b1x not a delimiter\r\n--b1-y\r\r\n--b\rE"
	    "B(||0)secondE";
	struct buf ev;
	char err[128];
	size_t step;

	for (step = 0; step < 40; step++) {
		CU_ASSERT_EQUAL_FATAL(parse_events("b1", msg, sizeof msg - 1,
		    step, NULL, &ev, err, sizeof err), XDS_OK);
		CU_ASSERT_EQUAL(ev.b_len, sizeof want - 1);
		CU_ASSERT_STRING_EQUAL(buf_str(&ev), want);
		buf_free(&ev);
	}
}

/* Every split into two chunks gives the events of the whole message. */
static void
test_every_split(void)
{
	static const char msg[] =
	    "--bb\r\nContent-ID: <r>\r\n\r\nroot\r\r\n\r\n--bb\r\n"
	    "\r\n\r\n--bb\r\nContent-Type: a/b\r\n\r\n"
	    "\n-\n--\n--b\n--bb-\r\n--bbb\r\n--bb--";
	struct mime_parser *p;
	struct buf whole, ev;
	struct rec r;
	char err[128];
	size_t i, len = sizeof msg - 1;

	CU_ASSERT_EQUAL_FATAL(parse_events("bb", msg, len, 0, NULL, &whole,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&whole), "B(|r|0)root\r\r\nE"
	    "B(||0)EB(a/b||0)\n-\n--\n--b\n--bb-\r\n--bbbE");
	for (i = 0; i <= len; i++) {
		buf_init(&r.b, 1 << 20);
		r.refuse_at = -1;
		CU_ASSERT_EQUAL_FATAL(mime_parser_new(&p, "bb", NULL, &rec_cb,
		    &r, err, sizeof err), 0);
		CU_ASSERT_EQUAL(mime_feed(p, msg, i), 0);
		CU_ASSERT_EQUAL(mime_feed(p, msg + i, len - i), 0);
		CU_ASSERT_EQUAL(mime_finish(p), 0);
		CU_ASSERT_EQUAL(mime_part_count(p), 3);
		ev = r.b;
		CU_ASSERT_STRING_EQUAL(buf_str(&ev), buf_str(&whole));
		buf_free(&ev);
		mime_parser_free(p);
	}
	buf_free(&whole);
}

static void
test_errors(void)
{
	struct mime_limits lim = { 64, 4, 3 };
	struct mime_parser *p;
	struct buf ev, big;
	char err[128];
	size_t i;

	/* Header block over the limit. */
	buf_init(&big, 1 << 20);
	CU_ASSERT_EQUAL(buf_adds(&big, "--b\r\nX: "), XDS_OK);
	for (i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(buf_adds(&big, "y"), XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&big, "\r\n\r\nx\r\n--b--"), XDS_OK);
	CU_ASSERT_EQUAL(parse_events("b", big.b_data, big.b_len, 1, &lim,
	    &ev, err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "header block over the limit"));
	buf_free(&ev);
	/* Default limit: 8 KiB. */
	buf_reset(&big);
	CU_ASSERT_EQUAL(buf_adds(&big, "--b\r\n"), XDS_OK);
	for (i = 0; i < 400; i++)
		CU_ASSERT_EQUAL(buf_adds(&big, "X-Filler: 0123456789abcdef\r\n"),
		    XDS_OK);
	CU_ASSERT_EQUAL(parse_events("b", big.b_data, big.b_len, 0, NULL,
	    &ev, err, sizeof err), XDS_ETOOBIG);
	buf_free(&ev);
	/* Too many header fields. */
	CU_ASSERT_EQUAL(parse_events("b", "--b\nA: 1\nB: 2\nC: 3\nD: 4\nE: 5"
	    "\n\nx\n--b--", SZ, 0, &lim, &ev, err, sizeof err), XDS_ETOOBIG);
	buf_free(&ev);
	/* Too many parts: 3 allowed. */
	buf_reset(&big);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(buf_adds(&big, "--b\r\n\r\ndata\r\n"), XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&big, "--b--\r\n"), XDS_OK);
	CU_ASSERT_EQUAL(parse_events("b", big.b_data, big.b_len, 0, &lim,
	    &ev, err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "number of MIME parts"));
	buf_free(&ev);
	buf_free(&big);
	/* Truncated, no boundary, no parts, garbage after boundary. */
	CU_ASSERT_EQUAL(parse_events("b", "--b\r\n\r\nabc", SZ, 0, NULL, &ev,
	    err, sizeof err), XDS_EFORMAT);
	buf_free(&ev);
	CU_ASSERT_EQUAL(parse_events("b", "hello", SZ, 0, NULL, &ev, err,
	    sizeof err), XDS_EFORMAT);
	buf_free(&ev);
	CU_ASSERT_EQUAL(parse_events("b", "--b--", SZ, 0, NULL, &ev, err,
	    sizeof err), XDS_EFORMAT);
	buf_free(&ev);
	CU_ASSERT_EQUAL(parse_events("b", "--b x\r\n\r\n--b--", SZ, 0, NULL,
	    &ev, err, sizeof err), XDS_EFORMAT);
	buf_free(&ev);
	CU_ASSERT_EQUAL(parse_events("b", "--b\rx", SZ, 0, NULL, &ev, err,
	    sizeof err), XDS_EFORMAT);
	buf_free(&ev);
	/* Header line without a colon; duplicate Content-ID. */
	CU_ASSERT_EQUAL(parse_events("b", "--b\r\nnocolon\r\n\r\n--b--", SZ,
	    0, NULL, &ev, err, sizeof err), XDS_EFORMAT);
	buf_free(&ev);
	CU_ASSERT_EQUAL(parse_events("b", "--b\nContent-ID: <a>\ncontent-id: "
	    "<b>\n\n--b--", SZ, 0, NULL, &ev, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "content-id given twice"));
	buf_free(&ev);
	/* Bad boundaries. */
	CU_ASSERT_EQUAL(mime_parser_new(&p, "", NULL, NULL, NULL, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(mime_parser_new(&p, "a\nb", NULL, NULL, NULL, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_parser_new(&p, "trailing ", NULL, NULL, NULL, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_parser_new(&p, "01234567890123456789012345678901"
	    "234567890123456789012345678901234567890", NULL, NULL, NULL, err,
	    sizeof err), XDS_EFORMAT);
	/* A refusing callback stops the parse, and it stays stopped. */
	{
		struct rec r = { .refuse_at = 1 };

		buf_init(&r.b, 1024);
		CU_ASSERT_EQUAL_FATAL(mime_parser_new(&p, "b", NULL, &rec_cb,
		    &r, err, sizeof err), 0);
		CU_ASSERT_EQUAL(mime_feed(p, "--b\n\nx\n--b\n\ny\n--b--", 20),
		    XDS_ERR);
		CU_ASSERT_EQUAL(mime_feed(p, "z", 1), XDS_ERR);
		CU_ASSERT_EQUAL(mime_finish(p), XDS_ERR);
		CU_ASSERT_STRING_EQUAL(buf_str(&r.b), "B(||0)xE");
		buf_free(&r.b);
		mime_parser_free(p);
	}
}

static void
test_content_type(void)
{
	struct mime_ctype ct;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(mime_content_type_parse("Multipart/Related; "
	    "BOUNDARY=\"MIMEBoundary_ba2e\"; type=\"application/xop+xml\"; "
	    "start=\"<0.8a2e@apache.org>\"; start-info=\"application/"
	    "soap+xml\"; action=\"urn:ihe:iti:2007:ProvideAndRegisterDocument"
	    "Set-b\"", &ct, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(ct.type, "multipart");
	CU_ASSERT_STRING_EQUAL(ct.subtype, "related");
	CU_ASSERT_STRING_EQUAL(ct.boundary, "MIMEBoundary_ba2e");
	CU_ASSERT_STRING_EQUAL(ct.type_param, CT_XOP);
	CU_ASSERT_STRING_EQUAL(ct.start, "0.8a2e@apache.org");
	CU_ASSERT(ct.has_start);
	CU_ASSERT_STRING_EQUAL(ct.start_info, CT_SOAP12);
	CU_ASSERT_STRING_EQUAL(ct.action, ACT_ITI41);
	/* Unquoted values with ':' and <>, spaces, trailing ';', escapes. */
	CU_ASSERT_EQUAL_FATAL(mime_content_type_parse(" multipart/related ;"
	    "boundary = uuid:9d70+id=17 ; start=<root.message@cxf.apache.org>;"
	    " charset=\"a\\\"b\";", &ct, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(ct.boundary, "uuid:9d70+id=17");
	CU_ASSERT_STRING_EQUAL(ct.start, "root.message@cxf.apache.org");
	CU_ASSERT_STRING_EQUAL(ct.charset, "a\"b");
	CU_ASSERT_STRING_EQUAL(ct.type_param, "");
	CU_ASSERT_EQUAL_FATAL(mime_content_type_parse("application/soap+xml;"
	    "charset=UTF-8;action=\"urn:x\"", &ct, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(ct.subtype, "soap+xml");
	CU_ASSERT_STRING_EQUAL(ct.charset, "UTF-8");
	CU_ASSERT(!ct.has_start);
	/* Errors. */
	CU_ASSERT_EQUAL(mime_content_type_parse("multipart/related; "
	    "boundary=a; boundary=b", &ct, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
	CU_ASSERT_EQUAL(mime_content_type_parse("multipart/related; "
	    "boundary=\"abc", &ct, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_content_type_parse("multipart", &ct, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_content_type_parse("multipart/related; x", &ct,
	    err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_content_type_parse("multipart/related; "
	    "boundary=\"0123456789012345678901234567890123456789012345678901"
	    "2345678901234567890\"", &ct, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_content_type_parse("a/b; c=\"x\ry\"", &ct, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_content_type_parse(NULL, &ct, err, sizeof err),
	    XDS_EFORMAT);
}

static void
test_cid(void)
{
	char out[32];

	CU_ASSERT_EQUAL(mime_cid_decode("cid:a%40b%3Ac", 13, out, sizeof out),
	    0);
	CU_ASSERT_STRING_EQUAL(out, "a@b:c");
	CU_ASSERT_EQUAL(mime_cid_decode("CID:<x@y>", 9, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "x@y");
	CU_ASSERT_EQUAL(mime_cid_decode("100%zz%4", 8, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "100%zz%4");
	CU_ASSERT_EQUAL(mime_cid_decode("cid:a%00b", 9, out, sizeof out),
	    XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_cid_decode("cid:a%0Ab", 9, out, sizeof out),
	    XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_cid_decode("0123456789012345678901234567890123",
	    34, out, sizeof out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mime_cid_decode("%\x16" "1", 3, out, sizeof out),
	    XDS_EFORMAT);	/* not hex: the control character stays */
	CU_ASSERT_EQUAL(mime_cid_decode("a%4G%4a", 7, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "a%4GJ");
	CU_ASSERT_EQUAL(mime_cid_decode("cid:", 4, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

/* MTOM helpers */

static void
sha1_hex(const void *d, size_t n, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	EVP_Digest(d, n, md, &mdlen, EVP_sha1(), NULL);
	str_hex(md, mdlen, out);
}

/* Run the MTOM reader over msg in chunks of step bytes (0: whole). */
static int
mtom_run(const char *ctype, const char *msg, size_t len, size_t step,
    const struct mtom_limits *lim, struct mtom_message *m, char *err,
    size_t errlen)
{
	struct mtom_reader *r = NULL;
	size_t off, n;
	int rc;

	memset(m, 0, sizeof *m);
	if (len == SZ)
		len = strlen(msg);
	if ((rc = mtom_reader_new(&r, ctype, spool, lim, err, errlen)) != 0)
		return rc;
	for (off = 0; off < len; off += n) {
		n = step == 0 || len - off < step ? len - off : step;
		if ((rc = mtom_reader_feed(r, msg + off, n, err, errlen)) != 0)
			break;
	}
	if (rc == 0)
		rc = mtom_reader_finish(r, m, err, errlen);
	mtom_reader_free(r);
	return rc;
}

static void
test_mtom_basic(void)
{
	static const char ct[] = "multipart/related; boundary=\"=_b\"; "
	    "type=\"application/xop+xml\"; start=\"<root%40x>\"";
	static const char msg[] =
	    "--=_b\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-ID: <doc1@x>\r\n\r\n"
	    "SGVsbG8s\r\nIHdvcmxk\r\nIQ==\r\n"
	    "--=_b\r\n"
	    "Content-Type: application/xop+xml; type=\"application/soap+xml\""
	    "\r\nContent-ID: <root@x>\r\n\r\n"
	    "<soap:Envelope/>\r\n"
	    "--=_b\r\n"
	    "Content-ID: <doc2%25@x>\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
	    "raw\r\n"
	    "--=_b--\r\n";
	struct mtom_message m;
	char *fb;
	struct stat st;
	char err[256], want[41];
	size_t step;

	for (step = 0; step < 12; step++) {
		CU_ASSERT_EQUAL_FATAL(mtom_run(ct, msg, sizeof msg - 1, step,
		    NULL, &m, err, sizeof err), XDS_OK);
		CU_ASSERT_STRING_EQUAL(buf_str(&m.root), "<soap:Envelope/>");
		CU_ASSERT_STRING_EQUAL(m.root_cid, "root@x");
		CU_ASSERT_PTR_NOT_NULL(strstr(m.root_type, CT_XOP));
		CU_ASSERT_EQUAL_FATAL(m.natt, 2);
		CU_ASSERT_STRING_EQUAL(m.att[0].cid, "doc1@x");
		CU_ASSERT_STRING_EQUAL(m.att[0].content_type, "text/plain");
		CU_ASSERT_EQUAL(m.att[0].size, 13);
		sha1_hex("Hello, world!", 13, want);
		CU_ASSERT_STRING_EQUAL(m.att[0].sha1, want);
		fb = testutil_read_file(m.att[0].path, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fb);
		CU_ASSERT_STRING_EQUAL(fb, "Hello, world!");
		free(fb);
		CU_ASSERT_EQUAL_FATAL(stat(m.att[0].path, &st), 0);
		CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
		CU_ASSERT_STRING_EQUAL(m.att[1].cid, "doc2%@x");
		CU_ASSERT_STRING_EQUAL(m.att[1].content_type, "");
		CU_ASSERT_EQUAL(m.att[1].size, 3);
		sha1_hex("raw", 3, want);
		CU_ASSERT_STRING_EQUAL(m.att[1].sha1, want);
		CU_ASSERT_PTR_EQUAL(mtom_find(m.att, m.natt, "cid:doc1%40x"),
		    &m.att[0]);
		CU_ASSERT_PTR_EQUAL(mtom_find(m.att, m.natt, "cid:doc2%25@x"),
		    &m.att[1]);
		CU_ASSERT_PTR_NULL(mtom_find(m.att, m.natt, "doc1@x"));
		CU_ASSERT_PTR_NULL(mtom_find(m.att, m.natt, "cid:root@x"));
		CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 2);
		mtom_message_free(&m);
		CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
	}
}

static void
test_mtom_errors(void)
{
	struct mtom_limits lim = { 10, 5, 3, 0, 0, NULL };
	struct mtom_message m;
	char err[256];
	static const char two[] = "--b\r\n\r\n<root/>\r\n--b\r\nContent-ID: "
	    "<a>\r\n\r\n0123456789\r\n--b--";

	/* Start absent: the first part is the root. */
	CU_ASSERT_EQUAL_FATAL(mtom_run("multipart/related; boundary=b", two,
	    sizeof two - 1, 0, NULL, &m, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(buf_str(&m.root), "<root/>");
	CU_ASSERT_EQUAL(m.natt, 1);
	mtom_message_free(&m);
	/* Start names no part. */
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b; start=<zz>",
	    two, sizeof two - 1, 0, NULL, &m, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "root part"));
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
	/* Part over the limit; envelope over the limit. */
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", two,
	    sizeof two - 1, 3, &lim, &m, err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "attachment over the limit"));
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
	lim.max_part = 100;
	lim.max_envelope = 5;
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", two,
	    sizeof two - 1, 0, &lim, &m, err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "envelope"));
	/* Too many parts, header too big: 413 too. */
	lim.max_envelope = 100;
	lim.max_parts = 1;
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", two,
	    sizeof two - 1, 0, &lim, &m, err, sizeof err), XDS_ETOOBIG);
	lim.max_parts = 0;
	lim.max_header_bytes = 5;
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", two,
	    sizeof two - 1, 0, &lim, &m, err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
	/* The parts together over max_total (the root not counted): 413,
	 * nothing left; under it, the shared count holds their bytes. */
	{
		static const char three[] = "--b\r\n\r\n<root-part/>\r\n"
		    "--b\r\nContent-ID: <a>\r\n\r\n0123456789\r\n--b\r\n"
		    "Content-ID: <c>\r\n\r\n0123456789\r\n--b--";
		struct mtom_limits tl = { 0, 0, 0, 0, 19, NULL };
		off_t total = 0;

		CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b",
		    three, sizeof three - 1, 0, &tl, &m, err, sizeof err),
		    XDS_ETOOBIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "19 bytes in total"));
		CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
		tl.max_total = 20;
		tl.total = &total;
		CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b",
		    three, sizeof three - 1, 0, &tl, &m, err, sizeof err),
		    XDS_OK);
		CU_ASSERT_EQUAL(total, 20);
		mtom_message_free(&m);
	}
	/* Duplicate Content-ID; bad base64; quoted-printable; truncated. */
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", "--b\n\nr\n"
	    "--b\nContent-ID: <a>\n\nx\n--b\nContent-ID: <a>\n\ny\n--b--", SZ,
	    0, NULL, &m, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "same Content-ID"));
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", "--b\n\nr\n"
	    "--b\nContent-Transfer-Encoding: base64\n\nQQ=x\n--b--", SZ, 0,
	    NULL, &m, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "base64"));
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", "--b\n\nr\n"
	    "--b\nContent-Transfer-Encoding: base64\n\nQUJD\nQQ\n--b--", SZ, 0,
	    NULL, &m, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(m.natt, 1);
	CU_ASSERT_EQUAL(m.att[0].size, 4);	/* "ABCA", unpadded tail */
	mtom_message_free(&m);
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", "--b\n\nr\n"
	    "--b\nContent-Transfer-Encoding: quoted-printable\n\nx\n--b--", SZ,
	    0, NULL, &m, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mtom_run("multipart/related; boundary=b", two, 40, 0,
	    NULL, &m, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
	/* Not multipart, no boundary, spool dir missing. */
	CU_ASSERT_EQUAL(mtom_run(CT_SOAP12 "; charset=UTF-8", two,
	    sizeof two - 1, 0, NULL, &m, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(mtom_run("multipart/related; type=x", two,
	    sizeof two - 1, 0, NULL, &m, err, sizeof err), XDS_EFORMAT);
	{
		struct mtom_reader *r;

		CU_ASSERT_EQUAL(mtom_reader_new(&r, "multipart/related; "
		    "boundary=b", NULL, NULL, err, sizeof err), XDS_EIO);
		CU_ASSERT_PTR_NULL(r);
		/* Abandoned mid-body: free removes the spool file. */
		CU_ASSERT_EQUAL_FATAL(mtom_reader_new(&r, "multipart/related; "
		    "boundary=b", spool, NULL, err, sizeof err), 0);
		CU_ASSERT_EQUAL(mtom_reader_feed(r, two, 40, err, sizeof err),
		    0);
		CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 1);
		mtom_reader_free(r);
	}
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
}

/* Round trip: writer -> reader, with a 3 MB attachment and an exact
 * precomputed length. */
struct sinkctx {
	struct mtom_reader *r;
	long long	 n;
	int		 fail;
	char		 err[256];
};

static int
feed_sink(void *arg, const void *d, size_t n)
{
	struct sinkctx *s = arg;

	s->n += (long long)n;
	if (mtom_reader_feed(s->r, d, n, s->err, sizeof s->err) != 0)
		s->fail = 1;
	return s->fail ? -1 : 0;
}

static void
test_roundtrip(void)
{
	struct mtom_attachment att[2];
	struct mtom_writer w;
	struct mtom_message m;
	struct mime_ctype ct;
	struct sinkctx s;
	struct buf root;
	size_t fblen = 0;
	char *fb;
	unsigned char *data;
	char err[256], path[320];
	long long len;
	size_t i, n = 3 * 1024 * 1024 + 17;

	if ((data = malloc(n)) == NULL)
		CU_FAIL_FATAL("malloc");
	for (i = 0; i < n; i++)		/* includes CR LF '-' bytes */
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	memcpy(data + 1000, "\r\n--MIMEBoundary_\r\n", 19);
	CU_ASSERT_EQUAL_FATAL(str_fmt(path, sizeof path, "%s/../rt.bin",
	    spool) > 0, 1);
	CU_ASSERT_EQUAL_FATAL(testutil_write_file(path, data, n), 0);
	memset(att, 0, sizeof att);
	str_lcpy(att[0].cid, "doc-1@xdsnode", sizeof att[0].cid);
	str_lcpy(att[0].content_type, "application/dicom",
	    sizeof att[0].content_type);
	str_lcpy(att[0].path, path, sizeof att[0].path);
	att[0].size = (off_t)n;
	str_lcpy(att[1].cid, "empty@x", sizeof att[1].cid);
	str_lcpy(att[1].path, "/dev/null", sizeof att[1].path);
	buf_init(&root, 1 << 20);
	CU_ASSERT_EQUAL(buf_adds(&root, "<soap:Envelope xmlns:soap=\"" "x\">"
	    "</soap:Envelope>"), XDS_OK);

	CU_ASSERT_EQUAL_FATAL(mtom_writer_init(&w, ACT_ITI43_RSP, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(mime_content_type_parse(w.content_type, &ct, err,
	    sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(ct.type_param, CT_XOP);
	CU_ASSERT_STRING_EQUAL(ct.start_info, CT_SOAP12);
	CU_ASSERT_STRING_EQUAL(ct.start, w.root_cid);
	CU_ASSERT_STRING_EQUAL(ct.boundary, w.boundary);
	CU_ASSERT_STRING_EQUAL(ct.action, ACT_ITI43_RSP);
	CU_ASSERT_EQUAL(mtom_length(&w, &root, att, 2, &len, err, sizeof err),
	    0);

	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL_FATAL(mtom_reader_new(&s.r, w.content_type, spool,
	    NULL, err, sizeof err), 0);
	CU_ASSERT_EQUAL(mtom_write(&w, &root, att, 2, feed_sink, &s, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(s.fail, 0);
	CU_ASSERT_EQUAL(s.n, len);
	CU_ASSERT_EQUAL_FATAL(mtom_reader_finish(s.r, &m, err, sizeof err), 0);
	mtom_reader_free(s.r);
	CU_ASSERT_STRING_EQUAL(buf_str(&m.root), buf_str(&root));
	CU_ASSERT_STRING_EQUAL(m.root_cid, w.root_cid);
	CU_ASSERT_STRING_EQUAL(m.root_type, "application/xop+xml; "
	    "charset=UTF-8; type=\"application/soap+xml\"");
	CU_ASSERT_EQUAL_FATAL(m.natt, 2);
	CU_ASSERT_EQUAL(m.att[0].size, (off_t)n);
	sha1_hex(data, n, att[0].sha1);
	CU_ASSERT_STRING_EQUAL(m.att[0].sha1, att[0].sha1);
	CU_ASSERT_STRING_EQUAL(m.att[0].cid, "doc-1@xdsnode");
	CU_ASSERT_STRING_EQUAL(m.att[0].content_type, "application/dicom");
	fb = testutil_read_file(m.att[0].path, &fblen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fb);
	CU_ASSERT_EQUAL(fblen, n);
	CU_ASSERT(fblen == n && memcmp(fb, data, n) == 0);
	free(fb);
	CU_ASSERT_EQUAL(m.att[1].size, 0);
	CU_ASSERT_STRING_EQUAL(m.att[1].sha1,
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	CU_ASSERT_STRING_EQUAL(m.att[1].content_type,
	    "application/octet-stream");
	mtom_message_free(&m);

	/* A file whose size differs from att.size fails the write. */
	att[0].size = (off_t)n + 1;
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL_FATAL(mtom_reader_new(&s.r, w.content_type, spool,
	    NULL, err, sizeof err), 0);
	CU_ASSERT_EQUAL(mtom_write(&w, &root, att, 1, feed_sink, &s, err,
	    sizeof err), XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "shorter"));
	mtom_reader_free(s.r);
	/* Header injection is refused. */
	att[0].size = (off_t)n;
	str_lcpy(att[0].content_type, "text/plain\r\nX: y",
	    sizeof att[0].content_type);
	CU_ASSERT_EQUAL(mtom_length(&w, &root, att, 1, &len, err, sizeof err),
	    XDS_EFORMAT);
	CU_ASSERT_EQUAL(mtom_writer_init(&w, "urn:\"x", err, sizeof err),
	    XDS_EFORMAT);
	/* Two writers differ. */
	{
		struct mtom_writer w2;

		CU_ASSERT_EQUAL(mtom_writer_init(&w, NULL, err, sizeof err), 0);
		CU_ASSERT_EQUAL(mtom_writer_init(&w2, NULL, err, sizeof err), 0);
		CU_ASSERT_STRING_NOT_EQUAL(w.boundary, w2.boundary);
		CU_ASSERT_PTR_NULL(strstr(w.content_type, "action"));
	}
	unlink(path);
	buf_free(&root);
	free(data);
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
}

static int
add_buf(void *arg, const void *d, size_t n)
{
	return buf_add(arg, d, n) != XDS_OK;
}

/*
 * The pull writer hands out mtom_write's bytes in reads of any size,
 * hashes attachments without a sha1, starts again on a rewind, and
 * fails a file that grows or shrinks while it is read.
 */
static void
test_pull(void)
{
	static const size_t sizes[] = { 1, 2, 7, 100, 4096, 65536, 1 << 20 };
	struct mtom_attachment att[3];
	struct mtom_writer w;
	struct mtom_pull *p;
	struct buf root, whole, got;
	char err[256], path[320], chunk[1 << 20];
	const char *data = "0123456789\r\n--MIMEBoundary_x";
	size_t i, k;
	ssize_t n;
	long long len;

	CU_ASSERT_EQUAL_FATAL(str_fmt(path, sizeof path, "%s/../pull.bin",
	    spool) > 0, 1);
	CU_ASSERT_EQUAL_FATAL(testutil_write_file(path, data, strlen(data)),
	    0);
	memset(att, 0, sizeof att);
	for (i = 0; i < 3; i++) {
		str_fmt(att[i].cid, sizeof att[i].cid, "a%zu@x", i);
		str_lcpy(att[i].path, i == 1 ? "/dev/null" : path,
		    sizeof att[i].path);
		att[i].size = i == 1 ? 0 : (off_t)strlen(data);
	}
	str_lcpy(att[2].sha1, "given", sizeof att[2].sha1);
	buf_init(&root, 1 << 20);
	buf_init(&whole, 1 << 20);
	buf_init(&got, 1 << 20);
	CU_ASSERT_EQUAL(buf_adds(&root, "<e:Envelope xmlns:e=\"x\"/>"),
	    XDS_OK);
	CU_ASSERT_EQUAL_FATAL(mtom_writer_init(&w, ACT_ITI41, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(mtom_write(&w, &root, att, 3, add_buf, &whole,
	    err, sizeof err), 0);
	CU_ASSERT_EQUAL(mtom_length(&w, &root, att, 3, &len, err, sizeof err),
	    0);
	CU_ASSERT_EQUAL(len, (long long)whole.b_len);
	for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		CU_ASSERT_EQUAL_FATAL(mtom_pull_new(&p, &w, &root, att, 3,
		    MTOM_PULL_SHA1, err, sizeof err), XDS_OK);
		CU_ASSERT_EQUAL(mtom_pull_part(p), 0);
		buf_reset(&got);
		while ((n = mtom_pull_read(p, chunk, sizes[k], err,
		    sizeof err)) > 0)
			CU_ASSERT_EQUAL(buf_add(&got, chunk, (size_t)n),
			    XDS_OK);
		CU_ASSERT_EQUAL(n, 0);
		CU_ASSERT(got.b_len == whole.b_len &&
		    memcmp(got.b_data, whole.b_data, got.b_len) == 0);
		CU_ASSERT_EQUAL(mtom_pull_part(p), 4);
		CU_ASSERT_STRING_EQUAL(mtom_pull_sha1(p, 1),
		    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
		CU_ASSERT_STRING_EQUAL(mtom_pull_sha1(p, 2), "");
		CU_ASSERT_EQUAL(strlen(mtom_pull_sha1(p, 0)), 40);
		/* a rewind gives the same bytes again */
		mtom_pull_rewind(p);
		CU_ASSERT_STRING_EQUAL(mtom_pull_sha1(p, 0), "");
		buf_reset(&got);
		while ((n = mtom_pull_read(p, chunk, sizes[k], err,
		    sizeof err)) > 0)
			CU_ASSERT_EQUAL(buf_add(&got, chunk, (size_t)n),
			    XDS_OK);
		CU_ASSERT(n == 0 && got.b_len == whole.b_len);
		mtom_pull_free(p);
	}
	/* a file longer, then shorter than its size */
	for (k = 0; k < 2; k++) {
		att[0].size = (off_t)strlen(data) + (k == 0 ? -1 : 1);
		CU_ASSERT_EQUAL_FATAL(mtom_pull_new(&p, &w, &root, att, 1, 0,
		    err, sizeof err), XDS_OK);
		while ((n = mtom_pull_read(p, chunk, 5, err, sizeof err)) > 0)
			;
		CU_ASSERT_EQUAL(n, XDS_EIO);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "changed size while being "
		    "sent"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
		/* the failure sticks */
		CU_ASSERT_EQUAL(mtom_pull_read(p, chunk, 5, err, sizeof err),
		    XDS_EIO);
		mtom_pull_free(p);
	}
	/* a file that cannot be opened is named */
	str_lcpy(att[0].path, "/nonexistent/x", sizeof att[0].path);
	CU_ASSERT_EQUAL_FATAL(mtom_pull_new(&p, &w, &root, att, 1, 0, err,
	    sizeof err), XDS_OK);
	while ((n = mtom_pull_read(p, chunk, sizeof chunk, err,
	    sizeof err)) > 0)
		;
	CU_ASSERT_EQUAL(n, XDS_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x"));
	mtom_pull_free(p);
	unlink(path);
	buf_free(&root);
	buf_free(&whole);
	buf_free(&got);
}

/*
 * An attachment marked verify is checked against its recorded SHA-256 and
 * size as it is sent: the same bytes pass, a byte changed or a file of
 * another size fails the read that would hand out its last byte (the
 * body ends short), counted once each; in reads of any size.
 */
static void
test_pull_verify(void)
{
	static const size_t sizes[] = { 1, 3, 4096, 1 << 20 };
	static const char *const bodies[] = { "hello world", "hello World",
	    "hello worl", "hello world!" };
	struct mtom_attachment att;
	struct mtom_writer w;
	struct mtom_pull *p;
	struct buf root, whole;
	char err[256], path[320], chunk[1 << 20];
	unsigned long long before;
	size_t i, k, got;
	long long len;
	ssize_t n;

	CU_ASSERT_EQUAL_FATAL(str_fmt(path, sizeof path, "%s/../verify.bin",
	    spool) > 0, 1);
	memset(&att, 0, sizeof att);
	str_lcpy(att.cid, "v@x", sizeof att.cid);
	str_lcpy(att.path, path, sizeof att.path);
	str_lcpy(att.sha256, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380e"
	    "e9088f7ace2efcde9", sizeof att.sha256);	/* "hello world" */
	att.size = 11;
	att.verify = 1;
	buf_init(&root, 1 << 20);
	buf_init(&whole, 1 << 20);
	CU_ASSERT_EQUAL(buf_adds(&root, "<e:Envelope xmlns:e=\"x\"/>"),
	    XDS_OK);
	CU_ASSERT_EQUAL_FATAL(mtom_writer_init(&w, ACT_ITI43_RSP, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(mtom_length(&w, &root, &att, 1, &len, err, sizeof err),
	    0);
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		CU_ASSERT_EQUAL_FATAL(testutil_write_file(path, bodies[i],
		    strlen(bodies[i])), 0);
		for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			before = mtom_verify_failures();
			CU_ASSERT_EQUAL_FATAL(mtom_pull_new(&p, &w, &root,
			    &att, 1, 0, err, sizeof err), XDS_OK);
			got = 0;
			while ((n = mtom_pull_read(p, chunk, sizes[k], err,
			    sizeof err)) > 0)
				got += (size_t)n;
			if (i == 0) {
				CU_ASSERT(n == 0 && (long long)got == len);
				CU_ASSERT_EQUAL(mtom_verify_failures(),
				    before);
			} else {
				CU_ASSERT_EQUAL(n, XDS_EIO);
				CU_ASSERT((long long)got < len - 20);
				CU_ASSERT_PTR_NOT_NULL(strstr(err, "stored "
				    "bytes"));
				CU_ASSERT_EQUAL(mtom_verify_failures(),
				    before + 1);
			}
			mtom_pull_free(p);
		}
	}
	unlink(path);
	buf_free(&root);
	buf_free(&whole);
}

/* The real captures of the corpus. */
struct capture {
	const char	*path;		/* under $XDS_TESTDATA */
	const char	*ctype;		/* NULL: from the HTTP head in the file */
	size_t		 root_len[2];	/* LF form, CRLF form */
	const char	*root_prefix;
	size_t		 natt;
	size_t		 att_len[2];	/* of the first attachment */
	const char	*att_sha1[2];	/* first 8 hex digits */
	const char	*href;		/* an xop:Include href in the root */
	int		 href_found;	/* 1: found, 2: found, not in root */
};

#define NIST_B "MIMEBoundary_95b57d7287e4fa4b528a8f050c41f8ad829c20332f23b48d"
#define PNR "iti41-provide-register/"
#define CXF "multipart/related; type=\"application/xop+xml\"; boundary="

static const struct capture captures[] = {
	{ PNR "nist-misc/multipart.body.txt",
	  "multipart/related; boundary=\"MIMEBoundary_ba2e384099b4a244bc1c7bab88"
	  "c735b4f94aeb2925619b62\"; type=\"application/xop+xml\"; start=\"<0."
	  "8a2e384099b4a244bc1c7bab88c735b4f94aeb2925619b62@apache.org>\"; "
	  "start-info=\"application/soap+xml\"; action=\"urn:ihe:iti:2007:"
	  "ProvideAndRegisterDocumentSet-b\"",
	  { 12509, 12740 }, "<?xml", 1, { 36, 40 }, { "e543712c", "e4f4de40" },
	  "cid:1.9a2e384099b4a244bc1c7bab88c735b4f94aeb2925619b62@apache.org",
	  1 },
	{ PNR "nist-misc/sample_mtom_message.txt",
	  CXF "MIMEBoundary_494859fac46e21a68c012f8f4fe208a370fc32b6e07ae79f",
	  { 12510, 12741 }, "<?xml", 1, { 36, 40 }, { "e543712c", "e4f4de40" },
	  "cid:1.694859fac46e21a68c012f8f4fe208a370fc32b6e07ae79f@apache.org",
	  0 },		/* the capture's href names no part */
	{ PNR "nist-msgvalidator/http-mtom-pnr.txt", NULL,
	  { 16845, 17086 }, "<?xml", 1, { 1465, 1467 },
	  { "a2ffd43a", "ed75b8e3" },
	  "cid:1.urn:uuid:3D4B161591CD1DEC0C1286850962319@apache.org", 1 },
	{ PNR "openhim-mediator-xds/pnrResponse_e2e.xml",
	  CXF "\"uuid:9d70af7a-1e95-4187-8860-de7c7662ce3c\"",
	  { 1192, 1223 }, "<root.message@cxf.apache.org>", 1, { 0, 0 },
	  { "da39a3ee", "da39a3ee" },
	  "cid:49ca80e2-b85e-47d7-96fd-9210ae46d86f", 2 },	/* folded */
	{ PNR "openhim-mediator-xds/pnr_e2e_mtom.xml",
	  CXF "MIMEBoundaryurn_uuid_76A2C3D9BCD3AECFF31217932910180",
	  { 15332, 15640 }, "<?xml", 1, { 34, 36 }, { "e2e85d0a", "76d27f0e" },
	  "cid:1.urn:uuid:76A2C3D9BCD3AECFF31217932910229@apache.org", 1 },
	{ PNR "openhim-mediator-xds/PnRBasicMtom.xml",
	  CXF "MIMEBoundaryurn_uuid_76A2C3D9BCD3AECFF31217932910180",
	  { 38, 39 }, "(Not an actual) SOAP part for testing", 1, { 34, 36 },
	  { "e2e85d0a", "76d27f0e" }, NULL, 0 },
	{ PNR "openhim-mediator-xds/pnrResponse_wSOAP.xml",
	  CXF "\"uuid:9d70af7a-1e95-4187-8860-de7c7662ce3c\"; start="
	  "\"<root.message@cxf.apache.org>\"",
	  { 1234, 1234 }, "<soap:Envelope", 1, { 0, 0 },
	  { "da39a3ee", "da39a3ee" }, NULL, 0 },
	{ "iti43-retrieve/openhim-mediator-xds/retrieveResponse_wSOAP.xml",
	  CXF "\"uuid:e59abb7b-d9c5-4f29-9854-e89b12b41e12\"",
	  { 1361, 1361 }, "<soap:Envelope", 1, { 16, 16 },
	  { "d4ab0ec3", "d4ab0ec3" },
	  "cid:9422c6dd-ae49-41cf-a0ad-9ff91a0f3b8a%40null", 1 },
	{ PNR "nist-testkit/PnrNoXop/submit/body.txt",
	  CXF "\"" NIST_B "\"; start-info=\"application/soap+xml\"",
	  { 19092, 19401 }, "<?xml", 1, { 36, 40 }, { "e543712c", "e4f4de40" },
	  NULL, 0 },
	{ PNR "nist-testkit/PnrXop/NoXop/body.txt", CXF "\"" NIST_B "\"",
	  { 18898, 19205 }, "<?xml", 0, { 0, 0 }, { NULL, NULL }, NULL, 0 },
	{ PNR "nist-testkit/PnrXop/Xop/body.txt", CXF "\"" NIST_B "\"",
	  { 19012, 19321 }, "<?xml", 1, { 36, 40 }, { "e543712c", "e4f4de40" },
	  "cid:1.b5b57d7287e4fa4b528a8f050c41f8ad829c20332f23b48d@apache.org",
	  1 },
	{ PNR "nist-testkit/PnrXop/dicom/body.txt",
	  CXF "\"uuid:376733a6-6a2d-4583-a687-04c08acf6a49+id=17\"",
	  { 19302, 19302 }, "<s:Envelope", 0, { 0, 0 }, { NULL, NULL },
	  NULL, 0 },
	{ PNR "nist-testkit/PnrXop/encodedURL/body.txt",
	  CXF "\"" NIST_B "\"",
	  { 19026, 19335 }, "<?xml", 1, { 36, 40 }, { "e543712c", "e4f4de40" },
	  "cid:fdf975cc-9f08-4d94-b7f6-99f4807f3654-1@urn%3Aihe%3Aiti%3A"
	  "xds-b%3A2007", 1 },
};

static int
load_capture(const char *rel, int crlf, struct buf *body, char *ctype,
    size_t ctsz)
{
	const char *s, *e, *hdr_end;
	size_t i, len;
	char *raw;

	if ((raw = testutil_testdata_file(rel, &len)) == NULL)
		return -1;
	s = raw;
	e = s + len;
	if (ctype != NULL) {		/* an HTTP request: split the head */
		if ((hdr_end = strstr(s, "\n\n")) == NULL ||
		    (s = strstr(s, "Content-Type: ")) == NULL || s > hdr_end) {
			free(raw);
			return -1;
		}
		s += 14;
		i = strcspn(s, "\n");
		while (i > 0 && s[i - 1] == ' ')
			i--;
		if (i >= ctsz) {
			free(raw);
			return -1;
		}
		memcpy(ctype, s, i);
		ctype[i] = '\0';
		s = hdr_end + 2;
	}
	buf_init(body, 1 << 22);
	for (; s < e; s++)
		if ((crlf && *s == '\n' && buf_add(body, "\r", 1) != XDS_OK) ||
		    buf_add(body, s, 1) != XDS_OK)
			break;
	free(raw);
	return 0;
}

static void
test_captures(void)
{
	static const size_t steps[] = { 0, 1, 7, 4096 };
	const struct capture *c;
	struct mtom_message m;
	struct buf body, ev;
	struct mime_ctype ct;
	char err[256], ctype[1024];
	size_t i, k;
	int crlf;

	TESTUTIL_NEED_CORPUS();
	for (i = 0; i < sizeof captures / sizeof captures[0]; i++) {
		c = &captures[i];
		for (crlf = 0; crlf < 2; crlf++) {
			if (load_capture(c->path, crlf, &body, c->ctype ? NULL :
			    ctype, sizeof ctype) != 0) {
				fprintf(stderr, "cannot read %s (XDS_TESTDATA)\n",
				    c->path);
				CU_FAIL("capture missing");
				continue;
			}
			if (c->ctype != NULL)
				str_lcpy(ctype, c->ctype, sizeof ctype);
			for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
				if (mtom_run(ctype, body.b_data, body.b_len,
				    steps[k], NULL, &m, err, sizeof err) != 0) {
					fprintf(stderr, "%s crlf=%d step=%zu: "
					    "%s\n", c->path, crlf, steps[k], err);
					CU_FAIL("capture does not parse");
					continue;
				}
				CU_ASSERT_EQUAL(m.root.b_len, c->root_len[crlf]);
				CU_ASSERT_EQUAL(strncmp(buf_str(&m.root),
				    c->root_prefix, strlen(c->root_prefix)), 0);
				CU_ASSERT_EQUAL(m.natt, c->natt);
				if (m.natt > 0 && c->natt > 0) {
					CU_ASSERT_EQUAL(m.att[0].size,
					    (off_t)c->att_len[crlf]);
					CU_ASSERT_EQUAL(strncmp(m.att[0].sha1,
					    c->att_sha1[crlf], 8), 0);
				}
				if (c->href != NULL) {
					CU_ASSERT(c->href_found == 2 || strstr(
					    buf_str(&m.root), c->href) != NULL);
					CU_ASSERT_EQUAL(mtom_find(m.att, m.natt,
					    c->href) != NULL, c->href_found != 0);
				}
				mtom_message_free(&m);
			}
			/* The bare parser agrees byte by byte. */
			CU_ASSERT_EQUAL_FATAL(mime_content_type_parse(ctype,
			    &ct, err, sizeof err), 0);
			CU_ASSERT_EQUAL(parse_events(ct.boundary, body.b_data,
			    body.b_len, 1, NULL, &ev, err, sizeof err), 0);
			buf_free(&ev);
			buf_free(&body);
		}
	}
	CU_ASSERT_EQUAL(testutil_count_files(spool, 0), 0);
}

static int
suite_init(void)
{
	char d[256];

	if (testutil_tmpdir("mime", d, sizeof d) != 0)
		return -1;
	if (str_fmt(spool, sizeof spool, "%s/spool", d) < 0 ||
	    mkdir(spool, 0700) != 0)
		return -1;
	return 0;
}

static int
suite_clean(void)
{
	char parent[300];

	str_lcpy(parent, spool, sizeof parent);
	*strrchr(parent, '/') = '\0';
	if (rmdir(spool) != 0 || rmdir(parent) != 0)
		return -1;	/* leftover spool files */
	return 0;
}

static const struct cutest mime_tests[] = {
	{ "basic parse, any chunking", test_basic },
	{ "every split point", test_every_split },
	{ "limits and errors", test_errors },
	{ "Content-Type", test_content_type },
	{ "cid decode", test_cid },
	{ "mtom reader", test_mtom_basic },
	{ "mtom errors", test_mtom_errors },
	{ "writer round trip", test_roundtrip },
	{ "pull writer", test_pull },
	{ "pull writer checks recorded hashes", test_pull_verify },
	{ "corpus captures", test_captures },
};

static const struct cutest_suite suites[] = {
	{ "mime", suite_init, suite_clean, mime_tests, NELEM(mime_tests) },
};

int
main(void)
{
	return cutest_run_suites(suites, NELEM(suites));
}
