/*
 * atna.h: the ATNA audit message of a transaction (DICOM PS3.15 A.5, the
 * successor of RFC 3881), as IHE ITI TF-2 asks for each transaction and
 * side, built from the same struct xact the access log records.
 *
 * The side is the node's: a transaction with an endpoint path ("/xds/...")
 * is one the node answered (it is the destination), one begun with
 * xact_begin_out or without such a path one the node started (it is the
 * source; the home community id of an XCA object is then the community
 * asked, x->community).  Only IHE transactions have a message;
 * requests refused before dispatch, health probes and metrics have none.
 */
#ifndef XDS_ATNA_H
#define XDS_ATNA_H

struct buf;
struct xact;

/* Who this node is in its messages; "" or NULL for what it lacks. */
struct atna_site {
	const char	*source_id;	/* AuditSourceID, e.g. the host name */
	const char	*site_id;	/* AuditEnterpriseSiteID */
	const char	*host;		/* the node's network access point */
	const char	*home_community_id;
	const char	*repository_uid;	/* repository.unique_id */
	long		 pid;		/* AlternativeUserID of the node */
};

/*
 * Append the AuditMessage of x, closed at when (ISO 8601 UTC with
 * milliseconds, e.g. the access log record's time), to out.  XDS_OK;
 * XDS_ENOTFOUND when x is not an IHE transaction (nothing appended);
 * XDS_ETOOBIG or XDS_ENOMEM.  A pure function.
 */
int	atna_message(const struct xact *x, const char *when,
	    const struct atna_site *site, struct buf *out);

#endif
