/*
 * xua_claims.c: an X-User Assertion's XML from claims and claims from its
 * XML (xua.h), pure.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "buf.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"
#include "xua.h"

void
xua_time_fmt(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		str_lcpy(out, "", outsz);
}

/* n decimal digits at s into *v; -1 when they are not. */
static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
xua_time_parse(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, se, oh, om, sign;
	const char *p;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) != 0 ||
	    digits(s + 5, 2, &mo) != 0 || digits(s + 8, 2, &d) != 0 ||
	    digits(s + 11, 2, &h) != 0 || digits(s + 14, 2, &mi) != 0 ||
	    digits(s + 17, 2, &se) != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
		if (p == s + 20)
			return -1;
	}
	oh = om = 0;
	sign = 1;
	if (*p == 'Z')
		p++;
	else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) == 0 &&
	    p[3] == ':' && digits(p + 4, 2, &om) == 0 && oh <= 14 &&
	    om <= 59) {	/* each byte looked at only once the ones
			   before it are known not to end the string */
		sign = *p == '-' ? -1 : 1;
		p += 6;
	} else
		return -1;	/* a time without a zone is no instant */
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

/* An NCName of ours or a peer's: a letter or '_' first, then letters,
 * digits, '_', '-', '.'. */
static int
ncname(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* --- building ------------------------------------------------------ */

struct bld {
	struct buf	*b;
	int		 rc;
};

static void
put(struct bld *w, const char *s)
{
	if (w->rc == XDS_OK)
		w->rc = buf_adds(w->b, s);
}

static void
put_xml(struct bld *w, const char *s)
{
	if (w->rc == XDS_OK)
		w->rc = buf_add_xml(w->b, s);
}

/* name="value" with a leading space. */
static void
put_attr(struct bld *w, const char *name, const char *value)
{
	put(w, " ");
	put(w, name);
	put(w, "=\"");
	put_xml(w, value);
	put(w, "\"");
}

static void
attr_open(struct bld *w, const char *name)
{
	put(w, "<saml2:Attribute");
	put_attr(w, "Name", name);
	put_attr(w, "NameFormat", SAML_ATTRNAME_URI);
	put(w, "><saml2:AttributeValue>");
}

static void
attr_close(struct bld *w)
{
	put(w, "</saml2:AttributeValue></saml2:Attribute>");
}

/* An attribute whose value is an HL7v3 II. */
static void
attr_ii(struct bld *w, const char *name, const char *root, const char *ext,
    const char *authority)
{
	if (ext[0] == '\0')
		return;
	attr_open(w, name);
	put(w, "<hl7:InstanceIdentifier xsi:type=\"hl7:II\"");
	put_attr(w, "root", root);
	put_attr(w, "extension", ext);
	if (authority != NULL)
		put_attr(w, "assigningAuthorityName", authority);
	put(w, "/>");
	attr_close(w);
}

/* An attribute whose value is an HL7v3 CE or CV, as element elem. */
static void
attr_code(struct bld *w, const char *name, const char *elem,
    const char *type, const char *code, const char *system,
    const char *system_name)
{
	if (code[0] == '\0')
		return;
	attr_open(w, name);
	put(w, "<hl7:");
	put(w, elem);
	put_attr(w, "xsi:type", type);
	put_attr(w, "code", code);
	put_attr(w, "codeSystem", system);
	if (system_name != NULL)
		put_attr(w, "codeSystemName", system_name);
	put(w, "/>");
	attr_close(w);
}

/* An attribute whose value is a string (xs:string or xs:anyURI). */
static void
attr_str(struct bld *w, const char *name, const char *type, const char *v)
{
	if (v[0] == '\0')
		return;
	put(w, "<saml2:Attribute");
	put_attr(w, "Name", name);
	put_attr(w, "NameFormat", SAML_ATTRNAME_URI);
	put(w, "><saml2:AttributeValue");
	put_attr(w, "xsi:type", type);
	put(w, ">");
	put_xml(w, v);
	put(w, "</saml2:AttributeValue></saml2:Attribute>");
}

int
xua_build(const struct xua_claims *c, struct buf *out, char *err,
    size_t errlen)
{
	struct bld w = { out, XDS_OK };
	char issued[32], nb[32], noa[32];

#define NEED(f, what) \
	if (c->f[0] == '\0') { \
		str_fmt(err, errlen, "xua: no %s for the assertion", (what)); \
		return XDS_EINVAL; \
	}
	NEED(id, "ID")
	NEED(issuer, "issuer")
	NEED(subject, "subject")
	NEED(audience, "audience")
	NEED(provider_id, "UZI number of the responsible professional")
	NEED(role, "role")
	NEED(ura, "URA of the requesting organisation")
	NEED(purpose, "purpose of use")
#undef NEED
	if (!ncname(c->id)) {
		str_fmt(err, errlen, "xua: the assertion's ID is not an NCName");
		return XDS_EINVAL;
	}
	if (c->not_before >= c->not_on_or_after) {
		str_fmt(err, errlen, "xua: the assertion's validity is empty");
		return XDS_EINVAL;
	}
	xua_time_fmt(c->issued, issued, sizeof issued);
	xua_time_fmt(c->not_before, nb, sizeof nb);
	xua_time_fmt(c->not_on_or_after, noa, sizeof noa);

	put(&w, "<saml2:Assertion xmlns:saml2=\"" NS_SAML "\" xmlns:xsi=\""
	    NS_XSI "\" xmlns:xs=\"" NS_XSD "\" xmlns:hl7=\"" NS_HL7V3
	    "\"");
	put_attr(&w, "ID", c->id);
	put_attr(&w, "IssueInstant", issued);
	put(&w, " Version=\"2.0\"><saml2:Issuer>");
	put_xml(&w, c->issuer);
	put(&w, "</saml2:Issuer><saml2:Subject><saml2:NameID Format=\""
	    SAML_NAMEID_UNSPECIFIED "\">");
	put_xml(&w, c->subject);
	put(&w, "</saml2:NameID><saml2:SubjectConfirmation Method=\""
	    SAML_CM_BEARER "\"/></saml2:Subject><saml2:Conditions");
	put_attr(&w, "NotBefore", nb);
	put_attr(&w, "NotOnOrAfter", noa);
	put(&w, "><saml2:AudienceRestriction><saml2:Audience>");
	put_xml(&w, c->audience);
	put(&w, "</saml2:Audience></saml2:AudienceRestriction>"
	    "</saml2:Conditions><saml2:AuthnStatement");
	put_attr(&w, "AuthnInstant", issued);
	put(&w, "><saml2:AuthnContext><saml2:AuthnContextClassRef>"
	    SAML_AC_X509 "</saml2:AuthnContextClassRef></saml2:AuthnContext>"
	    "</saml2:AuthnStatement><saml2:AttributeStatement>");
	attr_ii(&w, MITZ_ATTR_PROFESSIONAL, OID_UZI, c->provider_id,
	    UZI_AUTHORITY);
	attr_ii(&w, MITZ_ATTR_MANDATED, OID_UZI, c->mandated, UZI_AUTHORITY);
	attr_code(&w, MITZ_ATTR_ROLE, "Role", "hl7:CE", c->role, OID_UZI_ROLE,
	    "RoleCodeNL");
	attr_ii(&w, MITZ_ATTR_REQUESTER_URA, OID_URA, c->ura, NULL);
	attr_code(&w, MITZ_ATTR_REQUESTER_TYPE, "CodedValue", "hl7:CV",
	    c->org_type, OID_ORG_TYPE, NULL);
	attr_code(&w, MITZ_ATTR_PURPOSE, "PurposeOfUse", "hl7:CV", c->purpose,
	    OID_PURPOSE_OF_USE, NULL);
	attr_code(&w, MITZ_ATTR_CATEGORY, "CodedValue", "hl7:CV",
	    c->event_code, OID_DATA_CATEGORY, NULL);
	attr_str(&w, XUA_ATTR_SUBJECT_ID, "xs:string", c->subject_id);
	attr_str(&w, XUA_ATTR_ORGANIZATION, "xs:string", c->organization);
	attr_str(&w, XUA_ATTR_ORGANIZATION_ID, "xs:anyURI",
	    c->organization_id);
	attr_str(&w, XUA_ATTR_HOME_COMMUNITY, "xs:anyURI",
	    c->home_community_id);
	attr_ii(&w, MITZ_ATTR_RESOURCE_ID, OID_BSN, c->resource_id, NULL);
	put(&w, "</saml2:AttributeStatement></saml2:Assertion>");
	if (w.rc != XDS_OK)
		str_fmt(err, errlen, "xua: the assertion does not fit: %s",
		    xds_strstatus(w.rc));
	return w.rc;
}

/* --- reading ------------------------------------------------------- */

/* How an attribute's value is read. */
enum vkind { V_II, V_CODE, V_STR };

struct slot {
	const char	*name;
	enum vkind	 kind;
	const char	*root;		/* II: the root it must have */
	size_t		 off, size;
};

#define F(f) offsetof(struct xua_claims, f), \
	sizeof(((struct xua_claims *)0)->f)
static const struct slot slots[] = {
	{ MITZ_ATTR_PROFESSIONAL, V_II, OID_UZI, F(provider_id) },
	{ MITZ_ATTR_MANDATED, V_II, OID_UZI, F(mandated) },
	{ MITZ_ATTR_ROLE, V_CODE, NULL, F(role) },
	{ MITZ_ATTR_REQUESTER_URA, V_II, OID_URA, F(ura) },
	{ MITZ_ATTR_REQUESTER_TYPE, V_CODE, NULL, F(org_type) },
	{ MITZ_ATTR_PURPOSE, V_CODE, NULL, F(purpose) },
	{ MITZ_ATTR_CATEGORY, V_CODE, NULL, F(event_code) },
	{ XUA_ATTR_SUBJECT_ID, V_STR, NULL, F(subject_id) },
	{ XUA_ATTR_ORGANIZATION, V_STR, NULL, F(organization) },
	{ XUA_ATTR_ORGANIZATION_ID, V_STR, NULL, F(organization_id) },
	{ XUA_ATTR_HOME_COMMUNITY, V_STR, NULL, F(home_community_id) },
	{ MITZ_ATTR_RESOURCE_ID, V_II, OID_BSN, F(resource_id) },
};
#undef F

/* s without a "urn:oid:" prefix. */
static const char *
bare_oid(const char *s)
{
	return strncmp(s, URN_OID, sizeof URN_OID - 1) == 0 ?
	    s + sizeof URN_OID - 1 : s;
}

/* One AttributeValue into out: its HL7v3 child element (II: extension
 * under root; CE/CV: code), or its text. */
static int
read_value(xmlNode *v, const struct slot *sl, char *out, char *err,
    size_t errlen)
{
	xmlNode *e = xml_first_elem(v);
	const char *s, *root;

	if (e == NULL || sl->kind == V_STR) {
		if (e != NULL) {
			str_fmt(err, errlen, "xua: %s: a string was expected",
			    sl->name);
			return XDS_EFORMAT;
		}
		if (xml_text(v, out, sl->size) != 0) {
			str_fmt(err, errlen, "xua: %s is too long", sl->name);
			return XDS_EFORMAT;
		}
		return XDS_OK;
	}
	if (xml_next_elem(e) != NULL) {
		str_fmt(err, errlen, "xua: %s: more than one value element",
		    sl->name);
		return XDS_EFORMAT;
	}
	if (sl->kind == V_II) {
		s = xml_attr(e, "extension");
		root = xml_attr(e, "root");
		if (root != NULL && strcmp(bare_oid(root), sl->root) != 0) {
			str_fmt(err, errlen, "xua: %s: root %.64s is not %s",
			    sl->name, root, sl->root);
			return XDS_EFORMAT;
		}
	} else
		s = xml_attr(e, "code");
	if (s == NULL || s[0] == '\0') {
		str_fmt(err, errlen, "xua: %s: the value has no %s", sl->name,
		    sl->kind == V_II ? "extension" : "code");
		return XDS_EFORMAT;
	}
	if (str_lcpy(out, s, sl->size) >= sl->size) {
		str_fmt(err, errlen, "xua: %s is too long", sl->name);
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

static int
read_attributes(xmlNode *st, struct xua_claims *c, size_t *nattr,
    char *err, size_t errlen)
{
	xmlNode *a, *v;
	const struct slot *sl;
	const char *name;
	char *out;
	size_t i;
	int rc;

	for (a = xml_first_elem(st); a != NULL; a = xml_next_elem(a)) {
		if (!xml_is(a, NS_SAML, "Attribute"))
			continue;
		if (++*nattr > XUA_MAX_ATTRS) {
			str_fmt(err, errlen, "xua: more than %d attributes",
			    XUA_MAX_ATTRS);
			return XDS_EFORMAT;
		}
		if ((name = xml_attr(a, "Name")) == NULL)
			continue;
		for (i = 0, sl = NULL; i < sizeof slots / sizeof slots[0]; i++)
			if (strcmp(slots[i].name, name) == 0)
				sl = &slots[i];
		if (sl == NULL)
			continue;	/* an attribute we do not use */
		out = (char *)c + sl->off;
		if (out[0] != '\0') {
			str_fmt(err, errlen, "xua: %s appears twice", sl->name);
			return XDS_EFORMAT;
		}
		if ((v = xml_child(a, NS_SAML, "AttributeValue")) == NULL)
			continue;
		if (xml_next_elem(v) != NULL) {
			str_fmt(err, errlen, "xua: %s has more than one value",
			    sl->name);
			return XDS_EFORMAT;
		}
		if ((rc = read_value(v, sl, out, err, errlen)) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

/* The text of a's child {saml}name into out, once at most. */
static int
child_once(xmlNode *a, const char *name, char *out, size_t outsz,
    char *err, size_t errlen)
{
	xmlNode *c, *found = NULL;

	for (c = xml_first_elem(a); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, NS_SAML, name)) {
			if (found != NULL) {
				str_fmt(err, errlen, "xua: more than one %s",
				    name);
				return XDS_EFORMAT;
			}
			found = c;
		}
	if (found != NULL && xml_text(found, out, outsz) != 0) {
		str_fmt(err, errlen, "xua: %s is too long", name);
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

static int
read_time(xmlNode *n, const char *name, time_t *t, char *err, size_t errlen)
{
	const char *s = xml_attr(n, name);

	if (s == NULL)
		return XDS_OK;
	if (xua_time_parse(s, t) != 0) {
		str_fmt(err, errlen, "xua: %s is not an xs:dateTime", name);
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

static int
read_conditions(xmlNode *cond, struct xua_claims *c, char *err,
    size_t errlen)
{
	xmlNode *r, *au;
	int rc;

	if ((rc = read_time(cond, "NotBefore", &c->not_before, err,
	    errlen)) != XDS_OK || (rc = read_time(cond, "NotOnOrAfter",
	    &c->not_on_or_after, err, errlen)) != XDS_OK)
		return rc;
	for (r = xml_first_elem(cond); r != NULL; r = xml_next_elem(r)) {
		if (!xml_is(r, NS_SAML, "AudienceRestriction"))
			continue;
		for (au = xml_first_elem(r); au != NULL;
		    au = xml_next_elem(au)) {
			if (!xml_is(au, NS_SAML, "Audience"))
				continue;
			if (c->audience[0] != '\0') {
				str_fmt(err, errlen, "xua: more than one "
				    "Audience");
				return XDS_EFORMAT;
			}
			if (xml_text(au, c->audience, sizeof c->audience) !=
			    0) {
				str_fmt(err, errlen, "xua: Audience is too "
				    "long");
				return XDS_EFORMAT;
			}
		}
	}
	return XDS_OK;
}

int
xua_read(xmlNode *a, struct xua_claims *c, char *err, size_t errlen)
{
	xmlNode *n, *subj = NULL, *cond = NULL;
	const char *id;
	size_t nattr = 0;
	int rc;

	memset(c, 0, sizeof *c);
	if (a == NULL || !xml_is(a, NS_SAML, "Assertion")) {
		str_fmt(err, errlen, "xua: not a saml2:Assertion");
		return XDS_EFORMAT;
	}
	if ((id = xml_attr(a, "ID")) == NULL || !ncname(id) ||
	    str_lcpy(c->id, id, sizeof c->id) >= sizeof c->id) {
		str_fmt(err, errlen, "xua: the assertion's ID is missing or "
		    "not an NCName");
		return XDS_EFORMAT;
	}
	if ((rc = read_time(a, "IssueInstant", &c->issued, err, errlen)) !=
	    XDS_OK || (rc = child_once(a, "Issuer", c->issuer,
	    sizeof c->issuer, err, errlen)) != XDS_OK)
		return rc;
	for (n = xml_first_elem(a); n != NULL; n = xml_next_elem(n)) {
		if (xml_is(n, NS_SAML, "Subject") ||
		    xml_is(n, NS_SAML, "Conditions")) {
			if ((xml_is(n, NS_SAML, "Subject") ? subj : cond) !=
			    NULL) {
				str_fmt(err, errlen, "xua: more than one %s",
				    (const char *)n->name);
				return XDS_EFORMAT;
			}
			if (xml_is(n, NS_SAML, "Subject"))
				subj = n;
			else
				cond = n;
		} else if (xml_is(n, NS_SAML, "AttributeStatement") &&
		    (rc = read_attributes(n, c, &nattr, err, errlen)) !=
		    XDS_OK)
			return rc;
	}
	if (subj != NULL && (rc = child_once(subj, "NameID", c->subject,
	    sizeof c->subject, err, errlen)) != XDS_OK)
		return rc;
	if (cond != NULL && (rc = read_conditions(cond, c, err, errlen)) !=
	    XDS_OK)
		return rc;
	return XDS_OK;
}

int
xua_parse(const char *buf, size_t len, struct xua_claims *c, char *err,
    size_t errlen)
{
	xmlDoc *doc;
	xmlNode *a;
	int rc;

	memset(c, 0, sizeof *c);
	if ((doc = xml_parse(buf, len, err, errlen)) == NULL)
		return XDS_EFORMAT;
	a = xml_find(xmlDocGetRootElement(doc), NS_SAML, "Assertion");
	rc = xua_read(a, c, err, errlen);
	xmlFreeDoc(doc);
	return rc;
}

int
xua_require(const struct xua_claims *c, char *err, size_t errlen)
{
#define NEED(f, what) \
	if (c->f[0] == '\0') { \
		str_fmt(err, errlen, "the assertion has no %s", (what)); \
		return XDS_EFORMAT; \
	}
	NEED(issuer, "Issuer")
	NEED(subject, "Subject NameID")
	NEED(provider_id, MITZ_ATTR_PROFESSIONAL)
	NEED(role, MITZ_ATTR_ROLE)
	NEED(ura, MITZ_ATTR_REQUESTER_URA)
	NEED(purpose, MITZ_ATTR_PURPOSE)
#undef NEED
	if (c->not_on_or_after == 0) {
		str_fmt(err, errlen, "the assertion has no NotOnOrAfter");
		return XDS_EFORMAT;
	}
	return XDS_OK;
}
