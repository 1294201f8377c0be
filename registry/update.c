/*
 * update.c: ITI-57 Update Document Set, the Metadata Update option of
 * the Document Registry (ITI TF-2 3.57), on top of submit.c.
 *
 * An update is a SubmitObjectsRequest whose SubmissionSet brings
 *  - new versions of stored DocumentEntries and Folders: the object
 *    carries the logicalId (lid) of the stored one and a new entryUUID;
 *    the SubmissionSet's HasMember to it carries the slot PreviousVersion
 *    (the version it follows, which must be the latest).  The new version
 *    is stored Approved with the next version number, the one it follows
 *    becomes Deprecated, and a DocumentEntry stays in the folders of its
 *    previous version (a Folder keeps its members) unless the HasMember
 *    says AssociationPropagation = no;
 *  - status changes: an UpdateAvailabilityStatus association from the
 *    SubmissionSet to a stored DocumentEntry (its latest version) or
 *    association, with the slots OriginalStatus (what it is now) and
 *    NewStatus (Approved or Deprecated);
 *  - new associations between stored objects, checked as ITI-42 does.
 * A DocumentEntry or Folder that is not a new version of a stored one
 * is refused: new objects are registered with ITI-42.  A new version
 * keeps the uniqueId (XDSMetadataIdentifierError) and, for a
 * DocumentEntry, the objectType (XDSObjectTypeError) of the one it
 * follows; it may name another patient only when the object is linked
 * to no other DocumentEntry or Folder (XDSPatientIDReconciliationError).
 * Everything is stored in the one transaction of submit.c, or nothing.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ebrim.h"
#include "log.h"
#include "registry_int.h"
#include "store.h"
#include "str.h"
#include "submit_int.h"
#include "validate.h"
#include "vocab.h"

static const char SQL_LATEST[] =
    "SELECT id, version, kind, status, patient_id, unique_id "
    "FROM registry_object WHERE lid = ? ORDER BY version DESC LIMIT 1";
static const char SQL_LID_OF[] =
    "SELECT lid, version FROM registry_object WHERE id = ?";
static const char SQL_DE_TYPE[] =
    "SELECT object_type FROM document_entry WHERE id = ?";
/* Linked to another DocumentEntry or a Folder (either direction). */
static const char SQL_LINKED[] =
    "SELECT 1 FROM association a JOIN registry_object o ON o.id = "
    "(CASE WHEN a.source_id = ?1 THEN a.target_id ELSE a.source_id END) "
    "WHERE (a.source_id = ?1 OR a.target_id = ?1) AND o.kind IN (1, 3) "
    "LIMIT 1";
static const char SQL_STATUS_RO[] =
    "UPDATE registry_object SET status = ? WHERE id = ?";
static const char SQL_STATUS_DE[] =
    "UPDATE document_entry SET status = ? WHERE id = ?";
static const char SQL_STATUS_FOL[] =
    "UPDATE folder SET status = ? WHERE id = ?";
static const char SQL_MEMBERS[] =
    "SELECT d.id, d.entry_uuid FROM association a "
    "JOIN registry_object d ON d.id = a.target_id "
    "WHERE a.source_id = ? AND a.type = ? AND d.kind = 1";

/* The latest stored version of a logical object. */
struct latest {
	sqlite3_int64	 row;
	long		 version;
	int		 kind;
	char		 status[128];
	char		 patient[SUB_CX_MAX];
	char		 uid[256];
};

static int
is_uuid(const char *s)
{
	return s != NULL && strncmp(s, "urn:uuid:", 9) == 0;
}

static int
is_status(const char *s)
{
	return s != NULL && (strcmp(s, STATUS_APPROVED) == 0 ||
	    strcmp(s, STATUS_DEPRECATED) == 0);
}

static const char *
slot1(const struct rim_object *o, const char *name, int *n)
{
	const struct rim_slot *sl = rim_slot(o->slots, o->nslots, name);

	*n = sl == NULL ? 0 : (int)sl->nvalues;
	return sl != NULL && sl->nvalues > 0 ? sl->values[0] : NULL;
}

