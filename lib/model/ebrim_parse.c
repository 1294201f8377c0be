/*
 * ebrim_parse.c: ebRIM 3.0 XML (libxml2 tree) into struct rim_list.
 *
 * What is accepted, per rim.xsd (ebRIM 3.0) and ITI TF-3 4.2.3:
 * - top level (children of rim:RegistryObjectList): ExtrinsicObject,
 *   RegistryPackage, Association, Classification, ObjectRef.  rim.xsd
 *   allows any Identifiable there; a top-level ExternalIdentifier is
 *   refused because XDS places external identifiers inside their object
 *   and the model has no place for a free-standing one.  Other rim
 *   elements (ClassificationNode, Organization, ...) are refused too.
 * - in an object: Slot, Name, Description, VersionInfo, Classification,
 *   ExternalIdentifier; ExtrinsicObject also ContentVersionInfo (set by
 *   the registry, ignored).  A RegistryPackage holding its own
 *   RegistryObjectList is refused (not used by XDS).  ObjectRef: Slot only.
 * - in a Classification: Slot, Name; Description and VersionInfo are
 *   accepted and ignored.  In an ExternalIdentifier: Name; Description and
 *   VersionInfo accepted and ignored.
 * Child order is not enforced (the writer produces rim.xsd order).
 * Elements of other namespaces are ignored; anything in the ebRIM 2.1
 * namespace gives XDS_EUNSUPPORTED.  Missing required attributes become ""
 * (the registry reports them with XDS error codes); optional ones NULL.
 * Text of rim:Value is trimmed of surrounding ASCII whitespace.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libxml/tree.h>

#include "ebrim.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

struct pctx {
	struct rim_list	*l;
	char		*err;
	size_t		 errlen;
	const char	*what;		/* element name of the current object */
	const char	*id;		/* its id, for error text */
};

static int
fail(struct pctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct pctx *c, int rc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->what != NULL)
		str_fmt(c->err, c->errlen, "%s '%s': %s", c->what,
		    c->id ? c->id : "", msg);
	else
		str_lcpy(c->err, msg, c->errlen);
	return rc;
}

static int
is_rim(const xmlNode *n)
{
	return n->ns != NULL && n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, NS_RIM) == 0;
}

static int
is_rim21(const xmlNode *n)
{
	return n->ns != NULL && n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, NS_RIM21) == 0;
}

static int
name_is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

/* Copy an attribute value into the arena.  Absent: "" when required,
 * else NULL. */
static int
attr(struct pctx *c, const xmlNode *n, const char *name, int required,
    char **out)
{
	const char *v = xml_attr(n, name);
	size_t len;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return XDS_OK;
		v = "";
	}
	if ((len = strlen(v)) > RIM_MAX_TEXT)
		return fail(c, XDS_ETOOBIG, "attribute %s longer than %d bytes",
		    name, RIM_MAX_TEXT);
	if ((*out = rim_strndup(c->l, v, len)) == NULL)
		return fail(c, XDS_ENOMEM, "out of memory");
	return XDS_OK;
}

/* xml:lang of a LocalizedString, or NULL. */
static int
attr_lang(struct pctx *c, const xmlNode *n, char **out)
{
	const xmlAttr *a;
	const char *v;

	*out = NULL;
	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns == NULL || a->ns->href == NULL ||
		    strcmp((const char *)a->ns->href,
		    (const char *)XML_XML_NAMESPACE) != 0 ||
		    strcmp((const char *)a->name, "lang") != 0)
			continue;
		v = "";
		if (a->children != NULL && a->children->content != NULL)
			v = (const char *)a->children->content;
		if (strlen(v) > RIM_MAX_TEXT)
			return fail(c, XDS_ETOOBIG, "xml:lang too long");
		if ((*out = rim_strdup(c->l, v)) == NULL)
			return fail(c, XDS_ENOMEM, "out of memory");
		break;
	}
	return XDS_OK;
}

