// dcmnet.cc: the C-STORE / C-ECHO SCP of the DICOM bridge.
//
// Our own accept loop (DCMTK 3.6.7's DcmSCPPool can only bind every
// interface, and reads each A-ASSOCIATE-RQ on its listening thread) never
// waits on a peer: it admits or refuses a connection by its address and
// the limits, before a byte is read, and hands an admitted one to a thread
// of its own.  That thread gives the socket to DCMTK through
// dcmExternalSocketHandle, reads the A-ASSOCIATE-RQ (after the TLS
// handshake) within the ACSE timeout, and runs the association in a
// DcmThreadSCP subclass.  dcmExternalSocketHandle is one process-wide
// value that DUL reads when it takes the socket: the handoff lock below
// serialises that moment only (set, DUL reads it, our transport layer's
// createConnection clears it), never a read from the peer.  Several
// threads may wait in ASC_receiveAssociation on one T_ASC_Network: DUL
// reads the network key only (docs/design.md, "The DICOM listener").
//
// TCP_NODELAY is set on every accepted socket by us, whatever the
// environment says: with Nagle on, each C-STORE response waits 40 ms for
// the peer's delayed ACK ("44 ms per instance", docs/benchmarks.md).  A peer that
// leaves Nagle on (storescu without TCP_NODELAY=1) would still hold its
// last small segment of each request until our delayed ACK: so every read
// re-arms TCP_QUICKACK, and we acknowledge at once.
#include "dcmtk/config/osconfig.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dcmlayer.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/dul.h"
#include "dcmtk/dcmnet/scpthrd.h"
#include "dcmtk/dcmtls/tlslayer.h"
#include "dcmtk/dcmtls/tlstrans.h"
#include "dcmtk/oflog/oflog.h"

#include "dcmshim.h"
#include "dcmshim_int.h"
extern "C" {
#include "pki.h"
}

// Refused connections whose A-ASSOCIATE-RJ is still on its way: kept open
// (and read from, to discard) so that closing with unread input does not
// reset the connection before the peer has read the RJ.
#define LINGER_MAX	64	// more are closed at once
#define LINGER_MS	2000	// at most this long each

struct dcmshim_scp {
	std::string		 ae, tmp_dir;
	std::set<std::string>	 also_ae;
	int			 lfd = -1;
	int			 port = 0;
	int			 max_assoc = 1;
	int			 max_peer = 1;
	int			 acse_timeout = 30;
	int			 io_timeout = 30;
	dcmshim_store_fn	 on_store = nullptr;
	void			*arg = nullptr;
	dcmshim_admit_fn	 admit = nullptr;
	dcmshim_refused_fn	 on_refused = nullptr;
	void			*access_arg = nullptr;
	dcmshim_cert_fn		 admit_cert = nullptr;
	dcmshim_commit_fn	 on_commit = nullptr;
	dcmshim_commit_done_fn	 on_commit_done = nullptr;
	dcmshim_report_fn	 on_report = nullptr;
	bool			 secure = false;	// TLS, else plain TCP
	std::mutex		 tls_mu;
	// The TLS layer for the next connection (under tls_mu); each
	// connection holds a reference to the one it began with.
	std::shared_ptr<DcmTLSTransportLayer> tls;
	std::string		 tls_ca;		// read per connection
	T_ASC_Network		*net = nullptr;		// during run()
	std::atomic<bool>	 stop{false};
	std::mutex		 mu;
	std::condition_variable	 cv;
	int			 active = 0;		// under mu
	std::map<std::string, int> per_peer;		// under mu
	std::set<int>		 negotiating;		// under mu: dups
	DcmSharedSCPConfig	 shared;
};

namespace {

// The handoff of an accepted socket to DUL (see the top of the file).
std::mutex handoff_mu;
thread_local bool handoff_held;		// this thread holds handoff_mu
thread_local bool handoff_taken;	// DUL took the socket

void
handoff_begin(int fd)
{
	handoff_mu.lock();
	handoff_held = true;
	handoff_taken = false;
	dcmExternalSocketHandle.set(fd);
}

void
handoff_end()
{
	if (!handoff_held)
		return;
	dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
	handoff_held = false;
	handoff_mu.unlock();
}

class BridgeSCP : public DcmThreadSCP {
public:
	BridgeSCP(dcmshim_scp *s, const std::string &calling,
	    const std::string &called, const std::string &subject) : s_(s),
	    calling_(calling), called_(called), subject_(subject) {}

protected:
	OFCondition
	handleIncomingCommand(T_DIMSE_Message *msg,
	    const DcmPresentationContextInfo &pc) override
	{
		if (msg->CommandField == DIMSE_N_ACTION_RQ &&
		    s_->on_commit != nullptr)
			return commit(msg->msg.NActionRQ,
			    pc.presentationContextID);
		if (msg->CommandField == DIMSE_N_EVENT_REPORT_RQ &&
		    s_->on_report != nullptr)
			return report(msg->msg.NEventReportRQ,
			    pc.presentationContextID);
		if (msg->CommandField != DIMSE_C_STORE_RQ)
			return DcmThreadSCP::handleIncomingCommand(msg, pc);
		return store(msg->msg.CStoreRQ, pc.presentationContextID);
	}

