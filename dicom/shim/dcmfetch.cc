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
// C++17; every exported function catches everything (dcmshim_exception):
// no exception reaches C; none goes back into DCMTK from our handlers.
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
#include <sys/stat.h>
#include <unistd.h>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dcmlayer.h"
#include "dcmtk/dcmnet/scu.h"

extern "C" {
#include "clock.h"
}
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
			return XDS_EINVAL;
		}
		// Values longer than DCM_MaxReadLength stay on disk until
		// accessed: the pixel data are never read.
		if ((c = ff.loadFile(in_path)).bad()) {
			seterr2(err, errlen, std::string(in_path) + ": ",
			    c.text());
			return c == EC_InvalidFilename ? XDS_EIO :
			    XDS_EFORMAT;
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
			return XDS_EINTERNAL;
		}
		// EWM_fileformat: the File Meta as loaded plus the mark
		// (saveFile's default makes a new one, without it).
		if ((c = ff.saveFile(out_path, xfer == EXS_Unknown ?
		    EXS_LittleEndianExplicit : xfer, EET_ExplicitLength,
		    EGL_recalcGL, EPD_noChange, 0, 0, EWM_fileformat)).bad()) {
			std::remove(out_path);
			seterr2(err, errlen, std::string(out_path) + ": ",
			    c.text());
			return XDS_EIO;
		}
		return XDS_OK;
	} catch (...) {
		return dcmshim_exception(err, errlen);
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
			return XDS_EINVAL;
		}
		if ((c = ff.loadFile(path, EXS_Unknown, EGL_noChange,
		    DCM_MaxReadLength, ERM_metaOnly)).bad()) {
			seterr2(err, errlen, std::string(path) + ": ",
			    c.text());
			return c == EC_InvalidFilename ? XDS_EIO :
			    XDS_EFORMAT;
		}
		return ff.getMetaInfo()->findAndGetOFString(
		    DCM_PrivateInformationCreatorUID, v).good() &&
		    v == DICOM_PROXY_HEADER_UID ? 1 : 0;
	} catch (...) {
		return dcmshim_exception(err, errlen);
	}
}

namespace {

// The association's TCP connection, which can be cut from our side: once
// *cut is set every read fails at once, so DCMTK stops taking the PDVs of
// an instance over its bound: the failed read makes DCMTK close the
// connection (no A-ABORT PDU: the PACS sees the transport closed, PS3.8
// 9.1.5), and the abort that follows does not wait for the PACS.
//
// TCP_QUICKACK is re-armed after every read (Linux turns it off again):
// a PACS with Nagle on (dcmqrscp as Debian builds it) holds the small
// segments of its C-STORE-RQ and C-GET-RSP commands until our ACK, which
// would otherwise be delayed up to 40 ms, once per instance on a
// long-lived association.
class CutConnection : public DcmTCPConnection {
public:
	CutConnection(DcmNativeSocketType fd, const bool *cut,
	    const long long *deadline) :
	    DcmTCPConnection(fd), cut_(cut), deadline_(deadline) {}

	// The deadline passed: cut, as a bound does.
	bool
	expired() const
	{
		return *deadline_ > 0 && clock_real_ms() >= *deadline_;
	}

	ssize_t
	read(void *buf, size_t nbyte) override
	{
		if (*cut_ || expired()) {
			errno = ECONNABORTED;
			return -1;
		}
		const ssize_t n = DcmTCPConnection::read(buf, nbyte);
#ifdef TCP_QUICKACK
		int one = 1;

		if (n > 0)	/* errno of a failed read stays as it is */
			(void)setsockopt(getSocket(), IPPROTO_TCP,
			    TCP_QUICKACK, &one, sizeof one);
#endif
		return n;
	}

