/*
 * bridge.c: receive, patient identity, the study table and the
 * publication scheduler of the DICOM bridge (bridge.h).
 *
 * dicom.mode = proxy: the PACS keeps the instances.  Each one received is
 * reduced to its header-only copy (dcmfetch_strip: no pixel or other bulk
 * data, marked in its File Meta) before it is made durable under the same
 * path, so the study table, the KOS publication and crash recovery read
 * it as they read a full instance; the received bytes are removed.
 * RAD-69 (rad69.c) fetches the full instance from dicom.pacs on demand.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bridge.h"
#include "dcmfetch.h"
#include "hl7dt.h"
#include "log.h"
#include "str.h"

#define PATH_SZ	1024
#define DIRSYNC_SLOTS	32	/* directories with renames in flight */

/*
 * Group commit of directory fsyncs.  Instances renamed into the same
 * series directory by concurrent associations share one fsync of it: a
 * rename takes a ticket after it returned; an fsync that starts later
 * covers every ticket taken before it started; a C-STORE answers Success
 * only once an fsync covering its ticket has returned 0.
 */
struct dirsync_slot {
	char			 path[PATH_SZ];
	unsigned		 refs;		/* threads using the slot */
	unsigned long long	 renamed;	/* tickets handed out */
	unsigned long long	 synced;	/* covered by a good fsync */
	unsigned long long	 failed;	/* covered by a failed one */
	int			 syncing;	/* an fsync is running */
};

struct dirsync {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct dirsync_slot	 slot[DIRSYNC_SLOTS];
};

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

