// dcmfetch.cc: proxy mode of the DICOM bridge (dcmfetch.h): header-only
// copies of received instances, and the C-GET SCU that fetches the full
// instance from the PACS for RAD-69.
//
// C-GET rather than C-MOVE: the instance comes back on the association we
// opened, so the PACS needs no route to us (no C-MOVE destination AE with
// our host and port in its configuration, no inbound connection through a
// hospital firewall), and the answer cannot be mixed up with instances
// other associations are storing into the bridge at the same time.
//
// C++17; every exported function catches everything: no exception
// reaches C.
#include "dcmtk/config/osconfig.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dcmlayer.h"
#include "dcmtk/dcmnet/scu.h"

#include "dcmfetch.h"
#include "dcmshim_int.h"
#include "vocab.h"

namespace {

const char proxy_note[] = "xdsnode: header only, pixel data at the PACS";

void
seterr2(char *err, size_t errlen, const std::string &a, const char *b)
{
	std::string m = a + b;

	dcmshim_seterr(err, errlen, m.c_str());
}

// Overlay data (60xx,3000), xx even in 00-1E.
bool
is_overlay(const DcmTagKey &k)
{
	return k.getGroup() >= 0x6000 && k.getGroup() <= 0x601e &&
	    (k.getGroup() & 1) == 0 && k.getElement() == 0x3000;
}

bool
is_bulk(DcmObject *o)
{
	const DcmTagKey k = o->getTag();

	if (k == DCM_PixelData || k == DCM_FloatPixelData ||
	    k == DCM_DoubleFloatPixelData || k == DCM_WaveformData ||
	    k == DCM_EncapsulatedDocument || k == DCM_SpectroscopyData ||
	    k == DCM_DataSetTrailingPadding || is_overlay(k))
		return true;
	switch (o->ident()) {
	case EVR_OB: case EVR_OW: case EVR_OF: case EVR_OD: case EVR_OL:
	case EVR_OV: case EVR_UN: case EVR_ox: case EVR_px:
		return o->getLength() > DCMFETCH_BULK_MIN;
	default:
		return false;
	}
}

}	// namespace

extern "C" int
dcmfetch_strip(const char *in_path, const char *out_path, char *err,
    size_t errlen)
{
	try {
		std::vector<std::pair<DcmItem *, DcmObject *>> drop;
		DcmFileFormat ff;
		DcmStack st;
		OFCondition c;

		if (in_path == nullptr || out_path == nullptr) {
			dcmshim_seterr(err, errlen, "strip: bad argument");
			return DCMSHIM_EINVAL;
		}
		// Values longer than DCM_MaxReadLength stay on disk until
		// accessed: the pixel data are never read.
		if ((c = ff.loadFile(in_path)).bad()) {
			seterr2(err, errlen, std::string(in_path) + ": ",
			    c.text());
			return c == EC_InvalidFilename ? DCMSHIM_EIO :
			    DCMSHIM_EPARSE;
		}
		DcmDataset *ds = ff.getDataset();
		const E_TransferSyntax xfer = ds->getOriginalXfer();
		// Leaves only, whose parent is an item or the dataset (not
		// the fragments of encapsulated pixel data).
		while (ds->nextObject(st, OFTrue).good()) {
			DcmObject *o = st.top();

			if (!o->isLeaf() || st.card() < 2 || !is_bulk(o))
				continue;
			DcmObject *p = st.elem(1);
			if (p->ident() == EVR_item || p->ident() == EVR_dataset)
				drop.emplace_back(static_cast<DcmItem *>(p), o);
		}
		for (auto &d : drop)
			delete d.first->remove(d.second);
		DcmMetaInfo *mi = ff.getMetaInfo();
		if ((c = mi->putAndInsertString(DCM_PrivateInformationCreatorUID,
		    DICOM_PROXY_HEADER_UID)).bad() ||
		    (c = mi->putAndInsertUint8Array(DCM_PrivateInformation,
		    reinterpret_cast<const Uint8 *>(proxy_note),
		    sizeof proxy_note - 1)).bad()) {
			seterr2(err, errlen, "strip: ", c.text());
			return DCMSHIM_EINTERNAL;
		}
		// EWM_fileformat: the File Meta as loaded plus the mark
		// (saveFile's default makes a new one, without it).
		if ((c = ff.saveFile(out_path, xfer == EXS_Unknown ?
		    EXS_LittleEndianExplicit : xfer, EET_ExplicitLength,
		    EGL_recalcGL, EPD_noChange, 0, 0, EWM_fileformat)).bad()) {
			std::remove(out_path);
			seterr2(err, errlen, std::string(out_path) + ": ",
			    c.text());
			return DCMSHIM_EIO;
		}
		return DCMSHIM_OK;
	} catch (const std::bad_alloc &) {
		dcmshim_seterr(err, errlen, "out of memory");
		return DCMSHIM_ENOMEM;
	} catch (...) {
		dcmshim_seterr(err, errlen, "internal error in DCMTK");
		return DCMSHIM_EINTERNAL;
	}
}

