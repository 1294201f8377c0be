/*
 * db.c: opening the node's SQLite databases (db.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "status.h"
#include "str.h"

int
db_exec(sqlite3 *db, const char *what, const char *sql, char *err,
    size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return XDS_OK;
	str_fmt(err, errlen, "%s: %s", what, msg != NULL ? msg :
	    sqlite3_errmsg(db));
	sqlite3_free(msg);
	return XDS_EIO;
}

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/*
 * Before SQLite's first use: no bulk page cache per connection.  By
 * default each connection allocates (and touches) room for 20 pages at
 * its first read, 86 KB, whether it ever caches that many or not; the
 * node keeps a dozen connections open, most of them idle.  Pages are
 * then allocated one at a time as the cache grows, up to cache_size as
 * before.  SQLITE_MISUSE if SQLite was already initialised: harmless.
 */
static void
config_sqlite(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

/* Open path with flags and the settings every database of the node
 * gets, then sql (the mode's pragmas) and more (NULL or the caller's). */
static int
open_with(const char *path, int flags, int busy_ms, const char *sql,
    const char *more, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	(void)pthread_once(&config_once, config_sqlite);
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		str_fmt(err, errlen, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (db_exec(db, path, sql, err, errlen) != XDS_OK ||
	    (more != NULL && db_exec(db, path, more, err, errlen) != XDS_OK))
		goto fail;
	*out = db;
	return XDS_OK;
fail:
	sqlite3_close(db);
	return XDS_EIO;
}

int
db_open(const char *path, enum db_threads threads, int busy_ms,
    const char *pragmas, sqlite3 **out, char *err, size_t errlen)
{
	return open_with(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    (threads == DB_SHARED ? SQLITE_OPEN_FULLMUTEX :
	    SQLITE_OPEN_NOMUTEX), busy_ms, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;PRAGMA trusted_schema=OFF;", pragmas,
	    out, err, errlen);
}

int
db_open_readonly(const char *path, int busy_ms, sqlite3 **out, char *err,
    size_t errlen)
{
	return open_with(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    busy_ms, "PRAGMA query_only=ON;PRAGMA trusted_schema=OFF;", NULL,
	    out, err, errlen);
}

int
db_backup(const char *src, const char *dst, int busy_ms, char *err,
    size_t errlen)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	struct stat st;
	int rc = XDS_EIO, sr, fd;

	if (lstat(dst, &st) == 0) {
		str_fmt(err, errlen, "%s: exists", dst);
		return XDS_EEXIST;
	}
	if (db_open_readonly(src, busy_ms, &from, err, errlen) != XDS_OK)
		return XDS_EIO;
	if (sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "%s: %s", dst, to != NULL ?
		    sqlite3_errmsg(to) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(to, busy_ms);
	if ((b = sqlite3_backup_init(to, "main", from, "main")) == NULL) {
		str_fmt(err, errlen, "%s: %s", dst, sqlite3_errmsg(to));
		goto out;
	}
	/* All pages at once: a step-wise copy starts again whenever the
	 * node commits in between, and might never end. */
	sr = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || sr != SQLITE_DONE) {
		str_fmt(err, errlen, "%s: %s", src, sr == SQLITE_DONE ?
		    sqlite3_errmsg(to) : sqlite3_errstr(sr));
		goto out;
	}
	rc = XDS_OK;
out:
	sqlite3_close(from);
	if (to != NULL && sqlite3_close(to) != SQLITE_OK && rc == XDS_OK) {
		str_fmt(err, errlen, "%s: close failed", dst);
		rc = XDS_EIO;
	}
	if (rc == XDS_OK) {
		if ((fd = open(dst, O_RDONLY | O_CLOEXEC)) == -1 ||
		    fsync(fd) != 0) {
			str_fmt(err, errlen, "%s: %s", dst, strerror(errno));
			rc = XDS_EIO;
		}
		if (fd != -1)
			close(fd);
	}
	if (rc != XDS_OK && to != NULL)
		unlink(dst);
	return rc;
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int
db_schema_apply(sqlite3 *db, const struct db_schema *s, char *err,
    size_t errlen)
{
	char sql[64], what[96];
	int v = 0, k, rc;

	if (db_exec(db, s->name, "BEGIN IMMEDIATE", err, errlen) != XDS_OK)
		return XDS_EIO;
	if ((rc = user_version(db, &v)) != SQLITE_OK) {
		str_fmt(err, errlen, "%s: user_version: %s", s->name,
		    sqlite3_errstr(rc));
		rc = XDS_EIO;
		goto fail;
	}
	if (v > s->nsteps) {
		str_fmt(err, errlen, "%s: schema version %d was written by a "
		    "newer xdsnode (this one writes version %d); a downgrade "
		    "is not supported: run the newer release, or restore the "
		    "backup taken before the upgrade", s->name, v, s->nsteps);
		rc = XDS_EUNSUPPORTED;
		goto fail;
	}
	if (v == s->nsteps) {
		rc = db_exec(db, s->name, "COMMIT", err, errlen);
		goto done;
	}
	for (k = v; k < s->nsteps; k++) {
		str_fmt(what, sizeof what, "%s: schema version %d to %d",
		    s->name, k, k + 1);
		if (k == 0 && s->legacy != NULL)
			rc = s->legacy(db, err, errlen);
		else
			rc = db_exec(db, what, s->steps[k], err, errlen);
		if (rc != XDS_OK) {
			rc = XDS_EIO;
			goto fail;
		}
	}
	str_fmt(sql, sizeof sql, "PRAGMA user_version=%d", s->nsteps);
	if ((rc = db_exec(db, s->name, sql, err, errlen)) != XDS_OK ||
	    (rc = db_exec(db, s->name, "COMMIT", err, errlen)) != XDS_OK)
		goto fail;
	log_info("%s: schema version %d to %d", s->name, v, s->nsteps);
done:
	return rc;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
