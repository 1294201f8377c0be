/*
 * bridge_check.c: dicom.db against the files of the DICOM store,
 * read-only (bridge_check.h).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bridge_check.h"
#include "db.h"
#include "status.h"
#include "str.h"

#define PAGE		256
#define PAGE_SQL	"256"	/* PAGE, for the queries */
#define BUSY_MS		10000
#define UID_SZ		65
#define PATH_SZ		4096

struct row {
	char	 a[UID_SZ], b[UID_SZ], c[UID_SZ];	/* uids */
};

const char *
bridge_problem_name(enum bridge_problem p)
{
	static const char *const names[BRIDGE_NPROBLEMS] = {
		"no-instance-file", "no-manifest"
	};

	return p < BRIDGE_NPROBLEMS ? names[p] : "?";
}

/* A page of st (bound to the last key ?1) into r: how many, or -1. */
static int
page(sqlite3 *db, sqlite3_stmt *st, const char *after, struct row *r,
    char *err, size_t errlen)
{
	const char *s;
	int n = 0, rc = SQLITE_DONE;

	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		goto fail;
	while (n < PAGE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		str_lcpy(r[n].a, s ? s : "", UID_SZ);
		s = (const char *)sqlite3_column_text(st, 1);
		str_lcpy(r[n].b, s ? s : "", UID_SZ);
		s = (const char *)sqlite3_column_text(st, 2);
		str_lcpy(r[n].c, s ? s : "", UID_SZ);
		n++;
	}
	if (n < PAGE && rc != SQLITE_DONE)
		goto fail;
	sqlite3_reset(st);
	return n;
fail:
	str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
	return -1;
}

/* Still a row of key uid (asked again: not removed meanwhile)? */
static int
still(sqlite3 *db, const char *sql, const char *uid)
{
	sqlite3_stmt *st = NULL;
	int yes = 1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC) == SQLITE_OK)
		yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

int
bridge_check(const char *state_dir, bridge_check_fn fn, void *arg,
    struct bridge_check_counts *n, char *err, size_t errlen)
{
	static struct row r[PAGE];	/* one caller at a time: a tool */
	char path[PATH_SZ], after[UID_SZ];
	sqlite3 *db = NULL;
	sqlite3_stmt *inst = NULL, *pub = NULL;
	struct stat sb;
	int k, i, rc = XDS_EIO;

	memset(n, 0, sizeof *n);
	str_fmt(path, sizeof path, "%s/dicom.db", state_dir);
	if (stat(path, &sb) != 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? XDS_ENOTFOUND : XDS_EIO;
	}
	if (db_open_readonly(path, BUSY_MS, &db, err, errlen) != XDS_OK)
		return XDS_EIO;
	if (sqlite3_prepare_v2(db, "SELECT sop_uid, study_uid, series_uid "
	    "FROM instance WHERE sop_uid > ?1 ORDER BY sop_uid LIMIT "
	    PAGE_SQL, -1, &inst, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT study_uid, unique_id, '' FROM study "
	    "WHERE study_uid > ?1 AND state = 'published' AND unique_id IS NOT "
	    "NULL ORDER BY study_uid LIMIT " PAGE_SQL, -1, &pub, NULL) !=
	    SQLITE_OK) {
		str_fmt(err, errlen, "dicom.db: %s", sqlite3_errmsg(db));
		goto out;
	}
	after[0] = '\0';
	do {
		if ((k = page(db, inst, after, r, err, errlen)) < 0)
			goto out;
		for (i = 0; i < k; i++) {
			n->instances++;
			str_fmt(path, sizeof path, "%s/dicom/%s/%s/%s.dcm",
			    state_dir, r[i].b, r[i].c, r[i].a);
			if (access(path, F_OK) != 0 && still(db, "SELECT 1 "
			    "FROM instance WHERE sop_uid = ?1", r[i].a)) {
				n->problems[BRIDGE_NO_INSTANCE]++;
				fn(arg, BRIDGE_NO_INSTANCE, r[i].a, path);
			}
		}
		if (k > 0)
			str_lcpy(after, r[k - 1].a, sizeof after);
	} while (k == PAGE);
	after[0] = '\0';
	do {
		if ((k = page(db, pub, after, r, err, errlen)) < 0)
			goto out;
		for (i = 0; i < k; i++) {
			n->studies++;
			str_fmt(path, sizeof path, "%s/dicom/kos/%s.dcm",
			    state_dir, r[i].b);
			if (access(path, F_OK) != 0 && still(db, "SELECT 1 "
			    "FROM study WHERE study_uid = ?1 AND state = "
			    "'published'", r[i].a)) {
				n->problems[BRIDGE_NO_MANIFEST]++;
				fn(arg, BRIDGE_NO_MANIFEST, r[i].a, path);
			}
		}
		if (k > 0)
			str_lcpy(after, r[k - 1].a, sizeof after);
	} while (k == PAGE);
	rc = XDS_OK;
out:
	sqlite3_finalize(inst);
	sqlite3_finalize(pub);
	sqlite3_close(db);
	return rc;
}
