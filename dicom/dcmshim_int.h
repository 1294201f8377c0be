// dcmshim_int.h: helpers shared by the shim's C++ translation units.
#ifndef XDS_DCMSHIM_INT_H
#define XDS_DCMSHIM_INT_H

#include <stddef.h>

// Copy msg into err (always terminated, truncated to errlen).
void	dcmshim_seterr(char *err, size_t errlen, const char *msg);

// dcmshim.cc: a deflated file's dataset inflated (at most limit bytes)
// into a memory file *fd with an Explicit VR LE meta header, or *fd -1
// when path is not deflated (DCMTK checks no lengths inside a deflated
// stream).
int	dcmshim_undeflate(const char *path, unsigned long long limit, int *fd,
	    char *err, size_t errlen);

#endif
