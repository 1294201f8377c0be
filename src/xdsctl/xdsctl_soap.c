/*
 * xdsctl_soap.c: the subcommands that speak SOAP to a registry:
 * submit (ITI-42), query (ITI-18) and delete (ITI-62), and the calls
 * xdsctl_update.c shares (ITI-57).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "buf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "query.h"
#include "soap_peer.h"
#include "str.h"
#include "validate.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

/* Print the RegistryErrorList under n; returns the number of errors. */
static int
print_errors(struct ctl *ctl, xmlNode *n)
{
	xmlNode *list = xml_find(n, NS_RS, "RegistryErrorList"), *e;
	int nerr = 0;

	if (list == NULL)
		return 0;
	for (e = xml_first_elem(list); e != NULL; e = xml_next_elem(e)) {
		const char *sev = xml_attr(e, "severity");
		int warn = sev && strcmp(sev, SEV_WARNING) == 0;

		if (!warn)
			nerr++;
		if (!ctl->json)
			fprintf(stderr, "%s %s: %s%s%s\n", warn ? "warning" : "error",
			    xml_attr(e, "errorCode") ? xml_attr(e, "errorCode") : "?",
			    xml_attr(e, "codeContext") ? xml_attr(e, "codeContext") : "",
			    xml_attr(e, "location") ? " at " : "",
			    xml_attr(e, "location") ? xml_attr(e, "location") : "");
	}
	return nerr;
}

int
ctl_registry_call(struct ctl *ctl, const char *action, const char *body_xml,
    struct soap_call *c)
{
	soap_call_init(c, action, PACK_SIMPLE);
	c->req.body_xml = body_xml;
	c->req.bounds.timeout = CTL_TIMEOUT;
	return ctl_call(ctl, ctl->url, c);
}

int
ctl_registry_response(struct ctl *ctl, xmlNode *rr, const char *what)
{
	const char *st;
	int nerr;

	if (rr == NULL || !xml_is(rr, NS_RS, "RegistryResponse")) {
		fprintf(stderr, "xdsctl: %s: no RegistryResponse in the answer\n", what);
		return 1;
	}
	st = xml_attr(rr, "status");
	nerr = print_errors(ctl, rr);
	if (ctl->json)
		printf("{\"file\":\"%s\",\"status\":\"%s\"}\n", what, ctl_short_status(st));
	else
		printf("%s: %s\n", what, ctl_short_status(st));
	return st && strcmp(st, ST_SUCCESS) == 0 && nerr == 0 ? 0 : 1;
}

/*
 * The body to send from a file: a SOAP envelope (its Body child is taken),
 * an lcm:SubmitObjectsRequest, or a bare rim:RegistryObjectList (wrapped).
 */
