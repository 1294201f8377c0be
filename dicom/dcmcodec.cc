// dcmcodec.cc: transcoding between transfer syntaxes (dcmshim.h).
#include "dcmtk/config/osconfig.h"

#include "dcmshim.h"
#include "dcmshim_int.h"

extern "C" int
dcmshim_can_transcode(const char *from_ts, const char *to_ts)
{
	(void)from_ts;
	(void)to_ts;
	return 0;
}

extern "C" int
dcmshim_transcode(const char *in_path, const char *to_ts,
    const char *out_path, char *err, size_t errlen)
{
	(void)in_path;
	(void)to_ts;
	(void)out_path;
	dcmshim_seterr(err, errlen, "transcoding not implemented yet");
	return DCMSHIM_EUNSUPPORTED;
}
