/*
 * fuzz_dicomdir.c: bytes -> dcmshim_dicomdir_mem (dicom/shim/dcmdir.cc),
 * the DICOMDIR of PDI media as xdsctl xdm import reads it.  Every path
 * handed out is non-empty, at most DCMSHIM_DICOMDIR_PATH_MAX characters,
 * without an empty component; a reader that stops the walk gets
 * XDS_ETOOBIG.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dcmshim.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
one(void *arg, const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || n > DCMSHIM_DICOMDIR_PATH_MAX || path[0] == '/' ||
	    path[n - 1] == '/' || strstr(path, "//") != NULL)
		__builtin_trap();
	return ++*(int *)arg >= 3;	/* the third ends the walk */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char err[256];
	int n = 0, rc;

	if (!init) {
		dcmshim_log_init();
		init = 1;
	}
	rc = dcmshim_dicomdir_mem(data, size, one, &n, err, sizeof err);
	if (n >= 3 && rc != XDS_ETOOBIG)
		__builtin_trap();
	if (rc != XDS_OK && err[0] == '\0')
		__builtin_trap();
	return 0;
}