static int
value_text(struct pctx *c, const xmlNode *n, const char *slot, char **out)
{
	xmlChar *t;
	const char *s, *e;
	int rc = XDS_OK;

	if ((t = xmlNodeGetContent(n)) == NULL) {
		if ((*out = rim_strdup(c->l, "")) == NULL)
			return fail(c, XDS_ENOMEM, "out of memory");
		return XDS_OK;
	}
	s = (const char *)t;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	if ((size_t)(e - s) > RIM_MAX_TEXT)
		rc = fail(c, XDS_ETOOBIG, "a value of slot %s is longer than "
		    "%d bytes", slot, RIM_MAX_TEXT);
	else if ((*out = rim_strndup(c->l, s, (size_t)(e - s))) == NULL)
		rc = fail(c, XDS_ENOMEM, "out of memory");
	xmlFree(t);
	return rc;
}

static int
check_version(struct pctx *c, const xmlNode *n)
{
	if (is_rim21(n))
		return fail(c, XDS_EUNSUPPORTED, "ebRIM 2.1 is not accepted "
		    "(element %s); send ebRIM 3.0", (const char *)n->name);
	return XDS_OK;
}

static int
parse_slot(struct pctx *c, xmlNode *n, struct rim_slot *s)
{
	xmlNode *vl = NULL, *ch, *v;
	size_t nv = 0;
	int rc;

	if ((rc = attr(c, n, "name", 1, &s->name)) != XDS_OK ||
	    (rc = attr(c, n, "slotType", 0, &s->slot_type)) != XDS_OK)
		return rc;
	for (ch = xml_first_elem(n); ch != NULL; ch = xml_next_elem(ch)) {
		if ((rc = check_version(c, ch)) != XDS_OK)
			return rc;
		if (!is_rim(ch))
			continue;
		if (!name_is(ch, "ValueList"))
			return fail(c, XDS_EFORMAT, "unexpected element rim:%s "
			    "in Slot %s", (const char *)ch->name, s->name);
		if (vl != NULL)
			return fail(c, XDS_EFORMAT, "Slot %s has more than one "
			    "ValueList", s->name);
		vl = ch;
	}
	if (vl == NULL)
		return fail(c, XDS_EFORMAT, "Slot %s has no ValueList",
		    s->name);
	for (v = xml_first_elem(vl); v != NULL; v = xml_next_elem(v)) {
		if ((rc = check_version(c, v)) != XDS_OK)
			return rc;
		if (!is_rim(v))
			continue;
		if (!name_is(v, "Value"))
			return fail(c, XDS_EFORMAT, "unexpected element rim:%s "
			    "in the ValueList of Slot %s",
			    (const char *)v->name, s->name);
		if (++nv > RIM_MAX_VALUES)
			return fail(c, XDS_ETOOBIG, "Slot %s has more than %d "
			    "values", s->name, RIM_MAX_VALUES);
	}
	s->nvalues = 0;
	if (nv == 0)
		return XDS_OK;
	if ((s->values = rim_alloc(c->l, nv * sizeof *s->values)) == NULL)
		return fail(c, XDS_ENOMEM, "out of memory");
	for (v = xml_first_elem(vl); v != NULL; v = xml_next_elem(v)) {
		if (!is_rim(v))
			continue;
		if ((rc = value_text(c, v, s->name,
		    &s->values[s->nvalues])) != XDS_OK)
			return rc;
		s->nvalues++;
	}
	return XDS_OK;
}

/* Name or Description: the first LocalizedString.  Leaves the outputs
 * NULL when there is none. */
