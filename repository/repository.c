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
	/* TODO(repository): reconcile 'pending' rows with the registry
	 * (GetDocuments by uniqueId) and roll back those never registered;
	 * until then they keep their bytes, so no registered entry can lose
	 * them. */
	if ((pending = repo_db_count_pending(r->db)) > 0)
		log_warnx("repository: %lld document(s) pending registration "
		    "from before a crash", pending);
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
