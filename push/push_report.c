/*
 * push_report.c: storage commitment reports that a receiver sends on an
 * association of its own to push.listen (push_int.h; PS3.4 J.3.3), for
 * the requests this node's sender made: many Storage Commitment SCPs
 * answer the N-ACTION, end the association and report later.  A report
 * is applied only when it names the Transaction UID of a job that is
 * queued or sending (push_db_by_txn) and comes from the organisation
 * that job pushes to (the URA of the peer's certificate is the
 * destination's); it then changes the job's instances exactly as a
 * report on the sender's own association would (push_db_report), and
 * the sender's next attempt declares the job done or sends again.
 * Anything else is refused (Invalid Argument Value), logged, counted
 * and audited, and changes nothing.
 */
#include "config.h"

#include <string.h>

#include "bridge_db.h"
#include "clock.h"
#include "directory.h"
#include "log.h"
#include "push_int.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xdr.h"

#define REPORT_ENDPOINT	"/push"		/* the listener, as push_recv.c */

/* 1 when the organisation of URA ura is job j's destination (its URA,
 * or the URA the directory gives its home community id), c filled. */
static int
is_dest(struct push *p, const struct push_job *j, const char *ura,
    struct dir_community *c)
{
	char e[256];
	int rc;

	memset(c, 0, sizeof *c);
	if (p->dir == NULL || strcmp(j->dest, PUSH_DEST_PACS) == 0)
		return 0;
	rc = strncmp(j->dest, "urn:oid:", 8) == 0 ?
	    dir_by_hcid(p->dir, j->dest, c, e, sizeof e) :
	    dir_by_ura(p->dir, j->dest, c, e, sizeof e);
	if (rc != XDS_OK)
		str_lcpy(c->ura, j->dest, sizeof c->ura);
	return c->ura[0] != '\0' && strcmp(c->ura, ura) == 0;
}

/* One audit record per report, at the listener: the job's study and
 * patient when the report was matched to a job. */
static void
audit(struct push *p, const struct dcmshim_commit_report *r,
    const struct push_job *j, const struct dir_community *c, int outcome,
    const char *why)
{
	struct bridge_db_study_row row;
	struct xact x;
	char cx[64], e[128];

	xact_begin(&x, &p->conf, REPORT_ENDPOINT, r->subject, "");
	str_lcpy(x.txn, TXN_DICOM_PUSH, sizeof x.txn);
	str_lcpy(x.action, "N-EVENT-REPORT", sizeof x.action);
	xact_set_object(&x, j != NULL ? j->study_uid : r->transaction_uid);
	if (j != NULL && bridge_db_study(p->bdb, j->study_uid, &row, e,
	    sizeof e) == 0 && row.found && row.bsn[0] != '\0') {
		str_fmt(cx, sizeof cx, "%s^^^&" OID_BSN "&ISO", row.bsn);
		xact_set_patient(&x, cx);
	}
	if (c != NULL && c->ura[0] != '\0')
		str_fmt(x.org, sizeof x.org, "%s %s", c->ura, c->name);
	if (outcome != XACT_SUCCESS)
		xact_fail(&x, outcome, why);
	x.http_status = 0;
	(void)xact_end(&x);
}

static int
refuse(struct push *p, const struct dcmshim_commit_report *r,
    const struct push_job *j, const struct dir_community *c, int rc,
    const char *why)
{
	__atomic_add_fetch(&p->reports_refused, 1, __ATOMIC_RELAXED);
	log_warnx("push: storage commitment report from %s (%s) refused: %s",
	    r->calling_ae, r->subject[0] != '\0' ? r->subject : "no "
	    "certificate", why);
	audit(p, r, j, c, XACT_FAILURE, why);
	return rc;
}

int
push_report(void *arg, const struct dcmshim_commit_report *r)
{
	struct push *p = arg;
	struct dir_community c;
	struct push_job j;
	char ura[16], why[512], e[256];
	size_t newly = 0;
	int rc;

	if (xdr_subject_ura(r->subject, ura, sizeof ura) != 1)
		return refuse(p, r, NULL, NULL, XDS_EDENIED, "the "
		    "certificate names no URA");
	rc = push_db_by_txn(p->db, r->transaction_uid, &j, e, sizeof e);
	if (rc == XDS_ENOTFOUND) {
		str_fmt(why, sizeof why, "no push job awaits transaction %s",
		    r->transaction_uid);
		return refuse(p, r, NULL, NULL, rc, why);
	}
	if (rc != XDS_OK) {
		log_warnx("push: storage commitment report: %s", e);
		return rc;
	}
	if (!is_dest(p, &j, ura, &c)) {
		/* another organisation naming our transaction */
		str_fmt(why, sizeof why, "transaction %s is job %lld's, to %s, "
		    "not to URA %s", r->transaction_uid, j.id, j.dest, ura);
		return refuse(p, r, NULL, NULL, XDS_EDENIED, why);
	}
	rc = push_db_report(p->db, r->transaction_uid, j.id, r->committed,
	    r->ncommitted, r->failed, r->nfailed, clock_wall(), &newly, e,
	    sizeof e);
	if (rc == XDS_ENOTFOUND)	/* a new attempt took the job */
		return refuse(p, r, &j, &c, rc, e);
	if (rc != XDS_OK) {
		log_warnx("push: job %lld: storage commitment report: %s",
		    j.id, e);
		return rc;
	}
	__atomic_add_fetch(&p->instances_out, newly, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->reports_in, 1, __ATOMIC_RELAXED);
	str_fmt(why, sizeof why, "%zu instances not committed",
	    r->nfailed);
	log_info("push: job %lld: storage commitment report from %s on "
	    "push.listen: %zu committed, %zu failed (transaction %s)", j.id,
	    c.name[0] != '\0' ? c.name : ura, r->ncommitted, r->nfailed,
	    r->transaction_uid);
	audit(p, r, &j, &c, r->nfailed == 0 ? XACT_SUCCESS :
	    r->ncommitted == 0 ? XACT_FAILURE : XACT_PARTIAL, why);
	push_wake(p);	/* its next attempt: done, or the failed again */
	return XDS_OK;
}
