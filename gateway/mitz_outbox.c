/*
 * mitz_outbox.c: the durable outbox of subscriptions at Mitz
 * (mitz_outbox.h).
 *
 * One table, keyed by BSN: pending, done (with Mitz's id) or failed
 * (with the reason).  The registering thread inserts (synchronous=FULL:
 * on disk before the submission is answered) and wakes the thread; the
 * thread takes the oldest pending row, posts it, and writes the outcome.
 * While Mitz cannot be reached, throttles or fails, the whole outbox
 * backs off (1, 2, 4, ... seconds up to consent.subscribe_retry_max):
 * the next row would meet the same Mitz.  At start every pending row is
 * due at once.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "gw_https.h"
#include "hl7dt.h"
#include "log.h"
#include "mitz_fhir.h"
#include "mitz_outbox.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

#define OUTBOX_DB		"mitz.db"
#define OUTBOX_BUSY_MS		5000
#define OUTBOX_ANSWER_MAX	(64 * 1024)
#define OUTBOX_REASON_MAX	256

/* Version 1 (PRAGMA user_version; db_schema_apply).  A change adds a
 * step. */
static const char SQL_SCHEMA[] =
    "CREATE TABLE subscription ("
    " bsn TEXT PRIMARY KEY,"
    " state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " added INTEGER NOT NULL,"		/* clock_wall() */
    " mitz_id TEXT,"
    " reason TEXT);"
    "CREATE INDEX sub_pending ON subscription(state, added);";
static const char *const schema_steps[] = { SQL_SCHEMA };
static const struct db_schema schema = { OUTBOX_DB, schema_steps, 1, NULL };
static const char SQL_QUEUE[] =
    "INSERT INTO subscription (bsn, state, added) VALUES (?, 'pending', ?) "
    "ON CONFLICT (bsn) DO UPDATE SET state = 'pending', attempts = 0, "
    "added = excluded.added WHERE state = 'failed'";
/* Reconciliation at start: a patient the outbox never had, only. */
static const char SQL_MISSING[] =
    "INSERT INTO subscription (bsn, state, added) VALUES (?, 'pending', ?) "
    "ON CONFLICT (bsn) DO NOTHING";
static const char SQL_NEXT[] =
    "SELECT bsn FROM subscription WHERE state = 'pending' "
    "ORDER BY added, bsn LIMIT 1";
static const char SQL_OUTCOME[] =
    "UPDATE subscription SET state = ?, attempts = attempts + 1, "
    "mitz_id = ?, reason = ? WHERE bsn = ?";
static const char SQL_EACH[] =
    "SELECT bsn, state, attempts, added, coalesce(mitz_id, ''), "
    "coalesce(reason, '') FROM subscription WHERE ?1 IS NULL OR state = ?1 "
    "ORDER BY added, bsn";
static const char SQL_PENDING[] =
    "SELECT count(*) FROM subscription WHERE state = 'pending'";

enum outcome { OUT_NONE, OUT_DONE, OUT_FAILED, OUT_RETRY, OUT_NOUT };
static const char *const outcome_name[OUT_NOUT] = {
	"none", "subscribed", "refused", "retried" };

struct mitz_outbox {
	const struct conf	*cf;
	sqlite3			*db;		/* DB_SHARED */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* CLOCK_MONOTONIC */
	int			 stop, woken;
	long long		 next_try;	/* clock_real_ms */
	unsigned		 fails;		/* in a row */
	unsigned long long	 counts[OUT_NOUT];
	char			 source[CONF_STR_MAX + 8];
};

/* ---- the table ---- */

static int
queue(struct mitz_outbox *o, const char *bsn)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(o->db, SQL_QUEUE, -1, &st, NULL) != SQLITE_OK)
		return XDS_EIO;
	sqlite3_bind_text(st, 1, bsn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, clock_wall());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? XDS_OK : XDS_EIO;
}

struct recon {
	sqlite3_stmt	*ins;
	unsigned long long added;
	int		 failed;
};

