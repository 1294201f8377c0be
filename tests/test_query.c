/*
 * test_query.c: the 14 stored queries against a registry database built
 * from registry/schema.sql with rows inserted directly (the conventions of
 * the schema header: canonical CX, DTM padded to 14 digits, status URNs,
 * stored XML without status/home).
 *
 * Data (row id: object):
 *   P1 = p1^^^&1.2.3&ISO, P2 = p2^^^&1.2.3&ISO
 *   1 DE1 P1 Approved stable  created 20041224 class C1 conf N,R event E1,E2
 *                            format F1 author ^Ford^Jim refid R1,R2
 *   2 DE2 P1 Approved stable  created 20050101 class C2 conf N event E1
 *                            format F2 author ^Smith^Ann refid R1
 *   3 DE3 P1 Deprecated       class C1 (replaced by DE2)
 *   4 DE4 P1 Approved on-demand class C1
 *   5 DE5 P2 Approved stable  class C1
 *  10 SS1 P1 submitted 20041225120000 source 9.9 author ^Ford content CT1
 *  11 SS2 P1 submitted 20050102000000 source 9.8
 *  12 SS3 P2
 *  20 F1  P1 lastUpdate 20050101 codeList FC1
 *  21 F2  P2
 *  assocs: 30 SS1>DE1, 31 SS1>DE3, 32 SS1>F1, 33 F1>DE1, 34 SS1>(33),
 *          35 SS2>DE2, 36 DE2 RPLC DE3, 37 SS2>(36), 38 SS3>DE5,
 *          39 SS2>DE4, 40 F2>DE5   (> is HasMember)
 *
 * and, for $MetadataLevel, the Metadata Update data of patient P3
 * (load_mu): DocumentEntries 50 (version 1 of logicalId U(50),
 * Deprecated) and 51 (its version 2), 52 Offline, 53 Deprecated by an
 * UpdateAvailabilityStatus; SubmissionSets 60 (the original) and 61 (the
 * update); Folders 70 Deprecated, 71; associations 80 SS60>50,
 * 81 SS61>51, 82 SS61 UpdateAvailabilityStatus 53, 83 F71>50, 84 F71>51,
 * 85 F71>52 (Deprecated), 86 SS60>F70, 87 SS60>F71, 88 SS60>52,
 * 89 SS60>53.
 */
#include "config.h"

#include "cutest.h"
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "query.h"
#include "query_int.h"
#include "sqparam.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define P1	"p1^^^&1.2.3&ISO"
#define P2	"p2^^^&1.2.3&ISO"
#define P3	"p3^^^&1.2.3&ISO"
#define QP1	"'p1^^^&amp;1.2.3&amp;ISO'"
#define QP2	"'p2^^^&amp;1.2.3&amp;ISO'"
#define QP3	"'p3^^^&amp;1.2.3&amp;ISO'"
#define U(n)	"urn:uuid:00000000-0000-4000-8000-0000000000" #n
#define APPROVED "('" STATUS_APPROVED "')"

static sqlite3 *db;

static int
exec_file(const char *rel)
{
	char *sql;
	int rc = 0;

	if ((sql = testutil_srcdir_file(rel, NULL)) == NULL)
		return -1;
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = -1;
	free(sql);
	return rc;
}

/* Run one INSERT with the n text arguments v (NULL binds NULL). */
static int
ins(const char *sql, const char *const *v, int n)
{
	sqlite3_stmt *st;
	int i, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/*
 * A registry object: its registry_object row (kind, status, patient,
 * uniqueId, a minimal XML element elem), then its row in the table of its
 * kind by sql with n (at most 9) text arguments.
 */
static int
object(const char *id, const char *uuid, const char *kind, const char *elem,
    const char *status, const char *pid, const char *uid, const char *sql,
    int n, ...)
{
	const char *v[9];
	char xml[512];
	va_list ap;
	int i;

	snprintf(xml, sizeof xml, "<rim:%s xmlns:rim=\"" NS_RIM "\" id=\"%s\" "
	    "lid=\"%s\"><rim:Name/></rim:%s>", elem, uuid, uuid, elem);
	if (ins("INSERT INTO registry_object (id, entry_uuid, lid, kind, "
	    "status, patient_id, unique_id, xml) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "CAST(? AS BLOB))", (const char *const[]){ id, uuid, uuid, kind,
	    status, pid, uid, xml }, 8) != 0 || n > 9)
		return -1;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		v[i] = va_arg(ap, const char *);
	va_end(ap);
	return ins(sql, v, n);
}

static int
de(const char *id, const char *uuid, const char *status, const char *pid,
    const char *type, const char *uid, const char *ctime, const char *start,
    const char *stop)
{
	return object(id, uuid, "1", "ExtrinsicObject", status, pid, uid,
	    "INSERT INTO document_entry (id, patient_id, status, object_type, "
	    "unique_id, creation_time, service_start_time, service_stop_time, "
	    "availability) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", 9, id, pid,
	    status, type, uid, ctime, start, stop, DOCAVAIL_ONLINE);
}

static int
ss(const char *id, const char *uuid, const char *pid, const char *uid,
    const char *src, const char *t)
{
	return object(id, uuid, "2", "RegistryPackage", STATUS_APPROVED, pid,
	    uid, "INSERT INTO submission_set (id, patient_id, status, "
	    "unique_id, source_id, submission_time) VALUES (?, ?, ?, ?, ?, ?)",
	    6, id, pid, STATUS_APPROVED, uid, src, t);
}

static int
folder(const char *id, const char *uuid, const char *pid, const char *uid,
    const char *t)
{
	return object(id, uuid, "3", "RegistryPackage", STATUS_APPROVED, pid,
	    uid, "INSERT INTO folder (id, patient_id, status, unique_id, "
	    "last_update_time) VALUES (?, ?, ?, ?, ?)", 5, id, pid,
	    STATUS_APPROVED, uid, t);
}

static int
assoc(const char *id, const char *uuid, const char *type, const char *src,
    const char *dst)
{
	return object(id, uuid, "4", "Association", STATUS_APPROVED, NULL, NULL,
	    "INSERT INTO association (id, type, source_id, target_id) "
	    "VALUES (?, ?, ?, ?)", 4, id, type, src, dst);
}

static int
code(const char *id, const char *scheme, const char *c, const char *cs)
{
	return ins("INSERT INTO code (object_id, scheme, code, coding_scheme) "
	    "VALUES (?, ?, ?, ?)", (const char *const[]){ id, scheme, c, cs },
	    4);
}

