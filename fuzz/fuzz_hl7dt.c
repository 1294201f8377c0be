/*
 * fuzz_hl7dt.c: bytes -> every HL7 datatype check.  Inputs are passed
 * with their exact length (not NUL-terminated), so any read past len is
 * caught by ASan.  Accepted values must satisfy the documented forms.
 * The UZI certificate string (uzi.h) too.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl7dt.h"
#include "status.h"
#include "uzi.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *s = (const char *)data;
	struct hl7_cx cx;
	struct uzi_id u;
	char err[128], out[HL7_ID_MAX * 2 + 80], dtm[15];

	if (uzi_parse(s, len, &u, err, sizeof err) == XDS_OK &&
	    (strlen(u.ura) != 8 || strchr("ZNMS", u.card) == NULL ||
	    u.card == '\0' || strlen(u.role) != 6))
		abort();
	if (hl7_cx_parse(s, len, &cx, err, sizeof err) == 0) {
		if (hl7_cx_format(&cx, out, sizeof out) != 0 ||
		    hl7_cx_parse(out, strlen(out), &cx, err, sizeof err) != 0)
			abort();
	}
	if (hl7_cxi_parse(s, len, &cx, err, sizeof err) == 0 &&
	    cx.id_type[0] == '\0')
		abort();
	if (hl7_dtm_valid(s, len, err, sizeof err) == 0) {
		if (hl7_dtm_norm(s, len, dtm) != 0 || strlen(dtm) != 14)
			abort();
	} else if (hl7_dtm_norm(s, len, dtm) == 0)
		abort();
	if (hl7_oid_valid(s, len, err, sizeof err) == 0 && len > 64)
		abort();
	if (hl7_uniqueid_valid(s, len, err, sizeof err) == 0 && len > 128)
		abort();
	if (hl7_uuid_valid(s, len) == 0 && len != 45)
		abort();
	(void)hl7_xcn_valid(s, len, err, sizeof err);
	(void)hl7_xon_valid(s, len, err, sizeof err);
	if (hl7_bsn_valid(s, len) == 0 && len != 9)
		abort();
	return 0;
}
