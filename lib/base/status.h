/*
 * status.h: the one status type of the libraries, in the manner of
 * curl's CURLcode and SQLite's result codes.
 *
 * A function that can fail returns XDS_OK (0) or one of the negative
 * codes below, and writes text for its consumer into a caller's
 * "char *err, size_t errlen".  The code says what kind of failure it is
 * (what a caller decides on: retry, 413, which XDS error code); the text
 * says what exactly failed.  xds_strstatus() gives a code's text,
 * xds_status_errcode() the RegistryError/@errorCode an actor reports.
 */
#ifndef XDS_STATUS_H
#define XDS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum xds_status {
	XDS_OK = 0,
	XDS_ERR = -1,		/* failed; err says why (no finer class) */
	XDS_ENOMEM = -2,	/* out of memory */
	XDS_EIO = -3,		/* file, socket or database I/O */
	XDS_EFORMAT = -4,	/* malformed input: XML, MIME, HL7, base64, DICOM */
	XDS_ETOOBIG = -5,	/* input over its limit */
	XDS_ENOTFOUND = -6,	/* no such object, file or row */
	XDS_EEXIST = -7,	/* exists already */
	XDS_EBUSY = -8,		/* locked past the busy timeout */
	XDS_ETIMEOUT = -9,	/* a deadline passed */
	XDS_EUNAVAILABLE = -10,	/* a peer gave no answer, and the request
				   certainly did not reach it (refused,
				   unresolvable, TLS handshake failed) */
	XDS_EUNCERTAIN = -11,	/* a peer gave no answer, but the request
				   may have reached it (timeout after
				   sending, connection lost): the caller
				   must keep what the peer may now refer to */
	XDS_EANSWER = -12,	/* a peer answered, but not as its protocol
				   says (not SOAP, bad MTOM, too large) */
	XDS_EINVAL = -13,	/* bad argument or configuration value */
	XDS_EUNSUPPORTED = -14,	/* valid, but not supported here */
	XDS_EINTERNAL = -15,	/* a bug, or a library failed unexpectedly */
	XDS_EDENIED = -16,	/* refused by policy: this peer may not ask
				   this (the gateways' policy point) */
	XDS_ESECURITY = -17,	/* a security header is missing or cannot
				   be processed (WS-Security
				   InvalidSecurity) */
	XDS_EAUTH = -18,	/* a security token does not authenticate:
				   forged, untrusted, expired, not for us
				   (WS-Security FailedAuthentication) */
};
#define XDS_STATUS_MIN	XDS_EAUTH

/* A short text for st ("out of memory"); "unknown status" outside the
 * enum.  Static storage. */
const char *xds_strstatus(int st);

/* Which actor reports a failure (the XDS error codes are per actor). */
enum xds_actor {
	XDS_ACTOR_REGISTRY,
	XDS_ACTOR_REPOSITORY,
	XDS_ACTOR_GATEWAY,
};

/*
 * The error code an actor puts in a RegistryError for a failure of kind
 * st (ITI TF-3 Table 4.2.4.1-2): XDS_ENOMEM and XDS_ETOOBIG are
 * ...OutOfResources, XDS_EBUSY ...Busy; a peer that gave no usable answer
 * (XDS_EUNAVAILABLE, XDS_EUNCERTAIN, XDS_ETIMEOUT, XDS_EANSWER) is
 * XDSRegistryNotAvailable for a repository (its peer is its registry)
 * and XDSUnavailableCommunity for a gateway; anything else is
 * XDSRegistryError or XDSRepositoryError (a gateway reports
 * XDSRegistryError).  Static storage.
 */
const char *xds_status_errcode(int st, enum xds_actor who);

#ifdef __cplusplus
}
#endif

#endif
