/*
 * validate.c: XDS.b metadata checks that need no database.
 *
 * Rules (ITI TF-3 4.1, ITI TF-2b 3.42.4.1.3): R1 one SubmissionSet, R2
 * every DE and Folder is a member of it, R5 (bsn mode) patient ids are
 * BSNs, R6 one patient, R9 uniqueIds unique in the message, R11 required
 * attributes and their formats; association attributes, no
 * documentation classification on HasMember (NIST 12370),
 * SubmissionSetStatus on SS->DE HasMember, symbolic vs urn:uuid ids.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebrim.h"
#include "hl7dt.h"
#include "str.h"
#include "validate.h"
#include "vocab.h"

#define ID_MAX		256	/* longest id accepted */
#define CTX_MAX		512	/* longest codeContext */

struct vctx {
	const struct rim_list	*l;
	const struct validate_opts *o;
	struct rim_errors	*e;
	int			 nerr;
	int			 nomem;
	struct rim_index	 byid;		/* objects by id */
	enum xds_kind		*kind;		/* per object */
	const struct rim_object	*ss;
	char			 ss_patient[2 * HL7_ID_MAX + 16];
};

const char *
validate_kind_name(enum xds_kind k)
{
	switch (k) {
	case XDS_DOCENTRY:	return "DocumentEntry";
	case XDS_SUBMISSIONSET:	return "SubmissionSet";
	case XDS_FOLDER:	return "Folder";
	case XDS_ASSOCIATION:	return "Association";
	default:		return "object";
	}
}

static void verr(struct vctx *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
verr(struct vctx *v, const char *code, const char *fmt, ...)
{
	char	 ctx[CTX_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	if (vsnprintf(ctx, sizeof ctx, fmt, ap) < 0)
		str_lcpy(ctx, "(unprintable)", sizeof ctx);
	va_end(ap);
	v->nerr++;
	/* A full list keeps its first errors (XDS_ETOOBIG): the answer
	 * is Failure all the same. */
	if (rim_errors_add(v->e, 0, code, NULL, "%s", ctx) == XDS_ENOMEM)
		v->nomem = 1;
}

#define MDERR(v, ...)	verr((v), ERR_REGISTRY_METADATA, __VA_ARGS__)

static int
is_uuid_ref(const char *id)
{
	return strncmp(id, "urn:uuid:", 9) == 0;
}

/* ---- lookups ---- */

/* Index of the top-level object with this id, or -1. */
static long
find(const struct vctx *v, const char *id)
{
	if (id == NULL || id[0] == '\0')
		return -1;
	return rim_index_find(&v->byid, id);
}

/* An ObjectRef names a stored object: it is not an object of the
 * submission, and associations to it resolve in R4. */
static int
keep_submitted(const struct rim_list *l, size_t i, void *arg)
{
	(void)arg;
	return l->obj[i].kind != RIM_OBJECT_REF;
}

static int
uuid_ok(const char *s)
{
	return hl7_uuid_valid(s, strlen(s)) == 0;
}

static int
bsn_ok(const char *s)
{
	return hl7_bsn_valid(s, strlen(s)) == 0;
}

static int
has_node(const struct rim_list *l, const struct rim_object *o,
    const char *node)
{
	size_t	 i;

	for (i = 0; i < o->ncls; i++)
		if (o->cls[i].node != NULL && strcmp(o->cls[i].node, node) == 0)
			return 1;
	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *c = &l->obj[i];

		if (c->kind == RIM_CLASSIFICATION && c->classified != NULL &&
		    c->node != NULL && strcmp(c->classified, o->id) == 0 &&
		    strcmp(c->node, node) == 0)
			return 1;
	}
	return 0;
}

enum xds_kind
validate_kind(const struct rim_list *l, const struct rim_object *o)
{
	int	 ss, fol;

	switch (o->kind) {
	case RIM_EXTRINSIC_OBJECT:
		return XDS_DOCENTRY;
	case RIM_ASSOCIATION:
		return XDS_ASSOCIATION;
	case RIM_REGISTRY_PACKAGE:
		ss = has_node(l, o, NODE_SUBMISSIONSET);
		fol = has_node(l, o, NODE_FOLDER);
		if (ss && !fol)
			return XDS_SUBMISSIONSET;
		if (fol && !ss)
			return XDS_FOLDER;
		return XDS_UNKNOWN;
	default:
		return XDS_UNKNOWN;
	}
}

static const char *
patient_scheme(enum xds_kind k)
{
	switch (k) {
	case XDS_DOCENTRY:	return EI_DE_PATIENTID;
	case XDS_SUBMISSIONSET:	return EI_SS_PATIENTID;
	case XDS_FOLDER:	return EI_FOL_PATIENTID;
	default:		return NULL;
	}
}

static const char *
uid_scheme(enum xds_kind k)
{
	switch (k) {
	case XDS_DOCENTRY:	return EI_DE_UNIQUEID;
	case XDS_SUBMISSIONSET:	return EI_SS_UNIQUEID;
	case XDS_FOLDER:	return EI_FOL_UNIQUEID;
	default:		return NULL;
	}
}

const char *
validate_unique_id(const struct rim_object *o, enum xds_kind k)
{
	const struct rim_extid *ei;
	const char *scheme = uid_scheme(k);

	if (scheme == NULL || (ei = rim_extid(o, scheme)) == NULL ||
	    ei->value == NULL || ei->value[0] == '\0')
		return NULL;
	return ei->value;
}

static int
cx_canon(const char *s, char *out, size_t outsz)
{
	struct hl7_cx cx;
	char	 err[128];

	if (s == NULL || hl7_cx_parse(s, strlen(s), &cx, err, sizeof err) != 0 ||
	    cx.id[0] == '\0' || cx.aa_oid[0] == '\0')
		return -1;
	return hl7_cx_format(&cx, out, outsz) == 0 ? 0 : -1;
}

int
validate_patient(const struct rim_object *o, enum xds_kind k, char *out,
    size_t outsz)
{
	const struct rim_extid *ei;
	const char *scheme = patient_scheme(k);

	if (scheme == NULL || (ei = rim_extid(o, scheme)) == NULL)
		return -1;
	return cx_canon(ei->value, out, outsz);
}

/* ---- value formats ---- */

static int
hash_valid(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return 0;
	}
	return i == 40;
}

