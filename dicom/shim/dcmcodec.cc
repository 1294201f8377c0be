// dcmcodec.cc: transcoding between transfer syntaxes (dcmshim.h), for
// RAD-69 answers in a syntax from the consumer's list.
//
// DCMTK's free codecs: JPEG (IJG: baseline, extended, lossless), JPEG-LS
// (CharLS) and RLE; JPEG 2000 is not among them.  Lossless only: a lossy
// syntax is never produced from other pixel data.
//
// Threads: DcmCodecList guards its list with a read/write lock, so
// chooseRepresentation() on different datasets may run concurrently; the
// *Registration::registerCodecs() functions test and set an unguarded
// static flag, so they run once under std::call_once.  The codecs stay
// registered for the life of the process (cleanup() is never called: it
// must not run while another thread encodes).
#include "dcmtk/config/osconfig.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcostrmf.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcrleerg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpeg/djencode.h"
#include "dcmtk/dcmjpeg/djrplol.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/dcmjpls/djencode.h"
#include "dcmtk/dcmjpls/djrparam.h"

#include "dcmlen.h"
#include "dcmshim.h"
#include "dcmshim_int.h"

namespace {

enum ts_kind {
	TS_NATIVE,		// uncompressed: read and written
	TS_LOSSLESS,		// lossless compression: decoded and encoded
	TS_LOSSY		// decoded; written only when already in it
};

struct ts_entry {
	const char	*uid;
	E_TransferSyntax xfer;
	enum ts_kind	 kind;
};

const struct ts_entry ts_table[] = {
	{ UID_LittleEndianImplicitTransferSyntax, EXS_LittleEndianImplicit,
	    TS_NATIVE },
	{ UID_LittleEndianExplicitTransferSyntax, EXS_LittleEndianExplicit,
	    TS_NATIVE },
	{ UID_DeflatedExplicitVRLittleEndianTransferSyntax,
	    EXS_DeflatedLittleEndianExplicit, TS_NATIVE },
	{ UID_BigEndianExplicitTransferSyntax, EXS_BigEndianExplicit,
	    TS_NATIVE },
	{ UID_JPEGProcess14SV1TransferSyntax, EXS_JPEGProcess14SV1,
	    TS_LOSSLESS },
	{ UID_JPEGProcess14TransferSyntax, EXS_JPEGProcess14, TS_LOSSLESS },
	{ UID_JPEGLSLosslessTransferSyntax, EXS_JPEGLSLossless, TS_LOSSLESS },
	{ UID_RLELosslessTransferSyntax, EXS_RLELossless, TS_LOSSLESS },
	{ UID_JPEGProcess1TransferSyntax, EXS_JPEGProcess1, TS_LOSSY },
	{ UID_JPEGProcess2_4TransferSyntax, EXS_JPEGProcess2_4, TS_LOSSY },
	{ UID_JPEGLSLossyTransferSyntax, EXS_JPEGLSLossy, TS_LOSSY },
};

const struct ts_entry *
ts_find(const char *uid)
{
	if (uid == nullptr)
		return nullptr;
	for (const struct ts_entry &e : ts_table)
		if (std::strcmp(e.uid, uid) == 0)
			return &e;
	return nullptr;
}

std::once_flag codecs_once;

void
codecs_register()
{
	// Never a new SOP Instance UID: what we write is the same instance.
	DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation,
	    EUC_never);
	DJEncoderRegistration::registerCodecs(ECC_lossyYCbCr, EUC_never);
	DJLSDecoderRegistration::registerCodecs(EJLSUC_never);
	// Raw, not "cooked" (DicomImage) encoding: DCMTK 3.6.7's cooked path
	// writes past its buffer when the JPEG-LS stream is larger than the
	// frame (tiny images; valgrind on a 3x3 RGB, found by fuzz_dicom).
	DJLSEncoderRegistration::registerCodecs(0, 0, 0, 0, OFFalse, 0, OFTrue,
	    EJLSUC_never);
	DcmRLEDecoderRegistration::registerCodecs(OFFalse);
	DcmRLEEncoderRegistration::registerCodecs(OFFalse);
}

