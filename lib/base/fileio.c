/*
 * fileio.c: durable file I/O (fileio.h): fsync of files and directories,
 * durable mkdir, mkdir -p, and the temporary-file commit with its group
 * commit of directory fsyncs.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "str.h"

#define DIRSYNC_SLOTS	32	/* directories with renames in flight */

struct dirsync_slot {
	char			 path[PATH_MAX];
	unsigned		 refs;		/* threads using the slot */
	unsigned long long	 renamed;	/* tickets handed out */
	unsigned long long	 synced;	/* covered by a good fsync */
	unsigned long long	 failed;	/* covered by a failed one */
	int			 syncing;	/* an fsync is running */
};

struct fileio_dirsync {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct dirsync_slot	 slot[DIRSYNC_SLOTS];
};

/* open path with flags, fsync, close: 0, or -1 with errno. */
static int
fsync_path(const char *path, int flags)
{
	int fd, rc, e;

	if ((fd = open(path, flags | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

enum xds_status
fileio_fsync(const char *path, char *err, size_t errlen)
{
	if (fsync_path(path, O_RDONLY) != 0) {
		str_fmt(err, errlen, "fsync %s: %s", path, strerror(errno));
		return XDS_EIO;
	}
	return XDS_OK;
}

enum xds_status
fileio_fsync_dir(const char *path, char *err, size_t errlen)
{
	if (fsync_path(path, O_RDONLY | O_DIRECTORY) != 0) {
		str_fmt(err, errlen, "fsync %s: %s", path, strerror(errno));
		return XDS_EIO;
	}
	return XDS_OK;
}

/* The directory that holds path ("." for a bare name) into out. */
static enum xds_status
parent_of(const char *path, char *out, size_t outsz, char *err,
    size_t errlen)
{
	size_t n;

	if (str_lcpy(out, path, outsz) >= outsz) {
		str_fmt(err, errlen, "%.64s...: path too long", path);
		return XDS_EINVAL;
	}
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')	/* "a/b/" names a/b */
		out[--n] = '\0';
	while (n > 0 && out[n - 1] != '/')
		n--;
	while (n > 1 && out[n - 1] == '/')
		n--;
	if (n == 0)
		str_lcpy(out, ".", outsz);
	else
		out[n] = '\0';
	return XDS_OK;
}

enum xds_status
fileio_mkdir(const char *path, mode_t mode, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	enum xds_status st;

	if ((st = parent_of(path, parent, sizeof parent, err, errlen)) !=
	    XDS_OK)
		return st;
	if (mkdir(path, mode) == 0)
		return fileio_fsync_dir(parent, err, errlen);
	if (errno == EEXIST)
		return XDS_OK;
	str_fmt(err, errlen, "mkdir %s: %s", path, strerror(errno));
	return XDS_EIO;
}

enum xds_status
fileio_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	char p[PATH_MAX];
	size_t i, len;

	if (path[0] == '\0') {
		str_fmt(err, errlen, "mkdir: empty path");
		return XDS_EINVAL;
	}
	if (str_lcpy(p, path, sizeof p) >= sizeof p) {
		str_fmt(err, errlen, "%.64s...: path too long", path);
		return XDS_EINVAL;
	}
	len = strlen(p);
	for (i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			str_fmt(err, errlen, "mkdir %s: %s", p,
			    strerror(errno));
			return XDS_EIO;
		}
		if (i < len)
			p[i] = '/';
	}
	return XDS_OK;
}

/* path to want (0700 or 0600) when it allows more; counted. */
static int
tighten(const char *path, const struct stat *st, mode_t want, int *n,
    char *err, size_t errlen)
{
	if ((st->st_mode & 07777) == want || (st->st_mode & 077) == 0)
		return XDS_OK;
	if (chmod(path, want) != 0) {
		str_fmt(err, errlen, "chmod %s: %s", path, strerror(errno));
		return XDS_EIO;
	}
	(*n)++;
	return XDS_OK;
}

enum xds_status
fileio_make_private(const char *dir, int *tightened, char *err,
    size_t errlen)
{
	char p[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	int rc = XDS_EIO;

	*tightened = 0;
	if (stat(dir, &st) != 0) {
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return XDS_EIO;
	}
	if (!S_ISDIR(st.st_mode)) {
		str_fmt(err, errlen, "%s: not a directory", dir);
		return XDS_EIO;
	}
	if (tighten(dir, &st, 0700, tightened, err, errlen) != XDS_OK)
		return XDS_EIO;
	if ((d = opendir(dir)) == NULL) {
		str_fmt(err, errlen, "%s: %s", dir, strerror(errno));
		return XDS_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (str_fmt(p, sizeof p, "%s/%s", dir, e->d_name) < 0 ||
		    lstat(p, &st) != 0)
			continue;	/* gone meanwhile, or a name too long */
		if ((S_ISDIR(st.st_mode) && tighten(p, &st, 0700, tightened,
		    err, errlen) != XDS_OK) || (S_ISREG(st.st_mode) &&
		    tighten(p, &st, 0600, tightened, err, errlen) != XDS_OK))
			goto out;
	}
	rc = XDS_OK;
out:
	closedir(d);
	return rc;
}

enum xds_status
fileio_dirsync_new(struct fileio_dirsync **out, char *err, size_t errlen)
{
	struct fileio_dirsync *ds;

	if ((*out = ds = calloc(1, sizeof *ds)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	pthread_mutex_init(&ds->mu, NULL);
	pthread_cond_init(&ds->cv, NULL);
	return XDS_OK;
}

void
fileio_dirsync_free(struct fileio_dirsync *ds)
{
	if (ds == NULL)
		return;
	pthread_cond_destroy(&ds->cv);
	pthread_mutex_destroy(&ds->mu);
	free(ds);
}

/* The slot of dir (taken, refs + 1), or NULL when all are busy. */
static struct dirsync_slot *
dirsync_slot(struct fileio_dirsync *ds, const char *dir)
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

/* Return once an fsync of dir that began after the caller's rename has
 * returned: 0, or -1 with errno. */
static int
dirsync_wait(struct fileio_dirsync *ds, const char *dir)
{
	struct dirsync_slot *sl;
	unsigned long long ticket, target;
	int rc, e = 0;

	pthread_mutex_lock(&ds->mu);
	if ((sl = dirsync_slot(ds, dir)) == NULL) {
		pthread_mutex_unlock(&ds->mu);
		return fsync_path(dir, O_RDONLY | O_DIRECTORY);
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
		rc = fsync_path(dir, O_RDONLY | O_DIRECTORY);
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

enum xds_status
fileio_commit(struct fileio_dirsync *ds, const char *tmp, const char *dst,
    char *err, size_t errlen)
{
	char dir[PATH_MAX];
	enum xds_status st;
	int rc;

	if ((st = parent_of(dst, dir, sizeof dir, err, errlen)) != XDS_OK ||
	    (st = fileio_fsync(tmp, err, errlen)) != XDS_OK)
		return st;
	if (rename(tmp, dst) != 0) {
		str_fmt(err, errlen, "rename %s to %s: %s", tmp, dst,
		    strerror(errno));
		return XDS_EIO;
	}
	rc = ds != NULL ? dirsync_wait(ds, dir) :
	    fsync_path(dir, O_RDONLY | O_DIRECTORY);
	if (rc != 0) {
		str_fmt(err, errlen, "fsync %s: %s", dir, strerror(errno));
		return XDS_EIO;
	}
	return XDS_OK;
}

enum xds_status
fileio_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t r;

	while (n > 0) {
		if ((r = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return XDS_EIO;
		}
		c += r;
		n -= (size_t)r;
	}
	return XDS_OK;
}

enum xds_status
fileio_read_each(int fd, void *buf, size_t bufsz, fileio_chunk_fn fn,
    void *arg, char *err, size_t errlen)
{
	ssize_t n;
	int rc;

	for (;;) {
		if ((n = read(fd, buf, bufsz)) < 0) {
			if (errno == EINTR)
				continue;
			str_fmt(err, errlen, "read: %s", strerror(errno));
			return XDS_EIO;
		}
		if (n == 0)
			return XDS_OK;
		if ((rc = fn(arg, buf, (size_t)n, err, errlen)) != XDS_OK)
			return rc;
	}
}

enum xds_status
fileio_read_file(const char *path, size_t max, char **out, size_t *len,
    char *err, size_t errlen)
{
	FILE *fp;
	struct buf b;
	char chunk[16384];
	size_t n;
	int st = XDS_OK;

	*out = NULL;
	*len = 0;
	if ((fp = fopen(path, "rbe")) == NULL) {
		str_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return XDS_EIO;
	}
	buf_init(&b, max);
	while (st == XDS_OK && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if ((st = buf_add(&b, chunk, n)) == XDS_ETOOBIG)
			str_fmt(err, errlen, "%s: larger than %zu bytes", path,
			    max);
		else if (st != XDS_OK)
			str_fmt(err, errlen, "%s: out of memory", path);
	if (st == XDS_OK && ferror(fp)) {
		str_fmt(err, errlen, "%s: read error", path);
		st = XDS_EIO;
	}
	fclose(fp);
	if (st == XDS_OK && (*out = buf_take(&b, len)) == NULL) {
		str_fmt(err, errlen, "%s: out of memory", path);
		st = XDS_ENOMEM;
	}
	buf_free(&b);
	return st;
}
