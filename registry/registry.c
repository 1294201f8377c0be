/*
 * registry.c: the Document Registry actor: open/close, the route table
 * of /xds/registry (ITI-42, ITI-18, ITI-62, ITI-57) and the patient list
 * used when registry.patient_ids = feed (filled by xdsctl patient add and
 * the ITI-8 feed, feed.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "conf.h"
#include "ebrim.h"
#include "hl7dt.h"
#include "log.h"
#include "query.h"
#include "registry.h"
#include "registry_int.h"
#include "store.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"

#define CX_MAX	(2 * HL7_ID_MAX + 16)

/* ITI-18: the stored-query engine answers inside one read transaction
 * of its own; we only lend it a connection. */
static int
reg_iti18(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	struct registry *reg = actor;
	struct query_opts qo;
	struct store_conn *c;
	char	 err[256];
	int	 rc;

	if ((c = store_get(reg->store, err, sizeof err)) == NULL) {
		log_warnx("registry: ITI-18: %s", err);
		xact_fail(x, XACT_FAULT, "registry database unavailable");
		return -1;
	}
	memset(&qo, 0, sizeof qo);
	qo.max_results = reg->max_results;
	qo.home = NULL;
	rc = query_run(c->db, req->body, &qo, &reply->body, x);
	store_put(reg->store, c);
	return rc;
}

