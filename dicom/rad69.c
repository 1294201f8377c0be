/*
 * rad69.c: RAD-69 Retrieve Imaging Document Set at /xdsi/source, the
 * Imaging Document Source side of XDS-I.b (RAD TF-3 4.69; rad69.h).
 *
 * The instances come from the bridge's own store, state_dir/dicom/
 * <study>/<series>/<sop>.dcm, as MTOM parts of an ITI-43 shaped answer.
 * Every DocumentRequest is answered by one DocumentResponse or one
 * RegistryError:
 *	RepositoryUniqueId not ours		XDSUnknownRepositoryId
 *	no such instance in that series/study	XDSDocumentUniqueIdError
 *	(empty or invalid UIDs included)
 *	not in any requested transfer syntax,	XDSRepositoryError
 *	and no lossless transcoding into one
 *	proxy mode: the PACS cannot be reached	XDSRepositoryError
 *	proxy mode: the PACS does not have it	XDSDocumentUniqueIdError
 *	proxy mode: over max_document_size	XDSRepositoryError
 *	past the answer's bound on temp files	XDSRepositoryError
 * Success when all were found, PartialSuccess when some, Failure when
 * none.  The study and series UIDs are read from the attributes
 * (studyInstanceUID, seriesInstanceUID) or, as some consumers send them,
 * from child elements StudyInstanceUID / SeriesInstanceUID.  A
 * DocumentRequest's HomeCommunityId comes back unchanged in its
 * DocumentResponse (NIST ids_4820 matchHomeCommunityIds).
 *
 * Transfer syntax (RAD TF-3 4.69.4.2.3): an instance stored in a syntax of
 * the request's TransferSyntaxUIDList leaves as stored; otherwise it is
 * transcoded into the first listed syntax the shim can produce losslessly
 * (dcmshim_can_transcode), at most RAD69_MAX_TRANSCODE at a time (each
 * decodes a whole dataset in memory; more wait their turn).  The list is
 * required (at least one TransferSyntaxUID, RAD TF-3 4.69.4.1.2): empty,
 * or only unknown syntaxes, is XDSRepositoryError for every instance, as
 * the NIST IDS tests (ids_2018-4811) expect.
 *
 * Proxy mode (dcmfetch.h): a stored file that is a header-only copy is
 * fetched from dicom.pacs by C-GET first, all of a request's on one
 * association (its presentation contexts from the header copies' SOP
 * classes and syntaxes; a new one only past DCMFETCH_MAX_PC contexts or
 * after an abort).  A fetched instance over repository.max_document_size
 * is refused as it arrives (XDSRepositoryError).  A PACS that cannot be
 * reached fails the rest of the request's fetches at once; what was
 * fetched before stays in the answer.
 *
 * Fetched and transcoded files are made in state_dir/dicom/tmp/rad69 and
 * leave as attachments with unlink_after: the SOAP layer removes them
 * once the answer is sent.  They all exist until then, so one answer may
 * hold at most RAD69_TMP_DOCS x repository.max_document_size bytes of
 * them; past that the rest of the request is XDSRepositoryError "answer
 * size limit" (PartialSuccess: the consumer asks again for those).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actor.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "dcmfetch.h"
#include "dcmshim.h"
#include "ebrim.h"
#include "log.h"
#include "rad69.h"
#include "soap.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define RAD69_MAX_DOCS	1000		/* DocumentRequests per request */
#define RAD69_MAX_TS	32		/* TransferSyntaxUIDs read */
#define RAD69_MAX_BODY	(16UL * 1024 * 1024)
#define RAD69_MAX_TRANSCODE 2		/* transcodings at once */
#define RAD69_TMP_DOCS	8		/* x max_document_size: temp bytes
					   one answer may hold */
#define PATH_SZ		1024
#define ID_MAX		256
#define TMP_PREFIX	"r69-"