	// Called by DCMTK as the dataset's PDVs arrive (bytes so far).  Every
	// WB_STEP bytes: start write-back of what is in the page cache, so
	// the fsync before Success finds most of the file on its way to disk
	// already instead of writing all of it then.  SYNC_FILE_RANGE_WRITE
	// does not wait, and guarantees nothing: the fsync still decides.
	void
	notifyRECEIVEProgress(const unsigned long n) override
	{
		if (wb_fd_ < 0 || n < wb_done_ + WB_STEP)
			return;
#ifdef SYNC_FILE_RANGE_WRITE
		(void)sync_file_range(wb_fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
		wb_done_ = n;
	}

private:
	static const unsigned long WB_STEP = 128 * 1024;
	dcmshim_scp *s_;
	std::string calling_, called_, subject_;
	Uint16 msgid_ = 1;		// of our N-EVENT-REPORT requests
	int wb_fd_ = -1;		// the receive file, during receipt
	unsigned long wb_done_ = 0;	// bytes at the last write-back start

	// The C-STORE handler.  Whatever it throws ends here, not in DCMTK:
	// the association is aborted (a failed condition), the receive file
	// closed and removed.
	OFCondition
	store(T_DIMSE_C_StoreRQ &rq, T_ASC_PresentationContextID pcid)
	{
		char tmp[4096];
		int fd = -1;
		bool ours = false;	// tmp is our file, neither moved nor removed
		OFCondition c;

		try {
			c = receive(rq, pcid, tmp, sizeof tmp, &fd, &ours);
		} catch (...) {
			c = dcmshim_exception_cond();
		}
		wb_fd_ = -1;
		if (fd >= 0)
			close(fd);
		if (ours)
			unlink(tmp);
		return c;
	}

	OFCondition
	receive(T_DIMSE_C_StoreRQ &rq, T_ASC_PresentationContextID pcid,
	    char *tmp, size_t tmplen, int *fd, bool *ours)
	{
		char err[256];
		struct dcmshim_info info;
		Uint16 status = STATUS_STORE_Error_CannotUnderstand;
		OFCondition c;

		if (std::snprintf(tmp, tmplen, "%s/rcv-XXXXXX",
		    s_->tmp_dir.c_str()) >= (int)tmplen ||
		    (*fd = mkstemp(tmp)) < 0) {
			// Drain the dataset so the association stays usable.
			DcmDataset *ds = nullptr;
			c = receiveSTORERequest(rq, pcid, ds);
			delete ds;
			if (c.bad())
				return c;
			return sendSTOREResponse(pcid, rq,
			    STATUS_STORE_Refused_OutOfResources);
		}
		*ours = true;
		// DCMTK writes through its own stream; our descriptor of the
		// same file starts the write-back while the rest arrives.
		wb_fd_ = *fd;
		wb_done_ = 0;
		c = receiveSTORERequest(rq, pcid, OFString(tmp));
		wb_fd_ = -1;
		close(*fd);
		*fd = -1;
		if (c.bad())
			return c;	// the association is broken; store() unlinks
		if (dcmshim_parse_file(tmp, &info, err, sizeof err) != 0) {
			DCMNET_WARN("C-STORE refused: " << err);
			status = STATUS_STORE_Error_CannotUnderstand;
		} else if (std::strcmp(info.sop_uid,
		    rq.AffectedSOPInstanceUID) != 0 ||
		    std::strcmp(info.sop_class, rq.AffectedSOPClassUID) != 0) {
			DCMNET_WARN("C-STORE refused: dataset SOP class/instance "
			    "differ from the request");
			status = STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
		} else {
			switch (s_->on_store(s_->arg, tmp, &info,
			    calling_.c_str(), called_.c_str(),
			    subject_.c_str())) {
			case DCMSHIM_STORE_OK:
				status = STATUS_STORE_Success;
				break;
			case DCMSHIM_STORE_NORESOURCES:
				status = STATUS_STORE_Refused_OutOfResources;
				break;
			default:
				status = STATUS_STORE_Error_CannotUnderstand;
				break;
			}
		}
		if (status != STATUS_STORE_Success)
			unlink(tmp);	// the callback moved it on success
		*ours = false;
		return sendSTOREResponse(pcid, rq, status);
	}

	// Storage Commitment Push Model (PS3.4 J.3): the N-ACTION is
	// answered, then each referenced instance is asked about and the
	// N-EVENT-REPORT sent on this association.  Whatever throws ends the
	// association (a failed condition), as in store().
	OFCondition
	commit(T_DIMSE_N_ActionRQ &rq, T_ASC_PresentationContextID pcid)
	{
		DcmDataset *ds = nullptr;
		OFCondition c;

		try {
			c = commit_request(rq, pcid, &ds);
		} catch (...) {
			c = dcmshim_exception_cond();
		}
		delete ds;
		return c;
	}

	OFCondition
	commit_request(T_DIMSE_N_ActionRQ &rq,
	    T_ASC_PresentationContextID pcid, DcmDataset **ds)
	{
		struct dcmshim_commit_result r;
		DcmSequenceOfItems *refs = nullptr;
		DcmDataset report;
		OFString txn, cls, sop;
		Uint16 type = 0, status = STATUS_N_Success, rsp = 0;
		unsigned long i, n = 0;
		OFCondition c;

		if ((c = receiveACTIONRequest(rq, pcid, *ds, type)).bad())
			return c;
		if (std::strcmp(rq.RequestedSOPClassUID,
		    UID_StorageCommitmentPushModelSOPClass) != 0)
			status = STATUS_N_NoSuchSOPClass;
		else if (std::strcmp(rq.RequestedSOPInstanceUID,
		    UID_StorageCommitmentPushModelSOPInstance) != 0)
			status = STATUS_N_NoSuchSOPInstance;
		else if (type != 1)
			status = STATUS_N_NoSuchAction;
		else if (*ds == nullptr || (*ds)->findAndGetOFString(
		    DCM_TransactionUID, txn).bad() ||
		    !dcmshim_uid_valid(txn.c_str()) ||
		    (*ds)->findAndGetSequence(DCM_ReferencedSOPSequence,
		    refs).bad() || refs == nullptr ||
		    (n = refs->card()) == 0)
			status = STATUS_N_MissingAttribute;
		else if (n > DCMSHIM_COMMIT_MAX)
			status = STATUS_N_ProcessingFailure;
		c = sendACTIONResponse(pcid, rq.MessageID,
		    UID_StorageCommitmentPushModelSOPClass,
		    UID_StorageCommitmentPushModelSOPInstance, status);
		if (c.bad() || status != STATUS_N_Success)
			return c;
		std::memset(&r, 0, sizeof r);
		r.calling_ae = calling_.c_str();
		r.subject = subject_.c_str();
		r.transaction_uid = txn.c_str();
		// Once on_commit ran, on_commit_done ends the request on
		// every way out (the callbacks keep state between them).
		auto done = [&](bool reported) {
			r.reported = reported;
			if (s_->on_commit_done != nullptr)
				s_->on_commit_done(s_->arg, &r);
		};
		report.putAndInsertOFStringArray(DCM_TransactionUID, txn);
		for (i = 0; i < n; i++) {
			DcmItem *it = refs->getItem(i), *out = nullptr;
			bool ok;

			cls.clear();
			sop.clear();
			it->findAndGetOFString(DCM_ReferencedSOPClassUID, cls);
			it->findAndGetOFString(DCM_ReferencedSOPInstanceUID, sop);
			ok = dcmshim_uid_valid(cls.c_str()) &&
			    dcmshim_uid_valid(sop.c_str()) &&
			    s_->on_commit(s_->arg, subject_.c_str(),
			    cls.c_str(), sop.c_str()) == 1;
			if ((c = report.findOrCreateSequenceItem(ok ?
			    DCM_ReferencedSOPSequence : DCM_FailedSOPSequence,
			    out, -2)).bad()) {
				// no report: none of it counts as committed
				r.failed = n - r.committed;
				done(false);
				return c;
			}
			out->putAndInsertOFStringArray(
			    DCM_ReferencedSOPClassUID, cls);
			out->putAndInsertOFStringArray(
			    DCM_ReferencedSOPInstanceUID, sop);
			if (ok)
				r.committed++;
			else {
				// No such object instance (0112)
				out->putAndInsertUint16(DCM_FailureReason,
				    STATUS_N_NoSuchSOPInstance);
				r.failed++;
			}
		}
		c = sendEVENTREPORTRequest(pcid,
		    UID_StorageCommitmentPushModelSOPInstance, msgid_++,
		    r.failed == 0 ? 1 : 2, &report, rsp);
		done(c.good() && rsp == STATUS_N_Success);
		return c;
	}

	// A storage commitment report of a request of ours, on an
	// association the peer opened (PS3.4 J.3.3): DCMTK receives it and
	// answers with the status checkEVENTREPORTRequest gives.
	OFCondition
	report(T_DIMSE_N_EventReportRQ &rq, T_ASC_PresentationContextID pcid)
	{
		DcmDataset *ds = nullptr;
		Uint16 type = 0;
		OFCondition c;

		try {
			c = handleEVENTREPORTRequest(rq, pcid, ds, type);
		} catch (...) {
			c = dcmshim_exception_cond();
		}
		delete ds;
		return c;
	}

	Uint16
	checkEVENTREPORTRequest(T_DIMSE_N_EventReportRQ &rq,
	    DcmDataset *ds) override
	{
		try {
			return report_status(rq, ds);
		} catch (...) {
			return STATUS_N_ProcessingFailure;
		}
	}

	// The SOP Instance UIDs of one sequence of a report (and each
	// Failure Reason): false when an item has none that is valid.
	static bool
	report_uids(DcmDataset *ds, const DcmTagKey &seq,
	    std::vector<std::string> &uids, std::vector<unsigned> *why)
	{
		DcmSequenceOfItems *sq = nullptr;
		unsigned long i;

		if (ds->findAndGetSequence(seq, sq).bad() || sq == nullptr)
			return true;	// absent: none
		for (i = 0; i < sq->card(); i++) {
			DcmItem *it = sq->getItem(i);
			OFString uid;
			Uint16 r = 0;

			if (it->findAndGetOFString(DCM_ReferencedSOPInstanceUID,
			    uid).bad() || !dcmshim_uid_valid(uid.c_str()) ||
			    uids.size() >= DCMSHIM_COMMIT_MAX)
				return false;
			uids.emplace_back(uid.c_str());
			if (why != nullptr) {
				it->findAndGetUint16(DCM_FailureReason, r);
				why->push_back(r);
			}
		}
		return true;
	}

	Uint16
	report_status(T_DIMSE_N_EventReportRQ &rq, DcmDataset *ds)
	{
		struct dcmshim_commit_report r;
		std::vector<std::string> ok, bad;
		std::vector<const char *> okp, badp;
		std::vector<unsigned> why;
		OFString txn;

		if (std::strcmp(rq.AffectedSOPClassUID,
		    UID_StorageCommitmentPushModelSOPClass) != 0)
			return STATUS_N_NoSuchSOPClass;
		if (std::strcmp(rq.AffectedSOPInstanceUID,
		    UID_StorageCommitmentPushModelSOPInstance) != 0)
			return STATUS_N_NoSuchSOPInstance;
		if (rq.EventTypeID != 1 && rq.EventTypeID != 2)
			return STATUS_N_NoSuchEventType;
		if (ds == nullptr || ds->findAndGetOFString(DCM_TransactionUID,
		    txn).bad() || !dcmshim_uid_valid(txn.c_str()) ||
		    !report_uids(ds, DCM_ReferencedSOPSequence, ok, nullptr) ||
		    !report_uids(ds, DCM_FailedSOPSequence, bad, &why) ||
		    ok.size() + bad.size() > DCMSHIM_COMMIT_MAX)
			return STATUS_N_InvalidArgumentValue;
		for (const auto &u : ok)
			okp.push_back(u.c_str());
		for (const auto &u : bad)
			badp.push_back(u.c_str());
		std::memset(&r, 0, sizeof r);
		r.calling_ae = calling_.c_str();
		r.subject = subject_.c_str();
		r.transaction_uid = txn.c_str();
		r.event_type = rq.EventTypeID;
		r.committed = okp.data();
		r.ncommitted = okp.size();
		r.failed = badp.data();
		r.failure = why.data();
		r.nfailed = badp.size();
		switch (s_->on_report(s_->arg, &r)) {
		case XDS_OK:
			return STATUS_Success;
		case XDS_ENOTFOUND:
		case XDS_EDENIED:
			return STATUS_N_InvalidArgumentValue;
		default:
			return STATUS_N_ProcessingFailure;
		}
	}
};

// A connection that re-arms TCP_QUICKACK per read (Linux leaves quick-ACK
// mode on its own), plain or TLS: a C-STORE from a peer with Nagle on would
// otherwise wait for our delayed ACK per instance, over TLS as well.
template <class Conn>
class QuickAck : public Conn {
public:
	template <class... More>
	explicit QuickAck(DcmNativeSocketType fd, More... more) :
	    Conn(fd, more...), fd_(fd) {}