/* RFC 5646 shape: 2-8 letters, then -subtags of 1-8 alphanumerics. */
static int
lang_valid(const char *s)
{
	size_t	 i, run = 0, first = 1;

	if (strlen(s) > 64)
		return 0;
	for (i = 0; ; i++) {
		char c = s[i];

		if (c == '-' || c == '\0') {
			if (run == 0 || run > 8 || (first && run < 2))
				return 0;
			if (c == '\0')
				return 1;
			first = 0;
			run = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (!first && c >= '0' && c <= '9')))
			return 0;
		run++;
	}
}

static int
mime_valid(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t	 i;

	if (slash == NULL || slash == s || slash[1] == '\0' ||
	    strlen(s) > 255)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == ',')
			return 0;
	return 1;
}

/* id^^^&auth&ISO-like: an id, then component 4 with a universal id. */
static int
source_cx_ok(const char *s)
{
	const char *c4;

	if (s[0] == '^' || (c4 = strstr(s, "^^^")) == NULL)
		return 0;
	return c4[3] == '&' && c4[4] != '\0' && c4[4] != '&';
}

/* ---- slots ---- */

/*
 * The single value of slot name on o (NULL when absent).  Reports a
 * missing slot when required, more than one value, or an empty value.
 */
static const char *
slot_one(struct vctx *v, const char *what, const char *id,
    const struct rim_slot *slots, size_t nslots, const char *name,
    int required)
{
	const struct rim_slot *s = rim_slot(slots, nslots, name);

	if (s == NULL || s->nvalues == 0) {
		if (required)
			MDERR(v, "%s '%s': slot %s is missing (required)",
			    what, id, name);
		return NULL;
	}
	if (s->nvalues > 1) {
		MDERR(v, "%s '%s': slot %s has %zu values, 1 allowed",
		    what, id, name, s->nvalues);
		return NULL;
	}
	if (s->values[0] == NULL || s->values[0][0] == '\0') {
		MDERR(v, "%s '%s': slot %s is empty", what, id, name);
		return NULL;
	}
	return s->values[0];
}

static void
check_dtm(struct vctx *v, const char *what, const char *id,
    const char *name, const char *val)
{
	char	 err[128];

	if (val != NULL && hl7_dtm_valid(val, strlen(val), err,
	    sizeof err) != 0)
		MDERR(v, "%s '%s': %s '%s' is not a DTM "
		    "(YYYY[MM[DD[hh[mm[ss]]]]], UTC): %s", what, id, name,
		    val, err);
}

static void
check_oid(struct vctx *v, const char *what, const char *id,
    const char *name, const char *val)
{
	char	 err[128];

	if (val != NULL && hl7_oid_valid(val, strlen(val), err,
	    sizeof err) != 0)
		MDERR(v, "%s '%s': %s '%s' is not an OID: %s", what, id,
		    name, val, err);
}

/* A CX with an assigning authority; patient ids also get the R5 BSN
 * check in bsn mode.  canon receives the canonical form if given. */
