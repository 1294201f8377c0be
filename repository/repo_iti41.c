/*
 * repo_iti41.c: ITI-41 Provide and Register Document Set-b (and RAD-68,
 * the same transaction carrying DICOM KOS manifests).
 *
 *   metadata <-> documents (P1) -> stage every document, hashing it
 *   (attachment: hard link of the spool file; inline base64: decoded into
 *   the store) -> supplied hash/size (P2) -> hash, size,
 *   repositoryUniqueId slots (P3) -> blobs durable, then 'pending' rows
 *   -> ITI-42 -> rows 'committed', or everything of this submission
 *   removed again (P4).
 *
 * Inline base64 documents are streamed by the SOAP layer: the repository
 * endpoint lists xdsb:Document in inline_base64, so their text is decoded
 * into hashed spool files while the root part is parsed and they arrive
 * here as attachments behind an xop:Include, like XOP parts.  What is
 * still decoded from the DOM (stage_inline) is only what that layer left
 * there: the "!" it puts in place of invalid base64 (answered
 * XDSRepositoryMetadataError, as ever) and any caller of repo_iti41
 * without that layer (tests/test_repository.c); it stays small.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ebrim.h"
#include "log.h"
#include "mtom.h"
#include "repository_int.h"
#include "space.h"
#include "status.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define B64_IN	(48 * 1024)

struct pdoc {
	xmlNode		*eo;		/* rim:ExtrinsicObject */
	xmlNode		*del;		/* xdsb:Document */
	const char	*id;
	char		 uid[REPO_UID_MAX];
	const struct mtom_attachment *att;
	struct blob_staged st;
	int		 inserted;	/* our row: remove it on failure */
};

struct pnr {
	struct repository *r;
	struct xact	*x;
	struct pdoc	*d;
	size_t		 n;
	struct rim_errors errs;
	int		 toobig;
};

static xmlNode *
child(xmlNode *n, const char *ns, const char *name)
{
	xmlNode *c;

	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c))
		if (xml_is(c, ns, name))
			return c;
	return NULL;
}

/* value of the rim:ExternalIdentifier of n with this scheme */
static const char *
extid(xmlNode *n, const char *scheme)
{
	xmlNode *c;
	const char *s;

	for (c = xml_first_elem(n); c != NULL; c = xml_next_elem(c)) {
		if (!xml_is(c, NS_RIM, "ExternalIdentifier"))
			continue;
		if ((s = xml_attr(c, "identificationScheme")) != NULL &&
		    strcmp(s, scheme) == 0)
			return xml_attr(c, "value");
	}
	return NULL;
}

/* First Value of the rim:Slot name of n into out; 0, or -1 if none. */
static int
slot1(xmlNode *n, const char *name, char *out, size_t outsz)
{
	xmlNode *s, *vl, *v;
	const char *sn;

	for (s = xml_first_elem(n); s != NULL; s = xml_next_elem(s)) {
		if (!xml_is(s, NS_RIM, "Slot") || (sn = xml_attr(s, "name")) ==
		    NULL || strcmp(sn, name) != 0)
			continue;
		if ((vl = child(s, NS_RIM, "ValueList")) == NULL ||
		    (v = child(vl, NS_RIM, "Value")) == NULL)
			return -1;
		return xml_text(v, out, outsz) == 0 ? 0 : -1;
	}
	return -1;
}

