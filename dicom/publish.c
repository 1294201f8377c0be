/*
 * publish.c: a ready study becomes a KOS manifest registered by RAD-68
 * (publish.h).
 *
 * The request is what an Imaging Document Source sends over the wire: a
 * ProvideAndRegisterDocumentSetRequest whose Document is an xop:Include
 * of the KOS file.  It goes to the repository peer (publish_links): with
 * dicom.repository_url empty that is the repository endpoint's ITI-41
 * route in process (the way registry_client.c calls the registry); with
 * it set, an MTOM/XOP SOAP 1.2 message (RAD-68 is ITI-41 on the wire),
 * and the RegistryResponse in the MTOM or simple SOAP answer decides.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "actor.h"
#include "bridge_db.h"
#include "buf.h"
#include "ebrim.h"
#include "fileio.h"
#include "hl7dt.h"
#include "log.h"
#include "mtom.h"
#include "publish.h"
#include "soap.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define PATH_SZ		1024
#define PUB_MAX_REFS	100000		/* instances in one manifest */
#define PUB_MAX_MODS	8		/* modalities in eventCodeList */
#define PUB_MAX_XML	(4UL * 1024 * 1024)
#define PUB_MAX_REPLY	(1UL * 1024 * 1024)
#define PUB_TIMEOUT	300			/* seconds for one remote RAD-68 */
#define PUB_CID		"kos@xdsnode.dicom"

struct pub {
	const struct conf	*cf;
	struct bridge_db	*db;
	char			 root[PATH_SZ];		/* state_dir/dicom */
	struct dcmshim_kos_ref	*refs;
	char			(*uids)[3][DCMSHIM_UI_SZ];
	size_t			 n, cap;
	struct dcmshim_info	 hdr;
	char			 mods[PUB_MAX_MODS][17];
	size_t			 nmods;
};

/* "code^display^scheme", each part non-empty and bounded. */
static int
code_parse(const char *spec, const char *opt, struct rim_code *c, char *err,
    size_t errlen)
{
	if (rim_code_parse(spec, c) != 0) {
		str_fmt(err, errlen, "%s: \"%.100s\" is not "
		    "code^display^codingScheme", opt, spec);
		return -1;
	}
	return 0;
}

static int
add_ref(void *arg, const char *series, const char *sop_class,
    const char *sop_uid)
{
	struct pub *p = arg;
	void *nu, *nr;
	size_t cap;

	if (p->n == PUB_MAX_REFS)
		return 1;
	if (p->n == p->cap) {
		cap = p->cap == 0 ? 64 : p->cap * 2;
		if ((nu = realloc(p->uids, cap * sizeof *p->uids)) == NULL)
			return 1;
		p->uids = nu;
		if ((nr = realloc(p->refs, cap * sizeof *p->refs)) == NULL)
			return 1;
		p->refs = nr;
		p->cap = cap;
	}
	str_lcpy(p->uids[p->n][0], series, DCMSHIM_UI_SZ);
	str_lcpy(p->uids[p->n][1], sop_class, DCMSHIM_UI_SZ);
	str_lcpy(p->uids[p->n][2], sop_uid, DCMSHIM_UI_SZ);
	p->n++;
	return 0;
}

/* The header of the study's first instance, and the modality of the
 * first instance of every series. */
static int
read_headers(struct pub *p, const char *study_uid, char *err, size_t errlen)
{
	struct dcmshim_info in;
	char path[PATH_SZ], e[256];
	size_t i, k;

	for (i = 0; i < p->n; i++) {
		p->refs[i].series_uid = p->uids[i][0];
		p->refs[i].sop_class = p->uids[i][1];
		p->refs[i].sop_uid = p->uids[i][2];
		if (i > 0 && strcmp(p->uids[i][0], p->uids[i - 1][0]) == 0)
			continue;
		if (str_fmt(path, sizeof path, "%s/%s/%s/%s.dcm", p->root,
		    study_uid, p->uids[i][0], p->uids[i][2]) < 0 ||
		    dcmshim_parse_file(path, &in, e, sizeof e) != 0) {
			str_fmt(err, errlen, "instance %s: %s", p->uids[i][2],
			    e);
			return -1;
		}
		if (i == 0)
			p->hdr = in;
		if (in.modality[0] == '\0')
			continue;
		for (k = 0; k < p->nmods; k++)
			if (strcmp(p->mods[k], in.modality) == 0)
				break;
		if (k == p->nmods && p->nmods < PUB_MAX_MODS)
			str_lcpy(p->mods[p->nmods++], in.modality,
			    sizeof p->mods[0]);
	}
	return 0;
}

