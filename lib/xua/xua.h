/*
 * xua.h: X-User Assertions (IHE ITI-40, XUA): the SAML 2.0 assertion a
 * gateway sends in the WS-Security header of ITI-38, ITI-39 and RAD-75,
 * with the attributes Twiin asks for (the UZI number of the responsible
 * professional, the acting one when mandated, the UZI role, the URA of
 * the requesting organisation, the purpose of use, a data category).
 *
 * This half is pure: an assertion's XML from claims, claims from an
 * assertion's XML.  xua_dsig.h signs and verifies.  Nothing read here is
 * to be trusted before xua_verify has checked the same element.
 */
#ifndef XDS_XUA_H
#define XDS_XUA_H

#include <stddef.h>
#include <time.h>
#include <libxml/tree.h>

struct buf;

#define XUA_ID_MAX	64	/* an ID, an UZI number, a URA, a code */
#define XUA_STR_MAX	256	/* a name, a URI */
#define XUA_MAX_ATTRS	32	/* Attribute elements an assertion may carry */

/* What an assertion says.  Strings are "" when absent. */
struct xua_claims {
	char	id[XUA_ID_MAX];			/* Assertion/@ID */
	char	issuer[XUA_STR_MAX];
	char	subject[XUA_STR_MAX];		/* Subject/NameID */
	char	audience[XUA_STR_MAX];		/* the one Audience */
	time_t	issued;				/* IssueInstant */
	time_t	not_before;			/* Conditions/@NotBefore */
	time_t	not_on_or_after;		/* Conditions/@NotOnOrAfter */
	/* the attributes (vocab.h XUA_ATTR_*) */
	char	provider_id[XUA_ID_MAX];	/* responsible professional,
						   UZI number (II) */
	char	mandated[XUA_ID_MAX];		/* acting for them (II) */
	char	role[XUA_ID_MAX];		/* UZI role, RoleCodeNL (CE) */
	char	ura[XUA_ID_MAX];		/* provider-institution (II) */
	char	org_type[XUA_ID_MAX];		/* its organisation type,
						   consulting-healthcare-
						   facility-type-code (CV) */
	char	purpose[XUA_ID_MAX];		/* purposeofuse (CV) */
	char	event_code[XUA_ID_MAX];		/* data category (CV) */
	char	subject_id[XUA_STR_MAX];	/* xspa subject-id, a name */
	char	organization[XUA_STR_MAX];
	char	organization_id[XUA_STR_MAX];
	char	home_community_id[XUA_STR_MAX];
	char	resource_id[XUA_ID_MAX];	/* the patient's BSN (II) */
};

/*
 * The unsigned saml2:Assertion for c into out (XML text, namespaces
 * declared on the root, no XML declaration).  c->id, issuer, subject,
 * audience, provider_id, role, ura and purpose must be set, and
 * not_before < not_on_or_after; XDS_OK, XDS_EINVAL with the reason
 * (a missing field, an ID that is not an NCName), or out's failure.
 */
int	xua_build(const struct xua_claims *c, struct buf *out, char *err,
	    size_t errlen);

/*
 * The claims of the saml2:Assertion element a (read only: no signature
 * is checked).  Attribute values are read as HL7v3 II, CE or CV child
 * elements (II: @extension, with @root the expected one when given;
 * CE/CV: @code) or as plain text.  An attribute that appears twice, a
 * value that does not fit, a II under a foreign root, a time that is not
 * an xs:dateTime, more than XUA_MAX_ATTRS attributes, a second Audience:
 * XDS_EFORMAT with the reason.  Required fields are not checked here
 * (xua_require does).
 */
int	xua_read(xmlNode *a, struct xua_claims *c, char *err, size_t errlen);
/* The same from the bytes of a document whose root is the assertion or
 * holds it (a SOAP envelope, a wsse:Security element): tests, fuzzing. */
int	xua_parse(const char *buf, size_t len, struct xua_claims *c,
	    char *err, size_t errlen);
/* The fields a Twiin responder needs: XDS_OK or XDS_EFORMAT naming the
 * first one missing. */
int	xua_require(const struct xua_claims *c, char *err, size_t errlen);

/* An xs:dateTime in UTC ("2026-12-06T15:04:05Z") for t into out[32]. */
void	xua_time_fmt(time_t t, char *out, size_t outsz);
/* An xs:dateTime (Z or +hh:mm; fractions ignored) into *t; -1 when s is
 * not one. */
int	xua_time_parse(const char *s, time_t *t);

#endif
