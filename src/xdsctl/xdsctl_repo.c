/*
 * xdsctl_repo.c: the subcommands that speak to a Document Repository:
 *
 *	submit FILE... --patient BSN [flags]	ITI-41 of the files
 *	retrieve UNIQUEID... [--repository ID] [-o DIR] [--force]
 *							ITI-43 into DIR
 *
 * submit builds one SubmissionSet and one DocumentEntry per file from its
 * flags and the [affinity] defaults of the configuration, and sends the
 * files as MTOM parts streamed from disk by the SOAP client (soap_peer.h:
 * the SHA-1 of each file computed as it is sent, nothing of a document
 * held in memory).  retrieve has the MTOM answer's parts spooled into DIR
 * and renames each to its uniqueId; a document sent inline as base64 is
 * decoded from the answer.  Both print a summary table (or --json) and
 * exit 1 on any failure or partial success.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "clock.h"
#include "ebrim.h"
#include "fileio.h"
#include "hl7dt.h"
#include "mtom.h"
#include "soap.h"
#include "soap_peer.h"
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
#define REPO_UID_SZ	65			/* OID, 64 characters */

/* One document of a submission; its file is the call's attachment. */
struct doc {
	const char	*title;
	char		 uid[REPO_UID_SZ];
	char		 id[SOAP_UUID_LEN];	/* entryUUID */
};

/* The progress bar on stderr. */
struct bar {
	int		 tty;
	int		 drawn;		/* a bar is on the line */
	double		 last;		/* time of the last bar */
	size_t		 ndocs;		/* sending: files, else 0 */
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
int
ctl_new_uid(const char *root, char *out, size_t outsz)
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


/* ---- metadata ---------------------------------------------------- */

struct meta {
	char		 pid[256];
	char		 ss_uid[REPO_UID_SZ];
	char		 source_id[65];
	char		 language[32];
	char		 recipient[512];	/* intendedRecipient (XON), or "" */
	struct rim_code	 cls, typ, fmt, conf, fac, pra, ctt;
};

/* The SOAP envelope around body (one element) for action. */

static int
pnr_body(const struct meta *m, const struct doc *d,
    const struct mtom_attachment *att, size_t n, struct buf *b)
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

		str_fmt(size, sizeof size, "%lld", (long long)att[i].size);
		rc |= buf_addf(b, "<rim:ExtrinsicObject id=\"%s\" objectType="
		    "\"%s\" mimeType=\"", d[i].id, OT_DE_STABLE) |
		    buf_add_xml(b, att[i].content_type) | buf_adds(b, "\">");
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
	if (m->recipient[0] != '\0')	/* slots come first in ebRIM */
		rc |= rim_put_slot(b, SLOT_INTENDEDRECIPIENT, m->recipient, NULL);
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
		    d[i].id, NS_XOP, att[i].cid);
	rc |= buf_adds(b, "</xdsb:ProvideAndRegisterDocumentSetRequest>");
	return rc == 0 ? 0 : -1;
}


/* ---- transfer ------------------------------------------------------ */

static void
draw(struct bar *b, long long done, long long total, size_t cur)
{
	double t = clock_real_ms() / 1e3, pct;
	char line[31];
	int i, fill;

	if (!b->tty || total <= 0 || t - b->last < 0.1)
		return;
	b->last = t;
	pct = (double)done * 100.0 / (double)total;
	fill = (int)(pct * 30 / 100);
	for (i = 0; i < 30; i++)
		line[i] = i < fill ? '#' : '.';
	line[30] = '\0';
	b->drawn = 1;
	fprintf(stderr, "\r[%s] %5.1f%% %9.1f/%.1f MB", line, pct,
	    (double)done / 1048576.0, (double)total / 1048576.0);
	if (b->ndocs > 0)
		fprintf(stderr, "  file %zu/%zu", cur + 1 > b->ndocs ?
		    b->ndocs : cur + 1, b->ndocs);
}

static void
on_progress(void *arg, const struct soap_progress *p)
{
	struct bar *b = arg;

	if (b->ndocs > 0)
		draw(b, p->up_now, p->up_total, p->att);
	else
		draw(b, p->down_now, p->down_total, 0);
}

