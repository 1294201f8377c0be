/* fuzz_check.c: bytes -> chk_message (every framing, every checker),
 * with the report's JSON; the counts must agree with the findings. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "check.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct chk_report r;
	struct buf j;
	size_t i, ne = 0;
	char err[256];

	if (!init) {
		xml_init();
		if (chk_init(err, sizeof err) != XDS_OK)
			abort();
		init = 1;
	}
	chk_report_init(&r);
	if (chk_message((const char *)data, size, NULL, &r) == XDS_OK) {
		for (i = 0; i < r.n; i++)
			ne += r.v[i].sev == CHK_ERROR;
		if (ne > r.nerrors || r.n > CHK_MAX_FINDINGS)
			abort();
		buf_init(&j, 1 << 24);
		(void)chk_report_json(&r, "fuzz", &j);
		buf_free(&j);
	}
	chk_report_free(&r);
	return 0;
}