static int
check_cx(struct vctx *v, const char *what, const char *id, const char *name,
    const char *val, int patient, char *canon, size_t canonsz)
{
	struct hl7_cx cx;
	char	 err[128];

	if (hl7_cx_parse(val, strlen(val), &cx, err, sizeof err) != 0) {
		MDERR(v, "%s '%s': %s '%s' is not a CX id^^^&OID&ISO: %s",
		    what, id, name, val, err);
		return -1;
	}
	if (cx.id[0] == '\0' || cx.aa_oid[0] == '\0') {
		MDERR(v, "%s '%s': %s '%s' lacks the id or the assigning "
		    "authority (&OID&ISO)", what, id, name, val);
		return -1;
	}
	if (patient && v->o != NULL && v->o->bsn_patients &&
	    (strcmp(cx.aa_oid, OID_BSN) != 0 ||
	    !bsn_ok(cx.id))) {
		verr(v, ERR_UNKNOWN_PATIENTID, "%s '%s': %s is not a valid "
		    "BSN (assigning authority %s, 9 digits passing the "
		    "11-check)", what, id, name, OID_BSN);
		return -1;
	}
	if (canon != NULL && hl7_cx_format(&cx, canon, canonsz) != 0) {
		MDERR(v, "%s '%s': %s '%s' is too long", what, id, name, val);
		return -1;
	}
	return 0;
}

/* ---- classifications and external identifiers ---- */

static void
check_codes(struct vctx *v, const char *what, const struct rim_object *o,
    const char *scheme, const char *attr, size_t min, size_t max)
{
	const struct rim_classification *c[RIM_MAX_CHILDREN];
	size_t	 n, i;

	n = rim_classifications(o, scheme, c, RIM_MAX_CHILDREN);
	if (n < min)
		MDERR(v, "%s '%s': %s is missing (classification scheme %s "
		    "required)", what, o->id, attr, scheme);
	else if (n > max)
		MDERR(v, "%s '%s': %s given %zu times, at most %zu allowed",
		    what, o->id, attr, n, max);
	if (n > RIM_MAX_CHILDREN)
		n = RIM_MAX_CHILDREN;
	for (i = 0; i < n; i++) {
		const struct rim_slot *cs;

		if (c[i]->noderep == NULL || c[i]->noderep[0] == '\0')
			MDERR(v, "%s '%s': %s has no code "
			    "(nodeRepresentation)", what, o->id, attr);
		cs = rim_slot(c[i]->slots, c[i]->nslots, SLOT_CODINGSCHEME);
		if (cs == NULL || cs->nvalues != 1 || cs->values[0][0] == '\0')
			MDERR(v, "%s '%s': %s '%s' needs exactly one "
			    "codingScheme slot value", what, o->id, attr,
			    c[i]->noderep != NULL ? c[i]->noderep : "");
		if (c[i]->name == NULL || c[i]->name[0] == '\0')
			MDERR(v, "%s '%s': %s '%s' has no display name "
			    "(Name)", what, o->id, attr,
			    c[i]->noderep != NULL ? c[i]->noderep : "");
	}
}

static void
check_authors(struct vctx *v, const char *what, const struct rim_object *o,
    const char *scheme)
{
	const struct rim_classification *c[RIM_MAX_CHILDREN];
	size_t	 n, i, j;
	char	 err[128];

	n = rim_classifications(o, scheme, c, RIM_MAX_CHILDREN);
	if (n > RIM_MAX_CHILDREN)
		n = RIM_MAX_CHILDREN;
	for (i = 0; i < n; i++) {
		const struct rim_slot *p, *in, *tel;

		p = rim_slot(c[i]->slots, c[i]->nslots, SLOT_AUTHORPERSON);
		in = rim_slot(c[i]->slots, c[i]->nslots, SLOT_AUTHORINSTITUTION);
		tel = rim_slot(c[i]->slots, c[i]->nslots, SLOT_AUTHORTELECOM);
		if ((p == NULL || p->nvalues == 0) &&
		    (in == NULL || in->nvalues == 0) &&
		    (tel == NULL || tel->nvalues == 0))
			MDERR(v, "%s '%s': author '%s' needs authorPerson, "
			    "authorInstitution or authorTelecommunication",
			    what, o->id, c[i]->id);
		if (p != NULL && p->nvalues > 1)
			MDERR(v, "%s '%s': author '%s' has %zu authorPerson "
			    "values, 1 allowed", what, o->id, c[i]->id,
			    p->nvalues);
		if (p != NULL && p->nvalues == 1 && hl7_xcn_valid(p->values[0],
		    strlen(p->values[0]), err, sizeof err) != 0)
			MDERR(v, "%s '%s': author '%s': authorPerson '%s' is "
			    "not an XCN: %s", what, o->id, c[i]->id,
			    p->values[0], err);
		for (j = 0; in != NULL && j < in->nvalues; j++)
			if (hl7_xon_valid(in->values[j], strlen(in->values[j]),
			    err, sizeof err) != 0)
				MDERR(v, "%s '%s': author '%s': "
				    "authorInstitution '%s' is not an XON: %s",
				    what, o->id, c[i]->id, in->values[j], err);
	}
}

