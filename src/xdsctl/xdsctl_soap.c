/*
 * xdsctl_soap.c: the subcommands that speak SOAP to a registry:
 * submit (ITI-42), query (ITI-18) and delete (ITI-62).
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
#include "str.h"
#include "validate.h"
#include "vocab.h"
#include "xdsctl.h"
#include "xml.h"

/* Print the RegistryErrorList under n; returns the number of errors. */
static int
print_errors(struct ctl *ctl, xmlNode *n)
{
	xmlNode *list = ctl_find_elem(n, NS_RS, "RegistryErrorList"), *e;
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

/* Send body_xml; parse the answer.  Returns the parsed document or NULL. */
static xmlDoc *
call(struct ctl *ctl, const char *action, const char *body_xml)
{
	struct buf out;
	char err[1024];
	int status = 0;
	xmlDoc *doc = NULL;
	xmlNode *fault;

	buf_init(&out, 0);
	if (soapclient_call(ctl->url, action, body_xml, &ctl->tls, &status, &out,
	    err, sizeof err) != 0) {
		fprintf(stderr, "xdsctl: %s\n", err);
		goto out;
	}
	if (ctl->verbose)
		fprintf(stderr, "HTTP %d, %zu bytes\n%s\n", status, out.b_len,
		    buf_str(&out));
	if ((doc = xml_parse(buf_str(&out), out.b_len, err, sizeof err)) == NULL) {
		fprintf(stderr, "xdsctl: %s answered HTTP %d with no SOAP: %s\n",
		    ctl->url, status, err);
		goto out;
	}
	if ((fault = ctl_find_elem(xmlDocGetRootElement(doc), NS_SOAP12, "Fault"))
	    != NULL) {
		xmlNode *t = ctl_find_elem(fault, NS_SOAP12, "Text");
		char reason[1024] = "";

		if (t)
			xml_text(t, reason, sizeof reason);
		fprintf(stderr, "xdsctl: SOAP fault (HTTP %d): %s\n", status, reason);
		xmlFreeDoc(doc);
		doc = NULL;
	}
out:
	buf_free(&out);
	return doc;
}

static int
registry_response(struct ctl *ctl, xmlDoc *doc, const char *what)
{
	xmlNode *rr = ctl_find_elem(xmlDocGetRootElement(doc), NS_RS, "RegistryResponse");
	const char *st;
	int nerr;

	if (rr == NULL) {
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
	n = ctl_find_elem(root, NS_LCM, "SubmitObjectsRequest");
	if (n == NULL && (n = ctl_find_elem(root, NS_RIM, "RegistryObjectList")) == NULL) {
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
		    "\" xmlns:rim=\"" NS_RIM "\">") != BUF_OK)
			goto out;
	}
	if (buf_add(body, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)) != BUF_OK)
		goto out;
	if (xml_is(n, NS_RIM, "RegistryObjectList") &&
	    buf_adds(body, "</lcm:SubmitObjectsRequest>") != BUF_OK)
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
	int i, bad = 0;

	if (argc < 1) {
		fprintf(stderr, "usage: xdsctl submit FILE...\n");
		return 2;
	}
	for (i = 0; i < argc; i++) {
		struct buf body;
		char err[512];
		size_t len;
		char *data = ctl_read_file(argv[i], CTL_MAX_FILE, &len);
		xmlDoc *doc;

		if (data == NULL) {
			bad = 1;
			continue;
		}
		buf_init(&body, CTL_MAX_FILE + 4096);
		if (submit_body(data, len, &body, err, sizeof err) != 0) {
			fprintf(stderr, "xdsctl: %s: %s\n", argv[i], err);
			bad = 1;
		} else if ((doc = call(ctl, ACT_ITI42, buf_str(&body))) == NULL) {
			bad = 1;
		} else {
			bad |= registry_response(ctl, doc, argv[i]);
			xmlFreeDoc(doc);
		}
		buf_free(&body);
		free(data);
	}
	return bad;
}