	// Waits at most until the deadline; then "data" so that the read
	// that follows fails at once.
	OFBool
	networkDataAvailable(int timeout) override
	{
		long long left;

		if (*cut_ || expired())
			return OFTrue;
		if (*deadline_ > 0) {
			left = (*deadline_ - clock_real_ms() + 999) / 1000;
			if (left < timeout)
				timeout = left > 0 ? (int)left : 0;
		}
		return DcmTCPConnection::networkDataAvailable(timeout) ||
		    expired();
	}

private:
	const bool	*cut_;
	const long long	*deadline_;
};

// TCP_NODELAY on the association's socket as it is created: DCMTK as
// Debian builds it reads that from the environment only, and setenv is no
// call for a threaded daemon.  Installed as DcmSCU's "secure" layer (its
// only public hook on the transport), it still makes a plain TCP
// connection: nothing else changes on the wire.
class NodelayLayer : public DcmTransportLayer {
public:
	bool		cut = false;
	long long	deadline = 0;	/* clock_real_ms; 0: none */

	DcmTransportConnection *
	createConnection(DcmNativeSocketType fd, OFBool) override
	{
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		return new (std::nothrow) CutConnection(fd, &cut, &deadline);
	}
};

// Writes the one instance asked for (want()) to its file, bit-preserving,
// as it arrives, at most max bytes of dataset; anything else ends the
// C-GET session (Error: cannot understand).
class FetchSCU : public DcmSCU {
public:
	explicit FetchSCU(bool *cut) : cut_(cut) {}
	bool		got = false, over = false;
	std::string	why;

	OFCondition
	transport(DcmTransportLayer *l)
	{
		return useSecureConnection(l);
	}

	void
	want(const char *out, const char *sop, unsigned long long max)
	{
		out_ = out;
		sop_ = sop;
		max_ = max;
		got = over = false;
		why.clear();
	}

protected:
	OFCondition
	handleSTORERequestFile(T_ASC_PresentationContextID *pc,
	    const OFString &, T_DIMSE_C_StoreRQ *rq) override
	{
		try {
			if (got || sop_ != rq->AffectedSOPInstanceUID) {
				why = std::string("the PACS sent another "
				    "instance (") + rq->AffectedSOPInstanceUID +
				    ")";
				return DIMSE_BADDATA;
			}
			OFCondition c = DcmSCU::handleSTORERequestFile(pc,
			    out_.c_str(), rq);
			if (c.good())
				got = true;
			else if (!over)
				why = std::string("receiving the instance: ") +
				    c.text();
			return c;
		} catch (...) {
			return dcmshim_exception_cond();
		}
	}

	// Called after each PDV of the dataset (progress notification
	// on): past the bound, cut the connection, so the next read fails
	// and DCMTK removes the file.  At most one PDV (our maximum PDU,
	// 16 KiB by default) is written past the bound.  Allocates nothing,
	// so throws nothing: dcmfetch_one() words the refusal.
	void
	notifyRECEIVEProgress(const unsigned long n) override
	{
		if (max_ > 0 && n > max_ && !over) {
			over = true;
			*cut_ = true;
		}
	}

private:
	bool			*cut_;
	std::string		 out_, sop_;
	unsigned long long	 max_ = 0;
};

}	// namespace

// Members in this order: the layer outlives the SCU that uses it.
struct dcmfetch {
	NodelayLayer	layer;
	FetchSCU	scu;
	std::string	peer;
	T_ASC_PresentationContextID get_pc = 0;
	bool		alive = false;

	dcmfetch() : scu(&layer.cut) {}
};

namespace {

void
status_hex(std::string &m, Uint16 st)
{
	char hex[8];

	std::snprintf(hex, sizeof hex, "%04X", (unsigned)st);
	m += hex;
}

}	// namespace

