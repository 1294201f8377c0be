/*
 * push_send.c: one attempt of a push job (push_int.h): the destination
 * from the directory (its dicom= node), the study's instances from the
 * bridge (once, into push.db), those not yet committed sent over one
 * association (dcmshim_push: mutual TLS, C-STORE, Storage Commitment),
 * the outcome recorded per instance, the job done, queued again with
 * back-off, or failed after push.give_up_after; one audit record.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bridge_db.h"
#include "clock.h"
#include "dcmshim.h"
#include "directory.h"
#include "log.h"
#include "push_fetch.h"
#include "push_int.h"
#include "push_route.h"
#include "str.h"
#include "vocab.h"
#include "xact.h"
#include "xdr.h"

#define PATH_SZ	1024

struct items {
	struct push_item	*v;
	size_t			 n, cap;
};

static int
items_add(struct items *a, const struct push_item *it)
{
	struct push_item *nv;
	size_t cap;

	if (a->n == a->cap) {
		if (a->cap >= DCMSHIM_COMMIT_MAX)
			return -1;
		cap = a->cap == 0 ? 64 : a->cap * 2;
		if ((nv = realloc(a->v, cap * sizeof *nv)) == NULL)
			return -1;
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = *it;
	return 0;
}

static int
instance_path(const struct push *p, const char *study, const char *series,
    const char *sop, char *out, size_t outsz)
{
	return str_fmt(out, outsz, "%s/dicom/%s/%s/%s.dcm",
	    p->conf.node_state_dir, study, series, sop);
}

/* The study's instances as the bridge holds them (bridge_db_instances),
 * but those the job lists already (known, in SOP UID order). */
struct fill {
	struct push	*p;
	const char	*study;
	const struct items *known;
	struct items	 a;
	int		 toobig;	/* past DCMSHIM_COMMIT_MAX */
	char		 err[256];
};

static int
item_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct push_item *)e)->sop_uid);
}

static int
fill_one(void *arg, const char *series, const char *cls, const char *sop)
{
	struct fill *f = arg;
	struct dcmshim_info info;
	struct push_item it;
	char path[PATH_SZ];

	if (f->known->n > 0 && bsearch(sop, f->known->v, f->known->n,
	    sizeof *f->known->v, item_cmp) != NULL)
		return 0;
	/* a job lists at most what one commitment request may name */
	if (f->known->n + f->a.n >= DCMSHIM_COMMIT_MAX) {
		str_fmt(f->err, sizeof f->err, "more than %d instances",
		    DCMSHIM_COMMIT_MAX);
		f->toobig = 1;
		return 1;
	}
	memset(&it, 0, sizeof it);
	if (instance_path(f->p, f->study, series, sop, path, sizeof path) < 0 ||
	    dcmshim_parse_file(path, &info, f->err, sizeof f->err) != 0) {
		if (f->err[0] == '\0')
			str_fmt(f->err, sizeof f->err, "path too long");
		return 1;
	}
	str_lcpy(it.sop_uid, sop, sizeof it.sop_uid);
	str_lcpy(it.series_uid, series, sizeof it.series_uid);
	str_lcpy(it.sop_class, cls, sizeof it.sop_class);
	str_lcpy(it.ts, info.transfer_syntax[0] != '\0' ?
	    info.transfer_syntax : TS_IMPLICIT_LE, sizeof it.ts);
	str_lcpy(it.state, "new", sizeof it.state);
	if (items_add(&f->a, &it) != 0) {
		str_fmt(f->err, sizeof f->err, "out of memory");
		return 1;
	}
	return 0;
}

static int
load_one(void *arg, const struct push_item *it)
{
	return items_add(arg, it);
}

/* The receiver's certificate must name the URA the directory gives
 * the destination (when it has one). */
struct peer_check {
	const char	*ura;
};

static int
check_peer(void *arg, const char *subject, char *why, size_t whylen)
{
	struct peer_check *pc = arg;
	char ura[16];

	if (pc->ura[0] == '\0')
		return 1;
	if (xdr_subject_ura(subject, ura, sizeof ura) != 1 ||
	    strcmp(ura, pc->ura) != 0) {
		str_fmt(why, whylen, "its certificate (%s) does not name URA "
		    "%s", subject, pc->ura);
		return 0;
	}
	return 1;
}

