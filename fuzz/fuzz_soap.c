/*
 * fuzz_soap.c: bytes -> SOAP 1.2 envelope parse and the writers that echo
 * parsed values (escaping must hold for any input); then the same bytes
 * through soap_serve() as a simple SOAP request to an echo endpoint, so
 * dispatch, the route checks and the fault paths see them too.
 *
 * Push parser: the same bytes through xml_push in chunks of a size taken
 * from the input must succeed exactly when xml_parse does and build the
 * same document; then as the root part of an MTOM ITI-41 request to an
 * endpoint that streams inline base64 xdsb:Document text (the divert
 * path: spools, synthetic parts, xop:Include resolution).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "soap.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#include "../tests/lib/testxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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

static const struct soap_route routes[] = {
	TESTXML_ECHO_ROUTES,
	{ ACT_ITI41, ACT_ITI41_RSP, TXN_ITI41, NS_XDSB,
	  "ProvideAndRegisterDocumentSetRequest", PACK_MTOM,
	  testxml_echo },
};

static const struct soap_endpoint ep = { "/fuzz", routes, 3, NULL, NULL, 0 };

static const struct xml_qname inline_names[] = {
	{ NS_XDSB, "Document" }, { NULL, NULL }
};
static const struct soap_endpoint ep_inline = {
	"/fuzz", routes, 3, NULL, inline_names, 0
};

#define BOUNDARY	"fuzzB0undary"
#define MTOM_CT		"multipart/related; type=\"application/xop+xml\"; " \
	"start=\"<root@fuzz>\"; start-info=\"application/soap+xml\"; " \
	"boundary=\"" BOUNDARY "\""
#define PART_ROOT	"--" BOUNDARY "\r\nContent-Type: application/xop+xml; " \
	"type=\"application/soap+xml\"\r\nContent-ID: <root@fuzz>\r\n\r\n"
#define PART_END	"\r\n--" BOUNDARY "\r\nContent-ID: <doc1@fuzz>\r\n\r\n" \
	"hello\r\n--" BOUNDARY "--\r\n"

static char spool[64] = "/tmp/fuzz_soap.XXXXXX";

static void
rm_spool(void)
{
	(void)rmdir(spool);
}

/* xml_push in chunks of chunk bytes agrees with xml_parse. */
static void
push_vs_parse(const uint8_t *data, size_t len, size_t chunk)
{
	xmlDoc *d1, *d2;
	char err[256], *a, *b;
	int st;

	d1 = xml_parse((const char *)data, len, err, sizeof err);
	d2 = testxml_push(data, len, chunk, len, NULL, &st, err, sizeof err);
	/* Both refuse a NUL byte anywhere (xml_parse checks it first). */
	if ((d1 == NULL) != (d2 == NULL))
		abort();
	if (d1 != NULL && d2 != NULL) {
		a = testxml_dump(d1);
		b = testxml_dump(d2);
		if (a == NULL || b == NULL || strcmp(a, b) != 0)
			abort();
		xmlFree(a);
		xmlFree(b);
	}
	xmlFreeDoc(d1);
	xmlFreeDoc(d2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int init;
	struct soap_env env;
	struct soap_fault f;
	struct buf b;
	struct testxml_src m = { data, len, 0, 0 };
	struct soap_io io = { testxml_read, begin, wr, end, &m };
	struct soap_limits lim = { 1024 * 1024, 0, NULL, 1024 * 1024, 0, 0 };
	struct xact x;

	struct buf mt;

	if (!init) {
		xml_init();
		if (mkdtemp(spool) == NULL)
			abort();
		atexit(rm_spool);
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

	push_vs_parse(data, len, len > 0 ? (size_t)data[len - 1] % 97 + 1 : 1);

	buf_init(&mt, 2 * 1024 * 1024);
	if (buf_adds(&mt, PART_ROOT) == XDS_OK &&
	    buf_add(&mt, data, len) == XDS_OK &&
	    buf_adds(&mt, PART_END) == XDS_OK) {
		m.p = mt.b_data;
		m.len = mt.b_len;
		m.pos = 0;
		lim.max_envelope = 64 * 1024;
		lim.max_attachment = 256 * 1024;
		lim.spool_dir = spool;
		xact_begin(&x, NULL, "/fuzz", "", "");
		(void)soap_serve(&ep_inline, MTOM_CT "; action=\"" ACT_ITI41
		    "\"", &io, &lim, &x);
	}
	buf_free(&mt);
	return 0;
}
