// dcmpush.cc: the sending end of a push to another node (dcmshim_push in
// dcmshim.h): one association over mutual TLS, the C-STOREs streamed from
// their files, then Storage Commitment Push Model with the report awaited
// on the same association (or, when the receiver ends it first, left to
// an association of the receiver's: dcmshim_scp_opts.on_report).
//
// DCMTK's low-level ASC/DIMSE calls rather than DcmSCU: DIMSE_storeUser
// with a file name sends the file's dataset as it lies on disk, in its
// own transfer syntax, a PDU at a time (never decoded, never whole in
// memory, the receiver gets the sender's bytes); DcmSCU loads the file
// and re-encodes it.  Every wait is bounded: DIMSE calls non-blocking
// with the DIMSE timeout, the report with commit_timeout.
#include "dcmtk/config/osconfig.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmtls/tlslayer.h"

#include "dcmshim.h"
#include "dcmshim_int.h"

namespace {

struct Ctx {
	std::string	cls, ts;
	T_ASC_PresentationContextID id;
	bool		accepted;
};

// The association and its network, released or aborted and freed once.
struct Link {
	T_ASC_Network		*net = nullptr;
	T_ASC_Parameters	*params = nullptr;
	T_ASC_Association	*assoc = nullptr;
	bool			 released = false;

	~Link()
	{
		if (assoc != nullptr) {
			if (!released)
				ASC_abortAssociation(assoc);
			ASC_dropAssociation(assoc);
			ASC_destroyAssociation(&assoc);
		} else if (params != nullptr)
			ASC_destroyAssociationParameters(&params);
		if (net != nullptr)
			ASC_dropNetwork(&net);
	}
};

// An item the receiver holds: stored now (Success or a warning) or by
// an earlier attempt (not sent now).
bool
held(const struct dcmshim_push_item &it)
{
	return !it.send || it.status == 0 || (it.status > 0 &&
	    (it.status & 0xf000) == 0xb000);
}

int
fail(char *err, size_t errlen, int rc, const std::string &m)
{
	dcmshim_seterr(err, errlen, m.c_str());
	return rc;
}

// The N-ACTION (Request Storage Commitment, action type 1) listing the
// items stored now or before, and its response.
OFCondition
request_commit(T_ASC_Association *a, T_ASC_PresentationContextID pc,
    const struct dcmshim_push_opts *o, struct dcmshim_push_item *items,
    size_t n, int timeout, Uint16 *status)
{
	T_DIMSE_Message msg, rsp;
	T_ASC_PresentationContextID rpc = 0;
	DcmDataset ds, *detail = nullptr, *rds = nullptr;
	OFCondition c;
	size_t i;

	ds.putAndInsertString(DCM_TransactionUID, o->transaction_uid);
	for (i = 0; i < n; i++) {
		DcmItem *it = nullptr;

		if (!held(items[i]))
			continue;	// not stored: nothing to commit
		if ((c = ds.findOrCreateSequenceItem(DCM_ReferencedSOPSequence,
		    it, -2)).bad())
			return c;
		it->putAndInsertString(DCM_ReferencedSOPClassUID,
		    items[i].sop_class);
		it->putAndInsertString(DCM_ReferencedSOPInstanceUID,
		    items[i].sop_uid);
	}
	std::memset(&msg, 0, sizeof msg);
	msg.CommandField = DIMSE_N_ACTION_RQ;
	T_DIMSE_N_ActionRQ &rq = msg.msg.NActionRQ;
	rq.MessageID = a->nextMsgID++;
	OFStandard::strlcpy(rq.RequestedSOPClassUID,
	    UID_StorageCommitmentPushModelSOPClass,
	    sizeof rq.RequestedSOPClassUID);
	OFStandard::strlcpy(rq.RequestedSOPInstanceUID,
	    UID_StorageCommitmentPushModelSOPInstance,
	    sizeof rq.RequestedSOPInstanceUID);
	rq.ActionTypeID = 1;
	rq.DataSetType = DIMSE_DATASET_PRESENT;
	if ((c = DIMSE_sendMessageUsingMemoryData(a, pc, &msg, nullptr, &ds,
	    nullptr, nullptr)).bad())
		return c;
	std::memset(&rsp, 0, sizeof rsp);
	if ((c = DIMSE_receiveCommand(a, DIMSE_NONBLOCKING, timeout, &rpc,
	    &rsp, &detail)).bad())
		return c;
	delete detail;
	if (rsp.CommandField != DIMSE_N_ACTION_RSP)
		return DIMSE_BADCOMMANDTYPE;
	if (rsp.msg.NActionRSP.DataSetType != DIMSE_DATASET_NULL) {
		if ((c = DIMSE_receiveDataSetInMemory(a, DIMSE_NONBLOCKING,
		    timeout, &rpc, &rds, nullptr, nullptr)).bad())
			return c;
		delete rds;
	}
	*status = rsp.msg.NActionRSP.DimseStatus;
	return EC_Normal;
}

// The items of one sequence of a report as committed (1) or failed (0).
void
mark(DcmDataset *ds, const DcmTagKey &seq, int committed,
    const std::unordered_map<std::string, size_t> &by_uid,
    struct dcmshim_push_item *items)
{
	DcmSequenceOfItems *sq = nullptr;
	unsigned long i;

