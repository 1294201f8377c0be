/*
 * xdm.c: the pure parts of an XDM package (xdm.h): entry names, the
 * METADATA.XML of a submission set read and checked, and written for an
 * export or again for the ITI-41 of an import.
 *
 * An XDM medium (ITI TF-3 4.3.1) holds IHE_XDM/<subset>/METADATA.XML, the
 * lcm:SubmitObjectsRequest of one submission set, beside the documents;
 * each DocumentEntry's URI slot names its file relative to the subset's
 * directory, and its size and hash slots are required there.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "str.h"
#include "vocab.h"
#include "xdm.h"

int
xdm_name_check(const char *name, size_t len, char *err, size_t errlen)
{
	size_t i, start = 0;
	const char *why = NULL;

	if (len == 0)
		why = "empty name";
	else if (len > XDM_NAME_MAX)
		why = "name longer than 255 bytes";
	else if (name[0] == '/')
		why = "absolute name";
	else if (len >= 2 && name[1] == ':')
		why = "drive letter";
	for (i = 0; why == NULL && i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)name[i] : '/';
		size_t n = i - start;

		if (c < 0x20 || c == 0x7f)
			why = "control character in the name";
		else if (c == '\\')
			why = "backslash in the name";
		else if (c == '/') {
			if (n == 2 && name[start] == '.' &&
			    name[start + 1] == '.')
				why = "'..' component";
			else if (n == 1 && name[start] == '.')
				why = "'.' component";
			else if (n == 0 && i < len)
				why = "empty component";
			start = i + 1;
		}
	}
	if (why == NULL)
		return XDS_OK;
	str_fmt(err, errlen, "entry \"%.*s\": %s", (int)(len < 80 ? len : 80),
	    name, why);
	/* a control character would reach the terminal: shown as '?' */
	for (i = 0; err[i] != '\0'; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			err[i] = '?';
	return XDS_EFORMAT;
}

/* 1 when package p is classified as node (a nested or a top-level
 * Classification of l). */
static int
classified_as(const struct rim_list *l, const struct rim_object *p,
    const char *node)
{
	size_t i;

	for (i = 0; i < p->ncls; i++)
		if (p->cls[i].node != NULL && strcmp(p->cls[i].node, node) == 0)
			return 1;
	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *c = &l->obj[i];

		if (c->kind == RIM_CLASSIFICATION && c->classified != NULL &&
		    c->node != NULL && strcmp(c->classified, p->id) == 0 &&
		    strcmp(c->node, node) == 0)
			return 1;
	}
	return 0;
}

/*
 * The URI slot's value: one value, or (ITI TF-3 4.2.3.2.24) several
 * "n|part" values joined in the order of n.  NULL with err.
 */
static const char *
uri_of(struct rim_list *l, const struct rim_object *o, char *err,
    size_t errlen)
{
	const struct rim_slot *s = rim_slot(o->slots, o->nslots, SLOT_URI);
	char joined[XDM_NAME_MAX + 1];
	size_t i, k;

	if (s == NULL || s->nvalues == 0) {
		str_fmt(err, errlen, "DocumentEntry %.80s: no URI slot "
		    "(required in XDM)", o->id);
		return NULL;
	}
	if (s->nvalues == 1 && strchr(s->values[0], '|') == NULL)
		return s->values[0];
	joined[0] = '\0';
	for (k = 1; k <= s->nvalues; k++) {
		for (i = 0; i < s->nvalues; i++) {
			const char *v = s->values[i], *bar = strchr(v, '|');
			long long n;
			const char *end;
			char num[8];

			if (bar == NULL || (size_t)(bar - v) >= sizeof num)
				continue;
			memcpy(num, v, (size_t)(bar - v));
			num[bar - v] = '\0';
			if (str_tonum(num, 1, 99, &n, &end) == 0 &&
			    (size_t)n == k)
				break;
		}
		if (i == s->nvalues ||
		    str_lcat(joined, strchr(s->values[i], '|') + 1,
		    sizeof joined) >= sizeof joined) {
			str_fmt(err, errlen, "DocumentEntry %.80s: URI slot "
			    "values not numbered 1|..%zu|, or too long",
			    o->id, s->nvalues);
			return NULL;
		}
	}
	return rim_strdup(l, joined);
}

