/*
 * gw_stats.c: the initiating gateway's counters per community, for
 * GET /metrics (Prometheus text): requests by result, retries, objects
 * and documents not passed on, and a latency histogram.  At most
 * GW_STATS_MAX communities are told apart; the others are counted
 * together under community="other".  The responding gateway's consent
 * counters are consent.c's, written before them.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "consent.h"
#include "gw_int.h"
#include "pep.h"
#include "status.h"
#include "str.h"

#define GW_STATS_MAX	1024

static const double buckets[] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
};
#define NBUCKETS	(sizeof buckets / sizeof buckets[0])

enum { R_OK, R_FAULT, R_UNAVAILABLE, R_TIMEOUT, R_BAD_ANSWER, R_OTHER, NR };
static const char *const result_label[NR] = {
	"ok", "fault", "unavailable", "timeout", "bad_answer", "other"
};

struct gw_cstat {
	char			 hcid[DIR_HCID_MAX];
	unsigned long long	 result[NR];
	unsigned long long	 retries, dropped;
	unsigned long long	 bucket[NBUCKETS];
	unsigned long long	 n;
	double			 sum;
	int			 last;		/* result of the last request */
	long long		 last_at;	/* clock_wall; 0: none */
};

struct gw_stats {
	pthread_mutex_t		 mtx;
	struct gw_cstat		*v;
	size_t			 n, cap;
};

struct gw_stats *
gw_stats_new(void)
{
	struct gw_stats *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	pthread_mutex_init(&s->mtx, NULL);
	return s;
}

void
gw_stats_free(struct gw_stats *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mtx);
	free(s->v);
	free(s);
}

/* The counters of hcid (locked); NULL when out of memory. */
static struct gw_cstat *
find(struct gw_stats *s, const char *hcid)
{
	struct gw_cstat *nv;
	size_t i;

	if (s->n >= GW_STATS_MAX)
		hcid = "other";
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].hcid, hcid) == 0)
			return &s->v[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		if ((nv = realloc(s->v, cap * sizeof *nv)) == NULL)
			return NULL;
		s->v = nv;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof s->v[s->n]);
	str_lcpy(s->v[s->n].hcid, hcid, sizeof s->v[s->n].hcid);
	return &s->v[s->n++];
}

static int
result_of(const struct gw_job *j)
{
	switch (j->call.ans.status) {
	case XDS_OK:
		return j->call.ans.fault ? R_FAULT : R_OK;
	case XDS_EUNAVAILABLE:
	case XDS_EUNCERTAIN:
		return R_UNAVAILABLE;
	case XDS_ETIMEOUT:
		return R_TIMEOUT;
	case XDS_EANSWER:
		return R_BAD_ANSWER;
	default:
		return R_OTHER;
	}
}

void
gw_stats_job(struct gw_stats *s, const struct gw_job *j)
{
	struct gw_cstat *c;
	double sec = (double)j->call.ans.elapsed_ms / 1000.0;
	size_t i;

	if (s == NULL || j->attempts == 0)
		return;
	pthread_mutex_lock(&s->mtx);
	if ((c = find(s, j->hcid)) != NULL) {
		c->result[result_of(j)]++;
		c->last = result_of(j);
		c->last_at = clock_wall();
		c->retries += (unsigned long long)(j->attempts - 1);
		c->n++;
		c->sum += sec;
		for (i = 0; i < NBUCKETS; i++)
			if (sec <= buckets[i]) {
				c->bucket[i]++;
				break;
			}
	}
	pthread_mutex_unlock(&s->mtx);
}

void
gw_stats_dropped(struct gw_stats *s, const char *hcid, size_t n)
{
	struct gw_cstat *c;

	if (s == NULL || n == 0)
		return;
	pthread_mutex_lock(&s->mtx);
	if ((c = find(s, hcid)) != NULL)
		c->dropped += n;
	pthread_mutex_unlock(&s->mtx);
}

