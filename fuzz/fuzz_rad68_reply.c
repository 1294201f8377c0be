/* fuzz_rad68_reply.c: bytes -> publish_rad68_reply and publish_rad68_outcome,
 * the parsers of what a repository answers to the DICOM bridge's RAD-68
 * (in process or from dicom.repository_url). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "publish.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char err[256];
	int ok;
	enum publish_rad68_outcome o;

	if (!init) {
		xml_init();
		init = 1;
	}
	ok = publish_rad68_reply((const char *)data, size, err, sizeof err);
	if (memchr(err, '\0', sizeof err) == NULL)
		__builtin_trap();
	o = publish_rad68_outcome((const char *)data, size,
	    "1.2.840.113619.2.1.1", "1.3.6.1.4.1.21367.2.1", err, sizeof err);
	/* The two must agree on Success. */
	if ((ok == 1) != (o == PUBLISH_RAD68_SUCCESS))
		__builtin_trap();
	return 0;
}
