/*
 * fuzz_audit_record.c: bytes -> audit_record_parse, an access log line
 * read back for the ATNA sender (lib/audit/audit_int.h), and the ATNA
 * message of what it accepts.  Every field it fills is bounded, and the
 * message, when there is one, is well-formed XML with an AuditMessage
 * root, whatever the line held.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "atna.h"
#include "audit_int.h"
#include "buf.h"
#include "status.h"
#include "xact.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
bounded(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct atna_site site = { "fuzz", "site", "127.0.0.1",
	    "urn:oid:1.2.3", "1.2.3.4", 1 };
	struct xact x;
	struct buf b;
	xmlDoc *doc;
	char when[40];
	int rc;

	if (audit_record_parse((const char *)data, size, &x, when,
	    sizeof when) != XDS_OK)
		return 0;
	bounded(when, sizeof when);
	bounded(x.txn, sizeof x.txn);
	bounded(x.endpoint, sizeof x.endpoint);
	bounded(x.peer, sizeof x.peer);
	bounded(x.patient, sizeof x.patient);
	bounded(x.object, sizeof x.object);
	buf_init(&b, 1 << 20);
	rc = atna_message(&x, when, &site, &b);
	if (rc == XDS_OK) {
		doc = xmlReadMemory(b.b_data, (int)b.b_len, "atna.xml", NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (doc == NULL || strcmp((const char *)
		    xmlDocGetRootElement(doc)->name, "AuditMessage") != 0)
			abort();
		xmlFreeDoc(doc);
	} else if (rc != XDS_ENOTFOUND)
		abort();
	buf_free(&b);
	return 0;
}