extern "C" int
dcmfetch_is_stripped(const char *path, char *err, size_t errlen)
{
	try {
		DcmFileFormat ff;
		OFString v;
		OFCondition c;

		if (path == nullptr) {
			dcmshim_seterr(err, errlen, "bad argument");
			return DCMSHIM_EINVAL;
		}
		if ((c = ff.loadFile(path, EXS_Unknown, EGL_noChange,
		    DCM_MaxReadLength, ERM_metaOnly)).bad()) {
			seterr2(err, errlen, std::string(path) + ": ",
			    c.text());
			return c == EC_InvalidFilename ? DCMSHIM_EIO :
			    DCMSHIM_EPARSE;
		}
		return ff.getMetaInfo()->findAndGetOFString(
		    DCM_PrivateInformationCreatorUID, v).good() &&
		    v == DICOM_PROXY_HEADER_UID ? 1 : 0;
	} catch (const std::bad_alloc &) {
		dcmshim_seterr(err, errlen, "out of memory");
		return DCMSHIM_ENOMEM;
	} catch (...) {
		dcmshim_seterr(err, errlen, "internal error in DCMTK");
		return DCMSHIM_EINTERNAL;
	}
}

namespace {

// TCP_NODELAY on the association's socket as it is created: DCMTK as
// Debian builds it reads that from the environment only, and setenv is no
// call for a threaded daemon.  Installed as DcmSCU's "secure" layer (its
// only public hook on the transport), it still makes a plain TCP
// connection: nothing else changes on the wire.
class NodelayLayer : public DcmTransportLayer {
public:
	DcmTransportConnection *
	createConnection(DcmNativeSocketType fd, OFBool) override
	{
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		return new (std::nothrow) DcmTCPConnection(fd);
	}
};

// Writes the one instance asked for to out_, bit-preserving, as it
// arrives; anything else ends the C-GET session (Error: cannot
// understand).
class FetchSCU : public DcmSCU {
public:
	FetchSCU(const char *out, const char *sop) : out_(out), sop_(sop) {}
	bool		got = false;
	std::string	why;

	OFCondition
	transport(DcmTransportLayer *l)
	{
		return useSecureConnection(l);
	}

protected:
	OFCondition
	handleSTORERequestFile(T_ASC_PresentationContextID *pc,
	    const OFString &, T_DIMSE_C_StoreRQ *rq) override
	{
		if (got || sop_ != rq->AffectedSOPInstanceUID) {
			why = std::string("the PACS sent another instance (") +
			    rq->AffectedSOPInstanceUID + ")";
			return DIMSE_BADDATA;
		}
		OFCondition c = DcmSCU::handleSTORERequestFile(pc,
		    out_.c_str(), rq);
		if (c.good())
			got = true;
		else
			why = std::string("receiving the instance: ") + c.text();
		return c;
	}

private:
	std::string	out_, sop_;
};

}	// namespace