/* The SubmissionSet's HasMember to object i, or NULL. */
static const struct rim_object *
ss_member(const struct sub *s, size_t i)
{
	const struct rim_list *l = s->l;
	const char *ssid;
	size_t	 j;

	if (s->ss < 0)
		return NULL;
	ssid = l->obj[s->ss].id;
	for (j = 0; j < l->nobj; j++) {
		const struct rim_object *a = &l->obj[j];

		if (s->kind[j] == XDS_ASSOCIATION && a->assoc_type != NULL &&
		    strcmp(a->assoc_type, AT_HASMEMBER) == 0 &&
		    a->source != NULL && strcmp(a->source, ssid) == 0 &&
		    a->target != NULL && strcmp(a->target, l->obj[i].id) == 0)
			return a;
	}
	return NULL;
}

/* PreviousVersion on the HasMember to object i: 1 (*v set), 0 absent,
 * -1 not one positive number. */
static int
previous_version(const struct sub *s, size_t i, long *v)
{
	const struct rim_object *a = ss_member(s, i);
	const struct rim_slot *sl;
	const char *end;
	long long n;

	if (a == NULL || (sl = rim_slot(a->slots, a->nslots,
	    SLOT_PREVIOUSVERSION)) == NULL)
		return 0;
	if (sl->nvalues != 1 || str_tonum(sl->values[0], 1, INT32_MAX, &n,
	    &end) != 0)
		return -1;
	*v = (long)n;
	return 1;
}

/* Whether the association links of the previous version go with the new
 * one (AssociationPropagation, default yes). */
static int
propagate(const struct sub *s, size_t i)
{
	const struct rim_object *a = ss_member(s, i);
	const char *v;
	int	 n;

	v = a != NULL ? slot1(a, SLOT_ASSOCPROPAGATION, &n) : NULL;
	return v == NULL || !str_caseeq(v, "no");
}

int
update_prepare(struct sub *s, struct rim_errors *errs)
{
	struct rim_list *l = s->l;
	size_t	 i, j;
	long	 v;
	int	 n, bad = 0;

#define MUERR(code, ...) do {						\
	if (rim_errors_add(errs, 0, (code), NULL, __VA_ARGS__) != 0)	\
		return XDS_ENOMEM;					\
	bad = 1;							\
} while (0)

	for (i = 0; i < l->nobj; i++) {
		const struct rim_object *o = &l->obj[i];

		if (s->kind[i] == XDS_DOCENTRY || s->kind[i] == XDS_FOLDER) {
			int	 pv = previous_version(s, i, &v);

			if (pv < 0)
				MUERR(ERR_MU_UPDATE, "%s '%s': slot %s on its "
				    "HasMember must be one version number",
				    validate_kind_name(s->kind[i]), o->id,
				    SLOT_PREVIOUSVERSION);
			else if (pv == 0 || o->lid == NULL ||
			    strcmp(o->lid, o->id) == 0)
				MUERR(ERR_MU_UPDATE, "%s '%s': an update "
				    "brings new versions of stored objects "
				    "only (attribute lid, the logicalId, and "
				    "slot %s on the SubmissionSet's "
				    "HasMember); a new %s is registered with "
				    "ITI-42",
				    validate_kind_name(s->kind[i]), o->id,
				    SLOT_PREVIOUSVERSION,
				    validate_kind_name(s->kind[i]));
			for (j = 0; j < i && o->lid != NULL; j++)
				if ((s->kind[j] == XDS_DOCENTRY ||
				    s->kind[j] == XDS_FOLDER) &&
				    l->obj[j].lid != NULL &&
				    strcmp(l->obj[j].lid, o->lid) == 0)
					MUERR(ERR_MU_UPDATE, "'%s' and '%s' "
					    "are both new versions of "
					    "logicalId '%s'", l->obj[j].id,
					    o->id, o->lid);
			continue;
		}
		if (s->kind[i] != XDS_ASSOCIATION || o->assoc_type == NULL ||
		    strcmp(o->assoc_type, AT_UPDATESTATUS) != 0)
			continue;
		if (s->ss < 0 || o->source == NULL ||
		    strcmp(o->source, l->obj[s->ss].id) != 0)
			MUERR(ERR_MU_UPDATE, "Association '%s': an "
			    "UpdateAvailabilityStatus comes from the "
			    "SubmissionSet", o->id);
		if (o->target == NULL || sub_find_new(s, o->target) >= 0 ||
		    !is_uuid(o->target))
			MUERR(ERR_MU_UPDATE, "Association '%s': the target of "
			    "an UpdateAvailabilityStatus is the entryUUID of a "
			    "stored object", o->id);
		if (!is_status(slot1(o, SLOT_ORIGINALSTATUS, &n)) || n != 1)
			MUERR(ERR_MU_UPDATE, "Association '%s': slot %s must "
			    "be one status (Approved or Deprecated)", o->id,
			    SLOT_ORIGINALSTATUS);
		if (!is_status(slot1(o, SLOT_NEWSTATUS, &n)) || n != 1)
			MUERR(ERR_MU_UPDATE, "Association '%s': slot %s must "
			    "be %s or %s", o->id, SLOT_NEWSTATUS,
			    STATUS_APPROVED, STATUS_DEPRECATED);
		for (j = 0; j < i && o->target != NULL; j++)
			if (s->kind[j] == XDS_ASSOCIATION &&
			    l->obj[j].assoc_type != NULL &&
			    strcmp(l->obj[j].assoc_type,
			    AT_UPDATESTATUS) == 0 &&
			    l->obj[j].target != NULL &&
			    strcmp(l->obj[j].target, o->target) == 0)
				MUERR(ERR_MU_UPDATE, "Associations '%s' and "
				    "'%s' both change the status of '%s'",
				    l->obj[j].id, o->id, o->target);
	}
