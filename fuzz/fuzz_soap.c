/*
 * fuzz_soap.c: bytes -> SOAP 1.2 envelope parse, and on success or fault
 * the writers that echo parsed values (escaping must hold for any input).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "soap.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int init;
	struct soap_env env;
	struct soap_fault f;
	struct buf b;

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
	return 0;
}
