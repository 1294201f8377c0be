/*
 * fuzz_dicom: the shim's parse path (DcmFileFormat from memory up to the
 * pixel data, then the UIDs and the BSN), as the SCP runs it on every
 * received instance.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bridge.h"
#include "dcmshim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct dcmshim_info in;
	char err[256], bsn[10];

	if (!init) {
		dcmshim_log_init();
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
	return 0;
}