extern "C" int
dcmfetch_open(const struct dcmfetch_peer *p, const struct dcmfetch_ctx *ctx,
    size_t nctx, struct dcmfetch **out, char *err, size_t errlen)
{
	struct dcmfetch *f = nullptr;
	int rc = XDS_EINTERNAL;

	try {
		OFList<OFString> model;
		OFCondition c;
		size_t i, j, npc = 0;

		if (out != nullptr)
			*out = nullptr;
		if (p == nullptr || out == nullptr || p->host == nullptr ||
		    p->calling_ae == nullptr || p->called_ae == nullptr ||
		    p->port <= 0 || p->port > 65535 || ctx == nullptr ||
		    nctx == 0) {
			dcmshim_seterr(err, errlen, "C-GET: bad argument");
			return XDS_EINVAL;
		}
		for (i = 0; i < nctx; i++) {
			if (ctx[i].sop_class == nullptr || ctx[i].ts == nullptr ||
			    ctx[i].nts == 0) {
				dcmshim_seterr(err, errlen, "C-GET: bad argument");
				return XDS_EINVAL;
			}
			if (ctx[i].nts > DCMFETCH_MAX_TS ||
			    (npc += ctx[i].nts) > DCMFETCH_MAX_PC) {
				dcmshim_seterr(err, errlen, "C-GET: more than "
				    "the presentation contexts one association "
				    "may propose");
				return XDS_ETOOBIG;
			}
		}
		f = new dcmfetch();
		f->layer.deadline = p->deadline;
		FetchSCU &scu = f->scu;
		const Uint32 to = p->timeout > 0 ? (Uint32)p->timeout : 30;

		f->peer = std::string(p->called_ae) + "@" + p->host + ":" +
		    std::to_string(p->port);
		scu.setAETitle(p->calling_ae);
		scu.setPeerAETitle(p->called_ae);
		scu.setPeerHostName(p->host);
		scu.setPeerPort((Uint16)p->port);
		scu.setConnectionTimeout((Sint32)to);
		scu.setACSETimeout(to);
		scu.setDIMSETimeout(to);
		scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
		scu.setVerbosePCMode(OFFalse);
		scu.setStorageMode(DCMSCU_STORAGE_BIT_PRESERVING);
		scu.setProgressNotificationMode(OFTrue);
		model.push_back(UID_LittleEndianExplicitTransferSyntax);
		model.push_back(UID_LittleEndianImplicitTransferSyntax);
		if ((c = scu.addPresentationContext(
		    UID_GETStudyRootQueryRetrieveInformationModel, model)).bad())
			goto internal;
		// One context per syntax, so the PACS can accept each on its
		// own and send in the first it has.
		for (i = 0; i < nctx; i++)
			for (j = 0; j < ctx[i].nts; j++) {
				OFList<OFString> ts;

				ts.push_back(ctx[i].ts[j]);
				if ((c = scu.addPresentationContext(
				    ctx[i].sop_class, ts, ASC_SC_ROLE_SCP)).bad())
					goto internal;
			}
		if ((c = scu.initNetwork()).bad()) {
			seterr2(err, errlen, "C-GET: ", c.text());
			rc = XDS_EUNAVAILABLE;
			goto out;
		}
		if ((c = scu.transport(&f->layer)).bad())  /* needs the network */
			goto internal;
		if ((c = scu.negotiateAssociation()).bad()) {
			if (p->deadline > 0 && clock_real_ms() >= p->deadline) {
				dcmshim_seterr(err, errlen, ("C-GET: association "
				    "with " + f->peer + ": no answer before the "
				    "retrieve's deadline").c_str());
				rc = XDS_ETIMEOUT;
			} else {
				seterr2(err, errlen, "C-GET: association with " +
				    f->peer + ": ", c.text());
				rc = XDS_EUNAVAILABLE;
			}
			goto out;
		}
		f->get_pc = scu.findPresentationContextID(
		    UID_GETStudyRootQueryRetrieveInformationModel, "");
		if (f->get_pc == 0) {
			scu.abortAssociation();
			dcmshim_seterr(err, errlen, ("C-GET: " + f->peer + " does "
			    "not accept Study Root GET").c_str());
			rc = XDS_EUNAVAILABLE;
			goto out;
		}
		f->alive = true;
		*out = f;
		f = nullptr;
		rc = XDS_OK;
		goto out;
internal:
		seterr2(err, errlen, "C-GET: ", c.text());
		rc = XDS_EINTERNAL;
	} catch (...) {
		rc = dcmshim_exception(err, errlen);
	}
out:
	delete f;
	return rc;
}