/* One patient of the registry: queued unless the outbox has it. */
static int
recon_one(void *arg, const char *cx)
{
	struct recon *rc = arg;
	struct hl7_cx p;
	char e[128];

	if (hl7_cx_parse(cx, strlen(cx), &p, e, sizeof e) != 0 ||
	    strcmp(p.aa_oid, OID_BSN) != 0 ||
	    hl7_bsn_valid(p.id, strlen(p.id)) != 0)
		return 0;
	sqlite3_reset(rc->ins);
	if (sqlite3_bind_text(rc->ins, 1, p.id, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK || sqlite3_bind_int64(rc->ins, 2, clock_wall()) !=
	    SQLITE_OK || sqlite3_step(rc->ins) != SQLITE_DONE) {
		rc->failed = 1;
		return 1;
	}
	if (sqlite3_changes(sqlite3_db_handle(rc->ins)) > 0)
		rc->added++;
	return 0;
}

/* Every patient of the registry the outbox does not have, queued in one
 * transaction (before the thread: the connection is ours alone). */
static int
reconcile(struct mitz_outbox *o, mitz_patients_fn patients, void *arg,
    char *err, size_t errlen)
{
	struct recon rc;

	memset(&rc, 0, sizeof rc);
	if (db_exec(o->db, OUTBOX_DB, "BEGIN IMMEDIATE", err, errlen) !=
	    XDS_OK)
		return XDS_EIO;
	if (sqlite3_prepare_v2(o->db, SQL_MISSING, -1, &rc.ins, NULL) !=
	    SQLITE_OK || patients(arg, recon_one, &rc) != 0 || rc.failed) {
		str_fmt(err, errlen, OUTBOX_DB ": the registry's patients could "
		    "not be compared: %s", sqlite3_errmsg(o->db));
		sqlite3_finalize(rc.ins);
		sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
		return XDS_EIO;
	}
	sqlite3_finalize(rc.ins);
	if (db_exec(o->db, OUTBOX_DB, "COMMIT", err, errlen) != XDS_OK)
		return XDS_EIO;
	if (rc.added > 0)
		log_warnx("mitz: %llu patient(s) of the registry had no "
		    "subscription queued (a crash before it was): queued now",
		    rc.added);
	return XDS_OK;
}

/* The oldest pending BSN into bsn: 1, 0 for none, -1 on a failure. */
static int
next_pending(struct mitz_outbox *o, char *bsn, size_t bsnlen)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(o->db, SQL_NEXT, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		str_lcpy(bsn, (const char *)sqlite3_column_text(st, 0),
		    bsnlen);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	sqlite3_finalize(st);
	return ret;
}

static int
record(struct mitz_outbox *o, const char *bsn, const char *state,
    const char *id, const char *reason)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(o->db, SQL_OUTCOME, -1, &st, NULL) !=
	    SQLITE_OK)
		return XDS_EIO;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, bsn, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? XDS_OK : XDS_EIO;
}

/* ---- one subscription ---- */

/* Post the subscription of bsn; its outcome, with Mitz's id or the
 * reason. */
static enum outcome
post(struct mitz_outbox *o, const char *bsn, char *id, size_t idlen,
    char *why, size_t whylen)
{
	const struct conf *cf = o->cf;
	struct gw_https_tls t = { cf->http_cert, cf->http_key, cf->http_ca };
	struct gw_https_req r;
	struct mitz_sub s;
	struct buf body, ans;
	char e[512], rid[46];
	enum outcome out;
	long status;
	int rc;

	buf_init(&body, OUTBOX_ANSWER_MAX);
	buf_init(&ans, OUTBOX_ANSWER_MAX);
	memset(&s, 0, sizeof s);
	s.bsn = bsn;
	s.ura = cf->consent_ura;
	s.org_type = cf->consent_org_type;
	s.notify_url = cf->consent_notify_url;
	s.gateway_oid = cf->node_home_community_id;
	s.source_oid = o->source;
	if ((rc = mitz_sub_json(&s, &body, e, sizeof e)) != XDS_OK) {
		str_fmt(why, whylen, "not sent: %s", e);
		out = rc == XDS_ENOMEM ? OUT_RETRY : OUT_FAILED;
		goto done;
	}
	memset(&r, 0, sizeof r);
	r.method = "POST";
	r.url = cf->consent_subscribe_url;
	r.accept = CT_FHIR_JSON;
	r.ctype = CT_FHIR_JSON;
	r.body = buf_str(&body);
	r.bodylen = body.b_len;
	r.request_id = hl7_uuid_new(rid) == 0 ? rid + strlen("urn:uuid:") :
	    NULL;
	r.timeout_ms = (long)cf->consent_timeout * 1000;
	r.who = "Mitz";
	if ((rc = gw_https_do(&t, &r, &ans, &status, e, sizeof e)) !=
	    XDS_OK) {
		str_fmt(why, whylen, "%s", e);
		out = OUT_RETRY;
	} else if (status >= 200 && status < 300) {
		if (mitz_sub_answer_id(buf_str(&ans), ans.b_len, id, idlen, e,
		    sizeof e) != XDS_OK)
			log_warnx("mitz: subscription accepted (HTTP %ld), "
			    "but its answer is not read: %s", status, e);
		str_fmt(why, whylen, "HTTP %ld", status);
		out = OUT_DONE;
	} else if (status == 429 || status >= 500) {
		str_fmt(why, whylen, "HTTP %ld", status);
		out = OUT_RETRY;
	} else {
		str_fmt(why, whylen, "refused by Mitz: HTTP %ld", status);
		out = OUT_FAILED;
	}
done:
	buf_free(&body);
	buf_free(&ans);
	return out;
}

