/*
 * push.h: studies sent to and received from other organisations by DICOM
 * over mutual TLS with Storage Commitment, node to node (docs/design.md,
 * "Pushing a study to another organisation").
 *
 * The files of push/, each with its own header; calls go down only:
 *
 *	push.c		start/stop, the sender's thread, /metrics
 *	|-> push_send.c	one attempt of a job: resolve, C-STORE, commitment
 *	|   |-> push_fetch.c	proxy mode: the instances fetched from the
 *	|   |		PACS (C-GET) into the job's spool, a window at a time
 *	|   |-> push_route.c	the jobs of routed studies (push.route), also
 *	|   |		made by xdsctl dicom publish
 *	|   `-> push_db.c
 *	|-> push_recv.c	the listener on push.listen: who may push (the URA
 *	|		of the certificate, in the directory), the bridge's
 *	|		durable receive, the commitment report
 *	|   `-> push_report.c	reports of our own requests that receivers
 *	|		send there on an association of their own
 *	|-> push_watch.c	the sender woken by writes to push.db
 *	`-> push_db.c	the jobs, state_dir/push.db
 *
 * Uses dicom (the bridge's study table and receive path), gateway (the
 * directory, the URA of a certificate subject), the shim, conf, store,
 * base.
 */
#ifndef XDS_PUSH_H
#define XDS_PUSH_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

struct push;

/* The sender's thread (always, with dicom.enabled; in proxy mode it
 * fetches the instances from dicom.pacs) and the listener when
 * push.listen is set. */
int	push_start(const struct conf *conf, struct push **out, char *err,
	    size_t errlen);
/* The sender looks for due jobs (and routed studies) now, not at its
 * next tick: a new job, a new route (bridge_on_route).  Any thread. */
void	push_wake(struct push *p);
/* The bound port of push.listen, 0 without a listener. */
int	push_port(const struct push *p);
/* The listener on push.listen (NULL without one), for a reload of its TLS
 * files. */
struct dcmshim_scp;
struct dcmshim_scp *push_scp(struct push *p);
/* GET /metrics (metrics_add_source; arg the push). */
int	push_metrics_write(void *arg, struct buf *out);
/* Stop the listener (current associations finish) and the sender (its
 * attempt in flight finishes).  NULL: no-op. */
void	push_stop(struct push *p);

#endif /* XDS_PUSH_H */
