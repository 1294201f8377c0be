/*
 * space.c: the disk-space guard (space.h).  One cached measurement per
 * process (the node has one state directory), refreshed when it is
 * older than SPACE_RECHECK_MS or names another directory.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/statvfs.h>

#include "clock.h"
#include "log.h"
#include "space.h"
#include "str.h"

static pthread_mutex_t space_mu = PTHREAD_MUTEX_INITIALIZER;
static char space_dir[4096];
static long long space_at = -1;		/* clock_real_ms of the measurement */
static long long space_free;		/* bytes; -1: unknown */
static atomic_ullong space_refused;

static void
human(long long n, char *out, size_t outsz)
{
	if (n >= 1024LL * 1024 * 1024)
		str_fmt(out, outsz, "%.1f GiB", (double)n / (1024.0 * 1024 * 1024));
	else
		str_fmt(out, outsz, "%.1f MiB", (double)n / (1024.0 * 1024));
}

/* Free bytes of dir's file system for an unprivileged writer, or -1. */
static long long
measure(const char *dir)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) != 0) {
		log_warnx("space: statvfs %s: %s: the disk-space guard is "
		    "off until it can measure", dir, strerror(errno));
		return -1;
	}
	return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

int
space_ok(const char *dir, long long min_free, char *why, size_t whylen)
{
	long long now, avail;
	char a[32], b[32];

	if (min_free <= 0)
		return 1;
	now = clock_real_ms();
	pthread_mutex_lock(&space_mu);
	if (space_at < 0 || now - space_at >= SPACE_RECHECK_MS ||
	    strcmp(space_dir, dir) != 0) {
		str_lcpy(space_dir, dir, sizeof space_dir);
		space_free = measure(dir);
		space_at = now;
	}
	avail = space_free;
	pthread_mutex_unlock(&space_mu);
	if (avail < 0 || avail >= min_free)
		return 1;
	atomic_fetch_add(&space_refused, 1);
	human(avail, a, sizeof a);
	human(min_free, b, sizeof b);
	str_fmt(why, whylen, "%s free on the state directory's file system, "
	    "node.min_free_space is %s: nothing new is stored until there "
	    "is room", a, b);
	return 0;
}

unsigned long long
space_refusals(void)
{
	return atomic_load(&space_refused);
}
