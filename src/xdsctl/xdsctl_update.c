/*
 * xdsctl_update.c: ITI-57 Update Document Set (the registry's Metadata
 * Update option) from the command line: update FILE... sends the
 * SubmitObjectsRequests in the files; deprecate and approve ENTRYUUID...
 * change the availabilityStatus of document entries, each with a
 * SubmissionSet of its own that carries an UpdateAvailabilityStatus
 * association (the patient and the status it has now are asked of the
 * registry first, with GetDocuments).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "buf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "soap.h"
#include "soap_peer.h"
#include "str.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

#define UPD_BODY_MAX	(64 * 1024)
#define UPD_UID_SZ	65

int
ctl_update(struct ctl *ctl, int argc, char **argv)
{
	return ctl_submit_files(ctl, argc, argv, ACT_ITI57, "update");
}

/* What the registry holds of one document entry. */
struct entry {
	char	 status[128];
	char	 patient[256];
};

/* GetDocuments of uuid: its status and patient.  0, or -1 (printed).
 * $MetadataLevel 2: an older version is found too (and refused by the
 * registry with the error that says why). */
static int
entry_of(struct ctl *ctl, const char *uuid, struct entry *e)
{
	struct soap_call c;
	struct buf q;
	xmlNode *eo, *ei;
	const char *v;
	int rc = -1;

	memset(e, 0, sizeof *e);
	buf_init(&q, UPD_BODY_MAX);
	if (buf_addf(&q, "<query:AdhocQueryRequest xmlns:query=\"%s\" "
	    "xmlns:rim=\"%s\"><query:ResponseOption returnComposedObjects="
	    "\"true\" returnType=\"LeafClass\"/><rim:AdhocQuery id=\"%s\">"
	    "<rim:Slot name=\"$XDSDocumentEntryEntryUUID\"><rim:ValueList>"
	    "<rim:Value>('%s')</rim:Value></rim:ValueList></rim:Slot>"
	    "<rim:Slot name=\"%s\"><rim:ValueList><rim:Value>2</rim:Value>"
	    "</rim:ValueList></rim:Slot>"
	    "</rim:AdhocQuery></query:AdhocQueryRequest>", NS_QUERY, NS_RIM,
	    SQ_GETDOCUMENTS, uuid, SQP_METADATALEVEL) != XDS_OK) {
		buf_free(&q);
		return -1;
	}
	if (ctl_registry_call(ctl, ACT_ITI18, buf_str(&q), &c) != 0)
		goto out;
	if ((eo = xml_find(c.ans.body, NS_RIM, "ExtrinsicObject")) == NULL) {
		fprintf(stderr, "xdsctl: %s: no such document entry in the "
		    "registry\n", uuid);
		goto out;
	}
	str_lcpy(e->status, (v = xml_attr(eo, "status")) != NULL ? v : "",
	    sizeof e->status);
	for (ei = xml_first_elem(eo); ei != NULL; ei = xml_next_elem(ei))
		if (xml_is(ei, NS_RIM, "ExternalIdentifier") &&
		    (v = xml_attr(ei, "identificationScheme")) != NULL &&
		    strcmp(v, EI_DE_PATIENTID) == 0 &&
		    (v = xml_attr(ei, "value")) != NULL)
			str_lcpy(e->patient, v, sizeof e->patient);
	if (e->status[0] == '\0' || e->patient[0] == '\0') {
		fprintf(stderr, "xdsctl: %s: the registry's answer has no "
		    "status or patient id\n", uuid);
		goto out;
	}
	rc = 0;
out:
	soap_call_free(&c);
	buf_free(&q);
	return rc;
}

/* The ITI-57 body: a SubmissionSet for e's patient and the association
 * that changes uuid's status from e->status to status. */
