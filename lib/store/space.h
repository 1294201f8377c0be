/*
 * space.h: the disk-space guard (node.min_free_space).  New data (an
 * ITI-41 or ITI-42 submission, a C-STORE) is refused while the file
 * system of the state directory has less free space than the minimum,
 * before any of it is stored; queries and retrieves go on.  statvfs is
 * asked at most every SPACE_RECHECK_MS per directory; safe from any
 * number of threads.
 */
#ifndef XDS_SPACE_H
#define XDS_SPACE_H

#include <stddef.h>

#define SPACE_RECHECK_MS	500

/*
 * 1 when dir's file system has at least min_free bytes free (or
 * min_free is 0, or statvfs fails: the guard does not stop a node it
 * cannot measure; the failure is logged), 0 when it has less: why gets
 * a text for the refusal ("1.2 MiB free on the state directory's file
 * system, node.min_free_space is 1 GiB").
 */
int	space_ok(const char *dir, long long min_free, char *why, size_t whylen);
/* Requests refused for space so far (GET /metrics). */
unsigned long long space_refusals(void);

#endif
