/*
 * test_ebrim.c: ebRIM 3.0 parser, writer, builders, registry responses,
 * and a parse -> write -> parse round trip over every ebRIM 3.0 message
 * in the conformance corpus ($XDS_TESTDATA; skipped without it).
 */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"


#define SOR_OPEN \
	"<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM "\" " \
	"xmlns:rim=\"" NS_RIM "\"><rim:RegistryObjectList>"
#define SOR_CLOSE "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>"

static const char full_sor[] = SOR_OPEN
	"<rim:ExtrinsicObject id=\"Document01\" lid=\"urn:uuid:1\" "
	"    mimeType=\"text/xml\" isOpaque=\"false\" status=\"" STATUS_APPROVED "\" "
	"    home=\"urn:oid:1.2.3\" objectType=\"" OT_DE_STABLE "\">\n"
	"  <rim:Slot name=\"creationTime\"><rim:ValueList>"
	"    <rim:Value> 20051224 </rim:Value></rim:ValueList></rim:Slot>\n"
	"  <rim:Slot name=\"sourcePatientInfo\" slotType=\"st\"><rim:ValueList>"
	"    <rim:Value>PID-3|ST-1000^^^&amp;1.3.6&amp;ISO</rim:Value>"
	"    <rim:Value>PID-5|Doe^John</rim:Value></rim:ValueList></rim:Slot>\n"
	"  <rim:Slot name=\"empty\"><rim:ValueList/></rim:Slot>\n"
	"  <rim:Name><rim:LocalizedString xml:lang=\"nl-NL\" charset=\"UTF-8\""
	"    value=\"Verslag &lt;1&gt;\"/>"
	"    <rim:LocalizedString xml:lang=\"en\" value=\"Report\"/></rim:Name>\n"
	"  <rim:Description><rim:LocalizedString value=\"desc\"/></rim:Description>\n"
	"  <rim:VersionInfo versionName=\"1.1\"/>\n"
	"  <rim:Classification id=\"cl01\" classificationScheme=\"" CS_DE_AUTHOR "\""
	"    classifiedObject=\"Document01\" nodeRepresentation=\"\">"
	"    <rim:Slot name=\"authorPerson\"><rim:ValueList>"
	"      <rim:Value>^Smitty^Gerald</rim:Value></rim:ValueList></rim:Slot>"
	"  </rim:Classification>\n"
	"  <rim:Classification id=\"cl02\" classificationScheme=\"" CS_DE_CLASSCODE "\""
	"    classifiedObject=\"Document01\" nodeRepresentation=\"History\">"
	"    <rim:Slot name=\"codingScheme\"><rim:ValueList>"
	"      <rim:Value>Connect-a-thon classCodes</rim:Value></rim:ValueList></rim:Slot>"
	"    <rim:Name><rim:LocalizedString value=\"History and Physical\"/></rim:Name>"
	"  </rim:Classification>\n"
	"  <rim:ExternalIdentifier id=\"ei01\" registryObject=\"Document01\""
	"    identificationScheme=\"" EI_DE_PATIENTID "\""
	"    value=\"ST-1000^^^&amp;1.3.6&amp;ISO\">"
	"    <rim:Name><rim:LocalizedString value=\"XDSDocumentEntry.patientId\"/></rim:Name>"
	"  </rim:ExternalIdentifier>\n"
	"  <rim:ContentVersionInfo versionName=\"1\"/>\n"
	"  <x:Extension xmlns:x=\"urn:example\"><rim:Foo/></x:Extension>\n"
	"</rim:ExtrinsicObject>\n"
	"<rim:RegistryPackage id=\"SubmissionSet01\">"
	"  <rim:Slot name=\"submissionTime\"><rim:ValueList>"
	"    <rim:Value>20041225235050</rim:Value></rim:ValueList></rim:Slot>"
	"</rim:RegistryPackage>\n"
	"<rim:Classification id=\"cl10\" classifiedObject=\"SubmissionSet01\""
	"  classificationNode=\"" NODE_SUBMISSIONSET "\"/>\n"
	"<rim:Association id=\"as01\" associationType=\"" AT_HASMEMBER "\""
	"  sourceObject=\"SubmissionSet01\" targetObject=\"Document01\">"
	"  <rim:Slot name=\"SubmissionSetStatus\"><rim:ValueList>"
	"    <rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>"
	"</rim:Association>\n"
	"<rim:ObjectRef id=\"urn:uuid:aaaa\" home=\"urn:oid:1.2.3.4\"/>\n"
	SOR_CLOSE;

static int
parse(const char *xml, struct rim_list *l, char *err, size_t errlen)
{
	return rim_parse_submit_mem(xml, strlen(xml), l, err, errlen);
}

