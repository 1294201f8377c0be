// dcmshim_int.h: helpers shared by the shim's C++ translation units.
#ifndef XDS_DCMSHIM_INT_H
#define XDS_DCMSHIM_INT_H

#include <stddef.h>

// Copy msg into err (always terminated, truncated to errlen).
void	dcmshim_seterr(char *err, size_t errlen, const char *msg);

#endif
