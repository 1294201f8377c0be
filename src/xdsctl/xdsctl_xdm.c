/*
 * xdsctl_xdm.c: XDM packages (IHE ITI-32, Distribute Document Set on
 * Media), the export side and the dispatch:
 *
 *	xdm export --patient BSN (--study UID | --document UNIQUEID...)
 *	    -o FILE.zip
 *	xdm import FILE.zip|DIR --patient BSN	(xdsctl_xdm_import.c)
 *
 * export is a client of the node at --url: ITI-18 FindDocuments for the
 * patient's entries, ITI-43 for the documents (the MTOM parts spooled to a
 * private directory, their size and SHA-1 checked against the entries),
 * and for --study the KOS manifest's instances by RAD-69 as xdsctl image
 * import fetches them.  The ZIP (libzip) takes every document and instance
 * from its spool file when it is closed, so no document is ever held in
 * memory; it is written to FILE.zip.tmp, fsync'd and renamed.
 *
 * The layout is ITI TF-3 4.3.1's: README.TXT and INDEX.HTM at the root,
 * IHE_XDM/SUBSET01/METADATA.XML (the SubmitObjectsRequest whose
 * DocumentEntries name their files in the URI slot, with size and hash),
 * the documents beside it as DOCnnnnn.EXT (ISO 9660 names).  A study's
 * instances are PDI's (RAD TF-3 4.47): DICOM/Innnnnnn, file IDs of PS3.10,
 * and a DICOMDIR at the root that references each (xdsctl_xdm_dir.c), so
 * the same package is XDM and PDI media; README.TXT and INDEX.HTM serve
 * both.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <zip.h>

#include "buf.h"
#include "dcmshim.h"
#include "ebrim.h"
#include "fileio.h"
#include "hl7dt.h"
#include "mtom.h"
#include "soap.h"
#include "soap_peer.h"
#include "str.h"
#include "vocab.h"
#include "xdm.h"
#include "xdsctl.h"
#include "xml.h"

#define EXP_MAX_DOCS	XDM_MAX_DOCS
#define EXP_MAX_QUERY	((size_t)64 << 20)	/* ITI-18 answer */
#define EXP_MAX_ANSWER	((size_t)10000000)	/* ITI-43 root part */
#define EXP_MAX_PART	((off_t)1 << 40)	/* one document */
#define EXP_SUBSET	XDM_DIR "/SUBSET01/"
#define EXP_DICOM	"DICOM/"	/* the instances, PDI's */

struct exp_doc {
	struct rim_object *o;
	const char	*uid, *repo, *hash;
	long long	 size;
	char		 path[1024];	/* spooled document */
	char		 name[32];	/* DOCnnnnn.EXT */
};

struct exp {
	struct ctl	*ctl;
	char		 spool[256];
	char		 cx[64];
	struct rim_list	 l;
	struct exp_doc	*docs;
	size_t		 ndocs;
	struct soap_call retr;		/* ITI-43: its parts, the docs */
	struct imp	*study;		/* RAD-69: the instances */
};

void
ctl_xdm_usage(void)
{
	fprintf(stderr, "usage: xdsctl xdm export --patient BSN (--study UID |"
	    " --document UNIQUEID...) -o FILE.zip\n"
	    "       xdsctl xdm import FILE.zip|DIR --patient BSN [--store "
	    "AE@HOST:PORT]\n"
	    "              [--max-size BYTES] [--max-entries N] "
	    "[--max-ratio R]\n");
}

