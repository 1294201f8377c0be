/*
 * mitz_msg.h: the closed question to Mitz (the consent register) as
 * messages, pure (no I/O): the XACMLAuthzDecisionQuery the responding
 * gateway sends (XACML 3.0 in the SAML 2.0 profile of XACML) and the
 * XACML Response it reads back.  consent.c asks; this file only writes
 * and reads.
 */
#ifndef XDS_MITZ_MSG_H
#define XDS_MITZ_MSG_H

#include <stddef.h>
#include <libxml/tree.h>

#define MITZ_ID_MAX	40	/* a URA, an UZI number, a code */

/*
 * Who asks: the requesting organisation and professional, from a
 * verified X-User Assertion (ITI-40) or from the configuration matched on
 * the peer's certificate subject; source says which.
 */
struct mitz_requester {
	char	 ura[MITZ_ID_MAX];	/* organisation, URA */
	char	 org_type[MITZ_ID_MAX];	/* its zorgaanbiedertype */
	char	 role[MITZ_ID_MAX];	/* UZI role (RoleCodeNL) */
	char	 professional[MITZ_ID_MAX];	/* responsible, UZI
					   number; "": none known */
	char	 mandated[MITZ_ID_MAX];	/* acting for them, or "" */
	const char *source;		/* "xua", "consent.requesters" */
	char	 purpose[MITZ_ID_MAX];	/* the assertion's purpose of use
					   (TREAT, COC); "": consent.purpose */
};

/* One closed question: may requester see category of patient bsn, held
 * by the organisation holder_ura of type holder_type? */
struct mitz_question {
	const char		*bsn;		/* 9 digits */
	const char		*holder_ura;
	const char		*holder_type;
	const struct mitz_requester *requester;
	const char		*category;	/* GGC002, ... */
	const char		*purpose;	/* TREAT or COC */
	const char		*id;		/* the query's ID, an
						   NCName */
	const char		*instant;	/* its IssueInstant,
						   xs:dateTime */
};

/* The answers of the XACML decision, and what was not one. */
enum mitz_decision {
	MITZ_PERMIT = 0,
	MITZ_DENY,
	MITZ_NOT_APPLICABLE,
	MITZ_INDETERMINATE,
	MITZ_NO_ANSWER,		/* none came: timeout, TLS, a fault, a
				   message that is not an answer */
	MITZ_NDECISIONS
};

/* "Permit", "Deny", "NotApplicable", "Indeterminate", "no answer". */
const char *mitz_decision_name(enum mitz_decision);

/*
 * The types:XACMLAuthzDecisionQuery element for q, as a new document
 * (its root).  Every field of q must be set (requester->professional
 * and ->mandated may be ""); XDS_OK, XDS_EINVAL with the reason (a
 * missing or too long field, a BSN that is not 9 digits), XDS_ENOMEM.
 */
int	mitz_query_build(const struct mitz_question *q, xmlDoc **out,
	    char *err, size_t errlen);

/*
 * The decision in Mitz's answer: the body element under n (the SOAP body
 * element itself, or a node above it) holding an XACML Response with its
 * Results.  One Result: its Decision; several: Permit only when every
 * one is Permit, else the first that is not.  XDS_OK with *d set, or
 * XDS_EFORMAT with the reason (no Response, no Result, a Decision that
 * is not one of the four) and *d MITZ_NO_ANSWER.
 */
int	mitz_answer_read(xmlNode *n, enum mitz_decision *d, char *err,
	    size_t errlen);
/* The same from the whole SOAP envelope as bytes (tests, fuzzing). */
int	mitz_answer_parse(const char *buf, size_t len, enum mitz_decision *d,
	    char *err, size_t errlen);

#endif
