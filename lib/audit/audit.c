/*
 * audit.c: the NEN 7513 access log (see audit.h).
 *
 * Appends are serialised by one mutex; one record is one write(2) of a
 * whole line with O_APPEND.  Durability by group commit: one writer at a
 * time runs fdatasync() outside the mutex for everything appended so far,
 * and the others wait on a list of pending records that the syncing
 * writer settles, all as written when the sync succeeded, all as failed
 * when it did not.  A short write is cut off at once (ftruncate to the
 * offset the record started at); a failed sync cuts everything past the
 * last good sync, because none of those records may be relied on, and
 * the transactions they describe are refused by their callers.  When a
 * cut itself fails the file is closed, and the next open cuts the torn
 * tail.  Each record is linked to the one before it (audit_chain.h) under
 * the mutex, in the order of the file; after every cut and at every open
 * the chain's head is read back from the disk, so it is always the last
 * whole record there.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "audit_chain.h"
#include "audit_int.h"
#include "audit_send.h"
#include "buf.h"
#include "clock.h"
#include "log.h"
#include "status.h"
#include "str.h"
#include "xact.h"

#define AUDIT_RECORD_MAX	8192
#define AUDIT_TAIL_CHUNK	4096

struct pending {
	off_t		 end;		/* file offset just past the record */
	int		 done;
	int		 ok;
	struct pending	*next;
};

static pthread_mutex_t audit_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t audit_cv = PTHREAD_COND_INITIALIZER;
static char audit_dir[1024];
static long long audit_min_free;
static char audit_day[16];	/* YYYY-MM-DD of the open file */
static char audit_floor[16];	/* no record goes into a day before it */
static int audit_fd = -1;
static off_t audit_len;		/* bytes in the open file */
static off_t audit_synced;	/* of which known to be on disk */
static int audit_syncing;
static struct pending *audit_waiting;
static char audit_head[AUDIT_CHAIN_HEX];	/* hash of the last record */

static atomic_ullong audit_n_written, audit_n_failed, audit_n_torn;

static const char *
outcome_name(enum xact_outcome o)
{
	switch (o) {
	case XACT_SUCCESS:	return "success";
	case XACT_PARTIAL:	return "partial";
	case XACT_FAILURE:	return "failure";
	case XACT_FAULT:	return "fault";
	}
	return "fault";
}

/* ATNA EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious. */
static int
outcome_code(enum xact_outcome o)
{
	return o == XACT_SUCCESS ? 0 : o == XACT_PARTIAL ? 4 : 8;
}

/*
 * Cut a torn last line from fd (one not ending in a newline): a record
 * cut short by a crash or a full disk.  Returns the bytes cut, or -1.
 */
static off_t
cut_torn_tail(int fd, const char *name)
{
	char chunk[AUDIT_TAIL_CHUNK];
	struct stat st;
	off_t end, pos;
	ssize_t n, i;

	if (fstat(fd, &st) == -1)
		return -1;
	end = st.st_size;
	if (end == 0)
		return 0;
	if (pread(fd, chunk, 1, end - 1) != 1)
		return -1;
	if (chunk[0] == '\n')
		return 0;
	for (pos = end; pos > 0; ) {
		n = pos >= (off_t)sizeof chunk ? (ssize_t)sizeof chunk :
		    (ssize_t)pos;
		pos -= n;
		if (pread(fd, chunk, (size_t)n, pos) != n)
			return -1;
		for (i = n - 1; i >= 0; i--)
			if (chunk[i] == '\n')
				goto found;
	}
	i = -1;
	pos = 0;
found:
	pos += i + 1;
	if (ftruncate(fd, pos) == -1 || fdatasync(fd) == -1)
		return -1;
	log_warnx("audit: %s: %lld bytes of a torn record cut from its end",
	    name, (long long)(end - pos));
	atomic_fetch_add(&audit_n_torn, 1);
	return end - pos;
}

/* Cut the torn tails of every access log in the directory. */
static int
cut_all_tails(char *err, size_t errlen)
{
	char path[1200];
	struct dirent *de;
	DIR *d;
	int fd, rc = XDS_OK;

	if ((d = opendir(audit_dir)) == NULL) {
		str_fmt(err, errlen, "%s: %s", audit_dir, strerror(errno));
		return XDS_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);

		if (strncmp(de->d_name, "access-", 7) != 0 || nl < 13 ||
		    strcmp(de->d_name + nl - 6, ".jsonl") != 0 ||
		    str_fmt(path, sizeof path, "%s/%s", audit_dir,
		    de->d_name) < 0)
			continue;
		if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
		    cut_torn_tail(fd, de->d_name) < 0) {
			str_fmt(err, errlen, "%s: cannot cut a torn record: %s",
			    path, strerror(errno));
			rc = XDS_EIO;
		}
		if (fd != -1)
			close(fd);
		if (rc != XDS_OK)
			break;
	}
	closedir(d);
	return rc;
}

