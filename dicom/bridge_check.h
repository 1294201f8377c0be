/*
 * bridge_check.h: the DICOM bridge's study table against its files,
 * read-only (xdsctl db check): every instance row whose file is gone,
 * and every published study whose manifest (dicom/kos/<uid>.dcm) is
 * gone.  Safe beside a running xdsd: dicom.db is opened read-only and
 * read a page per read transaction; a row found without its file is
 * looked up again before it is reported (removed meanwhile: none).
 */
#ifndef XDS_BRIDGE_CHECK_H
#define XDS_BRIDGE_CHECK_H

#include <stddef.h>

enum bridge_problem {
	BRIDGE_NO_INSTANCE,	/* an instance row without its file */
	BRIDGE_NO_MANIFEST,	/* a published study without its KOS */
	BRIDGE_NPROBLEMS
};

/* uid: the instance's SOP Instance UID, or the study's; path: the file
 * that is not there. */
typedef void (*bridge_check_fn)(void *arg, enum bridge_problem,
	    const char *uid, const char *path);

struct bridge_check_counts {
	unsigned long long instances, studies;
	unsigned long long problems[BRIDGE_NPROBLEMS];
};

/* XDS_OK when the check ran (*n says what it found), XDS_ENOTFOUND
 * without a dicom.db (the bridge never ran), else XDS_EIO with err. */
int	bridge_check(const char *state_dir, bridge_check_fn fn, void *arg,
	    struct bridge_check_counts *n, char *err, size_t errlen);
/* "no-instance-file", "no-manifest". */
const char *bridge_problem_name(enum bridge_problem);

#endif
