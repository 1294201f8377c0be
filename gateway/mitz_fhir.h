/*
 * mitz_fhir.h: Mitz's subscriptions and notifications as FHIR R4 JSON,
 * pure functions (jansson): the Subscription this node posts for a
 * patient whose first document it registered, the id in Mitz's answer,
 * and the notification Bundle Mitz posts to /mitz/notify when a
 * patient's consent changed.
 */
#ifndef XDS_MITZ_FHIR_H
#define XDS_MITZ_FHIR_H

#include <stddef.h>

struct buf;

#define MITZ_BSN_LEN		9
#define MITZ_SUB_ID_MAX		65	/* a FHIR id: 64 characters */
#define MITZ_NOTIFY_MAX_ENTRIES	1024	/* entries of a notification */
#define MITZ_NOTIFY_MAX_PATIENTS 256	/* patients of a notification */

/* What a subscription says; the OIDs as FHIR oid values (urn:oid:...). */
struct mitz_sub {
	const char	*bsn;
	const char	*ura;		/* this data holder */
	const char	*org_type;	/* its zorgaanbiedertype */
	const char	*notify_url;	/* where Mitz posts notifications */
	const char	*gateway_oid;	/* GatewaySystem: our home community */
	const char	*source_oid;	/* SourceSystem */
};

/*
 * The Subscription (status requested, reason OTV, the criteria, a
 * rest-hook channel with payload application/fhir+json, the GatewaySystem
 * and SourceSystem extensions) as JSON into out.  XDS_OK, XDS_EINVAL (a
 * field missing or not a BSN), XDS_ENOMEM or XDS_ETOOBIG, with err.
 */
int	mitz_sub_json(const struct mitz_sub *, struct buf *out, char *err,
	    size_t errlen);

/*
 * The id of the Subscription in Mitz's answer (201, or 202 for one that
 * existed) into id; an empty answer gives "".  XDS_OK, or XDS_EFORMAT
 * with err for an answer that is not a Subscription or whose id is not
 * a FHIR id.
 */
int	mitz_sub_answer_id(const char *buf, size_t len, char *id, size_t idlen,
	    char *err, size_t errlen);

/* The patients a notification names, each once. */
struct mitz_notify {
	size_t	nconsent;	/* its Consent resources */
	size_t	npatient;
	char	bsn[MITZ_NOTIFY_MAX_PATIENTS][MITZ_BSN_LEN + 1];
};

/*
 * Read a notification: a Bundle of type transaction whose entries hold
 * at least one Consent; each Consent's patient is a BSN, as an
 * identifier of the reference or as the Patient entry it refers to (by
 * fullUrl or Patient/id).  Other resources are passed over.  XDS_OK, or
 * XDS_EFORMAT (XDS_ETOOBIG past the bounds above) with a short reason in
 * err that names no patient.
 */
int	mitz_notify_parse(const char *buf, size_t len, struct mitz_notify *out,
	    char *err, size_t errlen);

#endif
