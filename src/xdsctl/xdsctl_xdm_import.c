/*
 * xdsctl_xdm_import.c: xdsctl xdm import FILE.zip|DIR --patient BSN
 *
 * Reads an XDM package (ITI-32: a ZIP, or the directory of a medium) or
 * PDI media (a directory with a DICOMDIR, as on a patient's DVD), checks
 * everything, and only then registers the documents at the node (one
 * ITI-41 Provide and Register: one submission set, all or nothing) and
 * C-STOREs the DICOM instances to the node's DICOM bridge.
 *
 * 1. Every entry's header first (a ZIP through libzip): its name by the
 *    rules of xdm_name_check (no "..", no absolute name, ...), no
 *    symbolic link or other special file, no encrypted entry, no name
 *    twice (letters compared without case, as ISO 9660 media do), at
 *    most --max-entries entries, --max-size bytes declared in all, no
 *    entry over 1 MiB packed more than --max-ratio times.
 * 2. Every entry copied into a private quarantine directory through a
 *    spool (lib/mime/spool.h: size and SHA-1 computed as it is written),
 *    under the same bounds counted on the real bytes (a ZIP header that
 *    lies about its size is caught), libzip checking each CRC.  Entry
 *    names are never file names: the quarantine holds spool files only.
 * 3. IHE_XDM/<subset>/METADATA.XML read and checked (xdm_meta_parse);
 *    every DocumentEntry's file present with the size and hash the
 *    metadata gives; the package's patient (when it is a BSN) the one of
 *    --patient; every DICOM instance (the files a DICOMDIR references,
 *    read by the shim, each present; without a DICOMDIR every file with
 *    the DICM preamble) read and its BSN found by the bridge's rule
 *    (bridge_patient_bsn: OtherPatientIDsSequence with issuer NLMINBIZA,
 *    or PatientID) equal to --patient.
 * 4. The DocumentEntries again by ITI-41 (xdm_meta_resubmit: new ids, the
 *    document uniqueIds kept, patientId the local one); a KOS manifest is
 *    not registered: the bridge publishes its own once the instances
 *    arrive.  Then the instances by C-STORE.
 * A refusal (exit 3) names its rule; nothing was sent.  The quarantine is
 * removed on every way out.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <zip.h>

#include "bridge_patient.h"
#include "buf.h"
#include "dcmshim.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "mtom.h"
#include "soap.h"
#include "soap_peer.h"
#include "spool.h"
#include "str.h"
#include "vocab.h"
#include "xdm.h"
#include "xdsctl.h"
#include "xml.h"

#define IMP_MAX_SIZE	((long long)4 << 30)	/* bytes in all */
#define IMP_MAX_ENTRIES	10000
#define IMP_MAX_RATIO	100
#define IMP_RATIO_FROM	((long long)1 << 20)	/* ratio checked over */
#define IMP_MAX_META	((size_t)64 << 20)	/* METADATA.XML */
#define IMP_MAX_DEPTH	16			/* directories */
#define IMP_REFUSED	3			/* exit status */

struct ent {
	char		 name[XDM_NAME_MAX + 1];
	struct spool_result r;		/* the quarantined copy */
	int		 used;		/* a document, METADATA.XML */
	int		 listed;	/* referenced by the DICOMDIR */
};

struct pkg {
	struct ctl	*ctl;
	const char	*bsn;
	char		 cx[64];
	char		 q[256];		/* quarantine */
	long long	 max_size, max_entries, max_ratio;
	struct ent	*ents;
	size_t		 nents, cap;
	long long	 total;
	struct xdm_meta	 meta;
	const char	*subset;		/* "IHE_XDM/X/", or NULL */
	size_t		 subset_len;
	struct ent	*dicomdir;
	int		 refusal;		/* of the DICOMDIR walk */
	const char	**inst;			/* instances' files */
	size_t		 ninst;
};

