/*
 * bridge_db.c: the study database of the DICOM bridge (bridge_db.h):
 * state_dir/dicom.db in WAL mode, one writer transaction at a time per
 * connection, the statements of the receive path prepared once.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bridge_db.h"
#include "db.h"
#include "str.h"

#define PATH_SZ	1024

/* Prepared statements kept for the connection's life, keyed by the
 * address of their SQL text (a literal): the receive path runs the same
 * handful per instance, and preparing them again was most of the
 * SQLite CPU it spent. */
#define STMT_CACHE	16
struct stmt_slot {
	const char	*sql;
	sqlite3_stmt	*st;
};

struct bridge_db {
	sqlite3		*db;
	pthread_mutex_t	 mu;		/* one writer transaction at a time */
	int		 lazy;		/* instance rows: synchronous=NORMAL */
	struct stmt_slot cache[STMT_CACHE];	/* under mu */
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS study ("
	" study_uid TEXT PRIMARY KEY,"
	" bsn TEXT,"
	" instances INTEGER NOT NULL DEFAULT 0,"
	" last_arrival INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending','conflict',"
	"  'receiving','ready','published')));"
	"CREATE TABLE IF NOT EXISTS instance ("
	" sop_uid TEXT PRIMARY KEY,"
	" study_uid TEXT NOT NULL REFERENCES study(study_uid),"
	" series_uid TEXT NOT NULL,"
	" sop_class TEXT NOT NULL,"
	" bsn TEXT,"
	" arrived INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS instance_study ON instance(study_uid);"
	"CREATE INDEX IF NOT EXISTS study_state ON study(state, last_arrival);";

/* Columns added after the first release of the table (publication). */
static const char *const migrations[] = {
	"ALTER TABLE study ADD COLUMN entry_uuid TEXT",	/* published entry */
	"ALTER TABLE study ADD COLUMN unique_id TEXT",	/* its KOS SOP UID */
	"ALTER TABLE study ADD COLUMN retry_at INTEGER NOT NULL DEFAULT 0",
	/*
	 * Idempotent publication (publish.h): rev counts the instances added,
	 * so a recorded attempt knows whether it still lists them all; the
	 * attempt columns name the manifest in flight, NULL when none.  Old
	 * rows get rev 0 and no attempt: what they had before.
	 */
	"ALTER TABLE study ADD COLUMN rev INTEGER NOT NULL DEFAULT 0",
	"ALTER TABLE study ADD COLUMN attempt_unique_id TEXT",
	"ALTER TABLE study ADD COLUMN attempt_entry_uuid TEXT",
	"ALTER TABLE study ADD COLUMN attempt_ss_uid TEXT",
	"ALTER TABLE study ADD COLUMN attempt_rev INTEGER",
};

/*
 * Version 1 (PRAGMA user_version; db_schema_apply): the tables and the
 * columns added during the first release, which files of that release
 * (user_version 0) hold some of: each is added unless present.  A
 * change after it is a step of plain SQL.
 */
static int
schema_v1(sqlite3 *db, char *err, size_t errlen)
{
	char *msg = NULL;
	size_t i;

	if (db_exec(db, "dicom.db", schema, err, errlen) != XDS_OK)
		return XDS_EIO;
	for (i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
		if (sqlite3_exec(db, migrations[i], NULL, NULL, &msg) ==
		    SQLITE_OK)
			continue;
		/* present already: fine; anything else is not */
		if (msg == NULL || strstr(msg, "duplicate column") == NULL) {
			str_fmt(err, errlen, "dicom.db: %s", msg ? msg :
			    "migration");
			sqlite3_free(msg);
			return XDS_EIO;
		}
		sqlite3_free(msg);
		msg = NULL;
	}
	return XDS_OK;
}

int
bridge_db_open(const char *state_dir, struct bridge_db **out, char *err,
    size_t errlen)
{
	static const char *const steps[] = {
		NULL,		/* version 1: schema_v1 */
		/* 2: a study sent to the bridge under a routed called AE
		 * title (push.route), pushed once complete (job set) */
		"CREATE TABLE route ("
		" study_uid TEXT NOT NULL,"
		" ae TEXT NOT NULL,"
		" job INTEGER,"
		" PRIMARY KEY (study_uid, ae))",
		/* 3: who delivered an instance by push (push.listen): the
		 * URA of the sending organisation's certificate, the only
		 * one whose storage commitment request commits it */
		"CREATE TABLE origin ("
		" sop_uid TEXT NOT NULL,"
		" ura TEXT NOT NULL,"
		" PRIMARY KEY (sop_uid, ura)) WITHOUT ROWID",
	};
	static const struct db_schema sch = { "dicom.db", steps, 3,
	    schema_v1 };
	struct bridge_db *d;
	char path[PATH_SZ];

	*out = NULL;
	if (str_fmt(path, sizeof path, "%s/dicom.db", state_dir) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		return -1;
	}
	if ((d = calloc(1, sizeof *d)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&d->mu, NULL);
	if (db_open(path, DB_SHARED, 5000, "PRAGMA foreign_keys=ON;", &d->db,
	    err, errlen) != XDS_OK ||
	    db_schema_apply(d->db, &sch, err, errlen) != XDS_OK)
		goto fail;
	*out = d;
	return 0;
fail:
	bridge_db_close(d);
	return -1;
}

void
bridge_db_close(struct bridge_db *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(d->cache[i].st);
	sqlite3_close(d->db);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* The cached statement for sql (prepared on first use), reset; NULL on
 * error.  A full cache prepares without keeping (*owned set: finalize). */
static sqlite3_stmt *
stmt_get(struct bridge_db *d, const char *sql, int *owned)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	*owned = 0;
	for (i = 0; i < STMT_CACHE && d->cache[i].sql != NULL; i++)
		if (d->cache[i].sql == sql) {
			sqlite3_reset(d->cache[i].st);
			sqlite3_clear_bindings(d->cache[i].st);
			return d->cache[i].st;
		}
	if (sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	if (i < STMT_CACHE) {
		d->cache[i].sql = sql;
		d->cache[i].st = st;
	} else
		*owned = 1;
	return st;
}

static int
exec_bind(struct bridge_db *d, const char *sql, const char *a, const char *b,
    const char *c, const char *e, long long n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *v[4] = { a, b, c, e };
	int i, rc, owned;

	if ((st = stmt_get(d, sql, &owned)) == NULL)
		goto fail;
	for (i = 0; i < 4; i++) {
		int idx = sqlite3_bind_parameter_index(st, i == 0 ? ":a" :
		    i == 1 ? ":b" : i == 2 ? ":c" : ":e");

		if (idx > 0)
			sqlite3_bind_text(st, idx, v[i], -1, SQLITE_STATIC);
	}
	if ((i = sqlite3_bind_parameter_index(st, ":n")) > 0)
		sqlite3_bind_int64(st, i, n);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto fail;
	sqlite3_reset(st);	/* ends the statement: no read lock kept */
	if (owned)
		sqlite3_finalize(st);
	return 0;
fail:
	str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
	if (st != NULL) {
		sqlite3_reset(st);
		if (owned)
			sqlite3_finalize(st);
	}
	return -1;
}

/*
 * exec_bind under the connection's mutex; *changes (when not NULL): the
 * rows the statement changed, read before another thread can run one.
 */
static int
exec_locked(struct bridge_db *d, const char *sql, const char *a,
    const char *b, const char *c, const char *e, long long n, int *changes,
    char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&d->mu);
	rc = exec_bind(d, sql, a, b, c, e, n, err, errlen);
	if (rc == 0 && changes != NULL)
		*changes = sqlite3_changes(d->db);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

static int
instance_known(sqlite3 *db, const struct bridge_db_row *in, const char *bsn)
{
	sqlite3_stmt *st = NULL;
	int known = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM instance WHERE sop_uid = ?1"
	    " AND study_uid = ?2 AND series_uid = ?3 AND bsn IS ?4", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, in->sop_uid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, in->study_uid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, in->series_uid, -1, SQLITE_STATIC);
		if (bsn != NULL)
			sqlite3_bind_text(st, 4, bsn, -1, SQLITE_STATIC);
		known = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return known;
}

/* The study of an existing row of this SOP Instance UID into study
 * (any BSN): 1, or 0 when there is none. */
static int
sop_stored(sqlite3 *db, const char *sop_uid, char study[DCMSHIM_UI_SZ])
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int found = 0;

	study[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT study_uid FROM instance WHERE"
	    " sop_uid = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, sop_uid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			found = 1;
			if ((v = sqlite3_column_text(st, 0)) != NULL)
				str_lcpy(study, (const char *)v, DCMSHIM_UI_SZ);
		}
	}
	sqlite3_finalize(st);
	return found;
}

/* A study's count, BSN and state recounted from all its instances. */
static int
study_recount(struct bridge_db *d, const char *study_uid, char *err,
    size_t errlen)
{
	return exec_bind(d, "UPDATE study SET rev = rev + 1,"
	    " instances = (SELECT count(*) FROM instance i WHERE"
	    "  i.study_uid = study.study_uid),"
	    " bsn = (SELECT min(bsn) FROM instance i WHERE"
	    "  i.study_uid = study.study_uid),"
	    " state = CASE"
	    "  WHEN (SELECT count(DISTINCT bsn) FROM instance i WHERE"
	    "   i.study_uid = study.study_uid) > 1 THEN 'conflict'"
	    "  WHEN (SELECT count(bsn) FROM instance i WHERE"
	    "   i.study_uid = study.study_uid) = 0 THEN 'pending'"
	    "  ELSE 'receiving' END"
	    " WHERE study_uid = :a", study_uid, NULL, NULL, NULL, 0, err,
	    errlen);
}

/* The rows of one instance (and its origin when not NULL) inside the
 * caller's transaction: 0 or -1 with err (roll back). */
static int
instance_rows(struct bridge_db *d, const struct bridge_db_row *in,
    const char *bsn, const char *origin, long long now, char *err,
    size_t errlen)
{
	char was[DCMSHIM_UI_SZ];
	int replaced;

	/* A resend of an instance we hold (same UID, study and BSN) is the
	 * same instance (PS3.3 C.12.1.1.1): a published study stays so. */
	if (instance_known(d->db, in, bsn)) {
		if (origin == NULL)
			return 0;
		goto from;
	}
	replaced = sop_stored(d->db, in->sop_uid, was);
	/* The study row first (the instance refers to it). */
	if (exec_bind(d, "INSERT INTO study(study_uid, bsn, last_arrival,"
	    " state) VALUES (:a, :b, :n, CASE WHEN :b IS NULL THEN 'pending'"
	    " ELSE 'receiving' END) ON CONFLICT(study_uid) DO UPDATE SET"
	    " last_arrival = max(last_arrival, excluded.last_arrival)",
	    in->study_uid, bsn, NULL, NULL, now, err, errlen) != 0 ||
	    exec_bind(d, "INSERT OR REPLACE INTO instance(sop_uid,"
	    " study_uid, series_uid, sop_class, bsn, arrived) VALUES"
	    " (:a, :b, :c, :e, NULL, :n)", in->sop_uid, in->study_uid,
	    in->series_uid, in->sop_class, now, err, errlen) != 0)
		return -1;
	if (bsn != NULL && exec_bind(d, "UPDATE instance SET bsn = :b"
	    " WHERE sop_uid = :a", in->sop_uid, bsn, NULL, NULL, 0, err,
	    errlen) != 0)
		return -1;
	/*
	 * The study's BSN and state from all its instances: one distinct
	 * BSN -> that one; two -> conflict; none -> pending.  A study that
	 * was ready or published receives again (republication, RPLC).
	 * rev + 1: a manifest listed before this instance is incomplete.
	 * A new instance updates the row from its own BSN (SET expressions
	 * see the row as it was), in constant time: recounting the study's
	 * instances for each one made a study of n instances cost O(n^2)
	 * and was a fifth of the bridge's CPU at 1,000 instances.  A
	 * replaced instance may have taken a BSN away (or left another
	 * study): then recount.
	 */
	if (!replaced) {
		if (exec_bind(d, "UPDATE study SET rev = rev + 1,"
		    " instances = instances + 1,"
		    " state = CASE"
		    "  WHEN state = 'conflict' OR (:b IS NOT NULL AND"
		    "   bsn IS NOT NULL AND bsn <> :b) THEN 'conflict'"
		    "  WHEN bsn IS NULL AND :b IS NULL THEN 'pending'"
		    "  ELSE 'receiving' END,"
		    " bsn = CASE WHEN bsn IS NULL THEN :b WHEN :b IS NULL"
		    "  THEN bsn ELSE min(bsn, :b) END"
		    " WHERE study_uid = :a", in->study_uid, bsn, NULL, NULL, 0,
		    err, errlen) != 0)
			return -1;
	} else if (study_recount(d, in->study_uid, err, errlen) != 0 ||
	    (strcmp(was, in->study_uid) != 0 && was[0] != '\0' &&
	    study_recount(d, was, err, errlen) != 0))
		return -1;
from:
	/* In the instance's own transaction: a crash loses both or
	 * neither, and an instance that recovery gives back without its
	 * origin is committed to no one (its sender sends it again). */
	if (origin != NULL && exec_bind(d, "INSERT OR IGNORE INTO origin"
	    "(sop_uid, ura) VALUES (:a, :b)", in->sop_uid, origin, NULL, NULL,
	    0, err, errlen) != 0)
		return -1;
	return 0;
}

void
bridge_db_row_of(const struct dcmshim_info *in, const char *bsn,
    struct bridge_db_row *out)
{
	memset(out, 0, sizeof *out);
	str_lcpy(out->sop_class, in->sop_class, sizeof out->sop_class);
	str_lcpy(out->sop_uid, in->sop_uid, sizeof out->sop_uid);
	str_lcpy(out->study_uid, in->study_uid, sizeof out->study_uid);
	str_lcpy(out->series_uid, in->series_uid, sizeof out->series_uid);
	if (bsn != NULL)
		str_lcpy(out->bsn, bsn, sizeof out->bsn);
}

/* n rows (with origin when not NULL) in one transaction, synchronous
 * FULL unless lazy. */
static int
instances_tx(struct bridge_db *d, const struct bridge_db_row *v, size_t n,
    const char *origin, long long now, int lazy, char *err, size_t errlen)
{
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&d->mu);
	if (lazy && sqlite3_exec(d->db, "PRAGMA synchronous=NORMAL", NULL,
	    NULL, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
		goto out;
	}
	if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
		goto out;
	}
	for (i = 0; i < n; i++)
		if (instance_rows(d, &v[i], v[i].bsn[0] != '\0' ? v[i].bsn :
		    NULL, origin, now, err, errlen) != 0)
			goto rollback;
	if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
		goto rollback;
	}
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
out:
	if (lazy)
		sqlite3_exec(d->db, "PRAGMA synchronous=FULL", NULL, NULL,
		    NULL);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

