/*
 * test_dicom: the DICOM bridge's C side and the shim's parse/KOS paths.
 * Datasets are generated with dump2dcm (DUMP2DCM or PATH); the sample
 * files come from XDS_TESTDATA.  Exit 77 when dump2dcm is absent.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutest.h"
#include <sqlite3.h>

#include <libxml/tree.h>

#include "actor.h"
#include "bridge.h"
#include "bridge_access.h"
#include "bridge_db.h"
#include "bridge_patient.h"
#include "bridge_receive.h"
#include "bridge_recover.h"
#include "bridge_stage.h"
#include "clock.h"
#include "conf.h"
#include "dcmshim.h"
#include "publish.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

static char workdir[256];
static const char *dump2dcm = "dump2dcm";
static const char *testdata;	/* $XDS_TESTDATA: the sample files */

/* Write dump text, convert it, return the .dcm path (static buffer). */
static const char *
gen(const char *name, const char *dump)
{
	static char out[512];
	char in[512], cmd[2048];

	snprintf(in, sizeof in, "%s/%s.dump", workdir, name);
	snprintf(out, sizeof out, "%s/%s.dcm", workdir, name);
	if (testutil_write_text(in, dump) != 0)
		return NULL;
	snprintf(cmd, sizeof cmd, "%s --write-xfer-little '%s' '%s' 2>/dev/null",
	    dump2dcm, in, out);
	return system(cmd) == 0 ? out : NULL;
}

#define HEAD \
	"(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n" \
	"(0008,0018) UI [1.2.3.4.1]\n" \
	"(0008,0060) CS [OT]\n" \
	"(0020,000d) UI [1.2.3]\n" \
	"(0020,000e) UI [1.2.3.1]\n"
#define OTHER(id, issuer) \
	"(0010,1002) SQ (Sequence with undefined length)\n" \
	"  (fffe,e000) na (Item with undefined length)\n" \
	"    (0010,0020) LO [" id "]\n" \
	"    (0010,0021) LO [" issuer "]\n" \
	"  (fffe,e00d) na (ItemDelimitationItem)\n" \
	"(fffe,e0dd) na (SequenceDelimitationItem)\n"

static int
parse_gen(const char *name, const char *dump, struct dcmshim_info *info)
{
	const char *p = gen(name, dump);
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return dcmshim_parse_file(p, info, err, sizeof err);
}

static void
test_parse_samples(void)
{
	const char *td = testdata;
	struct dcmshim_info in;
	char path[1024], err[256];

	TESTUTIL_NEED_CORPUS();
	snprintf(path, sizeof path, "%s/dicom/pydicom/CT_small.dcm", td);
	CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(path, &in, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(in.study_uid,
	    "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322");
	CU_ASSERT_STRING_EQUAL(in.sop_uid,
	    "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322");
	CU_ASSERT_STRING_EQUAL(in.sop_class, "1.2.840.10008.5.1.4.1.1.2");
	CU_ASSERT_STRING_EQUAL(in.transfer_syntax, "1.2.840.10008.1.2.1");
	CU_ASSERT_STRING_EQUAL(in.patient.id, "1CT1");
	CU_ASSERT_STRING_EQUAL(in.modality, "CT");
	CU_ASSERT_EQUAL(in.nother, 2);
	/* big endian and JPEG 2000 headers read too */
	snprintf(path, sizeof path, "%s/dicom/pydicom/MR_small_bigendian.dcm", td);
	CU_ASSERT_EQUAL(dcmshim_parse_file(path, &in, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(in.transfer_syntax, "1.2.840.10008.1.2.2");
	snprintf(path, sizeof path, "%s/dicom/pydicom/JPEG2000.dcm", td);
	CU_ASSERT_EQUAL(dcmshim_parse_file(path, &in, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(in.transfer_syntax, "1.2.840.10008.1.2.4.91");
	snprintf(path, sizeof path, "%s/dicom/nonexistent.dcm", td);
	CU_ASSERT_EQUAL(dcmshim_parse_file(path, &in, err, sizeof err),
	    XDS_EIO);
}

static void
test_parse_errors(void)
{
	struct dcmshim_info in;
	char err[256], buf[4096], *f;
	const char *p;
	size_t n;

	/* missing SOPInstanceUID */
	CU_ASSERT_EQUAL(parse_gen("nosop",
	    "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n"
	    "(0020,000d) UI [1.2.3]\n(0020,000e) UI [1.2.3.1]\n", &in),
	    XDS_ENOTFOUND);
	/* a UID that is not one (it would become a path component) */
	CU_ASSERT_EQUAL(parse_gen("baduid",
	    "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n"
	    "(0008,0018) UI [1.2.3.4.1]\n"
	    "(0020,000d) UI [1.2.03]\n(0020,000e) UI [1.2.3.1]\n", &in),
	    XDS_EFORMAT);
	/* truncated in the middle of an element */
	p = gen("trunc", HEAD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = testutil_read_file(p, &n));
	CU_ASSERT_TRUE_FATAL(n > 200 && n <= sizeof buf);
	memcpy(buf, f, n);
	free(f);
	CU_ASSERT_EQUAL(dcmshim_parse_mem(buf, n, &in, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(in.series_uid, "1.2.3.1");
	CU_ASSERT_NOT_EQUAL(dcmshim_parse_mem(buf, n - 3, &in, err, sizeof err),
	    0);
	/* garbage and empty */
	memset(buf, 'A', 300);
	CU_ASSERT_NOT_EQUAL(dcmshim_parse_mem(buf, 300, &in, err, sizeof err), 0);
	CU_ASSERT_NOT_EQUAL(dcmshim_parse_mem(buf, 0, &in, err, sizeof err), 0);
}

#define ACC_ISSUER(ns, id, type) \
	"(0008,0050) SH [ACC42]\n" \
	"(0008,0051) SQ (Sequence with undefined length)\n" \
	"  (fffe,e000) na (Item with undefined length)\n" \
	"    (0040,0031) UT [" ns "]\n" \
	"    (0040,0032) UT [" id "]\n" \
	"    (0040,0033) CS [" type "]\n" \
	"  (fffe,e00d) na (ItemDelimitationItem)\n" \
	"(fffe,e0dd) na (SequenceDelimitationItem)\n"
#define LONG65 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static void
test_accession_issuer(void)
{
	struct dcmshim_info in;

	CU_ASSERT_EQUAL_FATAL(parse_gen("acc1", HEAD
	    ACC_ISSUER("RADIS", "2.16.528.1.1007.99.7", "ISO"), &in), 0);
	CU_ASSERT_STRING_EQUAL(in.accession, "ACC42");
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_ns, "RADIS");
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_oid, "2.16.528.1.1007.99.7");
	/* not ISO: no OID, the namespace stays */
	CU_ASSERT_EQUAL_FATAL(parse_gen("acc2", HEAD
	    ACC_ISSUER("RADIS", "urn:x", "URI"), &in), 0);
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_ns, "RADIS");
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_oid, "");
	/* over the bounds: empty, not an error */
	CU_ASSERT_EQUAL_FATAL(parse_gen("acc3", HEAD
	    ACC_ISSUER(LONG65, "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18."
	    "19.20.21.22.23.24.25", "ISO"), &in), 0);
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_ns, "");
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_oid, "");
	CU_ASSERT_STRING_EQUAL(in.accession, "ACC42");
	/* absent */
	CU_ASSERT_EQUAL_FATAL(parse_gen("acc4", HEAD, &in), 0);
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_ns, "");
	CU_ASSERT_STRING_EQUAL(in.accession_issuer_oid, "");
}

