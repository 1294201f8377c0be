/*
 * repo_check.c: the document store checked against repository.db,
 * read-only (repo_check.h).
 *
 * The index is walked a page of distinct hashes at a time (the
 * document_sha256 index, no sort), each page in its own read
 * transaction; every blob is then hashed once, outside any transaction,
 * against the size its documents record.  Afterwards the store's
 * ab/cd/ directories are walked for files no document names.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "blobstore.h"
#include "db.h"
#include "repo_check.h"
#include "repository.h"
#include "status.h"
#include "str.h"

#define PAGE		512
#define BUSY_MS		10000
#define PATH_MAX_CHECK	(BLOB_PATH_MAX + 64)

struct check {
	sqlite3		*db;
	sqlite3_stmt	*page;		/* distinct hashes after ?1 */
	sqlite3_stmt	*rows;		/* the documents of hash ?1 */
	struct blobstore *bs;		/* NULL: no store directory */
	char		 dir[PATH_MAX_CHECK];
	repo_check_fn	 fn;
	repo_progress_fn progress;
	void		*arg;
	struct repo_check_counts *n;
	char		*err;
	size_t		 errlen;
};

/* One document of a hash. */
struct doc {
	char		 uid[130];
	long long	 size;
};

const char *
repo_problem_name(enum repo_problem p)
{
	static const char *const names[REPO_NPROBLEMS] = {
		"missing", "damaged", "unreadable", "orphan"
	};

	return p < REPO_NPROBLEMS ? names[p] : "?";
}

static int
db_fail(struct check *c, const char *what)
{
	str_fmt(c->err, c->errlen, "repository.db: %s: %s", what,
	    sqlite3_errmsg(c->db));
	return XDS_EIO;
}

static void
report(struct check *c, enum repo_problem what, const char *uid,
    const char *sha256, const char *detail)
{
	struct repo_finding f = { what, uid, sha256, detail };

	c->n->problems[what]++;
	c->fn(c->arg, &f);
}

/* The documents recorded for sha256 (one read): *docs (free()), *n. */
static int
docs_of(struct check *c, const char *sha256, struct doc **docs, size_t *n)
{
	struct doc *v = NULL, *nv;
	size_t cap = 0;
	int rc;

	*docs = NULL;
	*n = 0;
	sqlite3_reset(c->rows);
	if (sqlite3_bind_text(c->rows, 1, sha256, -1, SQLITE_STATIC) !=
	    SQLITE_OK)
		return db_fail(c, "bind");
	while ((rc = sqlite3_step(c->rows)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof *v)) == NULL) {
				free(v);
				sqlite3_reset(c->rows);
				str_fmt(c->err, c->errlen, "out of memory");
				return XDS_ENOMEM;
			}
			v = nv;
		}
		str_lcpy(v[*n].uid, (const char *)sqlite3_column_text(c->rows,
		    0), sizeof v[*n].uid);
		v[*n].size = sqlite3_column_int64(c->rows, 1);
		(*n)++;
	}
	sqlite3_reset(c->rows);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return db_fail(c, "documents of a hash");
	}
	*docs = v;
	return XDS_OK;
}

/* Still recorded (a second look, after the blob was judged)? */
static int
still_recorded(struct check *c, const char *sha256, const struct doc *d)
{
	struct doc *v;
	size_t i, n;
	int found = 0;

	if (docs_of(c, sha256, &v, &n) != XDS_OK)
		return 1;	/* cannot tell: report it */
	for (i = 0; i < n; i++)
		if (strcmp(v[i].uid, d->uid) == 0 && v[i].size == d->size)
			found = 1;
	free(v);
	return found;
}

/* The blob sha256 against each of its documents' recorded size (one
 * hash per distinct size: always one, unless the index is damaged). */
static int
check_blob(struct check *c, const char *sha256)
{
	struct doc *docs;
	size_t i, j, n;
	char e[256];
	int rc, vr = XDS_OK;

	if ((rc = docs_of(c, sha256, &docs, &n)) != XDS_OK)
		return rc;
	c->n->blobs++;
	c->n->documents += n;
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && docs[j].size != docs[i].size; j++)
			;
		if (j == i) {		/* a size not checked yet */
			e[0] = '\0';
			vr = c->bs == NULL ? XDS_ENOTFOUND :
			    blobstore_verify(c->bs, sha256, docs[i].size, e,
			    sizeof e);
			if (vr == XDS_OK)
				c->n->bytes += (unsigned long long)
				    docs[i].size;
		} else
			continue;	/* judged with docs[j] below */
		if (vr == XDS_OK)
			continue;
		for (j = i; j < n; j++) {
			if (docs[j].size != docs[i].size ||
			    !still_recorded(c, sha256, &docs[j]))
				continue;
			if (vr == BLOB_DAMAGED)
				report(c, REPO_DAMAGED, docs[j].uid, sha256, e);
			else if (vr == XDS_ENOTFOUND)
				report(c, REPO_MISSING, docs[j].uid, sha256,
				    "");
			else
				report(c, REPO_UNREADABLE, docs[j].uid, sha256,
				    e);
		}
	}
	free(docs);
	if (c->progress != NULL)
		c->progress(c->arg, c->n);
	return XDS_OK;
}

