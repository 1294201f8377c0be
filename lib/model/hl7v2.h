/*
 * hl7v2.h: HL7 version 2 messages in their traditional encoding (ER7,
 * HL7 v2.5 chapter 2.5-2.7), pure: no I/O, no globals.
 *
 * A message is segments ended by CR (LF and CR LF are taken too), the
 * first MSH, whose fourth byte is the field separator and MSH-2 the
 * component, repetition, escape and subcomponent characters.  Parsing
 * checks that frame and indexes the segments; values are split out on
 * demand by position (segment, field, repetition, component,
 * subcomponent) and unescaped (\F\ \S\ \T\ \R\ \E\, \Xhh..\; formatting
 * escapes are dropped).  The acknowledgment writer makes an original-mode
 * ACK (MSA, and ERR with an HL7 table 0357 code) in the standard
 * encoding characters.
 *
 * Functions return enum xds_status (status.h): XDS_EFORMAT for a
 * malformed message, XDS_ETOOBIG past a limit (err says which).
 */
#ifndef XDS_HL7V2_H
#define XDS_HL7V2_H

#include <stddef.h>

#include "status.h"

struct buf;

#define HL7V2_MAX_MESSAGE	(64 * 1024)	/* bytes of one message */
#define HL7V2_MAX_SEGMENTS	256
#define HL7V2_MAX_VALUE		1024	/* bytes of one value */

struct hl7v2_seg {
	char	 name[4];
	size_t	 off, len;	/* in hl7v2_msg.text, without the CR */
};

struct hl7v2_msg {
	const char	*text;	/* the caller's bytes: they must
				   outlive it */
	size_t		 len;
	char		 fs, cs, rs, es, ss;	/* | ^ ~ \ & */
	struct hl7v2_seg seg[HL7V2_MAX_SEGMENTS];
	size_t		 nseg;
};

/* Index the len bytes of buf (not copied) into out. */
int	hl7v2_parse(const char *buf, size_t len, struct hl7v2_msg *out,
	    char *err, size_t errlen);
/* How many segments are named name. */
size_t	hl7v2_count(const struct hl7v2_msg *, const char *name);
/*
 * The value of the occ-th (0: first) segment name, field (1-based; MSH-1
 * is the field separator, MSH-2 the encoding characters as they stand),
 * repetition rep (0-based), component comp and subcomponent sub
 * (1-based), unescaped into out.  Its length (0 for an empty value), -1
 * when the message does not have it, -2 when it does not fit outsz (out
 * then "", never a cut value).
 */
int	hl7v2_get(const struct hl7v2_msg *, const char *name, size_t occ,
	    int field, int rep, int comp, int sub, char *out, size_t outsz);
/* How many repetitions field of the occ-th segment name has (0: none or
 * empty). */
size_t	hl7v2_nrep(const struct hl7v2_msg *, const char *name, size_t occ,
	    int field);

/*
 * An original-mode acknowledgment of req (NULL when the message could not
 * be parsed: the MSH fields are then left empty) into out: MSH (sender
 * and receiver swapped, MSH-9 ACK^<event>^ACK, MSH-10 control_id, the
 * version of req or 2.5), MSA (code: AA, AE or AR; MSA-2 the control id
 * of req; MSA-3 text when given), and ERR (2.5: location, err_code^text
 * of table 0357, severity E) when err_code is given.  now is an HL7 DTM.
 * Values are escaped for the standard encoding characters; segments end
 * with CR.
 */
struct hl7v2_ack {
	const char	*code;		/* HL7_ACK_* */
	const char	*err_code;	/* HL7_ERR_*, or NULL */
	const char	*err_loc;	/* "PID^1^3", or NULL */
	const char	*text;		/* or NULL */
	const char	*control_id;
	const char	*now;
};
int	hl7v2_write_ack(const struct hl7v2_msg *req,
	    const struct hl7v2_ack *, struct buf *out);

#endif