void
seterr2(char *err, size_t errlen, const std::string &a, const char *b)
{
	std::string m = a + b;

	dcmshim_seterr(err, errlen, m.c_str());
}

// Bytes the pixel data takes once decoded (0 without pixel data).  The
// decoders allocate this much from values in the header, whatever the
// size of the compressed input: bounded before decoding.
unsigned long long
decoded_size(DcmDataset *ds)
{
	Uint16 rows = 0, cols = 0, spp = 1, bits = 0;
	Sint32 frames = 1;

	if (!ds->tagExists(DCM_PixelData))
		return 0;
	(void)ds->findAndGetUint16(DCM_Rows, rows);
	(void)ds->findAndGetUint16(DCM_Columns, cols);
	(void)ds->findAndGetUint16(DCM_SamplesPerPixel, spp);
	(void)ds->findAndGetUint16(DCM_BitsAllocated, bits);
	if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() ||
	    frames < 1)
		frames = 1;
	// At most 2^16 * 2^16 * 2^16 * 2^13 * 2^31 = 2^92: 128 bits, saturated
	unsigned __int128 n = (unsigned __int128)rows * cols * spp *
	    ((bits + 7u) / 8u) * (unsigned long long)frames;
	return n > ~0ULL ? ~0ULL : (unsigned long long)n;
}

// Write ff to the already opened descriptor fd (taken over: closed here).
OFCondition
write_fd(DcmFileFormat &ff, int fd, E_TransferSyntax xfer, int *werrno)
{
	FILE *fp;
	OFCondition c;

	*werrno = 0;
	if ((fp = fdopen(fd, "wb")) == nullptr) {
		*werrno = errno;
		close(fd);
		return EC_InvalidStream;
	}
	{
		DcmOutputFileStream os(fp);	// closes fp when destroyed

		ff.transferInit();
		c = ff.write(os, xfer, EET_ExplicitLength, nullptr,
		    EGL_recalcGL, EPD_noChange, 0, 0, 0, EWM_fileformat);
		ff.transferEnd();
		if (c.good()) {
			os.flush();
			c = os.status();
		}
		if (c.good() && (std::fflush(fp) != 0 || std::ferror(fp))) {
			*werrno = errno != 0 ? errno : EIO;
			c = EC_InvalidStream;
		}
	}
	return c;
}

