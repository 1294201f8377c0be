/*
 * submit.c: ITI-42 Register Document Set-b, and what ITI-57 Update
 * Document Set shares with it (update.c holds the rest).
 *
 * parse -> validate (validate.c) -> symbolic ids replaced (R3) -> one
 * BEGIN IMMEDIATE transaction that checks what needs the database (R3
 * entryUUIDs unused, R4 references, R5 feed mode, R7, R8, R10, R13,
 * R14) and, only when all pass, stores every object (R15, R16, R20).
 * Any error rolls the whole submission back (R17).
 */
#include "config.h"

#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "log.h"
#include "registry_int.h"
#include "space.h"
#include "store.h"
#include "submit_int.h"
#include "str.h"
#include "validate.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define CX_MAX		SUB_CX_MAX
#define OBJ_XML_MAX	(4 * 1024 * 1024)	/* one stored object's XML */

void
reg_now_dtm(char out[15])
{
	struct tm tm;
	time_t	 t = (time_t)clock_wall();

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 15, "%Y%m%d%H%M%S", &tm) != 14)
		str_lcpy(out, "19700101000000", 15);
}

long
sub_find_new(const struct sub *s, const char *id)
{
	return rim_index_find(&s->byid, id);
}

/* The objects of the index: those of a known kind. */
static int
keep_known(const struct rim_list *l, size_t i, void *arg)
{
	const struct sub *s = arg;

	(void)l;
	return s->kind[i] != XDS_UNKNOWN;
}

/* ---- R3: symbolic ids become fresh entryUUIDs ---- */

struct idmap {
	const char	*from;
	char		*to;
};

static int
map_cmp(const void *a, const void *b)
{
	return strcmp(((const struct idmap *)a)->from,
	    ((const struct idmap *)b)->from);
}

static char *
map_get(const struct idmap *m, size_t n, char *ref)
{
	struct idmap k, *p;

	if (ref == NULL || n == 0)
		return ref;
	k.from = ref;
	k.to = NULL;
	p = bsearch(&k, m, n, sizeof *m, map_cmp);
	return p == NULL ? ref : p->to;
}

/* Random bytes for every entryUUID a submission needs, from one
 * getrandom(2) call instead of one per UUID. */
struct uuid_pool {
	unsigned char	*r;
	size_t		 n;	/* UUIDs in r */
	size_t		 used;
};

