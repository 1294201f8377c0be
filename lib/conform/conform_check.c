/*
 * conform_check.c: an answer judged against a test's expectations.  The
 * answer is the SOAP Body's child as a DOM (RegistryResponse,
 * AdhocQueryResponse, RetrieveDocumentSetResponse), or a fault; what it
 * showed (status, error codes, counts of objects) is kept for the
 * report, and each expectation that does not hold adds its reason:
 * "status: expected Failure, seen Success".
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "conform.h"
#include "fileio.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xml.h"

#define DOC_MAX	(64 * 1024 * 1024)	/* a document compared in memory */

static const char *const count_names[] = {
	"ExtrinsicObject", "RegistryPackage", "ObjectRef", "Association",
	"DocumentResponse", "RegistryError"
};

/* The last ':'-part of a status URN. */
static const char *
short_status(const char *s)
{
	const char *p = s ? strrchr(s, ':') : NULL;

	return p ? p + 1 : (s ? s : "");
}

/* Append one reason ("; " between). */
static void
because(char *reason, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
because(char *reason, size_t len, const char *fmt, ...)
{
	char one[CONFORM_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(one, sizeof one, fmt, ap);
	va_end(ap);
	if (reason[0] != '\0')
		str_lcat(reason, "; ", len);
	str_lcat(reason, one, len);
}

/* The RegistryObjectList of an answer, or NULL. */
static xmlNode *
object_list(xmlNode *body)
{
	return body ? xml_child(body, NS_RIM, "RegistryObjectList") : NULL;
}

/* Objects that must carry home: ExtrinsicObject, RegistryPackage,
 * ObjectRef. */
static int
homed(xmlNode *o)
{
	return xml_is(o, NS_RIM, "ExtrinsicObject") ||
	    xml_is(o, NS_RIM, "RegistryPackage") ||
	    xml_is(o, NS_RIM, "ObjectRef");
}

static void
add_code(char *codes, size_t len, const char *code)
{
	if (codes[0] != '\0')
		str_lcat(codes, " ", len);
	str_lcat(codes, code, len);
}

/* Status, errors and counts of the answer into seen. */
static void
observe(xmlNode *body, struct conform_seen *seen)
{
	xmlNode *rr, *list, *o, *e;
	const char *st;

	if (body == NULL)
		return;
	rr = body;
	if ((st = xml_attr(body, "status")) == NULL &&
	    (rr = xml_child(body, NS_RS, "RegistryResponse")) != NULL)
		st = xml_attr(rr, "status");
	str_lcpy(seen->status, st ? short_status(st) : "", sizeof seen->status);
	if (rr != NULL &&
	    (list = xml_child(rr, NS_RS, "RegistryErrorList")) != NULL)
		for (e = xml_first_elem(list); e; e = xml_next_elem(e)) {
			const char *code = xml_attr(e, "errorCode");

			if (!xml_is(e, NS_RS, "RegistryError"))
				continue;
			seen->nobj[CC_ERROR]++;
			add_code(seen->errors, sizeof seen->errors,
			    code ? code : "(no errorCode)");
		}
	if ((list = object_list(body)) != NULL)
		for (o = xml_first_elem(list); o; o = xml_next_elem(o)) {
			const char *h = xml_attr(o, "home");
			xmlNode *s;

			if (xml_is(o, NS_RIM, "ExtrinsicObject")) {
				seen->nobj[CC_EXTRINSIC]++;
				for (s = xml_first_elem(o); s &&
				    seen->repo[0] == '\0';
				    s = xml_next_elem(s)) {
					const char *n = xml_attr(s, "name");
					xmlNode *v;
					char val[128];

					if (!xml_is(s, NS_RIM, "Slot") || n ==
					    NULL || strcmp(n, SLOT_REPOSITORYUID)
					    != 0 || (v = xml_find(s, NS_RIM,
					    "Value")) == NULL)
						continue;
					if (xml_text(v, val, sizeof val) == 0)
						str_lcpy(seen->repo, val,
						    sizeof seen->repo);
				}
			} else if (xml_is(o, NS_RIM, "RegistryPackage"))
				seen->nobj[CC_PACKAGE]++;
			else if (xml_is(o, NS_RIM, "ObjectRef"))
				seen->nobj[CC_OBJECTREF]++;
			else if (xml_is(o, NS_RIM, "Association"))
				seen->nobj[CC_ASSOCIATION]++;
			if (homed(o) && h != NULL && seen->home[0] == '\0')
				str_lcpy(seen->home, h, sizeof seen->home);
		}
	for (o = xml_first_elem(body); o; o = xml_next_elem(o))
		if (xml_is(o, NS_XDSB, "DocumentResponse"))
			seen->nobj[CC_DOCRESP]++;
}

/* Is each code of want (spaces between) among seen's? The first that is
 * not, or NULL. */
static int
codes_missing(const char *want, const char *seen, char *missing,
    size_t len)
{
	const char *p = want, *item;
	size_t n;
	int bad = 0;

	missing[0] = '\0';
	while (p != NULL) {
		const char *s = seen;
		int found = 0;

		item = str_item(&p, ' ', &n);
		if (n == 0)
			continue;
		while (s != NULL && !found) {
			size_t m;
			const char *it = str_item(&s, ' ', &m);

			found = m == n && memcmp(it, item, n) == 0;
		}
		if (!found) {
			char one[128];

			str_fmt(one, sizeof one, "%.*s", (int)n, item);
			add_code(missing, len, one);
			bad = 1;
		}
	}
	return bad;
}

/* The object of the answer whose id (or uniqueId value) is id. */
static xmlNode *
object_by_id(xmlNode *body, const char *id)
{
	xmlNode *list = object_list(body), *o, *c;

	if (list == NULL)
		return NULL;
	for (o = xml_first_elem(list); o; o = xml_next_elem(o)) {
		const char *oid = xml_attr(o, "id");

		if (oid != NULL && strcmp(oid, id) == 0)
			return o;
		for (c = xml_first_elem(o); c; c = xml_next_elem(c))
			if (xml_is(c, NS_RIM, "ExternalIdentifier") &&
			    xml_attr(c, "value") != NULL &&
			    strcmp(xml_attr(c, "value"), id) == 0)
				return o;
	}
	return NULL;
}

/* The first value of o's slot name into out; -1 when there is none. */
static int
slot_value(xmlNode *o, const char *name, char *out, size_t outsz)
{
	xmlNode *s, *v;

	for (s = xml_first_elem(o); s; s = xml_next_elem(s)) {
		const char *n = xml_attr(s, "name");

		if (xml_is(s, NS_RIM, "Slot") && n && strcmp(n, name) == 0 &&
		    (v = xml_find(xml_first_elem(s), NS_RIM, "Value")) != NULL)
			return xml_text(v, out, outsz);
	}
	return -1;
}

/* Read a whole file (at most DOC_MAX); NULL when it cannot. */
static char *
slurp(const char *path, size_t *len)
{
	char *p, e[8];

	return fileio_read_file(path, DOC_MAX, &p, len, e, sizeof e) ==
	    XDS_OK ? p : NULL;
}

/* Inline base64 text of el decoded; NULL when it is not base64. */
static char *
unbase64(xmlNode *el, size_t *len)
{
	xmlChar *txt = xmlNodeGetContent(el);
	EVP_ENCODE_CTX *ctx = NULL;
	unsigned char *out = NULL;
	size_t n;
	int a, b;

	if (txt == NULL)
		return NULL;
	n = strlen((const char *)txt);
	if (n > DOC_MAX || (ctx = EVP_ENCODE_CTX_new()) == NULL ||
	    (out = malloc(n / 4 * 3 + 4)) == NULL)
		goto fail;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &a, txt, (int)n) < 0 ||
	    EVP_DecodeFinal(ctx, out + a, &b) < 0)
		goto fail;
	*len = (size_t)a + (size_t)b;
	EVP_ENCODE_CTX_free(ctx);
	xmlFree(txt);
	return (char *)out;
fail:
	free(out);
	EVP_ENCODE_CTX_free(ctx);
	xmlFree(txt);
	return NULL;
}

