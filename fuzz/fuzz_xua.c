/*
 * fuzz_xua.c: bytes -> xua_parse, the claims of an X-User Assertion
 * (lib/xua/xua.h).  Claims come only with XDS_OK, every field within its
 * bound; anything else is XDS_EFORMAT with a reason and no claims.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xml.h"
#include "xua.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define TERMINATED(f)	(memchr((f), '\0', sizeof (f)) != NULL)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xua_claims c;
	char err[256];
	int rc;

	xml_init();
	err[0] = '\0';
	rc = xua_parse((const char *)data, size, &c, err, sizeof err);
	if (rc == XDS_OK) {
		if (!TERMINATED(c.id) || c.id[0] == '\0' ||
		    !TERMINATED(c.issuer) || !TERMINATED(c.subject) ||
		    !TERMINATED(c.audience) || !TERMINATED(c.provider_id) ||
		    !TERMINATED(c.mandated) || !TERMINATED(c.role) ||
		    !TERMINATED(c.ura) || !TERMINATED(c.purpose) ||
		    !TERMINATED(c.org_type) ||
		    !TERMINATED(c.event_code) || !TERMINATED(c.subject_id) ||
		    !TERMINATED(c.organization) ||
		    !TERMINATED(c.organization_id) ||
		    !TERMINATED(c.home_community_id) ||
		    !TERMINATED(c.resource_id))
			abort();
		(void)xua_require(&c, err, sizeof err);
	} else if (rc != XDS_EFORMAT || !TERMINATED(err) || err[0] == '\0')
		abort();
	return 0;
}
