/*
 * xdsctl_util.c: helpers the xdsctl subcommands share.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "buf.h"
#include "hl7dt.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

/* A bare BSN becomes the CX "bsn^^^&2.16.840.1.113883.2.4.6.3&ISO". */
int
ctl_patient_cx(const char *id, char *out, size_t outsz)
{
	struct hl7_cx cx;
	char err[256];
	size_t n = strlen(id);

	if (strchr(id, '^') == NULL) {
		if (hl7_bsn_valid(id, n) != 0) {
			fprintf(stderr, "xdsctl: %s is not a valid BSN (11-check)\n", id);
			return -1;
		}
		return str_fmt(out, outsz, "%s^^^&%s&ISO", id, OID_BSN) < 0 ? -1 : 0;
	}
	if (hl7_cx_parse(id, n, &cx, err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s: %s\n", id, err);
		return -1;
	}
	return hl7_cx_format(&cx, out, outsz);
}

char *
ctl_read_file(const char *path, size_t max, size_t *len)
{
	FILE *fp;
	struct buf b;
	char chunk[65536];
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return NULL;
	}
	buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (buf_add(&b, chunk, n) != BUF_OK) {
			fprintf(stderr, "xdsctl: %s: larger than %zu bytes\n", path, max);
			fclose(fp);
			buf_free(&b);
			return NULL;
		}
	fclose(fp);
	return buf_take(&b, len);
}

/* Find the first element {ns}name in the subtree of n. */
xmlNode *
ctl_find_elem(xmlNode *n, const char *ns, const char *name)
{
	xmlNode *c, *r;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xml_is(n, ns, name))
			return n;
		for (c = n->children; c != NULL; c = c->next)
			if ((r = ctl_find_elem(c, ns, name)) != NULL)
				return r;
	}
	return NULL;
}

const char *
ctl_short_status(const char *s)
{
	const char *p = s ? strrchr(s, ':') : NULL;

	return p ? p + 1 : (s ? s : "");
}