int
registry_open(const struct conf *cf, struct registry **out, char *err,
    size_t errlen)
{
	struct registry *r;

	*out = NULL;
	if ((r = calloc(1, sizeof *r)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (store_open(cf->node_state_dir, &r->store, err, errlen) != 0) {
		free(r);
		return -1;
	}
	r->feed = strcmp(cf->registry_patient_ids, "feed") == 0;
	r->max_results = cf->registry_max_results;
	str_lcpy(r->state_dir, cf->node_state_dir, sizeof r->state_dir);
	r->min_free = cf->node_min_free_space;
	r->routes[0] = (struct soap_route){ ACT_ITI42, ACT_ITI42_RSP,
	    TXN_ITI42, NS_LCM, "SubmitObjectsRequest", PACK_EITHER, reg_iti42 };
	r->routes[1] = (struct soap_route){ ACT_ITI18, ACT_ITI18_RSP,
	    TXN_ITI18, NS_QUERY, "AdhocQueryRequest", PACK_EITHER, reg_iti18 };
	r->routes[2] = (struct soap_route){ ACT_ITI62, ACT_ITI62_RSP,
	    TXN_ITI62, NS_LCM, "RemoveObjectsRequest", PACK_EITHER, reg_iti62 };
	r->routes[3] = (struct soap_route){ ACT_ITI57, ACT_ITI57_RSP,
	    TXN_ITI57, NS_LCM, "SubmitObjectsRequest", PACK_EITHER, reg_iti57 };
	r->ep.path = "/xds/registry";
	r->ep.routes = r->routes;
	r->ep.nroutes = sizeof r->routes / sizeof r->routes[0];
	r->ep.actor = r;
	log_info("registry: %s, patient ids: %s", store_path(r->store),
	    r->feed ? "feed" : "bsn");
	*out = r;
	return 0;
}

void
registry_close(struct registry *r)
{
	if (r == NULL)
		return;
	store_close(r->store);
	free(r);
}

const struct soap_endpoint *
registry_endpoint(struct registry *r)
{
	return &r->ep;
}

void
registry_on_new_patient(struct registry *r, registry_patient_fn fn,
    void *arg)
{
	r->on_new_patient = fn;
	r->on_new_patient_arg = arg;
}

/* ---- patients (feed mode) ---- */

static const char SQL_PATIENT_ADD[] =
    "INSERT OR IGNORE INTO patient (patient_id, added) VALUES (?, ?)";
static const char SQL_PATIENT_LIST[] =
    "SELECT patient_id, added FROM patient ORDER BY patient_id";
static const char SQL_DOC_PATIENTS[] =
    "SELECT DISTINCT patient_id FROM document_entry";

struct padd {
	const char	*cx;
	const char	*added;
};

int
reg_patient_add_txn(struct store_conn *c, const char *cx, const char *added)
{
	sqlite3_stmt *st;
	int	 rc;

	if ((st = store_stmt(c, SQL_PATIENT_ADD)) == NULL)
		return XDS_EIO;
	sqlite3_bind_text(st, 1, cx, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, added, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

static int
patient_add_txn(struct store_conn *c, void *arg)
{
	struct padd *p = arg;

	return reg_patient_add_txn(c, p->cx, p->added);
}

int
registry_patient_add(struct registry *r, const char *cx, char *err,
    size_t errlen)
{
	struct hl7_cx p;
	struct padd pa;
	struct tm tm;
	time_t	 t = (time_t)clock_wall();
	char	 canon[CX_MAX], added[32], perr[128];

	if (cx == NULL || hl7_cx_parse(cx, strlen(cx), &p, perr,
	    sizeof perr) != 0) {
		str_fmt(err, errlen, "not a patient id (CX id^^^&OID&ISO): %s",
		    cx == NULL ? "(null)" : perr);
		return -1;
	}
	if (p.id[0] == '\0' || p.aa_oid[0] == '\0') {
		str_fmt(err, errlen, "patient id needs an id and an assigning "
		    "authority (id^^^&OID&ISO)");
		return -1;
	}
	if (hl7_cx_format(&p, canon, sizeof canon) != 0) {
		str_fmt(err, errlen, "patient id too long");
		return -1;
	}
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(added, sizeof added, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		str_fmt(err, errlen, "clock unavailable");
		return -1;
	}
	pa.cx = canon;
	pa.added = added;
	return store_write(r->store, patient_add_txn, &pa, err, errlen) == 0 ?
	    0 : -1;
}

struct plist {
	int	(*cb)(void *, const char *, const char *);
	void	*arg;
};

static int
patient_list_txn(struct store_conn *c, void *arg)
{
	struct plist *p = arg;
	sqlite3_stmt *st;
	int	 rc;

	if ((st = store_stmt(c, SQL_PATIENT_LIST)) == NULL)
		return XDS_EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (p->cb(p->arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

struct peach {
	int	(*cb)(void *, const char *);
	void	*arg;
};

static int
each_patient_txn(struct store_conn *c, void *arg)
{
	struct peach *p = arg;
	sqlite3_stmt *st;
	int	 rc;

	if ((st = store_stmt(c, SQL_DOC_PATIENTS)) == NULL)
		return XDS_EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (p->cb(p->arg, (const char *)sqlite3_column_text(st, 0)) !=
		    0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

int
registry_each_patient(struct registry *r,
    int (*cb)(void *arg, const char *cx), void *arg)
{
	struct peach p;
	char	 err[256];

	p.cb = cb;
	p.arg = arg;
	if (store_read(r->store, each_patient_txn, &p, err, sizeof err) != 0) {
		log_warnx("registry: patients: %s", err);
		return -1;
	}
	return 0;
}

int
registry_patient_list(struct registry *r,
    int (*cb)(void *arg, const char *cx, const char *added), void *arg)
{
	struct plist p;
	char	 err[256];

	p.cb = cb;
	p.arg = arg;
	if (store_read(r->store, patient_list_txn, &p, err, sizeof err) != 0) {
		log_warnx("registry: patient list: %s", err);
		return -1;
	}
	return 0;
}

int
reg_respond(struct xact *x, struct soap_reply *reply, int rc,
    struct rim_errors *errs, const char *txn, const char *err)
{
	size_t i;
	int st;

	if (rc < 0) {
		/* err may hold the database's words (store_write): for the
		 * log only.  Busy is worth telling apart: the submitter may
		 * send the same request again later and it will be
		 * taken. */
		log_warnx("registry: %s: %s", txn, err);
		rim_errors_free(errs);
		rim_errors_init(errs);
		if (rc == XDS_EBUSY)
			st = rim_errors_add(errs, 0, ERR_REGISTRY_BUSY, NULL,
			    "registry busy: nothing was stored; send the "
			    "request again later");
		else
			st = rim_errors_add(errs, 0, ERR_REGISTRY, NULL,
			    "registry error: the request could not be "
			    "completed");
		if (st != XDS_OK)
			return st;
		rc = 1;
	}
	for (i = 0; i < errs->n; i++)
		if (!errs->v[i].warning)
			xact_add_error(x, errs->v[i].code);
	return rim_write_registry_response(&reply->body, rc == 0 ?
	    ST_SUCCESS : ST_FAILURE, errs);
}

int
reg_verdict(const struct rim_errors *terr)
{
	if (terr->nomem)
		return XDS_EIO;
	return rim_errors_nerror(terr) > 0 ? 1 : 0;
}
