/*
 * xdsctl_repo.c: the subcommands that speak to a Document Repository:
 *
 *	submit FILE... --patient BSN [flags]	ITI-41 of the files
 *	retrieve UNIQUEID... [--repository ID] [-o DIR]	ITI-43 into DIR
 *
 * submit builds one SubmissionSet and one DocumentEntry per file from its
 * flags and the [affinity] defaults of the configuration, and sends the
 * files as MTOM parts streamed from disk by libcurl (curl_mime with a read
 * callback that computes SHA-1 and counts the bytes on the way; nothing of
 * a document is held in memory).  retrieve streams the MTOM answer through
 * mtom_reader into spool files in DIR and renames each to its uniqueId.
 * Both print a summary table (or --json) and exit 1 on any failure or
 * partial success.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "mtom.h"
#include "soap.h"
#include "spool.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

#define REPO_MAX_DOCS	256			/* files in one submission */
#define REPO_MAX_META	((size_t)16 * 1024 * 1024)	/* request XML */
/*
 * The SOAP answer (a plain one, or the root part of an MTOM one).  A
 * document sent inline as base64 instead of an xop:Include is decoded
 * from the parsed answer, so this bounds it too: libxml2 refuses a text
 * node over 10,000,000 bytes, hence this limit and about 7 MB of
 * document inline; XOP parts are streamed to disk and not bounded here.
 */
#define REPO_MAX_ANSWER	((size_t)10000000)
#define REPO_MAX_PART	((off_t)1 << 40)	/* one retrieved document */
#define REPO_ROOT_CID	"root.message@xdsnode.xdsctl"
#define REPO_UID_SZ	65			/* OID, 64 characters */

/* One document of a submission, read by curl through doc_read(). */
struct doc {
	const char	*path;
	const char	*title;
	char		 mime[128];
	char		 uid[REPO_UID_SZ];
	char		 id[SOAP_UUID_LEN];	/* entryUUID */
	char		 cid[96];
	off_t		 size;			/* from stat */
	off_t		 sent;			/* bytes read by curl */
	char		 sha1[41];
	FILE		*fp;
	EVP_MD_CTX	*md;
	struct xfer	*xfer;
	size_t		 index;
	int		 failed;		/* read error */
};

struct xfer {
	int		 tty;		/* progress bar on stderr */
	int		 drawn;		/* a bar is on the line */
	double		 last;		/* time of the last bar */
	size_t		 cur, ndocs;	/* the document being sent */
	/* answer */
	CURL		*curl;
	struct buf	 answer;	/* non-MTOM answers, bounded */
	struct mtom_reader *rd;		/* MTOM answers */
	const char	*spool;		/* where MTOM parts go */
	int		 rd_failed;
	char		 err[512];
};

static const struct {
	const char *ext, *mime;
} mimes[] = {
	{ "pdf", "application/pdf" }, { "xml", "text/xml" },
	{ "txt", "text/plain" }, { "html", "text/html" }, { "htm", "text/html" },
	{ "json", "application/json" }, { "rtf", "text/rtf" },
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "png", "image/png" }, { "tif", "image/tiff" }, { "tiff", "image/tiff" },
	{ "dcm", "application/dicom" }, { "hl7", "application/x-hl7" },
	{ "bin", "application/octet-stream" },
};

static const char *
mime_of(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t i;

	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
			if (strcasecmp(dot + 1, mimes[i].ext) == 0)
				return mimes[i].mime;
	return "application/octet-stream";
}

static const char *
ext_of(const char *mime)
{
	size_t i;

	for (i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
		if (strcasecmp(mime, mimes[i].mime) == 0)
			return mimes[i].ext;
	return "bin";
}

/*
 * "code^display^scheme", or a bare "code" that takes display and scheme
 * from the configured default dflt.
 */
static int
code_parse(const char *spec, const char *dflt, const char *what,
    struct rim_code *c)
{
	memset(c, 0, sizeof *c);
	if (strchr(spec, '^') == NULL && dflt != NULL) {
		if (code_parse(dflt, NULL, what, c) != 0)
			return -1;
		if (str_lcpy(c->code, spec, sizeof c->code) >= sizeof c->code ||
		    spec[0] == '\0')
			goto bad;
		return 0;
	}
	if (rim_code_parse(spec, c) != 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "xdsctl: %s: \"%.100s\" is not code^display^codingScheme"
	    "\n", what, spec);
	return -1;
}

/* root "." a 128-bit random number in decimal (ITU-T X.667 for 2.25). */
static int
new_uid(const char *root, char *out, size_t outsz)
{
	unsigned char r[16];
	char dec[48];
	size_t i, n = 0;
	int nz;

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	r[0] &= 0x7f;
	r[0] |= 0x40;		/* 39 digits at most, never a leading zero */
	do {			/* repeated division by 10 of r[] */
		unsigned rem = 0;

		nz = 0;
		for (i = 0; i < sizeof r; i++) {
			unsigned v = rem * 256 + r[i];

			r[i] = (unsigned char)(v / 10);
			rem = v % 10;
			nz |= r[i] != 0;
		}
		dec[n++] = (char)('0' + rem);
	} while (nz && n < sizeof dec - 1);
	for (i = 0; i < n / 2; i++) {
		char t = dec[i];

		dec[i] = dec[n - 1 - i];
		dec[n - 1 - i] = t;
	}
	dec[n] = '\0';
	return str_fmt(out, outsz, "%s.%s", root, dec) < 0 ? -1 : 0;
}

static int
oid_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "0123456789.") == n &&
	    s[0] != '.' && s[n - 1] != '.' && strstr(s, "..") == NULL;
}

