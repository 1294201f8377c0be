/*
 * bridge_patient.c: the BSN of a received instance's patient
 * (bridge_patient.h).
 */
#include "config.h"

#include <string.h>

#include "bridge_patient.h"
#include "hl7dt.h"
#include "str.h"
#include "vocab.h"

int
bridge_patient_bsn(const struct dcmshim_info *in, int patient_id_is_bsn,
    char bsn[10], char *err, size_t errlen)
{
	const char *found = NULL;
	size_t i;
	int invalid = 0;

	bsn[0] = '\0';
	for (i = 0; i < in->nother && i < DCMSHIM_MAX_OTHER_IDS; i++) {
		const struct dcmshim_pid *p = &in->other[i];

		if (strcmp(p->issuer, DICOM_ISSUER_BSN) != 0)
			continue;
		if (hl7_bsn_valid(p->id, strlen(p->id)) != 0) {	/* 0: valid */
			invalid = 1;
			continue;
		}
		if (found != NULL && strcmp(found, p->id) != 0) {
			str_fmt(err, errlen, "two different BSNs in "
			    "OtherPatientIDsSequence");
			return -1;
		}
		found = p->id;
	}
	if (found == NULL && (patient_id_is_bsn ||
	    strcmp(in->patient.issuer, DICOM_ISSUER_BSN) == 0) &&
	    in->patient.id[0] != '\0') {
		if (hl7_bsn_valid(in->patient.id, strlen(in->patient.id)) == 0)
			found = in->patient.id;
		else
			invalid = 1;
	}
	if (found == NULL) {
		str_fmt(err, errlen, invalid ? "BSN fails the 11-check" :
		    "no BSN (no " DICOM_ISSUER_BSN " patient id)");
		return -1;
	}
	str_lcpy(bsn, found, 10);
	return 0;
}
