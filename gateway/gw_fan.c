/*
 * gw_fan.c: the initiating gateway's requests to communities, all at
 * once (soap_fanout), with retries of transport errors only.
 *
 * Each job has a deadline: its community's timeout (or gateway.timeout)
 * from the start of the run, connecting, answers and retries included.
 * A job is retried when the request certainly or possibly did not get a
 * SOAP answer for reasons of transport: no connection (refused, reset,
 * TLS), an empty or non-SOAP body, or HTTP 502, 503 or 504 whatever the
 * body (a proxy or load balancer in front of the gateway says "not now"
 * so, sometimes wrapped in a SOAP fault).  Never after any other SOAP
 * answer, a fault with HTTP 500 included: that is the community's
 * business, and asking again would ask twice.  A try that failed is
 * repeated as soon as its own back-off has passed, while the other
 * communities' requests go on (soap_fanout_again): 100 ms doubled each
 * try, plus up to as much again at random (so that many gateways
 * retrying a community do not retry together), and only when the job's
 * deadline leaves room for the wait and another try.
 *
 * At most gateway.concurrency requests to other communities are in flight
 * at once in the whole gateway, whatever consumer request they serve, and
 * at most a community's own concurrency (its directory line) to that
 * community: a job takes a slot (struct gw_slots) and keeps it through
 * its tries, or waits for the next wave; a run with nothing to send waits
 * for a slot to be given back.  Jobs in process (this community's actors)
 * take none.
 *
 * Each remote job is one exchange with its community, and leaves one
 * access record of the node's side, the initiator's (ITI-38, ITI-39,
 * RAD-75 to that community's URL), whatever its tries: begun with the
 * job, the transport's outcome set here after the run, the answer's by
 * the caller, written by gw_jobs_audit_end before the consumer's answer
 * leaves.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "clock.h"
#include "conf.h"
#include "gw_int.h"
#include "log.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"

#define FAN_BACKOFF_MS	100

/* Whether what came back of j's last try is worth another. */
static int
retryable(const struct gw_job *j)
{
	const struct soap_call *c = &j->call;

	if (c->ans.http_status == 502 || c->ans.http_status == 503 ||
	    c->ans.http_status == 504)
		return 1;
	switch (c->ans.status) {
	case XDS_EUNAVAILABLE:
	case XDS_EUNCERTAIN:
		return 1;
	case XDS_EANSWER:
		return !c->ans.toobig;	/* empty, not SOAP, bad MIME */
	default:
		return 0;
	}
}

static long long
jitter(long long ms)
{
	unsigned int r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		return 0;
	return ms > 0 ? (long long)(r % (unsigned int)ms) : 0;
}


/* ---- slots: requests in flight in the whole gateway ---- */

struct gw_slot {
	char	hcid[DIR_HCID_MAX];
	int	n;
};

struct gw_slots {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	long		 limit, inflight;
	struct gw_slot	*per;		/* communities with n > 0 */
	size_t		 nper, cap;
};

struct gw_slots *
gw_slots_new(long limit)
{
	struct gw_slots *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->limit = limit > 0 ? limit : 1;
	return s;
}

void
gw_slots_free(struct gw_slots *s)
{
	if (s == NULL)
		return;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->per);
	free(s);
}

/* A slot for a try at hcid (cap: the community's own bound, 0 none):
 * 1 taken, 0 not now. */
static int
slot_take(struct gw_slots *s, const char *hcid, int cap)
{
	struct gw_slot *p = NULL, *nv;
	size_t i;
	int ok = 0;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nper; i++)
		if (strcmp(s->per[i].hcid, hcid) == 0)
			p = &s->per[i];
	if (s->inflight >= s->limit || (p != NULL && cap > 0 && p->n >= cap))
		goto out;
	if (p == NULL) {
		if (s->nper == s->cap) {
			size_t c = s->cap ? s->cap * 2 : 16;

			if ((nv = realloc(s->per, c * sizeof *nv)) == NULL)
				goto out;
			s->per = nv;
			s->cap = c;
		}
		p = &s->per[s->nper++];
		str_lcpy(p->hcid, hcid, sizeof p->hcid);
		p->n = 0;
	}
	p->n++;
	s->inflight++;
	ok = 1;
out:
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static void
slot_give(struct gw_slots *s, const char *hcid)
{
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nper; i++)
		if (strcmp(s->per[i].hcid, hcid) == 0) {
			if (--s->per[i].n == 0)
				s->per[i] = s->per[--s->nper];
			break;
		}
	s->inflight--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Wait until a slot is given back, or until (clock_real_ms). */
static void
slot_wait(struct gw_slots *s, long long until)
{
	struct timespec ts;
	long long ms = until - clock_real_ms();

	if (ms <= 0)
		return;
	if (ms > 1000)
		ms = 1000;
	clock_deadline_ts(CLOCK_REALTIME, ms, &ts);
	pthread_mutex_lock(&s->mu);
	if (s->inflight >= s->limit)
		(void)pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	pthread_mutex_unlock(&s->mu);
}

/* Prepare j's next try, starting at (clock_real_ms): its call afresh,
 * bounded by what is left then. */
