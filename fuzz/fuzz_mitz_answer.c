/*
 * fuzz_mitz_answer.c: bytes -> mitz_answer_parse, Mitz's answer to the
 * closed question (gateway/mitz_msg.h).  A decision comes only with
 * XDS_OK and is one of the four; anything else is XDS_EFORMAT with
 * MITZ_NO_ANSWER and a reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mitz_msg.h"
#include "status.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mitz_decision d;
	char err[256];
	int rc;

	xml_init();
	err[0] = '\0';
	rc = mitz_answer_parse((const char *)data, size, &d, err, sizeof err);
	if (rc == XDS_OK) {
		if (d != MITZ_PERMIT && d != MITZ_DENY &&
		    d != MITZ_NOT_APPLICABLE && d != MITZ_INDETERMINATE)
			abort();
	} else if (rc != XDS_EFORMAT || d != MITZ_NO_ANSWER ||
	    memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
		abort();
	return 0;
}