/* Every hash of the index, a page per read transaction. */
static int
check_documents(struct check *c)
{
	char last[BLOB_SHA256_HEX] = "", (*hs)[BLOB_SHA256_HEX] = NULL;
	size_t i, n;
	int rc;

	if ((hs = calloc(PAGE, sizeof *hs)) == NULL) {
		str_fmt(c->err, c->errlen, "out of memory");
		return XDS_ENOMEM;
	}
	for (;;) {
		n = 0;
		sqlite3_reset(c->page);
		if (sqlite3_bind_text(c->page, 1, last, -1, SQLITE_TRANSIENT) !=
		    SQLITE_OK) {
			rc = db_fail(c, "bind");
			goto out;
		}
		while ((rc = sqlite3_step(c->page)) == SQLITE_ROW && n < PAGE)
			str_lcpy(hs[n++], (const char *)
			    sqlite3_column_text(c->page, 0), sizeof hs[0]);
		sqlite3_reset(c->page);	/* ends the read transaction */
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			rc = db_fail(c, "hashes");
			goto out;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++)
			if ((rc = check_blob(c, hs[i])) != XDS_OK)
				goto out;
		str_lcpy(last, hs[n - 1], sizeof last);
	}
	rc = XDS_OK;
out:
	free(hs);
	return rc;
}

static int
is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

/* One file of documents/ab/cd/. */
static int
check_file(struct check *c, const char *path, const char *name,
    time_t cutoff)
{
	struct doc *docs;
	struct stat sb;
	size_t n;
	int rc;

	if (lstat(path, &sb) != 0 || S_ISDIR(sb.st_mode))
		return XDS_OK;
	c->n->files++;
	if (sb.st_mtime > cutoff)
		return XDS_OK;		/* perhaps a submission in flight */
	if (!blobstore_name_ok(name)) {
		report(c, REPO_ORPHAN, "", name, "not a blob name");
		return XDS_OK;
	}
	if ((rc = docs_of(c, name, &docs, &n)) != XDS_OK)
		return rc;
	free(docs);
	if (n == 0)
		report(c, REPO_ORPHAN, "", name, "no document names it");
	return XDS_OK;
}

/* Files in documents/ab/cd/ that no document names. */
static int
check_orphans(struct check *c)
{
	char p1[PATH_MAX_CHECK], p2[PATH_MAX_CHECK], p3[PATH_MAX_CHECK];
	struct dirent *e1, *e2, *e3;
	DIR *d1 = NULL, *d2 = NULL, *d3 = NULL;
	time_t cutoff = time(NULL) - REPOSITORY_SWEEP_GRACE;
	int rc = XDS_EIO;

	if ((d1 = opendir(c->dir)) == NULL) {
		str_fmt(c->err, c->errlen, "%s: %s", c->dir, strerror(errno));
		goto out;
	}
	while ((e1 = readdir(d1)) != NULL) {
		if (!is_hex2(e1->d_name) || str_fmt(p1, sizeof p1, "%s/%s",
		    c->dir, e1->d_name) < 0 || (d2 = opendir(p1)) == NULL)
			continue;
		while ((e2 = readdir(d2)) != NULL) {
			if (!is_hex2(e2->d_name) || str_fmt(p2, sizeof p2,
			    "%s/%s", p1, e2->d_name) < 0 ||
			    (d3 = opendir(p2)) == NULL)
				continue;
			while ((e3 = readdir(d3)) != NULL) {
				if (e3->d_name[0] == '.' && (e3->d_name[1] ==
				    '\0' || strcmp(e3->d_name, "..") == 0))
					continue;
				if (str_fmt(p3, sizeof p3, "%s/%s", p2,
				    e3->d_name) < 0)
					continue;
				if ((rc = check_file(c, p3, e3->d_name,
				    cutoff)) != XDS_OK)
					goto out;
			}
			closedir(d3);
			d3 = NULL;
		}
		closedir(d2);
		d2 = NULL;
	}
	rc = XDS_OK;
out:
	if (d3 != NULL)
		closedir(d3);
	if (d2 != NULL)
		closedir(d2);
	if (d1 != NULL)
		closedir(d1);
	return rc;
}

