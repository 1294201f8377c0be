#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->b_data = NULL;
	b->b_len = b->b_cap = 0;
	b->b_max = max;
}

void
buf_free(struct buf *b)
{
	free(b->b_data);
	buf_init(b, b->b_max);
}

void
buf_reset(struct buf *b)
{
	b->b_len = 0;
	if (b->b_data)
		b->b_data[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t need)
{
	size_t ncap;
	char *p;

	if (need > b->b_max || need + 1 < need)
		return XDS_ETOOBIG;
	if (need + 1 <= b->b_cap)
		return XDS_OK;
	ncap = b->b_cap ? b->b_cap : 256;
	while (ncap < need + 1)
		ncap *= 2;
	if (ncap > b->b_max + 1)
		ncap = b->b_max + 1;
	if ((p = realloc(b->b_data, ncap)) == NULL)
		return XDS_ENOMEM;
	b->b_data = p;
	b->b_cap = ncap;
	return XDS_OK;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return XDS_OK;
	if (b->b_len + n < b->b_len)
		return XDS_ETOOBIG;
	if ((rc = buf_grow(b, b->b_len + n)) != XDS_OK)
		return rc;
	memcpy(b->b_data + b->b_len, p, n);
	b->b_len += n;
	b->b_data[b->b_len] = '\0';
	return XDS_OK;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return XDS_ENOMEM;
	if ((rc = buf_grow(b, b->b_len + (size_t)n)) != XDS_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->b_data + b->b_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->b_len += (size_t)n;
	return XDS_OK;
}

int
buf_add_xml(struct buf *b, const char *s)
{
	const char *p, *run = s;
	int rc;

	for (p = s; *p; p++) {
		const char *e;

		switch (*p) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&apos;"; break;
		default: continue;
		}
		if ((rc = buf_add(b, run, (size_t)(p - run))) != XDS_OK ||
		    (rc = buf_adds(b, e)) != XDS_OK)
			return rc;
		run = p + 1;
	}
	return buf_add(b, run, (size_t)(p - run));
}

char *
buf_take(struct buf *b, size_t *len)
{
	char *p = b->b_data;

	if (len)
		*len = b->b_len;
	if (p == NULL)
		p = calloc(1, 1);
	buf_init(b, b->b_max);
	return p;
}

const char *
buf_str(const struct buf *b)
{
	return b->b_data ? b->b_data : "";
}