/* Send the oldest pending row: its outcome, OUT_NONE when there is
 * none. */
static enum outcome
send_next(struct mitz_outbox *o)
{
	char bsn[MITZ_BSN_LEN + 1], id[MITZ_SUB_ID_MAX] = "", why[512];
	char red[32];
	enum outcome out;
	int n;

	if ((n = next_pending(o, bsn, sizeof bsn)) < 0) {
		log_warnx("mitz: the subscription outbox cannot be read: %s",
		    sqlite3_errmsg(o->db));
		return OUT_RETRY;
	}
	if (n == 0)
		return OUT_NONE;
	log_redact_id(bsn, red, sizeof red);
	out = post(o, bsn, id, sizeof id, why, sizeof why);
	switch (out) {
	case OUT_DONE:
		log_info("mitz: subscribed patient %s (%s, id %s)", red, why,
		    id[0] != '\0' ? id : "not given");
		n = record(o, bsn, "done", id, why);
		break;
	case OUT_FAILED:
		log_warnx("mitz: the subscription of patient %s failed: %s",
		    red, why);
		n = record(o, bsn, "failed", NULL, why);
		break;
	default:
		log_warnx("mitz: the subscription of patient %s is retried: "
		    "%s", red, why);
		n = record(o, bsn, "pending", NULL, why);
		break;
	}
	if (n != XDS_OK) {
		log_warnx("mitz: the subscription outbox cannot be written: "
		    "%s", sqlite3_errmsg(o->db));
		out = OUT_RETRY;
	}
	return out;
}