static int
uuid_pool_fill(struct uuid_pool *p, size_t n)
{
	size_t	 got = 0, len;
	ssize_t	 k;

	p->used = 0;
	p->n = 0;
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / 16 || (p->r = malloc(n * 16)) == NULL)
		return -1;
	len = n * 16;
	while (got < len) {
		if ((k = getrandom(p->r + got, len - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)k;
	}
	p->n = n;
	return 0;
}

static char *
fresh_uuid(struct rim_list *l, struct uuid_pool *p)
{
	unsigned char *r;
	char	 u[46], hex[33];

	if (p->used >= p->n) {
		/* Counted wrong: still correct, one syscall more. */
		if (hl7_uuid_new(u) != 0)
			return NULL;
		return rim_strdup(l, u);
	}
	r = p->r + 16 * p->used++;
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	str_hex(r, 16, hex);
	if (str_fmt(u, sizeof u, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	    hex + 8, hex + 12, hex + 16, hex + 20) < 0)
		return NULL;
	return rim_strdup(l, u);
}

static int
is_uuid_ref(const char *id)
{
	return id != NULL && strncmp(id, "urn:uuid:", 9) == 0;
}

/* Give every symbolic id (top-level and nested) a fresh urn:uuid and
 * rewrite every reference to it; lid = id (new objects, version 1),
 * except with keep_lid (ITI-57), where a urn:uuid lid the submitter gave
 * names the logical object this one is a new version of. */
static int
assign_ids(struct rim_list *l, int keep_lid)
{
	struct idmap *m = NULL;
	struct uuid_pool pool;
	size_t	 i, j, n = 0, need = 0;
	int	 rc = -1;

	memset(&pool, 0, sizeof pool);
	for (i = 0; i < l->nobj; i++)
		need += 1 + l->obj[i].ncls + l->obj[i].neids;
	if (uuid_pool_fill(&pool, need) != 0)
		goto out;
	if ((m = calloc(l->nobj + 1, sizeof *m)) == NULL)
		goto out;
	for (i = 0; i < l->nobj; i++) {
		struct rim_object *o = &l->obj[i];

		if (o->id == NULL || is_uuid_ref(o->id) ||
		    o->kind == RIM_OBJECT_REF)
			continue;
		m[n].from = o->id;
		if ((m[n].to = fresh_uuid(l, &pool)) == NULL)
			goto out;
		n++;
	}
	qsort(m, n, sizeof *m, map_cmp);
	for (i = 0; i < l->nobj; i++) {
		struct rim_object *o = &l->obj[i];

		o->id = map_get(m, n, o->id);
		if (o->kind != RIM_OBJECT_REF &&
		    o->kind != RIM_CLASSIFICATION) {
			if (keep_lid && o->lid != NULL)
				o->lid = map_get(m, n, o->lid);
			if (!keep_lid || !is_uuid_ref(o->lid))
				o->lid = o->id;
		}
		o->source = map_get(m, n, o->source);
		o->target = map_get(m, n, o->target);
		o->classified = map_get(m, n, o->classified);
		for (j = 0; j < o->ncls; j++) {
			struct rim_classification *c = &o->cls[j];

			if (c->id == NULL || !is_uuid_ref(c->id))
				if ((c->id = fresh_uuid(l, &pool)) == NULL)
					goto out;
			c->classified = map_get(m, n, c->classified);
		}
		for (j = 0; j < o->neids; j++) {
			struct rim_extid *e = &o->eids[j];

			if (e->id == NULL || !is_uuid_ref(e->id))
				if ((e->id = fresh_uuid(l, &pool)) == NULL)
					goto out;
			e->registry_object = map_get(m, n, e->registry_object);
		}
	}
	rc = 0;
out:
	free(pool.r);
	free(m);
	return rc;
}

/* ---- database helpers ---- */

static const char SQL_LOOKUP[] =
    "SELECT id, kind, status, patient_id FROM registry_object "
    "WHERE entry_uuid = ?";
static const char SQL_PATIENT_KNOWN[] =
    "SELECT 1 FROM patient WHERE patient_id = ?";
static const char SQL_PATIENT_HAS_DOCS[] =
    "SELECT 1 FROM document_entry WHERE patient_id = ? LIMIT 1";
static const char SQL_PKG_UID[] =
    "SELECT entry_uuid FROM registry_object "
    "WHERE kind IN (2, 3) AND unique_id = ? LIMIT 1";
static const char SQL_DE_UID[] =
    "SELECT hash, size FROM document_entry WHERE unique_id = ? LIMIT 1";
static const char SQL_INS_OBJECT[] =
    "INSERT INTO registry_object (entry_uuid, lid, version, kind, status, "
    "patient_id, unique_id, xml, submission) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_SET_SUBMISSION[] =
    "UPDATE registry_object SET submission = ? WHERE id = ?";
static const char SQL_INS_DE[] =
    "INSERT INTO document_entry (id, patient_id, status, object_type, "
    "unique_id, repository_uid, creation_time, service_start_time, "
    "service_stop_time, hash, size, mime_type, availability) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_INS_SS[] =
    "INSERT INTO submission_set (id, patient_id, status, unique_id, "
    "source_id, submission_time) VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_INS_FOLDER[] =
    "INSERT INTO folder (id, patient_id, status, unique_id, "
    "last_update_time) VALUES (?, ?, ?, ?, ?)";
static const char SQL_INS_CODE[] =
    "INSERT OR IGNORE INTO code (object_id, scheme, code, coding_scheme) "
    "VALUES (?, ?, ?, ?)";
static const char SQL_INS_AUTHOR[] =
    "INSERT INTO author (object_id, seq, person) VALUES (?, ?, ?)";
static const char SQL_INS_REFID[] =
    "INSERT OR IGNORE INTO reference_id (object_id, value) VALUES (?, ?)";
static const char SQL_INS_ASSOC[] =
    "INSERT INTO association (id, type, source_id, target_id) "
    "VALUES (?, ?, ?, ?)";
static const char SQL_DEPRECATE_RO[] =
    "UPDATE registry_object SET status = ? WHERE id = ?";
static const char SQL_DEPRECATE_DE[] =
    "UPDATE document_entry SET status = ? WHERE id = ?";
/* CP-ITI-117 (NIST 12022): a replaced document's addenda and
 * transformations are deprecated with it. */
static const char SQL_DEPRECATE_CHILD_RO[] =
    "UPDATE registry_object SET status = ?1 WHERE kind = 1 AND status = ?2 "
    "AND id IN (SELECT source_id FROM association WHERE target_id = ?3 "
    "AND type IN (?4, ?5))";
static const char SQL_DEPRECATE_CHILD_DE[] =
    "UPDATE document_entry SET status = ?1 WHERE status = ?2 "
    "AND id IN (SELECT source_id FROM association WHERE target_id = ?3 "
    "AND type IN (?4, ?5))";
static const char SQL_FOLDERS_OF[] =
    "SELECT f.id, f.entry_uuid FROM association a "
    "JOIN registry_object f ON f.id = a.source_id "
    "WHERE a.target_id = ? AND a.type = ? AND f.kind = 3";
static const char SQL_OBJ_XML[] =
    "SELECT xml FROM registry_object WHERE id = ?";
static const char SQL_SET_XML[] =
    "UPDATE registry_object SET xml = ? WHERE id = ?";
static const char SQL_FOLDER_TIME[] =
    "UPDATE folder SET last_update_time = ? WHERE id = ?";

int
sub_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Step a statement that returns no row. */
int
sub_step_done(struct store_conn *c, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("registry: %s", sqlite3_errmsg(c->db));
		return store_rc(rc);
	}
	return 0;
}

