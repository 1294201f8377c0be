/*
 * repository.h: the XDS.b Document Repository actor (/xds/repository).
 * ITI-41 Provide and Register Document Set-b (also RAD-68, same action),
 * ITI-43 Retrieve Document Set; MTOM in and out; ITI-86 Remove
 * Documents.  Document bytes in state_dir/documents (blobstore.h), the
 * index in state_dir/repository.db, registration through
 * registry_client.h.
 */
#ifndef XDS_REPOSITORY_H
#define XDS_REPOSITORY_H

#include <stddef.h>

#include "registry_client.h"

struct conf;
struct repository;
struct soap_endpoint;
struct soap_peer;

/*
 * Open the store and the index, sweep orphaned blobs (older than
 * REPOSITORY_SWEEP_GRACE seconds) and connect to the registry through
 * the peer the node gives (this node's registry in process, or
 * repository.registry_url; registry_client.h), which must outlive the
 * repository.
 */
#define REPOSITORY_SWEEP_GRACE	60
/*
 * Rows left 'pending' (bytes stored, registry outcome unknown) are
 * reconciled with the registry at start-up and then every
 * repository.reconcile_interval seconds by a thread of the actor (0:
 * start-up only): registered -> committed, not registered -> rolled back.
 * A row that a submission of this process is registering right now (a
 * live mark, repo_db.h) is left for a later pass.  At most this many rows
 * per pass (the rest on the next one).
 */
#define REPOSITORY_RECONCILE_MAX	10000
int	repository_open(const struct conf *, struct soap_peer *registry,
	    struct repository **, char *err, size_t errlen);
/* Stops the reconciliation thread (waits for the registry query in
 * flight, if any: at most its timeout) and frees everything. */
void	repository_close(struct repository *);
/* One reconciliation pass now, as the thread does (for tests); the
 * numbers of rows committed and rolled back. */
void	repository_reconcile(struct repository *, size_t *ncommitted,
	    size_t *nrolled_back);
/* How many passes the thread has finished so far (tests wait on it
 * instead of sleeping for a pass to happen). */
unsigned long long repository_reconcile_passes(struct repository *);
/* The endpoint to mount: "/xds/repository" and its routes. */
const struct soap_endpoint *repository_endpoint(struct repository *);
/*
 * Lines for GET /metrics (metrics_add_source): stored documents found
 * not to hold what was recorded for them, xds_repository_damaged_total
 * (when="before_answer": ITI-43 answered XDSRepositoryError;
 * when="while_sending": a response was cut off, counted by the MTOM
 * writer of this process), and xds_repository_missing_total.
 */
struct buf;
int	repository_metrics_write(void *repository, struct buf *out);

#endif