static int
load(void)
{
	int rc = 0;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    exec_file("registry/schema.sql") != 0)
		return -1;
	rc |= de("1", U(01), STATUS_APPROVED, P1, OT_DE_STABLE, "1.1.1",
	    "20041224000000", "20041223100000", "20041224100000");
	rc |= de("2", U(02), STATUS_APPROVED, P1, OT_DE_STABLE, "1.1.2",
	    "20050101000000", "20041231000000", NULL);
	rc |= de("3", U(03), STATUS_DEPRECATED, P1, OT_DE_STABLE, "1.1.3",
	    "20040101000000", NULL, NULL);
	rc |= de("4", U(04), STATUS_APPROVED, P1, OT_DE_ONDEMAND, "1.1.4",
	    NULL, NULL, NULL);
	rc |= de("5", U(05), STATUS_APPROVED, P2, OT_DE_STABLE, "1.1.5",
	    "20041224000000", NULL, NULL);
	rc |= code("1", CS_DE_CLASSCODE, "C1", "S");
	rc |= code("1", CS_DE_CONFCODE, "N", "CS");
	rc |= code("1", CS_DE_CONFCODE, "R", "CS");
	rc |= code("1", CS_DE_EVENTCODE, "E1", "ES");
	rc |= code("1", CS_DE_EVENTCODE, "E2", "ES");
	rc |= code("1", CS_DE_FORMATCODE, "F1", "FS");
	rc |= code("1", CS_DE_TYPECODE, "T1", "TS");
	rc |= code("1", CS_DE_PRACTICECODE, "PR", "PS");
	rc |= code("1", CS_DE_HCFTCODE, "H1", "HS");
	rc |= code("2", CS_DE_CLASSCODE, "C2", "S");
	rc |= code("2", CS_DE_CONFCODE, "N", "CS");
	rc |= code("2", CS_DE_EVENTCODE, "E1", "ES");
	rc |= code("2", CS_DE_FORMATCODE, "F2", "FS");
	rc |= code("3", CS_DE_CLASSCODE, "C1", "S");
	rc |= code("4", CS_DE_CLASSCODE, "C1", "S");
	rc |= code("5", CS_DE_CLASSCODE, "C1", "S");
	rc |= ins("INSERT INTO author VALUES (1, 1, '^Ford^Jim')", NULL, 0);
	rc |= ins("INSERT INTO author VALUES (2, 1, '^Smith^Ann')", NULL, 0);
	rc |= ins("INSERT INTO author VALUES (2, 2, '^100%^Sure')", NULL, 0);
	rc |= ins("INSERT INTO reference_id VALUES (1, 'R1')", NULL, 0);
	rc |= ins("INSERT INTO reference_id VALUES (1, 'R2')", NULL, 0);
	rc |= ins("INSERT INTO reference_id VALUES (2, 'R1')", NULL, 0);
	rc |= ss("10", U(10), P1, "2.1", "9.9", "20041225120000");
	rc |= ss("11", U(11), P1, "2.2", "9.8", "20050102000000");
	rc |= ss("12", U(12), P2, "2.3", "9.9", "20050102000000");
	rc |= ins("INSERT INTO author VALUES (10, 1, '^Ford')", NULL, 0);
	rc |= code("10", CS_SS_CONTENTTYPE, "CT1", "CTS");
	rc |= folder("20", U(20), P1, "3.1", "20050101000000");
	rc |= folder("21", U(21), P2, "3.2", "20050101000000");
	rc |= code("20", CS_FOL_CODELIST, "FC1", "FCS");
	rc |= assoc("30", U(30), AT_HASMEMBER, "10", "1");
	rc |= assoc("31", U(31), AT_HASMEMBER, "10", "3");
	rc |= assoc("32", U(32), AT_HASMEMBER, "10", "20");
	rc |= assoc("33", U(33), AT_HASMEMBER, "20", "1");
	rc |= assoc("34", U(34), AT_HASMEMBER, "10", "33");
	rc |= assoc("35", U(35), AT_HASMEMBER, "11", "2");
	rc |= assoc("36", U(36), AT_RPLC, "2", "3");
	rc |= assoc("37", U(37), AT_HASMEMBER, "11", "36");
	rc |= assoc("38", U(38), AT_HASMEMBER, "12", "5");
	rc |= assoc("39", U(39), AT_HASMEMBER, "11", "4");
	rc |= assoc("40", U(40), AT_HASMEMBER, "21", "5");
	return rc ? -1 : 0;
}

/* Patient P3's objects after Metadata Update (see the top). */
static int
load_mu(void)
{
	int rc = 0;

	rc |= de("50", U(50), STATUS_DEPRECATED, P3, OT_DE_STABLE, "5.1",
	    NULL, NULL, NULL);
	rc |= de("51", U(51), STATUS_APPROVED, P3, OT_DE_STABLE, "5.1",
	    NULL, NULL, NULL);
	rc |= ins("UPDATE registry_object SET lid = ?, version = 2 "
	    "WHERE id = 51", (const char *const[]){ U(50) }, 1);
	rc |= de("52", U(52), STATUS_APPROVED, P3, OT_DE_STABLE, "5.2",
	    NULL, NULL, NULL);
	rc |= ins("UPDATE document_entry SET availability = ? WHERE id = 52",
	    (const char *const[]){ DOCAVAIL_OFFLINE }, 1);
	rc |= de("53", U(53), STATUS_DEPRECATED, P3, OT_DE_STABLE, "5.3",
	    NULL, NULL, NULL);
	rc |= ss("60", U(60), P3, "6.1", "9.9", "20260101000000");
	rc |= ss("61", U(61), P3, "6.2", "9.9", "20260102000000");
	rc |= folder("70", U(70), P3, "7.1", "20260101000000");
	rc |= ins("UPDATE registry_object SET status = ? WHERE id = 70",
	    (const char *const[]){ STATUS_DEPRECATED }, 1);
	rc |= ins("UPDATE folder SET status = ? WHERE id = 70",
	    (const char *const[]){ STATUS_DEPRECATED }, 1);
	rc |= folder("71", U(71), P3, "7.2", "20260101000000");
	rc |= assoc("80", U(80), AT_HASMEMBER, "60", "50");
	rc |= assoc("81", U(81), AT_HASMEMBER, "61", "51");
	rc |= assoc("82", U(82), AT_UPDATESTATUS, "61", "53");
	rc |= assoc("83", U(83), AT_HASMEMBER, "71", "50");
	rc |= assoc("84", U(84), AT_HASMEMBER, "71", "51");
	rc |= assoc("85", U(85), AT_HASMEMBER, "71", "52");
	rc |= ins("UPDATE registry_object SET status = ? WHERE id = 85",
	    (const char *const[]){ STATUS_DEPRECATED }, 1);
	rc |= assoc("86", U(86), AT_HASMEMBER, "60", "70");
	rc |= assoc("87", U(87), AT_HASMEMBER, "60", "71");
	rc |= assoc("88", U(88), AT_HASMEMBER, "60", "52");
	rc |= assoc("89", U(89), AT_HASMEMBER, "60", "53");
	return rc ? -1 : 0;
}

/*
 * Build and run a request.  slots: name, value, ..., NULL; a name "+"
 * adds another Value to the previous slot.  Returns the response text
 * (static) or NULL; x receives the transaction record.
 */
static char resp[65536];
static struct xact x;

/* query_run() of the request text with o: the answer (resp), or NULL. */
static const char *
query_text(const char *text, size_t len, const struct query_opts *o)
{
	const char *r = NULL;
	struct buf out;
	xmlDoc *doc;
	char err[256];

	memset(&x, 0, sizeof x);
	resp[0] = '\0';
	if ((doc = xml_parse(text, len, err, sizeof err)) == NULL) {
		fprintf(stderr, "request: %s\n", err);
		return NULL;
	}
	buf_init(&out, sizeof resp - 1);
	if (query_run(db, xmlDocGetRootElement(doc), o, &out, &x) == 0) {
		memcpy(resp, buf_str(&out), out.b_len + 1);
		r = resp;
	}
	xmlFreeDoc(doc);
	buf_free(&out);
	return r;
}

static const char *
run_opts(const char *qid, const char *rt, long long max, const char *home,
    const char *const *kv)
{
	struct query_opts o = { max, home };
	const char *r = NULL;
	struct buf req;
	size_t i;

	buf_init(&req, 1 << 20);
	if (buf_addf(&req, "<query:AdhocQueryRequest xmlns:query=\"" NS_QUERY
	    "\" xmlns:rim=\"" NS_RIM "\"><query:ResponseOption "
	    "returnComposedObjects=\"true\" returnType=\"%s\"/>"
	    "<rim:AdhocQuery id=\"%s\">", rt, qid) != XDS_OK)
		goto done;
	for (i = 0; kv[i] != NULL; i += 2) {
		if (strcmp(kv[i], "+") == 0) {
			/* reopen the previous ValueList */
			req.b_len -= strlen("</rim:ValueList></rim:Slot>");
			if (buf_addf(&req, "<rim:Value>%s</rim:Value>"
			    "</rim:ValueList></rim:Slot>", kv[i + 1]) != XDS_OK)
				goto done;
			continue;
		}
		if (buf_addf(&req, "<rim:Slot name=\"%s\"><rim:ValueList>"
		    "<rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>",
		    kv[i], kv[i + 1]) != XDS_OK)
			goto done;
	}
	if (buf_adds(&req, "</rim:AdhocQuery></query:AdhocQueryRequest>") ==
	    XDS_OK)
		r = query_text(req.b_data, req.b_len, &o);
done:
	buf_free(&req);
	return r;
}

