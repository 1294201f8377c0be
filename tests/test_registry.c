/* test_registry.c: the Document Registry through its route handlers,
 * with a temporary state_dir: ITI-42 rules that need the database,
 * ITI-62 (R19), ITI-57 (versions, status changes and their rules),
 * atomicity, concurrent submitters and the group commit of
 * store_write. */
#include "config.h"

#include "cutest.h"
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "ebrim.h"
#include "feed.h"
#include "registry.h"
#include "registry_check.h"
#include "registry_int.h"
#include "store.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define PAT	"999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO"
#define PATC	"999911120^^^&2.16.840.1.113883.2.4.6.3&ISO"
#define HASH1	"da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define HASH2	"0000000000000000000000000000000000000001"
#define UUID1	"urn:uuid:6f1c6a8e-0000-4000-8000-000000000001"

#define SLOT(n, v) "<rim:Slot name=\"" n "\"><rim:ValueList><rim:Value>" v \
	"</rim:Value></rim:ValueList></rim:Slot>"
#define NAME(v)	"<rim:Name><rim:LocalizedString value=\"" v "\"/></rim:Name>"
#define CODE(scheme, obj, code) \
	"<rim:Classification id=\"" code obj "\" classificationScheme=\"" \
	scheme "\" classifiedObject=\"" obj "\" nodeRepresentation=\"" code \
	"\">" SLOT("codingScheme", "1.2.3") NAME(code) "</rim:Classification>"

static char tmpdir[256];
static struct conf conf;
static struct registry *reg;
static char reply[1024 * 1024];

/* In a format whose arguments are an object's id: a classification of
 * it (its own id: the object's, prefixed with p), and an external
 * identifier (its own id likewise; then the value). */
#define OBJ_CODE(p, scheme, code, name) \
	"<rim:Classification id=\"" p "%s\" classificationScheme=\"" scheme \
	"\" classifiedObject=\"%s\" nodeRepresentation=\"" code "\">" \
	SLOT("codingScheme", "1.2.3") NAME(name) "</rim:Classification>"
#define OBJ_EID(p, scheme) \
	"<rim:ExternalIdentifier id=\"" p "%s\" identificationScheme=\"" \
	scheme "\" registryObject=\"%s\" value=\"%s\"/>"

/* A DocumentEntry "<id>" with uniqueId uid, hash and patient; with a
 * lid, a new version of the logical object lid (ITI-57). */
static void
add_dev(struct buf *b, const char *id, const char *lid, const char *uid,
    const char *hash, const char *pat)
{
	CU_ASSERT_FATAL(buf_addf(b,
	    "<rim:ExtrinsicObject id=\"%s\"%s%s%s mimeType=\"text/plain\" "
	    "objectType=\"" OT_DE_STABLE "\">"
	    SLOT("creationTime", "20250101") SLOT("hash", "%s")
	    SLOT("size", "4") SLOT("languageCode", "nl-NL")
	    SLOT("repositoryUniqueId", "1.2.3.9")
	    SLOT("sourcePatientId", "1^^^&amp;1.2.3&amp;ISO")
	    OBJ_CODE("cc", CS_DE_CLASSCODE, "REPORTS", "R")
	    OBJ_CODE("cn", CS_DE_CONFCODE, "N", "N")
	    OBJ_CODE("cf", CS_DE_FORMATCODE, "F", "F")
	    OBJ_CODE("ch", CS_DE_HCFTCODE, "H", "H")
	    OBJ_CODE("cp", CS_DE_PRACTICECODE, "P", "P")
	    OBJ_CODE("ct", CS_DE_TYPECODE, "T", "T")
	    OBJ_EID("ep", EI_DE_PATIENTID) OBJ_EID("eu", EI_DE_UNIQUEID)
	    "</rim:ExtrinsicObject>",
	    id, lid != NULL ? " lid=\"" : "", lid != NULL ? lid : "",
	    lid != NULL ? "\"" : "", hash, id, id, id, id, id, id, id, id, id,
	    id, id, id, id, id, pat, id, id, uid) == XDS_OK);
}

static void
add_de(struct buf *b, const char *id, const char *uid, const char *hash,
    const char *pat)
{
	add_dev(b, id, NULL, uid, hash, pat);
}

/* A Folder; with a lid, a new version of the folder lid (ITI-57). */
static void
add_folderv(struct buf *b, const char *id, const char *lid, const char *uid,
    const char *pat)
{
	CU_ASSERT_FATAL(buf_addf(b,
	    "<rim:RegistryPackage id=\"%s\"%s%s%s>" NAME("Map")
	    OBJ_CODE("fc", CS_FOL_CODELIST, "X", "X")
	    OBJ_EID("fp", EI_FOL_PATIENTID) OBJ_EID("fu", EI_FOL_UNIQUEID)
	    "</rim:RegistryPackage>"
	    "<rim:Classification id=\"fn%s\" classifiedObject=\"%s\" "
	    "classificationNode=\"" NODE_FOLDER "\"/>",
	    id, lid != NULL ? " lid=\"" : "", lid != NULL ? lid : "",
	    lid != NULL ? "\"" : "", id, id, id, id, pat, id, id, uid, id,
	    id) == XDS_OK);
}

static void
add_folder(struct buf *b, const char *id, const char *uid, const char *pat)
{
	add_folderv(b, id, NULL, uid, pat);
}

static void
add_assoc(struct buf *b, const char *id, const char *type, const char *src,
    const char *dst, const char *status)
{
	CU_ASSERT_FATAL(buf_addf(b, "<rim:Association id=\"%s\" "
	    "associationType=\"%s\" sourceObject=\"%s\" targetObject=\"%s\">",
	    id, type, src, dst) == XDS_OK);
	if (status != NULL)
		CU_ASSERT_FATAL(buf_addf(b, SLOT("SubmissionSetStatus", "%s"),
		    status) == XDS_OK);
	CU_ASSERT_FATAL(buf_adds(b, "</rim:Association>") == XDS_OK);
}

static void
begin(struct buf *b, const char *ssuid, const char *pat)
{
	buf_init(b, 1024 * 1024);
	CU_ASSERT_FATAL(buf_addf(b,
	    "<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM "\">"
	    "<rim:RegistryObjectList xmlns:rim=\"" NS_RIM "\">"
	    "<rim:RegistryPackage id=\"SS1\">"
	    SLOT("submissionTime", "20250101120500")
	    CODE(CS_SS_CONTENTTYPE, "SS1", "C")
	    "<rim:ExternalIdentifier id=\"s1\" identificationScheme=\""
	    EI_SS_UNIQUEID "\" registryObject=\"SS1\" value=\"%s\"/>"
	    "<rim:ExternalIdentifier id=\"s2\" identificationScheme=\""
	    EI_SS_SOURCEID "\" registryObject=\"SS1\" value=\"1.2.3.4\"/>"
	    "<rim:ExternalIdentifier id=\"s3\" identificationScheme=\""
	    EI_SS_PATIENTID "\" registryObject=\"SS1\" value=\"%s\"/>"
	    "</rim:RegistryPackage>"
	    "<rim:Classification id=\"sn\" classifiedObject=\"SS1\" "
	    "classificationNode=\"" NODE_SUBMISSIONSET "\"/>",
	    ssuid, pat) == XDS_OK);
}

/* Run route n (0 ITI-42, 1 ITI-18, 2 ITI-62, 3 ITI-57) of registry r on body
 * text; the response is left in out.  Returns the handler's result.
 * Asserts nothing, so that submitter threads can use it. */
static int
call_into(struct registry *r, int n, const char *body, size_t len, char *out,
    size_t outsz)
{
	const struct soap_endpoint *ep = registry_endpoint(r);
	struct soap_request req;
	struct soap_reply rep;
	struct xact x;
	char	 err[256];
	int	 rc;

	memset(&req, 0, sizeof req);
	memset(&rep, 0, sizeof rep);
	out[0] = '\0';
	if ((req.doc = xml_parse(body, len, err, sizeof err)) == NULL) {
		fprintf(stderr, "xml: %s\n", err);
		return -100;
	}
	req.body = xmlDocGetRootElement(req.doc);
	req.pack = PACK_SIMPLE;
	buf_init(&rep.body, outsz - 1);
	xact_begin(&x, &conf, ep->path, "test", "127.0.0.1");
	rc = ep->routes[n].fn(ep->actor, &x, &req, &rep);
	snprintf(out, outsz, "%s", buf_str(&rep.body));
	buf_free(&rep.body);
	xmlFreeDoc(req.doc);
	return rc;
}

/* call_into() with the response left in reply. */
static int
call(struct registry *r, int n, const char *body, size_t len)
{
	return call_into(r, n, body, len, reply, sizeof reply);
}

/* Finish the request begun in b (freed) and send it as ITI-42 to r; as
 * call_into(). */
static int
send_sor(struct registry *r, struct buf *b, char *out, size_t outsz)
{
	int	 rc = -100;

	if (buf_adds(b, "</rim:RegistryObjectList>"
	    "</lcm:SubmitObjectsRequest>") == XDS_OK)
		rc = call_into(r, 0, buf_str(b), b->b_len, out, outsz);
	buf_free(b);
	return rc;
}