/* The wait before attempt k+1 after k failed ones: 1, 2, 4 ... seconds,
 * at most push.retry_max. */
static long long
backoff(const struct push *p, long long attempts)
{
	long long s = 1;

	while (--attempts > 0 && s < p->conf.push_retry_max)
		s *= 2;
	return s < p->conf.push_retry_max ? s : p->conf.push_retry_max;
}

/* The audit record of an attempt: one per association (or per attempt
 * that did not get that far). */
static void
audit(struct push *p, const struct push_job *j, const char *node,
    const struct dir_community *c, int ok, const char *why)
{
	struct bridge_db_study_row row;
	struct xact x;
	char url[DIR_AE_MAX + 16], cx[64], e[128];

	str_fmt(url, sizeof url, "dicom://%s", node[0] != '\0' ? node :
	    j->dest);
	xact_begin_out(&x, &p->conf, TXN_DICOM_PUSH, url);
	str_lcpy(x.action, "C-STORE", sizeof x.action);
	xact_set_object(&x, j->study_uid);
	if (bridge_db_study(p->bdb, j->study_uid, &row, e, sizeof e) == 0 &&
	    row.found && row.bsn[0] != '\0') {
		str_fmt(cx, sizeof cx, "%s^^^&" OID_BSN "&ISO", row.bsn);
		xact_set_patient(&x, cx);
	}
	if (c != NULL)
		str_fmt(x.org, sizeof x.org, "%s %s", c->ura, c->name);
	else
		str_lcpy(x.org, j->dest, sizeof x.org);
	if (!ok)
		xact_fail(&x, XACT_FAILURE, why);
	x.http_status = 0;
	(void)xact_end(&x);
}

/* Resolve the destination: XDS_OK with c and the node's parts, or a
 * failure with why (XDS_ENOTFOUND: not in the directory or no dicom=). */
static int
resolve(struct push *p, const char *dest, struct dir_community *c, char *ae,
    char *host, size_t hostsz, int *port, char *why, size_t whylen)
{
	char e[256];
	int rc;

	if (p->dir == NULL) {
		str_fmt(why, whylen, "no community directory");
		return XDS_ENOTFOUND;
	}
	rc = strncmp(dest, "urn:oid:", 8) == 0 ?
	    dir_by_hcid(p->dir, dest, c, e, sizeof e) :
	    dir_by_ura(p->dir, dest, c, e, sizeof e);
	if (rc == XDS_ENOTFOUND) {
		str_fmt(why, whylen, "%s is not in the directory", dest);
		return rc;
	}
	if (rc != XDS_OK) {
		str_fmt(why, whylen, "directory: %s", e);
		return rc;
	}
	if (c->dicom[0] == '\0' || conf_split_ae(c->dicom, ae, 17, host,
	    hostsz, port) != 0) {
		str_fmt(why, whylen, "%s has no DICOM node (dicom=) in the "
		    "directory", dest);
		return XDS_ENOTFOUND;
	}
	return XDS_OK;
}

/*
 * The items of job j into out: listed from the bridge at its first
 * attempt, and at every later one the study's instances the bridge has
 * received since added (new).  *added (may be NULL) says how many were.
 */