static void
job_arm(struct gw_job *j, long long at)
{
	long long left = j->deadline - at;

	soap_call_free(&j->call);
	soap_call_init(&j->call, j->action, j->pack);
	j->call.req.body = j->body;
	j->call.req.bounds.timeout = left > 0 ? (left + 999) / 1000 : 1;
	j->call.req.bounds.max_answer = j->max_answer;
	j->call.req.bounds.spool_dir = j->spool;
	if (!j->local && j->user != NULL && j->g->signer != NULL) {
		j->call.req.header = gw_xua_header;
		j->call.req.header_arg = j;
	}
}

/* Add the waiting jobs to f, within the bounds; the number added. */
static size_t
wave(const struct gateway *g, struct gw_job *jobs, size_t n,
    struct soap_fanout *f, long long now, long long *longest)
{
	size_t i, added = 0;

	for (i = 0; i < n; i++) {
		struct gw_job *j = &jobs[i];

		if (j->state != GW_JOB_WAITING)
			continue;
		if (j->deadline <= now) {
			j->state = GW_JOB_DONE;
			j->call.ans.status = XDS_ETIMEOUT;
			str_fmt(j->call.ans.err, sizeof j->call.ans.err,
			    "not sent: no free request slot within %ld s "
			    "(gateway.concurrency, the community's "
			    "concurrency)", j->timeout);
			continue;
		}
		if (!j->local && !slot_take(g->slots, j->hcid, j->concurrency))
			continue;
		job_arm(j, now);
		if (soap_fanout_add(f, j->peer, &j->call) != XDS_OK) {
			if (!j->local)
				slot_give(g->slots, j->hcid);
			break;
		}
		j->state = GW_JOB_RUNNING;
		j->attempts++;
		if (j->deadline - now > *longest)
			*longest = j->deadline - now;
		added++;
	}
	return added;
}

/* The back-off before try attempts + 1, or -1 when there is to be none
 * (an answer, the retries used up, no room before the deadline). */
static long
backoff(const struct gateway *g, const struct gw_job *j, long long now)
{
	long long w;

	if (!retryable(j) || j->attempts > g->cf->gateway_retries)
		return -1;
	w = FAN_BACKOFF_MS << (j->attempts - 1);
	w += jitter(w);
	if (now + w + FAN_BACKOFF_MS >= j->deadline)
		return -1;	/* no room for another try */
	return (long)w;
}

struct fan_run {
	const struct gateway	*g;
	struct gw_job		*jobs;
	size_t			 n;
};

/* A remote try ended (soap_fanout_again): another one after its own
 * back-off, while the other communities' requests go on. */
static long
again(void *arg, struct soap_call *c)
{
	struct fan_run *r = arg;
	struct gw_job *j = NULL;
	long long now = clock_real_ms();
	long w;
	size_t i;

	for (i = 0; i < r->n && j == NULL; i++)
		if (&r->jobs[i].call == c)
			j = &r->jobs[i];
	if (j == NULL || (w = backoff(r->g, j, now)) < 0)
		return -1;
	log_info("gateway: %s %s: %s; again in %ld ms", j->txn, j->hcid,
	    j->call.ans.err[0] != '\0' ? j->call.ans.err : "transport error",
	    w);
	job_arm(j, now + w);
	j->attempts++;
	return w;
}

/* After a wave: each job that ran is done (its tries are over), its
 * slot given back. */
static void
settle(const struct gateway *g, struct gw_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct gw_job *j = &jobs[i];

		if (j->state != GW_JOB_RUNNING)
			continue;
		j->state = GW_JOB_DONE;
		if (!j->local)
			slot_give(g->slots, j->hcid);
	}
}

/* What the transport did to a remote job's exchange, on its record:
 * no answer, or a fault (the caller records an answer's status). */
static void
job_transport(struct gw_job *j)
{
	const struct soap_call *c = &j->call;
	char why[256];

	if (!j->audited)
		return;
	/* the last try's: the responding gateway's record names it too */
	str_lcpy(j->x.message_id, c->ans.message_id, sizeof j->x.message_id);
	j->x.http_status = c->ans.http_status;
	if (c->ans.status != XDS_OK && j->attempts == 0)
		xact_fail(&j->x, XACT_FAULT, c->ans.err);	/* never sent */
	else if (c->ans.status != XDS_OK) {
		str_fmt(why, sizeof why, "%s, after %d %s", c->ans.err[0] !=
		    '\0' ? c->ans.err : xds_strstatus(c->ans.status),
		    j->attempts, j->attempts == 1 ? "try" : "tries");
		xact_fail(&j->x, XACT_FAULT, why);
	} else if (c->ans.fault)
		xact_fail(&j->x, XACT_FAULT, c->ans.fault_reason[0] != '\0' ?
		    c->ans.fault_reason : "a SOAP fault");
}