int
bridge_db_instance(struct bridge_db *d, const struct dcmshim_info *in,
    const char *bsn, const char *origin, long long now, char *err,
    size_t errlen)
{
	struct bridge_db_row row;
	int lazy;

	bridge_db_row_of(in, bsn, &row);
	/* Lazy (the bridge's receive path): the file is durable, and crash
	 * recovery rebuilds rows an unclean stop lost from the files. */
	pthread_mutex_lock(&d->mu);
	lazy = d->lazy;
	pthread_mutex_unlock(&d->mu);
	return instances_tx(d, &row, 1, origin, now, lazy, err, errlen);
}

int
bridge_db_instances_from(struct bridge_db *d, const struct bridge_db_row *v,
    size_t n, const char *origin, long long now, char *err, size_t errlen)
{
	return instances_tx(d, v, n, origin, now, 0, err, errlen);
}

int
bridge_db_has_instance(struct bridge_db *d, const char *sop_uid, char *err,
    size_t errlen)
{
	return bridge_db_instance_study(d, sop_uid, NULL, err, errlen);
}

int
bridge_db_instance_study(struct bridge_db *d, const char *sop_uid,
    char *study_uid, char *err, size_t errlen)
{
	return bridge_db_instance_from(d, sop_uid, NULL, study_uid, err,
	    errlen);
}