	if (ds->findAndGetSequence(seq, sq).bad() || sq == nullptr)
		return;
	for (i = 0; i < sq->card(); i++) {
		DcmItem *it = sq->getItem(i);
		OFString uid;
		Uint16 why = 0;

		if (it->findAndGetOFString(DCM_ReferencedSOPInstanceUID,
		    uid).bad())
			continue;
		auto f = by_uid.find(uid.c_str());
		if (f == by_uid.end())
			continue;
		items[f->second].committed = committed;
		if (!committed) {
			it->findAndGetUint16(DCM_FailureReason, why);
			items[f->second].failure = why;
		}
	}
}

// The N-EVENT-REPORT of our transaction, within commit_timeout, answered.
// A receiver that ends the association instead (after accepting our
// N-ACTION) may report later on an association of its own (PS3.4 J.3.3):
// XDS_EUNCERTAIN, *released when we acknowledged its A-RELEASE.
int
await_report(T_ASC_Association *a, const struct dcmshim_push_opts *o,
    struct dcmshim_push_item *items, size_t n, int dimse_timeout,
    bool *released, char *err, size_t errlen)
{
	std::unordered_map<std::string, size_t> by_uid;
	T_DIMSE_Message msg, rsp;
	T_ASC_PresentationContextID pc = 0;
	DcmDataset *detail = nullptr, *ds = nullptr;
	OFString txn;
	OFCondition c;
	size_t i;

	std::memset(&msg, 0, sizeof msg);
	c = DIMSE_receiveCommand(a, DIMSE_NONBLOCKING, o->commit_timeout > 0 ?
	    o->commit_timeout : 60, &pc, &msg, &detail);
	delete detail;
	if (c == DIMSE_NODATAAVAILABLE)
		return fail(err, errlen, XDS_ETIMEOUT, "no storage commitment "
		    "report within the commit timeout");
	if (c == DUL_PEERREQUESTEDRELEASE) {
		*released = ASC_acknowledgeRelease(a).good();
		return fail(err, errlen, XDS_EUNCERTAIN, "the receiver "
		    "released the association before its storage commitment "
		    "report");
	}
	if (c == DUL_PEERABORTEDASSOCIATION || c == DUL_NETWORKCLOSED)
		return fail(err, errlen, XDS_EUNCERTAIN, std::string("the "
		    "receiver ended the association before its storage "
		    "commitment report: ") + c.text());
	if (c.bad())
		return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
		    "waiting for the storage commitment report: ") + c.text());
	if (msg.CommandField != DIMSE_N_EVENT_REPORT_RQ)
		return fail(err, errlen, XDS_EUNAVAILABLE, "the peer sent "
		    "another message than the storage commitment report");
	T_DIMSE_N_EventReportRQ &ev = msg.msg.NEventReportRQ;
	if (ev.DataSetType != DIMSE_DATASET_NULL && (c =
	    DIMSE_receiveDataSetInMemory(a, DIMSE_NONBLOCKING, dimse_timeout,
	    &pc, &ds, nullptr, nullptr)).bad())
		return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
		    "storage commitment report: ") + c.text());
	std::unique_ptr<DcmDataset> keep(ds);
	std::memset(&rsp, 0, sizeof rsp);
	rsp.CommandField = DIMSE_N_EVENT_REPORT_RSP;
	T_DIMSE_N_EventReportRSP &er = rsp.msg.NEventReportRSP;
	er.MessageIDBeingRespondedTo = ev.MessageID;
	er.DataSetType = DIMSE_DATASET_NULL;
	er.EventTypeID = ev.EventTypeID;
	OFStandard::strlcpy(er.AffectedSOPClassUID, ev.AffectedSOPClassUID,
	    sizeof er.AffectedSOPClassUID);
	OFStandard::strlcpy(er.AffectedSOPInstanceUID,
	    ev.AffectedSOPInstanceUID, sizeof er.AffectedSOPInstanceUID);
	er.opts = O_NEVENTREPORT_AFFECTEDSOPCLASSUID |
	    O_NEVENTREPORT_AFFECTEDSOPINSTANCEUID | O_NEVENTREPORT_EVENTTYPEID;
	if (ds == nullptr || ds->findAndGetOFString(DCM_TransactionUID,
	    txn).bad() || txn != o->transaction_uid ||
	    (ev.EventTypeID != 1 && ev.EventTypeID != 2)) {
		er.DimseStatus = STATUS_N_InvalidArgumentValue;
		(void)DIMSE_sendMessageUsingMemoryData(a, pc, &rsp, nullptr,
		    nullptr, nullptr, nullptr);
		return fail(err, errlen, XDS_EUNAVAILABLE, "storage commitment "
		    "report of another transaction or event type");
	}
	er.DimseStatus = STATUS_Success;
	for (i = 0; i < n; i++)
		by_uid.emplace(items[i].sop_uid, i);
	mark(ds, DCM_ReferencedSOPSequence, 1, by_uid, items);
	mark(ds, DCM_FailedSOPSequence, 0, by_uid, items);
	if ((c = DIMSE_sendMessageUsingMemoryData(a, pc, &rsp, nullptr,
	    nullptr, nullptr, nullptr)).bad())
		return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
		    "answering the storage commitment report: ") + c.text());
	return XDS_OK;
}

