/*
 * dcmfetch.h: proxy mode of the DICOM bridge (dicom.mode = proxy, issue 4).
 *
 * The bridge keeps only a header-only copy of each instance it receives
 * (dcmfetch_strip); RAD-69 fetches the full instance from the PACS by
 * C-GET when it is asked for (dcmfetch_get).  C++ behind a C face like
 * dcmshim.h: statuses from enum dcmshim_status, text in err.
 */
#ifndef XDS_DCMFETCH_H
#define XDS_DCMFETCH_H

#include <stddef.h>

#include "dcmshim.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Write the header-only copy of the Part 10 file in_path to out_path:
 * the dataset without its bulk data (PixelData, Float/DoubleFloat
 * PixelData, OverlayData, WaveformData, EncapsulatedDocument,
 * SpectroscopyData, trailing padding, and any other binary value longer
 * than DCMFETCH_BULK_MIN bytes at any depth), in the file's own transfer
 * syntax, its File Meta marked with PrivateInformationCreatorUID
 * DICOM_PROXY_HEADER_UID.  The UIDs, patient and study attributes stay,
 * so dcmshim_parse_file reads it as it reads the instance.  out_path is
 * written, not synced.
 */
#define DCMFETCH_BULK_MIN	65536
int	dcmfetch_strip(const char *in_path, const char *out_path, char *err,
	    size_t errlen);

/* 1 if path is a header-only copy (dcmfetch_strip), 0 if it is a full
 * instance, a negative enum dcmshim_status when it cannot be read. */
int	dcmfetch_is_stripped(const char *path, char *err, size_t errlen);

/*
 * C-GET of one instance (IMAGE level, Study Root) from the PACS, its
 * C-STORE sub-operation streamed straight to out_path (bit-preserving,
 * never a dataset in memory).  For the storage sub-operation one
 * presentation context (SCP role) per transfer syntax in ts[] is
 * proposed, in that order (the PACS usually sends in the first it
 * accepts: put the stored syntax first); at most DCMFETCH_MAX_TS.
 * TCP_NODELAY is set on the association.  Returns DCMSHIM_OK; DCMSHIM_ENET
 * when the PACS cannot be reached or refuses the association or the
 * context; DCMSHIM_ENOTFOUND when it answered without sending the
 * instance; DCMSHIM_EPARSE when it sent another instance; DCMSHIM_EIO for
 * out_path.  On failure out_path does not exist.
 */
#define DCMFETCH_MAX_TS		8
struct dcmfetch_req {
	const char		*host;
	int			 port;
	const char		*calling_ae;	/* ours (dicom.ae_title) */
	const char		*called_ae;	/* the PACS */
	int			 timeout;	/* seconds: connect, ACSE, DIMSE */
	const char		*study_uid;
	const char		*series_uid;
	const char		*sop_uid;
	const char		*sop_class;
	const char *const	*ts;
	size_t			 nts;
};
int	dcmfetch_get(const struct dcmfetch_req *r, const char *out_path,
	    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* XDS_DCMFETCH_H */
