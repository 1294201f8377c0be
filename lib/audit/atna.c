/*
 * atna.c: ATNA audit messages (see atna.h).
 *
 * One row per IHE transaction: the EventID and EventActionCode of the
 * side that answered and of the side that asked, the EventTypeCode's
 * display name and what the transaction's object is (ITI TF-2 "Security
 * Considerations" of each transaction; RAD TF-3 for RAD-68/69/75).
 * Values from the wire are written with control characters replaced,
 * so that every message is well-formed XML 1.0.
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>

#include "atna.h"
#include "buf.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"

#define ATNA_DETAIL_MAX	256	/* longest detail value before base64 */
#define ATNA_QUERY_MAX	512	/* longest query text before base64 */

enum atna_obj {
	OBJ_SUBSET,	/* SubmissionSet uniqueId */
	OBJ_QUERY,	/* stored query id */
	OBJ_DOC,	/* DocumentUniqueId (SOP Instance UID for RAD) */
	OBJ_REF,	/* entryUUID of a removed object */
	OBJ_STUDY,	/* Study Instance UID */
	OBJ_HL7,	/* HL7 v2 MSH-10, a detail of the patient (ITI-8) */
	OBJ_LOCQ,	/* the PatientLocationQueryRequest (ITI-56) */
};

struct atna_event {
	const char	*txn;
	const char	*name;		/* EventTypeCode originalText */
	const char	*srv_id;	/* EventID when the node answered */
	char		 srv_act;
	const char	*cli_id;	/* EventID when the node asked */
	char		 cli_act;
	enum atna_obj	 srv_obj, cli_obj;
	int		 xca;		/* a homeCommunityId belongs to it */
};

static const struct atna_event atna_events[] = {
	{ TXN_ITI18, "Registry Stored Query", ATNA_EV_QUERY, 'E',
	  ATNA_EV_QUERY, 'E', OBJ_QUERY, OBJ_QUERY, 0 },
	{ TXN_ITI38, "Cross Gateway Query", ATNA_EV_QUERY, 'E',
	  ATNA_EV_QUERY, 'E', OBJ_QUERY, OBJ_QUERY, 1 },
	{ TXN_ITI39, "Cross Gateway Retrieve", ATNA_EV_EXPORT, 'R',
	  ATNA_EV_IMPORT, 'C', OBJ_DOC, OBJ_DOC, 1 },
	{ TXN_ITI41, "Provide and Register Document Set-b", ATNA_EV_IMPORT,
	  'C', ATNA_EV_EXPORT, 'R', OBJ_SUBSET, OBJ_SUBSET, 0 },
	{ TXN_ITI42, "Register Document Set-b", ATNA_EV_IMPORT, 'C',
	  ATNA_EV_EXPORT, 'R', OBJ_SUBSET, OBJ_SUBSET, 0 },
	{ TXN_ITI43, "Retrieve Document Set", ATNA_EV_EXPORT, 'R',
	  ATNA_EV_IMPORT, 'C', OBJ_DOC, OBJ_DOC, 0 },
	/* Mitz's open question (XCPD): the patient and the request. */
	{ TXN_ITI56, "Patient Location Query", ATNA_EV_QUERY, 'E',
	  ATNA_EV_QUERY, 'E', OBJ_LOCQ, OBJ_LOCQ, 0 },
	{ TXN_ITI57, "Update Document Set", ATNA_EV_PATIENT_RECORD, 'U',
	  ATNA_EV_PATIENT_RECORD, 'U', OBJ_SUBSET, OBJ_SUBSET, 0 },
	{ TXN_ITI62, "Remove Metadata", ATNA_EV_PATIENT_RECORD, 'D',
	  ATNA_EV_PATIENT_RECORD, 'D', OBJ_REF, OBJ_REF, 0 },
	{ TXN_ITI8, "Patient Identity Feed", ATNA_EV_PATIENT_RECORD, 'U',
	  ATNA_EV_PATIENT_RECORD, 'U', OBJ_HL7, OBJ_HL7, 0 },
	{ TXN_ITI86, "Remove Documents", ATNA_EV_PATIENT_RECORD, 'D',
	  ATNA_EV_PATIENT_RECORD, 'D', OBJ_DOC, OBJ_DOC, 0 },
	/* The bridge publishes a study: its object is the study. */
	{ TXN_RAD68, "Provide and Register Imaging Document Set - MTOM/XOP",
	  ATNA_EV_IMPORT, 'C', ATNA_EV_EXPORT, 'R', OBJ_SUBSET, OBJ_STUDY, 0 },
	{ TXN_RAD69, "Retrieve Imaging Document Set",
	  ATNA_EV_INSTANCES_TRANSFERRED, 'R', ATNA_EV_INSTANCES_ACCESSED, 'C',
	  OBJ_DOC, OBJ_DOC, 0 },
	{ TXN_RAD75, "Cross Gateway Retrieve Imaging Document Set",
	  ATNA_EV_INSTANCES_TRANSFERRED, 'R', ATNA_EV_INSTANCES_ACCESSED, 'C',
	  OBJ_DOC, OBJ_DOC, 1 },
	/* A study pushed to another organisation (the node asked: Export)
	 * or from one (push.listen answered: Import); the study is the
	 * object. */
	{ TXN_DICOM_PUSH, "DICOM Study Push", ATNA_EV_IMPORT, 'C',
	  ATNA_EV_EXPORT, 'R', OBJ_STUDY, OBJ_STUDY, 0 },
};

