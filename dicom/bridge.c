/*
 * bridge.c: the top of the DICOM bridge (bridge.h): start and stop, the
 * SCP thread, whose C-STORE instances bridge_receive.c makes durable, who
 * may connect (bridge_access.c) and what is refused (counted for /metrics,
 * logged, audited), and the publication scheduler, which hands ready
 * studies to publish.c.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bridge.h"
#include "bridge_access.h"
#include "bridge_db.h"
#include "bridge_receive.h"
#include "bridge_recover.h"
#include "clock.h"
#include "dcmshim.h"
#include "hl7dt.h"
#include "log.h"
#include "publish.h"
#include "ratelimit.h"
#include "str.h"
#include "url.h"
#include "vocab.h"
#include "xact.h"

#define PATH_SZ	1024
#define BRIDGE_MAX_ROUTES	64	/* push.route's AE titles answered */
#define BRIDGE_REFUSAL_EVERY	60	/* seconds: refusal records per */
#define BRIDGE_REFUSAL_KEYS	1024	/* peer address and reason */

struct bridge {
	struct conf		 conf;
	struct publish_links	 links;
	char			 root[PATH_SZ];		/* state_dir/dicom */
	char			 tmp[PATH_SZ];		/* state_dir/dicom/tmp */
	struct dcmshim_scp	*scp;
	struct bridge_db	*db;
	struct bridge_receive	*rcv;
	pthread_t		 scp_thread, sched_thread;
	int			 scp_running, sched_running;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stopping;		/* under mu */
	int			 recovering;	/* bridge_recover_begin done */
	struct bridge_access	 access;	/* dicom.allowed_peers */
	unsigned long long	 refused[DCMSHIM_REFUSED_N];	/* atomic */
	long long		 log_sec;	/* atomic: last logged one */
	unsigned long long	 log_quiet;	/* atomic: not logged */
	struct ratelimit	*refusal_records; /* per address, reason */
};

/* The SCP's admit: dicom.allowed_peers (bridge_access.h). */
static int
admit(void *arg, const char *addr, const char *calling_ae)
{
	struct bridge *b = arg;

	if (calling_ae == NULL)
		return bridge_access_addr(&b->access, addr);
	return bridge_access_peer(&b->access, addr, calling_ae);
}

/*
 * A refused A-ASSOCIATE-RQ (its AE titles): a log line and an audit
 * record, unless this address had one of this reason in the last
 * BRIDGE_REFUSAL_EVERY seconds; the next one says how many were left out
 * (a peer retrying with a wrong AE title cannot fill the audit trail).
 */
static void
refused_assoc(struct bridge *b, enum dcmshim_refusal why, const char *addr,
    const char *calling_ae, const char *called_ae)
{
	const char *name = dcmshim_refusal_name(why);
	struct xact x;
	char reason[320], more[128];

	if (!ratelimit_peer(b->refusal_records, addr, name, more,
	    sizeof more)) {
		log_debug("dicom: association from %s refused (%s): recorded "
		    "with the next one", addr, name);
		return;
	}
	str_fmt(reason, sizeof reason, "association refused (%s%s): calling "
	    "AE %s, called AE %s", name, more, calling_ae, called_ae);
	log_warnx("dicom: %s from %s", reason, addr);
	xact_begin(&x, &b->conf, "dicom", calling_ae, addr);
	str_lcpy(x.txn, TXN_DICOM_ASSOC, sizeof x.txn);
	str_lcpy(x.action, "A-ASSOCIATE-RQ", sizeof x.action);
	xact_set_object(&x, called_ae);
	xact_fail(&x, XACT_FAILURE, reason);
	x.http_status = 0;
	(void)xact_end(&x);	/* refused either way: nothing to hold back */
}

/*
 * The SCP's on_refused: counted by reason for /metrics, every one; a
 * refused A-ASSOCIATE-RQ recorded (refused_assoc); refusals at accept
 * (no request read: anyone can make them fast) logged at most once a
 * second, the next line saying how many were not.
 */
