/*
 * gateway.h: the XCA gateways of this community (gateway/).
 *
 *   /xca/responding	Responding Gateway: ITI-38, ITI-39, RAD-75 from
 *			other communities, answered from this community's
 *			registry, repository and imaging source, behind
 *			the policy point (pep.h)
 *   /xca/initiating	Initiating Gateway: ITI-18, ITI-43, RAD-69 from
 *			local consumers, fanned out as ITI-38 and routed
 *			as ITI-39 / RAD-75 to the communities of the
 *			directory (directory.h), the local one answered
 *			in process
 *
 * The gateways reach this community's actors through the peers they are
 * given (in process or URLs), never directly.
 */
#ifndef XDS_GATEWAY_H
#define XDS_GATEWAY_H

#include <stddef.h>

struct conf;
struct directory;
struct gateway;
struct soap_endpoint;
struct soap_peer;

#define GATEWAY_RG_PATH	"/xca/responding"
#define GATEWAY_IG_PATH	"/xca/initiating"

/* This community's actors; a NULL peer is one it does not have (its
 * transactions are answered with an error naming what is missing). */
struct gateway_links {
	struct soap_peer	*registry;	/* ITI-18 */
	struct soap_peer	*repository;	/* ITI-43 */
	struct soap_peer	*imaging;	/* RAD-69 */
	struct directory	*directory;	/* the other communities */
};

/* The links must outlive the gateway. */
int	gateway_open(const struct conf *, const struct gateway_links *,
	    struct gateway **out, char *err, size_t errlen);
void	gateway_close(struct gateway *);	/* NULL is a no-op */
/* The endpoints to mount; NULL when that gateway is switched off
 * (gateway.responding, gateway.initiating). */
const struct soap_endpoint *gateway_rg_endpoint(struct gateway *);
const struct soap_endpoint *gateway_ig_endpoint(struct gateway *);
/*
 * Mitz's notification of a consent change (router_notify_fn; arg is the
 * gateway): the patients of the Bundle (mitz_fhir.h) lose their kept
 * consent decisions, so that the next request asks Mitz again.  x gets
 * the first patient and the count.  XDS_OK, or XDS_EFORMAT/XDS_ETOOBIG
 * with the reason in why.
 */
struct xact;
int	gateway_mitz_notify(void *arg, const char *body, size_t len,
	    struct xact *x, char *why, size_t whylen);

/*
 * The initiating gateway's counters per community as Prometheus text
 * (xds_gateway_requests_total, _retries_total, _dropped_total,
 * _duration_seconds) and the responding gateway's consent counters
 * (xds_consent_questions_total by answer, xds_consent_cached_total),
 * appended to out; arg is the gateway.  XDS_OK or XDS_ETOOBIG.
 */
struct buf;
int	gateway_metrics_write(void *arg, struct buf *out);

/* The initiating gateway's view of one community, for the status page:
 * requests answered and not (fault, unavailable, timeout, bad answer),
 * retries, their mean time, and how the last one went and when. */
struct gateway_community {
	const char		*hcid;
	unsigned long long	 ok, failed, retries;
	double			 mean_ms;
	const char		*last;		/* "ok", "timeout", ... */
	long long		 last_at;	/* clock_wall; 0: never */
};
/* fn for each community asked so far (none when the initiating gateway
 * is off); g may be NULL. */
void	gateway_each_community(struct gateway *g,
	    void (*fn)(void *arg, const struct gateway_community *), void *arg);

#endif
