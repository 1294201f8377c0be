/*
 * validate.h: XDS metadata validation of a submission that needs no
 * database (rules R1, R2, R5 in bsn mode, R6, R9, R11 of validate.c).
 * Pure: used by the registry (ITI-42) and offline by `xdsctl validate
 * FILE`.
 */
#ifndef XDS_VALIDATE_H
#define XDS_VALIDATE_H

#include <stddef.h>

#include "status.h"

struct rim_list;
struct rim_object;
struct rim_errors;

/* What a top-level object is in XDS terms; the values are the
 * registry_object.kind column of schema.sql. */
enum xds_kind {
	XDS_UNKNOWN = 0,
	XDS_DOCENTRY = 1,
	XDS_SUBMISSIONSET = 2,
	XDS_FOLDER = 3,
	XDS_ASSOCIATION = 4,
};

struct validate_opts {
	/* R5, registry.patient_ids = bsn: every patient id must be a BSN
	 * (assigning authority OID_BSN, 9 digits passing the 11-check),
	 * else XDSUnknownPatientId. */
	int	bsn_patients;
	/* Document Source metadata as sent to a repository (ITI-41): hash,
	 * size and repositoryUniqueId are not required.  0 for ITI-42. */
	int	source_metadata;
	/* ITI-57 Metadata Update: UpdateAvailabilityStatus associations
	 * are allowed here (registry/update.c checks them). */
	int	metadata_update;
};

/* A submission with errors: what validate_submission found (> 0). */
enum validate_status {
	VALIDATE_INVALID = 1,	/* errors were added to errs */
};

/*
 * Check the submission l.  Every finding is added to errs (code from
 * vocab.h, codeContext naming the object id and the attribute); all
 * findings are reported, not only the first.  XDS_OK when there is no
 * error (warnings may have been added), VALIDATE_INVALID, or XDS_ENOMEM.
 */
int	validate_submission(const struct rim_list *l,
	    const struct validate_opts *o, struct rim_errors *errs);

/* The XDS kind of a top-level object of l: ExtrinsicObject ->
 * XDS_DOCENTRY, RegistryPackage classified (nested or top-level) as
 * SubmissionSet / Folder, Association; else XDS_UNKNOWN. */
enum xds_kind validate_kind(const struct rim_list *l,
	    const struct rim_object *o);

/* "DocumentEntry", "SubmissionSet", "Folder", "Association" or "object":
 * for error texts. */
const char *validate_kind_name(enum xds_kind);

/* The canonical patient id ("id^^^&oid&ISO") of a DE, SS or Folder into
 * out; -1 when absent or malformed. */
int	validate_patient(const struct rim_object *o, enum xds_kind k,
	    char *out, size_t outsz);
/* The uniqueId ExternalIdentifier value of a DE, SS or Folder, or NULL. */
const char *validate_unique_id(const struct rim_object *o, enum xds_kind k);

#endif
