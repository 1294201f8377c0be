/*
 * repository.h: the XDS.b Document Repository actor (/xds/repository).
 * ITI-41 Provide and Register Document Set-b (also RAD-68, same action),
 * ITI-43 Retrieve Document Set; MTOM in and out.  Document bytes in
 * state_dir/documents (blobstore.h), the index in state_dir/repository.db,
 * registration through registry_client.h.
 */
#ifndef XDS_REPOSITORY_H
#define XDS_REPOSITORY_H

#include <stddef.h>

#include "registry_client.h"

struct conf;
struct repository;
struct soap_endpoint;

/*
 * Open the store and the index, sweep orphaned blobs (older than
 * REPOSITORY_SWEEP_GRACE seconds) and connect to the registry: local is
 * the endpoint of the registry of this node (or NULL), post the SOAP
 * transport for repository.registry_url (soapclient_call, or NULL),
 * audit what closes the in-process ITI-42 transaction (xact_end, or NULL).
 */
#define REPOSITORY_SWEEP_GRACE	60
/* Pending rows reconciled with the registry per start (the rest on the
 * next one). */
#define REPOSITORY_RECONCILE_MAX	10000
int	repository_open(const struct conf *, const struct soap_endpoint *local,
	    registry_post_fn post, registry_audit_fn audit,
	    struct repository **, char *err, size_t errlen);
void	repository_close(struct repository *);
/* The endpoint to mount: "/xds/repository" and its routes. */
const struct soap_endpoint *repository_endpoint(struct repository *);

#endif
