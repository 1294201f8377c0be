/* test_hl7dt.c: valid/invalid tables for every HL7 datatype check. */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <string.h>

#include "hl7dt.h"
#include "status.h"
#include "uzi.h"


typedef int (*check_fn)(const char *, size_t, char *, size_t);

/* Each table: the string and whether it must pass. */
struct tcase {
	const char	*s;
	int		 ok;
};

static void
run_table(const char *what, check_fn fn, const struct tcase *t, size_t n)
{
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		err[0] = '\0';
		rc = fn(t[i].s, strlen(t[i].s), err, sizeof err);
		if ((rc == 0) != t[i].ok)
			fprintf(stderr, "\n%s(\"%s\") = %d (%s), want %s\n",
			    what, t[i].s, rc, err, t[i].ok ? "ok" : "error");
		CU_ASSERT_EQUAL(rc == 0, t[i].ok);
		if (!t[i].ok) {
			CU_ASSERT(err[0] != '\0');	/* a reason is given */
		} else {
			CU_ASSERT_EQUAL(rc, 0);
		}
	}
}

static void
test_oid(void)
{
	static const struct tcase t[] = {
		{ "1.2.3", 1 },
		{ "2.16.840.1.113883.2.4.6.3", 1 },
		{ "1.3.6.1.4.1.21367.2005.3.7", 1 },
		{ "0", 0 },					/* one arc */
		{ "3.4.5", 1 },				/* NIST/dcm4chee data */
		{ "1.0.3", 1 },
		{ "1.2.0", 1 },
		{ "", 0 },
		{ "1..2", 0 },
		{ ".1.2", 0 },
		{ "1.2.", 0 },
		{ "1.02", 0 },
		{ "01.2", 0 },
		{ "1.2.a", 0 },
		{ "1.2 ", 0 },
		{ "urn:oid:1.2.3", 0 },
	};
	char err[128], big[80];

	run_table("hl7_oid_valid", hl7_oid_valid, t, NELEM(t));
	/* 64 characters pass, 65 do not. */
	memset(big, '2', sizeof big);
	memcpy(big, "1.", 2);
	CU_ASSERT_EQUAL(hl7_oid_valid(big, 64, err, sizeof err), 0);
	CU_ASSERT_EQUAL(hl7_oid_valid(big, 65, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "OID longer than 64 characters");
	/* Length counts, not the NUL: "1.2" inside a longer buffer. */
	CU_ASSERT_EQUAL(hl7_oid_valid("1.2.3x", 5, err, sizeof err), 0);
	CU_ASSERT_EQUAL(hl7_oid_valid("1.2\0.3", 5, err, sizeof err), -1);
	CU_ASSERT_EQUAL(hl7_oid_valid("1.02", 4, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "OID arc with a leading zero");
}

static void
test_uniqueid(void)
{
	static const struct tcase t[] = {
		{ "1.2.3", 1 },
		{ "1.3.6.1.4.1.21367.2005.3.99.1.1010^1234", 1 },
		{ "1.2.3^abcdefghijklmnop", 1 },		/* 16 */
		{ "1.2.3^abcdefghijklmnopq", 0 },		/* 17 */
		{ "1.2.3^\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9", 1 },		/* 16 UTF-8 chars */
		{ "1.2.3^", 0 },
		{ "1.2.3^a^b", 0 },
		{ "1.2.3^a b", 0 },
		{ "^abc", 0 },
		{ "1.2.03^abc", 0 },
		{ "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1", 0 },
		{ "", 0 },
	};

	run_table("hl7_uniqueid_valid", hl7_uniqueid_valid, t, NELEM(t));
}

static int
cx_check(const char *s, size_t len, char *err, size_t errlen)
{
	struct hl7_cx cx;

	return hl7_cx_parse(s, len, &cx, err, errlen);
}

static int
cxi_check(const char *s, size_t len, char *err, size_t errlen)
{
	struct hl7_cx cx;

	return hl7_cxi_parse(s, len, &cx, err, errlen);
}

static void
test_cx(void)
{
	static const struct tcase t[] = {
		{ "SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO", 1 },
		{ "900203638^^^&2.16.840.1.113883.2.4.6.3&ISO", 1 },
		{ "ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO^", 1 },
		{ "ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO^^", 1 },
		{ "ST-1000", 0 },				/* no AA */
		{ "ST-1000^^^", 0 },
		{ "ST-1000^^^&1.2.3", 0 },			/* no type */
		{ "ST-1000^^^&1.2.3&L", 0 },			/* not ISO */
		{ "ST-1000^^^&1.2.3&iso", 0 },
		{ "ST-1000^^^NS&1.2.3&ISO", 0 },		/* namespace id */
		{ "ST-1000^^^&1.2.x&ISO", 0 },			/* bad OID */
		{ "ST-1000^^^&&ISO", 0 },
		{ "ST-1000^1^^&1.2.3&ISO", 0 },			/* CX.2 */
		{ "ST-1000^^x^&1.2.3&ISO", 0 },			/* CX.3 */
		{ "ST-1000^^^&1.2.3&ISO^PI", 0 },		/* CX.5 */
		{ "ST-1000^^^&1.2.3&ISO^^^^^x", 0 },		/* CX.10 */
		{ "ST-1000^^^&1.2.3&ISO&x", 0 },
		{ "^^^&1.2.3&ISO", 0 },				/* no id */
		{ "a&b^^^&1.2.3&ISO", 0 },
		{ "a\tb^^^&1.2.3&ISO", 0 },
		{ "", 0 },
	};
	struct hl7_cx cx;
	char err[128], out[HL7_ID_MAX * 2];
	const char *s = "ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO^";

	run_table("hl7_cx_parse", cx_check, t, NELEM(t));
	CU_ASSERT_EQUAL(hl7_cx_parse(s, strlen(s), &cx, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(cx.id, "ST-1000");
	CU_ASSERT_STRING_EQUAL(cx.aa_oid, "1.3.6.1.4.1.21367.2003.3.9");
	CU_ASSERT_STRING_EQUAL(cx.id_type, "");
	CU_ASSERT_EQUAL(hl7_cx_format(&cx, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out,
	    "ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO");
	CU_ASSERT_EQUAL(hl7_cx_format(&cx, out, 10), -1);
	CU_ASSERT_EQUAL(hl7_cx_parse("x^^^&1.2&L", 10, &cx, err, sizeof err),
	    -1);
	CU_ASSERT_STRING_EQUAL(err, "assigning authority type must be ISO");
	/* Id of exactly HL7_ID_MAX - 1 bytes fits, one more does not. */
	{
		char big[HL7_ID_MAX + 32];

		memset(big, 'a', HL7_ID_MAX - 1);
		memcpy(big + HL7_ID_MAX - 1, "^^^&1.2&ISO", 12);
		CU_ASSERT_EQUAL(hl7_cx_parse(big, strlen(big), &cx, err,
		    sizeof err), 0);
		CU_ASSERT_EQUAL(strlen(cx.id), HL7_ID_MAX - 1);
		memset(big, 'a', HL7_ID_MAX);
		memcpy(big + HL7_ID_MAX, "^^^&1.2&ISO", 12);
		CU_ASSERT_EQUAL(hl7_cx_parse(big, strlen(big), &cx, err,
		    sizeof err), -1);
	}
}

static void
test_cxi(void)
{
	static const struct tcase t[] = {
		{ "2013001^^^&1.2.3.4.5.6&ISO^urn:ihe:iti:xds:2013:accession", 1 },
		{ "1.2.840.113619.2.62^^^^urn:ihe:iti:xds:2016:studyInstanceUID", 1 },
		{ "A1^^^NS&1.2.3&ISO^urn:ihe:iti:xds:2013:order^&1.2.4&ISO", 1 },
		{ "A1^^^&1.2.3&ISO", 0 },			/* no type */
		{ "^^^&1.2.3&ISO^urn:ihe:iti:xds:2013:order", 0 },
		{ "A1^^^&1.2.3&L^urn:ihe:iti:xds:2013:order", 0 },
		{ "A1^x^^^urn:ihe:iti:xds:2013:order", 0 },
	};
	struct hl7_cx cx;
	char err[128], out[HL7_ID_MAX * 2];

	run_table("hl7_cxi_parse", cxi_check, t, NELEM(t));
	CU_ASSERT_EQUAL(hl7_cxi_parse(t[0].s, strlen(t[0].s), &cx, err,
	    sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(cx.id, "2013001");
	CU_ASSERT_STRING_EQUAL(cx.aa_oid, "1.2.3.4.5.6");
	CU_ASSERT_STRING_EQUAL(cx.id_type, "urn:ihe:iti:xds:2013:accession");
	CU_ASSERT_EQUAL(hl7_cx_format(&cx, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, t[0].s);
	CU_ASSERT_EQUAL(hl7_cxi_parse(t[1].s, strlen(t[1].s), &cx, err,
	    sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(cx.aa_oid, "");
	CU_ASSERT_EQUAL(hl7_cx_format(&cx, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, t[1].s);
}

static void
test_dtm(void)
{
	static const struct tcase t[] = {
		{ "2005", 1 },
		{ "200512", 1 },
		{ "20051224", 1 },
		{ "2005122408", 1 },
		{ "200512240801", 1 },
		{ "20051224080159", 1 },
		{ "20240229", 1 },				/* leap year */
		{ "20000229", 1 },				/* 400 rule */
		{ "20230229", 0 },
		{ "19000229", 0 },				/* 100 rule */
		{ "20050431", 0 },
		{ "20051232", 0 },
		{ "20051200", 0 },
		{ "200513", 0 },
		{ "200500", 0 },
		{ "2005122424", 0 },
		{ "200512240860", 0 },
		{ "20051224080160", 0 },
		{ "205", 0 },
		{ "20051", 0 },
		{ "2005122408015", 0 },
		{ "200512240801599", 0 },
		{ "20051224080159.5", 0 },
		{ "20051224080159+0100", 0 },
		{ "2005-12-24", 0 },
		{ "", 0 },
	};
	char out[15], err[128];

	run_table("hl7_dtm_valid", hl7_dtm_valid, t, NELEM(t));
	CU_ASSERT_EQUAL(hl7_dtm_norm("2005", 4, out), 0);
	CU_ASSERT_STRING_EQUAL(out, "20050000000000");
	CU_ASSERT_EQUAL(hl7_dtm_norm("200412230800", 12, out), 0);
	CU_ASSERT_STRING_EQUAL(out, "20041223080000");
	CU_ASSERT_EQUAL(hl7_dtm_norm("20051224080159", 14, out), 0);
	CU_ASSERT_STRING_EQUAL(out, "20051224080159");
	CU_ASSERT_EQUAL(hl7_dtm_norm("2005x", 5, out), -1);
	CU_ASSERT_STRING_EQUAL(out, "");
	/* Normalised text order is time order. */
	CU_ASSERT_EQUAL(hl7_dtm_norm("200412", 6, out), 0);
	CU_ASSERT(strcmp(out, "20041201000000") < 0);
	CU_ASSERT_EQUAL(hl7_dtm_valid("20051224+0100", 13, err, sizeof err),
	    -1);
	CU_ASSERT_STRING_EQUAL(err,
	    "date/time with a time zone: XDS times are UTC without offset");
}

static void
test_uuid(void)
{
	char u[46], v[46];
	int i;

	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1", 45), 0);
	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "urn:uuid:7EDCA82F-054D-47F2-A032-9B2A5B5186C1", 45), 0);
	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c", 44), -1);
	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c12", 46), -1);
	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "urn:uuid:7edca82f054d-47f2-a032-9b2a5b5186c1-", 45), -1);
	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "urn:uuid:7edca82g-054d-47f2-a032-9b2a5b5186c1", 45), -1);
	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "urn:uid::7edca82f-054d-47f2-a032-9b2a5b5186c1", 45), -1);
	CU_ASSERT_EQUAL(hl7_uuid_valid(
	    "7edca82f-054d-47f2-a032-9b2a5b5186c1", 36), -1);
	CU_ASSERT_EQUAL(hl7_uuid_valid("Document01", 10), -1);
	CU_ASSERT_EQUAL(hl7_uuid_valid("", 0), -1);
	for (i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(hl7_uuid_new(u), 0);
		CU_ASSERT_EQUAL(strlen(u), 45);
		CU_ASSERT_EQUAL(hl7_uuid_valid(u, strlen(u)), 0);
		CU_ASSERT_EQUAL(u[9 + 14], '4');		/* version */
		CU_ASSERT(strchr("89ab", u[9 + 19]) != NULL);	/* variant */
	}
	CU_ASSERT_EQUAL(hl7_uuid_new(v), 0);
	CU_ASSERT(strcmp(u, v) != 0);
}

static void
test_xcn(void)
{
	static const struct tcase t[] = {
		{ "^Smitty^Gerald^^^", 1 },
		{ "^Dopplemeyer^Sherry^^^Dr^MD", 1 },
		{ "12345^DePinto^John^F^II^Mr.^^^IHENA&1.3.6.1.4.1.21367.2010.1.2.300&ISO", 1 },
		{ "123456789", 1 },
		{ "Gerald Smitty", 1 },		/* id only: loose but legal */
		{ "^Smitty&van", 1 },
		{ "^^Gerald", 0 },		/* given name only */
		{ "^^^^^", 0 },
		{ "1^^^^^^^^&1.2.x&ISO", 0 },
		{ "^Smitty\n", 0 },
		{ "", 0 },
	};

	run_table("hl7_xcn_valid", hl7_xcn_valid, t, NELEM(t));
}

static void
test_xon(void)
{
	static const struct tcase t[] = {
		{ "Cleveland Clinic", 1 },
		{ "Cleveland Clinic^^^^^&1.2.3&ISO^^^^CleveClin", 1 },
		{ "Parma Community^^^^^^^^^1.2.3", 1 },
		{ "Ziekenhuis^^^^^^^^^", 1 },
		{ "Some Hospital^^^^^^^^^^", 1 },
		{ "^^^^^^^^^1.2.3", 0 },				/* no name */
		{ "Parma^x", 0 },					/* XON.2 */
		{ "Parma^^^^^^^^x^1.2.3", 0 },				/* XON.9 */
		{ "Parma^^^^^^^^^CleveClin", 0 },	/* non-OID id, no AA */
		{ "Parma^^^^^&1.2.3&L^^^^CleveClin", 0 },
		{ "Parma^^^^^&1.2.x&ISO^^^^1.2", 0 },
		{ "Parma^^^^^^^^^1.2.3^x", 0 },				/* XON.11 */
		{ "", 0 },
	};

	run_table("hl7_xon_valid", hl7_xon_valid, t, NELEM(t));
}

static void
test_bsn(void)
{
	static const char *good[] = {
		"999911120", "900203638", "900203651", "111222333", "123456782",
		"100000009",	/* weighted sum 0: valid */
	};
	static const char *badv[] = {
		"900203639", "900203650", "123456789", "000000000", "99991112",
		"9999111200", "99991112a", " 99911120", "",
	};
	size_t i;

	for (i = 0; i < NELEM(good); i++)
		CU_ASSERT_EQUAL(hl7_bsn_valid(good[i], strlen(good[i])), 0);
	for (i = 0; i < NELEM(badv); i++)
		CU_ASSERT_EQUAL(hl7_bsn_valid(badv[i], strlen(badv[i])), -1);
	/* Only len bytes are read. */
	CU_ASSERT_EQUAL(hl7_bsn_valid("9002036381", 9), 0);
}

static void
test_lang(void)
{
	static const char *const good[] = { "nl", "nl-NL", "en-US", "de-CH-1901",
	    "zh-Hant-TW", "x-klingon", "abcdefgh-12345678" };
	static const char *const badv[] = { "", "-", "nl-", "-nl", "nl--NL",
	    "nl_NL", "1nl", "nl NL", "abcdefghi", "nl-123456789",
	    "aaaaaaaa-bbbbbbbb-cccccccc-ddddd" };
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		CU_ASSERT_EQUAL(hl7_lang_valid(good[i], strlen(good[i])), 0);
	for (i = 0; i < sizeof badv / sizeof badv[0]; i++)
		CU_ASSERT_EQUAL(hl7_lang_valid(badv[i], strlen(badv[i])), -1);
}

/* The UZI string of a certificate's otherName 2.5.5.5. */
static void
test_uzi(void)
{
	static const char srv[] =
	    "2.16.528.1.1003.1.3.5.5.5-1-12345678-S-00001234-00.000-00000000";
	static const char *const bad[] = {
	    "",
	    "2.16.528.1.1003.1.3.5.5.5-1-12345678-S-00001234-00.000",
	    "2.16.528.1.1003.1.3.5.5.5-1-12345678-S-00001234-00.000-00000000-9",
	    "2.16.528.1.1003.1.3.5.5.5-1-12345678-X-00001234-00.000-00000000",
	    "2.16.528.1.1003.1.3.5.5.5-1-12345678-S-1234-00.000-00000000",
	    "2.16.528.1.1003.1.3.5.5.5-1-12345678-S-0000123a-00.000-00000000",
	    "2.16.528.1.1003.1.3.5.5.5-1-12345678-S-00001234-00000-00000000",
	    "2.16..528-1-12345678-S-00001234-00.000-00000000",
	    "2.16.528.-1-12345678-S-00001234-00.000-00000000",
	    "2.16.528-x-12345678-S-00001234-00.000-00000000",
	    "2.16.528-1--S-00001234-00.000-00000000",
	    "2.16.528-1-12345678-SS-00001234-00.000-00000000",
	};
	struct uzi_id u;
	char err[128];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(uzi_parse(srv, sizeof srv - 1, &u, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(u.ca_oid, "2.16.528.1.1003.1.3.5.5.5");
	CU_ASSERT_STRING_EQUAL(u.version, "1");
	CU_ASSERT_STRING_EQUAL(u.number, "12345678");
	CU_ASSERT_EQUAL(u.card, 'S');
	CU_ASSERT_STRING_EQUAL(u.ura, "00001234");
	CU_ASSERT_STRING_EQUAL(u.role, "00.000");
	CU_ASSERT_STRING_EQUAL(u.agb, "00000000");
	/* ':' after the CA's OID, a professional's card */
	CU_ASSERT_EQUAL(uzi_parse("2.16.528.1.1003.1.3.5.5.2:1-900012345-Z-"
	    "90000123-01.015-12345678", 64, &u, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(u.card, 'Z');
	CU_ASSERT_STRING_EQUAL(u.role, "01.015");
	/* only len bytes are read */
	CU_ASSERT_EQUAL(uzi_parse(srv, sizeof srv - 2, &u, err, sizeof err),
	    XDS_EFORMAT);
	for (i = 0; i < NELEM(bad); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(uzi_parse(bad[i], strlen(bad[i]), &u, err,
		    sizeof err), XDS_EFORMAT);
		CU_ASSERT(err[0] != '\0');
	}
}

static const struct cutest tests[] = {
	{ "uzi", test_uzi },
	{ "oid", test_oid },
	{ "uniqueId", test_uniqueid },
	{ "cx", test_cx },
	{ "cxi", test_cxi },
	{ "dtm", test_dtm },
	{ "uuid", test_uuid },
	{ "xcn", test_xcn },
	{ "xon", test_xon },
	{ "bsn", test_bsn },
	{ "lang", test_lang },
};

int
main(void)
{
	return cutest_run("hl7dt", tests, sizeof tests / sizeof tests[0]);
}
