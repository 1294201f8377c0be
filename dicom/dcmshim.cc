// dcmshim.cc: DICOM files, UIDs and the KOS manifest behind dcmshim.h.
//
// C++17; with dcmnet.cc the only translation units that include DCMTK.
// Every exported function catches everything: no exception reaches C.
#include "dcmtk/config/osconfig.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmsr/dsrdoc.h"
#include "dcmtk/dcmsr/codes/dcm.h"

#include "dcmshim.h"
#include "dcmshim_int.h"

void
dcmshim_seterr(char *err, size_t errlen, const char *msg)
{
	if (err == nullptr || errlen == 0)
		return;
	std::snprintf(err, errlen, "%s", msg);
}

static int
copy_out(const OFString &v, char *out, size_t outlen, const char *what,
    char *err, size_t errlen)
{
	if (v.length() >= outlen) {
		std::string m = std::string(what) + ": value longer than " +
		    std::to_string(outlen - 1) + " characters";
		dcmshim_seterr(err, errlen, m.c_str());
		return DCMSHIM_ERANGE;
	}
	std::memcpy(out, v.c_str(), v.length() + 1);
	return DCMSHIM_OK;
}

// An optional string attribute: empty when absent.
static int
get_opt(DcmItem *it, const DcmTagKey &tag, char *out, size_t outlen,
    const char *what, char *err, size_t errlen)
{
	OFString v;

	out[0] = '\0';
	if (it->findAndGetOFStringArray(tag, v, OFFalse).bad())
		return DCMSHIM_OK;
	return copy_out(v, out, outlen, what, err, errlen);
}

// A required UID: present, non-empty, syntactically a UID.
static int
get_uid(DcmItem *it, const DcmTagKey &tag, char *out, size_t outlen,
    const char *what, char *err, size_t errlen)
{
	OFString v;
	int rc;

	if (it->findAndGetOFString(tag, v).bad() || v.empty()) {
		std::string m = std::string("missing ") + what;
		dcmshim_seterr(err, errlen, m.c_str());
		return DCMSHIM_ENOTFOUND;
	}
	if ((rc = copy_out(v, out, outlen, what, err, errlen)) != DCMSHIM_OK)
		return rc;
	if (!dcmshim_uid_valid(out)) {
		std::string m = std::string(what) + ": not a valid UID";
		dcmshim_seterr(err, errlen, m.c_str());
		return DCMSHIM_EPARSE;
	}
	return DCMSHIM_OK;
}

// An optional string attribute whose overlong value just means "unknown".
static void
get_soft(DcmItem *it, const DcmTagKey &tag, char *out, size_t outlen)
{
	OFString v;

	out[0] = '\0';
	if (it->findAndGetOFStringArray(tag, v, OFFalse).good() &&
	    v.length() < outlen)
		std::memcpy(out, v.c_str(), v.length() + 1);
}

// IssuerOfAccessionNumberSequence item 1 (HL7 v2 EI as DICOM: namespace
// and/or an ISO universal ID).  Values over their bound are left empty.
static void
accession_issuer(DcmDataset *ds, struct dcmshim_info *out)
{
	DcmItem *it = nullptr;
	char type[17];

	out->accession_issuer_oid[0] = '\0';
	out->accession_issuer_ns[0] = '\0';
	if (ds->findAndGetSequenceItem(DCM_IssuerOfAccessionNumberSequence, it,
	    0).bad() || it == nullptr)
		return;
	get_soft(it, DCM_LocalNamespaceEntityID, out->accession_issuer_ns,
	    sizeof out->accession_issuer_ns);
	get_soft(it, DCM_UniversalEntityIDType, type, sizeof type);
	if (std::strcmp(type, "ISO") == 0) {
		get_soft(it, DCM_UniversalEntityID, out->accession_issuer_oid,
		    sizeof out->accession_issuer_oid);
		if (!dcmshim_uid_valid(out->accession_issuer_oid))
			out->accession_issuer_oid[0] = '\0';
	}
}

