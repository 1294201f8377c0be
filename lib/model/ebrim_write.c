/*
 * ebrim_write.c: struct rim_object back to ebRIM 3.0 XML.
 *
 * Output follows rim.xsd element order: Slot*, Name?, Description?,
 * VersionInfo?, Classification*, ExternalIdentifier*.  Every element is
 * written with the rim: prefix and the top-level element declares
 * xmlns:rim as its first attribute, so the text can be stored and later
 * spliced into any answer; the registry relies on the fixed prefix
 * "<rim:Kind xmlns:rim=\"...\"" to insert a status attribute after it.
 * Attributes that are NULL are omitted; "" is written for the required
 * ones (id, association ends, classifiedObject, ...).  For a
 * classification, classificationScheme and classificationNode are written
 * only when non-empty, nodeRepresentation when non-empty or when the
 * classification is external (has a scheme): XDS author classifications
 * carry nodeRepresentation="".
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "vocab.h"

/* name="value" with a leading space; nothing when v is NULL. */
static int
wattr(struct buf *b, const char *name, const char *v)
{
	int rc;

	if (v == NULL)
		return XDS_OK;
	if ((rc = buf_adds(b, " ")) != XDS_OK ||
	    (rc = buf_adds(b, name)) != XDS_OK ||
	    (rc = buf_adds(b, "=\"")) != XDS_OK ||
	    (rc = buf_add_xml(b, v)) != XDS_OK ||
	    (rc = buf_adds(b, "\"")) != XDS_OK)
		return rc;
	return XDS_OK;
}

static int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

