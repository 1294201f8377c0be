/* test_check.c: the checks of xdsctl validate and proxy (check/check.h),
 * one case per framing and per rule family. */
#include "config.h"

#include "cutest.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "check_int.h"
#include "dcmshim.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xml.h"

#define ENV_OPEN(action, extra) \
	"<s:Envelope xmlns:s=\"" NS_SOAP12 "\" xmlns:a=\"" NS_WSA "\">" \
	"<s:Header><a:Action>" action "</a:Action>" extra "</s:Header><s:Body>"
#define ENV_CLOSE "</s:Body></s:Envelope>"
#define REQ_HDR "<a:MessageID>urn:uuid:1</a:MessageID><a:To>http://x/</a:To>"
#define RSP_HDR "<a:RelatesTo>urn:uuid:1</a:RelatesTo>"

#define QUERY(slots) \
	"<q:AdhocQueryRequest xmlns:q=\"" NS_QUERY "\" xmlns:rim=\"" NS_RIM \
	"\"><q:ResponseOption returnComposedObjects=\"true\" " \
	"returnType=\"LeafClass\"/><rim:AdhocQuery id=\"" \
	"urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d\">" slots \
	"</rim:AdhocQuery></q:AdhocQueryRequest>"
#define SLOT(n, v) "<rim:Slot name=\"" n "\"><rim:ValueList><rim:Value>" v \
	"</rim:Value></rim:ValueList></rim:Slot>"
#define PATIENT SLOT("$XDSDocumentEntryPatientId", \
	"'999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO'")
#define APPROVED SLOT("$XDSDocumentEntryStatus", "('" STATUS_APPROVED "')")

#define RETRIEVE_RSP(status, home) \
	"<x:RetrieveDocumentSetResponse xmlns:x=\"" NS_XDSB "\" xmlns:rs=\"" \
	NS_RS "\"><rs:RegistryResponse status=\"" status "\"/>" \
	"<x:DocumentResponse>" home "<x:RepositoryUniqueId>1.2.3" \
	"</x:RepositoryUniqueId><x:DocumentUniqueId>1.2.3.4" \
	"</x:DocumentUniqueId><x:mimeType>text/plain</x:mimeType><x:Document>" \
	"<xop:Include xmlns:xop=\"" NS_XOP "\" href=\"cid:doc1@example.org\"/>" \
	"</x:Document></x:DocumentResponse></x:RetrieveDocumentSetResponse>"

#define MIME_ROOT(body) \
	"--MB\r\nContent-Type: application/xop+xml; charset=UTF-8; " \
	"type=\"application/soap+xml\"\r\nContent-ID: <root@example.org>\r\n\r\n" \
	body "\r\n"
#define MIME_DOC(cid) \
	"--MB\r\nContent-Type: text/plain\r\nContent-ID: <" cid ">\r\n\r\n" \
	"hello\r\n"
#define MIME_END "--MB--\r\n"
#define CT_MTOM "multipart/related; boundary=MB; type=\"application/xop+xml\"; " \
	"start=\"<root@example.org>\"; start-info=\"application/soap+xml\""

static struct chk_report rep;

static void
setup(void)
{
	static int done;
	char err[256];

	if (!done) {
		xml_init();
		CU_ASSERT_EQUAL_FATAL(chk_init(err, sizeof err), XDS_OK);
		done = 1;
	}
}

/* Check s; the report stays in rep until the next call. */
static struct chk_report *
check(const char *s, size_t len, const char *ctype)
{
	struct chk_opts o = { ctype, 0 };

	setup();
	chk_report_free(&rep);
	chk_report_init(&rep);
	CU_ASSERT_EQUAL(chk_message(s, len, &o, &rep), XDS_OK);
	return &rep;
}
#define CHECK(s) check(s, sizeof s - 1, NULL)

/* Is there a finding of rule (with code, when not NULL)? */
static int
has(const struct chk_report *r, const char *rule, const char *code)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].rule, rule) == 0 &&
		    (code == NULL || strcmp(r->v[i].code, code) == 0))
			return 1;
	return 0;
}

