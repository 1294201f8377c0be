/*
 * test_gateway.c: what the XCA gateways read and change in messages
 * (gateway/gw_msg.h): slot value lists, the query a request asks, home
 * and error locations on answers, the patient of an object, subsets of
 * retrieve requests, and documents moved between answers.
 */
#include "config.h"

#include "cutest.h"
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "clock.h"
#include "gw_msg.h"
#include "gw_release.h"
#include "mtom.h"
#include "status.h"
#include "vocab.h"
#include "xml.h"

#define NSDECL	"xmlns:query=\"" NS_QUERY "\" xmlns:rim=\"" NS_RIM "\" " \
		"xmlns:rs=\"" NS_RS "\" xmlns:xdsb=\"" NS_XDSB "\" " \
		"xmlns:iherad=\"" NS_XDSI "\" xmlns:xop=\"" NS_XOP "\""
#define PAT	"999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO"
#define PATCX	"999911120^^^&2.16.840.1.113883.2.4.6.3&ISO"
#define HOME	"urn:oid:1.2.3.4"

static xmlDoc *
parse(const char *s)
{
	char err[256];
	xmlDoc *d = xml_parse(s, strlen(s), err, sizeof err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static void
test_slot_values(void)
{
	char v[4][DIR_HCID_MAX];
	size_t n;

	CU_ASSERT_EQUAL(gw_slot_values("'a'", v, 4, &n), XDS_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0], "a");
	CU_ASSERT_EQUAL(gw_slot_values(" ('urn:oid:1.2', 'urn:oid:3.4' ) ", v,
	    4, &n), XDS_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(v[1], "urn:oid:3.4");
	CU_ASSERT_EQUAL(gw_slot_values("()", v, 4, &n), XDS_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(gw_slot_values("('a','b','c','d','e')", v, 4, &n),
	    XDS_ETOOBIG);
	CU_ASSERT_EQUAL(gw_slot_values("('a' 'b')", v, 4, &n), XDS_EFORMAT);
	CU_ASSERT_EQUAL(gw_slot_values("a", v, 4, &n), XDS_EFORMAT);
	CU_ASSERT_EQUAL(gw_slot_values("'a", v, 4, &n), XDS_EFORMAT);
	CU_ASSERT_EQUAL(gw_slot_values("('a')x", v, 4, &n), XDS_EFORMAT);
}

static const char QFIND[] =
    "<query:AdhocQueryRequest " NSDECL "><rim:AdhocQuery id=\""
    SQ_FINDDOCUMENTS "\">"
    "<rim:Slot name=\"$XDSDocumentEntryPatientId\"><rim:ValueList>"
    "<rim:Value>'" PAT "'</rim:Value></rim:ValueList></rim:Slot>"
    "<rim:Slot name=\"$targetCommunityIdList\"><rim:ValueList>"
    "<rim:Value>('urn:oid:1.2.3.4','urn:oid:9.9')</rim:Value>"
    "</rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>";
static const char QGET[] =
    "<query:AdhocQueryRequest " NSDECL "><rim:AdhocQuery id=\""
    SQ_GETDOCUMENTS "\" home=\"" HOME "\">"
    "<rim:Slot name=\"$XDSDocumentEntryUniqueId\"><rim:ValueList>"
    "<rim:Value>('1.2')</rim:Value></rim:ValueList></rim:Slot>"
    "</rim:AdhocQuery></query:AdhocQueryRequest>";

static void
test_query_read(void)
{
	struct gw_query q;
	char err[256];
	xmlDoc *d = parse(QFIND);

	CU_ASSERT_EQUAL(gw_query_read(xmlDocGetRootElement(d), &q, err,
	    sizeof err), XDS_OK);
	CU_ASSERT(q.by_patient);
	CU_ASSERT_STRING_EQUAL(q.patient, PATCX);
	CU_ASSERT_STRING_EQUAL(q.home, "");
	CU_ASSERT(q.targets_given);
	CU_ASSERT_EQUAL(q.ntargets, 2);
	CU_ASSERT_STRING_EQUAL(q.targets[1], "urn:oid:9.9");
	gw_query_drop_slot(&q, SQP_TARGET_COMMUNITIES);
	CU_ASSERT_EQUAL(gw_query_read(xmlDocGetRootElement(d), &q, err,
	    sizeof err), XDS_OK);
	CU_ASSERT(!q.targets_given);
	xmlFreeDoc(d);

	d = parse(QGET);
	CU_ASSERT_EQUAL(gw_query_read(xmlDocGetRootElement(d), &q, err,
	    sizeof err), XDS_OK);
	CU_ASSERT(!q.by_patient);
	CU_ASSERT_STRING_EQUAL(q.home, HOME);
	CU_ASSERT_STRING_EQUAL(q.patient, "");
	xmlFreeDoc(d);

	d = parse("<query:AdhocQueryRequest " NSDECL "/>");
	CU_ASSERT_EQUAL(gw_query_read(xmlDocGetRootElement(d), &q, err,
	    sizeof err), XDS_EFORMAT);
	xmlFreeDoc(d);
}

static const char RESP[] =
    "<query:AdhocQueryResponse " NSDECL " status=\"" ST_SUCCESS "\">"
    "<rs:RegistryErrorList><rs:RegistryError errorCode=\"XDSRegistryError\""
    " codeContext=\"c\" severity=\"" SEV_WARNING "\"/></rs:RegistryErrorList>"
    "<rim:RegistryObjectList>"
    "<rim:ExtrinsicObject id=\"urn:uuid:1\"><rim:ExternalIdentifier "
    "id=\"e\" registryObject=\"urn:uuid:1\" identificationScheme=\""
    EI_DE_PATIENTID "\" value=\"" PAT "\"/></rim:ExtrinsicObject>"
    "<rim:ObjectRef id=\"urn:uuid:2\"/>"
    "</rim:RegistryObjectList></query:AdhocQueryResponse>";

static void
test_answers(void)
{
	struct rim_errors errs;
	struct buf b;
	xmlDoc *d = parse(RESP);
	xmlNode *r = xmlDocGetRootElement(d), *o;
	char cx[GW_CX_MAX];

	CU_ASSERT_EQUAL(gw_count_objects(r), 2);
	CU_ASSERT_EQUAL(gw_stamp_home(r, HOME), XDS_OK);
	CU_ASSERT_EQUAL(gw_locate_errors(r, HOME), XDS_OK);
	for (o = xml_first_elem(gw_objects(r)); o != NULL;
	    o = xml_next_elem(o))
		CU_ASSERT_STRING_EQUAL(xml_attr(o, "home"), HOME);
	o = xml_first_elem(gw_objects(r));
	CU_ASSERT_EQUAL(gw_object_patient(o, cx, sizeof cx), 1);
	CU_ASSERT_STRING_EQUAL(cx, PATCX);
	CU_ASSERT_EQUAL(gw_object_patient(xml_next_elem(o), cx, sizeof cx), 0);
	CU_ASSERT_STRING_EQUAL(gw_status(r), ST_SUCCESS);
	rim_errors_init(&errs);
	CU_ASSERT_EQUAL(gw_take_errors(r, &errs, "urn:oid:7"), 0); /* warning */
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_STRING_EQUAL(errs.v[0].location, HOME);
	CU_ASSERT(errs.v[0].warning);
	/* a dumped object stands alone: its namespace is declared on it */
	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(xml_dump(o, &b), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "xmlns:rim=\"" NS_RIM));
	buf_free(&b);
	rim_errors_free(&errs);
	xmlFreeDoc(d);
	d = parse("<rs:RegistryResponse " NSDECL " status=\"x\"/>");
	CU_ASSERT_STRING_EQUAL(gw_status(xmlDocGetRootElement(d)), ST_FAILURE);
	xmlFreeDoc(d);
}

static const char RAD69[] =
    "<iherad:RetrieveImagingDocumentSetRequest " NSDECL ">"
    "<iherad:StudyRequest studyInstanceUID=\"1\">"
    "<iherad:SeriesRequest seriesInstanceUID=\"1.1\">"
    "<xdsb:DocumentRequest><xdsb:DocumentUniqueId>a</xdsb:DocumentUniqueId>"
    "</xdsb:DocumentRequest>"
    "<xdsb:DocumentRequest><xdsb:DocumentUniqueId>b</xdsb:DocumentUniqueId>"
    "</xdsb:DocumentRequest></iherad:SeriesRequest>"
    "<iherad:SeriesRequest seriesInstanceUID=\"1.2\">"
    "<xdsb:DocumentRequest><xdsb:DocumentUniqueId>c</xdsb:DocumentUniqueId>"
    "</xdsb:DocumentRequest></iherad:SeriesRequest></iherad:StudyRequest>"
    "<iherad:TransferSyntaxUIDList><iherad:TransferSyntaxUID>1.2.840.10008."
    "1.2.1</iherad:TransferSyntaxUID></iherad:TransferSyntaxUIDList>"
    "</iherad:RetrieveImagingDocumentSetRequest>";

static void
test_request_subset(void)
{
	xmlDoc *d = parse(RAD69), *s;
	xmlNode **v;
	size_t n;
	unsigned char keep[3] = { 0, 1, 0 };
	struct buf b;

	CU_ASSERT_EQUAL(gw_doc_requests(xmlDocGetRootElement(d), &v, &n),
	    XDS_OK);
	CU_ASSERT_EQUAL(n, 3);
	free(v);
	s = gw_request_subset(xmlDocGetRootElement(d), keep, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(gw_doc_requests(xmlDocGetRootElement(s), &v, &n),
	    XDS_OK);
	CU_ASSERT_EQUAL(n, 1);
	free(v);
	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(xml_dump(xmlDocGetRootElement(s), &b), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), ">b<"));
	CU_ASSERT_PTR_NULL(strstr(buf_str(&b), "1.2\""));	/* series gone */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "TransferSyntaxUID"));
	buf_free(&b);
	xmlFreeDoc(s);
	xmlFreeDoc(d);
}

