// dcmnet.cc: the C-STORE / C-ECHO SCP of the DICOM bridge.
//
// Our own accept loop (DCMTK 3.6.7's DcmSCPPool can only bind every
// interface) hands each connection to DCMTK through dcmExternalSocketHandle;
// a DcmThreadSCP subclass then runs the association in its own thread.
// TCP_NODELAY is set on every accepted socket by us, whatever the
// environment says: with Nagle on, each C-STORE response waits 40 ms for
// the peer's delayed ACK ("44 ms per instance", docs/benchmarks.md).  A peer that
// leaves Nagle on (storescu without TCP_NODELAY=1) would still hold its
// last small segment of each request until our delayed ACK: so every read
// re-arms TCP_QUICKACK, and we acknowledge at once.
#include "dcmtk/config/osconfig.h"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dcmlayer.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/dul.h"
#include "dcmtk/dcmnet/scpthrd.h"
#include "dcmtk/oflog/oflog.h"

#include "dcmshim.h"
#include "dcmshim_int.h"

struct dcmshim_scp {
	std::string		 ae, tmp_dir;
	int			 lfd = -1;
	int			 port = 0;
	int			 max_assoc = 1;
	int			 acse_timeout = 30;
	dcmshim_store_fn	 on_store = nullptr;
	void			*arg = nullptr;
	std::atomic<bool>	 stop{false};
	std::atomic<unsigned long> seq{0};
	std::mutex		 mu;
	std::condition_variable	 cv;
	int			 active = 0;		// under mu
	DcmSharedSCPConfig	 shared;
};