/* "xdsctl: refused: rule..." on stderr; -1. */
static int
refuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xdsctl: refused: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* A new entry named name (checked); NULL after a refusal. */
static struct ent *
ent_new(struct pkg *p, const char *name)
{
	char err[512];
	size_t i;

	if (xdm_name_check(name, strlen(name), err, sizeof err) != XDS_OK) {
		refuse("%s", err);
		return NULL;
	}
	if ((long long)p->nents >= p->max_entries) {
		refuse("more than %lld entries (--max-entries)",
		    p->max_entries);
		return NULL;
	}
	for (i = 0; i < p->nents; i++)
		if (str_caseeq(p->ents[i].name, name)) {
			refuse("entry \"%.80s\": duplicate name", name);
			return NULL;
		}
	if (p->nents == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct ent *v = realloc(p->ents, cap * sizeof *v);

		if (v == NULL) {
			refuse("out of memory");
			return NULL;
		}
		p->ents = v;
		p->cap = cap;
	}
	memset(&p->ents[p->nents], 0, sizeof p->ents[0]);
	str_lcpy(p->ents[p->nents].name, name, sizeof p->ents[0].name);
	return &p->ents[p->nents++];
}

/* The declared sizes of an entry against the bounds. */
static int
declared(struct pkg *p, const char *name, long long size, long long packed)
{
	if (size > p->max_size - p->total)
		return refuse("entry \"%.80s\": the package holds more than "
		    "%lld bytes uncompressed (--max-size)", name, p->max_size);
	if (packed >= 0 && size > IMP_RATIO_FROM &&
	    size / (packed > 0 ? packed : 1) > p->max_ratio)
		return refuse("entry \"%.80s\": compression ratio over %lld "
		    "(--max-ratio: a ZIP bomb?)", name, p->max_ratio);
	return 0;
}

typedef long long (*read_fn)(void *arg, void *buf, size_t n);

/* The bytes of an entry through a spool into the quarantine, bounded by
 * what was declared (size) and the package's total. */
