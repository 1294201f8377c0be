/* fuzz_soap_answer.c: "Content-Type\n" + body -> soap_call_answer, what
 * the SOAP client makes of an answer (simple SOAP, or MTOM with its parts
 * spooled): the status is one of the enum, a SOAP answer has a body
 * element, a fault is a soap:Fault, and freeing the answer leaves no
 * spool file behind. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soap_peer.h"
#include "status.h"
#include "vocab.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char spool[64];

static void
spool_remove(void)
{
	(void)rmdir(spool);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct soap_bounds b;
	struct soap_call c;
	char ctype[512], paths[8][1024];
	const uint8_t *nl;
	size_t n, i, natt;
	int st;

	if (spool[0] == '\0') {
		xml_init();
		memcpy(spool, "/tmp/fuzz_soap_answer.XXXXXX", 29);
		if (mkdtemp(spool) == NULL)
			abort();
		atexit(spool_remove);
	}
	if ((nl = memchr(data, '\n', size)) == NULL ||
	    (n = (size_t)(nl - data)) >= sizeof ctype)
		return 0;
	memcpy(ctype, data, n);
	ctype[n] = '\0';
	memset(&b, 0, sizeof b);
	b.max_answer = 64 * 1024;
	b.max_part = 1 << 20;
	b.max_parts = 8;
	b.spool_dir = spool;
	soap_call_init(&c, ACT_ITI43, PACK_MTOM);
	st = soap_call_answer(&c, 200, ctype, nl + 1, size - n - 1, &b);
	if (st > 0 || st < XDS_STATUS_MIN || st != c.ans.status ||
	    memchr(c.ans.err, '\0', sizeof c.ans.err) == NULL)
		__builtin_trap();
	if (st == XDS_OK && (c.ans.doc == NULL || c.ans.body == NULL))
		__builtin_trap();
	if (c.ans.fault && !xml_is(c.ans.body, NS_SOAP12, "Fault"))
		__builtin_trap();
	natt = c.ans.natt < 8 ? c.ans.natt : 8;
	for (i = 0; i < natt; i++)
		memcpy(paths[i], c.ans.att[i].path, sizeof paths[i]);
	soap_call_free(&c);
	for (i = 0; i < natt; i++)
		if (paths[i][0] != '\0' && access(paths[i], F_OK) == 0)
			__builtin_trap();
	return 0;
}