int
bridge_db_instance_from(struct bridge_db *d, const char *sop_uid,
    const char *origin, char *study_uid, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, origin == NULL ? "SELECT study_uid FROM"
	    " instance WHERE sop_uid = ?1" : "SELECT i.study_uid FROM"
	    " instance i JOIN origin o ON o.sop_uid = i.sop_uid WHERE"
	    " i.sop_uid = ?1 AND o.ura = ?2", -1, &st, NULL) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else {
		sqlite3_bind_text(st, 1, sop_uid, -1, SQLITE_STATIC);
		if (origin != NULL)
			sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && study_uid != NULL)
			str_lcpy(study_uid, (const char *)sqlite3_column_text(st,
			    0), DCMSHIM_UI_SZ);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	str_fmt(err, errlen, "dicom.db: looking up %.64s", sop_uid);
	return XDS_EIO;
}

int
bridge_db_route(struct bridge_db *d, const char *study_uid, const char *ae,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO route (study_uid,"
	    " ae) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else {
		sqlite3_bind_text(st, 1, study_uid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ae, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_DONE)
		n = sqlite3_changes(d->db);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	if (rc == SQLITE_DONE)
		return n > 0;
	str_fmt(err, errlen, "dicom.db: route of %.64s: %s", study_uid,
	    sqlite3_errmsg(d->db));
	return -1;
}

/* A routed study is complete when it is ready or published, or when it
 * is still receiving but has been quiet for dicom.publish_after (?2):
 * the rule bridge_db_mark_ready applies, so that the push sender need
 * not wait for the scheduler's next tick. */
#define ROUTE_COMPLETE	"(s.state IN ('ready', 'published') OR" \
	" (s.state = 'receiving' AND s.last_arrival <= ?1 - ?2))"

int
bridge_db_routes_due(struct bridge_db *d, long long now, long long quiet,
    int (*fn)(void *arg, const char *study_uid, const char *ae), void *arg,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "SELECT r.study_uid, r.ae FROM route r"
	    " JOIN study s ON s.study_uid = r.study_uid WHERE r.job IS NULL"
	    " AND " ROUTE_COMPLETE " ORDER BY s.last_arrival LIMIT 64", -1,
	    &st, NULL) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, quiet) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (fn(arg, (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1)) != 0) {
				rc = SQLITE_DONE;
				break;
			}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	if (rc == SQLITE_DONE)
		return 0;
	str_fmt(err, errlen, "dicom.db: routes: %s", sqlite3_errmsg(d->db));
	return -1;
}