	ssize_t
	read(void *buf, size_t nbyte) override
	{
		ssize_t n = Conn::read(buf, nbyte);
		int on = 1;

		setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
		return n;
	}

private:
	DcmNativeSocketType fd_;
};

// A TLS connection's own verification store: the CA file read again and
// the CRLs in use now (pki.h), so that a reload (SIGHUP) reaches the next
// association; refusals are counted with the HTTP server's.
bool
crl_store(SSL *ssl, const std::string &ca)
{
	X509_STORE *st;
	bool ok = false;

	if ((st = X509_STORE_new()) == nullptr)
		return false;
	if (X509_STORE_load_file(st, ca.c_str()) == 1 &&
	    pki_crls_apply_current(st) == XDS_OK &&
	    SSL_set1_verify_cert_store(ssl, st) == 1) {
		SSL_set_verify(ssl, SSL_get_verify_mode(ssl), pki_verify_cb);
		ok = true;
	}
	X509_STORE_free(st);	// the SSL holds its own reference
	return ok;
}

// The TLS layer a connection began with, kept for as long as the
// connection lives: a reload (dcmshim_scp_tls_set) may have replaced it
// for newer ones.  A base before the connection's own, so that it goes
// after the SSL is freed.
struct LayerRef {
	std::shared_ptr<DcmTLSTransportLayer> layer;
};

class TlsConn : private LayerRef, public QuickAck<DcmTLSConnection> {
public:
	TlsConn(std::shared_ptr<DcmTLSTransportLayer> l, DcmNativeSocketType fd,
	    SSL *ssl) : LayerRef{std::move(l)},
	    QuickAck<DcmTLSConnection>(fd, ssl) {}
};

// The layer for a new connection (null for a plain SCP).
std::shared_ptr<DcmTLSTransportLayer>
current_tls(dcmshim_scp *s)
{
	std::lock_guard<std::mutex> g(s->tls_mu);

	return s->tls;
}

// The transport layer of the SCP's network.  DUL calls createConnection
// right after it read dcmExternalSocketHandle: the handoff ends here,
// before the TLS handshake or any PDU is read.  A TLS connection gets the
// layer in use at that moment (the node's certificate and key).
class HandoffLayer : public DcmTransportLayer {
public:
	explicit HandoffLayer(dcmshim_scp *s) : s_(s) {}

