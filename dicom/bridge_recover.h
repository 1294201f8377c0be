/*
 * bridge_recover.h: crash recovery of the DICOM bridge's store.
 *
 * Instance rows are committed without their own fsync (bridge_db_set_lazy):
 * the file and its directory entry are durable before the C-STORE
 * response, the row may not be.  A clean stop makes every commit durable
 * and then leaves the mark state_dir/dicom/clean; a start without the
 * mark gives every stored file without a row its row back from its
 * header, and removes every pushed file never committed (named
 * <sop>.<origin>.pending, bridge_stage.h: its data may not be durable,
 * so it must not get a row).  Receive files a crash left in
 * state_dir/dicom/tmp (never acknowledged) are removed at every start.
 */
#ifndef XDS_BRIDGE_RECOVER_H
#define XDS_BRIDGE_RECOVER_H

#include <stddef.h>

#include "conf.h"
#include "status.h"

struct bridge_db;

/*
 * Before the SCP starts: remove the receive files a crash left; after an
 * unclean stop index the stored files again into db; remove the mark
 * durably; switch db to lazy instance commits.  XDS_OK, or a failure
 * with err (the bridge must not start: its rows could be lost).
 */
enum xds_status bridge_recover_begin(const struct conf *conf,
	    struct bridge_db *db, char *err, size_t errlen);

/* A clean stop, after the SCP stopped and only after bridge_recover_begin
 * succeeded: every commit made durable, then the mark.  A failure is
 * logged and leaves no mark: the next start recovers. */
void	bridge_recover_end(const struct conf *conf, struct bridge_db *db);

#endif /* XDS_BRIDGE_RECOVER_H */
