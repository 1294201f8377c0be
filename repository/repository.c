/*
 * repository.c: the Document Repository actor: open/close, the route
 * table of /xds/repository (ITI-41, ITI-43, ITI-86), the start-up sweep
 * of orphaned blobs and the reconciliation of pending rows (at start-up
 * and on a thread every repository.reconcile_interval seconds).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "hl7dt.h"
#include "log.h"
#include "mtom.h"
#include "repository.h"
#include "repository_int.h"
#include "str.h"
#include "vocab.h"

static int
keep_blob(void *arg, const char *sha256)
{
	return repo_db_has_blob(arg, sha256);
}

/* r->stop and r->passes under r->mu (0 before reconcile_start); either
 * pointer may be NULL. */
static void
sync_read(struct repository *r, int *stop, unsigned long long *passes)
{
	int s = 0;
	unsigned long long n = 0;

	if (r->sync_init) {
		pthread_mutex_lock(&r->mu);
		s = r->stop;
		n = r->passes;
		pthread_mutex_unlock(&r->mu);
	}
	if (stop != NULL)
		*stop = s;
	if (passes != NULL)
		*passes = n;
}

static int
stopping(struct repository *r)
{
	int stop;

	sync_read(r, &stop, NULL);
	return stop;
}

/* Roll a pending row back: the row, then its bytes if no row names
 * them any more.  Under the blob's lock, which a submission holds while
 * it stores (and marks) a row with these bytes; a row that turned live
 * or committed meanwhile stays.  1 rolled back, 0 not. */
static int
roll_back(struct repository *r, const struct repo_doc *d)
{
	long long refs;
	char err[256];
	int rc, done = 0;

	blobstore_lock(r->bs, d->sha256);
	rc = repo_db_delete_pending(r->db, d->unique_id, d->sha256, &refs,
	    err, sizeof err);
	if (rc != XDS_OK && rc != XDS_ENOTFOUND)
		log_warnx("repository: reconcile %s: %s", d->unique_id, err);
	else if (rc == XDS_OK) {
		done = 1;
		if (refs == 0 && blobstore_delete(r->bs, d->sha256, err,
		    sizeof err) != XDS_OK)
			log_warnx("repository: reconcile: %s", err);
	}
	blobstore_unlock(r->bs, d->sha256);
	return done;
}

/*
 * One pass over the rows left 'pending' (a crash, or an unknown remote
 * outcome): ask the registry for each uniqueId; registered -> committed,
 * not registered -> rolled back.  Rows a live submission is registering
 * are skipped.  When the registry cannot tell, the rest stay pending
 * (kept with their bytes, not served) until the next pass.  One summary
 * line (counts only; no patient data).
 */