int
sub_lookup(struct store_conn *c, const char *uuid, struct stored *out)
{
	sqlite3_stmt *st;
	const unsigned char *t;
	int	 rc;

	memset(out, 0, sizeof *out);
	if ((st = store_stmt(c, SQL_LOOKUP)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, uuid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->row = sqlite3_column_int64(st, 0);
		out->kind = sqlite3_column_int(st, 1);
		if ((t = sqlite3_column_text(st, 2)) != NULL)
			str_lcpy(out->status, (const char *)t, sizeof out->status);
		if ((t = sqlite3_column_text(st, 3)) != NULL)
			str_lcpy(out->patient, (const char *)t,
			    sizeof out->patient);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

static int
is_replace(const char *t)
{
	return strcmp(t, AT_RPLC) == 0 || strcmp(t, AT_XFRM_RPLC) == 0;
}

static int
needs_approved(const char *t)
{
	return is_replace(t) || strcmp(t, AT_APND) == 0 ||
	    strcmp(t, AT_XFRM) == 0;
}

/* ---- checks against the database ---- */

static int
check_refs(struct sub *s, struct store_conn *c)
{
	struct rim_list *l = s->l;
	struct stored so;
	size_t	 i, j;
	int	 rc;

	/* R3: new objects must not reuse a stored entryUUID. */
	for (i = 0; i < s->byid.n; i++) {
		if ((rc = sub_lookup(c, s->byid.v[i].id, &so)) < 0)
			return rc;
		if (rc == 1)
			rim_error(&s->terr, NULL, ERR_REGISTRY_METADATA, "%s "
			    "'%s': this entryUUID is already used by a stored "
			    "%s; ids are never reused",
			    validate_kind_name(s->kind[s->byid.v[i].idx]),
			    s->byid.v[i].id, validate_kind_name(so.kind));
	}
	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *a = &l->obj[i];
		const char *ends[2];

		if (s->kind[i] != XDS_ASSOCIATION)
			continue;
		ends[0] = a->source;
		ends[1] = a->target;
		for (j = 0; j < 2; j++) {
			if (sub_find_new(s, ends[j]) >= 0)
				continue;
			/* R4 */
			if ((rc = sub_lookup(c, ends[j], &so)) < 0)
				return rc;
			if (rc == 0) {
				rim_error(&s->terr, NULL,
				    ERR_UNRESOLVED_REFERENCE, "Association "
				    "'%s': %s '%s' is neither in the "
				    "submission nor in the registry", a->id,
				    j == 0 ? "sourceObject" : "targetObject",
				    ends[j]);
				continue;
			}
			/* R7 */
			if (so.patient[0] != '\0' &&
			    strcmp(so.patient, s->patient) != 0)
				rim_error(&s->terr, NULL,
				    ERR_PATIENTID_MISMATCH, "Association '%s': "
				    "stored %s '%s' belongs to patient '%s', "
				    "the submission to '%s'", a->id,
				    validate_kind_name(so.kind), ends[j],
				    so.patient, s->patient);
			/* ITI-57 status changes: update_check */
			if (strcmp(a->assoc_type, AT_UPDATESTATUS) == 0)
				continue;
			if (strcmp(a->assoc_type, AT_HASMEMBER) == 0) {
				if (j == 0 && so.kind != XDS_FOLDER)
					rim_error(&s->terr, NULL,
					    ERR_REGISTRY_METADATA,
					    "Association '%s': HasMember from "
					    "stored %s '%s': only a stored "
					    "Folder can get new members", a->id,
					    validate_kind_name(so.kind),
					    ends[j]);
				continue;
			}
			if (j == 1 && so.kind != XDS_DOCENTRY) {
				rim_error(&s->terr, NULL, ERR_REGISTRY_METADATA,
				    "Association '%s': target '%s' of %s is a "
				    "%s, not a DocumentEntry", a->id, ends[j],
				    a->assoc_type, validate_kind_name(so.kind));
				continue;
			}
			/* R13, R14 */
			if (j == 1 && needs_approved(a->assoc_type) &&
			    strcmp(so.status, STATUS_APPROVED) != 0)
				rim_error(&s->terr, NULL,
				    ERR_DEPRECATED_DOCUMENT, "Association "
				    "'%s': %s target '%s' is not Approved (%s)",
				    a->id, a->assoc_type, ends[j], so.status);
		}
		/* Two replacements of one document in one submission. */
		if (is_replace(a->assoc_type)) {
			for (j = 0; j < i; j++) {
				const struct rim_object *b = &l->obj[j];

				if (s->kind[j] == XDS_ASSOCIATION &&
				    is_replace(b->assoc_type) &&
				    strcmp(b->target, a->target) == 0)
					rim_error(&s->terr, NULL,
					    ERR_REGISTRY_METADATA,
					    "Associations '%s' and '%s' both "
					    "replace '%s'", b->id, a->id,
					    a->target);
			}
		}
	}
	return 0;
}

static int
check_unique(struct sub *s, struct store_conn *c)
{
	struct rim_list *l = s->l;
	sqlite3_stmt *st;
	const char *uid;
	size_t	 i;
	int	 rc;

	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *o = &l->obj[i];

		/* A new version keeps its uniqueId (update_check). */
		if ((uid = validate_unique_id(o, s->kind[i])) == NULL ||
		    s->prev[i] != 0)
			continue;
		if (s->kind[i] == XDS_SUBMISSIONSET || s->kind[i] == XDS_FOLDER) {
			/* R8 */
			if ((st = store_stmt(c, SQL_PKG_UID)) == NULL)
				return XDS_EIO;
			sub_bind_text(st, 1, uid);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc == SQLITE_ROW)
				rim_error(&s->terr, NULL,
				    ERR_DUP_UNIQUEID_IN_REGISTRY, "%s '%s': "
				    "uniqueId '%s' is already in the registry",
				    validate_kind_name(s->kind[i]), o->id, uid);
			else if (rc != SQLITE_DONE)
				return store_rc(rc);
			continue;
		}
		/* R10: a DocumentEntry uniqueId may come again only for the
		 * same document (same hash and size): a new entry. */
		if ((st = store_stmt(c, SQL_DE_UID)) == NULL)
			return XDS_EIO;
		sub_bind_text(st, 1, uid);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const char *h = (const char *)sqlite3_column_text(st, 0);
			const char *nh = rim_slot1(o, SLOT_HASH);
			const char *ns = rim_slot1(o, SLOT_SIZE);
			long long sz = sqlite3_column_int64(st, 1), nsz = -1;
			int	 nullsz = sqlite3_column_type(st, 1) == SQLITE_NULL;
			const char *es;

			if (ns != NULL && str_tonum(ns, 0, INT64_MAX, &nsz,
			    &es) != 0)
				nsz = -1;
			if (h == NULL || nh == NULL || !str_caseeq(h, nh))
				rim_error(&s->terr, NULL,
				    ERR_NON_IDENTICAL_HASH, "DocumentEntry "
				    "'%s': uniqueId '%s' is stored with hash "
				    "%s, submitted %s", o->id, uid,
				    h != NULL ? h : "(none)",
				    nh != NULL ? nh : "(none)");
			if (nullsz || nsz != sz)
				rim_error(&s->terr, NULL,
				    ERR_NON_IDENTICAL_SIZE, "DocumentEntry "
				    "'%s': uniqueId '%s' is stored with size "
				    "%lld, submitted %s", o->id, uid, sz,
				    ns != NULL ? ns : "(none)");
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_rc(rc);
	}
	return 0;
}

/* ---- inserts ---- */

/* XML of o as stored: status and home left out (readers splice them
 * in); a top-level Classification of a package goes inside it. */
