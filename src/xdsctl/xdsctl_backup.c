/*
 * xdsctl_backup.c: `xdsctl backup DIR` and `xdsctl restore DIR`.
 *
 * backup copies node.state_dir into the new directory DIR while the node
 * runs on.  The databases go first, each by SQLite's online backup (one
 * commit's state): dicom.db, registry.db, repository.db, then any other,
 * in that order because each later one only ever refers to what the
 * earlier ones hold by then (a study is marked published after its
 * manifest is registered; a registry entry's document row is written
 * before the registration).  Then every other file: the document blobs
 * that the copy of repository.db names (immutable, durable before a row
 * names them, so every row finds its file; a document stored after the
 * copy is left out with its row) and DICOM instances, the access log up
 * to its last whole record (a day the node compresses meanwhile is copied
 * as its .gz), the ATNA outbox.  Temporary files, spools, SQLite's -wal and
 * -shm and xdsd.ports are left out.  A blob the copied index names but
 * that is gone by then was removed meanwhile (ITI-86: the row first, then
 * the blob) when the node's index no longer has its row: that row is
 * deleted from the copy, so the copy holds no row without its bytes; a
 * row the node still has is damage on the node, kept and reported.  The
 * databases are hashed after that.  MANIFEST, written last and synced,
 * lists every file with its size and SHA-256: a directory without it is
 * no backup.  The configuration file given with -c is copied beside it
 * as xdsd.conf (not part of the state; certificates and keys are not
 * copied).
 *
 * restore checks the whole manifest and every file's size and SHA-256
 * while it copies into a new directory beside node.state_dir, and only
 * then renames it into place: a failed restore leaves nothing behind,
 * and node.state_dir must be absent or empty (never mixed with another
 * node's state).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "bridge_stage.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "str.h"
#include "xdsctl.h"

#define MANIFEST	"MANIFEST"
#define MANIFEST_HEAD	"xdsnode backup 1"
#define LINE_MAX_BK	(PATH_MAX + 128)
#define COPY_CHUNK	(256 * 1024)
#define BUSY_MS		10000
/* Test only (tests/node/test_backup_remove.py): after the databases are
 * copied and before any file, backup creates the file this names and
 * waits until it is removed (at most HOLD_MAX_MS), so that a test can
 * change the node at that point. */
#define BACKUP_TEST_HOLD "XDSCTL_TEST_BACKUP_HOLD"
#define HOLD_MAX_MS	(300 * 1000)

/* The databases in the order they are copied; others follow, sorted. */
static const char *const db_order[] = {
	"dicom.db", "registry.db", "repository.db"
};

struct bk {
	const char	*src, *dst;	/* roots */
	char		(*blobs)[65];	/* backup: the SHA-256s repository.db
					   names, sorted */
	size_t		 nblobs;
	char		**dbnames;	/* backup: the databases copied, in
					   order, hashed at the end */
	size_t		 ndbs;
	unsigned long long removed;	/* rows left out: removed meanwhile */
	unsigned long long missing;	/* rows kept without their blob */
	FILE		*man;		/* MANIFEST being written (backup) */
	int		 tty;		/* show progress on stderr */
	long long	 shown_ms;
	unsigned long long files, dbs, bytes;
	const char	*verb;		/* "backup" or "restore" */
	char		 err[PATH_MAX + 256];
};

static void
progress(struct bk *b, int last)
{
	long long now = clock_real_ms();

	if (!b->tty || (!last && now - b->shown_ms < 250))
		return;
	b->shown_ms = now;
	fprintf(stderr, "\r%s: %llu files, %.1f MiB%s", b->verb,
	    b->files + b->dbs, (double)b->bytes / (1024.0 * 1024.0),
	    last ? "\n" : "");
}

static void
hex(const unsigned char *md, char out[65])
{
	static const char d[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = d[md[i] >> 4];
		out[2 * i + 1] = d[md[i] & 15];
	}
	out[64] = '\0';
}

/*
 * len bytes of fd in to out (-1: none, only hashed), hashed into sha
 * (hex).  0, or -1 with the reason in b->err: a short file means it
 * changed while copied.
 */