/* c (MTOM, body its request) to the repository, with a progress bar on
 * a terminal.  0 with the answer's body element, or -1 (printed); the
 * caller frees c. */
static int
repo_call(struct ctl *ctl, const char *to, struct soap_call *c,
    const struct buf *body, size_t ndocs)
{
	struct bar b;
	char url[1024];
	int rc;

	if (to != NULL)
		str_lcpy(url, to, sizeof url);
	else
		repo_url(ctl, url, sizeof url);
	c->req.body_xml = body->b_data;
	c->req.body_len = body->b_len;
	memset(&b, 0, sizeof b);
	b.tty = isatty(STDERR_FILENO) && !ctl->json;
	b.ndocs = ndocs;
	c->req.progress = on_progress;
	c->req.progress_arg = &b;
	rc = ctl_call(ctl, url, c);
	if (b.drawn)
		fputc('\n', stderr);
	return rc;
}

/* ---- answers ------------------------------------------------------- */

static int
print_errors(struct ctl *ctl, xmlNode *rr)
{
	xmlNode *list = rr ? xml_find(rr, NS_RS, "RegistryErrorList") :
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
			ctl_json_str(code ? code : "");
			printf(",\"context\":");
			ctl_json_str(cc ? cc : "");
			printf(",\"location\":");
			ctl_json_str(loc ? loc : "");
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

struct provide {
	const char	*patient, *mime;
	const char	*titles[REPO_MAX_DOCS];
	size_t		 ntitles;
	/* the codes of the flags; NULL: the [affinity] default */
	const char	*cls, *typ, *fmt, *cnf, *fac, *pra, *ctt;
	char		 language[32];
	char		**files;
	size_t		 n;
};

/* The flags and files; 0, 1 (printed) or 2 (usage). */
static int
provide_args(int argc, char **argv, struct provide *o)
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
	int ch;

	memset(o, 0, sizeof *o);	/* codes NULL: the [affinity] ones */
	optind = 0;		/* GNU: restart, permuting FILEs and flags */
	while ((ch = getopt_long(argc + 1, argv - 1, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': o->patient = optarg; break;
		case 't':
			if (o->ntitles == REPO_MAX_DOCS) {
				fprintf(stderr, "xdsctl: more than %d titles\n",
				    REPO_MAX_DOCS);
				return 1;
			}
			o->titles[o->ntitles++] = optarg;
			break;
		case 'm': o->mime = optarg; break;
		case 'C': o->cls = optarg; break;
		case 'T': o->typ = optarg; break;
		case 'F': o->fmt = optarg; break;
		case 'N': o->cnf = optarg; break;
		case 'H': o->fac = optarg; break;
		case 'P': o->pra = optarg; break;
		case 'S': o->ctt = optarg; break;
		case 'L':
			if (str_lcpy(o->language, optarg, sizeof o->language) >=
			    sizeof o->language)
				return 2;
			break;
		default:
			return 2;
		}
	}
	o->n = (size_t)(argc + 1 - optind);
	o->files = argv + optind - 1;
	return o->patient == NULL || o->n == 0 ? 2 : 0;
}

/* What the flags say, checked. */
static int
provide_check(const struct provide *o)
{
	if (o->n > REPO_MAX_DOCS) {
		fprintf(stderr, "xdsctl: more than %d files in one submission\n",
		    REPO_MAX_DOCS);
		return -1;
	}
	if (o->ntitles > o->n) {
		fprintf(stderr, "xdsctl: %zu titles for %zu files\n",
		    o->ntitles, o->n);
		return -1;
	}
	if (o->mime != NULL && (strlen(o->mime) >= sizeof(((struct
	    mtom_attachment *)0)->content_type) ||
	    strchr(o->mime, '/') == NULL ||
	    strpbrk(o->mime, "\r\n;\"") != NULL)) {
		fprintf(stderr, "xdsctl: --mime %s: not a type/subtype\n",
		    o->mime);
		return -1;
	}
	return 0;
}

/* The SubmissionSet's metadata: patient, codes, ids. */
static int
provide_meta(const struct ctl *ctl, const struct provide *o, struct meta *m)
{
	const struct conf *cf = &ctl->conf;
	const struct {
		const char	*spec, *dflt, *what;
		struct rim_code	*out;
	} codes[] = {
		{ o->cls, cf->affinity_class_code, "class", &m->cls },
		{ o->typ, cf->affinity_type_code, "type", &m->typ },
		{ o->fmt, cf->affinity_format_code, "format", &m->fmt },
		{ o->cnf, cf->affinity_confidentiality_code, "confidentiality",
		  &m->conf },
		{ o->fac, cf->affinity_facility_code, "facility", &m->fac },
		{ o->pra, cf->affinity_practice_code, "practice", &m->pra },
		{ o->ctt, cf->affinity_content_type_code, "content-type",
		  &m->ctt },
	};
	size_t i;

	memset(m, 0, sizeof *m);
	if (ctl_patient_cx(o->patient, m->pid, sizeof m->pid) != 0)
		return -1;
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (code_parse(codes[i].spec != NULL ? codes[i].spec :
		    codes[i].dflt, codes[i].dflt, codes[i].what,
		    codes[i].out) != 0)
			return -1;
	str_lcpy(m->language, o->language[0] != '\0' ? o->language :
	    cf->affinity_language_code, sizeof m->language);
	if (!oid_ok(cf->affinity_uid_root) || !oid_ok(cf->affinity_source_id)) {
		fprintf(stderr, "xdsctl: affinity.uid_root and "
		    "affinity.source_id must be OIDs\n");
		return -1;
	}
	str_lcpy(m->source_id, cf->affinity_source_id, sizeof m->source_id);
	if (ctl_new_uid(cf->affinity_uid_root, m->ss_uid,
	    sizeof m->ss_uid) != 0) {
		fprintf(stderr, "xdsctl: cannot make a uniqueId\n");
		return -1;
	}
	return 0;
}

/* Document i: its file (a regular one), title, type and identifiers. */
static int
provide_doc(const struct ctl *ctl, const struct provide *o, size_t i,
    struct doc *d, struct mtom_attachment *a)
{
	const char *path = o->files[i], *base;
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "xdsctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "xdsctl: %s: not a regular file\n", path);
		return -1;
	}
	if (str_lcpy(a->path, path, sizeof a->path) >= sizeof a->path) {
		fprintf(stderr, "xdsctl: %s: path too long\n", path);
		return -1;
	}
	a->size = st.st_size;
	base = strrchr(path, '/');
	d->title = i < o->ntitles ? o->titles[i] : base ? base + 1 : path;
	str_lcpy(a->content_type, o->mime ? o->mime : mime_of(path),
	    sizeof a->content_type);
	str_fmt(a->cid, sizeof a->cid, "doc%zu@xdsnode.xdsctl", i + 1);
	if (ctl_new_uid(ctl->conf.affinity_uid_root, d->uid,
	    sizeof d->uid) != 0 || soap_uuid(d->id, sizeof d->id) != 0) {
		fprintf(stderr, "xdsctl: cannot make identifiers\n");
		return -1;
	}
	return 0;
}