// What every association of an attempt shares: the TLS layer, the
// presentation contexts (one per SOP class and transfer syntax of the
// files, then Storage Commitment), the item -> context map.
struct Plan {
	const struct dcmshim_push_opts	*o;
	std::unique_ptr<DcmTLSTransportLayer> tls;
	std::vector<Ctx>		 ctx;
	std::vector<size_t>		 ctx_of;
	T_ASC_PresentationContextID	 sc_id = 0;
	int				 acse = 30, dimse = 60;
	std::string			 peer;
};

// One association, its contexts negotiated (stores: the files' ones too)
// and the receiver's certificate checked: XDS_OK with l ready.  Only the
// main one (on the caller's thread) writes o->peer_subject.
int
connect(Plan &pl, bool stores, bool main, Link &l,
    std::vector<bool> &accepted, char *err, size_t errlen)
{
	const struct dcmshim_push_opts *o = pl.o;
	const char *sc_ts[] = { UID_LittleEndianExplicitTransferSyntax,
	    UID_LittleEndianImplicitTransferSyntax };
	char subject[DCMSHIM_SUBJECT_SZ], why[256] = "refused";
	T_ASC_PresentationContext pc;
	OFCondition c;
	size_t j;

	if ((c = ASC_initializeNetwork(NET_REQUESTOR, 0, pl.acse,
	    &l.net)).bad() || (c = ASC_setTransportLayer(l.net, pl.tls.get(),
	    0)).bad() || (c = ASC_createAssociationParameters(&l.params,
	    ASC_DEFAULTMAXPDU)).bad())
		return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
		    "push: network: ") + c.text());
	ASC_setAPTitles(l.params, o->calling_ae, o->called_ae, nullptr);
	ASC_setTransportLayerType(l.params, OFTrue);
	ASC_setPresentationAddresses(l.params, "localhost", pl.peer.c_str());
	for (j = 0; stores && j < pl.ctx.size(); j++) {
		const char *ts[] = { pl.ctx[j].ts.c_str() };

		if ((c = ASC_addPresentationContext(l.params, pl.ctx[j].id,
		    pl.ctx[j].cls.c_str(), ts, 1)).bad())
			return fail(err, errlen, XDS_EINTERNAL, c.text());
	}
	if ((c = ASC_addPresentationContext(l.params, pl.sc_id,
	    UID_StorageCommitmentPushModelSOPClass, sc_ts, 2)).bad())
		return fail(err, errlen, XDS_EINTERNAL, c.text());
	c = ASC_requestAssociation(l.net, l.params, &l.assoc, nullptr,
	    nullptr, DUL_BLOCK, pl.acse);
	if (l.assoc != nullptr)
		l.params = nullptr;	// the association's now
	if (c.bad())
		return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
		    "association with ") + o->called_ae + "@" + pl.peer + ": " +
		    (c == DUL_ASSOCIATIONREJECTED ? "rejected" : c.text()));
	dcmshim_peer_subject(l.assoc, subject, sizeof subject);
	if (main && o->peer_subject != nullptr)
		std::snprintf(o->peer_subject, DCMSHIM_SUBJECT_SZ, "%s", subject);
	if (o->check_peer != nullptr && !o->check_peer(o->arg, subject, why,
	    sizeof why))
		return fail(err, errlen, XDS_EDENIED, std::string(o->called_ae) +
		    "@" + pl.peer + ": " + why);
	accepted.assign(pl.ctx.size(), false);
	for (j = 0; stores && j < pl.ctx.size(); j++)
		accepted[j] = ASC_findAcceptedPresentationContext(
		    l.assoc->params, pl.ctx[j].id, &pc).good() &&
		    pc.resultReason == ASC_P_ACCEPTANCE;
	if (ASC_findAcceptedPresentationContext(l.assoc->params, pl.sc_id,
	    &pc).bad() || pc.resultReason != ASC_P_ACCEPTANCE)
		return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
		    o->called_ae) + "@" + pl.peer + " does not accept "
		    "Storage Commitment");
	return XDS_OK;
}

