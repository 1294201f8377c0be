// dcmscu.cc: the consumer side of the shim: read a KOS manifest's
// references, and send files to a PACS with a C-STORE SCU.
//
// C++17; every exported function catches everything (dcmshim_exception):
// no exception reaches C.
#include "dcmtk/config/osconfig.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmnet/scu.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include "dcmshim.h"
#include "dcmshim_int.h"

namespace {

int
copy_uid(const OFString &v, char *out, const char *what, char *err,
    size_t errlen)
{
	if (!dcmshim_uid_valid(v.c_str())) {
		std::string m = std::string("KOS: invalid ") + what;
		dcmshim_seterr(err, errlen, m.c_str());
		return XDS_EFORMAT;
	}
	std::snprintf(out, DCMSHIM_UI_SZ, "%s", v.c_str());
	return XDS_OK;
}

}	// namespace

extern "C" int
dcmshim_kos_read(const char *path, struct dcmshim_kos_info *out,
    dcmshim_kos_ref_fn fn, void *arg, char *err, size_t errlen)
{
	try {
		DSRDocument doc;
		DcmFileFormat ff;
		OFString study, series, cls, sop, loc;
		OFCondition c;
		size_t n = 0;
		int rc;

		if (path == nullptr || out == nullptr || fn == nullptr) {
			dcmshim_seterr(err, errlen, "KOS: bad argument");
			return XDS_EINVAL;
		}
		std::memset(out, 0, sizeof *out);
		if ((c = ff.loadFile(path)).bad()) {
			std::string m = std::string(path) + ": " + c.text();
			dcmshim_seterr(err, errlen, m.c_str());
			return c == EC_InvalidFilename ? XDS_EIO :
			    XDS_EFORMAT;
		}
		if ((c = doc.read(*ff.getDataset())).bad() ||
		    doc.getDocumentType() !=
		    DSRTypes::DT_KeyObjectSelectionDocument) {
			dcmshim_seterr(err, errlen, "not a Key Object Selection "
			    "document");
			return XDS_EFORMAT;
		}
		DSRSOPInstanceReferenceList &ev =
		    doc.getCurrentRequestedProcedureEvidence();
		for (c = ev.gotoFirstItem(); c.good(); c = ev.gotoNextItem()) {
			if (ev.getStudyInstanceUID(study).empty() ||
			    ev.getSeriesInstanceUID(series).empty() ||
			    ev.getSOPClassUID(cls).empty() ||
			    ev.getSOPInstanceUID(sop).empty()) {
				dcmshim_seterr(err, errlen, "KOS: evidence item "
				    "without study, series, class or instance "
				    "UID");
				return XDS_EFORMAT;
			}
			ev.getRetrieveLocationUID(loc);
			if (n == 0) {
				if ((rc = copy_uid(study, out->study_uid,
				    "StudyInstanceUID", err, errlen)) != 0 ||
				    (!loc.empty() && (rc = copy_uid(loc,
				    out->location_uid, "RetrieveLocationUID", err,
				    errlen)) != 0))
					return rc;
			} else if (study != out->study_uid ||
			    loc != out->location_uid) {
				dcmshim_seterr(err, errlen, "KOS: references to "
				    "more than one study or retrieve location");
				return XDS_EFORMAT;
			}
			if (!dcmshim_uid_valid(series.c_str()) ||
			    !dcmshim_uid_valid(cls.c_str()) ||
			    !dcmshim_uid_valid(sop.c_str())) {
				dcmshim_seterr(err, errlen, "KOS: reference with "
				    "an invalid UID");
				return XDS_EFORMAT;
			}
			if (fn(arg, series.c_str(), cls.c_str(), sop.c_str()) !=
			    0) {
				dcmshim_seterr(err, errlen, "KOS: too many "
				    "references");
				return XDS_ETOOBIG;
			}
			n++;
		}
		if (n == 0) {
			dcmshim_seterr(err, errlen, "KOS: no referenced instances");
			return XDS_ENOTFOUND;
		}
		out->nrefs = n;
		return XDS_OK;
	} catch (...) {
		return dcmshim_exception(err, errlen);
	}
}