/* The DocumentResponse of uid in the answer, its bytes (malloc'd, *n)
 * and mimeType; NULL with the reason added when there is none. */
static char *
doc_bytes(xmlNode *body, const char *uid, const struct conform_doc_src *docs,
    size_t *n, char *mime, size_t mimelen, char *reason, size_t len)
{
	xmlNode *dr, *doc, *inc;
	const char *path, *href;
	char got[256];
	char *data;

	for (dr = body ? xml_first_elem(body) : NULL; dr;
	    dr = xml_next_elem(dr))
		if (xml_is(dr, NS_XDSB, "DocumentResponse") &&
		    xml_child_text(dr, NS_XDSB, "DocumentUniqueId", got,
		    sizeof got) == 0 && strcmp(got, uid) == 0)
			break;
	if (dr == NULL) {
		because(reason, len, "document %s: not in the answer", uid);
		return NULL;
	}
	if (xml_child_text(dr, NS_XDSB, "mimeType", mime, mimelen) != 0)
		mime[0] = '\0';
	if ((doc = xml_child(dr, NS_XDSB, "Document")) == NULL) {
		because(reason, len, "document %s: no Document element", uid);
		return NULL;
	}
	if ((inc = xml_child(doc, NS_XOP, "Include")) != NULL) {
		href = xml_attr(inc, "href");
		path = href && docs && docs->part ?
		    docs->part(docs->arg, href) : NULL;
		if (path == NULL) {
			because(reason, len, "document %s: its MTOM part %s "
			    "is missing", uid, href ? href : "(no href)");
			return NULL;
		}
		data = slurp(path, n);
	} else
		data = unbase64(doc, n);
	if (data == NULL)
		because(reason, len, "document %s: unreadable (bad base64 or "
		    "over %d bytes)", uid, DOC_MAX);
	return data;
}