/* The value of the one ExternalIdentifier with scheme, or NULL. */
static const char *
extid_one(struct vctx *v, const char *what, const struct rim_object *o,
    const char *scheme, const char *attr)
{
	const struct rim_extid *ei = NULL;
	size_t	 i, n = 0;

	for (i = 0; i < o->neids; i++) {
		if (o->eids[i].scheme != NULL &&
		    strcmp(o->eids[i].scheme, scheme) == 0) {
			if (n++ == 0)
				ei = &o->eids[i];
		}
	}
	if (n == 0) {
		MDERR(v, "%s '%s': %s is missing (ExternalIdentifier %s "
		    "required)", what, o->id, attr, scheme);
		return NULL;
	}
	if (n > 1) {
		MDERR(v, "%s '%s': %s given %zu times, 1 allowed", what,
		    o->id, attr, n);
		return NULL;
	}
	if (ei->registry_object != NULL && ei->registry_object[0] != '\0' &&
	    strcmp(ei->registry_object, o->id) != 0)
		MDERR(v, "%s '%s': %s ExternalIdentifier '%s' names "
		    "registryObject '%s', not this object", what, o->id, attr,
		    ei->id, ei->registry_object);
	if (ei->value == NULL || ei->value[0] == '\0') {
		MDERR(v, "%s '%s': %s is empty", what, o->id, attr);
		return NULL;
	}
	return ei->value;
}

/* Patient id of a DE/SS/Folder: format, R5 (bsn), R6. */
static void
check_patient(struct vctx *v, const char *what, const struct rim_object *o,
    const char *val, const char *attr)
{
	char	 canon[sizeof v->ss_patient];

	if (val == NULL || check_cx(v, what, o->id, attr, val, 1, canon,
	    sizeof canon) != 0)
		return;
	if (v->ss == NULL || v->ss == o || v->ss_patient[0] == '\0')
		return;
	if (strcmp(canon, v->ss_patient) != 0)
		verr(v, ERR_PATIENTID_MISMATCH, "%s '%s': %s '%s' differs "
		    "from the SubmissionSet patientId '%s'", what, o->id,
		    attr, val, v->ss_patient);
}

/* ---- objects ---- */

static void
check_docentry(struct vctx *v, const struct rim_object *o)
{
	const char *what = "DocumentEntry", *s;
	int	 repo = v->o == NULL || !v->o->source_metadata;
	long long sz;
	const char *es;
	char	 err[128];

	if (o->mime_type == NULL || o->mime_type[0] == '\0')
		MDERR(v, "%s '%s': attribute mimeType is missing", what, o->id);
	else if (!mime_valid(o->mime_type))
		MDERR(v, "%s '%s': mimeType '%s' is not type/subtype", what,
		    o->id, o->mime_type);
	if (o->object_type == NULL || o->object_type[0] == '\0')
		MDERR(v, "%s '%s': attribute objectType is missing", what,
		    o->id);
	else if (strcmp(o->object_type, OT_DE_ONDEMAND) == 0)
		MDERR(v, "%s '%s': objectType On-Demand (%s): the On-Demand "
		    "Documents option is not supported", what, o->id,
		    OT_DE_ONDEMAND);
	else if (strcmp(o->object_type, OT_DE_STABLE) != 0)
		MDERR(v, "%s '%s': objectType '%s' is not a DocumentEntry "
		    "type (%s)", what, o->id, o->object_type, OT_DE_STABLE);

	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_CREATIONTIME, 1);
	check_dtm(v, what, o->id, SLOT_CREATIONTIME, s);
	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_HASH, repo);
	if (s != NULL && !hash_valid(s))
		MDERR(v, "%s '%s': hash '%s' is not 40 hex digits (SHA-1)",
		    what, o->id, s);
	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_SIZE, repo);
	if (s != NULL && str_tonum(s, 0, INT64_MAX, &sz, &es) != 0)
		MDERR(v, "%s '%s': size '%s' is not a decimal byte count (%s)",
		    what, o->id, s, es);
	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_LANGUAGECODE, 1);
	if (s != NULL && !lang_valid(s))
		MDERR(v, "%s '%s': languageCode '%s' is not an RFC 5646 tag",
		    what, o->id, s);
	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_REPOSITORYUID,
	    repo);
	check_oid(v, what, o->id, SLOT_REPOSITORYUID, s);
	s = slot_one(v, what, o->id, o->slots, o->nslots,
	    SLOT_SOURCEPATIENTID, 1);
	/* The source's own id: its authority need not be an OID of the
	 * affinity domain (dcm4chee samples use "&3.4.5&ISO"), but the
	 * id and the authority must be there. */
	if (s != NULL && !source_cx_ok(s))
		MDERR(v, "%s '%s': sourcePatientId '%s' is not a CX "
		    "id^^^&authority&ISO", what, o->id, s);
	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_SERVICESTART, 0);
	check_dtm(v, what, o->id, SLOT_SERVICESTART, s);
	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_SERVICESTOP, 0);
	check_dtm(v, what, o->id, SLOT_SERVICESTOP, s);
	s = slot_one(v, what, o->id, o->slots, o->nslots, SLOT_LEGALAUTH, 0);
	if (s != NULL && hl7_xcn_valid(s, strlen(s), err, sizeof err) != 0)
		MDERR(v, "%s '%s': legalAuthenticator '%s' is not an XCN: %s",
		    what, o->id, s, err);
	s = slot_one(v, what, o->id, o->slots, o->nslots,
	    SLOT_DOCAVAILABILITY, 0);
	if (s != NULL && strcmp(s, DOCAVAIL_ONLINE) != 0 &&
	    strcmp(s, DOCAVAIL_OFFLINE) != 0)
		MDERR(v, "%s '%s': documentAvailability '%s' is neither %s nor "
		    "%s", what, o->id, s, DOCAVAIL_ONLINE, DOCAVAIL_OFFLINE);

	check_codes(v, what, o, CS_DE_CLASSCODE, "classCode", 1, 1);
	check_codes(v, what, o, CS_DE_CONFCODE, "confidentialityCode", 1,
	    RIM_MAX_CHILDREN);
	check_codes(v, what, o, CS_DE_EVENTCODE, "eventCodeList", 0,
	    RIM_MAX_CHILDREN);
	check_codes(v, what, o, CS_DE_FORMATCODE, "formatCode", 1, 1);
	check_codes(v, what, o, CS_DE_HCFTCODE, "healthcareFacilityTypeCode",
	    1, 1);
	check_codes(v, what, o, CS_DE_PRACTICECODE, "practiceSettingCode",
	    1, 1);
	check_codes(v, what, o, CS_DE_TYPECODE, "typeCode", 1, 1);
	check_authors(v, what, o, CS_DE_AUTHOR);

	s = extid_one(v, what, o, EI_DE_PATIENTID, EIN_DE_PATIENTID);
	check_patient(v, what, o, s, EIN_DE_PATIENTID);
	s = extid_one(v, what, o, EI_DE_UNIQUEID, EIN_DE_UNIQUEID);
	if (s != NULL && hl7_uniqueid_valid(s, strlen(s), err, sizeof err) != 0)
		MDERR(v, "%s '%s': uniqueId '%s' is not OID[^extension] of "
		    "at most 128 characters: %s", what, o->id, s, err);
}

