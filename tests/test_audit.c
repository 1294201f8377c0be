/*
 * test_audit.c: the access log's hash chain (seal, head, verify over
 * changed, deleted and torn records) and the ATNA audit messages of each
 * transaction and side, well-formed, and valid against the DICOM audit
 * schema when the corpus has one (an .xsd declaring AuditMessage).
 */
#include "config.h"

#include "cutest.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "atna.h"
#include "audit_chain.h"
#include "audit_int.h"
#include "buf.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xact.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static const struct atna_site site = {
	"xdsnode-test", "Test Hospital", "10.0.0.1",
	"urn:oid:1.3.6.1.4.1.21367.13.70.1", "1.3.6.1.4.1.21367.13.71.1", 4242
};

/* ---- the chain ---- */

/* A record as the log writes it, linked to *head; *head becomes its hash. */
static void
add_record(struct buf *file, const char *body, char *head)
{
	struct buf b;
	char hex[AUDIT_CHAIN_HEX];

	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(buf_addf(&b, "{\"event\":\"%s\"}\n", body), XDS_OK);
	CU_ASSERT_EQUAL(audit_chain_seal(&b, head, hex), XDS_OK);
	CU_ASSERT_EQUAL(buf_add(file, b.b_data, b.b_len), XDS_OK);
	str_lcpy(head, hex, AUDIT_CHAIN_HEX);
	buf_free(&b);
}

static void
test_chain_seal(void)
{
	struct buf b;
	char hex[AUDIT_CHAIN_HEX], again[AUDIT_CHAIN_HEX];

	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(buf_adds(&b, "{\"a\":1}\n"), XDS_OK);
	CU_ASSERT_EQUAL(audit_chain_seal(&b, ZEROS, hex), XDS_OK);
	CU_ASSERT_STRING_EQUAL(b.b_data, "{\"a\":1,\"prev\":\"" ZEROS "\"}\n");
	CU_ASSERT_EQUAL(b.b_len, 8 + AUDIT_CHAIN_FIELD - 2 + 1);
	audit_chain_hash(b.b_data, b.b_len - 1, again);
	CU_ASSERT_STRING_EQUAL(hex, again);
	/* SHA-256 of "abc" */
	audit_chain_hash("abc", 3, again);
	CU_ASSERT_STRING_EQUAL(again, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	buf_reset(&b);
	CU_ASSERT_EQUAL(buf_adds(&b, "not a record"), XDS_OK);
	CU_ASSERT_EQUAL(audit_chain_seal(&b, ZEROS, hex), XDS_EFORMAT);
	buf_free(&b);
}

static void
write_log(const char *dir, const char *name, const struct buf *b)
{
	char path[1024];

	str_fmt(path, sizeof path, "%s/%s", dir, name);
	CU_ASSERT_EQUAL(testutil_write_file(path, b->b_data, b->b_len), 0);
}

static void
test_chain_verify(void)
{
	struct audit_verify v;
	struct buf d1, d2, bad;
	char dir[512], head[AUDIT_CHAIN_HEX] = ZEROS, got[AUDIT_CHAIN_HEX];
	char err[256], path[1024], *p;
	int fd;

	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("audit-chain", dir, sizeof dir),
	    0);
	CU_ASSERT_EQUAL(audit_chain_head(dir, got, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(got, ZEROS);
	buf_init(&d1, 1 << 16);
	buf_init(&d2, 1 << 16);
	buf_init(&bad, 1 << 18);
	/* Two records written before the chain began, then three days. */
	CU_ASSERT_EQUAL(buf_adds(&d1, "{\"event\":\"old\"}\n"), XDS_OK);
	audit_chain_hash("{\"event\":\"old\"}", 15, head);
	add_record(&d1, "ITI-18", head);
	add_record(&d1, "ITI-42", head);
	add_record(&d2, "ITI-43", head);
	add_record(&d2, "ITI-62", head);
	write_log(dir, "access-2026-01-01.jsonl", &d1);
	write_log(dir, "access-2026-01-02.jsonl", &d2);
	CU_ASSERT_EQUAL(testutil_write_text(strcat(strcpy(path, dir),
	    "/access-2026-01-03.jsonl"), ""), 0);
	CU_ASSERT_EQUAL(audit_chain_head(dir, got, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(got, head);
	fd = open(strcat(strcpy(path, dir), "/access-2026-01-02.jsonl"),
	    O_RDONLY);
	CU_ASSERT_EQUAL(audit_chain_last(fd, got), 1);
	CU_ASSERT_STRING_EQUAL(got, head);
	close(fd);

	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 0);
	CU_ASSERT_EQUAL(v.files, 3);
	CU_ASSERT_EQUAL(v.records, 5);
	CU_ASSERT_EQUAL(v.unchained, 1);

	/* A changed record: the one after it is broken, and names it. */
	CU_ASSERT_EQUAL(buf_add(&bad, d1.b_data, d1.b_len), XDS_OK);
	p = strstr(bad.b_data, "ITI-42");
	p[5] = '3';
	write_log(dir, "access-2026-01-01.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_STRING_EQUAL(v.file, "access-2026-01-02.jsonl");
	CU_ASSERT_EQUAL(v.line, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what,
	    "access-2026-01-01.jsonl line 3"));

	/* A deleted record: the one after the gap. */
	write_log(dir, "access-2026-01-01.jsonl", &d1);
	buf_reset(&bad);
	p = strchr(d2.b_data, '\n') + 1;
	CU_ASSERT_EQUAL(buf_add(&bad, p, d2.b_len - (size_t)(p - d2.b_data)),
	    XDS_OK);
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_STRING_EQUAL(v.file, "access-2026-01-02.jsonl");
	CU_ASSERT_EQUAL(v.line, 1);

	/* A link removed after the chain began; a torn tail. */
	buf_reset(&bad);
	CU_ASSERT_EQUAL(buf_add(&bad, d2.b_data, d2.b_len), XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&bad, "{\"event\":\"x\"}\n"), XDS_OK);
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_EQUAL(v.line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "prev"));
	bad.b_len--;
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "torn"));
	/* The head is the last whole record, whatever is torn after it. */
	fd = open(strcat(strcpy(path, dir), "/access-2026-01-02.jsonl"),
	    O_RDONLY);
	CU_ASSERT_EQUAL(audit_chain_last(fd, got), 1);
	CU_ASSERT_STRING_EQUAL(got, head);
	close(fd);

	/* A line longer than any record. */
	buf_reset(&bad);
	CU_ASSERT_EQUAL(buf_add(&bad, d2.b_data, d2.b_len), XDS_OK);
	while (bad.b_len < d2.b_len + AUDIT_LINE_MAX + 10 &&
	    buf_adds(&bad, "xxxxxxxx") == XDS_OK)
		;
	CU_ASSERT_EQUAL(buf_adds(&bad, "\n"), XDS_OK);
	write_log(dir, "access-2026-01-02.jsonl", &bad);
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_EQUAL(v.line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "longer"));

	/* The first file removed: the chain does not begin where it did. */
	write_log(dir, "access-2026-01-02.jsonl", &d2);
	unlink(strcat(strcpy(path, dir), "/access-2026-01-01.jsonl"));
	CU_ASSERT_EQUAL(audit_verify(dir, &v, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(v.broken, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.what, "removed"));
	buf_free(&d1);
	buf_free(&d2);
	buf_free(&bad);
	testutil_rmtree(dir);
}

