/*
 * fuzz_xdr_subject.c: bytes -> xdr_subject_ura, the URA a certificate
 * subject names (gateway/xdr.h).  The input is one subject (up to the
 * first NUL).  A URA found is 8 digits; none leaves the output empty.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s, ura[9];
	int rc;

	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	memset(ura, 'x', sizeof ura);
	rc = xdr_subject_ura(s, ura, sizeof ura);
	if (rc == 1 && (strlen(ura) != 8 || strspn(ura, "0123456789") != 8))
		abort();
	if (rc != 1 && ura[0] != '\0' && rc != -1)
		abort();
	if (rc < -1 || rc > 1)
		abort();
	free(s);
	return 0;
}
