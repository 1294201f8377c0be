#include "config.h"

#include <pthread.h>
#include <string.h>

#include "metrics.h"
#include "str.h"
#include "xact.h"

#define METRICS_TXNS	32
#define METRICS_OUTCOMES 4

static const double buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct txn_stats {
	char		name[16];
	unsigned long long count[METRICS_OUTCOMES];
	unsigned long long bucket[NBUCKETS];	/* cumulative at output */
	unsigned long long n;
	double		sum;
};

static pthread_mutex_t metrics_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct txn_stats stats[METRICS_TXNS];
static size_t nstats;

static struct {
	int	(*fn)(void *, struct buf *);
	void	*arg;
} sources[METRICS_MAX_SOURCES];
static size_t nsources;

void
metrics_add_source(int (*fn)(void *arg, struct buf *out), void *arg)
{
	if (nsources < METRICS_MAX_SOURCES) {
		sources[nsources].fn = fn;
		sources[nsources++].arg = arg;
	}
}

static const char *outcome_label[METRICS_OUTCOMES] = {
	"success", "partial", "failure", "fault"
};

void
metrics_count(const char *txn, int outcome, double seconds)
{
	struct txn_stats *s = NULL;
	size_t i;

	if (outcome < 0 || outcome >= METRICS_OUTCOMES)
		outcome = XACT_FAULT;
	pthread_mutex_lock(&metrics_mtx);
	for (i = 0; i < nstats; i++)
		if (strcmp(stats[i].name, txn) == 0) {
			s = &stats[i];
			break;
		}
	if (s == NULL && nstats < METRICS_TXNS) {
		s = &stats[nstats++];
		str_lcpy(s->name, txn, sizeof s->name);
	}
	if (s != NULL) {
		s->count[outcome]++;
		s->n++;
		s->sum += seconds;
		for (i = 0; i < NBUCKETS; i++)
			if (seconds <= buckets[i]) {
				s->bucket[i]++;
				break;
			}
	}
	pthread_mutex_unlock(&metrics_mtx);
}

int
metrics_write(struct buf *out)
{
	size_t i, j;
	int rc = XDS_OK;

	pthread_mutex_lock(&metrics_mtx);
	rc |= buf_adds(out, "# HELP xds_requests_total Requests by IHE "
	    "transaction and outcome.\n# TYPE xds_requests_total counter\n");
	for (i = 0; i < nstats; i++)
		for (j = 0; j < METRICS_OUTCOMES; j++)
			rc |= buf_addf(out, "xds_requests_total{txn=\"%s\","
			    "outcome=\"%s\"} %llu\n", stats[i].name,
			    outcome_label[j], stats[i].count[j]);
	rc |= buf_adds(out, "# HELP xds_request_duration_seconds Time from "
	    "request to response.\n"
	    "# TYPE xds_request_duration_seconds histogram\n");
	for (i = 0; i < nstats; i++) {
		unsigned long long cum = 0;

		for (j = 0; j < NBUCKETS; j++) {
			cum += stats[i].bucket[j];
			rc |= buf_addf(out, "xds_request_duration_seconds_bucket"
			    "{txn=\"%s\",le=\"%g\"} %llu\n", stats[i].name,
			    buckets[j], cum);
		}
		rc |= buf_addf(out, "xds_request_duration_seconds_bucket"
		    "{txn=\"%s\",le=\"+Inf\"} %llu\n", stats[i].name, stats[i].n);
		rc |= buf_addf(out, "xds_request_duration_seconds_sum{txn=\"%s\"}"
		    " %.6f\n", stats[i].name, stats[i].sum);
		rc |= buf_addf(out, "xds_request_duration_seconds_count"
		    "{txn=\"%s\"} %llu\n", stats[i].name, stats[i].n);
	}
	pthread_mutex_unlock(&metrics_mtx);
	for (i = 0; i < nsources; i++)
		rc |= sources[i].fn(sources[i].arg, out);
	return rc == XDS_OK ? 0 : -1;
}

void
metrics_each(void (*fn)(void *arg, const struct metrics_txn *), void *arg)
{
	struct metrics_txn t;
	unsigned long long cum, want;
	size_t i, j;

	pthread_mutex_lock(&metrics_mtx);
	for (i = 0; i < nstats; i++) {
		memset(&t, 0, sizeof t);
		str_lcpy(t.txn, stats[i].name, sizeof t.txn);
		for (j = 0; j < METRICS_OUTCOMES; j++)
			t.count[j] = stats[i].count[j];
		t.n = stats[i].n;
		t.mean = t.n > 0 ? stats[i].sum / (double)t.n : 0;
		/* the bucket bound under which 95 % of the requests fell */
		want = (t.n * 95 + 99) / 100;
		t.p95 = -1;
		for (j = 0, cum = 0; t.n > 0 && j < NBUCKETS; j++) {
			cum += stats[i].bucket[j];
			if (cum >= want) {
				t.p95 = buckets[j];
				break;
			}
		}
		fn(arg, &t);
	}
	pthread_mutex_unlock(&metrics_mtx);
}