static int
write_one(const struct gw_cstat *c, struct buf *out)
{
	unsigned long long cum = 0;
	size_t j;
	int rc = XDS_OK;

	for (j = 0; j < NR; j++)
		rc |= buf_addf(out, "xds_gateway_requests_total{community=\"%s\","
		    "result=\"%s\"} %llu\n", c->hcid, result_label[j],
		    c->result[j]);
	rc |= buf_addf(out, "xds_gateway_retries_total{community=\"%s\"} "
	    "%llu\n", c->hcid, c->retries);
	rc |= buf_addf(out, "xds_gateway_dropped_total{community=\"%s\"} "
	    "%llu\n", c->hcid, c->dropped);
	for (j = 0; j < NBUCKETS; j++) {
		cum += c->bucket[j];
		rc |= buf_addf(out, "xds_gateway_duration_seconds_bucket"
		    "{community=\"%s\",le=\"%g\"} %llu\n", c->hcid, buckets[j],
		    cum);
	}
	rc |= buf_addf(out, "xds_gateway_duration_seconds_bucket{community="
	    "\"%s\",le=\"+Inf\"} %llu\n", c->hcid, c->n);
	rc |= buf_addf(out, "xds_gateway_duration_seconds_sum{community="
	    "\"%s\"} %.6f\n", c->hcid, c->sum);
	rc |= buf_addf(out, "xds_gateway_duration_seconds_count{community="
	    "\"%s\"} %llu\n", c->hcid, c->n);
	return rc;
}

int
gateway_metrics_write(void *arg, struct buf *out)
{
	struct gateway *g = arg;
	struct gw_stats *s = g->stats;
	size_t i;
	int rc;

	if (g->rg != NULL &&
	    consent_metrics_write(pep_consent(g->rg), out) != XDS_OK)
		return XDS_ETOOBIG;
	if (s == NULL)
		return XDS_OK;
	if (igw_locate_metrics(g, out) != XDS_OK)
		return XDS_ETOOBIG;
	rc = buf_adds(out, "# HELP xds_gateway_requests_total Requests of the "
	    "initiating gateway to each community, by result.\n"
	    "# TYPE xds_gateway_requests_total counter\n"
	    "# HELP xds_gateway_retries_total Retries after transport "
	    "errors.\n# TYPE xds_gateway_retries_total counter\n"
	    "# HELP xds_gateway_dropped_total Objects and documents a "
	    "community returned that were not passed on.\n"
	    "# TYPE xds_gateway_dropped_total counter\n"
	    "# HELP xds_gateway_duration_seconds Time of a request to a "
	    "community (its last try).\n"
	    "# TYPE xds_gateway_duration_seconds histogram\n");
	pthread_mutex_lock(&s->mtx);
	for (i = 0; i < s->n; i++)
		rc |= write_one(&s->v[i], out);
	pthread_mutex_unlock(&s->mtx);
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}

void
gateway_each_community(struct gateway *g,
    void (*fn)(void *arg, const struct gateway_community *), void *arg)
{
	struct gateway_community gc;
	struct gw_cstat *c;
	size_t i, k;

	if (g == NULL || g->stats == NULL)
		return;
	pthread_mutex_lock(&g->stats->mtx);
	for (i = 0; i < g->stats->n; i++) {
		c = &g->stats->v[i];
		memset(&gc, 0, sizeof gc);
		gc.hcid = c->hcid;
		gc.ok = c->result[R_OK];
		for (k = 0; k < NR; k++)
			if (k != R_OK)
				gc.failed += c->result[k];
		gc.retries = c->retries;
		gc.mean_ms = c->n > 0 ? c->sum * 1000.0 / (double)c->n : 0;
		gc.last = c->last_at != 0 ? result_label[c->last] : "-";
		gc.last_at = c->last_at;
		fn(arg, &gc);
	}
	pthread_mutex_unlock(&g->stats->mtx);
}