static int
job_items(struct push *p, const struct push_job *j, struct items *out,
    size_t *added, char *why, size_t whylen)
{
	struct fill f;
	char e[256];
	int rc;

	if (added != NULL)
		*added = 0;
	if ((rc = push_db_items(p->db, j->id, load_one, out, why, whylen)) !=
	    XDS_OK)
		return rc;
	memset(&f, 0, sizeof f);
	f.p = p;
	f.study = j->study_uid;
	f.known = out;
	rc = bridge_db_instances(p->bdb, j->study_uid, fill_one, &f, e,
	    sizeof e);
	if (rc != 0 || f.err[0] != '\0') {
		str_fmt(why, whylen, "study %s: %s", j->study_uid,
		    f.err[0] != '\0' ? f.err : e);
		free(f.a.v);
		return f.toobig ? XDS_ETOOBIG : XDS_EIO;
	}
	if (f.a.n == 0 && out->n == 0) {
		str_fmt(why, whylen, "the bridge holds no instance of "
		    "study %s", j->study_uid);
		return XDS_ENOTFOUND;
	}
	if (f.a.n == 0)
		return XDS_OK;
	rc = push_db_set_items(p->db, j->id, f.a.v, f.a.n, why, whylen);
	free(f.a.v);
	if (rc != XDS_OK)
		return rc;
	if (added != NULL)
		*added = f.a.n;
	free(out->v);
	memset(out, 0, sizeof *out);
	return push_db_items(p->db, j->id, load_one, out, why, whylen);
}

/* One attempt's instances: those not yet committed, their files. */
struct attempt {
	struct items		 a;
	struct dcmshim_push_item *pi;
	size_t			*idx;	/* pi[k] is a.v[idx[k]] */
	size_t			 n;	/* in pi */
	size_t			 done;	/* committed already, or now */
	const char		*study;
	char			 txn[DCMSHIM_UI_SZ];	/* its request's */
	/* the items whose state the attempt changed, recorded alone: a
	 * report on push.listen during the attempt stays (push_report.c) */
	struct push_item	*chg;
	size_t			 nchg;
};

static int
attempt_prepare(struct push *p, const struct push_job *j, struct attempt *t,
    char *why, size_t whylen)
{
	char path[PATH_SZ];
	size_t i;

	if ((t->pi = calloc(t->a.n, sizeof *t->pi)) == NULL ||
	    (t->idx = calloc(t->a.n, sizeof *t->idx)) == NULL ||
	    (t->chg = calloc(t->a.n, sizeof *t->chg)) == NULL) {
		str_fmt(why, whylen, "out of memory");
		return XDS_ENOMEM;
	}
	for (i = 0; i < t->a.n; i++) {
		struct dcmshim_push_item *it = &t->pi[t->n];

		if (strcmp(t->a.v[i].state, "committed") == 0) {
			t->done++;
			continue;
		}
		it->sop_class = t->a.v[i].sop_class;
		it->sop_uid = t->a.v[i].sop_uid;
		it->ts = t->a.v[i].ts;
		it->send = strcmp(t->a.v[i].state, "new") == 0;
		if (it->send && (instance_path(p, j->study_uid,
		    t->a.v[i].series_uid, t->a.v[i].sop_uid, path,
		    sizeof path) < 0 || (it->path = strdup(path)) == NULL)) {
			str_fmt(why, whylen, "out of memory");
			return XDS_ENOMEM;
		}
		t->idx[t->n++] = i;
	}
	return XDS_OK;
}

static void
attempt_free(struct attempt *t)
{
	size_t k;

	for (k = 0; t->pi != NULL && k < t->n; k++)
		free((void *)t->pi[k].path);
	free(t->pi);
	free(t->idx);
	free(t->chg);
	free(t->a.v);
}

/* Each instance's new state from the attempt's answers. */
static void
attempt_record(struct push *p, struct attempt *t)
{
	size_t k;

	for (k = 0; k < t->n; k++) {
		struct push_item *it = &t->a.v[t->idx[k]];
		const struct dcmshim_push_item *r = &t->pi[k];
		char was[sizeof it->state];

		str_lcpy(was, it->state, sizeof was);
		if (r->committed == 1) {
			str_lcpy(it->state, "committed", sizeof it->state);
			t->done++;
			__atomic_add_fetch(&p->instances_out, 1,
			    __ATOMIC_RELAXED);
		} else if (r->committed == 0 || (r->send && r->status != 0 &&
		    (r->status & 0xf000) != 0xb000))
			str_lcpy(it->state, "new", sizeof it->state);
		else if (r->send && r->status >= 0)
			str_lcpy(it->state, "stored", sizeof it->state);
		if (strcmp(was, it->state) != 0)
			t->chg[t->nchg++] = *it;
	}
}

