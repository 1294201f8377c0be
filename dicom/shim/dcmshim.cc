// dcmshim.cc: DICOM files, UIDs and the KOS manifest behind dcmshim.h.
//
// C++17; with the other dicom/*.cc the only code that includes DCMTK.
// Every exported function catches everything (dcmshim_exception): no
// exception reaches C.
#include "dcmtk/config/osconfig.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcistrmf.h"
#include "dcmtk/dcmsr/dsrdoc.h"
#include "dcmtk/dcmsr/codes/dcm.h"

#include "dcmlen.h"
#include "dcmshim.h"
#include "dcmshim_int.h"

void
dcmshim_seterr(char *err, size_t errlen, const char *msg)
{
	if (err == nullptr || errlen == 0)
		return;
	std::snprintf(err, errlen, "%s", msg);
}

// DcmItem::checkTransferSyntax, which is protected, again (dcmlen.h).
extern "C" enum dcmlen_enc
dcmshim_guess_enc(const unsigned char *b, size_t len)
{
	if (b == nullptr || len < 6)
		return DCMLEN_EXPLICIT_LE;
	try {
		Uint16 g = OFstatic_cast(Uint16, b[0] | b[1] << 8);
		Uint16 e = OFstatic_cast(Uint16, b[2] | b[3] << 8);
		DcmTag little(g, e), big(swapShort(g), swapShort(e));
		char name[3] = { OFstatic_cast(char, b[4]),
		    OFstatic_cast(char, b[5]), '\0' };
		bool vr = std::isalpha(b[4]) && std::isalpha(b[5]) &&
		    DcmVR(name).isStandard();
		bool lbad = little.error().bad(), bbad = big.error().bad();
		bool be;

		if (lbad && bbad)
			be = false;
		else if (lbad || bbad)
			be = lbad;
		else
			be = little.getGTag() > 0xff && big.getGTag() <= 0xff;
		if (vr)
			return be ? DCMLEN_EXPLICIT_BE : DCMLEN_EXPLICIT_LE;
		return be ? DCMLEN_IMPLICIT_BE : DCMLEN_IMPLICIT_LE;
	} catch (...) {
		// no dictionary entry could be made: DCMTK would fail too
		return DCMLEN_EXPLICIT_LE;
	}
}

int
dcmshim_exception(char *err, size_t errlen, const char *what) noexcept
{
	try {
		throw;
	} catch (const std::bad_alloc &) {
		dcmshim_seterr(err, errlen, "out of memory");
		return XDS_ENOMEM;
	} catch (...) {
		dcmshim_seterr(err, errlen, what != nullptr ? what :
		    "internal error in DCMTK");
		return XDS_EINTERNAL;
	}
}

OFCondition
dcmshim_exception_cond() noexcept
{
	try {
		throw;
	} catch (const std::bad_alloc &) {
		return EC_MemoryExhausted;
	} catch (...) {
		return EC_InternalError;
	}
}

static int
copy_out(const OFString &v, char *out, size_t outlen, const char *what,
    char *err, size_t errlen)
{
	if (v.length() >= outlen) {
		std::string m = std::string(what) + ": value longer than " +
		    std::to_string(outlen - 1) + " characters";
		dcmshim_seterr(err, errlen, m.c_str());
		return XDS_ETOOBIG;
	}
	std::memcpy(out, v.c_str(), v.length() + 1);
	return XDS_OK;
}

