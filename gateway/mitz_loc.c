/*
 * mitz_loc.c: the open question's messages (mitz_loc.h).  The request
 * is built as a DOM by libxml2; the answer is read from one.
 */
#include "config.h"

#include <string.h>

#include "hl7dt.h"
#include "mitz_loc.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"


int
mitz_loc_build(const char *bsn, xmlDoc **out, char *err, size_t errlen)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *id;
	xmlNs *ns;

	*out = NULL;
	if (bsn == NULL || hl7_bsn_valid(bsn, strlen(bsn)) != 0) {
		str_fmt(err, errlen, "the open question needs a BSN");
		return XDS_EINVAL;
	}
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, (const xmlChar *)
	    "PatientLocationQueryRequest", NULL)) == NULL)
		goto oom;
	xmlDocSetRootElement(doc, root);
	if ((ns = xmlNewNs(root, (const xmlChar *)NS_XCPD, NULL)) == NULL)
		goto oom;
	xmlSetNs(root, ns);
	if ((id = xmlNewChild(root, ns, (const xmlChar *)"RequestedPatientId",
	    NULL)) == NULL ||
	    xmlNewProp(id, (const xmlChar *)"root",
	    (const xmlChar *)OID_BSN) == NULL ||
	    xmlNewProp(id, (const xmlChar *)"extension",
	    (const xmlChar *)bsn) == NULL ||
	    xmlNewProp(id, (const xmlChar *)"assigningAuthorityName",
	    (const xmlChar *)DICOM_ISSUER_BSN) == NULL)
		goto oom;
	*out = doc;
	return XDS_OK;
oom:
	xmlFreeDoc(doc);
	str_fmt(err, errlen, "out of memory");
	return XDS_ENOMEM;
}

/* Add hcid once; it must be urn:oid: and an OID. */
static int
add(struct mitz_loc *out, const char *hcid, char *err, size_t errlen)
{
	const char *oid = hcid + strlen(URN_OID);
	char e[128];
	size_t i;

	if (strncmp(hcid, URN_OID, strlen(URN_OID)) != 0 ||
	    hl7_oid_valid(oid, strlen(oid), e, sizeof e) != 0) {
		str_fmt(err, errlen, "a HomeCommunityId that is not urn:oid: "
		    "and an OID");
		return XDS_EFORMAT;
	}
	for (i = 0; i < out->n; i++)
		if (strcmp(out->hcid[i], hcid) == 0)
			return XDS_OK;
	if (out->n == MITZ_LOC_MAX) {
		str_fmt(err, errlen, "more than %d communities",
		    MITZ_LOC_MAX);
		return XDS_ETOOBIG;
	}
	str_lcpy(out->hcid[out->n++], hcid, sizeof out->hcid[0]);
	return XDS_OK;
}

int
mitz_loc_read(xmlNode *env, const char *message_id, struct mitz_loc *out,
    char *err, size_t errlen)
{
	xmlNode *hdr, *body, *resp, *loc;
	char rel[256], hcid[DIR_HCID_MAX];
	int rc;

	out->n = 0;
	if (env == NULL || !xml_is(env, NS_SOAP12, "Envelope") ||
	    (body = xml_child(env, NS_SOAP12, "Body")) == NULL) {
		str_fmt(err, errlen, "not a SOAP 1.2 envelope with a body");
		return XDS_EFORMAT;
	}
	if (message_id != NULL) {
		hdr = xml_child(env, NS_SOAP12, "Header");
		if (hdr == NULL || xml_child_text(hdr, NS_WSA, "RelatesTo",
		    rel, sizeof rel) != 0 || strcmp(rel, message_id) != 0) {
			str_fmt(err, errlen, "its wsa:RelatesTo is not the "
			    "request's MessageID");
			return XDS_EFORMAT;
		}
	}
	if ((resp = xml_first_elem(body)) == NULL ||
	    !xml_is(resp, NS_XCPD, "PatientLocationQueryResponse")) {
		str_fmt(err, errlen, "not a PatientLocationQueryResponse");
		return XDS_EFORMAT;
	}
	for (loc = xml_first_elem(resp); loc != NULL;
	    loc = xml_next_elem(loc)) {
		if (!xml_is(loc, NS_XCPD, "PatientLocationResponse"))
			continue;
		if (xml_child_text(loc, NS_XCPD, "HomeCommunityId", hcid,
		    sizeof hcid) != 0 || hcid[0] == '\0') {
			str_fmt(err, errlen, "a PatientLocationResponse "
			    "without a usable HomeCommunityId");
			return XDS_EFORMAT;
		}
		if ((rc = add(out, hcid, err, errlen)) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

int
mitz_loc_parse(const char *buf, size_t len, const char *message_id,
    struct mitz_loc *out, char *err, size_t errlen)
{
	xmlDoc *doc;
	int rc;

	out->n = 0;
	if ((doc = xml_parse(buf, len, err, errlen)) == NULL)
		return XDS_EFORMAT;
	rc = mitz_loc_read(xmlDocGetRootElement(doc), message_id, out, err,
	    errlen);
	xmlFreeDoc(doc);
	return rc;
}
