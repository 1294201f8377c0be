#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "log.h"
#include "str.h"
#include "xact.h"

static pthread_mutex_t audit_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t audit_cv = PTHREAD_COND_INITIALIZER;
static char audit_dir[1024];
static char audit_day[16];	/* YYYY-MM-DD of the open file */
static int audit_fd = -1;
/*
 * Group commit: records are appended under the mutex; one writer at a
 * time runs fdatasync() outside it for everything appended so far, and
 * the others wait for a sync that covers their record.  Durable before
 * acknowledged, at one fdatasync per batch instead of per record.
 */
static unsigned long long audit_appended;	/* bytes, all files */
static unsigned long long audit_synced;
static int audit_syncing;

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

int
audit_open(const char *state_dir, char *err, size_t errlen)
{
	if (str_fmt(audit_dir, sizeof audit_dir, "%s/audit", state_dir) < 0) {
		str_fmt(err, errlen, "state_dir too long");
		return -1;
	}
	if (mkdir(audit_dir, 0700) != 0 && errno != EEXIST) {
		str_fmt(err, errlen, "%s: %s", audit_dir, strerror(errno));
		return -1;
	}
	return 0;
}

void
audit_close(void)
{
	pthread_mutex_lock(&audit_mtx);
	if (audit_fd != -1)
		close(audit_fd);
	audit_fd = -1;
	audit_day[0] = '\0';
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
audit_reopen(const char *day)
{
	char path[1200];

	if (audit_fd != -1 && strcmp(day, audit_day) == 0)
		return 0;
	if (audit_fd != -1) {
		/* New day: yesterday's file is synced before it is closed
		 * (no sync can be running: it holds the file open). */
		while (audit_syncing)
			pthread_cond_wait(&audit_cv, &audit_mtx);
		if (fdatasync(audit_fd) == 0)
			audit_synced = audit_appended;
		close(audit_fd);
	}
	audit_fd = -1;
	if (str_fmt(path, sizeof path, "%s/access-%s.jsonl", audit_dir, day) < 0)
		return -1;
	audit_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (audit_fd == -1) {
		log_warn("audit: %s", path);
		return -1;
	}
	str_lcpy(audit_day, day, sizeof audit_day);
	return 0;
}

int
audit_write(const struct xact *x)
{
	struct timespec now;
	struct tm tm;
	char ts[40], day[16];
	struct buf b;
	int rc = -1;
	ssize_t w;

	if (audit_dir[0] == '\0')
		return 0;	/* no audit configured (unit tests) */
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	buf_init(&b, 8192);
	if (buf_addf(&b, "{\"time\":\"%s.%03ldZ\"", ts,
	    now.tv_nsec / 1000000) != XDS_OK ||
	    json_str(&b, "event", x->txn) != XDS_OK ||
	    json_str(&b, "action", x->action) != XDS_OK ||
	    json_str(&b, "endpoint", x->endpoint) != XDS_OK ||
	    json_str(&b, "user", x->peer) != XDS_OK ||
	    json_str(&b, "address", x->peer_addr) != XDS_OK ||
	    json_str(&b, "patient", x->patient) != XDS_OK ||
	    json_str(&b, "object", x->object) != XDS_OK ||
	    json_str(&b, "outcome", outcome_name(x->outcome)) != XDS_OK ||
	    buf_addf(&b, ",\"outcome_code\":%d,\"http_status\":%d",
	    outcome_code(x->outcome), x->http_status) != XDS_OK ||
	    json_str(&b, "errors", x->errors) != XDS_OK ||
	    json_str(&b, "reason", x->reason) != XDS_OK ||
	    json_str(&b, "message_id", x->message_id) != XDS_OK ||
	    buf_addf(&b, ",\"duration_ms\":%.3f}\n", xact_elapsed(x) * 1e3) !=
	    XDS_OK) {
		log_warnx("audit: record too large");
		goto out;
	}
	pthread_mutex_lock(&audit_mtx);
	if (audit_reopen(day) == 0) {
		unsigned long long mine, target;
		int fd, ok;

		/* O_APPEND: one write() per record keeps lines whole. */
		w = write(audit_fd, b.b_data, b.b_len);
		if (w != (ssize_t)b.b_len) {
			log_warn("audit: write");
			goto unlock;
		}
		mine = audit_appended += b.b_len;
		while (audit_synced < mine) {
			if (audit_syncing) {
				pthread_cond_wait(&audit_cv, &audit_mtx);
				continue;
			}
			target = audit_appended;
			fd = audit_fd;
			audit_syncing = 1;
			pthread_mutex_unlock(&audit_mtx);
			ok = fdatasync(fd) == 0;
			pthread_mutex_lock(&audit_mtx);
			audit_syncing = 0;
			pthread_cond_broadcast(&audit_cv);
			if (!ok) {
				log_warn("audit: fdatasync");
				goto unlock;
			}
			if (target > audit_synced)
				audit_synced = target;
		}
		rc = 0;
	}
unlock:
	pthread_mutex_unlock(&audit_mtx);
out:
	buf_free(&b);
	return rc;
}
