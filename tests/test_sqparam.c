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
	/* input, result, the items (q quoted, u not) */
	static const struct {
		const char	*in;
		int		 rc;
		const char	*want;
	} cases[] = {
		{ "'abc'", XDS_OK, "qabc|" },
		{ "('a','b')", XDS_OK, "qa|qb|" },
		{ "  ( 'a' ,\n\t'b' )  ", XDS_OK, "qa|qb|" },
		{ "'it''s'", XDS_OK, "qit's|" },
		{ "''''", XDS_OK, "q'|" },
		{ "''", XDS_OK, "q|" },
		{ "20041224", XDS_OK, "u20041224|" },
		{ "(1, 2)", XDS_OK, "u1|u2|" },
		{ "('a,b')", XDS_OK, "qa,b|" },
		{ "'abc", XDS_EFORMAT, NULL },
		{ "('a','b'", XDS_EFORMAT, NULL },
		{ "('a' 'b')", XDS_EFORMAT, NULL },
		{ "'a' x", XDS_EFORMAT, NULL },
		{ "()", XDS_EFORMAT, NULL },
		{ "('a',)", XDS_EFORMAT, NULL },
		{ "", XDS_EFORMAT, NULL },
		{ "   ", XDS_EFORMAT, NULL },
		{ "'a''", XDS_EFORMAT, NULL },
		{ "'a'b'", XDS_EFORMAT, NULL },
		{ "(('a'))", XDS_EFORMAT, NULL },
	};
	char out[512];
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = split(cases[i].in, out);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (cases[i].want != NULL)
			CU_ASSERT_STRING_EQUAL(out, cases[i].want);
		if (rc != cases[i].rc || (cases[i].want != NULL &&
		    strcmp(out, cases[i].want) != 0))
			fprintf(stderr, "\nsplit(%s): %d \"%s\"\n",
			    cases[i].in, rc, out);
	}
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
	CU_ASSERT_EQUAL(sqp_metadata_level(&ps), 1);
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

/* Slots that make a FindDocuments complete. */
#define FD_SLOTS "$XDSDocumentEntryPatientId", PID, "$XDSDocumentEntryStatus", \
	APPROVED