	DcmTransportConnection *
	createConnection(DcmNativeSocketType fd, OFBool secure) override
	{
		handoff_taken = true;
		handoff_end();
		if (secure != s_->secure)
			return nullptr;
		// DCMTK takes null for "no connection", not a throw
		try {
			std::shared_ptr<DcmTLSTransportLayer> t;
			DcmTransportConnection *c;
			SSL *ssl;

			if (!s_->secure)
				return new QuickAck<DcmTCPConnection>(fd);
			// as DcmTLSTransportLayer::createConnection does
			if ((t = current_tls(s_)) == nullptr ||
			    (ssl = SSL_new(t->getNativeHandle())) == nullptr)
				return nullptr;
			if (!crl_store(ssl, s_->tls_ca)) {
				SSL_free(ssl);
				return nullptr;
			}
			SSL_set_fd(ssl, fd);
			if ((c = new (std::nothrow) TlsConn(std::move(t), fd,
			    ssl)) == nullptr)
				SSL_free(ssl);
			return c;
		} catch (...) {
			return nullptr;
		}
	}

private:
	dcmshim_scp *s_;
};

void
fail(char *err, size_t errlen, const std::string &m)
{
	dcmshim_seterr(err, errlen, m.c_str());
}

void
configure(DcmSCPConfig &cfg, const struct dcmshim_scp_opts *o)
{
	OFList<OFString> ts, ve;
	// Our preference, but DCMTK picks the first of these that the peer
	// proposed in a context: encapsulated syntaxes come first, so that a
	// context offering a file's own compressed syntax plus an uncompressed
	// fallback is accepted in the former and the instance is stored as
	// it was sent, not decompressed by the peer.
	static const char *const xfer[] = {
		UID_JPEGProcess14SV1TransferSyntax,
		UID_JPEGProcess14TransferSyntax,
		UID_JPEGProcess1TransferSyntax,
		UID_JPEGProcess2_4TransferSyntax,
		UID_JPEGLSLosslessTransferSyntax,
		UID_JPEGLSLossyTransferSyntax,
		UID_JPEG2000LosslessOnlyTransferSyntax,
		UID_JPEG2000TransferSyntax,
		UID_RLELosslessTransferSyntax,
		UID_MPEG2MainProfileAtMainLevelTransferSyntax,
		UID_MPEG4HighProfileLevel4_1TransferSyntax,
		UID_DeflatedExplicitVRLittleEndianTransferSyntax,
		UID_LittleEndianExplicitTransferSyntax,
		UID_BigEndianExplicitTransferSyntax,
		UID_LittleEndianImplicitTransferSyntax,
	};
	size_t i;

	for (i = 0; i < sizeof xfer / sizeof xfer[0]; i++)
		ts.push_back(xfer[i]);
	ve.push_back(UID_LittleEndianExplicitTransferSyntax);
	ve.push_back(UID_LittleEndianImplicitTransferSyntax);
	ve.push_back(UID_BigEndianExplicitTransferSyntax);
	cfg.setAETitle(o->ae_title);
	cfg.setPort(0);
	cfg.setRespondWithCalledAETitle(OFFalse);
	cfg.setACSETimeout((Uint32)o->acse_timeout);
	cfg.setDIMSETimeout((Uint32)o->dimse_timeout);
	cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
	cfg.setHostLookupEnabled(OFFalse);
	cfg.addPresentationContext(UID_VerificationSOPClass, ve);
	// With reports taken from peers (PS3.4 J.3.3) the context is
	// accepted in the SCP role a peer proposes for it, and in the
	// default role for requests (DCMTK's negotiation table, dul.h).
	if (o->on_commit != nullptr || o->on_report != nullptr)
		cfg.addPresentationContext(
		    UID_StorageCommitmentPushModelSOPClass, ve,
		    o->on_report != nullptr ? ASC_SC_ROLE_SCUSCP :
		    ASC_SC_ROLE_DEFAULT);
	for (i = 0; i < (size_t)numberOfDcmAllStorageSOPClassUIDs; i++)
		cfg.addPresentationContext(dcmAllStorageSOPClassUIDs[i], ts);
}

int
bind_listen(const char *host, int port, int *lfd, int *bound, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res = nullptr, *ai;
	char ps[16];
	int fd = -1, on = 1, gai;

	std::memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	std::snprintf(ps, sizeof ps, "%d", port);
	if ((gai = getaddrinfo(host, ps, &hints, &res)) != 0) {
		fail(err, errlen, std::string(host) + ": " + gai_strerror(gai));
		return XDS_EUNAVAILABLE;
	}
	for (ai = res; ai != nullptr; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fail(err, errlen, std::string(host) + ":" + ps + ": " +
		    std::strerror(errno));
		return XDS_EUNAVAILABLE;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			*bound = ss.ss_family == AF_INET6 ?
			    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
			    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	*lfd = fd;
	return XDS_OK;
}

// One association in its own thread; the SCP object lives as long.
// noexcept: nothing thrown may leave a thread (std::terminate anyway).
const char *const refusal_names[DCMSHIM_REFUSED_N] = {
	"address", "limit", "peer_limit", "calling_ae", "called_ae", "tls",
	"timeout", "protocol", "certificate"
};

// An AE title without its space padding.
std::string
trim_ae(const char *ae)
{
	std::string t(ae);

	while (!t.empty() && t.back() == ' ')
		t.pop_back();
	while (!t.empty() && t.front() == ' ')
		t.erase(0, 1);
	return t;
}

// The peer's numeric address; an IPv4-mapped IPv6 address as IPv4.
std::string
peer_text(const struct sockaddr_storage *ss)
{
	char b[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    b, sizeof b);
	else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], b, sizeof b);
		else
			inet_ntop(AF_INET6, a, b, sizeof b);
	}
	return b;
}