/* Replace the slot name of eo by one with a single value. */
static int
set_slot(xmlNode *eo, const char *name, const char *value)
{
	xmlNode *s, *next, *slot, *vl, *first;
	const char *sn;

	for (s = xml_first_elem(eo); s != NULL; s = next) {
		next = xml_next_elem(s);
		if (xml_is(s, NS_RIM, "Slot") && (sn = xml_attr(s, "name")) !=
		    NULL && strcmp(sn, name) == 0) {
			xmlUnlinkNode(s);
			xmlFreeNode(s);
		}
	}
	if ((slot = xmlNewDocNode(eo->doc, eo->ns, (const xmlChar *)"Slot",
	    NULL)) == NULL)
		return -1;
	if (xmlNewProp(slot, (const xmlChar *)"name",
	    (const xmlChar *)name) == NULL ||
	    (vl = xmlNewChild(slot, eo->ns, (const xmlChar *)"ValueList",
	    NULL)) == NULL ||
	    xmlNewTextChild(vl, eo->ns, (const xmlChar *)"Value",
	    (const xmlChar *)value) == NULL) {
		xmlFreeNode(slot);
		return -1;
	}
	/* ebRIM order: Slot* first. */
	if ((first = xml_first_elem(eo)) != NULL)
		xmlAddPrevSibling(first, slot);
	else
		xmlAddChild(eo, slot);
	return 0;
}

/* P1 and the uniqueIds: pair every DocumentEntry with its Document. */
static int
collect(struct pnr *p, xmlNode *body, xmlNode *list)
{
	xmlNode *n;
	const char *ot, *id, *uid, *v;
	size_t i, j;

	for (n = xml_first_elem(list); n != NULL; n = xml_next_elem(n)) {
		if (xml_is(n, NS_RIM, "RegistryPackage")) {
			if ((v = extid(n, EI_SS_PATIENTID)) != NULL)
				xact_set_patient(p->x, v);
			if ((v = extid(n, EI_SS_UNIQUEID)) != NULL)
				xact_set_object(p->x, v);
			continue;
		}
		if (!xml_is(n, NS_RIM, "ExtrinsicObject"))
			continue;
		ot = xml_attr(n, "objectType");
		if (ot != NULL && strcmp(ot, OT_DE_ONDEMAND) == 0)
			continue;
		if (p->n == REPO_MAX_DOCUMENTS)
			return rim_error(&p->errs, p->x,
			    ERR_REPOSITORY_METADATA, "more than %d documents "
			    "in one submission", REPO_MAX_DOCUMENTS);
		id = xml_attr(n, "id");
		uid = extid(n, EI_DE_UNIQUEID);
		p->d[p->n].eo = n;
		p->d[p->n].id = id != NULL ? id : "";
		if (uid == NULL || uid[0] == '\0' ||
		    str_lcpy(p->d[p->n].uid, uid, REPO_UID_MAX) >= REPO_UID_MAX) {
			if (rim_error(&p->errs, p->x, ERR_REPOSITORY_METADATA,
			    "DocumentEntry %.200s has no uniqueId of at most "
			    "128 characters", p->d[p->n].id) != 0)
				return -1;
		}
		p->n++;
	}
	for (i = 0; i < p->n; i++)
		for (j = i + 1; j < p->n; j++)
			if (p->d[i].uid[0] != '\0' &&
			    strcmp(p->d[i].uid, p->d[j].uid) == 0 &&
			    rim_error(&p->errs, p->x,
			    ERR_REPOSITORY_DUP_IN_MESSAGE, "uniqueId %.200s is "
			    "used by more than one DocumentEntry (%.200s)",
			    p->d[i].uid, p->d[j].id) != 0)
				return -1;
	for (n = xml_first_elem(body); n != NULL; n = xml_next_elem(n)) {
		if (!xml_is(n, NS_XDSB, "Document"))
			continue;
		id = xml_attr(n, "id");
		for (i = 0; i < p->n; i++)
			if (id != NULL && strcmp(p->d[i].id, id) == 0)
				break;
		if (i == p->n) {
			if (rim_error(&p->errs, p->x,
			    ERR_MISSING_DOCUMENT_METADATA, "Document %.200s "
			    "has no DocumentEntry",
			    id != NULL ? id : "(without id)") != 0)
				return -1;
			continue;
		}
		if (p->d[i].del != NULL) {
			if (rim_error(&p->errs, p->x, ERR_REPOSITORY_METADATA,
			    "DocumentEntry %.200s has more than one "
			    "Document", id) != 0)
				return -1;
			continue;
		}
		p->d[i].del = n;
	}
	for (i = 0; i < p->n; i++)
		if (p->d[i].del == NULL && rim_error(&p->errs, p->x,
		    ERR_MISSING_DOCUMENT, "DocumentEntry %.200s has no "
		    "Document", p->d[i].id) != 0)
			return -1;
	return 0;
}