/* To another organisation's node: mutual TLS, storage commitment. */
static int
attempt_push(struct push *p, const struct push_job *j,
    const struct dir_community *c, const char *ae, const char *host,
    int port, struct attempt *t, char *why, size_t whylen)
{
	struct dcmshim_push_opts o;
	struct peer_check pc;
	char e[256];

	if (dcmshim_uid_new(p->conf.dicom_uid_root, t->txn, sizeof t->txn, e,
	    sizeof e) != 0) {
		str_fmt(why, whylen, "transaction UID: %s", e);
		return XDS_EINTERNAL;
	}
	/* before the N-ACTION: a report on push.listen may come before
	 * this attempt ends (push_report.c) */
	if (push_db_set_txn(p->db, j->id, t->txn, why, whylen) != XDS_OK)
		return XDS_EIO;
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.calling_ae = p->conf.dicom_ae_title;
	o.called_ae = ae;
	o.tls_cert = p->conf.http_cert;
	o.tls_key = p->conf.http_key;
	o.tls_ca = p->conf.dicom_ca[0] != '\0' ? p->conf.dicom_ca :
	    p->conf.http_ca;
	o.acse_timeout = (int)p->conf.dicom_timeout;
	o.dimse_timeout = (int)p->conf.dicom_timeout;
	o.commit_timeout = (int)p->conf.push_commit_timeout;
	o.associations = (int)p->conf.push_associations;
	o.transaction_uid = t->txn;
	pc.ura = c->ura;
	o.check_peer = check_peer;
	o.arg = &pc;
	return dcmshim_push(&o, t->pi, t->n, why, whylen);
}

/* To this node's PACS (push.forward): C-STOREs, a Success each is the
 * PACS's commitment (it has no storage commitment of ours to ask). */
static int
attempt_pacs(struct push *p, const char *ae, const char *host, int port,
    struct attempt *t, char *why, size_t whylen)
{
	struct dcmshim_scu_opts o;
	const char **paths;
	int *st, rc;
	size_t k;

	paths = calloc(t->n, sizeof *paths);
	st = calloc(t->n, sizeof *st);
	if (paths == NULL || st == NULL) {
		free(paths);
		free(st);
		str_fmt(why, whylen, "out of memory");
		return XDS_ENOMEM;
	}
	for (k = 0; k < t->n; k++) {
		/* the PACS forgets nothing it answered: stored is resent */
		if (t->pi[k].path == NULL) {
			char path[PATH_SZ];
			const struct push_item *it = &t->a.v[t->idx[k]];

			if (instance_path(p, t->study, it->series_uid,
			    it->sop_uid, path, sizeof path) >= 0)
				t->pi[k].path = strdup(path);
		}
		t->pi[k].send = 1;
		paths[k] = t->pi[k].path != NULL ? t->pi[k].path : "";
	}
	memset(&o, 0, sizeof o);
	o.host = host;
	o.port = port;
	o.calling_ae = p->conf.dicom_ae_title;
	o.called_ae = ae;
	o.acse_timeout = (int)p->conf.dicom_timeout;
	o.dimse_timeout = (int)p->conf.dicom_timeout;
	rc = dcmshim_store_scu(&o, paths, t->n, st, why, whylen);
	for (k = 0; k < t->n; k++) {
		t->pi[k].status = st[k];
		t->pi[k].committed = rc == XDS_OK && (st[k] == 0 ||
		    (st[k] & 0xf000) == 0xb000) ? 1 : 0;
	}
	free(paths);
	free(st);
	return rc;
}

/* The receiver accepted the storage commitment request and ended the
 * association without its report: the job waits push.commit_timeout
 * for the report on push.listen (push_report.c), then its next attempt
 * asks again (a new transaction) for what is still not committed. */