/* The summary: a table or JSON.  Exit status 0 only for a Success
 * without errors. */
static int
provide_report(struct ctl *ctl, const struct meta *m, const struct doc *d,
    const struct mtom_attachment *att, size_t n, xmlNode *rr)
{
	const char *sst = xml_attr(rr, "status");
	size_t i;
	int nerr;

	if (ctl->json) {
		printf("{\"status\":");
		ctl_json_str(ctl_short_status(sst));
		printf(",\"submissionSet\":\"%s\",\"patient\":", m->ss_uid);
		ctl_json_str(m->pid);
	}
	nerr = print_errors(ctl, rr);
	if (ctl->json) {
		printf(",\"documents\":[");
		for (i = 0; i < n; i++) {
			printf("%s{\"file\":", i ? "," : "");
			ctl_json_str(att[i].path);
			printf(",\"uniqueId\":\"%s\",\"mimeType\":", d[i].uid);
			ctl_json_str(att[i].content_type);
			printf(",\"size\":%lld,\"hash\":\"%s\"}",
			    (long long)att[i].size, att[i].sha1);
		}
		printf("]}\n");
	} else {
		printf("%-30s %-46s %-24s %12s %s\n", "FILE", "UNIQUEID", "MIME",
		    "SIZE", "SHA1");
		for (i = 0; i < n; i++)
			printf("%-30s %-46s %-24s %12lld %s\n", att[i].path,
			    d[i].uid, att[i].content_type,
			    (long long)att[i].size, att[i].sha1);
		printf("submission set %s: %s (%zu document%s)\n", m->ss_uid,
		    ctl_short_status(sst), n, n == 1 ? "" : "s");
	}
	return sst && strcmp(sst, ST_SUCCESS) == 0 && nerr == 0 ? 0 : 1;
}

