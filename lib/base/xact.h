/*
 * xact.h: one transaction, inbound or outbound (docs/architecture.md 2).
 *
 * Created by the transport for every request, filled on the way by the
 * SOAP layer and the actor (patient, object, outcome, error codes), and
 * closed exactly once: xact_end() hands it to the sink the node
 * registered, which writes the one audit record.
 */
#ifndef XDS_XACT_H
#define XDS_XACT_H

#include <time.h>

struct conf;

enum xact_outcome {
	XACT_SUCCESS = 0,	/* NEN 7513 / ATNA EventOutcomeIndicator 0 */
	XACT_PARTIAL,		/* PartialSuccess: 4 (minor failure) */
	XACT_FAILURE,		/* Failure in a RegistryResponse: 8 */
	XACT_FAULT,		/* SOAP fault or HTTP error: 8 */
};

struct xact {
	char	txn[16];		/* "ITI-42", "HTTP" before dispatch */
	char	action[160];		/* request wsa:Action, or "" */
	char	endpoint[64];		/* "/xds/registry" */
	char	peer[256];		/* client certificate subject or "anonymous" */
	char	peer_addr[64];		/* client IP address */
	char	peer_uzi[160];		/* the client certificate's UZI
					   string (otherName 2.5.5.5), or "" */
	char	user[160];		/* who asks, from a verified X-User
					   Assertion: "UZI number, role,
					   URA", or "" */
	char	message_id[160];	/* request wsa:MessageID */
	char	patient[256];		/* CX of the patient concerned, if known */
	char	object[256];		/* SubmissionSet uniqueId, query id, ... */
	char	errors[512];		/* error codes, space separated */
	char	reason[256];		/* short text for faults and failures */
	char	consent[24];		/* the responding gateway's consent
					   answer ("Permit", "Deny", "no
					   answer", "allow-all"), or "" */
	char	org[288];		/* the other organisation of a transfer
					   between organisations (XDR: the
					   sender), "URA name", or "" */
	char	community[80];	/* an exchange with another community
					   (XCA): its home community id, or
					   "" */
	int	outbound;		/* the node asked (the initiator:
					   xact_begin_out), 0: it answered */
	enum xact_outcome outcome;
	int	http_status;
	struct timespec t_start;
	const struct conf *conf;
	int	ended;
	int	end_status;		/* the sink's answer to xact_end */
};

void	xact_begin(struct xact *, const struct conf *, const char *endpoint,
	    const char *peer, const char *peer_addr);
/*
 * A transaction the node starts with peer_url (its initiating side): the
 * peer is the endpoint asked, the record says "direction":"out", and its
 * ATNA message names the node as the source and requestor.
 */
void	xact_begin_out(struct xact *, const struct conf *, const char *txn,
	    const char *peer_url);
void	xact_set_patient(struct xact *, const char *cx);
void	xact_set_object(struct xact *, const char *obj);
/* Record an error code (once each) and raise the outcome to Failure. */
void	xact_add_error(struct xact *, const char *code);
void	xact_fail(struct xact *, enum xact_outcome, const char *reason);
/*
 * Close the transaction: hand it to the sink (the node's, which writes
 * the audit record and counts the metrics; none: nothing is recorded).
 * Returns 0, or the sink's enum xds_status when the record could not be
 * written: then what the transaction would release must not leave the
 * node (the access log fails closed), and the caller answers with
 * xact_end_refused() instead.  Safe to call twice (the second call does
 * nothing and returns the first one's status).
 */
int	xact_end(struct xact *);
/*
 * Record x again, as refused with http_status and reason, after its
 * record could not be written (the refusal is what happened, so it is
 * the one record).  Returns the sink's status.
 */
int	xact_end_refused(struct xact *, int http_status, const char *reason);
/* Where closed transactions go; set once in main() before any thread.
 * Returns 0 when the record is on disk. */
typedef int (*xact_sink_fn)(const struct xact *);
void	xact_set_sink(xact_sink_fn);
double	xact_elapsed(const struct xact *);

#endif