static void
check_package(struct vctx *v, const struct rim_object *o, enum xds_kind k)
{
	const char *what = validate_kind_name(k), *s;
	char	 err[128];

	if (k == XDS_SUBMISSIONSET) {
		s = slot_one(v, what, o->id, o->slots, o->nslots,
		    SLOT_SUBMISSIONTIME, 1);
		check_dtm(v, what, o->id, SLOT_SUBMISSIONTIME, s);
		check_codes(v, what, o, CS_SS_CONTENTTYPE, "contentTypeCode",
		    1, 1);
		check_authors(v, what, o, CS_SS_AUTHOR);
		s = extid_one(v, what, o, EI_SS_UNIQUEID, EIN_SS_UNIQUEID);
		check_oid(v, what, o->id, EIN_SS_UNIQUEID, s);
		s = extid_one(v, what, o, EI_SS_SOURCEID, EIN_SS_SOURCEID);
		check_oid(v, what, o->id, EIN_SS_SOURCEID, s);
		s = extid_one(v, what, o, EI_SS_PATIENTID, EIN_SS_PATIENTID);
		check_patient(v, what, o, s, EIN_SS_PATIENTID);
		return;
	}
	if (o->name == NULL || o->name[0] == '\0')
		MDERR(v, "%s '%s': title (Name) is missing", what, o->id);
	check_codes(v, what, o, CS_FOL_CODELIST, "codeList", 1,
	    RIM_MAX_CHILDREN);
	s = extid_one(v, what, o, EI_FOL_UNIQUEID, EIN_FOL_UNIQUEID);
	if (s != NULL && hl7_oid_valid(s, strlen(s), err, sizeof err) != 0)
		MDERR(v, "%s '%s': %s '%s' is not an OID: %s", what, o->id,
		    EIN_FOL_UNIQUEID, s, err);
	s = extid_one(v, what, o, EI_FOL_PATIENTID, EIN_FOL_PATIENTID);
	check_patient(v, what, o, s, EIN_FOL_PATIENTID);
}

static int
assoc_known(const char *t)
{
	static const char *const known[] = { AT_HASMEMBER, AT_RPLC, AT_APND,
	    AT_XFRM, AT_XFRM_RPLC, AT_SIGNS, AT_SNAPSHOT };

	return str_in(t, known, sizeof known / sizeof known[0]);
}

