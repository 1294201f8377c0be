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
 * assigning authority with universal id and type ISO and no namespace id;
 * nothing after component 4 (empty trailing components are tolerated).
 * id_type is left "" (see hl7_cxi_parse). */
struct hl7_cx {
	char	id[HL7_ID_MAX];
	char	aa_oid[HL7_ID_MAX];	/* universal id of the authority */
	char	id_type[64];		/* CX.5 when present (referenceIdList) */
};
int	hl7_cx_parse(const char *s, size_t len, struct hl7_cx *out,
	    char *err, size_t errlen);
/* CXi (DocumentEntry referenceIdList, ITI TF-3 4.2.3.2.28): id^^^[HD]^type
 * with CX.5 required (fills id_type); CX.4 optional (namespace id allowed,
 * else &OID&ISO); CX.6 and later are accepted and not kept. */
int	hl7_cxi_parse(const char *s, size_t len, struct hl7_cx *out,
	    char *err, size_t errlen);
/* Canonical "id^^^&oid&ISO" for storage and comparison ("^type" appended
 * when id_type is set).  -1 when it does not fit in outsz. */
int	hl7_cx_format(const struct hl7_cx *cx, char *out, size_t outsz);

/* DTM: YYYY[MM[DD[hh[mm[ss]]]]] (XDS: UTC, no fraction, no zone).
 * Normalised form pads to 14 digits so text order equals time order:
 * "from" bounds pad with the earliest value, "to" with the earliest too
 * (callers compare From <= t < To). */
int	hl7_dtm_valid(const char *s, size_t len, char *err, size_t errlen);
int	hl7_dtm_norm(const char *s, size_t len, char out[15]);

/* OID: digits and dots, no leading zeros in arcs, at least two arcs,
 * <= 64 chars.  The first arc is not limited to 0-2 (real test data uses
 * e.g. 3.4.5 and the NIST toolkit accepts it). */
int	hl7_oid_valid(const char *s, size_t len, char *err, size_t errlen);
/* uniqueId of a DocumentEntry: OID or OID^extension, <= 128 chars; the
 * extension at most 16 UTF-8 characters (ITI TF-3 4.2.3.2.26), no space,
 * control character, '^' or '&'. */
int	hl7_uniqueid_valid(const char *s, size_t len, char *err, size_t errlen);
/* "urn:uuid:" + RFC 4122 text form (case-insensitive hex; the prefix
 * itself lower case).  0 when valid, -1 when not. */
int	hl7_uuid_valid(const char *s, size_t len);
/* Fresh random "urn:uuid:..." (v4, lower case, getrandom(2)) into
 * out[46]; -1 if no randomness is available. */
int	hl7_uuid_new(char out[46]);

/* XCN (authorPerson, legalAuthenticator): at least id or family name;
 * an ISO assigning authority (XCN.9) must name an OID. */
int	hl7_xcn_valid(const char *s, size_t len, char *err, size_t errlen);
/* XON (authorInstitution): organisation name required; only XON.1, .6
 * and .10 may be valued; a non-OID XON.10 needs XON.6 = &OID&ISO. */
int	hl7_xon_valid(const char *s, size_t len, char *err, size_t errlen);

/* A language tag (RFC 5646, loosely, as XDS languageCode): subtags of 1
 * to 8 letters or digits joined by "-", the first of letters only, at
 * most 31 characters in all.  0 when valid, -1 when not. */
#define HL7_LANG_MAX	31
int	hl7_lang_valid(const char *s, size_t len);

/* Dutch BSN: 9 digits passing the 11-check (weights 9..2 and -1);
 * 000000000 is refused.  0 when valid, -1 when not. */
int	hl7_bsn_valid(const char *s, size_t len);

#endif
