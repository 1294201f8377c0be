/*
 * test_xdm.c: the pure parts of an XDM package (lib/model/xdm.c): the
 * entry-name rules, METADATA.XML read and checked (the seed of
 * fuzz_xdm's corpus, and variants that break one rule each), the export's
 * metadata read back, and the import's resubmission.
 */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "status.h"
#include "testutil.h"
#include "vocab.h"
#include "xdm.h"
#include "xml.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
#define SEED		"fuzz/corpus/xdm/metadata.xml"
#define PID		"999911120^^^&2.16.840.1.113883.2.4.6.3&ISO"

static void
test_names(void)
{
	static const struct {
		const char *s;
		const char *why;	/* NULL: accepted */
	} t[] = {
		{ "IHE_XDM/SUBSET01/METADATA.XML", NULL },
		{ "README.TXT", NULL },
		{ "IHE_XDM/", NULL },
		{ "a..b/c.d", NULL },
		{ "", "empty name" },
		{ "/etc/x", "absolute name" },
		{ "../x", "'..' component" },
		{ "a/../../x", "'..' component" },
		{ "a/..", "'..' component" },
		{ "./x", "'.' component" },
		{ "a//b", "empty component" },
		{ "a\\..\\b", "backslash" },
		{ "C:x", "drive letter" },
		{ "a\nb", "control character" },
		{ "a\x7f", "control character" },
	};
	char err[256], big[300];
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		int rc = xdm_name_check(t[i].s, strlen(t[i].s), err,
		    sizeof err);

		if ((rc == XDS_OK) != (t[i].why == NULL))
			fprintf(stderr, "\n\"%s\": %d %s\n", t[i].s, rc, err);
		CU_ASSERT_EQUAL(rc == XDS_OK, t[i].why == NULL);
		if (t[i].why != NULL) {
			CU_ASSERT_EQUAL(rc, XDS_EFORMAT);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, t[i].why));
			CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		}
	}
	memset(big, 'a', sizeof big);
	CU_ASSERT_EQUAL(xdm_name_check(big, XDM_NAME_MAX, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(xdm_name_check(big, XDM_NAME_MAX + 1, err,
	    sizeof err), XDS_EFORMAT);
	/* only len bytes are read: a NUL inside is a control character */
	CU_ASSERT_EQUAL(xdm_name_check("ab\0c", 4, err, sizeof err),
	    XDS_EFORMAT);
}

/* The seed with from replaced by to (once); parsed; its status. */
static int
variant(const char *from, const char *to, char *err, size_t errlen)
{
	struct xdm_meta m;
	struct buf b;
	size_t len;
	char *seed = testutil_srcdir_file(SEED, &len), *p;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seed);
	buf_init(&b, 1 << 20);
	p = from != NULL ? strstr(seed, from) : NULL;
	if (from != NULL)
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (p == NULL) {
		CU_ASSERT_EQUAL(buf_add(&b, seed, len), XDS_OK);
	} else {
		CU_ASSERT_EQUAL(buf_add(&b, seed, (size_t)(p - seed)) |
		    buf_adds(&b, to) | buf_adds(&b, p + strlen(from)), XDS_OK);
	}
	err[0] = '\0';
	rc = xdm_meta_parse(b.b_data, b.b_len, &m, err, errlen);
	if (rc == XDS_OK) {
		CU_ASSERT_EQUAL(m.ndocs, 1);
	}
	xdm_meta_free(&m);
	buf_free(&b);
	free(seed);
	return rc;
}

static void
test_parse(void)
{
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{ "DOC00001.TXT", "../x", "'..' component" },
		{ "DOC00001.TXT", "/etc/passwd", "absolute name" },
		{ "<rim:Value>DOC00001.TXT</rim:Value>", "", "no URI" },
		{ "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", "xyz", "hash" },
		{ "<rim:Value>5</rim:Value>", "<rim:Value>five</rim:Value>",
		    "size" },
		{ "value=\"1.2.3.4.5.1\"", "value=\"\"", "no uniqueId" },
		{ "a54d6aa5-d40d-43f9-88c5-b4633d873bdd",
		    "d9d542f3-6cc4-48b6-8870-ea235fbc94c2",
		    "0 SubmissionSets" },
		{ "7edca82f-054d-47f2-a032-9b2a5b5186c1",
		    "34268e47-fdf5-41a6-ba33-82133c465248", "not a stable" },
		{ "value=\"999911120^^^&amp;", "value=\"999911121^^^&amp;",
		    "patientId differs" },
		{ "<rim:RegistryObjectList>", "<rim:RegistryObjectList><x",
		    "" },
	};
	char err[512];
	size_t i;

	CU_ASSERT_EQUAL(variant(NULL, NULL, err, sizeof err), XDS_OK);
	for (i = 0; i < NELEM(bad); i++) {
		int rc = variant(bad[i].from, bad[i].to, err, sizeof err);

		if (rc != XDS_EFORMAT || strstr(err, bad[i].why) == NULL)
			fprintf(stderr, "\nvariant %zu: %d \"%s\"\n", i, rc,
			    err);
		CU_ASSERT_EQUAL(rc, XDS_EFORMAT);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].why));
		CU_ASSERT(err[0] != '\0');
	}
	/* a URI split in numbered parts, out of order */
	CU_ASSERT_EQUAL(variant("<rim:Value>DOC00001.TXT</rim:Value>",
	    "<rim:Value>2|0001.TXT</rim:Value><rim:Value>1|DOC</rim:Value>",
	    err, sizeof err), XDS_OK);
	CU_ASSERT_NOT_EQUAL(variant("<rim:Value>DOC00001.TXT</rim:Value>",
	    "<rim:Value>3|0001.TXT</rim:Value><rim:Value>1|DOC</rim:Value>",
	    err, sizeof err), XDS_OK);
}

