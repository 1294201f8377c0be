/*
 * gw_int.h: the gateways' shared state, for gateway.c, rgw.c and igw*.c.
 */
#ifndef XDS_GW_INT_H
#define XDS_GW_INT_H

#include <pthread.h>
#include <stddef.h>

#include "actor.h"
#include "directory.h"
#include "gateway.h"
#include "conf.h"
#include "soap_peer.h"
#include "xact.h"
#include "xua.h"
#include "xua_dsig.h"

struct conf;
struct mitz_loc;
struct pep;
struct rim_errors;

struct gw_releases;

/* Results of the open question, for /metrics. */
enum igw_loc_result {
	IGW_LOC_LOCATED,	/* one community or more */
	IGW_LOC_NONE,		/* none: no location or no consent */
	IGW_LOC_NO_ANSWER,	/* Mitz down, a fault, not an answer */
	IGW_LOC_CACHED,		/* taken from the cache */
	IGW_LOC_NRESULTS
};

struct gateway {
	const struct conf	*cf;
	char			 home[DIR_HCID_MAX];	/* ours */
	char			 spool[CONF_STR_MAX + 16];	/* answers' parts:
						   state_dir/spool, private */
	struct gateway_links	 l;
	struct pep		*rg;		/* NULL: no responding gateway */
	struct gw_releases	*releases;	/* studies shown (gw_release.h);
						   NULL: RAD-75 never put to
						   consent */
	int			 ig_on;
	struct soap_endpoint	 ig_ep;
	struct soap_route	 ig_routes[3];
	struct gw_stats		*stats;		/* per community */
	struct gw_slots		*slots;		/* requests in flight */
	struct gw_flights	*flights;	/* queries being answered */
	struct xua_signer	*signer;	/* X-User Assertions out, or
						   NULL: none (no http.cert) */
	struct xua_trust	*consumers;	/* signed assertions of
						   consumers, or NULL */
	struct soap_peer	*mitz_loc;	/* the open question, or
						   NULL: every community */
	pthread_mutex_t		 loc_mu;	/* the counts, the cache */
	unsigned long long	 loc_counts[IGW_LOC_NRESULTS];
	struct igw_loc_ent	*loc_cache;	/* consent.location_cache_ttl */
	unsigned long long	 loc_tick;	/* its recency clock */
};

/*
 * gw_xua.c: who asks through the initiating gateway (the claims of the
 * X-User Assertions it sends), and the header hook that signs a fresh
 * assertion for each attempt of a job.
 */
struct gw_user {
	struct xua_claims	 c;	/* without ID, issuer, audience, times */
};
int	gw_xua_open(struct gateway *, char *err, size_t errlen);
void	gw_xua_close(struct gateway *);
/*
 * The user of a local consumer's request: the claims of the assertion in
 * its wsse:Security header (taken as they are from loopback and
 * xua.trusted_consumers, else verified), over xua.subject_id, xua.role,
 * xua.purpose, consent.ura and consent.org_type; x->user says who.
 * XDS_OK, or XDS_ESECURITY / XDS_EAUTH with x->reason.
 */
int	gw_user_from(const struct gateway *, struct xact *x,
	    const struct soap_request *req, struct gw_user *u);
/* soap_header_fn for a job (arg): the WS-Security header with a signed
 * assertion for its community. */
int	gw_xua_header(void *arg, struct buf *out, char *err, size_t errlen);
/* The WS-Security header with a fresh assertion of user for audience,
 * signed with alg, appended to out (g->signer must be there). */
int	gw_xua_write(const struct gateway *g, const struct gw_user *user,
	    const char *audience, enum xua_alg alg, struct buf *out, char *err,
	    size_t errlen);

/* rgw.c: the responding gateway's door and transactions. */
int	rgw_open(struct gateway *, char *err, size_t errlen);
/* igw.c: the initiating gateway's routes into g->ig_ep; its retrieve
 * handlers (igw_retrieve.c). */
void	igw_init(struct gateway *);
int	igw_iti43(void *, struct xact *, const struct soap_request *,
	    struct soap_reply *);
int	igw_rad69(void *, struct xact *, const struct soap_request *,
	    struct soap_reply *);

/*
 * gw_fan.c: one request to one community, many at once.  The caller sets
 * the fields above "run", gw_fan_run the rest; call.ans holds the last
 * try's answer when it returns.
 */
enum gw_job_state { GW_JOB_WAITING, GW_JOB_RUNNING, GW_JOB_DONE };

struct gw_job {
	char			 hcid[DIR_HCID_MAX];	/* the community */
	const char		*txn;		/* "ITI-38", for the log */
	struct soap_peer	*peer;
	int			 own_peer;	/* freed by gw_jobs_free */
	const char		*action;
	enum soap_pack		 pack;
	xmlNode			*body;
	xmlDoc			*own_doc;	/* freed by gw_jobs_free */
	long			 timeout;	/* seconds, retries included */
	int			 concurrency;	/* of its community; 0: any */
	size_t			 max_answer;
	const char		*spool;		/* for its answer's parts */
	int			 local;		/* this community, in process */
	size_t			 first, count;	/* the caller's (retrieves:
						   which DocumentRequests) */
	enum xua_alg		 alg;		/* its assertions' signature */
	struct xact		 x;		/* a remote job's own record:
						   the exchange, all tries */
	int			 audited;	/* x was begun */
	/* run */
	const struct gateway	*g;
	const struct gw_user	*user;		/* who asks, or NULL */
	struct soap_call	 call;
	enum gw_job_state	 state;
	int			 attempts;
	long long		 deadline;	/* clock_real_ms */
};

