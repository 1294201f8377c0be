/*
 * blobstore.c: the file-system back-end of blobstore.h.
 *
 * Layout under dir:  tmp/<random>  (staged, not yet named)
 *                    ab/cd/<sha256> (blobs, mode 0400: read-only, private)
 * Durability order: data fsync'd before the rename, the directory
 * fsync'd after it (and the parent after a new ab/ or ab/cd/).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "blobstore.h"
#include "fileio.h"
#include "log.h"
#include "str.h"

#define NLOCKS		64
#define IOBUF		(256 * 1024)
#define VERIFYBUF	(64 * 1024)	/* below malloc's mmap threshold: no
					   fresh pages to fault in per check */

struct blobstore {
	char		 dir[BLOB_PATH_MAX - 100];
	char		 tmpdir[BLOB_PATH_MAX - 80];
	pthread_mutex_t	 locks[NLOCKS];
};

struct blob_writer {
	struct blobstore *bs;
	int		 fd;
	char		 path[BLOB_PATH_MAX];
	off_t		 size, max;
	EVP_MD_CTX	*sha256, *sha1;
};

int
blobstore_name_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int
store_open(const char *dir, int create, struct blobstore **out, char *err,
    size_t errlen)
{
	struct blobstore *bs;
	struct stat sb;
	int i;

	*out = NULL;
	if ((bs = calloc(1, sizeof *bs)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if (str_lcpy(bs->dir, dir, sizeof bs->dir) >= sizeof bs->dir ||
	    str_fmt(bs->tmpdir, sizeof bs->tmpdir, "%s/tmp", dir) < 0) {
		str_fmt(err, errlen, "%s: path too long", dir);
		free(bs);
		return XDS_EINVAL;
	}
	errno = 0;
	if (!create && (stat(bs->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		str_fmt(err, errlen, "%s: %s", bs->dir, errno != 0 ?
		    strerror(errno) : "not a directory");
		free(bs);
		return errno == ENOENT ? XDS_ENOTFOUND : XDS_EIO;
	}
	if (create && ((mkdir(bs->dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(bs->tmpdir, 0700) != 0 && errno != EEXIST))) {
		str_fmt(err, errlen, "%s: %s", bs->tmpdir, strerror(errno));
		free(bs);
		return XDS_EIO;
	}
	for (i = 0; i < NLOCKS; i++)
		pthread_mutex_init(&bs->locks[i], NULL);
	*out = bs;
	return XDS_OK;
}

int
blobstore_open(const char *dir, struct blobstore **out, char *err,
    size_t errlen)
{
	return store_open(dir, 1, out, err, errlen);
}

int
blobstore_open_readonly(const char *dir, struct blobstore **out, char *err,
    size_t errlen)
{
	return store_open(dir, 0, out, err, errlen);
}

void
blobstore_close(struct blobstore *bs)
{
	int i;

	if (bs == NULL)
		return;
	for (i = 0; i < NLOCKS; i++)
		pthread_mutex_destroy(&bs->locks[i]);
	free(bs);
}

const char *
blobstore_dir(const struct blobstore *bs)
{
	return bs->dir;
}

static pthread_mutex_t *
stripe(struct blobstore *bs, const char *sha256)
{
	unsigned h = 0;
	size_t i;

	for (i = 0; sha256[i] != '\0' && i < 8; i++)
		h = h * 31 + (unsigned char)sha256[i];
	return &bs->locks[h % NLOCKS];
}

void
blobstore_lock(struct blobstore *bs, const char *sha256)
{
	pthread_mutex_lock(stripe(bs, sha256));
}

void
blobstore_unlock(struct blobstore *bs, const char *sha256)
{
	pthread_mutex_unlock(stripe(bs, sha256));
}

int
blobstore_path(const struct blobstore *bs, const char *sha256, char *out,
    size_t outsz)
{
	if (!blobstore_name_ok(sha256))
		return XDS_EINVAL;
	if (str_fmt(out, outsz, "%s/%.2s/%.2s/%s", bs->dir, sha256,
	    sha256 + 2, sha256) < 0)
		return XDS_EINVAL;
	return XDS_OK;
}

/* A fresh name in tmp/. */
static int
tmp_name(const struct blobstore *bs, char *out, size_t outsz)
{
	unsigned char r[12];
	char hex[25];

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	str_hex(r, sizeof r, hex);
	return str_fmt(out, outsz, "%s/%s", bs->tmpdir, hex) < 0 ? -1 : 0;
}

static int
digests_new(EVP_MD_CTX **s256, EVP_MD_CTX **s1)
{
	*s256 = EVP_MD_CTX_new();
	*s1 = EVP_MD_CTX_new();
	if (*s256 == NULL || *s1 == NULL ||
	    EVP_DigestInit_ex(*s256, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(*s1, EVP_sha1(), NULL) != 1) {
		EVP_MD_CTX_free(*s256);
		EVP_MD_CTX_free(*s1);
		*s256 = *s1 = NULL;
		return -1;
	}
	return 0;
}

static int
digests_final(EVP_MD_CTX *s256, EVP_MD_CTX *s1, struct blob_info *bi)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	if (EVP_DigestFinal_ex(s256, md, &mdlen) != 1 || mdlen != 32)
		return -1;
	str_hex(md, mdlen, bi->sha256);
	if (EVP_DigestFinal_ex(s1, md, &mdlen) != 1 || mdlen != 20)
		return -1;
	str_hex(md, mdlen, bi->sha1);
	return 0;
}

/* ---- streaming writer ---- */

int
blobstore_writer_new(struct blobstore *bs, off_t max_size,
    struct blob_writer **out, char *err, size_t errlen)
{
	struct blob_writer *w;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	w->bs = bs;
	w->max = max_size;
	w->fd = -1;
	if (digests_new(&w->sha256, &w->sha1) != 0) {
		free(w);
		str_fmt(err, errlen, "digest init failed");
		return XDS_ENOMEM;
	}
	if (tmp_name(bs, w->path, sizeof w->path) != 0 ||
	    (w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		str_fmt(err, errlen, "%s: %s", bs->tmpdir, strerror(errno));
		EVP_MD_CTX_free(w->sha256);
		EVP_MD_CTX_free(w->sha1);
		free(w);
		return XDS_EIO;
	}
	*out = w;
	return XDS_OK;
}

int
blob_writer_write(struct blob_writer *w, const void *p, size_t n, char *err,
    size_t errlen)
{
	if (w->max > 0 && (off_t)n > w->max - w->size) {
		str_fmt(err, errlen, "document larger than %lld bytes",
		    (long long)w->max);
		return XDS_ETOOBIG;
	}
	if (EVP_DigestUpdate(w->sha256, p, n) != 1 ||
	    EVP_DigestUpdate(w->sha1, p, n) != 1) {
		str_fmt(err, errlen, "digest update failed");
		return XDS_ENOMEM;
	}
	if (fileio_write_all(w->fd, p, n) != XDS_OK) {
		str_fmt(err, errlen, "%s: %s", w->path, strerror(errno));
		return XDS_EIO;
	}
	w->size += (off_t)n;
	return XDS_OK;
}

static void
writer_free(struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	EVP_MD_CTX_free(w->sha256);
	EVP_MD_CTX_free(w->sha1);
	free(w);
}

void
blob_writer_abort(struct blob_writer *w)
{
	if (w == NULL)
		return;
	(void)unlink(w->path);
	writer_free(w);
}

int
blob_writer_finish(struct blob_writer *w, struct blob_staged *out, char *err,
    size_t errlen)
{
	int rc = XDS_EIO;

	memset(out, 0, sizeof *out);
	if (fsync(w->fd) != 0 || close(w->fd) != 0) {
		w->fd = -1;
		str_fmt(err, errlen, "%s: %s", w->path, strerror(errno));
		goto fail;
	}
	w->fd = -1;
	if (digests_final(w->sha256, w->sha1, &out->info) != 0) {
		str_fmt(err, errlen, "digest final failed");
		rc = XDS_ENOMEM;
		goto fail;
	}
	out->info.size = w->size;
	str_lcpy(out->tmp, w->path, sizeof out->tmp);
	writer_free(w);
	return XDS_OK;
fail:
	blob_writer_abort(w);
	return rc;
}

/* ---- staging a file ---- */

struct hashing {
	EVP_MD_CTX	*s256, *s1;
	off_t		 max;
	struct blob_info *bi;
};

static int
hash_chunk(void *arg, const void *p, size_t n, char *err, size_t errlen)
{
	struct hashing *h = arg;

	h->bi->size += (off_t)n;
	if (h->max > 0 && h->bi->size > h->max) {
		str_fmt(err, errlen, "document larger than %lld bytes",
		    (long long)h->max);
		return XDS_ETOOBIG;
	}
	if (EVP_DigestUpdate(h->s256, p, n) != 1 ||
	    EVP_DigestUpdate(h->s1, p, n) != 1) {
		str_fmt(err, errlen, "digest update failed");
		return XDS_ENOMEM;
	}
	return XDS_OK;
}

/* Hash fd from its start; bounded by max (0: none). */
static int
hash_fd(int fd, off_t max, struct blob_info *bi, char *err, size_t errlen)
{
	struct hashing h = { NULL, NULL, max, bi };
	char *b = NULL;
	int rc = XDS_ENOMEM;

	bi->size = 0;
	if ((b = malloc(IOBUF)) == NULL || digests_new(&h.s256, &h.s1) != 0) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = fileio_read_each(fd, b, IOBUF, hash_chunk, &h, err,
	    errlen)) != XDS_OK)
		goto out;
	rc = XDS_ENOMEM;
	if (digests_final(h.s256, h.s1, bi) != 0) {
		str_fmt(err, errlen, "digest final failed");
		goto out;
	}
	rc = XDS_OK;
out:
	EVP_MD_CTX_free(h.s256);
	EVP_MD_CTX_free(h.s1);
	free(b);
	return rc;
}

static int
copy_chunk(void *arg, const void *p, size_t n, char *err, size_t errlen)
{
	return blob_writer_write(arg, p, n, err, errlen);
}

/* Copy src into a writer (other file system). */
static int
stage_copy(struct blobstore *bs, int fd, off_t max, struct blob_staged *out,
    char *err, size_t errlen)
{
	struct blob_writer *w;
	char *b;
	int rc;

	if (lseek(fd, 0, SEEK_SET) != 0) {
		str_fmt(err, errlen, "lseek: %s", strerror(errno));
		return XDS_EIO;
	}
	if ((b = malloc(IOBUF)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if ((rc = blobstore_writer_new(bs, max, &w, err, errlen)) != XDS_OK) {
		free(b);
		return rc;
	}
	if ((rc = fileio_read_each(fd, b, IOBUF, copy_chunk, w, err,
	    errlen)) != XDS_OK)
		goto fail;
	free(b);
	return blob_writer_finish(w, out, err, errlen);
fail:
	free(b);
	blob_writer_abort(w);
	return rc;
}

/* The size and hashes the caller computed while writing fd, checked
 * for form and against the file's size. */
static int
take_known(int fd, const struct blob_info *known, off_t max,
    struct blob_info *bi, char *err, size_t errlen)
{
	struct stat sb;

	if (!blobstore_name_ok(known->sha256) || strlen(known->sha1) != 40 ||
	    strspn(known->sha1, "0123456789abcdef") != 40) {
		str_fmt(err, errlen, "staged hashes are not lower-case hex");
		return XDS_EINVAL;
	}
	if (fstat(fd, &sb) != 0) {
		str_fmt(err, errlen, "fstat: %s", strerror(errno));
		return XDS_EIO;
	}
	if (sb.st_size != known->size) {
		str_fmt(err, errlen, "file holds %lld bytes, %lld hashed",
		    (long long)sb.st_size, (long long)known->size);
		return XDS_EIO;
	}
	if (max > 0 && known->size > max) {
		str_fmt(err, errlen, "document larger than %lld bytes",
		    (long long)max);
		return XDS_ETOOBIG;
	}
	*bi = *known;
	return XDS_OK;
}

/* Stage src; its hashes from known (no read) or computed here. */
static int
stage(struct blobstore *bs, const char *src, const struct blob_info *known,
    off_t max_size, struct blob_staged *out, char *err, size_t errlen)
{
	int fd, rc;

	memset(out, 0, sizeof *out);
	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		str_fmt(err, errlen, "%s: %s", src, strerror(errno));
		return XDS_EIO;
	}
	if (known != NULL)
		rc = take_known(fd, known, max_size, &out->info, err, errlen);
	else
		rc = hash_fd(fd, max_size, &out->info, err, errlen);
	if (rc != XDS_OK)
		goto out;
	/* Same file system: a second name for the same inode, no copy.
	 * The spool file is never written again once handed to us. */
	if (tmp_name(bs, out->tmp, sizeof out->tmp) != 0) {
		str_fmt(err, errlen, "random name failed");
		rc = XDS_EIO;
		goto out;
	}
	if (link(src, out->tmp) == 0) {
		if (fsync(fd) != 0) {
			str_fmt(err, errlen, "fsync %s: %s", src,
			    strerror(errno));
			(void)unlink(out->tmp);
			rc = XDS_EIO;
			goto out;
		}
		rc = XDS_OK;
		goto out;
	}
	if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
		str_fmt(err, errlen, "link %s: %s", src, strerror(errno));
		rc = XDS_EIO;
		goto out;
	}
	rc = stage_copy(bs, fd, max_size, out, err, errlen);
out:
	if (rc != XDS_OK)
		out->tmp[0] = '\0';
	close(fd);
	return rc;
}

int
blobstore_stage_file(struct blobstore *bs, const char *src, off_t max_size,
    struct blob_staged *out, char *err, size_t errlen)
{
	return stage(bs, src, NULL, max_size, out, err, errlen);
}

int
blobstore_stage_hashed(struct blobstore *bs, const char *src,
    const struct blob_info *known, off_t max_size, struct blob_staged *out,
    char *err, size_t errlen)
{
	return stage(bs, src, known, max_size, out, err, errlen);
}

void
blobstore_discard(struct blobstore *bs, struct blob_staged *st)
{
	(void)bs;
	if (st->tmp[0] != '\0')
		(void)unlink(st->tmp);
	st->tmp[0] = '\0';
}

int
blobstore_commit(struct blobstore *bs, struct blob_staged *st, char *err,
    size_t errlen)
{
	char d1[BLOB_PATH_MAX], d2[BLOB_PATH_MAX], path[BLOB_PATH_MAX];
	const char *h = st->info.sha256;

	if (st->tmp[0] == '\0' || !blobstore_name_ok(h)) {
		str_fmt(err, errlen, "nothing staged");
		return XDS_EINVAL;
	}
	if (str_fmt(d1, sizeof d1, "%s/%.2s", bs->dir, h) < 0 ||
	    str_fmt(d2, sizeof d2, "%s/%.2s/%.2s", bs->dir, h, h + 2) < 0 ||
	    blobstore_path(bs, h, path, sizeof path) != XDS_OK) {
		str_fmt(err, errlen, "path too long");
		goto fail;
	}
	if (fileio_mkdir(d1, 0700, err, errlen) != XDS_OK ||
	    fileio_mkdir(d2, 0700, err, errlen) != XDS_OK)
		goto fail;
	(void)chmod(st->tmp, 0400);
	/* Existing blob: same bytes by construction; keep the old inode (a
	 * reader may have it open) and drop ours. */
	if (access(path, F_OK) == 0)
		(void)unlink(st->tmp);
	else if (rename(st->tmp, path) != 0) {
		str_fmt(err, errlen, "rename to %s: %s", path, strerror(errno));
		goto fail;
	}
	st->tmp[0] = '\0';
	/* Also when the blob existed: its rename may not be durable yet. */
	if (fileio_fsync_dir(d2, err, errlen) != XDS_OK)
		return XDS_EIO;
	return XDS_OK;
fail:
	blobstore_discard(bs, st);
	return XDS_EIO;
}

int
blobstore_put_file(struct blobstore *bs, const char *src, off_t max_size,
    struct blob_info *out, char *err, size_t errlen)
{
	struct blob_staged st;
	int rc;

	if ((rc = blobstore_stage_file(bs, src, max_size, &st, err, errlen)) !=
	    XDS_OK)
		return rc;
	*out = st.info;
	return blobstore_commit(bs, &st, err, errlen);
}

/* ---- get / exists / delete ---- */

int
blobstore_exists(const struct blobstore *bs, const char *sha256)
{
	char path[BLOB_PATH_MAX];

	if (blobstore_path(bs, sha256, path, sizeof path) != XDS_OK)
		return XDS_EINVAL;
	return access(path, F_OK) == 0;
}

int
blobstore_get(const struct blobstore *bs, const char *sha256, int *fd,
    off_t *size, char *err, size_t errlen)
{
	char path[BLOB_PATH_MAX];
	struct stat sb;

	*fd = -1;
	if (blobstore_path(bs, sha256, path, sizeof path) != XDS_OK) {
		str_fmt(err, errlen, "not a blob name");
		return XDS_EINVAL;
	}
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? XDS_ENOTFOUND : XDS_EIO;
	}
	if (fstat(*fd, &sb) != 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		close(*fd);
		*fd = -1;
		return XDS_EIO;
	}
	*size = sb.st_size;
	return XDS_OK;
}

static int
sha256_chunk(void *arg, const void *p, size_t n, char *err, size_t errlen)
{
	if (EVP_DigestUpdate(arg, p, n) != 1) {
		str_fmt(err, errlen, "digest update failed");
		return XDS_ENOMEM;
	}
	return XDS_OK;
}

int
blobstore_verify(const struct blobstore *bs, const char *sha256, off_t size,
    char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char hex[BLOB_SHA256_HEX];
	EVP_MD_CTX *ctx = NULL;
	char *b = NULL;
	off_t have;
	int fd, rc;

	if ((rc = blobstore_get(bs, sha256, &fd, &have, err, errlen)) !=
	    XDS_OK)
		return rc;
	if (have != size) {
		str_fmt(err, errlen, "holds %lld bytes, %lld recorded",
		    (long long)have, (long long)size);
		rc = BLOB_DAMAGED;
		goto out;
	}
	rc = XDS_ENOMEM;
	/* read(2), not mmap: a blob truncated meanwhile must be an error,
	 * not a SIGBUS */
	if ((b = malloc(VERIFYBUF)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = fileio_read_each(fd, b, VERIFYBUF, sha256_chunk, ctx, err,
	    errlen)) != XDS_OK)
		goto out;
	rc = XDS_EINTERNAL;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		str_fmt(err, errlen, "digest final failed");
		goto out;
	}
	str_hex(md, mdlen, hex);
	rc = XDS_OK;
	if (strcmp(hex, sha256) != 0) {
		str_fmt(err, errlen, "bytes do not match their SHA-256");
		rc = BLOB_DAMAGED;
	}
out:
	EVP_MD_CTX_free(ctx);
	free(b);
	close(fd);
	return rc;
}

int
blobstore_delete(struct blobstore *bs, const char *sha256, char *err,
    size_t errlen)
{
	char path[BLOB_PATH_MAX], d2[BLOB_PATH_MAX];

	if (blobstore_path(bs, sha256, path, sizeof path) != XDS_OK ||
	    str_fmt(d2, sizeof d2, "%s/%.2s/%.2s", bs->dir, sha256,
	    sha256 + 2) < 0) {
		str_fmt(err, errlen, "not a blob name");
		return XDS_EINVAL;
	}
	if (unlink(path) != 0) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? XDS_ENOTFOUND : XDS_EIO;
	}
	if (fileio_fsync_dir(d2, err, errlen) != XDS_OK)
		return XDS_EIO;
	return XDS_OK;
}

/* ---- sweep ---- */

static int
is_hex2(const char *s)
{
	return strlen(s) == 2 &&
	    ((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f')) &&
	    ((s[1] >= '0' && s[1] <= '9') || (s[1] >= 'a' && s[1] <= 'f'));
}

static int
old_enough(const char *path, time_t cutoff)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_mtime <= cutoff;
}

static int
sweep_tmp(struct blobstore *bs, time_t cutoff, size_t *removed)
{
	char path[BLOB_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(bs->tmpdir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (str_fmt(path, sizeof path, "%s/%s", bs->tmpdir,
		    de->d_name) < 0)
			continue;
		if (old_enough(path, cutoff) && unlink(path) == 0)
			(*removed)++;
	}
	closedir(d);
	return 0;
}

/* One ab/cd directory. */
static int
sweep_leaf(struct blobstore *bs, const char *dir, time_t cutoff,
    blob_keep_fn keep, void *arg, size_t *removed, char *err, size_t errlen)
{
	char path[BLOB_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int k, n = 0, rc = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!blobstore_name_ok(de->d_name))
			continue;
		if (str_fmt(path, sizeof path, "%s/%s", dir, de->d_name) < 0 ||
		    !old_enough(path, cutoff))
			continue;
		blobstore_lock(bs, de->d_name);
		if ((k = keep(arg, de->d_name)) < 0) {
			blobstore_unlock(bs, de->d_name);
			str_fmt(err, errlen, "sweep: reference check failed "
			    "for %.16s...", de->d_name);
			rc = -1;
			break;
		}
		if (k == 0 && unlink(path) == 0) {
			(*removed)++;
			n++;
		}
		blobstore_unlock(bs, de->d_name);
	}
	closedir(d);
	if (n > 0 && fileio_fsync_dir(dir, err, errlen) != XDS_OK)
		rc = -1;
	return rc;
}

int
blobstore_sweep(struct blobstore *bs, time_t grace, blob_keep_fn keep,
    void *arg, size_t *removed, char *err, size_t errlen)
{
	char p1[BLOB_PATH_MAX], p2[BLOB_PATH_MAX];
	struct dirent *e1, *e2;
	DIR *d1 = NULL, *d2;
	time_t cutoff = time(NULL) - grace;
	int rc = XDS_EIO;

	*removed = 0;
	if (sweep_tmp(bs, cutoff, removed) != 0 ||
	    (d1 = opendir(bs->dir)) == NULL) {
		str_fmt(err, errlen, "%s: %s", bs->dir, strerror(errno));
		goto out;
	}
	while ((e1 = readdir(d1)) != NULL) {
		if (!is_hex2(e1->d_name) ||
		    str_fmt(p1, sizeof p1, "%s/%s", bs->dir, e1->d_name) < 0 ||
		    (d2 = opendir(p1)) == NULL)
			continue;
		while ((e2 = readdir(d2)) != NULL) {
			if (!is_hex2(e2->d_name) || str_fmt(p2, sizeof p2,
			    "%s/%s", p1, e2->d_name) < 0)
				continue;
			if (sweep_leaf(bs, p2, cutoff, keep, arg, removed,
			    err, errlen) != 0) {
				closedir(d2);
				goto out;
			}
		}
		closedir(d2);
	}
	rc = XDS_OK;
out:
	if (d1 != NULL)
		closedir(d1);
	return rc;
}
