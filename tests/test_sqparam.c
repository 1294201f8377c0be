/* test_sqparam.c: stored query slot values: every encoding, every error. */
#include "config.h"

#include "cutest.h"
#include <stdlib.h>
#include <string.h>

#include "sqparam.h"
#include "vocab.h"

/* Splitter: collect the items into "item|item|" with a q/u mark. */
static int
collect(void *arg, const char *item, size_t n, int quoted)
{
	char *out = arg;
	size_t l = strlen(out);

	if (l + n + 3 >= 512)
		return XDS_ETOOBIG;
	out[l++] = quoted ? 'q' : 'u';
	memcpy(out + l, item, n);
	out[l + n] = '|';
	out[l + n + 1] = '\0';
	return XDS_OK;
}

static int
split(const char *s, char *out)
{
	char err[256];

	out[0] = '\0';
	return sqp_split(s, strlen(s), collect, out, err, sizeof err);
}

static void
test_split(void)
{
	char out[512];

	CU_ASSERT_EQUAL(split("'abc'", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "qabc|");
	CU_ASSERT_EQUAL(split("('a','b')", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "qa|qb|");
	CU_ASSERT_EQUAL(split("  ( 'a' ,\n\t'b' )  ", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "qa|qb|");
	CU_ASSERT_EQUAL(split("'it''s'", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "qit's|");
	CU_ASSERT_EQUAL(split("''''", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "q'|");
	CU_ASSERT_EQUAL(split("''", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "q|");
	CU_ASSERT_EQUAL(split("20041224", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "u20041224|");
	CU_ASSERT_EQUAL(split("(1, 2)", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "u1|u2|");
	CU_ASSERT_EQUAL(split("('a,b')", out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(out, "qa,b|");

	CU_ASSERT_EQUAL(split("'abc", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("('a','b'", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("('a' 'b')", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("'a' x", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("()", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("('a',)", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("   ", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("'a''", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("'a'b'", out), XDS_EFORMAT);
	CU_ASSERT_EQUAL(split("(('a'))", out), XDS_EFORMAT);
}

static void
test_split_bounds(void)
{
	char out[512], err[256], *big;
	size_t n = SQP_MAX_ITEM + 3;

	big = malloc(SQP_MAX_TEXT + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', n);
	big[0] = '\'';
	big[n - 1] = '\'';
	big[n] = '\0';
	out[0] = '\0';
	CU_ASSERT_EQUAL(sqp_split(big, n, collect, out, err, sizeof err),
	    XDS_ETOOBIG);
	memset(big, ' ', SQP_MAX_TEXT + 1);
	big[0] = '\'';
	big[1] = '\'';
	CU_ASSERT_EQUAL(sqp_split(big, SQP_MAX_TEXT + 1, collect, out, err,
	    sizeof err), XDS_ETOOBIG);
	CU_ASSERT_EQUAL(sqp_split(big, SQP_MAX_TEXT, collect, out, err,
	    sizeof err), XDS_OK);
	free(big);
}

/* Parse slots given as name, value, name, value ..., NULL.  A name
 * repeated right after itself adds a Value to the same slot when the
 * name starts with '+'. */
static int
parse(const char *qname, struct sqp_set *ps, char *err, size_t errlen,
    const char *const *kv)
{
	struct sqp_slot slots[16];
	const char *vals[16][8];
	size_t n = 0, i;

	for (i = 0; kv[i] != NULL; i += 2) {
		if (kv[i][0] == '+') {
			struct sqp_slot *s = &slots[n - 1];
			vals[n - 1][s->nvalues++] = kv[i + 1];
			continue;
		}
		slots[n].name = kv[i];
		slots[n].values = vals[n];
		slots[n].nvalues = 1;
		vals[n][0] = kv[i + 1];
		n++;
	}
	return sqp_parse(sqp_query_by_name(qname), slots, n, ps, err, errlen);
}

#define PID	"'p1^^^&1.2.3&ISO'"
#define APPROVED "('" STATUS_APPROVED "')"

static void
test_parse_finddocs(void)
{
	static const char *const kv[] = {
		"$XDSDocumentEntryPatientId", PID,
		"$XDSDocumentEntryStatus", "('" STATUS_APPROVED "', '"
		    STATUS_DEPRECATED "')",
		"$XDSDocumentEntryClassCode", "('C1^^S1', 'C2^^S2')",
		"+", "'C3^^S3'",
		"$XDSDocumentEntryEventCodeList", "('E1^^ES')",
		"$XDSDocumentEntryEventCodeList", "('E2^^ES', 'E3^^ES')",
		"$XDSDocumentEntryCreationTimeFrom", "2004",
		"$XDSDocumentEntryCreationTimeTo", "'20050101'",
		"$XDSDocumentEntryAuthorPerson", "'%Ford%'",
		"$MetadataLevel", "1",
		NULL
	};
	struct sqp_set ps;
	const struct sqp_param *p;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(parse("FindDocuments", &ps, err, sizeof err, kv),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(sqp_str(&ps, "$XDSDocumentEntryPatientId"),
	    "p1^^^&1.2.3&ISO");
	p = sqp_get(&ps, "$XDSDocumentEntryStatus");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->nv, 2);
	CU_ASSERT_STRING_EQUAL(p->v[1].str, STATUS_DEPRECATED);
	p = sqp_get(&ps, "$XDSDocumentEntryClassCode");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->nv, 3);
	CU_ASSERT_EQUAL(p->ngroups, 1);
	CU_ASSERT_STRING_EQUAL(p->v[0].str, "C1");
	CU_ASSERT_STRING_EQUAL(p->v[0].scheme, "S1");
	CU_ASSERT_STRING_EQUAL(p->v[2].str, "C3");
	CU_ASSERT_STRING_EQUAL(p->v[2].scheme, "S3");
	CU_ASSERT_EQUAL(p->v[2].group, 0);
	p = sqp_get(&ps, "$XDSDocumentEntryEventCodeList");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->nv, 3);
	CU_ASSERT_EQUAL(p->ngroups, 2);
	CU_ASSERT_EQUAL(p->v[0].group, 0);
	CU_ASSERT_EQUAL(p->v[1].group, 1);
	CU_ASSERT_EQUAL(p->v[2].group, 1);
	CU_ASSERT_STRING_EQUAL(sqp_str(&ps, "$XDSDocumentEntryCreationTimeFrom"),
	    "20040000000000");
	CU_ASSERT_STRING_EQUAL(sqp_str(&ps, "$XDSDocumentEntryCreationTimeTo"),
	    "20050101000000");
	CU_ASSERT_STRING_EQUAL(sqp_str(&ps, "$XDSDocumentEntryAuthorPerson"),
	    "%Ford%");
	p = sqp_get(&ps, "$MetadataLevel");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->v[0].num, 1);
	CU_ASSERT_PTR_NULL(sqp_get(&ps, "$XDSDocumentEntryTypeCode"));
	CU_ASSERT_PTR_NULL(sqp_get(&ps, "$NoSuchThing"));
	CU_ASSERT_EQUAL(ps.nvalues, 13);
	sqp_free(&ps);
}

/* Expect status st and a reason containing want. */
static void
expect(const char *q, int st, const char *want, const char *const *kv)
{
	struct sqp_set ps;
	char err[256] = "";
	int rc;

	rc = parse(q, &ps, err, sizeof err, kv);
	CU_ASSERT_EQUAL(rc, st);
	if (rc != st)
		fprintf(stderr, "\n%s: got %d (%s), want %d\n", q, rc, err, st);
	if (want != NULL) {
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
		if (strstr(err, want) == NULL)
			fprintf(stderr, "\nreason '%s' lacks '%s'\n", err, want);
	}
	sqp_free(&ps);
}

static void
test_parse_errors(void)
{
	/* Required parameter missing. */
	expect("FindDocuments", SQP_EMISSING, "$XDSDocumentEntryStatus",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID, NULL });
	expect("FindDocuments", SQP_EMISSING, "$XDSDocumentEntryPatientId",
	    (const char *const[]){ "$XDSDocumentEntryStatus", APPROVED, NULL });
	expect("GetDocuments", SQP_EMISSING, "$XDSDocumentEntryEntryUUID",
	    (const char *const[]){ "$MetadataLevel", "1", NULL });
	expect("GetRelatedDocuments", SQP_EMISSING, "$AssociationTypes",
	    (const char *const[]){ "$XDSDocumentEntryEntryUUID", "'urn:uuid:x'",
	    NULL });
	/* Several values in a single-valued parameter. */
	expect("FindDocuments", SQP_ENUMBER, "single value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId",
	    "('p1^^^&1.2.3&ISO', 'p2^^^&1.2.3&ISO')",
	    "$XDSDocumentEntryStatus", APPROVED, NULL });
	expect("FindDocuments", SQP_ENUMBER, "single value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "+", PID, "$XDSDocumentEntryStatus", APPROVED, NULL });
	expect("FindDocuments", SQP_ENUMBER, "CreationTimeFrom",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryCreationTimeFrom", "(2004, 2005)", NULL });
	/* A non-repeatable slot repeated. */
	expect("FindDocuments", SQP_ENUMBER, "more than one slot",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryClassCode", "('a^^b')",
	    "$XDSDocumentEntryClassCode", "('c^^d')", NULL });
	expect("FindDocuments", SQP_ENUMBER, NULL,
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED, NULL });
	/* Both of an exclusive pair. */
	expect("GetDocuments", SQP_ENUMBER, "only one",
	    (const char *const[]){ "$XDSDocumentEntryEntryUUID", "('urn:uuid:a')",
	    "$XDSDocumentEntryUniqueId", "('1.2')", NULL });
	expect("GetSubmissionSetAndContents", SQP_ENUMBER, "single value",
	    (const char *const[]){ "$XDSSubmissionSetEntryUUID",
	    "('urn:uuid:a', 'urn:uuid:b')", NULL });
	/* Malformed values. */
	expect("FindDocuments", XDS_EFORMAT, "code^^codingScheme",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryClassCode",
	    "('DEMO-Lab^^1.3.6.1.4.1.21367.100.1', 'a^^')", NULL });
	expect("FindDocuments", XDS_EFORMAT, "code^^codingScheme",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryPracticeSettingCode", "('Dialysis')", NULL });
	expect("FindDocuments", XDS_EFORMAT, "code^^codingScheme",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryFormatCode", "('^^x')", NULL });
	expect("FindDocuments", XDS_EFORMAT, "code^^codingScheme",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryFormatCode", "('a^^b^c')", NULL });
	/* Parameters the query does not define are ignored (NIST 11897
	 * practicesetting_scheme): only their neighbours' format counts. */
	expect("FindDocuments", XDS_OK, NULL,
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryPracticeSettingCode", "('Dialysis^^1.2.3')",
	    "$XDSDocumentEntryPracticeSettingCodeScheme",
	    "('Connect-a-thon practiceSettingCodes')", NULL });
	expect("FindDocuments", XDS_OK, NULL,
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED, "$Bogus", "'x'", NULL });
	expect("FindDocuments", XDS_EFORMAT, "must be quoted",
	    (const char *const[]){ "$XDSDocumentEntryPatientId",
	    "p1^^^&1.2.3&ISO", "$XDSDocumentEntryStatus", APPROVED, NULL });
	expect("FindDocuments", XDS_EFORMAT, "must be quoted",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", "(" STATUS_APPROVED ")", NULL });
	expect("FindDocuments", XDS_EFORMAT, "invalid value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryCreationTimeFrom", "20041324", NULL });
	expect("FindDocuments", XDS_EFORMAT, "invalid value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSDocumentEntryCreationTimeTo", "2004-12-24", NULL });
	expect("FindDocuments", XDS_EFORMAT, "invalid value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId",
	    "'593603^^^&2.16.756.5.33.2.5.1.5.1&ISO'' and 611=611--'",
	    "$XDSDocumentEntryStatus", APPROVED, NULL });
	expect("FindDocuments", XDS_EFORMAT, "invalid value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED, "$MetadataLevel", "'1'", NULL });
	expect("FindDocuments", XDS_EFORMAT, "invalid value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", APPROVED, "$MetadataLevel", "-1", NULL });
	expect("FindDocuments", XDS_EFORMAT, "empty value",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", PID,
	    "$XDSDocumentEntryStatus", "('')", NULL });
	expect("FindDocuments", XDS_EFORMAT, "unterminated",
	    (const char *const[]){ "$XDSDocumentEntryPatientId", "'p1",
	    "$XDSDocumentEntryStatus", APPROVED, NULL });
}

static void
test_parse_bounds(void)
{
	struct sqp_slot slots[SQP_MAX_SLOTS + 1], one;
	const char *v[1] = { "'x'" };
	const char **many;
	struct sqp_set ps;
	char err[256];
	size_t i;

	for (i = 0; i < SQP_MAX_SLOTS + 1; i++) {
		slots[i].name = "$uuid";
		slots[i].values = v;
		slots[i].nvalues = 1;
	}
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("GetAssociations"), slots,
	    SQP_MAX_SLOTS + 1, &ps, err, sizeof err), XDS_ETOOBIG);
	sqp_free(&ps);
	/* No value at all in a slot. */
	one.name = "$uuid";
	one.values = v;
	one.nvalues = 0;
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("GetAssociations"), &one, 1,
	    &ps, err, sizeof err), XDS_EFORMAT);
	sqp_free(&ps);
	/* Values past SQP_MAX_VALUES. */
	many = calloc(SQP_MAX_VALUES + 1, sizeof *many);
	CU_ASSERT_PTR_NOT_NULL_FATAL(many);
	for (i = 0; i < SQP_MAX_VALUES + 1; i++)
		many[i] = "'urn:uuid:a'";
	one.values = many;
	one.nvalues = SQP_MAX_VALUES;
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("GetAssociations"), &one, 1,
	    &ps, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(sqp_get(&ps, "$uuid")->nv, SQP_MAX_VALUES);
	sqp_free(&ps);
	one.nvalues = SQP_MAX_VALUES + 1;
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("GetAssociations"), &one, 1,
	    &ps, err, sizeof err), XDS_ETOOBIG);
	sqp_free(&ps);
	free(many);
}

static void
test_tables(void)
{
	const struct sqp_query *q;
	size_t i, j, k;

	CU_ASSERT_PTR_NULL(sqp_query_at(SQP_NQUERIES));
	CU_ASSERT_PTR_NULL(sqp_query_by_id("urn:uuid:nope"));
	CU_ASSERT_PTR_NULL(sqp_query_by_name(NULL));
	for (i = 0; i < SQP_NQUERIES; i++) {
		q = sqp_query_at(i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		CU_ASSERT_EQUAL(q->qid, (enum sqp_qid)i);
		CU_ASSERT_PTR_EQUAL(sqp_query_by_id(q->id), q);
		CU_ASSERT_PTR_EQUAL(sqp_query_by_name(q->name), q);
		/* No parameter twice in one table. */
		for (j = 0; j < q->nparams; j++)
			for (k = j + 1; k < q->nparams; k++)
				CU_ASSERT(strcmp(q->params[j].name,
				    q->params[k].name) != 0);
	}
	CU_ASSERT_STRING_EQUAL(sqp_query_by_name("GetAll")->id, SQ_GETALL);
	CU_ASSERT_STRING_EQUAL(sqp_query_by_id(SQ_FINDDOCSBYREFID)->name,
	    "FindDocumentsByReferenceId");
	CU_ASSERT_PTR_NULL(sqp_errcode(XDS_OK));
	CU_ASSERT_STRING_EQUAL(sqp_errcode(SQP_EMISSING), ERR_SQ_MISSING_PARAM);
	CU_ASSERT_STRING_EQUAL(sqp_errcode(SQP_ENUMBER), ERR_SQ_PARAM_NUMBER);
	CU_ASSERT_STRING_EQUAL(sqp_errcode(XDS_EFORMAT), ERR_REGISTRY);
	CU_ASSERT_STRING_EQUAL(sqp_errcode(XDS_ETOOBIG), ERR_REGISTRY);
}

static const struct cutest tests[] = {
	{ "split", test_split },
	{ "split bounds", test_split_bounds },
	{ "parse FindDocuments", test_parse_finddocs },
	{ "parse errors", test_parse_errors },
	{ "parse bounds", test_parse_bounds },
	{ "tables", test_tables },
};

int
main(void)
{
	return cutest_run("sqparam", tests, sizeof tests / sizeof tests[0]);
}