static const char *
run(const char *qid, const char *rt, const char *const *kv)
{
	return run_opts(qid, rt, 100, NULL, kv);
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	while (s != NULL && (s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

static int
success(const char *r)
{
	return r != NULL && strstr(r, "status=\"" ST_SUCCESS "\"") != NULL &&
	    strstr(r, "RegistryErrorList") == NULL;
}

static int
failure(const char *r, const char *code)
{
	char want[128];

	snprintf(want, sizeof want, "errorCode=\"%s\"", code);
	return r != NULL && strstr(r, "status=\"" ST_FAILURE "\"") != NULL &&
	    strstr(r, want) != NULL && count(r, "<rim:ObjectRef ") == 0 &&
	    count(r, "<rim:ExtrinsicObject") == 0;
}

/* ObjectRef answer holding exactly the ids in want (NULL-terminated). */
static int
refs(const char *r, const char *const *want)
{
	char ref[128];
	int n = 0;

	if (!success(r))
		return 0;
	for (; *want != NULL; want++, n++) {
		/* rim_write_objectref declares xmlns:rim before id. */
		snprintf(ref, sizeof ref, " id=\"%s\"", *want);
		if (strstr(r, ref) == NULL) {
			fprintf(stderr, "\nmissing %s in %s\n", *want, r);
			return 0;
		}
	}
	if (count(r, "<rim:ObjectRef ") != n) {
		fprintf(stderr, "\nwant %d refs: %s\n", n, r);
		return 0;
	}
	return 1;
}

#define L(...)		((const char *const[]){ __VA_ARGS__, NULL })
/* ObjectRef queries of the Approved objects of P1, with more slots */
#define FD(...)		run(SQ_FINDDOCUMENTS, "ObjectRef", L(		\
	"$XDSDocumentEntryPatientId", QP1,				\
	"$XDSDocumentEntryStatus", APPROVED, __VA_ARGS__))
#define FDREF(...)	run(SQ_FINDDOCSBYREFID, "ObjectRef", L(	\
	"$XDSDocumentEntryPatientId", QP1,				\
	"$XDSDocumentEntryStatus", APPROVED, __VA_ARGS__))
#define FSS(...)	run(SQ_FINDSUBMISSIONSETS, "ObjectRef", L(	\
	"$XDSSubmissionSetPatientId", QP1,				\
	"$XDSSubmissionSetStatus", APPROVED, __VA_ARGS__))
#define FFOL(...)	run(SQ_FINDFOLDERS, "ObjectRef", L(		\
	"$XDSFolderPatientId", QP1, "$XDSFolderStatus", APPROVED,	\
	__VA_ARGS__))
#define NONE		((const char *const[]){ NULL })

static void
test_finddocs(void)
{
	CU_ASSERT(refs(run(SQ_FINDDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryPatientId", QP1,
	    "$XDSDocumentEntryStatus", APPROVED)), L(U(01), U(02))));
	CU_ASSERT_STRING_EQUAL(x.patient, P1);
	CU_ASSERT_STRING_EQUAL(x.object, SQ_FINDDOCUMENTS);
	CU_ASSERT_EQUAL(x.outcome, XACT_SUCCESS);
	/* Status OR, type default stable, type list. */
	CU_ASSERT(refs(run(SQ_FINDDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryPatientId", QP1,
	    "$XDSDocumentEntryStatus", "('" STATUS_APPROVED "', '"
	    STATUS_DEPRECATED "')")), L(U(01), U(02), U(03))));
	CU_ASSERT(refs(run(SQ_FINDDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryPatientId", QP1,
	    "$XDSDocumentEntryStatus", "'" STATUS_APPROVED "'",
	    "+", "'" STATUS_DEPRECATED "'")), L(U(01), U(02), U(03))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryType", "('" OT_DE_STABLE "', '"
	    OT_DE_ONDEMAND "')"), L(U(01), U(02), U(04))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryType", "('" OT_DE_ONDEMAND "')"),
	    L(U(04))));
	/* Other patient. */
	CU_ASSERT(refs(run(SQ_FINDDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryPatientId", QP2,
	    "$XDSDocumentEntryStatus", APPROVED)), L(U(05))));
}

static void
test_finddocs_codes(void)
{
	CU_ASSERT(refs(FD("$XDSDocumentEntryClassCode", "('C1^^S')"),
	    L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryClassCode", "('C1^^S', 'C2^^S')"),
	    L(U(01), U(02))));
	/* Same code, other coding scheme: no match, Success. */
	CU_ASSERT(refs(FD("$XDSDocumentEntryClassCode", "('C1^^X')"), NONE));
	CU_ASSERT(refs(FD("$XDSDocumentEntryTypeCode", "('T1^^TS')"), L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryPracticeSettingCode", "('PR^^PS')"),
	    L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryHealthcareFacilityTypeCode",
	    "('H1^^HS')"), L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryFormatCode", "('F2^^FS')"),
	    L(U(02))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryClassCode", "('C1^^S')",
	    "$XDSDocumentEntryFormatCode", "('F2^^FS')"), NONE));
	/* EventCodeList: OR inside a slot, AND across slots. */
	CU_ASSERT(refs(FD("$XDSDocumentEntryEventCodeList", "('E1^^ES')"),
	    L(U(01), U(02))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryEventCodeList", "('E1^^ES')",
	    "$XDSDocumentEntryEventCodeList", "('E2^^ES')"), L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryEventCodeList", "('E2^^ES', "
	    "'E9^^ES')"), L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryEventCodeList", "('E1^^ES')",
	    "$XDSDocumentEntryEventCodeList", "('E9^^ES')"), NONE));
	CU_ASSERT(refs(FD("$XDSDocumentEntryConfidentialityCode", "('N^^CS')",
	    "$XDSDocumentEntryConfidentialityCode", "('R^^CS', 'X^^CS')"),
	    L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryConfidentialityCode", "('N^^CS')"),
	    L(U(01), U(02))));
}

static void
test_finddocs_times(void)
{
	/* From <= t < To. */
	CU_ASSERT(refs(FD("$XDSDocumentEntryCreationTimeFrom", "20041224",
	    "$XDSDocumentEntryCreationTimeTo", "20050101"), L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryCreationTimeFrom", "20050101"),
	    L(U(02))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryCreationTimeTo", "20041224"),
	    NONE));
	CU_ASSERT(refs(FD("$XDSDocumentEntryCreationTimeTo", "200412240001"),
	    L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryCreationTimeFrom", "2004",
	    "$XDSDocumentEntryCreationTimeTo", "2006"), L(U(01), U(02))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryServiceStartTimeFrom", "20041231"),
	    L(U(02))));
	/* A document without the attribute never matches the range. */
	CU_ASSERT(refs(FD("$XDSDocumentEntryServiceStopTimeFrom", "2000"),
	    L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryServiceStopTimeTo", "20041224100000"),
	    NONE));
}