static int
submit_body(const char *data, size_t len, struct buf *body, char *err,
    size_t errlen)
{
	xmlDoc *doc;
	xmlNode *root, *n;
	xmlBuffer *xb = NULL;
	int rc = -1;

	if ((doc = xml_parse(data, len, err, errlen)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	n = xml_find(root, NS_LCM, "SubmitObjectsRequest");
	if (n == NULL &&
	    (n = xml_find(root, NS_RIM, "RegistryObjectList")) == NULL) {
		str_fmt(err, errlen, "no lcm:SubmitObjectsRequest or "
		    "rim:RegistryObjectList (ebRIM 3.0) in the file");
		goto out;
	}
	if ((xb = xmlBufferCreate()) == NULL || xmlNodeDump(xb, doc, n, 0, 0) < 0) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if (xml_is(n, NS_RIM, "RegistryObjectList")) {
		if (buf_adds(body, "<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM
		    "\" xmlns:rim=\"" NS_RIM "\">") != XDS_OK)
			goto out;
	}
	if (buf_add(body, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)) != XDS_OK)
		goto out;
	if (xml_is(n, NS_RIM, "RegistryObjectList") &&
	    buf_adds(body, "</lcm:SubmitObjectsRequest>") != XDS_OK)
		goto out;
	rc = 0;
out:
	if (xb)
		xmlBufferFree(xb);
	xmlFreeDoc(doc);
	return rc;
}

int
ctl_submit(struct ctl *ctl, int argc, char **argv)
{
	return ctl_submit_files(ctl, argc, argv, ACT_ITI42, "submit");
}

int
ctl_submit_files(struct ctl *ctl, int argc, char **argv, const char *action,
    const char *cmd)
{
	int i, bad = 0;

	if (argc < 1) {
		fprintf(stderr, "usage: xdsctl %s FILE...\n", cmd);
		return 2;
	}
	for (i = 0; i < argc; i++) {
		struct soap_call c;
		struct buf body;
		char err[512];
		size_t len;
		char *data = ctl_read_file(argv[i], CTL_MAX_FILE, &len);

		if (data == NULL) {
			bad = 1;
			continue;
		}
		buf_init(&body, CTL_MAX_FILE + 4096);
		if (submit_body(data, len, &body, err, sizeof err) != 0) {
			fprintf(stderr, "xdsctl: %s: %s\n", argv[i], err);
			bad = 1;
		} else if (ctl_registry_call(ctl, action, buf_str(&body), &c) !=
		    0) {
			soap_call_free(&c);
			bad = 1;
		} else {
			bad |= ctl_registry_response(ctl, c.ans.body, argv[i]);
			soap_call_free(&c);
		}
		buf_free(&body);
		free(data);
	}
	return bad;
}

int
ctl_delete(struct ctl *ctl, int argc, char **argv)
{
	struct soap_call c;
	struct buf body;
	int i, rc = 1;

	if (argc < 1) {
		fprintf(stderr, "usage: xdsctl delete ENTRYUUID...\n");
		return 2;
	}
	soap_call_init(&c, ACT_ITI62, PACK_SIMPLE);
	buf_init(&body, 1024 * 1024);
	if (buf_adds(&body, "<lcm:RemoveObjectsRequest xmlns:lcm=\"" NS_LCM
	    "\" xmlns:rim=\"" NS_RIM "\"><rim:ObjectRefList>") != XDS_OK)
		goto out;
	for (i = 0; i < argc; i++) {
		if (hl7_uuid_valid(argv[i], strlen(argv[i])) != 0) {
			fprintf(stderr, "xdsctl: %s is not a urn:uuid: entryUUID\n",
			    argv[i]);
			goto out;
		}
		if (buf_addf(&body, "<rim:ObjectRef id=\"%s\"/>", argv[i]) != XDS_OK)
			goto out;
	}
	if (buf_adds(&body, "</rim:ObjectRefList></lcm:RemoveObjectsRequest>") !=
	    XDS_OK)
		goto out;
	if (ctl_registry_call(ctl, ACT_ITI62, buf_str(&body), &c) != 0)
		goto out;
	rc = ctl_registry_response(ctl, c.ans.body, "delete");
out:
	soap_call_free(&c);
	buf_free(&body);
	return rc;
}

/* Parameter name of the query's patient id, for the "patient=" shortcut. */
static const char *
patient_param(const char *qid)
{
	if (strcmp(qid, SQ_FINDSUBMISSIONSETS) == 0)
		return "$XDSSubmissionSetPatientId";
	if (strcmp(qid, SQ_FINDFOLDERS) == 0)
		return "$XDSFolderPatientId";
	if (strcmp(qid, SQ_GETALL) == 0)
		return "$patientId";
	return "$XDSDocumentEntryPatientId";
}

/* Append one slot; values quoted as ITI-18 codes single and multiple
 * values (times and $MetadataLevel are numbers, unquoted). */
static int
add_slot(struct buf *b, const char *name, const char *value)
{
	int single = strstr(name, "PatientId") != NULL ||
	    strcmp(name, "$patientId") == 0;
	int timev = strstr(name, "TimeFrom") != NULL ||
	    strstr(name, "TimeTo") != NULL ||
	    strcmp(name, SQP_METADATALEVEL) == 0;
	const char *p;
	int rc = 0;

	rc |= buf_adds(b, "<rim:Slot name=\"");
	rc |= buf_add_xml(b, name);
	rc |= buf_adds(b, "\"><rim:ValueList><rim:Value>");
	if (value[0] == '\'' || value[0] == '(' || timev)
		rc |= buf_add_xml(b, value);
	else {
		struct buf v;

		buf_init(&v, 65536);
		rc |= buf_adds(&v, single ? "'" : "('");
		for (p = value; *p; p++) {
			if (*p == '\'')
				rc |= buf_adds(&v, "''");
			else if (*p == ',' && !single)
				rc |= buf_adds(&v, "','");
			else
				rc |= buf_add(&v, p, 1);
		}
		rc |= buf_adds(&v, single ? "'" : "')");
		rc |= buf_add_xml(b, buf_str(&v));
		buf_free(&v);
	}
	rc |= buf_adds(b, "</rim:Value></rim:ValueList></rim:Slot>");
	return rc;
}

static void
json_str(const char *key, const char *v, int comma)
{
	const char *p;

	printf("%s\"%s\":\"", comma ? "," : "", key);
	for (p = v ? v : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* The uniqueId of a DocumentEntry, SubmissionSet or Folder, or NULL. */
static const struct rim_extid *
object_uid(const struct rim_list *l, const struct rim_object *o)
{
	if (o->kind == RIM_OBJECT_REF || o->kind == RIM_CLASSIFICATION)
		return NULL;
	switch (validate_kind(l, o)) {
	case XDS_DOCENTRY:
		return rim_extid(o, EI_DE_UNIQUEID);
	case XDS_SUBMISSIONSET:
		return rim_extid(o, EI_SS_UNIQUEID);
	case XDS_FOLDER:
		return rim_extid(o, EI_FOL_UNIQUEID);
	default:
		return NULL;
	}
}

static void
print_objects(struct ctl *ctl, const struct rim_list *l)
{
	static const char *kinds[] = { "?", "DocumentEntry", "SubmissionSet",
	    "Folder", "Association" };
	const struct rim_extid *e;
	size_t i, len;
	int nshown = 0, wid = 9, wuid = 8;

	/* The id and uniqueId columns as wide as their longest value: a
	 * symbolic id or a DICOM uniqueId is longer than the usual. */
	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *o = &l->obj[i];

		if (o->kind == RIM_CLASSIFICATION)
			continue;
		if ((len = strlen(o->id)) > (size_t)wid && len < 512)
			wid = (int)len;
		e = object_uid(l, o);
		if (e != NULL && (len = strlen(e->value)) > (size_t)wuid &&
		    len < 512)
			wuid = (int)len;
	}
	if (ctl->json)
		printf("[");
	else
		printf("%-14s %-*s %-*s %-10s %-14s %s\n", "KIND", wid,
		    "ENTRYUUID", wuid, "UNIQUEID", "STATUS", "TIME",
		    "TITLE / DETAIL");
	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *o = &l->obj[i];
		enum xds_kind k;
		const struct rim_extid *uid = NULL;
		const char *t = NULL, *kind, *detail;

		if (o->kind == RIM_CLASSIFICATION)
			continue;
		if (o->kind == RIM_OBJECT_REF) {
			kind = "ObjectRef";
		} else {
			k = validate_kind(l, o);
			kind = kinds[k <= XDS_ASSOCIATION ? k : 0];
			uid = object_uid(l, o);
			if (k == XDS_DOCENTRY)
				t = rim_slot1(o, SLOT_CREATIONTIME);
			else if (k == XDS_SUBMISSIONSET)
				t = rim_slot1(o, SLOT_SUBMISSIONTIME);
			else if (k == XDS_FOLDER)
				t = rim_slot1(o, SLOT_LASTUPDATETIME);
		}
		detail = o->kind == RIM_ASSOCIATION ? o->assoc_type : o->name;
		if (ctl->json) {
			printf("%s{", nshown ? "," : "");
			json_str("kind", kind, 0);
			json_str("id", o->id, 1);
			json_str("uniqueId", uid ? uid->value : "", 1);
			json_str("status", o->status ? o->status : "", 1);
			json_str("time", t, 1);
			json_str("title", o->name, 1);
			if (o->kind == RIM_ASSOCIATION) {
				json_str("type", o->assoc_type, 1);
				json_str("source", o->source, 1);
				json_str("target", o->target, 1);
			}
			if (o->mime_type)
				json_str("mimeType", o->mime_type, 1);
			printf("}");
		} else
			printf("%-14s %-*s %-*s %-10s %-14s %s\n", kind, wid,
			    o->id, wuid, uid ? uid->value : "-",
			    ctl_short_status(o->status),
			    t ? t : "-", detail ? ctl_short_status(detail) : "");
		nshown++;
	}
	if (ctl->json)
		printf("]\n");
	else
		printf("(%d object%s)\n", nshown, nshown == 1 ? "" : "s");
}

/* Status parameters a query requires, filled with Approved. */
static int
default_status(struct buf *b, const char *qid)
{
	int rc = XDS_OK;

	if (strcmp(qid, SQ_FINDDOCUMENTS) == 0 ||
	    strcmp(qid, SQ_FINDDOCSBYREFID) == 0 || strcmp(qid, SQ_GETALL) == 0)
		rc |= add_slot(b, "$XDSDocumentEntryStatus", STATUS_APPROVED);
	if (strcmp(qid, SQ_FINDSUBMISSIONSETS) == 0 || strcmp(qid, SQ_GETALL) == 0)
		rc |= add_slot(b, "$XDSSubmissionSetStatus", STATUS_APPROVED);
	if (strcmp(qid, SQ_FINDFOLDERS) == 0 || strcmp(qid, SQ_GETALL) == 0)
		rc |= add_slot(b, "$XDSFolderStatus", STATUS_APPROVED);
	return rc;
}

/* One key=value argument as a slot of the query qid ("patient=" is the
 * query's patient id parameter). */
static int
query_slot(struct buf *body, const char *qid, char *arg, int *have_status)
{
	char *eq = strchr(arg, '=');
	char cx[512], err[512], slotname[256];
	const char *name, *value;
	struct hl7_cx c;

	if (eq == NULL) {
		fprintf(stderr, "xdsctl: \"%s\": expected key=value\n", arg);
		return -1;
	}
	*eq = '\0';
	value = eq + 1;
	name = arg;
	if (strcmp(name, "returnType") == 0)
		return 0;
	if (strcmp(name, "patient") == 0) {
		if (strchr(value, '^') == NULL) {
			if (str_fmt(cx, sizeof cx, "%s^^^&%s&ISO", value,
			    OID_BSN) < 0)
				return -1;
		} else if (hl7_cx_parse(value, strlen(value), &c, err,
		    sizeof err) != 0 || hl7_cx_format(&c, cx, sizeof cx) != 0) {
			fprintf(stderr, "xdsctl: patient: %s\n", err);
			return -1;
		}
		name = patient_param(qid);
		value = cx;
	} else {
		if (str_fmt(slotname, sizeof slotname, "%s%s",
		    name[0] == '$' ? "" : "$", name) < 0)
			return -1;
		name = slotname;
	}
	if (strstr(name, "Status") != NULL)
		*have_status = 1;
	return add_slot(body, name, value) != XDS_OK ? -1 : 0;
}

/* The AdhocQueryRequest of query qid with the key=value arguments. */
static int
query_body(struct buf *body, const char *qid, int argc, char **argv)
{
	const char *rtype = "LeafClass";
	int i, have_status = 0;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "returnType=", 11) == 0)
			rtype = argv[i] + 11;
	if (buf_addf(body, "<query:AdhocQueryRequest xmlns:query=\"" NS_QUERY
	    "\" xmlns:rim=\"" NS_RIM "\"><query:ResponseOption returnType=\"")
	    != XDS_OK || buf_add_xml(body, rtype) != XDS_OK ||
	    buf_addf(body, "\" returnComposedObjects=\"true\"/>"
	    "<rim:AdhocQuery id=\"%s\">", qid) != XDS_OK)
		return -1;
	for (i = 1; i < argc; i++)
		if (query_slot(body, qid, argv[i], &have_status) != 0)
			return -1;
	/* The Find queries and GetAll require status: default to Approved. */
	if (!have_status && (default_status(body, qid) != XDS_OK))
		return -1;
	return buf_adds(body, "</rim:AdhocQuery></query:AdhocQueryRequest>") ==
	    XDS_OK ? 0 : -1;
}

