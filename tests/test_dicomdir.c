/*
 * test_dicomdir.c: the files a DICOMDIR references (dcmshim_dicomdir_mem,
 * dicom/shim/dcmdir.cc): the seed of fuzz_dicomdir's corpus (two
 * instances, one a directory deeper), an instance that is not a
 * DICOMDIR, truncated bytes, and a reader that stops the walk.
 */
#include "config.h"

#include "cutest.h"
#include <stdio.h>
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

static const struct cutest tests[] = {
	{ "dicomdir", test_dicomdir },
};

int
main(void)
{
	dcmshim_log_init();
	return cutest_run("dicomdir", tests, sizeof tests / sizeof tests[0]);
}
