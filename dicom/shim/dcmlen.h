/*
 * dcmlen.h: the length check before every DCMTK read of a file, for the
 * shim's C++ files (the check itself, dcmshim_lencheck, is in dcmshim.h).
 */
#ifndef XDS_DCMLEN_H
#define XDS_DCMLEN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * dcmshim.cc: the element lengths of path checked (dcmshim_lencheck_file),
 * then for a deflated file those of its inflated copy (dcmshim_undeflate,
 * at most limit bytes): *fd that copy (DCMTK reads it instead of path) or
 * -1.  XDS_EFORMAT naming the element for a length past the end, and
 * for a deflated dataset dcmshim_undeflate cannot find (DCMTK would
 * inflate it with no length checked).  On error *fd is -1.
 */
int	dcmshim_prepare(const char *path, unsigned long long limit, int *fd,
	    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* XDS_DCMLEN_H */
