/*
 * audit_send.h: ATNA audit messages to an audit record repository
 * (IHE ITI-20): syslog (RFC 5424) over TLS with octet-counted framing
 * (RFC 5425), mutual TLS with the node's own certificate.
 *
 * The access log is the queue.  Its records are durable before a
 * transaction is answered; a sender thread reads them in their order,
 * builds the ATNA message of each (atna.h) and sends it, and keeps its
 * place in state_dir/audit/outbox/cursor (file, offset, sequence).  While
 * the repository is unreachable nothing is lost: the place stays where it
 * was and the sender reconnects with back-off, then sends from there.
 * Delivery is at least once: syslog has no acknowledgement, so the
 * messages of a connection that turns out closed are sent again, each
 * with the same sequenceId (RFC 5424 meta), by which a receiver can drop
 * a repeat.  Days compressed while the sender was off are read from
 * their .gz; days removed meanwhile are passed over with a warning.
 */
#ifndef XDS_AUDIT_SEND_H
#define XDS_AUDIT_SEND_H

#include <stddef.h>

#include "atna.h"

struct audit_send_opts {
	const char	*url;		/* tls://host:port, tcp://lo:port */
	const char	*cert, *key, *ca;	/* PEM files, tls:// */
	long long	 retry_max_ms;	/* longest wait between reconnects */
	struct atna_site site;		/* copied: may be the caller's stack */
};

/*
 * Start the sender for the access log of state_dir (audit_open first).
 * 0, or an enum xds_status with err set (a bad URL, unreadable TLS
 * files, an outbox that cannot be made).
 */
int	audit_send_start(const char *state_dir,
	    const struct audit_send_opts *, char *err, size_t errlen);
/* Wake the sender: a record was written.  Nothing when not started. */
void	audit_send_kick(void);
/* Stop and join the sender; what it has not sent stays for next time. */
void	audit_send_stop(void);

/*
 * The sender's place in the log as its cursor file at path holds it:
 * the day file (access-YYYY-MM-DD.jsonl) and the offset in it up to
 * which the records were sent.  0, or -1 when there is no valid cursor.
 */
int	audit_send_cursor_read(const char *path, char *file, size_t filelen,
	    long long *off, unsigned long long *seq);
/* The cursor's path below the access log directory. */
#define AUDIT_SEND_CURSOR	"outbox/cursor"

struct audit_send_stats {
	int			running;
	unsigned long long	queued;	/* records the sender has not passed */
	unsigned long long	sent;	/* messages written to a connection
					 * that was still open after them */
	unsigned long long	failed;	/* connections or sends that failed */
	unsigned long long	days_compressed;	/* days read from .gz */
	unsigned long long	days_gone;	/* days in neither form: their
						 * unsent records skipped */
	unsigned long long	unreadable;	/* attempts at a day file that
						 * is there but cannot be read */
};
void	audit_send_stats(struct audit_send_stats *);

#endif