static void
test_finddocs_author_refid(void)
{
	CU_ASSERT(refs(FD("$XDSDocumentEntryAuthorPerson", "('%Ford%')"),
	    L(U(01))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryAuthorPerson", "('%Ford%', "
	    "'^Smith^Ann')"), L(U(01), U(02))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryAuthorPerson", "'^_mith%'"),
	    L(U(02))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryAuthorPerson", "'^Ford'"), NONE));
	/* '\' escapes a wildcard. */
	CU_ASSERT(refs(FD("$XDSDocumentEntryAuthorPerson", "'%100\\%%'"),
	    L(U(02))));
	CU_ASSERT(refs(FD("$XDSDocumentEntryAuthorPerson", "'%10\\%%'"), NONE));
	CU_ASSERT(refs(FD("$XDSDocumentEntryDocumentAvailability", "('"
	    DOCAVAIL_OFFLINE "')"), NONE));
	CU_ASSERT(refs(FD("$XDSDocumentEntryDocumentAvailability", "('"
	    DOCAVAIL_ONLINE "')"), L(U(01), U(02))));

	CU_ASSERT(refs(FDREF("$XDSDocumentEntryReferenceIdList", "('R1')"),
	    L(U(01), U(02))));
	CU_ASSERT(refs(FDREF("$XDSDocumentEntryReferenceIdList", "('R1')",
	    "$XDSDocumentEntryReferenceIdList", "('R2', 'R9')"), L(U(01))));
	CU_ASSERT(failure(run(SQ_FINDDOCSBYREFID, "ObjectRef", L(
	    "$XDSDocumentEntryPatientId", QP1,
	    "$XDSDocumentEntryStatus", APPROVED)), ERR_SQ_MISSING_PARAM));
	/* Not a FindDocuments parameter: ignored, so it does not narrow the
	 * answer (ITI-18: extra parameters are acceptable). */
	CU_ASSERT(success(FD("$XDSDocumentEntryReferenceIdList", "('R1')")));
}

static void
test_findss_folders(void)
{
	/* a slot or two beside the patient and status of P1, the answer */
	static const struct {
		const char	*slot, *value, *slot2, *value2;
		const char	*want[3];
	} ss[] = {
		{ "$XDSSubmissionSetSourceId", "('9.8')", NULL, NULL,
		    { U(11) } },
		{ "$XDSSubmissionSetSubmissionTimeFrom", "20041225120000",
		    "$XDSSubmissionSetSubmissionTimeTo", "20050102",
		    { U(10) } },
		{ "$XDSSubmissionSetAuthorPerson", "'%Ford%'", NULL, NULL,
		    { U(10) } },
		{ "$XDSSubmissionSetContentType", "('CT1^^CTS')", NULL, NULL,
		    { U(10) } },
		{ "$XDSSubmissionSetContentType", "('CT2^^CTS')", NULL, NULL,
		    { NULL } },
	}, fol[] = {
		{ "$XDSFolderCodeList", "('FC1^^FCS')", NULL, NULL, { U(20) } },
		{ "$XDSFolderCodeList", "('FC1^^FCS')", "$XDSFolderCodeList",
		    "('FC2^^FCS')", { NULL } },
		{ "$XDSFolderLastUpdateTimeFrom", "20050102", NULL, NULL,
		    { NULL } },
		{ "$XDSFolderLastUpdateTimeFrom", "20050101",
		    "$XDSFolderLastUpdateTimeTo", "20050102", { U(20) } },
	};
	size_t i;

	CU_ASSERT(refs(run(SQ_FINDSUBMISSIONSETS, "ObjectRef", L(
	    "$XDSSubmissionSetPatientId", QP1,
	    "$XDSSubmissionSetStatus", APPROVED)), L(U(10), U(11))));
	for (i = 0; i < NELEM(ss); i++)
		CU_ASSERT(refs(FSS(ss[i].slot, ss[i].value, ss[i].slot2,
		    ss[i].value2), ss[i].want));
	CU_ASSERT(refs(run(SQ_FINDFOLDERS, "ObjectRef", L(
	    "$XDSFolderPatientId", QP1, "$XDSFolderStatus", APPROVED)),
	    L(U(20))));
	for (i = 0; i < NELEM(fol); i++)
		CU_ASSERT(refs(FFOL(fol[i].slot, fol[i].value, fol[i].slot2,
		    fol[i].value2), fol[i].want));
}

static void
test_getall(void)
{
	CU_ASSERT(refs(run(SQ_GETALL, "ObjectRef", L(
	    "$patientId", QP1,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSSubmissionSetStatus", APPROVED,
	    "$XDSFolderStatus", APPROVED)),
	    L(U(01), U(02), U(10), U(11), U(20), U(30), U(32), U(33), U(34),
	    U(35))));
	CU_ASSERT_STRING_EQUAL(x.patient, P1);
	/* With the deprecated DE3 and the on-demand DE4 in. */
	CU_ASSERT(refs(run(SQ_GETALL, "ObjectRef", L(
	    "$patientId", QP1,
	    "$XDSDocumentEntryStatus", "('" STATUS_APPROVED "', '"
	    STATUS_DEPRECATED "')",
	    "$XDSSubmissionSetStatus", APPROVED,
	    "$XDSFolderStatus", APPROVED,
	    "$XDSDocumentEntryType", "('" OT_DE_STABLE "', '" OT_DE_ONDEMAND
	    "')")),
	    L(U(01), U(02), U(03), U(04), U(10), U(11), U(20), U(30), U(31),
	    U(32), U(33), U(34), U(35), U(36), U(37), U(39))));
	CU_ASSERT(failure(run(SQ_GETALL, "ObjectRef", L(
	    "$patientId", QP1,
	    "$XDSDocumentEntryStatus", APPROVED,
	    "$XDSSubmissionSetStatus", APPROVED)), ERR_SQ_MISSING_PARAM));
}

static void
test_getdocs_folders_assocs(void)
{
	CU_ASSERT(refs(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "('" U(01) "', '" U(03) "')")),
	    L(U(01), U(03))));
	CU_ASSERT_STRING_EQUAL(x.patient, "");
	CU_ASSERT(refs(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('1.1.2')")), L(U(02))));
	CU_ASSERT(refs(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryLogicalID", "('" U(04) "')")), L(U(04))));
	/* A folder uuid is not a document. */
	CU_ASSERT(refs(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "('" U(20) "')")), NONE));
	CU_ASSERT(failure(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "('" U(01) "')",
	    "$XDSDocumentEntryUniqueId", "('1.1.2')")), ERR_SQ_PARAM_NUMBER));
	CU_ASSERT(failure(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$MetadataLevel", "1")), ERR_SQ_MISSING_PARAM));
	CU_ASSERT(failure(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('1.1.2')", "$MetadataLevel", "3")),
	    ERR_REGISTRY));

	CU_ASSERT(refs(run(SQ_GETFOLDERS, "ObjectRef", L(
	    "$XDSFolderEntryUUID", "('" U(20) "')")), L(U(20))));
	CU_ASSERT(refs(run(SQ_GETFOLDERS, "ObjectRef", L(
	    "$XDSFolderUniqueId", "('3.1', '3.2')")), L(U(20), U(21))));

	CU_ASSERT(refs(run(SQ_GETASSOCIATIONS, "ObjectRef", L(
	    "$uuid", "('" U(01) "')")), L(U(30), U(33))));
	CU_ASSERT(refs(run(SQ_GETASSOCIATIONS, "ObjectRef", L(
	    "$uuid", "('" U(01) "', '" U(10) "')")),
	    L(U(30), U(31), U(32), U(33), U(34))));

	CU_ASSERT(refs(run(SQ_GETDOCSANDASSOCS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "('" U(02) "')")),
	    L(U(02), U(35), U(36))));
	CU_ASSERT(refs(run(SQ_GETDOCSANDASSOCS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('1.1.1', '1.1.4')")),
	    L(U(01), U(04), U(30), U(33), U(39))));
	CU_ASSERT(refs(run(SQ_GETDOCSANDASSOCS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('9.9.9')")), NONE));
}

static void
test_getss(void)
{
	CU_ASSERT(refs(run(SQ_GETSUBMISSIONSETS, "ObjectRef", L(
	    "$uuid", "('" U(01) "')")), L(U(10), U(30))));
	CU_ASSERT(refs(run(SQ_GETSUBMISSIONSETS, "ObjectRef", L(
	    "$uuid", "('" U(01) "', '" U(02) "')")),
	    L(U(10), U(11), U(30), U(35))));
	CU_ASSERT(refs(run(SQ_GETSUBMISSIONSETS, "ObjectRef", L(
	    "$uuid", "('" U(01) "', '" U(03) "')")),
	    L(U(10), U(30), U(31))));
	CU_ASSERT(refs(run(SQ_GETSUBMISSIONSETS, "ObjectRef", L(
	    "$uuid", "('" U(20) "')")), L(U(10), U(32))));

	CU_ASSERT(refs(run(SQ_GETSSANDCONTENTS, "ObjectRef", L(
	    "$XDSSubmissionSetEntryUUID", "'" U(10) "'")),
	    L(U(10), U(01), U(03), U(20), U(30), U(31), U(32), U(33), U(34))));
	CU_ASSERT(refs(run(SQ_GETSSANDCONTENTS, "ObjectRef", L(
	    "$XDSSubmissionSetUniqueId", "'2.1'",
	    "$XDSDocumentEntryFormatCode", "('F1^^FS')")),
	    L(U(10), U(01), U(20), U(30), U(32), U(33), U(34))));
	CU_ASSERT(refs(run(SQ_GETSSANDCONTENTS, "ObjectRef", L(
	    "$XDSSubmissionSetUniqueId", "'2.1'",
	    "$XDSDocumentEntryConfidentialityCode", "('X^^CS')")),
	    L(U(10), U(20), U(32))));
	/* SS2: DE2 plus the RPLC association it carries; on-demand DE4
	 * only when asked for. */
	CU_ASSERT(refs(run(SQ_GETSSANDCONTENTS, "ObjectRef", L(
	    "$XDSSubmissionSetEntryUUID", "'" U(11) "'")),
	    L(U(11), U(02), U(35))));
	CU_ASSERT(refs(run(SQ_GETSSANDCONTENTS, "ObjectRef", L(
	    "$XDSSubmissionSetEntryUUID", "'" U(11) "'",
	    "$XDSDocumentEntryType", "('" OT_DE_ONDEMAND "')")),
	    L(U(11), U(04), U(39))));
	CU_ASSERT(refs(run(SQ_GETSSANDCONTENTS, "ObjectRef", L(
	    "$XDSSubmissionSetUniqueId", "'no.such'")), NONE));
}

static void
test_getfolder_related(void)
{
	CU_ASSERT(refs(run(SQ_GETFOLDERANDCONTENTS, "ObjectRef", L(
	    "$XDSFolderEntryUUID", "'" U(20) "'")), L(U(20), U(01), U(33))));
	CU_ASSERT(refs(run(SQ_GETFOLDERANDCONTENTS, "ObjectRef", L(
	    "$XDSFolderUniqueId", "'3.1'",
	    "$XDSDocumentEntryConfidentialityCode", "('R^^CS')")),
	    L(U(20), U(01), U(33))));
	CU_ASSERT(refs(run(SQ_GETFOLDERANDCONTENTS, "ObjectRef", L(
	    "$XDSFolderUniqueId", "'3.1'",
	    "$XDSDocumentEntryFormatCode", "('F2^^FS')")), L(U(20))));

	CU_ASSERT(refs(run(SQ_GETFOLDERSFORDOC, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "'" U(01) "'")), L(U(20))));
	CU_ASSERT(refs(run(SQ_GETFOLDERSFORDOC, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "'1.1.5'")), L(U(21))));
	CU_ASSERT(refs(run(SQ_GETFOLDERSFORDOC, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "'1.1.2'")), NONE));

	CU_ASSERT(refs(run(SQ_GETRELATEDDOCS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "'" U(03) "'",
	    "$AssociationTypes", "('" AT_RPLC "')")), L(U(02), U(03), U(36))));
	CU_ASSERT(refs(run(SQ_GETRELATEDDOCS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "'1.1.2'",
	    "$AssociationTypes", "('" AT_HASMEMBER "', '" AT_RPLC "')")),
	    L(U(02), U(03), U(36))));
	CU_ASSERT(refs(run(SQ_GETRELATEDDOCS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "'1.1.2'",
	    "$AssociationTypes", "('" AT_APND "')")), NONE));
	CU_ASSERT(refs(run(SQ_GETRELATEDDOCS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "'" U(01) "'",
	    "$AssociationTypes", "('" AT_HASMEMBER "', '" AT_RPLC "')")),
	    NONE));
	CU_ASSERT(refs(run(SQ_GETRELATEDDOCS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "'" U(03) "'",
	    "$AssociationTypes", "('" AT_RPLC "')",
	    "$XDSDocumentEntryType", "('" OT_DE_ONDEMAND "')")), NONE));
}