int
gw_fan_run(const struct gateway *g, struct gw_job *jobs, size_t n,
    const struct gw_user *u)
{
	struct soap_fanout *f;
	struct fan_run fr = { g, jobs, n };
	long long now, longest, until;
	size_t i, added, waiting;
	char e[128];

	now = clock_real_ms();
	for (i = 0; i < n; i++) {
		jobs[i].state = GW_JOB_WAITING;
		jobs[i].attempts = 0;
		jobs[i].deadline = now + jobs[i].timeout * 1000LL;
		jobs[i].g = g;
		jobs[i].user = u;
	}
	for (;;) {
		if (soap_fanout_new(&f, e, sizeof e) != XDS_OK)
			return XDS_ENOMEM;
		soap_fanout_again(f, again, &fr);
		longest = 0;
		if ((added = wave(g, jobs, n, f, now, &longest)) > 0 &&
		    soap_fanout_run(f, longest) != XDS_OK) {
			soap_fanout_free(f);
			settle(g, jobs, n);	/* gives the slots back */
			return XDS_ENOMEM;
		}
		soap_fanout_free(f);
		settle(g, jobs, n);
		/* jobs left: those that found no slot in this wave */
		until = -1;
		for (i = waiting = 0; i < n; i++)
			if (jobs[i].state == GW_JOB_WAITING) {
				waiting++;
				if (until < 0 || jobs[i].deadline < until)
					until = jobs[i].deadline;
			}
		if (waiting == 0) {
			for (i = 0; i < n; i++) {
				gw_stats_job(g->stats, &jobs[i]);
				job_transport(&jobs[i]);
			}
			return XDS_OK;
		}
		if (added == 0)
			slot_wait(g->slots, until);	/* all slots taken */
		now = clock_real_ms();
	}
}

int
gw_job_remote(const struct gateway *g, struct gw_job *j,
    const struct dir_community *c, char *err, size_t errlen)
{
	const struct conf *cf = g->cf;
	struct soap_peer_opts o;

	memset(&o, 0, sizeof o);
	soap_peer_opts_tls(&o, cf->http_cert, cf->http_key, cf->http_ca);
	str_lcpy(j->hcid, c->hcid, sizeof j->hcid);
	j->timeout = c->timeout > 0 ? c->timeout : cf->gateway_timeout;
	o.connect_timeout = j->timeout < 10 ? j->timeout : 10;
	j->concurrency = c->concurrency;
	j->max_answer = (size_t)cf->gateway_max_answer;
	j->spool = g->spool;
	if (c->xua_alg[0] != '\0' && xua_alg_parse(c->xua_alg, &j->alg) != 0) {
		str_fmt(err, errlen, "%s: xua_alg %s is not known", c->hcid,
		    c->xua_alg);
		return XDS_EINVAL;
	}
	if (soap_peer_remote(&j->peer, c->url, &o, err, errlen) != XDS_OK)
		return XDS_EINVAL;
	j->own_peer = 1;
	xact_begin_out(&j->x, cf, j->txn, c->url);
	str_lcpy(j->x.action, j->action != NULL ? j->action : "",
	    sizeof j->x.action);
	str_lcpy(j->x.community, c->hcid, sizeof j->x.community);
	if (c->ura[0] != '\0' || c->name[0] != '\0')
		str_fmt(j->x.org, sizeof j->x.org, "%s%s%s", c->ura,
		    c->ura[0] != '\0' && c->name[0] != '\0' ? " " : "",
		    c->name);
	j->audited = 1;
	return XDS_OK;
}

void
gw_jobs_audit_from(struct gw_job *jobs, size_t n, const struct xact *cons)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct xact *x = &jobs[i].x;

		if (!jobs[i].audited)
			continue;
		xact_set_patient(x, cons->patient);
		if (x->object[0] == '\0')
			xact_set_object(x, cons->object);
		str_lcpy(x->user, cons->user, sizeof x->user);
	}
}

void
gw_job_record(struct gw_job *j, const char *status,
    const struct rim_errors *errs, size_t from)
{
	if (j->audited)
		gw_record_from(&j->x, status, errs, from);
}

int
gw_jobs_audit_end(struct gw_job *jobs, size_t n)
{
	size_t i;
	int rc, first = XDS_OK;

	for (i = 0; i < n; i++) {
		if (!jobs[i].audited)
			continue;
		if ((rc = xact_end(&jobs[i].x)) != XDS_OK && first == XDS_OK)
			first = rc;
	}
	return first;
}

void
gw_job_local(const struct gateway *g, struct gw_job *j,
    struct soap_peer *peer)
{
	str_lcpy(j->hcid, g->home, sizeof j->hcid);
	j->peer = peer;
	j->local = 1;
	j->timeout = g->cf->gateway_timeout;
	j->max_answer = (size_t)g->cf->gateway_max_answer;
	j->spool = g->spool;
}

void
gw_jobs_free(struct gw_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (jobs[i].audited && !jobs[i].x.ended &&
		    jobs[i].attempts > 0) {	/* sent: not to be lost */
			xact_fail(&jobs[i].x, XACT_FAULT, "the initiating "
			    "gateway did not finish the exchange");
			(void)xact_end(&jobs[i].x);
		}
		soap_call_free(&jobs[i].call);
		if (jobs[i].own_peer)
			soap_peer_free(jobs[i].peer);
		xmlFreeDoc(jobs[i].own_doc);
	}
	free(jobs);
}