void
refused(dcmshim_scp *s, enum dcmshim_refusal why, const std::string &addr,
    const char *calling, const char *called, const char *detail)
{
	if (s->on_refused != nullptr)
		s->on_refused(s->access_arg, why, addr.c_str(), calling, called,
		    detail);
}

// A-ASSOCIATE-RJ with these result, source and reason (PS3.8 9.3.4),
// then the association is gone.
void
reject(T_ASC_Association *assoc, T_ASC_RejectParametersResult result,
    T_ASC_RejectParametersSource source, T_ASC_RejectParametersReason reason)
{
	T_ASC_RejectParameters rej;

	rej.result = result;
	rej.source = source;
	rej.reason = reason;
	ASC_rejectAssociation(assoc, &rej);
	ASC_dropAssociation(assoc);
	ASC_destroyAssociation(&assoc);
}

void
drop(T_ASC_Association *assoc)
{
	if (assoc == nullptr)
		return;
	ASC_dropAssociation(assoc);
	ASC_destroyAssociation(&assoc);
}

// An A-ASSOCIATE-RJ PDU (PS3.8 9.3.4) written to a connection at accept,
// without reading its request: a requestor reads it as the answer to the
// A-ASSOCIATE-RQ it sent.  The socket's send buffer is empty, so the ten
// bytes never wait; then our side is shut.
void
send_rj(int fd, unsigned char result, unsigned char source,
    unsigned char reason)
{
	const unsigned char pdu[10] = {
		0x03, 0, 0, 0, 0, 4, 0, result, source, reason
	};

	(void)send(fd, pdu, sizeof pdu, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(fd, SHUT_WR);
}

struct lingering {
	int					 fd;
	std::chrono::steady_clock::time_point	 until;
};

void
linger_add(std::vector<lingering> &v, int fd)
{
	if (v.size() >= LINGER_MAX) {
		close(fd);
		return;
	}
	v.push_back({ fd, std::chrono::steady_clock::now() +
	    std::chrono::milliseconds(LINGER_MS) });
}

// The refused connections after a poll whose entries from 1 on are v's:
// what they sent is discarded; those closed by the peer, failed or past
// their time are closed.  Never blocks.
void
linger_service(std::vector<lingering> &v, const std::vector<pollfd> &pf)
{
	auto now = std::chrono::steady_clock::now();
	char junk[4096];
	size_t i;

	for (i = v.size(); i-- > 0; ) {
		bool done = now >= v[i].until;
		int k;

		if (!done && i + 1 < pf.size() && (pf[i + 1].revents &
		    (POLLIN | POLLHUP | POLLERR)) != 0) {
			for (k = 0; k < 16; k++) {
				ssize_t n = recv(v[i].fd, junk, sizeof junk,
				    MSG_DONTWAIT);

				if (n > 0)
					continue;
				done = n == 0 || (errno != EAGAIN &&
				    errno != EWOULDBLOCK && errno != EINTR);
				break;
			}
		}
		if (done) {
			close(v[i].fd);
			v.erase(v.begin() + (long)i);
		}
	}
}

// A new connection by its address and the limits, before a byte is read
// from it: counted and true, or false with the reason.
bool
admit_conn(dcmshim_scp *s, const std::string &addr, enum dcmshim_refusal *why)
{
	int n;

	if (s->admit != nullptr && !s->admit(s->access_arg, addr.c_str(),
	    nullptr)) {
		*why = DCMSHIM_REFUSED_ADDRESS;
		return false;
	}
	std::lock_guard<std::mutex> g(s->mu);
	auto it = s->per_peer.find(addr);

	n = it == s->per_peer.end() ? 0 : it->second;
	if (s->active >= s->max_assoc) {
		*why = DCMSHIM_REFUSED_LIMIT;
		return false;
	}
	if (n >= s->max_peer) {
		*why = DCMSHIM_REFUSED_PEER_LIMIT;
		return false;
	}
	s->per_peer[addr] = n + 1;
	s->active++;
	return true;
}

void
release_conn(dcmshim_scp *s, const std::string &addr) noexcept
{
	std::lock_guard<std::mutex> g(s->mu);
	auto it = s->per_peer.find(addr);

	if (it != s->per_peer.end() && --it->second <= 0)
		s->per_peer.erase(it);
	s->active--;
	s->cv.notify_all();
}

// Refuse a connection at accept: counted, A-ASSOCIATE-RJ, lingering.
void
refuse_conn(dcmshim_scp *s, int fd, const std::string &addr,
    enum dcmshim_refusal why, std::vector<lingering> &lg)
{
	refused(s, why, addr, nullptr, nullptr, nullptr);
	if (why == DCMSHIM_REFUSED_ADDRESS)
		// permanent, service user, no reason given
		send_rj(fd, 1, 1, 1);
	else
		// transient, service provider (presentation), local limit
		// exceeded
		send_rj(fd, 2, 3, 2);
	linger_add(lg, fd);
}

// What kept a connection from becoming an association.
enum dcmshim_refusal
failure_reason(const OFCondition &c)
{
	if (c == DUL_READTIMEOUT)
		return DCMSHIM_REFUSED_TIMEOUT;
	if (c.module() == OFM_dcmtls)
		return DCMSHIM_REFUSED_TLS;
	return DCMSHIM_REFUSED_PROTOCOL;
}

// A connection no longer negotiating: its duplicate descriptor (dfd, -1
// for none), which a stop would have shut down, is closed.
void
unwatch(dcmshim_scp *s, int dfd) noexcept
{
	if (dfd < 0)
		return;
	{
		std::lock_guard<std::mutex> g(s->mu);

		s->negotiating.erase(dfd);
	}
	close(dfd);
}

// At a stop: connections still waiting for their TLS handshake or
// A-ASSOCIATE-RQ end now, not after the ACSE timeout.  Through our own
// duplicates, which no other thread closes: never a reused descriptor.
void
shut_negotiating(dcmshim_scp *s) noexcept
{
	std::lock_guard<std::mutex> g(s->mu);

	for (int dfd : s->negotiating)
		shutdown(dfd, SHUT_RDWR);
}

// A received A-ASSOCIATE-RQ: refused for its AE titles, or served.
void
associate(dcmshim_scp *s, T_ASC_Association *assoc, const std::string &addr)
{
	std::string calling, called;
	char subject[DCMSHIM_SUBJECT_SZ] = "";

	calling = trim_ae(assoc->params->DULparams.callingAPTitle);
	called = trim_ae(assoc->params->DULparams.calledAPTitle);
	if (called != s->ae && s->also_ae.count(called) == 0) {
		refused(s, DCMSHIM_REFUSED_CALLED_AE, addr, calling.c_str(),
		    called.c_str(), nullptr);
		// permanent, service user, called AE not recognised
		reject(assoc, ASC_RESULT_REJECTEDPERMANENT,
		    ASC_SOURCE_SERVICEUSER,
		    ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
	} else if (s->admit != nullptr && !s->admit(s->access_arg,
	    addr.c_str(), calling.c_str())) {
		refused(s, DCMSHIM_REFUSED_CALLING_AE, addr, calling.c_str(),
		    called.c_str(), nullptr);
		// permanent, service user, calling AE not recognised
		reject(assoc, ASC_RESULT_REJECTEDPERMANENT,
		    ASC_SOURCE_SERVICEUSER,
		    ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
	} else if (s->admit_cert != nullptr && (dcmshim_peer_subject(assoc,
	    subject, sizeof subject), !s->admit_cert(s->access_arg,
	    addr.c_str(), calling.c_str(), subject))) {
		refused(s, DCMSHIM_REFUSED_CERT, addr, calling.c_str(),
		    called.c_str(), subject);
		// permanent, service user, no reason given
		reject(assoc, ASC_RESULT_REJECTEDPERMANENT,
		    ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_NOREASON);
	} else {
		if (subject[0] == '\0' && s->secure)
			dcmshim_peer_subject(assoc, subject, sizeof subject);
		BridgeSCP scp(s, calling, called, subject);

		if (scp.setSharedConfig(s->shared).good())
			scp.run(assoc);	// negotiates, serves, drops
		else
			drop(assoc);
	}
}

// One connection in its own thread: the TLS handshake and the
// A-ASSOCIATE-RQ within the ACSE timeout, the AE titles, the association;
// the SCP object lives as long.  noexcept: nothing thrown may leave a
// thread (std::terminate anyway).
void
serve(dcmshim_scp *s, int fd, int dfd, std::string addr) noexcept
{
	T_ASC_Association *assoc = nullptr;

	try {
		OFCondition c;

		handoff_begin(fd);
		c = ASC_receiveAssociation(s->net, &assoc, ASC_DEFAULTMAXPDU,
		    nullptr, nullptr, s->secure, DUL_BLOCK,
		    s->acse_timeout);
		handoff_end();
		unwatch(s, dfd);
		dfd = -1;
		if (!handoff_taken)
			close(fd);	// DUL failed before it took the socket
		// A peer that closed before its request: DUL reports no
		// failure, and the request's parameters stay empty.
		if (c.good() && assoc->params->DULparams.
		    applicationContextName[0] == '\0')
			c = DUL_NETWORKCLOSED;
		if (c.bad()) {
			refused(s, failure_reason(c), addr, nullptr, nullptr,
			    c.text());
			drop(assoc);
		} else
			associate(s, assoc, addr);
	} catch (...) {
		char err[64];

		handoff_end();
		unwatch(s, dfd);
		(void)dcmshim_exception(err, sizeof err,
		    "unexpected exception");
		DCMNET_ERROR("DICOM association thread: " << err);
	}
	release_conn(s, addr);
}

// Until the last association thread has ended.  noexcept: a mutex that
// cannot be locked ends the process rather than throw into C.
void
wait_idle(dcmshim_scp *s) noexcept
{
	std::unique_lock<std::mutex> g(s->mu);

	s->cv.wait(g, [s] { return s->active == 0; });
}

} // namespace

extern "C" const char *
dcmshim_refusal_name(enum dcmshim_refusal why)
{
	if ((int)why < 0 || why >= DCMSHIM_REFUSED_N)
		return "?";
	return refusal_names[why];
}

extern "C" int
dcmshim_scp_new(const struct dcmshim_scp_opts *o, struct dcmshim_scp **out,
    char *err, size_t errlen)
{
	dcmshim_scp *s = nullptr;

	try {
		DcmSCPConfig cfg;
		int rc;

		*out = nullptr;
		if (o == nullptr || o->host == nullptr ||
		    o->ae_title == nullptr || o->ae_title[0] == '\0' ||
		    std::strlen(o->ae_title) > 16 || o->tmp_dir == nullptr ||
		    o->on_store == nullptr || o->max_associations < 1 ||
		    o->max_peer_associations < 0 || o->port < 0 ||
		    o->port > 65535 || (o->tls_cert != nullptr &&
		    (o->tls_key == nullptr || o->tls_ca == nullptr))) {
			fail(err, errlen, "SCP: host, AE title (1-16 "
			    "characters), tmp_dir, callback and "
			    "max_associations >= 1 are required; TLS needs "
			    "certificate, key and CA");
			return XDS_EINVAL;
		}
		s = new dcmshim_scp();
		s->ae = o->ae_title;
		for (size_t k = 0; k < o->nalso_ae; k++)
			s->also_ae.insert(o->also_ae[k]);
		s->tmp_dir = o->tmp_dir;
		s->max_assoc = o->max_associations;
		s->max_peer = o->max_peer_associations > 0 &&
		    o->max_peer_associations < o->max_associations ?
		    o->max_peer_associations : o->max_associations;
		s->acse_timeout = o->acse_timeout > 0 ? o->acse_timeout : 30;
		s->io_timeout = o->io_timeout > 0 ? o->io_timeout :
		    o->dimse_timeout > 0 ? o->dimse_timeout : 30;
		s->on_store = o->on_store;
		s->arg = o->arg;
		s->admit = o->admit;
		s->on_refused = o->on_refused;
		s->access_arg = o->access_arg;
		s->admit_cert = o->admit_cert;
		s->on_commit = o->on_commit;
		s->on_commit_done = o->on_commit_done;
		s->on_report = o->on_report;
		configure(cfg, o);
		s->shared = DcmSharedSCPConfig(cfg);
		if (o->tls_cert != nullptr) {
			DcmTLSTransportLayer *t = nullptr;

			s->secure = true;
			s->tls_ca = o->tls_ca;
			if ((rc = dcmshim_tls_layer(true, o->tls_cert,
			    o->tls_key, o->tls_ca, &t, err, errlen)) != 0) {
				delete s;
				return rc;
			}
			s->tls.reset(t);
		}
		if ((rc = bind_listen(o->host, o->port, &s->lfd, &s->port, err,
		    errlen)) != 0) {
			delete s;
			return rc;
		}
		*out = s;
		return XDS_OK;
	} catch (...) {
		delete s;
		return dcmshim_exception(err, errlen,
		    "internal error setting up the SCP");
	}
}

extern "C" int
dcmshim_scp_port(const struct dcmshim_scp *s)
{
	return s->port;
}

extern "C" int
dcmshim_scp_run(struct dcmshim_scp *s, char *err, size_t errlen)
{
	std::vector<lingering> lg;
	T_ASC_Network *net = nullptr;
	int rc = XDS_OK;

	try {
		OFCondition c;

		// Peers are known by their address: no reverse DNS look-up
		// on an association thread.
		dcmDisableGethostbyaddr.set(OFTrue);
		// With an external socket set, DUL creates no listening socket
		// of its own (inetd mode): ours is the only one, on our host.
		handoff_begin(s->lfd);
		c = ASC_initializeNetwork(NET_ACCEPTOR, 0, s->acse_timeout,
		    &net);
		handoff_end();
		if (c.bad()) {
			fail(err, errlen, std::string("DICOM network: ") +
			    c.text());
			return XDS_EUNAVAILABLE;
		}
		if ((c = ASC_setTransportLayer(net, new HandoffLayer(s),
		    1)).bad()) {
			ASC_dropNetwork(&net);
			fail(err, errlen, std::string("DICOM network: ") +
			    c.text());
			return XDS_EUNAVAILABLE;
		}
		s->net = net;
		while (!s->stop.load()) {
			std::vector<pollfd> pf;
			struct sockaddr_storage ss;
			socklen_t sl = sizeof ss;
			enum dcmshim_refusal why;
			struct timeval tv;
			std::string addr;
			int cfd, dfd, on = 1, n;

			pf.push_back({ s->lfd, POLLIN, 0 });
			for (const lingering &l : lg)
				pf.push_back({ l.fd, POLLIN, 0 });
			n = poll(pf.data(), pf.size(), 250);
			linger_service(lg, pf);
			if (n <= 0 || (pf[0].revents & POLLIN) == 0)
				continue;
			cfd = accept4(s->lfd, (struct sockaddr *)&ss, &sl,
			    SOCK_CLOEXEC);
			if (cfd < 0)
				continue;
			addr = peer_text(&ss);
			if (!admit_conn(s, addr, &why)) {
				refuse_conn(s, cfd, addr, why, lg);
				continue;
			}
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof on);
			// Every read and write waits io_timeout at most: the
			// TLS handshake and a peer that stops mid-PDU too.
			tv.tv_sec = s->io_timeout;
			tv.tv_usec = 0;
			setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
			    sizeof tv);
			setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			    sizeof tv);
			if ((dfd = fcntl(cfd, F_DUPFD_CLOEXEC, 0)) >= 0) {
				std::lock_guard<std::mutex> g(s->mu);

				s->negotiating.insert(dfd);
			}
			try {
				std::thread(serve, s, cfd, dfd, addr).detach();
			} catch (...) {
				unwatch(s, dfd);
				release_conn(s, addr);
				close(cfd);
			}
		}
	} catch (...) {
		handoff_end();
		rc = dcmshim_exception(err, errlen,
		    "internal error in the SCP");
	}
	for (const lingering &l : lg)
		close(l.fd);
	shut_negotiating(s);
	wait_idle(s);
	s->net = nullptr;
	if (net != nullptr)
		ASC_dropNetwork(&net);
	return rc;
}

