/*
 * delete.c: ITI-62 Delete Document Set (lcm:RemoveObjectsRequest with a
 * rim:ObjectRefList).  R19, all or nothing:
 *   - every reference names a stored object (UnresolvedReferenceException);
 *   - no association that stays may point at a removed object
 *     (ReferencesExistException);
 *   - no DocumentEntry or Folder may stay without a HasMember from a
 *     SubmissionSet (XDSUnreferencedObjectException).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebrim.h"
#include "log.h"
#include "registry_int.h"
#include "store.h"
#include "str.h"
#include "validate.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

#define REF_ID_MAX	256

struct del {
	const char *const *ids;
	size_t		 nids;
	sqlite3_int64	*rows;		/* sorted, distinct */
	int		*kinds;		/* kind of rows[i] */
	size_t		 nrows;
	struct rim_errors terr;
};

static const char SQL_FIND[] =
    "SELECT id, kind FROM registry_object WHERE entry_uuid = ?";
static const char SQL_REFS[] =
    "SELECT a.id, ro.entry_uuid FROM association a "
    "JOIN registry_object ro ON ro.id = a.id "
    "WHERE a.source_id = ?1 OR a.target_id = ?1";
static const char SQL_ENDS[] =
    "SELECT a.source_id, a.target_id, t.kind, t.entry_uuid "
    "FROM association a JOIN registry_object t ON t.id = a.target_id "
    "WHERE a.id = ?";
static const char SQL_SS_MEMBER_OF[] =
    "SELECT a.id FROM association a "
    "JOIN registry_object s ON s.id = a.source_id "
    "WHERE a.target_id = ? AND a.type = ? AND s.kind = 2";
static const char SQL_DELETE[] =
    "DELETE FROM registry_object WHERE id = ?";

static int
row_cmp(const void *a, const void *b)
{
	sqlite3_int64 x = *(const sqlite3_int64 *)a;
	sqlite3_int64 y = *(const sqlite3_int64 *)b;

	return x < y ? -1 : x > y;
}

static int
removed(const struct del *d, sqlite3_int64 row)
{
	return bsearch(&row, d->rows, d->nrows, sizeof *d->rows,
	    row_cmp) != NULL;
}

/* Resolve every id to a row; rows sorted and distinct. */
static int
resolve(struct del *d, struct store_conn *c)
{
	sqlite3_stmt *st;
	size_t	 i, j, n = 0;
	int	 rc;

	for (i = 0; i < d->nids; i++) {
		if ((st = store_stmt(c, SQL_FIND)) == NULL)
			return XDS_EIO;
		sqlite3_bind_text(st, 1, d->ids[i], -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			d->rows[n] = sqlite3_column_int64(st, 0);
			d->kinds[n] = sqlite3_column_int(st, 1);
			n++;
		} else if (rc == SQLITE_DONE) {
			rim_error(&d->terr, NULL, ERR_UNRESOLVED_REFERENCE,
			    "ObjectRef '%s': no such object in the registry",
			    d->ids[i]);
		} else {
			sqlite3_reset(st);
			return store_rc(rc);
		}
		sqlite3_reset(st);
	}
	/* Sort rows with their kinds (insertion sort keeps them paired;
	 * n is bounded by RIM_MAX_OBJECTS), then drop duplicates. */
	for (i = 1; i < n; i++) {
		sqlite3_int64 r = d->rows[i];
		int	 k = d->kinds[i];

		for (j = i; j > 0 && d->rows[j - 1] > r; j--) {
			d->rows[j] = d->rows[j - 1];
			d->kinds[j] = d->kinds[j - 1];
		}
		d->rows[j] = r;
		d->kinds[j] = k;
	}
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && d->rows[j - 1] == d->rows[i])
			continue;
		d->rows[j] = d->rows[i];
		d->kinds[j] = d->kinds[i];
		j++;
	}
	d->nrows = j;
	return 0;
}