static int
copy_in(struct pkg *p, struct ent *e, long long size, read_fn rd,
    void *arg)
{
	struct spool *sp = NULL;
	char buf[65536], err[512];
	long long n, got = 0;

	if (spool_open(&sp, p->q, 0, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: quarantine: %s\n", err);
		return -1;
	}
	while ((n = rd(arg, buf, sizeof buf)) > 0) {
		got += n;
		if (got > size) {
			spool_abort(sp);
			return refuse("entry \"%.80s\": more bytes than its "
			    "header declares (%lld)", e->name, size);
		}
		if (p->total + got > p->max_size) {
			spool_abort(sp);
			return refuse("entry \"%.80s\": the package holds "
			    "more than %lld bytes uncompressed (--max-size)",
			    e->name, p->max_size);
		}
		if (spool_write(sp, buf, (size_t)n, err, sizeof err) !=
		    XDS_OK) {
			spool_abort(sp);
			fprintf(stderr, "xdsctl: quarantine: %s\n", err);
			return -1;
		}
	}
	if (n < 0) {
		spool_abort(sp);
		return refuse("entry \"%.80s\": cannot be read (damaged: bad "
		    "CRC or data)", e->name);
	}
	if (got != size) {
		spool_abort(sp);
		return refuse("entry \"%.80s\": %lld bytes, its header "
		    "declares %lld", e->name, got, size);
	}
	if (spool_finish(sp, &e->r, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: quarantine: %s\n", err);
		return -1;
	}
	p->total += got;
	return 0;
}

/* ---- a ZIP ---------------------------------------------------------- */

static long long
zread(void *arg, void *buf, size_t n)
{
	return (long long)zip_fread(arg, buf, n);
}

static int
from_zip(struct pkg *p, const char *path)
{
	zip_t *za;
	zip_int64_t n, i;
	int zerr, rc = -1;

	if ((za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr)) == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		refuse("%s: not a readable ZIP archive: %s", path,
		    zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	if ((n = zip_get_num_entries(za, 0)) > p->max_entries) {
		refuse("%lld entries, more than %lld (--max-entries)",
		    (long long)n, p->max_entries);
		goto out;
	}
	/* the headers first: nothing is extracted from a refused package */
	for (i = 0; i < n; i++) {
		zip_stat_t st;
		zip_uint8_t os;
		zip_uint32_t attr;
		const char *name;
		mode_t mode;

		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 ||
		    (name = st.name) == NULL) {
			refuse("entry %lld: no header", (long long)i);
			goto out;
		}
		if (zip_file_get_external_attributes(za, (zip_uint64_t)i, 0,
		    &os, &attr) != 0)
			os = 0;
		mode = (mode_t)(attr >> 16);
		if (os == ZIP_OPSYS_UNIX && (mode & S_IFMT) != 0 &&
		    !S_ISREG(mode) && !S_ISDIR(mode)) {
			refuse("entry \"%.80s\": %s", name, S_ISLNK(mode) ?
			    "a symbolic link" : "not a regular file");
			goto out;
		}
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE) {
			refuse("entry \"%.80s\": encrypted", name);
			goto out;
		}
		if (ent_new(p, name) == NULL)
			goto out;
		if (name[strlen(name) - 1] == '/')
			continue;
		if (declared(p, name, (long long)st.size,
		    (long long)st.comp_size) != 0)
			goto out;
		p->total += (long long)st.size;
	}
	p->total = 0;
	for (i = 0; i < n; i++) {
		struct ent *e = &p->ents[i];
		zip_stat_t st;
		zip_file_t *zf;

		if (e->name[strlen(e->name) - 1] == '/')
			continue;
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 ||
		    (zf = zip_fopen_index(za, (zip_uint64_t)i, 0)) == NULL) {
			refuse("entry \"%.80s\": %s", e->name,
			    zip_strerror(za));
			goto out;
		}
		rc = copy_in(p, e, (long long)st.size, zread, zf);
		zip_fclose(zf);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	zip_discard(za);
	return rc;
}

/* ---- a directory (a medium) ---------------------------------------- */

static long long
fdread(void *arg, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(*(int *)arg, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* The tree under root/rel (rel "" at the top). */
static int
walk(struct pkg *p, const char *root, const char *rel, int depth)
{
	DIR *d;
	struct dirent *de;
	char path[4096], name[XDM_NAME_MAX + 2];
	int rc = -1;

	if (depth > IMP_MAX_DEPTH)
		return refuse("\"%.80s\": directories deeper than %d", rel,
		    IMP_MAX_DEPTH);
	str_fmt(path, sizeof path, "%s/%s", root, rel);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "xdsctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		struct ent *e;
		int fd;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (str_fmt(name, sizeof name, "%s%s", rel, de->d_name) < 0 ||
		    str_fmt(path, sizeof path, "%s/%s", root, name) < 0) {
			refuse("\"%.80s\": name too long", name);
			goto out;
		}
		if (lstat(path, &st) != 0) {
			fprintf(stderr, "xdsctl: %s: %s\n", path,
			    strerror(errno));
			goto out;
		}
		if (S_ISLNK(st.st_mode) || (!S_ISREG(st.st_mode) &&
		    !S_ISDIR(st.st_mode))) {
			refuse("\"%.80s\": %s", name, S_ISLNK(st.st_mode) ?
			    "a symbolic link" : "not a regular file");
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (str_lcat(name, "/", sizeof name) >= sizeof name ||
			    ent_new(p, name) == NULL ||
			    walk(p, root, name, depth + 1) != 0)
				goto out;
			continue;
		}
		if ((e = ent_new(p, name)) == NULL ||
		    declared(p, name, (long long)st.st_size, -1) != 0)
			goto out;
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			fprintf(stderr, "xdsctl: %s: %s\n", path,
			    strerror(errno));
			goto out;
		}
		rc = copy_in(p, e, (long long)st.st_size, fdread, &fd);
		close(fd);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

/* ---- checks --------------------------------------------------------- */

static struct ent *
ent_find(struct pkg *p, const char *prefix, size_t plen, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < p->nents; i++)
		if (strlen(p->ents[i].name) == plen + n &&
		    str_ncaseeq(p->ents[i].name, prefix, plen) &&
		    str_caseeq(p->ents[i].name + plen, name))
			return &p->ents[i];
	return NULL;
}

/* The last component of an entry's name. */
static const char *
base_of(const char *name)
{
	const char *s = strrchr(name, '/');

	return s != NULL ? s + 1 : name;
}

/* METADATA.XML of the one subset, and every document against it. */
static int
check_meta(struct pkg *p)
{
	struct ent *me = NULL;
	struct hl7_cx cx;
	char err[512];
	size_t i, len;
	char *xml;
	int rc;

	for (i = 0; i < p->nents; i++) {
		const char *n = p->ents[i].name, *s;

		if (!str_ncaseeq(n, XDM_DIR "/", sizeof XDM_DIR) ||
		    (s = strchr(n + sizeof XDM_DIR, '/')) == NULL ||
		    !str_caseeq(s + 1, XDM_METADATA))
			continue;
		if (me != NULL)
			return refuse("more than one submission set (%s, %s): "
			    "one is imported at a time", me->name, n);
		me = &p->ents[i];
		p->subset = n;
		p->subset_len = (size_t)(s + 1 - n);
	}
	if (me == NULL) {
		for (i = 0; i < p->nents; i++)
			if (str_ncaseeq(p->ents[i].name, XDM_DIR "/",
			    sizeof XDM_DIR))
				return refuse("missing file: " XDM_DIR
				    "/<subset>/" XDM_METADATA);
		return 0;
	}
	me->used = 1;
	if ((xml = ctl_read_file(me->r.path, IMP_MAX_META, &len)) == NULL)
		return refuse("%s: unreadable or over %zu bytes", me->name,
		    IMP_MAX_META);
	rc = xdm_meta_parse(xml, len, &p->meta, err, sizeof err);
	free(xml);
	if (rc != XDS_OK)
		return refuse("%s: bad metadata: %s", me->name, err);
	for (i = 0; i < p->meta.ndocs; i++) {
		const struct xdm_doc *d = &p->meta.docs[i];
		struct ent *e = ent_find(p, p->subset, p->subset_len, d->uri);

		if (e == NULL)
			return refuse("missing file: DocumentEntry %s names "
			    "\"%.*s%s\", not in the package", d->unique_id,
			    (int)p->subset_len, p->subset, d->uri);
		if ((long long)e->r.size != d->size)
			return refuse("size mismatch: %s is %lld bytes, the "
			    "metadata says %lld", e->name, (long long)e->r.size,
			    d->size);
		if (!str_caseeq(e->r.sha1, d->hash))
			return refuse("hash mismatch: %s has SHA-1 %s, the "
			    "metadata says %s", e->name, e->r.sha1, d->hash);
		e->used = 1;
	}
	/* the package's patient: a BSN must be the one of --patient */
	if (hl7_cx_parse(p->meta.patient, strlen(p->meta.patient), &cx, err,
	    sizeof err) == 0 && strcmp(cx.aa_oid, OID_BSN) == 0 &&
	    strcmp(cx.id, p->bsn) != 0)
		return refuse("patient mismatch: the package's patientId is "
		    "another BSN than --patient");
	return 0;
}

/* 1 when the file at path has the DICOM Part 10 preamble. */
static int
is_dicom(const char *path)
{
	char b[132];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, b, sizeof b);
	close(fd);
	return n == (ssize_t)sizeof b && memcmp(b + 128, "DICM", 4) == 0;
}

/* A file the DICOMDIR references, relative to the DICOMDIR's directory:
 * there, and marked. */
static int
dicomdir_file(void *arg, const char *path)
{
	struct pkg *p = arg;
	const char *dd = p->dicomdir->name;
	size_t plen = (size_t)(base_of(dd) - dd);
	struct ent *e;
	char err[512];

	if (xdm_name_check(path, strlen(path), err, sizeof err) != XDS_OK) {
		p->refusal = refuse("DICOMDIR: %s", err);
		return -1;
	}
	if ((e = ent_find(p, dd, plen, path)) == NULL ||
	    e->r.path[0] == '\0') {
		p->refusal = refuse("missing file: the DICOMDIR references "
		    "\"%.*s%.80s\", not on the medium", (int)plen, dd, path);
		return -1;
	}
	e->listed = 1;
	return 0;
}

/* The DICOMDIR, if there is one: the files it references marked. */
static int
read_dicomdir(struct pkg *p)
{
	char err[512];
	size_t i, len;
	char *dd;
	int rc;

	for (i = 0; i < p->nents; i++)
		if (str_caseeq(base_of(p->ents[i].name), "DICOMDIR") &&
		    p->ents[i].r.path[0] != '\0') {
			if (p->dicomdir != NULL)
				return refuse("two DICOMDIRs (%s, %s)",
				    p->dicomdir->name, p->ents[i].name);
			p->dicomdir = &p->ents[i];
		}
	if (p->dicomdir == NULL)
		return 0;
	if ((dd = ctl_read_file(p->dicomdir->r.path, IMP_MAX_META, &len)) ==
	    NULL)
		return refuse("%s: unreadable or over %zu bytes",
		    p->dicomdir->name, IMP_MAX_META);
	rc = dcmshim_dicomdir_mem(dd, len, dicomdir_file, p, err, sizeof err);
	free(dd);
	if (rc != XDS_OK && p->refusal == 0)
		return refuse("%s: not a readable DICOMDIR: %s",
		    p->dicomdir->name, err);
	return rc == XDS_OK ? 0 : -1;
}

/*
 * Every DICOM instance: the files the DICOMDIR references, or without
 * one every file with the DICM preamble; readable, of the patient of
 * --patient.
 */
static int
check_instances(struct pkg *p)
{
	struct dcmshim_info info;
	char err[512], bsn[10];
	size_t i;

	if ((p->inst = calloc(p->nents + 1, sizeof *p->inst)) == NULL)
		return refuse("out of memory");
	if (read_dicomdir(p) != 0)
		return -1;
	for (i = 0; i < p->nents; i++) {
		struct ent *e = &p->ents[i];

		if (e->used || e->r.path[0] == '\0' || e == p->dicomdir)
			continue;
		if (p->dicomdir != NULL ? !e->listed : !is_dicom(e->r.path))
			continue;
		if (dcmshim_parse_file(e->r.path, &info, err, sizeof err) !=
		    XDS_OK)
			return refuse("instance %s: not readable DICOM: %s",
			    e->name, err);
		if (bridge_patient_bsn(&info,
		    p->ctl->conf.dicom_patient_id_is_bsn, bsn, err,
		    sizeof err) != 0)
			return refuse("instance %s: %s (the bridge files an "
			    "instance by its BSN)", e->name, err);
		if (strcmp(bsn, p->bsn) != 0)
			return refuse("patient mismatch: instance %s is of "
			    "another BSN than --patient", e->name);
		p->inst[p->ninst++] = e->r.path;
	}
	return 0;
}

/* ---- sending -------------------------------------------------------- */

/* ITI-41 of the documents that are not manifests. */
static int
register_docs(struct pkg *p, size_t *nreg)
{
	struct mtom_attachment *att = NULL;
	struct soap_call c;
	struct xdm_ss ss;
	struct buf b;
	char (*ids)[16] = NULL, ssuid[DCMSHIM_UI_SZ], now[16], err[512];
	char url[1024];
	const char *st;
	int *use = NULL, rc = -1;
	size_t i, n = 0;
	time_t t = time(NULL);
	struct tm tm;
	xmlNode *rr;

	*nreg = 0;
	soap_call_init(&c, ACT_ITI41, PACK_MTOM);
	buf_init(&b, IMP_MAX_META + 65536);
	if ((use = calloc(p->meta.ndocs, sizeof *use)) == NULL ||
	    (ids = calloc(p->meta.ndocs, sizeof *ids)) == NULL ||
	    (att = calloc(p->meta.ndocs, sizeof *att)) == NULL) {
		fprintf(stderr, "xdsctl: out of memory\n");
		goto out;
	}
	for (i = 0; i < p->meta.ndocs; i++) {
		n += (size_t)(use[i] = !p->meta.docs[i].kos);
		if (!use[i] && p->ninst == 0)
			fprintf(stderr, "xdsctl: note: manifest %s not "
			    "registered: it names the exporting node's "
			    "images, and the package holds none\n",
			    p->meta.docs[i].unique_id);
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (dcmshim_uid_new(p->ctl->conf.affinity_uid_root, ssuid,
	    sizeof ssuid, err, sizeof err) != XDS_OK ||
	    gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof now, "%Y%m%d%H%M%S", &tm) == 0) {
		fprintf(stderr, "xdsctl: cannot make a uniqueId\n");
		goto out;
	}
	memset(&ss, 0, sizeof ss);
	ss.unique_id = ssuid;
	ss.source_id = p->ctl->conf.affinity_source_id;
	ss.patient = p->cx;
	ss.time = now;
	if (buf_adds(&b, "<xdsb:ProvideAndRegisterDocumentSetRequest "
	    "xmlns:xdsb=\"" NS_XDSB "\">") != XDS_OK ||
	    xdm_meta_resubmit(&p->meta, use, &ss, ids, &b) != XDS_OK)
		goto toobig;
	for (i = 0, n = 0; i < p->meta.ndocs; i++) {
		const struct xdm_doc *d = &p->meta.docs[i];
		struct ent *e;
		struct mtom_attachment *a = &att[n];

		if (!use[i])
			continue;
		e = ent_find(p, p->subset, p->subset_len, d->uri);
		str_lcpy(a->path, e->r.path, sizeof a->path);
		a->size = e->r.size;
		str_lcpy(a->content_type, d->mime[0] ? d->mime :
		    "application/octet-stream", sizeof a->content_type);
		str_fmt(a->cid, sizeof a->cid, "doc%zu@xdsnode.xdsctl", ++n);
		if (buf_addf(&b, "<xdsb:Document id=\"%s\"><xop:Include "
		    "xmlns:xop=\"" NS_XOP "\" href=\"cid:%s\"/>"
		    "</xdsb:Document>",
		    ids[i], a->cid) != XDS_OK)
			goto toobig;
	}
	if (buf_adds(&b, "</xdsb:ProvideAndRegisterDocumentSetRequest>") !=
	    XDS_OK)
		goto toobig;
	if (ctl_node_url(p->ctl->url, "/xds/repository", url, sizeof url) !=
	    0) {
		fprintf(stderr, "xdsctl: URL too long\n");
		goto out;
	}
	c.req.body_xml = b.b_data;
	c.req.body_len = b.b_len;
	c.req.att = att;
	c.req.natt = n;
	if (ctl_call(p->ctl, url, &c) != 0)
		goto out;
	rr = c.ans.body;
	st = xml_is(rr, NS_RS, "RegistryResponse") ? xml_attr(rr, "status") :
	    NULL;
	if (st == NULL || strcmp(st, ST_SUCCESS) != 0) {
		xmlNode *l = rr ? xml_find(rr, NS_RS, "RegistryErrorList") :
		    NULL, *e;

		fprintf(stderr, "xdsctl: ITI-41 at %s: %s\n", url,
		    st ? ctl_short_status(st) : "no RegistryResponse");
		for (e = l ? xml_first_elem(l) : NULL; e != NULL;
		    e = xml_next_elem(e))
			fprintf(stderr, "error %s: %s\n",
			    xml_attr(e, "errorCode") ? xml_attr(e,
			    "errorCode") : "?", xml_attr(e, "codeContext") ?
			    xml_attr(e, "codeContext") : "");
		goto out;
	}
	*nreg = n;
	if (!p->ctl->json)
		printf("registered %zu document%s, submission set %s\n", n,
		    n == 1 ? "" : "s", ssuid);
	rc = 0;
	goto out;
toobig:
	fprintf(stderr, "xdsctl: metadata over %zu bytes\n", IMP_MAX_META);
out:
	for (i = 0; i < p->meta.ndocs && att != NULL; i++)
		att[i].path[0] = '\0';	/* the quarantine's file */
	c.req.att = NULL;
	c.req.natt = 0;
	soap_call_free(&c);
	buf_free(&b);
	free(att);
	free(ids);
	free(use);
	return rc;
}

/* C-STORE the instances to --store, or the node's bridge. */
static int
store_instances(struct pkg *p, const char *store, size_t *nstored)
{
	struct dcmshim_scu_opts o;
	char ae[17], host[256], err[512], spec[300];
	int *st = NULL, port, rc = -1;
	size_t i;

	*nstored = 0;
	if (p->ninst == 0)
		return 0;
	if (store == NULL) {
		str_fmt(spec, sizeof spec, "%s@%s", p->ctl->conf.dicom_ae_title,
		    p->ctl->conf.dicom_listen);
		store = spec;
	}
	if (conf_split_ae(store, ae, sizeof ae, host, sizeof host, &port) !=
	    0) {
		fprintf(stderr, "xdsctl: \"%s\" is not AE@host:port\n", store);
		return -1;
	}
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		str_lcpy(host, "127.0.0.1", sizeof host);
	if ((st = calloc(p->ninst, sizeof *st)) == NULL)
		return -1;
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.calling_ae = "XDSCTL";
	o.called_ae = ae;
	o.acse_timeout = (int)p->ctl->conf.dicom_timeout;
	o.dimse_timeout = (int)p->ctl->conf.dicom_timeout;
	if (dcmshim_store_scu(&o, p->inst, p->ninst, st, err, sizeof err) !=
	    0)
		fprintf(stderr, "xdsctl: C-STORE to %s: %s\n", store, err);
	for (i = 0; i < p->ninst; i++)
		if (st[i] == 0 || (st[i] & 0xf000) == 0xb000)
			(*nstored)++;
	if (*nstored == p->ninst)
		rc = 0;
	else
		fprintf(stderr, "xdsctl: C-STORE to %s: %zu of %zu instances "
		    "stored\n", store, *nstored, p->ninst);
	free(st);
	return rc;
}

static int
opt_num(const char *v, long long max, long long *out)
{
	const char *why;

	return str_tonum(v, 1, max, out, &why);
}

int
ctl_xdm_import(struct ctl *ctl, int argc, char **argv)
{
	struct pkg p;
	struct stat st;
	const char *src = NULL, *store = NULL;
	size_t i, nreg = 0, nstored = 0;
	int rc = 2;

	memset(&p, 0, sizeof p);
	p.ctl = ctl;
	p.max_size = IMP_MAX_SIZE;
	p.max_entries = IMP_MAX_ENTRIES;
	p.max_ratio = IMP_MAX_RATIO;
	for (i = 0; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (size_t)argc ?
		    argv[i + 1] : NULL;

		if (strcmp(a, "--patient") == 0 && v != NULL)
			p.bsn = v;
		else if (strcmp(a, "--store") == 0 && v != NULL)
			store = v;
		else if (strcmp(a, "--max-size") == 0 && v != NULL) {
			if (opt_num(v, INT64_MAX / 2, &p.max_size) != 0)
				goto usage;
		} else if (strcmp(a, "--max-entries") == 0 && v != NULL) {
			if (opt_num(v, 1000000, &p.max_entries) != 0)
				goto usage;
		} else if (strcmp(a, "--max-ratio") == 0 && v != NULL) {
			if (opt_num(v, 1000000, &p.max_ratio) != 0)
				goto usage;
		} else if (a[0] != '-' && src == NULL) {
			src = a;
			continue;
		} else
			goto usage;
		i++;
	}
	if (src == NULL || p.bsn == NULL)
		goto usage;
	if (strlen(p.bsn) != 9 || hl7_bsn_valid(p.bsn, 9) != 0) {
		fprintf(stderr, "xdsctl: --patient: \"%.20s\" is not a valid "
		    "BSN\n", p.bsn);
		goto usage;
	}
	str_fmt(p.cx, sizeof p.cx, "%s^^^&%s&ISO", p.bsn, OID_BSN);
	rc = 1;
	if (stat(src, &st) != 0) {
		fprintf(stderr, "xdsctl: %s: %s\n", src, strerror(errno));
		goto out;
	}
	dcmshim_log_init();
	dcmshim_log_level(ctl->verbose ? DCMSHIM_LOG_WARN : DCMSHIM_LOG_ERROR);
	if (ctl_xdm_spool(p.q, sizeof p.q) != 0)
		goto out;
	rc = IMP_REFUSED;
	if (S_ISDIR(st.st_mode) ? walk(&p, src, "", 0) != 0 :
	    from_zip(&p, src) != 0)
		goto out;
	if (check_meta(&p) != 0 || check_instances(&p) != 0)
		goto out;
	if (p.subset == NULL && !p.dicomdir) {
		refuse("%s: neither an XDM package (" XDM_DIR "/<subset>/"
		    XDM_METADATA ") nor PDI media (DICOMDIR)", src);
		goto out;
	}
	if (p.ninst == 0 && (p.meta.ndocs == 0 || p.subset == NULL)) {
		refuse("%s: nothing to import (no document, no DICOM "
		    "instance)", src);
		goto out;
	}
	rc = 1;
	if (p.subset != NULL && register_docs(&p, &nreg) != 0)
		goto out;
	if (store_instances(&p, store, &nstored) != 0)
		goto out;
	if (ctl->json) {
		printf("{\"source\":");
		ctl_json_str(src);
		printf(",\"kind\":\"%s\",\"registered\":%zu,\"instances\":"
		    "%zu,\"stored\":%zu}\n", p.subset ? "xdm" : "pdi", nreg,
		    p.ninst, nstored);
	} else
		printf("%s: %s, %zu document%s registered, %zu DICOM "
		    "instance%s stored\n", src, p.subset ? "XDM package" :
		    "PDI media", nreg, nreg == 1 ? "" : "s", nstored,
		    nstored == 1 ? "" : "s");
	rc = 0;
	goto out;
usage:
	ctl_xdm_usage();
out:
	if (p.q[0] != '\0' && ctl_rm_tree(p.q) != 0)
		fprintf(stderr, "xdsctl: quarantine %s: %s\n", p.q,
		    strerror(errno));
	xdm_meta_free(&p.meta);
	free(p.inst);
	free(p.ents);
	return rc;
}
