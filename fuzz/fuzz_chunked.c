/*
 * fuzz_chunked.c: the chunked decoder on arbitrary bytes, fed whole and
 * then in pieces with a small output buffer; both must agree.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Decode with input pieces of at most step bytes, output of outsz. */
static int
decode(const char *in, size_t len, size_t step, size_t outsz,
    unsigned long long *total, size_t *consumed)
{
	struct http_chunked c;
	char out[4096];
	size_t pos = 0, used, n, piece;
	int rc = HTTP_CHUNKED_OK;

	http_chunked_init(&c, 256);
	*total = 0;
	while (rc == HTTP_CHUNKED_OK && pos < len) {
		piece = len - pos < step ? len - pos : step;
		rc = http_chunked_decode(&c, in + pos, piece, &used, out,
		    outsz, &n);
		if (used > piece || n > outsz)
			abort();
		if (used == 0 && n == 0 && rc == HTTP_CHUNKED_OK)
			abort();	/* no progress */
		pos += used;
		*total += n;
	}
	*consumed = pos;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long t1, t2;
	size_t c1, c2;
	int r1, r2;

	r1 = decode((const char *)data, size, size ? size : 1, 4096, &t1, &c1);
	r2 = decode((const char *)data, size, 3, 7, &t2, &c2);
	if (r1 != r2 || t1 != t2 || c1 != c2)
		abort();
	return 0;
}
