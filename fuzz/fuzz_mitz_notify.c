/*
 * fuzz_mitz_notify.c: bytes -> mitz_notify_parse, Mitz's notification of
 * a consent change, and mitz_sub_answer_id, its answer to a subscription
 * (gateway/mitz_fhir.h).  A notification read has at least one Consent
 * and as many patients as it holds distinct valid BSNs, at most the
 * bound; anything else is XDS_EFORMAT or XDS_ETOOBIG with a reason.  An
 * id read is a FHIR id or "".
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl7dt.h"
#include "mitz_fhir.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mitz_notify *n;
	char err[256], id[MITZ_SUB_ID_MAX];
	size_t i, j;
	int rc;

	if ((n = malloc(sizeof *n)) == NULL)
		return 0;
	err[0] = '\0';
	rc = mitz_notify_parse((const char *)data, size, n, err, sizeof err);
	if (rc == XDS_OK) {
		if (n->nconsent == 0 || n->npatient == 0 ||
		    n->npatient > MITZ_NOTIFY_MAX_PATIENTS ||
		    n->npatient > n->nconsent)
			abort();
		for (i = 0; i < n->npatient; i++) {
			if (hl7_bsn_valid(n->bsn[i], strlen(n->bsn[i])) != 0)
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(n->bsn[i], n->bsn[j]) == 0)
					abort();
		}
	} else if ((rc != XDS_EFORMAT && rc != XDS_ETOOBIG) ||
	    memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
		abort();
	free(n);
	rc = mitz_sub_answer_id((const char *)data, size, id, sizeof id, err,
	    sizeof err);
	if (rc == XDS_OK) {
		if (memchr(id, '\0', sizeof id) == NULL ||
		    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-.") != strlen(id))
			abort();
	} else if (rc != XDS_EFORMAT)
		abort();
	return 0;
}