static void
test_leafclass(void)
{
	static const char head[] = "<query:AdhocQueryResponse xmlns:query=\""
	    NS_QUERY "\" xmlns:rim=\"" NS_RIM "\" status=\"" ST_SUCCESS
	    "\"><rim:RegistryObjectList><rim:ExtrinsicObject ";
	const char *r;

	r = run(SQ_GETDOCUMENTS, "LeafClass", L(
	    "$XDSDocumentEntryEntryUUID", "('" U(01) "', '" U(03) "')"));
	CU_ASSERT(success(r));
	CU_ASSERT_EQUAL(count(r, "<rim:ExtrinsicObject "), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "<rim:ExtrinsicObject status=\""
	    STATUS_APPROVED "\" xmlns:rim=\"" NS_RIM "\" id=\"" U(01) "\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "<rim:ExtrinsicObject status=\""
	    STATUS_DEPRECATED "\" xmlns:rim=\"" NS_RIM "\" id=\"" U(03) "\""));
	CU_ASSERT_EQUAL(count(r, "home="), 0);
	CU_ASSERT_EQUAL(count(r, "<rim:ObjectRef"), 0);
	CU_ASSERT_EQUAL(strncmp(r, head, strlen(head)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "</rim:RegistryObjectList>"
	    "</query:AdhocQueryResponse>"));

	r = run_opts(SQ_GETSSANDCONTENTS, "LeafClass", 100, "urn:oid:1.2.3",
	    L("$XDSSubmissionSetEntryUUID", "'" U(11) "'"));
	CU_ASSERT(success(r));
	CU_ASSERT_EQUAL(count(r, "<rim:RegistryPackage status=\""
	    STATUS_APPROVED "\" home=\"urn:oid:1.2.3\""), 1);
	CU_ASSERT_EQUAL(count(r, "<rim:ExtrinsicObject status=\""
	    STATUS_APPROVED "\" home=\"urn:oid:1.2.3\""), 1);
	CU_ASSERT_EQUAL(count(r, "<rim:Association status=\""
	    STATUS_APPROVED "\" home=\"urn:oid:1.2.3\""), 1);

	r = run_opts(SQ_GETDOCUMENTS, "ObjectRef", 100, "urn:oid:1.2.3",
	    L("$XDSDocumentEntryEntryUUID", "('" U(01) "')"));
	CU_ASSERT(success(r));
	CU_ASSERT_EQUAL(count(r, "<rim:ObjectRef "), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, " id=\"" U(01)
	    "\" home=\"urn:oid:1.2.3\"/>"));
}