static void
test_uid(void)
{
	char a[DCMSHIM_UI_SZ], b[DCMSHIM_UI_SZ], err[128];

	CU_ASSERT_TRUE(dcmshim_uid_valid("1.2.840.10008.1.2"));
	CU_ASSERT_TRUE(dcmshim_uid_valid("1.0.3"));
	/* transfer syntaxes: defined ones only */
	CU_ASSERT_TRUE(dcmshim_ts_known("1.2.840.10008.1.2.1"));
	CU_ASSERT_TRUE(dcmshim_ts_known("1.2.840.10008.1.2.4.91"));
	CU_ASSERT_FALSE(dcmshim_ts_known("1.2.840.10008.1.2.1.999"));
	CU_ASSERT_FALSE(dcmshim_ts_known("1.2.840.10008.5.1.4.1.1.7"));
	CU_ASSERT_FALSE(dcmshim_ts_known(""));
	CU_ASSERT_FALSE(dcmshim_ts_known(NULL));
	CU_ASSERT_FALSE(dcmshim_uid_valid(""));
	CU_ASSERT_FALSE(dcmshim_uid_valid("1..2"));
	CU_ASSERT_FALSE(dcmshim_uid_valid("1.2."));
	CU_ASSERT_FALSE(dcmshim_uid_valid(".1"));
	CU_ASSERT_FALSE(dcmshim_uid_valid("1.02"));
	CU_ASSERT_FALSE(dcmshim_uid_valid("1.2/../3"));
	CU_ASSERT_FALSE(dcmshim_uid_valid(
	    "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25"));
	CU_ASSERT_EQUAL_FATAL(dcmshim_uid_new("2.25", a, sizeof a, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(dcmshim_uid_new("2.25", b, sizeof b, err,
	    sizeof err), 0);
	CU_ASSERT_TRUE(strncmp(a, "2.25.", 5) == 0 && dcmshim_uid_valid(a));
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(dcmshim_uid_new("1.2.3.999", a, sizeof a, err,
	    sizeof err), 0);
	CU_ASSERT_TRUE(strncmp(a, "1.2.3.999.", 10) == 0 && dcmshim_uid_valid(a));
	CU_ASSERT_EQUAL(dcmshim_uid_new("1.x", a, sizeof a, err, sizeof err),
	    XDS_EINVAL);
}

static void
test_bsn(void)
{
	struct dcmshim_info in;
	char bsn[10], err[128];

	/* BSN in OtherPatientIDsSequence, issuer NLMINBIZA */
	CU_ASSERT_EQUAL_FATAL(parse_gen("bsn1", HEAD
	    "(0010,0020) LO [LOCAL123]\n" OTHER("999911120", "NLMINBIZA"),
	    &in), 0);
	CU_ASSERT_EQUAL(in.nother, 1);
	CU_ASSERT_EQUAL(bridge_patient_bsn(&in, 0, bsn, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(bsn, "999911120");
	/* the 11-check fails: never taken */
	CU_ASSERT_EQUAL_FATAL(parse_gen("bsn2", HEAD
	    "(0010,0020) LO [LOCAL123]\n" OTHER("999911121", "NLMINBIZA"),
	    &in), 0);
	CU_ASSERT_EQUAL(bridge_patient_bsn(&in, 0, bsn, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "BSN fails the 11-check");
	/* another issuer: not a BSN even with valid digits */
	CU_ASSERT_EQUAL_FATAL(parse_gen("bsn3", HEAD
	    "(0010,0020) LO [LOCAL123]\n" OTHER("999911120", "HOSPITAL"),
	    &in), 0);
	CU_ASSERT_EQUAL(bridge_patient_bsn(&in, 0, bsn, err, sizeof err), -1);
	/* PatientID is the BSN only when configured so */
	CU_ASSERT_EQUAL_FATAL(parse_gen("bsn4", HEAD
	    "(0010,0020) LO [999911120]\n", &in), 0);
	CU_ASSERT_EQUAL(bridge_patient_bsn(&in, 0, bsn, err, sizeof err), -1);
	CU_ASSERT_EQUAL(bridge_patient_bsn(&in, 1, bsn, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(bsn, "999911120");
	/* PatientID with issuer NLMINBIZA */
	CU_ASSERT_EQUAL_FATAL(parse_gen("bsn5", HEAD
	    "(0010,0020) LO [999911120]\n(0010,0021) LO [NLMINBIZA]\n", &in), 0);
	CU_ASSERT_EQUAL(bridge_patient_bsn(&in, 0, bsn, err, sizeof err), 0);
	/* two different BSNs */
	CU_ASSERT_EQUAL_FATAL(parse_gen("bsn6", HEAD
	    "(0010,1002) SQ (Sequence with undefined length)\n"
	    "  (fffe,e000) na (Item with undefined length)\n"
	    "    (0010,0020) LO [999911120]\n"
	    "    (0010,0021) LO [NLMINBIZA]\n"
	    "  (fffe,e00d) na (ItemDelimitationItem)\n"
	    "  (fffe,e000) na (Item with undefined length)\n"
	    "    (0010,0020) LO [100000009]\n"
	    "    (0010,0021) LO [NLMINBIZA]\n"
	    "  (fffe,e00d) na (ItemDelimitationItem)\n"
	    "(fffe,e0dd) na (SequenceDelimitationItem)\n", &in), 0);
	CU_ASSERT_EQUAL(in.nother, 2);
	CU_ASSERT_EQUAL(bridge_patient_bsn(&in, 0, bsn, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "two different BSNs in OtherPatientIDsSequence");
}

struct seen {
	int	n;
	char	state[16];
	char	bsn[10];
	long long instances;
};

static int
collect(void *arg, const struct bridge_db_study *s)
{
	struct seen *v = arg;

	v->n++;
	str_lcpy(v->state, s->state, sizeof v->state);
	str_lcpy(v->bsn, s->bsn ? s->bsn : "-", sizeof v->bsn);
	v->instances = s->instances;
	return 0;
}

/* The studies of db in state (NULL: any) seen into v: 0, or -1. */
static int
seen(struct bridge_db *db, const char *state, struct seen *v)
{
	char err[256];

	memset(v, 0, sizeof *v);
	return bridge_db_list(db, state, collect, v, err, sizeof err);
}

static struct dcmshim_info
mkinfo(const char *study, const char *sop)
{
	struct dcmshim_info in;

	memset(&in, 0, sizeof in);
	str_lcpy(in.study_uid, study, sizeof in.study_uid);
	str_lcpy(in.series_uid, "1.9.1", sizeof in.series_uid);
	str_lcpy(in.sop_uid, sop, sizeof in.sop_uid);
	str_lcpy(in.sop_class, "1.2.840.10008.5.1.4.1.1.7", sizeof in.sop_class);
	return in;
}

static void
test_pending(void)
{
	struct bridge_db *db;
	struct dcmshim_info a = mkinfo("1.9", "1.9.1.1"),
	    b = mkinfo("1.9", "1.9.1.2"), c = mkinfo("1.9", "1.9.1.3"),
	    d = mkinfo("1.8", "1.8.1.1");
	struct seen v;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(bridge_db_open(workdir, &db, err, sizeof err), 0);
	/* no BSN: pending, listed */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &a, NULL, NULL, 100, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(seen(db, NULL, &v), 0);
	CU_ASSERT_EQUAL(v.n, 1);
	CU_ASSERT_STRING_EQUAL(v.state, "pending");
	CU_ASSERT_STRING_EQUAL(v.bsn, "-");
	/* the same instance again does not count twice */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &a, NULL, NULL, 101, err,
	    sizeof err), 0);
	/* a later instance brings the BSN: receiving, not pending */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &b, "999911120", NULL, 102, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(seen(db, "receiving", &v), 0);
	CU_ASSERT_EQUAL(v.n, 1);
	CU_ASSERT_STRING_EQUAL(v.bsn, "999911120");
	CU_ASSERT_EQUAL(v.instances, 2);
	/* not quiet long enough, then quiet */
	CU_ASSERT_EQUAL(bridge_db_mark_ready(db, 110, 60, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_mark_ready(db, 162, 60, err, sizeof err), 1);
	CU_ASSERT_EQUAL(seen(db, "ready", &v), 0);
	CU_ASSERT_EQUAL(v.n, 1);
	/* a second, different BSN: conflict, never published */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &c, "100000009", NULL, 200, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(seen(db, NULL, &v), 0);
	CU_ASSERT_EQUAL(v.n, 1);
	CU_ASSERT_STRING_EQUAL(v.state, "conflict");
	CU_ASSERT_EQUAL(v.instances, 3);
	CU_ASSERT_EQUAL(bridge_db_mark_ready(db, 1000, 60, err, sizeof err), 0);
	/* another study stays separate */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &d, NULL, NULL, 300, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(seen(db, NULL, &v), 0);
	CU_ASSERT_EQUAL(v.n, 2);
	/* c sent again with the study's BSN (corrected at the modality): a
	 * replaced instance recounts its study, the conflict is gone and c
	 * still counts once */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &c, "999911120", NULL, 400, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(seen(db, "receiving", &v), 0);
	CU_ASSERT_EQUAL(v.n, 1);
	CU_ASSERT_STRING_EQUAL(v.bsn, "999911120");
	CU_ASSERT_EQUAL(v.instances, 3);
	/* d moves to study 1.9 (same SOP UID, other study): both recounted */
	str_lcpy(d.study_uid, "1.9", sizeof d.study_uid);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &d, NULL, NULL, 500, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(seen(db, "receiving", &v), 0);
	CU_ASSERT_EQUAL(v.n, 1);
	CU_ASSERT_EQUAL(v.instances, 4);
	CU_ASSERT_EQUAL(seen(db, NULL, &v), 0);
	CU_ASSERT_EQUAL(v.n, 1);		/* 1.8: pending, now empty */
	CU_ASSERT_EQUAL(v.instances, 0);
	bridge_db_close(db);
}

/* A pushed instance is committed only to the organisation that pushed
 * it: another one, or an instance of the bridge's own SCP, is "none". */
static void
test_origin(void)
{
	struct bridge_db *db;
	struct dcmshim_info a = mkinfo("1.6", "1.6.1.1"),
	    b = mkinfo("1.6", "1.6.1.2");
	char err[256], study[DCMSHIM_UI_SZ] = "";

	CU_ASSERT_EQUAL_FATAL(bridge_db_open(workdir, &db, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &a, "999911120", "00007001",
	    100, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &b, "999911120", NULL, 100,
	    err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.6.1.1", "00007001",
	    study, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(study, "1.6");
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.6.1.1", "00007002",
	    NULL, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.6.1.2", "00007001",
	    NULL, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.6.1.9", "00007001",
	    NULL, err, sizeof err), 0);
	/* without an origin: any row (the bridge's own view) */
	CU_ASSERT_EQUAL(bridge_db_instance_study(db, "1.6.1.2", NULL, err,
	    sizeof err), 1);
	/* a resend by a second organisation records it beside the first,
	 * and changes nothing else */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &a, "999911120", "00007002",
	    101, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.6.1.1", "00007002",
	    NULL, err, sizeof err), 1);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.6.1.1", "00007001",
	    NULL, err, sizeof err), 1);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &b, "999911120", "00007002",
	    102, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.6.1.2", "00007002",
	    NULL, err, sizeof err), 1);
	bridge_db_close(db);
}

/* Routed studies (push.route): a route is new once; a study is due for
 * the push sender once complete by the bridge's rule (quiet for the
 * publish delay, before the scheduler marks it), and the next one's time
 * is known before then. */
static int
route_seen(void *arg, const char *study, const char *ae)
{
	(void)ae;
	str_lcpy(arg, study, DCMSHIM_UI_SZ);
	return 0;
}

static void
test_routes(void)
{
	struct bridge_db *db;
	struct dcmshim_info a = mkinfo("1.5", "1.5.1.1"),
	    b = mkinfo("1.4", "1.4.1.1");
	char err[256], due[DCMSHIM_UI_SZ];
	long long when = -1;

	CU_ASSERT_EQUAL_FATAL(bridge_db_open(workdir, &db, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_route_next(db, 60, &when, err, sizeof err),
	    0);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &a, "999911120", NULL, 1000,
	    err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_route(db, "1.5", "TWIIN_B", err,
	    sizeof err), 1);
	CU_ASSERT_EQUAL(bridge_db_route(db, "1.5", "TWIIN_B", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &b, "999911120", NULL, 1030,
	    err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_route(db, "1.4", "TWIIN_B", err,
	    sizeof err), 1);
	CU_ASSERT_EQUAL(bridge_db_route_next(db, 60, &when, err, sizeof err),
	    1);
	CU_ASSERT_EQUAL(when, 1060);
	due[0] = '\0';
	CU_ASSERT_EQUAL(bridge_db_routes_due(db, 1059, 60, route_seen, due,
	    err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(due, "");
	CU_ASSERT_EQUAL(bridge_db_routes_due(db, 1060, 60, route_seen, due,
	    err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(due, "1.5");
	CU_ASSERT_EQUAL(bridge_db_route_job(db, "1.5", "TWIIN_B", 7, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_route_next(db, 60, &when, err, sizeof err),
	    1);
	CU_ASSERT_EQUAL(when, 1090);
	CU_ASSERT_EQUAL(bridge_db_routes_due(db, 1090, 60, route_seen, due,
	    err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(due, "1.4");
	CU_ASSERT_EQUAL(bridge_db_route_job(db, "1.4", "TWIIN_B", 8, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_route_next(db, 60, &when, err, sizeof err),
	    0);
	bridge_db_close(db);
}

/* One staged instance of study 1.7 pushed by origin: its file in
 * dir/dicom/tmp, then bridge_stage_store. */
static enum dcmshim_store_result
stage_one(struct bridge_stage *s, const char *dir, const char *sop,
    const char *origin)
{
	struct dcmshim_info in = mkinfo("1.7", sop);
	char tmp[512];

	snprintf(tmp, sizeof tmp, "%s/dicom/tmp/rcv-%s", dir, sop);
	if (testutil_write_text(tmp, sop) != 0)
		return DCMSHIM_STORE_NORESOURCES;
	return bridge_stage_store(s, tmp, &in, "A", origin);
}

static int
exists(const char *dir, const char *sop, const char *suffix)
{
	char p[512];

	snprintf(p, sizeof p, "%s/dicom/1.7/1.9.1/%s%s", dir, sop, suffix);
	return access(p, F_OK) == 0;
}

/* Pushed instances are placed as .pending without rows and made durable
 * at their sender's commitment, each sender's in one go; recovery after
 * a crash removes the .pending files and gives them no row. */
static void
test_stage(void)
{
	struct conf c;
	struct bridge_db *db;
	struct bridge_receive *r;
	struct bridge_stage *s;
	char dir[300], sub[400], sop[32], err[256];
	size_t i, n;

	snprintf(dir, sizeof dir, "%s/stage", workdir);
	snprintf(sub, sizeof sub, "%s/dicom/tmp", dir);
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	snprintf(sub, sizeof sub, "%s/dicom", dir);
	CU_ASSERT_FATAL(mkdir(sub, 0700) == 0);
	snprintf(sub, sizeof sub, "%s/dicom/tmp", dir);
	CU_ASSERT_FATAL(mkdir(sub, 0700) == 0);
	conf_defaults(&c);
	str_lcpy(c.node_state_dir, dir, sizeof c.node_state_dir);
	c.node_min_free_space = 0;
	CU_ASSERT_EQUAL_FATAL(bridge_db_open(dir, &db, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(bridge_receive_new(&c, db, &r, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL_FATAL(bridge_stage_new(r, db, dir, &s, err,
	    sizeof err), XDS_OK);
	for (i = 0; i < 40; i++) {
		snprintf(sop, sizeof sop, "1.7.1.%zu", i);
		CU_ASSERT_EQUAL(stage_one(s, dir, sop, "00007001"),
		    DCMSHIM_STORE_OK);
	}
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.0", "00007001"),
	    DCMSHIM_STORE_OK);			/* a resend: once */
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.99", "00007002"),
	    DCMSHIM_STORE_OK);
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.98", "../x"),
	    DCMSHIM_STORE_NORESOURCES);		/* not a URA */
	CU_ASSERT_EQUAL(bridge_stage_count(s), 42);
	CU_ASSERT(exists(dir, "1.7.1.0", ".00007001.pending"));
	CU_ASSERT(!exists(dir, "1.7.1.0", ".dcm"));
	CU_ASSERT_EQUAL(bridge_db_has_instance(db, "1.7.1.0", err,
	    sizeof err), 0);
	/* A's commitment: its 40, in place, recorded with A as origin */
	CU_ASSERT_EQUAL(bridge_stage_commit(s, "00007001", &n, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n, 40);
	CU_ASSERT(exists(dir, "1.7.1.39", ".dcm"));
	CU_ASSERT(!exists(dir, "1.7.1.39", ".00007001.pending"));
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.7.1.39", "00007001",
	    NULL, err, sizeof err), 1);
	CU_ASSERT_EQUAL(bridge_db_has_instance(db, "1.7.1.99", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_stage_count(s), 1);
	/* nothing staged for A any more */
	CU_ASSERT_EQUAL(bridge_stage_commit(s, "00007001", &n, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n, 0);
	/* B's one instance, only B's */
	CU_ASSERT_EQUAL(bridge_stage_commit(s, "00007002", &n, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.7.1.99", "00007002",
	    NULL, err, sizeof err), 1);
	CU_ASSERT_EQUAL(bridge_db_instance_from(db, "1.7.1.99", "00007001",
	    NULL, err, sizeof err), 0);
	/* a crash before A's next commitment: recovery (no clean mark)
	 * removes the staged file and gives it no row */
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.50", "00007001"),
	    DCMSHIM_STORE_OK);
	CU_ASSERT(exists(dir, "1.7.1.50", ".00007001.pending"));
	CU_ASSERT_EQUAL(bridge_recover_begin(&c, db, err, sizeof err),
	    XDS_OK);
	CU_ASSERT(!exists(dir, "1.7.1.50", ".00007001.pending"));
	CU_ASSERT(!exists(dir, "1.7.1.50", ".dcm"));
	CU_ASSERT_EQUAL(bridge_db_has_instance(db, "1.7.1.50", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_has_instance(db, "1.7.1.10", err,
	    sizeof err), 1);
	/* a sender that never asks: forgotten after BRIDGE_STAGE_TTL, its
	 * file removed, unless a fresher resend staged it again */
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.60", "00007001"),
	    DCMSHIM_STORE_OK);
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.61", "00007001"),
	    DCMSHIM_STORE_OK);
	clock_test_advance(BRIDGE_STAGE_TTL - 100);
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.61", "00007001"),
	    DCMSHIM_STORE_OK);
	/* 1.7.1.50, whose file the recovery above removed, is still
	 * listed */
	CU_ASSERT_EQUAL(bridge_stage_count(s), 4);
	CU_ASSERT_EQUAL(bridge_stage_expired(s), 0);
	clock_test_advance(200);
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.62", "00007001"),
	    DCMSHIM_STORE_OK);
	CU_ASSERT_EQUAL(bridge_stage_expired(s), 3);
	CU_ASSERT_EQUAL(bridge_stage_count(s), 2);
	CU_ASSERT(!exists(dir, "1.7.1.60", ".00007001.pending"));
	CU_ASSERT(exists(dir, "1.7.1.61", ".00007001.pending"));
	CU_ASSERT_EQUAL(bridge_stage_commit(s, "00007001", &n, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT(exists(dir, "1.7.1.61", ".dcm"));
	CU_ASSERT(!exists(dir, "1.7.1.60", ".dcm"));
	/* a clean stop removes what is still staged */
	CU_ASSERT_EQUAL(stage_one(s, dir, "1.7.1.51", "00007001"),
	    DCMSHIM_STORE_OK);
	bridge_stage_free(s);
	CU_ASSERT(!exists(dir, "1.7.1.51", ".00007001.pending"));
	bridge_receive_free(r);
	bridge_db_close(db);
}

static void
test_kos(void)
{
	const char *td = testdata;
	struct dcmshim_info h, k;
	struct dcmshim_kos kos;
	struct dcmshim_kos_ref refs[3];
	char path[1024], out[512], uid[DCMSHIM_UI_SZ], err[256], cmd[4096];
	static const char *const f[] = { "4950", "4981", "5011" };
	size_t i;

	TESTUTIL_NEED_CORPUS();
	for (i = 0; i < 3; i++) {
		static struct dcmshim_info r[3];

		snprintf(path, sizeof path,
		    "%s/dicom/pydicom/study-98892003-MR2/%s.dcm", td, f[i]);
		CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(path, &r[i], err,
		    sizeof err), 0);
		refs[i].series_uid = r[i].series_uid;
		refs[i].sop_class = r[i].sop_class;
		refs[i].sop_uid = r[i].sop_uid;
		h = r[0];
	}
	memset(&kos, 0, sizeof kos);
	kos.uid_root = "2.25";
	kos.study_uid = h.study_uid;
	kos.header = &h;
	kos.patient_id = "999911120";
	kos.patient_issuer = DICOM_ISSUER_BSN;
	kos.retrieve_ae = "XDSNODE";
	kos.retrieve_location_uid = "1.3.6.1.4.1.21367.13.71.1";
	kos.refs = refs;
	kos.nrefs = 3;
	snprintf(out, sizeof out, "%s/kos.dcm", workdir);
	CU_ASSERT_EQUAL_FATAL(dcmshim_kos_write(&kos, out, uid, sizeof uid, err,
	    sizeof err), 0);
	CU_ASSERT_TRUE(strncmp(uid, "2.25.", 5) == 0);
	CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(out, &k, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(k.sop_class, "1.2.840.10008.5.1.4.1.1.88.59");
	CU_ASSERT_STRING_EQUAL(k.sop_uid, uid);
	CU_ASSERT_STRING_EQUAL(k.study_uid, h.study_uid);
	CU_ASSERT_TRUE(strncmp(k.series_uid, "2.25.", 5) == 0);
	CU_ASSERT_STRING_EQUAL(k.patient.id, "999911120");
	CU_ASSERT_STRING_EQUAL(k.patient.issuer, "NLMINBIZA");
	/* dsrdump sees a KOS titled Manifest with three images; dcmdump the
	 * retrieve location */
	snprintf(cmd, sizeof cmd, "dsrdump '%s' | grep -q "
	    "'Key Object Selection Document' && dsrdump '%s' | grep -q "
	    "'CONTAINER:(,,\"Manifest\")' && "
	    "test \"$(dsrdump '%s' | grep -c 'contains IMAGE')\" = 3 && "
	    "dcmdump '%s' | grep -q "
	    "'(0040,e011) UI \\[1.3.6.1.4.1.21367.13.71.1\\]' && "
	    "dcmdump '%s' | grep -q '(0040,db00) CS \\[2010\\]'",
	    out, out, out, out, out);
	CU_ASSERT_EQUAL(system(cmd), 0);
	/* bad arguments */
	kos.nrefs = 0;
	CU_ASSERT_EQUAL(dcmshim_kos_write(&kos, out, uid, sizeof uid, err,
	    sizeof err), XDS_EINVAL);
}

/* A repository that keeps what it was handed and answers fake_status,
 * or, for call i < nreply, reply[i]: status (NULL: the handler fails, no
 * answer) with errors inside a RegistryErrorList. */
#define FAKE_REPLIES	4
static struct {
	char		body[65536];
	char		att_cid[256];
	char		att_type[128];
	long long	att_size;
	int		calls;
	int		audited;
	const char	*status;
	struct {
		const char	*status;
		const char	*errors;
	}		reply[FAKE_REPLIES];
	int		nreply;
	char		bodies[FAKE_REPLIES][65536];
} fake;

static int
fake_iti41(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	char *body = testutil_xml_text(req->doc, req->body);

	(void)actor;
	fake.calls++;
	str_lcpy(fake.body, body != NULL ? body : "", sizeof fake.body);
	free(body);
	if (req->natt == 1) {
		str_lcpy(fake.att_cid, req->att[0].cid, sizeof fake.att_cid);
		str_lcpy(fake.att_type, req->att[0].content_type,
		    sizeof fake.att_type);
		fake.att_size = (long long)req->att[0].size;
	}
	if (fake.calls <= fake.nreply) {
		int i = fake.calls - 1;

		str_lcpy(fake.bodies[i], fake.body, sizeof fake.bodies[i]);
		if (fake.reply[i].status == NULL) {
			str_lcpy(x->reason, "fake: no answer",
			    sizeof x->reason);
			return -1;
		}
		return buf_addf(&reply->body, "<rs:RegistryResponse "
		    "xmlns:rs=\"%s\" status=\"%s\"><rs:RegistryErrorList>%s"
		    "</rs:RegistryErrorList></rs:RegistryResponse>", NS_RS,
		    fake.reply[i].status, fake.reply[i].errors != NULL ?
		    fake.reply[i].errors : "") == XDS_OK ? 0 : -1;
	}
	return buf_addf(&reply->body, "<rs:RegistryResponse xmlns:rs=\"%s\" "
	    "status=\"%s\"/>", NS_RS, fake.status) == XDS_OK ? 0 : -1;
}

/* The node's audit sink: RAD-68 records counted. */
static int
fake_audit(const struct xact *x)
{
	if (strcmp(x->txn, TXN_RAD68) == 0)
		fake.audited++;
	return 0;
}

static int
has(const char *needle)
{
	return strstr(fake.body, needle) != NULL;
}

#define PUB_STUDY	"1.2.826.0.1.3680043.9.77"
#define PUB_SERIES	"1.2.826.0.1.3680043.9.77.1"

/* A generated MR instance of the test study, stored where the bridge
 * keeps it, and recorded in the study table. */
static int
pub_instance(struct bridge_db *db, const char *state, int n, long long now)
{
	char dump[2048], name[32], cmd[2048], err[256];
	struct dcmshim_info in;
	const char *f;

	snprintf(name, sizeof name, "pub%d", n);
	snprintf(dump, sizeof dump,
	    "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.4]\n"
	    "(0008,0018) UI [" PUB_SERIES ".%d]\n"
	    "(0008,0020) DA [20240315]\n(0008,0030) TM [101530.25]\n"
	    "(0008,0050) SH [ACC&<1>]\n"
	    "(0008,0051) SQ (Sequence with undefined length)\n"
	    "  (fffe,e000) na (Item with undefined length)\n"
	    "    (0040,0032) UT [2.16.528.1.1007.99.7]\n"
	    "    (0040,0033) CS [ISO]\n"
	    "  (fffe,e00d) na (ItemDelimitationItem)\n"
	    "(fffe,e0dd) na (SequenceDelimitationItem)\n"
	    "(0008,0060) CS [MR]\n"
	    "(0010,0010) PN [Jansen^Piet]\n(0010,0020) LO [LOCAL1]\n"
	    "(0010,1002) SQ (Sequence with undefined length)\n"
	    "  (fffe,e000) na (Item with undefined length)\n"
	    "    (0010,0020) LO [999911120]\n"
	    "    (0010,0021) LO [NLMINBIZA]\n"
	    "  (fffe,e00d) na (ItemDelimitationItem)\n"
	    "(fffe,e0dd) na (SequenceDelimitationItem)\n"
	    "(0020,000d) UI [" PUB_STUDY "]\n(0020,000e) UI [" PUB_SERIES "]\n",
	    n);
	if ((f = gen(name, dump)) == NULL ||
	    dcmshim_parse_file(f, &in, err, sizeof err) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/dicom/tmp' '%s/dicom/"
	    PUB_STUDY "/" PUB_SERIES "' && cp '%s' '%s/dicom/" PUB_STUDY "/"
	    PUB_SERIES "/%s.dcm'", state, state, f, state, in.sop_uid);
	if (system(cmd) != 0)
		return -1;
	return bridge_db_instance(db, &in, "999911120", NULL, now, err, sizeof err);
}

/* A node publishing PUB_STUDY: its state directory (workdir/name) holds
 * two instances of the study, ready; the node's repository is a local
 * peer answering through fake_iti41. */
struct pub {
	struct conf		 cf;
	struct publish_links	 links;
	struct bridge_db	*db;
	char			 state[512];
};

static void
pub_open(struct pub *p, const char *name)
{
	static const struct soap_route routes[] = {
		{ ACT_ITI41, ACT_ITI41_RSP, TXN_ITI41, NS_XDSB,
		  "ProvideAndRegisterDocumentSetRequest", PACK_MTOM,
		  fake_iti41 },
	};
	static const struct soap_endpoint ep = {
		"/xds/repository", routes, 1, NULL, NULL, 0
	};
	char err[512];

	memset(p, 0, sizeof *p);
	conf_defaults(&p->cf);
	CU_ASSERT_EQUAL_FATAL(soap_peer_local(&p->links.repository, &ep, NULL,
	    err, sizeof err), XDS_OK);
	snprintf(p->state, sizeof p->state, "%s/%s", workdir, name);
	str_lcpy(p->cf.node_state_dir, p->state, sizeof p->cf.node_state_dir);
	str_lcpy(p->cf.repository_unique_id, "1.3.6.1.4.1.21367.13.71.9",
	    sizeof p->cf.repository_unique_id);
	CU_ASSERT_EQUAL_FATAL(mkdir(p->state, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(bridge_db_open(p->state, &p->db, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(pub_instance(p->db, p->state, 1, 100), 0);
	CU_ASSERT_EQUAL_FATAL(pub_instance(p->db, p->state, 2, 101), 0);
	CU_ASSERT_EQUAL(bridge_db_mark_ready(p->db, 200, 60, err, sizeof err),
	    1);
}

static void
pub_close(struct pub *p)
{
	bridge_db_close(p->db);
	soap_peer_free(p->links.repository);
}

/* publish_study() of PUB_STUDY by node p. */
static int
pub_run(struct pub *p, char *err, size_t errlen)
{
	return publish_study(&p->cf, p->db, &p->links, PUB_STUDY, err,
	    errlen);
}

/* The row of PUB_STUDY in node p's study table: 0, or -1. */
static int
pub_row(struct pub *p, struct bridge_db_study_row *row)
{
	char err[512];

	return bridge_db_study(p->db, PUB_STUDY, row, err, sizeof err);
}

/* PUB_STUDY is published in node p as the manifest entry, uid, with no
 * attempt in flight; its row into row. */
static void
pub_published(struct pub *p, struct bridge_db_study_row *row,
    const char *entry, const char *uid)
{
	CU_ASSERT_EQUAL_FATAL(pub_row(p, row), 0);
	CU_ASSERT_STRING_EQUAL(row->state, "published");
	CU_ASSERT_STRING_EQUAL(row->entry_uuid, entry);
	CU_ASSERT_STRING_EQUAL(row->unique_id, uid);
	CU_ASSERT_STRING_EQUAL(row->attempt_unique_id, "");
}

/* The fake repository anew, answering status to every call. */
static void
fake_answer(const char *status)
{
	memset(&fake, 0, sizeof fake);
	fake.status = status;
}

/* The fake repository anew: its first call answered status with errors
 * (status NULL: not at all), every later one then. */
static void
fake_first(const char *status, const char *errors, const char *then)
{
	fake_answer(then);
	fake.nreply = 1;
	fake.reply[0].status = status;
	fake.reply[0].errors = errors;
}

static void
test_publish(void)
{
	struct publish_links none = { .repository = NULL };
	struct bridge_db_study_row row, row2;
	struct dcmshim_info k;
	struct pub p;
	char path[1024], err[512], first[DCMSHIM_UI_SZ];
	char entry[64], rplc[256];

	pub_open(&p, "pub");

	/* no repository in the node: refused, nothing recorded */
	CU_ASSERT_EQUAL(publish_study(&p.cf, p.db, &none, PUB_STUDY, err,
	    sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "no repository runs in this node "
	    "(repository.enabled)");
	/* the repository fails: the study stays ready */
	fake_answer(ST_FAILURE);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), -1);
	CU_ASSERT_EQUAL(fake.calls, 1);
	CU_ASSERT_EQUAL(fake.audited, 1);
	CU_ASSERT_EQUAL(pub_row(&p, &row), 0);
	CU_ASSERT_STRING_EQUAL(row.state, "ready");
	CU_ASSERT_STRING_EQUAL(row.entry_uuid, "");

	/* published */
	fake_answer(ST_SUCCESS);
	CU_ASSERT_EQUAL_FATAL(pub_run(&p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(fake.calls, 1);
	CU_ASSERT_EQUAL(fake.audited, 1);
	CU_ASSERT_EQUAL_FATAL(pub_row(&p, &row), 0);
	CU_ASSERT_STRING_EQUAL(row.state, "published");
	CU_ASSERT_TRUE(strncmp(row.entry_uuid, "urn:uuid:", 9) == 0);
	CU_ASSERT_TRUE(strncmp(row.unique_id, "2.25.", 5) == 0);
	/* the KOS: kept under dicom/kos, handed over as the attachment */
	snprintf(path, sizeof path, "%s/dicom/kos/%s.dcm", p.state,
	    row.unique_id);
	CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(path, &k, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(k.sop_class, FMT_KOS);
	CU_ASSERT_STRING_EQUAL(k.sop_uid, row.unique_id);
	CU_ASSERT_STRING_EQUAL(k.study_uid, PUB_STUDY);
	CU_ASSERT_STRING_EQUAL(k.patient.id, "999911120");
	CU_ASSERT_STRING_EQUAL(fake.att_type, "application/dicom");
	CU_ASSERT_TRUE(fake.att_size > 0);
	CU_ASSERT_TRUE(has("href=\"cid:"));
	CU_ASSERT_TRUE(strstr(fake.body, fake.att_cid) != NULL);
	/* the metadata of 1.14 */
	CU_ASSERT_TRUE(has("mimeType=\"application/dicom\""));
	CU_ASSERT_TRUE(has("value=\"999911120^^^&amp;2.16.840.1.113883.2.4.6.3"
	    "&amp;ISO\""));
	CU_ASSERT_TRUE(has("<rim:Value>" PUB_STUDY "^^^^" REFID_STUDYUID
	    "</rim:Value>"));
	/* the accession with its issuer from the header, HL7-escaped */
	CU_ASSERT_TRUE(has("<rim:Value>ACC\\T\\&lt;1&gt;^^^&amp;"
	    "2.16.528.1.1007.99.7&amp;ISO^" REFID_ACCESSION
	    "</rim:Value>"));
	CU_ASSERT_TRUE(has("nodeRepresentation=\"" FMT_KOS "\""));
	CU_ASSERT_TRUE(has("<rim:Value>" CSCHEME_DICOM_UID "</rim:Value>"));
	CU_ASSERT_TRUE(has("classificationScheme=\"" CS_DE_EVENTCODE "\" "
	    "nodeRepresentation=\"MR\""));
	CU_ASSERT_TRUE(has("classificationScheme=\"" CS_DE_CLASSCODE "\" "
	    "nodeRepresentation=\"IMAGES\""));
	CU_ASSERT_TRUE(has("classificationScheme=\"" CS_DE_TYPECODE "\" "
	    "nodeRepresentation=\"18748-4\""));
	CU_ASSERT_TRUE(has("<rim:Slot name=\"serviceStartTime\"><rim:ValueList>"
	    "<rim:Value>20240315101530</rim:Value>"));
	snprintf(path, sizeof path, "identificationScheme=\"%s\" value=\"%s\"",
	    EI_DE_UNIQUEID, row.unique_id);
	CU_ASSERT_TRUE(has(path));
	snprintf(path, sizeof path, "<rim:ExtrinsicObject id=\"%s\"",
	    row.entry_uuid);
	CU_ASSERT_TRUE(has(path));
	CU_ASSERT_FALSE(has(AT_RPLC));
	str_lcpy(first, row.unique_id, sizeof first);
	str_lcpy(entry, row.entry_uuid, sizeof entry);

	/* a resent instance is the same instance: still published */
	CU_ASSERT_EQUAL_FATAL(pub_instance(p.db, p.state, 1, 250), 0);
	CU_ASSERT_EQUAL(pub_row(&p, &row2), 0);
	CU_ASSERT_STRING_EQUAL(row2.state, "published");
	CU_ASSERT_EQUAL(row2.instances, 2);
	/* a late instance: receiving again, then a replacing manifest */
	CU_ASSERT_EQUAL_FATAL(pub_instance(p.db, p.state, 3, 300), 0);
	CU_ASSERT_EQUAL(pub_row(&p, &row2), 0);
	CU_ASSERT_STRING_EQUAL(row2.state, "receiving");
	CU_ASSERT_EQUAL(row2.instances, 3);
	CU_ASSERT_EQUAL(bridge_db_request_publish(p.db, PUB_STUDY, err,
	    sizeof err), 0);
	fake_answer(ST_SUCCESS);
	CU_ASSERT_EQUAL_FATAL(pub_run(&p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(pub_row(&p, &row2), 0);
	CU_ASSERT_STRING_EQUAL(row2.state, "published");
	CU_ASSERT_STRING_NOT_EQUAL(row2.unique_id, first);
	CU_ASSERT_STRING_NOT_EQUAL(row2.entry_uuid, entry);
	snprintf(rplc, sizeof rplc, "associationType=\"%s\" sourceObject="
	    "\"%s\" targetObject=\"%s\"", AT_RPLC, row2.entry_uuid, entry);
	CU_ASSERT_TRUE(has(rplc));
	snprintf(path, sizeof path, "%s/dicom/kos/%s.dcm", p.state,
	    row2.unique_id);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);

	/* xdsctl dicom publish refuses what cannot be published */
	CU_ASSERT_EQUAL(bridge_db_request_publish(p.db, "1.2.3.4.5", err,
	    sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "no study 1.2.3.4.5");
	/* a bad code option is named */
	str_lcpy(p.cf.dicom_class_code, "IMAGES^Images",
	    sizeof p.cf.dicom_class_code);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "dicom.class_code: \"IMAGES^Images\" is "
	    "not code^display^codingScheme");
	pub_close(&p);
}

/*
 * Transcoding.  Pixel data is compared in Implicit VR Little Endian files
 * written by the shim (explicit lengths throughout, so the walk below
 * needs no sequence parsing).
 */
#define TS_IMPLICIT	"1.2.840.10008.1.2"
#define TS_EXPLICIT	"1.2.840.10008.1.2.1"
#define TS_DEFLATED	"1.2.840.10008.1.2.1.99"
#define TS_BIG		"1.2.840.10008.1.2.2"
#define TS_JPEG_BASE	"1.2.840.10008.1.2.4.50"
#define TS_JPEG_EXT	"1.2.840.10008.1.2.4.51"
#define TS_JPEG_P14	"1.2.840.10008.1.2.4.57"
#define TS_JPEG_SV1	"1.2.840.10008.1.2.4.70"
#define TS_JLS		"1.2.840.10008.1.2.4.80"
#define TS_JLS_NEAR	"1.2.840.10008.1.2.4.81"
#define TS_J2K		"1.2.840.10008.1.2.4.91"
#define TS_RLE		"1.2.840.10008.1.2.5"

static unsigned
le16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static size_t
le32(const unsigned char *p)
{
	return p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
	    (size_t)p[3] << 24;
}

/* The PixelData value of an Implicit VR LE Part 10 file: offset and
 * length into the file, 0 when not found. */
static int
implicit_pixels(const unsigned char *p, size_t len, size_t *off, size_t *n)
{
	size_t i = 132, l;

	if (len < 132 || memcmp(p + 128, "DICM", 4) != 0)
		return 0;
	/* meta header: explicit VR LE */
	while (i + 8 <= len && le16(p + i) == 0x0002) {
		const unsigned char *vr = p + i + 4;

		if (memcmp(vr, "OB", 2) == 0 || memcmp(vr, "OW", 2) == 0 ||
		    memcmp(vr, "UN", 2) == 0 || memcmp(vr, "SQ", 2) == 0 ||
		    memcmp(vr, "UT", 2) == 0) {
			if (i + 12 > len)
				return 0;
			l = le32(p + i + 8);
			i += 12 + l;
		} else {
			l = le16(p + i + 6);
			i += 8 + l;
		}
	}
	while (i + 8 <= len) {
		l = le32(p + i + 4);
		if (l == 0xffffffff || l > len - i - 8)
			return 0;
		if (le16(p + i) == 0x7fe0 && le16(p + i + 2) == 0x0010) {
			*off = i + 8;
			*n = l;
			return 1;
		}
		i += 8 + l;
	}
	return 0;
}

/* Transcode from -> to in the work directory; the output path. */
static const char *
tc(const char *from, const char *name, const char *ts)
{
	static char out[8][512];
	static int k;
	char err[256], *o = out[k++ % 8];

	snprintf(o, 512, "%s/%s.dcm", workdir, name);
	(void)unlink(o);
	if (dcmshim_transcode(from, ts, o, err, sizeof err) != 0) {
		fprintf(stderr, "transcode %s -> %s: %s\n", from, ts, err);
		return NULL;
	}
	return o;
}

static void
check_ts(const char *path, const char *ts, const char *sop_uid)
{
	struct dcmshim_info in;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(path, &in, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(in.transfer_syntax, ts);
	CU_ASSERT_STRING_EQUAL(in.sop_uid, sop_uid);
}

/* Pixel data of two Implicit VR LE files: equal bytes, n of them. */
static void
same_pixels(const char *a, const char *b, size_t want)
{
	unsigned char *pa, *pb;
	size_t la = 0, lb = 0, oa, ob, na = 0, nb = 0;

	pa = (unsigned char *)testutil_read_file(a, &la);
	pb = (unsigned char *)testutil_read_file(b, &lb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
	CU_ASSERT_TRUE(implicit_pixels(pa, la, &oa, &na));
	CU_ASSERT_TRUE(implicit_pixels(pb, lb, &ob, &nb));
	CU_ASSERT_EQUAL(na, want);
	CU_ASSERT_EQUAL(nb, want);
	if (na == want && nb == want)
		CU_ASSERT_EQUAL(memcmp(pa + oa, pb + ob, want), 0);
	free(pa);
	free(pb);
}

static const char *
sample(const char *rel)
{
	static char path[4][1024];
	static int k;
	const char *td = testdata;
	char *p = path[k++ % 4];

	snprintf(p, 1024, "%s/dicom/%s", td, rel);
	return p;
}

static void
test_can_transcode(void)
{
	/* equal known syntaxes, whatever they are */
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_J2K, TS_J2K), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_JPEG_BASE, TS_JPEG_BASE), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode("1.2.3", "1.2.3"), 0);
	/* uncompressed and lossless, both ways */
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_EXPLICIT, TS_JLS), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_JLS, TS_RLE), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_RLE, TS_IMPLICIT), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_BIG, TS_JPEG_P14), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_JPEG_SV1, TS_DEFLATED), 1);
	/* lossy sources decode; lossy targets never from something else */
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_JPEG_EXT, TS_EXPLICIT), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_JLS_NEAR, TS_IMPLICIT), 1);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_EXPLICIT, TS_JPEG_BASE), 0);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_JLS, TS_JLS_NEAR), 0);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_JPEG_EXT, TS_JPEG_BASE), 0);
	/* JPEG 2000: no free codec */
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_J2K, TS_EXPLICIT), 0);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_EXPLICIT, TS_J2K), 0);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(NULL, TS_EXPLICIT), 0);
	CU_ASSERT_EQUAL(dcmshim_can_transcode(TS_EXPLICIT, NULL), 0);
}

