/*
 * fuzz_soap.c: bytes -> SOAP 1.2 envelope parse and the writers that echo
 * parsed values (escaping must hold for any input); then the same bytes
 * through soap_serve() as a simple SOAP request to an echo endpoint, so
 * dispatch, the route checks and the fault paths see them too.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "soap.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct mem {
	const uint8_t	*p;
	size_t		 len, pos;
};

static ssize_t
rd(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int
begin(void *ctx, int status, const char *ct, long long clen)
{
	(void)ctx;
	(void)status;
	(void)ct;
	(void)clen;
	return 0;
}

static int
wr(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static int
end(void *ctx)
{
	(void)ctx;
	return 0;
}

static int
echo(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	(void)actor;
	(void)x;
	if (buf_adds(&reply->body, "<e name=\"") != BUF_OK ||
	    buf_add_xml(&reply->body, (const char *)req->body->name) !=
	    BUF_OK || buf_adds(&reply->body, "\"/>") != BUF_OK)
		return -1;
	return 0;
}

static const struct soap_route routes[] = {
	{ ACT_ITI42, ACT_ITI42_RSP, TXN_ITI42, NS_LCM, "SubmitObjectsRequest",
	  PACK_SIMPLE, echo },
	{ ACT_ITI18, ACT_ITI18_RSP, TXN_ITI18, NS_QUERY, "AdhocQueryRequest",
	  PACK_SIMPLE, echo },
	{ ACT_ITI41, ACT_ITI41_RSP, TXN_ITI41, NS_XDSB,
	  "ProvideAndRegisterDocumentSetRequest", PACK_MTOM, echo },
};

static const struct soap_endpoint ep = { "/fuzz", routes, 3, NULL, NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int init;
	struct soap_env env;
	struct soap_fault f;
	struct buf b;
	struct mem m = { data, len, 0 };
	struct soap_io io = { rd, begin, wr, end, &m };
	struct soap_limits lim = { 1024 * 1024, 0, NULL, 1024 * 1024 };
	struct xact x;

	if (!init) {
		xml_init();
		init = 1;
	}
	if (len > 1024 * 1024)
		return 0;
	buf_init(&b, 1024 * 1024);
	if (soap_env_parse((const char *)data, len, &env, &f) == 0) {
		(void)soap_write_response(&b, env.action, env.message_id,
		    "<x/>", 4);
		soap_env_free(&env);
	} else
		(void)soap_write_fault(&b, &f, env.message_id);
	buf_free(&b);

	xact_begin(&x, NULL, "/fuzz", "", "");
	(void)soap_serve(&ep, CT_SOAP12 "; charset=UTF-8", &io, &lim, &x);
	return 0;
}
