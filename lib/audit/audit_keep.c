/*
 * audit_keep.c: compression and retention of the access log's past days
 * (see audit_keep.h).
 *
 * Only days before the day the log may still append to are touched: the
 * log never writes into a day older than the newest it has opened
 * (audit_floor_day), and the pass stays below both that day and today.
 * Whether the sender is done with a day is read from its cursor file,
 * which it renames into place: a cursor past the day, or at the end of
 * it.  Without a cursor (none yet, or unreadable) nothing is touched.
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

#include <zlib.h>

#include "audit_chain.h"
#include "audit_int.h"
#include "audit_keep.h"
#include "audit_send.h"
#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "status.h"
#include "str.h"

#define KEEP_CHUNK		65536
#define KEEP_INTERVAL_MS	(3600 * 1000LL)
#define DAY_LEN			10	/* YYYY-MM-DD */

static struct {
	pthread_t		thr;
	pthread_mutex_t		mtx;
	pthread_cond_t		cv;
	int			running, stop;
	char			dir[1024];
	struct audit_keep_opts	opts;
} kp = { .mtx = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int
stopping(void)
{
	int s;

	pthread_mutex_lock(&kp.mtx);
	s = kp.stop;
	pthread_mutex_unlock(&kp.mtx);
	return s;
}

/* YYYY-MM-DD of t (UTC). */
static void
day_of(long long t, char day[DAY_LEN + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(day, DAY_LEN + 1, "%Y-%m-%d", &tm);
}

/* Remove the .gz.tmp files a pass cut short by a crash left behind. */
static void
remove_stale(const char *dir)
{
	char path[1200];
	struct dirent *de;
	size_t nl;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (strncmp(de->d_name, "access-", 7) != 0 || nl < 8 ||
		    strcmp(de->d_name + nl - 7, ".gz.tmp") != 0 ||
		    str_fmt(path, sizeof path, "%s/%s", dir, de->d_name) < 0)
			continue;
		if (unlink(path) == 0)
			log_info("audit: %s: an unfinished compression "
			    "removed", de->d_name);
	}
	closedir(d);
}

/*
 * 1 when the sender has sent the whole day file name (plain or
 * compressed); always 1 without a sender.  cur is its cursor's file
 * ("" when it has none) and off its offset.
 */
static int
sent(const char *dir, const char *name, const char *cur, long long off)
{
	char path[1200];
	struct stat st;
	int c;

	if (cur == NULL)
		return 1;
	if (cur[0] == '\0')
		return 0;
	c = strncmp(cur, name, 23);	/* access-YYYY-MM-DD.jsonl */
	if (c != 0)
		return c > 0;
	if (!audit_chain_is_log(name))
		return 0;	/* compressed, the sender in it: not passed */
	return str_fmt(path, sizeof path, "%s/%s", dir, name) > 0 &&
	    stat(path, &st) == 0 && off >= (long long)st.st_size;
}

/*
 * Compress the plain day file name in dir into name.gz, durably, then
 * remove the plain file.
 */
static int
compress_day(const char *dir, const char *name, char *err, size_t errlen)
{
	char src[1200], dst[1200], tmp[1200], *chunk = NULL;
	gzFile gz = NULL;
	ssize_t got;
	int in = -1, out = -1, zerr, rc = XDS_EIO;

	if (str_fmt(src, sizeof src, "%s/%s", dir, name) < 0 ||
	    str_fmt(dst, sizeof dst, "%s.gz", src) < 0 ||
	    str_fmt(tmp, sizeof tmp, "%s.gz.tmp", src) < 0) {
		str_fmt(err, errlen, "%s: path too long", name);
		return XDS_EINVAL;
	}
	if ((chunk = malloc(KEEP_CHUNK)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    (out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		str_fmt(err, errlen, "%s: %s", in == -1 ? src : tmp,
		    strerror(errno));
		goto fail;
	}
	if ((gz = gzdopen(out, "wb9")) == NULL) {
		str_fmt(err, errlen, "%s: cannot start compression", tmp);
		goto fail;
	}
	out = -1;	/* gz owns it */
	while ((got = read(in, chunk, KEEP_CHUNK)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			str_fmt(err, errlen, "read %s: %s", src,
			    strerror(errno));
			goto fail;
		}
		if (gzwrite(gz, chunk, (unsigned)got) != (int)got) {
			str_fmt(err, errlen, "write %s: %s", tmp,
			    gzerror(gz, &zerr));
			goto fail;
		}
	}
	zerr = gzclose(gz);
	gz = NULL;
	if (zerr != Z_OK) {
		str_fmt(err, errlen, "write %s: zlib error %d", tmp, zerr);
		goto fail;
	}
	/* fsync, rename, fsync of the directory: the .gz is durable before
	 * the plain file goes. */
	if ((rc = fileio_commit(NULL, tmp, dst, err, errlen)) != XDS_OK)
		goto fail;
	if (unlink(src) != 0) {
		str_fmt(err, errlen, "unlink %s: %s", src, strerror(errno));
		rc = XDS_EIO;
		goto out;	/* both stay: the plain file is the day */
	}
	rc = fileio_fsync_dir(dir, err, errlen);
	goto out;
fail:
	if (rc == XDS_OK)
		rc = XDS_EIO;
	(void)unlink(tmp);
out:
	if (gz != NULL)
		gzclose(gz);
	if (out != -1)
		close(out);
	if (in != -1)
		close(in);
	free(chunk);
	return rc;
}

/* Keep hex as where the chain begins, durably. */
static int
write_start(const char *dir, const char *hex, char *err, size_t errlen)
{
	char path[1200], tmp[1200], line[AUDIT_CHAIN_HEX + 1];
	int fd, rc;

	if (str_fmt(path, sizeof path, "%s/" AUDIT_CHAIN_START, dir) < 0 ||
	    str_fmt(tmp, sizeof tmp, "%s.tmp", path) < 0) {
		str_fmt(err, errlen, "%s: path too long", dir);
		return XDS_EINVAL;
	}
	str_fmt(line, sizeof line, "%s\n", hex);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		str_fmt(err, errlen, "%s: %s", tmp, strerror(errno));
		return XDS_EIO;
	}
	rc = fileio_write_all(fd, line, strlen(line));
	if (close(fd) != 0 || rc != XDS_OK) {
		str_fmt(err, errlen, "write %s: %s", tmp, strerror(errno));
		rc = XDS_EIO;
	} else
		rc = fileio_commit(NULL, tmp, path, err, errlen);
	if (rc != XDS_OK)
		(void)unlink(tmp);
	return rc;
}

/*
 * Remove the days names[0..n): first keep the hash of their last record
 * as where the chain begins, then unlink them, the oldest first, each in
 * both forms.
 */
static int
remove_days(const char *dir, char **names, size_t n, char *err,
    size_t errlen)
{
	char hex[AUDIT_CHAIN_HEX], path[1200];
	size_t i;
	int got = 0, rc;

	for (i = n; i > 0 && got == 0; i--)
		if ((got = audit_log_last(dir, names[i - 1], hex)) < 0) {
			str_fmt(err, errlen, "%s: the last record cannot be "
			    "read: %s", names[i - 1], strerror(errno));
			return XDS_EIO;
		}
	if (got == 1 && (rc = write_start(dir, hex, err, errlen)) != XDS_OK)
		return rc;
	for (i = 0; i < n; i++) {
		/* The plain form, then the compressed one: whichever is
		 * left after a crash is removed by the next pass. */
		if (str_fmt(path, sizeof path, "%s/%.23s", dir,
		    names[i]) < 0 || (unlink(path) != 0 && errno != ENOENT) ||
		    str_fmt(path, sizeof path, "%s/%.23s.gz", dir,
		    names[i]) < 0 || (unlink(path) != 0 && errno != ENOENT)) {
			str_fmt(err, errlen, "unlink %s: %s", path,
			    strerror(errno));
			return XDS_EIO;
		}
	}
	return fileio_fsync_dir(dir, err, errlen);
}

int
audit_keep_pass(const char *dir, long long now,
    const struct audit_keep_opts *o, struct audit_keep_result *res,
    char *err, size_t errlen)
{
	char limit[DAY_LEN + 1], floor[DAY_LEN + 1], cutoff[DAY_LEN + 1];
	char cpath[1200], cfile[64] = "", **names = NULL;
	const char *cur = NULL;
	unsigned long long seq;
	long long off = 0;
	size_t n = 0, i, old;
	int rc;

	memset(res, 0, sizeof *res);
	remove_stale(dir);
	day_of(now, limit);
	audit_floor_day(dir, floor, sizeof floor);
	if (floor[0] != '\0' && strcmp(floor, limit) < 0)
		str_lcpy(limit, floor, sizeof limit);
	cutoff[0] = '\0';
	if (o->retention_days > 0)
		day_of(now - (long long)o->retention_days * 86400, cutoff);
	if (o->atna) {
		cur = cfile;
		if (str_fmt(cpath, sizeof cpath, "%s/" AUDIT_SEND_CURSOR,
		    dir) < 0 || audit_send_cursor_read(cpath, cfile,
		    sizeof cfile, &off, &seq) != 0)
			cfile[0] = '\0';	/* nothing counts as sent */
	}
	if ((rc = audit_log_list(dir, &names, &n, err, errlen)) != XDS_OK)
		return rc;
	/* The days past retention: the oldest ones the sender is done
	 * with, up to the first it is not. */
	for (old = 0; old < n && strncmp(names[old] + 7, cutoff, DAY_LEN) < 0 &&
	    strncmp(names[old] + 7, limit, DAY_LEN) < 0 &&
	    sent(dir, names[old], cur, off); old++)
		;
	if (old > 0) {
		if ((rc = remove_days(dir, names, old, err, errlen)) != XDS_OK)
			goto out;
		res->removed = old;
		log_info("audit: %zu day%s of the access log removed after "
		    "audit.retention_days", old, old == 1 ? "" : "s");
	}
	for (i = old; i < n && !stopping(); i++) {
		if (!audit_chain_is_log(names[i]))
			continue;
		if (strncmp(names[i] + 7, limit, DAY_LEN) >= 0)
			break;
		if (!sent(dir, names[i], cur, off)) {
			res->unsent++;
			continue;
		}
		if ((rc = compress_day(dir, names[i], err, errlen)) != XDS_OK)
			goto out;
		res->compressed++;
	}
out:
	audit_log_free(names, n);
	return rc;
}

static void *
keeper(void *arg)
{
	struct audit_keep_result res;
	struct timespec ts;
	char err[512];

	(void)arg;
	pthread_mutex_lock(&kp.mtx);
	while (!kp.stop) {
		pthread_mutex_unlock(&kp.mtx);
		if (audit_keep_pass(kp.dir, clock_wall(), &kp.opts, &res, err,
		    sizeof err) != XDS_OK)
			log_warnx("audit: the access log's past days: %s", err);
		else if (res.compressed > 0)
			log_info("audit: %zu day%s of the access log "
			    "compressed", res.compressed,
			    res.compressed == 1 ? "" : "s");
		pthread_mutex_lock(&kp.mtx);
		if (kp.stop)
			break;
		clock_deadline_ts(CLOCK_REALTIME, KEEP_INTERVAL_MS, &ts);
		(void)pthread_cond_timedwait(&kp.cv, &kp.mtx, &ts);
	}
	pthread_mutex_unlock(&kp.mtx);
	return NULL;
}

int
audit_keep_start(const char *state_dir, const struct audit_keep_opts *o,
    char *err, size_t errlen)
{
	if (str_fmt(kp.dir, sizeof kp.dir, "%s/audit", state_dir) < 0) {
		str_fmt(err, errlen, "state_dir too long");
		return XDS_EINVAL;
	}
	kp.opts = *o;
	kp.stop = 0;
	if (pthread_create(&kp.thr, NULL, keeper, NULL) != 0) {
		str_fmt(err, errlen, "cannot start the access log's "
		    "compression thread");
		return XDS_EINTERNAL;
	}
	kp.running = 1;
	return XDS_OK;
}

void
audit_keep_stop(void)
{
	if (!kp.running)
		return;
	pthread_mutex_lock(&kp.mtx);
	kp.stop = 1;
	pthread_cond_signal(&kp.cv);
	pthread_mutex_unlock(&kp.mtx);
	pthread_join(kp.thr, NULL);
	kp.running = 0;
}
