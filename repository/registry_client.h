/*
 * registry_client.h: how the Document Repository reaches its Document
 * Registry: ITI-42 to register a submission's metadata, ITI-18
 * GetDocuments to reconcile rows whose registration outcome is unknown
 * (ITI TF-2b 3.41.4.1.3).
 *
 * Both go to the registry peer the node gives the repository (soap_peer.h):
 * this node's registry in process (the metadata DOM handed to its route,
 * no copy, no HTTP; each call audited as its own transaction), or
 * repository.registry_url over simple SOAP 1.2 with the node's TLS client
 * identity (http.cert/http.key/http.ca).
 */
#ifndef XDS_REGISTRY_CLIENT_H
#define XDS_REGISTRY_CLIENT_H

#include <stddef.h>
#include <libxml/tree.h>

#include "status.h"

struct conf;
struct registry_client;
struct rim_errors;
struct soap_peer;
struct xact;

/*
 * What registry_client_register returns: XDS_OK when the registry
 * answered Success, REGC_FAILURE when it answered Failure or
 * PartialSuccess (its errors are in errs), or an enum xds_status:
 * XDS_EUNAVAILABLE for no usable answer (XDSRegistryNotAvailable was
 * added to errs), XDS_EUNCERTAIN the same when the request may have
 * reached the remote registry (timeout, lost connection): the caller
 * must keep what the registry may now refer to; XDS_ENOMEM.
 */
enum regc_status {
	REGC_FAILURE = 1,
};

/*
 * registry: the peer (the caller's; it must outlive the client), NULL
 * when the node has no registry to give, which fails.
 */
int	registry_client_new(const struct conf *cf, struct soap_peer *registry,
	    struct registry_client **out, char *err, size_t errlen);
void	registry_client_free(struct registry_client *);
/* "in-process" or the URL. */
const char *registry_client_target(const struct registry_client *);

/*
 * Register the lcm:SubmitObjectsRequest element sor (in its document) as
 * ITI-42.  The registry's RegistryErrors (errors and warnings) are added
 * to errs.  parent is the inbound transaction (its message id goes into
 * the in-process record).
 */
int	registry_client_register(struct registry_client *, xmlNode *sor,
	    struct xact *parent, struct rim_errors *errs);

/*
 * Ask the registry whether it holds a DocumentEntry with this uniqueId
 * (ITI-18 GetDocuments, returnType ObjectRef, any status).  1: it does,
 * 0: it does not, -1: no answer that tells (err says why).  For the
 * reconciliation of rows whose registration outcome is unknown.
 */
int	registry_client_find(struct registry_client *, const char *unique_id,
	    char *err, size_t errlen);
/* Parse an AdhocQueryResponse (alone or in an envelope): 1 when it is a
 * Success with at least one object, 0 a Success without, -1 otherwise.
 * Pure; for tests. */
int	registry_client_parse_found(const char *xml, size_t len, char *err,
	    size_t errlen);

/*
 * Parse a RegistryResponse (alone, or the Body child of a SOAP envelope)
 * from len bytes: XDS_OK / REGC_FAILURE with its errors added to errs,
 * or XDS_EANSWER when it is not one.  Pure; for tests and the
 * fuzz target.
 */
int	registry_client_parse_response(const char *xml, size_t len,
	    struct rim_errors *errs, char *err, size_t errlen);

#endif
