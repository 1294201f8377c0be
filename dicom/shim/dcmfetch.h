/*
 * dcmfetch.h: proxy mode of the DICOM bridge (dicom.mode = proxy).
 *
 * The bridge keeps only a header-only copy of each instance it receives
 * (dcmfetch_strip); RAD-69 fetches the full instances from the PACS by
 * C-GET when they are asked for, on one association per request
 * (dcmfetch_open, dcmfetch_one, dcmfetch_close).  C++ behind a C face like
 * dcmshim.h: statuses from enum xds_status, text in err.
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
 * instance, a negative enum xds_status when it cannot be read. */
int	dcmfetch_is_stripped(const char *path, char *err, size_t errlen);

/*
 * C-GET from the PACS (IMAGE level, Study Root), the C-STORE
 * sub-operations streamed straight to a file (bit-preserving, never a
 * dataset in memory).
 *
 * A session is one association: dcmfetch_open proposes the Study Root GET
 * model and, for the storage sub-operations, one presentation context (SCP
 * role) per SOP class and transfer syntax in ctx[] (one context per
 * syntax, in that order: the PACS usually sends in the first it accepts,
 * so put the stored syntax first); at most DCMFETCH_MAX_TS syntaxes per
 * class and DCMFETCH_MAX_PC contexts in all (XDS_ETOOBIG past either).
 * dcmfetch_one then sends one C-GET per instance on that association;
 * dcmfetch_close releases it.  TCP_NODELAY is set on the association.
 *
 * One C-GET per instance, not one per series with a list of SOP Instance
 * UIDs (PS3.4 C.4.3.1.3 allows list matching on the unique key of a
 * retrieve): the PACS's support for it varies, and per instance each
 * answer is bounded, checked and failed on its own; the association, not
 * the C-GET, is what costs.
 */
#define DCMFETCH_MAX_TS		8
#define DCMFETCH_MAX_PC		120	/* of the 128 an association has */

struct dcmfetch_peer {
	const char		*host;
	int			 port;
	const char		*calling_ae;	/* ours (dicom.ae_title) */
	const char		*called_ae;	/* the PACS */
	int			 timeout;	/* seconds: connect, ACSE, DIMSE */
	long long		 deadline;	/* clock_real_ms() past which the
						   association is cut, whatever
						   it is doing (a PACS that
						   answers "pending" for ever);
						   0: none */
};

struct dcmfetch_ctx {
	const char		*sop_class;
	const char *const	*ts;
	size_t			 nts;
};

struct dcmfetch_inst {
	const char		*study_uid;
	const char		*series_uid;
	const char		*sop_uid;
	const char		*sop_class;
};

struct dcmfetch;

/*
 * Open the association.  XDS_OK with *out set; XDS_EUNAVAILABLE when the
 * PACS cannot be reached or refuses the association or Study Root GET;
 * XDS_ETIMEOUT when it did not answer before p->deadline;
 * XDS_ETOOBIG for too many contexts; XDS_EINVAL.
 */
int	dcmfetch_open(const struct dcmfetch_peer *p,
	    const struct dcmfetch_ctx *ctx, size_t nctx, struct dcmfetch **out,
	    char *err, size_t errlen);

/*
 * C-GET of one instance into out_path (created; it must not exist).
 * Refuses more than max_bytes (the Part 10 file: File Meta and dataset;
 * 0: no bound) as they arrive: the connection is cut at the first PDV
 * past the bound (at most one PDV, our maximum PDU, written beyond it),
 * the association dropped, the file removed.  Returns XDS_OK;
 * XDS_ETOOBIG over max_bytes; XDS_ENOTFOUND when the PACS answered
 * without sending the instance; XDS_EFORMAT when it sent another
 * instance; XDS_EINVAL when no context of the association fits its
 * SOP class; XDS_EUNAVAILABLE when the association failed; XDS_ETIMEOUT
 * when the peer's deadline passed (the association is cut); XDS_EIO for
 * out_path.  On failure out_path does not exist.  After any failure but
 * ENOTFOUND and EINVAL the association may be gone: see dcmfetch_alive.
 */
int	dcmfetch_one(struct dcmfetch *f, const struct dcmfetch_inst *i,
	    const char *out_path, long long max_bytes, char *err,
	    size_t errlen);

/* 1 while the association can take another dcmfetch_one, else 0. */
int	dcmfetch_alive(const struct dcmfetch *f);

/* Release the association (abort it when it is in a bad state) and free
 * f.  NULL is a no-op. */
void	dcmfetch_close(struct dcmfetch *f);

#ifdef __cplusplus
}
#endif

#endif /* XDS_DCMFETCH_H */
