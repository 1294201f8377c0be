/* test_validate.c: XDS metadata validation, one case per rule and per
 * required attribute (NIST 11998a), plus the conformance corpus. */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebrim.h"
#include "testutil.h"
#include "validate.h"
#include "vocab.h"
#include "xml.h"

#define PAT	"999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO"

#define SLOT(n, v) "<rim:Slot name=\"" n "\"><rim:ValueList><rim:Value>" v \
	"</rim:Value></rim:ValueList></rim:Slot>"
#define NAME(v)	"<rim:Name><rim:LocalizedString value=\"" v "\"/></rim:Name>"
#define CODE(id, scheme, obj, code, cs, disp) \
	"<rim:Classification id=\"" id "\" classificationScheme=\"" scheme \
	"\" classifiedObject=\"" obj "\" nodeRepresentation=\"" code "\">" \
	SLOT("codingScheme", cs) NAME(disp) "</rim:Classification>"
#define EXTID(id, scheme, obj, v, n) \
	"<rim:ExternalIdentifier id=\"" id "\" identificationScheme=\"" scheme \
	"\" registryObject=\"" obj "\" value=\"" v "\">" NAME(n) \
	"</rim:ExternalIdentifier>"

/* One DocumentEntry, one Folder holding it, one SubmissionSet. */
static const char base[] =
"<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM "\">"
"<rim:RegistryObjectList xmlns:rim=\"" NS_RIM "\">"
"<rim:ExtrinsicObject id=\"Doc1\" mimeType=\"text/xml\" objectType=\""
    OT_DE_STABLE "\">"
  SLOT("creationTime", "20250101120000")
  SLOT("hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709")
  SLOT("size", "0")
  SLOT("languageCode", "nl-NL")
  SLOT("repositoryUniqueId", "1.2.3.4.5")
  SLOT("sourcePatientId", "123^^^&amp;1.2.3.4&amp;ISO")
  SLOT("serviceStartTime", "202412")
  NAME("Verslag")
  "<rim:Classification id=\"au1\" classificationScheme=\"" CS_DE_AUTHOR
    "\" classifiedObject=\"Doc1\" nodeRepresentation=\"\">"
    SLOT("authorPerson", "^Jansen^Piet") "</rim:Classification>"
  CODE("c1", CS_DE_CLASSCODE, "Doc1", "REPORTS", "1.3.6.1.4.1.19376.1.2.6.1", "Reports")
  CODE("c2", CS_DE_CONFCODE, "Doc1", "N", "2.16.840.1.113883.5.25", "Normal")
  CODE("c3", CS_DE_FORMATCODE, "Doc1", "urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "PDF")
  CODE("c4", CS_DE_HCFTCODE, "Doc1", "Z3", "2.16.840.1.113883.2.4.15.1060", "Ziekenhuis")
  CODE("c5", CS_DE_PRACTICECODE, "Doc1", "0303", "2.16.840.1.113883.2.4.6.7", "Chirurgie")
  CODE("c6", CS_DE_TYPECODE, "Doc1", "11488-4", "2.16.840.1.113883.6.1", "Consult note")
  EXTID("e1", EI_DE_PATIENTID, "Doc1", PAT, "XDSDocumentEntry.patientId")
  EXTID("e2", EI_DE_UNIQUEID, "Doc1", "1.2.3.4.100.1", "XDSDocumentEntry.uniqueId")
"</rim:ExtrinsicObject>"
"<rim:RegistryPackage id=\"Fol1\">"
  NAME("Map")
  CODE("c7", CS_FOL_CODELIST, "Fol1", "X", "1.2.3", "X")
  EXTID("e3", EI_FOL_PATIENTID, "Fol1", PAT, "XDSFolder.patientId")
  EXTID("e4", EI_FOL_UNIQUEID, "Fol1", "1.2.3.4.100.3", "XDSFolder.uniqueId")
"</rim:RegistryPackage>"
"<rim:Classification id=\"cf\" classifiedObject=\"Fol1\" classificationNode=\""
    NODE_FOLDER "\"/>"
"<rim:RegistryPackage id=\"SS1\">"
  SLOT("submissionTime", "20250101120500")
  "<rim:Classification id=\"au2\" classificationScheme=\"" CS_SS_AUTHOR
    "\" classifiedObject=\"SS1\" nodeRepresentation=\"\">"
    SLOT("authorInstitution", "Ziekenhuis X") "</rim:Classification>"
  CODE("c8", CS_SS_CONTENTTYPE, "SS1", "C", "1.2.3", "Contents")
  EXTID("e5", EI_SS_UNIQUEID, "SS1", "1.2.3.4.100.2", "XDSSubmissionSet.uniqueId")
  EXTID("e6", EI_SS_SOURCEID, "SS1", "1.2.3.4", "XDSSubmissionSet.sourceId")
  EXTID("e7", EI_SS_PATIENTID, "SS1", PAT, "XDSSubmissionSet.patientId")
"</rim:RegistryPackage>"
"<rim:Classification id=\"cs\" classifiedObject=\"SS1\" classificationNode=\""
    NODE_SUBMISSIONSET "\"/>"
"<rim:Association id=\"a1\" associationType=\"" AT_HASMEMBER
    "\" sourceObject=\"SS1\" targetObject=\"Doc1\">"
  SLOT("SubmissionSetStatus", "Original") "</rim:Association>"
"<rim:Association id=\"a2\" associationType=\"" AT_HASMEMBER
    "\" sourceObject=\"SS1\" targetObject=\"Fol1\"/>"
"<rim:Association id=\"a3\" associationType=\"" AT_HASMEMBER
    "\" sourceObject=\"Fol1\" targetObject=\"Doc1\"/>"
"<rim:Association id=\"a4\" associationType=\"" AT_HASMEMBER
    "\" sourceObject=\"SS1\" targetObject=\"a3\"/>"
"</rim:RegistryObjectList></lcm:SubmitObjectsRequest>";

static struct rim_errors errs;
static int mu;		/* validate as a Metadata Update (ITI-57) */

/* Replace the first `from` in base with `to` (NULL: base itself). */
static char *
edit(const char *src, const char *from, const char *to)
{
	const char *p;
	char	*out;
	size_t	 n;

	if (from == NULL)
		return strdup(src);
	if ((p = strstr(src, from)) == NULL) {
		fprintf(stderr, "test edit: '%s' not in the template\n", from);
		return NULL;
	}
	n = strlen(src) - strlen(from) + strlen(to) + 1;
	if ((out = malloc(n)) == NULL)
		return NULL;
	memcpy(out, src, (size_t)(p - src));
	memcpy(out + (p - src), to, strlen(to));
	memcpy(out + (p - src) + strlen(to), p + strlen(from),
	    strlen(p + strlen(from)) + 1);
	return out;
}

/* Validate base with one edit; -100 when the edit or parse fails. */
static int
check(const char *from, const char *to, int bsn)
{
	struct validate_opts o;
	struct rim_list l;
	char	 err[256];
	char	*x;
	int	 rc;

	rim_errors_free(&errs);
	rim_errors_init(&errs);
	if ((x = edit(base, from, to)) == NULL)
		return -100;
	rim_list_init(&l);
	if (rim_parse_submit_mem(x, strlen(x), &l, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "parse: %s\n", err);
		free(x);
		return -100;
	}
	memset(&o, 0, sizeof o);
	o.bsn_patients = bsn;
	o.metadata_update = mu;
	rc = validate_submission(&l, &o, &errs);
	rim_list_free(&l);
	free(x);
	return rc;
}

/* errs holds code with a codeContext containing ctx. */
static int
has(const char *code, const char *ctx)
{
	size_t	 i;

	for (i = 0; i < errs.n; i++)
		if (strcmp(errs.v[i].code, code) == 0 &&
		    (ctx == NULL || strstr(errs.v[i].context, ctx) != NULL))
			return 1;
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "  got %s: %s\n", errs.v[i].code,
		    errs.v[i].context);
	return 0;
}