int
audit_open(const char *state_dir, long long min_free, char *err,
    size_t errlen)
{
	char **names = NULL;
	struct tm tm;
	size_t n = 0;
	time_t tt;
	int rc;

	if (str_fmt(audit_dir, sizeof audit_dir, "%s/audit", state_dir) < 0) {
		str_fmt(err, errlen, "state_dir too long");
		audit_dir[0] = '\0';
		return XDS_EINVAL;
	}
	if (mkdir(audit_dir, 0700) != 0 && errno != EEXIST) {
		str_fmt(err, errlen, "%s: %s", audit_dir, strerror(errno));
		audit_dir[0] = '\0';
		return XDS_EIO;
	}
	audit_min_free = min_free;
	if ((rc = cut_all_tails(err, errlen)) != XDS_OK)
		return rc;
	if ((rc = audit_log_list(audit_dir, &names, &n, err, errlen)) !=
	    XDS_OK)
		return rc;
	/* Records from now on are of today or later; and never of a day
	 * before the newest there (a clock set back). */
	tt = (time_t)clock_wall();
	gmtime_r(&tt, &tm);
	pthread_mutex_lock(&audit_mtx);
	strftime(audit_floor, sizeof audit_floor, "%Y-%m-%d", &tm);
	if (n > 0 && strncmp(names[n - 1] + 7, audit_floor, 10) > 0)
		str_fmt(audit_floor, sizeof audit_floor, "%.10s",
		    names[n - 1] + 7);
	pthread_mutex_unlock(&audit_mtx);
	audit_log_free(names, n);
	return XDS_OK;
}

/* Settle every pending record: the sync covering it succeeded or not. */
static void
settle(off_t synced_to, int failed)
{
	struct pending **pp = &audit_waiting, *p;

	while ((p = *pp) != NULL) {
		if (failed || p->end <= synced_to) {
			p->done = 1;
			p->ok = !failed;
			*pp = p->next;
		} else
			pp = &p->next;
	}
	pthread_cond_broadcast(&audit_cv);
}

/*
 * The chain's head from the disk: the last record of the open file, or
 * when it has none the last record of the files before it.  -1 when it
 * cannot be read (then no record may be linked).
 */
static int
head_reload(void)
{
	char err[256];
	int got;

	if ((got = audit_chain_last(audit_fd, audit_head)) == 1)
		return 0;
	if (got == 0 && audit_chain_head(audit_dir, audit_head, err,
	    sizeof err) == XDS_OK)
		return 0;
	if (got == 0)
		log_warnx("audit: the chain's head: %s", err);
	else
		log_warn("audit: the chain's head");
	return -1;
}

/*
 * After a failed sync: nothing past audit_synced may be relied on, so
 * cut it; when that fails, close the file (the next open cuts its torn
 * tail, if any).  Called with the mutex held and no sync running.
 */
static void
cut_unsynced(void)
{
	if (audit_fd == -1)
		return;
	if (ftruncate(audit_fd, audit_synced) == 0 && head_reload() == 0) {
		audit_len = audit_synced;
		return;
	}
	log_warn("audit: cannot cut records that are not on disk");
	close(audit_fd);
	audit_fd = -1;
	audit_day[0] = '\0';
}

static void
close_file(void)
{
	int ok;

	if (audit_fd == -1)
		return;
	/* Yesterday's file is synced before it is closed (no sync can be
	 * running: the waiting below is for it to end). */
	while (audit_syncing)
		pthread_cond_wait(&audit_cv, &audit_mtx);
	ok = audit_synced == audit_len || fdatasync(audit_fd) == 0;
	if (ok)
		audit_synced = audit_len;
	else {
		log_warn("audit: fdatasync");
		cut_unsynced();
	}
	settle(audit_synced, !ok);
	if (audit_fd != -1)
		close(audit_fd);
	audit_fd = -1;
	audit_day[0] = '\0';
}

