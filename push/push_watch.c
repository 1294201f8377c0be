/*
 * push_watch.c: the sender's wake-ups (push_watch.h): inotify on
 * push.db-wal closed after writing (IN_CLOSE_WRITE: xdsctl closing its
 * connection, or exiting, after its commit) and, for a WAL made anew, on
 * the state directory's new entries; and a pipe.  Not IN_MODIFY: the
 * frames of a commit are written before the commit is visible (SQLite
 * then updates the WAL index in shared memory, which inotify does not
 * see), so a sender woken by the write may look too early and sleep
 * with the job unseen.  Watching only those, the bridge's and the
 * registry's writes in the same directory never wake the sender.
 */
#include "config.h"

#include <sys/inotify.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "push_watch.h"
#include "str.h"

#define PATH_SZ	1024

struct push_watch {
	int	ino;		/* inotify, -1 without */
	int	wal;		/* its watch of push.db-wal, -1 without */
	int	pipe[2];	/* pokes */
	char	wal_path[PATH_SZ];
};

/* The WAL's watch (again, when the file was made anew): an absent WAL
 * is no error, its creation is seen in the directory. */
static void
watch_wal(struct push_watch *w)
{
	w->wal = inotify_add_watch(w->ino, w->wal_path, IN_CLOSE_WRITE);
}

enum xds_status
push_watch_open(const char *state_dir, struct push_watch **out, char *err,
    size_t errlen)
{
	struct push_watch *w;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return XDS_ENOMEM;
	}
	w->ino = w->wal = -1;
	if (str_fmt(w->wal_path, sizeof w->wal_path, "%s/push.db-wal",
	    state_dir) < 0) {
		str_fmt(err, errlen, "%s: path too long", state_dir);
		free(w);
		return XDS_EINVAL;
	}
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		str_fmt(err, errlen, "pipe: %s", strerror(errno));
		free(w);
		return XDS_EIO;
	}
	/* The WAL lives while any connection is open (the daemon's own),
	 * and is made anew by the first one to open the database. */
	if ((w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(w->ino, state_dir, IN_CREATE | IN_MOVED_TO) ==
	    -1) {
		log_warnx("push: cannot watch %s (%s): new push jobs are "
		    "looked for every second", state_dir, strerror(errno));
		if (w->ino != -1)
			close(w->ino);
		w->ino = -1;
	} else
		watch_wal(w);
	*out = w;
	return XDS_OK;
}

void
push_watch_close(struct push_watch *w)
{
	if (w != NULL) {
		if (w->ino != -1)
			(void)close(w->ino);
		(void)close(w->pipe[0]);
		(void)close(w->pipe[1]);
		free(w);
	}
}

int
push_watch_ok(const struct push_watch *w)
{
	return w->ino != -1;
}

/* 1 when the queued events name push.db or its WAL (all are read). */
static int
drain_events(struct push_watch *w)
{
	char b[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t off;
	int hit = 0;

	while ((n = read(w->ino, b, sizeof b)) > 0)
		for (off = 0; off + sizeof *ev <= (size_t)n;
		    off += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(b + off);
			if (ev->mask & IN_Q_OVERFLOW)
				hit = 1;
			else if (ev->wd == w->wal && (ev->mask & IN_IGNORED))
				w->wal = -1;	/* removed */
			else if (ev->wd == w->wal)
				hit = 1;
			else if (ev->len > 0 && strcmp(ev->name,
			    "push.db-wal") == 0) {
				watch_wal(w);
				hit = 1;
			} else if (ev->len > 0 && strcmp(ev->name,
			    "push.db") == 0)
				hit = 1;
		}
	return hit;
}

int
push_watch_wait(struct push_watch *w, long long ms)
{
	struct pollfd fds[2];
	char junk[64];
	long long end = ms < 0 ? -1 : clock_real_ms() + ms, left;
	int n;

	fds[0].fd = w->pipe[0];
	fds[0].events = POLLIN;
	fds[1].fd = w->ino;
	fds[1].events = POLLIN;
	for (;;) {
		left = end < 0 ? -1 : end - clock_real_ms();
		if (end >= 0 && left <= 0)
			return 0;
		n = poll(fds, w->ino != -1 ? 2 : 1, left > INT_MAX ? INT_MAX :
		    (int)left);
		if (n == 0)
			continue;	/* the deadline decides */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;	/* look: better than spinning */
		}
		if (fds[0].revents & POLLIN) {
			while (read(w->pipe[0], junk, sizeof junk) > 0)
				;
			return 1;
		}
		/* an event of another new file in the directory: wait on */
		if (w->ino != -1 && (fds[1].revents & POLLIN) &&
		    drain_events(w))
			return 1;
	}
}

void
push_watch_poke(struct push_watch *w)
{
	(void)!write(w->pipe[1], "x", 1);
}