/* DICOM DA + TM (HHMMSS.frac) into a DTM of 8 to 14 digits; "" when the
 * date is not 8 digits. */
static void
service_time(const struct dcmshim_info *h, char out[15])
{
	size_t i, n;

	out[0] = '\0';
	if (strlen(h->study_date) != 8 ||
	    strspn(h->study_date, "0123456789") != 8)
		return;
	memcpy(out, h->study_date, 8);
	n = strspn(h->study_time, "0123456789");
	if (n > 6)
		n = 6;
	n -= n % 2;
	for (i = 0; i < n; i++)
		out[8 + i] = h->study_time[i];
	out[8 + n] = '\0';
}

/* Append raw (esc 0) or with the HL7 v2 delimiters escaped (esc 1) at
 * out[*o]; -1 when it does not fit. */
static int
cx_add(const char *s, int esc, char *out, size_t outsz, size_t *o)
{
	const char *r;
	size_t n;

	for (; *s != '\0'; s++) {
		r = NULL;
		if (esc) {
			switch (*s) {
			case '^':	r = "\\S\\"; break;
			case '&':	r = "\\T\\"; break;
			case '\\':	r = "\\E\\"; break;
			case '~':	r = "\\R\\"; break;
			case '|':	r = "\\F\\"; break;
			default:	break;
			}
		}
		n = r != NULL ? strlen(r) : 1;
		if (*o + n >= outsz)
			return -1;
		memcpy(out + *o, r != NULL ? r : s, n);
		*o += n;
		out[*o] = '\0';
	}
	return 0;
}