static int
open_file(const char *day)
{
	char path[1200], name[64];
	struct stat st;

	if (audit_fd != -1 && strcmp(day, audit_day) == 0)
		return 0;
	close_file();
	if (str_fmt(name, sizeof name, "access-%s.jsonl", day) < 0 ||
	    str_fmt(path, sizeof path, "%s/%s", audit_dir, name) < 0)
		return -1;
	audit_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (audit_fd == -1) {
		log_warn("audit: %s", path);
		return -1;
	}
	if (cut_torn_tail(audit_fd, name) < 0 || fstat(audit_fd, &st) == -1 ||
	    head_reload() != 0) {
		log_warn("audit: %s", path);
		close(audit_fd);
		audit_fd = -1;
		return -1;
	}
	audit_len = audit_synced = st.st_size;
	str_lcpy(audit_day, day, sizeof audit_day);
	if (strcmp(day, audit_floor) > 0)
		str_lcpy(audit_floor, day, sizeof audit_floor);
	return 0;
}

void
audit_close(void)
{
	pthread_mutex_lock(&audit_mtx);
	close_file();
	pthread_mutex_unlock(&audit_mtx);
}

/* JSON string: escape quotes, backslashes and control characters. */
static int
json_str(struct buf *b, const char *key, const char *v)
{
	const unsigned char *p;
	int rc;

	if ((rc = buf_addf(b, ",\"%s\":\"", key)) != XDS_OK)
		return rc;
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			rc = buf_addf(b, "\\%c", *p);
		else if (*p < 0x20)
			rc = buf_addf(b, "\\u%04x", *p);
		else
			rc = buf_add(b, p, 1);
		if (rc != XDS_OK)
			return rc;
	}
	return buf_adds(b, "\"");
}