/* Finish and submit b; 1 Success, 0 Failure. */
static int
submit(struct registry *r, struct buf *b)
{
	CU_ASSERT_EQUAL(send_sor(r, b, reply, sizeof reply), 0);
	if (strstr(reply, ST_SUCCESS) != NULL)
		return 1;
	return 0;
}

/* Submit DocumentEntry doc (uniqueId uid, hash) alone for PAT in the
 * SubmissionSet whose uniqueId is ss; as submit(). */
static int
submit_one(const char *ss, const char *doc, const char *uid, const char *hash)
{
	struct buf b;

	begin(&b, ss, PAT);
	add_de(&b, doc, uid, hash, PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", doc, "Original");
	return submit(reg, &b);
}

static int
failed_with(const char *code)
{
	char	 pat[128];

	snprintf(pat, sizeof pat, "errorCode=\"%s\"", code);
	if (strstr(reply, ST_FAILURE) != NULL && strstr(reply, pat) != NULL)
		return 1;
	fprintf(stderr, "expected %s, got: %s\n", code, reply);
	return 0;
}

/* One integer from the database (or -1). */
static long long
q1(const char *sql, const char *arg)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char	 path[600];
	long long v = -1;

	snprintf(path, sizeof path, "%s/registry.db", conf.node_state_dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (arg != NULL)
			sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void
qs(const char *sql, const char *arg, char *out, size_t outsz)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char	 path[600];

	out[0] = '\0';
	snprintf(path, sizeof path, "%s/registry.db", conf.node_state_dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (arg != NULL)
			sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL)
			snprintf(out, outsz, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

#define DE_UUID "SELECT r.entry_uuid FROM registry_object r JOIN " \
	"document_entry d ON d.id = r.id WHERE d.unique_id = ?"
#define FOL_UUID "SELECT entry_uuid FROM registry_object WHERE kind = 3 " \
	"AND unique_id = ?"
#define COUNT_ALL "SELECT (SELECT count(*) FROM registry_object) * 1000 + " \
	"(SELECT count(*) FROM association) * 100 + " \
	"(SELECT count(*) FROM code) "

static void
test_single(void)
{
	struct buf b;
	char	 v[256];

	begin(&b, "1.1.1", PAT);
	add_de(&b, "Doc1", "1.1.1.1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
	    PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(reg, &b), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = ?", "1.1.1.1"), 1);
	qs("SELECT status || ' ' || patient_id || ' ' || hash || ' ' || "
	    "creation_time FROM document_entry WHERE unique_id = ?", "1.1.1.1",
	    v, sizeof v);
	CU_ASSERT_STRING_EQUAL(v, STATUS_APPROVED " " PATC " " HASH1
	    " 20250101000000");
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM code c JOIN document_entry d "
	    "ON d.id = c.object_id WHERE d.unique_id = ?", "1.1.1.1"), 6);
	/* Symbolic ids were replaced, status is not in the stored XML. */
	qs(DE_UUID, "1.1.1.1", v, sizeof v);
	CU_ASSERT_EQUAL(strncmp(v, "urn:uuid:", 9), 0);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE "
	    "entry_uuid = ? AND instr(xml, 'status=') = 0 AND "
	    "instr(xml, entry_uuid) > 0", v), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM submission_set WHERE "
	    "unique_id = ?", "1.1.1"), 1);
	/* The SubmissionSet XML carries its classification node. */
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE kind = 2 "
	    "AND unique_id = ? AND instr(xml, '" NODE_SUBMISSIONSET "') > 0",
	    "1.1.1"), 1);
}

static void
test_folder_rplc(void)
{
	struct buf b;
	char	 orig[128], fol[128], lut[32], lut2[32];

	/* Folder with a document (NIST 12000). */
	begin(&b, "1.2.1", PAT);
	add_de(&b, "Doc1", "1.2.1.1", HASH1, PAT);
	add_folder(&b, "Fol1", "1.2.1.9", PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	add_assoc(&b, "a2", AT_HASMEMBER, "SS1", "Fol1", NULL);
	add_assoc(&b, "a3", AT_HASMEMBER, "Fol1", "Doc1", NULL);
	add_assoc(&b, "a4", AT_HASMEMBER, "SS1", "a3", NULL);
	CU_ASSERT_EQUAL_FATAL(submit(reg, &b), 1);
	qs(DE_UUID, "1.2.1.1", orig, sizeof orig);
	qs(FOL_UUID, "1.2.1.9", fol, sizeof fol);
	qs("SELECT last_update_time FROM folder WHERE unique_id = ?",
	    "1.2.1.9", lut, sizeof lut);
	CU_ASSERT_EQUAL(strlen(lut), 14);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE "
	    "unique_id = ? AND instr(xml, 'lastUpdateTime') > 0", "1.2.1.9"), 1);

	/* An addendum of the original: deprecated with it (CP-ITI-117). */
	begin(&b, "1.2.5", PAT);
	add_de(&b, "Doc5", "1.2.5.1", HASH1, PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc5", "Original");
	add_assoc(&b, "p1", AT_APND, "Doc5", orig, NULL);
	CU_ASSERT_EQUAL_FATAL(submit(reg, &b), 1);

	/* RPLC (NIST 12327): original deprecated, replacement in the folder,
	 * one second later (the clock moved, not waited for). */
	clock_test_advance(1);
	begin(&b, "1.2.2", PAT);
	add_de(&b, "Doc2", "1.2.2.1", HASH1, PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc2", "Original");
	add_assoc(&b, "r1", AT_RPLC, "Doc2", orig, NULL);
	CU_ASSERT_EQUAL_FATAL(submit(reg, &b), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = '1.2.1.1' AND status = ?", STATUS_DEPRECATED), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE "
	    "unique_id = '1.2.1.1' AND status = ?", STATUS_DEPRECATED), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry d JOIN "
	    "registry_object r ON r.id = d.id WHERE d.unique_id = '1.2.5.1' "
	    "AND d.status = ?1 AND r.status = ?1", STATUS_DEPRECATED), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = '1.2.2.1' AND status = ?", STATUS_APPROVED), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM association a "
	    "JOIN registry_object f ON f.id = a.source_id "
	    "JOIN document_entry d ON d.id = a.target_id "
	    "WHERE f.unique_id = ? AND d.unique_id = '1.2.2.1'", "1.2.1.9"), 1);
	qs("SELECT last_update_time FROM folder WHERE unique_id = ?",
	    "1.2.1.9", lut2, sizeof lut2);
	CU_ASSERT(strcmp(lut2, lut) > 0);	/* R15 */

	/* APND on the deprecated original (NIST 11993). */
	begin(&b, "1.2.3", PAT);
	add_de(&b, "Doc3", "1.2.3.1", HASH1, PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc3", "Original");
	add_assoc(&b, "p1", AT_APND, "Doc3", orig, NULL);
	CU_ASSERT_EQUAL(submit(reg, &b), 0);
	CU_ASSERT(failed_with(ERR_DEPRECATED_DOCUMENT));

	/* Add a new document to the stored folder, other patient (12002). */
	begin(&b, "1.2.4", "111222333^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO");
	add_de(&b, "Doc4", "1.2.4.1", HASH1,
	    "111222333^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc4", "Original");
	add_assoc(&b, "a2", AT_HASMEMBER, fol, "Doc4", NULL);
	CU_ASSERT_EQUAL(submit(reg, &b), 0);
	CU_ASSERT(failed_with(ERR_PATIENTID_MISMATCH));
}