static const char *
event_name(const char *code)
{
	if (strcmp(code, ATNA_EV_INSTANCES_ACCESSED) == 0)
		return "DICOM Instances Accessed";
	if (strcmp(code, ATNA_EV_INSTANCES_TRANSFERRED) == 0)
		return "DICOM Instances Transferred";
	if (strcmp(code, ATNA_EV_EXPORT) == 0)
		return "Export";
	if (strcmp(code, ATNA_EV_IMPORT) == 0)
		return "Import";
	if (strcmp(code, ATNA_EV_PATIENT_RECORD) == 0)
		return "Patient Record";
	return "Query";
}

/* s as XML text or attribute value, control characters as '?'. */
static int
xml_text(struct buf *b, const char *s)
{
	char clean[1024];
	size_t i;

	str_lcpy(clean, s != NULL ? s : "", sizeof clean);
	for (i = 0; clean[i] != '\0'; i++)
		if ((unsigned char)clean[i] < 0x20 || clean[i] == 0x7f)
			clean[i] = '?';
	return buf_add_xml(b, clean);
}

/* name="value" with a leading space; nothing when value is empty. */
static int
attr(struct buf *b, const char *name, const char *value)
{
	int rc;

	if (value == NULL || value[0] == '\0')
		return XDS_OK;
	if ((rc = buf_addf(b, " %s=\"", name)) != XDS_OK ||
	    (rc = xml_text(b, value)) != XDS_OK)
		return rc;
	return buf_adds(b, "\"");
}

/* An attribute the schema requires: "-" when there is no value. */
static int
attr_req(struct buf *b, const char *name, const char *value)
{
	return attr(b, name, value != NULL && value[0] != '\0' ? value : "-");
}

/* <elem csd-code=".." codeSystemName=".." originalText=".."/> */
static int
coded(struct buf *b, const char *elem, const char *code, const char *cs,
    const char *text)
{
	int rc;

	if ((rc = buf_addf(b, "<%s", elem)) != XDS_OK ||
	    (rc = attr(b, "csd-code", code)) != XDS_OK ||
	    (rc = attr(b, "codeSystemName", cs)) != XDS_OK ||
	    (rc = attr(b, "originalText", text)) != XDS_OK)
		return rc;
	return buf_adds(b, "/>");
}

/* <ParticipantObjectDetail type=".." value="base64"/> */
static int
detail(struct buf *b, const char *type, const char *value)
{
	unsigned char enc[4 * (ATNA_DETAIL_MAX / 3) + 8];
	size_t n = strlen(value);
	int rc;

	if (n == 0)
		return XDS_OK;
	if (n > ATNA_DETAIL_MAX)
		return XDS_ETOOBIG;
	EVP_EncodeBlock(enc, (const unsigned char *)value, (int)n);
	if ((rc = buf_adds(b, "<ParticipantObjectDetail")) != XDS_OK ||
	    (rc = attr(b, "type", type)) != XDS_OK ||
	    (rc = attr(b, "value", (const char *)enc)) != XDS_OK)
		return rc;
	return buf_adds(b, "/>");
}

