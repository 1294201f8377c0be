/*
 * check_doc.c: the documents that are not SOAP bodies: a SAML 2.0
 * assertion as IHE XUA wants it (SAML 2.0 Core 2.3-2.7, ITI TF-2b
 * 3.40.4.1), and a DICOM Key Object Selection manifest as XDS-I.b wants
 * it (DICOM PS3.3 A.59 and TID 2010, RAD TF-3 4.68.4.1.2.3), read through
 * the DICOM shim.  The signature's cryptography is not checked here (no
 * trust store): only that the assertion is signed, and signed as itself.
 */
#include "config.h"

#include <string.h>

#include "check_int.h"
#include "dcmshim.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

#define KOS_TITLE	"113030"	/* DCM "Manifest" */
#define KOS_SCHEME	"DCM"
#define KOS_TEMPLATE	"2010"

/* "YYYY-MM-DDThh:mm:ss" at least: an xs:dateTime's shape. */
static int
datetime(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (s == NULL || strlen(s) < sizeof pat - 1)
		return 0;
	for (i = 0; i < sizeof pat - 1; i++)
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return 0;
	return 1;
}

static void
xua_subject(xmlNode *a, struct chk_report *r)
{
	xmlNode *s = xml_child(a, NS_SAML, "Subject"), *sc;
	char v[256];

	if (s == NULL || xml_child_text(s, NS_SAML, "NameID", v, sizeof v) !=
	    0 || v[0] == '\0') {
		chk_addn(r, CHK_ERROR, "XUA-SUBJECT", NULL, s ? s : a,
		    "no saml:Subject/saml:NameID (the user)");
		return;
	}
	if ((sc = xml_child(s, NS_SAML, "SubjectConfirmation")) == NULL ||
	    xml_attr(sc, "Method") == NULL)
		chk_addn(r, CHK_ERROR, "XUA-SUBJECT", NULL, s,
		    "no saml:SubjectConfirmation with a Method");
}

static void
xua_conditions(xmlNode *a, struct chk_report *r)
{
	xmlNode *c = xml_child(a, NS_SAML, "Conditions");
	const char *nb, *na;

	if (c == NULL) {
		chk_addn(r, CHK_ERROR, "XUA-CONDITIONS", NULL, a,
		    "no saml:Conditions (its validity)");
		return;
	}
	nb = xml_attr(c, "NotBefore");
	na = xml_attr(c, "NotOnOrAfter");
	if (!datetime(nb) || !datetime(na))
		chk_addn(r, CHK_ERROR, "XUA-CONDITIONS", NULL, c,
		    "NotBefore and NotOnOrAfter must both be xs:dateTime");
	else if (strcmp(nb, na) >= 0)
		chk_addn(r, CHK_ERROR, "XUA-CONDITIONS", NULL, c,
		    "NotOnOrAfter %s is not after NotBefore %s", na, nb);
	if (xml_child(c, NS_SAML, "AudienceRestriction") == NULL)
		chk_addn(r, CHK_WARNING, "XUA-CONDITIONS", NULL, c,
		    "no saml:AudienceRestriction: any service may take it");
}

static void
xua_signature(xmlNode *a, const char *id, struct chk_report *r)
{
	xmlNode *sig = xml_child(a, NS_DSIG, "Signature"), *si, *ref;
	const char *uri;

	if (sig == NULL) {
		chk_addn(r, CHK_ERROR, "XUA-SIGNATURE", NULL, a,
		    "the assertion is not signed (no ds:Signature)");
		return;
	}
	si = xml_child(sig, NS_DSIG, "SignedInfo");
	ref = si != NULL ? xml_child(si, NS_DSIG, "Reference") : NULL;
	uri = ref != NULL ? xml_attr(ref, "URI") : NULL;
	if (uri == NULL || id == NULL || uri[0] != '#' ||
	    strcmp(uri + 1, id) != 0)
		chk_addn(r, CHK_ERROR, "XUA-SIGNATURE", NULL, sig,
		    "the signature's Reference URI %s is not #%s: it does not "
		    "sign this assertion", uri != NULL ? uri : "(absent)",
		    id != NULL ? id : "");
	chk_addn(r, CHK_INFO, "XUA-SIGNATURE", NULL, sig,
	    "the signature's value and certificate are not verified here");
}

void
chk_xua(xmlNode *a, struct chk_report *r)
{
	const char *v = xml_attr(a, "Version"), *id = xml_attr(a, "ID");
	xmlNode *au;
	char iss[256];

	chk_schema_saml(a, r);
	if (v == NULL || strcmp(v, "2.0") != 0)
		chk_addn(r, CHK_ERROR, "XUA-VERSION", NULL, a,
		    "Version %s is not 2.0", v != NULL ? v : "(absent)");
	if (id == NULL || id[0] == '\0')
		chk_addn(r, CHK_ERROR, "XUA-ID", NULL, a, "no ID");
	if (!datetime(xml_attr(a, "IssueInstant")))
		chk_addn(r, CHK_ERROR, "XUA-ID", NULL, a,
		    "IssueInstant is not an xs:dateTime");
	if (xml_child_text(a, NS_SAML, "Issuer", iss, sizeof iss) != 0 ||
	    iss[0] == '\0')
		chk_addn(r, CHK_ERROR, "XUA-ISSUER", NULL, a, "no saml:Issuer");
	xua_subject(a, r);
	xua_conditions(a, r);
	if ((au = xml_child(a, NS_SAML, "AuthnStatement")) == NULL ||
	    !datetime(xml_attr(au, "AuthnInstant")) ||
	    xml_find(au->children, NS_SAML, "AuthnContextClassRef") == NULL)
		chk_addn(r, CHK_ERROR, "XUA-AUTHN", NULL, au ? au : a,
		    "no saml:AuthnStatement with AuthnInstant and "
		    "AuthnContextClassRef");
	xua_signature(a, id, r);
}

