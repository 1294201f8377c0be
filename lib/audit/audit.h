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
 */
#ifndef XDS_AUDIT_H
#define XDS_AUDIT_H

#include <stddef.h>

struct xact;

/* Open the audit directory (created 0700).  Returns -1 with err set. */
int	audit_open(const char *state_dir, char *err, size_t errlen);
/* Write the record of x (called by xact_end). */
int	audit_write(const struct xact *x);
void	audit_close(void);

#endif
