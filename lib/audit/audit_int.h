/*
 * audit_int.h: what the access log tells its sender (lib/audit only).
 */
#ifndef XDS_AUDIT_INT_H
#define XDS_AUDIT_INT_H

#include <stddef.h>
#include <sys/types.h>

struct xact;

/*
 * The file the log appends to now (access-YYYY-MM-DD.jsonl; "" when
 * none is open) and how far it is on disk: records past it may still be
 * cut, so they are not sent yet.
 */
void	audit_synced_to(char *name, size_t namelen, off_t *synced);
/*
 * The oldest day (YYYY-MM-DD) the log may still write into, when it is
 * open on the directory dir: the newest day it has opened, or found at
 * open; "" otherwise.  Records of an earlier day go into that day's
 * file, so no day before it is written again.
 */
void	audit_floor_day(const char *dir, char *day, size_t daylen);
/* Records written since start. */
unsigned long long audit_written(void);
/*
 * A record line (no newline) back into the fields of its transaction and
 * its time: XDS_OK, or XDS_EFORMAT.  The inverse of the record format.
 */
int	audit_record_parse(const char *line, size_t len, struct xact *x,
	    char *when, size_t whenlen);

#endif