/* An MTOM part: hashed while it was spooled (no second read) unless
 * whoever made the attachment left sha256 empty. */
static int
stage_att(struct pnr *p, const struct mtom_attachment *a,
    struct blob_staged *st, char *err, size_t errlen)
{
	struct blob_info known;

	if (a->sha256[0] == '\0')
		return blobstore_stage_file(p->r->bs, a->path, p->r->max_doc,
		    st, err, errlen);
	memset(&known, 0, sizeof known);
	str_lcpy(known.sha256, a->sha256, sizeof known.sha256);
	str_lcpy(known.sha1, a->sha1, sizeof known.sha1);
	known.size = a->size;
	return blobstore_stage_hashed(p->r->bs, a->path, &known, p->r->max_doc,
	    st, err, errlen);
}

/* Inline base64 text of del, decoded into the store. */
static int
stage_inline(struct pnr *p, struct pdoc *d, char *err, size_t errlen)
{
	EVP_ENCODE_CTX *ctx;
	struct blob_writer *w = NULL;
	unsigned char *out = NULL;
	xmlNode *t;
	const char *s;
	size_t len, off, k;
	int olen, rc = XDS_ENOMEM;

	if ((ctx = EVP_ENCODE_CTX_new()) == NULL ||
	    (out = malloc(B64_IN)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = blobstore_writer_new(p->r->bs, p->r->max_doc, &w, err,
	    errlen)) != XDS_OK)
		goto out;
	EVP_DecodeInit(ctx);
	for (t = d->del->children; t != NULL; t = t->next) {
		if (t->type != XML_TEXT_NODE && t->type != XML_CDATA_SECTION_NODE)
			continue;
		s = (const char *)t->content;
		len = s != NULL ? strlen(s) : 0;
		for (off = 0; off < len; off += k) {
			k = len - off < B64_IN / 4 * 3 ? len - off :
			    B64_IN / 4 * 3;
			if (EVP_DecodeUpdate(ctx, out, &olen,
			    (const unsigned char *)s + off, (int)k) < 0) {
				str_fmt(err, errlen, "Document %.200s: invalid "
				    "base64", d->id);
				rc = XDS_EFORMAT;
				goto out;
			}
			if ((rc = blob_writer_write(w, out, (size_t)olen, err,
			    errlen)) != XDS_OK)
				goto out;
		}
	}
	if (EVP_DecodeFinal(ctx, out, &olen) < 0) {
		str_fmt(err, errlen, "Document %.200s: invalid base64", d->id);
		rc = XDS_EFORMAT;
		goto out;
	}
	if ((rc = blob_writer_write(w, out, (size_t)olen, err, errlen)) !=
	    XDS_OK)
		goto out;
	rc = blob_writer_finish(w, &d->st, err, errlen);
	w = NULL;
out:
	blob_writer_abort(w);
	EVP_ENCODE_CTX_free(ctx);
	free(out);
	return rc;
}