int
ctl_xdm_spool(char *out, size_t outsz)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (str_fmt(out, outsz, "%s/xdsctl-xdm.XXXXXX", tmp) < 0 ||
	    mkdtemp(out) == NULL) {
		fprintf(stderr, "xdsctl: spool directory in %s: %s\n", tmp,
		    strerror(errno));
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* ITI-18 FindDocuments (Approved) of the patient into e->l. */
static int
exp_find(struct exp *e)
{
	struct soap_call c;
	struct buf q;
	xmlNode *list;
	char err[512];
	int rc = -1;

	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	buf_init(&q, 64 * 1024);
	if (ctl_find_documents(&q, e->cx, NULL) != 0) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	c.req.body_xml = buf_str(&q);
	c.req.bounds.timeout = CTL_TIMEOUT;
	c.req.bounds.max_answer = EXP_MAX_QUERY;
	if (ctl_call(e->ctl, e->ctl->url, &c) != 0)
		goto out;
	if ((list = xml_find(c.ans.body, NS_RIM, "RegistryObjectList")) ==
	    NULL) {
		fprintf(stderr, "xdsctl: FindDocuments answered without a "
		    "RegistryObjectList\n");
		goto out;
	}
	if (rim_parse_list(list, &e->l, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: FindDocuments answer: %s\n", err);
		goto out;
	}
	rc = 0;
out:
	soap_call_free(&c);
	buf_free(&q);
	return rc;
}

/* The file name extension of a MIME type, in capitals (ISO 9660). */
static const char *
exp_ext(const char *mime)
{
	static const struct {
		const char *mime, *ext;
	} t[] = {
		{ "application/pdf", "PDF" }, { "text/xml", "XML" },
		{ "application/xml", "XML" }, { "text/plain", "TXT" },
		{ "text/html", "HTM" }, { "application/dicom", "DCM" },
		{ "image/jpeg", "JPG" }, { "image/png", "PNG" },
		{ "image/tiff", "TIF" }, { "text/rtf", "RTF" },
		{ "application/json", "JSN" },
	};
	size_t i;

	for (i = 0; mime != NULL && i < sizeof t / sizeof t[0]; i++)
		if (strcasecmp(mime, t[i].mime) == 0)
			return t[i].ext;
	return "BIN";
}

/* The entries asked for (uids, or the one naming study) into e->docs. */
static int
exp_select(struct exp *e, char **uids, size_t nuids, const char *study)
{
	size_t i, j;

	if ((e->docs = calloc(nuids ? nuids : 1, sizeof *e->docs)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		return -1;
	}
	for (i = 0; i < e->l.nobj; i++) {
		struct rim_object *o = &e->l.obj[i];
		const struct rim_extid *uid = rim_extid(o, EI_DE_UNIQUEID);
		struct exp_doc *d;
		const char *why;

		if (o->kind != RIM_EXTRINSIC_OBJECT || uid == NULL)
			continue;
		if (study != NULL) {
			if (!ctl_names_study(o, study) || e->ndocs == 1)
				continue;
		} else {
			for (j = 0; j < nuids; j++)
				if (strcmp(uids[j], uid->value) == 0)
					break;
			if (j == nuids)
				continue;
			for (j = 0; j < e->ndocs; j++)
				if (strcmp(e->docs[j].uid, uid->value) == 0)
					break;
			if (j < e->ndocs)
				continue;
		}
		d = &e->docs[e->ndocs++];
		d->o = o;
		d->uid = uid->value;
		d->repo = rim_slot1(o, SLOT_REPOSITORYUID);
		d->hash = rim_slot1(o, SLOT_HASH);
		if (d->repo == NULL)
			d->repo = e->ctl->conf.repository_unique_id;
		if (rim_slot1(o, SLOT_SIZE) == NULL || str_tonum(rim_slot1(o,
		    SLOT_SIZE), 0, INT64_MAX, &d->size, &why) != 0)
			d->size = -1;
		str_fmt(d->name, sizeof d->name, "DOC%05zu.%s", e->ndocs,
		    exp_ext(o->mime_type));
	}
	if (study != NULL && e->ndocs == 0) {
		fprintf(stderr, "xdsctl: no Approved manifest of study %s for "
		    "the patient\n", study);
		return -1;
	}
	for (j = 0; study == NULL && j < nuids; j++) {
		for (i = 0; i < e->ndocs; i++)
			if (strcmp(e->docs[i].uid, uids[j]) == 0)
				break;
		if (i == e->ndocs) {
			fprintf(stderr, "xdsctl: document %s: no Approved "
			    "entry of the patient with this uniqueId\n",
			    uids[j]);
			return -1;
		}
	}
	return 0;
}

/* ITI-43 for every selected document, each checked against its entry. */
static int
exp_retrieve(struct exp *e)
{
	struct buf b;
	xmlNode *dr, *n;
	char url[1024];
	size_t i, got = 0;
	int rc = -1;

	soap_call_init(&e->retr, ACT_ITI43, PACK_MTOM);
	buf_init(&b, (size_t)4 << 20);
	if (buf_adds(&b, "<xdsb:RetrieveDocumentSetRequest xmlns:xdsb=\""
	    NS_XDSB "\">") != XDS_OK)
		goto out;
	for (i = 0; i < e->ndocs; i++)
		if (buf_adds(&b, "<xdsb:DocumentRequest><xdsb:"
		    "RepositoryUniqueId>") | buf_add_xml(&b, e->docs[i].repo) |
		    buf_adds(&b, "</xdsb:RepositoryUniqueId><xdsb:"
		    "DocumentUniqueId>") | buf_add_xml(&b, e->docs[i].uid) |
		    buf_adds(&b, "</xdsb:DocumentUniqueId></xdsb:"
		    "DocumentRequest>"))
			goto out;
	if (buf_adds(&b, "</xdsb:RetrieveDocumentSetRequest>") != XDS_OK ||
	    ctl_node_url(e->ctl->url, "/xds/repository", url, sizeof url) !=
	    0) {
		fprintf(stderr, "xdsctl: request or URL too long\n");
		goto out;
	}
	e->retr.req.body_xml = buf_str(&b);
	e->retr.req.bounds.max_answer = EXP_MAX_ANSWER;
	e->retr.req.bounds.max_part = EXP_MAX_PART;
	e->retr.req.bounds.spool_dir = e->spool;
	if (ctl_call(e->ctl, url, &e->retr) != 0)
		goto out;
	for (dr = xml_first_elem(e->retr.ans.body); dr != NULL;
	    dr = xml_next_elem(dr)) {
		const struct mtom_attachment *a = NULL;
		struct exp_doc *d = NULL;
		char uid[256] = "";

		if (!xml_is(dr, NS_XDSB, "DocumentResponse"))
			continue;
		for (n = xml_first_elem(dr); n != NULL; n = xml_next_elem(n))
			if (xml_is(n, NS_XDSB, "DocumentUniqueId"))
				xml_text(n, uid, sizeof uid);
			else if (xml_is(n, NS_XDSB, "Document") && (n =
			    xml_find(n->children, NS_XOP, "Include")) != NULL) {
				a = mtom_find(e->retr.ans.att,
				    e->retr.ans.natt, xml_attr(n, "href"));
				n = n->parent;
			}
		for (i = 0; i < e->ndocs; i++)
			if (strcmp(e->docs[i].uid, uid) == 0)
				d = &e->docs[i];
		if (d == NULL || d->path[0] != '\0')
			continue;
		if (a == NULL) {
			fprintf(stderr, "xdsctl: document %s: not an MTOM/XOP "
			    "part in the answer\n", uid);
			goto out;
		}
		if ((d->size >= 0 && (long long)a->size != d->size) ||
		    (d->hash != NULL && strcasecmp(d->hash, a->sha1) != 0)) {
			fprintf(stderr, "xdsctl: document %s: size %lld and "
			    "SHA-1 %s retrieved, the entry says %lld and %s\n",
			    uid, (long long)a->size, a->sha1, d->size,
			    d->hash ? d->hash : "none");
			goto out;
		}
		str_lcpy(d->path, a->path, sizeof d->path);
		got++;
	}
	if (got != e->ndocs) {
		fprintf(stderr, "xdsctl: ITI-43 at %s: %zu of %zu documents "
		    "returned\n", url, got, e->ndocs);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* README.TXT and INDEX.HTM (ITI TF-3 4.3.1.2, 4.3.1.3). */
static int
exp_texts(const struct exp *e, size_t ninst, const char *profile,
    struct buf *readme, struct buf *index)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	size_t i;
	int rc;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		now[0] = '\0';
	rc = buf_addf(readme, "XDM package (IHE ITI-32, Distribute Document "
	    "Set on Media)\r\n\r\nMade by xdsctl %s (xdsnode) on %s\r\n"
	    "for source %s.\r\n\r\nContents:\r\n  INDEX.HTM      the "
	    "documents, for a web browser\r\n  " EXP_SUBSET "METADATA.XML\r\n"
	    "                 the XDS metadata (ebRIM SubmitObjectsRequest)"
	    "\r\n  " EXP_SUBSET "DOC*  %zu document%s\r\n", PACKAGE_VERSION,
	    now, e->ctl->conf.affinity_source_id, e->ndocs,
	    e->ndocs == 1 ? "" : "s");
	if (ninst > 0)
		rc |= buf_addf(readme, "  DICOMDIR       the DICOM directory "
		    "(PS3.10, IHE PDI; profile %s)\r\n  " EXP_DICOM "I*"
		    "       %zu DICOM instance%s of the study\r\n", profile,
		    ninst, ninst == 1 ? "" : "s");
	rc |= buf_adds(readme, "\r\nThe documents contain personal health "
	    "information: keep this medium\r\nsecure.\r\n");
	rc |= buf_adds(index, "<!DOCTYPE html>\n<html><head><meta charset="
	    "\"utf-8\"><title>XDM</title></head><body>\n<h1>Documents</h1>"
	    "\n<ul>\n");
	for (i = 0; i < e->ndocs; i++) {
		rc |= buf_addf(index, "<li><a href=\"" EXP_SUBSET "%s\">",
		    e->docs[i].name);
		rc |= buf_add_xml(index, e->docs[i].o->name ?
		    e->docs[i].o->name : e->docs[i].uid);
		rc |= buf_adds(index, "</a> (");
		rc |= buf_add_xml(index, e->docs[i].o->mime_type ?
		    e->docs[i].o->mime_type : "?");
		rc |= buf_adds(index, ")</li>\n");
	}
	rc |= buf_adds(index, "</ul>\n");
	if (ninst > 0)
		rc |= buf_addf(index, "<p>%zu DICOM instance%s in <a href=\""
		    EXP_DICOM "\">" EXP_DICOM "</a>, listed by the DICOMDIR "
		    "for a DICOM viewer.</p>\n", ninst, ninst == 1 ? "" : "s");
	rc |= buf_adds(index, "<p><a href=\"" EXP_SUBSET "METADATA.XML\">"
	    "Metadata</a></p>\n</body></html>\n");
	return rc == XDS_OK ? 0 : -1;
}

/* name from a buffer (kept until zip_close) or a file into za. */
static int
zadd(zip_t *za, const char *name, const struct buf *b, const char *path)
{
	zip_source_t *src;

	src = b != NULL ? zip_source_buffer(za, b->b_data, b->b_len, 0) :
	    zip_source_file(za, path, 0, -1);
	if (src == NULL)
		goto fail;
	if (zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(src);
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "xdsctl: zip: %s: %s\n", name, zip_strerror(za));
	return -1;
}

/* The package into out: written as out.tmp, fsync'd, renamed. */
static int
exp_write(struct exp *e, const char *out)
{
	struct rim_object **objs = NULL;
	const char **uris = NULL, **ipaths = NULL, **ids = NULL;
	char (*inames)[24] = NULL, dd[1200], profile[32] = "";
	struct rim_code ct;
	struct xdm_ss ss;
	struct buf meta, readme, index;
	char tmp[1100] = "", dir[1100], name[64], ssuid[DCMSHIM_UI_SZ];
	char now[16], err[512];
	zip_t *za = NULL;
	size_t i, ninst = e->study ? ctl_study_count(e->study) : 0;
	time_t t = time(NULL);
	struct tm tm;
	int zerr, rc = -1;
	char *slash;

	buf_init(&meta, (size_t)64 << 20);
	buf_init(&readme, 64 * 1024);
	buf_init(&index, (size_t)4 << 20);
	if (rim_code_parse(e->ctl->conf.affinity_content_type_code, &ct) !=
	    0) {
		fprintf(stderr, "xdsctl: affinity.content_type_code is not "
		    "code^display^codingScheme\n");
		goto out;
	}
	if (dcmshim_uid_new(e->ctl->conf.affinity_uid_root, ssuid,
	    sizeof ssuid, err, sizeof err) != XDS_OK ||
	    gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof now, "%Y%m%d%H%M%S", &tm) == 0) {
		fprintf(stderr, "xdsctl: cannot make a uniqueId\n");
		goto out;
	}
	memset(&ss, 0, sizeof ss);
	ss.unique_id = ssuid;
	ss.source_id = e->ctl->conf.affinity_source_id;
	ss.patient = e->cx;
	ss.time = now;
	ss.title = "xdsctl xdm export";
	ss.content_type = &ct;
	if ((objs = calloc(e->ndocs, sizeof *objs)) == NULL ||
	    (uris = calloc(e->ndocs, sizeof *uris)) == NULL ||
	    (inames = calloc(ninst + 1, sizeof *inames)) == NULL ||
	    (ids = calloc(ninst + 1, sizeof *ids)) == NULL ||
	    (ipaths = calloc(ninst + 1, sizeof *ipaths)) == NULL)
		goto nomem;
	for (i = 0; i < ninst; i++) {
		str_fmt(inames[i], sizeof inames[0], EXP_DICOM "I%07zu", i + 1);
		ids[i] = inames[i];
		ipaths[i] = ctl_study_path(e->study, i);
	}
	if (ninst > 0 && ctl_xdm_dicomdir(e->spool, ipaths, ids, ninst, dd,
	    sizeof dd, profile, sizeof profile) != 0)
		goto out;
	for (i = 0; i < e->ndocs; i++) {
		objs[i] = e->docs[i].o;
		uris[i] = e->docs[i].name;
	}
	if (xdm_meta_write(&e->l, objs, uris, e->ndocs, &ss, &meta) !=
	    XDS_OK || exp_texts(e, ninst, profile, &readme, &index) != 0)
		goto nomem;
	if (str_fmt(tmp, sizeof tmp, "%s.tmp", out) < 0 ||
	    str_lcpy(dir, out, sizeof dir) >= sizeof dir) {
		tmp[0] = '\0';
		fprintf(stderr, "xdsctl: -o %s: path too long\n", out);
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		str_lcpy(dir, ".", sizeof dir);
	(void)unlink(tmp);
	if ((za = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &zerr)) == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		fprintf(stderr, "xdsctl: %s: %s\n", tmp,
		    zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto out;
	}
	if (zadd(za, "README.TXT", &readme, NULL) != 0 ||
	    zadd(za, "INDEX.HTM", &index, NULL) != 0 ||
	    zadd(za, EXP_SUBSET XDM_METADATA, &meta, NULL) != 0)
		goto out;
	for (i = 0; i < e->ndocs; i++) {
		str_fmt(name, sizeof name, EXP_SUBSET "%s", e->docs[i].name);
		if (zadd(za, name, NULL, e->docs[i].path) != 0)
			goto out;
	}
	if (ninst > 0 && zadd(za, "DICOMDIR", NULL, dd) != 0)
		goto out;
	for (i = 0; i < ninst; i++)
		if (zadd(za, ids[i], NULL, ipaths[i]) != 0)
			goto out;
	/* libzip reads the sources and writes the archive now */
	if (zip_close(za) != 0) {
		fprintf(stderr, "xdsctl: %s: %s\n", tmp, zip_strerror(za));
		goto out;
	}
	za = NULL;
	if (fileio_fsync(tmp, err, sizeof err) != XDS_OK ||
	    rename(tmp, out) != 0 ||
	    fileio_fsync_dir(dir, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: %s: %s\n", out, err[0] ? err :
		    strerror(errno));
		goto out;
	}
	if (e->ctl->json) {
		printf("{\"file\":");
		ctl_json_str(out);
		printf(",\"submissionSet\":\"%s\",\"documents\":%zu,"
		    "\"instances\":%zu,\"dicomdir\":", ssuid, e->ndocs,
		    ninst);
		if (ninst > 0)
			printf("\"%s\"}\n", profile);
		else
			printf("null}\n");
	} else
		printf("%s: XDM package, submission set %s, %zu document%s, "
		    "%zu DICOM instance%s%s%s\n", out, ssuid, e->ndocs,
		    e->ndocs == 1 ? "" : "s", ninst, ninst == 1 ? "" : "s",
		    ninst > 0 ? " and a DICOMDIR, " : "", ninst > 0 ? profile :
		    "");
	rc = 0;
	goto out;
nomem:
	fprintf(stderr, "xdsctl: out of memory (metadata)\n");
out:
	if (za != NULL)
		zip_discard(za);
	if (rc != 0 && tmp[0] != '\0')
		(void)unlink(tmp);
	ctl_xdm_dicomdir_rm(e->spool);
	free(objs);
	free(uris);
	free(inames);
	free(ids);
	free(ipaths);
	buf_free(&meta);
	buf_free(&readme);
	buf_free(&index);
	return rc;
}

static int
xdm_export(struct ctl *ctl, int argc, char **argv)
{
	struct exp e;
	char **uids = NULL;
	const char *bsn = NULL, *study = NULL, *out = NULL;
	size_t nuids = 0, i;
	int rc = 2;

	memset(&e, 0, sizeof e);
	rim_list_init(&e.l);
	if ((uids = calloc((size_t)argc + 1, sizeof *uids)) == NULL)
		return 1;
	for (i = 0; i < (size_t)argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--patient") == 0 && i + 1 < (size_t)argc)
			bsn = argv[++i];
		else if (strcmp(a, "--study") == 0 && i + 1 < (size_t)argc)
			study = argv[++i];
		else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
		    && i + 1 < (size_t)argc)
			out = argv[++i];
		else if (strcmp(a, "--document") == 0 && i + 1 < (size_t)argc)
			uids[nuids++] = argv[++i];
		else if (a[0] != '-' && nuids > 0)
			uids[nuids++] = argv[i];
		else
			goto usage;
	}
	if (bsn == NULL || out == NULL || (study == NULL) == (nuids == 0))
		goto usage;
	if (nuids > EXP_MAX_DOCS) {
		fprintf(stderr, "xdsctl: more than %d documents\n",
		    EXP_MAX_DOCS);
		goto usage;
	}
	if (study != NULL && !dcmshim_uid_valid(study)) {
		fprintf(stderr, "xdsctl: \"%.80s\" is not a UID\n", study);
		goto usage;
	}
	if (strchr(bsn, '^') != NULL || ctl_patient_cx(bsn, e.cx,
	    sizeof e.cx) != 0) {
		fprintf(stderr, "xdsctl: --patient: a BSN\n");
		goto usage;
	}
	rc = 1;
	e.ctl = ctl;
	if (ctl_xdm_spool(e.spool, sizeof e.spool) != 0 || exp_find(&e) != 0 ||
	    exp_select(&e, uids, nuids, study) != 0 || exp_retrieve(&e) != 0)
		goto out;
	if (study != NULL && ctl_study_fetch(ctl, e.docs[0].path, e.spool,
	    &e.study) != 0)
		goto out;
	rc = exp_write(&e, out) == 0 ? 0 : 1;
	goto out;
usage:
	ctl_xdm_usage();
out:
	ctl_study_free(e.study);
	soap_call_free(&e.retr);
	if (e.spool[0] != '\0' && rmdir(e.spool) != 0)
		fprintf(stderr, "xdsctl: spool %s: %s\n", e.spool,
		    strerror(errno));
	rim_list_free(&e.l);
	free(e.docs);
	free(uids);
	return rc;
}

int
ctl_xdm(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "export") == 0)
		return xdm_export(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return ctl_xdm_import(ctl, argc - 1, argv + 1);
	ctl_xdm_usage();
	return 2;
}