static int
is_lifecycle(const char *t)
{
	return strcmp(t, AT_RPLC) == 0 || strcmp(t, AT_APND) == 0 ||
	    strcmp(t, AT_XFRM) == 0 || strcmp(t, AT_XFRM_RPLC) == 0 ||
	    strcmp(t, AT_SIGNS) == 0;
}

static void
check_association(struct vctx *v, const struct rim_object *o,
    unsigned char *member)
{
	const char *what = "Association", *t = o->assoc_type;
	const char *src = o->source, *dst = o->target, *st;
	long	 si, ti;
	enum xds_kind sk = XDS_UNKNOWN, tk = XDS_UNKNOWN;
	size_t	 i;

	if (t == NULL || t[0] == '\0')
		MDERR(v, "%s '%s': attribute associationType is missing",
		    what, o->id);
	if (src == NULL || src[0] == '\0')
		MDERR(v, "%s '%s': attribute sourceObject is missing", what,
		    o->id);
	if (dst == NULL || dst[0] == '\0')
		MDERR(v, "%s '%s': attribute targetObject is missing", what,
		    o->id);
	if (t == NULL || t[0] == '\0' || src == NULL || src[0] == '\0' ||
	    dst == NULL || dst[0] == '\0')
		return;
	if (v->o != NULL && v->o->metadata_update) {
		if (strcmp(t, AT_UPDATESTATUS) == 0)
			return;
		if (strcmp(t, AT_SUBMITASSOC) == 0) {
			verr(v, ERR_MU_OPERATION, "%s '%s': associationType %s "
			    "is not an operation of this registry: submit the "
			    "new association itself", what, o->id, t);
			return;
		}
	}
	if (strcmp(t, AT_UPDATESTATUS) == 0 || strcmp(t, AT_SUBMITASSOC) == 0) {
		MDERR(v, "%s '%s': associationType %s belongs to Metadata "
		    "Update (ITI-57), not to ITI-42", what, o->id, t);
		return;
	}
	if (!assoc_known(t)) {
		if (v->o != NULL && v->o->metadata_update)
			verr(v, ERR_MU_OPERATION, "%s '%s': associationType "
			    "'%s' is no update operation this registry knows",
			    what, o->id, t);
		else
			MDERR(v, "%s '%s': unknown associationType '%s'", what,
			    o->id, t);
		return;
	}
	if (strcmp(src, dst) == 0) {
		MDERR(v, "%s '%s': sourceObject and targetObject are the same "
		    "object '%s'", what, o->id, src);
		return;
	}
	if ((si = find(v, src)) >= 0)
		sk = v->kind[si];
	if ((ti = find(v, dst)) >= 0)
		tk = v->kind[ti];
	/* A reference to something not in the message must be an entryUUID
	 * of a stored object (R4 resolves it against the database). */
	if (si < 0 && !is_uuid_ref(src))
		verr(v, ERR_UNRESOLVED_REFERENCE, "%s '%s': sourceObject '%s' "
		    "is neither in the submission nor a urn:uuid", what, o->id,
		    src);
	if (ti < 0 && !is_uuid_ref(dst))
		verr(v, ERR_UNRESOLVED_REFERENCE, "%s '%s': targetObject '%s' "
		    "is neither in the submission nor a urn:uuid", what, o->id,
		    dst);

	if (strcmp(t, AT_HASMEMBER) == 0) {
		if (rim_classifications(o, CS_ASSOC_DOCUMENTATION, NULL, 0) > 0)
			MDERR(v, "%s '%s': a documentation classification "
			    "(%s) is not allowed on HasMember", what, o->id,
			    CS_ASSOC_DOCUMENTATION);
		if (si >= 0 && sk != XDS_SUBMISSIONSET && sk != XDS_FOLDER)
			MDERR(v, "%s '%s': HasMember source '%s' is a %s, not "
			    "a SubmissionSet or Folder", what, o->id, src,
			    validate_kind_name(sk));
		if (si >= 0 && sk == XDS_FOLDER && ti >= 0 &&
		    tk != XDS_DOCENTRY)
			MDERR(v, "%s '%s': Folder HasMember target '%s' is a "
			    "%s, not a DocumentEntry", what, o->id, dst,
			    validate_kind_name(tk));
		if (si >= 0 && sk == XDS_SUBMISSIONSET && ti >= 0 &&
		    (tk == XDS_DOCENTRY || tk == XDS_FOLDER))
			member[ti] = 1;
		if (si >= 0 && sk == XDS_SUBMISSIONSET && (tk == XDS_DOCENTRY ||
		    (ti < 0 && rim_slot(o->slots, o->nslots,
		    SLOT_SSSTATUS) != NULL))) {
			st = slot_one(v, what, o->id, o->slots, o->nslots,
			    SLOT_SSSTATUS, 1);
			if (st != NULL && strcmp(st, SSSTATUS_ORIGINAL) != 0 &&
			    strcmp(st, SSSTATUS_REFERENCE) != 0)
				MDERR(v, "%s '%s': SubmissionSetStatus '%s' is "
				    "neither Original nor Reference", what,
				    o->id, st);
			else if (st != NULL && ti >= 0 &&
			    strcmp(st, SSSTATUS_ORIGINAL) != 0)
				MDERR(v, "%s '%s': DocumentEntry '%s' is in "
				    "this submission: SubmissionSetStatus must "
				    "be Original", what, o->id, dst);
			else if (st != NULL && ti < 0 &&
			    strcmp(st, SSSTATUS_REFERENCE) != 0)
				MDERR(v, "%s '%s': '%s' is not in this "
				    "submission: SubmissionSetStatus must be "
				    "Reference", what, o->id, dst);
		}
		return;
	}
	if (is_lifecycle(t) || strcmp(t, AT_SNAPSHOT) == 0) {
		if (si < 0 || sk != XDS_DOCENTRY)
			MDERR(v, "%s '%s': source '%s' of %s must be a "
			    "DocumentEntry in this submission", what, o->id,
			    src, t);
		if (ti >= 0)
			MDERR(v, "%s '%s': target '%s' of %s must be a "
			    "DocumentEntry already in the registry", what,
			    o->id, dst, t);
	}
	for (i = 0; i < o->ncls; i++) {
		const struct rim_classification *c = &o->cls[i];

		if (c->scheme != NULL &&
		    strcmp(c->scheme, CS_ASSOC_DOCUMENTATION) == 0 &&
		    (c->noderep == NULL || c->noderep[0] == '\0'))
			MDERR(v, "%s '%s': documentation classification has "
			    "no code", what, o->id);
	}
}