struct bridge {
	struct conf		 conf;
	struct bridge_links	 links;
	char			 root[PATH_SZ];		/* state_dir/dicom */
	char			 tmp[PATH_SZ];		/* state_dir/dicom/tmp */
	int			 proxy;		/* dicom.mode = proxy */
	struct dcmshim_scp	*scp;
	struct bridge_db	*db;
	pthread_t		 scp_thread, sched_thread;
	int			 scp_running, sched_running;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stopping;		/* under mu */
	struct dirsync		 dirsync;
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
	 * Idempotent publication (bridge.h): rev counts the instances added,
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

int
bridge_patient_bsn(const struct dcmshim_info *in, int patient_id_is_bsn,
    char bsn[10], char *err, size_t errlen)
{
	const char *found = NULL;
	size_t i;
	int invalid = 0;

	bsn[0] = '\0';
	for (i = 0; i < in->nother && i < DCMSHIM_MAX_OTHER_IDS; i++) {
		const struct dcmshim_pid *p = &in->other[i];

		if (strcmp(p->issuer, BRIDGE_ISSUER_BSN) != 0)
			continue;
		if (hl7_bsn_valid(p->id, strlen(p->id)) != 0) {	/* 0: valid */
			invalid = 1;
			continue;
		}
		if (found != NULL && strcmp(found, p->id) != 0) {
			str_fmt(err, errlen, "two different BSNs in "
			    "OtherPatientIDsSequence");
			return -1;
		}
		found = p->id;
	}
	if (found == NULL && (patient_id_is_bsn ||
	    strcmp(in->patient.issuer, BRIDGE_ISSUER_BSN) == 0) &&
	    in->patient.id[0] != '\0') {
		if (hl7_bsn_valid(in->patient.id, strlen(in->patient.id)) == 0)
			found = in->patient.id;
		else
			invalid = 1;
	}
	if (found == NULL) {
		str_fmt(err, errlen, invalid ? "BSN fails the 11-check" :
		    "no BSN (no " BRIDGE_ISSUER_BSN " patient id)");
		return -1;
	}
	str_lcpy(bsn, found, 10);
	return 0;
}

/* ---- the study table ---- */

int
bridge_db_open(const char *state_dir, struct bridge_db **out, char *err,
    size_t errlen)
{
	struct bridge_db *d;
	char path[PATH_SZ];
	char *msg = NULL;
	size_t i;

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
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "%s: %s", path, d->db ?
		    sqlite3_errmsg(d->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(d->db, 5000);
	if (sqlite3_exec(d->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;", NULL, NULL,
	    &msg) != SQLITE_OK || sqlite3_exec(d->db, schema, NULL, NULL,
	    &msg) != SQLITE_OK) {
		str_fmt(err, errlen, "%s: %s", path, msg ? msg : "schema");
		sqlite3_free(msg);
		goto fail;
	}
	for (i = 0; i < sizeof migrations / sizeof migrations[0]; i++)
		if (sqlite3_exec(d->db, migrations[i], NULL, NULL, &msg) !=
		    SQLITE_OK) {
			/* present already: fine; anything else is not */
			if (msg == NULL || strstr(msg, "duplicate column") ==
			    NULL) {
				str_fmt(err, errlen, "%s: %s", path, msg ? msg :
				    "migration");
				sqlite3_free(msg);
				goto fail;
			}
			sqlite3_free(msg);
			msg = NULL;
		}
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
instance_known(sqlite3 *db, const struct dcmshim_info *in, const char *bsn)
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

int
bridge_db_instance(struct bridge_db *d, const struct dcmshim_info *in,
    const char *bsn, long long now, char *err, size_t errlen)
{
	char was[DCMSHIM_UI_SZ];
	int rc = -1, replaced;

	pthread_mutex_lock(&d->mu);
	/* The bridge's receive path: the file is durable, and an unclean
	 * stop rebuilds lost rows from the files (recover_instances). */
	if (d->lazy && sqlite3_exec(d->db, "PRAGMA synchronous=NORMAL", NULL,
	    NULL, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
		goto out;
	}
	if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
		goto out;
	}
	/* A resend of an instance we hold (same UID, study and BSN) is the
	 * same instance (PS3.3 C.12.1.1.1): a published study stays so. */
	if (instance_known(d->db, in, bsn)) {
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
		rc = 0;
		goto out;
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
		goto rollback;
	if (bsn != NULL && exec_bind(d, "UPDATE instance SET bsn = :b"
	    " WHERE sop_uid = :a", in->sop_uid, bsn, NULL, NULL, 0, err,
	    errlen) != 0)
		goto rollback;
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
			goto rollback;
	} else if (study_recount(d, in->study_uid, err, errlen) != 0 ||
	    (strcmp(was, in->study_uid) != 0 && was[0] != '\0' &&
	    study_recount(d, was, err, errlen) != 0))
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
	if (d->lazy)
		sqlite3_exec(d->db, "PRAGMA synchronous=FULL", NULL, NULL,
		    NULL);
	pthread_mutex_unlock(&d->mu);
	return rc;
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

static int
db_select(struct bridge_db *d, const char *state, const char *study_uid,
    long long due, int (*fn)(void *, const struct bridge_study *), void *arg,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct bridge_study s;
	int rc;

	if (sqlite3_prepare_v2(d->db, "SELECT study_uid, bsn, instances,"
	    " last_arrival, state, entry_uuid, unique_id, rev,"
	    " attempt_unique_id, attempt_entry_uuid, attempt_ss_uid,"
	    " attempt_rev FROM study WHERE"
	    " CASE WHEN ?1 IS NULL THEN state IN ('pending','conflict')"
	    " WHEN ?2 IS NOT NULL THEN study_uid = ?2 ELSE state = ?1 END"
	    " AND (?3 IS NULL OR retry_at <= ?3)"
	    " ORDER BY last_arrival, study_uid", -1, &st, NULL) != SQLITE_OK)
		goto fail;
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
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
	sqlite3_finalize(st);
	return -1;
}

int
bridge_db_list(struct bridge_db *d, const char *state,
    int (*fn)(void *, const struct bridge_study *), void *arg, char *err,
    size_t errlen)
{
	return db_select(d, state, NULL, -1, fn, arg, err, errlen);
}

int
bridge_db_due(struct bridge_db *d, long long now,
    int (*fn)(void *, const struct bridge_study *), void *arg, char *err,
    size_t errlen)
{
	return db_select(d, "ready", NULL, now, fn, arg, err, errlen);
}

static int
copy_study(void *arg, const struct bridge_study *s)
{
	struct bridge_study_row *r = arg;

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
    struct bridge_study_row *out, char *err, size_t errlen)
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
	struct bridge_study_row r;
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
		goto fail;
	sqlite3_bind_text(st, 1, study_uid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2)) != 0) {
			sqlite3_finalize(st);
			str_fmt(err, errlen, "too many instances");
			return -1;
		}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(d->db));
	sqlite3_finalize(st);
	return -1;
}