static int
object_xml(struct sub *s, const struct rim_object *o, struct buf *out)
{
	struct rim_object t = *o;
	struct rim_classification *cls = NULL;
	size_t	 i, n = 0, oi = (size_t)(o - s->l->obj);
	char	 vname[24];
	int	 rc;

	t.status = NULL;
	t.home = NULL;
	/* The registry numbers the versions of DocumentEntries and Folders
	 * (ITI TF-3 4.1.4, Metadata Update): VersionInfo as it assigned. */
	if (s->kind[oi] == XDS_DOCENTRY || s->kind[oi] == XDS_FOLDER) {
		if (str_fmt(vname, sizeof vname, "%ld", s->version[oi] > 0 ?
		    s->version[oi] : 1L) < 0)
			return -1;
		t.version_name = vname;
	}
	if (o->kind == RIM_REGISTRY_PACKAGE) {
		for (i = 0; i < s->l->nobj; i++) {
			const struct rim_object *c = &s->l->obj[i];

			if (c->kind == RIM_CLASSIFICATION && c->classified &&
			    strcmp(c->classified, o->id) == 0)
				n++;
		}
	}
	if (n > 0) {
		if ((cls = calloc(o->ncls + n, sizeof *cls)) == NULL)
			return -1;
		if (o->ncls > 0)
			memcpy(cls, o->cls, o->ncls * sizeof *cls);
		n = o->ncls;
		for (i = 0; i < s->l->nobj; i++) {
			const struct rim_object *c = &s->l->obj[i];

			if (c->kind != RIM_CLASSIFICATION || !c->classified ||
			    strcmp(c->classified, o->id) != 0)
				continue;
			cls[n].id = c->id;
			cls[n].scheme = c->scheme != NULL ? c->scheme : "";
			cls[n].classified = c->classified;
			cls[n].node = c->node != NULL ? c->node : "";
			cls[n].noderep = c->noderep != NULL ? c->noderep : "";
			cls[n].name = c->name;
			cls[n].slots = c->slots;
			cls[n].nslots = c->nslots;
			n++;
		}
		t.cls = cls;
		t.ncls = n;
	}
	buf_reset(out);
	rc = rim_write_object(&t, out);
	free(cls);
	return rc == XDS_OK ? 0 : -1;
}

