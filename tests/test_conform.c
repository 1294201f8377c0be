/*
 * test_conform.c: the conformance tester's pure parts: a test definition
 * read (and refused with the line and reason), templates filled with
 * fragments and the run's values, answers judged with the reasons a
 * failure names, and every compiled-in definition readable.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "conform.h"
#include "cutest.h"
#include "soap.h"
#include "status.h"
#include "xml.h"

extern const struct soap_schema conform_files[];

static const char good[] =
    "# a comment\n"
    "test = register-one\n"
    "title = one entry\n"
    "actor = registry\n"
    "send = ITI-42\n"
    "needs = a b\n"
    "attach.d1 = text/plain Hello $patient\n"
    "expect.status = Success\n"
    "expect.error = none\n"
    "---\n"
    "<x id=\"$uuid:d1\"/>\n";

static void
test_parse(void)
{
	struct conform_test t;
	char err[256];
	const char *a;
	int m;

	CU_ASSERT_EQUAL_FATAL(conform_test_parse("g.t", good, strlen(good),
	    &t, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(t.name, "register-one");
	CU_ASSERT_STRING_EQUAL(t.send, "ITI-42");
	CU_ASSERT_STRING_EQUAL(t.needs, "a b");
	CU_ASSERT_STRING_EQUAL(conform_test_get(&t, "expect.error"), "none");
	CU_ASSERT_STRING_EQUAL(conform_test_get(&t, "attach.d1"),
	    "text/plain Hello $patient");
	CU_ASSERT_STRING_EQUAL(t.body, "<x id=\"$uuid:d1\"/>\n");
	conform_test_free(&t);
	CU_ASSERT_EQUAL(conform_send_action("ITI-43", &a, &m), 0);
	CU_ASSERT_EQUAL(m, 1);
	CU_ASSERT_EQUAL(conform_send_action("ITI-99", &a, &m), -1);
	CU_ASSERT_EQUAL(conform_send_action("ITI-57", &a, &m), 0);
	CU_ASSERT_EQUAL(m, 0);
	CU_ASSERT_EQUAL(conform_send_action("RAD-75", &a, &m), 0);
	CU_ASSERT_EQUAL(m, 1);
	CU_ASSERT_STRING_EQUAL(a,
	    "urn:ihe:rad:2011:CrossGatewayRetrieveImagingDocumentSet");
}

/* option = NAMES: the test belongs to options of the system under test. */
static void
test_parse_option(void)
{
	static const char opt[] = "test = u\nactor = registry\n"
	    "option = metadata-update on-demand\nsend = ITI-57\n"
	    "expect.status = Success\nexpect.version = $uuid:d1 2\n---\n";
	static const char badopt[] = "test = u\nactor = registry\n"
	    "option = Metadata/Update\nsend = ITI-57\n"
	    "expect.status = Success\n---\n";
	struct conform_test t;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(conform_test_parse("o.t", opt, strlen(opt), &t,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(t.option, "metadata-update on-demand");
	CU_ASSERT_STRING_EQUAL(conform_test_get(&t, "expect.version"),
	    "$uuid:d1 2");
	conform_test_free(&t);
	CU_ASSERT_EQUAL(conform_test_parse("b.t", badopt, strlen(badopt), &t,
	    err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "option:"));
}

static void
test_parse_errors(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "test = x\nactor = registry\nsend = ITI-42\n"
		  "expect.status = Success\n", "no \"---\"" },
		{ "test = x\nactor = registry\nsend = ITI-42\nbogus = 1\n"
		  "---\n", ":4: unknown key \"bogus\"" },
		{ "test = x\nactor = registry\nsend = ITI-99\n"
		  "expect.status = Success\n---\n", "send:" },
		{ "test = X Y\nactor = registry\nsend = ITI-42\n"
		  "expect.status = Success\n---\n", "test:" },
		{ "test = x\nactor = registry\nsend = ITI-42\n---\n",
		  "expect.status: missing" },
		{ "test = x\nno equals sign\n---\n", ":2: expected key" },
	};
	struct conform_test t;
	char err[256];
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		CU_ASSERT_EQUAL(conform_test_parse("b.t", bad[i].text,
		    strlen(bad[i].text), &t, err, sizeof err), XDS_EFORMAT);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].why));
	}
}

