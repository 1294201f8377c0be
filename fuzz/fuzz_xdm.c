/*
 * fuzz_xdm.c: bytes -> xdm_name_check and xdm_meta_parse (lib/model/xdm.c).
 * A name that passes holds no ".." component, does not start with '/' and
 * has no control character; every DocumentEntry of a METADATA.XML that
 * passes has a URI that passes the name rule, a hash of 40 hex digits and
 * a size; its resubmission (ITI-41 of an import) parses again.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "status.h"
#include "xdm.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
name_props(const char *s, size_t len)
{
	char err[256];
	size_t i;

	if (xdm_name_check(s, len, err, sizeof err) != XDS_OK)
		return;
	if (len == 0 || len > XDM_NAME_MAX || s[0] == '/')
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '\\')
			abort();
	for (i = 0; i + 1 < len; i++)
		if (s[i] == '.' && s[i + 1] == '.' && (i == 0 ||
		    s[i - 1] == '/') && (i + 2 == len || s[i + 2] == '/'))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int inited;
	struct xdm_meta m;
	struct xdm_ss ss = { "1.2.3.10", "1.2.3", "1^^^&1.2&ISO",
	    "20260101000000", "t", NULL };
	struct rim_list l;
	struct buf b;
	char err[256], (*ids)[16];
	int *use;
	size_t i;

	if (!inited) {
		xml_init();
		inited = 1;
	}
	name_props((const char *)data, len);
	if (len > 1024 * 1024)
		return 0;
	if (xdm_meta_parse((const char *)data, len, &m, err, sizeof err) !=
	    XDS_OK) {
		if (err[0] == '\0')
			abort();
		xdm_meta_free(&m);
		return 0;
	}
	if (m.ndocs == 0 || m.ndocs > XDM_MAX_DOCS)
		abort();
	for (i = 0; i < m.ndocs; i++)
		if (xdm_name_check(m.docs[i].uri, strlen(m.docs[i].uri), err,
		    sizeof err) != XDS_OK || strlen(m.docs[i].hash) != 40 ||
		    m.docs[i].size < 0)
			abort();
	use = calloc(m.ndocs, sizeof *use);
	ids = calloc(m.ndocs, sizeof *ids);
	if (use == NULL || ids == NULL)
		abort();
	for (i = 0; i < m.ndocs; i++)
		use[i] = 1;
	buf_init(&b, 64 * 1024 * 1024);
	if (xdm_meta_resubmit(&m, use, &ss, ids, &b) != XDS_OK ||
	    rim_parse_submit_mem(b.b_data, b.b_len, &l, err, sizeof err) !=
	    XDS_OK)
		abort();
	rim_list_free(&l);
	buf_free(&b);
	free(use);
	free(ids);
	xdm_meta_free(&m);
	return 0;
}