static void
refused(void *arg, enum dcmshim_refusal why, const char *addr,
    const char *calling_ae, const char *called_ae, const char *detail)
{
	struct bridge *b = arg;
	const char *name = dcmshim_refusal_name(why);
	long long now = clock_real_ms() / 1000, last;
	unsigned long long quiet;

	__atomic_add_fetch(&b->refused[why], 1, __ATOMIC_RELAXED);
	if (calling_ae != NULL) {
		refused_assoc(b, why, addr, calling_ae, called_ae);
		return;
	}
	last = __atomic_load_n(&b->log_sec, __ATOMIC_RELAXED);
	if (last == now || !__atomic_compare_exchange_n(&b->log_sec, &last,
	    now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&b->log_quiet, 1, __ATOMIC_RELAXED);
		return;
	}
	quiet = __atomic_exchange_n(&b->log_quiet, 0, __ATOMIC_RELAXED);
	log_warnx("dicom: connection from %s refused (%s)%s%s", addr, name,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	if (quiet > 0)
		log_warnx("dicom: %llu refusal%s at accept not logged since "
		    "the last one", quiet, quiet == 1 ? "" : "s");
}

int
bridge_metrics_write(void *arg, struct buf *out)
{
	struct bridge *b = arg;
	int i, rc;

	rc = buf_adds(out, "# HELP xds_dicom_refused_total DICOM connections "
	    "and associations refused, by reason.\n"
	    "# TYPE xds_dicom_refused_total counter\n");
	for (i = 0; i < DCMSHIM_REFUSED_N; i++)
		rc |= buf_addf(out, "xds_dicom_refused_total{reason=\"%s\"} "
		    "%llu\n", dcmshim_refusal_name((enum dcmshim_refusal)i),
		    __atomic_load_n(&b->refused[i], __ATOMIC_RELAXED));
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}

static void *
scp_main(void *arg)
{
	struct bridge *b = arg;
	char err[256];

	if (dcmshim_scp_run(b->scp, err, sizeof err) != 0)
		log_warnx("dicom: SCP stopped: %s", err);
	return NULL;
}

#define BRIDGE_PUB_BATCH	16	/* studies published per tick */
#define BRIDGE_PUB_RETRY	30	/* seconds before a failed one is retried */

struct due {
	char	uid[BRIDGE_PUB_BATCH][DCMSHIM_UI_SZ];
	size_t	n;
};

static int
add_due(void *arg, const struct bridge_db_study *s)
{
	struct due *d = arg;

	str_lcpy(d->uid[d->n++], s->study_uid, DCMSHIM_UI_SZ);
	return d->n == BRIDGE_PUB_BATCH;
}

/* Publish the ready studies whose time has come; a failure waits
 * BRIDGE_PUB_RETRY seconds (the repository or registry may be back by then). */
static void
publish_due(struct bridge *b)
{
	struct due d;
	char err[512];
	long long now = clock_wall();
	size_t i;

	if (!publish_links_usable(&b->conf, &b->links))
		return;
	d.n = 0;
	if (bridge_db_due(b->db, now, add_due, &d, err, sizeof err) != 0) {
		log_warnx("dicom: scheduler: %s", err);
		return;
	}
	for (i = 0; i < d.n; i++) {
		if (publish_study(&b->conf, b->db, &b->links, d.uid[i], err,
		    sizeof err) == 0)
			continue;
		log_warnx("dicom: publishing %s: %s (retry in %d s)",
		    d.uid[i], err, BRIDGE_PUB_RETRY);
		if (bridge_db_retry_at(b->db, d.uid[i], now + BRIDGE_PUB_RETRY,
		    err, sizeof err) != 0)
			log_warnx("dicom: %s", err);
	}
}

/*
 * The publication scheduler: once a second, studies quiet for
 * dicom.publish_after seconds become ready, and ready studies (also
 * those xdsctl dicom publish made ready) are published.
 */
static void *
sched_main(void *arg)
{
	struct bridge *b = arg;
	struct timespec ts;
	char err[256];
	int n;

	pthread_mutex_lock(&b->mu);
	while (!b->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		if (b->stopping)
			break;
		pthread_mutex_unlock(&b->mu);
		n = bridge_db_mark_ready(b->db, clock_wall(),
		    b->conf.dicom_publish_after, err, sizeof err);
		if (n < 0)
			log_warnx("dicom: scheduler: %s", err);
		else if (n > 0)
			log_info("dicom: %d stud%s ready for publication", n,
			    n == 1 ? "y" : "ies");
		publish_due(b);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

int
bridge_start(const struct conf *conf, const struct publish_links *links,
    struct bridge **out, char *err, size_t errlen)
{
	struct dcmshim_scp_opts o;
	struct bridge *b;
	char host[256], e[256], dest[128];
	char routed[BRIDGE_MAX_ROUTES][17];
	const char *also[BRIDGE_MAX_ROUTES];
	size_t nalso;
	int port;

	*out = NULL;
	if (conf->dicom_accession_issuer[0] != '\0' &&
	    hl7_oid_valid(conf->dicom_accession_issuer,
	    strlen(conf->dicom_accession_issuer), e, sizeof e) != 0) {
		str_fmt(err, errlen, "dicom.accession_issuer: %s", e);
		return -1;
	}
	if ((b = calloc(1, sizeof *b)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	b->conf = *conf;
	if (strcmp(conf->dicom_mode, "proxy") == 0 &&
	    conf->dicom_pacs[0] == '\0')
		log_warnx("dicom: dicom.mode is proxy without dicom.pacs: "
		    "RAD-69 cannot fetch the instances it is asked for");
	if (links != NULL)
		b->links = *links;
	if (!publish_links_usable(conf, &b->links))
		log_warnx("dicom: no repository in this node "
		    "(repository.enabled) and no dicom.repository_url: ready "
		    "studies are not published");
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (!dcmshim_uid_valid(conf->dicom_uid_root) ||
	    strlen(conf->dicom_uid_root) > 24) {
		str_fmt(err, errlen, "dicom.uid_root: \"%s\" is not a UID root "
		    "of at most 24 characters", conf->dicom_uid_root);
		goto fail;
	}
	if (conf_split_hostport(conf->dicom_listen, host, sizeof host,
	    &port) != 0) {
		str_fmt(err, errlen, "dicom.listen: \"%s\" is not host:port",
		    conf->dicom_listen);
		goto fail;
	}
	if (bridge_access_parse(conf->dicom_allowed_peers, &b->access, e,
	    sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "dicom.allowed_peers: %s", e);
		goto fail;
	}
	if (!url_host_loopback(host) && !conf->dicom_tls)
		log_warnx("dicom: plain DICOM (no TLS) on %s: "
		    "dicom.allow_plain_lan is on", conf->dicom_listen);
	if (!url_host_loopback(host) && conf->dicom_allowed_peers[0] == '\0')
		log_warnx("dicom: dicom.allowed_peers is empty: only loopback "
		    "peers are admitted on %s", conf->dicom_listen);
	if (str_fmt(b->root, sizeof b->root, "%s/dicom",
	    conf->node_state_dir) < 0 ||
	    str_fmt(b->tmp, sizeof b->tmp, "%s/tmp", b->root) < 0) {
		str_fmt(err, errlen, "node.state_dir: path too long");
		goto fail;
	}
	if ((mkdir(b->root, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(b->tmp, 0700) != 0 && errno != EEXIST)) {
		str_fmt(err, errlen, "%s: %s", b->tmp, strerror(errno));
		goto fail;
	}
	if (bridge_db_open(conf->node_state_dir, &b->db, e, sizeof e) != 0) {
		str_fmt(err, errlen, "%s", e);
		goto fail;
	}
	if (bridge_receive_new(conf, b->db, &b->rcv, e, sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "%s", e);
		goto fail;
	}
	dcmshim_log_init();
	if (bridge_recover_begin(conf, b->db, e, sizeof e) != XDS_OK) {
		str_fmt(err, errlen, "dicom: recovery: %s", e);
		goto fail;
	}
	b->recovering = 1;
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.ae_title = conf->dicom_ae_title;
	o.tmp_dir = b->tmp;
	o.max_associations = (int)conf->dicom_max_associations;
	o.max_peer_associations = (int)conf->dicom_max_peer_associations;
	o.acse_timeout = (int)conf->dicom_timeout;
	o.dimse_timeout = (int)conf->dicom_timeout;
	o.io_timeout = (int)conf->dicom_timeout;
	/* push.route: the bridge answers to each routed AE title too */
	for (nalso = 0; nalso < BRIDGE_MAX_ROUTES && conf_route_at(
	    conf->push_route, nalso, routed[nalso], sizeof routed[nalso], dest,
	    sizeof dest) == 1; nalso++)
		also[nalso] = routed[nalso];
	o.also_ae = also;
	o.nalso_ae = nalso;
	o.on_store = bridge_receive_store;
	o.arg = b->rcv;
	o.admit = admit;
	o.on_refused = refused;
	o.access_arg = b;
	b->refusal_records = ratelimit_new(BRIDGE_REFUSAL_KEYS,
	    BRIDGE_REFUSAL_EVERY * 1000LL);	/* NULL: every one recorded */
	if (conf->dicom_tls) {
		o.tls_cert = conf->http_cert;
		o.tls_key = conf->http_key;
		o.tls_ca = conf->dicom_ca[0] != '\0' ? conf->dicom_ca :
		    conf->http_ca;
	}
	if (dcmshim_scp_new(&o, &b->scp, e, sizeof e) != 0) {
		str_fmt(err, errlen, "dicom.listen %s: %s", conf->dicom_listen, e);
		goto fail;
	}
	if (pthread_create(&b->scp_thread, NULL, scp_main, b) != 0) {
		str_fmt(err, errlen, "cannot start the DICOM thread");
		goto fail;
	}
	b->scp_running = 1;
	if (pthread_create(&b->sched_thread, NULL, sched_main, b) != 0) {
		str_fmt(err, errlen, "cannot start the DICOM scheduler");
		goto fail;
	}
	b->sched_running = 1;
	*out = b;
	return 0;
fail:
	bridge_stop(b);
	return -1;
}

int
bridge_port(const struct bridge *b)
{
	return dcmshim_scp_port(b->scp);
}

struct dcmshim_scp *
bridge_scp(struct bridge *b)
{
	return b != NULL ? b->scp : NULL;
}

void
bridge_on_route(struct bridge *b, void (*fn)(void *arg), void *arg)
{
	if (b == NULL || b->rcv == NULL)
		return;
	bridge_receive_on_route(b->rcv, fn, arg);
	if (fn != NULL)
		fn(arg);	/* a route made before this call */
}

void
bridge_stop(struct bridge *b)
{
	if (b == NULL)
		return;
	if (b->scp_running) {
		dcmshim_scp_stop(b->scp);
		pthread_join(b->scp_thread, NULL);
	}
	if (b->sched_running) {
		pthread_mutex_lock(&b->mu);
		b->stopping = 1;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		pthread_join(b->sched_thread, NULL);
	}
	dcmshim_scp_free(b->scp);
	ratelimit_free(b->refusal_records);
	bridge_receive_free(b->rcv);
	if (b->recovering)
		bridge_recover_end(&b->conf, b->db);
	bridge_db_close(b->db);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