static const char *
frag(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "ref") == 0)
		return "<!-- defaults: kind=Ref -->\n<%kind% id=\"$uuid:%id%\"/>";
	if (strcmp(name, "lid") == 0)
		return "<!-- defaults: lid=%id% -->\n<o id=\"%id%\" lid=\"%lid%\"/>";
	if (strcmp(name, "two") == 0)
		return "@{ref id=%a%}@{ref id=%b% kind=Other}";
	return NULL;
}

static void
test_expand(void)
{
	struct conform_vars v;
	struct buf out;
	char err[256], want[512];
	const char *u1, *u2;

	conform_vars_init(&v);
	v.frag = frag;
	buf_init(&out, 4096);
	CU_ASSERT_EQUAL(conform_var_set(&v, "patient", "P^^^&1.2&ISO"), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(conform_expand(&v, "@{two a=x b=y} $patient "
	    "$uuid:x $XDSDocumentEntryPatientId $uid:k", &out, err,
	    sizeof err), XDS_OK);
	u1 = conform_var_get(&v, "uuid:x");
	u2 = conform_var_get(&v, "uuid:y");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u2);
	CU_ASSERT_EQUAL(strncmp(u1, "urn:uuid:", 9), 0);
	CU_ASSERT_STRING_NOT_EQUAL(u1, u2);
	CU_ASSERT_EQUAL(strncmp(conform_var_get(&v, "uid:k"), "2.25.", 5), 0);
	snprintf(want, sizeof want, "<Ref id=\"%s\"/><Other id=\"%s\"/> "
	    "P^^^&amp;1.2&amp;ISO %s $XDSDocumentEntryPatientId %s", u1, u2, u1,
	    conform_var_get(&v, "uid:k"));
	CU_ASSERT_STRING_EQUAL(buf_str(&out), want);
	buf_reset(&out);
	CU_ASSERT_EQUAL(conform_expand(&v, "@{nope}", &out, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nope"));
	buf_reset(&out);
	CU_ASSERT_NOT_EQUAL(conform_expand(&v, "@{ref}", &out, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "%id%"));
	/* a default naming another parameter takes its value */
	buf_reset(&out);
	CU_ASSERT_EQUAL(conform_expand(&v, "@{lid id=a}@{lid id=b lid=a}", &out,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&out),
	    "<o id=\"a\" lid=\"a\"/><o id=\"b\" lid=\"a\"/>");
	buf_reset(&out);
	CU_ASSERT_NOT_EQUAL(conform_expand(&v, "$sha1:nodoc", &out, err,
	    sizeof err), XDS_OK);
	buf_free(&out);
	conform_vars_free(&v);
}

static const char answer[] =
    "<q:AdhocQueryResponse xmlns:q=\"urn:oasis:names:tc:ebxml-regrep:xsd:"
    "query:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\" "
    "xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" status=\"urn:"
    "oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure\">"
    "<rs:RegistryErrorList><rs:RegistryError errorCode=\"XDSRegistryError\" "
    "codeContext=\"x\" location=\"urn:oid:1.2\"/></rs:RegistryErrorList>"
    "<rim:RegistryObjectList>"
    "<rim:ExtrinsicObject id=\"urn:uuid:1\" home=\"urn:oid:1.2\" status=\""
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\"><rim:Slot name="
    "\"size\"><rim:ValueList><rim:Value>11</rim:Value></rim:ValueList>"
    "</rim:Slot></rim:ExtrinsicObject>"
    "<rim:ExtrinsicObject id=\"urn:uuid:2\"/>"
    "</rim:RegistryObjectList></q:AdhocQueryResponse>";

static const char judged[] =
    "test = q\nactor = registry\nsend = ITI-18\n"
    "expect.status = Success\n"
    "expect.error = XDSUnknownPatientId\n"
    "expect.count.ExtrinsicObject = 3\n"
    "expect.home = present\n"
    "expect.objstatus = urn:uuid:1 Deprecated\n"
    "expect.slot = urn:uuid:1 size 12\n"
    "---\n";

static void
test_check(void)
{
	struct conform_test t, t2;
	struct conform_vars v;
	struct conform_seen seen;
	char err[256], reason[CONFORM_REASON_MAX];
	const char *ok = "test = q\nactor = registry\nsend = ITI-18\n"
	    "expect.status = Failure\nexpect.error = XDSRegistryError\n"
	    "expect.count.ExtrinsicObject = 2\nexpect.location = urn:oid:1.2\n"
	    "expect.slot = urn:uuid:1 size 11\n---\n";
	xmlDoc *doc;

	conform_vars_init(&v);
	doc = xml_parse(answer, strlen(answer), err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL_FATAL(conform_test_parse("j.t", judged,
	    strlen(judged), &t, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(conform_check(&t, &v, xmlDocGetRootElement(doc), 0,
	    "", NULL, &seen, reason, sizeof reason), 0);
	CU_ASSERT_STRING_EQUAL(seen.status, "Failure");
	CU_ASSERT_STRING_EQUAL(seen.errors, "XDSRegistryError");
	CU_ASSERT_EQUAL(seen.nobj[CC_EXTRINSIC], 2);
	CU_ASSERT_STRING_EQUAL(seen.home, "urn:oid:1.2");
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "status: expected Success, "
	    "seen Failure [XDSRegistryError]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "error: expected "
	    "XDSUnknownPatientId, seen XDSRegistryError"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "ExtrinsicObject: expected 3, "
	    "seen 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "home: 1 of 2 objects without "
	    "home"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "urn:uuid:1: status Approved, "
	    "expected Deprecated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "slot size is 11, expected 12"));
	CU_ASSERT_EQUAL_FATAL(conform_test_parse("o.t", ok, strlen(ok), &t2,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(conform_check(&t2, &v, xmlDocGetRootElement(doc), 0,
	    "", NULL, &seen, reason, sizeof reason), 1);
	CU_ASSERT_STRING_EQUAL(reason, "");
	/* a fault is judged as the status "Fault" */
	CU_ASSERT_EQUAL(conform_check(&t2, &v, NULL, 1, "Sender: bad", NULL,
	    &seen, reason, sizeof reason), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "seen a SOAP fault (Sender: "
	    "bad)"));
	conform_test_free(&t);
	conform_test_free(&t2);
	xmlFreeDoc(doc);
	conform_vars_free(&v);
}

static const char versions[] =
    "<q:AdhocQueryResponse xmlns:q=\"urn:oasis:names:tc:ebxml-regrep:xsd:"
    "query:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\" "
    "status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\">"
    "<rim:RegistryObjectList>"
    "<rim:ExtrinsicObject id=\"urn:uuid:1\" lid=\"urn:uuid:1\">"
    "<rim:VersionInfo versionName=\"1\"/></rim:ExtrinsicObject>"
    "<rim:ExtrinsicObject id=\"urn:uuid:2\" lid=\"urn:uuid:1\"/>"
    "</rim:RegistryObjectList></q:AdhocQueryResponse>";

static const char retrieved[] =
    "<b:RetrieveDocumentSetResponse xmlns:b=\"urn:ihe:iti:xds-b:2007\" "
    "xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\">"
    "<rs:RegistryResponse status=\"urn:oasis:names:tc:ebxml-regrep:"
    "ResponseStatusType:Success\"/>"
    "<b:DocumentResponse><b:HomeCommunityId>urn:oid:1.2</b:HomeCommunityId>"
    "<b:DocumentUniqueId>1.3</b:DocumentUniqueId></b:DocumentResponse>"
    "<b:DocumentResponse><b:DocumentUniqueId>1.4</b:DocumentUniqueId>"
    "</b:DocumentResponse></b:RetrieveDocumentSetResponse>";

/* expect.version (VersionInfo), and home of DocumentResponses. */
static void
test_check_version_home(void)
{
	static const char tv[] = "test = v\nactor = registry\nsend = ITI-18\n"
	    "expect.status = Success\nexpect.version = urn:uuid:1 1\n"
	    "expect.version = urn:uuid:2 2\nexpect.version = urn:uuid:3 1\n"
	    "---\n";
	static const char th[] = "test = h\nactor = x\nsend = RAD-75\n"
	    "expect.status = Success\nexpect.home = urn:oid:1.2\n"
	    "expect.count.DocumentResponse = 2\n---\n";
	struct conform_test t;
	struct conform_vars v;
	struct conform_seen seen;
	char err[256], reason[CONFORM_REASON_MAX];
	xmlDoc *doc;

	conform_vars_init(&v);
	doc = xml_parse(versions, strlen(versions), err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL_FATAL(conform_test_parse("v.t", tv, strlen(tv), &t,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(conform_check(&t, &v, xmlDocGetRootElement(doc), 0,
	    "", NULL, &seen, reason, sizeof reason), 0);
	CU_ASSERT_PTR_NULL(strstr(reason, "urn:uuid:1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "urn:uuid:2: versionName none, "
	    "expected 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "urn:uuid:3: not in the answer"));
	conform_test_free(&t);
	xmlFreeDoc(doc);
	doc = xml_parse(retrieved, strlen(retrieved), err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL_FATAL(conform_test_parse("h.t", th, strlen(th), &t,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(conform_check(&t, &v, xmlDocGetRootElement(doc), 0,
	    "", NULL, &seen, reason, sizeof reason), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "home: 1 of 2 objects without "
	    "home urn:oid:1.2 (first: DocumentResponse: no HomeCommunityId)"));
	conform_test_free(&t);
	xmlFreeDoc(doc);
	conform_vars_free(&v);
}

/* Every compiled-in definition reads, and every fragment it uses exists
 * (its template fills). */
static const char *
builtin_frag(void *arg, const char *name)
{
	const struct soap_schema *s;
	char want[128];

	(void)arg;
	snprintf(want, sizeof want, "frag/%s.xml", name);
	for (s = conform_files; s->name != NULL; s++)
		if (strcmp(s->name, want) == 0)
			return s->data;
	return NULL;
}

static void
test_builtin(void)
{
	const struct soap_schema *s;
	struct conform_test t;
	struct conform_vars v;
	struct buf out;
	char err[512];
	size_t n = 0;
	int rc;

	for (s = conform_files; s->name != NULL; s++) {
		size_t len = strlen(s->name);
		xmlDoc *doc;

		if (len < 3 || strcmp(s->name + len - 2, ".t") != 0)
			continue;
		rc = conform_test_parse(s->name, s->data, s->len, &t, err,
		    sizeof err);
		CU_ASSERT_EQUAL(rc, XDS_OK);
		if (rc != XDS_OK) {
			fprintf(stderr, "%s\n", err);
			continue;
		}
		conform_vars_init(&v);
		v.frag = builtin_frag;
		(void)conform_var_set(&v, "patient", "1^^^&1.2&ISO");
		(void)conform_var_set(&v, "repo", "1.2.3");
		(void)conform_var_set(&v, "home", "urn:oid:1.2.3");
		buf_init(&out, CONFORM_MAX_BODY);
		/* the documents a test sends are made by the run; here
		 * their values are stand-ins */
		(void)conform_var_set(&v, "sha1:d4", "x");
		(void)conform_var_set(&v, "size:d4", "1");
		(void)conform_var_set(&v, "sha1:d5", "x");
		(void)conform_var_set(&v, "size:d5", "1");
		(void)conform_var_set(&v, "sha1:d6", "x");
		rc = conform_expand(&v, t.body, &out, err, sizeof err);
		CU_ASSERT_EQUAL(rc, XDS_OK);
		if (rc != XDS_OK)
			fprintf(stderr, "%s: %s\n", s->name, err);
		else {
			/* a well-formed message */
			doc = xml_parse(buf_str(&out), out.b_len, err,
			    sizeof err);
			CU_ASSERT_PTR_NOT_NULL(doc);
			if (doc == NULL)
				fprintf(stderr, "%s: %s\n", s->name, err);
			xmlFreeDoc(doc);
		}
		buf_free(&out);
		conform_vars_free(&v);
		conform_test_free(&t);
		n++;
	}
	CU_ASSERT(n >= 60);
}

static const struct cutest tests[] = {
	{ "parse", test_parse },
	{ "parse errors", test_parse_errors },
	{ "parse option", test_parse_option },
	{ "expand", test_expand },
	{ "check", test_check },
	{ "check version and home", test_check_version_home },
	{ "compiled-in definitions", test_builtin },
};

int
main(void)
{
	xml_init();
	return cutest_run("conform", tests, NELEM(tests));
}