static void
test_errors(void)
{
	const char *r;

	/* LeafClass spanning two patients; ObjectRef is fine. */
	r = run(SQ_GETDOCUMENTS, "LeafClass", L(
	    "$XDSDocumentEntryEntryUUID", "('" U(01) "', '" U(05) "')"));
	CU_ASSERT(failure(r, ERR_RESULT_NOT_SINGLE_PATIENT));
	CU_ASSERT_STRING_EQUAL(x.errors, ERR_RESULT_NOT_SINGLE_PATIENT);
	CU_ASSERT_EQUAL(x.outcome, XACT_FAILURE);
	CU_ASSERT(refs(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryEntryUUID", "('" U(01) "', '" U(05) "')")),
	    L(U(01), U(05))));
	/* Associations have no patient: a GetAssociations LeafClass is
	 * fine. */
	CU_ASSERT(success(run(SQ_GETASSOCIATIONS, "LeafClass", L(
	    "$uuid", "('" U(01) "', '" U(05) "')"))));

	/* max_results: exactly at the limit passes, one past fails. */
	CU_ASSERT(refs(run_opts(SQ_FINDDOCUMENTS, "ObjectRef", 2, NULL, L(
	    "$XDSDocumentEntryPatientId", QP1,
	    "$XDSDocumentEntryStatus", APPROVED)), L(U(01), U(02))));
	r = run_opts(SQ_FINDDOCUMENTS, "ObjectRef", 1, NULL, L(
	    "$XDSDocumentEntryPatientId", QP1,
	    "$XDSDocumentEntryStatus", APPROVED));
	CU_ASSERT(failure(r, ERR_TOO_MANY_RESULTS));
	CU_ASSERT_STRING_EQUAL(x.errors, ERR_TOO_MANY_RESULTS);
	/* Composite queries count all objects. */
	CU_ASSERT(failure(run_opts(SQ_GETFOLDERANDCONTENTS, "ObjectRef", 2,
	    NULL, L("$XDSFolderEntryUUID", "'" U(20) "'")),
	    ERR_TOO_MANY_RESULTS));
	CU_ASSERT(success(run_opts(SQ_GETFOLDERANDCONTENTS, "ObjectRef", 3,
	    NULL, L("$XDSFolderEntryUUID", "'" U(20) "'"))));

	r = run("urn:uuid:00000000-0000-0000-0000-000000000000", "ObjectRef",
	    L("$uuid", "'x'"));
	CU_ASSERT(failure(r, ERR_UNKNOWN_STORED_QUERY));
	CU_ASSERT_STRING_EQUAL(x.object,
	    "urn:uuid:00000000-0000-0000-0000-000000000000");
	CU_ASSERT(failure(run(SQ_FINDDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryPatientId", QP1)), ERR_SQ_MISSING_PARAM));
	CU_ASSERT_STRING_EQUAL(x.errors, ERR_SQ_MISSING_PARAM);
	CU_ASSERT(failure(run(SQ_FINDDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryPatientId", "('p1^^^&amp;1.2.3&amp;ISO', "
	    "'p2^^^&amp;1.2.3&amp;ISO')",
	    "$XDSDocumentEntryStatus", APPROVED)), ERR_SQ_PARAM_NUMBER));
	/* NIST 11897 classcode_scheme_mismatch and old_scheme. */
	CU_ASSERT(failure(FD("$XDSDocumentEntryClassCode",
	    "('DEMO-Lab^^1.3.6.1.4.1.21367.100.1', 'a^^')"), ERR_REGISTRY));
	CU_ASSERT(failure(FD("$XDSDocumentEntryPracticeSettingCode",
	    "('Dialysis')", "$XDSDocumentEntryPracticeSettingCodeScheme",
	    "('Connect-a-thon practiceSettingCodes')"), ERR_REGISTRY));
	CU_ASSERT(failure(run(SQ_FINDDOCUMENTS, "Bogus", L(
	    "$XDSDocumentEntryPatientId", QP1,
	    "$XDSDocumentEntryStatus", APPROVED)), ERR_REGISTRY));
	/* A value that only looks like SQL stays a value. */
	CU_ASSERT(refs(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('1.1.1'') OR 1=1 --')")), NONE));
}

/* "('%Author0%', ..., '%Author<n-1>%')" (static). */
static const char *
authors(int n)
{
	static char v[65536];
	struct buf b;
	int i;

	buf_init(&b, sizeof v - 1);
	CU_ASSERT_EQUAL(buf_adds(&b, "("), XDS_OK);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(buf_addf(&b, "%s'%%Author%d%%'", i ? ", " : "",
		    i), XDS_OK);
	CU_ASSERT_EQUAL(buf_adds(&b, ")"), XDS_OK);
	str_lcpy(v, buf_str(&b), sizeof v);
	buf_free(&b);
	return v;
}

/* One parameter's values are bounded where SQLite still takes them (an
 * OR of LIKEs nests a level per value; SQLite stops at 1000), and the
 * database's own words never reach the answer. */
static void
test_value_bounds(void)
{
	const char *r;

	CU_ASSERT(success(FD("$XDSDocumentEntryAuthorPerson",
	    authors(SQP_MAX_PARAM_VALUES))));
	r = FD("$XDSDocumentEntryAuthorPerson",
	    authors(SQP_MAX_PARAM_VALUES + 1));
	CU_ASSERT(failure(r, ERR_REGISTRY));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "$XDSDocumentEntryAuthorPerson: more "
	    "than 256 values"));
	CU_ASSERT_STRING_EQUAL(x.errors, ERR_REGISTRY);
	/* 998 of them were a database failure before: a Receiver fault
	 * with "Expression tree is too large" */
	r = FD("$XDSDocumentEntryAuthorPerson", authors(998));
	CU_ASSERT(failure(r, ERR_REGISTRY));
	CU_ASSERT_PTR_NULL(strstr(r, "Expression tree"));
	/* a database failure: logged, a generic XDSRegistryError */
	CU_ASSERT_EQUAL(sqlite3_exec(db, "ALTER TABLE author RENAME TO "
	    "author_gone", NULL, NULL, NULL), SQLITE_OK);
	r = FD("$XDSDocumentEntryAuthorPerson", "('%Ford%')");
	CU_ASSERT(failure(r, ERR_REGISTRY));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "the registry could not run the "
	    "query"));
	CU_ASSERT_PTR_NULL(strstr(r, "author"));
	CU_ASSERT_EQUAL(x.outcome, XACT_FAILURE);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "ALTER TABLE author_gone RENAME TO "
	    "author", NULL, NULL, NULL), SQLITE_OK);
	CU_ASSERT(refs(FD("$XDSDocumentEntryAuthorPerson", "('%Ford%')"),
	    L(U(01))));
}

/* A NIST 11897 request as sent (tag0: prefixes, $patient_id$ filled in). */
static const char *
run_nist(const char *section)
{
	static const char tok[] = "$patient_id$";
	struct query_opts o = { 100, NULL };
	const char *r = NULL;
	char path[4096], *p, *file;
	struct buf text;
	size_t n;

	snprintf(path, sizeof path, "iti18-stored-query/nist-testkit/11897/"
	    "%s/query.xml", section);
	if ((file = testutil_testdata_file(path, &n)) == NULL)
		return NULL;
	buf_init(&text, 1 << 20);
	if ((p = strstr(file, tok)) == NULL) {
		if (buf_add(&text, file, n) == XDS_OK)
			r = query_text(text.b_data, text.b_len, &o);
	} else if (buf_add(&text, file, (size_t)(p - file)) == XDS_OK &&
	    buf_adds(&text, "p1^^^&amp;1.2.3&amp;ISO") == XDS_OK &&
	    buf_adds(&text, p + strlen(tok)) == XDS_OK)
		r = query_text(text.b_data, text.b_len, &o);
	buf_free(&text);
	free(file);
	return r;
}

