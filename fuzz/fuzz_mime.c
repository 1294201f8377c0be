/*
 * fuzz_mime.c: the multipart parser, Content-Type and cid helpers, and
 * the MTOM reader.  Input: the first line is the HTTP Content-Type value,
 * the rest the body.  The body is parsed whole and in random-sized chunks
 * (sizes drawn from a generator seeded by the input); both runs must give
 * the same status and the same parts, byte for byte.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "mtom.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct ev {
	uint64_t	 h;		/* FNV-1a over the event stream */
	size_t		 nbegin, nend;
};

static void
mix(struct ev *e, const void *d, size_t n)
{
	const unsigned char *p = d;

	while (n-- > 0)
		e->h = (e->h ^ *p++) * 0x100000001b3ULL;
}

static int
on_begin(void *arg, const struct mime_part *p)
{
	struct ev *e = arg;

	if (e->nbegin != e->nend || p->index != e->nbegin)
		abort();		/* begin/end must alternate */
	e->nbegin++;
	mix(e, "B", 1);
	mix(e, p->content_type, strlen(p->content_type) + 1);
	mix(e, p->content_id, strlen(p->content_id) + 1);
	mix(e, &p->cte, sizeof p->cte);
	return 0;
}

static int
on_data(void *arg, const char *d, size_t n)
{
	struct ev *e = arg;

	if (n == 0 || e->nbegin != e->nend + 1)
		abort();
	mix(e, d, n);
	return 0;
}

static int
on_end(void *arg)
{
	struct ev *e = arg;

	if (e->nbegin != e->nend + 1)
		abort();
	e->nend++;
	mix(e, "E", 1);
	return 0;
}

static const struct mime_callbacks cb = { on_begin, on_data, on_end };

static int
run(const char *boundary, const uint8_t *d, size_t n, uint64_t seed,
    struct ev *e)
{
	struct mime_limits lim = { 512, 16, 64 };
	struct mime_parser *p;
	char err[128];
	size_t off = 0, k;
	int rc;

	e->h = 0xcbf29ce484222325ULL;
	e->nbegin = e->nend = 0;
	if ((rc = mime_parser_new(&p, boundary, &lim, &cb, e, err,
	    sizeof err)) != 0)
		return rc;
	while (off < n && rc == 0) {
		if (seed == 0) {
			k = n - off;
		} else {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			k = 1 + (size_t)(seed % 64);
			if (k > n - off)
				k = n - off;
		}
		rc = mime_feed(p, d + off, k);
		off += k;
	}
	if (rc == 0)
		rc = mime_finish(p);
	if (rc != 0 && mime_error(p)[0] == '\0')
		abort();		/* every error has a text */
	mime_parser_free(p);
	return rc;
}

static char spool[64];

static void
spool_remove(void)
{
	(void)rmdir(spool);	/* empty: the reader removes its files */
}

static void
mtom(const char *ctype, const uint8_t *d, size_t n)
{
	struct mtom_limits lim = { 4096, 4096, 8, 512, 0, NULL };
	struct mtom_reader *r;
	struct mtom_message m;
	char err[256];
	size_t half = n / 2, i;

	if (spool[0] == '\0') {
		str_lcpy(spool, "/tmp/fuzz_mime.XXXXXX", sizeof spool);
		if (mkdtemp(spool) == NULL)
			abort();
		atexit(spool_remove);
	}
	if (mtom_reader_new(&r, ctype, spool, &lim, err, sizeof err) != 0)
		return;
	if (mtom_reader_feed(r, d, half, err, sizeof err) == 0 &&
	    mtom_reader_feed(r, d + half, n - half, err, sizeof err) == 0 &&
	    mtom_reader_finish(r, &m, err, sizeof err) == 0) {
		for (i = 0; i < m.natt; i++)
			if (strlen(m.att[i].sha1) != 40 || m.att[i].size > 4096)
				abort();
		if (m.root.b_len > 4096)
			abort();
		mtom_message_free(&m);
	}
	mtom_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_ctype ct;
	struct ev whole, chunked;
	const uint8_t *nl;
	char ctype[1024], cid[64], err[128];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t hl, i;
	int rc1, rc2;

	if ((nl = memchr(data, '\n', size)) == NULL)
		return 0;
	hl = (size_t)(nl - data);
	if (hl >= sizeof ctype)
		return 0;
	memcpy(ctype, data, hl);
	ctype[hl] = '\0';
	if (mime_cid_decode(ctype, hl, cid, sizeof cid) == 0 &&
	    strlen(cid) >= sizeof cid)
		abort();
	if (mime_content_type_parse(ctype, &ct, err, sizeof err) != 0 ||
	    ct.boundary[0] == '\0')
		return 0;
	data = nl + 1;
	size -= hl + 1;
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ULL;
	rc1 = run(ct.boundary, data, size, 0, &whole);
	rc2 = run(ct.boundary, data, size, seed | 1, &chunked);
	if (rc1 != rc2 || whole.h != chunked.h ||
	    whole.nbegin != chunked.nbegin)
		abort();
	mtom(ctype, data, size);
	return 0;
}