static void
test_take_documents(void)
{
	static const char r[] =
	    "<xdsb:RetrieveDocumentSetResponse " NSDECL ">"
	    "<rs:RegistryResponse status=\"" ST_SUCCESS "\"/>"
	    "<xdsb:DocumentResponse><xdsb:DocumentUniqueId>a</xdsb:"
	    "DocumentUniqueId><xdsb:Document><xop:Include href=\"cid:p%401\"/>"
	    "</xdsb:Document></xdsb:DocumentResponse>"
	    "<xdsb:DocumentResponse><xdsb:DocumentUniqueId>b</xdsb:"
	    "DocumentUniqueId><xdsb:Document><xop:Include href=\"cid:nope\"/>"
	    "</xdsb:Document></xdsb:DocumentResponse>"
	    "</xdsb:RetrieveDocumentSetResponse>";
	struct mtom_attachment att[1], *out = NULL;
	struct rim_errors errs;
	struct buf docs;
	size_t nout = 0;
	xmlDoc *d = parse(r);

	memset(att, 0, sizeof att);
	strcpy(att[0].cid, "p@1");
	strcpy(att[0].path, "/nonexistent/part");
	att[0].unlink_after = 1;
	rim_errors_init(&errs);
	buf_init(&docs, 1 << 20);
	CU_ASSERT_EQUAL(gw_take_documents(xmlDocGetRootElement(d), att, 1,
	    "c0", &docs, &out, &nout, &errs, HOME), 1);
	CU_ASSERT_EQUAL_FATAL(nout, 1);
	CU_ASSERT_STRING_EQUAL(out[0].cid, "c0.p@1");
	CU_ASSERT_STRING_EQUAL(out[0].path, "/nonexistent/part");
	CU_ASSERT_STRING_EQUAL(att[0].path, "");	/* moved */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&docs), "cid:c0.p@1"));
	CU_ASSERT_PTR_NULL(strstr(buf_str(&docs), ">b<"));
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_STRING_EQUAL(errs.v[0].code, ERR_REPOSITORY);
	CU_ASSERT_STRING_EQUAL(errs.v[0].location, HOME);
	free(out);
	buf_free(&docs);
	rim_errors_free(&errs);
	xmlFreeDoc(d);
}