/* ---- ATNA messages ---- */

static xmlSchemaPtr audit_schema;
static int schema_looked;

static void
schema_candidate(const char *path, void *arg)
{
	xmlSchemaParserCtxtPtr pc;
	char *text;

	(void)arg;
	if (audit_schema != NULL ||
	    (text = testutil_read_file(path, NULL)) == NULL)
		return;
	if (strstr(text, "name=\"AuditMessage\"") != NULL &&
	    (pc = xmlSchemaNewParserCtxt(path)) != NULL) {
		audit_schema = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
		if (audit_schema != NULL)
			fprintf(stderr, "(DICOM audit schema %s) ", path);
	}
	free(text);
}

/* The DICOM audit message schema of the corpus, or NULL. */
static xmlSchemaPtr
find_schema(void)
{
	if (!schema_looked && testutil_testdata() != NULL)
		(void)testutil_walk(testutil_testdata(), ".xsd",
		    schema_candidate, NULL);
	schema_looked = 1;
	return audit_schema;
}

/* The message of x, parsed (well-formed) and schema-checked when the
 * schema is there; the text, to free. */
static char *
message(const struct xact *x)
{
	xmlSchemaValidCtxtPtr vc;
	xmlDoc *doc;
	struct buf b;
	size_t len;
	char *s;

	buf_init(&b, 1 << 16);
	CU_ASSERT_EQUAL_FATAL(atna_message(x, "2026-12-06T10:00:00.123Z",
	    &site, &b), XDS_OK);
	s = buf_take(&b, &len);
	doc = xmlReadMemory(s, (int)len, "atna.xml", NULL, XML_PARSE_NONET);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	if (find_schema() != NULL) {
		vc = xmlSchemaNewValidCtxt(audit_schema);
		CU_ASSERT_EQUAL(xmlSchemaValidateDoc(vc, doc), 0);
		xmlSchemaFreeValidCtxt(vc);
	}
	xmlFreeDoc(doc);
	return s;
}