static int
extract(DcmFileFormat &ff, struct dcmshim_info *out, char *err, size_t errlen)
{
	DcmDataset *ds = ff.getDataset();
	DcmMetaInfo *mi = ff.getMetaInfo();
	DcmSequenceOfItems *seq = nullptr;
	int rc;

	std::memset(out, 0, sizeof *out);
	if ((rc = get_uid(ds, DCM_SOPClassUID, out->sop_class,
	    sizeof out->sop_class, "SOPClassUID", err, errlen)) != 0 ||
	    (rc = get_uid(ds, DCM_SOPInstanceUID, out->sop_uid,
	    sizeof out->sop_uid, "SOPInstanceUID", err, errlen)) != 0 ||
	    (rc = get_uid(ds, DCM_StudyInstanceUID, out->study_uid,
	    sizeof out->study_uid, "StudyInstanceUID", err, errlen)) != 0 ||
	    (rc = get_uid(ds, DCM_SeriesInstanceUID, out->series_uid,
	    sizeof out->series_uid, "SeriesInstanceUID", err, errlen)) != 0)
		return rc;
	if (mi != nullptr && (rc = get_opt(mi, DCM_TransferSyntaxUID,
	    out->transfer_syntax, sizeof out->transfer_syntax,
	    "TransferSyntaxUID", err, errlen)) != 0)
		return rc;
	if ((rc = get_opt(ds, DCM_PatientID, out->patient.id,
	    sizeof out->patient.id, "PatientID", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_IssuerOfPatientID, out->patient.issuer,
	    sizeof out->patient.issuer, "IssuerOfPatientID", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_PatientName, out->patient_name,
	    sizeof out->patient_name, "PatientName", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_PatientBirthDate, out->birth_date,
	    sizeof out->birth_date, "PatientBirthDate", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_PatientSex, out->sex, sizeof out->sex,
	    "PatientSex", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_AccessionNumber, out->accession,
	    sizeof out->accession, "AccessionNumber", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_Modality, out->modality,
	    sizeof out->modality, "Modality", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_StudyDate, out->study_date,
	    sizeof out->study_date, "StudyDate", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_StudyTime, out->study_time,
	    sizeof out->study_time, "StudyTime", err, errlen)) != 0 ||
	    (rc = get_opt(ds, DCM_StudyID, out->study_id,
	    sizeof out->study_id, "StudyID", err, errlen)) != 0)
		return rc;
	accession_issuer(ds, out);
	if (ds->findAndGetSequence(DCM_OtherPatientIDsSequence, seq).good() &&
	    seq != nullptr) {
		unsigned long i, n = seq->card();

		for (i = 0; i < n && out->nother < DCMSHIM_MAX_OTHER_IDS; i++) {
			DcmItem *it = seq->getItem(i);
			struct dcmshim_pid *p = &out->other[out->nother];

			if (it == nullptr)
				continue;
			if ((rc = get_opt(it, DCM_PatientID, p->id, sizeof p->id,
			    "OtherPatientIDsSequence PatientID", err,
			    errlen)) != 0 ||
			    (rc = get_opt(it, DCM_IssuerOfPatientID, p->issuer,
			    sizeof p->issuer, "OtherPatientIDsSequence "
			    "IssuerOfPatientID", err, errlen)) != 0)
				return rc;
			if (p->id[0] != '\0')
				out->nother++;
		}
	}
	return DCMSHIM_OK;
}

/*
 * DCMTK reading from a memory buffer allocates every value at its declared
 * length before it finds that the bytes are not there (a 400-byte input
 * declaring a 4 GiB element: found by libFuzzer).  Reading from a file it
 * checks lengths against the file size and leaves long values on disk.
 * So the bytes go to an anonymous memory file, parsed by the file path:
 * the very path every received instance takes.
 */
extern "C" int
dcmshim_parse_mem(const void *buf, size_t len, struct dcmshim_info *out,
    char *err, size_t errlen)
{
	const char *p = static_cast<const char *>(buf);
	char path[64];
	size_t off = 0;
	ssize_t n;
	int fd, rc;

	if (buf == nullptr || out == nullptr) {
		dcmshim_seterr(err, errlen, "no input");
		return DCMSHIM_EINVAL;
	}
	if ((fd = memfd_create("dcmshim", MFD_CLOEXEC)) < 0) {
		dcmshim_seterr(err, errlen, std::strerror(errno));
		return DCMSHIM_EIO;
	}
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			dcmshim_seterr(err, errlen, std::strerror(errno));
			close(fd);
			return errno == ENOMEM ? DCMSHIM_ENOMEM : DCMSHIM_EIO;
		}
		off += (size_t)n;
	}
	std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	rc = dcmshim_parse_file(path, out, err, errlen);
	close(fd);
	return rc;
}

