/*
 * repository.c: the Document Repository actor: open/close, the route
 * table of /xds/repository and the start-up sweep of orphaned blobs.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "hl7dt.h"
#include "log.h"
#include "repository.h"
#include "repository_int.h"
#include "str.h"
#include "vocab.h"

static int
keep_blob(void *arg, const char *sha256)
{
	return repo_db_has_blob(arg, sha256);
}

/* Roll a pending row back: the row, then its bytes if no row names
 * them any more. */
static void
roll_back(struct repository *r, const struct repo_doc *d)
{
	long long refs;
	char err[256];

	blobstore_lock(r->bs, d->sha256);
	if (repo_db_delete(r->db, d->unique_id, d->sha256, &refs, err,
	    sizeof err) != REPO_DB_OK)
		log_warnx("repository: reconcile %s: %s", d->unique_id, err);
	else if (refs == 0 && blobstore_delete(r->bs, d->sha256, err,
	    sizeof err) != BLOB_OK)
		log_warnx("repository: reconcile: %s", err);
	blobstore_unlock(r->bs, d->sha256);
}

/*
 * Rows left 'pending' by a crash (or an unknown remote outcome): ask the
 * registry for each uniqueId; registered -> committed, not registered ->
 * rolled back.  When the registry cannot tell, the rest stay pending
 * (kept with their bytes, not served) until the next start.
 */
static void
reconcile(struct repository *r)
{
	struct repo_doc *v = NULL;
	const char *uid;
	char err[256];
	size_t n = 0, i, ncommit = 0, nback = 0;
	int f;

	if (repo_db_pending(r->db, REPOSITORY_RECONCILE_MAX, &v, &n, err,
	    sizeof err) != REPO_DB_OK) {
		log_warnx("repository: reconcile: %s", err);
		return;
	}
	for (i = 0; i < n; i++) {
		f = registry_client_find(r->rc, v[i].unique_id, err,
		    sizeof err);
		if (f < 0) {
			log_warnx("repository: reconcile: registry %s cannot "
			    "tell about %s: %s; %zu row(s) stay pending",
			    registry_client_target(r->rc), v[i].unique_id,
			    err, n - i);
			break;
		}
		if (f == 1) {
			uid = v[i].unique_id;
			if (repo_db_commit(r->db, &uid, 1, err, sizeof err) !=
			    REPO_DB_OK)
				log_warnx("repository: reconcile: %s", err);
			else
				ncommit++;
		} else {
			roll_back(r, &v[i]);
			nback++;
		}
	}
	if (ncommit + nback > 0)
		log_info("repository: reconciled %zu pending row(s): %zu "
		    "registered (committed), %zu never registered (rolled "
		    "back)", ncommit + nback, ncommit, nback);
	free(v);
}

/* Inline base64 documents are decoded while the envelope is parsed, into
 * spooled attachments like XOP parts (actor.h). */
static const struct soap_qname inline_documents[] = {
	{ NS_XDSB, "Document" },
	{ NULL, NULL },
};

int
repository_open(const struct conf *cf, const struct soap_endpoint *local,
    registry_post_fn post, registry_audit_fn audit, struct repository **out,
    char *err, size_t errlen)
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
	r->max_doc = (off_t)cf->repository_max_document_size;
	if (str_fmt(path, sizeof path, "%s/documents", cf->node_state_dir) < 0) {
		str_fmt(err, errlen, "node.state_dir too long");
		goto fail;
	}
	if (blobstore_open(path, &r->bs, err, errlen) != BLOB_OK)
		goto fail;
	if (str_fmt(path, sizeof path, "%s/repository.db",
	    cf->node_state_dir) < 0 ||
	    repo_db_open(path, &r->db, err, errlen) != REPO_DB_OK)
		goto fail;
	if (registry_client_new(cf, local, post, audit, &r->rc, err,
	    errlen) != 0)
		goto fail;
	if (blobstore_sweep(r->bs, REPOSITORY_SWEEP_GRACE, keep_blob, r->db,
	    &removed, err, errlen) != BLOB_OK)
		goto fail;
	if (removed > 0)
		log_info("repository: swept %zu orphaned file(s)", removed);
	reconcile(r);
	if ((pending = repo_db_count_pending(r->db)) > 0)
		log_warnx("repository: %lld document(s) still pending "
		    "registration (registry unreachable?); kept, not served",
		    pending);
	r->routes[0] = (struct soap_route){ ACT_ITI41, ACT_ITI41_RSP,
	    TXN_ITI41, NS_XDSB, "ProvideAndRegisterDocumentSetRequest",
	    PACK_MTOM, repo_iti41 };
	r->routes[1] = (struct soap_route){ ACT_ITI43, ACT_ITI43_RSP,
	    TXN_ITI43, NS_XDSB, "RetrieveDocumentSetRequest", PACK_MTOM,
	    repo_iti43 };
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