static int
format_record(struct buf *b, const struct xact *x, char *day, size_t daylen)
{
	struct timespec now;
	struct tm tm;
	char ts[40];

	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_sec += (time_t)clock_test_offset();
	gmtime_r(&now.tv_sec, &tm);
	strftime(day, daylen, "%Y-%m-%d", &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	if (buf_addf(b, "{\"time\":\"%s.%03ldZ\"", ts,
	    now.tv_nsec / 1000000) != XDS_OK ||
	    json_str(b, "event", x->txn) != XDS_OK ||
	    json_str(b, "action", x->action) != XDS_OK ||
	    json_str(b, "endpoint", x->endpoint) != XDS_OK ||
	    (x->outbound &&
	    buf_adds(b, ",\"direction\":\"out\"") != XDS_OK) ||
	    json_str(b, "user", x->peer) != XDS_OK ||
	    json_str(b, "address", x->peer_addr) != XDS_OK ||
	    json_str(b, "patient", x->patient) != XDS_OK ||
	    json_str(b, "object", x->object) != XDS_OK ||
	    json_str(b, "outcome", outcome_name(x->outcome)) != XDS_OK ||
	    buf_addf(b, ",\"outcome_code\":%d,\"http_status\":%d",
	    outcome_code(x->outcome), x->http_status) != XDS_OK ||
	    json_str(b, "errors", x->errors) != XDS_OK ||
	    json_str(b, "reason", x->reason) != XDS_OK ||
	    (x->consent[0] != '\0' &&
	    json_str(b, "consent", x->consent) != XDS_OK) ||
	    (x->user[0] != '\0' &&
	    json_str(b, "requester", x->user) != XDS_OK) ||
	    (x->org[0] != '\0' &&
	    json_str(b, "organisation", x->org) != XDS_OK) ||
	    (x->community[0] != '\0' &&
	    json_str(b, "community", x->community) != XDS_OK) ||
	    json_str(b, "message_id", x->message_id) != XDS_OK ||
	    buf_addf(b, ",\"duration_ms\":%.3f}\n", xact_elapsed(x) * 1e3) !=
	    XDS_OK)
		return XDS_ETOOBIG;
	return XDS_OK;
}

/* Append one whole line, or nothing.  Called with the mutex held. */
static int
append(const struct buf *b, const char *hash, struct pending *me)
{
	ssize_t w;

	w = write(audit_fd, b->b_data, b->b_len);
	if (w == (ssize_t)b->b_len) {
		audit_len += (off_t)b->b_len;
		me->end = audit_len;
		str_lcpy(audit_head, hash, sizeof audit_head);
		return XDS_OK;
	}
	if (w >= 0)
		errno = ENOSPC;	/* a short write: the file system is full */
	log_warn("audit: write");
	/* O_APPEND under the mutex: the record started at audit_len. */
	if (w > 0 && ftruncate(audit_fd, audit_len) != 0) {
		log_warn("audit: cannot cut a torn record");
		close(audit_fd);
		audit_fd = -1;
		audit_day[0] = '\0';
	}
	return XDS_EIO;
}

/* Wait until a sync covers me, syncing myself when nobody else is. */
static void
await_sync(struct pending *me)
{
	off_t target;
	int fd, ok;

	me->next = audit_waiting;
	audit_waiting = me;
	while (!me->done) {
		if (audit_syncing) {
			pthread_cond_wait(&audit_cv, &audit_mtx);
			continue;
		}
		target = audit_len;
		fd = audit_fd;
		audit_syncing = 1;
		pthread_mutex_unlock(&audit_mtx);
		ok = fdatasync(fd) == 0;
		pthread_mutex_lock(&audit_mtx);
		audit_syncing = 0;
		if (ok) {
			if (target > audit_synced)
				audit_synced = target;
		} else {
			log_warn("audit: fdatasync");
			cut_unsynced();
		}
		settle(audit_synced, !ok);
	}
}

int
audit_write(const struct xact *x)
{
	struct pending me;
	char day[16], hash[AUDIT_CHAIN_HEX];
	struct buf b;
	int rc;

	if (audit_dir[0] == '\0')
		return XDS_OK;	/* no audit configured (unit tests) */
	memset(&me, 0, sizeof me);
	buf_init(&b, AUDIT_RECORD_MAX + AUDIT_CHAIN_FIELD);
	if ((rc = format_record(&b, x, day, sizeof day)) != XDS_OK) {
		log_warnx("audit: record too large");
		goto out;
	}
	pthread_mutex_lock(&audit_mtx);
	/* A record formatted just before midnight that gets the mutex after
	 * the new day's first one goes into the new day: the day before
	 * may already be compressed (audit_keep.c). */
	if (strcmp(day, audit_floor) < 0)
		str_lcpy(day, audit_floor, sizeof day);
	rc = XDS_EIO;
	if (open_file(day) == 0 &&
	    audit_chain_seal(&b, audit_head, hash) == XDS_OK &&
	    append(&b, hash, &me) == XDS_OK) {
		await_sync(&me);
		rc = me.ok ? XDS_OK : XDS_EIO;
	}
	pthread_mutex_unlock(&audit_mtx);
out:
	buf_free(&b);
	atomic_fetch_add(rc == XDS_OK ? &audit_n_written : &audit_n_failed, 1);
	if (rc == XDS_OK)
		audit_send_kick();
	return rc;
}

int
audit_ready(char *why, size_t whylen)
{
	struct statvfs sv;
	unsigned long long avail;

	if (audit_dir[0] == '\0')
		return 1;
	if (audit_min_free > 0) {
		if (statvfs(audit_dir, &sv) != 0) {
			str_fmt(why, whylen, "the access log's file system: %s",
			    strerror(errno));
			return 0;
		}
		avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
		if (avail < (unsigned long long)audit_min_free) {
			str_fmt(why, whylen, "the access log's file system has "
			    "%llu bytes free, less than audit.min_free (%lld)",
			    avail, audit_min_free);
			return 0;
		}
	}
	return 1;
}

void
audit_stats(struct audit_stats *st)
{
	st->written = atomic_load(&audit_n_written);
	st->failed = atomic_load(&audit_n_failed);
	st->torn_cut = atomic_load(&audit_n_torn);
}

void
audit_synced_to(char *name, size_t namelen, off_t *synced)
{
	pthread_mutex_lock(&audit_mtx);
	if (audit_fd == -1 || audit_day[0] == '\0')
		name[0] = '\0';
	else
		str_fmt(name, namelen, "access-%s.jsonl", audit_day);
	*synced = audit_synced;
	pthread_mutex_unlock(&audit_mtx);
}

void
audit_floor_day(const char *dir, char *day, size_t daylen)
{
	pthread_mutex_lock(&audit_mtx);
	if (audit_dir[0] != '\0' && strcmp(dir, audit_dir) == 0)
		str_lcpy(day, audit_floor, daylen);
	else
		day[0] = '\0';
	pthread_mutex_unlock(&audit_mtx);
}

unsigned long long
audit_written(void)
{
	return atomic_load(&audit_n_written);
}