/* explicit LE -> JPEG-LS -> RLE -> implicit LE: the same pixels */
static void
test_transcode_chain(void)
{
	static const char sop[] = "1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457";
	const char *src = sample("pydicom/MR_small.dcm"), *base, *a, *b, *c;
	unsigned char *p;
	size_t len = 0, off, n;

	TESTUTIL_NEED_CORPUS();
	base = tc(src, "mr-base", TS_IMPLICIT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(base);
	check_ts(base, TS_IMPLICIT, sop);
	/* the known first pixels of MR_small (OW 0389\03fb\04cb) */
	p = (unsigned char *)testutil_read_file(base, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(implicit_pixels(p, len, &off, &n));
	CU_ASSERT_EQUAL(n, 64 * 64 * 2);
	CU_ASSERT_EQUAL(memcmp(p + off, "\x89\x03\xfb\x03\xcb\x04", 6), 0);
	free(p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a = tc(src, "mr-jls", TS_JLS));
	check_ts(a, TS_JLS, sop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(a, "mr-rle", TS_RLE));
	check_ts(b, TS_RLE, sop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c = tc(b, "mr-impl", TS_IMPLICIT));
	check_ts(c, TS_IMPLICIT, sop);
	same_pixels(base, c, 64 * 64 * 2);
	/* compressed really: smaller than the 8 KiB of pixels */
	p = (unsigned char *)testutil_read_file(a, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(len < 9830);
	free(p);
}

/* CT (signed 16 bit): JPEG lossless SV1 -> process 14 -> big endian ->
 * deflated -> implicit; RGB 3x3: SV1 -> JPEG-LS -> RLE -> implicit */
static void
test_transcode_more(void)
{
	static const char ct_sop[] =
	    "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";
	const char *ct = sample("pydicom/CT_small.dcm");
	const char *rgb = sample("pydicom/SC_rgb_small_odd.dcm");
	const char *base, *a, *b, *c, *d, *e;
	struct dcmshim_info in;
	char err[256];

	TESTUTIL_NEED_CORPUS();
	CU_ASSERT_PTR_NOT_NULL_FATAL(base = tc(ct, "ct-base", TS_IMPLICIT));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = tc(ct, "ct-sv1", TS_JPEG_SV1));
	check_ts(a, TS_JPEG_SV1, ct_sop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(a, "ct-p14", TS_JPEG_P14));
	check_ts(b, TS_JPEG_P14, ct_sop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c = tc(b, "ct-big", TS_BIG));
	check_ts(c, TS_BIG, ct_sop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d = tc(c, "ct-defl", TS_DEFLATED));
	check_ts(d, TS_DEFLATED, ct_sop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e = tc(d, "ct-impl", TS_IMPLICIT));
	same_pixels(base, e, 128 * 128 * 2);

	CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(rgb, &in, err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(base = tc(rgb, "rgb-base", TS_IMPLICIT));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = tc(rgb, "rgb-sv1", TS_JPEG_SV1));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(a, "rgb-jls", TS_JLS));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c = tc(b, "rgb-rle", TS_RLE));
	check_ts(c, TS_RLE, in.sop_uid);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d = tc(c, "rgb-impl", TS_IMPLICIT));
	same_pixels(base, d, 28);	/* 27 bytes, padded to even */

	/* a JPEG lossless source from elsewhere (dcm4che) */
	a = sample("dcm4che/MR-JPEGLosslessSV1.dcm");
	CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(a, &in, err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(base = tc(a, "d4c-base", TS_IMPLICIT));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(a, "d4c-jls", TS_JLS));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c = tc(b, "d4c-impl", TS_IMPLICIT));
	check_ts(c, TS_IMPLICIT, in.sop_uid);
	same_pixels(base, c, 256 * 256 * 2);	/* BitsStored 8 of 16 */
}

