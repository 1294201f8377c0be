/*
 * check.h: what a captured IHE message is and what is wrong with it, the
 * checks of `xdsctl validate` and `xdsctl proxy` (pure: no I/O, no
 * network; the compiled-in schemas are the only data).
 *
 * A message is given as the bytes someone captured: a bare body element,
 * a SOAP 1.2 envelope, an MTOM/XOP multipart/related body, any of those
 * behind the HTTP head they came with (a proxy's or Wireshark's "follow
 * stream"; Transfer-Encoding chunked is undone), an ATNA audit message
 * (bare or behind its RFC 5424 syslog header), a SAML 2.0 assertion, or
 * a DICOM file (a Key Object Selection manifest).
 *
 * chk_message finds out what it is (root element, wsa:Action, content)
 * and reports findings, each with a rule id (the list is in xdsctl(1)),
 * a severity, the IHE error code where one applies and an XPath-like
 * location:
 *   framing    FRAME-HTTP, FRAME-MIME, FRAME-XML, FRAME-TYPE
 *   packaging  SOAP-VERSION, SOAP-ENV, WSA-ACTION, WSA-MSGID, WSA-TO,
 *              WSA-RELATES, MTOM-REQUIRED, MTOM-ROOT, MTOM-XOP
 *   schema     XSD (the message schemas of lib/soap/schema), ATNA-RNG
 *              (DICOM PS3.15 A.5, check/schema)
 *   metadata   META (registry/validate.c), PNR-DOC, SQ (registry's
 *              stored query parameters), RSP-STATUS, RSP-ERRLIST,
 *              RSP-ERROR, RSP-OBJECT, XCA-HOME, RET-REQ, RET-RSP,
 *              RAD-REQ, DEL-REQ
 *   XUA        XUA-VERSION, XUA-ID, XUA-ISSUER, XUA-SUBJECT,
 *              XUA-CONDITIONS, XUA-AUTHN, XUA-SIGNATURE (structure and
 *              the signature's reference; not its value: no trust store)
 *   KOS        KOS-DICOM, KOS-SOPCLASS, KOS-TITLE, KOS-TEMPLATE,
 *              KOS-EVIDENCE, KOS-RETRIEVE, KOS-CONTENT
 *
 * Use: chk_init() once; then per message chk_report_init(&r),
 * chk_message(buf, len, &opts, &r), read r (or chk_report_json), and
 * chk_report_free(&r).  Thread-safe after chk_init().
 */
#ifndef XDS_CHECK_H
#define XDS_CHECK_H

#include <stddef.h>

#include "status.h"

struct buf;

enum chk_sev {
	CHK_ERROR = 0,
	CHK_WARNING,
	CHK_INFO,
};

#define CHK_MAX_FINDINGS	500	/* kept per message; counted past it */

struct chk_finding {
	char		rule[24];	/* "WSA-ACTION" */
	enum chk_sev	sev;
	char		code[64];	/* IHE/XDS error or SOAP fault code, or "" */
	char		loc[256];	/* "/soap:Envelope/soap:Header", or "" */
	char		text[512];
};

struct chk_report {
	char	kind[16];	/* "ITI-41", "XUA", "ATNA", "KOS", "SOAP-Fault";
				   "" when unknown */
	char	message[64];	/* the body element's local name, or
				   "KeyObjectSelection" */
	int	response;	/* 1 an answer, 0 a request, -1 neither */
	char	action[256];	/* wsa:Action, "" when none */
	char	packaging[8];	/* "bare", "soap", "mtom", "dicom", "" */
	struct chk_finding *v;
	size_t	n, cap;
	size_t	nerrors, nwarnings;	/* all, also those not kept */
	int	nomem;
};

struct chk_opts {
	/* The HTTP Content-Type when the caller has it apart from the bytes
	 * (the proxy), else NULL: then taken from an HTTP head in front,
	 * or guessed from the first bytes. */
	const char	*content_type;
	/* registry.patient_ids = bsn: patient ids must be BSNs (META). */
	int		 bsn_patients;
};

/* Once, in main() before threads (after xml_init()): compiles the
 * schemas.  XDS_OK or XDS_EINTERNAL with a reason. */
int	chk_init(char *err, size_t errlen);

void	chk_report_init(struct chk_report *);
void	chk_report_free(struct chk_report *);

/*
 * Check the len bytes of one captured message into r (chk_report_init'ed).
 * Everything wrong with the message is a finding; XDS_OK, or XDS_ENOMEM
 * (r->nomem, findings incomplete).
 */
int	chk_message(const char *buf, size_t len, const struct chk_opts *o,
	    struct chk_report *r);

/* "error", "warning", "info". */
const char *chk_sev_name(enum chk_sev);

/*
 * r as one JSON object appended to out: {"file", "kind", "message",
 * "direction" ("request", "response" or ""), "action", "packaging",
 * "errors", "warnings", "findings": [{"rule", "severity", "code",
 * "location", "text"}]}; name (a file name) may be NULL (then "file" is
 * null).  XDS_OK, XDS_ENOMEM or XDS_ETOOBIG.
 */
int	chk_report_json(const struct chk_report *r, const char *name,
	    struct buf *out);

#endif
