/*
 * bridge_patient.h: the patient of a received instance, as a BSN.  Pure:
 * the receive path, crash recovery and the fuzz target use it alike.
 */
#ifndef XDS_BRIDGE_PATIENT_H
#define XDS_BRIDGE_PATIENT_H

#include <stddef.h>

#include "dcmshim.h"

/*
 * The patient's BSN from a header: the OtherPatientIDsSequence item with
 * issuer DICOM_ISSUER_BSN (NLMINBIZA), PatientID when its issuer is that,
 * or PatientID when patient_id_is_bsn.  The BSN must pass the 11-check.
 * Returns 0 and the 9 digits in bsn, or -1 with the reason in err (none,
 * invalid, two different ones).
 */
int	bridge_patient_bsn(const struct dcmshim_info *info, int patient_id_is_bsn,
	    char bsn[10], char *err, size_t errlen);

#endif /* XDS_BRIDGE_PATIENT_H */