/* Document i's fields, checked. */
static int
doc_read(struct xdm_meta *m, size_t obj, struct xdm_doc *d, char *err,
    size_t errlen)
{
	struct rim_object *o = &m->l.obj[obj];
	const struct rim_extid *uid = rim_extid(o, EI_DE_UNIQUEID);
	const struct rim_extid *pid = rim_extid(o, EI_DE_PATIENTID);
	const char *size = rim_slot1(o, SLOT_SIZE), *end;
	const struct rim_classification *fmt[1];
	char why[256];

	memset(d, 0, sizeof *d);
	d->obj = obj;
	d->id = o->id;
	d->mime = o->mime_type != NULL ? o->mime_type : "";
	if (uid == NULL || uid->value[0] == '\0') {
		str_fmt(err, errlen, "DocumentEntry %.80s: no uniqueId", o->id);
		return XDS_EFORMAT;
	}
	d->unique_id = uid->value;
	if (pid == NULL || pid->value[0] == '\0') {
		str_fmt(err, errlen, "DocumentEntry %.80s: no patientId",
		    o->id);
		return XDS_EFORMAT;
	}
	d->patient = pid->value;
	if ((d->uri = uri_of(&m->l, o, err, errlen)) == NULL)
		return XDS_EFORMAT;
	if (xdm_name_check(d->uri, strlen(d->uri), why, sizeof why) !=
	    XDS_OK || d->uri[strlen(d->uri) - 1] == '/') {
		str_fmt(err, errlen, "DocumentEntry %.80s: URI: %s", o->id,
		    d->uri[strlen(d->uri) - 1] == '/' ? "a directory" : why);
		return XDS_EFORMAT;
	}
	if (size == NULL || str_tonum(size, 0, INT64_MAX, &d->size, &end)
	    != 0) {
		str_fmt(err, errlen, "DocumentEntry %.80s: no size slot, or "
		    "not a number (required in XDM)", o->id);
		return XDS_EFORMAT;
	}
	d->hash = rim_slot1(o, SLOT_HASH);
	if (d->hash == NULL || strlen(d->hash) != 40 ||
	    strspn(d->hash, "0123456789abcdefABCDEF") != 40) {
		str_fmt(err, errlen, "DocumentEntry %.80s: no hash slot of 40 "
		    "hex digits (SHA-1, required in XDM)", o->id);
		return XDS_EFORMAT;
	}
	d->kos = rim_classifications(o, CS_DE_FORMATCODE, fmt, 1) == 1 &&
	    fmt[0]->noderep != NULL && strcmp(fmt[0]->noderep, FMT_KOS) == 0;
	return XDS_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A value of docs[] twice (off: the field's offset), or NULL. */
static const char *
twice(const struct xdm_doc *docs, size_t n, size_t off, int nocase)
{
	const char **v;
	const char *dup = NULL;
	size_t i;

	if ((v = calloc(n, sizeof *v)) == NULL)
		return "";
	for (i = 0; i < n; i++)
		v[i] = *(const char *const *)((const char *)&docs[i] + off);
	qsort(v, n, sizeof *v, cmp_str);
	for (i = 1; i < n && dup == NULL; i++)
		if (nocase ? str_caseeq(v[i - 1], v[i]) : strcmp(v[i - 1],
		    v[i]) == 0)
			dup = v[i];
	/* sorted case-sensitively: case-insensitive twins need not be
	 * neighbours */
	for (i = 0; nocase && dup == NULL && i < n; i++) {
		size_t j;

		for (j = i + 1; j < n && dup == NULL; j++)
			if (str_caseeq(v[i], v[j]))
				dup = v[j];
	}
	free(v);
	return dup;
}

int
xdm_meta_parse(const char *buf, size_t len, struct xdm_meta *m, char *err,
    size_t errlen)
{
	size_t i, nss = 0, nde = 0;
	const struct rim_extid *pid;
	const char *dup;
	int rc;

	memset(m, 0, sizeof *m);
	rim_list_init(&m->l);
	if ((rc = rim_parse_submit_mem(buf, len, &m->l, err, errlen)) !=
	    XDS_OK) {
		if (rc != XDS_ENOMEM)
			rc = XDS_EFORMAT;
		return rc;
	}
	for (i = 0; i < m->l.nobj; i++) {
		const struct rim_object *o = &m->l.obj[i];

		if (o->kind == RIM_REGISTRY_PACKAGE &&
		    classified_as(&m->l, o, NODE_SUBMISSIONSET)) {
			m->ss = i;
			nss++;
		} else if (o->kind == RIM_EXTRINSIC_OBJECT)
			nde++;
	}
	if (nss != 1) {
		str_fmt(err, errlen, "%zu SubmissionSets (one expected)", nss);
		return XDS_EFORMAT;
	}
	if (nde == 0 || nde > XDM_MAX_DOCS) {
		str_fmt(err, errlen, "%zu DocumentEntries (1 to %d expected)",
		    nde, XDM_MAX_DOCS);
		return XDS_EFORMAT;
	}
	pid = rim_extid(&m->l.obj[m->ss], EI_SS_PATIENTID);
	if (pid == NULL || pid->value[0] == '\0') {
		str_fmt(err, errlen, "the SubmissionSet has no patientId");
		return XDS_EFORMAT;
	}
	m->patient = pid->value;
	if ((m->docs = calloc(nde, sizeof *m->docs)) == NULL)
		return XDS_ENOMEM;
	for (i = 0; i < m->l.nobj; i++) {
		const struct rim_object *o = &m->l.obj[i];
		struct xdm_doc *d = &m->docs[m->ndocs];

		if (o->kind != RIM_EXTRINSIC_OBJECT)
			continue;
		if (o->object_type == NULL ||
		    strcmp(o->object_type, OT_DE_STABLE) != 0) {
			str_fmt(err, errlen, "DocumentEntry %.80s: not a "
			    "stable DocumentEntry (objectType %.60s)", o->id,
			    o->object_type ? o->object_type : "absent");
			return XDS_EFORMAT;
		}
		if ((rc = doc_read(m, i, d, err, errlen)) != XDS_OK)
			return rc;
		if (strcmp(d->patient, m->patient) != 0) {
			str_fmt(err, errlen, "DocumentEntry %.80s: patientId "
			    "differs from the SubmissionSet's", o->id);
			return XDS_EFORMAT;
		}
		m->ndocs++;
	}
	if ((dup = twice(m->docs, m->ndocs, offsetof(struct xdm_doc, uri),
	    1)) != NULL) {
		str_fmt(err, errlen, "two DocumentEntries with the URI "
		    "\"%.80s\"", dup);
		return dup[0] == '\0' ? XDS_ENOMEM : XDS_EFORMAT;
	}
	if ((dup = twice(m->docs, m->ndocs, offsetof(struct xdm_doc,
	    unique_id), 0)) != NULL) {
		str_fmt(err, errlen, "two DocumentEntries with the uniqueId "
		    "%.80s", dup);
		return dup[0] == '\0' ? XDS_ENOMEM : XDS_EFORMAT;
	}
	return XDS_OK;
}

void
xdm_meta_free(struct xdm_meta *m)
{
	free(m->docs);
	m->docs = NULL;
	m->ndocs = 0;
	rim_list_free(&m->l);
}

/* The SubmissionSet's attributes and its HasMember Associations to the
 * document ids[0..n). */
static int
ss_members(struct buf *b, const char *ss, const char *const *ids, size_t n)
{
	char id[46];
	size_t i;
	int rc;

	if (hl7_uuid_new(id) != 0)
		return XDS_EIO;
	if ((rc = buf_addf(b, "<rim:Classification id=\"%s\" "
	    "classifiedObject=\"%s\" classificationNode=\"%s\"/>", id, ss,
	    NODE_SUBMISSIONSET)) != XDS_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (hl7_uuid_new(id) != 0)
			return XDS_EIO;
		if ((rc = buf_addf(b, "<rim:Association id=\"%s\" "
		    "associationType=\"%s\" sourceObject=\"%s\" "
		    "targetObject=\"", id, AT_HASMEMBER, ss)) != XDS_OK ||
		    (rc = buf_add_xml(b, ids[i])) != XDS_OK ||
		    (rc = buf_adds(b, "\">")) != XDS_OK ||
		    (rc = rim_put_slot(b, SLOT_SSSTATUS, SSSTATUS_ORIGINAL,
		    NULL)) != XDS_OK ||
		    (rc = buf_adds(b, "</rim:Association>")) != XDS_OK)
			return rc;
	}
	return XDS_OK;
}

int
xdm_meta_write(struct rim_list *l, struct rim_object **objs,
    const char **uris, size_t n, const struct xdm_ss *ss, struct buf *out)
{
	const char **ids = NULL;
	char id[46];
	size_t i;
	int rc;

	if (n == 0 || hl7_uuid_new(id) != 0)
		return XDS_EINVAL;
	if ((ids = calloc(n, sizeof *ids)) == NULL)
		return XDS_ENOMEM;
	rc = buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM "\" xmlns:rim=\""
	    NS_RIM "\"><rim:RegistryObjectList>");
	for (i = 0; rc == XDS_OK && i < n; i++) {
		ids[i] = objs[i]->id;
		if ((rc = rim_set_slot(l, objs[i], SLOT_URI, uris[i])) ==
		    XDS_OK)
			rc = rim_write_object(objs[i], out);
	}
	if (rc != XDS_OK)
		goto out;
	if ((rc = buf_addf(out, "<rim:RegistryPackage id=\"%s\">", id)) !=
	    XDS_OK ||
	    (rc = rim_put_slot(out, SLOT_SUBMISSIONTIME, ss->time, NULL)) !=
	    XDS_OK ||
	    (rc = rim_put_name(out, ss->title)) != XDS_OK ||
	    (rc = rim_put_code(out, id, CS_SS_CONTENTTYPE,
	    ss->content_type)) != XDS_OK ||
	    (rc = rim_put_extid(out, id, EI_SS_UNIQUEID, ss->unique_id,
	    EIN_SS_UNIQUEID)) != XDS_OK ||
	    (rc = rim_put_extid(out, id, EI_SS_SOURCEID, ss->source_id,
	    EIN_SS_SOURCEID)) != XDS_OK ||
	    (rc = rim_put_extid(out, id, EI_SS_PATIENTID, ss->patient,
	    EIN_SS_PATIENTID)) != XDS_OK ||
	    (rc = buf_adds(out, "</rim:RegistryPackage>")) != XDS_OK ||
	    (rc = ss_members(out, id, ids, n)) != XDS_OK)
		goto out;
	rc = buf_adds(out, "</rim:RegistryObjectList>"
	    "</lcm:SubmitObjectsRequest>\n");
out:
	free(ids);
	return rc;
}

/* o (of l) under the symbolic id nid: its classifications and external
 * identifiers follow it, with ids of their own ("<nid>.c<k>",
 * "<nid>.e<k>"); slots named in drop[] left out; the value of the
 * external identifier of scheme eid_scheme[k] becomes eid_value[k]. */
static int
rebase(struct rim_list *l, struct rim_object *o, const char *nid,
    const char *const *drop, const char *const *eid_scheme,
    const char *const *eid_value, size_t neid)
{
	struct rim_classification *c;
	struct rim_extid *e;
	struct rim_slot *s;
	char sub[48];
	size_t i, j, k, ns = 0;

	if ((o->id = rim_strdup(l, nid)) == NULL)
		return XDS_ENOMEM;
	o->lid = o->home = o->status = o->version_name = NULL;
	c = o->ncls ? rim_alloc(l, o->ncls * sizeof *c) : NULL;
	e = o->neids ? rim_alloc(l, o->neids * sizeof *e) : NULL;
	s = o->nslots ? rim_alloc(l, o->nslots * sizeof *s) : NULL;
	if ((o->ncls && c == NULL) || (o->neids && e == NULL) ||
	    (o->nslots && s == NULL))
		return XDS_ENOMEM;
	for (i = 0; i < o->ncls; i++) {
		c[i] = o->cls[i];
		str_fmt(sub, sizeof sub, "%s.c%zu", nid, i + 1);
		if ((c[i].id = rim_strdup(l, sub)) == NULL)
			return XDS_ENOMEM;
		c[i].classified = o->id;
	}
	for (i = 0; i < o->neids; i++) {
		e[i] = o->eids[i];
		str_fmt(sub, sizeof sub, "%s.e%zu", nid, i + 1);
		if ((e[i].id = rim_strdup(l, sub)) == NULL)
			return XDS_ENOMEM;
		e[i].registry_object = o->id;
		for (k = 0; k < neid; k++)
			if (strcmp(e[i].scheme, eid_scheme[k]) == 0 &&
			    (e[i].value = rim_strdup(l, eid_value[k])) == NULL)
				return XDS_ENOMEM;
	}
	for (i = 0; i < o->nslots; i++) {
		for (j = 0; drop[j] != NULL; j++)
			if (strcmp(o->slots[i].name, drop[j]) == 0)
				break;
		if (drop[j] == NULL)
			s[ns++] = o->slots[i];
	}
	o->cls = c;
	o->eids = e;
	o->slots = s;
	o->nslots = ns;
	return XDS_OK;
}

int
xdm_meta_resubmit(struct xdm_meta *m, const int *use,
    const struct xdm_ss *ss, char (*ids)[16], struct buf *out)
{
	static const char *const de_drop[] = { SLOT_URI, SLOT_REPOSITORYUID,
	    NULL };
	static const char *const ss_drop[] = { SLOT_SUBMISSIONTIME, NULL };
	const char *de_scheme[] = { EI_DE_PATIENTID };
	const char *ss_scheme[] = { EI_SS_UNIQUEID, EI_SS_SOURCEID,
	    EI_SS_PATIENTID };
	const char *ss_value[] = { ss->unique_id, ss->source_id, ss->patient };
	const char **members = NULL;
	struct rim_object sso;
	size_t i, n = 0, n2;
	int rc;

	if ((members = calloc(m->ndocs ? m->ndocs : 1, sizeof *members)) ==
	    NULL)
		return XDS_ENOMEM;
	rc = buf_adds(out, "<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM
	    "\" xmlns:rim=\"" NS_RIM "\"><rim:RegistryObjectList>");
	for (i = 0; rc == XDS_OK && i < m->ndocs; i++) {
		struct rim_object o;

		ids[i][0] = '\0';
		if (!use[i])
			continue;
		o = m->l.obj[m->docs[i].obj];
		str_fmt(ids[i], sizeof ids[i], "Document%zu", n + 1);
		if ((rc = rebase(&m->l, &o, ids[i], de_drop, de_scheme,
		    &ss->patient, 1)) == XDS_OK)
			rc = rim_write_object(&o, out);
		members[n++] = ids[i];
	}
	if (rc == XDS_OK && n == 0)
		rc = XDS_EINVAL;
	if (rc != XDS_OK)
		goto out;
	sso = m->l.obj[m->ss];
	if ((rc = rebase(&m->l, &sso, "SubmissionSet", ss_drop, ss_scheme,
	    ss_value, 3)) != XDS_OK)
		goto out;
	/* its node Classification is written once, by ss_members */
	for (i = 0, n2 = 0; i < sso.ncls; i++)
		if (sso.cls[i].node == NULL || strcmp(sso.cls[i].node,
		    NODE_SUBMISSIONSET) != 0)
			sso.cls[n2++] = sso.cls[i];
	sso.ncls = n2;
	if ((rc = rim_set_slot(&m->l, &sso, SLOT_SUBMISSIONTIME,
	    ss->time)) != XDS_OK ||
	    (rc = rim_write_object(&sso, out)) != XDS_OK ||
	    (rc = ss_members(out, "SubmissionSet", members, n)) != XDS_OK)
		goto out;
	rc = buf_adds(out, "</rim:RegistryObjectList>"
	    "</lcm:SubmitObjectsRequest>");
out:
	free(members);
	return rc;
}