static void
await_report(struct push *p, const struct push_job *j, struct attempt *t,
    const char *why)
{
	char w[PUSH_ERR_SZ], e[PUSH_ERR_SZ];
	long long now = clock_wall();

	str_fmt(w, sizeof w, "%s; awaited on push.listen (transaction %s)",
	    why, t->txn);
	if (push_db_await(p->db, j->id, t->chg, t->nchg, now +
	    p->conf.push_commit_timeout, now, w, e, sizeof e) != XDS_OK)
		log_warnx("push: job %lld: %s", j->id, e);
	else
		log_info("push: job %lld: %s", j->id, w);
}

/* Before a job is declared done: the study's instances the bridge
 * received during the attempt, added to the job (job_items); how many. */
static size_t
arrived(struct push *p, const struct push_job *j)
{
	struct items a;
	char why[PUSH_ERR_SZ];
	size_t n = 0;

	memset(&a, 0, sizeof a);
	if (job_items(p, j, &a, &n, why, sizeof why) != XDS_OK)
		log_warnx("push: job %lld: %s", j->id, why);
	free(a.v);
	return n;
}

/*
 * Proxy mode (push_fetch.h): the attempt a window at a time, each window
 * pushed with its own commitment, recorded, and its spool files released
 * while the next one is fetched from the PACS; the first window that
 * failed (the PACS or the receiver) ends the attempt with its reason.
 */
static int
attempt_windows(struct push *p, const struct push_job *j,
    struct push_fetch *f, const struct dir_community *c, const char *ae,
    const char *host, int port, struct attempt *t, char *why, size_t whylen)
{
	struct attempt w;
	char e[PUSH_ERR_SZ], e2[PUSH_ERR_SZ];
	size_t from = 0, end;
	int frc, rc, more;

	frc = push_fetch_window(f, t->a.v, t->idx, t->pi, 0, &end, why,
	    whylen);
	for (;;) {
		if ((more = frc == XDS_OK && end < t->n))
			push_fetch_ahead(f, t->a.v, t->idx, t->pi, end);
		if (end > from) {
			w = *t;
			w.pi = t->pi + from;
			w.idx = t->idx + from;
			w.n = end - from;
			w.done = 0;
			rc = attempt_push(p, j, c, ae, host, port, &w, e,
			    sizeof e);
			attempt_record(p, &w);
			t->done += w.done;
			t->nchg = w.nchg;	/* w.chg is t->chg */
			str_lcpy(t->txn, w.txn, sizeof t->txn);
			push_fetch_release(f, t->a.v, t->idx, t->pi, from,
			    end);
			if (rc != XDS_OK) {
				/* what was fetched ahead waits in the spool */
				if (more)
					(void)push_fetch_collect(f, &end, e2,
					    sizeof e2);
				str_lcpy(why, e, whylen);
				return rc;
			}
		}
		if (!more)
			return frc;
		from = end;
		frc = push_fetch_collect(f, &end, why, whylen);
		if (frc == XDS_OK && end == from)
			return XDS_OK;
	}
}

