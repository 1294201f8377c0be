/* fuzz_repo_response.c: bytes -> registry_client_parse_response, the
 * parser of what a remote registry answers to the repository's ITI-42. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "ebrim.h"
#include "registry_client.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct rim_errors e;
	char	 err[256];

	if (!init) {
		xml_init();
		init = 1;
	}
	rim_errors_init(&e);
	(void)registry_client_parse_response((const char *)data, size, &e,
	    err, sizeof err);
	rim_errors_free(&e);
	return 0;
}
