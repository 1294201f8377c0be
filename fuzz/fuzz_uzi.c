/*
 * fuzz_uzi.c: bytes -> pki_uzi_parse.  The input is passed with its
 * exact length (not NUL-terminated), so a read past len is caught by
 * ASan.  An accepted string must give the documented fields.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pki_uzi u;
	char err[128];

	if (pki_uzi_parse((const char *)data, len, &u, err, sizeof err) !=
	    XDS_OK)
		return 0;
	if (len > PKI_UZI_MAX || u.ura[0] == '\0' || u.uzi[0] == '\0' ||
	    strchr("ZNMS", u.type) == NULL || u.type == '\0' ||
	    strlen(u.role) != 6)
		abort();
	return 0;
}
