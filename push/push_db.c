/*
 * push_db.c: the push jobs, state_dir/push.db (push_db.h).  One mutex
 * per connection: a transaction is never shared by two threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "push_db.h"
#include "str.h"

#define PATH_SZ	1024

struct push_db {
	sqlite3		*db;
	pthread_mutex_t	 mu;
};

const char *const push_db_states[PUSH_NSTATES] = {
	"queued", "sending", "done", "failed", "cancelled"
};

static const char *const steps[] = {
	"CREATE TABLE job ("
	" id INTEGER PRIMARY KEY,"
	" dest TEXT NOT NULL,"
	" study_uid TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('queued','sending','done',"
	"  'failed','cancelled')),"
	" created INTEGER NOT NULL,"
	" started INTEGER NOT NULL,"
	" next_try INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX job_due ON job(state, next_try);"
	"CREATE TABLE item ("
	" job INTEGER NOT NULL REFERENCES job(id),"
	" sop_uid TEXT NOT NULL,"
	" series_uid TEXT NOT NULL,"
	" sop_class TEXT NOT NULL,"
	" ts TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('new','stored','committed')),"
	" PRIMARY KEY (job, sop_uid));",
	/* 2: what made a job the daemon made itself (a route), one job
	 * per study, destination and origin: making it again after a
	 * crash finds the first */
	"ALTER TABLE job ADD COLUMN origin TEXT;"
	"CREATE UNIQUE INDEX job_origin ON job(study_uid, dest, origin)"
	" WHERE origin IS NOT NULL;",
	/* 3: the Transaction UID of a job's last storage commitment
	 * request, which a report on push.listen names (push_report.c) */
	"ALTER TABLE job ADD COLUMN txn TEXT;"
	"CREATE INDEX job_txn ON job(txn) WHERE txn IS NOT NULL;",
};

static enum xds_status
sqlerr(struct push_db *d, const char *what, char *err, size_t errlen)
{
	str_fmt(err, errlen, "push.db: %s: %s", what, sqlite3_errmsg(d->db));
	return XDS_EIO;
}