static int
write_slots(struct buf *b, const struct rim_slot *s, size_t n)
{
	size_t i, j;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = buf_adds(b, "<rim:Slot")) != XDS_OK ||
		    (rc = wattr(b, "name", s[i].name ? s[i].name : "")) !=
		    XDS_OK ||
		    (rc = wattr(b, "slotType", s[i].slot_type)) != XDS_OK ||
		    (rc = buf_adds(b, "><rim:ValueList>")) != XDS_OK)
			return rc;
		for (j = 0; j < s[i].nvalues; j++)
			if ((rc = buf_adds(b, "<rim:Value>")) != XDS_OK ||
			    (rc = buf_add_xml(b, s[i].values[j] ?
			    s[i].values[j] : "")) != XDS_OK ||
			    (rc = buf_adds(b, "</rim:Value>")) != XDS_OK)
				return rc;
		if ((rc = buf_adds(b, "</rim:ValueList></rim:Slot>")) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

/* <rim:Name> / <rim:Description> with one LocalizedString. */
static int
write_istring(struct buf *b, const char *elem, const char *value,
    const char *lang, const char *charset)
{
	int rc;

	if (value == NULL)
		return XDS_OK;
	if ((rc = buf_adds(b, "<rim:")) != XDS_OK ||
	    (rc = buf_adds(b, elem)) != XDS_OK ||
	    (rc = buf_adds(b, "><rim:LocalizedString")) != XDS_OK ||
	    (rc = wattr(b, "xml:lang", lang)) != XDS_OK ||
	    (rc = wattr(b, "charset", charset)) != XDS_OK ||
	    (rc = wattr(b, "value", value)) != XDS_OK ||
	    (rc = buf_adds(b, "/></rim:")) != XDS_OK ||
	    (rc = buf_adds(b, elem)) != XDS_OK ||
	    (rc = buf_adds(b, ">")) != XDS_OK)
		return rc;
	return XDS_OK;
}

/* Classification attributes shared by nested and top-level ones. */
static int
write_cls_attrs(struct buf *b, const char *scheme, const char *classified,
    const char *node, const char *noderep)
{
	int rc;

	if ((rc = wattr(b, "classificationScheme",
	    nonempty(scheme) ? scheme : NULL)) != XDS_OK ||
	    (rc = wattr(b, "classifiedObject",
	    classified ? classified : "")) != XDS_OK ||
	    (rc = wattr(b, "classificationNode",
	    nonempty(node) ? node : NULL)) != XDS_OK ||
	    (rc = wattr(b, "nodeRepresentation",
	    nonempty(noderep) || (nonempty(scheme) && noderep != NULL) ?
	    noderep : NULL)) != XDS_OK)
		return rc;
	return XDS_OK;
}

static int
write_cls(struct buf *b, const struct rim_classification *k)
{
	int rc;

	if ((rc = buf_adds(b, "<rim:Classification")) != XDS_OK ||
	    (rc = wattr(b, "id", k->id ? k->id : "")) != XDS_OK ||
	    (rc = write_cls_attrs(b, k->scheme, k->classified, k->node,
	    k->noderep)) != XDS_OK)
		return rc;
	if (k->nslots == 0 && k->name == NULL)
		return buf_adds(b, "/>");
	if ((rc = buf_adds(b, ">")) != XDS_OK ||
	    (rc = write_slots(b, k->slots, k->nslots)) != XDS_OK ||
	    (rc = write_istring(b, "Name", k->name, NULL, NULL)) != XDS_OK ||
	    (rc = buf_adds(b, "</rim:Classification>")) != XDS_OK)
		return rc;
	return XDS_OK;
}

static int
write_eid(struct buf *b, const struct rim_extid *e)
{
	int rc;

	if ((rc = buf_adds(b, "<rim:ExternalIdentifier")) != XDS_OK ||
	    (rc = wattr(b, "id", e->id ? e->id : "")) != XDS_OK ||
	    (rc = wattr(b, "registryObject", e->registry_object ?
	    e->registry_object : "")) != XDS_OK ||
	    (rc = wattr(b, "identificationScheme", e->scheme ? e->scheme :
	    "")) != XDS_OK ||
	    (rc = wattr(b, "value", e->value ? e->value : "")) != XDS_OK)
		return rc;
	if (e->name == NULL)
		return buf_adds(b, "/>");
	if ((rc = buf_adds(b, ">")) != XDS_OK ||
	    (rc = write_istring(b, "Name", e->name, NULL, NULL)) != XDS_OK ||
	    (rc = buf_adds(b, "</rim:ExternalIdentifier>")) != XDS_OK)
		return rc;
	return XDS_OK;
}

static int
write_body(const struct rim_object *o, struct buf *b)
{
	const char *elem = rim_kind_elem(o->kind);
	size_t i;
	int rc;

	if ((rc = buf_adds(b, "<rim:")) != XDS_OK ||
	    (rc = buf_adds(b, elem)) != XDS_OK ||
	    (rc = buf_adds(b, " xmlns:rim=\"" NS_RIM "\"")) != XDS_OK ||
	    (rc = wattr(b, "id", o->id ? o->id : "")) != XDS_OK ||
	    (rc = wattr(b, "lid", o->lid)) != XDS_OK ||
	    (rc = wattr(b, "objectType", o->object_type)) != XDS_OK ||
	    (rc = wattr(b, "status", o->status)) != XDS_OK ||
	    (rc = wattr(b, "home", o->home)) != XDS_OK)
		return rc;
	switch (o->kind) {
	case RIM_EXTRINSIC_OBJECT:
		if ((rc = wattr(b, "mimeType", o->mime_type)) != XDS_OK ||
		    (rc = wattr(b, "isOpaque", o->is_opaque)) != XDS_OK)
			return rc;
		break;
	case RIM_ASSOCIATION:
		if ((rc = wattr(b, "associationType", o->assoc_type ?
		    o->assoc_type : "")) != XDS_OK ||
		    (rc = wattr(b, "sourceObject", o->source ? o->source :
		    "")) != XDS_OK ||
		    (rc = wattr(b, "targetObject", o->target ? o->target :
		    "")) != XDS_OK)
			return rc;
		break;
	case RIM_CLASSIFICATION:
		if ((rc = write_cls_attrs(b, o->scheme, o->classified, o->node,
		    o->noderep)) != XDS_OK)
			return rc;
		break;
	default:
		break;
	}
	if (o->nslots == 0 && o->name == NULL && o->description == NULL &&
	    o->version_name == NULL && o->ncls == 0 && o->neids == 0)
		return buf_adds(b, "/>");
	if ((rc = buf_adds(b, ">")) != XDS_OK ||
	    (rc = write_slots(b, o->slots, o->nslots)) != XDS_OK ||
	    (rc = write_istring(b, "Name", o->name, o->name_lang,
	    o->name_charset)) != XDS_OK ||
	    (rc = write_istring(b, "Description", o->description,
	    o->description_lang, NULL)) != XDS_OK)
		return rc;
	if (o->version_name != NULL) {
		if ((rc = buf_adds(b, "<rim:VersionInfo")) != XDS_OK ||
		    (rc = wattr(b, "versionName", nonempty(o->version_name) ?
		    o->version_name : NULL)) != XDS_OK ||
		    (rc = buf_adds(b, "/>")) != XDS_OK)
			return rc;
	}
	for (i = 0; i < o->ncls; i++)
		if ((rc = write_cls(b, &o->cls[i])) != XDS_OK)
			return rc;
	for (i = 0; i < o->neids; i++)
		if ((rc = write_eid(b, &o->eids[i])) != XDS_OK)
			return rc;
	if ((rc = buf_adds(b, "</rim:")) != XDS_OK ||
	    (rc = buf_adds(b, elem)) != XDS_OK ||
	    (rc = buf_adds(b, ">")) != XDS_OK)
		return rc;
	return XDS_OK;
}

int
rim_write_object(const struct rim_object *o, struct buf *out)
{
	size_t mark = out->b_len;
	int rc;

	if (o == NULL || o->kind < RIM_EXTRINSIC_OBJECT ||
	    o->kind > RIM_OBJECT_REF)
		return XDS_EINVAL;
	if (o->kind == RIM_OBJECT_REF && o->nslots == 0)
		return rim_write_objectref(o->id, o->home, out);
	if ((rc = write_body(o, out)) != XDS_OK) {
		/* Leave no half-written element behind. */
		out->b_len = mark;
		if (out->b_data != NULL)
			out->b_data[mark] = '\0';
		return rc;
	}
	return XDS_OK;
}

int
rim_write_objectref(const char *id, const char *home, struct buf *out)
{
	size_t mark = out->b_len;
	int rc;

	if ((rc = buf_adds(out, "<rim:ObjectRef xmlns:rim=\"" NS_RIM "\""))
	    != XDS_OK ||
	    (rc = wattr(out, "id", id ? id : "")) != XDS_OK ||
	    (rc = wattr(out, "home", home)) != XDS_OK ||
	    (rc = buf_adds(out, "/>")) != XDS_OK) {
		out->b_len = mark;
		if (out->b_data != NULL)
			out->b_data[mark] = '\0';
		return rc;
	}
	return XDS_OK;
}