extern "C" int
dcmfetch_one(struct dcmfetch *f, const struct dcmfetch_inst *in,
    const char *out_path, long long max_bytes, char *err, size_t errlen)
{
	OFList<RetrieveResponse *> rsp;
	int rc = XDS_EINTERNAL;

	try {
		DcmDataset q;
		OFCondition c;
		struct stat sb;

		if (f == nullptr || in == nullptr || out_path == nullptr ||
		    in->study_uid == nullptr || in->series_uid == nullptr ||
		    in->sop_uid == nullptr || in->sop_class == nullptr ||
		    max_bytes < 0) {
			dcmshim_seterr(err, errlen, "C-GET: bad argument");
			return XDS_EINVAL;
		}
		FetchSCU &scu = f->scu;

		if (!f->alive || !scu.isConnected()) {
			f->alive = false;
			dcmshim_seterr(err, errlen, ("C-GET: the association "
			    "with " + f->peer + " is gone").c_str());
			return XDS_EUNAVAILABLE;
		}
		if (scu.findAnyPresentationContextID(in->sop_class, "") == 0) {
			dcmshim_seterr(err, errlen, ("C-GET: " + f->peer +
			    " accepted no storage context for SOP class " +
			    in->sop_class).c_str());
			return XDS_EINVAL;
		}
		if ((c = q.putAndInsertString(DCM_QueryRetrieveLevel,
		    "IMAGE")).bad() ||
		    (c = q.putAndInsertString(DCM_StudyInstanceUID,
		    in->study_uid)).bad() ||
		    (c = q.putAndInsertString(DCM_SeriesInstanceUID,
		    in->series_uid)).bad() ||
		    (c = q.putAndInsertString(DCM_SOPInstanceUID,
		    in->sop_uid)).bad()) {
			seterr2(err, errlen, "C-GET: ", c.text());
			goto out;
		}
		scu.want(out_path, in->sop_uid, (unsigned long long)max_bytes);
		c = scu.sendCGETRequest(f->get_pc, &q, &rsp);
		if (scu.got && c.good()) {
			// The bound on the whole file (File Meta included);
			// the dataset was bounded as it arrived.
			if (stat(out_path, &sb) != 0) {
				seterr2(err, errlen, std::string(out_path) + ": ",
				    std::strerror(errno));
				rc = XDS_EIO;
				goto out;
			}
			if (max_bytes > 0 && sb.st_size > max_bytes) {
				dcmshim_seterr(err, errlen, ("C-GET from " +
				    f->peer + ": more than " +
				    std::to_string(max_bytes) + " bytes").c_str());
				rc = XDS_ETOOBIG;
				goto out;
			}
			rc = XDS_OK;
			goto out;
		}
		{
			std::string m = "C-GET from " + f->peer + ": ";

			if (scu.over)
				m += "more than " + std::to_string(max_bytes) +
				    " bytes: refused as it arrived";
			else if (!scu.why.empty())
				m += scu.why;
			else if (c.bad())
				m += c.text();
			else {
				m += "instance not sent (status ";
				status_hex(m, rsp.empty() ? 0 :
				    rsp.back()->m_status);
				m += ")";
			}
			dcmshim_seterr(err, errlen, m.c_str());
		}
		if (scu.over) {
			rc = XDS_ETOOBIG;
			scu.abortAssociation();
			f->alive = false;
		} else if (f->layer.deadline > 0 &&
		    clock_real_ms() >= f->layer.deadline) {
			dcmshim_seterr(err, errlen, ("C-GET from " + f->peer +
			    ": the retrieve's deadline passed").c_str());
			rc = XDS_ETIMEOUT;
			scu.abortAssociation();
			f->alive = false;
		} else if (!scu.why.empty() || c.bad()) {
			rc = scu.why.empty() ? XDS_EUNAVAILABLE : XDS_EFORMAT;
			scu.abortAssociation();
			f->alive = false;
		} else
			rc = XDS_ENOTFOUND;
	} catch (...) {
		rc = dcmshim_exception(err, errlen);
	}
out:
	for (RetrieveResponse *x : rsp)
		delete x;
	if (rc != XDS_OK)
		std::remove(out_path);
	return rc;
}

extern "C" int
dcmfetch_alive(const struct dcmfetch *f)
{
	return f != nullptr && f->alive && f->scu.isConnected() ? 1 : 0;
}

extern "C" void
dcmfetch_close(struct dcmfetch *f)
{
	if (f == nullptr)
		return;
	try {
		if (f->scu.isConnected()) {
			if (f->alive)
				f->scu.releaseAssociation();
			else
				f->scu.abortAssociation();
		}
	} catch (...) {
		/* nothing to report: the association is dropped below */
	}
	delete f;
}