/* Cross-check with DCMTK's command line tools when installed. */
static int
tool(const char *cmd)
{
	char buf[1300];

	snprintf(buf, sizeof buf, "%.1200s >/dev/null 2>&1", cmd);
	return system(buf);
}

static void
test_transcode_crosscheck(void)
{
	char cmd[1200], out[512], line[512], err[256];
	const char *src = sample("pydicom/MR_small.dcm"), *a, *b, *base;
	struct dcmshim_info in;
	FILE *fp;
	int lossy = 0;

	TESTUTIL_NEED_CORPUS();
	if (tool("dcmdjpls --version") != 0 || tool("dcmdrle --version") != 0 ||
	    tool("dcmdjpeg --version") != 0) {
		fprintf(stderr, "dcmdjpls/dcmdrle/dcmdjpeg absent: cross-check "
		    "skipped\n");
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(base = tc(src, "x-base", TS_IMPLICIT));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = tc(src, "x-jls", TS_JLS));
	snprintf(out, sizeof out, "%s/x-jls-dcmtk.dcm", workdir);
	snprintf(cmd, sizeof cmd, "dcmdjpls +ti '%s' '%s'", a, out);
	CU_ASSERT_EQUAL(tool(cmd), 0);
	same_pixels(base, out, 64 * 64 * 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(src, "x-rle", TS_RLE));
	snprintf(out, sizeof out, "%s/x-rle-dcmtk.dcm", workdir);
	snprintf(cmd, sizeof cmd, "dcmdrle +ti '%s' '%s'", b, out);
	CU_ASSERT_EQUAL(tool(cmd), 0);
	same_pixels(base, out, 64 * 64 * 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(src, "x-sv1", TS_JPEG_SV1));
	snprintf(out, sizeof out, "%s/x-sv1-dcmtk.dcm", workdir);
	snprintf(cmd, sizeof cmd, "dcmdjpeg +ti '%s' '%s'", b, out);
	CU_ASSERT_EQUAL(tool(cmd), 0);
	same_pixels(base, out, 64 * 64 * 2);

	/* nothing but the encoding changes: the dumps without the meta
	 * header, the pixel data (and its items) and comments are equal */
	snprintf(cmd, sizeof cmd, "for f in '%s' '%s'; do dcmdump -q \"$f\" | "
	    "grep -v '^(0002\\|^(7fe0\\|^  (fffe,e000) pi\\|^(fffe,e0dd)"
	    "\\|^#\\|^$' | "
	    "md5sum; done | uniq | wc -l | grep -qx 1", src, a);
	CU_ASSERT_EQUAL(tool(cmd), 0);

	/* JPEG-LS near-lossless (made by dcmcjpls): decoded, and kept */
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(sample(
	    "dcm4che/MR-JPEGLosslessSV1.dcm"), "x-unsigned", TS_EXPLICIT));
	snprintf(out, sizeof out, "%s/x-near-dcmtk.dcm", workdir);
	snprintf(cmd, sizeof cmd, "dcmcjpls +en '%s' '%s'", b, out);
	CU_ASSERT_EQUAL_FATAL(tool(cmd), 0);
	/* (dcmcjpls gave it a new SOP Instance UID: lossy) */
	CU_ASSERT_EQUAL_FATAL(dcmshim_parse_file(out, &in, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(in.transfer_syntax, TS_JLS_NEAR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(out, "x-near-expl", TS_EXPLICIT));
	check_ts(b, TS_EXPLICIT, in.sop_uid);
	CU_ASSERT_PTR_NOT_NULL(b = tc(out, "x-near-jls", TS_JLS));
	CU_ASSERT_PTR_NOT_NULL(b = tc(out, "x-near-near", TS_JLS_NEAR));

	/* a lossy source decoded: LossyImageCompression stays 01 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = tc(sample("pydicom/JPGExtended.dcm"),
	    "lossy-expl", TS_EXPLICIT));
	check_ts(a, TS_EXPLICIT, 
	    "1.3.6.1.4.1.5962.1.1.8.1.5.20040826185059.5457");
	snprintf(cmd, sizeof cmd, "dcmdump +P 0028,2110 '%s'", a);
	fp = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	while (fgets(line, sizeof line, fp) != NULL)
		if (strstr(line, "[01]") != NULL)
			lossy = 1;
	pclose(fp);
	CU_ASSERT_TRUE(lossy);
}

static void
test_transcode_refused(void)
{
	char out[512], err[256];
	const char *src = sample("pydicom/MR_small.dcm");

	TESTUTIL_NEED_CORPUS();
	snprintf(out, sizeof out, "%s/refused.dcm", workdir);
	(void)unlink(out);
	/* lossless pixels never become lossy */
	CU_ASSERT_EQUAL(dcmshim_transcode(src, TS_JPEG_BASE, out, err,
	    sizeof err), XDS_EUNSUPPORTED);
	CU_ASSERT_STRING_EQUAL(err, "no lossless transcoding from Little Endian "
	    "Explicit to JPEG Baseline");
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	/* JPEG 2000 cannot be decoded */
	CU_ASSERT_EQUAL(dcmshim_transcode(sample("pydicom/JPEG2000.dcm"),
	    TS_EXPLICIT, out, err, sizeof err), XDS_EUNSUPPORTED);
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	/* the syntax it already has: written as it is */
	CU_ASSERT_EQUAL(dcmshim_transcode(sample("pydicom/JPEG2000.dcm"),
	    TS_J2K, out, err, sizeof err), 0);
	check_ts(out, TS_J2K,
	    "1.3.6.1.4.1.5962.1.1.8.1.3.20040826185059.5457");
	CU_ASSERT_EQUAL(unlink(out), 0);
	/* unknown, not a UID */
	CU_ASSERT_EQUAL(dcmshim_transcode(src, "1.2.840.10008.1.2.77", out, err,
	    sizeof err), XDS_EUNSUPPORTED);
	CU_ASSERT_EQUAL(dcmshim_transcode(src, "1.2.x", out, err, sizeof err),
	    XDS_EINVAL);
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
}

/* A KOS (no pixel data) between uncompressed syntaxes */
static void
test_transcode_kos(void)
{
	const char *p, *a, *b, *c;

	p = gen("kos-src",
	    "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.88.59]\n"
	    "(0008,0018) UI [1.2.3.4.99]\n"
	    "(0008,0060) CS [KO]\n"
	    "(0010,0010) PN [Doe^Jane]\n"
	    "(0020,000d) UI [1.2.3]\n"
	    "(0020,000e) UI [1.2.3.9]\n"
	    "(0040,a730) SQ (Sequence with undefined length)\n"
	    "  (fffe,e000) na (Item with undefined length)\n"
	    "    (0040,a010) CS [CONTAINS]\n"
	    "    (0040,a040) CS [IMAGE]\n"
	    "  (fffe,e00d) na (ItemDelimitationItem)\n"
	    "(fffe,e0dd) na (SequenceDelimitationItem)\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = tc(p, "kos-impl", TS_IMPLICIT));
	check_ts(a, TS_IMPLICIT, "1.2.3.4.99");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b = tc(a, "kos-big", TS_BIG));
	check_ts(b, TS_BIG, "1.2.3.4.99");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c = tc(b, "kos-defl", TS_DEFLATED));
	check_ts(c, TS_DEFLATED, "1.2.3.4.99");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a = tc(c, "kos-expl", TS_EXPLICIT));
	check_ts(a, TS_EXPLICIT, "1.2.3.4.99");
}