int
repo_check(const char *state_dir, repo_check_fn fn,
    repo_progress_fn progress, void *arg, struct repo_check_counts *counts,
    char *err, size_t errlen)
{
	struct check c;
	char path[PATH_MAX_CHECK];
	struct stat sb;
	int rc;

	memset(&c, 0, sizeof c);
	memset(counts, 0, sizeof *counts);
	c.fn = fn;
	c.progress = progress;
	c.arg = arg;
	c.n = counts;
	c.err = err;
	c.errlen = errlen;
	if (str_fmt(path, sizeof path, "%s/repository.db", state_dir) < 0 ||
	    str_fmt(c.dir, sizeof c.dir, "%s/documents", state_dir) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		return XDS_EINVAL;
	}
	/* read-only open of a missing file would fail with less to say */
	if (stat(path, &sb) != 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? XDS_ENOTFOUND : XDS_EIO;
	}
	if ((rc = db_open_readonly(path, BUSY_MS, &c.db, err, errlen)) !=
	    XDS_OK)
		return rc;
	if (sqlite3_prepare_v2(c.db, "SELECT DISTINCT sha256 FROM document "
	    "WHERE sha256 > ?1 ORDER BY sha256 LIMIT 512", -1, &c.page,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "SELECT unique_id, size FROM document "
	    "WHERE sha256 = ?1 ORDER BY unique_id", -1, &c.rows, NULL) !=
	    SQLITE_OK) {
		rc = db_fail(&c, "prepare");
		goto out;
	}
	rc = blobstore_open_readonly(c.dir, &c.bs, err, errlen);
	if (rc != XDS_OK && rc != XDS_ENOTFOUND)
		goto out;
	if ((rc = check_documents(&c)) != XDS_OK)
		goto out;
	rc = c.bs != NULL ? check_orphans(&c) : XDS_OK;
out:
	sqlite3_finalize(c.page);
	sqlite3_finalize(c.rows);
	sqlite3_close(c.db);
	blobstore_close(c.bs);
	return rc;
}

struct repo_index {
	sqlite3		*db;
	sqlite3_stmt	*get;
};

int
repo_index_open(const char *state_dir, struct repo_index **out, char *err,
    size_t errlen)
{
	struct repo_index *x;
	char path[PATH_MAX_CHECK];

	*out = NULL;
	if (str_fmt(path, sizeof path, "%s/repository.db", state_dir) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		return XDS_EINVAL;
	}
	if ((x = calloc(1, sizeof *x)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if (db_open_readonly(path, BUSY_MS, &x->db, err, errlen) != XDS_OK)
		goto fail;
	if (sqlite3_prepare_v2(x->db, "SELECT sha1, size, state FROM document "
	    "WHERE unique_id = ?1", -1, &x->get, NULL) != SQLITE_OK) {
		str_fmt(err, errlen, "%s: %s", path, sqlite3_errmsg(x->db));
		goto fail;
	}
	*out = x;
	return XDS_OK;
fail:
	repo_index_close(x);
	return XDS_EIO;
}

void
repo_index_close(struct repo_index *x)
{
	if (x == NULL)
		return;
	sqlite3_finalize(x->get);
	sqlite3_close(x->db);
	free(x);
}

int
repo_index_get(struct repo_index *x, const char *uid, char *sha1,
    long long *size, int *committed, char *err, size_t errlen)
{
	const char *s;
	int rc;

	sqlite3_reset(x->get);
	if (sqlite3_bind_text(x->get, 1, uid, -1, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(x->get);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(x->get);
		return XDS_ENOTFOUND;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	s = (const char *)sqlite3_column_text(x->get, 0);
	str_lcpy(sha1, s != NULL ? s : "", 41);
	*size = sqlite3_column_int64(x->get, 1);
	s = (const char *)sqlite3_column_text(x->get, 2);
	*committed = s != NULL && strcmp(s, "committed") == 0;
	sqlite3_reset(x->get);
	return XDS_OK;
fail:
	str_fmt(err, errlen, "repository.db: %s", sqlite3_errmsg(x->db));
	sqlite3_reset(x->get);
	return XDS_EIO;
}