int
bridge_db_route_next(struct bridge_db *d, long long quiet, long long *when,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "SELECT min(CASE WHEN s.state ="
	    " 'receiving' THEN s.last_arrival + ?1 ELSE 0 END) FROM route r"
	    " JOIN study s ON s.study_uid = r.study_uid WHERE r.job IS NULL"
	    " AND s.state IN ('receiving', 'ready', 'published')", -1, &st,
	    NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, quiet) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*when = sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	if (rc == SQLITE_ROW)
		return found;
	str_fmt(err, errlen, "dicom.db: routes: %s", sqlite3_errmsg(d->db));
	return -1;
}

int
bridge_db_route_job(struct bridge_db *d, const char *study_uid, const char *ae,
    long long job, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "UPDATE route SET job = ?3 WHERE"
	    " study_uid = ?1 AND ae = ?2", -1, &st, NULL) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else {
		sqlite3_bind_text(st, 1, study_uid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ae, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, job);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	if (rc == SQLITE_DONE)
		return 0;
	str_fmt(err, errlen, "dicom.db: route of %.64s: %s", study_uid,
	    sqlite3_errmsg(d->db));
	return -1;
}

void
bridge_db_set_lazy(struct bridge_db *d)
{
	pthread_mutex_lock(&d->mu);
	d->lazy = 1;
	pthread_mutex_unlock(&d->mu);
}

