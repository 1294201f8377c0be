/*
 * test_dicomdir.c: the files a DICOMDIR references (dcmshim_dicomdir_mem,
 * dicom/shim/dcmdir.cc): the seed of fuzz_dicomdir's corpus (two
 * instances, one a directory deeper), an instance that is not a
 * DICOMDIR, truncated bytes, and a reader that stops the walk; and the
 * writer (dcmshim_dicomdir_write): a DICOMDIR of two instances read back,
 * one of an Implicit VR instance (STD-GEN-MIME), a file ID PS3.10 does
 * not allow, a file that is not DICOM.
 */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "dcmshim.h"
#include "status.h"
#include "testutil.h"

struct got {
	char	paths[4][64];
	int	n, stop;
};

static int
collect(void *arg, const char *path)
{
	struct got *g = arg;

	if (g->n < 4)
		snprintf(g->paths[g->n], sizeof g->paths[0], "%s", path);
	g->n++;
	return g->stop != 0 && g->n >= g->stop;
}

static void
test_dicomdir(void)
{
	struct got g;
	char err[256];
	size_t len, ilen;
	char *dd = testutil_srcdir_file("fuzz/corpus/dicomdir/dicomdir", &len);
	char *inst = testutil_srcdir_file("fuzz/corpus/dicomdir/instance.dcm",
	    &ilen);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	memset(&g, 0, sizeof g);
	CU_ASSERT_EQUAL(dcmshim_dicomdir_mem(dd, len, collect, &g, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(g.n, 2);
	CU_ASSERT_STRING_EQUAL(g.paths[0], "DICOM/I0000001");
	CU_ASSERT_STRING_EQUAL(g.paths[1], "DICOM/SUB/I0000002");
	/* the reader stops the walk */
	memset(&g, 0, sizeof g);
	g.stop = 1;
	CU_ASSERT_EQUAL(dcmshim_dicomdir_mem(dd, len, collect, &g, err,
	    sizeof err), XDS_ETOOBIG);
	CU_ASSERT_EQUAL(g.n, 1);
	/* an instance is not a DICOMDIR */
	memset(&g, 0, sizeof g);
	err[0] = '\0';
	CU_ASSERT_EQUAL(dcmshim_dicomdir_mem(inst, ilen, collect, &g, err,
	    sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a DICOMDIR"));
	CU_ASSERT_EQUAL(g.n, 0);
	/* truncated: refused, nothing handed out */
	memset(&g, 0, sizeof g);
	CU_ASSERT_NOT_EQUAL(dcmshim_dicomdir_mem(dd, len / 2, collect, &g,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_NOT_EQUAL(dcmshim_dicomdir_mem("xyz", 3, collect, &g, err,
	    sizeof err), XDS_OK);
	free(dd);
	free(inst);
}

static void
test_dicomdir_write(void)
{
	static const char *ids[] = { "DICOM/I0000001", "DICOM/S2/I0000002" };
	static const char *bad[] = { "DICOM/i0000001.dcm" };
	static const char *junk[] = { "JUNK" };
	static const char uid[] = "1.2.826.0.1.3680043.9.7.6161.1";
	struct got g;
	char dir[512], path[600], err[256], prof[32];
	size_t ilen, len;
	char *inst = testutil_srcdir_file("fuzz/corpus/dicomdir/instance.dcm",
	    &ilen), *dd, *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL_FATAL(testutil_tmpdir("dicomdir", dir, sizeof dir), 0);
	snprintf(path, sizeof path, "%s/DICOM", dir);
	CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/DICOM/S2", dir);
	CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/%s", dir, ids[0]);
	CU_ASSERT_EQUAL(testutil_write_file(path, inst, ilen), 0);
	/* another SOP Instance UID (...6161.1 -> ...6161.2, meta and data) */
	for (p = inst; (p = memmem(p, ilen - (size_t)(p - inst), uid,
	    sizeof uid - 1)) != NULL; p += sizeof uid - 1)
		p[sizeof uid - 2] = '2';
	snprintf(path, sizeof path, "%s/%s", dir, ids[1]);
	CU_ASSERT_EQUAL(testutil_write_file(path, inst, ilen), 0);
	snprintf(path, sizeof path, "%s/%s", dir, bad[0]);
	CU_ASSERT_EQUAL(testutil_write_file(path, inst, ilen), 0);
	snprintf(path, sizeof path, "%s/JUNK", dir);
	CU_ASSERT_EQUAL(testutil_write_text(path, "not DICOM"), 0);

	/* two instances */
	CU_ASSERT_EQUAL(dcmshim_dicomdir_write(dir, ids, 2, "TEST", prof,
	    sizeof prof, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(prof, "STD-GEN-CD");
	snprintf(path, sizeof path, "%s/DICOMDIR", dir);
	dd = testutil_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dd);
	memset(&g, 0, sizeof g);
	CU_ASSERT_EQUAL(dcmshim_dicomdir_mem(dd, len, collect, &g, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(g.n, 2);
	CU_ASSERT_STRING_EQUAL(g.paths[0], ids[0]);
	CU_ASSERT_STRING_EQUAL(g.paths[1], ids[1]);
	free(dd);

	/* Implicit VR Little Endian: not STD-GEN-CD's, so STD-GEN-MIME */
	free(inst);
	inst = testutil_srcdir_file("fuzz/corpus/dicomdir/"
	    "instance-implicit.dcm", &ilen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	snprintf(path, sizeof path, "%s/%s", dir, ids[0]);
	CU_ASSERT_EQUAL(testutil_write_file(path, inst, ilen), 0);
	CU_ASSERT_EQUAL(dcmshim_dicomdir_write(dir, ids, 1, "TEST", prof,
	    sizeof prof, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(prof, "STD-GEN-MIME");
	snprintf(path, sizeof path, "%s/DICOMDIR", dir);
	dd = testutil_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dd);
	memset(&g, 0, sizeof g);
	CU_ASSERT_EQUAL(dcmshim_dicomdir_mem(dd, len, collect, &g, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(g.n, 1);
	free(dd);

	/* a file ID PS3.10 does not allow, a file that is not DICOM */
	err[0] = '\0';
	CU_ASSERT_EQUAL(dcmshim_dicomdir_write(dir, bad, 1, "TEST", prof,
	    sizeof prof, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[0]));
	CU_ASSERT_EQUAL(dcmshim_dicomdir_write(dir, junk, 1, "TEST", prof,
	    sizeof prof, err, sizeof err), XDS_EFORMAT);
	CU_ASSERT_EQUAL(dcmshim_dicomdir_write(dir, ids, 0, "TEST", prof,
	    sizeof prof, err, sizeof err), XDS_EINVAL);
	testutil_rmtree(dir);
	free(inst);
}

static const struct cutest tests[] = {
	{ "dicomdir", test_dicomdir },
	{ "dicomdir_write", test_dicomdir_write },
};

int
main(void)
{
	dcmshim_log_init();
	return cutest_run("dicomdir", tests, sizeof tests / sizeof tests[0]);
}
