/*
 * fuzz_hl7v2.c: bytes -> the HL7 v2 parser (hl7v2.h), then every value
 * of every segment it indexed, and the acknowledgment of the message,
 * which must parse again.  The input is passed with its exact length, so
 * any read past it is caught by ASan.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hl7v2.h"
#include "status.h"
#include "vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hl7v2_msg m, a;
	struct hl7v2_ack ack = { HL7_ACK_ERROR, HL7_ERR_REQUIRED, "PID^1^3",
	    "a reason", "ACK1", "20261206120000" };
	struct buf b;
	char err[128], v[HL7V2_MAX_VALUE];
	size_t i, r, nrep;
	int f, c, n;

	if (hl7v2_parse((const char *)data, len, &m, err, sizeof err) !=
	    XDS_OK)
		return 0;
	if (m.nseg == 0 || strcmp(m.seg[0].name, "MSH") != 0)
		abort();
	for (i = 0; i < m.nseg; i++)
		for (f = 1; f <= 12; f++) {
			nrep = hl7v2_nrep(&m, m.seg[i].name, 0, f);
			for (r = 0; r <= nrep && r < 4; r++)
				for (c = 1; c <= 5; c++) {
					n = hl7v2_get(&m, m.seg[i].name, 0, f,
					    (int)r, c, 2, v, sizeof v);
					if (n >= 0 && (size_t)n != strlen(v))
						abort();
				}
		}
	buf_init(&b, 2 * HL7V2_MAX_MESSAGE);
	if (hl7v2_write_ack(&m, &ack, &b) == XDS_OK &&
	    hl7v2_parse(buf_str(&b), strlen(buf_str(&b)), &a, err,
	    sizeof err) != XDS_OK)
		abort();
	buf_free(&b);
	return 0;
}
