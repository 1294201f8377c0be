// dcmkos.cc: a Key Object Selection document read back for checking
// (dcmshim_kos_inspect): its title, template, evidence and content
// references, flattened into plain C lists.  The checks themselves are
// the caller's (check/check_kos.c); this file only reads.
#include "dcmtk/config/osconfig.h"
#include <cstdlib>
#include <cstring>
#include <new>
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmshim.h"
#include "dcmshim_int.h"

// One more entry of list (cap DCMSHIM_KOS_MAX_REFS), or nullptr.
static struct dcmshim_kos_inst *
kos_add(struct dcmshim_kos_inst **list, size_t *n, int *truncated)
{
	struct dcmshim_kos_inst *v;

	if (*n >= DCMSHIM_KOS_MAX_REFS) {
		*truncated = 1;
		return nullptr;
	}
	v = static_cast<struct dcmshim_kos_inst *>(std::realloc(*list,
	    (*n + 1) * sizeof **list));
	if (v == nullptr)
		throw std::bad_alloc();
	*list = v;
	std::memset(&v[*n], 0, sizeof v[*n]);
	return &v[(*n)++];
}

// The evidence: study items, their series items, their instances.
static void
kos_evidence(DcmDataset *ds, struct dcmshim_kos_doc *out)
{
	DcmSequenceOfItems *st = nullptr, *se, *in;
	unsigned long i, j, k;

	if (ds->findAndGetSequence(DCM_CurrentRequestedProcedureEvidenceSequence,
	    st).bad() || st == nullptr)
		return;
	for (i = 0; i < st->card(); i++) {
		DcmItem *sti = st->getItem(i);

		se = nullptr;
		if (sti == nullptr || sti->findAndGetSequence(
		    DCM_ReferencedSeriesSequence, se).bad() || se == nullptr)
			continue;
		for (j = 0; j < se->card(); j++) {
			DcmItem *sei = se->getItem(j);

			in = nullptr;
			if (sei == nullptr || sei->findAndGetSequence(
			    DCM_ReferencedSOPSequence, in).bad() || in == nullptr)
				continue;
			for (k = 0; k < in->card(); k++) {
				DcmItem *ii = in->getItem(k);
				struct dcmshim_kos_inst *r;

				if (ii == nullptr || (r = kos_add(&out->evidence,
				    &out->nevidence, &out->truncated)) == nullptr)
					continue;
				dcmshim_get_soft(sti, DCM_StudyInstanceUID,
				    r->study_uid, sizeof r->study_uid);
				dcmshim_get_soft(sei, DCM_SeriesInstanceUID,
				    r->series_uid, sizeof r->series_uid);
				dcmshim_get_soft(sei, DCM_RetrieveLocationUID,
				    r->retrieve_location_uid,
				    sizeof r->retrieve_location_uid);
				dcmshim_get_soft(sei, DCM_RetrieveAETitle,
				    r->retrieve_ae, sizeof r->retrieve_ae);
				dcmshim_get_soft(ii, DCM_ReferencedSOPClassUID,
				    r->sop_class, sizeof r->sop_class);
				dcmshim_get_soft(ii, DCM_ReferencedSOPInstanceUID,
				    r->sop_uid, sizeof r->sop_uid);
			}
		}
	}
}

// The root's content items that reference instances (IMAGE, COMPOSITE).
static void
kos_content(DcmDataset *ds, struct dcmshim_kos_doc *out)
{
	DcmSequenceOfItems *cs = nullptr, *rs;
	unsigned long i, k;
	char vt[17];

	if (ds->findAndGetSequence(DCM_ContentSequence, cs).bad() ||
	    cs == nullptr)
		return;
	for (i = 0; i < cs->card(); i++) {
		DcmItem *ci = cs->getItem(i);

		if (ci == nullptr)
			continue;
		dcmshim_get_soft(ci, DCM_ValueType, vt, sizeof vt);
		rs = nullptr;
		if ((std::strcmp(vt, "IMAGE") != 0 &&
		    std::strcmp(vt, "COMPOSITE") != 0) ||
		    ci->findAndGetSequence(DCM_ReferencedSOPSequence,
		    rs).bad() || rs == nullptr)
			continue;
		for (k = 0; k < rs->card(); k++) {
			DcmItem *ri = rs->getItem(k);
			struct dcmshim_kos_inst *r;

			if (ri == nullptr || (r = kos_add(&out->content,
			    &out->ncontent, &out->truncated)) == nullptr)
				continue;
			dcmshim_get_soft(ri, DCM_ReferencedSOPClassUID,
			    r->sop_class, sizeof r->sop_class);
			dcmshim_get_soft(ri, DCM_ReferencedSOPInstanceUID,
			    r->sop_uid, sizeof r->sop_uid);
		}
	}
}

extern "C" int
dcmshim_kos_inspect(const void *buf, size_t len, struct dcmshim_kos_doc *out,
    char *err, size_t errlen)
{
	int rc;

	if (out == nullptr) {
		dcmshim_seterr(err, errlen, "no output");
		return XDS_EINVAL;
	}
	std::memset(out, 0, sizeof *out);
	// The lengths are checked there, before DCMTK reads from memory.
	if ((rc = dcmshim_parse_mem(buf, len, &out->header, err, errlen)) != 0)
		return rc;
	if (std::strcmp(out->header.transfer_syntax,
	    UID_DeflatedExplicitVRLittleEndianTransferSyntax) == 0) {
		dcmshim_seterr(err, errlen, "a deflated KOS is not read");
		return XDS_EUNSUPPORTED;
	}
	try {
		DcmInputBufferStream in;
		DcmFileFormat ff;
		DcmDataset *ds;
		DcmItem *it = nullptr;
		OFCondition c;

		in.setBuffer(buf, static_cast<offile_off_t>(len));
		in.setEos();
		ff.transferInit();
		c = ff.read(in, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
		ff.transferEnd();
		if (c.bad()) {
			dcmshim_seterr(err, errlen, c.text());
			return XDS_EFORMAT;
		}
		ds = ff.getDataset();
		dcmshim_get_soft(ds, DCM_ValueType, out->value_type,
		    sizeof out->value_type);
		if (ds->findAndGetSequenceItem(DCM_ConceptNameCodeSequence, it,
		    0).good() && it != nullptr) {
			dcmshim_get_soft(it, DCM_CodeValue, out->title_code,
			    sizeof out->title_code);
			dcmshim_get_soft(it, DCM_CodingSchemeDesignator,
			    out->title_scheme, sizeof out->title_scheme);
		}
		it = nullptr;
		if (ds->findAndGetSequenceItem(DCM_ContentTemplateSequence, it,
		    0).good() && it != nullptr)
			dcmshim_get_soft(it, DCM_TemplateIdentifier,
			    out->template_id, sizeof out->template_id);
		kos_evidence(ds, out);
		kos_content(ds, out);
		rc = XDS_OK;
	} catch (...) {
		rc = dcmshim_exception(err, errlen);
	}
	return rc;
}

extern "C" void
dcmshim_kos_doc_free(struct dcmshim_kos_doc *k)
{
	if (k == nullptr)
		return;
	std::free(k->evidence);
	std::free(k->content);
	k->evidence = k->content = nullptr;
	k->nevidence = k->ncontent = 0;
}