/*
 * A Classification or ExternalIdentifier nested in an object must point
 * back at it (classifiedObject, registryObject): one that names another
 * object is a dangling or misplaced reference (NIST pnr-bad-uplink.xml).
 */
static void
check_uplinks(struct vctx *v, const struct rim_object *o)
{
	size_t	 i;

	for (i = 0; i < o->ncls; i++)
		if (o->cls[i].classified != NULL &&
		    o->cls[i].classified[0] != '\0' &&
		    strcmp(o->cls[i].classified, o->id) != 0)
			MDERR(v, "%s '%s': nested Classification '%s' has "
			    "classifiedObject '%s', not its parent",
			    validate_kind_name(v->kind[o - v->l->obj]), o->id,
			    o->cls[i].id, o->cls[i].classified);
	for (i = 0; i < o->neids; i++)
		if (o->eids[i].registry_object != NULL &&
		    o->eids[i].registry_object[0] != '\0' &&
		    strcmp(o->eids[i].registry_object, o->id) != 0)
			MDERR(v, "%s '%s': nested ExternalIdentifier '%s' has "
			    "registryObject '%s', not its parent",
			    validate_kind_name(v->kind[o - v->l->obj]), o->id,
			    o->eids[i].id, o->eids[i].registry_object);
}

static void
check_classification(struct vctx *v, const struct rim_object *o)
{
	long	 i = find(v, o->classified);

	if (o->classified == NULL || o->classified[0] == '\0') {
		MDERR(v, "Classification '%s': attribute classifiedObject is "
		    "missing", o->id);
		return;
	}
	if (i < 0 || v->l->obj[i].kind != RIM_REGISTRY_PACKAGE) {
		MDERR(v, "Classification '%s': classifiedObject '%s' is not "
		    "a RegistryPackage of this submission", o->id,
		    o->classified);
		return;
	}
	if (o->node == NULL || (strcmp(o->node, NODE_SUBMISSIONSET) != 0 &&
	    strcmp(o->node, NODE_FOLDER) != 0))
		MDERR(v, "Classification '%s': classificationNode '%s' is "
		    "neither SubmissionSet nor Folder", o->id,
		    o->node != NULL ? o->node : "");
}

/* ---- whole submission ---- */

struct uid_ent {
	const char *uid;
	size_t	 idx;
};