/* The repository endpoint: --url as given, else the node's registry URL
 * with /xds/registry replaced by /xds/repository. */
static void
repo_url(const struct ctl *ctl, char *out, size_t outsz)
{
	const char *tail = "/xds/registry";
	size_t n = strlen(ctl->url), t = strlen(tail);

	if (n > t && strcmp(ctl->url + n - t, tail) == 0)
		str_fmt(out, outsz, "%.*s/xds/repository", (int)(n - t),
		    ctl->url);
	else
		str_lcpy(out, ctl->url, outsz);
}

static void
json_str(const char *v)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- metadata ---------------------------------------------------- */

struct meta {
	char		 pid[256];
	char		 ss_uid[REPO_UID_SZ];
	char		 source_id[65];
	char		 language[32];
	struct rim_code	 cls, typ, fmt, conf, fac, pra, ctt;
};

/* The SOAP envelope around body (one element) for action. */
static int
envelope(struct buf *b, const char *url, const char *action,
    const char *body)
{
	char msgid[SOAP_UUID_LEN];

	if (soap_uuid(msgid, sizeof msgid) != 0)
		return -1;
	return buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<soap:Envelope xmlns:soap=\"" NS_SOAP12 "\" xmlns:wsa=\"" NS_WSA
	    "\"><soap:Header><wsa:Action soap:mustUnderstand=\"true\">") |
	    buf_add_xml(b, action) |
	    buf_addf(b, "</wsa:Action><wsa:MessageID>%s</wsa:MessageID>"
	    "<wsa:ReplyTo><wsa:Address>" WSA_ANONYMOUS "</wsa:Address>"
	    "</wsa:ReplyTo><wsa:To soap:mustUnderstand=\"true\">", msgid) |
	    buf_add_xml(b, url) |
	    buf_adds(b, "</wsa:To></soap:Header><soap:Body>") |
	    buf_adds(b, body) | buf_adds(b, "</soap:Body></soap:Envelope>\n");
}

static int
pnr_body(const struct meta *m, struct doc *d, size_t n, struct buf *b)
{
	char ss[SOAP_UUID_LEN], id[SOAP_UUID_LEN], now[16];
	time_t t = time(NULL);
	struct tm tm;
	size_t i;
	int rc;

	if (soap_uuid(ss, sizeof ss) != 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof now, "%Y%m%d%H%M%S", &tm) == 0)
		return -1;
	rc = buf_addf(b, "<xdsb:ProvideAndRegisterDocumentSetRequest "
	    "xmlns:xdsb=\"%s\"><lcm:SubmitObjectsRequest xmlns:lcm=\"%s\" "
	    "xmlns:rim=\"%s\"><rim:RegistryObjectList>", NS_XDSB, NS_LCM,
	    NS_RIM);
	for (i = 0; i < n; i++) {
		char size[32];

		str_fmt(size, sizeof size, "%lld", (long long)d[i].size);
		rc |= buf_addf(b, "<rim:ExtrinsicObject id=\"%s\" objectType="
		    "\"%s\" mimeType=\"", d[i].id, OT_DE_STABLE) |
		    buf_add_xml(b, d[i].mime) | buf_adds(b, "\">");
		rc |= rim_put_slot(b, SLOT_CREATIONTIME, now, NULL);
		rc |= rim_put_slot(b, SLOT_LANGUAGECODE, m->language, NULL);
		rc |= rim_put_slot(b, SLOT_SIZE, size, NULL);
		rc |= rim_put_slot(b, SLOT_SOURCEPATIENTID, m->pid, NULL);
		rc |= rim_put_name(b, d[i].title);
		rc |= rim_put_code(b, d[i].id, CS_DE_CLASSCODE, &m->cls);
		rc |= rim_put_code(b, d[i].id, CS_DE_CONFCODE, &m->conf);
		rc |= rim_put_code(b, d[i].id, CS_DE_FORMATCODE, &m->fmt);
		rc |= rim_put_code(b, d[i].id, CS_DE_HCFTCODE, &m->fac);
		rc |= rim_put_code(b, d[i].id, CS_DE_PRACTICECODE, &m->pra);
		rc |= rim_put_code(b, d[i].id, CS_DE_TYPECODE, &m->typ);
		rc |= rim_put_extid(b, d[i].id, EI_DE_PATIENTID, m->pid,
		    EIN_DE_PATIENTID);
		rc |= rim_put_extid(b, d[i].id, EI_DE_UNIQUEID, d[i].uid,
		    EIN_DE_UNIQUEID);
		rc |= buf_adds(b, "</rim:ExtrinsicObject>");
	}
	rc |= buf_addf(b, "<rim:RegistryPackage id=\"%s\">", ss);
	rc |= rim_put_slot(b, SLOT_SUBMISSIONTIME, now, NULL);
	rc |= rim_put_name(b, "xdsctl submit");
	rc |= rim_put_code(b, ss, CS_SS_CONTENTTYPE, &m->ctt);
	rc |= rim_put_extid(b, ss, EI_SS_UNIQUEID, m->ss_uid, EIN_SS_UNIQUEID);
	rc |= rim_put_extid(b, ss, EI_SS_SOURCEID, m->source_id, EIN_SS_SOURCEID);
	rc |= rim_put_extid(b, ss, EI_SS_PATIENTID, m->pid, EIN_SS_PATIENTID);
	rc |= buf_adds(b, "</rim:RegistryPackage>");
	if (soap_uuid(id, sizeof id) != 0)
		return -1;
	rc |= buf_addf(b, "<rim:Classification id=\"%s\" classifiedObject=\"%s\""
	    " classificationNode=\"%s\"/>", id, ss, NODE_SUBMISSIONSET);
	for (i = 0; i < n; i++) {
		if (soap_uuid(id, sizeof id) != 0)
			return -1;
		rc |= buf_addf(b, "<rim:Association id=\"%s\" associationType="
		    "\"%s\" sourceObject=\"%s\" targetObject=\"%s\">", id,
		    AT_HASMEMBER, ss, d[i].id);
		rc |= rim_put_slot(b, SLOT_SSSTATUS, SSSTATUS_ORIGINAL, NULL);
		rc |= buf_adds(b, "</rim:Association>");
	}
	rc |= buf_adds(b, "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>");
	for (i = 0; i < n; i++)
		rc |= buf_addf(b, "<xdsb:Document id=\"%s\"><xop:Include "
		    "xmlns:xop=\"%s\" href=\"cid:%s\"/></xdsb:Document>",
		    d[i].id, NS_XOP, d[i].cid);
	rc |= buf_adds(b, "</xdsb:ProvideAndRegisterDocumentSetRequest>");
	return rc == 0 ? 0 : -1;
}

