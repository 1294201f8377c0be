/*
 * push.c: the top of push/ (push.h): start and stop, the sender's thread
 * that takes due jobs from push.db one at a time, and /metrics.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge_db.h"
#include "bridge_stage.h"
#include "clock.h"
#include "directory.h"
#include "log.h"
#include "push.h"
#include "push_fetch.h"
#include "push_int.h"
#include "push_watch.h"
#include "str.h"

/*
 * How long the sender may wait, in milliseconds: until the next queued
 * job is due, or the next routed study (push.route) can be complete by
 * the bridge's rule (bridge_db_route_next), at most push.poll_interval
 * (a safety net: writes to push.db and new routes wake it, push_watch.h,
 * bridge_on_route); a second when push.db cannot be watched or a
 * database cannot be read.
 */
static long long
idle_ms(struct push *p)
{
	long long next, now = clock_wall(), ms;
	char err[256];
	enum xds_status rc;
	int r;

	ms = p->conf.push_poll_interval * 1000;
	if (!push_watch_ok(p->watch))
		ms = 1000;
	if ((rc = push_db_next(p->db, &next, err, sizeof err)) == XDS_OK &&
	    (next - now) * 1000 < ms)
		ms = next > now ? (next - now) * 1000 : 0;
	else if (rc != XDS_OK && rc != XDS_ENOTFOUND) {
		log_warnx("push: %s", err);
		ms = 1000;
	}
	if (p->conf.push_route[0] == '\0')
		return ms;
	r = bridge_db_route_next(p->bdb, p->conf.dicom_publish_after, &next,
	    err, sizeof err);
	if (r < 0)
		log_warnx("push: %s", err);
	if (r < 0 || (r == 1 && next <= now))
		/* unreadable, or due but not taken (push_send_routes said
		 * why): again in a second */
		ms = ms < 1000 ? ms : 1000;
	else if (r == 1 && (next - now) * 1000 < ms)
		ms = (next - now) * 1000;
	return ms;
}

/* Due jobs, one after the other; when none is, a wait for the next one
 * to be due or for push.db to be written (xdsctl push). */