static void *
run(void *arg)
{
	struct mitz_outbox *o = arg;
	struct timespec ts;
	enum outcome out;
	long long wait, back;

	pthread_mutex_lock(&o->mu);
	while (!o->stop) {
		if ((wait = o->next_try - clock_real_ms()) > 0) {
			clock_deadline_ts(CLOCK_MONOTONIC, wait, &ts);
			pthread_cond_timedwait(&o->cv, &o->mu, &ts);
			continue;
		}
		o->woken = 0;
		pthread_mutex_unlock(&o->mu);
		out = send_next(o);
		pthread_mutex_lock(&o->mu);
		o->counts[out]++;
		if (out == OUT_RETRY) {
			back = o->fails < 20 ? 1000LL << o->fails : 0;
			if (back == 0 || back > o->cf->consent_subscribe_retry_max *
			    1000)
				back = o->cf->consent_subscribe_retry_max * 1000;
			o->fails++;
			o->next_try = clock_real_ms() + back;
		} else if (out != OUT_NONE)
			o->fails = 0;
		else if (!o->woken && !o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* ---- the interface ---- */

int
mitz_outbox_open(const struct conf *cf, mitz_patients_fn patients,
    void *patients_arg, struct mitz_outbox **out, char *err, size_t errlen)
{
	struct mitz_outbox *o;
	pthread_condattr_t ca;
	char path[CONF_STR_MAX + 16], e[512];
	int rc;

	*out = NULL;
	if ((o = calloc(1, sizeof *o)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	o->cf = cf;
	pthread_mutex_init(&o->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (cf->consent_source_system[0] != '\0')
		str_fmt(o->source, sizeof o->source, URN_OID "%s",
		    cf->consent_source_system);
	else
		str_lcpy(o->source, cf->node_home_community_id,
		    sizeof o->source);
	if (str_fmt(path, sizeof path, "%s/" OUTBOX_DB,
	    cf->node_state_dir) < 0) {
		str_fmt(err, errlen, "node.state_dir is too long");
		rc = XDS_EINVAL;
		goto fail;
	}
	if ((rc = db_open(path, DB_SHARED, OUTBOX_BUSY_MS, NULL, &o->db, e,
	    sizeof e)) != XDS_OK ||
	    (rc = db_schema_apply(o->db, &schema, e, sizeof e)) != XDS_OK ||
	    (patients != NULL && (rc = reconcile(o, patients, patients_arg, e,
	    sizeof e)) != XDS_OK)) {
		str_fmt(err, errlen, "%s", e);
		goto fail;
	}
	if (pthread_create(&o->thread, NULL, run, o) != 0) {
		str_fmt(err, errlen, "cannot start the subscription thread");
		rc = XDS_EINTERNAL;
		goto fail;
	}
	o->started = 1;
	log_info("mitz: subscriptions of new patients go to %s "
	    "(notifications to %s)", cf->consent_subscribe_url,
	    cf->consent_notify_url);
	*out = o;
	return XDS_OK;
fail:
	mitz_outbox_close(o);
	return rc;
}

void
mitz_outbox_close(struct mitz_outbox *o)
{
	if (o == NULL)
		return;
	if (o->started) {
		pthread_mutex_lock(&o->mu);
		o->stop = 1;
		pthread_cond_signal(&o->cv);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
	}
	sqlite3_close(o->db);
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

void
mitz_outbox_patient(void *arg, const char *cx)
{
	struct mitz_outbox *o = arg;
	struct hl7_cx p;
	char e[256], red[HL7_ID_MAX + 64];

	log_redact_id(cx, red, sizeof red);
	if (hl7_cx_parse(cx, strlen(cx), &p, e, sizeof e) != 0 ||
	    strcmp(p.aa_oid, OID_BSN) != 0 ||
	    hl7_bsn_valid(p.id, strlen(p.id)) != 0) {
		log_info("mitz: patient %s is not a BSN: not subscribed", red);
		return;
	}
	if (queue(o, p.id) != XDS_OK) {
		/* the documents are registered; what is lost is the
		 * subscription, which the log must say */
		log_error("mitz: the subscription of patient %s cannot be "
		    "queued: %s", red, sqlite3_errmsg(o->db));
		return;
	}
	pthread_mutex_lock(&o->mu);
	o->woken = 1;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

int
mitz_outbox_metrics_write(void *arg, struct buf *out)
{
	struct mitz_outbox *o = arg;
	sqlite3_stmt *st = NULL;
	long long pending = -1;
	enum outcome k;
	int rc;

	if (sqlite3_prepare_v2(o->db, SQL_PENDING, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		pending = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	rc = buf_adds(out, "# HELP xds_mitz_subscriptions_total Attempts "
	    "to subscribe a patient at Mitz, by result.\n"
	    "# TYPE xds_mitz_subscriptions_total counter\n");
	pthread_mutex_lock(&o->mu);
	for (k = OUT_DONE; k < OUT_NOUT && rc == XDS_OK; k++)
		rc = buf_addf(out, "xds_mitz_subscriptions_total{result=\"%s\"} "
		    "%llu\n", outcome_name[k], o->counts[k]);
	pthread_mutex_unlock(&o->mu);
	if (rc == XDS_OK && pending >= 0)
		rc = buf_addf(out, "# HELP xds_mitz_subscriptions_pending "
		    "Subscriptions waiting in the outbox.\n# TYPE "
		    "xds_mitz_subscriptions_pending gauge\n"
		    "xds_mitz_subscriptions_pending %lld\n", pending);
	return rc == XDS_OK ? XDS_OK : XDS_ETOOBIG;
}

int
mitz_outbox_each(const char *state_dir, const char *state,
    int (*fn)(void *arg, const struct mitz_outbox_row *), void *arg,
    char *err, size_t errlen)
{
	struct mitz_outbox_row r;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char path[CONF_STR_MAX + 16];
	int rc;

	if (str_fmt(path, sizeof path, "%s/" OUTBOX_DB, state_dir) < 0) {
		str_fmt(err, errlen, "the state directory's name is too long");
		return XDS_EINVAL;
	}
	if (access(path, F_OK) != 0)
		return XDS_OK;
	if ((rc = db_open_readonly(path, OUTBOX_BUSY_MS, &db, err, errlen)) !=
	    XDS_OK)
		return rc;
	if (sqlite3_prepare_v2(db, SQL_EACH, -1, &st, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		rc = XDS_EIO;
		goto out;
	}
	if (state != NULL)
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.bsn = (const char *)sqlite3_column_text(st, 0);
		r.state = (const char *)sqlite3_column_text(st, 1);
		r.attempts = sqlite3_column_int64(st, 2);
		r.added = sqlite3_column_int64(st, 3);
		r.mitz_id = (const char *)sqlite3_column_text(st, 4);
		r.reason = (const char *)sqlite3_column_text(st, 5);
		if ((rc = fn(arg, &r)) != XDS_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		str_fmt(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		rc = XDS_EIO;
	} else
		rc = XDS_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