enum xds_status
push_db_open(const char *state_dir, struct push_db **out, char *err,
    size_t errlen)
{
	static const struct db_schema sch = { "push.db", steps, 3, NULL };
	struct push_db *d;
	char path[PATH_SZ];

	*out = NULL;
	if (str_fmt(path, sizeof path, "%s/push.db", state_dir) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		return XDS_EINVAL;
	}
	if ((d = calloc(1, sizeof *d)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	pthread_mutex_init(&d->mu, NULL);
	if (db_open(path, DB_SHARED, 5000, "PRAGMA foreign_keys=ON;", &d->db,
	    err, errlen) != XDS_OK ||
	    db_schema_apply(d->db, &sch, err, errlen) != XDS_OK) {
		push_db_close(d);
		return XDS_EIO;
	}
	*out = d;
	return XDS_OK;
}

void
push_db_close(struct push_db *d)
{
	if (d == NULL)
		return;
	sqlite3_close(d->db);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_lcpy(out, t != NULL ? (const char *)t : "", outsz);
}

#define JOB_COLS "j.id, j.dest, j.study_uid, j.state, j.created, " \
	"j.started, j.next_try, j.attempts, j.last_error, " \
	"(SELECT count(*) FROM item i WHERE i.job = j.id), " \
	"(SELECT count(*) FROM item i WHERE i.job = j.id AND " \
	"i.state = 'committed'), j.txn"

static void
job_row(sqlite3_stmt *st, struct push_job *j)
{
	memset(j, 0, sizeof *j);
	j->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, j->dest, sizeof j->dest);
	col_text(st, 2, j->study_uid, sizeof j->study_uid);
	col_text(st, 3, j->state, sizeof j->state);
	j->created = sqlite3_column_int64(st, 4);
	j->started = sqlite3_column_int64(st, 5);
	j->next_try = sqlite3_column_int64(st, 6);
	j->attempts = sqlite3_column_int64(st, 7);
	col_text(st, 8, j->last_error, sizeof j->last_error);
	j->instances = sqlite3_column_int64(st, 9);
	j->committed = sqlite3_column_int64(st, 10);
	col_text(st, 11, j->txn, sizeof j->txn);
}

enum xds_status
push_db_add(struct push_db *d, const char *dest, const char *study_uid,
    const char *origin, long long now, long long *id, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum xds_status rc = XDS_OK;

	pthread_mutex_lock(&d->mu);
	/* INSERT OR IGNORE: with an origin, the row that is there already
	 * (job_origin) is the job, its id looked up below. */
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO job (dest, "
	    "study_uid, state, created, started, next_try, origin) VALUES "
	    "(?1, ?2, 'queued', ?3, ?3, ?3, ?4)", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = sqlerr(d, "add", err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, study_uid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if (origin != NULL)
		sqlite3_bind_text(st, 4, origin, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sqlerr(d, "add", err, errlen);
		goto out;
	}
	if (sqlite3_changes(d->db) == 1) {
		*id = sqlite3_last_insert_rowid(d->db);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (origin == NULL || sqlite3_prepare_v2(d->db, "SELECT id FROM job "
	    "WHERE study_uid = ?1 AND dest = ?2 AND origin = ?3", -1, &st,
	    NULL) != SQLITE_OK) {
		rc = sqlerr(d, "add", err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, study_uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, origin, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = sqlerr(d, "add", err, errlen);
		goto out;
	}
	*id = sqlite3_column_int64(st, 0);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* The first job row of st (prepared, bound), which it finalizes:
 * XDS_OK, or XDS_ENOTFOUND ("no such push job"). */
static enum xds_status
job_one(struct push_db *d, sqlite3_stmt *st, struct push_job *out,
    char *err, size_t errlen)
{
	enum xds_status rc;
	int s;

	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		job_row(st, out);
		rc = XDS_OK;
	} else if (s == SQLITE_DONE) {
		str_fmt(err, errlen, "no such push job");
		rc = XDS_ENOTFOUND;
	} else
		rc = sqlerr(d, "job", err, errlen);
	sqlite3_finalize(st);
	return rc;
}

/* One job by sql with its id (or now) bound to ?1: XDS_OK, ENOTFOUND. */
static enum xds_status
job_by(struct push_db *d, const char *sql, long long v, struct push_job *out,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlerr(d, "job", err, errlen);
	sqlite3_bind_int64(st, 1, v);
	return job_one(d, st, out, err, errlen);
}

enum xds_status
push_db_job(struct push_db *d, long long id, struct push_job *out, char *err,
    size_t errlen)
{
	enum xds_status rc;

	pthread_mutex_lock(&d->mu);
	rc = job_by(d, "SELECT " JOB_COLS " FROM job j WHERE j.id = ?1", id,
	    out, err, errlen);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_list(struct push_db *d, int (*fn)(void *, const struct push_job *),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct push_job j;
	enum xds_status rc = XDS_OK;
	int s;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "SELECT " JOB_COLS " FROM job j "
	    "ORDER BY j.id DESC", -1, &st, NULL) != SQLITE_OK) {
		rc = sqlerr(d, "list", err, errlen);
		goto out;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		job_row(st, &j);
		if (fn(arg, &j) != 0)
			break;
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		rc = sqlerr(d, "list", err, errlen);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_items(struct push_db *d, long long id,
    int (*fn)(void *, const struct push_item *), void *arg, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct push_item it;
	enum xds_status rc = XDS_OK;
	int s;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "SELECT sop_uid, series_uid, "
	    "sop_class, ts, state FROM item WHERE job = ? ORDER BY sop_uid",
	    -1, &st, NULL) != SQLITE_OK) {
		rc = sqlerr(d, "items", err, errlen);
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, it.sop_uid, sizeof it.sop_uid);
		col_text(st, 1, it.series_uid, sizeof it.series_uid);
		col_text(st, 2, it.sop_class, sizeof it.sop_class);
		col_text(st, 3, it.ts, sizeof it.ts);
		col_text(st, 4, it.state, sizeof it.state);
		if (fn(arg, &it) != 0) {
			str_fmt(err, errlen, "job %lld: too many instances",
			    id);
			rc = XDS_ETOOBIG;
			goto out;
		}
	}
	if (s != SQLITE_DONE)
		rc = sqlerr(d, "items", err, errlen);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* Run sql with up to two int64 and one text parameter (NULL: none) and
 * return the number of rows changed, or -1. */
static int
change(struct push_db *d, const char *sql, long long a, long long b,
    const char *t, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlerr(d, "update", err, errlen);
		return -1;
	}
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_text(st, 3, t != NULL ? t : "", -1,
		    SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		n = sqlite3_changes(d->db);
	else
		sqlerr(d, "update", err, errlen);
	sqlite3_finalize(st);
	return n;
}

enum xds_status
push_db_next(struct push_db *d, long long *next, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum xds_status rc;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "SELECT min(next_try) FROM job WHERE "
	    "state = 'queued'", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		rc = sqlerr(d, "next", err, errlen);
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		rc = XDS_ENOTFOUND;
	else {
		*next = sqlite3_column_int64(st, 0);
		rc = XDS_OK;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_take(struct push_db *d, long long now, struct push_job *out,
    char *err, size_t errlen)
{
	enum xds_status rc;

	pthread_mutex_lock(&d->mu);
	rc = job_by(d, "SELECT " JOB_COLS " FROM job j WHERE j.state = "
	    "'queued' AND j.next_try <= ?1 ORDER BY j.next_try, j.id LIMIT 1",
	    now, out, err, errlen);
	if (rc == XDS_OK && change(d, "UPDATE job SET state = 'sending', "
	    "attempts = attempts + 1, txn = NULL WHERE id = ?1 AND "
	    "state = 'queued'",
	    out->id, 0, NULL, err, errlen) != 1)
		rc = XDS_EIO;
	if (rc == XDS_OK) {
		str_lcpy(out->state, "sending", sizeof out->state);
		out->attempts++;
		out->txn[0] = '\0';
	}
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_requeue(struct push_db *d, char *err, size_t errlen)
{
	int n;

	pthread_mutex_lock(&d->mu);
	n = change(d, "UPDATE job SET state = 'queued' WHERE state = "
	    "'sending'", 0, 0, NULL, err, errlen);
	pthread_mutex_unlock(&d->mu);
	return n < 0 ? XDS_EIO : XDS_OK;
}

/* A write transaction: begin, then end with the outcome (COMMIT, or
 * ROLLBACK after a failure). */
static enum xds_status
begin(struct push_db *d, char *err, size_t errlen)
{
	return db_exec(d->db, "push.db", "BEGIN IMMEDIATE", err, errlen);
}

static enum xds_status
end(struct push_db *d, enum xds_status rc, char *err, size_t errlen)
{
	char e[64];

	if (rc == XDS_OK)
		return db_exec(d->db, "push.db", "COMMIT", err, errlen);
	(void)db_exec(d->db, "push.db", "ROLLBACK", e, sizeof e);
	return rc;
}

enum xds_status
push_db_set_items(struct push_db *d, long long id,
    const struct push_item *items, size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum xds_status rc;
	size_t i;

	pthread_mutex_lock(&d->mu);
	if ((rc = begin(d, err, errlen)) != XDS_OK)
		goto out;
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO item (job, "
	    "sop_uid, series_uid, sop_class, ts, state) VALUES (?, ?, ?, ?, "
	    "?, 'new')", -1, &st, NULL) != SQLITE_OK)
		rc = sqlerr(d, "items", err, errlen);
	for (i = 0; rc == XDS_OK && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, items[i].sop_uid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, items[i].series_uid, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, items[i].sop_class, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 5, items[i].ts, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sqlerr(d, "items", err, errlen);
	}
	sqlite3_finalize(st);
	rc = end(d, rc, err, errlen);
out:
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* push_db_attempt, and push_db_await with await set: the job queued
 * for next_try (due at once when nothing is left to commit), its txn
 * kept for the report. */
static enum xds_status
record(struct push_db *d, long long id, const struct push_item *items,
    size_t n, long long next_try, int give_up, int await, long long now,
    const char *why, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum xds_status rc;
	size_t i, left = 0;

	pthread_mutex_lock(&d->mu);
	if ((rc = begin(d, err, errlen)) != XDS_OK)
		goto out;
	/* never back from committed: a report on push.listen may have
	 * committed an item during the attempt (push_db_report) */
	if (sqlite3_prepare_v2(d->db, "UPDATE item SET state = ? WHERE "
	    "job = ? AND sop_uid = ? AND state <> 'committed'", -1, &st,
	    NULL) != SQLITE_OK)
		rc = sqlerr(d, "attempt", err, errlen);
	for (i = 0; rc == XDS_OK && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, items[i].state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_bind_text(st, 3, items[i].sop_uid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sqlerr(d, "attempt", err, errlen);
	}
	sqlite3_finalize(st);
	if (rc == XDS_OK) {
		sqlite3_stmt *q = NULL;

		/* No items yet (an attempt that did not list them): not
		 * done either. */
		if (sqlite3_prepare_v2(d->db, "SELECT count(*), "
		    "count(*) - coalesce(sum(state = 'committed'), 0) FROM "
		    "item WHERE job = ?", -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_bind_int64(q, 1, id) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_ROW)
			rc = sqlerr(d, "attempt", err, errlen);
		else
			left = sqlite3_column_int64(q, 0) == 0 ? 1 :
			    (size_t)sqlite3_column_int64(q, 1);
		sqlite3_finalize(q);
	}
	if (await) {
		if (left == 0)
			next_try = now;
		give_up = 0;
		left = left == 0 ? 1 : left;	/* queued, not done */
	}
	if (rc == XDS_OK && left == 0 && change(d, "UPDATE job SET "
	    "state = 'done', last_error = '' WHERE id = ?1 AND state = "
	    "'sending'", id, 0, NULL, err, errlen) < 0)
		rc = XDS_EIO;
	else if (rc == XDS_OK && left > 0 && change(d, give_up ?
	    "UPDATE job SET state = 'failed', next_try = ?2, last_error = ?3 "
	    "WHERE id = ?1 AND state = 'sending'" :
	    "UPDATE job SET state = 'queued', next_try = ?2, last_error = ?3 "
	    "WHERE id = ?1 AND state = 'sending'", id, next_try, why, err,
	    errlen) < 0)
		rc = XDS_EIO;
	rc = end(d, rc, err, errlen);
out:
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_attempt(struct push_db *d, long long id, const struct push_item *items,
    size_t n, long long next_try, int give_up, const char *why, char *err,
    size_t errlen)
{
	return record(d, id, items, n, next_try, give_up, 0, 0, why, err,
	    errlen);
}

enum xds_status
push_db_await(struct push_db *d, long long id, const struct push_item *items,
    size_t n, long long until, long long now, const char *why, char *err,
    size_t errlen)
{
	return record(d, id, items, n, until, 0, 1, now, why, err, errlen);
}

enum xds_status
push_db_set_txn(struct push_db *d, long long id, const char *txn, char *err,
    size_t errlen)
{
	int n;

	pthread_mutex_lock(&d->mu);
	n = change(d, "UPDATE job SET txn = ?3 WHERE id = ?1", id, 0, txn,
	    err, errlen);
	pthread_mutex_unlock(&d->mu);
	return n < 0 ? XDS_EIO : XDS_OK;
}

/* The job, queued or sending, whose transaction is txn (?1 text). */
static enum xds_status
job_by_txn(struct push_db *d, const char *txn, struct push_job *out,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum xds_status rc;

	if (sqlite3_prepare_v2(d->db, "SELECT " JOB_COLS " FROM job j WHERE "
	    "j.txn = ?1 AND j.state IN ('queued', 'sending')", -1, &st,
	    NULL) != SQLITE_OK)
		return sqlerr(d, "job", err, errlen);
	sqlite3_bind_text(st, 1, txn, -1, SQLITE_STATIC);
	if ((rc = job_one(d, st, out, err, errlen)) == XDS_ENOTFOUND)
		str_fmt(err, errlen, "no push job awaits transaction %.64s",
		    txn);
	return rc;
}

enum xds_status
push_db_by_txn(struct push_db *d, const char *txn, struct push_job *out,
    char *err, size_t errlen)
{
	enum xds_status rc;

	pthread_mutex_lock(&d->mu);
	rc = job_by_txn(d, txn, out, err, errlen);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* Each of uids[0..n) of job id set to state when its state is one of
 * from (SQL list); the rows changed added to *changed. */
static enum xds_status
report_items(struct push_db *d, long long id, const char *const *uids,
    size_t n, const char *sql, size_t *changed, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum xds_status rc = XDS_OK;
	size_t i;

	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlerr(d, "report", err, errlen);
	for (i = 0; rc == XDS_OK && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, uids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sqlerr(d, "report", err, errlen);
		else
			*changed += (size_t)sqlite3_changes(d->db);
	}
	sqlite3_finalize(st);
	return rc;
}

enum xds_status
push_db_report(struct push_db *d, const char *txn, long long id,
    const char *const *committed, size_t ncommitted,
    const char *const *failed, size_t nfailed, long long now,
    size_t *newly, char *err, size_t errlen)
{
	struct push_job j;
	enum xds_status rc;
	size_t nfail = 0;

	*newly = 0;
	pthread_mutex_lock(&d->mu);
	if ((rc = begin(d, err, errlen)) != XDS_OK)
		goto out;
	if ((rc = job_by_txn(d, txn, &j, err, errlen)) == XDS_OK && j.id != id) {
		str_fmt(err, errlen, "transaction %.64s is another job's", txn);
		rc = XDS_ENOTFOUND;
	}
	if (rc == XDS_OK)
		rc = report_items(d, id, committed, ncommitted, "UPDATE item "
		    "SET state = 'committed' WHERE job = ?1 AND sop_uid = ?2 "
		    "AND state <> 'committed'", newly, err, errlen);
	if (rc == XDS_OK)
		rc = report_items(d, id, failed, nfailed, "UPDATE item SET "
		    "state = 'new' WHERE job = ?1 AND sop_uid = ?2 AND state "
		    "= 'stored'", &nfail, err, errlen);
	/* a queued job's next attempt declares it done or sends again; a
	 * sending one is recorded by its attempt (push_db_await) */
	if (rc == XDS_OK && strcmp(j.state, "queued") == 0 && change(d,
	    "UPDATE job SET next_try = ?2, last_error = '' WHERE id = ?1 AND "
	    "state = 'queued'", id, now, NULL, err, errlen) < 0)
		rc = XDS_EIO;
	rc = end(d, rc, err, errlen);
out:
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_fail(struct push_db *d, long long id, const char *why, char *err,
    size_t errlen)
{
	int n;

	pthread_mutex_lock(&d->mu);
	n = change(d, "UPDATE job SET state = 'failed', last_error = ?3 "
	    "WHERE id = ?1 AND state IN ('queued', 'sending')", id,
	    0, why, err, errlen);
	pthread_mutex_unlock(&d->mu);
	return n < 0 ? XDS_EIO : XDS_OK;
}

enum xds_status
push_db_retry(struct push_db *d, long long id, long long now, char *err,
    size_t errlen)
{
	struct push_job j;
	enum xds_status rc;

	pthread_mutex_lock(&d->mu);
	rc = job_by(d, "SELECT " JOB_COLS " FROM job j WHERE j.id = ?1", id,
	    &j, err, errlen);
	if (rc == XDS_OK && strcmp(j.state, "failed") != 0 &&
	    strcmp(j.state, "queued") != 0) {
		str_fmt(err, errlen, "push job %lld is %s", id, j.state);
		rc = XDS_EINVAL;
	}
	if (rc == XDS_OK && change(d, "UPDATE job SET state = 'queued', "
	    "next_try = ?2, started = ?2 WHERE id = ?1 AND state IN "
	    "('failed', 'queued')", id, now, NULL, err, errlen) < 0)
		rc = XDS_EIO;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_cancel(struct push_db *d, long long id, char *err, size_t errlen)
{
	struct push_job j;
	enum xds_status rc;

	pthread_mutex_lock(&d->mu);
	rc = job_by(d, "SELECT " JOB_COLS " FROM job j WHERE j.id = ?1", id,
	    &j, err, errlen);
	if (rc == XDS_OK && strcmp(j.state, "done") == 0) {
		str_fmt(err, errlen, "push job %lld is done", id);
		rc = XDS_EINVAL;
	}
	if (rc == XDS_OK && change(d, "UPDATE job SET state = 'cancelled' "
	    "WHERE id = ?1 AND state <> 'done'", id, 0, NULL, err,
	    errlen) < 0)
		rc = XDS_EIO;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

enum xds_status
push_db_counts(struct push_db *d, long long counts[PUSH_NSTATES], char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum xds_status rc = XDS_OK;
	int i, s;

	for (i = 0; i < PUSH_NSTATES; i++)
		counts[i] = 0;
	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "SELECT state, count(*) FROM job "
	    "GROUP BY state", -1, &st, NULL) != SQLITE_OK) {
		rc = sqlerr(d, "counts", err, errlen);
		goto out;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		for (i = 0; k != NULL && i < PUSH_NSTATES; i++)
			if (strcmp(k, push_db_states[i]) == 0)
				counts[i] = sqlite3_column_int64(st, 1);
	}
	if (s != SQLITE_DONE)
		rc = sqlerr(d, "counts", err, errlen);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	return rc;
}