static void *
send_main(void *arg)
{
	struct push *p = arg;
	struct push_job j;
	char err[256];
	int rc;

	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		pthread_mutex_unlock(&p->mu);
		if (p->conf.push_route[0] != '\0')
			push_send_routes(p);
		rc = push_db_take(p->db, clock_wall(), &j, err, sizeof err);
		if (rc == XDS_OK)
			push_send_job(p, &j);
		else if (rc != XDS_ENOTFOUND)
			log_warnx("push: %s", err);
		/* the spools of jobs that ended, also by xdsctl push cancel
		 * (whose write to push.db woke the sender) */
		push_fetch_sweep(p, 0);
		if (rc != XDS_OK)
			(void)push_watch_wait(p->watch, idle_ms(p));
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
push_start(const struct conf *conf, struct push **out, char *err,
    size_t errlen)
{
	struct push *p;
	char e[512];

	*out = NULL;
	if ((p = calloc(1, sizeof *p)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	p->conf = *conf;
	pthread_mutex_init(&p->mu, NULL);
	if (dir_open(conf, &p->dir, e, sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "directory: %s", e);
		goto fail;
	}
	if (push_db_open(conf->node_state_dir, &p->db, err, errlen) != XDS_OK ||
	    push_db_requeue(p->db, err, errlen) != XDS_OK ||
	    push_watch_open(conf->node_state_dir, &p->watch, err, errlen) !=
	    XDS_OK)
		goto fail;
	if (bridge_db_open(conf->node_state_dir, &p->bdb, err, errlen) != 0)
		goto fail;
	if (push_recv_start(p, err, errlen) != XDS_OK)
		goto fail;
	push_fetch_sweep(p, 1);		/* spools of proxy mode: not kept */
	if (pthread_create(&p->send_thread, NULL, send_main, p) != 0) {
		str_fmt(err, errlen, "cannot start the push sender");
		goto fail;
	}
	p->send_running = 1;
	*out = p;
	return XDS_OK;
fail:
	push_stop(p);
	return XDS_EINVAL;
}

void
push_wake(struct push *p)
{
	push_watch_poke(p->watch);
}

int
push_port(const struct push *p)
{
	return p != NULL ? push_recv_port(p) : 0;
}

struct dcmshim_scp *
push_scp(struct push *p)
{
	return p != NULL ? p->scp : NULL;
}

int
push_metrics_write(void *arg, struct buf *out)
{
	struct push *p = arg;
	long long n[PUSH_NSTATES];
	char err[256];
	int i, rc;

	rc = buf_adds(out, "# HELP xds_push_jobs Push jobs by state.\n"
	    "# TYPE xds_push_jobs gauge\n");
	if (push_db_counts(p->db, n, err, sizeof err) == XDS_OK)
		for (i = 0; i < PUSH_NSTATES; i++)
			rc |= buf_addf(out, "xds_push_jobs{state=\"%s\"} "
			    "%lld\n", push_db_states[i], n[i]);
	rc |= buf_addf(out, "# HELP xds_push_instances_sent_total Instances "
	    "receivers committed.\n# TYPE xds_push_instances_sent_total "
	    "counter\nxds_push_instances_sent_total %llu\n",
	    __atomic_load_n(&p->instances_out, __ATOMIC_RELAXED));
	rc |= buf_addf(out, "# HELP xds_push_received_total Storage "
	    "commitment requests answered on push.listen.\n"
	    "# TYPE xds_push_received_total counter\n"
	    "xds_push_received_total %llu\n"
	    "# HELP xds_push_instances_received_total Instances committed "
	    "on push.listen.\n"
	    "# TYPE xds_push_instances_received_total counter\n"
	    "xds_push_instances_received_total %llu\n"
	    "# HELP xds_push_studies_received_total Studies received on "
	    "push.listen with every instance committed.\n"
	    "# TYPE xds_push_studies_received_total counter\n"
	    "xds_push_studies_received_total %llu\n",
	    __atomic_load_n(&p->studies_in, __ATOMIC_RELAXED),
	    __atomic_load_n(&p->instances_in, __ATOMIC_RELAXED),
	    __atomic_load_n(&p->studies_complete, __ATOMIC_RELAXED));
	rc |= buf_addf(out, "# HELP xds_push_reports_total Storage "
	    "commitment reports of this node's requests received on "
	    "push.listen, by result.\n"
	    "# TYPE xds_push_reports_total counter\n"
	    "xds_push_reports_total{result=\"applied\"} %llu\n"
	    "xds_push_reports_total{result=\"refused\"} %llu\n",
	    __atomic_load_n(&p->reports_in, __ATOMIC_RELAXED),
	    __atomic_load_n(&p->reports_refused, __ATOMIC_RELAXED));
	if (p->stage != NULL)
		rc |= buf_addf(out, "# HELP xds_push_instances_waiting "
		    "Instances received on push.listen waiting for their "
		    "storage commitment (not durable yet).\n"
		    "# TYPE xds_push_instances_waiting gauge\n"
		    "xds_push_instances_waiting %zu\n"
		    "# HELP xds_push_instances_expired_total Instances "
		    "received on push.listen and removed, their commitment "
		    "never asked for.\n"
		    "# TYPE xds_push_instances_expired_total counter\n"
		    "xds_push_instances_expired_total %llu\n",
		    bridge_stage_count(p->stage),
		    bridge_stage_expired(p->stage));
	rc |= buf_adds(out, "# HELP xds_push_refused_total Associations "
	    "refused on push.listen, by reason.\n"
	    "# TYPE xds_push_refused_total counter\n");
	for (i = 0; i < DCMSHIM_REFUSED_N; i++)
		rc |= buf_addf(out, "xds_push_refused_total{reason=\"%s\"} "
		    "%llu\n", dcmshim_refusal_name((enum dcmshim_refusal)i),
		    __atomic_load_n(&p->refused[i], __ATOMIC_RELAXED));
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}

void
push_stop(struct push *p)
{
	if (p == NULL)
		return;
	push_recv_stop(p);
	if (p->send_running) {
		pthread_mutex_lock(&p->mu);
		p->stopping = 1;
		pthread_mutex_unlock(&p->mu);
		push_watch_poke(p->watch);
		pthread_join(p->send_thread, NULL);
	}
	bridge_db_close(p->bdb);
	push_db_close(p->db);
	dir_close(p->dir);
	push_watch_close(p->watch);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