void
push_send_job(struct push *p, const struct push_job *j)
{
	struct dir_community c;
	struct attempt t;
	struct push_fetch *f = NULL;
	char ae[17], host[256], node[DIR_AE_MAX] = "";
	char why[PUSH_ERR_SZ] = "", e[PUSH_ERR_SZ];
	long long now = clock_wall(), next;
	int port, rc, give_up, resolved = 0, pacs;
	size_t late = 0;

	memset(&t, 0, sizeof t);
	memset(&c, 0, sizeof c);
	t.study = j->study_uid;
	give_up = now - j->started >= p->conf.push_give_up_after;
	pacs = strcmp(j->dest, PUSH_DEST_PACS) == 0;
	if (pacs) {
		str_lcpy(c.name, "the PACS", sizeof c.name);
		if (conf_split_ae(p->conf.dicom_pacs, ae, sizeof ae, host,
		    sizeof host, &port) != 0) {
			str_fmt(why, sizeof why, "dicom.pacs is not "
			    "AE@host:port");
			goto failed;
		}
		str_lcpy(node, p->conf.dicom_pacs, sizeof node);
	} else {
		rc = resolve(p, j->dest, &c, ae, host, sizeof host, &port, why,
		    sizeof why);
		if (rc == XDS_ENOTFOUND)
			goto failed;
		if (rc != XDS_OK)
			goto again;
		str_lcpy(node, c.dicom, sizeof node);
	}
	resolved = 1;
	/* no such study, or one past what a commitment may name: failed
	 * at once, as no later attempt can do better */
	if ((rc = job_items(p, j, &t.a, NULL, why, sizeof why)) ==
	    XDS_ENOTFOUND || rc == XDS_ETOOBIG)
		goto failed;
	if (rc != XDS_OK || attempt_prepare(p, j, &t, why, sizeof why) !=
	    XDS_OK)
		goto again;
	if (t.n > 0 && !pacs && push_fetch_begin(p, j, t.pi, t.n, &f, why,
	    sizeof why) != XDS_OK)
		goto again;
	if (t.n > 0) {
		if (f != NULL)
			rc = attempt_windows(p, j, f, &c, ae, host, port, &t,
			    why, sizeof why);
		else {
			rc = pacs ? attempt_pacs(p, ae, host, port, &t, why,
			    sizeof why) : attempt_push(p, j, &c, ae, host, port,
			    &t, why, sizeof why);
			attempt_record(p, &t);
		}
		/* past push.give_up_after the job fails instead: a receiver
		 * that never reports must not keep it waiting for ever */
		if (rc == XDS_EUNCERTAIN && p->conf.push_listen[0] != '\0' &&
		    !give_up) {
			await_report(p, j, &t, why);
			goto out;
		}
		if (rc == XDS_EUNCERTAIN && p->conf.push_listen[0] == '\0')
			str_lcat(why, "; push.listen is not set to receive it",
			    sizeof why);
		if (rc == XDS_OK && t.done < t.a.n)
			str_fmt(why, sizeof why, "%zu of %zu instances not "
			    "committed by %s", t.a.n - t.done, t.a.n, c.name);
	}
	next = now + backoff(p, j->attempts);
	if (t.done == t.a.n && (late = arrived(p, j)) > 0) {
		/* not done: the next attempt, at once, sends those */
		str_fmt(why, sizeof why, "%zu instances of the study arrived "
		    "during the attempt", late);
		next = now;
		give_up = 0;
	}
	if (push_db_attempt(p->db, j->id, t.chg, t.nchg, next, give_up, why,
	    e, sizeof e) != XDS_OK)
		log_warnx("push: job %lld: %s", j->id, e);
	if (late > 0)
		log_info("push: job %lld: %s", j->id, why);
	else if (t.done == t.a.n)
		log_info("push: job %lld: study %s committed by %s (%zu "
		    "instances)", j->id, j->study_uid, c.name, t.a.n);
	else
		log_warnx("push: job %lld: %s%s", j->id, why, give_up ?
		    " (given up: push.give_up_after)" : "");
	if (!pacs && (t.n > 0 || t.done == t.a.n))
		audit(p, j, node, &c, t.done == t.a.n, why);
	goto out;
again:
	if (!give_up) {
		if (push_db_attempt(p->db, j->id, NULL, 0, now + backoff(p,
		    j->attempts), 0, why, e, sizeof e) != XDS_OK)
			log_warnx("push: job %lld: %s", j->id, e);
		log_warnx("push: job %lld: %s (retried)", j->id, why);
		goto out;
	}
failed:
	if (push_db_fail(p->db, j->id, why, e, sizeof e) != XDS_OK)
		log_warnx("push: job %lld: %s", j->id, e);
	log_warnx("push: job %lld failed: %s", j->id, why);
	if (!pacs)
		audit(p, j, node, resolved ? &c : NULL, 0, why);
out:
	push_fetch_end(f);
	attempt_free(&t);
}

static void
route_say(void *arg, int warn, const char *msg)
{
	(void)arg;
	if (warn)
		log_warnx("push: %s", msg);
	else
		log_info("push: %s", msg);
}

/* Routed studies (push.route) that became complete: one job each. */
void
push_send_routes(struct push *p)
{
	push_route_jobs(p->db, p->bdb, p->conf.push_route, clock_wall(),
	    p->conf.dicom_publish_after, 1, route_say, NULL);
}
