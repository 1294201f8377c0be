/*
 * bridge_stage.h: instances another organisation pushed (push.listen),
 * received but not durable yet, made durable together at that sender's
 * storage commitment request instead of one fsync each.
 *
 * bridge_stage_store places a received file in its series directory
 * under the name <sop>.<origin>.pending (BRIDGE_STAGE_SUFFIX) without an
 * fsync and keeps its row in memory under its origin (the sender's URA);
 * the C-STORE is answered then.  bridge_stage_commit, at the first item
 * of that sender's N-ACTION: an fsync of each of its staged files, each
 * renamed to <sop>.dcm, an fsync of their series directories, then their
 * rows and origin recorded in one transaction (synchronous=FULL).  Only
 * then is an instance committed.
 *
 * A crash before that loses the memory: nothing staged was committed,
 * the sender resends it (a commitment B cannot give is failed, 0112).
 * The name is the mark: no row is ever made from a .pending file; crash
 * recovery (bridge_recover.h) removes them, and a clean stop removes
 * those still staged.  A crash between the renames and the rows leaves
 * durable <sop>.dcm files without rows: recovery indexes them without
 * an origin, committed to no one, as a lost row of the durable receive.
 *
 * At most BRIDGE_STAGE_MAX instances are staged at once, all senders
 * together; past it an instance takes the durable receive
 * (bridge_receive_store_from: fsync'd and recorded before its answer),
 * which the commitment counts alike.
 *
 * An instance staged more than BRIDGE_STAGE_TTL seconds ago is forgotten
 * and its file removed (looked for at most once a minute, at a store): a
 * sender that never asks for its commitment (it crashed, gave up) holds
 * no memory or disk for long.  Should it ask later, the instance is
 * failed and sent again.
 */
#ifndef XDS_BRIDGE_STAGE_H
#define XDS_BRIDGE_STAGE_H

#include <stddef.h>

#include "dcmshim.h"
#include "status.h"

#define BRIDGE_STAGE_SUFFIX	".pending"
#define BRIDGE_STAGE_MAX	20000
#define BRIDGE_STAGE_TTL	21600	/* seconds staged before forgotten */

struct bridge_db;
struct bridge_receive;
struct bridge_stage;

/* Staging beside r (its store and checks), recording into db; both must
 * outlive it. */
enum xds_status bridge_stage_new(struct bridge_receive *r,
	    struct bridge_db *db, const char *state_dir,
	    struct bridge_stage **out, char *err, size_t errlen);
/* The SCP must have stopped.  Removes the files still staged (never
 * committed: their senders resend them).  NULL is a no-op. */
void	bridge_stage_free(struct bridge_stage *s);

/* The received file at tmppath, pushed by origin (a URA: digits and
 * letters only), staged; past BRIDGE_STAGE_MAX made durable at once.
 * Safe on concurrent association threads.  On a result other than
 * DCMSHIM_STORE_OK the shim removes tmppath. */
enum dcmshim_store_result bridge_stage_store(struct bridge_stage *s,
	    const char *tmppath, const struct dcmshim_info *info,
	    const char *calling_ae, const char *origin);

/*
 * Every instance staged for origin made durable and recorded with it
 * (above); *n the instances recorded.  Those whose file could not be
 * flushed or renamed are dropped (logged; not committed, so resent).
 * XDS_OK, or XDS_EIO with err when the directories or the rows could not
 * be made durable: then none of them is committed.
 */
enum xds_status bridge_stage_commit(struct bridge_stage *s,
	    const char *origin, size_t *n, char *err, size_t errlen);

/* Instances staged now; those that took the durable receive since the
 * start because the stage was full. */
size_t	bridge_stage_count(struct bridge_stage *s);
unsigned long long bridge_stage_overflows(struct bridge_stage *s);
/* Instances forgotten since the start (BRIDGE_STAGE_TTL). */
unsigned long long bridge_stage_expired(struct bridge_stage *s);

#endif /* XDS_BRIDGE_STAGE_H */