#undef MUERR
	return bad ? VALIDATE_INVALID : XDS_OK;
}

/* ---- against the database ---- */

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_lcpy(out, t != NULL ? (const char *)t : "", outsz);
}

/* 1 found, 0 none, < 0 error. */
static int
latest(struct store_conn *c, const char *lid, struct latest *out)
{
	sqlite3_stmt *st;
	int	 rc;

	memset(out, 0, sizeof *out);
	if ((st = store_stmt(c, SQL_LATEST)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, lid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->row = sqlite3_column_int64(st, 0);
		out->version = (long)sqlite3_column_int64(st, 1);
		out->kind = sqlite3_column_int(st, 2);
		col_text(st, 3, out->status, sizeof out->status);
		col_text(st, 4, out->patient, sizeof out->patient);
		col_text(st, 5, out->uid, sizeof out->uid);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

/* One text column of the one row of sql bound to row: 1, 0 no row,
 * < 0 error. */
static int
row_text(struct store_conn *c, const char *sql, sqlite3_int64 row,
    char *out, size_t outsz, long *num)
{
	sqlite3_stmt *st;
	int	 rc;

	out[0] = '\0';
	if ((st = store_stmt(c, sql)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int64(st, 1, row);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, out, outsz);
		if (num != NULL)
			*num = (long)sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

/* A new version of a stored DocumentEntry or Folder (object i). */
static int
check_version(struct sub *s, struct store_conn *c, size_t i)
{
	const struct rim_object *o = &s->l->obj[i];
	const char *what = validate_kind_name(s->kind[i]), *uid;
	struct latest lt;
	char	 pat[SUB_CX_MAX], otype[128];
	long	 pv = 0;
	int	 rc;

	if (previous_version(s, i, &pv) != 1 || o->lid == NULL)
		return 0;	/* update_prepare refused it */
	if ((rc = latest(c, o->lid, &lt)) < 0)
		return rc;
	if (rc == 0) {
		rim_error(&s->terr, NULL, ERR_MU_VERSION, "%s '%s': no stored "
		    "object has logicalId '%s'", what, o->id, o->lid);
		return 0;
	}
	if (lt.kind != (int)s->kind[i]) {
		rim_error(&s->terr, NULL, ERR_MU_UPDATE, "%s '%s': logicalId "
		    "'%s' is a stored %s", what, o->id, o->lid,
		    validate_kind_name(lt.kind));
		return 0;
	}
	if (lt.version != pv) {
		rim_error(&s->terr, NULL, ERR_MU_VERSION, "%s '%s': "
		    "PreviousVersion %ld is not the latest version of "
		    "logicalId '%s' (%ld)", what, o->id, pv, o->lid,
		    lt.version);
		return 0;
	}
	if (strcmp(lt.status, STATUS_APPROVED) != 0) {
		rim_error(&s->terr, NULL, ERR_MU_UPDATE, "%s '%s': the latest "
		    "version of logicalId '%s' is %s; make it Approved "
		    "(UpdateAvailabilityStatus) before updating it", what,
		    o->id, o->lid, lt.status);
		return 0;
	}
	uid = validate_unique_id(o, s->kind[i]);
	if (uid == NULL || strcmp(uid, lt.uid) != 0)
		rim_error(&s->terr, NULL, ERR_MU_IDENTIFIER, "%s '%s': "
		    "uniqueId '%s' differs from '%s' of the version it "
		    "follows; a uniqueId never changes", what, o->id,
		    uid != NULL ? uid : "", lt.uid);
	if (s->kind[i] == XDS_DOCENTRY) {
		if ((rc = row_text(c, SQL_DE_TYPE, lt.row, otype,
		    sizeof otype, NULL)) < 0)
			return rc;
		if (o->object_type == NULL || strcmp(o->object_type,
		    otype) != 0)
			rim_error(&s->terr, NULL, ERR_MU_OBJECT_TYPE,
			    "DocumentEntry '%s': objectType '%s' differs from "
			    "'%s' of the version it follows", o->id,
			    o->object_type != NULL ? o->object_type : "",
			    otype);
	}
	if (validate_patient(o, s->kind[i], pat, sizeof pat) == 0 &&
	    strcmp(pat, lt.patient) != 0) {
		if ((rc = row_text(c, SQL_LINKED, lt.row, otype, sizeof otype,
		    NULL)) < 0)
			return rc;
		if (rc == 1)
			rim_error(&s->terr, NULL,
			    ERR_MU_PATIENT_RECONCILIATION, "%s '%s': patient "
			    "'%s' is not '%s' of the version it follows, and "
			    "that version is linked to other document entries "
			    "or folders", what, o->id, pat, lt.patient);
	}
	s->version[i] = lt.version + 1;
	s->prev[i] = lt.row;
	return 0;
}

/* An UpdateAvailabilityStatus association (object i). */
static int
check_status(struct sub *s, struct store_conn *c, size_t i)
{
	const struct rim_object *a = &s->l->obj[i];
	const char *orig;
	struct stored so;
	struct latest lt;
	char	 lid[128];
	long	 ver = 0;
	int	 n, rc;

	if ((rc = sub_lookup(c, a->target, &so)) <= 0)
		return rc;	/* not stored: R4 (check_refs) says so */
	if (so.kind != XDS_DOCENTRY && so.kind != XDS_ASSOCIATION) {
		rim_error(&s->terr, NULL, ERR_MU_OPERATION, "Association '%s': "
		    "the status of a %s ('%s') does not change; only that of "
		    "a DocumentEntry or an association", a->id,
		    validate_kind_name(so.kind), a->target);
		return 0;
	}
	orig = slot1(a, SLOT_ORIGINALSTATUS, &n);
	if (orig != NULL && strcmp(orig, so.status) != 0)
		rim_error(&s->terr, NULL, ERR_MU_UPDATE, "Association '%s': "
		    "OriginalStatus is %s but '%s' is %s", a->id, orig,
		    a->target, so.status);
	if (so.kind != XDS_DOCENTRY)
		return 0;
	if ((rc = row_text(c, SQL_LID_OF, so.row, lid, sizeof lid,
	    &ver)) <= 0)
		return rc < 0 ? rc : XDS_EIO;
	if ((rc = latest(c, lid, &lt)) <= 0)
		return rc < 0 ? rc : XDS_EIO;
	if (lt.version != ver)
		rim_error(&s->terr, NULL, ERR_MU_VERSION, "Association '%s': "
		    "'%s' is version %ld of logicalId '%s', not the latest "
		    "(%ld): only the latest version changes status", a->id,
		    a->target, ver, lid, lt.version);
	return 0;
}

int
update_check(struct sub *s, struct store_conn *c)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < s->l->nobj; i++) {
		const struct rim_object *o = &s->l->obj[i];

		if (s->kind[i] == XDS_DOCENTRY || s->kind[i] == XDS_FOLDER)
			rc = check_version(s, c, i);
		else if (s->kind[i] == XDS_ASSOCIATION &&
		    o->assoc_type != NULL &&
		    strcmp(o->assoc_type, AT_UPDATESTATUS) == 0)
			rc = check_status(s, c, i);
		else
			rc = 0;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the changes ---- */

static int
set_status(struct store_conn *c, sqlite3_int64 row, int kind,
    const char *status)
{
	sqlite3_stmt *st;
	const char *sql = NULL;
	int	 rc;

	if ((st = store_stmt(c, SQL_STATUS_RO)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, row);
	if ((rc = sub_step_done(c, st)) != 0)
		return rc;
	if (kind == XDS_DOCENTRY)
		sql = SQL_STATUS_DE;
	else if (kind == XDS_FOLDER)
		sql = SQL_STATUS_FOL;
	if (sql == NULL)
		return 0;
	if ((st = store_stmt(c, sql)) == NULL)
		return XDS_EIO;
	sub_bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, row);
	return sub_step_done(c, st);
}

/* The new folder version (row, id) gets the document entries of the
 * version it follows. */
static int
keep_members(struct sub *s, struct store_conn *c, sqlite3_int64 row,
    const char *id, sqlite3_int64 prev, struct buf *xml)
{
	struct {
		sqlite3_int64	 row;
		char		 uuid[128];
	}	*m = NULL, *nm;
	sqlite3_stmt *st;
	size_t	 i, n = 0;
	int	 rc;

	if ((st = store_stmt(c, SQL_MEMBERS)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int64(st, 1, prev);
	sub_bind_text(st, 2, AT_HASMEMBER);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nm = reallocarray(m, n + 1, sizeof *m)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		m = nm;
		m[n].row = sqlite3_column_int64(st, 0);
		col_text(st, 1, m[n].uuid, sizeof m[n].uuid);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(m);
		return store_rc(rc);
	}
	rc = 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = sub_insert_assoc(s, c, id, row, m[i].uuid, m[i].row, xml);
	free(m);
	return rc;
}

int
update_apply(struct sub *s, struct store_conn *c, struct buf *xml)
{
	struct stored so;
	size_t	 i;
	int	 n, rc;

	for (i = 0; i < s->l->nobj; i++) {
		const struct rim_object *o = &s->l->obj[i];

		if (s->prev[i] != 0) {
			if ((rc = set_status(c, s->prev[i], s->kind[i],
			    STATUS_DEPRECATED)) != 0)
				return rc;
			if (!propagate(s, i))
				continue;
			if (s->kind[i] == XDS_DOCENTRY)
				rc = sub_join_folders(s, c, s->row[i], o->id,
				    s->prev[i], xml);
			else
				rc = keep_members(s, c, s->row[i], o->id,
				    s->prev[i], xml);
			if (rc != 0)
				return rc;
			continue;
		}
		if (s->kind[i] != XDS_ASSOCIATION || o->assoc_type == NULL ||
		    strcmp(o->assoc_type, AT_UPDATESTATUS) != 0)
			continue;
		if ((rc = sub_lookup(c, o->target, &so)) < 0)
			return rc;
		if (rc == 0)
			return XDS_EIO;	/* checked before */
		if ((rc = set_status(c, so.row, so.kind, slot1(o,
		    SLOT_NEWSTATUS, &n))) != 0)
			return rc;
	}
	return 0;
}