/* A job for community c: a remote peer for its responding gateway with
 * the node's TLS identity, its timeout and concurrency. */
int	gw_job_remote(const struct gateway *, struct gw_job *,
	    const struct dir_community *c, char *err, size_t errlen);
/* A job for this community's actor behind peer (in process or not). */
void	gw_job_local(const struct gateway *, struct gw_job *,
	    struct soap_peer *peer);
/* The gateway's bound on requests in flight (gateway.concurrency). */
struct gw_slots;
struct gw_slots *gw_slots_new(long limit);
void	gw_slots_free(struct gw_slots *);
/* Run every job (jobs zeroed before their fields were set) for user u
 * (NULL: none; each remote try carries a fresh assertion for u when the
 * gateway signs them).  XDS_OK when each has ended; XDS_ENOMEM when a
 * wave could not start. */
int	gw_fan_run(const struct gateway *, struct gw_job *jobs, size_t n,
	    const struct gw_user *u);
/* Ends the records of jobs sent that gw_jobs_audit_end did not (as
 * failures). */
void	gw_jobs_free(struct gw_job *jobs, size_t n);
/*
 * The access record of each remote job (gw_job_remote begins it, side
 * initiator, the community's URL as the peer): gw_jobs_audit_from copies
 * the consumer's patient, object and requester into them (an object of
 * a job's own, set before, is kept); gw_fan_run records what the
 * transport did; gw_job_record the answer's status and its errors, those
 * of errs from index from on; gw_jobs_audit_end writes them all, before
 * the consumer's answer is built to leave: XDS_OK, or the status of the
 * first record that could not be written (then the consumer's answer
 * must not leave either).
 */
void	gw_jobs_audit_from(struct gw_job *jobs, size_t n,
	    const struct xact *consumer);
void	gw_job_record(struct gw_job *, const char *status,
	    const struct rim_errors *errs, size_t from);
int	gw_jobs_audit_end(struct gw_job *jobs, size_t n);

/* gw_stats.c: counters per community for /metrics. */
struct gw_stats;
struct gw_stats *gw_stats_new(void);
void	gw_stats_free(struct gw_stats *);
void	gw_stats_job(struct gw_stats *, const struct gw_job *);
void	gw_stats_dropped(struct gw_stats *, const char *hcid, size_t n);

/*
 * gw_flight.c: identical concurrent queries share one fan-out.  Join the
 * flight of key: *leader set when the caller is to run it and land it
 * (always, failure included); the others wait for the landing and copy
 * its answer (gw_flight_wait: XDS_OK, or the leader's failure).  Each
 * leaves its flight when done.  NULL when out of memory (run alone).
 */
struct gw_flights;
struct gw_flight;
struct rim_errors;
struct buf;
struct gw_flights *gw_flights_new(void);
void	gw_flights_free(struct gw_flights *);
struct gw_flight *gw_flight_join(struct gw_flights *, const char *key,
	    size_t keylen, size_t max_body, int *leader);
void	gw_flight_land(struct gw_flights *, struct gw_flight *, int rc,
	    const char *status, const struct rim_errors *errs,
	    const struct buf *body);
int	gw_flight_wait(struct gw_flights *, struct gw_flight *,
	    const char **status, struct rim_errors *errs, struct buf *body);
void	gw_flight_leave(struct gw_flights *, struct gw_flight *);

/*
 * igw_locate.c: the open question to Mitz (consent.location_url with
 * consent.mode mitz; else g->mitz_loc stays NULL).  igw_locate asks for
 * patient bsn for user u (NULL: none known) of the consumer's request
 * consumer (*unrecorded set when the record of the question could not
 * be written: then nothing may leave), with u's X-User Assertion
 * (audience Mitz) when the node signs, or takes a kept answer
 * (consent.location_cache_ttl):
 * XDS_OK with the communities in out (perhaps none), or a failure with a
 * short reason in why (Mitz down, a fault, an answer that is not one).
 * igw_locate_metrics appends the counters; igw_locate_close frees what
 * igw_locate_open made (called by gateway_close).
 */
int	igw_locate_open(struct gateway *, char *err, size_t errlen);
void	igw_locate_close(struct gateway *);
int	igw_locate(struct gateway *, const struct xact *consumer,
	    const struct gw_user *u, const char *bsn, struct mitz_loc *out,
	    int *unrecorded, char *why, size_t whylen);
int	igw_locate_metrics(struct gateway *, struct buf *out);

/* gateway.c: an error (severity Error) located at location, into errs:
 * XDS_OK (a full list keeps its first errors) or XDS_ENOMEM. */
int	gw_error(struct rim_errors *, const char *code, const char *location,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* gateway.c: the errors of an answer onto the transaction record, and
 * its outcome from the answer's status (ST_*). */
struct rim_errors;
struct xact;
void	gw_record(struct xact *, const char *status,
	    const struct rim_errors *errs);
/* The same with the errors of errs from index from on only. */
void	gw_record_from(struct xact *, const char *status,
	    const struct rim_errors *errs, size_t from);
/* Why job j has no usable answer, or NULL when its body element is
 * {ns}name. */
const char *gw_job_failure(const struct gw_job *j, const char *ns,
	    const char *name);

#endif