#define EXPECT(from, to, code, ctx) do {				\
	CU_ASSERT_EQUAL(check((from), (to), 1), VALIDATE_INVALID);	\
	CU_ASSERT(has((code), (ctx)));					\
} while (0)

static void
test_valid(void)
{
	CU_ASSERT_EQUAL(check(NULL, NULL, 1), XDS_OK);
	CU_ASSERT_EQUAL(errs.n, 0);
	CU_ASSERT_EQUAL(check(NULL, NULL, 0), XDS_OK);
}

/* NIST 11998a: one case per required DocumentEntry attribute. */
static void
test_required_de(void)
{
	static const struct { const char *from, *ctx; } c[] = {
		{ SLOT("creationTime", "20250101120000"), "slot creationTime is missing" },
		{ SLOT("hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709"), "slot hash is missing" },
		{ SLOT("size", "0"), "slot size is missing" },
		{ SLOT("languageCode", "nl-NL"), "slot languageCode is missing" },
		{ SLOT("repositoryUniqueId", "1.2.3.4.5"), "slot repositoryUniqueId is missing" },
		{ SLOT("sourcePatientId", "123^^^&amp;1.2.3.4&amp;ISO"), "slot sourcePatientId is missing" },
		{ CODE("c1", CS_DE_CLASSCODE, "Doc1", "REPORTS", "1.3.6.1.4.1.19376.1.2.6.1", "Reports"), "classCode is missing" },
		{ CODE("c2", CS_DE_CONFCODE, "Doc1", "N", "2.16.840.1.113883.5.25", "Normal"), "confidentialityCode is missing" },
		{ CODE("c3", CS_DE_FORMATCODE, "Doc1", "urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "PDF"), "formatCode is missing" },
		{ CODE("c4", CS_DE_HCFTCODE, "Doc1", "Z3", "2.16.840.1.113883.2.4.15.1060", "Ziekenhuis"), "healthcareFacilityTypeCode is missing" },
		{ CODE("c5", CS_DE_PRACTICECODE, "Doc1", "0303", "2.16.840.1.113883.2.4.6.7", "Chirurgie"), "practiceSettingCode is missing" },
		{ CODE("c6", CS_DE_TYPECODE, "Doc1", "11488-4", "2.16.840.1.113883.6.1", "Consult note"), "typeCode is missing" },
		{ EXTID("e1", EI_DE_PATIENTID, "Doc1", PAT, "XDSDocumentEntry.patientId"), "XDSDocumentEntry.patientId is missing" },
		{ EXTID("e2", EI_DE_UNIQUEID, "Doc1", "1.2.3.4.100.1", "XDSDocumentEntry.uniqueId"), "XDSDocumentEntry.uniqueId is missing" },
		{ " mimeType=\"text/xml\"", "mimeType is missing" },
	};
	size_t	 i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		CU_ASSERT_EQUAL(check(c[i].from, "", 1), VALIDATE_INVALID);
		CU_ASSERT(has(ERR_REGISTRY_METADATA, c[i].ctx));
		CU_ASSERT(has(ERR_REGISTRY_METADATA, "'Doc1'"));
	}
}

static void
test_required_ss_folder(void)
{
	EXPECT(SLOT("submissionTime", "20250101120500"), "",
	    ERR_REGISTRY_METADATA, "SubmissionSet 'SS1': slot submissionTime is missing");
	EXPECT(CODE("c8", CS_SS_CONTENTTYPE, "SS1", "C", "1.2.3", "Contents"), "",
	    ERR_REGISTRY_METADATA, "contentTypeCode is missing");
	EXPECT(EXTID("e6", EI_SS_SOURCEID, "SS1", "1.2.3.4", "XDSSubmissionSet.sourceId"), "",
	    ERR_REGISTRY_METADATA, "XDSSubmissionSet.sourceId is missing");
	EXPECT(EXTID("e5", EI_SS_UNIQUEID, "SS1", "1.2.3.4.100.2", "XDSSubmissionSet.uniqueId"), "",
	    ERR_REGISTRY_METADATA, "XDSSubmissionSet.uniqueId is missing");
	EXPECT(CODE("c7", CS_FOL_CODELIST, "Fol1", "X", "1.2.3", "X"), "",
	    ERR_REGISTRY_METADATA, "Folder 'Fol1': codeList is missing");
	EXPECT(NAME("Map"), "", ERR_REGISTRY_METADATA,
	    "Folder 'Fol1': title (Name) is missing");
	EXPECT(EXTID("e4", EI_FOL_UNIQUEID, "Fol1", "1.2.3.4.100.3", "XDSFolder.uniqueId"), "",
	    ERR_REGISTRY_METADATA, "XDSFolder.uniqueId is missing");
}

static void
test_formats(void)
{
	EXPECT("20250101120000", "2025-01-01", ERR_REGISTRY_METADATA,
	    "creationTime '2025-01-01' is not a DTM");
	EXPECT("da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee",
	    ERR_REGISTRY_METADATA, "hash 'da39a3ee' is not 40 hex digits");
	EXPECT(SLOT("size", "0"), SLOT("size", "12k"), ERR_REGISTRY_METADATA,
	    "size '12k' is not a decimal");
	EXPECT("nl-NL", "n", ERR_REGISTRY_METADATA,
	    "languageCode 'n' is not an RFC 5646 tag");
	EXPECT("1.2.3.4.5<", "1.2.x<", ERR_REGISTRY_METADATA,
	    "repositoryUniqueId '1.2.x' is not an OID");
	EXPECT("123^^^&amp;1.2.3.4&amp;ISO", "123", ERR_REGISTRY_METADATA,
	    "sourcePatientId '123' is not a CX");
	EXPECT(PAT "\"><rim:Name><rim:LocalizedString value=\"XDSDocumentEntry",
	    "999911120^^^&amp;2.16.840.1.113883.2.4.6.3\"><rim:Name>"
	    "<rim:LocalizedString value=\"XDSDocumentEntry",
	    ERR_REGISTRY_METADATA, "XDSDocumentEntry.patientId '999911120^^^&2.16.840.1.113883.2.4.6.3'");
	EXPECT("\"1.2.3.4.100.1\"", "\"abc\"", ERR_REGISTRY_METADATA,
	    "uniqueId 'abc'");
	EXPECT("\"1.2.3.4.100.2\"", "\"1.2.3.4.100.2^x\"", ERR_REGISTRY_METADATA,
	    "XDSSubmissionSet.uniqueId '1.2.3.4.100.2^x' is not an OID");
	/* A code without codingScheme or display name. */
	EXPECT(SLOT("codingScheme", "2.16.840.1.113883.5.25"), "",
	    ERR_REGISTRY_METADATA, "confidentialityCode 'N' needs exactly one codingScheme");
	EXPECT(NAME("Normal"), "", ERR_REGISTRY_METADATA,
	    "confidentialityCode 'N' has no display name");
	/* Author with nothing that names the author. */
	EXPECT(SLOT("authorPerson", "^Jansen^Piet"), "", ERR_REGISTRY_METADATA,
	    "author 'au1' needs authorPerson");
	EXPECT(OT_DE_STABLE "\">", OT_DE_ONDEMAND "\">", ERR_REGISTRY_METADATA,
	    "On-Demand");
	EXPECT("urn:ihe:iti:xds-sd:pdf:2008\"", "\"", ERR_REGISTRY_METADATA,
	    "formatCode has no code");
	EXPECT(SLOT("hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
	    "<rim:Slot name=\"hash\"><rim:ValueList><rim:Value>1</rim:Value>"
	    "<rim:Value>2</rim:Value></rim:ValueList></rim:Slot>",
	    ERR_REGISTRY_METADATA, "slot hash has 2 values");
}

static void
test_rules(void)
{
	/* R1: no SubmissionSet. */
	EXPECT("classificationNode=\"" NODE_SUBMISSIONSET "\"",
	    "classificationNode=\"" NODE_FOLDER "\"", ERR_REGISTRY_METADATA,
	    "exactly one SubmissionSet");
	/* R2: the document is not a member of the SubmissionSet. */
	EXPECT("sourceObject=\"SS1\" targetObject=\"Doc1\"",
	    "sourceObject=\"Fol1\" targetObject=\"Doc1\"", ERR_REGISTRY_METADATA,
	    "DocumentEntry 'Doc1' is not a member of the SubmissionSet");
	/* R5 (bsn mode): not a BSN. */
	CU_ASSERT_EQUAL(check(PAT "\"><rim:Name><rim:LocalizedString value=\"XDSSubmissionSet",
	    "999911121^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO\"><rim:Name>"
	    "<rim:LocalizedString value=\"XDSSubmissionSet", 1), VALIDATE_INVALID);
	CU_ASSERT(has(ERR_UNKNOWN_PATIENTID, "SubmissionSet 'SS1'"));
	/* ... and accepted in feed mode, where the registry decides (R5). */
	CU_ASSERT_EQUAL(check(PAT "\"><rim:Name><rim:LocalizedString value=\"XDSSubmissionSet",
	    "999911121^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO\"><rim:Name>"
	    "<rim:LocalizedString value=\"XDSSubmissionSet", 0), VALIDATE_INVALID);
	CU_ASSERT(has(ERR_PATIENTID_MISMATCH, NULL));	/* R6 still */
	/* R6: DocumentEntry of another patient. */
	EXPECT(PAT "\"><rim:Name><rim:LocalizedString value=\"XDSDocumentEntry",
	    "111222333^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO\"><rim:Name>"
	    "<rim:LocalizedString value=\"XDSDocumentEntry",
	    ERR_PATIENTID_MISMATCH, "DocumentEntry 'Doc1'");
	/* R9: the folder uses the document's uniqueId. */
	EXPECT("\"1.2.3.4.100.3\"", "\"1.2.3.4.100.1\"",
	    ERR_REGISTRY_DUP_IN_MESSAGE, "uniqueId '1.2.3.4.100.1'");
	/* SubmissionSetStatus on SS->DE HasMember. */
	EXPECT(SLOT("SubmissionSetStatus", "Original"), "",
	    ERR_REGISTRY_METADATA, "slot SubmissionSetStatus is missing");
	EXPECT(SLOT("SubmissionSetStatus", "Original"),
	    SLOT("SubmissionSetStatus", "Reference"), ERR_REGISTRY_METADATA,
	    "SubmissionSetStatus must be Original");
	/* NIST 12370: documentation classification not on HasMember. */
	EXPECT(SLOT("SubmissionSetStatus", "Original"),
	    SLOT("SubmissionSetStatus", "Original")
	    CODE("d1", CS_ASSOC_DOCUMENTATION, "a1", "x", "1.2", "why"),
	    ERR_REGISTRY_METADATA, "not allowed on HasMember");
	/* Association attributes. */
	EXPECT(" sourceObject=\"SS1\" targetObject=\"Fol1\"",
	    " targetObject=\"Fol1\"", ERR_REGISTRY_METADATA,
	    "Association 'a2': attribute sourceObject is missing");
	EXPECT(" associationType=\"" AT_HASMEMBER "\" sourceObject=\"SS1\" targetObject=\"Fol1\"",
	    " sourceObject=\"SS1\" targetObject=\"Fol1\"", ERR_REGISTRY_METADATA,
	    "Association 'a2': attribute associationType is missing");
	EXPECT("sourceObject=\"SS1\" targetObject=\"Fol1\"",
	    "sourceObject=\"SS1\" targetObject=\"SS1\"", ERR_REGISTRY_METADATA,
	    "are the same object");
	EXPECT("associationType=\"" AT_HASMEMBER "\" sourceObject=\"SS1\" targetObject=\"Fol1\"",
	    "associationType=\"" AT_UPDATESTATUS "\" sourceObject=\"SS1\" targetObject=\"Fol1\"",
	    ERR_REGISTRY_METADATA, "Metadata Update");
	/* Symbolic reference to nothing. */
	EXPECT("sourceObject=\"Fol1\" targetObject=\"Doc1\"",
	    "sourceObject=\"Fol1\" targetObject=\"Nothing\"",
	    ERR_UNRESOLVED_REFERENCE, "'Nothing'");
	/* Malformed urn:uuid id; duplicate ids. */
	EXPECT("id=\"Doc1\"", "id=\"urn:uuid:zz\"", ERR_REGISTRY_METADATA,
	    "not a UUID");
	EXPECT("<rim:RegistryPackage id=\"Fol1\">", "<rim:RegistryPackage id=\"SS1\">",
	    ERR_REGISTRY_METADATA, "id 'SS1' is used by more than one object");
	/* A replacement must point at a stored document. */
	EXPECT("associationType=\"" AT_HASMEMBER "\" sourceObject=\"Fol1\"",
	    "associationType=\"" AT_RPLC "\" sourceObject=\"Fol1\"",
	    ERR_REGISTRY_METADATA, "must be a DocumentEntry in this submission");
	/* Everything is reported, not only the first problem. */
	CU_ASSERT_EQUAL(check(SLOT("languageCode", "nl-NL"), SLOT("languageCode", "9"), 1),
	    VALIDATE_INVALID);
}

/* ITI-57: status changes are left to the registry's update rules, an
 * association type that is no update operation is named as such. */
static void
test_metadata_update(void)
{
	const char *fd = "associationType=\"" AT_HASMEMBER "\" "
	    "sourceObject=\"Fol1\"";

	mu = 1;
	CU_ASSERT_EQUAL(check(fd, "associationType=\"" AT_UPDATESTATUS "\" "
	    "sourceObject=\"Fol1\"", 1), XDS_OK);
	EXPECT(fd, "associationType=\"" AT_SUBMITASSOC "\" "
	    "sourceObject=\"Fol1\"", ERR_MU_OPERATION, AT_SUBMITASSOC);
	EXPECT(fd, "associationType=\"urn:x:NonVersioningUpdate\" "
	    "sourceObject=\"Fol1\"", ERR_MU_OPERATION, "NonVersioningUpdate");
	mu = 0;
}

static void
test_all_reported(void)
{
	char	*x, *y;
	struct rim_list l;
	struct validate_opts o;
	char	 err[256];

	x = edit(base, SLOT("creationTime", "20250101120000"), "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	y = edit(x, SLOT("submissionTime", "20250101120500"), "");
	free(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	rim_list_init(&l);
	rim_errors_free(&errs);
	rim_errors_init(&errs);
	CU_ASSERT_EQUAL_FATAL(rim_parse_submit_mem(y, strlen(y), &l, err,
	    sizeof err), XDS_OK);
	memset(&o, 0, sizeof o);
	CU_ASSERT_EQUAL(validate_submission(&l, &o, &errs), VALIDATE_INVALID);
	CU_ASSERT_EQUAL(errs.n, 2);
	CU_ASSERT(has(ERR_REGISTRY_METADATA, "creationTime"));
	CU_ASSERT(has(ERR_REGISTRY_METADATA, "submissionTime"));
	rim_list_free(&l);
	free(y);
}

/* Submissions from other implementations' tests that they accept. */
static void
test_corpus(void)
{
	static const char *const ok[] = {
		"iti42-register/dcm4chee-xds/RegisterOneDocument.xml",
		"iti42-register/dcm4chee-xds/RegisterTwoDocuments.xml",
		"iti42-register/dcm4chee-xds/CreateFolder.xml",
		"iti42-register/dcm4chee-xds/CreateFolderWithDocument.xml",
		"iti42-register/dcm4chee-xds/RegisterAssocBeforeDoc.xml",
		"negative/iti42-register/dcm4chee-xds/ResubmitInitialDoc.xml",
	};
	char	 err[256];
	size_t	 i, len;

	TESTUTIL_NEED_CORPUS();
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct rim_list l;
		struct validate_opts o;
		char	*x;

		if ((x = testutil_testdata_file(ok[i], &len)) == NULL) {
			fprintf(stderr, "skip %s (not found)\n", ok[i]);
			continue;
		}
		rim_list_init(&l);
		rim_errors_free(&errs);
		rim_errors_init(&errs);
		memset(&o, 0, sizeof o);
		CU_ASSERT_EQUAL(rim_parse_submit_mem(x, len, &l, err,
		    sizeof err), XDS_OK);
		if (validate_submission(&l, &o, &errs) != XDS_OK) {
			fprintf(stderr, "%s:\n", ok[i]);
			has("-", NULL);
			CU_FAIL("corpus submission refused");
		}
		rim_list_free(&l);
		free(x);
	}
}

static const struct cutest tests[] = {
	{ "valid submission", test_valid },
	{ "NIST 11998a DocumentEntry", test_required_de },
	{ "SubmissionSet and Folder", test_required_ss_folder },
	{ "formats", test_formats },
	{ "rules R1 R2 R5 R6 R9, associations", test_rules },
	{ "all findings reported", test_all_reported },
	{ "ITI-57 association types", test_metadata_update },
	{ "corpus", test_corpus },
};

int
main(void)
{
	int rc;

	xml_init();
	rim_errors_init(&errs);
	rc = cutest_run("validate", tests, sizeof tests / sizeof tests[0]);
	rim_errors_free(&errs);
	return rc;
}