static int
check_references(struct del *d, struct store_conn *c)
{
	sqlite3_stmt *st;
	size_t	 i;
	int	 rc;

	for (i = 0; i < d->nrows; i++) {
		if ((st = store_stmt(c, SQL_REFS)) == NULL)
			return XDS_EIO;
		sqlite3_bind_int64(st, 1, d->rows[i]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			sqlite3_int64 a = sqlite3_column_int64(st, 0);

			if (!removed(d, a))
				rim_error(&d->terr, NULL, ERR_REFERENCES_EXIST,
				    "association '%s' refers to a removed "
				    "object and is not removed with it",
				    (const char *)sqlite3_column_text(st, 1));
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_rc(rc);
	}
	return 0;
}

/* Is target row t still a member of some SubmissionSet after removal? */
static int
still_member(struct del *d, struct store_conn *c, sqlite3_int64 t)
{
	sqlite3_stmt *st;
	int	 rc, found = 0;

	if ((st = store_stmt(c, SQL_SS_MEMBER_OF)) == NULL)
		return XDS_EIO;
	sqlite3_bind_int64(st, 1, t);
	sqlite3_bind_text(st, 2, AT_HASMEMBER, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!removed(d, sqlite3_column_int64(st, 0)))
			found = 1;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_rc(rc);
	return found;
}

static int
check_unreferenced(struct del *d, struct store_conn *c)
{
	sqlite3_stmt *st;
	size_t	 i;
	int	 rc;

	for (i = 0; i < d->nrows; i++) {
		sqlite3_int64 t;
		int	 tk;
		char	 tid[REF_ID_MAX];

		if (d->kinds[i] != XDS_ASSOCIATION)
			continue;
		if ((st = store_stmt(c, SQL_ENDS)) == NULL)
			return XDS_EIO;
		sqlite3_bind_int64(st, 1, d->rows[i]);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			sqlite3_reset(st);
			if (rc == SQLITE_DONE)
				continue;
			return store_rc(rc);
		}
		t = sqlite3_column_int64(st, 1);
		tk = sqlite3_column_int(st, 2);
		str_lcpy(tid, (const char *)sqlite3_column_text(st, 3),
		    sizeof tid);
		sqlite3_reset(st);
		if (removed(d, t) || (tk != XDS_DOCENTRY && tk != XDS_FOLDER))
			continue;
		if ((rc = still_member(d, c, t)) < 0)
			return rc;
		if (rc == 0)
			rim_error(&d->terr, NULL, ERR_UNREFERENCED_OBJECT, "%s "
			    "'%s' would be left in no SubmissionSet: remove it "
			    "too, or keep its HasMember association",
			    tk == XDS_DOCENTRY ? "DocumentEntry" : "Folder",
			    tid);
	}
	return 0;
}