// The C-STOREs of items[k] for k = first, first + step, ... (to send)
// over l, streamed from their files.
int
store(Plan &pl, Link &l, const std::vector<bool> &accepted,
    struct dcmshim_push_item *items, size_t n, size_t first, size_t step,
    char *err, size_t errlen)
{
	OFCondition c;
	size_t i;

	for (i = first; i < n; i += step) {
		T_DIMSE_C_StoreRQ rq;
		T_DIMSE_C_StoreRSP rsp;
		DcmDataset *detail = nullptr;
		size_t j = pl.ctx_of[i];

		if (!items[i].send)
			continue;
		if (!accepted[j]) {
			items[i].status = -2;
			continue;
		}
		std::memset(&rq, 0, sizeof rq);
		std::memset(&rsp, 0, sizeof rsp);
		rq.MessageID = l.assoc->nextMsgID++;
		OFStandard::strlcpy(rq.AffectedSOPClassUID, items[i].sop_class,
		    sizeof rq.AffectedSOPClassUID);
		OFStandard::strlcpy(rq.AffectedSOPInstanceUID, items[i].sop_uid,
		    sizeof rq.AffectedSOPInstanceUID);
		rq.DataSetType = DIMSE_DATASET_PRESENT;
		rq.Priority = DIMSE_PRIORITY_MEDIUM;
		c = DIMSE_storeUser(l.assoc, pl.ctx[j].id, &rq, items[i].path,
		    nullptr, nullptr, nullptr, DIMSE_NONBLOCKING, pl.dimse, &rsp,
		    &detail);
		delete detail;
		if (c.bad())
			return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
			    "C-STORE ") + items[i].sop_uid + ": " + c.text());
		items[i].status = rsp.DimseStatus;
	}
	return XDS_OK;
}

// One store association of a parallel attempt (a thread of its own):
// its outcome into rc and err.  Nothing thrown leaves it.
void
store_worker(Plan *pl, struct dcmshim_push_item *items, size_t n,
    size_t first, size_t step, int *rc, std::string *err) noexcept
{
	char e[512] = "";

	try {
		std::vector<bool> accepted;
		Link l;

		if ((*rc = connect(*pl, true, false, l, accepted, e,
		    sizeof e)) == 0 &&
		    (*rc = store(*pl, l, accepted, items, n, first, step, e,
		    sizeof e)) == 0 && ASC_releaseAssociation(l.assoc).good())
			l.released = true;
	} catch (...) {
		*rc = dcmshim_exception(e, sizeof e);
	}
	try {
		*err = e;
	} catch (...) {
		*rc = XDS_ENOMEM;
	}
}

