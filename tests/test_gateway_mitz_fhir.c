/*
 * test_gateway_mitz_fhir.c: Mitz's subscriptions and notifications as
 * FHIR JSON (gateway/mitz_fhir.h): the Subscription as Mitz's profile
 * wants it and refusals of one that cannot be made, the id in Mitz's
 * answer, notifications read (patients by reference and by identifier,
 * each once) and refused (not JSON, not a transaction Bundle, no
 * Consent, a patient without a BSN, past the bounds) with reasons that
 * name no patient.
 */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "mitz_fhir.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

#define BSN1	"999911120"
#define BSN2	"999990019"

static const struct mitz_sub SUB = {
	BSN1, "12345678", "V6", "https://node.example/mitz/notify",
	"urn:oid:2.16.528.1.1007.3.3.1234", "urn:oid:2.16.528.1.1007.3.3.99"
};

static const char *
str_at(json_t *root, const char *path)
{
	json_t *v = json_object_get(root, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

static void
test_sub_json(void)
{
	struct buf b;
	json_t *root, *ch, *ext, *prof;
	json_error_t je;
	char err[256];

	buf_init(&b, 64 * 1024);
	CU_ASSERT_EQUAL_FATAL(mitz_sub_json(&SUB, &b, err, sizeof err),
	    XDS_OK);
	root = json_loadb(b.b_data, b.b_len, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(str_at(root, "resourceType"), "Subscription");
	CU_ASSERT_PTR_NULL(json_object_get(root, "id"));
	CU_ASSERT_STRING_EQUAL(str_at(root, "status"), "requested");
	CU_ASSERT_STRING_EQUAL(str_at(root, "reason"), "OTV");
	CU_ASSERT_STRING_EQUAL(str_at(root, "criteria"),
	    "Consent?_query=otv&patientid=" BSN1 "&providerid=12345678"
	    "&providertype=V6");
	prof = json_object_get(json_object_get(root, "meta"), "profile");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(prof, 0)),
	    MITZ_SUB_PROFILE);
	ch = json_object_get(root, "channel");
	CU_ASSERT_STRING_EQUAL(str_at(ch, "type"), "rest-hook");
	CU_ASSERT_STRING_EQUAL(str_at(ch, "endpoint"),
	    "https://node.example/mitz/notify");
	CU_ASSERT_STRING_EQUAL(str_at(ch, "payload"), "application/fhir+json");
	ext = json_object_get(root, "extension");
	CU_ASSERT_EQUAL(json_array_size(ext), 2);
	CU_ASSERT_STRING_EQUAL(str_at(json_array_get(ext, 0), "url"),
	    MITZ_EXT_GATEWAY);
	CU_ASSERT_STRING_EQUAL(str_at(json_array_get(ext, 0), "valueOid"),
	    "urn:oid:2.16.528.1.1007.3.3.1234");
	CU_ASSERT_STRING_EQUAL(str_at(json_array_get(ext, 1), "url"),
	    MITZ_EXT_SOURCE);
	CU_ASSERT_STRING_EQUAL(str_at(json_array_get(ext, 1), "valueOid"),
	    "urn:oid:2.16.528.1.1007.3.3.99");
	json_decref(root);
	buf_free(&b);
}

static void
test_sub_refused(void)
{
	struct mitz_sub s;
	struct buf b;
	char err[256];

	buf_init(&b, 64 * 1024);
	s = SUB;
	s.bsn = "123456789";		/* not 11-proof */
	CU_ASSERT_EQUAL(mitz_sub_json(&s, &b, err, sizeof err), XDS_EINVAL);
	CU_ASSERT_PTR_NULL(strstr(err, "123456789"));
	s = SUB;
	s.notify_url = "";
	CU_ASSERT_EQUAL(mitz_sub_json(&s, &b, err, sizeof err), XDS_EINVAL);
	s = SUB;
	s.source_oid = NULL;
	CU_ASSERT_EQUAL(mitz_sub_json(&s, &b, err, sizeof err), XDS_EINVAL);
	CU_ASSERT_EQUAL(b.b_len, 0);
	buf_free(&b);
	/* an answer too long for the buffer */
	buf_init(&b, 64);
	CU_ASSERT_EQUAL(mitz_sub_json(&SUB, &b, err, sizeof err), XDS_ETOOBIG);
	buf_free(&b);
}

static int
answer_id(const char *s, char *id, size_t idlen)
{
	char err[256];

	return mitz_sub_answer_id(s, strlen(s), id, idlen, err, sizeof err);
}

static void
test_sub_answer(void)
{
	char id[MITZ_SUB_ID_MAX];

	CU_ASSERT_EQUAL(answer_id("{\"resourceType\":\"Subscription\","
	    "\"id\":\"4f1c-2b.9\",\"status\":\"active\"}", id, sizeof id),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(id, "4f1c-2b.9");
	CU_ASSERT_EQUAL(answer_id("", id, sizeof id), XDS_OK);
	CU_ASSERT_STRING_EQUAL(id, "");
	CU_ASSERT_EQUAL(answer_id("{\"resourceType\":\"Subscription\"}", id,
	    sizeof id), XDS_OK);
	CU_ASSERT_STRING_EQUAL(id, "");
	CU_ASSERT_EQUAL(answer_id("{\"resourceType\":\"OperationOutcome\"}",
	    id, sizeof id), XDS_EFORMAT);
	CU_ASSERT_EQUAL(answer_id("{\"resourceType\":\"Subscription\","
	    "\"id\":\"a/b\"}", id, sizeof id), XDS_EFORMAT);
	CU_ASSERT_EQUAL(answer_id("{\"resourceType\":\"Subscription\","
	    "\"id\":\"abcdef\"}", id, 4), XDS_EFORMAT);
	CU_ASSERT_EQUAL(answer_id("[", id, sizeof id), XDS_EFORMAT);
}

/* A notification of patients by reference (fullUrl), one Consent each,
 * and an Organization. */
#define PAT(url, bsn) "{\"fullUrl\":\"" url "\",\"resource\":{" \
	"\"resourceType\":\"Patient\",\"identifier\":[{\"system\":" \
	"\"http://fhir.nl/fhir/NamingSystem/bsn\",\"value\":\"" bsn "\"}]}}"
#define CONSENT(patient) "{\"resource\":{\"resourceType\":\"Consent\"," \
	"\"status\":\"active\",\"patient\":" patient "}}"
#define ORG "{\"resource\":{\"resourceType\":\"Organization\"}}"
#define BUNDLE(entries) "{\"resourceType\":\"Bundle\",\"type\":" \
	"\"transaction\",\"entry\":[" entries "]}"

static int
parse(const char *s, struct mitz_notify *n, char *err, size_t errlen)
{
	return mitz_notify_parse(s, strlen(s), n, err, errlen);
}

static void
test_notify(void)
{
	struct mitz_notify n;
	char err[256];

	CU_ASSERT_EQUAL(parse(BUNDLE(PAT("urn:uuid:1", BSN1) ","
	    CONSENT("{\"reference\":\"urn:uuid:1\"}") ","
	    CONSENT("{\"reference\":\"urn:uuid:1\"}") "," ORG ","
	    PAT("urn:uuid:2", BSN2) ","
	    CONSENT("{\"reference\":\"urn:uuid:2\"}")), &n, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n.nconsent, 3);
	CU_ASSERT_EQUAL_FATAL(n.npatient, 2);
	CU_ASSERT_STRING_EQUAL(n.bsn[0], BSN1);
	CU_ASSERT_STRING_EQUAL(n.bsn[1], BSN2);
	/* by the Patient's id, and by an identifier of the reference */
	CU_ASSERT_EQUAL(parse(BUNDLE("{\"resource\":{\"resourceType\":"
	    "\"Patient\",\"id\":\"p7\",\"identifier\":[{\"system\":\"x\","
	    "\"value\":\"1\"},{\"system\":\"urn:oid:2.16.840.1.113883.2.4.6.3\","
	    "\"value\":\"" BSN2 "\"}]}}," CONSENT("{\"reference\":"
	    "\"Patient/p7\"}") "," CONSENT("{\"identifier\":{\"system\":"
	    "\"http://fhir.nl/fhir/NamingSystem/bsn\",\"value\":\"" BSN1
	    "\"}}")), &n, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n.npatient, 2);
	CU_ASSERT_STRING_EQUAL(n.bsn[0], BSN2);
	CU_ASSERT_STRING_EQUAL(n.bsn[1], BSN1);
}

static void
refused(const char *s, int want, const char *why)
{
	struct mitz_notify n;
	char err[256] = "";

	CU_ASSERT_EQUAL(parse(s, &n, err, sizeof err), want);
	if (strstr(err, why) == NULL) {
		fprintf(stderr, "\nwanted %s, got %s\n", why, err);
		CU_FAIL("reason");
	}
	CU_ASSERT_PTR_NULL(strstr(err, BSN1));
}

static void
test_notify_refused(void)
{
	char *big;
	size_t i, n, cap = 1100 * 80 + 256;

	refused("", XDS_EFORMAT, "not JSON");
	refused("{\"resourceType\":\"Bundle\",\"type\":\"transaction\","
	    "\"entry\":[],\"type\":\"x\"}", XDS_EFORMAT, "not JSON");
	refused("[]", XDS_EFORMAT, "not a Bundle");
	refused("{\"resourceType\":\"Consent\"}", XDS_EFORMAT, "not a Bundle");
	refused("{\"resourceType\":\"Bundle\",\"type\":\"searchset\","
	    "\"entry\":[]}", XDS_EFORMAT, "not a transaction");
	refused("{\"resourceType\":\"Bundle\",\"type\":\"transaction\"}",
	    XDS_EFORMAT, "no entries");
	refused(BUNDLE(""), XDS_EFORMAT, "no Consent");
	refused(BUNDLE(ORG), XDS_EFORMAT, "no Consent");
	refused(BUNDLE("{\"fullUrl\":\"x\"}"), XDS_EFORMAT, "no resource");
	refused(BUNDLE("{\"resource\":{\"resourceType\":\"Consent\"}}"),
	    XDS_EFORMAT, "without a patient");
	refused(BUNDLE(CONSENT("{\"reference\":\"urn:uuid:9\"}")),
	    XDS_EFORMAT, "no BSN");
	refused(BUNDLE(PAT("urn:uuid:1", "123456789") ","
	    CONSENT("{\"reference\":\"urn:uuid:1\"}")), XDS_EFORMAT, "no BSN");
	refused(BUNDLE(PAT("urn:uuid:1", BSN1) ","
	    CONSENT("{\"reference\":\"urn:uuid:1\"}") ","
	    CONSENT("{\"identifier\":{\"system\":\"x\",\"value\":\"" BSN1
	    "\"}}")), XDS_EFORMAT, "no BSN");
	/* past the bound on entries */
	big = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	n = (size_t)snprintf(big, cap, "{\"resourceType\":\"Bundle\","
	    "\"type\":\"transaction\",\"entry\":[");
	for (i = 0; i <= MITZ_NOTIFY_MAX_ENTRIES; i++)
		n += (size_t)snprintf(big + n, cap - n, "%s%s", i ? "," : "",
		    ORG);
	snprintf(big + n, cap - n, "]}");
	refused(big, XDS_ETOOBIG, "more than");
	free(big);
}

int
main(void)
{
	static const struct cutest tests[] = {
		{ "subscription", test_sub_json },
		{ "subscription refused", test_sub_refused },
		{ "subscription answer", test_sub_answer },
		{ "notification", test_notify },
		{ "notification refused", test_notify_refused },
	};

	return cutest_run("gateway_mitz_fhir", tests, NELEM(tests));
}
