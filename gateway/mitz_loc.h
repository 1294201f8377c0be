/*
 * mitz_loc.h: the open question to Mitz (localisation) as messages, pure
 * (no I/O): the IHE XCPD ITI-56 PatientLocationQueryRequest the
 * initiating gateway sends for a patient's BSN, and the communities of
 * Mitz's PatientLocationQueryResponse: those that hold data of the
 * patient this requester may see.  An empty answer means no location or
 * no consent; Mitz does not say which.
 */
#ifndef XDS_MITZ_LOC_H
#define XDS_MITZ_LOC_H

#include <stddef.h>
#include <libxml/tree.h>

#include "directory.h"	/* DIR_HCID_MAX */

#define MITZ_LOC_MAX		64	/* communities of an answer */

struct mitz_loc {
	size_t	n;
	char	hcid[MITZ_LOC_MAX][DIR_HCID_MAX];	/* each once */
};

/*
 * The PatientLocationQueryRequest for bsn (RequestedPatientId root the
 * BSN's OID, assigningAuthorityName NLMINBIZA) as a new document *out.
 * XDS_OK, XDS_EINVAL (not a BSN) or XDS_ENOMEM with err.
 */
int	mitz_loc_build(const char *bsn, xmlDoc **out, char *err,
	    size_t errlen);

/*
 * Read Mitz's answer: env is the SOAP envelope's root element; when
 * message_id is not NULL, its wsa:RelatesTo must be that.  The
 * HomeCommunityId of each PatientLocationResponse (urn:oid:...) into
 * out.  XDS_OK (none is an answer too), XDS_EFORMAT (not a
 * PatientLocationQueryResponse, a HomeCommunityId that is not one, the
 * wrong RelatesTo) or XDS_ETOOBIG (more than MITZ_LOC_MAX) with err.
 */
int	mitz_loc_read(xmlNode *env, const char *message_id,
	    struct mitz_loc *out, char *err, size_t errlen);
/* The same from the envelope as bytes (tests, fuzzing). */
int	mitz_loc_parse(const char *buf, size_t len, const char *message_id,
	    struct mitz_loc *out, char *err, size_t errlen);

#endif
