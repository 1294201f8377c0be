/*
 * push_fetch.h: the instances of a push job that this node keeps only as
 * header-only copies (dicom.mode = proxy, dcmfetch.h), fetched from
 * dicom.pacs by C-GET into the job's spool, state_dir/push-spool/<job>/,
 * a window at a time (push.fetch_window instances, push.fetch_window_size
 * bytes), sent from there as stored instances are, and removed once the
 * receiver holds them (docs/design.md, "Pushing a study to another
 * organisation", from a node in proxy mode).
 *
 * The sender (push_send.c) drives it: push_fetch_begin, push_fetch_window
 * for the first window (its items ready to send, their paths in the
 * spool), then for each window push_fetch_ahead (the next one fetched
 * while this one is sent), the window sent and recorded,
 * push_fetch_release, push_fetch_collect; push_fetch_end.  The spool
 * holds at most two windows.  push_fetch_sweep removes the spools of
 * jobs that are not queued or sending.
 */
#ifndef XDS_PUSH_FETCH_H
#define XDS_PUSH_FETCH_H

#include <stddef.h>

#include "dcmshim.h"
#include "push_db.h"

struct push;
struct push_fetch;

/* The spool of the attempt of job j: XDS_OK with *out, NULL when no item
 * of pi[0..n) (pi[k] is v[idx[k]]) is a header-only copy to fetch (the
 * job is sent as it always is); or a failure with why (dicom.pacs unset,
 * the spool cannot be made). */
int	push_fetch_begin(struct push *p, const struct push_job *j,
	    const struct dcmshim_push_item *pi, size_t n,
	    struct push_fetch **out, char *why, size_t whylen);

/*
 * The next window of the attempt's items pi[0..n) (as given to
 * push_fetch_begin), from pi[from] on: each item to send whose stored
 * copy is header-only is fetched from the PACS (one association for the
 * window) into the spool, checked (push_fetch_check), its path in pi[k]
 * and its transfer syntax in pi[k] and v[idx[k]] those of the fetched
 * file; items to send whose stored file is whole, and items only to
 * commit, join the window as they are.  The window ends after
 * push.fetch_window fetched instances or push.fetch_window_size bytes.
 * The window is pi[from..*to), ready to send, also on a failure (the
 * PACS down or refusing, an instance refused: why says), which ends it
 * at the item that failed.
 */
int	push_fetch_window(struct push_fetch *f, struct push_item *v,
	    const size_t *idx, struct dcmshim_push_item *pi, size_t from,
	    size_t *to, char *why, size_t whylen);

/* The window from pi[from] on (as push_fetch_window) fetched on a thread
 * of its own while the caller sends the one before it (whose items it
 * does not touch); push_fetch_collect waits for it and gives its end and
 * outcome.  Without a thread it is fetched before push_fetch_ahead
 * returns. */
void	push_fetch_ahead(struct push_fetch *f, struct push_item *v,
	    const size_t *idx, struct dcmshim_push_item *pi, size_t from);
int	push_fetch_collect(struct push_fetch *f, size_t *to, char *why,
	    size_t whylen);

/* After the window was sent and recorded: the spool files of its items
 * the receiver holds (v[idx[k]].state stored or committed) removed. */
void	push_fetch_release(struct push_fetch *f, const struct push_item *v,
	    const size_t *idx, const struct dcmshim_push_item *pi, size_t from,
	    size_t to);

/* The end of the attempt (NULL: no-op; a window fetched ahead is waited
 * for); the spool stays for the next
 * attempt while the job is queued (push_fetch_sweep). */
void	push_fetch_end(struct push_fetch *f);

/* The spools of jobs no longer queued or sending (done, failed,
 * cancelled, gone) removed; all = 1 (at start): every spool, since a
 * file fetched before a crash may be torn (spool files are not synced:
 * the PACS keeps the instance). */
void	push_fetch_sweep(struct push *p, int all);

/* 1 when the file fetched for sop_uid of study_uid is that instance
 * (info as dcmshim_parse_file read it), else 0 with why.  Pure. */
int	push_fetch_check(const struct dcmshim_info *info,
	    const char *study_uid, const char *sop_uid, char *why,
	    size_t whylen);

#endif /* XDS_PUSH_FETCH_H */