static int
remove_rows(struct del *d, struct store_conn *c)
{
	sqlite3_stmt *st;
	size_t	 i;
	int	 pass, rc;

	/* Associations first: their rows reference the others. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < d->nrows; i++) {
			if ((pass == 0) != (d->kinds[i] == XDS_ASSOCIATION))
				continue;
			if ((st = store_stmt(c, SQL_DELETE)) == NULL)
				return XDS_EIO;
			sqlite3_bind_int64(st, 1, d->rows[i]);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				log_warnx("registry: delete: %s",
				    sqlite3_errmsg(c->db));
				return store_rc(rc);
			}
		}
	}
	return 0;
}

static int
del_apply(struct store_conn *c, void *arg)
{
	struct del *d = arg;
	int	 rc;

	rim_errors_free(&d->terr);
	rim_errors_init(&d->terr);
	d->nrows = 0;
	if ((rc = resolve(d, c)) != 0 || (rc = check_references(d, c)) != 0 ||
	    (rc = check_unreferenced(d, c)) != 0)
		return rc;
	if ((rc = reg_verdict(&d->terr)) != 0)
		return rc;
	return remove_rows(d, c);
}

int
delete_refs(struct registry *reg, const char *const *ids, size_t nids,
    struct rim_errors *errs, char *err, size_t errlen)
{
	struct del d;
	size_t	 i;
	int	 rc = -1;

	memset(&d, 0, sizeof d);
	rim_errors_init(&d.terr);
	d.ids = ids;
	d.nids = nids;
	if (nids == 0) {
		if (rim_errors_add(errs, 0, ERR_REGISTRY_METADATA, NULL,
		    "RemoveObjectsRequest names no object") != 0)
			goto out;
		return 1;
	}
	if ((d.rows = calloc(nids, sizeof *d.rows)) == NULL ||
	    (d.kinds = calloc(nids, sizeof *d.kinds)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		goto out;
	}
	rc = store_write(reg->store, del_apply, &d, err, errlen);
	if (rc < 0) {
		rc = rc == XDS_EBUSY ? XDS_EBUSY : -1;
		goto out;
	}
	for (i = 0; i < d.terr.n; i++)
		if (rim_errors_add(errs, 0, d.terr.v[i].code, NULL, "%s",
		    d.terr.v[i].context) != 0) {
			str_fmt(err, errlen, "out of memory");
			rc = -1;
			goto out;
		}
	rc = rc > 0 ? 1 : 0;
out:
	rim_errors_free(&d.terr);
	free(d.kinds);
	free(d.rows);
	return rc;
}

/* ---- the ITI-62 route ---- */

/* Collect ObjectRef ids of rim:ObjectRefList into ids (borrowed from the
 * tree).  -1 with a reason when the request is not one we handle. */
static int
collect_refs(xmlNode *body, const char ***out, size_t *nout, char *err,
    size_t errlen)
{
	xmlNode	*n, *r, *list = NULL;
	const char **ids = NULL, **nids;
	const char *id;
	size_t	 cnt = 0;

	*out = NULL;
	*nout = 0;
	for (n = xml_first_elem(body); n != NULL; n = xml_next_elem(n)) {
		if (xml_is(n, NS_RIM, "ObjectRefList"))
			list = n;
		else if (xml_is(n, NS_RIM, "AdhocQuery")) {
			str_fmt(err, errlen, "RemoveObjectsRequest with an "
			    "AdhocQuery is not supported: use ObjectRefList");
			return -1;
		}
	}
	if (list == NULL) {
		str_fmt(err, errlen, "RemoveObjectsRequest has no "
		    "rim:ObjectRefList");
		return -1;
	}
	for (r = xml_first_elem(list); r != NULL; r = xml_next_elem(r)) {
		if (!xml_is(r, NS_RIM, "ObjectRef"))
			continue;
		if ((id = xml_attr(r, "id")) == NULL || id[0] == '\0' ||
		    strlen(id) >= REF_ID_MAX) {
			str_fmt(err, errlen, "ObjectRef #%zu: id missing or "
			    "longer than %d", cnt + 1, REF_ID_MAX - 1);
			free(ids);
			return -1;
		}
		if (cnt >= RIM_MAX_OBJECTS) {
			str_fmt(err, errlen, "more than %d ObjectRefs",
			    RIM_MAX_OBJECTS);
			free(ids);
			return -1;
		}
		if ((nids = reallocarray(ids, cnt + 1, sizeof *ids)) == NULL) {
			free(ids);
			str_fmt(err, errlen, "out of memory");
			return -2;
		}
		ids = nids;
		ids[cnt++] = id;
	}
	*out = ids;
	*nout = cnt;
	return 0;
}

int
reg_iti62(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct registry *reg = actor;
	struct rim_errors errs;
	const char **ids = NULL;
	size_t	 nids = 0;
	char	 err[512];
	int	 rc, ret = -1;

	rim_errors_init(&errs);
	err[0] = '\0';
	if ((rc = collect_refs(req->body, &ids, &nids, err, sizeof err)) ==
	    -2)
		goto fault;
	if (rc != 0) {
		if (rim_errors_add(&errs, 0, ERR_REGISTRY_METADATA, NULL,
		    "%s", err) != 0)
			goto fault;
		rc = 1;
	} else {
		if (nids > 0)
			xact_set_object(x, ids[0]);
		rc = delete_refs(reg, ids, nids, &errs, err, sizeof err);
	}
	if (reg_respond(x, reply, rc, &errs, TXN_ITI62, err) != XDS_OK)
		goto fault;
	if (rc == 0)
		log_info("registry: ITI-62 removed %zu objects", nids);
	ret = 0;
	goto out;
fault:
	xact_fail(x, XACT_FAULT, "registry: out of memory");
out:
	rim_errors_free(&errs);
	free(ids);
	return ret;
}
