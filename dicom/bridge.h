/*
 * bridge.h: the DICOM bridge as the node runs it (bridge.c): a C-STORE
 * SCP whose instances are made durable and tracked per study, and a
 * scheduler that publishes each study, once quiet, as a KOS manifest by
 * RAD-68.  RAD-69 for those instances is rad69.h.
 *
 * The files of dicom/, each with its own header; a call only goes down
 * this graph, never back up (each file may also use dicom/shim and lib/):
 *
 *	bridge.c		start/stop, SCP thread, publication scheduler
 *	|-> bridge_access.c	who may connect (dicom.allowed_peers; pure)
 *	|-> bridge_receive.c	durable receive of the C-STORE instances
 *	|   |-> bridge_patient.c
 *	|   `-> bridge_db.c
 *	|-> bridge_recover.c	crash recovery at start and at a clean stop
 *	|   |-> bridge_patient.c
 *	|   `-> bridge_db.c
 *	|-> publish.c		KOS manifest by RAD-68
 *	|   `-> bridge_db.c
 *	`-> bridge_db.c		the study database, state_dir/dicom.db
 *	bridge_patient.c	the patient's BSN from a header (pure)
 *	rad69.c			RAD-69 over the store; calls none of the above
 *
 * Each file exports only names with its own prefix: bridge_ (bridge.c),
 * bridge_access_, bridge_receive_, bridge_recover_, bridge_patient_, bridge_db_,
 * publish_, rad69_.
 */
#ifndef XDS_BRIDGE_H
#define XDS_BRIDGE_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "publish.h"

struct bridge;

/* Start the SCP on conf->dicom_listen in its own thread, and the
 * scheduler.  The state directory must exist.  links may be NULL. */
int	bridge_start(const struct conf *conf, const struct publish_links *links,
	    struct bridge **out, char *err, size_t errlen);
/* The bound DICOM port. */
int	bridge_port(const struct bridge *b);
/* fn(arg) each time a study sent under a routed AE title (push.route)
 * is first recorded, on an association's thread, and once now: the push
 * sender learns of it without polling.  NULL b: no-op; NULL fn: no
 * more calls (but one that has begun may still be running). */
void	bridge_on_route(struct bridge *b, void (*fn)(void *arg), void *arg);
/* The listener (dicom.listen), for a reload of its TLS files. */
struct dcmshim_scp;
struct dcmshim_scp *bridge_scp(struct bridge *b);
/* The refusals of the SCP for GET /metrics (metrics_add_source; arg the
 * bridge): xds_dicom_refused_total by reason (dcmshim_refusal_name). */
int	bridge_metrics_write(void *arg, struct buf *out);
/* Stop accepting, let current associations finish, stop the scheduler,
 * free.  NULL is a no-op. */
void	bridge_stop(struct bridge *b);

#endif /* XDS_BRIDGE_H */