extern "C" int
dcmshim_parse_file(const char *path, struct dcmshim_info *out, char *err,
    size_t errlen)
{
	try {
		DcmFileFormat ff;
		OFCondition c;

		if (path == nullptr || out == nullptr) {
			dcmshim_seterr(err, errlen, "no input");
			return DCMSHIM_EINVAL;
		}
		if (access(path, R_OK) != 0) {
			std::string m = std::string(path) + ": " +
			    std::strerror(errno);
			dcmshim_seterr(err, errlen, m.c_str());
			return DCMSHIM_EIO;
		}
		c = ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange,
		    DCM_MaxReadLength, ERM_autoDetect, DCM_PixelData);
		if (c.bad()) {
			dcmshim_seterr(err, errlen, c.text());
			return c == EC_InvalidFilename || c == EC_IllegalCall ?
			    DCMSHIM_EIO : DCMSHIM_EPARSE;
		}
		return extract(ff, out, err, errlen);
	} catch (const std::bad_alloc &) {
		dcmshim_seterr(err, errlen, "out of memory");
		return DCMSHIM_ENOMEM;
	} catch (...) {
		dcmshim_seterr(err, errlen, "internal error in DCMTK");
		return DCMSHIM_EINTERNAL;
	}
}

extern "C" int
dcmshim_ts_known(const char *s)
{
	try {
		return s != nullptr && dcmshim_uid_valid(s) &&
		    DcmXfer(s).getXfer() != EXS_Unknown;
	} catch (...) {
		return 0;
	}
}

extern "C" int
dcmshim_uid_valid(const char *s)
{
	size_t n = 0;
	int comp = 0;		// characters in the current component

	if (s == nullptr)
		return 0;
	for (; s[n] != '\0'; n++) {
		if (n >= 64)
			return 0;
		if (s[n] == '.') {
			if (comp == 0)
				return 0;
			comp = 0;
		} else if (s[n] >= '0' && s[n] <= '9') {
			if (comp == 1 && s[n - 1] == '0')
				return 0;	// "0" alone, never "01"
			comp++;
		} else
			return 0;
	}
	return comp > 0;
}

extern "C" int
dcmshim_uid_new(const char *root, char *out, size_t outlen, char *err,
    size_t errlen)
{
	try {
		char buf[100];

		if (root == nullptr || out == nullptr || !dcmshim_uid_valid(root) ||
		    std::strlen(root) > 24) {
			dcmshim_seterr(err, errlen, "UID root must be a valid "
			    "UID of at most 24 characters");
			return DCMSHIM_EINVAL;
		}
		if (std::strcmp(root, "2.25") == 0) {
			unsigned __int128 v = 0;
			unsigned char rnd[16];
			char dig[48];
			size_t nd = 0, i;

			if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
				dcmshim_seterr(err, errlen, "getrandom failed");
				return DCMSHIM_EIO;
			}
			rnd[6] = (unsigned char)((rnd[6] & 0x0f) | 0x40); // v4
			rnd[8] = (unsigned char)((rnd[8] & 0x3f) | 0x80);
			for (i = 0; i < sizeof rnd; i++)
				v = (v << 8) | rnd[i];
			do {
				dig[nd++] = (char)('0' + (int)(v % 10));
				v /= 10;
			} while (v != 0);
			std::memcpy(buf, "2.25.", 5);
			for (i = 0; i < nd; i++)
				buf[5 + i] = dig[nd - 1 - i];
			buf[5 + nd] = '\0';
		} else
			dcmGenerateUniqueIdentifier(buf, root);
		if (!dcmshim_uid_valid(buf)) {
			dcmshim_seterr(err, errlen, "generated UID is invalid");
			return DCMSHIM_EINTERNAL;
		}
		return copy_out(OFString(buf), out, outlen, "UID", err, errlen);
	} catch (...) {
		dcmshim_seterr(err, errlen, "internal error generating a UID");
		return DCMSHIM_EINTERNAL;
	}
}

static int
kos_fail(const OFCondition &c, const char *what, char *err, size_t errlen)
{
	std::string m = std::string(what) + ": " + c.text();

	dcmshim_seterr(err, errlen, m.c_str());
	return DCMSHIM_EINTERNAL;
}