static void
test_uniqueness(void)
{
	CU_ASSERT_EQUAL(submit_one("1.3.1", "Doc1", "1.3.1.1", HASH1), 1);
	/* R8: SubmissionSet uniqueId again. */
	CU_ASSERT_EQUAL(submit_one("1.3.1", "Doc1", "1.3.9.1", HASH1), 0);
	CU_ASSERT(failed_with(ERR_DUP_UNIQUEID_IN_REGISTRY));
	/* R10: same document uniqueId, other hash (NIST 12004). */
	CU_ASSERT_EQUAL(submit_one("1.3.2", "Doc1", "1.3.1.1", HASH2), 0);
	CU_ASSERT(failed_with(ERR_NON_IDENTICAL_HASH));
	/* ... same hash and size: a second DocumentEntry. */
	CU_ASSERT_EQUAL(submit_one("1.3.3", "Doc1", "1.3.1.1", HASH1), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = ?", "1.3.1.1"), 2);
	/* R3: a submitted entryUUID must be new (NIST 15806). */
	CU_ASSERT_EQUAL(submit_one("1.3.4", UUID1, "1.3.4.1", HASH1), 1);
	CU_ASSERT_EQUAL(submit_one("1.3.5", UUID1, "1.3.5.1", HASH1), 0);
	CU_ASSERT(failed_with(ERR_REGISTRY_METADATA));
}

/* The patients the registry reported as new (registry_on_new_patient). */
static char new_patients[8][128];
static int nnew;

static void
on_new(void *arg, const char *cx)
{
	CU_ASSERT_PTR_EQUAL(arg, &nnew);
	if (nnew < 8)
		snprintf(new_patients[nnew], sizeof new_patients[0], "%s", cx);
	nnew++;
}

#define PAT2	"999911132^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO"
#define PAT2C	"999911132^^^&2.16.840.1.113883.2.4.6.3&ISO"
#define PAT3	"999911144^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO"
#define PAT3C	"999911144^^^&2.16.840.1.113883.2.4.6.3&ISO"

/* A patient's first document entry is reported once, after the commit;
 * a refused submission, a folder alone and a second document are not. */
static void
test_new_patient(void)
{
	struct buf b;

	registry_on_new_patient(reg, on_new, &nnew);
	nnew = 0;
	begin(&b, "1.9.1", PAT2);
	add_de(&b, "Doc1", "1.9.1.1", HASH1, PAT2);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(reg, &b), 1);
	CU_ASSERT_EQUAL_FATAL(nnew, 1);
	CU_ASSERT_STRING_EQUAL(new_patients[0], PAT2C);
	/* a second document of the patient */
	begin(&b, "1.9.2", PAT2);
	add_de(&b, "Doc1", "1.9.2.1", HASH1, PAT2);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(reg, &b), 1);
	CU_ASSERT_EQUAL(nnew, 1);
	/* refused (the SubmissionSet's uniqueId again): nothing stored */
	begin(&b, "1.9.1", PAT3);
	add_de(&b, "Doc1", "1.9.3.1", HASH1, PAT3);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(reg, &b), 0);
	CU_ASSERT_EQUAL(nnew, 1);
	/* a folder alone: no document entry */
	begin(&b, "1.9.4", PAT3);
	add_folder(&b, "F1", "1.9.4.1", PAT3);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "F1", NULL);
	CU_ASSERT_EQUAL(submit(reg, &b), 1);
	CU_ASSERT_EQUAL(nnew, 1);
	/* then the patient's first document */
	begin(&b, "1.9.5", PAT3);
	add_de(&b, "Doc1", "1.9.5.1", HASH1, PAT3);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(reg, &b), 1);
	CU_ASSERT_EQUAL_FATAL(nnew, 2);
	CU_ASSERT_STRING_EQUAL(new_patients[1], PAT3C);
	registry_on_new_patient(reg, NULL, NULL);
}

/* More errors than an error list keeps (1000): the first ones are
 * answered, not an internal error. */
static void
test_many_errors(void)
{
	struct buf b;
	char id[32], tgt[64];
	const char *p;
	int i, n;

	begin(&b, "1.3.90", PAT);
	add_de(&b, "Doc1", "1.3.90.1", HASH1, PAT);
	add_assoc(&b, "a0", AT_HASMEMBER, "SS1", "Doc1", "Original");
	for (i = 1; i <= 1100; i++) {
		snprintf(id, sizeof id, "a%d", i);
		snprintf(tgt, sizeof tgt,
		    "urn:uuid:6f1c6a8e-0000-4000-8000-%012d", i);
		add_assoc(&b, id, AT_HASMEMBER, "SS1", tgt, "Reference");
	}
	CU_ASSERT_EQUAL(submit(reg, &b), 0);
	CU_ASSERT(failed_with(ERR_UNRESOLVED_REFERENCE));
	/* exactly the list's capacity, each a real error */
	for (n = 0, p = reply; (p = strstr(p, "errorCode=\"" ERR_UNRESOLVED_REFERENCE
	    "\"")) != NULL; p++)
		n++;
	CU_ASSERT_EQUAL(n, 1000);
}

/* A registry that could not write tells busy apart from broken, and the
 * database's own words stay in the log. */
static void
test_busy_answer(void)
{
	struct soap_reply rep;
	struct rim_errors errs;
	struct xact x;
	const char *out;

	memset(&rep, 0, sizeof rep);
	buf_init(&rep.body, 64 * 1024);
	rim_errors_init(&errs);
	xact_begin(&x, &conf, "/xds/registry", "test", "127.0.0.1");
	CU_ASSERT_EQUAL(reg_respond(&x, &rep, XDS_EBUSY, &errs, TXN_ITI42,
	    "database is locked"), XDS_OK);
	out = buf_str(&rep.body);
	CU_ASSERT(strstr(out, ST_FAILURE) != NULL);
	CU_ASSERT(strstr(out, "errorCode=\"" ERR_REGISTRY_BUSY "\"") != NULL);
	CU_ASSERT(strstr(out, "locked") == NULL);
	rim_errors_free(&errs);
	buf_free(&rep.body);

	memset(&rep, 0, sizeof rep);
	buf_init(&rep.body, 64 * 1024);
	rim_errors_init(&errs);
	CU_ASSERT_EQUAL(reg_respond(&x, &rep, XDS_EIO, &errs, TXN_ITI42,
	    "disk I/O error"), XDS_OK);
	out = buf_str(&rep.body);
	CU_ASSERT(strstr(out, "errorCode=\"" ERR_REGISTRY "\"") != NULL);
	CU_ASSERT(strstr(out, ERR_REGISTRY_BUSY) == NULL);
	CU_ASSERT(strstr(out, "disk I/O") == NULL);
	rim_errors_free(&errs);
	buf_free(&rep.body);
}

/* More invalid entries than the error list keeps: still a Failure that
 * names them, not a registry error. */
static void
test_many_invalid(void)
{
	struct buf b;
	char id[32], uid[32];
	const char *p;
	int i, n;

	begin(&b, "1.3.91", PAT);
	b.b_max = 4 * 1024 * 1024;
	/* three errors each: hash, uniqueId, patient */
	for (i = 1; i <= 400; i++) {
		snprintf(id, sizeof id, "Doc%d", i);
		snprintf(uid, sizeof uid, "1.3.91.%d..x", i);
		add_de(&b, id, uid, "not-a-hash",
		    "1^^^&amp;1.2.3.4.5&amp;ISO");
		add_assoc(&b, id + 1, AT_HASMEMBER, "SS1", id, "Original");
	}
	CU_ASSERT_EQUAL(submit(reg, &b), 0);
	CU_ASSERT(strstr(reply, ST_FAILURE) != NULL);
	CU_ASSERT(strstr(reply, "errorCode=\"" ERR_REGISTRY "\"") == NULL);
	for (n = 0, p = reply; (p = strstr(p, "errorCode=")) != NULL; p++)
		n++;
	CU_ASSERT_EQUAL(n, 1000);
}

static void
test_atomic(void)
{
	struct buf b;
	long long before = q1(COUNT_ALL, NULL);

	/* Valid metadata, refused by the database checks only at the end:
	 * nothing of it may stay (NIST 12084). */
	begin(&b, "1.4.1", PAT);
	add_de(&b, "Doc1", "1.4.1.1", HASH1, PAT);
	add_folder(&b, "Fol1", "1.4.1.9", PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	add_assoc(&b, "a2", AT_HASMEMBER, "SS1", "Fol1", NULL);
	add_assoc(&b, "r1", AT_RPLC, "Doc1",
	    "urn:uuid:6f1c6a8e-0000-4000-8000-00000000dead", NULL);
	CU_ASSERT_EQUAL(submit(reg, &b), 0);
	CU_ASSERT(failed_with(ERR_UNRESOLVED_REFERENCE));
	CU_ASSERT_EQUAL(q1(COUNT_ALL, NULL), before);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE "
	    "unique_id = ?", "1.4.1"), 0);
}