static void
test_parse_errors(void)
{
	/* query, status, a part of the reason (or NULL), the slots as for
	 * parse() */
	static const struct {
		const char	*q;
		int		 st;
		const char	*want;
		const char	*kv[12];
	} cases[] = {
		/* Required parameter missing. */
		{ "FindDocuments", SQP_EMISSING, "$XDSDocumentEntryStatus",
		    { "$XDSDocumentEntryPatientId", PID } },
		{ "FindDocuments", SQP_EMISSING, "$XDSDocumentEntryPatientId",
		    { "$XDSDocumentEntryStatus", APPROVED } },
		{ "GetDocuments", SQP_EMISSING, "$XDSDocumentEntryEntryUUID",
		    { "$MetadataLevel", "1" } },
		{ "GetRelatedDocuments", SQP_EMISSING, "$AssociationTypes",
		    { "$XDSDocumentEntryEntryUUID", "'urn:uuid:x'" } },
		/* Several values in a single-valued parameter. */
		{ "FindDocuments", SQP_ENUMBER, "single value",
		    { "$XDSDocumentEntryPatientId",
		    "('p1^^^&1.2.3&ISO', 'p2^^^&1.2.3&ISO')",
		    "$XDSDocumentEntryStatus", APPROVED } },
		{ "FindDocuments", SQP_ENUMBER, "single value",
		    { "$XDSDocumentEntryPatientId", PID, "+", PID,
		    "$XDSDocumentEntryStatus", APPROVED } },
		{ "FindDocuments", SQP_ENUMBER, "CreationTimeFrom",
		    { FD_SLOTS, "$XDSDocumentEntryCreationTimeFrom",
		    "(2004, 2005)" } },
		/* A non-repeatable slot repeated. */
		{ "FindDocuments", SQP_ENUMBER, "more than one slot",
		    { FD_SLOTS, "$XDSDocumentEntryClassCode", "('a^^b')",
		    "$XDSDocumentEntryClassCode", "('c^^d')" } },
		{ "FindDocuments", SQP_ENUMBER, NULL,
		    { "$XDSDocumentEntryPatientId", PID, FD_SLOTS } },
		/* Both of an exclusive pair. */
		{ "GetDocuments", SQP_ENUMBER, "only one",
		    { "$XDSDocumentEntryEntryUUID", "('urn:uuid:a')",
		    "$XDSDocumentEntryUniqueId", "('1.2')" } },
		{ "GetSubmissionSetAndContents", SQP_ENUMBER, "single value",
		    { "$XDSSubmissionSetEntryUUID",
		    "('urn:uuid:a', 'urn:uuid:b')" } },
		/* Malformed values. */
		{ "FindDocuments", XDS_EFORMAT, "code^^codingScheme",
		    { FD_SLOTS, "$XDSDocumentEntryClassCode",
		    "('DEMO-Lab^^1.3.6.1.4.1.21367.100.1', 'a^^')" } },
		{ "FindDocuments", XDS_EFORMAT, "code^^codingScheme",
		    { FD_SLOTS, "$XDSDocumentEntryPracticeSettingCode",
		    "('Dialysis')" } },
		{ "FindDocuments", XDS_EFORMAT, "code^^codingScheme",
		    { FD_SLOTS, "$XDSDocumentEntryFormatCode", "('^^x')" } },
		{ "FindDocuments", XDS_EFORMAT, "code^^codingScheme",
		    { FD_SLOTS, "$XDSDocumentEntryFormatCode", "('a^^b^c')" } },
		/* Parameters the query does not define are ignored (NIST
		 * 11897 practicesetting_scheme): only their neighbours'
		 * format counts. */
		{ "FindDocuments", XDS_OK, NULL,
		    { FD_SLOTS, "$XDSDocumentEntryPracticeSettingCode",
		    "('Dialysis^^1.2.3')",
		    "$XDSDocumentEntryPracticeSettingCodeScheme",
		    "('Connect-a-thon practiceSettingCodes')" } },
		{ "FindDocuments", XDS_OK, NULL,
		    { FD_SLOTS, "$Bogus", "'x'" } },
		{ "FindDocuments", XDS_EFORMAT, "must be quoted",
		    { "$XDSDocumentEntryPatientId", "p1^^^&1.2.3&ISO",
		    "$XDSDocumentEntryStatus", APPROVED } },
		{ "FindDocuments", XDS_EFORMAT, "must be quoted",
		    { "$XDSDocumentEntryPatientId", PID,
		    "$XDSDocumentEntryStatus", "(" STATUS_APPROVED ")" } },
		{ "FindDocuments", XDS_EFORMAT, "invalid value",
		    { FD_SLOTS, "$XDSDocumentEntryCreationTimeFrom",
		    "20041324" } },
		{ "FindDocuments", XDS_EFORMAT, "invalid value",
		    { FD_SLOTS, "$XDSDocumentEntryCreationTimeTo",
		    "2004-12-24" } },
		{ "FindDocuments", XDS_EFORMAT, "invalid value",
		    { "$XDSDocumentEntryPatientId",
		    "'593603^^^&2.16.756.5.33.2.5.1.5.1&ISO'' and 611=611--'",
		    "$XDSDocumentEntryStatus", APPROVED } },
		{ "FindDocuments", XDS_EFORMAT, "invalid value",
		    { FD_SLOTS, "$MetadataLevel", "'1'" } },
		{ "FindDocuments", XDS_EFORMAT, "invalid value",
		    { FD_SLOTS, "$MetadataLevel", "-1" } },
		{ "FindDocuments", XDS_EFORMAT, "(1 or 2)",
		    { FD_SLOTS, "$MetadataLevel", "3" } },
		{ "GetAll", XDS_EFORMAT, "(1 or 2)",
		    { "$MetadataLevel", "0" } },
		{ "FindDocuments", SQP_ENUMBER, "single value",
		    { FD_SLOTS, "$MetadataLevel", "(1, 2)" } },
		{ "FindDocuments", SQP_ENUMBER, "more than one slot",
		    { FD_SLOTS, "$MetadataLevel", "2", "$MetadataLevel",
		    "2" } },
		{ "FindDocuments", XDS_EFORMAT, "empty value",
		    { "$XDSDocumentEntryPatientId", PID,
		    "$XDSDocumentEntryStatus", "('')" } },
		{ "FindDocuments", XDS_EFORMAT, "unterminated",
		    { "$XDSDocumentEntryPatientId", "'p1",
		    "$XDSDocumentEntryStatus", APPROVED } },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect(cases[i].q, cases[i].st, cases[i].want, cases[i].kv);
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
	/* Values of one parameter past SQP_MAX_PARAM_VALUES. */
	many = calloc(SQP_MAX_VALUES + 1, sizeof *many);
	CU_ASSERT_PTR_NOT_NULL_FATAL(many);
	for (i = 0; i < SQP_MAX_VALUES + 1; i++)
		many[i] = "'urn:uuid:a'";
	one.values = many;
	one.nvalues = SQP_MAX_PARAM_VALUES;
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("GetAssociations"), &one, 1,
	    &ps, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(sqp_get(&ps, "$uuid")->nv, SQP_MAX_PARAM_VALUES);
	sqp_free(&ps);
	one.nvalues = SQP_MAX_PARAM_VALUES + 1;
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("GetAssociations"), &one, 1,
	    &ps, err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(err, "$uuid: more than 256 values");
	CU_ASSERT_STRING_EQUAL(sqp_errcode(XDS_ETOOBIG), ERR_REGISTRY);
	sqp_free(&ps);
	/* All parameters' values past SQP_MAX_VALUES: four of 250 and the
	 * patient and status. */
	for (i = 0; i < SQP_MAX_VALUES + 1; i++)
		many[i] = "'a^^b'";
	slots[0] = (struct sqp_slot){ "$XDSDocumentEntryPatientId",
	    (const char *[]){ "'p1^^^&1.2.3&ISO'" }, 1 };
	slots[1] = (struct sqp_slot){ "$XDSDocumentEntryStatus",
	    (const char *[]){ "('urn:oasis:names:tc:ebxml-regrep:StatusType:"
	    "Approved')" }, 1 };
	slots[2] = (struct sqp_slot){ "$XDSDocumentEntryClassCode", many, 249 };
	slots[3] = (struct sqp_slot){ "$XDSDocumentEntryTypeCode", many, 249 };
	slots[4] = (struct sqp_slot){ "$XDSDocumentEntryFormatCode", many,
	    250 };
	slots[5] = (struct sqp_slot){ "$XDSDocumentEntryAuthorPerson", many,
	    250 };
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("FindDocuments"), slots, 6,
	    &ps, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(ps.nvalues, SQP_MAX_VALUES);
	sqp_free(&ps);
	slots[2].nvalues = 250;
	CU_ASSERT_EQUAL(sqp_parse(sqp_query_by_name("FindDocuments"), slots, 6,
	    &ps, err, sizeof err), XDS_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(err, "more than 1000 parameter values");
	sqp_free(&ps);
	free(many);
}

/* $MetadataLevel: 1 when absent, else the level given; every query
 * takes it. */
static void
test_metadata_level(void)
{
	const char *two[] = { "$XDSDocumentEntryEntryUUID", "('urn:uuid:x')",
	    "$MetadataLevel", "2", NULL };
	struct sqp_set ps;
	char err[256] = "";
	size_t i, j;
	int found;

	CU_ASSERT_EQUAL_FATAL(parse("GetDocuments", &ps, err, sizeof err,
	    two), XDS_OK);
	CU_ASSERT_EQUAL(sqp_metadata_level(&ps), 2);
	sqp_free(&ps);
	two[2] = NULL;
	CU_ASSERT_EQUAL_FATAL(parse("GetDocuments", &ps, err, sizeof err,
	    two), XDS_OK);
	CU_ASSERT_EQUAL(sqp_metadata_level(&ps), 1);
	sqp_free(&ps);
	for (i = 0; i < SQP_NQUERIES; i++) {
		const struct sqp_query *q = sqp_query_at(i);

		for (found = 0, j = 0; j < q->nparams; j++)
			found |= strcmp(q->params[j].name,
			    SQP_METADATALEVEL) == 0 &&
			    q->params[j].type == SQP_LEVEL;
		CU_ASSERT(found);
	}
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
	{ "$MetadataLevel", test_metadata_level },
};

int
main(void)
{
	return cutest_run("sqparam", tests, sizeof tests / sizeof tests[0]);
}