int
publish_accession_cxi(const struct dcmshim_info *h, const char *default_oid,
    char *out, size_t outsz)
{
	const char *oid = h->accession_issuer_oid;
	size_t o = 0;
	int rc;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (oid[0] == '\0' && default_oid != NULL)
		oid = default_oid;
	if (h->accession[0] == '\0' ||
	    (oid[0] == '\0' && h->accession_issuer_ns[0] == '\0'))
		return 1;
	rc = cx_add(h->accession, 1, out, outsz, &o);
	rc |= cx_add("^^^", 0, out, outsz, &o);
	if (oid[0] != '\0') {
		rc |= cx_add("&", 0, out, outsz, &o);
		rc |= cx_add(oid, 1, out, outsz, &o);
		rc |= cx_add("&ISO", 0, out, outsz, &o);
	} else
		rc |= cx_add(h->accession_issuer_ns, 1, out, outsz, &o);
	rc |= cx_add("^" REFID_ACCESSION, 0, out, outsz, &o);
	if (rc != 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* The ProvideAndRegisterDocumentSetRequest for the KOS. */
static int
metadata(struct pub *p, const char *bsn, const char *kos_uid,
    const char *de, const char *ssuid, const char *prev, struct buf *b,
    char *err, size_t errlen)
{
	const struct conf *cf = p->cf;
	struct rim_code cls, typ, fac, pra, c;
	char ss[SOAP_UUID_LEN], id[SOAP_UUID_LEN];
	char pid[128], now[16], sst[15], sref[128], aref[256];
	time_t t = time(NULL);
	struct tm tm;
	size_t i;
	int rc;

	if (code_parse(cf->dicom_class_code, "dicom.class_code", &cls, err,
	    errlen) != 0 || code_parse(cf->dicom_type_code,
	    "dicom.type_code", &typ, err, errlen) != 0 ||
	    code_parse(cf->dicom_facility_code, "dicom.facility_code", &fac,
	    err, errlen) != 0 || code_parse(cf->dicom_practice_code,
	    "dicom.practice_code", &pra, err, errlen) != 0)
		return -1;
	/* The SubmissionSet's entryUUID may be new on every send: the
	 * uniqueId is what a registry holds unique (and what tells us a
	 * resend is registered already). */
	if (soap_uuid(ss, sizeof ss) != 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof now, "%Y%m%d%H%M%S", &tm) == 0) {
		str_fmt(err, errlen, "cannot make identifiers");
		return -1;
	}
	if (hl7_lang_valid(cf->dicom_language_code,
	    strlen(cf->dicom_language_code)) != 0) {
		str_fmt(err, errlen, "dicom.language_code: \"%.40s\" is not a "
		    "language tag (RFC 5646, e.g. nl-NL)",
		    cf->dicom_language_code);
		return -1;
	}
	if (str_fmt(sref, sizeof sref, "%s^^^^%s", p->hdr.study_uid,
	    REFID_STUDYUID) < 0 || publish_accession_cxi(&p->hdr,
	    cf->dicom_accession_issuer, aref, sizeof aref) < 0) {
		str_fmt(err, errlen, "referenceIdList: value too long");
		return -1;
	}
	str_fmt(pid, sizeof pid, "%s^^^&%s&ISO", bsn, OID_BSN);
	service_time(&p->hdr, sst);

	rc = buf_addf(b, "<xdsb:ProvideAndRegisterDocumentSetRequest "
	    "xmlns:xdsb=\"%s\"><lcm:SubmitObjectsRequest xmlns:lcm=\"%s\" "
	    "xmlns:rim=\"%s\"><rim:RegistryObjectList>", NS_XDSB, NS_LCM,
	    NS_RIM);
	/* DocumentEntry */
	rc |= buf_addf(b, "<rim:ExtrinsicObject id=\"%s\" objectType=\"%s\" "
	    "mimeType=\"application/dicom\">", de, OT_DE_STABLE);
	rc |= rim_put_slot(b, SLOT_CREATIONTIME, now, NULL);
	rc |= rim_put_slot(b, SLOT_LANGUAGECODE, cf->dicom_language_code,
	    NULL);
	rc |= rim_put_slot(b, SLOT_SOURCEPATIENTID, pid, NULL);
	if (sst[0] != '\0')
		rc |= rim_put_slot(b, SLOT_SERVICESTART, sst, NULL);
	rc |= rim_put_slot(b, SLOT_REFERENCEIDLIST, sref, aref[0] != '\0' ?
	    aref : NULL);
	rc |= rim_put_name(b, "Imaging study manifest");
	rc |= rim_put_code(b, de, CS_DE_CLASSCODE, &cls);
	str_lcpy(c.code, "N", sizeof c.code);
	str_lcpy(c.display, "normal", sizeof c.display);
	str_lcpy(c.scheme, "2.16.840.1.113883.5.25", sizeof c.scheme);
	rc |= rim_put_code(b, de, CS_DE_CONFCODE, &c);
	for (i = 0; i < p->nmods; i++) {
		str_lcpy(c.code, p->mods[i], sizeof c.code);
		str_lcpy(c.display, p->mods[i], sizeof c.display);
		str_lcpy(c.scheme, CSCHEME_DCM, sizeof c.scheme);
		rc |= rim_put_code(b, de, CS_DE_EVENTCODE, &c);
	}
	str_lcpy(c.code, FMT_KOS, sizeof c.code);
	str_lcpy(c.display, "Key Object Selection Document", sizeof c.display);
	str_lcpy(c.scheme, CSCHEME_DICOM_UID, sizeof c.scheme);
	rc |= rim_put_code(b, de, CS_DE_FORMATCODE, &c);
	rc |= rim_put_code(b, de, CS_DE_HCFTCODE, &fac);
	rc |= rim_put_code(b, de, CS_DE_PRACTICECODE, &pra);
	rc |= rim_put_code(b, de, CS_DE_TYPECODE, &typ);
	rc |= rim_put_extid(b, de, EI_DE_PATIENTID, pid, EIN_DE_PATIENTID);
	rc |= rim_put_extid(b, de, EI_DE_UNIQUEID, kos_uid, EIN_DE_UNIQUEID);
	rc |= buf_adds(b, "</rim:ExtrinsicObject>");
	/* SubmissionSet */
	rc |= buf_addf(b, "<rim:RegistryPackage id=\"%s\">", ss);
	rc |= rim_put_slot(b, SLOT_SUBMISSIONTIME, now, NULL);
	rc |= rim_put_name(b, "DICOM bridge");
	rc |= rim_put_code(b, ss, CS_SS_CONTENTTYPE, &typ);
	rc |= rim_put_extid(b, ss, EI_SS_UNIQUEID, ssuid, EIN_SS_UNIQUEID);
	rc |= rim_put_extid(b, ss, EI_SS_SOURCEID, cf->repository_unique_id,
	    EIN_SS_SOURCEID);
	rc |= rim_put_extid(b, ss, EI_SS_PATIENTID, pid, EIN_SS_PATIENTID);
	rc |= buf_adds(b, "</rim:RegistryPackage>");
	if (soap_uuid(id, sizeof id) != 0)
		rc = -1;
	rc |= buf_addf(b, "<rim:Classification id=\"%s\" classifiedObject=\"%s\""
	    " classificationNode=\"%s\"/>", id, ss, NODE_SUBMISSIONSET);
	if (soap_uuid(id, sizeof id) != 0)
		rc = -1;
	rc |= buf_addf(b, "<rim:Association id=\"%s\" associationType=\"%s\" "
	    "sourceObject=\"%s\" targetObject=\"%s\">", id, AT_HASMEMBER, ss,
	    de);
	rc |= rim_put_slot(b, SLOT_SSSTATUS, SSSTATUS_ORIGINAL, NULL);
	rc |= buf_adds(b, "</rim:Association>");
	if (prev != NULL && prev[0] != '\0') {
		if (soap_uuid(id, sizeof id) != 0)
			rc = -1;
		rc |= buf_addf(b, "<rim:Association id=\"%s\" associationType="
		    "\"%s\" sourceObject=\"%s\" targetObject=\"", id, AT_RPLC,
		    de) | buf_add_xml(b, prev) | buf_adds(b, "\"/>");
	}
	rc |= buf_addf(b, "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
	    "<xdsb:Document id=\"%s\"><xop:Include xmlns:xop=\"%s\" "
	    "href=\"cid:%s\"/></xdsb:Document>"
	    "</xdsb:ProvideAndRegisterDocumentSetRequest>", de, NS_XOP, PUB_CID);
	if (rc != 0) {
		str_fmt(err, errlen, "manifest metadata too large");
		return -1;
	}
	return 0;
}

/* 1 when text names uid as a whole UID (not a prefix or suffix of a
 * longer one). */
static int
names_uid(const char *text, const char *uid)
{
	const char *p;
	size_t n;

	if (text == NULL || uid == NULL || (n = strlen(uid)) == 0)
		return 0;
	for (p = strstr(text, uid); p != NULL; p = strstr(p + 1, uid))
		if ((p == text || strchr("0123456789.", p[-1]) == NULL) &&
		    (p[n] == '\0' || strchr("0123456789.", p[n]) == NULL))
			return 1;
	return 0;
}

/* An error that says nothing about the submission, only that it could
 * not be handled now: the registry may or may not hold it. */
static int
transient(const char *code)
{
	static const char *const t[] = {
		ERR_REGISTRY_NOT_AVAILABLE, ERR_REGISTRY, ERR_REGISTRY_BUSY,
		ERR_REGISTRY_OUT_OF_RESOURCES, ERR_REPOSITORY,
		ERR_REPOSITORY_BUSY, ERR_REPOSITORY_OUT_OF_RESOURCES,
	};

	return str_in(code, t, sizeof t / sizeof t[0]);
}

/*
 * Why only XDSDuplicateUniqueIdInRegistry proves an earlier send: the
 * SubmissionSet uniqueId we resend is ours alone, and every registry must
 * refuse it twice (ITI TF-3 4.2.4, our registry's R8), whatever else it
 * finds wrong in the resend; registries that keep DocumentEntry uniqueIds
 * unique say the same of the KOS UID.  The other consequences of a
 * registered send (our registry: XDSRegistryMetadataError for the reused
 * entryUUID, XDSRegistryDeprecatedDocumentError for an RPLC target that
 * send replaced) come with it and are not needed to decide.  Matching
 * them alone would take a metadata error naming our entryUUID for any
 * other reason as proof.
 */
enum publish_rad68_outcome
publish_rad68_outcome(const char *data, size_t len, const char *unique_id,
    const char *ss_uid, char *err, size_t errlen)
{
	enum publish_rad68_outcome oc = PUBLISH_RAD68_UNKNOWN;
	xmlDoc *doc;
	xmlNode *r, *l, *e;
	const char *st, *code, *ctx, *sev;
	char reason[SOAP_REASON_MAX];
	size_t nerr = 0;
	int first = 1, tr = 0;

	if ((doc = xml_parse(data, len, err, errlen)) == NULL)
		return PUBLISH_RAD68_UNKNOWN;
	r = soap_body_elem(xmlDocGetRootElement(doc));
	if (r != NULL && xml_is(r, NS_SOAP12, "Fault")) {
		soap_fault_text(r, reason, sizeof reason);
		if (reason[0] != '\0')
			str_fmt(err, errlen, "SOAP fault: %.300s", reason);
		else
			str_fmt(err, errlen, "SOAP fault");
		goto out;
	}
	if (r == NULL || !xml_is(r, NS_RS, "RegistryResponse") ||
	    (st = xml_attr(r, "status")) == NULL) {
		str_fmt(err, errlen, "the repository answered no "
		    "RegistryResponse");
		goto out;
	}
	if (strcmp(st, ST_SUCCESS) == 0) {
		oc = PUBLISH_RAD68_SUCCESS;
		goto out;
	}
	str_fmt(err, errlen, "%.100s", st);
	for (l = xml_first_elem(r); l != NULL; l = xml_next_elem(l))
		for (e = xml_is(l, NS_RS, "RegistryErrorList") ?
		    xml_first_elem(l) : NULL; e != NULL; e = xml_next_elem(e)) {
			if (!xml_is(e, NS_RS, "RegistryError"))
				continue;
			code = xml_attr(e, "errorCode");
			ctx = xml_attr(e, "codeContext");
			sev = xml_attr(e, "severity");
			if (code == NULL)
				code = "?";
			if (first)
				str_fmt(err, errlen, "%.60s: %.300s", code,
				    ctx ? ctx : "");
			first = 0;
			if (sev != NULL && strcmp(sev, SEV_WARNING) == 0)
				continue;
			if (strcmp(code, ERR_DUP_UNIQUEID_IN_REGISTRY) == 0 &&
			    (names_uid(ctx, ss_uid) ||
			    names_uid(ctx, unique_id))) {
				str_fmt(err, errlen, "%.60s: %.300s", code,
				    ctx ? ctx : "");
				oc = PUBLISH_RAD68_REGISTERED;
				goto out;
			}
			tr |= transient(code);
			nerr++;
		}
	if (strcmp(st, ST_FAILURE) == 0 && nerr > 0 && !tr)
		oc = PUBLISH_RAD68_REJECTED;
out:
	xmlFreeDoc(doc);
	return oc;
}

int
publish_rad68_reply(const char *data, size_t len, char *err, size_t errlen)
{
	return publish_rad68_outcome(data, len, NULL, NULL, err, errlen) ==
	    PUBLISH_RAD68_SUCCESS;
}

int
publish_links_usable(const struct conf *cf, const struct publish_links *l)
{
	(void)cf;
	return l != NULL && l->repository != NULL;
}

/* The RAD-68 request: the metadata, the KOS file as its attachment. */
static int
rad68_call(struct soap_call *c, struct buf *xml, struct mtom_attachment *att,
    const char *kos_path, const char *spool, char *err, size_t errlen)
{
	struct stat sb;

	soap_call_init(c, ACT_ITI41, PACK_MTOM);
	if (stat(kos_path, &sb) != 0) {
		str_fmt(err, errlen, "%s: %s", kos_path, strerror(errno));
		return -1;
	}
	memset(att, 0, sizeof *att);
	str_lcpy(att->cid, PUB_CID, sizeof att->cid);
	str_lcpy(att->content_type, "application/dicom",
	    sizeof att->content_type);
	str_lcpy(att->path, kos_path, sizeof att->path);
	att->size = sb.st_size;
	c->req.body_xml = xml->b_data;
	c->req.body_len = xml->b_len;
	c->req.att = att;
	c->req.natt = 1;
	c->req.bounds.timeout = PUB_TIMEOUT;
	c->req.bounds.max_answer = PUB_MAX_REPLY;
	c->req.bounds.max_part = PUB_MAX_REPLY;
	c->req.bounds.max_parts = 4;
	c->req.bounds.spool_dir = spool;
	return 0;
}

/*
 * RAD-68 to the repository peer, audited (one record): what the answer
 * says about the manifest kos_uid / ssuid (no answer:
 * PUBLISH_RAD68_UNKNOWN).  In process the repository's handler fills the
 * record; a failure there is "repository: <its reason>".
 */
static enum publish_rad68_outcome
rad68(const struct conf *cf, const struct publish_links *l, struct buf *xml,
    const char *kos_path, const char *spool, const char *study_uid,
    const char *pid, const char *kos_uid, const char *ssuid, char *err,
    size_t errlen)
{
	enum publish_rad68_outcome oc = PUBLISH_RAD68_UNKNOWN;
	struct mtom_attachment att;
	struct soap_call c;
	struct xact x;
	int local = soap_peer_is_local(l->repository);

	xact_begin(&x, cf, "dicom", soap_peer_target(l->repository),
	    soap_peer_addr(l->repository));
	x.outbound = 1;		/* the bridge asks */
	str_lcpy(x.txn, TXN_RAD68, sizeof x.txn);
	str_lcpy(x.action, ACT_ITI41, sizeof x.action);
	xact_set_patient(&x, pid);
	xact_set_object(&x, study_uid);
	if (rad68_call(&c, xml, &att, kos_path, spool, err, errlen) != 0) {
		xact_fail(&x, XACT_FAULT, err);
		x.http_status = 500;
		goto out;
	}
	c.req.x = &x;
	if (soap_peer_call(l->repository, &c) != XDS_OK ||
	    (local && c.ans.fault)) {
		if (c.ans.status != XDS_OK)
			str_lcpy(err, c.ans.err, errlen);
		else
			str_fmt(err, errlen, "repository: %s",
			    c.ans.fault_reason);
		xact_fail(&x, XACT_FAULT, err);
		goto out;
	}
	/* A Failure that proves an earlier send registered is still a
	 * failed transaction on the wire: audited as one. */
	if ((oc = publish_rad68_outcome(c.ans.bytes.b_data, c.ans.bytes.b_len,
	    kos_uid, ssuid, err, errlen)) != PUBLISH_RAD68_SUCCESS) {
		xact_fail(&x, XACT_FAILURE, err);
		if (local)
			x.http_status = 500;
	}
out:
	xact_end(&x);
	soap_call_free(&c);
	return oc;
}

/* The identity of one manifest, the same on every send of it. */
struct manifest {
	char	kos_uid[DCMSHIM_UI_SZ];		/* uniqueId, KOS SOP UID */
	char	de[64];				/* DocumentEntry entryUUID */
	char	ssuid[DCMSHIM_UI_SZ];		/* SubmissionSet uniqueId */
	char	path[PATH_SZ];			/* kos/<kos_uid>.dcm */
};

/* The study's instances and the headers the metadata comes from. */
static int
load_study(struct pub *p, const char *study_uid, char *err, size_t errlen)
{
	if (bridge_db_instances(p->db, study_uid, add_ref, p, err,
	    errlen) != 0)
		return -1;
	if (p->n == 0) {
		str_fmt(err, errlen, "study %s has no instances", study_uid);
		return -1;
	}
	return read_headers(p, study_uid, err, errlen);
}

/*
 * A new KOS of p's instances at kos/<uid>.dcm, durable (file, then its
 * directory entry synced) before the attempt that names it is recorded:
 * a recorded attempt always finds its bytes after a crash.
 */
static int
write_kos(struct pub *p, const char *study_uid, const char *bsn,
    struct manifest *m, char *err, size_t errlen)
{
	const struct conf *cf = p->cf;
	struct dcmshim_kos k;
	char dir[PATH_SZ], tmp[PATH_SZ], e[256];
	int fd, rc = -1;

	tmp[0] = '\0';
	if (str_fmt(dir, sizeof dir, "%s/kos", p->root) < 0 ||
	    str_fmt(tmp, sizeof tmp, "%s/tmp/kos-XXXXXX", p->root) < 0) {
		tmp[0] = '\0';
		str_fmt(err, errlen, "node.state_dir: path too long");
		goto out;
	}
	if (fileio_mkdir(dir, 0700, err, errlen) != XDS_OK)
		goto out;
	if ((fd = mkstemp(tmp)) < 0) {
		str_fmt(err, errlen, "%s: %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	close(fd);
	memset(&k, 0, sizeof k);
	k.uid_root = cf->dicom_uid_root;
	k.study_uid = study_uid;
	k.header = &p->hdr;
	k.patient_id = bsn;
	k.patient_issuer = DICOM_ISSUER_BSN;
	k.retrieve_ae = cf->dicom_ae_title;
	k.retrieve_location_uid = cf->dicom_retrieve_location_uid[0] != '\0' ?
	    cf->dicom_retrieve_location_uid : cf->repository_unique_id;
	k.refs = p->refs;
	k.nrefs = p->n;
	if (dcmshim_kos_write(&k, tmp, m->kos_uid, sizeof m->kos_uid, e,
	    sizeof e) != 0) {
		str_fmt(err, errlen, "KOS: %s", e);
		goto out;
	}
	if (str_fmt(m->path, sizeof m->path, "%s/%s.dcm", dir,
	    m->kos_uid) < 0) {
		str_fmt(err, errlen, "%s: path too long", dir);
		goto out;
	}
	if (fileio_commit(NULL, tmp, m->path, err, errlen) != XDS_OK) {
		/* A new name: anything there is this KOS, renamed before
		 * the directory fsync failed. */
		unlink(m->path);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && tmp[0] != '\0')
		unlink(tmp);
	return rc;
}

/*
 * Send manifest m (replacing prev when not "") and settle its attempt by
 * what the answer says: 0 registered, now or by an earlier send of it
 * (the study is published with m); 1 rejected (attempt and KOS dropped:
 * the next try makes a new manifest); -1 outcome unknown (the attempt
 * stays: the next try sends m again).  err says why for 1 and -1.
 */
static int
send_settle(struct pub *p, const struct publish_links *l,
    const char *study_uid, const char *bsn, const struct manifest *m,
    const char *prev, char *err, size_t errlen)
{
	enum publish_rad68_outcome oc;
	struct buf xml;
	char pid[128], spool[PATH_SZ], e[256];
	int rc = -1;

	buf_init(&xml, PUB_MAX_XML);
	if (str_fmt(spool, sizeof spool, "%s/tmp", p->root) < 0) {
		str_fmt(err, errlen, "node.state_dir: path too long");
		goto out;
	}
	if (metadata(p, bsn, m->kos_uid, m->de, m->ssuid, prev, &xml, err,
	    errlen) != 0)
		goto out;
	str_fmt(pid, sizeof pid, "%s^^^&%s&ISO", bsn, OID_BSN);
	oc = rad68(p->cf, l, &xml, m->path, spool, study_uid, pid, m->kos_uid,
	    m->ssuid, err, errlen);
	switch (oc) {
	case PUBLISH_RAD68_REGISTERED:
		log_info("dicom: study %s: manifest %s is registered already "
		    "(an earlier send whose answer was lost): %s", study_uid,
		    m->kos_uid, err);
		/* FALLTHROUGH */
	case PUBLISH_RAD68_SUCCESS:
		if (bridge_db_published(p->db, study_uid, m->de, m->kos_uid,
		    err, errlen) != 0)
			goto out;
		rc = 0;
		break;
	case PUBLISH_RAD68_REJECTED:
		if (bridge_db_attempt_drop(p->db, study_uid, m->kos_uid, e,
		    sizeof e) != 0) {
			log_warnx("dicom: %s", e);
			goto out;
		}
		unlink(m->path);
		rc = 1;
		break;
	case PUBLISH_RAD68_UNKNOWN:
		break;
	}
out:
	buf_free(&xml);
	return rc;
}

static void
log_published(const struct pub *p, const char *study_uid,
    const struct manifest *m, const char *prev)
{
	log_info("dicom: study %s published%s%s: %zu instance(s), manifest "
	    "%s%s%s", study_uid, p->cf->dicom_repository_url[0] != '\0' ?
	    " to " : "", p->cf->dicom_repository_url, p->n, m->kos_uid,
	    prev[0] != '\0' ? ", replacing " : "", prev);
}

int
publish_study(const struct conf *cf, struct bridge_db *db,
    const struct publish_links *l, const char *study_uid, char *err,
    size_t errlen)
{
	struct bridge_db_study_row row;
	struct manifest m;
	struct pub p;
	char e[256];
	long long rev;
	int rc = -1;

	memset(&p, 0, sizeof p);
	memset(&m, 0, sizeof m);
	p.cf = cf;
	p.db = db;
	if (!publish_links_usable(cf, l)) {
		str_fmt(err, errlen, cf->dicom_repository_url[0] == '\0' ?
		    "no repository runs in this node (repository.enabled)" :
		    "dicom.repository_url is set but no peer was given for it");
		goto out;
	}
	if (bridge_db_study(db, study_uid, &row, err, errlen) != 0)
		goto out;
	if (row.bsn[0] == '\0') {
		str_fmt(err, errlen, "study %s has no BSN", study_uid);
		goto out;
	}
	if (str_fmt(p.root, sizeof p.root, "%s/dicom", cf->node_state_dir) <
	    0) {
		str_fmt(err, errlen, "node.state_dir: path too long");
		goto out;
	}
	/* rev before the instances are listed: a manifest never claims an
	 * instance it lacks (one added meanwhile only costs a new one). */
	rev = row.rev;
	if (load_study(&p, study_uid, err, errlen) != 0)
		goto out;

	/*
	 * An attempt of unknown outcome is settled before anything else: a
	 * new manifest must replace what the registry holds, and only the
	 * same submission sent again can tell whether the attempt is there
	 * (it is registered now, or the registry says it was).  Its
	 * metadata is made again from the instances now known; the uniqueId,
	 * entryUUID, SubmissionSet uniqueId, KOS bytes and replaced entry
	 * (published entries change only when an attempt is settled) are the
	 * attempt's.
	 */
	if (row.attempt_unique_id[0] != '\0') {
		str_lcpy(m.kos_uid, row.attempt_unique_id, sizeof m.kos_uid);
		str_lcpy(m.de, row.attempt_entry_uuid, sizeof m.de);
		str_lcpy(m.ssuid, row.attempt_ss_uid, sizeof m.ssuid);
		if (str_fmt(m.path, sizeof m.path, "%s/kos/%s.dcm", p.root,
		    m.kos_uid) < 0) {
			str_fmt(err, errlen, "node.state_dir: path too long");
			goto out;
		}
		if (access(m.path, R_OK) != 0) {
			/* Synced before the attempt was recorded, so removed
			 * by hand: the same bytes cannot go again.  A new
			 * manifest follows; should the lost one be
			 * registered, the study has two entries. */
			log_warnx("dicom: study %s: %s: %s: the manifest in "
			    "flight is given up", study_uid, m.path,
			    strerror(errno));
			if (bridge_db_attempt_drop(db, study_uid, m.kos_uid,
			    err, errlen) != 0)
				goto out;
		} else {
			if (send_settle(&p, l, study_uid, row.bsn, &m,
			    row.entry_uuid, err, errlen) != 0)
				goto out;
			log_published(&p, study_uid, &m, row.entry_uuid);
			if (row.attempt_rev >= rev) {
				rc = 0;
				goto out;
			}
			/* Instances came since: a new manifest of them all
			 * replaces the one just settled. */
			if (bridge_db_study(db, study_uid, &row, err,
			    errlen) != 0)
				goto out;
		}
	}

	if (write_kos(&p, study_uid, row.bsn, &m, err, errlen) != 0)
		goto out;
	if (soap_uuid(m.de, sizeof m.de) != 0 ||
	    dcmshim_uid_new(cf->dicom_uid_root, m.ssuid, sizeof m.ssuid, e,
	    sizeof e) != 0) {
		str_fmt(err, errlen, "cannot make identifiers");
		unlink(m.path);
		goto out;
	}
	if (bridge_db_attempt(db, study_uid, m.kos_uid, m.de, m.ssuid, rev,
	    err, errlen) != 0) {
		unlink(m.path);
		goto out;
	}
	if (send_settle(&p, l, study_uid, row.bsn, &m, row.entry_uuid, err,
	    errlen) != 0)
		goto out;
	log_published(&p, study_uid, &m, row.entry_uuid);
	rc = 0;
out:
	free(p.refs);
	free(p.uids);
	return rc;
}
