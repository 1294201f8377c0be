/*
 * repo_db.c: the repository index (repo_db.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "repo_db.h"
#include "str.h"

#define POOL		8
#define BUSY_MS		10000
#define RETRIES		20

/*
 * Version 1 (PRAGMA user_version; db_schema_apply).  A file of the first
 * release has the table at user_version 0: IF NOT EXISTS makes the same
 * step take it to version 1.  A change adds a step.
 */
static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS document ("
    " unique_id TEXT PRIMARY KEY,"
    " sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
    " sha1 TEXT NOT NULL CHECK (length(sha1) = 40),"
    " size INTEGER NOT NULL CHECK (size >= 0),"
    " mime_type TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending', 'committed')),"
    " created TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX IF NOT EXISTS document_sha256 ON document (sha256);";

/* A live mark (repo_db.h): uniqueId, the thread registering it, since. */
struct live {
	char		 uid[REPO_UID_MAX];
	pthread_t	 owner;
	time_t		 at;		/* CLOCK_MONOTONIC seconds */
};

/*
 * The pool: conns[0] is opened with the index, the others when a caller
 * finds every open one busy, so an idle node holds one connection (its
 * page cache and parsed schema) instead of POOL.
 */
struct repo_db {
	sqlite3		*conns[POOL];
	int		 busy[POOL];
	char		 path[4096];
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_mutex_t	 lmu;		/* live, nlive, cap */
	struct live	*live;
	size_t		 nlive, cap;
	struct repo_db	*next;		/* open_list */
};

/* Every open index, so that repo_db_release_thread() finds the marks of
 * the calling thread.  Lock order: open_mu, then a repo_db's lmu. */
static pthread_mutex_t	 open_mu = PTHREAD_MUTEX_INITIALIZER;
static struct repo_db	*open_list;

static time_t
mono_now(void)
{
	return (time_t)(clock_mono() / 1000);
}

/* Drop marks that no longer count; lmu held. */
static void
live_purge(struct repo_db *d, time_t now)
{
	size_t i = 0;

	while (i < d->nlive)
		if (now - d->live[i].at >= REPO_DB_LIVE_TTL)
			d->live[i] = d->live[--d->nlive];
		else
			i++;
}

/* Mark uid live for the calling thread: 0, or -1 when full. */
static int
live_add(struct repo_db *d, const char *uid)
{
	struct live *v;
	pthread_t self = pthread_self();
	time_t now = mono_now();
	size_t i, ncap;
	int rc = -1;

	pthread_mutex_lock(&d->lmu);
	for (i = 0; i < d->nlive; i++)
		if (pthread_equal(d->live[i].owner, self) &&
		    strcmp(d->live[i].uid, uid) == 0) {
			d->live[i].at = now;
			rc = 0;
			goto out;
		}
	if (d->nlive == d->cap)
		live_purge(d, now);
	if (d->nlive == d->cap) {
		if (d->cap == REPO_DB_LIVE_MAX)
			goto out;
		ncap = d->cap == 0 ? 64 : d->cap * 2;
		if (ncap > REPO_DB_LIVE_MAX)
			ncap = REPO_DB_LIVE_MAX;
		if ((v = realloc(d->live, ncap * sizeof *v)) == NULL)
			goto out;
		d->live = v;
		d->cap = ncap;
	}
	v = &d->live[d->nlive++];
	str_lcpy(v->uid, uid, sizeof v->uid);
	v->owner = self;
	v->at = now;
	rc = 0;
out:
	pthread_mutex_unlock(&d->lmu);
	return rc;
}

/* Clear the marks of uid: the calling thread's only, or everybody's. */
static void
live_drop(struct repo_db *d, const char *uid, int mine_only)
{
	pthread_t self = pthread_self();
	size_t i = 0;

	pthread_mutex_lock(&d->lmu);
	while (i < d->nlive)
		if (strcmp(d->live[i].uid, uid) == 0 && (!mine_only ||
		    pthread_equal(d->live[i].owner, self)))
			d->live[i] = d->live[--d->nlive];
		else
			i++;
	pthread_mutex_unlock(&d->lmu);
}

int
repo_db_is_live(struct repo_db *d, const char *uid)
{
	time_t now = mono_now();
	size_t i;
	int live = 0;

	pthread_mutex_lock(&d->lmu);
	for (i = 0; i < d->nlive && !live; i++)
		live = now - d->live[i].at < REPO_DB_LIVE_TTL &&
		    strcmp(d->live[i].uid, uid) == 0;
	pthread_mutex_unlock(&d->lmu);
	return live;
}

size_t
repo_db_live_count(struct repo_db *d)
{
	size_t n;

	pthread_mutex_lock(&d->lmu);
	live_purge(d, mono_now());
	n = d->nlive;
	pthread_mutex_unlock(&d->lmu);
	return n;
}

void
repo_db_release_thread(void)
{
	pthread_t self = pthread_self();
	struct repo_db *d;
	size_t i;

	pthread_mutex_lock(&open_mu);
	for (d = open_list; d != NULL; d = d->next) {
		pthread_mutex_lock(&d->lmu);
		i = 0;
		while (i < d->nlive)
			if (pthread_equal(d->live[i].owner, self))
				d->live[i] = d->live[--d->nlive];
			else
				i++;
		pthread_mutex_unlock(&d->lmu);
	}
	pthread_mutex_unlock(&open_mu);
}

int
repo_db_open(const char *path, struct repo_db **out, char *err, size_t errlen)
{
	static const char *const steps[] = { SCHEMA };
	static const struct db_schema sch = { "repository.db", steps, 1,
	    NULL };
	struct repo_db *d;

	*out = NULL;
	if ((d = calloc(1, sizeof *d)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_EIO;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	pthread_mutex_init(&d->lmu, NULL);
	if (str_lcpy(d->path, path, sizeof d->path) >= sizeof d->path) {
		str_fmt(err, errlen, "%s: path too long", path);
		goto fail;
	}
	if (db_open(path, DB_ONE_THREAD, BUSY_MS, NULL, &d->conns[0], err,
	    errlen) != XDS_OK)
		goto fail;
	if (db_schema_apply(d->conns[0], &sch, err, errlen) != XDS_OK)
		goto fail;
	pthread_mutex_lock(&open_mu);
	d->next = open_list;
	open_list = d;
	pthread_mutex_unlock(&open_mu);
	*out = d;
	return XDS_OK;
fail:
	repo_db_close(d);
	return XDS_EIO;
}

void
repo_db_close(struct repo_db *d)
{
	int i;

	struct repo_db **pp;

	if (d == NULL)
		return;
	pthread_mutex_lock(&open_mu);
	for (pp = &open_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	pthread_mutex_unlock(&open_mu);
	for (i = 0; i < POOL; i++)
		sqlite3_close(d->conns[i]);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->lmu);
	free(d->live);
	free(d);
}

static sqlite3 *
get(struct repo_db *d, int *slot)
{
	sqlite3 *db;
	char err[256];
	int i;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		for (i = 0; i < POOL; i++)
			if (d->conns[i] != NULL && !d->busy[i]) {
				d->busy[i] = 1;
				pthread_mutex_unlock(&d->mu);
				*slot = i;
				return d->conns[i];
			}
		for (i = 0; i < POOL; i++)
			if (d->conns[i] == NULL && !d->busy[i])
				break;
		if (i == POOL) {
			pthread_cond_wait(&d->cv, &d->mu);
			continue;
		}
		/* Every open connection busy: open slot i (reserved by
		 * busy while the lock is not held).  If that fails, wait
		 * for an open one, as with a full pool. */
		d->busy[i] = 1;
		pthread_mutex_unlock(&d->mu);
		if (db_open(d->path, DB_ONE_THREAD, BUSY_MS, NULL, &db, err,
		    sizeof err) == XDS_OK) {
			pthread_mutex_lock(&d->mu);
			d->conns[i] = db;
			pthread_mutex_unlock(&d->mu);
			*slot = i;
			return db;
		}
		log_warnx("repository.db: %s", err);
		pthread_mutex_lock(&d->mu);
		d->busy[i] = 0;
		pthread_cond_wait(&d->cv, &d->mu);
	}
}

static void
put(struct repo_db *d, int slot)
{
	pthread_mutex_lock(&d->mu);
	d->busy[slot] = 0;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static int
is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* BEGIN IMMEDIATE with a bounded retry on BUSY. */
static int
begin(sqlite3 *db)
{
	int i, rc = SQLITE_BUSY;

	for (i = 0; i < RETRIES; i++) {
		rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (!is_busy(rc))
			break;
		usleep(10000);
	}
	return rc;
}

static int
end(sqlite3 *db, int ok)
{
	if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* 1 when the row of uid is 'pending', 0 when not or gone, -1 on error
 * (rc set). */
static int
is_pending(sqlite3 *db, const char *uid, int *rc)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if ((*rc = sqlite3_prepare_v2(db, "SELECT state = 'pending' FROM "
	    "document WHERE unique_id = ?", -1, &st, NULL)) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if ((*rc = sqlite3_step(st)) == SQLITE_ROW)
		r = sqlite3_column_int(st, 0) != 0;
	else if (*rc == SQLITE_DONE)
		r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int
repo_db_insert(struct repo_db *d, const struct repo_doc *doc, char *err,
    size_t errlen)
{
	static const char sql[] = "INSERT INTO document (unique_id, sha256, "
	    "sha1, size, mime_type, state, created) VALUES (?, ?, ?, ?, ?, "
	    "'pending', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int slot, rc, pend, ret = XDS_EIO;

	/* Marked before the row can be seen: the reconciliation never
	 * finds it unmarked while this submission registers it. */
	if (live_add(d, doc->unique_id) != 0) {
		str_fmt(err, errlen, "repository.db insert: more than %d "
		    "documents being registered at once", REPO_DB_LIVE_MAX);
		return XDS_EBUSY;
	}
	db = get(d, &slot);
	if ((rc = begin(db)) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, doc->unique_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, doc->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, doc->sha1, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)doc->size);
	sqlite3_bind_text(st, 5, doc->mime_type, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		/* A resubmission: a 'pending' row stays marked (this
		 * submission may register it), a committed one not. */
		pend = is_pending(db, doc->unique_id, &rc);
		end(db, 0);
		if (pend < 0)
			goto fail;
		if (pend == 0)
			live_drop(d, doc->unique_id, 1);
		ret = XDS_EEXIST;
		goto out;
	}
	if (rc != SQLITE_DONE)
		goto rollback;
	sqlite3_finalize(st);
	st = NULL;
	if (end(db, 1) != 0) {
		rc = sqlite3_extended_errcode(db);
		goto fail;
	}
	ret = XDS_OK;
	goto out;
rollback:
	end(db, 0);
fail:
	live_drop(d, doc->unique_id, 1);
	str_fmt(err, errlen, "repository.db insert: %s", sqlite3_errstr(rc));
out:
	sqlite3_finalize(st);
	put(d, slot);
	return ret;
}

int
repo_db_get(struct repo_db *d, const char *uid, struct repo_doc *out,
    char *err, size_t errlen)
{
	static const char sql[] = "SELECT sha256, sha1, size, mime_type, "
	    "state FROM document WHERE unique_id = ?";
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int slot, rc, ret = XDS_EIO;

	memset(out, 0, sizeof *out);
	db = get(d, &slot);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = XDS_ENOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	str_lcpy(out->unique_id, uid, sizeof out->unique_id);
	str_lcpy(out->sha256, (const char *)sqlite3_column_text(st, 0),
	    sizeof out->sha256);
	str_lcpy(out->sha1, (const char *)sqlite3_column_text(st, 1),
	    sizeof out->sha1);
	out->size = (off_t)sqlite3_column_int64(st, 2);
	str_lcpy(out->mime_type, (const char *)sqlite3_column_text(st, 3),
	    sizeof out->mime_type);
	out->committed = strcmp((const char *)sqlite3_column_text(st, 4),
	    "committed") == 0;
	ret = XDS_OK;
	goto out;
fail:
	str_fmt(err, errlen, "repository.db read: %s", sqlite3_errstr(rc));
out:
	sqlite3_finalize(st);
	put(d, slot);
	return ret;
}

int
repo_db_commit(struct repo_db *d, const char *const *uids, size_t n,
    char *err, size_t errlen)
{
	static const char sql[] = "UPDATE document SET state = 'committed' "
	    "WHERE unique_id = ?";
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	size_t i;
	int slot, rc, ret = XDS_EIO;

	db = get(d, &slot);
	if ((rc = begin(db)) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto rollback;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, uids[i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			goto rollback;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (end(db, 1) != 0) {
		rc = sqlite3_extended_errcode(db);
		goto fail;
	}
	for (i = 0; i < n; i++)
		live_drop(d, uids[i], 0);
	ret = XDS_OK;
	goto out;
rollback:
	end(db, 0);
fail:
	str_fmt(err, errlen, "repository.db commit: %s", sqlite3_errstr(rc));
out:
	sqlite3_finalize(st);
	put(d, slot);
	return ret;
}

/* Delete the row of uid (only a 'pending' one that is not live when
 * pending_only) and count the rows left naming sha256. */
static int
del(struct repo_db *d, const char *uid, const char *sha256, int pending_only,
    long long *refs, char *err, size_t errlen)
{
	sqlite3_stmt *rm = NULL, *cnt = NULL;
	sqlite3 *db;
	int slot, rc, ret = XDS_EIO;

	*refs = 1;	/* on error: assume still referenced */
	db = get(d, &slot);
	if ((rc = begin(db)) != SQLITE_OK)
		goto fail;
	if (pending_only && repo_db_is_live(d, uid)) {
		end(db, 0);
		ret = XDS_ENOTFOUND;
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(db, pending_only ? "DELETE FROM document "
	    "WHERE unique_id = ? AND state = 'pending'" : "DELETE FROM "
	    "document WHERE unique_id = ?", -1, &rm, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM document "
	    "WHERE sha256 = ?", -1, &cnt, NULL)) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(rm, 1, uid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(rm)) != SQLITE_DONE)
		goto rollback;
	if (pending_only && sqlite3_changes(db) == 0) {
		end(db, 0);
		ret = XDS_ENOTFOUND;
		goto out;
	}
	sqlite3_bind_text(cnt, 1, sha256, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(cnt)) != SQLITE_ROW)
		goto rollback;
	*refs = sqlite3_column_int64(cnt, 0);
	sqlite3_finalize(rm);
	sqlite3_finalize(cnt);
	rm = cnt = NULL;
	if (end(db, 1) != 0) {
		*refs = 1;
		rc = sqlite3_extended_errcode(db);
		goto fail;
	}
	if (!pending_only)
		live_drop(d, uid, 0);
	ret = XDS_OK;
	goto out;
rollback:
	*refs = 1;
	end(db, 0);
fail:
	str_fmt(err, errlen, "repository.db delete: %s", sqlite3_errstr(rc));
out:
	sqlite3_finalize(rm);
	sqlite3_finalize(cnt);
	put(d, slot);
	return ret;
}

int
repo_db_delete(struct repo_db *d, const char *uid, const char *sha256,
    long long *refs, char *err, size_t errlen)
{
	return del(d, uid, sha256, 0, refs, err, errlen);
}

int
repo_db_delete_pending(struct repo_db *d, const char *uid, const char *sha256,
    long long *refs, char *err, size_t errlen)
{
	return del(d, uid, sha256, 1, refs, err, errlen);
}

static long long
count(struct repo_db *d, const char *sql, const char *arg)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	long long n = -1;
	int slot;

	db = get(d, &slot);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (arg != NULL)
			sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	put(d, slot);
	return n;
}

int
repo_db_has_blob(struct repo_db *d, const char *sha256)
{
	long long n;

	n = count(d, "SELECT count(*) FROM document WHERE sha256 = ?", sha256);
	return n < 0 ? -1 : n > 0;
}

long long
repo_db_count_pending(struct repo_db *d)
{
	return count(d, "SELECT count(*) FROM document WHERE state = "
	    "'pending'", NULL);
}

int
repo_db_pending(struct repo_db *d, size_t max, struct repo_doc **out,
    size_t *n, char *err, size_t errlen)
{
	static const char sql[] = "SELECT unique_id, sha256, sha1, size, "
	    "mime_type FROM document WHERE state = 'pending' ORDER BY rowid "
	    "LIMIT ?";
	struct repo_doc *v = NULL, *o;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	size_t k = 0;
	int slot, rc, ret = XDS_EIO;

	*out = NULL;
	*n = 0;
	db = get(d, &slot);
	if (max == 0 || (v = calloc(max, sizeof *v)) == NULL) {
		str_fmt(err, errlen, "repository.db pending: out of memory");
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = &v[k++];
		str_lcpy(o->unique_id, (const char *)sqlite3_column_text(st,
		    0), sizeof o->unique_id);
		str_lcpy(o->sha256, (const char *)sqlite3_column_text(st, 1),
		    sizeof o->sha256);
		str_lcpy(o->sha1, (const char *)sqlite3_column_text(st, 2),
		    sizeof o->sha1);
		o->size = (off_t)sqlite3_column_int64(st, 3);
		str_lcpy(o->mime_type, (const char *)sqlite3_column_text(st,
		    4), sizeof o->mime_type);
	}
	if (k < max && rc != SQLITE_DONE)
		goto fail;
	*out = v;
	*n = k;
	v = NULL;
	ret = XDS_OK;
	goto out;
fail:
	str_fmt(err, errlen, "repository.db pending: %s", sqlite3_errstr(rc));
out:
	free(v);
	sqlite3_finalize(st);
	put(d, slot);
	return ret;
}