/* A manifest of study st for patient pat, in an AdhocQueryResponse. */
static xmlDoc *
manifest_answer(const char *st, const char *pat)
{
	char x[4096], err[256];

	snprintf(x, sizeof x, "<query:AdhocQueryResponse xmlns:query=\"%s\" "
	    "xmlns:rim=\"%s\" status=\"%s\"><rim:RegistryObjectList>"
	    "<rim:ExtrinsicObject id=\"urn:uuid:1\" objectType=\"%s\">"
	    "<rim:Slot name=\"%s\"><rim:ValueList><rim:Value>%s^^^^%s"
	    "</rim:Value><rim:Value>ACC1^^^^urn:ihe:iti:xds:2013:accession"
	    "</rim:Value></rim:ValueList></rim:Slot>"
	    "<rim:Classification classificationScheme=\"%s\" "
	    "classifiedObject=\"urn:uuid:1\" nodeRepresentation=\"IMAGES\"/>"
	    "<rim:ExternalIdentifier identificationScheme=\"%s\" "
	    "registryObject=\"urn:uuid:1\" value=\"%s\"/>"
	    "</rim:ExtrinsicObject></rim:RegistryObjectList>"
	    "</query:AdhocQueryResponse>", NS_QUERY, NS_RIM, ST_SUCCESS,
	    OT_DE_STABLE, SLOT_REFERENCEIDLIST, st, REFID_STUDYUID,
	    CS_DE_CLASSCODE, EI_DE_PATIENTID, pat);
	return xml_parse(x, strlen(x), err, sizeof err);
}

