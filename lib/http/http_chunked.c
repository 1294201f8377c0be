/*
 * http_chunked.c: incremental chunked transfer-coding decoder.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 */
#include "config.h"

#include <string.h>

#include "http_chunked.h"

#define MAX_DIGITS	15	/* significant hex digits: < 2^60 */

enum {
	CH_SIZE0,	/* first hex digit of chunk-size */
	CH_SIZE,	/* more hex digits, BWS, ';' or CR */
	CH_BWS,		/* whitespace after the size: ';' or CR next */
	CH_EXT,		/* chunk extension, skipped up to CR */
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRL_START,	/* start of a trailer line or the final CRLF */
	CH_TRL_LINE,
	CH_TRL_LF,
	CH_END_LF,
	CH_DONE,
	CH_ERR,
};

void
http_chunked_init(struct http_chunked *c, size_t max_trailer)
{
	memset(c, 0, sizeof *c);
	c->state = CH_SIZE0;
	c->max_trailer = max_trailer ? max_trailer : HTTP_CHUNKED_MAX_TRAILER;
}

static int
hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Characters allowed inside an extension or trailer line. */
static int
line_char_ok(unsigned char ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static int
bad(struct http_chunked *c, const char *why)
{
	c->state = CH_ERR;
	c->error = why;
	return HTTP_CHUNKED_ERR;
}

int
http_chunked_decode(struct http_chunked *c, const char *in, size_t inlen,
    size_t *used, char *out, size_t outlen, size_t *outn)
{
	size_t i = 0, o = 0;
	int rc = HTTP_CHUNKED_OK;

	while (i < inlen && c->state != CH_DONE && c->state != CH_ERR) {
		unsigned char ch = (unsigned char)in[i];
		int v;

		if (c->state == CH_DATA) {
			size_t n = inlen - i;

			if (o == outlen)
				break;
			if (n > outlen - o)
				n = outlen - o;
			if (n > c->remaining)
				n = (size_t)c->remaining;
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
			c->remaining -= n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		if (c->state <= CH_SIZE_LF &&
		    ++c->line > HTTP_CHUNKED_MAX_LINE) {
			rc = bad(c, "chunk-size line too long");
			break;
		}
		if (c->state >= CH_TRL_START && c->state <= CH_END_LF &&
		    ++c->trailer > c->max_trailer) {
			rc = bad(c, "trailer section too large");
			break;
		}
		i++;
		switch (c->state) {
		case CH_SIZE0:
		case CH_SIZE:
			if ((v = hexval(ch)) >= 0) {
				if (c->digits > 0 || v > 0)
					c->digits++;
				if (c->digits > MAX_DIGITS) {
					rc = bad(c, "chunk-size too large");
					goto out;
				}
				c->remaining = (c->remaining << 4) | (unsigned)v;
				c->state = CH_SIZE;
			} else if (c->state == CH_SIZE0) {
				rc = bad(c, "chunk-size expected");
				goto out;
			} else if (ch == ' ' || ch == '\t')
				c->state = CH_BWS;
			else if (ch == ';')
				c->state = CH_EXT;
			else if (ch == '\r')
				c->state = CH_SIZE_LF;
			else {
				rc = bad(c, "bad character after chunk-size");
				goto out;
			}
			break;
		case CH_BWS:
			if (ch == ';')
				c->state = CH_EXT;
			else if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (ch != ' ' && ch != '\t') {
				rc = bad(c, "bad character after chunk-size");
				goto out;
			}
			break;
		case CH_EXT:
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (!line_char_ok(ch)) {
				rc = bad(c, "bad character in chunk extension");
				goto out;
			}
			break;
		case CH_SIZE_LF:
			if (ch != '\n') {
				rc = bad(c, "chunk-size line not ended by CRLF");
				goto out;
			}
			c->line = 0;
			c->digits = 0;
			c->state = c->remaining ? CH_DATA : CH_TRL_START;
			break;
		case CH_DATA_CR:
			if (ch != '\r') {
				rc = bad(c, "chunk-data not followed by CRLF");
				goto out;
			}
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (ch != '\n') {
				rc = bad(c, "chunk-data not followed by CRLF");
				goto out;
			}
			c->state = CH_SIZE0;
			break;
		case CH_TRL_START:
			if (ch == '\r')
				c->state = CH_END_LF;
			else if (ch == ' ' || ch == '\t' || !line_char_ok(ch)) {
				rc = bad(c, "bad trailer field");
				goto out;
			} else
				c->state = CH_TRL_LINE;
			break;
		case CH_TRL_LINE:
			if (ch == '\r')
				c->state = CH_TRL_LF;
			else if (!line_char_ok(ch)) {
				rc = bad(c, "bad character in trailer field");
				goto out;
			}
			break;
		case CH_TRL_LF:
		case CH_END_LF:
			if (ch != '\n') {
				rc = bad(c, "trailer line not ended by CRLF");
				goto out;
			}
			c->state = c->state == CH_END_LF ? CH_DONE : CH_TRL_START;
			break;
		}
	}
out:
	if (rc == HTTP_CHUNKED_OK && c->state == CH_DONE)
		rc = HTTP_CHUNKED_DONE;
	if (c->state == CH_ERR)
		rc = HTTP_CHUNKED_ERR;
	*used = i;
	*outn = o;
	return rc;
}