/* Is the instance with uid among the evidence? */
static int
in_evidence(const struct dcmshim_kos_doc *k, const char *uid)
{
	size_t i;

	for (i = 0; i < k->nevidence; i++)
		if (strcmp(k->evidence[i].sop_uid, uid) == 0)
			return 1;
	return 0;
}

static void
kos_refs(const struct dcmshim_kos_doc *k, const char *w, struct chk_report *r)
{
	const struct dcmshim_kos_inst *e;
	size_t i;

	if (k->nevidence == 0)
		chk_add(r, CHK_ERROR, "KOS-EVIDENCE", NULL, w,
		    "no instance in CurrentRequestedProcedureEvidenceSequence");
	for (i = 0; i < k->nevidence; i++) {
		e = &k->evidence[i];
		if (!dcmshim_uid_valid(e->sop_uid) ||
		    !dcmshim_uid_valid(e->sop_class) ||
		    !dcmshim_uid_valid(e->series_uid))
			chk_add(r, CHK_ERROR, "KOS-EVIDENCE", NULL, w,
			    "evidence item %zu: a missing or invalid "
			    "series, SOP class or SOP instance UID", i + 1);
		if (strcmp(e->study_uid, k->header.study_uid) != 0)
			chk_add(r, CHK_WARNING, "KOS-EVIDENCE", NULL, w,
			    "evidence item %zu: study %s is not the "
			    "manifest's study %s", i + 1, e->study_uid,
			    k->header.study_uid);
		if (!dcmshim_uid_valid(e->retrieve_location_uid))
			chk_add(r, CHK_ERROR, "KOS-RETRIEVE", NULL, w,
			    "series %s: no valid RetrieveLocationUID "
			    "(0040,E011): where to retrieve it from",
			    e->series_uid);
	}
	if (k->ncontent == 0)
		chk_add(r, CHK_ERROR, "KOS-CONTENT", NULL, w,
		    "no IMAGE or COMPOSITE item in ContentSequence");
	for (i = 0; i < k->ncontent; i++)
		if (!in_evidence(k, k->content[i].sop_uid))
			chk_add(r, CHK_ERROR, "KOS-CONTENT", NULL, w,
			    "content item references %s, which is not in "
			    "the evidence", k->content[i].sop_uid);
	if (k->truncated)
		chk_add(r, CHK_INFO, "KOS-EVIDENCE", NULL, w,
		    "more than %d references: the rest were not checked",
		    DCMSHIM_KOS_MAX_REFS);
}

void
chk_kos(const char *buf, size_t len, const char *where, struct chk_report *r)
{
	struct dcmshim_kos_doc k;
	char err[256], w[300];
	int rc;

	str_fmt(w, sizeof w, "%s%s", where ? "cid:" : "/", where ? where : "");
	if ((rc = dcmshim_kos_inspect(buf, len, &k, err, sizeof err)) != XDS_OK) {
		if (rc == XDS_ENOMEM)
			r->nomem = 1;
		chk_add(r, CHK_ERROR, "KOS-DICOM", NULL, w, "%s", err);
		dcmshim_kos_doc_free(&k);
		return;
	}
	if (strcmp(k.header.sop_class, FMT_KOS) != 0)
		chk_add(r, CHK_ERROR, "KOS-SOPCLASS", NULL, w,
		    "SOP class %s is not Key Object Selection Document (%s)",
		    k.header.sop_class, FMT_KOS);
	if (strcmp(k.value_type, "CONTAINER") != 0 ||
	    strcmp(k.title_code, KOS_TITLE) != 0 ||
	    strcmp(k.title_scheme, KOS_SCHEME) != 0)
		chk_add(r, CHK_ERROR, "KOS-TITLE", NULL, w,
		    "the document title is %s %s (%s), not the CONTAINER "
		    "(%s, %s, \"Manifest\") of XDS-I.b", k.title_code,
		    k.title_scheme, k.value_type, KOS_TITLE, KOS_SCHEME);
	if (strcmp(k.template_id, KOS_TEMPLATE) != 0)
		chk_add(r, CHK_WARNING, "KOS-TEMPLATE", NULL, w,
		    "ContentTemplateSequence names TID %s, not %s",
		    k.template_id[0] ? k.template_id : "(none)", KOS_TEMPLATE);
	kos_refs(&k, w, r);
	dcmshim_kos_doc_free(&k);
}