struct rad69_source {
	char			 root[PATH_SZ];		/* state_dir/dicom */
	char			 tmp[PATH_SZ];		/* root/tmp/rad69 */
	char			 repo_uid[128];		/* Retrieve Location UID */
	/* proxy mode: dicom.pacs, parsed; pacs_port 0 when unset/bad */
	char			 pacs_ae[17];
	char			 pacs_host[256];
	int			 pacs_port;
	char			 ae_title[17];		/* ours, calling */
	int			 timeout;		/* dicom.timeout */
	long long		 deadline_ms;	/* dicom.retrieve_deadline */
	long long		 max_doc;	/* repository.max_document_size */
	long long		 max_tmp;	/* RAD69_TMP_DOCS x max_doc */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 transcoding;		/* under mu */
	struct soap_route	 route;
	struct soap_endpoint	 ep;
};

/* A DocumentRequest that names a stored instance (header of the stored
 * file, or of its header-only copy). */
struct item {
	char			 study[DCMSHIM_UI_SZ];
	char			 series[DCMSHIM_UI_SZ];
	char			 sop[DCMSHIM_UI_SZ];
	char			 sop_class[DCMSHIM_UI_SZ];
	char			 ts[DCMSHIM_UI_SZ];	/* as stored */
	char			 home[ID_MAX];	/* HomeCommunityId, echoed */
	int			 stripped;	/* at the PACS (proxy mode) */
};

struct rq {
	struct rad69_source	*ids;
	struct xact		*x;
	struct rim_errors	 errs;
	struct buf		 docs;
	struct mtom_attachment	*att;
	struct item		*items;
	size_t			 nreq, nfound, nitems;
	char			 ts[RAD69_MAX_TS][DCMSHIM_UI_SZ];
	size_t			 nts;
	/* proxy mode: the association with the PACS, and the SOP classes
	 * it proposed contexts for (pointers into items) */
	struct dcmfetch		*pacs;
	const char		*pacs_classes[DCMFETCH_MAX_PC];
	size_t			 npacs_classes;
	/* why a fetch of this request could not reach the PACS: the
	 * later ones fail at once */
	char			 pacs_down[256];
	long long		 deadline;	/* clock_real_ms: the C-GETs of
						   this request end by then */
	long long		 tmp_bytes;	/* in answer files we made */
	int			 full;		/* answer size limit reached */
};

/* The UID of a Study/SeriesRequest: attribute, else child element. */
static int
uid_of(xmlNode *n, const char *attr, const char *elem, char *out,
    size_t outsz)
{
	const char *v;

	if ((v = xml_attr(n, attr)) != NULL) {
		if (str_lcpy(out, v, outsz) >= outsz)
			return -1;
		str_trim(out);
		return 0;
	}
	return xml_child_text(n, NS_XDSI, elem, out, outsz);
}

static int
fail_doc(struct rq *q, const char *code, const char *location,
    const char *what, const char *study, const char *series, const char *sop)
{
	xact_add_error(q->x, code);
	return rim_errors_add(&q->errs, 0, code, location, "%s: %.64s/%.64s/"
	    "%.64s", what, study[0] ? study : "(none)", series[0] ? series :
	    "(none)", sop[0] ? sop : "(none)");
}

static int
ts_wanted(const struct rq *q, const char *ts)
{
	size_t i;

	for (i = 0; i < q->nts; i++)
		if (strcmp(q->ts[i], ts) == 0)
			return 1;
	return 0;
}

/* A new name for an answer file in ids->tmp (created by whoever writes
 * it: the shim's transcoder insists on O_EXCL). */
static int
tmp_name(const struct rad69_source *s, char *out, size_t outsz)
{
	char u[SOAP_UUID_LEN];

	if (soap_uuid(u, sizeof u) != 0 || str_fmt(out, outsz,
	    "%s/" TMP_PREFIX "%s.dcm", s->tmp, u + 9) < 0)
		return -1;
	return 0;
}

/* dcmshim_transcode, at most RAD69_MAX_TRANSCODE at once: later ones
 * wait (each holds a decoded dataset in memory). */
static int
transcode(struct rad69_source *s, const char *in, const char *ts,
    const char *out, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&s->mu);
	while (s->transcoding >= RAD69_MAX_TRANSCODE)
		pthread_cond_wait(&s->cv, &s->mu);
	s->transcoding++;
	pthread_mutex_unlock(&s->mu);
	rc = dcmshim_transcode(in, ts, out, err, errlen);
	pthread_mutex_lock(&s->mu);
	s->transcoding--;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void
