/*
 * publish.h: a ready study of the DICOM bridge becomes a KOS manifest
 * registered by RAD-68 (publish.c), and the pure parsers of what a
 * repository answers to it.
 *
 * A ready study is published: a KOS manifest of all its instances goes
 * by RAD-68 to the repository of this node in process, or to
 * dicom.repository_url over MTOM/HTTPS, as struct publish_links says.
 * Instances that arrive later make the study receiving again; its next
 * manifest replaces the published entry (RPLC).
 *
 * Publication is idempotent across lost answers and crashes: before a
 * manifest is sent, its identity (KOS SOP UID = uniqueId, entryUUID,
 * SubmissionSet uniqueId, the study's instance revision) is recorded as
 * the study's attempt (bridge_db.h); until an answer settles it, every
 * retry sends that same KOS under the same identifiers, and a registry
 * that already holds it says so (XDSDuplicateUniqueIdInRegistry): see
 * publish_study.
 */
#ifndef XDS_PUBLISH_H
#define XDS_PUBLISH_H

#include <stddef.h>

#include "conf.h"
#include "dcmshim.h"

struct bridge_db;
struct soap_peer;

/*
 * Where manifests go: the peer of the repository (soap_peer.h), made by
 * the node: this node's repository in process (its ITI-41 route takes
 * RAD-68) when dicom.repository_url is empty, else that URL over MTOM
 * with the node's TLS client certificate (http.cert/http.key/http.ca, as
 * repository.registry_url).  NULL when there is none (no repository runs
 * here): studies then wait as ready.  Each RAD-68 is closed (audited)
 * with xact_end.
 */
struct publish_links {
	struct soap_peer	*repository;
};

/* 1 when manifests have somewhere to go with this configuration. */
int	publish_links_usable(const struct conf *conf,
	    const struct publish_links *links);

/*
 * Publish a study: a KOS of all its instances (Retrieve AE Title
 * dicom.ae_title, Retrieve Location UID dicom.retrieve_location_uid or
 * repository.unique_id) written to state_dir/dicom/kos/<uid>.dcm, and a
 * RAD-68 Provide and Register with the XDS-I.b DocumentEntry (bsn patient,
 * studyInstanceUID and accession in referenceIdList (see
 * publish_accession_cxi), KOS formatCode, dicom.language_code,
 * dicom.class_code/type_code/facility_code/practice_code, modalities in
 * eventCodeList, serviceStartTime from StudyDate/StudyTime, uniqueId = the
 * KOS SOP Instance UID), replacing (RPLC) the study's previous entry if it
 * has one, sent to links->repository (in process, or to
 * dicom.repository_url).  On Success the study
 * table records the entry.  Returns 0, or -1 with the reason in err (a
 * Failure's first error, a SOAP fault's reason, or why there was no
 * answer): the caller retries later.  One RAD-68 audit record per
 * request sent.
 *
 * Idempotence: the manifest is recorded as the study's attempt
 * (bridge_db_attempt) before it is sent.  An attempt is settled by
 * Success or PUBLISH_RAD68_REGISTERED (published with its ids), or by
 * PUBLISH_RAD68_REJECTED (dropped with its KOS file: a new manifest next
 * time); any other outcome (no answer, fault, transient error) keeps it,
 * and the next call sends the same KOS bytes under the same uniqueId,
 * entryUUID and SubmissionSet uniqueId.  When instances were added since
 * the attempt, the attempt is settled first that way and, once it is,
 * a new manifest for all instances replaces whatever is then published.
 */
int	publish_study(const struct conf *conf, struct bridge_db *db,
	    const struct publish_links *links, const char *study_uid,
	    char *err, size_t errlen);

/*
 * The referenceIdList CXi of an accession number (ITI TF-3 4.2.3.2.28,
 * RAD TF-3 4.68): "ACC^^^&OID&ISO^urn:ihe:iti:xds:2013:accession" when the
 * IssuerOfAccessionNumberSequence names an ISO OID, else with
 * default_oid (dicom.accession_issuer: the hospital's own, for PACS that
 * send no issuer) when it is not empty, else "ACC^^^NS^..." when the
 * header names only a local namespace.  An accession number without any
 * issuer is not globally unique and is left out (returns 1, out "").
 * HL7 delimiters in the values are escaped (\S\ \T\ \E\ \R\ \F\).  Returns
 * 0, 1 when there is nothing to list (out ""), -1 when out is too small.
 */
int	publish_accession_cxi(const struct dcmshim_info *h,
	    const char *default_oid, char *out,
	    size_t outsz);

/*
 * The outcome in a RAD-68 answer: a bare rs:RegistryResponse (in process)
 * or a SOAP 1.2 envelope whose Body holds one, or a soap:Fault.  Returns
 * 1 for Success, 0 otherwise with the first error (code: context), the
 * fault reason or what is wrong with the answer in err.  Pure.
 */
int	publish_rad68_reply(const char *data, size_t len, char *err,
	    size_t errlen);

/*
 * What a RAD-68 answer says about the manifest sent, given its KOS
 * uniqueId and SubmissionSet uniqueId (either may be NULL):
 *   PUBLISH_RAD68_SUCCESS	registered now
 *   PUBLISH_RAD68_REGISTERED	Failure with XDSDuplicateUniqueIdInRegistry
 *				naming ss_uid or unique_id: an earlier send
 *				of this very submission is registered (ITI TF-3
 *				4.2.4: a SubmissionSet uniqueId is unique; some
 *				registries say the same of a DocumentEntry's)
 *   PUBLISH_RAD68_REJECTED	Failure whose errors (at least one) are all
 *				neither of the above nor transient: not
 *				registered, now or before
 *   PUBLISH_RAD68_UNKNOWN	anything else: a fault, no RegistryResponse,
 *				PartialSuccess, a Failure without errors or with
 *				a transient one (XDSRegistryNotAvailable,
 *				-Error, -Busy, -OutOfResources, XDSRepository-
 *				Error, -Busy, -OutOfResources)
 * err: the deciding error (code: context), the fault reason or what is
 * wrong with the answer.  Pure.
 */
enum publish_rad68_outcome {
	PUBLISH_RAD68_SUCCESS = 0,
	PUBLISH_RAD68_REGISTERED,
	PUBLISH_RAD68_REJECTED,
	PUBLISH_RAD68_UNKNOWN
};
enum publish_rad68_outcome publish_rad68_outcome(const char *data, size_t len,
	    const char *unique_id, const char *ss_uid, char *err,
	    size_t errlen);

#endif /* XDS_PUBLISH_H */