static void
test_parse_kinds(void)
{
	struct rim_list l;
	const struct rim_object *o;
	const struct rim_classification *c[4];
	const struct rim_extid *e;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse(full_sor, &l, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(l.nobj, 5);

	o = &l.obj[0];
	CU_ASSERT_EQUAL(o->kind, RIM_EXTRINSIC_OBJECT);
	CU_ASSERT_STRING_EQUAL(o->id, "Document01");
	CU_ASSERT_STRING_EQUAL(o->lid, "urn:uuid:1");
	CU_ASSERT_STRING_EQUAL(o->mime_type, "text/xml");
	CU_ASSERT_STRING_EQUAL(o->is_opaque, "false");
	CU_ASSERT_STRING_EQUAL(o->status, STATUS_APPROVED);
	CU_ASSERT_STRING_EQUAL(o->home, "urn:oid:1.2.3");
	CU_ASSERT_STRING_EQUAL(o->object_type, OT_DE_STABLE);
	CU_ASSERT_STRING_EQUAL(o->name, "Verslag <1>");
	CU_ASSERT_STRING_EQUAL(o->name_lang, "nl-NL");
	CU_ASSERT_STRING_EQUAL(o->name_charset, "UTF-8");
	CU_ASSERT_STRING_EQUAL(o->description, "desc");
	CU_ASSERT_PTR_NULL(o->description_lang);
	CU_ASSERT_STRING_EQUAL(o->version_name, "1.1");
	CU_ASSERT_EQUAL_FATAL(o->nslots, 3);
	CU_ASSERT_STRING_EQUAL(rim_slot1(o, "creationTime"), "20051224");
	CU_ASSERT_PTR_NULL(o->slots[0].slot_type);
	CU_ASSERT_STRING_EQUAL(o->slots[1].slot_type, "st");
	CU_ASSERT_EQUAL(o->slots[1].nvalues, 2);
	CU_ASSERT_STRING_EQUAL(o->slots[1].values[0],
	    "PID-3|ST-1000^^^&1.3.6&ISO");
	CU_ASSERT_STRING_EQUAL(o->slots[1].values[1], "PID-5|Doe^John");
	CU_ASSERT_EQUAL(o->slots[2].nvalues, 0);
	CU_ASSERT_PTR_NULL(rim_slot1(o, "empty"));
	CU_ASSERT_PTR_NULL(rim_slot1(o, "nope"));
	CU_ASSERT_EQUAL_FATAL(o->ncls, 2);
	CU_ASSERT_STRING_EQUAL(o->cls[0].id, "cl01");
	CU_ASSERT_STRING_EQUAL(o->cls[0].noderep, "");
	CU_ASSERT_STRING_EQUAL(o->cls[0].node, "");
	CU_ASSERT_PTR_NULL(o->cls[0].name);
	CU_ASSERT_EQUAL(o->cls[0].nslots, 1);
	CU_ASSERT_STRING_EQUAL(o->cls[1].noderep, "History");
	CU_ASSERT_STRING_EQUAL(o->cls[1].name, "History and Physical");
	CU_ASSERT_STRING_EQUAL(o->cls[1].classified, "Document01");
	CU_ASSERT_EQUAL(rim_classifications(o, CS_DE_CLASSCODE, c, 4), 1);
	CU_ASSERT_PTR_EQUAL(c[0], &o->cls[1]);
	CU_ASSERT_EQUAL(rim_classifications(o, CS_DE_AUTHOR, NULL, 0), 1);
	CU_ASSERT_EQUAL(rim_classifications(o, CS_DE_TYPECODE, c, 4), 0);
	CU_ASSERT_EQUAL_FATAL(o->neids, 1);
	e = rim_extid(o, EI_DE_PATIENTID);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->value, "ST-1000^^^&1.3.6&ISO");
	CU_ASSERT_STRING_EQUAL(e->registry_object, "Document01");
	CU_ASSERT_STRING_EQUAL(e->name, "XDSDocumentEntry.patientId");
	CU_ASSERT_PTR_NULL(rim_extid(o, EI_DE_UNIQUEID));

	o = &l.obj[1];
	CU_ASSERT_EQUAL(o->kind, RIM_REGISTRY_PACKAGE);
	CU_ASSERT_PTR_NULL(o->object_type);
	CU_ASSERT_PTR_NULL(o->status);
	CU_ASSERT_PTR_NULL(o->name);
	CU_ASSERT_STRING_EQUAL(rim_slot1(o, "submissionTime"),
	    "20041225235050");

	o = &l.obj[2];
	CU_ASSERT_EQUAL(o->kind, RIM_CLASSIFICATION);
	CU_ASSERT_STRING_EQUAL(o->classified, "SubmissionSet01");
	CU_ASSERT_STRING_EQUAL(o->node, NODE_SUBMISSIONSET);
	CU_ASSERT_STRING_EQUAL(o->scheme, "");

	o = &l.obj[3];
	CU_ASSERT_EQUAL(o->kind, RIM_ASSOCIATION);
	CU_ASSERT_STRING_EQUAL(o->assoc_type, AT_HASMEMBER);
	CU_ASSERT_STRING_EQUAL(o->source, "SubmissionSet01");
	CU_ASSERT_STRING_EQUAL(o->target, "Document01");
	CU_ASSERT_STRING_EQUAL(rim_slot1(o, SLOT_SSSTATUS), "Original");

	o = &l.obj[4];
	CU_ASSERT_EQUAL(o->kind, RIM_OBJECT_REF);
	CU_ASSERT_STRING_EQUAL(o->id, "urn:uuid:aaaa");
	CU_ASSERT_STRING_EQUAL(o->home, "urn:oid:1.2.3.4");

	CU_ASSERT_PTR_EQUAL(rim_find(&l, "as01"), &l.obj[3]);
	CU_ASSERT_PTR_NULL(rim_find(&l, "as02"));
	rim_list_free(&l);
	CU_ASSERT_EQUAL(l.nobj, 0);
	CU_ASSERT_PTR_NULL(l.arena);
	rim_list_free(&l);		/* twice is harmless */
}

