// dcmdir.cc: the files a DICOMDIR references (PS3.10 8.6, the media
// directory of PDI media such as a patient's DVD), for xdsctl xdm import.
// C++17; with the other dicom/shim/*.cc the only code that includes DCMTK.

#include "dcmtk/config/osconfig.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "dcmtk/dcmdata/dctk.h"
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
