/* fuzz_validate.c: bytes -> rim_parse_submit_mem -> validate_submission,
 * in both patient-id modes, as ITI-42 and as a Metadata Update (ITI-57). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "ebrim.h"
#include "validate.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct rim_list l;
	struct rim_errors e;
	struct validate_opts o = { 0, 0, 0 };
	char	 err[256];
	int	 i;

	if (!init) {
		xml_init();
		init = 1;
	}
	rim_list_init(&l);
	if (rim_parse_submit_mem((const char *)data, size, &l, err,
	    sizeof err) == XDS_OK) {
		for (i = 0; i < 4; i++) {
			o.bsn_patients = i % 2;
			o.metadata_update = i / 2;
			rim_errors_init(&e);
			(void)validate_submission(&l, &o, &e);
			rim_errors_free(&e);
		}
	}
	rim_list_free(&l);
	return 0;
}