namespace {

class BridgeSCP : public DcmThreadSCP {
public:
	explicit BridgeSCP(dcmshim_scp *s) : s_(s) {}

protected:
	OFCondition
	handleIncomingCommand(T_DIMSE_Message *msg,
	    const DcmPresentationContextInfo &pc) override
	{
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
			OFString peer = getPeerAETitle();

			switch (s_->on_store(s_->arg, tmp, &info, peer.c_str())) {
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
};

class QuickAckConnection : public DcmTCPConnection {
public:
	explicit QuickAckConnection(DcmNativeSocketType fd) :
	    DcmTCPConnection(fd), fd_(fd) {}

	ssize_t
	read(void *buf, size_t nbyte) override
	{
		ssize_t n = DcmTCPConnection::read(buf, nbyte);
		int on = 1;

		// Linux leaves quick-ACK mode on its own: re-arm per read.
		setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
		return n;
	}

private:
	DcmNativeSocketType fd_;
};

class QuickAckLayer : public DcmTransportLayer {
public:
	DcmTransportConnection *
	createConnection(DcmNativeSocketType fd, OFBool secure) override
	{
		if (secure)
			return nullptr;
		// nothrow: DCMTK takes null for "no connection", not a throw
		return new (std::nothrow) QuickAckConnection(fd);
	}
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
void
serve(dcmshim_scp *s, T_ASC_Association *assoc) noexcept
{
	try {
		BridgeSCP scp(s);

		if (scp.setSharedConfig(s->shared).good())
			scp.run(assoc);	// negotiates, serves, drops assoc
		else {
			ASC_dropAssociation(assoc);
			ASC_destroyAssociation(&assoc);
		}
	} catch (...) {
		char err[64];

		(void)dcmshim_exception(err, sizeof err, "unexpected exception");
		DCMNET_ERROR("DICOM association thread: " << err);
	}
	std::lock_guard<std::mutex> g(s->mu);
	s->active--;
	s->cv.notify_all();
}

// Until the last association thread has ended.  noexcept: a mutex that
// cannot be locked ends the process rather than throw into C.
void
wait_idle(dcmshim_scp *s) noexcept
{
	std::unique_lock<std::mutex> g(s->mu);

	s->cv.wait(g, [s] { return s->active == 0; });
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

// Permanent, service user, called AE title not recognised: an
// association addressed to another AE.
void
reject_called_ae(T_ASC_Association *assoc)
{
	reject(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
	    ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
}

// The called AE title of a request without its space padding equals ours.
bool
called_ae_ok(const T_ASC_Association *assoc, const std::string &ae)
{
	std::string called(assoc->params->DULparams.calledAPTitle);

	while (!called.empty() && called.back() == ' ')
		called.pop_back();
	while (!called.empty() && called.front() == ' ')
		called.erase(0, 1);
	return called == ae;
}

// Transient, presentation: temporary congestion (too many associations).
void
reject_busy(T_ASC_Association *assoc)
{
	reject(assoc, ASC_RESULT_REJECTEDTRANSIENT,
	    ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
	    ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
}

} // namespace

extern "C" void
dcmshim_log_init(void)
{
	try {
		OFLog::configure(OFLogger::WARN_LOG_LEVEL);
		// "PixelData encountered, skipping rest of dataset" is how we
		// read headers, not news.
		OFLog::getLogger("dcmtk.dcmdata").setLogLevel(
		    OFLogger::ERROR_LOG_LEVEL);
		// "Check for template constraints not yet supported" (TID 2010)
		OFLog::getLogger("dcmtk.dcmsr").setLogLevel(
		    OFLogger::ERROR_LOG_LEVEL);
	} catch (...) {
	}
}

extern "C" void
dcmshim_log_level(enum dcmshim_log_level level)
{
	OFLogger::LogLevel l;

	switch (level) {
	case DCMSHIM_LOG_ERROR:
		l = OFLogger::ERROR_LOG_LEVEL;
		break;
	case DCMSHIM_LOG_WARN:
		l = OFLogger::WARN_LOG_LEVEL;
		break;
	case DCMSHIM_LOG_INFO:
		l = OFLogger::INFO_LOG_LEVEL;
		break;
	default:
		l = OFLogger::DEBUG_LOG_LEVEL;
		break;
	}
	try {
		// The root logger: dcmdata and dcmsr keep the ERROR level
		// dcmshim_log_init gave them (their warnings are our method).
		OFLog::getLogger("dcmtk").setLogLevel(l);
	} catch (...) {
	}
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
		if (o == nullptr || o->host == nullptr || o->ae_title == nullptr ||
		    o->ae_title[0] == '\0' || std::strlen(o->ae_title) > 16 ||
		    o->tmp_dir == nullptr || o->on_store == nullptr ||
		    o->max_associations < 1 || o->port < 0 || o->port > 65535) {
			fail(err, errlen, "SCP: host, AE title (1-16 characters), "
			    "tmp_dir, callback and max_associations >= 1 are "
			    "required");
			return XDS_EINVAL;
		}
		s = new dcmshim_scp();
		s->ae = o->ae_title;
		s->tmp_dir = o->tmp_dir;
		s->max_assoc = o->max_associations;
		s->acse_timeout = o->acse_timeout > 0 ? o->acse_timeout : 30;
		s->on_store = o->on_store;
		s->arg = o->arg;
		configure(cfg, o);
		s->shared = DcmSharedSCPConfig(cfg);
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
	T_ASC_Network *net = nullptr;
	int rc = XDS_OK;

	try {
		OFCondition c;

		// With an external socket set, DUL creates no listening socket
		// of its own (inetd mode): ours is the only one, on our host.
		dcmExternalSocketHandle.set(s->lfd);
		c = ASC_initializeNetwork(NET_ACCEPTOR, 0, s->acse_timeout,
		    &net);
		dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
		if (c.bad()) {
			fail(err, errlen, std::string("DICOM network: ") +
			    c.text());
			return XDS_EUNAVAILABLE;
		}
		if ((c = ASC_setTransportLayer(net, new QuickAckLayer(),
		    1)).bad()) {
			ASC_dropNetwork(&net);
			fail(err, errlen, std::string("DICOM network: ") +
			    c.text());
			return XDS_EUNAVAILABLE;
		}
		while (!s->stop.load()) {
			struct pollfd pfd = { s->lfd, POLLIN, 0 };
			T_ASC_Association *assoc = nullptr;
			int cfd, on = 1, n;

			n = poll(&pfd, 1, 250);
			if (n <= 0)
				continue;
			cfd = accept4(s->lfd, nullptr, nullptr, SOCK_CLOEXEC);
			if (cfd < 0)
				continue;
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
			// Hand the connected socket to DUL (global, so only
			// this thread ever sets it).
			dcmExternalSocketHandle.set(cfd);
			c = ASC_receiveAssociation(net, &assoc,
			    ASC_DEFAULTMAXPDU, nullptr, nullptr, OFFalse,
			    DUL_BLOCK, s->acse_timeout);
			dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
			if (c.bad()) {
				DCMNET_WARN("DICOM association request refused: "
				    << c.text());
				if (assoc != nullptr) {
					ASC_dropAssociation(assoc);
					ASC_destroyAssociation(&assoc);
				} else
					close(cfd);
				continue;
			}
			if (!called_ae_ok(assoc, s->ae)) {
				DCMNET_WARN("DICOM association from " <<
				    assoc->params->DULparams.callingAPTitle <<
				    " refused: called AE title " <<
				    assoc->params->DULparams.calledAPTitle <<
				    " is not " << s->ae);
				reject_called_ae(assoc);
				continue;
			}
			{
				std::lock_guard<std::mutex> g(s->mu);

				if (s->active >= s->max_assoc) {
					reject_busy(assoc);
					continue;
				}
				s->active++;
			}
			try {
				std::thread(serve, s, assoc).detach();
			} catch (...) {
				std::lock_guard<std::mutex> g(s->mu);
				s->active--;
				reject_busy(assoc);
			}
		}
	} catch (...) {
		rc = dcmshim_exception(err, errlen, "internal error in the SCP");
	}
	wait_idle(s);
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