static int
uid_cmp(const void *a, const void *b)
{
	const struct uid_ent *x = a, *y = b;
	int	 c = strcmp(x->uid, y->uid);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* R9: uniqueIds of DE, SS and Folders are unique in the message. */
static int
check_unique_ids(struct vctx *v)
{
	struct uid_ent *u;
	size_t	 i, n = 0;

	if ((u = calloc(v->l->nobj + 1, sizeof *u)) == NULL)
		return -1;
	for (i = 0; i < v->l->nobj; i++) {
		const char *uid = validate_unique_id(&v->l->obj[i], v->kind[i]);

		if (uid != NULL) {
			u[n].uid = uid;
			u[n].idx = i;
			n++;
		}
	}
	qsort(u, n, sizeof *u, uid_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(u[i].uid, u[i - 1].uid) == 0)
			verr(v, ERR_REGISTRY_DUP_IN_MESSAGE, "uniqueId '%s' "
			    "is used by both %s '%s' and %s '%s'", u[i].uid,
			    validate_kind_name(v->kind[u[i - 1].idx]),
			    v->l->obj[u[i - 1].idx].id,
			    validate_kind_name(v->kind[u[i].idx]),
			    v->l->obj[u[i].idx].id);
	free(u);
	return 0;
}

static void
check_ids(struct vctx *v)
{
	size_t	 i;

	for (i = 0; i < v->l->nobj; i++) {
		const struct rim_object *o = &v->l->obj[i];

		if (o->id == NULL || o->id[0] == '\0') {
			MDERR(v, "%s #%zu: attribute id is missing",
			    validate_kind_name(v->kind[i]), i + 1);
			continue;
		}
		if (strlen(o->id) > ID_MAX)
			MDERR(v, "%s: id longer than %d characters",
			    validate_kind_name(v->kind[i]), ID_MAX);
		else if (is_uuid_ref(o->id) && !uuid_ok(o->id))
			MDERR(v, "%s '%s': id starts with urn:uuid: but is not "
			    "a UUID", validate_kind_name(v->kind[i]), o->id);
		if (o->kind == RIM_OBJECT_REF && !is_uuid_ref(o->id))
			verr(v, ERR_UNRESOLVED_REFERENCE, "ObjectRef '%s': a "
			    "reference to a stored object must be a urn:uuid",
			    o->id);
	}
	for (i = 1; i < v->byid.n; i++) {
		const char *a = v->byid.v[i - 1].id, *b = v->byid.v[i].id;

		if (a[0] != '\0' && strcmp(a, b) == 0)
			MDERR(v, "id '%s' is used by more than one object", a);
	}
}

int
validate_submission(const struct rim_list *l, const struct validate_opts *o,
    struct rim_errors *errs)
{
	struct vctx v;
	unsigned char *member = NULL;
	size_t	 i, nss = 0;
	int	 rc = XDS_ENOMEM;

	memset(&v, 0, sizeof v);
	v.l = l;
	v.o = o;
	v.e = errs;
	if (rim_index_build(&v.byid, l, keep_submitted, NULL) != XDS_OK ||
	    (v.kind = calloc(l->nobj + 1, sizeof *v.kind)) == NULL ||
	    (member = calloc(l->nobj + 1, 1)) == NULL)
		goto out;
	for (i = 0; i < l->nobj; i++) {
		v.kind[i] = validate_kind(l, &l->obj[i]);
		if (v.kind[i] == XDS_SUBMISSIONSET && nss++ == 0)
			v.ss = &l->obj[i];
	}
	check_ids(&v);
	/* R1 */
	if (nss != 1) {
		MDERR(&v, "a submission needs exactly one SubmissionSet "
		    "(RegistryPackage classified %s); found %zu",
		    NODE_SUBMISSIONSET, nss);
		v.ss = NULL;
	}
	if (v.ss != NULL) {
		const struct rim_extid *ei = rim_extid(v.ss, EI_SS_PATIENTID);

		if (ei == NULL || cx_canon(ei->value, v.ss_patient,
		    sizeof v.ss_patient) != 0)
			v.ss_patient[0] = '\0';
	}
	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *ob = &l->obj[i];

		if (ob->id == NULL || ob->id[0] == '\0')
			continue;
		check_uplinks(&v, ob);
		switch (ob->kind) {
		case RIM_EXTRINSIC_OBJECT:
			check_docentry(&v, ob);
			break;
		case RIM_REGISTRY_PACKAGE:
			if (v.kind[i] == XDS_UNKNOWN)
				MDERR(&v, "RegistryPackage '%s' is classified "
				    "neither as SubmissionSet (%s) nor as "
				    "Folder (%s)", ob->id, NODE_SUBMISSIONSET,
				    NODE_FOLDER);
			else
				check_package(&v, ob, v.kind[i]);
			break;
		case RIM_ASSOCIATION:
			check_association(&v, ob, member);
			break;
		case RIM_CLASSIFICATION:
			check_classification(&v, ob);
			break;
		case RIM_OBJECT_REF:
			break;
		}
	}
	/* R2 */
	for (i = 0; v.ss != NULL && i < l->nobj; i++)
		if ((v.kind[i] == XDS_DOCENTRY || v.kind[i] == XDS_FOLDER) &&
		    !member[i] && l->obj[i].id != NULL && l->obj[i].id[0])
			MDERR(&v, "%s '%s' is not a member of the "
			    "SubmissionSet: HasMember association from '%s' "
			    "missing", validate_kind_name(v.kind[i]),
			    l->obj[i].id, v.ss->id);
	if (check_unique_ids(&v) != 0)
		goto out;
	rc = v.nomem ? XDS_ENOMEM : v.nerr > 0 ? VALIDATE_INVALID :
	    XDS_OK;
out:
	free(member);
	free(v.kind);
	rim_index_free(&v.byid);
	return rc;
}
