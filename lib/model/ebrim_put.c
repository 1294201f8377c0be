/*
 * ebrim_put.c: element writers for building submissions (ebrim.h).
 * Shared by xdsctl's ITI-41 submit and the DICOM bridge's RAD-68
 * publication, so the two build metadata the same way.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "str.h"
#include "vocab.h"

int
rim_code_parse(const char *spec, struct rim_code *c)
{
	const char *a, *b;

	memset(c, 0, sizeof *c);
	if ((a = strchr(spec, '^')) == NULL ||
	    (b = strchr(a + 1, '^')) == NULL || strchr(b + 1, '^') != NULL ||
	    a == spec || b == a + 1 || b[1] == '\0' ||
	    (size_t)(a - spec) >= sizeof c->code ||
	    (size_t)(b - a - 1) >= sizeof c->display ||
	    strlen(b + 1) >= sizeof c->scheme)
		return -1;
	memcpy(c->code, spec, (size_t)(a - spec));
	memcpy(c->display, a + 1, (size_t)(b - a - 1));
	str_lcpy(c->scheme, b + 1, sizeof c->scheme);
	return 0;
}

int
rim_put_slot(struct buf *b, const char *name, const char *v1, const char *v2)
{
	int rc;

	if ((rc = buf_adds(b, "<rim:Slot name=\"")) != XDS_OK ||
	    (rc = buf_add_xml(b, name)) != XDS_OK ||
	    (rc = buf_adds(b, "\"><rim:ValueList><rim:Value>")) != XDS_OK ||
	    (rc = buf_add_xml(b, v1)) != XDS_OK ||
	    (rc = buf_adds(b, "</rim:Value>")) != XDS_OK)
		return rc;
	if (v2 != NULL &&
	    ((rc = buf_adds(b, "<rim:Value>")) != XDS_OK ||
	    (rc = buf_add_xml(b, v2)) != XDS_OK ||
	    (rc = buf_adds(b, "</rim:Value>")) != XDS_OK))
		return rc;
	return buf_adds(b, "</rim:ValueList></rim:Slot>");
}

int
rim_put_name(struct buf *b, const char *name)
{
	int rc;

	if ((rc = buf_adds(b, "<rim:Name><rim:LocalizedString value=\"")) !=
	    XDS_OK || (rc = buf_add_xml(b, name)) != XDS_OK)
		return rc;
	return buf_adds(b, "\"/></rim:Name>");
}

int
rim_put_code(struct buf *b, const char *obj, const char *scheme,
    const struct rim_code *c)
{
	char id[46];
	int rc;

	if (hl7_uuid_new(id) != 0)
		return XDS_EIO;
	if ((rc = buf_addf(b, "<rim:Classification id=\"%s\" "
	    "classifiedObject=\"", id)) != XDS_OK ||
	    (rc = buf_add_xml(b, obj)) != XDS_OK ||
	    (rc = buf_adds(b, "\" classificationScheme=\"")) != XDS_OK ||
	    (rc = buf_add_xml(b, scheme)) != XDS_OK ||
	    (rc = buf_adds(b, "\" nodeRepresentation=\"")) != XDS_OK ||
	    (rc = buf_add_xml(b, c->code)) != XDS_OK ||
	    (rc = buf_adds(b, "\">")) != XDS_OK ||
	    (rc = rim_put_slot(b, SLOT_CODINGSCHEME, c->scheme, NULL)) !=
	    XDS_OK ||
	    (rc = rim_put_name(b, c->display)) != XDS_OK)
		return rc;
	return buf_adds(b, "</rim:Classification>");
}

int
rim_put_extid(struct buf *b, const char *obj, const char *scheme,
    const char *value, const char *name)
{
	char id[46];
	int rc;

	if (hl7_uuid_new(id) != 0)
		return XDS_EIO;
	if ((rc = buf_addf(b, "<rim:ExternalIdentifier id=\"%s\" "
	    "registryObject=\"", id)) != XDS_OK ||
	    (rc = buf_add_xml(b, obj)) != XDS_OK ||
	    (rc = buf_adds(b, "\" identificationScheme=\"")) != XDS_OK ||
	    (rc = buf_add_xml(b, scheme)) != XDS_OK ||
	    (rc = buf_adds(b, "\" value=\"")) != XDS_OK ||
	    (rc = buf_add_xml(b, value)) != XDS_OK ||
	    (rc = buf_adds(b, "\">")) != XDS_OK ||
	    (rc = rim_put_name(b, name)) != XDS_OK)
		return rc;
	return buf_adds(b, "</rim:ExternalIdentifier>");
}
