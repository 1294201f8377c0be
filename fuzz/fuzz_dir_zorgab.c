/*
 * fuzz_dir_zorgab.c: bytes -> dir_zorgab_parse, one answer of ZORG-AB
 * (gateway/dir_zorgab.h).  Every community it makes has each field
 * within its bound and of the form the static directory requires (a
 * home community id urn:oid:, a URL the node may use, a URA of 8 digits
 * or none, a name without control characters), no home community id
 * twice and never this node's; a refusal says why.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dir_zorgab.h"
#include "directory.h"
#include "status.h"
#include "url.h"

#define OWN	"urn:oid:1.3.6.1.4.1.21367.13.70.1"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* s is a NUL-terminated string of fewer than size bytes. */
static void
bounded(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

static void
check(const struct dir_community *c)
{
	char err[256];
	size_t i;

	bounded(c->hcid, sizeof c->hcid);
	bounded(c->url, sizeof c->url);
	bounded(c->ura, sizeof c->ura);
	bounded(c->name, sizeof c->name);
	bounded(c->dicom, sizeof c->dicom);
	bounded(c->xdr, sizeof c->xdr);
	/* a community with its gateway, or an organisation reached by
	 * push only: no community, a URA, xdr= or dicom= */
	if (c->hcid[0] == '\0' ? c->url[0] != '\0' || c->ura[0] == '\0' ||
	    (c->xdr[0] == '\0' && c->dicom[0] == '\0') :
	    strncmp(c->hcid, "urn:oid:", 8) != 0 ||
	    url_check(c->url, err, sizeof err) != XDS_OK)
		abort();
	if (strcmp(c->hcid, OWN) == 0 || c->name[0] == '\0' ||
	    c->name[0] == ' ' ||
	    (c->xdr[0] != '\0' && url_check(c->xdr, err, sizeof err) !=
	    XDS_OK))
		abort();
	if (c->ura[0] != '\0' && (strlen(c->ura) != 8 ||
	    strspn(c->ura, "0123456789") != 8))
		abort();
	for (i = 0; c->name[i] != '\0'; i++)
		if ((unsigned char)c->name[i] < 0x20 || c->name[i] == 0x7f)
			abort();
	if (c->max_documents != 0 || c->timeout != 0 || c->concurrency != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dir_community *v = NULL;
	size_t n, norgs, i, j;
	char err[256];
	int st;

	err[0] = '\0';
	st = dir_zorgab_parse((const char *)data, len, OWN, &v, &n, &norgs,
	    err, sizeof err);
	if (st != XDS_OK) {
		if (err[0] == '\0' || v != NULL || (st != XDS_EFORMAT &&
		    st != XDS_ETOOBIG && st != XDS_ENOMEM))
			abort();
		return 0;
	}
	if (n > norgs * 64 + 2000 || (n == 0) != (v == NULL))
		abort();
	for (i = 0; i < n; i++) {
		check(&v[i]);
		for (j = 0; j < i; j++)
			if (v[i].hcid[0] != '\0' && strcmp(v[i].hcid,
			    v[j].hcid) == 0)
				abort();
	}
	free(v);
	return 0;
}
