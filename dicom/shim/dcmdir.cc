// dcmdir.cc: DICOMDIRs (PS3.10 8.6, the media directory of PDI media such
// as a patient's DVD): the files one references, for xdsctl xdm import,
// and one written for the instances of an export (xdsctl xdm export).
// C++17; with the other dicom/shim/*.cc the only code that includes DCMTK.

#include "dcmtk/config/osconfig.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcddirif.h"
#include "dcmtk/dcmdata/dcistrmb.h"

#include "dcmshim.h"
#include "dcmshim_int.h"

// A record's ReferencedFileID, its components joined with '/'; checked
// here only for what the caller must not see (empty components, NUL,
// length), the caller's name rules doing the rest.
static int
file_id(DcmItem *rec, std::string &out, char *err, size_t errlen)
{
	OFString v;
	size_t i;

	out.clear();
	if (rec->findAndGetOFStringArray(DCM_ReferencedFileID, v).bad() ||
	    v.empty())
		return 0;
	if (v.length() > DCMSHIM_DICOMDIR_PATH_MAX) {
		dcmshim_seterr(err, errlen, "a ReferencedFileID over 255 "
		    "characters");
		return XDS_EFORMAT;
	}
	for (i = 0; i < v.length(); i++) {
		char c = v[i];

		if (c == '\0' || (c == '\\' && (i == 0 ||
		    i + 1 == v.length() || v[i + 1] == '\\'))) {
			dcmshim_seterr(err, errlen, "a ReferencedFileID with "
			    "an empty component");
			return XDS_EFORMAT;
		}
		out += c == '\\' ? '/' : c;
	}
	return 0;
}

extern "C" int
dcmshim_dicomdir_mem(const void *buf, size_t len,
    int (*fn)(void *arg, const char *path), void *arg, char *err,
    size_t errlen)
{
	int rc, deflated = 0;

	if (buf == nullptr || fn == nullptr) {
		dcmshim_seterr(err, errlen, "no input");
		return XDS_EINVAL;
	}
	if ((rc = dcmshim_lencheck(buf, len, &deflated, err, errlen)) !=
	    XDS_OK)
		return rc;
	if (deflated) {
		dcmshim_seterr(err, errlen, "a deflated DICOMDIR");
		return XDS_EFORMAT;
	}
	try {
		DcmFileFormat ff;
		DcmInputBufferStream is;
		DcmSequenceOfItems *seq = nullptr;
		OFString cls;
		OFCondition c;
		std::string path;
		unsigned long i, n;

		is.setBuffer(buf, static_cast<offile_off_t>(len));
		is.setEos();
		ff.transferInit();
		c = ff.read(is, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
		ff.transferEnd();
		if (c.bad()) {
			dcmshim_seterr(err, errlen, c.text());
			return XDS_EFORMAT;
		}
		if (ff.getMetaInfo()->findAndGetOFString(
		    DCM_MediaStorageSOPClassUID, cls).bad() ||
		    cls != UID_MediaStorageDirectoryStorage) {
			dcmshim_seterr(err, errlen, "not a DICOMDIR (no Media "
			    "Storage Directory SOP class)");
			return XDS_EFORMAT;
		}
		if (ff.getDataset()->findAndGetSequence(
		    DCM_DirectoryRecordSequence, seq).bad() || seq == nullptr) {
			dcmshim_seterr(err, errlen, "a DICOMDIR without a "
			    "DirectoryRecordSequence");
			return XDS_EFORMAT;
		}
		if ((n = seq->card()) > DCMSHIM_DICOMDIR_MAX_RECORDS) {
			dcmshim_seterr(err, errlen, "a DICOMDIR of more "
			    "records than allowed");
			return XDS_ETOOBIG;
		}
		for (i = 0; i < n; i++) {
			if ((rc = file_id(seq->getItem(i), path, err,
			    errlen)) != 0)
				return rc;
			if (!path.empty() && fn(arg, path.c_str()) != 0) {
				dcmshim_seterr(err, errlen, "stopped by the "
				    "caller");
				return XDS_ETOOBIG;
			}
		}
		rc = XDS_OK;
	} catch (...) {
		rc = dcmshim_exception(err, errlen);
	}
	return rc;
}

// The transfer syntax of the file at path (its meta header only).
static int
file_xfer(const char *path, OFString &xfer, char *err, size_t errlen)
{
	DcmFileFormat ff;
	OFCondition c;

	c = ff.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
	    ERM_metaOnly);
	if (c.bad() || ff.getMetaInfo()->findAndGetOFStringArray(
	    DCM_TransferSyntaxUID, xfer).bad()) {
		dcmshim_seterr(err, errlen, c.bad() ? c.text() : "no transfer "
		    "syntax in the meta header");
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

extern "C" int
dcmshim_dicomdir_write(const char *root, const char *const *ids, size_t n,
    const char *fileset_id, char *profile, size_t profilelen, char *err,
    size_t errlen)
{
	int rc;

	if (root == nullptr || ids == nullptr || n == 0 ||
	    n > DCMSHIM_DICOMDIR_MAX_RECORDS / 4) {
		dcmshim_seterr(err, errlen, n == 0 ? "no file" :
		    "more files than a DICOMDIR may hold here");
		return n == 0 || root == nullptr ? XDS_EINVAL : XDS_ETOOBIG;
	}
	try {
		DicomDirInterface dd;
		DicomDirInterface::E_ApplicationProfile ap =
		    DicomDirInterface::AP_GeneralPurpose;
		std::string dir(root), out = std::string(root) + "/DICOMDIR";
		OFString xfer;
		OFCondition c;
		size_t i;

		// PDI's profile, STD-GEN-CD, takes Explicit VR Little Endian
		// only; instances in another syntax are not transcoded, and
		// the records are then those of STD-GEN-MIME (any syntax)
		for (i = 0; i < n; i++) {
			std::string path = dir + "/" + ids[i];

			if ((rc = file_xfer(path.c_str(), xfer, err, errlen)) !=
			    XDS_OK)
				return rc;
			if (xfer != UID_LittleEndianExplicitTransferSyntax)
				ap = DicomDirInterface::AP_GeneralPurposeMIME;
		}
		dd.disableBackupMode();
		// type 1 keys an instance lacks (an empty StudyID, ...) are
		// made up in its record, never in the instance
		dd.enableInventMode();
		c = dd.createNewDicomDir(ap, OFFilename(out.c_str()),
		    fileset_id != nullptr ? fileset_id : "");
		for (i = 0; c.good() && i < n; i++)
			c = dd.addDicomFile(OFFilename(ids[i]),
			    OFFilename(root));
		if (c.bad()) {
			std::string m = std::string(i > 0 ? ids[i - 1] :
			    "DICOMDIR") + ": " + c.text();

			dcmshim_seterr(err, errlen, m.c_str());
			return XDS_EFORMAT;
		}
		if ((c = dd.writeDicomDir()).bad()) {
			dcmshim_seterr(err, errlen, c.text());
			return XDS_EIO;
		}
		if (profile != nullptr && profilelen > 0)
			dcmshim_seterr(profile, profilelen, ap ==
			    DicomDirInterface::AP_GeneralPurpose ?
			    "STD-GEN-CD" : "STD-GEN-MIME");
		rc = XDS_OK;
	} catch (...) {
		rc = dcmshim_exception(err, errlen);
	}
	return rc;
}
