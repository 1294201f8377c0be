/*
 * dcmlen.h: the length check before every DCMTK read of a file, for the
 * shim's C++ files (the check itself, dcmshim_lencheck, is in dcmshim.h),
 * and DCMTK's guess of an encoding, for the check.
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

/*
 * The encoding DCMTK reads a dataset or meta header in when nothing names
 * it, from its first 6 bytes (DcmItem::checkTransferSyntax): explicit VR
 * only for a standard VR; big endian when only the byte-swapped tag is in
 * DCMTK's dictionary, or when both are and only the swapped group is below
 * 0100.  Fewer than 6 bytes: explicit VR little endian.  In dcmshim.cc,
 * as the dictionary is DCMTK's; for dcmlen.c.
 */
enum dcmlen_enc {
	DCMLEN_EXPLICIT_LE,
	DCMLEN_EXPLICIT_BE,
	DCMLEN_IMPLICIT_LE,
	DCMLEN_IMPLICIT_BE
};
enum dcmlen_enc	dcmshim_guess_enc(const unsigned char *b, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* XDS_DCMLEN_H */
