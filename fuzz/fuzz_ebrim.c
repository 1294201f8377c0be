/*
 * fuzz_ebrim.c: bytes -> rim_parse_submit_mem -> rim_write_object of each
 * object; whatever parses must also write, and the written text must
 * parse again to the same number of objects.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "ebrim.h"
#include "vocab.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int inited;
	struct rim_list l, l2;
	struct buf b;
	char err[256];
	size_t i;

	if (!inited) {
		xml_init();
		inited = 1;
	}
	if (len > 1024 * 1024)
		return 0;
	if (rim_parse_submit_mem((const char *)data, len, &l, err,
	    sizeof err) != XDS_OK) {
		rim_list_free(&l);
		return 0;
	}
	buf_init(&b, 64 * 1024 * 1024);
	if (buf_adds(&b, "<rim:RegistryObjectList xmlns:rim=\"" NS_RIM "\">")
	    != XDS_OK)
		abort();
	for (i = 0; i < l.nobj; i++)
		if (rim_write_object(&l.obj[i], &b) != XDS_OK)
			abort();
	if (buf_adds(&b, "</rim:RegistryObjectList>") != XDS_OK)
		abort();
	/* What we write we must read back. */
	if (rim_parse_submit_mem(b.b_data, b.b_len, &l2, err, sizeof err) !=
	    XDS_OK || l2.nobj != l.nobj)
		abort();
	rim_list_free(&l2);
	buf_free(&b);
	rim_list_free(&l);
	return 0;
}
