/*
 * feed.h: ITI-8 Patient Identity Feed at the Document Registry (ITI TF-2a
 * 3.8), HL7 v2 ADT messages in, their acknowledgments out; the transport
 * (MLLP) is the daemon's.  Only with registry.patient_ids = feed: the
 * feed is what makes a patient known to the registry.
 *
 * A01, A04, A05 and A08 make the patient of PID-3 known (the identifier
 * of the affinity domain, registry.feed_domain; the others are not kept),
 * A40 merges the patient of MRG-1 into that of PID-3: in one transaction
 * the subsumed patient's DocumentEntries, SubmissionSets and Folders
 * become the surviving patient's (their patientId rewritten) and the
 * subsumed id stops being known (docs/design.md, Patient Identity Feed).
 * The acknowledgment is AA once that is durable, AE (the content: no
 * identifier of the domain, an invalid BSN, no MRG-1) or AR (the message:
 * malformed, not ADT, an event not taken: A24 and A37 with the reason
 * that no links are kept) with an ERR segment saying why.  The messages
 * are counted by result (registry_feed_stats).
 */
#ifndef XDS_FEED_H
#define XDS_FEED_H

#include <stddef.h>

#include "status.h"

struct buf;
struct conf;
struct registry;
struct registry_feed;
struct xact;

/* What became of a message: taken, or refused and why (its ERR-3). */
enum registry_feed_result {
	FEED_ACCEPTED = 0,	/* AA */
	FEED_R_MALFORMED,	/* not HL7 v2, a segment missing (100) */
	FEED_R_REQUIRED,	/* MSH-10 or an identifier empty (101) */
	FEED_R_INVALID,		/* an identifier not valid (102) */
	FEED_R_MESSAGE_TYPE,	/* not ADT (200) */
	FEED_R_EVENT,		/* an event not taken, A24 and A37 too (201) */
	FEED_R_DOMAIN,		/* no identifier of the domain (204) */
	FEED_R_REGISTRY,	/* the registry could not take it (207) */
	FEED_R_TOO_BIG,		/* over HL7V2_MAX_MESSAGE (100) */
	FEED_R_SOURCE,		/* not in registry.feed_sources (207) */
	FEED_NRESULTS
};

/* The messages answered since the start, by result, and when the last
 * one came (clock_wall; 0: none yet). */
struct registry_feed_stats {
	unsigned long long	n[FEED_NRESULTS];
	long long		last_at;
};

int	registry_feed_open(const struct conf *, struct registry *,
	    struct registry_feed **, char *err, size_t errlen);
void	registry_feed_close(struct registry_feed *);
/*
 * One message (len bytes, at most HL7V2_MAX_MESSAGE) into its
 * acknowledgment ack; x gets the patient, MSH-10 as its object and the
 * outcome.  XDS_OK with ack written (whatever it says), XDS_ENOMEM when
 * none could be made.  A message over the limit gets its AR from
 * registry_feed_refuse.
 */
int	registry_feed_message(struct registry_feed *, struct xact *x,
	    const char *msg, size_t len, struct buf *ack);
/*
 * Whether a feed peer (its IP address, its verified certificate subject
 * or "") may send ITI-8 messages: a loopback address always, else its
 * subject listed in sources (registry.feed_sources: subjects separated
 * by ';', or * for any peer the listener admitted).  Pure.
 */
int	registry_feed_source_ok(const char *sources, const char *addr,
	    const char *subject);
/* The AR of a message refused before it was read (why): r is
 * FEED_R_TOO_BIG for one the transport could not take whole (the first
 * len bytes of it, for its MSH, if they hold one), FEED_R_SOURCE for one
 * from a peer not in registry.feed_sources. */
int	registry_feed_refuse(struct registry_feed *, struct xact *x,
	    const char *msg, size_t len, enum registry_feed_result r,
	    const char *why, struct buf *ack);

void	registry_feed_stats(struct registry_feed *,
	    struct registry_feed_stats *);
/* "accepted", "malformed", "required", "invalid", "message_type",
 * "event", "domain", "registry", "too_big", "source". */
const char *registry_feed_result_name(int);

#endif