static void
test_parse_wrappers(void)
{
	static const char soap[] =
	    "<s:Envelope xmlns:s=\"" NS_SOAP12 "\"><s:Header/><s:Body>"
	    "<x:ProvideAndRegisterDocumentSetRequest xmlns:x=\"" NS_XDSB "\">"
	    SOR_OPEN "<rim:ObjectRef id=\"a\"/>" SOR_CLOSE
	    "<x:Document id=\"a\">AAAA</x:Document>"
	    "</x:ProvideAndRegisterDocumentSetRequest></s:Body></s:Envelope>";
	static const char bare[] = "<rim:RegistryObjectList xmlns:rim=\""
	    NS_RIM "\"><rim:ObjectRef id=\"b\"/><rim:ObjectRef id=\"c\"/>"
	    "</rim:RegistryObjectList>";
	static const char noresult[] = "<q:AdhocQueryResponse xmlns:q=\""
	    NS_QUERY "\" status=\"" ST_SUCCESS "\"/>";
	struct rim_list l;
	char err[256];

	CU_ASSERT_EQUAL(parse(soap, &l, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(l.nobj, 1);
	rim_list_free(&l);
	CU_ASSERT_EQUAL(parse(bare, &l, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(l.nobj, 2);
	CU_ASSERT_STRING_EQUAL(l.obj[1].id, "c");
	rim_list_free(&l);
	CU_ASSERT_EQUAL(parse(noresult, &l, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(l.nobj, 0);
	rim_list_free(&l);
}

struct errcase {
	const char	*xml;
	int		 rc;
	const char	*text;		/* expected substring of err */
};

static void
test_parse_errors(void)
{
	static const struct errcase t[] = {
	    { SOR_OPEN "<rim:Foo id=\"x\"/>" SOR_CLOSE, XDS_EFORMAT,
		"unknown element rim:Foo in RegistryObjectList (object 1)" },
	    { SOR_OPEN "<rim:ObjectRef id=\"a\"/><rim:ExtrinsicObject id=\"D1\">"
		"<rim:Bar/></rim:ExtrinsicObject>" SOR_CLOSE, XDS_EFORMAT,
		"ExtrinsicObject 'D1': unknown element rim:Bar" },
	    { SOR_OPEN "<rim:ExternalIdentifier id=\"e1\" registryObject=\"D\""
		" identificationScheme=\"s\" value=\"v\"/>" SOR_CLOSE,
		XDS_EFORMAT, "ExternalIdentifier 'e1' at top level" },
	    { SOR_OPEN "<rim:ExtrinsicObject id=\"D2\"><rim:Slot name=\"s\"/>"
		"</rim:ExtrinsicObject>" SOR_CLOSE, XDS_EFORMAT,
		"ExtrinsicObject 'D2': Slot s has no ValueList" },
	    { SOR_OPEN "<rim:ExtrinsicObject id=\"D3\"><rim:Slot name=\"s\">"
		"<rim:ValueList><rim:V/></rim:ValueList></rim:Slot>"
		"</rim:ExtrinsicObject>" SOR_CLOSE, XDS_EFORMAT,
		"unexpected element rim:V in the ValueList of Slot s" },
	    { SOR_OPEN "<rim:RegistryPackage id=\"P\"><rim:Name/><rim:Name/>"
		"</rim:RegistryPackage>" SOR_CLOSE, XDS_EFORMAT,
		"RegistryPackage 'P': more than one Name" },
	    { SOR_OPEN "<rim:RegistryPackage id=\"P\"><rim:RegistryObjectList/>"
		"</rim:RegistryPackage>" SOR_CLOSE, XDS_EFORMAT,
		"RegistryPackage 'P': a RegistryObjectList inside" },
	    { SOR_OPEN "<rim:ObjectRef id=\"R\"><rim:Name/></rim:ObjectRef>"
		SOR_CLOSE, XDS_EFORMAT,
		"ObjectRef 'R': element rim:Name is not allowed" },
	    { SOR_OPEN "<rim:ExtrinsicObject id=\"D4\"><rim:Classification "
		"id=\"c\"><rim:Classification id=\"d\"/></rim:Classification>"
		"</rim:ExtrinsicObject>" SOR_CLOSE, XDS_EFORMAT,
		"ExtrinsicObject 'D4': element rim:Classification is not "
		"supported in Classification 'c'" },
	    /* ebRIM 2.1 */
	    { "<rs:SubmitObjectsRequest xmlns:rs=\"" NS_RS21 "\" xmlns:rim=\""
		NS_RIM21 "\"><rim:LeafRegistryObjectList/>"
		"</rs:SubmitObjectsRequest>", XDS_EUNSUPPORTED,
		"ebRIM 2.1 is not accepted" },
	    { "<rim:RegistryObjectList xmlns:rim=\"" NS_RIM "\" xmlns:r2=\""
		NS_RIM21 "\"><r2:ExtrinsicObject id=\"x\"/>"
		"</rim:RegistryObjectList>", XDS_EUNSUPPORTED,
		"ebRIM 2.1 is not accepted" },
	    { "<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM "\"/>",
		XDS_EFORMAT,
		"SubmitObjectsRequest without a RegistryObjectList" },
	    { "<foo/>", XDS_EFORMAT, "expected lcm:SubmitObjectsRequest" },
	    { "<a><b></a>", XDS_EFORMAT, "not well-formed" },
	    { "<!DOCTYPE x [<!ENTITY e \"x\">]><x>&e;</x>", XDS_EFORMAT,
		"DOCTYPE" },
	    { "", XDS_EFORMAT, "" },
	};
	struct rim_list l;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		rc = parse(t[i].xml, &l, err, sizeof err);
		if (rc != t[i].rc || strstr(err, t[i].text) == NULL)
			fprintf(stderr, "\ncase %zu: rc %d err \"%s\"\n", i, rc,
			    err);
		CU_ASSERT_EQUAL(rc, t[i].rc);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, t[i].text));
		CU_ASSERT_EQUAL(l.nobj, 0);	/* emptied on failure */
		CU_ASSERT_PTR_NULL(l.arena);
		rim_list_free(&l);
	}
}

/* A SubmitObjectsRequest with one object of n slots of m values, or n
 * ObjectRefs when m is 0. */
static char *
gen(size_t n, size_t m, size_t vlen)
{
	struct buf b;
	size_t i, j;
	char *v;
	int rc = 0;

	if ((v = malloc(vlen + 1)) == NULL)
		return NULL;
	memset(v, 'v', vlen);
	v[vlen] = '\0';
	buf_init(&b, 64 * 1024 * 1024);
	rc |= buf_adds(&b, SOR_OPEN);
	if (m == 0) {
		for (i = 0; i < n; i++)
			rc |= buf_addf(&b, "<rim:ObjectRef id=\"r%zu\"/>", i);
	} else {
		rc |= buf_adds(&b, "<rim:ExtrinsicObject id=\"Big\">");
		for (i = 0; i < n; i++) {
			rc |= buf_addf(&b, "<rim:Slot name=\"s%zu\">"
			    "<rim:ValueList>", i);
			for (j = 0; j < m; j++)
				rc |= buf_addf(&b, "<rim:Value>%s</rim:Value>",
				    v);
			rc |= buf_adds(&b, "</rim:ValueList></rim:Slot>");
		}
		rc |= buf_adds(&b, "</rim:ExtrinsicObject>");
	}
	rc |= buf_adds(&b, SOR_CLOSE);
	free(v);
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}

static void
check_limit(size_t n, size_t m, size_t vlen, int want, const char *text)
{
	struct rim_list l;
	char err[256], *xml;
	int rc;

	xml = gen(n, m, vlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	err[0] = '\0';
	rc = parse(xml, &l, err, sizeof err);
	if (rc != want)
		fprintf(stderr, "\nlimit %zu/%zu/%zu: %d %s\n", n, m, vlen, rc,
		    err);
	CU_ASSERT_EQUAL(rc, want);
	if (text != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(err, text));
	if (want == XDS_OK)
		CU_ASSERT_EQUAL(l.nobj, m == 0 ? n : 1);
	rim_list_free(&l);
	free(xml);
}

static void
test_limits(void)
{
	check_limit(RIM_MAX_OBJECTS, 0, 0, XDS_OK, NULL);
	check_limit(RIM_MAX_OBJECTS + 1, 0, 0, XDS_ETOOBIG,
	    "more than 10000 objects");
	check_limit(RIM_MAX_CHILDREN, 1, 1, XDS_OK, NULL);
	check_limit(RIM_MAX_CHILDREN + 1, 1, 1, XDS_ETOOBIG,
	    "ExtrinsicObject 'Big': more than 1000 Slot elements");
	check_limit(1, RIM_MAX_VALUES, 1, XDS_OK, NULL);
	check_limit(1, RIM_MAX_VALUES + 1, 1, XDS_ETOOBIG,
	    "Slot s0 has more than 1000 values");
	check_limit(1, 1, RIM_MAX_TEXT, XDS_OK, NULL);
	check_limit(1, 1, RIM_MAX_TEXT + 1, XDS_ETOOBIG,
	    "a value of slot s0 is longer than 65536 bytes");
}

static void
test_write_escaping(void)
{
	struct rim_list l;
	struct rim_object *o;
	struct buf b;
	const char *want;

	rim_list_init(&l);
	o = rim_add_object(&l, RIM_REGISTRY_PACKAGE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	o->id = rim_strdup(&l, "a\"b<c>&d'e");
	o->name = rim_strdup(&l, "N & <M>");
	CU_ASSERT_EQUAL(rim_set_slot(&l, o, "x<y", "1 < 2 & \"3\""), XDS_OK);
	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(rim_write_object(o, &b), XDS_OK);
	want = "<rim:RegistryPackage xmlns:rim=\"" NS_RIM "\" "
	    "id=\"a&quot;b&lt;c&gt;&amp;d&apos;e\">"
	    "<rim:Slot name=\"x&lt;y\"><rim:ValueList>"
	    "<rim:Value>1 &lt; 2 &amp; &quot;3&quot;</rim:Value>"
	    "</rim:ValueList></rim:Slot>"
	    "<rim:Name><rim:LocalizedString value=\"N &amp; &lt;M&gt;\"/>"
	    "</rim:Name></rim:RegistryPackage>";
	CU_ASSERT_STRING_EQUAL(buf_str(&b), want);
	buf_free(&b);
	rim_list_free(&l);
}

static void
test_write_forms(void)
{
	struct rim_list l;
	struct buf b;
	char err[256];
	const char *want;

	CU_ASSERT_EQUAL_FATAL(parse(full_sor, &l, err, sizeof err), XDS_OK);
	buf_init(&b, 64 * 1024);
	/* Status NULL is omitted; xmlns:rim comes first. */
	l.obj[0].status = NULL;
	CU_ASSERT_EQUAL(rim_write_object(&l.obj[0], &b), XDS_OK);
	want = "<rim:ExtrinsicObject xmlns:rim=\"" NS_RIM "\" id=\"Document01\""
	    " lid=\"urn:uuid:1\" objectType=\"" OT_DE_STABLE "\" "
	    "home=\"urn:oid:1.2.3\" mimeType=\"text/xml\" isOpaque=\"false\">"
	    "<rim:Slot name=\"creationTime\"><rim:ValueList><rim:Value>20051224"
	    "</rim:Value></rim:ValueList></rim:Slot>"
	    "<rim:Slot name=\"sourcePatientInfo\" slotType=\"st\"><rim:ValueList>"
	    "<rim:Value>PID-3|ST-1000^^^&amp;1.3.6&amp;ISO</rim:Value>"
	    "<rim:Value>PID-5|Doe^John</rim:Value></rim:ValueList></rim:Slot>"
	    "<rim:Slot name=\"empty\"><rim:ValueList></rim:ValueList></rim:Slot>"
	    "<rim:Name><rim:LocalizedString xml:lang=\"nl-NL\" charset=\"UTF-8\""
	    " value=\"Verslag &lt;1&gt;\"/></rim:Name>"
	    "<rim:Description><rim:LocalizedString value=\"desc\"/>"
	    "</rim:Description><rim:VersionInfo versionName=\"1.1\"/>"
	    "<rim:Classification id=\"cl01\" classificationScheme=\""
	    CS_DE_AUTHOR "\" classifiedObject=\"Document01\" "
	    "nodeRepresentation=\"\"><rim:Slot name=\"authorPerson\">"
	    "<rim:ValueList><rim:Value>^Smitty^Gerald</rim:Value>"
	    "</rim:ValueList></rim:Slot></rim:Classification>"
	    "<rim:Classification id=\"cl02\" classificationScheme=\""
	    CS_DE_CLASSCODE "\" classifiedObject=\"Document01\" "
	    "nodeRepresentation=\"History\"><rim:Slot name=\"codingScheme\">"
	    "<rim:ValueList><rim:Value>Connect-a-thon classCodes</rim:Value>"
	    "</rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString "
	    "value=\"History and Physical\"/></rim:Name></rim:Classification>"
	    "<rim:ExternalIdentifier id=\"ei01\" registryObject=\"Document01\" "
	    "identificationScheme=\"" EI_DE_PATIENTID "\" "
	    "value=\"ST-1000^^^&amp;1.3.6&amp;ISO\"><rim:Name>"
	    "<rim:LocalizedString value=\"XDSDocumentEntry.patientId\"/>"
	    "</rim:Name></rim:ExternalIdentifier></rim:ExtrinsicObject>";
	CU_ASSERT_STRING_EQUAL(buf_str(&b), want);

	buf_reset(&b);
	CU_ASSERT_EQUAL(rim_write_object(&l.obj[2], &b), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rim:Classification xmlns:rim=\""
	    NS_RIM "\" id=\"cl10\" classifiedObject=\"SubmissionSet01\" "
	    "classificationNode=\"" NODE_SUBMISSIONSET "\"/>");
	buf_reset(&b);
	CU_ASSERT_EQUAL(rim_write_object(&l.obj[3], &b), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rim:Association xmlns:rim=\""
	    NS_RIM "\" id=\"as01\" associationType=\"" AT_HASMEMBER "\" "
	    "sourceObject=\"SubmissionSet01\" targetObject=\"Document01\">"
	    "<rim:Slot name=\"SubmissionSetStatus\"><rim:ValueList>"
	    "<rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>"
	    "</rim:Association>");
	buf_reset(&b);
	CU_ASSERT_EQUAL(rim_write_object(&l.obj[4], &b), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rim:ObjectRef xmlns:rim=\""
	    NS_RIM "\" id=\"urn:uuid:aaaa\" home=\"urn:oid:1.2.3.4\"/>");
	buf_reset(&b);
	CU_ASSERT_EQUAL(rim_write_objectref("urn:uuid:b", NULL, &b), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rim:ObjectRef xmlns:rim=\""
	    NS_RIM "\" id=\"urn:uuid:b\"/>");
	buf_free(&b);

	/* A full buffer: XDS_ETOOBIG and nothing half-written. */
	buf_init(&b, 100);
	CU_ASSERT_EQUAL(buf_adds(&b, "keep"), XDS_OK);
	CU_ASSERT_EQUAL(rim_write_object(&l.obj[0], &b), XDS_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "keep");
	CU_ASSERT_EQUAL(b.b_len, 4);
	buf_free(&b);
	rim_list_free(&l);
}

static void
test_builders(void)
{
	struct rim_list l;
	struct rim_object *o;
	size_t i;
	char id[32];

	rim_list_init(&l);
	for (i = 0; i < 100; i++) {
		o = rim_add_object(&l, RIM_OBJECT_REF);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(str_fmt(id, sizeof id, "id%zu", i) > 0, 1);
		o->id = rim_strdup(&l, id);
	}
	CU_ASSERT_EQUAL(l.nobj, 100);
	CU_ASSERT_PTR_EQUAL(rim_find(&l, "id57"), &l.obj[57]);
	o = &l.obj[3];
	CU_ASSERT_EQUAL(rim_set_slot(&l, o, "a", "1"), XDS_OK);
	CU_ASSERT_EQUAL(rim_set_slot(&l, o, "b", "2"), XDS_OK);
	CU_ASSERT_EQUAL(rim_set_slot(&l, o, "a", "3"), XDS_OK);
	CU_ASSERT_EQUAL(o->nslots, 2);
	CU_ASSERT_STRING_EQUAL(rim_slot1(o, "a"), "3");
	CU_ASSERT_STRING_EQUAL(rim_slot1(o, "b"), "2");
	CU_ASSERT_EQUAL(rim_set_slot(&l, o, NULL, "x"), XDS_EINVAL);
	/* Big arena requests get their own block. */
	CU_ASSERT_PTR_NOT_NULL(rim_alloc(&l, 100000));
	CU_ASSERT_STRING_EQUAL(rim_strdup(&l, "after"), "after");
	CU_ASSERT_PTR_NULL(rim_strdup(&l, NULL));
	rim_list_free(&l);
	/* The object cap. */
	rim_list_init(&l);
	for (i = 0; i < RIM_MAX_OBJECTS; i++)
		if (rim_add_object(&l, RIM_OBJECT_REF) == NULL)
			break;
	CU_ASSERT_EQUAL(i, RIM_MAX_OBJECTS);
	CU_ASSERT_PTR_NULL(rim_add_object(&l, RIM_OBJECT_REF));
	rim_list_free(&l);
}

static void
test_responses(void)
{
	struct rim_errors e;
	struct xact x;
	struct buf b;
	int i;

	rim_errors_init(&e);
	buf_init(&b, 8192);
	CU_ASSERT_EQUAL(rim_write_registry_response(&b, ST_SUCCESS, &e),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rs:RegistryResponse xmlns:rs=\""
	    NS_RS "\" status=\"" ST_SUCCESS "\"/>");
	buf_reset(&b);
	CU_ASSERT_EQUAL(rim_write_error_list(&b, &e), XDS_OK);
	CU_ASSERT_EQUAL(b.b_len, 0);

	CU_ASSERT_EQUAL(rim_errors_add(&e, 1, ERR_EXTRA_METADATA_NOT_SAVED,
	    NULL, "slot %s not stored", "x<y"), XDS_OK);
	CU_ASSERT_EQUAL(rim_errors_nerror(&e), 0);
	CU_ASSERT_EQUAL(rim_write_error_list(&b, &e), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rs:RegistryErrorList xmlns:rs=\""
	    NS_RS "\" highestSeverity=\"" SEV_WARNING "\">"
	    "<rs:RegistryError errorCode=\"XDSExtraMetadataNotSaved\" "
	    "codeContext=\"slot x&lt;y not stored\" severity=\"" SEV_WARNING
	    "\"/></rs:RegistryErrorList>");
	buf_reset(&b);

	CU_ASSERT_EQUAL(rim_errors_add(&e, 0, ERR_UNKNOWN_PATIENTID,
	    "urn:oid:1.2.3", "patient %d unknown", 42), XDS_OK);
	CU_ASSERT_EQUAL(rim_errors_nerror(&e), 1);
	CU_ASSERT_EQUAL(rim_write_registry_response(&b, ST_FAILURE, &e),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rs:RegistryResponse xmlns:rs=\""
	    NS_RS "\" status=\"" ST_FAILURE "\"><rs:RegistryErrorList "
	    "highestSeverity=\"" SEV_ERROR "\">"
	    "<rs:RegistryError errorCode=\"XDSExtraMetadataNotSaved\" "
	    "codeContext=\"slot x&lt;y not stored\" severity=\"" SEV_WARNING
	    "\"/><rs:RegistryError errorCode=\"XDSUnknownPatientId\" "
	    "codeContext=\"patient 42 unknown\" location=\"urn:oid:1.2.3\" "
	    "severity=\"" SEV_ERROR "\"/></rs:RegistryErrorList>"
	    "</rs:RegistryResponse>");
	buf_free(&b);

	/* A full buffer leaves nothing behind. */
	buf_init(&b, 50);
	CU_ASSERT_EQUAL(rim_write_registry_response(&b, ST_FAILURE, &e),
	    XDS_ETOOBIG);
	CU_ASSERT_EQUAL(b.b_len, 0);
	buf_free(&b);
	rim_errors_free(&e);
	CU_ASSERT_EQUAL(e.n, 0);

	/* The list is bounded. */
	rim_errors_init(&e);
	for (i = 0; i < 1000; i++)
		if (rim_errors_add(&e, 0, ERR_REGISTRY, NULL, "e%d", i) !=
		    XDS_OK)
			break;
	CU_ASSERT_EQUAL(i, 1000);
	CU_ASSERT_EQUAL(rim_errors_add(&e, 0, ERR_REGISTRY, NULL, "more"),
	    XDS_ETOOBIG);
	CU_ASSERT_EQUAL(rim_errors_nerror(&e), 1000);
	/* an actor's error on a full list: kept out, not a failure, and
	 * still recorded on the transaction */
	xact_begin(&x, NULL, "/t", NULL, NULL);
	CU_ASSERT_EQUAL(rim_error(&e, &x, ERR_REPOSITORY_BUSY, "busy %d", 1),
	    XDS_OK);
	CU_ASSERT_EQUAL(rim_errors_nerror(&e), 1000);
	CU_ASSERT_STRING_EQUAL(x.errors, ERR_REPOSITORY_BUSY);
	CU_ASSERT_EQUAL(x.outcome, XACT_FAILURE);
	CU_ASSERT_FALSE(e.nomem);
	rim_errors_free(&e);

	rim_errors_init(&e);
	CU_ASSERT_EQUAL(rim_error(&e, NULL, ERR_REGISTRY, "%s '%s'", "id",
	    "x"), XDS_OK);
	CU_ASSERT_EQUAL(e.n, 1);
	CU_ASSERT_STRING_EQUAL(e.v[0].context, "id 'x'");
	CU_ASSERT_FALSE(e.v[0].warning);
	CU_ASSERT_PTR_NULL(e.v[0].location);
	rim_errors_free(&e);
}

/* The DOM helpers: a child, its text, a descendant. */
static void
test_xml_helpers(void)
{
	static const char doc[] = "<a xmlns=\"urn:x\" xmlns:y=\"urn:y\">"
	    "<y:b>  one </y:b><b>two</b><c><d><y:e>deep</y:e></d></c>"
	    "<y:e>later</y:e></a>";
	char err[128], out[8];
	xmlDoc *d;
	xmlNode *r, *n;

	d = xml_parse(doc, sizeof doc - 1, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	r = xmlDocGetRootElement(d);
	CU_ASSERT_PTR_NOT_NULL(xml_child(r, "urn:x", "b"));
	CU_ASSERT_PTR_NULL(xml_child(r, "urn:x", "d"));
	CU_ASSERT_EQUAL(xml_child_text(r, "urn:y", "b", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "one");
	CU_ASSERT_EQUAL(xml_child_text(r, "urn:x", "b", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "two");
	CU_ASSERT_EQUAL(xml_child_text(r, "urn:x", "zz", out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(xml_child_text(r, "urn:y", "b", out, 4), -1);
	n = xml_find(r, "urn:y", "e");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(xml_text(n, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "deep");	/* document order */
	CU_ASSERT_PTR_EQUAL(xml_find(r, "urn:x", "a"), r);
	CU_ASSERT_PTR_NULL(xml_find(r, "urn:y", "a"));
	xmlFreeDoc(d);
}

/* The id index: kept objects only, sorted, found in O(log n). */
static int
keep_not_ref(const struct rim_list *l, size_t i, void *arg)
{
	(void)arg;
	return l->obj[i].kind != RIM_OBJECT_REF;
}

static void
test_index(void)
{
	static const char *const ids[] = { "m", "b", "z", "a", "b" };
	struct rim_list l;
	struct rim_index x;
	struct rim_object *o;
	size_t i;

	rim_list_init(&l);
	for (i = 0; i < 5; i++) {
		o = rim_add_object(&l, i == 2 ? RIM_OBJECT_REF :
		    RIM_REGISTRY_PACKAGE);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		o->id = rim_strdup(&l, ids[i]);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(rim_add_object(&l, RIM_CLASSIFICATION));
	CU_ASSERT_EQUAL(rim_index_build(&x, &l, keep_not_ref, NULL), XDS_OK);
	CU_ASSERT_EQUAL(x.n, 4);	/* no ObjectRef, no object without id */
	CU_ASSERT_STRING_EQUAL(x.v[0].id, "a");
	CU_ASSERT_STRING_EQUAL(x.v[1].id, "b");
	CU_ASSERT_STRING_EQUAL(x.v[2].id, "b");
	CU_ASSERT_STRING_EQUAL(x.v[3].id, "m");
	CU_ASSERT_EQUAL(rim_index_find(&x, "m"), 0);
	CU_ASSERT_EQUAL(rim_index_find(&x, "a"), 3);
	CU_ASSERT_EQUAL(rim_index_find(&x, "z"), -1);
	CU_ASSERT_EQUAL(rim_index_find(&x, NULL), -1);
	rim_index_free(&x);
	CU_ASSERT_EQUAL(rim_index_find(&x, "m"), -1);
	CU_ASSERT_EQUAL(rim_index_build(&x, &l, NULL, NULL), XDS_OK);
	CU_ASSERT_EQUAL(x.n, 5);
	CU_ASSERT_EQUAL(rim_index_find(&x, "z"), 2);
	rim_index_free(&x);
	rim_list_free(&l);
}

/* ---- round trip ---- */

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
slots_eq(const struct rim_slot *a, size_t na, const struct rim_slot *b,
    size_t nb)
{
	size_t i, j;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		if (!streq(a[i].name, b[i].name) ||
		    !streq(a[i].slot_type, b[i].slot_type) ||
		    a[i].nvalues != b[i].nvalues)
			return 0;
		for (j = 0; j < a[i].nvalues; j++)
			if (!streq(a[i].values[j], b[i].values[j]))
				return 0;
	}
	return 1;
}

static int
obj_eq(const struct rim_object *a, const struct rim_object *b)
{
	size_t i;

	if (a->kind != b->kind || !streq(a->id, b->id) ||
	    !streq(a->lid, b->lid) || !streq(a->object_type, b->object_type) ||
	    !streq(a->status, b->status) || !streq(a->home, b->home) ||
	    !streq(a->mime_type, b->mime_type) ||
	    !streq(a->is_opaque, b->is_opaque) || !streq(a->name, b->name) ||
	    !streq(a->name_lang, b->name_lang) ||
	    !streq(a->name_charset, b->name_charset) ||
	    !streq(a->description, b->description) ||
	    !streq(a->description_lang, b->description_lang) ||
	    !streq(a->version_name, b->version_name) ||
	    !streq(a->assoc_type, b->assoc_type) ||
	    !streq(a->source, b->source) || !streq(a->target, b->target) ||
	    !streq(a->classified, b->classified) ||
	    !streq(a->node, b->node) || !streq(a->scheme, b->scheme) ||
	    !streq(a->noderep, b->noderep) ||
	    !slots_eq(a->slots, a->nslots, b->slots, b->nslots) ||
	    a->ncls != b->ncls || a->neids != b->neids)
		return 0;
	for (i = 0; i < a->ncls; i++) {
		const struct rim_classification *x = &a->cls[i], *y = &b->cls[i];

		if (!streq(x->id, y->id) || !streq(x->scheme, y->scheme) ||
		    !streq(x->classified, y->classified) ||
		    !streq(x->node, y->node) ||
		    !streq(x->noderep, y->noderep) ||
		    !streq(x->name, y->name) ||
		    !slots_eq(x->slots, x->nslots, y->slots, y->nslots))
			return 0;
	}
	for (i = 0; i < a->neids; i++) {
		const struct rim_extid *x = &a->eids[i], *y = &b->eids[i];

		if (!streq(x->id, y->id) || !streq(x->scheme, y->scheme) ||
		    !streq(x->value, y->value) ||
		    !streq(x->registry_object, y->registry_object) ||
		    !streq(x->name, y->name))
			return 0;
	}
	return 1;
}

/* Write every object of l into one RegistryObjectList, parse that and
 * compare.  Returns 0 when equal. */
static int
round_trip(const struct rim_list *l, char *why, size_t whylen)
{
	struct rim_list l2;
	struct buf b;
	size_t i;
	int rc = -1;

	rim_list_init(&l2);
	buf_init(&b, 64 * 1024 * 1024);
	if (buf_adds(&b, "<rim:RegistryObjectList xmlns:rim=\"" NS_RIM
	    "\">") != XDS_OK)
		goto out;
	for (i = 0; i < l->nobj; i++)
		if (rim_write_object(&l->obj[i], &b) != XDS_OK) {
			str_fmt(why, whylen, "write failed");
			goto out;
		}
	if (buf_adds(&b, "</rim:RegistryObjectList>") != XDS_OK)
		goto out;
	if (rim_parse_submit_mem(b.b_data, b.b_len, &l2, why, whylen) !=
	    XDS_OK)
		goto out;
	if (l2.nobj != l->nobj) {
		str_fmt(why, whylen, "%zu objects, then %zu", l->nobj,
		    l2.nobj);
		goto out;
	}
	for (i = 0; i < l->nobj; i++)
		if (!obj_eq(&l->obj[i], &l2.obj[i])) {
			str_fmt(why, whylen, "object %zu (%s) differs", i,
			    l->obj[i].id);
			goto out;
		}
	rc = 0;
out:
	buf_free(&b);
	rim_list_free(&l2);
	return rc;
}

struct corpus_stats {
	int	files;		/* holding ebRIM 3.0 */
	int	parsed;
	int	trips;
	int	objects;
	int	v21;
	int	values;		/* HL7-typed values checked */
	int	bad;		/* of which our checks refused */
	int	known;		/* refused and known to be invalid */
};

/* Values in the corpus that are not valid XDS metadata: template
 * placeholders the NIST toolkit replaces before sending ("$patientid$",
 * "SubmissionSet01", "DOCUMENTENTRYUID": no dot and no '^'), UUIDs used
 * as a uniqueId, a non-ISO assigning authority, and an OID arc with a
 * leading zero. */
static int
known_invalid(const char *v)
{
	static const char *known[] = {
		"ECID1^^^&ECID&ECID",
		"1.2.3.4.5.6.7.8.9.133506.092.1",
	};
	size_t i;

	if (v[0] == '$' || strncmp(v, "urn:uuid:", 9) == 0 ||
	    (strchr(v, '.') == NULL && strchr(v, '^') == NULL))
		return 1;
	for (i = 0; i < NELEM(known); i++)
		if (strcmp(v, known[i]) == 0)
			return 1;
	return 0;
}

/* Run the HL7 datatype checks over the typed values of real messages:
 * our checks must not refuse what the reference implementations send. */
static void
check_value(struct corpus_stats *st, const char *path, const char *what,
    const char *v)
{
	struct hl7_cx cx;
	char err[256];
	int rc;

	if (v == NULL)
		return;
	if (strcmp(what, "dtm") == 0)
		rc = hl7_dtm_valid(v, strlen(v), err, sizeof err);
	else if (strcmp(what, "cx") == 0)
		rc = hl7_cx_parse(v, strlen(v), &cx, err, sizeof err);
	else if (strcmp(what, "uniqueId") == 0)
		rc = hl7_uniqueid_valid(v, strlen(v), err, sizeof err);
	else if (strcmp(what, "oid") == 0)
		rc = hl7_oid_valid(v, strlen(v), err, sizeof err);
	else if (strcmp(what, "xcn") == 0)
		rc = hl7_xcn_valid(v, strlen(v), err, sizeof err);
	else
		rc = hl7_xon_valid(v, strlen(v), err, sizeof err);
	st->values++;
	if (rc != 0 && known_invalid(v)) {
		st->known++;
		return;
	}
	if (rc != 0) {
		st->bad++;
		if (getenv("TEST_EBRIM_VERBOSE") != NULL)
			fprintf(stderr, "\n  %s: %s \"%s\": %s", path, what, v,
			    err);
	}
}

static void
check_values(struct corpus_stats *st, const char *path,
    const struct rim_list *l)
{
	static const char *times[] = { "creationTime", "serviceStartTime",
	    "serviceStopTime", "submissionTime", "lastUpdateTime" };
	const struct rim_object *o;
	const struct rim_slot *sl;
	const struct rim_extid *e;
	size_t i, j, k, t;

	for (i = 0; i < l->nobj; i++) {
		o = &l->obj[i];
		for (t = 0; t < NELEM(times); t++)
			check_value(st, path, "dtm", rim_slot1(o, times[t]));
		check_value(st, path, "cx", rim_slot1(o, "sourcePatientId"));
		for (k = 0; k < o->neids; k++) {
			e = &o->eids[k];
			if (strcmp(e->scheme, EI_DE_PATIENTID) == 0 ||
			    strcmp(e->scheme, EI_SS_PATIENTID) == 0 ||
			    strcmp(e->scheme, EI_FOL_PATIENTID) == 0)
				check_value(st, path, "cx", e->value);
			else if (strcmp(e->scheme, EI_DE_UNIQUEID) == 0)
				check_value(st, path, "uniqueId", e->value);
			else if (strcmp(e->scheme, EI_SS_UNIQUEID) == 0 ||
			    strcmp(e->scheme, EI_FOL_UNIQUEID) == 0 ||
			    strcmp(e->scheme, EI_SS_SOURCEID) == 0)
				check_value(st, path, "oid", e->value);
		}
		for (k = 0; k < o->ncls; k++) {
			sl = rim_slot(o->cls[k].slots, o->cls[k].nslots,
			    "authorPerson");
			for (j = 0; sl != NULL && j < sl->nvalues; j++)
				check_value(st, path, "xcn", sl->values[j]);
			sl = rim_slot(o->cls[k].slots, o->cls[k].nslots,
			    "authorInstitution");
			for (j = 0; sl != NULL && j < sl->nvalues; j++)
				check_value(st, path, "xon", sl->values[j]);
		}
	}
}

/* A file of the corpus (but raw HTTP captures, *.txt): parsed when it is
 * ebRIM 3.0, round-tripped when it parses. */
static void
corpus_file(const char *path, void *arg)
{
	const char *name = strrchr(path, '/') + 1;
	struct corpus_stats *st = arg;
	struct rim_list l;
	char *data, err[512], why[512];
	size_t n = 0;
	int rc;

	if (strstr(name, ".xml") == NULL && strstr(name, ".txt") != NULL)
		return;
	if ((data = testutil_read_file(path, &n)) == NULL || n == 0 ||
	    n > 16 * 1024 * 1024) {
		free(data);
		return;
	}
	if (strstr(data, NS_RIM) == NULL || strstr(data, "RegistryObjectList")
	    == NULL) {
		if (strstr(data, NS_RIM21) != NULL &&
		    strstr(data, "SubmitObjectsRequest") != NULL &&
		    rim_parse_submit_mem(data, n, &l, err, sizeof err) ==
		    XDS_EUNSUPPORTED)
			st->v21++;
		free(data);
		return;
	}
	st->files++;
	rc = rim_parse_submit_mem(data, n, &l, err, sizeof err);
	if (rc != XDS_OK) {
		/* Not every file is a whole message (templates, logs,
		 * negative cases); report them for a reader. */
		if (getenv("TEST_EBRIM_VERBOSE") != NULL)
			fprintf(stderr, "\n  %s: %s", path, err);
		free(data);
		return;
	}
	st->parsed++;
	st->objects += (int)l.nobj;
	if (strstr(path, "/negative/") == NULL)
		check_values(st, path, &l);
	why[0] = '\0';
	if (round_trip(&l, why, sizeof why) == 0)
		st->trips++;
	else
		fprintf(stderr, "\nround trip failed: %s: %s\n", path, why);
	CU_ASSERT_EQUAL(round_trip(&l, why, sizeof why), 0);
	rim_list_free(&l);
	free(data);
}

static void
test_corpus_round_trip(void)
{
	struct corpus_stats st;

	TESTUTIL_NEED_CORPUS();
	memset(&st, 0, sizeof st);
	CU_ASSERT(testutil_walk(testutil_testdata(), NULL, corpus_file, &st) >
	    0);
	fprintf(stderr, "\n  %d ebRIM 3.0 files, %d parsed (%d objects), "
	    "%d round trips; %d ebRIM 2.1 submissions refused ", st.files,
	    st.parsed, st.objects, st.trips, st.v21);
	CU_ASSERT(st.parsed >= 50);
	CU_ASSERT_EQUAL(st.trips, st.parsed);
	CU_ASSERT(st.v21 >= 10);
	fprintf(stderr, "\n  %d HL7-typed values checked, %d known-invalid "
	    "refused, %d others refused ", st.values, st.known, st.bad);
	CU_ASSERT(st.values >= 1000);
	CU_ASSERT(st.known > 0);
	CU_ASSERT_EQUAL(st.bad, 0);
}

/* Known real submissions must parse (not only round-trip when they do). */
static void
test_corpus_known(void)
{
	static const char *files[] = {
		"iti42-register/ipf/SubmitObjectsRequest_ebrs30.xml",
		"iti42-register/ipf/SubmitObjectsRequest_ebrs30_2.xml",
		"iti42-register/ipf/SubmitObjectsRequest_ebrs3_extra_metadata.xml",
		"iti42-register/dcm4chee-xds/RegisterOneDocument.xml",
		"iti42-register/dcm4chee-xds/CreateFolderWithDocument.xml",
		"iti42-register/dcm4chee-xds/RegisterTwoDocuments.xml",
		"iti42-register/nist-testkit/12051/submit/single_doc.xml",
		"iti41-provide-register/openxds/ProvideAndRegisterDocumentSet-bRequest.xml",
		"iti18-stored-query/openxds/RegistryStoredQueryFindDocsResponse.xml",
	};
	char err[512], *data;
	struct rim_list l;
	size_t i, n;
	int rc;

	TESTUTIL_NEED_CORPUS();
	for (i = 0; i < NELEM(files); i++) {
		if ((data = testutil_testdata_file(files[i], &n)) == NULL) {
			fprintf(stderr, "\n  missing %s", files[i]);
			CU_FAIL("corpus file missing");
			continue;
		}
		rc = rim_parse_submit_mem(data, n, &l, err, sizeof err);
		if (rc != XDS_OK || l.nobj == 0)
			fprintf(stderr, "\n  %s: %d %s", files[i], rc, err);
		CU_ASSERT_EQUAL(rc, XDS_OK);
		CU_ASSERT(l.nobj > 0);
		rim_list_free(&l);
		free(data);
	}
}

/* ebRIM 3.0 child order (rim.xsd): Name before Slot is refused. */
static void
test_child_order(void)
{
	static const char bad[] = SOR_OPEN
	    "<rim:ExtrinsicObject id=\"D\" mimeType=\"text/plain\" objectType=\""
	    OT_DE_STABLE "\"><rim:Name><rim:LocalizedString value=\"x\"/>"
	    "</rim:Name><rim:Slot name=\"a\"><rim:ValueList><rim:Value>1"
	    "</rim:Value></rim:ValueList></rim:Slot></rim:ExtrinsicObject>"
	    SOR_CLOSE;
	struct rim_list l;
	char err[512];

	CU_ASSERT_EQUAL(parse(bad, &l, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rim:Slot after rim:Name"));
	rim_list_free(&l);
}

/* Submission builders: rim_code_parse and the element writers. */
static void
test_put(void)
{
	struct rim_code c;
	struct buf b;

	CU_ASSERT_EQUAL(rim_code_parse("IMAGES^Beelden^1.3.6.1.4.1.19376.1.2.6.1",
	    &c), 0);
	CU_ASSERT_STRING_EQUAL(c.code, "IMAGES");
	CU_ASSERT_STRING_EQUAL(c.display, "Beelden");
	CU_ASSERT_STRING_EQUAL(c.scheme, "1.3.6.1.4.1.19376.1.2.6.1");
	CU_ASSERT_EQUAL(rim_code_parse("IMAGES", &c), -1);
	CU_ASSERT_EQUAL(rim_code_parse("a^^s", &c), -1);
	CU_ASSERT_EQUAL(rim_code_parse("a^b^", &c), -1);
	CU_ASSERT_EQUAL(rim_code_parse("a^b^c^d", &c), -1);
	CU_ASSERT_EQUAL(rim_code_parse("^b^c", &c), -1);

	buf_init(&b, 1 << 16);
	CU_ASSERT_EQUAL(rim_put_slot(&b, "x", "a<b", "c"), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "<rim:Slot name=\"x\"><rim:ValueList>"
	    "<rim:Value>a&lt;b</rim:Value><rim:Value>c</rim:Value>"
	    "</rim:ValueList></rim:Slot>");
	buf_reset(&b);
	CU_ASSERT_EQUAL(rim_code_parse("R^Rep & co^1.2", &c), 0);
	CU_ASSERT_EQUAL(rim_put_code(&b, "Doc", CS_DE_CLASSCODE, &c), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "classifiedObject=\"Doc\" "
	    "classificationScheme=\"" CS_DE_CLASSCODE "\" nodeRepresentation=\"R\">"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "value=\"Rep &amp; co\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "<rim:Classification id=\"urn:uuid:"));
	buf_reset(&b);
	CU_ASSERT_EQUAL(rim_put_extid(&b, "Doc", EI_DE_UNIQUEID, "1.2.3",
	    EIN_DE_UNIQUEID), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "identificationScheme=\""
	    EI_DE_UNIQUEID "\" value=\"1.2.3\"><rim:Name><rim:LocalizedString "
	    "value=\"" EIN_DE_UNIQUEID "\"/></rim:Name></rim:ExternalIdentifier>"));
	buf_free(&b);
}

static const struct cutest tests[] = {
	{ "index", test_index },
	{ "xml helpers", test_xml_helpers },
	{ "submission builders", test_put },
	{ "child order", test_child_order },
	{ "parse kinds", test_parse_kinds },
	{ "parse wrappers", test_parse_wrappers },
	{ "parse errors", test_parse_errors },
	{ "limits", test_limits },
	{ "write escaping", test_write_escaping },
	{ "write forms", test_write_forms },
	{ "builders", test_builders },
	{ "responses", test_responses },
	{ "corpus known files", test_corpus_known },
	{ "corpus round trip", test_corpus_round_trip },
};

int
main(void)
{
	int rc;

	xml_init();
	rc = cutest_run("ebrim", tests, sizeof tests / sizeof tests[0]);
	xmlCleanupParser();
	return rc;
}
