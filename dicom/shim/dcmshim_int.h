// dcmshim_int.h: helpers shared by the shim's C++ translation units
// (included after dcmtk/config/osconfig.h, never from C).
#ifndef XDS_DCMSHIM_INT_H
#define XDS_DCMSHIM_INT_H

#include <stddef.h>

#include "dcmtk/ofstd/ofcond.h"

class DcmItem;
class DcmTagKey;

// Copy msg into err (always terminated, truncated to errlen).
void	dcmshim_seterr(char *err, size_t errlen, const char *msg);

// The exception boundary: no exception reaches C, and no
// exception goes back into DCMTK, whose own code is not exception safe.
// Call these only inside a catch block (they rethrow the exception being
// handled to classify it; with none, std::terminate).
//
// Every extern "C" function that reports a status ends its try so:
//	} catch (...) {
//		rc = dcmshim_exception(err, errlen);
//	}
// XDS_ENOMEM with "out of memory" for std::bad_alloc, otherwise
// XDS_EINTERNAL with what ("internal error in DCMTK" when null).
int	dcmshim_exception(char *err, size_t errlen,
	    const char *what = nullptr) noexcept;

// The same for a function DCMTK calls (an SCP or SCU handler): the
// exception as a failed condition, EC_MemoryExhausted for std::bad_alloc,
// otherwise EC_InternalError; DCMTK then ends the association.
OFCondition	dcmshim_exception_cond() noexcept;

// dcmshim.cc: an optional string attribute of it into out, "" when it is
// absent or longer than outlen allows.
void	dcmshim_get_soft(DcmItem *it, const DcmTagKey &tag, char *out,
	    size_t outlen);

// dcmshim.cc: a deflated file's dataset inflated (at most limit bytes)
// into a memory file *fd with an Explicit VR LE meta header, or *fd -1
// when path is not deflated (DCMTK checks no lengths inside a deflated
// stream).
int	dcmshim_undeflate(const char *path, unsigned long long limit, int *fd,
	    char *err, size_t errlen);

// dcmtls.cc: the TLS layer of an acceptor (an SCP) or a requestor (the
// push sender) with cert, key and the CA file (PEM): TLS 1.2/1.3 only
// (BCP195), the peer's certificate required; a requestor's store gets the
// CRLs in use now.  XDS_EINVAL with the file that failed.
class DcmTLSTransportLayer;
struct T_ASC_Association;
int	dcmshim_tls_layer(bool acceptor, const char *cert, const char *key,
	    const char *ca, DcmTLSTransportLayer **out, char *err,
	    size_t errlen);
// The subject of the peer's certificate on a TLS association as RFC 2253
// text into out: 0, or -1 ("" in out) without one.
int	dcmshim_peer_subject(T_ASC_Association *assoc, char *out,
	    size_t outlen);

#endif