static void
reconcile(struct repository *r, const char *when, size_t *pc, size_t *pb)
{
	struct repo_doc *v = NULL;
	const char *uid;
	char err[256], why[512] = "";
	size_t n = 0, i, ncommit = 0, nback = 0, nlive = 0, nleft = 0;
	int f;

	if (repo_db_pending(r->db, REPOSITORY_RECONCILE_MAX, &v, &n, err,
	    sizeof err) != XDS_OK) {
		log_warnx("repository: reconcile (%s): %s", when, err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (stopping(r)) {
			nleft = n - i;
			str_fmt(why, sizeof why, "; stopped");
			break;
		}
		if (repo_db_is_live(r->db, v[i].unique_id)) {
			nlive++;
			continue;
		}
		f = registry_client_find(r->rc, v[i].unique_id, err,
		    sizeof err);
		if (f < 0) {
			nleft = n - i;
			str_fmt(why, sizeof why, "; registry %s cannot tell: "
			    "%.300s", registry_client_target(r->rc), err);
			break;
		}
		if (f == 1) {
			uid = v[i].unique_id;
			if (repo_db_commit(r->db, &uid, 1, err, sizeof err) !=
			    XDS_OK)
				log_warnx("repository: reconcile: %s", err);
			else
				ncommit++;
		} else if (roll_back(r, &v[i]))
			nback++;
		else
			nlive++;
	}
	if (n > 0)
		log_info("repository: reconcile (%s): %zu pending row(s): %zu "
		    "registered (committed), %zu never registered (rolled "
		    "back), %zu being registered (skipped), %zu left%s", when,
		    n, ncommit, nback, nlive, nleft, why);
	else
		log_debug("repository: reconcile (%s): no pending rows", when);
out:
	free(v);
	if (pc != NULL)
		*pc = ncommit;
	if (pb != NULL)
		*pb = nback;
}

void
repository_reconcile(struct repository *r, size_t *ncommitted,
    size_t *nrolled_back)
{
	reconcile(r, "on demand", ncommitted, nrolled_back);
}

unsigned long long
repository_reconcile_passes(struct repository *r)
{
	unsigned long long n;

	sync_read(r, NULL, &n);
	return n;
}

/* The reconciliation thread: a pass every r->interval seconds until
 * repository_close. */
static void *
reconcile_main(void *arg)
{
	struct repository *r = arg;
	struct timespec dl;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += (time_t)r->interval;
		while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu,
		    &dl) != ETIMEDOUT)
			;
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->mu);
		reconcile(r, "periodic", NULL, NULL);
		pthread_mutex_lock(&r->mu);
		r->passes++;
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static int
reconcile_start(struct repository *r, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int e;

	if (pthread_condattr_init(&ca) != 0) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	e = pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (e != 0) {
		str_fmt(err, errlen, "reconcile: %s", strerror(e));
		return -1;
	}
	if ((e = pthread_mutex_init(&r->mu, NULL)) != 0) {
		pthread_cond_destroy(&r->cv);
		str_fmt(err, errlen, "reconcile: %s", strerror(e));
		return -1;
	}
	r->sync_init = 1;
	if (r->interval <= 0)
		return 0;
	/* Signals go to the threads that wait for them, not this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&r->thr, NULL, reconcile_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		str_fmt(err, errlen, "reconcile thread: %s", strerror(e));
		return -1;
	}
	r->thr_on = 1;
	return 0;
}

/* Inline base64 documents are decoded while the envelope is parsed, into
 * spooled attachments like XOP parts (actor.h). */
static const struct xml_qname inline_documents[] = {
	{ NS_XDSB, "Document" },
	{ NULL, NULL },
};

int
repository_open(const struct conf *cf, struct soap_peer *registry,
    struct repository **out, char *err, size_t errlen)
{
	struct repository *r;
	char path[CONF_STR_MAX + 32], oerr[128];
	size_t removed = 0;
	long long pending;

	*out = NULL;
	if (hl7_oid_valid(cf->repository_unique_id,
	    strlen(cf->repository_unique_id), oerr, sizeof oerr) != 0) {
		str_fmt(err, errlen, "repository.unique_id \"%s\" is not an "
		    "OID: %s", cf->repository_unique_id, oerr);
		return -1;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		str_fmt(err, errlen, "out of memory");
		return -1;
	}
	str_lcpy(r->unique_id, cf->repository_unique_id, sizeof r->unique_id);
	str_lcpy(r->home, cf->node_home_community_id, sizeof r->home);
	str_lcpy(r->state_dir, cf->node_state_dir, sizeof r->state_dir);
	r->min_free = cf->node_min_free_space;
	r->max_doc = (off_t)cf->repository_max_document_size;
	r->verify_first_max = (off_t)cf->repository_verify_first_max;
	r->interval = cf->repository_reconcile_interval;
	if (str_fmt(path, sizeof path, "%s/documents", cf->node_state_dir) < 0) {
		str_fmt(err, errlen, "node.state_dir too long");
		goto fail;
	}
	if (blobstore_open(path, &r->bs, err, errlen) != XDS_OK)
		goto fail;
	if (str_fmt(path, sizeof path, "%s/repository.db",
	    cf->node_state_dir) < 0 ||
	    repo_db_open(path, &r->db, err, errlen) != XDS_OK)
		goto fail;
	if (registry_client_new(cf, registry, &r->rc, err, errlen) != 0)
		goto fail;
	if (blobstore_sweep(r->bs, REPOSITORY_SWEEP_GRACE, keep_blob, r->db,
	    &removed, err, errlen) != XDS_OK)
		goto fail;
	if (removed > 0)
		log_info("repository: swept %zu orphaned file(s)", removed);
	reconcile(r, "start-up", NULL, NULL);
	if ((pending = repo_db_count_pending(r->db)) > 0)
		log_warnx("repository: %lld document(s) still pending "
		    "registration (registry unreachable?); kept, not served%s",
		    pending, r->interval > 0 ? ", retried periodically" : "");
	if (reconcile_start(r, err, errlen) != 0)
		goto fail;
	r->routes[0] = (struct soap_route){ ACT_ITI41, ACT_ITI41_RSP,
	    TXN_ITI41, NS_XDSB, "ProvideAndRegisterDocumentSetRequest",
	    PACK_MTOM, repo_iti41 };
	r->routes[1] = (struct soap_route){ ACT_ITI43, ACT_ITI43_RSP,
	    TXN_ITI43, NS_XDSB, "RetrieveDocumentSetRequest", PACK_MTOM,
	    repo_iti43 };
	r->routes[2] = (struct soap_route){ ACT_ITI86, ACT_ITI86_RSP,
	    TXN_ITI86, NS_RMD, "RemoveDocumentsRequest", PACK_EITHER,
	    repo_iti86 };
	r->ep.path = "/xds/repository";
	r->ep.routes = r->routes;
	r->ep.nroutes = sizeof r->routes / sizeof r->routes[0];
	r->ep.actor = r;
	r->ep.inline_base64 = inline_documents;
	log_info("repository: %s, id %s, registry %s", blobstore_dir(r->bs),
	    r->unique_id, registry_client_target(r->rc));
	*out = r;
	return 0;
fail:
	repository_close(r);
	return -1;
}

void
repository_close(struct repository *r)
{
	if (r == NULL)
		return;
	if (r->thr_on) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thr, NULL);
	}
	if (r->sync_init) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
	}
	registry_client_free(r->rc);
	repo_db_close(r->db);
	blobstore_close(r->bs);
	free(r);
}

const struct soap_endpoint *
repository_endpoint(struct repository *r)
{
	return &r->ep;
}

int
repository_metrics_write(void *arg, struct buf *out)
{
	struct repository *r = arg;
	char line[256];

	if (buf_adds(out, "# HELP xds_repository_damaged_total Stored "
	    "documents that did not match their recorded size or SHA-256.\n"
	    "# TYPE xds_repository_damaged_total counter\n") != XDS_OK ||
	    str_fmt(line, sizeof line, "xds_repository_damaged_total"
	    "{when=\"before_answer\"} %llu\nxds_repository_damaged_total"
	    "{when=\"while_sending\"} %llu\n", atomic_load(&r->damaged),
	    mtom_verify_failures()) < 0 || buf_adds(out, line) != XDS_OK ||
	    buf_adds(out, "# HELP xds_repository_missing_total Registered "
	    "documents whose stored bytes were gone.\n"
	    "# TYPE xds_repository_missing_total counter\n") != XDS_OK ||
	    str_fmt(line, sizeof line, "xds_repository_missing_total %llu\n",
	    atomic_load(&r->missing)) < 0 || buf_adds(out, line) != XDS_OK)
		return XDS_ETOOBIG;
	return XDS_OK;
}
