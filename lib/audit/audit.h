/*
 * audit.h: the NEN 7513 access log (and, later, ATNA ITI-20 transport).
 *
 * Every transaction, success or failure, leaves exactly one record: one
 * line of JSON in state_dir/audit/access-YYYY-MM-DD.jsonl, appended and
 * flushed to disk (fdatasync) before the answer leaves the node.  The
 * record holds what NEN 7513 section 5 asks for: the event (IHE
 * transaction), date and time, the patient, the user (client
 * certificate subject, or "anonymous" on the plain-HTTP demo), the
 * outcome and error codes.  Only this module formats audit records.
 *
 * The log fails closed: audit_write() succeeds only once the record is
 * on disk, and a record that could not be written whole and durably is
 * cut from the file again, so the file holds whole lines only and the
 * caller must not release what the record describes.  A tail torn by a
 * crash or a full disk is cut when a file is opened (at start-up and on
 * each new day).  audit_ready() lets a caller refuse work before doing it
 * when the log cannot take records.
 */
#ifndef XDS_AUDIT_H
#define XDS_AUDIT_H

#include <stddef.h>

struct xact;

/*
 * Open the audit directory (created 0700) and cut torn tails from the
 * files in it.  min_free: bytes its file system must keep free for
 * audit_ready().  Returns 0, or an enum xds_status with err set.
 */
int	audit_open(const char *state_dir, long long min_free, char *err,
	    size_t errlen);
/*
 * Write the record of x (called through xact_end).  0 once it is on
 * disk; XDS_EIO (nothing of it left in the file) or XDS_ETOOBIG.
 */
int	audit_write(const struct xact *x);
/*
 * 1 when the log's file system has min_free bytes free (or min_free is
 * 0); else 0 with the reason in why.  For refusing work before it is
 * done; whether a record can really be written only audit_write says.
 */
int	audit_ready(char *why, size_t whylen);

struct audit_stats {
	unsigned long long	written;	/* records on disk */
	unsigned long long	failed;		/* records that could not be */
	unsigned long long	torn_cut;	/* torn tails cut at open */
};
void	audit_stats(struct audit_stats *);
void	audit_close(void);

#endif