static void
dump(const struct chk_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		fprintf(stderr, "  %s %s [%s] %s: %s\n",
		    chk_sev_name(r->v[i].sev), r->v[i].rule, r->v[i].code,
		    r->v[i].loc, r->v[i].text);
}
#define CLEAN(r) do { if ((r)->nerrors + (r)->nwarnings) dump(r); \
	CU_ASSERT_EQUAL((r)->nerrors, 0); \
	CU_ASSERT_EQUAL((r)->nwarnings, 0); } while (0)

static void
test_query_soap(void)
{
	struct chk_report *r = CHECK(ENV_OPEN(ACT_ITI18, REQ_HDR)
	    QUERY(PATIENT APPROVED) ENV_CLOSE);

	CLEAN(r);
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-18");
	CU_ASSERT_EQUAL(r->response, 0);
	CU_ASSERT_STRING_EQUAL(r->packaging, "soap");
	CU_ASSERT_STRING_EQUAL(r->action, ACT_ITI18);
}

static void
test_query_bare(void)
{
	struct chk_report *r = CHECK(QUERY(PATIENT APPROVED));

	CLEAN(r);
	CU_ASSERT_STRING_EQUAL(r->packaging, "bare");
	/* the stored-query parameter rules of the registry */
	r = CHECK(QUERY(PATIENT));
	CU_ASSERT(has(r, "SQ", ERR_SQ_MISSING_PARAM));
	r = CHECK(QUERY(PATIENT APPROVED SLOT("$XDSDocumentEntryClassCode",
	    "('a^^b', 'c')")));
	CU_ASSERT(has(r, "SQ", ERR_REGISTRY));
}

static void
test_addressing(void)
{
	/* an answer's action on a request */
	struct chk_report *r = CHECK(ENV_OPEN(ACT_ITI38_RSP, REQ_HDR)
	    QUERY(PATIENT APPROVED) ENV_CLOSE);

	CU_ASSERT(has(r, "WSA-ACTION", "wsa:ActionMismatch"));
	/* none at all: the node's own envelope verdict */
	r = CHECK("<s:Envelope xmlns:s=\"" NS_SOAP12 "\"><s:Body>"
	    QUERY(PATIENT APPROVED) ENV_CLOSE);
	CU_ASSERT(has(r, "SOAP-ENV", "wsa:MessageAddressingHeaderRequired"));
	/* no MessageID, no To: warnings */
	r = CHECK(ENV_OPEN(ACT_ITI18, "") QUERY(PATIENT APPROVED) ENV_CLOSE);
	CU_ASSERT_EQUAL(r->nerrors, 0);
	CU_ASSERT(has(r, "WSA-MSGID", NULL));
	CU_ASSERT(has(r, "WSA-TO", NULL));
	/* SOAP 1.1 */
	r = CHECK("<e:Envelope xmlns:e=\"" NS_SOAP11 "\"><e:Body>"
	    QUERY(PATIENT APPROVED) "</e:Body></e:Envelope>");
	CU_ASSERT(has(r, "SOAP-VERSION", "env:VersionMismatch"));
}

static void
test_mtom(void)
{
	static const char ok[] = MIME_ROOT(ENV_OPEN(ACT_ITI43_RSP, RSP_HDR)
	    RETRIEVE_RSP(ST_SUCCESS, "") ENV_CLOSE) MIME_DOC("doc1@example.org")
	    MIME_END;
	static const char nopart[] = MIME_ROOT(ENV_OPEN(ACT_ITI43_RSP,
	    RSP_HDR) RETRIEVE_RSP(ST_SUCCESS, "") ENV_CLOSE)
	    MIME_DOC("other@example.org") MIME_END;
	struct chk_report *r = check(ok, sizeof ok - 1, CT_MTOM);

	CLEAN(r);
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-43");
	CU_ASSERT_EQUAL(r->response, 1);
	CU_ASSERT_STRING_EQUAL(r->packaging, "mtom");
	/* without the Content-Type: the boundary from the first line */
	r = check(ok, sizeof ok - 1, NULL);
	CLEAN(r);
	r = check(nopart, sizeof nopart - 1, CT_MTOM);
	CU_ASSERT(has(r, "MTOM-XOP", NULL));
	/* documents as simple SOAP */
	r = CHECK(ENV_OPEN(ACT_ITI43_RSP, RSP_HDR) RETRIEVE_RSP(ST_SUCCESS, "")
	    ENV_CLOSE);
	CU_ASSERT(has(r, "MTOM-REQUIRED", NULL));
}