extern "C" int
dcmshim_kos_write(const struct dcmshim_kos *k, const char *path,
    char *sop_uid, size_t sop_uidlen, char *err, size_t errlen)
{
	try {
		DSRDocument doc(DSRTypes::DT_KeyObjectSelectionDocument);
		char series[DCMSHIM_UI_SZ], inst[DCMSHIM_UI_SZ];
		const struct dcmshim_info *h;
		DcmFileFormat ff;
		OFCondition c;
		size_t i;
		int rc;

		if (k == nullptr || path == nullptr || k->header == nullptr ||
		    k->nrefs == 0 || k->refs == nullptr ||
		    !dcmshim_uid_valid(k->study_uid) || k->retrieve_ae == nullptr ||
		    k->retrieve_ae[0] == '\0' ||
		    !dcmshim_uid_valid(k->retrieve_location_uid)) {
			dcmshim_seterr(err, errlen, "KOS: study UID, at least one "
			    "reference, retrieve AE title and a valid retrieve "
			    "location UID are required");
			return DCMSHIM_EINVAL;
		}
		h = k->header;
		if ((rc = dcmshim_uid_new(k->uid_root, series, sizeof series, err,
		    errlen)) != 0 || (rc = dcmshim_uid_new(k->uid_root, inst,
		    sizeof inst, err, errlen)) != 0)
			return rc;
		if ((c = doc.createNewSeriesInStudy(k->study_uid)).bad())
			return kos_fail(c, "KOS study", err, errlen);
		doc.setPatientID(k->patient_id ? k->patient_id : h->patient.id);
		doc.setIssuerOfPatientID(k->patient_issuer ? k->patient_issuer :
		    h->patient.issuer);
		doc.setPatientName(h->patient_name, OFFalse);
		doc.setPatientBirthDate(h->birth_date, OFFalse);
		doc.setPatientSex(h->sex, OFFalse);
		doc.setAccessionNumber(h->accession, OFFalse);
		doc.setStudyDate(h->study_date, OFFalse);
		doc.setStudyTime(h->study_time, OFFalse);
		doc.setStudyID(h->study_id, OFFalse);
		doc.setManufacturer("xdsnode");
		doc.setSeriesNumber("1");
		doc.setInstanceNumber("1");

		DSRDocumentTree &t = doc.getTree();
		if (t.addContentItem(DSRTypes::RT_isRoot,
		    DSRTypes::VT_Container) == 0)
			return kos_fail(EC_IllegalCall, "KOS root", err, errlen);
		t.getCurrentContentItem().setConceptName(CODE_DCM_Manifest);
		if ((c = t.setTemplateIdentification("2010", "DCMR")).bad())
			return kos_fail(c, "KOS template", err, errlen);
		DSRSOPInstanceReferenceList &ev =
		    doc.getCurrentRequestedProcedureEvidence();
		for (i = 0; i < k->nrefs; i++) {
			const struct dcmshim_kos_ref *r = &k->refs[i];

			if (!dcmshim_uid_valid(r->series_uid) ||
			    !dcmshim_uid_valid(r->sop_class) ||
			    !dcmshim_uid_valid(r->sop_uid)) {
				dcmshim_seterr(err, errlen, "KOS: reference with "
				    "an invalid UID");
				return DCMSHIM_EINVAL;
			}
			if (t.addContentItem(DSRTypes::RT_contains,
			    DSRTypes::VT_Image, i == 0 ? DSRTypes::AM_belowCurrent :
			    DSRTypes::AM_afterCurrent) == 0)
				return kos_fail(EC_IllegalCall, "KOS item", err,
				    errlen);
			if ((c = t.getCurrentContentItem().setImageReference(
			    DSRImageReferenceValue(r->sop_class, r->sop_uid),
			    OFFalse)).bad())
				return kos_fail(c, "KOS image reference", err,
				    errlen);
			if ((c = ev.addItem(k->study_uid, r->series_uid,
			    r->sop_class, r->sop_uid)).bad() ||
			    (c = ev.setRetrieveAETitle(k->retrieve_ae)).bad() ||
			    (c = ev.setRetrieveLocationUID(
			    k->retrieve_location_uid)).bad())
				return kos_fail(c, "KOS evidence", err, errlen);
		}
		DcmDataset *ds = ff.getDataset();
		if ((c = doc.write(*ds)).bad())
			return kos_fail(c, "KOS write", err, errlen);
		// Our own UIDs, not DCMTK's root.
		if ((c = ds->putAndInsertString(DCM_SeriesInstanceUID,
		    series)).bad() || (c = ds->putAndInsertString(
		    DCM_SOPInstanceUID, inst)).bad())
			return kos_fail(c, "KOS UIDs", err, errlen);
		if ((c = ff.saveFile(path, EXS_LittleEndianExplicit)).bad()) {
			std::string m = std::string(path) + ": " + c.text();
			dcmshim_seterr(err, errlen, m.c_str());
			return DCMSHIM_EIO;
		}
		return copy_out(OFString(inst), sop_uid, sop_uidlen,
		    "SOPInstanceUID", err, errlen);
	} catch (const std::bad_alloc &) {
		dcmshim_seterr(err, errlen, "out of memory");
		return DCMSHIM_ENOMEM;
	} catch (...) {
		dcmshim_seterr(err, errlen, "internal error in DCMTK");
		return DCMSHIM_EINTERNAL;
	}
}
