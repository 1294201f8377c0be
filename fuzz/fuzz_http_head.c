/*
 * fuzz_http_head.c: the request-head parser on arbitrary bytes, with
 * small and default limits, checking the spans it returns stay inside
 * the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_span(const struct http_span *s, const char *buf, size_t len)
{
	if (s->p == NULL)
		return;
	if (s->p < buf || s->p + s->len > buf + len)
		abort();
}

static void
run(const char *buf, size_t len, size_t max_fields, size_t max_head)
{
	struct http_field fields[64];
	struct http_head h;
	size_t i;
	int rc;

	memset(&h, 0, sizeof h);
	h.fields = fields;
	h.max_fields = max_fields;
	h.max_head = max_head;
	rc = http_parse_head(buf, len, &h);
	if (rc == HTTP_PARSE_ERR) {
		if (h.status < 400 || h.status > 599 || h.error == NULL)
			abort();
		return;
	}
	if (rc != HTTP_PARSE_DONE)
		return;
	if (h.head_len > len || h.head_len > max_head || h.nfields > max_fields)
		abort();
	check_span(&h.method, buf, h.head_len);
	check_span(&h.target, buf, h.head_len);
	for (i = 0; i < h.nfields; i++) {
		check_span(&h.fields[i].name, buf, h.head_len);
		check_span(&h.fields[i].value, buf, h.head_len);
	}
	if (h.chunked && h.content_length != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run((const char *)data, size, 64, 16384);
	run((const char *)data, size, 3, 128);
	return 0;
}