int
ctl_query(struct ctl *ctl, int argc, char **argv)
{
	struct soap_call c;
	struct buf body;
	const char *qid;
	char err[512];
	xmlNode *resp, *list;
	struct rim_list l;
	int rc = 1;

	if (argc < 1) {
		fprintf(stderr, "usage: xdsctl query NAME [key=value...]\n");
		return 2;
	}
	if ((qid = query_id_by_name(argv[0])) == NULL) {
		if (hl7_uuid_valid(argv[0], strlen(argv[0])) == 0)
			qid = argv[0];
		else {
			fprintf(stderr, "xdsctl: unknown stored query \"%s\"\n", argv[0]);
			return 2;
		}
	}
	rim_list_init(&l);
	soap_call_init(&c, ACT_ITI18, PACK_SIMPLE);
	buf_init(&body, 1024 * 1024);
	if (query_body(&body, qid, argc, argv) != 0 ||
	    ctl_registry_call(ctl, ACT_ITI18, buf_str(&body), &c) != 0)
		goto out;
	if (!xml_is(resp = c.ans.body, NS_QUERY, "AdhocQueryResponse")) {
		fprintf(stderr, "xdsctl: no AdhocQueryResponse in the answer\n");
		goto out;
	}
	if (print_errors(ctl, resp) > 0 ||
	    strcmp(xml_attr(resp, "status") ? xml_attr(resp, "status") : "",
	    ST_SUCCESS) != 0) {
		fprintf(stderr, "xdsctl: query status %s\n",
		    ctl_short_status(xml_attr(resp, "status")));
		goto out;
	}
	list = xml_find(resp, NS_RIM, "RegistryObjectList");
	if (list != NULL && rim_parse_list(list, &l, err, sizeof err) != XDS_OK) {
		fprintf(stderr, "xdsctl: cannot read the answer: %s\n", err);
		goto out;
	}
	print_objects(ctl, &l);
	rc = 0;
out:
	rim_list_free(&l);
	soap_call_free(&c);
	buf_free(&body);
	return rc;
}
