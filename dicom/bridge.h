/*
 * bridge.h: the C side of the DICOM bridge (issue 4).
 *
 * Receives instances through the shim's C-STORE SCP and makes each one
 * durable before it is acknowledged: written to a temporary file, fsync,
 * renamed to state_dir/dicom/<study>/<series>/<sop>.dcm, directory fsync.
 * Every study is tracked in state_dir/dicom.db with the patient's BSN (or
 * NULL when none could be resolved), the instance count, the last arrival
 * and a state:
 *
 *	pending		no valid BSN yet: kept, never published
 *	conflict	instances name different BSNs: kept, never published
 *	receiving	BSN known, instances arriving
 *	ready		quiet for dicom.publish_after seconds: to be published
 *	published	manifest registered (next slice: RAD-68)
 */
#ifndef XDS_BRIDGE_H
#define XDS_BRIDGE_H

#include <stddef.h>

#include "conf.h"
#include "dcmshim.h"

#define BRIDGE_ISSUER_BSN	"NLMINBIZA"	/* IssuerOfPatientID of a BSN */

struct bridge;

/* Start the SCP on conf->dicom_listen in its own thread, and the
 * scheduler.  The state directory must exist. */
int	bridge_start(const struct conf *conf, struct bridge **out, char *err,
	    size_t errlen);
/* The bound DICOM port. */
int	bridge_port(const struct bridge *b);
/* Stop accepting, let current associations finish, stop the scheduler,
 * free.  NULL is a no-op. */
void	bridge_stop(struct bridge *b);

/*
 * The patient's BSN from a header: the OtherPatientIDsSequence item with
 * issuer NLMINBIZA, PatientID when its issuer is NLMINBIZA, or PatientID
 * when patient_id_is_bsn.  The BSN must pass the 11-check.  Returns 0 and
 * the 9 digits in bsn, or -1 with the reason in err (none, invalid, two
 * different ones).
 */
int	bridge_patient_bsn(const struct dcmshim_info *info, int patient_id_is_bsn,
	    char bsn[10], char *err, size_t errlen);

/* The study table, usable without a running bridge (xdsctl, tests). */
struct bridge_db;
int	bridge_db_open(const char *state_dir, struct bridge_db **out, char *err,
	    size_t errlen);
void	bridge_db_close(struct bridge_db *db);
/* Record an instance that is now durable.  bsn NULL when unresolved. */
int	bridge_db_instance(struct bridge_db *db, const struct dcmshim_info *info,
	    const char *bsn, long long now, char *err, size_t errlen);
/* receiving -> ready for studies quiet since now - quiet seconds; returns
 * how many changed, or -1. */
int	bridge_db_mark_ready(struct bridge_db *db, long long now, long long quiet,
	    char *err, size_t errlen);

struct bridge_study {
	const char	*study_uid;
	const char	*bsn;		/* NULL when unresolved */
	long long	 instances;
	long long	 last_arrival;	/* seconds since the epoch */
	const char	*state;
};
/* Call fn for each study in state (NULL: pending and conflict, the
 * studies waiting for a person), oldest arrival first.  A nonzero return
 * from fn stops the walk. */
int	bridge_db_list(struct bridge_db *db, const char *state,
	    int (*fn)(void *arg, const struct bridge_study *s), void *arg,
	    char *err, size_t errlen);

/* xdsctl dicom ... (src/xdsctl_dicom.c) */
struct ctl;
int	ctl_dicom(struct ctl *ctl, int argc, char **argv);

#endif /* XDS_BRIDGE_H */
