/*
 * consent.h: the closed question to Mitz for the responding gateway's
 * policy point (pep.c): may this requester see this data category of
 * this patient?  consent.mode says whether Mitz is asked (mitz) or every
 * request is let through (allow-all, the loopback demo only).
 *
 * Only MITZ_PERMIT lets anything leave.  Deny, NotApplicable,
 * Indeterminate and every failure to get an answer (timeout, TLS, a
 * fault, an answer that is not one) are told apart only for the record.
 *
 * Decisions are kept for consent.cache_ttl seconds per (BSN, requester,
 * category), at most consent.cache_max of them; consent_invalidate drops
 * a patient's (a notification of a consent change) or all.  Only
 * Permit, Deny and NotApplicable are kept: an Indeterminate or a failure
 * is asked again.  Safe from any number of threads.
 */
#ifndef XDS_CONSENT_H
#define XDS_CONSENT_H

#include <stddef.h>

#include "mitz_msg.h"

struct conf;
struct consent;
struct soap_peer;

/* cf must outlive it.  allow-all makes no peer; mitz one to
 * consent.mitz_url with the node's TLS identity. */
int	consent_open(const struct conf *cf, struct consent **out, char *err,
	    size_t errlen);
void	consent_close(struct consent *);	/* NULL is a no-op */
/*
 * A peer for one of Mitz's SOAP services at url: the node's TLS identity
 * (http.cert, http.key, http.ca), consent.timeout for a question
 * (connecting within at most 10 s of it), answers up to max_answer
 * bytes.  soap_peer_remote's statuses, its reason in err.
 */
int	consent_mitz_peer(const struct conf *cf, const char *url,
	    size_t max_answer, struct soap_peer **out, char *err,
	    size_t errlen);
/* 1 in mode allow-all (nothing is asked). */
int	consent_allow_all(const struct consent *);

/* The requester configured for peer (a certificate subject or
 * "anonymous"): XDS_OK, or XDS_ENOTFOUND when consent.requesters has no
 * line for it. */
int	consent_requester(const struct consent *, const char *peer,
	    struct mitz_requester *out);
/* The data category of documents of classCode code (consent.category_map,
 * else consent.category). */
const char *consent_category(const struct consent *, const char *code);
/* Every category documents can be in: the map's and the default, each
 * once, into out (at most max); the number. */
size_t	consent_categories(const struct consent *, const char **out,
	    size_t max);

/*
 * Ask (or take from the cache) whether requester r may see category of
 * patient bsn.  why gets a short text for the log and the caller
 * (without the BSN).
 */
enum mitz_decision consent_ask(struct consent *, const char *bsn,
	    const struct mitz_requester *r, const char *category, char *why,
	    size_t whylen);
/* Drop the kept decisions of patient bsn, or all with NULL. */
void	consent_invalidate(struct consent *, const char *bsn);
/* Questions sent to Mitz and answers taken from the cache, so far. */
void	consent_counts(struct consent *, unsigned long long *asked,
	    unsigned long long *cached);
/* The counters as Prometheus text (xds_consent_questions_total by
 * answer, xds_consent_cached_total), appended to out; nothing in
 * allow-all.  XDS_OK or XDS_ETOOBIG. */
struct buf;
int	consent_metrics_write(struct consent *, struct buf *out);

#endif