ts_add(const char **list, size_t *n, const char *ts)
{
	size_t i;

	if (ts[0] == '\0' || *n == DCMFETCH_MAX_TS)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(list[i], ts) == 0)
			return;
	list[(*n)++] = ts;
}

static int
pacs_has_class(const struct rq *q, const char *cls)
{
	size_t i;

	for (i = 0; i < q->npacs_classes; i++)
		if (strcmp(q->pacs_classes[i], cls) == 0)
			return 1;
	return 0;
}

/*
 * Open the association for the header-only items from..nitems-1: one
 * entry per SOP class, its syntaxes those the class's instances were
 * received in (in request order), then the request's, then the
 * uncompressed ones.  Classes that would pass DCMFETCH_MAX_PC contexts
 * wait for a later association.  Returns an enum xds_status.
 */
static int
pacs_open(struct rq *q, size_t from, char *err, size_t errlen)
{
	const struct rad69_source *s = q->ids;
	struct dcmfetch_peer p;
	struct dcmfetch_ctx *ctx = NULL;
	const char *(*ts)[DCMFETCH_MAX_TS] = NULL;
	size_t i, j, k, nctx = 0, npc = 0;
	int rc = XDS_ENOMEM;

	q->npacs_classes = 0;
	if ((ctx = calloc(DCMFETCH_MAX_PC, sizeof *ctx)) == NULL ||
	    (ts = calloc(DCMFETCH_MAX_PC, sizeof *ts)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	for (i = from; i < q->nitems; i++) {
		const struct item *it = &q->items[i];

		if (!it->stripped || it->sop_class[0] == '\0' ||
		    pacs_has_class(q, it->sop_class))
			continue;
		ctx[nctx].sop_class = it->sop_class;
		ctx[nctx].ts = ts[nctx];
		for (j = i; j < q->nitems; j++)
			if (q->items[j].stripped && strcmp(q->items[j].sop_class,
			    it->sop_class) == 0)
				ts_add(ts[nctx], &ctx[nctx].nts,
				    q->items[j].ts);
		for (k = 0; k < q->nts; k++)
			ts_add(ts[nctx], &ctx[nctx].nts, q->ts[k]);
		ts_add(ts[nctx], &ctx[nctx].nts, TS_EXPLICIT_LE);
		ts_add(ts[nctx], &ctx[nctx].nts, TS_IMPLICIT_LE);
		if (npc + ctx[nctx].nts > DCMFETCH_MAX_PC)
			break;		/* the next association's */
		npc += ctx[nctx].nts;
		q->pacs_classes[q->npacs_classes++] = it->sop_class;
		nctx++;
	}
	memset(&p, 0, sizeof p);
	p.host = s->pacs_host;
	p.port = s->pacs_port;
	p.calling_ae = s->ae_title;
	p.called_ae = s->pacs_ae;
	p.timeout = s->timeout;
	p.deadline = q->deadline;
	if ((rc = dcmfetch_open(&p, ctx, nctx, &q->pacs, err, errlen)) !=
	    XDS_OK)
		q->npacs_classes = 0;
out:
	free(ts);
	free(ctx);
	return rc;
}

/*
 * Proxy mode: C-GET items[i] into a new file in tmp, its path into out,
 * refused past bound bytes.  Returns 0, or the enum xds_status with
 * the reason in err.
 */
static int
fetch(struct rq *q, size_t i, long long bound, char *out, size_t outsz,
    char *err, size_t errlen)
{
	const struct rad69_source *s = q->ids;
	const struct item *it = &q->items[i];
	struct dcmfetch_inst in;
	int rc;

	if (s->pacs_port == 0) {
		str_fmt(err, errlen, "the instance is kept at the PACS, and "
		    "dicom.pacs is not AE@host:port");
		return XDS_EUNAVAILABLE;
	}
	if (q->pacs_down[0] != '\0') {
		str_fmt(err, errlen, "%s", q->pacs_down);
		return XDS_EUNAVAILABLE;
	}
	if (tmp_name(s, out, outsz) != 0) {
		str_fmt(err, errlen, "%s: path too long", s->tmp);
		return XDS_EIO;
	}
	/* a new association after an abort, or for classes the last one
	 * had no room for */
	if (q->pacs != NULL && (!dcmfetch_alive(q->pacs) ||
	    !pacs_has_class(q, it->sop_class))) {
		dcmfetch_close(q->pacs);
		q->pacs = NULL;
	}
	if (q->pacs == NULL && (rc = pacs_open(q, i, err, errlen)) !=
	    XDS_OK)
		goto fail;
	memset(&in, 0, sizeof in);
	in.study_uid = it->study;
	in.series_uid = it->series;
	in.sop_uid = it->sop;
	in.sop_class = it->sop_class;
	rc = dcmfetch_one(q->pacs, &in, out, bound, err, errlen);
fail:
	if (rc == XDS_EUNAVAILABLE || rc == XDS_ETIMEOUT)
		str_lcpy(q->pacs_down, err, sizeof q->pacs_down);
	return rc;
}

/* The stored or fetched instance src (in syntax ts) in a requested
 * syntax: 0 with the file to send in out (src itself, or a transcoded
 * copy with *made set), else -1 with the reason in err. */
static int
encode(struct rq *q, const char *src, const char *ts, char *out,
    size_t outsz, int *made, char *err, size_t errlen)
{
	size_t i, tried = 0;
	char e[256];
	int rc;

	*made = 0;
	if (ts_wanted(q, ts)) {
		str_lcpy(out, src, outsz);
		return 0;
	}
	/* In the request's order; a codec may still turn down one image
	 * (e.g. 32-bit samples for JPEG-LS): then the next syntax. */
	for (i = 0; i < q->nts; i++) {
		if (dcmshim_can_transcode(ts, q->ts[i]) != 1)
			continue;
		if (tmp_name(q->ids, out, outsz) != 0) {
			str_fmt(err, errlen, "%s: path too long", q->ids->tmp);
			return -1;
		}
		rc = transcode(q->ids, src, q->ts[i], out, e, sizeof e);
		if (rc == XDS_OK)
			break;
		log_warnx("dicom: RAD-69: %s -> %s: %s", src, q->ts[i], e);
		if (rc != XDS_EUNSUPPORTED) {
			str_fmt(err, errlen, "transcoding %s into %s failed",
			    ts, q->ts[i]);
			return -1;
		}
		tried++;
	}
	if (i == q->nts) {
		str_fmt(err, errlen, tried > 0 ? "stored as %s, which no "
		    "codec could transcode into a requested syntax" :
		    "stored as %s, no lossless transcoding into a requested "
		    "one", ts);
		return -1;
	}
	*made = 1;
	return 0;
}

/* The DocumentResponse of a, with the request's HomeCommunityId (home,
 * "" when it had none) as it came. */
static int
add_response(struct rq *q, struct mtom_attachment *a, const char *home,
    const char *repo, const char *sop)
{
	char rnd[SOAP_UUID_LEN];

	if (soap_uuid(rnd, sizeof rnd) != 0 ||
	    str_fmt(a->cid, sizeof a->cid, "%s@xdsnode", rnd + 9) < 0)
		return -1;
	str_lcpy(a->content_type, "application/dicom", sizeof a->content_type);
	if (buf_adds(&q->docs, "<xdsb:DocumentResponse>") != XDS_OK ||
	    (home[0] != '\0' && (buf_adds(&q->docs,
	    "<xdsb:HomeCommunityId>") != XDS_OK ||
	    buf_add_xml(&q->docs, home) != XDS_OK ||
	    buf_adds(&q->docs, "</xdsb:HomeCommunityId>") != XDS_OK)) ||
	    buf_adds(&q->docs, "<xdsb:RepositoryUniqueId>") != XDS_OK ||
	    buf_add_xml(&q->docs, repo) != XDS_OK ||
	    buf_adds(&q->docs, "</xdsb:RepositoryUniqueId>"
	    "<xdsb:DocumentUniqueId>") != XDS_OK ||
	    buf_add_xml(&q->docs, sop) != XDS_OK ||
	    buf_adds(&q->docs, "</xdsb:DocumentUniqueId><xdsb:mimeType>"
	    "application/dicom</xdsb:mimeType><xdsb:Document><xop:Include "
	    "xmlns:xop=\"" NS_XOP "\" href=\"cid:") != XDS_OK ||
	    buf_add_xml(&q->docs, a->cid) != XDS_OK ||
	    buf_adds(&q->docs, "\"/></xdsb:Document></xdsb:DocumentResponse>")
	    != XDS_OK)
		return -1;
	return 0;
}

/*
 * One DocumentRequest of series/study: an error, or a new item (its
 * stored file's header) for answer().  -1: out of memory.
 */
static int
resolve(struct rq *q, xmlNode *dr, const char *study, const char *series)
{
	struct item *it = &q->items[q->nitems];
	struct dcmshim_info in;
	struct stat sb;
	char repo[ID_MAX], sop[ID_MAX], e[512], stored[PATH_SZ];
	int stripped;

	if (xml_child_text(dr, NS_XDSB, "RepositoryUniqueId", repo,
	    sizeof repo) != 0 || xml_child_text(dr, NS_XDSB, "DocumentUniqueId",
	    sop, sizeof sop) != 0 || xml_child_text(dr, NS_XDSB,
	    "HomeCommunityId",
	    it->home, sizeof it->home) != 0)
		return fail_doc(q, ERR_DOCUMENT_UNIQUEID, NULL,
		    "value too long", study, series, "");
	if (strcmp(repo, q->ids->repo_uid) != 0) {
		xact_add_error(q->x, ERR_UNKNOWN_REPOSITORY_ID);
		return rim_errors_add(&q->errs, 0, ERR_UNKNOWN_REPOSITORY_ID,
		    repo, "repository %.100s is not this Imaging Document "
		    "Source (%s)", repo[0] ? repo : "(none)",
		    q->ids->repo_uid);
	}
	if (q->x->object[0] == '\0')
		xact_set_object(q->x, sop);
	/* digits and dots only: safe as path components */
	if (!dcmshim_uid_valid(study) || !dcmshim_uid_valid(series) ||
	    !dcmshim_uid_valid(sop) ||
	    str_fmt(stored, sizeof stored, "%s/%s/%s/%s.dcm", q->ids->root,
	    study, series, sop) < 0 || stat(stored, &sb) != 0 ||
	    !S_ISREG(sb.st_mode))
		return fail_doc(q, ERR_DOCUMENT_UNIQUEID, NULL,
		    "No document matching composite UID", study, series, sop);
	if (dcmshim_parse_file(stored, &in, e, sizeof e) != 0 ||
	    (stripped = dcmfetch_is_stripped(stored, e, sizeof e)) < 0) {
		log_warnx("dicom: RAD-69: %s: %s", stored, e);
		return fail_doc(q, ERR_REPOSITORY, NULL, "the stored instance "
		    "cannot be read", study, series, sop);
	}
	/* all valid UIDs (at most 64 characters): they fit */
	str_lcpy(it->study, study, sizeof it->study);
	str_lcpy(it->series, series, sizeof it->series);
	str_lcpy(it->sop, sop, sizeof it->sop);
	str_lcpy(it->sop_class, in.sop_class, sizeof it->sop_class);
	str_lcpy(it->ts, in.transfer_syntax, sizeof it->ts);
	it->stripped = stripped;
	q->nitems++;
	return 0;
}

/*
 * items[i] into the answer: fetched first when it is at the PACS, then in
 * a requested syntax, within the answer's bound on temp bytes.  -1: out
 * of memory.
 */
static int
answer(struct rq *q, size_t i)
{
	const struct rad69_source *s = q->ids;
	const struct item *it = &q->items[i];
	struct mtom_attachment *a = &q->att[q->nfound];
	struct dcmshim_info got;
	struct stat sb;
	char e[512], stored[PATH_SZ], fetched[PATH_SZ] = "", out[PATH_SZ] = "";
	const char *src, *ts;
	long long left, bound;
	int made = 0, rc = -1, frc;

	/* a stored instance sent as it is takes no temp space */
	left = s->max_tmp - q->tmp_bytes;
	if ((it->stripped || !ts_wanted(q, it->ts)) && (q->full ||
	    left <= 0)) {
		q->full = 1;
		return rim_error(&q->errs, q->x, ERR_REPOSITORY, "answer size "
		    "limit: %.64s not sent, this answer already holds %lld "
		    "bytes (at most %lld); ask for it again", it->sop,
		    q->tmp_bytes, s->max_tmp);
	}
	if (str_fmt(stored, sizeof stored, "%s/%s/%s/%s.dcm", s->root,
	    it->study, it->series, it->sop) < 0)
		return rim_error(&q->errs, q->x, ERR_REPOSITORY, "%.64s: path "
		    "too long", it->sop);
	src = stored;
	ts = it->ts;
	if (it->stripped) {
		bound = s->max_doc < left ? s->max_doc : left;
		if ((frc = fetch(q, i, bound, fetched, sizeof fetched, e,
		    sizeof e)) != 0) {
			log_warnx("dicom: RAD-69: %s: %s", it->sop, e);
			fetched[0] = '\0';
			if (frc == XDS_ETOOBIG && bound < s->max_doc) {
				q->full = 1;
				rc = rim_error(&q->errs, q->x, ERR_REPOSITORY,
				    "answer size limit: %.64s not sent, larger "
				    "than the %lld bytes this answer has left "
				    "(at most %lld); ask for it again", it->sop,
				    left, s->max_tmp);
			} else if (frc == XDS_ETOOBIG)
				rc = rim_error(&q->errs, q->x, ERR_REPOSITORY,
				    "the instance %.64s at the PACS is larger "
				    "than repository.max_document_size (%lld "
				    "bytes): refused", it->sop, s->max_doc);
			else
				rc = rim_error(&q->errs, q->x,
				    frc == XDS_ENOTFOUND ?
				    ERR_DOCUMENT_UNIQUEID : ERR_REPOSITORY,
				    "%s %.64s from the PACS: %.300s", frc ==
				    XDS_ENOTFOUND ? "No document matching "
				    "composite UID: cannot fetch" :
				    "cannot fetch", it->sop, e);
			goto out;
		}
		if (dcmshim_parse_file(fetched, &got, e, sizeof e) != 0 ||
		    strcmp(got.sop_uid, it->sop) != 0) {
			log_warnx("dicom: RAD-69: fetched %s: %s", it->sop, e);
			rc = rim_error(&q->errs, q->x, ERR_REPOSITORY, "the "
			    "instance %.64s fetched from the PACS cannot be "
			    "read", it->sop);
			goto out;
		}
		src = fetched;
		ts = got.transfer_syntax;
	}
	if (encode(q, src, ts, out, sizeof out, &made, e, sizeof e) != 0) {
		rc = rim_error(&q->errs, q->x, ERR_REPOSITORY, "IDS cannot "
		    "encode the pixel data using any of the requested transfer "
		    "syntaxes (%.64s: %s)", it->sop, e);
		goto out;
	}
	if (stat(out, &sb) != 0) {
		log_warn("dicom: RAD-69: %s", out);
		rc = rim_error(&q->errs, q->x, ERR_REPOSITORY, "the instance "
		    "%.64s cannot be read", it->sop);
		goto out;
	}
	/* answer files we made count against the answer's bound (a
	 * transcoded one is known only once written) */
	if ((made || src == fetched) && sb.st_size > left) {
		q->full = 1;
		rc = rim_error(&q->errs, q->x, ERR_REPOSITORY, "answer size "
		    "limit: %.64s not sent, its %lld bytes exceed the %lld "
		    "this answer has left (at most %lld); ask for it again",
		    it->sop, (long long)sb.st_size, left, s->max_tmp);
		goto out;
	}
	memset(a, 0, sizeof *a);
	str_lcpy(a->path, out, sizeof a->path);
	a->size = sb.st_size;
	a->unlink_after = made || src == fetched;
	if (add_response(q, a, it->home, s->repo_uid, it->sop) != 0)
		goto out;	/* -1: out of memory */
	if (a->unlink_after)
		q->tmp_bytes += sb.st_size;
	q->nfound++;
	rc = 0;
	if (src == fetched && !made)
		fetched[0] = '\0';	/* it is the answer */
	made = 0;
out:
	if (made)
		unlink(out);
	if (fetched[0] != '\0')
		unlink(fetched);
	return rc;
}

/* The TransferSyntaxUIDList: transfer syntaxes DICOM defines only (an
 * unknown one can never be served: XDSRepositoryError). */
static void
read_ts(struct rq *q, xmlNode *body)
{
	xmlNode *l, *t;
	char v[ID_MAX];

	for (l = xml_first_elem(body); l != NULL; l = xml_next_elem(l)) {
		if (!xml_is(l, NS_XDSI, "TransferSyntaxUIDList"))
			continue;
		for (t = xml_first_elem(l); t != NULL; t = xml_next_elem(t))
			if (xml_is(t, NS_XDSI, "TransferSyntaxUID") &&
			    q->nts < RAD69_MAX_TS &&
			    xml_text(t, v, sizeof v) == 0 &&
			    dcmshim_ts_known(str_trim(v)))
				str_lcpy(q->ts[q->nts++], v, DCMSHIM_UI_SZ);
	}
}

static int
rad69(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct rq q;
	xmlNode *st, *se, *dr;
	char study[ID_MAX], series[ID_MAX];
	const char *status;
	size_t i;
	int ret = -1;

	memset(&q, 0, sizeof q);
	q.ids = actor;
	q.x = x;
	q.deadline = clock_real_ms() + q.ids->deadline_ms;
	rim_errors_init(&q.errs);
	buf_init(&q.docs, RAD69_MAX_BODY);
	if ((q.att = calloc(RAD69_MAX_DOCS, sizeof *q.att)) == NULL ||
	    (q.items = calloc(RAD69_MAX_DOCS, sizeof *q.items)) == NULL)
		goto nomem;
	read_ts(&q, req->body);
	for (st = xml_first_elem(req->body); st != NULL;
	    st = xml_next_elem(st)) {
		if (!xml_is(st, NS_XDSI, "StudyRequest"))
			continue;
		if (uid_of(st, "studyInstanceUID", "StudyInstanceUID", study,
		    sizeof study) != 0)
			study[0] = '\0';
		for (se = xml_first_elem(st); se != NULL;
		    se = xml_next_elem(se)) {
			if (!xml_is(se, NS_XDSI, "SeriesRequest"))
				continue;
			if (uid_of(se, "seriesInstanceUID",
			    "SeriesInstanceUID", series, sizeof series) != 0)
				series[0] = '\0';
			for (dr = xml_first_elem(se); dr != NULL;
			    dr = xml_next_elem(dr)) {
				if (!xml_is(dr, NS_XDSB, "DocumentRequest"))
					continue;
				if (++q.nreq > RAD69_MAX_DOCS) {
					str_fmt(x->reason, sizeof x->reason,
					    "more than %d DocumentRequests",
					    RAD69_MAX_DOCS);
					goto out;
				}
				if (q.nts == 0) {
					/* nothing we could send it in */
					if (rim_errors_add(&q.errs, 0,
					    ERR_REPOSITORY, NULL, "no known "
					    "TransferSyntaxUID in the request: "
					    "IDS cannot encode the pixel data "
					    "using any of the requested "
					    "transfer syntaxes") != 0)
						goto nomem;
					xact_add_error(x, ERR_REPOSITORY);
					continue;
				}
				if (resolve(&q, dr, study, series) != 0)
					goto nomem;
			}
		}
	}
	for (i = 0; i < q.nitems; i++)
		if (answer(&q, i) != 0)
			goto nomem;
	dcmfetch_close(q.pacs);	/* released before the answer leaves */
	q.pacs = NULL;
	if (q.nreq == 0) {
		if (rim_errors_add(&q.errs, 0, ERR_DOCUMENT_UNIQUEID, NULL,
		    "RetrieveImagingDocumentSetRequest without "
		    "Study/Series/DocumentRequest") != 0)
			goto nomem;
		xact_add_error(x, ERR_DOCUMENT_UNIQUEID);
	}
	if (q.nfound == 0)
		status = ST_FAILURE;
	else if (rim_errors_nerror(&q.errs) > 0) {
		status = ST_PARTIAL;
		x->outcome = XACT_PARTIAL;
	} else
		status = ST_SUCCESS;
	if (rim_write_retrieve_response(&reply->body, status, &q.errs,
	    &q.docs) != XDS_OK)
		goto nomem;
	if (q.nfound > 0) {
		reply->att = q.att;
		reply->natt = q.nfound;
		q.att = NULL;
	}
	ret = 0;
	goto out;
nomem:
	str_fmt(x->reason, sizeof x->reason, "RAD-69: out of memory");
out:
	if (q.att != NULL)	/* not handed over: its own files go */
		for (i = 0; i < q.nfound; i++)
			if (q.att[i].unlink_after)
				unlink(q.att[i].path);
	dcmfetch_close(q.pacs);
	free(q.items);
	free(q.att);
	buf_free(&q.docs);
	rim_errors_free(&q.errs);
	return ret;
}

/* mkdir (0700) each of root, root/tmp, root/tmp/rad69, and remove the
 * answer files a crash left in the last. */
static int
tmp_prepare(struct rad69_source *s, char *err, size_t errlen)
{
	char p[PATH_SZ];
	DIR *d;
	struct dirent *e;

	if (str_fmt(p, sizeof p, "%s/tmp", s->root) < 0 ||
	    (mkdir(s->root, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(p, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(s->tmp, 0700) != 0 && errno != EEXIST) ||
	    (d = opendir(s->tmp)) == NULL) {
		str_fmt(err, errlen, "%s: %s", s->tmp, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, TMP_PREFIX, sizeof TMP_PREFIX - 1) ==
		    0 && str_fmt(p, sizeof p, "%s/%s", s->tmp, e->d_name) >= 0)
			unlink(p);
	closedir(d);
	return 0;
}

int
rad69_open(const struct conf *cf, struct rad69_source **out, char *err,
    size_t errlen)
{
	struct rad69_source *s;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (str_fmt(s->root, sizeof s->root, "%s/dicom", cf->node_state_dir) <
	    0 || str_fmt(s->tmp, sizeof s->tmp, "%s/tmp/rad69", s->root) < 0 ||
	    str_lcpy(s->repo_uid, cf->dicom_retrieve_location_uid[0] !=
	    '\0' ? cf->dicom_retrieve_location_uid : cf->repository_unique_id,
	    sizeof s->repo_uid) >= sizeof s->repo_uid ||
	    str_lcpy(s->ae_title, cf->dicom_ae_title, sizeof s->ae_title) >=
	    sizeof s->ae_title) {
		str_fmt(err, errlen, "node.state_dir, dicom.ae_title or the "
		    "Retrieve Location UID too long");
		goto fail;
	}
	s->timeout = cf->dicom_timeout > 0 && cf->dicom_timeout < 3600 ?
	    (int)cf->dicom_timeout : 30;
	s->deadline_ms = (cf->dicom_retrieve_deadline > 0 ?
	    cf->dicom_retrieve_deadline : 600) * 1000LL;
	s->max_doc = cf->repository_max_document_size > 0 ?
	    cf->repository_max_document_size : (1LL << 30);
	s->max_tmp = s->max_doc > LLONG_MAX / RAD69_TMP_DOCS ? LLONG_MAX :
	    RAD69_TMP_DOCS * s->max_doc;
	/* Needed in proxy mode; in store mode only for header-only copies
	 * left by an earlier proxy mode (then RAD-69 says what is wrong). */
	if (cf->dicom_pacs[0] != '\0' && conf_split_ae(cf->dicom_pacs,
	    s->pacs_ae, sizeof s->pacs_ae, s->pacs_host, sizeof s->pacs_host,
	    &s->pacs_port) != 0) {
		s->pacs_port = 0;
		if (strcmp(cf->dicom_mode, "proxy") == 0) {
			str_fmt(err, errlen, "dicom.pacs: \"%s\" is not "
			    "AE@host:port", cf->dicom_pacs);
			goto fail;
		}
	}
	if (tmp_prepare(s, err, errlen) != 0)
		goto fail;
	s->route = (struct soap_route){ ACT_RAD69, ACT_RAD69_RSP,
	    TXN_RAD69, NS_XDSI, "RetrieveImagingDocumentSetRequest",
	    PACK_MTOM, rad69 };
	s->ep.path = RAD69_PATH;
	s->ep.routes = &s->route;
	s->ep.nroutes = 1;
	s->ep.actor = s;
	*out = s;
	return 0;
fail:
	rad69_close(s);
	return -1;
}

void
rad69_close(struct rad69_source *s)
{
	if (s == NULL)
		return;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const struct soap_endpoint *
rad69_endpoint(struct rad69_source *s)
{
	return &s->ep;
}