/* P2: supplied hash and size against what arrived. */
static int
check_supplied(struct pnr *p, struct pdoc *d)
{
	char v[128], got[32];
	long long sz;
	const char *es;

	if (slot1(d->eo, SLOT_HASH, v, sizeof v) == 0 &&
	    !str_caseeq(str_trim(v), d->st.info.sha1) &&
	    rim_error(&p->errs, p->x, ERR_REPOSITORY_METADATA, "DocumentEntry "
	    "%.200s: hash %.64s differs from the document's SHA-1", d->id,
	    v) != 0)
		return -1;
	str_fmt(got, sizeof got, "%lld", (long long)d->st.info.size);
	if (slot1(d->eo, SLOT_SIZE, v, sizeof v) == 0 &&
	    (str_tonum(str_trim(v), 0, (1LL << 62), &sz, &es) != 0 ||
	    sz != (long long)d->st.info.size) &&
	    rim_error(&p->errs, p->x, ERR_REPOSITORY_METADATA, "DocumentEntry "
	    "%.200s: size %.64s differs from the document's size", d->id,
	    v) != 0)
		return -1;
	return 0;
}

/* Stage every document and check its hash and size.  -1: fault. */
static int
stage_all(struct pnr *p, const struct soap_request *req)
{
	struct pdoc *d;
	xmlNode *inc;
	const char *href;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < p->n; i++) {
		d = &p->d[i];
		if ((inc = child(d->del, NS_XOP, "Include")) != NULL) {
			href = xml_attr(inc, "href");
			d->att = href != NULL ? mtom_find(req->att, req->natt,
			    href) : NULL;
			if (d->att == NULL) {
				/* soap_serve resolved every Include */
				str_fmt(p->x->reason, sizeof p->x->reason,
				    "Document %.100s: unresolved xop:Include",
				    d->id);
				return -1;
			}
			if (p->r->max_doc > 0 && d->att->size > p->r->max_doc) {
				p->toobig = 1;
				str_fmt(p->x->reason, sizeof p->x->reason,
				    "Document %.100s: %lld bytes, larger than "
				    "repository.max_document_size", d->id,
				    (long long)d->att->size);
				return -1;
			}
			rc = stage_att(p, d->att, &d->st, err, sizeof err);
		} else if (xml_first_elem(d->del) != NULL) {
			if (rim_error(&p->errs, p->x, ERR_REPOSITORY_METADATA,
			    "Document %.200s is neither an xop:Include nor "
			    "inline base64", d->id) != 0)
				return -1;
			continue;
		} else
			rc = stage_inline(p, d, err, sizeof err);
		if (rc == XDS_ETOOBIG) {
			p->toobig = 1;
			str_fmt(p->x->reason, sizeof p->x->reason,
			    "Document %.100s larger than "
			    "repository.max_document_size", d->id);
			return -1;
		}
		if (rc == XDS_EFORMAT) {
			if (rim_error(&p->errs, p->x, ERR_REPOSITORY_METADATA,
			    "%.300s", err) != 0)
				return -1;
			continue;
		}
		if (rc != XDS_OK) {
			log_warnx("repository: ITI-41: %s", err);
			str_fmt(p->x->reason, sizeof p->x->reason,
			    "the document could not be stored");
			return -1;
		}
		if (check_supplied(p, d) != 0)
			return -1;
	}
	return 0;
}

/* A uniqueId already stored must carry the same bytes. */
static int
check_existing(struct pnr *p)
{
	struct repo_doc old;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < p->n; i++) {
		rc = repo_db_get(p->r->db, p->d[i].uid, &old, err, sizeof err);
		if (rc != XDS_OK && rc != XDS_ENOTFOUND) {
			log_warnx("repository: ITI-41: %s", err);
			return -1;
		}
		if (rc == XDS_OK && strcmp(old.sha1,
		    p->d[i].st.info.sha1) != 0 && rim_error(&p->errs, p->x,
		    ERR_NON_IDENTICAL_HASH, "uniqueId %.200s is stored with "
		    "other content (DocumentEntry %.200s)", p->d[i].uid,
		    p->d[i].id) != 0)
			return -1;
	}
	return 0;
}