/* expect.document = UID NAME: the DocumentResponse of UID holds the
 * bytes of document NAME (and its mimeType). */
static void
check_document(struct conform_vars *vars, xmlNode *body, const char *spec,
    const struct conform_doc_src *docs, char *reason, size_t len)
{
	const struct conform_att *a;
	char uid[256], name[CONFORM_NAME_MAX], mime[128];
	char *data;
	size_t n = 0;

	if (sscanf(spec, "%255s %63s", uid, name) != 2) {
		because(reason, len, "expect.document: UID NAME");
		return;
	}
	if ((a = conform_att_get(vars, name)) == NULL) {
		because(reason, len, "expect.document: no document %s sent "
		    "in this run", name);
		return;
	}
	if ((data = doc_bytes(body, uid, docs, &n, mime, sizeof mime, reason,
	    len)) == NULL)
		return;
	if (n != a->len || memcmp(data, a->data, n) != 0)
		because(reason, len, "document %s: %zu bytes differ from the "
		    "%zu sent", uid, n, a->len);
	if (mime[0] != '\0' && strcmp(mime, a->ctype) != 0)
		because(reason, len, "document %s: mimeType %s, sent as %s",
		    uid, mime, a->ctype);
	free(data);
}

/* expect.dicom = UID: the DocumentResponse of UID is a DICOM file
 * (application/dicom, the DICM prefix) that holds that SOP Instance
 * UID. */
static void
check_dicom(xmlNode *body, const char *uid,
    const struct conform_doc_src *docs, char *reason, size_t len)
{
	char mime[128];
	char *data;
	size_t n = 0, ul = strlen(uid), i;
	int found = 0;

	if ((data = doc_bytes(body, uid, docs, &n, mime, sizeof mime, reason,
	    len)) == NULL)
		return;
	if (strcmp(mime, "application/dicom") != 0)
		because(reason, len, "instance %s: mimeType %s, expected "
		    "application/dicom", uid, mime[0] ? mime : "none");
	if (n < 132 || memcmp(data + 128, "DICM", 4) != 0)
		because(reason, len, "instance %s: %zu bytes without the DICM "
		    "prefix of a DICOM file", uid, n);
	for (i = 0; ul > 0 && i + ul <= n && !found; i++)
		found = memcmp(data + i, uid, ul) == 0;
	if (!found)
		because(reason, len, "instance %s: its SOP Instance UID is not "
		    "in the file", uid);
	free(data);
}