/* The studies shown by released answers: found with their patient and
 * class, forgotten after the TTL, the oldest pushed out past max. */
static void
test_releases(void)
{
	struct gw_releases *r;
	char pat[256], klass[64];
	xmlDoc *d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r = gw_releases_new(2, 60));
	d = manifest_answer("1.2.3", "1^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	gw_releases_note(r, xmlDocGetRootElement(d));
	xmlFreeDoc(d);
	CU_ASSERT_EQUAL(gw_releases_find(r, "1.2.3", pat, sizeof pat, klass,
	    sizeof klass), 1);
	CU_ASSERT_STRING_EQUAL(pat, "1^^^&2.16.840.1.113883.2.4.6.3&ISO");
	CU_ASSERT_STRING_EQUAL(klass, "IMAGES");
	CU_ASSERT_EQUAL(gw_releases_find(r, "ACC1", pat, sizeof pat, klass,
	    sizeof klass), 0);	/* an accession number is no study */
	CU_ASSERT_EQUAL(gw_releases_find(r, "1.2.4", pat, sizeof pat, klass,
	    sizeof klass), 0);
	clock_test_advance(61);
	CU_ASSERT_EQUAL(gw_releases_find(r, "1.2.3", pat, sizeof pat, klass,
	    sizeof klass), 0);	/* past the TTL */
	clock_test_advance(-61);
	/* two more: the first is pushed out of a ring of two */
	d = manifest_answer("1.2.5", "2^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO");
	gw_releases_note(r, xmlDocGetRootElement(d));
	xmlFreeDoc(d);
	d = manifest_answer("1.2.6", "3^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO");
	gw_releases_note(r, xmlDocGetRootElement(d));
	xmlFreeDoc(d);
	CU_ASSERT_EQUAL(gw_releases_find(r, "1.2.3", pat, sizeof pat, klass,
	    sizeof klass), 0);
	CU_ASSERT_EQUAL(gw_releases_find(r, "1.2.5", pat, sizeof pat, klass,
	    sizeof klass), 1);
	CU_ASSERT_EQUAL(gw_releases_find(r, "1.2.6", pat, sizeof pat, klass,
	    sizeof klass), 1);
	CU_ASSERT_STRING_EQUAL(pat, "3^^^&2.16.840.1.113883.2.4.6.3&ISO");
	gw_releases_free(r);
}

static const struct cutest tests[] = {
	{ "slot values", test_slot_values },
	{ "query read", test_query_read },
	{ "answers: home, locations, errors, patient", test_answers },
	{ "retrieve request subsets", test_request_subset },
	{ "documents moved between answers", test_take_documents },
	{ "imaging studies shown, for RAD-75 consent", test_releases },
};

int
main(void)
{
	xml_init();
	return cutest_run("gateway messages", tests, NELEM(tests));
}