static void
test_unknown_patient(void)
{
	struct conf fc;
	struct registry *fr = NULL;
	struct buf b;
	char	 err[256], dir[300];

	/* bsn mode: not a BSN. */
	begin(&b, "1.5.1", "999911121^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO");
	add_de(&b, "Doc1", "1.5.1.1", HASH1,
	    "999911121^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(reg, &b), 0);
	CU_ASSERT(failed_with(ERR_UNKNOWN_PATIENTID));

	/* feed mode: known only after registry_patient_add. */
	fc = conf;
	snprintf(dir, sizeof dir, "%s/feed", tmpdir);
	snprintf(fc.node_state_dir, sizeof fc.node_state_dir, "%s", dir);
	snprintf(fc.registry_patient_ids, sizeof fc.registry_patient_ids,
	    "feed");
	CU_ASSERT_EQUAL_FATAL(registry_open(&fc, &fr, err, sizeof err), 0);
	begin(&b, "1.5.2", "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_de(&b, "Doc1", "1.5.2.1", HASH1, "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(fr, &b), 0);
	CU_ASSERT(failed_with(ERR_UNKNOWN_PATIENTID));
	CU_ASSERT_EQUAL(registry_patient_add(fr, "42", err, sizeof err), -1);
	CU_ASSERT_EQUAL(registry_patient_add(fr, "42^^^&1.2.3.4.5&ISO", err,
	    sizeof err), 0);
	begin(&b, "1.5.2", "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_de(&b, "Doc1", "1.5.2.1", HASH1, "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(fr, &b), 1);
	registry_close(fr);
}

static int
count_cb(void *arg, const char *cx, const char *added)
{
	(void)added;
	if (strcmp(cx, "42^^^&1.2.3.4.5&ISO") == 0)
		(*(int *)arg)++;
	return 0;
}

static void
test_patient_list(void)
{
	struct conf fc = conf;
	struct registry *fr = NULL;
	char	 err[256];
	int	 n = 0;

	snprintf(fc.node_state_dir, sizeof fc.node_state_dir, "%s/feed",
	    tmpdir);
	CU_ASSERT_EQUAL_FATAL(registry_open(&fc, &fr, err, sizeof err), 0);
	CU_ASSERT_EQUAL(registry_patient_list(fr, count_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	registry_close(fr);
}

/* ---- ITI-8 (feed.c) ---- */

#define FEED_MSH "MSH|^~\\&|HIS|ZH|XDS|NODE|20261206120000||ADT^"

/* One message through the feed: MSA-1 of its ACK into code ("" none). */
static void
feed_msg(struct registry_feed *f, const char *msg, char *code, char *ack,
    size_t acksz)
{
	struct xact x;
	struct buf b;
	const char *p;

	xact_begin(&x, &conf, "/mllp", "test", "127.0.0.1");
	buf_init(&b, 65536);
	CU_ASSERT_EQUAL(registry_feed_message(f, &x, msg, strlen(msg), &b),
	    XDS_OK);
	snprintf(ack, acksz, "%s", buf_str(&b));
	code[0] = '\0';
	if ((p = strstr(buf_str(&b), "\rMSA|")) != NULL)
		snprintf(code, 3, "%s", p + 5);
	buf_free(&b);
}

static long long
sql_count(const char *dir, const char *sql)
{
	char path[600];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	snprintf(path, sizeof path, "%s/registry.db", dir);
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static int
list_cb(void *arg, const char *cx, const char *added)
{
	(void)added;
	str_lcat(arg, cx, 512);
	str_lcat(arg, " ", 512);
	return 0;
}

static void
test_feed(void)
{
	struct conf fc = conf;
	struct registry *fr = NULL;
	struct registry_feed *f = NULL;
	struct buf b;
	struct registry_feed_stats st;
	char err[256], dir[300], code[4], ack[4096], list[512] = "";

	snprintf(dir, sizeof dir, "%s/feed8", tmpdir);
	snprintf(fc.node_state_dir, sizeof fc.node_state_dir, "%s", dir);
	snprintf(fc.registry_patient_ids, sizeof fc.registry_patient_ids,
	    "feed");
	snprintf(fc.registry_feed_domain, sizeof fc.registry_feed_domain,
	    "1.2.3.4.5");
	CU_ASSERT_EQUAL_FATAL(registry_open(&fc, &fr, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(registry_feed_open(&fc, fr, &f, err, sizeof err),
	    XDS_OK);
	/* A01 of 42 (the domain's id among others), A04 of 43 */
	feed_msg(f, FEED_MSH "A01|M1|P|2.5\rPID|||9^^^&9.9&ISO~"
	    "42^^^&1.2.3.4.5&ISO\r", code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AA");
	feed_msg(f, FEED_MSH "A04|M2|P|2.5\rPID|||43^^^&1.2.3.4.5&ISO\r",
	    code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AA");
	/* a document of each, one with a folder */
	begin(&b, "1.8.1", "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_de(&b, "Doc1", "1.8.1.1", HASH1, "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(fr, &b), 1);
	begin(&b, "1.8.2", "43^^^&amp;1.2.3.4.5&amp;ISO");
	add_de(&b, "Doc1", "1.8.2.1", HASH1, "43^^^&amp;1.2.3.4.5&amp;ISO");
	add_folder(&b, "F1", "1.8.2.9", "43^^^&amp;1.2.3.4.5&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	add_assoc(&b, "a2", AT_HASMEMBER, "SS1", "F1", "Original");
	add_assoc(&b, "a3", AT_HASMEMBER, "F1", "Doc1", NULL);
	add_assoc(&b, "a4", AT_HASMEMBER, "SS1", "a3", "Original");
	CU_ASSERT_EQUAL(submit(fr, &b), 1);
	/* A40: 43 into 42 */
	feed_msg(f, FEED_MSH "A40^ADT_A39|M3|P|2.5\rPID|||42^^^&1.2.3.4.5&"
	    "ISO\rMRG|43^^^&1.2.3.4.5&ISO\r", code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AA");
	CU_ASSERT_EQUAL(sql_count(dir, "SELECT count(*) FROM registry_object "
	    "WHERE patient_id LIKE '43^%' OR CAST(xml AS TEXT) LIKE "
	    "'%\"43^^^&amp;%'"), 0);
	CU_ASSERT_EQUAL(sql_count(dir, "SELECT count(*) FROM registry_object "
	    "WHERE patient_id = '42^^^&1.2.3.4.5&ISO' AND CAST(xml AS TEXT) LIKE "
	    "'%value=\"42^^^&amp;1.2.3.4.5&amp;ISO\"%'"), 5);
	CU_ASSERT_EQUAL(sql_count(dir, "SELECT (SELECT count(*) FROM "
	    "document_entry WHERE patient_id = '42^^^&1.2.3.4.5&ISO') + "
	    "(SELECT count(*) FROM submission_set WHERE patient_id = "
	    "'42^^^&1.2.3.4.5&ISO') + (SELECT count(*) FROM folder WHERE "
	    "patient_id = '42^^^&1.2.3.4.5&ISO')"), 5);
	CU_ASSERT_EQUAL(registry_patient_list(fr, list_cb, list), 0);
	CU_ASSERT_STRING_EQUAL(list, "42^^^&1.2.3.4.5&ISO ");
	/* the subsumed id is refused; the survivor's entries take more */
	begin(&b, "1.8.3", "43^^^&amp;1.2.3.4.5&amp;ISO");
	add_de(&b, "Doc1", "1.8.3.1", HASH1, "43^^^&amp;1.2.3.4.5&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(fr, &b), 0);
	CU_ASSERT(failed_with(ERR_UNKNOWN_PATIENTID));
	begin(&b, "1.8.4", "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_de(&b, "Doc1", "1.8.4.1", HASH1, "42^^^&amp;1.2.3.4.5&amp;ISO");
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL(submit(fr, &b), 1);
	/* the same A40 again: nothing more to move, AA */
	feed_msg(f, FEED_MSH "A40^ADT_A39|M4|P|2.5\rPID|||42^^^&1.2.3.4.5&"
	    "ISO\rMRG|43^^^&1.2.3.4.5&ISO\r", code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AA");
	/* refusals */
	feed_msg(f, FEED_MSH "A40|M5|P|2.5\rPID|||42^^^&1.2.3.4.5&ISO\r"
	    "MRG|42^^^&1.2.3.4.5&ISO\r", code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AE");
	CU_ASSERT_PTR_NOT_NULL(strstr(ack, "surviving"));
	feed_msg(f, FEED_MSH "A40|M6|P|2.5\rPID|||42^^^&1.2.3.4.5&ISO\r",
	    code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AR");
	feed_msg(f, FEED_MSH "A01|M7|P|2.5\rPID|||^^^&1.2.3.4.5&ISO\r",
	    code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AE");
	CU_ASSERT_PTR_NOT_NULL(strstr(ack, "|101^"));
	feed_msg(f, FEED_MSH "A01||P|2.5\rPID|||42^^^&1.2.3.4.5&ISO\r",
	    code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AR");
	CU_ASSERT_PTR_NOT_NULL(strstr(ack, "MSH-10"));
	feed_msg(f, "MSH|^~", code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AR");
	/* unlink: refused, saying why; nothing changes */
	feed_msg(f, FEED_MSH "A37^ADT_A37|M8|P|2.5\rPID|||42^^^&1.2.3.4.5&"
	    "ISO\rPID|||43^^^&1.2.3.4.5&ISO\r", code, ack, sizeof ack);
	CU_ASSERT_STRING_EQUAL(code, "AR");
	CU_ASSERT_PTR_NOT_NULL(strstr(ack, "|201^"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ack, "A37 (unlink) is not taken"));
	list[0] = '\0';
	CU_ASSERT_EQUAL(registry_patient_list(fr, list_cb, list), 0);
	CU_ASSERT_STRING_EQUAL(list, "42^^^&1.2.3.4.5&ISO ");
	/* what the feed answered, by result */
	registry_feed_stats(f, &st);
	CU_ASSERT_EQUAL(st.n[FEED_ACCEPTED], 4);
	CU_ASSERT_EQUAL(st.n[FEED_R_INVALID], 1);	/* M5 */
	CU_ASSERT_EQUAL(st.n[FEED_R_MALFORMED], 2);	/* M6, "MSH|^~" */
	CU_ASSERT_EQUAL(st.n[FEED_R_REQUIRED], 2);	/* M7, no MSH-10 */
	CU_ASSERT_EQUAL(st.n[FEED_R_EVENT], 1);		/* M8 */
	CU_ASSERT(st.last_at > 0);
	CU_ASSERT_STRING_EQUAL(registry_feed_result_name(FEED_R_TOO_BIG),
	    "too_big");
	/* the sources: loopback always, others only when named */
	CU_ASSERT(registry_feed_source_ok("", "127.0.0.1", ""));
	CU_ASSERT(registry_feed_source_ok("", "::1", ""));
	CU_ASSERT(!registry_feed_source_ok("", "10.1.2.3", "CN=adt,O=A"));
	CU_ASSERT(registry_feed_source_ok("CN=x;CN=adt,O=A", "10.1.2.3",
	    "CN=adt,O=A"));
	CU_ASSERT(!registry_feed_source_ok("CN=adt,O=A", "10.1.2.3",
	    "CN=adt,O=B"));
	CU_ASSERT(!registry_feed_source_ok("CN=adt,O=A", "10.1.2.3", ""));
	CU_ASSERT(!registry_feed_source_ok("CN=adt", "10.1.2.3",
	    "CN=adt,O=A"));			/* whole subjects only */
	CU_ASSERT(registry_feed_source_ok("*", "10.1.2.3", ""));
	/* a message of a peer not named: AR 207, counted as such */
	{
		static const char m[] = FEED_MSH "A01|S1|P|2.5\rPID|||"
		    "44^^^&1.2.3.4.5&ISO\r";
		struct xact x;

		buf_init(&b, 65536);
		xact_begin(&x, &fc, "/mllp", "CN=adt,O=B", "10.1.2.3");
		CU_ASSERT_EQUAL(registry_feed_refuse(f, &x, m, strlen(m),
		    FEED_R_SOURCE, "the peer is not in registry.feed_sources",
		    &b), XDS_OK);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "MSA|AR|S1"));
		CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(&b), "207"));
		buf_free(&b);
	}
	registry_feed_stats(f, &st);
	CU_ASSERT_EQUAL(st.n[FEED_R_SOURCE], 1);
	CU_ASSERT_EQUAL(st.n[FEED_ACCEPTED], 4);
	/* a feed only with patient_ids = feed */
	registry_feed_close(f);
	registry_close(fr);
	CU_ASSERT_EQUAL(registry_feed_open(&fc, reg, &f, err, sizeof err),
	    XDS_EINVAL);
}

static int
remove_ids(const char *a, const char *b, const char *c)
{
	struct buf x;
	const char *ids[3] = { a, b, c };
	int	 i, rc;

	buf_init(&x, 64 * 1024);
	CU_ASSERT_FATAL(buf_adds(&x, "<lcm:RemoveObjectsRequest xmlns:lcm=\""
	    NS_LCM "\" xmlns:rim=\"" NS_RIM "\"><rim:ObjectRefList>") == XDS_OK);
	for (i = 0; i < 3; i++)
		if (ids[i] != NULL)
			CU_ASSERT_FATAL(buf_addf(&x, "<rim:ObjectRef id=\"%s\"/>",
			    ids[i]) == XDS_OK);
	CU_ASSERT_FATAL(buf_adds(&x, "</rim:ObjectRefList>"
	    "</lcm:RemoveObjectsRequest>") == XDS_OK);
	rc = call(reg, 2, buf_str(&x), x.b_len);
	buf_free(&x);
	CU_ASSERT_EQUAL(rc, 0);
	return strstr(reply, ST_SUCCESS) != NULL;
}

static void
test_delete(void)
{
	struct buf b;
	char	 de[128], ss[128], as[128];
	long long before;

	begin(&b, "1.6.1", PAT);
	add_de(&b, "Doc1", "1.6.1.1", HASH1, PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
	CU_ASSERT_EQUAL_FATAL(submit(reg, &b), 1);
	qs(DE_UUID, "1.6.1.1", de, sizeof de);
	qs("SELECT entry_uuid FROM registry_object WHERE kind = 2 AND "
	    "unique_id = ?", "1.6.1", ss, sizeof ss);
	qs("SELECT r.entry_uuid FROM association a JOIN registry_object r ON "
	    "r.id = a.id JOIN registry_object t ON t.id = a.target_id WHERE "
	    "t.entry_uuid = ?", de, as, sizeof as);
	before = q1(COUNT_ALL, NULL);

	CU_ASSERT_EQUAL(remove_ids("urn:uuid:6f1c6a8e-0000-4000-8000-0000000000ff",
	    NULL, NULL), 0);
	CU_ASSERT(failed_with(ERR_UNRESOLVED_REFERENCE));
	CU_ASSERT_EQUAL(remove_ids(de, NULL, NULL), 0);
	CU_ASSERT(failed_with(ERR_REFERENCES_EXIST));
	CU_ASSERT_EQUAL(remove_ids(as, NULL, NULL), 0);
	CU_ASSERT(failed_with(ERR_UNREFERENCED_OBJECT));
	CU_ASSERT_EQUAL(remove_ids(de, as, "urn:uuid:6f1c6a8e-0000-4000-8000-0000000000ff"), 0);
	CU_ASSERT(failed_with(ERR_UNRESOLVED_REFERENCE));
	CU_ASSERT_EQUAL(q1(COUNT_ALL, NULL), before);
	CU_ASSERT_EQUAL(remove_ids(ss, de, as), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = ?", "1.6.1.1"), 0);
	CU_ASSERT_EQUAL(q1(COUNT_ALL, NULL), before - 3000 - 100 - 7);
}

/* A submitter thread: each submissions of one DocumentEntry, the
 * SubmissionSet i's uniqueId root.n.i; with rplc every third also
 * replaces an entry the registry does not hold (refused). */
struct submitter {
	const char	*root;
	int		 n, each, rplc;
	int		 ok, refused;
	pthread_t	 t;
};

static void *
submitter_run(void *arg)
{
	struct submitter *w = arg;
	struct buf b;
	char	 ss[64], de[64], out[64 * 1024];
	int	 i;

	for (i = 0; i < w->each; i++) {
		snprintf(ss, sizeof ss, "%s.%d.%d", w->root, w->n, i);
		snprintf(de, sizeof de, "%s.%d.%d.1", w->root, w->n, i);
		begin(&b, ss, PAT);
		add_de(&b, "Doc1", de, HASH1, PAT);
		add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "Doc1", "Original");
		if (w->rplc && i % 3 == 2)
			add_assoc(&b, "r1", AT_RPLC, "Doc1", "urn:uuid:"
			    "6f1c6a8e-0000-4000-8000-00000000beef", NULL);
		if (send_sor(reg, &b, out, sizeof out) != 0)
			continue;
		if (strstr(out, ST_SUCCESS) != NULL)
			w->ok++;
		else if (strstr(out, ERR_UNRESOLVED_REFERENCE) != NULL)
			w->refused++;
	}
	return NULL;
}

/* n submitters, n of them under root, started and joined. */
static void
submitters(struct submitter *w, int n, const char *root, int each, int rplc)
{
	int	 i;

	for (i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].root = root;
		w[i].n = i + 1;
		w[i].each = each;
		w[i].rplc = rplc;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&w[i].t, NULL,
		    submitter_run, &w[i]), 0);
	}
	for (i = 0; i < n; i++)
		pthread_join(w[i].t, NULL);
}

static void
test_concurrent(void)
{
	struct submitter w[2];

	submitters(w, 2, "1.7", 5, 0);
	CU_ASSERT_EQUAL(w[0].ok, 5);
	CU_ASSERT_EQUAL(w[1].ok, 5);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM submission_set WHERE "
	    "unique_id LIKE '1.7.%'", NULL), 10);
}

static void
test_reopen(void)
{
	struct registry *r2 = NULL;
	char	 err[256];

	/* The schema is applied once; a second open finds version 1. */
	CU_ASSERT_EQUAL(registry_open(&conf, &r2, err, sizeof err), 0);
	registry_close(r2);
	CU_ASSERT_EQUAL(q1("PRAGMA user_version", NULL), 1);
	{
		char	 mode[16];

		qs("PRAGMA journal_mode", NULL, mode, sizeof mode);
		CU_ASSERT_STRING_EQUAL(mode, "wal");
	}
}

/* ---- group commit (store_write) ---- */

#define GC_THREADS	16
#define GC_PER_THREAD	40

static struct store *gcs;

/* Holds the fn that meets it inside its batch until the test opens it:
 * entered counts the fns at the gate, open becomes 1. */
struct gc_gate {
	struct testutil_count	 entered;
	struct testutil_count	 open;
};

struct gc_arg {
	int		 key;
	int		 fail;	/* 0 keep, 1 business failure, 2 XDS_EIO */
	struct gc_gate	*gate;	/* or NULL */
};

static void
gc_gate_pass(struct gc_gate *g)
{
	testutil_count_add(&g->entered, 1);
	/* the test opens it; a test that failed first leaves us here */
	testutil_count_wait(&g->open, 1, 24 * 3600 * 1000LL);
}

static const char GC_INS[] = "INSERT INTO gc (k) VALUES (?)";
static const char GC_HAS[] = "SELECT count(*) FROM gc WHERE k = ?";

static int
gc_fn(struct store_conn *c, void *arg)
{
	struct gc_arg *a = arg;
	sqlite3_stmt *st;
	int	 rc, n;

	if (a->gate != NULL)
		gc_gate_pass(a->gate);
	/* A check that reads the database: it must see the writes of the
	 * earlier members of the same batch. */
	if ((st = store_stmt(c, GC_HAS)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int(st, 1, a->key);
	rc = sqlite3_step(st);
	n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return XDS_EIO;
	if (n > 0)
		return 1;		/* already stored: refused */
	if ((st = store_stmt(c, GC_INS)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int(st, 1, a->key);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_rc(rc);
	/* Fail after writing: the row must go with the failure. */
	return a->fail == 1 ? 1 : a->fail == 2 ? XDS_EIO : 0;
}

static int
gc_create(struct store_conn *c, void *arg)
{
	(void)arg;
	return sqlite3_exec(c->db, "CREATE TABLE IF NOT EXISTS gc "
	    "(k INTEGER NOT NULL)", NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    XDS_EIO;
}

static long long
gc_count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char	 path[600];
	long long v = -1;

	snprintf(path, sizeof path, "%s/gc/registry.db", tmpdir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

struct gc_worker {
	int	 n;
	int	 ok, refused, errors, wrong;
	int	 acked[GC_PER_THREAD];	/* keys answered 0 */
};

/* Key k: every 7th fails after writing (business failure), every 11th
 * fails with XDS_EIO, every 13th repeats the key before it (refused
 * by the read check, whichever batch the first one was in). */
static void
gc_plan(int k, struct gc_arg *a)
{
	memset(a, 0, sizeof *a);
	a->key = k % 13 == 0 ? k - 1 : k;
	a->fail = k % 7 == 0 ? 1 : k % 11 == 0 ? 2 : 0;
}

/* What store_write must answer for key k (0, 1 or -1), given that the
 * same thread submitted k - 1 just before when prev. */
static int
gc_expect(int k, int prev)
{
	struct gc_arg a;

	gc_plan(k, &a);
	if (a.key != k && prev && gc_expect(k - 1, 0) == 0)
		return 1;	/* k - 1 is stored: refused by the read */
	return a.fail == 1 ? 1 : a.fail == 2 ? -1 : 0;
}

static void *
gc_run(void *arg)
{
	struct gc_worker *w = arg;
	struct gc_arg a;
	char	 err[256];
	int	 i, rc;

	for (i = 0; i < GC_PER_THREAD; i++) {
		gc_plan(w->n * 1000 + i + 1, &a);
		err[0] = 'x';
		rc = store_write(gcs, gc_fn, &a, err, sizeof err);
		if (rc == 0) {
			w->acked[w->ok++] = a.key;
			if (a.fail != 0 || err[0] != '\0')
				w->wrong++;
		} else if (rc == 1) {
			w->refused++;
		} else {
			w->errors++;
			/* The error text belongs to this caller. */
			if (a.fail != 2 || err[0] == '\0')
				w->wrong++;
		}
	}
	return NULL;
}

static void
test_group_commit(void)
{
	pthread_t t[GC_THREADS];
	struct gc_worker *w;
	unsigned long long writes = 0, commits = 0;
	char	 dir[600], err[256], sql[128];
	int	 i, j, ok = 0, exp_ok = 0, exp_ref = 0, exp_err = 0;
	int	 refused = 0, errors = 0;

	snprintf(dir, sizeof dir, "%s/gc", tmpdir);
	CU_ASSERT_EQUAL_FATAL(store_open(dir, &gcs, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(store_write(gcs, gc_create, NULL, err,
	    sizeof err), 0);
	w = calloc(GC_THREADS, sizeof *w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	for (i = 0; i < GC_THREADS; i++) {
		w[i].n = i;
		for (j = 0; j < GC_PER_THREAD; j++) {
			switch (gc_expect(i * 1000 + j + 1, j > 0)) {
			case 0:	exp_ok++; break;
			case 1:	exp_ref++; break;
			default: exp_err++; break;
			}
		}
	}
	for (i = 0; i < GC_THREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, gc_run,
		    &w[i]), 0);
	for (i = 0; i < GC_THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < GC_THREADS; i++) {
		ok += w[i].ok;
		refused += w[i].refused;
		errors += w[i].errors;
		CU_ASSERT_EQUAL(w[i].wrong, 0);
	}
	store_stats(gcs, &writes, &commits);
	store_close(gcs);
	gcs = NULL;
	CU_ASSERT_EQUAL(ok, exp_ok);
	CU_ASSERT_EQUAL(refused, exp_ref);
	CU_ASSERT_EQUAL(errors, exp_err);
	/* +1: the CREATE TABLE */
	CU_ASSERT_EQUAL(writes, (unsigned long long)exp_ok + 1);
	CU_ASSERT(commits >= 1 && commits <= writes);
	fprintf(stderr, "group commit: %llu writes in %llu commits\n",
	    writes, commits);

	/* After close: every acknowledged key once, nothing else. */
	CU_ASSERT_EQUAL(gc_count("SELECT count(*) FROM gc"), exp_ok);
	CU_ASSERT_EQUAL(gc_count("SELECT count(DISTINCT k) FROM gc"), exp_ok);
	for (i = 0; i < GC_THREADS; i++) {
		for (j = 0; j < w[i].ok; j++) {
			snprintf(sql, sizeof sql, "SELECT count(*) FROM gc "
			    "WHERE k = %d", w[i].acked[j]);
			CU_ASSERT_EQUAL(gc_count(sql), 1);
		}
	}
	free(w);
}

/* One batch, held up by its first member (at a gate) while the others
 * queue behind it in a known order: a failure in the middle of the next
 * batch is rolled back alone, and a later member sees an earlier
 * member's row. */
struct gc_one {
	struct gc_arg	 a;
	int		 rc;
	char		 err[256];
};

static void *
gc_one_run(void *arg)
{
	struct gc_one *o = arg;

	o->rc = store_write(gcs, gc_fn, &o->a, o->err, sizeof o->err);
	return NULL;
}

static int
gc_queued(void *arg)
{
	return store_queued(gcs) >= *(size_t *)arg;
}

static void
test_group_batch(void)
{
	pthread_t t[5];
	struct gc_one o[5];
	struct gc_gate gate = { TESTUTIL_COUNT_INIT, TESTUTIL_COUNT_INIT };
	unsigned long long w0, c0, w1, c1;
	char	 dir[600], err[256];
	size_t	 want;
	int	 i;

	snprintf(dir, sizeof dir, "%s/gc", tmpdir);
	CU_ASSERT_EQUAL_FATAL(store_open(dir, &gcs, err, sizeof err), 0);
	store_stats(gcs, &w0, &c0);
	CU_ASSERT_EQUAL(w0, 0);
	memset(o, 0, sizeof o);
	o[0].a.key = 900001;
	o[0].a.gate = &gate;		/* the leader of batch 1 */
	o[1].a.key = 900002;		/* batch 2: kept */
	o[2].a.key = 900003;
	o[2].a.fail = 1;		/* refused after writing */
	o[3].a.key = 900004;		/* kept */
	o[4].a.key = 900002;		/* repeats o[1]: refused by the read */
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[0], NULL, gc_one_run,
	    &o[0]), 0);
	/* o[0] leads batch 1 and waits at the gate; the others queue
	 * behind it in this order, each once the one before is queued. */
	CU_ASSERT_FATAL(testutil_count_wait(&gate.entered, 1,
	    TESTUTIL_DEADLINE_MS));
	for (i = 1; i < 5; i++) {
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, gc_one_run,
		    &o[i]), 0);
		want = (size_t)i;
		CU_ASSERT_FATAL(testutil_wait(gc_queued, &want,
		    TESTUTIL_DEADLINE_MS));
	}
	testutil_count_add(&gate.open, 1);
	for (i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	store_stats(gcs, &w1, &c1);
	store_close(gcs);
	gcs = NULL;
	CU_ASSERT_EQUAL(o[0].rc, 0);
	CU_ASSERT_EQUAL(o[1].rc, 0);
	CU_ASSERT_EQUAL(o[2].rc, 1);
	CU_ASSERT_EQUAL(o[3].rc, 0);
	CU_ASSERT_EQUAL(o[4].rc, 1);
	CU_ASSERT_EQUAL(w1 - w0, 3);
	CU_ASSERT_EQUAL(c1 - c0, 2);	/* o[0] alone, then o[1..4] */
	CU_ASSERT_EQUAL(gc_count("SELECT count(*) FROM gc WHERE k > 900000"),
	    3);
	CU_ASSERT_EQUAL(gc_count("SELECT count(*) FROM gc WHERE k = 900003"),
	    0);
	CU_ASSERT_EQUAL(gc_count("SELECT count(*) FROM gc WHERE k = 900002"),
	    1);
}

/* ITI-42 from many threads at once, a third of them refused inside the
 * transaction (unresolved reference): every Success is in registry.db
 * after a close and reopen, nothing of the refused ones is. */
#define SUB_THREADS	8
#define SUB_EACH	9

static void
test_concurrent_many(void)
{
	struct submitter w[SUB_THREADS];
	struct registry *r2 = NULL;
	char	 err[256];
	int	 i, ok = 0, refused = 0;

	submitters(w, SUB_THREADS, "1.8", SUB_EACH, 1);
	for (i = 0; i < SUB_THREADS; i++) {
		ok += w[i].ok;
		refused += w[i].refused;
	}
	CU_ASSERT_EQUAL(ok, SUB_THREADS * SUB_EACH * 2 / 3);
	CU_ASSERT_EQUAL(refused, SUB_THREADS * SUB_EACH / 3);
	/* Close (the checkpointer stops) and reopen: all still there. */
	registry_close(reg);
	reg = NULL;
	CU_ASSERT_EQUAL_FATAL(registry_open(&conf, &reg, err, sizeof err), 0);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM submission_set WHERE "
	    "unique_id LIKE '1.8.%'", NULL), SUB_THREADS * SUB_EACH * 2 / 3);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id LIKE '1.8.%'", NULL), SUB_THREADS * SUB_EACH * 2 / 3);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM submission_set WHERE "
	    "unique_id LIKE '1.8.%.2'", NULL), 0);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE "
	    "unique_id LIKE '1.8.%.2.1'", NULL), 0);
	(void)r2;
}

/* ---- ITI-57 Metadata Update ---- */

#define VERSION_OF "SELECT version * 10 + (status = '" STATUS_APPROVED "') " \
	"FROM registry_object WHERE entry_uuid = ?"

/* Finish b and send it as ITI-57; 1 Success, 0 Failure. */
static int
update(struct buf *b)
{
	int	 rc = -100;

	if (buf_adds(b, "</rim:RegistryObjectList>"
	    "</lcm:SubmitObjectsRequest>") == XDS_OK)
		rc = call(reg, 3, buf_str(b), b->b_len);
	buf_free(b);
	CU_ASSERT_EQUAL(rc, 0);
	return strstr(reply, ST_SUCCESS) != NULL;
}

/* The SubmissionSet's HasMember to a new version, after prev. */
static void
add_version_member(struct buf *b, const char *dst, const char *prev)
{
	CU_ASSERT_FATAL(buf_addf(b, "<rim:Association id=\"m%s\" "
	    "associationType=\"" AT_HASMEMBER "\" sourceObject=\"SS1\" "
	    "targetObject=\"%s\">" SLOT("SubmissionSetStatus", "Original")
	    SLOT("PreviousVersion", "%s") "</rim:Association>", dst, dst,
	    prev) == XDS_OK);
}

/* An ITI-57 bringing version prev + 1 of lid (uniqueId uid) for pat. */
static int
update_de(const char *ss, const char *lid, const char *uid, const char *prev,
    const char *pat)
{
	struct buf b;

	begin(&b, ss, pat);
	add_dev(&b, "V", lid, uid, HASH2, pat);
	add_version_member(&b, "V", prev);
	return update(&b);
}

/* An ITI-57 changing the status of target from orig to new. */
static int
set_status(const char *ss, const char *target, const char *orig,
    const char *new)
{
	struct buf b;

	begin(&b, ss, PAT);
	CU_ASSERT_FATAL(buf_addf(&b, "<rim:Association id=\"u1\" "
	    "associationType=\"" AT_UPDATESTATUS "\" sourceObject=\"SS1\" "
	    "targetObject=\"%s\">" SLOT("OriginalStatus", "%s")
	    SLOT("NewStatus", "%s") "</rim:Association>", target, orig,
	    new) == XDS_OK);
	return update(&b);
}

/* registry_each_document: how often uniqueId "5.1.1" comes, and the
 * hash it came with. */
struct seen {
	int	 n;
	char	 hash[48];
};

static int
seen_doc(void *arg, const char *uid, const char *hash, long long size)
{
	struct seen *sn = arg;

	(void)size;
	if (strcmp(uid, "5.1.1") == 0) {
		sn->n++;
		snprintf(sn->hash, sizeof sn->hash, "%s", hash ? hash : "");
	}
	return 0;
}

static void
test_update_versions(void)
{
	struct buf b;
	struct seen sn;
	unsigned long long n;
	char	 orig[128], v2[128], fol[128], q[2048], idattr[160];
	long long before;

	/* Version 1, in a folder. */
	begin(&b, "5.1", PAT);
	add_de(&b, "D1", "5.1.1", HASH1, PAT);
	add_folder(&b, "F1", "5.1.2", PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "D1", "Original");
	add_assoc(&b, "a2", AT_HASMEMBER, "SS1", "F1", NULL);
	add_assoc(&b, "a3", AT_HASMEMBER, "F1", "D1", NULL);
	CU_ASSERT_EQUAL_FATAL(submit(reg, &b), 1);
	qs(DE_UUID, "5.1.1", orig, sizeof orig);
	qs(FOL_UUID, "5.1.2", fol, sizeof fol);
	CU_ASSERT_EQUAL(q1(VERSION_OF, orig), 11);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE "
	    "entry_uuid = ? AND instr(xml, 'versionName=\"1\"') > 0", orig), 1);

	/* ITI-57 does not bring new objects. */
	begin(&b, "5.2", PAT);
	add_de(&b, "N1", "5.2.1", HASH1, PAT);
	add_version_member(&b, "N1", "1");
	CU_ASSERT_EQUAL(update(&b), 0);
	CU_ASSERT(failed_with(ERR_MU_UPDATE));
	/* No such logicalId. */
	CU_ASSERT_EQUAL(update_de("5.3", "urn:uuid:6f1c6a8e-0000-4000-8000-"
	    "0000000000ff", "5.1.1", "1", PAT), 0);
	CU_ASSERT(failed_with(ERR_MU_VERSION));
	/* The uniqueId stays. */
	CU_ASSERT_EQUAL(update_de("5.4", orig, "5.4.1", "1", PAT), 0);
	CU_ASSERT(failed_with(ERR_MU_IDENTIFIER));
	/* In a folder: the patient stays. */
	CU_ASSERT_EQUAL(update_de("5.5", orig, "5.1.1", "1", PAT2), 0);
	CU_ASSERT(failed_with(ERR_MU_PATIENT_RECONCILIATION));
	CU_ASSERT_EQUAL(q1(VERSION_OF, orig), 11);

	/* Version 2: hash and size may change; version 1 is deprecated,
	 * version 2 joins the folder. */
	before = q1("SELECT count(*) FROM association WHERE source_id = "
	    "(SELECT id FROM registry_object WHERE entry_uuid = ?)", fol);
	CU_ASSERT_EQUAL_FATAL(update_de("5.6", orig, "5.1.1", "1", PAT), 1);
	qs("SELECT entry_uuid FROM registry_object WHERE lid = ? AND "
	    "version = 2", orig, v2, sizeof v2);
	CU_ASSERT_EQUAL(strncmp(v2, "urn:uuid:", 9), 0);
	CU_ASSERT_EQUAL(q1(VERSION_OF, orig), 10);
	CU_ASSERT_EQUAL(q1(VERSION_OF, v2), 21);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = ? AND status = '" STATUS_APPROVED "' AND hash = '"
	    HASH2 "'", "5.1.1"), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM registry_object WHERE "
	    "entry_uuid = ? AND instr(xml, 'versionName=\"2\"') > 0", v2), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM association WHERE source_id = "
	    "(SELECT id FROM registry_object WHERE entry_uuid = ?)", fol),
	    before + 1);

	/* PreviousVersion must be the latest. */
	before = q1(COUNT_ALL, NULL);
	CU_ASSERT_EQUAL(update_de("5.7", orig, "5.1.1", "1", PAT), 0);
	CU_ASSERT(failed_with(ERR_MU_VERSION));
	CU_ASSERT_EQUAL(q1(COUNT_ALL, NULL), before);

	/* GetDocuments by uniqueId: both versions; by logicalId too. */
	snprintf(q, sizeof q, "<query:AdhocQueryRequest xmlns:query=\""
	    NS_QUERY "\" xmlns:rim=\"" NS_RIM "\"><query:ResponseOption "
	    "returnComposedObjects=\"true\" returnType=\"LeafClass\"/>"
	    "<rim:AdhocQuery id=\"" SQ_GETDOCUMENTS "\">"
	    SLOT("$XDSDocumentEntryLogicalID", "('%s')")
	    SLOT("$MetadataLevel", "2") "</rim:AdhocQuery>"
	    "</query:AdhocQueryRequest>", orig);
	CU_ASSERT_EQUAL(call(reg, 1, q, strlen(q)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, v2));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "versionName=\"2\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, STATUS_DEPRECATED));
	snprintf(idattr, sizeof idattr, " id=\"%s\"", orig);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, idattr));
	/* Without $MetadataLevel (level 1) the latest version only. */
	snprintf(q, sizeof q, "<query:AdhocQueryRequest xmlns:query=\""
	    NS_QUERY "\" xmlns:rim=\"" NS_RIM "\"><query:ResponseOption "
	    "returnComposedObjects=\"true\" returnType=\"LeafClass\"/>"
	    "<rim:AdhocQuery id=\"" SQ_GETDOCUMENTS "\">"
	    SLOT("$XDSDocumentEntryUniqueId", "('5.1.1')")
	    "</rim:AdhocQuery></query:AdhocQueryRequest>");
	CU_ASSERT_EQUAL(call(reg, 1, q, strlen(q)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, v2));
	CU_ASSERT_PTR_NULL(strstr(reply, idattr));
	CU_ASSERT_PTR_NULL(strstr(reply, STATUS_DEPRECATED));

	/* xdsctl db check holds the latest version against the
	 * repository, once. */
	memset(&sn, 0, sizeof sn);
	CU_ASSERT_EQUAL(registry_each_document(conf.node_state_dir, "1.2.3.9",
	    seen_doc, &sn, &n, q, sizeof q), XDS_OK);
	CU_ASSERT_EQUAL(sn.n, 1);
	CU_ASSERT_STRING_EQUAL(sn.hash, HASH2);
}

/* A new Folder version keeps the members of the one before; a new
 * DocumentEntry version with AssociationPropagation = no leaves the
 * folders of the one before. */
static void
test_update_folder(void)
{
	struct buf b;
	char	 doc[128], fol[128], v2[128];

	begin(&b, "7.1", PAT);
	add_de(&b, "D1", "7.1.1", HASH1, PAT);
	add_folder(&b, "F1", "7.1.2", PAT);
	add_assoc(&b, "a1", AT_HASMEMBER, "SS1", "D1", "Original");
	add_assoc(&b, "a2", AT_HASMEMBER, "SS1", "F1", NULL);
	add_assoc(&b, "a3", AT_HASMEMBER, "F1", "D1", NULL);
	CU_ASSERT_EQUAL_FATAL(submit(reg, &b), 1);
	qs(DE_UUID, "7.1.1", doc, sizeof doc);
	qs(FOL_UUID, "7.1.2", fol, sizeof fol);

	begin(&b, "7.2", PAT);
	add_folderv(&b, "F2", fol, "7.1.2", PAT);
	add_version_member(&b, "F2", "1");
	CU_ASSERT_EQUAL_FATAL(update(&b), 1);
	qs("SELECT entry_uuid FROM registry_object WHERE lid = ? AND "
	    "version = 2", fol, v2, sizeof v2);
	CU_ASSERT_EQUAL(q1(VERSION_OF, fol), 10);
	CU_ASSERT_EQUAL(q1(VERSION_OF, v2), 21);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM association a JOIN "
	    "registry_object f ON f.id = a.source_id JOIN registry_object d "
	    "ON d.id = a.target_id WHERE f.entry_uuid = ? AND d.kind = 1",
	    v2), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM folder WHERE unique_id = ? "
	    "AND status = '" STATUS_APPROVED "'", "7.1.2"), 1);

	/* The document's new version, not carried into the folder. */
	begin(&b, "7.3", PAT);
	add_dev(&b, "V", doc, "7.1.1", HASH1, PAT);
	CU_ASSERT_FATAL(buf_adds(&b, "<rim:Association id=\"mV\" "
	    "associationType=\"" AT_HASMEMBER "\" sourceObject=\"SS1\" "
	    "targetObject=\"V\">" SLOT("SubmissionSetStatus", "Original")
	    SLOT("PreviousVersion", "1") SLOT("AssociationPropagation", "no")
	    "</rim:Association>") == XDS_OK);
	CU_ASSERT_EQUAL_FATAL(update(&b), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM association a JOIN "
	    "registry_object f ON f.id = a.source_id JOIN registry_object d "
	    "ON d.id = a.target_id WHERE f.entry_uuid = ? AND d.kind = 1",
	    v2), 1);
	CU_ASSERT_EQUAL(q1(VERSION_OF, doc), 10);
}