static void
test_http_chunked(void)
{
	static const char body[] = MIME_ROOT(ENV_OPEN(ACT_ITI43_RSP, RSP_HDR)
	    RETRIEVE_RSP(ST_SUCCESS, "") ENV_CLOSE) MIME_DOC("doc1@example.org")
	    MIME_END;
	struct buf b;
	size_t half = (sizeof body - 1) / 2;
	struct chk_report *r;

	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(buf_addf(&b, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", CT_MTOM, half), XDS_OK);
	CU_ASSERT_EQUAL(buf_add(&b, body, half), XDS_OK);
	CU_ASSERT_EQUAL(buf_addf(&b, "\r\n%zx\r\n", sizeof body - 1 - half),
	    XDS_OK);
	CU_ASSERT_EQUAL(buf_add(&b, body + half, sizeof body - 1 - half),
	    XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&b, "\r\n0\r\n\r\n"), XDS_OK);
	r = check(b.b_data, b.b_len, NULL);
	CLEAN(r);
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-43");
	/* cut short */
	r = check(b.b_data, b.b_len - 5, NULL);
	CU_ASSERT(has(r, "FRAME-HTTP", NULL));
	buf_free(&b);
}

static void
test_responses(void)
{
	struct chk_report *r;

	r = CHECK("<rs:RegistryResponse xmlns:rs=\"" NS_RS "\" status=\""
	    ST_SUCCESS "\"/>");
	CLEAN(r);
	r = CHECK("<rs:RegistryResponse xmlns:rs=\"" NS_RS "\" status=\""
	    ST_SUCCESS "\"><rs:RegistryErrorList><rs:RegistryError errorCode=\""
	    ERR_UNKNOWN_PATIENTID "\" codeContext=\"x\" severity=\"" SEV_ERROR
	    "\"/></rs:RegistryErrorList></rs:RegistryResponse>");
	CU_ASSERT(has(r, "RSP-ERRLIST", ERR_UNKNOWN_PATIENTID));
	r = CHECK("<rs:RegistryResponse xmlns:rs=\"" NS_RS "\" status=\""
	    ST_FAILURE "\"/>");
	CU_ASSERT(has(r, "RSP-ERRLIST", NULL));
	r = CHECK("<rs:RegistryResponse xmlns:rs=\"" NS_RS
	    "\" status=\"Success\"/>");
	CU_ASSERT(has(r, "RSP-STATUS", NULL));
	/* an element the schema does not know */
	r = CHECK("<rs:RegistryResponse xmlns:rs=\"" NS_RS "\" status=\""
	    ST_SUCCESS "\"><rs:Bogus/></rs:RegistryResponse>");
	CU_ASSERT(has(r, "XSD", NULL));
}

static void
test_query_answer_delete(void)
{
	struct chk_report *r;

	/* a LeafClass answer's DocumentEntry without status */
	r = CHECK("<q:AdhocQueryResponse xmlns:q=\"" NS_QUERY "\" xmlns:rim=\""
	    NS_RIM "\" status=\"" ST_SUCCESS "\"><rim:RegistryObjectList>"
	    "<rim:ExtrinsicObject id=\"urn:uuid:7edca82f-054d-47f2-a032-"
	    "9b2a5b5186c2\" mimeType=\"text/plain\" objectType=\"" OT_DE_STABLE
	    "\"/></rim:RegistryObjectList></q:AdhocQueryResponse>");
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-18");
	CU_ASSERT(has(r, "RSP-OBJECT", ERR_REGISTRY_METADATA));
	/* ITI-62: references, no query */
	r = CHECK(ENV_OPEN(ACT_ITI62, REQ_HDR) "<lcm:RemoveObjectsRequest "
	    "xmlns:lcm=\"" NS_LCM "\" xmlns:rim=\"" NS_RIM "\"><rim:ObjectRefList>"
	    "<rim:ObjectRef id=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c2\"/>"
	    "</rim:ObjectRefList></lcm:RemoveObjectsRequest>" ENV_CLOSE);
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-62");
	CLEAN(r);
	r = CHECK("<lcm:RemoveObjectsRequest xmlns:lcm=\"" NS_LCM "\" xmlns:rim=\""
	    NS_RIM "\"><rim:ObjectRefList/></lcm:RemoveObjectsRequest>");
	CU_ASSERT(has(r, "DEL-REQ", ERR_REGISTRY_METADATA));
	/* ITI-86: documents named as a retrieve names them */
	r = CHECK(ENV_OPEN(ACT_ITI86, REQ_HDR) "<rmd:RemoveDocumentsRequest "
	    "xmlns:rmd=\"" NS_RMD "\" xmlns:xdsb=\"" NS_XDSB "\">"
	    "<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>1.2.3"
	    "</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>1.2.3.4"
	    "</xdsb:DocumentUniqueId></xdsb:DocumentRequest>"
	    "</rmd:RemoveDocumentsRequest>" ENV_CLOSE);
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-86");
	CLEAN(r);
	r = CHECK("<rmd:RemoveDocumentsRequest xmlns:rmd=\"" NS_RMD "\" "
	    "xmlns:xdsb=\"" NS_XDSB "\"><xdsb:DocumentRequest>"
	    "<xdsb:DocumentUniqueId>1.2.3.4</xdsb:DocumentUniqueId>"
	    "</xdsb:DocumentRequest></rmd:RemoveDocumentsRequest>");
	CU_ASSERT(has(r, "XSD", NULL));
	CU_ASSERT(has(r, "RET-REQ", ERR_UNKNOWN_REPOSITORY_ID));
	r = CHECK("<rmd:RemoveDocumentsRequest xmlns:rmd=\"" NS_RMD "\"/>");
	CU_ASSERT(has(r, "RMD-REQ", NULL));
}

static void
test_xca_home(void)
{
	struct chk_report *r;

	r = CHECK(ENV_OPEN(ACT_ITI38_RSP, RSP_HDR)
	    "<q:AdhocQueryResponse xmlns:q=\"" NS_QUERY "\" xmlns:rim=\"" NS_RIM
	    "\" status=\"" ST_SUCCESS "\"><rim:RegistryObjectList>"
	    "<rim:ObjectRef id=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\"/>"
	    "</rim:RegistryObjectList></q:AdhocQueryResponse>" ENV_CLOSE);
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-38");
	CU_ASSERT(has(r, "XCA-HOME", ERR_MISSING_HOME));
	/* ITI-39 is told from ITI-43 by its HomeCommunityId */
	r = CHECK(RETRIEVE_RSP(ST_SUCCESS, "<x:HomeCommunityId>urn:oid:1.2.3"
	    "</x:HomeCommunityId>"));
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-39");
	CU_ASSERT_EQUAL(r->nerrors, 0);
	r = CHECK(ENV_OPEN(ACT_ITI39_RSP, RSP_HDR) RETRIEVE_RSP(ST_SUCCESS, "")
	    ENV_CLOSE);
	CU_ASSERT(has(r, "XCA-HOME", ERR_MISSING_HOME));
}

static void
test_rad69(void)
{
	struct chk_report *r;

	r = CHECK("<i:RetrieveImagingDocumentSetRequest xmlns:i=\"" NS_XDSI
	    "\" xmlns:x=\"" NS_XDSB "\"><i:StudyRequest studyInstanceUID=\"1.2.3\">"
	    "<i:SeriesRequest seriesInstanceUID=\"1.2.3.4\"><x:DocumentRequest>"
	    "<x:RepositoryUniqueId>1.2</x:RepositoryUniqueId><x:DocumentUniqueId>"
	    "1.2.3.4.5</x:DocumentUniqueId></x:DocumentRequest></i:SeriesRequest>"
	    "</i:StudyRequest><i:TransferSyntaxUIDList><i:TransferSyntaxUID>"
	    "1.2.840.10008.1.2.1</i:TransferSyntaxUID></i:TransferSyntaxUIDList>"
	    "</i:RetrieveImagingDocumentSetRequest>");
	CLEAN(r);
	CU_ASSERT_STRING_EQUAL(r->kind, "RAD-69");
	r = CHECK("<i:RetrieveImagingDocumentSetRequest xmlns:i=\"" NS_XDSI
	    "\"><i:StudyRequest studyInstanceUID=\"1.02\"/>"
	    "</i:RetrieveImagingDocumentSetRequest>");
	CU_ASSERT(has(r, "RAD-REQ", NULL));
}

#define ASSERTION(version, sig) \
	"<saml:Assertion xmlns:saml=\"" NS_SAML "\" xmlns:ds=\"" NS_DSIG \
	"\" ID=\"_a1\" Version=\"" version "\" IssueInstant=\"2026-12-06T10:00:00Z\">" \
	"<saml:Issuer>urn:oid:1.2.3</saml:Issuer>" sig \
	"<saml:Subject><saml:NameID>u1</saml:NameID><saml:SubjectConfirmation " \
	"Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"/></saml:Subject>" \
	"<saml:Conditions NotBefore=\"2026-12-06T10:00:00Z\" NotOnOrAfter=\"" \
	"2026-12-06T10:05:00Z\"><saml:AudienceRestriction><saml:Audience>" \
	"urn:oid:1.2</saml:Audience></saml:AudienceRestriction></saml:Conditions>" \
	"<saml:AuthnStatement AuthnInstant=\"2026-12-06T10:00:00Z\">" \
	"<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:" \
	"SAML:2.0:ac:classes:X509</saml:AuthnContextClassRef></saml:AuthnContext>" \
	"</saml:AuthnStatement></saml:Assertion>"
#define SIG(uri) "<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod " \
	"Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>" \
	"<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more" \
	"#rsa-sha256\"/><ds:Reference URI=\"" uri "\"><ds:DigestMethod " \
	"Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>" \
	"AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>" \
	"AAAA</ds:SignatureValue></ds:Signature>"

static void
test_xua(void)
{
	struct chk_report *r;

	r = CHECK(ASSERTION("2.0", SIG("#_a1")));
	CU_ASSERT_STRING_EQUAL(r->kind, "XUA");
	CU_ASSERT_EQUAL(r->nerrors, 0);
	CU_ASSERT_EQUAL(r->nwarnings, 0);
	r = CHECK(ASSERTION("1.1", ""));
	CU_ASSERT(has(r, "XUA-VERSION", NULL));
	CU_ASSERT(has(r, "XUA-SIGNATURE", NULL));
	r = CHECK(ASSERTION("2.0", SIG("#other")));
	CU_ASSERT(has(r, "XUA-SIGNATURE", NULL));
	/* the SAML 2.0 schema: a signature without its SignatureValue, an
	 * element the assertion may not hold */
	r = CHECK(ASSERTION("2.0", "<ds:Signature><ds:SignedInfo/>"
	    "</ds:Signature>"));
	CU_ASSERT(has(r, "XUA-XSD", NULL));
	r = CHECK(ASSERTION("2.0", "<saml:Nonsense/>"));
	CU_ASSERT(has(r, "XUA-XSD", NULL));
	CU_ASSERT(!has(r, "XUA-VERSION", NULL));
	/* IHE XUA's attributes are HL7 v3 datatypes, typed by xsi:type */
	r = CHECK("<saml:Assertion xmlns:saml=\"" NS_SAML "\" xmlns:ds=\""
	    NS_DSIG "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
	    " xmlns:hl7=\"urn:hl7-org:v3\" ID=\"_a1\" Version=\"2.0\" "
	    "IssueInstant=\"2026-12-06T10:00:00Z\"><saml:Issuer>urn:oid:1.2.3"
	    "</saml:Issuer>" SIG("#_a1") "<saml:Subject><saml:NameID>u1"
	    "</saml:NameID><saml:SubjectConfirmation Method=\"urn:oasis:names:"
	    "tc:SAML:2.0:cm:bearer\"/></saml:Subject><saml:Conditions NotBefore="
	    "\"2026-12-06T10:00:00Z\" NotOnOrAfter=\"2026-12-06T10:05:00Z\">"
	    "<saml:AudienceRestriction><saml:Audience>urn:oid:1.2</saml:Audience>"
	    "</saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement "
	    "AuthnInstant=\"2026-12-06T10:00:00Z\"><saml:AuthnContext>"
	    "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:"
	    "X509</saml:AuthnContextClassRef></saml:AuthnContext>"
	    "</saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="
	    "\"urn:oasis:names:tc:xspa:1.0:subject:purposeofuse\"><saml:"
	    "AttributeValue><hl7:PurposeOfUse xsi:type=\"hl7:CE\" code=\"TREAT\""
	    "/></saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"
	    "</saml:Assertion>");
	CU_ASSERT_EQUAL(r->nerrors, 0);
	/* in a request's WS-Security header */
	r = CHECK(ENV_OPEN(ACT_ITI18, REQ_HDR "<wsse:Security xmlns:wsse=\""
	    NS_WSSE "\">" ASSERTION("2.0", "") "</wsse:Security>")
	    QUERY(PATIENT APPROVED) ENV_CLOSE);
	CU_ASSERT_STRING_EQUAL(r->kind, "ITI-18");
	CU_ASSERT(has(r, "XUA-SIGNATURE", NULL));
}

#define AUDIT(event) \
	"<AuditMessage>" event "<ActiveParticipant UserID=\"xdsd\" " \
	"UserIsRequestor=\"false\"><RoleIDCode csd-code=\"110153\" " \
	"codeSystemName=\"DCM\" originalText=\"Source Role ID\"/>" \
	"</ActiveParticipant><AuditSourceIdentification AuditSourceID=\"n1\"/>" \
	"</AuditMessage>"
#define EVENT "<EventIdentification EventActionCode=\"R\" " \
	"EventDateTime=\"2026-12-06T10:00:00Z\" EventOutcomeIndicator=\"0\">" \
	"<EventID csd-code=\"110112\" codeSystemName=\"DCM\" " \
	"originalText=\"Query\"/></EventIdentification>"

static void
test_atna(void)
{
	struct chk_report *r;

	r = CHECK(AUDIT(EVENT));
	CU_ASSERT_STRING_EQUAL(r->kind, "ATNA");
	CLEAN(r);
	/* behind its syslog header */
	r = CHECK("<85>1 2026-12-06T10:00:00Z host xdsd 1 IHE+RFC-3881 - "
	    "<?xml version=\"1.0\"?>" AUDIT(EVENT));
	CLEAN(r);
	r = CHECK(AUDIT(""));
	CU_ASSERT(has(r, "ATNA-RNG", NULL));
}

/* The (skip+1)-th occurrence of from (same length as to) in data. */
static int
replace(char *data, size_t len, const char *from, const char *to, int skip)
{
	size_t n = strlen(from);
	char *p = data, *end = data + len;

	while ((p = memmem(p, (size_t)(end - p), from, n)) != NULL) {
		if (skip-- == 0) {
			memcpy(p, to, n);
			return 1;
		}
		p += n;
	}
	return 0;
}

static void
test_kos(void)
{
	struct dcmshim_info h;
	struct dcmshim_kos_ref ref = { "1.2.3.4.2", "1.2.840.10008.5.1.4.1.1.2",
	    "1.2.3.4.2.1" };
	struct dcmshim_kos k;
	struct chk_report *r;
	char dir[512], path[600], uid[DCMSHIM_UI_SZ], err[256];
	size_t len;
	char *data;

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("check", dir, sizeof dir), 0);
	memset(&h, 0, sizeof h);
	str_lcpy(h.patient.id, "999911120", sizeof h.patient.id);
	memset(&k, 0, sizeof k);
	k.uid_root = "2.25";
	k.study_uid = "1.2.3.4";
	k.header = &h;
	k.retrieve_ae = "PACS";
	k.retrieve_location_uid = "1.2.3.9";
	k.refs = &ref;
	k.nrefs = 1;
	str_fmt(path, sizeof path, "%s/kos.dcm", dir);
	CU_ASSERT_EQUAL_FATAL(dcmshim_kos_write(&k, path, uid, sizeof uid, err,
	    sizeof err), XDS_OK);
	data = testutil_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	r = check(data, len, NULL);
	CU_ASSERT_STRING_EQUAL(r->kind, "KOS");
	CLEAN(r);
	/* the title, the retrieve location, a content reference changed */
	CU_ASSERT(replace(data, len, "113030", "113031", 0));
	r = check(data, len, NULL);
	CU_ASSERT(has(r, "KOS-TITLE", NULL));
	CU_ASSERT(replace(data, len, "113031", "113030", 0));
	CU_ASSERT(replace(data, len, "1.2.3.9", "1.02.3.", 0));
	r = check(data, len, NULL);
	CU_ASSERT(has(r, "KOS-RETRIEVE", NULL));
	CU_ASSERT_FALSE(has(r, "KOS-CONTENT", NULL));
	CU_ASSERT(replace(data, len, "1.2.3.4.2.1", "1.2.3.4.2.7", 1));
	r = check(data, len, NULL);
	CU_ASSERT(has(r, "KOS-CONTENT", NULL));
	/* not DICOM past the preamble */
	memset(data + 132, 0xff, len - 132);
	r = check(data, len, NULL);
	CU_ASSERT(has(r, "KOS-DICOM", NULL));
	free(data);
	testutil_rmtree(dir);
}