extern "C" int
dcmshim_store_scu(const struct dcmshim_scu_opts *o, const char *const *paths,
    size_t n, int *status, char *err, size_t errlen)
{
	try {
		std::vector<std::pair<std::string, std::string>> ctx;
		std::vector<size_t> pc_of(n);
		struct dcmshim_info info;
		DcmSCU scu;
		OFCondition c;
		size_t i, j;
		int rc;

		if (o == nullptr || o->host == nullptr || o->calling_ae ==
		    nullptr || o->called_ae == nullptr || o->port <= 0 ||
		    o->port > 65535 || (n > 0 && (paths == nullptr ||
		    status == nullptr))) {
			dcmshim_seterr(err, errlen, "C-STORE SCU: bad argument");
			return XDS_EINVAL;
		}
		for (i = 0; i < n; i++)
			status[i] = -1;
		if (n == 0)
			return XDS_OK;
		// One presentation context per (SOP class, transfer syntax)
		// pair, offering the file's own syntax: no transcoding.
		for (i = 0; i < n; i++) {
			if ((rc = dcmshim_parse_file(paths[i], &info, err,
			    errlen)) != 0)
				return rc;
			std::pair<std::string, std::string> p(info.sop_class,
			    info.transfer_syntax[0] ? info.transfer_syntax :
			    UID_LittleEndianImplicitTransferSyntax);
			for (j = 0; j < ctx.size() && ctx[j] != p; j++)
				;
			if (j == ctx.size()) {
				if (ctx.size() == DCMSHIM_SCU_MAX_CONTEXTS) {
					dcmshim_seterr(err, errlen, "C-STORE SCU: "
					    "more than 128 SOP class/transfer "
					    "syntax pairs");
					return XDS_ETOOBIG;
				}
				ctx.push_back(p);
			}
			pc_of[i] = j;
		}
		// DCMTK as Debian builds it leaves Nagle on unless TCP_NODELAY
		// is set: each C-STORE request would wait for a delayed ACK.
		setenv("TCP_NODELAY", "1", 0);
		scu.setAETitle(o->calling_ae);
		scu.setPeerAETitle(o->called_ae);
		scu.setPeerHostName(o->host);
		scu.setPeerPort((Uint16)o->port);
		scu.setACSETimeout(o->acse_timeout > 0 ?
		    (Uint32)o->acse_timeout : 30);
		scu.setDIMSETimeout(o->dimse_timeout > 0 ?
		    (Uint32)o->dimse_timeout : 60);
		scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
		scu.setVerbosePCMode(OFFalse);
		for (j = 0; j < ctx.size(); j++) {
			OFList<OFString> ts;

			ts.push_back(ctx[j].second.c_str());
			if ((c = scu.addPresentationContext(ctx[j].first.c_str(),
			    ts)).bad()) {
				dcmshim_seterr(err, errlen, c.text());
				return XDS_EINTERNAL;
			}
		}
		if ((c = scu.initNetwork()).bad()) {
			std::string m = std::string("C-STORE SCU: ") + c.text();
			dcmshim_seterr(err, errlen, m.c_str());
			return XDS_EUNAVAILABLE;
		}
		if ((c = scu.negotiateAssociation()).bad()) {
			std::string m = std::string("association with ") +
			    o->called_ae + "@" + o->host + ":" +
			    std::to_string(o->port) + ": " + c.text();
			dcmshim_seterr(err, errlen, m.c_str());
			return XDS_EUNAVAILABLE;
		}
		rc = XDS_OK;
		for (i = 0; i < n; i++) {
			T_ASC_PresentationContextID pc;
			Uint16 rsp = 0;

			pc = scu.findPresentationContextID(
			    ctx[pc_of[i]].first.c_str(),
			    ctx[pc_of[i]].second.c_str());
			if (pc == 0) {
				status[i] = -2;	// context refused by the peer
			} else if ((c = scu.sendSTORERequest(pc, paths[i],
			    nullptr, rsp)).bad()) {
				std::string m = std::string("C-STORE ") +
				    paths[i] + ": " + c.text();
				dcmshim_seterr(err, errlen, m.c_str());
				rc = XDS_EUNAVAILABLE;
				break;
			} else
				status[i] = rsp;
			if (o->on_sent != nullptr)
				o->on_sent(o->arg, i, status[i]);
		}
		if (rc == XDS_OK)
			scu.releaseAssociation();
		else
			scu.abortAssociation();
		return rc;
	} catch (...) {
		return dcmshim_exception(err, errlen);
	}
}