static void
test_update_status(void)
{
	char	 orig[128], v2[128], ss[128];
	long long before;

	CU_ASSERT_EQUAL_FATAL(submit_one("6.1", "D1", "6.1.1", HASH1), 1);
	qs(DE_UUID, "6.1.1", orig, sizeof orig);
	qs("SELECT entry_uuid FROM registry_object WHERE kind = 2 AND "
	    "unique_id = ?", "6.1", ss, sizeof ss);

	/* OriginalStatus must be what it is; NewStatus a status. */
	CU_ASSERT_EQUAL(set_status("6.2", orig, STATUS_DEPRECATED,
	    STATUS_APPROVED), 0);
	CU_ASSERT(failed_with(ERR_MU_UPDATE));
	CU_ASSERT_EQUAL(set_status("6.3", orig, STATUS_APPROVED,
	    STATUS_SUBMITTED), 0);
	CU_ASSERT(failed_with(ERR_MU_UPDATE));
	/* A SubmissionSet keeps its status. */
	CU_ASSERT_EQUAL(set_status("6.4", ss, STATUS_APPROVED,
	    STATUS_DEPRECATED), 0);
	CU_ASSERT(failed_with(ERR_MU_OPERATION));

	/* Deprecate, and back. */
	CU_ASSERT_EQUAL(set_status("6.5", orig, STATUS_APPROVED,
	    STATUS_DEPRECATED), 1);
	CU_ASSERT_EQUAL(q1(VERSION_OF, orig), 10);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = ? AND status = '" STATUS_DEPRECATED "'", "6.1.1"), 1);
	/* A Deprecated latest version is not updated. */
	CU_ASSERT_EQUAL(update_de("6.6", orig, "6.1.1", "1", PAT), 0);
	CU_ASSERT(failed_with(ERR_MU_UPDATE));
	CU_ASSERT_EQUAL(set_status("6.7", orig, STATUS_DEPRECATED,
	    STATUS_APPROVED), 1);
	CU_ASSERT_EQUAL(q1(VERSION_OF, orig), 11);

	/* Only the latest version changes status. */
	CU_ASSERT_EQUAL_FATAL(update_de("6.8", orig, "6.1.1", "1", PAT), 1);
	qs("SELECT entry_uuid FROM registry_object WHERE lid = ? AND "
	    "version = 2", orig, v2, sizeof v2);
	before = q1(COUNT_ALL, NULL);
	CU_ASSERT_EQUAL(set_status("6.9", orig, STATUS_DEPRECATED,
	    STATUS_APPROVED), 0);
	CU_ASSERT(failed_with(ERR_MU_VERSION));
	CU_ASSERT_EQUAL(q1(COUNT_ALL, NULL), before);
	CU_ASSERT_EQUAL(q1(VERSION_OF, v2), 21);

	/* Not linked: the patient may change with a new version. */
	CU_ASSERT_EQUAL(update_de("6.10", orig, "6.1.1", "2", PAT2), 1);
	CU_ASSERT_EQUAL(q1("SELECT count(*) FROM document_entry WHERE "
	    "unique_id = ? AND patient_id LIKE '999911132^%'", "6.1.1"), 1);
}