static void
server_xact(struct xact *x, const char *txn, const char *endpoint)
{
	xact_begin(x, NULL, endpoint, "CN=Dr. Jansen,O=Ziekenhuis Oost",
	    "192.0.2.7");
	str_lcpy(x->txn, txn, sizeof x->txn);
	xact_set_patient(x, "999911120^^^&" OID_BSN "&ISO");
}

#define HAS(s, t)	CU_ASSERT_PTR_NOT_NULL(strstr((s), (t)))
#define HASNT(s, t)	CU_ASSERT_PTR_NULL(strstr((s), (t)))

static void
test_atna_register(void)
{
	struct xact x;
	char *m;

	server_xact(&x, TXN_ITI42, "/xds/registry");
	xact_set_object(&x, "1.2.3.4.5");
	m = message(&x);
	HAS(m, "<EventIdentification EventActionCode=\"C\" "
	    "EventDateTime=\"2026-12-06T10:00:00.123Z\" "
	    "EventOutcomeIndicator=\"0\">");
	HAS(m, "<EventID csd-code=\"110107\" codeSystemName=\"DCM\" "
	    "originalText=\"Import\"/>");
	HAS(m, "<EventTypeCode csd-code=\"ITI-42\" codeSystemName=\"IHE "
	    "Transactions\" originalText=\"Register Document Set-b\"/>");
	HAS(m, "<ActiveParticipant UserID=\"CN=Dr. Jansen,O=Ziekenhuis Oost\""
	    " UserIsRequestor=\"true\" NetworkAccessPointID=\"192.0.2.7\" "
	    "NetworkAccessPointTypeCode=\"2\"><RoleIDCode csd-code=\"110153\"");
	HAS(m, "<ActiveParticipant UserID=\"/xds/registry\" "
	    "AlternativeUserID=\"4242\" UserIsRequestor=\"false\" "
	    "NetworkAccessPointID=\"10.0.0.1\"");
	HAS(m, "csd-code=\"110152\"");
	/* the human requestor */
	HAS(m, "<ActiveParticipant UserID=\"CN=Dr. Jansen,O=Ziekenhuis Oost\""
	    " UserIsRequestor=\"true\"/>");
	HAS(m, "<AuditSourceIdentification AuditEnterpriseSiteID=\"Test "
	    "Hospital\" AuditSourceID=\"xdsnode-test\">");
	HAS(m, "ParticipantObjectID=\"999911120^^^&amp;" OID_BSN
	    "&amp;ISO\" ParticipantObjectTypeCode=\"1\" "
	    "ParticipantObjectTypeCodeRole=\"1\"><ParticipantObjectIDTypeCode "
	    "csd-code=\"2\" codeSystemName=\"RFC-3881\"");
	HAS(m, "ParticipantObjectID=\"1.2.3.4.5\" ParticipantObjectTypeCode="
	    "\"2\" ParticipantObjectTypeCodeRole=\"20\">"
	    "<ParticipantObjectIDTypeCode csd-code=\"" NODE_SUBMISSIONSET "\"");
	HAS(m, "<ParticipantObjectName>1.2.3.4.5</ParticipantObjectName>");
	free(m);

	/* The repository's side of the same transaction: it asked. */
	xact_begin(&x, NULL, NULL, "https://registry.example/xds/registry",
	    "");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	xact_fail(&x, XACT_FAILURE, "XDSRegistryError");
	m = message(&x);
	HAS(m, "EventActionCode=\"R\"");
	HAS(m, "EventOutcomeIndicator=\"8\"");
	HAS(m, "csd-code=\"110106\"");
	HAS(m, "<ActiveParticipant UserID=\"xdsnode-test\" AlternativeUserID="
	    "\"4242\" UserIsRequestor=\"true\" "
	    "NetworkAccessPointID=\"10.0.0.1\"");
	HAS(m, "<ActiveParticipant UserID=\"https://registry.example/xds/"
	    "registry\" UserIsRequestor=\"false\" NetworkAccessPointID="
	    "\"registry.example\" NetworkAccessPointTypeCode=\"1\"");
	HASNT(m, "ParticipantObjectIdentification");
	free(m);
}