/* P3: the slots the repository owns. */
static int
set_slots(struct pnr *p)
{
	char size[32];
	size_t i;

	for (i = 0; i < p->n; i++) {
		str_fmt(size, sizeof size, "%lld",
		    (long long)p->d[i].st.info.size);
		if (set_slot(p->d[i].eo, SLOT_HASH, p->d[i].st.info.sha1) != 0 ||
		    set_slot(p->d[i].eo, SLOT_SIZE, size) != 0 ||
		    set_slot(p->d[i].eo, SLOT_REPOSITORYUID,
		    p->r->unique_id) != 0)
			return -1;
	}
	return 0;
}

/* Undo what this submission stored: our rows, and blobs nobody else
 * refers to; staged files not yet committed. */
static void
rollback(struct pnr *p)
{
	struct pdoc *d;
	long long refs;
	char err[256];
	size_t i;

	for (i = 0; i < p->n; i++) {
		d = &p->d[i];
		blobstore_discard(p->r->bs, &d->st);
		if (!d->inserted)
			continue;
		blobstore_lock(p->r->bs, d->st.info.sha256);
		if (repo_db_delete(p->r->db, d->uid, d->st.info.sha256, &refs,
		    err, sizeof err) != XDS_OK)
			log_warnx("repository: rollback of %s: %s", d->uid, err);
		else if (refs == 0 && blobstore_delete(p->r->bs,
		    d->st.info.sha256, err, sizeof err) != XDS_OK)
			log_warnx("repository: rollback: %s", err);
		blobstore_unlock(p->r->bs, d->st.info.sha256);
		d->inserted = 0;
	}
}

/* Blobs durable first, then each row (P: no row without bytes). */
static int
store_all(struct pnr *p)
{
	struct repo_doc row;
	struct pdoc *d;
	char err[256];
	const char *mt;
	size_t i;
	int rc;

	for (i = 0; i < p->n; i++) {
		d = &p->d[i];
		memset(&row, 0, sizeof row);
		str_lcpy(row.unique_id, d->uid, sizeof row.unique_id);
		str_lcpy(row.sha256, d->st.info.sha256, sizeof row.sha256);
		str_lcpy(row.sha1, d->st.info.sha1, sizeof row.sha1);
		row.size = d->st.info.size;
		mt = xml_attr(d->eo, "mimeType");
		str_lcpy(row.mime_type, mt != NULL ? mt : "",
		    sizeof row.mime_type);
		blobstore_lock(p->r->bs, row.sha256);
		rc = blobstore_commit(p->r->bs, &d->st, err, sizeof err);
		if (rc == XDS_OK) {
			rc = repo_db_insert(p->r->db, &row, err, sizeof err);
			if (rc == XDS_OK)
				d->inserted = 1;
			else if (rc == XDS_EEXIST)
				rc = 0;	/* same bytes (check_existing) */
		}
		blobstore_unlock(p->r->bs, row.sha256);
		if (rc != 0) {
			log_warnx("repository: ITI-41: %s", err);
			return -1;
		}
	}
	return 0;
}

static int
respond(struct pnr *p, struct soap_reply *reply, int ok)
{
	if (rim_write_registry_response(&reply->body, ok ? ST_SUCCESS :
	    ST_FAILURE, &p->errs) != 0) {
		str_fmt(p->x->reason, sizeof p->x->reason,
		    "response too large");
		return -1;
	}
	return 0;
}

