/*
 * soap_mtom.c: the MTOM/XOP side of soap_serve().  Until the MTOM parser
 * and writer (mtom.h) are in, an MTOM request gets a clear fault.
 */
#include "config.h"

#include "soap_int.h"
#include "vocab.h"

int
soap_mtom_read(struct serve *s)
{
	soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
	    "MTOM/XOP (" CT_MULTIPART_RELATED ") is not available yet");
	s->f.http_status = 415;
	return -1;
}

int
soap_mtom_resolve(struct serve *s)
{
	(void)s;
	return 0;
}

int
soap_mtom_send(struct serve *s, const struct buf *env)
{
	(void)env;
	soap_fault_set(&s->f, SOAP_FAULT_RECEIVER, NULL, NULL,
	    "MTOM/XOP responses are not available yet");
	return send_fault(s);
}