int
ctl_delete(struct ctl *ctl, int argc, char **argv)
{
	struct buf body;
	xmlDoc *doc;
	int i, rc = 1;

	if (argc < 1) {
		fprintf(stderr, "usage: xdsctl delete ENTRYUUID...\n");
		return 2;
	}
	buf_init(&body, 1024 * 1024);
	if (buf_adds(&body, "<lcm:RemoveObjectsRequest xmlns:lcm=\"" NS_LCM
	    "\" xmlns:rim=\"" NS_RIM "\"><rim:ObjectRefList>") != BUF_OK)
		goto out;
	for (i = 0; i < argc; i++) {
		if (hl7_uuid_valid(argv[i], strlen(argv[i])) != 0) {
			fprintf(stderr, "xdsctl: %s is not a urn:uuid: entryUUID\n",
			    argv[i]);
			goto out;
		}
		if (buf_addf(&body, "<rim:ObjectRef id=\"%s\"/>", argv[i]) != BUF_OK)
			goto out;
	}
	if (buf_adds(&body, "</rim:ObjectRefList></lcm:RemoveObjectsRequest>") !=
	    BUF_OK)
		goto out;
	if ((doc = call(ctl, ACT_ITI62, buf_str(&body))) == NULL)
		goto out;
	rc = registry_response(ctl, doc, "delete");
	xmlFreeDoc(doc);
out:
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

/* Append one slot; value quoting per ITI-18 (ihe-reference 1.7). */
static int
add_slot(struct buf *b, const char *name, const char *value)
{
	int single = strstr(name, "PatientId") != NULL ||
	    strcmp(name, "$patientId") == 0;
	int timev = strstr(name, "TimeFrom") != NULL ||
	    strstr(name, "TimeTo") != NULL;
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

static void
print_objects(struct ctl *ctl, const struct rim_list *l)
{
	static const char *kinds[] = { "?", "DocumentEntry", "SubmissionSet",
	    "Folder", "Association" };
	size_t i;
	int nshown = 0;

	if (ctl->json)
		printf("[");
	else
		printf("%-14s %-45s %-28s %-10s %-14s %s\n", "KIND", "ENTRYUUID",
		    "UNIQUEID", "STATUS", "TIME", "TITLE / DETAIL");
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
			if (k == XDS_DOCENTRY) {
				uid = rim_extid(o, EI_DE_UNIQUEID);
				t = rim_slot1(o, SLOT_CREATIONTIME);
			} else if (k == XDS_SUBMISSIONSET) {
				uid = rim_extid(o, EI_SS_UNIQUEID);
				t = rim_slot1(o, SLOT_SUBMISSIONTIME);
			} else if (k == XDS_FOLDER) {
				uid = rim_extid(o, EI_FOL_UNIQUEID);
				t = rim_slot1(o, SLOT_LASTUPDATETIME);
			}
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
			printf("%-14s %-45s %-28s %-10s %-14s %s\n", kind, o->id,
			    uid ? uid->value : "-", ctl_short_status(o->status),
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
	int rc = BUF_OK;

	if (strcmp(qid, SQ_FINDDOCUMENTS) == 0 ||
	    strcmp(qid, SQ_FINDDOCSBYREFID) == 0 || strcmp(qid, SQ_GETALL) == 0)
		rc |= add_slot(b, "$XDSDocumentEntryStatus", STATUS_APPROVED);
	if (strcmp(qid, SQ_FINDSUBMISSIONSETS) == 0 || strcmp(qid, SQ_GETALL) == 0)
		rc |= add_slot(b, "$XDSSubmissionSetStatus", STATUS_APPROVED);
	if (strcmp(qid, SQ_FINDFOLDERS) == 0 || strcmp(qid, SQ_GETALL) == 0)
		rc |= add_slot(b, "$XDSFolderStatus", STATUS_APPROVED);
	return rc;
}

int
ctl_query(struct ctl *ctl, int argc, char **argv)
{
	struct buf body;
	const char *qid, *rtype = "LeafClass";
	char cx[512], err[512], slotname[256];
	xmlDoc *doc = NULL;
	xmlNode *resp, *list;
	struct rim_list l;
	int i, rc = 1, have_status = 0;

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
	buf_init(&body, 1024 * 1024);
	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "returnType=", 11) == 0)
			rtype = argv[i] + 11;
	if (buf_addf(&body, "<query:AdhocQueryRequest xmlns:query=\"" NS_QUERY
	    "\" xmlns:rim=\"" NS_RIM "\"><query:ResponseOption returnType=\"")
	    != BUF_OK || buf_add_xml(&body, rtype) != BUF_OK ||
	    buf_addf(&body, "\" returnComposedObjects=\"true\"/>"
	    "<rim:AdhocQuery id=\"%s\">", qid) != BUF_OK)
		goto out;
	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *name, *value;

		if (eq == NULL) {
			fprintf(stderr, "xdsctl: \"%s\": expected key=value\n", argv[i]);
			goto out;
		}
		*eq = '\0';
		value = eq + 1;
		name = argv[i];
		if (strcmp(name, "returnType") == 0)
			continue;
		if (strcmp(name, "patient") == 0) {
			struct hl7_cx c;

			if (strchr(value, '^') == NULL) {
				if (str_fmt(cx, sizeof cx, "%s^^^&%s&ISO", value,
				    OID_BSN) < 0)
					goto out;
			} else if (hl7_cx_parse(value, strlen(value), &c, err,
			    sizeof err) != 0 || hl7_cx_format(&c, cx, sizeof cx) != 0) {
				fprintf(stderr, "xdsctl: patient: %s\n", err);
				goto out;
			}
			name = patient_param(qid);
			value = cx;
		} else {
			if (str_fmt(slotname, sizeof slotname, "%s%s",
			    name[0] == '$' ? "" : "$", name) < 0)
				goto out;
			name = slotname;
		}
		if (strstr(name, "Status") != NULL)
			have_status = 1;
		if (add_slot(&body, name, value) != BUF_OK)
			goto out;
	}
	/* The Find queries and GetAll require status: default to Approved. */
	if (!have_status && (default_status(&body, qid) != BUF_OK))
		goto out;
	if (buf_adds(&body, "</rim:AdhocQuery></query:AdhocQueryRequest>") != BUF_OK)
		goto out;
	if ((doc = call(ctl, ACT_ITI18, buf_str(&body))) == NULL)
		goto out;
	resp = ctl_find_elem(xmlDocGetRootElement(doc), NS_QUERY, "AdhocQueryResponse");
	if (resp == NULL) {
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
	list = ctl_find_elem(resp, NS_RIM, "RegistryObjectList");
	if (list != NULL && rim_parse_list(list, &l, err, sizeof err) != RIM_OK) {
		fprintf(stderr, "xdsctl: cannot read the answer: %s\n", err);
		goto out;
	}
	print_objects(ctl, &l);
	rc = 0;
out:
	rim_list_free(&l);
	xmlFreeDoc(doc);
	buf_free(&body);
	return rc;
}
