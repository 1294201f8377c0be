/*
 * fuzz_dicom: the shim's parse path (DcmFileFormat from memory up to the
 * pixel data, then the UIDs and the BSN), as the SCP runs it on every
 * received instance.  What parses is then transcoded (RAD-69): decoded
 * to Explicit VR Little Endian and encoded as JPEG-LS lossless, so the
 * JPEG, JPEG-LS and RLE decoders see hostile pixel data and the encoders
 * whatever those produced.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include "bridge_patient.h"
#include "dcmshim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char outdir[64];

/* Transcode the input (a memory file) to ts; the output is removed. */
static void
transcode(const uint8_t *data, size_t size, const char *ts)
{
	char in[64], out[96], err[256];
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = memfd_create("fuzz_dicom", MFD_CLOEXEC)) < 0)
		return;
	while (off < size && (n = write(fd, data + off, size - off)) > 0)
		off += (size_t)n;
	snprintf(in, sizeof in, "/proc/self/fd/%d", fd);
	snprintf(out, sizeof out, "%s/out.dcm", outdir);
	(void)unlink(out);
	if (off == size && dcmshim_transcode(in, ts, out, err, sizeof err) ==
	    0 && access(out, F_OK) != 0)
		__builtin_trap();	/* success without an output */
	(void)unlink(out);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct dcmshim_info in;
	char err[256], bsn[10];

	if (!init) {
		dcmshim_log_init();
		snprintf(outdir, sizeof outdir, "/tmp/fuzz_dicom.XXXXXX");
		if (mkdtemp(outdir) == NULL)
			abort();
		init = 1;
	}
	if (dcmshim_parse_mem(data, size, &in, err, sizeof err) != 0)
		return 0;
	/* What the parser accepted must be bounded and usable. */
	if (!dcmshim_uid_valid(in.study_uid) || !dcmshim_uid_valid(in.sop_uid) ||
	    strlen(in.patient.id) >= sizeof in.patient.id ||
	    in.nother > DCMSHIM_MAX_OTHER_IDS)
		__builtin_trap();
	(void)bridge_patient_bsn(&in, 1, bsn, err, sizeof err);
	transcode(data, size, "1.2.840.10008.1.2.1");
	transcode(data, size, "1.2.840.10008.1.2.4.80");
	return 0;
}
