/*
 * mitz_fhir.c: Mitz's Subscription and notification as FHIR JSON
 * (mitz_fhir.h).  Pure: jansson in and out, no I/O.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "hl7dt.h"
#include "mitz_fhir.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

#define MITZ_CRITERIA_MAX	256
#define MITZ_REF_MAX		256

/* ---- the subscription ---- */

static json_t *
ext(const char *url, const char *oid)
{
	return json_pack("{s:s, s:s}", "url", url, "valueOid", oid);
}

static int
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

int
mitz_sub_json(const struct mitz_sub *s, struct buf *out, char *err,
    size_t errlen)
{
	json_t *root = NULL;
	char criteria[MITZ_CRITERIA_MAX], *text = NULL;
	int rc;

	if (empty(s->bsn) || hl7_bsn_valid(s->bsn, strlen(s->bsn)) != 0 ||
	    empty(s->ura) || empty(s->org_type) || empty(s->notify_url) ||
	    empty(s->gateway_oid) || empty(s->source_oid)) {
		str_fmt(err, errlen, "a subscription needs a BSN, this data "
		    "holder's URA and type, the notification URL and the "
		    "gateway's and source's OIDs");
		return XDS_EINVAL;
	}
	if (str_fmt(criteria, sizeof criteria, MITZ_SUB_CRITERIA, s->bsn,
	    s->ura, s->org_type) < 0) {
		str_fmt(err, errlen, "the criteria are over %d bytes",
		    MITZ_CRITERIA_MAX);
		return XDS_EINVAL;
	}
	root = json_pack("{s:s, s:{s:[s]}, s:s, s:s, s:s, "
	    "s:{s:s, s:s, s:s}, s:[o, o]}",
	    "resourceType", "Subscription",
	    "meta", "profile", MITZ_SUB_PROFILE,
	    "status", "requested",
	    "reason", MITZ_SUB_REASON,
	    "criteria", criteria,
	    "channel", "type", "rest-hook", "endpoint", s->notify_url,
	    "payload", CT_FHIR_JSON,
	    "extension", ext(MITZ_EXT_GATEWAY, s->gateway_oid),
	    ext(MITZ_EXT_SOURCE, s->source_oid));
	if (root == NULL || (text = json_dumps(root, JSON_COMPACT)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		rc = XDS_ENOMEM;
		goto out;
	}
	if ((rc = buf_adds(out, text)) != XDS_OK)
		str_fmt(err, errlen, "the subscription is too long");
out:
	free(text);
	json_decref(root);
	return rc;
}

/* A FHIR id: [A-Za-z0-9\-.]{1,64}. */
static int
fhir_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

static const char *
member_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
mitz_sub_answer_id(const char *buf, size_t len, char *id, size_t idlen,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	const char *s, *t;
	int rc = XDS_EFORMAT;

	id[0] = '\0';
	if (len == 0)
		return XDS_OK;
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		str_fmt(err, errlen, "not JSON: %s", je.text);
		return XDS_EFORMAT;
	}
	if ((t = member_str(root, "resourceType")) == NULL ||
	    strcmp(t, "Subscription") != 0)
		str_fmt(err, errlen, "not a Subscription");
	else if ((s = member_str(root, "id")) == NULL)
		rc = XDS_OK;	/* the id is in the Location header then */
	else if (!fhir_id(s) || strlen(s) >= idlen)
		str_fmt(err, errlen, "its id is not a FHIR id");
	else {
		str_lcpy(id, s, idlen);
		rc = XDS_OK;
	}
	json_decref(root);
	return rc;
}

/* ---- the notification ---- */

/* The BSN of an identifier object, or NULL. */
static const char *
ident_bsn(const json_t *ident)
{
	const char *sys = member_str(ident, "system");
	const char *v = member_str(ident, "value");

	if (sys == NULL || v == NULL || (strcmp(sys, FHIR_SYS_BSN) != 0 &&
	    strcmp(sys, FHIR_SYS_BSN_OID) != 0) ||
	    hl7_bsn_valid(v, strlen(v)) != 0)
		return NULL;
	return v;
}

/* The BSN among a Patient's identifiers, or NULL. */
static const char *
patient_bsn(const json_t *pat)
{
	const json_t *ids = json_object_get(pat, "identifier"), *i;
	const char *b;
	size_t k;

	if (!json_is_array(ids))
		return NULL;
	json_array_foreach(ids, k, i)
		if ((b = ident_bsn(i)) != NULL)
			return b;
	return NULL;
}