static int
participant(struct buf *b, const char *user, const char *alt,
    const char *name, int requestor, const char *role, const char *role_text,
    const char *nap)
{
	int rc;

	if ((rc = buf_adds(b, "<ActiveParticipant")) != XDS_OK ||
	    (rc = attr_req(b, "UserID", user)) != XDS_OK ||
	    (rc = attr(b, "AlternativeUserID", alt)) != XDS_OK ||
	    (rc = attr(b, "UserName", name)) != XDS_OK ||
	    (rc = buf_addf(b, " UserIsRequestor=\"%s\"",
	    requestor ? "true" : "false")) != XDS_OK)
		return rc;
	if (nap != NULL && nap[0] != '\0' &&
	    ((rc = attr(b, "NetworkAccessPointID", nap)) != XDS_OK ||
	    (rc = buf_addf(b, " NetworkAccessPointTypeCode=\"%c\"",
	    strspn(nap, "0123456789.:abcdefABCDEF") == strlen(nap) ?
	    '2' : '1')) != XDS_OK))
		return rc;
	if (role == NULL)
		return buf_adds(b, "/>");
	if ((rc = buf_adds(b, ">")) != XDS_OK ||
	    (rc = coded(b, "RoleIDCode", role, ATNA_CS_DCM, role_text)) !=
	    XDS_OK)
		return rc;
	return buf_adds(b, "</ActiveParticipant>");
}

/* The host of a URL (scheme://host[:port]/...), or "". */
static void
url_host(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://"), *e;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 3;
	if (*p == '[') {
		e = strchr(++p, ']');
	} else
		e = p + strcspn(p, ":/");
	if (e != NULL && (size_t)(e - p) < outsz) {
		memcpy(out, p, (size_t)(e - p));
		out[e - p] = '\0';
	}
}

static int
participants(struct buf *b, const struct xact *x, int server,
    const struct atna_site *s)
{
	char pid[24], host[256];
	int rc, local;

	str_fmt(pid, sizeof pid, "%ld", s->pid);
	/* An exchange between actors of this node (the repository's
	 * ITI-42 to its own registry) has the address "local": both ends
	 * are the node. */
	local = strcmp(x->peer_addr, "local") == 0;
	if (server && local) {
		if ((rc = participant(b, s->source_id, pid, NULL, 1,
		    ATNA_ROLE_SOURCE, "Source Role ID", s->host)) != XDS_OK ||
		    (rc = participant(b, x->endpoint, pid, NULL, 0,
		    ATNA_ROLE_DESTINATION, "Destination Role ID", s->host)) !=
		    XDS_OK)
			return rc;
	} else if (server) {
		/* The peer asked: its certificate names it (and its
		 * organisation, when the node named it: an XDR sender);
		 * the node's endpoint is the destination. */
		if ((rc = participant(b, x->peer, NULL, x->org[0] != '\0' ?
		    x->org : NULL, 1, ATNA_ROLE_SOURCE,
		    "Source Role ID", x->peer_addr)) != XDS_OK ||
		    (rc = participant(b, x->endpoint, pid, NULL, 0,
		    ATNA_ROLE_DESTINATION, "Destination Role ID", s->host)) !=
		    XDS_OK)
			return rc;
	} else {
		if (local)
			str_lcpy(host, s->host != NULL ? s->host : "",
			    sizeof host);
		else
			url_host(x->peer, host, sizeof host);
		/* The node asked: it is the source and the requestor,
		 * the endpoint asked the destination (named by its
		 * organisation when the node knows it: another
		 * community). */
		if ((rc = participant(b, s->source_id, pid, NULL, 1,
		    ATNA_ROLE_SOURCE, "Source Role ID", s->host)) != XDS_OK ||
		    (rc = participant(b, x->peer, NULL, x->org[0] != '\0' ?
		    x->org : NULL, 0, ATNA_ROLE_DESTINATION,
		    "Destination Role ID", host)) != XDS_OK)
			return rc;
	}
	/*
	 * The human requestor: the one who asked on whose behalf.  The
	 * professional an X-User Assertion names (xact.user, verified at
	 * the responding gateway, taken from the consumer at the
	 * initiating one, also on its own requests to other communities)
	 * when there is one; else the client certificate's
	 * subject (organisation and person or system) is who is known.
	 */
	if ((server || x->outbound) && x->user[0] != '\0')
		return participant(b, x->user, NULL, NULL, 1, NULL, NULL,
		    NULL);
	if (server && !local && strcmp(x->peer, "anonymous") != 0 &&
	    x->peer[0] != '\0')
		return participant(b, x->peer, NULL, NULL, 1, NULL, NULL,
		    NULL);
	return XDS_OK;
}

/*
 * A participant object up to its details.  The schema (PS3.15 A.5.1.1)
 * requires a ParticipantObjectName or a ParticipantObjectQuery in each;
 * the node knows its objects by their ids only (no patient name, no
 * document title, and not the query's text yet), so the name is the id.
 */