static void
test_atna_query_retrieve(void)
{
	struct xact x;
	char *m;

	server_xact(&x, TXN_ITI38, "/xca/rgw");
	xact_set_object(&x, "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d");
	x.outcome = XACT_PARTIAL;
	m = message(&x);
	HAS(m, "EventActionCode=\"E\"");
	HAS(m, "EventOutcomeIndicator=\"4\"");
	HAS(m, "csd-code=\"110112\" codeSystemName=\"DCM\" originalText="
	    "\"Query\"");
	HAS(m, "ParticipantObjectTypeCodeRole=\"24\">"
	    "<ParticipantObjectIDTypeCode csd-code=\"ITI-38\" "
	    "codeSystemName=\"IHE Transactions\"");
	/* base64 of the home community id */
	HAS(m, "<ParticipantObjectDetail type=\"urn:ihe:iti:xca:2010:"
	    "homeCommunityId\" value=\"dXJuOm9pZDoxLjMuNi4xLjQuMS4yMTM2Ny4x"
	    "My43MC4x\"/>");
	free(m);

	server_xact(&x, TXN_ITI43, "/xds/repository");
	xact_set_object(&x, "1.2.3.9");
	m = message(&x);
	HAS(m, "EventActionCode=\"R\"");
	HAS(m, "csd-code=\"110106\"");
	HAS(m, "ParticipantObjectID=\"1.2.3.9\" ParticipantObjectTypeCode=\"2\""
	    " ParticipantObjectTypeCodeRole=\"3\"><ParticipantObjectIDTypeCode "
	    "csd-code=\"9\" codeSystemName=\"RFC-3881\"");
	HAS(m, "type=\"Repository Unique Id\" value=\"MS4zLjYuMS40LjEuMjEzN"
	    "jcuMTMuNzEuMQ==\"");
	free(m);

	server_xact(&x, TXN_ITI39, "/xca/rgw/retrieve");
	xact_set_object(&x, "1.2.3.9");
	m = message(&x);
	HAS(m, "type=\"ihe:homeCommunityID\"");
	free(m);

	server_xact(&x, TXN_ITI62, "/xds/registry");
	xact_set_object(&x, "urn:uuid:aaaaaaaa-0000-4000-8000-000000000000");
	m = message(&x);
	HAS(m, "EventActionCode=\"D\"");
	HAS(m, "csd-code=\"110110\"");
	HAS(m, "csd-code=\"urn:ihe:iti:2017:ObjectRef\"");
	free(m);

	/* The bridge publishing a study (RAD-68, the node asks). */
	xact_begin(&x, NULL, "dicom", "http://127.0.0.1:1/xds/repository",
	    "127.0.0.1");
	str_lcpy(x.txn, TXN_RAD68, sizeof x.txn);
	xact_set_object(&x, "1.2.840.1");
	m = message(&x);
	HAS(m, "EventActionCode=\"R\"");
	HAS(m, "csd-code=\"110180\" codeSystemName=\"DCM\"");
	free(m);
	server_xact(&x, TXN_RAD69, "/xdsi/rad69");
	m = message(&x);
	HAS(m, "csd-code=\"110104\"");
	free(m);
}