int
transcode(const char *in_path, const char *to_ts, const char *out_path,
    bool *created, int *inflated_fd, char *err, size_t errlen)
{
	const char *read_path = in_path;
	const struct ts_entry *to;
	DcmFileFormat ff;
	DcmDataset *ds;
	OFCondition c;
	struct stat st;
	unsigned long long need;
	char inflated[64];
	int fd, werrno, rc;

	if (in_path == nullptr || to_ts == nullptr || out_path == nullptr ||
	    !dcmshim_uid_valid(to_ts)) {
		dcmshim_seterr(err, errlen, "transcode: input, output and a "
		    "valid transfer syntax UID are required");
		return XDS_EINVAL;
	}
	if (stat(in_path, &st) != 0) {
		seterr2(err, errlen, std::string(in_path) + ": ",
		    std::strerror(errno));
		return XDS_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr2(err, errlen, in_path, ": not a regular file");
		return XDS_EIO;
	}
	if ((unsigned long long)st.st_size > DCMSHIM_MAX_TRANSCODE) {
		seterr2(err, errlen, in_path, ": larger than the transcoding "
		    "limit (1 GiB, decoded in memory)");
		return XDS_ETOOBIG;
	}
	if (!dcmshim_ts_known(to_ts)) {
		seterr2(err, errlen, to_ts, ": unknown transfer syntax");
		return XDS_EUNSUPPORTED;
	}
	std::call_once(codecs_once, codecs_register);
	if ((rc = dcmshim_prepare(in_path, DCMSHIM_MAX_TRANSCODE, inflated_fd,
	    err, errlen)) != XDS_OK)
		return rc;
	if (*inflated_fd >= 0) {
		std::snprintf(inflated, sizeof inflated, "/proc/self/fd/%d",
		    *inflated_fd);
		read_path = inflated;
	}
	c = ff.loadFile(read_path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
	    ERM_autoDetect);
	if (c.good())
		c = ff.loadAllDataIntoMemory();
	if (c.bad()) {
		seterr2(err, errlen, std::string(in_path) + ": ", c.text());
		return XDS_EFORMAT;
	}
	ds = ff.getDataset();
	DcmXfer from(ds->getOriginalXfer());
	if (from.getXfer() == EXS_Unknown) {
		seterr2(err, errlen, in_path, ": unknown transfer syntax");
		return XDS_EFORMAT;
	}
	if (!dcmshim_can_transcode(from.getXferID(), to_ts)) {
		std::string m = std::string("no lossless transcoding from ") +
		    from.getXferName() + " to ";
		seterr2(err, errlen, m, DcmXfer(to_ts).getXferName());
		return XDS_EUNSUPPORTED;
	}
	if (std::strcmp(from.getXferID(), to_ts) != 0) {
		to = ts_find(to_ts);	// can_transcode: not null
		if (from.isEncapsulated() &&
		    (need = decoded_size(ds)) > DCMSHIM_MAX_TRANSCODE) {
			dcmshim_seterr(err, errlen, "decoded pixel data would be "
			    "larger than the transcoding limit (1 GiB)");
			return XDS_ETOOBIG;
		}
		const DJ_RPLossless jpeg_lossless(1, 0);
		const DJLSRepresentationParameter jpls_lossless(0, OFTrue);
		const DcmRepresentationParameter *rp = nullptr;

		if (to->xfer == EXS_JPEGProcess14SV1 ||
		    to->xfer == EXS_JPEGProcess14)
			rp = &jpeg_lossless;
		else if (to->xfer == EXS_JPEGLSLossless)
			rp = &jpls_lossless;
		c = ds->chooseRepresentation(to->xfer, rp);
		if (c.bad() || !ds->canWriteXfer(to->xfer)) {
			std::string m = std::string("cannot write this image as ") +
			    DcmXfer(to->xfer).getXferName() + ": ";
			seterr2(err, errlen, m, c.bad() ? c.text() :
			    "no codec for its pixel data");
			return XDS_EUNSUPPORTED;
		}
	}
	fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		seterr2(err, errlen, std::string(out_path) + ": ",
		    std::strerror(errno));
		return XDS_EIO;
	}
	*created = true;
	c = write_fd(ff, fd, DcmXfer(to_ts).getXfer(), &werrno);
	if (c.bad()) {
		seterr2(err, errlen, std::string(out_path) + ": ",
		    werrno != 0 ? std::strerror(werrno) : c.text());
		return XDS_EIO;
	}
	return XDS_OK;
}

} // namespace

extern "C" int
dcmshim_can_transcode(const char *from_ts, const char *to_ts)
{
	const struct ts_entry *from, *to;

	if (from_ts == nullptr || to_ts == nullptr)
		return 0;
	if (std::strcmp(from_ts, to_ts) == 0)
		return dcmshim_ts_known(to_ts);
	from = ts_find(from_ts);
	to = ts_find(to_ts);
	return from != nullptr && to != nullptr && to->kind != TS_LOSSY;
}

extern "C" int
dcmshim_transcode(const char *in_path, const char *to_ts,
    const char *out_path, char *err, size_t errlen)
{
	bool created = false;
	int rc, inflated_fd = -1;

	try {
		rc = transcode(in_path, to_ts, out_path, &created, &inflated_fd,
		    err, errlen);
	} catch (...) {
		rc = dcmshim_exception(err, errlen);
	}
	if (inflated_fd >= 0)
		close(inflated_fd);
	if (rc != XDS_OK && created)
		(void)unlink(out_path);
	return rc;
}