static int
parse_istring(struct pctx *c, xmlNode *n, char **value, char **lang,
    char **charset)
{
	xmlNode *ls;
	int rc;

	for (ls = xml_first_elem(n); ls != NULL; ls = xml_next_elem(ls)) {
		if ((rc = check_version(c, ls)) != XDS_OK)
			return rc;
		if (!is_rim(ls))
			continue;
		if (!name_is(ls, "LocalizedString"))
			return fail(c, XDS_EFORMAT, "unexpected element rim:%s "
			    "in %s", (const char *)ls->name,
			    (const char *)n->name);
		if (*value != NULL)
			continue;	/* further languages are not kept */
		if ((rc = attr(c, ls, "value", 1, value)) != XDS_OK)
			return rc;
		if (lang != NULL && (rc = attr_lang(c, ls, lang)) != XDS_OK)
			return rc;
		if (charset != NULL &&
		    (rc = attr(c, ls, "charset", 0, charset)) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

/* Count the rim: children with this name; fail past RIM_MAX_CHILDREN. */
static int
count_children(struct pctx *c, xmlNode *n, const char *name, size_t *out)
{
	xmlNode *ch;

	*out = 0;
	for (ch = xml_first_elem(n); ch != NULL; ch = xml_next_elem(ch))
		if (is_rim(ch) && name_is(ch, name) &&
		    ++*out > RIM_MAX_CHILDREN)
			return fail(c, XDS_ETOOBIG, "more than %d %s elements",
			    RIM_MAX_CHILDREN, name);
	return XDS_OK;
}

static int
parse_slots(struct pctx *c, xmlNode *n, struct rim_slot **slots,
    size_t *nslots)
{
	xmlNode *ch;
	size_t cnt;
	int rc;

	*nslots = 0;
	if ((rc = count_children(c, n, "Slot", &cnt)) != XDS_OK)
		return rc;
	if (cnt == 0)
		return XDS_OK;
	if ((*slots = rim_alloc(c->l, cnt * sizeof **slots)) == NULL)
		return fail(c, XDS_ENOMEM, "out of memory");
	for (ch = xml_first_elem(n); ch != NULL; ch = xml_next_elem(ch)) {
		if (!is_rim(ch) || !name_is(ch, "Slot"))
			continue;
		if ((rc = parse_slot(c, ch, &(*slots)[*nslots])) != XDS_OK)
			return rc;
		++*nslots;
	}
	return XDS_OK;
}

/*
 * The children of every rim.xsd RegistryObjectType come in one order:
 * Slot*, Name?, Description?, VersionInfo?, Classification*,
 * ExternalIdentifier*, then ContentVersionInfo (ExtrinsicObject).  A
 * message in another order is not valid ebRIM 3.0 (NIST message
 * validator, pnr-element-order.xml): refuse it with the element named.
 */
static int
check_order(struct pctx *c, const xmlNode *n, const char *what)
{
	static const char *rank[] = { "Slot", "Name", "Description",
	    "VersionInfo", "Classification", "ExternalIdentifier",
	    "ContentVersionInfo" };
	const xmlNode *ch;
	size_t i, last = 0;

	for (ch = xml_first_elem((xmlNode *)n); ch != NULL;
	    ch = xml_next_elem((xmlNode *)ch)) {
		if (!is_rim(ch))
			continue;
		for (i = 0; i < sizeof rank / sizeof rank[0]; i++)
			if (name_is(ch, rank[i]))
				break;
		if (i == sizeof rank / sizeof rank[0])
			continue;	/* other children are checked elsewhere */
		if (i < last)
			return fail(c, XDS_EFORMAT, "%s%srim:%s after rim:%s; "
			    "ebRIM 3.0 orders Slot, Name, Description, "
			    "VersionInfo, Classification, ExternalIdentifier",
			    what ? what : "", what ? ": " : "", rank[i],
			    rank[last]);
		last = i;
	}
	return XDS_OK;
}

static int
parse_classification(struct pctx *c, xmlNode *n, struct rim_classification *k)
{
	xmlNode *ch;
	int rc, names = 0;

	if ((rc = check_order(c, n, "Classification")) != XDS_OK ||
	    (rc = attr(c, n, "id", 1, &k->id)) != XDS_OK ||
	    (rc = attr(c, n, "classificationScheme", 1, &k->scheme)) != XDS_OK ||
	    (rc = attr(c, n, "classifiedObject", 1, &k->classified)) != XDS_OK ||
	    (rc = attr(c, n, "classificationNode", 1, &k->node)) != XDS_OK ||
	    (rc = attr(c, n, "nodeRepresentation", 1, &k->noderep)) != XDS_OK)
		return rc;
	for (ch = xml_first_elem(n); ch != NULL; ch = xml_next_elem(ch)) {
		if ((rc = check_version(c, ch)) != XDS_OK)
			return rc;
		if (!is_rim(ch) || name_is(ch, "Slot") ||
		    name_is(ch, "Description") || name_is(ch, "VersionInfo"))
			continue;
		if (name_is(ch, "Name")) {
			if (names++)
				return fail(c, XDS_EFORMAT, "Classification "
				    "'%s' has more than one Name", k->id);
			if ((rc = parse_istring(c, ch, &k->name, NULL,
			    NULL)) != XDS_OK)
				return rc;
			continue;
		}
		return fail(c, XDS_EFORMAT, "element rim:%s is not supported "
		    "in Classification '%s'", (const char *)ch->name, k->id);
	}
	return parse_slots(c, n, &k->slots, &k->nslots);
}

static int
parse_extid(struct pctx *c, xmlNode *n, struct rim_extid *e)
{
	xmlNode *ch;
	int rc, names = 0;

	if ((rc = check_order(c, n, "ExternalIdentifier")) != XDS_OK ||
	    (rc = attr(c, n, "id", 1, &e->id)) != XDS_OK ||
	    (rc = attr(c, n, "identificationScheme", 1, &e->scheme)) != XDS_OK ||
	    (rc = attr(c, n, "value", 1, &e->value)) != XDS_OK ||
	    (rc = attr(c, n, "registryObject", 1, &e->registry_object)) !=
	    XDS_OK)
		return rc;
	for (ch = xml_first_elem(n); ch != NULL; ch = xml_next_elem(ch)) {
		if ((rc = check_version(c, ch)) != XDS_OK)
			return rc;
		if (!is_rim(ch) || name_is(ch, "Description") ||
		    name_is(ch, "VersionInfo"))
			continue;
		if (name_is(ch, "Name")) {
			if (names++)
				return fail(c, XDS_EFORMAT,
				    "ExternalIdentifier '%s' has more than "
				    "one Name", e->id);
			if ((rc = parse_istring(c, ch, &e->name, NULL,
			    NULL)) != XDS_OK)
				return rc;
			continue;
		}
		return fail(c, XDS_EFORMAT, "element rim:%s is not supported "
		    "in ExternalIdentifier '%s'", (const char *)ch->name, e->id);
	}
	return XDS_OK;
}

static int
parse_object(struct pctx *c, xmlNode *n, struct rim_object *o)
{
	xmlNode *ch;
	size_t ncls, neid;
	int rc, names = 0, descs = 0, vers = 0;

	if ((rc = attr(c, n, "id", 1, &o->id)) != XDS_OK)
		return rc;
	c->id = o->id;
	if ((rc = check_order(c, n, NULL)) != XDS_OK)
		return rc;
	if ((rc = attr(c, n, "home", 0, &o->home)) != XDS_OK)
		return rc;
	if (o->kind != RIM_OBJECT_REF &&
	    ((rc = attr(c, n, "lid", 0, &o->lid)) != XDS_OK ||
	    (rc = attr(c, n, "objectType", 0, &o->object_type)) != XDS_OK ||
	    (rc = attr(c, n, "status", 0, &o->status)) != XDS_OK))
		return rc;
	switch (o->kind) {
	case RIM_EXTRINSIC_OBJECT:
		if ((rc = attr(c, n, "mimeType", 0, &o->mime_type)) != XDS_OK ||
		    (rc = attr(c, n, "isOpaque", 0, &o->is_opaque)) != XDS_OK)
			return rc;
		break;
	case RIM_ASSOCIATION:
		if ((rc = attr(c, n, "associationType", 1, &o->assoc_type)) !=
		    XDS_OK ||
		    (rc = attr(c, n, "sourceObject", 1, &o->source)) != XDS_OK ||
		    (rc = attr(c, n, "targetObject", 1, &o->target)) != XDS_OK)
			return rc;
		break;
	case RIM_CLASSIFICATION:
		if ((rc = attr(c, n, "classificationScheme", 1, &o->scheme)) !=
		    XDS_OK ||
		    (rc = attr(c, n, "classifiedObject", 1, &o->classified)) !=
		    XDS_OK ||
		    (rc = attr(c, n, "classificationNode", 1, &o->node)) !=
		    XDS_OK ||
		    (rc = attr(c, n, "nodeRepresentation", 1, &o->noderep)) !=
		    XDS_OK)
			return rc;
		break;
	default:
		break;
	}

	for (ch = xml_first_elem(n); ch != NULL; ch = xml_next_elem(ch)) {
		if ((rc = check_version(c, ch)) != XDS_OK)
			return rc;
		if (!is_rim(ch) || name_is(ch, "Slot"))
			continue;
		if (o->kind == RIM_OBJECT_REF)
			return fail(c, XDS_EFORMAT, "element rim:%s is not "
			    "allowed in an ObjectRef", (const char *)ch->name);
		if (name_is(ch, "Name")) {
			if (names++)
				return fail(c, XDS_EFORMAT,
				    "more than one Name");
			rc = parse_istring(c, ch, &o->name, &o->name_lang,
			    &o->name_charset);
		} else if (name_is(ch, "Description")) {
			if (descs++)
				return fail(c, XDS_EFORMAT,
				    "more than one Description");
			rc = parse_istring(c, ch, &o->description,
			    &o->description_lang, NULL);
		} else if (name_is(ch, "VersionInfo")) {
			if (vers++)
				return fail(c, XDS_EFORMAT,
				    "more than one VersionInfo");
			if ((rc = attr(c, ch, "versionName", 0,
			    &o->version_name)) == XDS_OK &&
			    o->version_name == NULL &&
			    (o->version_name = rim_strdup(c->l, "")) == NULL)
				rc = fail(c, XDS_ENOMEM, "out of memory");
		} else if (name_is(ch, "ContentVersionInfo") &&
		    o->kind == RIM_EXTRINSIC_OBJECT)
			continue;
		else if (name_is(ch, "Classification") ||
		    name_is(ch, "ExternalIdentifier"))
			continue;
		else if (name_is(ch, "RegistryObjectList") &&
		    o->kind == RIM_REGISTRY_PACKAGE)
			return fail(c, XDS_EFORMAT, "a RegistryObjectList "
			    "inside a RegistryPackage is not supported");
		else
			return fail(c, XDS_EFORMAT, "unknown element rim:%s",
			    (const char *)ch->name);
		if (rc != XDS_OK)
			return rc;
	}

	if ((rc = parse_slots(c, n, &o->slots, &o->nslots)) != XDS_OK ||
	    (rc = count_children(c, n, "Classification", &ncls)) != XDS_OK ||
	    (rc = count_children(c, n, "ExternalIdentifier", &neid)) != XDS_OK)
		return rc;
	if (ncls > 0 && (o->cls = rim_alloc(c->l, ncls * sizeof *o->cls)) ==
	    NULL)
		return fail(c, XDS_ENOMEM, "out of memory");
	if (neid > 0 && (o->eids = rim_alloc(c->l, neid * sizeof *o->eids)) ==
	    NULL)
		return fail(c, XDS_ENOMEM, "out of memory");
	for (ch = xml_first_elem(n); ch != NULL; ch = xml_next_elem(ch)) {
		if (!is_rim(ch))
			continue;
		if (name_is(ch, "Classification")) {
			if ((rc = parse_classification(c, ch,
			    &o->cls[o->ncls])) != XDS_OK)
				return rc;
			o->ncls++;
		} else if (name_is(ch, "ExternalIdentifier")) {
			if ((rc = parse_extid(c, ch, &o->eids[o->neids])) !=
			    XDS_OK)
				return rc;
			o->neids++;
		}
	}
	return XDS_OK;
}

static int
elem_kind(const xmlNode *n, enum rim_kind *k)
{
	int i;

	for (i = RIM_EXTRINSIC_OBJECT; i <= RIM_KIND_MAX; i++)
		if (name_is(n, rim_kind_elem((enum rim_kind)i))) {
			*k = (enum rim_kind)i;
			return 0;
		}
	return -1;
}

int
rim_parse_list(xmlNode *list, struct rim_list *out, char *err, size_t errlen)
{
	struct pctx c;
	struct rim_object *o;
	enum rim_kind kind;
	xmlNode *ch;
	size_t pos = 0;
	int rc;

	rim_list_init(out);
	memset(&c, 0, sizeof c);
	c.l = out;
	c.err = err;
	c.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (list == NULL) {
		rc = fail(&c, XDS_EFORMAT, "no RegistryObjectList");
		goto fail;
	}
	if ((rc = check_version(&c, list)) != XDS_OK)
		goto fail;
	for (ch = xml_first_elem(list); ch != NULL; ch = xml_next_elem(ch)) {
		pos++;
		c.what = NULL;
		c.id = NULL;
		if ((rc = check_version(&c, ch)) != XDS_OK)
			goto fail;
		if (!is_rim(ch))
			continue;
		if (elem_kind(ch, &kind) != 0) {
			if (name_is(ch, "ExternalIdentifier"))
				rc = fail(&c, XDS_EFORMAT, "ExternalIdentifier "
				    "'%s' at top level (object %zu): it must "
				    "be inside its registry object",
				    xml_attr(ch, "id") ? xml_attr(ch, "id") :
				    "", pos);
			else
				rc = fail(&c, XDS_EFORMAT, "unknown element "
				    "rim:%s in RegistryObjectList (object %zu)",
				    (const char *)ch->name, pos);
			goto fail;
		}
		if (out->nobj >= RIM_MAX_OBJECTS) {
			rc = fail(&c, XDS_ETOOBIG, "more than %d objects in "
			    "RegistryObjectList", RIM_MAX_OBJECTS);
			goto fail;
		}
		if ((o = rim_add_object(out, kind)) == NULL) {
			rc = fail(&c, XDS_ENOMEM, "out of memory");
			goto fail;
		}
		c.what = rim_kind_elem(kind);
		if ((rc = parse_object(&c, ch, o)) != XDS_OK)
			goto fail;
	}
	return XDS_OK;
fail:
	rim_list_free(out);
	return rc;
}

/* Find the RegistryObjectList under the accepted document elements. */
static int
find_list(xmlNode *root, xmlNode **list, char *err, size_t errlen)
{
	xmlNode *n = root, *ch;
	int depth;

	for (depth = 0; n != NULL && depth < 4; depth++) {
		if (n->ns != NULL && n->ns->href != NULL &&
		    (strcmp((const char *)n->ns->href, NS_RIM21) == 0 ||
		    strcmp((const char *)n->ns->href, NS_RS21) == 0 ||
		    strcmp((const char *)n->ns->href, NS_QUERY21) == 0)) {
			str_fmt(err, errlen, "ebRIM 2.1 is not accepted "
			    "(element %s); send ebRIM 3.0",
			    (const char *)n->name);
			return XDS_EUNSUPPORTED;
		}
		if (xml_is(n, NS_RIM, "RegistryObjectList")) {
			*list = n;
			return XDS_OK;
		}
		if (xml_is(n, NS_SOAP12, "Envelope") ||
		    xml_is(n, NS_SOAP11, "Envelope")) {
			for (ch = xml_first_elem(n); ch != NULL;
			    ch = xml_next_elem(ch))
				if (xml_is(ch, NS_SOAP12, "Body") ||
				    xml_is(ch, NS_SOAP11, "Body"))
					break;
			n = xml_first_elem(ch);
			continue;
		}
		if (xml_is(n, NS_XDSB, "ProvideAndRegisterDocumentSetRequest")) {
			n = xml_first_elem(n);
			continue;
		}
		if (xml_is(n, NS_LCM, "SubmitObjectsRequest") ||
		    xml_is(n, NS_QUERY, "AdhocQueryResponse")) {
			for (ch = xml_first_elem(n); ch != NULL;
			    ch = xml_next_elem(ch))
				if (xml_is(ch, NS_RIM, "RegistryObjectList"))
					break;
			if (ch == NULL && xml_is(n, NS_QUERY,
			    "AdhocQueryResponse")) {
				/* An empty query answer has no list. */
				*list = NULL;
				return XDS_OK;
			}
			if (ch == NULL) {
				str_fmt(err, errlen, "SubmitObjectsRequest "
				    "without a RegistryObjectList");
				return XDS_EFORMAT;
			}
			n = ch;
			continue;
		}
		break;
	}
	str_fmt(err, errlen, "expected lcm:SubmitObjectsRequest or "
	    "rim:RegistryObjectList, found %s",
	    n != NULL ? (const char *)n->name : "nothing");
	return XDS_EFORMAT;
}

int
rim_parse_submit_mem(const char *xml, size_t len, struct rim_list *out,
    char *err, size_t errlen)
{
	xmlDoc *doc = NULL;
	xmlNode *list = NULL;
	int rc;

	rim_list_init(out);
	if ((doc = xml_parse(xml, len, err, errlen)) == NULL) {
		rc = XDS_EFORMAT;
		goto fail;
	}
	if ((rc = find_list(xmlDocGetRootElement(doc), &list, err, errlen)) !=
	    XDS_OK)
		goto fail;
	if (list != NULL &&
	    (rc = rim_parse_list(list, out, err, errlen)) != XDS_OK)
		goto fail;
	xmlFreeDoc(doc);
	return XDS_OK;
fail:
	xmlFreeDoc(doc);
	rim_list_free(out);
	return rc;
}