static int
insert_object(struct sub *s, struct store_conn *c, const char *uuid,
    const char *lid, long version, int kind, const char *patient,
    const char *uid, const struct buf *xml, sqlite3_int64 *row)
{
	sqlite3_stmt *st;
	int	 rc;

	if ((st = store_stmt(c, SQL_INS_OBJECT)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, uuid);
	sub_bind_text(st, 2, lid);
	sqlite3_bind_int64(st, 3, version > 0 ? version : 1);
	sqlite3_bind_int(st, 4, kind);
	sub_bind_text(st, 5, STATUS_APPROVED);
	sub_bind_text(st, 6, patient);
	sub_bind_text(st, 7, uid);
	sqlite3_bind_blob(st, 8, buf_str(xml), (int)xml->b_len,
	    SQLITE_TRANSIENT);
	if (s->ss >= 0 && s->row[s->ss] != 0)
		sqlite3_bind_int64(st, 9, s->row[s->ss]);
	else
		sqlite3_bind_null(st, 9);
	if ((rc = sub_step_done(c, st)) != 0)
		return rc;
	*row = sqlite3_last_insert_rowid(c->db);
	return 0;
}

/* codes of one scheme: code = nodeRepresentation, codingScheme slot. */
static int
insert_codes(struct store_conn *c, sqlite3_int64 row,
    const struct rim_object *o, const char *scheme)
{
	sqlite3_stmt *st;
	size_t	 i;
	int	 rc;

	for (i = 0; i < o->ncls; i++) {
		const struct rim_classification *k = &o->cls[i];
		const struct rim_slot *cs;

		if (k->scheme == NULL || strcmp(k->scheme, scheme) != 0)
			continue;
		cs = rim_slot(k->slots, k->nslots, SLOT_CODINGSCHEME);
		if (cs == NULL || cs->nvalues == 0 || k->noderep == NULL)
			continue;
		if ((st = store_stmt(c, SQL_INS_CODE)) == NULL)
			return XDS_EIO;
		sqlite3_bind_int64(st, 1, row);
		sub_bind_text(st, 2, scheme);
		sub_bind_text(st, 3, k->noderep);
		sub_bind_text(st, 4, cs->values[0]);
		if ((rc = sub_step_done(c, st)) != 0)
			return rc;
	}
	return 0;
}

static int
insert_authors(struct store_conn *c, sqlite3_int64 row,
    const struct rim_object *o, const char *scheme)
{
	sqlite3_stmt *st;
	size_t	 i;
	int	 rc, seq = 0;

	for (i = 0; i < o->ncls; i++) {
		const struct rim_classification *k = &o->cls[i];
		const struct rim_slot *p;

		if (k->scheme == NULL || strcmp(k->scheme, scheme) != 0)
			continue;
		p = rim_slot(k->slots, k->nslots, SLOT_AUTHORPERSON);
		if ((st = store_stmt(c, SQL_INS_AUTHOR)) == NULL)
			return XDS_EIO;
		sqlite3_bind_int64(st, 1, row);
		sqlite3_bind_int(st, 2, seq++);
		sub_bind_text(st, 3, p != NULL && p->nvalues > 0 ?
		    p->values[0] : NULL);
		if ((rc = sub_step_done(c, st)) != 0)
			return rc;
	}
	return 0;
}

/* Bind a DTM slot normalised to 14 digits, NULL when absent. */
static void
bind_dtm(sqlite3_stmt *st, int i, const char *v)
{
	char	 n[15];

	if (v == NULL || hl7_dtm_norm(v, strlen(v), n) != 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, n, 14, SQLITE_TRANSIENT);
}

static int
insert_docentry(struct store_conn *c, sqlite3_int64 row,
    const struct rim_object *o, const char *patient)
{
	sqlite3_stmt *st;
	const struct rim_slot *refs;
	const char *h, *sz, *es;
	char	 hash[41];
	long long size;
	size_t	 i;
	int	 rc;

	if ((st = store_stmt(c, SQL_INS_DE)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int64(st, 1, row);
	sub_bind_text(st, 2, patient);
	sub_bind_text(st, 3, STATUS_APPROVED);
	sub_bind_text(st, 4, o->object_type);
	sub_bind_text(st, 5, validate_unique_id(o, XDS_DOCENTRY));
	sub_bind_text(st, 6, rim_slot1(o, SLOT_REPOSITORYUID));
	bind_dtm(st, 7, rim_slot1(o, SLOT_CREATIONTIME));
	bind_dtm(st, 8, rim_slot1(o, SLOT_SERVICESTART));
	bind_dtm(st, 9, rim_slot1(o, SLOT_SERVICESTOP));
	if ((h = rim_slot1(o, SLOT_HASH)) != NULL) {
		for (i = 0; i < 40 && h[i] != '\0'; i++)
			hash[i] = (char)tolower((unsigned char)h[i]);
		hash[i] = '\0';
		sub_bind_text(st, 10, hash);
	}
	if ((sz = rim_slot1(o, SLOT_SIZE)) != NULL &&
	    str_tonum(sz, 0, INT64_MAX, &size, &es) == 0)
		sqlite3_bind_int64(st, 11, size);
	sub_bind_text(st, 12, o->mime_type);
	sub_bind_text(st, 13, rim_slot1(o, SLOT_DOCAVAILABILITY));
	if ((rc = sub_step_done(c, st)) != 0)
		return rc;
	refs = rim_slot(o->slots, o->nslots, SLOT_REFERENCEIDLIST);
	for (i = 0; refs != NULL && i < refs->nvalues; i++) {
		if ((st = store_stmt(c, SQL_INS_REFID)) == NULL)
			return XDS_EIO;
		sqlite3_bind_int64(st, 1, row);
		sub_bind_text(st, 2, refs->values[i]);
		if ((rc = sub_step_done(c, st)) != 0)
			return rc;
	}
	if ((rc = insert_codes(c, row, o, CS_DE_CLASSCODE)) != 0 ||
	    (rc = insert_codes(c, row, o, CS_DE_CONFCODE)) != 0 ||
	    (rc = insert_codes(c, row, o, CS_DE_EVENTCODE)) != 0 ||
	    (rc = insert_codes(c, row, o, CS_DE_FORMATCODE)) != 0 ||
	    (rc = insert_codes(c, row, o, CS_DE_HCFTCODE)) != 0 ||
	    (rc = insert_codes(c, row, o, CS_DE_PRACTICECODE)) != 0 ||
	    (rc = insert_codes(c, row, o, CS_DE_TYPECODE)) != 0)
		return rc;
	return insert_authors(c, row, o, CS_DE_AUTHOR);
}

static int
insert_package(struct sub *s, struct store_conn *c, sqlite3_int64 row,
    const struct rim_object *o, enum xds_kind k, const char *patient)
{
	sqlite3_stmt *st;
	const struct rim_extid *src;
	int	 rc;

	if (k == XDS_SUBMISSIONSET) {
		if ((st = store_stmt(c, SQL_INS_SS)) == NULL)
			return XDS_EIO;
		sqlite3_bind_int64(st, 1, row);
		sub_bind_text(st, 2, patient);
		sub_bind_text(st, 3, STATUS_APPROVED);
		sub_bind_text(st, 4, validate_unique_id(o, k));
		src = rim_extid(o, EI_SS_SOURCEID);
		sub_bind_text(st, 5, src != NULL ? src->value : NULL);
		bind_dtm(st, 6, rim_slot1(o, SLOT_SUBMISSIONTIME));
		if ((rc = sub_step_done(c, st)) != 0)
			return rc;
		if ((rc = insert_codes(c, row, o, CS_SS_CONTENTTYPE)) != 0)
			return rc;
		return insert_authors(c, row, o, CS_SS_AUTHOR);
	}
	if ((st = store_stmt(c, SQL_INS_FOLDER)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int64(st, 1, row);
	sub_bind_text(st, 2, patient);
	sub_bind_text(st, 3, STATUS_APPROVED);
	sub_bind_text(st, 4, validate_unique_id(o, k));
	sub_bind_text(st, 5, s->now);
	if ((rc = sub_step_done(c, st)) != 0)
		return rc;
	return insert_codes(c, row, o, CS_FOL_CODELIST);
}

static int
insert_assoc_row(struct store_conn *c, sqlite3_int64 row, const char *type,
    sqlite3_int64 src, sqlite3_int64 dst)
{
	sqlite3_stmt *st;

	if ((st = store_stmt(c, SQL_INS_ASSOC)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int64(st, 1, row);
	sub_bind_text(st, 2, type);
	sqlite3_bind_int64(st, 3, src);
	sqlite3_bind_int64(st, 4, dst);
	return sub_step_done(c, st);
}

/* Row of an association end: a new object, else a stored one. */
static int
end_row(struct sub *s, struct store_conn *c, const char *id,
    sqlite3_int64 *row)
{
	struct stored so;
	long	 i;
	int	 rc;

	if ((i = sub_find_new(s, id)) >= 0 && s->row[i] != 0) {
		*row = s->row[i];
		return 0;
	}
	if ((rc = sub_lookup(c, id, &so)) < 0)
		return rc;
	if (rc == 0)
		return XDS_EIO;	/* checked before: cannot happen */
	*row = so.row;
	return 0;
}

/* R15 on a stored folder: lastUpdateTime = now in the column and in the
 * stored XML (once per submission). */
static int
touch_folder(struct sub *s, struct store_conn *c, sqlite3_int64 fid)
{
	struct rim_list fl;
	struct buf b;
	sqlite3_stmt *st;
	sqlite3_int64 *nt;
	const void *x;
	char	 err[256];
	size_t	 i;
	int	 n, rc = XDS_EIO;

	for (i = 0; i < s->ntouched; i++)
		if (s->touched[i] == fid)
			return 0;
	rim_list_init(&fl);
	buf_init(&b, OBJ_XML_MAX);
	if ((st = store_stmt(c, SQL_OBJ_XML)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, fid);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		rc = rc == SQLITE_DONE ? XDS_EIO : store_rc(rc);
		goto out;
	}
	x = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	rc = XDS_EIO;
	if (buf_adds(&b, "<rim:RegistryObjectList xmlns:rim=\"" NS_RIM "\">")
	    != XDS_OK || (x != NULL && buf_add(&b, x, (size_t)n) != XDS_OK) ||
	    buf_adds(&b, "</rim:RegistryObjectList>") != XDS_OK) {
		sqlite3_reset(st);
		goto out;
	}
	sqlite3_reset(st);
	if (rim_parse_submit_mem(buf_str(&b), b.b_len, &fl, err,
	    sizeof err) != XDS_OK || fl.nobj != 1) {
		log_warnx("registry: stored folder %lld: %s", (long long)fid,
		    err);
		goto out;
	}
	if (rim_set_slot(&fl, &fl.obj[0], SLOT_LASTUPDATETIME, s->now) !=
	    XDS_OK)
		goto out;
	buf_reset(&b);
	if (rim_write_object(&fl.obj[0], &b) != XDS_OK)
		goto out;
	if ((st = store_stmt(c, SQL_SET_XML)) == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, buf_str(&b), (int)b.b_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, fid);
	if ((rc = sub_step_done(c, st)) != 0)
		goto out;
	if ((st = store_stmt(c, SQL_FOLDER_TIME)) == NULL) {
		rc = XDS_EIO;
		goto out;
	}
	sub_bind_text(st, 1, s->now);
	sqlite3_bind_int64(st, 2, fid);
	if ((rc = sub_step_done(c, st)) != 0)
		goto out;
	rc = XDS_EIO;
	if ((nt = reallocarray(s->touched, s->ntouched + 1,
	    sizeof *nt)) == NULL)
		goto out;
	s->touched = nt;
	s->touched[s->ntouched++] = fid;
	rc = 0;
out:
	buf_free(&b);
	rim_list_free(&fl);
	return rc;
}

/* A HasMember association the registry makes itself, src -> dst, with
 * its object (a fresh entryUUID) and its row. */
int
sub_insert_assoc(struct sub *s, struct store_conn *c, const char *src,
    sqlite3_int64 srcrow, const char *dst, sqlite3_int64 dstrow,
    struct buf *xml)
{
	struct rim_object a;
	sqlite3_int64 arow;
	char	 aid[46];
	int	 rc;

	memset(&a, 0, sizeof a);
	if (hl7_uuid_new(aid) != 0)
		return XDS_EIO;
	a.kind = RIM_ASSOCIATION;
	a.id = aid;
	a.lid = aid;
	a.object_type = OT_ASSOCIATION;
	a.assoc_type = AT_HASMEMBER;
	a.source = (char *)src;
	a.target = (char *)dst;
	buf_reset(xml);
	if (rim_write_object(&a, xml) != XDS_OK)
		return XDS_EIO;
	if ((rc = insert_object(s, c, aid, aid, 1, XDS_ASSOCIATION, NULL, NULL,
	    xml, &arow)) != 0)
		return rc;
	return insert_assoc_row(c, arow, AT_HASMEMBER, srcrow, dstrow);
}

/* The document entry newrow (newid) joins every folder of oldrow: a
 * replacement (NIST 12327) or a new version (ITI-57). */
int
sub_join_folders(struct sub *s, struct store_conn *c, sqlite3_int64 newrow,
    const char *newid, sqlite3_int64 oldrow, struct buf *xml)
{
	struct {
		sqlite3_int64	 row;
		char		 uuid[128];
	}	*f = NULL, *nf;
	sqlite3_stmt *st;
	size_t	 i, n = 0;
	int	 rc;

	/* Collect the folders first: the inserts below touch the table. */
	if ((st = store_stmt(c, SQL_FOLDERS_OF)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int64(st, 1, oldrow);
	sub_bind_text(st, 2, AT_HASMEMBER);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nf = reallocarray(f, n + 1, sizeof *f)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		f = nf;
		f[n].row = sqlite3_column_int64(st, 0);
		str_lcpy(f[n].uuid, (const char *)sqlite3_column_text(st, 1),
		    sizeof f[n].uuid);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(f);
		return store_rc(rc);
	}
	rc = 0;
	for (i = 0; i < n; i++)
		if ((rc = sub_insert_assoc(s, c, f[i].uuid, f[i].row, newid,
		    newrow, xml)) != 0 ||
		    (rc = touch_folder(s, c, f[i].row)) != 0)
			break;
	free(f);
	return rc;
}

/* R13: deprecate the replaced document and put the replacement in every
 * folder of the original (NIST 12327). */
static int
replace(struct sub *s, struct store_conn *c, sqlite3_int64 newrow,
    const char *newid, sqlite3_int64 oldrow, struct buf *xml)
{
	sqlite3_stmt *st;
	size_t	 i;
	int	 rc;

	if ((st = store_stmt(c, SQL_DEPRECATE_RO)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, STATUS_DEPRECATED);
	sqlite3_bind_int64(st, 2, oldrow);
	if ((rc = sub_step_done(c, st)) != 0)
		return rc;
	if ((st = store_stmt(c, SQL_DEPRECATE_DE)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, STATUS_DEPRECATED);
	sqlite3_bind_int64(st, 2, oldrow);
	if ((rc = sub_step_done(c, st)) != 0)
		return rc;

	for (i = 0; i < 2; i++) {
		if ((st = store_stmt(c, i == 0 ? SQL_DEPRECATE_CHILD_RO :
		    SQL_DEPRECATE_CHILD_DE)) == NULL)
			return XDS_EIO;
		sub_bind_text(st, 1, STATUS_DEPRECATED);
		sub_bind_text(st, 2, STATUS_APPROVED);
		sqlite3_bind_int64(st, 3, oldrow);
		sub_bind_text(st, 4, AT_APND);
		sub_bind_text(st, 5, AT_XFRM);
		if ((rc = sub_step_done(c, st)) != 0)
			return rc;
	}
	return sub_join_folders(s, c, newrow, newid, oldrow, xml);
}

/* Association rows, replacements and folder updates, once every new
 * object has its row. */
static int
link_associations(struct sub *s, struct store_conn *c, struct buf *xml)
{
	struct rim_list *l = s->l;
	struct stored so;
	sqlite3_int64 src, dst;
	size_t	 i;
	int	 rc;

	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *o = &l->obj[i];

		if (s->kind[i] != XDS_ASSOCIATION)
			continue;
		if ((rc = end_row(s, c, o->source, &src)) != 0 ||
		    (rc = end_row(s, c, o->target, &dst)) != 0 ||
		    (rc = insert_assoc_row(c, s->row[i], o->assoc_type, src,
		    dst)) != 0)
			return rc;
		if (is_replace(o->assoc_type)) {
			if ((rc = replace(s, c, src, o->source, dst, xml)) != 0)
				return rc;
		} else if (strcmp(o->assoc_type, AT_HASMEMBER) == 0 &&
		    sub_find_new(s, o->source) < 0) {
			/* R15: a stored folder got a member. */
			if ((rc = sub_lookup(c, o->source, &so)) < 0)
				return rc;
			if (rc == 1 && so.kind == XDS_FOLDER &&
			    (rc = touch_folder(s, c, so.row)) != 0)
				return rc;
		}
	}
	return 0;
}

static int
store_objects(struct sub *s, struct store_conn *c)
{
	struct rim_list *l = s->l;
	struct buf xml;
	sqlite3_stmt *st;
	size_t	 i, pass;
	int	 rc = 0;

	buf_init(&xml, OBJ_XML_MAX);
	/* Pass 0: the SubmissionSet (others point at it); 1: DE and
	 * Folders; 2: associations (an association may point at another
	 * one); then the association rows. */
	for (pass = 0; pass < 3 && rc == 0; pass++) {
		for (i = 0; i < l->nobj && rc == 0; i++) {
			struct rim_object *o = &l->obj[i];
			enum xds_kind k = s->kind[i];
			char	 pat[CX_MAX];
			const char *p = NULL;

			if (k == XDS_UNKNOWN ||
			    (pass == 0) != (k == XDS_SUBMISSIONSET) ||
			    (pass == 2) != (k == XDS_ASSOCIATION))
				continue;
			if (k != XDS_ASSOCIATION) {
				if (validate_patient(o, k, pat, sizeof pat) != 0) {
					rc = XDS_EIO;
					break;
				}
				p = pat;
			}
			/* R15: the registry sets lastUpdateTime (12323). */
			if (k == XDS_FOLDER && rim_set_slot(l, o,
			    SLOT_LASTUPDATETIME, s->now) != XDS_OK) {
				rc = XDS_EIO;
				break;
			}
			if (object_xml(s, o, &xml) != 0) {
				rc = XDS_EIO;
				break;
			}
			if ((rc = insert_object(s, c, o->id, o->lid != NULL ?
			    o->lid : o->id, s->version[i], k, p,
			    validate_unique_id(o, k), &xml, &s->row[i])) != 0)
				break;
			if (k == XDS_SUBMISSIONSET) {
				if ((st = store_stmt(c, SQL_SET_SUBMISSION)) ==
				    NULL) {
					rc = XDS_EIO;
					break;
				}
				sqlite3_bind_int64(st, 1, s->row[i]);
				sqlite3_bind_int64(st, 2, s->row[i]);
				if ((rc = sub_step_done(c, st)) != 0)
					break;
			}
			if (k == XDS_DOCENTRY)
				rc = insert_docentry(c, s->row[i], o, p);
			else if (k == XDS_SUBMISSIONSET || k == XDS_FOLDER)
				rc = insert_package(s, c, s->row[i], o, k, p);
		}
	}
	if (rc == 0)
		rc = link_associations(s, c, &xml);
	if (rc == 0 && s->mu)
		rc = update_apply(s, c, &xml);
	buf_free(&xml);
	return rc;
}

/* Whether this submission brings the patient's first document entry
 * (s->first_docs), asked inside the transaction that stores it. */
static int
first_docs(struct sub *s, struct store_conn *c)
{
	sqlite3_stmt *st;
	size_t	 i;
	int	 rc;

	s->first_docs = 0;
	if (s->reg->on_new_patient == NULL)
		return 0;
	for (i = 0; i < s->l->nobj && s->kind[i] != XDS_DOCENTRY; i++)
		;
	if (i == s->l->nobj)
		return 0;
	if ((st = store_stmt(c, SQL_PATIENT_HAS_DOCS)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, s->patient);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		s->first_docs = 1;
	else if (rc != SQLITE_ROW)
		return store_rc(rc);
	return 0;
}

static int
apply(struct store_conn *c, void *arg)
{
	struct sub *s = arg;
	sqlite3_stmt *st;
	int	 rc;

	/* This may be a retry: start from scratch. */
	rim_errors_free(&s->terr);
	rim_errors_init(&s->terr);
	memset(s->row, 0, s->l->nobj * sizeof *s->row);
	memset(s->version, 0, s->l->nobj * sizeof *s->version);
	memset(s->prev, 0, s->l->nobj * sizeof *s->prev);
	free(s->touched);
	s->touched = NULL;
	s->ntouched = 0;

	/* R5, feed mode: the patient must be known. */
	if (s->reg->feed) {
		if ((st = store_stmt(c, SQL_PATIENT_KNOWN)) == NULL)
			return XDS_EIO;
		sub_bind_text(st, 1, s->patient);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			rim_error(&s->terr, NULL, ERR_UNKNOWN_PATIENTID,
			    "patient id '%s' is not known to this registry (no "
			    "identity feed, xdsctl patient add)", s->patient);
		else if (rc != SQLITE_ROW)
			return store_rc(rc);
	}
	if (s->mu && (rc = update_check(s, c)) != 0)
		return rc;
	if ((rc = check_refs(s, c)) != 0 || (rc = check_unique(s, c)) != 0)
		return rc;
	if ((rc = reg_verdict(&s->terr)) != 0)
		return rc;
	if ((rc = first_docs(s, c)) != 0)
		return rc;
	return store_objects(s, c);
}

int
submit_list(struct registry *reg, struct rim_list *l, int mu,
    struct rim_errors *errs, struct xact *x, char *err, size_t errlen)
{
	struct validate_opts vo;
	struct sub s;
	const char *uid;
	size_t	 i;
	int	 rc = -1, vr;

	memset(&s, 0, sizeof s);
	s.reg = reg;
	s.l = l;
	s.mu = mu;
	s.ss = -1;
	rim_errors_init(&s.terr);
	memset(&vo, 0, sizeof vo);
	vo.bsn_patients = !reg->feed;
	vo.metadata_update = mu;
	vr = validate_submission(l, &vo, errs);
	if (vr == XDS_ENOMEM) {
		str_fmt(err, errlen, "out of memory validating the submission");
		goto out;
	}
	for (i = 0; i < l->nobj; i++) {
		if (validate_kind(l, &l->obj[i]) != XDS_SUBMISSIONSET)
			continue;
		if (validate_patient(&l->obj[i], XDS_SUBMISSIONSET, s.patient,
		    sizeof s.patient) == 0)
			xact_set_patient(x, s.patient);
		if ((uid = validate_unique_id(&l->obj[i],
		    XDS_SUBMISSIONSET)) != NULL)
			xact_set_object(x, uid);
		break;
	}
	if (vr == VALIDATE_INVALID) {
		rc = 1;
		goto out;
	}
	if (assign_ids(l, mu) != 0) {
		str_fmt(err, errlen, "cannot assign entryUUIDs");
		goto out;
	}
	if ((s.kind = calloc(l->nobj + 1, sizeof *s.kind)) == NULL ||
	    (s.row = calloc(l->nobj + 1, sizeof *s.row)) == NULL ||
	    (s.version = calloc(l->nobj + 1, sizeof *s.version)) == NULL ||
	    (s.prev = calloc(l->nobj + 1, sizeof *s.prev)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < l->nobj; i++) {
		s.kind[i] = validate_kind(l, &l->obj[i]);
		if (s.kind[i] == XDS_SUBMISSIONSET)
			s.ss = (long)i;
	}
	if (rim_index_build(&s.byid, l, keep_known, &s) != XDS_OK) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	if (mu && (vr = update_prepare(&s, errs)) != XDS_OK) {
		if (vr == XDS_ENOMEM) {
			str_fmt(err, errlen, "out of memory");
			goto out;
		}
		rc = 1;
		goto out;
	}
	reg_now_dtm(s.now);

	rc = store_write(reg->store, apply, &s, err, errlen);
	if (rc < 0) {
		rc = rc == XDS_EBUSY ? XDS_EBUSY : -1;
		goto out;
	}
	/* Hand the transaction's findings to the caller. */
	for (i = 0; i < s.terr.n; i++) {
		const struct rim_error *e = &s.terr.v[i];

		if (rim_errors_add(errs, e->warning, e->code, e->location,
		    "%s", e->context) != 0) {
			str_fmt(err, errlen, "out of memory");
			rc = -1;
			goto out;
		}
	}
	rc = rc > 0 ? 1 : 0;
	if (rc == 0 && s.first_docs)
		reg->on_new_patient(reg->on_new_patient_arg, s.patient);
out:
	rim_errors_free(&s.terr);
	free(s.touched);
	rim_index_free(&s.byid);
	free(s.prev);
	free(s.version);
	free(s.row);
	free(s.kind);
	return rc;
}

/* ---- the ITI-42 and ITI-57 routes ---- */

static xmlNode *
object_list(xmlNode *body)
{
	xmlNode	*n;

	for (n = xml_first_elem(body); n != NULL; n = xml_next_elem(n))
		if (xml_is(n, NS_RIM, "RegistryObjectList"))
			return n;
	return NULL;
}

/* A SubmitObjectsRequest: registered (ITI-42) or, with mu, a Metadata
 * Update (ITI-57). */
static int
reg_submit(struct registry *reg, int mu, struct xact *x,
    const struct soap_request *req, struct soap_reply *reply)
{
	struct rim_list l;
	struct rim_errors errs;
	const char *txn = mu ? TXN_ITI57 : TXN_ITI42;
	xmlNode	*list;
	char	 err[512];
	int	 rc, ret = -1;

	rim_list_init(&l);
	rim_errors_init(&errs);
	err[0] = '\0';
	if (!space_ok(reg->state_dir, reg->min_free, err, sizeof err)) {
		log_warnx("registry: %s refused: %s", txn, err);
		if (rim_errors_add(&errs, 0, ERR_REGISTRY_OUT_OF_RESOURCES, NULL,
		    "%s", err) != 0)
			goto fault;
		rc = 1;
	} else if ((list = object_list(req->body)) == NULL) {
		if (rim_errors_add(&errs, 0, ERR_REGISTRY_METADATA, NULL,
		    "SubmitObjectsRequest has no rim:RegistryObjectList") != 0)
			goto fault;
		rc = 1;
	} else if ((rc = rim_parse_list(list, &l, err, sizeof err)) !=
	    XDS_OK) {
		if (rc == XDS_ENOMEM)
			goto fault;
		if (rim_errors_add(&errs, 0, ERR_REGISTRY_METADATA, NULL,
		    "metadata not accepted: %s", err) != 0)
			goto fault;
		rc = 1;
	} else
		rc = submit_list(reg, &l, mu, &errs, x, err, sizeof err);
	if (reg_respond(x, reply, rc, &errs, txn, err) != XDS_OK)
		goto fault;
	if (rc == 0)
		log_info("registry: %s stored submission %s", txn, x->object);
	ret = 0;
	goto out;
fault:
	xact_fail(x, XACT_FAULT, "registry: out of memory");
out:
	rim_errors_free(&errs);
	rim_list_free(&l);
	return ret;
}

int
reg_iti42(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	return reg_submit(actor, 0, x, req, reply);
}

int
reg_iti57(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	return reg_submit(actor, 1, x, req, reply);
}
