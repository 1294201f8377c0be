/*
 * fuzz_conform.c: bytes -> a conformance test definition read
 * (conform_test_parse) and, when it reads, its message filled
 * (conform_expand) with a fragment that takes parameters and defaults.
 * Checks: a test that reads has a valid name, a transaction and an
 * expected status; filling never reads past the input (the input is
 * copied without a NUL past len for the parser).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *
frag(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "f") == 0)
		return "<!-- defaults: a=1 b=$uuid:x -->\n<x a=\"%a%\">%b%@{g}</x>";
	if (strcmp(name, "g") == 0)
		return "<g/>";
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conform_test t;
	struct conform_vars v;
	struct buf out;
	const char *a;
	char err[512], *copy;
	int m;

	if ((copy = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	if (conform_test_parse("fuzz", copy, len, &t, err, sizeof err) ==
	    XDS_OK) {
		if (t.name[0] == '\0' || conform_send_action(t.send, &a, &m) !=
		    0 || conform_test_get(&t, "expect.status") == NULL ||
		    t.body == NULL)
			abort();
		conform_vars_init(&v);
		v.frag = frag;
		(void)conform_var_set(&v, "patient", "1^^^&1.2&ISO");
		buf_init(&out, 1024 * 1024);
		(void)conform_expand(&v, t.body, &out, err, sizeof err);
		buf_free(&out);
		conform_vars_free(&v);
		conform_test_free(&t);
	}
	free(copy);
	return 0;
}
