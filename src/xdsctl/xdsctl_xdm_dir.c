/*
 * xdsctl_xdm_dir.c: the DICOMDIR of an XDM export (PS3.10 8.6), which
 * makes the package IHE PDI media too.  DCMTK's writer reads each instance
 * from the file its file ID names, while the export's instances lie in
 * spool files under other names: a staging directory in the spool holds
 * hard links to them (no copies; symbolic links where the file system has
 * no hard links) under their file IDs, the shim writes the DICOMDIR there
 * from their headers, and the directory goes once the ZIP is closed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmshim.h"
#include "status.h"
#include "str.h"
#include "xdsctl.h"

#define XDM_DIR_STAGE	"PDI"		/* in the spool */
#define XDM_DIR_FILESET	"XDSNODE_XDM"	/* File-set ID, CS of 16 */

/* The directories of file ID id under stage, then the link to path. */
static int
stage_one(const char *stage, const char *id, const char *path)
{
	char p[1200], *s;

	if (str_fmt(p, sizeof p, "%s/%s", stage, id) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = p + strlen(stage) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (link(path, p) != 0 && symlink(path, p) != 0)
		return -1;
	return 0;
}

int
ctl_xdm_dicomdir(const char *spool, const char *const *paths,
    const char *const *ids, size_t n, char *dd, size_t ddsz, char *profile,
    size_t profsz)
{
	char stage[1100], err[512];
	size_t i;

	if (str_fmt(stage, sizeof stage, "%s/" XDM_DIR_STAGE, spool) < 0 ||
	    str_fmt(dd, ddsz, "%s/DICOMDIR", stage) < 0) {
		fprintf(stderr, "xdsctl: DICOMDIR: %s: path too long\n", spool);
		return -1;
	}
	if (mkdir(stage, 0700) != 0) {
		fprintf(stderr, "xdsctl: DICOMDIR: %s: %s\n", stage,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (stage_one(stage, ids[i], paths[i]) != 0) {
			fprintf(stderr, "xdsctl: DICOMDIR: %s: %s\n", ids[i],
			    strerror(errno));
			return -1;
		}
	if (dcmshim_dicomdir_write(stage, ids, n, XDM_DIR_FILESET, profile,
	    profsz, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: DICOMDIR: %s\n", err);
		return -1;
	}
	return 0;
}

void
ctl_xdm_dicomdir_rm(const char *spool)
{
	char stage[1100];
	struct stat st;

	if (str_fmt(stage, sizeof stage, "%s/" XDM_DIR_STAGE, spool) < 0 ||
	    lstat(stage, &st) != 0)
		return;
	if (ctl_rm_tree(stage) != 0)
		fprintf(stderr, "xdsctl: %s: %s\n", stage, strerror(errno));
}