/* A DocumentResponse's HomeCommunityId into h ("" for none). */
static void
docresp_home(xmlNode *dr, char *h, size_t len)
{
	xmlNode *e = xml_child(dr, NS_XDSB, "HomeCommunityId");

	h[0] = '\0';
	if (e != NULL && xml_text(e, h, len) != 0)
		h[0] = '\0';
}

/* expect.home = present | URN: every object carries it, and every
 * DocumentResponse its HomeCommunityId. */
static void
check_home(xmlNode *body, const char *want, char *reason, size_t len)
{
	xmlNode *list = object_list(body), *o;
	int total = 0, bad = 0;
	char first[256] = "", dh[256];

	for (o = list ? xml_first_elem(list) : NULL; o; o = xml_next_elem(o)) {
		const char *h = xml_attr(o, "home");

		if (!homed(o))
			continue;
		total++;
		if (h == NULL || h[0] == '\0' || (strcmp(want, "present") != 0 &&
		    strcmp(h, want) != 0)) {
			if (bad++ == 0)
				str_fmt(first, sizeof first, "%s %s: %s",
				    (const char *)o->name, xml_attr(o, "id") ?
				    xml_attr(o, "id") : "?", h ? h : "no home");
		}
	}
	for (o = body ? xml_first_elem(body) : NULL; o; o = xml_next_elem(o)) {
		if (!xml_is(o, NS_XDSB, "DocumentResponse"))
			continue;
		total++;
		docresp_home(o, dh, sizeof dh);
		if (dh[0] == '\0' || (strcmp(want, "present") != 0 &&
		    strcmp(dh, want) != 0)) {
			if (bad++ == 0)
				str_fmt(first, sizeof first, "DocumentResponse:"
				    " %s", dh[0] ? dh : "no HomeCommunityId");
		}
	}
	if (bad > 0)
		because(reason, len, "home: %d of %d objects without home%s%s "
		    "(first: %s)", bad, total, strcmp(want, "present") ? " " :
		    "", strcmp(want, "present") ? want : "", first);
}

/* expect.location = VALUE: every RegistryError's location. */
static void
check_location(xmlNode *body, const char *want, char *reason, size_t len)
{
	xmlNode *rr = body, *list, *e;

	if (rr != NULL && xml_attr(rr, "status") == NULL)
		rr = xml_child(body, NS_RS, "RegistryResponse");
	if (rr == NULL ||
	    (list = xml_child(rr, NS_RS, "RegistryErrorList")) == NULL)
		return;
	for (e = xml_first_elem(list); e; e = xml_next_elem(e)) {
		const char *l = xml_attr(e, "location");

		if (l == NULL || strcmp(l, want) != 0) {
			because(reason, len, "error %s: location %s, expected "
			    "%s", xml_attr(e, "errorCode") ?
			    xml_attr(e, "errorCode") : "?", l ? l : "none",
			    want);
			return;
		}
	}
}