int
repo_iti41(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct pnr p;
	xmlNode *sor, *list;
	const char **uids = NULL;
	char err[256];
	size_t i, nu;
	int rc, ret = -1;

	memset(&p, 0, sizeof p);
	p.r = actor;
	p.x = x;
	rim_errors_init(&p.errs);
	if ((p.d = calloc(REPO_MAX_DOCUMENTS, sizeof *p.d)) == NULL) {
		str_fmt(x->reason, sizeof x->reason, "out of memory");
		goto out;
	}
	/* A full disk: refused before a document is stored (its parts
	 * are only in the spool, removed with the request). */
	if (!space_ok(p.r->state_dir, p.r->min_free, err, sizeof err)) {
		log_warnx("repository: %s refused: %s", x->txn, err);
		if (rim_error(&p.errs, p.x, ERR_REPOSITORY_OUT_OF_RESOURCES,
		    "%s", err) != 0)
			goto out;
		ret = respond(&p, reply, 0);
		goto out;
	}
	sor = child(req->body, NS_LCM, "SubmitObjectsRequest");
	list = sor != NULL ? child(sor, NS_RIM, "RegistryObjectList") : NULL;
	if (list == NULL) {
		if (rim_error(&p.errs, p.x, ERR_REPOSITORY_METADATA, "%s",
		    "ProvideAndRegisterDocumentSetRequest without "
		    "lcm:SubmitObjectsRequest/rim:RegistryObjectList") != 0)
			goto out;
		ret = respond(&p, reply, 0);
		goto out;
	}
	if (collect(&p, req->body, list) != 0)
		goto nomem;
	if (rim_errors_nerror(&p.errs) == 0 && stage_all(&p, req) != 0)
		goto fail;
	if (rim_errors_nerror(&p.errs) == 0 && check_existing(&p) != 0)
		goto fail;
	if (rim_errors_nerror(&p.errs) > 0) {
		rollback(&p);
		ret = respond(&p, reply, 0);
		goto out;
	}
	if (set_slots(&p) != 0)
		goto nomem;
	if (store_all(&p) != 0) {
		rollback(&p);
		xact_add_error(x, ERR_REPOSITORY);
		if (rim_errors_add(&p.errs, 0, ERR_REPOSITORY, NULL,
		    "the documents could not be stored") != 0)
			goto nomem;
		ret = respond(&p, reply, 0);
		goto out;
	}
	rc = registry_client_register(p.r->rc, sor, x, &p.errs);
	/* Registration is over, whatever its outcome: from here the rows are
	 * committed or rolled back below, or (outcome unknown) left for the
	 * reconciliation, which skips rows marked live (repo_db.h). */
	repo_db_release_thread();
	if (rc == XDS_ENOMEM)
		goto nomem;
	for (i = 0; i < p.errs.n; i++)
		if (!p.errs.v[i].warning)
			xact_add_error(x, p.errs.v[i].code);
	if (rc == XDS_EUNCERTAIN) {
		/* The registry may hold the entries: keep rows ('pending')
		 * and bytes rather than risk an entry without them. */
		log_warnx("repository: ITI-41 %s: registry outcome unknown; "
		    "%zu document(s) kept pending", x->object, p.n);
		ret = respond(&p, reply, 0);
		goto out;
	}
	if (rc != XDS_OK) {
		rollback(&p);
		ret = respond(&p, reply, 0);
		goto out;
	}
	if ((uids = calloc(p.n + 1, sizeof *uids)) == NULL)
		goto nomem;
	for (i = nu = 0; i < p.n; i++)
		if (p.d[i].inserted)
			uids[nu++] = p.d[i].uid;
	/* The registry holds the entries now: the rows stay whatever
	 * happens here (a row left pending is not served until the
	 * start-up reconciliation finds its entry in the registry). */
	if (nu > 0 && repo_db_commit(p.r->db, uids, nu, err, sizeof err) !=
	    XDS_OK)
		log_warnx("repository: ITI-41: %s", err);
	log_info("repository: ITI-41 stored %zu document(s) of %s", p.n,
	    x->object);
	ret = respond(&p, reply, 1);
	goto out;
nomem:
	str_fmt(x->reason, sizeof x->reason, "repository: out of memory");
fail:
	rollback(&p);
	if (p.toobig) {
		ret = XDS_ETOOBIG;	/* 413 with a Sender fault */
		xact_add_error(x, xds_status_errcode(ret,
		    XDS_ACTOR_REPOSITORY));
	}
out:
	free(uids);
	rim_errors_free(&p.errs);
	free(p.d);
	return ret;
}