extern "C" void
dcmshim_scp_stop(struct dcmshim_scp *s)
{
	if (s != nullptr)
		s->stop.store(true);
}

extern "C" void
dcmshim_scp_free(struct dcmshim_scp *s)
{
	if (s == nullptr)
		return;
	if (s->lfd >= 0)
		close(s->lfd);
	delete s;
}

// A reload's layer, built but not yet in use.
struct dcmshim_tls {
	std::shared_ptr<DcmTLSTransportLayer> layer;
};

extern "C" int
dcmshim_scp_tls(const struct dcmshim_scp *s)
{
	return s != nullptr && s->secure;
}

extern "C" int
dcmshim_scp_tls_load(const struct dcmshim_scp *s, const char *cert,
    const char *key, struct dcmshim_tls **out, char *err, size_t errlen)
{
	DcmTLSTransportLayer *t = nullptr;
	dcmshim_tls *n = nullptr;
	int rc;

	*out = nullptr;
	if (!dcmshim_scp_tls(s) || cert == nullptr || key == nullptr) {
		fail(err, errlen, "DICOM TLS: not a TLS listener");
		return XDS_EINVAL;
	}
	try {
		if ((rc = dcmshim_tls_layer(true, cert, key, s->tls_ca.c_str(),
		    &t, err, errlen)) != XDS_OK)
			return rc;
		n = new dcmshim_tls();
		{
			DcmTLSTransportLayer *x = t;

			t = nullptr;
			n->layer.reset(x);	// deletes x if it throws
		}
		*out = n;
		return XDS_OK;
	} catch (...) {
		delete t;
		delete n;
		return dcmshim_exception(err, errlen,
		    "internal error loading the TLS files");
	}
}

extern "C" void
dcmshim_scp_tls_set(struct dcmshim_scp *s, struct dcmshim_tls *t)
{
	std::shared_ptr<DcmTLSTransportLayer> old;

	if (t == nullptr)
		return;
	if (dcmshim_scp_tls(s)) {
		std::lock_guard<std::mutex> g(s->tls_mu);

		old = std::move(s->tls);
		s->tls = std::move(t->layer);
	}
	delete t;
	// old goes here, unless connections still hold it
}

extern "C" void
dcmshim_tls_free(struct dcmshim_tls *t)
{
	delete t;
}
