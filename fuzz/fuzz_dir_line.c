/*
 * fuzz_dir_line.c: bytes -> dir_parse_line, a line of the static
 * community directory (gateway/directory.h).  The input is one line (up
 * to the first NUL).  A community it accepts has every field within its
 * bound and form, and written back as a line it parses to the same
 * community; a refusal says why.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "str.h"

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
	bounded(c->hcid, sizeof c->hcid);
	bounded(c->url, sizeof c->url);
	bounded(c->ura, sizeof c->ura);
	bounded(c->name, sizeof c->name);
	bounded(c->dicom, sizeof c->dicom);
	bounded(c->xdr, sizeof c->xdr);
	if ((c->hcid[0] != '\0' && strncmp(c->hcid, "urn:oid:", 8) != 0) ||
	    c->name[0] == '\0' || c->name[0] == ' ')
		abort();
	/* a gateway has its community; without either, a URA and a way
	 * to push */
	if ((c->url[0] != '\0' && c->hcid[0] == '\0') ||
	    (c->hcid[0] == '\0' && c->ura[0] == '\0') ||
	    (c->url[0] == '\0' && c->xdr[0] == '\0' && c->dicom[0] == '\0'))
		abort();
	if (c->ura[0] != '\0' && (strlen(c->ura) != 8 ||
	    strspn(c->ura, "0123456789") != 8))
		abort();
	if (c->max_documents < 0 || c->max_documents > 10000 ||
	    c->timeout < 0 || c->timeout > 3600 || c->concurrency < 0 ||
	    c->concurrency > 1024)
		abort();
}

/* c as a line again: the settings that are set, then the name. */
static void
write_line(const struct dir_community *c, char *out, size_t outsz)
{
	char set[2 * DIR_URL_MAX + DIR_AE_MAX + 128];

	dir_settings_text(c, set, sizeof set);
	str_fmt(out, outsz, "%s %s %s%s%s %s",
	    c->hcid[0] != '\0' ? c->hcid : "-", c->url[0] != '\0' ? c->url : "-",
	    c->ura[0] != '\0' ? c->ura : "-", set[0] != '\0' ? " " : "", set,
	    c->name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char line[8192];
	struct dir_community c, again;
	char *s, err[256];
	int rc;

	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	err[0] = '\0';
	rc = dir_parse_line(s, &c, err, sizeof err);
	if (rc == -1 && err[0] == '\0')
		abort();
	if (rc == 1) {
		check(&c);
		write_line(&c, line, sizeof line);
		if (dir_parse_line(line, &again, err, sizeof err) != 1 ||
		    memcmp(&c, &again, sizeof c) != 0)
			abort();
	} else if (rc != 0 && rc != -1)
		abort();
	free(s);
	return 0;
}