/* ---- durable receive ---- */

int
bridge_fsync_path(const char *path, int flags)
{
	int fd, rc;

	if ((fd = open(path, flags | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* mkdir path (one level, 0700); on creation sync the parent so the new
 * entry survives a crash. */
static int
mkdir_synced(const char *path, const char *parent)
{
	if (mkdir(path, 0700) == 0)
		return bridge_fsync_path(parent, O_RDONLY | O_DIRECTORY);
	return errno == EEXIST ? 0 : -1;
}

/* The slot of dir (taken, refs + 1), or NULL when all are busy. */
static struct dirsync_slot *
dirsync_slot(struct dirsync *ds, const char *dir)
{
	struct dirsync_slot *free_slot = NULL;
	size_t i;

	for (i = 0; i < DIRSYNC_SLOTS; i++) {
		if (ds->slot[i].refs > 0 &&
		    strcmp(ds->slot[i].path, dir) == 0) {
			ds->slot[i].refs++;
			return &ds->slot[i];
		}
		if (ds->slot[i].refs == 0 && free_slot == NULL)
			free_slot = &ds->slot[i];
	}
	if (free_slot == NULL ||
	    str_lcpy(free_slot->path, dir, sizeof free_slot->path) >=
	    sizeof free_slot->path)
		return NULL;
	free_slot->renamed = free_slot->synced = free_slot->failed = 0;
	free_slot->syncing = 0;
	free_slot->refs = 1;
	return free_slot;
}

/* rename(from, to) into dir, returning once an fsync of dir that began
 * after the rename has returned: 0, or -1 with errno. */
static int
dirsync_rename(struct dirsync *ds, const char *from, const char *to,
    const char *dir)
{
	struct dirsync_slot *sl;
	unsigned long long ticket, target;
	int rc, e = 0;

	if (rename(from, to) != 0)
		return -1;
	pthread_mutex_lock(&ds->mu);
	if ((sl = dirsync_slot(ds, dir)) == NULL) {
		pthread_mutex_unlock(&ds->mu);
		return bridge_fsync_path(dir, O_RDONLY | O_DIRECTORY);
	}
	ticket = ++sl->renamed;
	for (;;) {
		if (sl->failed >= ticket) {
			rc = -1;
			e = EIO;
			break;
		}
		if (sl->synced >= ticket) {
			rc = 0;
			break;
		}
		if (sl->syncing) {
			pthread_cond_wait(&ds->cv, &ds->mu);
			continue;
		}
		sl->syncing = 1;
		target = sl->renamed;
		pthread_mutex_unlock(&ds->mu);
		rc = bridge_fsync_path(dir, O_RDONLY | O_DIRECTORY);
		e = errno;
		pthread_mutex_lock(&ds->mu);
		sl->syncing = 0;
		if (rc == 0 && target > sl->synced)
			sl->synced = target;
		else if (rc != 0 && target > sl->failed)
			sl->failed = target;
		pthread_cond_broadcast(&ds->cv);
	}
	sl->refs--;
	pthread_mutex_unlock(&ds->mu);
	if (rc != 0)
		errno = e;
	return rc;
}

/* Proxy mode: the header-only copy of the received file, which is
 * removed; its path into hdr.  The shim removes tmppath on a failure. */
static enum dcmshim_store_result
strip_received(const char *tmppath, const char *study_uid, char *hdr,
    size_t hdrsz)
{
	char err[512];
	int rc;

	if (str_fmt(hdr, hdrsz, "%s.hdr", tmppath) < 0)
		return DCMSHIM_STORE_NORESOURCES;
	if ((rc = dcmfetch_strip(tmppath, hdr, err, sizeof err)) != 0) {
		log_warnx("dicom: proxy: header of an instance of %s: %s",
		    study_uid, err);
		return rc == DCMSHIM_EPARSE ? DCMSHIM_STORE_INVALID :
		    DCMSHIM_STORE_NORESOURCES;
	}
	if (unlink(tmppath) != 0) {
		log_warn("dicom: proxy: %s", tmppath);
		unlink(hdr);
		return DCMSHIM_STORE_NORESOURCES;
	}
	return DCMSHIM_STORE_OK;
}

static enum dcmshim_store_result
on_store(void *arg, const char *tmppath, const struct dcmshim_info *in,
    const char *calling_ae)
{
	struct bridge *b = arg;
	char study[PATH_SZ], series[PATH_SZ], dst[PATH_SZ], err[256];
	char hdr[PATH_SZ], bsn[10], red[32];
	const char *src = tmppath;
	enum dcmshim_store_result r;
	int have_bsn;

	/* The UIDs become path components: the shim checked their syntax. */
	if (!dcmshim_uid_valid(in->study_uid) ||
	    !dcmshim_uid_valid(in->series_uid) ||
	    !dcmshim_uid_valid(in->sop_uid))
		return DCMSHIM_STORE_INVALID;
	if (str_fmt(study, sizeof study, "%s/%s", b->root, in->study_uid) < 0 ||
	    str_fmt(series, sizeof series, "%s/%s", study, in->series_uid) < 0 ||
	    str_fmt(dst, sizeof dst, "%s/%s.dcm", series, in->sop_uid) < 0)
		return DCMSHIM_STORE_NORESOURCES;
	if (b->proxy) {
		if ((r = strip_received(tmppath, in->study_uid, hdr,
		    sizeof hdr)) != DCMSHIM_STORE_OK)
			return r;
		src = hdr;
	}
	if (bridge_fsync_path(src, O_RDONLY) != 0 ||
	    mkdir_synced(study, b->root) != 0 ||
	    mkdir_synced(series, study) != 0 ||
	    dirsync_rename(&b->dirsync, src, dst, series) != 0) {
		log_warn("dicom: storing an instance of %s", in->study_uid);
		if (src != tmppath)
			unlink(src);
		return DCMSHIM_STORE_NORESOURCES;
	}
	have_bsn = bridge_patient_bsn(in, b->conf.dicom_patient_id_is_bsn, bsn,
	    err, sizeof err) == 0;
	if (!have_bsn)
		log_info("dicom: study %s from %s kept as pending: %s",
		    in->study_uid, calling_ae, err);
	else {
		log_redact_id(bsn, red, sizeof red);
		log_debug("dicom: %s from %s, patient %s", in->sop_uid,
		    calling_ae, red);
	}
	if (bridge_db_instance(b->db, in, have_bsn ? bsn : NULL,
	    (long long)time(NULL), err, sizeof err) != 0) {
		/* The file is durable; a resend is idempotent. */
		log_warnx("dicom: %s", err);
		return DCMSHIM_STORE_NORESOURCES;
	}
	return DCMSHIM_STORE_OK;
}

/* ---- crash recovery of the instance table ---- */

#define CLEAN_MARK	"clean"		/* in root: the last stop was clean */

/* 1 if the instance row exists, 0 if not, -1 on error. */
static int
db_has_instance(struct bridge_db *d, const char *sop_uid)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&d->mu);
	if (sqlite3_prepare_v2(d->db, "SELECT 1 FROM instance WHERE"
	    " sop_uid = ?1", -1, &st, NULL) != SQLITE_OK) {
		pthread_mutex_unlock(&d->mu);
		return -1;
	}
	sqlite3_bind_text(st, 1, sop_uid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->mu);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The row of one stored file root/study/series/name, if it has none. */
static int
recover_file(struct bridge *b, const char *study, const char *series,
    const char *name, int *added, char *err, size_t errlen)
{
	struct dcmshim_info in;
	struct stat sb;
	char path[PATH_SZ], sop[DCMSHIM_UI_SZ], bsn[10], e[256];
	size_t n = strlen(name);
	int r;

	if (n <= 4 || strcmp(name + n - 4, ".dcm") != 0 ||
	    n - 4 >= sizeof sop)
		return 0;
	memcpy(sop, name, n - 4);
	sop[n - 4] = '\0';
	if ((r = db_has_instance(b->db, sop)) != 0) {
		if (r < 0)
			str_fmt(err, errlen, "dicom.db: looking up %s", sop);
		return r < 0 ? -1 : 0;
	}
	if (str_fmt(path, sizeof path, "%s/%s/%s/%s", b->root, study, series,
	    name) < 0 || stat(path, &sb) != 0)
		return 0;
	if (dcmshim_parse_file(path, &in, e, sizeof e) != 0 ||
	    strcmp(in.sop_uid, sop) != 0 || strcmp(in.study_uid, study) != 0 ||
	    strcmp(in.series_uid, series) != 0) {
		log_warnx("dicom: recovery: %s is not the instance its path "
		    "names: left alone", path);
		return 0;
	}
	if (bridge_db_instance(b->db, &in, bridge_patient_bsn(&in,
	    b->conf.dicom_patient_id_is_bsn, bsn, e, sizeof e) == 0 ? bsn :
	    NULL, (long long)sb.st_mtime, err, errlen) != 0)
		return -1;
	(*added)++;
	return 0;
}

/*
 * After an unclean stop (no CLEAN_MARK): instance rows are committed
 * without their own fsync (the file and its directory entry are durable
 * before Success), so rows of the last instances may be lost; every stored
 * file without a row gets it back from its header.  One pass over the
 * store, so it costs a readdir per series directory.
 */
static int
recover_instances(struct bridge *b, char *err, size_t errlen)
{
	DIR *sd = NULL, *ed = NULL, *fd = NULL;
	struct dirent *s, *e, *f;
	char p[PATH_SZ];
	int added = 0, rc = -1;

	if ((sd = opendir(b->root)) == NULL) {
		str_fmt(err, errlen, "%s: %s", b->root, strerror(errno));
		return -1;
	}
	while ((s = readdir(sd)) != NULL) {
		if (!dcmshim_uid_valid(s->d_name) ||
		    str_fmt(p, sizeof p, "%s/%s", b->root, s->d_name) < 0 ||
		    (ed = opendir(p)) == NULL)
			continue;
		while ((e = readdir(ed)) != NULL) {
			if (!dcmshim_uid_valid(e->d_name) ||
			    str_fmt(p, sizeof p, "%s/%s/%s", b->root,
			    s->d_name, e->d_name) < 0 ||
			    (fd = opendir(p)) == NULL)
				continue;
			while ((f = readdir(fd)) != NULL)
				if (recover_file(b, s->d_name, e->d_name,
				    f->d_name, &added, err, errlen) != 0)
					goto out;
			closedir(fd);
			fd = NULL;
		}
		closedir(ed);
		ed = NULL;
	}
	if (added > 0)
		log_info("dicom: recovery: %d instance%s indexed again from "
		    "their files", added, added == 1 ? "" : "s");
	rc = 0;
out:
	if (fd != NULL)
		closedir(fd);
	if (ed != NULL)
		closedir(ed);
	closedir(sd);
	return rc;
}

/* Start of the lazy instance commits: recover if the last stop was not
 * clean, then remove the mark durably before any lazy commit. */
static int
recovery_begin(struct bridge *b, char *err, size_t errlen)
{
	char mark[PATH_SZ];

	if (str_fmt(mark, sizeof mark, "%s/" CLEAN_MARK, b->root) < 0) {
		str_fmt(err, errlen, "%s: path too long", b->root);
		return -1;
	}
	if (access(mark, F_OK) != 0 && recover_instances(b, err, errlen) != 0)
		return -1;
	if ((unlink(mark) != 0 && errno != ENOENT) ||
	    bridge_fsync_path(b->root, O_RDONLY | O_DIRECTORY) != 0) {
		str_fmt(err, errlen, "%s: %s", mark, strerror(errno));
		return -1;
	}
	b->db->lazy = 1;
	return 0;
}

/* A clean stop: every lazy commit made durable, then the mark. */
static void
recovery_end(struct bridge *b)
{
	char mark[PATH_SZ];
	int fd;

	if (b->db == NULL || !b->db->lazy ||
	    str_fmt(mark, sizeof mark, "%s/" CLEAN_MARK, b->root) < 0)
		return;
	pthread_mutex_lock(&b->db->mu);
	if (sqlite3_wal_checkpoint_v2(b->db->db, NULL,
	    SQLITE_CHECKPOINT_FULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("dicom.db: checkpoint: %s",
		    sqlite3_errmsg(b->db->db));
		pthread_mutex_unlock(&b->db->mu);
		return;		/* no mark: the next start recovers */
	}
	pthread_mutex_unlock(&b->db->mu);
	if ((fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || fsync(fd) != 0 ||
	    bridge_fsync_path(b->root, O_RDONLY | O_DIRECTORY) != 0)
		log_warn("dicom: %s", mark);
	if (fd >= 0)
		close(fd);
}

/* ---- threads ---- */

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
add_due(void *arg, const struct bridge_study *s)
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
	long long now = (long long)time(NULL);
	size_t i;

	if (!bridge_links_usable(&b->conf, &b->links))
		return;
	d.n = 0;
	if (bridge_db_due(b->db, now, add_due, &d, err, sizeof err) != 0) {
		log_warnx("dicom: scheduler: %s", err);
		return;
	}
	for (i = 0; i < d.n; i++) {
		if (bridge_publish(&b->conf, b->db, &b->links, d.uid[i], err,
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
		n = bridge_db_mark_ready(b->db, (long long)time(NULL),
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

/* Remove receive files left by a crash (never acknowledged). */
static void
clean_tmp(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_SZ];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "rcv-", 4) == 0 &&
		    str_fmt(p, sizeof p, "%s/%s", dir, e->d_name) >= 0)
			unlink(p);
	closedir(d);
}

int
bridge_start(const struct conf *conf, const struct bridge_links *links,
    struct bridge **out, char *err, size_t errlen)
{
	struct dcmshim_scp_opts o;
	struct bridge *b;
	char host[256], e[256];
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
	b->proxy = strcmp(conf->dicom_mode, "proxy") == 0;
	if (b->proxy && conf->dicom_pacs[0] == '\0')
		log_warnx("dicom: dicom.mode is proxy without dicom.pacs: "
		    "RAD-69 cannot fetch the instances it is asked for");
	if (links != NULL)
		b->links = *links;
	if (!bridge_links_usable(conf, &b->links))
		log_warnx("dicom: no repository in this node "
		    "(repository.enabled) and no dicom.repository_url: ready "
		    "studies are not published");
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	pthread_mutex_init(&b->dirsync.mu, NULL);
	pthread_cond_init(&b->dirsync.cv, NULL);
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
	clean_tmp(b->tmp);
	if (bridge_db_open(conf->node_state_dir, &b->db, e, sizeof e) != 0) {
		str_fmt(err, errlen, "%s", e);
		goto fail;
	}
	dcmshim_log_init();
	if (recovery_begin(b, e, sizeof e) != 0) {
		str_fmt(err, errlen, "dicom: recovery: %s", e);
		goto fail;
	}
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.ae_title = conf->dicom_ae_title;
	o.tmp_dir = b->tmp;
	o.max_associations = (int)conf->dicom_max_associations;
	o.acse_timeout = (int)conf->dicom_timeout;
	o.dimse_timeout = (int)conf->dicom_timeout;
	o.on_store = on_store;
	o.arg = b;
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
	recovery_end(b);
	bridge_db_close(b->db);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->dirsync.cv);
	pthread_mutex_destroy(&b->dirsync.mu);
	free(b);
}