static int
status_body(const struct ctl *ctl, const char *uuid, const struct entry *e,
    const char *status, struct buf *b)
{
	const struct conf *cf = &ctl->conf;
	struct rim_code ctt;
	char	 ss[SOAP_UUID_LEN], cid[SOAP_UUID_LEN], aid[SOAP_UUID_LEN];
	char	 uid[UPD_UID_SZ], now[16];
	time_t	 t = time(NULL);
	struct tm tm;
	int	 rc;

	if (rim_code_parse(cf->affinity_content_type_code, &ctt) != 0) {
		fprintf(stderr, "xdsctl: affinity.content_type_code is not "
		    "code^display^scheme\n");
		return -1;
	}
	if (soap_uuid(ss, sizeof ss) != 0 || soap_uuid(cid, sizeof cid) != 0 ||
	    soap_uuid(aid, sizeof aid) != 0 ||
	    ctl_new_uid(cf->affinity_uid_root, uid, sizeof uid) != 0 ||
	    gmtime_r(&t, &tm) == NULL ||
	    strftime(now, sizeof now, "%Y%m%d%H%M%S", &tm) == 0) {
		fprintf(stderr, "xdsctl: cannot make the update's ids\n");
		return -1;
	}
	rc = buf_addf(b, "<lcm:SubmitObjectsRequest xmlns:lcm=\"%s\" "
	    "xmlns:rim=\"%s\"><rim:RegistryObjectList>"
	    "<rim:RegistryPackage id=\"%s\">", NS_LCM, NS_RIM, ss);
	rc |= rim_put_slot(b, SLOT_SUBMISSIONTIME, now, NULL);
	rc |= rim_put_name(b, "xdsctl status change");
	rc |= rim_put_code(b, ss, CS_SS_CONTENTTYPE, &ctt);
	rc |= rim_put_extid(b, ss, EI_SS_UNIQUEID, uid, EIN_SS_UNIQUEID);
	rc |= rim_put_extid(b, ss, EI_SS_SOURCEID, cf->affinity_source_id,
	    EIN_SS_SOURCEID);
	rc |= rim_put_extid(b, ss, EI_SS_PATIENTID, e->patient,
	    EIN_SS_PATIENTID);
	rc |= buf_addf(b, "</rim:RegistryPackage><rim:Classification id=\"%s\" "
	    "classifiedObject=\"%s\" classificationNode=\"%s\"/>"
	    "<rim:Association id=\"%s\" associationType=\"%s\" "
	    "sourceObject=\"%s\" targetObject=\"", cid, ss, NODE_SUBMISSIONSET,
	    aid, AT_UPDATESTATUS, ss);
	rc |= buf_add_xml(b, uuid);
	rc |= buf_adds(b, "\">");
	rc |= rim_put_slot(b, SLOT_ORIGINALSTATUS, e->status, NULL);
	rc |= rim_put_slot(b, SLOT_NEWSTATUS, status, NULL);
	rc |= buf_adds(b, "</rim:Association></rim:RegistryObjectList>"
	    "</lcm:SubmitObjectsRequest>");
	return rc == 0 ? 0 : -1;
}

int
ctl_set_status(struct ctl *ctl, int argc, char **argv, const char *status)
{
	const char *cmd = strcmp(status, STATUS_APPROVED) == 0 ? "approve" :
	    "deprecate";
	int	 i, bad = 0;

	if (argc < 1) {
		fprintf(stderr, "usage: xdsctl %s ENTRYUUID...\n", cmd);
		return 2;
	}
	for (i = 0; i < argc; i++) {
		struct soap_call c;
		struct entry e;
		struct buf b;

		if (hl7_uuid_valid(argv[i], strlen(argv[i])) != 0) {
			fprintf(stderr, "xdsctl: %s is not a urn:uuid: "
			    "entryUUID\n", argv[i]);
			bad = 1;
			continue;
		}
		if (entry_of(ctl, argv[i], &e) != 0) {
			bad = 1;
			continue;
		}
		buf_init(&b, UPD_BODY_MAX);
		if (status_body(ctl, argv[i], &e, status, &b) != 0) {
			fprintf(stderr, "xdsctl: %s: cannot build the update\n",
			    argv[i]);
			bad = 1;
		} else if (ctl_registry_call(ctl, ACT_ITI57, buf_str(&b),
		    &c) != 0) {
			soap_call_free(&c);
			bad = 1;
		} else {
			bad |= ctl_registry_response(ctl, c.ans.body, argv[i]);
			soap_call_free(&c);
		}
		buf_free(&b);
	}
	return bad;
}