static void
test_unknown(void)
{
	struct chk_report *r;

	r = CHECK("<foo/>");
	CU_ASSERT(has(r, "FRAME-TYPE", NULL));
	r = CHECK("not XML at all");
	CU_ASSERT(has(r, "FRAME-XML", "env:Sender"));
	r = CHECK("");
	CU_ASSERT(r->nerrors > 0);
}

static void
test_json(void)
{
	struct chk_report *r = CHECK(QUERY(PATIENT));
	json_error_t je;
	json_t *o, *f;
	struct buf b;

	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL_FATAL(chk_report_json(r, "q.xml", &b), XDS_OK);
	o = json_loads(buf_str(&b), 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "kind")),
	    "ITI-18");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "errors")), 1);
	f = json_array_get(json_object_get(o, "findings"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "code")),
	    ERR_SQ_MISSING_PARAM);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f,
	    "severity")), "error");
	json_decref(o);
	buf_free(&b);
	/* a text cut inside a UTF-8 character: the report is still JSON */
	{
		struct chk_report u;
		char t[1200];
		size_t i;

		for (i = 0; i + 2 < sizeof t; i += 2)
			memcpy(t + i, "\xc3\xa9", 2);	/* e acute */
		t[i] = '\0';
		chk_report_init(&u);
		chk_add(&u, CHK_ERROR, "T-1", NULL, NULL, "%s", t);
		buf_init(&b, 1 << 20);
		CU_ASSERT_EQUAL(chk_report_json(&u, "u.xml", &b), XDS_OK);
		o = json_loads(buf_str(&b), 0, &je);
		CU_ASSERT_PTR_NOT_NULL(o);
		json_decref(o);
		buf_free(&b);
		chk_report_free(&u);
	}
}

static const struct cutest tests[] = {
	{ "query as SOAP", test_query_soap },
	{ "query as a bare body, parameters", test_query_bare },
	{ "WS-Addressing", test_addressing },
	{ "MTOM/XOP", test_mtom },
	{ "HTTP capture, chunked", test_http_chunked },
	{ "registry responses", test_responses },
	{ "query answer, ITI-62", test_query_answer_delete },
	{ "XCA home", test_xca_home },
	{ "RAD-69 request", test_rad69 },
	{ "XUA assertion", test_xua },
	{ "ATNA audit message", test_atna },
	{ "KOS manifest", test_kos },
	{ "not a message", test_unknown },
	{ "JSON report", test_json },
};

int
main(void)
{
	int rc = cutest_run("check", tests, NELEM(tests));

	chk_report_free(&rep);
	return rc;
}