static void
test_nist_requests(void)
{
	if (testutil_testdata() == NULL) {
		fprintf(stderr, "XDS_TESTDATA not set: skipped ");
		return;
	}
	/* The patient P1 has none of the NIST codes: Success, empty. */
	CU_ASSERT(refs(run_nist("eventcode_multi_select"), NONE));
	CU_ASSERT_STRING_EQUAL(x.patient, P1);
	CU_ASSERT(refs(run_nist("author"), L(U(01))));	/* %Ford% */
	CU_ASSERT(refs(run_nist("creationtime_left_edge"), L(U(01))));
	CU_ASSERT(failure(run_nist("classcode_scheme_mismatch"),
	    ERR_REGISTRY));
	CU_ASSERT(failure(run_nist("old_scheme"), ERR_REGISTRY));
	CU_ASSERT(refs(run_nist("refid"), NONE));
}

#define BOTH	"('" STATUS_APPROVED "', '" STATUS_DEPRECATED "')"
/* A query at level 1 (the default, and given as 1) and at level 2. */
#define L1(q, ...)	(refs(run(q, "ObjectRef", L(__VA_ARGS__)), want1) && \
	refs(run(q, "ObjectRef", L(__VA_ARGS__, "$MetadataLevel", "1")), \
	want1))
#define L2(q, ...)	refs(run(q, "ObjectRef", L(__VA_ARGS__,	\
	"$MetadataLevel", "2")), want2)

/* $MetadataLevel 1 leaves out what Metadata Update brought (not the
 * latest version, Offline, Deprecated Folders and Associations, the
 * update operations, associations with such an end); 2 leaves it in. */
static void
test_metadata_level(void)
{
	const char *const *want1, *const *want2;
	const char *r;

	CU_ASSERT_EQUAL_FATAL(load_mu(), 0);
	want1 = L(U(51));
	want2 = L(U(51), U(52));
	CU_ASSERT(L1(SQ_FINDDOCUMENTS, "$XDSDocumentEntryPatientId", QP3,
	    "$XDSDocumentEntryStatus", APPROVED));
	CU_ASSERT(L2(SQ_FINDDOCUMENTS, "$XDSDocumentEntryPatientId", QP3,
	    "$XDSDocumentEntryStatus", APPROVED));
	want1 = L(U(51), U(53));
	want2 = L(U(50), U(51), U(52), U(53));
	CU_ASSERT(L1(SQ_FINDDOCUMENTS, "$XDSDocumentEntryPatientId", QP3,
	    "$XDSDocumentEntryStatus", BOTH));
	CU_ASSERT(L2(SQ_FINDDOCUMENTS, "$XDSDocumentEntryPatientId", QP3,
	    "$XDSDocumentEntryStatus", BOTH));

	/* GetDocuments: every version at level 2 only. */
	want1 = L(U(51));
	want2 = L(U(50), U(51));
	CU_ASSERT(L1(SQ_GETDOCUMENTS, "$XDSDocumentEntryUniqueId", "('5.1')"));
	CU_ASSERT(L2(SQ_GETDOCUMENTS, "$XDSDocumentEntryUniqueId", "('5.1')"));
	CU_ASSERT(L1(SQ_GETDOCUMENTS, "$XDSDocumentEntryLogicalID",
	    "('" U(50) "')"));
	CU_ASSERT(L2(SQ_GETDOCUMENTS, "$XDSDocumentEntryLogicalID",
	    "('" U(50) "')"));
	want1 = NONE;
	want2 = L(U(50));
	CU_ASSERT(L1(SQ_GETDOCUMENTS, "$XDSDocumentEntryEntryUUID",
	    "('" U(50) "')"));
	CU_ASSERT(L2(SQ_GETDOCUMENTS, "$XDSDocumentEntryEntryUUID",
	    "('" U(50) "')"));

	want1 = L(U(71));
	want2 = L(U(70), U(71));
	CU_ASSERT(L1(SQ_FINDFOLDERS, "$XDSFolderPatientId", QP3,
	    "$XDSFolderStatus", BOTH));
	CU_ASSERT(L2(SQ_FINDFOLDERS, "$XDSFolderPatientId", QP3,
	    "$XDSFolderStatus", BOTH));

	want1 = L(U(51), U(53), U(60), U(61), U(71), U(81), U(84), U(87),
	    U(89));
	want2 = L(U(50), U(51), U(52), U(53), U(60), U(61), U(70), U(71),
	    U(80), U(81), U(82), U(83), U(84), U(85), U(86), U(87), U(88),
	    U(89));
	CU_ASSERT(L1(SQ_GETALL, "$patientId", QP3, "$XDSDocumentEntryStatus",
	    BOTH, "$XDSSubmissionSetStatus", BOTH, "$XDSFolderStatus", BOTH));
	CU_ASSERT(L2(SQ_GETALL, "$patientId", QP3, "$XDSDocumentEntryStatus",
	    BOTH, "$XDSSubmissionSetStatus", BOTH, "$XDSFolderStatus", BOTH));

	want1 = L(U(53), U(60), U(71), U(87), U(89));
	want2 = L(U(50), U(52), U(53), U(60), U(70), U(71), U(80), U(86),
	    U(87), U(88), U(89));
	CU_ASSERT(L1(SQ_GETSSANDCONTENTS, "$XDSSubmissionSetEntryUUID",
	    "'" U(60) "'"));
	CU_ASSERT(L2(SQ_GETSSANDCONTENTS, "$XDSSubmissionSetEntryUUID",
	    "'" U(60) "'"));

	want1 = L(U(51), U(71), U(84));
	want2 = L(U(50), U(51), U(52), U(71), U(83), U(84), U(85));
	CU_ASSERT(L1(SQ_GETFOLDERANDCONTENTS, "$XDSFolderEntryUUID",
	    "'" U(71) "'"));
	CU_ASSERT(L2(SQ_GETFOLDERANDCONTENTS, "$XDSFolderEntryUUID",
	    "'" U(71) "'"));

	want1 = L(U(89));
	want2 = L(U(82), U(89));
	CU_ASSERT(L1(SQ_GETASSOCIATIONS, "$uuid", "('" U(53) "')"));
	CU_ASSERT(L2(SQ_GETASSOCIATIONS, "$uuid", "('" U(53) "')"));
	want1 = L(U(53), U(89));
	want2 = L(U(53), U(82), U(89));
	CU_ASSERT(L1(SQ_GETDOCSANDASSOCS, "$XDSDocumentEntryEntryUUID",
	    "('" U(53) "')"));
	CU_ASSERT(L2(SQ_GETDOCSANDASSOCS, "$XDSDocumentEntryEntryUUID",
	    "('" U(53) "')"));

	/* LeafClass: each version with its VersionInfo. */
	r = run(SQ_GETDOCUMENTS, "LeafClass", L("$XDSDocumentEntryLogicalID",
	    "('" U(50) "')", "$MetadataLevel", "2"));
	CU_ASSERT(success(r));
	CU_ASSERT_EQUAL(count(r, "<rim:VersionInfo versionName=\"1\"/>"), 1);
	CU_ASSERT_EQUAL(count(r, "<rim:VersionInfo versionName=\"2\"/>"), 1);

	/* Only the numbers 1 and 2, once. */
	CU_ASSERT(failure(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('5.1')", "$MetadataLevel", "0")),
	    ERR_REGISTRY));
	CU_ASSERT(failure(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('5.1')", "$MetadataLevel", "'2'")),
	    ERR_REGISTRY));
	CU_ASSERT(failure(run(SQ_GETDOCUMENTS, "ObjectRef", L(
	    "$XDSDocumentEntryUniqueId", "('5.1')",
	    "$MetadataLevel", "(1, 2)")),
	    ERR_SQ_PARAM_NUMBER));
}