static int
copy_fd(struct bk *b, int in, int out, off_t len, const char *name,
    char sha[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	char *buf;
	off_t left = len;
	ssize_t n, w, k;
	int rc = -1;

	if ((buf = malloc(COPY_CHUNK)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL) {
		free(buf);
		str_fmt(b->err, sizeof b->err, "out of memory");
		return -1;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while (left > 0) {
		n = read(in, buf, left < COPY_CHUNK ? (size_t)left : COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			str_fmt(b->err, sizeof b->err, "%s: %s", name, n == 0 ?
			    "shorter than it was: changed while copied" :
			    strerror(errno));
			goto out;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto out;
		for (w = 0; out != -1 && w < n; w += k)
			if ((k = write(out, buf + w, (size_t)(n - w))) < 0) {
				if (errno == EINTR) {
					k = 0;
					continue;
				}
				str_fmt(b->err, sizeof b->err, "%s: %s", name,
				    strerror(errno));
				goto out;
			}
		left -= n;
		b->bytes += (unsigned long long)n;
		progress(b, 0);
	}
	if (EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		goto out;
	hex(md, sha);
	if (out != -1 && fsync(out) != 0) {
		str_fmt(b->err, sizeof b->err, "%s: %s", name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && b->err[0] == '\0')
		str_fmt(b->err, sizeof b->err, "%s: SHA-256 failed", name);
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

/* The length of fd up to and with its last newline (whole records of an
 * append-only log that is written meanwhile). */
static off_t
whole_lines(int fd, off_t size)
{
	char buf[4096];
	off_t end = size, at;
	ssize_t n;

	while (end > 0) {
		at = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
		if ((n = pread(fd, buf, (size_t)(end - at), at)) <= 0)
			return 0;
		while (n > 0)
			if (buf[--n] == '\n')
				return at + n + 1;
		end = at;
	}
	return 0;
}

static int
is_log(const char *rel)
{
	size_t n = strlen(rel);

	return strncmp(rel, "audit/", 6) == 0 && n > 6 &&
	    strcmp(rel + n - 6, ".jsonl") == 0;
}

static int
manifest_add(struct bk *b, const char *sha, off_t size, const char *rel)
{
	if (strchr(rel, '\n') != NULL) {
		str_fmt(b->err, sizeof b->err, "%s: a newline in the name",
		    rel);
		return -1;
	}
	if (fprintf(b->man, "%s %lld %s\n", sha, (long long)size, rel) < 0) {
		str_fmt(b->err, sizeof b->err, MANIFEST ": %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Copy the regular file src/rel to dst/rel (new, mode 0600 or 0400 as
 * the source) and list it. */
static int
backup_file(struct bk *b, const char *rel, const struct stat *st)
{
	char from[PATH_MAX], to[PATH_MAX], sha[65];
	off_t len = st->st_size;
	int in = -1, out = -1, rc = -1;

	if (str_fmt(from, sizeof from, "%s/%s", b->src, rel) < 0 ||
	    str_fmt(to, sizeof to, "%s/%s", b->dst, rel) < 0) {
		str_fmt(b->err, sizeof b->err, "%s: path too long", rel);
		return -1;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)	/* removed meanwhile: a temporary */
			return 0;
		str_fmt(b->err, sizeof b->err, "%s: %s", from, strerror(errno));
		return -1;
	}
	if (is_log(rel))
		len = whole_lines(in, len);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    st->st_mode & 0200 ? 0600 : 0400)) == -1) {
		str_fmt(b->err, sizeof b->err, "%s: %s", to, strerror(errno));
		goto out;
	}
	if (copy_fd(b, in, out, len, from, sha) != 0 ||
	    manifest_add(b, sha, len, rel) != 0)
		goto out;
	b->files++;
	rc = 0;
out:
	if (out != -1)
		close(out);
	close(in);
	return rc;
}

/*
 * An access log day that was compressed while the backup ran (the
 * node's pass removes the plain file once the .gz is durable): copy the
 * .gz, unless the listing holds it next anyway.
 */
static int
backup_compressed(struct bk *b, const char *sub, char **names, size_t i,
    size_t n)
{
	char gz[PATH_MAX], from[PATH_MAX];
	size_t len = strlen(names[i]);
	struct stat st;

	if (!is_log(sub) || (i + 1 < n && strncmp(names[i + 1], names[i],
	    len) == 0 && strcmp(names[i + 1] + len, ".gz") == 0))
		return 0;
	if (str_fmt(gz, sizeof gz, "%s.gz", sub) < 0 ||
	    str_fmt(from, sizeof from, "%s/%s", b->src, gz) < 0 ||
	    lstat(from, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return backup_file(b, gz, &st);
}

/* What stays out: SQLite's side files and the databases (copied by
 * db_backup), the ports file, temporary directories and spools (also
 * push-spool: the instances a push fetched from the PACS), pushed DICOM
 * instances not committed yet (bridge_stage.h: maybe not durable,
 * without a row). */
static int
skipped(const char *rel, const char *name, int dir)
{
	size_t n = strlen(name), sn = strlen(BRIDGE_STAGE_SUFFIX);
	int top = strchr(rel, '/') == NULL;

	if (dir)
		return strcmp(name, "tmp") == 0 ||
		    (top && (strcmp(name, "spool") == 0 ||
		    strcmp(name, "push-spool") == 0));
	if (!top)
		return (n > 4 && strcmp(name + n - 4, ".tmp") == 0) ||
		    (n > sn && strcmp(name + n - sn, BRIDGE_STAGE_SUFFIX) == 0);
	return (n > 3 && strcmp(name + n - 3, ".db") == 0) ||
	    strstr(name, ".db-") != NULL || strncmp(name, "xdsd.ports", 10) == 0;
}

static int
dir_sync(const char *path, char *err, size_t errlen)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) != 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of the directory src/rel ("" for the root), sorted. */
static int
list_dir(struct bk *b, const char *rel, char ***out, size_t *nout)
{
	char path[PATH_MAX], **v = NULL, **nv;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;

	*out = NULL;
	*nout = 0;
	str_fmt(path, sizeof path, "%s%s%s", b->src, rel[0] ? "/" : "", rel);
	if ((d = opendir(path)) == NULL) {
		str_fmt(b->err, sizeof b->err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			if ((nv = realloc(v, (cap = cap ? 2 * cap : 64) *
			    sizeof *v)) == NULL)
				goto nomem;
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, name_cmp);
	*out = v;
	*nout = n;
	return 0;
nomem:
	closedir(d);
	while (n > 0)
		free(v[--n]);
	free(v);
	str_fmt(b->err, sizeof b->err, "out of memory");
	return -1;
}

static void
free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

static int
sha_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The blobs the copy of repository.db names (none without one). */
static int
load_blobs(struct bk *b)
{
	char path[PATH_MAX], (*v)[65];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t cap = 0, i, n;
	const char *sha;
	int rc = -1, r;

	str_fmt(path, sizeof path, "%s/repository.db", b->dst);
	if (access(path, F_OK) != 0)
		return 0;
	if (db_open_readonly(path, BUSY_MS, &db, b->err, sizeof b->err) != 0)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT sha256 FROM document", -1, &st,
	    NULL) != SQLITE_OK)
		goto sqlerr;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((sha = (const char *)sqlite3_column_text(st, 0)) == NULL ||
		    strlen(sha) != 64)
			continue;
		if (b->nblobs == cap) {
			if ((v = realloc(b->blobs, (cap = cap ? 2 * cap : 1024) *
			    sizeof *v)) == NULL) {
				str_fmt(b->err, sizeof b->err, "out of memory");
				goto out;
			}
			b->blobs = v;
		}
		memcpy(b->blobs[b->nblobs++], sha, 65);
	}
	if (r != SQLITE_DONE)
		goto sqlerr;
	if (b->nblobs > 0) {
		qsort(b->blobs, b->nblobs, sizeof *b->blobs, sha_cmp);
		for (i = 1, n = 1; i < b->nblobs; i++)	/* each once */
			if (strcmp(b->blobs[i], b->blobs[n - 1]) != 0)
				memcpy(b->blobs[n++], b->blobs[i], 65);
		b->nblobs = n;
	}
	rc = 0;
	goto out;
sqlerr:
	str_fmt(b->err, sizeof b->err, "%s: %s", path, sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* A file of the document store that the copied index does not name. */
static int
unnamed_blob(const struct bk *b, const char *rel, const char *name)
{
	return strncmp(rel, "documents/", 10) == 0 && strlen(name) == 64 &&
	    bsearch(name, b->blobs, b->nblobs, sizeof *b->blobs,
	    sha_cmp) == NULL;
}

/* The files below src/rel, recursively (the databases excepted). */
static int
backup_tree(struct bk *b, const char *rel)
{
	char **names, sub[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	struct stat st;
	size_t i, n;
	int rc = -1;

	if (list_dir(b, rel, &names, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		str_fmt(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "",
		    names[i]);
		str_fmt(from, sizeof from, "%s/%s", b->src, sub);
		if (lstat(from, &st) != 0) {
			if (errno == ENOENT) {
				if (backup_compressed(b, sub, names, i, n) != 0)
					goto out;
				continue;
			}
			str_fmt(b->err, sizeof b->err, "%s: %s", from,
			    strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (skipped(sub, names[i], 1))
				continue;
			str_fmt(to, sizeof to, "%s/%s", b->dst, sub);
			if (mkdir(to, 0700) != 0) {
				str_fmt(b->err, sizeof b->err, "%s: %s", to,
				    strerror(errno));
				goto out;
			}
			if (backup_tree(b, sub) != 0 ||
			    dir_sync(to, b->err, sizeof b->err) != 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			if (!skipped(sub, names[i], 0) &&
			    !unnamed_blob(b, sub, names[i]) &&
			    backup_file(b, sub, &st) != 0)
				goto out;
			if (access(from, F_OK) != 0 && errno == ENOENT &&
			    backup_compressed(b, sub, names, i, n) != 0)
				goto out;
		} else
			fprintf(stderr, "xdsctl: backup: %s: not a regular "
			    "file or directory: left out\n", from);
	}
	rc = 0;
out:
	free_list(names, n);
	return rc;
}

/* mkdir -p of the directories of rel below root (0700). */
static int
make_parents(const char *root, const char *rel, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *p;

	for (p = strchr(rel, '/'); p != NULL; p = strchr(p + 1, '/')) {
		str_fmt(path, sizeof path, "%s/%.*s", root, (int)(p - rel), rel);
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			str_fmt(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Test only (BACKUP_TEST_HOLD): its file created, then waited for to
 * go. */
static void
test_hold(void)
{
	const char *path = getenv(BACKUP_TEST_HOLD);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long long end;
	int fd;

	if (path == NULL || path[0] == '\0' ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return;
	close(fd);
	end = clock_mono() + HOLD_MAX_MS;
	while (access(path, F_OK) == 0 && clock_mono() < end)
		nanosleep(&ts, NULL);
}

/* The uniqueIds of the copied index's rows naming blob sha. */
static int
rows_of(struct bk *b, sqlite3_stmt *q, const char *sha, char ***out,
    size_t *nout)
{
	char **v = NULL, **nv;
	const char *uid;
	size_t n = 0;
	int r;

	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, sha, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if ((uid = (const char *)sqlite3_column_text(q, 0)) == NULL)
			continue;
		if ((nv = realloc(v, (n + 1) * sizeof *v)) == NULL ||
		    (nv[n] = strdup(uid)) == NULL) {
			v = nv != NULL ? nv : v;
			free_list(v, n);
			str_fmt(b->err, sizeof b->err, "out of memory");
			return -1;
		}
		v = nv;
		n++;
	}
	sqlite3_reset(q);
	*out = v;
	*nout = n;
	if (r != SQLITE_DONE) {
		free_list(v, n);
		*out = NULL;
		*nout = 0;
		return -1;
	}
	return 0;
}

/* Whether the node's index has the row uid naming blob sha: 1, 0, or -1
 * (a database error). */
static int
live_has(sqlite3_stmt *q, const char *uid, const char *sha)
{
	int r;

	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, sha, -1, SQLITE_STATIC);
	r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

/* Whether the copy holds the blob sha; when not, its name below the state
 * directory in rel. */
static int
blob_copied(const struct bk *b, const char *sha, char *rel, size_t relsz)
{
	char path[PATH_MAX];

	str_fmt(rel, relsz, "documents/%.2s/%.2s/%s", sha, sha + 2, sha);
	return str_fmt(path, sizeof path, "%s/%s", b->dst, rel) >= 0 &&
	    access(path, F_OK) == 0;
}

/*
 * A row of the copied index whose blob sha is not in the copy, decided
 * by the node's index: without the row (the same uniqueId and SHA-256)
 * the document was removed meanwhile (ITI-86 deletes the row before the
 * blob), and the row is deleted from the copy; with it, the blob is
 * copied if it is there now (stored again), else the row is kept and
 * reported: the blob is missing on the node.
 */
static int
settle_row(struct bk *b, sqlite3 *copy, sqlite3_stmt *has,
    sqlite3_stmt *del, const char *uid, const char *sha, const char *rel)
{
	char from[PATH_MAX];
	struct stat st;
	int r;

	if ((r = live_has(has, uid, sha)) < 0) {
		str_fmt(b->err, sizeof b->err, "%s/repository.db: %s", b->src,
		    sqlite3_errmsg(sqlite3_db_handle(has)));
		return -1;
	}
	if (r == 0) {
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, uid, -1, SQLITE_STATIC);
		r = sqlite3_step(del);
		sqlite3_reset(del);
		if (r != SQLITE_DONE) {
			str_fmt(b->err, sizeof b->err, "%s/repository.db: %s",
			    b->dst, sqlite3_errmsg(copy));
			return -1;
		}
		b->removed++;
		return 0;
	}
	/* another live row of the same bytes copied it already */
	if (blob_copied(b, sha, from, sizeof from))
		return 0;
	str_fmt(from, sizeof from, "%s/%s", b->src, rel);
	if (lstat(from, &st) == 0 && S_ISREG(st.st_mode) &&
	    make_parents(b->dst, rel, b->err, sizeof b->err) == 0) {
		if (backup_file(b, rel, &st) != 0)
			return -1;
		if (blob_copied(b, sha, from, sizeof from))
			return 0;
	}
	if (b->tty)
		fputc('\n', stderr);
	fprintf(stderr, "xdsctl: backup: warning: document %s: its file %s is "
	    "missing on the node (kept as missing; see xdsctl db check)\n",
	    uid, rel);
	b->missing++;
	return 0;
}

/* Every row of the copied index whose blob is not in the copy settled
 * (settle_row); the copy's file synced after a change. */
static int
settle_blobs(struct bk *b)
{
	char rel[PATH_MAX], copy_path[PATH_MAX], live_path[PATH_MAX], **uids;
	sqlite3 *copy = NULL, *live = NULL;
	sqlite3_stmt *rows = NULL, *has = NULL, *del = NULL;
	size_t i, j, n;
	int rc = -1, fd;

	str_fmt(copy_path, sizeof copy_path, "%s/repository.db", b->dst);
	str_fmt(live_path, sizeof live_path, "%s/repository.db", b->src);
	for (i = 0; i < b->nblobs; i++) {
		if (blob_copied(b, b->blobs[i], rel, sizeof rel))
			continue;
		if (copy == NULL) {
			/* The copy leaves the WAL: nothing beside it. */
			if (db_open(copy_path, DB_ONE_THREAD, BUSY_MS,
			    "PRAGMA journal_mode=DELETE;"
			    "PRAGMA secure_delete=ON;", &copy, b->err,
			    sizeof b->err) != 0 ||
			    db_open_readonly(live_path, BUSY_MS, &live, b->err,
			    sizeof b->err) != 0)
				goto out;
			if (sqlite3_prepare_v2(copy, "SELECT unique_id FROM "
			    "document WHERE sha256 = ?", -1, &rows, NULL) !=
			    SQLITE_OK || sqlite3_prepare_v2(copy, "DELETE FROM "
			    "document WHERE unique_id = ?", -1, &del, NULL) !=
			    SQLITE_OK) {
				str_fmt(b->err, sizeof b->err, "%s: %s",
				    copy_path, sqlite3_errmsg(copy));
				goto out;
			}
			if (sqlite3_prepare_v2(live, "SELECT 1 FROM document "
			    "WHERE unique_id = ? AND sha256 = ?", -1, &has,
			    NULL) != SQLITE_OK) {
				str_fmt(b->err, sizeof b->err, "%s: %s",
				    live_path, sqlite3_errmsg(live));
				goto out;
			}
		}
		if (rows_of(b, rows, b->blobs[i], &uids, &n) != 0) {
			if (b->err[0] == '\0')
				str_fmt(b->err, sizeof b->err, "%s: %s",
				    copy_path, sqlite3_errmsg(copy));
			goto out;
		}
		for (j = 0; j < n; j++)
			if (settle_row(b, copy, has, del, uids[j], b->blobs[i],
			    rel) != 0)
				break;
		free_list(uids, n);
		if (j < n)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(rows);
	sqlite3_finalize(del);
	sqlite3_finalize(has);
	sqlite3_close(live);
	if (copy != NULL && sqlite3_close(copy) != SQLITE_OK && rc == 0) {
		str_fmt(b->err, sizeof b->err, "%s: close failed", copy_path);
		rc = -1;
	}
	if (rc == 0 && copy != NULL) {
		if ((fd = open(copy_path, O_RDONLY | O_CLOEXEC)) == -1 ||
		    fsync(fd) != 0) {
			str_fmt(b->err, sizeof b->err, "%s: %s", copy_path,
			    strerror(errno));
			rc = -1;
		}
		if (fd != -1)
			close(fd);
	}
	return rc;
}

/* One database by SQLite's backup; hashed into the manifest at the end
 * (manifest_dbs), after the copy of the index lost the rows of blobs
 * removed meanwhile. */
static int
backup_db(struct bk *b, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX], **v;
	struct stat st;

	str_fmt(from, sizeof from, "%s/%s", b->src, name);
	str_fmt(to, sizeof to, "%s/%s", b->dst, name);
	if (stat(from, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		str_fmt(b->err, sizeof b->err, "%s: %s", from, strerror(errno));
		return -1;
	}
	if ((v = realloc(b->dbnames, (b->ndbs + 1) * sizeof *v)) == NULL) {
		str_fmt(b->err, sizeof b->err, "out of memory");
		return -1;
	}
	b->dbnames = v;
	if ((v[b->ndbs] = strdup(name)) == NULL) {
		str_fmt(b->err, sizeof b->err, "out of memory");
		return -1;
	}
	if (db_backup(from, to, BUSY_MS, b->err, sizeof b->err) != 0) {
		free(v[b->ndbs]);
		return -1;
	}
	b->ndbs++;
	chmod(to, 0600);
	b->dbs++;
	return 0;
}

/* Every copied database hashed into the manifest, in the copy order. */
static int
manifest_dbs(struct bk *b)
{
	char to[PATH_MAX], sha[65];
	struct stat st;
	size_t i;
	int fd, rc;

	for (i = 0; i < b->ndbs; i++) {
		str_fmt(to, sizeof to, "%s/%s", b->dst, b->dbnames[i]);
		if ((fd = open(to, O_RDONLY | O_CLOEXEC)) == -1 ||
		    fstat(fd, &st) != 0) {
			str_fmt(b->err, sizeof b->err, "%s: %s", to,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		rc = copy_fd(b, fd, -1, st.st_size, to, sha);
		close(fd);
		if (rc != 0 ||
		    manifest_add(b, sha, st.st_size, b->dbnames[i]) != 0)
			return -1;
	}
	return 0;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
backup_dbs(struct bk *b)
{
	char **names;
	size_t i, j, n;
	int rc = -1;

	for (i = 0; i < sizeof db_order / sizeof db_order[0]; i++)
		if (backup_db(b, db_order[i]) != 0)
			return -1;
	if (list_dir(b, "", &names, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!has_suffix(names[i], ".db"))
			continue;
		for (j = 0; j < sizeof db_order / sizeof db_order[0]; j++)
			if (strcmp(names[i], db_order[j]) == 0)
				break;
		if (j == sizeof db_order / sizeof db_order[0] &&
		    backup_db(b, names[i]) != 0)
			goto out;
	}
	rc = 0;
out:
	free_list(names, n);
	return rc;
}

/* DIR: made (0700) when absent; an existing one must be empty. */
static int
fresh_dir(const char *dir, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	int empty = 1;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty) {
		str_fmt(err, errlen, "%s: not empty", dir);
		return -1;
	}
	return 0;
}

static int
copy_config(struct bk *b, const char *cfile)
{
	char to[PATH_MAX], sha[65];
	struct stat st;
	int in, out, rc;

	str_fmt(to, sizeof to, "%s/xdsd.conf", b->dst);
	if ((in = open(cfile, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(in, &st) != 0) {
		str_fmt(b->err, sizeof b->err, "%s: %s", cfile, strerror(errno));
		if (in != -1)
			close(in);
		return -1;
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		str_fmt(b->err, sizeof b->err, "%s: %s", to, strerror(errno));
		close(in);
		return -1;
	}
	rc = copy_fd(b, in, out, st.st_size, cfile, sha);
	close(out);
	close(in);
	return rc;
}

static void
bk_free(struct bk *b)
{
	free(b->blobs);
	b->blobs = NULL;
	free_list(b->dbnames, b->ndbs);
	b->dbnames = NULL;
	b->ndbs = 0;
}

int
ctl_backup(struct ctl *ctl, int argc, char **argv)
{
	struct bk b;
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd;

	if (argc != 1) {
		fprintf(stderr, "usage: xdsctl backup DIR\n");
		return 2;
	}
	memset(&b, 0, sizeof b);
	b.src = ctl->conf.node_state_dir;
	b.dst = argv[0];
	b.verb = "backup";
	b.tty = isatty(STDERR_FILENO);
	if (access(b.src, R_OK | X_OK) != 0) {
		fprintf(stderr, "xdsctl: backup: node.state_dir %s: %s\n",
		    b.src, strerror(errno));
		return 1;
	}
	if (fresh_dir(b.dst, b.err, sizeof b.err) != 0)
		goto fail;
	str_fmt(tmp, sizeof tmp, "%s/" MANIFEST ".tmp", b.dst);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1 || (b.man = fdopen(fd, "w")) == NULL) {
		str_fmt(b.err, sizeof b.err, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fprintf(b.man, MANIFEST_HEAD "\n");
	if (backup_dbs(&b) != 0 || load_blobs(&b) != 0)
		goto fail;
	test_hold();
	if (backup_tree(&b, "") != 0 || settle_blobs(&b) != 0 ||
	    manifest_dbs(&b) != 0 ||
	    (ctl->cfile != NULL && copy_config(&b, ctl->cfile) != 0))
		goto fail;
	if (fflush(b.man) != 0 || fsync(fileno(b.man)) != 0 ||
	    fclose(b.man) != 0) {
		b.man = NULL;
		str_fmt(b.err, sizeof b.err, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	b.man = NULL;
	str_fmt(path, sizeof path, "%s/" MANIFEST, b.dst);
	if (rename(tmp, path) != 0) {
		str_fmt(b.err, sizeof b.err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (dir_sync(b.dst, b.err, sizeof b.err) != 0)
		goto fail;
	progress(&b, 1);
	bk_free(&b);
	if (ctl->json)
		printf("{\"backup\":\"%s\",\"databases\":%llu,\"files\":%llu,"
		    "\"bytes\":%llu,\"removed_meanwhile\":%llu,"
		    "\"missing\":%llu}\n", b.dst, b.dbs, b.files, b.bytes,
		    b.removed, b.missing);
	else {
		printf("backup of %s in %s: %llu databases, %llu files, %llu "
		    "bytes", b.src, b.dst, b.dbs, b.files, b.bytes);
		if (b.removed > 0)
			printf(", %llu documents removed during the backup "
			    "left out", b.removed);
		if (b.missing > 0)
			printf(", %llu documents missing on the node (warnings "
			    "above)", b.missing);
		printf("\n");
	}
	return 0;
fail:
	bk_free(&b);
	if (b.man != NULL)
		fclose(b.man);
	if (b.tty)
		fputc('\n', stderr);
	fprintf(stderr, "xdsctl: backup: %s (%s has no " MANIFEST ": it is "
	    "no backup)\n", b.err, b.dst);
	return 1;
}

/* ---- restore ---------------------------------------------------- */

/* A manifest path: relative, no empty, "." or ".." component. */
static int
safe_rel(const char *rel)
{
	const char *p = rel, *q;
	size_t n;

	if (*rel == '\0' || *rel == '/' || strlen(rel) >= PATH_MAX / 2)
		return 0;
	for (;;) {
		q = strchr(p, '/');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (q == NULL)
			return 1;
		p = q + 1;
	}
}

/* One manifest line: the file checked and copied into b->dst. */
static int
restore_file(struct bk *b, const char *line)
{
	char from[PATH_MAX], to[PATH_MAX], sha[65], want[65];
	const char *rel;
	long long size;
	struct stat st;
	int in = -1, out = -1, rc = -1;

	if (sscanf(line, "%64[0-9a-f] %lld", want, &size) != 2 ||
	    strlen(want) != 64 || size < 0 ||
	    (rel = strchr(line, ' ')) == NULL ||
	    (rel = strchr(rel + 1, ' ')) == NULL || !safe_rel(++rel)) {
		str_fmt(b->err, sizeof b->err, MANIFEST ": bad line \"%.80s\"",
		    line);
		return -1;
	}
	str_fmt(from, sizeof from, "%s/%s", b->src, rel);
	str_fmt(to, sizeof to, "%s/%s", b->dst, rel);
	if (make_parents(b->dst, rel, b->err, sizeof b->err) != 0)
		return -1;
	if ((in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(in, &st) != 0) {
		str_fmt(b->err, sizeof b->err, "%s: %s", from, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != size) {
		str_fmt(b->err, sizeof b->err, "%s: %lld bytes, the manifest "
		    "says %lld", from, (long long)st.st_size, size);
		goto out;
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    strncmp(rel, "documents/", 10) == 0 ? 0400 : 0600)) == -1) {
		str_fmt(b->err, sizeof b->err, "%s: %s", to, strerror(errno));
		goto out;
	}
	if (copy_fd(b, in, out, st.st_size, from, sha) != 0)
		goto out;
	if (strcmp(sha, want) != 0) {
		str_fmt(b->err, sizeof b->err, "%s: SHA-256 %s, the manifest "
		    "says %s", from, sha, want);
		goto out;
	}
	b->files++;
	rc = 0;
out:
	if (out != -1)
		close(out);
	if (in != -1)
		close(in);
	return rc;
}

static int
rm_tree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		str_fmt(sub, sizeof sub, "%s/%s", path, de->d_name);
		chmod(sub, 0700);
		rm_tree(sub);
	}
	closedir(d);
	return rmdir(path);
}

/* Every directory below root synced, the deepest first. */
static int
sync_tree(const char *root, char *err, size_t errlen)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(root)) == NULL) {
		str_fmt(err, errlen, "%s: %s", root, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		str_fmt(sub, sizeof sub, "%s/%s", root, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			rc = sync_tree(sub, err, errlen);
	}
	closedir(d);
	return rc == 0 ? dir_sync(root, err, errlen) : rc;
}

/* node.state_dir may be absent or an empty directory, and no node may
 * run on it. */
static int
target_free(const char *dir, int *exists, char *err, size_t errlen)
{
	struct stat st;

	*exists = 0;
	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	*exists = 1;
	if (!S_ISDIR(st.st_mode) || rmdir(dir) != 0) {
		str_fmt(err, errlen, "node.state_dir %s is not empty: restore "
		    "only into an absent or empty one", dir);
		return -1;
	}
	if (mkdir(dir, 0700) != 0) {	/* as it was, until the rename */
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
ctl_restore(struct ctl *ctl, int argc, char **argv)
{
	struct bk b;
	char path[PATH_MAX], tmp[PATH_MAX], line[LINE_MAX_BK], *parent;
	FILE *man = NULL;
	size_t n;
	int exists, made = 0;

	if (argc != 1) {
		fprintf(stderr, "usage: xdsctl restore DIR\n");
		return 2;
	}
	memset(&b, 0, sizeof b);
	b.src = argv[0];
	b.verb = "restore";
	b.tty = isatty(STDERR_FILENO);
	str_fmt(path, sizeof path, "%s/" MANIFEST, b.src);
	if ((man = fopen(path, "r")) == NULL) {
		str_fmt(b.err, sizeof b.err, "%s: %s (not a finished backup)",
		    path, strerror(errno));
		goto fail;
	}
	if (fgets(line, sizeof line, man) == NULL ||
	    strcmp(line, MANIFEST_HEAD "\n") != 0) {
		str_fmt(b.err, sizeof b.err, "%s: not a manifest of this "
		    "version (\"" MANIFEST_HEAD "\")", path);
		goto fail;
	}
	if (target_free(ctl->conf.node_state_dir, &exists, b.err,
	    sizeof b.err) != 0)
		goto fail;
	/* Beside the target, so that the rename stays in one file system. */
	if (str_fmt(tmp, sizeof tmp, "%s.restore", ctl->conf.node_state_dir) <
	    0 || mkdir(tmp, 0700) != 0) {
		str_fmt(b.err, sizeof b.err, "%s: %s%s", tmp, strerror(errno),
		    errno == EEXIST ? " (an earlier restore's: remove it)" :
		    "");
		goto fail;
	}
	made = 1;
	b.dst = tmp;
	while (fgets(line, sizeof line, man) != NULL) {
		if ((n = strlen(line)) == 0 || line[n - 1] != '\n') {
			str_fmt(b.err, sizeof b.err, "%s: a line too long or "
			    "cut", path);
			goto fail;
		}
		line[n - 1] = '\0';
		if (restore_file(&b, line) != 0)
			goto fail;
	}
	if (ferror(man)) {
		str_fmt(b.err, sizeof b.err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (sync_tree(tmp, b.err, sizeof b.err) != 0)
		goto fail;
	if ((exists && rmdir(ctl->conf.node_state_dir) != 0) ||
	    rename(tmp, ctl->conf.node_state_dir) != 0) {
		str_fmt(b.err, sizeof b.err, "%s: %s", ctl->conf.node_state_dir,
		    strerror(errno));
		goto fail;
	}
	made = 0;
	str_lcpy(path, ctl->conf.node_state_dir, sizeof path);
	parent = strrchr(path, '/');
	if (parent == path)
		parent[1] = '\0';
	else if (parent != NULL)
		*parent = '\0';
	else
		str_lcpy(path, ".", sizeof path);
	if (dir_sync(path, b.err, sizeof b.err) != 0)
		goto fail;
	fclose(man);
	progress(&b, 1);
	str_fmt(path, sizeof path, "%s/xdsd.conf", b.src);
	if (ctl->json)
		printf("{\"restored\":\"%s\",\"files\":%llu,\"bytes\":%llu}\n",
		    ctl->conf.node_state_dir, b.files, b.bytes);
	else
		printf("restored %llu files (%llu bytes) into %s%s%s\n", b.files,
		    b.bytes, ctl->conf.node_state_dir, access(path, R_OK) == 0 ?
		    "; the backed-up node's configuration is " : "",
		    access(path, R_OK) == 0 ? path : "");
	return 0;
fail:
	if (man != NULL)
		fclose(man);
	if (made)
		rm_tree(tmp);
	if (b.tty)
		fputc('\n', stderr);
	fprintf(stderr, "xdsctl: restore: %s; nothing restored\n", b.err);
	return 1;
}