/* ---- transfer ------------------------------------------------------ */

static void
progress_bar(struct xfer *x, curl_off_t done, curl_off_t total)
{
	double t = now_s(), pct;
	char bar[31];
	int i, fill;

	if (!x->tty || total <= 0 || t - x->last < 0.1)
		return;
	x->last = t;
	pct = (double)done * 100.0 / (double)total;
	fill = (int)(pct * 30 / 100);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	x->drawn = 1;
	fprintf(stderr, "\r[%s] %5.1f%% %9.1f/%.1f MB", bar, pct,
	    (double)done / 1048576.0, (double)total / 1048576.0);
	if (x->ndocs > 0)
		fprintf(stderr, "  file %zu/%zu", x->cur + 1 > x->ndocs ?
		    x->ndocs : x->cur + 1, x->ndocs);
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;

	if (x->ndocs > 0)
		progress_bar(x, ulnow, ultotal);
	else
		progress_bar(x, dlnow, dltotal);
	return 0;
}

/* curl's read callback of one document part: the file, hashed. */
static size_t
doc_read(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct doc *d = arg;
	size_t n, want = sz * nmemb;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (d->fp == NULL) {
		if ((d->fp = fopen(d->path, "rb")) == NULL ||
		    (d->md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(d->md, EVP_sha1(), NULL) != 1) {
			d->failed = errno ? errno : ENOMEM;
			return CURL_READFUNC_ABORT;
		}
		d->xfer->cur = d->index;
	}
	if ((off_t)want > d->size - d->sent)
		want = (size_t)(d->size - d->sent);
	n = want > 0 ? fread(p, 1, want, d->fp) : 0;
	if (n < want) {		/* shrunk or unreadable while sending */
		d->failed = ferror(d->fp) ? EIO : ERANGE;
		return CURL_READFUNC_ABORT;
	}
	if (n > 0 && EVP_DigestUpdate(d->md, p, n) != 1)
		return CURL_READFUNC_ABORT;
	d->sent += (off_t)n;
	if (d->sent == d->size && d->sha1[0] == '\0') {
		if (EVP_DigestFinal_ex(d->md, md, &mdlen) != 1)
			return CURL_READFUNC_ABORT;
		str_hex(md, mdlen, d->sha1);
	}
	return n;
}

/* Rewinds (a redirect, an auth retry) start the hash again. */
static int
doc_seek(void *arg, curl_off_t off, int origin)
{
	struct doc *d = arg;

	if (off != 0 || origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	if (d->fp != NULL) {
		fclose(d->fp);
		d->fp = NULL;
	}
	EVP_MD_CTX_free(d->md);
	d->md = NULL;
	d->sent = 0;
	d->sha1[0] = '\0';
	return CURL_SEEKFUNC_OK;
}

/* curl's write callback: an MTOM answer goes through the reader (its
 * parts spooled to x->spool), anything else into x->answer. */
static size_t
on_answer(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nmemb;
	char *ct = NULL;
	struct mtom_limits lim = { REPO_MAX_ANSWER, REPO_MAX_PART, 0, 0 };

	if (x->rd == NULL && x->answer.b_len == 0 && !x->rd_failed) {
		curl_easy_getinfo(x->curl, CURLINFO_CONTENT_TYPE, &ct);
		if (ct != NULL && strncasecmp(ct, CT_MULTIPART_RELATED,
		    strlen(CT_MULTIPART_RELATED)) == 0) {
			if (mtom_reader_new(&x->rd, ct, x->spool, &lim, x->err,
			    sizeof x->err) != MTOM_OK) {
				x->rd_failed = 1;
				return 0;
			}
		}
	}
	if (x->rd != NULL) {
		if (mtom_reader_feed(x->rd, p, n, x->err, sizeof x->err) !=
		    MTOM_OK) {
			x->rd_failed = 1;
			return 0;
		}
		return n;
	}
	if (buf_add(&x->answer, p, n) != BUF_OK) {
		str_fmt(x->err, sizeof x->err, "answer over %zu bytes (the "
		    "limit of a SOAP answer; documents inline as base64 are "
		    "limited by it, MTOM/XOP parts are not)", REPO_MAX_ANSWER);
		return 0;
	}
	return n;
}

/*
 * POST an MTOM request: the root envelope and the documents d[0..n) as
 * parts.  The answer ends up in msg (its root; attachments spooled to
 * spool).  Returns 0 with *status set, or -1 (message printed).
 */
static int
post_mtom(struct ctl *ctl, const char *url, const char *action,
    const struct buf *env, struct doc *d, size_t n, const char *spool,
    struct mtom_message *msg, long *status)
{
	CURL *c = NULL;
	curl_mime *mime = NULL;
	curl_mimepart *part;
	struct curl_slist *hdr = NULL, *ph;
	struct xfer x;
	char line[1024], cerr[CURL_ERROR_SIZE] = "";
	size_t i;
	CURLcode cc;
	int rc = -1;

	memset(&x, 0, sizeof x);
	buf_init(&x.answer, REPO_MAX_ANSWER);
	x.tty = isatty(STDERR_FILENO) && !ctl->json;
	x.ndocs = n;
	x.spool = spool;
	if ((c = curl_easy_init()) == NULL || (mime = curl_mime_init(c)) == NULL) {
		fprintf(stderr, "xdsctl: curl: out of memory\n");
		goto out;
	}
	x.curl = c;
	/* the root part */
	part = curl_mime_addpart(mime);
	str_fmt(line, sizeof line, "Content-ID: <%s>", REPO_ROOT_CID);
	ph = curl_slist_append(NULL, line);
	ph = curl_slist_append(ph, "Content-Transfer-Encoding: binary");
	str_fmt(line, sizeof line, "%s; charset=UTF-8; type=\"%s\"", CT_XOP,
	    CT_SOAP12);
	if (part == NULL || ph == NULL ||
	    curl_mime_data(part, env->b_data, env->b_len) != CURLE_OK ||
	    curl_mime_type(part, line) != CURLE_OK ||
	    curl_mime_headers(part, ph, 1) != CURLE_OK) {
		curl_slist_free_all(ph);
		fprintf(stderr, "xdsctl: curl: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		part = curl_mime_addpart(mime);
		str_fmt(line, sizeof line, "Content-ID: <%s>", d[i].cid);
		ph = curl_slist_append(NULL, line);
		ph = curl_slist_append(ph, "Content-Transfer-Encoding: binary");
		if (part == NULL || ph == NULL ||
		    curl_mime_data_cb(part, (curl_off_t)d[i].size, doc_read,
		    doc_seek, NULL, &d[i]) != CURLE_OK ||
		    curl_mime_type(part, d[i].mime) != CURLE_OK ||
		    curl_mime_headers(part, ph, 1) != CURLE_OK) {
			curl_slist_free_all(ph);
			fprintf(stderr, "xdsctl: curl: out of memory\n");
			goto out;
		}
		d[i].xfer = &x;
	}
	str_fmt(line, sizeof line, "Content-Type: %s; type=\"%s\"; "
	    "start=\"<%s>\"; start-info=\"%s\"; action=\"%s\"",
	    CT_MULTIPART_RELATED, CT_XOP, REPO_ROOT_CID, CT_SOAP12, action);
	hdr = curl_slist_append(hdr, line);
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, x.tty ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 300L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "xdsctl/" PACKAGE_VERSION);
	if (ctl->tls.cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, ctl->tls.cert);
	if (ctl->tls.key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, ctl->tls.key);
	if (ctl->tls.ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ctl->tls.ca);
	cc = curl_easy_perform(c);
	if (x.drawn)
		fputc('\n', stderr);
	for (i = 0; i < n; i++)
		if (d[i].failed) {
			fprintf(stderr, "xdsctl: %s: %s\n", d[i].path,
			    d[i].failed == ERANGE ? "changed size while "
			    "being sent" : strerror(d[i].failed));
			goto out;
		}
	if (cc != CURLE_OK) {
		fprintf(stderr, "xdsctl: %s: %s%s%s\n", url, x.err[0] ? x.err :
		    "", x.err[0] ? ": " : "", cerr[0] ? cerr :
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (x.rd != NULL) {
		if (mtom_reader_finish(x.rd, msg, x.err, sizeof x.err) !=
		    MTOM_OK) {
			fprintf(stderr, "xdsctl: %s: bad MTOM answer: %s\n", url,
			    x.err);
			goto out;
		}
	} else {
		/* a plain SOAP answer (faults): the root alone */
		memset(msg, 0, sizeof *msg);
		buf_init(&msg->root, REPO_MAX_ANSWER + 1);
		if (buf_add(&msg->root, x.answer.b_data, x.answer.b_len) !=
		    BUF_OK) {
			fprintf(stderr, "xdsctl: out of memory\n");
			goto out;
		}
	}
	rc = 0;
out:
	mtom_reader_free(x.rd);
	buf_free(&x.answer);
	curl_slist_free_all(hdr);
	curl_mime_free(mime);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}

/* ---- answers ------------------------------------------------------- */

/* The answer's XML; NULL after printing why (a SOAP fault included). */
static xmlDoc *
answer_doc(struct ctl *ctl, const char *url, long status,
    const struct mtom_message *msg)
{
	char err[512], reason[1024] = "";
	xmlDoc *doc;
	xmlNode *fault, *t;

	if (ctl->verbose)
		fprintf(stderr, "HTTP %ld, %zu bytes\n%s\n", status,
		    msg->root.b_len, buf_str((struct buf *)&msg->root));
	if ((doc = xml_parse(msg->root.b_data, msg->root.b_len, err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "xdsctl: %s answered HTTP %ld with no SOAP: %s\n",
		    url, status, err);
		return NULL;
	}
	if ((fault = ctl_find_elem(xmlDocGetRootElement(doc), NS_SOAP12,
	    "Fault")) != NULL) {
		if ((t = ctl_find_elem(fault, NS_SOAP12, "Text")) != NULL)
			xml_text(t, reason, sizeof reason);
		fprintf(stderr, "xdsctl: SOAP fault (HTTP %ld): %s\n", status,
		    reason);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* Print the RegistryErrorList of rr (stderr, or a JSON array); returns
 * the number of errors (warnings not counted). */
static int
print_errors(struct ctl *ctl, xmlNode *rr)
{
	xmlNode *list = rr ? ctl_find_elem(rr, NS_RS, "RegistryErrorList") :
	    NULL;
	xmlNode *e;
	int nerr = 0, first = 1;

	if (ctl->json)
		printf(",\"errors\":[");
	for (e = list ? xml_first_elem(list) : NULL; e != NULL;
	    e = xml_next_elem(e)) {
		const char *sev = xml_attr(e, "severity");
		const char *code = xml_attr(e, "errorCode");
		const char *cc = xml_attr(e, "codeContext");
		const char *loc = xml_attr(e, "location");
		int warn = sev && strcmp(sev, SEV_WARNING) == 0;

		nerr += !warn;
		if (ctl->json) {
			printf("%s{\"severity\":\"%s\",\"code\":", first ? "" :
			    ",", warn ? "warning" : "error");
			json_str(code ? code : "");
			printf(",\"context\":");
			json_str(cc ? cc : "");
			printf(",\"location\":");
			json_str(loc ? loc : "");
			putchar('}');
			first = 0;
		} else
			fprintf(stderr, "%s %s: %s%s%s\n", warn ? "warning" :
			    "error", code ? code : "?", cc ? cc : "",
			    loc ? " at " : "", loc ? loc : "");
	}
	if (ctl->json)
		putchar(']');
	return nerr;
}

/* ---- submit --patient ---------------------------------------------- */

static void
provide_usage(void)
{
	fprintf(stderr, "usage: xdsctl submit FILE... --patient BSN "
	    "[--title T]... [--mime TYPE]\n"
	    "           [--class C] [--type C] [--format C] "
	    "[--confidentiality C]\n"
	    "           [--facility C] [--practice C] [--content-type C] "
	    "[--language L]\n"
	    "  C is code^display^codingScheme, or a code in the scheme of the "
	    "[affinity] default\n");
}

int
ctl_provide(struct ctl *ctl, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "patient", required_argument, NULL, 'p' },
		{ "title", required_argument, NULL, 't' },
		{ "mime", required_argument, NULL, 'm' },
		{ "class", required_argument, NULL, 'C' },
		{ "type", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'F' },
		{ "confidentiality", required_argument, NULL, 'N' },
		{ "facility", required_argument, NULL, 'H' },
		{ "practice", required_argument, NULL, 'P' },
		{ "content-type", required_argument, NULL, 'S' },
		{ "language", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	const struct conf *cf = &ctl->conf;
	const char *cls = cf->affinity_class_code, *typ = cf->affinity_type_code;
	const char *fmt = cf->affinity_format_code;
	const char *cnf = cf->affinity_confidentiality_code;
	const char *fac = cf->affinity_facility_code;
	const char *pra = cf->affinity_practice_code;
	const char *ctt = cf->affinity_content_type_code;
	const char *patient = NULL, *mime = NULL, *titles[REPO_MAX_DOCS];
	struct meta m;
	struct doc *d = NULL;
	struct buf body, env;
	struct mtom_message msg;
	struct stat st;
	char url[1024];
	xmlDoc *doc = NULL;
	xmlNode *rr;
	const char *sst;
	size_t i, n = 0, ntitles = 0;
	long status = 0;
	int ch, nerr, rc = 1;

	memset(&m, 0, sizeof m);
	memset(&msg, 0, sizeof msg);
	buf_init(&body, REPO_MAX_META);
	buf_init(&env, REPO_MAX_META + 4096);
	optind = 0;		/* GNU: restart, permuting FILEs and flags */
	while ((ch = getopt_long(argc + 1, argv - 1, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': patient = optarg; break;
		case 't':
			if (ntitles == REPO_MAX_DOCS) {
				fprintf(stderr, "xdsctl: more than %d titles\n",
				    REPO_MAX_DOCS);
				goto out;
			}
			titles[ntitles++] = optarg;
			break;
		case 'm': mime = optarg; break;
		case 'C': cls = optarg; break;
		case 'T': typ = optarg; break;
		case 'F': fmt = optarg; break;
		case 'N': cnf = optarg; break;
		case 'H': fac = optarg; break;
		case 'P': pra = optarg; break;
		case 'S': ctt = optarg; break;
		case 'L':
			if (str_lcpy(m.language, optarg, sizeof m.language) >=
			    sizeof m.language)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	n = (size_t)(argc + 1 - optind);
	if (patient == NULL || n == 0)
		goto usage;
	if (n > REPO_MAX_DOCS) {
		fprintf(stderr, "xdsctl: more than %d files in one submission\n",
		    REPO_MAX_DOCS);
		goto out;
	}
	if (ntitles > n) {
		fprintf(stderr, "xdsctl: %zu titles for %zu files\n", ntitles, n);
		goto out;
	}
	if (mime != NULL && (strlen(mime) >= sizeof d->mime ||
	    strchr(mime, '/') == NULL || strpbrk(mime, "\r\n;\"") != NULL)) {
		fprintf(stderr, "xdsctl: --mime %s: not a type/subtype\n", mime);
		goto out;
	}
	if (ctl_patient_cx(patient, m.pid, sizeof m.pid) != 0 ||
	    code_parse(cls, cf->affinity_class_code, "class", &m.cls) != 0 ||
	    code_parse(typ, cf->affinity_type_code, "type", &m.typ) != 0 ||
	    code_parse(fmt, cf->affinity_format_code, "format", &m.fmt) != 0 ||
	    code_parse(cnf, cf->affinity_confidentiality_code,
	    "confidentiality", &m.conf) != 0 ||
	    code_parse(fac, cf->affinity_facility_code, "facility", &m.fac)
	    != 0 || code_parse(pra, cf->affinity_practice_code, "practice",
	    &m.pra) != 0 || code_parse(ctt, cf->affinity_content_type_code,
	    "content-type", &m.ctt) != 0)
		goto out;
	if (m.language[0] == '\0')
		str_lcpy(m.language, cf->affinity_language_code,
		    sizeof m.language);
	if (!oid_ok(cf->affinity_uid_root) || !oid_ok(cf->affinity_source_id)) {
		fprintf(stderr, "xdsctl: affinity.uid_root and "
		    "affinity.source_id must be OIDs\n");
		goto out;
	}
	str_lcpy(m.source_id, cf->affinity_source_id, sizeof m.source_id);
	if (new_uid(cf->affinity_uid_root, m.ss_uid, sizeof m.ss_uid) != 0) {
		fprintf(stderr, "xdsctl: cannot make a uniqueId\n");
		goto out;
	}
	if ((d = calloc(n, sizeof *d)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *base;

		d[i].path = argv[optind - 1 + i];
		d[i].index = i;
		if (stat(d[i].path, &st) != 0) {
			fprintf(stderr, "xdsctl: %s: %s\n", d[i].path,
			    strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "xdsctl: %s: not a regular file\n",
			    d[i].path);
			goto out;
		}
		d[i].size = st.st_size;
		base = strrchr(d[i].path, '/');
		d[i].title = i < ntitles ? titles[i] : base ? base + 1 :
		    d[i].path;
		str_lcpy(d[i].mime, mime ? mime : mime_of(d[i].path),
		    sizeof d[i].mime);
		if (new_uid(cf->affinity_uid_root, d[i].uid, sizeof d[i].uid)
		    != 0 || soap_uuid(d[i].id, sizeof d[i].id) != 0) {
			fprintf(stderr, "xdsctl: cannot make identifiers\n");
			goto out;
		}
		str_fmt(d[i].cid, sizeof d[i].cid, "doc%zu@xdsnode.xdsctl", i + 1);
	}
	repo_url(ctl, url, sizeof url);
	if (pnr_body(&m, d, n, &body) != 0 ||
	    envelope(&env, url, ACT_ITI41, buf_str(&body)) != 0) {
		fprintf(stderr, "xdsctl: metadata over %zu bytes\n", REPO_MAX_META);
		goto out;
	}
	if (post_mtom(ctl, url, ACT_ITI41, &env, d, n, getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp", &msg, &status)
	    != 0 || (doc = answer_doc(ctl, url, status, &msg)) == NULL)
		goto out;
	if ((rr = ctl_find_elem(xmlDocGetRootElement(doc), NS_RS,
	    "RegistryResponse")) == NULL) {
		fprintf(stderr, "xdsctl: no RegistryResponse in the answer\n");
		goto out;
	}
	sst = xml_attr(rr, "status");
	if (ctl->json) {
		printf("{\"status\":");
		json_str(ctl_short_status(sst));
		printf(",\"submissionSet\":\"%s\",\"patient\":", m.ss_uid);
		json_str(m.pid);
	}
	nerr = print_errors(ctl, rr);
	if (ctl->json) {
		printf(",\"documents\":[");
		for (i = 0; i < n; i++) {
			printf("%s{\"file\":", i ? "," : "");
			json_str(d[i].path);
			printf(",\"uniqueId\":\"%s\",\"mimeType\":", d[i].uid);
			json_str(d[i].mime);
			printf(",\"size\":%lld,\"hash\":\"%s\"}",
			    (long long)d[i].size, d[i].sha1);
		}
		printf("]}\n");
	} else {
		printf("%-30s %-46s %-24s %12s %s\n", "FILE", "UNIQUEID", "MIME",
		    "SIZE", "SHA1");
		for (i = 0; i < n; i++)
			printf("%-30s %-46s %-24s %12lld %s\n", d[i].path,
			    d[i].uid, d[i].mime, (long long)d[i].size,
			    d[i].sha1);
		printf("submission set %s: %s (%zu document%s)\n", m.ss_uid,
		    ctl_short_status(sst), n, n == 1 ? "" : "s");
	}
	rc = sst && strcmp(sst, ST_SUCCESS) == 0 && nerr == 0 ? 0 : 1;
	goto out;
usage:
	provide_usage();
	rc = 2;
out:
	if (d != NULL)
		for (i = 0; i < n; i++) {
			if (d[i].fp)
				fclose(d[i].fp);
			EVP_MD_CTX_free(d[i].md);
		}
	free(d);
	if (doc)
		xmlFreeDoc(doc);
	mtom_message_free(&msg);
	buf_free(&body);
	buf_free(&env);
	return rc;
}

/* ---- retrieve ------------------------------------------------------ */

/* A file name from a uniqueId: [A-Za-z0-9._-] kept, the rest '_'. */
static int
uid_filename(const char *dir, const char *uid, const char *mime, char *out,
    size_t outsz)
{
	char safe[160];
	size_t i, n = strlen(uid);

	if (n == 0 || n >= sizeof safe)
		return -1;
	for (i = 0; i < n; i++) {
		char c = uid[i];

		safe[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && i > 0) ? c : '_';
	}
	safe[n] = '\0';
	return str_fmt(out, outsz, "%s/%s.%s", dir, safe, ext_of(mime)) < 0 ?
	    -1 : 0;
}

/* Where decoded inline bytes go. */
struct inline_sink {
	struct spool	*sp;
	char		 err[256];
};

static int
inline_out(void *arg, const unsigned char *p, size_t n)
{
	struct inline_sink *k = arg;

	return spool_write(k->sp, p, n, k->err, sizeof k->err);
}

/*
 * The base64 text of the xdsb:Document el (an ITI-43 answer that carries
 * the document inline instead of as an xop:Include), decoded in bounded
 * chunks into a spool file in dir while its size and SHA-1 are computed.
 * 0 with *res (the caller owns res->path), or -1 with err and no file.
 */
static int
inline_decode(xmlNode *el, const char *dir, struct spool_result *res,
    char *err, size_t errlen)
{
	struct inline_sink k;
	struct b64dec st;
	xmlNode *t;
	const char *s;
	int rc;

	memset(&k, 0, sizeof k);
	memset(&st, 0, sizeof st);
	if (spool_open(&k.sp, dir, REPO_MAX_PART, err, errlen) != SPOOL_OK)
		return -1;
	for (t = el->children; t != NULL; t = t->next) {
		if (t->type != XML_TEXT_NODE && t->type != XML_CDATA_SECTION_NODE)
			continue;
		s = (const char *)t->content;
		if (s != NULL && (rc = b64dec_feed(&st, s, strlen(s),
		    inline_out, &k, err, errlen)) != SPOOL_OK)
			goto fail;
	}
	if ((rc = b64dec_final(&st, inline_out, &k, err, errlen)) != SPOOL_OK)
		goto fail;
	rc = spool_finish(k.sp, res, err, errlen);
	k.sp = NULL;
	return rc == SPOOL_OK ? 0 : -1;
fail:
	if (k.err[0] != '\0')	/* the spool's error, not the decoder's */
		str_lcpy(err, k.err, errlen);
	spool_abort(k.sp);
	return -1;
}

/* 1 when el has an element child or non-blank text: a document. */
static int
has_content(xmlNode *el)
{
	xmlNode *t;
	const unsigned char *s;

	for (t = el->children; t != NULL; t = t->next) {
		if (t->type == XML_ELEMENT_NODE)
			return 1;
		if (t->type != XML_TEXT_NODE && t->type != XML_CDATA_SECTION_NODE)
			continue;
		for (s = t->content; s != NULL && *s != '\0'; s++)
			if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
				return 1;
	}
	return 0;
}

int
ctl_retrieve(struct ctl *ctl, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "repository", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char *repo = ctl->conf.repository_unique_id, *dir = ".";
	struct buf body, env;
	struct mtom_message msg;
	struct stat st;
	char url[1024], path[2048], uid[256], mt[128], rid[256];
	xmlDoc *doc = NULL;
	xmlNode *resp, *rr, *dr, *n, *inc, *del;
	const char *sst;
	long status = 0;
	size_t i, nreq, got = 0;
	int ch, nerr, bad = 0, rc = 1, first = 1;

	memset(&msg, 0, sizeof msg);
	buf_init(&body, REPO_MAX_META);
	buf_init(&env, REPO_MAX_META + 4096);
	optind = 0;
	while ((ch = getopt_long(argc + 1, argv - 1, "o:", lo, NULL)) != -1) {
		switch (ch) {
		case 'r': repo = optarg; break;
		case 'o': dir = optarg; break;
		default: goto usage;
		}
	}
	nreq = (size_t)(argc + 1 - optind);
	if (nreq == 0)
		goto usage;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "xdsctl: -o %s: not a directory\n", dir);
		goto out;
	}
	if (buf_adds(&body, "<xdsb:RetrieveDocumentSetRequest xmlns:xdsb=\""
	    NS_XDSB "\">") != BUF_OK)
		goto toobig;
	for (i = 0; i < nreq; i++)
		if (buf_adds(&body, "<xdsb:DocumentRequest>"
		    "<xdsb:RepositoryUniqueId>") != BUF_OK ||
		    buf_add_xml(&body, repo) != BUF_OK ||
		    buf_adds(&body, "</xdsb:RepositoryUniqueId>"
		    "<xdsb:DocumentUniqueId>") != BUF_OK ||
		    buf_add_xml(&body, argv[optind - 1 + i]) != BUF_OK ||
		    buf_adds(&body, "</xdsb:DocumentUniqueId>"
		    "</xdsb:DocumentRequest>") != BUF_OK)
			goto toobig;
	repo_url(ctl, url, sizeof url);
	if (buf_adds(&body, "</xdsb:RetrieveDocumentSetRequest>") != BUF_OK ||
	    envelope(&env, url, ACT_ITI43, buf_str(&body)) != 0)
		goto toobig;
	if (post_mtom(ctl, url, ACT_ITI43, &env, NULL, 0, dir, &msg, &status)
	    != 0 || (doc = answer_doc(ctl, url, status, &msg)) == NULL)
		goto out;
	resp = ctl_find_elem(xmlDocGetRootElement(doc), NS_XDSB,
	    "RetrieveDocumentSetResponse");
	rr = resp ? ctl_find_elem(resp, NS_RS, "RegistryResponse") : NULL;
	if (rr == NULL) {
		fprintf(stderr, "xdsctl: no RetrieveDocumentSetResponse in the "
		    "answer\n");
		goto out;
	}
	sst = xml_attr(rr, "status");
	if (ctl->json) {
		printf("{\"status\":");
		json_str(ctl_short_status(sst));
	} else
		printf("%-46s %-24s %12s %s\n", "UNIQUEID", "MIME", "SIZE",
		    "FILE");
	if (ctl->json)
		printf(",\"documents\":[");
	for (dr = xml_first_elem(resp); dr != NULL; dr = xml_next_elem(dr)) {
		const struct mtom_attachment *a = NULL;
		struct spool_result res;
		const char *why = NULL;
		off_t size = 0;
		char sha1[41] = "", derr[256] = "";

		if (!xml_is(dr, NS_XDSB, "DocumentResponse"))
			continue;
		uid[0] = mt[0] = rid[0] = '\0';
		inc = del = NULL;
		for (n = xml_first_elem(dr); n != NULL; n = xml_next_elem(n)) {
			if (xml_is(n, NS_XDSB, "DocumentUniqueId"))
				xml_text(n, uid, sizeof uid);
			else if (xml_is(n, NS_XDSB, "mimeType"))
				xml_text(n, mt, sizeof mt);
			else if (xml_is(n, NS_XDSB, "RepositoryUniqueId"))
				xml_text(n, rid, sizeof rid);
			else if (xml_is(n, NS_XDSB, "Document")) {
				del = n;
				inc = ctl_find_elem(n->children, NS_XOP,
				    "Include");
			}
		}
		if (uid_filename(dir, uid, mt, path, sizeof path) != 0)
			why = "no usable uniqueId";
		else if (inc != NULL) {
			if (xml_attr(inc, "href") != NULL)
				a = mtom_find(msg.att, msg.natt,
				    xml_attr(inc, "href"));
			if (a == NULL)
				why = "its xop:Include names no attachment";
			else if (rename(a->path, path) != 0)
				why = strerror(errno);
			else {
				/* kept: not removed with the message */
				((struct mtom_attachment *)a)->path[0] = '\0';
				size = a->size;
				str_lcpy(sha1, a->sha1, sizeof sha1);
			}
		} else if (del != NULL && has_content(del)) {
			/* inline base64 */
			if (inline_decode(del, dir, &res, derr, sizeof derr) !=
			    0)
				why = derr;
			else if (rename(res.path, path) != 0) {
				why = strerror(errno);
				(void)unlink(res.path);
			} else {
				size = res.size;
				str_lcpy(sha1, res.sha1, sizeof sha1);
			}
		} else
			why = "no document (neither an xop:Include nor inline "
			    "base64)";
		if (why != NULL) {
			fprintf(stderr, "xdsctl: %s: %s\n", uid[0] ? uid : "?",
			    why);
			bad = 1;
			continue;
		}
		got++;
		if (ctl->json) {
			printf("%s{\"uniqueId\":", first ? "" : ",");
			json_str(uid);
			printf(",\"repositoryUniqueId\":");
			json_str(rid);
			printf(",\"mimeType\":");
			json_str(mt);
			printf(",\"size\":%lld,\"hash\":\"%s\",\"file\":",
			    (long long)size, sha1);
			json_str(path);
			putchar('}');
			first = 0;
		} else
			printf("%-46s %-24s %12lld %s\n", uid, mt,
			    (long long)size, path);
	}
	if (ctl->json)
		putchar(']');
	nerr = print_errors(ctl, rr);
	if (ctl->json)
		printf(",\"requested\":%zu,\"retrieved\":%zu}\n", nreq, got);
	else
		printf("%s: %zu of %zu retrieved\n", ctl_short_status(sst), got, nreq);
	rc = !bad && nerr == 0 && got == nreq && sst != NULL &&
	    strcmp(sst, ST_SUCCESS) == 0 ? 0 : 1;
	goto out;
toobig:
	fprintf(stderr, "xdsctl: request over %zu bytes\n", REPO_MAX_META);
	goto out;
usage:
	fprintf(stderr, "usage: xdsctl retrieve UNIQUEID... [--repository ID] "
	    "[-o DIR]\n");
	rc = 2;
out:
	if (doc)
		xmlFreeDoc(doc);
	mtom_message_free(&msg);	/* removes parts not renamed */
	buf_free(&body);
	buf_free(&env);
	return rc;
}
