/*
 * test_hl7v2.c: the HL7 v2 ER7 parser and acknowledgment writer
 * (lib/model/hl7v2.c).
 */
#include "config.h"

#include "cutest.h"
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hl7v2.h"
#include "status.h"
#include "vocab.h"

#define A01 "MSH|^~\\&|HIS|ZH^1.2.3^ISO|XDS|NODE|20261206120000||ADT^A01^ADT_A01|" \
	"MSG0001|P|2.5\r" \
	"EVN|A01|20261206120000\r" \
	"PID|||12345^^^&1.2.3.4&ISO~999911120^^^&2.16.840.1.113883.2.4.6.3&ISO" \
	"||Jansen^Jan\\T\\Piet^^^^^L||19800101|M\r" \
	"PV1||O\r"

static void
test_parse(void)
{
	struct hl7v2_msg m;
	char err[128], v[64];

	CU_ASSERT_EQUAL_FATAL(hl7v2_parse(A01, strlen(A01), &m, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(m.nseg, 4);
	CU_ASSERT_EQUAL(hl7v2_count(&m, "PID"), 1);
	CU_ASSERT_EQUAL(hl7v2_count(&m, "MRG"), 0);
	CU_ASSERT_EQUAL(hl7v2_get(&m, "MSH", 0, 1, 0, 1, 1, v, sizeof v), 1);
	CU_ASSERT_STRING_EQUAL(v, "|");
	CU_ASSERT_EQUAL(hl7v2_get(&m, "MSH", 0, 2, 0, 1, 1, v, sizeof v), 4);
	CU_ASSERT_STRING_EQUAL(v, "^~\\&");
	CU_ASSERT(hl7v2_get(&m, "MSH", 0, 3, 0, 1, 1, v, sizeof v) == 3);
	CU_ASSERT_STRING_EQUAL(v, "HIS");
	hl7v2_get(&m, "MSH", 0, 4, 0, 2, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "1.2.3");
	hl7v2_get(&m, "MSH", 0, 9, 0, 2, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "A01");
	hl7v2_get(&m, "MSH", 0, 10, 0, 1, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "MSG0001");
	hl7v2_get(&m, "MSH", 0, 12, 0, 1, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "2.5");
	/* repetitions, components, subcomponents */
	CU_ASSERT_EQUAL(hl7v2_nrep(&m, "PID", 0, 3), 2);
	hl7v2_get(&m, "PID", 0, 3, 1, 1, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "999911120");
	hl7v2_get(&m, "PID", 0, 3, 1, 4, 2, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "2.16.840.1.113883.2.4.6.3");
	CU_ASSERT_EQUAL(hl7v2_get(&m, "PID", 0, 3, 0, 4, 1, v, sizeof v), 0);
	CU_ASSERT_STRING_EQUAL(v, "");
	/* escapes: \T\ is the subcomponent separator */
	hl7v2_get(&m, "PID", 0, 5, 0, 2, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "Jan&Piet");
	/* absent: a field, a repetition, a component, a segment */
	CU_ASSERT_EQUAL(hl7v2_get(&m, "PID", 0, 30, 0, 1, 1, v, sizeof v), -1);
	CU_ASSERT_EQUAL(hl7v2_get(&m, "PID", 0, 3, 2, 1, 1, v, sizeof v), -1);
	CU_ASSERT_EQUAL(hl7v2_get(&m, "PV1", 0, 2, 0, 2, 1, v, sizeof v), -1);
	CU_ASSERT_EQUAL(hl7v2_get(&m, "MRG", 0, 1, 0, 1, 1, v, sizeof v), -1);
	CU_ASSERT_EQUAL(hl7v2_get(&m, "PID", 1, 3, 0, 1, 1, v, sizeof v), -1);
	CU_ASSERT_EQUAL(hl7v2_nrep(&m, "PID", 0, 2), 0);
	/* too small: nothing of it */
	CU_ASSERT_EQUAL(hl7v2_get(&m, "PID", 0, 3, 1, 1, 1, v, 4), -2);
	CU_ASSERT_STRING_EQUAL(v, "");
}

static void
test_encoding(void)
{
	/* other encoding characters, LF and CR LF ends, hex escapes */
	static const char msg[] = "MSH#$*@%#A#B#C#D#1##ADT$A08#X1#P#2.3.1\r\n"
	    "PID###77$$$%1.2.3%ISO*88$$$%4.5.6%ISO##A@X41@@F@B\n";
	struct hl7v2_msg m;
	char err[128], v[64];

	CU_ASSERT_EQUAL_FATAL(hl7v2_parse(msg, strlen(msg), &m, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(m.nseg, 2);
	hl7v2_get(&m, "MSH", 0, 9, 0, 2, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "A08");
	CU_ASSERT_EQUAL(hl7v2_nrep(&m, "PID", 0, 3), 2);
	hl7v2_get(&m, "PID", 0, 3, 1, 4, 2, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "4.5.6");
	hl7v2_get(&m, "PID", 0, 5, 0, 1, 1, v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, "AA#B");
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"",
		"PID|1",
		"MSH",
		"MSH|^~\\",			/* short */
		"MSH|^~|X|Y",			/* two encoding characters */
		"MSH|^^\\&|A",			/* not distinct */
		"MSH|^~\\A|B",			/* a letter */
		"MSH|^~\\&|A\rP|1",		/* a two-letter segment */
		"MSH|^~\\&|A\rpid|1",		/* lower case */
		"MSH|^~\\&|A\rPIDX1",		/* no separator */
		"MSH|^~\\&|A\rMSH|^~\\&|B",	/* a batch */
	};
	struct hl7v2_msg m;
	char err[128], big[HL7V2_MAX_MESSAGE + 8];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(hl7v2_parse(bad[i], strlen(bad[i]), &m, err,
		    sizeof err), XDS_EFORMAT);
		CU_ASSERT(err[0] != '\0');
	}
	CU_ASSERT_EQUAL(hl7v2_parse("MSH|^~\\&|\0|", 12, &m, err,
	    sizeof err), XDS_EFORMAT);
	memset(big, 'X', sizeof big);
	memcpy(big, "MSH|^~\\&|", 9);
	CU_ASSERT_EQUAL(hl7v2_parse(big, sizeof big, &m, err, sizeof err),
	    XDS_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most"));
}

static void
test_ack(void)
{
	struct hl7v2_msg m;
	struct hl7v2_ack a = { HL7_ACK_ACCEPT, NULL, NULL, NULL, "ACK1",
	    "20261206120001" };
	struct buf b;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(hl7v2_parse(A01, strlen(A01), &m, err,
	    sizeof err), XDS_OK);
	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(hl7v2_write_ack(&m, &a, &b), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "MSH|^~\\&|XDS|NODE|HIS|"
	    "ZH^1.2.3^ISO|20261206120001||ACK^A01^ACK|ACK1|P|2.5\r"
	    "MSA|AA|MSG0001\r");
	buf_free(&b);

	buf_init(&b, 4096);
	a.code = HL7_ACK_ERROR;
	a.err_code = HL7_ERR_UNKNOWN_KEY;
	a.err_loc = "PID^1^3";
	a.text = "no id of 1.2|3";
	CU_ASSERT_EQUAL(hl7v2_write_ack(&m, &a, &b), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "\rMSA|AE|MSG0001|"
	    "no id of 1.2\\F\\3\rERR||PID^1^3|204^no id of 1.2\\F\\3^HL70357|"
	    "E\r"));
	/* the answer parses */
	CU_ASSERT_EQUAL(hl7v2_parse(buf_str(&b), strlen(buf_str(&b)), &m,
	    err, sizeof err), XDS_OK);
	buf_free(&b);

	/* without a request: empty MSH fields, no MSA-2 */
	buf_init(&b, 4096);
	a.code = HL7_ACK_REJECT;
	a.err_loc = NULL;
	a.err_code = HL7_ERR_SEGMENT;
	a.text = "bad";
	CU_ASSERT_EQUAL(hl7v2_write_ack(NULL, &a, &b), XDS_OK);
	CU_ASSERT_STRING_EQUAL(buf_str(&b), "MSH|^~\\&|||||20261206120001||"
	    "ACK^^ACK|ACK1|P|2.5\rMSA|AR||bad\rERR|||100^bad^HL70357|E\r");
	buf_free(&b);
}

static const struct cutest tests[] = {
	{ "parse", test_parse },
	{ "other encoding characters", test_encoding },
	{ "malformed", test_bad },
	{ "acknowledgment", test_ack },
};

int
main(void)
{
	return cutest_run("hl7v2", tests, sizeof tests / sizeof tests[0]);
}