static int
object_open(struct buf *b, const char *id, int type, int role,
    const char *code, const char *cs, const char *text)
{
	int rc;

	if ((rc = buf_adds(b, "<ParticipantObjectIdentification")) != XDS_OK ||
	    (rc = attr(b, "ParticipantObjectID", id)) != XDS_OK ||
	    (rc = buf_addf(b, " ParticipantObjectTypeCode=\"%d\" "
	    "ParticipantObjectTypeCodeRole=\"%d\">", type, role)) != XDS_OK ||
	    (rc = coded(b, "ParticipantObjectIDTypeCode", code, cs, text)) !=
	    XDS_OK ||
	    (rc = buf_adds(b, "<ParticipantObjectName>")) != XDS_OK ||
	    (rc = xml_text(b, id)) != XDS_OK)
		return rc;
	return buf_adds(b, "</ParticipantObjectName>");
}

/*
 * The ITI-56 query parameters: its id the request's wsa:MessageID, its
 * ParticipantObjectQuery the PatientLocationQueryRequest in base64.  The
 * request is a function of the patient id alone (RequestedPatientId of
 * the BSN, as mitz_loc.c builds it), so it is written again here from
 * the recorded CX id, ID^^^&OID&ISO, instead of being kept in the log.
 */
static int
location_query(struct buf *b, const struct xact *x)
{
	unsigned char enc[4 * (ATNA_QUERY_MAX / 3) + 8];
	char id[64], oid[128], q[ATNA_QUERY_MAX];
	const char *p, *e;
	size_t n;
	int rc;

	n = strcspn(x->patient, "^");
	if (n == 0 || n >= sizeof id || strncmp(x->patient + n, "^^^&", 4) != 0)
		return XDS_OK;		/* not a CX id: no query to show */
	memcpy(id, x->patient, n);
	id[n] = '\0';
	p = x->patient + n + 4;
	if ((e = strchr(p, '&')) == NULL || (size_t)(e - p) >= sizeof oid)
		return XDS_OK;
	memcpy(oid, p, (size_t)(e - p));
	oid[e - p] = '\0';
	if (strspn(id, "0123456789") != strlen(id) ||
	    strspn(oid, "0123456789.") != strlen(oid))
		return XDS_OK;		/* nothing to escape in either */
	if (str_fmt(q, sizeof q, "<PatientLocationQueryRequest xmlns=\""
	    NS_XCPD "\"><RequestedPatientId root=\"%s\" extension=\"%s\"%s"
	    "/></PatientLocationQueryRequest>", oid, id,
	    strcmp(oid, OID_BSN) == 0 ? " assigningAuthorityName=\""
	    DICOM_ISSUER_BSN "\"" : "") < 0)
		return XDS_ETOOBIG;
	EVP_EncodeBlock(enc, (const unsigned char *)q, (int)strlen(q));
	if ((rc = buf_adds(b, "<ParticipantObjectIdentification")) != XDS_OK ||
	    (rc = attr_req(b, "ParticipantObjectID", x->message_id)) !=
	    XDS_OK ||
	    (rc = buf_adds(b, " ParticipantObjectTypeCode=\"2\" "
	    "ParticipantObjectTypeCodeRole=\"24\">")) != XDS_OK ||
	    (rc = coded(b, "ParticipantObjectIDTypeCode", TXN_ITI56,
	    ATNA_CS_IHE, "Patient Location Query")) != XDS_OK ||
	    (rc = buf_adds(b, "<ParticipantObjectQuery>")) != XDS_OK ||
	    (rc = buf_adds(b, (const char *)enc)) != XDS_OK)
		return rc;
	return buf_adds(b, "</ParticipantObjectQuery>"
	    "</ParticipantObjectIdentification>");
}