/* The Patient entry ref names (its fullUrl, or "Patient/" and its id). */
static const json_t *
find_patient(const json_t *entries, const char *ref)
{
	const json_t *e, *r;
	const char *full, *id;
	char local[MITZ_REF_MAX];
	size_t k;

	json_array_foreach(entries, k, e) {
		r = json_object_get(e, "resource");
		if ((id = member_str(r, "resourceType")) == NULL ||
		    strcmp(id, "Patient") != 0)
			continue;
		if ((full = member_str(e, "fullUrl")) != NULL &&
		    strcmp(full, ref) == 0)
			return r;
		if ((id = member_str(r, "id")) != NULL &&
		    str_fmt(local, sizeof local, "Patient/%s", id) >= 0 &&
		    strcmp(local, ref) == 0)
			return r;
	}
	return NULL;
}

static int
add_bsn(struct mitz_notify *out, const char *bsn, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < out->npatient; i++)
		if (strcmp(out->bsn[i], bsn) == 0)
			return XDS_OK;
	if (out->npatient == MITZ_NOTIFY_MAX_PATIENTS) {
		str_fmt(err, errlen, "more than %d patients",
		    MITZ_NOTIFY_MAX_PATIENTS);
		return XDS_ETOOBIG;
	}
	str_lcpy(out->bsn[out->npatient++], bsn, sizeof out->bsn[0]);
	return XDS_OK;
}

static int
read_consent(const json_t *entries, const json_t *c, struct mitz_notify *out,
    char *err, size_t errlen)
{
	const json_t *p = json_object_get(c, "patient"), *pat;
	const char *bsn = NULL, *ref;

	if (!json_is_object(p)) {
		str_fmt(err, errlen, "a Consent without a patient");
		return XDS_EFORMAT;
	}
	if (json_is_object(json_object_get(p, "identifier")))
		bsn = ident_bsn(json_object_get(p, "identifier"));
	if (bsn == NULL && (ref = member_str(p, "reference")) != NULL &&
	    (pat = find_patient(entries, ref)) != NULL)
		bsn = patient_bsn(pat);
	if (bsn == NULL) {
		str_fmt(err, errlen, "a Consent's patient has no BSN");
		return XDS_EFORMAT;
	}
	out->nconsent++;
	return add_bsn(out, bsn, err, errlen);
}

int
mitz_notify_parse(const char *buf, size_t len, struct mitz_notify *out,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	const json_t *entries, *e, *r;
	const char *t;
	size_t k;
	int rc = XDS_EFORMAT;

	memset(out, 0, sizeof *out);
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		str_fmt(err, errlen, "not JSON: %s", je.text);
		return XDS_EFORMAT;
	}
	entries = json_object_get(root, "entry");
	if ((t = member_str(root, "resourceType")) == NULL ||
	    strcmp(t, "Bundle") != 0) {
		str_fmt(err, errlen, "not a Bundle");
		goto out;
	}
	if ((t = member_str(root, "type")) == NULL ||
	    strcmp(t, "transaction") != 0) {
		str_fmt(err, errlen, "not a transaction Bundle");
		goto out;
	}
	if (!json_is_array(entries)) {
		str_fmt(err, errlen, "the Bundle has no entries");
		goto out;
	}
	if (json_array_size(entries) > MITZ_NOTIFY_MAX_ENTRIES) {
		str_fmt(err, errlen, "more than %d entries",
		    MITZ_NOTIFY_MAX_ENTRIES);
		rc = XDS_ETOOBIG;
		goto out;
	}
	json_array_foreach(entries, k, e) {
		r = json_object_get(e, "resource");
		if (!json_is_object(r) ||
		    (t = member_str(r, "resourceType")) == NULL) {
			str_fmt(err, errlen, "entry %zu holds no resource", k);
			goto out;
		}
		if (strcmp(t, "Consent") == 0 &&
		    (rc = read_consent(entries, r, out, err, errlen)) !=
		    XDS_OK)
			goto out;
		rc = XDS_EFORMAT;
	}
	if (out->nconsent == 0) {
		str_fmt(err, errlen, "the Bundle holds no Consent");
		goto out;
	}
	rc = XDS_OK;
out:
	json_decref(root);
	return rc;
}
