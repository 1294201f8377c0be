#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "str.h"

int log_verbosity = LOG_LVL_INFO;
static int log_syslog;
static const char *log_prog = "xdsnode";
static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;

static const char *lvl_name[] = { "error", "warning", "info", "debug" };
static const int lvl_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(const char *progname, int to_syslog, int level)
{
	log_prog = progname;
	log_syslog = to_syslog;
	log_verbosity = level;
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_level_parse(const char *name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(name, lvl_name[i]) == 0)
			return i;
	if (strcmp(name, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

/* The last LOG_RECENT warnings and errors, for the status page. */
static struct log_line recent[LOG_RECENT];
static size_t nrecent, recent_next;

static void
remember(int level, long long t, const char *msg)
{
	struct log_line *l = &recent[recent_next];

	l->time = t;
	l->level = level;
	str_lcpy(l->text, msg, sizeof l->text);
	recent_next = (recent_next + 1) % LOG_RECENT;
	if (nrecent < LOG_RECENT)
		nrecent++;
}

size_t
log_recent(struct log_line *out, size_t max)
{
	size_t i, n;

	pthread_mutex_lock(&log_mtx);
	n = nrecent < max ? nrecent : max;
	for (i = 0; i < n; i++)	/* newest first */
		out[i] = recent[(recent_next + LOG_RECENT - 1 - i) % LOG_RECENT];
	pthread_mutex_unlock(&log_mtx);
	return n;
}

static void
vlog(int level, int with_errno, const char *fmt, va_list ap)
{
	char raw[2048], msg[4 * 2048], ts[32];
	int saved = errno;
	struct timespec now;
	struct tm tm;
	int n;

	n = vsnprintf(raw, sizeof raw, fmt, ap);
	if (n >= 0 && with_errno && (size_t)n < sizeof raw) {
		str_lcat(raw, ": ", sizeof raw);
		str_lcat(raw, strerror(saved), sizeof raw);
	}
	/* one record a line: a peer's text (an AE title, a URL, a
	 * subject) cannot forge another */
	str_escape_ctl(raw, msg, sizeof msg);
	clock_gettime(CLOCK_REALTIME, &now);
	if (level <= LOG_LVL_WARN) {
		pthread_mutex_lock(&log_mtx);
		remember(level, (long long)now.tv_sec, msg);
		pthread_mutex_unlock(&log_mtx);
	}
	if (log_syslog) {
		syslog(lvl_prio[level], "%s", msg);
		errno = saved;
		return;
	}
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_mtx);
	fprintf(stderr, "%s.%03ldZ %s[%s] %s\n", ts, now.tv_nsec / 1000000,
	    log_prog, lvl_name[level], msg);
	pthread_mutex_unlock(&log_mtx);
	errno = saved;
}

void
log_emit(int level, int with_errno, const char *fmt, ...)
{
	va_list ap;

	if (level < 0 || level > LOG_LVL_DEBUG)
		level = LOG_LVL_ERROR;
	va_start(ap, fmt);
	vlog(level, with_errno, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_redact_id(const char *id, char *out, size_t outsz)
{
	size_t n, i, keep = 4;
	const char *caret;

	if (id == NULL) {
		str_lcpy(out, "-", outsz);
		return;
	}
	caret = strchr(id, '^');
	n = caret ? (size_t)(caret - id) : strlen(id);
	str_lcpy(out, id, outsz);
	for (i = 0; i + keep < n && i < outsz - 1; i++)
		out[i] = '*';
}
