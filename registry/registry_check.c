/*
 * registry_check.c: the DocumentEntries of one repository, read-only, a
 * page at a time (registry_check.h).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "db.h"
#include "registry_check.h"
#include "status.h"
#include "str.h"

#define PAGE		512
#define PAGE_SQL	"512"	/* PAGE, for the query */
#define BUSY_MS		10000

struct entry {
	long long	 id;
	char		 uid[130];
	char		 hash[48];
	int		 has_hash;
	long long	 size;
};

/* The next page of entries after id *after: how many, or -1. */
static int
page(sqlite3_stmt *st, const char *repo, long long after, struct entry *e,
    sqlite3 *db, char *err, size_t errlen)
{
	const char *s;
	int n = 0, rc;

	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, after) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < PAGE) {
		e[n].id = sqlite3_column_int64(st, 0);
		s = (const char *)sqlite3_column_text(st, 1);
		str_lcpy(e[n].uid, s != NULL ? s : "", sizeof e[n].uid);
		s = (const char *)sqlite3_column_text(st, 2);
		e[n].has_hash = s != NULL;
		str_lcpy(e[n].hash, s != NULL ? s : "", sizeof e[n].hash);
		e[n].size = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 3);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	sqlite3_reset(st);	/* ends the read transaction */
	return n;
fail:
	str_fmt(err, errlen, "registry.db: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
	return -1;
}

int
registry_each_document(const char *state_dir, const char *repository_uid,
    registry_doc_fn fn, void *arg, unsigned long long *n, char *err,
    size_t errlen)
{
	static struct entry e[PAGE];	/* one caller at a time: a tool */
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	long long after = 0;
	int k, i, rc = XDS_EIO;

	*n = 0;
	if (str_fmt(path, sizeof path, "%s/registry.db", state_dir) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		return XDS_EINVAL;
	}
	if (stat(path, &sb) != 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? XDS_ENOTFOUND : XDS_EIO;
	}
	if (db_open_readonly(path, BUSY_MS, &db, err, errlen) != XDS_OK)
		return XDS_EIO;
	/* The latest version of each entry (ITI-57 keeps the ones before,
	 * with the metadata they had). */
	if (sqlite3_prepare_v2(db, "SELECT d.id, d.unique_id, d.hash, d.size "
	    "FROM document_entry d JOIN registry_object r ON r.id = d.id "
	    "WHERE d.repository_uid = ?1 AND d.id > ?2 AND r.version = "
	    "(SELECT max(version) FROM registry_object WHERE lid = r.lid) "
	    "ORDER BY d.id LIMIT " PAGE_SQL, -1, &st, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "registry.db: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (;;) {
		if ((k = page(st, repository_uid, after, e, db, err, errlen)) < 0)
			goto out;
		for (i = 0; i < k; i++) {
			(*n)++;
			if (fn(arg, e[i].uid, e[i].has_hash ? e[i].hash : NULL,
			    e[i].size) != 0) {
				rc = XDS_OK;
				goto out;
			}
		}
		if (k < PAGE)
			break;
		after = e[k - 1].id;
	}
	rc = XDS_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