static int
suite_init(void)
{
	char	 err[256];

	if (testutil_tmpdir("registry", tmpdir, sizeof tmpdir) != 0)
		return -1;
	conf_defaults(&conf);
	snprintf(conf.node_state_dir, sizeof conf.node_state_dir, "%s/state",
	    tmpdir);
	snprintf(conf.registry_patient_ids, sizeof conf.registry_patient_ids,
	    "bsn");
	if (registry_open(&conf, &reg, err, sizeof err) != 0) {
		fprintf(stderr, "registry_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int
suite_clean(void)
{
	registry_close(reg);
	return testutil_rmtree(tmpdir);
}

static const struct cutest registry_tests[] = {
	{ "register one document", test_single },
	{ "folder, RPLC, APND on deprecated", test_folder_rplc },
	{ "uniqueness R3 R8 R10", test_uniqueness },
	{ "a patient's first document reported", test_new_patient },
	{ "atomic R17", test_atomic },
	{ "busy is XDSRegistryBusy", test_busy_answer },
	{ "more errors than a list keeps", test_many_errors },
	{ "more invalid entries than a list keeps", test_many_invalid },
	{ "unknown patient bsn/feed", test_unknown_patient },
	{ "patient list", test_patient_list },
	{ "ITI-8: A01, A04, A40 merge, refusals", test_feed },
	{ "ITI-62 R19", test_delete },
	{ "ITI-57 versions", test_update_versions },
	{ "ITI-57 status changes", test_update_status },
	{ "ITI-57 folders", test_update_folder },
	{ "two submitters", test_concurrent },
	{ "many submitters, some refused", test_concurrent_many },
	{ "group commit: results, durability", test_group_commit },
	{ "group commit: failure inside a batch", test_group_batch },
	{ "reopen", test_reopen },
};

static const struct cutest_suite suites[] = {
	{ "registry", suite_init, suite_clean,
	    registry_tests, NELEM(registry_tests) },
};

int
main(void)
{
	xml_init();
	return cutest_run_suites(suites, NELEM(suites));
}