int
push(const struct dcmshim_push_opts *o, struct dcmshim_push_item *items,
    size_t n, char *err, size_t errlen)
{
	Plan pl;
	DcmTLSTransportLayer *t = nullptr;
	std::vector<bool> accepted;
	size_t i, j, k, nassoc;
	char peer[300];
	Uint16 st = 0;
	Link l;
	OFCondition c;
	int rc;

	pl.o = o;
	pl.ctx_of.resize(n);
	pl.acse = o->acse_timeout > 0 ? o->acse_timeout : 30;
	pl.dimse = o->dimse_timeout > 0 ? o->dimse_timeout : 60;
	std::snprintf(peer, sizeof peer, "%s:%d", o->host, o->port);
	pl.peer = peer;
	for (i = 0, k = 0; i < n; i++) {
		items[i].status = -1;
		items[i].committed = -1;
		items[i].failure = 0;
		if (items[i].sop_class == nullptr || items[i].sop_uid ==
		    nullptr || items[i].ts == nullptr ||
		    (items[i].send && items[i].path == nullptr))
			return fail(err, errlen, XDS_EINVAL, "push: item "
			    "without class, instance, syntax or file");
		if (!items[i].send)
			continue;
		k++;
		for (j = 0; j < pl.ctx.size() && (pl.ctx[j].cls !=
		    items[i].sop_class || pl.ctx[j].ts != items[i].ts); j++)
			;
		if (j == pl.ctx.size()) {
			if (pl.ctx.size() == DCMSHIM_SCU_MAX_CONTEXTS)
				return fail(err, errlen, XDS_ETOOBIG, "push: "
				    "more than 128 SOP class/transfer syntax "
				    "pairs");
			pl.ctx.push_back({ items[i].sop_class, items[i].ts,
			    (T_ASC_PresentationContextID)(2 * j + 1), false });
		}
		pl.ctx_of[i] = j;
	}
	pl.sc_id = (T_ASC_PresentationContextID)(2 * pl.ctx.size() + 1);
	if ((rc = dcmshim_tls_layer(false, o->tls_cert, o->tls_key, o->tls_ca,
	    &t, err, errlen)) != 0)
		return rc;
	pl.tls.reset(t);
	// DCMTK as Debian builds it leaves Nagle on unless TCP_NODELAY is
	// set: each C-STORE request would wait for a delayed ACK.
	setenv("TCP_NODELAY", "1", 0);
	dcmConnectionTimeout.set(pl.acse);	// the TCP connect too
	nassoc = o->associations > 1 ? (size_t)o->associations : 1;
	if (nassoc > k / 2)
		nassoc = k / 2 > 1 ? k / 2 : 1;
	if (nassoc > 1) {
		// Stores on nassoc associations at once, each its share;
		// then the commitment on an association of its own.
		std::vector<std::thread> th;
		std::vector<int> rcs(nassoc, XDS_OK);
		std::vector<std::string> errs(nassoc);

		for (i = 0; i < nassoc; i++)
			th.emplace_back(store_worker, &pl, items, n, i, nassoc,
			    &rcs[i], &errs[i]);
		for (auto &w : th)
			w.join();
		for (i = 0; i < nassoc; i++)
			if (rcs[i] != XDS_OK)
				return fail(err, errlen, rcs[i], errs[i]);
		if ((rc = connect(pl, false, true, l, accepted, err,
		    errlen)) != 0)
			return rc;
	} else if ((rc = connect(pl, true, true, l, accepted, err,
	    errlen)) != 0 ||
	    (rc = store(pl, l, accepted, items, n, 0, 1, err, errlen)) != 0)
		return rc;
	for (i = 0; i < n && !held(items[i]); i++)
		;
	if (i == n) {
		// not one instance to commit: nothing to ask
		if (ASC_releaseAssociation(l.assoc).good())
			l.released = true;
		return XDS_OK;
	}
	if ((c = request_commit(l.assoc, pl.sc_id, o, items, n, pl.dimse,
	    &st)).bad())
		return fail(err, errlen, XDS_EUNAVAILABLE, std::string(
		    "storage commitment request: ") + c.text());
	if (st != STATUS_N_Success) {
		char m[96];

		std::snprintf(m, sizeof m, "storage commitment request "
		    "refused: status %04x", st);
		return fail(err, errlen, XDS_EUNAVAILABLE, m);
	}
	if ((rc = await_report(l.assoc, o, items, n, pl.dimse, &l.released,
	    err, errlen)) != 0)
		return rc;
	if (ASC_releaseAssociation(l.assoc).good())
		l.released = true;
	return XDS_OK;
}

}	// namespace

extern "C" int
dcmshim_push(const struct dcmshim_push_opts *o,
    struct dcmshim_push_item *items, size_t n, char *err, size_t errlen)
{
	try {
		if (o == nullptr || o->host == nullptr || o->port <= 0 ||
		    o->port > 65535 || o->calling_ae == nullptr ||
		    o->called_ae == nullptr || o->tls_cert == nullptr ||
		    o->tls_key == nullptr || o->tls_ca == nullptr ||
		    o->transaction_uid == nullptr ||
		    !dcmshim_uid_valid(o->transaction_uid) ||
		    (n > 0 && items == nullptr) || n > DCMSHIM_COMMIT_MAX) {
			dcmshim_seterr(err, errlen, "push: bad argument");
			return XDS_EINVAL;
		}
		if (o->peer_subject != nullptr)
			o->peer_subject[0] = '\0';
		if (n == 0)
			return XDS_OK;
		return push(o, items, n, err, errlen);
	} catch (...) {
		return dcmshim_exception(err, errlen);
	}
}
