/*
 * bridge_receive.h: the durable receive of the DICOM bridge, what the
 * C-STORE SCP does with each instance it received.
 *
 * The instance is durable before it is acknowledged: its file fsync'd,
 * renamed to state_dir/dicom/<study>/<series>/<sop>.dcm, the series
 * directory fsync'd (new study and series directories are synced into
 * their parents first; concurrent associations share the directory
 * fsync, lib/base/fileio.h).  Then it is recorded in the study database
 * with its patient's BSN (bridge_patient.h), or as pending without one.
 *
 * dicom.mode = proxy: the PACS keeps the instances.  Each one received is
 * reduced to its header-only copy (dcmfetch_strip: no pixel or other bulk
 * data, marked in its File Meta) before it is made durable under the same
 * path, so the study table, the KOS publication and crash recovery read
 * it as they read a full instance; the received bytes are removed.
 * RAD-69 (rad69.c) fetches the full instance from dicom.pacs on demand.
 */
#ifndef XDS_BRIDGE_RECEIVE_H
#define XDS_BRIDGE_RECEIVE_H

#include <stddef.h>

#include "conf.h"
#include "dcmshim.h"
#include "status.h"

struct bridge_db;
struct bridge_receive;

/* The receive state for conf (node.state_dir, dicom.mode,
 * dicom.patient_id_is_bsn), recording into db, which must outlive it. */
enum xds_status bridge_receive_new(const struct conf *conf,
	    struct bridge_db *db, struct bridge_receive **out, char *err,
	    size_t errlen);
/* NULL is a no-op.  The SCP must have stopped. */
void	bridge_receive_free(struct bridge_receive *r);
/* fn(arg) is called, on the association's thread, each time a routed
 * instance makes a new route (bridge_db_route): the push sender learns
 * of a study it will have to send.  Any thread, any time. */
void	bridge_receive_on_route(struct bridge_receive *r,
	    void (*fn)(void *arg), void *arg);

/*
 * The SCP's on_store (dcmshim_store_fn), arg a struct bridge_receive:
 * make the received file at tmppath durable and record it.  Safe on
 * concurrent association threads.  DCMSHIM_STORE_OK only once the
 * instance is durable and recorded; on another result the shim removes
 * tmppath.  An instance sent under another called AE title than
 * dicom.ae_title (a push.route) records the study's route
 * (bridge_db_route) with it.
 */
enum dcmshim_store_result bridge_receive_store(void *arg,
	    const char *tmppath, const struct dcmshim_info *info,
	    const char *calling_ae, const char *called_ae,
	    const char *subject);
/* The same for an instance an organisation pushed (push.listen): origin,
 * the URA of its certificate, is recorded with it (bridge_db_instance),
 * in the same transaction. */
enum dcmshim_store_result bridge_receive_store_from(struct bridge_receive *r,
	    const char *tmppath, const struct dcmshim_info *info,
	    const char *calling_ae, const char *called_ae,
	    const char *origin);

/* For a receive that places the file itself (bridge_stage.h): the UIDs
 * checked, the space guard asked, the study and series directories made
 * (durably, when new), the series directory's path into series.
 * DCMSHIM_STORE_OK or the C-STORE answer. */
enum dcmshim_store_result bridge_receive_prepare(struct bridge_receive *r,
	    const struct dcmshim_info *info, const char *calling_ae,
	    char *series, size_t seriessz);
/* The patient's BSN of a received instance into bsn as the receive
 * resolves it (bridge_patient.h, dicom.patient_id_is_bsn): 1, or 0 and
 * bsn "" (the study kept as pending, logged). */
int	bridge_receive_bsn(struct bridge_receive *r,
	    const struct dcmshim_info *info, const char *calling_ae,
	    char bsn[10]);

#endif /* XDS_BRIDGE_RECEIVE_H */