enum xds_status
bridge_db_checkpoint(struct bridge_db *d, char *err, size_t errlen)
{
	enum xds_status st = XDS_OK;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_wal_checkpoint_v2(d->db, NULL, SQLITE_CHECKPOINT_FULL, NULL,
	    NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "dicom.db: checkpoint: %s",
		    sqlite3_errmsg(d->db));
		st = XDS_EIO;
	}
	pthread_mutex_unlock(&d->mu);
	return st;
}

int
bridge_db_mark_ready(struct bridge_db *d, long long now, long long quiet,
    char *err, size_t errlen)
{
	int n = -1;

	if (exec_locked(d, "UPDATE study SET state = 'ready' WHERE"
	    " state = 'receiving' AND last_arrival <= :n", NULL, NULL, NULL,
	    NULL, now - quiet, &n, err, errlen) != 0)
		return -1;
	return n;
}

/* The end of a walk over st's rows: st finalized; 0 when it ended well
 * (ok), else -1 with the connection's error in err. */
static int
walk_end(struct bridge_db *d, sqlite3_stmt *st, int ok, char *err,
    size_t errlen)
{
	if (!ok)
		str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int
db_select(struct bridge_db *d, const char *state, const char *study_uid,
    long long due, int (*fn)(void *, const struct bridge_db_study *), void *arg,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct bridge_db_study s;
	int rc;

	if (sqlite3_prepare_v2(d->db, "SELECT study_uid, bsn, instances,"
	    " last_arrival, state, entry_uuid, unique_id, rev,"
	    " attempt_unique_id, attempt_entry_uuid, attempt_ss_uid,"
	    " attempt_rev FROM study WHERE"
	    " CASE WHEN ?1 IS NULL THEN state IN ('pending','conflict')"
	    " WHEN ?2 IS NOT NULL THEN study_uid = ?2 ELSE state = ?1 END"
	    " AND (?3 IS NULL OR retry_at <= ?3)"
	    " ORDER BY last_arrival, study_uid", -1, &st, NULL) != SQLITE_OK)
		return walk_end(d, st, 0, err, errlen);
	if (state != NULL)
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	if (study_uid != NULL) {
		sqlite3_bind_text(st, 1, "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, study_uid, -1, SQLITE_STATIC);
	}
	if (due >= 0)
		sqlite3_bind_int64(st, 3, due);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.study_uid = (const char *)sqlite3_column_text(st, 0);
		s.bsn = (const char *)sqlite3_column_text(st, 1);
		s.instances = sqlite3_column_int64(st, 2);
		s.last_arrival = sqlite3_column_int64(st, 3);
		s.state = (const char *)sqlite3_column_text(st, 4);
		s.entry_uuid = (const char *)sqlite3_column_text(st, 5);
		s.unique_id = (const char *)sqlite3_column_text(st, 6);
		s.rev = sqlite3_column_int64(st, 7);
		s.attempt_unique_id = (const char *)sqlite3_column_text(st, 8);
		s.attempt_entry_uuid = (const char *)sqlite3_column_text(st,
		    9);
		s.attempt_ss_uid = (const char *)sqlite3_column_text(st, 10);
		s.attempt_rev = sqlite3_column_int64(st, 11);
		if (fn(arg, &s) != 0)
			break;
	}
	return walk_end(d, st, rc == SQLITE_ROW || rc == SQLITE_DONE, err,
	    errlen);
}

int
bridge_db_list(struct bridge_db *d, const char *state,
    int (*fn)(void *, const struct bridge_db_study *), void *arg, char *err,
    size_t errlen)
{
	return db_select(d, state, NULL, -1, fn, arg, err, errlen);
}

int
bridge_db_due(struct bridge_db *d, long long now,
    int (*fn)(void *, const struct bridge_db_study *), void *arg, char *err,
    size_t errlen)
{
	return db_select(d, "ready", NULL, now, fn, arg, err, errlen);
}

static int
copy_study(void *arg, const struct bridge_db_study *s)
{
	struct bridge_db_study_row *r = arg;

	r->found = 1;
	str_lcpy(r->study_uid, s->study_uid, sizeof r->study_uid);
	str_lcpy(r->bsn, s->bsn != NULL ? s->bsn : "", sizeof r->bsn);
	str_lcpy(r->state, s->state, sizeof r->state);
	str_lcpy(r->entry_uuid, s->entry_uuid != NULL ? s->entry_uuid : "",
	    sizeof r->entry_uuid);
	str_lcpy(r->unique_id, s->unique_id != NULL ? s->unique_id : "",
	    sizeof r->unique_id);
	r->instances = s->instances;
	r->last_arrival = s->last_arrival;
	r->rev = s->rev;
	str_lcpy(r->attempt_unique_id, s->attempt_unique_id != NULL ?
	    s->attempt_unique_id : "", sizeof r->attempt_unique_id);
	str_lcpy(r->attempt_entry_uuid, s->attempt_entry_uuid != NULL ?
	    s->attempt_entry_uuid : "", sizeof r->attempt_entry_uuid);
	str_lcpy(r->attempt_ss_uid, s->attempt_ss_uid != NULL ?
	    s->attempt_ss_uid : "", sizeof r->attempt_ss_uid);
	r->attempt_rev = s->attempt_rev;
	return 1;
}

int
bridge_db_study(struct bridge_db *d, const char *study_uid,
    struct bridge_db_study_row *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (db_select(d, NULL, study_uid, -1, copy_study, out, err,
	    errlen) != 0)
		return -1;
	if (!out->found) {
		str_fmt(err, errlen, "no study %.64s", study_uid);
		return -1;
	}
	return 0;
}

int
bridge_db_request_publish(struct bridge_db *d, const char *study_uid,
    char *err, size_t errlen)
{
	struct bridge_db_study_row r;
	int rc = -1, n = 0;

	if (bridge_db_study(d, study_uid, &r, err, errlen) != 0)
		return -1;
	if (strcmp(r.state, "pending") == 0 || strcmp(r.state,
	    "conflict") == 0) {
		str_fmt(err, errlen, "study %.64s is %s: it has %s BSN and is "
		    "never published", study_uid, r.state, strcmp(r.state,
		    "pending") == 0 ? "no valid" : "more than one");
		return -1;
	}
	if (exec_locked(d, "UPDATE study SET state = 'ready', retry_at = 0"
	    " WHERE study_uid = :a AND state IN ('receiving','ready',"
	    "'published')", study_uid, NULL, NULL, NULL, 0, &n, err,
	    errlen) == 0)
		rc = n == 1 ? 0 : -1;
	if (rc != 0 && err[0] == '\0')
		str_fmt(err, errlen, "study %.64s changed state", study_uid);
	return rc;
}

int
bridge_db_published(struct bridge_db *d, const char *study_uid,
    const char *entry_uuid, const char *unique_id, char *err, size_t errlen)
{
	/* Instances that arrived meanwhile made it 'receiving': it stays
	 * so and republishes with this entry as the one it replaces.  The
	 * attempt that was this manifest is settled. */
	return exec_locked(d, "UPDATE study SET entry_uuid = :b, unique_id ="
	    " :c, retry_at = 0, state = CASE WHEN state = 'ready' THEN"
	    " 'published' ELSE state END,"
	    " attempt_entry_uuid = CASE WHEN attempt_unique_id IS :c THEN NULL"
	    "  ELSE attempt_entry_uuid END,"
	    " attempt_ss_uid = CASE WHEN attempt_unique_id IS :c THEN NULL"
	    "  ELSE attempt_ss_uid END,"
	    " attempt_rev = CASE WHEN attempt_unique_id IS :c THEN NULL"
	    "  ELSE attempt_rev END,"
	    " attempt_unique_id = CASE WHEN attempt_unique_id IS :c THEN NULL"
	    "  ELSE attempt_unique_id END"
	    " WHERE study_uid = :a", study_uid, entry_uuid, unique_id, NULL, 0,
	    NULL, err, errlen);
}

int
bridge_db_attempt(struct bridge_db *d, const char *study_uid,
    const char *unique_id, const char *entry_uuid, const char *ss_uid,
    long long rev, char *err, size_t errlen)
{
	int rc = -1, n = 0;

	if (unique_id == NULL || unique_id[0] == '\0' || entry_uuid == NULL ||
	    entry_uuid[0] == '\0' || ss_uid == NULL || ss_uid[0] == '\0') {
		str_fmt(err, errlen, "an attempt needs a uniqueId, an "
		    "entryUUID and a SubmissionSet uniqueId");
		return -1;
	}
	/* Not lazy (bridge_db_instance is the only one): this commit is
	 * durable before the manifest leaves. */
	if (exec_locked(d, "UPDATE study SET attempt_unique_id = :b,"
	    " attempt_entry_uuid = :c, attempt_ss_uid = :e, attempt_rev = :n"
	    " WHERE study_uid = :a AND attempt_unique_id IS NULL", study_uid,
	    unique_id, entry_uuid, ss_uid, rev, &n, err, errlen) == 0) {
		rc = n == 1 ? 0 : -1;
		if (rc != 0)
			str_fmt(err, errlen, "study %.64s is unknown or has a "
			    "publication in flight", study_uid);
	}
	return rc;
}

int
bridge_db_attempt_drop(struct bridge_db *d, const char *study_uid,
    const char *unique_id, char *err, size_t errlen)
{
	return exec_locked(d, "UPDATE study SET attempt_unique_id = NULL,"
	    " attempt_entry_uuid = NULL, attempt_ss_uid = NULL,"
	    " attempt_rev = NULL WHERE study_uid = :a AND"
	    " attempt_unique_id = :b", study_uid, unique_id, NULL, NULL, 0,
	    NULL, err, errlen);
}

int
bridge_db_retry_at(struct bridge_db *d, const char *study_uid, long long at,
    char *err, size_t errlen)
{
	return exec_locked(d, "UPDATE study SET retry_at = :n WHERE"
	    " study_uid = :a", study_uid, NULL, NULL, NULL, at, NULL, err,
	    errlen);
}

int
bridge_db_instances(struct bridge_db *d, const char *study_uid,
    int (*fn)(void *, const char *series, const char *sop_class,
    const char *sop_uid), void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(d->db, "SELECT series_uid, sop_class, sop_uid"
	    " FROM instance WHERE study_uid = ?1 ORDER BY series_uid,"
	    " sop_uid", -1, &st, NULL) != SQLITE_OK)
		return walk_end(d, st, 0, err, errlen);
	sqlite3_bind_text(st, 1, study_uid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2)) != 0) {
			sqlite3_finalize(st);
			str_fmt(err, errlen, "too many instances");
			return -1;
		}
	return walk_end(d, st, rc == SQLITE_DONE, err, errlen);
}