static int
objects(struct buf *b, const struct xact *x, const struct atna_event *ev,
    int server, const struct atna_site *s)
{
	enum atna_obj kind = server ? ev->srv_obj : ev->cli_obj;
	const char *hcid = !server ? x->community :
	    s->home_community_id != NULL ? s->home_community_id : "";
	int rc;

	if (x->patient[0] != '\0' &&
	    ((rc = object_open(b, x->patient, 1, 1, ATNA_ID_PATIENT,
	    ATNA_CS_RFC3881, "Patient Number")) != XDS_OK ||
	    (kind == OBJ_HL7 && x->object[0] != '\0' &&
	    (rc = detail(b, ATNA_DETAIL_MSH10, x->object)) != XDS_OK) ||
	    (rc = buf_adds(b, "</ParticipantObjectIdentification>")) !=
	    XDS_OK))
		return rc;
	if (kind == OBJ_LOCQ)
		return location_query(b, x);
	if (x->object[0] == '\0' || kind == OBJ_HL7)
		return XDS_OK;
	switch (kind) {
	case OBJ_SUBSET:
		rc = object_open(b, x->object, 2, 20, NODE_SUBMISSIONSET,
		    ATNA_CS_XDS, "submission set classificationNode");
		if (rc == XDS_OK && ev->xca)
			rc = detail(b, ATNA_DETAIL_HCID, hcid);
		break;
	case OBJ_QUERY:
		rc = object_open(b, x->object, 2, 24, ev->txn, ATNA_CS_IHE,
		    ev->name);
		if (rc == XDS_OK && ev->xca)
			rc = detail(b, ATNA_DETAIL_XCA_HCID, hcid);
		break;
	case OBJ_DOC:
		rc = object_open(b, x->object, 2, 3, ATNA_ID_REPORT,
		    ATNA_CS_RFC3881, "Report Number");
		if (rc == XDS_OK && server && s->repository_uid != NULL &&
		    !ev->xca)
			rc = detail(b, ATNA_DETAIL_REPOSITORY,
			    s->repository_uid);
		if (rc == XDS_OK && ev->xca)
			rc = detail(b, ATNA_DETAIL_HCID, hcid);
		break;
	case OBJ_REF:
		rc = object_open(b, x->object, 2, 3, ATNA_ID_OBJECTREF,
		    ATNA_CS_XDS, "registry object reference");
		break;
	case OBJ_STUDY:
		rc = object_open(b, x->object, 2, 3, ATNA_ID_STUDY,
		    ATNA_CS_DCM, "Study Instance UID");
		break;
	case OBJ_HL7:
	case OBJ_LOCQ:
		break;
	}
	if (rc != XDS_OK)
		return rc;
	return buf_adds(b, "</ParticipantObjectIdentification>");
}

int
atna_message(const struct xact *x, const char *when,
    const struct atna_site *s, struct buf *out)
{
	const struct atna_event *ev = NULL;
	const char *id;
	size_t i;
	int server, outcome, rc;

	for (i = 0; i < sizeof atna_events / sizeof atna_events[0]; i++)
		if (strcmp(x->txn, atna_events[i].txn) == 0)
			ev = &atna_events[i];
	if (ev == NULL)
		return XDS_ENOTFOUND;
	server = x->endpoint[0] == '/' && !x->outbound;
	id = server ? ev->srv_id : ev->cli_id;
	outcome = x->outcome == XACT_SUCCESS ? 0 :
	    x->outcome == XACT_PARTIAL ? 4 : 8;
	if ((rc = buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<AuditMessage><EventIdentification")) != XDS_OK ||
	    (rc = buf_addf(out, " EventActionCode=\"%c\"",
	    server ? ev->srv_act : ev->cli_act)) != XDS_OK ||
	    (rc = attr(out, "EventDateTime", when)) != XDS_OK ||
	    (rc = buf_addf(out, " EventOutcomeIndicator=\"%d\">", outcome)) !=
	    XDS_OK ||
	    (rc = coded(out, "EventID", id, ATNA_CS_DCM, event_name(id))) !=
	    XDS_OK ||
	    (rc = coded(out, "EventTypeCode", ev->txn, ATNA_CS_IHE,
	    ev->name)) != XDS_OK ||
	    (rc = buf_adds(out, "</EventIdentification>")) != XDS_OK ||
	    (rc = participants(out, x, server, s)) != XDS_OK ||
	    (rc = buf_adds(out, "<AuditSourceIdentification")) != XDS_OK ||
	    (rc = attr(out, "AuditEnterpriseSiteID", s->site_id)) != XDS_OK ||
	    (rc = attr_req(out, "AuditSourceID", s->source_id)) != XDS_OK ||
	    (rc = buf_adds(out, ">")) != XDS_OK ||
	    (rc = coded(out, "AuditSourceTypeCode", ATNA_SOURCE_APP_SERVER,
	    ATNA_CS_DCM, "Application Server Process")) != XDS_OK ||
	    (rc = buf_adds(out, "</AuditSourceIdentification>")) != XDS_OK ||
	    (rc = objects(out, x, ev, server, s)) != XDS_OK)
		return rc;
	return buf_adds(out, "</AuditMessage>");
}