int
ctl_provide(struct ctl *ctl, int argc, char **argv)
{
	return ctl_provide_at(ctl, argc, argv, NULL, NULL);
}

int
ctl_provide_at(struct ctl *ctl, int argc, char **argv, const char *to,
    const char *recipient)
{
	struct mtom_attachment *att = NULL;
	struct provide o;
	struct doc *d = NULL;
	struct meta m;
	struct soap_call c;
	struct buf body;
	size_t i;
	int rc;

	soap_call_init(&c, ACT_ITI41, PACK_MTOM);
	buf_init(&body, REPO_MAX_META);
	if ((rc = provide_args(argc, argv, &o)) != 0)
		goto out;
	rc = 1;
	if (provide_check(&o) != 0 || provide_meta(ctl, &o, &m) != 0)
		goto out;
	if (recipient != NULL && str_lcpy(m.recipient, recipient,
	    sizeof m.recipient) >= sizeof m.recipient) {
		fprintf(stderr, "xdsctl: intendedRecipient too long\n");
		goto out;
	}
	if ((d = calloc(o.n, sizeof *d)) == NULL ||
	    (att = calloc(o.n, sizeof *att)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	for (i = 0; i < o.n; i++)
		if (provide_doc(ctl, &o, i, &d[i], &att[i]) != 0)
			goto out;
	if (pnr_body(&m, d, att, o.n, &body) != 0) {
		fprintf(stderr, "xdsctl: metadata over %zu bytes\n",
		    REPO_MAX_META);
		goto out;
	}
	c.req.att = att;
	c.req.natt = o.n;
	if (repo_call(ctl, to, &c, &body, o.n) != 0)
		goto out;
	if (!xml_is(c.ans.body, NS_RS, "RegistryResponse")) {
		fprintf(stderr, "xdsctl: no RegistryResponse in the answer\n");
		goto out;
	}
	rc = provide_report(ctl, &m, d, att, o.n, c.ans.body);
out:
	if (rc == 2 && to == NULL)
		provide_usage();
	soap_call_free(&c);
	free(d);
	free(att);
	buf_free(&body);
	return rc;
}

/* ---- retrieve ------------------------------------------------------ */

/* ---- retrieve ------------------------------------------------------ */

/*
 * A file name from a uniqueId: [A-Za-z0-9._-] kept, the rest '_'.  When
 * that changed the uniqueId, the first 8 hex digits of its SHA-256 are
 * added, so that two uniqueIds that clean to the same name ("1.2^a/b",
 * "1.2^a_b") get two files.
 */
static int
uid_filename(const char *dir, const char *uid, const char *mime, char *out,
    size_t outsz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char safe[160], tag[10] = "";
	size_t i, n = strlen(uid);
	int changed = 0;

	if (n == 0 || n >= sizeof safe)
		return -1;
	for (i = 0; i < n; i++) {
		char c = uid[i];

		safe[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && i > 0) ? c : '_';
		changed |= safe[i] != c;
	}
	safe[n] = '\0';
	if (changed) {
		if (EVP_Digest(uid, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
		    mdlen < 4)
			return -1;
		tag[0] = '-';
		str_hex(md, 4, tag + 1);
	}
	return str_fmt(out, outsz, "%s/%s%s.%s", dir, safe, tag,
	    ext_of(mime)) < 0 ? -1 : 0;
}

/*
 * from to its name to: never over an existing file unless force (then
 * replaced, as rename does).  0, or -1 with errno (EEXIST: it exists).
 */
static int
place(const char *from, const char *to, int force)
{
	if (force)
		return rename(from, to);
	if (link(from, to) != 0)
		return -1;
	(void)unlink(from);
	return 0;
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
	if (spool_open(&k.sp, dir, REPO_MAX_PART, err, errlen) != XDS_OK)
		return -1;
	for (t = el->children; t != NULL; t = t->next) {
		if (t->type != XML_TEXT_NODE && t->type != XML_CDATA_SECTION_NODE)
			continue;
		s = (const char *)t->content;
		if (s != NULL && (rc = b64dec_feed(&st, s, strlen(s),
		    inline_out, &k, err, errlen)) != XDS_OK)
			goto fail;
	}
	if ((rc = b64dec_final(&st, inline_out, &k, err, errlen)) != XDS_OK)
		goto fail;
	rc = spool_finish(k.sp, res, err, errlen);
	k.sp = NULL;
	return rc == XDS_OK ? 0 : -1;
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

/* The RetrieveDocumentSetRequest for uids at repository repo. */
/* The DocumentRequests of uids in repository repo, wrapped in the element
 * open ... close (ITI-43's request, ITI-86's of the same type). */
static int
doc_requests(const char *open, const char *close, const char *repo,
    char **uids, size_t n, struct buf *b)
{
	size_t i;

	if (buf_adds(b, open) != XDS_OK)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_adds(b, "<xdsb:DocumentRequest>"
		    "<xdsb:RepositoryUniqueId>") != XDS_OK ||
		    buf_add_xml(b, repo) != XDS_OK ||
		    buf_adds(b, "</xdsb:RepositoryUniqueId>"
		    "<xdsb:DocumentUniqueId>") != XDS_OK ||
		    buf_add_xml(b, uids[i]) != XDS_OK ||
		    buf_adds(b, "</xdsb:DocumentUniqueId>"
		    "</xdsb:DocumentRequest>") != XDS_OK)
			return -1;
	return buf_adds(b, close) == XDS_OK ? 0 : -1;
}

/* One DocumentResponse, as it ended up on disk. */
struct got {
	char		 uid[256], mime[128], rid[256];
	char		 path[2048];
	char		 sha1[41];
	off_t		 size;
	char		 err[256];
};

/* The document of DocumentResponse dr into a file of dir named by its
 * uniqueId: the answer's part renamed (and kept), or the inline base64
 * decoded.  NULL, or why not. */
static const char *
retrieve_doc(struct soap_call *c, xmlNode *dr, const char *dir, int force,
    struct got *g)
{
	struct mtom_attachment *a = NULL;
	struct spool_result res;
	xmlNode *n, *inc = NULL, *del = NULL;
	const char *href;

	memset(g, 0, sizeof *g);
	for (n = xml_first_elem(dr); n != NULL; n = xml_next_elem(n)) {
		if (xml_is(n, NS_XDSB, "DocumentUniqueId"))
			xml_text(n, g->uid, sizeof g->uid);
		else if (xml_is(n, NS_XDSB, "mimeType"))
			xml_text(n, g->mime, sizeof g->mime);
		else if (xml_is(n, NS_XDSB, "RepositoryUniqueId"))
			xml_text(n, g->rid, sizeof g->rid);
		else if (xml_is(n, NS_XDSB, "Document")) {
			del = n;
			inc = xml_find(n->children, NS_XOP, "Include");
		}
	}
	if (uid_filename(dir, g->uid, g->mime, g->path, sizeof g->path) != 0)
		return "no usable uniqueId";
	if (inc != NULL) {
		if ((href = xml_attr(inc, "href")) != NULL)
			a = (struct mtom_attachment *)mtom_find(c->ans.att,
			    c->ans.natt, href);
		if (a == NULL)
			return "its xop:Include names no attachment";
		if (place(a->path, g->path, force) != 0)
			return errno == EEXIST ? "the file exists (--force "
			    "replaces it)" : strerror(errno);
		a->path[0] = '\0';	/* kept: not removed with the answer */
		g->size = a->size;
		str_lcpy(g->sha1, a->sha1, sizeof g->sha1);
		return NULL;
	}
	if (del == NULL || !has_content(del))
		return "no document (neither an xop:Include nor inline base64)";
	if (inline_decode(del, dir, &res, g->err, sizeof g->err) != 0)
		return g->err;
	if (place(res.path, g->path, force) != 0) {
		int e = errno;

		(void)unlink(res.path);
		return e == EEXIST ? "the file exists (--force replaces it)" :
		    strerror(e);
	}
	g->size = res.size;
	str_lcpy(g->sha1, res.sha1, sizeof g->sha1);
	return NULL;
}

static void
retrieve_print(const struct ctl *ctl, const struct got *g, int first)
{
	if (!ctl->json) {
		printf("%-46s %-24s %12lld %s\n", g->uid, g->mime,
		    (long long)g->size, g->path);
		return;
	}
	printf("%s{\"uniqueId\":", first ? "" : ",");
	ctl_json_str(g->uid);
	printf(",\"repositoryUniqueId\":");
	ctl_json_str(g->rid);
	printf(",\"mimeType\":");
	ctl_json_str(g->mime);
	printf(",\"size\":%lld,\"hash\":\"%s\",\"file\":", (long long)g->size,
	    g->sha1);
	ctl_json_str(g->path);
	putchar('}');
}

/* The answer's documents into dir and the summary; the exit status. */
static int
retrieve_report(struct ctl *ctl, struct soap_call *c, const char *dir,
    int force, size_t nreq)
{
	xmlNode *resp = c->ans.body, *rr, *dr;
	const char *sst, *why;
	struct got g;
	size_t got = 0;
	int nerr, bad = 0;

	if (!xml_is(resp, NS_XDSB, "RetrieveDocumentSetResponse") ||
	    (rr = xml_find(resp, NS_RS, "RegistryResponse")) == NULL) {
		fprintf(stderr, "xdsctl: no RetrieveDocumentSetResponse in the "
		    "answer\n");
		return 1;
	}
	sst = xml_attr(rr, "status");
	if (ctl->json) {
		printf("{\"status\":");
		ctl_json_str(ctl_short_status(sst));
		printf(",\"documents\":[");
	} else
		printf("%-46s %-24s %12s %s\n", "UNIQUEID", "MIME", "SIZE",
		    "FILE");
	for (dr = xml_first_elem(resp); dr != NULL; dr = xml_next_elem(dr)) {
		if (!xml_is(dr, NS_XDSB, "DocumentResponse"))
			continue;
		if ((why = retrieve_doc(c, dr, dir, force, &g)) != NULL) {
			fprintf(stderr, "xdsctl: %s: %s\n", g.uid[0] ? g.uid :
			    "?", why);
			bad = 1;
			continue;
		}
		retrieve_print(ctl, &g, got++ == 0);
	}
	if (ctl->json)
		putchar(']');
	nerr = print_errors(ctl, rr);
	if (ctl->json)
		printf(",\"requested\":%zu,\"retrieved\":%zu}\n", nreq, got);
	else
		printf("%s: %zu of %zu retrieved\n", ctl_short_status(sst), got,
		    nreq);
	return !bad && nerr == 0 && got == nreq && sst != NULL &&
	    strcmp(sst, ST_SUCCESS) == 0 ? 0 : 1;
}

int
ctl_retrieve(struct ctl *ctl, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "repository", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *repo = ctl->conf.repository_unique_id, *dir = ".";
	struct soap_call c;
	struct buf body;
	struct stat st;
	size_t nreq;
	char err[PATH_MAX + 64];
	int ch, force = 0, rc = 1;

	soap_call_init(&c, ACT_ITI43, PACK_MTOM);
	buf_init(&body, REPO_MAX_META);
	optind = 0;
	while ((ch = getopt_long(argc + 1, argv - 1, "o:", lo, NULL)) != -1) {
		switch (ch) {
		case 'r': repo = optarg; break;
		case 'o': dir = optarg; break;
		case 'f': force = 1; break;
		default: goto usage;
		}
	}
	if ((nreq = (size_t)(argc + 1 - optind)) == 0)
		goto usage;
	/* A directory that is not there is made, private: it is to hold
	 * patients' documents. */
	if (stat(dir, &st) != 0 && errno == ENOENT &&
	    fileio_mkdir_p(dir, 0700, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: -o %s: %s\n", dir, err);
		goto out;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "xdsctl: -o %s: not a directory\n", dir);
		goto out;
	}
	if (doc_requests("<xdsb:RetrieveDocumentSetRequest xmlns:xdsb=\""
	    NS_XDSB "\">", "</xdsb:RetrieveDocumentSetRequest>", repo,
	    argv + optind - 1, nreq, &body) != 0) {
		fprintf(stderr, "xdsctl: request over %zu bytes\n",
		    REPO_MAX_META);
		goto out;
	}
	c.req.bounds.max_answer = REPO_MAX_ANSWER;
	c.req.bounds.max_part = REPO_MAX_PART;
	c.req.bounds.spool_dir = dir;	/* parts are renamed, not copied */
	if (repo_call(ctl, NULL, &c, &body, 0) == 0)
		rc = retrieve_report(ctl, &c, dir, force, nreq);
	else if (c.ans.toobig)
		fprintf(stderr, "xdsctl: (the limit of a SOAP answer; "
		    "documents inline as base64 are limited by it, MTOM/XOP "
		    "parts are not)\n");
	goto out;
usage:
	fprintf(stderr, "usage: xdsctl retrieve UNIQUEID... [--repository ID] "
	    "[-o DIR] [--force]\n");
	rc = 2;
out:
	soap_call_free(&c);	/* removes the parts not renamed */
	buf_free(&body);
	return rc;
}

/* ---- remove-documents (ITI-86) ------------------------------------- */

int
ctl_remove_documents(struct ctl *ctl, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "repository", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *repo = ctl->conf.repository_unique_id, *st;
	struct soap_call c;
	struct buf body;
	size_t nreq;
	int ch, nerr, rc = 1;

	soap_call_init(&c, ACT_ITI86, PACK_SIMPLE);
	buf_init(&body, REPO_MAX_META);
	optind = 0;
	while ((ch = getopt_long(argc + 1, argv - 1, "", lo, NULL)) != -1) {
		if (ch != 'r')
			goto usage;
		repo = optarg;
	}
	if ((nreq = (size_t)(argc + 1 - optind)) == 0)
		goto usage;
	if (doc_requests("<rmd:RemoveDocumentsRequest xmlns:rmd=\"" NS_RMD
	    "\" xmlns:xdsb=\"" NS_XDSB "\">", "</rmd:RemoveDocumentsRequest>",
	    repo, argv + optind - 1, nreq, &body) != 0) {
		fprintf(stderr, "xdsctl: request over %zu bytes\n",
		    REPO_MAX_META);
		goto out;
	}
	c.req.bounds.max_answer = REPO_MAX_ANSWER;
	if (repo_call(ctl, NULL, &c, &body, 0) != 0)
		goto out;
	if (c.ans.body == NULL || !xml_is(c.ans.body, NS_RS,
	    "RegistryResponse")) {
		fprintf(stderr, "xdsctl: remove-documents: no RegistryResponse "
		    "in the answer\n");
		goto out;
	}
	st = xml_attr(c.ans.body, "status");
	if (ctl->json)
		printf("{\"status\":\"%s\"", ctl_short_status(st));
	nerr = print_errors(ctl, c.ans.body);
	if (ctl->json)
		printf("}\n");
	else
		printf("remove-documents: %s\n", ctl_short_status(st));
	rc = st != NULL && strcmp(st, ST_SUCCESS) == 0 && nerr == 0 ? 0 : 1;
	goto out;
usage:
	fprintf(stderr, "usage: xdsctl remove-documents UNIQUEID... "
	    "[--repository ID]\n");
	rc = 2;
out:
	soap_call_free(&c);
	buf_free(&body);
	return rc;
}
