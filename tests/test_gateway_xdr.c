/*
 * test_gateway_xdr.c: how the XDR Document Recipient knows who sends
 * (xdr_subject_ura, gateway/xdr.h): the URA of a certificate subject as
 * the transport writes it (RFC 2253), subjects without one, values that
 * only look like one, escapes, and a subject naming two.
 */
#include "config.h"

#include "cutest.h"
#include <string.h>

#include "xdr.h"

static void
test_ura_found(void)
{
	static const char *const subjects[] = {
		"CN=xdr.b.example,organizationIdentifier=URA-00007002,"
		    "O=Ziekenhuis B",
		"organizationIdentifier=URA-00007002",
		"CN=a+organizationIdentifier=URA-00007002,O=B",
		"2.5.4.97=URA-00007002,CN=b",
		"ORGANIZATIONIDENTIFIER=URA-00007002",
		/* the same URA twice is one */
		"organizationIdentifier=URA-00007002,"
		    "organizationIdentifier=URA-00007002",
		/* an escaped comma in another value does not end it early */
		"O=Ziekenhuis B\\, locatie Oost,"
		    "organizationIdentifier=URA-00007002",
	};
	char ura[16];
	size_t i;

	for (i = 0; i < NELEM(subjects); i++) {
		memset(ura, 'x', sizeof ura);
		CU_ASSERT_EQUAL(xdr_subject_ura(subjects[i], ura, sizeof ura),
		    1);
		CU_ASSERT_STRING_EQUAL(ura, "00007002");
	}
}

static void
test_ura_none(void)
{
	static const char *const subjects[] = {
		"",
		"anonymous",
		"CN=client,O=Test Hospital",
		"organizationIdentifier=NTRNL-12345678",	/* a KvK number */
		"organizationIdentifier=URA-0000700",		/* 7 digits */
		"organizationIdentifier=URA-000070021",		/* 9 */
		"organizationIdentifier=URA-0000700a",
		"organizationIdentifier=ura-00007002",
		"organizationIdentifier= URA-00007002",
		"serialNumber=URA-00007002",
		"O=URA-00007002",
		"CN=organizationIdentifier\\=URA-00007002",
		"organizationIdentifierX=URA-00007002",
		"organizationIdentifier",
		"organizationIdentifier=,=,,+",
	};
	char ura[16];
	size_t i;

	for (i = 0; i < NELEM(subjects); i++) {
		CU_ASSERT_EQUAL(xdr_subject_ura(subjects[i], ura, sizeof ura),
		    0);
		CU_ASSERT_STRING_EQUAL(ura, "");
	}
}

static void
test_ura_refused(void)
{
	char ura[16], small[8], longv[200];

	/* two organisations: which one sends is unknown */
	CU_ASSERT_EQUAL(xdr_subject_ura("organizationIdentifier=URA-00007001,"
	    "organizationIdentifier=URA-00007002", ura, sizeof ura), -1);
	CU_ASSERT_EQUAL(xdr_subject_ura("organizationIdentifier=URA-00007002",
	    small, sizeof small), -1);
	/* a value over the bound is skipped, not cut to a URA */
	memset(longv, '0', sizeof longv);
	memcpy(longv, "organizationIdentifier=URA-", 27);
	longv[sizeof longv - 1] = '\0';
	CU_ASSERT_EQUAL(xdr_subject_ura(longv, ura, sizeof ura), 0);
}

int
main(void)
{
	static const struct cutest tests[] = {
		{ "found", test_ura_found },
		{ "none", test_ura_none },
		{ "refused", test_ura_refused },
	};
	static const struct cutest_suite suites[] = {
		{ "xdr_subject_ura", NULL, NULL, tests, NELEM(tests) },
	};

	return cutest_run_suites(suites, NELEM(suites));
}