/* Two documents of the same URI, twice in letters of another case. */
static void
test_duplicates(void)
{
	struct xdm_meta m;
	struct buf b;
	size_t len;
	char *seed = testutil_srcdir_file(SEED, &len), err[256];
	char *de, *end;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seed);
	de = strstr(seed, "<rim:ExtrinsicObject");
	end = strstr(seed, "</rim:ExtrinsicObject>") +
	    strlen("</rim:ExtrinsicObject>");
	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(buf_add(&b, seed, (size_t)(end - seed)) |
	    buf_add(&b, de, (size_t)(end - de)) | buf_adds(&b, end), XDS_OK);
	CU_ASSERT_EQUAL(xdm_meta_parse(b.b_data, b.b_len, &m, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "two DocumentEntries"));
	xdm_meta_free(&m);
	buf_free(&b);
	free(seed);
}

static void
test_write_resubmit(void)
{
	struct rim_code ct = { "34133-9", "Summary", "2.16.840.1.113883.6.1" };
	struct xdm_ss ss = { "1.2.3.9", "1.2.3", PID, "20260102030405",
	    "export", &ct };
	struct xdm_meta m, m2;
	struct rim_list l;
	struct rim_object *objs[1];
	const char *uris[1] = { "DOC00001.TXT" };
	struct buf b, out;
	char err[256], ids[1][16];
	const struct rim_extid *e;
	size_t len, i;
	char *seed = testutil_srcdir_file(SEED, &len);
	int use[1] = { 1 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(seed);
	CU_ASSERT_EQUAL_FATAL(xdm_meta_parse(seed, len, &m, err, sizeof err),
	    XDS_OK);
	/* export: the entry with a new URI, a new SubmissionSet */
	buf_init(&b, 1 << 20);
	uris[0] = "DOC00009.TXT";
	objs[0] = &m.l.obj[m.docs[0].obj];
	CU_ASSERT_EQUAL(xdm_meta_write(&m.l, objs, uris, 1, &ss, &b),
	    XDS_OK);
	CU_ASSERT_EQUAL_FATAL(xdm_meta_parse(b.b_data, b.b_len, &m2, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(m2.docs[0].uri, "DOC00009.TXT");
	CU_ASSERT_STRING_EQUAL(m2.docs[0].unique_id, "1.2.3.4.5.1");
	CU_ASSERT_EQUAL(m2.docs[0].size, 5);
	CU_ASSERT_STRING_EQUAL(m2.patient, PID);
	xdm_meta_free(&m2);
	/* import: new ids, another patient, the same document uniqueId */
	ss.patient = "999990019^^^&2.16.840.1.113883.2.4.6.3&ISO";
	ss.unique_id = "1.2.3.10";
	buf_init(&out, 1 << 20);
	CU_ASSERT_EQUAL(xdm_meta_resubmit(&m, use, &ss, ids, &out), XDS_OK);
	CU_ASSERT_STRING_EQUAL(ids[0], "Document1");
	CU_ASSERT_PTR_NULL(strstr(buf_str(&out), "urn:uuid:0d1b9a3e"));
	CU_ASSERT_PTR_NULL(strstr(buf_str(&out), "\"URI\""));
	CU_ASSERT_PTR_NULL(strstr(buf_str(&out), SLOT_REPOSITORYUID));
	rim_list_init(&l);
	CU_ASSERT_EQUAL_FATAL(rim_parse_submit_mem(out.b_data, out.b_len, &l,
	    err, sizeof err), XDS_OK);
	for (i = 0; i < l.nobj; i++) {
		if (l.obj[i].kind == RIM_EXTRINSIC_OBJECT) {
			e = rim_extid(&l.obj[i], EI_DE_UNIQUEID);
			CU_ASSERT_STRING_EQUAL(e->value, "1.2.3.4.5.1");
			e = rim_extid(&l.obj[i], EI_DE_PATIENTID);
			CU_ASSERT_STRING_EQUAL(e->value, ss.patient);
			CU_ASSERT_STRING_EQUAL(rim_slot1(&l.obj[i],
			    SLOT_SOURCEPATIENTID), PID);
			CU_ASSERT_STRING_EQUAL(rim_slot1(&l.obj[i], SLOT_HASH),
			    "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
		}
		if (l.obj[i].kind == RIM_REGISTRY_PACKAGE) {
			e = rim_extid(&l.obj[i], EI_SS_UNIQUEID);
			CU_ASSERT_STRING_EQUAL(e->value, "1.2.3.10");
			CU_ASSERT_STRING_EQUAL(l.obj[i].id, "SubmissionSet");
		}
	}
	rim_list_free(&l);
	use[0] = 0;
	CU_ASSERT_EQUAL(xdm_meta_resubmit(&m, use, &ss, ids, &out),
	    XDS_EINVAL);
	buf_free(&out);
	buf_free(&b);
	xdm_meta_free(&m);
	free(seed);
}

static const struct cutest tests[] = {
	{ "names", test_names },
	{ "parse", test_parse },
	{ "duplicates", test_duplicates },
	{ "write_resubmit", test_write_resubmit },
};

int
main(void)
{
	xml_init();
	return cutest_run("xdm", tests, NELEM(tests));
}