// An optional string attribute: empty when absent.
static int
get_opt(DcmItem *it, const DcmTagKey &tag, char *out, size_t outlen,
    const char *what, char *err, size_t errlen)
{
	OFString v;

	out[0] = '\0';
	if (it->findAndGetOFStringArray(tag, v, OFFalse).bad())
		return XDS_OK;
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
		return XDS_ENOTFOUND;
	}
	if ((rc = copy_out(v, out, outlen, what, err, errlen)) != XDS_OK)
		return rc;
	if (!dcmshim_uid_valid(out)) {
		std::string m = std::string(what) + ": not a valid UID";
		dcmshim_seterr(err, errlen, m.c_str());
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

// An optional string attribute whose overlong value just means "unknown".
void
dcmshim_get_soft(DcmItem *it, const DcmTagKey &tag, char *out, size_t outlen)
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
	dcmshim_get_soft(it, DCM_LocalNamespaceEntityID, out->accession_issuer_ns,
	    sizeof out->accession_issuer_ns);
	dcmshim_get_soft(it, DCM_UniversalEntityIDType, type, sizeof type);
	if (std::strcmp(type, "ISO") == 0) {
		dcmshim_get_soft(it, DCM_UniversalEntityID, out->accession_issuer_oid,
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
	return XDS_OK;
}

/*
 * DCMTK reading from a memory buffer allocates every value at its declared
 * length before it finds that the bytes are not there (a 400-byte input
 * declaring a 4 GiB element: found by libFuzzer).  Reading from a file it
 * leaves long values on disk, but allocates a value before it compares
 * its length with the file size: dcmshim_prepare checks every length
 * first.  So the bytes go to an anonymous memory file, parsed by the file
 * path: the very path every received instance takes.
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
		return XDS_EINVAL;
	}
	if ((fd = memfd_create("dcmshim", MFD_CLOEXEC)) < 0) {
		dcmshim_seterr(err, errlen, std::strerror(errno));
		return XDS_EIO;
	}
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			dcmshim_seterr(err, errlen, std::strerror(errno));
			close(fd);
			return errno == ENOMEM ? XDS_ENOMEM : XDS_EIO;
		}
		off += (size_t)n;
	}
	std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	rc = dcmshim_parse_file(path, out, err, errlen);
	close(fd);
	return rc;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = static_cast<const char *>(buf);
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
undeflate_fail(int rc, const std::string &m, int *fd, char *err,
    size_t errlen)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	dcmshim_seterr(err, errlen, m.c_str());
	return rc;
}

/*
 * DCMTK reading a Deflated Explicit VR Little Endian file checks no
 * element length against the bytes that are there (it cannot know them
 * in a compressed stream): a declared 4 GiB length is allocated (found by
 * libFuzzer), and a few MB can inflate to any size.  So such a file is
 * inflated here, at most limit bytes, behind a copy of its meta header
 * naming Explicit VR Little Endian, into an anonymous memory file that
 * DCMTK then reads with its usual checks.  *fd: that file, or -1 when
 * path is not deflated (read it as it is).
 */
int
dcmshim_undeflate(const char *path, unsigned long long limit, int *fd,
    char *err, size_t errlen)
{
	static const char explicit_le[] = UID_LittleEndianExplicitTransferSyntax;
	unsigned char b[12];
	std::string meta, ts, v;
	FILE *fp;
	size_t n, len, hdr;
	long off = 132;
	int bad = 0;

	*fd = -1;
	if ((fp = std::fopen(path, "rb")) == nullptr)
		return undeflate_fail(XDS_EIO, std::string(path) + ": " +
		    std::strerror(errno), fd, err, errlen);
	if (std::fseek(fp, 128, SEEK_SET) != 0 || std::fread(b, 1, 4, fp) != 4 ||
	    std::memcmp(b, "DICM", 4) != 0) {
		std::fclose(fp);
		return XDS_OK;	// no meta header: not deflated
	}
	// The meta header: explicit VR little endian group 0002 elements,
	// copied but for the group length and the transfer syntax.
	for (;;) {
		if ((n = std::fread(b, 1, 12, fp)) < 8 ||
		    (b[0] | b[1] << 8) != 0x0002)
			break;
		if (std::memcmp(b + 4, "OB", 2) == 0 ||
		    std::memcmp(b + 4, "OW", 2) == 0 ||
		    std::memcmp(b + 4, "UN", 2) == 0 ||
		    std::memcmp(b + 4, "SQ", 2) == 0 ||
		    std::memcmp(b + 4, "UT", 2) == 0) {
			if (n < 12) {
				bad = 1;
				break;
			}
			hdr = 12;
			len = (size_t)b[8] | (size_t)b[9] << 8 |
			    (size_t)b[10] << 16 | (size_t)b[11] << 24;
		} else {
			hdr = 8;
			len = (size_t)b[6] | (size_t)b[7] << 8;
		}
		if (len > 0x10000 || meta.size() > 0x10000) {
			bad = 1;
			break;
		}
		v.assign(len, '\0');
		if (std::fseek(fp, off + (long)hdr, SEEK_SET) != 0 ||
		    (len > 0 && std::fread(&v[0], 1, len, fp) != len)) {
			bad = 1;
			break;
		}
		unsigned elem = b[2] | b[3] << 8;
		if (elem == 0x0010) {
			ts = v;
			while (!ts.empty() && (ts.back() == '\0' ||
			    ts.back() == ' '))
				ts.pop_back();
			meta.append("\x02\x00\x10\x00UI\x14\x00", 8);
			meta.append(explicit_le, sizeof explicit_le);
		} else if (elem != 0x0000) {
			meta.append(reinterpret_cast<const char *>(b), hdr);
			meta.append(v);
		}
		off += (long)(hdr + len);
		if (std::fseek(fp, off, SEEK_SET) != 0)
			break;
	}
	std::fclose(fp);
	if (ts != UID_DeflatedExplicitVRLittleEndianTransferSyntax)
		return XDS_OK;
	if (bad)
		return undeflate_fail(XDS_EFORMAT, std::string(path) +
		    ": bad file meta information", fd, err, errlen);

	std::string head(128, '\0');
	size_t ml = meta.size();
	unsigned char gl[12] = { 0x02, 0, 0, 0, 'U', 'L', 4, 0,
	    (unsigned char)ml, (unsigned char)(ml >> 8),
	    (unsigned char)(ml >> 16), (unsigned char)(ml >> 24) };
	head.append("DICM", 4);
	head.append(reinterpret_cast<const char *>(gl), sizeof gl);
	head.append(meta);
	if ((*fd = memfd_create("dcmshim-inflated", MFD_CLOEXEC)) < 0 ||
	    write_all(*fd, head.data(), head.size()) != 0)
		return undeflate_fail(errno == ENOMEM ? XDS_ENOMEM :
		    XDS_EIO, std::strerror(errno), fd, err, errlen);

	DcmInputFileStream is(path, off);
	unsigned long long total = 0;
	std::string chunk(1 << 16, '\0');
	offile_off_t got;

	if (is.status().bad() || is.installCompressionFilter(ESC_zlib).bad())
		return undeflate_fail(XDS_EFORMAT, std::string(path) +
		    ": cannot inflate", fd, err, errlen);
	while (!is.eos() && is.status().good()) {
		if ((got = is.read(&chunk[0], (offile_off_t)chunk.size())) <= 0)
			break;
		if ((total += (unsigned long long)got) > limit)
			return undeflate_fail(XDS_ETOOBIG, std::string(path) +
			    ": deflated dataset larger than " +
			    std::to_string(limit >> 20) + " MiB once inflated",
			    fd, err, errlen);
		if (write_all(*fd, chunk.data(), (size_t)got) != 0)
			return undeflate_fail(errno == ENOMEM ? XDS_ENOMEM :
			    XDS_EIO, std::strerror(errno), fd, err, errlen);
	}
	if (is.status().bad())
		return undeflate_fail(XDS_EFORMAT, std::string(path) +
		    ": " + is.status().text(), fd, err, errlen);
	return XDS_OK;
}

extern "C" int
dcmshim_prepare(const char *path, unsigned long long limit, int *fd,
    char *err, size_t errlen)
{
	char inflated[64];
	int deflated, rc;

	*fd = -1;
	if ((rc = dcmshim_lencheck_file(path, &deflated, err, errlen)) !=
	    XDS_OK ||
	    (rc = dcmshim_undeflate(path, limit, fd, err, errlen)) !=
	    XDS_OK)
		return rc;
	if (*fd >= 0) {
		std::snprintf(inflated, sizeof inflated, "/proc/self/fd/%d",
		    *fd);
		rc = dcmshim_lencheck_file(inflated, nullptr, err, errlen);
	} else if (deflated) {
		// DCMTK would inflate it with no length checked
		dcmshim_seterr(err, errlen, "deflated dataset behind a file "
		    "meta header that cannot be read");
		rc = XDS_EFORMAT;
	}
	if (rc != XDS_OK && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

extern "C" int
dcmshim_parse_file(const char *path, struct dcmshim_info *out, char *err,
    size_t errlen)
{
	char inflated[64];
	int fd = -1, rc;

	if (path == nullptr || out == nullptr) {
		dcmshim_seterr(err, errlen, "no input");
		return XDS_EINVAL;
	}
	try {
		DcmFileFormat ff;
		OFCondition c;

		if (access(path, R_OK) != 0) {
			std::string m = std::string(path) + ": " +
			    std::strerror(errno);
			dcmshim_seterr(err, errlen, m.c_str());
			rc = XDS_EIO;
		} else if ((rc = dcmshim_prepare(path, DCMSHIM_MAX_TRANSCODE,
		    &fd, err, errlen)) == XDS_OK) {
			if (fd >= 0) {
				std::snprintf(inflated, sizeof inflated,
				    "/proc/self/fd/%d", fd);
				path = inflated;
			}
			c = ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange,
			    DCM_MaxReadLength, ERM_autoDetect, DCM_PixelData);
			if (c.bad()) {
				dcmshim_seterr(err, errlen, c.text());
				rc = c == EC_InvalidFilename ||
				    c == EC_IllegalCall ? XDS_EIO :
				    XDS_EFORMAT;
			} else
				rc = extract(ff, out, err, errlen);
			// the file's syntax, not the one it was read in
			if (rc == XDS_OK && fd >= 0)
				std::snprintf(out->transfer_syntax,
				    sizeof out->transfer_syntax, "%s",
				    UID_DeflatedExplicitVRLittleEndianTransferSyntax);
		}
	} catch (...) {
		rc = dcmshim_exception(err, errlen);
	}
	if (fd >= 0)
		close(fd);
	return rc;
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
			return XDS_EINVAL;
		}
		if (std::strcmp(root, "2.25") == 0) {
			unsigned __int128 v = 0;
			unsigned char rnd[16];
			char dig[48];
			size_t nd = 0, i;

			if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
				dcmshim_seterr(err, errlen, "getrandom failed");
				return XDS_EIO;
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
			return XDS_EINTERNAL;
		}
		return copy_out(OFString(buf), out, outlen, "UID", err, errlen);
	} catch (...) {
		return dcmshim_exception(err, errlen,
		    "internal error generating a UID");
	}
}

static int
kos_fail(const OFCondition &c, const char *what, char *err, size_t errlen)
{
	std::string m = std::string(what) + ": " + c.text();

	dcmshim_seterr(err, errlen, m.c_str());
	return XDS_EINTERNAL;
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
			return XDS_EINVAL;
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
				return XDS_EINVAL;
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
			return XDS_EIO;
		}
		return copy_out(OFString(inst), sop_uid, sop_uidlen,
		    "SOPInstanceUID", err, errlen);
	} catch (...) {
		return dcmshim_exception(err, errlen);
	}
}