extern "C" int
dcmfetch_get(const struct dcmfetch_req *r, const char *out_path, char *err,
    size_t errlen)
{
	OFList<RetrieveResponse *> rsp;
	int rc = DCMSHIM_EINTERNAL;

	try {
		OFList<OFString> model;
		DcmDataset q;
		OFCondition c;
		T_ASC_PresentationContextID pc;
		size_t i;

		if (r == nullptr || out_path == nullptr || r->host == nullptr ||
		    r->calling_ae == nullptr || r->called_ae == nullptr ||
		    r->port <= 0 || r->port > 65535 || r->study_uid == nullptr ||
		    r->series_uid == nullptr || r->sop_uid == nullptr ||
		    r->sop_class == nullptr || r->nts == 0 ||
		    r->nts > DCMFETCH_MAX_TS || r->ts == nullptr) {
			dcmshim_seterr(err, errlen, "C-GET: bad argument");
			return DCMSHIM_EINVAL;
		}
		NodelayLayer layer;	/* outlives scu (declared first) */
		FetchSCU scu(out_path, r->sop_uid);
		const std::string peer = std::string(r->called_ae) + "@" +
		    r->host + ":" + std::to_string(r->port);
		const Uint32 to = r->timeout > 0 ? (Uint32)r->timeout : 30;

		scu.setAETitle(r->calling_ae);
		scu.setPeerAETitle(r->called_ae);
		scu.setPeerHostName(r->host);
		scu.setPeerPort((Uint16)r->port);
		scu.setConnectionTimeout((Sint32)to);
		scu.setACSETimeout(to);
		scu.setDIMSETimeout(to);
		scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
		scu.setVerbosePCMode(OFFalse);
		scu.setStorageMode(DCMSCU_STORAGE_BIT_PRESERVING);
		model.push_back(UID_LittleEndianExplicitTransferSyntax);
		model.push_back(UID_LittleEndianImplicitTransferSyntax);
		if ((c = scu.addPresentationContext(
		    UID_GETStudyRootQueryRetrieveInformationModel, model)).bad())
			goto internal;
		// One context per syntax, so the PACS can accept each on its
		// own and send in the first it has.
		for (i = 0; i < r->nts; i++) {
			OFList<OFString> ts;

			ts.push_back(r->ts[i]);
			if ((c = scu.addPresentationContext(r->sop_class, ts,
			    ASC_SC_ROLE_SCP)).bad())
				goto internal;
		}
		if ((c = scu.initNetwork()).bad()) {
			seterr2(err, errlen, "C-GET: ", c.text());
			return DCMSHIM_ENET;
		}
		if ((c = scu.transport(&layer)).bad())	/* needs the network */
			goto internal;
		if ((c = scu.negotiateAssociation()).bad()) {
			seterr2(err, errlen, "C-GET: association with " + peer +
			    ": ", c.text());
			return DCMSHIM_ENET;
		}
		pc = scu.findPresentationContextID(
		    UID_GETStudyRootQueryRetrieveInformationModel, "");
		if (pc == 0) {
			scu.abortAssociation();
			dcmshim_seterr(err, errlen, ("C-GET: " + peer + " does "
			    "not accept Study Root GET").c_str());
			return DCMSHIM_ENET;
		}
		if ((c = q.putAndInsertString(DCM_QueryRetrieveLevel,
		    "IMAGE")).bad() ||
		    (c = q.putAndInsertString(DCM_StudyInstanceUID,
		    r->study_uid)).bad() ||
		    (c = q.putAndInsertString(DCM_SeriesInstanceUID,
		    r->series_uid)).bad() ||
		    (c = q.putAndInsertString(DCM_SOPInstanceUID,
		    r->sop_uid)).bad()) {
			scu.abortAssociation();
			goto internal;
		}
		c = scu.sendCGETRequest(pc, &q, &rsp);
		if (scu.got && c.good()) {
			scu.releaseAssociation();
			rc = DCMSHIM_OK;
		} else {
			std::string m = "C-GET from " + peer + ": ";
			Uint16 st = rsp.empty() ? 0 : rsp.back()->m_status;

			if (!scu.why.empty())
				m += scu.why;
			else if (c.bad())
				m += c.text();
			else {
				char hex[8];

				std::snprintf(hex, sizeof hex, "%04X",
				    (unsigned)st);
				m += std::string("instance not sent (status ") +
				    hex + ")";
			}
			if (c.good())
				scu.releaseAssociation();
			else
				scu.abortAssociation();
			dcmshim_seterr(err, errlen, m.c_str());
			rc = c.bad() && scu.why.empty() ? DCMSHIM_ENET :
			    !scu.why.empty() ? DCMSHIM_EPARSE :
			    DCMSHIM_ENOTFOUND;
			std::remove(out_path);
		}
		goto out;
internal:
		seterr2(err, errlen, "C-GET: ", c.text());
		rc = DCMSHIM_EINTERNAL;
	} catch (const std::bad_alloc &) {
		dcmshim_seterr(err, errlen, "out of memory");
		rc = DCMSHIM_ENOMEM;
	} catch (...) {
		dcmshim_seterr(err, errlen, "internal error in DCMTK");
		rc = DCMSHIM_EINTERNAL;
	}
out:
	for (RetrieveResponse *x : rsp)
		delete x;
	if (rc != DCMSHIM_OK)
		std::remove(out_path);
	return rc;
}