static void
test_atna_hostile(void)
{
	static const struct atna_site bare;
	struct buf b;
	struct xact x;
	char *m;

	/* Not an IHE transaction: no message. */
	buf_init(&b, 1 << 16);
	xact_begin(&x, NULL, "/health", "", "127.0.0.1");
	str_lcpy(x.txn, "HEALTH", sizeof x.txn);
	CU_ASSERT_EQUAL(atna_message(&x, "t", &site, &b), XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(b.b_len, 0);
	buf_free(&b);
	/* Markup and control characters from a peer stay data. */
	server_xact(&x, TXN_ITI18, "/xds/registry");
	str_lcpy(x.peer, "CN=\"<x>\"\x01&,O=a'b", sizeof x.peer);
	xact_set_object(&x, "q\n<AuditMessage>");
	m = message(&x);
	HAS(m, "UserID=\"CN=&quot;&lt;x&gt;&quot;?&amp;,O=a&apos;b\"");
	HAS(m, "ParticipantObjectID=\"q?&lt;AuditMessage&gt;\"");
	HASNT(m, "anonymous");
	free(m);
	/* Between actors of this node: both ends are the node. */
	xact_begin(&x, NULL, "/xds/registry", "in-process", "local");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	m = message(&x);
	HAS(m, "<ActiveParticipant UserID=\"xdsnode-test\" AlternativeUserID="
	    "\"4242\" UserIsRequestor=\"true\" "
	    "NetworkAccessPointID=\"10.0.0.1\"");
	HASNT(m, "in-process");
	HASNT(m, "\"local\"");
	free(m);
	xact_begin(&x, NULL, NULL, "in-process", "local");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	m = message(&x);
	HAS(m, "<ActiveParticipant UserID=\"in-process\" UserIsRequestor="
	    "\"false\" NetworkAccessPointID=\"10.0.0.1\"");
	free(m);
	/* What the schema requires is there even without a value. */
	buf_init(&b, 1 << 16);
	xact_begin(&x, NULL, NULL, "", "");
	str_lcpy(x.txn, TXN_ITI42, sizeof x.txn);
	str_lcpy(x.peer, "", sizeof x.peer);
	CU_ASSERT_EQUAL(atna_message(&x, "2026-12-06T10:00:00.000Z", &bare,
	    &b), XDS_OK);
	HAS(b.b_data, "AuditSourceID=\"-\"");
	HAS(b.b_data, "<ActiveParticipant UserID=\"-\"");
	buf_free(&b);
	/* An anonymous peer is no human requestor. */
	xact_begin(&x, NULL, "/xds/registry", "", "127.0.0.1");
	str_lcpy(x.txn, TXN_ITI18, sizeof x.txn);
	m = message(&x);
	HAS(m, "UserID=\"anonymous\"");
	CU_ASSERT_PTR_NULL(strstr(strstr(m, "anonymous") + 1, "anonymous"));
	free(m);
	if (audit_schema == NULL)
		fputs("no DICOM audit schema in the corpus: well-formedness "
		    "only ", stderr);
	else
		xmlSchemaFree(audit_schema);
	audit_schema = NULL;
}

/* A record read back for the sender: the fields its message needs. */
static void
test_record_parse(void)
{
	static const char line[] = "{\"time\":\"2026-12-06T10:00:00.123Z\","
	    "\"event\":\"ITI-43\",\"action\":\"a\",\"endpoint\":"
	    "\"/xds/repository\",\"user\":\"CN=\\\"x\\\"\",\"address\":"
	    "\"192.0.2.1\",\"patient\":\"p^^^&1.2&ISO\",\"object\":\"1.2\","
	    "\"outcome\":\"partial\",\"outcome_code\":4,\"http_status\":200,"
	    "\"errors\":\"\",\"reason\":\"\",\"message_id\":\"m\","
	    "\"duration_ms\":1.5,\"prev\":\"" ZEROS "\"}";
	struct xact x;
	char when[40];

	CU_ASSERT_EQUAL_FATAL(audit_record_parse(line, strlen(line), &x, when,
	    sizeof when), XDS_OK);
	CU_ASSERT_STRING_EQUAL(when, "2026-12-06T10:00:00.123Z");
	CU_ASSERT_STRING_EQUAL(x.txn, "ITI-43");
	CU_ASSERT_STRING_EQUAL(x.endpoint, "/xds/repository");
	CU_ASSERT_STRING_EQUAL(x.peer, "CN=\"x\"");
	CU_ASSERT_STRING_EQUAL(x.peer_addr, "192.0.2.1");
	CU_ASSERT_STRING_EQUAL(x.patient, "p^^^&1.2&ISO");
	CU_ASSERT_STRING_EQUAL(x.object, "1.2");
	CU_ASSERT_EQUAL(x.outcome, XACT_PARTIAL);
	CU_ASSERT_EQUAL(audit_record_parse("{\"time\":1}", 10, &x, when,
	    sizeof when), XDS_EFORMAT);
	CU_ASSERT_EQUAL(audit_record_parse("{\"time\":\"", 9, &x, when,
	    sizeof when), XDS_EFORMAT);
}

int
main(void)
{
	static const struct cutest tests[] = {
		{ "chain seal", test_chain_seal },
		{ "chain verify", test_chain_verify },
		{ "atna register", test_atna_register },
		{ "atna query retrieve", test_atna_query_retrieve },
		{ "atna hostile", test_atna_hostile },
		{ "record parse", test_record_parse },
	};

	return cutest_run("audit", tests, NELEM(tests));
}