int
conform_check(const struct conform_test *t, struct conform_vars *vars,
    xmlNode *body, int fault, const char *fault_reason,
    const struct conform_doc_src *docs, struct conform_seen *seen,
    char *reason, size_t reasonlen)
{
	struct buf v;
	char err[256], miss[512], a[256], b[256], c[256];
	const char *es;
	size_t i, k;
	int rc = -1;

	memset(seen, 0, sizeof *seen);
	reason[0] = '\0';
	buf_init(&v, 64 * 1024);
	if (fault)
		str_lcpy(seen->status, "Fault", sizeof seen->status);
	else
		observe(body, seen);
	for (i = 0; i < t->nkv; i++) {
		const char *key = t->kv[i].key, *val;

		if (strncmp(key, "expect.", 7) != 0)
			continue;
		buf_reset(&v);
		if (conform_expand(vars, t->kv[i].val, &v, err, sizeof err) !=
		    XDS_OK) {
			str_fmt(reason, reasonlen, "%s: %s", key, err);
			goto out;
		}
		val = buf_str(&v);
		key += 7;
		if (strcmp(key, "status") == 0) {
			if (strcmp(val, seen->status) != 0) {
				if (fault)
					because(reason, reasonlen, "status: "
					    "expected %s, seen a SOAP fault (%s)",
					    val, fault_reason);
				else
					because(reason, reasonlen, "status: "
					    "expected %s, seen %s%s%s%s", val,
					    seen->status[0] ? seen->status :
					    "no status", seen->errors[0] ?
					    " [" : "", seen->errors,
					    seen->errors[0] ? "]" : "");
			}
		} else if (strcmp(key, "error") == 0) {
			if (strcmp(val, "none") == 0) {
				if (seen->errors[0] != '\0')
					because(reason, reasonlen, "error: "
					    "expected none, seen %s",
					    seen->errors);
			} else if (codes_missing(val, seen->errors, miss,
			    sizeof miss))
				because(reason, reasonlen, "error: expected "
				    "%s, seen %s", miss, seen->errors[0] ?
				    seen->errors : "none");
		} else if (strncmp(key, "count.", 6) == 0) {
			long long want;

			for (k = 0; k < sizeof count_names /
			    sizeof count_names[0]; k++)
				if (strcmp(key + 6, count_names[k]) == 0)
					break;
			if (k == sizeof count_names / sizeof count_names[0] ||
			    str_tonum(val, 0, 1000000, &want, &es) != 0) {
				str_fmt(reason, reasonlen, "expect.%s: %s", key,
				    val);
				goto out;
			}
			if (!fault && seen->nobj[k] != (int)want)
				because(reason, reasonlen, "%s: expected %lld, "
				    "seen %d", count_names[k], want,
				    seen->nobj[k]);
		} else if (strcmp(key, "home") == 0) {
			if (!fault)
				check_home(body, val, reason, reasonlen);
		} else if (strcmp(key, "location") == 0) {
			if (!fault)
				check_location(body, val, reason, reasonlen);
		} else if (strcmp(key, "document") == 0) {
			if (!fault)
				check_document(vars, body, val, docs, reason,
				    reasonlen);
		} else if (strcmp(key, "dicom") == 0) {
			if (!fault)
				check_dicom(body, val, docs, reason, reasonlen);
		} else if (strcmp(key, "objstatus") == 0) {
			xmlNode *o;

			if (sscanf(val, "%255s %255s", a, b) != 2) {
				str_fmt(reason, reasonlen, "expect.objstatus: "
				    "ID STATUS");
				goto out;
			}
			if (fault)
				continue;
			if ((o = object_by_id(body, a)) == NULL)
				because(reason, reasonlen, "%s: not in the "
				    "answer", a);
			else if (strcmp(short_status(xml_attr(o, "status")),
			    b) != 0)
				because(reason, reasonlen, "%s: status %s, "
				    "expected %s", a,
				    xml_attr(o, "status") ? short_status(
				    xml_attr(o, "status")) : "none", b);
		} else if (strcmp(key, "version") == 0) {
			xmlNode *o, *vi;
			const char *vn;

			if (sscanf(val, "%255s %255s", a, b) != 2) {
				str_fmt(reason, reasonlen, "expect.version: "
				    "ID VERSIONNAME");
				goto out;
			}
			if (fault)
				continue;
			vi = (o = object_by_id(body, a)) ? xml_child(o, NS_RIM,
			    "VersionInfo") : NULL;
			vn = vi ? xml_attr(vi, "versionName") : NULL;
			if (o == NULL)
				because(reason, reasonlen, "%s: not in the "
				    "answer", a);
			else if (vn == NULL || strcmp(vn, b) != 0)
				because(reason, reasonlen, "%s: versionName "
				    "%s, expected %s", a, vn ? vn : "none", b);
		} else if (strcmp(key, "slot") == 0) {
			xmlNode *o;
			char got[256];

			if (sscanf(val, "%255s %255s %255s", a, b, c) != 3) {
				str_fmt(reason, reasonlen, "expect.slot: ID "
				    "NAME VALUE");
				goto out;
			}
			if (fault)
				continue;
			if ((o = object_by_id(body, a)) == NULL)
				because(reason, reasonlen, "%s: not in the "
				    "answer", a);
			else if (slot_value(o, b, got, sizeof got) != 0)
				because(reason, reasonlen, "%s: no slot %s",
				    a, b);
			else if (!str_caseeq(got, c))
				because(reason, reasonlen, "%s: slot %s is "
				    "%s, expected %s", a, b, got, c);
		}
	}
	rc = reason[0] == '\0';
out:
	buf_free(&v);
	return rc;
}