/* query_obj_write: one stored object as the answer shows it. */
static int
obj_is(const char *xml, const char *home, const char *lid, long long version,
    int versioned, const char *want)
{
	struct query_obj o = { STATUS_APPROVED, home, lid, version,
	    versioned };
	struct buf b;
	int ok;

	buf_init(&b, 4096);
	ok = query_obj_write(&b, xml, strlen(xml), &o) == XDS_OK &&
	    strcmp(buf_str(&b), want) == 0;
	if (!ok)
		fprintf(stderr, "\ngot  %s\nwant %s\n", buf_str(&b), want);
	buf_free(&b);
	return ok;
}

#define ST	" status=\"" STATUS_APPROVED "\""
#define VI(n)	"<rim:VersionInfo versionName=\"" #n "\"/>"
#define SLOT1	"<rim:Slot name=\"a\"><rim:ValueList><rim:Value>x&lt;/" \
	"rim:Slot&gt;</rim:Value></rim:ValueList></rim:Slot>"
#define CLS1	"<rim:Classification id=\"c\" classifiedObject=\"e\"/>"

static void
test_obj_write(void)
{
	struct query_obj o = { STATUS_APPROVED, NULL, NULL, 1, 1 };
	struct buf b;

	/* As stored since ITI-57: only status (and home) are added. */
	CU_ASSERT(obj_is("<rim:ExtrinsicObject id=\"e\" lid=\"l\">" SLOT1
	    VI(2) CLS1 "</rim:ExtrinsicObject>", "urn:oid:1", "l", 2, 1,
	    "<rim:ExtrinsicObject" ST " home=\"urn:oid:1\" id=\"e\" "
	    "lid=\"l\">" SLOT1 VI(2) CLS1 "</rim:ExtrinsicObject>"));
	/* Before: lid and VersionInfo from the columns, VersionInfo after
	 * the Slots, Name and Description. */
	CU_ASSERT(obj_is("<rim:ExtrinsicObject id=\"e\" mimeType=\"a&gt;b\">"
	    SLOT1 SLOT1 "<rim:Name><rim:LocalizedString value=\"n\"/>"
	    "</rim:Name><rim:Description/>" CLS1 "</rim:ExtrinsicObject>",
	    NULL, "e", 1, 1, "<rim:ExtrinsicObject" ST " lid=\"e\" "
	    "id=\"e\" mimeType=\"a&gt;b\">" SLOT1 SLOT1 "<rim:Name>"
	    "<rim:LocalizedString value=\"n\"/></rim:Name><rim:Description/>"
	    VI(1) CLS1 "</rim:ExtrinsicObject>"));
	CU_ASSERT(obj_is("<rim:RegistryPackage id=\"s\" lid=\"s\">" SLOT1
	    "</rim:RegistryPackage>", NULL, "s", 1, 1,
	    "<rim:RegistryPackage" ST " id=\"s\" lid=\"s\">" SLOT1 VI(1)
	    "</rim:RegistryPackage>"));
	CU_ASSERT(obj_is("<rim:RegistryPackage id=\"s\"/>", NULL, "s", 3, 1,
	    "<rim:RegistryPackage" ST " lid=\"s\" id=\"s\">" VI(3)
	    "</rim:RegistryPackage>"));
	/* Associations are not versioned; a lid only. */
	CU_ASSERT(obj_is("<rim:Association id=\"a\" sourceObject=\"s\"/>",
	    NULL, "a", 1, 0, "<rim:Association" ST " lid=\"a\" id=\"a\" "
	    "sourceObject=\"s\"/>"));
	/* Not the registry's writing (text, an unclosed Slot): as stored. */
	CU_ASSERT(obj_is("<rim:RegistryPackage id=\"s\" lid=\"s\">x"
	    "</rim:RegistryPackage>", NULL, "s", 1, 1,
	    "<rim:RegistryPackage" ST " id=\"s\" lid=\"s\">x"
	    "</rim:RegistryPackage>"));
	CU_ASSERT(obj_is("<rim:RegistryPackage id=\"s\" lid=\"s\">"
	    "<rim:Slot name=\"a\"></rim:RegistryPackage>", NULL, "s", 1, 1,
	    "<rim:RegistryPackage" ST " id=\"s\" lid=\"s\">"
	    "<rim:Slot name=\"a\"></rim:RegistryPackage>"));
	/* lid and version not read yet: asked for when missing. */
	buf_init(&b, 256);
	o.version = 0;
	CU_ASSERT_EQUAL(query_obj_write(&b, "<rim:RegistryPackage id=\"s\" "
	    "lid=\"s\"/>", 37, &o), QUERY_OBJ_NEEDS);
	CU_ASSERT_EQUAL(b.b_len, 0);
	CU_ASSERT_EQUAL(query_obj_write(&b, "<rim:RegistryPackage id=\"s\" "
	    "lid=\"s\">" VI(1) "</rim:RegistryPackage>", 92, &o), XDS_OK);
	o.versioned = 0;
	CU_ASSERT_EQUAL(query_obj_write(&b, "<rim:Association id=\"a\"/>", 25,
	    &o), QUERY_OBJ_NEEDS);
	buf_free(&b);
	/* Not an element. */
	buf_init(&b, 64);
	CU_ASSERT_EQUAL(query_obj_write(&b, "x", 1, &o), XDS_EFORMAT);
	CU_ASSERT_EQUAL(query_obj_write(&b, "<rim:X id=\"", 11, &o),
	    XDS_EFORMAT);
	buf_free(&b);
}

static void
test_names(void)
{
	CU_ASSERT_STRING_EQUAL(query_id_by_name("FindDocuments"),
	    SQ_FINDDOCUMENTS);
	CU_ASSERT_STRING_EQUAL(query_id_by_name("GetFolderAndContents"),
	    SQ_GETFOLDERANDCONTENTS);
	CU_ASSERT_STRING_EQUAL(query_name_by_id(SQ_GETRELATEDDOCS),
	    "GetRelatedDocuments");
	CU_ASSERT_PTR_NULL(query_id_by_name("findDocuments"));
	CU_ASSERT_PTR_NULL(query_name_by_id(NULL));
}

static const struct cutest tests[] = {
	{ "values per parameter, database failures", test_value_bounds },
	{ "FindDocuments", test_finddocs },
	{ "FindDocuments codes", test_finddocs_codes },
	{ "FindDocuments times", test_finddocs_times },
	{ "FindDocuments author refid", test_finddocs_author_refid },
	{ "FindSubmissionSets FindFolders", test_findss_folders },
	{ "GetAll", test_getall },
	{ "GetDocuments GetFolders GetAssociations", test_getdocs_folders_assocs },
	{ "GetSubmissionSets and contents", test_getss },
	{ "GetFolderAndContents related", test_getfolder_related },
	{ "LeafClass and home", test_leafclass },
	{ "errors", test_errors },
	{ "NIST 11897 requests", test_nist_requests },
	{ "$MetadataLevel", test_metadata_level },
	{ "stored object with lid and VersionInfo", test_obj_write },
	{ "names", test_names },
};

int
main(void)
{
	int rc;

	xml_init();
	if (load() != 0) {
		fprintf(stderr, "cannot build the test database\n");
		return 99;
	}
	rc = cutest_run("query", tests, sizeof tests / sizeof tests[0]);
	sqlite3_close(db);
	xmlCleanupParser();
	return rc;
}
