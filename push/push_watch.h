/*
 * push_watch.h: how the sender learns of new jobs without polling
 * push.db: an inotify watch of its WAL, closed by a connection that
 * wrote it (xdsctl push, retry, anything that writes the database and
 * closes it), and a pipe the daemon itself pokes (push_wake, stop).
 * Without inotify (its limits reached) the watch still waits on the
 * pipe and the sender falls back to polling (push_watch_ok says).
 * docs/design.md, "Pushing a study to another organisation", says why
 * inotify and not a local HTTP endpoint.
 */
#ifndef XDS_PUSH_WATCH_H
#define XDS_PUSH_WATCH_H

#include <stddef.h>

#include "status.h"

struct push_watch;

/* A watch of state_dir: XDS_OK, or XDS_EIO with err when not even the
 * pipe can be made.  An inotify failure is logged and leaves
 * push_watch_ok 0. */
enum xds_status push_watch_open(const char *state_dir,
	    struct push_watch **out, char *err, size_t errlen);
void	push_watch_close(struct push_watch *w);	/* NULL: no-op */
/* 1 when push.db's writes are watched, 0 when only pokes wake. */
int	push_watch_ok(const struct push_watch *w);
/* Wait at most ms milliseconds (< 0: without end) for a write to
 * push.db or a poke; what woke it is consumed.  1 woken, 0 timed out. */
int	push_watch_wait(struct push_watch *w, long long ms);
/* Wake the waiting thread (any thread; async-signal-safe). */
void	push_watch_poke(struct push_watch *w);

#endif /* XDS_PUSH_WATCH_H */
