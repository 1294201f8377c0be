/*
 * fuzz_mitz_loc.c: bytes -> mitz_loc_parse, Mitz's answer to the open
 * question (ITI-56, gateway/mitz_loc.h).  The communities read are
 * distinct urn:oid: values, at most MITZ_LOC_MAX; anything else is
 * XDS_EFORMAT or XDS_ETOOBIG with a reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mitz_loc.h"
#include "status.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mitz_loc *l;
	char err[256];
	size_t i, j;
	int rc;

	xml_init();
	if ((l = malloc(sizeof *l)) == NULL)
		return 0;
	err[0] = '\0';
	rc = mitz_loc_parse((const char *)data, size, NULL, l, err,
	    sizeof err);
	if (rc == XDS_OK) {
		if (l->n > MITZ_LOC_MAX)
			abort();
		for (i = 0; i < l->n; i++) {
			if (strncmp(l->hcid[i], "urn:oid:", 8) != 0 ||
			    memchr(l->hcid[i], '\0', sizeof l->hcid[i]) == NULL)
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(l->hcid[i], l->hcid[j]) == 0)
					abort();
		}
	} else if ((rc != XDS_EFORMAT && rc != XDS_ETOOBIG) ||
	    memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
		abort();
	free(l);
	return 0;
}
