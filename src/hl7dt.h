/*
 * hl7dt.h: HL7 v2 datatypes used in XDS metadata, and identifiers.
 * Pure functions on (buf, len); no I/O, no globals.  Each returns 0 when
 * valid (filling the out struct if given) or -1 with a reason in err.
 */
#ifndef XDS_HL7DT_H
#define XDS_HL7DT_H

#include <stddef.h>

#define HL7_ID_MAX	256

/* CX: id^^^&OID&ISO (XDS patient id).  Components 2,3 empty; 4 the
 * assigning authority with universal id and type ISO. */
struct hl7_cx {
	char	id[HL7_ID_MAX];
	char	aa_oid[HL7_ID_MAX];	/* universal id of the authority */
	char	id_type[64];		/* CX.5 when present (referenceIdList) */
};
int	hl7_cx_parse(const char *s, size_t len, struct hl7_cx *out,
	    char *err, size_t errlen);
/* Canonical "id^^^&oid&ISO" for storage and comparison. */
int	hl7_cx_format(const struct hl7_cx *cx, char *out, size_t outsz);

/* DTM: YYYY[MM[DD[hh[mm[ss]]]]] (XDS: UTC, no fraction, no zone).
 * Normalised form pads to 14 digits so text order equals time order:
 * "from" bounds pad with the earliest value, "to" with the earliest too
 * (callers compare From <= t < To). */
int	hl7_dtm_valid(const char *s, size_t len, char *err, size_t errlen);
int	hl7_dtm_norm(const char *s, size_t len, char out[15]);

/* OID: digits and dots, no leading zeros in arcs, <= 64 chars. */
int	hl7_oid_valid(const char *s, size_t len, char *err, size_t errlen);
/* uniqueId of a DocumentEntry: OID or OID^extension, <= 128 chars. */
int	hl7_uniqueid_valid(const char *s, size_t len, char *err, size_t errlen);
/* "urn:uuid:" + RFC 4122 text form (case-insensitive hex). */
int	hl7_uuid_valid(const char *s, size_t len);
/* Fresh random "urn:uuid:..." (v4) into out[46]. */
int	hl7_uuid_new(char out[46]);

/* XCN (authorPerson, legalAuthenticator): at least id or family name. */
int	hl7_xcn_valid(const char *s, size_t len, char *err, size_t errlen);
/* XON (authorInstitution): organisation name required. */
int	hl7_xon_valid(const char *s, size_t len, char *err, size_t errlen);

/* Dutch BSN: 9 digits passing the 11-check. */
int	hl7_bsn_valid(const char *s, size_t len);

#endif