/* Patch the first US value of (0028,elem) in an explicit LE file. */
static int
patch_us(unsigned char *p, size_t len, unsigned elem, unsigned v)
{
	size_t i;

	for (i = 132; i + 10 <= len; i++)
		if (le16(p + i) == 0x0028 && le16(p + i + 2) == elem &&
		    memcmp(p + i + 4, "US\x02\x00", 4) == 0) {
			p[i + 8] = (unsigned char)(v & 0xff);
			p[i + 9] = (unsigned char)(v >> 8);
			return 0;
		}
	return -1;
}

static void
test_transcode_errors(void)
{
	char in[512], out[512], err[256];
	const char *src = sample("pydicom/MR_small.dcm"), *jls;
	unsigned char *p;
	size_t len = 0;
	FILE *fp;

	TESTUTIL_NEED_CORPUS();
	snprintf(in, sizeof in, "%s/bad-in.dcm", workdir);
	snprintf(out, sizeof out, "%s/bad-out.dcm", workdir);
	(void)unlink(out);
	p = (unsigned char *)testutil_read_file(src, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* truncated in the pixel data */
	CU_ASSERT_EQUAL_FATAL(testutil_write_file(in, p, len / 2), 0);
	CU_ASSERT_EQUAL(dcmshim_transcode(in, TS_JLS, out, err, sizeof err),
	    XDS_EFORMAT);
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	/* not DICOM at all */
	memset(p, 'A', 400);
	CU_ASSERT_EQUAL_FATAL(testutil_write_file(in, p, 400), 0);
	CU_ASSERT_EQUAL(dcmshim_transcode(in, TS_EXPLICIT, out, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	free(p);
	/* missing input */
	CU_ASSERT_EQUAL(dcmshim_transcode("/nonexistent/x.dcm", TS_EXPLICIT, out,
	    err, sizeof err), XDS_EIO);
	/* over the bound (a sparse file: no disk used) */
	fp = fopen(in, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(ftruncate(fileno(fp), (off_t)DCMSHIM_MAX_TRANSCODE + 1),
	    0);
	fclose(fp);
	CU_ASSERT_EQUAL(dcmshim_transcode(in, TS_EXPLICIT, out, err,
	    sizeof err), XDS_ETOOBIG);
	CU_ASSERT_TRUE(strstr(err, "larger than the transcoding limit") != NULL);
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	/* small compressed input declaring 65535x65535 pixels */
	CU_ASSERT_PTR_NOT_NULL_FATAL(jls = tc(src, "big-jls", TS_JLS));
	p = (unsigned char *)testutil_read_file(jls, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(patch_us(p, len, 0x0010, 0xffff), 0);
	CU_ASSERT_EQUAL(patch_us(p, len, 0x0011, 0xffff), 0);
	CU_ASSERT_EQUAL_FATAL(testutil_write_file(in, p, len), 0);
	free(p);
	CU_ASSERT_EQUAL(dcmshim_transcode(in, TS_EXPLICIT, out, err,
	    sizeof err), XDS_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(err, "decoded pixel data would be larger than "
	    "the transcoding limit (1 GiB)");
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	/* an existing output is neither overwritten nor removed */
	CU_ASSERT_EQUAL_FATAL(testutil_write_file(out, "keep", 4), 0);
	CU_ASSERT_EQUAL(dcmshim_transcode(src, TS_EXPLICIT, out, err,
	    sizeof err), XDS_EIO);
	p = (unsigned char *)testutil_read_file(out, &len);
	CU_ASSERT_TRUE(p != NULL && len == 4 && memcmp(p, "keep", 4) == 0);
	free(p);
	(void)unlink(out);
	(void)unlink(in);
}

/* A deflated dataset that inflates past the limit (written by python3's
 * zlib: 1100 MiB of zeros in 5 MB); a small one transcodes. */
static const char bomb_py[] =
	    "import struct, sys, zlib\n"
	    "def el(g, e, vr, val):\n"
	    "    if vr in (b'OB', b'OW', b'UN', b'SQ', b'UT'):\n"
	    "        return struct.pack('<HH2sHI', g, e, vr, 0, len(val)) + val\n"
	    "    return struct.pack('<HH2sH', g, e, vr, len(val)) + val\n"
	    "def ui(s):\n"
	    "    b = s.encode()\n"
	    "    return b + (b'\\0' if len(b) % 2 else b'')\n"
	    "meta = el(2, 1, b'OB', b'\\0\\1') + el(2, 2, b'UI', ui('1.2.840.10008.5.1.4.1.1.7')) \\\n"
	    "    + el(2, 3, b'UI', ui('1.2.3.4.77')) + el(2, 0x10, b'UI', ui('1.2.840.10008.1.2.1.99')) \\\n"
	    "    + el(2, 0x12, b'UI', ui('1.2.3.4'))\n"
	    "meta = el(2, 0, b'UL', struct.pack('<I', len(meta))) + meta\n"
	    "n = int(sys.argv[2]) * (1 << 20)\n"
	    "ds = el(8, 0x16, b'UI', ui('1.2.840.10008.5.1.4.1.1.7')) + el(8, 0x18, b'UI', ui('1.2.3.4.77')) \\\n"
	    "    + el(0x20, 0xd, b'UI', ui('1.2.3')) + el(0x20, 0xe, b'UI', ui('1.2.3.1')) \\\n"
	    "    + el(0x29, 0x10, b'LO', b'XDSNODE ') + struct.pack('<HH2sHI', 0x29, 0x1000, b'OB', 0, n)\n"
	    "c = zlib.compressobj(1, zlib.DEFLATED, -15)\n"
	    "with open(sys.argv[1], 'wb') as f:\n"
	    "    f.write(b'\\0' * 128 + b'DICM' + meta)\n"
	    "    f.write(c.compress(ds))\n"
	    "    z = b'\\0' * (1 << 20)\n"
	    "    for i in range(n >> 20):\n"
	    "        f.write(c.compress(z))\n"
	    "    f.write(c.flush())\n";

static void
test_transcode_deflate_bomb(void)
{
	char py[512], small[512], big[512], out[512], cmd[2200], err[256];
	struct dcmshim_info in;

	if (system("python3 -c 'import zlib' >/dev/null 2>&1") != 0) {
		fprintf(stderr, "python3 with zlib absent: skipped\n");
		return;
	}
	snprintf(py, sizeof py, "%s/bomb.py", workdir);
	snprintf(small, sizeof small, "%s/bomb-small.dcm", workdir);
	snprintf(big, sizeof big, "%s/bomb-big.dcm", workdir);
	snprintf(out, sizeof out, "%s/bomb-out.dcm", workdir);
	CU_ASSERT_EQUAL_FATAL(testutil_write_text(py, bomb_py), 0);
	snprintf(cmd, sizeof cmd, "python3 '%s' '%s' 2 && python3 '%s' '%s' "
	    "1100", py, small, py, big);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	(void)unlink(out);
	CU_ASSERT_EQUAL(dcmshim_transcode(small, TS_EXPLICIT, out, err,
	    sizeof err), 0);
	check_ts(out, TS_EXPLICIT, "1.2.3.4.77");
	CU_ASSERT_EQUAL(unlink(out), 0);
	CU_ASSERT_EQUAL(dcmshim_transcode(big, TS_EXPLICIT, out, err,
	    sizeof err), XDS_ETOOBIG);
	CU_ASSERT_TRUE(strstr(err, "deflated dataset larger than 1024 MiB "
	    "once inflated") != NULL);
	/* the header parse is bounded the same way */
	CU_ASSERT_EQUAL(dcmshim_parse_file(big, &in, err, sizeof err),
	    XDS_ETOOBIG);
	CU_ASSERT_EQUAL(dcmshim_parse_file(small, &in, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(in.transfer_syntax, TS_DEFLATED);
	CU_ASSERT_STRING_EQUAL(in.sop_uid, "1.2.3.4.77");
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	(void)unlink(big);
	(void)unlink(small);
}

/* RAD-69 requests run concurrently: codecs registered once, in use
 * from several threads at a time. */
struct tc_job {
	const char	*src;
	const char	*ts;
	char		 out[512];
	int		 rc;
};

static void *
tc_thread(void *arg)
{
	struct tc_job *j = arg;
	char err[256];
	int i;

	for (i = 0; i < 5 && j->rc == 0; i++) {
		(void)unlink(j->out);
		j->rc = dcmshim_transcode(j->src, j->ts, j->out, err,
		    sizeof err);
	}
	if (j->rc != 0)
		fprintf(stderr, "\n  transcode %s -> %s: %s ", j->src, j->ts,
		    err);
	return NULL;
}

static void
test_transcode_threads(void)
{
	static const char *ts[] = { TS_JLS, TS_RLE, TS_JPEG_SV1, TS_IMPLICIT };
	struct tc_job job[8];
	pthread_t th[8];
	size_t i;

	TESTUTIL_NEED_CORPUS();
	for (i = 0; i < 8; i++) {
		job[i].src = sample(i % 2 ? "pydicom/CT_small.dcm" :
		    "dcm4che/MR-JPEGLosslessSV1.dcm");
		job[i].ts = ts[i % 4];
		job[i].rc = 0;
		snprintf(job[i].out, sizeof job[i].out, "%s/thr%zu.dcm",
		    workdir, i);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, tc_thread,
		    &job[i]), 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(job[i].rc, 0);
		if (job[i].rc != 0)
			continue;
		check_ts(job[i].out, job[i].ts, i % 2 ?
		    "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322" :
		    "1.3.46.670589.11.4140.9.1238909502827899400701.16.2.1.1."
		    "0.0.2");
	}
}

/* ---- idempotent publication ---- */

static void
test_attempt_db(void)
{
	struct dcmshim_info a = mkinfo("1.7.1", "1.7.1.1");
	struct dcmshim_info b = mkinfo("1.7.1", "1.7.1.2");
	struct bridge_db_study_row r;
	struct bridge_db *db;
	sqlite3 *old;
	char dir[512], path[600], err[256];

	/* a dicom.db of the first release: the columns come, rows stay */
	snprintf(dir, sizeof dir, "%s/attempt", workdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/dicom.db", dir);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &old), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(old, "CREATE TABLE study ("
	    "study_uid TEXT PRIMARY KEY, bsn TEXT, instances INTEGER NOT NULL"
	    " DEFAULT 0, last_arrival INTEGER NOT NULL, state TEXT NOT NULL);"
	    "INSERT INTO study VALUES ('1.7.9', '999911120', 1, 50, 'ready')",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(old);
	CU_ASSERT_EQUAL_FATAL(bridge_db_open(dir, &db, err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(bridge_db_study(db, "1.7.9", &r, err,
	    sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(r.state, "ready");
	CU_ASSERT_EQUAL(r.instances, 1);
	CU_ASSERT_EQUAL(r.rev, 0);
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "");
	CU_ASSERT_STRING_EQUAL(r.entry_uuid, "");

	/* rev counts the instances added; a resent one adds nothing */
	CU_ASSERT_EQUAL(bridge_db_instance(db, &a, "999911120", NULL, 100, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &a, "999911120", NULL, 101, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_study(db, "1.7.1", &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(r.rev, 1);
	CU_ASSERT_EQUAL(bridge_db_instance(db, &b, "999911120", NULL, 102, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_mark_ready(db, 1000, 60, err, sizeof err), 1);

	/* one attempt at a time, all its parts */
	CU_ASSERT_EQUAL(bridge_db_attempt(db, "1.7.1", "2.25.1",
	    "urn:uuid:00000000-0000-4000-8000-000000000001", "2.25.2", 2, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(bridge_db_study(db, "1.7.1", &r, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(r.rev, 2);
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "2.25.1");
	CU_ASSERT_STRING_EQUAL(r.attempt_entry_uuid,
	    "urn:uuid:00000000-0000-4000-8000-000000000001");
	CU_ASSERT_STRING_EQUAL(r.attempt_ss_uid, "2.25.2");
	CU_ASSERT_EQUAL(r.attempt_rev, 2);
	CU_ASSERT_EQUAL(bridge_db_attempt(db, "1.7.1", "2.25.3",
	    "urn:uuid:00000000-0000-4000-8000-000000000003", "2.25.4", 2, err,
	    sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "study 1.7.1 is unknown or has a "
	    "publication in flight");
	CU_ASSERT_EQUAL(bridge_db_attempt(db, "1.7.404", "2.25.3",
	    "urn:uuid:00000000-0000-4000-8000-000000000003", "2.25.4", 2, err,
	    sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "study 1.7.404 is unknown or has a "
	    "publication in flight");
	CU_ASSERT_EQUAL(bridge_db_attempt(db, "1.7.9", "2.25.3", "", "2.25.4",
	    0, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "an attempt needs a uniqueId, an "
	    "entryUUID and a SubmissionSet uniqueId");

	/* another manifest published leaves the attempt; its own settles it */
	CU_ASSERT_EQUAL(bridge_db_published(db, "1.7.1", "urn:uuid:other",
	    "2.25.9", err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_study(db, "1.7.1", &r, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "2.25.1");
	CU_ASSERT_EQUAL(bridge_db_request_publish(db, "1.7.1", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_published(db, "1.7.1",
	    "urn:uuid:00000000-0000-4000-8000-000000000001", "2.25.1", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_study(db, "1.7.1", &r, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(r.state, "published");
	CU_ASSERT_STRING_EQUAL(r.unique_id, "2.25.1");
	CU_ASSERT_STRING_EQUAL(r.entry_uuid,
	    "urn:uuid:00000000-0000-4000-8000-000000000001");
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "");
	CU_ASSERT_STRING_EQUAL(r.attempt_entry_uuid, "");
	CU_ASSERT_STRING_EQUAL(r.attempt_ss_uid, "");
	CU_ASSERT_EQUAL(r.attempt_rev, 0);

	/* a drop forgets only the attempt it names */
	CU_ASSERT_EQUAL(bridge_db_attempt(db, "1.7.1", "2.25.5",
	    "urn:uuid:00000000-0000-4000-8000-000000000005", "2.25.6", 2, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_attempt_drop(db, "1.7.1", "2.25.1", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_study(db, "1.7.1", &r, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "2.25.5");
	CU_ASSERT_EQUAL(bridge_db_attempt_drop(db, "1.7.1", "2.25.5", err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_study(db, "1.7.1", &r, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "");
	CU_ASSERT_STRING_EQUAL(r.entry_uuid,
	    "urn:uuid:00000000-0000-4000-8000-000000000001");

	/* the attempt survives a reopen (and the migrations run again) */
	CU_ASSERT_EQUAL(bridge_db_attempt(db, "1.7.1", "2.25.7",
	    "urn:uuid:00000000-0000-4000-8000-000000000007", "2.25.8", 2, err,
	    sizeof err), 0);
	bridge_db_close(db);
	CU_ASSERT_EQUAL_FATAL(bridge_db_open(dir, &db, err, sizeof err), 0);
	CU_ASSERT_EQUAL(bridge_db_study(db, "1.7.1", &r, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "2.25.7");
	CU_ASSERT_STRING_EQUAL(r.attempt_ss_uid, "2.25.8");
	CU_ASSERT_EQUAL(r.rev, 2);
	bridge_db_close(db);
}

#define RR(st, errs) "<rs:RegistryResponse xmlns:rs=\"" NS_RS "\" " \
	"status=\"" st "\"><rs:RegistryErrorList>" errs \
	"</rs:RegistryErrorList></rs:RegistryResponse>"
#define RE(code, ctx) "<rs:RegistryError errorCode=\"" code "\" " \
	"codeContext=\"" ctx "\" severity=\"" SEV_ERROR "\"/>"
#define RW(code, ctx) "<rs:RegistryError errorCode=\"" code "\" " \
	"codeContext=\"" ctx "\" severity=\"" SEV_WARNING "\"/>"

static enum publish_rad68_outcome
outcome(const char *xml, const char *uid, const char *ss, char *err,
    size_t errlen)
{
	return publish_rad68_outcome(xml, strlen(xml), uid, ss, err, errlen);
}

static void
test_rad68_outcome(void)
{
	/* what our registry answers to a registered submission sent again */
	static const char again[] = RR(ST_FAILURE,
	    RE(ERR_REGISTRY_METADATA, "DocumentEntry 'urn:uuid:e': this "
	    "entryUUID is already used by a stored DocumentEntry; ids are "
	    "never reused")
	    RE(ERR_DEPRECATED_DOCUMENT, "Association 'urn:uuid:a': "
	    "urn:ihe:iti:2007:AssociationType:RPLC target 'urn:uuid:p' is "
	    "not Approved")
	    RE(ERR_DUP_UNIQUEID_IN_REGISTRY, "SubmissionSet 'urn:uuid:s': "
	    "uniqueId '1.2.3.4' is already in the registry"));
	static const char dup_de[] = RR(ST_FAILURE,
	    RE(ERR_DUP_UNIQUEID_IN_REGISTRY, "uniqueId 2.25.77 exists"));
	static const char dup_prefix[] = RR(ST_FAILURE,
	    RE(ERR_DUP_UNIQUEID_IN_REGISTRY, "uniqueId '1.2.3.45' and "
	    "'11.2.3.4' exist"));
	static const char meta[] = RR(ST_FAILURE,
	    RE(ERR_REGISTRY_METADATA, "DocumentEntry 'urn:uuid:e': this "
	    "entryUUID is already used"));
	static const char busy[] = RR(ST_FAILURE,
	    RE(ERR_REGISTRY_METADATA, "x") RE(ERR_REGISTRY_NOT_AVAILABLE,
	    "down"));
	static const char warn[] = RR(ST_FAILURE,
	    RW(ERR_EXTRA_METADATA_NOT_SAVED, "w"));
	static const char partial[] = RR(ST_PARTIAL,
	    RE(ERR_REGISTRY_METADATA, "x"));
	static const char soap_dup[] = "<s:Envelope xmlns:s=\"" NS_SOAP12
	    "\"><s:Body>" RR(ST_FAILURE, RE(ERR_DUP_UNIQUEID_IN_REGISTRY,
	    "SubmissionSet uniqueId 1.2.3.4")) "</s:Body></s:Envelope>";
	static const char fault[] = "<s:Envelope xmlns:s=\"" NS_SOAP12
	    "\"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value>"
	    "</s:Code><s:Reason><s:Text xml:lang=\"en\">busy</s:Text>"
	    "</s:Reason></s:Fault></s:Body></s:Envelope>";
	static const char ok[] = "<rs:RegistryResponse xmlns:rs=\"" NS_RS
	    "\" status=\"" ST_SUCCESS "\"/>";
	char err[512];

	CU_ASSERT_EQUAL(outcome(ok, "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_SUCCESS);
	/* registered before: the SubmissionSet uniqueId, whatever else */
	CU_ASSERT_EQUAL(outcome(again, "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_REGISTERED);
	CU_ASSERT_STRING_EQUAL(err, ERR_DUP_UNIQUEID_IN_REGISTRY ": "
	    "SubmissionSet 'urn:uuid:s': uniqueId '1.2.3.4' is already in the "
	    "registry");
	CU_ASSERT_EQUAL(outcome(soap_dup, NULL, "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_REGISTERED);
	/* a registry that keeps DocumentEntry uniqueIds unique */
	CU_ASSERT_EQUAL(outcome(dup_de, "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_REGISTERED);
	/* someone else's ids, or none to compare: a rejection */
	CU_ASSERT_EQUAL(outcome(dup_prefix, "2.25.77", "1.2.3.4", err,
	    sizeof err), PUBLISH_RAD68_REJECTED);
	CU_ASSERT_EQUAL(outcome(again, NULL, NULL, err, sizeof err),
	    PUBLISH_RAD68_REJECTED);
	CU_ASSERT_STRING_EQUAL(err, ERR_REGISTRY_METADATA ": DocumentEntry "
	    "'urn:uuid:e': this entryUUID is already used by a stored "
	    "DocumentEntry; ids are never reused");
	/* a metadata error naming our entry proves nothing */
	CU_ASSERT_EQUAL(outcome(meta, "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_REJECTED);
	/* not decided: transient errors, no error, PartialSuccess, faults */
	CU_ASSERT_EQUAL(outcome(busy, "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(err, ERR_REGISTRY_METADATA ": x");
	CU_ASSERT_EQUAL(outcome(warn, "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_UNKNOWN);
	CU_ASSERT_EQUAL(outcome(RR(ST_FAILURE, ""), "2.25.77", "1.2.3.4", err,
	    sizeof err), PUBLISH_RAD68_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(err, ST_FAILURE);
	CU_ASSERT_EQUAL(outcome(partial, "2.25.77", "1.2.3.4", err,
	    sizeof err), PUBLISH_RAD68_UNKNOWN);
	CU_ASSERT_EQUAL(outcome(fault, "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(err, "SOAP fault: busy");
	CU_ASSERT_EQUAL(outcome("<x/>", "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(err, "the repository answered no "
	    "RegistryResponse");
	CU_ASSERT_EQUAL(outcome("<x", "2.25.77", "1.2.3.4", err, sizeof err),
	    PUBLISH_RAD68_UNKNOWN);
	/* publish_rad68_reply: Success or not */
	CU_ASSERT_EQUAL(publish_rad68_reply(ok, strlen(ok), err, sizeof err),
	    1);
	CU_ASSERT_EQUAL(publish_rad68_reply(again, strlen(again), err,
	    sizeof err), 0);
}

/* The body of the send fake.bodies[i] (or fake.body, i < 0) has the
 * formatted text. */
static int sent(int i, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
sent(int i, const char *fmt, ...)
{
	va_list ap;
	char s[512];

	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	return strstr(i < 0 ? fake.body : fake.bodies[i], s) != NULL;
}

#define EO_ID	"<rim:ExtrinsicObject id=\"%s\"%s"
#define DE_UID	"identificationScheme=\"" EI_DE_UNIQUEID "\" value=\"%s\"%s"
#define SS_UID	"identificationScheme=\"" EI_SS_UNIQUEID "\" value=\"%s\"%s"
#define RPLC	"associationType=\"" AT_RPLC "\" sourceObject=\"%s\" " \
		"targetObject=\"%s\""

static void
test_publish_idempotent(void)
{
	struct bridge_db_study_row a, b, c, r;
	struct pub p;
	char kos[600], path[1024], err[512], errs[2048];
	size_t n1 = 0, n2 = 0;
	char *k1, *k2;

	pub_open(&p, "idem");
	snprintf(kos, sizeof kos, "%s/dicom/kos", p.state);

	/* 1. no answer: the manifest stays recorded as the attempt */
	fake_first(NULL, NULL, NULL);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "repository: fake: no answer");
	CU_ASSERT_EQUAL(fake.audited, 1);
	CU_ASSERT_EQUAL_FATAL(pub_row(&p, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.state, "ready");
	CU_ASSERT_STRING_EQUAL(a.entry_uuid, "");
	CU_ASSERT_TRUE(strncmp(a.attempt_unique_id, "2.25.", 5) == 0);
	CU_ASSERT_TRUE(strncmp(a.attempt_entry_uuid, "urn:uuid:", 9) == 0);
	CU_ASSERT_EQUAL(strlen(a.attempt_entry_uuid), 45);
	CU_ASSERT_TRUE(a.attempt_ss_uid[0] != '\0');
	CU_ASSERT_EQUAL(a.attempt_rev, a.rev);
	CU_ASSERT_TRUE(sent(0, EO_ID, a.attempt_entry_uuid, ""));
	CU_ASSERT_TRUE(sent(0, SS_UID, a.attempt_ss_uid, ""));
	CU_ASSERT_EQUAL(testutil_count_files(kos, 0), 1);
	snprintf(path, sizeof path, "%s/%s.dcm", kos, a.attempt_unique_id);
	k1 = testutil_read_file(path, &n1);
	CU_ASSERT_PTR_NOT_NULL(k1);

	/* 2. the retry sends the same manifest: ids and KOS bytes */
	fake_answer(ST_SUCCESS);
	CU_ASSERT_EQUAL_FATAL(pub_run(&p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(fake.calls, 1);
	CU_ASSERT_TRUE(sent(-1, EO_ID, a.attempt_entry_uuid, ""));
	CU_ASSERT_TRUE(sent(-1, DE_UID, a.attempt_unique_id, ""));
	CU_ASSERT_TRUE(sent(-1, SS_UID, a.attempt_ss_uid, ""));
	CU_ASSERT_EQUAL(fake.att_size, (long long)n1);
	CU_ASSERT_EQUAL(testutil_count_files(kos, 0), 1);
	k2 = testutil_read_file(path, &n2);
	CU_ASSERT_TRUE(k1 != NULL && k2 != NULL && n1 == n2 &&
	    memcmp(k1, k2, n1) == 0);
	free(k1);
	free(k2);
	pub_published(&p, &r, a.attempt_entry_uuid, a.attempt_unique_id);

	/* 3. a late instance; a transient error keeps the attempt (an RPLC
	 * of the first entry), and its retry learns that send registered */
	CU_ASSERT_EQUAL_FATAL(pub_instance(p.db, p.state, 3, 300), 0);
	CU_ASSERT_EQUAL(bridge_db_request_publish(p.db, PUB_STUDY, err,
	    sizeof err), 0);
	fake_first(ST_FAILURE, RE(ERR_REGISTRY_NOT_AVAILABLE, "timeout"), NULL);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, ERR_REGISTRY_NOT_AVAILABLE ": timeout");
	CU_ASSERT_EQUAL_FATAL(pub_row(&p, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.entry_uuid, a.attempt_entry_uuid);
	CU_ASSERT_TRUE(b.attempt_unique_id[0] != '\0');
	CU_ASSERT_STRING_NOT_EQUAL(b.attempt_unique_id, a.attempt_unique_id);
	CU_ASSERT_TRUE(sent(0, RPLC, b.attempt_entry_uuid,
	    a.attempt_entry_uuid));
	snprintf(errs, sizeof errs,
	    RE(ERR_REGISTRY_METADATA, "DocumentEntry '%s': this entryUUID is "
	    "already used by a stored DocumentEntry; ids are never reused")
	    RE(ERR_DEPRECATED_DOCUMENT, "Association 'urn:uuid:x': RPLC "
	    "target '%s' is not Approved")
	    RE(ERR_DUP_UNIQUEID_IN_REGISTRY, "SubmissionSet 'urn:uuid:y': "
	    "uniqueId '%s' is already in the registry"),
	    b.attempt_entry_uuid, a.attempt_entry_uuid, b.attempt_ss_uid);
	fake_first(ST_FAILURE, errs, NULL);
	CU_ASSERT_EQUAL_FATAL(pub_run(&p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(fake.calls, 1);
	CU_ASSERT_EQUAL(fake.audited, 1);
	CU_ASSERT_TRUE(sent(0, EO_ID, b.attempt_entry_uuid, ""));
	CU_ASSERT_TRUE(sent(0, SS_UID, b.attempt_ss_uid, ""));
	CU_ASSERT_TRUE(sent(0, RPLC, b.attempt_entry_uuid,
	    a.attempt_entry_uuid));
	pub_published(&p, &r, b.attempt_entry_uuid, b.attempt_unique_id);
	CU_ASSERT_EQUAL(r.instances, 3);

	/* 4. instances added while an attempt is in flight: it is settled
	 * first (sent again), then a new manifest replaces it */
	CU_ASSERT_EQUAL_FATAL(pub_instance(p.db, p.state, 4, 400), 0);
	CU_ASSERT_EQUAL(bridge_db_request_publish(p.db, PUB_STUDY, err,
	    sizeof err), 0);
	fake_first(NULL, NULL, NULL);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), -1);
	CU_ASSERT_EQUAL_FATAL(pub_row(&p, &c), 0);
	CU_ASSERT_TRUE(c.attempt_unique_id[0] != '\0');
	CU_ASSERT_EQUAL_FATAL(pub_instance(p.db, p.state, 5, 500), 0);
	CU_ASSERT_EQUAL(bridge_db_request_publish(p.db, PUB_STUDY, err,
	    sizeof err), 0);
	snprintf(errs, sizeof errs, RE(ERR_DUP_UNIQUEID_IN_REGISTRY,
	    "DocumentEntry uniqueId %s is already in the registry%s"),
	    c.attempt_unique_id, "");
	fake_first(ST_FAILURE, errs, ST_SUCCESS);
	CU_ASSERT_EQUAL_FATAL(pub_run(&p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(fake.calls, 2);
	CU_ASSERT_EQUAL(fake.audited, 2);
	CU_ASSERT_TRUE(sent(0, EO_ID, c.attempt_entry_uuid, ""));
	CU_ASSERT_TRUE(sent(0, RPLC, c.attempt_entry_uuid,
	    b.attempt_entry_uuid));
	CU_ASSERT_EQUAL(pub_row(&p, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.state, "published");
	CU_ASSERT_STRING_NOT_EQUAL(r.entry_uuid, c.attempt_entry_uuid);
	CU_ASSERT_STRING_NOT_EQUAL(r.unique_id, c.attempt_unique_id);
	CU_ASSERT_STRING_EQUAL(r.attempt_unique_id, "");
	CU_ASSERT_EQUAL(r.instances, 5);
	CU_ASSERT_TRUE(sent(-1, RPLC, r.entry_uuid, c.attempt_entry_uuid));
	CU_ASSERT_TRUE(sent(-1, DE_UID, r.unique_id, ""));

	/* 5. a rejection settles an attempt too: dropped with its KOS, and
	 * the next try is a new manifest */
	CU_ASSERT_EQUAL(bridge_db_request_publish(p.db, PUB_STUDY, err,
	    sizeof err), 0);
	n1 = (size_t)testutil_count_files(kos, 0);
	fake_first(ST_FAILURE, RE(ERR_REGISTRY_METADATA, "classCode"), NULL);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, ERR_REGISTRY_METADATA ": classCode");
	CU_ASSERT_EQUAL(testutil_count_files(kos, 0), (int)n1);
	CU_ASSERT_EQUAL(pub_row(&p, &c), 0);
	CU_ASSERT_STRING_EQUAL(c.state, "ready");
	CU_ASSERT_STRING_EQUAL(c.attempt_unique_id, "");
	CU_ASSERT_STRING_EQUAL(c.entry_uuid, r.entry_uuid);

	/* 6. an attempt whose KOS was removed by hand is given up */
	fake_first(NULL, NULL, NULL);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), -1);
	CU_ASSERT_EQUAL_FATAL(pub_row(&p, &c), 0);
	snprintf(path, sizeof path, "%s/%s.dcm", kos, c.attempt_unique_id);
	CU_ASSERT_EQUAL(unlink(path), 0);
	fake_answer(ST_SUCCESS);
	CU_ASSERT_EQUAL(pub_run(&p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(fake.calls, 1);
	CU_ASSERT_EQUAL(pub_row(&p, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "published");
	CU_ASSERT_STRING_NOT_EQUAL(b.unique_id, c.attempt_unique_id);
	CU_ASSERT_TRUE(sent(-1, RPLC, b.entry_uuid, r.entry_uuid));
	pub_close(&p);
}

/*
 * dcmshim_lencheck: crafted Part 10 buffers.  lc_* append to a buffer of
 * LC_MAX bytes: the preamble and a meta header naming ts, then elements.
 */
#define LC_MAX	4096
struct lc {
	unsigned char	b[LC_MAX];
	size_t		n;
	int		be;	/* explicit VR big endian dataset */
};

static void
lc_raw(struct lc *c, const void *p, size_t n)
{
	CU_ASSERT_FATAL(c->n + n <= LC_MAX);
	memcpy(c->b + c->n, p, n);
	c->n += n;
}

static void
lc_16(struct lc *c, unsigned v)
{
	unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	unsigned char r[2] = { b[1], b[0] };

	lc_raw(c, c->be ? r : b, 2);
}

static void
lc_32(struct lc *c, unsigned long v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	unsigned char r[4] = { b[3], b[2], b[1], b[0] };

	lc_raw(c, c->be ? r : b, 4);
}

/* Explicit VR header: a 4-byte length for the long VRs given here. */
static void
lc_ex(struct lc *c, unsigned g, unsigned e, const char *vr, unsigned long n)
{
	lc_16(c, g);
	lc_16(c, e);
	lc_raw(c, vr, 2);
	if (strstr("OB OW SQ UN UT ZZ", vr) != NULL) {
		lc_16(c, 0);
		lc_32(c, n);
	} else
		lc_16(c, (unsigned)n);
}

/* Implicit VR header, and (FFFE,xxxx) item tags. */
static void
lc_im(struct lc *c, unsigned g, unsigned e, unsigned long n)
{
	lc_16(c, g);
	lc_16(c, e);
	lc_32(c, n);
}

static void
lc_meta(struct lc *c, const char *ts)
{
	size_t n = strlen(ts) + (strlen(ts) & 1);

	memset(c, 0, sizeof *c);
	c->n = 128;
	lc_raw(c, "DICM", 4);
	lc_ex(c, 0x0002, 0x0000, "UL", 4);
	lc_32(c, 8 + n);
	lc_ex(c, 0x0002, 0x0010, "UI", n);
	lc_raw(c, ts, strlen(ts));
	if (strlen(ts) & 1)
		lc_raw(c, "", 1);
}

#define TS_ILE	"1.2.840.10008.1.2"
#define TS_ELE	"1.2.840.10008.1.2.1"
#define TS_EBE	"1.2.840.10008.1.2.2"
#define TS_DEFL	"1.2.840.10008.1.2.1.99"

/* The check's verdict on c, and its text into err. */
static int
lc_check(const struct lc *c, char *err, size_t errlen)
{
	int d = -1, rc;

	err[0] = '\0';
	rc = dcmshim_lencheck(c->b, c->n, &d, err, errlen);
	CU_ASSERT(d == 0 || d == 1);
	return rc;
}

static void
test_lencheck_crafted(void)
{
	struct lc c;
	char err[256];
	int d;

	/* a valid one with every container: it passes */
	lc_meta(&c, TS_ELE);
	lc_ex(&c, 0x0008, 0x0016, "UI", 4);
	lc_raw(&c, "1.2", 4);
	lc_ex(&c, 0x0008, 0x1115, "SQ", 0xFFFFFFFFul);	/* undefined */
	lc_im(&c, 0xFFFE, 0xE000, 0xFFFFFFFFul);
	lc_ex(&c, 0x0008, 0x1140, "SQ", 8 + 8 + 2);	/* defined */
	lc_im(&c, 0xFFFE, 0xE000, 8 + 2);
	lc_ex(&c, 0x0008, 0x1150, "UI", 2);
	lc_raw(&c, "1", 2);
	lc_im(&c, 0xFFFE, 0xE00D, 0);
	lc_im(&c, 0xFFFE, 0xE0DD, 0);
	/* DCMTK: unknown upper-case VR, 4-byte length; other bytes, 2 */
	lc_ex(&c, 0x0009, 0x1001, "ZZ", 2);
	lc_raw(&c, "ab", 2);
	lc_16(&c, 0x0009);
	lc_16(&c, 0x1002);
	lc_raw(&c, "\0\0", 2);
	lc_16(&c, 4);
	lc_raw(&c, "\xff\xff\xff\xff", 4);
	/* UN of undefined length: implicit VR LE inside */
	lc_ex(&c, 0x0009, 0x1010, "UN", 0xFFFFFFFFul);
	lc_im(&c, 0xFFFE, 0xE000, 0xFFFFFFFFul);
	lc_im(&c, 0x0009, 0x1011, 2);
	lc_raw(&c, "xy", 2);
	lc_im(&c, 0xFFFE, 0xE00D, 0);
	lc_im(&c, 0xFFFE, 0xE0DD, 0);
	/* encapsulated pixel data: fragments are stepped over, never into */
	lc_ex(&c, 0x7FE0, 0x0010, "OB", 0xFFFFFFFFul);
	lc_im(&c, 0xFFFE, 0xE000, 0);
	lc_im(&c, 0xFFFE, 0xE000, 8);
	lc_raw(&c, "\x10\x00\x10\x00PN\xff\xff", 8);
	lc_im(&c, 0xFFFE, 0xE0DD, 0);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(err, "");

	/* a top-level element over the end */
	lc_meta(&c, TS_ELE);
	lc_ex(&c, 0x0010, 0x0010, "PN", 256);
	lc_raw(&c, "Doe^", 4);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0010,0010) declares 256 bytes, "
	    "4 remain");
	/* the same with a 4-byte length of 4 GiB - 1 */
	lc_meta(&c, TS_ELE);
	lc_ex(&c, 0x0042, 0x0011, "OB", 0xFFFFFFFEul);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0042,0011) declares 4294967294 "
	    "bytes, 0 remain");

	/* inside a defined-length sequence and item */
	lc_meta(&c, TS_ELE);
	lc_ex(&c, 0x0008, 0x1115, "SQ", 8 + 8 + 2);
	lc_im(&c, 0xFFFE, 0xE000, 8 + 2);
	lc_ex(&c, 0x0008, 0x1150, "UI", 200);
	lc_raw(&c, "1", 2);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0008,1150) declares 200 bytes, "
	    "2 remain");
	/* an item longer than the file */
	lc_meta(&c, TS_ELE);
	lc_ex(&c, 0x0008, 0x1115, "SQ", 8 + 64);
	lc_im(&c, 0xFFFE, 0xE000, 64);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0008,1115) declares 72 bytes, "
	    "8 remain");

	/* inside an undefined-length sequence's undefined-length item */
	lc_meta(&c, TS_ELE);
	lc_ex(&c, 0x0040, 0xA730, "SQ", 0xFFFFFFFFul);
	lc_im(&c, 0xFFFE, 0xE000, 0xFFFFFFFFul);
	lc_ex(&c, 0x0040, 0xA040, "CS", 0xFFF0);
	lc_raw(&c, "TEXT", 4);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0040,A040) declares 65520 bytes, "
	    "4 remain");

	/* implicit VR: top level, then inside a sequence found by its item */
	lc_meta(&c, TS_ILE);
	lc_im(&c, 0x0010, 0x0020, 0x7FFFFFFFul);
	lc_raw(&c, "12", 2);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0010,0020) declares 2147483647 "
	    "bytes, 2 remain");
	lc_meta(&c, TS_ILE);
	lc_im(&c, 0x0008, 0x1115, 8 + 8 + 2);
	lc_im(&c, 0xFFFE, 0xE000, 8 + 2);
	lc_im(&c, 0x0020, 0x000D, 1000);
	lc_raw(&c, "1", 2);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0020,000D) declares 1000 bytes, "
	    "2 remain");

	/* explicit VR big endian */
	lc_meta(&c, TS_EBE);
	c.be = 1;
	lc_ex(&c, 0x0010, 0x0010, "PN", 0x0102);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0010,0010) declares 258 bytes, "
	    "0 remain");

	/* a meta header element */
	lc_meta(&c, TS_ELE);
	lc_ex(&c, 0x0002, 0x0013, "SH", 0x4000);
	lc_raw(&c, "DCMTK ", 6);
	c.b[132 + 8] = 0;	/* group length: take the group as it is */
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0002,0013) declares 16384 bytes, "
	    "6 remain");

	/* truncated headers: a short one, a long VR's */
	lc_meta(&c, TS_ELE);
	lc_raw(&c, "\x10\x00\x10\x00PN", 6);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "truncated element header at offset 172");
	lc_meta(&c, TS_ELE);
	lc_raw(&c, "\xe0\x7f\x10\x00OB\0\0\0", 9);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "truncated element header at offset 172");

	/* deflated: the meta header checked, the dataset left to the copy */
	lc_meta(&c, TS_DEFL);
	lc_raw(&c, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
	d = -1;
	CU_ASSERT_EQUAL(dcmshim_lencheck(c.b, c.n, &d, err, sizeof err), 0);
	CU_ASSERT_EQUAL(d, 1);

	/* nesting is bounded */
	lc_meta(&c, TS_ELE);
	for (d = 0; d <= DCMSHIM_LEN_MAX_DEPTH; d++)
		lc_ex(&c, 0x0040, 0xA730, "SQ", 0xFFFFFFFFul);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nested too deep"));

	/*
	 * No meta header: DCMTK takes explicit VR only for a standard VR
	 * and big endian only by its dictionary.  "RQ" is no VR, so DCMTK
	 * reads implicit VR little endian, a length of 0xFF745152 (this
	 * read as explicit VR big endian of undefined length passed once).
	 */
	memset(&c, 0, sizeof c);
	lc_raw(&c, "\x01\x06\xff\x80RQt\xff\xff\xff\xff\xff", 12);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0601,80FF) declares 4285813074 "
	    "bytes, 4 remain");
	/* a standard VR and a tag of the dictionary only in big endian:
	 * explicit VR big endian */
	memset(&c, 0, sizeof c);
	c.be = 1;
	lc_ex(&c, 0x0008, 0x0060, "CS", 0x4000);
	lc_raw(&c, "MR", 2);
	CU_ASSERT_EQUAL(lc_check(&c, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_STRING_EQUAL(err, "element (0008,0060) declares 16384 bytes, "
	    "2 remain");

	/* no input; an empty file is left to DCMTK */
	CU_ASSERT_EQUAL(dcmshim_lencheck(NULL, 0, NULL, err, sizeof err), 0);
	CU_ASSERT_EQUAL(dcmshim_lencheck_file("/nonexistent/x.dcm", NULL, err,
	    sizeof err), XDS_EIO);
}

/* A .dcm file of the corpus passes, but the one DCMTK refuses too. */
static void
lencheck_one(const char *path, void *arg)
{
	char err[256];
	int rc;

	(void)arg;
	rc = dcmshim_lencheck_file(path, NULL, err, sizeof err);
	if (strcmp(strrchr(path, '/'), "/no_meta.dcm") == 0) {
		/* "larger (173228800) than remaining" for dcmdump */
		CU_ASSERT_EQUAL(rc, XDS_EFORMAT);
		CU_ASSERT_STRING_EQUAL(err, "element (0820,0500) "
		    "declares 173228800 bytes, 38863 remain");
	} else {
		if (rc != 0)
			fprintf(stderr, "%s: %s\n", path, err);
		CU_ASSERT_EQUAL(rc, 0);
	}
}

static void
test_lencheck_files(void)
{
	static const char *const conv[] = {
	    "dcmconv +ti", "dcmconv +te", "dcmconv +tb", "dcmconv +td",
	    "dcmcjpls", "dcmcrle", "dcmcjpeg", "dcmcjpeg --encode-lossless" };
	const char *td = testdata;
	char path[1024], out[1024], cmd[4096], err[256];
	struct dcmshim_info in;
	size_t i, n;
	char *p;
	int rc;

	TESTUTIL_NEED_CORPUS();
	CU_ASSERT(testutil_walk(td, ".dcm", lencheck_one, NULL) >= 40);
	/* DCMTK's own writers, every syntax, nested sequences included */
	snprintf(path, sizeof path, "%s/dicom/pydicom/MR_small.dcm", td);
	for (i = 0; i < sizeof conv / sizeof conv[0]; i++) {
		snprintf(out, sizeof out, "%s/lc%zu.dcm", workdir, i);
		snprintf(cmd, sizeof cmd, "%s '%s' '%s' >/dev/null 2>&1",
		    conv[i], path, out);
		if (system(cmd) != 0) {
			fprintf(stderr, "skipped: %s\n", cmd);
			continue;
		}
		CU_ASSERT_EQUAL(dcmshim_lencheck_file(out, NULL, err,
		    sizeof err), 0);
		CU_ASSERT_EQUAL(dcmshim_parse_file(out, &in, err, sizeof err),
		    0);
	}
	/* the libFuzzer find: a deflated dataset behind a meta header whose
	 * group length hides a bad element (2.4 GB asked for) */
	p = testutil_srcdir_file("fuzz/corpus/dicom/deflated-meta-grouplength",
	    &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	rc = dcmshim_parse_mem(p, n, &in, err, sizeof err);
	CU_ASSERT_EQUAL(rc, XDS_EFORMAT);
	/* dcmshim_undeflate reads the meta header by its group 0002 and finds
	 * no transfer syntax; DCMTK, by its group length, a deflated one */
	CU_ASSERT_STRING_EQUAL(err, "deflated dataset behind a file meta "
	    "header that cannot be read");
	free(p);
}

/* dicom.allowed_peers: the forms, the two questions, what is refused. */
static void
test_access(void)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "::1/129", "a;;b", ";", "ABCDEFGHIJKLMNOPQ",
		"AE\\X", "1.2.3.4/", "AE@10.0.0.0/40",
	};
	struct bridge_access a;
	char err[256];
	size_t i;

	/* empty: loopback only, any AE title */
	CU_ASSERT_EQUAL(bridge_access_parse("", &a, err, sizeof err), XDS_OK);
	CU_ASSERT_TRUE(bridge_access_addr(&a, "127.0.0.1"));
	CU_ASSERT_TRUE(bridge_access_addr(&a, "127.3.2.1"));
	CU_ASSERT_TRUE(bridge_access_addr(&a, "::1"));
	CU_ASSERT_TRUE(bridge_access_addr(&a, "::ffff:127.0.0.1"));
	CU_ASSERT_FALSE(bridge_access_addr(&a, "10.0.0.1"));
	CU_ASSERT_FALSE(bridge_access_addr(&a, "::2"));
	CU_ASSERT_TRUE(bridge_access_peer(&a, "127.0.0.1", "ANY"));
	CU_ASSERT_FALSE(bridge_access_peer(&a, "192.168.1.1", "ANY"));

	CU_ASSERT_EQUAL(bridge_access_parse(" 10.1.2.0/24 ; CT01 ; "
	    "MR01@192.168.5.7;fd00::/8 ", &a, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(a.n, 4);
	/* an AE-only entry admits every address at accept */
	CU_ASSERT_TRUE(bridge_access_addr(&a, "8.8.8.8"));
	CU_ASSERT_TRUE(bridge_access_peer(&a, "10.1.2.200", "WHOEVER"));
	CU_ASSERT_FALSE(bridge_access_peer(&a, "10.1.3.1", "WHOEVER"));
	CU_ASSERT_TRUE(bridge_access_peer(&a, "10.1.3.1", "CT01"));
	CU_ASSERT_TRUE(bridge_access_peer(&a, "10.1.3.1", "  CT01 "));
	CU_ASSERT_FALSE(bridge_access_peer(&a, "10.1.3.1", "ct01"));
	CU_ASSERT_TRUE(bridge_access_peer(&a, "192.168.5.7", "MR01"));
	CU_ASSERT_FALSE(bridge_access_peer(&a, "192.168.5.8", "MR01"));
	CU_ASSERT_TRUE(bridge_access_peer(&a, "fd12::5", "X"));
	CU_ASSERT_TRUE(bridge_access_peer(&a, "::ffff:10.1.2.3", "X"));
	CU_ASSERT_FALSE(bridge_access_peer(&a, "not an address", "CT01"));

	CU_ASSERT_EQUAL(bridge_access_parse("MR01@192.168.5.0/30", &a, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_TRUE(bridge_access_addr(&a, "192.168.5.3"));
	CU_ASSERT_FALSE(bridge_access_addr(&a, "192.168.5.4"));
	CU_ASSERT_FALSE(bridge_access_peer(&a, "192.168.5.3", "CT01"));

	CU_ASSERT_EQUAL(bridge_access_parse("*", &a, err, sizeof err), XDS_OK);
	CU_ASSERT_TRUE(bridge_access_peer(&a, "203.0.113.9", "X"));
	CU_ASSERT_EQUAL(bridge_access_parse("0.0.0.0/0", &a, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_TRUE(bridge_access_addr(&a, "203.0.113.9"));
	CU_ASSERT_FALSE(bridge_access_addr(&a, "2001:db8::1"));

	for (i = 0; i < NELEM(bad); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(bridge_access_parse(bad[i], &a, err,
		    sizeof err), XDS_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not"));
	}
}

static const struct cutest dicom_tests[] = {
	{ "allowed peers", test_access },
	{ "parse sample files", test_parse_samples },
	{ "parse errors", test_parse_errors },
	{ "length check: crafted", test_lencheck_crafted },
	{ "length check: files", test_lencheck_files },
	{ "UIDs", test_uid },
	{ "accession issuer", test_accession_issuer },
	{ "BSN from the header", test_bsn },
	{ "study table: pending, conflict, ready", test_pending },
	{ "study table: who pushed an instance", test_origin },
	{ "study table: routed studies due", test_routes },
	{ "pushed instances durable at the commitment", test_stage },
	{ "KOS manifest", test_kos },
	{ "publication: KOS + RAD-68, RPLC", test_publish },
	{ "study table: publication attempts", test_attempt_db },
	{ "RAD-68 outcome of a resend", test_rad68_outcome },
	{ "publication: idempotent across lost answers",
	    test_publish_idempotent },
	{ "transcoding: which syntaxes", test_can_transcode },
	{ "transcoding: LE -> JPEG-LS -> RLE -> implicit",
	    test_transcode_chain },
	{ "transcoding: JPEG lossless, BE, deflate, RGB", test_transcode_more },
	{ "transcoding: DCMTK tools agree", test_transcode_crosscheck },
	{ "transcoding: lossy and JPEG 2000 refused", test_transcode_refused },
	{ "transcoding: KOS", test_transcode_kos },
	{ "transcoding: errors remove the output", test_transcode_errors },
	{ "transcoding: deflate bomb", test_transcode_deflate_bomb },
	{ "transcoding: concurrent", test_transcode_threads },
};

static const struct cutest_suite suites[] = {
	{ "dicom", NULL, NULL, dicom_tests, NELEM(dicom_tests) },
};

int
main(void)
{
	int rc;
	const char *d = getenv("DUMP2DCM");
	char cmd[1024];

	if (d != NULL && d[0] != '\0')
		dump2dcm = d;
	snprintf(cmd, sizeof cmd, "%s --version >/dev/null 2>&1", dump2dcm);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_dicom: dump2dcm not found (apt-get "
		    "install dcmtk): skipped\n");
		return 77;
	}
	testdata = testutil_testdata();
	if (testutil_tmpdir("dicom", workdir, sizeof workdir) != 0)
		return 99;
	dcmshim_log_init();
	xact_set_sink(fake_audit);
	rc = cutest_run_suites(suites, NELEM(suites));
	if (rc == 0)
		(void)testutil_rmtree(workdir);
	return rc;
}
